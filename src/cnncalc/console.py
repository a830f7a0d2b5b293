"""Writing to the terminal safely: any encoding, a closed or full stdout, for every command.

cnncalc's text uses a few symbols (✓ ✗ → · × ≤ ≥ …, ⌊ ⌋ ⌈ ⌉). A terminal whose encoding lacks them
(``PYTHONIOENCODING=ascii``, a C locale) gets ASCII spellings instead of a UnicodeEncodeError; a stdout
that is closed or full (``>&-``, ``> /dev/full``) raises OutputError, which the CLI reports plainly.

>>> ascii_text("✓ 224 → 112 · f ≤ 11")
'ok 224 -> 112 - f <= 11'
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import IO

from .errors import CnnCalcError

#: ASCII spellings of the symbols cnncalc prints
_ASCII = str.maketrans({
    "✓": "ok", "✗": "x", "→": "->", "←": "<-", "·": "-", "×": "x", "≤": "<=", "≥": ">=", "…": "...",
    "−": "-", "–": "-", "—": "-", "⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")", "²": "^2", "³": "^3",
    "⁶": "^6", "⁹": "^9", "¹": "^1", "⁰": "^0", "√": "sqrt", "σ": "sigma", "γ": "gamma",
    "β": "beta", "≈": "~", "≠": "!=", "‖": "||", "╌": "-", "─": "-", "│": "|", "┼": "+",
})


def terminal_columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` reads it (COLUMNS, then standard output's terminal,
    then 80), without importing shutil, which imports the compression modules, on every start."""
    with contextlib.suppress(KeyError, ValueError):
        columns = int(os.environ["COLUMNS"])
        if columns > 0:
            return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class OutputError(CnnCalcError):
    """Standard output (or error) cannot be written: closed, full, or gone."""


def tolerate_encoding(stream: IO[str] | None) -> None:
    """Let a stream whose encoding is not UTF-8 replace what it cannot encode (argparse's help and errors
    are written without going through ``write``)."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    reconfigure = getattr(stream, "reconfigure", None)
    if encoding not in ("utf8", "") and reconfigure is not None:
        with contextlib.suppress(Exception):
            reconfigure(errors="replace")


def ascii_text(text: str) -> str:
    """The text with cnncalc's symbols spelt in ASCII."""
    return text.translate(_ASCII)


def write(stream: IO[str] | None, text: str, name: str = "standard output") -> None:
    """Write and flush ``text``; an encoding that lacks a character gets its ASCII spelling (or '?').

    Raises OutputError when the stream is closed or the write fails (disk full, device gone);
    BrokenPipeError passes through (the reader went away: not an error, the CLI exits quietly).
    """
    if stream is None or getattr(stream, "closed", False):
        raise OutputError(f"cannot write to {name}: it is closed")
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = ascii_text(text).encode(encoding, "replace").decode(encoding)
    except LookupError:  # an encoding Python does not know: plain ASCII is safe
        text = ascii_text(text).encode("ascii", "replace").decode("ascii")
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as err:  # ValueError: I/O operation on a closed file
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise OutputError(f"cannot write to {name}: {reason}") from None
