"""Memory of a PyTorch model measured without a GPU: fake CUDA tensors, a dispatch-level allocation tracker,
autograd's saved-tensor hooks, and PyTorch's own autocast.

The model runs under ``FakeTensorMode`` on a fake ``cuda`` device: no memory is allocated, but every operator
produces a tensor of the right shape and dtype, so a ``TorchDispatchMode`` can count each new storage when it is
created and uncount it when Python drops it (a weak reference on the storage). On fake CUDA tensors PyTorch's
own autocast runs (``torch.autocast`` itself refuses without a GPU, so it is switched on with
``torch.set_autocast_enabled``): its op lists and its weight-cast cache are PyTorch's, not a copy. What the
measurement does not see: cuDNN/cuBLAS workspaces and the caching allocator's fragmentation (allocations are
rounded to 512 bytes as the allocator does). ``measure_memory`` gives the figures; the core's rules
(``cnncalc.analysis.memory``) are checked against them, and the step peak adds the optimizer's rule.

>>> from torch import nn
>>> m = measure_memory(nn.Sequential(nn.Linear(64, 64), nn.ReLU()), (8, 64))
>>> m.saved_activation_bytes, m.inference_peak_bytes  # ReLU keeps its output, 8·64·4 B (Linear's input is given)
(2048, 4096)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves, tree_map

from ...errors import ArgumentError

BLOCK = 512  # the CUDA caching allocator rounds every allocation up to a multiple of 512 bytes


def rounded(nbytes: int) -> int:
    return -(-nbytes // BLOCK) * BLOCK


def conv_workspace(args: Sequence[Any], out: Tensor) -> int:
    """cuDNN's forward workspace, as modelled in the core (``cnncalc.kinds.conv``): a dense convolution (one
    group) with a kernel larger than 1×1 takes up to twice its output's bytes while it runs."""
    weight, groups = args[1], args[-1]
    if groups != 1 or weight.shape[2:].numel() <= 1:
        return 0
    return 2 * rounded(out.numel() * out.element_size())


