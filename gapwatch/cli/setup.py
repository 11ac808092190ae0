"""`gapwatch init` and `gapwatch demo`: create a database, or build the Kent demo in one."""

from __future__ import annotations

from pathlib import Path

import typer

from gapwatch.cli._common import console, engine_for
from gapwatch.services.demo import build_demo

__all__ = ["demo_command", "init_command"]


def init_command(
    db: Path | None = typer.Option(None, "--db", help="SQLite file (default: GAPWATCH_DATABASE_URL)."),
) -> None:
    """Create the database (or migrate it to the newest schema)."""
    engine = engine_for(db)
    console.print(f"[green]✓[/] Database ready: {engine.url.render_as_string(hide_password=True)}")


def demo_command(
    db: Path = typer.Option(Path("gapwatch.db"), "--db", help="SQLite file to build the demo in."),
    public_data: Path | None = typer.Option(
        None, "--public-data", help="Folder of real public data files (IMD, Fingertips, DfE) to load as well."
    ),
) -> None:
    """Build a database with the bundled Kent framework (and demo data), then exit."""
    summary = build_demo(engine_for(db), public_data=public_data)
    for line in summary:
        console.print(f"[green]✓[/] {line}")
    console.print(f"Demo database: {db}. Serve it with `gapwatch serve --db {db}`.")
