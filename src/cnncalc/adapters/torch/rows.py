"""From a traced call tree to layer calls for the core's one assembler: mapped, measured, own-work,
container and input rows.

Parameters are owned by the first module (in module order) that holds them: a mapped module owns
everything under it, a container its direct parameters. A parameter met again (a tied weight, a
module called twice) is counted 0 and the row says where it was counted. Bytes use each tensor's
own dtype. A container's own work (a residual add, ``torch.cat``, a class token) is one row per stretch
between its child calls, placed where it happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from torch import Tensor, nn

from ...analysis import LayerCall, Measured, Params, Row, container_row, row_of
from ...conventions import Conventions
from ...expr import ZERO, Quantity, Var, total
from ...kinds.measured import Measured as MeasuredKind
from ...kinds.structural import Input
from ...receptive import ReceptiveField
from ...shape import Shape
from .mapping import BATCH_FIRST, batch_second, image, plain
from .trace import UNKNOWN, Call, ModelMismatchError, Tracer, Work


@dataclass
class Owned:
    """The tensors a module's row counts, and the ones it reuses from an earlier owner."""

    params: list[tuple[str, Tensor]] = field(default_factory=list)
    buffers: list[tuple[str, Tensor]] = field(default_factory=list)
    shared_from: str | None = None
    every_param: int = 0
    every_buffer: int = 0


def ownership(tracer: Tracer) -> dict[int, Owned]:
    """Who counts which parameter and buffer: the first owner in module order."""
    seen: dict[int, str] = {}
    owners: dict[int, Owned] = {}
    for module in tracer.hooked:
        recurse = id(module) in tracer.atomic
        path = tracer.paths.get(id(module), "")
        own = Owned()
        for kind, named in (("p", module.named_parameters(recurse=recurse)),
                            ("b", module.named_buffers(recurse=recurse))):
            for name, t in named:
                if kind == "p":
                    own.every_param += t.numel()
                else:
                    own.every_buffer += t.numel()
                if id(t) in seen:
                    own.shared_from = own.shared_from or seen[id(t)]
                    continue
                seen[id(t)] = path or "model"
                (own.params if kind == "p" else own.buffers).append((name, t))
        owners[id(module)] = own
    return owners


def _bytes(tensors: list[tuple[str, Tensor]]) -> int:
    return sum(t.numel() * t.element_size() for _, t in tensors)


def _named_sum(tensors: list[tuple[str, Tensor]]) -> Quantity:
    return Quantity(total([Var(n, t.numel()) for n, t in tensors]) if tensors else ZERO)


def _params(own: Owned, modelled: Quantity | None = None, state: Quantity | None = None,
            shared: str | None = None) -> Params:
    """Trainable / frozen from requires_grad, keeping the core's formula when all agree; buffers are state."""
    train = [(n, t) for n, t in own.params if t.requires_grad]
    frozen = [(n, t) for n, t in own.params if not t.requires_grad]
    if modelled is not None and not frozen:
        tq, fq = modelled, Quantity(ZERO)
    elif modelled is not None and not train:
        tq, fq = Quantity(ZERO), modelled
    else:
        tq, fq = _named_sum(train), _named_sum(frozen)
    measured_state = _named_sum(own.buffers)
    sq = state if state is not None and state.value == measured_state.value else measured_state
    return Params(tq, fq, sq, _bytes(train), _bytes(frozen), _bytes(own.buffers), shared)


def _ops_macs(work: Work) -> Quantity:
    return Quantity(total([Var(f"aten.{k}", v) for k, v in work.op_macs.items()]) if work.op_macs else ZERO)


def _ops_note(work: Work) -> tuple[str, ...]:
    if not work.op_calls:
        return ()
    ops = ", ".join(f"{k} ×{v}" for k, v in sorted(work.op_calls.items(), key=lambda kv: -kv[1])[:8])
    return (f"operators: {ops}",)


def _source(module: nn.Module) -> str:
    return f"{type(module).__module__}.{type(module).__qualname__}"


def _storage(t: Tensor) -> int | None:
    """The identity of a tensor's storage (views and in-place results share it), None if it has none."""
    try:
        return int(t.untyped_storage()._cdata)
    except (RuntimeError, NotImplementedError):
        return None


