"""The pages judge time in the open reporting cycle's window (else the half-year of today), as its report does.

Kent's Ambition Board 2 action AB2-A3 falls due on 31 December 2013 (its deliverable's deadline): overdue today,
but not in the 2012 H2 cycle, whose cut-off is 31 December 2012 — on the action page and in the action list; and
the dashboard says whose window it judges in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI

from gapwatch.services import cycles

OVERDUE = 'govuk-tag--red">Overdue</strong>'


def test_pages_judge_time_in_the_open_cycles_window(app: FastAPI, client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    assert "No reporting cycle is open" in bea.get("/dashboard").text
    assert OVERDUE in bea.get("/actions/AB2-A3").text  # judged today, years after its deadline
    cycles.open_cycle(
        app.state.engine, "2012 H2", data_cutoff=date(2012, 12, 31), action_deadline=date(2013, 1, 31), by="tests"
    )
    assert OVERDUE not in bea.get("/actions/AB2-A3").text
    listed = bea.get("/actions?overdue=1").text
    assert "No update since 1 July 2012" in listed and '/actions/AB2-A3"' not in listed
    dashboard = bea.get("/dashboard").text
    assert "As in the report of reporting cycle 2012 H2" in dashboard
    assert "answered from the evidence of reporting cycle 2012 H2 (data to 31 December 2012)" in dashboard
