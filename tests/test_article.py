"""The article's table, reproduced exactly through the Python API.

Oracles: the table printed in the article itself (read from the seed article, tests/data) and, where
PyTorch is installed, the same network built from torch.nn modules.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cnncalc as cc
from article_net import article_network

SEED = Path(__file__).resolve().parent / "data" / "cnn-parameters-article.txt"
ROW = re.compile(r"^(\d)\.\t(.+?)\t(\(.*?\))\t(\d+)\t(\d+)$")


def article_rows() -> list[tuple[str, str, int, int]]:
    """(layer, shape, size, params) of the first table in the article's text."""
    rows = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            rows.append((m.group(2), m.group(3), int(m.group(4)), int(m.group(5))))
    return rows[:8]


@pytest.fixture(scope="module")
def result() -> cc.Result:
    return cc.analyze(article_network())


def test_seed_table_is_read() -> None:
    assert [r[0] for r in article_rows()][:2] == ["Input Layer:", "CONV1 (f=5, s=1)"]
    assert len(article_rows()) == 8


def test_shapes_in_the_articles_notation(result: cc.Result) -> None:
    assert [r.output_shape.article() for r in result.rows] == [r[1] for r in article_rows()]


def test_activation_sizes(result: cc.Result) -> None:
    assert [r.activations.value for r in result.rows] == [r[2] for r in article_rows()]


def test_parameters(result: cc.Result) -> None:
    assert [r.params for r in result.rows] == [r[3] for r in article_rows()]
    # The article's rows sum to 62,958 (the 62,006 is an arithmetic slip).
    assert result.totals.params == sum(r[3] for r in article_rows()) == 62_958


def test_each_parameter_count_with_its_formula(result: cc.Result) -> None:
    explained = {r.name: r.params_quantity.explain() for r in result.rows}
    assert explained["CONV1"] == "((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608"
    assert explained["CONV2"] == "((f·f·d) + 1)·k = ((5·5·8) + 1)·16 = 3216"
    assert explained["FC3"] == "(p·c) + c = (400·120) + 120 = 48120"
    assert explained["FC4"] == "(p·c) + c = (120·84) + 84 = 10164"
    assert explained["Softmax"] == "(p·c) + c = (84·10) + 10 = 850"
    assert explained["POOL1"] == "0"


def test_the_implied_flatten_is_said(result: cc.Result) -> None:
    assert "flattened to 400 features first (implied" in " ".join(result["FC3"].notes)
    assert "H·W·C = 5·5·16 = 400" in result.explain("FC3")


def test_explicit_flatten_gives_the_same_numbers_and_says_so() -> None:
    net = article_network()
    nodes = list(net.nodes)
    fc3 = nodes[5]
    nodes[5] = cc.Node(fc3.name, cc.layers.Dense(120, flatten=True), fc3.inputs)
    res = cc.analyze(cc.Network(tuple(nodes)))
    assert res.totals.params == 62_958
    assert "flatten=true" in " ".join(res["FC3"].notes)


def test_against_torch_modules() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(3, 8, 5), nn.MaxPool2d(2, 2), nn.Conv2d(8, 16, 5), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10), nn.Softmax(dim=1),
    )
    res = cc.analyze(article_network())
    torch_params = [sum(p.numel() for p in m.parameters()) for m in model if not isinstance(m, (nn.Flatten,
                                                                                                nn.Softmax))]
    assert [r.params for r in res.rows[1:]] == torch_params
    x = torch.zeros(1, 3, 32, 32)
    sizes = []
    for m in model:
        x = m(x)
        sizes.append(x.numel())
    assert [r.activations.value for r in res.rows[1:]] == [s for i, s in enumerate(sizes) if i != 4][:7]


def test_prints_as_a_table_and_as_html(result: cc.Result) -> None:
    text = str(result)
    assert "CONV1" in text and "608" in text and "62,958" in text and "layout HWC" in text
    html = result._repr_html_()
    assert html.startswith('<div class="cnncalc">') and "<td" in html and "48,120" in html


def test_converts_to_plain_dicts(result: cc.Result) -> None:
    data = result.to_dict()
    assert data["totals"]["params"] == 62_958
    assert data["layers"][1]["output_shape"] == [28, 28, 8]
    assert data["layers"][1]["formulas"]["params"].endswith("= 608")
    assert data["conventions"]["layout"] == "hwc"
