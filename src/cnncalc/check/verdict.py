"""Verdicts: every claimed cell recomputed, marked ✓/✗ (or ≈ for a convention difference), and explained.

A wrong cell gets the correct value with its formula filled in and the mistakes that reproduce the
claimed number exactly (see mistakes.py); when none does, the verdict says so instead of guessing.
Convention differences are not mistakes: Keras's BatchNorm count (moving statistics as parameters),
FLOPs = 2×MACs (or a FLOPs column holding MACs), and shapes written CHW where HWC is used (or back).
A cell that cannot be read (not a shape, not a number, missing from its row) is *unreadable*: never
counted as correct, it fails the check as a wrong cell does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..analysis import Result, Row, analyze
from ..conventions import Conventions
from ..network import Network
from ..shape import Shape
from .follows import Carried, Claims, carried, follows_previous, follows_shape, quantity, same_dims, shape_formula
from .infer import InferError, _shape_in, guess_layout
from .mistakes import Facts, Found, diagnose, diagnose_shape, facts_of
from .tables import TITLES, Table, TableRow, is_approximate, is_blank, parse_number, parse_shape

OK, WRONG, CONVENTION, UNCHECKED, UNREADABLE = "ok", "wrong", "convention", "unchecked", "unreadable"
MARKS = {OK: "✓", WRONG: "✗", CONVENTION: "≈", UNCHECKED: "–", UNREADABLE: "?"}


@dataclass(frozen=True)
class CellVerdict:
    """One claimed cell: what was claimed, the verdict, the correct value and its formula, the mistakes."""

    column: str
    claimed: str
    status: str
    correct: str
    formula: str
    mistakes: tuple[Found, ...] = ()
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "claimed": self.claimed,
            "status": self.status,
            "correct": self.correct,
            "formula": self.formula,
            "note": self.note or None,
            "mistakes": [{"key": m.key, "name": m.name, "explanation": m.explanation} for m in self.mistakes],
        }


@dataclass(frozen=True)
class RowVerdict:
    line: int
    layer: str
    node: str
    cells: tuple[CellVerdict, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "layer": self.layer, "node": self.node, "cells": [c.as_dict() for c in self.cells]}


@dataclass(frozen=True)
class TableReport:
    """The verdicts on one table; ``same_as`` is the line of an identical earlier table."""

    line: int
    form: str
    headers: tuple[str, ...]
    columns: dict[str, int]
    rows: tuple[RowVerdict, ...]
    layout: str
    notes: tuple[str, ...] = ()
    same_as: int | None = None

    @property
    def wrong(self) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.status == WRONG)

    @property
    def unreadable(self) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.status == UNREADABLE)

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "format": self.form,
            "layout": self.layout,
            "wrong_cells": self.wrong,
            "unreadable_cells": self.unreadable,
            "same_as_table_at_line": self.same_as,
            "notes": list(self.notes),
            "rows": [r.as_dict() for r in self.rows],
        }


@dataclass(frozen=True)
class CheckReport:
    """The verdicts on every table found. ``ok`` is False when any cell is wrong or cannot be read."""

    tables: tuple[TableReport, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def wrong(self) -> int:
        return sum(t.wrong for t in self.tables)

    @property
    def unreadable(self) -> int:
        return sum(t.unreadable for t in self.tables)

    @property
    def ok(self) -> bool:
        return self.wrong == 0 and self.unreadable == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "cnncalc.check/1",
            "ok": self.ok,
            "wrong_cells": self.wrong,
            "unreadable_cells": self.unreadable,
            "notes": list(self.notes),
            "tables": [t.as_dict() for t in self.tables],
        }

    def __str__(self) -> str:
        from .render import render_report

        return render_report(self)


def _norm(name: str) -> str:
    name = re.sub(r":\s*\d+-\d+$", "", name.strip())  # torchinfo's 'Conv2d: 1-1' (depth-index)
    return re.sub(r"[^a-z0-9]", "", re.split(r"[(\[]", name, maxsplit=1)[0].lower())


def match_rows(table: Table, result: Result) -> list[Row]:
    """The analysed row for each table row: by layer name where every name matches, else by position."""
    by_name = {_norm(r.name): r for r in result.rows}
    col = table.columns.get("layer")
    names = [_norm(t.get(col)) for t in table.rows]
    if col is not None and all(n in by_name for n in names):
        return [by_name[n] for n in names]
    if len(table.rows) == len(result.rows):
        return list(result.rows)
    missing = next((t.get(col) for t, n in zip(table.rows, names) if n not in by_name), "?")
    raise InferError(
        f"cannot match the table's {len(table.rows)} rows to the network's {len(result.rows)} layers: "
        f"no layer is named '{missing}'",
        hint="name the table's layers as in the network file, or list every layer of the network in the table",
    )


def _shape_text(shape: Shape, layout: str, article: bool) -> str:
    return shape.article() if article and shape.rank == 1 else shape.show(layout)


def check_shape(text: str, row: Row, f: Facts, layout: str) -> CellVerdict:
    claimed = parse_shape(text)
    correct = _shape_text(row.output_shape, layout, bool(claimed and len(claimed) == 2 and claimed[1] == 1))
    formula = shape_formula(row)
    if claimed is None:
        return CellVerdict("shape", text, UNREADABLE, correct, formula, note="not a shape")
    if same_dims(claimed, row.output_shape, layout):
        return CellVerdict("shape", text, OK, correct, formula)
    other = "chw" if layout == "hwc" else "hwc"
    if row.output_shape.spatial and claimed == row.output_shape.ordered(other) and claimed != row.output_shape.dims[:0]:
        return CellVerdict(
            "shape",
            text,
            CONVENTION,
            correct,
            formula,
            note=f"written {other.upper()} where the table uses {layout.upper()}: the same shape",
        )
    found = diagnose_shape(f, _shape_in(layout, claimed))
    return CellVerdict("shape", text, WRONG, correct, formula, tuple(found))


def check_number(key: str, text: str, row: Row, f: Facts, keras: Row) -> CellVerdict:
    """A size, parameter, MAC or FLOP cell."""
    qty = quantity(row, key)
    correct, formula = str(qty.value), qty.explain()
    value = parse_number(text)
    if value is None:
        return CellVerdict(key, text, UNREADABLE, correct, formula, note="not a number")
    if value == qty.value or (is_approximate(text) and _close(text, value, qty.value)):
        return CellVerdict(key, text, OK, correct, formula)
    note = _convention(key, value, row, keras)
    if note:
        return CellVerdict(key, text, CONVENTION, correct, formula, note=note)
    return CellVerdict(key, text, WRONG, correct, formula, tuple(diagnose(f, key, value)))


def _close(text: str, claimed: int, correct: int) -> bool:
    """'1.2M' matches 1,234,567: equal to the written precision."""
    mantissa = text.strip().rstrip("kKmMgGbB ")
    decimals = len(mantissa.split(".")[1])
    unit = claimed / float(mantissa) if float(mantissa) else 1.0
    return bool(abs(correct - claimed) <= unit * 0.5 * 10.0 ** (-decimals))


def _convention(key: str, value: int, row: Row, keras: Row) -> str:
    if key == "params" and keras.params != row.params and value == keras.params:
        return (
            f"Keras's count ({keras.params_quantity.explain()}): it counts BatchNorm's moving mean and "
            f"variance as non-trainable parameters; PyTorch keeps them as buffers ({row.params})"
        )
    if key == "macs" and row.macs.value and value == 2 * row.macs.value:
        return f"FLOPs = 2×MACs = 2·{row.macs.value} in a MACs column"
    if key == "flops" and row.macs.value and value == row.macs.value:
        return f"MACs counted as FLOPs (1 per multiply-accumulate); cnncalc counts FLOPs = 2×MACs = {row.flops.value}"
    return ""


#: the earlier rows a mistake may have read in place of the previous one (nearest first; bounds the work)
MAX_EARLIER = 32


def check_table(
    table: Table,
    network: Network,
    layout: str | None = None,
    notes: tuple[str, ...] = (),
    totals: tuple[TableRow, ...] = (),
) -> TableReport:
    """Recompute every claimed cell of a table against a network."""
    if layout is None and table.layout is not None:
        layout = table.layout
    if layout is None:
        first = parse_shape(table.rows[0].get(table.columns.get("shape"))) if table.rows else None
        layout = guess_layout(first) if first else "hwc"
    notes = notes + table.notes
    conv = Conventions(layout="chw" if layout == "chw" else "hwc")
    result, keras = analyze(network, conv), analyze(network, conv.but(counting="keras"))
    rows = match_rows(table, result)
    keras_rows = {r.name: r for r in keras.rows}
    claims = [Claims(t.get(table.columns.get("shape")), t.get(table.columns.get("size"))) for t in table.rows]
    verdicts = []
    for i, (trow, row) in enumerate(zip(table.rows, rows)):
        f = facts_of(row, tuple(rows[max(i - 1 - MAX_EARLIER, 0) : i - 1]) if i else ())
        carry = carried(row, rows[i - 1], claims[i - 1], layout, conv) if i else None
        verdicts.append(_row_verdict(table, trow, row, keras_rows[row.name], f, layout, carry))
    if totals:
        from .totals import total_verdict

        verdicts += [total_verdict(table, t, list(result.rows)) for t in totals]
    if table.totals:
        from .totals import summary_totals

        verdicts += summary_totals(table, result, keras)
    return TableReport(table.line, table.form, table.headers, table.columns, tuple(verdicts), layout, notes)


def _row_verdict(
    table: Table, trow: TableRow, row: Row, keras: Row, f: Facts, layout: str, carry: Carried | None
) -> RowVerdict:
    """The row's claimed cells; ``keras``: the row as Keras counts it."""
    shape_text = trow.get(table.columns.get("shape"))
    cells = _extra_cells(trow, len(table.headers))
    for key, col in table.columns.items():
        text = trow.get(col)
        if key == "layer" or (is_blank(text) and col < len(trow.cells)):
            continue
        if col >= len(trow.cells):
            cells.append(_missing(key, len(trow.cells), len(table.headers)))
            continue
        cell = check_shape(text, row, f, layout) if key == "shape" else check_number(key, text, row, f, keras)
        cells.append(_explained(cell, shape_text, carry, layout))
    return RowVerdict(trow.line, trow.get(table.columns.get("layer")), row.name, tuple(cells))


