"""Pagination shared by the JSON API and the HTML lists: ``?page=N&per_page=M`` in, one envelope out.

API responses look like::

    {"data": [...],
     "meta": {"page": 2, "per_page": 50, "total": 321, "pages": 7},
     "links": {"self": "…?page=2&per_page=50", "first": "…", "prev": "…", "next": "…", "last": "…"}}

with the same links in an RFC 8288 ``Link`` header, so clients can follow ``next`` until it is null.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from starlette.responses import JSONResponse

__all__ = ["MAX_PER_PAGE", "Page", "PageParams", "Pagination", "page_params", "paginate", "paginated_response"]

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    """Which page the client asked for (1-based)."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Items per page (at most 500).")] = (
        DEFAULT_PER_PAGE
    ),
) -> PageParams:
    """FastAPI dependency reading ``page`` and ``per_page`` (out-of-range values give the 422 error shape)."""
    return PageParams(page=page, per_page=per_page)


#: Annotated parameter type for routes: ``params: Pagination``.
Pagination = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class Page:
    """One page of items and where it sits among the others."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    def url(self, request: Request, page: int) -> str:
        """The address of page ``page`` with the request's other query parameters kept."""
        return str(request.url.include_query_params(page=page, per_page=self.per_page))

    def links(self, request: Request) -> dict[str, str | None]:
        return {
            "self": self.url(request, self.page),
            "first": self.url(request, 1),
            "prev": self.url(request, self.page - 1) if self.has_prev else None,
            "next": self.url(request, self.page + 1) if self.has_next else None,
            "last": self.url(request, self.pages),
        }

    def govuk_pagination(self, request: Request) -> dict[str, Any]:
        """Parameters for the ``govukPagination`` macro (previous/next and numbered links)."""
        items: list[dict[str, Any]] = []
        shown = sorted({1, self.pages, *range(max(1, self.page - 2), min(self.pages, self.page + 2) + 1)})
        last = 0
        for number in shown:
            if number - last > 1:
                items.append({"ellipsis": True})
            items.append({"number": number, "href": self.url(request, number), "current": number == self.page})
            last = number
        params: dict[str, Any] = {"items": items}
        if self.has_prev:
            params["previous"] = {"href": self.url(request, self.page - 1)}
        if self.has_next:
            params["next"] = {"href": self.url(request, self.page + 1)}
        return params


def paginate(items: Sequence[T] | Callable[[int, int], list[T]], params: PageParams, total: int | None = None) -> Page:
    """A page of ``items``: a sequence (sliced here), or a function ``(offset, limit) -> items`` with ``total``."""
    if callable(items):
        if total is None:
            raise ValueError("paginate() needs total when items is a function")
        chosen = list(items(params.offset, params.per_page))
    else:
        total = len(items)
        chosen = list(items[params.offset : params.offset + params.per_page])
    return Page(items=chosen, page=params.page, per_page=params.per_page, total=total)


def paginated_response(request: Request, page: Page, data: list[Any] | None = None) -> JSONResponse:
    """The API envelope for ``page`` (``data`` defaults to its items) with a ``Link`` header."""
    links = page.links(request)
    body = {
        "data": page.items if data is None else data,
        "meta": {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages},
        "links": links,
    }
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self")
    return JSONResponse(body, headers={"link": header} if header else None)
