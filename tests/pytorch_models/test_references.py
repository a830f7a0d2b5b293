"""Model references and --input specs of the CLI (torchvision:, file.py:factory, package.module:factory)."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from cnncalc import ArgumentError, Conventions  # noqa: E402
from cnncalc.adapters.torch import analyze_reference, parse_input  # noqa: E402

CHW = Conventions(layout="chw")


def test_torchvision_reference_matches_numel() -> None:
    import torchvision

    result = analyze_reference("torchvision:resnet18", ["1x3x64x64"], {"num_classes": 10}, CHW, None)
    model = torchvision.models.resnet18(num_classes=10)
    assert result.totals.params == sum(p.numel() for p in model.parameters())
    assert result.rows[-1].output_shape.dims == (10,)


def test_default_input_is_the_weights_crop_size() -> None:
    result = analyze_reference("torchvision:inception_v3", None, {"aux_logits": False, "init_weights": False},
                               CHW, 1)
    assert result.rows[0].output_shape.ordered("chw") == (3, 299, 299)


def test_file_factory_with_kwargs_and_int_inputs(tmp_path: Path) -> None:
    src = tmp_path / "net.py"
    src.write_text(
        "import torch\n"
        "def make(vocab=50, dim=8):\n"
        "    return torch.nn.Sequential(torch.nn.Embedding(vocab, dim), torch.nn.Linear(dim, 3))\n"
    )
    result = analyze_reference(f"{src}:make", ["2x16:int64"], {"vocab": 70}, CHW, None)
    assert result.totals.params == 70 * 8 + 8 * 3 + 3
    assert result.conventions.batch == 2


def test_package_module_factory() -> None:
    result = analyze_reference("torchvision.models:squeezenet1_1", ["1x3x64x64"], {}, CHW, None)
    assert result.totals.params == 1_235_496


def test_unknown_torchvision_model_suggests() -> None:
    with pytest.raises(ArgumentError, match="did you mean 'resnet18'"):
        analyze_reference("torchvision:resnet81", None, {}, CHW, None)


def test_bad_kwargs_and_missing_factory(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="cannot build 'torchvision:resnet18' with --kwargs"):
        analyze_reference("torchvision:resnet18", ["1x3x32x32"], {"colour": 1}, CHW, None)
    src = tmp_path / "m.py"
    src.write_text("def make():\n    return None\n")
    with pytest.raises(ArgumentError, match=r"(?s)has no callable 'mak'.*did you mean 'make'"):
        analyze_reference(f"{src}:mak", ["1x3"], {}, CHW, None)
    # no --input and no default: a parameters-only table that says so (as torchinfo gives without input)
    r = analyze_reference("torchvision.models:resnet18", None, {}, CHW, None)
    assert r.totals.params == 11_689_512 and r.totals.macs == 0
    assert any("no input given: parameters only (forward() needs x)" in w for w in r.warnings)


@pytest.mark.parametrize("spec,expected", [
    ("1x3x224x224", ("", (1, 3, 224, 224), torch.float32)),
    ("1x128:int64", ("", (1, 128), torch.int64)),
    ("attention_mask=1x128:int64", ("attention_mask", (1, 128), torch.int64)),
    ("2x3:bf16", ("", (2, 3), torch.bfloat16)),
    ("2x3:fp64", ("", (2, 3), torch.float64)),   # every dtype name and alias of the core's one table
    ("2x3:int16", ("", (2, 3), torch.int16)),
    ("2x3:long", ("", (2, 3), torch.int64)),
])
def test_parse_input(spec: str, expected: tuple[str, tuple[int, ...], torch.dtype]) -> None:
    assert parse_input(spec) == expected


def test_parse_input_errors() -> None:
    with pytest.raises(ArgumentError, match="cannot read --input '1,3,224'"):
        parse_input("1,3,224")
    with pytest.raises(ArgumentError, match="did you mean 'int64'"):
        parse_input("1x128:int46")
    with pytest.raises(ArgumentError, match="has an axis of size 0: every axis must be ≥ 1"):
        parse_input("0x3x224x224")


def test_batch_and_dtype_are_honoured_or_refused() -> None:
    import torchvision

    ref = "torchvision:resnet18"
    numel = sum(p.numel() for p in torchvision.models.resnet18().parameters())
    # --batch sets the default input's batch axis: activations scale by exactly 8
    one = analyze_reference(ref, None, {}, CHW, None)
    eight = analyze_reference(ref, None, {}, CHW, None, batch=8)
    assert eight.conventions.batch == 8 and eight.totals.activations == 8 * one.totals.activations
    with pytest.raises(ArgumentError, match=r"--batch 8 disagrees with --input 1x3x64x64, whose first \(batch\) "
                                            r"axis is 1"):
        analyze_reference(ref, ["1x3x64x64"], {}, CHW, None, batch=8)
    # --dtype casts the model: parameter bytes are numel · 2 in float16, 4 in float32
    half = analyze_reference(ref, ["1x3x64x64"], {}, CHW, None, dtype="fp16")
    assert half.conventions.dtype == "float16" and half.totals.param_bytes == 2 * numel
    with pytest.raises(ArgumentError, match="--dtype int8 would cast the model's parameters to an integer type"):
        analyze_reference(ref, ["1x3x64x64"], {}, CHW, None, dtype="int8")
    with pytest.raises(ArgumentError, match="--convention keras does not apply to a PyTorch model"):
        analyze_reference(ref, ["1x3x64x64"], {}, Conventions(layout="chw", counting="keras"), None)


def test_timm_reference_matches_numel_and_flop_counter() -> None:
    timm = pytest.importorskip("timm")
    from torch.utils.flop_counter import FlopCounterMode

    result = analyze_reference("timm:resnet18", ["1x3x64x64"], {}, CHW, None)
    with torch.device("meta"):
        model = timm.create_model("resnet18").eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, 64, 64, device="meta"))
    assert result.totals.params == sum(p.numel() for p in model.parameters())
    assert result.totals.macs == counter.get_total_flops() // 2


def test_cli_reference_and_error_without_traceback() -> None:
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "cnncalc", "torchvision:resnet18", "--input", "1x3x32x32",
                         "--depth", "1"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "11,689,512" in ok.stdout and "layer1.0.conv1" not in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "cnncalc", "torchvision:resnet81"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "did you mean 'resnet18'" in bad.stderr and "Traceback" not in bad.stderr
    for argv, said in [(["--depth", "-1"], "--depth must be 0 or more, got -1"),
                       (["--input", "0x3x32x32"], "has an axis of size 0"),
                       (["--batch", "4", "--input", "2x3x32x32"], "--batch 4 disagrees with --input 2x3x32x32")]:
        run = subprocess.run([sys.executable, "-m", "cnncalc", "torchvision:resnet18", *argv], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 2 and said in run.stderr and "Traceback" not in run.stderr, run.stderr
