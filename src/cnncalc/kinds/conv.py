"""Convolutions: plain (1-D/2-D/3-D, grouped, dilated), depthwise and separable (transposed:
cnncalc.kinds.transpose)."""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING

from ..errors import ArgumentError, ShapeError
from ..expr import Expr, Quantity, Var, product
from ..shape import Shape
from .activation import activation_flops, check_activation
from .args import IntOrTuple, PaddingSpec, check_int, check_ints, check_padding, expand
from .base import Computed, Counting, Layer, MemoryRule, q, register
from .window import Window, kernel_factors

CONV_ALIASES = {
    "f": "kernel_size",
    "kernel": "kernel_size",
    "k": "filters",
    "out_channels": "filters",
    "s": "stride",
    "strides": "stride",
    "p": "padding",
    "dilation_rate": "dilation",
    "use_bias": "bias",
}


def spatial_rank(layer_ndim: int | None, x: Shape, kind: str) -> int:
    """The number of spatial axes a conv/pool sees: its own ndim, or the input's rank − 1."""
    ndim = layer_ndim if layer_ndim is not None else x.rank - 1
    if ndim < 1 or ndim > 3 or x.rank != ndim + 1:
        want = f"(spatial…, channels) with {ndim} spatial axes" if layer_ndim else "(H, W, C)-like"
        raise ShapeError(
            f"{kind} needs a {want} input, got rank {x.rank} {x}",
            hint="add a reshape before it, or use the conv of matching dimension (conv1d/conv2d/conv3d)",
        )
    return ndim


def _nearest_common_divisors(a: int, b: int, near: int, window: int = 500) -> list[int]:
    """Up to two divisors of both a and b nearest to ``near``: those within ``window`` of it, gcd(a, b)
    and 1 (bounded work, whatever the sizes).

    >>> _nearest_common_divisors(3, 8, 10**18), _nearest_common_divisors(64, 128, 5)
    ([1], [4, 2])
    """
    g = math.gcd(a, b)
    found = {d for d in range(max(near - window, 1), min(near + window, g) + 1) if g % d == 0} | {g, 1}
    return sorted(found, key=lambda d: (abs(d - near), d))[:2]


def check_groups(c_in: int, filters: int, groups: int) -> None:
    if c_in % groups or filters % groups:
        which = "input channels" if c_in % groups else "filters"
        n = c_in if c_in % groups else filters
        raise ShapeError(
            f"{which} must be divisible by groups: {n} mod {groups} = {n % groups}",
            hint=f"use groups that divide both {c_in} input channels and {filters} filters",
            fixes=tuple(f"groups={g}" for g in _nearest_common_divisors(c_in, filters, groups)),
        )


