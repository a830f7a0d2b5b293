"""The Keras 3 front-end: from_keras, keras:NAME and .keras files, parity with the text format, bad input.

Keras runs on the PyTorch backend here (KERAS_BACKEND=torch, set before Keras is imported).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import cnncalc as cc  # noqa: E402
from cnncalc.adapters.keras import KerasMismatchError, from_keras  # noqa: E402
from cnncalc.cli import main  # noqa: E402

L = keras.layers
ROOT = Path(__file__).resolve().parent.parent


def seq(*layers: Any, shape: tuple[int, ...] = (32, 32, 3), name: str | None = None) -> Any:
    return keras.Sequential([keras.Input(shape), *layers], name=name)


# ---- from_keras ---------------------------------------------------------------------------------------

def test_a_sequential_cnn_counted_as_keras_counts() -> None:
    m = seq(L.Conv2D(8, 5, name="c"), L.BatchNormalization(name="bn"), L.ReLU(name="r"), L.MaxPooling2D(2),
            L.Flatten(), L.Dense(10, activation="softmax", name="fc"))
    r = from_keras(m, batch=2)
    assert (r.totals.params, r.totals.non_trainable_params) == (m.count_params(), 16)
    assert r["c"].macs.explain() == "N·Ho·Wo·k·f·f·d = 2·28·28·8·5·5·3 = 940800"
    assert r["bn"].non_trainable.value == 16 and "Keras" in " ".join(r["bn"].notes)
    assert r["fc"].kind == "dense+softmax" and r["fc"].receptive_field.status == "global"
    assert r["r"].receptive_field.size == (5, 5) and r.conventions.counting == "keras"


def test_nested_models_are_containers_and_shared_layers_count_once() -> None:
    x = keras.Input((16, 16, 4))
    inner = keras.Model(x, L.Add()([x, L.Conv2D(4, 3, padding="same", name="conv")(x)]), name="block")
    i = keras.Input((16, 16, 4))
    dense = L.Dense(3, name="head")
    y = L.GlobalAveragePooling2D()(inner(inner(i)))
    m = keras.Model(i, L.Concatenate()([dense(y), dense(y)]))
    r = from_keras(m)
    assert r.totals.params == m.count_params() == 148 + 15
    assert r["block"].is_container and r["block"].params == 148 and r["block.conv"].depth == 1
    assert r["block#2.conv"].params == 0 and r["block#2.conv"].shares_params_with == "block.conv"
    assert r["head#2"].params == 0 and "counted once, at 'head'" in " ".join(r["head#2"].notes)
    assert r["block#2.conv"].receptive_field.size == (5, 5)
    assert [row.name for row in from_keras(m, depth=1).rows][1:3] == ["block", "block#2"]


def test_frozen_layers_hold_non_trainable_parameters() -> None:
    m = seq(L.Conv2D(4, 3, name="c", trainable=False), L.Dense(2, name="d"), shape=(8, 8, 1))
    r = from_keras(m)
    assert (r["c"].trainable.value, r["c"].non_trainable.value) == (0, 40)
    assert "frozen" in " ".join(r["c"].notes)
    assert (r.totals.trainable_params, r.totals.non_trainable_params) == (10, 40)


def test_unmapped_layers_are_measured_rows_that_say_so() -> None:
    m = seq(L.Conv2D(4, 3), L.Permute((2, 1, 3), name="perm"), L.Rescaling(0.5, name="scale"),
            L.Conv2D(4, 3, name="c2"), shape=(8, 8, 1))
    r = from_keras(m)
    assert r["perm"].unmodelled and "axes reordered" in r["perm"].unmodelled
    assert "no MACs counted" in r["perm"].unmodelled and r["perm"].output_shape.dims == (6, 6, 4)
    assert r["scale"].unmodelled and r["scale"].receptive_field.status == "unknown"  # lost at the Permute


def test_recurrent_attention_and_embedding_layers() -> None:
    tokens = keras.Input((12,), dtype="int32")
    e = L.Embedding(100, 16, name="emb")(tokens)
    a = L.MultiHeadAttention(4, 8, name="mha")(e, e)
    b = L.Bidirectional(L.LSTM(8, return_sequences=True), name="bi")(a)
    g = L.GRU(5, name="gru")(b)
    m = keras.Model(tokens, L.Dense(2)(g))
    r = from_keras(m)
    assert r.totals.params == m.count_params()
    assert not [row.name for row in r.rows if row.unmodelled]
    assert r["bi"].output_shape.dims == (12, 16) and r["gru"].output_shape.dims == (5,)


def test_input_shape_replaces_unknown_sizes() -> None:
    m = keras.Sequential([keras.Input((None, None, 3)), L.Conv2D(8, 3), L.GlobalMaxPooling2D()])
    with pytest.raises(cc.CnnCalcError, match=r"unknown sizes.*\n  hint: give the input shape"):
        from_keras(m)
    r = from_keras(m, input_shape=(20, 20, 3))
    assert r.rows[1].output_shape.dims == (18, 18, 8)


def test_api_mistakes_are_named() -> None:
    with pytest.raises(cc.ArgumentError, match="counting 'torch' does not apply to a Keras model"):
        from_keras(seq(L.Flatten()), conventions=cc.Conventions(counting="torch"))
    with pytest.raises(cc.ArgumentError, match=r"takes a keras\.Model, got Dense"):
        from_keras(L.Dense(3))
    with pytest.raises(cc.CnnCalcError, match="Sequential that was never built"):
        from_keras(keras.Sequential([L.Dense(3)]))


def test_a_mismatch_with_keras_names_the_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.adapters.keras import mapping

    monkeypatch.setitem(mapping.table(), L.Dense, mapping.Entry(lambda lay: cc.kinds.Dense(int(lay.units),
                                                                                            bias=False)))
    with pytest.raises(KerasMismatchError, match=r"layer 'fc' \(Dense\): the core counts 20 trainable"):
        from_keras(seq(L.Dense(5, name="fc"), shape=(4,)))


# ---- parity with the text format ---------------------------------------------------------------------

def _parity(text: str, model: Any) -> tuple[cc.Result, cc.Result]:
    net, ker = cc.analyze(cc.parse(text), counting="keras"), from_keras(model)
    for row in net.rows[1:]:  # the input rows are named differently
        other = ker[row.name]
        assert (other.output_shape.dims, other.macs.value, other.receptive_field.size) == (
            row.output_shape.dims, row.macs.value, row.receptive_field.size), row.name
    assert net.totals.macs == ker.totals.macs
    return net, ker


def test_parity_the_article_network() -> None:
    m = keras.Sequential([keras.Input((32, 32, 3), name="input"), L.Conv2D(8, 5, name="CONV1"),
                          L.MaxPooling2D(2, name="POOL1"), L.Conv2D(16, 5, name="CONV2"),
                          L.MaxPooling2D(2, name="POOL2"), L.Flatten(name="flat"), L.Dense(120, name="FC3"),
                          L.Dense(84, name="FC4"), L.Dense(10, activation="softmax", name="Softmax")])
    text = (ROOT / "examples" / "article.cnn").read_text()
    net, ker = _parity(text, m)
    assert net.totals.params == ker.totals.params == m.count_params() == 62958


RESNET_BLOCK = """
input: input 56x56x64
conv_a: conv 64 f=3 p=same bias=false
bn_a: batchnorm
relu_a: relu
conv_b: conv 64 f=3 p=same bias=false
bn_b: batchnorm
sum: add <- bn_b, input
out: relu
"""


def test_parity_a_resnet_basic_block() -> None:
    x = keras.Input((56, 56, 64), name="input")
    y = L.Conv2D(64, 3, padding="same", use_bias=False, name="conv_a")(x)
    y = L.ReLU(name="relu_a")(L.BatchNormalization(name="bn_a")(y))
    y = L.BatchNormalization(name="bn_b")(L.Conv2D(64, 3, padding="same", use_bias=False, name="conv_b")(y))
    m = keras.Model(x, L.ReLU(name="out")(L.Add(name="sum")([x, y])))
    text = RESNET_BLOCK
    net, ker = _parity(text, m)
    assert ker.totals.params == m.count_params() == net.totals.params
    # PyTorch's counting differs by the statistics only: Keras's 2·2·64 moving mean/variance are parameters
    torch_way = cc.analyze(cc.parse(text))
    assert ker.totals.params - torch_way.totals.params == 4 * 64 and ker.totals.non_trainable_params == 256


def test_parity_a_depthwise_separable_block() -> None:
    text = ("input 28x28x32\ndw: depthwise f=3 p=same bias=false\nbn1: batchnorm\nr1: relu6\n"
            "pw: conv 64 f=1 bias=false\nbn2: batchnorm\nr2: relu6\nsep: separable 32 f=3 s=2 p=same\n")
    m = keras.Sequential([keras.Input((28, 28, 32), name="input"),
                          L.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw"),
                          L.BatchNormalization(name="bn1"), L.ReLU(6.0, name="r1"),
                          L.Conv2D(64, 1, use_bias=False, name="pw"), L.BatchNormalization(name="bn2"),
                          L.ReLU(6.0, name="r2"), L.SeparableConv2D(32, 3, strides=2, padding="same", name="sep")])
    net, ker = _parity(text, m)
    assert ker.totals.params == m.count_params() == net.totals.params


# ---- published figures: torchvision's VGG MACs --------------------------------------------------------

@pytest.mark.parametrize("name", ["VGG16", "VGG19"])
def test_vgg_macs_equal_torchvision(name: str) -> None:
    torchvision = pytest.importorskip("torchvision")
    import torch

    from cnncalc.adapters.keras.source import application

    ker = from_keras(application(name, {}))
    with torch.device("meta"):
        tv = getattr(torchvision.models, name.lower())(weights=None)
    assert ker.totals.macs == cc.from_torch(tv, input_size=(1, 3, 224, 224)).totals.macs
    assert ker.totals.params == application(name, {}).count_params()


# ---- the CLI: keras:NAME, .keras files, and what other formats get -------------------------------------

def test_cli_keras_application(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keras:MobileNetV3Small", "--kwargs", '{"input_shape": [96, 96, 3]}', "--depth", "1",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["totals"]["params"] == keras.applications.MobileNetV3Small(weights=None,
                                                                           input_shape=(96, 96, 3)).count_params()
    assert main(["keras:ResNet5O"]) == 2
    assert "did you mean 'keras:ResNet50'" in capsys.readouterr().err
    assert main(["keras:VGG16", "--kwargs", '{"weights": "imagenet"}']) == 2
    assert "weights are never loaded" in capsys.readouterr().err
    assert main(["keras:VGG16", "--convention", "torch"]) == 2


def test_a_keras_file_is_read_without_its_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = seq(L.Conv2D(4, 3, name="c"), L.GlobalAveragePooling2D(), L.Dense(2), shape=(8, 8, 1))
    path = tmp_path / "m.keras"
    m.save(path)
    assert main([str(path), "--format", "json", "--input", "2x10x10x1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["totals"]["params"] == 4 * 10 + 4 * 2 + 2
    assert [r["output_shape"] for r in out["layers"]][1] == [8, 8, 4]
    assert out["conventions"]["batch"] == 2


def test_a_lambda_layer_is_refused_in_safe_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = seq(L.Lambda(lambda t: t * 2, name="double"), shape=(4,))
    path = tmp_path / "lambda.keras"
    m.save(path)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "holds a Lambda layer" in err and "safe mode refuses" in err and "never runs it" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("name", "says"), [
    ("model.h5", "legacy HDF5 Keras model"), ("model.hdf5", "legacy HDF5"), ("m.tflite", "TensorFlow Lite"),
    ("saved", "TensorFlow SavedModel"),
])
def test_other_formats_say_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                      says: str) -> None:
    path = tmp_path / name
    if name == "saved":
        path.mkdir()
        (path / "saved_model.pb").write_bytes(b"\x08\x01")
    else:
        path.write_bytes(b"\x89HDF\r\n\x1a\n")
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert says in err and ("model.keras" in err or ".keras" in err) and "Traceback" not in err


def test_not_a_keras_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.keras"
    bad.write_text("not a zip")
    assert main([str(bad)]) == 2
    assert "not a Keras 3 .keras file" in capsys.readouterr().err
    empty = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("metadata.json", "{}")
    assert main([str(empty)]) == 2
    assert "without config.json" in capsys.readouterr().err


def test_norms_with_center_but_not_scale() -> None:
    m = seq(L.Conv2D(4, 3), L.BatchNormalization(scale=False, name="bn"),
            L.LayerNormalization(scale=False, name="ln"), L.GroupNormalization(2, name="gn"), shape=(8, 8, 3))
    r = from_keras(m)
    assert r.totals.params == m.count_params()
    assert (r["bn"].trainable.value, r["bn"].non_trainable.value) == (4, 8)
    assert "only β learnt" in " ".join(r["ln"].notes) and not r["gn"].unmodelled


def test_subtract_average_maximum_minimum_and_their_ops_are_core_merges() -> None:
    """Keras's Subtract, Average, Maximum and Minimum layers, and ``x - y``, ``ops.divide``, ``ops.maximum`` and
    ``ops.minimum`` between branches, map to the core's element-wise merges; shapes are Keras's own."""
    x = keras.Input((8, 8, 3))
    a, b = L.Conv2D(4, 3, padding="same", name="a")(x), L.Conv2D(4, 3, padding="same", name="b")(x)
    d = L.Subtract(name="sub")([a, b])
    v = L.Average(name="avg")([a, b, d])
    m = L.Maximum(name="max")([v, a])
    n = L.Minimum(name="min")([m, b])
    ops = keras.ops.minimum(keras.ops.maximum(keras.ops.divide(n - a, b), a), b)
    model = keras.Model(x, ops)
    r = from_keras(model, batch=2)
    kinds = [row.kind for row in r.rows if row.kind not in ("input", "conv")]
    assert kinds == ["subtract", "average", "maximum", "minimum", "subtract", "divide", "maximum", "minimum"]
    assert not any(row.unmodelled for row in r.rows) and r.totals.params == model.count_params()
    for name in ("sub", "avg", "max", "min"):
        assert r[name].output_shape.dims == tuple(model.get_layer(name).output.shape[1:])
    assert r.rows[-1].output_shape.dims == tuple(model.output.shape[1:])
