"""Board reports: a board's report for a reporting cycle as HTML, PDF (WeasyPrint) and Word (python-docx).

``build_board_report(engine, board, cycle)`` assembles the report from the cycle's snapshot (frozen when
the cycle closed, live while it is open); ``render_html``, ``render_pdf`` and ``render_docx`` lay it out.
WeasyPrint, vl-convert and python-docx are imported only when a report is rendered (the "reports" extra).
"""

from __future__ import annotations

from gapwatch.reports.build import Names, assemble, build_board_report, load_report_data, names_of
from gapwatch.reports.docx import render_docx
from gapwatch.reports.html import render_body, render_html, report_css
from gapwatch.reports.model import BoardReport
from gapwatch.reports.pdf import PdfResult, render_pdf

__all__ = [
    "BoardReport",
    "Names",
    "PdfResult",
    "assemble",
    "build_board_report",
    "load_report_data",
    "names_of",
    "render_body",
    "render_docx",
    "render_html",
    "render_pdf",
    "report_css",
]
