"""Totals, computed in one place for every front-end: sums over the rows that are not containers."""

from __future__ import annotations

from ..conventions import Conventions
from ..kinds.structural import Input
from .result import Result, Row, Totals


def totals_from_rows(all_rows: tuple[Row, ...], conv: Conventions) -> Totals:
    """The totals of a full (uncollapsed) list of rows; containers roll up their children and are skipped.

    ``training_bytes`` is the historical upper bound: weights + gradients + Adam's two moments for the
    trainable parameters + state + every layer output kept (see docs/conventions.md)."""
    rows = [r for r in all_rows if not r.is_container]
    inputs = [r for r in rows if isinstance(r.layer, Input)]
    layers = [r for r in rows if not isinstance(r.layer, Input)]
    trainable = sum(r.trainable.value for r in rows)
    frozen = sum(r.non_trainable.value for r in rows)
    param_bytes = sum(r.param_bytes for r in rows)
    state_bytes = sum(r.state_bytes for r in rows)
    activation_bytes = sum(r.activation_bytes for r in layers)
    return Totals(
        params=trainable + frozen,
        trainable_params=trainable,
        non_trainable_params=frozen,
        state=sum(r.state.value for r in rows),
        macs=sum(r.macs.value for r in rows),
        flops=sum(r.flops.value for r in rows),
        activations=sum(r.activations.value for r in layers),
        input_size=sum(r.activations.value for r in inputs),
        param_bytes=param_bytes,
        state_bytes=state_bytes,
        activation_bytes=activation_bytes,
        training_bytes=param_bytes + 3 * sum(r.trainable_bytes for r in rows) + state_bytes + activation_bytes,
    )


def assemble(name: str, rows: tuple[Row, ...], conv: Conventions, warnings: tuple[str, ...] | list[str] = (),
             depth: int | None = None) -> Result:
    """A front-end's Result: totals over every row, the rows shown at ``depth`` (blocks and modules nested that
    deep collapsed into their container's row), and every row kept for the memory model when some are hidden."""
    from .depth import limit_depth

    shown = rows if depth is None else limit_depth(rows, depth)
    return Result(name, shown, totals_from_rows(rows, conv), conv, tuple(warnings),
                  all_rows=rows if depth is not None else ())