class AllocationTracker(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """Counts the bytes of live storages created by operators: ``current`` now, ``peak`` since ``reset``."""

    def __init__(self, existing: Sequence[Tensor] = ()) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        #: storages allocated before (parameters, buffers, the input): their views allocate nothing
        self.existing = {t.untyped_storage()._cdata for t in existing}
        self.live: dict[int, int] = {}
        self.refs: dict[int, weakref.ref[Any]] = {}
        self.current = 0
        self.peak = 0

    def reset(self) -> None:
        self.peak = self.current

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if isinstance(t, Tensor):
                self._track(t)
        if func is torch.ops.aten.convolution.default and isinstance(out, Tensor):
            self.peak = max(self.peak, self.current + conv_workspace(args, out))
        return out

    def _track(self, t: Tensor) -> None:
        st = t.untyped_storage()
        key = st._cdata
        if key in self.live or key in self.existing:
            return
        size = rounded(st.nbytes())
        self.live[key] = size
        self.refs[key] = weakref.ref(st, self._freer(key))
        self.current += size
        self.peak = max(self.peak, self.current)

    def _freer(self, key: int) -> Callable[[Any], None]:
        def free(_: Any) -> None:
            self.current -= self.live.pop(key, 0)
            self.refs.pop(key, None)
        return free


def _words(text: str) -> list[str]:
    return text.split()


#: autocast's CUDA op lists (aten/src/ATen/autocast_mode.cpp), by the name the function has in Python
LOWER = frozenset(_words("conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d conv_tbc convolution "
                  "_convolution prelu addmm addmv addr matmul einsum mm mv linear addbmm baddbmm bmm chain_matmul "
                  "multi_dot __matmul__ __rmatmul__ lstm_cell gru_cell rnn_tanh_cell rnn_relu_cell "
                  "scaled_dot_product_attention"))
FP32 = frozenset(_words("acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan pow softplus "
                 "layer_norm group_norm norm nuclear_norm frobenius_norm cosine_similarity poisson_nll_loss "
                 "cosine_embedding_loss nll_loss nll_loss2d hinge_embedding_loss kl_div l1_loss smooth_l1_loss "
                 "huber_loss mse_loss margin_ranking_loss multilabel_margin_loss soft_margin_loss "
                 "triplet_margin_loss multi_margin_loss binary_cross_entropy_with_logits dist pdist cdist renorm "
                 "logsumexp cross_entropy cross_entropy_loss"))
FP32_OUT = frozenset(_words("prod softmax log_softmax cumprod cumsum sum"))
PROMOTE = frozenset(_words("addcdiv addcmul atan2 bilinear cross dot grid_sampler index_put scatter_add tensordot cat "
                    "stack index_copy"))
LOW = (torch.float16, torch.bfloat16)


class MetaAutocast(TorchFunctionMode):
    """autocast for meta tensors (on which ``torch.autocast`` does nothing), from its CUDA op lists: the ops of
    ``LOWER`` run in the low dtype, ``FP32`` in float32, ``FP32_OUT`` give float32, ``PROMOTE`` the widest
    dtype. Like autocast, casts of leaf tensors that require grad (the weights) are cached for the region, and
    the mode sits above autograd, so what autograd saves is what it saves under autocast. The casts happen
    before autograd records the op, as autocast's do. ``dtype`` None: a mode that changes nothing."""

    def __init__(self, dtype: torch.dtype | None, fused: bool = True) -> None:
        super().__init__()
        self.dtype = dtype
        self.fused = fused
        self.cache: dict[int, Tensor] = {}

    def _cast(self, t: Any, to: torch.dtype) -> Any:
        if not isinstance(t, Tensor) or not t.is_floating_point() or t.dtype == to or t.dtype == torch.float64:
            return t
        if t.is_leaf and t.requires_grad and to in LOW:
            key = id(t)
            if key not in self.cache:
                self.cache[key] = t.to(to)
            return self.cache[key]
        return t.to(to)

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = dict(kwargs or {})
        name = getattr(func, "__name__", "")
        low = self.dtype
        if name == "scaled_dot_product_attention" and self.fused:
            func = _fused_attention
        if low is None:
            return func(*args, **kwargs)
        if name in LOWER:
            args, kwargs = tree_map(lambda t: self._cast(t, low), (args, kwargs))
        elif name in FP32:
            args, kwargs = tree_map(lambda t: self._cast(t, torch.float32), (args, kwargs))
        elif name in FP32_OUT and kwargs.get("dtype") is None:
            first = args[0] if args else None
            if isinstance(first, Tensor) and first.dtype in LOW:
                kwargs["dtype"] = torch.float32
        elif name in PROMOTE:
            floats = [t for t in tree_leaves((args, kwargs)) if isinstance(t, Tensor) and t.is_floating_point()]
            if floats and len({t.dtype for t in floats}) > 1:
                wide = max((t.dtype for t in floats), key=lambda d: torch.finfo(d).bits)
                args, kwargs = tree_map(lambda t: self._cast(t, wide), (args, kwargs))
        return func(*args, **kwargs)


def _fused_attention(q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                     is_causal: bool = False, scale: float | None = None, enable_gqa: bool = False) -> Tensor:
    """``scaled_dot_product_attention`` as a GPU runs it: the flash kernel for fp16/bf16, the memory-efficient one
    for float32 (they save q, k, v, the output and a float32 log-sum-exp per row, not the L×S attention matrix).
    A mask or grouped-query heads fall back to the math path, as the meta device always does."""
    if attn_mask is not None or enable_gqa or q.shape[-1] > 256:
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale)
    need = torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))
    if q.dtype in LOW:
        out: Tensor = torch.ops.aten._scaled_dot_product_flash_attention(q, k, v, dropout_p, is_causal, scale=scale)[0]
        return out
    eff: Tensor = torch.ops.aten._scaled_dot_product_efficient_attention(q, k, v, None, need, dropout_p, is_causal,
                                                                         scale=scale)[0]
    return eff


