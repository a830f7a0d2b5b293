"""Receptive field through a network: size, jump (effective stride) and start, per spatial axis.

Forward recurrence (Araujo, Norris & Sim, Distill 2019) for a layer of effective kernel k, stride s
and left padding p:  r = r' + (k − 1)·j',  j = j'·s,  P = P' + p·j'  (P: effective padding).
``start`` is the input coordinate of the centre of the first output unit's field: (r − 1)/2 − P.

>>> rf = ReceptiveField.at_input(2)
>>> from cnncalc.kinds.base import RFStep
>>> rf = rf.through(RFStep((5, 5), (1, 1), (0, 0))).through(RFStep((2, 2), (2, 2), (0, 0)))
>>> rf.size, rf.jump, rf.start
((6, 6), (2, 2), (2.5, 2.5))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .kinds.base import RFRule, RFStep

if TYPE_CHECKING:
    from fractions import Fraction

    Number = Fraction | int  # ints until a transposed layer makes a jump fractional (fractions: imported then)


def _num(x: Number) -> int | float:
    if isinstance(x, int):
        return x
    return int(x) if x.denominator == 1 else float(x)


@dataclass(frozen=True)
class ReceptiveField:
    """What one output unit sees of the input. ``status`` 'global' means the whole input."""

    status: Literal["local", "global", "unknown"]
    sizes: tuple[Number, ...] = ()
    jumps: tuple[Number, ...] = ()
    paddings: tuple[Number, ...] = ()
    note: str | None = None

    @classmethod
    def at_input(cls, spatial: int) -> ReceptiveField:
        if spatial == 0:
            return cls("unknown", note="the input has no spatial axes")
        return cls("local", (1,) * spatial, (1,) * spatial, (0,) * spatial)

    @property
    def size(self) -> tuple[int | float, ...]:
        return tuple(_num(r) for r in self.sizes)

    @property
    def jump(self) -> tuple[int | float, ...]:
        return tuple(_num(j) for j in self.jumps)

    @property
    def padding(self) -> tuple[int | float, ...]:
        return tuple(_num(p) for p in self.paddings)

    @property
    def start(self) -> tuple[int | float, ...]:
        from fractions import Fraction

        return tuple(_num(Fraction(r - 1) / 2 - p) for r, p in zip(self.sizes, self.paddings))

    def through(self, rule: RFRule) -> ReceptiveField:
        if self.status != "local" or rule == "identity":
            return self
        if rule == "global":
            return ReceptiveField("global", note="each output sees the whole input")
        if rule == "unknown" or not isinstance(rule, RFStep):
            return ReceptiveField("unknown", note="irregular or non-spatial mapping: not tracked past here")
        n = len(self.sizes)
        kernel, stride, pad = (_fit(t, n) for t in (rule.kernel, rule.stride, rule.padding))
        if kernel is None or stride is None or pad is None:
            return ReceptiveField("unknown", note="the layer's spatial axes differ from the input's")
        sizes: tuple[Number, ...]
        jumps: tuple[Number, ...]
        pads: tuple[Number, ...]
        if rule.transposed:
            from fractions import Fraction

            sizes = tuple(r + (-(-k // s) - 1) * j for r, j, k, s in zip(self.sizes, self.jumps, kernel, stride))
            jumps = tuple(Fraction(j) / s for j, s in zip(self.jumps, stride))
            pads = tuple(p + Fraction(k - 1 - q, 1) * jn for p, k, q, jn in zip(self.paddings, kernel, pad, jumps))
            return ReceptiveField("local", sizes, jumps, pads, note="approximate through a transposed layer")
        sizes = tuple(r + (k - 1) * j for r, j, k in zip(self.sizes, self.jumps, kernel))
        jumps = tuple(j * s for j, s in zip(self.jumps, stride))
        pads = tuple(p + q * j for p, q, j in zip(self.paddings, pad, self.jumps))
        return ReceptiveField("local", sizes, jumps, pads, self.note)

    @staticmethod
    def widest(fields: list[ReceptiveField]) -> ReceptiveField:
        """At a merge: the widest path's field, saying so when the paths differ."""
        if any(f.status == "unknown" for f in fields):
            return next(f for f in fields if f.status == "unknown")
        if any(f.status == "global" for f in fields):
            return next(f for f in fields if f.status == "global")
        best = max(fields, key=lambda f: (f.sizes, f.jumps))
        if any(f.sizes != best.sizes or f.jumps != best.jumps for f in fields):
            return ReceptiveField("local", best.sizes, best.jumps, best.paddings,
                                  note="branches differ: the widest path is taken")
        return best

    def describe(self) -> str:
        """The size alone, as a table cell: '5', '5×7', 'global' or 'unknown'."""
        if self.status != "local":
            return self.status
        return _axes(self.size)

    def explain(self) -> str:
        """Size, jump and start, with the note if any: 'size 6 · jump 2 · start 2.5'."""
        if self.status != "local":
            return self.status + (f" ({self.note})" if self.note else "")
        text = f"size {_axes(self.size)} · jump {_axes(self.jump)} · start {_axes(self.start)}"
        return text + (f" ({self.note})" if self.note else "")

    def as_dict(self) -> dict[str, Any]:
        if self.status != "local":
            return {"status": self.status, "note": self.note}
        return {"status": "local", "size": list(self.size), "jump": list(self.jump), "start": list(self.start),
                "effective_padding": list(self.padding), "note": self.note}


def _axes(values: tuple[int | float, ...]) -> str:
    return "×".join(str(v) for v in values) if len(set(values)) > 1 else str(values[0])


def _fit(values: tuple[int, ...], n: int) -> tuple[int, ...] | None:
    if len(values) == n:
        return values
    if len(values) == 1:
        return values * n
    return None
