"""From traced Keras calls to layer calls for the core's one assembler: mapped, measured, input and container
rows, each layer's parameter count checked against Keras's own.

Parameters belong to the first call that meets them (a shared layer, a nested model called twice: counted
once, the later rows say where). A mapped layer's count is the core's formula; it must equal what Keras
holds for the layer, trainable and non-trainable apart, or the analysis stops with the layer's name (a
bug to report, never a silent difference). Bytes use each variable's own dtype.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import prod
from typing import Any

from ...analysis import LayerCall, Measured, Params, Row, container_row, row_of
from ...conventions import DTYPE_BYTES, Conventions
from ...errors import CnnCalcError
from ...expr import ZERO, Quantity, Var, total
from ...kinds.base import Computed
from ...kinds.measured import Measured as MeasuredKind
from ...kinds.structural import Input
from ...receptive import ReceptiveField
from ...shape import Shape
from .graph import Call
from .mapping import Described, Entry, NotMapped, layer_for, lookup

UNKNOWN = ReceptiveField("unknown", note="not tracked through this operation")


class KerasMismatchError(CnnCalcError):
    """The core's formulas disagree with what Keras holds or infers for a layer (a bug to report)."""


def dims(spec: Any) -> tuple[int, ...]:
    """A KerasTensor's sample dims (batch axis dropped); every one must be known."""
    shape = tuple(spec.shape)[1:]
    if any(d is None for d in shape):
        raise CnnCalcError(f"a tensor of shape {tuple(spec.shape)} has unknown sizes",
                           hint="give the input shape: from_keras(model, input_shape=(224, 224, 3)), "
                                "or --input 1x224x224x3")
    return tuple(int(d) for d in shape)


def element_bytes(dtype: Any) -> int:
    name = str(getattr(dtype, "name", dtype)).replace("torch.", "")
    return DTYPE_BYTES.get(name, 4)


def _size(v: Any) -> int:
    return int(prod(int(d) for d in v.shape))


def _source(op: Any) -> str:
    return f"{type(op).__module__}.{type(op).__qualname__}"


def _named(variables: list[Any]) -> Quantity:
    return Quantity(total([Var(str(v.name), _size(v)) for v in variables]) if variables else ZERO)


@dataclass
class Owned:
    """A call's variables not met before (split trainable / non-trainable as Keras holds them), and the row
    where the others were counted."""

    trainable: list[Any] = field(default_factory=list)
    frozen: list[Any] = field(default_factory=list)
    shared_with: str | None = None

    def count(self) -> tuple[int, int]:
        return sum(_size(v) for v in self.trainable), sum(_size(v) for v in self.frozen)

    def bytes(self, variables: list[Any]) -> int:
        return sum(_size(v) * element_bytes(v.dtype) for v in variables)


