"""Action progress on SQLite and PostgreSQL: updates by owners, history, filters, and the edit conflict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.domain.cycle import CycleWindow
from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound
from gapwatch.services.actions import (
    ActionFilters,
    ActionUpdateInput,
    assign_lead_officer,
    can_edit_action,
    get_action,
    history,
    list_actions,
    rag_by_action,
    rag_counts,
    update_action,
)
from gapwatch.services.frameworks import load_framework
from gapwatch.store.audit import AuditFilter, query_audit
from gapwatch.store.engine import session_scope

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
TODAY = date(2022, 1, 10)
#: The default half-year window on TODAY: January to June 2022, judged on 10 January.
W = CycleWindow.default(TODAY)


@dataclass(frozen=True)
class User:
    username: str
    role: str
    person_id: str | None = None


JO = User("jo", "lead_officer", "jo")
OTHER_LEAD = User("sam", "lead_officer", "sam")
PERF = User("pat", "performance_officer")
BOARD = User("bea", "board_member")


def _good(**changes: object) -> ActionUpdateInput:
    base = {"rag": "amber", "percent_complete": "40", "commentary": "Tutors recruited in 12 of 20 schools"}
    base.update(changes)  # type: ignore[arg-type]
    return ActionUpdateInput(**base)  # type: ignore[arg-type]


@pytest.fixture
def mini(engine: Engine) -> Engine:
    load_framework(engine, MINI)
    return engine


def test_action_without_updates_has_version_zero_and_is_overdue_after_its_deliverable(mini: Engine) -> None:
    with session_scope(mini) as s:
        view = get_action(s, "RA-1", window=W)
    assert view.version == 0 and view.rag is None
    assert view.lead_officer == "Jo Bloggs" and view.lead_organisation == "Riverton County Council"
    assert view.deadline == date(2021, 7, 31)  # the deliverable's deadline stands in for the action's
    assert view.overdue


def test_owner_update_is_stored_with_history_and_audit(mini: Engine) -> None:
    with session_scope(mini) as s:
        update_action(s, JO, "RA-1", 0, _good())
    with session_scope(mini) as s:
        view = get_action(s, "RA-1", window=W)
        hist = history(s, "RA-1")
        audit = query_audit(s, AuditFilter(entity="action:RA-1"))
    assert (view.rag, view.percent_complete, view.version) == ("amber", 40, 1)
    assert [(h.version, h.by, h.commentary) for h in hist] == [(1, "jo", "Tutors recruited in 12 of 20 schools")]
    assert len(audit) == 1 and audit[0].username == "jo"
    assert audit[0].before["rag"] is None and audit[0].after["rag"] == "amber"


def test_second_editor_gets_conflict_with_the_first_change_and_nothing_is_lost(mini: Engine) -> None:
    with session_scope(mini) as s:
        update_action(s, JO, "RA-1", 0, _good())
    # Jo and Pat both open the action at version 1.
    with session_scope(mini) as s:
        update_action(s, JO, "RA-1", 1, _good(rag="green", commentary="All schools covered"))
    with pytest.raises(Conflict) as caught, session_scope(mini) as s:
        update_action(s, PERF, "RA-1", 1, _good(rag="red", commentary="Funding cut"))
    current = caught.value.current
    assert isinstance(current, dict)
    assert current["by"] == "jo" and current["rag"] == "green" and current["commentary"] == "All schools covered"
    assert current["version"] == 2
    with session_scope(mini) as s:
        assert get_action(s, "RA-1", window=W).rag == "green"  # Pat's save did not overwrite Jo's
        update_action(s, PERF, "RA-1", current["version"], _good(rag="red", commentary="Funding cut"))
    with session_scope(mini) as s:
        hist = history(s, "RA-1")
    assert [(h.version, h.rag, h.by) for h in hist] == [(3, "red", "pat"), (2, "green", "jo"), (1, "amber", "jo")]


def test_two_sessions_racing_on_the_first_update_conflict(mini: Engine) -> None:
    from gapwatch.store.engine import sessions

    factory = sessions(mini)
    first, second = factory(), factory()
    try:
        assert get_action(first, "RA-1", window=W).version == 0
        assert get_action(second, "RA-1", window=W).version == 0
        update_action(first, JO, "RA-1", 0, _good(commentary="first"))
        first.commit()
        with pytest.raises(Conflict) as caught:
            update_action(second, PERF, "RA-1", 0, _good(commentary="second"))
        second.rollback()
    finally:
        first.close()
        second.close()
    assert isinstance(caught.value.current, dict) and caught.value.current["commentary"] == "first"
    with session_scope(mini) as s:
        assert [h.commentary for h in history(s, "RA-1")] == ["first"]


def test_only_owner_and_editors_may_update(mini: Engine) -> None:
    with session_scope(mini) as s:
        view = get_action(s, "RA-1", window=W)
        assert can_edit_action(JO, view) and can_edit_action(PERF, view)
        assert not can_edit_action(OTHER_LEAD, view) and not can_edit_action(BOARD, view)
        assert not can_edit_action(None, view)
        for who in (OTHER_LEAD, BOARD):
            with pytest.raises(Forbidden):
                update_action(s, who, "RA-1", 0, _good())
    with session_scope(mini) as s:
        assert history(s, "RA-1") == []


def test_bad_values_name_every_field(mini: Engine) -> None:
    raw = ActionUpdateInput(
        rag="purple",
        percent_complete="150",
        commentary="  ",
        deadline_day="31",
        deadline_month="2",
        deadline_year="2022",
        milestones_done=["not a milestone"],
    )
    with pytest.raises(InvalidInput) as caught, session_scope(mini) as s:
        update_action(s, JO, "RA-1", 0, raw)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"rag", "percent_complete", "commentary", "new_deadline", "milestones_done"}
    with pytest.raises(InvalidInput) as caught, session_scope(mini) as s:
        update_action(
            s, JO, "RA-1", 0, _good(percent_complete="lots", deadline_day="1", deadline_month="9", deadline_year="2022")
        )
    assert {p.field for p in caught.value.problems} == {"percent_complete", "deadline_reason"}


def test_new_deadline_with_reason_clears_overdue_and_milestones_are_kept(mini: Engine) -> None:
    raw = _good(
        deadline_day="31",
        deadline_month="3",
        deadline_year="2022",
        deadline_reason="Recruitment slow",
        milestones_done=["Tutoring in every primary school"],
    )
    with session_scope(mini) as s:
        update_action(s, JO, "RA-1", 0, raw)
    with session_scope(mini) as s:
        view = get_action(s, "RA-1", window=W)
    assert view.deadline == date(2022, 3, 31) and view.original_deadline == date(2021, 7, 31)
    assert view.deadline_reason == "Recruitment slow" and not view.overdue
    assert [m.done for m in view.milestones] == [True]


def test_filters_and_counts(mini: Engine) -> None:
    with session_scope(mini) as s:
        assert [v.id for v in list_actions(s, ActionFilters(rag="none"), window=W)] == ["RA-1"]
        assert list_actions(s, ActionFilters(officer="someone-else"), window=W) == []
        assert [v.id for v in list_actions(s, ActionFilters(board="rpb", organisation="rcc"), window=W)] == ["RA-1"]
        assert [v.id for v in list_actions(s, ActionFilters(q="TUTORING"), window=W)] == ["RA-1"]
        update_action(s, JO, "RA-1", 0, _good(rag="red"))
    with session_scope(mini) as s:
        assert [v.id for v in list_actions(s, ActionFilters(rag="red"), window=W)] == ["RA-1"]
        assert list_actions(s, ActionFilters(rag="green"), window=W) == []
        assert [v.id for v in list_actions(s, ActionFilters(overdue=True), window=W)] == ["RA-1"]
        # Updated just now, so not in "no update this cycle"; a cycle starting in 2100 makes it stale.
        assert list_actions(s, ActionFilters(no_update_this_cycle=True), window=W) == []
        later = list_actions(s, ActionFilters(no_update_this_cycle=True), window=CycleWindow.default(date(2100, 1, 1)))
        assert [v.id for v in later] == ["RA-1"]
        counts = rag_counts(list_actions(s, window=W))
        assert rag_by_action(s) == {"RA-1": "red"}
    assert counts == {"red": 1, "amber": 0, "green": 0, "none": 0, "overdue": 1, "no_update_this_cycle": 0, "total": 1}


def test_assign_lead_officer_is_for_editors_and_kept_in_history(mini: Engine) -> None:
    with session_scope(mini) as s:
        with pytest.raises(Forbidden):
            assign_lead_officer(s, JO, "RA-1", 0, "jo")
        with pytest.raises(InvalidInput):
            assign_lead_officer(s, PERF, "RA-1", 0, "nobody")
        assign_lead_officer(s, PERF, "RA-1", 0, "jo")
    with session_scope(mini) as s:
        hist = history(s, "RA-1")
        assert hist[0].lead_officer == "Jo Bloggs" and hist[0].rag is None
        assert get_action(s, "RA-1", window=W).version == 1


def test_unknown_action_is_not_found(mini: Engine) -> None:
    with session_scope(mini) as s, pytest.raises(NotFound):
        get_action(s, "RA-99", window=W)
