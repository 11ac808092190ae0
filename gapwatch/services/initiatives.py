"""Initiatives as the commands, pages and KPQ answers read them: list, show, impact and scenarios.

The stored framework's initiatives, their impact on an indicator against comparison areas — named by the user,
stated in the framework, or matched on deprivation and baseline level from the other areas with data — and their
caseload and savings scenarios. Every judgement is made by :mod:`gapwatch.analysis.impact` and
:mod:`gapwatch.analysis.scenarios`; this module only gathers the plan, the observations and the deprivation
scores they need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import polars as pl
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gapwatch.analysis.impact import (
    ImpactResult,
    ImpactVerdict,
    Matching,
    baseline_levels,
    initiative_impact,
    match_comparison,
)
from gapwatch.analysis.scenarios import CaseloadScenarios, SavingsScenarios, caseload_scenarios, savings_scenarios
from gapwatch.domain.areas import GroupingKind
from gapwatch.domain.framework import Framework, area_members
from gapwatch.domain.indicators import Indicator, MeasureType
from gapwatch.domain.initiatives import Initiative
from gapwatch.domain.kpq import Direction
from gapwatch.errors import GapwatchError, InsufficientData, InvalidInput, NotFound, Problem
from gapwatch.services._obsframe import observation_frame
from gapwatch.services._plan import Plan, current_plan
from gapwatch.store.areas import deprivation_editions
from gapwatch.store.engine import session_scope

__all__ = [
    "IMPACT_DIRECTION",
    "InitiativeBrief",
    "Scenarios",
    "expand_areas",
    "get_initiative",
    "impact_in_session",
    "impact_of",
    "initiative_briefs",
    "impact_on_rows",
    "initiative_scenarios",
    "list_initiatives",
]

#: How an impact verdict bears on a KPQ: an initiative that improved things (and so closes a gap where its areas
#: started worse) supports; no significant effect is neutral; a significant worsening counts against; a
#: comparison that is not credible or cannot be formed is listed but not counted.
IMPACT_DIRECTION = {
    ImpactVerdict.IMPROVED: Direction.SUPPORTS,
    ImpactVerdict.NO_SIGNIFICANT_EFFECT: Direction.NEUTRAL,
    ImpactVerdict.WORSENED: Direction.AGAINST,
    ImpactVerdict.SIGNIFICANT_CHANGE: Direction.MISSING,
    ImpactVerdict.NOT_CREDIBLE: Direction.MISSING,
    ImpactVerdict.NOT_CALCULATED: Direction.MISSING,
}


@dataclass(frozen=True)
class Scenarios:
    """An initiative's caseload and savings scenarios (either may be absent)."""

    initiative: str
    name: str
    caseload: CaseloadScenarios | None
    savings: SavingsScenarios | None


def list_initiatives(engine: Engine) -> list[Initiative]:
    """Every initiative of the stored framework, in file order."""
    with session_scope(engine) as session:
        return list(current_plan(session).framework.initiatives)


def _find(plan: Plan, initiative_id: str) -> Initiative:
    found: Initiative | None = plan.framework.index("initiatives").get(initiative_id)
    if found is None:
        ids = ", ".join(i.id for i in plan.framework.initiatives) or "none"
        raise NotFound(f"There is no initiative '{initiative_id}'", hint=f"Initiatives: {ids}")
    return found


def get_initiative(engine: Engine, initiative_id: str) -> Initiative:
    """One initiative of the stored framework (NotFound lists the ids there are)."""
    with session_scope(engine) as session:
        return _find(current_plan(session), initiative_id)


def expand_areas(framework: Framework, ids: Sequence[str]) -> list[str]:
    """Area ids with groupings replaced by their member areas (a rest-of-parent: the parent's children less the
    excluded ones); areas are kept as they are, so counts are never summed twice over two levels."""
    groupings = framework.index("area_groupings")
    out: list[str] = []

    def add(item: str, seen: frozenset[str]) -> None:
        g = groupings.get(item)
        if g is None:
            out.append(item)
            return
        if item in seen:
            return
        if g.kind is GroupingKind.REST_OF_PARENT:
            heads = [a.id for a in framework.areas if a.parent == g.parent and a.id not in set(g.excluding)]
        else:
            heads = list(g.members)
        for head in heads:
            add(head, seen | {item})

    for item in ids:
        add(item, frozenset())
    return list(dict.fromkeys(out))


