"""The reporting cycle: open it, see what is missing, close it (freezing every board's report), approve.

A cycle ("2011 H2") has a data cut-off date, a deadline for lead officers' action updates and a scope:
the boards that receive a report in it. Opening a cycle lists the actions with no update since the
cycle began and the indicators whose latest value is older than their frequency allows. Closing it
computes each board's report (:class:`~gapwatch.services.report_data.ReportData`) and stores it as
JSON with its SHA-256: from then on :func:`snapshot` returns exactly that report, whatever happens to
the data afterwards (revised imports, rolled-back batches, new action updates). Closing twice is
refused with :class:`Conflict`; a board with nothing in scope is refused with :class:`InvalidInput`.

Commentary (per indicator, outcome, KPQ or report) is written while a cycle is open and frozen with it;
a board's chair — or someone the chair delegated to — approves the frozen report, and only an approved
report can be published (:mod:`gapwatch.services.publishing`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.domain.cycle import CycleWindow
from gapwatch.domain.partnership import Board
from gapwatch.errors import Conflict, InvalidInput, NotFound, Problem
from gapwatch.services._obsframe import keep_whole_frame
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services._reportbuild import build_report
from gapwatch.services.report_data import ApprovalInfo, ReportData
from gapwatch.services.scope import StaleIndicator, board_has_scope, stale_indicators
from gapwatch.store.audit import record_audit
from gapwatch.store.cycles import (
    CommentaryRow,
    CycleRow,
    ReportApprovalRow,
    SnapshotRow,
    get_cycle,
    latest_cycle,
    list_cycles,
    mark_closed,
)
from gapwatch.store.engine import session_scope
from gapwatch.store.progress import action_states

__all__ = [
    "CycleStatus",
    "AwaitedCommentary",
    "MissingUpdate",
    "PaperFile",
    "StaleIndicator",
    "awaiting_commentary",
    "close_cycle",
    "current_window",
    "cycle_status",
    "cycle_status_or_none",
    "cycle_row",
    "cycle_window",
    "find_board",
    "frozen_digest",
    "list_cycle_names",
    "open_cycle",
    "paper_file",
    "snapshot",
    "store_paper",
]


@dataclass(frozen=True)
class MissingUpdate:
    """An action in a cycle's scope with no update since the cycle began."""

    action: str
    number: str
    text: str
    lead_officer: str | None
    last_update: datetime | None


@dataclass(frozen=True)
class AwaitedCommentary:
    """Commentary requested from an owner who has not written it yet (:mod:`gapwatch.services.comments`)."""

    id: int
    subject: str  #: "indicator:NI-75"
    owner: str
    requested_at: datetime


def awaiting_commentary(session: Session, cycle: CycleRow) -> list[AwaitedCommentary]:
    """Commentary requested in ``cycle`` and not yet written, oldest request first."""
    rows = session.scalars(
        select(CommentaryRow)
        .where(CommentaryRow.cycle_pk == cycle.pk, CommentaryRow.status == "requested")
        .order_by(CommentaryRow.pk)
    )
    return [
        AwaitedCommentary(
            id=r.pk, subject=f"{r.subject_kind}:{r.subject_id}", owner=r.author, requested_at=r.written_at
        )
        for r in rows
    ]


@dataclass
class CycleStatus:
    """Where a cycle stands: scope, missing updates, stale indicators, snapshots and approvals."""

    name: str
    status: str
    data_cutoff: date
    action_deadline: date
    boards: list[str]
    opened_at: datetime | None
    closed_at: datetime | None
    missing_updates: list[MissingUpdate] = field(default_factory=list)
    stale: list[StaleIndicator] = field(default_factory=list)
    approvals: dict[str, str] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)
    awaiting_commentary: list[AwaitedCommentary] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def find_board(plan: Plan, board: str) -> Board:
    """A board by id or by name (case-insensitive), or :class:`NotFound` listing the boards."""
    if board in plan.boards:
        return plan.boards[board]
    wanted = board.strip().casefold()
    for candidate in plan.boards.values():
        if candidate.name.casefold() == wanted or candidate.name.casefold().startswith(wanted + " "):
            return candidate
    names = ", ".join(f"{b.id} ({b.name})" for b in plan.boards.values())
    raise NotFound(f"There is no board '{board}'", hint=f"Boards: {names}")


