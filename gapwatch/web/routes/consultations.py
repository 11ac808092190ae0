"""Consultations: the JSON API (``/api/v1/consultations…``, the objects ``gapwatch consultation … --format json``
prints) and the pages — results with intervals (/consultations/{id}), and the coding review screen where an
officer confirms or changes the themes of each free-text response (/consultations/{id}/review, audited), and the
codebook form (/consultations/{id}/codebook: rename, add or remove a theme, its keywords and phrases; audited, the
responses not yet reviewed recoded)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import GapwatchError
from gapwatch.queries.consultations import consultation_coding, consultation_doc, consultation_list
from gapwatch.settings import Settings
from gapwatch.web.deps import CurrentUser, require
from gapwatch.web.permissions import Permission
from gapwatch.web.routes._pages import ENGINE, MANAGE, READ, SETTINGS, errors_of, form_value
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
    context: dict[str, Any] = {
        "d": consultation_doc(engine, consultation_id),
        "errors": {},
        "problems": [],
        "summary": request.query_params.get("summary"),
    }
    return render(request, "consultations/show.html", context)


async def _import_upload(
    upload: Any, consultation_id: str, engine: Engine, settings: Settings, user: CurrentUser | None
) -> tuple[str | None, list[str], int]:
    """(error, problems, figures imported) for an uploaded summary file."""
    from gapwatch.services.consultations import import_summary

    if not isinstance(upload, UploadFile) or not upload.filename:
        return "Select a CSV file to upload", [], 0
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(upload.filename).name)
    if not name.lower().endswith(".csv"):
        return "The selected file must be a CSV file", [], 0
    limit = settings.upload_limit_mb * 1024 * 1024
    content = await upload.read(limit + 1)
    if len(content) > limit:
        return f"The selected file must be smaller than {settings.upload_limit_mb} MB", [], 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            assert user is not None
            n = await run_in_threadpool(import_summary, engine, consultation_id, path, actor=user)
        except GapwatchError as exc:
            return exc.message, [str(p) for p in getattr(exc, "problems", None) or []], 0
    return None, [], n


@router.post("/consultations/{consultation_id}/summary")
async def summary_post(
    request: Request,
    consultation_id: str,
    user: CurrentUser | None = MANAGE,
    engine: Engine = ENGINE,
    settings: Settings = SETTINGS,
) -> Response:
    """Import the published summary counts from an uploaded CSV (checked whole by the same code as ``gapwatch
    consultation import --summary``; nothing written on any problem, each shown with its row and field)."""
    form = await request.form()
    try:
        error, problems, n = await _import_upload(form.get("file"), consultation_id, engine, settings, user)
    finally:
        await form.close()
    if error is not None:
        context = {"d": consultation_doc(engine, consultation_id), "errors": {"file": error}, "problems": problems}
        return render(request, "consultations/show.html", context | {"summary": None}, status_code=422)
    return RedirectResponse(f"/consultations/{consultation_id}?summary={n}#published", status_code=303)


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


def _split(text: str) -> list[str]:
    """Keywords or phrases typed one a line or separated by commas."""
    return [p.strip() for p in text.replace("\r", "\n").replace(",", "\n").split("\n") if p.strip()]


def _codebook_from_form(form: Any, count: int) -> tuple[list[dict[str, Any]], dict[str, str], list[dict[str, Any]]]:
    """The codebook a submitted form describes (existing themes kept, renamed or removed; one new theme), the form
    field each theme's problems belong to, and the form's rows as submitted (to show them again on an error)."""
    themes: list[dict[str, Any]] = []
    fields: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    for i in [*range(count), None]:
        key = "new" if i is None else str(i)
        row = {
            "key": key,
            "id": form_value(form, f"id-{key}").strip(),
            "label": form_value(form, f"label-{key}").strip(),
            "keywords": _split(form_value(form, f"keywords-{key}")),
            "phrases": _split(form_value(form, f"phrases-{key}")),
            "remove": bool(form_value(form, f"remove-{key}")),
        }
        rows.append(row)
        if row["remove"] or not (row["id"] or row["label"]):
            continue
        fields[f"codebook[{len(themes)}]"] = f"id-{key}" if i is None else f"label-{key}"
        themes.append(
            {k: row[k] for k in ("id", "label", "keywords", "phrases")} | {"label": row["label"] or row["id"]}
        )
    return themes, fields, rows


@router.get("/consultations/{consultation_id}/codebook")
def codebook_page(
    request: Request, consultation_id: str, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE
) -> Response:
    """The codebook as a form: rename a theme, change its keywords and phrases, remove it, or add one."""
    d = consultation_doc(engine, consultation_id)
    rows = [{"key": str(i), **t, "remove": False} for i, t in enumerate(d["codebook"])]
    rows.append({"key": "new", "id": "", "label": "", "keywords": [], "phrases": [], "remove": False})
    context = {"d": d, "rows": rows, "errors": {}, "recoded": request.query_params.get("recoded")}
    return render(request, "consultations/codebook.html", context)


@router.post("/consultations/{consultation_id}/codebook")
async def codebook_post(
    request: Request, consultation_id: str, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE
) -> Response:
    """Save the codebook (a framework revision, audited) and recode the responses no officer has reviewed."""
    from gapwatch.services.consultations import update_codebook

    form = await request.form()
    d = consultation_doc(engine, consultation_id)
    themes, fields, rows = _codebook_from_form(form, len(d["codebook"]))
    try:
        assert user is not None
        recoded = update_codebook(engine, consultation_id, themes, actor=user)
    except GapwatchError as error:
        problems = getattr(error, "problems", None) or []
        errors = {fields.get(p.field or "", "form"): p.message for p in problems} or {"form": error.message}
        context = {"d": d, "rows": rows, "errors": errors, "recoded": None}
        return render(request, "consultations/codebook.html", context, status_code=400)
    return RedirectResponse(f"/consultations/{consultation_id}/codebook?recoded={recoded}", status_code=303)