_HAS = ("has_torch_function", "has_torch_function_unary", "has_torch_function_variadic")


@contextmanager
def meta_autocast(dtype: torch.dtype | None) -> Iterator[None]:
    """``MetaAutocast`` for the region; its cache is dropped on exit, as autocast's is.

    A function mode does not see the calls inside a Python-level torch function (``F.layer_norm``,
    ``F.multi_head_attention_forward``) once that function has been handed to it; so for the region those
    functions skip their torch-function check and their built-in calls reach the mode one by one."""
    import torch.nn.functional as F

    saved = {n: getattr(F, n) for n in _HAS if hasattr(F, n)}
    mode = MetaAutocast(dtype)
    for n in saved:
        setattr(F, n, lambda *a, **k: False)
    try:
        with mode:
            yield
    finally:
        for n, f in saved.items():
            setattr(F, n, f)
        mode.cache.clear()


@dataclass
class SavedRecorder:
    """Unique storages autograd saves for backward (saved_tensors_hooks), each charged to the module running."""

    params: set[int]
    seen: dict[int, int] = field(default_factory=dict)
    by_module: dict[str, int] = field(default_factory=dict)
    where: list[str] = field(default_factory=lambda: [""])

    def pack(self, t: Tensor) -> Tensor:
        st = t.untyped_storage()
        key = st._cdata
        if key not in self.seen:
            self.seen[key] = st.nbytes()
            if key not in self.params:
                here = self.where[-1]
                self.by_module[here] = self.by_module.get(here, 0) + st.nbytes()
        return t

    @property
    def activation_bytes(self) -> int:
        return sum(n for k, n in self.seen.items() if k not in self.params)

    @property
    def total_bytes(self) -> int:
        return sum(self.seen.values())


@dataclass(frozen=True)
class MeasuredMemory:
    """Bytes measured on fake CUDA tensors (allocations rounded to 512 B; no kernel workspaces).

    - ``inference_peak_bytes``: peak during an eval, no-grad forward above parameters + input;
    - ``after_forward_bytes``: what a training forward leaves allocated (saved for backward + output);
    - ``saved_bytes`` / ``saved_activation_bytes``: unique storages autograd saved, with / without parameters;
    - ``backward_peak_bytes``: peak over forward and backward above the memory before forward (gradients in);
    - ``optimizer_step_bytes``: peak of the optimizer step above params + grads + state (its temporaries);
    - ``saved_by_module``: saved activation bytes charged to the leaf module that was running.
    """

    params_bytes: int
    buffers_bytes: int
    trainable_bytes: int
    input_bytes: int
    output_bytes: int
    inference_peak_bytes: int
    after_forward_bytes: int = 0
    saved_bytes: int = 0
    saved_activation_bytes: int = 0
    backward_peak_bytes: int = 0
    grads_bytes: int = 0
    optimizer_state_bytes: int = 0
    optimizer_step_bytes: int = 0
    saved_by_module: dict[str, int] = field(default_factory=dict)
    trainable_params: int = 0


AMP = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16, "float16": torch.float16}


