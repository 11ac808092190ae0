"""Jinja2 for the web pages: GOV.UK Frontend macros, filters for UK dates and numbers, and ``render``.

Templates live in ``gapwatch/web/templates``; the GOV.UK macros load as
``{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}``. Autoescaping is on for
every template, so nothing a user typed is rendered unescaped. Every page extends ``base.html``, which shows
the partnership's name (not the GOV.UK crown: gapwatch is not a GOV.UK service) and the sections the user
may open.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from gapwatch.web.deps import page_paths
from gapwatch.web.permissions import ANONYMOUS, ROLE_LABELS, Permission, role_may
from gapwatch.web.security import CSRF_FIELD, csrf_token

__all__ = [
    "NAVIGATION",
    "TEMPLATES",
    "NavItem",
    "Templating",
    "compile_templates",
    "error_list",
    "format_date",
    "format_datetime",
    "format_number",
    "render",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class NavItem:
    """A section in the service navigation, shown when its page exists and the user may open it."""

    label: str
    path: str
    permission: Permission


#: The main sections, in order. A section appears once a GET route for its path is registered.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Dashboard", "/dashboard", Permission.READ),
    NavItem("Plan", "/plan", Permission.READ),
    NavItem("Indicators", "/indicators", Permission.READ),
    NavItem("Gaps", "/gaps", Permission.READ),
    NavItem("Initiatives", "/initiatives", Permission.READ),
    NavItem("Actions", "/actions", Permission.READ),
    NavItem("My work", "/my-work", Permission.UPDATE_OWN),
    NavItem("Accountability", "/accountability", Permission.MANAGE_DATA),
    NavItem("Risks", "/risks", Permission.READ),
    NavItem("Reports", "/reports", Permission.READ),
    NavItem("Data", "/data", Permission.MANAGE_DATA),
    NavItem("Audit log", "/admin/audit", Permission.VIEW_AUDIT),
    NavItem("Users", "/admin/users", Permission.MANAGE_USERS),
    NavItem("Public site", "/public", Permission.PUBLIC),
    NavItem("About the area", "/about-the-area", Permission.PUBLIC),
)

_MONTHS = tuple(calendar.month_name)[1:]  # English month names, whatever the locale says


def format_date(value: date | datetime | str | None) -> str:
    """A date as the GOV.UK style has it: ``4 June 2011``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _london(value: datetime) -> datetime:
    """Stored times are UTC (SQLite drops the zone); people read UK local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(ZoneInfo("Europe/London"))
    except ZoneInfoNotFoundError:  # no time zone database: say it is UTC rather than guess
        return value.astimezone(UTC)


def format_datetime(value: datetime | None) -> str:
    """A moment in UK time as ``4 June 2011 at 2:05pm`` (GOV.UK style: 12-hour clock, lower-case am/pm)."""
    if value is None:
        return ""
    value = _london(value)
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{format_date(value)} at {hour}:{value.minute:02d}{suffix}"


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """Thousands separated, fixed decimals; an em dash for a missing value."""
    if value is None:
        return "—"
    try:
        return f"{value:,.{decimals}f}"
    except (TypeError, ValueError):
        return str(value)


def _percent(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else f"{value:,.{decimals}f}%"


def error_list(errors: Mapping[str, str]) -> list[dict[str, str]]:
    """``{field: message}`` as the ``errorList`` of ``govukErrorSummary`` (each links to its field)."""
    return [{"text": message, "href": f"#{field}"} for field, message in errors.items()]


@cache
def _environment(debug: bool) -> Environment:
    """The page templates' Jinja environment, one per process (per ``debug``): compiled templates are kept in it,
    so an app built later (a second worker, each test's app) does not compile them again. Nothing in it depends
    on one app: the partnership's name, the user and the navigation come with each page's context."""
    loader = ChoiceLoader(
        [
            FileSystemLoader(str(TEMPLATES)),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=debug,
    )
    env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        percent=_percent,
        role_label=lambda role: ROLE_LABELS.get(role, role),
    )
    env.globals.update(error_list=error_list, ROLE_LABELS=ROLE_LABELS, Permission=Permission)
    return env


def compile_templates() -> int:
    """Compile every page template now rather than on each page's first view (a server's warm-up); returns
    how many there are."""
    env = _environment(False)
    names = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in names:
        env.get_template(name)
    return len(names)


class Templating:
    """The Jinja environment of one app, and what every page needs to know."""

    def __init__(self, *, partnership_name: Any, debug: bool = False) -> None:
        self.env = _environment(debug)
        self._partnership_name = partnership_name

    def _navigation(self, request: Request, role: str) -> list[dict[str, Any]]:
        pages = page_paths()
        path = request.url.path
        items = []
        for item in NAVIGATION:
            if item.path not in pages or not role_may(role, item.permission):
                continue
            if item.permission is Permission.PUBLIC and role != ANONYMOUS:
                continue
            active = path == item.path or path.startswith(item.path + "/")
            items.append({"text": item.label, "href": item.path, "active": active})
        return items

    def context(self, request: Request, *, safe: bool = False) -> dict[str, Any]:
        """What every template may use: the user, the CSRF token, the navigation, the partnership's name.

        ``safe`` (used by the 500 page) avoids anything that might fail again, such as the database.
        """
        user = getattr(request.state, "user", None)
        role = user.role if user is not None else ANONYMOUS
        token = csrf_token(request) if "session" in request.scope else ""
        name = "gapwatch" if safe else self._partnership_name(getattr(request.state, "db", None))
        return {
            "request": request,
            "user": user,
            "csrf_token": token,
            "csrf_input": Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'),
            "partnership_name": name,
            "navigation": [] if safe else self._navigation(request, role),
            "can": (lambda permission: role_may(role, Permission(permission))),
            "year": time.gmtime().tm_year,
        }

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        safe: bool = False,
    ) -> HTMLResponse:
        """Render ``template`` with the page context plus ``context`` as an HTML response."""
        values = self.context(request, safe=safe)
        values.update(context or {})
        html = self.env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page template of the app handling ``request`` (the one call route handlers make)."""
    templating: Templating = request.app.state.templating
    return templating.render(request, template, context, status_code=status_code, headers=headers)
