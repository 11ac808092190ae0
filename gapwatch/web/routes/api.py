"""The JSON API (``/api/v1``): who am I, the framework, and the pagination every list uses.

Clients authenticate with ``Authorization: Bearer <token>`` (tokens from /account/tokens); a browser that is
signed in may read with its session cookie. Errors use the one JSON error shape (gapwatch.web.errors).
Lists are paginated with ``?page=&per_page=`` (gapwatch.web.pagination). The OpenAPI document is at
``/api/v1/openapi.json``. W2's resources (observations, statistics, actions, risks) live in
``routes/api_resources.py`` under the same prefix.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import JSONResponse

from gapwatch.services.framework_items import KINDS, framework_item, framework_items, framework_summary
from gapwatch.web.deps import CurrentUser, DbSession, require
from gapwatch.web.pagination import Pagination, paginate, paginated_response
from gapwatch.web.permissions import Permission

__all__ = ["API_PREFIX", "router"]

API_PREFIX = "/api/v1"

router = APIRouter(prefix=API_PREFIX, tags=["framework"])

Reader = Annotated[CurrentUser, Depends(require(Permission.READ))]


@router.get("", summary="What the API offers")
def index(request: Request, user: Reader) -> dict[str, Any]:
    """Links to the API's resources and its OpenAPI description."""
    base = str(request.base_url).rstrip("/") + API_PREFIX
    return {
        "openapi": f"{base}/openapi.json",
        "me": f"{base}/me",
        "framework": f"{base}/framework",
        "kinds": {kind: f"{base}/framework/{kind}" for kind in KINDS},
        "authentication": "Authorization: Bearer <token>; create tokens at /account/tokens",
        "pagination": "?page=N&per_page=M (at most 500); follow links.next until it is null",
    }


@router.get("/me", summary="The account making the request")
def me(user: Reader) -> dict[str, Any]:
    """Who the token or session belongs to, and their role."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "person_id": user.person_id,
        "organisation_id": user.organisation_id,
        "via_token": user.via_token,
    }


@router.get("/framework", summary="The framework's header and item counts")
def framework(request: Request, user: Reader, db: DbSession) -> dict[str, Any]:
    """The stored framework: name, partnership, revision, and how many items of each kind with their links."""
    summary = framework_summary(db)
    base = str(request.base_url).rstrip("/") + API_PREFIX
    body = asdict(summary)
    body["links"] = {kind: f"{base}/framework/{kind}" for kind in KINDS}
    return body


@router.get("/framework/{kind}", summary="Items of one kind, paginated")
def items(
    request: Request,
    kind: str,
    params: Pagination,
    user: Reader,
    db: DbSession,
) -> JSONResponse:
    """Items of ``kind`` (actions, indicators, outcomes …) in the order of the framework file."""
    rows, total = framework_items(db, kind, offset=params.offset, limit=params.per_page)
    return paginated_response(request, paginate(lambda _o, _l: rows, params, total=total))


@router.get("/framework/{kind}/{item_id}", summary="One item")
def item(kind: str, item_id: str, user: Reader, db: DbSession) -> dict[str, Any]:
    """One framework item by kind and id."""
    return {"data": framework_item(db, kind, item_id)}


@router.get("/overview", summary="Areas x indicators coloured by significance against a comparator")
def overview(
    user: Reader,
    db: DbSession,
    comparator: Annotated[str, Query(description="england, region or parent.")] = "parent",
    level: Annotated[str, Query(description="district or local (local partnership areas).")] = "district",
) -> dict[str, Any]:
    """The overview grid ("tartan rug") the /overview page shows, judged in the open cycle's window."""
    from gapwatch.queries.overview import overview as overview_doc
    from gapwatch.web.window import request_window

    return {"data": overview_doc(db, request_window(db), comparator=comparator, level=level)}


@router.get("/plan/outcomes/{outcome_id}", summary="An outcome: indicators, actions, KPQs and rolled-up status")
def outcome(outcome_id: str, user: Reader, db: DbSession) -> dict[str, Any]:
    """What the outcome page shows, as JSON."""
    from gapwatch.queries.json import plain
    from gapwatch.queries.plan_tree import outcome_page
    from gapwatch.web.window import request_window

    return {"data": plain(outcome_page(db, outcome_id, request_window(db)))}
