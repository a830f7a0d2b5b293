"""Measured ONNX ops: why they are measured, and the work they do.

``REASONS``: ops without a core kind, measured on purpose (Pow, Split, Einsum, Attention, …).
``WORK``: the multiply-accumulates of measured ops that do products (Einsum, opset 23's Attention, a MatMul
that broadcasts, a Conv whose weights are computed), so that totals do not drop them. ``ELEMENTWISE`` and
``ACTIVATIONS``: ops whose measured rows count one element-wise operation per output element.
"""

from __future__ import annotations

from collections.abc import Callable

from ...expr import ZERO, Expr, Quantity, Var, product
from .values import NodeView

#: ops the table reads as element-wise activations
ACTIVATIONS = frozenset({
    "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "Gelu", "Softmax", "LogSoftmax", "Softplus", "Softsign",
    "HardSigmoid", "HardSwish", "Mish", "Swish", "Exp", "PRelu",
})

#: ops in the table of measured ops: the reason their rows are measured (no core kind)
REASONS: dict[str, str] = {
    "Pow": "element-wise power",
    "Sqrt": "element-wise square root", "Erf": "the error function (a GELU written out)",
    "Split": "a split into several outputs", "Slice": "a slice", "Einsum": "an Einsum contraction",
    "Attention": "attention on projected queries, keys and values (opset 23)",
    "Expand": "a broadcast copy", "Cast": "a type cast", "Shape": "the shape of a tensor",
}

#: element-wise ops: their measured rows count one element-wise operation per output element
ELEMENTWISE = frozenset({
    "Sub", "Div", "Pow", "Sqrt", "Erf", "Log", "Abs", "Neg", "Reciprocal", "Max", "Min", "Mean", "Where",
    "Floor", "Ceil", "Round", "Sin", "Cos", "Not", "And", "Or", "Equal", "Less", "Greater", "LessOrEqual",
    "GreaterOrEqual", "Clip", "Sign", "ThresholdedRelu", "Celu", "Shrink", "BitShift", "Mod",
})


def _matmul_macs(node: NodeView) -> Quantity:
    a, b = node.dims(0), node.dims(1)
    if len(a) < 2 or len(b) < 2:
        return Quantity(Var("n", a[-1] if a else 1) * Var("m", b[-1] if b else 1)) if a and b else Quantity(ZERO)
    out = node.out_dims(0)
    lead = out[:-2]
    factors: list[Expr] = [Var("b", d) for d in lead]
    return Quantity(product([*factors, Var("n", a[-2]), Var("k", a[-1]), Var("m", b[-1])]))


def _gemm_macs(node: NodeView) -> Quantity:
    out = node.out_dims(0)
    a = node.dims(0)
    k = a[0] if int(node.attrs.get("transA", 0)) else a[-1]
    return Quantity(Var("M", out[0]) * Var("K", k) * Var("N", out[1]))


def _einsum_macs(node: NodeView) -> Quantity:
    """Every index's size multiplied once: the products an einsum of two operands does."""
    equation = node.attr_str("equation", "").replace(" ", "")
    left = equation.split("->")[0].split(",")
    if len(left) < 2 or "." in equation:
        return Quantity(ZERO)
    sizes: dict[str, int] = {}
    for slot, term in enumerate(left):
        dims = node.dims(slot)
        if len(dims) != len(term):
            return Quantity(ZERO)
        sizes.update(zip(term, dims))
    return Quantity(product([Var(k, v) for k, v in sizes.items()]))


def _attention_macs(node: NodeView) -> Quantity:
    """Q·Kᵀ and weights·V of the opset-23 Attention op: B·H·L·S·(dₖ + dᵥ)."""
    q, k, v = node.dims(0), node.dims(1), node.dims(2)
    if len(q) == 4 and len(k) == 4 and len(v) == 4:
        b, h, length, dk = q
        s, dv = k[2], v[3]
    elif len(q) == 3 and len(k) == 3 and len(v) == 3:
        heads = int(node.attrs.get("q_num_heads", 1))
        b, length, h, s = q[0], q[1], heads, k[1]
        dk, dv = q[2] // heads, v[2] // int(node.attrs.get("kv_num_heads", heads))
    else:
        return Quantity(ZERO)
    dims: list[Expr] = [Var("B", b), Var("H", h), Var("L", length), Var("S", s)]
    return Quantity(product(dims) * (Var("dₖ", dk) + Var("dᵥ", dv)))


def _conv_macs(node: NodeView) -> Quantity:
    w, out = node.dims(1), node.out_dims(0)
    factors: list[Expr] = [Var("N", out[0]), *(Var("o", d) for d in out[2:]), Var("k", w[0])]
    return Quantity(product([*factors, *(Var("f", d) for d in w[2:]), Var("d/g", w[1])]))


WORK: dict[str, Callable[[NodeView], Quantity]] = {
    "MatMul": _matmul_macs, "Gemm": _gemm_macs, "Einsum": _einsum_macs, "Attention": _attention_macs,
    "Conv": _conv_macs,
}
