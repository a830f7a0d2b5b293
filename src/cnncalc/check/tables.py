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

Keras's model.summary() is read as printed: rule lines ('====', '____', '────', box drawing) are skipped,
and '(None, 30, 30, 32)' loses its batch axis: ``parse_shape("(None, 30, 30, 32)") == (30, 30, 32)``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..limits import MAX_DIGITS

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
    "row": "the row",
}
#: a cell that claims nothing (not applicable), lower case
BLANKS = ("", "-", "--", "—", "–", "n/a", "na")
_INDEX = ("slno", "sl", "no", "n", "index", "idx", "", "num", "number", "row")


def is_blank(cell: str) -> bool:
    """A cell that claims nothing: empty, a dash, n/a."""
    return cell.strip().lower() in BLANKS


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

    def extended(self, column: int, text: str) -> TableRow:
        """The row with a wrapped cell's continuation joined to it."""
        cells = list(self.cells) + [""] * (column + 1 - len(self.cells))
        cells[column] = cells[column].rstrip() + text
        return TableRow(self.line, tuple(cells))


@dataclass(frozen=True)
class ClaimedTotal:
    """A summary's total line: 'Total params: 41,482 (162.04 KB)' → ("params", "41,482")."""

    line: int
    key: str
    text: str


@dataclass(frozen=True)
class Table:
    """A claimed table: the header cells, the known columns (key → index) and the data rows."""

    line: int
    form: str
    headers: tuple[str, ...]
    columns: dict[str, int]
    rows: tuple[TableRow, ...]
    #: the tool that printed it, when recognised ("keras": model.summary(), "torchinfo"), and what that implies
    source: str | None = None
    layout: str | None = None
    #: the "Total params / Trainable params / Non-trainable params" lines printed under it
    totals: tuple[ClaimedTotal, ...] = ()
    notes: tuple[str, ...] = ()

    def same_content(self, other: Table) -> bool:
        return self.headers == other.headers and [r.cells for r in self.rows] == [r.cells for r in other.rows]


#: box-drawing bars (Keras 3's model.summary(), rich tables) read as Markdown's pipes
_BARS = str.maketrans({"│": "|", "┃": "|"})
#: a rule line: bars, corners and joints around a run of rule characters ('====', '────', '____', '|---|')
_RULE_CHARS = "=\\-_─━═"
_RULE_LINE = re.compile(r"[\s|+:=\-_─━═┃│┏┓┗┛┳┻┡┩╇├┤┼└┘┴┬┌┐╞╡╪╘╛╒╕]*")


def is_rule(line: str) -> bool:
    """A line drawn to separate a table's parts: '=====' (Keras), '─────', '_____', '|---|---|', '┡━━╇━━┩'."""
    return bool(_RULE_LINE.fullmatch(line) and re.search(f"[{_RULE_CHARS}]{{3}}", line))


def _split_markdown(line: str) -> list[str] | None:
    s = line.strip().translate(_BARS)
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


@dataclass(frozen=True)
class _Reader:
    """How a table's lines split into cells: the splitter, the header's cell count, and for a space-aligned
    table the header's column starts (where a wrapped cell's continuation belongs)."""

    split: Callable[[str], list[str] | None]
    width: int
    starts: tuple[int, ...] = ()
    #: a box-drawn table whose rows are separated by rules (Keras 3's model.summary()): a line right under a
    #: row, with no rule between, holds that row's wrapped cells ('batch_normalization' / '(BatchNormalization)')
    boxed: bool = False

    def continuation(self, line: str) -> tuple[int, str] | None:
        """(column, text) of an indented line holding one piece of text: a cell wrapped from the row above
        (Keras wraps 'max_pooling2d (MaxPooling2D' and puts ')' on the next line)."""
        text = line.strip()
        if not self.starts or not text or not line[:1].isspace() or _split_spaces(line) is not None:
            return None
        at = len(line) - len(line.lstrip())
        return max(j for j, start in enumerate(self.starts) if start <= at or j == 0), text


def _join(cell: str, more: str) -> str:
    """A cell and its wrapped continuation: a space where the wrap took one ('name' + '(Class)',
    '(None, 16,' + '16)'), none where a long word was folded."""
    a, b = cell.strip(), more.strip()
    if not a or not b:
        return a or b
    return f"{a} {b}" if b.startswith(("(", "[")) or a.endswith((",", ")", "]")) else a + b


def _is_header(cells: list[str]) -> bool:
    return sum(1 for c in cells if header_key(c)) >= 2


