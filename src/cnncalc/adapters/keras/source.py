"""The Keras front-end of the source registry: ``keras:NAME`` and ``.keras`` files; what to do with other
Keras/TensorFlow formats.

``keras:NAME`` builds ``keras.applications.NAME(weights=None, **kwargs)``; a ``.keras`` file (Keras 3's zip)
is rebuilt from its ``config.json`` in safe mode, so a Lambda layer's code is never run, and its weights
are never read. On the PyTorch backend the model is built on the meta device: no memory for the weights,
no initialisation work. ``.h5``/``.hdf5``, TensorFlow SavedModel folders and ``.tflite`` files are refused
with what to do instead.
"""

from __future__ import annotations

import difflib
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...conventions import Conventions
from ...errors import ArgumentError, CnnCalcError, UnsupportedError
from .api import from_keras
from .backend import choose_backend, load_keras

if TYPE_CHECKING:
    from ...analysis import Result
    from ...sources import Request

#: the largest config.json read from a .keras file
MAX_CONFIG = 64 * 2**20
_SHAPE = re.compile(r"^\d+(x\d+)*$")


def analyze_source(source: str, request: Request) -> Result:
    """The registry's entry point: ``keras:NAME`` or a ``.keras`` file, with the user's options."""
    if request.counting not in (None, "keras"):
        raise ArgumentError(
            f"--convention {request.counting} does not apply to a Keras model: it is counted as Keras holds it "
            "(BatchNorm moving statistics are non-trainable parameters)",
            hint="leave --convention out for Keras models; use --convention torch with a network in the text format")
    if request.partial:
        raise ArgumentError("--partial applies to PyTorch models (nothing runs for a Keras model)")
    batch, shapes = _inputs(request)
    conv = Conventions(layout=request.layout or "hwc", batch=batch, dtype=request.dtype or "float32",
                       counting="keras", count_bias_flops=request.bias_flops,
                       count_elementwise_flops=request.elementwise_flops)
    model = application(source[6:], request.kwargs) if source.startswith("keras:") else load_file(source)
    return from_keras(model, conventions=conv, depth=request.depth, input_shape=shapes)


def _inputs(request: Request) -> tuple[int, list[tuple[int, ...]] | None]:
    """--input NxHxWxC (one per model input; N the batch) and --batch."""
    if not request.inputs:
        return request.batch or 1, None
    shapes = []
    for spec in request.inputs:
        text = spec.strip().replace("×", "x")
        if not _SHAPE.match(text) or "x" not in text:
            raise ArgumentError(f"cannot read --input {spec!r}",
                                hint="write the shape with the batch axis, channels last, e.g. 1x224x224x3")
        dims = tuple(int(d) for d in text.split("x"))
        if 0 in dims:
            raise ArgumentError(f"--input {spec!r} has an axis of size 0: every axis must be ≥ 1")
        shapes.append(dims)
    batches = {s[0] for s in shapes}
    if len(batches) > 1 or (request.batch is not None and request.batch not in batches):
        raise ArgumentError(f"the batch sizes disagree: --input {', '.join(request.inputs)}"
                            + (f", --batch {request.batch}" if request.batch is not None else ""),
                            hint="give one batch size: the first axis of every --input")
    return shapes[0][0], [s[1:] for s in shapes]


@contextmanager
def _meta(keras: Any) -> Iterator[None]:
    """Build on PyTorch's meta device where that is the backend (weights take no memory, no time)."""
    if choose_backend() == "torch":
        with keras.device("meta"):
            yield
    else:
        yield


def application_names(keras: Any) -> list[str]:
    return sorted(n for n in dir(keras.applications) if n[:1].isupper())


def application(name: str, kwargs: dict[str, Any]) -> Any:
    """``keras.applications.NAME(weights=None, **kwargs)``; weights are never downloaded."""
    keras = load_keras()
    names = application_names(keras)
    if name not in names:
        guess = difflib.get_close_matches(name, names, n=1) or [n for n in names if n.lower() == name.lower()]
        raise ArgumentError(f"keras.applications has no model '{name}'",
                            hint=f"did you mean 'keras:{guess[0]}'?" if guess else "e.g. keras:ResNet50; models: "
                            + ", ".join(names))
    if kwargs.get("weights") is not None:
        raise ArgumentError("weights are never loaded: cnncalc needs the architecture only",
                            hint="drop 'weights' from --kwargs")
    try:
        with _meta(keras):
            return getattr(keras.applications, name)(**{**kwargs, "weights": None})
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"keras.applications.{name}() refused the arguments: {err}",
                            hint="see the model's documentation for its arguments") from None


