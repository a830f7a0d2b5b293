"""The one road: front-ends supply layer calls (``calls``), the core builds rows (``rows``) and totals
(``totals``); ``analyze`` is the front-end of networks written as core kinds (text, JSON, Python)."""

from __future__ import annotations

from .calls import LayerCall, Measured, Params
from .network import analyze, analyze_network, check_depth
from .result import Result, Row, Totals
from .rows import container_row, row_of
from .totals import assemble, totals_from_rows

__all__ = [
    "LayerCall", "Measured", "Params", "Result", "Row", "Totals", "analyze", "analyze_network", "assemble",
    "check_depth", "container_row", "row_of", "totals_from_rows",
]
