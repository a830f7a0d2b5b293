"""Every kind PyTorch has, checked against PyTorch over random hyper-parameters (hypothesis).

Oracles: output shapes from a forward on the meta device, parameter and buffer counts from
``numel()`` of real modules, and MACs from ``torch.utils.flop_counter.FlopCounterMode`` total / 2
(which excludes bias) for conv, transposed conv, linear, matmul and attention.
"""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import cnncalc as cc  # noqa: E402
from cnncalc import Shape  # noqa: E402
from cnncalc.layers import (  # noqa: E402
    AdaptivePool,
    AvgPool,
    BatchNorm,
    Concat,
    Conv,
    ConvTranspose,
    Dense,
    Embedding,
    GroupNorm,
    InstanceNorm,
    LayerNorm,
    MatMul,
    MaxPool,
    MultiHeadAttention,
    PReLU,
    Recurrent,
    Upsample,
    ZeroPad,
)

META = torch.device("meta")


def channels_last(t: Any) -> tuple[int, ...]:
    """(N, C, *spatial) → the core's (*spatial, C)."""
    return (*t.shape[2:], t.shape[1])


def image(c: int, sizes: tuple[int, ...]) -> tuple[Any, Shape]:
    return torch.empty(1, c, *sizes, device=META), Shape((*sizes, c), spatial=len(sizes))


def run(module: Any, *xs: Any, **kw: Any) -> tuple[Any, int]:
    with FlopCounterMode(display=False) as counter:
        y = module(*xs, **kw)
    return y, counter.get_total_flops()


def numel(module: Any) -> tuple[int, int]:
    return sum(p.numel() for p in module.parameters()), sum(b.numel() for b in module.buffers())


def compute(layer: cc.Layer, *shapes: Shape, counting: str = "torch") -> Any:
    return layer.compute(tuple(shapes), counting)  # type: ignore[arg-type]


def torch_raises(fn: Any) -> bool:
    try:
        fn()
    except (RuntimeError, ValueError):
        return True
    return False


@st.composite
def conv_case(draw: Any, transposed: bool = False) -> dict[str, Any]:
    ndim = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    axes = range(ndim)
    case = {
        "ndim": ndim,
        "groups": groups,
        "c_in": groups * draw(st.integers(1, 3)),
        "c_out": groups * draw(st.integers(1, 3)),
        "k": tuple(draw(st.integers(1, 4)) for _ in axes),
        "s": tuple(draw(st.integers(1, 3)) for _ in axes),
        "d": tuple(draw(st.integers(1, 2)) for _ in axes),
        "bias": draw(st.booleans()),
        "sizes": tuple(draw(st.integers(1, 11 if ndim < 3 else 7)) for _ in axes),
    }
    if transposed:
        case["p"] = tuple(draw(st.integers(0, 2)) for _ in axes)
        case["op"] = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(case["s"], case["d"]))
    else:
        case["p"] = draw(st.one_of(
            st.just("valid"), st.just("same"), st.tuples(*[st.integers(0, 3) for _ in axes])
        ))
        if case["p"] == "same":
            case["s"] = (1,) * ndim  # PyTorch allows 'same' at stride 1 only
    return case


@given(conv_case())
def test_conv_matches_torch(case: dict[str, Any]) -> None:
    cls = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[case["ndim"]]
    m = cls(case["c_in"], case["c_out"], case["k"], case["s"], case["p"], case["d"], case["groups"],
            case["bias"], device=META)
    x, shape = image(case["c_in"], case["sizes"])
    layer = Conv(case["c_out"], case["k"], stride=case["s"], padding=case["p"], dilation=case["d"],
                 groups=case["groups"], bias=case["bias"])
    if torch_raises(lambda: m(x)):
        with pytest.raises(cc.ShapeError, match="kernel is larger than the padded input"):
            compute(layer, shape)
        return
    y, flops = run(m, x)
    c = compute(layer, shape)
    assert c.output.dims == channels_last(y)
    assert c.trainable.value == numel(m)[0]
    assert c.macs.value == flops // 2


