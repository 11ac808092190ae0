"""The stored framework with the look-ups the web pages need, cached per framework revision.

Rebuilding and validating a framework from its rows takes tens of milliseconds; every dashboard,
action and risk page needs it, so it is kept in memory keyed by (framework pk, revision, load time) and
rebuilt only when a reload records a new revision. The indexes answer the questions the pages ask:
which ambition an outcome serves, which actions a board oversees, who a person is.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gapwatch.domain.catalogue import Plan, build_plan
from gapwatch.errors import NotFound
from gapwatch.store.frameworks import get_framework
from gapwatch.store.tables import FrameworkRow

__all__ = ["Plan", "current_plan"]


_lock = threading.Lock()
_cache: dict[tuple[str, int, int, datetime | None], Plan] = {}


def _database(session: Session) -> str:
    """Which database a session talks to (caches are per database: tests and tools open several)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.url.render_as_string(hide_password=True)


def current_plan(session: Session, framework_id: str | None = None) -> Plan:
    """The stored framework (the named one, or the latest loaded) with its indexes, from the cache (asked of
    the database once per transaction: a page asks for it dozens of times)."""
    from gapwatch.services.cache import per_transaction

    return per_transaction(session, ("current_plan", framework_id), lambda: _current_plan(session, framework_id))


def _current_plan(session: Session, framework_id: str | None) -> Plan:
    query = select(FrameworkRow.pk, FrameworkRow.revision, FrameworkRow.loaded_at, FrameworkRow.id)
    if framework_id is not None:
        query = query.where(FrameworkRow.id == framework_id)
    found = session.execute(query.order_by(FrameworkRow.loaded_at.desc(), FrameworkRow.pk.desc())).first()
    if found is None:
        which = f"framework '{framework_id}'" if framework_id else "framework"
        raise NotFound(
            f"The database holds no {which}",
            hint="Load one with `gapwatch framework load FILE` or build the demo with `gapwatch demo`.",
        )
    key = (_database(session), int(found.pk), int(found.revision), found.loaded_at)
    with _lock:
        plan = _cache.get(key)
    if plan is not None:
        return plan
    row = session.get(FrameworkRow, found.pk)
    assert row is not None
    plan = build_plan(get_framework(session, found.id), pk=row.pk, revision=row.revision, database=key[0])
    with _lock:
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = plan
    return plan
