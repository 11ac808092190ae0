"""The plan: the framework as a tree (ambitions, KPQs, priorities, outcomes, actions, indicators, enablers,
delivery plans, boards) with each item's status rolled up, a search, and a page per outcome."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from gapwatch.queries.plan_tree import COLOURS, outcome_page, plan_status_tree
from gapwatch.services.plans import current_plan
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import DB, READ, blank_to_none
from gapwatch.web.templating import render
from gapwatch.web.window import request_window

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/plan")
def plan_page(request: Request, q: str | None = None, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """The whole plan as a collapsible tree with rolled-up status; ``q`` keeps the matches and their ancestors."""
    query = blank_to_none(q)
    if query is not None and len(query) > 200:
        query = query[:200]
    window = request_window(db)
    tree = plan_status_tree(db, window, query)
    plan = current_plan(db)
    return render(
        request,
        "plan/index.html",
        {
            "tree": tree.roots,
            "rollups": tree.rollups,
            "leaves": tree.leaves,
            "colours": COLOURS,
            "q": query or "",
            "matches": tree.matches,
            "framework": plan.framework,
            "window": window,
        },
    )


@router.get("/plan/outcomes/{outcome_id}")
def outcome(request: Request, outcome_id: str, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """One outcome: its indicators with latest value, trend and status; its actions; the KPQs it serves."""
    window = request_window(db)
    return render(request, "plan/outcome.html", {"o": outcome_page(db, outcome_id, window), "window": window})
