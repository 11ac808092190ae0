"""A board report as PDF: the HTML report laid out by WeasyPrint, charts as vector SVG — no browser.

WeasyPrint applies the report stylesheet's print rules: A4 pages, the board and cycle as a running
header, "Page n of N", each main section and indicator on a new page, page numbers in the contents.
A paper with locality annexes is laid out in parts, one process per core, when a core is free
(:mod:`gapwatch.reports._pdf_parts`), with the same text, page numbers, links and bookmarks.
Chart labels are drawn as whole runs of text, not letter by letter (:mod:`gapwatch.reports._svg_text`).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass

from gapwatch.errors import GapwatchError
from gapwatch.reports._pdf_parts import render_in_parts
from gapwatch.reports._svg_text import install as install_whole_labels
from gapwatch.reports.html import render_html
from gapwatch.reports.model import BoardReport

__all__ = ["MIN_ANNEXES", "PdfResult", "default_workers", "render_pdf"]

#: A paper with at least this many annexes is laid out in parts: each part costs a helper process
#: (~1.2 s to import WeasyPrint), an overlay and a join (~3 s in all), an annex ~1 s on its own.
MIN_ANNEXES = 4


@dataclass(frozen=True)
class PdfResult:
    """The PDF bytes with its page count (read from the layout, not guessed)."""

    content: bytes
    pages: int
    #: How many documents it was laid out as (1, or the county and its annexes in parts).
    parts: int = 1


def default_workers() -> int:
    """One layout process per core (at most four) when a core is free, else 1 (lay out in one document).

    Laying out in parts costs ~40% more CPU in all (helpers importing WeasyPrint, overlays, the join),
    and the county body alone is over half the work: measured on 2 cores, parts took 19.9 s against
    24.2 s in one document at load 1-2, but 39-43 s against 27-34 s at load 5. So the parts are used only
    while the 1-minute load average is below the number of cores.
    """
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this platform
        load = 0.0
    return min(cores, 4) if load < cores else 1


def render_pdf(report: BoardReport, svgs: Mapping[str, str] | None = None, *, workers: int | None = None) -> PdfResult:
    """Lay the report out as PDF; raises :class:`GapwatchError` if WeasyPrint is not installed.

    A report with annexes is laid out in parts by ``workers`` helper processes (by default one per
    core when a core is free, see :func:`default_workers`; 1 lays it out here, in one document).
    """
    if importlib.util.find_spec("weasyprint") is None:  # pragma: no cover - depends on the installation
        raise GapwatchError(
            "PDF reports need WeasyPrint, which is not installed",
            hint="Install the reports extra: pip install 'gapwatch[reports]' (and Debian's Pango libraries).",
        )
    html = render_html(report, svgs, for_print=True)
    if workers is None:
        workers = default_workers()
    if len(report.annexes) >= MIN_ANNEXES and workers > 1:
        joined = render_in_parts(html, workers=workers)
        if joined is not None:
            return PdfResult(content=joined[0], pages=joined[1], parts=2)
    import weasyprint  # noqa: PLC0415 - an optional dependency (the "reports" extra)

    install_whole_labels()  # as the helpers do: the same PDF either way

    document = weasyprint.HTML(string=html, base_url=None).render()
    content = document.write_pdf()
    if content is None:  # pragma: no cover - write_pdf without a target always returns bytes
        raise GapwatchError("WeasyPrint produced no PDF")
    return PdfResult(content=content, pages=len(document.pages))
