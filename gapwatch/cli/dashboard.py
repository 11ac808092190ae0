"""`gapwatch dashboard`: the dashboard's summary for a board and a cycle, as the web and the API show it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from gapwatch.cli._common import DbOption, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.cli._show import FormatOption, emit

__all__ = ["dashboard_command"]


def dashboard_command(
    board: str | None = typer.Option(None, "--board", help="One board's view (id), e.g. kent-forum."),
    cycle: str | None = typer.Option(
        None,
        "--cycle",
        help="Judge in this reporting cycle's window (default: the open cycle, else today's half-year).",
    ),
    fmt: str = FormatOption,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file instead of the screen."),
    db: Path | None = DbOption,
) -> None:
    """Indicators by target status, gaps by verdict, actions by RAG and the KPQ answers, for a board and cycle."""
    from gapwatch.queries.dashboard import dashboard_summary
    from gapwatch.queries.reading import cycle_window_of, reading
    from gapwatch.services.cycles import current_window

    with command_engine(db) as engine, reading(engine) as session:
        window = cycle_window_of(engine, cycle) if cycle else current_window(session, date.today())
        doc = dashboard_summary(session, window, board=board)
    write_output(emit(doc, fmt, _text), output)


def _text(doc: dict) -> list[str]:  # type: ignore[type-arg]
    w = doc["window"]
    o = doc["overall"]
    lines = [
        f"{o['title']}: {w['cycle'] or 'half-year'} window {w['start']} to {w['as_of']}, data up to {w['cutoff']}",
        "Indicators: " + ", ".join(f"{k} {v}" for k, v in o["indicators"].items() if v),
        "Gaps: " + ", ".join(f"{k} {v}" for k, v in o["gaps"].items() if v),
        "Actions: " + ", ".join(f"{k} {v}" for k, v in o["actions"].items()),
    ]
    lines += [f"{k['kpq']} {k['question']} {k['answer']}" for k in doc["kpqs"]]
    lines += [f"Note: {n}" for n in doc["notes"]]
    return lines
