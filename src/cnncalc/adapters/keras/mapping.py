"""The explicit table from Keras 3 layer classes to cnncalc's core kinds.

Keyed by exact class (``type(layer)``), never by a class name or a subclass: a subclass may override
``call``, so it is measured, not guessed. Each entry builds the core layer from the Keras layer's
hyper-parameters. Keras tensors are (batch, …, channels) with channels last, the core's own layout, so the
batch axis is dropped and nothing is reordered. An n-D layer (Conv2D, MaxPooling1D, ZeroPadding3D) reads
its input with n spatial axes. Layers no core kind models but whose work is known (Rescaling,
Normalization, Average, …) are ``Described``: their rows are measured, with the reason.

A configuration a kind cannot express (``data_format="channels_first"``, causal padding, an unknown
activation) raises ``NotMapped`` with the reason: that layer is measured, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from ...expr import Quantity, Var
from ...kinds import (
    Activation,
    Add,
    AvgPool,
    BatchNorm,
    Combine,
    Concat,
    Conv,
    ConvTranspose,
    Crop,
    Dense,
    DepthwiseConv,
    Dropout,
    Embedding,
    Flatten,
    GlobalPool,
    GroupNorm,
    Layer,
    LayerNorm,
    MatMul,
    MaxPool,
    MultiHeadAttention,
    Multiply,
    PReLU,
    Recurrent,
    Reshape,
    RMSNorm,
    SeparableConv,
    Upsample,
    ZeroPad,
)
from ...shape import Shape
from .backend import load_keras


class NotMapped(Exception):
    """The layer's class is in the table but this configuration has no core kind (the reason)."""


#: Keras activation function names → the core's names (what is not here is not modelled)
ACTIVATIONS = {
    "relu": "relu", "relu6": "relu6", "elu": "elu", "selu": "selu", "softplus": "softplus", "softsign": "softsign",
    "silu": "silu", "swish": "silu", "gelu": "gelu", "tanh": "tanh", "sigmoid": "sigmoid",
    "exponential": "exponential", "hard_sigmoid": "hardsigmoid", "hard_silu": "hardswish",
    "hard_swish": "hardswish", "linear": "linear", "mish": "mish", "log_softmax": "log_softmax",
    "softmax": "softmax", "leaky_relu": "leaky_relu",
}


@dataclass(frozen=True)
class Entry:
    """How one Keras class becomes a core layer.

    ``spatial``: the input is read with this many spatial axes (an n-D layer); ``pick``: the call's tensor
    arguments in the order the core kind takes them (default: every tensor argument in order); ``extra``:
    learnt parameters the kind cannot express (a norm with ``center`` but not ``scale``), with a note."""

    build: Callable[[Any], Layer]
    spatial: int | None = None
    pick: Callable[[tuple[Any, ...], dict[str, Any]], list[Any]] | None = None
    extra: Callable[[Any, Shape], tuple[Quantity, str] | None] | None = None
    #: the layer's ``axis`` must be the channels (normalisation layers)
    axis_last: bool = False


@dataclass(frozen=True)
class Described:
    """A Keras layer no core kind models, whose work is known: measured, with ``why``; ``elementwise``: it
    maps each position to itself (the receptive field passes through, its output counts as element-wise)."""

    why: str
    elementwise: bool = False


def activation_name(fn: Any) -> str | None:
    """The core's name of a Keras activation function (None for linear), or NotMapped."""
    if fn is None:
        return None
    name = fn if isinstance(fn, str) else getattr(fn, "__name__", repr(fn))
    core = ACTIVATIONS.get(name)
    if core is None:
        raise NotMapped(f"activation '{name}' has no core kind")
    return None if core == "linear" else core


def _channels_last(layer: Any) -> None:
    fmt = getattr(layer, "data_format", "channels_last")
    if fmt not in (None, "channels_last"):
        raise NotMapped(f"data_format='{fmt}': the core's layers are channels-last")


def _padding(layer: Any) -> str:
    pad = str(layer.padding).lower()
    if pad not in ("valid", "same"):
        raise NotMapped(f"padding='{pad}' has no core equivalent")
    return pad


def _window(layer: Any) -> dict[str, Any]:
    _channels_last(layer)
    return {"stride": tuple(layer.strides), "padding": _padding(layer), "dilation": tuple(layer.dilation_rate),
            "bias": bool(layer.use_bias), "activation": activation_name(layer.activation), "ndim": int(layer.rank)}


def conv(layer: Any) -> Layer:
    return Conv(filters=int(layer.filters), kernel_size=tuple(layer.kernel_size), groups=int(layer.groups),
                **_window(layer))


def depthwise(layer: Any) -> Layer:
    return DepthwiseConv(kernel_size=tuple(layer.kernel_size), depth_multiplier=int(layer.depth_multiplier),
                         **_window(layer))


