"""`gapwatch initiative`: the partnership's initiatives, their impact against comparison areas, their scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from gapwatch.cli._common import DbOption, write_output
from gapwatch.cli._disposing import command_engine
from gapwatch.cli._show import FormatOption, emit
from gapwatch.cli._show import number as _num

__all__ = ["app"]

app = typer.Typer(
    help="Initiatives: list them, show one, judge its impact against comparison areas, work out its scenarios.",
    no_args_is_help=True,
)


@app.command("list")
def list_command(fmt: str = FormatOption, db: Path | None = DbOption) -> None:
    """Every initiative: id, name, target areas and dates (as the source words them where no date is known)."""
    from gapwatch.queries.initiatives import initiative_list

    with command_engine(db) as engine:
        doc = initiative_list(engine)

    def text(rows: list[dict[str, Any]]) -> list[str]:
        if not rows:
            return ["The framework has no initiatives."]
        return [
            f"{r['id']:<28} {r['name']}"
            + (f" ({', '.join(r['target_areas'])})" if r["target_areas"] else "")
            + (f", from {r['start']}" if r["start"] else "")
            for r in rows
        ]

    write_output(emit(doc, fmt, text), None)


@app.command()
def show(
    initiative: str = typer.Argument(..., help="Initiative id."), fmt: str = FormatOption, db: Path | None = DbOption
) -> None:
    """One initiative in full: targets, dates, phases, lead and partners, money, caseload, links and sources."""
    from gapwatch.queries.initiatives import initiative_detail

    with command_engine(db) as engine:
        doc = initiative_detail(engine, initiative)

    def text(d: dict[str, Any]) -> list[str]:
        lines = [f"{d['name']} ({d['id']})"]
        if d.get("description"):
            lines.append(d["description"])
        for key in (
            "lead",
            "partners",
            "target_areas",
            "target_cohort",
            "comparison_areas",
            "start",
            "start_text",
            "end",
            "end_text",
            "budget",
            "cost",
            "caseload",
            "staff",
            "max_per_worker",
            "outcomes",
            "kpqs",
            "indicators",
            "studies",
        ):
            value = d.get(key)
            if value in (None, [], ""):
                continue
            lines.append(f"{key.replace('_', ' ')}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
        for ph in d.get("phases", []):
            when = ph.get("start") or ph.get("start_text") or ""
            lines.append(f"phase: {ph['name']}" + (f" ({when})" if when else ""))
        if d.get("note"):
            lines.append(f"Note: {d['note']}")
        if d.get("source"):
            src = d["source"]
            lines.append(f"Source: {src['document']}" + (f", {src['section']}" if src.get("section") else ""))
        return lines

    write_output(emit(doc, fmt, text), None)


@app.command()
def impact(
    initiative: str = typer.Argument(..., help="Initiative id."),
    comparison: list[str] | None = typer.Option(
        None, "--comparison", help="A comparison area or grouping id (repeat for several)."
    ),
    matched: int | None = typer.Option(
        None, "--matched", help="Match N comparison areas on deprivation and baseline level."
    ),
    indicator: str | None = typer.Option(None, "--indicator", help="Indicator id (default: the initiative's first)."),
    fmt: str = FormatOption,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file instead of the screen."),
    db: Path | None = DbOption,
) -> None:
    """Before and after the start, the initiative's areas against comparison areas: difference in differences
    with its 95% interval, the pre-period parallel-trends check, the relative chance (risk or rate ratio),
    an interrupted time series, and — with --matched — the balance of the matched areas."""
    from gapwatch.queries.initiatives import initiative_impact

    with command_engine(db) as engine:
        doc = initiative_impact(engine, initiative, comparison=comparison, matched=matched, indicator=indicator)
    write_output(emit(doc, fmt, _impact_text), output)


def _est(e: dict[str, Any] | None, unit: str = "") -> str:
    if e is None:
        return "—"
    return f"{e['value']:+.3g}{unit} (95% interval {e['lower']:+.3g} to {e['upper']:+.3g}, p = {e['p']:.2g})"


def _group_row(name: str, g: dict[str, Any]) -> str:
    change = g["after"] - g["before"] if g["before"] is not None and g["after"] is not None else None
    return f"{name:<18} {_num(g['before']):>9} {_num(g['after']):>10} {_num(change):>10}"


def _impact_text(d: dict[str, Any]) -> list[str]:
    t, c = d["treated"], d["comparison"]
    unit = " points" if d["measure"] == "proportion" else f" per {d['multiplier']:,.0f}"
    lines = [
        f"Impact of {d['initiative']} on {d['indicator']} (start {d['start']})",
        f"Initiative areas: {', '.join(t['areas'])}",
        f"Comparison areas: {', '.join(c['areas'])}",
        "                       before      after     change",
        _group_row("initiative areas", t),
        _group_row("comparison areas", c),
        f"Difference in differences: {_est(d['did'], unit)}",
    ]
    if d["did"]:
        lines.append(f"Method: {d['did']['method']}")
    pre = d["pre_trends"]
    lines.append(
        f"Parallel trends before the start: {pre['check']}"
        + (f" — slope difference {_est(pre['slope_difference'], unit + ' a year')}" if pre["slope_difference"] else "")
        + (f" ({pre['reason']})" if pre["reason"] else "")
    )
    for key, when in (("relative_chance", "after the start"), ("relative_chance_before", "before the start")):
        rr = d[key]
        if rr:
            lines.append(
                f"Relative chance {when}: {rr['ratio']:.3g} (95% interval {rr['lower']:.3g} to {rr['upper']:.3g}), "
                f"{abs(rr['percent_different']):.0f}% {'higher' if rr['ratio'] >= 1 else 'lower'}; {rr['method']}"
            )
    its = d["its"]
    if its["reason"]:
        lines.append(f"Interrupted time series: not computed ({its['reason']})")
    else:
        lines.append(f"Interrupted time series: level change {_est(its['level_change'], unit)}")
        lines.append(f"  slope change {_est(its['slope_change'], unit + ' a year')}")
    m = d["matching"]
    if m:
        lines.append(f"Matching: {m['method']}; {len(m['chosen'])} of {m['requested']} chosen")
        for b in m["balance"]:
            smd = f"{b['smd']:+.2f}" if b["smd"] is not None else "—"
            lines.append(
                f"  balance on {b['covariate']}: initiative areas {_num(b['treated_mean'])}, "
                f"comparison {_num(b['comparison_mean'])}, standardised difference {smd}"
            )
        lines += [f"  Note: {n}" for n in m["notes"]]
    lines.append(f"Verdict: {d['verdict_text']}")
    if d["closes_gap"]:
        lines.append("The initiative's areas started worse off: the gap closed.")
    lines += [f"Note: {n}" for n in d["notes"]]
    return lines


@app.command()
def scenarios(
    initiative: str = typer.Argument(..., help="Initiative id."),
    fmt: str = FormatOption,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file instead of the screen."),
    db: Path | None = DbOption,
) -> None:
    """Caseload and cost scenarios (low / central / high: workers needed, total and avoidable cost, with a
    sensitivity table) and savings proposals (at the stated share and others), each with its sources."""
    from gapwatch.queries.initiatives import initiative_scenario_doc

    with command_engine(db) as engine:
        doc = initiative_scenario_doc(engine, initiative)
    write_output(emit(doc, fmt, _scenarios_text), output)


def _money(value: float | None) -> str:
    if value is None:
        return "—"
    return f"£{value / 1e6:,.1f}m" if abs(value) >= 1e6 else f"£{value:,.0f}"


def _scenarios_text(d: dict[str, Any]) -> list[str]:
    lines = [f"Scenarios for {d['name']} ({d['initiative']})"]
    cs = d["caseload"]
    if cs:
        unit = cs["unit"]
        lines.append(
            f"{'scenario':<9} {unit:>9} {'per worker':>10} {'workers':>8} {'total cost':>12} "
            f"{'avoided':>8} {'avoidable':>12}  basis"
        )

        def row(r: dict[str, Any]) -> str:
            share = f"{r['avoidable_share']:.0%}" if r["avoidable_share"] is not None else "—"
            return (
                f"{r['scenario']:<9} {r['cases']:>9,.0f} {_num(r['per_worker'], 0):>10} {_num(r['workers'], 0):>8} "
                f"{_money(r['total_cost']):>12} {share:>8} {_money(r['avoidable_cost']):>12}  {r['basis']}"
            )

        lines += [row(r) for r in cs["scenarios"]]
        lines.append("Sensitivity:")
        lines += [row(r) for r in cs["sensitivity"]]
        lines += [f"Source: {s}" for s in cs["sources"]] + [f"Note: {n}" for n in cs["notes"]]
    sv = d["savings"]
    if sv:
        lines.append(f"Savings from shifting {sv['spend']} ({sv['rows'][0]['units']} {sv['unit']}s):")
        lines.append(f"{'share':>6} {'spend per ' + sv['unit']:>20} {'saving per ' + sv['unit']:>20} {'total':>10}")
        for r in sv["rows"]:
            mark = "  (stated)" if r["stated"] else ""
            lines.append(
                f"{r['share']:>6.1%} {_money(r['spend_per_unit']):>20} {_money(r['saving_per_unit']):>20} "
                f"{_money(r['total']):>10}{mark}"
            )
        if sv["stated_total"] is not None:
            agree = "agrees with" if sv["total_agrees"] else "does NOT agree with"
            lines.append(
                f"Stated total {_money(sv['stated_total'])} {agree} the computed {_money(sv['computed_total'])}"
            )
        lines += [f"Source: {s}" for s in sv["sources"]] + [f"Note: {n}" for n in sv["notes"]]
    return lines
