"""The Kent demo's reports: the county report, one per locality and per Ambition Board, as PDF, Word and HTML.

PDFs are turned into PNG pages with pdftoppm (poppler) and each page is checked for ink in its body;
the Word document is opened with python-docx and must hold the KPQ table.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import docx
import polars as pl
import pytest
from PIL import Image
from sqlalchemy import Engine

from gapwatch.reports import build_board_report, render_docx, render_html, render_pdf
from gapwatch.reports.docx import KPQ_TABLE_HEADER
from gapwatch.reports.model import BoardReport
from gapwatch.reports.pdf import PdfResult
from gapwatch.services.imports import import_parsed, parse_frame
from tests.reports.conftest import CYCLE

LOCALITIES = [
    "ashford",
    "canterbury",
    "dartford",
    "dover",
    "gravesham",
    "maidstone",
    "sevenoaks",
    "folkestone-hythe",
    "swale",
    "thanet",
    "tonbridge-malling",
    "tunbridge-wells",
]
#: Localities whose own paper is also laid out here as a PDF on its own (Thanet, and the district renamed in 2018).
LAID_OUT = {"thanet", "folkestone-hythe"}
AMBITION_BOARDS = ["ambition-board-1", "ambition-board-2", "ambition-board-3"]

pytestmark = [
    pytest.mark.slow,  # the Kent demo with a closed cycle takes ~10 s to build, each PDF a few seconds
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed"),
]


def _pages(pdf: bytes, folder: Path) -> list[Image.Image]:
    """The PDF's pages as small greyscale images (pdftoppm at 24 dpi)."""
    source = folder / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "24", "-gray", "-png", str(source), str(folder / "page")], check=True)
    return [Image.open(p).convert("L") for p in sorted(folder.glob("page-*.png"))]


def _pdfinfo_pages(pdf: bytes, folder: Path) -> int:
    source = folder / "info.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(source)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def _body_ink(page: Image.Image) -> int:
    """Dark pixels between the running header and the page number (the body of the page)."""
    width, height = page.size
    body = page.crop((0, int(height * 0.09), width, int(height * 0.91)))
    return sum(count for level, count in enumerate(body.histogram()) if level < 160)


def check_pdf_pages(content: bytes, pages: int | None, name: str, folder: Path) -> int:
    """A laid-out paper's page count agreeing with poppler's (both ways of counting), and no blank page."""
    drawn = _pages(content, folder)
    assert len(drawn) == pages == _pdfinfo_pages(content, folder)
    blank = [i + 1 for i, page in enumerate(drawn) if _body_ink(page) < 30]
    assert not blank, f"blank page(s) {blank} of {len(drawn)} in the {name} report"
    return len(drawn)


def checked_pdf(report: BoardReport, folder: Path) -> PdfResult:
    """The report laid out as PDF, with its page count agreeing with poppler's and no blank page."""
    pdf = render_pdf(report)
    check_pdf_pages(pdf.content, pdf.pages, report.data.board.name, folder)
    return pdf


def _check_pdf(report: BoardReport, folder: Path) -> int:
    return checked_pdf(report, folder).pages


def test_the_county_report_pdf_with_every_locality_annex(closed_engine: Engine, tmp_path: Path) -> None:
    # The county paper alone is laid out and checked the same way in test_frozen_papers.py (its stored file).
    report = build_board_report(closed_engine, "Kent Forum")
    assert report.data.frozen and report.data.board.area is None
    assert len(report.kpqs) == 15 and len(report.sections) >= 10 and len(report.charts) >= 20
    # Cover and exceptions, at least a page of KPQs, a page per indicator, then actions and risks.
    alone = 2 + len(report.sections) + 2

    annexed = build_board_report(closed_engine, "Kent Forum", annexes=True)
    assert [a.data.board.id for a in annexed.annexes] == [f"locality-board-{d}" for d in LOCALITIES]
    assert [a.annex_label for a in annexed.annexes][:3] == ["Annex A", "Annex B", "Annex C"]
    assert _check_pdf(annexed, tmp_path) >= alone + len(LOCALITIES)  # each annex starts on a new page


