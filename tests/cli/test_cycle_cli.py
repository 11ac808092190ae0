"""`gapwatch kpq answer`, `gapwatch cycle open|status|close|approve` and `gapwatch publish`, as a user runs them.

Each test runs the real entry point against the constructed framework of tests/services/cycle_data.py, on
SQLite and on PostgreSQL (the database URL is passed through GAPWATCH_DATABASE_URL, as in production).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.store.audit import query_audit
from gapwatch.store.engine import session_scope
from tests.clirunner import run_cli
from tests.services import cycle_data


@pytest.fixture
def db(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    cycle_data.load(engine, tmp_path)
    monkeypatch.setenv("GAPWATCH_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def test_kpq_answer_json_lists_answers_with_reasons(db: Engine) -> None:
    result = run_cli("kpq", "answer", "--ambition", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    answers = json.loads(result.stdout)
    assert isinstance(answers, list) and len(answers) == 10
    assert all({"kpq", "answer", "reasons"} <= set(a) for a in answers)
    by_id = {a["kpq"]: a for a in answers}
    assert (by_id["K1"]["answer"], by_id["K2"]["answer"], by_id["K3"]["answer"]) == (
        "Yes",
        "Not enough evidence",
        "No",
    )
    assert by_id["K3"]["reasons"][0]["verdict"] == "widening"


def test_kpq_answer_text_and_bad_options(db: Engine, tmp_path: Path) -> None:
    result = run_cli("kpq", "answer", "-o", str(tmp_path / "kpq.txt"))
    assert result.exit_code == 0, result.output
    text = (tmp_path / "kpq.txt").read_text()
    assert "K4 Are gaps narrowing overall?: Partly" in text and "[-]" in text and "[+]" in text
    bad = run_cli("kpq", "answer", "--format", "xml")
    assert bad.exit_code == 1 and "Error: --format must be text or json" in bad.stderr
    assert "Traceback" not in bad.output
    assert run_cli("kpq", "answer", "--ambition", "9").exit_code == 1


def test_cycle_open_status_close_approve_publish(db: Engine, tmp_path: Path) -> None:
    cycle_data.add_chair(db)
    opened = run_cli(
        "cycle", "open", "2011 H2", "--cutoff", "2011-12-31", "--action-deadline", "2012-01-31", "--format", "json"
    )
    assert opened.exit_code == 0, opened.output
    status = json.loads(opened.stdout)
    assert status["status"] == "open" and len(status["missing_updates"]) == 4
    assert [s["indicator"] for s in status["stale"]] == ["NODATA"]
    text = run_cli("cycle", "status")
    assert "Actions with no update this cycle: 4" in text.stdout
    assert run_cli("publish", "--board", "forum").exit_code == 1
    closed = run_cli("cycle", "close", "--by", "po")
    assert closed.exit_code == 0 and "2 report(s) frozen" in " ".join(closed.stdout.split())
    again = run_cli("cycle", "close")
    assert again.exit_code == 1 and "already closed" in again.stderr and "Traceback" not in again.output
    unapproved = run_cli("publish", "--board", "Testshire Forum")
    assert unapproved.exit_code == 1 and "only approved reports are published" in unapproved.stderr
    assert run_cli("cycle", "approve", "--board", "forum", "--user", "chris").exit_code == 0
    out_csv = tmp_path / "open.csv"
    published = run_cli(
        "publish", "--board", "forum", "--by", "po", "--csv", str(out_csv), "--json", str(tmp_path / "open.json")
    )
    assert published.exit_code == 0, published.output
    assert "withheld to protect small numbers" in " ".join(published.stdout.split())
    rows = list(csv.DictReader(out_csv.read_text().splitlines()))
    d1 = next(r for r in rows if r["indicator"] == "SM" and r["area_code"] == "D1")
    assert d1["suppressed"] == "yes" and d1["count"] == "[c]"
    assert json.loads((tmp_path / "open.json").read_text())["board"] == "Testshire Forum"
    assert "forum: approved" in " ".join(run_cli("cycle", "status").stdout.split())
    with session_scope(db) as session:  # each step audited by the service, under the CLI's actor
        entries = reversed(query_audit(session))
        audit = [(r.username, r.action, r.entity) for r in entries if r.entity.startswith(("cycle:", "report:"))]
    assert audit[0][0].startswith("cli:") and audit[0][1:] == ("cycle.open", "cycle:2011 H2")
    assert audit[1:] == [
        ("po", "cycle.close", "cycle:2011 H2"),
        ("chris", "report.approve", "report:2011 H2/forum"),
        ("po", "report.publish", "report:2011 H2/forum"),
    ]


def test_a_published_approval_is_frozen_and_withdrawal_is_its_own_command(db: Engine, tmp_path: Path) -> None:
    cycle_data.add_chair(db)
    assert (
        run_cli("cycle", "open", "2011 H2", "--cutoff", "2011-12-31", "--action-deadline", "2012-01-31").exit_code == 0
    )
    assert run_cli("cycle", "close", "--by", "po").exit_code == 0
    assert run_cli("cycle", "approve", "--board", "forum", "--user", "chris").exit_code == 0
    notes = tmp_path / "notes.csv"
    assert run_cli("publish", "--board", "forum", "--by", "po", "--notes", str(notes)).exit_code == 0
    assert notes.read_text().startswith("note,text\n[c],")
    flipped = run_cli("cycle", "approve", "--board", "forum", "--user", "chris", "--reject")
    assert flipped.exit_code == 1 and "its approval is frozen" in " ".join(flipped.stderr.split())
    assert run_cli("withdraw", "--board", "forum", "--reason", " ").exit_code == 1
    withdrawn = run_cli("withdraw", "--board", "forum", "--reason", "Figures [c] were wrong", "--by", "po")
    assert withdrawn.exit_code == 0, withdrawn.output
    assert "Withdrew the Testshire Forum report for 2011 H2" in " ".join(withdrawn.stdout.split())
    assert "Figures [c] were wrong" in withdrawn.stdout
    again = run_cli("withdraw", "--board", "forum", "--reason", "again")
    assert again.exit_code == 1 and "already withdrawn" in again.stderr
    with session_scope(db) as session:
        entries = [(r.username, r.action) for r in query_audit(session) if r.entity == "report:2011 H2/forum"]
    assert ("po", "report.withdraw") in entries and all(a != "report.reject" for _u, a in entries)


def test_cycle_open_refuses_a_bad_date(db: Engine) -> None:
    result = run_cli("cycle", "open", "X", "--cutoff", "31/12/2011", "--action-deadline", "2012-01-31")
    assert result.exit_code == 1 and "--cutoff must be a date" in result.stderr
