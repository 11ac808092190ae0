"""The risk register: the list with its likelihood x impact heat map, a risk with its reviews, the review
form for its owner, and a form for performance officers to add a risk."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from gapwatch.domain.access import edits_everything, ensure_can_edit
from gapwatch.errors import Conflict, InvalidInput, Problem
from gapwatch.services.actions import people_directory
from gapwatch.services.plans import current_plan
from gapwatch.services.risks import (
    RISK_STATUSES,
    NewRiskInput,
    RiskFilters,
    RiskUpdateInput,
    RiskView,
    add_risk,
    can_edit_risk,
    get_risk,
    heat_map,
    list_risks,
    reviews,
    update_risk,
)
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import DB, MANAGE, READ, UPDATE, blank_to_none, errors_of, form_value
from gapwatch.web.templating import render
from gapwatch.web.window import request_window

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@router.get("/risks")
def risks_page(request: Request, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """The register, highest score first, with the heat map of likelihood x impact."""
    q = request.query_params
    status = q.get("status", "open")
    filters = RiskFilters(
        owner=blank_to_none(q.get("owner")),
        organisation=blank_to_none(q.get("organisation")),
        level=blank_to_none(q.get("level")),
        status=blank_to_none(status),
        review_overdue=q.get("overdue") in ("1", "on", "true"),
    )
    window = request_window(db)
    risks = list_risks(db, filters, window=window)
    likelihood, impact = _int(q.get("likelihood")), _int(q.get("impact"))
    shown = [
        r
        for r in risks
        if (likelihood is None or r.likelihood == likelihood) and (impact is None or r.impact == impact)
    ]
    everything = RiskFilters(status=None)
    owners = sorted(
        {(r.owner_id, r.owner or r.owner_id) for r in list_risks(db, everything, window=window) if r.owner_id},
        key=lambda x: x[1],
    )
    return render(
        request,
        "risks/list.html",
        {
            "risks": shown,
            "grid": heat_map(risks),
            "filters": filters,
            "status": status,
            "owners": owners,
            "likelihood": likelihood,
            "impact": impact,
            "can_add": edits_everything(user),
        },
    )


def _review_values(risk: RiskView | None) -> dict[str, Any]:
    if risk is None:
        return {
            "likelihood": "",
            "impact": "",
            "mitigations": "",
            "review_day": "",
            "review_month": "",
            "review_year": "",
            "status": "open",
            "commentary": "",
            "owner": "",
        }
    review = risk.review_date
    return {
        "likelihood": str(risk.likelihood),
        "impact": str(risk.impact),
        "mitigations": "\n".join(risk.mitigations),
        "review_day": str(review.day) if review else "",
        "review_month": str(review.month) if review else "",
        "review_year": str(review.year) if review else "",
        "status": risk.status,
        "commentary": "",
        "owner": risk.owner_id or "",
    }


def _review_input(form: FormData) -> RiskUpdateInput:
    return RiskUpdateInput(
        likelihood=form_value(form, "likelihood"),
        impact=form_value(form, "impact"),
        mitigations=form_value(form, "mitigations"),
        review_day=form_value(form, "review_date-day"),
        review_month=form_value(form, "review_date-month"),
        review_year=form_value(form, "review_date-year"),
        status=form_value(form, "status") or "open",
        commentary=form_value(form, "commentary"),
        owner=form_value(form, "owner"),
    )


def _values_of(raw: RiskUpdateInput) -> dict[str, Any]:
    return {
        "likelihood": raw.likelihood,
        "impact": raw.impact,
        "mitigations": raw.mitigations,
        "review_day": raw.review_day,
        "review_month": raw.review_month,
        "review_year": raw.review_year,
        "status": raw.status,
        "commentary": raw.commentary,
        "owner": raw.owner,
    }


@router.get("/risks/new")
def new_risk_form(request: Request, user: CurrentUser | None = MANAGE, db: Session = DB) -> Response:
    """The form to add a risk to the register."""
    return _new_form(
        request, db, {"title": "", "description": "", "action": "", "outcome": "", **_review_values(None)}, {}
    )


def _new_form(
    request: Request, db: Session, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    plan = current_plan(db)
    return render(
        request,
        "risks/new.html",
        {
            "values": values,
            "errors": errors,
            "people": sorted(people_directory(db).items(), key=lambda x: x[1]),
            "actions": [(a.id, f"{a.number} {a.text[:80]}") for a in plan.framework.actions],
            "outcomes": [(o.id, f"{o.code} {o.title[:80]}") for o in plan.framework.outcomes],
        },
        status_code=status,
    )


@router.post("/risks/new")
async def new_risk(request: Request, user: CurrentUser | None = MANAGE, db: Session = DB) -> Response:
    """Add a risk; bad values come back with the error summary."""
    assert user is not None
    form = await request.form()
    review = _review_input(form)
    raw = NewRiskInput(
        title=form_value(form, "title"),
        description=form_value(form, "description"),
        action=form_value(form, "action"),
        outcome=form_value(form, "outcome"),
        review=review,
    )
    try:
        risk = add_risk(db, user, raw, window=request_window(db))
    except InvalidInput as exc:
        db.rollback()
        values = {
            "title": raw.title,
            "description": raw.description,
            "action": raw.action,
            "outcome": raw.outcome,
            **_values_of(review),
        }
        return _new_form(request, db, values, errors_of(exc.problems), status=422)
    db.commit()
    return RedirectResponse(f"/risks/{risk.id}?saved=new", status_code=303)


@router.get("/risks/{risk_id}")
def risk_page(request: Request, risk_id: str, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """One risk: scores, owner, mitigations, review date, linked action or outcome, and its reviews."""
    risk = get_risk(db, risk_id, window=request_window(db))
    return render(
        request,
        "risks/detail.html",
        {
            "risk": risk,
            "reviews": reviews(db, risk_id),
            "can_edit": can_edit_risk(user, risk),
            "saved": request.query_params.get("saved"),
        },
    )


def _review_form(
    request: Request,
    db: Session,
    risk: RiskView,
    values: dict[str, Any],
    version: int,
    user: CurrentUser,
    *,
    errors: dict[str, str] | None = None,
    conflict: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "risks/review.html",
        {
            "risk": risk,
            "values": values,
            "version": version,
            "errors": errors or {},
            "conflict": conflict,
            "statuses": RISK_STATUSES,
            "can_reassign": edits_everything(user),
            "people": sorted(people_directory(db).items(), key=lambda x: x[1]),
        },
        status_code=status,
    )


@router.get("/risks/{risk_id}/review")
def review_form(request: Request, risk_id: str, user: CurrentUser | None = UPDATE, db: Session = DB) -> Response:
    """The review form, for the risk's owner (and performance officers and admins)."""
    assert user is not None
    risk = get_risk(db, risk_id, window=request_window(db))
    ensure_can_edit(user, [risk.owner_id], what=f"risk {risk_id}", owner="owner")
    return _review_form(request, db, risk, _review_values(risk), risk.version, user)


@router.post("/risks/{risk_id}/review")
async def review_submit(
    request: Request, risk_id: str, user: CurrentUser | None = UPDATE, db: Session = DB
) -> Response:
    """Save a review (optimistically locked like action updates)."""
    assert user is not None
    form = await request.form()
    raw = _review_input(form)
    try:
        version = int(form_value(form, "version"))
    except ValueError:
        raise InvalidInput(
            "The form is out of date",
            problems=[Problem("Open the review form again", field="version")],
        ) from None
    try:
        update_risk(db, user, risk_id, version, raw)
    except InvalidInput as exc:
        db.rollback()
        return _review_form(
            request,
            db,
            get_risk(db, risk_id, window=request_window(db)),
            _values_of(raw),
            version,
            user,
            errors=errors_of(exc.problems),
            status=422,
        )
    except Conflict as exc:
        db.rollback()
        current = get_risk(db, risk_id, window=request_window(db))
        other = exc.current if isinstance(exc.current, dict) else {}
        return _review_form(
            request,
            db,
            current,
            _values_of(raw),
            current.version,
            user,
            conflict={"message": exc.message, **other},
            status=409,
        )
    db.commit()
    return RedirectResponse(f"/risks/{risk_id}?saved=1", status_code=303)
