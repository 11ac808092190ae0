"""`gapwatch init` and `gapwatch demo`: create a database, or build the Kent demo in one.

Both use the database every other command uses: ``GAPWATCH_DATABASE_URL`` (SQLite or PostgreSQL; default
``sqlite:///gapwatch.db``), or the SQLite file ``--db`` names instead.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from gapwatch.cli._common import DbOption, console, engine_for
from gapwatch.cli._disposing import command_engine

__all__ = ["demo_command", "init_command"]


def init_command(db: Path | None = DbOption) -> None:
    """Create the database (or migrate it to the newest schema)."""
    engine = engine_for(db)
    console.print(f"[green]✓[/] Database ready: {engine.url.render_as_string(hide_password=True)}")


def demo_command(
    db: Path | None = DbOption,
    public_data: Path | None = typer.Option(
        None, "--public-data", help="Folder of real public data files (IMD, Fingertips, DfE) to load as well."
    ),
) -> None:
    """Build the Kent demo (framework, demo data, accounts, an open cycle) in the database, then exit."""
    from rich.markup import escape

    from gapwatch.services.demo import build_demo
    from gapwatch.services.demo_workflow import seed_demo_workflow
    from gapwatch.settings import Settings

    with command_engine(db) as engine:
        where = engine.url.render_as_string(hide_password=True)
        summary = build_demo(engine, public_data=public_data or Settings().public_data_dir)
        users, steps = seed_demo_workflow(engine)
    for line in [*summary, *steps]:
        # A file that was refused is not a success: marked as a warning (the others still loaded).
        mark = "[yellow]![/]" if ": not loaded — " in line else "[green]✓[/]"
        console.print(f"{mark} {escape(line)}")
    table = Table(title="Demo accounts (new passwords each run; note them now)", title_justify="left")
    for column in ("username", "role", "password"):
        table.add_column(column)
    for username, role, password in users:
        table.add_row(username, role.replace("_", " "), password)
    console.print(table)
    serve = "gapwatch serve" + (f" --db {db}" if db is not None else "")
    console.print(f"Demo database: {where}. Serve it with `{serve}`.", markup=False)