def _meta_state(model: nn.Module) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Meta stand-ins for the parameters (leaves, requires_grad as in the model) and the buffers."""
    params: dict[str, Tensor] = {n: nn.Parameter(torch.empty_strided(p.shape, p.stride(), dtype=p.dtype, device="meta"),
                              requires_grad=p.requires_grad) for n, p in model.named_parameters()}
    buffers = {n: torch.empty_strided(b.shape, b.stride(), dtype=b.dtype, device="meta")
               for n, b in model.named_buffers()}
    return params, buffers


def _output(y: Any) -> Tensor:
    if isinstance(y, Tensor):
        return y
    if hasattr(y, "logits"):
        return y.logits  # type: ignore[no-any-return]
    leaves = [t for t in tree_leaves(y) if isinstance(t, Tensor)]
    if not leaves:
        raise ArgumentError("the model's output holds no tensor: nothing to train")
    return leaves[0]


def _nbytes(tensors: Any) -> int:
    return sum(rounded(t.untyped_storage().nbytes()) for t in tensors)


def _module_labels(model: nn.Module, recorder: SavedRecorder) -> list[Any]:
    """Hooks that keep ``recorder.where`` on the innermost module running (its path in the model)."""
    handles = []
    for path, module in model.named_modules():
        def pre(_m: nn.Module, _a: Any, path: str = path) -> None:
            recorder.where.append(path)

        def post(_m: nn.Module, _a: Any, _o: Any) -> None:
            recorder.where.pop()
        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post))
    return handles


def measure_memory(model: nn.Module, input_size: Sequence[int] | None = None, *, example_inputs: Any = None,
                   amp: str | None = None, training: bool = True, optimizer: str = "adam",
                   input_dtype: torch.dtype = torch.float32) -> MeasuredMemory:
    """Measure inference and one training step of ``model`` on fake CUDA tensors (the model is left as it was).

    ``input_size``: the input's shape with the batch axis (``input_dtype``, e.g. torch.long for token ids);
    ``amp``: 'bf16' / 'fp16' for autocast, None for none; ``optimizer``: a torch.optim name or 'sgd', 'momentum',
    'adam', 'adamw', 'adafactor' (the step runs for real on fake tensors)."""
    dtype = AMP.get(amp) if amp else None
    if amp and dtype is None:
        raise ArgumentError(f"--amp takes bf16 or fp16, got {amp!r}")
    params, buffers = _meta_state(model)
    args = _inputs(input_size, example_inputs, input_dtype)
    flags = [(m, m.training) for m in model.modules()]
    try:
        measured = _measure(model, params, buffers, args, dtype, training, optimizer)
    finally:
        for m, flag in flags:
            m.training = flag
    return measured


def _inputs(input_size: Sequence[int] | None, example_inputs: Any, dtype: torch.dtype) -> list[Any]:
    if input_size is not None:
        if dtype.is_floating_point:
            return [torch.empty(tuple(input_size), dtype=dtype, device="meta")]
        return [torch.zeros(tuple(input_size), dtype=dtype, device="meta")]
    items = example_inputs if isinstance(example_inputs, (tuple, list)) else [example_inputs]
    return [tree_map(lambda t: torch.empty_like(t, device="meta") if isinstance(t, Tensor) else t, v) for v in items]


def _measure(model: nn.Module, params: dict[str, Tensor], buffers: dict[str, Tensor], args: list[Any],
             dtype: torch.dtype | None, training: bool, optimizer: str) -> MeasuredMemory:
    state = {**params, **buffers}
    existing = [t for t in [*params.values(), *buffers.values(), *tree_leaves(args)] if isinstance(t, Tensor)]
    tracker = AllocationTracker(existing)

    def forward() -> Tensor:
        return _output(torch.func.functional_call(model, state, tuple(args), strict=False, tie_weights=True))

    model.eval()
    with torch.no_grad(), tracker, meta_autocast(dtype):
        y = forward()
        out_bytes = y.numel() * y.element_size()
        del y
    base: dict[str, Any] = dict(params_bytes=_nbytes(params.values()), buffers_bytes=_nbytes(buffers.values()),
                trainable_bytes=_nbytes(p for p in params.values() if p.requires_grad),
                input_bytes=_nbytes(t for t in tree_leaves(args) if isinstance(t, Tensor)),
                output_bytes=out_bytes, inference_peak_bytes=tracker.peak,
                trainable_params=sum(p.numel() for p in params.values() if p.requires_grad))
    trainable = [p for p in params.values() if p.requires_grad]
    if not training or not trainable:
        return MeasuredMemory(**base)
    return MeasuredMemory(**base, **_train_step(model, forward, params, trainable, existing, dtype, optimizer))


def _train_step(model: nn.Module, forward: Callable[[], Tensor], params: dict[str, Tensor], trainable: list[Tensor],
                existing: list[Tensor], dtype: torch.dtype | None, optimizer: str) -> dict[str, Any]:
    opt = torch_optimizer(optimizer, trainable)
    for p in trainable:  # step 1 creates the optimizer's state; the measured step is the second
        p.grad = torch.zeros_like(p)
    opt.step()
    opt.zero_grad(set_to_none=True)
    state_bytes = _nbytes(v for s in opt.state.values() for v in s.values() if isinstance(v, Tensor))
    recorder = SavedRecorder({t.untyped_storage()._cdata for t in existing})
    handles = _module_labels(model, recorder)
    tracker = AllocationTracker(existing)
    model.train()
    try:
        with tracker:
            with torch.autograd.graph.saved_tensors_hooks(recorder.pack, lambda t: t), meta_autocast(dtype):
                y = forward()
            loss = y.float().mean()
            after_forward = tracker.current
            loss.backward()  # type: ignore[no-untyped-call]
            del y, loss
            grads = _nbytes(p.grad for p in trainable if p.grad is not None)
            backward_peak = tracker.peak
            settled = tracker.current
            tracker.reset()
            opt.step()
            step_extra = tracker.peak - settled
    finally:
        for h in handles:
            h.remove()
    return dict(after_forward_bytes=after_forward, saved_bytes=recorder.total_bytes,
                saved_activation_bytes=recorder.activation_bytes, backward_peak_bytes=backward_peak,
                grads_bytes=grads, optimizer_state_bytes=state_bytes, optimizer_step_bytes=step_extra,
                saved_by_module=dict(recorder.by_module))


def torch_optimizer(name: str, params: list[Tensor]) -> torch.optim.Optimizer:
    """The torch.optim optimizer a cnncalc optimizer name stands for (defaults as in torch.optim)."""
    from ...analysis.training import optimizer_rule

    rule = optimizer_rule(name)
    if rule.name in ("sgd", "momentum"):
        return torch.optim.SGD(params, lr=1e-3, momentum=0.9 if rule.name == "momentum" else 0.0, foreach=True)
    if rule.name == "adam":
        return torch.optim.Adam(params, lr=1e-4, foreach=True)
    if rule.name == "adamw":
        return torch.optim.AdamW(params, lr=1e-4, foreach=True)
    if rule.name == "adafactor":
        return torch.optim.Adafactor(params, lr=1e-2)
    raise ArgumentError(f"optimizer {name!r} has no torch.optim counterpart to measure",
                        hint="its memory follows the rule in docs/memory.md; measure adam instead")


def step_estimate(m: MeasuredMemory, optimizer: str = "adam") -> dict[str, int]:
    """The training step's figures from a measurement plus the core's optimizer rule (its state and the step's
    temporaries): before forward, after forward and the step peak, in bytes, as the GPU oracle reports them."""
    from ...analysis.training import optimizer_rule

    rule = optimizer_rule(optimizer)
    width = 4
    trainable = m.trainable_params
    state = rule.state_bytes(trainable, width).value
    before = m.params_bytes + m.buffers_bytes + m.input_bytes + state
    step = max(m.after_forward_bytes, m.backward_peak_bytes, m.grads_bytes + rule.temporaries * m.trainable_bytes)
    return {"before_forward": before, "after_forward": m.after_forward_bytes, "step_peak": before + step,
            "inference_peak": m.params_bytes + m.buffers_bytes + m.input_bytes + m.inference_peak_bytes,
            "optimizer_state": state}
