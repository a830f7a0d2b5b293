"""Layers that pad, resize, crop or pick from a tensor without learning: zero padding, upsampling, cropping,
channel selection."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArgumentError, ShapeError
from ..expr import Var
from ..shape import Shape, axis_names
from .args import IntOrTuple, PaddingSpec, check_choice, check_ints, check_padding, expand, explicit_padding
from .base import Computed, Counting, Layer, RFRule, RFStep, q, register


@register("zeropad", "zero_padding", "pad")
@dataclass(frozen=True)
class ZeroPad(Layer):
    """Zero padding of the spatial axes: (before, after) per axis, or one number for all sides."""

    kind = "zeropad"
    saves = "none"
    positional = ("padding",)
    aliases = {"p": "padding"}

    padding: PaddingSpec = 1

    def __post_init__(self) -> None:
        pad = check_padding(self.padding)
        if isinstance(pad, str):
            raise ArgumentError("zero padding takes numbers, not 'same'/'valid'")
        object.__setattr__(self, "padding", pad)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        if x.spatial < 1:
            raise ShapeError(f"zero padding needs spatial axes, got {x}")
        pad = self.padding
        if x.spatial == 1 and isinstance(pad, tuple) and len(pad) == 2 and all(isinstance(v, int) for v in pad):
            pad = (pad,)  # type: ignore[assignment]  # Keras ZeroPadding1D((1, 2)), torch ZeroPad1d((1, 2))
        pads = explicit_padding(pad, x.spatial)
        outs = tuple(d + a + b for d, (a, b) in zip(x.spatial_dims, pads))
        steps = tuple(
            (f"{n}_out", q(Var(n, d) + Var("p₁", a) + Var("p₂", b)))
            for n, d, (a, b) in zip(axis_names(x.spatial), x.spatial_dims, pads)
        )
        return Computed(
            output=Shape(outs + (x.channels,), x.spatial),
            shape_steps=steps,
            rf=RFStep((1,) * x.spatial, (1,) * x.spatial, tuple(a for a, _ in pads)),
        )


UPSAMPLE_FLOPS = {"nearest": 0, "linear": 2, "bilinear": 4, "bicubic": 16, "trilinear": 8}


@register("upsample", "upsampling")
@dataclass(frozen=True)
class Upsample(Layer):
    """Upsampling by an integer factor or to a size; nearest, bilinear, bicubic, trilinear."""

    kind = "upsample"
    saves = "none"
    positional = ("scale_factor",)
    aliases = {"scale": "scale_factor", "size": "size", "interpolation": "mode"}

    scale_factor: IntOrTuple | None = None
    size: IntOrTuple | None = None
    mode: str = "nearest"

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", check_choice("mode", self.mode, tuple(UPSAMPLE_FLOPS)))
        if (self.scale_factor is None) == (self.size is None):
            raise ArgumentError("upsample needs exactly one of scale_factor and size")
        if self.scale_factor is not None:
            object.__setattr__(self, "scale_factor", check_ints("scale_factor", self.scale_factor, 1))
        if self.size is not None:
            object.__setattr__(self, "size", check_ints("size", self.size, 1))

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        if x.spatial < 1:
            raise ShapeError(f"upsampling needs spatial axes, got {x}")
        needs = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(self.mode)
        if needs is not None and needs != x.spatial:
            fits = {1: "linear", 2: "bilinear or bicubic", 3: "trilinear"}.get(x.spatial, "nearest")
            raise ShapeError(
                f"mode '{self.mode}' interpolates {needs} spatial axes, but {x} has {x.spatial}",
                hint=f"use mode '{fits}' (or 'nearest') for this input",
            )
        names = axis_names(x.spatial)
        if self.scale_factor is not None:
            factors = expand("scale_factor", self.scale_factor, x.spatial)
            exprs = [Var(n, d) * Var("s", f) for n, d, f in zip(names, x.spatial_dims, factors)]
        else:
            exprs = [Var("size", s) for s in expand("size", self.size or 1, x.spatial)]
        outs = tuple(e.value for e in exprs)
        out = Shape(outs + (x.channels,), x.spatial)
        integral = all(o % i == 0 for o, i in zip(outs, x.spatial_dims))
        taps = 1 if self.mode == "nearest" else 2
        rf: RFRule = (RFStep((taps,) * x.spatial, tuple(o // i for o, i in zip(outs, x.spatial_dims)), (0,) * x.spatial,
                     transposed=True) if integral else "unknown")
        return Computed(
            output=out,
            shape_steps=tuple((f"{n}_out", q(e)) for n, e in zip(names, exprs)),
            elementwise_flops=q(Var("n", out.size) * Var(f"c_{self.mode}", UPSAMPLE_FLOPS[self.mode])),
            rf=rf,
        )


@register("crop", "center_crop", "cropping")
@dataclass(frozen=True)
class Crop(Layer):
    """Crop the spatial axes: to ``size`` around the centre (U-Net's skips), or by ``cropping`` per side
    ((before, after) per axis, as Keras's Cropping2D)."""

    kind = "crop"
    saves = "none"
    allocates = "view"
    positional = ("size",)

    size: IntOrTuple | None = None
    cropping: PaddingSpec | None = None

    def __post_init__(self) -> None:
        if (self.size is None) == (self.cropping is None):
            raise ArgumentError("crop needs exactly one of size (centre crop) and cropping (per side)")
        if self.size is not None:
            object.__setattr__(self, "size", check_ints("size", self.size, 1))
        if self.cropping is not None:
            crop = check_padding(self.cropping)
            if isinstance(crop, str):
                raise ArgumentError("cropping takes numbers, not 'same'/'valid'")
            object.__setattr__(self, "cropping", crop)

    def _sides(self, x: Shape) -> tuple[tuple[int, int], ...]:
        if self.cropping is not None and not isinstance(self.cropping, str):
            return explicit_padding(self.cropping, x.spatial)
        targets = expand("size", self.size or 1, x.spatial)
        return tuple(((i - o) // 2, i - o - (i - o) // 2) for i, o in zip(x.spatial_dims, targets))

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        if x.spatial < 1:
            raise ShapeError(f"crop needs spatial axes, got {x}")
        sides = self._sides(x)
        names = axis_names(x.spatial)
        for n, i, (a, b) in zip(names, x.spatial_dims, sides):
            if a < 0 or b < 0 or a + b >= i:
                raise ShapeError(
                    f"cannot crop axis {n} of size {i} by ({a}, {b}): the crop must leave 1 to {i} positions",
                    hint="crop to a size no larger than the input",
                )
        outs = tuple(i - a - b for i, (a, b) in zip(x.spatial_dims, sides))
        steps = tuple((f"{n}_out", q(Var(n, i) - Var("c₁", a) - Var("c₂", b)))
                      for n, i, (a, b) in zip(names, x.spatial_dims, sides))
        return Computed(
            output=Shape(outs + (x.channels,), x.spatial),
            shape_steps=steps,
            rf=RFStep((1,) * x.spatial, (1,) * x.spatial, tuple(-a for a, _ in sides)),
        )


@register("select", "channel_select")
@dataclass(frozen=True)
class Select(Layer):
    """Pick channels by index (LeNet-5's partial connection table): (H, W, C) → (H, W, len(channels))."""

    kind = "select"
    saves = "none"
    allocates = "view"
    positional = ("channels",)

    channels: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        chosen = check_ints("channels", self.channels, 0)
        object.__setattr__(self, "channels", chosen if isinstance(chosen, tuple) else (chosen,))

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        bad = [c for c in self.channels if c >= x.channels]
        if bad:
            raise ShapeError(f"channel {bad[0]} does not exist: the input has {x.channels} (0 to {x.channels - 1})")
        return Computed(output=Shape(x.dims[:-1] + (len(self.channels),), x.spatial))
