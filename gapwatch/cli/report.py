"""`gapwatch report build`: a board's report for a reporting cycle as PDF, HTML or Word."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import typer

from gapwatch.cli._common import DbOption, console, write_atomically
from gapwatch.cli._disposing import command_engine

__all__ = ["FORMATS", "app"]

app = typer.Typer(help="Board reports: build a board's report for a reporting cycle.", no_args_is_help=True)

#: Output formats, by the file suffix that implies each when --format is not given.
FORMATS: dict[str, str] = {".pdf": "pdf", ".html": "html", ".htm": "html", ".docx": "docx"}


def _format(fmt: str | None, output: Path) -> str:
    if fmt is None:
        guessed = FORMATS.get(output.suffix.lower())
        if guessed is None:
            raise typer.BadParameter(f"give --format pdf, html or docx (cannot tell from '{output.name}')")
        return guessed
    if fmt not in set(FORMATS.values()):
        raise typer.BadParameter(f"'{fmt}' is not one of pdf, html, docx", param_hint="--format")
    return fmt


def _meeting(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date like 2013-02-14", param_hint="--meeting-date") from None


@app.command("build")
def build(
    board: str = typer.Option(..., "--board", help="The board, by name or id (e.g. 'Kent Forum')."),
    output: Path = typer.Option(..., "-o", "--output", help="The file to write."),
    fmt: str | None = typer.Option(None, "--format", help="pdf, html or docx (default: from the file's suffix)."),
    cycle: str | None = typer.Option(None, "--cycle", help="The reporting cycle, e.g. '2011 H2' (default: latest)."),
    annexes: bool = typer.Option(
        False, "--annexes", help="Add an annex per locality board (a county-wide board's report only)."
    ),
    meeting_date: str | None = typer.Option(
        None, "--meeting-date", help="The board meeting the paper is for (YYYY-MM-DD), printed on the cover."
    ),
    author: str | None = typer.Option(None, "--author", help="The paper's author (default: the performance officer)."),
    purpose: str | None = typer.Option(None, "--purpose", help="The paper's purpose (default: from the cycle)."),
    ask: list[str] = typer.Option(
        [], "--ask", help="What the board is asked to do, e.g. 'note the exceptions'; repeat. Default: note/agree."
    ),
    db: Path | None = DbOption,
) -> None:
    """Build a board's paper: frozen figures for a closed cycle (rendered once, then served from its stored
    file), a draft from live data for an open one."""
    kind = _format(fmt, output)
    from gapwatch.reports.frozen import paper  # noqa: PLC0415
    from gapwatch.reports.paper import CoverOptions  # noqa: PLC0415

    cover = CoverOptions(
        meeting_date=_meeting(meeting_date), author=author, purpose=purpose, asks=tuple(a for a in ask if a.strip())
    )
    started = time.perf_counter()
    with command_engine(db) as engine:
        found = paper(engine, board, cycle, kind, annexes=annexes, cover=cover)
    write_atomically(output, found.content, what="report")
    elapsed = time.perf_counter() - started
    report = found.report
    if report is None:
        console.print(
            f"[green]✓[/] {found.board}, {found.cycle} (final): the stored paper -> {output} in {elapsed:.2f} s"
        )
        return
    data = report.data
    state = "final" if data.frozen else "draft"
    pages = f"{found.pages} pages, " if found.pages else ""
    console.print(
        f"[green]✓[/] {data.board.name}, {data.cycle.name} ({state}; {report.approval}): "
        f"{pages}{len(report.charts)} chart(s), {len(report.annexes)} annex(es), "
        f"{len(report.exception_items)} exception(s) -> {output} in {elapsed:.1f} s"
    )
    if report.illustrative:
        console.print("[yellow]![/] The report includes illustrative demo data; it says so wherever it shows them.")
