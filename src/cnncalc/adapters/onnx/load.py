"""Reading an ONNX file without reading its weights, and refusing what it must not point at.

The file is mapped into memory and its protobuf walked at the wire level: every initializer keeps its
name, type and dims, and the bytes of its values are skipped (never copied, never paged in, for a
100 MB ResNet-50 or a model with external data past 2 GB alike). Small tensors (at most
``KEEP_VALUES`` elements: shape tensors, axes, scales) keep their values, which shape inference reads.
What remains is parsed with ``onnx``. External-data locations are checked, never opened: one that
leaves the model's folder (``../``, an absolute path, a symlink out) is refused, since following it
was a real onnx vulnerability (path traversal).

Every failure is a CnnCalcError naming the file: a truncated or corrupt protobuf, a file of another
format, a file too large to be a model's graph.

>>> _strip(b"\\x08\\x07") == b"\\x08\\x07"  # ir_version = 7, nothing to strip
True
"""

from __future__ import annotations

import mmap
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

import onnx

from ...errors import CnnCalcError

#: tensors of at most this many elements keep their values (shape inference reads shapes, axes, scales)
KEEP_VALUES = 1024
#: TensorProto fields that hold values: float_data, int32_data, string_data, int64_data, raw_data,
#: double_data, uint64_data
_VALUE_FIELDS = frozenset({4, 5, 6, 7, 9, 10, 11})
_MODEL_GRAPH, _GRAPH_INITIALIZER, _TENSOR_DIMS = 7, 5, 1


class Corrupt(Exception):
    """The bytes are not a well-formed protobuf (the reason and the byte offset)."""

    def __init__(self, why: str, at: int) -> None:
        super().__init__(f"{why} at byte {at}")


