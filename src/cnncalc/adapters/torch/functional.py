"""Receptive field through functional operators: ``F.conv2d``, ``F.max_pool2d``, ``F.avg_pool2d``, the adaptive
pools, ``F.interpolate`` and ``F.pad``, seen at dispatch level, get the rules of the core kinds their modules map to.

An explicit table from aten operator to a builder of the core layer; the core kind's own RF rule (``Computed.rf``)
is then applied, so a functional op and its module can never disagree. A global mean over the spatial axes
(``x.mean((2, 3))``, adaptive average pooling to 1) makes the field global.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ...errors import CnnCalcError
from ...kinds import AdaptivePool, AvgPool, Conv, ConvTranspose, Layer, MaxPool, Upsample, ZeroPad
from ...receptive import ReceptiveField
from .mapping import image

Builder = Callable[[tuple[Any, ...], Tensor, Tensor], Layer | None]
_aten = torch.ops.aten


def _ints(value: Any, n: int, default: int) -> tuple[int, ...]:
    if value is None or (isinstance(value, (list, tuple)) and not value):
        return (default,) * n
    if isinstance(value, (list, tuple)):
        values = tuple(int(v) for v in value)
        return values * n if len(values) == 1 else values
    return (int(value),) * n


def _arg(args: tuple[Any, ...], i: int, default: Any) -> Any:
    return args[i] if len(args) > i else default


def _convolution(args: tuple[Any, ...], x: Tensor, out: Tensor) -> Layer:
    weight, stride = args[1], args[3]
    n = len(stride)
    kernel = tuple(int(k) for k in weight.shape[2:])
    strides, padding, dilation = _ints(stride, n, 1), _ints(args[4], n, 0), _ints(args[5], n, 1)
    groups, bias, filters = int(args[8]), args[2] is not None, int(out.shape[1])
    if args[6]:
        return ConvTranspose(filters=filters, kernel_size=kernel, stride=strides, padding=padding, dilation=dilation,
                             groups=groups, bias=bias, ndim=n, output_padding=_ints(args[7], n, 0))
    return Conv(filters=filters, kernel_size=kernel, stride=strides, padding=padding, dilation=dilation,
                groups=groups, bias=bias, ndim=n)


def _max_pool(n: int) -> Builder:
    def build(args: tuple[Any, ...], x: Tensor, out: Tensor) -> Layer:
        kernel = _ints(args[1], n, 1)
        stride = _ints(_arg(args, 2, None), n, 0)
        return MaxPool(kernel_size=kernel, stride=stride if all(stride) else kernel,
                       padding=_ints(_arg(args, 3, 0), n, 0), dilation=_ints(_arg(args, 4, 1), n, 1),
                       ceil_mode=bool(_arg(args, 5, False)), ndim=n)

    return build


def _avg_pool(n: int) -> Builder:
    def build(args: tuple[Any, ...], x: Tensor, out: Tensor) -> Layer:
        kernel = _ints(args[1], n, 1)
        stride = _ints(_arg(args, 2, None), n, 0)
        return AvgPool(kernel_size=kernel, stride=stride if all(stride) else kernel,
                       padding=_ints(_arg(args, 3, 0), n, 0), ceil_mode=bool(_arg(args, 4, False)), ndim=n)

    return build


def _adaptive(op: str) -> Builder:
    def build(args: tuple[Any, ...], x: Tensor, out: Tensor) -> Layer:
        return AdaptivePool(tuple(int(s) for s in out.shape[2:]), op=op)

    return build


def _upsample(mode: str) -> Builder:
    def build(args: tuple[Any, ...], x: Tensor, out: Tensor) -> Layer:
        return Upsample(size=tuple(int(s) for s in out.shape[2:]), mode=mode)

    return build


def _constant_pad(args: tuple[Any, ...], x: Tensor, out: Tensor) -> Layer | None:
    pads = tuple(int(p) for p in args[1])
    if any(p < 0 for p in pads) or len(pads) > 2 * (x.dim() - 2):
        return None  # cropping, or padding of the channel/batch axes: not a spatial zero padding
    pairs = tuple((pads[i], pads[i + 1]) for i in range(0, len(pads), 2))[::-1]
    spatial = x.dim() - 2
    pairs = ((0, 0),) * (spatial - len(pairs)) + pairs
    return ZeroPad(pairs)


#: aten operator → the core layer it is, for the receptive field
FUNCTIONAL: dict[Any, Builder] = {
    _aten.convolution: _convolution,
    _aten.max_pool2d_with_indices: _max_pool(2),
    _aten.max_pool3d_with_indices: _max_pool(3),
    _aten.max_pool2d: _max_pool(2),
    _aten.avg_pool2d: _avg_pool(2),
    _aten.avg_pool3d: _avg_pool(3),
    _aten._adaptive_avg_pool2d: _adaptive("avg"),
    _aten._adaptive_avg_pool3d: _adaptive("avg"),
    _aten.adaptive_max_pool2d: _adaptive("max"),
    _aten.adaptive_max_pool3d: _adaptive("max"),
    _aten.upsample_nearest1d: _upsample("nearest"),
    _aten.upsample_nearest2d: _upsample("nearest"),
    _aten.upsample_nearest3d: _upsample("nearest"),
    _aten.upsample_linear1d: _upsample("linear"),
    _aten.upsample_bilinear2d: _upsample("bilinear"),
    _aten.upsample_bicubic2d: _upsample("bicubic"),
    _aten.upsample_trilinear3d: _upsample("trilinear"),
    _aten.constant_pad_nd: _constant_pad,
}


def through_functional(func: Any, args: tuple[Any, ...], out: Tensor, before: ReceptiveField
                       ) -> ReceptiveField | None:
    """The field after a functional spatial operator, by its core kind's rule; None when ``func`` is not one
    (or is one the core cannot read: the caller then decides)."""
    packet = func.overloadpacket
    if packet in (_aten.mean, _aten.amax, _aten.sum) and _spatial_reduction(args):
        return before.through("global")
    build = FUNCTIONAL.get(packet)
    x = args[0] if args else None
    if build is None or not isinstance(x, Tensor) or x.dim() < 3 or before.status != "local":
        return None
    try:
        layer = build(args, x, out)
        if layer is None:
            return None
        rule = layer.compute((image(x)[0],), "torch").rf
    except (CnnCalcError, ValueError, TypeError, IndexError):
        return None
    if len(before.sizes) != x.dim() - 2:
        return None
    return before.through(rule)


def _spatial_reduction(args: tuple[Any, ...]) -> bool:
    """A reduction over every spatial axis of an (N, C, *spatial) tensor (x.mean((2, 3)), keepdim or not)."""
    x = args[0] if args else None
    if not isinstance(x, Tensor) or x.dim() < 3 or len(args) < 2 or not isinstance(args[1], (list, tuple)):
        return False
    axes = {int(a) % x.dim() for a in args[1]}
    return axes == set(range(2, x.dim()))