def _indicator(plan: Plan, ini: Initiative, indicator_id: str | None) -> Indicator:
    wanted = indicator_id or (ini.indicators[0] if ini.indicators else None)
    if wanted is None:
        raise InvalidInput(
            f"initiative '{ini.id}' names no indicator to judge its impact on",
            problems=[Problem(f"initiative '{ini.id}' has no 'indicators'", field="indicators")],
            hint="Give one with --indicator ID, or list the initiative's 'indicators' in the framework.",
        )
    indicator = plan.indicators.get(wanted)
    if indicator is None:
        raise NotFound(f"There is no indicator '{wanted}'")
    return indicator


def _measure(indicator: Indicator) -> str:
    if indicator.measure is MeasureType.PROPORTION:
        return "proportion"
    if indicator.measure is MeasureType.RATE:
        return "rate"
    return indicator.measure.value


def _start(ini: Initiative) -> None:
    if ini.start is None:
        said = f" (the source says '{ini.start_text}')" if ini.start_text else ""
        raise InsufficientData(
            f"initiative '{ini.id}' has no 'start' date{said}: its impact cannot be judged before and after",
            hint="Record the exact 'start' date in the framework (gapwatch does not guess one).",
        )


def _check_comparison(framework: Framework, ini: Initiative, comparison: Sequence[str], field: str) -> None:
    unknown = [
        a for a in comparison if a not in framework.index("areas") and a not in framework.index("area_groupings")
    ]
    if unknown:
        raise NotFound(
            f"unknown comparison area{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for initiative '{ini.id}'"
        )
    target: set[str] = set()
    for a in ini.target_areas:
        target |= area_members(framework, a)
    problems = [
        Problem(f"'{a}' shares ground with the target areas of '{ini.id}'", field=field)
        for a in comparison
        if area_members(framework, a) & target
    ]
    if problems:
        raise InvalidInput(
            f"the comparison areas overlap the target areas of initiative '{ini.id}'",
            problems=problems,
            hint="Choose areas outside the initiative's areas (a district holding a target ward overlaps it).",
        )


def impact_on_rows(
    plan: Plan,
    ini: Initiative,
    indicator: Indicator,
    rows: pl.DataFrame,
    comparison: Sequence[str],
    *,
    matching: Matching | None = None,
) -> ImpactResult:
    """The impact of ``ini`` on ``indicator`` from observation rows (all areas, no breakdown) against
    ``comparison`` (area or grouping ids)."""
    _start(ini)
    assert ini.start is not None
    framework = plan.framework
    treated = expand_areas(framework, ini.target_areas)
    compared = expand_areas(framework, comparison)
    whole = rows.filter(pl.col("category_type").is_null()) if "category_type" in rows.columns else rows
    return initiative_impact(
        whole,
        treated=treated,
        comparison=compared,
        start=ini.start,
        measure=_measure(indicator),
        multiplier=indicator.multiplier,
        polarity=indicator.polarity,
        initiative=ini.id,
        indicator=indicator.id,
        matching=matching,
    )