def _rows(lines: list[str], start: int, reader: _Reader) -> list[TableRow]:
    """The data rows under a header. Rule lines are skipped; under a header with a rule right below it
    (Keras's model.summary()), a space-aligned table also skips blank lines and joins a wrapped cell to
    its row."""
    rows: list[TableRow] = []
    ruled = after_row = False
    for n in range(start, len(lines)):
        line = lines[n]
        if is_rule(line) or (ruled and reader.starts and not line.strip()):
            ruled, after_row = ruled or n == start, False  # ruled: a rule right under the header, as Keras draws
            continue
        wrapped = reader.continuation(line) if ruled and after_row else None
        if wrapped is not None:
            rows[-1] = rows[-1].extended(*wrapped)
            continue
        cells = reader.split(line)
        if reader.boxed and after_row and cells is not None and len(cells) == len(rows[-1].cells):
            rows[-1] = TableRow(rows[-1].line, tuple(_join(a, b) for a, b in zip(rows[-1].cells, cells)))
            continue
        if cells is None or not any(cells) or _is_header(cells) or abs(len(cells) - reader.width) > 1:
            break
        if not _is_md_rule(cells):
            rows.append(TableRow(n + 1, tuple(cells)))
            after_row = True
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


def _fixed_width(header: str) -> _Reader:
    """Split a space-aligned row: by runs of 2+ spaces where that gives the header's cell count; else also at
    single spaces beside a bracket or a digit ('max_pooling2d (MaxPooling2D) (15, 15, 32)'), where the shape
    and number cells then all read; else at the header's column starts (a cell that does not read there is
    reported unreadable, never passed)."""
    spans = list(re.finditer(r"\S+(?: \S+)*", header))
    starts = tuple(m.start() for m in spans)
    keys = {i: k for k, i in _columns([m.group() for m in spans]).items()}

    def split(line: str) -> list[str] | None:
        cells = _split_spaces(line)
        if cells is None or len(cells) == len(starts):
            return cells
        refined = _split_single(cells, len(starts), keys) if len(cells) < len(starts) else None
        if refined is not None:
            return refined
        bounds = zip(starts, [*starts[1:], max(len(line), starts[-1])])
        return [line[a:b].strip() for a, b in bounds]

    return _Reader(split, len(starts), starts)


def _split_single(cells: list[str], width: int, keys: dict[int, str]) -> list[str] | None:
    """The first way to split cells at single spaces into ``width`` cells whose typed cells all read.

    The cells are cut into pieces at every candidate space (beside a bracket or a digit); a split joins
    runs of pieces within one cell. "First": each cell ends as early as it can while the rest can still
    be split — found by memoised search over (piece, cell index), so the work is polynomial in the
    line's length (at most MAX_PIECES pieces), never exponential.
    """
    pieces: list[str] = []
    joins: list[bool] = []  # joins[k]: pieces k and k+1 belong to the same original cell
    for cell in cells:
        parts = re.split(r"(?<=[)\]\d]) (?=[(\[\d])", cell)
        joins += [True] * (len(parts) - 1) + [False]
        pieces += parts
    if len(pieces) > MAX_PIECES or len(pieces) < width:
        return None
    memo: dict[tuple[int, int], list[str] | None] = {}

    def rest(k: int, j: int) -> list[str] | None:
        """Pieces k… as cells j…width−1, or None."""
        if k == len(pieces) or j == width:
            return [] if k == len(pieces) and j == width else None
        if (k, j) not in memo:
            memo[(k, j)] = None
            for end in range(k, len(pieces)):
                text = " ".join(pieces[k : end + 1])
                if _reads(keys.get(j), text):
                    tail = rest(end + 1, j + 1)
                    if tail is not None:
                        memo[(k, j)] = [text, *tail]
                        break
                if not joins[end]:
                    break
        return memo[(k, j)]

    return rest(0, 0)


#: the most pieces a space-aligned row is cut into when splitting it at single spaces
MAX_PIECES = 64


def _reads(key: str | None, text: str) -> bool:
    """Whether a cell reads as its column's kind: a shape, a number, or any layer name."""
    if key == "shape":
        return parse_shape(text) is not None
    if key in ("size", "params", "macs", "flops"):
        return parse_number(text) is not None or is_blank(text)
    return bool(text)


def _table_at(lines: list[str], n: int) -> Table | None:
    for form, split in SPLITTERS:
        cells = split(lines[n])
        if cells is None:
            continue
        cols = _columns(cells)
        numbers = sum(1 for k in cols if k != "layer")
        if "layer" not in cols or numbers < 1:
            continue
        reader = _fixed_width(lines[n]) if form == "text" else _Reader(split, len(cells), boxed=_boxed(lines, n))
        rows = _rows(lines, n + 1, reader)
        if rows:
            return _summary(lines, Table(n + 1, form, tuple(cells), cols, tuple(rows)))
    return None


def _boxed(lines: list[str], n: int) -> bool:
    """A rich table drawn with rules between its rows (Keras 3's summary): '┃' header, '├' separators."""
    if "┃" not in lines[n]:
        return False
    for line in lines[n + 1 : n + 1 + 4 * MAX_SCAN]:
        text = line.strip()
        if text.startswith("├"):
            return True
        if text.startswith("└") or not text:
            return False
    return False


