"""What every layer kind is and returns, and the registry that is the only list of kinds."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal, TypeVar

from ..errors import ArgumentError
from ..expr import ZERO, Expr, Quantity
from ..shape import Shape

Counting = Literal["torch", "keras"]


@dataclass(frozen=True)
class RFStep:
    """How one layer maps input positions to output positions, per spatial axis.

    ``kernel`` is the effective kernel (dilation applied), ``padding`` the padding before the first
    input position. A transposed layer divides the jump by its stride instead of multiplying it.
    """

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    transposed: bool = False


#: "identity": the layer maps each position to itself (activations, norms, merges of equal grids).
#: "global": each output sees the whole input (global pooling, flatten, dense on a volume).
#: "unknown": irregular windows; the receptive field is not tracked past this layer.
RFRule = RFStep | Literal["identity", "global", "unknown"]


@dataclass(frozen=True)
class Computed:
    """What a kind computes for given input shapes. Every number is a Quantity (value + formula)."""

    output: Shape
    shape_steps: tuple[tuple[str, Quantity], ...] = ()
    trainable: Quantity = field(default_factory=lambda: Quantity(ZERO))
    non_trainable: Quantity = field(default_factory=lambda: Quantity(ZERO))
    state: Quantity = field(default_factory=lambda: Quantity(ZERO))
    macs: Quantity = field(default_factory=lambda: Quantity(ZERO))
    bias_flops: Quantity = field(default_factory=lambda: Quantity(ZERO))
    elementwise_flops: Quantity = field(default_factory=lambda: Quantity(ZERO))
    rf: RFRule = "identity"
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def q(expr: Expr | int) -> Quantity:
    return Quantity.of(expr)


@dataclass(frozen=True)
class Layer:
    """Base of every layer kind: frozen hyper-parameters and pure formulas.

    Subclasses set ``kind`` and implement ``compute``. ``trainable=False`` freezes the layer: its
    parameters are then counted as non-trainable.
    """

    kind: ClassVar[str] = ""
    #: how many inputs the layer takes: (least, most or None for no limit)
    arity: ClassVar[tuple[int, int | None]] = (1, 1)
    #: alternative names of arguments (the course's f/s/p, the frameworks' names) → field name
    aliases: ClassVar[dict[str, str]] = {}
    #: arguments that may be given without a name, in order (text format and builders)
    positional: ClassVar[tuple[str, ...]] = ()

    trainable: bool = field(default=True, kw_only=True)

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        raise NotImplementedError

    @property
    def label(self) -> str:
        """The kind as shown in a table: the kind, plus a fused activation if any."""
        act = getattr(self, "activation", None)
        return f"{self.kind}+{act}" if act else self.kind

    def arguments(self) -> dict[str, Any]:
        """Every hyper-parameter that differs from its default, for round-trips and display."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.default is not value and f.default != value:
                out[f.name] = value
        return out


L = TypeVar("L", bound=type[Layer])


@dataclass(frozen=True)
class KindEntry:
    name: str
    cls: type[Layer]
    preset: dict[str, Any]
    summary: str


KINDS: dict[str, KindEntry] = {}


def register(*names: str, **preset: Any) -> Callable[[L], L]:
    """Register a kind class under one or more names; a name can be registered only once.

    ``preset`` fixes arguments for every name (e.g. ``conv2d`` is ``conv`` with ndim=2).
    """

    def add(cls: L) -> L:
        for name in names:
            if name in KINDS:
                raise RuntimeError(f"layer kind {name!r} is registered twice")
            summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else name
            KINDS[name] = KindEntry(name, cls, dict(preset), summary)
        return cls

    return add


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest choice to a misspelt word, for 'did you mean'."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def argument_names(cls: type[Layer]) -> list[str]:
    return [f.name for f in fields(cls)]


def build(kind: str, args: dict[str, Any]) -> Layer:
    """Build a layer from its kind name and arguments, resolving aliases and rejecting unknowns."""
    entry = KINDS.get(kind.lower())
    if entry is None:
        guess = suggest(kind.lower(), list(KINDS))
        hint = f"did you mean '{guess}'?" if guess else "run `cnncalc kinds` to list the kinds"
        raise ArgumentError(f"unknown layer kind '{kind}'", hint=hint)
    known = argument_names(entry.cls)
    resolved: dict[str, Any] = dict(entry.preset)
    for name, value in args.items():
        target = entry.cls.aliases.get(name, name)
        if target not in known or target in entry.preset:
            choices = [n for n in known if n not in entry.preset] + list(entry.cls.aliases)
            guess = suggest(name, choices)
            hint = f"did you mean '{guess}'?" if guess else f"'{kind}' takes: " + ", ".join(
                n for n in known if n not in entry.preset
            )
            raise ArgumentError(f"'{kind}' has no argument '{name}'", hint=hint)
        if target in resolved and target not in entry.preset:
            raise ArgumentError(f"'{kind}' got argument '{target}' twice (as '{name}')")
        resolved[target] = value
    try:
        return entry.cls(**resolved)
    except TypeError as exc:  # a required argument is missing
        missing = [n for n in entry.cls.positional if n not in resolved]
        what = ", ".join(missing) if missing else str(exc)
        raise ArgumentError(f"'{kind}' needs {what}", hint=f"e.g. {kind} " + " ".join(
            f"<{n}>" for n in entry.cls.positional
        )) from None
