"""The explicit table from PyTorch module types to cnncalc's core kinds.

Keyed by exact type (``type(module)``), never by a class name or a subclass: a subclass may
override ``forward``, so it is measured, not guessed. Each entry builds the core layer from the
module's hyper-parameters and says how to read the module's tensors as core shapes: conv-like
modules see (N, C, *spatial) as the canonical channels-last (*spatial, C); linear-like modules
see (N, …, features) as (…, features). The batch axis (or the module's own leading axis, which
can differ from the model's batch, e.g. Swin windows) is returned separately.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from ...kinds import (
    Activation,
    AdaptivePool,
    AvgPool,
    BatchNorm,
    Conv,
    ConvTranspose,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GroupNorm,
    InstanceNorm,
    Layer,
    LayerNorm,
    MaxPool,
    MultiHeadAttention,
    PReLU,
    Recurrent,
    Reshape,
    RMSNorm,
    Upsample,
    ZeroPad,
)
from ...shape import Shape


class NotMapped(Exception):
    """The module's type is in the table but this configuration has no core kind (the reason)."""


View = Callable[[Any], tuple[Shape, int]]  # a Tensor, or an Unsqueezed stand-in


@dataclass(frozen=True)
class Mapped:
    layer: Layer
    view: View
    #: which of the call's arguments are the layer's inputs: (positional index, keyword name)
    inputs: tuple[tuple[int, str], ...] = ((0, "input"),)
    #: for a layer that depends on the input's rank: the layer for these input tensors (may raise NotMapped)
    refine: Callable[[list[Tensor]], Layer] | None = None
    #: the input rank at which PyTorch reads one sample with no batch axis (Conv2d on (C, H, W))
    unbatched: int | None = None
    #: the layer for this call's arguments, where they change what runs (MultiheadAttention's need_weights)
    per_call: Callable[[Layer, tuple[Any, ...], dict[str, Any]], Layer] | None = None


class Unsqueezed:
    """A tensor's shape seen with a batch axis of 1 in front: what a view needs for an unbatched input."""

    def __init__(self, t: Any) -> None:
        self.shape = (1, *(int(d) for d in t.shape))

    def dim(self) -> int:
        return len(self.shape)


def image(t: Tensor) -> tuple[Shape, int]:
    """(N, C, *spatial) → (*spatial, C) and N; (N, C) → (C,)."""
    dims = tuple(int(d) for d in t.shape)
    if len(dims) >= 3:
        return Shape(dims[2:] + (dims[1],), len(dims) - 2), dims[0]
    return plain(t)


def plain(t: Tensor) -> tuple[Shape, int]:
    """(N, …, features) → (…, features) and N; a 1-D tensor is one sample."""
    dims = tuple(int(d) for d in t.shape)
    if len(dims) >= 2:
        return Shape(dims[1:]), dims[0]
    return Shape(dims or (1,)), 1


def follow(t: Tensor) -> tuple[Shape, int]:
    """An element-wise layer keeps its input's layout. The tracer resolves this view to ``image`` when the
    input came from a spatial layer (a conv's (N, C, L) output included) and to ``plain`` when it came from
    a Linear or an embedding (a transformer's (N, L, D)); on its own it reads 4-D and 5-D tensors as images."""
    return image(t) if t.dim() >= 4 else plain(t)


def batch_second(t: Tensor) -> tuple[Shape, int]:
    """(L, N, features) → (L, features) and N, for sequence-first recurrent layers and attention."""
    dims = tuple(int(d) for d in t.shape)
    if len(dims) == 3:
        return Shape((dims[0], dims[2])), dims[1]
    return Shape(dims), 1


def _sequence_view(batch_first: bool) -> View:
    def view(t: Tensor) -> tuple[Shape, int]:
        unbatched = isinstance(t, Unsqueezed)  # (L, features) seen as (1, L, features) whatever batch_first says
        return plain(t) if batch_first or unbatched or t.dim() != 3 else batch_second(t)

    return view


#: the two views of recurrent layers and attention: (N, L, F) and, with batch_first=False, (L, N, F)
BATCH_FIRST, SEQUENCE_FIRST = _sequence_view(True), _sequence_view(False)


