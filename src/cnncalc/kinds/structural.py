"""Layers that move data without learning: input, flatten, reshape (padding, resizing, cropping and
selecting: cnncalc.kinds.resize)."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

from ..errors import ArgumentError, ReshapeError
from ..shape import Shape
from .args import check_choice, check_int, check_ints
from .base import Computed, Counting, Layer, RFStep, q, register


def _dims(name: str, value: Any) -> tuple[int, ...]:
    dims = check_ints(name, value, 1)
    return dims if isinstance(dims, tuple) else (dims,)


@register("input")
@dataclass(frozen=True)
class Input(Layer):
    """The network's input: no parameters. ``shape`` excludes the batch axis.

    ``layout='chw'`` reads the shape as (C, H, W); ``spatial`` says how many leading axes are
    spatial (default: all but the last; 0 for a sequence of feature vectors or token ids).
    """

    kind = "input"
    saves = "none"
    arity = (0, 0)
    positional = ("shape",)

    shape: tuple[int, ...] = ()
    layout: str = "hwc"
    spatial: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _dims("input shape", self.shape))
        object.__setattr__(self, "layout", check_choice("layout", self.layout, ("hwc", "chw")))
        if self.spatial is not None and not 0 <= check_int("spatial", self.spatial) < max(len(self.shape), 1):
            raise ArgumentError(f"an input of rank {len(self.shape)} cannot have {self.spatial} spatial axes")

    def tensor(self) -> Shape:
        dims = self.shape
        if self.layout == "chw" and len(dims) > 1:
            dims = dims[1:] + dims[:1]
        return Shape(dims, len(dims) - 1 if self.spatial is None else self.spatial)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        return Computed(output=self.tensor(), rf=RFStep((1,), (1,), (0,)), warnings=self._channels_first())

    def _channels_first(self) -> tuple[str, ...]:
        """A channels-last input whose first axis is tiny and whose other axes are large reads like (C, H, W):
        3x224x224 is far likelier an image written channels-first than 3 rows of 224 channels."""
        dims = self.shape
        if self.layout != "hwc" or len(dims) < 3 or (self.spatial is not None and self.spatial != len(dims) - 1):
            return ()
        if dims[0] <= 4 and all(d >= 8 for d in dims[1:]):
            shown = "x".join(map(str, dims))
            return (f"input {shown} is read as (H, W, C) = {dims}: {dims[-1]} channels, {dims[0]} row(s); if it "
                    f"is channels-first (C, H, W), write `input {shown} layout=chw` (or --layout chw for display "
                    "only)",)
        return ()


@register("flatten")
@dataclass(frozen=True)
class Flatten(Layer):
    """Flatten to one axis of H·W·C features (the order follows the layout; the size does not)."""

    kind = "flatten"
    saves = "none"
    allocates = "view"

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        return Computed(output=Shape((x.size,)), shape_steps=(("features", q(x.size_expr())),))


@register("reshape")
@dataclass(frozen=True)
class Reshape(Layer):
    """Reshape to a target shape (batch excluded); one axis may be −1."""

    kind = "reshape"
    saves = "none"
    allocates = "view"
    positional = ("target",)
    aliases = {"shape": "target", "target_shape": "target"}

    target: tuple[int, ...] = ()
    spatial: int | None = None

    def __post_init__(self) -> None:
        target = self.target if isinstance(self.target, (tuple, list)) else (self.target,)
        if not target or any(isinstance(t, bool) or not isinstance(t, int) or t == 0 or t < -1 for t in target):
            raise ArgumentError(f"reshape target must hold positive integers or one −1, got {self.target!r}")
        if list(target).count(-1) > 1:
            raise ArgumentError(f"reshape target may hold one −1 at most, got {tuple(target)}")
        object.__setattr__(self, "target", tuple(target))

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        known = prod(t for t in self.target if t != -1)
        dims = self.target
        if -1 in self.target:
            if x.size % known:
                raise ReshapeError(
                    f"cannot infer the −1 axis: {x.size} elements are not a multiple of {known}",
                    hint=f"the other axes must multiply to a divisor of {x.size}",
                )
            dims = tuple(x.size // known if t == -1 else t for t in self.target)
        elif known != x.size:
            shown = "·".join(str(t) for t in self.target)
            raise ReshapeError(
                f"sizes do not multiply out: {shown} = {known}, but the input holds {x.size} elements",
                hint="use −1 for one axis to let it be inferred",
            )
        spatial = self.spatial if self.spatial is not None else (len(dims) - 1 if len(dims) >= 3 else 0)
        return Computed(output=Shape(dims, spatial), rf="unknown")
