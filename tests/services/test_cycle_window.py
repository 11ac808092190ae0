"""One cycle clock: the cycle's status, the action pages, the dashboard, the KPQ answers and the cycle's report
judge time in the same window (start, as-of date, data cut-off), never by the day they happen to be read.

On the constructed framework of :mod:`tests.services.cycle_data` (every period ends by March 2011; actions
X1-X4 serve board "forum"), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from gapwatch.domain.cycle import CycleWindow
from gapwatch.services import cycles
from gapwatch.services._plan import current_plan
from gapwatch.services.actions import ActionFilters, list_actions, rag_counts
from gapwatch.services.dashboard import DashboardFilters, dashboard
from gapwatch.services.evidence import evidence_context
from gapwatch.services.frameworks import load_framework
from gapwatch.services.kpq import dashboard_answers
from gapwatch.services.report_data import ActionRow
from gapwatch.store.engine import session_scope
from gapwatch.store.progress import ActionStateRow
from tests.services import cycle_data

#: The 2011 H2 cycle: cut-off 31 December 2011, action updates due 31 January 2012.
CUTOFF, DEADLINE = date(2011, 12, 31), date(2012, 1, 31)
#: When the performance officer checks the cycle: after the cut-off, before the update deadline.
CHECKED = date(2012, 1, 20)


def _load(engine: Engine, tmp_path: Path, change: Callable[[dict[str, Any]], None] | None = None) -> Engine:
    framework = cycle_data.framework()
    if change is not None:
        change(framework)
    path = tmp_path / "testshire.yaml"
    path.write_text(yaml.safe_dump(framework, sort_keys=False), encoding="utf-8")
    load_framework(engine, path)
    return engine


def _states(engine: Engine, **states: dict[str, Any]) -> None:
    """Store actions' progress as if their lead officers had updated them at the given times."""
    with session_scope(engine) as session:
        pk = current_plan(session).pk
        for action_id, fields in states.items():
            session.add(ActionStateRow(framework_pk=pk, action_id=action_id, updated_by="lead", **fields))


def _open(engine: Engine, name: str = "2011 H2", cutoff: date = CUTOFF, deadline: date = DEADLINE) -> None:
    cycles.open_cycle(engine, name, data_cutoff=cutoff, action_deadline=deadline, boards=["forum"], by="tests")


def _report_counts(actions: list[ActionRow]) -> dict[str, int]:
    counts = Counter(a.rag or "none" for a in actions)
    return {
        **{k: counts.get(k, 0) for k in ("red", "amber", "green", "none")},
        "overdue": sum(a.overdue for a in actions),
        "no_update_this_cycle": sum(not a.updated_this_cycle for a in actions),
        "total": len(actions),
    }