def _sequence(batch_first: bool) -> View:
    return BATCH_FIRST if batch_first else SEQUENCE_FIRST


def _conv(m: nn.Module) -> Mapped:
    assert isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d))
    if m.padding_mode != "zeros" and isinstance(m.padding, str):
        raise NotMapped(f"padding_mode={m.padding_mode!r} with padding={m.padding!r}")
    ndim = len(m.kernel_size)
    return Mapped(Conv(filters=m.out_channels, kernel_size=tuple(m.kernel_size), stride=tuple(m.stride),
                       padding=_pad(m.padding), dilation=tuple(m.dilation), groups=m.groups,
                       bias=m.bias is not None, ndim=ndim, in_channels=m.in_channels), image,
                  unbatched=ndim + 1)


def _pad(padding: Any) -> Any:
    return padding if isinstance(padding, str) else tuple(int(p) for p in padding)


def _conv_transpose(m: nn.Module) -> Mapped:
    assert isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d))
    return Mapped(ConvTranspose(filters=m.out_channels, kernel_size=tuple(m.kernel_size),
                                stride=tuple(m.stride), padding=_pad(m.padding), dilation=tuple(m.dilation),
                                groups=m.groups, bias=m.bias is not None, ndim=len(m.kernel_size),
                                output_padding=tuple(m.output_padding)), image,
                  unbatched=len(m.kernel_size) + 1)


def _linear(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.Linear)
    return Mapped(Dense(m.out_features, bias=m.bias is not None, flatten=False, in_features=m.in_features), plain)


def _batchnorm(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.modules.batchnorm._BatchNorm)
    return Mapped(BatchNorm(affine=m.affine, track_running_stats=m.track_running_stats), image)


def _instancenorm(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.modules.instancenorm._InstanceNorm)
    return Mapped(InstanceNorm(affine=m.affine, track_running_stats=m.track_running_stats), image)


def _layernorm(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.LayerNorm)
    return Mapped(LayerNorm(axes=len(m.normalized_shape), affine=m.elementwise_affine, bias=m.bias is not None),
                  plain)


def _rmsnorm(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.RMSNorm)
    if len(m.normalized_shape) != 1:
        raise NotMapped(f"RMSNorm over {len(m.normalized_shape)} axes (the core kind normalises the last one)")
    return Mapped(RMSNorm(affine=m.elementwise_affine), plain)


def _groupnorm(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.GroupNorm)
    return Mapped(GroupNorm(m.num_groups, affine=m.affine), image)


def _pool_args(m: Any) -> dict[str, Any]:
    return {"kernel_size": m.kernel_size, "stride": m.stride or None, "padding": m.padding,
            "ceil_mode": bool(m.ceil_mode)}


def _maxpool(ndim: int) -> Callable[[nn.Module], Mapped]:
    def build(m: nn.Module) -> Mapped:
        return Mapped(MaxPool(**_pool_args(m), dilation=m.dilation, ndim=ndim), image,  # type: ignore[arg-type]
                      unbatched=ndim + 1)

    return build


def _avgpool(ndim: int) -> Callable[[nn.Module], Mapped]:
    def build(m: nn.Module) -> Mapped:
        return Mapped(AvgPool(**_pool_args(m), ndim=ndim), image, unbatched=ndim + 1)

    return build


def _adaptive(op: str) -> Callable[[nn.Module], Mapped]:
    def build(m: nn.Module) -> Mapped:
        size: Any = m.output_size
        if size is None or (isinstance(size, Sequence) and any(s is None for s in size)):
            raise NotMapped("an output size of None (keep the input's size) on some axis")
        if isinstance(size, Sequence):
            size = tuple(int(s) for s in size)
        return Mapped(AdaptivePool(size, op=op), image)

    return build


def _flatten(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.Flatten)
    if m.start_dim == 1 and m.end_dim == -1:
        return Mapped(Flatten(), plain)
    raise NotMapped(f"Flatten(start_dim={m.start_dim}, end_dim={m.end_dim}) keeps several axes")


