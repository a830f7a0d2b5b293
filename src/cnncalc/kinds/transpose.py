"""Transposed convolution (1-D/2-D/3-D, grouped, dilated, output_padding): the layer that upsamples by learning."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArgumentError, ShapeError
from ..expr import Expr, Num, Quantity, Var, maximum, product
from ..shape import Shape, axis_names
from .args import IntOrTuple, check_int, check_ints, expand
from .base import Computed, Counting, MemoryRule, RFStep, q, register
from .conv import CONV_ALIASES, _depth, _Windowed, check_groups, spatial_rank
from .window import Window, kernel_factors


@register("conv_transpose", "deconv")
@register("conv_transpose1d", ndim=1)
@register("conv_transpose2d", ndim=2)
@register("conv_transpose3d", ndim=3)
@dataclass(frozen=True)
class ConvTranspose(_Windowed):
    """Transposed convolution: Ho = (H − 1)·s − p₁ − p₂ + d·(f − 1) + output_padding + 1."""

    kind = "conv_transpose"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input; autocast runs it in bf16/fp16."""
        return MemoryRule(saves_inputs=(0,), lower=True, why="saves its input")
    positional = ("filters", "kernel_size")
    aliases = CONV_ALIASES

    filters: int = 0
    kernel_size: IntOrTuple = 1
    groups: int = 1
    output_padding: IntOrTuple = 0

    def __post_init__(self) -> None:
        check_int("filters", self.filters, 1)
        check_int("groups", self.groups, 1)
        self._check_common()
        object.__setattr__(self, "output_padding", check_ints("output_padding", self.output_padding, 0))

    def _axis(self, name: str, i: int, k: int, s: int, d: int, pads: tuple[int, int], op: int) -> Expr:
        if self.padding == "same" and not op:
            return Var(name, i) * Var("s", s)  # Keras: i·s
        eff: Expr = Var("f", k) if d == 1 else Var("d", d) * (Var("f", k) - 1) + 1
        if self.padding == "valid" and not op:
            return (Var(name, i) - 1) * Var("s", s) + maximum(eff, Var("s", s))  # Keras: max(f, s)
        expr: Expr = (Var(name, i) - 1) * Var("s", s)
        if pads[0] or pads[1]:
            both = Num(2) * Var("p", pads[0]) if pads[0] == pads[1] else Var("p₁", pads[0]) + Var("p₂", pads[1])
            expr = expr - both
        expr = expr + eff
        if op:
            expr = expr + Var("op", op)
        return expr

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        ndim = spatial_rank(self.ndim, x, self.kind)
        kernel = expand("kernel_size", self.kernel_size, ndim)
        stride = expand("stride", self.stride, ndim)
        dil = expand("dilation", self.dilation, ndim)
        ops = expand("output_padding", self.output_padding, ndim)
        if isinstance(self.padding, str):
            pads = tuple(((d * (k - 1)) // 2,) * 2 for k, d in zip(kernel, dil))
            if self.padding == "valid":
                pads = ((0, 0),) * ndim
        else:
            pads = Window.resolve(x.dims[:-1], kernel, stride, dil, self.padding).pads
        for op, s, d in zip(ops, stride, dil):
            if op >= max(s, d):
                raise ArgumentError(
                    f"output_padding must be smaller than max(stride, dilation): {op} ≥ max({s}, {d})",
                    hint=f"use output_padding < {max(s, d)}",
                )
        c_in, k = x.channels, self.filters
        check_groups(c_in, k, self.groups)
        names = axis_names(ndim)
        exprs = [self._axis(n, *a) for n, a in zip(names, zip(x.dims[:-1], kernel, stride, dil, pads, ops))]
        outs = tuple(e.value for e in exprs)
        if min(outs) < 1:
            raise ShapeError(
                f"the output would be empty: {names[outs.index(min(outs))]}_out = {min(outs)}",
                hint="lower the padding or raise the kernel size",
            )
        out = Shape(outs + (k,), spatial=ndim)
        kf = product(kernel_factors(kernel))
        kv = Var("k", k)
        per_filter = product(kernel_factors(kernel) + [_depth(c_in, self.groups)])
        params = (per_filter + 1) * kv if self.bias else per_filter * kv
        in_positions = product([Var(n, i) for n, i in zip(names, x.dims[:-1])])
        out_positions = product([Var(f"{n}o", o) for n, o in zip(names, outs)])
        return self.finish(out, Computed(
            output=out,
            shape_steps=tuple((f"{n}_out", Quantity(e)) for n, e in zip(names, exprs)),
            trainable=q(params),
            macs=q(in_positions * Var("d", c_in) * (Var("k/g", k // self.groups) if self.groups > 1 else kv) * kf),
            bias_flops=q(out_positions * kv) if self.bias else q(0),
            rf=RFStep(tuple(d * (kk - 1) + 1 for kk, d in zip(kernel, dil)), stride,
                      tuple(p[0] for p in pads), transposed=True),
            notes=("MACs use the input's spatial size: every input position meets every kernel tap",),
        ))