def _main_op(work: Work) -> str:
    """The operator a stretch of own work is named after: the one with the most MACs, else the first."""
    if work.op_macs:
        name = max(work.op_macs, key=lambda k: work.op_macs[k])
    else:
        name = next(iter(work.op_calls), "params")
    return name.strip("_") or "op"


@dataclass
class RowMaker:
    tracer: Tracer
    owners: dict[int, Owned]
    conv: Conventions
    rows: list[Row] = field(default_factory=list)
    first_call: dict[int, str] = field(default_factory=dict)
    orphans: dict[str, list[nn.Module]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    #: whether a forward ran (False: no input was given and the forward needs one: parameters only)
    ran: bool = True
    #: storage → (a tensor holding it, the row that made it): the data flow between rows, for memory
    producers: dict[int, tuple[Tensor, str]] = field(default_factory=dict)

    def flow(self, reads: list[Tensor], out: Tensor | None) -> tuple[tuple[str, ...], int | None]:
        """The rows that made the tensors a call read (a view reads its base's maker), and the index of the one
        whose storage its output shares (in place, a view, the identity), as the forward ran."""
        names: list[str] = []
        keys: list[int | None] = []
        for t in reads:
            entry = self.producers.get(_storage(t) or -1)
            if entry is not None:
                names.append(entry[1])
                keys.append(_storage(t))
        key = _storage(out) if out is not None else None
        return tuple(names), keys.index(key) if key is not None and key in keys else None

    def made(self, name: str, outs: list[Tensor]) -> None:
        for t in outs:
            key = _storage(t)
            if key is not None:
                self.producers[key] = (t, name)

    def shown(self, t: Tensor | None) -> Shape:
        """A measured tensor's shape, laid out as its producer laid it out (a float tensor of 3+ axes from
        an unknown producer reads as (N, C, *spatial))."""
        if t is None:
            return Shape(())
        if self.tracer.is_sequence_first(t):
            return batch_second(t)[0]
        return image(t)[0] if t.is_floating_point() and self.tracer.is_image(t, unknown_from=3) else plain(t)[0]

    def add(self, call: LayerCall, outs: list[Tensor] | None = None) -> None:
        self.names.add(call.name)
        self.rows.append(row_of(call, self.conv))
        self.made(call.name, outs or [])

    def input_row(self, name: str, t: Tensor) -> None:
        """An input's row. One rule for the batch axis everywhere: the axis its readers treat as the batch
        (axis 1 of a sequence-first (L, N, F) input of an RNN or attention with batch_first=False, else axis 0)."""
        if self.tracer.batch_of(t) == 1:
            shape, n = batch_second(t)
            layer: Input = Input(shape.dims, spatial=0)
            self.add(LayerCall(name, layer, computed=layer.compute((), "torch"), repeat=n,
                               element_bytes=t.element_size(), receptive_field=ReceptiveField.at_input(0),
                               notes=(f"dtype {str(t.dtype).replace('torch.', '')}; sequence-first (L, N, F): "
                                      "the batch is axis 1",)), [t])
            return
        view = self.tracer.reader_view(t)
        as_image = view is image if view in (image, plain, BATCH_FIRST) else t.dim() >= 3 and t.is_floating_point()
        shape = image(t)[0] if as_image else plain(t)[0]
        dims = tuple(int(d) for d in t.shape[1:]) or (1,)
        layer = Input(dims, layout="chw", spatial=shape.spatial) if shape.spatial else Input(dims, spatial=0)
        n = int(t.shape[0]) if t.dim() > 1 else 1
        computed = layer.compute((), "torch")
        if computed.output != shape:  # a 1-D input: one sample of its length
            computed = type(computed)(output=shape)
        self.add(LayerCall(name, layer, computed=computed, repeat=n, element_bytes=t.element_size(),
                           receptive_field=ReceptiveField.at_input(shape.spatial),
                           notes=(f"dtype {str(t.dtype).replace('torch.', '')}",)), [t])

    def emit(self, call: Call, depth: int) -> None:
        if call.atomic:
            self.add(self.atomic_call(call, depth), call.outputs)
            return
        at = len(self.rows)
        own = self.owners[id(call.module)] if call.number == 1 else Owned()
        pending = own if (own.params or own.buffers) else None
        segments = [s for s in call.segments if s.op_calls or s.op_macs]  # not views alone (x.flatten(1))
        for index, child in enumerate([*call.children, None]):
            for seg in [s for s in segments if s.after == index]:
                self.add(self.own_work_call(call, seg, pending or Owned(), depth + 1),
                         [seg.last_output] if seg.last_output is not None else [])
                pending = None
            if child is not None:
                self.emit(child, depth + 1)
        if pending is not None:  # own parameters, no own work (e.g. used only by a child's functional call)
            self.add(self.own_work_call(call, Work(), pending, depth + 1))
        if call.number == 1:
            self.uncalled(call, depth + 1)
        if call.parent is not None:  # the model itself is the totals line, not a row
            self.rows.insert(at, self.container(call, self.rows[at:], depth))

    def _check_params(self, call: Call) -> None:
        c, own = call.computed, self.owners[id(call.module)]
        assert c is not None
        core = c.trainable.value + c.non_trainable.value
        for what, mine, theirs in (("parameters", core, own.every_param), ("buffers", c.state.value,
                                                                          own.every_buffer)):
            if mine != theirs:
                raise ModelMismatchError(
                    f"module '{call.name}' ({type(call.module).__name__}): the core counts {mine:,} {what} "
                    f"but PyTorch holds {theirs:,}", hint="please report this with the module's arguments")

    def _call_params(self, call: Call, modelled: Quantity | None, state: Quantity | None) -> Params:
        own = self.owners[id(call.module)]
        if call.number > 1:
            reused = self.first_call.get(id(call.module)) if own.every_param or own.every_buffer else None
            return Params(shared_with=reused)
        self.first_call[id(call.module)] = call.name
        counted_all = sum(t.numel() for _, t in own.params) == own.every_param
        return _params(own, modelled if counted_all else None, state, own.shared_from)

    def _shared_note(self, call: Call, shared: str | None) -> tuple[str, ...]:
        if not shared:
            return ()
        what = "the same module, called again" if call.number > 1 else "tied/shared parameters"
        return (f"{what}: parameters counted once, at '{shared}'",)

    def atomic_call(self, call: Call, depth: int) -> LayerCall:
        if call.computed is not None and call.layer is not None and call.output_shape is not None:
            return self.mapped_call(call, depth)
        return self.measured_call(call, depth)

    def mapped_call(self, call: Call, depth: int) -> LayerCall:
        c, layer = call.computed, call.layer
        assert c is not None and layer is not None
        self._check_params(call)
        core_params = c.trainable + c.non_trainable if c.non_trainable.value else c.trainable
        params = self._call_params(call, core_params, c.state)
        warnings: tuple[str, ...] = ()
        expected = c.macs.value * call.leading
        if call.counted_macs != expected:
            warnings = (f"PyTorch's operators did {call.counted_macs:,} MACs here, the core's formula "
                        f"{expected:,}",)
        inputs, aliases = self.flow(call.picked or call.inputs, call.outputs[0])
        return LayerCall(call.name, layer, call.shapes, inputs, computed=c, repeat=call.leading, aliases=aliases,
                         element_bytes=call.outputs[0].element_size(), params=params,
                         receptive_field=call.rf_out, depth=depth, notes=self._shared_note(call, params.shared_with),
                         warnings=warnings, source=_source(call.module))

    def measured_call(self, call: Call, depth: int) -> LayerCall:
        params = self._call_params(call, None, None)
        out = call.outputs[0] if call.outputs else None
        kind = _source(call.module)
        why = call.unmodelled or f"not modelled: {kind} has no entry in the mapping table; shapes, parameters and " \
            "MACs measured"
        if not call.outputs and not self.ran:
            why = "no input given, so no forward ran: parameters counted, no shapes"
        elif not call.outputs:
            why = ("not called by forward(): parameters counted, no shapes" if id(call.module) not in self.tracer.calls
                   else "the forward pass failed inside this module: parameters counted, no output shape")
        measured = Measured(self.shown(out), Quantity(Var("n", out.numel()) if out is not None else ZERO),
                            _ops_macs(call), call.elementwise)
        inputs, aliases = self.flow(call.inputs, out)
        return LayerCall(call.name, MeasuredKind(type(call.module).__name__, tuple(call.op_calls)),
                         tuple(self.shown(t) for t in call.inputs[:4]), inputs, measured=measured, aliases=aliases,
                         element_bytes=out.element_size() if out is not None else None, params=params,
                         receptive_field=call.rf_out, depth=depth, unmodelled=why,
                         notes=self._shared_note(call, params.shared_with) + _ops_note(call),
                         source=_source(call.module))

    def own_work_call(self, call: Call, work: Work, own: Owned, depth: int) -> LayerCall:
        """A stretch of a container's own work (operators between its child calls), and its own parameters."""
        prefix = f"{call.path}." if call.path else ""
        base = prefix + (_main_op(work) if work.op_calls or work.op_macs else "params")
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}#{k}"
        out = work.last_output
        measured = Measured(self.shown(out), Quantity(Var("n", work.produced)), _ops_macs(work), work.elementwise)
        inputs, aliases = self.flow(work.consumed, out)
        return LayerCall(name, MeasuredKind("functional", tuple(work.op_calls)),
                         tuple(self.shown(t) for t in work.consumed[:4]), inputs, measured=measured, aliases=aliases,
                         element_bytes=out.element_size() if out is not None else None, params=_params(own),
                         receptive_field=self.tracer.field_of(out) if out is not None else UNKNOWN, depth=depth,
                         notes=_ops_note(work), source=type(call.module).__name__,
                         unmodelled=f"work in {type(call.module).__name__}.forward outside its submodules "
                         "(operators, functional calls, its own parameters), measured at dispatch level")

    def uncalled(self, call: Call, depth: int) -> None:
        """Rows for modules that forward() never called, under their nearest called ancestor: a measured row for
        each that holds parameters or maps to a kind, and a container row for each that holds such rows (an
        auxiliary head: ``--depth`` then keeps its parameters in view)."""
        prefix = f"{call.path}." if call.path else ""
        opened: list[tuple[Call, int, int]] = []  # uncalled containers whose rows follow: (ghost, first row, depth)
        for module in self.orphans.get(call.path, []):
            path = self.tracer.paths.get(id(module), "")
            while opened and not path.startswith(opened[-1][0].path + "."):
                self._close_uncalled(*opened.pop())
            atomic = id(module) in self.tracer.atomic
            ghost = Call(module, path, 1, call, atomic)
            own, at = self.owners[id(module)], depth + path[len(prefix):].count(".")
            if own.params or own.buffers or atomic:
                self.add(self.measured_call(ghost, at))
            elif next(module.children(), None) is not None:
                opened.append((ghost, len(self.rows), at))
        while opened:
            self._close_uncalled(*opened.pop())

    def _close_uncalled(self, ghost: Call, first: int, depth: int) -> None:
        if len(self.rows) > first:
            row = self.container(ghost, self.rows[first:], depth)
            why = "not called by forward()" if self.ran else "no input given, so no forward ran"
            self.rows.insert(first, replace(row, notes=(*row.notes, f"{why}: no shapes")))

    def container(self, call: Call, below: list[Row], depth: int) -> Row:
        out = call.outputs[0] if call.outputs else None
        return container_row(call.name, type(call.module).__name__, below,
                             input_shapes=tuple(self.shown(t) for t in call.inputs[:4]), output=self.shown(out),
                             output_elements=out.numel() if out is not None else 0,
                             output_bytes=out.numel() * out.element_size() if out is not None else 0,
                             receptive_field=call.rf_out, depth=depth, source=_source(call.module),
                             layout=self.conv.layout)


def orphans(tracer: Tracer) -> dict[str, list[nn.Module]]:
    """Modules never called, grouped by the path of their nearest called ancestor."""
    called = {tracer.paths.get(id(m), "") for m in tracer.hooked if id(m) in tracer.calls}
    out: dict[str, list[nn.Module]] = {}
    for module in tracer.hooked:
        if id(module) in tracer.calls:
            continue
        path = tracer.paths.get(id(module), "")
        up = path
        while up and up not in called:
            up = up.rsplit(".", 1)[0] if "." in up else ""
        out.setdefault(up, []).append(module)
    return out
