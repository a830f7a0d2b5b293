"""The network as a graph of boxes for the diagram: rows grouped into blocks by depth, edges between them.

Text-format rows name the block instances they sit in (``Row.blocks``, outermost first); PyTorch rows carry
dotted module paths (``layer1.0.conv1``). At depth ``d`` a row belongs to its ``d``-th block (or the first
``d`` parts of its dotted name); rows of one group become one box. Edges come from ``Row.inputs``; a row
without inputs (PyTorch's functional rows) is joined to the row before it, in the order the forward ran.
Container rows are skipped where their children are drawn; a container collapsed by ``--depth`` is one box, and
an input that names a row hidden inside it is drawn from its box.

>>> from cnncalc import analyze, parse
>>> g = build_graph(analyze(parse("input 8x8x3\\nc: conv 4 f=3\\nd: dense 2")))
>>> [(n.key, n.kind, n.shape) for n in g.nodes], g.edges
([('input_1', 'input', '8×8×3'), ('c', 'conv', '6×6×4'), ('d', 'dense', '2')], ((0, 1), (1, 2)))
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..analysis import Result, Row
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
    names = [r.name for r in result.rows]
    shown = {r.name for r in result.rows if r.is_container and not _has_children(r, names)}
    return [r for r in result.rows if not r.is_container or r.name in shown]


def _has_children(container: Row, names: list[str]) -> bool:
    prefix = container.name + "."
    return any(n.startswith(prefix) for n in names)


def _owner_of(name: str, owner: dict[str, str]) -> str | None:
    """The box of a row, or of the collapsed container that hides it (its name is a prefix of the row's)."""
    while name not in owner and "." in name:
        name = name.rsplit(".", 1)[0]
    return owner.get(name)


def _uses_blocks(rows: list[Row]) -> bool:
    return any(getattr(r, "blocks", ()) for r in rows)


def group_key(row: Row, depth: int | None, blocks: bool) -> str:
    """The box a row is drawn in at ``depth`` (None: every row its own box)."""
    if depth is None:
        return row.name
    if blocks:
        owned = getattr(row, "blocks", ())
        return owned[depth - 1] if len(owned) >= depth else row.name
    parts = row.name.split(".")
    return ".".join(parts[:depth]) if len(parts) > depth else row.name


def max_depth(rows: list[Row]) -> int:
    """How deep the nesting goes (1 for a flat network)."""
    if _uses_blocks(rows):
        return max(len(getattr(r, "blocks", ())) for r in rows) + 1
    return max((r.name.count(".") + 1 for r in rows), default=1)


def auto_depth(rows: list[Row], limit: int = MAX_BOXES) -> int | None:
    """The deepest depth whose boxes number at most ``limit`` (None: all rows fit, nothing collapses)."""
    if len(rows) <= limit:
        return None
    blocks = _uses_blocks(rows)
    for depth in range(max_depth(rows) - 1, 0, -1):
        if len({group_key(r, depth, blocks) for r in rows}) <= limit:
            return depth
    return 1


def build_graph(result: Result, depth: int | None = None, auto: bool = True) -> Graph:
    """The boxes and edges of ``result`` at ``depth`` (None with ``auto``: the deepest that stays legible)."""
    rows = leaves(result)
    if depth is None and auto:
        depth = auto_depth(rows)
    if depth is not None and depth < 1:
        depth = 1
    blocks = _uses_blocks(rows)
    members: dict[str, list[Row]] = {}
    owner: dict[str, str] = {}
    for row in rows:
        key = group_key(row, depth, blocks)
        members.setdefault(key, []).append(row)
        owner[row.name] = key
    keys = list(members)
    index = {k: i for i, k in enumerate(keys)}
    layout = result.conventions.layout
    nodes = tuple(_node(k, members[k], layout) for k in keys)
    return Graph(nodes, _edges(rows, owner, index), depth)


def _node(key: str, rows: list[Row], layout: str) -> GraphNode:
    kind = rows[0].kind if len(rows) == 1 else f"block of {len(rows)}"
    return GraphNode(key, kind, shape_label(rows[-1].output_shape, layout), sum(r.params for r in rows), tuple(rows))


def _edges(rows: list[Row], owner: dict[str, str], index: dict[str, int]) -> tuple[tuple[int, int], ...]:
    edges: dict[tuple[int, int], None] = {}
    previous: str | None = None
    for row in rows:
        sources = [o for i in row.inputs if (o := _owner_of(i, owner)) is not None]
        if not sources and previous is not None and not isinstance(row.layer, Input):
            sources = [owner[previous]]
        target = index[owner[row.name]]
        for key in sources:
            source = index[key]
            if source < target:  # a back edge (a module called again later) cannot be drawn downwards
                edges[(source, target)] = None
        previous = row.name
    return tuple(edges)


def is_chain(result: Result) -> bool:
    """True when every drawn row takes the one before it (or nothing): the volumes style fits."""
    rows = leaves(result)
    if sum(isinstance(r.layer, Input) for r in rows) > 1:
        return False
    return all(not (row.inputs and row.inputs != (before.name,)) for before, row in itertools.pairwise(rows))
