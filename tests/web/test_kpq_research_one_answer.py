"""One answer for the research evidence of a KPQ: Kent's A2-KPQ5 consultation reason (81% of 793 Vision for Kent
respondents, 78.1% to 83.6%, above 50%) is the same in `gapwatch kpq answer` and the cycle's board paper — estimate,
interval, direction, counted and illustrative flag alike — and the dashboard (CLI JSON = API JSON) gives the same
answer and lists the reason on its page."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.clirunner import run_cli


def _json(*args: str) -> Any:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _research(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("label", "direction", "verdict", "value", "lower", "upper", "unit", "counted", "illustrative", "source")
    return [{k: r[k] for k in keys} for r in reasons if r["source"] == "research"]


def test_the_consultation_reason_is_one_answer(web_db: Path, client_as: Callable[[str], TestClient]) -> None:
    from gapwatch.reports.build import load_report_data
    from gapwatch.services.database import open_database
    from gapwatch.settings import Settings

    db = str(web_db)
    opened = run_cli(
        "cycle", "open", "2010 H2", "--cutoff", "2010-12-31", "--action-deadline", "2011-01-31", "--db", db
    )
    assert opened.exit_code == 0, opened.output
    cli = _json("dashboard", "--board", "ambition-board-2", "--cycle", "2010 H2", "--format", "json", "--db", db)
    api = client_as("board_member").get("/api/v1/dashboard?board=ambition-board-2&cycle=2010%20H2").json()["data"]
    assert cli == api
    dashboard = next(k for k in api["kpqs"] if k["kpq"] == "A2-KPQ5")
    body = _json("kpq", "answer", "--ambition", "2", "--cutoff", "2010-12-31", "--format", "json", "--db", db)
    answers = body if isinstance(body, list) else body["answers"]
    answered = next(a for a in answers if a["kpq"] == "A2-KPQ5")
    engine = open_database(Settings(database_url=f"sqlite:///{web_db}"), migrate=False)
    try:
        report = load_report_data(engine, "ambition-board-2", "2010 H2")
    finally:
        engine.dispose()
    paper = next(k.answer for k in report.kpqs if k.answer.kpq == "A2-KPQ5").model_dump(mode="json")

    shown = _research(answered["reasons"])
    assert shown == _research(paper["reasons"])
    counted = [r for r in shown if r["counted"]]
    assert len(counted) == 1 and counted[0]["direction"] == "supports" and counted[0]["value"] == 81
    assert (round(counted[0]["lower"], 1), round(counted[0]["upper"], 1)) == (78.1, 83.6)
    assert dashboard["answer"] == answered["answer"] == paper["answer"] == "Not enough evidence"
    # The dashboard page lists the same reason with its verdict.
    page = client_as("board_member").get("/dashboard?board=ambition-board-2&cycle=2010%20H2").text
    assert counted[0]["verdict"] in page and "Vision for Kent consultation (2011)" in page
