"""The public site: what the partnership has published, read-only, no sign-in.

Only published reports appear here (approved by the board's chair, frozen at the cycle's close, with small
numbers withheld by disclosure control before publication); nothing is computed from live data. Officers
appear only by their organisation: names, usernames and who-updated-what stay inside. A withdrawn report
leaves the list; its address says when it was withdrawn, by whom (a role) and why, with HTTP 410 Gone.

Withdrawing is the one thing done here that needs signing in: a performance officer (data management)
withdraws a publication with a reason, audited by :func:`gapwatch.services.approvals.withdraw_publication`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, RedirectResponse, Response

from gapwatch.errors import InvalidInput, NotFound
from gapwatch.queries.public import PublicPage, chart_points, public_page
from gapwatch.services.approvals import MAX_WITHDRAWAL_REASON, withdraw_publication
from gapwatch.services.plans import current_plan
from gapwatch.services.publishing import (
    SYMBOLS,
    csvw_metadata,
    list_publications,
    list_withdrawals,
    open_data,
    public_view,
)
from gapwatch.web.charts import trend_chart
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import DB, ENGINE, MANAGE, PUBLIC, errors_of, form_value
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _url(cycle: str, board: str, tail: str = "") -> str:
    return f"/public/{quote(cycle, safe='')}/{quote(board, safe='')}{tail}"


def _filename(cycle: str, board: str, suffix: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in f"{cycle}-{board}")
    return f'attachment; filename="{safe}{suffix}"'


@router.get("/public")
def public_home(
    request: Request, user: CurrentUser | None = PUBLIC, engine: Engine = ENGINE, db: Session = DB
) -> Response:
    """The partnership's ambitions, its published reports and any it has withdrawn."""
    try:
        plan = current_plan(db)
    except NotFound:
        return render(request, "public/index.html", {"framework": None, "publications": [], "withdrawals": []})
    return render(
        request,
        "public/index.html",
        {
            "framework": plan.framework,
            "publications": list_publications(engine),
            "withdrawals": list_withdrawals(engine),
        },
    )


#: Public charts have a fixed width, so a chart inside a closed <details> is drawn at its size when opened.
CHART_WIDTH = 440


def _chart(page: PublicPage, indicator: str) -> dict[str, Any] | None:
    """The trend chart of an indicator's *published* headline values (withheld ones are simply not drawn)."""
    found = next((i for i in page.indicators if i.id == indicator), None)
    if found is None:
        return None
    title = f"{found.code}, {found.area_name}"
    spec = trend_chart(chart_points(found.headline), [], found.unit, title, area_name=found.area_name)
    if spec is not None:
        spec["width"] = CHART_WIDTH
        spec["height"] = 220
    return spec


@router.get("/public/{cycle}/{board}")
def public_report_page(
    request: Request,
    cycle: str,
    board: str,
    user: CurrentUser | None = PUBLIC,
    engine: Engine = ENGINE,
    db: Session = DB,
) -> Response:
    """A published report, summary first: plain-English answers to the KPQs with a chart and a table beside each,
    what improved and what did not, and each indicator's published figures behind a <details>; or the notice
    of its withdrawal."""
    view = public_view(engine, cycle, board)
    if view.published is None:
        return render(request, "public/withdrawn.html", {"info": view.info}, status_code=410)
    plan = current_plan(db)
    page = public_page(view.published, plan.framework, plan.areas)
    wanted = {i.id for i in page.indicators} | {k.indicator for k in page.kpqs if k.indicator}
    charts = {ind: _chart(page, ind) for ind in sorted(wanted)}
    return render(
        request,
        "public/report.html",
        {
            "report": view.published.report,
            "page": page,
            "charts": charts,
            "published": view.published,
            "info": view.info,
            "symbols": SYMBOLS,
            "cycle": cycle,
            "board": board,
        },
    )


@router.get("/public/{cycle}/{board}/summary.json")
def public_summary(
    cycle: str, board: str, user: CurrentUser | None = PUBLIC, engine: Engine = ENGINE, db: Session = DB
) -> Response:
    """The public page's content as JSON (the same read model the page is drawn from)."""
    view = public_view(engine, cycle, board)
    if view.published is None:
        return public_data(cycle, board, "json", user, engine)  # raises Withdrawn (410), one error shape
    plan = current_plan(db)
    page = public_page(view.published, plan.framework, plan.areas)
    return JSONResponse(page.model_dump(mode="json"))


@router.get("/public/{cycle}/{board}/data.csv-metadata.json")
def public_metadata(cycle: str, board: str, user: CurrentUser | None = PUBLIC, engine: Engine = ENGINE) -> Response:
    """The data dictionary of the open data CSV: W3C CSV on the Web (CSVW) metadata, served beside the CSV."""
    body = csvw_metadata(engine, cycle, board, csv_url="data.csv")
    return Response(body, media_type="application/csvm+json")


@router.get("/public/{cycle}/{board}/data.{fmt}")
def public_data(
    cycle: str, board: str, fmt: str, user: CurrentUser | None = PUBLIC, engine: Engine = ENGINE
) -> Response:
    """The open data behind a published report (CSV, or JSON with KPQ answers, targets and gaps)."""
    if fmt not in ("csv", "json"):
        raise NotFound(f"Open data come as csv or json, not '{fmt}'")
    body = open_data(engine, cycle, board, fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(body, media_type=media, headers={"content-disposition": _filename(cycle, board, f".{fmt}")})


@router.get("/public/{cycle}/{board}/notes.csv")
def public_notes(cycle: str, board: str, user: CurrentUser | None = PUBLIC, engine: Engine = ENGINE) -> Response:
    """The notes sheet of the open data: what [c], [x], [z] and [low] mean, and each indicator's rule."""
    body = open_data(engine, cycle, board, "notes")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": _filename(cycle, board, "-notes.csv")},
    )


@router.get("/public/{cycle}/{board}/withdraw")
def withdraw_form(
    request: Request, cycle: str, board: str, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE
) -> Response:
    """The form a performance officer uses to withdraw a publication (signed in, data management)."""
    view = public_view(engine, cycle, board)
    return _form(request, view.info, cycle, board, {}, "")


def _form(request: Request, info: object, cycle: str, board: str, errors: dict[str, str], reason: str) -> Response:
    return render(
        request,
        "public/withdraw.html",
        {
            "info": info,
            "cycle": cycle,
            "board": board,
            "errors": errors,
            "reason": reason,
            "limit": MAX_WITHDRAWAL_REASON,
        },
        status_code=422 if errors else 200,
    )


@router.post("/public/{cycle}/{board}/withdraw")
async def withdraw(
    request: Request, cycle: str, board: str, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE
) -> Response:
    """Withdraw a publication with a reason; /public then says so in its place."""
    assert user is not None
    form = await request.form()
    reason = form_value(form, "reason")
    try:
        withdraw_publication(engine, cycle, board, reason, by=user)
    except InvalidInput as exc:
        return _form(request, public_view(engine, cycle, board).info, cycle, board, errors_of(exc.problems), reason)
    return RedirectResponse(_url(cycle, board), status_code=303)
