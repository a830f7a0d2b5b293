"""cnncalc: shapes, parameters, MACs/FLOPs, receptive field and memory of a neural network, explained.

>>> import cnncalc as cc
>>> from cnncalc.layers import Input, Conv, MaxPool, Dense
>>> net = cc.Network.chain(
...     ("Input", Input((32, 32, 3))),
...     ("CONV1", Conv(8, kernel_size=5)), ("POOL1", MaxPool(2)),
...     ("CONV2", Conv(16, kernel_size=5)), ("POOL2", MaxPool(2)),
...     ("FC3", Dense(120)), ("FC4", Dense(84)), ("Softmax", Dense(10, activation="softmax")),
... )
>>> result = cc.analyze(net)
>>> result.totals.params  # 0 + 608 + 0 + 3216 + 0 + 48120 + 10164 + 850
62958
>>> print(result["CONV1"].trainable)
((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608

The core uses the standard library only; framework adapters are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import layers, textformat
from .analysis import Result, Row, Totals, analyze
from .conventions import Conventions
from .errors import (
    ArgumentError,
    CnnCalcError,
    GraphError,
    MergeError,
    ParseError,
    ReshapeError,
    ShapeError,
    UnsupportedError,
)
from .expr import Quantity
from .kinds import KINDS, Layer, build
from .network import Graph, Network, Node, Source
from .shape import Shape
from .textformat import dump, load, parse

if TYPE_CHECKING:
    from .analysis.training import Training

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Parts imported only when first used: ``check`` (the table checker), ``Training`` (training memory),
    ``from_torch`` (the PyTorch adapter, and torch), ``from_onnx`` and ``from_keras``."""
    if name == "Training":
        from .analysis.training import Training

        return Training
    if name == "check":
        from .check import check

        return check
    if name == "from_torch":
        from .adapters.torch import from_torch

        return from_torch
    if name in ("from_onnx", "from_keras"):
        import importlib

        return getattr(importlib.import_module(f".adapters.{name[5:]}", __name__), name)
    raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")

__all__ = [
    "KINDS", "ArgumentError", "CnnCalcError", "Conventions", "Graph", "GraphError", "Layer", "MergeError",
    "Network", "Node", "ParseError", "Quantity", "ReshapeError", "Result", "Row", "Shape", "ShapeError",
    "Source", "Totals", "Training", "UnsupportedError", "__version__", "analyze", "build", "check", "dump", "layers",
    "load", "parse", "textformat",
]
