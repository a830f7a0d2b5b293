"""The network as a graph of boxes for the diagram: the rows the core shows at a depth, edges between them.

At depth ``d`` the boxes are the rows :func:`cnncalc.analysis.depth.limit_depth` keeps, as ``--depth d`` shows
them in the table: a text-format block (``Row.blocks``) or a PyTorch module (a container row) nested ``d`` deep
is one box; a container row is skipped where its children are drawn. A box stands for the rows it hides (their
count, parameters and flags). Edges come from those rows' ``Row.inputs``, an input hidden in a box drawn from
that box; a row without inputs (PyTorch's functional rows) is joined to the row before it, in the order the
forward ran.

>>> from cnncalc import analyze, parse
>>> g = build_graph(analyze(parse("input 8x8x3\\nc: conv 4 f=3\\nd: dense 2")))
>>> [(n.key, n.kind, n.shape) for n in g.nodes], g.edges
([('input_1', 'input', '8×8×3'), ('c', 'conv', '6×6×4'), ('d', 'dense', '2')], ((0, 1), (1, 2)))
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis import Result, Row
from ..analysis.depth import limit_depth
from ..kinds.structural import Input
from ..shape import Shape

#: the automatic depth is the deepest one that keeps at most this many boxes
MAX_BOXES = 160


@dataclass(frozen=True)
class GraphNode:
    """One box: a row, or a block of rows collapsed."""

    key: str
    kind: str
    shape: str
    params: int
    rows: tuple[Row, ...]

    @property
    def unmodelled(self) -> bool:
        return any(r.unmodelled for r in self.rows)

    @property
    def warned(self) -> bool:
        return any(r.warnings for r in self.rows)


@dataclass(frozen=True)
class Graph:
    """Boxes in first-appearance order (a topological order) and edges (u, v) with u < v."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[int, int], ...]
    depth: int | None


def shape_label(shape: Shape, layout: str = "hwc") -> str:
    """(28, 28, 8) → '28×28×8'; a vector (120,) → '120'."""
    return "×".join(str(d) for d in shape.ordered(layout)) or "()"


def leaves(result: Result) -> list[Row]:
    """The rows that are drawn: every row but containers whose children are shown (they stand for them); a
    container collapsed by ``--depth`` (its children hidden) is drawn as one box."""
    return drawn(result.rows)


def drawn(rows: Sequence[Row]) -> list[Row]:
    """``rows`` less the containers whose children follow them (rows come in tree order: a container, then
    the rows nested in it, one level deeper)."""
    after = [*rows[1:], None]
    return [r for r, nxt in zip(rows, after) if not (r.is_container and nxt is not None and nxt.depth > r.depth)]


def max_depth(rows: Sequence[Row]) -> int:
    """How deep the nesting goes (1 for a flat network)."""
    return max((r.depth for r in rows), default=0) + 1


def auto_depth(result: Result, limit: int = MAX_BOXES, seen: dict[int, list[Row]] | None = None) -> int | None:
    """The deepest depth whose boxes number at most ``limit`` (None: all rows fit, nothing collapses)."""
    if len(leaves(result)) <= limit:
        return None
    every = result.all_rows or result.rows
    seen = {} if seen is None else seen
    for depth in range(max_depth(every) - 1, 0, -1):
        if len({key for _, key in _units(every, _shown_at(every, depth, seen))}) <= limit:
            return depth
    return 1


def _shown_at(every: Sequence[Row], depth: int, seen: dict[int, list[Row]]) -> list[Row]:
    """The rows drawn at ``depth`` (``seen``: those already collapsed at a depth, by depth)."""
    if depth not in seen:
        seen[depth] = drawn(limit_depth(tuple(every), depth))
    return seen[depth]


def build_graph(result: Result, depth: int | None = None, auto: bool = True) -> Graph:
    """The boxes and edges of ``result`` at ``depth`` (None with ``auto``: the deepest that stays legible)."""
    seen: dict[int, list[Row]] = {}  # the rows at each depth tried, collapsed once
    if depth is None and auto:
        depth = auto_depth(result, seen=seen)
    if depth is not None and depth < 1:
        depth = 1
    every = result.all_rows or result.rows
    shown = drawn(result.rows) if depth is None else _shown_at(every, depth, seen)
    units = _units(every, shown)
    boxes = {b.name: b for b in shown} | {row.name: row for row, key in units if key == row.name}
    members: dict[str, list[Row]] = {}
    for row, key in units:
        members.setdefault(key, []).append(row)
    keys = [*members, *(k for k in boxes if k not in members)]  # first-appearance order
    layout = result.conventions.layout
    nodes = tuple(_node(boxes[k], members.get(k, []), layout) for k in keys)
    return Graph(nodes, _edges(units, {k: i for i, k in enumerate(keys)}), depth)


def _units(every: Sequence[Row], shown: Sequence[Row]) -> list[tuple[Row, str]]:
    """Each row of ``every`` that a box stands for, with its box's name: a row shown, or a row hidden in a
    collapsed block (one of its ``blocks``) or module (a container around it); a box's own container row only
    where no row under it is one. A row hidden where no container is shown (a module forward() never called,
    whose ancestors have no row) is its own box, so that no row is lost."""
    keys = {r.name for r in shown}
    units: list[tuple[Row, str]] = []
    around: list[Row] = []  # the containers the row is nested in, outermost first
    for row in every:
        while around and around[-1].depth >= row.depth:
            around.pop()
        key = row.name if row.name in keys else next(
            (k for k in (*row.blocks, *(c.name for c in around if _inside(row, c))) if k in keys), None)
        if row.is_container:
            around.append(row)
            if key == row.name:
                units.append((row, key))
        else:
            units.append((row, key or row.name))
    filled = {key for row, key in units if not row.is_container}
    return [(row, key) for row, key in units if not row.is_container or key not in filled]


def _inside(row: Row, container: Row) -> bool:
    """Whether ``row``, after ``container`` in tree order, is one of its rows: its name extends the container's
    module path ('block#2' holds 'block.conv#2'; a module never called, listed last, is in no container)."""
    return row.name.startswith(re.sub(r"#\d+$", "", container.name) + ".")


def _node(box: Row, rows: list[Row], layout: str) -> GraphNode:
    rows = rows or [box]
    kind = rows[0].kind if len(rows) == 1 else f"block of {len(rows)}"
    return GraphNode(box.name, kind, shape_label(box.output_shape, layout), sum(r.params for r in rows), tuple(rows))


def _edges(units: list[tuple[Row, str]], index: dict[str, int]) -> tuple[tuple[int, int], ...]:
    owner = {row.name: key for row, key in units}
    edges: dict[tuple[int, int], None] = {}
    previous: str | None = None
    for row, key in units:
        sources = [owner[i] for i in row.inputs if i in owner]
        if not sources and previous is not None and not isinstance(row.layer, Input):
            sources = [previous]
        target = index[key]
        for source_key in sources:
            source = index[source_key]
            if source < target:  # a back edge (a module called again later) cannot be drawn downwards
                edges[(source, target)] = None
        previous = key
    return tuple(edges)


def is_chain(result: Result) -> bool:
    """True when every drawn row takes the one before it (or nothing): the volumes style fits."""
    rows = leaves(result)
    if sum(isinstance(r.layer, Input) for r in rows) > 1:
        return False
    return all(not (row.inputs and row.inputs != (before.name,)) for before, row in itertools.pairwise(rows))
