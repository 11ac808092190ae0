"""`gapwatch report build`, as a user runs it, on SQLite and PostgreSQL (the constructed Testshire framework)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import pytest
from sqlalchemy import Engine

from gapwatch.reports.docx import KPQ_TABLE_HEADER
from gapwatch.services.cycles import close_cycle, open_cycle
from tests.clirunner import run_cli
from tests.services import cycle_data


@pytest.fixture
def db(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    cycle_data.load(engine, tmp_path)
    monkeypatch.setenv("GAPWATCH_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def _open(engine: Engine) -> None:
    open_cycle(engine, "2011 H2", data_cutoff=date(2011, 12, 31), action_deadline=date(2012, 1, 31), by="tests")


def test_no_cycle_yet_is_a_clear_error(db: Engine, tmp_path: Path) -> None:
    out = tmp_path / "forum.pdf"
    result = run_cli("report", "build", "--board", "Testshire Forum", "-o", str(out))
    assert result.exit_code == 1 and "No reporting cycle has been opened" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_an_open_cycle_gives_a_draft_and_a_closed_one_the_final_report(db: Engine, tmp_path: Path) -> None:
    _open(db)
    draft = tmp_path / "draft.html"
    result = run_cli("report", "build", "--board", "Testshire Forum", "--format", "html", "-o", str(draft))
    assert result.exit_code == 0, result.output
    assert "draft" in result.stdout and "Draft: cycle 2011 H2 is open" in draft.read_text(encoding="utf-8")
    close_cycle(db, "2011 H2", by="tests")
    final = tmp_path / "final.pdf"
    result = run_cli("report", "build", "--board", "forum", "--cycle", "2011 H2", "--format", "pdf", "-o", str(final))
    assert result.exit_code == 0, result.output
    assert final.read_bytes().startswith(b"%PDF-") and "final" in result.stdout and "pages" in result.stdout
    word = tmp_path / "final.docx"
    assert run_cli("report", "build", "--board", "forum", "-o", str(word)).exit_code == 0  # format from the suffix
    document = docx.Document(io.BytesIO(word.read_bytes()))
    kpq = next(t for t in document.tables if tuple(c.text for c in t.rows[0].cells) == KPQ_TABLE_HEADER)
    answers = {row.cells[0].text: row.cells[2].text for row in kpq.rows[1:]}
    assert answers["K1"] == "Yes" and answers["K3"] == "No" and answers["K10"] == "Not enough evidence"


def test_a_county_report_can_carry_its_locality_annexes(db: Engine, tmp_path: Path) -> None:
    _open(db)
    out = tmp_path / "forum.html"
    result = run_cli("report", "build", "--board", "forum", "--annexes", "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Annex A: D1 Locality Board" in html and "1 annex(es)" in result.stdout


@pytest.mark.parametrize(
    ("board", "message"),
    [("Nobody's Board", "There is no board 'Nobody's Board'"), ("empty", "oversees no ambition")],
)
def test_a_board_without_a_report_is_refused(db: Engine, tmp_path: Path, board: str, message: str) -> None:
    _open(db)
    out = tmp_path / "x.pdf"
    result = run_cli("report", "build", "--board", board, "-o", str(out))
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_bad_usage_exits_2(db: Engine, tmp_path: Path) -> None:
    _open(db)
    assert run_cli("report", "build", "--board", "forum", "-o", str(tmp_path / "x.txt")).exit_code == 2
    bad = run_cli("report", "build", "--board", "forum", "--format", "xlsx", "-o", str(tmp_path / "x.pdf"))
    assert bad.exit_code == 2 and "xlsx" in bad.output


def test_an_unwritable_output_is_a_clear_error_and_leaves_nothing(db: Engine, tmp_path: Path) -> None:
    _open(db)
    out = tmp_path / "no-such-folder" / "forum.html"
    result = run_cli("report", "build", "--board", "forum", "-o", str(out))
    assert result.exit_code == 1 and "cannot write the report" in result.stderr
    assert not out.parent.exists()
