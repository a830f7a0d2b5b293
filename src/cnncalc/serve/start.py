"""What the page starts with: the NET named on the command line (a file, zoo:NAME, '-', or a model).

- A ``.cnn`` or ``.json`` file: the editor starts with its text, read again each time the page is (re)loaded;
  edits are never written back. If the file disappears while being served, the page says so and keeps the
  text it had at start-up: the server goes on.
- ``zoo:NAME``: the zoo file's text, to edit freely. ``-``: standard input, read once.
- A model reference (PyTorch, ONNX, Keras: whatever ``cnncalc.sources`` says is a framework model): analysed
  once, here, at start-up; the page shows its result read-only. It is the only model the server ever loads.
- Nothing: the article's network (``zoo:article``).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Any

from .. import sources
from ..errors import CnnCalcError
from ..limits import read_text
from ..progress import progress


@dataclass(frozen=True)
class Start:
    """The page's starting point, fixed at start-up (``path``: the file re-read for each page load)."""

    label: str
    text: str
    path: str | None = None
    result: dict[str, Any] | None = None

    @property
    def readonly(self) -> bool:
        return self.result is not None

    def view(self) -> dict[str, Any]:
        """What ``GET /api/start`` answers: the file's text as it is now (or as it was, with a notice)."""
        text, notice = self.text, None
        if self.path is not None:
            try:
                text = read_text(self.path)
            except CnnCalcError as err:
                notice = (f"{err.message}: it was deleted or moved while being served; the editor shows its text "
                          "as it was when cnncalc serve started (edits are never saved)")
                with contextlib.suppress(OSError, ValueError):
                    sys.stderr.write(f"cnncalc serve: warning: {notice}\n")
        return {"label": self.label, "text": text, "readonly": self.readonly, "result": self.result,
                "notice": notice}


def _zoo_text(name: str) -> str:
    zoo = sources.lazy("cnncalc.zoo", "the zoo", "path")
    return str(zoo.path(name).read_text(encoding="utf-8"))


def load_start(source: str | None, request: sources.Request) -> Start:
    """The Start for NET (None: the article's network); a model is analysed now, the rest only read."""
    if source is None:
        return Start("the article's network (zoo:article)", _zoo_text("article"))
    if source.startswith("zoo:"):
        return Start(source, _zoo_text(source[4:]))
    frontend = sources.frontend_for(source)
    if frontend.name in ("text", "json"):
        text = read_text(source)
        return Start("<stdin>" if source == "-" else source, text, None if source == "-" else source)
    from .views import result_view

    with progress(f"loading {source}"):
        result = sources.analyze_source(source, request)
    return Start(source, "", result=result_view(result))
