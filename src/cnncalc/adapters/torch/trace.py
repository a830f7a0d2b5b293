"""One forward pass on the meta device, watched at two levels.

Module hooks keep a stack of calls (a tree in execution order); a TorchDispatchMode sees every
aten operator and charges its MACs (counter.py) to the innermost call on the stack. Modules in
the mapping table are computed by their core kind as soon as they return, and their outputs'
receptive fields follow from the core's rule; operators outside mapped modules carry receptive
fields forward (point-wise ops and concatenation keep the widest; anything else loses track).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from ...errors import ArgumentError, CnnCalcError, ShapeError
from ...kinds.base import Computed, Counting, Layer
from ...receptive import ReceptiveField
from ...shape import Shape
from .counter import macs_of
from .functional import through_functional
from .mapping import SEQUENCE_FIRST, Mapped, NotMapped, Unsqueezed, follow, image, lookup, plain

UNKNOWN = ReceptiveField("unknown", note="not tracked through this operation")


class ModelMismatchError(CnnCalcError):
    """The core's formulas disagree with what PyTorch measured for a module (a bug to report)."""


@dataclass(eq=False, kw_only=True)
class Work:
    """Operators counted at dispatch level: MACs and calls per operator name, element-wise output elements."""

    op_macs: dict[str, int] = field(default_factory=dict)
    op_calls: dict[str, int] = field(default_factory=dict)
    elementwise: int = 0
    produced: int = 0
    last_output: Tensor | None = None
    #: tensors read that this work did not make (its inputs, in the order first read), and the ids it made
    consumed: list[Tensor] = field(default_factory=list)
    made: set[int] = field(default_factory=set)

    def read(self, args: tuple[Any, ...], out: Any) -> None:
        """Note the tensors an operator read that this work did not make, and the ones it made."""
        for t in tree_leaves(args):
            if isinstance(t, Tensor) and id(t) not in self.made and all(t is not i for i in self.consumed):
                self.consumed.append(t)
        self.made.update(id(t) for t in tree_leaves(out) if isinstance(t, Tensor))

    def add(self, name: str, macs: int) -> None:
        if macs:
            self.op_macs[name] = self.op_macs.get(name, 0) + macs

    def produce(self, name: str, out: Tensor, macs: int) -> None:
        self.op_calls[name] = self.op_calls.get(name, 0) + 1
        self.produced += int(out.numel())
        self.last_output = out
        if not macs:
            self.elementwise += int(out.numel())

    @property
    def counted_macs(self) -> int:
        return sum(self.op_macs.values())


@dataclass(eq=False, kw_only=True)
class Segment(Work):
    """A container's own work between two child calls: ``after`` children had been called when it began."""

    after: int = 0


@dataclass(eq=False)
class Call(Work):
    """One call of one module: its tensors, the core's numbers if mapped, and the work charged to it."""

    module: nn.Module
    path: str
    number: int
    parent: Call | None
    atomic: bool
    inputs: list[Tensor] = field(default_factory=list)
    outputs: list[Tensor] = field(default_factory=list)
    children: list[Call] = field(default_factory=list)
    #: a container's own work, split where its children were called (execution order)
    segments: list[Segment] = field(default_factory=list)
    layer: Layer | None = None
    computed: Computed | None = None
    shapes: tuple[Shape, ...] = ()
    output_shape: Shape | None = None
    leading: int = 1
    unmodelled: str | None = None
    rf_in: ReceptiveField = UNKNOWN
    rf_out: ReceptiveField = UNKNOWN
    view: Any = None
    #: the input had no batch axis (Conv2d on (C, H, W), an Embedding of positions (T,))
    unbatched: bool = False
    #: the tensors a mapped module's core kind reads, in the kind's order (its inputs for the memory rules)
    picked: list[Tensor] = field(default_factory=list)

    @property
    def name(self) -> str:
        base = self.path or "model"
        return base if self.number == 1 else f"{base}#{self.number}"


def _rebuilds_weights(module: nn.Module) -> bool:
    """Whether the module's forward pre-hooks rebuild its weights on each call (old-style weight_norm and
    spectral_norm); other pre-hooks (a user's) only see or change its inputs, which the tracer sees after them."""
    from torch.nn.utils.spectral_norm import SpectralNorm
    from torch.nn.utils.weight_norm import WeightNorm

    return any(isinstance(h, (WeightNorm, SpectralNorm)) for h in module._forward_pre_hooks.values())


