"""Solve for hyper-parameters: which window takes one size to another, "same" padding, undoing a conv.

All pure functions of integers, on one spatial axis; each answer is verified by the core's own shape
arithmetic (kinds/window.py for convolution and pooling, ConvTranspose for transposed convolution)
before it is returned, so a proposed combination always gives the requested size.

>>> [(c.kernel, c.stride, c.padding) for c in solve_size(224, 112, max_kernel=3)]
[(1, 2, 0), (2, 2, 0), (3, 2, 1)]
>>> same_padding(3, stride=1).pads, same_padding(4, stride=1).symmetric
((1, 1), False)
>>> u = undo(224, kernel=3, stride=2, padding=1)
>>> (u.forward, u.kernel, u.stride, u.padding, u.output_padding)
(112, 3, 2, 1, 1)
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice, repeat

from ..errors import ArgumentError, ArgumentTypeError
from ..expr import Quantity
from ..kinds.transpose import ConvTranspose
from ..kinds.window import Window
from ..kinds.window import same_padding as tf_same_padding
from ..limits import check_size
from ..shape import Shape


@dataclass(frozen=True)
class Combo:
    """A (kernel, stride, padding, dilation) — and output_padding for a transposed conv — with its formula."""

    kernel: int
    stride: int
    padding: int
    dilation: int
    output: Quantity
    #: input positions no window reaches (0: every position used)
    unused: int = 0
    output_padding: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "output": self.output.value,
            "formula": self.output.explain(),
            "unused_input_positions": self.unused,
        }
        if self.output_padding is not None:
            out["output_padding"] = self.output_padding
        return out


#: the most (kernel, dilation, padding) triples a search examines, and the most answers it lists
MAX_SEARCH = 250_000
MAX_LISTED = 1_000


def _positive(name: str, value: int, least: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < least:
        raise ArgumentError(f"{name} must be an integer ≥ {least}, got {value!r}")
    check_size(name, value)


def window_output(i: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> Quantity:
    """The core's output length for a conv/pool window on one axis of length i."""
    w = Window.resolve((i, i), (kernel, kernel), (stride, stride), (dilation, dilation), padding)
    return w.steps()[0][1]  # the H axis of a square 2-D window: named H, f, s, p as a user writes them


@dataclass(frozen=True)
class Bounds:
    """The search space: kernel ≤ max_kernel, the given dilations, padding ≤ max_padding (None: ⌊f_eff/2⌋
    for a window, f_eff − 1 for a transposed conv), stride ≤ max_stride (None: every stride that works;
    strides are solved for, never searched)."""

    max_kernel: int = 11
    dilations: tuple[int, ...] = (1,)
    max_padding: int | None = None
    max_stride: int | None = None
    #: pinned values: only this kernel, stride or padding (None: searched or solved for)
    kernel: int | None = None
    stride: int | None = None
    padding: int | None = None

    def __post_init__(self) -> None:
        _positive("max kernel", self.max_kernel)
        if not isinstance(self.dilations, tuple) or not self.dilations:
            raise ArgumentTypeError(f"dilations must be a non-empty tuple of integers, got {self.dilations!r}")
        for d in self.dilations:
            _positive("dilation", d)
        for name, value, least in (("max padding", self.max_padding, 0), ("max stride", self.max_stride, 1),
                                   ("kernel", self.kernel, 1), ("stride", self.stride, 1),
                                   ("padding", self.padding, 0)):
            if value is not None:
                _positive(name, value, least)

    def space(self, i: int, o: int, transposed: bool) -> int:
        """How many (kernel, dilation, padding) triples a search examines (arithmetic, no enumeration)."""
        windows = (1 if self.kernel is not None else self.max_kernel) * len(set(self.dilations))
        if windows > MAX_SEARCH:
            return windows
        return sum(len(self.paddings(eff, transposed)) for _, _, eff in self.windows())

    def windows(self) -> Iterator[tuple[int, int, int]]:
        """(kernel, dilation, f_eff), smallest kernel first; a dilated kernel of 1 is the plain one, skipped."""
        kernels = range(self.kernel, self.kernel + 1) if self.kernel is not None else range(1, self.max_kernel + 1)
        for k in kernels:
            for d in sorted(set(self.dilations)):
                if d == 1 or k > 1 or self.kernel is not None:
                    yield k, d, d * (k - 1) + 1

    def paddings(self, eff: int, transposed: bool) -> range:
        if self.padding is not None:
            return range(self.padding, self.padding + 1)
        default = eff - 1 if transposed else eff // 2
        return range((default if self.max_padding is None else self.max_padding) + 1)

    def capped(self, strides: range) -> range:
        if self.stride is not None:
            return range(self.stride, self.stride + 1) if self.stride in strides else range(0)
        if self.max_stride is None or strides.stop <= self.max_stride + 1:
            return strides
        return range(strides.start, max(self.max_stride + 1, strides.start))


