"""``from_torch``: a PyTorch model's table, from one forward pass on the meta device.

Nothing of the size of the activations or the weights is allocated: the model's parameters and
buffers are swapped for meta tensors for the call (``torch.func.functional_call``), or the model
already lives on the meta device. Afterwards the model is as it was: same device, parameters,
training flags, and no hooks left.
"""

from __future__ import annotations

import dataclasses
import gc
import inspect
import re
import traceback
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils._pytree import tree_leaves, tree_map

from ...analysis import Result, Row, assemble, check_depth
from ...conventions import DTYPE_BYTES, Conventions
from ...errors import ArgumentError, CnnCalcError, UnsupportedError
from ...receptive import ReceptiveField
from .guard import refuse_untraceable, restore, snapshot
from .rows import RowMaker, orphans, ownership
from .trace import Call, Counter, Tracer


def from_torch(
    model: nn.Module,
    input_size: Sequence[int] | Sequence[Sequence[int]] | None = None,
    example_inputs: Any = None,
    conventions: Conventions | None = None,
    depth: int | None = None,
    *,
    dtypes: Sequence[torch.dtype] | None = None,
    partial: bool = False,
    training: Any = None,
    **forward_kwargs: Any,
) -> Result:
    """Analyse a PyTorch model without running it for real.

    ``input_size`` is one shape with the batch axis, e.g. ``(1, 3, 224, 224)``, or a list of shapes
    for several inputs (float32 unless ``dtypes`` says otherwise); ``example_inputs`` is a tensor,
    a tuple of positional inputs or a dict of keyword inputs (only their shapes and dtypes are
    used). Extra keyword arguments are passed to ``forward``. ``partial=True`` keeps the rows traced
    before an operator that cannot run on meta (e.g. detection's NMS) instead of raising.
    ``depth`` keeps the rows down to that nesting level (containers roll up what they hide),
    like torchinfo's. ``training``: a ``cnncalc.Training`` (optimizer, amp, checkpointing, sharding) for
    ``result.memory()`` and the JSON's ``totals.memory.training`` (None: Adam, no autocast); the memory is the
    core's, from the rows' kinds and the data flow the trace saw (docs/memory.md).

    >>> r = from_torch(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), input_size=(1, 3, 32, 32))
    >>> r.totals.params, r.totals.macs, r["0"].output_shape.show("chw")
    (224, 194400, '(8, 30, 30)')
    """
    check_depth(depth)
    if input_size is None and example_inputs is None and dtypes is None:
        args, kwargs = list[Any](), dict[str, Any]()  # no input: a forward without arguments runs, else params only
    else:
        args, kwargs = _example(input_size, example_inputs, dtypes)
    kwargs.update({k: _to_meta(v) for k, v in forward_kwargs.items()})
    result = analyze_module(model, args, kwargs, conventions or Conventions(layout="chw"), depth, partial=partial)
    return result if training is None else dataclasses.replace(result, training=_training(training))


def _training(training: Any) -> Any:
    from ...analysis.training import Training

    if not isinstance(training, Training):
        raise ArgumentError(f"training must be a cnncalc.Training, got {type(training).__name__}",
                            hint="e.g. from_torch(model, (8, 3, 224, 224), training=Training(optimizer='adamw'))")
    return training


def _example(input_size: Any, example_inputs: Any, dtypes: Sequence[torch.dtype] | None
             ) -> tuple[list[Any], dict[str, Any]]:
    if input_size is not None and example_inputs is not None:
        raise ArgumentError("give one of input_size and example_inputs, not both",
                            hint="e.g. input_size=(1, 3, 224, 224)")
    if input_size is not None:
        sizes = _input_sizes(input_size)
        kinds = list(dtypes) if dtypes is not None else [torch.float32] * len(sizes)
        if len(kinds) != len(sizes):
            raise ArgumentError(f"{len(sizes)} input sizes but {len(kinds)} dtypes")
        return [torch.empty(tuple(s), dtype=d, device="meta") for s, d in zip(sizes, kinds)], {}
    if isinstance(example_inputs, dict):
        return [], {k: _to_meta(v) for k, v in example_inputs.items()}
    if isinstance(example_inputs, (tuple, list)):
        return [_to_meta(v) for v in example_inputs], {}
    return [_to_meta(example_inputs)], {}


