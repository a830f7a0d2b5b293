"""Common mistakes, each a small pure function that recomputes a cell the wrong way.

A claimed number is diagnosed by the mistakes whose wrong formula reproduces it *exactly*; the wrong
formula comes back filled in, so the report shows how the number was (probably) obtained:

>>> from cnncalc.check.infer import infer_network
>>> from cnncalc.check.tables import find_tables
>>> import cnncalc as cc
>>> t = find_tables("Layer\\tShape\\tParams\\nInput\\t(32, 32, 3)\\t0\\nCONV1 (f=5, s=1)\\t(28, 28, 8)\\t600\\n")[0]
>>> row = cc.analyze(infer_network(t).network).rows[1]
>>> [str(q) for q in bias_forgotten(facts_of(row, ()), "params")]
['f·f·d·k = 5·5·3·8 = 600']

Shape mistakes (padding forgotten, floor and ceiling swapped, stride ignored) recompute the output
length on each spatial axis; the size and MAC cells follow from the wrong shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..analysis import Row
from ..expr import Ceil, Expr, Floor, Num, Quantity, Var, product, total
from ..kinds.conv import Conv
from ..kinds.linear import Dense
from ..kinds.pool import AvgPool, MaxPool
from ..kinds.window import Window, kernel_factors
from ..shape import axis_names


@dataclass(frozen=True)
class Facts:
    """What a mistake needs to know about one layer: its correct row, earlier rows, its window."""

    row: Row
    earlier: tuple[Row, ...]
    window: Window | None

    @property
    def conv(self) -> Conv | None:
        return self.row.layer if isinstance(self.row.layer, Conv) and self.row.layer.groups == 1 else None

    @property
    def dense(self) -> Dense | None:
        return self.row.layer if isinstance(self.row.layer, Dense) else None


def facts_of(row: Row, earlier: tuple[Row, ...]) -> Facts:
    layer, window = row.layer, None
    if isinstance(layer, (Conv, MaxPool, AvgPool)) and row.input_shapes:
        window = layer.window(row.input_shapes[0])
    return Facts(row, earlier, window)


def q(expr: Expr) -> Quantity:
    return Quantity(expr)


def _conv_parts(f: Facts, depth: Expr | None) -> tuple[Expr, Var]:
    """The kernel volume f·f·d (or with another depth, or none) and k."""
    assert f.conv is not None and f.window is not None
    factors = kernel_factors(f.window.kernel) + ([depth] if depth is not None else [])
    return product(factors), Var("k", f.conv.filters)


def _dense_parts(f: Facts, p: Expr) -> tuple[Expr, Var]:
    assert f.dense is not None
    return p, Var("c", f.dense.units)


def _p(f: Facts) -> Var:
    x = f.row.input_shapes[0]
    flat = x.spatial > 0 if f.dense is None or f.dense.flatten is None else f.dense.flatten
    return Var("p", x.size if flat else x.channels)


def _d(f: Facts) -> Var:
    return Var("d", f.row.input_shapes[0].channels)


# ---- parameters and MACs -------------------------------------------------------------------------------


def bias_forgotten(f: Facts, cell: str) -> list[Quantity]:
    """Parameters without the bias: f·f·d·k, p·c."""
    if cell != "params":
        return []
    if f.conv is not None and f.conv.bias:
        vol, k = _conv_parts(f, _d(f))
        return [q(vol * k)]
    if f.dense is not None and f.dense.bias:
        p, c = _dense_parts(f, _p(f))
        return [q(p * c)]
    return []


def one_bias(f: Facts, cell: str) -> list[Quantity]:
    """One bias for the whole layer instead of one per filter or neuron: f·f·d·k + 1, p·c + 1."""
    if cell != "params":
        return []
    if f.conv is not None and f.conv.bias and f.conv.filters > 1:
        vol, k = _conv_parts(f, _d(f))
        return [q(vol * k + 1)]
    if f.dense is not None and f.dense.bias and f.dense.units > 1:
        p, c = _dense_parts(f, _p(f))
        return [q(p * c + 1)]
    return []


def bias_in_macs(f: Facts, cell: str) -> list[Quantity]:
    """The bias addition counted as a multiply-accumulate: (f·f·d + 1)·k per position, (p + 1)·c.

    MACs count products only (torchvision's and fvcore's convention); a bias is an addition, a FLOP."""
    if cell != "macs":
        return []
    if f.conv is not None and f.conv.bias:
        vol, k = _conv_parts(f, _d(f))
        return [q(_positions(f) * k * (vol + 1))]
    if f.dense is not None and f.dense.bias:
        p, c = _dense_parts(f, _p(f))
        return [q((p + 1) * c)]
    return []


def depth_forgotten(f: Facts, cell: str) -> list[Quantity]:
    """The input's depth (channels) left out: (f·f + 1)·k, a dense layer fed H·W instead of H·W·C, size H·W."""
    x = f.row.input_shapes[0] if f.row.input_shapes else None
    if cell == "size" and f.row.output_shape.spatial and f.row.output_shape.channels > 1:
        out = f.row.output_shape
        return [q(product([Var(n, d) for n, d in zip(axis_names(out.spatial), out.spatial_dims)]))]
    if x is None or x.channels <= 1:
        return []
    if f.conv is not None and cell in ("params", "macs"):
        vol, k = _conv_parts(f, None)
        return [q(((vol + 1) * k) if f.conv.bias else vol * k) if cell == "params" else q(_positions(f) * k * vol)]
    if f.dense is not None and x.spatial and cell in ("params", "macs") and _p(f).value == x.size:
        area = product([Var(n, d) for n, d in zip(axis_names(x.spatial), x.spatial_dims)])
        c = Var("c", f.dense.units)
        return [q((area * c + c) if f.dense.bias else area * c) if cell == "params" else q(area * c)]
    return []


