"""What the page shows, as JSON-ready dicts: an analysis, a check, a solve answer, an error at its line.

These functions parse, call the core and the renderers, and package the result; they compute no number
themselves (design §1: interfaces hold no logic). They run in a worker process (see ``worker.py``) and take
only text and plain values from the page: never a path, never code.

>>> import json
>>> view = analysis_view("input 32x32x3\\nCONV1: conv 8 f=5")
>>> view["ok"], view["rows"], json.loads(view["formulas"])[1]["params"]
(True, 2, '((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608')
>>> bad = analysis_view("input 8x8x3\\nc1: conv 8 f=50")
>>> bad["ok"], bad["errors"][0]["line"], bad["errors"][0]["fixes"][0]
(False, 2, "padding=21 on each side (or padding='same')")
"""

from __future__ import annotations

import time
from html import escape
from typing import Any

from ..analysis import Result, analyze
from ..check import CheckReport, check
from ..check.tables import TITLES
from ..check.verdict import MARKS
from ..errors import ArgumentError, CnnCalcError, ParseError, ShapeError
from ..locate import located
from ..network import Network
from ..render.charts import render_charts
from ..render.report import diagram_section, formulas, report_table, table_html
from ..render.text import totals_lines
from ..solve import Bounds, same_padding, search, undo
from ..sources import Request, parse_network

#: the name an editor's text goes by in messages (the page's text is never a file)
EDITOR = "<editor>"
#: the most combinations the solve panel lists
SOLVE_LIMIT = 50


def error_view(err: CnnCalcError, line: int | None = None, column: int | None = None,
               fixes: tuple[str, ...] = ()) -> dict[str, Any]:
    """An error as the page shows it: its position (None: not in the text), the full message, hint and fixes."""
    return {"line": line, "column": column, "message": str(err), "summary": err.message, "hint": err.hint,
            "fixes": list(fixes)}


def _label(text: str) -> str:
    """The editor's name for the parser: JSON when the text is a JSON object, else the .cnn format."""
    return EDITOR + ".json" if text.lstrip().startswith("{") else EDITOR


def parse_editor(text: str) -> Network:
    """The editor's text as a Network (ParseError located in the text)."""
    return parse_network(text, _label(text))


def _located_error(err: ShapeError | ArgumentError, network: Network, text: str) -> dict[str, Any]:
    """A layer's error at the line and column where the layer is written (sources.analyze_network_source's way)."""
    node = next((n for n in network.nodes if n.name == err.layer), None)
    fixes = tuple(getattr(err, "fixes", ()))
    if node is None or node.source is None:
        return error_view(err, fixes=fixes)
    where = node.source
    return {**error_view(err, where.line, where.column, fixes), "message": str(located(err, where, text))}


def analyze_text(text: str, request: Request) -> tuple[Result | None, dict[str, Any] | None]:
    """The editor's network analysed, or the error to show (at its line when it has one)."""
    try:
        network = parse_editor(text)
    except ParseError as err:
        return None, error_view(err, err.line, err.column)
    except CnnCalcError as err:
        return None, error_view(err)
    try:
        return analyze(network, request.conventions("hwc")), None
    except (ShapeError, ArgumentError) as err:
        return None, _located_error(err, network, text)
    except CnnCalcError as err:
        return None, error_view(err)


#: the parts of the page a request may ask for: everything (the formulas of every number included), the table, or
#: the pictures. The page asks for the table and the pictures at once, from two workers, so that an update takes
#: the longer of the two, not their sum; the table comes without formulas, which the page asks for (``formulas``)
#: when a number is selected
PARTS = ("all", "table", "pictures")
#: the last analyses this worker made, by (text, layout, batch, dtype): a row's formulas are then answered
#: without parsing and analysing again (the two latest, of networks up to KEPT_ROWS rows: the memory stays small)
_RECENT: dict[tuple[str, str | None, int | None, str | None], Result] = {}
RECENT_KEPT = 2
KEPT_ROWS = 5_000


