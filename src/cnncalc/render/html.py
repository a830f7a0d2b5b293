"""HTML output: the compact table Jupyter shows (``render_html``) and the full report (``render_report``).

``--format html`` is the complete, self-contained report of :mod:`cnncalc.render.report`; ``render_html``
is kept as the name of the compact variant that ``Result._repr_html_`` displays in a notebook.
"""

from __future__ import annotations

from .report import render_compact, render_report

#: the compact report (Jupyter's ``_repr_html_``)
render_html = render_compact

__all__ = ["render_compact", "render_html", "render_report"]
