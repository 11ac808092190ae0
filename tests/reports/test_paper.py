"""The board paper on the real-data Kent demo: cover sheet and one-page summary first, exceptions derived from
the data, the Thanet paper's nine gaps with the share closed, no clipped or colliding text, and a scorecard equal
to the dashboard's for the same board and cycle.

PDF pages are read with poppler: ``pdftotext -bbox`` gives every word's box, which must lie inside the page's
printable area and must not overlap the word before it on the same line (colliding headers such as
"% doneDeadline" overlap or touch); ``pdftoppm`` draws the pages whose count must match the layout's.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from sqlalchemy import Engine

from gapwatch.queries.dashboard import dashboard_summary
from gapwatch.queries.scorecard import scorecard
from gapwatch.reports import build_board_report, render_docx, render_pdf
from gapwatch.reports.model import BoardReport
from gapwatch.reports.pdf import PdfResult
from gapwatch.services.cycles import cycle_window, snapshot
from gapwatch.store.engine import session_scope
from tests.conftest import copy_database
from tests.reports.conftest import REAL_CYCLE, RealDemo, engine_on

Laid = tuple[BoardReport, PdfResult]

pytestmark = [
    pytest.mark.slow,  # the real-data demo takes ~30 s to build and each paper several seconds to render
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"),
]

THANET = "locality-board-thanet"
#: Printable area of an A4 page in points: the stylesheet's 16 mm side and 18 mm top/bottom margins, less a
#: little for the running header and page number, which sit in the margin boxes.
_SIDE = 16 / 25.4 * 72 - 1


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _pages(pdf: bytes, folder: Path) -> list[Page]:
    source = folder / "paper.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(source), "-"], check=True, capture_output=True, text=True).stdout
    pages = []
    for match in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [
            Word(html.unescape(m.group(5)), float(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4)))
            for m in re.finditer(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', match.group(3)
            )
        ]
        pages.append(Page(float(match.group(1)), float(match.group(2)), words))
    return pages


def _png_count(pdf: bytes, folder: Path) -> int:
    source = folder / "pages.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(source), str(folder / "p")], check=True)
    return len(list(folder.glob("p-*.png")))


def _check_no_clipping(pages: list[Page], name: str) -> None:
    """Every word inside the page's printable width and height, none overlapping its neighbour on the line."""
    for number, page in enumerate(pages, start=1):
        for w in page.words:
            assert w.x0 >= _SIDE - 30 and w.x1 <= page.width - _SIDE + 30, f"{name} p{number}: '{w.text}' clipped"
            assert w.y0 >= 0 and w.y1 <= page.height, f"{name} p{number}: '{w.text}' off the page"
            assert not w.text.endswith("…"), f"{name} p{number}: truncated label '{w.text}'"
        lines: dict[float, list[Word]] = {}
        for w in page.words:
            lines.setdefault(round(w.y1, 0), []).append(w)
        for words in lines.values():
            words.sort(key=lambda w: w.x0)
            for before, after in zip(words, words[1:], strict=False):
                overlap = before.x1 - after.x0
                assert overlap < 0.5, f"{name} p{number}: '{before.text}' collides with '{after.text}'"


def _exceptions_from_data(report: BoardReport) -> int:
    """The exceptions the data call for, counted independently of the paper's own list."""
    d = report.data
    worse = sum(len([c for c in r.comparisons if c.verdict == "worse"]) for r in d.scorecard.rows) if d.scorecard else 0
    targets = sum(1 for t in d.targets if t.off_track or t.status == "at risk")
    gaps = sum(1 for g in d.gaps if g.widening)
    actions = sum(1 for a in d.actions if a.rag == "red" or a.overdue)
    risks = sum(1 for r in d.risks if r.review_overdue and r.status == "open")
    return worse + targets + gaps + actions + risks


@pytest.fixture(scope="module")
def laid_out(real_demo: RealDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Laid]]:
    """Each board's frozen paper and its PDF, laid out once for the tests of this module that read the PDF."""
    engine = engine_on(copy_database(real_demo.closed_db, tmp_path_factory.mktemp("papers") / "closed.db"))
    done: dict[str, Laid] = {}

    def lay_out(board: str) -> Laid:
        if board not in done:
            report = build_board_report(engine, board, REAL_CYCLE)
            done[board] = (report, render_pdf(report))
        return done[board]

    yield lay_out
    engine.dispose()


@pytest.mark.parametrize("board", ["kent-forum", THANET])
def test_the_pdf_paper_opens_with_a_cover_and_a_one_page_summary(
    laid_out: Callable[[str], Laid], tmp_path: Path, board: str
) -> None:
    report, pdf = laid_out(board)
    pages = _pages(pdf.content, tmp_path)
    assert len(pages) == pdf.pages == _png_count(pdf.content, tmp_path)
    cover, summary, after = pages[0].text, pages[1].text, pages[2].text
    for words in ("Cover sheet", "Meeting date", "Author", "Purpose", "The board is asked to"):
        assert words in cover
    assert summary.startswith(f"{report.data.board.name} · {REAL_CYCLE}") or "Summary" in summary.split()[:12]
    assert "Scorecard" in summary and "Key Performance Questions" in summary and "Actions" in summary
    # One page: the exceptions begin on the next page, and every scorecard row is on the summary page.
    assert "Exceptions: what needs the board's attention" in after
    for row in report.summary:
        assert row.latest_period and row.latest_period.split()[0] in summary
    _check_no_clipping(pages, board)


