"""Where a network comes from: a registry of front-ends, each a lazy loader, used by the CLI, the page and Python.

``frontend_for(source)`` names the front-end that claims a source (``.cnn``, ``.json``, ``-``, ``zoo:``,
``torchvision:``, ``timm:``, ``file.py:factory``, ``package.module:factory``, and what later front-ends
register); ``analyze_source(source, request)`` imports it only then and gives its Result. Adding a front-end is
one ``register_frontend`` call: no interface code changes. A front-end's module is imported only when a source
asks for it, and a missing optional dependency is said with the extra to install.

>>> frontend_for("torchvision:resnet18").name, frontend_for("zoo:resnet50").name, frontend_for("net.cnn").name
('torch', 'zoo', 'text')
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .analysis import Result
from .conventions import Conventions, Layout
from .errors import ArgumentError, CnnCalcError, ShapeError, UnsupportedError
from .limits import read_text
from .network import Network


@dataclass(frozen=True)
class Request:
    """What the user asked for beside the source: the conventions' options as given (None: not given) and a
    framework model's options (--input, --kwargs, --depth, --partial)."""

    layout: Layout | None = None
    batch: int | None = None
    dtype: str | None = None
    counting: str | None = None
    bias_flops: bool = False
    elementwise_flops: bool = False
    inputs: tuple[str, ...] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    depth: int | None = None
    partial: bool = False

    def conventions(self, layout: Layout) -> Conventions:
        """The Conventions asked for, with the front-end's default layout (the core checks the values)."""
        return Conventions(layout=self.layout or layout, batch=1 if self.batch is None else self.batch,
                           dtype="float32" if self.dtype is None else self.dtype,
                           counting=self.counting or "torch",  # type: ignore[arg-type]
                           count_bias_flops=self.bias_flops, count_elementwise_flops=self.elementwise_flops)


@dataclass(frozen=True)
class Frontend:
    """One kind of source: which sources it claims, and where its loader lives (imported only when used).

    ``function`` is called as ``function(source, request)`` and returns a Result. ``framework``: it takes a
    framework model's options (--input, --kwargs, --partial). ``extra``: the pip extra its dependency is in."""

    name: str
    summary: str
    claims: Callable[[str], bool]
    module: str
    function: str
    framework: bool = False
    extra: str | None = None
    #: the packages it needs (import names), and the framework's name for the message when one is missing
    requires: tuple[str, ...] = ()
    framework_name: str = ""


FRONTENDS: list[Frontend] = []


def register_frontend(frontend: Frontend, *, before: str | None = None) -> Frontend:
    """Add a front-end (refusing a second one of the same name); ``before`` puts it ahead of another's claims."""
    if any(f.name == frontend.name for f in FRONTENDS):
        raise RuntimeError(f"front-end {frontend.name!r} is registered twice")
    at = next((i for i, f in enumerate(FRONTENDS) if f.name == before), len(FRONTENDS))
    FRONTENDS.insert(at, frontend)
    return frontend


