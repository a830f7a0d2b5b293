"""Text that cannot be turned against its reader: one place that neutralises names before they are shown, and
cuts the long ones to fit (``shorten``).

Layer names come from files written by strangers. A name holding ESC or OSC sequences could retitle a
terminal, hide lines or fake output; a CSV cell starting with ``=`` runs as a spreadsheet formula; a pipe
or a newline breaks a Markdown table. Every renderer passes text it did not write through these helpers.

>>> printable("conv\\x1b]0;owned\\x07\\n")
'conv\\\\x1b]0;owned\\\\x07\\\\n'
>>> printable("Mixed_5b.branch1x1 (3×3)")
'Mixed_5b.branch1x1 (3×3)'
>>> csv_cell("=HYPERLINK(1)"), csv_cell("-5"), csv_cell(-5)
("'=HYPERLINK(1)", "'-5", '-5')
>>> markdown_cell("a|b<i>\\n")
'a\\\\|b&lt;i&gt;\\\\n'
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL, C1 controls, and the bidirectional overrides that reorder what a reader sees
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_KEEP_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group(0)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character (and bidi override) shown as a Python-style escape.

    Safe on a terminal and on one line: ESC, OSC, BEL, NUL, CR and newlines become ``\\x1b``, ``\\x07``,
    ``\\x00``, ``\\r``, ``\\n``. Text without such characters is returned unchanged (backslashes too).
    """
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape_char, text)


def printable_block(text: str) -> str:
    """Like :func:`printable` for multi-line output (``--explain``, error messages): newlines are kept."""
    if not _UNSAFE_KEEP_NEWLINES.search(text):
        return text
    return _UNSAFE_KEEP_NEWLINES.sub(_escape_char, text)


def csv_cell(value: Any) -> str:
    """A CSV cell: empty for None, numbers as themselves, text neutralised against formula injection.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` (OWASP's rule), so a
    spreadsheet shows it as text instead of evaluating it. Ints and floats are never changed.
    """
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raw = str(value)
    safe = printable(raw)
    return "'" + safe if raw.startswith(_CSV_TRIGGERS) else safe


def html_text(text: str) -> str:
    """Text for an HTML (or Markdown) context: ``&``, ``<``, ``>`` and quotes as entities, controls escaped."""
    from html import escape

    return escape(printable(text), quote=True)


def markdown_cell(text: str) -> str:
    """A Markdown table cell: one line, pipes and backslashes escaped, HTML shown rather than rendered."""
    text = printable(text.replace("\\", "\\\\")).replace("|", "\\|")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(name: str, limit: int) -> str:
    """A name cut in the middle to ``limit`` characters ('…' marks the cut), keeping both ends.

    >>> shorten("Mixed_6b.branch7x7dbl_3.conv", 16)
    'Mixed_6b…_3.conv'
    """
    if len(name) <= limit:
        return name
    tail = (limit - 1) // 2
    return name[: limit - 1 - tail] + "…" + name[len(name) - tail:]
