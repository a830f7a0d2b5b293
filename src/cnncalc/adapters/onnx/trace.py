"""The ONNX tracer: the graph's nodes in topological order, each one LayerCall for the core's one assembler.

A node whose op the table maps (``mapping.TABLE``) is computed by its core kind on the shapes ONNX's shape
inference gave, and the core's output is checked against ONNX's; any other node is measured: its output
from shape inference, its products (``mapping.WORK``) and element-wise work counted, marked "not
modelled" with the reason. Nodes that compute constants only (Identity or Cast of an initializer, shape
arithmetic folded in advance) give no row: their outputs are constants.

Parameters are the stored tensors (initializers, Constant nodes) a node reads as weights: the first node in
graph order that reads one counts it, a later one says where it was counted (shared weights). Stored
tensors of integer type (shapes, axes, indices), scalars, and inputs that configure an op (Reshape's shape,
Pad's pads, Clip's bounds, Resize's scales) are constants, not parameters; the result says how many.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import prod
from typing import Any

import onnx

from ...analysis import LayerCall, Measured, Params
from ...conventions import Conventions
from ...errors import CnnCalcError
from ...expr import ZERO, Quantity, Var, total
from ...kinds.base import Computed
from ...kinds.measured import Measured as MeasuredKind
from ...kinds.structural import Input
from ...receptive import ReceptiveField
from ...shape import Shape
from .graph import Values
from .mapping import TABLE, Mapped, NotMapped
from .measured import ACTIVATIONS, ELEMENTWISE, REASONS, WORK
from .values import FLOATS, INDEX_TYPES, NodeView, Value, broadcast_operand, nbytes, seen

UNKNOWN = ReceptiveField("unknown", note="not tracked through this operation")

#: inputs that configure an op (shapes, axes, bounds, scales, indices): never parameters
CONFIG_SLOTS: dict[str, frozenset[int]] = {
    op: frozenset(slots) for op, slots in {
        "Reshape": {1}, "Unsqueeze": {1}, "Squeeze": {1}, "Expand": {1}, "Tile": {1}, "Slice": {1, 2, 3, 4},
        "Resize": {1, 2, 3}, "Upsample": {1}, "Pad": {1, 2, 3}, "Clip": {1, 2}, "ConstantOfShape": {0},
        "TopK": {1}, "Split": {1}, "ReduceMean": {1}, "ReduceMax": {1}, "ReduceMin": {1}, "ReduceSum": {1},
        "ReduceProd": {1}, "ReduceL2": {1}, "ReduceL1": {1}, "ReduceLogSumExp": {1}, "ReduceSumSquare": {1},
        "Range": {0, 1, 2}, "OneHot": {1, 2}, "CumSum": {1}, "Dropout": {1, 2}, "Where": {0}, "Trilu": {1},
        "ScatterND": {1}, "ScatterElements": {1}, "GatherElements": {1}, "GatherND": {1},
        "NonMaxSuppression": {2, 3, 4}, "RoiAlign": {1, 2}, "CenterCropPad": {1}, "Col2Im": {1, 2},
        "GridSample": {1}, "DFT": {1, 2}, "STFT": {1, 2, 3}, "Compress": {1}, "ReverseSequence": {1},
    }.items()
}
#: ops whose output reads as an image (N, C, *spatial)
IMAGE_OPS = frozenset({"Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
                       "InstanceNormalization", "Resize", "Upsample", "Pad", "LpPool", "GlobalLpPool", "LRN",
                       "DepthToSpace", "SpaceToDepth", "MaxUnpool", "DeformConv", "QLinearConv", "ConvInteger"})
PLAIN_OPS = frozenset({"MatMul", "Gemm", "Gather", "LayerNormalization", "Einsum", "Attention", "Flatten"})
#: the exporter's names for weights it made by folding BatchNorm into a convolution (torch.onnx, TorchScript)
FOLDED_PREFIX = "onnx::Conv_"


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    from onnx import helper

    out: dict[str, Any] = {}
    for a in node.attribute:
        if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            continue
        try:
            out[a.name] = helper.get_attribute_value(a)
        except Exception:  # an attribute of an unknown type: the op is measured whatever it says
            continue
    return out


def _subgraphs(node: onnx.NodeProto) -> list[str]:
    found = []
    for a in node.attribute:
        graphs = [a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)
        found += [f"{a.name} ({len(g.node)} nodes)" for g in graphs]
    return found


def _named_sum(items: list[tuple[str, int]]) -> Quantity:
    return Quantity(total([Var(n, v) for n, v in items]) if items else ZERO)


def scopes(name: str) -> tuple[str, ...]:
    """The exporter's module scopes of a node name: '/layer1/layer1.0/conv1/Conv' → ('layer1',
    'layer1/layer1.0', 'layer1/layer1.0/conv1').

    >>> scopes("/layer1/layer1.0/conv1/Conv")
    ('layer1', 'layer1/layer1.0', 'layer1/layer1.0/conv1')
    """
    parts = [p for p in name.split("/") if p][:-1]
    return tuple("/".join(parts[: i + 1]) for i in range(len(parts)))


@dataclass
class Owned:
    """The stored tensors one row counts (slot, name, elements, bytes), and where a shared one was counted."""

    weights: list[tuple[int, str, int, int]] = field(default_factory=list)
    shared_with: str | None = None
    constants: int = 0


@dataclass
class Tracer:
    conv: Conventions
    vals: Values
    layout: dict[str, str] = field(default_factory=dict)
    fields: dict[str, ReceptiveField] = field(default_factory=dict)
    producer: dict[str, str] = field(default_factory=dict)
    origins: dict[str, frozenset[str]] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    calls: list[LayerCall] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    scope_sizes: Counter[str] = field(default_factory=Counter)
    folded: int = 0
    constant_nodes: int = 0
    subgraphs: list[str] = field(default_factory=list)
    measured: Counter[str] = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)

    # ---- values -------------------------------------------------------------------------------------------
    def value(self, name: str) -> Value | None:
        return self.vals.get(name)

    def is_const(self, name: str) -> bool:
        v = self.vals.get(name)
        return v is not None and v.const

    def origin(self, name: str) -> frozenset[str]:
        return self.origins.get(name, frozenset({name}) if name in self.vals.stored else frozenset())

    def unique(self, base: str) -> str:
        name, k = base or "node", 1
        while name in self.names:
            k += 1
            name = f"{base}#{k}"
        self.names.add(name)
        return name

    # ---- inputs -------------------------------------------------------------------------------------------
    def add_input(self, info: Value, consumers: Iterable[str]) -> None:
        dims = info.dims or ()
        rank = len(dims)
        image = rank >= 4 or (rank == 3 and info.elem in FLOATS and any(op in IMAGE_OPS for op in consumers))
        layout = "image" if image else "plain"
        shape, n = seen(dims, layout)
        sample = dims[1:] if rank >= 2 else (dims or (1,))
        layer = Input(sample, layout="chw", spatial=shape.spatial) if shape.spatial else Input(sample, spatial=0)
        computed = layer.compute((), self.conv.counting)
        if computed.output != shape:
            computed = Computed(output=shape)
        name = self.unique(info.name)
        self.producer[info.name], self.layout[info.name] = name, layout
        self.fields[info.name] = ReceptiveField.at_input(shape.spatial)
        self.calls.append(LayerCall(name, layer, computed=computed, repeat=n, element_bytes=nbytes(1, info.elem),
                                    receptive_field=self.fields[info.name], source="onnx graph input",
                                    notes=(f"element type {onnx.TensorProto.DataType.Name(info.elem).lower()}",)
                                    if info.elem in onnx.TensorProto.DataType.values() else ()))

    # ---- nodes --------------------------------------------------------------------------------------------
    def view(self, node: onnx.NodeProto) -> NodeView:
        ins = tuple(self.value(x) if x else None for x in node.input)
        outs = tuple(self.value(x) if x else None for x in node.output)
        layouts = tuple(self.layout.get(x, "plain") for x in node.input)
        nv = NodeView(node, _attrs(node), ins, outs, layouts, (), self.vals.stored)
        nv.out_layouts = tuple(self.out_layout(nv, i) for i in range(len(outs)))
        return nv

    def out_layout(self, nv: NodeView, index: int) -> str:
        """The layout an output is read in, before any mapping (the rule for measured nodes and reshapes)."""
        out = nv.out_dims(index)
        acts = [i for i in range(len(nv.inputs)) if nv.has(i) and not nv.is_const(i)]
        first = acts[0] if acts else None
        if len(out) < 3:
            return "plain"
        if nv.op in IMAGE_OPS:
            return "image"
        if nv.op == "Transpose" and first is not None:
            perm = [int(p) for p in nv.attrs.get("perm", [])]
            if len(perm) >= 4:
                keeps = nv.layout(first) == "image" and perm[1] == 1
                to_image = nv.layout(first) == "plain" and perm[1] == len(perm) - 1
                return "image" if keeps or to_image else "plain"
        if nv.op in PLAIN_OPS or nv.op in ("Transpose", "Reshape", "Squeeze", "Unsqueeze"):
            return "image" if len(out) >= 4 and nv.op not in PLAIN_OPS else "plain"
        if first is not None and len(nv.dims(first)) == len(out):
            return nv.layout(first)
        return "image" if len(out) >= 4 else "plain"

    def add_node(self, node: onnx.NodeProto, position: int) -> None:
        named = [x for x in node.input if x]
        if node.op_type == "Constant" or (named and all(self.is_const(x) for x in named)) or (
                not named and node.op_type not in ("If", "Loop", "Scan")):
            self.constant_node(node)
            return
        nv = self.view(node)
        base = node.name.strip("/") or f"{node.op_type}_{position}"
        name = self.unique(base)
        blocks = tuple(s for s in scopes(node.name) if self.scope_sizes[s] > 1)
        call = self.mapped_call(nv, name, blocks)
        if call is None:
            call = self.measured_call(nv, name, blocks)
        self.calls.append(call)

    def constant_node(self, node: onnx.NodeProto) -> None:
        """A node of constants only: no row; its outputs are constants computed from the stored tensors."""
        if node.op_type != "Constant":
            self.constant_nodes += 1
        came = frozenset().union(*(self.origin(x) for x in node.input if x))
        for out in node.output:
            if not out:
                continue
            known = self.vals.values.get(out)
            self.vals.values[out] = Value(out, known.dims if known else None, known.elem if known else 0, const=True)
            self.origins[out] = came | ({out} if out in self.vals.stored else frozenset())

    def _finish_outputs(self, nv: NodeView, name: str, layouts: tuple[str, ...], rf: ReceptiveField) -> None:
        for out, layout in zip(nv.proto.output, layouts):
            if out:
                self.producer[out], self.layout[out], self.fields[out] = name, layout, rf

    def _inputs(self, nv: NodeView) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.producer[x] for x in nv.proto.input if x and x in self.producer))

    def _field(self, nv: NodeView, slots: Iterable[int]) -> ReceptiveField:
        found = [self.fields.get(nv.value(i).name, UNKNOWN) for i in slots if nv.has(i) and not nv.is_const(i)]
        return ReceptiveField.widest(found) if found else UNKNOWN

    # ---- mapped -------------------------------------------------------------------------------------------
    def mapped_call(self, nv: NodeView, name: str, blocks: tuple[str, ...]) -> LayerCall | None:
        build = TABLE.get(nv.op) if nv.proto.domain in ("", "ai.onnx") else None
        if build is None or any(v is not None and v.dims is None for v in (*nv.inputs, *nv.outputs[:1])):
            return None
        try:
            mapped = build(nv)
            shapes, n, out_view = self.core_shapes(nv, mapped)
            computed = mapped.layer.compute(shapes, self.conv.counting)
        except NotMapped as why:
            nv.attrs["__why__"] = str(why)
            return None
        except KeyError as missing:  # NodeView.value: an input the op reads is absent (an empty name)
            nv.attrs["__why__"] = f"its input {missing.args[0] if missing.args else ''} is missing"
            return None
        except CnnCalcError as err:
            nv.attrs["__why__"] = f"the core's {mapped.layer.kind} refuses these inputs ({err.message})"
            return None
        expected, n_out = seen(nv.out_dims(0), out_view)
        if computed.output != expected or n_out != n:
            self.mismatches.append(name)
            nv.attrs["__why__"] = (f"the core's {mapped.layer.kind} gives {computed.output.show('chw', n)}, ONNX's "
                                   f"shape inference {expected.show('chw', n_out)}")
            return None
        layouts = tuple(out_view if i == 0 else nv.out_layout(i) for i in range(len(nv.outputs)))
        rf = self._field(nv, mapped.slots).through(computed.rf)
        self._finish_outputs(nv, name, layouts, rf)
        owned = self.own(nv, name)
        params = self.params(owned, computed, mapped.state)
        notes = mapped.notes + self.param_notes(nv, owned, params, computed)
        return LayerCall(name, mapped.layer, shapes, self._inputs(nv), computed=computed, repeat=n,
                         element_bytes=self._element(nv), params=params, receptive_field=rf, depth=len(blocks),
                         blocks=blocks, notes=notes, source=self.source(nv))

    def core_shapes(self, nv: NodeView, mapped: Mapped) -> tuple[tuple[Shape, ...], int, str]:
        """The layer's input shapes in its view, the batch N, and the output's layout."""
        acts = [i for i in mapped.slots if not nv.is_const(i)]
        if not acts:
            raise NotMapped("no computed input (constants only)")
        view = mapped.view
        if view == "follow":
            view = nv.layout(acts[0])
            if any(nv.layout(i) != view and len(nv.dims(i)) >= 3 for i in acts):
                raise NotMapped("inputs in different layouts")
        like = nv.dims(acts[0])
        shapes: list[Shape] = []
        for i in mapped.slots:
            if nv.is_const(i):
                operand = broadcast_operand(nv.dims(i), like, view)
                if operand is None:
                    raise NotMapped(f"a stored operand of shape {nv.dims(i)} that does not broadcast per sample")
                shapes.append(operand)
            else:
                shapes.append(seen(nv.dims(i), view)[0])
        n = seen(like, view)[1]
        out_view = mapped.out_view or view
        if len(nv.out_dims(0)) < 3:
            out_view = "plain"
        return tuple(shapes), n, out_view

    # ---- parameters ---------------------------------------------------------------------------------------
    def own(self, nv: NodeView, row: str) -> Owned:
        """The stored tensors this node reads as weights, counted here unless counted before."""
        owned = Owned()
        config = CONFIG_SLOTS.get(nv.op, frozenset())
        for slot, x in enumerate(nv.proto.input):
            if not x or not self.is_const(x):
                continue
            for stored in sorted(self.origin(x)):
                t = self.vals.stored.get(stored)
                if t is None:
                    continue
                elements = prod(t.dims)
                if slot in config or t.data_type in INDEX_TYPES or elements <= 1:
                    owned.constants += 1
                    continue
                if stored in self.owner:
                    owned.shared_with = owned.shared_with or self.owner[stored]
                    continue
                self.owner[stored] = row
                owned.weights.append((slot, stored, elements, nbytes(elements, t.data_type)))
        return owned

    def params(self, owned: Owned, c: Computed | None, state_slots: frozenset[int] = frozenset()) -> Params:
        learnt = [(n, e) for s, n, e, _ in owned.weights if s not in state_slots]
        stats = [(n, e) for s, n, e, _ in owned.weights if s in state_slots]
        learnt_bytes = sum(b for s, _, _, b in owned.weights if s not in state_slots)
        stats_bytes = sum(b for s, _, _, b in owned.weights if s in state_slots)
        trainable = _named_sum(learnt)
        if c is not None and c.trainable.value == trainable.value and trainable.value:
            trainable = c.trainable
        stat_q = _named_sum(stats)
        keras = self.conv.counting == "keras"
        core_stat = c.non_trainable if keras and c is not None else (c.state if c is not None else None)
        if core_stat is not None and core_stat.value == stat_q.value and stat_q.value:
            stat_q = core_stat
        if keras:
            return Params(trainable, stat_q, Quantity(ZERO), learnt_bytes, stats_bytes, 0, owned.shared_with)
        return Params(trainable, Quantity(ZERO), stat_q, learnt_bytes, 0, stats_bytes, owned.shared_with)

    def param_notes(self, nv: NodeView, owned: Owned, params: Params, c: Computed | None) -> tuple[str, ...]:
        notes: list[str] = []
        if owned.shared_with:
            notes.append(f"shared weights: counted once, at '{owned.shared_with}'")
        if owned.constants:
            notes.append(f"{owned.constants} stored constant input(s) (shapes, axes, scalars): not parameters")
        if nv.op == "Conv" and any(n.startswith(FOLDED_PREFIX) for _, n, _, _ in owned.weights):
            self.folded += 1
            notes.append("weights made by the exporter (onnx::Conv_…): a BatchNorm was folded into this conv")
        if c is not None and not owned.shared_with:
            core = c.trainable.value + c.non_trainable.value
            counted = params.trainable.value + params.non_trainable.value
            if core and core != counted:
                notes.append(f"the core's formula gives {core:,} parameters; the stored tensors hold {counted:,} "
                             "(counted)")
        return tuple(notes)

    # ---- measured -----------------------------------------------------------------------------------------
    def measured_call(self, nv: NodeView, name: str, blocks: tuple[str, ...]) -> LayerCall:
        out_dims = nv.outputs[0].dims if nv.outputs and nv.outputs[0] is not None else None
        layouts = tuple(nv.out_layout(i) for i in range(len(nv.outputs)))
        output = seen(out_dims, layouts[0])[0] if out_dims is not None else Shape(())
        acts = [i for i in range(len(nv.inputs)) if nv.has(i) and not nv.is_const(i)]
        rf = self.measured_field(nv, acts, layouts)
        self._finish_outputs(nv, name, layouts, rf)
        owned = self.own(nv, name)
        params = self.params(owned, None)
        elements = prod(out_dims) if out_dims is not None else 0
        measured = Measured(output, Quantity(Var("n", elements)), self.work(nv),
                            elements if nv.op in ELEMENTWISE or nv.op in ACTIVATIONS else 0)
        why, notes = self.reason(nv), list(self.param_notes(nv, owned, params, None))
        if out_dims is None:
            notes.append("ONNX's shape inference gave no shape for this output")
        if len(nv.outputs) > 1:
            notes.append("outputs: " + ", ".join(seen(v.dims, lay)[0].show("chw", seen(v.dims, lay)[1])
                                                 if v is not None and v.dims is not None else "?"
                                                 for v, lay in zip(nv.outputs, layouts)))
        found = _subgraphs(nv.proto)
        if found:
            self.subgraphs.append(f"{name}: {', '.join(found)}")
            notes.append("holds subgraphs " + ", ".join(found) + ": not analysed, their work is not counted")
        self.measured[nv.op] += 1
        shapes = tuple(seen(nv.dims(i), nv.layout(i))[0] for i in acts[:4] if nv.value(i).dims is not None)
        return LayerCall(name, MeasuredKind(nv.op), shapes, self._inputs(nv), measured=measured,
                         element_bytes=self._element(nv), params=params, receptive_field=rf, depth=len(blocks),
                         blocks=blocks, unmodelled=why, notes=tuple(notes), source=self.source(nv))

    def measured_field(self, nv: NodeView, acts: list[int], layouts: tuple[str, ...]) -> ReceptiveField:
        """A measured node keeps its input's receptive field when it keeps the image grid; else unknown."""
        out = nv.out_dims(0)
        if not acts or layouts[0] != "image":
            return UNKNOWN
        grids = [nv.dims(i)[2:] for i in acts if nv.layout(i) == "image"]
        if grids and all(g == out[2:] for g in grids):
            return self._field(nv, acts)
        return UNKNOWN

    def work(self, nv: NodeView) -> Quantity:
        counter = WORK.get(nv.op) if nv.proto.domain in ("", "ai.onnx") else None
        if counter is None:
            return Quantity(ZERO)
        try:
            return counter(nv)
        except (KeyError, IndexError, ValueError, ZeroDivisionError, CnnCalcError):
            return Quantity(ZERO)

    def reason(self, nv: NodeView) -> str:
        why = nv.attrs.get("__why__")
        domain = nv.proto.domain
        if domain not in ("", "ai.onnx"):
            return (f"not modelled: ONNX op {domain}.{nv.op} has no entry in the mapping table; shapes from ONNX "
                    "shape inference")
        if why:
            return f"not modelled: ONNX {nv.op} with {why}; shapes from ONNX shape inference"
        if nv.op in TABLE:
            return f"not modelled: ONNX {nv.op} on tensors of unknown shape"
        if nv.op in REASONS:
            return f"not modelled: {REASONS[nv.op]} (ONNX {nv.op}) has no core kind; shapes from ONNX shape inference"
        return f"not modelled: ONNX op {nv.op} has no entry in the mapping table; shapes from ONNX shape inference"

    def _element(self, nv: NodeView) -> int | None:
        v = nv.outputs[0] if nv.outputs else None
        return nbytes(1, v.elem) if v is not None and v.elem else None

    def source(self, nv: NodeView) -> str:
        domain = nv.proto.domain
        return f"onnx {domain + '.' if domain not in ('', 'ai.onnx') else ''}{nv.op}"