def _deprivation(session: Session, framework: Framework, areas: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """A deprivation score per area (LSOAs: their score; districts: mean LSOA score), latest edition loaded."""
    from gapwatch.services.areas import district_deprivation, lsoa_deprivation

    empty = pl.DataFrame(
        {"area": areas, "deprivation": [None] * len(areas)}, schema={"area": pl.String, "deprivation": pl.Float64}
    )
    editions = deprivation_editions(session.connection())
    imd = editions.filter(pl.col("domain") == "imd")
    if imd.height == 0:
        return empty, ["no deprivation loaded: matched on baseline level only"]
    edition = str(imd.get_column("edition").sort()[-1])
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    lsoa = lsoa_deprivation(engine, edition).select(
        pl.col("lsoa_code").alias("area"), pl.col("score").alias("deprivation")
    )
    district = district_deprivation(engine, edition).select(
        pl.col("district_code").alias("area"), pl.col("unweighted_mean_lsoa_score").alias("deprivation")
    )
    scores = pl.concat([lsoa, district]).unique("area")
    out = empty.drop("deprivation").join(scores, on="area", how="left")
    notes = [f"deprivation: {edition} score (districts: mean LSOA score)"]
    missing = out.filter(pl.col("deprivation").is_null()).height
    if missing:
        notes.append(f"no {edition} score for {missing} of the areas (wards have none)")
    return out, notes


def impact_of(
    engine: Engine,
    initiative_id: str,
    *,
    comparison: Sequence[str] | None = None,
    matched: int | None = None,
    indicator: str | None = None,
) -> ImpactResult:
    """The impact of an initiative on an indicator: against ``comparison`` areas, ``matched`` ones, or the
    comparison areas the framework states for it."""
    if comparison and matched:
        raise InvalidInput(
            "give comparison areas or ask for matched ones, not both",
            problems=[Problem("both given", field="--comparison / --matched")],
        )
    with session_scope(engine) as session:
        return impact_in_session(
            session, current_plan(session), initiative_id, comparison=comparison, matched=matched, indicator=indicator
        )


def impact_in_session(
    session: Session,
    plan: Plan,
    initiative_id: str,
    *,
    comparison: Sequence[str] | None = None,
    matched: int | None = None,
    indicator: str | None = None,
    cutoff: date | None = None,
) -> ImpactResult:
    """:func:`impact_of` inside a session the caller holds (a board paper's build), on the observations of periods
    ending by ``cutoff`` when given (a cycle reports the data it had)."""
    framework = plan.framework
    ini = _find(plan, initiative_id)
    ind = _indicator(plan, ini, indicator)
    _start(ini)
    assert ini.start is not None
    if not ini.target_areas:
        raise InvalidInput(
            f"initiative '{ini.id}' has no target areas",
            problems=[Problem("no target areas", field="target_areas")],
        )
    rows = observation_frame(session, plan, [ind.id])
    rows = rows.filter(pl.col("category_type").is_null())
    if cutoff is not None:
        rows = rows.filter(pl.col("period_end").is_not_null() & (pl.col("period_end") <= cutoff))
    if comparison:
        _check_comparison(framework, ini, comparison, "--comparison")
        return impact_on_rows(plan, ini, ind, rows, comparison)
    if matched is None:
        if not ini.comparison_areas:
            raise InvalidInput(
                f"initiative '{ini.id}' has no comparison areas",
                problems=[Problem("none stated", field="comparison_areas")],
                hint="Name them with --comparison AREA (repeatable) or ask for matched ones with --matched N.",
            )
        return impact_on_rows(plan, ini, ind, rows, ini.comparison_areas)
    treated = expand_areas(framework, ini.target_areas)
    levels = {a.id: a.level for a in framework.areas}
    wanted = {levels[a] for a in treated if a in levels}
    target_ground: set[str] = set()
    for a in ini.target_areas:
        target_ground |= area_members(framework, a)
    present = sorted(set(rows.get_column("area").drop_nulls().to_list()))
    # Candidates: areas with data at the initiative's level (framework areas by level; other areas, such as
    # imported wards or LSOAs, by their GSS code prefix), sharing no ground with its areas.
    prefixes = {a[:3] for a in treated}
    candidates = [
        a
        for a in present
        if (levels.get(a) in wanted if a in levels else a[:3] in prefixes)
        and not (area_members(framework, a) & target_ground)
    ]
    baseline = baseline_levels(rows, ini.start, ind.multiplier)
    dep, notes = _deprivation(session, framework, [*treated, *candidates])
    covariates = dep.join(baseline, on="area", how="left")
    matching = match_comparison(covariates, treated=treated, candidates=candidates, n=matched)
    if not matching.chosen:
        raise InsufficientData(
            f"no comparison areas could be matched for initiative '{ini.id}' on '{ind.id}'",
            hint="Areas at the level of the initiative's areas need data before the start.",
        )
    matching = replace(matching, notes=[*matching.notes, *notes])
    return impact_on_rows(plan, ini, ind, rows, matching.chosen, matching=matching)


def initiative_scenarios(engine: Engine, initiative_id: str) -> Scenarios:
    """The caseload and savings scenarios of one initiative (NotFound when it has neither)."""
    ini = get_initiative(engine, initiative_id)
    if ini.caseload_scenario is None and ini.savings is None:
        raise NotFound(
            f"initiative '{ini.id}' has no caseload scenario or savings proposal",
            hint="Add 'caseload_scenario' or 'savings' to the initiative in the framework.",
        )
    return Scenarios(
        initiative=ini.id,
        name=ini.name,
        caseload=caseload_scenarios(ini.caseload_scenario) if ini.caseload_scenario else None,
        savings=savings_scenarios(ini.savings) if ini.savings else None,
    )


class InitiativeBrief(BaseModel):
    """One initiative as a board paper shows it: who, where, when, money and caseload, its impact with its interval
    (or the reason none is computed) and its scenarios — each figure from the functions the initiative page and
    ``gapwatch initiative …`` use, so the paper and the page agree."""

    id: str
    name: str
    lead: str | None = None
    target_areas: list[str] = Field(default_factory=list, description="Names of the target areas.")
    dates: str
    budget: float | None = None
    cost: float | None = None
    caseload: int | None = None
    staff: float | None = None
    max_per_worker: float | None = None
    impact_indicator: str | None = None
    impact_verdict: str | None = None
    impact_text: str
    did: float | None = None
    lower: float | None = None
    upper: float | None = None
    unit: str | None = None
    relative_chance: str | None = None
    pre_trends: str | None = None
    caseload_scenarios: CaseloadScenarios | None = None
    savings: SavingsScenarios | None = None
    source: str | None = None


def _dates(ini: Initiative) -> str:
    start = ini.start.isoformat() if ini.start else (f"{ini.start_text} (no exact date)" if ini.start_text else None)
    end = ini.end.isoformat() if ini.end else ini.end_text
    if start is None and end is None:
        return "no dates given in the sources"
    return f"from {start or 'an unrecorded start'}" + (f" to {end}" if end else "")


def initiative_briefs(
    session: Session, plan: Plan, *, kpqs: set[str], outcomes: set[str], cutoff: date | None = None
) -> list[InitiativeBrief]:
    """The initiatives serving any of ``kpqs`` or ``outcomes`` (a board's), in framework order, each with its
    impact on the data up to ``cutoff`` against the comparison areas the framework states."""
    out: list[InitiativeBrief] = []
    for ini in plan.framework.initiatives:
        if not (set(ini.kpqs) & kpqs or set(ini.outcomes) & outcomes):
            continue
        fields: dict[str, Any] = {}
        lacking = _lacking(ini)
        if lacking:
            fields["impact_text"] = "Not computed: " + "; ".join(lacking) + " (gapwatch does not guess them)"
            out.append(_brief(plan, ini, fields))
            continue
        try:
            result = impact_in_session(session, plan, ini.id, cutoff=cutoff)
        except GapwatchError as error:
            fields["impact_text"] = f"Not computed: {error.message}"
        else:
            indicator = plan.indicators.get(result.indicator)
            rc = result.relative_chance
            fields |= {
                "impact_indicator": f"{indicator.code}: {indicator.title}" if indicator else result.indicator,
                "impact_verdict": result.verdict.value,
                "impact_text": result.verdict_text,
                "did": result.did.value if result.did else None,
                "lower": result.did.lower if result.did else None,
                "upper": result.did.upper if result.did else None,
                "unit": "percentage points" if result.measure == "proportion" and result.multiplier == 100 else None,
                "relative_chance": f"{rc.ratio:.2f} (95% CI {rc.lower:.2f} to {rc.upper:.2f})" if rc else None,
                "pre_trends": result.pre_trends.check.value
                + (f": {result.pre_trends.reason}" if result.pre_trends.reason else ""),
            }
        out.append(_brief(plan, ini, fields))
    return out


def _lacking(ini: Initiative) -> list[str]:
    """What an initiative's record lacks for an impact to be computed, in words."""
    out = []
    if ini.start is None:
        out.append("no exact start date" + (f" (the sources say '{ini.start_text}')" if ini.start_text else ""))
    if not ini.target_areas:
        out.append("no target areas")
    if not ini.comparison_areas:
        out.append("no comparison areas stated")
    if not ini.indicators:
        out.append("no indicator named to judge it on")
    return out


def _brief(plan: Plan, ini: Initiative, fields: dict[str, Any]) -> InitiativeBrief:
    orgs = plan.framework.index("organisations")
    return InitiativeBrief(
        id=ini.id,
        name=ini.name,
        lead=orgs[ini.lead].name if ini.lead in orgs else ini.lead,
        target_areas=[plan.areas.get(a) or a for a in ini.target_areas],
        dates=_dates(ini),
        budget=ini.budget,
        cost=ini.cost,
        caseload=ini.caseload,
        staff=ini.staff,
        max_per_worker=ini.max_per_worker,
        caseload_scenarios=caseload_scenarios(ini.caseload_scenario) if ini.caseload_scenario else None,
        savings=savings_scenarios(ini.savings) if ini.savings else None,
        source=(ini.source.document + (f", {ini.source.section}" if ini.source.section else ""))
        if ini.source
        else None,
        **fields,
    )
