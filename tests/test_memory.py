"""Memory rules (cnncalc.analysis.memory): the CLI's errors, and the kinds' rules against PyTorch's saved tensors."""

from __future__ import annotations

import pytest

import cnncalc as cc
from cnncalc.analysis.memory import largest_batch, memory_of
from cnncalc.analysis.training import Training
from cnncalc.cli import main

NET = """input 32x32x3
c1: conv 16 f=3 p=1
b1: bn
r1: relu
p1: maxpool f=2 s=2
c2: conv 32 f=3 p=1
r2: relu
g: gap
f: flatten
d: dense 10
"""


@pytest.mark.parametrize(("flags", "message"), [
    (["--train", "--optimizer", "adm"], "unknown optimizer 'adm' (did you mean 'adam'?)"),
    (["--train", "--gpus", "0"], "--gpus must be at least 1, got 0"),
    (["--train", "--shard", "zero3"], "--shard zero3 needs --gpus N"),
    (["--max-batch", "--gpu-memory", "12XB"], "'12XB'"),
    (["--max-batch"], "--max-batch needs --gpu-memory"),
    (["--train", "--amp", "int8"], "got 'int8' (an integer dtype)"),
])
def test_bad_memory_options(tmp_path: object, capsys: pytest.CaptureFixture[str], flags: list[str],
                            message: str) -> None:
    path = f"{tmp_path}/n.cnn"
    with open(path, "w", encoding="utf-8") as f:
        f.write(NET)
    assert main([path, *flags]) == 2
    assert message in capsys.readouterr().err


def test_untrainable_network_gives_inference_only() -> None:
    r = cc.analyze(cc.parse("input 8x8x3\np: maxpool f=2 s=2\n"))
    m = r.memory(Training())
    assert m.training is None and "cannot be trained" in (m.note or "") and m.inference.peak_bytes > 0


def test_max_batch_is_affine() -> None:
    def peak(batch: int) -> int:
        r = cc.analyze(cc.parse(NET), batch=batch)
        step = memory_of(r.rows, r.conventions, Training()).training
        assert step is not None
        return step.peak_bytes

    b = largest_batch(peak, 1, 1 << 30)
    assert peak(b + 1) > 1 << 30
    big = cc.analyze(cc.parse(NET), batch=b)
    step = memory_of(big.rows, big.conventions, Training()).training
    assert step is not None and step.peak_bytes <= 1 << 30


@pytest.mark.parametrize("amp", [None, "bf16"])
def test_rules_match_torch_saved_tensors(amp: str | None) -> None:
    torch = pytest.importorskip("torch")
    from torch import nn

    from cnncalc.adapters.torch.memory import measure_memory

    r = cc.analyze(cc.parse(NET), batch=8)
    core = memory_of(r.rows, r.conventions, Training(amp=amp)).training
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2, 2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(32, 10))
    m = measure_memory(model, (8, 3, 32, 32), amp=amp)
    assert core is not None and torch is not None
    assert core.saved_bytes == pytest.approx(m.saved_activation_bytes, rel=0.01)
    assert core.after_forward_bytes == pytest.approx(m.after_forward_bytes, rel=0.01)
    assert core.backward_peak_bytes == pytest.approx(m.backward_peak_bytes, rel=0.02)
