"""What a board's report covers, and which indicators are too stale for a cycle's cut-off.

A board oversees ambitions, priorities and plans (:class:`~gapwatch.domain.partnership.Board`); its report
shows the indicators monitoring them. Opening a cycle lists the indicators in scope whose newest value is
older than their frequency allows, so officers can chase the data before the reports are frozen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
from sqlalchemy.orm import Session

from gapwatch.domain.indicators import Frequency, Indicator
from gapwatch.domain.partnership import Board
from gapwatch.services._plan import Plan
from gapwatch.services.evidence import observations_until

__all__ = ["StaleIndicator", "board_has_scope", "board_indicators", "stale_indicators"]

#: How old the newest value may be at the cut-off before an indicator counts as stale: its frequency
#: plus a year's publication lag (annual data for 2010/11 typically appear late in 2011).
_MAX_AGE: dict[Frequency, timedelta | None] = {
    Frequency.MONTHLY: timedelta(days=92),
    Frequency.QUARTERLY: timedelta(days=183),
    Frequency.TERMLY: timedelta(days=240),
    Frequency.ANNUAL: timedelta(days=730),
    Frequency.BIENNIAL: timedelta(days=1095),
    Frequency.TRIENNIAL: timedelta(days=1460),
    Frequency.ONE_OFF: None,
}


@dataclass(frozen=True)
class StaleIndicator:
    """An indicator whose newest value (up to the cut-off) is older than its frequency allows."""

    indicator: str
    code: str
    title: str
    latest_period: str | None
    latest_end: date | None


def board_has_scope(plan: Plan, board: Board) -> bool:
    """Whether a board oversees anything a report could show (an ambition, priority or plan)."""
    del plan
    return bool(board.ambitions or board.priorities or board.plans)


def board_indicators(plan: Plan, board: Board) -> list[Indicator]:
    """Indicators a board oversees (:meth:`~gapwatch.domain.catalogue.Plan.board_covers_indicator`)."""
    return [ind for ind in plan.framework.indicators if plan.board_covers_indicator(board, ind)]


def stale_indicators(session: Session, plan: Plan, cutoff: date, board_ids: list[str]) -> list[StaleIndicator]:
    """Indicators in the boards' scope with no value, or whose newest value is too old for the cut-off."""
    wanted: dict[str, Indicator] = {}
    for board_id in board_ids:
        board = plan.boards.get(board_id)
        if board is not None:
            wanted.update({i.id: i for i in board_indicators(plan, board)})
    if not wanted:
        return []
    df = observations_until(session, plan, cutoff, list(wanted))
    latest = (
        df.filter(pl.col("value").is_not_null())
        .sort("period_end")
        .group_by("indicator")
        .agg(pl.col("period").last(), pl.col("period_end").last())
    )
    found = {r["indicator"]: (r["period"], r["period_end"]) for r in latest.iter_rows(named=True)}
    out = []
    for ind in wanted.values():
        period, end = found.get(ind.id, (None, None))
        limit = _MAX_AGE.get(ind.frequency)
        if end is None or (limit is not None and end < cutoff - limit):
            out.append(StaleIndicator(ind.id, ind.code, ind.title, period, end))
    return out
