"""A board report as PDF: the HTML report laid out by WeasyPrint, charts as vector SVG — no browser.

WeasyPrint applies the report stylesheet's print rules: A4 pages, the board and cycle as a running
header, "Page n of N", each main section and indicator on a new page, page numbers in the contents.
A paper with locality annexes is laid out in parts, one process per core
(:mod:`gapwatch.reports._pdf_parts`), with the same text, page numbers, links and bookmarks.
Chart labels are drawn as whole runs of text, not letter by letter (:mod:`gapwatch.reports._svg_text`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass

from gapwatch.errors import GapwatchError
from gapwatch.reports._pdf_parts import render_in_parts
from gapwatch.reports._svg_text import install as install_whole_labels
from gapwatch.reports.html import render_html
from gapwatch.reports.model import BoardReport

__all__ = ["MIN_ANNEXES", "PdfResult", "render_pdf"]

#: A paper with at least this many annexes is laid out in parts: each part costs a helper process
#: (~1.2 s to import WeasyPrint), an overlay and a join (~3 s in all), an annex ~1 s on its own.
MIN_ANNEXES = 4


@dataclass(frozen=True)
class PdfResult:
    """The PDF bytes with its page count (read from the layout, not guessed)."""

    content: bytes
    pages: int


def render_pdf(report: BoardReport, svgs: Mapping[str, str] | None = None, *, workers: int | None = None) -> PdfResult:
    """Lay the report out as PDF; raises :class:`GapwatchError` if WeasyPrint is not installed.

    A report with annexes is laid out in parts by ``workers`` helper processes (one per core by
    default; 1 lays it out here, in one document).
    """
    if importlib.util.find_spec("weasyprint") is None:  # pragma: no cover - depends on the installation
        raise GapwatchError(
            "PDF reports need WeasyPrint, which is not installed",
            hint="Install the reports extra: pip install 'gapwatch[reports]' (and Debian's Pango libraries).",
        )
    html = render_html(report, svgs, for_print=True)
    if len(report.annexes) >= MIN_ANNEXES and workers != 1:
        joined = render_in_parts(html, workers=workers)
        if joined is not None:
            return PdfResult(content=joined[0], pages=joined[1])
    import weasyprint  # noqa: PLC0415 - an optional dependency (the "reports" extra)

    install_whole_labels()  # as the helpers do: the same PDF either way

    document = weasyprint.HTML(string=html, base_url=None).render()
    content = document.write_pdf()
    if content is None:  # pragma: no cover - write_pdf without a target always returns bytes
        raise GapwatchError("WeasyPrint produced no PDF")
    return PdfResult(content=content, pages=len(document.pages))
