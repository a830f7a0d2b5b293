"""`cnncalc check`: the article's corrected table checks clean; deliberately wrong tables are diagnosed.

Oracles: the article's published (corrected) table; for wrong tables, numbers written here by hand by
making one known mistake each (the arithmetic is in the comment beside each row); PyTorch's numel()
for the correct parameter counts. Nothing here is the code's own output pasted back.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import cnncalc as cc
from cnncalc.check import CellVerdict, CheckReport, InferError, check
from cnncalc.check.cli import main
from cnncalc.check.tables import find_tables, header_key, is_rule, parse_shape
from cnncalc.layers import Conv, Dense, Flatten, Input, MaxPool

# The article's table exactly as printed: tab-separated, an empty header over the layer column.
ARTICLE_TABLE = (
    "SL.No\t\tActivation Shape\tActivation Size\t# Parameters\n"
    "1.\tInput Layer:\t(32, 32, 3)\t3072\t0\n"
    "2.\tCONV1 (f=5, s=1)\t(28, 28, 8)\t6272\t608\n"
    "3.\tPOOL1\t(14, 14, 8)\t1568\t0\n"
    "4.\tCONV2 (f=5, s=1)\t(10, 10, 16)\t1600\t3216\n"
    "5.\tPOOL2\t(5, 5, 16)\t400\t0\n"
    "6.\tFC3\t(120, 1)\t120\t48120\n"
    "7.\tFC4\t(84, 1)\t84\t10164\n"
    "8.\tSoftmax\t(10, 1)\t10\t850\n"
)
ARTICLE_TEXT = (
    "## Understanding and calculating the number of\n\n## Parameters in Convolution Neural Networks (CNNs)\n\n"
    + ARTICLE_TABLE
    + "\nExample taken from coursera.\n\nIf you've been playing with CNN's it is common to encounter a summary "
    "of parameters as seen in the above image.\n\n"
    + ARTICLE_TABLE
    + "\n- 2. CONV layer: ((m * n * d)+1)* k)\n\nRemember the drill?\n\n"
    + ARTICLE_TABLE
    + "\nIn this article we saw what a parameter means.\n"
)
SEED = Path(__file__).resolve().parent / "data" / "cnn-parameters-article.txt"


def _article_with(line: str, new: str) -> str:
    """The article's table with the row starting with ``line`` replaced."""
    rows = [new if r.startswith(line) else r for r in ARTICLE_TABLE.splitlines()]
    return "\n".join(rows) + "\n"


def _cell(report: CheckReport, layer: str, column: str, table: int = 0) -> CellVerdict:
    for row in report.tables[table].rows:
        if row.layer.startswith(layer):
            return next(c for c in row.cells if c.column == column)
    raise AssertionError(f"no row {layer}")


def _mistakes(report: CheckReport, layer: str, column: str) -> list[str]:
    return [m.key for m in _cell(report, layer, column).mistakes]


# ---- the article ---------------------------------------------------------------------------------------


def test_article_table_checks_clean() -> None:
    report = check(ARTICLE_TABLE)
    assert report.ok and report.wrong == 0
    rows = report.tables[0].rows
    assert [r.layer for r in rows][:3] == ["Input Layer:", "CONV1 (f=5, s=1)", "POOL1"]
    assert all(c.status == "ok" for r in rows for c in r.cells)
    assert len([c for r in rows for c in r.cells]) == 8 * 3  # shape, size and params of every row checked


def test_article_text_with_three_tables_says_so() -> None:
    report = check(ARTICLE_TEXT)
    assert len(report.tables) == 3 and report.ok
    assert "3 tables found" in report.notes[0]
    first = report.tables[0].line
    assert [t.same_as for t in report.tables] == [None, first, first]
    assert "the same as the table at line" in str(report)


def test_the_seed_article_file_checks_clean() -> None:
    assert main([str(SEED)]) == 0


