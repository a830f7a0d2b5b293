"""Hostile and extreme input (issue 14): every case ends in a message and a documented exit code, within a small
time and memory bound, never a traceback, a hang or gigabytes. Each case is a minimal reproducer of a crash,
hang or silent wrong answer that an adversarial run found."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import cnncalc as cc
from bounds import bounded
from cnncalc import cli
from cnncalc.budget import parse_bytes, parse_count
from cnncalc.check.tables import _split_single, parse_number, parse_shape
from cnncalc.errors import ArgumentError, ParseError, ShapeError
from cnncalc.kinds.pool import adaptive_cells, adaptive_windows
from cnncalc.kinds.recurrent import Recurrent
from cnncalc.limits import MAX_INPUT_BYTES, short_int
from cnncalc.netjson import loads
from cnncalc.solve import Bounds, same_padding, search
from cnncalc.textformat import parse


def run(capsys: pytest.CaptureFixture[str], *argv: str, seconds: float = 10, mb: float = 300) -> tuple[int, str, str]:
    with bounded(seconds, mb):
        code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def net_file(tmp_path: Path, text: str, name: str = "net.cnn") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---- integers without limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json", "latex", "html", "article"])
def test_upsample_repeated_past_the_bound_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = net_file(tmp_path, "input 1x1x1\nu: upsample 2 *520\n")
    code, out, err = run(capsys, path, "--format", fmt)
    assert code == 2 and out == ""
    assert f"{path}:2:1: layer 'u.29'" in err and "past cnncalc's bound (10**18 elements per sample" in err


def test_a_5000_digit_literal_is_refused_where_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, net_file(tmp_path, "input " + "9" * 5000 + "x3x3\n"))
    assert code == 2 and ":1:7: number 99999999999999999999… is out of range (at most 1000000000000000000)" in err
    with pytest.raises(ParseError, match=r"<input>:2:9: number 10000000000000000000 is out of range"):
        parse("input 8x8x3\nc: conv 10000000000000000000 3\n")


def test_many_huge_dimensions_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, net_file(tmp_path, "input " + "x".join(["1000000000000000000"] * 300) + "\n"))
    assert code == 2 and "elements (300 axes) is past cnncalc's bound" in err


def test_python_api_arguments_past_the_bound() -> None:
    with pytest.raises(ArgumentError, match=r"filters is out of range: 1000000000000000001 > 10\*\*18"):
        cc.layers.Conv(10**18 + 1, kernel_size=3)
    with pytest.raises(ArgumentError, match=r"shape is out of range: 1\.000…e\+5000 \(5001 digits\) > 10\*\*18"):
        cc.layers.Input((10**5000, 3))


def test_short_int_never_converts_a_huge_int_whole() -> None:
    assert short_int(12345) == "12345"
    assert short_int(2**20000).endswith("e+6020 (6021 digits)")
    assert short_int(-(10**40)) == "-1.000…e+40 (41 digits)"


def test_json_huge_integer_nan_and_depth() -> None:
    doc = '{"schema": "cnncalc.network/1", "nodes": [{"name": "x", "kind": "input", "args": {"shape": [%s, 3]}}]}'
    with pytest.raises(ParseError, match=r"<json>:1:93: the number 99999999999999999999… is out of range"):
        loads(doc % ("9" * 5000))
    with pytest.raises(ParseError, match=r"<json>:1:93: NaN is not a JSON number"):
        loads(doc % "NaN")
    with pytest.raises(ParseError, match="the JSON is nested too deeply"):
        loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(cc.CnnCalcError, match=r"\$\.nodes\[0\]\.args\.shape.*: nested more than 32 levels deep"):
        loads(doc % ("[" * 40 + "1" + "]" * 40))
    with pytest.raises(cc.CnnCalcError, match=r"layer 'x': shape is out of range: 10000000000000000000 > 10\*\*18"):
        loads(doc % "10000000000000000000")


def test_json_layer_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = [{"name": "x", "kind": "input", "args": {"shape": [8, 8, 3]}}]
    nodes += [{"name": f"r{i}", "kind": "relu"} for i in range(100_001)]
    path = net_file(tmp_path, json.dumps({"schema": "cnncalc.network/1", "nodes": nodes}), "net.json")
    code, _, err = run(capsys, path, seconds=40, mb=600)
    assert code == 2 and "$.nodes: 100,002 nodes is more than the 100,000 cnncalc reads" in err


def test_budgets_past_the_bound_or_too_precise() -> None:
    with pytest.raises(ArgumentError, match=r"count '1\.00000000000000000000000000001M' is not a whole number"):
        parse_count("1.00000000000000000000000000001M")  # rounded to 1M before: a silent wrong budget
    with pytest.raises(ArgumentError, match="has more digits than cnncalc reads"):
        parse_bytes("1" * 5000)
    with pytest.raises(ArgumentError, match=r"out of range: 2000000000000000000 > 10\*\*18"):
        parse_count("2000P")


def test_batch_past_the_bound(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "examples/article.cnn", "--batch", "10000000000000000000")
    assert code == 2 and "batch is out of range: 10000000000000000000 > 10**18" in err


# ---- work bounded by the input's size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer, message",
    [
        ("a: adaptive_avgpool 1000000000000000000", "is past cnncalc's bound"),
        ("g: groupnorm 100000000", "fix: groups=3"),
        ("c: conv 8 3 groups=1000000000000000000", "fix: groups=1"),
    ],
)
def test_values_do_not_drive_the_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layer: str, message: str
) -> None:
    code, _, err = run(capsys, net_file(tmp_path, f"input 8x8x3\n{layer}\n"), seconds=3)
    assert code == 2 and message in err


def test_conv_groups_on_huge_channels_suggest_fixes_quickly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "input 8x8x1000000000000\nc: conv 1000000000000 3 groups=7\n"
    code, _, err = run(capsys, net_file(tmp_path, text), seconds=3)
    assert code == 2 and "fix: groups=8\n  fix: groups=5" in err


def test_recurrent_layers_are_counted_in_closed_form(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "input 10x8\nl: lstm 16 num_layers=1000000000000000000\n"
    code, _, _ = run(capsys, net_file(tmp_path, text), "--format", "json", seconds=3)
    assert code == 0
    deep = Recurrent(16, cell="lstm", num_layers=5)  # the closed form equals the layer-by-layer sum
    first, later = 4 * (16 * 8 + 16 * 16 + 2 * 16), 4 * (16 * 16 + 16 * 16 + 2 * 16)
    assert cc.analyze(cc.Network.chain(("x", cc.layers.Input((10, 8))), ("l", deep))).totals.params == first + 4 * later


def test_adaptive_windows_in_closed_form() -> None:
    assert all(adaptive_cells(i, o) == sum(b - a for a, b in adaptive_windows(i, o)) for i in range(1, 60)
               for o in range(1, 60))


def test_fix_suggestions_after_a_long_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["input 4000x4000x3"] + [f"r{i}: relu" for i in range(1000)] + ["c: conv 8 5000"]
    code, _, err = run(capsys, net_file(tmp_path, "\n".join(lines) + "\n"), seconds=8)
    assert code == 2 and "fix: kernel_size ≤ 4000" in err


def test_nested_blocks_are_capped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = "".join(f"block b{i}:\n  {'relu' if i == 0 else f'b{i - 1}'}\n" for i in range(500))
    code, _, err = run(capsys, net_file(tmp_path, "input 8x8x3\n" + blocks + "x: b499\n"), seconds=5)
    assert code == 2 and "blocks nested more than 50 deep" in err


def test_check_with_5000_rows_is_linear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = ["| Layer | Activation Shape | # Parameters |", "|---|---|---|", "| input | (32, 32, 3) | 0 |"]
    rows += [f"| relu{i} | (32, 32, 3) | 0 |" for i in range(5_000)]
    code, out, _ = run(capsys, "check", net_file(tmp_path, "\n".join(rows) + "\n", "t.md"), seconds=40, mb=800)
    assert code == 0 and "every cell correct" in out


def test_check_reads_a_claim_of_5000_digits_as_unreadable_not_a_crash(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Found by the long fuzz (HYPOTHESIS_PROFILE=long): a shape or count past MAX_DIGITS digits reached int(),
    which refuses more than 4,300 digits (exit 3). It is now a cell that cannot be read, like any other."""
    huge = "9" * 5000
    table = ("| Layer | Activation Shape | Activation Size | # Parameters |\n|---|---|---|---|\n"
             f"| Input | (32, 32, 3) | 3072 | 0 |\n| CONV1 (f=5, s=1) | (28, 28, 8) | 6272 | {huge} |\n"
             "| POOL1 | (14, 14, 8) | 1568 | 0 |\n")
    code, out, _ = run(capsys, "check", net_file(tmp_path, table, "t.md"))
    assert code == 1 and "line 4, CONV1 (f=5, s=1), # Parameters: cannot read '999" in out
    assert re.search(r"9…9+ \(5,000 characters\)", out) and huge not in out  # shown cut, with its length
    fuzz_found = f"Activation Shape  Layer  Layer  Layer  Layer  Layer\n0  0\n{'9' * 4401}  0  0  0  (1) 2\n"
    code, _, err = run(capsys, "check", net_file(tmp_path, fuzz_found, "t.txt"))
    assert code == 2 and "must be the input layer" in err and "internal error" not in err
    assert parse_shape(f"({huge}, 3)") is None and parse_number(huge) is None and parse_number("9" * 40) == 10**40 - 1
    in_a_name = table.replace("CONV1 (f=5, s=1)", f"CONV1 (f={huge}, s=1)")
    code, _, err = run(capsys, "check", net_file(tmp_path, in_a_name, "t.md"))
    assert code == 2 and "line 4: cannot read 'f=999" in err
    torchinfo = ("Layer (type:depth-idx)  Output Shape  Param #\nNet  [1, 10]  --\n"
                 f"Conv2d: 1-{huge}  [1, 8, 28, 28]  608\n")
    code, _, err = run(capsys, "check", net_file(tmp_path, torchinfo, "t.txt"))
    assert code == 2 and "internal error" not in err


