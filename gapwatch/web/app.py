"""The FastAPI application: ``create_app(settings)`` builds it; nothing happens at import time.

It wires the database engine, the Jinja templates, the signed session cookie (which holds only a CSRF token and
the id of a session stored in the database), the sign-in policy, the trusted proxies, the clock (``app.state.clock``:
tests may move it), the security headers, the error pages and every router of :data:`gapwatch.web.routes.ROUTERS`
(each protected against CSRF), and serves
the GOV.UK Frontend and Vega assets from ``gapwatch/web/node_modules`` (installed by ``make install`` with
``npm ci`` from package-lock.json; never copied into the repository).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Depends, FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from gapwatch.errors import NotFound
from gapwatch.services.database import open_database, session_factory, transaction
from gapwatch.services.frameworks import partnership_name
from gapwatch.services.sessions import SignInPolicy
from gapwatch.settings import Settings
from gapwatch.web.deps import csrf_protect
from gapwatch.web.errors import install_error_handlers
from gapwatch.web.security import (
    SESSION_COOKIE,
    RequestLimitMiddleware,
    SecurityHeadersMiddleware,
    new_session_secret,
)
from gapwatch.web.templating import Templating

__all__ = ["NODE_MODULES", "STATIC", "configure_logging", "create_app", "create_app_from_environment"]

log = logging.getLogger("gapwatch.web")

WEB = Path(__file__).resolve().parent
STATIC = WEB / "static"
NODE_MODULES = WEB / "node_modules"

#: URL prefix -> folder under node_modules. /assets is where GOV.UK Frontend's CSS expects its images.
_VENDOR = {
    "/vendor/govuk": "govuk-frontend/dist/govuk",
    "/assets": "govuk-frontend/dist/govuk/assets",
    "/vendor/vega": "vega/build",
    "/vendor/vega-lite": "vega-lite/build",
    "/vendor/vega-embed": "vega-embed/build",
}

_NAME_TTL_SECONDS = 60.0


class _PartnershipName:
    """The header's name: the setting if given, else the stored framework's partnership (re-read each minute).

    It reads through the request's own database session when there is one, so a page never holds two
    connections at once (with many users at once, that could exhaust the connection pool).
    """

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._value = ""
        self._read_at = float("-inf")

    def __call__(self, session: Session | None = None) -> str:
        if self._settings.partnership_name:
            return self._settings.partnership_name
        now = time.monotonic()
        if now - self._read_at > _NAME_TTL_SECONDS:
            self._read_at = now  # one refresh at a time is enough; others use the old value meanwhile
            try:
                if session is not None:
                    self._value = partnership_name(session)
                else:
                    with transaction(self._engine) as own:
                        self._value = partnership_name(own)
            except NotFound:
                self._value = ""
        return self._value or "gapwatch"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def _warming(app: FastAPI) -> AsyncIterator[None]:
    """The app's life: warm-up started as it starts serving (see :mod:`gapwatch.web.warmup`)."""
    from gapwatch.web.warmup import start_warm_up

    start_warm_up(app.state.engine)
    yield


def create_app(settings: Settings | None = None, *, engine: Engine | None = None, warm: bool = False) -> FastAPI:
    """Build the web application for ``settings`` (the database is opened and migrated unless ``engine``).

    ``warm``: import the report builder and compile the templates in a background thread as the app starts
    (:mod:`gapwatch.web.warmup`), as ``gapwatch serve`` does, so that the first page opened is not the slow one.
    """
    from gapwatch.web.routes import ROUTERS  # routers import templates and deps; keep app import light

    settings = settings or Settings()
    engine = engine or open_database(settings)
    app = FastAPI(
        title="gapwatch",
        summary="A partnership's plan to narrow gaps: framework, observations, statistics, actions and risks.",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=_warming if warm else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.signing_key = settings.secret_key or new_session_secret()
    app.state.sign_in_policy = SignInPolicy.from_settings(settings)
    if not settings.secret_key:
        log.warning(
            "GAPWATCH_SECRET_KEY is not set: sessions end when the server restarts and authenticator secrets are "
            "stored unsealed. Set it in production (docs/settings.md)."
        )
    app.state.trusted_proxies = settings.trusted_proxy_networks()
    app.state.clock = _utcnow
    app.state.sessionmaker = session_factory(engine)
    app.state.templating = Templating(partnership_name=_PartnershipName(settings, engine))

    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(csrf_protect)])

    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    for prefix, folder in _VENDOR.items():
        app.mount(prefix, StaticFiles(directory=NODE_MODULES / folder, check_dir=False), name=prefix.strip("/"))
    if not (NODE_MODULES / "govuk-frontend").is_dir():
        log.warning("GOV.UK Frontend is not installed: run `make install` (npm ci in gapwatch/web)")

    install_error_handlers(app)
    limit = settings.upload_limit_mb * 1024 * 1024 + 64 * 1024  # the file plus the rest of the form
    app.add_middleware(RequestLimitMiddleware, limit=limit)
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.signing_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_lifetime_hours * 3600,  # the browser's copy; the stored session decides
        same_site="lax",
        https_only=settings.https,
    )
    app.add_middleware(SecurityHeadersMiddleware, https=settings.https)
    return app


def create_app_from_environment() -> FastAPI:
    """The app for the settings in the environment: the factory each uvicorn worker process calls (logging set up
    as `gapwatch serve` sets it up in its own process: a worker is a fresh interpreter)."""
    settings = Settings()
    configure_logging(settings)
    return create_app(settings, warm=True)


def configure_logging(settings: Settings) -> None:
    """The server's log lines: level from the settings, each line naming its level and logger."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
