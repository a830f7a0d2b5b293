"""Fully connected (dense/linear) layers and embeddings."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArgumentError, ShapeError
from ..expr import Expr, Var, product
from ..shape import Shape
from .activation import activation_flops, check_activation
from .args import check_int
from .base import Computed, Counting, Layer, MemoryRule, q, register


def leading_positions(dims: tuple[int, ...]) -> Expr:
    """The leading axes a dense layer is applied at, as named factors (1 when there are none)."""
    return product([Var(f"n{i + 1}" if len(dims) > 1 else "n", d) for i, d in enumerate(dims)])


@register("dense", "linear", "fc")
@dataclass(frozen=True)
class Dense(Layer):
    """Fully connected layer: params (p·c) + c, applied over the last axis.

    After a spatial volume it flattens the volume first (the article's FC3 sees 5·5·16 = 400
    inputs) unless ``flatten=False``, which applies it at every position as Keras's Dense does.
    """

    kind = "dense"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves its input (and its weight); autocast runs it in bf16/fp16."""
        return MemoryRule(saves_inputs=(0,), lower=True, why="saves its input")
    positional = ("units",)
    aliases = {"out_features": "units", "c": "units", "use_bias": "bias", "in_features": "in_features"}

    units: int = 0
    bias: bool = True
    activation: str | None = None
    #: None: flatten when the input is a spatial volume (implied); True/False: explicit
    flatten: bool | None = None
    #: optional: the input features the layer expects (checked)
    in_features: int | None = None

    def __post_init__(self) -> None:
        check_int("units", self.units, 1)
        object.__setattr__(self, "activation", check_activation(self.activation))
        if not isinstance(self.bias, bool):
            raise ArgumentError(f"bias must be true or false, got {self.bias!r}")
        if self.flatten is not None and not isinstance(self.flatten, bool):
            raise ArgumentError(f"flatten must be true, false or unset, got {self.flatten!r}")

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        flatten = x.spatial > 0 if self.flatten is None else self.flatten
        notes: list[str] = []
        steps = []
        lead: tuple[int, ...]
        if flatten and x.rank > 1:
            how = "implied: a dense layer after a spatial volume" if self.flatten is None else "flatten=true"
            notes.append(f"input {x} flattened to {x.size} features first ({how})")
            steps.append(("features p", q(x.size_expr())))
            p, lead = x.size, ()
        else:
            p, lead = x.channels, x.leading
        if self.in_features is not None and self.in_features != p:
            raise ShapeError(
                f"expects {self.in_features} input features, but its input gives {p}",
                hint="fix in_features, or the layers before it",
            )
        pv, cv = Var("p", p), Var("c", self.units)
        out = Shape(lead + (self.units,), x.spatial if lead and not flatten else 0)
        positions = leading_positions(lead)
        return Computed(
            output=out,
            shape_steps=tuple(steps),
            trainable=q(pv * cv + cv if self.bias else pv * cv),
            macs=q(positions * pv * cv if lead else pv * cv),
            bias_flops=q(positions * cv) if self.bias else q(0),
            elementwise_flops=activation_flops(self.activation, out.size),
            rf="global" if flatten or x.spatial == 0 else "identity",
            notes=tuple(notes),
        )


@register("embedding")
@dataclass(frozen=True)
class Embedding(Layer):
    """Embedding table: V·E parameters; input of token ids (L,) → (L, E)."""

    kind = "embedding"
    positional = ("num_embeddings", "embedding_dim")
    aliases = {"input_dim": "num_embeddings", "output_dim": "embedding_dim", "vocab": "num_embeddings",
               "dim": "embedding_dim"}

    num_embeddings: int = 0
    embedding_dim: int = 0

    def __post_init__(self) -> None:
        check_int("num_embeddings", self.num_embeddings, 1)
        check_int("embedding_dim", self.embedding_dim, 1)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        return Computed(
            output=Shape(x.dims + (self.embedding_dim,)),
            trainable=q(Var("V", self.num_embeddings) * Var("E", self.embedding_dim)),
            rf="unknown",
            notes=("input: integer token ids; a table look-up, no MACs",),
        )
