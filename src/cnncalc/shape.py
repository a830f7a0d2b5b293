"""Tensor shapes without the batch axis.

cnncalc keeps one canonical order internally: spatial axes first, channels (features) last, the
article's (H, W, C). ``spatial`` says how many leading axes are spatial; 0 means a plain tensor
(a feature vector, or a sequence of feature vectors). Showing a shape as PyTorch's (C, H, W) is a
matter of display, chosen by the conventions' layout.

>>> s = Shape((28, 28, 8), spatial=2)
>>> s.size, s.channels, s.spatial_dims
(6272, 8, (28, 28))
>>> s.show("hwc"), s.show("chw"), Shape((120,)).article()
('(28, 28, 8)', '(8, 28, 28)', '(120, 1)')
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .errors import ArgumentError, ShapeError
from .expr import Expr, Var, product
from .limits import MAX_SIZE, MAX_SIZE_TEXT, short_int

#: the most axes a tensor may have (PyTorch allows 64)
MAX_RANK = 64
AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def axis_names(ndim: int) -> tuple[str, ...]:
    """Conventional names of spatial axes: L; H, W; D, H, W."""
    names = AXES.get(ndim)
    return names if names is not None else tuple(f"X{i}" for i in range(ndim))


@dataclass(frozen=True, slots=True)
class Shape:
    dims: tuple[int, ...]
    spatial: int = 0

    def __post_init__(self) -> None:
        if any((not isinstance(d, int)) or isinstance(d, bool) or d < 0 for d in self.dims):
            raise ArgumentError(f"shape {self.dims} must hold non-negative integers")
        if not 0 <= self.spatial <= max(len(self.dims) - 1, 0):
            raise ArgumentError(f"shape {self.dims} cannot have {self.spatial} spatial axes")
        if prod(self.dims) > MAX_SIZE or len(self.dims) > MAX_RANK:
            raise ShapeError(
                f"a tensor of {short_int(prod(self.dims))} elements ({len(self.dims)} axes) is past cnncalc's bound "
                f"({MAX_SIZE_TEXT} elements per sample, {MAX_RANK} axes)",
                hint="cnncalc models networks up to that size; check the repetition counts and scale factors",
            )

    @classmethod
    def image(cls, *dims: int) -> Shape:
        """A channels-last tensor: every axis but the last is spatial."""
        return cls(tuple(dims), spatial=len(dims) - 1)

    @property
    def rank(self) -> int:
        return len(self.dims)

    @property
    def size(self) -> int:
        return prod(self.dims)

    @property
    def channels(self) -> int:
        return self.dims[-1] if self.dims else 1

    @property
    def spatial_dims(self) -> tuple[int, ...]:
        return self.dims[: self.spatial]

    @property
    def leading(self) -> tuple[int, ...]:
        """Every axis but the last (features) one."""
        return self.dims[:-1]

    def ordered(self, layout: str) -> tuple[int, ...]:
        """The dims in the display layout: 'hwc' as stored, 'chw' with channels moved first."""
        if layout == "chw" and self.spatial > 0:
            return (self.dims[-1],) + self.dims[:-1]
        return self.dims

    def show(self, layout: str = "hwc", batch: int | None = None) -> str:
        dims = self.ordered(layout)
        if batch is not None:
            dims = (batch,) + dims
        if len(dims) == 1:
            return f"({dims[0]},)"
        return "(" + ", ".join(str(d) for d in dims) + ")"

    def article(self) -> str:
        """The article's notation: a vector of n is written (n, 1)."""
        return f"({self.dims[0]}, 1)" if self.rank == 1 else self.show("hwc")

    def __str__(self) -> str:
        return self.show()

    def names(self) -> tuple[str, ...]:
        """A name per axis: ('H', 'W', 'C') for an image, ('n',) for a vector, ('d1', 'd2') otherwise."""
        if self.rank == 1:
            return ("n",)
        if self.spatial and self.rank == self.spatial + 1:
            return axis_names(self.spatial) + ("C",)
        return tuple(f"d{i + 1}" for i in range(self.rank))

    def size_expr(self) -> Expr:
        """The element count as named factors, e.g. H·W·C = 28·28·8."""
        return product([Var(n, d) for n, d in zip(self.names(), self.dims)])