@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 9), st.tuples(st.integers(0, 3), st.integers(0, 3)))
def test_conv_with_padding_per_side_matches_torch_pad_then_conv(c: int, k: int, size: int,
                                                                pads: tuple[int, int]) -> None:
    if size + sum(pads) < k:
        return
    m = nn.Conv1d(c, 2, k, device=META)
    x, shape = image(c, (size,))
    y = m(F.pad(x, pads))
    out = compute(Conv(2, k, padding=(pads,)), shape)
    assert out.output.dims == channels_last(y)


@given(conv_case(transposed=True))
def test_conv_transpose_matches_torch(case: dict[str, Any]) -> None:
    cls = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}[case["ndim"]]
    m = cls(case["c_in"], case["c_out"], case["k"], case["s"], case["p"], case["op"], case["groups"],
            case["bias"], case["d"], device=META)
    x, shape = image(case["c_in"], case["sizes"])
    layer = ConvTranspose(case["c_out"], case["k"], stride=case["s"], padding=case["p"], dilation=case["d"],
                          output_padding=case["op"], groups=case["groups"], bias=case["bias"])
    if torch_raises(lambda: m(x)) or m(x).numel() == 0:  # cnncalc refuses an empty output outright
        with pytest.raises(cc.ShapeError, match="output would be empty"):
            compute(layer, shape)
        return
    y, flops = run(m, x)
    c = compute(layer, shape)
    assert c.output.dims == channels_last(y)
    assert c.trainable.value == numel(m)[0]
    assert c.macs.value == flops // 2


@st.composite
def pool_case(draw: Any) -> dict[str, Any]:
    ndim = draw(st.integers(1, 3))
    axes = range(ndim)
    k = tuple(draw(st.integers(1, 4)) for _ in axes)
    return {
        "ndim": ndim,
        "k": k,
        "s": draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3) for _ in axes]))),
        "p": tuple(draw(st.integers(0, 2)) for _ in axes),
        "d": tuple(draw(st.integers(1, 2)) for _ in axes),
        "ceil": draw(st.booleans()),
        "sizes": tuple(draw(st.integers(1, 12 if ndim < 3 else 7)) for _ in axes),
        "max": draw(st.booleans()),
    }


@given(pool_case())
def test_pooling_matches_torch_including_ceil_mode(case: dict[str, Any]) -> None:
    nd = case["ndim"]
    x, shape = image(2, case["sizes"])
    if case["max"]:
        m = getattr(nn, f"MaxPool{nd}d")(case["k"], case["s"], case["p"], case["d"], ceil_mode=case["ceil"])
        layer: cc.Layer = MaxPool(case["k"], stride=case["s"], padding=case["p"], dilation=case["d"],
                                  ceil_mode=case["ceil"])
    else:
        m = getattr(nn, f"AvgPool{nd}d")(case["k"], case["s"], case["p"], ceil_mode=case["ceil"])
        layer = AvgPool(case["k"], stride=case["s"], padding=case["p"], ceil_mode=case["ceil"])
    try:
        y = m(x)
    except RuntimeError as err:
        if nd == 3 and not case["max"] and "smaller than kernel size" in str(err):
            # PyTorch's AvgPool3d alone refuses an unpadded input smaller than the kernel, padding or
            # not; AvgPool1d/2d and MaxPool3d accept it. A PyTorch quirk cnncalc does not model.
            return
        with pytest.raises(cc.ShapeError):
            compute(layer, shape)
        return
    assert compute(layer, shape).output.dims == channels_last(y)


def test_pool_padding_limit_uses_the_kernel_not_the_dilated_kernel() -> None:
    with pytest.raises(RuntimeError, match="half of kernel size"):
        nn.MaxPool2d(3, 1, 2, 2)(torch.zeros(1, 1, 9, 9))
    with pytest.raises(cc.ShapeError, match=r"padding 2 is more than half the kernel: needs p ≤ ⌊f/2⌋ = 1"):
        compute(MaxPool(3, stride=1, padding=2, dilation=2), Shape((9, 9, 1), 2))


