"""Format name → renderer: the one list the CLI (and anyone else) chooses formats from.

Every renderer takes a Result and optional column keys (from the shared catalog in ``columns``) and
returns text without a trailing newline. ``json``, ``article``, ``html`` (the self-contained report) and ``svg``
(the diagram) have fixed contents and ignore columns.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from ..analysis import Result
from ..errors import ArgumentError
from ..kinds.base import suggest


class Renderer(Protocol):
    """What every renderer is: a Result and optional column keys in, text out."""

    def __call__(self, result: Result, columns: str | list[str] | None = None) -> str: ...


#: format → (module under cnncalc.render, function): each imported only when its format is asked for
RENDERERS: dict[str, tuple[str, str]] = {
    "table": ("text", "render_text"),
    "markdown": ("markdown", "render_markdown"),
    "csv": ("csv_out", "render_csv"),
    "json": ("json_out", "render_json_format"),
    "latex": ("latex", "render_latex"),
    "html": ("report", "render_report"),
    "article": ("article", "render_article"),
    "svg": ("diagram", "render_svg_format"),
}

#: formats whose columns are fixed (``--columns`` does not apply)
FIXED_COLUMNS = frozenset({"json", "article", "html", "svg"})


def renderer(name: str) -> Renderer:
    """The renderer for a format name; an unknown name is an error with a suggestion."""
    if name not in RENDERERS:
        guess = suggest(name, list(RENDERERS))
        hint = f"did you mean '{guess}'?" if guess else "formats: " + ", ".join(RENDERERS)
        raise ArgumentError(f"unknown format '{name}'", hint=hint)
    module, function = RENDERERS[name]
    found: Renderer = getattr(importlib.import_module(f"{__package__}.{module}"), function)
    return found


def render(result: Result, fmt: str = "table", columns: str | list[str] | None = None) -> str:
    """``result`` in the named format.

    >>> from cnncalc import Network, analyze
    >>> from cnncalc.layers import Input, Dense
    >>> print(render(analyze(Network.chain(Input((4,)), Dense(2))), "csv", "name,params"))
    name,params
    input_1,0
    dense_1,10
    """
    return renderer(fmt)(result, columns)
