"""Progress on the plan between framework loads: action updates, the risk register and comments.

The framework file says what the partnership agreed (an action, its lead, its deadline; a risk and its
first scores). What happens next is recorded here, one row of current state per action or risk and one
history row per update, so that a board can read who said what and when.

Edits use optimistic locking: each state row carries a ``version`` and an update names the version
its author saw. The conditional ``UPDATE ... WHERE version = :seen`` (and a unique key on the history
rows) means that of two people editing the same action, the second gets :class:`Conflict` carrying
the first person's change, on SQLite and on PostgreSQL alike, and nothing is overwritten unseen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from gapwatch.errors import Conflict
from gapwatch.store.tables import Base, FrameworkScoped, utcnow

__all__ = [
    "action_version",
    "ActionChange",
    "ActionStateRow",
    "ActionUpdateRow",
    "CommentRow",
    "RiskChange",
    "RiskStateRow",
    "RiskUpdateRow",
    "action_history",
    "action_states",
    "add_comment",
    "apply_action_update",
    "apply_risk_update",
    "comments",
    "latest_action_updates",
    "risk_history",
    "risk_states",
]


class ActionStateRow(FrameworkScoped, Base):
    """The current progress of one action: its latest RAG, commentary, completion and deadline."""

    __tablename__ = "action_states"
    __table_args__ = (UniqueConstraint("framework_pk", "action_id", name="uq_action_states_action"),)

    action_id: Mapped[str] = mapped_column(String(80))
    rag: Mapped[str | None] = mapped_column(String(10))
    percent_complete: Mapped[int | None] = mapped_column(Integer)
    commentary: Mapped[str | None] = mapped_column(Text)
    milestones_done: Mapped[list[Any]] = mapped_column(default=list)
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_reason: Mapped[str | None] = mapped_column(Text)
    lead_officer: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class ActionUpdateRow(FrameworkScoped, Base):
    """One update of an action as its author made it (the history a board reads)."""

    __tablename__ = "action_updates"
    __table_args__ = (
        UniqueConstraint("framework_pk", "action_id", "version", name="uq_action_updates_version"),
        Index("ix_action_updates_created", "framework_pk", "created_at"),
    )

    action_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    rag: Mapped[str | None] = mapped_column(String(10))
    percent_complete: Mapped[int | None] = mapped_column(Integer)
    commentary: Mapped[str | None] = mapped_column(Text)
    milestones_done: Mapped[list[Any]] = mapped_column(default=list)
    new_deadline: Mapped[date | None] = mapped_column(Date)
    deadline_reason: Mapped[str | None] = mapped_column(Text)
    lead_officer: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class RiskStateRow(FrameworkScoped, Base):
    """The current entry of one risk in the register (a framework risk as updated, or one added later)."""

    __tablename__ = "risk_states"
    __table_args__ = (UniqueConstraint("framework_pk", "risk_id", name="uq_risk_states_risk"),)

    risk_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    action_id: Mapped[str | None] = mapped_column(String(80))
    outcome_id: Mapped[str | None] = mapped_column(String(80))
    owner: Mapped[str | None] = mapped_column(String(80))
    owner_organisation: Mapped[str | None] = mapped_column(String(80))
    likelihood: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    mitigations: Mapped[list[Any]] = mapped_column(default=list)
    review_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    in_framework: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class RiskUpdateRow(FrameworkScoped, Base):
    """One review of a risk: the scores, mitigations and review date as its owner set them."""

    __tablename__ = "risk_updates"
    __table_args__ = (UniqueConstraint("framework_pk", "risk_id", "version", name="uq_risk_updates_version"),)

    risk_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    likelihood: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    mitigations: Mapped[list[Any]] = mapped_column(default=list)
    review_date: Mapped[date | None] = mapped_column(Date)
    owner: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="open")
    commentary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class CommentRow(FrameworkScoped, Base):
    """A comment by a board member (or anyone signed in) on an action, risk, indicator or outcome."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_entity", "framework_pk", "entity_kind", "entity_id"),)

    entity_kind: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


@dataclass(frozen=True)
class ActionChange:
    """The values of one action update (already validated by the service)."""

    rag: str | None
    percent_complete: int | None
    commentary: str
    milestones_done: list[str] = field(default_factory=list)
    new_deadline: date | None = None
    deadline_reason: str | None = None
    lead_officer: str | None = None


@dataclass(frozen=True)
class RiskChange:
    """The values of one risk review (already validated by the service).

    ``title`` and friends are only used when the risk is first written to the register.
    """

    likelihood: int
    impact: int
    mitigations: list[str]
    review_date: date | None
    owner: str | None
    status: str = "open"
    commentary: str | None = None
    title: str | None = None
    description: str | None = None
    action_id: str | None = None
    outcome_id: str | None = None
    owner_organisation: str | None = None
    illustrative: bool = False
    in_framework: bool = True