def test_article_params_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    modules = [
        None,
        nn.Conv2d(3, 8, 5),
        None,
        nn.Conv2d(8, 16, 5),
        None,
        nn.Linear(400, 120),
        nn.Linear(120, 84),
        nn.Linear(84, 10),
    ]
    report = check(ARTICLE_TABLE)
    for row, module in zip(report.tables[0].rows, modules):
        want = 0 if module is None else sum(p.numel() for p in module.parameters())
        assert _cell(report, row.layer, "params").correct == str(want)


# ---- each kind of mistake ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "row", "layer", "column", "mistake"),
    [
        # 5·5·3·8 = 600: the 8 biases left out
        ("2.", "2.\tCONV1 (f=5, s=1)\t(28, 28, 8)\t6272\t600", "CONV1", "params", "bias_forgotten"),
        # 84·120 = 10080
        ("7.", "7.\tFC4\t(84, 1)\t84\t10080", "FC4", "params", "bias_forgotten"),
        # 5·5·3·8 + 1 = 601: one bias for the layer
        ("2.", "2.\tCONV1 (f=5, s=1)\t(28, 28, 8)\t6272\t601", "CONV1", "params", "one_bias"),
        # 400·120 + 1 = 48001
        ("6.", "6.\tFC3\t(120, 1)\t120\t48001", "FC3", "params", "one_bias"),
        # (5·5 + 1)·16 = 416: the 8 input channels forgotten
        ("4.", "4.\tCONV2 (f=5, s=1)\t(10, 10, 16)\t1600\t416", "CONV2", "params", "depth_forgotten"),
        # FC3 fed 5·5 = 25 instead of 5·5·16: 25·120 + 120 = 3120
        ("6.", "6.\tFC3\t(120, 1)\t120\t3120", "FC3", "params", "depth_forgotten"),
        # activation size 28·28 = 784 without the 8 channels
        ("2.", "2.\tCONV1 (f=5, s=1)\t(28, 28, 8)\t784\t608", "CONV1", "size", "depth_forgotten"),
        # the kernel's area 5·5 used where its volume 5·5·8 belongs: (25 + 1)·16 = 416
        ("4.", "4.\tCONV2 (f=5, s=1)\t(10, 10, 16)\t1600\t416", "CONV2", "params", "area_for_volume"),
        # FC3 fed CONV2's 10·10·16 = 1600 instead of POOL2's 400: 1600·120 + 120 = 192120
        ("6.", "6.\tFC3\t(120, 1)\t120\t192120", "FC3", "params", "previous_misread"),
        # CONV2 with the input image's depth 3 instead of POOL1's 8: (5·5·3 + 1)·16 = 1216
        ("4.", "4.\tCONV2 (f=5, s=1)\t(10, 10, 16)\t1600\t1216", "CONV2", "params", "previous_misread"),
    ],
)
def test_article_mistakes_are_diagnosed(line: str, row: str, layer: str, column: str, mistake: str) -> None:
    report = check(_article_with(line, row))
    assert not report.ok and report.wrong == 1
    cell = _cell(report, layer, column)
    assert cell.status == "wrong"
    assert mistake in [m.key for m in cell.mistakes]


def test_the_first_diagnosis_is_the_most_likely_and_shows_the_wrong_formula() -> None:
    report = check(_article_with("2.", "2.\tCONV1 (f=5, s=1)\t(28, 28, 8)\t6272\t600"))
    cell = _cell(report, "CONV1", "params")
    assert cell.correct == "608" and cell.formula == "((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608"
    assert cell.mistakes[0].name == "bias forgotten"
    assert cell.mistakes[0].explanation == "f·f·d·k = 5·5·3·8 = 600"


# Shapes: a net with padding and strides. Input 32 → CONV1 (f=3, s=1, p=1) 32 → CONV2 (f=3, s=2) 15
# → CONV3 (f=5, s=2) 6.
SHAPES = """\
| Layer | Activation Shape | Activation Size | # Parameters |
|---|---|---|---|
| Input | (32, 32, 3) | 3072 | 0 |
| CONV1 (f=3, s=1, p=1) | (30, 30, 8) | 7200 | 224 |
| CONV2 (f=3, s=2) | (16, 16, 16) | 3600 | 1168 |
| CONV3 (f=5, s=2) | (11, 11, 16) | 576 | 6416 |
"""


