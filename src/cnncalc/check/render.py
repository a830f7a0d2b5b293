"""The text form of a check report: each table with ✓/✗ per cell, then each wrong cell explained."""

from __future__ import annotations

from ..render.escape import shorten
from .tables import TITLES
from .verdict import (
    CONVENTION,
    MARKS,
    OK,
    UNCHECKED,
    UNREADABLE,
    WRONG,
    CellVerdict,
    CheckReport,
    RowVerdict,
    TableReport,
)

#: a claimed cell longer than this is shown cut in the middle, with its length (a pasted wall of digits)
CELL_LIMIT = 60


def _shown(text: str) -> str:
    return text if len(text) <= CELL_LIMIT else f"{shorten(text, CELL_LIMIT)} ({len(text):,} characters)"


def _grid(table: TableReport) -> list[str]:
    keys = list(table.columns)
    head = [TITLES[k] for k in keys]
    lines: list[list[str]] = []
    for row in table.rows:
        by_key = {c.column: c for c in row.cells}
        cells = []
        for k in keys:
            if k == "layer":
                cells.append(_shown(row.layer))
            elif k in by_key:
                c = by_key[k]
                cells.append(f"{_shown(c.claimed)} {MARKS[c.status]}")
            else:
                cells.append("")
        lines.append(cells)
    widths = [max(len(x) for x in col) for col in zip(head, *lines)]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    out += ["  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip() for cells in lines]
    return out


def _cell_lines(row: RowVerdict, cell: CellVerdict) -> list[str]:
    where = f"line {row.line}, {_shown(row.layer or row.node)}, {TITLES.get(cell.column, cell.column)}"
    claimed = _shown(cell.claimed)
    if cell.status == CONVENTION:
        return [
            f"≈ {where}: {claimed} is a convention difference, not a mistake: {cell.note}",
            f"    cnncalc: {cell.formula}",
        ]
    if cell.status == UNCHECKED:
        return [f"– {where}: {claimed!r} not checked ({cell.note})"]
    if cell.status == UNREADABLE:
        what = f"cannot read {claimed!r} ({cell.note})" if cell.claimed else cell.note
        return [f"? {where}: {what}: not counted as correct"]
    lines = [f"✗ {where}: claimed {claimed}, correct {cell.correct}", f"    correct: {cell.formula}"]
    if not cell.mistakes:
        lines.append(f"    mistake: no known mistake reproduces {claimed} (not guessing)")
    for i, m in enumerate(cell.mistakes):
        if i and m.explanation == cell.mistakes[i - 1].explanation:
            lines.append(f"    i.e.:    {m.name} (the same arithmetic)")
            continue
        label = "mistake:" if i == 0 else "   or:  "
        lines.append(f"    {label} {m.name}: {m.explanation}")
    return lines


def summary(wrong: int, unreadable: int) -> str:
    """'every cell correct', '2 cell(s) wrong', '1 cell(s) unreadable (not checked, so not passed)'."""
    if not wrong and not unreadable:
        return "every cell correct"
    parts = [f"{wrong} cell(s) wrong"] if wrong else []
    parts += [f"{unreadable} cell(s) unreadable (not checked, so not passed)"] if unreadable else []
    return ", ".join(parts)


def render_table(table: TableReport) -> list[str]:
    n_rows = len(table.rows)
    if table.same_as is not None:
        verdict = summary(table.wrong, table.unreadable) if table.wrong or table.unreadable else "no cell wrong"
        return [f"table at line {table.line}: the same as the table at line {table.same_as} ({verdict})"]
    verdict = summary(table.wrong, table.unreadable)
    lines = [f"table at line {table.line} ({table.form}, {n_rows} rows, shapes {table.layout.upper()}): {verdict}"]
    lines += _grid(table)
    lines += [f"  note: {n}" for n in table.notes]
    for row in table.rows:
        for cell in row.cells:
            if cell.status != OK:
                lines += _cell_lines(row, cell)
    return lines


def render_report(report: CheckReport) -> str:
    lines: list[str] = [f"note: {n}" for n in report.notes]
    for table in report.tables:
        if lines:
            lines.append("")
        lines += render_table(table)
    lines.append("")
    lines.append(f"result: {summary(report.wrong, report.unreadable)}")
    return "\n".join(lines)


__all__ = ["UNREADABLE", "WRONG", "render_report", "render_table", "summary"]
