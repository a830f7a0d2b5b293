"""Keras 3 adapter: ``from_keras(model)`` and the CLI's ``keras:NAME`` and ``model.keras`` sources.

Shapes come from the model's graph and Keras's symbolic shape inference (nothing runs; on the PyTorch
backend, ``keras:NAME`` and ``.keras`` models are built on the meta device); every layer class in an
explicit table is computed by its core kind and its parameter count checked against Keras's. Keras itself
is imported only when a model is analysed. See docs/keras.md.
"""

from __future__ import annotations

from .api import from_keras
from .rows import KerasMismatchError
from .source import analyze_source, refuse_legacy

__all__ = ["KerasMismatchError", "analyze_source", "from_keras", "refuse_legacy"]
