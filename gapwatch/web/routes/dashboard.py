"""The dashboard: the state of the plan at a glance, per ambition and per board, with filters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from gapwatch.services.actions import rag_counts
from gapwatch.services.dashboard import (
    GAP_VERDICTS,
    STATUS_ORDER,
    DashboardFilters,
    Highlight,
    dashboard,
    highlights,
    recent_changes,
)
from gapwatch.services.kpq import dashboard_answers
from gapwatch.services.plans import current_plan
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import DB, READ, blank_to_none
from gapwatch.web.templating import render
from gapwatch.web.window import request_window

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Height of the dashboard's small charts (px): four fit on a laptop screen beside their tables.
_SMALL = 150


def _small(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """A chart spec of :mod:`gapwatch.web.charts` made small for the dashboard (the title is the card's heading)."""
    if spec is None:
        return None
    spec = {k: v for k, v in spec.items() if k != "title"}
    spec["height"] = _SMALL
    # Tick labels to the precision they need ("73", "2.5"), not "73.000000" on a one-value axis.
    # The figure is one image (role="img" with its label, the table beside it): the marks inside are hidden
    # from assistive technology rather than announced one by one without text.
    spec["config"] = {
        **spec.get("config", {}),
        "axisY": {"format": ",.2~f"},
        "axisX": {"labelOverlap": True},
        "aria": False,
    }
    for layer in spec.get("layer", []):
        mark = layer.get("mark")
        layer["mark"] = {**(mark if isinstance(mark, dict) else {"type": mark}), "aria": False}
    return spec


def _charts(items: list[Highlight]) -> dict[str, dict[str, Any] | None]:
    """The trend and gap charts of each highlighted indicator, from the indicator and gap pages' own specs."""
    from gapwatch.web.charts import gap_chart, trend_chart

    out: dict[str, dict[str, Any] | None] = {}
    for h in items:
        key = h.status.indicator_id
        values = sum(p.value is not None for p in h.series)  # one value is not a trend: the text says so
        out[f"trend-{key}"] = _small(trend_chart(h.series, h.targets, h.unit, "")) if values > 1 else None
        out[f"gap-{key}"] = _small(gap_chart(h.gap, "")) if h.gap else None
    return out


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    board: str | None = None,
    locality: str | None = None,
    priority: str | None = None,
    user: CurrentUser | None = READ,
    db: Session = DB,
) -> Response:
    """Indicators by status, gaps by verdict, actions by RAG and the latest data, per ambition and per board."""
    filters = DashboardFilters(
        board=blank_to_none(board), locality=blank_to_none(locality), priority=blank_to_none(priority)
    )
    window = request_window(db)  # the open cycle's, so the dashboard agrees with the cycle's report
    view = dashboard(db, filters, window=window)
    plan = current_plan(db)
    recent = recent_changes(db, limit=8)
    items = highlights(db, view)
    kpqs = dashboard_answers(db, plan, window=window)
    return render(
        request,
        "dashboard/index.html",
        {
            "view": view,
            "statuses": STATUS_ORDER,
            "verdicts": GAP_VERDICTS,
            "recent": recent,
            "plan": plan,
            "rag_counts": rag_counts,
            "kpqs": kpqs,
            "highlights": items,
            "charts": _charts(items),
            "scorecard": _scorecard(db, window, filters),
        },
    )


def _scorecard(db: Session, window: Any, filters: DashboardFilters) -> Any:
    """A chosen board's scorecard (queries.scorecard): the same rows as its paper's one-page summary."""
    if not filters.board or filters.locality or filters.priority:
        return None
    from gapwatch.queries.scorecard import scorecard  # noqa: PLC0415

    return scorecard(db, window, filters.board)


@router.get("/overview")
def overview_page(
    request: Request,
    comparator: str = "parent",
    level: str = "district",
    user: CurrentUser | None = READ,
    db: Session = DB,
) -> Response:
    """Areas × indicators coloured by significance against England, the region or the parent area, with a table."""
    from gapwatch.queries.overview import COMPARATORS, LEVELS, overview

    window = request_window(db)
    doc = overview(db, window, comparator=comparator, level=level)
    return render(
        request,
        "dashboard/overview.html",
        {"doc": doc, "comparators": COMPARATORS, "levels": LEVELS, "window": window},
    )
