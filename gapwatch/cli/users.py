"""`gapwatch users add|list|reset-password`: accounts of the web application, from the command line.

The first administrator is created here (`gapwatch users add NAME --role admin`); afterwards admins manage
accounts in the web app. Passwords are generated and printed once unless --password-stdin is given.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from gapwatch.cli._common import ByOption, DbOption, cli_actor, console, engine_for
from gapwatch.errors import InvalidInput, NotFound

__all__ = ["ROLES", "app"]

app = typer.Typer(help="Accounts of the web application: add, list, reset passwords.", no_args_is_help=True)

#: The roles, as :class:`gapwatch.domain.access.Role` lists them (restated so that `--help` imports no
#: models; a test keeps the two the same). The service checks the role given.
ROLES = ("admin", "performance_officer", "lead_officer", "board_member")
_ROLES = ", ".join(ROLES)


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password to set, and whether it was generated (then it is printed, and must be changed)."""
    from gapwatch.services.accounts import generate_password

    if not from_stdin:
        return generate_password(), True
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InvalidInput("No password on standard input")
    return line, False


@app.command("add")
def add(
    username: str = typer.Argument(..., help="Username to sign in with (letters, digits, . _ - @)."),
    role: str = typer.Option(..., "--role", help=f"One of: {_ROLES}."),
    name: str | None = typer.Option(None, "--name", help="The person's full name (default: the username)."),
    person: str | None = typer.Option(None, "--person", help="Framework people id (lead officers' own actions)."),
    email: str | None = typer.Option(None, "--email", help="E-mail address."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input instead of generating one."
    ),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Add an account (audited). A generated password is printed once; the person changes it when signing in."""
    from gapwatch.services.accounts import create_user
    from gapwatch.services.database import transaction

    password, generated = _password(password_stdin)
    with transaction(engine_for(db)) as session:
        create_user(
            session,
            username=username,
            display_name=name or username,
            role=role,
            password=password,
            person_id=person,
            email=email,
            must_change_password=generated,
            actor=cli_actor(by),
        )
    console.print(f"[green]✓[/] Account {username.strip().lower()} ({role}) added.")
    if generated:
        console.print(f"Temporary password: {password}", markup=False)


@app.command("list")
def list_command(db: Path | None = DbOption) -> None:
    """List the accounts: username, name, role, linked person, active or not."""
    from gapwatch.services.accounts import accounts
    from gapwatch.services.database import transaction

    with transaction(engine_for(db)) as session:
        rows = accounts(session)
        table = Table("username", "name", "role", "person", "active", "last sign-in")
        for row in rows:
            last = row.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if row.last_sign_in_at else "never"
            table.add_row(
                row.username, row.display_name, row.role, row.person_id or "", "yes" if row.active else "no", last
            )
    if not rows:
        console.print("No accounts yet. Add one with `gapwatch users add NAME --role admin`.")
        return
    console.print(table)


@app.command("reset-password")
def reset_password_command(
    username: str = typer.Argument(..., help="The account to reset."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from standard input instead of generating one."
    ),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Reset a password (audited; the account's sessions end). A generated one is printed and must be changed."""
    from gapwatch.services.accounts import account, reset_password
    from gapwatch.services.database import transaction

    password, generated = _password(password_stdin)
    with transaction(engine_for(db)) as session:
        row = account(session, username)
        if row is None:
            raise NotFound(f"There is no account called '{username}'", hint="See `gapwatch users list`.")
        reset_password(session, row, actor=cli_actor(by), password=password)
        row.must_change_password = generated
    console.print(f"[green]✓[/] Password of {row.username} reset; their sessions have ended.")
    if generated:
        console.print(f"Temporary password: {password}", markup=False)