def area_for_volume(f: Facts, cell: str) -> list[Quantity]:
    """The kernel's area f·f used where its volume f·f·d (f·f·f·d in 3-D) belongs."""
    if f.conv is None or f.window is None or cell not in ("params", "macs"):
        return []
    kernel = f.window.kernel
    if len(kernel) == 3:
        area = product(kernel_factors(kernel[:2]) + [_d(f)])
    elif f.row.input_shapes[0].channels > 1:
        area = product(kernel_factors(kernel))
    else:
        return []
    k = Var("k", f.conv.filters)
    if cell == "macs":
        return [q(_positions(f) * k * area)]
    return [q((area + 1) * k if f.conv.bias else area * k)]


def previous_misread(f: Facts, cell: str) -> list[Quantity]:
    """The size (or depth) of another earlier layer read in place of the previous layer's."""
    if cell not in ("params", "macs") or not f.row.input_shapes:
        return []
    own = f.row.input_shapes[0]
    out: list[Quantity] = []
    for other in f.earlier:
        shape = other.output_shape
        if f.conv is not None and shape.channels != own.channels and shape.spatial:
            vol, k = _conv_parts(f, Var(f"d({other.name})", shape.channels))
            out.append(q(((vol + 1) * k if f.conv.bias else vol * k) if cell == "params" else _positions(f) * k * vol))
        elif f.dense is not None and shape.size != _p(f).value:
            p, c = _dense_parts(f, Var(f"p({other.name})", shape.size))
            out.append(q(((p * c + c) if f.dense.bias else p * c) if cell == "params" else p * c))
    return out


# ---- shapes ---------------------------------------------------------------------------------------------


def _numerator(w: Window, axis: int, padded: bool) -> Expr:
    name = axis_names(len(w.inputs))[axis]
    terms: list[Expr] = [Var(name, w.inputs[axis])]
    before, after = w.pads[axis]
    if padded and (before or after):
        terms.append(Num(2) * Var("p", before) if before == after else Var("p₁", before) + Var("p₂", after))
    k, d = w.kernel[axis], w.dilation[axis]
    kf: Expr = Var("f", k) if d == 1 else Var("d", d) * (Var("f", k) - 1) + 1
    return total(terms) - kf


def padding_forgotten(w: Window) -> list[Quantity] | None:
    """⌊(H − f)/s⌋ + 1: the padding left out."""
    if not any(b or a for b, a in w.pads) or w.ceil_mode:
        return None
    return [q(Floor(_numerator(w, a, False), Var("s", w.stride[a])) + 1) for a in range(len(w.inputs))]


def floor_ceil_swapped(w: Window) -> list[Quantity] | None:
    """⌈(H + 2p − f)/s⌉ + 1 where ⌊⌋ belongs (or the other way round in ceil mode)."""
    div = Floor if w.ceil_mode else Ceil
    return [q(div(_numerator(w, a, True), Var("s", w.stride[a])) + 1) for a in range(len(w.inputs))]


