"""A LaTeX table (booktabs) for papers and theses, with totals and conventions below it.

Needs ``\\usepackage{booktabs}`` in the preamble. Text is escaped (control characters and newlines first, as
``\\n`` shown literally, then LaTeX's specials); '—' (not applicable) becomes ``---``
and '×' becomes ``$\\times$``.
"""

from __future__ import annotations

from ..analysis import Result
from .columns import format_cell, pick
from .escape import printable
from .text import totals_lines

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "|": r"\textbar{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "—": "---",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
}


def escape(text: str) -> str:
    r"""Text safe inside a LaTeX document.

    >>> escape("conv_1 & 50% #2 (3×3)")
    'conv\\_1 \\& 50\\% \\#2 (3$\\times$3)'
    """
    return "".join(_ESCAPES.get(ch, ch) for ch in printable(text))


def render_latex(result: Result, columns: str | list[str] | None = None) -> str:
    """The result as a ``table`` environment holding a booktabs ``tabular``."""
    cols = pick(columns)
    spec = "".join("r" if c.right else "l" for c in cols)
    lines = [
        r"\begin{table}[ht]",
        r"\centering",
        f"\\caption{{{escape(result.name)}}}",
        f"\\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        " & ".join(escape(c.header) for c in cols) + r" \\",
        r"\midrule",
    ]
    for row in result.rows:
        lines.append(" & ".join(escape(format_cell(c, c.get(row, result))) for c in cols) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", "", r"\smallskip", r"{\footnotesize"]
    notes = totals_lines(result) + [f"warning: {w}" for w in result.warnings]
    lines += [escape(line) + (r" \\" if i < len(notes) - 1 else "") for i, line in enumerate(notes)]
    lines += ["}", r"\end{table}"]
    return "\n".join(lines)