def test_status_actions_page_and_report_count_updates_from_the_same_start(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    _open(engine)
    _states(
        engine,
        X1={"rag": "green", "updated_at": datetime(2011, 9, 1, 10, tzinfo=UTC)},  # in the cycle's six months
        X2={"rag": "amber", "updated_at": datetime(2011, 6, 15, 10, tzinfo=UTC)},  # before it began
    )
    status = cycles.cycle_status(engine)
    with session_scope(engine) as session:
        window = cycles.current_window(session, CHECKED)  # what the actions page is given on 20 January
        page = {v.id for v in list_actions(session, window=window) if v.updated_this_cycle}
        stale = [v.id for v in list_actions(session, ActionFilters(no_update_this_cycle=True), window=window)]
    report = cycles.snapshot(engine, None, "forum")
    assert window == CycleWindow.ending(CUTOFF, "2011 H2") and window.start == date(2011, 7, 1)
    assert sorted(m.action for m in status.missing_updates) == stale == ["X2", "X3", "X4"]
    assert page == {a.id for a in report.actions if a.updated_this_cycle} == {"X1"}
    # Left to the calendar, 20 January would start a new half-year on 1 January and call X1 stale.
    assert not CycleWindow.default(CHECKED).updated_this_cycle(datetime(2011, 9, 1, tzinfo=UTC))


def test_without_an_open_cycle_pages_use_the_half_year_of_the_day(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    with session_scope(engine) as session:
        assert cycles.current_window(session, CHECKED) == CycleWindow.default(CHECKED)
    _open(engine)
    cycles.close_cycle(engine, by="tests")
    assert cycles.current_window(engine, CHECKED) == CycleWindow.default(CHECKED)
    assert cycles.cycle_window(engine, "2011 H2") == CycleWindow.ending(CUTOFF, "2011 H2")


def test_an_action_due_after_the_cutoff_is_not_overdue_in_the_cycles_report(engine: Engine, tmp_path: Path) -> None:
    def due_end_of_2013(framework: dict[str, Any]) -> None:
        framework["actions"][0]["deadline"] = "2013-12-31"

    _load(engine, tmp_path, due_end_of_2013)
    _open(engine, "2012 H2", date(2012, 12, 31), date(2013, 1, 31))
    _open(engine, "2014 H1", date(2014, 6, 30), date(2014, 7, 31))
    early = cycles.snapshot(engine, "2012 H2", "forum")  # built today, whatever year that is
    late = cycles.snapshot(engine, "2014 H1", "forum")
    assert {a.id: a.overdue for a in early.actions}["X1"] is False
    assert {a.id: a.overdue for a in late.actions}["X1"] is True
    with session_scope(engine) as session:
        at_cutoff = {v.id: v.overdue for v in list_actions(session, window=CycleWindow.ending(date(2012, 12, 31)))}
        new_year = {v.id: v.overdue for v in list_actions(session, window=CycleWindow.default(date(2014, 1, 1)))}
    assert at_cutoff["X1"] is False and new_year["X1"] is True


def test_observations_after_the_cutoff_do_not_reach_the_cycles_kpq_answers(engine: Engine, tmp_path: Path) -> None:
    def late_fall(framework: dict[str, Any]) -> None:
        # 2011/12 ends on 31 March 2012, after the 2011 H2 cut-off: a fall from 58% to 30% that would turn
        # "Is attainment rising?" from Yes and put target T1 off track, if it were used.
        late = {"indicator": "TR", "area": cycle_data.COUNTY, "period": "2011/12", "value": 30.0}
        framework["observations"].append({**late, "numerator": 3000, "denominator": 10000, "id": "ob-late"})

    _load(engine, tmp_path, late_fall)
    _open(engine)
    report = cycles.snapshot(engine, None, "forum")
    with session_scope(engine) as session:
        plan = current_plan(session)
        window = cycles.current_window(session, date(2026, 1, 1))  # the open cycle's, whatever the day
        frame = evidence_context(session, plan, window=window).frame
        in_cycle = dashboard_answers(session, plan, window=window)["A1"]
        later = dashboard_answers(session, plan, window=CycleWindow.default(date(2012, 6, 1)))["A1"]
    assert frame.height and frame.get_column("period_end").max() <= CUTOFF
    assert [a.model_dump(mode="json") for a in in_cycle] == [k.answer.model_dump(mode="json") for k in report.kpqs]
    k5 = next(a for a in in_cycle if a.kpq == "K5")
    assert k5.answer.value == "Yes" and "2006/07 to 2010/11" in (k5.reasons[0].detail or "")
    # The late value is there, and counts for a window whose cut-off is after it (a different cache entry).
    k5_later = next(a for a in later if a.kpq == "K5")
    assert k5_later.answer.value != "Yes" and "to 2011/12" in (k5_later.reasons[0].detail or "")


def test_dashboard_for_a_cycle_and_its_report_agree_on_action_counts(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    _open(engine)
    _states(
        engine,
        X1={"rag": "red", "updated_at": datetime(2011, 9, 1, tzinfo=UTC)},
        X2={"rag": "green", "updated_at": datetime(2011, 5, 1, tzinfo=UTC)},  # before the cycle began
        # Revised to 30 November 2011 and half done: overdue at the cut-off.
        X3={
            "rag": "amber",
            "percent_complete": 50,
            "deadline": date(2011, 11, 30),
            "updated_at": datetime(2011, 10, 1),
        },
    )
    report = cycles.snapshot(engine, None, "forum")
    with session_scope(engine) as session:
        window = cycles.current_window(session, CHECKED)
        view = dashboard(session, DashboardFilters(board="forum"), window=window)
    forum = next(b for b in view.boards if b.key == "forum")
    expected = {"red": 1, "amber": 1, "green": 1, "none": 1, "overdue": 1, "no_update_this_cycle": 2, "total": 4}
    assert _report_counts(report.actions) == expected
    assert forum.actions == view.overall.actions == expected
    assert view.window == window and view.cycle_start == date(2011, 7, 1)
    assert rag_counts([]) == dict.fromkeys(expected, 0)
