"""The result as plain data with a versioned schema (see docs/json-schema.md)."""

from __future__ import annotations

import json
from typing import Any

from ..analysis import Result

SCHEMA = "cnncalc.result/1"


def result_dict(result: Result) -> dict[str, Any]:
    layout = result.conventions.layout
    return {
        "schema": SCHEMA,
        "network": result.name,
        "conventions": result.conventions.as_dict(),
        "layers": [row.as_dict(layout) for row in result.rows],
        "totals": result.totals.as_dict(),
        "warnings": list(result.warnings),
    }


def render_json(result: Result) -> str:
    return json.dumps(result_dict(result), indent=2, ensure_ascii=False)


def render_json_format(result: Result, columns: str | list[str] | None = None) -> str:
    """The JSON renderer as the registry calls it (its columns are fixed)."""
    return render_json(result)