def load_file(path: str) -> Any:
    """A model from a Keras 3 ``.keras`` file: rebuilt from its config in safe mode; weights not read."""
    file = Path(path)
    if not file.is_file():
        raise CnnCalcError(f"cannot read '{path}': no such file", hint="give a Keras 3 .keras file")
    if not zipfile.is_zipfile(file):
        raise UnsupportedError(f"'{path}' is not a Keras 3 .keras file (a zip archive holding config.json)",
                               hint="save the model with model.save('model.keras') in Keras 3")
    config = _config(file)
    keras = load_keras()
    try:
        with _meta(keras):
            return keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as err:
        raise _load_error(path, err) from None


def _config(file: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(file) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG:
                raise UnsupportedError(f"'{file}': config.json is {info.file_size:,} bytes, past cnncalc's bound "
                                       f"({MAX_CONFIG:,})")
            config = json.loads(archive.read(info))
    except KeyError:
        raise UnsupportedError(f"'{file}' is a zip archive without config.json: not a Keras 3 .keras file",
                               hint="save the model with model.save('model.keras') in Keras 3") from None
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise UnsupportedError(f"'{file}' is not a readable .keras file: {err}") from None
    if not isinstance(config, dict):
        raise UnsupportedError(f"'{file}': config.json does not describe a model")
    return config


def _load_error(path: str, err: Exception) -> CnnCalcError:
    text = str(err)
    if "Lambda" in text or "lambda" in text:
        return UnsupportedError(
            f"'{path}' holds a Lambda layer: its Python code is stored in the file, and Keras's safe mode refuses "
            "to load it (running code from a model file could do anything); cnncalc never runs it",
            hint="replace the Lambda with a registered custom layer, or build the model in Python and call "
                 "cnncalc.from_keras(model)")
    if "custom" in text.lower() or "Could not locate" in text or "Could not deserialize" in text:
        return UnsupportedError(f"'{path}' uses a layer class Keras cannot find: {text.splitlines()[0]}",
                                hint="import the module that registers it and call cnncalc.from_keras(model) "
                                     "from Python")
    return UnsupportedError(f"Keras cannot rebuild '{path}': {text.splitlines()[0] if text else type(err).__name__}")


# ---- other Keras / TensorFlow formats: what to do -----------------------------------------------------

LEGACY = (".h5", ".hdf5", ".tflite", ".pb")


def is_saved_model(source: str) -> bool:
    """A TensorFlow SavedModel folder (it holds saved_model.pb)."""
    return Path(source).is_dir() and (Path(source) / "saved_model.pb").is_file()


def claims_legacy(source: str) -> bool:
    return source.lower().endswith(LEGACY) or is_saved_model(source)


def refuse_legacy(source: str, request: Request) -> Result:
    lower = source.lower()
    if lower.endswith((".h5", ".hdf5")):
        raise UnsupportedError(
            f"'{source}' is a legacy HDF5 Keras model (Keras 2's format): cnncalc reads Keras 3 .keras files",
            hint="load it once in Keras and save it again: keras.models.load_model('model.h5')"
                 ".save('model.keras'), then `cnncalc model.keras`; or export it to ONNX and run `cnncalc model.onnx`")
    if lower.endswith(".tflite"):
        raise UnsupportedError(
            f"'{source}' is a TensorFlow Lite model: cnncalc does not read .tflite files",
            hint="analyse the Keras model it came from (save it as .keras), or convert it to ONNX "
                 "(python -m tf2onnx.convert --tflite model.tflite --output model.onnx) and run `cnncalc model.onnx`")
    raise UnsupportedError(
        f"'{source}' is a TensorFlow SavedModel (a TensorFlow graph, not a Keras 3 model): cnncalc does not read it",
        hint="save the Keras model as .keras (model.save('model.keras')), or convert it to ONNX "
             "(python -m tf2onnx.convert --saved-model DIR --output model.onnx) and run `cnncalc model.onnx`")
