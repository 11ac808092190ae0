"""The dashboard: the state of the plan at a glance, per ambition and per board, with filters."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from gapwatch.services.actions import rag_counts, recent_updates
from gapwatch.services.dashboard import GAP_VERDICTS, STATUS_ORDER, DashboardFilters, dashboard
from gapwatch.services.kpq import dashboard_answers
from gapwatch.services.plans import current_plan
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import DB, READ, blank_to_none
from gapwatch.web.templating import render
from gapwatch.web.window import request_window

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


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
    recent = recent_updates(db, limit=8)
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
        },
    )
