"""Helpers shared by the CLI modules: settings, the database engine, consoles and output files."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
import typer.core
from rich.console import Console

from gapwatch.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "ByOption",
    "DbOption",
    "QuickHelpGroup",
    "cli_actor",
    "console",
    "engine_for",
    "err_console",
    "write_atomically",
    "write_output",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

DbOption = typer.Option(None, "--db", help="SQLite file to use instead of GAPWATCH_DATABASE_URL (e.g. --db demo.db).")
ByOption = typer.Option(None, "--by", help="Who does it, as recorded and audited (default: cli:<your login name>).")


class QuickHelpGroup(typer.core.TyperGroup):
    """A command group whose own ``--help`` flag, when not given, is simply off.

    Typer validates every option's value through pydantic, even the ``None`` of a ``--help`` that was not
    given: without this, `gapwatch stats --help` would import pydantic (about 0.1 s) only to check the
    root's unused ``--help``. A default of ``False`` is already a bool, which Typer lets through as it is.
    Nothing else changes: the flag, its help text and what it does are Typer's.
    """

    def get_help_option(self, ctx: Any) -> typer.core.TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


def cli_actor(by: str | None = None) -> str:
    """Who acts from the command line: ``--by`` if given, else ``cli:<login name>``.

    Services take it as an operator (someone with the database's credentials, so every permission) and
    write it into the audit log beside the web's usernames, where the ``cli:`` prefix shows the shell.
    """
    if by and by.strip():
        return by.strip()
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return f"cli:{login}"


def engine_for(db: Path | None = None) -> Engine:
    """The migrated engine for ``--db`` if given, else for the settings' database URL."""
    from gapwatch.services.database import open_database
    from gapwatch.settings import Settings

    settings = Settings()
    if db is not None:
        settings = settings.model_copy(update={"database_url": f"sqlite:///{db}"})
    return open_database(settings)


def write_output(text: str, output: Path | None) -> None:
    """Write to a file (atomically: a failure leaves no half-written file) or to standard output."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    write_atomically(output, text.encode("utf-8"))


def write_atomically(output: Path, content: bytes, *, what: str = "file") -> None:
    """Write the whole file or nothing: a failure leaves neither a half-written file nor a stray temporary."""
    tmp = output.with_name(output.name + ".part")
    try:
        tmp.write_bytes(content)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"{output}: cannot write the {what} ({exc.strerror or exc})") from exc
