"""A layered (Sugiyama-style) layout of a DAG, top-down, in pure Python: no dependency, deterministic.

The classic four steps (Sugiyama, Tagawa & Toda 1981; Gansner et al.'s ``dot``, 1993):

1. **Layers** by longest path from the sources: every edge points down.
2. **Dummy nodes** on every edge that spans more than one layer, so long edges get their own lanes
   and never cross a node's box.
3. **Order** within layers by barycenter sweeps (down, then up), keeping the order with fewest crossings.
4. **Coordinates**: each layer's nodes are pulled towards their neighbours' centres, and overlaps are removed
   exactly by isotonic regression (pool-adjacent-violators) on the ordered positions, so two boxes of a
   layer are never closer than ``gap``; layers are stacked by their tallest box.

Nodes are boxes of given sizes; the result gives each box's top-left corner and each edge's polyline.
Why this and not Graphviz or grandalf: docs/diagram.md (measured on the zoo).

>>> lay = layout([(40, 20), (40, 20), (40, 20)], [(0, 1), (0, 2), (1, 2)])
>>> [round(y) for _, y in lay.positions], lay.crossings
([0, 50, 100], 0)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

#: the width of an edge's lane (a dummy node)
LANE = 8.0


@dataclass(frozen=True)
class Layout:
    """Where everything goes: top-left corner of each box, polyline of each edge, the drawing's size."""

    positions: tuple[tuple[float, float], ...]
    sizes: tuple[tuple[float, float], ...]
    edges: tuple[tuple[tuple[float, float], ...], ...]
    width: float
    height: float
    crossings: int
    layers: int


