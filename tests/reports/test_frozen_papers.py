"""Frozen papers: a closed cycle's paper is rendered once, stored, and then served from the file — the same bytes,
at once — while an open cycle's draft is always rebuilt; the chair's decision gives the paper a new file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.reports.frozen import paper
from gapwatch.reports.paper import CoverOptions
from gapwatch.services.cycles import paper_file
from tests.reports.conftest import CYCLE
from tests.reports.test_kent_reports import check_pdf_pages

pytestmark = pytest.mark.slow  # renders Kent demo papers (seconds each)


def test_a_closed_cycles_paper_is_stored_and_served_byte_identical(closed_engine: Engine, tmp_path: Path) -> None:
    first = paper(closed_engine, "kent-forum", CYCLE, "pdf")
    assert not first.stored and first.report is not None and first.content.startswith(b"%PDF")
    # The county paper as every paper is checked (page counts agree, no blank page): cover and exceptions, at
    # least a page of KPQs, a page per indicator, then actions and risks.
    pages = check_pdf_pages(first.content, first.pages, "Kent Forum", tmp_path)
    assert pages >= 2 + len(first.report.sections) + 2
    started = time.perf_counter()
    again = paper(closed_engine, "kent-forum", CYCLE, "pdf")
    elapsed = time.perf_counter() - started
    assert again.stored and again.report is None
    assert again.content == first.content
    assert elapsed < 0.2, f"serving the stored paper took {elapsed:.3f} s"
    stored = paper_file(closed_engine, CYCLE, "kent-forum", "annexes=False", "pdf")
    assert stored is not None and stored.path.read_bytes() == first.content
    assert stored.path.parent.name.endswith(".papers")


def test_other_formats_and_cover_options_are_stored_apart(closed_engine: Engine) -> None:
    word = paper(closed_engine, "kent-forum", CYCLE, "docx")
    cover = CoverOptions(author="Jane Doe, Head of Performance", asks=("note the report",))
    custom = paper(closed_engine, "kent-forum", CYCLE, "html", cover=cover)
    assert b"Jane Doe, Head of Performance" in custom.content and b"note the report" in custom.content
    plain = paper(closed_engine, "kent-forum", CYCLE, "html")
    assert b"Jane Doe" not in plain.content
    assert paper(closed_engine, "kent-forum", CYCLE, "docx").content == word.content
    assert paper(closed_engine, "kent-forum", CYCLE, "html", cover=cover).stored


def test_an_open_cycles_draft_is_never_stored(open_engine: Engine) -> None:
    assert paper_file(open_engine, CYCLE, "kent-forum", "annexes=False", "html") is None
    first = paper(open_engine, "kent-forum", CYCLE, "html")
    assert not first.stored and not paper(open_engine, "kent-forum", CYCLE, "html").stored
