"""JSON API resources under ``/api/v1``: observations, statistics results, the dashboard, actions and risks.

Same services as the pages, same access rules (token or session; lead officers write only their own actions
and risks), the one JSON error shape, and W1's pagination envelope for lists. Illustrative values carry
``"illustrative": true``; every observation names its import ``batch`` (or the plan document it came from).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from gapwatch.errors import Conflict
from gapwatch.queries.json import plain as _plain
from gapwatch.services.actions import (
    ActionFilters,
    ActionUpdateInput,
    ActionView,
    get_action,
    history,
    list_actions,
    update_action,
)
from gapwatch.services.gaps_view import gap_targets
from gapwatch.services.indicator_view import indicator_page
from gapwatch.services.observations import indicator_values
from gapwatch.services.risks import RiskFilters, RiskUpdateInput, RiskView, get_risk, list_risks, reviews, update_risk
from gapwatch.web.deps import CurrentUser, DbSession, require
from gapwatch.web.errors import error_body
from gapwatch.web.pagination import Pagination, paginate, paginated_response
from gapwatch.web.permissions import Permission
from gapwatch.web.window import request_window

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["plan"])

Reader = Annotated[CurrentUser, Depends(require(Permission.READ))]
Updater = Annotated[CurrentUser, Depends(require(Permission.UPDATE_OWN))]


@router.get("/observations", summary="Observations of an indicator, paginated")
def observations(
    request: Request,
    user: Reader,
    db: DbSession,
    params: Pagination,
    indicator: Annotated[str, Query(description="Indicator id (required: observations are read per indicator).")],
    area: Annotated[str | None, Query(description="Area code.")] = None,
    period: Annotated[str | None, Query(description="Period label, e.g. 2010/11.")] = None,
    category_type: Annotated[str | None, Query(description="Breakdown id; 'none' for the whole population.")] = None,
) -> JSONResponse:
    """Values with 95% limits (filled from counts where not supplied), counts, lineage and the illustrative flag."""
    df = indicator_values(db, indicator, area=area, period=period, category_type=category_type)
    rows = [_plain(r) for r in df.iter_rows(named=True)]
    return paginated_response(request, paginate(rows, params))


@router.get("/indicators/{indicator_id}/statistics", summary="An indicator's statistics")
def statistics(
    indicator_id: str,
    user: Reader,
    db: DbSession,
    area: Annotated[str | None, Query(description="Area code (default: the partnership's area).")] = None,
) -> dict[str, Any]:
    """Trend and its verdict, target status, districts against the benchmark, groups and gaps with their
    trends, and the SII — everything the indicator page shows, as data."""
    page = indicator_page(db, indicator_id, area=area)
    return {
        "data": {
            "indicator": page.indicator.model_dump(mode="json"),
            "area": page.area,
            "area_name": page.area_name,
            "series": _plain(page.series),
            "trend": page.trend,
            "trend_assessment": page.trend_assessment,
            "level_targets": _plain(page.level_targets),
            "gap_targets": _plain(page.gap_targets),
            "districts": {
                "period": page.districts_period,
                "benchmark": page.benchmark,
                "areas": _plain(page.districts),
            },
            "groups": {"period": page.groups_period, "values": _plain(page.groups)},
            "gaps": _plain(page.gap_series),
            "sii": _plain(page.sii),
            "illustrative": page.illustrative,
            "notes": page.notes,
        }
    }


@router.get("/gap-targets", summary="Gap-closing targets and their progress")
def gap_target_list(request: Request, user: Reader, db: DbSession, params: Pagination) -> JSONResponse:
    """Every gap-closing target (such as PSA 1 Target 12's nine Thanet gaps) with its status."""
    rows = [_plain(dataclasses.replace(t, series=None)) for t in gap_targets(db)]
    return paginated_response(request, paginate(rows, params))


def _action_json(view: ActionView) -> dict[str, Any]:
    return _plain(view)  # type: ignore[no-any-return]


@router.get("/actions", summary="Actions with their progress, paginated")
def actions(
    request: Request,
    user: Reader,
    db: DbSession,
    params: Pagination,
    board: str | None = None,
    outcome: str | None = None,
    organisation: str | None = None,
    officer: str | None = None,
    rag: Annotated[str | None, Query(description="red, amber, green or none")] = None,
    overdue: bool = False,
) -> JSONResponse:
    """Every action with its latest RAG, percentage complete, commentary, deadline and version (for updates)."""
    views = list_actions(
        db,
        ActionFilters(
            board=board, outcome=outcome, organisation=organisation, officer=officer, rag=rag, overdue=overdue
        ),
        window=request_window(db),
    )
    return paginated_response(request, paginate([_action_json(v) for v in views], params))


@router.get("/actions/{action_id}", summary="One action with its history")
def action(action_id: str, user: Reader, db: DbSession) -> dict[str, Any]:
    """The action and every update, newest first."""
    view = get_action(db, action_id, window=request_window(db))
    return {"data": {**_action_json(view), "history": _plain(history(db, action_id))}}


class ActionUpdateBody(BaseModel):
    """An action update: send the ``version`` you read; a newer version on the server gives 409 with it."""

    version: int = Field(ge=0)
    rag: str
    percent_complete: int | None = Field(default=None, ge=0, le=100)
    commentary: str
    milestones_done: list[str] = Field(default_factory=list)
    new_deadline: date | None = None
    deadline_reason: str | None = None


def _conflict(exc: Conflict) -> JSONResponse:
    body = error_body(409, exc.code, exc.message, hint=exc.hint)
    body["error"]["current"] = exc.current
    return JSONResponse(body, status_code=409)


@router.post("/actions/{action_id}/updates", status_code=201, summary="Update an action (its lead officer)")
def update(action_id: str, body: ActionUpdateBody, user: Updater, db: DbSession) -> Any:
    """Record an update; 403 for someone else's action, 422 with every bad field, 409 with the other change."""
    d = body.new_deadline
    raw = ActionUpdateInput(
        rag=body.rag,
        percent_complete="" if body.percent_complete is None else str(body.percent_complete),
        commentary=body.commentary,
        milestones_done=body.milestones_done,
        deadline_day=str(d.day) if d else "",
        deadline_month=str(d.month) if d else "",
        deadline_year=str(d.year) if d else "",
        deadline_reason=body.deadline_reason or "",
    )
    try:
        row = update_action(db, user, action_id, body.version, raw)
    except Conflict as exc:
        db.rollback()
        return _conflict(exc)
    db.commit()
    return JSONResponse({"data": _plain(row)}, status_code=201)


def _risk_json(view: RiskView) -> dict[str, Any]:
    return _plain(view)  # type: ignore[no-any-return]


@router.get("/risks", summary="The risk register, paginated")
def risks(
    request: Request,
    user: Reader,
    db: DbSession,
    params: Pagination,
    owner: str | None = None,
    level: str | None = None,
    status: str | None = "open",
    review_overdue: bool = False,
) -> JSONResponse:
    """Risks, highest score first, with likelihood, impact, score, level, owner, mitigations and review date."""
    filters = RiskFilters(owner=owner, level=level, status=status or None, review_overdue=review_overdue)
    views = list_risks(db, filters, window=request_window(db))
    return paginated_response(request, paginate([_risk_json(v) for v in views], params))


@router.get("/risks/{risk_id}", summary="One risk with its reviews")
def risk(risk_id: str, user: Reader, db: DbSession) -> dict[str, Any]:
    """The risk and every review, newest first."""
    view = get_risk(db, risk_id, window=request_window(db))
    return {"data": {**_risk_json(view), "reviews": _plain(reviews(db, risk_id))}}


class RiskReviewBody(BaseModel):
    """A risk review: send the ``version`` you read."""

    version: int = Field(ge=0)
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    mitigations: list[str] = Field(default_factory=list)
    review_date: date
    status: str = "open"
    commentary: str | None = None
    owner: str | None = None


@router.post("/risks/{risk_id}/reviews", status_code=201, summary="Review a risk (its owner)")
def review(risk_id: str, body: RiskReviewBody, user: Updater, db: DbSession) -> Any:
    """Record a review; 403 for someone else's risk, 422 with every bad field, 409 with the other review."""
    raw = RiskUpdateInput(
        likelihood=str(body.likelihood),
        impact=str(body.impact),
        mitigations="\n".join(body.mitigations),
        review_day=str(body.review_date.day),
        review_month=str(body.review_date.month),
        review_year=str(body.review_date.year),
        status=body.status,
        commentary=body.commentary or "",
        owner=body.owner or "",
    )
    try:
        row = update_risk(db, user, risk_id, body.version, raw)
    except Conflict as exc:
        db.rollback()
        return _conflict(exc)
    db.commit()
    return JSONResponse({"data": _plain(row)}, status_code=201)