#: how many lines under a table are searched for its total lines
MAX_SCAN = 16
_TOTAL = re.compile(r"^\s*(total|trainable|non-trainable)\s+params\s*:\s*([\d,]+)", re.IGNORECASE)
_TOTAL_KEYS = {"total": "params", "trainable": "trainable", "non-trainable": "non_trainable"}
_TORCHINFO_ROW = re.compile(r"^[\s│├└─|]*(.*?):\s*(\d{1,9})-(\d{1,9})$")


def _summary(lines: list[str], table: Table) -> Table:
    """What a tool's summary implies: Keras's and torchinfo's total lines (checked too); torchinfo's shapes
    with a batch axis, channels first, and its container rows (which roll up their children)."""
    header = re.sub(r"[^a-z:()-]", "", table.headers[table.columns.get("layer", 0)].lower())
    source = "torchinfo" if header.startswith("layer(type:depth-idx)") else (
        "keras" if header == "layer(type)" else None)
    end = table.rows[-1].line if table.rows else table.line
    totals = []
    for k in range(end, min(end + MAX_SCAN, len(lines))):
        m = _TOTAL.match(lines[k])
        if m:
            totals.append(ClaimedTotal(k + 1, _TOTAL_KEYS[m.group(1).lower()], m.group(2)))
    table = replace(table, source=source, totals=tuple(totals))
    return _torchinfo(table) if source == "torchinfo" else table


def _torchinfo(table: Table) -> Table:
    """torchinfo's rows: containers (the model, a Sequential holding deeper rows) dropped with a note, the
    batch axis dropped from shapes ('[1, 16, 32, 32]' → '[16, 32, 32]'), shapes read channels first."""
    col, shape_col = table.columns.get("layer", 0), table.columns.get("shape")
    depths = []
    for r in table.rows:
        m = _TORCHINFO_ROW.match(r.get(col))
        depths.append(int(m.group(2)) if m else 0)
    kept, dropped = [], []
    for i, r in enumerate(table.rows):
        if depths[i] == 0 or (i + 1 < len(depths) and depths[i + 1] > depths[i]):
            dropped.append(r.get(col))
            continue
        cells = list(r.cells)
        if shape_col is not None and shape_col < len(cells):
            cells[shape_col] = re.sub(r"^\s*\[\s*\d+\s*,\s*", "[", cells[shape_col])
        kept.append(TableRow(r.line, tuple(cells)))
    notes: tuple[str, ...] = ("torchinfo's shapes: batch axis dropped, read channels first (C, H, W)",)
    if dropped:
        notes += (f"torchinfo's container rows roll up their children, not checked: {', '.join(dropped)}",)
    return replace(table, rows=tuple(kept), layout="chw", notes=notes)


_SHAPE = re.compile(r"^[(\[]?\s*(\d+(?:\s*[,x×*]\s*\d+)*)\s*,?\s*[)\]]?$")


def parse_shape(text: str) -> tuple[int, ...] | None:
    """A claimed shape: '(28, 28, 8)', '[28, 28, 8]', '28x28x8', '(120, 1)' (kept as written), '10'; a
    leading batch axis None (Keras's '(None, 28, 28, 8)', '[(None, 32, 32, 3)]') is dropped."""
    s = text.strip()
    if re.fullmatch(r"\[\s*\(.*\)\s*\]", s):
        s = s[1:-1].strip()  # Keras's InputLayer: a list of one shape
    m = _SHAPE.match(re.sub(r"^([(\[])\s*None\s*,", r"\1", s))
    if not m:
        return None
    sizes = re.split(r"\s*[,x×*]\s*", m.group(1))
    if any(len(x) > MAX_DIGITS for x in sizes):
        return None  # no shape has such a size: not read as one (and never converted: Python's 4300-digit limit)
    return tuple(int(x) for x in sizes)


def parse_number(text: str) -> int | None:
    """A claimed count: '48120', '48,120', '48 120', '1.2M', '3.5 G', '62k'. None when not a number."""
    s = text.strip().replace(",", "").replace("_", "").replace(" ", "").replace("\u202f", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgGbB]?)", s)
    if not m or len(m.group(1)) > MAX_DIGITS:
        return None  # past MAX_DIGITS digits no count is meant: not read as one (and never converted)
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "b": 10**9}[m.group(2).lower()]
    value = float(m.group(1)) * scale if "." in m.group(1) else int(m.group(1)) * scale
    return round(value)


def is_approximate(text: str) -> bool:
    """A count written with a unit suffix and decimals (1.2M) can only be checked to its precision."""
    return bool(re.search(r"\.\d+\s*[kKmMgGbB]$", text.strip()))
