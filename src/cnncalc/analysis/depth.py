"""--depth: rows nested deeper than N collapse into their container's rolled-up row.

PyTorch-like front-ends give container rows themselves (a module's row before its children); the text
format's blocks get one here, synthesised where the block instance starts. Either way a row is shown when
its nesting depth is below N (torchinfo's rule: depth 1 shows the model's direct children).
"""

from __future__ import annotations

from .result import Row
from .rows import container_row


def limit_depth(rows: tuple[Row, ...], depth: int) -> tuple[Row, ...]:
    """The rows shown at ``depth``: text-format blocks nested ``depth`` deep become one row each."""
    out: list[Row] = []
    members: dict[str, list[Row]] = {}
    for row in rows:
        if depth >= 1 and len(row.blocks) >= depth:
            block = row.blocks[depth - 1]
            if block not in members:
                members[block] = []
                out.append(row)  # placeholder, replaced below
            members[block].append(row)
        elif row.depth < depth:
            out.append(row)
    return tuple(_block_row(members[r.blocks[depth - 1]], depth) if _is_placeholder(r, depth) else r for r in out)


def _is_placeholder(row: Row, depth: int) -> bool:
    return depth >= 1 and len(row.blocks) >= depth


def _block_row(members: list[Row], depth: int) -> Row:
    first, last = members[0], members[-1]
    name = first.blocks[depth - 1]
    inside = {r.name for r in members}
    outside = tuple(dict.fromkeys(i for r in members for i in r.inputs if i not in inside))
    shapes = tuple(dict.fromkeys(s for r in members for i, s in zip(r.inputs, r.input_shapes) if i not in inside))
    kind = first.block_kinds[depth - 1] if len(first.block_kinds) >= depth else "block"
    return container_row(name, kind, members, input_shapes=shapes or first.input_shapes,
                         output=last.output_shape, output_elements=last.activations.value,
                         output_bytes=last.activation_bytes,
                         receptive_field=last.receptive_field, depth=depth - 1, blocks=first.blocks[:depth - 1],
                         block_kinds=first.block_kinds[:depth - 1],
                         layout=first.layout, inputs=outside)
