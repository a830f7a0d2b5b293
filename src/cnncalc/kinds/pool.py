"""Pooling: max and average with PyTorch's ceil_mode rule, global, and adaptive pooling."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ArgumentError, ShapeError
from ..expr import Expr, Num, Quantity, Var, product
from ..shape import Shape, axis_names
from .args import IntOrTuple, PaddingSpec, check_choice, check_ints, check_padding, expand
from .base import Computed, Counting, Layer, MemoryRule, RFRule, RFStep, q, register
from .conv import spatial_rank
from .window import Window, kernel_factors

POOL_ALIASES = {
    "f": "kernel_size",
    "pool_size": "kernel_size",
    "kernel": "kernel_size",
    "s": "stride",
    "strides": "stride",
    "p": "padding",
}


@dataclass(frozen=True)
class _Pool(Layer):
    positional = ("kernel_size",)
    aliases = POOL_ALIASES

    kernel_size: IntOrTuple = 2
    #: None: the kernel size (both frameworks' default)
    stride: IntOrTuple | None = None
    padding: PaddingSpec = 0
    dilation: IntOrTuple = 1
    ceil_mode: bool = False
    ndim: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel_size", check_ints("kernel_size", self.kernel_size, 1))
        if self.stride is not None:
            object.__setattr__(self, "stride", check_ints("stride", self.stride, 1))
        object.__setattr__(self, "dilation", check_ints("dilation", self.dilation, 1))
        object.__setattr__(self, "padding", check_padding(self.padding))
        if not isinstance(self.ceil_mode, bool):
            raise ArgumentError(f"ceil_mode must be true or false, got {self.ceil_mode!r}")
        if self.ceil_mode and isinstance(self.padding, str):
            raise ArgumentError("ceil_mode needs explicit padding, not 'same'/'valid'")

    def window(self, x: Shape) -> Window:
        ndim = spatial_rank(self.ndim, x, self.kind)
        kernel = expand("kernel_size", self.kernel_size, ndim)
        stride = kernel if self.stride is None else expand("stride", self.stride, ndim)
        w = Window.resolve(
            x.dims[:-1], kernel, stride, expand("dilation", self.dilation, ndim), self.padding, self.ceil_mode
        )
        if not isinstance(self.padding, str):
            w.check_pool_padding()
        w.check()
        return w

    def per_window(self, kf: Expr) -> Expr:
        raise NotImplementedError

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        w = self.window(x)
        outs = w.outputs()
        out = Shape(outs + (x.channels,), spatial=len(outs))
        notes: list[str] = []
        if self.ceil_mode:
            notes.append("ceil_mode: a last partial window counts if it starts inside the input or left padding")
        work = w.positions(outs) * Var("C", x.channels) * self.per_window(product(kernel_factors(w.kernel)))
        return Computed(
            output=out,
            shape_steps=tuple(w.padding_step() + w.steps()),
            elementwise_flops=q(work),
            rf=w.rf(),
            warnings=w.warnings(),
            notes=tuple(notes),
        )


@register("maxpool", "max_pool")
@register("maxpool1d", ndim=1)
@register("maxpool2d", ndim=2)
@register("maxpool3d", ndim=3)
@dataclass(frozen=True)
class MaxPool(_Pool):
    """Max pooling: no parameters; stride defaults to the kernel."""

    kind = "maxpool"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input plus the int64 index of each output's maximum."""
        return MemoryRule(saves_inputs=(0,), extra=Quantity(Var("n_out", computed.output.size)), extra_width=8,
                          why="saves its input plus int64 indices of the output's size")

    def per_window(self, kf: Expr) -> Expr:
        return kf - 1


@register("avgpool", "avg_pool")
@register("avgpool1d", ndim=1)
@register("avgpool2d", ndim=2)
@register("avgpool3d", ndim=3)
@dataclass(frozen=True)
class AvgPool(_Pool):
    """Average pooling: no parameters; stride defaults to the kernel."""

    kind = "avgpool"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.dilation != 1:
            raise ArgumentError("average pooling has no dilation")

    def per_window(self, kf: Expr) -> Expr:
        return kf


