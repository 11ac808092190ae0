"""Actions: the list with filters, an action with its history, and the update form for its owner.

A lead officer updates their own actions; the service refuses anyone else (Forbidden). Two people editing
the same action: the second sees the first person's update beside their own values, which are kept in the
form, so nothing is lost and they can save again knowingly.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from gapwatch.domain.access import ensure_can_edit
from gapwatch.errors import Conflict, InvalidInput, Problem
from gapwatch.queries.accountability import accountability, my_work
from gapwatch.services.actions import (
    RAG_VALUES,
    ActionFilters,
    ActionUpdateInput,
    ActionView,
    assign_lead_officer,
    can_edit_action,
    get_action,
    history,
    list_actions,
    people_directory,
    rag_counts,
    update_action,
)
from gapwatch.services.comments import add_comment, comments_on
from gapwatch.services.plans import current_plan
from gapwatch.web.deps import CurrentUser
from gapwatch.web.permissions import Permission
from gapwatch.web.routes._pages import COMMENT, DB, MANAGE, READ, UPDATE, blank_to_none, errors_of, form_value
from gapwatch.web.templating import render
from gapwatch.web.window import request_window

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _filters(request: Request) -> ActionFilters:
    q = request.query_params
    return ActionFilters(
        board=blank_to_none(q.get("board")),
        ambition=blank_to_none(q.get("ambition")),
        priority=blank_to_none(q.get("priority")),
        outcome=blank_to_none(q.get("outcome")),
        organisation=blank_to_none(q.get("organisation")),
        officer=blank_to_none(q.get("officer")),
        rag=blank_to_none(q.get("rag")),
        overdue=q.get("overdue") in ("1", "on", "true"),
        no_update_this_cycle=q.get("stale") in ("1", "on", "true"),
        q=blank_to_none(q.get("q")),
    )


@router.get("/actions")
def actions_page(request: Request, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """Every action with its RAG, filtered by board, outcome, lead organisation or officer, RAG, overdue, stale."""
    filters = _filters(request)
    plan = current_plan(db)
    window = request_window(db)
    views = list_actions(db, filters, window=window)
    organisations = sorted(
        {
            (v.lead_organisation_id, v.lead_organisation or v.lead_organisation_id)
            for v in list_actions(db, window=window)
            if v.lead_organisation_id
        },
        key=lambda x: x[1],
    )
    # Everyone who can lead: the plan's named people and every user account linked to a person.
    officers = sorted(people_directory(db).items(), key=lambda x: x[1])
    outcomes = [
        (o.id, f"{o.code} {o.title}")
        for o in plan.framework.outcomes
        if any(a.outcome == o.id for a in plan.framework.actions)
    ]
    return render(
        request,
        "actions/list.html",
        {
            "actions": views,
            "filters": filters,
            "counts": rag_counts(views),
            "plan": plan,
            "options": {
                "boards": [(b.id, b.name) for b in plan.framework.boards],
                "outcomes": outcomes,
                "organisations": organisations,
                "officers": officers,
                "rags": [(r, r.capitalize()) for r in RAG_VALUES] + [("none", "No update yet")],
            },
            "cycle_start": window.start,
            "window": window,
        },
    )


def _action_context(db: Session, action_id: str, user: CurrentUser | None) -> dict[str, Any]:
    view = get_action(db, action_id, window=request_window(db))
    plan = current_plan(db)
    return {
        "action": view,
        "history": history(db, action_id),
        "plan": plan,
        "can_edit": can_edit_action(user, view),
        "comments": comments_on(db, "action", action_id),
        "can_comment": user is not None and user.may(Permission.COMMENT),
        "people": sorted(people_directory(db).items(), key=lambda x: x[1]),
    }


@router.get("/my-work")
def my_work_page(request: Request, user: CurrentUser | None = UPDATE, db: Session = DB) -> Response:
    """My actions and risks: what the signed-in lead officer has due this cycle, overdue and not yet updated,
    the risks they own, and the actions nobody leads."""
    assert user is not None
    window = request_window(db)
    return render(request, "actions/mine.html", {"work": my_work(db, user.person_id, window), "window": window})


@router.get("/accountability")
def accountability_page(request: Request, user: CurrentUser | None = MANAGE, db: Session = DB) -> Response:
    """Owner accountability for the performance officer: last update per owner, measures without an active owner."""
    window = request_window(db)
    return render(request, "actions/accountability.html", {"acc": accountability(db, window), "window": window})


@router.get("/actions/{action_id}")
def action_page(request: Request, action_id: str, user: CurrentUser | None = READ, db: Session = DB) -> Response:
    """One action: what it is, who leads it, its progress and its history of updates."""
    context = _action_context(db, action_id, user)
    context["saved"] = request.query_params.get("saved")
    return render(request, "actions/detail.html", context)


def _form_values(view: ActionView) -> dict[str, Any]:
    deadline = view.deadline if view.deadline != view.original_deadline else None
    return {
        "rag": view.rag or "",
        "percent_complete": "" if view.percent_complete is None else str(view.percent_complete),
        "commentary": "",
        "milestones_done": [m.text for m in view.milestones if m.done],
        "deadline_day": str(deadline.day) if deadline else "",
        "deadline_month": str(deadline.month) if deadline else "",
        "deadline_year": str(deadline.year) if deadline else "",
        "deadline_reason": "",
    }


def _form(
    request: Request,
    view: ActionView,
    values: dict[str, Any],
    version: int,
    *,
    errors: dict[str, str] | None = None,
    conflict: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "actions/update.html",
        {
            "action": view,
            "values": values,
            "version": version,
            "errors": errors or {},
            "conflict": conflict,
            "rags": RAG_VALUES,
        },
        status_code=status,
    )


@router.get("/actions/{action_id}/update")
def update_form(request: Request, action_id: str, user: CurrentUser | None = UPDATE, db: Session = DB) -> Response:
    """The update form, for the action's lead officer (and performance officers and admins)."""
    view = get_action(db, action_id, window=request_window(db))
    ensure_can_edit(user, [view.lead_officer_id], what=f"action {view.number}")
    return _form(request, view, _form_values(view), view.version)


