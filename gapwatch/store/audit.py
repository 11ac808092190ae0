"""The audit log: who changed what, when, with the state before and after.

Every change made through the web app or a service calls :func:`record_audit` in the same transaction as the
change itself, so the log and the data cannot disagree. The username is copied into the row so the entry
survives the account being renamed or removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import Select

from gapwatch.store.tables import Base, utcnow

__all__ = ["AuditFilter", "AuditRow", "count_audit", "latest_audit_pk", "query_audit", "record_audit"]


class _HasUsername(Protocol):
    @property
    def username(self) -> str: ...


class AuditRow(Base):
    """One change: ``entity`` names the thing changed (``user:alice``, ``action:CYP-1.2``)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity"), Index("ix_audit_log_at", "at"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    entity: Mapped[str] = mapped_column(String(200))
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(Text)


def _jsonable(value: Any) -> Any:
    """Make before/after values storable as JSON (dates as ISO text, sets as sorted lists)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return _jsonable(value.model_dump(mode="json"))
    return str(value)


def record_audit(
    session: Session,
    user: _HasUsername | str | None,
    action: str,
    entity: str,
    before: Any = None,
    after: Any = None,
    *,
    detail: str | None = None,
) -> AuditRow:
    """Add an audit entry to ``session`` (committed with the change it describes).

    ``user`` is the signed-in user (anything with a ``username``), a name such as ``"cli"``, or None for the
    system. ``action`` is a verb (``create``, ``update``, ``delete``, ``sign_in`` …).
    """
    if user is None:
        name = "system"
    elif isinstance(user, str):
        name = user
    else:
        name = user.username
    row = AuditRow(
        at=utcnow(),
        username=name[:80],
        action=action[:80],
        entity=entity[:200],
        before=_jsonable(before),
        after=_jsonable(after),
        detail=detail,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show: each field narrows the list when set."""

    username: str | None = None
    action: str | None = None
    entity: str | None = None  # prefix match: "action:" gives every action change
    since: datetime | None = None
    until: datetime | None = None
    max_pk: int | None = None  # freezes the set while an export pages through it


def _filtered(query: Select[Any], where: AuditFilter) -> Select[Any]:
    if where.username:
        query = query.where(AuditRow.username == where.username)
    if where.action:
        query = query.where(AuditRow.action == where.action)
    if where.entity:
        query = query.where(AuditRow.entity.startswith(where.entity, autoescape=True))
    if where.since is not None:
        query = query.where(AuditRow.at >= where.since)
    if where.until is not None:
        query = query.where(AuditRow.at < where.until)
    if where.max_pk is not None:
        query = query.where(AuditRow.pk <= where.max_pk)
    return query


def query_audit(
    session: Session, where: AuditFilter | None = None, *, offset: int = 0, limit: int | None = None
) -> list[AuditRow]:
    """Matching entries, newest first."""
    query = _filtered(select(AuditRow), where or AuditFilter()).order_by(AuditRow.at.desc(), AuditRow.pk.desc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count_audit(session: Session, where: AuditFilter | None = None) -> int:
    """How many entries match."""
    query = _filtered(select(func.count()).select_from(AuditRow), where or AuditFilter())
    return int(session.scalar(query) or 0)


def latest_audit_pk(session: Session) -> int:
    """The newest entry's key (0 when the log is empty)."""
    return int(session.scalar(select(func.max(AuditRow.pk))) or 0)