def separable(layer: Any) -> Layer:
    return SeparableConv(filters=int(layer.filters), kernel_size=tuple(layer.kernel_size),
                         depth_multiplier=int(layer.depth_multiplier),
                         **_window(layer))


def transposed(layer: Any) -> Layer:
    padding = layer.output_padding
    return ConvTranspose(filters=int(layer.filters), kernel_size=tuple(layer.kernel_size),
                         output_padding=tuple(padding) if padding is not None else 0, **_window(layer))


def dense(layer: Any) -> Layer:
    return Dense(int(layer.units), bias=bool(layer.use_bias), activation=activation_name(layer.activation),
                 flatten=False)


def _last_axis(axis: Any, rank: int) -> None:
    """The normalised axis must be the channels (the last); ``rank`` counts the batch axis."""
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if len(axes) != 1 or int(axes[0]) % rank != rank - 1:
        raise NotMapped(f"axis={axis}: the core normalises over the channels (the last axis)")


def batchnorm(layer: Any) -> Layer:
    return BatchNorm(affine=bool(layer.center and layer.scale))


def _one_sided(layer: Any, size: Shape, scale_alone: bool = False) -> tuple[Quantity, str] | None:
    """A norm that learns β (center) without γ (scale), or γ without β: one vector the kind cannot express
    (``scale_alone``: the kind expresses γ without β itself)."""
    if bool(layer.center) == bool(layer.scale) or getattr(layer, "rms_scaling", False):
        return None
    if scale_alone and layer.scale:
        return None
    learnt, missing = ("β", "γ (scale=False)") if layer.center else ("γ", "β (center=False)")
    return Quantity(Var("C", size.size)), f"only {learnt} learnt, no {missing}: C parameters"


def _norm_size(layer: Any, x: Shape) -> Shape:
    return Shape(x.dims[-_layer_norm_axes(layer, x):])


def _layer_norm_axes(layer: Any, x: Shape) -> int:
    """How many trailing axes LayerNormalization normalises over (they must be the last ones, contiguous)."""
    rank = x.rank + 1
    axes = sorted({a % rank for a in (layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis])})
    if 0 in axes or axes != list(range(rank - len(axes), rank)):
        raise NotMapped(f"axis={layer.axis}: the core normalises over trailing axes")
    return len(axes)


def groupnorm(layer: Any) -> Layer:
    groups = int(layer.groups)
    if groups == -1:
        raise NotMapped("groups=-1 (one group per channel): use instance normalisation's count")
    return GroupNorm(groups=groups, affine=bool(layer.center and layer.scale))


def pool(cls: type[MaxPool] | type[AvgPool]) -> Callable[[Any], Layer]:
    def build(layer: Any) -> Layer:
        _channels_last(layer)
        return cls(kernel_size=tuple(layer.pool_size), stride=tuple(layer.strides), padding=_padding(layer),
                   ndim=len(layer.pool_size))

    return build


def global_pool(op: str) -> Callable[[Any], Layer]:
    def build(layer: Any) -> Layer:
        _channels_last(layer)
        return GlobalPool(op=op, keepdims=bool(layer.keepdims))

    return build


def _pairs(value: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    if ndim == 1:
        return ((int(value[0]), int(value[1])),)
    return tuple((int(a), int(b)) for a, b in value)


def zero_pad(ndim: int) -> Callable[[Any], Layer]:
    def build(layer: Any) -> Layer:
        _channels_last(layer)
        return ZeroPad(padding=_pairs(layer.padding, ndim))

    return build


def crop(ndim: int) -> Callable[[Any], Layer]:
    def build(layer: Any) -> Layer:
        _channels_last(layer)
        return Crop(cropping=_pairs(layer.cropping, ndim))

    return build


def upsample(layer: Any) -> Layer:
    _channels_last(layer)
    size = layer.size if isinstance(layer.size, (list, tuple)) else (layer.size,)
    mode = str(getattr(layer, "interpolation", "nearest"))
    if mode not in ("nearest", "bilinear", "bicubic"):
        raise NotMapped(f"interpolation='{mode}' has no core kind")
    return Upsample(scale_factor=tuple(int(s) for s in size), mode=mode)


def activation_layer(layer: Any) -> Layer:
    name = activation_name(layer.activation)
    return Activation(name or "linear")


def relu(layer: Any) -> Layer:
    top, slope, threshold = layer.max_value, float(layer.negative_slope), float(layer.threshold)
    if threshold == 0 and slope == 0 and top is None:
        return Activation("relu")
    if threshold == 0 and slope == 0 and float(top) == 6.0:
        return Activation("relu6")
    if threshold == 0 and slope > 0 and top is None:
        return Activation("leaky_relu")
    raise NotMapped(f"ReLU(max_value={top}, negative_slope={slope}, threshold={threshold}) has no core kind")


def prelu(layer: Any) -> Layer:
    shared = layer.shared_axes
    if not shared:
        return PReLU()
    rank = len(layer.alpha.shape) + 1
    if sorted(int(a) for a in shared) == list(range(1, rank - 1)):
        return PReLU(slopes=int(layer.alpha.shape[-1]))
    raise NotMapped(f"PReLU(shared_axes={list(shared)}): the core learns 1, C or every element's slope")


def recurrent(cell: str) -> Callable[[Any], Layer]:
    def build(layer: Any) -> Layer:
        if getattr(layer, "return_state", False):
            raise NotMapped("return_state=True: the core gives the output sequence only")
        reset_after = bool(getattr(layer.cell, "reset_after", False))
        return Recurrent(int(layer.units), cell=cell, bias=bool(layer.use_bias),
                         bias_vectors=2 if reset_after else 1, return_sequences=bool(layer.return_sequences))

    return build


RNN_CELLS = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}


