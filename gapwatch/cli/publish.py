"""`gapwatch publish` and `gapwatch withdraw`: put an approved board report on /public with its open data
(small numbers protected by disclosure control), and take a publication down again with a reason."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from gapwatch.cli._common import ByOption, DbOption, cli_actor, console, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.errors import InvalidInput

__all__ = ["publish_command", "withdraw_command"]


def publish_command(
    board: str = typer.Option(..., "--board", help="The board whose report to publish (id or name)."),
    cycle: str | None = typer.Option(None, "--cycle", help="The cycle (default: the latest)."),
    by: str | None = ByOption,
    csv_out: Path | None = typer.Option(None, "--csv", help="Also write the open data CSV here."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the open data JSON here."),
    notes_out: Path | None = typer.Option(
        None, "--notes", help="Also write the notes sheet (what the symbols in the data mean) here, as CSV."
    ),
    db: Path | None = DbOption,
) -> None:
    """Publish an approved report to /public, after disclosure control of small numbers.

    Each indicator uses its discipline: threshold with secondary suppression, or rounding.
    """
    from gapwatch.services import publishing as service

    outputs = [p for p in (csv_out, json_out, notes_out) if p is not None]
    if len(set(outputs)) != len(outputs):
        raise InvalidInput("--csv, --json and --notes must be different files")
    with command_engine(db) as engine:
        info = service.publish(engine, cycle, board, by=cli_actor(by))
        console.print(
            f"[green]✓[/] Published the {info.board_name} report for {info.cycle}: {info.cells} values, "
            f"{info.suppressed} withheld to protect small numbers"
        )
        if csv_out is not None:
            write_output(service.open_data(engine, info.cycle, info.board, "csv"), csv_out)
        if json_out is not None:
            write_output(service.open_data(engine, info.cycle, info.board, "json"), json_out)
        if notes_out is not None:
            write_output(service.open_data(engine, info.cycle, info.board, "notes"), notes_out)


def withdraw_command(
    board: str = typer.Option(..., "--board", help="The board whose published report to withdraw (id or name)."),
    reason: str = typer.Option(..., "--reason", help="Why it is withdrawn: /public shows this with the date."),
    cycle: str | None = typer.Option(None, "--cycle", help="The cycle (default: the latest)."),
    by: str | None = ByOption,
    db: Path | None = DbOption,
) -> None:
    """Withdraw a published report from /public, with a reason the public site shows (audited)."""
    from gapwatch.services import approvals

    with command_engine(db) as engine:
        done = approvals.withdraw_publication(engine, cycle, board, reason, by=cli_actor(by))
        console.print(
            f"[green]✓[/] Withdrew the {escape(done.board_name)} report for {escape(done.cycle)} from /public "
            f"({done.withdrawn_at:%Y-%m-%d}): {escape(done.reason)}",
            markup=True,
            highlight=False,
        )
