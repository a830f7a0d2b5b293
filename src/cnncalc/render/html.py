"""An HTML table, for Jupyter's ``_repr_html_`` and the --format html output."""

from __future__ import annotations

from html import escape

from ..analysis import Result
from .columns import format_cell, pick
from .text import totals_lines


def render_html(result: Result, columns: str | list[str] | None = None) -> str:
    cols = pick(columns)
    head = "".join(f"<th>{escape(c.header)}</th>" for c in cols)
    body = []
    for row in result.rows:
        cells = []
        for c in cols:
            style = ' style="text-align:right"' if c.right else ""
            tip = f' title="{escape(row.params_quantity.explain())}"' if c.key == "params" else ""
            cells.append(f"<td{style}{tip}>{escape(format_cell(c, c.get(row, result)))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    foot = "".join(f"<div>{escape(line)}</div>" for line in totals_lines(result))
    warn = "".join(f'<div style="color:#b35900">warning: {escape(w)}</div>' for w in result.warnings)
    return (
        f'<div class="cnncalc"><strong>{escape(result.name)}</strong>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{foot}{warn}</div>"
    )
