"""Find claimed tables in text: Markdown, CSV, or tab/whitespace-separated, recognised by their headers.

A table starts at a line whose cells name at least two known columns (layer, activation shape, activation
size, parameters, MACs, FLOPs; case and punctuation aside) and runs while the following lines split into
cells the same way. The article's layout, with an empty header over its layer column, is recognised:

>>> t = find_tables("SL.No\\t\\tActivation Shape\\tActivation Size\\t# Parameters\\n"
...                 "1.\\tInput Layer:\\t(32, 32, 3)\\t3072\\t0\\n")[0]
>>> t.columns, t.rows[0].cells[t.columns["layer"]]
({'layer': 1, 'shape': 2, 'size': 3, 'params': 4}, 'Input Layer:')
>>> parse_shape("(28, 28, 8)"), parse_shape("(120, 1)"), parse_shape("5x5x16"), parse_shape("n/a")
((28, 28, 8), (120, 1), (5, 5, 16), None)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass

#: column key → normalised header names (lower case, letters and digits only)
HEADERS: dict[str, tuple[str, ...]] = {
    "layer": ("layer", "layers", "layername", "name", "layertype", "type", "module", "layertypeshape"),
    "shape": ("activationshape", "outputshape", "shape", "output", "outshape"),
    "size": ("activationsize", "size", "outputsize", "activations", "activationcount", "numactivations"),
    "params": (
        "parameters",
        "params",
        "param",
        "numparams",
        "numparameters",
        "paramcount",
        "parametercount",
        "nparams",
        "learnableparameters",
        "weights",
    ),
    "macs": ("macs", "multadds", "madds", "multiplyadds", "macc", "maccs"),
    "flops": ("flops", "flop", "flopcount"),
}
TITLES = {
    "layer": "Layer",
    "shape": "Activation Shape",
    "size": "Activation Size",
    "params": "# Parameters",
    "macs": "MACs",
    "flops": "FLOPs",
}
_INDEX = ("slno", "sl", "no", "n", "index", "idx", "", "num", "number", "row")


def header_key(cell: str) -> str | None:
    """The column a header cell names, or None. '# Parameters' → 'params', 'Output Shape' → 'shape'."""
    norm = re.sub(r"[^a-z0-9]", "", cell.lower())
    for key, names in HEADERS.items():
        if norm in names:
            return key
    return None


@dataclass(frozen=True)
class TableRow:
    line: int
    cells: tuple[str, ...]

    def get(self, column: int | None) -> str:
        if column is None or column >= len(self.cells):
            return ""
        return self.cells[column].strip()


@dataclass(frozen=True)
class Table:
    """A claimed table: the header cells, the known columns (key → index) and the data rows."""

    line: int
    form: str
    headers: tuple[str, ...]
    columns: dict[str, int]
    rows: tuple[TableRow, ...]

    def same_content(self, other: Table) -> bool:
        return self.headers == other.headers and [r.cells for r in self.rows] == [r.cells for r in other.rows]


def _split_markdown(line: str) -> list[str] | None:
    s = line.strip()
    if not s.startswith("|"):
        return None
    parts = [c.strip() for c in s.strip("|").split("|")]
    return parts


def _is_md_rule(cells: list[str]) -> bool:
    return all(re.fullmatch(r":?-{2,}:?", c.strip()) for c in cells if c.strip()) and any(cells)


def _split_csv(line: str) -> list[str] | None:
    if "," not in line or "\t" in line:
        return None
    return [c.strip() for c in next(csv.reader([line]))]


def _split_tabs(line: str) -> list[str] | None:
    return [c.strip() for c in line.rstrip("\n").split("\t")] if "\t" in line else None


def _split_spaces(line: str) -> list[str] | None:
    """Cells separated by two or more spaces; a bracketed group stays one cell."""
    s = line.strip()
    if not s:
        return None
    cells = [c for c in re.split(r" {2,}", s)]
    return cells if len(cells) > 1 else None


SPLITTERS: tuple[tuple[str, Callable[[str], list[str] | None]], ...] = (
    ("markdown", _split_markdown),
    ("tsv", _split_tabs),
    ("csv", _split_csv),
    ("text", _split_spaces),
)


def _columns(cells: list[str]) -> dict[str, int]:
    """Known columns of a header row; an unnamed text column becomes the layer column (the article's)."""
    cols: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = header_key(cell)
        if key and key not in cols:
            cols[key] = i
    if "layer" not in cols and cols:
        first_known = min(cols.values())
        blanks = [i for i in range(first_known) if not cells[i].strip()]
        if blanks:
            cols["layer"] = blanks[-1]
        elif first_known > 0 and re.sub(r"[^a-z0-9]", "", cells[0].lower()) not in _INDEX:
            cols["layer"] = 0
    return dict(sorted(cols.items(), key=lambda kv: kv[1]))


def _rows(lines: list[str], start: int, split: Callable[[str], list[str] | None], width: int) -> list[TableRow]:
    rows: list[TableRow] = []
    for n in range(start, len(lines)):
        cells = split(lines[n])
        if cells is None or not any(cells):
            break
        if _is_md_rule(cells):
            continue
        if abs(len(cells) - width) > 1:
            break
        rows.append(TableRow(n + 1, tuple(cells)))
    return rows


def find_tables(text: str) -> list[Table]:
    """Every claimed table in a text (an article may hold several), in order."""
    lines = text.splitlines()
    tables: list[Table] = []
    n = 0
    while n < len(lines):
        found = _table_at(lines, n)
        if found is None:
            n += 1
            continue
        tables.append(found)
        n = found.rows[-1].line if found.rows else n + 1
    return tables


def _fixed_width(header: str) -> Callable[[str], list[str] | None]:
    """Split a space-aligned row: by runs of 2+ spaces where that gives the header's cell count, else at the
    header's column starts (a layer cell like 'CONV1 (f=3, s=1, p=1)' may touch the next column)."""
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]

    def split(line: str) -> list[str] | None:
        cells = _split_spaces(line)
        if cells is None or len(cells) == len(starts):
            return cells
        bounds = zip(starts, starts[1:] + [max(len(line), starts[-1])])
        return [line[a:b].strip() for a, b in bounds]

    return split


