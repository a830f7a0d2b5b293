"""``from_onnx``: an ONNX model's table, from its graph and ONNX's shape inference; nothing is run.

The weights' values are never read (see ``load``): parameters are counted from the stored tensors' dims.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import onnx

from ...analysis import Result, assemble, check_depth, row_of
from ...conventions import Conventions
from ...errors import ArgumentError, ArgumentTypeError
from .fold import fold, unknown
from .graph import collect, fix_inputs, graph_inputs, infer, ordered, parse_inputs, strip_values
from .load import load
from .trace import Tracer, scopes
from .values import DTYPES, FLOATS, Dims


def from_onnx(model_or_path: str | os.PathLike[str] | onnx.ModelProto,
              inputs: Mapping[str, Sequence[int]] | Sequence[str] | Sequence[int] | None = None,
              conventions: Conventions | None = None, depth: int | None = None) -> Result:
    """Analyse an ONNX model (a path to a .onnx file, or a ModelProto) without running it.

    ``inputs`` fixes symbolic input dims: ``{"input": (1, 3, 224, 224)}``, specs as on the command line
    (``["input=1x3x224x224"]``), or one shape for a model with one input. A symbolic batch axis is taken
    from ``conventions.batch`` (1 by default). ``depth`` collapses the exporter's module scopes nested that
    deep into one rolled-up row each.

    >>> from onnx import helper, TensorProto
    >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])
    >>> y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    >>> w = helper.make_tensor("w", TensorProto.FLOAT, [8, 3, 5, 5], [0.0] * 600)
    >>> b = helper.make_tensor("b", TensorProto.FLOAT, [8], [0.0] * 8)
    >>> g = helper.make_graph([helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv")], "g", [x], [y], [w, b])
    >>> r = from_onnx(helper.make_model(g))
    >>> r["conv"].output_shape.show("chw"), r.totals.params, r.totals.macs
    ('(8, 28, 28)', 608, 470400)
    """
    check_depth(depth)
    conv = conventions or Conventions(layout="chw")
    if not isinstance(conv, Conventions):
        raise ArgumentTypeError(f"conventions must be a cnncalc.Conventions, got {type(conv).__name__}")
    if isinstance(model_or_path, onnx.ModelProto):
        model, where = strip_values(model_or_path), model_or_path.graph.name or "model"
        name = where
    elif isinstance(model_or_path, (str, os.PathLike)):
        where = os.fspath(model_or_path)
        model, name = load(where), Path(where).stem
    else:
        raise ArgumentTypeError(f"from_onnx() takes a path or an onnx.ModelProto, got {type(model_or_path).__name__}")
    notes = fix_inputs(model, _given(inputs), conv.batch if conv.batch != 1 else None)
    notes += _opset_notes(model)
    inferred = infer(model, where)
    dropped = 0
    for _ in range(3):  # shape arithmetic that ONNX's inference left unevaluated (each round may enable more)
        folded = fold(inferred, model) if unknown(inferred) else None
        if folded is None:
            break
        model, more = folded
        dropped += more
        inferred = infer(model, where)
    if dropped:
        notes.append(f"{dropped} node(s) of shape arithmetic evaluated from the fixed input shapes (no rows)")
    return _analyze(inferred, name, where, conv, depth, notes)


def _given(inputs: Any) -> list[tuple[str, Dims]]:
    if inputs is None:
        return []
    if isinstance(inputs, Mapping):
        return [(str(k), _shape(v)) for k, v in inputs.items()]
    if isinstance(inputs, str):
        return parse_inputs([inputs])
    if isinstance(inputs, Sequence) and inputs and all(isinstance(d, int) for d in inputs):
        return [("", _shape(inputs))]
    if isinstance(inputs, Sequence) and all(isinstance(s, str) for s in inputs):
        return parse_inputs(inputs)
    raise ArgumentError(f"inputs must be a dict of shapes, a list of 'name=1x3x224x224' specs or one shape, "
                        f"got {inputs!r}")


def _shape(value: Any) -> Dims:
    if not isinstance(value, Sequence) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1
                                                  for d in value):
        raise ArgumentError(f"an input shape must hold whole numbers ≥ 1, got {value!r}",
                            hint="e.g. {'input': (1, 3, 224, 224)}")
    return tuple(value)


def _opset_notes(model: onnx.ModelProto) -> list[str]:
    version = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    newest = onnx.defs.onnx_opset_version()
    if version is None:
        return ["the model declares no opset of the default domain: shapes may be missing"]
    if version > newest:
        return [f"opset {version} is newer than this onnx knows ({newest}): shapes may be missing"]
    if version < 7:
        return [f"opset {version} is older than 7, the oldest cnncalc is tested with"]
    return []


def _conventions(model: onnx.ModelProto, conv: Conventions) -> Conventions:
    """The batch from the first input, the dtype from the first floating-point initializer."""
    first = next(iter(graph_inputs(model)), None)
    dims = first.type.tensor_type.shape.dim if first is not None else []
    batch = dims[0].dim_value if len(dims) >= 2 and dims[0].HasField("dim_value") else conv.batch
    if conv.batch not in (1, batch):
        raise ArgumentError(f"conventions say batch {conv.batch}, but the model's input has batch {batch}",
                            hint="a fixed batch axis cannot be changed; export the model with a symbolic batch")
    elem = next((t.data_type for t in model.graph.initializer if t.data_type in FLOATS), None)
    dtype = DTYPES.get(elem, conv.dtype) if elem is not None else conv.dtype
    if conv.dtype not in ("float32", dtype):
        raise ArgumentError(f"conventions say {conv.dtype}, but the model's weights are {dtype}",
                            hint="convert the model (e.g. onnxconverter_common.float16) and analyse that")
    return conv.but(batch=max(batch, 1), dtype=dtype)


def _analyze(model: onnx.ModelProto, name: str, where: str, conv: Conventions, depth: int | None,
             notes: list[str]) -> Result:
    conv = _conventions(model, conv)
    nodes = ordered(model.graph, where)
    tracer = Tracer(conv, collect(model))
    for node in nodes:
        for scope in scopes(node.name):
            tracer.scope_sizes[scope] += 1
    consumers: dict[str, list[str]] = {}
    for node in nodes:
        for x in node.input:
            consumers.setdefault(x, []).append(node.op_type)
    for info in graph_inputs(model):
        value = tracer.value(info.name)
        if value is not None:
            tracer.add_input(value, consumers.get(info.name, []))
    for position, node in enumerate(nodes):
        tracer.add_node(node, position)
    rows = tuple(row_of(call, conv) for call in tracer.calls)
    warnings = [*notes, *(f"{r.name}: {w}" for r in rows for w in r.warnings), *_summary(tracer)]
    return assemble(name, rows, conv, warnings, depth)


def _summary(tracer: Tracer) -> list[str]:
    """What the table must say beside its numbers: measured ops, constants, folding, subgraphs."""
    out = []
    if tracer.measured:
        ops = ", ".join(f"{op} ×{n}" for op, n in sorted(tracer.measured.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(f"not modelled (measured: shapes from ONNX, products counted where known): {ops}")
    if tracer.mismatches:
        out.append("the core and ONNX's shape inference disagree at " + ", ".join(tracer.mismatches[:5])
                   + ": please report this (the rows are measured)")
    constants = [t for n, t in tracer.vals.stored.items() if n not in tracer.owner]
    if constants:
        values = sum(_elements(t.dims) for t in constants)
        out.append(f"{len(constants)} stored tensor(s) that are not weights ({values:,} values: shapes, axes, "
                   "scalars, or unused) are not counted as parameters")
    if tracer.constant_nodes:
        out.append(f"{tracer.constant_nodes} node(s) compute constants only (no rows)")
    if tracer.folded:
        out.append(f"{tracer.folded} conv(s) carry weights the exporter made (onnx::Conv_…): BatchNorm was folded "
                   "into them, so this graph has fewer parameters than the source model (each folded BatchNorm's "
                   "2·C scale and shift and 2·C running statistics became C conv biases); MACs are the same")
    out += [f"subgraph not analysed: {s}" for s in tracer.subgraphs]
    return out


def _elements(dims: Sequence[int]) -> int:
    count = 1
    for d in dims:
        count *= d
    return count


def analyze_source(source: str, request: Any) -> Result:
    """The ONNX front-end of the source registry (cnncalc.sources): a .onnx file with the user's options."""
    if request.kwargs:
        raise ArgumentError("--kwargs applies to models built by code (PyTorch, Keras), not to an ONNX file")
    if request.partial:
        raise ArgumentError("--partial applies to PyTorch models (a forward that stops on meta), not to an ONNX file",
                            hint="an ONNX graph is read whole: unknown ops are measured rows, never a stop")
    conv = request.conventions("chw")
    return from_onnx(source, list(request.inputs) if request.inputs else None, conv, request.depth)


__all__ = ["analyze_source", "from_onnx"]
