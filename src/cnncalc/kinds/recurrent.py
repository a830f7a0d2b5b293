"""Recurrent layers: simple RNN, LSTM, GRU; PyTorch's two bias vectors or Keras's counting."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArgumentError, ShapeError
from ..expr import Expr, Num, Var, total
from ..shape import Shape
from .args import check_choice, check_int
from .base import Computed, Counting, Layer, q, register

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
#: bias vectors per gate under Keras's defaults (GRU's reset_after=True keeps two)
KERAS_BIASES = {"rnn": 1, "lstm": 1, "gru": 2}


@register("rnn", "simple_rnn", cell="rnn")
@register("lstm", cell="lstm")
@register("gru", cell="gru")
@dataclass(frozen=True)
class Recurrent(Layer):
    """RNN/LSTM/GRU over a sequence (L, I): params gates·(H·I + H·H + b·H) per layer and direction.

    ``b`` (bias vectors) is 2 under PyTorch's counting; under Keras's it is 1 for LSTM and
    SimpleRNN and 2 for GRU (reset_after=True). ``bias_vectors`` overrides either.
    """

    kind = "recurrent"
    positional = ("units",)
    aliases = {"hidden_size": "units", "batch_first": "batch_first"}

    units: int = 0
    cell: str = "lstm"
    num_layers: int = 1
    bidirectional: bool = False
    bias: bool = True
    bias_vectors: int | None = None
    return_sequences: bool = True
    batch_first: bool = True

    def __post_init__(self) -> None:
        check_int("units", self.units, 1)
        check_int("num_layers", self.num_layers, 1)
        object.__setattr__(self, "cell", check_choice("cell", self.cell, tuple(GATES)))
        if self.bias_vectors is not None and check_int("bias_vectors", self.bias_vectors) not in (1, 2):
            raise ArgumentError(f"bias_vectors must be 1 or 2, got {self.bias_vectors}")
        for flag in ("bidirectional", "bias", "return_sequences"):
            if not isinstance(getattr(self, flag), bool):
                raise ArgumentError(f"{flag} must be true or false, got {getattr(self, flag)!r}")

    @property
    def label(self) -> str:
        return self.cell

    def biases(self, counting: Counting) -> int:
        if not self.bias:
            return 0
        if self.bias_vectors is not None:
            return self.bias_vectors
        return 2 if counting == "torch" else KERAS_BIASES[self.cell]

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        (x,) = inputs
        if x.rank != 2:
            raise ShapeError(f"{self.cell} needs a sequence (L, features), got {x}",
                             hint="reshape to (time steps, features) first")
        seq, feats = x.dims
        dirs = 2 if self.bidirectional else 1
        g, h, b = Var("g", GATES[self.cell]), Var("H", self.units), self.biases(counting)
        params: list[Expr] = []
        macs: list[Expr] = []
        # the first layer reads the features, every later one the same dirs·H: one term each, the later
        # ones multiplied by their count (work independent of num_layers)
        for layer, count in ((0, 1), (1, self.num_layers - 1)):
            if count < 1:
                continue
            i = Var("I", feats) if layer == 0 else Var("dirs·H", dirs * self.units)
            weights = h * i + h * h
            per = weights + Var("b", b) * h if b else weights
            p = (Var("dirs", dirs) * g * per) if dirs > 1 else g * per
            m = Var("L", seq) * Var("dirs", dirs) * g * weights if dirs > 1 else Var("L", seq) * g * weights
            params.append(Var("layers−1", count) * p if count > 1 else p)
            macs.append(Var("layers−1", count) * m if count > 1 else m)
        width = dirs * self.units
        out = Shape((seq, width)) if self.return_sequences else Shape((width,))
        return Computed(
            output=out,
            trainable=q(total(params)),
            macs=q(total(macs)),
            bias_flops=q(Var("L", seq) * Num(dirs * self.num_layers) * g * h * Var("b", b)) if b else q(0),
            rf="unknown",
            notes=(f"{b} bias vector(s) per gate ({'PyTorch' if counting == 'torch' else 'Keras'} counting)",),
        )
