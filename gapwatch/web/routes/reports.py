"""Board reports in the web app: the list per cycle, a report on screen, its PDF / Word / HTML files,
commentary while the cycle is open, the chair's approval once it is closed, and publication.

The page shows the same report body as the PDF and Word files (gapwatch.reports), charts as inline SVG
with their tables, so it works without JavaScript. Who may do what: any signed-in user reads; writing
commentary needs the comment permission; deciding on commentary and publishing need data management
(performance officers); approving is open to signed-in users at the door and decided by the service,
which accepts only the board's chair or a delegate.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import InvalidInput, NotFound
from gapwatch.services import approvals, publishing
from gapwatch.services.cycles import cycle_status, cycle_status_or_none, list_cycle_names
from gapwatch.services.plans import current_plan
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import COMMENT, DB, ENGINE, MANAGE, PUBLIC, READ, SETTINGS, errors_of, form_value
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
}


def _url(cycle: str, board: str, tail: str = "") -> str:
    return f"/reports/{quote(cycle, safe='')}/{quote(board, safe='')}{tail}"


@router.get("/reports")
def reports_index(
    request: Request, user: CurrentUser | None = READ, engine: Engine = ENGINE, db: Session = DB
) -> Response:
    """The reports of a cycle (the latest by default): each board in scope with its approval state."""
    chosen = request.query_params.get("cycle") or None
    status = cycle_status_or_none(engine, chosen)
    plan = current_plan(db)
    boards = []
    if status is not None:
        for board_id in status.boards:
            board = plan.boards.get(board_id)
            boards.append(
                {
                    "id": board_id,
                    "name": board.name if board else board_id,
                    "kind": board.kind.value if board else "",
                    "approval": status.approvals.get(board_id)
                    or ("awaiting approval" if status.status == "closed" else "draft"),
                    "published": board_id in status.published,
                    "url": _url(status.name, board_id),
                }
            )
    return render(
        request,
        "reports/index.html",
        {"status": status, "cycles": list_cycle_names(engine), "boards": boards, "url": _url},
    )


@router.get("/reports/report.css")
def report_stylesheet(user: CurrentUser | None = PUBLIC) -> Response:
    """The report stylesheet (also used by the PDF), served because the page's CSP forbids inline styles."""
    from gapwatch.reports import report_css  # noqa: PLC0415 - the reports extra loads on first use

    return Response(report_css(), media_type="text/css", headers={"cache-control": "public, max-age=3600"})


def _commentary_subjects(db: Session) -> dict[str, list[tuple[str, str]]]:
    plan = current_plan(db)
    fw = plan.framework
    return {
        "indicator": [(i.id, f"{i.code}: {i.title}"[:100]) for i in fw.indicators],
        "outcome": [(o.id, f"{o.code} {o.title}"[:100]) for o in fw.outcomes],
        "kpq": [(k.id, f"{k.id}: {k.question}"[:100]) for k in fw.kpqs],
    }