def _dropout(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.modules.dropout._DropoutNd)
    if not 0 <= m.p < 1:
        raise NotMapped(f"dropout rate {m.p} outside [0, 1)")
    return Mapped(Dropout(m.p), follow)


def _activation(name: str) -> Callable[[nn.Module], Mapped]:
    def build(m: nn.Module) -> Mapped:
        return Mapped(Activation(name), follow)

    return build


def _prelu(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.PReLU)
    return Mapped(PReLU(m.num_parameters), image)


def _embedding(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.Embedding)
    return Mapped(Embedding(m.num_embeddings, m.embedding_dim), plain, unbatched=1)


def _recurrent(cell: str) -> Callable[[nn.Module], Mapped]:
    def build(m: nn.Module) -> Mapped:
        assert isinstance(m, nn.RNNBase)
        if getattr(m, "proj_size", 0):
            raise NotMapped("LSTM with proj_size > 0 (projected hidden state)")
        if cell == "rnn" and m.nonlinearity != "tanh":
            cell_name = "rnn"  # relu or tanh: the same parameters and MACs
        else:
            cell_name = cell
        layer = Recurrent(m.hidden_size, cell=cell_name, num_layers=m.num_layers, bidirectional=m.bidirectional,
                          bias=m.bias, batch_first=m.batch_first)
        return Mapped(layer, _sequence(m.batch_first), unbatched=2)

    return build


def _mha(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.MultiheadAttention)
    if m.bias_k is not None or m.add_zero_attn:
        raise NotMapped("add_bias_kv or add_zero_attn (extra key/value positions)")
    bias = m.in_proj_bias is not None
    if bias != (m.out_proj.bias is not None):
        raise NotMapped("bias on the input projections but not on the output one (or the reverse)")
    layer = MultiHeadAttention(m.num_heads, embed_dim=m.embed_dim, bias=bias)
    return Mapped(layer, _sequence(m.batch_first), inputs=((0, "query"), (1, "key"), (2, "value")), unbatched=2,
                  per_call=_attention_kernel)