def _input_sizes(input_size: Any) -> list[tuple[int, ...]]:
    """One shape or a list of shapes, each of whole numbers ≥ 1 (the batch axis included)."""
    if isinstance(input_size, Tensor) or (
        isinstance(input_size, (list, tuple)) and any(isinstance(s, Tensor) for s in input_size)
    ):
        raise ArgumentError("input_size takes shapes, not tensors",
                            hint="pass tensors as example_inputs=(x, …), or their shapes as input_size")
    if not isinstance(input_size, (list, tuple)) or not input_size:
        raise ArgumentError(f"input_size must be a shape such as (1, 3, 224, 224), got {input_size!r}")
    one = all(isinstance(d, int) for d in input_size)
    sizes = [tuple(input_size)] if one else [tuple(s) if isinstance(s, (list, tuple)) else s for s in input_size]
    for s in sizes:
        if not isinstance(s, tuple) or not all(isinstance(d, int) and not isinstance(d, bool) for d in s):
            raise ArgumentError(f"input_size must hold shapes of whole numbers, got {s!r}",
                                hint="e.g. input_size=(1, 3, 224, 224) or [(1, 3, 32, 32), (1, 10)]")
        if any(d < 1 for d in s):
            raise ArgumentError(f"input shape {s} has an axis of size {min(s)}: every axis must be ≥ 1",
                                hint="the first axis is the batch size, e.g. (1, 3, 224, 224)")
    return sizes


def _to_meta(value: Any) -> Any:
    return tree_map(lambda t: torch.empty_like(t, device="meta") if isinstance(t, Tensor) else t, value)


def _meta_state(model: nn.Module) -> dict[str, Tensor] | None:
    """Meta stand-ins for every parameter and buffer, or None when the model is on meta already."""
    named = list(model.named_parameters()) + list(model.named_buffers())
    if all(t.is_meta for _, t in named):
        return None
    return {name: torch.empty_like(t, device="meta") for name, t in named}


def _run(model: nn.Module, tracer: Tracer, args: list[Any], kwargs: dict[str, Any], partial: bool) -> str | None:
    """Run the traced forward; with ``partial``, a failure on meta stops the trace instead (its message)."""
    state = _meta_state(model)
    stopped: str | None = None
    flags = [(m, m.training) for m in model.modules()]
    # functional_call swaps tensors in and back by name; a module reachable under two names (the same
    # Linear twice in a Sequential) can be left holding the meta stand-ins, and a forward may cache tensors in
    # plain attributes: every module's parameters, buffers and attributes are put back (guard.untouched)
    saved = snapshot(model)
    try:
        model.eval()
        with tracer.hooks(), torch.no_grad(), Counter(tracer):
            if state is None:
                model(*args, **kwargs)
            else:
                torch.func.functional_call(model, state, tuple(args), kwargs, tie_weights=True, strict=False)
    except CnnCalcError:
        raise
    except Exception as err:  # a model that cannot run on meta: say which operator
        if not partial:
            raise _unsupported(model, err, tracer.paths) from err
        stopped = _unsupported(model, err, tracer.paths).message
    finally:
        for m, flag in flags:
            m.training = flag
        restore(saved)
    if tracer.error is not None:
        raise tracer.error
    return stopped


def _failing_module(model: nn.Module, err: Exception, paths: dict[int, str]) -> str:
    """The innermost module whose code was running when the error was raised (from the traceback)."""
    where = type(model).__name__
    for frame, _ in traceback.walk_tb(err.__traceback__):
        owner = frame.f_locals.get("self")
        if isinstance(owner, nn.Module) and id(owner) in paths:
            path = paths[id(owner)]
            where = f"module '{path}' ({type(owner).__name__})" if path else type(model).__name__
    return where


def _unsupported(model: nn.Module, err: Exception, paths: dict[int, str]) -> CnnCalcError:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    op = re.search(r"aten::(\w+)|aten\.(\w+)|torch\.(\w+)\(\)", str(err))
    name = _failing_module(model, err, paths)
    if op:
        which = op.group(1) or op.group(2) or op.group(3)
        return UnsupportedError(f"{name}: the forward fails on the meta device at operator aten::{which}: {text}",
                                hint="the operator needs real data (e.g. NMS, nonzero, .item()); analyse the part "
                                     "of the model before it, or keep the rows before it with --partial "
                                     "(from_torch(…, partial=True))")
    return UnsupportedError(f"{name}: the forward fails on the meta device: {type(err).__name__}: {text}",
                            hint="check --input (shapes, dtype :int64 for token ids) and the model's kwargs; a tensor "
                                 "kept as a plain attribute rather than a buffer, or control flow on tensor values, "
                                 "cannot run on meta")


