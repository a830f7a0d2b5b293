"""The diagram (volumes and graph styles), the layered layout, and the cost charts.

Overlap checks use the layout's own coordinates and the same text metrics the SVG is drawn with (a
monospace font of known advance); the browser tests measure the same thing in Chromium.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

import cnncalc as cc
from article_net import article_network
from cnncalc import zoo
from cnncalc.render import volumes
from cnncalc.render.charts import MAX_BARS, render_charts
from cnncalc.render.diagram import Diagram, graph_layout, label_boxes, render_svg
from cnncalc.render.graph import Graph, build_graph, is_chain, leaves, shape_label
from cnncalc.render.layout import _pack, layout
from cnncalc.render.registry import render

SVG = "{http://www.w3.org/2000/svg}"
Box = tuple[float, float, float, float]


def overlapping(boxes: list[Box]) -> list[tuple[Box, Box]]:
    """Pairs of boxes whose interiors intersect (sweep over x)."""
    out = []
    ordered = sorted(boxes)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b[0] >= a[2]:
                break
            if a[1] < b[3] and b[1] < a[3]:
                out.append((a, b))
    return out


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


@pytest.fixture(scope="module")
def article() -> cc.Result:
    return cc.analyze(article_network())


def test_article_is_drawn_as_volumes_with_its_shapes(article: cc.Result) -> None:
    d = article.diagram()
    assert isinstance(d, Diagram) and d.style == "volumes" and d._repr_svg_() == d.svg
    root = ET.fromstring(d.svg)  # parses as XML
    assert root.tag == f"{SVG}svg"
    labels = texts(d.svg)
    for row in article.rows:
        assert shape_label(row.output_shape) in labels
        assert row.name in labels
    assert "28×28×8" in labels and "608 params" in labels and "48.1K params" in labels
    assert len([g for g in root.iter(f"{SVG}g") if "volume" in g.get("class", "")]) == len(article.rows)
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "kernel"]) == 4  # 2 convs, 2 pools


def test_volume_sizes_are_compressed_and_clamped() -> None:
    assert volumes.volume_size(224) == 117 and volumes.volume_size(1) == 8
    assert volumes.volume_size(10**9) == 120  # clamped
    assert volumes.volume_size(28) < volumes.volume_size(56) < volumes.volume_size(224)


@pytest.mark.parametrize("name", ["article", "vgg16", "lenet5-modern", "alexnet"])
def test_volume_labels_never_overlap(name: str) -> None:
    boxes = volumes.place(cc.analyze(zoo.load(name)))
    assert not overlapping(volumes.label_boxes(boxes))
    assert len(boxes) == len(leaves(cc.analyze(zoo.load(name))))


@pytest.mark.parametrize("name", ["inception_v3", "densenet121", "unet", "resnet50", "googlenet"])
@pytest.mark.parametrize("depth", [None, 1, 0])
def test_graph_boxes_and_labels_never_overlap(name: str, depth: int | None) -> None:
    result = cc.analyze(zoo.load(name))
    graph = build_graph(result, depth or None, auto=depth is None)
    lay = graph_layout(graph)
    boxes = [(x, y, x + w, y + h) for (x, y), (w, h) in zip(lay.positions, lay.sizes)]
    assert not overlapping(boxes)
    labels = label_boxes(graph, lay)
    assert not overlapping(labels)
    owners = [box for box in boxes for _ in range(3)]  # three lines per box
    for (x0, y0, x1, y1), (px, py, qx, qy) in zip(labels, owners):
        # each label lies inside its own box (the drawing adds a margin of 12 all round)
        assert px + 12 <= x0 and x1 <= qx + 12 and py + 12 <= y0 and y1 <= qy + 12


def test_graph_edges_follow_inputs_and_point_down() -> None:
    result = cc.analyze(zoo.load("unet"))
    graph = build_graph(result, None, auto=False)
    assert len(graph.nodes) == len(leaves(result))
    index = {n.key: i for i, n in enumerate(graph.nodes)}
    expected = {(index[i], index[r.name]) for r in result.rows for i in r.inputs}
    assert set(graph.edges) == expected
    lay = graph_layout(graph)
    for line in lay.edges:
        ys = [y for _, y in line]
        assert ys == sorted(ys)  # top-down
    assert lay.crossings == 0


def test_blocks_collapse_by_depth() -> None:
    result = cc.analyze(zoo.load("resnet50"))
    graph = build_graph(result, 1)
    assert len(graph.nodes) < 30 and "layer1.0" in {n.key for n in graph.nodes}
    block = next(n for n in graph.nodes if n.key == "layer1.0")
    assert block.params == sum(r.params for r in result.rows if r.name.startswith("layer1.0."))
    assert block.kind.startswith("block of")
    svg = render_svg(result, "graph", 1)
    assert "layer1.0" in texts(svg) and len(ET.fromstring(svg).findall(f".//{SVG}polyline")) == len(graph.edges)


def test_auto_style_and_format() -> None:
    assert is_chain(cc.analyze(zoo.load("vgg16")))
    assert not is_chain(cc.analyze(zoo.load("resnet18")))
    assert cc.analyze(zoo.load("resnet18")).diagram().style == "graph"
    assert cc.analyze(zoo.load("vgg16")).diagram(style="graph").style == "graph"
    with pytest.raises(cc.ArgumentError, match="unknown diagram style 'boxes'"):
        cc.analyze(zoo.load("vgg16")).diagram(style="boxes")
    assert render(cc.analyze(zoo.load("unet")), "svg").startswith("<svg")


def test_pytorch_like_rows_without_inputs_follow_sequence_order() -> None:
    """Rows with empty inputs (PyTorch's) are joined in the order they ran; containers are skipped."""
    import dataclasses

    result = cc.analyze(zoo.load("resnet18"))
    rows = tuple(dataclasses.replace(r, inputs=()) for r in result.rows)
    bare = dataclasses.replace(result, rows=rows)
    graph = build_graph(bare, None, auto=False)
    assert graph.edges == tuple((i, i + 1) for i in range(len(rows) - 1))


def test_layout_packs_without_overlap_and_counts_crossings() -> None:
    assert _pack([0.0, 0.0, 0.0], [10.0, 10.0, 10.0], 5.0) == [-15.0, 0.0, 15.0]
    crossed = layout([(10, 10)] * 4, [(0, 3), (1, 2)])
    assert crossed.crossings == 0 and crossed.layers == 2
    assert layout([], []).width == 0


def test_labels_and_names_are_escaped_in_svg() -> None:
    g = cc.Graph()
    g.add("x", cc.layers.Input((4,)))
    g.add("<b>\x1b]0;t\x07", cc.layers.Dense(2), "x")
    svg = render_svg(cc.analyze(g.build()), "graph")
    ET.fromstring(svg)
    assert "\x1b" not in svg and "\x07" not in svg and "<b>" not in svg and "&lt;b&gt;" in svg


def test_charts_have_a_bar_per_layer_and_cumulative_lines(article: cc.Result) -> None:
    svg = render_charts(article)
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if "bar" in r.get("class", "")]
    assert len(bars) == 3 * len(article.rows)
    assert len([p for p in root.iter(f"{SVG}polyline") if p.get("class") == "cum"]) == 3
    titles = [t.text or "" for r in bars for t in r.iter(f"{SVG}title")]
    assert "FC3: 48,120" in titles  # the parameter bar of FC3
    last = next(p for p in root.iter(f"{SVG}polyline") if p.get("class") == "cum").get("points", "").split()[-1]
    assert float(last.split(",")[1]) == pytest.approx(26 + 130 - 130)  # the running total ends at 100 %