def stride_ignored(w: Window) -> list[Quantity] | None:
    """(H + 2p − f) + 1: the stride left out."""
    if all(s == 1 for s in w.stride):
        return None
    return [q(_numerator(w, a, True) + 1) for a in range(len(w.inputs))]


def _positions(f: Facts) -> Expr:
    out = f.row.output_shape
    if f.window is None:
        return Num(1)
    return product([Var(f"{n}o", d) for n, d in zip(axis_names(out.spatial), out.spatial_dims)])


@dataclass(frozen=True)
class Mistake:
    """A named mistake: its cell recomputations (params/size/macs) or its wrong output lengths."""

    key: str
    name: str
    cells: Callable[[Facts, str], list[Quantity]] | None = None
    shape: Callable[[Window], list[Quantity] | None] | None = None


#: in order of likelihood: the first one that reproduces a number is reported first
MISTAKES: tuple[Mistake, ...] = (
    Mistake("bias_forgotten", "bias forgotten", cells=bias_forgotten),
    Mistake("one_bias", "one bias for the whole layer instead of one per filter or neuron", cells=one_bias),
    Mistake("bias_in_macs", "bias counted in MACs (a bias is an addition, not a multiply-accumulate)",
            cells=bias_in_macs),
    Mistake("depth_forgotten", "input depth (channels) forgotten", cells=depth_forgotten),
    Mistake("area_for_volume", "the kernel's area used where its volume belongs", cells=area_for_volume),
    Mistake("previous_misread", "the previous layer's size misread", cells=previous_misread),
    Mistake("padding_forgotten", "padding forgotten", shape=padding_forgotten),
    Mistake("floor_ceil_swapped", "floor and ceiling swapped", shape=floor_ceil_swapped),
    Mistake("stride_ignored", "stride ignored", shape=stride_ignored),
)


@dataclass(frozen=True)
class Found:
    """A mistake that reproduces a claimed value, with the wrong formula filled in."""

    key: str
    name: str
    explanation: str


def axes_text(labels: list[str], axes: list[Quantity]) -> str:
    """Per-axis formulas; a square window (same numbers on every axis) is shown once: 'H_out = W_out: …'."""
    if len(axes) > 1 and len({a.filled for a in axes}) == 1:
        return " = ".join(labels) + ": " + axes[0].explain()
    return "; ".join(f"{n} = {a.explain()}" for n, a in zip(labels, axes))


def _labels(n: int) -> list[str]:
    return [f"{a}_out" for a in axis_names(n)]


def wrong_shapes(f: Facts) -> list[tuple[Mistake, tuple[int, ...], list[Quantity]]]:
    """Every shape mistake's wrong output (spatial dims + channels) with its per-axis formulas."""
    if f.window is None:
        return []
    out = []
    for m in MISTAKES:
        axes = m.shape(f.window) if m.shape else None
        if axes and tuple(a.value for a in axes) != f.row.output_shape.spatial_dims:
            out.append((m, tuple(a.value for a in axes) + (f.row.output_shape.channels,), axes))
    return out


def _shape_derived(f: Facts, cell: str, dims: tuple[int, ...]) -> Quantity | None:
    """The size or MACs a wrong shape leads to."""
    names = axis_names(len(dims) - 1)
    positions = product([Var(f"{n}o", d) for n, d in zip(names, dims[:-1])])
    if cell == "size":
        return q(positions * Var("C", dims[-1]))
    if cell == "macs" and f.conv is not None:
        vol, k = _conv_parts(f, _d(f))
        return q(positions * k * vol)
    return None


def diagnose(f: Facts, cell: str, claimed: int) -> list[Found]:
    """The mistakes that reproduce a claimed number exactly, most likely first."""
    found: list[Found] = []
    for m in MISTAKES:
        if m.cells is not None:
            for alt in m.cells(f, cell):
                if alt.value == claimed:
                    found.append(Found(m.key, m.name, alt.explain()))
                    break
    for m, dims, axes in wrong_shapes(f):
        derived = _shape_derived(f, cell, dims)
        if derived is not None and derived.value == claimed:
            how = axes_text(_labels(len(axes)), axes)
            found.append(Found(m.key, m.name, f"{how}; then {derived.explain()}"))
    return found


def diagnose_shape(f: Facts, claimed: tuple[int, ...]) -> list[Found]:
    """The shape mistakes whose wrong output equals a claimed shape (channels-last)."""
    found = []
    for m, dims, axes in wrong_shapes(f):
        if dims == claimed:
            found.append(Found(m.key, m.name, axes_text(_labels(len(axes)), axes)))
    return found
