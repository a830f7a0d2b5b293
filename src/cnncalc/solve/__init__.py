"""Solve for hyper-parameters: the window that takes one size to another, 'same' padding, undoing a conv."""

from __future__ import annotations

from .solver import (
    Bounds,
    Combo,
    SamePadding,
    Solutions,
    Undo,
    same_padding,
    search,
    solve_size,
    solve_transposed,
    undo,
    window_output,
)

__all__ = [
    "Bounds",
    "Combo",
    "SamePadding",
    "Solutions",
    "Undo",
    "same_padding",
    "search",
    "solve_size",
    "solve_transposed",
    "undo",
    "window_output",
]
