"""Format name → renderer: the one list the CLI (and anyone else) chooses formats from.

Every renderer takes a Result and optional column keys (from the shared catalog in ``columns``) and
returns text without a trailing newline. ``json`` and ``article`` have fixed contents and ignore columns.
"""

from __future__ import annotations

from typing import Protocol

from ..analysis import Result
from ..errors import ArgumentError
from ..kinds.base import suggest
from .article import render_article
from .csv_out import render_csv
from .html import render_html
from .json_out import render_json
from .latex import render_latex
from .markdown import render_markdown
from .text import render_text


class Renderer(Protocol):
    """What every renderer is: a Result and optional column keys in, text out."""

    def __call__(self, result: Result, columns: str | list[str] | None = None) -> str: ...


def _json(result: Result, columns: str | list[str] | None = None) -> str:
    return render_json(result)


RENDERERS: dict[str, Renderer] = {
    "table": render_text,
    "markdown": render_markdown,
    "csv": render_csv,
    "json": _json,
    "latex": render_latex,
    "html": render_html,
    "article": render_article,
}

#: formats whose columns are fixed (``--columns`` does not apply)
FIXED_COLUMNS = frozenset({"json", "article"})


def renderer(name: str) -> Renderer:
    """The renderer for a format name; an unknown name is an error with a suggestion."""
    try:
        return RENDERERS[name]
    except KeyError:
        guess = suggest(name, list(RENDERERS))
        hint = f"did you mean '{guess}'?" if guess else "formats: " + ", ".join(RENDERERS)
        raise ArgumentError(f"unknown format '{name}'", hint=hint) from None


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
