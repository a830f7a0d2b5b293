"""The graph before tracing: inputs fixed (--input), shapes inferred, values and constants collected, nodes
in topological order.

Shapes come from ONNX's own shape inference (``data_prop=True``, so that Reshape targets computed from
Shape/Gather/Concat are followed). Symbolic input dims are fixed first: from ``--input name=1x3x224x224``,
and a symbolic batch axis (axis 0) from the conventions' batch (1 by default); any other symbolic dim must
be given, and the message lists them.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import prod

import onnx

from ...errors import ArgumentError, CnnCalcError
from ...limits import MAX_LAYERS
from .load import KEEP_VALUES
from .values import Dims, Value

_SPEC = re.compile(r"^(?:([^=\s]+)=)?(\d+(?:x\d+)*)(?::(\w+))?$")
_VALUE_FIELDS = ("float_data", "int32_data", "string_data", "int64_data", "raw_data", "double_data", "uint64_data")


def parse_inputs(specs: Iterable[str]) -> list[tuple[str, Dims]]:
    """--input specs as (name or '', dims with the batch axis); a dtype suffix is accepted and ignored
    (an ONNX model fixes its inputs' types).

    >>> parse_inputs(["input.1=1x3x224x224", "2x10"])
    [('input.1', (1, 3, 224, 224)), ('', (2, 10))]
    """
    out = []
    for spec in specs:
        m = _SPEC.match(spec.strip().replace("×", "x"))
        if not m:
            raise ArgumentError(f"cannot read --input {spec!r}",
                                hint="write name=NxCxHxW for an ONNX input, e.g. --input input=1x3x224x224")
        dims = tuple(int(d) for d in m.group(2).split("x"))
        if 0 in dims:
            raise ArgumentError(f"--input {spec!r} has an axis of size 0: every axis must be ≥ 1")
        out.append((m.group(1) or "", dims))
    return out


def _dims_of(t: onnx.TypeProto) -> list[int | str]:
    """A type's dims: ints where known, the symbol (or '?') where not."""
    if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
        return []
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.tensor_type.shape.dim]


def graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    """The inputs a caller feeds (IR < 4 lists initializers among the inputs too)."""
    stored = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in stored]


def fix_inputs(model: onnx.ModelProto, given: list[tuple[str, Dims]], batch: int | None) -> list[str]:
    """Write the given dims into the model's inputs, a symbolic batch axis as ``batch`` (default 1); notes."""
    inputs = graph_inputs(model)
    by_name = {i.name: i for i in inputs}
    unnamed = [d for n, d in given if not n]
    notes: list[str] = []
    if len(unnamed) > len(inputs):
        raise ArgumentError(f"{len(given)} --input given, but the model has {len(inputs)} input(s): "
                            + ", ".join(i.name for i in inputs))
    chosen: dict[str, Dims] = {}
    for dims, slot in zip(unnamed, inputs):
        chosen[slot.name] = dims
    for name, dims in given:
        if name and name not in by_name:
            from ...kinds.base import suggest

            guess = suggest(name, list(by_name))
            raise ArgumentError(f"--input names '{name}', which is not an input of the model",
                                hint=f"did you mean '{guess}'?" if guess else "inputs: " + ", ".join(by_name))
        if name:
            chosen[name] = dims
    for slot in inputs:
        notes += _fix(slot, chosen.get(slot.name), batch)
    return notes


def _fix(slot: onnx.ValueInfoProto, dims: Dims | None, batch: int | None) -> list[str]:
    current = _dims_of(slot.type)
    if not slot.type.tensor_type.HasField("shape"):
        if dims is None:
            raise ArgumentError(f"the model's input '{slot.name}' has no shape",
                                hint=f"give it: --input {slot.name}=1x3x224x224")
        current = ["?"] * len(dims)
    if dims is not None:
        if len(dims) != len(current):
            raise ArgumentError(f"--input gives '{slot.name}' {len(dims)} axes, but the model's input has "
                                f"{len(current)}: {_show(current)}")
        fixed = [(i, c, d) for i, (c, d) in enumerate(zip(current, dims)) if isinstance(c, int) and c != d]
        if fixed:
            i, c, d = fixed[0]
            raise ArgumentError(f"--input gives axis {i} of '{slot.name}' as {d}, but the model fixes it at {c} "
                                f"({_show(current)})", hint="only symbolic axes (names such as 'batch') can be set")
        _write(slot, dims)
        return []
    notes = []
    if current and not isinstance(current[0], int):
        current[0] = batch or 1
        notes.append(f"input '{slot.name}': batch axis '{_dims_of(slot.type)[0]}' taken as {current[0]} "
                     f"(set it with --input {slot.name}=…)")
    open_axes = [str(c) for c in current if not isinstance(c, int)]
    if open_axes:
        example = "x".join(str(c) if isinstance(c, int) else "N" for c in current)
        raise ArgumentError(f"the model's input '{slot.name}' has symbolic dims {_show(_dims_of(slot.type))}: "
                            f"{', '.join(open_axes)} must be given",
                            hint=f"e.g. --input {slot.name}={example} (with numbers for each N)")
    _write(slot, tuple(int(c) for c in current))
    return notes