def _missing(key: str, has: int, header: int) -> CellVerdict:
    note = f"missing: the row has {has} cells where the header has {header}"
    return CellVerdict(key, "", UNREADABLE, "", "", note=note)


def _extra_cells(trow: TableRow, header: int) -> list[CellVerdict]:
    """Text past the header's last column: the row's cells may be shifted, so the row cannot be trusted."""
    extra = " | ".join(c.strip() for c in trow.cells[header:] if c.strip())
    note = f"past the last column: {len(trow.cells)} cells where the header has {header}; the cells may be shifted"
    return [CellVerdict("row", extra, UNREADABLE, "", "", note=note)] if extra else []


def _explained(cell: CellVerdict, shape_text: str, carry: Carried | None, layout: str) -> CellVerdict:
    """A wrong cell with the explanations that other claimed cells give: first the previous row's claimed
    (wrong) shape carried forward (one mistake explains both rows); else, for a size no mistake explains,
    this row's own claimed shape."""
    if cell.status != WRONG:
        return cell
    carried_forward = follows_previous(cell.column, cell.claimed, carry, layout)
    found = ([carried_forward] if carried_forward else []) + list(cell.mistakes)
    own = None if found else follows_shape(cell.column, cell.claimed, shape_text)
    found += [own] if own else []
    return replace(cell, mistakes=tuple(found))


def title(key: str) -> str:
    return TITLES.get(key, key)
