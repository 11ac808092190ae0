"""`gapwatch gap show`: one gap per period with its interval, its trend verdict and gap-closing progress."""

from __future__ import annotations

from pathlib import Path

import typer

from gapwatch.cli._common import DbOption, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.cli._show import FormatOption, emit
from gapwatch.cli._show import number as _num

__all__ = ["app"]

app = typer.Typer(
    help="Look at a gap: a group against its comparator, or an area against the rest.", no_args_is_help=True
)


@app.command()
def show(
    indicator: str = typer.Argument(..., help="Indicator id."),
    by: str | None = typer.Option(None, "--by", help="Population group breakdown (category type id, e.g. fsm)."),
    area: str | None = typer.Option(
        None, "--area", help="With --by: the area (default: the partnership's). Alone: the subject area."
    ),
    versus: str | None = typer.Option(None, "--versus", help="With --area: 'rest' (default) or another area's code."),
    subject: str | None = typer.Option(None, "--subject", help="With --by: the group to compare (default: the first)."),
    sii: bool = typer.Option(False, "--sii", help="With a deprivation breakdown: the slope index of inequality."),
    cycle: str | None = typer.Option(None, "--cycle", help="Only data up to this reporting cycle's cut-off."),
    comparator: str | None = typer.Option(
        None, "--comparator", help="Also compare the gap's area with this comparator group, England and its region."
    ),
    fmt: str = FormatOption,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file instead of the screen."),
    db: Path | None = DbOption,
) -> None:
    """Per period: subject, comparator, gap, 95% interval (or why none) and missing members; the trend
    verdict with method, level, p and periods used; progress of a gap-closing target on this gap."""
    from gapwatch.queries.gap import gap_show
    from gapwatch.queries.reading import cycle_cutoff, reading

    with command_engine(db) as engine, reading(engine) as session:
        doc = gap_show(
            session,
            indicator,
            by=by,
            area=area,
            versus=versus,
            subject=subject,
            sii=sii,
            cutoff=cycle_cutoff(engine, cycle),
            comparator=comparator,
        )
    write_output(emit(doc, fmt, _text), output)


def _text(doc: dict) -> list[str]:  # type: ignore[type-arg]
    s = doc["series"]
    if s is None:
        return [f"No gap for {doc['indicator']}"] + [f"Note: {n}" for n in doc["notes"]]
    lines = [f"{doc['indicator']}: {s['subject_name']} compared with {s['comparator_name']}"]
    if s["direction"]:
        lines.append(f"Gap = {s['direction']}, in {s['unit']}")
    lines.append("period            subject  comparator       gap   95% interval")
    for p in s["points"]:
        interval = f"{_num(p['lower'])} to {_num(p['upper'])}" if p["lower"] is not None else (p["interval_note"] or "")
        lines.append(
            f"{p['period']:<17} {_num(p['subject_value'], 1):>8} {_num(p['comparator_value'], 1):>11} "
            f"{_num(p['gap']):>9}   {interval}"
        )
    lines.append(f"Trend of the gap: {s['verdict_text']}")
    if s["method"]:
        lines.append(f"Method: {s['method']}")
    for t in doc["targets"]:
        lines.append(f"Target {t['id']} ({t['reduction']}): {t['status']}")
        for g in t["progress"]:
            band = f" ({100 * g['lower']:.0f}% to {100 * g['upper']:.0f}%)" if g["lower"] is not None else ""
            lines.append(f"  {g['period']}: {100 * g['closed_share']:.0f}% of the baseline gap closed{band}")
    if doc.get("comparators"):
        from gapwatch.cli.indicator import comparator_lines

        lines += comparator_lines(doc["comparators"])
    lines += [f"Note: {n}" for n in s["notes"] + doc["notes"]]
    return lines