def bidirectional(layer: Any) -> Layer:
    fwd, bwd = layer.forward_layer, layer.backward_layer
    cell = RNN_CELLS.get(type(fwd).__name__)
    if layer.merge_mode != "concat" or cell is None or type(fwd) is not type(bwd) or fwd.units != bwd.units:
        raise NotMapped(f"Bidirectional({type(fwd).__name__}, merge_mode={layer.merge_mode!r}): the core's "
                        "bidirectional recurrent layer concatenates two of the same")
    one = recurrent(cell)(fwd)
    assert isinstance(one, Recurrent)
    return Recurrent(one.units, cell=cell, bidirectional=True, bias=one.bias, bias_vectors=one.bias_vectors,
                     return_sequences=one.return_sequences)


def attention(layer: Any) -> Layer:
    if layer._attention_axes is not None and list(layer._attention_axes) != [1]:
        raise NotMapped(f"attention_axes={layer._attention_axes}: the core attends over one sequence axis")
    out = layer._output_shape
    if out is not None and (not isinstance(out, int) and len(tuple(out)) != 1):
        raise NotMapped(f"output_shape={out}: the core's attention gives (L, features)")
    out_dim = None if out is None else int(out if isinstance(out, int) else next(iter(out)))
    return MultiHeadAttention(int(layer.num_heads), key_dim=int(layer.key_dim),
                              value_dim=int(layer.value_dim) if layer.value_dim else None, output_dim=out_dim,
                              bias=bool(layer.use_bias))


def attention_inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """Keras calls MultiHeadAttention(query, value, key=None); the core takes (query, key, value)."""
    named = dict(zip(("query", "value", "key"), args)) | {k: v for k, v in kwargs.items() if v is not None}
    query, value = named["query"], named["value"]
    return [query, named.get("key", value), value]


