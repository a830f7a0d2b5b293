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
pytest.importorskip("torchvision")  # the basic block is torchvision's
onnx = pytest.importorskip("onnx")
keras = pytest.importorskip("keras")

from torch import nn  # noqa: E402

import cnncalc as cc  # noqa: E402
from cnncalc.adapters.keras import from_keras  # noqa: E402
from cnncalc.adapters.onnx import from_onnx  # noqa: E402
from cnncalc.adapters.torch import from_torch  # noqa: E402
from parity_networks import ARTICLE, ARTICLE_EXAMPLE, BASIC_BLOCK, SEPARABLE, randomised  # noqa: E402


def _key(result: cc.Result) -> list[tuple[tuple[int, ...], int, tuple[int | float, ...]]]:
    """(output shape as (H, W, C), MACs, receptive field) of every layer that computes or pools."""
    return [(r.output_shape.dims, r.macs.value, r.receptive_field.size) for r in result.rows
            if not r.is_container and (r.macs.value or r.kind.startswith(("maxpool", "avgpool")))]


def _four(text: str, model: nn.Module, size: tuple[int, ...], k_model: Any, tmp_path: Path
          ) -> tuple[cc.Result, cc.Result, cc.Result, cc.Result]:
    model = randomised(model)
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
    text = ARTICLE_EXAMPLE.read_text()  # as the user writes it: no flatten layer, a dense layer with a softmax
    results = _four(text, ARTICLE.torch_model(), ARTICLE.input_size(), ARTICLE.keras_model(), tmp_path)
    assert {r.totals.params for r in results} == {62958}  # no statistics: every framework counts alike


def test_a_resnet_basic_block_with_batchnorm(tmp_path: Path) -> None:
    net = BASIC_BLOCK
    text, tor, onx, ker = _four(net.text, net.torch_model(), net.input_size(), net.keras_model(), tmp_path)
    learnt = 2 * 64 * 64 * 9 + 2 * 2 * 64
    assert text.totals.params == tor.totals.params == onx.totals.params == learnt
    # Keras: the moving mean and variance (2·C per BatchNorm) are non-trainable parameters
    assert ker.totals.params - learnt == ker.totals.non_trainable_params == 2 * 2 * 64
    # PyTorch: the same statistics are state, plus one num_batches_tracked per BatchNorm, which ONNX lacks
    assert tor.totals.state == text.totals.state == 2 * (2 * 64 + 1) and onx.totals.state == 2 * 2 * 64


def test_a_depthwise_separable_block(tmp_path: Path) -> None:
    net = SEPARABLE
    text, tor, onx, ker = _four(net.text, net.torch_model(), net.input_size(), net.keras_model(), tmp_path)
    learnt = 9 * 32 + 32 * 64 + 2 * 32 + 2 * 64
    assert text.totals.params == tor.totals.params == onx.totals.params == learnt
    assert ker.totals.params - learnt == ker.totals.non_trainable_params == 2 * 32 + 2 * 64
