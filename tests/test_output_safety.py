"""Output that cannot be turned against its reader (issue 14, item 4): hostile layer names in every format."""

from __future__ import annotations

import csv
import io
import re

import pytest

import cnncalc as cc
from cnncalc.render.escape import csv_cell, markdown_cell, printable, printable_block
from cnncalc.render.registry import render

HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J\x00|<img src=x>\nfake row"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def hostile_result(name: str = HOSTILE) -> cc.Result:
    g = cc.Graph()
    g.add("x", cc.layers.Input((4,)))
    g.add(name, cc.layers.Dense(2), "x")
    g.add("=SUM(A1:A9)", cc.layers.Dense(2), name)
    return cc.analyze(g.build())


def test_printable_escapes_every_control_character() -> None:
    assert printable("a\x1bb\x07c\x00d\ne\r\t\x9b\u202e") == "a\\x1bb\\x07c\\x00d\\ne\\r\\t\\x9b\\u202e"
    assert printable("Mixed_5b (3×3) · ok\\") == "Mixed_5b (3×3) · ok\\"
    assert printable_block("line\x1b[1m\nnext") == "line\\x1b[1m\nnext"


def test_terminal_table_shows_names_escaped() -> None:
    text = render(hostile_result(), "table")
    assert not CONTROL.search(text) and "\\x1b]0;pwned\\x07" in text
    assert "fake row" not in {line.strip() for line in text.splitlines()}  # the newline did not split the row


def test_explain_and_errors_are_escaped(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    from cnncalc import cli

    text = cli.explain(hostile_result(), None)
    assert not CONTROL.search(text) and "\\x1b" in text
    bad = cc.errors.CnnCalcError("no layer named 'a\x1b]0;x\x07'")
    assert "\x1b" not in printable_block(str(bad))


def test_csv_cells_are_neutralised_and_numbers_stay_numbers() -> None:
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("@cmd") == "'@cmd" and csv_cell("+1") == "'+1"
    assert csv_cell("-5") == "'-5" and csv_cell("\tx") == "'\\tx" and csv_cell("\rx") == "'\\rx"
    assert csv_cell(-5) == "-5" and csv_cell(0) == "0" and csv_cell(None) == "" and csv_cell(12.5) == "12.5"
    rows = list(csv.DictReader(io.StringIO(render(hostile_result(), "csv", "name,params,rf_start"))))
    assert rows[2]["name"] == "'=SUM(A1:A9)" and rows[2]["params"] == "6"
    assert not CONTROL.search(rows[1]["name"]) and "\n" not in rows[1]["name"]


def test_markdown_escapes_pipes_newlines_and_html() -> None:
    assert markdown_cell("a|b<i>\nc") == "a\\|b&lt;i&gt;\\nc"
    text = render(hostile_result(), "markdown")
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 3  # header, rule, three rows: the newline did not add a row
    assert "<img" not in text and not CONTROL.search(text)
    assert {len(re.findall(r"(?<!\\)\|", line)) for line in table} == {8}


def test_latex_and_article_escape_names() -> None:
    tex = render(hostile_result(), "latex")
    assert not CONTROL.search(tex) and "fake row" in tex and "\nfake row" not in tex
    assert "\\textbar{}" in tex or "|" not in tex.split("\\midrule")[1].split("\\bottomrule")[0]
    article = render(hostile_result(), "article")
    assert len(article.splitlines()) == 4 and not CONTROL.search(article.replace("\t", ""))


def test_html_report_and_svg_escape_names() -> None:
    for fmt in ("html", "svg"):
        text = render(hostile_result(), fmt)
        assert "<img src=x>" not in text and "\x1b" not in text and "\x00" not in text
