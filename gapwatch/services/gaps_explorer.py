"""The gaps explorer: pick an indicator and a comparison, see level, gap, trend and gap-closing targets.

Comparisons (see :data:`gapwatch.services.gaps_view.COMPARISONS`): a population group against its
comparator, an area against the rest of its parent, the most deprived fifth against the rest, and the
SII across deprivation quantiles. Sensible defaults are chosen from the data present (the first group
with data, the first district, the deprivation breakdown), and every choice is offered back as options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
from sqlalchemy.orm import Session

from gapwatch.analysis.series import until
from gapwatch.domain.areas import AreaLevel, GroupingKind
from gapwatch.domain.indicators import Indicator
from gapwatch.domain.targets import TargetKind
from gapwatch.errors import InvalidInput, NotFound, Problem
from gapwatch.services._obsframe import cached, headline_area, observation_frame, with_intervals
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.areas import area_table
from gapwatch.services.gaps_view import (
    COMPARISONS,
    GapSeries,
    GapTargetView,
    area_gap,
    deprivation_category_types,
    deprivation_gap,
    gap_target_view,
    gap_targets,
    group_gap_series,
    sii_series,
)

__all__ = ["Exploration", "explore"]


@dataclass
class Exploration:
    """What the explorer shows for one choice, and the choices on offer."""

    indicator_id: str | None
    comparison: str | None
    area: str | None = None
    category_type: str | None = None
    subject: str | None = None
    comparator: str | None = None
    series: GapSeries | None = None
    targets: list[GapTargetView] = field(default_factory=list)
    indicators: list[tuple[str, str]] = field(default_factory=list)
    areas: list[tuple[str, str]] = field(default_factory=list)
    subjects: list[tuple[str, str]] = field(default_factory=list)
    comparators: list[tuple[str, str]] = field(default_factory=list)
    category_types: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def explore(
    session: Session,
    indicator_id: str | None = None,
    comparison: str | None = None,
    *,
    area: str | None = None,
    category_type: str | None = None,
    subject: str | None = None,
    comparator: str | None = None,
    cutoff: date | None = None,
) -> Exploration:
    """The explorer for the choices made so far (all optional); unknown ids are :class:`NotFound`.

    ``cutoff`` (a reporting cycle's data cut-off) leaves out periods ending after it.

    Remembered per framework revision and data version (shared: callers must not change the result).
    """
    plan = current_plan(session)
    key = ("explore", indicator_id, comparison, area, category_type, subject, comparator, cutoff)
    return cached(
        session,
        plan,
        key,
        lambda: _explore(session, plan, indicator_id, comparison, area, category_type, subject, comparator, cutoff),
    )


def _explore(
    session: Session,
    plan: Plan,
    indicator_id: str | None,
    comparison: str | None,
    area: str | None,
    category_type: str | None,
    subject: str | None,
    comparator: str | None,
    cutoff: date | None = None,
) -> Exploration:
    out = Exploration(indicator_id, comparison)
    out.indicators = [(i.id, f"{i.code}: {i.title}") for i in plan.framework.indicators]
    if comparison is not None and comparison not in COMPARISONS:
        raise InvalidInput(
            "Choose a comparison from the list",
            problems=[Problem("Choose a comparison from the list", field="comparison")],
        )
    if indicator_id is None:
        out.targets = gap_targets(session)
        return out
    ind = plan.indicators.get(indicator_id)
    if ind is None:
        raise NotFound(f"There is no indicator '{indicator_id}'")
    df = until(with_intervals(observation_frame(session, plan, [ind.id]), ind), cutoff)
    out.targets = [
        gap_target_view(plan, df, t)
        for t in plan.framework.targets
        if t.kind is TargetKind.GAP_CLOSING and t.indicator == ind.id
    ]
    present = df.get_column("area").unique().to_list() if df.height else []
    # Areas to choose from: the plan's own, and others down to districts with their names. Small areas (wards,
    # LSOAs) are thousands — 32,844 LSOAs made this page 1.5 MB — and are reached by naming one (``area=``).
    known = area_table(session.connection(), plan.framework).select("code", "name", "level") if present else None
    names, small = {}, set()
    if known is not None:
        rows = known.filter(pl.col("code").is_in(present))
        names = dict(zip(rows["code"].to_list(), rows["name"].to_list(), strict=True))
        small = set(rows.filter(pl.col("level").is_in([AreaLevel.WARD.value, AreaLevel.LSOA.value]))["code"].to_list())
    out.areas = sorted(
        (
            (a, plan.areas.get(a) or names.get(a) or a)
            for a in present
            if a in plan.areas or a not in small or a == area
        ),
        key=lambda x: x[1],
    )
    if df.height == 0:
        out.notes.append("No data have been loaded for this indicator yet")
        return out
    comparison = comparison or "group"
    out.comparison = comparison
    chosen_area = area or headline_area(plan, df)
    out.area = chosen_area
    if comparison == "group":
        _group(out, plan, df, ind, chosen_area, category_type, subject, comparator)
    elif comparison == "area":
        _area(out, plan, df, ind, subject, comparator)
    else:
        types = [
            ct
            for ct in deprivation_category_types(plan)
            if df.filter((pl.col("area") == chosen_area) & (pl.col("category_type") == ct.id)).height
        ]
        out.category_types = [(ct.id, ct.name) for ct in types]
        ct = next((c for c in types if c.id == category_type), types[0] if types else None)
        if ct is None:
            out.notes.append("There are no data by deprivation quantile for this indicator in this area")
            return out
        out.category_type = ct.id
        out.series = (
            deprivation_gap(df, ind, plan, chosen_area or "", ct)
            if comparison == "deprivation"
            else sii_series(df, ind, plan, chosen_area or "", ct)
        )
    return out


def _group(
    out: Exploration,
    plan: Plan,
    df: pl.DataFrame,
    ind: Indicator,
    area: str | None,
    category_type: str | None,
    subject: str | None,
    comparator: str | None,
) -> None:
    here = df.filter((pl.col("area") == area) & pl.col("category_type").is_not_null())
    pairs = set(here.select("category_type", "category").unique().iter_rows())
    deprivation = {ct.id for ct in deprivation_category_types(plan)}
    types = [ct for ct in plan.framework.groups if any(t == ct.id for t, _ in pairs) and ct.id not in deprivation]
    out.category_types = [(ct.id, ct.name) for ct in types]
    ct = next((c for c in types if c.id == category_type), types[0] if types else None)
    if ct is None:
        out.notes.append("There are no data by population group for this indicator in this area")
        return
    out.category_type = ct.id
    cats = [c for c in ct.categories if (ct.id, c.id) in pairs]
    out.subjects = [(c.id, c.name) for c in cats]
    out.comparators = out.subjects
    chosen = next((c for c in cats if c.id == subject), next((c for c in cats if c.comparator), cats[0]))
    other = comparator or chosen.comparator or next((c.id for c in cats if c.id != chosen.id), None)
    if other is None or other == chosen.id:
        out.notes.append("Choose two different groups to compare")
        return
    out.subject, out.comparator = chosen.id, other
    out.series = group_gap_series(df, ind, plan, area or "", ct.id, chosen.id, other)


def _area(
    out: Exploration, plan: Plan, df: pl.DataFrame, ind: Indicator, subject: str | None, comparator: str | None
) -> None:
    present = set(df.get_column("area").unique().to_list())
    fw = plan.framework
    districts = [a for a in fw.areas if a.parent is not None and a.id in present]
    out.subjects = [(a.id, a.name) for a in districts]
    groupings = [g for g in fw.area_groupings if g.kind is GroupingKind.REST_OF_PARENT]
    parents = sorted({a.parent for a in districts if a.parent})
    out.comparators = [(g.id, g.name) for g in groupings] + [(p, f"Rest of {plan.areas.get(p, p)}") for p in parents]
    chosen = subject or (districts[0].id if districts else None)
    if chosen is None:
        out.notes.append("There are no data for areas within a parent area for this indicator")
        return
    area_row = next((a for a in fw.areas if a.id == chosen), None)
    default = next((g.id for g in groupings if chosen in g.excluding), None) or (area_row.parent if area_row else None)
    other = comparator or default
    if other is None:
        out.notes.append("Choose what to compare the area with")
        return
    out.subject, out.comparator = chosen, other
    out.series = area_gap(df, ind, plan, chosen, other)
