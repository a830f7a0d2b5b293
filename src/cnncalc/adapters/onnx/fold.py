"""Shape arithmetic folded before a second shape inference, where ONNX's own leaves shapes unknown.

Exporters write a reshape's target as arithmetic on the input's shape (Shape → Gather → Unsqueeze →
Concat → Reshape/Expand). ONNX's data propagation follows only part of it, and an Expand or a Reshape
fed that way keeps unknown dims, and so does everything after it. Once the inputs' dims are fixed, that
arithmetic is on known numbers: this module evaluates it (small integer tensors only, with numpy, which
onnx depends on), puts the results into the graph as stored constants, and drops the nodes that only
computed them. Ops it does not know are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import onnx

from .load import KEEP_VALUES
from .values import const_values

Known = dict[str, Any]  # value name → numpy array


def _np() -> Any:
    import numpy

    return numpy


def _attr(node: onnx.NodeProto, name: str, default: Any) -> Any:
    from onnx import helper

    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _shape(node: onnx.NodeProto, ins: list[Any], dims: dict[str, tuple[int, ...]]) -> list[Any]:
    full = dims[node.input[0]]
    start, end = int(_attr(node, "start", 0)), _attr(node, "end", None)
    return [_np().array(full[start:None if end is None else int(end)], dtype="int64")]


def _axes(node: onnx.NodeProto, ins: list[Any], slot: int) -> list[int]:
    given = _attr(node, "axes", None)
    if given is None and len(ins) > slot and ins[slot] is not None:
        given = ins[slot].tolist()
    return [int(a) for a in given] if given is not None else []


def _unsqueeze(node: onnx.NodeProto, ins: list[Any], dims: Any) -> list[Any]:
    x, np = ins[0], _np()
    for a in sorted(a % (x.ndim + len(_axes(node, ins, 1))) for a in _axes(node, ins, 1)):
        x = np.expand_dims(x, a)
    return [x]


def _squeeze(node: onnx.NodeProto, ins: list[Any], dims: Any) -> list[Any]:
    axes = _axes(node, ins, 1)
    return [_np().squeeze(ins[0], axis=tuple(axes) if axes else None)]


def _slice(node: onnx.NodeProto, ins: list[Any], dims: Any) -> list[Any]:
    x = ins[0]
    starts = ins[1].tolist() if len(ins) > 1 else list(_attr(node, "starts", []))
    ends = ins[2].tolist() if len(ins) > 2 else list(_attr(node, "ends", []))
    axes = ins[3].tolist() if len(ins) > 3 and ins[3] is not None else list(_attr(node, "axes", range(len(starts))))
    steps = ins[4].tolist() if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[int(a)] = slice(int(s), int(e), int(st))
    return [x[tuple(index)]]


def _cast(node: onnx.NodeProto, ins: list[Any], dims: Any) -> list[Any]:
    from onnx import helper

    return [ins[0].astype(helper.tensor_dtype_to_np_dtype(int(_attr(node, "to", 7))))]


def _binary(fn: str) -> Callable[[onnx.NodeProto, list[Any], Any], list[Any]]:
    def run(node: onnx.NodeProto, ins: list[Any], dims: Any) -> list[Any]:
        np = _np()
        a, b = ins[0], ins[1]
        if fn == "div" and a.dtype.kind in "iu":
            return [np.trunc(a / b).astype(a.dtype)]
        return [getattr(np, fn)(a, b).astype(np.result_type(a, b))]

    return run


def _constant_of_shape(node: onnx.NodeProto, ins: list[Any], dims: Any) -> list[Any]:
    from onnx import numpy_helper

    np = _np()
    value = _attr(node, "value", None)
    fill = numpy_helper.to_array(value).ravel()[0] if value is not None else np.float32(0)
    shape = tuple(int(d) for d in ins[0].tolist())
    if int(np.prod(shape)) > KEEP_VALUES:
        raise ValueError("too large to fold")
    return [np.full(shape, fill)]


FOLD: dict[str, Callable[[onnx.NodeProto, list[Any], dict[str, tuple[int, ...]]], list[Any]]] = {
    "Shape": _shape,
    "Size": lambda n, i, d: [_np().array(int(_np().prod(d[n.input[0]])), dtype="int64")],
    "Gather": lambda n, i, d: [_np().take(i[0], i[1], axis=int(_attr(n, "axis", 0)))],
    "Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Slice": _slice, "Cast": _cast,
    "Concat": lambda n, i, d: [_np().concatenate(i, axis=int(_attr(n, "axis", 0)))],
    "Identity": lambda n, i, d: [i[0]],
    "Add": _binary("add"), "Sub": _binary("subtract"), "Mul": _binary("multiply"), "Div": _binary("div"),
    "Max": _binary("maximum"), "Min": _binary("minimum"), "Equal": _binary("equal"),
    "Where": lambda n, i, d: [_np().where(i[0], i[1], i[2])],
    "ConstantOfShape": _constant_of_shape,
    "Reshape": lambda n, i, d: [i[0].reshape([int(v) if v else i[0].shape[k] for k, v in enumerate(i[1].tolist())])],
    "Mod": lambda n, i, d: [(_np().fmod if int(_attr(n, "fmod", 0)) else _np().mod)(i[0], i[1])],
    "Neg": lambda n, i, d: [-i[0]], "Abs": lambda n, i, d: [_np().abs(i[0])],
    "Less": _binary("less"), "Greater": _binary("greater"), "Not": lambda n, i, d: [_np().logical_not(i[0])],
    "Range": lambda n, i, d: [_np().arange(i[0], i[1], i[2])],
    "Expand": lambda n, i, d: [i[0] * _np().ones([int(v) for v in i[1].tolist()], dtype=i[0].dtype)],
    "Tile": lambda n, i, d: [_np().tile(i[0], [int(v) for v in i[1].tolist()])],
    "ReduceProd": lambda n, i, d: [_np().prod(i[0], keepdims=bool(_attr(n, "keepdims", 1)))],
}


def _dims(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    out = {}
    g = model.graph
    for info in [*g.input, *g.value_info, *g.output]:
        shape = info.type.tensor_type.shape if info.type.HasField("tensor_type") else None
        if shape is not None and info.type.tensor_type.HasField("shape") and all(
                d.HasField("dim_value") for d in shape.dim):
            out[info.name] = tuple(d.dim_value for d in shape.dim)
    return out


def _known(model: onnx.ModelProto) -> Known:
    from onnx import numpy_helper

    np = _np()
    out: Known = {}
    for t in model.graph.initializer:
        if const_values(t) is not None:
            out[t.name] = numpy_helper.to_array(t)
    for node in model.graph.node:
        if node.op_type == "Constant" and node.output:
            from .graph import _constant

            t = _constant(node)
            if t is not None and const_values(t) is not None:
                out[node.output[0]] = np.asarray(numpy_helper.to_array(t))
    return out


def _ready(node: onnx.NodeProto, known: Known, dims: dict[str, tuple[int, ...]]) -> bool:
    if node.op_type in ("Shape", "Size"):
        return bool(node.input) and node.input[0] in dims
    return all(x in known for x in node.input if x)


def unknown(inferred: onnx.ModelProto) -> bool:
    """Whether some node's output has no fully known shape after inference."""
    dims = _dims(inferred)
    return any(o and o not in dims for n in inferred.graph.node for o in n.output)


