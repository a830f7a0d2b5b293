"""The network: a DAG of named nodes, each a layer kind, its inputs, and where it was written.

>>> from cnncalc.kinds import Input, Conv, MaxPool
>>> net = Network.chain(("in", Input((32, 32, 3))), ("c1", Conv(8, 5)), MaxPool(2))
>>> [n.name for n in net.nodes], net.nodes[2].inputs
(['in', 'c1', 'maxpool_1'], ('c1',))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import GraphError
from .kinds.base import Layer, suggest
from .kinds.structural import Input

if TYPE_CHECKING:
    from .analysis import Result
    from .conventions import Conventions


@dataclass(frozen=True)
class Source:
    """Where a node was written: file, line and column (1-based)."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Node:
    name: str
    layer: Layer
    inputs: tuple[str, ...] = ()
    source: Source | None = None
    #: the block instances the node was written in, outermost first (e.g. ("stage1.0",)); () at top level
    blocks: tuple[str, ...] = ()
    #: the definitions those instances use, in the same order (e.g. ("bottleneck",)): a collapsed block's kind
    block_kinds: tuple[str, ...] = ()


#: what chain() accepts: a layer (named after its kind), or (name, layer), or (name, layer, inputs)
ChainItem = Layer | tuple[str, Layer] | tuple[str, Layer, Sequence[str]] | Node


@dataclass(frozen=True)
class Network:
    """A validated DAG of nodes in topological order. Build with ``chain`` or ``Graph``."""

    nodes: tuple[Node, ...]
    name: str = "network"
    _index: dict[str, Node] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Node] = {}
        for node in self.nodes:
            where = f" ({node.source})" if node.source else ""
            if node.name in index:
                raise GraphError(f"two layers are named '{node.name}'{where}", hint="give each layer its own name")
            for ref in node.inputs:
                if ref not in index:
                    guess = suggest(ref, list(index))
                    later = any(n.name == ref for n in self.nodes)
                    raise GraphError(
                        f"layer '{node.name}'{where} takes input '{ref}', which "
                        + ("comes after it" if later else "is not defined"),
                        hint=(f"did you mean '{guess}'?" if guess else "name an earlier layer")
                        if not later else "define a layer before using it (the graph must have no cycles)",
                    )
            low, high = node.layer.arity
            if len(node.inputs) < low or (high is not None and len(node.inputs) > high):
                want = f"{low}" if low == high else f"{low} or more" if high is None else f"{low} to {high}"
                raise GraphError(
                    f"layer '{node.name}'{where} ({node.layer.kind}) takes {want} input(s), got {len(node.inputs)}",
                    hint="an input layer starts the network; merges (add, concat) take two or more inputs",
                )
            index[node.name] = node
        if not self.nodes or not any(isinstance(n.layer, Input) for n in self.nodes):
            raise GraphError("the network has no input layer", hint="start with e.g. input 32x32x3")
        object.__setattr__(self, "_index", index)

    def __getitem__(self, name: str) -> Node:
        try:
            return self._index[name]
        except KeyError:
            guess = suggest(name, list(self._index))
            raise GraphError(f"no layer named '{name}'", hint=f"did you mean '{guess}'?" if guess else None) from None

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    @classmethod
    def chain(cls, *items: ChainItem, name: str = "network") -> Network:
        """A chain of layers, each fed by the one before unless it names its inputs."""
        graph = Graph()
        for i, item in enumerate(items, 1):
            if isinstance(item, Node):
                graph.add_node(item)
            elif isinstance(item, Layer):
                graph.then(item)
            elif _is_named(item, 2):
                graph.then(item[1], name=item[0])
            elif _is_named(item, 3) and _is_names(inputs := item[2]):  # type: ignore[misc]
                graph.add(item[0], item[1], *inputs)
            else:
                raise GraphError(
                    f"chain item {i} is {item!r}: not a layer, (name, layer) or (name, layer, [inputs])",
                    hint="e.g. Network.chain(Input((32, 32, 3)), ('conv1', Conv(8, 5)), ('sum', Add(), ['a', 'b']))",
                )
        return graph.build(name)

    def analyze(self, conventions: Conventions | None = None, **options: Any) -> Result:
        """Analyse the network; see ``cnncalc.analyze``."""
        from .analysis import analyze

        return analyze(self, conventions, **options)


def _is_named(item: object, length: int) -> bool:
    """(name, layer, …) of the given length."""
    return (isinstance(item, tuple) and len(item) == length and isinstance(item[0], str)
            and isinstance(item[1], Layer))


def _is_names(value: object) -> bool:
    """A list or tuple of layer names (a bare string would be split into letters)."""
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


class Graph:
    """A builder for networks with branches: ``add`` names the inputs, ``then`` follows the last node."""

    def __init__(self) -> None:
        self._nodes: list[Node] = []
        self._names: set[str] = set()
        self._counts: dict[str, int] = {}

    def _auto_name(self, layer: Layer) -> str:
        base = layer.label.replace("+", "_")
        while True:
            self._counts[base] = self._counts.get(base, 0) + 1
            candidate = f"{base}_{self._counts[base]}"
            if candidate not in self._names:
                return candidate

    def add_node(self, node: Node) -> str:
        self._nodes.append(node)
        self._names.add(node.name)
        return node.name

    def add(self, name: str | None, layer: Layer, *inputs: str, source: Source | None = None) -> str:
        """Add a layer fed by the named inputs; returns its name (to feed later layers)."""
        return self.add_node(Node(name or self._auto_name(layer), layer, tuple(inputs), source))

    def then(self, layer: Layer, name: str | None = None, source: Source | None = None) -> str:
        """Add a layer fed by the last one added (none for an input layer)."""
        inputs = () if isinstance(layer, Input) or not self._nodes else (self._nodes[-1].name,)
        return self.add(name, layer, *inputs, source=source)

    @property
    def last(self) -> str | None:
        return self._nodes[-1].name if self._nodes else None

    def build(self, name: str = "network") -> Network:
        return Network(tuple(self._nodes), name)