def _table(keras: Any) -> dict[type, Entry | Described]:
    L = keras.layers
    table: dict[type, Entry | Described] = {}
    for n in (1, 2, 3):
        table[getattr(L, f"Conv{n}D")] = Entry(conv, spatial=n)
        table[getattr(L, f"Conv{n}DTranspose")] = Entry(transposed, spatial=n)
        table[getattr(L, f"MaxPooling{n}D")] = Entry(pool(MaxPool), spatial=n)
        table[getattr(L, f"AveragePooling{n}D")] = Entry(pool(AvgPool), spatial=n)
        table[getattr(L, f"GlobalAveragePooling{n}D")] = Entry(global_pool("avg"), spatial=n)
        table[getattr(L, f"GlobalMaxPooling{n}D")] = Entry(global_pool("max"), spatial=n)
        table[getattr(L, f"ZeroPadding{n}D")] = Entry(zero_pad(n), spatial=n)
        table[getattr(L, f"Cropping{n}D")] = Entry(crop(n), spatial=n)
        table[getattr(L, f"UpSampling{n}D")] = Entry(upsample, spatial=n)
        table[getattr(L, f"SpatialDropout{n}D")] = Entry(lambda lay: Dropout(float(lay.rate)))
    for n in (1, 2):
        table[getattr(L, f"DepthwiseConv{n}D")] = Entry(depthwise, spatial=n)
        table[getattr(L, f"SeparableConv{n}D")] = Entry(separable, spatial=n)
    norm_extra = lambda lay, x: _one_sided(lay, Shape((x.channels,)))  # noqa: E731
    table |= {
        L.Dense: Entry(dense),
        L.EinsumDense: Described("an einsum projection: no core kind; parameters from its weights, no MACs counted"),
        L.BatchNormalization: Entry(batchnorm, extra=norm_extra, axis_last=True),
        L.LayerNormalization: LAYER_NORM,
        L.GroupNormalization: Entry(groupnorm, extra=norm_extra, axis_last=True),
        L.Add: Entry(lambda _: Add()),
        L.Multiply: Entry(lambda _: Multiply()),
        L.Concatenate: Entry(lambda lay: Concat(axis=int(lay.axis))),
        L.Average: Entry(lambda _: Combine("average")),
        L.Maximum: Entry(lambda _: Combine("maximum")),
        L.Minimum: Entry(lambda _: Combine("minimum")),
        L.Subtract: Entry(lambda _: Combine("subtract")),
        L.Activation: Entry(activation_layer),
        L.ReLU: Entry(relu),
        L.LeakyReLU: Entry(lambda _: Activation("leaky_relu")),
        L.ELU: Entry(lambda _: Activation("elu")),
        L.Softmax: Entry(lambda _: Activation("softmax")),
        L.PReLU: Entry(prelu),
        L.Dropout: Entry(lambda lay: Dropout(float(lay.rate))),
        L.AlphaDropout: Entry(lambda lay: Dropout(float(lay.rate))),
        L.GaussianDropout: Entry(lambda lay: Dropout(float(lay.rate))),
        L.GaussianNoise: Described("Gaussian noise, added in training only: the identity at inference",
                                   elementwise=True),
        L.Identity: Described("the identity", elementwise=True),
        L.Flatten: Entry(lambda _: Flatten()),
        L.Reshape: Entry(lambda lay: Reshape(target=tuple(int(d) for d in lay.target_shape))),
        L.Permute: Described("axes reordered: no core kind; shape from Keras"),
        L.Embedding: Entry(lambda lay: Embedding(int(lay.input_dim), int(lay.output_dim))),
        L.SimpleRNN: Entry(recurrent("rnn")),
        L.LSTM: Entry(recurrent("lstm")),
        L.GRU: Entry(recurrent("gru")),
        L.Bidirectional: Entry(bidirectional),
        L.MultiHeadAttention: Entry(attention, pick=attention_inputs),
        L.Rescaling: Described("x·scale + offset, element-wise: no parameters", elementwise=True),
        L.Normalization: Described("(x − mean)/√variance, element-wise; Keras keeps the adapted mean and "
                                   "variance as non-trainable weights (counted as it counts them)", elementwise=True),
    }
    return table


LAYER_NORM = Entry(lambda lay: LayerNorm(), extra=lambda lay, x: _one_sided(lay, _norm_size(lay, x), True))


def layer_for(layer: Any, entry: Entry, inputs: tuple[Shape, ...]) -> Layer:
    """The core layer of a Keras layer at these input shapes (LayerNormalization reads the input's rank)."""
    if entry.axis_last:
        _last_axis(layer.axis, inputs[0].rank + 1)
    if entry is not LAYER_NORM:
        return entry.build(layer)
    n = _layer_norm_axes(layer, inputs[0])
    if getattr(layer, "rms_scaling", False):
        if n != 1:
            raise NotMapped("rms_scaling over several axes has no core kind")
        return RMSNorm(affine=True)
    return LayerNorm(axes=n, affine=bool(layer.scale), bias=bool(layer.center and layer.scale))


def _ops_table(keras: Any) -> dict[type, Entry]:
    """Keras operations met in functional graphs (``x + y``, ``ops.matmul``): those with a core kind."""
    from keras.src.ops import numpy as knp

    return {knp.Add: Entry(lambda _: Add(), pick=_two_tensors),
            knp.Multiply: Entry(lambda _: Multiply(), pick=_two_tensors),
            knp.Subtract: Entry(lambda _: Combine("subtract"), pick=_two_tensors),
            knp.Divide: Entry(lambda _: Combine("divide"), pick=_two_tensors),
            knp.TrueDivide: Entry(lambda _: Combine("divide"), pick=_two_tensors),
            knp.Maximum: Entry(lambda _: Combine("maximum"), pick=_two_tensors),
            knp.Minimum: Entry(lambda _: Combine("minimum"), pick=_two_tensors),
            knp.Matmul: Entry(lambda _: MatMul(), pick=_two_tensors)}


def _two_tensors(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """An operation's two tensor operands; ``x + 1.0`` (a constant operand) is not a merge of branches."""
    from keras import KerasTensor

    tensors = [a for a in args if isinstance(a, KerasTensor)]
    if len(tensors) != 2:
        raise NotMapped("an operation with a constant operand: element-wise, measured")
    return tensors


@cache
def table() -> dict[type, Entry | Described]:
    """The table (built once, when first used: Keras is imported then)."""
    keras = load_keras()
    return _table(keras) | _ops_table(keras)


def lookup(op: Any) -> Entry | Described | None:
    """The table entry for the layer's exact class, or None."""
    return table().get(type(op))
