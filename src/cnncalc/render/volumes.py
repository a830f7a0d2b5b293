"""The volumes style: each activation a 3-D box, as the article and NN-SVG's LeNet style draw a chain.

A box's height follows H, its depth (drawn receding up and to the right) follows W and its thickness
follows C, each on a log scale clamped to a range, so that VGG's 224×224×64 and a 1×1×10 output are both
legible. A vector (a dense layer's output) is a thin tall bar. A convolution's or pooling's kernel is drawn
on its input box with lines to the box it makes. Under each box: its shape ("28×28×8"), its name and its
parameters. Boxes are spaced by the wider of box and labels, so labels never overlap.

>>> volume_size(224), volume_size(28), volume_size(1)
(117.0, 75.0, 8.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..analysis import Result, Row
from .diagram import CSS, fill
from .graph import leaves, shape_label
from .svg import attr, compact, document, fmt, shorten, text, text_width

SIZE = 11.0
GAP = 18.0
MARGIN = 12.0
LINE = 14.0
NAME_LIMIT = 22
#: the receding axis is drawn at this slant: (dx, dy) per unit of depth
SLANT = (0.55, -0.45)


def volume_size(n: int, low: float = 8.0, high: float = 120.0, per_octave: float = 14.0) -> float:
    """The drawn length of an axis of ``n`` elements: ``low + per_octave·log2(n)``, clamped to [low, high]."""
    return float(min(high, max(low, round(low + per_octave * math.log2(max(n, 1))))))


@dataclass(frozen=True)
class Box:
    """One activation's box: front face (x, y, w, h), the receding depth d, and its label lines."""

    row: Row
    x: float
    y: float
    w: float
    h: float
    d: float
    labels: tuple[str, str, str]
    label_x: float
    label_y: float


def _dims(row: Row) -> tuple[float, float, float]:
    """(thickness from C, height from H, depth from W) of a row's output."""
    shape = row.output_shape
    if shape.spatial == 0:  # a vector or a sequence: a thin tall bar
        return 6.0, volume_size(shape.dims[0] if shape.dims else 1, high=100.0, per_octave=10.0), 6.0
    spatial = shape.spatial_dims
    height = volume_size(spatial[0])
    depth = volume_size(spatial[1] if len(spatial) > 1 else 1) * 0.6
    thick = volume_size(shape.channels, low=3.0, high=60.0, per_octave=5.0)
    return thick, height, depth


def place(result: Result) -> list[Box]:
    """Boxes left to right on a common centre line, each advancing by the wider of box and labels."""
    rows = leaves(result)
    dims = [_dims(r) for r in rows]
    tallest = max((h + d * -SLANT[1] for _, h, d in dims), default=0.0)
    centre = MARGIN + tallest / 2 + 4
    label_y = MARGIN + tallest + 20
    boxes, x = [], MARGIN
    for row, (w, h, d) in zip(rows, dims):
        labels = (shape_label(row.output_shape, result.conventions.layout), shorten(row.name, NAME_LIMIT),
                  f"{compact(row.params)} params")
        drawn = w + d * SLANT[0]
        span = max(text_width(s, SIZE) for s in labels)
        slot = max(drawn, span)
        bx = x + (slot - drawn) / 2
        boxes.append(Box(row, bx, centre - h / 2 - d * SLANT[1] / 2, w, h, d, labels, x + slot / 2, label_y))
        x += slot + GAP
    return boxes


def label_boxes(boxes: list[Box]) -> list[tuple[float, float, float, float]]:
    """Every label's bounding box (x0, y0, x1, y1), centred under its box, as drawn."""
    out = []
    for b in boxes:
        for i, line in enumerate(b.labels):
            half = text_width(line, SIZE) / 2
            top = b.label_y + i * LINE
            out.append((b.label_x - half, top, b.label_x + half, top + SIZE))
    return out


def _cuboid(b: Box) -> str:
    dx, dy = b.d * SLANT[0], b.d * SLANT[1]
    x, y, w, h = b.x, b.y, b.w, b.h
    colour = fill(b.row.kind)
    top = f"{fmt(x)},{fmt(y)} {fmt(x + dx)},{fmt(y + dy)} {fmt(x + w + dx)},{fmt(y + dy)} {fmt(x + w)},{fmt(y)}"
    side = (f"{fmt(x + w)},{fmt(y)} {fmt(x + w + dx)},{fmt(y + dy)} {fmt(x + w + dx)},{fmt(y + h + dy)} "
            f"{fmt(x + w)},{fmt(y + h)}")
    return (f'<polygon points="{top}" fill="{colour}" stroke="#555" stroke-width="0.8" opacity="0.85"/>'
            f'<polygon points="{side}" fill="{colour}" stroke="#555" stroke-width="0.8" opacity="0.7"/>'
            f'<rect x="{fmt(x)}" y="{fmt(y)}" width="{fmt(w)}" height="{fmt(h)}" fill="{colour}" stroke="#555" '
            'stroke-width="0.8"/>')


def _kernel(before: Box, after: Box) -> str:
    """The kernel as a square on the input box's front face, with lines to the box it makes."""
    layer = after.row.layer
    k = getattr(layer, "kernel_size", None)
    shape = before.row.output_shape
    if k is None or shape.spatial == 0:
        return ""
    kh = k[0] if isinstance(k, tuple) else k
    side = max(3.0, min(before.h, before.h * kh / max(shape.spatial_dims[0], 1)))
    x = before.x + before.w - side - 1
    y = before.y + (before.h - side) / 2
    tx, ty = after.x + after.w / 2, after.y + after.h / 2
    return (f'<rect class="kernel" x="{fmt(x)}" y="{fmt(y)}" width="{fmt(side)}" height="{fmt(side)}" '
            'fill="#f4cccc" stroke="#c00" stroke-width="0.8"/>'
            f'<path class="kernel" d="M{fmt(x + side)},{fmt(y)}L{fmt(tx)},{fmt(ty)}M{fmt(x + side)},{fmt(y + side)}'
            f'L{fmt(tx)},{fmt(ty)}" stroke="#c00" stroke-width="0.6" fill="none"/>')


def volumes_svg(result: Result) -> str:
    """The volumes style as an SVG document."""
    boxes = place(result)
    body = []
    for i, b in enumerate(boxes):
        tip = f"{b.row.name} ({b.row.kind}): params {b.row.params_quantity.explain()}"
        body.append(f'<g class="node volume" data-name="{attr(b.row.name)}"><title>{attr(tip)}</title>'
                    + _cuboid(b) + "</g>")
        if i:
            body.append(_kernel(boxes[i - 1], b))
    for b in boxes:
        for i, line in enumerate(b.labels):
            cls = "label name" if i == 1 else "label"
            body.append(text(b.label_x, b.label_y + i * LINE + SIZE * 0.85, line, SIZE, cls, anchor="middle"))
    right = max((b.label_x + max(text_width(s, SIZE) for s in b.labels) / 2 for b in boxes), default=0.0)
    right = max([right] + [b.x + b.w + b.d * SLANT[0] for b in boxes])
    height = (boxes[0].label_y + 3 * LINE if boxes else 0.0) + MARGIN
    return document(right + MARGIN, height, f"{result.name}: {len(boxes)} layers", body, CSS)
