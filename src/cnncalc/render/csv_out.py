"""Comma-separated values for spreadsheets and scripts: one row per layer, raw numbers.

The header row holds the column keys of the catalog (``name,kind,output,...``), stable across
releases; numbers carry no thousands separators; a cell that does not apply is left empty. Totals are
not a row (a script summing a column gets them); ``--format json`` carries them explicitly. Text cells are
neutralised against formula injection (a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab, CR) and
control characters are escaped; numbers are written as they are.
"""

from __future__ import annotations

import csv
import io

from ..analysis import Result
from .columns import pick
from .escape import csv_cell


def render_csv(result: Result, columns: str | list[str] | None = None) -> str:
    """The result's rows as CSV text (``\\n`` line ends, no trailing newline)."""
    cols = pick(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in cols])
    for row in result.rows:
        writer.writerow([csv_cell(c.get(row, result)) for c in cols])
    return out.getvalue().rstrip("\n")
