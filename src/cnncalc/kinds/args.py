"""Checks and normalisation of hyper-parameters, shared by every kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ArgumentError
from .base import suggest

IntOrTuple = int | tuple[int, ...]
#: 'valid', 'same', one int for every side, one per axis, or (before, after) per axis
PaddingSpec = str | int | tuple[int, ...] | tuple[tuple[int, int], ...]


def check_int(name: str, value: Any, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{name} must be an integer, got {value!r}")
    if value < least:
        raise ArgumentError(f"{name} must be ≥ {least}, got {value}")
    return value


def check_ints(name: str, value: Any, least: int = 0) -> IntOrTuple:
    """An int or a non-empty sequence of ints, each ≥ least; sequences become tuples."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            raise ArgumentError(f"{name} must not be empty")
        return tuple(check_int(name, v, least) for v in value)
    return check_int(name, value, least)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        guess = suggest(str(value).lower(), list(choices))
        hint = f"did you mean '{guess}'?" if guess else "choose one of " + ", ".join(choices)
        raise ArgumentError(f"{name} must be one of {', '.join(choices)}, got {value!r}", hint=hint)
    return value.lower()


def check_padding(value: Any) -> PaddingSpec:
    if isinstance(value, str):
        return check_choice("padding", value, ("valid", "same"))
    if isinstance(value, Sequence) and value and all(
        isinstance(v, Sequence) and not isinstance(v, str) for v in value
    ):
        pairs = []
        for v in value:
            if len(v) != 2:
                raise ArgumentError(f"padding per side needs (before, after) pairs, got {tuple(v)}")
            pairs.append((check_int("padding", v[0]), check_int("padding", v[1])))
        return tuple(pairs)
    return check_ints("padding", value, 0)


def expand(name: str, value: IntOrTuple, ndim: int) -> tuple[int, ...]:
    """An int for every axis, or a tuple that must have one entry per axis."""
    if isinstance(value, int):
        return (value,) * ndim
    if len(value) == ndim:
        return value
    if len(value) == 1:
        return value * ndim
    raise ArgumentError(f"{name} {value} has {len(value)} entries for a {ndim}-D layer", hint=(
        f"give one integer or {ndim} of them"
    ))


def explicit_padding(value: PaddingSpec, ndim: int) -> tuple[tuple[int, int], ...]:
    """Explicit (before, after) padding per axis; not for 'same'/'valid'."""
    if isinstance(value, str):
        raise TypeError("explicit_padding: resolve 'same'/'valid' before calling")
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        pairs = tuple((int(v[0]), int(v[1])) for v in value if isinstance(v, tuple))
        if len(pairs) != ndim:
            raise ArgumentError(f"padding {pairs} has {len(pairs)} pairs for a {ndim}-D layer")
        return pairs
    flat = tuple(v for v in value if isinstance(v, int)) if isinstance(value, tuple) else value
    return tuple((p, p) for p in expand("padding", flat, ndim))
