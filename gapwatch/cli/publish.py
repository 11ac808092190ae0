"""`gapwatch publish`: publish an approved board report with its open data, small numbers suppressed."""

from __future__ import annotations

from pathlib import Path

import typer

from gapwatch.cli._common import ByOption, DbOption, cli_actor, console, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.errors import InvalidInput
from gapwatch.services import publishing as service

__all__ = ["publish_command"]


def publish_command(
    board: str = typer.Option(..., "--board", help="The board whose report to publish (id or name)."),
    cycle: str | None = typer.Option(None, "--cycle", help="The cycle (default: the latest)."),
    by: str | None = ByOption,
    csv_out: Path | None = typer.Option(None, "--csv", help="Also write the open data CSV here."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the open data JSON here."),
    db: Path | None = DbOption,
) -> None:
    """Publish an approved report to /public, after primary and secondary suppression of small counts."""
    if csv_out is not None and json_out is not None and csv_out == json_out:
        raise InvalidInput("--csv and --json must be different files")
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
