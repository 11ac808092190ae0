"""Commentary and approval: what performance officers write in a cycle, and the chair's decision.

Performance officers write commentary per indicator, outcome, KPQ or whole report while a cycle is open;
it is approved or rejected there and frozen with the reports when the cycle closes. A board's chair — or
someone the chair delegated to — then approves (or rejects) the frozen report; only an approved report
can be published (:mod:`gapwatch.services.publishing`), and the approval names the SHA-256 of the version
it approved. Once the report is published its approval is frozen: nobody — chair or delegate — can turn it
into a rejection afterwards, since the public already has the report. Taking a publication down is its own
decision, :func:`withdraw_publication`, made by a performance officer with a reason that /public shows.

Each function takes who acts (``by``: a signed-in user, or a name standing for an operator at the command
line), checks it against :mod:`gapwatch.domain.access` and writes its audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from gapwatch.services._plan import current_plan
from gapwatch.services.cycles import cycle_row, find_board
from gapwatch.services.report_data import ApprovalInfo
from gapwatch.store.accounts import get_user
from gapwatch.store.audit import AuditRow, record_audit
from gapwatch.store.cycles import (
    ApprovalDelegateRow,
    CommentaryRow,
    CycleRow,
    PublicationRow,
    ReportApprovalRow,
    SnapshotRow,
)
from gapwatch.store.engine import session_scope

__all__ = [
    "COMMENTARY_KINDS",
    "MAX_WITHDRAWAL_REASON",
    "Withdrawal",
    "add_commentary",
    "approve_report",
    "decide_commentary",
    "delegate_approval",
    "withdraw_publication",
]

COMMENTARY_KINDS: tuple[str, ...] = ("indicator", "outcome", "kpq", "report")
_COMMENTARY_STATUSES = ("draft", "approved", "rejected")
_MAX_COMMENTARY = 5000
#: Longest reason for a withdrawal that /public shows.
MAX_WITHDRAWAL_REASON = 2000


def _now() -> datetime:
    return datetime.now(UTC)


def add_commentary(
    engine: Engine,
    cycle: str | None,
    subject_kind: str,
    subject_id: str,
    text: str,
    *,
    by: Actor | str,
    author: str | None = None,
) -> int:
    """Write commentary on an indicator, outcome, KPQ or the report ("report", board id) in an open cycle.

    ``by`` needs :attr:`~gapwatch.domain.access.Permission.COMMENT`; ``author`` is the name the report shows
    (default: ``by``'s username).
    """
    who = as_actor(by)
    ensure_may(who, Permission.COMMENT, doing="write commentary")
    problems = []
    if subject_kind not in COMMENTARY_KINDS:
        problems.append(Problem(f"must be one of {', '.join(COMMENTARY_KINDS)}", field="subject_kind"))
    if not text.strip():
        problems.append(Problem("commentary is empty", field="text"))
    elif len(text) > _MAX_COMMENTARY:
        problems.append(Problem(f"commentary is longer than {_MAX_COMMENTARY} characters", field="text"))
    with session_scope(engine) as session:
        plan = current_plan(session)
        known: set[str] = set(
            {
                "indicator": list(plan.indicators),
                "outcome": list(plan.outcomes),
                "kpq": [k.id for k in plan.framework.kpqs],
                "report": list(plan.boards),
            }.get(subject_kind, [])
        )
        if subject_kind in COMMENTARY_KINDS and subject_id not in known:
            problems.append(Problem(f"there is no {subject_kind} '{subject_id}'", field="subject_id"))
        if problems:
            raise InvalidInput("The commentary cannot be saved", problems=problems)
        row = cycle_row(session, plan, cycle)
        if row.status != "open":
            raise Conflict(f"Reporting cycle '{row.name}' is closed: its commentary is frozen")
        entry = CommentaryRow(
            cycle_pk=row.pk,
            subject_kind=subject_kind,
            subject_id=subject_id,
            text=text.strip(),
            author=author or who.username,
        )
        session.add(entry)
        session.flush()
        written = {"cycle": row.name, "subject": f"{subject_kind}:{subject_id}", "text": entry.text}
        record_audit(session, who, "commentary.create", f"commentary:{entry.pk}", None, written)
        return entry.pk


def decide_commentary(engine: Engine, commentary_id: int, status: str, *, by: Actor | str) -> None:
    """Approve or reject a piece of commentary before the cycle closes (performance officers, admins)."""
    who = as_actor(by)
    ensure_may(who, Permission.MANAGE_DATA, doing="decide on commentary")
    if status not in _COMMENTARY_STATUSES:
        raise InvalidInput(f"Commentary status must be one of {', '.join(_COMMENTARY_STATUSES)}")
    with session_scope(engine) as session:
        entry = session.get(CommentaryRow, commentary_id)
        if entry is None:
            raise NotFound(f"There is no commentary {commentary_id}")
        cycle = session.get(CycleRow, entry.cycle_pk)
        if cycle is not None and cycle.status != "open":
            raise Conflict(f"Reporting cycle '{cycle.name}' is closed: its commentary is frozen")
        if _was_requested(session, entry.pk):
            # The story behind an exception was asked of its owner: the board's chair (or a delegate) decides
            # it (services.comments.decide_story), not the performance officer who asked for it.
            raise Forbidden(
                f"Commentary {commentary_id} was asked of {entry.author}: only the board's chair or a delegated "
                "approver may approve or reject it",
                hint=f"The chair decides it on /commentary/{commentary_id} or with `gapwatch cycle "
                "commentary-approve`.",
            )
        before = {"status": entry.status}
        entry.status, entry.decided_by, entry.decided_at = status, who.username, _now()
        record_audit(session, who, "commentary.decide", f"commentary:{entry.pk}", before, {"status": status})


def _was_requested(session: Session, commentary_pk: int) -> bool:
    """Whether the commentary was asked for through the request workflow (its audit trail says so)."""
    found = session.scalar(
        select(AuditRow.pk).where(
            AuditRow.entity == f"commentary:{commentary_pk}", AuditRow.action == "commentary.request"
        )
    )
    return found is not None


def delegate_approval(engine: Engine, board: str, username: str, *, by: Actor | str) -> None:
    """Let ``username`` approve ``board``'s reports on the chair's behalf (performance officers, admins)."""
    who = as_actor(by)
    ensure_may(who, Permission.MANAGE_DATA, doing="delegate approval")
    with session_scope(engine) as session:
        plan = current_plan(session)
        found = find_board(plan, board)
        exists = session.scalar(
            select(ApprovalDelegateRow).where(
                ApprovalDelegateRow.framework_pk == plan.pk,
                ApprovalDelegateRow.board_id == found.id,
                ApprovalDelegateRow.username == username,
            )
        )
        if exists is None:
            session.add(
                ApprovalDelegateRow(framework_pk=plan.pk, board_id=found.id, username=username, granted_by=who.username)
            )
            record_audit(session, who, "approval.delegate", f"board:{found.id}", None, {"delegate": username})


def approve_report(
    engine: Engine,
    cycle: str | None,
    board: str,
    *,
    by: Actor | str,
    approve: bool = True,
    note: str | None = None,
) -> ApprovalInfo:
    """Record the chair's (or a delegate's) decision on a board's frozen report, audited with it.

    Only the board's chair (matched by ``by``'s person, or — for a name given at the command line — by the
    person the account of that name is linked to) or a delegate (by username) may decide; the cycle must be
    closed, since a board approves the report it will publish, not a moving draft.
    """
    who = as_actor(by)
    username = who.username
    with session_scope(engine) as session:
        plan = current_plan(session)
        person_id = who.person_id
        if isinstance(by, str):
            account = get_user(session, username)
            person_id = account.person_id if account is not None else None
        row = cycle_row(session, plan, cycle)
        found = find_board(plan, board)
        delegated = session.scalar(
            select(ApprovalDelegateRow).where(
                ApprovalDelegateRow.framework_pk == plan.pk,
                ApprovalDelegateRow.board_id == found.id,
                ApprovalDelegateRow.username == username,
            )
        )
        is_chair = person_id is not None and person_id == found.chair
        if not is_chair and delegated is None:
            chair = plan.person_name(found.chair) or "its chair"
            raise Forbidden(
                f"Only {chair} or a delegated approver may approve the {found.name} report",
                hint="The chair can delegate approval with `gapwatch cycle delegate`.",
            )
        if row.status != "closed":
            raise Conflict(
                f"Reporting cycle '{row.name}' is still open: close it to freeze the reports before approval"
            )
        snap = session.scalar(
            select(SnapshotRow).where(SnapshotRow.cycle_pk == row.pk, SnapshotRow.board_id == found.id)
        )
        if snap is None:
            raise InvalidInput(f"Board '{found.name}' was not in the scope of cycle '{row.name}'")
        existing = session.scalar(
            select(ReportApprovalRow).where(
                ReportApprovalRow.cycle_pk == row.pk, ReportApprovalRow.board_id == found.id
            )
        )
        published = _publication_row(session, row, found.id)
        if published is not None:
            raise Conflict(
                f"The {found.name} report for {row.name} was published on {published.published_at:%Y-%m-%d}: "
                "its approval is frozen and cannot be changed",
                hint="A performance officer can withdraw the publication (`gapwatch withdraw`), with a reason.",
            )
        status = "approved" if approve else "rejected"
        if existing is None:
            existing = ReportApprovalRow(
                cycle_pk=row.pk,
                board_id=found.id,
                status=status,
                decided_by=username,
                snapshot_sha256=snap.sha256,
                note=note,
                decided_at=_now(),
            )
            session.add(existing)
        else:
            existing.status, existing.decided_by, existing.decided_at = status, username, _now()
            existing.snapshot_sha256, existing.note = snap.sha256, note
        session.flush()
        decision = {"status": status, "snapshot_sha256": snap.sha256, "note": note}
        record_audit(
            session, who, f"report.{'approve' if approve else 'reject'}", _report(row, found.id), None, decision
        )
        return ApprovalInfo(status=status, approved_by=username, approved_at=existing.decided_at, note=note)


@dataclass(frozen=True)
class Withdrawal:
    """A publication taken down from /public: which report, when, by whom (username and role), and why."""

    cycle: str
    board: str
    board_name: str
    withdrawn_at: datetime
    withdrawn_by: str
    withdrawn_role: str
    reason: str


def withdraw_publication(engine: Engine, cycle: str | None, board: str, reason: str, *, by: Actor | str) -> Withdrawal:
    """Take a published report off /public, with a reason the public site shows beside the date.

    ``by`` needs :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA` (as publishing does). The publication's
    record stays — the report, its open data and its disclosure-control pattern remain on file, so what was
    once public is still known when the next report is published — and /public says it was withdrawn, when,
    by whom (by role: officers' names stay inside) and why. Audited as ``report.withdraw`` in the same
    transaction. Refused (:class:`Conflict`) when already withdrawn; :class:`NotFound` when never published.
    """
    who = as_actor(by)
    ensure_may(who, Permission.MANAGE_DATA, doing="withdraw a publication")
    text = reason.strip()
    if not text:
        raise InvalidInput(
            "Give the reason for the withdrawal", problems=[Problem("the reason is empty", field="reason")]
        )
    if len(text) > MAX_WITHDRAWAL_REASON:
        raise InvalidInput(
            "The reason is too long",
            problems=[Problem(f"the reason is longer than {MAX_WITHDRAWAL_REASON} characters", field="reason")],
        )
    with session_scope(engine) as session:
        plan = current_plan(session)
        row = cycle_row(session, plan, cycle)
        found = find_board(plan, board)
        pub = _publication_row(session, row, found.id)
        if pub is None:
            raise NotFound(f"The {found.name} report for {row.name} has not been published")
        if pub.withdrawn_at is not None:
            raise Conflict(
                f"The {found.name} report for {row.name} was already withdrawn on {pub.withdrawn_at:%Y-%m-%d}"
            )
        pub.withdrawn_at, pub.withdrawn_by, pub.withdrawn_role = _now(), who.username, str(who.role)
        pub.withdrawal_reason = text
        session.flush()
        record_audit(
            session,
            who,
            "report.withdraw",
            _report(row, found.id),
            {"published_at": pub.published_at.isoformat(), "published_by": pub.published_by},
            {"withdrawn_at": pub.withdrawn_at.isoformat(), "reason": text},
        )
        return Withdrawal(row.name, found.id, found.name, pub.withdrawn_at, who.username, str(who.role), text)


def _publication_row(session: Session, cycle: CycleRow, board_id: str) -> PublicationRow | None:
    return session.scalar(
        select(PublicationRow).where(PublicationRow.cycle_pk == cycle.pk, PublicationRow.board_id == board_id)
    )


def _report(cycle: CycleRow, board_id: str) -> str:
    """How the audit log names a board's report in a cycle."""
    return f"report:{cycle.name}/{board_id}"
