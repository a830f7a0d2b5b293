"""Where a network comes from: a .cnn or .json file, stdin, the zoo, or a reference to a PyTorch model.

``load_network("net.cnn")``, ``load_network("-")`` and ``load_network("zoo:resnet50")`` give a Network;
``is_model_reference`` recognises what the PyTorch adapter handles instead (``torchvision:resnet18``,
``timm:NAME``, ``models.py:make_net``, ``package.module:factory``). Optional parts of cnncalc (the text format,
the JSON form, the zoo, the adapters) are imported only when used, and a missing one is said plainly.

>>> is_model_reference("torchvision:resnet18"), is_model_reference("zoo:resnet50")
(True, False)
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from .errors import CnnCalcError, UnsupportedError
from .network import Network

_REFERENCE = re.compile(r"^(torchvision|timm):\S+$|^\S+\.py:[A-Za-z_]\w*$|^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def is_model_reference(source: str) -> bool:
    """True for torchvision:NAME, timm:NAME, file.py:factory and package.module:factory (not files)."""
    if source.startswith("zoo:") or Path(source).exists():
        return False
    return bool(_REFERENCE.match(source))


#: files that hold pickled objects; never opened
PICKLES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".tar")


def load_network(source: str) -> Network:
    """A network from a .cnn or .json file, '-' (stdin) or zoo:NAME."""
    if source.startswith("zoo:"):
        zoo = lazy("cnncalc.zoo", "the zoo", "load")
        return _network(zoo.load(source[4:]), source)
    if source == "-":
        return _parse(sys.stdin.read(), "<stdin>")
    if source.lower().endswith(PICKLES):
        raise UnsupportedError(
            f"'{source}' is a saved PyTorch/pickle file: cnncalc does not load it, since unpickling can run "
            "arbitrary code",
            hint="point cnncalc at the code that builds the model instead, e.g. "
            "`cnncalc models.py:make_model --input 1x3x224x224` (weights are never needed)",
        )
    return _parse(_read(source), source)


#: the text of each network read in this process, by file name: to echo a line in an analysis error
_TEXTS: dict[str, str] = {}


def source_line(file: str, line: int) -> str | None:
    """Line LINE (1-based) of a network text read by load_network, or None."""
    lines = _TEXTS.get(file, "").removeprefix("\ufeff").splitlines()  # as the parser reads it
    return lines[line - 1] if 0 < line <= len(lines) else None


def _parse(text: str, file: str) -> Network:
    _TEXTS[file] = text
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
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CnnCalcError(
            f"cannot read '{path}': no such file",
            hint="give a .cnn or .json file, '-' for stdin, zoo:NAME (see `cnncalc zoo`) "
            "or a model reference such as torchvision:resnet18",
        ) from None
    except IsADirectoryError:
        raise CnnCalcError(f"cannot read '{path}': it is a directory", hint="give a .cnn or .json file") from None
    except UnicodeDecodeError as err:
        raise CnnCalcError(
            f"cannot read '{path}': not UTF-8 text ({err.reason} at byte {err.start})", hint="save the file as UTF-8"
        ) from None
    except OSError as err:
        raise CnnCalcError(f"cannot read '{path}': {err.strerror}") from None


def parse_kwargs(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
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