def _table_at(lines: list[str], n: int) -> Table | None:
    for form, split in SPLITTERS:
        cells = split(lines[n])
        if cells is None:
            continue
        if form == "text":
            split = _fixed_width(lines[n])
        cols = _columns(cells)
        numbers = sum(1 for k in cols if k != "layer")
        if "layer" not in cols or numbers < 1:
            continue
        rows = _rows(lines, n + 1, split, len(cells))
        if rows:
            return Table(n + 1, form, tuple(cells), cols, tuple(rows))
    return None


_SHAPE = re.compile(r"^[(\[]?\s*(\d+(?:\s*[,x×*]\s*\d+)*)\s*,?\s*[)\]]?$")


def parse_shape(text: str) -> tuple[int, ...] | None:
    """A claimed shape: '(28, 28, 8)', '[28, 28, 8]', '28x28x8', '(120, 1)' (kept as written), '10'."""
    m = _SHAPE.match(text.strip().replace("None,", "").strip())
    if not m:
        return None
    return tuple(int(x) for x in re.split(r"\s*[,x×*]\s*", m.group(1)))


def parse_number(text: str) -> int | None:
    """A claimed count: '48120', '48,120', '48 120', '1.2M', '3.5 G', '62k'. None when not a number."""
    s = text.strip().replace(",", "").replace("_", "").replace(" ", "").replace("\u202f", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgGbB]?)", s)
    if not m:
        return None
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "b": 10**9}[m.group(2).lower()]
    value = float(m.group(1)) * scale if "." in m.group(1) else int(m.group(1)) * scale
    return round(value)


def is_approximate(text: str) -> bool:
    """A count written with a unit suffix and decimals (1.2M) can only be checked to its precision."""
    return bool(re.search(r"\.\d+\s*[kKmMgGbB]$", text.strip()))
