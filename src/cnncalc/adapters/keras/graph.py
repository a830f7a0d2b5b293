"""The tracer: a Keras model's graph walked node by node, symbolically (nothing runs).

A functional model (and a built Sequential, which holds one) keeps every call of every layer as a node
with its symbolic input and output tensors (KerasTensors: shape and dtype only). The walk follows the
nodes in dependency order, as Keras's own ``Function._run_through_graph`` does, carrying the tensors given
for the model's inputs. Where a node's inputs have the shapes Keras recorded, its recorded outputs are
used; where they differ (the user gave another input shape, or the model was built with unknown sizes),
Keras's symbolic inference (``compute_output_spec``) gives the outputs. A nested model is walked inside
its call, its layers named ``inner.layer``. A layer called several times (a shared layer) gives one call
per node, numbered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import CnnCalcError


@dataclass(eq=False)
class Call:
    """One call of one Keras operation (a layer, an op such as ``x + y``, a nested model) or one input."""

    op: Any
    name: str
    number: int
    depth: int
    inputs: list[Any] = field(default_factory=list)
    input_names: tuple[str, ...] = ()
    outputs: list[Any] = field(default_factory=list)
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    children: list[Call] = field(default_factory=list)
    is_input: bool = False


def functional_of(model: Any) -> Any | None:
    """The graph of a functional model or a built Sequential; None for a subclassed model."""
    if hasattr(model, "_nodes_by_depth") and hasattr(model, "_operations"):
        return model
    inner = getattr(model, "_functional", None)
    return inner if inner is not None and hasattr(inner, "_nodes_by_depth") else None


def is_model(op: Any) -> bool:
    """A nested model with a graph (functional or built Sequential)."""
    return hasattr(op, "layers") and functional_of(op) is not None


def _flat(value: Any) -> list[Any]:
    from keras import tree

    return list(tree.flatten(value))


def _shapes(tensors: list[Any]) -> list[tuple[Any, ...]]:
    return [tuple(t.shape) for t in tensors]


@dataclass
class Tracer:
    """Walks a model; ``numbers`` counts the calls of each operation, ``names`` the row names given."""

    numbers: dict[int, int] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def name(self, op: Any, prefix: str) -> tuple[str, int]:
        number = self.numbers.get(id(op), 0) + 1
        self.numbers[id(op)] = number
        base = prefix + str(op.name)
        name, k = base, number
        while name in self.names:  # a layer called again at the same level (shared): numbered
            name = f"{base}#{k}"
            k += 1
        self.names.add(name)
        return name, number

    def walk(self, model: Any, specs: list[Any], names: list[str], prefix: str, depth: int
             ) -> tuple[list[Call], list[Any], list[str]]:
        """The calls of a model's graph given its input tensors (and the names of their producers), in the
        model's own order of operations; and its output tensors with their producers' names."""
        graph = functional_of(model)
        if graph is None:
            raise CnnCalcError(f"model '{model.name}' has no graph to walk")
        tensors = {id(x): s for x, s in zip(graph.inputs, specs)}
        producers = {id(x): n for x, n in zip(graph.inputs, names)}
        done: dict[int, Call] = {}
        for level in sorted(graph._nodes_by_depth, reverse=True):
            for node in graph._nodes_by_depth[level]:
                if node.operation is None or node.is_input or any(id(x) not in tensors for x in node.input_tensors):
                    continue
                call = self.node_call(node, tensors, producers, prefix, depth)
                done[id(node)] = call
                for x, y in zip(node.outputs, call.outputs):
                    tensors[id(x)], producers[id(x)] = y, call.name
        calls = [c for op in graph._operations for node in op._inbound_nodes
                 if (c := done.get(id(node))) is not None]
        missing = [i for i, x in enumerate(graph.outputs) if id(x) not in tensors]
        if missing:
            raise CnnCalcError(f"model '{model.name}': output {missing[0]} is not connected to its inputs")
        return calls, [tensors[id(x)] for x in graph.outputs], [producers[id(x)] for x in graph.outputs]

    def node_call(self, node: Any, tensors: dict[int, Any], producers: dict[int, str], prefix: str,
                  depth: int) -> Call:
        op = node.operation
        args, kwargs = node.arguments.fill_in(tensors)
        given = [tensors[id(x)] for x in node.input_tensors]
        names = tuple(producers[id(x)] for x in node.input_tensors)
        name, number = self.name(op, prefix)
        call = Call(op, name, number, depth, given, names, args=tuple(args), kwargs=dict(kwargs))
        if is_model(op):
            call.children, call.outputs, _ = self.walk(op, given, list(names), f"{name}.", depth + 1)
        elif _shapes(given) == _shapes(list(node.input_tensors)):
            call.outputs = list(node.outputs)
        else:
            try:
                call.outputs = _flat(op.compute_output_spec(*args, **kwargs))
            except Exception as err:  # Keras's own message: the layer refuses these shapes
                raise CnnCalcError(f"layer '{name}' ({type(op).__name__}): Keras cannot infer its output for "
                                   f"inputs {', '.join(str(tuple(t.shape)) for t in given)}: {err}",
                                   hint="check the input shape given") from None
        return call

    def trace(self, model: Any, specs: list[Any]) -> tuple[list[Call], list[Call]]:
        """The model's input calls and its layer calls (top level; nested models hold their own)."""
        graph = functional_of(model)
        assert graph is not None
        inputs = []
        for x, spec in zip(graph.inputs, specs):
            layer = x._keras_history.operation
            name, number = self.name(layer, "")
            inputs.append(Call(layer, name, number, 0, outputs=[spec], is_input=True))
        calls, _, _ = self.walk(model, specs, [c.name for c in inputs], "", 0)
        return inputs, calls
