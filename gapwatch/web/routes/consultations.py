"""Consultations: the JSON API (``/api/v1/consultations…``, the objects ``gapwatch consultation … --format json``
prints) and the pages — results with intervals (/consultations/{id}), and the coding review screen where an
officer confirms or changes the themes of each free-text response (/consultations/{id}/review, audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import GapwatchError
from gapwatch.queries.consultations import consultation_coding, consultation_doc, consultation_list
from gapwatch.web.deps import CurrentUser, require
from gapwatch.web.permissions import Permission
from gapwatch.web.routes._pages import ENGINE, MANAGE, READ, errors_of
from gapwatch.web.templating import render

__all__ = ["api_router", "router"]

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["analysis"])
Reader = Annotated[CurrentUser, Depends(require(Permission.READ))]


@api_router.get("/consultations", summary="Consultations: id, name, dates, responses")
def api_consultations(user: Reader, engine: Engine = ENGINE) -> dict[str, Any]:
    """What ``gapwatch consultation list --format json`` prints."""
    return {"data": consultation_list(engine)}


@api_router.get("/consultations/{consultation_id}", summary="A consultation's results with Wilson intervals")
def api_consultation(consultation_id: str, user: Reader, engine: Engine = ENGINE) -> dict[str, Any]:
    """What ``gapwatch consultation show ID --format json`` prints."""
    return {"data": consultation_doc(engine, consultation_id)}


@router.get("/consultations")
def consultations_page(request: Request, user: CurrentUser | None = READ, engine: Engine = ENGINE) -> Response:
    """Every consultation."""
    return render(request, "consultations/index.html", {"consultations": consultation_list(engine)})


@router.get("/consultations/{consultation_id}")
def consultation_page(
    request: Request, consultation_id: str, user: CurrentUser | None = READ, engine: Engine = ENGINE
) -> Response:
    """One consultation's results."""
    return render(request, "consultations/show.html", {"d": consultation_doc(engine, consultation_id)})


@router.get("/consultations/{consultation_id}/review")
def review_page(
    request: Request, consultation_id: str, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE
) -> Response:
    """The coding review screen: each free-text response with its themes and a form to confirm or change them."""
    d = consultation_doc(engine, consultation_id)
    rows = consultation_coding(engine, consultation_id)
    return render(request, "consultations/review.html", {"d": d, "rows": rows, "errors": {}})


@router.post("/consultations/{consultation_id}/review")
async def review_post(
    request: Request, consultation_id: str, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE
) -> Response:
    """Confirm or change one response's themes (audited), then back to the screen."""
    from gapwatch.services.consultations import review_coding

    form = await request.form()
    response_id = str(form.get("response_id", ""))
    themes = [str(t) for t in form.getlist("themes")]
    try:
        assert user is not None
        review_coding(engine, consultation_id, response_id, themes, actor=user)
    except GapwatchError as error:
        d = consultation_doc(engine, consultation_id)
        rows = consultation_coding(engine, consultation_id)
        problems = getattr(error, "problems", None) or []
        errors = errors_of(problems) if problems else {"form": error.message}
        return render(request, "consultations/review.html", {"d": d, "rows": rows, "errors": errors}, status_code=400)
    return RedirectResponse(f"/consultations/{consultation_id}/review#r-{response_id}", status_code=303)
