"""Wrong cells that follow from other claimed cells, not from a mistake of their own.

Each reproduces the claimed number exactly:

- ``follows_previous`` (reported first): a shape, size, parameter, MAC or FLOP count that the layer gives
  on the previous row's claimed (wrong) shape (or, for a dense layer, its claimed size): the error carried
  forward. A table claiming CONV1 (30, 30, 8) where (28, 28, 8) is right, then POOL1 (15, 15, 8) and FC2
  (15·15·8)·10 + 10 = 18010 parameters, made one mistake, not three unexplained ones.
- ``follows_shape`` (when nothing else explains it): an activation size that is the product of the row's
  own (wrong) claimed shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis import Row, analyze
from ..conventions import Conventions
from ..errors import CnnCalcError
from ..expr import Quantity, Var, product
from ..kinds.linear import Dense
from ..layers import Input
from ..network import Network
from ..shape import Shape
from .infer import _shape_in
from .mistakes import Found, axes_text
from .tables import parse_number, parse_shape


def quantity(row: Row, key: str) -> Quantity:
    """The row's number for a size, parameter, MAC or FLOP column."""
    return {"size": row.activations, "params": row.params_quantity, "macs": row.macs, "flops": row.flops}[key]


def shape_formula(row: Row) -> str:
    if row.shape_steps:
        return axes_text([label for label, _ in row.shape_steps], [qty for _, qty in row.shape_steps])
    if not row.input_shapes:
        return f"{row.output_shape} (the input's shape, as given)"
    return f"{row.output_shape} (as its input {', '.join(map(str, row.input_shapes))})"


def same_dims(claimed: tuple[int, ...], shape: Shape, layout: str) -> bool:
    """A claimed shape is the shape: as the layout orders it, or a vector written (n, 1) or (1, n)."""
    if claimed == shape.ordered(layout):
        return True
    return shape.rank == 1 and claimed in ((shape.dims[0], 1), (1, shape.dims[0]))


@dataclass(frozen=True)
class Carried:
    """A row recomputed on the previous row's claimed (wrong) shape or size: ``what`` it was, as ``claimed``."""

    row: Row
    what: str
    claimed: str


@dataclass(frozen=True)
class Claims:
    """The previous row's claimed shape and size cells (empty when not claimed)."""

    shape: str
    size: str


def _claimed_shape(text: str, like: Shape, layout: str) -> Shape | None:
    """A wrong claimed shape, as a shape of the same kind as the right one ``like`` ((120, 1): a vector)."""
    dims = parse_shape(text)
    other = "chw" if layout == "hwc" else "hwc"
    if dims is None or same_dims(dims, like, layout) or dims == like.ordered(other):
        return None  # not claimed, right, or the same shape in the other layout (a convention, not a mistake)
    if like.rank == 1:
        big = [d for d in dims if d != 1] or [1]
        return Shape((big[0],)) if len(big) == 1 else None
    canonical = _shape_in(layout, dims)
    return Shape(canonical, like.spatial) if len(canonical) == like.rank and all(canonical) else None


def _claimed_size(text: str, row: Row, like: Shape) -> Shape | None:
    """A wrong claimed size, as the vector a dense layer reads (only a dense layer needs no more than the size)."""
    size = parse_number(text)
    return Shape((size,)) if isinstance(row.layer, Dense) and size and size != like.size else None


def carried(row: Row, previous: Row | None, claims: Claims, layout: str, conventions: Conventions) -> Carried | None:
    """The row on the previous row's claimed (wrong) shape, or size, when that row feeds this one."""
    if previous is None or row.inputs != (previous.name,):
        return None
    like = previous.output_shape
    for what, text, shape in (
        ("shape", claims.shape, _claimed_shape(claims.shape, like, layout)),
        ("size", claims.size, _claimed_size(claims.size, row, like)),
    ):
        if shape is not None:
            try:
                net = Network.chain(("in", Input(shape.dims, spatial=shape.spatial)), (row.name, row.layer))
                return Carried(analyze(net, conventions).rows[-1], what, text)
            except CnnCalcError:  # the layer does not even work on the claimed shape
                return None
    return None


def follows_previous(column: str, claimed: str, carry: Carried | None, layout: str) -> Found | None:
    """The claimed cell is what the layer gives on the previous row's claimed (wrong) shape or size."""
    if carry is None:
        return None
    row, on = carry.row, f"{carry.claimed} → "
    if column == "shape":
        dims = parse_shape(claimed)
        if dims is None or not same_dims(dims, row.output_shape, layout):
            return None
        formula = shape_formula(row)
    else:
        qty = quantity(row, column)
        if qty.value != parse_number(claimed):
            return None
        formula = qty.explain()
    return Found("follows_previous", f"it follows from the previous row's claimed (wrong) {carry.what}", on + formula)


def follows_shape(column: str, claimed: str, shape_text: str) -> Found | None:
    """A size that is the product of the row's own (wrong) claimed shape."""
    dims = parse_shape(shape_text)
    if column != "size" or not dims:
        return None
    size = Quantity(product([Var(f"d{i + 1}", d) for i, d in enumerate(dims)]))
    if size.value != parse_number(claimed):
        return None
    return Found("follows_shape", "it follows from this row's claimed shape", f"{shape_text}: {size.explain()}")