def analyze_module(model: nn.Module, args: list[Any], kwargs: dict[str, Any], conventions: Conventions,
                   depth: int | None = None, name: str | None = None, partial: bool = False) -> Result:
    """Trace the model on meta inputs and build the Result (rows, totals, conventions).

    ``partial``: when the forward cannot run on meta (detection post-processing: NMS, nonzero),
    keep the rows traced before the failure and say so in the warnings, instead of raising.
    The cyclic garbage collector is paused meanwhile: the trace makes many small objects and no
    cycles, and a full collection over a large model's objects costs more than the analysis.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze_module(model, args, kwargs, conventions, depth, name, partial)
    finally:
        if enabled:
            gc.enable()


def _analyze_module(model: nn.Module, args: list[Any], kwargs: dict[str, Any], conventions: Conventions,
                    depth: int | None, name: str | None, partial: bool) -> Result:
    if not isinstance(model, nn.Module):
        raise ArgumentError(f"expected a torch.nn.Module, got {type(model).__name__}")
    refuse_untraceable(model)
    tensors = [t for t in tree_leaves((args, kwargs)) if isinstance(t, Tensor)]
    conv = _conventions(model, conventions, tensors[0] if tensors else None)
    tracer = Tracer(model, conv.counting)
    owners = ownership(tracer)
    for t in tensors:
        spatial = t.dim() - 2 if t.dim() >= 3 and t.is_floating_point() else 0
        tracer.set_field(t, ReceptiveField.at_input(spatial))
    without = None if tensors or args or kwargs else _no_input(model)
    stopped = _run(model, tracer, args, kwargs, partial) if without is None or without == "" else None
    if tensors and tracer.batch_of(tensors[0]) == 1 and conventions.batch == 1:  # sequence-first: batch is axis 1
        conv = conv.but(batch=int(tensors[0].shape[1]))
    maker = RowMaker(tracer, owners, conv, orphans=orphans(tracer), ran=not without)
    for label, t in _input_names(args, kwargs):
        maker.input_row(label, t)
    for root in tracer.roots:
        maker.emit(root, 0 if root.atomic else -1)
    if without:  # nothing ran: every module with parameters (or a leaf) gets a parameters-only row
        maker.uncalled(Call(model, "", 1, None, id(model) in tracer.atomic), 0)
    rows = tuple(maker.rows)
    shown = rows if depth is None else tuple(r for r in rows if r.depth < depth)  # torchinfo: 1 = children
    warnings = tuple(f"{r.name}: {w}" for r in shown for w in r.warnings) + _marks(shown)
    if stopped:
        warnings += (f"partial: {stopped}; the rows after it are missing (modules not reached: parameters only)",)
    if without:
        warnings += (f"no input given: parameters only ({without}); give input_size/--input for shapes and MACs",)
    return assemble(name or type(model).__name__, rows, conv, warnings, depth)


def _marks(rows: tuple[Row, ...]) -> tuple[str, ...]:
    """What every format must say beside the numbers: rows measured rather than modelled, and rows whose
    parameters are counted at another row (shared or tied)."""
    out = [f"{r.name}: " + (r.unmodelled if r.unmodelled.startswith("not ") else f"not modelled: {r.unmodelled}")
           for r in rows if r.unmodelled and r.kind != "functional"]
    out += [f"{r.name}: shares its parameters with {r.shares_params_with} (counted once, there)"
            for r in rows if r.shares_params_with]
    return tuple(out)


def _no_input(model: nn.Module) -> str:
    """Why a model given no input cannot run ('' when its forward takes no arguments and so can)."""
    forward = type(model).forward
    if forward is nn.Module.forward:
        return f"{type(model).__name__} has no forward()"
    try:
        params = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        return "its forward's arguments cannot be read"
    needed = [p.name for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                                            p.KEYWORD_ONLY)]
    return f"forward() needs {', '.join(needed)}" if needed else ""


def _conventions(model: nn.Module, conventions: Conventions, first: Tensor | None) -> Conventions:
    """The conventions of this analysis: batch from the input tensor, dtype from the model's parameters.

    Conventions that contradict the model are refused rather than silently replaced."""
    batch = int(first.shape[0]) if first is not None and first.dim() >= 1 and first.shape[0] > 0 else 1
    if conventions.batch not in (1, batch):
        raise ArgumentError(
            f"conventions say batch {conventions.batch}, but the input's first (batch) axis is {batch}",
            hint="give the batch in the input's shape, e.g. input_size=(8, 3, 224, 224)",
        )
    if conventions.counting != "torch":
        raise ArgumentError(
            f"counting={conventions.counting!r} does not apply to a PyTorch model: it is counted as PyTorch stores "
            "it (BatchNorm running statistics are buffers, shown as state)",
            hint="use counting='keras' with a network described in the text format or the Python API",
        )
    dtype = next((str(p.dtype).replace("torch.", "") for p in model.parameters() if p.is_floating_point()), None)
    if dtype is None or dtype not in DTYPE_BYTES:
        return conventions.but(batch=batch)
    if conventions.dtype not in ("float32", dtype):
        raise ArgumentError(
            f"conventions say {conventions.dtype}, but the model's parameters are {dtype}",
            hint=f"cast the model first (model.to(torch.{conventions.dtype}): free on the meta device)",
        )
    return conventions.but(batch=batch, dtype=dtype)


def _input_names(args: list[Any], kwargs: dict[str, Any]) -> list[tuple[str, Tensor]]:
    out: list[tuple[str, Tensor]] = []
    pos = [t for t in tree_leaves(args) if isinstance(t, Tensor)]
    for i, t in enumerate(pos):
        out.append(("input" if len(pos) == 1 and not kwargs else f"input.{i}", t))
    for key, value in kwargs.items():
        leaves = [t for t in tree_leaves(value) if isinstance(t, Tensor)]
        out += [(key if len(leaves) == 1 else f"{key}.{j}", t) for j, t in enumerate(leaves)]
    return out
