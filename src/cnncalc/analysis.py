"""analyze(): every layer's shapes, parameters, MACs, FLOPs, receptive field and memory, explained."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .conventions import Conventions
from .errors import ArgumentError, ShapeError, UnknownLayerError
from .expr import Expr, Num, Quantity, Var, total
from .kinds.base import Computed, Layer
from .kinds.structural import Input
from .network import Graph, Network, Node
from .receptive import ReceptiveField
from .shape import Shape


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

    def explain(self, layout: str = "hwc") -> str:
        """Every number of the row with its formula and values."""
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

    def as_dict(self, layout: str = "hwc") -> dict[str, Any]:
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

    def __getitem__(self, name: str) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        from .kinds.base import suggest

        guess = suggest(str(name), [r.name for r in self.rows])
        raise UnknownLayerError(
            f"no layer named {name!r} in '{self.name}'",
            hint=f"did you mean '{guess}'?" if guess else "layers: " + ", ".join(r.name for r in self.rows[:20]),
        )

    def explain(self, layer: str | None = None) -> str:
        rows = [self[layer]] if layer else list(self.rows)
        return "\n\n".join(r.explain(self.conventions.layout) for r in rows)

    def to_dict(self) -> dict[str, Any]:
        from .render.json_out import result_dict

        return result_dict(self)

    def __str__(self) -> str:
        from .render.text import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        from .render.html import render_html

        return render_html(self)


def _scaled(q: Quantity, batch: int) -> Quantity:
    return q if batch == 1 or not q.value else Quantity(Var("N", batch) * q.expr)


def _flops(c: Computed, macs: Quantity, conv: Conventions, batch: int) -> Quantity:
    terms: list[Expr] = []
    if macs.value:
        terms.append(Num(conv.flops_per_mac) * Var("MACs", macs.value))
    # bias and element-wise work keep their own formulas (H_out·W_out·k, 5·n), so the explanation shows them
    if conv.count_bias_flops and c.bias_flops.value:
        terms.append(_scaled(c.bias_flops, batch).expr)
    if conv.count_elementwise_flops and c.elementwise_flops.value:
        terms.append(_scaled(c.elementwise_flops, batch).expr)
    return Quantity(total(terms))


def _compute(node: Node, shapes: tuple[Shape, ...], conv: Conventions) -> Computed:
    try:
        return node.layer.compute(shapes, conv.counting)
    except ShapeError as err:
        raise err.at_layer(node.name, ", ".join(s.show(conv.layout) for s in shapes)) from None
    except ArgumentError as err:
        raise err.at_layer(node.name) from None


def _row(node: Node, shapes: tuple[Shape, ...], c: Computed, rf: ReceptiveField, conv: Conventions) -> Row:
    b = conv.batch
    trainable, frozen = c.trainable, c.non_trainable
    if not node.layer.trainable and trainable.value:
        frozen, trainable = (trainable + frozen if frozen.value else trainable), Quantity(Num(0))
    out = c.output
    act = Quantity(out.size_expr())
    macs = _scaled(c.macs, b)
    params = trainable.value + frozen.value
    return Row(
        name=node.name,
        kind=node.layer.label,
        layer=node.layer,
        inputs=node.inputs,
        input_shapes=shapes,
        output_shape=out,
        activations=_scaled(act, b),
        trainable=trainable,
        non_trainable=frozen,
        state=c.state,
        macs=macs,
        flops=_flops(c, macs, conv, b),
        receptive_field=rf,
        param_bytes=params * conv.dtype_bytes,
        activation_bytes=out.size * b * conv.dtype_bytes,
        shape_steps=c.shape_steps,
        notes=c.notes + (("frozen: parameters not trainable",) if not node.layer.trainable else ()),
        warnings=c.warnings,
        source=str(node.source) if node.source else None,
    )


def totals_from_rows(all_rows: tuple[Row, ...], conv: Conventions) -> Totals:
    rows = [r for r in all_rows if not r.is_container]  # containers roll up their children
    trainable = sum(r.trainable.value for r in rows)
    frozen = sum(r.non_trainable.value for r in rows)
    state = sum(r.state.value for r in rows)
    acts = sum(r.activations.value for r in rows if not isinstance(r.layer, Input))
    size = conv.dtype_bytes
    # Training: weights + gradients + Adam's two moments for trainable parameters, plus every output kept.
    training = (trainable + frozen + 3 * trainable + state) * size + acts * size
    return Totals(
        params=trainable + frozen,
        trainable_params=trainable,
        non_trainable_params=frozen,
        state=state,
        macs=sum(r.macs.value for r in rows),
        flops=sum(r.flops.value for r in rows),
        activations=acts,
        input_size=sum(r.activations.value for r in rows if isinstance(r.layer, Input)),
        param_bytes=(trainable + frozen) * size,
        state_bytes=state * size,
        activation_bytes=acts * size,
        training_bytes=training,
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects (no cycles are made);
    on 10,000 layers its repeated full scans cost about as much as the analysis itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def analyze(network: Network | Graph, conventions: Conventions | None = None, **options: Any) -> Result:
    """Analyse a network (or a Graph being built) under the given conventions (or the defaults changed by
    ``options``).

    >>> from cnncalc.kinds import Input, Conv
    >>> r = analyze(Network.chain(Input((32, 32, 3)), Conv(8, 5)), batch=2)
    >>> r.rows[1].output_shape.dims, r.totals.params, r.totals.macs
    ((28, 28, 8), 608, 940800)
    """
    if isinstance(network, Graph):
        network = network.build()
    if not isinstance(network, Network):
        raise ArgumentError(
            f"analyze() takes a Network or a Graph, got {type(network).__name__}",
            hint="build one with Network.chain(...), cc.Graph(), cc.parse(text) or cc.load(path); "
            "a PyTorch model goes to cc.from_torch(model, input_size=...)",
        )
    conv = (conventions or Conventions()).but(**options) if options else (conventions or Conventions())
    with _gc_paused():
        try:
            return _analyze(network, conv)
        except ShapeError as err:
            # graph-level fixes (the pooling layer to drop, the channels a merge needs), computed by re-analysis
            from .check.fixes import suggest_fixes

            raise err.with_fixes(tuple(suggest_fixes(network, err))) from None


def _analyze(network: Network, conv: Conventions) -> Result:
    shapes: dict[str, Shape] = {}
    fields: dict[str, ReceptiveField] = {}
    rows: list[Row] = []
    used: set[str] = set()
    for node in network.nodes:
        ins = tuple(shapes[i] for i in node.inputs)
        used.update(node.inputs)
        c = _compute(node, ins, conv)
        if isinstance(node.layer, Input):
            rf = ReceptiveField.at_input(c.output.spatial)
        else:
            before = ReceptiveField.widest([fields[i] for i in node.inputs])
            rf = before.through(c.rf)
        shapes[node.name], fields[node.name] = c.output, rf
        rows.append(_row(node, ins, c, rf, conv))
    outputs = [n.name for n in network.nodes if n.name not in used]
    warnings = [f"{r.name}: {w}" for r in rows for w in r.warnings]
    if len(outputs) > 1:
        warnings.append("several layers feed nothing (outputs or dead branches): " + ", ".join(outputs))
    done = tuple(rows)
    return Result(network.name, done, totals_from_rows(done, conv), conv, tuple(warnings))
