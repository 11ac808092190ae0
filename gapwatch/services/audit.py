"""The audit log as admins and performance officers read it: filtered pages and a CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from gapwatch.errors import InvalidInput, Problem
from gapwatch.services.csv_safe import csv_line
from gapwatch.store.audit import AuditFilter, AuditRow, count_audit, latest_audit_pk, query_audit, record_audit

__all__ = ["AuditFilter", "audit_csv", "audit_filter", "audit_page", "record_audit"]

_CSV_COLUMNS = ("at", "username", "action", "entity", "before", "after", "detail")
_BATCH = 1000


def _day(value: str, field: str, problems: list[Problem]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem("Enter a date like 2011-06-30", field=field))
        return None


def audit_filter(
    *, username: str = "", action: str = "", entity: str = "", since: str = "", until: str = ""
) -> AuditFilter:
    """A filter from form text: dates as YYYY-MM-DD, ``until`` inclusive. Bad dates raise InvalidInput."""
    problems: list[Problem] = []
    start = _day(since, "since", problems)
    end = _day(until, "until", problems)
    if start and end and end < start:
        problems.append(Problem("The end date must be on or after the start date", field="until"))
    if problems:
        raise InvalidInput("The filter is not valid", problems=problems)
    return AuditFilter(
        username=username.strip().lower() or None,
        action=action.strip() or None,
        entity=entity.strip() or None,
        since=datetime.combine(start, time.min, tzinfo=UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC) if end else None,
    )


def audit_page(session: Session, where: AuditFilter, *, offset: int, limit: int) -> tuple[list[AuditRow], int]:
    """One page of matching entries (newest first) and how many match in all."""
    return query_audit(session, where, offset=offset, limit=limit), count_audit(session, where)


def audit_csv(session: Session, where: AuditFilter) -> Iterator[str]:
    """Every matching entry as CSV text, produced in batches so a long log never sits in memory at once.

    Cells go through the one formula-safe writer (:mod:`gapwatch.services.csv_safe`).
    """
    yield csv_line(_CSV_COLUMNS)
    where = replace(where, max_pk=latest_audit_pk(session))
    offset = 0
    while True:
        rows = query_audit(session, where, offset=offset, limit=_BATCH)
        if not rows:
            return
        chunk = []
        for row in rows:
            at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
            chunk.append(
                csv_line(
                    [at.isoformat(timespec="seconds"), row.username, row.action, row.entity, row.before, row.after]
                    + [row.detail]
                )
            )
        yield "".join(chunk)
        offset += _BATCH
