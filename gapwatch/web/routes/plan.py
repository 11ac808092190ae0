"""The plan: the framework as a tree (ambitions, KPQs, priorities, outcomes, actions, indicators, enablers,
delivery plans, boards) with each item's status rolled up, a search, and a page per outcome; the rest of the
plan (principles, the three sources of performance information, delivery plans with their ambitions, rewards)
on /plan/about; the area's facts ("This is Kent") on /about-the-area, public; both as JSON under /api/v1/plan."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from gapwatch.queries.plan_context import facts_by_topic, plan_context
from gapwatch.queries.plan_tree import COLOURS, outcome_page, plan_status_tree
from gapwatch.services.plans import current_plan
from gapwatch.web.deps import CurrentUser, DbSession, require
from gapwatch.web.permissions import Permission
from gapwatch.web.routes._pages import DB, PUBLIC, READ, blank_to_none
from gapwatch.web.templating import render
from gapwatch.web.window import request_window

__all__ = ["api_router", "router"]

Reader = Annotated[CurrentUser, Depends(require(Permission.READ))]

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


@router.get("/plan/about")
def plan_about(request: Request, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """The rest of the plan: how it is performance-managed (its principles and three sources of performance
    information), the partners' delivery plans with the ambitions each serves, and the rewards at stake."""
    plan = current_plan(db)
    return render(request, "plan/about.html", {"ctx": plan_context(plan.framework), "framework": plan.framework})


@router.get("/about-the-area")
def about_the_area(request: Request, user: CurrentUser | None = PUBLIC, db: Session = DB) -> Response:
    """The area in facts ("This is Kent"), each with its source: public, like the plan it comes from."""
    plan = current_plan(db)
    return render(request, "plan/facts.html", {"topics": facts_by_topic(plan.framework), "framework": plan.framework})


@router.get("/plan/facts")
def plan_facts(user: CurrentUser | None = READ) -> Response:
    """The facts page's address under /plan."""
    return RedirectResponse("/about-the-area", status_code=307)


#: The plan's context as JSON (same read model as the pages above).
api_router = APIRouter(prefix="/api/v1", tags=["plan"])


@api_router.get("/plan/facts", summary="Facts about the area ('This is Kent'), each with its source")
def facts_api(user: Reader, db: DbSession) -> dict[str, Any]:
    """Every fact of the framework, grouped by topic, as the /about-the-area page shows them."""
    return {"data": facts_by_topic(current_plan(db).framework)}


@api_router.get("/plan/context", summary="Principles, sources of performance information, delivery plans, rewards")
def context_api(user: Reader, db: DbSession) -> dict[str, Any]:
    """The plan's context as the /plan/about page shows it."""
    return {"data": plan_context(current_plan(db).framework)}