@pytest.mark.parametrize("district", LOCALITIES)
def test_a_locality_report_uses_its_own_area(closed_engine: Engine, tmp_path: Path, district: str) -> None:
    report = build_board_report(closed_engine, f"locality-board-{district}")
    data = report.data
    assert data.board.kind == "locality" and data.board.area and data.board.area.startswith("E07")
    assert data.board.area_name and data.board.area_name.lower().replace(" and ", "-").startswith(district[:4])
    assert all(p.area == data.board.area for p in data.indicators)
    assert all(s.area_name == data.board.area_name for s in report.sections)
    if district in LAID_OUT:  # every locality's pages are laid out as the county paper's annexes (test above)
        assert _check_pdf(report, tmp_path) >= 2


@pytest.mark.parametrize("board", AMBITION_BOARDS)
def test_an_ambition_board_report(closed_engine: Engine, tmp_path: Path, board: str) -> None:
    report = build_board_report(closed_engine, board)
    number = board[-1]
    assert report.kpqs and all(k.ambition == f"A{number}" for k in report.kpqs)
    if board != "ambition-board-2":  # laid out and checked the same way in test_report_research.py
        assert _check_pdf(report, tmp_path) >= 2


def test_the_word_document_opens_and_holds_the_kpq_table(closed_engine: Engine) -> None:
    report = build_board_report(closed_engine, "Kent Forum")
    document = docx.Document(io.BytesIO(render_docx(report)))
    tables = [t for t in document.tables if tuple(c.text for c in t.rows[0].cells) == KPQ_TABLE_HEADER]
    assert len(tables) == 1
    rows = [[c.text for c in row.cells] for row in tables[0].rows[1:]]
    assert [r[0] for r in rows] == [k.id for k in report.kpqs]
    assert [r[2].split(" (")[0] for r in rows] == [k.answer for k in report.kpqs]
    assert len(document.inline_shapes) == len(report.charts)
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert headings.index("Exceptions: what needs the board's attention") < headings.index("Key Performance Questions")
    text = "\n".join(p.text for p in document.paragraphs)
    assert "illustrative" in text.lower()  # the demo's generated data are labelled


def _value_at(report: BoardReport, key: tuple[str, str, str, str, str]) -> float | None:
    indicator, area, period, ctype, category = key
    page = next(s.page for s in report.sections if s.page.id == indicator)
    return next(
        p.value
        for p in page.headline + page.breakdowns
        if (p.area, p.period, p.category_type, p.category) == (area, period, ctype, category)
    )


def _revise(engine: Engine, report: BoardReport) -> tuple[tuple[str, str, str, str, str], float]:
    """Import a revision of one value the report shows (a new batch changing it); its key and new value."""
    shown = {(b.row.period, b.row.value) for s in report.sections for b in s.breakdowns}
    page, point = next(
        (s.page, p)
        for s in report.sections
        for p in s.page.headline + s.page.breakdowns
        if p.value is not None
        and p.count
        and p.denominator
        and p.batch is not None
        and (p in s.page.headline or (p.period, p.value) in shown)
    )
    assert point.denominator is not None and point.count is not None
    count = point.count + 50
    value = count / point.denominator * 100
    frame = pl.DataFrame(
        {
            "indicator": [page.id],
            "area_code": [point.area],
            "period": [point.period],
            "category_type": [point.category_type],
            "category": [point.category],
            "value": [value],
            "numerator": [count],
            "denominator": [point.denominator],
            "illustrative": [point.illustrative],
            "note": ["revised in a test"],
        }
    )
    parsed = parse_frame("Test revision", frame, fmt="test")
    done = import_parsed(
        engine, parsed, source="test", batch_name="Test revision", illustrative=point.illustrative, actor="tests"
    )
    assert done.revised == 1
    return (page.id, point.area, point.period, point.category_type, point.category), value


def test_a_frozen_report_is_rebuilt_identically_after_the_data_are_revised(closed_engine: Engine) -> None:
    before = build_board_report(closed_engine, "Kent Forum")
    html = render_html(before)
    key, value = _revise(closed_engine, before)
    after = build_board_report(closed_engine, "Kent Forum")
    assert _value_at(after, key) == _value_at(before, key) != value
    assert render_html(after) == html


def test_an_open_cycle_gives_a_draft_that_follows_the_data(open_engine: Engine) -> None:
    before = build_board_report(open_engine, "Kent Forum", CYCLE)
    assert not before.data.frozen and before.status.startswith("Draft")
    key, value = _revise(open_engine, before)
    after = build_board_report(open_engine, "Kent Forum", CYCLE)
    assert _value_at(before, key) != value
    assert _value_at(after, key) == pytest.approx(value)  # the same revision that leaves a frozen report alone
