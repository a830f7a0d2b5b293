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
from .base import Computed, Counting, Layer, MemoryRule


def _words(text: str) -> list[str]:
    return text.split()


#: operators whose backward needs none of their inputs (sums, copies, reshapes, concatenation)
SAVE_NOTHING = frozenset(_words("add add_ sub sub_ neg neg_ cat stack clone copy copy_ _to_copy contiguous expand "
                                "zeros zeros_like ones ones_like empty empty_like fill fill_ constant_pad_nd slice "
                                "select unsqueeze squeeze view reshape permute transpose t split chunk arange full "
                                "detach lift_fresh alias mean sum"))
#: operators whose backward needs every tensor input (products)
SAVE_INPUTS = frozenset(_words("mul mul_ div div_ matmul mm bmm baddbmm addmm einsum"))


@dataclass(frozen=True)
class Measured(Layer):
    """A framework's layer measured, not modelled: ``type_name`` is the framework's name for it."""

    kind = "module"
    arity = (0, None)
    type_name: str = "module"
    #: the operators it ran (aten names), which decide what it keeps for backward
    ops: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.type_name

    def memory_rule(self, inputs: tuple[Shape, ...], computed: Computed) -> MemoryRule:
        """From the operators it ran: sums, copies and concatenation keep nothing, products keep their inputs,
        anything else is assumed to keep its input (a stated assumption, not a measurement).

        >>> Measured("functional", ("add",)).memory_rule((), Computed(Shape(()))).why
        'its operators (add) keep nothing for backward'
        """
        ops = ", ".join(self.ops)
        if self.ops and all(o in SAVE_NOTHING for o in self.ops):
            return MemoryRule(why=f"its operators ({ops}) keep nothing for backward")
        if self.ops and all(o in SAVE_NOTHING | SAVE_INPUTS for o in self.ops):
            return MemoryRule(saves_inputs=tuple(range(max(len(inputs), 1))),
                              why=f"its operators ({ops}) keep their inputs for backward")
        return MemoryRule(saves_inputs=(0,), why="not modelled: assumed to keep its input" +
                          (f" (operators: {ops})" if ops else ""))

    def compute(self, inputs: tuple[Shape, ...], counting: Counting) -> Computed:
        raise NotImplementedError(f"{self.type_name} is measured by its front-end, not computed by the core")
