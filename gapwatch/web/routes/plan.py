"""The plan: the framework as a tree (ambitions, KPQs, priorities, outcomes, actions, indicators, enablers,
delivery plans, boards) with search."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from gapwatch.services.plan_view import plan_tree
from gapwatch.services.plans import current_plan
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import DB, READ, blank_to_none
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/plan")
def plan_page(request: Request, q: str | None = None, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """The whole plan as a tree; ``q`` keeps the items that match it, with the items above them."""
    query = blank_to_none(q)
    if query is not None and len(query) > 200:
        query = query[:200]
    tree, matches = plan_tree(db, query)
    plan = current_plan(db)
    return render(
        request, "plan/index.html", {"tree": tree, "q": query or "", "matches": matches, "framework": plan.framework}
    )
