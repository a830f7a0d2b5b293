"""From a traced call tree to cnncalc's rows: mapped, measured, functional, container and input rows.

Parameters are owned by the first module (in module order) that holds them: a mapped module owns
everything under it, a container its direct parameters. A parameter met again (a tied weight, a
module called twice) is counted 0 and the row says where it was counted. Bytes use each tensor's
own dtype.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import Tensor, nn

from ...analysis import Row
from ...conventions import Conventions
from ...expr import ZERO, Expr, Num, Quantity, Var, total
from ...kinds.base import Layer
from ...kinds.structural import Input
from ...receptive import ReceptiveField
from ...shape import Shape
from .mapping import image, plain
from .trace import UNKNOWN, Call, ModelMismatchError, Tracer


@dataclass(frozen=True)
class Measured(Layer):
    """A PyTorch module (or a module's own operations) whose numbers were measured, not modelled."""

    kind = "module"
    type_name: str = "module"

    @property
    def label(self) -> str:
        return self.type_name


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


def scaled(q: Quantity, n: int) -> Quantity:
    return q if n == 1 or not q.value else Quantity(Var("N", n) * q.expr)


def _flops(macs: Quantity, extra: int, conv: Conventions) -> Quantity:
    terms: list[Expr] = []
    if macs.value:
        terms.append(Num(conv.flops_per_mac) * Var("MACs", macs.value))
    if extra:
        terms.append(Var("element-wise", extra))
    return Quantity(total(terms))


def _split(params: list[tuple[str, Tensor]], modelled: Quantity | None) -> tuple[Quantity, Quantity]:
    """(trainable, non-trainable) from requires_grad, keeping the core's formula when all agree."""
    train = [(n, t) for n, t in params if t.requires_grad]
    frozen = [(n, t) for n, t in params if not t.requires_grad]
    if modelled is not None and not frozen:
        return modelled, Quantity(ZERO)
    if modelled is not None and not train:
        return Quantity(ZERO), modelled
    return _named_sum(train), _named_sum(frozen)


@dataclass
class RowMaker:
    tracer: Tracer
    owners: dict[int, Owned]
    conv: Conventions
    rows: list[Row] = field(default_factory=list)
    first_call: dict[int, str] = field(default_factory=dict)
    orphans: dict[str, list[nn.Module]] = field(default_factory=dict)

    def shown(self, t: Tensor | None) -> Shape:
        """A measured tensor's shape, laid out as its producer laid it out (a float tensor of 3+ axes from
        an unknown producer reads as (N, C, *spatial))."""
        if t is None:
            return Shape(())
        return image(t)[0] if t.is_floating_point() and self.tracer.is_image(t, unknown_from=3) else plain(t)[0]

    def input_row(self, name: str, t: Tensor) -> None:
        shape = image(t)[0] if t.dim() >= 3 and t.is_floating_point() else plain(t)[0]
        dims = tuple(int(d) for d in t.shape[1:]) or (1,)
        layer = Input(dims, layout="chw", spatial=shape.spatial) if shape.spatial else Input(dims, spatial=0)
        act = Quantity(Var("N", int(t.shape[0])) * shape.size_expr()) if t.dim() > 1 else Quantity(
            Var("n", t.numel()))
        self.rows.append(Row(
            name=name, kind="input", layer=layer, inputs=(), input_shapes=(), output_shape=shape, activations=act,
            trainable=Quantity(ZERO), non_trainable=Quantity(ZERO), state=Quantity(ZERO), macs=Quantity(ZERO),
            flops=Quantity(ZERO), receptive_field=ReceptiveField.at_input(shape.spatial), param_bytes=0,
            activation_bytes=t.numel() * t.element_size(), notes=(f"dtype {str(t.dtype).replace('torch.', '')}",),
        ))

    def emit(self, call: Call, depth: int) -> None:
        if call.atomic:
            self.rows.append(self.atomic_row(call, depth))
            return
        at = len(self.rows)
        for child in call.children:
            self.emit(child, depth + 1)
        own = self.owners[id(call.module)] if call.number == 1 else Owned()
        if call.op_calls or own.params or own.buffers or call.op_macs:
            self.rows.append(self.functional_row(call, own, depth + 1))
        if call.number == 1:
            self.uncalled(call, depth + 1)
        if call.parent is not None:  # the model itself is the totals line, not a row
            self.rows.insert(at, self.container_row(call, self.rows[at:], depth))

    def _params(self, call: Call, modelled: Quantity | None) -> tuple[Quantity, Quantity, Quantity, int, str | None]:
        """trainable, non-trainable, state, bytes and shared-with for a call's row."""
        own = self.owners[id(call.module)]
        if call.number > 1:
            reused = self.first_call.get(id(call.module)) if own.every_param or own.every_buffer else None
            return Quantity(ZERO), Quantity(ZERO), Quantity(ZERO), 0, reused
        self.first_call[id(call.module)] = call.name
        shared = own.shared_from if own.shared_from else None
        counted_all = sum(t.numel() for _, t in own.params) == own.every_param
        train, frozen = _split(own.params, modelled if counted_all else None)
        state = _named_sum(own.buffers)
        return train, frozen, state, _bytes(own.params), shared

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

    def atomic_row(self, call: Call, depth: int) -> Row:
        if call.computed is not None and call.layer is not None and call.output_shape is not None:
            return self.mapped_row(call, depth)
        return self.measured_row(call, depth)

    def mapped_row(self, call: Call, depth: int) -> Row:
        c, layer, n = call.computed, call.layer, call.leading
        assert c is not None and layer is not None and call.output_shape is not None
        self._check_params(call)
        core_params = c.trainable + c.non_trainable if c.non_trainable.value else c.trainable
        train, frozen, state, pbytes, shared = self._params(call, core_params)
        if c.state.value and c.state.value == state.value:
            state = c.state  # the core's formula, e.g. 2·C + 1 for BatchNorm's buffers
        macs = scaled(c.macs, n)
        extra = n * ((c.bias_flops.value if self.conv.count_bias_flops else 0)
                     + (c.elementwise_flops.value if self.conv.count_elementwise_flops else 0))
        warnings = c.warnings
        if call.counted_macs != macs.value:
            warnings += (f"PyTorch's operators did {call.counted_macs:,} MACs here, the core's formula "
                         f"{macs.value:,}",)
        out = call.outputs[0]
        return self._row(call, depth, kind=layer.label, layer=layer, inputs=call.shapes, output=c.output,
                         activations=scaled(Quantity(c.output.size_expr()), n), trainable=train, non_trainable=frozen,
                         state=state, macs=macs, flops=_flops(macs, extra, self.conv), pbytes=pbytes,
                         abytes=out.numel() * out.element_size(), steps=c.shape_steps,
                         notes=c.notes + self._shared_note(call, shared), warnings=warnings, shared=shared)

    def _shared_note(self, call: Call, shared: str | None) -> tuple[str, ...]:
        if not shared:
            return ()
        what = "the same module, called again" if call.number > 1 else "tied/shared parameters"
        return (f"{what}: parameters counted once, at '{shared}'",)

    def measured_row(self, call: Call, depth: int) -> Row:
        train, frozen, state, pbytes, shared = self._params(call, None)
        macs = Quantity(total([Var(f"aten.{k}", v) for k, v in call.op_macs.items()]) if call.op_macs else ZERO)
        extra = call.elementwise if self.conv.count_elementwise_flops else 0
        out = call.outputs[0] if call.outputs else None
        kind = f"{type(call.module).__module__}.{type(call.module).__qualname__}"
        why = call.unmodelled or f"not modelled: {kind} has no entry in the mapping table; shapes, parameters and " \
            "MACs measured"
        if not call.outputs:
            why = ("not called by forward(): parameters counted, no shapes" if id(call.module) not in self.tracer.calls
                   else "the forward pass failed inside this module: parameters counted, no output shape")
        return self._row(call, depth, kind=type(call.module).__name__, layer=Measured(type(call.module).__name__),
                         inputs=tuple(self.shown(t) for t in call.inputs[:4]), output=self.shown(out),
                         activations=Quantity(Var("n", out.numel()) if out is not None else ZERO),
                         trainable=train, non_trainable=frozen, state=state, macs=macs,
                         flops=_flops(macs, extra, self.conv), pbytes=pbytes,
                         abytes=out.numel() * out.element_size() if out is not None else 0, steps=(),
                         notes=self._shared_note(call, shared) + self._ops_note(call), warnings=(), shared=shared,
                         unmodelled=why)

    @staticmethod
    def _ops_note(call: Call) -> tuple[str, ...]:
        if not call.op_calls:
            return ()
        ops = ", ".join(f"{k} ×{v}" for k, v in sorted(call.op_calls.items(), key=lambda kv: -kv[1])[:8])
        return (f"operators: {ops}",)

    def functional_row(self, call: Call, own: Owned, depth: int) -> Row:
        train, frozen = _split(own.params, None)
        macs = Quantity(total([Var(f"aten.{k}", v) for k, v in call.op_macs.items()]) if call.op_macs else ZERO)
        out = call.last_output
        extra = call.elementwise if self.conv.count_elementwise_flops else 0
        name = f"{call.path}.forward" if call.path else "forward"
        if call.number > 1:
            name += f"#{call.number}"
        return Row(
            name=name, kind="functional", layer=Measured("functional"), inputs=(),
            input_shapes=(), output_shape=self.shown(out),
            activations=Quantity(Var("n", call.produced)), trainable=train, non_trainable=frozen,
            state=_named_sum(own.buffers), macs=macs, flops=_flops(macs, extra, self.conv),
            receptive_field=self.tracer.field_of(out) if out is not None else UNKNOWN,
            param_bytes=_bytes(own.params), activation_bytes=call.produced * (out.element_size() if out is not None
                                                                               else 4),
            notes=self._ops_note(call), source=type(call.module).__name__, depth=depth,
            unmodelled=f"work in {type(call.module).__name__}.forward outside its submodules (operators, "
                       "functional calls, its own parameters), measured at dispatch level",
        )

    def uncalled(self, call: Call, depth: int) -> None:
        """Rows for modules that forward() never called, under their nearest called ancestor."""
        prefix = f"{call.path}." if call.path else ""
        for module in self.orphans.get(call.path, []):
            path = self.tracer.paths.get(id(module), "")
            own = self.owners[id(module)]
            if own.params or own.buffers or id(module) in self.tracer.atomic:
                ghost = Call(module, path, 1, call, id(module) in self.tracer.atomic)
                self.rows.append(self.measured_row(ghost, depth + path[len(prefix):].count(".")))

    def container_row(self, call: Call, below: list[Row], depth: int) -> Row:
        leaves = [r for r in below if not r.is_container]
        out = call.outputs[0] if call.outputs else None
        macs = sum(r.macs.value for r in leaves)
        return Row(
            name=call.name, kind=type(call.module).__name__, layer=Measured(type(call.module).__name__),
            inputs=(), input_shapes=tuple(self.shown(t) for t in call.inputs[:4]),
            output_shape=self.shown(out), activations=Quantity(Var("n", out.numel()) if out is not None else ZERO),
            trainable=Quantity(Var("Σ trainable", sum(r.trainable.value for r in leaves))),
            non_trainable=Quantity(Var("Σ non-trainable", sum(r.non_trainable.value for r in leaves))),
            state=Quantity(Var("Σ state", sum(r.state.value for r in leaves))),
            macs=Quantity(Var("Σ MACs", macs)), flops=Quantity(Var("Σ FLOPs", sum(r.flops.value for r in leaves))),
            receptive_field=call.rf_out, param_bytes=sum(r.param_bytes for r in leaves),
            activation_bytes=out.numel() * out.element_size() if out is not None else 0,
            notes=("container: its numbers roll up the rows below it",), source=_source(call.module), depth=depth,
            is_container=True,
        )

    def _row(self, call: Call, depth: int, **f: Any) -> Row:
        return Row(
            name=call.name, kind=f["kind"], layer=f["layer"], inputs=(), input_shapes=f["inputs"],
            output_shape=f["output"], activations=f["activations"], trainable=f["trainable"],
            non_trainable=f["non_trainable"], state=f["state"], macs=f["macs"], flops=f["flops"],
            receptive_field=call.rf_out, param_bytes=f["pbytes"], activation_bytes=f["abytes"],
            shape_steps=f["steps"], notes=f["notes"], warnings=f["warnings"], source=_source(call.module),
            depth=depth, unmodelled=f.get("unmodelled"), shares_params_with=f["shared"],
        )


def _source(module: nn.Module) -> str:
    return f"{type(module).__module__}.{type(module).__qualname__}"


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
