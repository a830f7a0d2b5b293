"""The ONNX front-end on small graphs built with onnx.helper (no torch): mapping, parameters, constants, symbolic
inputs, opsets, subgraphs, and every bad input (external data leaving the folder, corrupt or truncated files,
wrong file types, a mutation fuzz over model bytes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper  # noqa: E402

import cnncalc as cc  # noqa: E402
from cnncalc.adapters.onnx import from_onnx  # noqa: E402
from cnncalc.cli import main  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402

F = TensorProto.FLOAT


def _tensor(name: str, dims: list[int], kind: int = F) -> onnx.TensorProto:
    n = 1
    for d in dims:
        n *= d
    values = [0.5] * n if kind == F else [1] * n
    return helper.make_tensor(name, kind, dims, values)


def _model(nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto], x: list[int | str] | None = None,
           opset: int = 17, inputs: list[onnx.ValueInfoProto] | None = None) -> onnx.ModelProto:
    ins = inputs or [helper.make_tensor_value_info("x", F, x or [1, 3, 32, 32])]
    out = helper.make_tensor_value_info(nodes[-1].output[0], F, None)
    g = helper.make_graph(nodes, "g", ins, [out], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def article(opset: int = 17, batch: int | str = 1) -> onnx.ModelProto:
    """The article's network as ONNX ops (Conv, MaxPool, Flatten, Gemm, Relu, Softmax)."""
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["c1"], name="CONV1", kernel_shape=[5, 5]),
        n("Relu", ["c1"], ["r1"], name="relu1"),
        n("MaxPool", ["r1"], ["p1"], name="POOL1", kernel_shape=[2, 2], strides=[2, 2]),
        n("Conv", ["p1", "w2", "b2"], ["c2"], name="CONV2", kernel_shape=[5, 5]),
        n("MaxPool", ["c2"], ["p2"], name="POOL2", kernel_shape=[2, 2], strides=[2, 2]),
        n("Flatten", ["p2"], ["f"], name="flat"),
        n("Gemm", ["f", "w3", "b3"], ["g3"], name="FC3", transB=1),
        n("Gemm", ["g3", "w4", "b4"], ["g4"], name="FC4", transB=1),
        n("Gemm", ["g4", "w5", "b5"], ["g5"], name="FC5", transB=1),
        n("Softmax", ["g5"], ["y"], name="Softmax", axis=1),
    ]
    inits = [_tensor("w1", [8, 3, 5, 5]), _tensor("b1", [8]), _tensor("w2", [16, 8, 5, 5]), _tensor("b2", [16]),
             _tensor("w3", [120, 400]), _tensor("b3", [120]), _tensor("w4", [84, 120]), _tensor("b4", [84]),
             _tensor("w5", [10, 84]), _tensor("b5", [10])]
    if opset < 13:
        nodes[-1] = n("Softmax", ["g5"], ["y"], name="Softmax", axis=1)
    return _model(nodes, inits, [batch, 3, 32, 32], opset)


def test_the_article_network_gives_the_text_formats_numbers() -> None:
    onnx_result = from_onnx(article())
    text = cc.analyze(cc.load(str(Path(__file__).parents[1] / "examples" / "article.cnn")))
    assert onnx_result.totals.params == text.totals.params == 62006 + 952
    assert onnx_result.totals.macs == text.totals.macs
    for name in ("CONV1", "POOL1", "CONV2", "POOL2", "FC3", "FC4"):
        mine, theirs = onnx_result[name], text[name]
        assert (mine.output_shape.dims, mine.macs.value, mine.params, mine.receptive_field.size) == (
            theirs.output_shape.dims, theirs.macs.value, theirs.params, theirs.receptive_field.size), name
    assert onnx_result["CONV1"].kind == "conv" and "f·f·d" in onnx_result["CONV1"].trainable.explain()


@pytest.mark.parametrize("opset", range(7, onnx.defs.onnx_opset_version() + 1))
def test_every_opset_from_7_to_the_newest(opset: int) -> None:
    r = from_onnx(article(opset))
    assert r.totals.macs == 849_320 and r.totals.params == 62958
    assert not [w for w in r.warnings if "not modelled" in w]