def result_view(result: Result, part: str = "all") -> dict[str, Any]:
    """A result as the page shows it: totals, table (part "all": with the formula of each number), diagram,
    charts."""
    view: dict[str, Any] = {"ok": True, "name": result.name, "rows": len(result.rows), "errors": [], "part": part}
    if part == "all":
        table, every = report_table(result)
        view |= {"table": table, "formulas": every}  # formulas: JSON text, one object per row, by column key
    elif part == "table":
        view |= {"table": table_html(result), "formulas": None}
    if part in ("all", "table"):
        view |= {"totals": totals_lines(result), "warnings": list(result.warnings)}
    if part in ("all", "pictures"):
        view |= {"diagram": diagram_section(result), "charts": render_charts(result)}
    return view


def analysis_view(text: str, layout: str | None = None, batch: int | None = None,
                  dtype: str | None = None, part: str = "all") -> dict[str, Any]:
    """The page's view of the editor's text under the chosen conventions, with the time it took (ms: wall clock,
    cpu_ms: the worker's processor time, which a loaded machine does not inflate)."""
    start, cpu = time.perf_counter(), time.process_time()
    try:
        result, error = _analysed(text, layout, batch, dtype)
        view = result_view(result, part) if result is not None else {"ok": False, "errors": [error], "part": part}
    except CnnCalcError as err:  # a convention the core refuses (a bad dtype, batch 0)
        view = {"ok": False, "errors": [error_view(err)], "part": part}
    view["ms"] = round((time.perf_counter() - start) * 1000, 1)
    view["cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)  # the same on an idle core, load aside
    return view


def _analysed(text: str, layout: str | None, batch: int | None,
              dtype: str | None) -> tuple[Result | None, dict[str, Any] | None]:
    """``analyze_text`` under these conventions, kept among this worker's recent analyses."""
    key = (text, layout, batch, dtype)
    if key in _RECENT:
        return _RECENT[key], None
    request = Request(layout=layout, batch=batch, dtype=dtype)  # type: ignore[arg-type]
    result, error = analyze_text(text, request)
    if result is not None and len(result.rows) <= KEPT_ROWS:
        while len(_RECENT) >= RECENT_KEPT:
            del _RECENT[next(iter(_RECENT))]
        _RECENT[key] = result
    return result, error


def formulas_view(text: str, layout: str | None, batch: int | None, dtype: str | None, row: int) -> dict[str, Any]:
    """The formulas of one row's numbers (by column key) for the table the page shows: the text and conventions
    it was made from, analysed again only if this worker has not just done so."""
    try:
        result, error = _analysed(text, layout, batch, dtype)
    except CnnCalcError as err:
        return {"ok": False, "errors": [error_view(err)]}
    if result is None:
        return {"ok": False, "errors": [error]}
    if not 0 <= row < len(result.rows):
        return {"ok": False, "errors": [error_view(CnnCalcError(f"no row {row}: the table has {len(result.rows)}"))]}
    return {"ok": True, "row": row, "name": result.rows[row].name, "formulas": formulas(result.rows[row])}


def check_view(table: str, network_text: str | None = None) -> dict[str, Any]:
    """A claimed table checked (against the editor's network when given, else the network the table implies)."""
    try:
        network = parse_editor(network_text) if network_text is not None else None
        report = check(table, network)
    except ParseError as err:
        return {"ok": False, "errors": [error_view(err, err.line, err.column)]}
    except CnnCalcError as err:
        return {"ok": False, "errors": [error_view(err)]}
    return {"ok": report.ok, "wrong": report.wrong, "unreadable": report.unreadable, "errors": [],
            "html": check_html(report), "report": report.to_dict()}


def _check_cell(cell: Any) -> str:
    tip = cell.formula if cell.status != "wrong" else f"correct: {cell.correct}\n{cell.formula}"
    return (f'<td class="c-{cell.status}" data-status="{cell.status}" data-column="{cell.column}" '
            f'title="{escape(tip)}">{escape(cell.claimed)} <span aria-hidden="true">{MARKS[cell.status]}</span>'
            f'<span class="sr"> ({cell.status})</span></td>')


def _diagnoses(report: CheckReport) -> list[str]:
    items = []
    for t in report.tables:
        for row in t.rows:
            for c in row.cells:
                if c.status in ("ok", "unchecked"):
                    continue
                why = "; ".join(f"{m.name}: {m.explanation}" for m in c.mistakes) or c.note or (
                    "no known mistake reproduces this number (not guessing)")
                items.append(f'<li class="c-{c.status}"><strong>line {row.line}, {escape(row.layer or row.node)}, '
                             f"{escape(TITLES.get(c.column, c.column))}</strong>: claimed {escape(c.claimed)}, "
                             f"cnncalc {escape(c.correct)} <code>{escape(c.formula)}</code><br>{escape(why)}</li>")
    return items


def check_html(report: CheckReport) -> str:
    """The claimed tables with each cell marked (✓ ✗ ≈ – ?) and the diagnosis of every wrong cell."""
    parts = []
    for t in report.tables:
        keys = [k for k in t.columns if k != "layer"]
        head = "<th>Layer</th>" + "".join(f"<th>{escape(TITLES.get(k, k))}</th>" for k in keys)
        body = []
        for row in t.rows:
            cells = {c.column: c for c in row.cells}
            tds = "".join(_check_cell(cells[k]) if k in cells else "<td></td>" for k in keys)
            body.append(f'<tr data-line="{row.line}"><th scope="row">{escape(row.layer or row.node)}</th>{tds}</tr>')
        same = f" (the same as the table at line {t.same_as})" if t.same_as is not None else ""
        notes = "".join(f"<li>{escape(n)}</li>" for n in t.notes)
        parts.append(f'<table class="claimed"><caption>table at line {t.line} ({t.form}, shapes '
                     f"{t.layout.upper()}){same}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
                     f"</tbody></table>" + (f'<ul class="notes">{notes}</ul>' if notes else ""))
    diagnoses = _diagnoses(report)
    if diagnoses:
        parts.append('<h3>Diagnosis</h3><ul class="diagnoses">' + "".join(diagnoses) + "</ul>")
    return "".join(parts)


def solve_view(mode: str, values: dict[str, int]) -> dict[str, Any]:
    """The solve panel: 'size' (which windows take input to output), 'same' (padding) or 'undo' (transposed)."""
    try:
        if mode == "same":
            r = same_padding(values["kernel"], stride=values.get("stride", 1), dilation=values.get("dilation", 1),
                             i=values.get("input"))
            lines = [r.message] + ([r.output.explain()] if r.output is not None else [])
            return {"ok": True, "html": "<p>" + "</p><p><code>".join(escape(x) for x in lines)
                    + ("</code></p>" if len(lines) > 1 else "</p>")}
        if mode == "undo":
            u = undo(values["input"], kernel=values["kernel"], stride=values.get("stride", 1),
                     padding=values.get("padding", 0), dilation=values.get("dilation", 1))
            head = (f"conv_transpose kernel={u.kernel} stride={u.stride} padding={u.padding} "
                    f"output_padding={u.output_padding} takes {u.forward} back to {u.input}")
            return {"ok": True, "html": f"<p>{escape(head)}</p><p>conv: <code>{escape(u.forward_formula.explain())}"
                    f"</code></p><p>transpose: <code>{escape(u.back_formula.explain())}</code></p>"}
        return _solve_size(values)
    except CnnCalcError as err:
        return {"ok": False, "errors": [error_view(err)]}


def _solve_size(values: dict[str, int]) -> dict[str, Any]:
    i, o = values["input"], values["output"]
    grow = o > i + 1  # as `cnncalc solve`: a larger output needs transposed convolutions
    bounds = Bounds(values.get("max_kernel", 11), (values.get("dilation", 1),), None, None,
                    values.get("kernel"), values.get("stride"), values.get("padding"))
    found = search(i, o, bounds, transposed=grow, limit=SOLVE_LIMIT)
    what = "transposed convolutions" if grow else "convolution/pooling windows"
    if not found.total:
        return {"ok": True, "html": f"<p>no {what} take {i} to {o} within the bounds</p>"}
    head = "<tr><th>kernel</th><th>stride</th><th>padding</th>" + ("<th>out_pad</th>" if grow else "") + \
        "<th>dilation</th><th>output</th></tr>"
    rows = [f"<tr><td>{c.kernel}</td><td>{c.stride}</td><td>{c.padding}</td>"
            + (f"<td>{c.output_padding}</td>" if grow else "")
            + f"<td>{c.dilation}</td><td><code>{escape(c.output.explain())}</code></td></tr>" for c in found.combos]
    more = found.total - len(found.combos)
    tail = f"<p>… {more} more</p>" if more > 0 else ""
    return {"ok": True, "html": f"<p>{i} → {o}: {found.total} {what}, smallest kernel first</p>"
            f'<table class="solve"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>{tail}'}