#: files that hold pickled objects; never opened
PICKLES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".tar")
_FACTORY = re.compile(r"^\S+\.py:[A-Za-z_]\w*$|^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _suffix(*suffixes: str) -> Callable[[str], bool]:
    return lambda source: source.lower().endswith(suffixes)


def _prefix(*prefixes: str) -> Callable[[str], bool]:
    return lambda source: source.startswith(prefixes)


def _is_factory(source: str) -> bool:
    return not os.path.exists(source) and bool(_FACTORY.match(source)) and not source.startswith(
        tuple(f"{name}:" for name in _PREFIXED))


_PREFIXED = ("zoo", "torchvision", "timm", "keras")

for _frontend in (
    Frontend("zoo", "zoo:NAME, a network shipped with cnncalc", _prefix("zoo:"), "cnncalc.sources",
             "analyze_network_source"),
    Frontend("pickle", "a saved PyTorch/pickle file: refused, never unpickled", _suffix(*PICKLES), "cnncalc.sources",
             "refuse_pickle"),
    Frontend("onnx", "an ONNX model (.onnx): shapes from ONNX shape inference, weights never read",
             _suffix(".onnx"), "cnncalc.adapters.onnx", "analyze_source", framework=True, extra="onnx",
             requires=("onnx",), framework_name="ONNX"),
    Frontend("json", "a network in cnncalc's JSON form (.json)", _suffix(".json"), "cnncalc.sources",
             "analyze_network_source"),
    Frontend("torch", "torchvision:NAME, timm:NAME, file.py:factory or package.module:factory (a PyTorch model)",
             lambda s: _prefix("torchvision:", "timm:")(s) or _is_factory(s), "cnncalc.adapters.torch",
             "analyze_source", framework=True, extra="torch", requires=("torch",), framework_name="PyTorch"),
    Frontend("keras", "keras:NAME (a keras.applications model) or a Keras 3 .keras file",
             lambda s: _prefix("keras:")(s) or _suffix(".keras")(s), "cnncalc.adapters.keras", "analyze_source",
             framework=True, extra="keras", requires=("keras",), framework_name="Keras"),
    Frontend("keras-legacy", ".h5/.hdf5, .tflite, a TensorFlow SavedModel: refused, with what to do instead",
             lambda s: _suffix(".h5", ".hdf5", ".tflite", ".pb")(s)
             or os.path.isfile(os.path.join(s, "saved_model.pb")),
             "cnncalc.adapters.keras", "refuse_legacy"),
    Frontend("text", "a .cnn text file, or '-' for stdin", lambda s: True, "cnncalc.sources", "analyze_network_source"),
):
    register_frontend(_frontend)


def frontend_for(source: str) -> Frontend:
    """The first registered front-end that claims ``source``."""
    return next(f for f in FRONTENDS if f.claims(source))


def is_model_reference(source: str) -> bool:
    """True for sources a framework front-end handles (torchvision:NAME, file.py:factory, model.onnx, …).

    >>> is_model_reference("torchvision:resnet18"), is_model_reference("zoo:resnet50")
    (True, False)
    """
    return frontend_for(source).framework


def analyze_source(source: str, request: Request | None = None) -> Result:
    """Analyse whatever ``source`` names through its front-end (imported now)."""
    request = request or Request()
    frontend = frontend_for(source)
    if not frontend.framework:
        given = [opt for opt, value in (("--input", request.inputs), ("--kwargs", request.kwargs or None),
                                        ("--partial", request.partial or None)) if value is not None]
        if given:
            raise CnnCalcError(
                f"{', '.join(given)} applies to framework models only (PyTorch, ONNX, Keras), not to '{source}'",
                hint="e.g. cnncalc torchvision:resnet18 --input 1x3x224x224",
            )
    for package in frontend.requires:
        if importlib.util.find_spec(package) is None:
            raise CnnCalcError(f"'{source}' is a {frontend.framework_name} model, but {frontend.framework_name} is not "
                               "installed", hint=f"pip install cnncalc[{frontend.extra}]")
    from .progress import progress

    what = frontend.framework_name or frontend.name
    try:
        with progress(f"importing {what} support"):  # a note on a terminal's stderr, after a second
            module = importlib.import_module(frontend.module)
    except ModuleNotFoundError as err:
        missing = (err.name or "a module").split(".")[0]
        extra = f"pip install 'cnncalc[{frontend.extra}]'" if frontend.extra else f"pip install {missing}"
        raise CnnCalcError(f"'{source}' needs {missing}, which is not installed", hint=extra) from None
    with progress(f"analysing {source}"):
        result = getattr(module, frontend.function)(source, request)
    if not isinstance(result, Result):  # a front-end's bug, not the user's: say so loudly
        raise TypeError(f"front-end {frontend.name!r} returned {type(result).__name__}, not a Result")
    return result


def refuse_pickle(source: str, request: Request) -> Result:
    raise UnsupportedError(
        f"'{source}' is a saved PyTorch/pickle file: cnncalc does not load it, since unpickling can run "
        "arbitrary code",
        hint="point cnncalc at the code that builds the model instead, e.g. "
        "`cnncalc models.py:make_model --input 1x3x224x224` (weights are never needed)",
    )


def analyze_network_source(source: str, request: Request) -> Result:
    """The front-end of networks written as core kinds (.cnn, .json, stdin, zoo:): load, analyse, and report
    an impossible layer at the file:line:col where it was written."""
    from .analysis import analyze
    from .locate import located

    text = None if source.startswith("zoo:") else _read(source)
    network = load_network(source, text)
    try:
        return analyze(network, request.conventions("hwc"), depth=request.depth)
    except (ShapeError, ArgumentError) as err:
        node = next((n for n in network.nodes if n.name == err.layer), None)
        if node is None or node.source is None:
            raise
        raise located(err, node.source, text) from None


def load_network(source: str, text: str | None = None) -> Network:
    """A network from a .cnn or .json file, '-' (stdin) or zoo:NAME (``text``: the file's text, if read)."""
    if source.startswith("zoo:"):
        zoo = lazy("cnncalc.zoo", "the zoo", "load")
        return _network(zoo.load(source[4:]), source)
    if source.lower().endswith(PICKLES):
        refuse_pickle(source, Request())
    file = "<stdin>" if source == "-" else source
    return parse_network(_read(source) if text is None else text, file)


def parse_network(text: str, file: str) -> Network:
    """A network from its text: cnncalc's JSON form (a .json file, or stdin starting with '{') or the .cnn format."""
    if file.lower().endswith(".json") or (file == "<stdin>" and text.lstrip().startswith("{")):
        netjson = lazy("cnncalc.netjson", "support for JSON networks", "loads")
        return _network(netjson.loads(text, file), file)
    textformat = lazy("cnncalc.textformat", "support for the .cnn text format", "parse")
    return _network(textformat.parse(text, file), file)


def _network(value: Any, source: str) -> Network:
    if not isinstance(value, Network):  # a loader's bug, not the user's: say so loudly
        raise TypeError(f"loading {source} gave {type(value).__name__}, not a Network")
    return value


def _read(path: str) -> str:
    """The file's text, capped in size; FIFOs and devices refused (cnncalc.limits.read_text)."""
    if path != "-" and not os.path.exists(path):
        raise CnnCalcError(
            f"cannot read '{path}': no such file",
            hint="give a .cnn or .json file, '-' for stdin, zoo:NAME (see `cnncalc zoo`) "
            "or a model reference such as torchvision:resnet18",
        )
    try:
        return read_text(path)
    except CnnCalcError:
        if path == "-":
            raise
        from .sniff import sniff_file

        found = sniff_file(path)  # a binary file: name its format instead of "not UTF-8 text"
        if found is None:
            raise
        raise CnnCalcError(f"cannot read '{path}': it is {found.name}, not a network in text form",
                           hint=found.advice) from None


def parse_kwargs(text: str | None) -> dict[str, Any]:
    """--kwargs: a JSON object."""
    if text is None:
        return {}
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise CnnCalcError(
            f"--kwargs is not valid JSON: {err.msg} at column {err.colno}",
            hint="write a JSON object, e.g. --kwargs '{\"num_classes\": 10}'",
        ) from None
    if not isinstance(value, dict):
        raise CnnCalcError(
            f"--kwargs must be a JSON object, got {type(value).__name__}", hint="e.g. --kwargs '{\"num_classes\": 10}'"
        )
    return value


def lazy(module: str, feature: str, *names: str) -> Any:
    """Import an optional part of cnncalc when it is used, checking it has ``names``; its absence is said plainly."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if not (err.name and module.startswith(err.name)):
            raise
        found = None
    if found is None or not all(hasattr(found, name) for name in names):
        raise CnnCalcError(
            f"{feature} is not available in this installation ({module} is missing)", hint="reinstall cnncalc"
        )
    return found
