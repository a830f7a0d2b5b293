"""A 'Total' row of a claimed table: each claimed total against the sum of the correct rows.

A wrong total that equals the sum of the claimed (wrong) rows is explained as such: the addition is
right, the rows are not. Activation-size totals are not checked (tables disagree on whether the input
counts).
"""

from __future__ import annotations

from collections.abc import Callable

from ..analysis import Result, Row
from ..expr import Quantity, Var, total
from .mistakes import Found
from .tables import Table, TableRow, is_blank, parse_number
from .verdict import CONVENTION, OK, UNCHECKED, UNREADABLE, WRONG, CellVerdict, RowVerdict

_GETTERS = {
    "params": lambda r: r.params,
    "macs": lambda r: r.macs.value,
    "flops": lambda r: r.flops.value,
}


def _sum(rows: list[Row], key: str) -> Quantity:
    return Quantity(total([Var(r.name, _GETTERS[key](r)) for r in rows if _GETTERS[key](r)]))


def _claimed_sum(table: Table, key: str) -> int | None:
    """The sum of the claimed cells of a column (None when one is missing or unreadable)."""
    values = [parse_number(r.get(table.columns[key])) for r in table.rows]
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def total_verdict(table: Table, trow: TableRow, rows: list[Row]) -> RowVerdict:
    cells = []
    for key, col in table.columns.items():
        text = trow.get(col)
        if key == "layer" or is_blank(text):
            continue
        if key not in _GETTERS:
            cells.append(CellVerdict(key, text, UNCHECKED, "", "", note="totals of this column are not checked"))
            continue
        qty, value = _sum(rows, key), parse_number(text)
        if value is None:
            cells.append(CellVerdict(key, text, UNREADABLE, str(qty.value), qty.explain(), note="not a number"))
            continue
        if value == qty.value:
            cells.append(CellVerdict(key, text, OK, str(qty.value), qty.explain()))
            continue
        found: tuple[Found, ...] = ()
        if _claimed_sum(table, key) == value:
            found = (Found("claimed_sum", "the sum of the claimed rows", "the addition is right; the rows are not"),)
        cells.append(CellVerdict(key, text, WRONG, str(qty.value), qty.explain(), found))
    return RowVerdict(trow.line, trow.get(table.columns.get("layer")), "total", tuple(cells))


#: a summary's total line → (its label, the getter of a row's count)
_SUMMARY: dict[str, tuple[str, Callable[[Row], int]]] = {
    "params": ("Total params", lambda r: r.params),
    "trainable": ("Trainable params", lambda r: r.trainable.value),
    "non_trainable": ("Non-trainable params", lambda r: r.non_trainable.value),
}


def summary_totals(table: Table, result: Result, keras: Result) -> list[RowVerdict]:
    """The 'Total / Trainable / Non-trainable params' lines under a summary, each against the network's sum:
    Keras's summary as Keras counts (BatchNorm's moving statistics are non-trainable parameters), torchinfo's
    as PyTorch counts (they are buffers); a line of unknown origin may hold either, the other one a convention."""
    counted = {"keras": keras, "torchinfo": result}.get(table.source or "")
    out = []
    for claim in table.totals:
        label, get = _SUMMARY[claim.key]
        main = counted or result
        rows = [r for r in main.rows if not r.is_container]
        qty = Quantity(total([Var(r.name, get(r)) for r in rows if get(r)]))
        value = parse_number(claim.text)
        other = sum(get(r) for r in (keras if main is result else result).rows if not r.is_container)
        if value == qty.value:
            cell = CellVerdict("params", claim.text, OK, str(qty.value), qty.explain())
        elif counted is None and value == other:
            cell = CellVerdict("params", claim.text, CONVENTION, str(qty.value), qty.explain(),
                               note=f"Keras's count ({other}): BatchNorm's moving statistics as non-trainable "
                               "parameters")
        else:
            who = {"keras": "as Keras counts", "torchinfo": "as PyTorch counts"}.get(table.source or "", "")
            found: tuple[Found, ...] = ()
            if claim.key == "params" and "params" in table.columns and _claimed_sum(table, "params") == value:
                found = (Found("claimed_sum", "the sum of the claimed rows", "the addition is right; the rows are "
                               "not"),)
            cell = CellVerdict("params", claim.text, UNREADABLE if value is None else WRONG, str(qty.value),
                               qty.explain(), found, note="not a number" if value is None else who)
        out.append(RowVerdict(claim.line, label, "total", (cell,)))
    return out
