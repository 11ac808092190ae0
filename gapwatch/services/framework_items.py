"""The stored framework item by item, for the JSON API: a summary, pages of one kind, one item.

Reads the item rows directly (one indexed query per page) rather than rebuilding the whole framework, so
paging through a large plan stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gapwatch.domain.framework import KINDS
from gapwatch.errors import NotFound
from gapwatch.store.frameworks import get_framework_row
from gapwatch.store.tables import FrameworkItemRow

__all__ = ["KINDS", "FrameworkSummary", "framework_item", "framework_items", "framework_summary"]


@dataclass(frozen=True)
class FrameworkSummary:
    """The framework's header and how many items of each kind it holds."""

    id: str
    name: str
    partnership: str
    revision: int
    loaded_at: str
    header: dict[str, Any]
    counts: dict[str, int]


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound(f"There is no kind of framework item called '{kind}'", hint=f"Kinds: {', '.join(KINDS)}")


def framework_summary(session: Session, framework_id: str | None = None) -> FrameworkSummary:
    """The stored framework's header and item counts (NotFound when none is loaded)."""
    row = get_framework_row(session, framework_id)
    counts = dict.fromkeys(KINDS, 0)
    query = (
        select(FrameworkItemRow.kind, func.count())
        .where(FrameworkItemRow.framework_pk == row.pk)
        .group_by(FrameworkItemRow.kind)
    )
    for kind, count in session.execute(query):
        counts[kind] = int(count)
    return FrameworkSummary(
        id=row.id,
        name=row.name,
        partnership=row.partnership,
        revision=row.revision,
        loaded_at=row.loaded_at.isoformat(),
        header=dict(row.header),
        counts=counts,
    )


def framework_items(
    session: Session, kind: str, *, offset: int, limit: int, framework_id: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    """One page of the items of ``kind`` in file order, and how many there are in all."""
    _check_kind(kind)
    row = get_framework_row(session, framework_id)
    where = (FrameworkItemRow.framework_pk == row.pk, FrameworkItemRow.kind == kind)
    total = int(session.scalar(select(func.count()).select_from(FrameworkItemRow).where(*where)) or 0)
    query = select(FrameworkItemRow.data).where(*where).order_by(FrameworkItemRow.position).offset(offset).limit(limit)
    return [dict(data) for data in session.scalars(query)], total


def framework_item(session: Session, kind: str, item_id: str, *, framework_id: str | None = None) -> dict[str, Any]:
    """One item by kind and id."""
    _check_kind(kind)
    row = get_framework_row(session, framework_id)
    data = session.scalar(
        select(FrameworkItemRow.data).where(
            FrameworkItemRow.framework_pk == row.pk, FrameworkItemRow.kind == kind, FrameworkItemRow.item_id == item_id
        )
    )
    if data is None:
        raise NotFound(f"There is no {kind} item with id '{item_id}'")
    return dict(data)
