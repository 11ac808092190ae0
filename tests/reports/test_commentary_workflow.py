"""Commentary as a workflow on the paper's exceptions: the performance officer asks a named owner, the owner writes
the story behind the curve in its structured form, the chair (or a delegate) approves; until then the cycle status
and the paper say whom it is awaited from. Every step is audited and refused once the cycle has closed."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from gapwatch.domain.access import Operator
from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound
from gapwatch.reports import build_board_report
from gapwatch.services.approvals import add_commentary, decide_commentary, delegate_approval
from gapwatch.services.comments import decide_story, request_commentary, write_commentary
from gapwatch.services.cycles import close_cycle, cycle_status
from gapwatch.store.audit import AuditRow
from gapwatch.store.engine import session_scope
from tests.reports.conftest import CYCLE

pytestmark = pytest.mark.slow  # each test assembles Kent demo papers


def _subject(engine: Engine) -> str:
    """The first exception of the Kent Forum paper (the workflow's subject), as KIND:ID."""
    report = build_board_report(engine, "kent-forum", CYCLE)
    assert report.exception_items, "the demo's Kent Forum paper has exceptions"
    return report.exception_items[0].key


def test_requested_commentary_is_awaited_in_the_cycle_status_and_on_the_paper(open_engine: Engine) -> None:
    subject = _subject(open_engine)
    number = request_commentary(open_engine, CYCLE, subject, "lead", by="performance")
    status = cycle_status(open_engine, CYCLE)
    assert [(w.id, w.subject, w.owner) for w in status.awaiting_commentary] == [(number, subject, "lead")]
    report = build_board_report(open_engine, "kent-forum", CYCLE)
    item = next(i for i in report.exception_items if i.key == subject)
    assert item.awaiting == ["lead"] and item.commentary == []
    assert report.awaiting == ["lead"]
    with pytest.raises(Conflict):  # the same owner is not asked twice for the same exception
        request_commentary(open_engine, CYCLE, subject, "lead", by="performance")


def test_the_owner_writes_the_structured_story_and_the_chairs_delegate_approves(open_engine: Engine) -> None:
    subject = _subject(open_engine)
    number = request_commentary(open_engine, CYCLE, subject, "lead", by="performance")
    parts = {
        "story": "Fewer looked-after children sat GCSEs this year.",
        "partners": "Virtual school, foster carers",
        "what_works": "Personal education plans reviewed termly",
        "proposal": "Extend tutoring to Year 10",
    }
    with pytest.raises(Forbidden):  # asked of "lead", not of someone else
        write_commentary(open_engine, number, parts, by=Operator("someone-else", role="lead_officer"))
    with pytest.raises(InvalidInput) as missing:
        write_commentary(open_engine, number, {"partners": "x"}, by="lead")
    assert missing.value.problems[0].field == "story"
    write_commentary(open_engine, number, parts, by=Operator("lead", role="lead_officer"))  # the owner, a lead officer
    assert cycle_status(open_engine, CYCLE).awaiting_commentary == []
    with pytest.raises(Forbidden):  # neither the chair nor a delegate
        decide_story(open_engine, number, "kent-forum", by="performance")
    delegate_approval(open_engine, "kent-forum", "vice-chair", by="performance")
    decide_story(open_engine, number, "kent-forum", by="vice-chair")
    report = build_board_report(open_engine, "kent-forum", CYCLE)
    item = next(i for i in report.exception_items if i.key == subject)
    assert item.awaiting == []
    [entry] = item.commentary
    assert entry.status == "approved" and entry.decided_by == "vice-chair" and entry.author == "lead"
    assert entry.parts == [
        ("What is happening and why", parts["story"]),
        ("Partners with a role to play", parts["partners"]),
        ("What works", parts["what_works"]),
        ("What we propose", parts["proposal"]),
    ]
    with session_scope(open_engine) as session:
        actions = list(session.scalars(select(AuditRow.action).where(AuditRow.entity == f"commentary:{number}")))
    assert actions == ["commentary.request", "commentary.write", "commentary.decide"]


def test_the_frozen_paper_keeps_the_approved_story_and_refuses_changes(forum_open_engine: Engine) -> None:
    subject = _subject(forum_open_engine)
    number = request_commentary(forum_open_engine, CYCLE, subject, "lead", by="performance")
    write_commentary(forum_open_engine, number, {"story": "Why it happened"}, by="lead")
    other = request_commentary(forum_open_engine, CYCLE, subject, "analyst", by="performance")
    close_cycle(forum_open_engine, CYCLE, by="tests")
    report = build_board_report(forum_open_engine, "kent-forum", CYCLE)
    item = next(i for i in report.exception_items if i.key == subject)
    assert [c.parts for c in item.commentary] == [[("What is happening and why", "Why it happened")]]
    assert item.awaiting == ["analyst"]  # the frozen paper says who never wrote theirs
    with pytest.raises(Conflict):
        write_commentary(forum_open_engine, other, {"story": "too late"}, by="analyst")
    with pytest.raises(Conflict):
        request_commentary(forum_open_engine, CYCLE, subject, "lead", by="performance")


def test_bad_requests_name_the_field(open_engine: Engine) -> None:
    with pytest.raises(InvalidInput) as bad:
        request_commentary(open_engine, CYCLE, "widget:1", "lead", by="performance")
    assert bad.value.problems[0].field == "subject"
    with pytest.raises(InvalidInput) as unknown:
        request_commentary(open_engine, CYCLE, "indicator:NO-SUCH", "lead", by="performance")
    assert "no indicator 'NO-SUCH'" in unknown.value.problems[0].message
    with pytest.raises(NotFound):
        write_commentary(open_engine, 999_999, {"story": "x"}, by="lead")
    with pytest.raises(Forbidden):  # a lead officer does not ask for commentary
        request_commentary(open_engine, CYCLE, "indicator:x", "lead", by=Operator("lead", role="lead_officer"))


def test_the_performance_officer_who_asked_cannot_approve_the_story_themselves(forum_open_engine: Engine) -> None:
    """The older report-page decision (plain commentary, performance officers) does not reach requested stories:
    the chair or a delegate decides those, and the refusal changes nothing."""
    engine = forum_open_engine
    number = request_commentary(engine, CYCLE, _subject(engine), "lead", by="performance")
    write_commentary(engine, number, {"story": "Why it happened"}, by="lead")
    with pytest.raises(Forbidden) as refused:
        decide_commentary(engine, number, "approved", by="performance")
    assert "chair" in refused.value.message
    report = build_board_report(engine, "kent-forum", CYCLE)
    assert {c.status for i in report.exception_items for c in i.commentary if c.id == number} == {"draft"}
    plain = add_commentary(engine, CYCLE, "report", "kent-forum", "The board's own note", by="performance")
    decide_commentary(engine, plain, "approved", by="performance")  # plain commentary: as before
