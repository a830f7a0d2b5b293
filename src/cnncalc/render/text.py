"""The terminal table: fixed-width text, the same columns as every other renderer.

Piped output keeps every column asked for. On a terminal the CLI passes its width: columns of low priority
(see ``Column.priority``) are dropped until the table fits, with a note naming them, and long layer names
are shortened in the middle. The totals and conventions footer wraps at the width (100 when piped).
Names are shown through :func:`~cnncalc.render.escape.printable`, so control characters cannot reach the
terminal.
"""

from __future__ import annotations

import re
import textwrap
from typing import IO

from ..analysis import Result
from .columns import Column, format_cell, human_bytes, human_count, pick
from .escape import printable, shorten

#: the footer's width when the output is not a terminal
PIPE_WIDTH = 100
#: layer names are never shortened below this many characters
MIN_NAME = 16
_GAP = 2


def _cells(result: Result, columns: list[Column]) -> list[list[str]]:
    """Each row's cells; the layer name is indented two spaces per nesting level (a tree, as torchinfo shows)."""
    return [[("  " * max(row.depth, 0) if c.key == "name" else "") + printable(format_cell(c, c.get(row, result)))
             for c in columns] for row in result.rows]


def _widths(columns: list[Column], cells: list[list[str]]) -> list[int]:
    return [max([len(c.header)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]


def _table_width(widths: list[int]) -> int:
    return sum(widths) + _GAP * (len(widths) - 1)


def fit_columns(columns: list[Column], cells: list[list[str]], width: int) -> tuple[list[int], list[str]]:
    """Indexes of the columns kept to fit ``width``, and the keys of those dropped (lowest priority first)."""
    keep = list(range(len(columns)))
    widths = _widths(columns, cells)
    name_at = next((i for i, c in enumerate(columns) if c.key == "name"), None)

    def used() -> int:
        shown = [min(widths[i], MIN_NAME) if i == name_at else widths[i] for i in keep]
        return _table_width(shown)

    dropped: list[str] = []
    by_priority = sorted(keep, key=lambda i: (-columns[i].priority, -i))
    for i in by_priority:
        if used() <= width or len(keep) == 1 or columns[i].priority <= 1:
            break
        keep.remove(i)
        dropped.append(columns[i].key)
    return keep, dropped


def table_lines(result: Result, columns: list[Column], width: int | None = None) -> list[str]:
    """The table's lines: header, rule, one line per row, rule; fitted to ``width`` when given."""
    cells = _cells(result, columns)
    dropped: list[str] = []
    if width is not None and _table_width(_widths(columns, cells)) > width:
        keep, dropped = fit_columns(columns, cells, width)
        columns = [columns[i] for i in keep]
        cells = [[r[i] for i in keep] for r in cells]
        cells = _shorten_names(columns, cells, width)
    widths = _widths(columns, cells)

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if c.right else v.ljust(w) for v, w, c in zip(values, widths, columns)]
        return (" " * _GAP).join(parts).rstrip()

    rule = "─" * len(line([c.header for c in columns]))
    out = [line([c.header for c in columns]), rule] + [line(r) for r in cells] + [rule]
    if dropped:
        note = f"note: hidden to fit {width} columns: {', '.join(dropped)} (piped output shows every column)"
        out += textwrap.wrap(note, width or PIPE_WIDTH, subsequent_indent="  ")
    return out


def _shorten_names(columns: list[Column], cells: list[list[str]], width: int) -> list[list[str]]:
    """Shorten the name column (in the middle) when the table is still wider than ``width``."""
    name_at = next((i for i, c in enumerate(columns) if c.key == "name"), None)
    if name_at is None:
        return cells
    widths = _widths(columns, cells)
    room = width - (_table_width(widths) - widths[name_at])
    limit = max(room, MIN_NAME)
    if widths[name_at] <= limit:
        return cells
    for r in cells:
        r[name_at] = shorten(r[name_at], limit)
    return cells


def wrap(line: str, width: int) -> list[str]:
    """A footer line broken at its ' · ' separators to ``width``; continuation lines indented two spaces.

    >>> wrap("Conventions: layout HWC · batch 1 · float32 (4 B)", 30)
    ['Conventions: layout HWC', '  · batch 1 · float32 (4 B)']
    """
    if len(line) <= width:
        return [line]
    pieces = re.split(r"\s+·\s+", line)
    sep = "  ·  " if "  ·  " in line else " · "
    out = [pieces[0]]
    for piece in pieces[1:]:
        if len(out[-1]) + len(sep) + len(piece) <= width:
            out[-1] += sep + piece
        else:
            out.append("  · " + piece)
    return [part for o in out for part in (textwrap.wrap(o, width, subsequent_indent="    ") or [o])]


def totals_lines(result: Result) -> list[str]:
    """The totals and conventions, one line each (unwrapped: Markdown, LaTeX and HTML flow them)."""
    t = result.totals
    return [
        f"Params: {t.params:,} (trainable {t.trainable_params:,}, non-trainable {t.non_trainable_params:,})"
        f"  ·  state (buffers): {t.state:,}",
        f"MACs: {t.macs:,} ({human_count(t.macs)})  ·  FLOPs: {t.flops:,} ({human_count(t.flops)})",
        f"Activations: {t.activations:,} ({human_bytes(t.activation_bytes)})  ·  input: {t.input_size:,}"
        f"  ·  params: {human_bytes(t.param_bytes)}  ·  training estimate: {human_bytes(t.training_bytes)}",
        f"Conventions: {result.conventions.describe()}",
    ]


def terminal_width(stream: IO[str]) -> int | None:
    """The terminal's width when ``stream`` is a terminal, else None (piped output is never fitted)."""
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    from ..console import terminal_columns

    return max(terminal_columns(), 40)


def render_text(result: Result, columns: str | list[str] | None = None, width: int | None = None) -> str:
    """The result as a plain-text table with totals, conventions and warnings (fitted to ``width`` if given)."""
    wrap_at = width or PIPE_WIDTH
    lines = [printable(result.name)] + table_lines(result, pick(columns), width)
    lines += [part for line in totals_lines(result) for part in wrap(line, wrap_at)]
    lines += [part for w in result.warnings for part in wrap(f"warning: {printable(w)}", wrap_at)]
    return "\n".join(lines)
