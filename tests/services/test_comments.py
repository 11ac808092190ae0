"""Comments through the one service: who may comment, on what, and the audit entry in the same transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from gapwatch.domain.access import Operator, Role
from gapwatch.errors import Forbidden, GapwatchError, InvalidInput, NotFound
from gapwatch.services import comments as service
from gapwatch.services.comments import add_comment, comments_on
from gapwatch.services.frameworks import load_framework
from gapwatch.store.audit import AuditFilter, query_audit
from gapwatch.store.engine import session_scope

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"
BEA = Operator("bea", role=Role.BOARD_MEMBER)
JO = Operator("jo", role=Role.LEAD_OFFICER, person_id="jo")


@pytest.fixture
def mini(sqlite_engine: Engine) -> Engine:
    load_framework(sqlite_engine, MINI)
    return sqlite_engine


def test_a_comment_on_each_kind_is_stored_once_with_its_audit_entry(mini: Engine) -> None:
    with session_scope(mini) as session:
        for kind, item in (("indicator", "ATT1"), ("action", "RA-1"), ("risk", "RK1")):
            add_comment(session, BEA, kind, item, f"  What next for {item}?  ")
    with session_scope(mini) as session:
        assert [c.body for c in comments_on(session, "action", "RA-1")] == ["What next for RA-1?"]
        assert [c.created_by for c in comments_on(session, "risk", "RK1")] == ["bea"]
        entries = reversed(query_audit(session, AuditFilter(action="comment.create")))
        audit = [(r.username, r.action, r.entity, r.after) for r in entries]
    assert audit == [
        ("bea", "comment.create", "indicator:ATT1", {"comment": "What next for ATT1?"}),
        ("bea", "comment.create", "action:RA-1", {"comment": "What next for RA-1?"}),
        ("bea", "comment.create", "risk:RK1", {"comment": "What next for RK1?"}),
    ]


def test_refusals_write_nothing(mini: Engine) -> None:
    with session_scope(mini) as session:
        with pytest.raises(Forbidden, match="comment"):
            add_comment(session, JO, "action", "RA-1", "Mine")  # lead officers update; they do not comment
        with pytest.raises(NotFound, match="no action 'RA-9'"):
            add_comment(session, BEA, "action", "RA-9", "Which one?")
        with pytest.raises(NotFound):
            add_comment(session, BEA, "outcome", "O1A", "Not a commentable kind")
        for body, message in (("   ", "Enter a comment"), ("x" * 2001, "Comment must be 2000 characters or fewer")):
            with pytest.raises(InvalidInput) as err:
                add_comment(session, BEA, "indicator", "ATT1", body)
            assert [(p.field, p.message) for p in err.value.problems] == [("comment", message)]
    with session_scope(mini) as session:
        assert comments_on(session, "action", "RA-1") == []
        assert query_audit(session, AuditFilter(action="comment.create")) == []


def test_a_comment_whose_audit_entry_fails_is_not_stored(mini: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise GapwatchError("the audit log is unavailable")

    monkeypatch.setattr(service, "record_audit", broken)
    with pytest.raises(GapwatchError), session_scope(mini) as session:
        add_comment(session, BEA, "action", "RA-1", "Lost with its audit entry")
    with session_scope(mini) as session:
        assert comments_on(session, "action", "RA-1") == []
