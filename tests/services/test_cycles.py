"""Reporting cycles on SQLite and PostgreSQL: open, status, close (frozen snapshots), commentary, approval."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.kpq import Answer
from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound
from gapwatch.services import approvals, cycles
from gapwatch.services.accounts import create_user
from gapwatch.store.cycles import CycleRow, mark_closed
from gapwatch.store.engine import session_scope
from tests.services import cycle_data

CUTOFF, DEADLINE = date(2011, 12, 31), date(2012, 1, 31)


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    cycle_data.load(engine, tmp_path)
    return engine


def _open(engine: Engine, name: str = "2011 H2", **kwargs: object) -> cycles.CycleStatus:
    return cycles.open_cycle(engine, name, data_cutoff=CUTOFF, action_deadline=DEADLINE, **{"by": "tests", **kwargs})  # type: ignore[arg-type]


def test_open_lists_missing_updates_and_stale_indicators(loaded: Engine) -> None:
    status = _open(loaded)
    assert status.status == "open"
    assert status.boards == ["forum", "d1-board"]  # the empty board has nothing to report on
    assert sorted(m.action for m in status.missing_updates) == ["X1", "X2", "X3", "X4"]
    assert all(m.last_update is None and m.lead_officer == "Lee Lead" for m in status.missing_updates)
    assert [s.indicator for s in status.stale] == ["NODATA"]


def test_open_refuses_bad_input(loaded: Engine) -> None:
    with pytest.raises(InvalidInput) as bad:
        cycles.open_cycle(loaded, " ", data_cutoff=CUTOFF, action_deadline=date(2011, 1, 1), by="tests")
    assert {p.field for p in bad.value.problems} == {"name", "action_deadline"}
    with pytest.raises(InvalidInput, match="nothing to report on"):
        _open(loaded, boards=["Empty Board"])
    with pytest.raises(NotFound, match="no board 'nope'"):
        _open(loaded, boards=["nope"])
    _open(loaded)
    with pytest.raises(Conflict, match="already exists"):
        _open(loaded)
    assert cycles.list_cycle_names(loaded) == ["2011 H2"]


def test_close_freezes_and_refuses_a_second_close(loaded: Engine) -> None:
    _open(loaded, boards=["forum", "D1 Locality Board"])
    closed = cycles.close_cycle(loaded, "2011 H2", by="po")
    assert closed.status == "closed" and closed.approvals == {}
    with pytest.raises(Conflict, match="already closed"):
        cycles.close_cycle(loaded, "2011 H2", by="tests")
    report = cycles.snapshot(loaded, "2011 H2", "forum")
    assert report.frozen and report.cycle.closed_by == "po"
    assert report.approval.status == "awaiting approval"
    assert {k.answer.kpq: k.answer.answer for k in report.kpqs}["K1"] is Answer.YES


def test_conditional_close_refuses_a_cycle_someone_else_closed(loaded: Engine) -> None:
    _open(loaded)
    with session_scope(loaded) as session:
        row = session.query(CycleRow).one()
        mark_closed(session, row, "first", datetime.now(UTC))
    with session_scope(loaded) as session:
        row = session.query(CycleRow).one()
        with pytest.raises(Conflict, match="already closed"):
            mark_closed(session, row, "second", datetime.now(UTC))


def test_frozen_report_is_identical_after_the_data_are_revised(loaded: Engine, tmp_path: Path) -> None:
    _open(loaded)
    cycles.close_cycle(loaded, by="tests")
    before = cycles.snapshot(loaded, None, "forum").model_dump_json()
    # Revise the GN data (a reload records a new framework revision) and open a new cycle on them.
    cycle_data.load(loaded, tmp_path, narrowing_shift=-150)
    after = cycles.snapshot(loaded, "2011 H2", "forum").model_dump_json()
    assert after == before
    cycles.open_cycle(loaded, "2012 H1", data_cutoff=date(2012, 6, 30), action_deadline=date(2012, 7, 31), by="tests")
    live_before = cycles.snapshot(loaded, "2012 H1", "forum")
    assert not live_before.frozen
    gn_frozen = next(p for p in cycles.snapshot(loaded, "2011 H2", "forum").indicators if p.id == "GN")
    gn_live = next(p for p in live_before.indicators if p.id == "GN")
    assert [p.count for p in gn_live.breakdowns if p.category == "fsm"][0] == 450
    assert [p.count for p in gn_frozen.breakdowns if p.category == "fsm"][0] == 600


def test_report_content_for_a_locality_and_the_county(loaded: Engine) -> None:
    _open(loaded)
    county = cycles.snapshot(loaded, None, "Testshire Forum")
    locality = cycles.snapshot(loaded, None, "d1-board")
    assert county.board.area is None and locality.board.area == "D1"
    sm_county = next(p for p in county.indicators if p.id == "SM")
    sm_local = next(p for p in locality.indicators if p.id == "SM")
    assert [p.area for p in sm_county.headline] == ["C0"]
    assert sorted(p.area for p in sm_county.breakdowns if not p.category_type) == ["D1", "D2", "D3"]
    assert [(p.area, p.count) for p in sm_local.headline] == [("D1", 2)]
    assert any(g.measure == "area_gap" for g in sm_local.gaps)
    assert [(t.target, t.status, t.off_track) for t in county.targets] == [
        ("T1", "on track", False),
        ("T2", "not achieved", False),  # missed in 2003/04: history, not an exception in 2011
    ]
    assert {g.indicator: g.verdict for g in county.gaps if g.measure == "group_gap"}["GW"] == "widening"
    assert next(g for g in county.gaps if g.indicator == "GW").widening
    assert [a.id for a in county.actions] == ["X1", "X2", "X3", "X4"]
    assert not county.illustrative


def test_snapshot_refusals(loaded: Engine) -> None:
    with pytest.raises(NotFound, match="No reporting cycle"):
        cycles.snapshot(loaded, None, "forum")
    _open(loaded, boards=["forum"])
    with pytest.raises(InvalidInput, match="nothing to report on|oversees no"):
        cycles.snapshot(loaded, None, "empty")
    with pytest.raises(NotFound, match="no reporting cycle '1999 H1'"):
        cycles.snapshot(loaded, "1999 H1", "forum")
    with pytest.raises(InvalidInput, match="not in the scope"):
        cycles.snapshot(loaded, None, "d1-board")
    cycles.close_cycle(loaded, by="tests")
    with pytest.raises(InvalidInput, match="not in the scope"):
        cycles.snapshot(loaded, None, "d1-board")


def test_commentary_is_frozen_with_its_status(loaded: Engine) -> None:
    _open(loaded)
    first = approvals.add_commentary(loaded, None, "indicator", "GN", "The FSM gap keeps closing.", by="po")
    second = approvals.add_commentary(loaded, None, "report", "forum", "A good half-year.", by="po")
    approvals.decide_commentary(loaded, first, "approved", by="head")
    with pytest.raises(InvalidInput) as bad:
        approvals.add_commentary(loaded, None, "indicator", "nope", "", by="po")
    assert {p.field for p in bad.value.problems} == {"text", "subject_id"}
    cycles.close_cycle(loaded, by="tests")
    report = cycles.snapshot(loaded, None, "forum")
    statuses = {c.id: (c.subject_id, c.status, c.author) for c in report.commentary}
    assert statuses == {first: ("GN", "approved", "po"), second: ("forum", "draft", "po")}
    local = cycles.snapshot(loaded, None, "d1-board")
    assert [c.id for c in local.commentary] == [first]  # the forum's report commentary is not theirs
    with pytest.raises(Conflict, match="closed"):
        approvals.add_commentary(loaded, None, "indicator", "GN", "Too late", by="po")
    with pytest.raises(Conflict, match="closed"):
        approvals.decide_commentary(loaded, second, "approved", by="head")


def test_only_the_chair_or_a_delegate_approves_a_closed_report(loaded: Engine) -> None:
    cycle_data.add_chair(loaded, actor="admin")
    with session_scope(loaded) as session:
        create_user(
            session,
            username="pat",
            display_name="Pat Deputy",
            role="board_member",
            password="a long passphrase 2",
            actor="admin",
        )
    _open(loaded)
    with pytest.raises(Conflict, match="still open"):
        approvals.approve_report(loaded, None, "forum", by="chris")
    cycles.close_cycle(loaded, by="tests")
    with pytest.raises(Forbidden, match="Chris Chair"):
        approvals.approve_report(loaded, None, "forum", by="pat")
    approvals.delegate_approval(loaded, "forum", "pat", by="chris")
    info = approvals.approve_report(loaded, None, "forum", by="pat", approve=False, note="fix page 3")
    assert info.status == "rejected"
    info = approvals.approve_report(loaded, None, "forum", by="chris")
    assert info.status == "approved" and info.approved_by == "chris"
    assert cycles.snapshot(loaded, None, "forum").approval.status == "approved"
    assert cycles.cycle_status(loaded).approvals == {"forum": "approved"}


@pytest.mark.parametrize(
    ("cutoff", "start"),
    [
        (date(2011, 12, 31), date(2011, 7, 1)),
        (date(2012, 6, 30), date(2012, 1, 1)),
        (date(2012, 3, 31), date(2011, 10, 1)),
    ],
)
def test_cycle_covers_the_six_months_to_its_cutoff(cutoff: date, start: date) -> None:
    from types import SimpleNamespace

    stored = SimpleNamespace(name="c", data_cutoff=cutoff, opened_at=datetime(2030, 1, 1, tzinfo=UTC))
    window = CycleWindow.for_cycle(stored)
    assert (window.start, window.as_of, window.cutoff) == (start, cutoff, cutoff)
