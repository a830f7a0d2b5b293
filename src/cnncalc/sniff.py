"""What a binary file is, from its first bytes: so that a message names the format and says what to do.

Used where a file turned out not to be what its front-end reads (a .keras zip given as a text network, an
HDF5 file named .onnx). Only the first bytes are read (and a zip archive's list of names); nothing is
unpacked or unpickled. ONNX itself has no magic number (a protobuf): a file that starts as an ONNX model
does is said to be "possibly" one.

>>> sniff(b"\\x89HDF\\r\\n\\x1a\\n").name
'an HDF5 file (a Keras 2 .h5 model, or other HDF5 data)'
>>> sniff(b"1234TFL3").name
'a TensorFlow Lite model (.tflite)'
>>> sniff(b"input 32x32x3") is None
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: bytes read from the start of a file
HEAD = 64


@dataclass(frozen=True)
class Format:
    """A recognised file format: its name in a sentence ("an HDF5 file") and what the user can do."""

    name: str
    advice: str


_KERAS_H5 = Format("an HDF5 file (a Keras 2 .h5 model, or other HDF5 data)",
                   "cnncalc reads Keras 3 models: load it in Keras and save it with model.save('model.keras'), "
                   "then run cnncalc model.keras (or export it to ONNX)")
_PICKLE = Format("a Python pickle (e.g. a PyTorch checkpoint from torch.save)",
                 "cnncalc never unpickles files (that can run code): point it at the code that builds the model, "
                 "e.g. cnncalc models.py:make_model --input 1x3x224x224, or export the model to ONNX")
_TFLITE = Format("a TensorFlow Lite model (.tflite)",
                 "cnncalc does not read TFLite: analyse the model it was converted from (Keras: cnncalc "
                 "model.keras), or convert it to ONNX (tflite2onnx) and run cnncalc model.onnx")
_ONNX = Format("possibly an ONNX model (a protobuf that starts as ONNX models do)",
               "name the file with the .onnx suffix: cnncalc model.onnx")
_SAVED_MODEL = Format("a TensorFlow SavedModel or GraphDef (.pb)",
                      "cnncalc does not read TensorFlow graphs: load the model in Keras and save it as .keras, "
                      "or convert it to ONNX (tf2onnx) and run cnncalc model.onnx")

#: the keys of ModelProto's fields 2 to 8 (producer_name … opset_import), which follow ir_version
_MODEL_KEYS = frozenset({0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42})

_MAGIC: tuple[tuple[bytes, Format], ...] = (
    (b"\x89HDF\r\n\x1a\n", _KERAS_H5),
    (b"\x93NUMPY", Format("a NumPy array file (.npy)", "cnncalc reads networks, not arrays")),
    (b"GGUF", Format("a GGUF model file (llama.cpp)", "cnncalc does not read GGUF")),
    (b"\x1f\x8b", Format("a gzip archive", "unpack it first")),
    (b"\x89PNG", Format("a PNG image", "give a network file (.cnn, .json, .onnx, .keras)")),
    (b"%PDF", Format("a PDF document", "give a network file (.cnn, .json, .onnx, .keras)")),
    (b"\x7fELF", Format("an executable (ELF)", "give a network file (.cnn, .json, .onnx, .keras)")),
)


def sniff(head: bytes, name: str = "") -> Format | None:
    """The format of a file whose first bytes are ``head`` (and whose name is ``name``), or None."""
    for magic, found in _MAGIC:
        if head.startswith(magic):
            return found
    if head[4:8] == b"TFL3":
        return _TFLITE
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return Format("a zip archive", "give a network file (.cnn, .json, .onnx, .keras)")
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return _PICKLE
    lower = name.lower()
    if lower.endswith(".pb") or lower.endswith("saved_model.pbtxt"):
        return _SAVED_MODEL
    if len(head) >= 3 and head[0] == 0x08 and 3 <= head[1] <= 30 and head[2] in _MODEL_KEYS:
        return _ONNX  # ModelProto's field 1 (ir_version), then one of its next fields
    return None


def _zip(path: str) -> Format:
    """A zip archive's format, from its list of names (nothing is unpacked)."""
    import zipfile  # imports shutil, bz2, lzma and threading: only a file that starts as a zip pays for it

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist()[:10000])
    except (zipfile.BadZipFile, OSError, ValueError):
        return Format("a zip archive (damaged or truncated)", "give a network file (.cnn, .json, .onnx, .keras)")
    if "config.json" in names and any(n.endswith(".weights.h5") for n in names):
        return Format("a Keras 3 model (.keras, a zip archive)", "name it with the .keras suffix: cnncalc model.keras")
    if any(n.endswith("data.pkl") for n in names):
        return Format("a PyTorch checkpoint (torch.save's zip format, which holds a pickle)", _PICKLE.advice)
    return Format("a zip archive", "give a network file (.cnn, .json, .onnx, .keras)")


def sniff_file(path: str) -> Format | None:
    """The format of the file at ``path`` from its first bytes, or None (unrecognised, or unreadable)."""
    if not os.path.isfile(path):  # a FIFO or a device: opening it could block (issue 14)
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD)
    except OSError:
        return None
    found = sniff(head, os.path.basename(path))
    if found is not None and found.name == "a zip archive":
        return _zip(path)
    return found
