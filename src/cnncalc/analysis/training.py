"""What one training step holds besides activations: the optimizer's state and its step's temporaries, by rule.

Each optimizer is a ``OptimizerRule``: how many state elements it keeps per trainable parameter (in the
parameters' dtype or in a fixed width), and how many parameter-sized temporaries its step allocates (PyTorch's
``foreach`` implementations, the default on CUDA, work on the whole parameter list at once). ``Training`` holds the
options of a training analysis (optimizer, autocast, master weights, checkpointing, sharding).

>>> r = optimizer_rule("adam")
>>> r.state_bytes(1000, 4).explain()
'states·P·b = 2·1000·4 = 8000'
>>> optimizer_rule("adm")
Traceback (most recent call last):
...
cnncalc.errors.ArgumentError: unknown optimizer 'adm' (did you mean 'adam'?)
  hint: optimizers: sgd, momentum, adam, adamw, adafactor, adam8bit
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import ArgumentError
from ..expr import Num, Quantity, Var

Amp = Literal["bf16", "fp16"]
Shard = Literal["ddp", "zero1", "zero2", "zero3", "fsdp"]
SHARDS: tuple[str, ...] = ("ddp", "zero1", "zero2", "zero3", "fsdp")
AMP_DTYPES = {"bf16": "bfloat16", "bfloat16": "bfloat16", "fp16": "float16", "float16": "float16", "half": "float16"}


@dataclass(frozen=True)
class OptimizerRule:
    """``states`` tensors the size of the parameters (in their dtype unless ``state_width`` bytes per element),
    ``overhead`` extra bytes per parameter (8-bit Adam's per-block scales), ``temporaries`` parameter-sized
    tensors its step allocates at once; ``factored``: Adafactor's row and column statistics instead."""

    name: str
    states: int
    temporaries: int
    summary: str
    state_width: int | None = None
    overhead_per_block: tuple[int, int] | None = None
    factored: bool = False

    def state_bytes(self, params: int, element: int) -> Quantity:
        """Bytes of state for ``params`` trainable elements of ``element`` bytes (Adafactor: see ``factored``)."""
        p, b = Var("P", params), Var("b", self.state_width or element)
        if not self.states or not params:
            return Quantity(Num(0))
        expr = Var("states", self.states) * p * b
        if self.overhead_per_block:
            block, width = self.overhead_per_block
            expr = expr + Var("states", self.states) * ((p + Num(block - 1)) // Num(block)) * Var("scale", width)
        return Quantity(expr)


OPTIMIZERS: dict[str, OptimizerRule] = {r.name: r for r in (
    OptimizerRule("sgd", 0, 0, "plain SGD: no state; the update is in place"),
    OptimizerRule("momentum", 1, 0, "SGD with momentum: one momentum buffer"),
    OptimizerRule("adam", 2, 1, "Adam: exp_avg and exp_avg_sq; the foreach step allocates sqrt(v) for every param"),
    OptimizerRule("adamw", 2, 1, "AdamW: as Adam (decoupled weight decay is in place)"),
    OptimizerRule("adafactor", 0, 1, "Adafactor (no first moment): row and column second-moment factors for each "
                  "matrix, a full vector for 1-d parameters", factored=True),
    OptimizerRule("adam8bit", 2, 1, "8-bit Adam (bitsandbytes, block-wise): two 1-byte states plus one float32 "
                  "scale per 2048-element block and state", state_width=1, overhead_per_block=(2048, 4)),
)}
OPTIMIZER_ALIASES = {"adam_8bit": "adam8bit", "adam-8bit": "adam8bit", "8bit-adam": "adam8bit", "bnb": "adam8bit",
                     "sgdm": "momentum", "sgd_momentum": "momentum"}


def optimizer_rule(name: str) -> OptimizerRule:
    """The rule of an optimizer by name (case aside); an unknown name is an error with 'did you mean'."""
    from ..kinds.base import suggest

    key = OPTIMIZER_ALIASES.get(str(name).lower(), str(name).lower())
    if key not in OPTIMIZERS:
        guess = suggest(key, list(OPTIMIZERS))
        raise ArgumentError(f"unknown optimizer '{name}'" + (f" (did you mean '{guess}'?)" if guess else ""),
                            hint="optimizers: " + ", ".join(OPTIMIZERS))
    return OPTIMIZERS[key]


@dataclass(frozen=True)
class Training:
    """Options of a training-step analysis.

    - ``optimizer``: sgd, momentum, adam, adamw, adafactor, adam8bit;
    - ``amp``: None, 'bf16' or 'fp16' (autocast: fp32 weights, low-precision copies of the weights and
      activations of the ops on autocast's lower-precision list);
    - ``master_weights``: parameters kept in a low-precision dtype get a float32 master copy, and the optimizer's
      state is float32 (mixed precision à la Megatron/DeepSpeed); without it the state is in the parameters' dtype;
    - ``checkpoint``: activation checkpointing per block (text format) or top-level module (PyTorch);
    - ``shard`` and ``gpus``: per-GPU memory under DDP, ZeRO-1/2/3 or FSDP on ``gpus`` GPUs.

    >>> Training(optimizer="Adam").optimizer, Training(amp="bfloat16").amp
    ('adam', 'bf16')
    """

    optimizer: str = "adam"
    amp: str | None = None
    master_weights: bool = False
    checkpoint: bool = False
    shard: str | None = None
    gpus: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "optimizer", optimizer_rule(self.optimizer).name)
        if self.amp is not None:
            key = str(self.amp).lower()
            if key not in AMP_DTYPES:
                integer = key.startswith(("int", "uint", "bool", "long"))
                what = "an integer dtype" if integer else "not a low-precision float"
                raise ArgumentError(f"--amp takes bf16 or fp16, got '{self.amp}' ({what})",
                                    hint="autocast runs matmuls and convolutions in bf16 or fp16")
            object.__setattr__(self, "amp", "bf16" if AMP_DTYPES[key] == "bfloat16" else "fp16")
        if isinstance(self.gpus, bool) or not isinstance(self.gpus, int) or self.gpus < 1:
            raise ArgumentError(f"--gpus must be a whole number ≥ 1, got {self.gpus!r}")
        if self.shard is not None and self.shard not in SHARDS:
            from ..kinds.base import suggest

            guess = suggest(str(self.shard), list(SHARDS))
            raise ArgumentError(f"unknown --shard '{self.shard}'" + (f" (did you mean '{guess}'?)" if guess else ""),
                                hint="sharding: " + ", ".join(SHARDS))

    @property
    def rule(self) -> OptimizerRule:
        return optimizer_rule(self.optimizer)
