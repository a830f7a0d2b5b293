"""The core's memory rules (cnncalc.analysis.memory, from rows' kinds) against PyTorch's own saved tensors and
allocations, measured on the meta device (cnncalc.adapters.torch.memory.measure_memory).

PyTorch rows reach the core by the one road (from_torch → LayerCall → row_of → Row, with the data flow and the
in-place results the trace saw); the same code as for text networks computes their memory. Tolerances:

- per kind (each after a convolution that makes its input): the unique bytes saved for backward equal torch's
  exactly, the bytes after forward to within the tracker's 512-byte rounding;
- whole networks: saved bytes and bytes after forward within 2%, the backward peak within 3%, the step peak
  within 3%, the inference peak within 10% (the tracker sees a few Python-held temporaries the rules do not);
- text networks (the article net, a ResNet basic block, a depthwise-separable block) written both ways: the
  text-format analysis against torch's measurement of the same network, saved bytes within 1%.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torch import Tensor, nn  # noqa: E402
from torch.utils.checkpoint import checkpoint  # noqa: E402

import cnncalc as cc  # noqa: E402
from cnncalc.adapters.torch.memory import measure_memory, step_estimate  # noqa: E402
from cnncalc.cli import main  # noqa: E402
from parity_networks import ARTICLE, BASIC_BLOCK, SEPARABLE  # noqa: E402

SIZE = (4, 8, 16, 16)


class Two(nn.Module):
    """Two convolutions of the input, merged by ``op`` (add, mul, cat)."""

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op
        self.a, self.b = nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        a, b = self.a(x), self.b(x)
        out: Tensor = a + b if self.op == "add" else a * b if self.op == "mul" else torch.cat([a, b], 1)
        return out


def after_stem(*layers: nn.Module) -> nn.Module:
    """A convolution that makes the tensor the layers under test read (the input itself is never counted)."""
    return nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), *layers)


KINDS: dict[str, Callable[[], nn.Module]] = {
    "conv": lambda: after_stem(nn.Conv2d(8, 16, 3, padding=1)),
    "conv_depthwise": lambda: after_stem(nn.Conv2d(8, 8, 3, padding=1, groups=8)),
    "conv_transpose": lambda: after_stem(nn.ConvTranspose2d(8, 4, 2, stride=2)),
    "linear": lambda: after_stem(nn.Flatten(), nn.Linear(8 * 16 * 16, 10)),
    "batchnorm": lambda: after_stem(nn.BatchNorm2d(8)),
    "groupnorm": lambda: after_stem(nn.GroupNorm(2, 8)),
    "relu": lambda: after_stem(nn.ReLU()),
    "relu_inplace": lambda: after_stem(nn.ReLU(inplace=True)),
    "relu6_inplace": lambda: after_stem(nn.ReLU6(inplace=True)),
    "sigmoid": lambda: after_stem(nn.Sigmoid()),
    "tanh": lambda: after_stem(nn.Tanh()),
    "gelu": lambda: after_stem(nn.GELU()),
    "silu": lambda: after_stem(nn.SiLU()),
    "softmax": lambda: after_stem(nn.Softmax(dim=1)),
    "maxpool": lambda: after_stem(nn.MaxPool2d(2)),
    "avgpool": lambda: after_stem(nn.AvgPool2d(2)),
    "adaptive_avgpool_1x1": lambda: after_stem(nn.AdaptiveAvgPool2d(1)),
    "flatten": lambda: after_stem(nn.Flatten()),
    "upsample": lambda: after_stem(nn.Upsample(scale_factor=2)),
    "add": lambda: after_stem(Two("add")),
    "mul": lambda: after_stem(Two("mul")),
    "cat": lambda: after_stem(Two("cat")),
}


def core_training(model: nn.Module, size: tuple[int, ...], **options: Any) -> Any:
    m = cc.from_torch(model, size, training=cc.Training(**options)).memory()
    assert m.training is not None
    return m


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kinds_saved_tensors_equal_torchs(kind: str) -> None:
    model = KINDS[kind]()
    core = core_training(model, SIZE).training
    measured = measure_memory(model, SIZE)
    assert core.saved_bytes == measured.saved_activation_bytes
    assert core.after_forward_bytes == pytest.approx(measured.after_forward_bytes, abs=2048)
    tensors = sum(1 for p in model.parameters())  # the tracker rounds each gradient up to 512 B
    assert core.grads_bytes == pytest.approx(measured.grads_bytes, abs=512 * tensors)


@pytest.mark.parametrize("amp", [None, "bf16"])
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_torchvision_models_through_the_one_road(name: str, amp: str | None) -> None:
    with torch.device("meta"):
        model = torchvision.models.get_model(name, weights=None)
    size = (2, 3, 128, 128)
    core = core_training(model, size, amp=amp)
    step = core.training
    measured = measure_memory(model, size, amp=amp)
    est = step_estimate(measured, "adam")
    assert step.saved_bytes == pytest.approx(measured.saved_activation_bytes, rel=0.02)
    assert step.after_forward_bytes == pytest.approx(measured.after_forward_bytes, rel=0.02)
    assert step.backward_peak_bytes == pytest.approx(measured.backward_peak_bytes, rel=0.03)
    assert step.peak_bytes == pytest.approx(est["step_peak"], rel=0.03)
    assert core.inference.peak_bytes == pytest.approx(est["inference_peak"], rel=0.10)


#: each network in the text format and in PyTorch (tests/parity_networks.py)
CASES = {"article": ARTICLE, "basic": BASIC_BLOCK, "separable": SEPARABLE}


@pytest.mark.parametrize("case", list(CASES))
def test_text_networks_against_torchs_measurement(case: str) -> None:
    network = CASES[case]
    text, build, size = network.text, network.torch_model, network.input_size(2)
    r = cc.analyze(cc.parse(text), batch=size[0])
    core = r.memory(cc.Training()).training
    measured = measure_memory(build(), size)
    assert core is not None
    assert core.saved_bytes == pytest.approx(measured.saved_activation_bytes, rel=0.01)
    tensors = sum(1 for p in build().parameters())  # the tracker rounds each gradient up to 512 B
    assert core.grads_bytes == pytest.approx(measured.grads_bytes, abs=512 * tensors)
    from_torch = core_training(build(), size).training
    assert from_torch.saved_bytes == core.saved_bytes


def unit(c: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU())


class Blocks(nn.Module):
    """A stem and three blocks, each run under torch.utils.checkpoint when ``ckpt`` (and autograd is on)."""

    def __init__(self, ckpt: bool) -> None:
        super().__init__()
        self.ckpt = ckpt
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.u1, self.u2, self.u3 = unit(16), unit(16), unit(16)

    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        for u in (self.u1, self.u2, self.u3):
            x = checkpoint(u, x, use_reentrant=False) if self.ckpt and torch.is_grad_enabled() else u(x)
        return x


def test_checkpointing_against_torch_utils_checkpoint() -> None:
    """--checkpoint keeps the top-level modules' inputs only and recomputes one block at a time in backward:
    after forward = the three blocks' inputs + the output = 4·T (T = 4·16·32·32·4 B); torch's checkpoint, measured
    on meta (the model lives on meta so that the recomputation matches), holds the same, and the backward peak
    agrees within 3%."""
    size = (4, 3, 32, 32)
    t = 4 * 16 * 32 * 32 * 4
    with torch.device("meta"):
        plain, ckpt = Blocks(False), Blocks(True)
    core = core_training(plain, size, checkpoint=True).training
    full = core_training(plain, size).training
    measured = measure_memory(ckpt, size)
    assert core.after_forward_bytes == 4 * t
    assert measured.after_forward_bytes == pytest.approx(4 * t, abs=1024)
    assert core.backward_peak_bytes == pytest.approx(measured.backward_peak_bytes, rel=0.03)
    assert full.after_forward_bytes == 7 * t  # without: every ReLU's output (6) and the stem's output
    assert core.after_forward_bytes < full.after_forward_bytes  # (the peak: backward dominates this small net)


def test_cli_train_json_for_a_torchvision_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["torchvision:resnet18", "--input", "2x3x64x64", "--train", "--optimizer", "adamw",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    training = out["totals"]["memory"]["training"]
    for key in ("peak_bytes", "params_bytes", "grads_bytes", "optimizer_bytes", "after_forward_bytes",
                "saved_bytes"):
        assert isinstance(training[key], int) and training[key] > 0, key
    assert training["optimizer"] == "adamw"
    assert training["optimizer_bytes"] == 2 * training["params_bytes"]
    relu = next(r for r in out["layers"] if r["name"] == "relu")
    assert relu["saved_bytes"] == 2 * 64 * 32 * 32 * 4  # in place on bn1's output, which it keeps
    assert relu["inputs"] == ["bn1"]


def test_from_torch_refuses_a_training_that_is_not_one() -> None:
    with pytest.raises(cc.ArgumentError, match=r"training must be a cnncalc\.Training, got str"):
        cc.from_torch(nn.Linear(2, 2), (1, 2), training="adam")


def test_fsdp_sharding_against_pytorchs_fsdp_mem_tracker() -> None:
    """PyTorch's FSDPMemTracker (FSDP2 fully_shard per block and on the root, FakeTensorMode, a fake process
    group of 4, on CPU) against ``Training(shard="fsdp", gpus=4)`` on a 4-layer GPT-2 (benchmarks/fsdp_compare.py,
    in a subprocess: the process group is global). The sharding arithmetic (sharded parameters + Adam's state;
    the root's and two blocks' unsharded parameters) agrees to the byte; the per-GPU peak on the activations
    measured on meta within 5% (the core's own activation rules for GPT-2's unmapped Conv1D, GELU and attention
    code are compared in docs/memory.md)."""
    pytest.importorskip("transformers")
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parents[2] / "benchmarks" / "fsdp_compare.py"
    run = subprocess.run([sys.executable, str(script), "gpt2", "4"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    d = json.loads(run.stdout.strip().splitlines()[-1])
    t, c = d["tracker"], d["cnncalc"]
    assert c["fsdp_params_bytes"] - c["fsdp_gathered_bytes"] + c["fsdp_optimizer_bytes"] == pytest.approx(
        t["Sharded Param"] + t["OptState"], rel=0.001)
    assert c["fsdp_gathered_bytes"] == pytest.approx(t["Unsharded Param"] + t["All Gather"], rel=0.01)
    assert c["fsdp_measured_activations_peak_bytes"] == pytest.approx(t["Total"], rel=0.05)
