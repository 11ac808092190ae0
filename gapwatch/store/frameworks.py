"""Repository for frameworks: save a validated framework (recording a revision), read it back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gapwatch.domain.diff import FrameworkDiff, diff_frameworks
from gapwatch.domain.framework import KINDS, Framework
from gapwatch.errors import NotFound
from gapwatch.store.tables import FrameworkItemRow, FrameworkRevisionRow, FrameworkRow

__all__ = ["framework_ids", "get_framework", "get_framework_row", "list_revisions", "save_framework"]

_HEADER_KEYS = ("schema_version", "id", "name", "partnership", "description", "documents", "vision")

#: For each kind, the field naming its parent in the plan tree (stored for fast child look-ups).
_PARENT_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "kpqs": (("ambition", "ambitions"),),
    "priorities": (("ambition", "ambitions"), ("plan", "plans")),
    "outcomes": (("priority", "priorities"), ("plan", "plans")),
    "enablers": (("plan", "plans"),),
    "actions": (("outcome", "outcomes"), ("enabler", "enablers")),
    "targets": (("indicator", "indicators"), ("plan", "plans")),
    "areas": (("parent", "areas"),),
    "people": (("organisation", "organisations"),),
    "risks": (("action", "actions"), ("outcome", "outcomes")),
    "observations": (("indicator", "indicators"),),
}
_TITLE_FIELDS = ("title", "name", "question", "text", "code")


def _parent(kind: str, data: dict[str, Any]) -> tuple[str | None, str | None]:
    for field, parent_kind in _PARENT_FIELDS.get(kind, ()):
        if data.get(field):
            return parent_kind, str(data[field])
    return None, None


def _title(data: dict[str, Any]) -> str:
    for field in _TITLE_FIELDS:
        if data.get(field):
            return str(data[field])
    return str(data.get("id", ""))


def get_framework_row(session: Session, framework_id: str | None = None) -> FrameworkRow:
    """The stored framework with this id, or the only/most recently loaded one when no id is given."""
    query = select(FrameworkRow)
    if framework_id is not None:
        row = session.scalars(query.where(FrameworkRow.id == framework_id)).first()
    else:
        row = session.scalars(query.order_by(FrameworkRow.loaded_at.desc(), FrameworkRow.pk.desc())).first()
    if row is None:
        which = f"framework '{framework_id}'" if framework_id else "framework"
        raise NotFound(
            f"The database holds no {which}",
            hint="Load one with `gapwatch framework load FILE` or build the demo with `gapwatch demo`.",
        )
    return row


def framework_ids(session: Session) -> list[str]:
    """Ids of every stored framework."""
    return list(session.scalars(select(FrameworkRow.id).order_by(FrameworkRow.id)))


def get_framework(session: Session, framework_id: str | None = None) -> Framework:
    """Rebuild the validated framework from its stored rows."""
    row = get_framework_row(session, framework_id)
    data: dict[str, Any] = dict(row.header)
    items = session.scalars(
        select(FrameworkItemRow).where(FrameworkItemRow.framework_pk == row.pk).order_by(FrameworkItemRow.position)
    )
    lists: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for item in items:
        lists[item.kind].append(item.data)
    data.update(lists)
    return Framework.model_validate(data)


def save_framework(
    session: Session,
    framework: Framework,
    *,
    source: str | None = None,
    sha256: str | None = None,
    loaded_by: str | None = None,
    previous: Framework | None = None,
) -> tuple[FrameworkRevisionRow | None, FrameworkDiff]:
    """Insert or update a framework in place, recording a revision of what changed.

    Runs inside the caller's transaction, so a failure leaves the database as it was. Reloading an
    unchanged framework records nothing and returns ``(None, empty diff)``. ``previous``: the stored framework
    as the caller already holds it (read in this transaction), so it is not rebuilt from its rows to be diffed.
    """
    full = framework.model_dump(mode="json")
    header = {k: full[k] for k in _HEADER_KEYS}
    row = session.scalars(select(FrameworkRow).where(FrameworkRow.id == framework.id)).first()
    old = (previous if previous is not None else get_framework(session, framework.id)) if row is not None else None
    diff = diff_frameworks(old, framework)
    if row is not None and diff.empty:
        return None, diff
    if row is None:
        row = FrameworkRow(id=framework.id, name=framework.name, partnership=framework.partnership, header=header)
        session.add(row)
        session.flush()
    else:
        row.name, row.partnership, row.header = framework.name, framework.partnership, header
    existing = {
        (r.kind, r.item_id): r
        for r in session.scalars(select(FrameworkItemRow).where(FrameworkItemRow.framework_pk == row.pk))
    }
    keep: set[tuple[str, str]] = set()
    position = 0
    for kind in KINDS:
        for data in full[kind]:
            key = (kind, data["id"])
            keep.add(key)
            parent_kind, parent_id = _parent(kind, data)
            item = existing.get(key)
            if item is None:
                item = FrameworkItemRow(framework_pk=row.pk, kind=kind, item_id=data["id"])
                session.add(item)
            item.position, item.title, item.data = position, _title(data), data
            item.parent_kind, item.parent_id = parent_kind, parent_id
            position += 1
    for key, item in existing.items():
        if key not in keep:
            session.delete(item)
    number = (
        session.scalar(
            select(func.coalesce(func.max(FrameworkRevisionRow.number), 0)).where(
                FrameworkRevisionRow.framework_pk == row.pk
            )
        )
        or 0
    ) + 1
    row.revision = number
    revision = FrameworkRevisionRow(
        framework_pk=row.pk,
        number=number,
        source=source,
        sha256=sha256,
        loaded_by=loaded_by,
        summary=diff.summary(),
        changes=diff.model_dump(mode="json"),
    )
    session.add(revision)
    session.flush()
    return revision, diff


def list_revisions(session: Session, framework_id: str | None = None) -> list[FrameworkRevisionRow]:
    """A framework's revisions, newest first."""
    row = get_framework_row(session, framework_id)
    return list(
        session.scalars(
            select(FrameworkRevisionRow)
            .where(FrameworkRevisionRow.framework_pk == row.pk)
            .order_by(FrameworkRevisionRow.number.desc())
        )
    )