def _depth(c_in: int, groups: int) -> Expr:
    return Var("d", c_in) if groups == 1 else Var("d/g", c_in // groups)


@dataclass(frozen=True)
class _Windowed(Layer):
    """Shared arguments of every convolution (keyword-only; subclasses put theirs first)."""

    if TYPE_CHECKING:
        kernel_size: IntOrTuple

    _: KW_ONLY
    stride: IntOrTuple = 1
    padding: PaddingSpec = 0
    dilation: IntOrTuple = 1
    bias: bool = True
    activation: str | None = None
    ndim: int | None = None

    def _check_common(self) -> None:
        object.__setattr__(self, "kernel_size", check_ints("kernel_size", self.kernel_size, 1))
        object.__setattr__(self, "stride", check_ints("stride", self.stride, 1))
        object.__setattr__(self, "dilation", check_ints("dilation", self.dilation, 1))
        object.__setattr__(self, "padding", check_padding(self.padding))
        object.__setattr__(self, "activation", check_activation(self.activation))
        if not isinstance(self.bias, bool):
            raise ArgumentError(f"bias must be true or false, got {self.bias!r}")
        if self.ndim is not None:
            check_int("ndim", self.ndim, 1)

    def window(self, x: Shape) -> Window:
        ndim = spatial_rank(self.ndim, x, self.kind)
        w = Window.resolve(
            x.dims[:-1],
            expand("kernel_size", self.kernel_size, ndim),
            expand("stride", self.stride, ndim),
            expand("dilation", self.dilation, ndim),
            self.padding,
        )
        w.check()
        return w

    def finish(self, out: Shape, base: Computed) -> Computed:
        """Add the fused activation's work to a computed conv."""
        if not self.activation:
            return base
        return Computed(**{**base.__dict__, "elementwise_flops": activation_flops(self.activation, out.size)})


@register("conv")
@register("conv1d", ndim=1)
@register("conv2d", ndim=2)
@register("conv3d", ndim=3)
@dataclass(frozen=True)
class Conv(_Windowed):
    """Convolution, 1-D to 3-D: params ((f·f·d) + 1)·k, MACs Ho·Wo·k·f·f·d."""

    kind = "conv"
    saves = "input"

    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input (and its weight); autocast runs it in bf16/fp16; a dense k×k convolution (one group,
        a kernel larger than 1×1) is given a cuDNN workspace of up to twice its output while it runs."""
        k = self.kernel_size
        dense = getattr(self, "groups", 1) == 1 and any(v > 1 for v in (k if isinstance(k, tuple) else (k,)))
        return MemoryRule(saves_inputs=(0,), lower=True, workspace=2 if dense else 0,
                          why="saves its input" + ("; cuDNN workspace ≤ 2× its output" if dense else ""))
    positional = ("filters", "kernel_size")
    aliases = CONV_ALIASES | {"in_channels": "in_channels"}

    filters: int = 0
    kernel_size: IntOrTuple = 1
    groups: int = 1
    #: optional: the input channels the layer expects (checked against its input)
    in_channels: int | None = None

    def __post_init__(self) -> None:
        check_int("filters", self.filters, 1)
        check_int("groups", self.groups, 1)
        self._check_common()
        if self.in_channels is not None:
            check_int("in_channels", self.in_channels, 1)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        w = self.window(x)
        c_in, k = x.channels, self.filters
        if self.in_channels is not None and self.in_channels != c_in:
            raise ShapeError(
                f"expects {self.in_channels} input channels, but its input has {c_in}",
                hint="fix in_channels or the previous layer's channels",
            )
        check_groups(c_in, k, self.groups)
        outs = w.outputs()
        out = Shape(outs + (k,), spatial=len(outs))
        per_filter = product(kernel_factors(w.kernel) + [_depth(c_in, self.groups)])
        kv = Var("k", k)
        params = (per_filter + 1) * kv if self.bias else per_filter * kv
        macs = w.positions(outs) * kv * per_filter
        return self.finish(out, Computed(
            output=out,
            shape_steps=tuple(w.padding_step() + w.steps()),
            trainable=q(params),
            macs=q(macs),
            bias_flops=q(w.positions(outs) * kv) if self.bias else q(0),
            rf=w.rf(),
            warnings=w.warnings(),
        ))


@register("depthwise", "depthwise_conv")
@dataclass(frozen=True)
class DepthwiseConv(_Windowed):
    """Depthwise convolution (Keras DepthwiseConv2D): params (f·f + 1)·d·m, one filter per channel."""

    kind = "depthwise"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input; autocast runs it in bf16/fp16."""
        return MemoryRule(saves_inputs=(0,), lower=True, why="saves its input")
    positional = ("kernel_size",)
    aliases = CONV_ALIASES

    kernel_size: IntOrTuple = 1
    depth_multiplier: int = 1

    def __post_init__(self) -> None:
        check_int("depth_multiplier", self.depth_multiplier, 1)
        self._check_common()

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        w = self.window(x)
        outs = w.outputs()
        d, m = Var("d", x.channels), Var("m", self.depth_multiplier)
        out = Shape(outs + (x.channels * self.depth_multiplier,), spatial=len(outs))
        kf = product(kernel_factors(w.kernel))
        params = (kf + 1) * d * m if self.bias else kf * d * m
        return self.finish(out, Computed(
            output=out,
            shape_steps=tuple(w.padding_step() + w.steps()),
            trainable=q(params),
            macs=q(w.positions(outs) * d * m * kf),
            bias_flops=q(w.positions(outs) * d * m) if self.bias else q(0),
            rf=w.rf(),
            warnings=w.warnings(),
        ))


@register("separable", "separable_conv", "separable_conv2d")
@dataclass(frozen=True)
class SeparableConv(_Windowed):
    """Depthwise-separable convolution as Keras's SeparableConv2D counts it: f·f·d·m + (d·m·k + k)."""

    kind = "separable"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input and the depthwise result (the pointwise conv's input)."""
        (x,) = inputs
        mid = Quantity(Var("n_dw", computed.output.size // max(computed.output.channels, 1) * x.channels
                            * getattr(self, "depth_multiplier", 1)))
        return MemoryRule(saves_inputs=(0,), extra=mid, lower=True,
                          why="saves its input and the depthwise output")
    positional = ("filters", "kernel_size")
    aliases = CONV_ALIASES

    filters: int = 0
    kernel_size: IntOrTuple = 1
    depth_multiplier: int = 1

    def __post_init__(self) -> None:
        check_int("filters", self.filters, 1)
        check_int("depth_multiplier", self.depth_multiplier, 1)
        self._check_common()

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        w = self.window(x)
        outs = w.outputs()
        d, m, k = Var("d", x.channels), Var("m", self.depth_multiplier), Var("k", self.filters)
        out = Shape(outs + (self.filters,), spatial=len(outs))
        kf = product(kernel_factors(w.kernel))
        pointwise = d * m * k + k if self.bias else d * m * k
        return self.finish(out, Computed(
            output=out,
            shape_steps=tuple(w.padding_step() + w.steps()),
            trainable=q(kf * d * m + pointwise),
            macs=q(w.positions(outs) * (kf * d * m + d * m * k)),
            bias_flops=q(w.positions(outs) * k) if self.bias else q(0),
            rf=w.rf(),
            warnings=w.warnings(),
            notes=("depthwise f·f·d·m without bias, then pointwise 1×1 with one bias per filter (Keras)",),
        ))