def test_check_column_splitting_is_not_exponential() -> None:
    cells = ["a", " ".join(f"({i})" for i in range(22)) + " 5x"]
    with bounded(2):
        assert _split_single(cells, 12, {j: "shape" for j in range(1, 12)}) is None


@pytest.mark.parametrize(
    "argv, message",
    [
        (["224", "112", "--max-padding", "1000000"], "the search would examine 11,000,011 (kernel, dilation, padding)"),
        (["224", "112", "--dilation", "1000000000000"], "more than the 250,000 cnncalc tries"),
        (["224", "112", "--limit", "-1"], "argument --limit: expected a whole number ≥ 0 (0: all), got '-1'"),
        (["same", "--kernel", "3", "--stride", "2", "--input", "0"], "input size must be an integer ≥ 1, got 0"),
        (["same", "--kernel", "3", "--stride", "2", "--input", "-5"], "input size must be an integer ≥ 1, got -5"),
        (["224", "112", "--max-kernel", "100000000000000000000"], "max kernel is out of range"),
    ],
)
def test_solve_options_are_bounded(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, _, err = run(capsys, "solve", *argv, seconds=5)
    assert code == 2 and message in err


def test_solve_limit_zero_lists_at_most_1000(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["1000", "10", "--max-kernel", "200", "--dilation", "1,2,3,4", "--limit", "0"]
    code, out, _ = run(capsys, "solve", *argv, seconds=30)
    assert code == 0 and "896575 convolution/pooling windows" in out
    assert "… 895575 more (at most 1,000 are listed)" in out


def test_same_padding_is_solved_not_searched() -> None:
    with bounded(1):
        r = same_padding(10**17, stride=2, i=10**18)
    assert r.symmetric and r.output is not None and r.output.value == 5 * 10**17


# ---- input caps ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["/dev/zero"], ["check", "/dev/zero"]])
def test_devices_are_refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv, seconds=2)
    assert code == 2 and "cannot read '/dev/zero': not a regular file (a pipe, socket or device)" in err


def test_a_fifo_is_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    fifo = tmp_path / "pipe.cnn"
    os.mkfifo(fifo)
    code, _, err = run(capsys, str(fifo), seconds=2)
    assert code == 2 and "not a regular file" in err


def test_a_large_file_is_refused_before_tokenizing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.cnn"
    path.write_bytes(b"# " + b"x" * MAX_INPUT_BYTES + b"\n")
    code, _, err = run(capsys, str(path), seconds=10, mb=120)
    assert code == 2 and "is larger than 16 MiB" in err


def test_large_stdin_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("\0" * (MAX_INPUT_BYTES + 10)))
    code, _, err = run(capsys, "-", seconds=10, mb=200)
    assert code == 2 and "'<stdin>' is larger than 16 MiB" in err


