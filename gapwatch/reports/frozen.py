"""A board paper as a file: rendered once when its cycle is closed, then served from the stored file.

Why: a closed cycle's paper cannot change (its snapshot is frozen), yet rendering the county paper takes
seconds (charts by vl-convert, layout by WeasyPrint). The first request after the cycle closes — or
``gapwatch cycle close --papers``, which renders every board's PDF at the close — stores the bytes
(:func:`gapwatch.services.cycles.paper_file`); every later download reads that file, byte-identical to the
first. An open cycle's draft is always rebuilt from the live data. The chair's decision is part of the
stored file's name, so the cover of an approved paper says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Engine

from gapwatch.errors import InvalidInput
from gapwatch.reports.build import build_board_report
from gapwatch.reports.docx import render_docx
from gapwatch.reports.html import render_html
from gapwatch.reports.model import BoardReport
from gapwatch.reports.paper import CoverOptions
from gapwatch.reports.pdf import render_pdf
from gapwatch.services.cycles import paper_file, store_paper

__all__ = ["PAPER_FORMATS", "Paper", "paper"]

#: The formats a paper comes in.
PAPER_FORMATS: tuple[str, ...] = ("pdf", "docx", "html")


@dataclass(frozen=True)
class Paper:
    """A rendered paper: its bytes, for which board and cycle, and whether it came from the stored file."""

    content: bytes
    board: str
    cycle: str
    stored: bool
    pages: int | None = None
    report: BoardReport | None = None  #: set when the paper was built now (not read from its file)


def _variant(annexes: bool, cover: CoverOptions | None) -> str:
    if cover is None or cover == CoverOptions():
        return f"annexes={annexes}"
    text = repr((cover.meeting_date, cover.author, cover.purpose, tuple(cover.asks)))
    return f"annexes={annexes}|cover={hashlib.sha256(text.encode()).hexdigest()[:12]}"


def render(report: BoardReport, fmt: str) -> tuple[bytes, int | None]:
    """Lay a report out as ``fmt`` (pdf, docx or html); the page count for a PDF."""
    if fmt == "pdf":
        pdf = render_pdf(report)
        return pdf.content, pdf.pages
    if fmt == "docx":
        return render_docx(report), None
    if fmt == "html":
        return render_html(report).encode("utf-8"), None
    raise InvalidInput(f"A paper comes as {', '.join(PAPER_FORMATS)}, not '{fmt}'")


def paper(
    engine: Engine,
    board: str,
    cycle: str | None = None,
    fmt: str = "pdf",
    *,
    annexes: bool = False,
    cover: CoverOptions | None = None,
) -> Paper:
    """``board``'s paper for ``cycle`` as ``fmt``: from its stored file when the cycle is closed and it was
    rendered before, else built now (and stored, when the cycle is closed)."""
    if fmt not in PAPER_FORMATS:
        raise InvalidInput(f"A paper comes as {', '.join(PAPER_FORMATS)}, not '{fmt}'")
    stored = paper_file(engine, cycle, board, _variant(annexes, cover), fmt)
    if stored is not None and stored.path.exists():
        return Paper(content=stored.path.read_bytes(), board=stored.board, cycle=stored.cycle, stored=True)
    report = build_board_report(engine, board, cycle, annexes=annexes, cover=cover)
    content, pages = render(report, fmt)
    if stored is not None:
        store_paper(stored, content)
    return Paper(
        content=content,
        board=report.data.board.id,
        cycle=report.data.cycle.name,
        stored=False,
        pages=pages,
        report=report,
    )
