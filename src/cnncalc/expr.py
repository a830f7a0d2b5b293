"""Exact integer expressions that explain themselves.

Every number cnncalc reports is built as a small expression tree. The same tree gives the value,
the symbolic formula and the formula with the numbers filled in, so that a number and its
explanation can never drift apart:

>>> f, d, k = Var("f", 5), Var("d", 3), Var("k", 8)
>>> q = Quantity.of((f * f * d + 1) * k)
>>> str(q)
'((f·f·d) + 1)·k = ((5·5·3) + 1)·8 = 608'
>>> q.value
608
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Union

Operand = Union["Expr", int]

# Binding strength of each operator; a higher number binds tighter.
_ADD, _MUL, _ATOM = 1, 2, 3


def _lift(x: Operand) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"expressions hold integers, got {x!r}")
    return Num(x)


class Expr:
    """A node of an integer expression. Subclasses are frozen dataclasses."""

    __slots__ = ()

    @property
    def value(self) -> int:
        raise NotImplementedError

    def render(self, filled: bool) -> str:
        raise NotImplementedError

    @property
    def strength(self) -> int:
        return _ATOM

    def __add__(self, other: Operand) -> Expr:
        return Sum((self, _lift(other)))

    def __radd__(self, other: Operand) -> Expr:
        return Sum((_lift(other), self))

    def __sub__(self, other: Operand) -> Expr:
        return Sum((self, Neg(_lift(other))))

    def __rsub__(self, other: Operand) -> Expr:
        return Sum((_lift(other), Neg(self)))

    def __mul__(self, other: Operand) -> Expr:
        return Product(_factors(self) + _factors(_lift(other)))

    def __rmul__(self, other: Operand) -> Expr:
        return Product(_factors(_lift(other)) + _factors(self))

    def __floordiv__(self, other: Operand) -> Expr:
        return Floor(self, _lift(other))

    @property
    def symbolic(self) -> str:
        return self.render(False)

    @property
    def numeric(self) -> str:
        return self.render(True)


@dataclass(frozen=True, slots=True)
class Num(Expr):
    """A literal constant: shown as itself in both forms."""

    n: int

    @property
    def value(self) -> int:
        return self.n

    def render(self, filled: bool) -> str:
        return str(self.n) if self.n >= 0 else f"({self.n})"


@dataclass(frozen=True, slots=True)
class Var(Expr):
    """A named quantity: its name in the formula, its number once filled in."""

    name: str
    n: int

    @property
    def value(self) -> int:
        return self.n

    def render(self, filled: bool) -> str:
        if not filled:
            return self.name
        return str(self.n) if self.n >= 0 else f"({self.n})"


@dataclass(frozen=True, slots=True)
class Neg(Expr):
    """A subtracted term; only meaningful inside a Sum."""

    x: Expr

    @property
    def value(self) -> int:
        return -self.x.value

    def render(self, filled: bool) -> str:
        return "−" + _wrap(self.x, filled, _MUL)


def _factors(x: Expr) -> tuple[Expr, ...]:
    """A product's factors, flattened, so that f·f·d is one product of three names."""
    return x.factors if isinstance(x, Product) else (x,)


def _wrap(x: Expr, filled: bool, at_least: int) -> str:
    text = x.render(filled)
    return f"({text})" if x.strength < at_least else text


def _boxed(t: Expr) -> bool:
    """Whether a product inside a sum gets parentheses, as the article writes ((f·f·d) + 1)·k.

    Only a product of plain names and numbers is boxed; a coefficient times one name (2·p) and a product
    holding a sum (d·(f − 1)) read well bare: H + 2·p − d·(f − 1).
    """
    if not isinstance(t, Product) or any(not isinstance(f, (Num, Var)) for f in t.factors):
        return False
    return not (len(t.factors) == 2 and isinstance(t.factors[0], Num))


