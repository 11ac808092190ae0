"""`gapwatch report build`: a board's report for a reporting cycle as PDF, HTML or Word."""

from __future__ import annotations

import time
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


@app.command("build")
def build(
    board: str = typer.Option(..., "--board", help="The board, by name or id (e.g. 'Kent Forum')."),
    output: Path = typer.Option(..., "-o", "--output", help="The file to write."),
    fmt: str | None = typer.Option(None, "--format", help="pdf, html or docx (default: from the file's suffix)."),
    cycle: str | None = typer.Option(None, "--cycle", help="The reporting cycle, e.g. '2011 H2' (default: latest)."),
    annexes: bool = typer.Option(
        False, "--annexes", help="Add an annex per locality board (a county-wide board's report only)."
    ),
    db: Path | None = DbOption,
) -> None:
    """Build a board's report: frozen figures for a closed cycle, a draft from live data for an open one."""
    kind = _format(fmt, output)
    from gapwatch.reports import build_board_report, render_docx, render_html, render_pdf  # noqa: PLC0415

    started = time.perf_counter()
    with command_engine(db) as engine:
        report = build_board_report(engine, board, cycle, annexes=annexes)
    pages = ""
    if kind == "pdf":
        pdf = render_pdf(report)
        content, pages = pdf.content, f"{pdf.pages} pages, "
    elif kind == "html":
        content = render_html(report).encode("utf-8")
    else:
        content = render_docx(report)
    write_atomically(output, content, what="report")
    data = report.data
    state = "final" if data.frozen else "draft"
    console.print(
        f"[green]✓[/] {data.board.name}, {data.cycle.name} ({state}; {report.approval}): "
        f"{pages}{len(report.charts)} chart(s), {len(report.annexes)} annex(es) -> {output} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    if report.illustrative:
        console.print("[yellow]![/] The report includes illustrative demo data; it says so wherever it shows them.")