def fold(inferred: onnx.ModelProto, model: onnx.ModelProto) -> tuple[onnx.ModelProto, int] | None:
    """``model`` with its shape arithmetic evaluated (from ``inferred``'s shapes) and stored as constants, and
    the number of nodes dropped; None when there is nothing to fold."""
    from onnx import numpy_helper

    dims, known = _dims(inferred), _known(model)
    computed: set[str] = set()
    folded: set[int] = set()
    for index, node in enumerate(model.graph.node):
        run = FOLD.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if run is None or not node.output or not _ready(node, known, dims):
            continue
        try:
            values = [_np().asarray(v) for v in run(node, [known.get(x) if x else None for x in node.input], dims)]
        except Exception:  # an op this small evaluator cannot do: left to the graph
            continue
        if any(v.size > KEEP_VALUES or v.dtype.kind not in "iub" for v in values):
            continue  # shape arithmetic only: small integer tensors
        for name, value in zip(node.output, values):
            known[name] = value
            computed.add(name)
        folded.add(index)
    if not folded:
        return None
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph_outputs = {o.name for o in out.graph.output}
    kept = [n for i, n in enumerate(out.graph.node) if i not in folded or any(o in graph_outputs for o in n.output)]
    used = {x for n in kept for x in n.input} | graph_outputs
    for name in sorted(computed & used):
        if name not in graph_outputs:
            out.graph.initializer.append(numpy_helper.from_array(_np().asarray(known[name]), name))
    dropped = len(out.graph.node) - len(kept)
    del out.graph.node[:]
    out.graph.node.extend(kept)
    return out, dropped
