"""The conventions object: layout, batch, dtype, FLOP counting and BatchNorm counting, stated with totals."""

from __future__ import annotations

import pytest

import cnncalc as cc
from article_net import article_network
from cnncalc.layers import BatchNorm, Conv, Input


def test_layout_changes_only_the_display() -> None:
    hwc = cc.analyze(article_network())
    chw = cc.analyze(article_network(), layout="chw")
    assert hwc["CONV1"].output_shape.show("hwc") == "(28, 28, 8)"
    assert chw["CONV1"].output_shape.show(chw.conventions.layout) == "(8, 28, 28)"
    assert chw.to_dict()["layers"][1]["output_shape"] == [8, 28, 28]
    assert hwc.totals == chw.totals


def test_chw_input_is_read_channels_first() -> None:
    r = cc.analyze(cc.Network.chain(Input((3, 32, 32), layout="chw"), Conv(8, 5)))
    assert r.rows[1].output_shape.dims == (28, 28, 8)


def test_batch_scales_activations_and_macs_not_params() -> None:
    one = cc.analyze(article_network())
    eight = cc.analyze(article_network(), batch=8)
    assert eight.totals.params == one.totals.params
    assert eight.totals.macs == 8 * one.totals.macs
    assert eight.totals.activations == 8 * one.totals.activations
    assert eight["CONV1"].macs.explain() == "N·Ho·Wo·k·f·f·d = 8·28·28·8·5·5·3 = 3763200"


def test_dtype_sets_bytes() -> None:
    r = cc.analyze(article_network(), dtype="fp16")
    assert r.totals.param_bytes == 2 * r.totals.params
    assert r.totals.activation_bytes == 2 * r.totals.activations
    with pytest.raises(cc.ArgumentError, match="unknown dtype 'float7'"):
        cc.Conventions(dtype="float7")


def test_flops_are_twice_macs_by_default_and_can_add_bias_and_elementwise() -> None:
    plain = cc.analyze(article_network())
    assert plain.totals.flops == 2 * plain.totals.macs
    with_bias = cc.analyze(article_network(), count_bias_flops=True)
    # biases added once per output: CONV1 28·28·8 + CONV2 10·10·16 + FC 120 + 84 + 10
    assert with_bias.totals.flops - plain.totals.flops == 28 * 28 * 8 + 10 * 10 * 16 + 120 + 84 + 10
    more = cc.analyze(article_network(), count_elementwise_flops=True)
    assert more.totals.flops > plain.totals.flops
    assert "FLOPs = 2×MACs + element-wise work" in more.conventions.describe()


def test_batchnorm_counting_convention() -> None:
    net = cc.Network.chain(Input((8, 8, 3)), Conv(16, 3, bias=False), BatchNorm())
    torch_way = cc.analyze(net)
    keras_way = cc.analyze(net, counting="keras")
    assert (torch_way.totals.params, torch_way.totals.state) == (432 + 32, 33)
    assert (keras_way.totals.params, keras_way.totals.non_trainable_params, keras_way.totals.state) == (496, 32, 0)


def test_conventions_are_stated_beside_the_totals() -> None:
    text = str(cc.analyze(article_network(), batch=4, layout="chw"))
    assert "Conventions: layout CHW · batch 4 · float32 (4 B)" in text


def test_bad_conventions() -> None:
    with pytest.raises(cc.ArgumentError, match="batch must be a positive integer, got 0"):
        cc.Conventions(batch=0)
    with pytest.raises(cc.ArgumentError, match="layout must be 'hwc' or 'chw', got 'nhwc'"):
        cc.Conventions(layout="nhwc")  # type: ignore[arg-type]


def test_stride_that_drops_pixels_warns() -> None:
    r = cc.analyze(cc.Network.chain(Input((10, 10, 1)), ("c", Conv(1, 3, stride=2))))
    assert any("stride 2 leaves the last 1 input position(s) on axis H unused" in w for w in r.warnings)
    assert not cc.analyze(cc.Network.chain(Input((11, 11, 1)), Conv(1, 3, stride=2))).warnings


def test_result_is_immutable() -> None:
    r = cc.analyze(article_network())
    with pytest.raises(AttributeError):
        r.rows = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        r.totals.params = 1  # type: ignore[misc]


def test_strided_one_by_one_projection_does_not_warn() -> None:
    # a 1×1 conv at stride 2 skips every other position by design: no warning about the last one
    assert not cc.analyze(cc.Network.chain(Input((56, 56, 64)), Conv(128, 1, stride=2))).warnings