@register("global_avgpool", "gap", op="avg")
@register("global_maxpool", op="max")
@dataclass(frozen=True)
class GlobalPool(Layer):
    """Global pooling over every spatial axis: (H, W, C) → (C,), or (1, 1, C) with keepdims."""

    kind = "global_pool"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """A mean keeps nothing (only shapes); a max keeps its input and output."""
        if self.op == "avg":
            return MemoryRule(why="a mean saves nothing for backward")
        return MemoryRule(saves_inputs=(0,), saves_output=True, why="saves its input and output")
    aliases = {"keep_dims": "keepdims"}

    op: str = "avg"
    keepdims: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "op", check_choice("op", self.op, ("avg", "max")))

    @property
    def label(self) -> str:
        return f"global_{self.op}pool"

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        if x.spatial < 1:
            raise ShapeError(f"global pooling needs spatial axes, got {x}", hint="it pools (H, W, C) to (C,)")
        out = Shape((1,) * x.spatial + (x.channels,), x.spatial) if self.keepdims else Shape((x.channels,))
        return Computed(output=out, elementwise_flops=q(Var("n", x.size)), rf="global")


def adaptive_windows(i: int, o: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows: [⌊j·I/O⌋, ⌈(j+1)·I/O⌉) for each output j (a list as long as O)."""
    return [((j * i) // o, -(-((j + 1) * i) // o)) for j in range(o)]


def adaptive_cells(i: int, o: int) -> int:
    """The summed length of the O adaptive windows over I positions, in closed form: I + O − gcd(I, O).

    Σ⌈(j+1)I/O⌉ − Σ⌊jI/O⌋ telescopes to I plus the number of j whose window end is not exact (O − gcd),
    so the work does not grow with O.

    >>> all(adaptive_cells(i, o) == sum(b - a for a, b in adaptive_windows(i, o))
    ...     for i in range(1, 30) for o in range(1, 30))
    True
    """
    return i + o - math.gcd(i, o)


@register("adaptive_avgpool", op="avg")
@register("adaptive_maxpool", op="max")
@dataclass(frozen=True)
class AdaptivePool(Layer):
    """Adaptive pooling to a fixed output size; windows overlap when the input is not a multiple."""

    kind = "adaptive_pool"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input (max: plus int64 indices of the output's size); an average to 1×1 is a mean (PyTorch
        runs it as one), which saves nothing."""
        if self.op == "avg" and computed.output.size == computed.output.channels:
            return MemoryRule(why="an average to 1×1 is a mean: saves nothing for backward")
        extra = Quantity(Var("n_out", computed.output.size)) if self.op == "max" else Quantity(Num(0))
        return MemoryRule(saves_inputs=(0,), extra=extra, extra_width=8, why="saves its input")
    positional = ("output_size",)

    output_size: IntOrTuple = 1
    op: str = "avg"

    def __post_init__(self) -> None:
        object.__setattr__(self, "output_size", check_ints("output_size", self.output_size, 1))
        object.__setattr__(self, "op", check_choice("op", self.op, ("avg", "max")))

    @property
    def label(self) -> str:
        return f"adaptive_{self.op}pool"

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        ndim = spatial_rank(None, x, self.label)
        outs = expand("output_size", self.output_size, ndim)
        ins = x.dims[:-1]
        covered = 1
        for i, o in zip(ins, outs):
            covered *= adaptive_cells(i, o)
        rf: RFRule
        if all(o == 1 for o in outs):
            rf = "global"
        elif all(i % o == 0 for i, o in zip(ins, outs)):
            rf = RFStep(tuple(i // o for i, o in zip(ins, outs)), tuple(i // o for i, o in zip(ins, outs)),
                        (0,) * ndim)
        else:
            rf = "unknown"
        names = axis_names(ndim)
        return Computed(
            output=Shape(outs + (x.channels,), ndim),
            shape_steps=tuple((f"{n}_out", q(Var("O", o))) for n, o in zip(names, outs)),
            elementwise_flops=q(Var("C", x.channels) * Var("window_cells", covered)),
            rf=rf,
            notes=("windows [⌊j·I/O⌋, ⌈(j+1)·I/O⌉) overlap; receptive field not tracked",) if rf == "unknown" else (),
        )

