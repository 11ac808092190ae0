"""A board report as PDF: the HTML report laid out by WeasyPrint, charts as vector SVG — no browser.

WeasyPrint applies the report stylesheet's print rules: A4 pages, the board and cycle as a running
header, "Page n of N", each main section and indicator on a new page, page numbers in the contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gapwatch.errors import GapwatchError
from gapwatch.reports.html import render_html
from gapwatch.reports.model import BoardReport

__all__ = ["PdfResult", "render_pdf"]


@dataclass(frozen=True)
class PdfResult:
    """The PDF bytes with its page count (read from the layout, not guessed)."""

    content: bytes
    pages: int


def render_pdf(report: BoardReport, svgs: Mapping[str, str] | None = None) -> PdfResult:
    """Lay the report out as PDF; raises :class:`GapwatchError` if WeasyPrint is not installed."""
    try:
        import weasyprint  # noqa: PLC0415 - an optional dependency (the "reports" extra)
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise GapwatchError(
            "PDF reports need WeasyPrint, which is not installed",
            hint="Install the reports extra: pip install 'gapwatch[reports]' (and Debian's Pango libraries).",
        ) from exc
    html = render_html(report, svgs, for_print=True)
    document = weasyprint.HTML(string=html, base_url=None).render()
    content = document.write_pdf()
    if content is None:  # pragma: no cover - write_pdf without a target always returns bytes
        raise GapwatchError("WeasyPrint produced no PDF")
    return PdfResult(content=content, pages=len(document.pages))