def _scope(plan: Plan, boards: Sequence[str] | None) -> list[str]:
    """Board ids in scope: the named ones (each must have something to report on) or all that do."""
    if not boards:
        return [b.id for b in plan.boards.values() if board_has_scope(plan, b)]
    problems = []
    ids = []
    for name in boards:
        found = find_board(plan, name)
        if not board_has_scope(plan, found):
            problems.append(
                Problem(
                    f"board '{found.name}' oversees no ambition, priority, plan or area, so it has no report",
                    field="boards",
                )
            )
        elif found.id not in ids:
            ids.append(found.id)
    if problems:
        raise InvalidInput("A board in the cycle's scope has nothing to report on", problems=problems)
    return ids


def _missing_updates(session: Session, plan: Plan, cycle: CycleRow) -> list[MissingUpdate]:
    states = action_states(session, plan.pk)
    boards = [plan.boards[b] for b in cycle.boards if b in plan.boards]
    window = CycleWindow.for_cycle(cycle)  # the same window the actions pages and the report judge in
    missing = []
    for action in plan.actions.values():
        if not any(plan.board_covers_action(b, action) for b in boards):
            continue
        state = states.get(action.id)
        last = state.updated_at if state else None
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        if not window.updated_this_cycle(last):
            missing.append(
                MissingUpdate(
                    action=action.id,
                    number=action.number,
                    text=action.text,
                    lead_officer=plan.person_name(state.lead_officer if state else action.lead_officer),
                    last_update=last,
                )
            )
    return missing


def _status(session: Session, plan: Plan, cycle: CycleRow) -> CycleStatus:
    approvals = {
        r.board_id: r.status
        for r in session.scalars(select(ReportApprovalRow).where(ReportApprovalRow.cycle_pk == cycle.pk))
    }
    from gapwatch.store.cycles import PublicationRow  # noqa: PLC0415 - keeps the import list short

    published = list(session.scalars(select(PublicationRow.board_id).where(PublicationRow.cycle_pk == cycle.pk)))
    return CycleStatus(
        name=cycle.name,
        status=cycle.status,
        data_cutoff=cycle.data_cutoff,
        action_deadline=cycle.action_deadline,
        boards=list(cycle.boards),
        opened_at=cycle.opened_at,
        closed_at=cycle.closed_at,
        missing_updates=_missing_updates(session, plan, cycle) if cycle.status == "open" else [],
        stale=stale_indicators(session, plan, cycle.data_cutoff, cycle.boards) if cycle.status == "open" else [],
        approvals=approvals,
        published=published,
        awaiting_commentary=awaiting_commentary(session, cycle),
    )


