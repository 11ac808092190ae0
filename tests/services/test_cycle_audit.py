"""Every step of the reporting cycle is checked against the permission model and audited in its own
transaction: open, commentary written and decided, close, delegation, approval and publication."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from gapwatch.domain.access import Operator, Role
from gapwatch.errors import Forbidden, GapwatchError
from gapwatch.services import approvals, cycles, publishing
from gapwatch.services.accounts import create_user
from gapwatch.store.audit import query_audit
from gapwatch.store.cycles import SnapshotRow
from gapwatch.store.engine import session_scope
from tests.services import cycle_data

CUTOFF, DEADLINE = date(2011, 12, 31), date(2012, 1, 31)
PAT = Operator("pat", role=Role.PERFORMANCE_OFFICER)
BEA = Operator("bea", role=Role.BOARD_MEMBER)
LEO = Operator("leo", role=Role.LEAD_OFFICER, person_id="lead")
CHRIS = Operator("chris", role=Role.BOARD_MEMBER, person_id="chair")  # the forum's chair, signed in
#: What the fixtures do before the test: load the framework, create accounts.
SETUP = {"framework", "user"}


@pytest.fixture
def loaded(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    cycle_data.load(sqlite_engine, tmp_path)
    return sqlite_engine


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    """The audit log after the framework was loaded (and the test's accounts were made), oldest first."""
    with session_scope(engine) as session:
        entries = reversed(query_audit(session))
        return [(r.username, r.action, r.entity) for r in entries if r.entity.split(":")[0] not in SETUP]


def test_each_step_of_the_cycle_writes_one_audit_entry(loaded: Engine) -> None:
    cycles.open_cycle(loaded, "2011 H2", data_cutoff=CUTOFF, action_deadline=DEADLINE, by=PAT)
    note = approvals.add_commentary(loaded, None, "indicator", "GN", "Still closing.", by=BEA, author="Bea Board")
    approvals.decide_commentary(loaded, note, "approved", by=PAT)
    closed = cycles.close_cycle(loaded, by="cli:ops")
    approvals.delegate_approval(loaded, "forum", "dee", by=PAT)
    approvals.approve_report(loaded, None, "forum", by=CHRIS, note="Fine")
    info = publishing.publish(loaded, None, "forum", by=PAT)
    assert closed.status == "closed" and info.published_by == "pat"
    assert _audit(loaded) == [
        ("pat", "cycle.open", "cycle:2011 H2"),
        ("bea", "commentary.create", f"commentary:{note}"),
        ("pat", "commentary.decide", f"commentary:{note}"),
        ("cli:ops", "cycle.close", "cycle:2011 H2"),
        ("pat", "approval.delegate", "board:forum"),
        ("chris", "report.approve", "report:2011 H2/forum"),
        ("pat", "report.publish", "report:2011 H2/forum"),
    ]
    with session_scope(loaded) as session:
        entries = {r.action: r for r in query_audit(session)}
        snapshots = {s.board_id: s.sha256 for s in session.scalars(select(SnapshotRow))}
    close_after, approve_after = entries["cycle.close"].after, entries["report.approve"].after
    assert close_after == {"status": "closed", "snapshots": snapshots}
    assert approve_after == {"status": "approved", "snapshot_sha256": snapshots["forum"], "note": "Fine"}
    assert entries["report.publish"].after["snapshot_sha256"] == snapshots["forum"]  # type: ignore[index]


def test_a_chair_named_at_the_command_line_is_found_through_their_account(loaded: Engine) -> None:
    with session_scope(loaded) as session:
        create_user(
            session, username="chris", display_name="Chris", role="board_member", person_id="chair", password="x" * 12
        )
    cycles.open_cycle(loaded, "2011 H2", data_cutoff=CUTOFF, action_deadline=DEADLINE, by="cli:ops")
    cycles.close_cycle(loaded, by="cli:ops")
    with pytest.raises(Forbidden):
        approvals.approve_report(loaded, None, "forum", by="somebody")  # an operator, but not the chair
    assert approvals.approve_report(loaded, None, "forum", by="chris", approve=False).status == "rejected"
    assert _audit(loaded)[-1] == ("chris", "report.reject", "report:2011 H2/forum")


@pytest.mark.parametrize("who", [BEA, LEO], ids=["board member", "lead officer"])
def test_only_data_managers_run_the_cycle(loaded: Engine, who: Operator) -> None:
    with pytest.raises(Forbidden, match="open a reporting cycle"):
        cycles.open_cycle(loaded, "2011 H2", data_cutoff=CUTOFF, action_deadline=DEADLINE, by=who)
    cycles.open_cycle(loaded, "2011 H2", data_cutoff=CUTOFF, action_deadline=DEADLINE, by=PAT)
    with pytest.raises(Forbidden, match="close a reporting cycle"):
        cycles.close_cycle(loaded, by=who)
    cycles.close_cycle(loaded, by=PAT)
    approvals.approve_report(loaded, None, "forum", by=CHRIS)
    with pytest.raises(Forbidden, match="publish a report"):
        publishing.publish(loaded, None, "forum", by=who)
    assert [action for _, action, _ in _audit(loaded)] == ["cycle.open", "cycle.close", "report.approve"]


def test_a_close_whose_audit_entry_fails_leaves_the_cycle_open(loaded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    cycles.open_cycle(loaded, "2011 H2", data_cutoff=CUTOFF, action_deadline=DEADLINE, by=PAT)

    def broken(*args: object, **kwargs: object) -> None:
        raise GapwatchError("the audit log is unavailable")

    monkeypatch.setattr(cycles, "record_audit", broken)
    with pytest.raises(GapwatchError):
        cycles.close_cycle(loaded, by=PAT)
    assert cycles.cycle_status(loaded).status == "open"
    with session_scope(loaded) as session:
        assert session.scalar(select(func.count()).select_from(SnapshotRow)) == 0
    assert [action for _, action, _ in _audit(loaded)] == ["cycle.open"]  # the opening only
