"""Element-wise activations (and PReLU, which learns), dropout and softmax."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ArgumentError
from ..expr import Num, Quantity, Var
from ..shape import Shape
from .args import check_choice, check_int
from .base import Computed, Counting, Layer, MemoryRule, q, register

#: element-wise FLOPs per output element, a documented estimate (no framework publishes these)
ACTIVATIONS: dict[str, int] = {
    "linear": 0,
    "identity": 0,
    "relu": 1,
    "relu6": 2,
    "leaky_relu": 2,
    "elu": 3,
    "selu": 4,
    "sigmoid": 4,
    "hardsigmoid": 3,
    "tanh": 5,
    "softmax": 3,
    "log_softmax": 3,
    "softplus": 3,
    "softsign": 3,
    "gelu": 8,
    "silu": 5,
    "swish": 5,
    "hardswish": 4,
    "mish": 9,
    "exponential": 1,
}

ACTIVATION_ALIASES = {"leakyrelu": "leaky_relu", "hard_sigmoid": "hardsigmoid", "hard_swish": "hardswish"}


def check_activation(value: Any) -> str | None:
    """None, or a known activation name (fused into conv/dense)."""
    if value is None:
        return None
    name = ACTIVATION_ALIASES.get(str(value).lower(), str(value).lower())
    name = check_choice("activation", name, tuple(ACTIVATIONS))
    return None if name in ("linear", "identity") else name


def activation_flops(name: str | None, size: int) -> Any:
    if not name:
        return q(0)
    return q(Var("n", size) * Var(f"c_{name}", ACTIVATIONS[name]))


@register("activation")
@dataclass(frozen=True)
class Activation(Layer):
    """An element-wise activation: relu, sigmoid, tanh, softmax, gelu, …; no parameters."""

    kind = "activation"
    positional = ("function",)
    aliases = {"fn": "function", "name": "function"}

    function: str = "relu"

    def __post_init__(self) -> None:
        name = ACTIVATION_ALIASES.get(str(self.function).lower(), str(self.function).lower())
        object.__setattr__(self, "function", check_choice("activation", name, tuple(ACTIVATIONS)))

    @property
    def label(self) -> str:
        return self.function

    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """relu, sigmoid, tanh, softmax, elu keep their output for backward; the others their input."""
        out = self.function in ("relu", "sigmoid", "tanh", "softmax", "elu")
        return MemoryRule(saves_inputs=() if out else (0,), saves_output=out, fp32=self.function == "softmax",
                          why=f"{self.function} saves its {'output' if out else 'input'}")

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        return Computed(output=x, elementwise_flops=activation_flops(self.function, x.size))


for _fn in ("relu", "relu6", "sigmoid", "tanh", "softmax", "gelu", "silu", "elu", "leaky_relu", "hardswish"):
    register(_fn, function=_fn)(Activation)


@register("prelu")
@dataclass(frozen=True)
class PReLU(Layer):
    """Parametric ReLU: PyTorch learns 1 slope by default, Keras one per input element."""

    kind = "prelu"
    aliases = {"num_parameters": "slopes"}

    #: number of learnt slopes; None: the framework default (torch 1, keras every element)
    slopes: int | None = None

    def __post_init__(self) -> None:
        if self.slopes is not None:
            check_int("slopes", self.slopes, 1)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        if self.slopes is not None:
            n = self.slopes
            if n not in (1, x.channels):
                raise ArgumentError(f"prelu slopes must be 1 or the channels ({x.channels}), got {n}")
            params = q(Var("a", n))
        elif counting == "keras":
            params = q(Var("n", x.size))
        else:
            params = q(Num(1))
        return Computed(
            output=x,
            trainable=params,
            elementwise_flops=activation_flops("leaky_relu", x.size),
            notes=("one slope per input element (Keras's default)",) if counting == "keras" and self.slopes is None
            else (),
        )


@register("dropout", "spatial_dropout")
@dataclass(frozen=True)
class Dropout(Layer):
    """Dropout: the identity at inference; no parameters, no MACs."""

    kind = "dropout"
    positional = ("rate",)
    aliases = {"p": "rate"}

    rate: float = 0.5

    def __post_init__(self) -> None:
        if isinstance(self.rate, bool) or not isinstance(self.rate, (int, float)) or not 0 <= self.rate < 1:
            raise ArgumentError(f"dropout rate must be in [0, 1), got {self.rate!r}")

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        return Computed(output=inputs[0])

    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """The identity at inference; in training a new output and a 1-byte mask per element."""
        if not self.rate:
            return MemoryRule(allocates="view", why="rate 0: the identity")
        return MemoryRule(allocates="view", in_training="new", extra=Quantity(Var("n", inputs[0].size)),
                          extra_width=1, why="the identity at inference; in training it saves a bool mask")
