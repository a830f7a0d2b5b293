"""Training memory by the core's rules, checked by hand: activation checkpointing, the sharding arithmetic
(DDP, ZeRO-1/2/3, FSDP), Adafactor's factored state, and every bad option (exit 2, the message names the value).

The same rules are checked against PyTorch's measurement in tests/pytorch_models/test_memory_parity.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cnncalc as cc
from cnncalc.analysis.memory import TrainingStep
from cnncalc.cli import main

BLOCKS = """\
input 8x8x16
block unit(c):
    a: conv c f=3 p=1
    a_relu: relu
    b: conv c f=3 p=1
    b_relu: relu
u1: unit 16
u2: unit 16
u3: unit 16
"""
T = 16 * 8 * 8 * 16 * 4  # one activation at batch 16, float32


def step(text: str, batch: int = 16, **options: object) -> TrainingStep:
    m = cc.analyze(cc.parse(text), batch=batch).memory(cc.Training(**options))  # type: ignore[arg-type]
    training: TrainingStep | None = m.training
    assert training is not None
    return training


def test_checkpointing_keeps_only_the_blocks_inputs() -> None:
    """Without checkpointing every ReLU's output is kept (6·T; each conv's input is the ReLU before it, the
    first conv's is the network's input); with it, the inputs of u2 and u3 and the output: 3·T."""
    full, ckpt = step(BLOCKS), step(BLOCKS, checkpoint=True)
    assert full.saved_bytes == ckpt.saved_bytes == 6 * T
    assert full.after_forward_bytes == 6 * T
    assert ckpt.after_forward_bytes == 3 * T
    # backward recomputes one block at a time: never more than one block's saved tensors (2·T) above the
    # backward without checkpointing (the torch test checks the figure against torch.utils.checkpoint)
    assert ckpt.backward_peak_bytes <= full.backward_peak_bytes + 2 * T
    assert ckpt.peak_bytes < full.peak_bytes
    assert ckpt.checkpoint and not full.checkpoint


MLP = """\
input 64
block mlp(c):
    fc: dense c
    act: relu
b1: mlp 64
b2: mlp 64
head: dense 10
"""
BLOCK = (64 * 64 + 64) * 4  # one block's parameters, bytes
ROOT = (64 * 10 + 10) * 4  # the head, outside every block
P = 2 * BLOCK + ROOT


@pytest.mark.parametrize(("how", "params", "grads", "optimizer", "gathered"), [
    ("ddp", P, P, 2 * P, 0),
    ("zero1", P, P, 2 * P // 4, 0),
    ("zero2", P, P // 4, 2 * P // 4, 0),
    ("zero3", P // 4 + BLOCK, P // 4, 2 * P // 4, BLOCK),  # + the largest unit while it runs
    ("fsdp", P // 4 + ROOT + 2 * BLOCK, P // 4, 2 * P // 4, ROOT + 2 * BLOCK),  # root + running + prefetched
])
def test_sharding_arithmetic_by_hand(how: str, params: int, grads: int, optimizer: int, gathered: int) -> None:
    s = step(MLP, batch=8, shard=how, gpus=4)
    per = s.per_gpu
    assert (per["gpus"], per["params_bytes"], per["grads_bytes"], per["optimizer_bytes"], per["gathered_bytes"]) \
        == (4, params, grads, optimizer, gathered)
    rest = s.before_forward_bytes - s.params_bytes - s.optimizer_bytes  # the input (and buffers)
    assert rest == 8 * 64 * 4
    act = max(s.after_forward_bytes, s.backward_peak_bytes - s.grads_bytes)
    temporaries = s.optimizer_step_bytes if how == "ddp" else s.optimizer_step_bytes // 4
    assert per["peak_bytes"] == params + optimizer + rest + max(act + grads, grads + temporaries)


def test_ddp_on_one_gpu_is_the_single_gpu_step() -> None:
    s = step(MLP, shard="ddp", gpus=1)
    assert s.per_gpu["peak_bytes"] == s.peak_bytes


def test_adafactor_keeps_row_and_column_factors() -> None:
    """Per weight matrix rows + columns (64 + 64 for each block's, 10 + 64 for the head's), biases in full."""
    s = step(MLP, optimizer="adafactor")
    assert s.optimizer_bytes == ((64 + 64 + 64) * 2 + (10 + 64 + 10)) * 4
    conv = step("input 8x8x3\nc: conv 16 f=3\n", optimizer="adafactor")  # weight (16, 3, 3, 3): 48 + 48, bias 16
    assert conv.optimizer_bytes == (16 * 3 * 3 + 16 * 3 * 3 + 16) * 4


@pytest.mark.parametrize(("name", "states"), [("sgd", 0), ("momentum", 1), ("adam", 2), ("adamw", 2)])
def test_optimizer_state_per_parameter(name: str, states: int) -> None:
    assert step(MLP, optimizer=name).optimizer_bytes == states * P


def test_adam8bit_is_one_byte_per_state_plus_block_scales() -> None:
    n = P // 4
    assert step(MLP, optimizer="adam8bit").optimizer_bytes == 2 * n + 2 * -(-n // 2048) * 4


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "n.cnn"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("flags", "message"), [
    (["--train", "--optimizer", "adamm"], "unknown optimizer 'adamm' (did you mean 'adam'?)"),
    (["--train", "--optimizer", "lion"], "unknown optimizer 'lion'"),
    (["--train", "--gpus", "0"], "--gpus must be at least 1, got 0"),
    (["--train", "--gpus", "-3"], "--gpus must be at least 1, got -3"),
    (["--train", "--shard", "fsdp"], "--shard fsdp needs --gpus N"),
    (["--train", "--shard", "zero4", "--gpus", "2"], "unknown --shard 'zero4' (did you mean 'zero"),
    (["--max-batch", "--gpu-memory", "12XB"], "12XB"),
    (["--max-batch"], "--max-batch needs --gpu-memory"),
    (["--train", "--amp", "int8"], "--amp takes bf16 or fp16, got 'int8' (an integer dtype)"),
    (["--train", "--amp", "float64"], "--amp takes bf16 or fp16, got 'float64'"),
])
def test_bad_options_exit_2_naming_the_value(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
                                             message: str) -> None:
    assert main([write(tmp_path, MLP), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_python_api_errors_name_the_value() -> None:
    with pytest.raises(cc.ArgumentError, match=r"unknown optimizer 'adm' \(did you mean 'adam'\?\)"):
        cc.Training(optimizer="adm")
    with pytest.raises(cc.ArgumentError, match="--gpus must be a whole number ≥ 1, got 0"):
        cc.Training(gpus=0)
    with pytest.raises(cc.ArgumentError, match=r"got 'int32' \(an integer dtype\)"):
        cc.Training(amp="int32")


def test_untrainable_model_says_so_and_gives_inference_memory(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "input 8x8x3\np: maxpool f=2 s=2\n")
    assert main([path, "--train", "--format", "json"]) == 0
    captured = capsys.readouterr()
    memory = json.loads(captured.out)["totals"]["memory"]
    assert memory["training"] is None
    assert "no parameter is trainable: the model cannot be trained; inference memory only" in memory["note"]
    assert memory["inference"]["peak_bytes"] == 960  # input 768 B + the pooled output 192 B
    assert "cannot be trained" in captured.err


def test_frozen_network_cannot_be_trained() -> None:
    frozen = cc.analyze(cc.parse("input 16\nfc: dense 4 trainable=false\n")).memory(cc.Training())
    assert frozen.training is None and frozen.inference.params_bytes == (16 * 4 + 4) * 4
