"""The not-modelled row kind: a framework's layer (or a container's own work) whose numbers were measured.

A front-end (PyTorch, ONNX, Keras) meets a layer its mapping table has no core kind for: the layer still
gets a row, with the shapes and parameter counts the framework reports and the work its operators did,
marked "not modelled" with the reason. It is not in the kind registry: no text format can write it.

>>> Measured("GELU").label
'GELU'
"""

from __future__ import annotations

from dataclasses import dataclass

from ..shape import Shape
from .base import Computed, Counting, Layer


@dataclass(frozen=True)
class Measured(Layer):
    """A framework's layer measured, not modelled: ``type_name`` is the framework's name for it."""

    kind = "module"
    arity = (0, None)
    type_name: str = "module"

    @property
    def label(self) -> str:
        return self.type_name

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        raise NotImplementedError(f"{self.type_name} is measured by its front-end, not computed by the core")