def action_version(session: Session, framework_pk: int) -> tuple[object, ...]:
    """Changes whenever an action's progress or lead changes: the action part of a cache key."""
    updates = session.execute(
        select(func.count(ActionUpdateRow.pk), func.max(ActionUpdateRow.pk)).where(
            ActionUpdateRow.framework_pk == framework_pk
        )
    ).one()
    states = session.execute(
        select(
            func.count(ActionStateRow.pk), func.max(ActionStateRow.updated_at), func.sum(ActionStateRow.version)
        ).where(ActionStateRow.framework_pk == framework_pk)
    ).one()
    return (*tuple(updates), *tuple(states))


def action_states(session: Session, framework_pk: int) -> dict[str, ActionStateRow]:
    """Current state of every action that has one, by action id."""
    rows = session.scalars(select(ActionStateRow).where(ActionStateRow.framework_pk == framework_pk))
    return {row.action_id: row for row in rows}


def action_history(session: Session, framework_pk: int, action_id: str) -> list[ActionUpdateRow]:
    """Every update of one action, newest first."""
    return list(
        session.scalars(
            select(ActionUpdateRow)
            .where(ActionUpdateRow.framework_pk == framework_pk, ActionUpdateRow.action_id == action_id)
            .order_by(ActionUpdateRow.version.desc())
        )
    )


def latest_action_updates(session: Session, framework_pk: int, limit: int = 20) -> list[ActionUpdateRow]:
    """The most recent updates across all actions (for the dashboard's "recent changes")."""
    return list(
        session.scalars(
            select(ActionUpdateRow)
            .where(ActionUpdateRow.framework_pk == framework_pk)
            .order_by(ActionUpdateRow.created_at.desc(), ActionUpdateRow.pk.desc())
            .limit(limit)
        )
    )


def _update_summary(row: ActionUpdateRow | RiskUpdateRow | None) -> dict[str, Any]:
    """The other person's change, as :class:`Conflict` carries it (plain data, safe to show or serialise)."""
    if row is None:
        return {}
    data: dict[str, Any] = {
        "version": row.version,
        "by": row.created_by,
        "at": row.created_at.isoformat() if row.created_at else None,
    }
    if isinstance(row, ActionUpdateRow):
        data.update(
            rag=row.rag,
            percent_complete=row.percent_complete,
            commentary=row.commentary,
            milestones_done=list(row.milestones_done or []),
            new_deadline=row.new_deadline.isoformat() if row.new_deadline else None,
            deadline_reason=row.deadline_reason,
        )
    else:
        data.update(
            likelihood=row.likelihood,
            impact=row.impact,
            mitigations=list(row.mitigations or []),
            review_date=row.review_date.isoformat() if row.review_date else None,
            owner=row.owner,
            status=row.status,
            commentary=row.commentary,
        )
    return data


def _action_conflict(session: Session, framework_pk: int, action_id: str, seen: int) -> Conflict:
    session.expire_all()
    history = action_history(session, framework_pk, action_id)
    latest = history[0] if history else None
    current = _update_summary(latest)
    who = f" by {latest.created_by}" if latest else ""
    return Conflict(
        f"Action {action_id} was updated{who} after you opened it (you saw version {seen}, it is now "
        f"version {latest.version if latest else '?'})",
        hint="Your changes have not been saved and are shown below: check the other update, then save again.",
        current=current,
    )


def apply_action_update(
    session: Session, framework_pk: int, action_id: str, seen_version: int, change: ActionChange, by: str
) -> ActionUpdateRow:
    """Record an update of an action made by someone who last saw ``seen_version`` (0: never updated).

    Raises :class:`Conflict` (with the newer update in ``current``) when someone else updated the action
    since. Runs in the caller's transaction and flushes, so a clash surfaces here, not at commit.
    """
    now = utcnow()
    values: dict[str, Any] = {
        "rag": change.rag,
        "percent_complete": change.percent_complete,
        "commentary": change.commentary,
        "milestones_done": list(change.milestones_done),
        "updated_at": now,
        "updated_by": by,
    }
    if change.new_deadline is not None:
        values["deadline"] = change.new_deadline
        values["deadline_reason"] = change.deadline_reason
    if change.lead_officer is not None:
        values["lead_officer"] = change.lead_officer
    new_version = seen_version + 1
    try:
        with session.begin_nested():
            if seen_version == 0:
                session.add(ActionStateRow(framework_pk=framework_pk, action_id=action_id, version=1, **values))
            else:
                _compare_and_set(
                    session,
                    ActionStateRow,
                    ActionStateRow.action_id == action_id,
                    framework_pk,
                    seen_version,
                    new_version,
                    values,
                )
            row = ActionUpdateRow(
                framework_pk=framework_pk,
                action_id=action_id,
                version=new_version,
                rag=change.rag,
                percent_complete=change.percent_complete,
                commentary=change.commentary,
                milestones_done=list(change.milestones_done),
                new_deadline=change.new_deadline,
                deadline_reason=change.deadline_reason,
                lead_officer=change.lead_officer,
                created_at=now,
                created_by=by,
            )
            session.add(row)
            session.flush()
    except (_Stale, IntegrityError):
        raise _action_conflict(session, framework_pk, action_id, seen_version) from None
    session.expire_all()
    return row