def _varint(buf: bytes | mmap.mmap, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise Corrupt("truncated number", pos)
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 64:
            raise Corrupt("a number longer than 10 bytes", pos)


def _fields(buf: bytes | mmap.mmap, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """(field number, wire type, field start, value start, value end) of each field in buf[start:end]."""
    pos = start
    while pos < end:
        begin = pos
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise Corrupt("field number 0", begin)
        if wire == 0:
            _, after = _varint(buf, pos, end)
        elif wire == 1:
            after = pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos, end)
            after = pos + size
        elif wire == 5:
            after = pos + 4
        else:
            raise Corrupt(f"wire type {wire}", begin)
        if after > end:
            raise Corrupt("a field running past its message's end (truncated?)", begin)
        yield number, wire, begin, pos, after
        pos = after


def _encode(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _message(number: int, body: bytes) -> bytes:
    return _encode(number << 3 | 2) + _encode(len(body)) + body


def _elements(buf: bytes | mmap.mmap, start: int, end: int) -> int:
    """The element count of a TensorProto (the product of its dims)."""
    count = 1
    for number, wire, _, vs, ve in _fields(buf, start, end):
        if number != _TENSOR_DIMS:
            continue
        if wire == 0:
            dims = [_varint(buf, vs, ve)[0]]
        elif wire == 2:
            dims, pos = [], vs
            while pos < ve:
                d, pos = _varint(buf, pos, ve)
                dims.append(d)
        else:
            raise Corrupt("dims of an unexpected type", vs)
        for d in dims:
            count *= d if d < 2**63 else 0  # a negative dim (two's complement): caught when parsed
    return count


def _tensor(buf: bytes | mmap.mmap, start: int, end: int) -> bytes:
    if _elements(buf, start, end) <= KEEP_VALUES:
        return bytes(buf[start:end])
    return b"".join(bytes(buf[fs:ve]) for number, _, fs, _, ve in _fields(buf, start, end)
                    if number not in _VALUE_FIELDS)


def _graph(buf: bytes | mmap.mmap, start: int, end: int) -> bytes:
    parts = []
    for number, wire, fs, vs, ve in _fields(buf, start, end):
        if number == _GRAPH_INITIALIZER and wire == 2:
            parts.append(_message(number, _tensor(buf, vs, ve)))
        else:
            parts.append(bytes(buf[fs:ve]))
    return b"".join(parts)


def _strip(buf: bytes | mmap.mmap) -> bytes:
    """The model's bytes with the values of the main graph's large initializers left out."""
    parts = []
    for number, wire, fs, vs, ve in _fields(buf, 0, len(buf)):
        if number == _MODEL_GRAPH and wire == 2:
            parts.append(_message(number, _graph(buf, vs, ve)))
        else:
            parts.append(bytes(buf[fs:ve]))
    return b"".join(parts)


def unreadable(path: str, why: str, hint: str | None = None) -> CnnCalcError:
    return CnnCalcError(f"cannot read '{path}': {why}",
                        hint=hint or "is it an ONNX model? re-export it (e.g. torch.onnx.export) and try again")


def _mapped(path: str) -> bytes:
    """The model's bytes, stripped of large initializers' values, from a memory map of the file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise unreadable(path, "no such file", "check the path") from None
    except OSError as err:
        raise unreadable(path, err.strerror or str(err), "check the path") from None
    if stat.S_ISDIR(info.st_mode):
        raise unreadable(path, "it is a directory", "give the .onnx file")
    if not stat.S_ISREG(info.st_mode):
        raise unreadable(path, "not a regular file (a pipe, socket or device)", "copy it to a file first")
    if info.st_size == 0:
        raise unreadable(path, "the file is empty")
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return _strip(view)
    except Corrupt as err:
        raise unreadable(path, f"not a valid ONNX model: the protobuf is corrupt ({err})", _hint(path)) from None
    except OSError as err:
        raise unreadable(path, err.strerror or str(err)) from None


def _hint(path: str) -> str:
    from ...sniff import sniff_file

    found = sniff_file(path)
    if found is not None:
        return f"it looks like {found.name}, not ONNX: {found.advice}"
    return "the file may be truncated or damaged, or not an ONNX model; export it again"


def parse(data: bytes, path: str) -> onnx.ModelProto:
    """The ModelProto of stripped bytes; a protobuf the parser refuses, or one with no graph, is said."""
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as err:  # google.protobuf.message.DecodeError and friends: the file is damaged
        raise unreadable(path, f"not a valid ONNX model: {type(err).__name__}: {err}", _hint(path)) from None
    if not model.HasField("graph") or not model.graph.node:
        what = "no graph" if not model.HasField("graph") else "a graph with no nodes"
        raise unreadable(path, f"not an ONNX model: {what} in it", _hint(path))
    if not _names_are_text(model.graph):
        raise unreadable(path, "not a valid ONNX model: a name in its graph is not UTF-8 text (the file is damaged)",
                         _hint(path))
    return model


def _names_are_text(graph: onnx.GraphProto) -> bool:
    """Whether every name the analysis reads is text: the protobuf parser hands a string field holding invalid
    UTF-8 back as bytes."""
    names: list[object] = [v.name for v in (*graph.input, *graph.output, *graph.value_info, *graph.initializer)]
    for node in graph.node:
        names += [node.name, node.op_type, node.domain, *node.input, *node.output]
        names += [a.name for a in node.attribute]
    return all(isinstance(n, str) for n in names)


def load(path: str) -> onnx.ModelProto:
    """The model at ``path`` without its weights' values; external-data locations checked, never opened."""
    model = parse(_mapped(path), path)
    check_external(model, Path(path).resolve().parent, path)
    return model


def tensors(graph: onnx.GraphProto) -> Iterator[onnx.TensorProto]:
    """Every tensor a graph holds: initializers, and tensors in node attributes and in subgraphs."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("g"):
                yield from tensors(attr.g)
            for sub in attr.graphs:
                yield from tensors(sub)


def check_external(model: onnx.ModelProto, folder: Path, path: str) -> None:
    """Refuse an external-data location that leaves the model's folder (never opened here either way)."""
    root = os.path.realpath(folder)
    for t in tensors(model.graph):
        if t.data_location != onnx.TensorProto.EXTERNAL:
            continue
        location = next((e.value for e in t.external_data if e.key == "location"), "")
        why = _escapes(location, root)
        if why:
            raise CnnCalcError(
                f"'{path}': initializer '{t.name}' keeps its data at {location!r}, {why}; refused",
                hint="external data must sit in the model's folder or below it (onnx's rule); cnncalc never "
                     "reads weights, but it refuses a model that points outside, as onnx itself does")


def _escapes(location: str, root: str) -> str | None:
    """Why a location is refused, or None when it stays inside ``root``."""
    if not location:
        return "an empty location"
    if "\x00" in location:
        return "a location with a NUL character"
    posix, windows = PurePosixPath(location), PureWindowsPath(location)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or location.startswith(("/", "\\")):
        return "an absolute path"
    if ".." in posix.parts or ".." in windows.parts:
        return "a path that leaves the model's folder ('..')"
    target = os.path.realpath(os.path.join(root, location))
    if os.path.commonpath([root, target]) != root:
        return "a symbolic link that leads out of the model's folder"
    return None
