"""Layers that join branches: add, multiply, concatenate, and matrix products."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArgumentError, MergeError
from ..expr import ZERO, Expr, Quantity, Var, product
from ..shape import Shape
from .args import check_choice, check_int
from .base import Computed, Counting, Layer, MemoryRule, q, register


def _shown(inputs: tuple[Shape, ...]) -> str:
    return ", ".join(str(s) for s in inputs)


def broadcast(inputs: tuple[Shape, ...]) -> tuple[int, ...] | None:
    """NumPy's broadcasting over trailing axes (each size equal or 1), or None when they do not fit."""
    rank = max(s.rank for s in inputs)
    out: list[int] = []
    for axis in range(-rank, 0):
        sizes = {s.dims[axis] for s in inputs if s.rank >= -axis} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _merge_fixes(first: Shape, other: Shape) -> tuple[str, ...]:
    if other.dims[:-1] == first.dims[:-1]:
        return (f"project the branch with {other.channels} channels to {first.channels} "
                f"with a 1×1 conv ({other.channels} → {first.channels})",)
    if other.rank == first.rank:
        return ("make the spatial sizes agree: match the strides on both branches, or add a "
                "strided 1×1 conv on the shortcut",)
    return ()


@dataclass(frozen=True)
class _Elementwise(Layer):
    """Element-wise merge; shapes must be equal or broadcast (a (1, 1, C) gate over (H, W, C))."""

    arity = (2, None)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        dims = broadcast(inputs)
        if dims is None:
            first = inputs[0]
            other = next(s for s in inputs if s.dims != first.dims)
            raise MergeError(
                f"{self.label} needs inputs of one shape (or sizes of 1 that broadcast), got {_shown(inputs)}",
                hint="every branch must end in the same shape", fixes=_merge_fixes(first, other),
            )
        widest = max(inputs, key=lambda s: (s.rank, s.size))
        out = widest if widest.dims == dims else Shape(dims, max(s.spatial for s in inputs if s.rank == len(dims)))
        notes = () if all(s.dims == dims for s in inputs) else (f"broadcast to {out}",)
        n = Var("n", out.size)
        return Computed(output=out, elementwise_flops=q(n * self._flops_per_element(len(inputs))), notes=notes)

    def _flops_per_element(self, k: int) -> Expr:
        """k inputs take k − 1 operations per output element."""
        return Var("inputs−1", k - 1)

    def _saving_inputs(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """The rule of an op whose backward needs its operands (a product, a quotient, an extreme). Frameworks
        apply it pairwise, ((a·b)·c)·…, so k inputs also keep the k − 2 partial results, each of the output's
        size."""
        partial = max(len(inputs) - 2, 0)
        extra = Quantity(Var("partials", partial) * Var("n", computed.output.size)) if partial else Quantity(ZERO)
        why = f"saves its inputs and {partial} partial result{'s' * (partial > 1)}" if partial else "saves its inputs"
        return MemoryRule(saves_inputs=tuple(range(len(inputs))), extra=extra, why=f"{self.label} {why}")


@register("add")
@dataclass(frozen=True)
class Add(_Elementwise):
    """Element-wise sum of branches of one shape (a residual connection)."""

    kind = "add"
    saves = "none"


@register("multiply", "mul")
@dataclass(frozen=True)
class Multiply(_Elementwise):
    """Element-wise product of branches of one shape (gating, squeeze-and-excitation)."""

    kind = "multiply"
    saves = "inputs"

    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        return self._saving_inputs(inputs, computed)


#: the element-wise ops ``combine`` knows, each with what autograd saves for its backward
COMBINE_OPS: dict[str, str] = {"subtract": "none", "divide": "inputs", "maximum": "inputs", "minimum": "inputs",
                               "average": "none"}


@register("subtract", "sub", op="subtract")
@register("divide", "div", op="divide")
@register("maximum", op="maximum")
@register("minimum", op="minimum")
@register("average", op="average")
@register("combine")
@dataclass(frozen=True)
class Combine(_Elementwise):
    """Element-wise difference, quotient, maximum, minimum or mean of branches of one shape.

    ``subtract`` and ``divide`` take two inputs (the first minus/over the second); ``maximum``, ``minimum`` and
    ``average`` take two or more. FLOPs per output element: k − 1 for k inputs, and k for the mean (k − 1 sums
    and one multiplication by 1/k). For backward, the difference and the mean keep nothing, the quotient and the
    extremes keep their inputs (as PyTorch's autograd does).
    """

    kind = "combine"
    positional = ("op",)

    op: str = "subtract"

    def __post_init__(self) -> None:
        object.__setattr__(self, "op", check_choice("op", self.op, tuple(COMBINE_OPS)))

    @property
    def label(self) -> str:
        return self.op

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        if self.op in ("subtract", "divide") and len(inputs) != 2:
            order = "minus" if self.op == "subtract" else "over"
            raise MergeError(f"{self.op} takes exactly 2 inputs (the first {order} the second), got {len(inputs)}",
                             hint="chain them for more: a − b − c is (a − b) − c")
        return super().compute(inputs, counting)

    def _flops_per_element(self, k: int) -> Expr:
        return Var("inputs", k) if self.op == "average" else Var("inputs−1", k - 1)

    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        if COMBINE_OPS[self.op] == "inputs":
            return self._saving_inputs(inputs, computed)
        return MemoryRule(why=f"{self.op} saves nothing for backward")


@register("concat", "concatenate")
@dataclass(frozen=True)
class Concat(Layer):
    """Concatenation along one axis (default: channels); the other axes must agree.

    The axis counts the batch axis, as both frameworks do: ``axis`` as Keras (channels last: for an
    image (N, H, W, C), -1 or 3 is channels, 1 is H) and ``dim`` as PyTorch (channels first: for
    (N, C, H, W), 1 is channels, 2 is H, -1 is W). For a sequence or a vector (no channels axis) both
    read the tensor as it is. Axis 0, the batch, cannot be joined here.
    """

    kind = "concat"
    saves = "none"
    arity = (2, None)

    axis: int = -1
    dim: int | None = None

    def __post_init__(self) -> None:
        for name, value in (("axis", self.axis), ("dim", self.dim)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ArgumentError(f"{name} must be an integer, got {value!r}")
        if self.dim is not None and self.axis != -1:
            raise ArgumentError(
                f"give axis (Keras: channels last) or dim (PyTorch: channels first), not both "
                f"(axis={self.axis}, dim={self.dim})"
            )

    def _named(self) -> str:
        return f"dim {self.dim}" if self.dim is not None else f"axis {self.axis}"

    def sample_axis(self, x: Shape) -> int:
        """The axis of the channels-last sample (batch excluded) this layer joins along."""
        given = self.axis if self.dim is None else self.dim
        rank = x.rank + 1  # the frameworks count the batch axis
        if not -rank <= given < rank:
            raise MergeError(f"{self._named()} is out of range for inputs of rank {rank} (batch axis included)")
        index = given % rank
        if index == 0:
            raise MergeError(
                f"{self._named()} is the batch axis, which concat cannot join",
                hint="the batch axis counts: channels are axis=-1 (Keras) or dim=1 (PyTorch)",
            )
        if self.dim is None or x.spatial == 0:
            return index - 1
        return x.rank - 1 if index == 1 else index - 2  # (N, C, *spatial) → (*spatial, C)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        first = inputs[0]
        if any(s.rank != first.rank for s in inputs):
            raise MergeError(f"concat needs inputs of one rank, got {_shown(inputs)}")
        axis = self.sample_axis(first)
        name = first.names()[axis]
        for other in inputs[1:]:
            rest_a = first.dims[:axis] + first.dims[axis + 1 :]
            rest_b = other.dims[:axis] + other.dims[axis + 1 :]
            if rest_a != rest_b:
                raise MergeError(
                    f"concat along {self._named()} ({name}) needs every other axis equal, got {_shown(inputs)}",
                    hint="match the spatial sizes of the branches (strides, padding) before joining them",
                    fixes=("crop or pad the larger branch to the smaller one's size",),
                )
        parts = [Var(f"{name}{i + 1}", s.dims[axis]) for i, s in enumerate(inputs)]
        dims = list(first.dims)
        dims[axis] = sum(s.dims[axis] for s in inputs)
        return Computed(
            output=Shape(tuple(dims), first.spatial),
            shape_steps=((name, q(sum(parts[1:], parts[0]))),),
        )


@register("matmul")
@dataclass(frozen=True)
class MatMul(Layer):
    """Matrix product of two inputs (…, n, k) @ (…, k, m) → (…, n, m): MACs …·n·k·m."""

    kind = "matmul"
    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """Saves both operands; autocast runs it in bf16/fp16."""
        return MemoryRule(saves_inputs=tuple(range(len(inputs))), lower=True, why="saves both operands")
    arity = (2, 2)

    #: multiply by the second input transposed: (…, n, k) @ (…, m, k)ᵀ, as in Q·Kᵀ
    transpose_b: bool = False
    heads: int = 1

    def __post_init__(self) -> None:
        check_int("heads", self.heads, 1)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        a, b = inputs
        if a.rank < 2 or b.rank < 2:
            raise MergeError(f"matmul needs inputs of rank ≥ 2, got {_shown(inputs)}")
        bk, bm = (b.dims[-1], b.dims[-2]) if self.transpose_b else (b.dims[-2], b.dims[-1])
        if a.dims[-1] != bk:
            raise MergeError(
                f"matmul needs the inner sizes equal: {a.dims[-1]} ≠ {bk} for {_shown(inputs)}",
                hint="set transpose_b=true to multiply by the second input transposed" if not self.transpose_b
                else None,
            )
        lead_a, lead_b = a.dims[:-2], b.dims[:-2]
        lead = lead_a if len(lead_a) >= len(lead_b) else lead_b
        if lead_a and lead_b and lead_a != lead_b:
            raise MergeError(f"matmul batch axes differ: {lead_a} vs {lead_b}")
        n, k, m = Var("n", a.dims[-2]), Var("k", a.dims[-1]), Var("m", bm)
        batch = product([Var("b", d) for d in lead])
        return Computed(output=Shape(lead + (a.dims[-2], bm)), macs=q(batch * n * k * m if lead else n * k * m),
                        rf="unknown")