def test_charts_group_many_layers() -> None:
    text = "\n".join(["input 8x8x4"] + [f"r{i}: relu" for i in range(1000)])
    svg = render_charts(cc.analyze(cc.parse(text)))
    bars = [r for r in ET.fromstring(svg).iter(f"{SVG}rect") if "bar" in r.get("class", "")]
    assert len(bars) <= 3 * MAX_BARS and "in 334 groups" in svg


def test_core_import_needs_no_diagram_dependency() -> None:
    import subprocess
    import sys

    code = "import sys, cnncalc; cnncalc.analyze; print(sorted(m for m in ('grandalf','graphviz') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_zoo_network_draws(tmp_path: object) -> None:
    for name in zoo.names():
        svg = render_svg(cc.analyze(zoo.load(name)))
        ET.fromstring(svg)


def test_volume_boxes_pairwise(article: cc.Result) -> None:
    boxes = volumes.place(article)
    for a, b in itertools.pairwise(boxes):
        assert a.x + a.w + a.d * volumes.SLANT[0] <= b.x  # boxes never touch


def test_blocks_collapsed_by_depth_are_drawn_as_boxes_with_their_edges() -> None:
    """`cnncalc zoo:resnet18 --depth 1 --format svg`: each residual block is one box, joined in order."""
    from cnncalc.render.graph import build_graph
    from cnncalc.sources import Request, analyze_source

    graph = build_graph(analyze_source("zoo:resnet18", Request(depth=1)), auto=False)
    keys = [n.key for n in graph.nodes]
    blocks = [f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
    assert keys == ["input_1", "conv1", "bn1", "relu", "maxpool", *blocks, "avgpool", "fc"]
    at = {k: i for i, k in enumerate(keys)}
    chain = ["maxpool", *blocks, "avgpool"]
    assert all((at[a], at[b]) in graph.edges for a, b in itertools.pairwise(chain))


def boxes_of(graph: Graph) -> list[tuple[str, str, str, int, int, bool]]:
    return [(n.key, n.kind, n.shape, n.params, len(n.rows), n.unmodelled) for n in graph.nodes]


@pytest.mark.parametrize(("name", "depth"), [("inception_v3", 1), ("inception_v3", 2), ("mobilenet_v2", 1),
                                             ("efficientnet_b0", 1), ("googlenet", 2), ("resnet18", 1)])
def test_graph_at_a_depth_is_the_core_s_collapsed_rows(name: str, depth: int) -> None:
    """The boxes at depth d are the rows `--depth d` shows (cnncalc.analysis.depth.limit_depth), each row in one
    box: the diagram of a collapsed result and `diagram(depth=d)` of the full one are the same picture."""
    full = cc.analyze(zoo.load(name))
    collapsed = cc.analyze(zoo.load(name), depth=depth)
    graph = build_graph(full, depth)
    assert [n.key for n in graph.nodes] == [r.name for r in leaves(collapsed)]
    again = build_graph(collapsed, auto=False)
    assert boxes_of(again) == boxes_of(graph) and again.edges == graph.edges
    assert sum(n.params for n in graph.nodes) == full.totals.params  # no row lost, none counted twice
    assert sum(len(n.rows) for n in graph.nodes) == len(full.rows)


def test_graph_of_pytorch_modules_called_twice_or_never() -> None:
    """PyTorch rows come in tree order: a module called twice is two boxes at depth 1 (each with its own rows),
    its container is not drawn beside its children at full depth; a module never called is one box at depth 1
    (its container row, from the adapter), with its rows."""
    torch = pytest.importorskip("torch")
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.bn = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.bn(self.conv(x)))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem, self.block = nn.Conv2d(3, 8, 3, padding=1), Block()
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 4 * 4, 10))
            self.aux = nn.Sequential(nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8)), nn.Linear(8, 2))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.block(self.block(self.stem(x))))

    size = (1, 3, 4, 4)
    full = cc.from_torch(Net(), size)
    flat = build_graph(full, auto=False)
    assert [n.key for n in flat.nodes] == [r.name for r in full.rows if not r.is_container]  # no "block#2" box
    for depth in (1, 2):
        graph = build_graph(full, depth)
        assert sum(n.params for n in graph.nodes) == full.totals.params
        again = build_graph(cc.from_torch(Net(), size, depth=depth), auto=False)
        assert boxes_of(again) == boxes_of(graph) and again.edges == graph.edges
    graph = build_graph(full, 1)
    keys = [n.key for n in graph.nodes]
    assert keys == ["input", "stem", "block", "block#2", "head", "aux"]
    assert [len(n.rows) for n in graph.nodes[2:6]] == [3, 3, 2, 3]
    assert graph.nodes[5].params == (8 * 8 + 8) + 16 + (8 * 2 + 2) and full["aux"].is_container
    at = {k: i for i, k in enumerate(keys)}
    assert {(at["stem"], at["block"]), (at["block"], at["block#2"]), (at["block#2"], at["head"])} <= set(graph.edges)