def open_cycle(
    engine: Engine,
    name: str,
    *,
    data_cutoff: date,
    action_deadline: date,
    boards: Sequence[str] | None = None,
    by: Actor | str,
) -> CycleStatus:
    """Open a reporting cycle and return what is missing for it (action updates, fresh indicator data).

    ``boards`` names the boards that get a report (ids or names); all boards with a scope by default.
    ``by`` (a name stands for an operator) needs :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA`;
    the opening is audited in the same transaction.
    """
    who = as_actor(by)
    ensure_may(who, Permission.MANAGE_DATA, doing="open a reporting cycle")
    problems = []
    if not name.strip():
        problems.append(Problem("a cycle needs a name, e.g. '2011 H2'", field="name"))
    if action_deadline < data_cutoff:
        problems.append(
            Problem(
                f"the action-update deadline {action_deadline} is before the data cut-off {data_cutoff}",
                field="action_deadline",
            )
        )
    if problems:
        raise InvalidInput("The cycle cannot be opened", problems=problems)
    with session_scope(engine) as session:
        plan = current_plan(session)
        scope = _scope(plan, boards)
        if not scope:
            raise InvalidInput("No board in the framework has anything to report on")
        existing = session.scalar(
            select(CycleRow).where(CycleRow.framework_pk == plan.pk, CycleRow.name == name.strip())
        )
        if existing is not None:
            raise Conflict(f"Reporting cycle '{name}' already exists ({existing.status})")
        cycle = CycleRow(
            framework_pk=plan.pk,
            name=name.strip(),
            data_cutoff=data_cutoff,
            action_deadline=action_deadline,
            boards=scope,
            status="open",
            opened_by=who.username,
            opened_at=_now(),
        )
        session.add(cycle)
        session.flush()
        opened = {"data_cutoff": data_cutoff, "action_deadline": action_deadline, "boards": scope}
        record_audit(session, who, "cycle.open", f"cycle:{cycle.name}", None, opened)
        return _status(session, plan, cycle)


def list_cycle_names(engine: Engine) -> list[str]:
    """The cycles' names, newest cut-off first."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        return [c.name for c in list_cycles(session, plan.pk)]


def cycle_row(session: Session, plan: Plan, name: str | None) -> CycleRow:
    """A cycle by name, or the latest when ``name`` is None."""
    return latest_cycle(session, plan.pk) if name is None else get_cycle(session, plan.pk, name)


def current_window(db: Session | Engine, today: date) -> CycleWindow:
    """The window pages and commands judge time in: the open cycle's (the latest cut-off, if several are
    open), else the default half-year window for ``today`` — which the caller (a shell) decides."""
    if isinstance(db, Engine):
        with session_scope(db) as session:
            return current_window(session, today)
    plan = current_plan(db)
    row = db.scalar(
        select(CycleRow)
        .where(CycleRow.framework_pk == plan.pk, CycleRow.status == "open")
        .order_by(CycleRow.data_cutoff.desc(), CycleRow.pk.desc())
        .limit(1)
    )
    return CycleWindow.for_cycle(row) if row is not None else CycleWindow.default(today)


def cycle_window(engine: Engine, name: str | None = None) -> CycleWindow:
    """A stored cycle's window (the latest cycle by default): what its report judges time in."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        return CycleWindow.for_cycle(cycle_row(session, plan, name))


