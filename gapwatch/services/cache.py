"""The one cache of computed statistics, keyed by everything they depend on.

Statistics are read far more often than data arrive (a board meeting's worth of page views per import), so
results are remembered in memory — but only under a key that names the database, the framework and its
revision, the data version (imports and roll-backs), the action version (updates, assignments) and the
window (as-of date and data cut-off) they were computed for. Every part of the key is read from the
database on each request, so when several app servers share one PostgreSQL database an import, an action
update or a framework reload made through one is seen by the others' next request: no process can serve
numbers computed from data that have since changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from gapwatch.domain.catalogue import Plan
from gapwatch.store.observations import ImportBatchRow

__all__ = ["StateKey", "clear", "data_version", "keep_latest", "latest", "per_transaction", "remember", "state_key"]

_T = TypeVar("_T")
#: How many results are kept. A county paper with its 12 locality annexes asks for ~4,100 (pages, gaps, statuses,
#: answers of 13 areas); a cache smaller than one view's working set forgets each result before it is asked
#: for again, and every view recomputes everything (measured: 2,048 made the annexed paper 10 s a view, warm).
_SIZE = 20_000


@dataclass(frozen=True)
class StateKey:
    """What cached results depend on (besides the question asked)."""

    database: str
    framework: int
    revision: int
    data: tuple[object, ...]
    actions: tuple[object, ...]
    as_of: date | None = None
    cutoff: date | None = None


_TX_MEMO = "gapwatch.per_transaction"


def per_transaction(session: Session, name: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    """``compute()`` once per database transaction of ``session`` (until it writes, commits or rolls back).

    Why: one page view asks "which framework revision? which data version?" dozens of times (every cached
    result checks its key); the answers cannot change inside one transaction except by its own writes, so
    they are read once. A flush, commit or rollback forgets them (listeners below). On PostgreSQL (read
    committed) this also gives the whole view one consistent version instead of a mix.
    """
    memo: tuple[object, dict[tuple[object, ...], Any]] | None = session.info.get(_TX_MEMO)
    transaction = session.get_transaction()
    if memo is not None and transaction is not None and memo[0] is transaction and name in memo[1]:
        return memo[1][name]  # type: ignore[no-any-return]
    value = compute()
    transaction = session.get_transaction()
    if transaction is not None:
        if memo is None or memo[0] is not transaction:
            memo = (transaction, {})
            session.info[_TX_MEMO] = memo
        memo[1][name] = value
    return value


def _forget(session: Session, *_: object) -> None:
    session.info.pop(_TX_MEMO, None)


for _event in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _event, _forget)


def data_version(session: Session) -> tuple[object, ...]:
    """Changes whenever a batch is imported or rolled back (read once per transaction)."""
    return per_transaction(session, ("data_version",), lambda: _data_version(session))


def _data_version(session: Session) -> tuple[object, ...]:
    row = session.execute(
        select(
            func.count(ImportBatchRow.pk),
            func.max(ImportBatchRow.pk),
            func.max(ImportBatchRow.loaded_at),
            func.max(ImportBatchRow.rolled_back_at),
        )
    ).one()
    return tuple(row)


def _action_version(session: Session, plan: Plan) -> tuple[object, ...]:
    from gapwatch.store.progress import action_version

    return per_transaction(session, ("action_version", plan.pk), lambda: action_version(session, plan.pk))


def state_key(
    session: Session, plan: Plan, *, as_of: date | None = None, cutoff: date | None = None, actions: bool = False
) -> StateKey:
    """The key of results computed now for ``plan`` (with the action version when they depend on actions)."""
    return StateKey(
        plan.database,
        plan.pk,
        plan.revision,
        data_version(session),
        _action_version(session, plan) if actions else (),
        as_of,
        cutoff,
    )


_memo: OrderedDict[tuple[object, ...], Any] = OrderedDict()
_lock = threading.Lock()
#: One lock per result being computed: when fifty people open the dashboard just after an import, the first
#: computes and the others wait for its answer instead of computing it fifty times over (and exhausting the
#: database's connection pool while they do).
_computing: dict[tuple[object, ...], threading.Lock] = {}


def remember(state: StateKey, question: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    """``compute()``, remembered under (``state``, ``question``) and computed once however many ask at the same
    time. Results are shared: treat them as read-only."""
    full = (state, *question)
    with _lock:
        if full in _memo:
            _memo.move_to_end(full)
            return _memo[full]  # type: ignore[no-any-return]
        key_lock = _computing.setdefault(full, threading.Lock())
    with key_lock:
        with _lock:
            if full in _memo:  # computed by whoever held the lock before us
                _memo.move_to_end(full)
                return _memo[full]  # type: ignore[no-any-return]
        try:
            value = compute()
        finally:
            with _lock:
                _computing.pop(full, None)
        with _lock:
            _memo[full] = value
            while len(_memo) > _SIZE:
                _memo.popitem(last=False)
    return value


#: Large results kept for the latest state only, per database and name (see :func:`keep_latest`).
_latest: OrderedDict[tuple[str, str], tuple[StateKey, Any]] = OrderedDict()
_LATEST_SIZE = 8


def keep_latest(state: StateKey, name: str, value: _T) -> _T:
    """Keep ``value`` as the ``name`` result of ``state``, replacing the one of any earlier state of the same
    database; returns ``value``.

    For results too large to pile up in :func:`remember`'s cache (every observation of the database, say):
    one copy per database and name, and at most a few databases, so memory stays bounded however often the
    data change.
    """
    with _lock:
        _latest[(state.database, name)] = (state, value)
        _latest.move_to_end((state.database, name))
        while len(_latest) > _LATEST_SIZE:
            _latest.popitem(last=False)
    return value


def latest(state: StateKey, name: str) -> Any | None:
    """The value :func:`keep_latest` kept as ``name`` for exactly ``state``, or None."""
    with _lock:
        found = _latest.get((state.database, name))
    return found[1] if found is not None and found[0] == state else None


def clear() -> None:
    """Forget everything (tests; a server never needs it)."""
    with _lock:
        _memo.clear()
        _latest.clear()
