"""Reporting cycles and what hangs off them: frozen snapshots, commentary, approvals and publications.

* ``reporting_cycles`` — one row per cycle of a framework ("2011 H2"): data cut-off, action-update
  deadline, the boards in scope (their ids, as JSON), status open/closed and who opened/closed it.
* ``cycle_snapshots`` — one row per (cycle, board) written when the cycle closes: the whole report
  content as JSON (every number with its batch, every RAG, KPQ answer and commentary) and its SHA-256,
  so that a report rebuilt years later is byte-for-byte the report the board saw.
* ``report_commentary`` — performance officers' commentary per indicator, outcome, KPQ or report, in a
  cycle, with its author and approval status.
* ``report_approvals`` — a board chair's (or delegate's) approval of a board's report in a cycle.
* ``approval_delegates`` — who else may approve a board's reports.
* ``publications`` — what was published (the suppressed open data), when and by whom.

Closing is guarded by a conditional ``UPDATE … WHERE status = 'open'``, so two people closing the same
cycle at once cannot both succeed: the second gets :class:`Conflict` on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from gapwatch.errors import Conflict, NotFound
from gapwatch.store.tables import Base, FrameworkScoped, utcnow

__all__ = [
    "ApprovalDelegateRow",
    "CommentaryRow",
    "CycleRow",
    "PublicationRow",
    "ReportApprovalRow",
    "SnapshotRow",
    "get_cycle",
    "latest_cycle",
    "list_cycles",
    "mark_closed",
]


class CycleRow(FrameworkScoped, Base):
    """A reporting cycle: its cut-off, the action-update deadline, boards in scope and status."""

    __tablename__ = "reporting_cycles"
    __table_args__ = (UniqueConstraint("framework_pk", "name", name="uq_reporting_cycles_name"),)

    name: Mapped[str] = mapped_column(String(80))
    data_cutoff: Mapped[date] = mapped_column(Date)
    action_deadline: Mapped[date] = mapped_column(Date)
    boards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))


class SnapshotRow(Base):
    """The frozen report content of one board in one closed cycle."""

    __tablename__ = "cycle_snapshots"
    __table_args__ = (UniqueConstraint("cycle_pk", "board_id", name="uq_cycle_snapshots_board"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_pk: Mapped[int] = mapped_column(ForeignKey("reporting_cycles.pk", ondelete="CASCADE"), index=True)
    board_id: Mapped[str] = mapped_column(String(80))
    data: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CommentaryRow(Base):
    """A performance officer's commentary in a cycle, on an indicator, outcome, KPQ or whole report."""

    __tablename__ = "report_commentary"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_pk: Mapped[int] = mapped_column(ForeignKey("reporting_cycles.pk", ondelete="CASCADE"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReportApprovalRow(Base):
    """A board's report in a cycle approved (or rejected) by its chair or a delegate."""

    __tablename__ = "report_approvals"
    __table_args__ = (UniqueConstraint("cycle_pk", "board_id", name="uq_report_approvals_board"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_pk: Mapped[int] = mapped_column(ForeignKey("reporting_cycles.pk", ondelete="CASCADE"), index=True)
    board_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class ApprovalDelegateRow(FrameworkScoped, Base):
    """Someone the chair has delegated approval of a board's reports to (a username)."""

    __tablename__ = "approval_delegates"
    __table_args__ = (UniqueConstraint("framework_pk", "board_id", "username", name="uq_approval_delegates_user"),)

    board_id: Mapped[str] = mapped_column(String(80))
    username: Mapped[str] = mapped_column(String(200))
    granted_by: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PublicationRow(Base):
    """A published report: the suppressed open data (JSON) put on /public, who published it, and — once
    withdrawn — when, by whom and why (a withdrawn report leaves /public but its record stays)."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("cycle_pk", "board_id", name="uq_publications_board"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_pk: Mapped[int] = mapped_column(ForeignKey("reporting_cycles.pk", ondelete="CASCADE"), index=True)
    board_id: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    csv: Mapped[str] = mapped_column(Text)
    cells: Mapped[int] = mapped_column(Integer, default=0)
    suppressed: Mapped[int] = mapped_column(Integer, default=0)
    #: Set when the publication is withdrawn from /public (the row stays: what was published is history).
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawn_role: Mapped[str | None] = mapped_column(String(40))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


def list_cycles(session: Session, framework_pk: int) -> list[CycleRow]:
    """A framework's cycles, newest cut-off first."""
    return list(
        session.scalars(
            select(CycleRow)
            .where(CycleRow.framework_pk == framework_pk)
            .order_by(CycleRow.data_cutoff.desc(), CycleRow.pk.desc())
        )
    )


def get_cycle(session: Session, framework_pk: int, name: str) -> CycleRow:
    """A cycle by name, or :class:`NotFound` listing the cycles there are."""
    row = session.scalar(select(CycleRow).where(CycleRow.framework_pk == framework_pk, CycleRow.name == name))
    if row is None:
        names = [c.name for c in list_cycles(session, framework_pk)]
        raise NotFound(
            f"There is no reporting cycle '{name}'",
            hint=f"Cycles: {', '.join(names)}" if names else "Open one with `gapwatch cycle open NAME`.",
        )
    return row


def latest_cycle(session: Session, framework_pk: int) -> CycleRow:
    """The cycle with the latest cut-off, or :class:`NotFound`."""
    cycles = list_cycles(session, framework_pk)
    if not cycles:
        raise NotFound("No reporting cycle has been opened", hint="Open one with `gapwatch cycle open NAME`.")
    return cycles[0]


def mark_closed(session: Session, cycle: CycleRow, by: str, at: datetime) -> None:
    """Set a cycle closed only if it is still open; :class:`Conflict` when someone closed it already."""
    result = session.execute(
        update(CycleRow)
        .where(CycleRow.pk == cycle.pk, CycleRow.status == "open")
        .values(status="closed", closed_at=at, closed_by=by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(cycle)
        raise Conflict(
            f"Reporting cycle '{cycle.name}' is already closed"
            + (f" (by {cycle.closed_by} at {cycle.closed_at:%Y-%m-%d %H:%M})" if cycle.closed_at else ""),
            hint="A closed cycle's reports are frozen; open a new cycle for new data.",
        )
    session.refresh(cycle)
