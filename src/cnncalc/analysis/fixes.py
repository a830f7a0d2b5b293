"""Graph-level fixes for an impossible network, computed by trying them.

The core's ShapeError already carries the local fixes (the padding that makes a kernel fit, the largest
kernel that fits, the groups that divide). These are the fixes that need the whole graph: the pooling
layer (or stride) upstream whose removal makes an oversize kernel fit, and the channel count a branch
must produce for an add/multiply merge. Each fix is verified by re-analysing the changed network.

>>> import cnncalc as cc
>>> from cnncalc.layers import Input, Conv, MaxPool
>>> net = cc.Network.chain(("in", Input((12, 12, 3))), ("pool", MaxPool(2)), ("pool2", MaxPool(2)),
...                        ("conv", Conv(8, kernel_size=5)))
>>> try:
...     cc.analyze(net)
... except cc.ShapeError as err:
...     print(suggest_fixes(net, err)[0])
drop 'pool2' (maxpool f=2, s=2): 'conv' then sees (6, 6, 3)
"""

from __future__ import annotations

import dataclasses
from collections import deque

from ..conventions import Conventions
from ..errors import CnnCalcError, MergeError, ShapeError
from ..kinds import Layer
from ..kinds.conv import Conv, DepthwiseConv, SeparableConv
from ..kinds.linear import Dense
from ..kinds.merge import Add, Multiply
from ..kinds.pool import AvgPool, MaxPool
from ..kinds.transpose import ConvTranspose
from ..network import Network, Node
from ..shape import Shape
from .network import analyze_network as _analyze
from .result import Result

#: the most upstream layers tried as a downsampling fix (each try re-analyses the network)
MAX_TRIES = 16
#: and at most this many layers re-analysed in all (a long network gets fewer tries)
MAX_WORK = 20_000
#: layers that set the channel count of their output
_PRODUCERS = (Conv, ConvTranspose, SeparableConv, Dense)


def suggest_fixes(network: Network, error: ShapeError) -> list[str]:
    """Fixes for a ShapeError raised by analysing ``network`` (its ``layer`` names the failing node)."""
    if not error.layer:
        return []
    try:
        node = network[error.layer]
    except CnnCalcError:
        return []
    if isinstance(error, MergeError) and isinstance(node.layer, (Add, Multiply)):
        return _merge_fixes(network, node)
    if "kernel is larger" in error.message:
        return _downsampling_fixes(network, node)
    return []


def _plain(network: Network) -> Result:
    """Analyse without any error decoration, so that this module can be called from the core's error path
    (analyze → ShapeError → suggest_fixes) without recursing into itself."""
    return _analyze(network, Conventions())


def _shapes_before(network: Network, node: Node) -> dict[str, Shape] | None:
    """Output shapes of every node before ``node`` (None if the network fails earlier)."""
    idx = network.nodes.index(node)
    try:
        result = _plain(Network(network.nodes[:idx], network.name))
    except CnnCalcError:
        return None
    return {r.name: r.output_shape for r in result.rows}


def _fits(network: Network, target: str) -> Shape | None:
    """The input shape of ``target`` if the network analyses cleanly up to and including it."""
    idx = next(i for i, n in enumerate(network.nodes) if n.name == target)
    try:
        result = _plain(Network(network.nodes[: idx + 1], network.name))
    except CnnCalcError:
        return None
    return result[target].input_shapes[0]


def _ancestors(network: Network, node: Node) -> list[Node]:
    """Upstream nodes, nearest first (breadth-first)."""
    seen: list[Node] = []
    names: set[str] = set()
    frontier = deque(node.inputs)
    while frontier:
        name = frontier.popleft()
        if name not in names:  # by name, in a set: linear in the graph's size
            names.add(name)
            n = network[name]
            seen.append(n)
            frontier.extend(n.inputs)
    return seen


def _without(network: Network, drop: Node) -> Network:
    """The network with a one-input node removed, its consumers fed by its input."""
    (src,) = drop.inputs
    nodes = [
        dataclasses.replace(n, inputs=tuple(src if i == drop.name else i for i in n.inputs))
        for n in network.nodes
        if n is not drop
    ]
    return Network(tuple(nodes), network.name)


def _replaced(network: Network, old: Node, layer: Layer) -> Network:
    return Network(tuple(dataclasses.replace(n, layer=layer) if n is old else n for n in network.nodes), network.name)


def _describe(layer: MaxPool | AvgPool) -> str:
    k, s = layer.kernel_size, layer.stride if layer.stride is not None else layer.kernel_size
    k1 = k if isinstance(k, int) else k[0]
    s1 = s if isinstance(s, int) else s[0]
    return f"{layer.kind} f={k1}, s={s1}"


def _downsampling_fixes(network: Network, node: Node) -> list[str]:
    """Drop an upstream pooling layer, or set an upstream conv's stride to 1, when that makes the kernel fit."""
    fixes: list[str] = []
    tried = 0
    for up in _ancestors(network, node):
        layer = up.layer
        if isinstance(layer, (MaxPool, AvgPool, Conv, DepthwiseConv, SeparableConv)):
            tried += 1
            if tried > min(MAX_TRIES, MAX_WORK // max(len(network), 1)):  # each try re-analyses the network
                break
        if isinstance(layer, (MaxPool, AvgPool)) and len(up.inputs) == 1:
            seen = _fits(_without(network, up), node.name)
            if seen is not None:
                fixes.append(f"drop '{up.name}' ({_describe(layer)}): '{node.name}' then sees {seen}")
        elif isinstance(layer, (Conv, DepthwiseConv, SeparableConv)) and layer.stride not in (1, (1,), (1, 1)):
            seen = _fits(_replaced(network, up, dataclasses.replace(layer, stride=1)), node.name)
            if seen is not None:
                fixes.append(f"set stride=1 on '{up.name}' (now {layer.stride}): '{node.name}' then sees {seen}")
    return fixes


def _producer(network: Network, name: str) -> Node | None:
    """The nearest layer upstream (through channel-preserving layers) that sets the channel count."""
    n = network[name]
    while not isinstance(n.layer, _PRODUCERS):
        if len(n.inputs) != 1:
            return None
        n = network[n.inputs[0]]
    return n


def _merge_fixes(network: Network, node: Node) -> list[str]:
    """For add/multiply: the filter count each mismatched branch needs, verified by re-analysis."""
    shapes = _shapes_before(network, node)
    if shapes is None:
        return []
    ins = [shapes[i] for i in node.inputs]
    fixes: list[str] = []
    budget = min(MAX_TRIES, MAX_WORK // max(len(network), 1))  # re-analyses allowed
    # The shortcut is usually the last input (add <- branch, shortcut): match it first, then the others.
    for target_name, target in reversed(list(zip(node.inputs, ins))):
        for name, shape in zip(node.inputs, ins):
            if shape.dims[:-1] != target.dims[:-1] or shape.channels == target.channels:
                continue
            if budget <= 0:
                return fixes
            budget -= 1
            prod = _producer(network, name)
            if prod is None:
                continue
            field = "units" if isinstance(prod.layer, Dense) else "filters"
            changes: dict[str, object] = {field: target.channels}
            changed = _replaced(network, prod, dataclasses.replace(prod.layer, **changes))  # type: ignore[arg-type]
            if _fits(changed, node.name) is not None:
                fixes.append(
                    f"give '{prod.name}' {target.channels} {field} (now {shape.channels}) so that "
                    f"'{node.name}' gets {target} from '{name}' as from '{target_name}'"
                )
    return fixes
