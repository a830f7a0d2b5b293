"""Parity across the four front-ends: one network written in the text format, built in PyTorch, exported to
ONNX and built in Keras gives the same shapes, MACs and receptive fields on every layer that computes
(convolutions, dense layers, pooling), and the same totals. Parameters are equal where the frameworks count
alike; where they do not, the difference is named: Keras counts BatchNorm's moving statistics as
non-trainable parameters (PyTorch: buffers, with one int64 num_batches_tracked each, which ONNX does not store).

One test per network. Oracles: each framework's own model (PyTorch meta forward, ONNX shape inference, Keras
symbolic shapes), each checked against its framework inside its adapter.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is imported
torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
keras = pytest.importorskip("keras")

from keras import layers as L  # noqa: E402
from torch import nn  # noqa: E402

import cnncalc as cc  # noqa: E402
from cnncalc.adapters.keras import from_keras  # noqa: E402
from cnncalc.adapters.onnx import from_onnx  # noqa: E402
from cnncalc.adapters.torch import from_torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _key(result: cc.Result) -> list[tuple[tuple[int, ...], int, tuple[int | float, ...]]]:
    """(output shape as (H, W, C), MACs, receptive field) of every layer that computes or pools."""
    return [(r.output_shape.dims, r.macs.value, r.receptive_field.size) for r in result.rows
            if not r.is_container and (r.macs.value or r.kind.startswith(("maxpool", "avgpool")))]


def _four(text: str, model: nn.Module, size: tuple[int, ...], k_model: Any, tmp_path: Path
          ) -> tuple[cc.Result, cc.Result, cc.Result, cc.Result]:
    torch.manual_seed(0)
    with torch.no_grad():  # random weights: the exporter merges initializers of equal values
        for t in [*model.parameters(), *(b for b in model.buffers() if b.is_floating_point())]:
            t.uniform_(0.5, 1.5)
    model.eval()
    path = tmp_path / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(*size),), str(path), dynamo=False, do_constant_folding=False)
    results = (cc.analyze(cc.parse(text)), from_torch(model, input_size=size), from_onnx(path), from_keras(k_model))
    keys = [_key(r) for r in results]
    assert keys[0], "the network has layers that compute"
    for name, other in zip(("PyTorch", "ONNX", "Keras"), keys[1:]):
        assert other == keys[0], name
    assert len({r.totals.macs for r in results}) == 1
    return results


def test_the_article_network(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "article.cnn").read_text()
    model = nn.Sequential(nn.Conv2d(3, 8, 5), nn.MaxPool2d(2, 2), nn.Conv2d(8, 16, 5), nn.MaxPool2d(2, 2),
                          nn.Flatten(), nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10), nn.Softmax(1))
    k = keras.Sequential([keras.Input((32, 32, 3)), L.Conv2D(8, 5), L.MaxPooling2D(2), L.Conv2D(16, 5),
                          L.MaxPooling2D(2), L.Flatten(), L.Dense(120), L.Dense(84), L.Dense(10, "softmax")])
    results = _four(text, model, (1, 3, 32, 32), k, tmp_path)
    assert {r.totals.params for r in results} == {62958}  # no statistics: every framework counts alike


RESNET_BLOCK = """
input: input 56x56x64
conv_a: conv 64 f=3 p=1 bias=false
bn_a: batchnorm
relu_a: relu
conv_b: conv 64 f=3 p=1 bias=false
bn_b: batchnorm
sum: add <- bn_b, input
out: relu
"""


class Basic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv_a, self.bn_a = nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64)
        self.conv_b, self.bn_b = nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn_a(self.conv_a(x)))
        return torch.relu(self.bn_b(self.conv_b(y)) + x)


def test_a_resnet_basic_block_with_batchnorm(tmp_path: Path) -> None:
    x = keras.Input((56, 56, 64))
    y = L.ReLU()(L.BatchNormalization()(L.Conv2D(64, 3, padding="same", use_bias=False)(x)))
    y = L.BatchNormalization()(L.Conv2D(64, 3, padding="same", use_bias=False)(y))
    k = keras.Model(x, L.ReLU()(L.Add()([y, x])))
    text, tor, onx, ker = _four(RESNET_BLOCK, Basic(), (1, 64, 56, 56), k, tmp_path)
    learnt = 2 * 64 * 64 * 9 + 2 * 2 * 64
    assert text.totals.params == tor.totals.params == onx.totals.params == learnt
    # Keras: the moving mean and variance (2·C per BatchNorm) are non-trainable parameters
    assert ker.totals.params - learnt == ker.totals.non_trainable_params == 2 * 2 * 64
    # PyTorch: the same statistics are state, plus one num_batches_tracked per BatchNorm, which ONNX lacks
    assert tor.totals.state == text.totals.state == 2 * (2 * 64 + 1) and onx.totals.state == 2 * 2 * 64


def test_a_depthwise_separable_block(tmp_path: Path) -> None:
    text = ("input 28x28x32\ndw: conv 32 f=3 p=1 groups=32 bias=false\nbn1: batchnorm\nr1: relu6\n"
            "pw: conv 64 f=1 bias=false\nbn2: batchnorm\nr2: relu6\n")
    model = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False), nn.BatchNorm2d(32), nn.ReLU6(),
                          nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU6())
    k = keras.Sequential([keras.Input((28, 28, 32)), L.DepthwiseConv2D(3, padding="same", use_bias=False),
                          L.BatchNormalization(), L.ReLU(6.0), L.Conv2D(64, 1, use_bias=False),
                          L.BatchNormalization(), L.ReLU(6.0)])
    text, tor, onx, ker = _four(text, model, (1, 32, 28, 28), k, tmp_path)
    learnt = 9 * 32 + 32 * 64 + 2 * 32 + 2 * 64
    assert text.totals.params == tor.totals.params == onx.totals.params == learnt
    assert ker.totals.params - learnt == ker.totals.non_trainable_params == 2 * 32 + 2 * 64
