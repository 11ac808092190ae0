"""`gapwatch serve`: the web application on uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from gapwatch.cli._common import console

__all__ = ["serve_command"]


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    db: Path | None = typer.Option(
        None, "--db", help="SQLite file to serve instead of GAPWATCH_DATABASE_URL (e.g. --db demo.db)."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=32, help="Server processes (one per CPU core serves more users at once)."
    ),
) -> None:
    """Serve the web application (dashboard, plan, indicators, gaps, actions, risks, public site, JSON API)."""
    import uvicorn

    from gapwatch.services.database import open_database
    from gapwatch.settings import Settings
    from gapwatch.web import create_app
    from gapwatch.web.app import configure_logging
    from gapwatch.web.security import new_session_secret

    settings = Settings()
    if db is not None:
        if not db.exists():
            from gapwatch.errors import InvalidInput

            raise InvalidInput(f"{db}: no such database file", hint=f"Build the demo with `gapwatch demo --db {db}`.")
        settings = settings.model_copy(update={"database_url": f"sqlite:///{db}"})
    engine = open_database(settings)  # migrates once, before any worker starts
    configure_logging(settings)
    if not settings.secret_key:
        console.print("[yellow]GAPWATCH_SECRET_KEY is not set: sessions end when the server stops.[/]")
    where = engine.url.render_as_string(hide_password=True)
    console.print(f"Serving {where} at http://{host}:{port} with {workers} process(es) (Ctrl+C stops)")
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": settings.log_level.lower(),
        "proxy_headers": False,
    }
    if workers == 1:
        uvicorn.run(create_app(settings, engine=engine, warm=True), **options)
        return
    engine.dispose()
    # Worker processes build their own app from the environment: hand them the database and one shared
    # signing key (each would otherwise invent its own, and a cookie signed by one would fail on another).
    os.environ["GAPWATCH_DATABASE_URL"] = settings.database_url
    os.environ["GAPWATCH_SECRET_KEY"] = settings.secret_key or new_session_secret()
    uvicorn.run("gapwatch.web.app:create_app_from_environment", factory=True, workers=workers, **options)
