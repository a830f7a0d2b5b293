"""The lossless JSON form of a Network, schema ``cnncalc.network/1`` (see docs/network-schema.md).

>>> from cnncalc.kinds import Input, Conv
>>> from cnncalc.network import Network
>>> net = Network.chain(("x", Input((32, 32, 3))), ("c", Conv(8, 5, padding="same")), name="tiny")
>>> d = to_dict(net)
>>> d["nodes"][1]["kind"], d["nodes"][1]["args"]["padding"], d["nodes"][1]["inputs"]
('conv', 'same', ['x'])
>>> from_dict(d) == net and loads(dumps(net)) == net
True
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from typing import Any

from .errors import ArgumentError, CnnCalcError, GraphError, ParseError, UnsupportedError
from .kinds.base import KINDS, Layer, build, suggest
from .limits import MAX_DIGITS, MAX_JSON_DEPTH, MAX_LAYERS, MAX_SIZE_TEXT
from .network import Network, Node, Source

SCHEMA = "cnncalc.network/1"
_TOP_KEYS = ("schema", "name", "nodes")
_NODE_KEYS = ("name", "kind", "args", "inputs", "source")
_SOURCE_KEYS = ("file", "line", "column")


class NetworkJSONError(CnnCalcError):
    """A JSON network document that does not follow the schema: where (a JSON path), what, and a hint."""

    def __init__(self, message: str, *, hint: str | None = None, path: str = "$") -> None:
        self.path = path
        super().__init__(message, hint=hint)

    def _where(self) -> str:
        return f"{self.path}: "


def kind_and_args(layer: Layer, every: bool = False) -> tuple[str, dict[str, Any]]:
    """The registered kind name that rebuilds ``layer`` and the arguments to pass it.

    The most specific registered name wins (``relu`` rather than ``activation function=relu``,
    ``lstm`` for an LSTM); the arguments that name fixes are left out. ``every``: all arguments,
    defaults included; otherwise only those that differ from their default.
    """
    ranked: list[tuple[int, int, int, str]] = []
    for order, (name, entry) in enumerate(KINDS.items()):
        if entry.cls is type(layer) and all(
            getattr(layer, k) == v and type(getattr(layer, k)) is type(v) for k, v in entry.preset.items()
        ):
            ranked.append((-len(entry.preset), 0 if name == layer.kind else 1, order, name))
    if not ranked:
        raise UnsupportedError(
            f"a {type(layer).__name__} layer ({layer.label}) is not a registered kind and cannot be written",
            hint="only layers of the kinds in cnncalc.KINDS have a text and JSON form",
        )
    name = min(ranked)[3]
    preset = KINDS[name].preset
    args = {f.name: getattr(layer, f.name) for f in fields(layer)} if every else layer.arguments()
    return name, {k: v for k, v in args.items() if k not in preset}


def _plain(value: Any, path: str) -> Any:
    """A layer argument as JSON data: tuples become lists; only JSON's own scalars are allowed."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise NetworkJSONError(f"the number {value} has no JSON form", path=path)
        return value
    if isinstance(value, (tuple, list)):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise NetworkJSONError(f"a value of type {type(value).__name__} has no JSON form: {value!r}", path=path)


def _node_dict(node: Node, i: int) -> dict[str, Any]:
    kind, args = kind_and_args(node.layer, every=True)
    path = f"$.nodes[{i}].args"
    out: dict[str, Any] = {
        "name": node.name,
        "kind": kind,
        "args": {k: _plain(v, f"{path}.{k}") for k, v in args.items()},
        "inputs": list(node.inputs),
    }
    if node.source is not None:
        out["source"] = {"file": node.source.file, "line": node.source.line, "column": node.source.column}
    return out


def to_dict(network: Network) -> dict[str, Any]:
    """The network as a JSON-ready dict following schema ``cnncalc.network/1``."""
    return {"schema": SCHEMA, "name": network.name, "nodes": [_node_dict(n, i) for i, n in enumerate(network.nodes)]}


