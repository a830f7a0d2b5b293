"""A zoo of reference networks, shipped as text-format (.cnn) files inside the package.

Each network is one file, ``<name>.cnn``, written by hand from its paper or from torchvision's code; the file
is the only source of its numbers (nothing here is a stored result). Its leading comment says what it is and
the published figure it must reproduce; ``describe`` shows that line.

>>> "resnet50" in names()
True
>>> path("vgg16").name
'vgg16.cnn'
>>> load("resnet5")
Traceback (most recent call last):
    ...
cnncalc.errors.ArgumentError: unknown zoo network 'resnet5'
  hint: did you mean 'resnet50'? (`cnncalc zoo` lists them)
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import ArgumentError, UnsupportedError
from ..kinds.base import suggest
from ..network import Network

#: the folder that holds the .cnn files (package data: see pyproject's package-data)
HERE = Path(__file__).resolve().parent
SUFFIX = ".cnn"


def names() -> list[str]:
    """The zoo's networks, sorted: the file names without ``.cnn``."""
    return sorted(p.name[: -len(SUFFIX)] for p in HERE.glob(f"*{SUFFIX}"))


def path(name: str) -> Path:
    """The .cnn file of a zoo network; an unknown name raises ArgumentError with "did you mean"."""
    known = names()
    key = name.strip().lower().removeprefix("zoo:")
    # '-' and '_' are interchangeable: lenet5_modern finds lenet5-modern, mobilenet-v2 finds mobilenet_v2
    spelled = {n.replace("-", "_"): n for n in known}
    key = spelled.get(key.replace("-", "_"), key)
    if key not in known:
        guess = suggest(key, known)
        hint = f"did you mean '{guess}'?" if guess else "choose one of " + ", ".join(known)
        raise ArgumentError(f"unknown zoo network '{name}'", hint=hint + " (`cnncalc zoo` lists them)")
    return HERE / f"{key}{SUFFIX}"


def load(name: str) -> Network:
    """Parse a zoo network's file with the text-format parser into a Network."""
    file = path(name)
    try:
        textformat = importlib.import_module("cnncalc.textformat")
    except ImportError as exc:  # the parser is a separate module of the package
        raise UnsupportedError(
            f"cannot read zoo network '{name}': the text-format parser is not available ({exc})"
        ) from None
    reader = getattr(textformat, "load", None)
    if reader is None:
        raise UnsupportedError(f"cannot read zoo network '{name}': cnncalc.textformat has no load() yet")
    network = reader(str(file))
    if not isinstance(network, Network):
        raise UnsupportedError(f"the text-format parser returned {type(network).__name__}, not a Network")
    return network


def header(name: str) -> list[str]:
    """The comment lines at the top of a zoo file, without their ``#``."""
    lines: list[str] = []
    for line in path(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return lines


def describe(name: str) -> str:
    """One line: what the network is and where it comes from, and the reference figure it reproduces.

    >>> print(describe("resnet50"))  # doctest: +ELLIPSIS
    ResNet-50 as torchvision builds it ... Reference: 25,557,032 params and 4.089 G MACs at 224x224 ...
    """
    lines = header(name)
    if not lines:
        return name
    what = lines[0]
    reference = next((line for line in lines if line.startswith("Reference:")), None)
    return f"{what} {reference}" if reference and reference not in what else what
