"""Small helpers to write SVG as text: escaping, text metrics, a document frame, number formats.

Text is set in a monospace font so that its width is known without a browser: ``CHAR`` em per character
(DejaVu Sans Mono, Menlo and Consolas are all 0.60 em). Layouts use :func:`text_width` to size boxes and
to keep labels apart; tests check overlaps with the same numbers.

>>> text_width("28×28×8", 11)
46.2
>>> compact(62958), compact(4089184256), compact(0)
('63K', '4.09G', '0')
"""

from __future__ import annotations

from html import escape

from .escape import printable
from .escape import shorten as shorten  # re-exported: the pictures cut names as the table does

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
#: advance of one character, in em, of the monospace fonts above
CHAR = 0.6


def text_width(text: str, size: float) -> float:
    """The width in px of ``text`` set at ``size`` px in the monospace font."""
    return round(len(text) * CHAR * size, 2)


def attr(text: str) -> str:
    """Text safe inside an XML attribute or element (control characters escaped, markup as entities)."""
    return escape(printable(text), quote=True)


def compact(n: int) -> str:
    """A count in about five characters: 62958 → '63K', 48120 → '48.1K' (SI prefixes)."""
    for div, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(n) >= div:
            value = n / div
            return f"{value:.3g}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return str(n)


def fmt(x: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros (smaller SVG text)."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def document(width: float, height: float, title: str, body: list[str], css: str = "") -> str:
    """A standalone SVG document (no external reference) with a title for screen readers."""
    style = f"<style>{css}</style>" if css else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cnncalc-svg" width="{fmt(width)}" height="{fmt(height)}" '
        f'viewBox="0 0 {fmt(width)} {fmt(height)}" role="img" font-family="{FONT}">'
        f"<title>{attr(title)}</title>{style}" + "".join(body) + "</svg>"
    )


def text(x: float, y: float, content: str, size: float, cls: str = "label", anchor: str = "start",
         weight: str = "normal") -> str:
    """One line of text at baseline ``y``."""
    bold = ' font-weight="bold"' if weight != "normal" else ""
    return (f'<text class="{cls}" x="{fmt(x)}" y="{fmt(y)}" font-size="{fmt(size)}" text-anchor="{anchor}"{bold}>'
            f"{attr(content)}</text>")
