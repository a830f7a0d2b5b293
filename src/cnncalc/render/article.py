"""The article's own table: SL.No, layer, Activation Shape, Activation Size, # Parameters.

Tab-separated, exactly as the article prints it (its header's layer column is blank). Layers are named
by their node names, a convolution followed by its filter size and stride as the course writes it,
``CONV1 (f=5, s=1)``; the input row is ``Input Layer:``. Shapes use the article's notation: (H, W, C)
for volumes and (n, 1) for vectors. Activation Size is the element count of one sample's output.
Labels are shown through ``printable``: a tab, newline or control character in a name is escaped, so it can
neither split a row nor reach the terminal.

>>> from cnncalc.kinds import Conv
>>> conv_label("CONV1", Conv(8, 5)), conv_label("c", Conv(8, (3, 5), stride=2, padding="same"))
('CONV1 (f=5, s=1)', 'c (f=3x5, s=2, p=same)')
"""

from __future__ import annotations

from typing import Any

from ..analysis import Result, Row
from ..kinds.base import Layer
from ..kinds.conv import Conv, DepthwiseConv, SeparableConv
from ..kinds.structural import Input
from ..kinds.transpose import ConvTranspose
from .escape import printable

HEADER = "SL.No\t\tActivation Shape\tActivation Size\t# Parameters"
_CONVS = (Conv, ConvTranspose, DepthwiseConv, SeparableConv)


def _value(value: Any) -> str:
    """1, (5, 5) → '5'; (3, 5) → '3x5'; 'same' → 'same'."""
    if isinstance(value, tuple):
        flat = [v for pair in value for v in (pair if isinstance(pair, tuple) else (pair,))]
        if len(set(flat)) == 1:
            return str(flat[0])
        return "x".join(str(v) for v in value) if all(isinstance(v, int) for v in value) else str(value)
    return str(value)


def conv_label(name: str, layer: Layer) -> str:
    """A convolution's name with the course's f and s (and p when there is padding)."""
    parts = [f"f={_value(getattr(layer, 'kernel_size', 1))}", f"s={_value(getattr(layer, 'stride', 1))}"]
    padding = getattr(layer, "padding", 0)
    if _value(padding) not in ("0", "valid"):
        parts.append(f"p={_value(padding)}")
    return f"{name} ({', '.join(parts)})"


def layer_label(row: Row, inputs: int) -> str:
    """The layer column: 'Input Layer:' for the input, a conv with its f and s, else the node name."""
    if isinstance(row.layer, Input):
        return "Input Layer:" if inputs == 1 else f"Input Layer ({row.name}):"
    if isinstance(row.layer, _CONVS):
        return conv_label(row.name, row.layer)
    return row.name


def render_article(result: Result, columns: str | list[str] | None = None) -> str:
    """The article's table for ``result`` (``columns`` is ignored: the article's columns are fixed)."""
    rows = [r for r in result.rows if not r.is_container]
    inputs = sum(isinstance(r.layer, Input) for r in rows)
    lines = [HEADER]
    for i, row in enumerate(rows, start=1):
        shape = row.output_shape
        label = printable(layer_label(row, inputs))
        lines.append(f"{i}.\t{label}\t{shape.article()}\t{shape.size}\t{row.params}")
    return "\n".join(lines)
