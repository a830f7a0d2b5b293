"""Layer kinds: one frozen dataclass per kind, grouped by family, all listed in one registry."""

from __future__ import annotations

from .activation import Activation, Dropout, PReLU
from .attention import MultiHeadAttention
from .base import KINDS, Computed, KindEntry, Layer, RFRule, RFStep, build, register
from .conv import Conv, ConvTranspose, DepthwiseConv, SeparableConv
from .linear import Dense, Embedding
from .merge import Add, Combine, Concat, MatMul, Multiply
from .norm import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, LocalResponseNorm, RMSNorm
from .pool import AdaptivePool, AvgPool, GlobalPool, MaxPool
from .recurrent import Recurrent
from .structural import Crop, Flatten, Input, Reshape, Select, Upsample, ZeroPad

__all__ = [
    "Activation",
    "AdaptivePool",
    "Add",
    "AvgPool",
    "BatchNorm",
    "Combine",
    "Computed",
    "Concat",
    "Conv",
    "ConvTranspose",
    "Crop",
    "Dense",
    "DepthwiseConv",
    "Dropout",
    "Embedding",
    "Flatten",
    "GlobalPool",
    "GroupNorm",
    "Input",
    "InstanceNorm",
    "KINDS",
    "KindEntry",
    "Layer",
    "LayerNorm",
    "LocalResponseNorm",
    "MatMul",
    "MaxPool",
    "MultiHeadAttention",
    "Multiply",
    "PReLU",
    "RFRule",
    "RFStep",
    "RMSNorm",
    "Recurrent",
    "Reshape",
    "Select",
    "SeparableConv",
    "Upsample",
    "ZeroPad",
    "build",
    "register",
]