def _attention_kernel(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Layer:
    """need_weights=False without a mask: PyTorch calls scaled_dot_product_attention, which a GPU runs with a
    fused kernel (no L×S weights kept); otherwise the math path, which returns (and keeps) the weights."""
    need = kwargs.get("need_weights", args[4] if len(args) > 4 else True)
    mask = kwargs.get("attn_mask", args[5] if len(args) > 5 else None)
    return dataclasses.replace(layer, kernel="fused") if not need and mask is None else layer  # type: ignore[call-arg]


def _upsample(m: nn.Module) -> Mapped:
    assert isinstance(m, nn.Upsample)
    mode = {"linear": "linear", "bilinear": "bilinear", "bicubic": "bicubic", "trilinear": "trilinear",
            "nearest": "nearest"}.get(m.mode)
    if mode is None:
        raise NotMapped(f"upsampling mode {m.mode!r}")
    scale, size = m.scale_factor, m.size
    if scale is not None:
        factors = scale if isinstance(scale, Sequence) else (scale,)
        if any(float(f) != int(f) for f in factors):
            raise NotMapped(f"a fractional scale factor {scale}")
        return Mapped(Upsample(tuple(int(f) for f in factors), mode=mode), image)
    sizes = size if isinstance(size, Sequence) else (size,)
    return Mapped(Upsample(size=tuple(int(s) for s in sizes), mode=mode), image)  # type: ignore[arg-type]


def _zeropad(m: nn.Module) -> Mapped:
    pads = tuple(int(p) for p in m.padding)  # type: ignore[union-attr]
    if any(p < 0 for p in pads):
        raise NotMapped("negative padding (cropping)")
    # PyTorch lists (left, right) of the last axis first; the core wants (before, after) from the first axis.
    pairs = tuple((pads[i], pads[i + 1]) for i in range(0, len(pads), 2))[::-1]
    return Mapped(ZeroPad(pairs), image)


def _unflatten(m: nn.Module) -> Mapped:
    """Unflatten(dim, sizes): a reshape of the sample that splits one axis and keeps the others."""
    assert isinstance(m, nn.Unflatten)
    sizes = tuple(int(s) for s in m.unflattened_size)

    def refine(tensors: list[Tensor]) -> Layer:
        dims = tuple(int(d) for d in tensors[0].shape)
        axis = m.dim % len(dims) if dims else 0
        if axis == 0:
            raise NotMapped("dim 0 (the batch axis)")
        return Reshape(dims[1:axis] + sizes + dims[axis + 1:])

    return Mapped(Reshape(sizes), plain, refine=refine)


TABLE: dict[type[nn.Module], Callable[[nn.Module], Mapped]] = {
    nn.Conv1d: _conv, nn.Conv2d: _conv, nn.Conv3d: _conv,
    nn.ConvTranspose1d: _conv_transpose, nn.ConvTranspose2d: _conv_transpose, nn.ConvTranspose3d: _conv_transpose,
    nn.Linear: _linear, nn.modules.linear.NonDynamicallyQuantizableLinear: _linear,
    nn.BatchNorm1d: _batchnorm, nn.BatchNorm2d: _batchnorm, nn.BatchNorm3d: _batchnorm,
    nn.SyncBatchNorm: _batchnorm,
    nn.InstanceNorm1d: _instancenorm, nn.InstanceNorm2d: _instancenorm, nn.InstanceNorm3d: _instancenorm,
    nn.LayerNorm: _layernorm, nn.RMSNorm: _rmsnorm, nn.GroupNorm: _groupnorm,
    nn.MaxPool1d: _maxpool(1), nn.MaxPool2d: _maxpool(2), nn.MaxPool3d: _maxpool(3),
    nn.AvgPool1d: _avgpool(1), nn.AvgPool2d: _avgpool(2), nn.AvgPool3d: _avgpool(3),
    nn.AdaptiveAvgPool1d: _adaptive("avg"), nn.AdaptiveAvgPool2d: _adaptive("avg"),
    nn.AdaptiveAvgPool3d: _adaptive("avg"), nn.AdaptiveMaxPool1d: _adaptive("max"),
    nn.AdaptiveMaxPool2d: _adaptive("max"), nn.AdaptiveMaxPool3d: _adaptive("max"),
    nn.Flatten: _flatten, nn.Unflatten: _unflatten,
    nn.Dropout: _dropout, nn.Dropout1d: _dropout, nn.Dropout2d: _dropout, nn.Dropout3d: _dropout,
    nn.AlphaDropout: _dropout, nn.FeatureAlphaDropout: _dropout,
    nn.Identity: _activation("identity"),
    nn.ReLU: _activation("relu"), nn.ReLU6: _activation("relu6"), nn.LeakyReLU: _activation("leaky_relu"),
    nn.ELU: _activation("elu"), nn.SELU: _activation("selu"), nn.Sigmoid: _activation("sigmoid"),
    nn.Hardsigmoid: _activation("hardsigmoid"), nn.Tanh: _activation("tanh"), nn.Softmax: _activation("softmax"),
    nn.LogSoftmax: _activation("log_softmax"), nn.Softplus: _activation("softplus"),
    nn.Softsign: _activation("softsign"), nn.GELU: _activation("gelu"), nn.SiLU: _activation("silu"),
    nn.Hardswish: _activation("hardswish"), nn.Mish: _activation("mish"),
    nn.PReLU: _prelu, nn.Embedding: _embedding,
    nn.RNN: _recurrent("rnn"), nn.LSTM: _recurrent("lstm"), nn.GRU: _recurrent("gru"),
    nn.MultiheadAttention: _mha,
    nn.Upsample: _upsample, nn.UpsamplingNearest2d: _upsample, nn.UpsamplingBilinear2d: _upsample,
    nn.ZeroPad1d: _zeropad, nn.ZeroPad2d: _zeropad, nn.ZeroPad3d: _zeropad,
}


def lookup(module: nn.Module) -> Callable[[nn.Module], Mapped] | None:
    """The table entry for the module's exact type, or None."""
    return TABLE.get(type(module))
