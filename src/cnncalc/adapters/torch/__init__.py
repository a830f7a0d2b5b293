"""PyTorch adapter: ``from_torch(model, input_size=…)`` and the CLI's model references.

Shapes come from one forward pass on the meta device (no real compute, no copy of the weights);
every module type in an explicit table is computed by its core kind and checked against PyTorch;
other work is counted at dispatch level. See docs/torch.md.
"""

from __future__ import annotations

from .api import analyze_module, from_torch
from .references import analyze_reference, analyze_source, parse_input

__all__ = ["analyze_module", "analyze_reference", "analyze_source", "from_torch", "parse_input"]
