"""Solve for hyper-parameters: the window that takes one size to another, 'same' padding, undoing a conv."""

from __future__ import annotations

from .solver import Combo, SamePadding, Undo, same_padding, solve_size, solve_transposed, undo, window_output

__all__ = ["Combo", "SamePadding", "Undo", "same_padding", "solve_size", "solve_transposed", "undo", "window_output"]