@pytest.mark.parametrize(("length", "k", "s", "p", "expected"), [(5, 2, 2, 1, 3), (5, 1, 3, 0, 2)])
def test_ceil_mode_pitfalls_from_the_reference(length: int, k: int, s: int, p: int, expected: int) -> None:
    m = nn.MaxPool1d(k, s, p, ceil_mode=True)
    assert m(torch.zeros(1, 1, length)).shape[-1] == expected
    assert compute(MaxPool(k, stride=s, padding=p, ceil_mode=True), Shape((length, 1), 1)).output.dims[0] == expected


@given(st.integers(1, 3), st.lists(st.integers(1, 12), min_size=1, max_size=3), st.data())
def test_adaptive_pooling_matches_torch(c: int, sizes: list[int], data: Any) -> None:
    outs = tuple(data.draw(st.integers(1, 8)) for _ in sizes)
    nd = len(sizes)
    x, shape = image(c, tuple(sizes))
    for op, cls in (("avg", f"AdaptiveAvgPool{nd}d"), ("max", f"AdaptiveMaxPool{nd}d")):
        y = getattr(nn, cls)(outs)(x)
        assert compute(AdaptivePool(outs, op=op), shape).output.dims == channels_last(y)


@given(st.lists(st.integers(1, 4), max_size=3), st.integers(1, 20), st.integers(1, 20), st.booleans())
def test_linear_over_the_last_axis_matches_torch(lead: list[int], p: int, c: int, bias: bool) -> None:
    m = nn.Linear(p, c, bias, device=META)
    x = torch.empty(*lead, p, device=META)
    y, flops = run(m, x)
    out = compute(Dense(c, bias=bias, flatten=False), Shape((*lead, p)))
    assert out.output.dims == tuple(y.shape)
    assert out.trainable.value == numel(m)[0]
    assert out.macs.value == flops // 2


@given(st.integers(1, 3), st.integers(1, 8), st.booleans(), st.booleans())
def test_batchnorm_params_and_buffers_match_torch(nd: int, c: int, affine: bool, track: bool) -> None:
    m = getattr(nn, f"BatchNorm{nd}d")(c, affine=affine, track_running_stats=track)
    out = compute(BatchNorm(affine=affine, track_running_stats=track), Shape((*(4,) * nd, c), nd))
    assert (out.trainable.value, out.state.value) == numel(m)
    assert out.non_trainable.value == 0


@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.data(), st.booleans(), st.booleans())
def test_layernorm_matches_torch(dims: list[int], data: Any, affine: bool, bias: bool) -> None:
    axes = data.draw(st.integers(1, len(dims)))
    m = nn.LayerNorm(dims[-axes:], elementwise_affine=affine, bias=bias)
    out = compute(LayerNorm(axes=axes, affine=affine, bias=bias), Shape(tuple(dims)))
    assert out.trainable.value == numel(m)[0]


@given(st.integers(1, 4), st.integers(1, 4), st.booleans())
def test_groupnorm_matches_torch(groups: int, per: int, affine: bool) -> None:
    m = nn.GroupNorm(groups, groups * per, affine=affine)
    out = compute(GroupNorm(groups, affine=affine), Shape((5, 5, groups * per), 2))
    assert out.trainable.value == numel(m)[0]


@given(st.integers(1, 3), st.integers(1, 6), st.booleans(), st.booleans())
def test_instancenorm_matches_torch(nd: int, c: int, affine: bool, track: bool) -> None:
    m = getattr(nn, f"InstanceNorm{nd}d")(c, affine=affine, track_running_stats=track)
    out = compute(InstanceNorm(affine=affine, track_running_stats=track), Shape((*(4,) * nd, c), nd))
    assert (out.trainable.value, out.state.value) == numel(m)


def test_instancenorm_default_has_no_parameters() -> None:
    assert numel(nn.InstanceNorm2d(7)) == (0, 0)
    assert compute(InstanceNorm(), Shape((4, 4, 7), 2)).trainable.value == 0


