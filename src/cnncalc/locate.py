"""Where an error is in its source: ``file:line:col``, the line itself and a caret under the layer.

Every interface (the CLI, the local page, Python) shows analysis errors this way; the text comes from the
caller when it has it (stdin, an editor's buffer) or is read from the file named by the source position.

>>> from cnncalc.errors import ShapeError
>>> from cnncalc.network import Source
>>> err = ShapeError("the kernel is larger than the input", hint="pad the input")
>>> print(located(err, Source("net.cnn", 2, 5), "input 4x4x3\\nc1: conv 8 f=5"))
net.cnn:2:5: the kernel is larger than the input
  c1: conv 8 f=5
      ^
  hint: pad the input
"""

from __future__ import annotations

import contextlib
import os
from itertools import islice

from .errors import ArgumentError, CnnCalcError, ShapeError
from .network import Source


def source_line(where: Source, text: str | None = None) -> str | None:
    """Line ``where.line`` of ``text``, or of the file ``where.file`` when no text is given (None if unreadable)."""
    if where.line < 1:
        return None
    if text is not None:
        lines = text.removeprefix("\ufeff").splitlines()  # as the parser reads it
        return lines[where.line - 1] if where.line <= len(lines) else None
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        if os.path.isfile(where.file):
            with open(where.file, encoding="utf-8") as f:
                found = next(islice(f, where.line - 1, None), None)
                return None if found is None else found.rstrip("\r\n").removeprefix("\ufeff")
    return None


def located(err: ShapeError | ArgumentError, where: Source, text: str | None = None) -> CnnCalcError:
    """The error at file:line:col, with the line and a caret under the layer, then the hint and fixes."""
    message = f"{where}: {err._where()}{err.message}"
    line = source_line(where, text)
    if line is not None:
        message += f"\n  {line}\n  {' ' * (where.column - 1)}^"
    if err.hint:
        message += f"\n  hint: {err.hint}"
    for fix in getattr(err, "fixes", ()):
        message += f"\n  fix: {fix}"
    return CnnCalcError(message)
