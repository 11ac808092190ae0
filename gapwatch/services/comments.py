"""Comments on the plan's items, and commentary on a cycle's exceptions as a workflow.

Comments (on an indicator, an action, a risk): board members, performance officers and admins comment
(:attr:`~gapwatch.domain.access.Permission.COMMENT`); a comment and its audit entry are written in the
caller's transaction, whichever page or command asked.

Commentary on the board paper's exceptions, as Clear Impact's "turn the curve" asks for it: the performance
officer **requests** it from a named owner (:func:`request_commentary`); the owner **writes** it in the
structured form — what is happening and why, partners, what works, what we propose
(:func:`write_commentary`); the board's chair or a delegate **approves** or rejects it
(:func:`decide_story`). Until written, the cycle status and the paper list it as "awaiting commentary from
…" (:func:`awaiting_commentary`). Each step is audited in its own transaction and refused once the cycle
has closed (its commentary is frozen with its reports). Rows live in ``report_commentary``: a request is a
row with status "requested" and the owner as its author; the structured parts are kept as JSON in its text
(:func:`gapwatch.services.report_data.story_parts` reads them back).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may, may
from gapwatch.domain.partnership import Board
from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.cycles import AwaitedCommentary, awaiting_commentary, cycle_row, find_board
from gapwatch.services.report_data import STORY_PARTS, story_values
from gapwatch.store.accounts import get_user
from gapwatch.store.audit import record_audit
from gapwatch.store.cycles import ApprovalDelegateRow, CommentaryRow, CycleRow
from gapwatch.store.engine import session_scope
from gapwatch.store.progress import CommentRow, risk_states
from gapwatch.store.progress import add_comment as _store_comment
from gapwatch.store.progress import comments as _stored_comments

__all__ = [
    "COMMENT_KINDS",
    "MAX_COMMENT",
    "MAX_PART",
    "STORY_KINDS",
    "AwaitedCommentary",
    "CommentRow",
    "CommentaryRequest",
    "add_comment",
    "asked_of",
    "awaiting_commentary",
    "commentary_request",
    "commentary_requests",
    "comments_on",
    "decide_story",
    "deciding_boards",
    "subject_title",
    "request_commentary",
    "write_commentary",
]

#: What can be commented on.
COMMENT_KINDS: tuple[str, ...] = ("indicator", "action", "risk")
#: The longest comment accepted, in characters.
MAX_COMMENT = 2000


def _check_item(session: Session, plan: Plan, kind: str, item_id: str) -> None:
    """Raise :class:`NotFound` unless ``kind`` is known and the plan has an item ``item_id`` of that kind."""
    if kind not in COMMENT_KINDS:
        raise NotFound(f"Comments cannot be added to a {kind}", hint=f"Comment on: {', '.join(COMMENT_KINDS)}")
    if kind == "indicator":
        known = item_id in plan.indicators
    elif kind == "action":
        known = item_id in plan.actions
    else:
        known = item_id in {r.id for r in plan.framework.risks} or item_id in risk_states(session, plan.pk)
    if not known:
        raise NotFound(f"There is no {kind} '{item_id}' in the plan")


def add_comment(session: Session, actor: Actor, kind: str, item_id: str, body: str) -> CommentRow:
    """Add ``actor``'s comment on an indicator, action or risk, with its audit entry; the caller commits.

    Raises :class:`Forbidden` (the actor's role does not comment), :class:`NotFound` (no such item) or
    :class:`InvalidInput` (empty or too long, named by the form's ``comment`` field).
    """
    ensure_may(actor, Permission.COMMENT, doing="comment")
    plan = current_plan(session)
    _check_item(session, plan, kind, item_id)
    text = body.strip()
    if not text:
        problem = Problem("Enter a comment", field="comment")
    elif len(text) > MAX_COMMENT:
        problem = Problem(f"Comment must be {MAX_COMMENT} characters or fewer", field="comment")
    else:
        problem = None
    if problem is not None:
        raise InvalidInput("There is a problem with the comment", problems=[problem])
    row = _store_comment(session, plan.pk, kind, item_id, text, actor.username)
    record_audit(session, actor, "comment.create", f"{kind}:{item_id}", None, {"comment": row.body})
    return row


def comments_on(session: Session, kind: str, item_id: str) -> list[CommentRow]:
    """The comments on an item, oldest first (a conversation reads top to bottom)."""
    return _stored_comments(session, current_plan(session).pk, kind, item_id)


#: What commentary can be requested on: the paper's exceptions (indicators, actions, risks) and the rest.
STORY_KINDS: tuple[str, ...] = ("indicator", "action", "risk", "outcome", "kpq", "report")
#: The longest part of a structured commentary, in characters.
MAX_PART = 2000


def _known(plan: Plan, session: Session, kind: str, item_id: str) -> bool:
    if kind == "indicator":
        return item_id in plan.indicators
    if kind == "action":
        return item_id in plan.actions
    if kind == "risk":
        return item_id in {r.id for r in plan.framework.risks} or item_id in risk_states(session, plan.pk)
    if kind == "outcome":
        return item_id in plan.outcomes
    if kind == "kpq":
        return item_id in {k.id for k in plan.framework.kpqs}
    return item_id in plan.boards


def _open_cycle(session: Session, plan: Plan, cycle: str | None) -> CycleRow:
    row = cycle_row(session, plan, cycle)
    if row.status != "open":
        raise Conflict(f"Reporting cycle '{row.name}' is closed: its commentary is frozen with its reports")
    return row


def request_commentary(engine: Engine, cycle: str | None, subject: str, owner: str, *, by: Actor | str) -> int:
    """Ask ``owner`` (a username or a person's name) for commentary on ``subject`` ("indicator:NI-75",
    "action:A1", "risk:R-1", …) in the open ``cycle``; returns the request's number. Performance officers."""
    who = as_actor(by)
    ensure_may(who, Permission.MANAGE_DATA, doing="request commentary")
    kind, _, item_id = subject.partition(":")
    problems = []
    if kind not in STORY_KINDS or not item_id:
        problems.append(
            Problem(f"give the subject as KIND:ID with KIND one of {', '.join(STORY_KINDS)}", field="subject")
        )
    if not owner.strip():
        problems.append(Problem("name the owner asked for the commentary", field="owner"))
    with session_scope(engine) as session:
        plan = current_plan(session)
        if not problems and not _known(plan, session, kind, item_id):
            problems.append(Problem(f"there is no {kind} '{item_id}' in the plan", field="subject"))
        if problems:
            raise InvalidInput("The commentary cannot be requested", problems=problems)
        row = _open_cycle(session, plan, cycle)
        pending = session.scalar(
            select(CommentaryRow).where(
                CommentaryRow.cycle_pk == row.pk,
                CommentaryRow.subject_kind == kind,
                CommentaryRow.subject_id == item_id,
                CommentaryRow.author == owner.strip(),
                CommentaryRow.status == "requested",
            )
        )
        if pending is not None:
            raise Conflict(f"{owner.strip()} has already been asked for commentary on {subject} (request {pending.pk})")
        entry = CommentaryRow(
            cycle_pk=row.pk, subject_kind=kind, subject_id=item_id, text="", author=owner.strip(), status="requested"
        )
        session.add(entry)
        session.flush()
        asked = {"cycle": row.name, "subject": subject, "owner": entry.author}
        record_audit(session, who, "commentary.request", f"commentary:{entry.pk}", None, asked)
        return entry.pk


def write_commentary(engine: Engine, commentary_id: int, parts: dict[str, str], *, by: Actor | str) -> None:
    """The owner's structured commentary (``parts``: story, partners, what_works, proposal) on a request.

    Only the owner asked (matched by username) or a performance officer may write it; the story is required,
    every part at most :data:`MAX_PART` characters. It then awaits the chair's approval (status "draft").
    """
    who = as_actor(by)
    known = {key for key, _ in STORY_PARTS}
    clean = {key: (parts.get(key) or "").strip() for key in known}
    problems = [Problem(f"'{key}' is not a part of the commentary", field=key) for key in parts if key not in known]
    if not clean["story"]:
        problems.append(Problem("write what is happening and why", field="story"))
    problems += [
        Problem(f"must be {MAX_PART} characters or fewer", field=key)
        for key, text in clean.items()
        if len(text) > MAX_PART
    ]
    if problems:
        raise InvalidInput("There is a problem with the commentary", problems=problems)
    with session_scope(engine) as session:
        entry = session.get(CommentaryRow, commentary_id)
        if entry is None:
            raise NotFound(f"There is no commentary request {commentary_id}")
        if entry.author != who.username and not may(who, Permission.MANAGE_DATA):
            raise Forbidden(f"Commentary request {commentary_id} was made to {entry.author}, not to you")
        cycle = session.get(CycleRow, entry.cycle_pk)
        if cycle is not None and cycle.status != "open":
            raise Conflict(f"Reporting cycle '{cycle.name}' is closed: its commentary is frozen with its reports")
        before = {"status": entry.status, "text": entry.text}
        text = json.dumps({key: clean[key] for key, _ in STORY_PARTS if clean[key]}, ensure_ascii=False)
        entry.text, entry.status, entry.written_at = text, "draft", datetime.now(UTC)
        entry.decided_by = entry.decided_at = None
        record_audit(session, who, "commentary.write", f"commentary:{entry.pk}", before, {"status": "draft"})


def decide_story(engine: Engine, commentary_id: int, board: str, *, by: Actor | str, approve: bool = True) -> None:
    """The chair of ``board`` (or a delegate) approves or rejects written commentary while the cycle is open."""
    who = as_actor(by)
    with session_scope(engine) as session:
        plan = current_plan(session)
        found = find_board(plan, board)
        if not _decides(session, plan, found, by):
            chair = plan.person_name(found.chair) or "its chair"
            raise Forbidden(f"Only {chair} or a delegated approver may approve commentary for {found.name}")
        entry = session.get(CommentaryRow, commentary_id)
        if entry is None:
            raise NotFound(f"There is no commentary {commentary_id}")
        cycle = session.get(CycleRow, entry.cycle_pk)
        if cycle is not None and cycle.status != "open":
            raise Conflict(f"Reporting cycle '{cycle.name}' is closed: its commentary is frozen with its reports")
        if cycle is not None and found.id not in cycle.boards:
            raise InvalidInput(f"Board '{found.name}' is not in the scope of cycle '{cycle.name}'")
        if entry.status == "requested":
            raise Conflict(f"Commentary {commentary_id} has not been written yet: {entry.author} was asked for it")
        status = "approved" if approve else "rejected"
        before = {"status": entry.status}
        entry.status, entry.decided_by, entry.decided_at = status, who.username, datetime.now(UTC)
        record_audit(session, who, "commentary.decide", f"commentary:{entry.pk}", before, {"status": status})


def _decides(session: Session, plan: Plan, board: Board, by: Actor | str) -> bool:
    """The one rule for who decides on commentary for ``board``: its chair (the framework person the account
    stands for) or someone the chair delegated approval to. A bare name is looked up as an account."""
    who = as_actor(by)
    person_id = who.person_id
    if isinstance(by, str):
        account = get_user(session, who.username)
        person_id = account.person_id if account is not None else None
    if person_id is not None and person_id == board.chair:
        return True
    delegated = session.scalar(
        select(ApprovalDelegateRow).where(
            ApprovalDelegateRow.framework_pk == plan.pk,
            ApprovalDelegateRow.board_id == board.id,
            ApprovalDelegateRow.username == who.username,
        )
    )
    return delegated is not None


@dataclass(frozen=True)
class CommentaryRequest:
    """One piece of commentary in a cycle as the commentary pages list it: what it is on, who was asked,
    where it stands ("requested", "draft", "approved", "rejected") and what was written, part by part."""

    id: int
    cycle: str
    cycle_open: bool
    subject_kind: str
    subject_id: str
    title: str  #: the subject as a reader knows it ("NI 75: Achievement of 5 or more A*-C grades …")
    owner: str  #: the username asked (or, for commentary written without a request, its author)
    status: str
    changed_at: datetime  #: when it was asked for, or when it was last written
    values: dict[str, str]  #: part key -> text, for the write form (empty while only requested)
    parts: tuple[tuple[str, str], ...]  #: (heading, text) of each part written, in STORY_PARTS order
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def subject(self) -> str:
        """The subject as the workflow names it ("indicator:NI75")."""
        return f"{self.subject_kind}:{self.subject_id}"


def subject_title(plan: Plan, kind: str, item_id: str) -> str:
    """What commentary is on, in words: the indicator's code and title, the action's number and text, ….
    An item no longer in the plan keeps its id (commentary outlives a framework revision)."""
    if kind == "indicator" and item_id in plan.indicators:
        indicator = plan.indicators[item_id]
        return f"{indicator.code}: {indicator.title}"
    if kind == "action" and item_id in plan.actions:
        action = plan.actions[item_id]
        return f"Action {action.number}: {action.text}"
    if kind == "outcome" and item_id in plan.outcomes:
        outcome = plan.outcomes[item_id]
        return f"{outcome.code} {outcome.title}"
    if kind == "risk":
        risk = next((r for r in plan.framework.risks if r.id == item_id), None)
        return f"Risk: {risk.title}" if risk is not None else f"Risk {item_id}"
    if kind == "kpq":
        kpq = next((k for k in plan.framework.kpqs if k.id == item_id), None)
        return f"{kpq.id}: {kpq.question}" if kpq is not None else f"KPQ {item_id}"
    if kind == "report" and item_id in plan.boards:
        return f"The report to {plan.boards[item_id].name} as a whole"
    return f"{kind} {item_id}"


def _values(text: str) -> dict[str, str]:
    """The written parts by key (plain text, written before commentary was structured, is the story)."""
    return story_values(text)


def _request_of(plan: Plan, cycle: CycleRow, row: CommentaryRow) -> CommentaryRequest:
    values = _values(row.text)
    return CommentaryRequest(
        id=row.pk,
        cycle=cycle.name,
        cycle_open=cycle.status == "open",
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        title=subject_title(plan, row.subject_kind, row.subject_id),
        owner=row.author,
        status=row.status,
        changed_at=row.written_at,
        values=values,
        parts=tuple((head, values[key]) for key, head in STORY_PARTS if values.get(key)),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def commentary_requests(engine: Engine, cycle: str | None) -> list[CommentaryRequest]:
    """Every piece of commentary in ``cycle`` (the latest when None), oldest first, whatever its status."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        row = cycle_row(session, plan, cycle)
        entries = session.scalars(
            select(CommentaryRow).where(CommentaryRow.cycle_pk == row.pk).order_by(CommentaryRow.pk)
        )
        return [_request_of(plan, row, entry) for entry in entries]


def commentary_request(engine: Engine, commentary_id: int) -> CommentaryRequest:
    """One piece of commentary by its number, or :class:`NotFound`."""
    with session_scope(engine) as session:
        entry = session.get(CommentaryRow, commentary_id)
        cycle = session.get(CycleRow, entry.cycle_pk) if entry is not None else None
        if entry is None or cycle is None:
            raise NotFound(f"There is no commentary request {commentary_id}")
        return _request_of(current_plan(session), cycle, entry)


def asked_of(engine: Engine, username: str) -> list[CommentaryRequest]:
    """The commentary ``username`` has been asked for, in every cycle: open cycles first, then oldest first
    (what the owner's "Commentary you have been asked for" lists; matched as :func:`write_commentary` does)."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        rows = session.execute(
            select(CommentaryRow, CycleRow)
            .join(CycleRow, CycleRow.pk == CommentaryRow.cycle_pk)
            .where(CycleRow.framework_pk == plan.pk, CommentaryRow.author == username)
            .order_by(CommentaryRow.pk)
        ).all()
        found = [_request_of(plan, cycle, entry) for entry, cycle in rows]
        return sorted(found, key=lambda r: not r.cycle_open)


def deciding_boards(engine: Engine, cycle: str | None, by: Actor | str) -> list[Board]:
    """The boards in ``cycle``'s scope whose commentary ``by`` may approve or reject (:func:`decide_story`'s
    rule: the chair, or a delegate); empty for everyone else."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        row = cycle_row(session, plan, cycle)
        boards = [plan.boards[b] for b in row.boards if b in plan.boards]
        return [b for b in boards if _decides(session, plan, b, by)]
