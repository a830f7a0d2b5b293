"""Normalisation layers, with each framework's defaults for affine terms and running statistics."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArgumentError, ShapeError
from ..expr import Num, Quantity, Var, product
from ..shape import Shape
from .args import check_int
from .base import Computed, Counting, Layer, MemoryRule, q, register


def _flag(name: str, value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise ArgumentError(f"{name} must be true or false, got {value!r}")


def largest_divisor(n: int, most: int, tries: int = 1000) -> int:
    """The largest divisor of n that is at most ``most``, looking at no more than ``tries`` candidates
    below min(n, most) (then 1): bounded work whatever the numbers.

    >>> largest_divisor(48, 10), largest_divisor(3, 100000000), largest_divisor(7, 5)
    (8, 3, 1)
    """
    top = min(n, most)
    return next((g for g in range(top, max(top - tries, 1), -1) if n % g == 0), 1)


@register("batchnorm", "bn", "batch_norm")
@dataclass(frozen=True)
class BatchNorm(Layer):
    """Batch normalisation over the channels: 2C learnt (γ, β), plus running mean and variance.

    PyTorch counts the running statistics as buffers (state, with an int64 num_batches_tracked);
    Keras counts them as non-trainable parameters.
    """

    kind = "batchnorm"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input plus the batch mean and inverse std per channel (float32)."""
        return MemoryRule(saves_inputs=(0,), fixed=Quantity(Num(2) * Var("C", inputs[0].channels)),
                          why="saves its input plus mean and invstd per channel (2·C float32)")
    aliases = {"scale": "affine", "center": "affine"}

    affine: bool = True
    track_running_stats: bool = True

    def __post_init__(self) -> None:
        _flag("affine", self.affine)
        _flag("track_running_stats", self.track_running_stats)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        c = Var("C", x.channels)
        learnt = q(Num(2) * c) if self.affine else q(0)
        stats = Num(2) * c
        if not self.track_running_stats:
            return Computed(output=x, trainable=learnt, elementwise_flops=q(Num(2) * Var("n", x.size)))
        if counting == "keras":
            return Computed(output=x, trainable=learnt, non_trainable=q(stats),
                            elementwise_flops=q(Num(2) * Var("n", x.size)),
                            notes=("moving mean and variance counted as non-trainable parameters (Keras)",))
        return Computed(output=x, trainable=learnt, state=q(stats + 1), state_int64=1,
                        elementwise_flops=q(Num(2) * Var("n", x.size)),
                        notes=("running mean, running var and num_batches_tracked are buffers (PyTorch)",))


@register("layernorm", "ln", "layer_norm")
@dataclass(frozen=True)
class LayerNorm(Layer):
    """Layer normalisation over the last ``axes`` axes: γ and β of that size."""

    kind = "layernorm"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input plus mean and rstd per normalised row (float32); autocast runs it in float32."""
        rows = inputs[0].size // max(inputs[0].dims[-1], 1)
        return MemoryRule(saves_inputs=(0,), extra=Quantity(Num(2) * Var("rows", rows)), extra_width=4, fp32=True,
                          why="saves its input plus mean and rstd per row (float32)")
    aliases = {"elementwise_affine": "affine"}

    axes: int = 1
    affine: bool = True
    bias: bool = True

    def __post_init__(self) -> None:
        check_int("axes", self.axes, 1)
        _flag("affine", self.affine)
        _flag("bias", self.bias)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        if self.axes > x.rank:
            raise ShapeError(f"cannot normalise over {self.axes} axes of a rank-{x.rank} input {x}")
        dims = x.dims[-self.axes:]
        size = Var("C", dims[0]) if self.axes == 1 else product([Var(f"d{i + 1}", d) for i, d in enumerate(dims)])
        factor = (2 if self.bias else 1) if self.affine else 0
        return Computed(output=x, trainable=q(Num(factor) * size) if factor else q(0),
                        elementwise_flops=q(Num(5) * Var("n", x.size)))


@register("rmsnorm", "rms_norm")
@dataclass(frozen=True)
class RMSNorm(Layer):
    """RMS normalisation over the last axis: one learnt scale per feature."""

    kind = "rmsnorm"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input plus rstd per normalised row (float32)."""
        rows = inputs[0].size // max(inputs[0].dims[-1], 1)
        return MemoryRule(saves_inputs=(0,), extra=Quantity(Var("rows", rows)), extra_width=4,
                          why="saves its input plus rstd per row (float32)")

    affine: bool = True

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        return Computed(output=x, trainable=q(Var("C", x.channels)) if self.affine else q(0),
                        elementwise_flops=q(Num(4) * Var("n", x.size)))


@register("groupnorm", "gn", "group_norm")
@dataclass(frozen=True)
class GroupNorm(Layer):
    """Group normalisation: channels split into groups; γ and β per channel."""

    kind = "groupnorm"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input plus mean and rstd per group (float32); autocast runs it in float32."""
        return MemoryRule(saves_inputs=(0,), extra=Quantity(Num(2) * Var("G", self.groups)), extra_width=4,
                          fp32=True, why="saves its input plus mean and rstd per group")
    positional = ("groups",)
    aliases = {"num_groups": "groups"}

    groups: int = 32
    affine: bool = True

    def __post_init__(self) -> None:
        check_int("groups", self.groups, 1)
        _flag("affine", self.affine)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        if x.channels % self.groups:
            raise ShapeError(
                f"channels must be divisible by groups: {x.channels} mod {self.groups} = {x.channels % self.groups}",
                hint="choose groups that divide the channel count",
                fixes=(f"groups={largest_divisor(x.channels, self.groups)}",),
            )
        return Computed(output=x, trainable=q(Num(2) * Var("C", x.channels)) if self.affine else q(0),
                        elementwise_flops=q(Num(5) * Var("n", x.size)))


@register("instancenorm", "in", "instance_norm")
@dataclass(frozen=True)
class InstanceNorm(Layer):
    """Instance normalisation: PyTorch's default has no affine terms and no running statistics."""

    kind = "instancenorm"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input plus mean and rstd per channel (float32)."""
        return MemoryRule(saves_inputs=(0,), extra=Quantity(Num(2) * Var("C", inputs[0].channels)), extra_width=4,
                          why="saves its input plus mean and rstd per channel and sample")

    affine: bool = False
    track_running_stats: bool = False

    def __post_init__(self) -> None:
        _flag("affine", self.affine)
        _flag("track_running_stats", self.track_running_stats)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        c = Var("C", x.channels)
        return Computed(
            output=x,
            trainable=q(Num(2) * c) if self.affine else q(0),
            state=q(Num(2) * c + 1) if self.track_running_stats else q(0),
            state_int64=1 if self.track_running_stats else 0,
            elementwise_flops=q(Num(5) * Var("n", x.size)),
        )


@register("lrn", "local_response_norm")
@dataclass(frozen=True)
class LocalResponseNorm(Layer):
    """Local response normalisation across ``size`` neighbouring channels (AlexNet 2012): no parameters."""

    kind = "lrn"
    positional = ("size",)

    size: int = 5

    def __post_init__(self) -> None:
        check_int("size", self.size, 1)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        return Computed(output=x, elementwise_flops=q(Var("n", x.size) * (Var("size", self.size) + 3)))
