"""The lossless JSON form of a network (schema cnncalc.network/1): every registered kind, every argument.

The oracle for "lossless" is equality of the rebuilt layer objects with the originals (frozen dataclasses
compare every hyper-parameter), over layers that vary each argument of each registered kind in turn.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

import cnncalc
from cnncalc import KINDS, CnnCalcError, GraphError, Network, ParseError, build, netjson
from cnncalc.kinds import Conv, Input, Layer
from cnncalc.netjson import NetworkJSONError, from_dict, to_dict
from cnncalc.textformat import dump, load, parse

ROOT = Path(__file__).resolve().parents[1]

#: values for required arguments, so that every kind can be built
REQUIRED: dict[str, Any] = {
    "filters": 4,
    "kernel_size": 3,
    "units": 5,
    "shape": (8, 8, 3),
    "num_embeddings": 10,
    "embedding_dim": 4,
    "scale_factor": 2,
    "target": (-1, 4),
}
#: candidate values tried for each argument; the first one the kind accepts and that differs from the default
CANDIDATES: list[Any] = [
    False,
    True,
    2,
    3,
    7,
    (2, 3),
    (1, 2, 3),
    "same",
    "max",
    "avg",
    "chw",
    "sigmoid",
    "gru",
    "rnn",
    "bilinear",
    ((0, 1), (1, 0)),
    0.25,
    (-1, 2, 4),
    (4, 4),
    0,
    None,
]


def base_args(name: str) -> dict[str, Any] | None:
    """Arguments that build the kind: none, the usual required ones, or one candidate for one field."""
    entry = KINDS[name]
    tries: list[dict[str, Any]] = [{}]
    tries.append({p: REQUIRED[p] for p in entry.cls.positional if p in REQUIRED and p not in entry.preset})
    tries += [{f.name: v} for f in fields(entry.cls) if f.name not in entry.preset for v in CANDIDATES]
    for args in tries:
        try:
            build(name, args)
        except CnnCalcError:
            continue
        return args
    return None


def variants(name: str) -> tuple[list[Layer], list[str]]:
    """One layer per argument of the kind, with that argument changed; and the arguments no candidate fits."""
    entry = KINDS[name]
    base = base_args(name)
    if base is None:
        return [], [f"{name}.*"]
    default = build(name, base)
    out, missed = [default], []
    for f in fields(entry.cls):
        if f.name in entry.preset:
            continue
        for value in CANDIDATES:
            try:
                layer = build(name, {**base, f.name: value})
            except CnnCalcError:
                continue
            if getattr(layer, f.name) != getattr(default, f.name):
                out.append(layer)
                break
        else:
            missed.append(f"{name}.{f.name}")
    return out, missed


@lru_cache(maxsize=1)
def _samples() -> tuple[tuple[Layer, ...], tuple[str, ...]]:
    layers: list[Layer] = []
    missed: list[str] = []
    for name in KINDS:
        got, lost = variants(name)
        layers += got
        missed += lost
    return tuple(layers), tuple(missed)


def sample_layers() -> list[Layer]:
    """Layers of every registered kind, each argument varied in turn (used by the text format's tests too)."""
    return list(_samples()[0])


def one_layer_network(layer: Layer) -> Network:
    g = cnncalc.Graph()
    if isinstance(layer, Input):
        g.add("x", layer)
        return g.build("one")
    g.add("x", Input((8, 8, 3)))
    g.add("layer", layer, *(["x"] * layer.arity[0]))
    return g.build("one")


def test_the_samples_vary_nearly_every_argument() -> None:
    layers, missed = _samples()
    total = sum(len([f for f in fields(e.cls) if f.name not in e.preset]) for e in KINDS.values())
    assert len(layers) > len(KINDS)
    assert len(missed) <= total // 10, missed


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_registered_kind_round_trips_through_json_and_text(name: str) -> None:
    layers = variants(name)[0]
    assert layers, f"no sample arguments build '{name}': add some to REQUIRED"
    for layer in layers:
        net = one_layer_network(layer)
        assert from_dict(to_dict(net)) == net
        assert netjson.loads(netjson.dumps(net)) == net
        assert from_dict(json.loads(json.dumps(to_dict(net)))) == net
        again = parse(dump(net))
        assert [(n.name, n.layer, n.inputs) for n in again.nodes] == [(n.name, n.layer, n.inputs) for n in net.nodes]


def test_the_article_as_documented() -> None:
    """The article's JSON, as docs/network-schema.md shows it (the schema's own example is the oracle)."""
    net = load(str(ROOT / "examples" / "article.cnn"))
    doc = (ROOT / "docs" / "network-schema.md").read_text()
    example = json.loads(re.search(r"<!-- article -->\n```json\n(.*?)```", doc, re.S).group(1))  # type: ignore[union-attr]
    got = to_dict(net)
    for node in got["nodes"]:
        node["source"]["file"] = "examples/article.cnn"
    assert got == example
    back = from_dict(example)
    assert [(n.name, n.layer, n.inputs) for n in back.nodes] == [(n.name, n.layer, n.inputs) for n in net.nodes]
    assert back.nodes[1].source == cnncalc.Source("examples/article.cnn", 4, 1)


def test_sources_survive() -> None:
    net = parse("input 4x4x1\n  \nc: conv 2 3\n", "a.cnn")
    back = netjson.loads(netjson.dumps(net))
    assert back["c"].source == cnncalc.Source("a.cnn", 3, 1)
    assert back == net


def test_schema_document_lists_the_keys_the_reader_accepts() -> None:
    doc = (ROOT / "docs" / "network-schema.md").read_text()
    schema = json.loads(re.search(r"<!-- schema -->\n```json\n(.*?)```", doc, re.S).group(1))  # type: ignore[union-attr]
    assert schema["properties"]["schema"]["const"] == netjson.SCHEMA == "cnncalc.network/1"
    node = schema["$defs"]["node"]
    assert set(schema["properties"]) == {"schema", "name", "nodes"}
    assert set(node["properties"]) == {"name", "kind", "args", "inputs", "source"}
    assert node["properties"]["kind"]["type"] == "string"
    assert set(node["properties"]["source"]["properties"]) == {"file", "line", "column"}


def _article() -> dict[str, Any]:
    return to_dict(Network.chain(("x", Input((32, 32, 3))), ("c", Conv(8, 5))))


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        (lambda d: d.update(nodse=[]), NetworkJSONError, r"^\$: unknown key 'nodse'\n  hint: did you mean 'nodes'\?"),
        (lambda d: d.pop("schema"), NetworkJSONError, r"^\$: missing key 'schema'"),
        (
            lambda d: d.update(schema="cnncalc.network/2"),
            NetworkJSONError,
            r"^\$\.schema: unsupported schema \"cnncalc.network/2\"\n  hint: .*cnncalc.network/1",
        ),
        (
            lambda d: d["nodes"][1].update(knd="conv"),
            NetworkJSONError,
            r"^\$\.nodes\[1\]: unknown key 'knd'.*did you mean 'kind'",
        ),
        (
            lambda d: d["nodes"][1]["args"].update(strid=2),
            NetworkJSONError,
            r"^\$\.nodes\[1\]\.args: layer 'c': 'conv' has no argument 'strid'\n  hint: did you mean 'stride'",
        ),
        (
            lambda d: d["nodes"][1].update(kind="cnv"),
            NetworkJSONError,
            r"unknown layer kind 'cnv'.*did you mean 'conv'",
        ),
        (lambda d: d["nodes"][1]["args"].update(filters=0), NetworkJSONError, r"filters must be ≥ 1, got 0"),
        (lambda d: d["nodes"][1].update(name=3), NetworkJSONError, r"^\$\.nodes\[1\]\.name: name must be str, got 3"),
        (lambda d: d["nodes"][1].update(inputs="x"), NetworkJSONError, r"inputs must be list"),
        (lambda d: d["nodes"][1].update(inputs=["y"]), GraphError, r"takes input 'y', which is not defined"),
        (
            lambda d: d["nodes"][1].update(source={"file": "f", "line": 0, "column": 1}),
            NetworkJSONError,
            r"line and column start at 1",
        ),
        (lambda d: d.update(nodes={}), NetworkJSONError, r"nodes must be list"),
    ],
)
def test_bad_documents_are_rejected_clearly(change: Any, error: type[Exception], pattern: str) -> None:
    d = _article()
    change(d)
    with pytest.raises(error, match="(?s)" + pattern):
        from_dict(d)


def test_json_syntax_errors_are_located() -> None:
    with pytest.raises(ParseError, match=r"net.json:2:12: not valid JSON") as info:
        netjson.loads('{"schema":\n "x", "a": ,}', "net.json")
    assert (info.value.line, info.value.column) == (2, 12)


def test_not_an_object() -> None:
    with pytest.raises(NetworkJSONError, match=r"^\$: expected an object, got list"):
        netjson.loads("[]")


def test_a_layer_of_no_registered_kind_is_unsupported() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Odd(Layer):
        kind = "odd"

    net = Network.chain(("x", Input((4,))), ("o", Odd()))
    with pytest.raises(cnncalc.UnsupportedError, match="a Odd layer \\(odd\\) is not a registered kind"):
        to_dict(net)
    with pytest.raises(cnncalc.UnsupportedError, match="not a registered kind"):
        dump(net)
