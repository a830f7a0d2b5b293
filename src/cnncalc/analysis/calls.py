"""The contract between a front-end and the core: what a front-end supplies for each layer it met.

A front-end (the text format, JSON, Python, PyTorch, ONNX, Keras) is a *tracer* that yields one
``LayerCall`` per layer call, in execution order, plus an explicit *mapping table* from its layer
types to core kinds. A mapped call carries the core kind and what the kind computed (``computed``);
an unmapped one carries a ``Measured`` layer and the facts the framework reported (``measured``).
Parameters the framework holds come as ``Params`` (trainable/frozen from its own flags, shared tensors
counted once). The core turns calls into rows (``rows.row_of``) and rows into totals
(``totals.totals_from_rows``): nothing about rows, totals, FLOPs conventions or memory is computed in
a front-end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..expr import ZERO, Quantity
from ..kinds.base import Computed, Layer
from ..receptive import ReceptiveField
from ..shape import Shape

UNKNOWN_FIELD = ReceptiveField("unknown", note="not tracked through this operation")


def _zero() -> Quantity:
    return Quantity(ZERO)


@dataclass(frozen=True)
class Params:
    """Parameters as a framework holds them: counts with the formula of their names, bytes in their dtypes.

    ``shared_with``: the row where tensors this layer reuses were counted (tied weights, a module called
    twice); those tensors are not in these counts."""

    trainable: Quantity = field(default_factory=_zero)
    non_trainable: Quantity = field(default_factory=_zero)
    state: Quantity = field(default_factory=_zero)
    trainable_bytes: int = 0
    non_trainable_bytes: int = 0
    state_bytes: int = 0
    shared_with: str | None = None


@dataclass(frozen=True)
class Measured:
    """What a framework reported for a layer no core kind models: its output and the work its operators did.

    ``macs`` are the operators' multiply-accumulates (with the operators' names in the formula),
    ``elementwise`` the elements produced by operators without MACs (the element-wise FLOPs)."""

    output: Shape
    activations: Quantity
    macs: Quantity = field(default_factory=_zero)
    elementwise: int = 0


@dataclass(frozen=True)
class LayerCall:
    """One call of one layer, as a front-end saw it. Exactly one of ``computed`` and ``measured`` is set.

    ``repeat``: how many times the per-sample numbers of ``computed`` repeat (the batch N, or the leading
    axes a framework folds into it). ``element_bytes``: bytes per activation element (None: the
    conventions' dtype). ``params``: None means the core's own formulas (trainable unless the layer is
    frozen); a framework's measured tensors otherwise. ``aliases``: the index in ``inputs`` of the input whose
    storage the output shares, as the framework ran it (an in-place op, a view, the identity), else None."""

    name: str
    layer: Layer
    input_shapes: tuple[Shape, ...] = ()
    inputs: tuple[str, ...] = ()
    computed: Computed | None = None
    measured: Measured | None = None
    repeat: int = 1
    element_bytes: int | None = None
    params: Params | None = None
    receptive_field: ReceptiveField = UNKNOWN_FIELD
    depth: int = 0
    blocks: tuple[str, ...] = ()
    block_kinds: tuple[str, ...] = ()
    unmodelled: str | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    source: str | None = None
    aliases: int | None = None

    def __post_init__(self) -> None:
        if (self.computed is None) == (self.measured is None):
            raise ValueError(f"layer call '{self.name}': give exactly one of computed and measured")