def _window_strides(i: int, o: int, eff: int, p: int, d: int) -> tuple[range, ...]:
    """Strides s with ⌊n/s⌋ = o − 1 (n = i + 2p − f_eff): exactly ⌊n/o⌋ < s ≤ ⌊n/(o − 1)⌋."""
    n = i + 2 * p - eff
    if n < 0:
        return ()
    if o == 1:
        return (range(n + 1, n + 2),)  # the smallest stride that leaves one window; any larger works too
    return (range(n // o + 1, n // (o - 1) + 1),)


def _transposed_strides(i: int, o: int, eff: int, p: int, d: int) -> tuple[range, ...]:
    """Strides s with 0 ≤ op < max(s, d) for op = m − (i − 1)·s, m = o + 2p − f_eff: s ≤ ⌊m/(i − 1)⌋, and
    s ≥ ⌈(m − d + 1)/(i − 1)⌉ below d, s ≥ ⌈(m + 1)/i⌉ from d on."""
    m = o + 2 * p - eff
    if m < 0:
        return ()
    if i == 1:  # a single input position: the stride never matters; the smallest that admits op = m
        return (range(m + 1, m + 2) if m >= d else range(1, 2),)
    top = m // (i - 1) + 1
    below_d = range(max(1, -(-(m - d + 1) // (i - 1))), min(d, top))
    from_d = range(max(d, -(-(m + 1) // i)), top)
    return below_d, from_d


def _any_stride(stride: int, transposed: bool) -> Callable[[int, int, int, int, int], tuple[range, ...]]:
    """The rule for a pinned stride where every large enough stride works (OUT = 1, or a transposed conv of
    IN = 1), and only the smallest is otherwise listed."""

    def rule(i: int, o: int, eff: int, p: int, d: int) -> tuple[range, ...]:
        n = (o + 2 * p - eff) if transposed else (i + 2 * p - eff)
        works = n >= 0 and (stride > n or (transposed and d > n))
        return (range(stride, stride + 1),) if works else ()

    return rule


@dataclass(frozen=True)
class Solutions:
    """The first ``limit`` combinations taking one size to another, smallest kernel first, and how many in all."""

    input: int
    output: int
    transposed: bool
    total: int
    combos: tuple[Combo, ...]


def search(
    i: int, o: int, bounds: Bounds | None = None, *, transposed: bool = False, limit: int | None = None
) -> Solutions:
    """The conv/pool windows (or transposed convs) taking length i to o, and how many there are.

    Ordered by kernel, dilation, stride, padding. Bounded: the strides of each (kernel, dilation, padding)
    are solved for as whole ranges, so the total is counted without listing, and only the first ``limit``
    combinations are built (each verified by the core's shape arithmetic).
    """
    _positive("input size", i)
    _positive("output size", o)
    if limit is not None:
        _positive("limit", limit)
    b = bounds or Bounds()
    space = b.space(i, o, transposed)
    if space > MAX_SEARCH:
        raise ArgumentError(
            f"the search would examine {space:,} (kernel, dilation, padding) combinations, more than the "
            f"{MAX_SEARCH:,} cnncalc tries",
            hint="lower --max-kernel, --max-padding or the dilations",
        )
    rule: Callable[[int, int, int, int, int], tuple[range, ...]] = (
        _transposed_strides if transposed else _window_strides
    )
    if b.stride is not None and (i == 1 if transposed else o == 1):
        rule = _any_stride(b.stride, transposed)
    per_window = [
        (k, d, [(p, b.capped(r)) for p in b.paddings(eff, transposed) for r in rule(i, o, eff, p, d)])
        for k, d, eff in b.windows()
    ]
    total = sum(len(r) for _, _, runs in per_window for _, r in runs)
    ordered = ((k, d, s, p) for k, d, runs in per_window for s, p in _by_stride(runs))
    verify = _verified_transposed_combo if transposed else _verified
    listed = MAX_LISTED if limit is None else min(limit, MAX_LISTED)
    combos = tuple(verify(i, o, k, s, p, d) for k, d, s, p in islice(ordered, listed))
    return Solutions(i, o, transposed, total, combos)


def _by_stride(runs: list[tuple[int, range]]) -> Iterator[tuple[int, int]]:
    """(stride, padding) pairs of every padding's stride range, by stride then padding, lazily."""
    return heapq.merge(*[zip(r, repeat(p)) for p, r in runs])


def solve_size(
    i: int,
    o: int,
    *,
    max_kernel: int = 11,
    dilations: tuple[int, ...] = (1,),
    max_padding: int | None = None,
    max_stride: int | None = None,
    limit: int | None = None,
) -> list[Combo]:
    """The (kernel, stride, padding, dilation) of conv/pool windows taking length i to o, smallest kernel first.

    Bounded: kernel ≤ max_kernel, padding ≤ max_padding (default ⌊f_eff/2⌋, PyTorch's pooling limit and
    the most a sensible convolution uses), stride ≤ max_stride, at most ``limit`` of them. For o = 1 only
    the smallest such stride is listed (every larger one gives 1 too).
    """
    bounds = Bounds(max_kernel, dilations, max_padding, max_stride)
    return list(search(i, o, bounds, limit=limit).combos)


def _verified(i: int, o: int, k: int, s: int, p: int, d: int) -> Combo:
    out = window_output(i, k, s, p, d)
    if out.value != o:  # the enumeration and the core disagree: a bug, never a silent wrong answer
        raise AssertionError(f"solve: f={k} s={s} p={p} d={d} gives {out.value}, not {o}")
    w = Window.resolve((i,), (k,), (s,), (d,), p)
    unused = max((i + 2 * p - w.effective_kernel[0]) % s - p, 0)
    return Combo(k, s, p, d, out, unused)


def solve_transposed(
    i: int,
    o: int,
    *,
    max_kernel: int = 11,
    dilations: tuple[int, ...] = (1,),
    max_padding: int | None = None,
    max_stride: int | None = None,
    limit: int | None = None,
) -> list[Combo]:
    """The (kernel, stride, padding, output_padding, dilation) of transposed convs taking i to o,
    smallest kernel first; output_padding < max(stride, dilation), as PyTorch requires. For i = 1 the stride
    does not matter: only the smallest that works is listed."""
    bounds = Bounds(max_kernel, dilations, max_padding, max_stride)
    return list(search(i, o, bounds, transposed=True, limit=limit).combos)


def _verified_transposed_combo(i: int, o: int, k: int, s: int, p: int, d: int) -> Combo:
    return _verified_transposed(i, o, k, s, p, d, o - ((i - 1) * s - 2 * p + d * (k - 1) + 1))


def _verified_transposed(i: int, o: int, k: int, s: int, p: int, d: int, op: int) -> Combo:
    layer = ConvTranspose(1, k, stride=s, padding=p, dilation=d, output_padding=op, ndim=2)
    comp = layer.compute((Shape((i, i, 1), spatial=2),), "torch")
    if comp.output.dims[0] != o or not 0 <= op < max(s, d):
        raise AssertionError(f"solve: transposed f={k} s={s} p={p} op={op} gives {comp.output.dims[0]}, not {o}")
    return Combo(k, s, p, d, comp.shape_steps[0][1], 0, op)


@dataclass(frozen=True)
class SamePadding:
    """The padding that keeps the size ("same": ⌈i/s⌉ for stride s), or why no symmetric one exists."""

    kernel: int
    stride: int
    dilation: int
    pads: tuple[int, int]
    symmetric: bool
    output: Quantity | None
    message: str


def same_padding(kernel: int, *, stride: int = 1, dilation: int = 1, i: int | None = None) -> SamePadding:
    """The padding that gives output ⌈i/s⌉ (i for stride 1): symmetric p if one exists, else (before, after)."""
    for name, v in (("kernel", kernel), ("stride", stride), ("dilation", dilation)):
        _positive(name, v)
    if i is not None:
        _positive("input size", i)
    eff = dilation * (kernel - 1) + 1
    if stride == 1:
        sym = [(eff - 1) // 2] if (eff - 1) % 2 == 0 else []
        why = f"the effective kernel d·(f − 1) + 1 = {eff} is even, so the total padding {eff - 1} is odd"
        before, after = (eff - 1) // 2, eff - 1 - (eff - 1) // 2
    elif i is None:
        raise ArgumentError(
            "with stride > 1 the padding that keeps the size depends on the input size",
            hint="give the input size (--input N)",
        )
    else:
        target = -(-i // stride)
        # ⌊(i + 2p − eff)/s⌋ + 1 = target ⟺ (target − 1)·s ≤ i + 2p − eff ≤ target·s − 1: the least such p
        least = max(0, -(-((target - 1) * stride - i + eff) // 2))
        fits = 2 * least <= target * stride - 1 - i + eff and least < eff
        sym = [least] if fits and window_output(i, kernel, stride, least, dilation).value == target else []
        why = f"no padding p on both sides gives ⌈{i}/{stride}⌉ = {target}"
        before, after = tf_same_padding(i, eff, stride)
    if sym:
        p = sym[0]
        out = window_output(i, kernel, stride, p, dilation) if i is not None else None
        size = f" ({i} → {out.value})" if out is not None else ""
        return SamePadding(
            kernel, stride, dilation, (p, p), True, out, f"padding={p} on each side keeps the size{size}"
        )
    return SamePadding(
        kernel,
        stride,
        dilation,
        (before, after),
        False,
        None,
        f"no symmetric padding keeps the size: {why}; pad ({before}, {after}), the extra pixel "
        "at the end, as TF/Keras 'same' and PyTorch padding='same' do",
    )


@dataclass(frozen=True)
class Undo:
    """The transposed conv that takes a conv's output size back to its input size."""

    input: int
    forward: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    forward_formula: Quantity
    back_formula: Quantity


def undo(i: int, *, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> Undo:
    """The (kernel, stride, padding, output_padding) of a transposed conv that undoes a conv's size change.

    Same kernel, stride, padding and dilation; output_padding = (i + 2p − d·(f − 1) − 1) mod s picks the
    input size back out of the s sizes the conv maps to the same output.
    """
    for name, v in (("input", i), ("kernel", kernel), ("stride", stride), ("dilation", dilation)):
        _positive(name, v)
    _positive("padding", padding, 0)
    w = Window.resolve((i, i), (kernel, kernel), (stride, stride), (dilation, dilation), padding)
    w.check()
    fwd = w.steps()[0][1]
    op = (i + 2 * padding - w.effective_kernel[0]) % stride
    back = _verified_transposed(fwd.value, i, kernel, stride, padding, dilation, op)
    return Undo(i, fwd.value, kernel, stride, padding, dilation, op, fwd, back.output)