def test_a_symbolic_batch_is_one_unless_given_and_other_symbols_must_be_given(tmp_path: Path) -> None:
    r = from_onnx(article(batch="N"))
    assert r.conventions.batch == 1 and any("batch axis 'N' taken as 1" in w for w in r.warnings)
    r8 = from_onnx(article(batch="N"), inputs={"x": (8, 3, 32, 32)})
    assert r8.totals.macs == 8 * r.totals.macs and r8.conventions.batch == 8
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [], ["N", 3, "H", "W"])
    with pytest.raises(CnnCalcError, match=r"symbolic dims \(N, 3, H, W\): H, W must be given"):
        from_onnx(model)
    assert from_onnx(model, ["x=2x3x8x8"]).totals.activations == 2 * 3 * 8 * 8
    with pytest.raises(CnnCalcError, match=r"(?s)'y', which is not an input.*inputs: x"):
        from_onnx(model, {"y": (1, 3, 8, 8)})
    with pytest.raises(CnnCalcError, match="model fixes it at 3"):
        from_onnx(model, {"x": (1, 4, 8, 8)})
    path = tmp_path / "relu.onnx"
    onnx.save(model, path)
    assert main([str(path), "--input", "x=1x3x16x16"]) == 0


def test_a_shared_initializer_counts_once_and_constants_are_not_parameters() -> None:
    n = helper.make_node
    nodes = [n("MatMul", ["x", "w"], ["a"], name="first"), n("MatMul", ["a", "w"], ["b"], name="second"),
             n("Reshape", ["b", "shape"], ["c"], name="reshape"),
             n("Mul", ["c", "scale"], ["y"], name="scaled")]
    inits = [_tensor("w", [16, 16]), _tensor("shape", [2], TensorProto.INT64), _tensor("scale", [])]
    inits[1] = helper.make_tensor("shape", TensorProto.INT64, [2], [1, 16])
    r = from_onnx(_model(nodes, inits, [1, 16]))
    assert r.totals.params == 256 and r.totals.macs == 2 * 256
    assert r["first"].params == 256 and r["second"].params == 0
    assert r["second"].shares_params_with == "first"
    assert any("2 stored tensor(s) that are not weights (3 values" in w for w in r.warnings)
    assert any("not parameters" in note for note in r["reshape"].notes)


def test_unmapped_ops_are_measured_rows_that_say_so_and_subgraphs_are_said() -> None:
    n = helper.make_node
    then = helper.make_graph([n("Relu", ["x"], ["t"])], "then", [], [helper.make_tensor_value_info("t", F, None)])
    nodes = [n("Erf", ["x"], ["e"], name="erf"), n("Einsum", ["e", "e"], ["s"], name="ein", equation="bchw,bchw->bc"),
             n("Foo", ["s"], ["f"], name="custom", domain="my.ops"),
             n("If", ["cond"], ["y"], name="branch", then_branch=then, else_branch=then)]
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    x = helper.make_tensor_value_info("x", F, [1, 3, 8, 8])
    model = _model(nodes, [], inputs=[x, cond])
    model.opset_import.append(helper.make_opsetid("my.ops", 1))
    r = from_onnx(model)
    assert "element-wise" not in r["erf"].kind and r["erf"].unmodelled and "error function" in r["erf"].unmodelled
    assert r["ein"].macs.value == 3 * 8 * 8 and r["ein"].output_shape.dims == (3,)
    assert "my.ops.Foo has no entry in the mapping table" in (r["custom"].unmodelled or "")
    said = [w for w in r.warnings if w.startswith("subgraph not analysed: branch:")]
    assert len(said) == 1 and "then_branch (1 nodes)" in said[0] and "else_branch (1 nodes)" in said[0]
    assert "not analysed" in " ".join(r["branch"].notes)


def test_batchnorm_statistics_are_state_and_keras_counts_them_as_parameters() -> None:
    n = helper.make_node
    nodes = [n("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn")]
    inits = [_tensor(k, [3]) for k in "sbmv"]
    r = from_onnx(_model(nodes, inits))
    assert (r["bn"].trainable.value, r["bn"].state.value, r.totals.params) == (6, 6, 6)
    k = from_onnx(_model(nodes, inits), conventions=cc.Conventions(layout="chw", counting="keras"))
    assert (k.totals.params, k.totals.non_trainable_params) == (12, 6)


