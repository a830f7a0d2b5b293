"""The HTML report: ``render_report`` (a complete, self-contained page) and ``render_compact`` (Jupyter's view).

The report is one file: doctype, charset, inline CSS and script, no external reference, so it opens from
``file://`` and prints on paper. It holds the summary and conventions, the diagram, the cost charts, and the
table; every number with a formula is a button that shows the formula on click or keyboard focus.
Warnings and not-modelled rows are marked in words, not only by colour. The formulas travel as one JSON
block read by one delegated listener (a 2,000-row report stays a plain table).

>>> from cnncalc import analyze, parse
>>> page = render_report(analyze(parse("input 32x32x3\\nCONV1: conv 8 f=5")))
>>> page.startswith("<!doctype html>"), '<meta charset="utf-8">' in page, "((5·5·3) + 1)·8" in page
(True, True, True)
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from html import escape
from typing import Any

from ..analysis import Result, Row
from .charts import render_charts
from .columns import Column, format_cell, pick
from .diagram import diagram
from .escape import html_text, printable_block
from .graph import build_graph, is_chain, leaves
from .report_assets import COMPACT_CSS, CSS, JS
from .text import totals_lines

REPORT_COLUMNS = "name,kind,output,kernel,activations,params,params_percent,macs,flops,rf,activation_bytes"
#: a graph with more boxes than this is not drawn in the report (a note says so)
MAX_DRAWN = 600


def formula_keys(row: Row) -> set[str]:
    """The column keys of a row's explained cells (those ``formulas`` gives), without building the formulas."""
    keys = {"activations", "params", "macs", "flops", "rf"}
    if row.shape_steps:
        keys.add("output")
    if row.params:
        keys.add("params_percent")
    return keys


def formulas(row: Row) -> dict[str, str]:
    """The formula behind each explained cell of a row, by column key (``formula_keys``: which)."""
    out = {
        "activations": row.activations.explain(),
        "params": row.params_quantity.explain(),
        "macs": row.macs.explain(),
        "flops": row.flops.explain(),
        "rf": row.receptive_field.explain(),
    }
    if row.shape_steps:
        out["output"] = "\n".join(f"{label}: {qty.explain()}" for label, qty in row.shape_steps)
    if row.params:
        out["params_percent"] = out["params"]
    return {k: printable_block(v) for k, v in out.items()}


def _badges(row: Row) -> str:
    out = ""
    if row.unmodelled:
        out += f'<span class="badge unmodelled" title="{html_text(row.unmodelled)}">not modelled</span>'
    if row.warnings:
        out += f'<span class="badge warned" title="{html_text("; ".join(row.warnings))}">warning</span>'
    if row.shares_params_with:
        out += f'<span class="badge">shares params with {html_text(row.shares_params_with)}</span>'
    return out


def _cell(col: Column, value: Any, i: int, explained: Collection[str]) -> str:
    shown = html_text(format_cell(col, value))
    cls = ' class="r"' if col.right else ""
    if value is None:
        return f'<td class="na" aria-label="not applicable">{shown}</td>'
    if col.key in explained:
        return f'<td{cls}><button type="button" class="q" data-i="{i}" data-k="{col.key}" aria-expanded="false">' \
               f"{shown}</button></td>"
    return f"<td{cls}>{shown}</td>"


def _row(result: Result, row: Row, i: int, cols: list[Column], explained: Collection[str]) -> str:
    classes = [c for c, on in (("container", row.is_container), ("unmodelled", bool(row.unmodelled)),
                               ("warned", bool(row.warnings))) if on]
    if row.depth:
        classes.append(f"d{min(row.depth, 4)}")
    attr = f' class="{" ".join(classes)}"' if classes else ""
    cells = [f'<th scope="row">{html_text(row.name)}{_badges(row)}</th>']
    cells += [_cell(c, c.get(row, result), i, explained) for c in cols if c.key != "name"]
    return f"<tr{attr}>" + "".join(cells) + "</tr>"


