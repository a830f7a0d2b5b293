"""Check a claimed table: recompute every cell and name the likely mistake behind each wrong one.

>>> report = check('''
... | Layer            | Activation Shape | # Parameters |
... |------------------|------------------|--------------|
... | Input            | (32, 32, 3)      | 0            |
... | CONV1 (f=5, s=1) | (28, 28, 8)      | 600          |
... ''')
>>> report.ok, report.wrong
(False, 1)
>>> cell = report.tables[0].rows[1].cells[1]
>>> cell.formula, cell.mistakes[0].name
('((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608', 'bias forgotten')

The network comes from the layer column where it says enough (the article's ``CONV1 (f=5, s=1)``,
``POOL1``, ``FC3``, ``Softmax``), or from ``network`` (a Network, or the path of a .cnn file).
"""

from __future__ import annotations

import sys
import types
from dataclasses import replace
from typing import Any

from ..analysis.fixes import suggest_fixes
from ..errors import CnnCalcError, ShapeError
from ..network import Network
from .infer import InferError, infer_network
from .tables import Table, TableRow, find_tables
from .verdict import CellVerdict, CheckReport, RowVerdict, TableReport, check_table

__all__ = ["CellVerdict", "CheckReport", "InferError", "RowVerdict", "TableReport", "check", "find_tables"]


def _without_totals(table: Table) -> tuple[Table, tuple[TableRow, ...]]:
    """Split off 'Total …' rows (a sum, not a layer): they are checked against the sum of the rows."""
    col = table.columns.get("layer")
    is_total = [r.get(col).lower().startswith("total") for r in table.rows]
    keep = tuple(r for r, t in zip(table.rows, is_total) if not t)
    totals = tuple(r for r, t in zip(table.rows, is_total) if t)
    return replace(table, rows=keep), totals


def check(table: str, network: Network | str | None = None) -> CheckReport:
    """Check every claimed table in a text (Markdown, CSV, tab- or space-separated).

    Raises CnnCalcError when no table is found or the network cannot be built; identical repeats of
    a table (the article prints its table three times) are reported as such.
    """
    tables = find_tables(table)
    if not tables:
        raise CnnCalcError(
            "no table found: no line has a layer column and a known column "
            "(activation shape, activation size, parameters, MACs, FLOPs)",
            hint="give the table a header row, e.g. 'Layer | Activation Shape | # Parameters'",
        )
    net = _load(network)
    reports: list[TableReport] = []
    first: dict[object, TableReport] = {}  # a table's content → the report of its first copy
    for t in tables:
        content = (t.headers, tuple(r.cells for r in t.rows))
        earlier = first.get(content)
        body, totals = _without_totals(t)
        if net is None:
            inferred = infer_network(body)
            rep = check_table(body, inferred.network, inferred.layout, inferred.notes, totals)
        else:
            rep = _check_given(body, net, totals)
        if earlier is not None:
            rep = TableReport(
                rep.line, rep.form, rep.headers, rep.columns, rep.rows, rep.layout, rep.notes, same_as=earlier.line
            )
        reports.append(rep)
        first.setdefault(content, rep)
    notes = (f"{len(tables)} tables found; each is checked",) if len(tables) > 1 else ()
    return CheckReport(tuple(reports), notes)


def _check_given(table: Table, net: Network, totals: tuple[TableRow, ...]) -> TableReport:
    """Check against a given network; an impossible one raises with the graph-level fixes added."""
    try:
        return check_table(table, net, None, (), totals)
    except ShapeError as err:
        raise err.with_fixes(tuple(suggest_fixes(net, err))) from None


def _load(network: Network | str | None) -> Network | None:
    if network is None or isinstance(network, Network):
        return network
    from ..textformat import load

    return load(network)


class _CallableModule(types.ModuleType):
    """``cnncalc.check`` is both this package and its main function: importing the package makes Python set the
    attribute ``cnncalc.check`` to the package, so the package itself is callable and ``cc.check(text)`` works
    whether or not the package was imported first (the check is loaded lazily, for a light start)."""

    def __call__(self, *args: Any, **kwargs: Any) -> CheckReport:
        return check(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
