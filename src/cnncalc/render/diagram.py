"""The network as a picture: ``render_svg(result)`` and ``result.diagram()``.

Two styles. **volumes** (a chain: the article's picture, NN-SVG's LeNet style) draws each activation as a
3-D box sized by H, W and C on log scales; **graph** (anything that branches) draws a top-down DAG of boxes
laid out by :mod:`cnncalc.render.layout`, blocks collapsed by depth. ``style=None`` picks volumes for a chain
of at most ``VOLUME_LIMIT`` layers, graph otherwise. Pure Python, no dependency, nothing fetched.

>>> from cnncalc import analyze, parse
>>> d = diagram(analyze(parse("input 32x32x3\\nCONV1: conv 8 f=5\\nFC: dense 10")))
>>> d.style, d.svg.startswith("<svg"), "28×28×8" in d.svg
('volumes', True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..analysis import Result
from ..errors import ArgumentError
from .graph import Graph, GraphNode, build_graph, is_chain, leaves
from .layout import Layout, layout
from .svg import attr, compact, document, fmt, shorten, text, text_width

STYLES = ("volumes", "graph")
#: a chain longer than this is drawn as a graph (a row of 3-D boxes gets too wide to read)
VOLUME_LIMIT = 60
NAME_SIZE, INFO_SIZE = 12.0, 11.0
LINE = 15.0
PAD = 8.0
NAME_LIMIT = 36
MARGIN = 12.0

#: fill colour by kind family (first match on the kind's label)
COLOURS = (
    ("input", "#e8e8e8"), ("conv", "#cfe2f3"), ("pool", "#d9ead3"), ("norm", "#eeeeee"), ("dense", "#fce5cd"),
    ("linear", "#fce5cd"), ("add", "#e1d5e7"), ("concat", "#e1d5e7"), ("block", "#d0e0e3"),
    ("attention", "#fff2cc"), ("lstm", "#fff2cc"), ("gru", "#fff2cc"),
)

CSS = (
    ".node rect{stroke:#555;stroke-width:1}.node.unmodelled rect{stroke:#c00;stroke-dasharray:4 2}"
    ".node.warned rect{stroke:#b35900;stroke-width:2}.edge{fill:none;stroke:#777;stroke-width:1.2}"
    ".label{fill:#111}.muted{fill:#444}"
)


@dataclass(frozen=True)
class Diagram:
    """A rendered diagram: ``.svg`` holds the text; Jupyter shows it through ``_repr_svg_``."""

    svg: str
    style: str
    depth: int | None = None

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> Path:
        """Write the SVG to ``path`` (UTF-8) and return the path."""
        out = Path(path)
        out.write_text(self.svg + "\n", encoding="utf-8")
        return out


def fill(kind: str) -> str:
    """The box colour of a kind (white when none matches)."""
    low = kind.lower()
    return next((colour for key, colour in COLOURS if key in low), "#ffffff")


def pick_style(result: Result, style: str | None) -> str:
    """``style`` checked, or the automatic choice: volumes for a short chain, graph otherwise."""
    if style is None:
        return "volumes" if is_chain(result) and len(leaves(result)) <= VOLUME_LIMIT else "graph"
    if style not in STYLES:
        raise ArgumentError(f"unknown diagram style '{style}'", hint="styles: " + ", ".join(STYLES))
    return style


def node_lines(node: GraphNode) -> tuple[str, str, str]:
    """A box's three lines: name; kind and output shape; parameters."""
    return shorten(node.key, NAME_LIMIT), f"{node.kind} · {node.shape}", f"{compact(node.params)} params"


def node_size(node: GraphNode) -> tuple[float, float]:
    """Width and height of a box, from the widths of its lines."""
    name, info, params = node_lines(node)
    width = max(text_width(name, NAME_SIZE), text_width(info, INFO_SIZE), text_width(params, INFO_SIZE))
    return width + 2 * PAD, 3 * LINE + PAD