def _ranks(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Longest-path layering; edges must go from a lower to a higher index (a topological order)."""
    rank = [0] * n
    preds: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        preds[v].append(u)
    for v in range(n):
        if preds[v]:
            rank[v] = max(rank[u] for u in preds[v]) + 1
    return rank


def _split_long_edges(
    n: int, edges: Sequence[tuple[int, int]], rank: list[int]
) -> tuple[list[int], list[tuple[int, int]], list[list[int]]]:
    """Add a dummy node per layer crossed; returns ranks of all nodes, unit edges, and each edge's chain."""
    ranks = list(rank)
    unit: list[tuple[int, int]] = []
    chains: list[list[int]] = []
    for u, v in edges:
        chain = [u]
        for r in range(rank[u] + 1, rank[v]):
            ranks.append(r)
            chain.append(len(ranks) - 1)
        chain.append(v)
        unit += list(itertools.pairwise(chain))
        chains.append(chain)
    return ranks, unit, chains


def _crossings(order: list[list[int]], down: list[list[int]], pos: list[int]) -> int:
    """Edge crossings between consecutive layers, by counting inversions of target positions."""
    total = 0
    for layer in order[:-1]:
        targets = [pos[w] for v in layer for w in sorted(down[v], key=lambda w: pos[w])]
        total += _inversions(targets)
    return total


def _inversions(values: list[int]) -> int:
    """Pairs i < j with values[i] > values[j] (a Fenwick tree: O(n log n))."""
    if len(values) < 2:
        return 0
    size = max(values) + 2
    tree = [0] * (size + 1)
    count = 0
    for seen, value in enumerate(values):
        i = value + 1
        below = 0
        while i > 0:
            below += tree[i]
            i -= i & -i
        count += seen - below
        i = value + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return count


def _order(ranks: list[int], unit: list[tuple[int, int]], sweeps: int = 6) -> list[list[int]]:
    """Nodes of each layer, ordered by barycenter sweeps; the order with fewest crossings wins."""
    depth = max(ranks) + 1 if ranks else 0
    order: list[list[int]] = [[] for _ in range(depth)]
    for v, r in enumerate(ranks):  # first appearance: a DFS-like reading order of the source
        order[r].append(v)
    down: list[list[int]] = [[] for _ in ranks]
    up: list[list[int]] = [[] for _ in ranks]
    for u, v in unit:
        down[u].append(v)
        up[v].append(u)
    pos = _positions(order, len(ranks))
    best, best_cross = [list(layer) for layer in order], _crossings(order, down, pos)
    if best_cross == 0:  # nothing to improve (a chain, a tree read in order): no sweeps
        return best
    for sweep in range(sweeps):
        layers = range(1, depth) if sweep % 2 == 0 else range(depth - 2, -1, -1)
        neighbours = up if sweep % 2 == 0 else down
        for r in layers:
            order[r].sort(key=lambda v: _barycenter(v, neighbours[v], pos))
            for i, v in enumerate(order[r]):
                pos[v] = i
        cross = _crossings(order, down, pos)
        if cross < best_cross:
            best, best_cross = [list(layer) for layer in order], cross
    return best


def _positions(order: list[list[int]], n: int) -> list[int]:
    pos = [0] * n
    for layer in order:
        for i, v in enumerate(layer):
            pos[v] = i
    return pos


def _barycenter(v: int, neighbours: list[int], pos: list[int]) -> float:
    if not neighbours:
        return float(pos[v])
    return sum(pos[w] for w in neighbours) / len(neighbours)


def _pack(desired: list[float], widths: list[float], gap: float, weights: list[float] | None = None) -> list[float]:
    """Centres closest (weighted least squares) to ``desired`` that keep order and ``gap`` between boxes.

    Pool-adjacent-violators on ``x_i - offset_i``, which must be non-decreasing: exact, O(n).
    """
    offsets = [0.0]
    for a, b in itertools.pairwise(widths):
        offsets.append(offsets[-1] + (a + b) / 2 + gap)
    weights = weights or [1.0] * len(desired)
    blocks: list[tuple[float, float, int]] = []  # (mean, weight, count)
    for d, off, w in zip(desired, offsets, weights):
        blocks.append((d - off, w, 1))
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append(((m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2))
    out: list[float] = []
    for mean, _, count in blocks:
        out += [mean] * count
    return [z + off for z, off in zip(out, offsets)]


def _coordinates(order: list[list[int]], unit: list[tuple[int, int]], widths: list[float], gap: float,
                 passes: int = 8) -> list[float]:
    """Horizontal centres: start packed, then pull each layer towards its neighbours, alternating sweeps."""
    n = len(widths)
    x = [0.0] * n
    for layer in order:
        x_layer = _pack([0.0] * len(layer), [widths[v] for v in layer], gap)
        centre = (x_layer[0] + x_layer[-1]) / 2 if x_layer else 0.0
        for v, xv in zip(layer, x_layer):
            x[v] = xv - centre
    up: list[list[int]] = [[] for _ in range(n)]
    down: list[list[int]] = [[] for _ in range(n)]
    for u, v in unit:
        down[u].append(v)
        up[v].append(u)
    if all(len(layer) <= 1 for layer in order):
        return x  # one box per layer (a chain): every centre is 0 already, and pulling keeps it there
    for p in range(passes):
        forward = p % 2 == 0
        layers = order if forward else order[::-1]
        for layer in layers:
            nb = up if forward else down
            if p == passes - 1:
                desired = [_pull(up[v] + down[v], x, x[v]) for v in layer]
            else:
                desired = [_pull(nb[v], x, x[v]) for v in layer]
            for v, xv in zip(layer, _pack(desired, [widths[v] for v in layer], gap)):
                x[v] = xv
    return x


def _pull(neighbours: list[int], x: list[float], default: float) -> float:
    """Where a node wants to be: the mean of its neighbours' centres (plain means measured best on the zoo:
    weighting lanes more or less than boxes made DenseNet's drawing 9 to 20 times wider)."""
    return sum(x[w] for w in neighbours) / len(neighbours) if neighbours else default


def layout(sizes: Sequence[tuple[float, float]], edges: Sequence[tuple[int, int]], gap: float = 16.0,
           layer_gap: float = 30.0) -> Layout:
    """Lay out boxes of ``sizes`` (width, height) joined by ``edges`` (u < v: a topological numbering)."""
    n = len(sizes)
    edges = [(u, v) for u, v in edges if u < v]
    rank = _ranks(n, edges)
    ranks, unit, chains = _split_long_edges(n, edges, rank)
    widths = [w for w, _ in sizes] + [LANE] * (len(ranks) - n)
    order = _order(ranks, unit)
    x = _coordinates(order, unit, widths, gap)
    heights = [max((sizes[v][1] for v in layer if v < n), default=LANE) for layer in order]
    tops = [0.0]
    for h in heights:
        tops.append(tops[-1] + h + layer_gap)
    left = min((x[v] - widths[v] / 2 for v in range(len(ranks))), default=0.0)
    positions = tuple((x[v] - sizes[v][0] / 2 - left, tops[ranks[v]]) for v in range(n))
    bottoms = [t + h for t, h in zip(tops, heights)]
    lines = tuple(_polyline(chain, x, left, ranks, tops, bottoms, sizes) for chain in chains)
    right = max((x[v] + widths[v] / 2 - left for v in range(len(ranks))), default=0.0)
    down: list[list[int]] = [[] for _ in ranks]
    for u, v in unit:
        down[u].append(v)
    crossings = _crossings(order, down, _positions(order, len(ranks)))
    return Layout(positions, tuple(sizes), lines, right, tops[-1] - layer_gap if order else 0.0, crossings,
                  len(order))


def _polyline(chain: list[int], x: list[float], left: float, ranks: list[int], tops: list[float],
              bottoms: list[float], sizes: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """From the bottom centre of the source box through each lane to the top centre of the target box."""
    u, v = chain[0], chain[-1]
    points = [(x[u] - left, tops[ranks[u]] + sizes[u][1])]
    for d in chain[1:-1]:
        points += [(x[d] - left, tops[ranks[d]]), (x[d] - left, bottoms[ranks[d]])]
    points.append((x[v] - left, tops[ranks[v]]))
    return tuple(points)
