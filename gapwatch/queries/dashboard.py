"""``dashboard``: what the dashboard shows for a board and a cycle — indicators by status, gaps by verdict,
actions by RAG (judged in the cycle's window) and the KPQ answers — as one JSON-ready object.

``gapwatch dashboard --format json`` prints it and ``GET /api/v1/dashboard`` returns it. For a reporting
cycle it uses the cycle's window (data up to its cut-off, actions judged at its as-of date), so it shows what
the cycle's report for the same board shows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gapwatch.domain.cycle import CycleWindow
from gapwatch.queries.json import plain
from gapwatch.queries.scorecard import scorecard
from gapwatch.services.dashboard import DashboardFilters, Summary, dashboard
from gapwatch.services.kpq import dashboard_answers
from gapwatch.services.plans import current_plan

__all__ = ["dashboard_summary"]


def _block(s: Summary) -> dict[str, Any]:
    return {
        "key": s.key,
        "title": s.title,
        "indicators": dict(s.indicators),
        "gaps": dict(s.gaps),
        "actions": dict(s.actions),
        "latest_period": s.latest_period,
        "illustrative": s.illustrative,
        "area": s.area,
    }


def dashboard_summary(
    session: Session,
    window: CycleWindow,
    *,
    board: str | None = None,
    locality: str | None = None,
    priority: str | None = None,
) -> dict[str, Any]:
    """The dashboard for ``board`` (all boards when None) in ``window``, with the KPQ answers of the board's
    ambitions (every ambition without a board)."""
    view = dashboard(session, DashboardFilters(board=board, locality=locality, priority=priority), window=window)
    plan = current_plan(session)
    ambitions = set(plan.boards[board].ambitions) if board else {a.id for a in plan.framework.ambitions}
    answers = dashboard_answers(session, plan, window=window)
    kpqs = [
        {"ambition": ambition, "kpq": a.kpq, "question": a.question, "answer": a.answer.value, "rule": a.rule}
        for ambition in [a.id for a in plan.framework.ambitions if a.id in ambitions]
        for a in answers.get(ambition, [])
    ]
    return {
        "board": board,
        "window": plain(window),
        "overall": _block(view.overall),
        "ambitions": [_block(s) for s in view.ambitions],
        "boards": [_block(s) for s in view.boards],
        "indicators": [
            {
                "id": s.indicator_id,
                "status": s.status,
                "targets": list(s.raw_statuses),
                "gaps": [list(g) for g in s.gaps],
            }
            for s in view.statuses
        ],
        "kpqs": kpqs,
        "notes": list(view.notes),
        # A board's scorecard: the rows its paper's one-page summary shows (queries.scorecard).
        "scorecard": scorecard(session, window, board).model_dump(mode="json")
        if board and not locality and not priority
        else None,
    }