def _page(
    request: Request,
    engine: Engine,
    db: Session,
    user: CurrentUser | None,
    cycle: str,
    board: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    from gapwatch.reports import build_board_report, render_body  # noqa: PLC0415

    annexes = request.query_params.get("annexes") in ("1", "on", "true")
    report = build_board_report(engine, board, cycle, annexes=annexes)
    data = report.data
    published = data.board.id in cycle_status(engine, data.cycle.name).published
    return render(
        request,
        "reports/view.html",
        {
            "report": report,
            "body": render_body(report, drawn_by_browser=True),
            "cycle": data.cycle.name,
            "board": data.board.id,
            "base": _url(data.cycle.name, data.board.id),
            "annexes": annexes,
            "published": published,
            "subjects": _commentary_subjects(db),
            "errors": errors or {},
            "values": values or {},
            "saved": request.query_params.get("saved"),
        },
        status_code=status_code,
    )


@router.get("/reports/{cycle}/{board}")
def report_page(
    request: Request,
    cycle: str,
    board: str,
    user: CurrentUser | None = READ,
    engine: Engine = ENGINE,
    db: Session = DB,
) -> Response:
    """One board's report on screen, with its downloads, commentary, approval and publication."""
    return _page(request, engine, db, user, cycle, board)


@router.get("/reports/{cycle}/{board}/report.{fmt}")
def report_file(
    request: Request, cycle: str, board: str, fmt: str, user: CurrentUser | None = READ, engine: Engine = ENGINE
) -> Response:
    """The report as a PDF, Word or standalone HTML file (add ``?annexes=1`` for locality annexes)."""
    if fmt not in _MEDIA:
        raise NotFound(f"Reports come as pdf, docx or html, not '{fmt}'")
    from gapwatch.reports.frozen import paper  # noqa: PLC0415

    annexes = request.query_params.get("annexes") in ("1", "on", "true")
    # A closed cycle's paper is rendered once and then served from its stored file (byte-identical).
    found = paper(engine, board, cycle, fmt, annexes=annexes)
    content = found.content
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{found.board}-{found.cycle}").strip("-")
    return Response(
        content, media_type=_MEDIA[fmt], headers={"content-disposition": f'attachment; filename="{name}.{fmt}"'}
    )


@router.post("/reports/{cycle}/{board}/commentary")
async def add_commentary(
    request: Request,
    cycle: str,
    board: str,
    user: CurrentUser | None = COMMENT,
    engine: Engine = ENGINE,
    db: Session = DB,
) -> Response:
    """Write commentary on the report, an indicator, an outcome or a KPQ while the cycle is open."""
    assert user is not None
    form = await request.form()
    kind = form_value(form, "subject_kind") or "report"
    subject = form_value(form, "subject_id") if kind != "report" else ""
    text = form_value(form, "text")
    try:
        if kind == "report":
            subject = current_plan(db).boards[board].id if board in current_plan(db).boards else board
        approvals.add_commentary(engine, cycle, kind, subject, text, by=user, author=user.display_name or user.username)
    except InvalidInput as exc:
        values = {"subject_kind": kind, "subject_id": subject, "text": text}
        return _page(
            request, engine, db, user, cycle, board, errors=errors_of(exc.problems), values=values, status_code=422
        )
    return RedirectResponse(_url(cycle, board, "?saved=commentary#commentary"), status_code=303)


@router.post("/reports/{cycle}/{board}/commentary/{commentary_id}")
async def decide_commentary(
    request: Request,
    cycle: str,
    board: str,
    commentary_id: int,
    user: CurrentUser | None = MANAGE,
    engine: Engine = ENGINE,
) -> Response:
    """Approve or reject a piece of commentary (performance officers), while the cycle is open."""
    assert user is not None
    form = await request.form()
    decision = form_value(form, "decision")
    if decision not in ("approved", "rejected"):
        raise InvalidInput("Choose approve or reject", problems=[])
    approvals.decide_commentary(engine, commentary_id, decision, by=user)
    return RedirectResponse(_url(cycle, board, "?saved=decision#commentary"), status_code=303)


@router.post("/reports/{cycle}/{board}/approval")
async def decide_report(
    request: Request,
    cycle: str,
    board: str,
    user: CurrentUser | None = READ,
    engine: Engine = ENGINE,
) -> Response:
    """The chair's (or a delegate's) decision on the frozen report; anyone else is refused by the service."""
    assert user is not None
    form = await request.form()
    approve = form_value(form, "decision") != "rejected"
    note = form_value(form, "note").strip() or None
    approvals.approve_report(engine, cycle, board, by=user, approve=approve, note=note)
    return RedirectResponse(_url(cycle, board, "?saved=approval"), status_code=303)


@router.post("/reports/{cycle}/{board}/publish")
async def publish_report(
    request: Request,
    cycle: str,
    board: str,
    user: CurrentUser | None = MANAGE,
    engine: Engine = ENGINE,
    settings: object = SETTINGS,
) -> Response:
    """Publish an approved report (disclosure control first); it then appears on the public site."""
    assert user is not None
    info = publishing.publish(engine, cycle, board, by=user, settings=settings)  # type: ignore[arg-type]
    return RedirectResponse(f"/public/{quote(info.cycle, safe='')}/{quote(info.board, safe='')}", status_code=303)
