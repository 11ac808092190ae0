"""Data: upload a file, see a dry-run preview (what would be written, every problem found), import it, list
import batches and roll one back. Performance officers and admins only.

An upload is kept on the server under an unguessable token, bound to the user who sent it, between the
preview and the confirmation, so the file imported is exactly the file previewed; it is deleted after the
import and swept after an hour.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import InvalidInput, NotFound, Problem
from gapwatch.ingest.plausibility import FIXED, RULES
from gapwatch.services.imports import (
    FORMATS,
    ImportReport,
    batch,
    batches,
    import_parsed,
    read_data_file,
    read_limits,
    rollback,
)
from gapwatch.settings import Settings
from gapwatch.web.deps import CurrentUser
from gapwatch.web.routes._pages import ENGINE, MANAGE, SETTINGS, form_value
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_MAX_AGE_SECONDS = 3600


def _uploads() -> Path:
    path = Path(tempfile.gettempdir()) / "gapwatch-uploads"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _sweep() -> None:
    cutoff = time.time() - _MAX_AGE_SECONDS
    for folder in _uploads().iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .") or "upload"
    return cleaned[-120:]


def _stored(token: str, username: str) -> tuple[Path, dict[str, Any]]:
    if not _TOKEN.match(token):
        raise NotFound("That upload is not available", hint="Upload the file again.")
    folder = _uploads() / token
    meta_path = folder / "upload.json"
    if not meta_path.is_file():
        raise NotFound("That upload has expired or was already imported", hint="Upload the file again.")
    meta = json.loads(meta_path.read_text())
    if meta.get("user") != username:
        raise NotFound("That upload is not available", hint="Upload the file again.")
    return folder / meta["name"], meta


#: The plausibility rules a performance officer may waive for one upload (as ``--allow`` does at the command
#: line), with what each asks; the rules arithmetic depends on cannot be waived.
WAIVABLE = {str(rule): text for rule, text in RULES.items() if rule not in FIXED}


def _options(form: Any) -> dict[str, Any]:
    fmt = form_value(form, "format") or "auto"
    asked = form.getlist("allow") if hasattr(form, "getlist") else []
    return {
        "format": fmt if fmt in FORMATS else "auto",
        "add_unknown_indicators": form_value(form, "add_unknown_indicators") == "yes",
        "add_unknown_areas": form_value(form, "add_unknown_areas") == "yes",
        "illustrative": form_value(form, "illustrative") == "yes",
        "allow": sorted({a for a in asked if isinstance(a, str) and a in WAIVABLE}),
    }


def _run(
    engine: Engine, settings: Settings, path: Path, options: dict[str, Any], *, dry_run: bool, user: CurrentUser
) -> ImportReport:
    # Read within the settings' limits: a workbook that would decompress to gigabytes is refused unread.
    parsed = read_data_file(path, fmt=options["format"], limits=read_limits(settings))
    return import_parsed(
        engine,
        parsed,
        source=path.name,
        dry_run=dry_run,
        actor=user,
        add_unknown_indicators=options["add_unknown_indicators"],
        add_unknown_areas=options["add_unknown_areas"],
        illustrative=options["illustrative"],
        batch_options={"format": options["format"], "via": "web"},
        today=date.today(),
        allow=options.get("allow", []),
    )


def _index(
    request: Request,
    engine: Engine,
    *,
    errors: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    message: str | None = None,
    options: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "data/index.html",
        {
            "batches": batches(engine)[:50],
            "errors": errors or {},
            "problems": problems or [],
            "message": message,
            "formats": FORMATS,
            "waivable": WAIVABLE,
            "options": options or {"format": "auto", "allow": []},
        },
        status_code=status,
    )


@router.get("/data")
def data_page(request: Request, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE) -> Response:
    """The upload form and the import batches."""
    return _index(request, engine)


@router.post("/data/upload")
async def upload(
    request: Request, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE, settings: Settings = SETTINGS
) -> Response:
    """Check the file and dry-run the import: the preview shows what would be written, or every problem."""
    assert user is not None
    form = await request.form()
    try:
        return await _check_upload(request, form, user, engine, settings)
    finally:
        await form.close()


async def _check_upload(request: Request, form: Any, user: CurrentUser, engine: Engine, settings: Settings) -> Response:
    options = _options(form)
    upload_file = form.get("file")
    limit = settings.upload_limit_mb * 1024 * 1024
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return _index(request, engine, errors={"file": "Select a file to upload"}, options=options, status=422)
    name = _safe_name(upload_file.filename)
    if not name.lower().endswith(_SUFFIXES):
        return _index(
            request,
            engine,
            options=options,
            status=422,
            errors={"file": "The selected file must be a CSV file or an Excel workbook (.xlsx)"},
        )
    content = await upload_file.read(limit + 1)
    if len(content) > limit:
        return _index(
            request,
            engine,
            options=options,
            status=413,
            errors={"file": f"The selected file must be smaller than {settings.upload_limit_mb} MB"},
        )
    if not content.strip():
        return _index(request, engine, errors={"file": "The selected file is empty"}, options=options, status=422)
    _sweep()
    token = secrets.token_urlsafe(24)
    folder = _uploads() / token
    folder.mkdir(mode=0o700)
    path = folder / name
    path.write_bytes(content)
    (folder / "upload.json").write_text(json.dumps({"user": user.username, "name": name, "options": options}))
    try:
        report = await run_in_threadpool(_run, engine, settings, path, options, dry_run=True, user=user)
    except InvalidInput as exc:  # a file refused (beyond a limit, damaged, implausible): a 422 page, never a 500
        shutil.rmtree(folder, ignore_errors=True)
        return _index(
            request,
            engine,
            errors={"file": exc.message},
            problems=exc.problems,
            message=exc.hint,
            options=options,
            status=422,
        )
    return render(request, "data/preview.html", {"report": report, "token": token, "name": name, "options": options})


@router.post("/data/import")
async def confirm_import(
    request: Request, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE, settings: Settings = SETTINGS
) -> Response:
    """Import the previewed file as one batch (the service audits it in the same transaction)."""
    assert user is not None
    form = await request.form()
    path, meta = _stored(form_value(form, "token"), user.username)
    try:
        report = await run_in_threadpool(_run, engine, settings, path, meta["options"], dry_run=False, user=user)
    except InvalidInput as exc:  # the database changed since the preview (e.g. a framework reload)
        return _index(
            request,
            engine,
            errors={"file": exc.message},
            problems=exc.problems,
            message=exc.hint,
            options=meta["options"],
            status=422,
        )
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    return RedirectResponse(f"/data/batches/{report.batch}?imported=1", status_code=303)


@router.get("/data/batches/{batch_pk}")
def batch_page(request: Request, batch_pk: int, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE) -> Response:
    """One import batch: file, who, when, counts, warnings, and the rollback button."""
    return render(
        request,
        "data/batch.html",
        {
            "batch": batch(engine, batch_pk),
            "imported": request.query_params.get("imported"),
            "rolled_back": request.query_params.get("rolled_back"),
        },
    )


@router.post("/data/batches/{batch_pk}/rollback")
async def rollback_batch(
    request: Request, batch_pk: int, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE
) -> Response:
    """Roll a batch back: its rows go and the values it revised come back (audited by the service)."""
    assert user is not None
    rollback(engine, batch_pk, actor=user)
    return RedirectResponse(f"/data/batches/{batch_pk}?rolled_back=1", status_code=303)