@pytest.mark.parametrize(
    ("layer", "column", "mistake"),
    [
        ("CONV1", "shape", "padding_forgotten"),  # ⌊(32 − 3)/1⌋ + 1 = 30 instead of 32
        ("CONV1", "size", "padding_forgotten"),  # 30·30·8 = 7200
        ("CONV2", "shape", "floor_ceil_swapped"),  # ⌈(32 − 3)/2⌉ + 1 = 16 instead of 15
        ("CONV3", "shape", "stride_ignored"),  # (15 − 5) + 1 = 11 instead of 6
    ],
)
def test_shape_mistakes_are_diagnosed(layer: str, column: str, mistake: str) -> None:
    report = check(SHAPES)
    assert _mistakes(report, layer, column)[0] == mistake


def test_a_wrong_shape_does_not_leak_into_the_next_rows() -> None:
    report = check(SHAPES)
    # CONV2 and CONV3 are computed from the correct 32 and 15, not from the claimed 30 and 16.
    assert _cell(report, "CONV2", "size").status == "ok"  # 15·15·16 = 3600
    assert _cell(report, "CONV3", "size").status == "ok"  # 6·6·16 = 576
    assert _cell(report, "CONV3", "params").status == "ok"  # (5·5·16 + 1)·16 = 6416
    assert report.wrong == 4


def test_a_number_no_mistake_reproduces_is_reported_as_such() -> None:
    # 6417 is 6416 + 1 on a 16-filter layer: no listed mistake gives it.
    report = check(SHAPES.replace("| 6416 |", "| 6417 |"))
    cell = _cell(report, "CONV3", "params")
    assert cell.status == "wrong" and cell.mistakes == ()
    assert "no known mistake reproduces 6417" in str(report)


def test_area_for_volume_alone_on_a_3d_kernel() -> None:
    # A 3-D conv, f=3 on depth 2, 4 filters: volume 3·3·3·2 = 54 → (54 + 1)·4 = 220.
    # Area 3·3 in place of the kernel's 3·3·3 extent: (3·3·2 + 1)·4 = 76; depth forgotten: (27 + 1)·4 = 112.
    net = cc.Network.chain(("Input", Input((8, 8, 8, 2))), ("C3", Conv(4, kernel_size=3, ndim=3)))
    table = "Layer,# Parameters\nInput,0\nC3,76\n"
    assert _mistakes(check(table, net), "C3", "params") == ["area_for_volume"]
    assert _mistakes(check(table.replace(",76", ",112"), net), "C3", "params") == ["depth_forgotten"]


# ---- conventions are not mistakes ----------------------------------------------------------------------

CONVENTIONS = """\
Layer                 Activation Shape    # Parameters    MACs       FLOPs
Input                 (32, 32, 3)         0               -          -
CONV1 (f=3, s=1, p=1) (32, 32, 8)         224             221184     221184
BN1                   (8, 32, 32)         32              -          -
CONV2 (f=3, s=1, p=1) (32, 32, 8)         584             1179648    1179648
"""


def test_convention_differences_are_not_mistakes() -> None:
    report = check(CONVENTIONS)
    # Keras counts BatchNorm's moving mean and variance: 2·8 + 2·8 = 32 (PyTorch: 2·8 = 16)
    assert _cell(report, "BN1", "params").status == "convention"
    assert "Keras" in _cell(report, "BN1", "params").note
    # (8, 32, 32) is CHW for the HWC (32, 32, 8)
    assert _cell(report, "BN1", "shape").status == "convention"
    # FLOPs column holding MACs: 32·32·8·3·3·3 = 221184
    assert _cell(report, "CONV1 (f=3", "flops").status == "convention"
    # MACs column holding FLOPs = 2·(32·32·8·3·3·8) = 1179648
    assert _cell(report, "CONV2", "macs").status == "convention"
    assert report.ok


def test_stdin_and_exit_0_with_conventions_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(CONVENTIONS))
    assert main(["-"]) == 0


# ---- formats, headers, CLI ------------------------------------------------------------------------------


