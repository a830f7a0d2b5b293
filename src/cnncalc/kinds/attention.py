"""Multi-head attention, counted as its projections plus the two attention products."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ShapeError
from ..expr import Expr, Num, Quantity, Var, total
from ..shape import Shape
from .args import check_choice, check_int
from .base import Computed, Counting, Layer, MemoryRule, q, register


@register("attention", "mha", "multihead_attention")
@dataclass(frozen=True)
class MultiHeadAttention(Layer):
    """Multi-head attention on (L, E) queries and (S, E) keys/values.

    Params: Q, K, V and output projections, each with a bias (4E² + 4E when key_dim = E/h).
    MACs: 4·L·E² for the projections (self-attention) plus 2·h·L·S·(E/h) for Q·Kᵀ and A·V.
    One input is self-attention; two are (query, key=value); three are (query, key, value).
    """

    kind = "attention"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """The math path: saves the inputs, q, k, v, the softmax (h·L·S) and the context before the output
        projection; autocast runs its matmuls in bf16/fp16."""
        x = inputs[0]
        s = inputs[1] if len(inputs) > 1 else x
        length, other = x.size // max(x.channels, 1), s.size // max(s.channels, 1)
        e = self.embed_dim or x.channels
        if self.kernel == "fused":
            fused = Num(4) * Var("L", length) * Var("E", e) + Var("h", self.num_heads) * Var("L", length)
            return MemoryRule(saves_inputs=tuple(range(len(inputs))), extra=Quantity(fused), lower=True,
                              why="saves its inputs, q, k, v, the context and a log-sum-exp per head and row "
                              "(a fused kernel, flash or memory-efficient: no L×S weights)")
        extra = (Num(4) * Var("L", length) * Var("E", e)
                 + Var("h", self.num_heads) * Var("L", length) * Var("S", other))
        return MemoryRule(saves_inputs=tuple(range(len(inputs))), extra=Quantity(extra), lower=True,
                          why="saves its inputs, q, k, v, the attention weights h·L·S and the context (math path)")
    arity = (1, 3)
    positional = ("num_heads",)
    aliases = {"heads": "num_heads", "embed_dim": "embed_dim"}

    num_heads: int = 1
    #: size of each head for Q and K; default: query features / heads
    key_dim: int | None = None
    #: size of each head for V; default: key_dim
    value_dim: int | None = None
    #: output features; default: query features
    output_dim: int | None = None
    #: optional: the query features expected (PyTorch's embed_dim)
    embed_dim: int | None = None
    bias: bool = True
    #: the kernel, for memory only: "math" keeps the attention weights for backward, "fused" (flash or
    #: memory-efficient, what a GPU runs when the weights are not asked for) does not
    kernel: str = "math"

    def __post_init__(self) -> None:
        check_int("num_heads", self.num_heads, 1)
        check_choice("kernel", self.kernel, ("math", "fused"))
        for name in ("key_dim", "value_dim", "output_dim", "embed_dim"):
            if getattr(self, name) is not None:
                check_int(name, getattr(self, name), 1)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        query = inputs[0]
        key = inputs[1] if len(inputs) > 1 else query
        value = inputs[2] if len(inputs) > 2 else key
        for name, s in (("query", query), ("key", key), ("value", value)):
            if s.rank != 2:
                raise ShapeError(f"attention needs a sequence (L, E) as {name}, got {s}")
        if key.dims[0] != value.dims[0]:
            raise ShapeError(f"key and value need the same length, got {key.dims[0]} and {value.dims[0]}")
        e = query.channels
        if self.embed_dim is not None and self.embed_dim != e:
            raise ShapeError(f"expects embed_dim {self.embed_dim}, but the query has {e} features")
        if self.key_dim is None and e % self.num_heads:
            raise ShapeError(f"embed_dim must be divisible by num_heads: {e} mod {self.num_heads} = "
                             f"{e % self.num_heads}", hint="choose heads that divide the embedding size")
        kd = self.key_dim or e // self.num_heads
        vd = self.value_dim or kd
        out_dim = self.output_dim or e
        h = Var("h", self.num_heads)
        hk, hv = h * Var("dk", kd), h * Var("dv", vd)
        eq, ek, ev, eo = Var("Eq", e), Var("Ek", key.channels), Var("Ev", value.channels), Var("Eo", out_dim)
        ln, sn = Var("L", query.dims[0]), Var("S", key.dims[0])

        def proj(inp: Expr, width: Expr) -> Expr:
            return inp * width + width if self.bias else inp * width

        params = total([proj(eq, hk), proj(ek, hk), proj(ev, hv), proj(hv, eo)])
        macs = total([ln * eq * hk, sn * ek * hk, sn * ev * hv, h * ln * sn * Var("dk", kd),
                      h * ln * sn * Var("dv", vd), ln * hv * eo])
        return Computed(
            output=Shape((query.dims[0], out_dim)),
            trainable=q(params),
            macs=q(macs),
            elementwise_flops=q(h * ln * sn * Var("c_softmax", 3)),
            rf="unknown",
            notes=("projections Q, K, V, out; then Q·Kᵀ and A·V per head",),
        )