# ---- no silent wrong answers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["c: conv 8 3 trainable=no", "c: conv 8 3 bias=0", "b: batchnorm affine=yes"])
def test_flags_must_be_true_or_false(text: str) -> None:
    name = text.split()[-1].split("=")[0]
    with pytest.raises(ParseError, match=rf"{name} must be true or false, got"):
        parse(f"input 8x8x3\n{text}\n")


def test_flags_in_json_and_python() -> None:
    doc = {"schema": "cnncalc.network/1", "nodes": [
        {"name": "x", "kind": "input", "args": {"shape": [8, 8, 3]}},
        {"name": "c", "kind": "conv", "args": {"filters": 8, "kernel_size": 3, "trainable": "no"}, "inputs": ["x"]}]}
    with pytest.raises(cc.CnnCalcError, match=r"layer 'c': trainable must be true or false, got 'no'"):
        loads(json.dumps(doc))
    with pytest.raises(ArgumentError, match="trainable must be true or false, got 'no'"):
        cc.layers.Dense(10, trainable="no")  # type: ignore[arg-type]


def test_conventions_take_the_types_they_document() -> None:
    with pytest.raises(TypeError, match="flops_per_mac must be an integer, got bool True"):
        cc.Conventions(flops_per_mac=True)
    with pytest.raises(TypeError, match="count_bias_flops must be True or False, got str 'no'"):
        cc.Conventions(count_bias_flops="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dtype must be a string, got int 4"):
        cc.Conventions(dtype=4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="batch must be an integer, got str '8'"):
        cc.Conventions(batch="8")  # type: ignore[arg-type]


def test_empty_dtype_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "examples/article.cnn", "--dtype", "")
    assert code == 2 and "unknown dtype ''" in err


def test_solve_api_types() -> None:
    with pytest.raises(TypeError, match="input size must be an integer, got str '224'"):
        search("224", 112)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dilations must be a non-empty tuple of integers"):
        Bounds(dilations=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="limit must be an integer ≥ 1, got -1"):
        search(224, 112, limit=-1)


def test_shape_error_for_an_unknown_kind_is_still_located() -> None:
    with pytest.raises(ShapeError):
        cc.analyze(parse("input 4x4x3\nc: conv 8 7\n"))
