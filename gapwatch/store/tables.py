"""The framework tables: frameworks, their items and their revision history.

A framework's items are stored one row each, keyed by (framework, kind, item id), with their parent
reference and the validated item as JSON. That keeps one shape for the framework file, the JSON export
and the database, lets the annual refresh of a plan be recorded as a revision listing what was
added, removed and changed, and gives other tables (observations, action updates) a row to point at.

Other modules declare their own tables on the same :class:`Base` (``store/observations.py`` …).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "FrameworkScoped", "FrameworkItemRow", "FrameworkRevisionRow", "FrameworkRow", "utcnow"]


def utcnow() -> datetime:
    """Timezone-aware current time (stored as UTC)."""
    from datetime import UTC

    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every gapwatch table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class FrameworkScoped:
    """Columns shared by every table whose rows belong to one framework: a surrogate key, and the
    framework's key (rows go when their framework is deleted)."""

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_pk: Mapped[int] = mapped_column(ForeignKey("frameworks.pk", ondelete="CASCADE"), index=True)


class FrameworkRow(Base):
    """A loaded framework; ``header`` holds its scalar fields (name, vision, documents …)."""

    __tablename__ = "frameworks"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    partnership: Mapped[str] = mapped_column(String(300))
    header: Mapped[dict[str, Any]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    items: Mapped[list[FrameworkItemRow]] = relationship(
        back_populates="framework", cascade="all, delete-orphan", order_by="FrameworkItemRow.position"
    )


class FrameworkItemRow(FrameworkScoped, Base):
    """One item of a framework (an outcome, an action, an indicator …)."""

    __tablename__ = "framework_items"
    __table_args__ = (
        UniqueConstraint("framework_pk", "kind", "item_id", name="uq_framework_items_kind_id"),
        Index("ix_framework_items_parent", "framework_pk", "parent_kind", "parent_id"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    parent_kind: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[str | None] = mapped_column(String(80))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    framework: Mapped[FrameworkRow] = relationship(back_populates="items")


class FrameworkRevisionRow(FrameworkScoped, Base):
    """What a (re)load of a framework changed, so the yearly refresh of the plan keeps its history."""

    __tablename__ = "framework_revisions"
    __table_args__ = (UniqueConstraint("framework_pk", "number", name="uq_framework_revisions_number"),)

    number: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    loaded_by: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