@given(st.integers(1, 50), st.integers(1, 16), st.lists(st.integers(1, 6), min_size=1, max_size=2))
def test_embedding_matches_torch(vocab: int, dim: int, lead: list[int]) -> None:
    m = nn.Embedding(vocab, dim, device=META)
    y = m(torch.zeros(*lead, dtype=torch.long, device=META))
    out = compute(Embedding(vocab, dim), Shape(tuple(lead)))
    assert out.output.dims == tuple(y.shape)
    assert out.trainable.value == numel(m)[0]


@given(st.sampled_from(["rnn", "lstm", "gru"]), st.integers(1, 6), st.integers(1, 6), st.integers(1, 3),
       st.booleans(), st.booleans(), st.integers(1, 5))
def test_recurrent_matches_torch(cell: str, feats: int, hidden: int, layers: int, bidir: bool, bias: bool,
                                 seq: int) -> None:
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
    m = cls(feats, hidden, layers, bias=bias, batch_first=True, bidirectional=bidir)
    y = m(torch.zeros(1, seq, feats))[0]
    out = compute(Recurrent(hidden, cell=cell, num_layers=layers, bidirectional=bidir, bias=bias),
                  Shape((seq, feats)))
    assert out.output.dims == tuple(y.shape[1:])
    assert out.trainable.value == numel(m)[0]


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 6), st.integers(1, 6), st.booleans(),
       st.one_of(st.none(), st.integers(1, 9)))
def test_multihead_attention_matches_torch(heads: int, per_head: int, length: int, source: int, bias: bool,
                                          kdim: int | None) -> None:
    e = heads * per_head
    m = nn.MultiheadAttention(e, heads, bias=bias, batch_first=True, kdim=kdim, vdim=kdim, device=META)
    q = torch.empty(1, length, e, device=META)
    kv = torch.empty(1, source, kdim or e, device=META)
    y, flops = run(m, q, kv, kv, need_weights=False)
    out = compute(MultiHeadAttention(heads, bias=bias), Shape((length, e)), Shape((source, kdim or e)),
                  Shape((source, kdim or e)))
    assert out.output.dims == tuple(y[0].shape[1:])
    assert out.trainable.value == numel(m)[0]
    assert out.macs.value == flops // 2


def test_multihead_attention_reference_formula() -> None:
    e, s = 64, 10
    out = compute(MultiHeadAttention(8), Shape((s, e)))
    assert out.trainable.value == 4 * e * e + 4 * e
    assert out.macs.value == 4 * s * e * e + 2 * s * s * e


@given(st.lists(st.integers(1, 5), max_size=2), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5))
def test_matmul_matches_torch(lead: list[int], n: int, k: int, m: int) -> None:
    a = torch.empty(*lead, n, k, device=META)
    b = torch.empty(*lead, m, k, device=META)
    y, flops = run(torch.matmul, a, b.transpose(-1, -2))
    out = compute(MatMul(transpose_b=True), Shape((*lead, n, k)), Shape((*lead, m, k)))
    assert out.output.dims == tuple(y.shape)
    assert out.macs.value == flops // 2


@given(st.integers(1, 2), st.lists(st.integers(1, 6), min_size=1, max_size=3), st.data())
def test_upsample_matches_torch(c: int, sizes: list[int], data: Any) -> None:
    nd = len(sizes)
    mode = data.draw(st.sampled_from(["nearest", {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]]))
    x, shape = image(c, tuple(sizes))
    if data.draw(st.booleans()):
        factor = data.draw(st.integers(1, 3))
        y = nn.Upsample(scale_factor=factor, mode=mode)(x)
        layer = Upsample(factor, mode=mode)
    else:
        size = tuple(data.draw(st.integers(1, 12)) for _ in sizes)
        y = nn.Upsample(size=size, mode=mode)(x)
        layer = Upsample(size=size, mode=mode)
    assert compute(layer, shape).output.dims == channels_last(y)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=3), st.data())
def test_zero_padding_matches_torch(pads: list[tuple[int, int]], data: Any) -> None:
    sizes = tuple(data.draw(st.integers(1, 6)) for _ in pads)
    x, shape = image(2, sizes)
    flat = [v for pair in reversed(pads) for v in pair]  # F.pad lists the last axis first
    y = F.pad(x, flat)
    assert compute(ZeroPad(tuple(pads)), shape).output.dims == channels_last(y)