@dataclass
class RowMaker:
    conv: Conventions
    batch: int
    rows: list[Row] = field(default_factory=list)
    owner: dict[int, str] = field(default_factory=dict)
    shapes: dict[int, Shape] = field(default_factory=dict)
    fields: dict[int, ReceptiveField] = field(default_factory=dict)

    # ---- tensors ---------------------------------------------------------------------------------------
    def shape_of(self, spec: Any, spatial: int | None = None) -> Shape:
        """The core shape of a tensor: as its producer's kind laid it out, else read from its dims."""
        known = self.shapes.get(id(spec))
        d = known.dims if known is not None else dims(spec)
        if spatial is not None and len(d) == spatial + 1:
            return Shape(d, spatial)
        if known is not None:
            return known
        return Shape(d, len(d) - 1 if len(d) >= 3 else 0)

    def field_of(self, specs: list[Any]) -> ReceptiveField:
        found = [self.fields.get(id(s), UNKNOWN) for s in specs]
        return ReceptiveField.widest(found) if found else UNKNOWN

    def produced(self, spec: Any, shape: Shape, rf: ReceptiveField) -> None:
        self.shapes[id(spec)], self.fields[id(spec)] = shape, rf

    # ---- parameters ------------------------------------------------------------------------------------
    def own(self, call: Call) -> Owned:
        """The call's variables not counted at an earlier row (claimed now for this one)."""
        owned = Owned()
        weights = list(getattr(call.op, "weights", []))
        frozen = {id(v) for v in call.op.non_trainable_weights} if weights else set()
        trainable = getattr(call.op, "trainable", True)
        for v in weights:
            if id(v) in self.owner:
                owned.shared_with = owned.shared_with or self.owner[id(v)]
                continue
            self.owner[id(v)] = call.name
            (owned.frozen if id(v) in frozen or not trainable else owned.trainable).append(v)
        return owned

    def checked(self, call: Call, owned: Owned, c: Computed, extra: Quantity | None) -> Params:
        """The core's counts, trainable/non-trainable as Keras holds them, checked against Keras."""
        learnt = c.trainable + extra if extra is not None and c.trainable.value else (extra or c.trainable)
        frozen = not getattr(call.op, "trainable", True)
        core_t, core_f = (Quantity(ZERO), _sum(learnt, c.non_trainable)) if frozen else (learnt, c.non_trainable)
        if not owned.trainable and not owned.frozen and owned.shared_with:
            return Params(shared_with=owned.shared_with)
        keras_t, keras_f = owned.count()
        if owned.shared_with or (core_t.value, core_f.value) != (keras_t, keras_f):
            if owned.shared_with:  # part of its variables counted elsewhere: Keras's own counts
                return Params(_named(owned.trainable), _named(owned.frozen), Quantity(ZERO),
                              owned.bytes(owned.trainable), owned.bytes(owned.frozen), 0, owned.shared_with)
            raise KerasMismatchError(
                f"layer '{call.name}' ({type(call.op).__name__}): the core counts {core_t.value:,} trainable and "
                f"{core_f.value:,} non-trainable parameters, but Keras holds {keras_t:,} and {keras_f:,}",
                hint="please report this with the layer's get_config()")
        return Params(core_t, core_f, c.state, owned.bytes(owned.trainable), owned.bytes(owned.frozen),
                      c.state.value * self.conv.dtype_bytes)

    # ---- rows ------------------------------------------------------------------------------------------
    def add(self, call: LayerCall) -> None:
        self.rows.append(row_of(call, self.conv))

    def input_row(self, call: Call) -> None:
        spec = call.outputs[0]
        shape = Shape(dims(spec), max(len(dims(spec)) - 1, 0))
        layer = Input(shape.dims, spatial=shape.spatial)
        rf = ReceptiveField.at_input(shape.spatial)
        self.produced(spec, shape, rf)
        self.add(LayerCall(call.name, layer, computed=layer.compute((), self.conv.counting), repeat=self.batch,
                           element_bytes=element_bytes(spec.dtype), receptive_field=rf,
                           notes=(f"dtype {spec.dtype}",), source=_source(call.op)))

    def emit(self, call: Call) -> None:
        if call.children:
            at = len(self.rows)
            for child in call.children:
                self.emit(child)
            self.rows.insert(at, self.container(call, self.rows[at:]))
            return
        entry = lookup(call.op)
        if isinstance(entry, Entry):
            try:
                self.add(self.mapped(call, entry))
                return
            except NotMapped as why:
                self.add(self.measured(call, f"not modelled: {why}"))
                return
        self.add(self.measured(call, entry.why if isinstance(entry, Described) else None,
                               elementwise=isinstance(entry, Described) and entry.elementwise))

    def mapped(self, call: Call, entry: Entry) -> LayerCall:
        picked = entry.pick(call.args, call.kwargs) if entry.pick else call.inputs
        shapes = tuple(self.shape_of(s, entry.spatial) for s in picked)
        layer = layer_for(call.op, entry, shapes)
        if not getattr(call.op, "trainable", True):
            layer = replace(layer, trainable=False)
        try:
            c = layer.compute(shapes, self.conv.counting)
        except CnnCalcError as err:  # the kind refuses what Keras accepted: measured, with the kind's reason
            raise NotMapped(f"the core's {layer.kind} refuses it ({err.message})") from None
        out = call.outputs[0]
        if c.output.dims != dims(out):
            raise KerasMismatchError(
                f"layer '{call.name}' ({type(call.op).__name__}): the core computes output {c.output.dims} "
                f"but Keras infers {dims(out)}", hint="please report this with the layer's get_config()")
        extra = entry.extra(call.op, shapes[0]) if entry.extra and shapes else None
        owned = self.own(call)
        params = self.checked(call, owned, c, extra[0] if extra else None)
        rf = self.field_of(list(picked)).through(c.rf)
        self.produced(out, c.output, rf)
        for other in call.outputs[1:]:
            self.produced(other, self.shape_of(other), UNKNOWN)
        notes = ((extra[1],) if extra else ()) + _shared_note(call, params.shared_with)
        return LayerCall(call.name, layer, shapes, call.input_names, computed=c, repeat=self.batch,
                         element_bytes=element_bytes(out.dtype), params=params, receptive_field=rf,
                         depth=call.depth, notes=notes, source=_source(call.op))

    def measured(self, call: Call, why: str | None, elementwise: bool = False) -> LayerCall:
        """A layer or operation no core kind models: shape and parameters from Keras, no MACs counted."""
        owned = self.own(call)
        params = Params(_named(owned.trainable), _named(owned.frozen), Quantity(ZERO), owned.bytes(owned.trainable),
                        owned.bytes(owned.frozen), 0, owned.shared_with)
        if params.shared_with and not owned.trainable and not owned.frozen:
            params = Params(shared_with=owned.shared_with)
        out = call.outputs[0] if call.outputs else None
        ins = [self.shape_of(s) for s in call.inputs]
        shape = self.shape_of(out) if out is not None else Shape(())
        same = [s for s in ins if s.dims == shape.dims]
        if same:
            shape = same[0]
        keeps = elementwise or (bool(same) and not hasattr(call.op, "weights"))
        rf = self.field_of(call.inputs) if keeps else UNKNOWN
        if out is not None:
            self.produced(out, shape, rf)
        for other in call.outputs[1:]:
            self.produced(other, self.shape_of(other), UNKNOWN)
        kind = type(call.op).__name__
        reason = why if why is not None and why.startswith("not modelled") else (
            f"not modelled: {why}" if why else _unmapped(call.op))
        return LayerCall(call.name, MeasuredKind(kind), tuple(ins[:4]), call.input_names,
                         measured=Measured(shape, Quantity(Var("n", shape.size)), Quantity(ZERO),
                                           shape.size if keeps else 0),
                         repeat=self.batch, element_bytes=element_bytes(out.dtype) if out is not None else None,
                         params=params, receptive_field=rf, depth=call.depth,
                         unmodelled=reason + "; shape and parameters from Keras, no MACs counted (nothing runs)",
                         notes=_shared_note(call, params.shared_with), source=_source(call.op))

    def container(self, call: Call, below: list[Row]) -> Row:
        out = call.outputs[0]
        shape = self.shape_of(out)
        return container_row(call.name, type(call.op).__name__, below,
                             input_shapes=tuple(self.shape_of(s) for s in call.inputs[:4]), output=shape,
                             output_elements=shape.size * self.batch,
                             output_bytes=shape.size * self.batch * element_bytes(out.dtype),
                             receptive_field=self.fields.get(id(out), UNKNOWN), depth=call.depth,
                             source=_source(call.op), layout=self.conv.layout, inputs=call.input_names)

    def leftover(self, model: Any) -> None:
        """Variables of the model that no layer call owned (a model's own weights): one measured row, never
        dropped."""
        rest = [v for v in model.weights if id(v) not in self.owner]
        if not rest:
            return
        trainable = {id(v) for v in model.trainable_weights}
        train = [v for v in rest if id(v) in trainable]
        frozen = [v for v in rest if id(v) not in trainable]
        owned = Owned(train, frozen)
        params = Params(_named(train), _named(frozen), Quantity(ZERO), owned.bytes(train), owned.bytes(frozen))
        self.add(LayerCall(f"{model.name}.weights", MeasuredKind("weights"),
                           measured=Measured(Shape(()), Quantity(ZERO)), params=params,
                           unmodelled="variables the model holds outside its layers' calls: counted, no shape"))


def _sum(a: Quantity, b: Quantity) -> Quantity:
    if not b.value:
        return a
    return a + b if a.value else b


def _unmapped(op: Any) -> str:
    if not hasattr(op, "weights"):
        return f"not modelled: the Keras operation {type(op).__name__} has no entry in the mapping table"
    return f"not modelled: {_source(op)} has no entry in the mapping table"


def _shared_note(call: Call, shared: str | None) -> tuple[str, ...]:
    if not shared:
        return ()
    what = "the same layer, called again" if call.number > 1 else "shared weights"
    return (f"{what}: parameters counted once, at '{shared}'",)
