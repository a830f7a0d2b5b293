"""The one row assembler: a front-end's LayerCall becomes a Row, with the same code for every front-end.

Activations, MACs and FLOPs scale with the batch (``repeat``) through the formula ``N·…``; FLOPs follow the
conventions (2·MACs, plus bias and element-wise work when asked), each term with its own formula; bytes
use the call's element size or the conventions' dtype.

>>> from cnncalc.kinds import Conv
>>> from cnncalc.shape import Shape
>>> from cnncalc.conventions import Conventions
>>> from cnncalc.analysis.calls import LayerCall
>>> conv = Conv(8, 5)
>>> x = Shape((32, 32, 3), 2)
>>> row = row_of(LayerCall("c", conv, (x,), computed=conv.compute((x,), "torch"), repeat=2), Conventions())
>>> row.macs.explain(), row.flops.value
('N·Ho·Wo·k·f·f·d = 2·28·28·8·5·5·3 = 940800', 1881600)
"""

from __future__ import annotations

from collections.abc import Sequence

from ..conventions import Conventions
from ..expr import ZERO, Expr, Num, Quantity, Var, total
from ..kinds.base import Computed
from ..receptive import ReceptiveField
from ..shape import Shape
from .calls import LayerCall, Measured, Params
from .result import Row

FROZEN_NOTE = "frozen: parameters not trainable"


def scaled(q: Quantity, n: int) -> Quantity:
    """``N·q`` (the per-sample quantity repeated over a batch of N), or q itself for N = 1 or 0."""
    return q if n == 1 or not q.value else Quantity(Var("N", n) * q.expr)


def flops_of(macs: Quantity, conv: Conventions, bias: Quantity | None = None,
             elementwise: Quantity | None = None) -> Quantity:
    """FLOPs under the conventions: flops_per_mac·MACs, plus bias and element-wise work when counted."""
    terms: list[Expr] = []
    if macs.value:
        terms.append(Num(conv.flops_per_mac) * Var("MACs", macs.value))
    if conv.count_bias_flops and bias is not None and bias.value:
        terms.append(bias.expr)
    if conv.count_elementwise_flops and elementwise is not None and elementwise.value:
        terms.append(elementwise.expr)
    return Quantity(total(terms))


def _core_params(call: LayerCall, c: Computed, element: int) -> Params:
    """The core's own parameter formulas; a frozen layer's parameters are non-trainable. State is in the dtype,
    except what a framework keeps as int64 (8 bytes: PyTorch's num_batches_tracked)."""
    trainable, frozen = c.trainable, c.non_trainable
    if not call.layer.trainable and trainable.value:
        frozen, trainable = (trainable + frozen if frozen.value else trainable), Quantity(ZERO)
    state_bytes = (c.state.value - c.state_int64) * element + c.state_int64 * 8
    return Params(trainable, frozen, c.state, trainable.value * element, frozen.value * element, state_bytes)


def row_of(call: LayerCall, conv: Conventions) -> Row:
    """The row of one layer call, modelled (``computed``) or measured."""
    if call.computed is not None:
        return _modelled(call, call.computed, conv)
    assert call.measured is not None
    return _measured(call, call.measured, conv)


def _modelled(call: LayerCall, c: Computed, conv: Conventions) -> Row:
    n, element = call.repeat, call.element_bytes or conv.dtype_bytes
    params = call.params or _core_params(call, c, conv.dtype_bytes)
    macs = scaled(c.macs, n)
    acts = scaled(Quantity(c.output.size_expr()), n)
    flops = flops_of(macs, conv, scaled(c.bias_flops, n), scaled(c.elementwise_flops, n))
    frozen = (FROZEN_NOTE,) if not call.layer.trainable else ()
    return _row(call, conv, kind=call.layer.label, output=c.output, activations=acts, params=params, macs=macs,
                flops=flops, activation_bytes=acts.value * element, steps=c.shape_steps,
                notes=c.notes + frozen + call.notes, warnings=c.warnings + call.warnings)


def _measured(call: LayerCall, m: Measured, conv: Conventions) -> Row:
    from ..kinds.measured import Measured as MeasuredKind  # the kind of measured rows: never on a text network

    element = call.element_bytes or conv.dtype_bytes
    params = call.params or Params()
    flops = flops_of(m.macs, conv, elementwise=Quantity(Var("element-wise", m.elementwise)))
    kind = call.layer.label if isinstance(call.layer, MeasuredKind) else call.layer.kind
    return _row(call, conv, kind=kind, output=m.output, activations=m.activations, params=params, macs=m.macs,
                flops=flops, activation_bytes=m.activations.value * element, steps=(), notes=call.notes,
                warnings=call.warnings)


def _row(call: LayerCall, conv: Conventions, *, kind: str, output: Shape, activations: Quantity, params: Params,
         macs: Quantity, flops: Quantity, activation_bytes: int, steps: tuple[tuple[str, Quantity], ...],
         notes: tuple[str, ...], warnings: tuple[str, ...]) -> Row:
    return Row(
        name=call.name, kind=kind, layer=call.layer, inputs=call.inputs, input_shapes=call.input_shapes,
        output_shape=output, activations=activations, trainable=params.trainable,
        non_trainable=params.non_trainable, state=params.state, macs=macs, flops=flops,
        receptive_field=call.receptive_field, param_bytes=params.trainable_bytes + params.non_trainable_bytes,
        activation_bytes=activation_bytes, shape_steps=steps, notes=notes, warnings=warnings, source=call.source,
        depth=call.depth, unmodelled=call.unmodelled, shares_params_with=params.shared_with,
        trainable_bytes=params.trainable_bytes, state_bytes=params.state_bytes, blocks=call.blocks,
        block_kinds=call.block_kinds,
        layout=conv.layout, aliases=call.aliases,
    )


def container_row(name: str, kind: str, below: Sequence[Row], *, input_shapes: tuple[Shape, ...], output: Shape,
                  output_elements: int, output_bytes: int, receptive_field: ReceptiveField, depth: int,
                  source: str | None = None, blocks: tuple[str, ...] = (), block_kinds: tuple[str, ...] = (),
                  layout: str = "hwc", inputs: tuple[str, ...] = ()) -> Row:
    """A container's row (a module, a block): its numbers roll up the rows below it; it is not in the totals."""
    from ..kinds.measured import Measured as MeasuredKind  # a container's layer: its kind, not modelled

    leaves = [r for r in below if not r.is_container]

    def rolled(label: str, values: Sequence[int]) -> Quantity:
        return Quantity(Var(f"Σ {label}", sum(values)))

    return Row(
        name=name, kind=kind, layer=MeasuredKind(kind), inputs=inputs, input_shapes=input_shapes,
        output_shape=output, activations=Quantity(Var("n", output_elements)),
        trainable=rolled("trainable", [r.trainable.value for r in leaves]),
        non_trainable=rolled("non-trainable", [r.non_trainable.value for r in leaves]),
        state=rolled("state", [r.state.value for r in leaves]),
        macs=rolled("MACs", [r.macs.value for r in leaves]), flops=rolled("FLOPs", [r.flops.value for r in leaves]),
        receptive_field=receptive_field, param_bytes=sum(r.param_bytes for r in leaves),
        activation_bytes=output_bytes, notes=("container: its numbers roll up the rows below it",), source=source,
        depth=depth, is_container=True, trainable_bytes=sum(r.trainable_bytes for r in leaves),
        state_bytes=sum(r.state_bytes for r in leaves), blocks=blocks, block_kinds=block_kinds, layout=layout,
    )