def dumps(network: Network, compact: bool = False) -> str:
    """The network as JSON text: one node per line (or all on one line with ``compact``)."""
    d = to_dict(network)
    if compact:
        return json.dumps(d, ensure_ascii=False, allow_nan=False)
    nodes = ",\n".join("    " + json.dumps(n, ensure_ascii=False, allow_nan=False) for n in d["nodes"])
    head = ",\n".join(f"  {json.dumps(k)}: {json.dumps(d[k], ensure_ascii=False)}" for k in ("schema", "name"))
    return (
        head.join(("{\n", f',\n  "nodes": [\n{nodes}\n  ]\n}}\n'))
        if nodes
        else head.join(("{\n", ',\n  "nodes": []\n}\n'))
    )


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _check_keys(d: Any, allowed: tuple[str, ...], required: tuple[str, ...], path: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise NetworkJSONError(f"expected an object, got {type(d).__name__}", path=path)
    for key in d:
        if key not in allowed:
            guess = suggest(str(key), list(allowed))
            raise NetworkJSONError(
                f"unknown key '{key}'",
                path=path,
                hint=f"did you mean '{guess}'?" if guess else "allowed keys: " + ", ".join(allowed),
            )
    for key in required:
        if key not in d:
            raise NetworkJSONError(f"missing key '{key}'", path=path)
    return d


def _typed(value: Any, kind: type, path: str, what: str) -> Any:
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise NetworkJSONError(f"{what} must be {kind.__name__}, got {json.dumps(value)[:60]}", path=path)
    return value


def _source(d: Any, path: str) -> Source:
    d = _check_keys(d, _SOURCE_KEYS, _SOURCE_KEYS, path)
    line, column = _typed(d["line"], int, f"{path}.line", "line"), _typed(d["column"], int, f"{path}.column", "column")
    if line < 1 or column < 1:
        raise NetworkJSONError(f"line and column start at 1, got {line}:{column}", path=path)
    return Source(_typed(d["file"], str, f"{path}.file", "file"), line, column)


def _node(d: Any, i: int) -> Node:
    path = f"$.nodes[{i}]"
    d = _check_keys(d, _NODE_KEYS, ("name", "kind"), path)
    name = _typed(d["name"], str, f"{path}.name", "name")
    kind = _typed(d["kind"], str, f"{path}.kind", "kind")
    args = _typed(d.get("args", {}), dict, f"{path}.args", "args")
    inputs = _typed(d.get("inputs", []), list, f"{path}.inputs", "inputs")
    for j, ref in enumerate(inputs):
        _typed(ref, str, f"{path}.inputs[{j}]", "an input")
    try:
        layer = build(kind, {k: _tuples(v) for k, v in args.items()})
    except ArgumentError as exc:
        raise NetworkJSONError(f"layer '{name}': {exc.message}", hint=exc.hint, path=f"{path}.args") from None
    source = _source(d["source"], f"{path}.source") if "source" in d else None
    return Node(name, layer, tuple(inputs), source)


def from_dict(d: Any) -> Network:
    """The network a ``cnncalc.network/1`` dict describes; unknown keys and versions are rejected."""
    d = _check_keys(d, _TOP_KEYS, ("schema", "nodes"), "$")
    if d["schema"] != SCHEMA:
        raise NetworkJSONError(
            f"unsupported schema {json.dumps(d['schema'])[:60]}",
            path="$.schema",
            hint=f'this version of cnncalc reads "{SCHEMA}"',
        )
    name = _typed(d.get("name", "network"), str, "$.name", "name")
    nodes = _typed(d["nodes"], list, "$.nodes", "nodes")
    if len(nodes) > MAX_LAYERS:
        raise NetworkJSONError(f"{len(nodes):,} nodes is more than the {MAX_LAYERS:,} cnncalc reads", path="$.nodes")
    _check_depth(d)
    return Network(tuple(_node(n, i) for i, n in enumerate(nodes)), name)


class _Refused(Exception):
    """A JSON literal refused while decoding (too many digits, NaN/Infinity): its text."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-").lstrip("0")) > MAX_DIGITS:
        raise _Refused(text)
    return int(text)


def _parse_constant(text: str) -> Any:
    raise _Refused(text)


def _at(text: str, file: str, pos: int, message: str, hint: str | None = None) -> ParseError:
    """A ParseError at character ``pos`` of ``text``, with its line (cut to 200 characters) and a caret."""
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    row = text[start : end if end >= 0 else len(text)]
    column = pos - start + 1
    if column > 150:  # keep the caret on screen
        row, column = "…" + row[pos - start - 100 : pos - start + 100], 102
    return ParseError(message, hint=hint, file=file, line=line, column=column, source_line=row[:200])


def _decode(text: str, file: str) -> Any:
    try:
        return json.loads(text, parse_int=_parse_int, parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        raise _at(text, file, exc.pos, f"not valid JSON: {exc.msg}") from None
    except _Refused as exc:
        literal = str(exc)
        found = re.search(r"(?<![0-9A-Za-z.])" + re.escape(literal) + r"(?![0-9])", text)
        where = found.start() if found else 0
        if literal.lstrip("-")[:1].isdigit():
            message = f"the number {literal[:20]}… is out of range (at most {MAX_SIZE_TEXT})"
        else:
            message = f"{literal} is not a JSON number"
        raise _at(text, file, where, message, hint="sizes and counts are whole numbers up to 10**18") from None
    except RecursionError:
        raise ParseError(f"the JSON is nested too deeply (a network needs {MAX_JSON_DEPTH} levels at most)",
                         file=file) from None


def _check_depth(data: Any) -> None:
    """Refuse nesting past MAX_JSON_DEPTH (walked without recursion), before anything recurses over it."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "$")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise NetworkJSONError(f"nested more than {MAX_JSON_DEPTH} levels deep", path=path,
                                   hint="a layer argument is a number, a word or a short list of numbers")
        if isinstance(value, dict):
            stack.extend((v, depth + 1, f"{path}.{k}"[:200]) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{path}[{i}]"[:200]) for i, v in enumerate(value))


def loads(text: str, file: str = "<json>") -> Network:
    """The network in a JSON text; a JSON syntax error is a ParseError at its line:column.

    Integers of more than 40 digits, NaN and Infinity are refused where they are written; nesting deeper
    than 32 levels and more than 100,000 nodes are refused (cnncalc.limits).
    """
    data = _decode(text, file)
    _check_depth(data)
    return from_dict(data)


__all__ = ["SCHEMA", "GraphError", "NetworkJSONError", "dumps", "from_dict", "kind_and_args", "loads", "to_dict"]
