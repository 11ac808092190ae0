"""Every router of the web app, in the order they are mounted.

To add pages: write ``gapwatch/web/routes/<noun>.py`` with ``router = APIRouter(include_in_schema=False)``
(API routers keep the schema), declare one access rule on every route
(``user: Annotated[CurrentUser, Depends(require(Permission.READ))]`` …, see gapwatch.web.deps), import the module
here and append its router to ROUTERS. ``create_app`` adds CSRF protection to every router; forms include
``{{ csrf_input }}``. tests/web/test_authz_matrix.py fails for any route without a rule.
"""

from __future__ import annotations

from fastapi import APIRouter

from gapwatch.web.routes import (
    account,
    actions,
    admin,
    api,
    api_queries,
    api_resources,
    auth,
    commentary,
    consultations,
    dashboard,
    data,
    gaps,
    home,
    indicators,
    initiatives,
    plan,
    public,
    reports,
    risks,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    home.router,
    auth.router,
    account.router,
    admin.router,
    api.router,
    dashboard.router,
    actions.router,
    risks.router,
    plan.router,
    indicators.router,
    gaps.router,
    initiatives.router,
    consultations.router,
    data.router,
    public.router,
    api_resources.router,
    api_queries.router,
    consultations.api_router,
    plan.api_router,
    reports.router,
    commentary.router,
]
