"""The public site: what the partnership has published, read-only, no sign-in.

Only published reports appear here (approved by the board's chair, frozen at the cycle's close, with small
numbers withheld by disclosure control before publication); nothing is computed from live data. Officers
appear only by their organisation: names, usernames and who-updated-what stay inside.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.responses import Response

from gapwatch.errors import NotFound
from gapwatch.services.plans import current_plan
from gapwatch.services.publishing import list_publications, open_data, public_report
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import DB, ENGINE, PUBLIC
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/public")
def public_home(
    request: Request, user: CurrentUser | None = PUBLIC, engine: Engine = ENGINE, db: Session = DB
) -> Response:
    """The partnership's ambitions and its published reports."""
    try:
        plan = current_plan(db)
    except NotFound:
        return render(request, "public/index.html", {"framework": None, "publications": []})
    return render(
        request, "public/index.html", {"framework": plan.framework, "publications": list_publications(engine)}
    )


@router.get("/public/{cycle}/{board}")
def public_report_page(
    request: Request,
    cycle: str,
    board: str,
    user: CurrentUser | None = PUBLIC,
    engine: Engine = ENGINE,
    db: Session = DB,
) -> Response:
    """A published report: KPQ answers, targets, gaps, indicators, actions and risks as published."""
    report = public_report(engine, cycle, board)
    plan = current_plan(db)
    return render(
        request, "public/report.html", {"report": report, "cycle": cycle, "board": board, "areas": plan.areas}
    )


@router.get("/public/{cycle}/{board}/data.{fmt}")
def public_data(
    cycle: str, board: str, fmt: str, user: CurrentUser | None = PUBLIC, engine: Engine = ENGINE
) -> Response:
    """The open data behind a published report (CSV, or JSON with KPQ answers, targets and gaps)."""
    if fmt not in ("csv", "json"):
        raise NotFound(f"Open data come as csv or json, not '{fmt}'")
    body = open_data(engine, cycle, board, fmt)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in f"{cycle}-{board}")
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{safe}.{fmt}"'})