def _show(dims: list[int | str]) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


def _write(slot: onnx.ValueInfoProto, dims: Dims) -> None:
    shape = slot.type.tensor_type.shape
    shape.ClearField("dim")
    for d in dims:
        shape.dim.add().dim_value = d


def infer(model: onnx.ModelProto, where: str) -> onnx.ModelProto:
    """The model with every value's shape that ONNX's shape inference can find."""
    try:
        return onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
    except Exception as err:  # a malformed graph that onnx's inference refuses even when not strict
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CnnCalcError(f"'{where}': ONNX shape inference failed: {first}",
                           hint="check the model with onnx.checker.check_model; is the file complete?") from None


def strip_values(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy without the values of large initializers (for a ModelProto given in Python: shape inference
    would otherwise copy every weight twice)."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for t in copy.graph.initializer:
        if prod(t.dims) > KEEP_VALUES:
            for name in _VALUE_FIELDS:
                t.ClearField(name)
    return copy


@dataclass
class Values:
    """Every value of the graph: inferred dims and types, constants (initializers and Constant outputs)."""

    values: dict[str, Value] = field(default_factory=dict)
    stored: dict[str, onnx.TensorProto] = field(default_factory=dict)

    def get(self, name: str) -> Value | None:
        return self.values.get(name) if name else None


def _known(t: onnx.TypeProto) -> tuple[Dims | None, int]:
    dims = _dims_of(t)
    elem = t.tensor_type.elem_type if t.HasField("tensor_type") else 0
    if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
        return None, elem
    if any(not isinstance(d, int) for d in dims):
        return None, elem
    return tuple(int(d) for d in dims), elem


def collect(model: onnx.ModelProto) -> Values:
    """The values shape inference described, and the stored tensors (initializers, Constant nodes)."""
    out = Values()
    g = model.graph
    for info in [*g.input, *g.value_info, *g.output]:
        dims, elem = _known(info.type)
        if info.name not in out.values or out.values[info.name].dims is None:
            out.values[info.name] = Value(info.name, dims, elem)
    for t in g.initializer:
        out.stored[t.name] = t
        out.values[t.name] = Value(t.name, tuple(int(d) for d in t.dims), t.data_type, const=True)
    for node in g.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx") and node.output:
            t = _constant(node)
            if t is not None:
                t.name = node.output[0]
                out.stored[t.name] = t
                known = out.values.get(t.name)
                dims = tuple(int(d) for d in t.dims) if known is None or known.dims is None else known.dims
                out.values[t.name] = Value(t.name, dims, t.data_type, const=True)
    return out


def _constant(node: onnx.NodeProto) -> onnx.TensorProto | None:
    """A Constant node's value as a tensor (its value, value_float(s), value_int(s) attribute)."""
    from onnx import helper

    for attr in node.attribute:
        if attr.name == "value" and attr.HasField("t"):
            t = onnx.TensorProto()
            t.CopyFrom(attr.t)
            return t
        if attr.name in ("value_float", "value_int"):
            kind = onnx.TensorProto.FLOAT if attr.name == "value_float" else onnx.TensorProto.INT64
            return helper.make_tensor("", kind, [], [attr.f if attr.name == "value_float" else attr.i])
        if attr.name in ("value_floats", "value_ints"):
            values = list(attr.floats) if attr.name == "value_floats" else list(attr.ints)
            kind = onnx.TensorProto.FLOAT if attr.name == "value_floats" else onnx.TensorProto.INT64
            return helper.make_tensor("", kind, [len(values)], values)
    return None


def ordered(graph: onnx.GraphProto, where: str) -> list[onnx.NodeProto]:
    """The nodes in topological order (ONNX requires it; a graph that breaks the rule is sorted, a cycle is an
    error), at most MAX_LAYERS of them."""
    nodes = list(graph.node)
    if len(nodes) > MAX_LAYERS:
        raise CnnCalcError(f"'{where}' has {len(nodes):,} nodes, more than cnncalc's bound of {MAX_LAYERS:,}")
    produced = {o: i for i, n in enumerate(nodes) for o in n.output if o}
    if all(produced.get(x, -1) < i for i, n in enumerate(nodes) for x in n.input if x):
        return nodes
    waiting = {i: {produced[x] for x in n.input if x in produced and produced[x] != i} for i, n in enumerate(nodes)}
    users: dict[int, list[int]] = {}
    for i, deps in waiting.items():
        for d in deps:
            users.setdefault(d, []).append(i)
    ready = deque(i for i, deps in waiting.items() if not deps)
    out: list[int] = []
    while ready:
        i = ready.popleft()
        out.append(i)
        for u in users.get(i, []):
            waiting[u].discard(i)
            if not waiting[u]:
                ready.append(u)
    if len(out) != len(nodes):
        raise CnnCalcError(f"'{where}': the graph has a cycle (node '{nodes[min(set(waiting) - set(out))].name}')",
                           hint="an ONNX graph must be acyclic; is the file damaged?")
    return [nodes[i] for i in out]
