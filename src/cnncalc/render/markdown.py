"""A GitHub-flavoured Markdown table (README files, issues, notebooks), with totals and conventions.

Every cell goes through :func:`~cnncalc.render.escape.markdown_cell`: one line (control characters and
newlines escaped), pipes escaped, HTML shown as text rather than rendered.
"""

from __future__ import annotations

from ..analysis import Result
from .columns import format_cell, pick
from .escape import markdown_cell as _cell
from .text import totals_lines


def render_markdown(result: Result, columns: str | list[str] | None = None) -> str:
    """The result as a Markdown pipe table; numbers right-aligned, '—' where not applicable."""
    cols = pick(columns)
    lines = [f"**{_cell(result.name)}**", ""]
    lines.append("| " + " | ".join(_cell(c.header) for c in cols) + " |")
    lines.append("|" + "|".join("---:" if c.right else ":---" for c in cols) + "|")
    for row in result.rows:
        cells = [_cell(format_cell(c, c.get(row, result))) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- {_cell(line)}" for line in totals_lines(result)]
    lines += [f"- warning: {_cell(w)}" for w in result.warnings]
    return "\n".join(lines)