def report_table(result: Result) -> tuple[str, str]:
    """The table's HTML and the JSON of its formulas (one object per row, by column key)."""
    data = [formulas(row) for row in result.rows]
    return table_html(result, data), json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def table_html(result: Result, explained: Sequence[Collection[str]] | None = None) -> str:
    """The table's HTML; ``explained``: per row, the keys of the cells that open a formula (default: each row's
    ``formula_keys``, so the live page can ask for one row's formulas when a number is selected instead of
    building them all, a third of the table's time)."""
    cols = pick(REPORT_COLUMNS)
    head = '<th scope="col">Layer</th>' + "".join(
        f'<th scope="col"{" class=r" if c.right else ""}>{escape(c.header)}</th>' for c in cols if c.key != "name")
    keys = explained if explained is not None else [formula_keys(row) for row in result.rows]
    body = [_row(result, row, i, cols, keys[i]) for i, row in enumerate(result.rows)]
    caption = (f"{len(result.rows)} rows. Select a number (click it, or move to it with Tab) to see its formula; "
               "— means not applicable.")
    return (f'<div class="tablewrap"><table><caption>{caption}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _summary(result: Result) -> str:
    t = result.totals
    items = [
        ("Parameters", f"{t.params:,} (trainable {t.trainable_params:,}, non-trainable {t.non_trainable_params:,})"),
        ("State (buffers)", f"{t.state:,}"),
        ("MACs", f"{t.macs:,}"),
        ("FLOPs", f"{t.flops:,}"),
        ("Activations", f"{t.activations:,} elements, {t.activation_bytes:,} bytes"),
        ("Input", f"{t.input_size:,} elements"),
        ("Training estimate", f"{t.training_bytes:,} bytes"),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    unmodelled = [r for r in result.rows if r.unmodelled]
    notes = [f"warning: {w}" for w in result.warnings]
    notes += [f"not modelled: {r.name}: {r.unmodelled}" for r in unmodelled]
    warn = ("<h3>Warnings</h3><ul class=\"warnings\">" + "".join(f"<li>{html_text(n)}</li>" for n in notes)
            + "</ul>") if notes else ""
    return (f'<section aria-labelledby="s-summary"><h2 id="s-summary">Summary</h2><dl class="totals">{dl}</dl>'
            f"<h3>Conventions</h3><p>{html_text(result.conventions.describe())}</p>{warn}</section>")


def diagram_section(result: Result) -> str:
    """The diagram in a scrollable figure, or a note when it has too many boxes to draw."""
    if not is_chain(result) or len(leaves(result)) > 60:
        boxes = len(build_graph(result).nodes)
        if boxes > MAX_DRAWN:
            return (f'<p class="note">Not drawn: {boxes} boxes even with blocks collapsed. '
                    "Use <code>--depth</code> or <code>result.diagram(depth=1)</code>.</p>")
    d = diagram(result)
    depth = f", blocks collapsed at depth {d.depth}" if d.depth else ""
    return (f'<figure class="figure" aria-label="diagram of the network">{d.svg}</figure>'
            f'<p class="note">Style: {d.style}{depth}. Hover a box for its formula.</p>')


def render_report(result: Result, columns: str | list[str] | None = None) -> str:
    """The complete, self-contained HTML report of ``result`` (``columns`` is ignored: the report is fixed)."""
    table, data = report_table(result)
    name = html_text(result.name)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="cnncalc"><title>{name} · cnncalc report</title><style>{CSS}</style></head>'
        f'<body><header><h1>{name}</h1><p class="lede">Shapes, parameters, MACs and receptive field of every '
        "layer, each number explained. Made by cnncalc.</p></header><main>"
        f"{_summary(result)}"
        f'<section aria-labelledby="s-diagram"><h2 id="s-diagram">Diagram</h2>{diagram_section(result)}</section>'
        f'<section aria-labelledby="s-cost"><h2 id="s-cost">Cost per layer</h2><figure class="figure" '
        f'aria-label="bar charts of parameters, MACs and activation memory per layer">{render_charts(result)}'
        f'</figure></section><section aria-labelledby="s-layers"><h2 id="s-layers">Layers</h2>{table}</section>'
        '</main><div id="formula" role="status" aria-live="polite" hidden></div>'
        f'<script type="application/json" id="formulas">{data}</script><script>{JS}</script></body></html>'
    )


def render_compact(result: Result, columns: str | list[str] | None = None) -> str:
    """Jupyter's view: the table (formulas as tooltips, no script), totals, conventions and warnings."""
    cols = pick(columns)
    head = "".join(f'<th{" class=r" if c.right else ""}>{escape(c.header)}</th>' for c in cols)
    body = []
    for row in result.rows:
        explained = formulas(row)
        cls = " ".join(c for c, on in (("unmodelled", row.unmodelled), ("warned", row.warnings)) if on)
        cells = []
        for c in cols:
            tip = f' title="{html_text(explained[c.key])}"' if c.key in explained else ""
            right = ' class="r"' if c.right else ""
            text = html_text(format_cell(c, c.get(row, result))) + (_badges(row) if c.key == "name" else "")
            cells.append(f"<td{right}{tip}>{text}</td>")
        body.append(f'<tr{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>' + "".join(cells) + "</tr>")
    foot = "".join(f'<div class="muted">{html_text(line)}</div>' for line in totals_lines(result))
    warn = "".join(f'<div class="warn">warning: {html_text(w)}</div>' for w in result.warnings)
    return (f'<div class="cnncalc"><style>{COMPACT_CSS}</style><strong>{html_text(result.name)}</strong>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{foot}{warn}</div>")