def test_headers_are_recognised_case_and_punctuation_aside() -> None:
    assert [
        header_key(h)
        for h in (
            "# Parameters",
            "Param #",
            "Output Shape",
            "activation_size",
            "FLOPs",
            "Mult-Adds",
            "Layer (type)",
            "Remarks",
        )
    ] == ["params", "params", "shape", "size", "flops", "macs", "layer", None]
    assert parse_shape("(120, 1)") == (120, 1) and parse_shape("[5, 5, 16]") == (5, 5, 16)


def test_csv_and_markdown_tables() -> None:
    csv_text = 'layer,output shape,params\nInput,"(32, 32, 3)",0\n"CONV1 (f=5, s=1)","(28, 28, 8)",608\n'
    assert check(csv_text).ok
    md = (
        "| Layer | Output shape | Params |\n|---|---|---|\n"
        "| Input | 32x32x3 | 0 |\n| CONV1 (f=5, s=1) | 28x28x8 | 608 |\n"
    )
    assert check(md).ok and find_tables(md)[0].form == "markdown"


def test_net_file_gives_the_network(tmp_path: Path) -> None:
    net = tmp_path / "net.cnn"
    net.write_text("input 32x32x3\nCONV1: conv 8 f=5 s=1\nPOOL1: maxpool f=2 s=2\n", encoding="utf-8")
    table = tmp_path / "t.md"
    table.write_text(
        "| Layer | # Params |\n|---|---|\n| input | 0 |\n| CONV1 | 608 |\n| POOL1 | 1 |\n", encoding="utf-8"
    )
    assert main([str(table), "--net", str(net)]) == 1