def test_the_cli_reads_an_onnx_file_and_never_imports_torch(tmp_path: Path) -> None:
    path = tmp_path / "article.onnx"
    onnx.save(article(), path)
    code = ("import sys; from cnncalc.cli import main; rc = main([sys.argv[1]]); "
            "assert 'torch' not in sys.modules and 'onnxruntime' not in sys.modules; sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "62,958" in done.stdout and "CONV1" in done.stdout


def test_import_cnncalc_does_not_import_onnx() -> None:
    code = "import sys, cnncalc, cnncalc.cli, cnncalc.sources; assert 'onnx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---- external data -----------------------------------------------------------------------------------

def _external(tmp_path: Path, location: str) -> Path:
    model = article()
    w = next(t for t in model.graph.initializer if t.name == "w3")
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(120 * 400 * 4))):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    path = tmp_path / "model" / "net.onnx"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def test_external_data_is_read_without_reading_the_weights(tmp_path: Path) -> None:
    model = article()
    path = tmp_path / "ext.onnx"
    onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location="ext.data",
              size_threshold=0)
    (tmp_path / "ext.data").write_bytes(b"")  # emptied: a read of the weights would fail or give garbage
    assert from_onnx(path).totals.params == 62958


def test_a_model_past_2_gb_with_external_data_is_read_without_its_weights(tmp_path: Path) -> None:
    model = article()
    big = TensorProto(name="huge", data_type=F, dims=[600_000, 1000])
    big.data_location = TensorProto.EXTERNAL
    entry = big.external_data.add()
    entry.key, entry.value = "location", "huge.bin"  # never written: 2.4 GB that must not be read
    model.graph.initializer.append(big)
    model.graph.node.append(helper.make_node("Add", ["y", "y"], ["z"], name="extra"))
    model.graph.node.append(helper.make_node("Gather", ["huge", "idx"], ["emb"], name="table"))
    model.graph.input.append(helper.make_tensor_value_info("idx", TensorProto.INT64, [1, 7]))
    path = tmp_path / "big.onnx"
    path.write_bytes(model.SerializeToString())
    r = from_onnx(path)
    assert r["table"].params == 600_000_000 and r["table"].kind == "embedding"
    assert r.totals.params == 62958 + 600_000_000


@pytest.mark.parametrize("location", ["../outside.bin", "/etc/passwd", "sub/../../x.bin", "C:\\w.bin"])
def test_external_data_leaving_the_models_folder_is_refused(tmp_path: Path, location: str) -> None:
    path = _external(tmp_path, location)
    with pytest.raises(CnnCalcError, match=r"initializer 'w3' keeps its data at .*refused"):
        from_onnx(path)
    assert main([str(path)]) == 2


def test_external_data_through_a_symlink_out_is_refused(tmp_path: Path) -> None:
    path = _external(tmp_path, "link/w.bin")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", path.parent / "link")
    with pytest.raises(CnnCalcError, match="a symbolic link that leads out of the model's folder"):
        from_onnx(path)
    inside = _external(tmp_path, "data/w.bin")
    assert from_onnx(inside).totals.params == 62958


# ---- bad files ---------------------------------------------------------------------------------------