@dataclass(frozen=True, slots=True)
class Sum(Expr):
    terms: tuple[Expr, ...]

    @property
    def value(self) -> int:
        return sum(t.value for t in self.terms)

    @property
    def strength(self) -> int:
        return _ADD

    def render(self, filled: bool) -> str:
        parts: list[str] = []
        for i, t in enumerate(self.terms):
            if isinstance(t, Neg):
                parts.append(" − " + _wrap(t.x, filled, _ATOM if t.x.strength == _ADD else _MUL))
                continue
            text = _wrap(t, filled, _ATOM) if _boxed(t) else _wrap(t, filled, _ADD)
            parts.append(text if i == 0 else " + " + text)
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class Product(Expr):
    factors: tuple[Expr, ...]

    @property
    def value(self) -> int:
        out = 1
        for f in self.factors:
            out *= f.value
        return out

    @property
    def strength(self) -> int:
        return _MUL

    def render(self, filled: bool) -> str:
        return "·".join(_wrap(f, filled, _MUL) for f in self.factors)


@dataclass(frozen=True, slots=True)
class Floor(Expr):
    """⌊a/b⌋, exact integer floor division."""

    a: Expr
    b: Expr

    @property
    def value(self) -> int:
        return self.a.value // self.b.value

    def render(self, filled: bool) -> str:
        return f"⌊{_wrap(self.a, filled, _ATOM)}/{_wrap(self.b, filled, _ATOM)}⌋"


@dataclass(frozen=True, slots=True)
class Ceil(Expr):
    """⌈a/b⌉, exact integer ceiling division."""

    a: Expr
    b: Expr

    @property
    def value(self) -> int:
        return -(-self.a.value // self.b.value)

    def render(self, filled: bool) -> str:
        return f"⌈{_wrap(self.a, filled, _ATOM)}/{_wrap(self.b, filled, _ATOM)}⌉"


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """max(...) or min(...) of sub-expressions."""

    fn: str
    args: tuple[Expr, ...]

    @property
    def value(self) -> int:
        values = [a.value for a in self.args]
        return max(values) if self.fn == "max" else min(values)

    def render(self, filled: bool) -> str:
        return f"{self.fn}(" + ", ".join(a.render(filled) for a in self.args) + ")"


def ceil_div(a: Operand, b: Operand) -> Expr:
    return Ceil(_lift(a), _lift(b))


def maximum(*args: Operand) -> Expr:
    return Call("max", tuple(_lift(a) for a in args))


def total(terms: list[Expr] | tuple[Expr, ...]) -> Expr:
    """The sum of terms, 0 for none, the term itself for one."""
    if not terms:
        return Num(0)
    if len(terms) == 1:
        return terms[0]
    return Sum(tuple(terms))


def product(factors: list[Expr] | tuple[Expr, ...]) -> Expr:
    """The product of factors, 1 for none, the factor itself for one."""
    if not factors:
        return Num(1)
    if len(factors) == 1:
        return factors[0]
    return Product(tuple(factors))


ZERO = Num(0)


@dataclass(frozen=True)
class Quantity:
    """A number with its explanation: the expression it was computed from.

    ``formula`` is the symbolic form, ``filled`` the same form with numbers; both come from ``expr``.
    """

    expr: Expr

    @classmethod
    def of(cls, expr: Operand) -> Quantity:
        return cls(_lift(expr))

    @cached_property
    def value(self) -> int:
        return self.expr.value

    @cached_property
    def formula(self) -> str:
        return self.expr.symbolic

    @cached_property
    def filled(self) -> str:
        return self.expr.numeric

    def explain(self) -> str:
        """``formula = filled = value``, dropping steps that add nothing."""
        steps: list[str] = []
        for step in (self.formula, self.filled, str(self.value)):
            if not steps or steps[-1] != step:
                steps.append(step)
        return " = ".join(steps)

    def __str__(self) -> str:
        return self.explain()

    def __int__(self) -> int:
        return self.value

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(total([self.expr, other.expr]))

