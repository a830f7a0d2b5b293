"""analyze(): the text format's, the JSON form's and the Python API's front-end onto the one road.

The network's nodes are the tracer: each node, in topological order, is one LayerCall whose kind the
core computes (the mapping table is the identity: nodes are core kinds already). Receptive fields follow
the graph, the widest path at a merge.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..conventions import Conventions
from ..errors import ArgumentError, ShapeError
from ..kinds.base import Computed
from ..kinds.structural import Input
from ..network import Graph, Network, Node
from ..receptive import ReceptiveField
from ..shape import Shape
from .calls import LayerCall
from .result import Result, Row
from .rows import row_of
from .totals import assemble


def _compute(node: Node, shapes: tuple[Shape, ...], conv: Conventions) -> Computed:
    try:
        return node.layer.compute(shapes, conv.counting)
    except ShapeError as err:
        raise err.at_layer(node.name, ", ".join(s.show(conv.layout) for s in shapes)) from None
    except ArgumentError as err:
        raise err.at_layer(node.name) from None


def calls_of(network: Network, conv: Conventions) -> Iterator[LayerCall]:
    """The network's layer calls in order, each computed by its core kind, with its receptive field."""
    shapes: dict[str, Shape] = {}
    fields: dict[str, ReceptiveField] = {}
    for node in network.nodes:
        ins = tuple(shapes[i] for i in node.inputs)
        c = _compute(node, ins, conv)
        if isinstance(node.layer, Input):
            rf = ReceptiveField.at_input(c.output.spatial)
        else:
            rf = ReceptiveField.widest([fields[i] for i in node.inputs]).through(c.rf)
        shapes[node.name], fields[node.name] = c.output, rf
        yield LayerCall(node.name, node.layer, ins, node.inputs, computed=c, repeat=conv.batch, receptive_field=rf,
                        depth=len(node.blocks), blocks=node.blocks, block_kinds=node.block_kinds,
                        source=str(node.source) if node.source else None)


def analyze_network(network: Network, conv: Conventions, depth: int | None = None) -> Result:
    """Rows and totals of a network under the conventions (no fix suggestions: see ``analyze``)."""
    rows = tuple(row_of(call, conv) for call in calls_of(network, conv))
    used = {i for n in network.nodes for i in n.inputs}
    outputs = [n.name for n in network.nodes if n.name not in used]
    warnings = [f"{r.name}: {w}" for r in rows for w in r.warnings]
    if len(outputs) > 1:
        warnings.append("several layers feed nothing (outputs or dead branches): " + ", ".join(outputs))
    return assemble(network.name, rows, conv, warnings, depth)


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


def analyze(network: Network | Graph, conventions: Conventions | None = None, *, depth: int | None = None,
            **options: Any) -> Result:
    """Analyse a network (or a Graph being built) under the given conventions (or the defaults changed by
    ``options``). ``depth`` collapses blocks nested that deep into one rolled-up row each (1: top level).

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
    if conventions is not None and not isinstance(conventions, Conventions):
        raise TypeError(f"analyze(): conventions must be a cnncalc.Conventions, got {type(conventions).__name__}")
    check_depth(depth)
    conv = (conventions or Conventions()).but(**options) if options else (conventions or Conventions())
    with _gc_paused():
        try:
            return analyze_network(network, conv, depth)
        except ShapeError as err:
            # graph-level fixes (the pooling layer to drop, the channels a merge needs), computed by re-analysis
            from .fixes import suggest_fixes

            raise err.with_fixes(tuple(suggest_fixes(network, err))) from None


def check_depth(depth: int | None) -> None:
    """``depth`` is None or a whole number ≥ 0."""
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise ArgumentError(f"depth must be a whole number ≥ 0, got {depth!r}",
                            hint="1 keeps the top level (blocks collapsed), 2 one level inside blocks, …; "
                            "0 the totals only")


__all__ = ["Row", "analyze", "analyze_network", "calls_of", "check_depth"]
