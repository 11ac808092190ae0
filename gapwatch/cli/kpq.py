"""`gapwatch kpq answer`: answer the Key Performance Questions from their evidence."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gapwatch.cli._common import DbOption, console, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.errors import InvalidInput, Problem

if TYPE_CHECKING:
    from gapwatch.domain.kpq import EvidenceFinding

__all__ = ["app"]

app = typer.Typer(help="Answer the Key Performance Questions from their evidence.", no_args_is_help=True)

_COLOURS = {"Yes": "green", "Partly": "yellow", "No": "red", "Not enough evidence": "dim"}
_ARROWS = {"supports": "+", "against": "-", "neutral": "=", "missing": "?"}


def _reason(f: EvidenceFinding) -> str:
    """One reason in a line: its direction (``·`` for context, counted neither way), label, verdict and, for a
    consultation or an initiative, the estimate with its 95% interval."""
    mark = _ARROWS[f.direction.value] if f.counted else "·"
    figure = ""
    if f.value is not None and f.lower is not None and f.upper is not None:
        unit = f.unit if f.unit == "%" else f" {f.unit}" if f.unit else ""
        figure = f" ({f.value:.3g}{unit}, 95% CI {f.lower:.3g}{unit} to {f.upper:.3g}{unit})"
    return f"  [{mark}] {f.label}: {f.verdict}{figure}"


@app.command()
def answer(
    ambition: str | None = typer.Option(None, "--ambition", help="Only this ambition's KPQs (number or id)."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    cutoff: str | None = typer.Option(
        None,
        "--cutoff",
        help="Use data of periods ending by this date (YYYY-MM-DD), actions judged at it "
        "(default: the open cycle's cut-off, else today).",
    ),
    area: str | None = typer.Option(None, "--area", help="Answer for this area (default: the county)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file instead of the screen."),
    db: Path | None = DbOption,
) -> None:
    """Answer each KPQ Yes / Partly / No / Not enough evidence, with the reasons."""
    from gapwatch.domain.cycle import CycleWindow
    from gapwatch.services.cycles import current_window
    from gapwatch.services.kpq import answer_kpqs

    if fmt not in ("text", "json"):
        raise InvalidInput("--format must be text or json", problems=[Problem(f"got '{fmt}'", field="--format")])
    when = None
    if cutoff is not None:
        try:
            when = date.fromisoformat(cutoff)
        except ValueError:
            raise InvalidInput("--cutoff must be a date like 2011-12-31") from None
    with command_engine(db) as engine:
        # The shell decides the window: the cut-off asked for, else the open cycle's, else today's half-year.
        window = CycleWindow.ending(when) if when is not None else current_window(engine, date.today())
        answers = answer_kpqs(engine, window=window, ambition=ambition, area=area)
    if fmt == "json":
        doc = [a.model_dump(mode="json") for a in answers]
        write_output(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", output)
        return
    if output is not None:
        lines = []
        for a in answers:
            lines.append(f"{a.kpq} {a.question}: {a.answer.value} (rule {a.rule})")
            lines += [_reason(f) for f in a.reasons]
        write_output("\n".join(lines) + "\n", output)
        return
    for a in answers:
        colour = _COLOURS.get(a.answer.value, "white")
        console.print(f"[bold]{a.kpq}[/] {a.question} [bold {colour}]{a.answer.value}[/]")
        console.print(f"  [dim]rule {a.rule}[/]")
        for f in a.reasons:
            console.print(_reason(f), markup=False)
