"""Every renderer against golden files, the article's table against the article itself, row sums against totals.

Golden files live in tests/golden/, one small file per renderer and case. After an intended change of
output, regenerate them with ``CNNCALC_REGEN_GOLDEN=1 pytest tests/test_render.py`` and review the diff.
``article_table.txt`` is the exception: it is copied from the article's text (the seed file), never
regenerated, and the article renderer must reproduce it byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

import cnncalc as cc
from article_net import article_network
from cnncalc.layers import Activation, Add, BatchNorm, Concat, Conv, Dense, GlobalPool, Input
from cnncalc.render.article import conv_label
from cnncalc.render.columns import COLUMNS, SUMMED
from cnncalc.render.latex import escape
from cnncalc.render.registry import RENDERERS, render, renderer

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("CNNCALC_REGEN_GOLDEN") == "1"
SEED = Path(__file__).resolve().parent / "data" / "cnn-parameters-article.txt"
EXTENSIONS = {
    "table": "txt",
    "markdown": "md",
    "csv": "csv",
    "json": "json",
    "latex": "tex",
    "html": "html",
    "article": "tsv",
    "svg": "svg",
}


def branch_network() -> cc.Network:
    """Branches, a residual add, a concat, BatchNorm state, a frozen conv and a global pool."""
    g = cc.Graph()
    g.add("x", Input((16, 16, 3)))
    g.add("stem", Conv(8, 3, padding=1, bias=False), "x")
    g.add("bn", BatchNorm(), "stem")
    g.add("relu", Activation("relu"), "bn")
    g.add("a", Conv(8, 3, padding=1), "relu")
    g.add("b", Conv(8, 1), "relu")
    g.add("sum", Add(), "a", "b")
    g.add("cat", Concat(), "sum", "relu")
    g.add("frozen", Conv(4, 1, trainable=False), "cat")
    g.add("gap", GlobalPool(), "frozen")
    g.add("head", Dense(10), "gap")
    return g.build("branches")


NETWORKS = {"article": article_network, "branches": branch_network}
CASES = {name: (lambda build=build: cc.analyze(build())) for name, build in NETWORKS.items()}


def check_golden(name: str, text: str) -> None:
    """Compare text with tests/golden/NAME, or write it there when CNNCALC_REGEN_GOLDEN=1."""
    path = GOLDEN / name
    if REGEN:
        path.write_text(text + "\n", encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}: run CNNCALC_REGEN_GOLDEN=1 pytest tests/test_render.py"
    assert text + "\n" == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


# (article, article) is compared with the article's own text in test_article_table_is_the_articles
GOLDEN_CASES = [(case, fmt) for case in sorted(CASES) for fmt in sorted(RENDERERS) if (case, fmt) != ("article",
                                                                                                   "article")]


@pytest.mark.parametrize(("case", "fmt"), GOLDEN_CASES)
def test_golden(case: str, fmt: str) -> None:
    check_golden(f"{case}.{EXTENSIONS[fmt]}" if fmt != "table" else f"{case}.table.txt", render(CASES[case](), fmt))


def test_golden_columns_layout_batch() -> None:
    result = cc.analyze(branch_network(), layout="chw", batch=4, dtype="fp16")
    check_golden(
        "branches.chw-batch4-fp16.txt",
        render(result, "table", "name,input,output,params,trainable,non_trainable,state,activation_bytes"),
    )


def test_article_table_is_the_articles() -> None:
    """The golden file is the article's table copied from the article's text; compare byte for byte."""
    golden = (GOLDEN / "article_table.txt").read_text(encoding="utf-8")
    assert golden.splitlines() == SEED.read_text(encoding="utf-8").splitlines()[9:18]
    assert render(CASES["article"](), "article") + "\n" == golden


def test_article_labels() -> None:
    assert conv_label("CONV1", Conv(8, 5, stride=1)) == "CONV1 (f=5, s=1)"
    assert conv_label("c", Conv(8, 3, padding=1)) == "c (f=3, s=1, p=1)"
    assert conv_label("c", Conv(8, (1, 7), stride=(1, 2), padding="same")) == "c (f=1x7, s=1x2, p=same)"
    rows = render(CASES["branches"](), "article").splitlines()
    assert rows[1].startswith("1.\tInput Layer:\t(16, 16, 3)\t768\t0")
    assert rows[2].startswith("2.\tstem (f=3, s=1, p=1)\t(16, 16, 8)\t2048\t216")  # 3·3·3·8, no bias


def test_article_table_of_two_inputs_names_them() -> None:
    g = cc.Graph()
    g.add("left", Input((4,)))
    g.add("right", Input((4,)))
    g.add("cat", Concat(), "left", "right")
    lines = render(cc.analyze(g.build()), "article").splitlines()
    assert lines[1:3] == ["1.\tInput Layer (left):\t(4, 1)\t4\t0", "2.\tInput Layer (right):\t(4, 1)\t4\t0"]


# --- row sums equal totals -------------------------------------------------------------------------

TOTAL_OF = {
    "activations": "activations",
    "params": "params",
    "trainable": "trainable_params",
    "non_trainable": "non_trainable_params",
    "state": "state",
    "macs": "macs",
    "flops": "flops",
    "param_bytes": "param_bytes",
    "activation_bytes": "activation_bytes",
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("options", [{}, {"batch": 3, "dtype": "bf16", "counting": "keras"}])
def test_row_sums_equal_totals(case: str, options: dict[str, object]) -> None:
    res = cc.analyze(NETWORKS[case](), **options)
    assert set(TOTAL_OF) == SUMMED
    totals = res.totals.as_dict()
    inputs = [r for r in res.rows if isinstance(r.layer, Input)]
    for key, total_key in TOTAL_OF.items():
        column_sum = sum(COLUMNS[key].get(r, res) for r in res.rows if not r.is_container)
        # Activation totals count what layers produce; the input tensor is reported on its own.
        if key == "activations":
            column_sum -= sum(r.activations.value for r in inputs)
            assert res.totals.input_size == sum(r.activations.value for r in inputs)
        if key == "activation_bytes":
            column_sum -= sum(r.activation_bytes for r in inputs)
        assert column_sum == totals[total_key], key


def test_json_layers_sum_to_json_totals() -> None:
    data = json.loads(render(CASES["branches"](), "json"))
    for key in ("params", "trainable_params", "non_trainable_params", "state", "macs", "flops", "param_bytes"):
        assert sum(layer[key] for layer in data["layers"]) == data["totals"][key], key


def test_branch_numbers_by_hand() -> None:
    """Hand-derived counts (PyTorch's convention): the oracle for the branch network's golden files."""
    res = CASES["branches"]()
    params = {r.name: r.params for r in res.rows}
    assert params == {
        "x": 0,
        "stem": 3 * 3 * 3 * 8,
        "bn": 2 * 8,
        "relu": 0,
        "a": (3 * 3 * 8 + 1) * 8,
        "b": (8 + 1) * 8,
        "sum": 0,
        "cat": 0,
        "frozen": (16 + 1) * 4,
        "gap": 0,
        "head": (4 + 1) * 10,
    }
    assert res["frozen"].non_trainable.value == 68 and res["bn"].state.value == 2 * 8 + 1  # + num_batches_tracked
    assert res["cat"].output_shape.dims == (16, 16, 16)


# --- each format read back by a parser of that format ----------------------------------------------


def test_csv_reads_back_as_the_articles_numbers() -> None:
    rows = list(csv.DictReader(io.StringIO(render(CASES["article"](), "csv", "name,output,activations,params"))))
    article = [line.split("\t") for line in (GOLDEN / "article_table.txt").read_text().splitlines()[1:]]
    assert [int(r["params"]) for r in rows] == [int(a[4]) for a in article]
    assert [int(r["activations"]) for r in rows] == [int(a[3]) for a in article]
    assert rows[1]["output"] == "(28, 28, 8)"


def test_csv_leaves_not_applicable_cells_empty() -> None:
    rows = list(csv.DictReader(io.StringIO(render(CASES["article"](), "csv", "name,input,rf_jump"))))
    assert rows[0]["input"] == "" and rows[-1]["rf_jump"] == ""


def test_markdown_table_is_well_formed() -> None:
    lines = [line for line in render(CASES["branches"](), "markdown").splitlines() if line.startswith("|")]
    widths = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
    assert widths == {8}  # 7 default columns → 8 pipes on every line
    assert lines[1] == "|:---|:---|:---|---:|---:|---:|---:|"


def test_latex_escapes_text() -> None:
    assert escape("conv_1 & 50% #2") == r"conv\_1 \& 50\% \#2"
    text = render(CASES["branches"](), "latex")
    assert text.count(r"\\") >= 11 and "—" not in text and "×" not in text


def test_unknown_format_and_column_are_user_errors() -> None:
    with pytest.raises(cc.ArgumentError, match=r"unknown format 'markdwn'.*\n.*did you mean 'markdown'"):
        renderer("markdwn")
    with pytest.raises(cc.ArgumentError, match=r"unknown column 'parms'.*\n.*did you mean 'params'"):
        render(CASES["article"](), "markdown", "name,parms")
