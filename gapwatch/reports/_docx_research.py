"""The Word paper's "Initiatives" and "Consultation" sections: the same figures, in the same order, as the HTML and
PDF paper's ``_initiatives.html`` partial, from the snapshot's ``initiatives`` and ``consultations``."""

from __future__ import annotations

from typing import Any

from gapwatch.reports._format import fmt_interval, fmt_num, fmt_signed
from gapwatch.reports.model import BoardReport

__all__ = ["write_research"]


def _money(value: float | None) -> str:
    return "not given" if value is None else f"£{fmt_num(value)}"


def _impact(i: Any) -> str:
    if i.did is None:
        return str(i.impact_text)
    text = f"{i.impact_verdict}: {fmt_signed(i.did)}{' ' + i.unit if i.unit else ''} ({fmt_interval(i.lower, i.upper)})"
    text += f" on {i.impact_indicator}"
    if i.relative_chance:
        text += f"; relative chance {i.relative_chance}"
    if i.pre_trends:
        text += f"; pre-period trends: {i.pre_trends}"
    return text


def write_research(w: Any, r: BoardReport, level: int) -> None:
    """The board's initiatives (impact with its interval or why none, spend, caseload, scenarios) and consultations
    (shares of respondents with Wilson intervals); nothing for an annex or a board with neither."""
    d = r.data
    if r.annex_label:
        return
    if d.initiatives:
        w.doc.add_heading("Initiatives", level)
        w.para(
            "The initiatives serving this board's outcomes and Key Performance Questions. An impact is the difference "
            "in differences of the initiative's areas against comparison areas before and after its start, with a "
            "95% interval; where it cannot be computed the reason is given instead of a number."
        )
        w.table(
            "Initiatives: impact, spend and caseload",
            ("Initiative", "Areas and dates", "Impact (95% interval)", "Spend", "Caseload"),
            [
                (
                    i.name + (f" (lead: {i.lead})" if i.lead else ""),
                    f"{', '.join(i.target_areas) or 'no target areas recorded'}; {i.dates}",
                    _impact(i),
                    f"budget {_money(i.budget)}; cost {_money(i.cost)}",
                    (f"{fmt_num(i.caseload)} cases" if i.caseload is not None else "not given")
                    + (f"; {fmt_num(i.staff)} staff" if i.staff is not None else "")
                    + (f"; at most {fmt_num(i.max_per_worker)} per worker" if i.max_per_worker is not None else ""),
                )
                for i in d.initiatives
            ],
        )
        for i in d.initiatives:
            cs = i.caseload_scenarios
            if cs is not None:
                w.table(
                    f"{i.name}: caseload and cost scenarios ({cs.unit})",
                    ("Scenario", cs.unit.capitalize(), "Per worker", "Workers", "Cost", "Avoidable cost", "Basis"),
                    [
                        (
                            s.scenario,
                            fmt_num(s.cases),
                            fmt_num(s.per_worker, "—"),
                            fmt_num(s.workers, "—"),
                            "—" if s.total_cost is None else f"£{fmt_num(s.total_cost)}",
                            "—" if s.avoidable_cost is None else f"£{fmt_num(s.avoidable_cost)}",
                            s.basis,
                        )
                        for s in cs.scenarios
                    ],
                )
                if cs.sources:
                    w.para("Sources: " + "; ".join(cs.sources) + ".", size=8)
            sv = i.savings
            if sv is not None:
                w.table(
                    f"{i.name}: savings ({sv.spend})",
                    ("Share", f"Spend per {sv.unit}", f"Saving per {sv.unit}", f"{sv.unit.capitalize()}s", "Total"),
                    [
                        (
                            f"{100 * s.share:g}%" + (" (stated)" if s.stated else ""),
                            f"£{fmt_num(s.spend_per_unit)}",
                            f"£{fmt_num(s.saving_per_unit)}",
                            str(s.units),
                            f"£{fmt_num(s.total)}",
                        )
                        for s in sv.rows
                    ],
                )
                if sv.sources:
                    w.para("Sources: " + "; ".join(sv.sources) + ".", size=8)
    if d.consultations:
        w.doc.add_heading("Consultation", level)
        for c in d.consultations:
            w.doc.add_heading(c.name, level + 1)
            said = f"Open from {c.opened} to {c.closed}; " if c.opened and c.closed else ""
            said += f"{fmt_num(c.responses)} responses. " if c.responses is not None else ""
            w.para(
                f"{said}The figures are the {c.caveat}; a respondent choosing two options counts in two shares, so "
                "such shares sum to up to 200%."
            )
            w.table(
                f"{c.name}: shares of respondents with 95% Wilson intervals",
                ("Question", "Answer", "Share", "95% interval", "Base"),
                [
                    (
                        f.question_text,
                        (f.option_label or f.option or "") + (f" ({f.respondent_label})" if f.respondent_type else ""),
                        "no data" if f.percent is None else f"{f.percent:.0f}%",
                        f"{f.lower:.1f}% to {f.upper:.1f}%"
                        if f.lower is not None and f.upper is not None
                        else (f.reason or "no interval"),
                        fmt_num(f.base, "not published"),
                    )
                    for f in c.figures
                ],
                illustrative=c.illustrative,
            )
            if c.source:
                w.para(f"Source: {c.source}.", size=8)