def cycle_status(engine: Engine, name: str | None = None) -> CycleStatus:
    """A cycle's status (the latest by default)."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        return _status(session, plan, cycle_row(session, plan, name))


def cycle_status_or_none(engine: Engine, name: str | None = None) -> CycleStatus | None:
    """The named cycle's status (:class:`NotFound` if there is no such cycle), or the latest's, or None when no
    cycle has been opened yet (pages that list cycles say so instead of failing)."""
    try:
        return cycle_status(engine, name)
    except NotFound:
        if name is not None:
            raise
        return None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def close_cycle(engine: Engine, name: str | None = None, *, by: Actor | str) -> CycleStatus:
    """Close a cycle: compute every in-scope board's report and freeze it; all or nothing.

    The reports are computed before the cycle is marked closed, inside one transaction with the audit
    entry, so a failure leaves the cycle open with no snapshot; a second close gets :class:`Conflict`.
    ``by`` needs :attr:`~gapwatch.domain.access.Permission.MANAGE_DATA`.
    """
    who = as_actor(by)
    ensure_may(who, Permission.MANAGE_DATA, doing="close a reporting cycle")
    with session_scope(engine) as session:
        plan = current_plan(session)
        cycle = cycle_row(session, plan, name)
        if cycle.status != "open":
            raise Conflict(
                f"Reporting cycle '{cycle.name}' is already closed"
                + (f" (by {cycle.closed_by})" if cycle.closed_by else ""),
                hint="A closed cycle's reports are frozen; open a new cycle for new data.",
            )
        at = _now()
        keep_whole_frame(session, plan)  # every board's paper reads its rows from one read of the data
        commentary = _commentary_rows(session, cycle)
        frozen: dict[str, str] = {}
        for board_id in cycle.boards:
            board = plan.boards.get(board_id)
            if board is None:
                raise InvalidInput(f"Board '{board_id}' of cycle '{cycle.name}' is no longer in the framework")
            report = build_report(
                session, plan, cycle, board, commentary=commentary, frozen=True, at=at, closed_by=who.username
            )
            text = report.model_dump_json()
            frozen[board_id] = _digest(text)
            session.add(SnapshotRow(cycle_pk=cycle.pk, board_id=board_id, data=text, sha256=frozen[board_id]))
        session.flush()
        mark_closed(session, cycle, who.username, at)
        closed = {"status": "closed", "snapshots": frozen}
        record_audit(session, who, "cycle.close", f"cycle:{cycle.name}", {"status": "open"}, closed)
        return _status(session, plan, cycle)


def _commentary_rows(session: Session, cycle: CycleRow) -> list[CommentaryRow]:
    return list(
        session.scalars(select(CommentaryRow).where(CommentaryRow.cycle_pk == cycle.pk).order_by(CommentaryRow.pk))
    )


def _approval(session: Session, cycle: CycleRow, board_id: str) -> ApprovalInfo:
    row = session.scalar(
        select(ReportApprovalRow).where(ReportApprovalRow.cycle_pk == cycle.pk, ReportApprovalRow.board_id == board_id)
    )
    if row is None:
        return ApprovalInfo(status="awaiting approval" if cycle.status == "closed" else "not submitted")
    return ApprovalInfo(status=row.status, approved_by=row.decided_by, approved_at=row.decided_at, note=row.note)


def snapshot(engine: Engine, cycle: str | None, board: str) -> ReportData:
    """The content of ``board``'s report in ``cycle``: what R2's renderers (HTML, PDF, Word) lay out.

    * ``cycle`` — a cycle name such as "2011 H2", or None for the latest cycle.
    * ``board`` — a board id ("kent-forum") or name ("Kent Forum").

    For a **closed** cycle this returns the snapshot frozen at closing (``frozen=True``): every number,
    RAG, KPQ answer and commentary exactly as the board saw them, even after the data are revised; only
    ``approval`` is read live (the chair approves the frozen report after the cycle closes). For an
    **open** cycle the report is computed now from live data (``frozen=False``) — a draft.

    What :class:`ReportData` holds (see :mod:`gapwatch.services.report_data` for every field):

    * ``kpqs`` — each KPQ of the board's ambitions with its answer (Yes / Partly / No / Not enough
      evidence), the combination rule and the findings (label, measure, direction, verdict, batches);
    * ``indicators`` — one page per indicator in scope: headline series (95% limits, batch per point),
      breakdowns (groups, sub-areas), trend verdict, gap verdicts with the gap over time, target statuses;
    * ``targets`` and ``gaps`` — the same verdicts flattened across indicators (``off_track`` and
      ``widening`` flag the exceptions a report shows first);
    * ``actions`` — RAG, % complete, commentary, lead, deadline, ``overdue``, ``updated_this_cycle``;
    * ``risks`` — likelihood, impact, score, level, review date and ``review_overdue`` (heat map input);
    * ``commentary`` (with its approval status) and ``approval`` (the chair's decision on the report);
    * ``batches`` — the lineage note of every import batch a number came from; ``illustrative`` is True
      when any number comes from illustrative demo data (label it wherever it is shown).

    A locality board (``board.area`` set) gets its own area's values as headline series. Raises
    :class:`NotFound` for an unknown cycle or board, :class:`InvalidInput` for a board outside the
    cycle's scope or with nothing to report on.
    """
    with session_scope(engine) as session:
        plan = current_plan(session)
        row = cycle_row(session, plan, cycle)
        found = find_board(plan, board)
        if not board_has_scope(plan, found):
            raise InvalidInput(
                f"Board '{found.name}' oversees no ambition, priority, plan or area, so it has no report"
            )
        if found.id not in row.boards:
            raise InvalidInput(
                f"Board '{found.name}' is not in the scope of cycle '{row.name}'",
                hint=f"Boards in scope: {', '.join(row.boards)}",
            )
        if row.status == "closed":
            snap = session.scalar(
                select(SnapshotRow).where(SnapshotRow.cycle_pk == row.pk, SnapshotRow.board_id == found.id)
            )
            if snap is None:  # pragma: no cover - closing writes one snapshot per board in scope
                raise NotFound(f"Cycle '{row.name}' has no frozen report for '{found.name}'")
            data = ReportData.model_validate_json(snap.data)
        else:
            data = build_report(session, plan, row, found, commentary=_commentary_rows(session, row), frozen=False)
        data.approval = _approval(session, row, found.id)
        return data


@dataclass(frozen=True)
class PaperFile:
    """Where a closed cycle's rendered paper is stored (``path``), and the board and cycle it is for."""

    path: Path
    board: str
    cycle: str


def _files_root(engine: Engine) -> Path:
    """The folder of stored papers: beside a SQLite file (``demo.db.papers/``), else one per database under the
    temporary folder (several app servers on one PostgreSQL each keep their own copy, rendered once each)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        return db.with_name(db.name + ".papers")
    name = hashlib.sha256(url.render_as_string(hide_password=True).encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "gapwatch-papers" / name


def paper_file(engine: Engine, cycle: str | None, board: str, variant: str, suffix: str) -> PaperFile | None:
    """The stored file of a **closed** cycle's paper (None while the cycle is open: a draft is always rebuilt).

    The name carries the frozen snapshot's SHA-256, the chair's decision (the cover says whether the paper
    is approved) and ``variant`` (annexes, cover options), so a file is served only for exactly the content
    it was rendered from: once rendered, every download is the same bytes.
    """
    with session_scope(engine) as session:
        plan = current_plan(session)
        row = cycle_row(session, plan, cycle)
        if row.status != "closed":
            return None
        found = find_board(plan, board)
        snap = session.scalar(
            select(SnapshotRow).where(SnapshotRow.cycle_pk == row.pk, SnapshotRow.board_id == found.id)
        )
        if snap is None:
            return None
        approval = _approval(session, row, found.id)
        decided = f"{approval.status}|{approval.approved_by}|{approval.approved_at}|{approval.note}"
        tag = hashlib.sha256(f"{decided}|{variant}".encode()).hexdigest()[:12]
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in f"{row.pk}-{found.id}")
        path = _files_root(engine) / f"{safe}-{snap.sha256[:16]}-{tag}.{suffix}"
        return PaperFile(path=path, board=found.id, cycle=row.name)


def store_paper(paper: PaperFile, content: bytes) -> None:
    """Write a rendered paper atomically (a reader never sees half a file; the first writer's bytes stay)."""
    paper.path.parent.mkdir(parents=True, exist_ok=True)
    if paper.path.exists():
        return
    fd, tmp = tempfile.mkstemp(dir=paper.path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, paper.path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def frozen_digest(engine: Engine, cycle: str, board: str) -> str:
    """The SHA-256 of a board's frozen report (what an approval and a publication refer to)."""
    with session_scope(engine) as session:
        plan = current_plan(session)
        row = cycle_row(session, plan, cycle)
        found = find_board(plan, board)
        snap = session.scalar(
            select(SnapshotRow).where(SnapshotRow.cycle_pk == row.pk, SnapshotRow.board_id == found.id)
        )
        if snap is None:
            raise NotFound(f"Cycle '{row.name}' has no frozen report for '{found.name}' (is it closed?)")
        return snap.sha256
