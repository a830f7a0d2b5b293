"""The command line, run in-process through ``main([...])`` and, for exit codes, as a real process.

Oracles: the article's own table and numbers (the seed file), hand-derived counts, and the documented
exit codes (0 ok, 1 budget exceeded, 2 user error, never a traceback for a user's mistake).
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import subprocess
import sys
import types
from importlib.metadata import version
from pathlib import Path

import pytest

import cnncalc as cc
from cnncalc import cli, sources
from cnncalc.budget import Budget, parse_bytes, parse_count

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "article_table.txt"
ARTICLE_CNN = (ROOT / "examples" / "article.cnn").read_text(encoding="utf-8")
#: (layer, shape, size, params) of the article's table, read from the article's text
ARTICLE = [tuple(line.split("\t")[1:]) for line in GOLDEN.read_text(encoding="utf-8").splitlines()[1:]]


@pytest.fixture()
def article_file(tmp_path: Path) -> str:
    path = tmp_path / "article.cnn"
    path.write_text(ARTICLE_CNN, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the article ------------------------------------------------------------------------------------


def test_the_articles_numbers(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    code, out, err = run(capsys, article_file)
    assert code == 0 and err == ""
    rows = {line.split()[0]: line.split() for line in out.splitlines()[3:11]}
    for layer, _shape, size, params in ARTICLE:
        name = layer.split()[0] if layer != "Input Layer:" else "input_1"
        assert rows[name][-3].replace(",", "") == params, layer
        assert f"{int(size):,}" in rows[name], layer
    assert f"Params: {sum(int(a[3]) for a in ARTICLE):,}" in out  # 62,958
    assert "Conventions: layout HWC · batch 1 · float32" in out


@pytest.mark.parametrize("source", ["file", "zoo:article", "examples/article.cnn", "stdin"])
def test_format_article_is_the_articles_table(
    capsys: pytest.CaptureFixture[str], article_file: str, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    arg = {"file": article_file, "stdin": "-", "examples/article.cnn": str(ROOT / source)}.get(source, source)
    monkeypatch.setattr(sys, "stdin", io.StringIO(ARTICLE_CNN))
    code, out, _ = run(capsys, arg, "--format", "article")
    assert code == 0
    assert out == GOLDEN.read_text(encoding="utf-8")


def test_explain_one_layer(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    code, out, _ = run(capsys, article_file, "--explain", "CONV1")
    assert code == 0
    assert "((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608" in out  # the article's ((5*5*3)+1)*8 = 608
    assert "FC3" not in out.split("Params:")[0]


def test_explain_every_layer(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    code, out, _ = run(capsys, article_file, "--explain")
    assert code == 0
    assert all(f"{a[0].split()[0]} (" in out for a in ARTICLE[1:])
    assert "(p·c) + c = (400·120) + 120 = 48120" in out


def test_explain_unknown_layer(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    code, _, err = run(capsys, article_file, "--explain", "CONV1x")
    assert code == 2
    assert "cnncalc: error: --explain: no layer or block named 'CONV1x'" in err and "did you mean 'CONV1'" in err


def test_explain_ignores_case_and_takes_a_block(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    code, out, _ = run(capsys, article_file, "--explain", "conv1")
    assert code == 0 and out.startswith("CONV1 (conv)") and "((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608" in out
    code, out, _ = run(capsys, "zoo:resnet50", "--explain", "layer1")
    # the block's rows, and only them: 3 bottlenecks of the first stage
    explained = [line.split(" (")[0] for line in out.splitlines() if line and not line.startswith(" ")]
    blocks = [n for n in explained if n.startswith("layer")]
    assert code == 0 and blocks and all(n.startswith("layer1.") for n in blocks)
    assert {n.split(".")[1] for n in blocks} == {"0", "1", "2"}


def test_empty_columns_is_a_usage_error(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    code, _, err = run(capsys, article_file, "--columns", "")
    assert code == 2 and "no columns given" in err


def test_an_analysis_error_echoes_the_line_with_a_caret(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    net = tmp_path / "t.cnn"
    net.write_text("input 8x8x3\nc1: conv 8 3\nc3: conv 8 3 p=1x2x3\n")
    code, _, err = run(capsys, str(net), )
    assert code == 2
    assert f"{net}:3:1: layer 'c3': padding (1, 2, 3) has 3 entries for a 2-D layer\n  c3: conv 8 3 p=1x2x3\n  ^" in err


# --- options ----------------------------------------------------------------------------------------


def test_layout_batch_dtype(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    code, out, _ = run(capsys, article_file, "--layout", "chw", "--batch", "2", "--dtype", "fp16", "-f", "json")
    data = json.loads(out)
    assert code == 0
    assert data["layers"][1]["output_shape"] == [8, 28, 28]
    assert [layer["activations"] for layer in data["layers"]] == [2 * int(a[2]) for a in ARTICLE]
    assert data["totals"]["param_bytes"] == 2 * 62_958
    assert data["conventions"]["dtype"] == "float16" and data["conventions"]["batch"] == 2


def test_columns(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    code, out, _ = run(capsys, article_file, "--columns", "name,params", "-f", "csv")
    assert code == 0
    assert out.splitlines() == ["name,params"] + [
        f"{'input_1' if a[0] == 'Input Layer:' else a[0].split()[0]},{a[3]}" for a in ARTICLE
    ]


def test_convention_keras_counts_batchnorm_statistics(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bn.cnn"
    path.write_text("input 8x8x3\nconv 4 f=3\nbatchnorm\n", encoding="utf-8")
    totals = {}
    for convention in ("torch", "keras"):
        code, out, _ = run(capsys, str(path), "--convention", convention, "-f", "json")
        assert code == 0
        totals[convention] = json.loads(out)["totals"]
    conv = (3 * 3 * 3 + 1) * 4
    assert totals["torch"]["params"] == conv + 2 * 4 and totals["torch"]["state"] == 2 * 4 + 1
    assert totals["keras"]["params"] == conv + 4 * 4 and totals["keras"]["non_trainable_params"] == 2 * 4


def test_json_schema(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    _, out, _ = run(capsys, article_file, "--format", "json")
    data = json.loads(out)
    assert data["schema"] == "cnncalc.result/1"
    for key in (
        "params",
        "trainable_params",
        "non_trainable_params",
        "state",
        "macs",
        "flops",
        "activations",
        "param_bytes",
        "activation_bytes",
    ):
        assert key in data["totals"]
    assert data["conventions"]["layout"] == "hwc"
    documented = (ROOT / "docs" / "json-schema.md").read_text(encoding="utf-8")
    keys = set(data) | set(data["totals"]) | set(data["conventions"]) | set(data["layers"][1])
    keys |= set(data["layers"][1]["receptive_field"])
    assert {k for k in keys if f"`{k}`" not in documented} == set()


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "latex", "html"])
def test_every_format_runs(capsys: pytest.CaptureFixture[str], article_file: str, fmt: str) -> None:
    code, out, _ = run(capsys, article_file, "--format", fmt)
    assert code == 0 and "48" in out and "120" in out


# --- budgets ----------------------------------------------------------------------------------------


def test_budget_units() -> None:
    assert parse_count("5M") == 5_000_000 and parse_count("2.5G") == 2_500_000_000 and parse_count("60k") == 60_000
    assert parse_bytes("24GB") == 24 * 10**9 and parse_bytes("512MiB") == 512 * 2**20 and parse_bytes("100") == 100
    assert parse_bytes("2.5G") == 2_500_000_000 and parse_bytes("1.5KiB") == 1536
    with pytest.raises(cc.ArgumentError, match="unknown unit 'Q' in count '5Q'"):
        parse_count("5Q")
    with pytest.raises(cc.ArgumentError, match="cannot read count 'lots'"):
        parse_count("lots")
    with pytest.raises(cc.ArgumentError, match=r"count '1\.5' is not a whole number"):
        parse_count("1.5")
    with pytest.raises(cc.ArgumentError, match="unknown unit in memory size '3 parsecs'"):
        parse_bytes("3 parsecs")
    assert Budget.parse(None, None, None).empty


@pytest.mark.parametrize(
    ("flags", "code", "said"),
    [
        (["--max-params", "60K"], 1, "budget exceeded: params 62,958 > budget 60,000 (--max-params)"),
        (["--max-params", "63K"], 0, "within budget: params 62,958"),
        # MACs by hand: 28·28·8·75 + 10·10·16·200 + 400·120 + 120·84 + 84·10 = 849,320
        (["--max-macs", "849319"], 1, "MACs 849,320 > budget 849,319"),
        (["--max-macs", "0.85M"], 0, "within budget: MACs 849,320"),
        # memory: the inference peak (docs/memory.md): 62,958 params · 4 B + input 32·32·3 · 4 B + the activation
        # peak at CONV1, its output 28·28·8 · 4 B and a cuDNN workspace of twice that = 251,832 + 12,288 + 75,264 B
        (["--max-memory", "339383"], 1, "memory (peak bytes) 339,384 > budget 339,383"),
        (["--max-memory", "24GB", "--max-params", "1M"], 0, "within budget: params 62,958, memory 339,384 B"),
        (["--max-params", "5 apples"], 2, "cnncalc: error: unknown unit 'APPLES' in count '5 apples'"),
    ],
)
def test_budgets(capsys: pytest.CaptureFixture[str], article_file: str, flags: list[str], code: int, said: str) -> None:
    got, _, err = run(capsys, article_file, "-f", "json", *flags)
    assert got == code
    assert said in err


# --- user errors: exit 2, a message, no traceback ---------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["missing.cnn"], "cannot read 'missing.cnn': no such file"),
        (["ARTICLE", "--columns", "name,parms"], "unknown column 'parms'\n  hint: did you mean 'params'?"),
        (["ARTICLE", "--batch", "0"], "batch must be a positive integer, got 0"),
        (["ARTICLE", "--batch", "two"], "argument -b/--batch: invalid int value: 'two'"),
        (["ARTICLE", "--dtype", "float13"], "unknown dtype 'float13'"),
        (["ARTICLE", "--format", "pdf"], "argument -f/--format: invalid choice: 'pdf'"),
        (["ARTICLE", "--input", "1x3x32x32"], "--input applies to framework models only (PyTorch, ONNX, Keras)"),
        (["torchvision:resnet18", "--kwargs", "{num_classes: 10}"], "--kwargs is not valid JSON"),
        (["torchvision:resnet18", "--kwargs", "[10]"], "--kwargs must be a JSON object, got list"),
        (["kinds", "conv", "extra"], "`cnncalc kinds` takes at most one kind, got conv extra"),
        ([], "the following arguments are required: FILE"),
    ],
)
def test_user_errors(capsys: pytest.CaptureFixture[str], article_file: str, argv: list[str], said: str) -> None:
    if argv[:1] == ["torchvision:resnet18"]:
        pytest.importorskip("torch")
    code, _, err = run(capsys, *[article_file if a == "ARTICLE" else a for a in argv])
    assert code == 2
    assert said in err and "Traceback" not in err and err.startswith(("cnncalc: error:", "usage:"))


def test_parse_error_points_at_the_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.cnn"
    path.write_text("input 32x32x3\nconv 8 f=5 strid=1\n", encoding="utf-8")
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert f"cnncalc: error: {path}:2:" in err and "^" in err and "stride" in err


def test_torch_missing_says_how_to_install(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "torch" else real(name))
    code, _, err = run(capsys, "torchvision:resnet18", "--input", "1x3x224x224")
    assert code == 2
    assert "PyTorch is not installed" in err and "pip install cnncalc[torch]" in err


def test_model_references_are_recognised(tmp_path: Path) -> None:
    for ref in ("torchvision:resnet18", "timm:resnet50.a1_in1k", "models/net.py:make", "pkg.models:build"):
        assert sources.is_model_reference(ref), ref
    for other in ("zoo:resnet50", "net.cnn", "-", str(tmp_path)):
        assert not sources.is_model_reference(other), other


# --- other commands ---------------------------------------------------------------------------------


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"cnncalc {version('cnncalc')}"
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "examples:" in out and "exit status: 0 ok · 1 budget exceeded or check failed · 2 user error" in out


def test_help_names_every_optimizer_and_sharding(capsys: pytest.CaptureFixture[str]) -> None:
    """The memory options' help is written out (the training module is not imported to build the parser): it
    must name what the training module knows."""
    from cnncalc.analysis.training import OPTIMIZERS, SHARDS

    code, out, _ = run(capsys, "--help")
    entries = {part.split()[0]: " ".join(part.split()) for part in re.split(r"\n  (?=--)", out)[1:]}
    assert code == 0
    assert all(name in entries["--optimizer"] for name in OPTIMIZERS), entries["--optimizer"]
    assert all(name in entries["--shard"] for name in SHARDS), entries["--shard"]


def test_kinds_lists_every_registered_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kinds")
    assert code == 0
    table = out.split("\n\n")[0]
    heads = [line.split("  ")[0] for line in table.splitlines() if not line.startswith(" ")]
    listed = {name.strip() for head in heads for name in head.split(",")}
    assert listed == set(cc.KINDS)


def test_kinds_kind_lists_its_arguments_and_aliases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kinds", "conv")
    assert code == 0 and out.startswith("conv: Convolution")
    # every argument the kind takes is listed, with the aliases the text format accepts for it
    from cnncalc.kinds.base import argument_names

    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    assert listed == set(argument_names(cc.KINDS["conv"].cls))
    assert "kernel_size        positional, default 1  (also: f, kernel)" in out
    code, _, err = run(capsys, "kinds", "cnv")
    assert code == 2 and "did you mean 'conv'?" in err


def test_zoo_lists_and_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from cnncalc import zoo

    code, out, _ = run(capsys, "zoo")
    assert code == 0 and all(name in out for name in zoo.names())
    code, out, _ = run(capsys, "zoo", "article", "-f", "article")
    assert code == 0 and out == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["check", "solve"])
def test_subcommands_dispatch(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    seen: list[list[str]] = []
    fake = types.ModuleType(f"cnncalc.{command}.cli")
    fake.main = lambda argv: seen.append(argv) or 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, f"cnncalc.{command}.cli", fake)
    assert cli.main([command, "table.txt", "--against", "x"]) == 1
    assert seen == [["table.txt", "--against", "x"]]


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    tty = types.SimpleNamespace(isatty=lambda: True)
    pipe = types.SimpleNamespace(isatty=lambda: False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli._use_colour("auto", tty) and not cli._use_colour("auto", pipe)  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._use_colour("auto", tty) and cli._use_colour("always", pipe)  # type: ignore[arg-type]
    assert not cli._use_colour("never", tty)  # type: ignore[arg-type]


def test_colour_codes(capsys: pytest.CaptureFixture[str], article_file: str) -> None:
    _, plain, _ = run(capsys, article_file)
    _, coloured, _ = run(capsys, article_file, "--color", "always")
    assert "\033[" not in plain and "\033[1m" in coloured
    assert coloured.replace("\033[1m", "").replace("\033[2m", "").replace("\033[0m", "") == plain


# --- as a real process ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"), [([], 0), (["--max-params", "1K"], 1), (["--explain", "nope"], 2), (["--batch", "-1"], 2)]
)
def test_exit_codes_as_a_process(article_file: str, args: list[str], code: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", article_file, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr


def test_json_network_file_and_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from article_net import article_network
    from cnncalc import netjson

    text = netjson.dumps(article_network())
    path = tmp_path / "article.json"
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, str(path), "-f", "article")
    assert code == 0 and out == GOLDEN.read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code, out, _ = run(capsys, "-", "-f", "article")
    assert code == 0 and out == GOLDEN.read_text(encoding="utf-8")


def test_shape_error_names_the_line_and_the_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "big.cnn"
    path.write_text("input 32x32x3\nconv 8 f=5\nbig: conv 8 f=50\n", encoding="utf-8")
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert err.startswith(f"cnncalc: error: {path}:3:1: layer 'big' on input (28, 28, 8): ")
    assert "28 + 0 + 0 = 28 < 50" in err and "Traceback" not in err


def test_a_pickle_file_is_never_unpickled(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    evil = tmp_path / "model.pt"
    # a pickle whose loading would run code (it would create the file 'pwned'); cnncalc must not open it
    evil.write_bytes(b"cos\nsystem\n(S'touch " + str(tmp_path / "pwned").encode() + b"'\ntR.")
    code, _, err = run(capsys, str(evil))
    assert code == 2
    assert "saved PyTorch/pickle file: cnncalc does not load it, since unpickling can run arbitrary code" in err
    assert not (tmp_path / "pwned").exists()
