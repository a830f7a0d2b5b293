"""Where is the cost? Per-layer bars of parameters, MACs and activation memory, with cumulative lines.

One SVG with three panels, one per measure. Each panel's bars are the layers in order (scaled to the
largest layer); the line is the running total as a share of the whole (0–100 %, right axis). More layers
than ``MAX_BARS`` are gathered into consecutive groups so that a 2,000-layer model stays a small picture;
each bar's tooltip names its layers and value. The three heaviest layers of each panel are named.

>>> from cnncalc import analyze, parse
>>> svg = render_charts(analyze(parse("input 32x32x3\\nc: conv 8 f=5\\nd: dense 10")))
>>> svg.count('<rect class="bar'), "Parameters" in svg
(9, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..analysis import Result, Row
from .graph import leaves
from .svg import attr, compact, document, fmt, shorten, text

MAX_BARS = 400
WIDTH = 720.0
PANEL = 130.0
LEFT, RIGHT, TOP = 56.0, 44.0, 26.0
GAP = 34.0
#: the tallest bar fills this share of the panel, leaving room for the callouts under the title
HEADROOM = 0.8
CSS = (".bar{fill:#6d9eeb}.bar.top{fill:#3c78d8}.cum{fill:none;stroke:#cc4125;stroke-width:1.5}"
       ".axis{stroke:#999;stroke-width:0.8}.label{fill:#111}.muted{fill:#555}")


@dataclass(frozen=True)
class Measure:
    """A panel: its title, and how to read a row's value."""

    title: str
    get: Callable[[Row], int]
    bytes: bool = False


MEASURES = (
    Measure("Parameters", lambda r: r.params),
    Measure("MACs", lambda r: r.macs.value),
    Measure("Activation memory (bytes)", lambda r: r.activation_bytes, bytes=True),
)


def groups(rows: list[Row], limit: int = MAX_BARS) -> list[list[Row]]:
    """Consecutive rows gathered into at most ``limit`` groups of (nearly) equal size."""
    if len(rows) <= limit:
        return [[r] for r in rows]
    size = -(-len(rows) // limit)
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def _panel(measure: Measure, bins: list[list[Row]], top: float) -> list[str]:
    values = [sum(measure.get(r) for r in b) for b in bins]
    total, biggest = sum(values), max(values, default=0)
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / max(len(bins), 1)
    base = top + PANEL
    out = [text(LEFT, top - 8, f"{measure.title}: total {compact(total)}", 12, "label", weight="bold"),
           f'<line class="axis" x1="{fmt(LEFT)}" y1="{fmt(base)}" x2="{fmt(LEFT + plot_w)}" y2="{fmt(base)}"/>',
           text(LEFT - 4, base - PANEL * HEADROOM + 9, compact(biggest), 10, "muted", "end"),
           text(LEFT - 4, base, "0", 10, "muted", "end"),
           text(LEFT + plot_w + 4, top + 9, "100%", 10, "muted"), text(LEFT + plot_w + 4, base, "0%", 10, "muted")]
    heaviest = set(sorted(range(len(values)), key=lambda i: -values[i])[:3]) if total else set()
    points, running = [], 0
    for i, (b, v) in enumerate(zip(bins, values)):
        h = PANEL * HEADROOM * v / biggest if biggest else 0.0
        names = b[0].name if len(b) == 1 else f"{b[0].name} … {b[-1].name} ({len(b)} layers)"
        cls = "bar top" if i in heaviest else "bar"
        out.append(f'<rect class="{cls}" x="{fmt(LEFT + i * step)}" y="{fmt(base - h)}" '
                   f'width="{fmt(max(step * 0.8, 0.5))}" height="{fmt(h)}"><title>{attr(names)}: {v:,}</title></rect>')
        running += v
        points.append(f"{fmt(LEFT + (i + 1) * step)},{fmt(base - (PANEL * running / total if total else 0))}")
    out.append(f'<polyline class="cum" points="{fmt(LEFT)},{fmt(base)} {" ".join(points)}"/>')
    out += _callouts(bins, values, heaviest, step, base, biggest)
    return out


def _callouts(bins: list[list[Row]], values: list[int], heaviest: set[int], step: float, base: float,
              biggest: int) -> list[str]:
    """The heaviest bars' names above them (shortened; staggered so that they do not overlap)."""
    out = []
    for rank, i in enumerate(sorted(heaviest)):
        h = PANEL * HEADROOM * values[i] / biggest if biggest else 0.0
        x = LEFT + i * step + step * 0.4
        y = max(base - h - 4 - 11 * (rank % 2), TOP)
        out.append(text(x, y, shorten(bins[i][0].name, 18), 10, "muted", "middle"))
    return out


def render_charts(result: Result) -> str:
    """Three bar charts (params, MACs, activation memory) with cumulative lines, as one SVG document."""
    bins = groups(leaves(result))
    body: list[str] = []
    for i, measure in enumerate(MEASURES):
        body += _panel(measure, bins, TOP + i * (PANEL + GAP + TOP))
    height = TOP + len(MEASURES) * (PANEL + GAP + TOP) - TOP
    note = f"{len(leaves(result))} layers" + ("" if len(bins) == len(leaves(result)) else f" in {len(bins)} groups")
    body.append(text(LEFT, height - 10, f"bars: per layer, left axis · line: cumulative share, right axis · {note}",
                     10, "muted"))
    return document(WIDTH, height, f"{result.name}: cost per layer", body, CSS)
