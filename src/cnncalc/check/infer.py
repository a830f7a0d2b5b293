"""Build the network a claimed table describes, from its layer column, as the article writes it.

``CONV1 (f=5, s=1)`` is a convolution with the filter count taken from the row's shape, ``POOL1`` a max
pooling (f and s given, or read off the shapes), ``FC3`` a dense layer with the units of the row's shape,
``Softmax`` a dense layer with softmax (the article counts its 850 parameters). Each row is computed
from the previous *correct* row, never from the claimed shape, so a wrong claimed size cannot leak into
the next row; only what the layer column does not say (filters, units) is read from the claimed shape.

>>> from cnncalc.check.tables import find_tables
>>> t = find_tables("Layer\\tShape\\tParams\\nInput\\t(32, 32, 3)\\t0\\nCONV1 (f=5, s=1)\\t(28, 28, 8)\\t608\\n")[0]
>>> inferred = infer_network(t)
>>> [(n.name, n.layer.kind) for n in inferred.network.nodes], inferred.layout
([('Input', 'input'), ('CONV1', 'conv')], 'hwc')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ArgumentError, CnnCalcError, ShapeError
from ..kinds import Layer, build
from ..kinds.conv import CONV_ALIASES
from ..kinds.pool import POOL_ALIASES
from ..limits import MAX_DIGITS
from ..network import Graph, Network, Source
from ..shape import Shape
from .tables import Table, TableRow, parse_shape

#: a layer-column word (letters only, lower case) → the kind it means
WORDS: dict[str, str] = {
    "input": "input",
    "inputlayer": "input",
    "image": "input",
    "conv": "conv",
    "convolution": "conv",
    "convd": "conv",
    "pool": "maxpool",
    "maxpool": "maxpool",
    "maxpooling": "maxpool",
    "max": "maxpool",
    "avgpool": "avgpool",
    "averagepool": "avgpool",
    "avgpooling": "avgpool",
    "averagepooling": "avgpool",
    "fc": "dense",
    "dense": "dense",
    "linear": "dense",
    "fullyconnected": "dense",
    "softmax": "softmax",
    "output": "softmax",
    "flatten": "flatten",
    "bn": "batchnorm",
    "batchnorm": "batchnorm",
    "batchnormalization": "batchnorm",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "dropout": "dropout",
}


class InferError(CnnCalcError):
    """The layer column does not say enough to build the network; --net FILE is needed."""


@dataclass(frozen=True)
class Inferred:
    network: Network
    layout: str
    notes: tuple[str, ...]


ArgValue = int | str | bool | tuple[int, ...]


@dataclass(frozen=True)
class LayerCell:
    """A parsed layer cell: its name, the kind it means, and its (f=5, s=1) arguments."""

    name: str
    kind: str | None
    args: dict[str, ArgValue]


def _split_top(text: str) -> list[str]:
    """'f=5, s=(2, 2), p=same' → ['f=5', 's=(2, 2)', 'p=same']: commas inside brackets stay."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "(["
        depth -= ch in ")]"
        if ch in ",;" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [p.strip() for p in [*parts, cur] if p.strip()]


#: an integer argument; past MAX_DIGITS digits it is not read (and never converted: Python's 4300-digit limit)
_INT = re.compile(rf"[+-]?\d{{1,{MAX_DIGITS}}}")


def parse_arg_value(text: str) -> ArgValue | None:
    """'5' → 5, '-1' → -1, '3x3' / '(3, 3)' → (3, 3), 'same' → 'same', 'True' → True; None when unreadable."""
    t = text.strip().strip("'\"").strip()
    if re.fullmatch(_INT, t):
        return int(t)
    low = t.lower()
    if low in ("same", "valid"):
        return low
    if low in ("true", "false", "yes", "no", "on", "off"):
        return low in ("true", "yes", "on")
    inner = t[1:-1] if t[:1] in "([" and t[-1:] in ")]" else t
    pieces = [x for x in re.split(r"\s*[,x×*]\s*", inner.strip()) if x != ""]
    if len(pieces) > 1 and all(re.fullmatch(_INT, x) for x in pieces):
        return tuple(int(x) for x in pieces)
    return None


def _cell_args(text: str) -> dict[str, ArgValue]:
    """Every key=value inside the cell's brackets; anything unreadable is an InferError, never dropped."""
    args: dict[str, ArgValue] = {}
    for group in re.findall(r"[(\[]((?:[^()\[\]]|[(\[][^()\[\]]*[)\]])*)[)\]]", text):
        if re.fullmatch(r"\s*[A-Za-z_][\w.]*\s*", group):
            continue  # 'conv2d_1 (Conv2D)': a Keras summary's class name, not an argument
        for i, piece in enumerate(_split_top(group)):
            m = re.fullmatch(r"([A-Za-z_]\w*)\s*[=:]\s*(.+)", piece)
            if m is None and i == 0 and "size" not in args:
                size = parse_arg_value(piece)
                if isinstance(size, (int, tuple)) and not isinstance(size, bool):
                    args["size"] = size  # 'CONV1 (5x5, s=1)', 'FC3 (120)': read by the kind that needs a size
                    continue
            value = parse_arg_value(m.group(2)) if m else None
            if m is None or value is None:
                raise InferError(
                    f"cannot read '{piece}' in the layer cell '{text.strip()}'",
                    hint="write arguments as key=value: a number (5, -1), a size (3x3 or (3, 3)), same or valid;"
                    " e.g. CONV1 (f=5, s=1, p=same)",
                )
            key = m.group(1).lower()
            if key in args:
                raise InferError(f"'{key}' is given twice in the layer cell '{text.strip()}'")
            args[key] = value
    return args


def parse_layer_cell(text: str) -> LayerCell:
    """'CONV1 (f=5, s=1)' → name CONV1, kind conv, args {f: 5, s: 1}; 'Input Layer:' → input.

    >>> parse_layer_cell("CONV2 (f=3x3, s=2, p=same)").args
    {'f': (3, 3), 's': 2, 'p': 'same'}
    """
    name = re.split(r"[(\[]", text, maxsplit=1)[0].strip().rstrip(":").strip() or text.strip()
    args = _cell_args(text)
    word = re.sub(r"[^a-z]", "", re.sub(r"\d+", "", name.lower()).replace("layer", ""))
    kind = WORDS.get(word)
    if kind is None:
        for prefix, k in (
            ("conv", "conv"),
            ("maxpool", "maxpool"),
            ("avgpool", "avgpool"),
            ("pool", "maxpool"),
            ("fc", "dense"),
            ("dense", "dense"),
            ("input", "input"),
        ):
            if word.startswith(prefix):
                kind = k
                break
    return LayerCell(name, kind, args)


def _canonical(args: dict[str, ArgValue], aliases: dict[str, str]) -> dict[str, Any]:
    """The cell's arguments under the kind's own names (f → kernel_size); the same one twice is an error."""
    out: dict[str, Any] = {}
    written: dict[str, str] = {}
    for key, value in args.items():
        name = aliases.get(key, key)
        if name in out:
            raise ArgumentError(f"'{name}' is given twice, as '{written[name]}' and as '{key}'", hint="keep one")
        out[name], written[name] = value, key
    return out


def _where(row: TableRow) -> str:
    return f"line {row.line}"


def _shape_in(layout: str, dims: tuple[int, ...]) -> tuple[int, ...]:
    """Claimed dims to the canonical channels-last order."""
    return dims[1:] + dims[:1] if layout == "chw" and len(dims) > 1 else dims


def guess_layout(dims: tuple[int, ...]) -> str:
    """(3, 32, 32) reads as CHW, (32, 32, 3) as HWC: channels are the small axis apart from equal spatial ones."""
    if len(dims) >= 3 and dims[0] < dims[-1] and len(set(dims[1:])) == 1 and dims[0] != dims[1]:
        return "chw"
    return "hwc"


def _vector_units(dims: tuple[int, ...] | None) -> int | None:
    """The article's (120, 1) or (120,) or (1, 1, 120): a vector of 120."""
    if not dims:
        return None
    big = [d for d in dims if d != 1]
    return big[0] if len(big) == 1 else (1 if not big else None)


class _Builder:
    """Walks the rows, computing each layer on the previous correct shape."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.layout = "hwc"
        self.items: list[tuple[str, Layer, Source]] = []
        self.notes: list[str] = []
        self.shape: Shape | None = None
        self.names: set[str] = set()

    def claimed(self, row: TableRow) -> tuple[int, ...] | None:
        dims = parse_shape(row.get(self.table.columns.get("shape")))
        return _shape_in(self.layout, dims) if dims else None

    def need(self, row: TableRow, what: str, value: int | None, how: str = "") -> int:
        if value is None:
            raise InferError(
                f"{_where(row)}: cannot tell the {what} of '{row.get(self.table.columns['layer'])}' from the table",
                hint=(how + ", or " if how else "") + "give the network with --net FILE (a .cnn file)",
            )
        return value

    def layer_for(self, row: TableRow, cell: LayerCell) -> Layer:
        try:
            return self._layer_for(row, cell)
        except ArgumentError as err:
            raise InferError(
                f"{_where(row)}: '{row.get(self.table.columns['layer'])}': {err.message}", hint=err.hint
            ) from None

    def _layer_for(self, row: TableRow, cell: LayerCell) -> Layer:
        claimed = self.claimed(row)
        if cell.kind == "input":
            raw = parse_shape(row.get(self.table.columns.get("shape")))
            if raw is None:
                raise InferError(
                    f"{_where(row)}: the input row needs its shape, e.g. (32, 32, 3)",
                    hint="write the input's shape in the shape column, or give --net FILE",
                )
            self.layout = guess_layout(raw)
            return build("input", {"shape": raw, "layout": self.layout})
        if cell.kind == "conv":
            args = _canonical(cell.args, CONV_ALIASES | {"d": "dilation", "size": "kernel_size"})
            how = "write it in the layer column, e.g. CONV1 (f=5, s=1)"
            self.need(row, "kernel size", args.get("kernel_size"), how)
            if "filters" not in args:
                args["filters"] = self.need(row, "filter count", claimed[-1] if claimed else None)
            return build("conv", args)
        if cell.kind in ("maxpool", "avgpool"):
            return build(cell.kind, self.pool_args(row, cell, claimed))
        if cell.kind in ("dense", "softmax"):
            return self.dense(row, cell)
        if cell.kind in ("flatten", "batchnorm", "relu", "sigmoid", "tanh", "dropout"):
            return build(cell.kind, dict(cell.args))
        raise InferError(
            f"{_where(row)}: cannot tell what layer '{cell.name}' is",
            hint="name layers like the article (Input, CONV1 (f=5, s=1), POOL1, FC3, Softmax) or give --net FILE",
        )

    def pool_args(self, row: TableRow, cell: LayerCell, claimed: tuple[int, ...] | None) -> dict[str, Any]:
        # a pooling layer has no filters: the k some tables write there is its window, as f is
        args = _canonical(cell.args, POOL_ALIASES | {"k": "kernel_size", "size": "kernel_size"})
        if "kernel_size" not in args:
            prev = self.shape.spatial_dims if self.shape else ()
            ratio = prev[0] // claimed[0] if claimed and prev and claimed[0] and prev[0] % claimed[0] == 0 else 0
            args["kernel_size"] = ratio if ratio >= 2 else 2
            how = "read off the shapes" if ratio >= 2 else "assumed (the shapes do not say)"
            stride = args.get("stride", args["kernel_size"])
            self.notes.append(f"{_where(row)}: pooling f={args['kernel_size']}, s={stride} {how}")
        args.setdefault("stride", args["kernel_size"])
        return args

    def dense(self, row: TableRow, cell: LayerCell) -> Layer:
        raw = parse_shape(row.get(self.table.columns.get("shape")))
        args = _canonical(cell.args, {"c": "units", "k": "units", "out_features": "units", "size": "units"})
        given = args.pop("units", None)
        units = self.need(row, "number of units", _vector_units(raw) if given is None else given)
        prev = self.shape
        if cell.kind == "softmax" and not args and prev is not None and prev.rank == 1 and prev.dims[0] == units:
            return build("softmax", {})
        extra = {"activation": "softmax"} if cell.kind == "softmax" else {}
        return build("dense", {"units": units, **extra, **args})

    def with_graph_fixes(self, err: ShapeError, name: str, layer: Layer) -> ShapeError:
        """The error with the fixes that need the whole chain (the pooling layer to drop)."""
        from ..analysis.fixes import suggest_fixes

        g = Graph()
        for n, lay, source in [*self.items, (name, layer, None)]:
            g.then(lay, name=n, source=source)
        return err.with_fixes(tuple(suggest_fixes(g.build("table"), err)))

    def add(self, row: TableRow) -> None:
        try:
            cell = parse_layer_cell(row.get(self.table.columns["layer"]))
        except InferError as err:
            raise InferError(f"{_where(row)}: {err.message}", hint=err.hint) from None
        if (self.shape is None) != (cell.kind == "input"):
            which = "must be the input layer, with its shape" if self.shape is None else "is a second input"
            raise InferError(
                f"{_where(row)}: '{row.get(self.table.columns['layer'])}' {which}",
                hint="a table describes one chain that starts with an Input row; for anything else give --net FILE",
            )
        layer = self.layer_for(row, cell)
        name, n = cell.name, 1
        while name in self.names:
            n += 1
            name = f"{cell.name} ({n})"
        self.names.add(name)
        try:
            out = layer.compute((self.shape,) if self.shape is not None else (), "torch").output
        except ShapeError as err:
            raise self.with_graph_fixes(err.at_layer(name, str(self.shape)), name, layer) from None
        self.shape = out
        self.items.append((name, layer, Source(f"table line {row.line}", row.line)))


def infer_network(table: Table) -> Inferred:
    """The network a table's layer column describes (raises InferError when it does not say enough)."""
    if "layer" not in table.columns:
        raise InferError("the table has no layer column", hint="give the network with --net FILE")
    if not table.rows:
        raise InferError(f"line {table.line}: the table has no layer rows", hint="add the layers under the header")
    b = _Builder(table)
    for row in table.rows:
        b.add(row)
    g = Graph()
    for name, layer, source in b.items:
        g.then(layer, name=name, source=source)
    return Inferred(g.build("table"), b.layout, tuple(b.notes))
