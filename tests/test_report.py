"""The self-contained HTML report, Jupyter's compact view, terminal-fitted tables and the new columns."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

import cnncalc as cc
from article_net import article_network
from cnncalc import zoo
from cnncalc.render.columns import COLUMNS, format_cell, pick
from cnncalc.render.registry import render
from cnncalc.render.report import formulas, render_compact, render_report
from cnncalc.render.text import render_text, terminal_width, wrap


class Tags(HTMLParser):
    """Collects tags, their attributes and the text of the formulas block; checks nesting as it goes."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "rect", "path", "polyline", "polygon", "line"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.data: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)
        self._in = dict(attrs).get("id")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in:
            self.data[self._in] = self.data.get(self._in, "") + data


def parse(page: str) -> Tags:
    p = Tags()
    p.feed(page)
    p.close()
    assert p.stack == [], p.stack
    return p


@pytest.fixture(scope="module")
def article() -> cc.Result:
    return cc.analyze(article_network())


def test_report_is_a_complete_self_contained_document(article: cc.Result) -> None:
    page = render(article, "html")
    assert page.startswith("<!doctype html>\n<html lang=\"en\">") and '<meta charset="utf-8">' in page
    tags = parse(page)
    names = [t for t, _ in tags.tags]
    for needed in ("style", "script", "h1", "h2", "table", "caption", "thead", "tbody", "svg"):
        assert needed in names, needed
    for _, attrs in tags.tags:  # no network request: nothing loaded from elsewhere
        for key in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(key) or ""), attrs
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "@media print" in page and ":focus-visible" in page
    assert [a.get("scope") for t, a in tags.tags if t == "th"].count("row") == len(article.rows)


def test_every_formula_is_in_the_report(article: cc.Result) -> None:
    page = render_report(article)
    tags = parse(page)
    data = json.loads(tags.data["formulas"])
    assert len(data) == len(article.rows)
    for row, shown in zip(article.rows, data):
        assert shown["params"] == row.params_quantity.explain()
        assert shown["macs"] == row.macs.explain() and shown["activations"] == row.activations.explain()
    buttons = [a for t, a in tags.tags if t == "button"]
    assert buttons and all(a.get("data-k") in data[int(a["data-i"] or 0)] for a in buttons)
    assert "((5·5·3) + 1)·8 = 608" in data[1]["params"]
    assert {"Summary", "Diagram", "Cost per layer", "Layers"} <= set(re.findall(r"<h2[^>]*>([^<]+)</h2>", page))


def test_report_marks_unmodelled_rows_and_warnings(article: cc.Result) -> None:
    import dataclasses

    rows = list(article.rows)
    rows[2] = dataclasses.replace(rows[2], unmodelled="no mapping for nn.Weird", warnings=("odd padding",))
    result = dataclasses.replace(article, rows=tuple(rows), warnings=("POOL1: odd padding",))
    page = render_report(result)
    assert page.count('class="badge unmodelled"') == 1 and "no mapping for nn.Weird" in page
    assert 'class="unmodelled warned"' in page and "POOL1: odd padding" in page
    compact = render_compact(result)
    assert 'class="unmodelled warned"' in compact and "not modelled" in compact


def test_report_of_names_with_markup_and_control_characters_is_escaped() -> None:
    g = cc.Graph()
    g.add("x", cc.layers.Input((4,)))
    g.add("</script><script>alert(1)</script>\x1b[2J", cc.layers.Dense(2), "x")
    page = render_report(cc.analyze(g.build()))
    assert "<script>alert(1)" not in page and "\x1b" not in page
    assert page.count("<script") == 2  # the formulas block and the one script


def test_report_of_a_large_network_skips_nothing_but_a_huge_diagram() -> None:
    text = "\n".join(["input 8x8x4"] + [f"r{i}: relu" for i in range(700)])
    page = render_report(cc.analyze(cc.parse(text)))
    assert "Not drawn: 701 boxes" in page and page.count("<tr") == 702


def test_compact_view_is_jupyters(article: cc.Result) -> None:
    html = article._repr_html_()
    assert html.startswith('<div class="cnncalc">') and "<script" not in html
    assert '= ((5·5·3) + 1)·8 = 608"' in html and "48,120" in html


def test_formulas_of_a_row(article: cc.Result) -> None:
    shown = formulas(article["CONV1"])
    assert shown["output"].startswith("H_out: ") and "608" in shown["params"]


# --- columns ---------------------------------------------------------------------------------------


def test_kernel_and_params_percent_columns(article: cc.Result) -> None:
    kernel, percent = COLUMNS["kernel"], COLUMNS["params_percent"]
    assert kernel.get(article["CONV1"], article) == "5×5/1"
    assert kernel.get(article["POOL1"], article) == "2×2/2"
    assert kernel.get(article["FC3"], article) is None
    assert percent.get(article["FC3"], article) == pytest.approx(100 * 48120 / 62958, abs=1e-4)
    assert format_cell(percent, percent.get(article["CONV1"], article)) == "0.97%"
    assert sum(percent.get(r, article) for r in article.rows) == pytest.approx(100, abs=1e-2)
    g = cc.Graph()
    g.add("x", cc.layers.Input((9, 9, 1)))
    g.add("c", cc.layers.Conv(2, (1, 7), stride=(1, 2)), "x")
    r = cc.analyze(g.build())
    assert kernel.get(r["c"], r) == "1×7/1×2"
    text = render(article, "table", "name,kernel,params,params_percent")
    assert "Kernel/stride" in text and "76.43%" in text


# --- terminal fitting ------------------------------------------------------------------------------


def test_table_fits_the_terminal_and_says_what_it_hid() -> None:
    result = cc.analyze(zoo.load("inception_v3"))
    full = render_text(result)
    assert max(len(line) for line in full.splitlines()) > 80
    fitted = render_text(result, width=80)
    assert max(len(line) for line in fitted.splitlines()) <= 80
    note = next(line for line in fitted.splitlines() if line.startswith("note: hidden"))
    assert "rf" in note
    header = fitted.splitlines()[1]
    assert "Layer" in header and "Params" in header and "RF" not in header


def test_piped_table_keeps_every_column_and_wraps_the_footer(article: cc.Result) -> None:
    text = render(article, "table")
    assert all(h in text.splitlines()[1] for h in ("Layer", "Kind", "Output shape", "MACs", "RF"))
    assert max(len(line) for line in text.splitlines()) <= 100
    conventions = [line for line in text.splitlines() if line.startswith(("Conventions:", "  · "))]
    assert len(conventions) >= 2


def test_wrap_breaks_at_separators() -> None:
    line = "Conventions: layout HWC · batch 1 · float32 (4 B) · FLOPs = 2×MACs · BatchNorm/RNN counted as PyTorch"
    parts = wrap(line, 40)
    assert all(len(p) <= 40 for p in parts) and parts[0] == "Conventions: layout HWC · batch 1"


def test_terminal_width_only_for_terminals() -> None:
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert terminal_width(io.StringIO()) is None
    assert isinstance(terminal_width(Tty()), int)


def test_cli_colour_follows_no_color_and_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from cnncalc import cli

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._use_colour("auto", Tty())
    assert cli._use_colour("always", io.StringIO())
    monkeypatch.delenv("NO_COLOR")
    assert cli._use_colour("auto", Tty()) and not cli._use_colour("never", Tty())


def test_pick_accepts_new_columns() -> None:
    assert [c.key for c in pick("kernel,params_percent")] == ["kernel", "params_percent"]
