"""What an analysis gives: one Row per layer, the Totals, and the Result that holds them (all frozen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..conventions import Conventions
from ..errors import UnknownLayerError
from ..expr import Quantity
from ..kinds.base import Layer
from ..receptive import ReceptiveField
from ..shape import Shape

if TYPE_CHECKING:  # the renderer imports this module; only the type checker needs the reverse
    from ..render.diagram import Diagram


@dataclass(frozen=True)
class Row:
    """One layer's numbers. Counts are per batch of ``conventions.batch`` where they scale with it."""

    name: str
    kind: str
    layer: Layer
    inputs: tuple[str, ...]
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    activations: Quantity
    trainable: Quantity
    non_trainable: Quantity
    state: Quantity
    macs: Quantity
    flops: Quantity
    receptive_field: ReceptiveField
    param_bytes: int
    activation_bytes: int
    shape_steps: tuple[tuple[str, Quantity], ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    source: str | None = None
    #: nesting depth (0 for a top-level layer; adapters fill deeper levels and containers)
    depth: int = 0
    #: a container row (e.g. an nn.Sequential) whose numbers roll up its children; not in totals
    is_container: bool = False
    #: why the row's numbers were measured rather than computed by a core kind (None: modelled)
    unmodelled: str | None = None
    #: the row whose parameters this one reuses (shared or tied weights, counted once there)
    shares_params_with: str | None = None
    #: bytes of the trainable parameters and of the state (buffers), in their own dtypes
    trainable_bytes: int = 0
    state_bytes: int = 0
    #: the block instances this row sits in, outermost first (text format: ("stage1.0",)); for --depth
    blocks: tuple[str, ...] = ()
    #: the block definitions of those instances, in the same order (("bottleneck",)): a collapsed block's kind
    block_kinds: tuple[str, ...] = ()
    #: the layout the row's shapes are shown in by default (the conventions' layout)
    layout: str = "hwc"
    #: the index in ``inputs`` of the input whose storage the output shares (in-place, view, identity), as a
    #: front-end measured it; None: as the kind's memory rule says
    aliases: int | None = None

    @property
    def params(self) -> int:
        """Parameters as PyTorch counts them (trainable + non-trainable), state excluded."""
        return self.trainable.value + self.non_trainable.value

    @property
    def params_quantity(self) -> Quantity:
        if not self.non_trainable.value:
            return self.trainable
        if not self.trainable.value:
            return self.non_trainable
        return self.trainable + self.non_trainable

    def explain(self, layout: str | None = None) -> str:
        """Every number of the row with its formula and values (shapes in the result's layout by default)."""
        layout = layout or self.layout
        lines = [f"{self.name} ({self.kind})" + (f"  [{self.source}]" if self.source else "")]
        if self.input_shapes:
            lines.append("  input      " + ", ".join(s.show(layout) for s in self.input_shapes))
        for label, qty in self.shape_steps:
            lines.append(f"  {label:<10} {qty.explain()}")
        lines.append(f"  output     {self.output_shape.show(layout)}")
        lines.append(f"  activation {self.activations.explain()}")
        for label, qty in (("params", self.trainable), ("frozen", self.non_trainable), ("state", self.state)):
            if label == "params" or qty.value:
                lines.append(f"  {label:<10} {qty.explain()}")
        lines.append(f"  MACs       {self.macs.explain()}")
        lines.append(f"  FLOPs      {self.flops.explain()}")
        lines.append(f"  RF         {self.receptive_field.explain()}")
        lines += [f"  note: {n}" for n in self.notes] + [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def as_dict(self, layout: str | None = None) -> dict[str, Any]:
        layout = layout or self.layout
        return {
            "name": self.name,
            "kind": self.kind,
            "inputs": list(self.inputs),
            "input_shapes": [list(s.ordered(layout)) for s in self.input_shapes],
            "output_shape": list(self.output_shape.ordered(layout)),
            "activations": self.activations.value,
            "params": self.params,
            "trainable_params": self.trainable.value,
            "non_trainable_params": self.non_trainable.value,
            "state": self.state.value,
            "macs": self.macs.value,
            "flops": self.flops.value,
            "param_bytes": self.param_bytes,
            "activation_bytes": self.activation_bytes,
            "receptive_field": self.receptive_field.as_dict(),
            "formulas": {
                "params": self.params_quantity.explain(),
                "macs": self.macs.explain(),
                "activations": self.activations.explain(),
                **{label: qty.explain() for label, qty in self.shape_steps},
            },
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "depth": self.depth,
            "is_container": self.is_container,
            "unmodelled": self.unmodelled,
            "shares_params_with": self.shares_params_with,
        }


@dataclass(frozen=True)
class Totals:
    params: int
    trainable_params: int
    non_trainable_params: int
    state: int
    macs: int
    flops: int
    activations: int
    input_size: int
    param_bytes: int
    state_bytes: int
    activation_bytes: int
    training_bytes: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Result:
    """The analysis of a network: rows, totals, warnings and the conventions used. Immutable."""

    name: str
    rows: tuple[Row, ...]
    totals: Totals
    conventions: Conventions
    warnings: tuple[str, ...] = field(default=())
    #: the training step to analyse memory for (a cnncalc.analysis.training.Training; None: Adam, fp32)
    training: Any = None
    #: the largest batch whose peak fits the --gpu-memory given (None: not asked)
    max_batch: int | None = None
    #: every row when ``rows`` shows fewer (``depth``): memory is computed from all of them
    all_rows: tuple[Row, ...] = ()

    def memory(self, training: Any = None) -> Any:
        """Inference and training-step memory (a ``cnncalc.analysis.memory.Memory``), by the kinds' rules; see
        docs/memory.md. ``training``: a ``Training`` (optimizer, amp, checkpointing, sharding), else the
        result's own, else Adam in the conventions' dtype."""
        from .memory import memory_of

        return memory_of(self.all_rows or self.rows, self.conventions, training or self.training)

    def __getitem__(self, name: str) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        raise self._unknown(str(name), "no layer named {name!r} in '{network}'")

    def _unknown(self, name: str, message: str) -> UnknownLayerError:
        from ..kinds.base import suggest

        names = [r.name for r in self.rows]
        guess = suggest(name, names)
        return UnknownLayerError(
            message.format(name=name, network=self.name),
            hint=f"did you mean '{guess}'?" if guess else "layers: " + ", ".join(names[:20]),
        )

    def select(self, layer: str) -> list[Row]:
        """The row named ``layer`` (exactly, else case aside), or every row of the block ``layer`` (the rows whose
        names start with 'layer.')."""
        for exact in (True, False):
            rows = [r for r in self.rows if (r.name == layer if exact else r.name.lower() == layer.lower())]
            if rows:
                return rows[:1]
        prefix = layer.lower().rstrip("./") + "."
        rows = [r for r in self.rows if r.name.lower().startswith(prefix)]
        if rows:
            return rows
        raise self._unknown(layer, "no layer or block named {name!r} in '{network}'")

    def explain(self, layer: str | None = None) -> str:
        """Every number's formula with its values: of every row, of one layer, or of a block's rows."""
        rows = self.select(layer) if layer else list(self.rows)
        return "\n\n".join(r.explain(self.conventions.layout) for r in rows)

    def to_dict(self) -> dict[str, Any]:
        from ..render.json_out import result_dict

        return result_dict(self)

    def __str__(self) -> str:
        from ..render.text import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: the compact report (table with formulas as tooltips, totals, warnings)."""
        from ..render.html import render_html

        return render_html(self)

    def diagram(self, style: str | None = None, depth: int | None = None) -> Diagram:
        """The network as a picture (a ``Diagram``: ``.svg`` text, shown by Jupyter through ``_repr_svg_``).

        ``style``: "volumes" (3-D boxes, for chains), "graph" (a top-down DAG) or None to choose; ``depth``
        collapses blocks in the graph style. See docs/diagram.md.
        """
        from ..render.diagram import diagram

        return diagram(self, style, depth)
