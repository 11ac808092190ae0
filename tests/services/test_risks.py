"""The risk register on SQLite and PostgreSQL: reviews by owners, new risks, heat map, conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.domain.cycle import CycleWindow
from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound
from gapwatch.services.frameworks import load_framework
from gapwatch.services.risks import (
    NewRiskInput,
    RiskFilters,
    RiskUpdateInput,
    add_risk,
    get_risk,
    heat_map,
    list_risks,
    reviews,
    risk_level,
    update_risk,
)
from gapwatch.store.audit import AuditFilter, query_audit
from gapwatch.store.engine import session_scope

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
TODAY = date(2022, 1, 10)
#: The default half-year window on TODAY: reviews due before 10 January 2022 are overdue.
W = CycleWindow.default(TODAY)


@dataclass(frozen=True)
class User:
    username: str
    role: str
    person_id: str | None = None


JO = User("jo", "lead_officer", "jo")
OTHER_LEAD = User("sam", "lead_officer", "sam")
PERF = User("pat", "performance_officer")


def _review(**changes: str) -> RiskUpdateInput:
    base = {
        "likelihood": "2",
        "impact": "4",
        "mitigations": "Second provider on standby\n\nTermly check",
        "review_day": "1",
        "review_month": "6",
        "review_year": "2022",
        "commentary": "Lower after tender",
    }
    base.update(changes)
    return RiskUpdateInput(**base)


@pytest.fixture
def mini(engine: Engine) -> Engine:
    load_framework(engine, MINI)
    return engine


def test_framework_risk_is_in_the_register_with_its_first_scores(mini: Engine) -> None:
    with session_scope(mini) as s:
        risks = list_risks(s, window=W)
    assert [(r.id, r.likelihood, r.impact, r.score, r.level) for r in risks] == [("RK1", 3, 4, 12, "medium")]
    assert risks[0].owner == "Jo Bloggs" and risks[0].owner_organisation == "Riverton County Council"
    assert risks[0].action_number == "1" and risks[0].version == 0 and risks[0].in_framework


def test_owner_review_changes_scores_keeps_history_and_audits(mini: Engine) -> None:
    with session_scope(mini) as s:
        update_risk(s, JO, "RK1", 0, _review())
    with session_scope(mini) as s:
        risk = get_risk(s, "RK1", window=W)
        hist = reviews(s, "RK1")
        audit = query_audit(s, AuditFilter(entity="risk:RK1"))
    assert (risk.likelihood, risk.impact, risk.version) == (2, 4, 1)
    assert risk.mitigations == ("Second provider on standby", "Termly check")
    assert risk.review_date == date(2022, 6, 1) and not risk.review_overdue
    assert risk.title == "Tutoring providers unavailable"
    assert [(h.version, h.by, h.commentary) for h in hist] == [(1, "jo", "Lower after tender")]
    assert audit[0].before["likelihood"] == 3 and audit[0].after["likelihood"] == 2


def test_stale_review_conflicts_and_shows_the_other_review(mini: Engine) -> None:
    with session_scope(mini) as s:
        update_risk(s, JO, "RK1", 0, _review())
    with pytest.raises(Conflict) as caught, session_scope(mini) as s:
        update_risk(s, PERF, "RK1", 0, _review(likelihood="5"))
    assert isinstance(caught.value.current, dict)
    assert caught.value.current["by"] == "jo" and caught.value.current["likelihood"] == 2
    with session_scope(mini) as s:
        assert get_risk(s, "RK1", window=W).likelihood == 2


def test_non_owner_cannot_review_and_cannot_add(mini: Engine) -> None:
    with session_scope(mini) as s:
        with pytest.raises(Forbidden):
            update_risk(s, OTHER_LEAD, "RK1", 0, _review())
        with pytest.raises(Forbidden):
            add_risk(s, JO, NewRiskInput(title="x", review=_review()), window=W)


def test_owner_cannot_hand_the_risk_to_someone_else(mini: Engine) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(mini) as s:
        update_risk(s, JO, "RK1", 0, _review(owner="pat"))
    assert [p.field for p in caught.value.problems] == ["owner"]


def test_bad_review_values_are_all_reported(mini: Engine) -> None:
    raw = _review(likelihood="6", impact="", review_day="30", review_month="2", status="maybe")
    with pytest.raises(InvalidInput) as caught, session_scope(mini) as s:
        update_risk(s, JO, "RK1", 0, raw)
    assert {p.field for p in caught.value.problems} == {"likelihood", "impact", "review_date", "status"}


def test_new_risk_gets_an_id_and_heat_map_places_it(mini: Engine) -> None:
    with session_scope(mini) as s:
        new = add_risk(
            s,
            PERF,
            NewRiskInput(
                title="Schools opt out", action="RA-1", review=_review(likelihood="5", impact="5", owner="jo")
            ),
            window=W,
        )
    assert new.id == "R-2" and new.level == "high" and new.owner == "Jo Bloggs" and not new.in_framework
    with session_scope(mini) as s:
        risks = list_risks(s, window=W)
        grid = heat_map(risks)
        assert [r.id for r in list_risks(s, RiskFilters(level="high"), window=W)] == ["R-2"]
        assert [r.id for r in list_risks(s, RiskFilters(owner="jo"), window=W)] == ["R-2", "RK1"]
    assert [r.id for r in risks] == ["R-2", "RK1"]  # highest score first
    assert len(grid) == 5 and all(len(row) == 5 for row in grid)
    top_right = grid[0][4]
    assert (top_right.impact, top_right.likelihood, top_right.count, top_right.level) == (5, 5, 1, "high")
    assert grid[1][2].impact == 4 and grid[1][2].likelihood == 3 and [r.id for r in grid[1][2].risks] == ["RK1"]
    assert sum(c.count for row in grid for c in row) == 2


def test_new_risk_problems_include_the_review_fields(mini: Engine) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(mini) as s:
        add_risk(s, PERF, NewRiskInput(title="", action="nope", review=RiskUpdateInput()), window=W)
    assert {p.field for p in caught.value.problems} == {"title", "action", "likelihood", "impact", "review_date"}


def test_overdue_review_and_closed_risks(mini: Engine) -> None:
    with session_scope(mini) as s:
        update_risk(s, JO, "RK1", 0, _review(review_day="1", review_month="1", review_year="2022"))
    with session_scope(mini) as s:
        assert [r.id for r in list_risks(s, RiskFilters(review_overdue=True), window=W)] == ["RK1"]
        update_risk(s, JO, "RK1", 1, _review(status="closed"))
    with session_scope(mini) as s:
        assert list_risks(s, window=W) == []  # open risks by default
        assert [r.status for r in list_risks(s, RiskFilters(status=None), window=W)] == ["closed"]


@pytest.mark.parametrize(
    ("score", "level"), [(1, "low"), (6, "low"), (8, "medium"), (12, "medium"), (15, "high"), (25, "high")]
)
def test_risk_levels(score: int, level: str) -> None:
    assert risk_level(score) == level


def test_unknown_risk(mini: Engine) -> None:
    with session_scope(mini) as s, pytest.raises(NotFound):
        get_risk(s, "nope", window=W)