@router.post("/actions/{action_id}/update")
async def update_submit(
    request: Request, action_id: str, user: CurrentUser | None = UPDATE, db: Session = DB
) -> Response:
    """Save an update; bad values come back with the GOV.UK error summary, a clash with the other change."""
    assert user is not None
    form = await request.form()
    raw = ActionUpdateInput(
        rag=form_value(form, "rag"),
        percent_complete=form_value(form, "percent_complete"),
        commentary=form_value(form, "commentary"),
        milestones_done=[v for v in form.getlist("milestones_done") if isinstance(v, str)],
        deadline_day=form_value(form, "new_deadline-day"),
        deadline_month=form_value(form, "new_deadline-month"),
        deadline_year=form_value(form, "new_deadline-year"),
        deadline_reason=form_value(form, "deadline_reason"),
    )
    values = {
        "rag": raw.rag,
        "percent_complete": raw.percent_complete,
        "commentary": raw.commentary,
        "milestones_done": list(raw.milestones_done),
        "deadline_day": raw.deadline_day,
        "deadline_month": raw.deadline_month,
        "deadline_year": raw.deadline_year,
        "deadline_reason": raw.deadline_reason,
    }
    try:
        version = int(form_value(form, "version"))
    except ValueError:
        raise InvalidInput(
            "The form is out of date",
            problems=[Problem("Open the update form again", field="version")],
            hint="Reload the action and make your update again.",
        ) from None
    try:
        update_action(db, user, action_id, version, raw)
    except InvalidInput as exc:
        db.rollback()
        view = get_action(db, action_id, window=request_window(db))
        return _form(request, view, values, version, errors=errors_of(exc.problems), status=422)
    except Conflict as exc:
        db.rollback()
        current = get_action(db, action_id, window=request_window(db))
        other = exc.current if isinstance(exc.current, dict) else {}
        return _form(request, current, values, current.version, conflict={"message": exc.message, **other}, status=409)
    db.commit()
    return RedirectResponse(f"/actions/{action_id}?saved=1", status_code=303)


@router.post("/actions/{action_id}/lead")
async def assign_lead(
    request: Request, action_id: str, user: CurrentUser | None = MANAGE, db: Session = DB
) -> Response:
    """Assign the action's lead officer (performance officers and admins)."""
    assert user is not None
    form = await request.form()
    try:
        assign_lead_officer(
            db, user, action_id, int(form_value(form, "version") or "0"), form_value(form, "lead_officer")
        )
    except InvalidInput as exc:
        db.rollback()
        context = _action_context(db, action_id, user)
        context["errors"] = errors_of(exc.problems)
        return render(request, "actions/detail.html", context, status_code=422)
    db.commit()
    return RedirectResponse(f"/actions/{action_id}?saved=lead", status_code=303)


@router.post("/actions/{action_id}/comments")
async def comment(request: Request, action_id: str, user: CurrentUser | None = COMMENT, db: Session = DB) -> Response:
    """Add a comment on an action (board members, performance officers, admins)."""
    assert user is not None
    form = await request.form()
    body = form_value(form, "comment")
    try:
        add_comment(db, user, "action", action_id, body)
    except InvalidInput as exc:
        db.rollback()
        context = _action_context(db, action_id, user)
        context.update(errors=errors_of(exc.problems), comment_value=body.strip())
        return render(request, "actions/detail.html", context, status_code=422)
    db.commit()
    return RedirectResponse(f"/actions/{action_id}?saved=comment#comments", status_code=303)
