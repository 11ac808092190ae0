"""Errors as users see them: a GOV.UK-styled page, or under ``/api`` the one JSON error shape.

The JSON shape (tested in tests/web/test_error_shape.py)::

    {"error": {"status": 404, "code": "not_found", "message": "…", "hint": "…" | null,
               "problems": [{"message": "…", "field": "…", "file": null, "line": null, "row": null}]}}

A page that needs a signed-in user redirects there (``?next=`` brings the user back); an unexpected
exception is logged with its traceback and shown as a plain 500 page that reveals nothing of it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from gapwatch.errors import GapwatchError, InvalidInput, Problem
from gapwatch.web.deps import ConfirmationRequired, PasswordChangeRequired, SignInRequired
from gapwatch.web.security import security_headers
from gapwatch.web.templating import Templating

__all__ = ["error_body", "error_response", "install_error_handlers", "is_api_request"]

log = logging.getLogger("gapwatch.web")

_TITLES = {
    400: "There is a problem with the request",
    401: "You need to sign in",
    403: "You do not have permission to see or do this",
    404: "Page not found",
    405: "This page cannot be used in that way",
    409: "Someone else changed this",
    413: "The file or form is too large",
    422: "There is a problem",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
}
_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
}


def is_api_request(request: Request) -> bool:
    """Whether the request is for the JSON API (which never gets HTML)."""
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "message": problem.message,
        "field": problem.field,
        "file": problem.file,
        "line": problem.line,
        "row": problem.row,
    }


def error_body(
    status: int, code: str, message: str, *, hint: str | None = None, problems: list[Problem] | None = None
) -> dict[str, Any]:
    """The one JSON error shape."""
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "hint": hint,
            "problems": [_problem(p) for p in problems or []],
        }
    }


def _respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    hint: str | None = None,
    problems: list[Problem] | None = None,
    headers: dict[str, str] | None = None,
    safe: bool = False,
) -> Response:
    if is_api_request(request):
        return JSONResponse(
            error_body(status, code, message, hint=hint, problems=problems), status_code=status, headers=headers
        )
    template = "errors/404.html" if status == 404 else "errors/error.html"
    context = {
        "status": status,
        "title": _TITLES.get(status, "There is a problem"),
        "message": message,
        "hint": hint,
        "problems": problems or [],
        "code": code,
    }
    templating: Templating = request.app.state.templating
    try:
        return templating.render(request, template, context, status_code=status, headers=headers, safe=safe)
    except Exception:  # the error page itself failed: fall back to something that cannot
        if safe:
            raise
        log.exception("error page failed to render")
        return templating.render(request, template, context, status_code=status, headers=headers, safe=True)


def error_response(request: Request, error: GapwatchError) -> Response:
    """The page or JSON body for a domain error (used by middleware that runs outside the handlers)."""
    problems = error.problems if isinstance(error, InvalidInput) else None
    return _respond(request, error.status_code, error.code, error.message, hint=error.hint, problems=problems)


async def _gapwatch_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GapwatchError)
    if isinstance(exc, SignInRequired):
        if not is_api_request(request) and request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)
        return _respond(
            request, 401, exc.code, exc.message, hint=exc.hint, headers={"WWW-Authenticate": 'Bearer realm="gapwatch"'}
        )
    if isinstance(exc, PasswordChangeRequired) and not is_api_request(request):
        return RedirectResponse("/account/password", status_code=303)
    if isinstance(exc, ConfirmationRequired) and not is_api_request(request):
        return RedirectResponse(f"/admin/confirm?next={quote(exc.back, safe='')}", status_code=303)
    problems = exc.problems if isinstance(exc, InvalidInput) else None
    return _respond(request, exc.status_code, exc.code, exc.message, hint=exc.hint, problems=problems)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404:
        message = "If you typed the web address, check it is correct. If you pasted it, check you copied all of it."
    else:
        message = exc.detail if isinstance(exc.detail, str) else _TITLES.get(status, "There is a problem")
    headers = dict(exc.headers or {})
    return _respond(request, status, _CODES.get(status, "error"), message, headers=headers or None)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "form")]
        problems.append(Problem(str(error.get("msg", "is not valid")), field=".".join(location) or None))
    status = 422 if is_api_request(request) else 400
    return _respond(request, status, "invalid_input", "Some values in the request are not valid", problems=problems)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("Unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    response = _respond(request, 500, "internal_error", "Try again later. The error has been logged.", safe=True)
    for key, value in security_headers(https=request.app.state.settings.https):
        response.headers[key.decode()] = value.decode()
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a page or the JSON shape."""
    app.add_exception_handler(GapwatchError, _gapwatch_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