class _Stale(Exception):
    """The row's version moved on: someone else saved first."""


def _compare_and_set(
    session: Session,
    state: type[ActionStateRow] | type[RiskStateRow],
    key: ColumnElement[bool],
    framework_pk: int,
    seen_version: int,
    new_version: int,
    values: dict[str, Any],
) -> None:
    """Optimistic locking: write the new state only if its version is still the one the editor saw.

    One conditional UPDATE, so two editors cannot both win, on SQLite and PostgreSQL alike; a miss raises
    ``_Stale`` and the caller reports the other person's change as a conflict.
    """
    result = session.execute(
        update(state)
        .where(state.framework_pk == framework_pk, key, state.version == seen_version)
        .values(version=new_version, **values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise _Stale


def risk_states(session: Session, framework_pk: int) -> dict[str, RiskStateRow]:
    """Every risk written to the register (updated framework risks and risks added later), by id."""
    rows = session.scalars(select(RiskStateRow).where(RiskStateRow.framework_pk == framework_pk))
    return {row.risk_id: row for row in rows}


def risk_history(session: Session, framework_pk: int, risk_id: str) -> list[RiskUpdateRow]:
    """Every review of one risk, newest first."""
    return list(
        session.scalars(
            select(RiskUpdateRow)
            .where(RiskUpdateRow.framework_pk == framework_pk, RiskUpdateRow.risk_id == risk_id)
            .order_by(RiskUpdateRow.version.desc())
        )
    )


def _risk_conflict(session: Session, framework_pk: int, risk_id: str, seen: int) -> Conflict:
    session.expire_all()
    history = risk_history(session, framework_pk, risk_id)
    latest = history[0] if history else None
    who = f" by {latest.created_by}" if latest else ""
    return Conflict(
        f"Risk {risk_id} was updated{who} after you opened it (you saw version {seen})",
        hint="Your changes have not been saved and are shown below: check the other update, then save again.",
        current=_update_summary(latest),
    )


def apply_risk_update(
    session: Session, framework_pk: int, risk_id: str, seen_version: int, change: RiskChange, by: str
) -> RiskUpdateRow:
    """Record a review of a risk by someone who last saw ``seen_version`` (0: not yet in the register).

    Same optimistic locking as :func:`apply_action_update`: a stale version raises :class:`Conflict`.
    """
    now = utcnow()
    values: dict[str, Any] = {
        "likelihood": change.likelihood,
        "impact": change.impact,
        "mitigations": list(change.mitigations),
        "review_date": change.review_date,
        "owner": change.owner,
        "status": change.status,
        "updated_at": now,
        "updated_by": by,
    }
    new_version = seen_version + 1
    try:
        with session.begin_nested():
            if seen_version == 0:
                session.add(
                    RiskStateRow(
                        framework_pk=framework_pk,
                        risk_id=risk_id,
                        version=1,
                        title=change.title or risk_id,
                        description=change.description,
                        action_id=change.action_id,
                        outcome_id=change.outcome_id,
                        owner_organisation=change.owner_organisation,
                        illustrative=change.illustrative,
                        in_framework=change.in_framework,
                        **values,
                    )
                )
            else:
                _compare_and_set(
                    session,
                    RiskStateRow,
                    RiskStateRow.risk_id == risk_id,
                    framework_pk,
                    seen_version,
                    new_version,
                    values,
                )
            row = RiskUpdateRow(
                framework_pk=framework_pk,
                risk_id=risk_id,
                version=new_version,
                likelihood=change.likelihood,
                impact=change.impact,
                mitigations=list(change.mitigations),
                review_date=change.review_date,
                owner=change.owner,
                status=change.status,
                commentary=change.commentary,
                created_at=now,
                created_by=by,
            )
            session.add(row)
            session.flush()
    except (_Stale, IntegrityError):
        raise _risk_conflict(session, framework_pk, risk_id, seen_version) from None
    session.expire_all()
    return row


def add_comment(
    session: Session, framework_pk: int, entity_kind: str, entity_id: str, body: str, by: str
) -> CommentRow:
    """Add a comment on an item of the plan."""
    row = CommentRow(framework_pk=framework_pk, entity_kind=entity_kind, entity_id=entity_id, body=body, created_by=by)
    session.add(row)
    session.flush()
    return row


def comments(session: Session, framework_pk: int, entity_kind: str, entity_id: str) -> list[CommentRow]:
    """Comments on an item, oldest first (a conversation reads top to bottom)."""
    return list(
        session.scalars(
            select(CommentRow)
            .where(
                CommentRow.framework_pk == framework_pk,
                CommentRow.entity_kind == entity_kind,
                CommentRow.entity_id == entity_id,
            )
            .order_by(CommentRow.created_at, CommentRow.pk)
        )
    )
