"""The Kent demo's 2012 H2 report and the dashboard for that cycle judge time in the cycle's window.

The report is built years after its cut-off (31 December 2012), yet an action due later is not overdue in
it, and data of periods ending after the cut-off (2012/13) reach neither the report's KPQ answers nor the
dashboard's answers for the cycle: the two agree, answer for answer and count for count.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import Engine

from gapwatch.services import cycles
from gapwatch.services._plan import current_plan
from gapwatch.services.dashboard import DashboardFilters, dashboard
from gapwatch.services.evidence import observations_until
from gapwatch.services.kpq import dashboard_answers
from gapwatch.store.engine import session_scope

DEMO_CYCLE, DEMO_CUTOFF = "2012 H2", date(2012, 12, 31)
#: Its report holds action AB2-A3 (due 31 December 2013) and the KPQs of ambition 2, such as A2-KPQ1.
BOARD = "ambition-board-2"


def test_the_2012_h2_report_and_the_dashboard_for_it_agree(open_engine: Engine) -> None:
    deadline = date(2013, 1, 31)
    cycles.open_cycle(open_engine, DEMO_CYCLE, data_cutoff=DEMO_CUTOFF, action_deadline=deadline, by="tests")
    report = cycles.snapshot(open_engine, DEMO_CYCLE, BOARD)  # a draft, built today
    window = cycles.cycle_window(open_engine, DEMO_CYCLE)
    assert (window.as_of, window.cutoff, window.start) == (DEMO_CUTOFF, DEMO_CUTOFF, date(2012, 7, 1))
    later = [a for a in report.actions if a.deadline is not None and a.deadline > DEMO_CUTOFF]
    assert later, "the demo needs actions due after the cut-off for this test to mean anything"
    assert not any(a.overdue for a in later)
    with session_scope(open_engine) as session:
        plan = current_plan(session)
        everything = observations_until(session, plan, date.max)
        after_cutoff = everything.filter(everything.get_column("period_end") > DEMO_CUTOFF)
        answers = {a.kpq: a for group in dashboard_answers(session, plan, window=window).values() for a in group}
        view = dashboard(session, DashboardFilters(board=BOARD), window=window)
    assert after_cutoff.height, "the demo holds data after the cut-off, which the cycle must not use"
    assert report.kpqs
    for k in report.kpqs:
        assert answers[k.answer.kpq].model_dump(mode="json") == k.answer.model_dump(mode="json"), k.answer.kpq
    counts = Counter(a.rag or "none" for a in report.actions)
    in_report = {
        **{k: counts.get(k, 0) for k in ("red", "amber", "green", "none")},
        "overdue": sum(a.overdue for a in report.actions),
        "no_update_this_cycle": sum(not a.updated_this_cycle for a in report.actions),
        "total": len(report.actions),
    }
    assert next(b for b in view.boards if b.key == BOARD).actions == view.overall.actions == in_report