def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def test_truncated_corrupt_and_wrong_files_exit_2_naming_the_file(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = article().SerializeToString()
    cases = {
        "truncated.onnx": (data[: len(data) // 2], "protobuf is corrupt"),
        "empty.onnx": (b"", "the file is empty"),
        "text.onnx": (b"input 32x32x3\nconv 8 f=5\n", "not"),
        "keras.onnx": (b"\x89HDF\r\n\x1a\n" + b"\x00" * 64, "an HDF5 file"),
        "zip.onnx": (b"PK\x03\x04" + b"\x00" * 64, "zip archive"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        code, err = _cli([str(path)], capsys)
        assert code == 2 and f"'{path}'" in err and message in err and "Traceback" not in err, (name, err)
    assert _cli([str(tmp_path / "missing.onnx")], capsys)[0] == 2
    assert _cli([str(tmp_path)], capsys)[0] == 2


@pytest.mark.parametrize(("head", "name", "said"), [
    (b"PK\x03\x04", "model.cnn", "a zip archive"), (b"\x89HDF\r\n\x1a\n", "w.cnn", "an HDF5 file"),
    (b"\x80\x04\x95", "ckpt.cnn", "a Python pickle"), (b"1234TFL3", "m.cnn", "TensorFlow Lite"),
])
def test_a_binary_file_given_as_text_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], head: bytes,
                                              name: str, said: str) -> None:
    path = tmp_path / name
    path.write_bytes(head + bytes(range(128, 256)) * 4)
    code, err = _cli([str(path)], capsys)
    assert code == 2 and said in err and "not UTF-8" not in err


def test_an_onnx_file_with_another_suffix_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = article()
    model.producer_name = "pytorch"
    path = tmp_path / "model.cnn"
    path.write_bytes(model.SerializeToString())
    code, err = _cli([str(path)], capsys)
    assert code == 2 and "possibly an ONNX model" in err and ".onnx" in err


FUZZ = """
import random, sys
from cnncalc.cli import main
data = open(sys.argv[1], 'rb').read()
rng = random.Random(int(sys.argv[3]))
codes = {}
for i in range(int(sys.argv[2])):
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(buf))
        choice = rng.random()
        if choice < 0.6:
            buf[at] = rng.randrange(256)
        elif choice < 0.8:
            del buf[at:at + rng.randint(1, 16)]
        else:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    open(sys.argv[1] + '.m.onnx', 'wb').write(bytes(buf))
    code = main([sys.argv[1] + '.m.onnx', '--format', 'csv'])
    codes[code] = codes.get(code, 0) + 1
print(codes)
sys.exit(0 if set(codes) <= {0, 2} else 1)
"""


@pytest.mark.parametrize("seed", [0, 18, 22, 119])
def test_mutated_model_bytes_never_crash(tmp_path: Path, seed: int) -> None:
    """Random byte flips, deletions and insertions: exit 0 or 2, never a traceback (status 3) or a crash.
    In a subprocess, so that a crash in onnx's C++ shape inference would fail the test, not the run. Fixed
    seeds, so that a failure can be replayed: seeds 18 and 22 once made a node with an absent (empty-named) input
    reach the mapping table (a KeyError, exit 3), such a node is now a measured row that says its input is
    missing; seed 119 made a name invalid UTF-8, which the protobuf parser hands back as bytes: now refused as a
    damaged file (exit 2)."""
    path = tmp_path / "fuzz.onnx"
    path.write_bytes(article().SerializeToString())
    done = subprocess.run([sys.executable, "-c", FUZZ, str(path), "150", str(seed)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])


def test_sub_div_max_min_mean_are_core_merges_with_onnxruntimes_shapes() -> None:
    """Sub, Div, Max, Min and Mean map to the core's element-wise merges (a constant operand, x − mean, is a
    stored tensor as for Add); every node's output shape is onnxruntime's."""
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    n = helper.make_node
    nodes = [n("Conv", ["x", "w1"], ["a"], name="a", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             n("Conv", ["x", "w2"], ["b"], name="b", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             n("Sub", ["a", "b"], ["d"], name="d"), n("Sub", ["d", "mean"], ["c"], name="centre"),
             n("Div", ["c", "b"], ["q"], name="q"), n("Max", ["a", "b", "q"], ["m"], name="m"),
             n("Min", ["m", "a"], ["mi"], name="mi"), n("Mean", ["mi", "a", "b"], ["y"], name="y")]
    model = _model(nodes, [_tensor("w1", [4, 3, 3, 3]), _tensor("w2", [4, 3, 3, 3]), _tensor("mean", [1, 4, 1, 1])],
                   [2, 3, 8, 8])
    r = from_onnx(model, conventions=cc.Conventions(count_elementwise_flops=True))
    assert [row.kind for row in r.rows][3:] == ["subtract", "subtract", "divide", "maximum", "minimum", "average"]
    assert not any(row.unmodelled for row in r.rows)
    assert r["centre"].params == 4 and r["y"].flops.value == 2 * 8 * 8 * 4 * 3
    by_output = {"y": "y", "d": "d", "c": "centre", "q": "q", "m": "m", "mi": "mi"}
    model.graph.output.extend(helper.make_tensor_value_info(o, F, None) for o in by_output if o != "y")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {"x": np.zeros((2, 3, 8, 8), np.float32)})
    names = [o.name for o in session.get_outputs()]
    for name, value in zip(names, got, strict=True):
        b, ch, *spatial = value.shape
        assert r[by_output[name]].output_shape.dims == (*spatial, ch) and b == 2
