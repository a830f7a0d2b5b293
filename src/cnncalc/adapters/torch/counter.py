"""MAC formulas of the aten operators that multiply matrices, keyed by operator.

The dispatch-level counter (trace.py) looks every aten call up here. Only operators that do
multiply-accumulate work are listed: everything else costs 0 MACs (element-wise work is counted
separately, as FLOPs, when the conventions ask for it). A formula is registered once per
operator; registering one twice is a programming error.

>>> import torch
>>> a, b = torch.empty(2, 3, device="meta"), torch.empty(3, 4, device="meta")
>>> FORMULAS[torch.ops.aten.mm]((a, b), {}, None)
24
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import torch

aten = torch.ops.aten

Formula = Callable[[Sequence[Any], dict[str, Any], Any], int]
FORMULAS: dict[Any, Formula] = {}


def formula(*ops: Any) -> Callable[[Formula], Formula]:
    """Register a MAC formula for aten operator packets; a second registration is refused."""

    def add(fn: Formula) -> Formula:
        for op in ops:
            if op in FORMULAS:
                raise RuntimeError(f"a MAC formula for {op} is registered twice")
            FORMULAS[op] = fn
        return fn

    return add


def _dims(t: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in t.shape)


@formula(aten.mm)
def _mm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    (n, k), (_, m) = _dims(args[0]), _dims(args[1])
    return n * k * m


@formula(aten.addmm)
def _addmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    return _mm(args[1:], kwargs, out)


@formula(aten.bmm)
def _bmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    (b, n, k), (_, _, m) = _dims(args[0]), _dims(args[1])
    return b * n * k * m


@formula(aten.baddbmm)
def _baddbmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    return _bmm(args[1:], kwargs, out)


@formula(aten.convolution, aten._convolution)
def _convolution(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """Plain: every output position meets C_in/g·∏k weights. Transposed: every input position does."""
    x, w = args[0], args[1]
    transposed = bool(args[6]) if len(args) > 6 else bool(kwargs.get("transposed", False))
    per_weight_row = prod(_dims(w)[1:])  # plain: C_in/g·∏k; transposed: C_out/g·∏k
    if transposed:
        return int(x.numel()) * per_weight_row
    return int(out.numel()) * per_weight_row


@formula(
    aten._scaled_dot_product_efficient_attention,
    aten._scaled_dot_product_flash_attention,
    aten._scaled_dot_product_flash_attention_for_cpu,
    aten._scaled_dot_product_cudnn_attention,
    aten._scaled_dot_product_fused_attention_overrideable,
)
def _sdpa(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """Q·Kᵀ and A·V: (…, L, E) queries, (…, S, E) keys, (…, S, Ev) values."""
    q, k, v = _dims(args[0]), _dims(args[1]), _dims(args[2])
    lead, length, e = prod(q[:-2]), q[-2], q[-1]
    return lead * length * k[-2] * e + lead * length * k[-2] * v[-1]


@formula(aten._native_multi_head_attention)
def _native_mha(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """The fused fast path of nn.MultiheadAttention: 4 projections plus the two attention products."""
    q, k = _dims(args[0]), _dims(args[1])
    e = int(args[3])
    lead = prod(q[:-2]) if len(q) > 2 else 1
    length, source = q[-2], k[-2]
    return lead * (2 * length * e * e + 2 * source * e * e + 2 * length * source * e)


def macs_of(func: Any, args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """The MACs of one aten call: its formula's, or 0 for an operator without one."""
    fn = FORMULAS.get(func.overloadpacket)
    return fn(args, kwargs, out) if fn is not None else 0
