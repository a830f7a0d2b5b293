"""The tensors of an ONNX graph as the tracer sees them, and one node with its tensors (``NodeView``).

A value has a name, the dims shape inference gave it (None when any dim is unknown), its element type and
whether it is a constant (an initializer, a Constant node's output, or computed from constants only).
A layout says how its dims read as a core shape: ``image`` reads (N, C, *spatial) as (*spatial, C) and
``plain`` reads (N, …) as (…); N is returned apart (the row's repeat).

>>> seen((1, 3, 224, 224), "image")
(Shape(dims=(224, 224, 3), spatial=2), 1)
>>> seen((8, 196, 768), "plain")
(Shape(dims=(196, 768), spatial=0), 8)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import prod
from typing import Any

import onnx

from ...shape import Shape
from .load import KEEP_VALUES

Dims = tuple[int, ...]

#: bits per element of ONNX's element types (TensorProto.DataType)
BITS = {1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 8: 0, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 14: 64,
        15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8, 25: 2, 26: 2, 27: 6, 28: 6}
FLOATS = frozenset({1, 10, 11, 16, 17, 18, 19, 20, 23, 24, 27, 28})
#: integer and boolean types that hold shapes, axes and indices (never weights)
INDEX_TYPES = frozenset({6, 7, 9, 12, 13})
#: cnncalc's dtype names for ONNX's element types (for the conventions' dtype)
DTYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16", 17: "float8", 19: "float8", 7: "int64",
          6: "int32", 5: "int16", 3: "int8", 2: "uint8", 9: "bool"}


def nbytes(elements: int, elem: int) -> int:
    """Bytes of ``elements`` values of an element type (sub-byte types rounded up)."""
    return -(-elements * BITS.get(elem, 32) // 8)


@dataclass(frozen=True)
class Value:
    name: str
    dims: Dims | None
    elem: int = 1
    const: bool = False

    @property
    def elements(self) -> int:
        return prod(self.dims) if self.dims is not None else 0


def seen(dims: Dims, layout: str) -> tuple[Shape, int]:
    """A tensor's dims as a core shape in a layout, and its batch (leading) size."""
    if layout == "image" and len(dims) >= 3:
        return Shape(dims[2:] + (dims[1],), len(dims) - 2), dims[0]
    if len(dims) >= 2:
        return Shape(dims[1:]), dims[0]
    return Shape(dims or (1,)), 1


def broadcast_operand(dims: Dims, like: Dims, layout: str) -> Shape | None:
    """A constant operand of an element-wise op (a bias, a scale, a positional embedding) seen as a sample
    beside an input of dims ``like``: aligned on the right, its batch axis of size 1 dropped (None when its
    batch axis is larger, or it is of a higher rank)."""
    if len(dims) > len(like):
        return None
    full = (1,) * (len(like) - len(dims)) + tuple(dims)
    if full and full[0] != 1:
        return None
    if not full:
        return Shape((1,))
    shape, _ = seen(full, layout)
    return shape


def const_values(t: onnx.TensorProto) -> list[Any] | None:
    """A small constant's values (shape tensors, axes, scales), or None for a large or stripped one."""
    if prod(t.dims) > KEEP_VALUES or t.data_location == onnx.TensorProto.EXTERNAL:
        return None
    from onnx import numpy_helper

    try:
        return list(numpy_helper.to_array(t).ravel().tolist())
    except Exception:  # values left out (a large tensor), or a type numpy cannot hold
        return None


@dataclass
class NodeView:
    """One node with what the tracer knows of its inputs and outputs (an omitted optional input is None)."""

    proto: onnx.NodeProto
    attrs: dict[str, Any]
    inputs: tuple[Value | None, ...]
    outputs: tuple[Value | None, ...]
    layouts: tuple[str, ...]
    out_layouts: tuple[str, ...]
    consts: Mapping[str, onnx.TensorProto]

    @property
    def op(self) -> str:
        return self.proto.op_type

    def has(self, slot: int) -> bool:
        return slot < len(self.inputs) and self.inputs[slot] is not None

    def value(self, slot: int) -> Value:
        v = self.inputs[slot] if slot < len(self.inputs) else None
        if v is None:
            raise KeyError(slot)
        return v

    def dims(self, slot: int) -> Dims:
        d = self.value(slot).dims
        return d if d is not None else ()

    def is_const(self, slot: int) -> bool:
        return self.has(slot) and self.value(slot).const

    def layout(self, slot: int) -> str:
        return self.layouts[slot] if slot < len(self.layouts) else "plain"

    def out_dims(self, index: int) -> Dims:
        v = self.outputs[index] if index < len(self.outputs) else None
        return v.dims if v is not None and v.dims is not None else ()

    def out_layout(self, index: int) -> str:
        return self.out_layouts[index] if index < len(self.out_layouts) else "plain"

    def out_shape(self, index: int) -> Shape:
        return seen(self.out_dims(index), self.out_layout(index))[0]

    def attr_str(self, name: str, default: str) -> str:
        value = self.attrs.get(name, default)
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    def const_list(self, slot: int) -> list[Any] | None:
        if not self.is_const(slot):
            return None
        t = self.consts.get(self.value(slot).name)
        return const_values(t) if t is not None else None

    def const_ints(self, slot: int) -> tuple[int, ...] | None:
        values = self.const_list(slot)
        return tuple(int(v) for v in values) if values is not None else None

    def const_float(self, slot: int) -> float | None:
        values = self.const_list(slot)
        return float(values[0]) if values is not None and len(values) == 1 else None
