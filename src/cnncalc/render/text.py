"""The terminal table: fixed-width text, the same columns as every other renderer."""

from __future__ import annotations

from ..analysis import Result
from .columns import Column, format_cell, human_bytes, human_count, pick


def table_lines(result: Result, columns: list[Column]) -> list[str]:
    cells = [[format_cell(c, c.get(row, result)) for c in columns] for row in result.rows]
    widths = [max([len(c.header)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if c.right else v.ljust(w) for v, w, c in zip(values, widths, columns)]
        return "  ".join(parts).rstrip()

    rule = "─" * len(line([c.header for c in columns]))
    return [line([c.header for c in columns]), rule] + [line(r) for r in cells] + [rule]


def totals_lines(result: Result) -> list[str]:
    t = result.totals
    return [
        f"Params: {t.params:,} (trainable {t.trainable_params:,}, non-trainable {t.non_trainable_params:,})"
        f"  ·  state (buffers): {t.state:,}",
        f"MACs: {t.macs:,} ({human_count(t.macs)})  ·  FLOPs: {t.flops:,} ({human_count(t.flops)})",
        f"Activations: {t.activations:,} ({human_bytes(t.activation_bytes)})  ·  input: {t.input_size:,}"
        f"  ·  params: {human_bytes(t.param_bytes)}  ·  training estimate: {human_bytes(t.training_bytes)}",
        f"Conventions: {result.conventions.describe()}",
    ]


def render_text(result: Result, columns: str | list[str] | None = None) -> str:
    """The result as a plain-text table with totals, conventions and warnings."""
    lines = [f"{result.name}"] + table_lines(result, pick(columns)) + totals_lines(result)
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)
