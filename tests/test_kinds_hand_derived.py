"""Kinds and conventions PyTorch lacks, against values derived by hand (the arithmetic beside each).

Where Keras is installed (with any backend), the same layers are also checked against Keras itself.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import cnncalc as cc
from cnncalc import Shape
from cnncalc.layers import (
    BatchNorm,
    Conv,
    ConvTranspose,
    DepthwiseConv,
    MaxPool,
    PReLU,
    Recurrent,
    SeparableConv,
)


def compute(layer: cc.Layer, *shapes: Shape, counting: str = "torch") -> Any:
    return layer.compute(tuple(shapes), counting)  # type: ignore[arg-type]


IMG = Shape((32, 32, 16), 2)


def test_separable_conv_counts_as_keras() -> None:
    out = compute(SeparableConv(32, 3), IMG)
    # depthwise 3·3·16·1 = 144 (no bias) + pointwise 16·1·32 = 512 + bias 32 → 688
    assert out.trainable.value == 3 * 3 * 16 + 16 * 32 + 32 == 688
    # MACs: 30·30 positions × (3·3·16 depthwise + 16·32 pointwise) = 900 × 656 = 590400
    assert out.macs.value == 30 * 30 * (3 * 3 * 16 + 16 * 32) == 590_400
    assert out.output.dims == (30, 30, 32)


def test_depthwise_conv_counts_as_keras() -> None:
    out = compute(DepthwiseConv(3, depth_multiplier=2, padding="same"), IMG)
    # 3·3 taps × 16 channels × 2 = 288 weights + 32 biases = 320
    assert out.trainable.value == 3 * 3 * 16 * 2 + 16 * 2 == 320
    assert out.output.dims == (32, 32, 32)


def test_batchnorm_keras_counts_moving_statistics_as_non_trainable() -> None:
    out = compute(BatchNorm(), IMG, counting="keras")
    # γ, β: 2·16 = 32 trainable; moving mean and variance: 2·16 = 32 non-trainable; no buffers
    assert (out.trainable.value, out.non_trainable.value, out.state.value) == (32, 32, 0)
    torch_way = compute(BatchNorm(), IMG)
    # PyTorch: 32 parameters; buffers running_mean 16 + running_var 16 + num_batches_tracked 1 = 33
    assert (torch_way.trainable.value, torch_way.non_trainable.value, torch_way.state.value) == (32, 0, 33)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("lstm", 4 * (10 * 20 + 20 * 20 + 20)),  # Keras LSTM, one bias: 4·(I·u + u·u + u) = 2480
        ("gru", 3 * (10 * 20 + 20 * 20 + 2 * 20)),  # Keras GRU reset_after=True, two biases: 1920
        ("rnn", 10 * 20 + 20 * 20 + 20),  # Keras SimpleRNN, one bias: 620
    ],
)
def test_recurrent_keras_counting(cell: str, expected: int) -> None:
    out = compute(Recurrent(20, cell=cell), Shape((7, 10)), counting="keras")
    assert out.trainable.value == expected


def test_lstm_torch_counting_has_two_bias_vectors() -> None:
    # PyTorch: 4·(H·I + H·H + 2H) = 4·(200 + 400 + 40) = 2560
    assert compute(Recurrent(20, cell="lstm"), Shape((7, 10))).trainable.value == 2560


def test_prelu_keras_learns_one_slope_per_element() -> None:
    # Keras PReLU (no shared axes): 32·32·16 = 16384 slopes; PyTorch: 1
    assert compute(PReLU(), IMG, counting="keras").trainable.value == 16_384
    assert compute(PReLU(), IMG).trainable.value == 1


@pytest.mark.parametrize(("size", "k", "s", "expected", "pads"), [
    (224, 3, 2, 112, ((0, 1), (0, 1))),  # TF 'same': total max((112−1)·2 + 3 − 224, 0) = 1 → (0, 1)
    (225, 3, 2, 113, ((1, 1), (1, 1))),  # total (113−1)·2 + 3 − 225 = 2 → (1, 1)
    (7, 4, 1, 7, ((1, 2), (1, 2))),  # even kernel: total 3 → extra pixel at the end
])
def test_same_padding_is_tf_keras_style(size: int, k: int, s: int, expected: int, pads: Any) -> None:
    out = compute(Conv(4, k, stride=s, padding="same"), Shape((size, size, 3), 2))
    assert out.output.dims == (expected, expected, 4)  # ⌈i/s⌉
    assert isinstance(out.rf, cc.layers.RFStep) and out.rf.padding == (pads[0][0], pads[1][0])


def test_maxpool_same_gives_ceil_of_input_over_stride() -> None:
    assert compute(MaxPool(3, stride=2, padding="same"), Shape((7, 7, 1), 2)).output.dims == (4, 4, 1)


@pytest.mark.parametrize(("padding", "expected"), [("same", 20), ("valid", 21)])
def test_keras_transposed_conv_sizes(padding: str, expected: int) -> None:
    # Keras: 'same' gives i·s = 10·2 = 20; 'valid' gives (i − 1)·s + max(k, s) = 9·2 + 3 = 21
    out = compute(ConvTranspose(4, 3, stride=2, padding=padding), Shape((10, 10, 3), 2))
    assert out.output.dims[:2] == (expected, expected)


@pytest.fixture(scope="module")
def keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def keras_counts(keras: Any, layer: Any, shape: tuple[int, ...]) -> tuple[int, int, tuple[int, ...]]:
    inp = keras.Input(shape)
    out = layer(inp)
    model = keras.Model(inp, out)
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return trainable, frozen, tuple(out.shape[1:])


@pytest.mark.parametrize("case", ["separable", "depthwise", "bn", "lstm", "gru", "rnn", "prelu", "same", "deconv"])
def test_against_keras(keras: Any, case: str) -> None:
    L = keras.layers
    table: dict[str, tuple[Any, cc.Layer, tuple[int, ...]]] = {
        "separable": (L.SeparableConv2D(32, 3, strides=2, padding="same"), SeparableConv(32, 3, stride=2,
                                                                                         padding="same"), (17, 17, 16)),
        "depthwise": (L.DepthwiseConv2D(3, depth_multiplier=2), DepthwiseConv(3, depth_multiplier=2), (9, 9, 4)),
        "bn": (L.BatchNormalization(), BatchNorm(), (5, 5, 12)),
        "lstm": (L.LSTM(6, return_sequences=True), Recurrent(6, cell="lstm"), (7, 5)),
        "gru": (L.GRU(6, return_sequences=True), Recurrent(6, cell="gru"), (7, 5)),
        "rnn": (L.SimpleRNN(6, return_sequences=True), Recurrent(6, cell="rnn"), (7, 5)),
        "prelu": (L.PReLU(), PReLU(), (4, 4, 3)),
        "same": (L.Conv2D(5, 4, strides=3, padding="same"), Conv(5, 4, stride=3, padding="same"), (11, 10, 2)),
        "deconv": (L.Conv2DTranspose(5, 3, strides=2, padding="valid"), ConvTranspose(5, 3, stride=2,
                                                                                      padding="valid"), (6, 7, 2)),
    }
    klayer, core, shape = table[case]
    trainable, frozen, out_shape = keras_counts(keras, klayer, shape)
    spatial = len(shape) - 1 if case not in ("lstm", "gru", "rnn") else 0
    c = compute(core, Shape(shape, spatial), counting="keras")
    assert (c.trainable.value, c.non_trainable.value) == (trainable, frozen)
    assert c.output.dims == out_shape
