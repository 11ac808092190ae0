"""`gapwatch indicator show`: an indicator's headline series, trend and targets, as the pages show them."""

from __future__ import annotations

from pathlib import Path

import typer

from gapwatch.cli._common import DbOption, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.cli._show import FormatOption, emit
from gapwatch.cli._show import number as _num

__all__ = ["app"]

app = typer.Typer(help="Look at one indicator: series, intervals, trend and targets.", no_args_is_help=True)


@app.command()
def show(
    indicator: str = typer.Argument(..., help="Indicator id, e.g. PSA1-children-in-care."),
    area: str | None = typer.Option(None, "--area", help="Area code (default: the partnership's own area)."),
    cycle: str | None = typer.Option(None, "--cycle", help="Only data up to this reporting cycle's cut-off."),
    comparator: str | None = typer.Option(
        None, "--comparator", help="Compare with this comparator group (see `gapwatch data comparators list`)."
    ),
    colour: str = typer.Option("group", "--colour", help="Colour the ranking against: group, england or region."),
    fmt: str = FormatOption,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file instead of the screen."),
    db: Path | None = DbOption,
) -> None:
    """The headline series (period, value, 95% interval or why none, count, denominator, batch), the
    recent trend with its level and p, and each target judged at its date (with since-then and reward)."""
    from gapwatch.queries.indicator import indicator_show
    from gapwatch.queries.reading import cycle_cutoff, reading

    with command_engine(db) as engine, reading(engine) as session:
        doc = indicator_show(
            session, indicator, area=area, cutoff=cycle_cutoff(engine, cycle), comparator=comparator, colour=colour
        )
    write_output(emit(doc, fmt, _text), output)


def _text(doc: dict) -> list[str]:  # type: ignore[type-arg]
    ind = doc["indicator"]
    unit = f" ({ind['unit']})" if ind["unit"] and not ind["title"].endswith(f"({ind['unit']})") else ""
    lines = [f"{ind['code']}: {ind['title']}{unit}", f"Area: {doc['area_name']} ({doc['area']})"]
    if doc["cutoff"]:
        lines.append(f"Data up to {doc['cutoff']}")
    lines.append("period            value       95% interval             count    denominator  batch")
    for p in doc["series"]:
        interval = (
            f"{_num(p['lower'], 1)} to {_num(p['upper'], 1)}" if p["lower"] is not None else (p["interval_note"] or "")
        )
        flag = " (illustrative)" if p["illustrative"] else ""
        lines.append(
            f"{p['period']:<17} {_num(p['value'], 1):>9}   {interval:<24} {_num(p['count'], 0):>8} "
            f"{_num(p['denominator'], 0):>14}  {p['batch'] or 'plan'}{flag}"
        )
    if doc["trend"]:
        lines.append(f"Recent trend: {doc['trend']['text']}")
    for t in doc["level_targets"]:
        lines.append(f"Target {t['id']}: {t['headline']}")
        if t["since_period"]:
            state = "still meets the target" if t["since_meets_target"] else "no longer meets the target"
            lines.append(f"  since then: {_num(t['since_value'], 1)} in {t['since_period']} ({state})")
        if t["reward_total"]:
            share = f", this target's share £{t['reward_amount']:,.0f}" if t["reward_amount"] is not None else ""
            lines.append(f"  reward: £{t['reward_total']:,.0f} for {t['plan_title']}{share}")
    for g in doc["gap_targets"]:
        lines.append(
            f"Gap target {g['id']}: {g['status']}" + (f" ({g['status_period']})" if g["status_period"] else "")
        )
        if g["closed_share"] is not None:
            lines.append(f"  {100 * g['closed_share']:.0f}% of the baseline gap closed; {g['reduction']} asked")
    lines += comparator_lines(doc["comparators"])
    lines += [f"Note: {n}" for n in doc["notes"]]
    return lines


def comparator_lines(c: dict | None) -> list[str]:  # type: ignore[type-arg]
    """The area against England, its region and a comparator group, and its rank, as text lines."""
    if not c or c["period"] is None:
        return [f"Note: {n}" for n in (c or {}).get("notes", [])]
    lines = [f"Compared in {c['period']} (benchmark outside the area's 95% interval):"]
    for b in c["benchmarks"]:
        if b["value"] is None:
            lines.append(f"  {b['name']}: no value ({b['reason']})")
            continue
        interval = f" ({_num(b['lower'], 1)} to {_num(b['upper'], 1)})" if b["lower"] is not None else ""
        why = f"; {b['reason']}" if b["reason"] else ""
        lines.append(f"  {b['name']}: {_num(b['value'], 1)}{interval}: {c['area_name']} is {b['comparison']}{why}")
    if c["group"] and c["rank"] is not None:
        tie = " (tied)" if c["tied"] else ""
        lines.append(f"  Rank in {c['group_name']}: {c['rank']} of {c['rank_of']}{tie}, {c['rank_order']}")
    if c["choices"]:
        lines.append("  Comparator groups: " + ", ".join(g["id"] for g in c["choices"]))
    lines += [f"Note: {n}" for n in c["notes"]]
    return lines
