"""The result as plain data with a versioned schema (see docs/json-schema.md)."""

from __future__ import annotations

import json
from typing import Any

from ..analysis import Result

SCHEMA = "cnncalc.result/1"


def result_dict(result: Result) -> dict[str, Any]:
    layout = result.conventions.layout
    memory = result.memory()
    layers = [row.as_dict(layout) for row in result.rows]
    for row in layers:  # memory by the kinds' rules (docs/memory.md)
        for key in ("saved_bytes", "allocated_bytes", "live_after_bytes"):
            if row["name"] in getattr(memory, key):
                row[key] = getattr(memory, key)[row["name"]]
    totals: dict[str, Any] = {**result.totals.as_dict(), "memory": memory.as_dict()}
    if result.max_batch is not None:
        totals["max_batch"] = result.max_batch
    return {
        "schema": SCHEMA,
        "network": result.name,
        "conventions": result.conventions.as_dict(),
        "layers": layers,
        "totals": totals,
        "warnings": list(result.warnings),
    }


def render_json(result: Result) -> str:
    return json.dumps(result_dict(result), indent=2, ensure_ascii=False)


def render_json_format(result: Result, columns: str | list[str] | None = None) -> str:
    """The JSON renderer as the registry calls it (its columns are fixed)."""
    return render_json(result)