@given(st.integers(1, 4), st.booleans())
def test_prelu_matches_torch(c: int, per_channel: bool) -> None:
    n = c if per_channel else 1
    m = nn.PReLU(n)
    assert compute(PReLU(n), Shape((3, 3, c), 2)).trainable.value == numel(m)[0]
    assert compute(PReLU(), Shape((3, 3, c), 2)).trainable.value == numel(nn.PReLU())[0]


@given(st.lists(st.integers(1, 5), min_size=2, max_size=4), st.integers(2, 4), st.data())
def test_concat_and_add_match_torch(dims: list[int], parts: int, data: Any) -> None:
    sizes = [data.draw(st.integers(1, 4)) for _ in range(parts)]
    tensors = [torch.empty(*dims[:-1], s, device=META) for s in sizes]
    shapes = [Shape((*dims[:-1], s)) for s in sizes]
    assert compute(Concat(), *shapes).output.dims == tuple(torch.cat(tensors, dim=-1).shape)
    same = [torch.empty(*dims, device=META) for _ in range(parts)]
    total = same[0]
    for t in same[1:]:
        total = total + t
    assert compute(cc.layers.Add(), *[Shape(tuple(dims))] * parts).output.dims == tuple(total.shape)


def test_flatten_and_dropout_match_torch() -> None:
    x, shape = image(3, (5, 7))
    assert compute(cc.layers.Flatten(), shape).output.dims == tuple(nn.Flatten()(x).shape[1:])
    assert compute(cc.layers.Dropout(0.2), shape).output.dims == channels_last(nn.Dropout(0.2)(x))


@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 4), st.integers(1, 2), st.integers(3, 10),
       st.booleans())
def test_depthwise_matches_torch_grouped_conv(c: int, mult: int, k: int, s: int, size: int, bias: bool) -> None:
    if size < k:
        return
    m = nn.Conv2d(c, c * mult, k, s, groups=c, bias=bias, device=META)
    x, shape = image(c, (size, size))
    y, flops = run(m, x)
    out = compute(cc.layers.DepthwiseConv(k, stride=s, depth_multiplier=mult, bias=bias), shape)
    assert out.output.dims == channels_last(y)
    assert out.trainable.value == numel(m)[0]
    assert out.macs.value == flops // 2


@given(st.integers(1, 4), st.integers(1, 2), st.integers(1, 6), st.integers(1, 4), st.integers(4, 9))
def test_separable_matches_torch_depthwise_then_pointwise(c: int, mult: int, filters: int, k: int, size: int) -> None:
    if size < k:
        return
    m = nn.Sequential(nn.Conv2d(c, c * mult, k, groups=c, bias=False, device=META),
                      nn.Conv2d(c * mult, filters, 1, device=META))
    x, shape = image(c, (size, size))
    y, flops = run(m, x)
    out = compute(cc.layers.SeparableConv(filters, k, depth_multiplier=mult), shape)
    assert out.output.dims == channels_last(y)
    assert out.trainable.value == numel(m)[0]
    assert out.macs.value == flops // 2


@given(st.integers(1, 5), st.lists(st.integers(1, 6), min_size=1, max_size=3), st.booleans())
def test_global_pooling_matches_torch(c: int, sizes: list[int], keepdims: bool) -> None:
    x, shape = image(c, tuple(sizes))
    y = getattr(nn, f"AdaptiveAvgPool{len(sizes)}d")(1)(x)
    out = compute(cc.layers.GlobalPool(keepdims=keepdims), shape)
    assert out.output.dims == (channels_last(y) if keepdims else (c,))


