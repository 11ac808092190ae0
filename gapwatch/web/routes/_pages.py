"""Helpers shared by the plan pages' routes (dashboard, plan, indicators, gaps, actions, risks, data, public)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Depends

from gapwatch.errors import Problem
from gapwatch.web.deps import get_db, get_engine, get_settings, require
from gapwatch.web.permissions import Permission

__all__ = [
    "COMMENT",
    "DB",
    "ENGINE",
    "MANAGE",
    "PUBLIC",
    "READ",
    "SETTINGS",
    "UPDATE",
    "blank_to_none",
    "errors_of",
    "form_value",
    "page_of",
]

READ = Depends(require(Permission.READ))
COMMENT = Depends(require(Permission.COMMENT))
UPDATE = Depends(require(Permission.UPDATE_OWN))
MANAGE = Depends(require(Permission.MANAGE_DATA))
PUBLIC = Depends(require(Permission.PUBLIC))
#: The request's database session.
DB = Depends(get_db)
#: The app's engine (for services that open their own transaction) and settings.
ENGINE = Depends(get_engine)
SETTINGS = Depends(get_settings)


def blank_to_none(value: str | None) -> str | None:
    """Empty form and query values mean "not given"."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def errors_of(problems: list[Problem]) -> dict[str, str]:
    """Problems as ``{field id: message}`` for the GOV.UK error summary (first message per field)."""
    out: dict[str, str] = {}
    for problem in problems:
        out.setdefault(problem.field or "form", problem.message)
    return out


def form_value(form: Mapping[str, Any], name: str) -> str:
    """A single form value as text ("" when missing)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def page_of(items: list[Any], page: int, size: int) -> tuple[list[Any], int]:
    """One page of ``items`` (1-based) and the number of pages."""
    pages = max(1, (len(items) + size - 1) // size)
    page = min(max(page, 1), pages)
    return items[(page - 1) * size : page * size], pages