@pytest.mark.parametrize("board", ["kent-forum", THANET])
def test_the_word_paper_opens_with_a_cover_and_a_one_page_summary(real_closed: Engine, board: str) -> None:
    report = build_board_report(real_closed, board, REAL_CYCLE)
    document = docx.Document(__import__("io").BytesIO(render_docx(report)))
    texts = [p.text for p in document.paragraphs]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[:3] == [report.title, "Summary", "Exceptions: what needs the board's attention"]
    cover = document.tables[0]
    assert [row.cells[0].text for row in cover.rows][1:] == [
        "Board",
        "Meeting date",
        "Author",
        "Purpose",
        "Recommendations",
    ]
    assert "The board is asked to:" in cover.rows[-1].cells[1].text
    scorecard_table = document.tables[1]
    assert len(scorecard_table.rows) - 1 == len(report.summary) > 0
    # The summary is a page of its own: page breaks before its heading and after it.
    body = document.element.body.xml
    assert body.count('w:type="page"') >= 2
    assert any(t.startswith(f"{len(report.exception_items)} exception(s)") for t in texts)


@pytest.mark.parametrize("board", ["kent-forum", THANET])
def test_the_exceptions_come_from_the_data(real_closed: Engine, board: str) -> None:
    report = build_board_report(real_closed, board, REAL_CYCLE)
    assert len(report.exception_items) == _exceptions_from_data(report)
    widening = {(g.indicator, g.label) for g in report.data.gaps if g.widening}
    for item in report.exception_items:
        assert not item.title.startswith("Risk ") or item.kind == "risk review overdue"
        if item.kind == "gap widening significantly":
            assert any(item.title.endswith(label) and item.subject_id == ind for ind, label in widening)
        # Every exception has its commentary slot: written commentary, or who it is awaited from, or neither yet.
        assert item.commentary == [] and item.awaiting == []
    if board == "kent-forum":  # the real data show widening gaps in GCSE results (SEN, looked-after children)
        assert any(item.kind == "gap widening significantly" for item in report.exception_items)


def test_the_thanet_paper_shows_the_nine_gaps_with_the_share_closed(
    laid_out: Callable[[str], Laid], tmp_path: Path
) -> None:
    report, pdf = laid_out(THANET)
    gaps = report.gap_targets
    assert len(gaps) == 9
    assert all("Thanet" in t.title and "rest of Kent" in t.title for t in gaps)
    assert all(t.closed_share is not None for t in gaps)
    text = " ".join(p.text for p in _pages(pdf.content, tmp_path)[:5])
    assert "Gaps between Thanet and the rest of the county: how much of each gap has closed" in text
    for t in gaps:
        assert f"{100 * t.closed_share:.0f}%" in text  # type: ignore[operator]


@pytest.mark.parametrize("board", ["kent-forum", THANET])
def test_the_papers_scorecard_is_the_dashboards(real_open: Engine, board: str) -> None:
    window = cycle_window(real_open, REAL_CYCLE)
    paper = snapshot(real_open, REAL_CYCLE, board).scorecard
    with session_scope(real_open) as session:
        dashboard = scorecard(session, window, board)
        api = dashboard_summary(session, window, board=board)["scorecard"]
    assert paper is not None and paper == dashboard
    assert api == paper.model_dump(mode="json")
    assert len(paper.with_value) > 0
    if board == THANET:
        assert {r.area for r in paper.rows} == {"E07000114"}  # Thanet's own data, as its dashboard shows


def test_a_frozen_papers_scorecard_is_the_dashboards_in_that_cycle(real_closed: Engine) -> None:
    window = cycle_window(real_closed, REAL_CYCLE)
    frozen = snapshot(real_closed, REAL_CYCLE, "kent-forum")
    assert frozen.frozen and frozen.scorecard is not None
    with session_scope(real_closed) as session:
        assert scorecard(session, window, "kent-forum") == frozen.scorecard


def test_an_old_latest_value_is_said_to_be_old(real_closed: Engine) -> None:
    report = build_board_report(real_closed, "kent-forum", REAL_CYCLE)
    old = [r for r in report.summary if r.stale]
    assert old, "the real data hold values from 2006/07 for a 2012 cycle"
    assert all(r.latest_end is not None and r.latest_end.year <= 2009 for r in old)
    assert {r.indicator for r in old} == report.stale_ids
    # One count of everything: the cover's note counts the same rows the summary marks old.
    assert any(n.startswith(f"{len(old)} of the {len(report.summary)} indicator(s)") for n in report.notes)


def test_indicator_pages_draw_the_comparators_beside_the_area(real_closed: Engine) -> None:
    report = build_board_report(real_closed, "kent-forum", REAL_CYCLE)
    compared = [s for s in report.sections if s.page.comparators]
    assert compared, "the real data hold England's values for some of Kent's indicators"
    for section in compared:
        trend = section.charts[0]
        assert trend.kind == "trend" and trend.spec["datasets"]["comparators"]
        assert "England" in trend.description
        periods = {p.period for p in section.page.headline}
        assert {p.period for p in section.page.comparators} <= periods