@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.booleans())
def test_rmsnorm_matches_torch(dims: list[int], affine: bool) -> None:
    m = nn.RMSNorm(dims[-1], elementwise_affine=affine)
    assert compute(cc.layers.RMSNorm(affine=affine), Shape(tuple(dims))).trainable.value == numel(m)[0]


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_reshape_matches_torch(dims: list[int], data: Any) -> None:
    total = 1
    for d in dims:
        total *= d
    divisors = [d for d in range(1, total + 1) if total % d == 0]
    first = data.draw(st.sampled_from(divisors))
    target = (first, -1)
    y = torch.empty(1, *dims, device=META).reshape(1, *target)
    assert compute(cc.layers.Reshape(target), Shape(tuple(dims))).output.dims == tuple(y.shape[1:])


@pytest.mark.parametrize("name", ["ReLU", "ReLU6", "Sigmoid", "Tanh", "GELU", "SiLU", "ELU", "LeakyReLU", "Hardswish"])
def test_activations_keep_the_shape_and_learn_nothing(name: str) -> None:
    m = getattr(nn, name)()
    x, shape = image(3, (4, 5))
    kind = {"LeakyReLU": "leaky_relu"}.get(name, name.lower())
    out = compute(cc.build(kind, {}), shape)
    assert out.output.dims == channels_last(m(x))
    assert out.trainable.value == numel(m)[0] == 0


@given(st.lists(st.integers(2, 9), min_size=1, max_size=3), st.data())
def test_centre_crop_matches_torch_slicing(sizes: list[int], data: Any) -> None:
    targets = tuple(data.draw(st.integers(1, s)) for s in sizes)
    x, shape = image(2, tuple(sizes))
    index = tuple(slice((s - t) // 2, (s - t) // 2 + t) for s, t in zip(sizes, targets))
    y = x[(slice(None), slice(None), *index)]
    assert compute(cc.layers.Crop(targets), shape).output.dims == channels_last(y)


@given(st.integers(1, 6), st.data())
def test_select_matches_torch_index_select(c: int, data: Any) -> None:
    chosen = tuple(data.draw(st.lists(st.integers(0, c - 1), min_size=1, max_size=6)))
    x, shape = image(c, (3, 4))
    y = x.index_select(1, torch.tensor(chosen))
    assert compute(cc.layers.Select(chosen), shape).output.dims == channels_last(y)


def test_local_response_norm_matches_torch() -> None:
    m = nn.LocalResponseNorm(5)
    x, shape = image(8, (6, 6))
    out = compute(cc.layers.LocalResponseNorm(5), shape)
    assert out.output.dims == channels_last(m(x))
    assert out.trainable.value == numel(m)[0] == 0


@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.integers(1, 6), st.data())
def test_multiply_broadcasts_like_torch(sizes: list[int], c: int, data: Any) -> None:
    x, shape = image(c, tuple(sizes))
    gate_sizes = tuple(data.draw(st.sampled_from([1, s])) for s in sizes)
    g, gate = image(c, gate_sizes)
    y = x * g
    assert compute(cc.layers.Multiply(), shape, gate).output.dims == channels_last(y)
    assert compute(cc.layers.Multiply(), gate, shape).output.dims == channels_last(g * x)


@given(st.integers(1, 3), st.integers(2, 3), st.data())
def test_concat_dim_is_pytorchs_and_axis_is_keras(spatial: int, parts: int, data: Any) -> None:
    """dim counts as torch.cat does on (N, C, *spatial); axis as Keras's Concatenate on (N, *spatial, C)."""
    rank = spatial + 2
    dim = data.draw(st.sampled_from([d for d in range(-rank, rank) if d % rank != 0]))
    base = [data.draw(st.integers(1, 4)) for _ in range(rank)]
    tensors = []
    for _ in range(parts):
        size = list(base)
        size[dim] = data.draw(st.integers(1, 4))
        tensors.append(torch.empty(*size, device=META))
    shapes = [Shape(channels_last(t), spatial) for t in tensors]
    expected = channels_last(torch.cat(tensors, dim=dim))
    assert compute(Concat(dim=dim), *shapes).output.dims == expected
    # the same join in Keras's numbering: PyTorch's axis d of (N, C, *spatial) sits where in (N, *spatial, C)?
    d = dim % rank
    keras_axis = rank - 1 if d == 1 else d - 1
    assert compute(Concat(axis=keras_axis), *shapes).output.dims == expected
