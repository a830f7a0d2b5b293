"""Layer kinds: one frozen dataclass per kind, grouped by family, all listed in one registry.

A family's module is imported when one of its classes or kinds is first used (``KINDS``, cnncalc.kinds.index):
``from cnncalc.kinds import Conv`` imports the convolutions only.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .base import KINDS, Computed, KindEntry, Layer, RFRule, RFStep, build, register

if TYPE_CHECKING:
    from .activation import Activation, Dropout, PReLU
    from .attention import MultiHeadAttention
    from .conv import Conv, DepthwiseConv, SeparableConv
    from .linear import Dense, Embedding
    from .merge import Add, Combine, Concat, MatMul, Multiply
    from .norm import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, LocalResponseNorm, RMSNorm
    from .pool import AdaptivePool, AvgPool, GlobalPool, MaxPool
    from .recurrent import Recurrent
    from .resize import Crop, Select, Upsample, ZeroPad
    from .structural import Flatten, Input, Reshape
    from .transpose import ConvTranspose

#: each public kind class → its family's module (a test checks this against the classes themselves)
CLASS_MODULES: dict[str, str] = {
    "Activation": "activation", "Dropout": "activation", "PReLU": "activation",
    "MultiHeadAttention": "attention",
    "Conv": "conv", "ConvTranspose": "transpose", "DepthwiseConv": "conv", "SeparableConv": "conv",
    "Dense": "linear", "Embedding": "linear",
    "Add": "merge", "Combine": "merge", "Concat": "merge", "MatMul": "merge", "Multiply": "merge",
    "BatchNorm": "norm", "GroupNorm": "norm", "InstanceNorm": "norm", "LayerNorm": "norm",
    "LocalResponseNorm": "norm", "RMSNorm": "norm",
    "AdaptivePool": "pool", "AvgPool": "pool", "GlobalPool": "pool", "MaxPool": "pool",
    "Recurrent": "recurrent",
    "Flatten": "structural", "Input": "structural", "Reshape": "structural",
    "Crop": "resize", "Select": "resize", "Upsample": "resize", "ZeroPad": "resize",
}


def __getattr__(name: str) -> Any:
    module = CLASS_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)


__all__ = [
    "Activation", "AdaptivePool", "Add", "AvgPool", "BatchNorm", "Combine", "Computed", "Concat", "Conv",
    "ConvTranspose", "Crop", "Dense", "DepthwiseConv", "Dropout", "Embedding", "Flatten", "GlobalPool", "GroupNorm",
    "Input", "InstanceNorm", "KINDS", "KindEntry", "Layer", "LayerNorm", "LocalResponseNorm", "MatMul", "MaxPool",
    "MultiHeadAttention", "Multiply", "PReLU", "RFRule", "RFStep", "RMSNorm", "Recurrent", "Reshape", "Select",
    "SeparableConv", "Upsample", "ZeroPad", "build", "register",
]
