"""Diagram and report benchmarks (run on demand; no test is timed).

1. Layout engines compared on the zoo: cnncalc's own layered layout, grandalf (pip) and Graphviz ``dot``,
   each given the same boxes and edges. Measured: seconds (best of 3), overlapping box pairs, edge
   crossings (counted geometrically on each engine's edge polylines, so the three are comparable), and the
   drawing's size. grandalf and dot are optional: a missing one is reported, not an error.
2. ``render_svg`` of zoo:resnet50 (target < 1 s) and ``render_report`` of a 2,000-row chain (target < 3 s).

    python benchmarks/bench_diagram.py            # all
    python benchmarks/bench_diagram.py --render   # part 2 only
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import itertools

import cnncalc as cc
from cnncalc import zoo
from cnncalc.render.diagram import graph_layout, node_size, render_svg
from cnncalc.render.graph import Graph, build_graph
from cnncalc.render.report import render_report

Box = tuple[float, float, float, float]
Line = list[tuple[float, float]]
NETS = ("unet", "resnet50", "googlenet", "inception_v3", "densenet121")


def best(fn: Callable[[], object], runs: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def overlaps(boxes: list[Box]) -> int:
    count = 0
    ordered = sorted(boxes)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b[0] >= a[2]:
                break
            if a[1] < b[3] and b[1] < a[3] and a[0] < b[2]:
                count += 1
    return count


def _cross(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def crossings(lines: list[Line]) -> int:
    """Proper intersections between segments of different edges (shared end points do not count)."""
    segs = [(i, a, b) for i, line in enumerate(lines) for a, b in itertools.pairwise(line) if a != b]
    count = 0
    for k, (i, a, b) in enumerate(segs):
        for j, c, d in segs[k + 1:]:
            if i == j or len({a, b, c, d}) < 4:
                continue
            if max(a[1], b[1]) < min(c[1], d[1]) or max(c[1], d[1]) < min(a[1], b[1]):
                continue
            d1, d2, d3, d4 = _cross(c, d, a), _cross(c, d, b), _cross(a, b, c), _cross(a, b, d)
            if d1 * d2 < 0 and d3 * d4 < 0:
                count += 1
    return count


def ours(graph: Graph) -> tuple[list[Box], list[Line], float, float]:
    lay = graph_layout(graph)
    boxes = [(x, y, x + w, y + h) for (x, y), (w, h) in zip(lay.positions, lay.sizes)]
    return boxes, [list(e) for e in lay.edges], lay.width, lay.height


def with_grandalf(graph: Graph) -> tuple[list[Box], list[Line], float, float]:
    from grandalf.graphs import Edge, Vertex
    from grandalf.graphs import Graph as GGraph
    from grandalf.layouts import SugiyamaLayout

    class View:
        def __init__(self, w: float, h: float) -> None:
            self.w, self.h, self.xy = w, h, (0.0, 0.0)

    class Path:
        def __init__(self) -> None:
            self.points: Line = []

        def setpath(self, points: Line) -> None:
            self.points = [(float(x), float(y)) for x, y in points]

    vertices = [Vertex(i) for i in range(len(graph.nodes))]
    for v, node in zip(vertices, graph.nodes):
        v.view = View(*node_size(node))
    edges = [Edge(vertices[u], vertices[v]) for u, v in graph.edges]
    for e in edges:
        e.view = Path()
    g = GGraph(vertices, edges)
    for comp in g.C:
        sug = SugiyamaLayout(comp)
        sug.init_all()
        sug.draw(3)
    boxes: list[Box] = [(v.view.xy[0] - v.view.w / 2, v.view.xy[1] - v.view.h / 2, v.view.xy[0] + v.view.w / 2,
                         v.view.xy[1] + v.view.h / 2) for v in vertices]
    lines: list[Line] = [e.view.points for e in edges]
    width = max(b[2] for b in boxes) - min(b[0] for b in boxes)
    height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
    return boxes, lines, width, height


def with_dot(graph: Graph) -> tuple[list[Box], list[Line], float, float]:
    lines = ["digraph G {", "node [shape=box fixedsize=true];", "nodesep=0.22; ranksep=0.42;"]
    for i, node in enumerate(graph.nodes):
        w, h = node_size(node)
        lines.append(f"n{i} [width={w / 72:.3f} height={h / 72:.3f} label=\"\"];")
    lines += [f"n{u} -> n{v};" for u, v in graph.edges] + ["}"]
    out = subprocess.run(["dot", "-Tjson"], input="\n".join(lines), capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    boxes = []
    for obj in data.get("objects", []):
        x, y = (float(v) for v in obj["pos"].split(","))
        w, h = float(obj["width"]) * 72, float(obj["height"]) * 72
        boxes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    edges = []
    for e in data.get("edges", []):
        pts = [tuple(float(v) for v in p.split(",")[-2:]) for p in e["pos"].replace("e,", "").split()]
        edges.append([(p[0], p[1]) for p in pts])
    bb = [float(v) for v in data["bb"].split(",")]
    return boxes, edges, bb[2] - bb[0], bb[3] - bb[1]


def compare(cases: list[tuple[str, int | None]]) -> list[str]:
    """One table row per (network, depth) and engine; depth None: automatic, 0: every row a box."""
    engines: dict[str, Callable[[Graph], tuple[list[Box], list[Line], float, float]]] = {"cnncalc": ours}
    try:
        import grandalf  # noqa: F401

        engines["grandalf 0.8"] = with_grandalf
    except ImportError:
        print("grandalf not installed: skipped", file=sys.stderr)
    if shutil.which("dot"):
        engines["graphviz dot"] = with_dot
    rows = ["| network | boxes | edges | engine | seconds | overlapping boxes | edge crossings | size (px) |",
            "|---|---:|---:|---|---:|---:|---:|---|"]
    for net, depth in cases:
        graph = build_graph(cc.analyze(zoo.load(net)), depth or None, auto=depth is None)
        for name, engine in engines.items():
            seconds, (boxes, lines, w, h) = best(lambda engine=engine, graph=graph: engine(graph))  # type: ignore[misc]
            rows.append(f"| {net} (depth {graph.depth or 'full'}) | {len(graph.nodes)} | {len(graph.edges)} | {name} "
                        f"| {seconds:.3f} | {overlaps(boxes)} | {crossings(lines)} | {w:.0f}×{h:.0f} |")
            print(rows[-1], flush=True)
    return rows


def chain_text(layers: int) -> str:
    lines = ["network chain2000", "input 32x32x16"]
    for i in range(layers // 2):
        lines += [f"c{i}: conv 16 f=3 p=1", f"r{i}: relu"]
    return "\n".join(lines)


def render_times() -> list[str]:
    resnet = cc.analyze(zoo.load("resnet50"))
    s_svg, svg = best(lambda: render_svg(resnet))
    s_full, _ = best(lambda: render_svg(resnet, "graph", 2))
    big = cc.analyze(cc.parse(chain_text(1999)))
    s_html, page = best(lambda: render_report(big))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "r.html").write_text(str(page), encoding="utf-8")
        size = (Path(tmp) / "r.html").stat().st_size
    return [
        "| what | seconds (best of 3) | target | output |",
        "|---|---:|---:|---|",
        f"| `render_svg(zoo:resnet50)` (auto: depth 1, 23 boxes) | {s_svg:.3f} | < 1 | {len(str(svg)):,} chars |",
        f"| `render_svg(zoo:resnet50, 'graph', depth=2)` (175 boxes) | {s_full:.3f} | < 1 | |",
        f"| `render_report` of a {len(big.rows):,}-row chain | {s_html:.3f} | < 3 | {size / 1e6:.2f} MB |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--render", action="store_true", help="only the rendering times")
    args = parser.parse_args()
    if not args.render:
        cases: list[tuple[str, int | None]] = [(net, None) for net in NETS]
        cases += [("inception_v3", 0), ("densenet121", 0)]
        print("\n".join(compare(cases)))
        print()
    print("\n".join(render_times()))


if __name__ == "__main__":
    main()