def _type_name(module: nn.Module) -> str:
    return type(module).__name__


class Tracer:
    """Hooks and counters for one analysis; ``run`` leaves the model as it found it."""

    def __init__(self, model: nn.Module, counting: Counting = "torch") -> None:
        self.model = model
        self.counting = counting
        self.paths: dict[int, str] = {id(m): p for p, m in model.named_modules()}
        self.atomic: set[int] = set()
        self.hooked: list[nn.Module] = []
        #: modules whose own forward pre-hooks (weight_norm, spectral_norm) rewrite their weights per call
        self.prehooked = {id(m) for m in model.modules() if _rebuilds_weights(m)}
        self._find_atomic(model)
        self.stack: list[Call] = []
        self.roots: list[Call] = []
        self.calls: dict[int, int] = {}
        self.fields: dict[int, tuple[Tensor, ReceptiveField]] = {}
        #: tensor id → (tensor, whether a spatial layer laid it out as (N, C, *spatial))
        self.images: dict[int, tuple[Tensor, bool]] = {}
        #: tensor id → tensor laid out (L, N, F) by a sequence-first layer (an RNN or attention with
        #: batch_first=False) or by a layer that read one so: its batch is axis 1, as its readers' is
        self.sequence_first: dict[int, Tensor] = {}
        self.error: CnnCalcError | None = None
        #: tensor id → (tensor, the view its first mapped reader read it with): an input's layout and batch axis
        self.read_as: dict[int, tuple[Tensor, Any]] = {}
        self._pointwise: dict[Any, bool] = {}

    def _find_atomic(self, root: nn.Module) -> None:
        """Every module down to the atomic ones (mapped types and leaves), in module order, once each."""
        seen: set[int] = set()
        todo = [root]
        while todo:
            module = todo.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            self.hooked.append(module)
            children = list(module.children())
            if lookup(module) is not None or not children:
                self.atomic.add(id(module))
            else:
                todo.extend(reversed(children))

    @contextmanager
    def hooks(self) -> Iterator[None]:
        """Pre- and post-forward hooks on every module down to the atomic ones, removed even on error."""
        handles = []
        try:
            for m in self.hooked:
                handles.append(m.register_forward_pre_hook(self._enter, with_kwargs=True))
                handles.append(m.register_forward_hook(self._leave, always_call=True))
            yield
        finally:
            for h in handles:
                h.remove()

    def field_of(self, t: Tensor) -> ReceptiveField:
        entry = self.fields.get(id(t))
        return entry[1] if entry is not None and entry[0] is t else UNKNOWN

    def set_field(self, t: Tensor, rf: ReceptiveField) -> None:
        self.fields[id(t)] = (t, rf)

    def reader_view(self, t: Tensor) -> Any:
        """The view the tensor's first mapped reader read it with (None if no mapped module read it)."""
        entry = self.read_as.get(id(t))
        return entry[1] if entry is not None and entry[0] is t else None

    def batch_of(self, t: Tensor) -> int:
        """The batch axis of a tensor: 1 where a sequence-first layer read it as (L, N, F), else 0."""
        return 1 if self.reader_view(t) is SEQUENCE_FIRST and t.dim() == 3 else 0

    def is_sequence_first(self, t: Tensor) -> bool:
        """Whether a 3-D tensor was laid out (L, N, F) by its producer (its batch is axis 1)."""
        return self.sequence_first.get(id(t)) is t and t.dim() == 3

    def is_image(self, t: Tensor, unknown_from: int = 4) -> bool:
        """Whether a tensor is (N, C, *spatial): as its producer laid it out, else by its rank alone
        (at least ``unknown_from`` axes)."""
        entry = self.images.get(id(t))
        return entry[1] if entry is not None and entry[0] is t else t.dim() >= unknown_from

    def _enter(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        key = id(module)
        self.calls[key] = self.calls.get(key, 0) + 1
        parent = self.stack[-1] if self.stack else None
        call = Call(module, self.paths.get(key, _type_name(module)), self.calls[key], parent, key in self.atomic)
        call.inputs = [t for t in tree_leaves((args, kwargs)) if isinstance(t, Tensor)]
        fields = [self.field_of(t) for t in call.inputs if id(t) in self.fields]
        call.rf_in = ReceptiveField.widest(fields) if fields else UNKNOWN
        (parent.children if parent is not None else self.roots).append(call)
        self.stack.append(call)
        if call.atomic and lookup(module) is not None:
            self._map_inputs(call, args, kwargs)

    def _leave(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if not self.stack or self.stack[-1].module is not module:
            return
        call = self.stack.pop()
        call.outputs = [t for t in tree_leaves(output) if isinstance(t, Tensor)]
        if call.computed is not None and call.outputs and self.error is None:
            try:
                self._check(call)
            except CnnCalcError as err:
                self.error = err
        if call.computed is not None:
            call.rf_out = call.rf_in.through(call.computed.rf)
            for t in call.outputs:
                self.set_field(t, call.rf_out)
                self.images[id(t)] = (t, call.view is image)
            if call.view is SEQUENCE_FIRST and call.outputs and call.outputs[0].dim() == 3:
                self.sequence_first[id(call.outputs[0])] = call.outputs[0]  # (attention weights are not)
        elif call.outputs:
            call.rf_out = self.field_of(call.outputs[0])

    def _map_inputs(self, call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        entry = lookup(call.module)
        assert entry is not None
        if id(call.module) in self.prehooked:
            call.unmodelled = (f"{_type_name(call.module)} with weight_norm/spectral_norm forward pre-hooks that "
                               "rebuild its weights on each call: measured, not modelled")
            return
        try:
            mapped = entry(call.module)
        except NotMapped as why:
            call.unmodelled = f"{_type_name(call.module)} with {why}: no core kind models it"
            return
        except ArgumentError as err:
            call.unmodelled = f"the core rejects {_type_name(call.module)}'s arguments: {err.message}"
            return
        tensors = _pick(mapped, args, kwargs)
        call.picked = tensors
        if not tensors:
            call.unmodelled = "called without a tensor input"
            return
        view = self._view(mapped.view, tensors[0])
        call.unbatched = mapped.unbatched is not None and tensors[0].dim() == mapped.unbatched
        views = [view(Unsqueezed(t) if call.unbatched else t) for t in tensors]
        if not call.unbatched:
            for t in tensors:
                self.read_as.setdefault(id(t), (t, view))  # how its first mapped reader laid it out
        call.shapes = tuple(s for s, _ in views)
        call.leading = views[0][1]
        try:
            layer = mapped.refine(tensors) if mapped.refine is not None else mapped.layer
        except NotMapped as why:
            call.unmodelled = f"{_type_name(call.module)} with {why}: no core kind models it"
            return
        if mapped.per_call is not None:
            layer = mapped.per_call(layer, args, kwargs)
        call.layer = layer
        try:
            call.computed = layer.compute(call.shapes, self.counting)
        except ShapeError as err:
            raise err.at_layer(call.name, ", ".join(str(tuple(t.shape)) for t in tensors)) from None
        except ArgumentError as err:
            raise err.at_layer(call.name) from None
        call.view = view

    def _view(self, view: Any, first: Tensor) -> Any:
        """The view a mapped module reads its first tensor with: ``follow`` takes the producer's layout, and a
        Linear or a norm over the features of an (L, N, F) tensor reads its batch at axis 1."""
        if view is follow:
            view = image if self.is_image(first) else plain
        return SEQUENCE_FIRST if view is plain and self.is_sequence_first(first) else view

    def _check(self, call: Call) -> None:
        """The core's output shape must equal the measured one (parameters are checked in rows.py)."""
        assert call.computed is not None and call.view is not None
        out = call.outputs[0]
        shape, _ = call.view(Unsqueezed(out) if call.unbatched else out)
        call.output_shape = shape
        if shape.dims != call.computed.output.dims:
            raise ModelMismatchError(
                f"module '{call.name}' ({_type_name(call.module)}): the core computes output "
                f"{call.computed.output.show('chw')} but PyTorch produced {tuple(call.outputs[0].shape)} "
                f"(batch axis included) from {', '.join(str(tuple(t.shape)) for t in call.inputs[:3])}",
                hint="please report this with the module's arguments",
            )

    def on_op(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        """Charge one aten call to the innermost module call; carry receptive fields."""
        call = self.stack[-1] if self.stack else None
        if call is None:
            return
        macs = macs_of(func, args, kwargs, out)
        name = str(func.overloadpacket.__name__)
        work = call if call.atomic else _segment(call)
        work.add(name, macs)
        if not call.atomic:
            work.read(args, out)
        if call.computed is not None:
            return
        first = out if isinstance(out, Tensor) else next((t for t in tree_leaves(out) if isinstance(t, Tensor)), None)
        if first is None:
            return
        self._carry(func, args, first)
        self._carry_layout(func, args, first)
        if not func.is_view:
            work.produce(name, first, macs)

    def _carry(self, func: Any, args: tuple[Any, ...], out: Tensor) -> None:
        known = [self.field_of(t) for t in args if isinstance(t, Tensor) and id(t) in self.fields]
        for a in args:
            if isinstance(a, (list, tuple)):
                known += [self.field_of(t) for t in a if isinstance(t, Tensor) and id(t) in self.fields]
        if not known:
            return
        rf = ReceptiveField.widest(known)
        spatial = through_functional(func, args, out, rf)
        if spatial is not None:
            self.set_field(out, spatial)
            return
        keeps = self._pointwise.get(func)
        if keeps is None:
            keeps = torch.Tag.pointwise in func.tags or func.overloadpacket is torch.ops.aten.cat
            self._pointwise[func] = keeps
        self.set_field(out, rf if keeps or rf.status != "local" else UNKNOWN)


    def _carry_layout(self, func: Any, args: tuple[Any, ...], out: Tensor) -> None:
        """An op whose output has an input's shape keeps its layout (x + y, F.relu, a clone); one that
        reorders axes (permute, transpose) does not."""
        if func.overloadpacket in _REORDERS:
            return
        for a in args:
            if isinstance(a, Tensor) and a.shape == out.shape:
                if self.is_sequence_first(a):
                    self.sequence_first[id(out)] = out
                entry = self.images.get(id(a))
                if entry is not None and entry[0] is a:
                    self.images[id(out)] = (out, entry[1])
                    return


def _segment(call: Call) -> Segment:
    """The container's open segment of own work (a new one once a child has been called since)."""
    if not call.segments or call.segments[-1].after != len(call.children):
        call.segments.append(Segment(after=len(call.children)))
    return call.segments[-1]


def _pick(mapped: Mapped, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Tensor]:
    out: list[Tensor] = []
    for index, name in mapped.inputs:
        value = args[index] if index < len(args) else kwargs.get(name)
        if isinstance(value, Tensor):
            out.append(value)
    return out


_aten = torch.ops.aten
_REORDERS = {_aten.permute, _aten.transpose, _aten.t, _aten.movedim, _aten.swapaxes, _aten.swapdims}
#: operators whose meta kernels are slow Python decompositions and whose outputs are fresh tensors:
#: their output specs are remembered per input signature (normalisation layers repeat a lot)
MEMO_OPS = {_aten.native_batch_norm.default, _aten._native_batch_norm_legit_no_training.default,
            _aten._native_batch_norm_legit.default, _aten.native_layer_norm.default,
            _aten.native_group_norm.default}


def _signature(value: Any) -> Any:
    if isinstance(value, Tensor):
        return (tuple(value.shape), value.stride(), value.dtype, value.device.type)
    if isinstance(value, (list, tuple)):
        return tuple(_signature(v) for v in value)
    return value


def _spec(out: Any) -> Any:
    if isinstance(out, Tensor):
        return (tuple(out.shape), out.stride(), out.dtype)
    return tuple(_spec(o) for o in out)


def _rebuild(spec: Any) -> Any:
    if isinstance(spec[0], tuple) and (not spec[0] or isinstance(spec[0][0], int)) and len(spec) == 3 \
            and isinstance(spec[2], torch.dtype):
        return torch.empty_strided(spec[0], spec[1], dtype=spec[2], device="meta")
    return tuple(_rebuild(s) for s in spec)


class Counter(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """The dispatch-level counter: every aten call is reported to the tracer."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.tracer = tracer
        self.memo: dict[Any, Any] = {}

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if func in MEMO_OPS and isinstance(args[0], Tensor) and args[0].is_meta:
            key = (func, _signature(args), _signature(tuple(sorted(kwargs.items()))))
            spec = self.memo.get(key)
            out = _rebuild(spec) if spec is not None else func(*args, **kwargs)
            if spec is None:
                self.memo[key] = _spec(out)
        else:
            out = func(*args, **kwargs)
        self.tracer.on_op(func, args, kwargs, out)
        return out
