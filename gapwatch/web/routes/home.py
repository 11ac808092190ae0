"""The start page, the accessibility statement, a health check and the CSP-safe Vega expression interpreter."""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from gapwatch.errors import NotFound
from gapwatch.web.deps import CurrentUser, page_paths, require
from gapwatch.web.permissions import Permission
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PublicUser = Annotated[CurrentUser | None, Depends(require(Permission.PUBLIC))]


def _has_page(request: Request, path: str) -> bool:
    return path in page_paths()


@router.get("/")
def home(request: Request, user: PublicUser) -> Response:
    """Signed-in users go to the dashboard, visitors to the public site (once those pages exist)."""
    target = "/dashboard" if user is not None else "/public"
    if _has_page(request, target):
        return RedirectResponse(target, status_code=303)
    if user is None:
        return RedirectResponse("/sign-in", status_code=303)
    return render(request, "home.html")


@router.get("/accessibility")
def accessibility(request: Request, user: PublicUser) -> Response:
    """The accessibility statement the public sector accessibility regulations ask for."""
    return render(request, "accessibility.html")


@router.get("/api-docs")
def api_docs(request: Request, user: PublicUser) -> Response:
    """The JSON API described for people: every endpoint (read from the app's own routes, so it cannot drift),
    how to authenticate, and examples. The footer's "JSON API" link comes here, not to a 401."""
    schema = request.app.openapi()
    endpoints = [
        {
            "path": path,
            "method": method.upper(),
            "summary": op.get("summary", ""),
            "params": [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"],
        }
        for path, ops in sorted(schema.get("paths", {}).items())
        if path.startswith("/api/")
        for method, op in ops.items()
    ]
    return render(request, "api_docs.html", {"endpoints": endpoints, "base": str(request.base_url).rstrip("/")})


@router.get("/healthz")
def health(user: PublicUser) -> JSONResponse:
    """Liveness for load balancers and the test server."""
    return JSONResponse({"status": "ok"})


@cache
def _interpreter_source() -> str:
    from gapwatch.web.app import NODE_MODULES

    path = NODE_MODULES / "vega-interpreter" / "build" / "vega-interpreter.js"
    if not path.is_file():
        raise NotFound("vega-interpreter is not installed", hint="Run `make install`.")
    source = path.read_text(encoding="utf-8")
    # The package is an ES module importing 'vega-util' by bare name; the browser has vega-util inside
    # the vega bundle (window.vega), so bind the names from there instead of needing an import map.
    return re.sub(
        r"^import \{([^}]*)\} from 'vega-util';",
        lambda m: f"const {{{m.group(1)}}} = window.vega;",
        source,
        count=1,
        flags=re.M,
    )


@router.get("/vendor/vega-interpreter.mjs")
def vega_interpreter(user: PublicUser) -> Response:
    """Vega's expression interpreter, which evaluates chart expressions without eval (CSP forbids eval)."""
    return Response(
        _interpreter_source(),
        media_type="text/javascript",
        headers={"cache-control": "public, max-age=86400"},
    )
