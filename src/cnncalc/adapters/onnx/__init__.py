"""ONNX adapter: ``from_onnx(path or ModelProto)`` and the CLI's ``cnncalc model.onnx``.

Needs only ``onnx`` (``pip install cnncalc[onnx]``): not torch, not onnxruntime. Shapes come from ONNX's
shape inference, parameters from the stored tensors' dims (the weights' values are never read), and every op
type in an explicit table is computed by its core kind; other ops are measured rows that say so. See
docs/onnx.md.
"""

from __future__ import annotations

from .api import analyze_source, from_onnx

__all__ = ["analyze_source", "from_onnx"]
