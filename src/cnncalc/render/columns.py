"""The one catalog of table columns every renderer shares: key, header, getter, format, alignment.

Getters return numbers or None ("not applicable"), never pre-formatted text; formatting is the
renderer's job through ``Column.format``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..analysis import Result, Row
from ..errors import ArgumentError
from ..kinds.base import suggest
from ..limits import short_int


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    get: Callable[[Row, Result], Any]
    kind: str = "int"  # int | text | shape | rf | bytes | percent
    right: bool = True
    #: the table drops columns of lower priority (higher number) first when it must fit a terminal
    priority: int = 5


def _shape(row: Row, result: Result) -> str:
    return row.output_shape.show(result.conventions.layout)


def _inputs(row: Row, result: Result) -> str | None:
    if not row.input_shapes:
        return None
    return ", ".join(s.show(result.conventions.layout) for s in row.input_shapes)


def _rf(key: str) -> Callable[[Row, Result], Any]:
    def get(row: Row, result: Result) -> Any:
        rf = row.receptive_field
        if rf.status != "local":
            return rf.status if key == "size" else None
        values = getattr(rf, key)
        return values[0] if len(set(values)) == 1 else "×".join(str(v) for v in values)

    return get


def _sides(value: Any, spatial: int) -> str:
    """5 in 2-D → '5×5'; (1, 7) → '1×7'."""
    if isinstance(value, tuple):
        return "×".join(str(v) for v in value)
    return "×".join([str(value)] * max(spatial, 1))


def _kernel(row: Row, result: Result) -> str | None:
    """Kernel and stride as torchinfo shows them: '5×5/1' (a pool's stride defaults to its kernel)."""
    kernel = getattr(row.layer, "kernel_size", None)
    if kernel is None:
        return None
    stride = getattr(row.layer, "stride", None) or kernel
    spatial = row.input_shapes[0].spatial if row.input_shapes else row.output_shape.spatial
    if isinstance(stride, tuple):
        shown = str(stride[0]) if len(set(stride)) == 1 else "×".join(str(v) for v in stride)
    else:
        shown = str(stride)
    return f"{_sides(kernel, spatial)}/{shown}"


def _params_percent(row: Row, result: Result) -> float | None:
    """The row's share of the total parameters, in percent (None for a container or an empty model)."""
    total = result.totals.params
    if row.is_container or not total:
        return None
    return round(100 * row.params / total, 4)


COLUMNS: dict[str, Column] = {c.key: c for c in (
    Column("name", "Layer", lambda r, _: r.name, "text", right=False, priority=0),
    Column("kind", "Kind", lambda r, _: r.kind, "text", right=False, priority=3),
    Column("input", "Input shape", _inputs, "text", right=False),
    Column("output", "Output shape", _shape, "text", right=False, priority=1),
    Column("kernel", "Kernel/stride", _kernel, "text", right=False, priority=6),
    Column("activations", "Activations", lambda r, _: r.activations.value, priority=4),
    Column("params", "Params", lambda r, _: r.params, priority=1),
    Column("params_percent", "Params %", _params_percent, "percent", priority=6),
    Column("trainable", "Trainable", lambda r, _: r.trainable.value),
    Column("non_trainable", "Non-trainable", lambda r, _: r.non_trainable.value),
    Column("state", "State", lambda r, _: r.state.value),
    Column("macs", "MACs", lambda r, _: r.macs.value, priority=2),
    Column("flops", "FLOPs", lambda r, _: r.flops.value),
    Column("rf", "RF", _rf("size"), "rf"),
    Column("rf_jump", "RF jump", _rf("jump"), "rf"),
    Column("rf_start", "RF start", _rf("start"), "rf"),
    Column("param_bytes", "Param bytes", lambda r, _: r.param_bytes, "bytes"),
    Column("activation_bytes", "Act. bytes", lambda r, _: r.activation_bytes, "bytes"),
)}

DEFAULT_COLUMNS = ("name", "kind", "output", "activations", "params", "macs", "rf")
#: the sum of these columns over rows equals a total (checked by the tests)
SUMMED = {"activations", "params", "trainable", "non_trainable", "state", "macs", "flops", "param_bytes",
          "activation_bytes"}


def pick(keys: str | tuple[str, ...] | list[str] | None) -> list[Column]:
    """Columns by key, from a comma-separated string or a sequence; unknown keys are an error."""
    if keys is None:
        keys = DEFAULT_COLUMNS
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",") if k.strip()]
    if not keys:
        raise ArgumentError("no columns given", hint="e.g. --columns name,output,params,macs; columns: "
                            + ", ".join(COLUMNS))
    out = []
    for key in keys:
        if key not in COLUMNS:
            guess = suggest(key, list(COLUMNS))
            raise ArgumentError(f"unknown column '{key}'",
                                hint=f"did you mean '{guess}'?" if guess else "columns: " + ", ".join(COLUMNS))
        out.append(COLUMNS[key])
    return out


def human_bytes(n: int) -> str:
    if abs(n) >= 10**300:  # past float's range: exact leading digits instead (cnncalc.limits)
        return f"{short_int(n)} B"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1024
    return f"{n} B"


def human_count(n: int) -> str:
    """62006 → '62.0 K'; 4089184256 → '4.09 G' (SI prefixes)."""
    if abs(n) >= 10**300:  # past float's range: exact leading digits instead (cnncalc.limits)
        return short_int(n)
    for div, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(n) >= div:
            return f"{n / div:.3g} {unit}" if n / div < 100 else f"{n / div:.1f} {unit}"
    return str(n)


def format_cell(column: Column, value: Any) -> str:
    """A cell as text: thousands separators for counts, '—' for not applicable."""
    if value is None:
        return "—"
    if column.kind in ("int", "bytes") and isinstance(value, int):
        return f"{value:,}" if abs(value) < 10**30 else short_int(value)
    if column.kind == "percent" and isinstance(value, (int, float)):
        return f"{value:.2f}%"
    return str(value)
