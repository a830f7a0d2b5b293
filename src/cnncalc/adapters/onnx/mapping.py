"""The explicit table from ONNX op types to cnncalc's core kinds.

Keyed by op type in the default domain (``ai.onnx``); an op of another domain (``com.microsoft``) is never
guessed from its name. Each entry builds the core layer from the node's attributes and constant inputs and
says how to read its tensors as core shapes: conv-like ops see ONNX's (N, C, *spatial) as the canonical
channels-last (*spatial, C) (``image``); matrix-like ops see (N, …, features) as (…, features)
(``plain``); element-wise ops keep their input's layout (``follow``). The batch axis N becomes the row's
repeat. A configuration no kind models raises ``NotMapped`` with the reason, and the node is measured.

Ops measured on purpose, and the work of measured ops, are in ``measured``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...kinds import (
    Activation,
    AvgPool,
    BatchNorm,
    Concat,
    Conv,
    ConvTranspose,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    InstanceNorm,
    Layer,
    LayerNorm,
    MatMul,
    MaxPool,
    PReLU,
    Reshape,
    Upsample,
    ZeroPad,
)
from ...kinds.merge import Add, Combine, Multiply
from ...kinds.pool import GlobalPool
from .values import Dims, NodeView

View = str  # "image" | "plain" | "follow"


class NotMapped(Exception):
    """The op is in the table but this configuration has no core kind (the reason)."""


@dataclass(frozen=True)
class Mapped:
    """A node read as a core layer: the layer, how to read its tensors, which inputs the layer takes."""

    layer: Layer
    view: View
    #: the input slots given to the layer as its inputs, in order (the rest are parameters or constants)
    slots: tuple[int, ...] = (0,)
    #: the output's layout when it differs from the inputs' (a reshape to a sequence, a global pool)
    out_view: View | None = None
    #: parameter slots that hold running statistics (BatchNorm's mean and variance)
    state: frozenset[int] = field(default_factory=frozenset)
    notes: tuple[str, ...] = ()


def _ints(value: Any, name: str) -> tuple[int, ...]:
    if value is None:
        raise NotMapped(f"attribute {name} is missing")
    return tuple(int(v) for v in value)


def _spatial(node: NodeView) -> int:
    dims = node.dims(0)
    if len(dims) < 3:
        raise NotMapped(f"an input of rank {len(dims)} (conv-like ops need (N, C, spatial…))")
    return len(dims) - 2


def _padding(node: NodeView, kernel: tuple[int, ...], strides: tuple[int, ...],
             dilations: tuple[int, ...]) -> Any:
    """ONNX's pads [b1, b2, …, e1, e2, …] or auto_pad as the core's (before, after) pairs (or 'same')."""
    n = len(kernel)
    auto = node.attr_str("auto_pad", "NOTSET")
    if auto == "VALID":
        return ((0, 0),) * n
    if auto == "SAME_UPPER":
        return "same"
    if auto == "SAME_LOWER":
        ins = node.dims(0)[2:]
        pairs = []
        for i, k, s, d in zip(ins, kernel, strides, dilations):
            total = max((-(-i // s) - 1) * s + d * (k - 1) + 1 - i, 0)
            pairs.append((total - total // 2, total // 2))
        return tuple(pairs)
    if auto not in ("NOTSET", ""):
        raise NotMapped(f"auto_pad={auto!r}")
    pads = _ints(node.attrs.get("pads", [0] * 2 * n), "pads")
    if len(pads) != 2 * n or any(p < 0 for p in pads):
        raise NotMapped(f"pads {pads} for a {n}-D window (negative or of the wrong length)")
    return tuple((pads[i], pads[i + n]) for i in range(n))


def _window(node: NodeView, kernel: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...], Any]:
    n = len(kernel)
    strides = _ints(node.attrs.get("strides", [1] * n), "strides")
    dilations = _ints(node.attrs.get("dilations", [1] * n), "dilations")
    if len(strides) != n or len(dilations) != n:
        raise NotMapped(f"strides {strides} or dilations {dilations} for a {n}-D kernel")
    return strides, dilations, _padding(node, kernel, strides, dilations)


def _weights(node: NodeView, slot: int, what: str) -> Dims:
    if not node.is_const(slot):
        raise NotMapped(f"the {what} are computed in the graph, not stored (no parameters to count)")
    return node.dims(slot)


def _conv(node: NodeView) -> Mapped:
    n = _spatial(node)
    w = _weights(node, 1, "weights")
    kernel = _ints(node.attrs.get("kernel_shape", w[2:]), "kernel_shape")
    if len(kernel) != n or len(w) != n + 2:
        raise NotMapped(f"a kernel {kernel} for {n} spatial axes")
    strides, dilations, padding = _window(node, kernel)
    group = int(node.attrs.get("group", 1))
    layer = Conv(filters=w[0], kernel_size=kernel, stride=strides, padding=padding, dilation=dilations,
                 groups=group, bias=node.has(2), ndim=n, in_channels=node.dims(0)[1])
    return Mapped(layer, "image")


def _conv_transpose(node: NodeView) -> Mapped:
    n = _spatial(node)
    w = _weights(node, 1, "weights")
    if "output_shape" in node.attrs:
        raise NotMapped("output_shape given (the padding follows from it)")
    kernel = _ints(node.attrs.get("kernel_shape", w[2:]), "kernel_shape")
    strides, dilations, padding = _window(node, kernel)
    if isinstance(padding, str):
        raise NotMapped("auto_pad SAME on a transposed convolution")
    group = int(node.attrs.get("group", 1))
    out_pad = _ints(node.attrs.get("output_padding", [0] * n), "output_padding")
    layer = ConvTranspose(filters=w[1] * group, kernel_size=kernel, stride=strides, padding=padding,
                          dilation=dilations, groups=group, bias=node.has(2), ndim=n, output_padding=out_pad)
    return Mapped(layer, "image")


def _gemm(node: NodeView) -> Mapped:
    if int(node.attrs.get("transA", 0)):
        raise NotMapped("transA=1 (the input transposed)")
    trans_b = bool(int(node.attrs.get("transB", 0)))
    if not node.is_const(1):
        return Mapped(MatMul(transpose_b=trans_b), "plain", slots=(0, 1)) if not node.has(2) else _no(
            "a product of two computed matrices plus a bias")
    b = node.dims(1)
    if len(b) != 2:
        raise NotMapped(f"weights of rank {len(b)}")
    units, features = (b[0], b[1]) if trans_b else (b[1], b[0])
    return Mapped(Dense(units, bias=node.has(2), flatten=False, in_features=features), "plain")


def _no(why: str) -> Mapped:
    raise NotMapped(why)


def _matmul(node: NodeView) -> Mapped:
    a, b = node.dims(0), node.dims(1)
    if len(a) < 2 or len(b) < 2:
        raise NotMapped("a vector operand (rank 1)")
    if node.is_const(0):
        raise NotMapped("the stored matrix on the left")
    if node.is_const(1):
        if len(b) != 2:
            raise NotMapped(f"stored weights of rank {len(b)}")
        return Mapped(Dense(b[1], bias=False, flatten=False, in_features=b[0]), "plain",
                      notes=("a product with stored weights: a dense layer without bias",))
    return Mapped(MatMul(), "plain", slots=(0, 1))


def _batchnorm(node: NodeView) -> Mapped:
    if "spatial" in node.attrs and not int(node.attrs["spatial"]):
        raise NotMapped("spatial=0 (statistics per element, not per channel)")
    view = "image" if len(node.dims(0)) >= 3 else "plain"
    return Mapped(BatchNorm(), view, state=frozenset({3, 4}))


def _layernorm(node: NodeView) -> Mapped:
    rank = len(node.dims(0))
    axis = int(node.attrs.get("axis", -1)) % max(rank, 1)
    if axis == 0:
        raise NotMapped("normalisation over the batch axis too")
    return Mapped(LayerNorm(axes=rank - axis, bias=node.has(2)), "plain")


def _instancenorm(node: NodeView) -> Mapped:
    _spatial(node)
    return Mapped(InstanceNorm(affine=True), "image")


def _pool_kernel(node: NodeView) -> tuple[int, ...]:
    n = _spatial(node)
    kernel = _ints(node.attrs.get("kernel_shape"), "kernel_shape")
    if len(kernel) != n:
        raise NotMapped(f"a kernel {kernel} for {n} spatial axes")
    return kernel


def _maxpool(node: NodeView) -> Mapped:
    kernel = _pool_kernel(node)
    strides, dilations, padding = _window(node, kernel)
    if int(node.attrs.get("storage_order", 0)):
        raise NotMapped("storage_order=1")
    layer = MaxPool(kernel_size=kernel, stride=strides, padding=padding, dilation=dilations,
                    ceil_mode=bool(int(node.attrs.get("ceil_mode", 0))), ndim=len(kernel))
    return Mapped(layer, "image")


def _avgpool(node: NodeView) -> Mapped:
    kernel = _pool_kernel(node)
    strides, dilations, padding = _window(node, kernel)
    if any(d != 1 for d in dilations):
        raise NotMapped(f"dilations {dilations} on average pooling")
    layer = AvgPool(kernel_size=kernel, stride=strides, padding=padding,
                    ceil_mode=bool(int(node.attrs.get("ceil_mode", 0))), ndim=len(kernel))
    notes = () if int(node.attrs.get("count_include_pad", 0)) else (
        "padded positions not counted in the average (count_include_pad=0)",)
    return Mapped(layer, "image", notes=notes if any(a or b for a, b in _pairs(padding)) else ())


def _pairs(padding: Any) -> tuple[tuple[int, int], ...]:
    return padding if isinstance(padding, tuple) else ((1, 1),)


def _global(op: str) -> Callable[[NodeView], Mapped]:
    def build(node: NodeView) -> Mapped:
        _spatial(node)
        return Mapped(GlobalPool(op=op, keepdims=True), "image")

    return build


def _reduce(op: str) -> Callable[[NodeView], Mapped]:
    """ReduceMean/ReduceMax over every spatial axis of an image: global pooling (the dynamo exporter's form)."""

    def build(node: NodeView) -> Mapped:
        rank = len(node.dims(0))
        if node.layout(0) != "image" or rank < 3:
            raise NotMapped("a reduction that is not over the spatial axes of an image")
        axes = node.attrs.get("axes")
        if axes is None and node.has(1):
            axes = node.const_ints(1)
        if axes is None or sorted(int(a) % rank for a in axes) != list(range(2, rank)):
            raise NotMapped(f"a reduction over axes {axes} (global pooling reduces the spatial axes)")
        keep = bool(int(node.attrs.get("keepdims", 1)))
        return Mapped(GlobalPool(op=op, keepdims=keep), "image", out_view=None if keep else "plain")

    return build


def _resize(node: NodeView) -> Mapped:
    ins, out = node.dims(0), node.out_dims(0)
    n = _spatial(node)
    if out[:2] != ins[:2]:
        raise NotMapped("resizing the batch or channel axis")
    mode = node.attr_str("mode", "nearest").lower()
    kinds = {"nearest": {1: "nearest", 2: "nearest", 3: "nearest"}, "linear": {1: "linear", 2: "bilinear", 3:
             "trilinear"}, "bilinear": {2: "bilinear"}, "cubic": {2: "bicubic"}}
    core = kinds.get(mode, {}).get(n)
    if core is None:
        raise NotMapped(f"mode {mode!r} on {n} spatial axes")
    pairs = list(zip(ins[2:], out[2:]))
    if all(o % i == 0 for i, o in pairs):
        return Mapped(Upsample(tuple(o // i for i, o in pairs), mode=core), "image")
    return Mapped(Upsample(size=tuple(o for _, o in pairs), mode=core), "image")


def _pad(node: NodeView) -> Mapped:
    rank = len(node.dims(0))
    pads = node.attrs.get("pads") if "pads" in node.attrs else node.const_ints(1)
    if pads is None:
        raise NotMapped("pads computed in the graph")
    axes: Any = list(range(rank))
    if node.has(3):
        axes = node.const_ints(3)
        if axes is None:
            raise NotMapped("axes computed in the graph")
    axes = [int(a) % rank for a in axes]
    if len(pads) != 2 * len(axes):
        raise NotMapped(f"pads {tuple(pads)} for axes {tuple(axes)}")
    full = [(0, 0)] * rank
    for i, a in enumerate(axes):
        full[a] = (int(pads[i]), int(pads[i + len(axes)]))
    if rank < 3 or full[0] != (0, 0) or full[1] != (0, 0) or any(a < 0 or b < 0 for a, b in full):
        raise NotMapped(f"padding {tuple(full)} (of the batch or channel axis, or negative: a crop)")
    mode = node.attr_str("mode", "constant")
    notes = () if mode == "constant" else (f"mode {mode!r}: the same shapes and counts as zero padding",)
    return Mapped(ZeroPad(tuple(full[2:])), "image", notes=notes)


def _concat(node: NodeView) -> Mapped:
    slots = tuple(i for i in range(len(node.inputs)) if node.has(i))
    return Mapped(Concat(dim=int(node.attrs.get("axis", 1))), "follow", slots=slots)


def _merge(kind: Callable[[], Layer]) -> Callable[[NodeView], Mapped]:
    def build(node: NodeView) -> Mapped:
        slots = tuple(i for i in range(len(node.inputs)) if node.has(i))
        if len(slots) < 2:
            raise NotMapped("a single operand")
        return Mapped(kind(), "follow", slots=slots)

    return build


def _activation(name: str) -> Callable[[NodeView], Mapped]:
    def build(node: NodeView) -> Mapped:
        return Mapped(Activation(name), "follow")

    return build


def _clip(node: NodeView) -> Mapped:
    low = node.attrs.get("min") if "min" in node.attrs else node.const_float(1)
    high = node.attrs.get("max") if "max" in node.attrs else node.const_float(2)
    if low == 0 and high == 6:
        return Mapped(Activation("relu6"), "follow", notes=("Clip(0, 6)",))
    if low == 0 and high is None and not node.has(2):
        return Mapped(Activation("relu"), "follow", notes=("Clip(0, ∞)",))
    raise NotMapped(f"Clip({low}, {high}) (the core knows Clip(0, 6) as relu6)")


def _prelu(node: NodeView) -> Mapped:
    slope = _weights(node, 1, "slopes")
    return Mapped(PReLU(max(math.prod(slope), 1)), "follow")


def _dropout(node: NodeView) -> Mapped:
    rate = node.attrs.get("ratio") if "ratio" in node.attrs else node.const_float(1)
    return Mapped(Dropout(0.5 if rate is None else float(rate)), "follow")


def _flatten(node: NodeView) -> Mapped:
    axis = int(node.attrs.get("axis", 1)) % max(len(node.dims(0)), 1)
    if axis == 1:
        return Mapped(Flatten(), "follow", out_view="plain")
    return _reshape(node)


def _reshape(node: NodeView) -> Mapped:
    """Reshape, Transpose, Squeeze, Unsqueeze, Flatten(axis > 1): a reshape of each sample when the batch axis
    stays where it is; the target is the output seen in its own layout."""
    ins, out = node.dims(0), node.out_dims(0)
    perm = node.attrs.get("perm")
    if not ins or not out or ins[0] != out[0] or (perm is not None and int(perm[0]) != 0):
        raise NotMapped("the batch axis is reshaped or moved")
    target = node.out_shape(0)
    notes = (f"a permutation of axes {tuple(int(p) for p in perm)}: no arithmetic, counted as a reshape",) \
        if perm is not None else ()
    return Mapped(Reshape(target.dims if target.dims else (1,), spatial=target.spatial), "follow",
                  out_view=node.out_layout(0), notes=notes)


def _gather(node: NodeView) -> Mapped:
    if int(node.attrs.get("axis", 0)) != 0 or not node.is_const(0) or node.is_const(1):
        raise NotMapped("not a look-up of computed indices in a stored table (axis 0)")
    table = node.dims(0)
    if len(table) != 2:
        raise NotMapped(f"a table of rank {len(table)}")
    return Mapped(Embedding(table[0], table[1]), "plain", slots=(1,))


TABLE: dict[str, Callable[[NodeView], Mapped]] = {
    "Conv": _conv, "ConvTranspose": _conv_transpose, "Gemm": _gemm, "MatMul": _matmul,
    "BatchNormalization": _batchnorm, "LayerNormalization": _layernorm, "InstanceNormalization": _instancenorm,
    "MaxPool": _maxpool, "AveragePool": _avgpool,
    "GlobalAveragePool": _global("avg"), "GlobalMaxPool": _global("max"),
    "ReduceMean": _reduce("avg"), "ReduceMax": _reduce("max"),
    "Resize": _resize, "Upsample": _resize, "Pad": _pad,
    "Concat": _concat, "Add": _merge(Add), "Sum": _merge(Add), "Mul": _merge(Multiply),
    "Sub": _merge(lambda: Combine("subtract")), "Div": _merge(lambda: Combine("divide")),
    "Max": _merge(lambda: Combine("maximum")), "Min": _merge(lambda: Combine("minimum")),
    "Mean": _merge(lambda: Combine("average")),
    "Relu": _activation("relu"), "Sigmoid": _activation("sigmoid"), "Tanh": _activation("tanh"),
    "LeakyRelu": _activation("leaky_relu"), "Elu": _activation("elu"), "Selu": _activation("selu"),
    "Gelu": _activation("gelu"), "Softmax": _activation("softmax"), "LogSoftmax": _activation("log_softmax"),
    "Softplus": _activation("softplus"), "Softsign": _activation("softsign"),
    "HardSigmoid": _activation("hardsigmoid"), "HardSwish": _activation("hardswish"), "Mish": _activation("mish"),
    "Swish": _activation("silu"), "Exp": _activation("exponential"), "Identity": _activation("identity"),
    "Clip": _clip, "PRelu": _prelu, "Dropout": _dropout,
    "Flatten": _flatten, "Reshape": _reshape, "Transpose": _reshape, "Squeeze": _reshape, "Unsqueeze": _reshape,
    "Gather": _gather,
}