def graph_layout(graph: Graph) -> Layout:
    """The layered layout of the graph's boxes."""
    return layout([node_size(n) for n in graph.nodes], graph.edges)


def label_boxes(graph: Graph, lay: Layout) -> list[tuple[float, float, float, float]]:
    """Every label's bounding box (x0, y0, x1, y1) in the drawing, as drawn by :func:`graph_svg`."""
    boxes = []
    for node, (x, y) in zip(graph.nodes, lay.positions):
        for i, (line, size) in enumerate(zip(node_lines(node), (NAME_SIZE, INFO_SIZE, INFO_SIZE))):
            top = y + MARGIN + PAD / 2 + i * LINE
            boxes.append((x + MARGIN + PAD, top, x + MARGIN + PAD + text_width(line, size), top + size))
    return boxes


def _node_svg(node: GraphNode, x: float, y: float, w: float, h: float) -> str:
    cls = "node" + (" unmodelled" if node.unmodelled else "") + (" warned" if node.warned else "")
    rows = node.rows
    tip = f"{node.key}: {len(rows)} layers" if len(rows) > 1 else f"{node.key}: {rows[0].params_quantity.explain()}"
    if node.unmodelled:
        tip += " · not modelled: " + "; ".join(sorted({r.unmodelled or "" for r in rows if r.unmodelled}))
    parts = [f'<g class="{cls}" data-name="{attr(node.key)}"><title>{attr(tip)}</title>',
             f'<rect x="{fmt(x)}" y="{fmt(y)}" width="{fmt(w)}" height="{fmt(h)}" rx="4" fill="{fill(node.kind)}"/>']
    for i, (line, size) in enumerate(zip(node_lines(node), (NAME_SIZE, INFO_SIZE, INFO_SIZE))):
        baseline = y + PAD / 2 + i * LINE + size * 0.85
        parts.append(text(x + PAD, baseline, line, size, "label" if i else "label name", weight="bold" if i == 0
                          else "normal"))
    return "".join(parts) + "</g>"


def graph_svg(result: Result, depth: int | None = None) -> tuple[str, Graph]:
    """The graph style: boxes (name, kind · shape, params) top-down, edges with arrowheads."""
    graph = build_graph(result, depth)
    lay = graph_layout(graph)
    body = ['<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0L8,4L0,8z" fill="#777"/></marker></defs>']
    for line in lay.edges:
        points = " ".join(f"{fmt(x + MARGIN)},{fmt(y + MARGIN)}" for x, y in line)
        body.append(f'<polyline class="edge" points="{points}" marker-end="url(#arrow)"/>')
    for node, (x, y), (w, h) in zip(graph.nodes, lay.positions, lay.sizes):
        body.append(_node_svg(node, x + MARGIN, y + MARGIN, w, h))
    title = f"{result.name}: {len(graph.nodes)} boxes" + (f" at depth {graph.depth}" if graph.depth else "")
    return document(lay.width + 2 * MARGIN, lay.height + 2 * MARGIN, title, body, CSS), graph


def render_svg(result: Result, style: str | None = None, depth: int | None = None) -> str:
    """The diagram of ``result`` as SVG text (``style``: 'volumes', 'graph' or None for automatic)."""
    return diagram(result, style, depth).svg


def diagram(result: Result, style: str | None = None, depth: int | None = None) -> Diagram:
    """The diagram of ``result`` as an object Jupyter displays (``_repr_svg_``); ``.svg`` is the text."""
    chosen = pick_style(result, style)
    if chosen == "volumes":
        from .volumes import volumes_svg

        return Diagram(volumes_svg(result), chosen)
    svg, graph = graph_svg(result, depth)
    return Diagram(svg, chosen, graph.depth)


def render_svg_format(result: Result, columns: str | list[str] | None = None) -> str:
    """The registry's ``svg`` format (columns do not apply)."""
    return render_svg(result)