def test_exit_status_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text(ARTICLE_TABLE, encoding="utf-8")
    bad.write_text(_article_with("6.", "6.\tFC3\t(120, 1)\t120\t48000"), encoding="utf-8")
    assert main([str(good)]) == 0
    capsys.readouterr()
    assert main([str(bad), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == "cnncalc.check/1" and out["ok"] is False and out["wrong_cells"] == 1
    fc3 = out["tables"][0]["rows"][5]["cells"][2]
    assert fc3["status"] == "wrong" and fc3["correct"] == "48120" and fc3["mistakes"][0]["key"] == "bias_forgotten"


def test_text_report_marks_every_cell(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(_article_with("6.", "6.\tFC3\t(120, 1)\t120\t48000"), encoding="utf-8")
    assert main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert "48000 ✗" in out and "608 ✓" in out
    assert "correct: (p·c) + c = (400·120) + 120 = 48120" in out
    assert "mistake: bias forgotten: p·c = 400·120 = 48000" in out


def test_user_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing.md")]) == 2
    assert "cannot read" in capsys.readouterr().err
    empty = tmp_path / "prose.txt"
    empty.write_text("no table here\n", encoding="utf-8")
    assert main([str(empty)]) == 2
    assert "no table found" in capsys.readouterr().err
    odd = tmp_path / "odd.md"
    head = "| Layer | Shape | Params |\n|---|---|---|\n"
    odd.write_text(
        head + "| Input | (8, 8, 3) | 0 |\n| Frobnicate | (8, 8, 3) | 3 |\n",
        encoding="utf-8",
    )
    assert main([str(odd)]) == 2
    assert "cannot tell what layer 'Frobnicate' is" in capsys.readouterr().err


def test_impossible_table_network_gives_fixes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    t = tmp_path / "t.md"
    t.write_text(
        "| Layer | Shape |\n|---|---|\n| Input | (4, 4, 3) |\n| CONV1 (f=5, s=1) | (1, 1, 8) |\n", encoding="utf-8"
    )
    assert main([str(t)]) == 2
    err = capsys.readouterr().err
    assert "kernel is larger than the padded input" in err and "fix: padding=1 on each side" in err


# ---- totals, layouts, what the layer column must say ---------------------------------------------------


def test_total_row_against_the_sum_of_the_rows() -> None:
    # 0 + 608 + 0 + 3216 + 0 + 48120 + 10164 + 850 = 62958 (the 62,006 is an arithmetic slip)
    good = check(ARTICLE_TABLE + "\tTotal\t\t\t62958\n")
    assert good.ok and _cell(good, "Total", "params").correct == "62958"
    slip = check(ARTICLE_TABLE + "\tTotal\t\t\t62006\n")
    cell = _cell(slip, "Total", "params")
    assert cell.status == "wrong" and cell.mistakes == ()
    # FC4's bias forgotten (10080) and the total summed from the claimed rows: 62958 − 84 = 62874
    follows = check(_article_with("7.", "7.\tFC4\t(84, 1)\t84\t10080") + "\tTotal\t\t\t62874\n")
    assert [m.key for m in _cell(follows, "Total", "params").mistakes] == ["claimed_sum"]
    assert follows.wrong == 2


def test_a_chw_table() -> None:
    table = (
        "| Layer | Output shape | Params |\n|---|---|---|\n| Input | (3, 32, 32) | 0 |\n"
        "| CONV1 (f=5, s=1) | (8, 28, 28) | 608 |\n| POOL1 | (8, 14, 14) | 0 |\n"
    )
    report = check(table)
    assert report.ok and report.tables[0].layout == "chw"
    wrong = check(table.replace("(8, 14, 14)", "(8, 13, 13)"))
    assert _cell(wrong, "POOL1", "shape").correct == "(8, 14, 14)"


def test_a_conv_without_its_kernel_size_is_not_guessed() -> None:
    table = "| Layer | Shape |\n|---|---|\n| Input | (8, 8, 3) |\n| conv2d_1 (Conv2D) | (6, 6, 4) |\n"
    with pytest.raises(InferError, match=r"cannot tell the kernel size of 'conv2d_1 \(Conv2D\)'"):
        check(table)


def test_a_size_that_follows_a_wrong_shape() -> None:
    # CONV1's shape claimed (27, 27, 8) (matching no listed mistake), its size 27·27·8 = 5832 from it
    report = check(_article_with("2.", "2.\tCONV1 (f=5, s=1)\t(27, 27, 8)\t5832\t608"))
    assert _cell(report, "CONV1", "shape").mistakes == ()
    assert _mistakes(report, "CONV1", "size") == ["follows_shape"]


# Layer cells in every notation the frameworks use: each argument is read or the check refuses,
# never dropped. Oracle: (32 + 2·1 − 3)/1 + 1 = 32 and 32/2 = 16 by hand; params ((3·3·3) + 1)·8 = 224.
_INPUT = "| Layer | Shape | Params |\n|---|---|---|\n| Input | (32, 32, 3) | 0 |\n"


@pytest.mark.parametrize(
    "cell, shape",
    [
        ("CONV1 (f=3, s=1, p=same)", "(32, 32, 8)"),
        ("CONV1 (f=3x3, p=1)", "(32, 32, 8)"),
        ("CONV1 (f=(3, 3), p=(1, 1))", "(32, 32, 8)"),
        ("CONV1 (kernel_size=3, stride=2, padding=1)", "(16, 16, 8)"),
        ("CONV1 (f=3, p=valid)", "(30, 30, 8)"),
        ("CONV1 (3x3, s=1, p=1)", "(32, 32, 8)"),
        ("CONV1 (f=3, d=2, p=2)", "(32, 32, 8)"),  # 32 + 4 − 2·(3 − 1) − 1 + 1 = 32
    ],
)
def test_layer_cells_in_any_notation_are_read(cell: str, shape: str) -> None:
    report = check(_INPUT + f"| {cell} | {shape} | 224 |\n")
    assert report.ok, report
    # the same cell with the padding or stride dropped would give another shape: prove the args count
    if "p=" in cell or "padding=" in cell:
        wrong = check(_INPUT + f"| {cell} | (31, 31, 8) | 224 |\n")
        assert not wrong.ok


@pytest.mark.parametrize(
    "cell, message",
    [
        ("CONV1 (f=3, p=-1)", "padding must be ≥ 0, got -1"),
        ("CONV1 (f=3, q=1)", "'conv' has no argument 'q'"),
        ("CONV1 (f=3, p=foo)", "cannot read 'p=foo'"),
        ("CONV1 (f=3, s=1.5)", "cannot read 's=1.5'"),
        ("CONV1 (f=5, kernel_size=5)", "'kernel_size' is given twice, as 'f' and as 'kernel_size'"),
        ("POOL1 (f=2, strides=0)", "stride"),
    ],
)
def test_unreadable_layer_cells_are_refused_with_the_line(cell: str, message: str) -> None:
    with pytest.raises(InferError) as info:
        check(_INPUT + f"| {cell} | (32, 32, 8) | 224 |\n")
    assert str(info.value).startswith("line 4: ") and message in str(info.value)


# ---- cells that cannot be read never pass ---------------------------------------------------------------

# The network of a Keras model.summary(): 32 → conv 3x3 → 30 → pool 2 → 15 → conv 3x3 → 13 → flatten → dense 10.
# Oracle, by hand: (3·3·3 + 1)·32 = 896; (3·3·32 + 1)·64 = 18496; 13·13·64 = 10816; 10816·10 + 10 = 108170.
KERAS_NET = cc.Network.chain(
    Input((32, 32, 3)),
    ("conv2d", Conv(32, kernel_size=3)),
    ("max_pooling2d", MaxPool(2)),
    ("conv2d_1", Conv(64, kernel_size=3)),
    ("flatten", Flatten()),
    ("dense", Dense(10)),
)
# A space-aligned summary where one space separates a layer name from its shape (the pooling row).
KERAS_SPACED = """\
 Layer (type)                Output Shape              Param #
 conv2d (Conv2D)             (30, 30, 32)        896
 max_pooling2d (MaxPooling2D) (15, 15, 32)       {pool}
 conv2d_1 (Conv2D)           (13, 13, 64)        18496
 flatten (Flatten)           (10816)             0
 dense (Dense)               (10)                108170
"""


def test_a_row_split_by_one_space_is_read_and_its_wrong_cell_found() -> None:
    report = check(KERAS_SPACED.format(pool="999"), KERAS_NET)
    # a pooling layer learns nothing: 999 is wrong, and (15, 15, 32) is read as the shape it is
    assert _cell(report, "max_pooling2d", "params").status == "wrong"
    assert _cell(report, "max_pooling2d", "shape").status == "ok"
    assert not report.ok and report.wrong == 1 and report.unreadable == 0
    assert check(KERAS_SPACED.format(pool="0"), KERAS_NET).ok


def test_a_cell_that_cannot_be_read_fails_the_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 'abc' glued to the shape: no split reads, the row is cut at the header's columns, the shape cell is
    # '(15, 15, 32)abc       999' and must not count as correct
    text = KERAS_SPACED.format(pool="0").replace("(15, 15, 32)       0", "(15, 15, 32)abc       999")
    report = check(text, KERAS_NET)
    cell = _cell(report, "max_pooling2d", "shape")
    assert cell.status == "unreadable" and cell.note == "not a shape"
    assert not report.ok and report.unreadable == 1 and report.wrong == 0
    table, net = tmp_path / "t.txt", tmp_path / "k.cnn"
    table.write_text(text, encoding="utf-8")
    net.write_text(
        "input 32x32x3\nconv2d: conv 32 f=3\nmax_pooling2d: maxpool f=2 s=2\nconv2d_1: conv 64 f=3\n"
        "flatten: flatten\ndense: dense 10\n",
        encoding="utf-8",
    )
    assert main([str(table), "--net", str(net)]) == 1
    out = capsys.readouterr().out
    assert "(15, 15, 32)abc       999 ?" in out
    assert "? line 3, max_pooling2d (MaxPooling2D), Activation Shape: cannot read '(15, 15, 32)abc       999' " in out
    assert "not counted as correct" in out
    assert "result: 1 cell(s) unreadable (not checked, so not passed)" in out
    assert main([str(table), "--net", str(net), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["unreadable_cells"] == 1 and data["wrong_cells"] == 0
    assert data["tables"][0]["rows"][1]["cells"][0]["status"] == "unreadable"


def test_not_a_number_missing_and_extra_cells_are_unreadable() -> None:
    head = "| Layer | Shape | Params |\n|---|---|---|\n| Input | (32, 32, 3) | 0 |\n"
    garbled = check(head + "| CONV1 (f=5, s=1) | (28, 28, 8) | 6o8 |\n")
    assert _cell(garbled, "CONV1", "params").status == "unreadable" and not garbled.ok
    missing = check(head + "| CONV1 (f=5, s=1) | (28, 28, 8) |\n")
    cell = _cell(missing, "CONV1", "params")
    assert cell.status == "unreadable" and "the row has 2 cells where the header has 3" in cell.note
    shifted = check(head + "| CONV1 (f=5, s=1) | (28, 28, 8) | 608 | 608 |\n")
    assert _cell(shifted, "CONV1", "row").status == "unreadable" and shifted.unreadable == 1
    # a dash or n/a claims nothing: not unreadable
    assert check(head + "| CONV1 (f=5, s=1, k=8) | n/a | - |\n").ok


# ---- errors carried forward --------------------------------------------------------------------------------

# CONV1 claimed (30, 30, 8) where ⌊(32 − 5)/1⌋ + 1 = 28 is right; POOL1 (15, 15, 8) is ⌊(30 − 2)/2⌋ + 1 = 15
# on that claim; FC2 (15·15·8)·10 + 10 = 18010 on POOL1's claim (right: 14·14·8 = 1568, 15690).
CARRIED = """\
| Layer | Output shape | Activation size | Params |
|---|---|---|---|
| Input | (32, 32, 3) | 3072 | 0 |
| CONV1 (f=5, s=1) | (30, 30, 8) | 7200 | 608 |
| POOL1 (f=2, s=2) | (15, 15, 8) | 1800 | 0 |
| FC2 | (10, 1) | 10 | 18010 |
"""


def test_errors_carried_forward_from_the_previous_rows_claimed_shape() -> None:
    report = check(CARRIED)
    assert _mistakes(report, "CONV1", "shape") == []  # the first wrong shape: nothing explains (30, 30, 8)
    assert _mistakes(report, "POOL1", "shape")[0] == "follows_previous"
    assert _mistakes(report, "POOL1", "size")[0] == "follows_previous"
    assert _mistakes(report, "FC2", "params") == ["follows_previous"]
    fc2 = _cell(report, "FC2", "params").mistakes[0]
    assert fc2.name == "it follows from the previous row's claimed (wrong) shape"
    assert fc2.explanation == "(15, 15, 8) → (p·c) + c = (1800·10) + 10 = 18010"
    assert "⌊(30 − 2)/2⌋ + 1 = 15" in _cell(report, "POOL1", "shape").mistakes[0].explanation
    assert "no known mistake reproduces 18010" not in str(report)
    # still wrong: a carried error is explained, not forgiven
    assert report.wrong == 5 and not report.ok


def test_an_error_carried_from_a_claimed_size_into_a_dense_layer() -> None:
    # FC1 claims 16 units' size where it has 8; FC2 then (16·10) + 10 = 170 instead of (8·10) + 10 = 90
    net = cc.Network.chain(Input((4,)), ("FC1", Dense(8)), ("FC2", Dense(10)))
    table = "| Layer | Activation size | Params |\n|---|---|---|\n| Input | 4 | 0 |\n"
    table += "| FC1 | 16 | 40 |\n| FC2 | 10 | 170 |\n"
    report = check(table, net)
    assert _mistakes(report, "FC2", "params") == ["follows_previous"]
    assert _cell(report, "FC2", "params").mistakes[0].name.endswith("claimed (wrong) size")


def test_nothing_is_carried_from_a_right_or_chw_written_shape() -> None:
    # POOL1's (14, 14, 8) right and CONV2's 1216 = (5·5·3 + 1)·16 explained by a misread depth only
    report = check(_article_with("4.", "4.\tCONV2 (f=5, s=1)\t(10, 10, 16)\t1600\t1216"))
    assert "follows_previous" not in _mistakes(report, "CONV2", "params")
    net = cc.Network.chain(
        Input((32, 32, 3)), ("CONV1", Conv(8, kernel_size=5)), ("POOL1", MaxPool(2)), ("FC2", Dense(10))
    )
    chw = check(CARRIED.replace("(30, 30, 8)", "(8, 28, 28)").replace("7200", "6272"), net)
    assert _cell(chw, "CONV1", "shape").status == "convention"
    assert "follows_previous" not in _mistakes(chw, "POOL1", "shape")


# ---- Keras's model.summary() ------------------------------------------------------------------------------

KERAS_SUMMARY = """\
Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 conv2d (Conv2D)             (None, 30, 30, 32)        896

 max_pooling2d (MaxPooling2D  (None, 15, 15, 32)       0
 )

 conv2d_1 (Conv2D)           (None, 13, 13, 64)        18432

 flatten (Flatten)           (None, 10816)             0

 dense (Dense)               (None, 10)                108170

=================================================================
Total params: 127,498
Trainable params: 127,498
Non-trainable params: 0
_________________________________________________________________
"""
KERAS3_SUMMARY = """\
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃ Layer (type)                 ┃ Output Shape       ┃   Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ conv2d (Conv2D)              │ (None, 30, 30, 32) │       896 │
├──────────────────────────────┼────────────────────┼───────────┤
│ max_pooling2d (MaxPooling2D) │ (None, 15, 15, 32) │         0 │
├──────────────────────────────┼────────────────────┼───────────┤
│ conv2d_1 (Conv2D)            │ (None, 13, 13, 64) │    18,496 │
├──────────────────────────────┼────────────────────┼───────────┤
│ flatten (Flatten)            │ (None, 10816)      │         0 │
├──────────────────────────────┼────────────────────┼───────────┤
│ dense (Dense)                │ (None, 10)         │   108,170 │
└──────────────────────────────┴────────────────────┴───────────┘
 Total params: 127,562 (498.29 KB)
"""


def test_a_keras_summary_with_rules_blank_lines_and_a_wrapped_name() -> None:
    # TF 2's layout with each row's numbers blank-padded (as Keras prints them) and one wrapped name
    padded = "\n".join(line.ljust(65) if not line.strip() else line for line in KERAS_SUMMARY.splitlines())
    report = check(padded, KERAS_NET)
    rows = [r for r in report.tables[0].rows if r.node != "total"]
    assert len(report.tables) == 1 and len(rows) == 5
    assert rows[1].layer == "max_pooling2d (MaxPooling2D)"
    assert all(_cell(report, r.layer, "shape").status == "ok" for r in rows)
    # conv2d_1 claims 3·3·32·64 = 18432: the 64 biases forgotten; 'Total params' adds the claimed rows, and
    # 'Trainable params' repeats that total
    assert report.wrong == 3 and _mistakes(report, "conv2d_1", "params") == ["bias_forgotten"]
    assert _mistakes(report, "Total params", "params") == ["claimed_sum"]


def test_a_keras_3_box_drawn_summary() -> None:
    report = check(KERAS3_SUMMARY, KERAS_NET)
    assert report.ok and len(report.tables[0].rows) == 5 + 1 and report.tables[0].form == "markdown"
    assert not check(KERAS3_SUMMARY.replace("18,496", "18,432"), KERAS_NET).ok


def test_rules_and_batch_axes() -> None:
    assert all(is_rule(x) for x in ("=" * 20, "─" * 20, "_" * 20, "|---|:---:|", "┡━━━╇━━━┩", "+-----+----+"))
    assert not any(is_rule(x) for x in ("", "   ", "-\t-\t-", "Total params: 1", "| - | - |"))
    assert parse_shape("(None, 30, 30, 32)") == (30, 30, 32) and parse_shape("(None, 10)") == (10,)
    assert parse_shape("[(None, 32, 32, 3)]") == (32, 32, 3)
    assert parse_shape("(None, None, 3)") is None  # an unknown spatial size cannot be checked


def test_a_rule_after_the_rows_does_not_swallow_the_text_below() -> None:
    text = "Layer  Shape  Params\nInput  (32, 32, 3)  0\nCONV1 (f=5, s=1)  (28, 28, 8)  608\n---\n\nNote:  see  above\n"
    (table,) = find_tables(text)
    assert [r.cells[0] for r in table.rows] == ["Input", "CONV1 (f=5, s=1)"]
    assert check(text).ok
