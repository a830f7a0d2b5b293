"""Memory, the core's one model for every front-end: inference peak by liveness, one training step by simulation.

Every kind declares a ``MemoryRule`` (``Layer.memory_rule``): whether its output is a new tensor or a view, what
autograd keeps for backward, whether autocast runs it in low precision. From the rows, in execution order:

- **inference**: a tensor is freed after its last consumer; views and the identity allocate nothing; the peak is
  the largest (live tensors + the one being made + its kernel workspace); parameters, buffers and the input are
  held throughout; under autocast the cast weights are cached until the forward ends.
- **training step**: before forward, parameters + buffers + input + optimizer state (gradients freed); forward
  keeps the unique tensors layers save (``saved``) plus the output; backward walks the rows in reverse: each
  layer makes its inputs' gradients (a transient), its parameters' gradients stay, and the tensors only it still
  needed are released; the optimizer's step adds its temporaries. The step peak is the largest of the three.

>>> from cnncalc.kinds import Input, Conv, Activation
>>> from cnncalc.network import Network
>>> from cnncalc.analysis import analyze
>>> r = analyze(Network.chain(Input((32, 32, 3)), Conv(8, 3), Activation("relu")), batch=2)
>>> m = memory_of(r.rows, r.conventions, Training())
>>> m.inference.peak_bytes, m.training.saved_bytes  # conv: 2·30·30·8·4 B out + 2× workspace; relu keeps its output
(198272, 57600)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..conventions import Conventions
from ..kinds.base import MemoryRule
from ..kinds.structural import Input
from .result import Row
from .training import Training

F32 = 4


@dataclass(frozen=True)
class Inference:
    peak_bytes: int
    params_bytes: int
    state_bytes: int
    input_bytes: int
    activation_peak_bytes: int
    amp_weights_bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TrainingStep:
    peak_bytes: int
    params_bytes: int
    grads_bytes: int
    optimizer_bytes: int
    after_forward_bytes: int
    saved_bytes: int
    before_forward_bytes: int
    backward_peak_bytes: int
    optimizer_step_bytes: int
    master_bytes: int = 0
    optimizer: str = "adam"
    amp: str | None = None
    checkpoint: bool = False
    per_gpu: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Memory:
    """Memory of a network: inference always; training (None when nothing is trainable, with ``note``)."""

    inference: Inference
    training: TrainingStep | None
    note: str | None = None
    #: per row: bytes it allocates at inference, bytes live after it, bytes it newly saves for backward
    allocated_bytes: dict[str, int] = field(default_factory=dict)
    live_after_bytes: dict[str, int] = field(default_factory=dict)
    saved_bytes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"inference": self.inference.as_dict(),
                               "training": self.training.as_dict() if self.training else None}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class _Tensor:
    bytes: int
    last_use: int = -1
    external: bool = False


@dataclass
class _Plan:
    """Per row: its rule, the storage its output lives in, the storages it saves, its widths."""

    rules: list[MemoryRule] = field(default_factory=list)
    storage: dict[str, str] = field(default_factory=dict)
    tensors: dict[str, _Tensor] = field(default_factory=dict)
    width: dict[str, int] = field(default_factory=dict)


def _rule(row: Row) -> MemoryRule:
    try:
        rule = row.layer.memory_rule(row.input_shapes, _computed(row))
    except Exception:  # a measured row (unmapped module): assume it saves its input
        rule = MemoryRule(saves_inputs=(0,) if row.inputs else (), why="not modelled: assumed to save its input")
    act = getattr(row.layer, "activation", None)
    if act in ("relu", "sigmoid", "tanh", "softmax", "elu"):  # a fused activation that keeps its output
        rule = replace(rule, saves_output=True)
    return rule


def _computed(row: Row) -> Any:
    from ..kinds.base import Computed

    return Computed(output=row.output_shape)


def _plan(rows: Sequence[Row], conv: Conventions, amp: str | None, training: bool) -> _Plan:
    plan = _Plan()
    element = conv.dtype_bytes
    low = 2 if amp else element
    for i, row in enumerate(rows):
        rule = _rule(row)
        plan.rules.append(rule)
        ins = [plan.storage[n] for n in row.inputs if n in plan.storage]
        for s in ins:
            plan.tensors[s].last_use = i
        own = row.activation_bytes // row.activations.value if row.activations.value else element
        in_width = plan.width.get(row.inputs[0], own) if row.inputs and amp else own
        width = low if (amp and rule.lower) else (F32 if (amp and rule.fp32) else in_width)
        plan.width[row.name] = width
        allocates = rule.in_training if training and rule.in_training else rule.allocates
        aliased = row.aliases is not None and row.aliases < len(ins) and not (training and rule.in_training)
        if isinstance(row.layer, Input):
            plan.storage[row.name] = row.name
            plan.tensors[row.name] = _Tensor(row.activation_bytes, external=True)
        elif aliased:  # measured by the front-end: in place, a view or the identity
            plan.storage[row.name] = ins[row.aliases or 0]
        elif allocates == "view" and ins:
            plan.storage[row.name] = ins[0]
        else:
            plan.storage[row.name] = row.name
            plan.tensors[row.name] = _Tensor(_elements(row, conv) * width)
    read = {n for row in rows for n in row.inputs}
    for row in rows:  # outputs (rows read by nothing, views included) live to the end
        if row.name not in read and plan.storage.get(row.name) in plan.tensors:
            plan.tensors[plan.storage[row.name]].last_use = len(rows)
    for t in plan.tensors.values():
        if t.last_use < 0:
            t.last_use = len(rows)
    return plan


def _elements(row: Row, conv: Conventions) -> int:
    """The elements of a row's output: its activations; for a measured row (whose activations add up every
    operator's output) at most its last output's, the shape shown times the batch."""
    if row.unmodelled and row.output_shape.dims:
        return min(row.activations.value, row.output_shape.size * conv.batch)
    return row.activations.value


def _leaves(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if not r.is_container]


def inference_memory(rows: Sequence[Row], conv: Conventions, amp: str | None = None) -> tuple[Inference, list[int],
                                                                                          list[int]]:
    """The inference peak by liveness, and per row the bytes it allocates and the bytes live after it."""
    rows = _leaves(rows)
    plan = _plan(rows, conv, amp, training=False)
    live = 0
    peak = 0
    cache = 0
    allocated: list[int] = []
    after: list[int] = []
    frees: dict[int, list[str]] = {}
    for name, t in plan.tensors.items():
        if not t.external:
            frees.setdefault(t.last_use, []).append(name)
    for i, row in enumerate(rows):
        rule = plan.rules[i]
        s = plan.storage[row.name]
        new = s == row.name and not plan.tensors[s].external
        size = plan.tensors[s].bytes if new else 0
        cast = 0
        if amp and rule.lower:
            cache += row.param_bytes // max(conv.dtype_bytes, 1) * 2
            cast = sum(plan.tensors[plan.storage[n]].bytes // 2 for n in row.inputs
                       if n in plan.storage and plan.width.get(n, conv.dtype_bytes) == F32)
        peak = max(peak, live + cache + cast + size + rule.workspace * size)
        live += size
        live -= sum(plan.tensors[n].bytes for n in frees.get(i, ()))
        allocated.append(size)
        after.append(live + cache)
    inputs = sum(t.bytes for t in plan.tensors.values() if t.external)
    params = sum(r.param_bytes for r in rows)
    state = sum(r.state_bytes for r in rows)
    return (Inference(params + state + inputs + peak, params, state, inputs, peak, cache), allocated, after)


def _block(row: Row) -> str | None:
    """The unit a row belongs to (checkpointed together; one FSDP unit): its outermost block (text format), or
    for a framework's dotted module path the first numbered module (a block of a ModuleList or Sequential:
    ``model.layers.3``, ``layer1.0``), else its top-level module; None: outside every unit (the root).

    >>> from cnncalc.analysis import analyze
    >>> from cnncalc.network import Network
    >>> from cnncalc.kinds import Input
    >>> row = analyze(Network.chain(Input((4,)))).rows[0]
    >>> [_block(replace(row, name=n)) for n in ("model.layers.3.mlp.up", "layer1.0.conv1", "stem.conv", "fc")]
    ['model.layers.3', 'layer1.0', 'stem', None]
    """
    if row.blocks:
        return row.blocks[0]
    parts = row.name.split(".")
    for k, part in enumerate(parts[:-1]):
        if part.isdigit():
            return ".".join(parts[:k + 1])
    return parts[0] if len(parts) > 1 else None


@dataclass
class _Saved:
    bytes: dict[str, int] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)
    by_row: list[int] = field(default_factory=list)
    block_of: dict[str, str | None] = field(default_factory=dict)

    def add(self, key: str, size: int, i: int, block: str | None) -> int:
        if key in self.bytes:
            self.first[key] = min(self.first[key], i)
            return 0
        self.bytes[key], self.first[key], self.block_of[key] = size, i, block
        return size


def saved_tensors(rows: Sequence[Row], plan: _Plan, conv: Conventions, amp: str | None) -> _Saved:
    """The unique tensors autograd keeps, by the kinds' rules: a storage saved by several layers counts once."""
    out = _Saved()
    for i, row in enumerate(rows):
        rule, block, new = plan.rules[i], _block(row), 0
        for k in rule.saves_inputs:
            if k >= len(row.inputs) or row.inputs[k] not in plan.storage:
                continue
            s = plan.storage[row.inputs[k]]
            t = plan.tensors[s]
            if row.aliases == k and plan.storage[row.name] == s:  # run in place: autograd keeps a copy
                new += out.add(f"{row.name}:copy{k}", t.bytes, i, block)
            elif amp and rule.lower and plan.width.get(row.inputs[k], conv.dtype_bytes) != 2:
                elements = t.bytes // max(plan.width.get(row.inputs[k], conv.dtype_bytes), 1)
                new += out.add(f"{row.name}:cast{k}", elements * 2, i, block)
            else:
                new += out.add(s, 0 if t.external else t.bytes, i, block)
        if rule.saves_output:
            s = plan.storage[row.name]
            new += out.add(s, plan.tensors[s].bytes, i, block)
        width = rule.extra_width or plan.width[row.name]
        if rule.extra.value:
            new += out.add(f"{row.name}:extra", rule.extra.value * conv.batch * width, i, block)
        if rule.fixed.value:
            new += out.add(f"{row.name}:fixed", rule.fixed.value * F32, i, block)
        if amp and rule.lower and row.param_bytes:
            new += out.add(f"{row.name}:weights", row.param_bytes // conv.dtype_bytes * 2, i, block)
        out.by_row.append(new)
    return out


def _optimizer_bytes(rows: Sequence[Row], t: Training, width: int) -> int:
    rule = t.rule
    count = sum(r.trainable.value for r in rows)
    if rule.factored:  # Adafactor: rows + columns for a matrix-shaped weight, the full tensor otherwise
        return sum(_factored(r) for r in rows) * width
    return rule.state_bytes(count, width).value


def _weight_dims(row: Row) -> tuple[int, ...] | None:
    """The shape of a layer's weight as PyTorch holds it: dense (units, in), conv (filters, in/groups, *kernel),
    embedding (rows, dim); None for other kinds (their parameters are vectors)."""
    layer = row.layer
    if isinstance(getattr(layer, "num_embeddings", None), int) and isinstance(getattr(layer, "embedding_dim", None),
                                                                               int):
        return (layer.num_embeddings, layer.embedding_dim)  # type: ignore[attr-defined]
    if not row.input_shapes:
        return None
    cin = row.input_shapes[0].channels
    if isinstance(getattr(layer, "units", None), int):
        return (layer.units, cin)  # type: ignore[attr-defined]
    if isinstance(getattr(layer, "filters", None), int) and getattr(layer, "kernel_size", None) is not None:
        k = layer.kernel_size  # type: ignore[attr-defined]
        kernel = tuple(k) if isinstance(k, tuple) else (k,) * max(row.input_shapes[0].spatial, 1)
        return (layer.filters, cin // max(getattr(layer, "groups", 1), 1), *kernel)  # type: ignore[attr-defined]
    return None


def _factored(row: Row) -> int:
    """Adafactor's second-moment elements for a row (torch.optim.Adafactor): a weight of two or more axes keeps a
    row factor (its size over the last axis) and a column factor (its size over the one before); vectors (biases,
    norms' scales) keep their full size.

    >>> from cnncalc.analysis import analyze
    >>> from cnncalc.network import Network
    >>> from cnncalc.kinds import Input, Dense
    >>> _factored(analyze(Network.chain(Input((64,)), Dense(10))).rows[1])  # 10 + 64 for the weight, 10 the bias
    84
    """
    n = row.trainable.value
    dims = _weight_dims(row) if n else None
    if not n or dims is None:
        return n
    weight = 1
    for d in dims:
        weight *= d
    if weight > n:
        return n
    return weight // dims[-1] + weight // dims[-2] + (n - weight)


def _backward(rows: Sequence[Row], plan: _Plan, saved: _Saved, start: int, amp: str | None,
              checkpoint: bool) -> tuple[int, int]:
    """Peak above the before-forward memory during backward, and the parameter gradients' bytes."""
    releases: dict[int, list[str]] = {}
    for key, i in saved.first.items():
        releases.setdefault(i, []).append(key)
    recompute: dict[str | None, int] = {}
    if checkpoint:
        for key, b in saved.bytes.items():
            if saved.block_of[key] is not None:
                recompute[saved.block_of[key]] = recompute.get(saved.block_of[key], 0) + b
    cur, peak, grads = start, start, 0
    grad_live: dict[str, int] = {plan.storage[r.name]: plan.tensors[plan.storage[r.name]].bytes
                                 for r in rows if plan.storage[r.name] in plan.tensors
                                 and plan.tensors[plan.storage[r.name]].last_use == len(rows)}
    cur += sum(grad_live.values())
    block = None
    for i in range(len(rows) - 1, -1, -1):
        row = rows[i]
        if checkpoint and _block(row) != block:
            cur -= recompute.get(block, 0)
            block = _block(row)
            cur += recompute.get(block, 0)
        if isinstance(row.layer, Input):
            continue
        s_out = plan.storage[row.name]
        ins = [plan.storage[n] for n in row.inputs if n in plan.storage]
        view = s_out in ins and plan.rules[i].allocates == "view"  # its gradient is a view of its output's
        made = [] if view else [s for s in ins if not plan.tensors[s].external]  # in place: still a new gradient
        gin = sum(plan.tensors[s].bytes for s in made)
        pgrad = row.trainable_bytes
        freed = sum(saved.bytes[k] for k in releases.get(i, ()) if not (checkpoint and saved.block_of[k]))
        if amp and plan.rules[i].lower and pgrad:  # the low-precision weight gradient, then (its saved tensors
            low = pgrad // 2                       # released) its cast to float32
            peak = max(peak, cur + gin + low, cur - freed + gin + low + pgrad)
        else:
            peak = max(peak, cur + gin + pgrad)
        cur += gin + pgrad
        grads += pgrad
        if not view:
            cur -= grad_live.pop(s_out, 0)
        for s in made:
            if s in grad_live:
                cur -= grad_live[s]
            grad_live[s] = plan.tensors[s].bytes
        cur -= freed
    return peak, grads


def training_memory(rows: Sequence[Row], conv: Conventions, t: Training) -> tuple[TrainingStep, list[int]]:
    """One training step by the rules: see the module's docstring."""
    rows = _leaves(rows)
    plan = _plan(rows, conv, t.amp, training=True)
    saved = saved_tensors(rows, plan, conv, t.amp)
    outputs = sum(x.bytes for x in plan.tensors.values() if x.last_use == len(rows) and not x.external)
    kept = {k: b for k, b in saved.bytes.items() if not (t.checkpoint and saved.block_of[k])}
    if t.checkpoint:  # only the blocks' inputs are kept
        kept.update(_block_inputs(rows, plan))
    unsaved_out = sum(x.bytes for n, x in plan.tensors.items()
                      if x.last_use == len(rows) and not x.external and n not in kept)
    after_forward = sum(kept.values()) + unsaved_out
    element = conv.dtype_bytes
    low_params = t.master_weights and element < F32
    width = F32 if low_params else element
    params = sum(r.param_bytes for r in rows)
    state = sum(r.state_bytes for r in rows)
    inputs = sum(x.bytes for x in plan.tensors.values() if x.external)
    trainable = sum(r.trainable.value for r in rows)
    master = trainable * F32 if low_params else 0
    optimizer = _optimizer_bytes(rows, t, width)
    before = params + state + inputs + optimizer + master
    bwd_peak, grads = _backward(rows, plan, saved, after_forward, t.amp, t.checkpoint)
    temporaries = t.rule.temporaries * (trainable * width if not t.rule.factored else max(
        (r.trainable.value * width for r in rows), default=0))
    opt_step = grads + temporaries
    peak = before + max(after_forward, bwd_peak, opt_step)
    step = TrainingStep(peak, params, grads, optimizer, after_forward, sum(saved.bytes.values()), before,
                        bwd_peak, temporaries, master, t.optimizer, t.amp, t.checkpoint)
    del outputs
    return step, saved.by_row


def _block_inputs(rows: Sequence[Row], plan: _Plan) -> dict[str, int]:
    kept: dict[str, int] = {}
    for row in rows:
        b = _block(row)
        for n in row.inputs:
            src = next((r for r in rows if r.name == n), None)
            if b is not None and src is not None and _block(src) != b and n in plan.storage:
                s = plan.storage[n]
                if not plan.tensors[s].external:
                    kept[s] = plan.tensors[s].bytes
    return kept


def memory_of(rows: Sequence[Row], conv: Conventions, training: Training | None = None) -> Memory:
    """Inference memory, and one training step when ``training`` is given (or Training() by default)."""
    inference, allocated, after = inference_memory(rows, conv, training.amp if training else None)
    leaves = _leaves(rows)
    per: dict[str, dict[str, int]] = {"allocated_bytes": {r.name: a for r, a in zip(leaves, allocated)},
           "live_after_bytes": {r.name: a for r, a in zip(leaves, after)}}
    t = training or Training()
    if not any(r.trainable.value for r in leaves):
        return Memory(inference, None, "no parameter is trainable: the model cannot be trained; inference memory "
                      "only", per["allocated_bytes"], per["live_after_bytes"])
    step, by_row = training_memory(rows, conv, t)
    if t.shard:
        step = replace(step, per_gpu=shard(step, rows, t))
    return Memory(inference, step, None, per["allocated_bytes"], per["live_after_bytes"],
                  {r.name: b for r, b in zip(leaves, by_row)})


def _units(rows: Sequence[Row]) -> tuple[int, int]:
    """Parameter bytes of the root (rows outside every numbered block or text block) and of the largest block."""
    blocks: dict[str, int] = {}
    root = 0
    for r in _leaves(rows):
        key = _block(r)
        if key is None or not (r.blocks or any(part.isdigit() for part in key.split("."))):
            root += r.param_bytes
        else:
            blocks[key] = blocks.get(key, 0) + r.param_bytes
    return root, max(blocks.values(), default=0)


def shard(step: TrainingStep, rows: Sequence[Row], t: Training) -> dict[str, int]:
    """Per-GPU bytes under DDP / ZeRO / FSDP on ``t.gpus`` GPUs (activations are per GPU's own batch).

    ZeRO-1 shards the optimizer's state, ZeRO-2 the gradients too, ZeRO-3 the parameters too, plus the full
    parameters of the largest unit (a block, or the root) while it runs. FSDP (FSDP2's ``fully_shard`` per block
    and on the root, as torchtitan wraps a model): the sharded parameters, the root's unsharded parameters
    (the root is not resharded after forward) and two blocks' (the one running and the one prefetched)."""
    n = t.gpus
    p, g, o = step.params_bytes, step.grads_bytes, step.optimizer_bytes + step.master_bytes
    root, block = _units(rows)
    gathered = 0
    if t.shard in ("zero1",):
        o //= n
    elif t.shard == "zero2":
        o, g = o // n, g // n
    elif t.shard in ("zero3", "fsdp"):
        gathered = root + 2 * block if t.shard == "fsdp" else max(root, block)
        p, g, o = p // n + gathered, g // n, o // n
    rest = step.before_forward_bytes - step.params_bytes - step.optimizer_bytes - step.master_bytes
    act = max(step.after_forward_bytes, step.backward_peak_bytes - step.grads_bytes)
    peak = p + o + rest + max(act + g, g + (step.optimizer_step_bytes // n if t.shard != "ddp" else
                                            step.optimizer_step_bytes))
    return {"gpus": n, "params_bytes": p, "grads_bytes": g, "optimizer_bytes": o, "gathered_bytes": gathered,
            "peak_bytes": peak}


def max_batch(peak_a: int, batch_a: int, peak_b: int, batch_b: int, budget: int) -> int:
    """The largest batch whose peak fits ``budget``, from two analyses (memory is affine in the batch).

    >>> max_batch(1_100, 1, 1_200, 2, 2_000)
    10
    """
    slope = (peak_b - peak_a) / (batch_b - batch_a)
    fixed = peak_a - slope * batch_a
    if slope <= 0:
        return 0 if fixed > budget else 10**9
    return max(0, int((budget - fixed) // slope))


def saved_rule_lines(result: Any, layer: str | None) -> str:
    """What each layer keeps for backward, its rule and bytes (``--explain LAYER --train``)."""
    rows = result.select(layer) if layer else [r for r in result.rows if not r.is_container]
    m = result.memory()
    out = []
    for row in rows:
        rule = _rule(row)
        extra = f"; extra {rule.extra.explain()} per sample" if rule.extra.value else ""
        fixed = f"; fixed {rule.fixed.explain()} float32" if rule.fixed.value else ""
        out.append(f"{row.name}: saved for backward {m.saved_bytes.get(row.name, 0):,} B new — {rule.why}"
                   f"{extra}{fixed}")
    return "\n".join(out)


def largest_batch(peak: Any, batch: int, budget: int) -> int:
    """The largest batch with ``peak(batch) ≤ budget``, ``peak`` a function of the batch that is affine up to
    which term of the step's max dominates (so piecewise affine, convex): two analyses give the line, a third at
    the answer corrects it when a different term dominates there (the secant of a convex function: it may be
    one or two below the exact answer, never above).

    >>> largest_batch(lambda b: 1000 + 100 * b + max(0, 50 * (b - 20)), 1, 5000)  # exact: 33
    32
    """
    guess = max_batch(peak(batch), batch, peak(batch + 1), batch + 1, budget)
    if guess <= batch + 1 or guess >= 10**9:
        return guess
    at = peak(guess)
    if at <= budget:
        return guess
    return max_batch(peak(batch), batch, at, guess, budget)
