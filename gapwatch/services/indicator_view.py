"""Everything the indicator page shows, computed once per request from the stored observations.

For one indicator: its definition and place in the plan; the trend in the partnership's own area with
confidence intervals and the recent-trend verdict (Fingertips' test over the last five points,
:func:`~gapwatch.stats.trends.recent_trend`); level targets with their trajectory and status
(:func:`~gapwatch.stats.targets.level_target_status`); the latest value by district, ranked, with each
district compared with the county by whether the county value lies outside the district's interval
(:func:`~gapwatch.stats.comparison.compare_to_benchmark`); values by population group with the gap to
each group's comparator and the gap's trend; the SII where deprivation quantiles allow; and the data
table with each row's lineage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from gapwatch.analysis.frame import finite as _f
from gapwatch.analysis.series import SeriesPoint, headline_series, recent_trend_result, until
from gapwatch.analysis.spc import SpcResult, spc_result
from gapwatch.analysis.targets import LevelTargetView, level_targets
from gapwatch.analysis.verdicts import TrendResult
from gapwatch.domain.indicators import Frequency, Indicator, Polarity
from gapwatch.domain.targets import Target, TargetKind
from gapwatch.errors import NotFound
from gapwatch.services._obsframe import (
    SCHEMA,
    cached,
    headline_area,
    observation_frame,
    period_index,
    with_intervals,
)
from gapwatch.services._plan import Plan, current_plan
from gapwatch.services.areas import area_table
from gapwatch.services.csv_safe import csv_text
from gapwatch.services.demo_data import LATER_PUBLICATION
from gapwatch.services.gaps_view import (
    GapSeries,
    GapTargetView,
    gap_target_view,
    shown_gaps,
)
from gapwatch.stats.comparison import compare_to_benchmark
from gapwatch.store.observations import get_batch, read_observations

__all__ = [
    "AreaValue",
    "GroupValue",
    "IndicatorPage",
    "LaterPublication",
    "LevelTargetView",
    "SeriesPoint",
    "indicator_csv",
    "indicator_page",
    "latest_level_status",
]


@dataclass(frozen=True)
class AreaValue:
    """A district's latest value and how it compares with the partnership's area."""

    area_id: str
    name: str
    value: float | None
    lower: float | None
    upper: float | None
    comparison: str
    illustrative: bool


@dataclass(frozen=True)
class GroupValue:
    """A population group's latest value with its gap to the comparator group."""

    category_type: str
    category_type_name: str
    category: str
    name: str
    value: float | None
    lower: float | None
    upper: float | None
    illustrative: bool
    comparator_name: str | None = None
    gap: float | None = None
    gap_lower: float | None = None
    gap_upper: float | None = None
    significance: str | None = None


@dataclass(frozen=True)
class LaterPublication:
    """A figure the plan itself states and a later publication of the same cell, side by side.

    An import never overwrites a plan's own figure (issue 12): the later value is stored under the series key's
    value type "later publication" and shown beside the plan's, which stays the headline series.
    """

    period: str
    area: str
    area_name: str
    category_type: str | None
    category: str | None
    plan_value: float | None
    plan_source: str  #: the plan's document and section
    value: float | None
    lower: float | None
    upper: float | None
    count: float | None
    denominator: float | None
    batch: str
    source: str  #: the import batch's name (publisher and file)
    group: str = "All"  #: the breakdown and category by the framework's names


@dataclass
class IndicatorPage:
    """The indicator page's content."""

    indicator: Indicator
    outcomes: list[tuple[str, str, str]]
    priorities: list[tuple[str, str]]
    area: str | None
    area_name: str | None
    areas: list[tuple[str, str]]
    series: list[SeriesPoint]
    trend: str
    trend_assessment: str | None
    trend_result: TrendResult | None
    level_targets: list[LevelTargetView]
    gap_targets: list[GapTargetView]
    districts: list[AreaValue]
    districts_period: str | None
    benchmark: float | None
    groups: list[GroupValue]
    groups_period: str | None
    gap_series: list[GapSeries]
    sii: list[GapSeries]
    table: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    spc: SpcResult | None = None
    later: list[LaterPublication] = field(default_factory=list)

    @property
    def illustrative(self) -> bool:
        """Whether anything on the page rests on illustrative (generated) data."""
        return any(row["illustrative"] for row in self.table)

    @property
    def latest(self) -> SeriesPoint | None:
        """The latest point of the headline series with a value."""
        usable = [p for p in self.series if p.value is not None]
        return usable[-1] if usable else None


def latest_level_status(
    indicator: Indicator, targets: list[Target], series: list[SeriesPoint], plan: Plan | None = None
) -> list[LevelTargetView]:
    """Each level target of an indicator judged at its target date (see :mod:`gapwatch.analysis.targets`)."""
    if plan is None:
        raise TypeError("latest_level_status needs the plan (for the reward and the target's plan)")
    return level_targets(plan, indicator, targets, series)


def _districts(
    plan: Plan, ind: Indicator, df: pl.DataFrame, area: str | None
) -> tuple[list[AreaValue], str | None, float | None]:
    children = [a.id for a in plan.framework.areas if a.parent == area]
    rows = df.filter(pl.col("area").is_in(children) & pl.col("category_type").is_null() & pl.col("value").is_not_null())
    if not children or rows.height == 0:
        return [], None, None
    latest = rows.sort("period_end").get_column("period")[-1]
    rows = rows.filter(pl.col("period") == latest).unique("area", keep="first")
    bench_rows = df.filter((pl.col("area") == area) & (pl.col("period") == latest) & pl.col("category_type").is_null())
    benchmark = _f(bench_rows.get_column("value")[0]) if bench_rows.height else None
    if benchmark is not None and rows.select(pl.col("lower").is_not_null().any()).item():
        rows = compare_to_benchmark(
            rows, benchmark=benchmark, polarity=ind.polarity.value, value="value", lower="lower", upper="upper"
        )
    else:
        rows = rows.with_columns(pl.lit("not compared").alias("comparison"))
    descending = ind.polarity is not Polarity.LOWER_IS_BETTER
    rows = rows.sort("value", descending=descending, nulls_last=True)
    out = [
        AreaValue(
            r["area"],
            plan.areas.get(r["area"], r["area"]),
            _f(r["value"]),
            _f(r["lower"]),
            _f(r["upper"]),
            str(r["comparison"]),
            bool(r["illustrative"]),
        )
        for r in rows.iter_rows(named=True)
    ]
    return out, latest, benchmark


def _groups(
    plan: Plan, ind: Indicator, df: pl.DataFrame, area: str | None
) -> tuple[list[GroupValue], str | None, list[GapSeries], list[GapSeries]]:
    shown = shown_gaps(plan, df, ind, area) if area is not None else []
    series = [s for s in shown if s.kind != "sii"]
    siis = [s for s in shown if s.kind == "sii"]
    rows = df.filter((pl.col("area") == area) & pl.col("category_type").is_not_null())
    if rows.height == 0 or area is None:
        return [], None, series, siis
    latest = rows.sort("period_end").get_column("period")[-1]
    types = {ct.id: ct for ct in plan.framework.groups}
    values: list[GroupValue] = []
    present = rows.select("category_type", "category").unique()
    pairs = set(present.iter_rows())
    for type_id in sorted({t for t, _ in pairs}):
        ct = types.get(type_id)
        if ct is None:
            continue
        latest_rows = rows.filter((pl.col("category_type") == type_id) & (pl.col("period") == latest))
        names = {c.id: c.name for c in ct.categories}
        order = {c.id: i for i, c in enumerate(ct.categories)}
        for r in sorted(latest_rows.iter_rows(named=True), key=lambda r: order.get(r["category"], 999)):
            gap = next(
                (
                    s
                    for s in series
                    if s.kind == "group" and s.subject == r["category"] and s.comparator_name and s.area == area
                ),
                None,
            )
            point = next((p for p in gap.points if p.period == latest), None) if gap else None
            values.append(
                GroupValue(
                    type_id,
                    ct.name,
                    r["category"],
                    names.get(r["category"], r["category"]),
                    _f(r["value"]),
                    _f(r["lower"]),
                    _f(r["upper"]),
                    bool(r["illustrative"]),
                    gap.comparator_name if gap else None,
                    point.gap if point else None,
                    point.lower if point else None,
                    point.upper if point else None,
                    point.significance if point else None,
                )
            )
    return values, latest, series, siis


#: Operational measures reported often enough for an SPC chart (NHS "Making Data Count"); annual measures get
#: the Fingertips-style recent trend instead.
SPC_FREQUENCIES = frozenset({Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.TERMLY})


def _spc(ind: Indicator, series: list[SeriesPoint]) -> SpcResult | None:
    if ind.frequency not in SPC_FREQUENCIES:
        return None
    return spc_result([p for p in series if p.value is not None], ind)


def _table(plan: Plan, df: pl.DataFrame) -> list[dict[str, Any]]:
    categories = {(ct.id, c.id): c.name for ct in plan.framework.groups for c in ct.categories}
    types = {ct.id: ct.name for ct in plan.framework.groups}
    out = []
    for r in df.iter_rows(named=True):
        out.append(
            {
                "period": r["period"],
                "area": r["area"],
                "area_name": plan.areas.get(r["area"], r["area"]),
                "breakdown": types.get(r["category_type"] or "", r["category_type"]),
                "category": categories.get((r["category_type"], r["category"]), r["category"]),
                "value": _f(r["value"]),
                "lower": _f(r["lower"]),
                "upper": _f(r["upper"]),
                "count": _f(r["count"]),
                "denominator": _f(r["denominator"]),
                "batch": r["batch"],
                "source": r["source"],
                "illustrative": bool(r["illustrative"]),
                "note": r["note"],
            }
        )
    return out


def _plan_sources(plan: Plan, ind: Indicator) -> dict[tuple[Any, ...], tuple[float | None, str]]:
    """The plan's own figures of ``ind`` keyed by cell, each with "document title, section" as its source."""
    titles = {d.file: d.title for d in plan.framework.documents if d.file}
    out: dict[tuple[Any, ...], tuple[float | None, str]] = {}
    for ob in plan.framework.observations:
        if ob.indicator != ind.id:
            continue
        where = "the plan"
        if ob.source is not None:
            where = titles.get(ob.source.document, ob.source.document) or "the plan"
            if ob.source.section:
                where += f", {ob.source.section}"
        out[(ob.area, ob.category_type or None, ob.category or None, ob.period)] = (ob.value, where)
    return out


def _group_name(plan: Plan, category_type: str | None, category: str | None) -> str:
    """ "All", or "breakdown: category" by the framework's names."""
    if category_type is None:
        return "All"
    ct = next((g for g in plan.framework.groups if g.id == category_type), None)
    if ct is None:
        return f"{category_type}: {category}"
    return f"{ct.name}: " + next((c.name for c in ct.categories if c.id == category), category or "")


def _later(
    session: Session, plan: Plan, ind: Indicator, area: str | None, cutoff: date | None
) -> list[LaterPublication]:
    """Later publications of cells the plan states, for ``area`` (all breakdowns), oldest period first."""
    if area is None:
        return []
    raw = read_observations(session.connection(), plan.pk, indicator_ids=[ind.id], area_codes=[area])
    raw = raw.filter(pl.col("value_type") == LATER_PUBLICATION)
    if raw.height == 0:
        return []
    frame = raw.select(
        pl.col("indicator_id").alias("indicator"),
        pl.col("area_code").alias("area"),
        pl.when(pl.col("category_type").fill_null("") != "").then(pl.col("category_type")).alias("category_type"),
        pl.when(pl.col("category").fill_null("") != "").then(pl.col("category")).alias("category"),
        "period",
        "value",
        pl.col("numerator").alias("count"),
        "denominator",
        pl.col("lower_95").alias("lower"),
        pl.col("upper_95").alias("upper"),
        pl.col("batch_pk").cast(pl.String).alias("batch"),
        pl.lit(False).alias("illustrative"),
        pl.lit(None, pl.String).alias("source"),
        "note",
    )
    frame = until(with_intervals(frame.select([pl.col(c).cast(t) for c, t in SCHEMA.items()]), ind), cutoff)
    own = _plan_sources(plan, ind)
    names = {b: get_batch(session.connection(), int(b)).name for b in frame.get_column("batch").unique().to_list()}
    out = [
        LaterPublication(
            period=r["period"],
            area=r["area"],
            area_name=plan.areas.get(r["area"], r["area"]),
            category_type=r["category_type"],
            category=r["category"],
            plan_value=own.get((r["area"], r["category_type"], r["category"], r["period"]), (None, ""))[0],
            plan_source=own.get((r["area"], r["category_type"], r["category"], r["period"]), (None, "the plan"))[1],
            value=_f(r["value"]),
            lower=_f(r["lower"]),
            upper=_f(r["upper"]),
            count=_f(r["count"]),
            denominator=_f(r["denominator"]),
            batch=r["batch"],
            source=names[r["batch"]].removeprefix("Public data: "),
            group=_group_name(plan, r["category_type"], r["category"]),
        )
        for r in frame.iter_rows(named=True)
    ]
    return sorted(out, key=lambda x: (period_index(x.period) or 0.0, x.category_type or "", x.category or ""))


def indicator_page(
    session: Session, indicator_id: str, *, area: str | None = None, cutoff: date | None = None
) -> IndicatorPage:
    """The indicator page for ``indicator_id`` in ``area`` (default: the partnership's own area).

    With ``cutoff`` (a reporting cycle's data cut-off), periods ending after it are left out, so the page
    for a cycle shows what the cycle's report shows.

    Computed once per framework revision and data version (see :func:`~gapwatch.services._obsframe.cached`);
    the result is shared, so callers must not change it.
    """
    plan = current_plan(session)
    ind = plan.indicators.get(indicator_id)
    if ind is None:
        raise NotFound(f"There is no indicator '{indicator_id}' in the plan")
    return cached(
        session, plan, ("indicator_page", indicator_id, area, cutoff), lambda: _page(session, plan, ind, area, cutoff)
    )


def _page(session: Session, plan: Plan, ind: Indicator, area: str | None, cutoff: date | None) -> IndicatorPage:
    df = until(with_intervals(observation_frame(session, plan, [ind.id]), ind), cutoff)
    present = df.get_column("area").unique().to_list()
    # The area chooser offers the plan's own areas (country, region, county, districts, groupings): small areas
    # such as LSOAs are thousands and are read through the data table and the CSV, not a drop-down.
    # An area named in the address that the plan does not hold (another authority, a ward) is named from the
    # stored geography.
    names = dict(plan.areas)
    if area is not None and area not in plan.areas:
        if area not in present:
            raise NotFound(f"There is no area '{area}'")
        known = area_table(session.connection(), plan.framework).filter(pl.col("code") == area)
        names[area] = known.item(0, "name") if known.height else area
    areas = sorted(((a, names[a]) for a in present if a in names), key=lambda x: x[1])
    chosen = area or headline_area(plan, df)
    headline = df.filter((pl.col("area") == chosen) & pl.col("category_type").is_null())
    series = headline_series(headline)
    trend_result, assessment = recent_trend_result(ind, series)
    trend = trend_result.verdict
    notes = [f"Recent trend {trend_result.reason}"] if trend_result.reason else []
    targets = [t for t in plan.framework.targets if t.indicator == ind.id]
    districts, districts_period, benchmark = _districts(plan, ind, df, chosen)
    groups, groups_period, gap_series, siis = _groups(plan, ind, df, chosen)
    outcomes = [(o, plan.outcomes[o].code, plan.outcomes[o].title) for o in ind.outcomes if o in plan.outcomes]
    priorities = [(p, plan.priorities[p].title) for p in ind.priorities if p in plan.priorities]
    if df.height == 0:
        notes.append("No data have been imported for this indicator yet")
    return IndicatorPage(
        indicator=ind,
        outcomes=outcomes,
        priorities=priorities,
        area=chosen,
        area_name=names.get(chosen or "", chosen),
        areas=areas,
        series=series,
        trend=trend,
        trend_assessment=assessment,
        trend_result=trend_result,
        level_targets=level_targets(plan, ind, targets, series),
        gap_targets=[gap_target_view(plan, df, t) for t in targets if t.kind is TargetKind.GAP_CLOSING],
        districts=districts,
        districts_period=districts_period,
        benchmark=benchmark,
        groups=groups,
        groups_period=groups_period,
        gap_series=gap_series,
        sii=siis,
        table=_table(plan, df),
        notes=notes,
        spc=_spc(ind, series),
        later=_later(session, plan, ind, chosen, cutoff),
    )


def indicator_csv(session: Session, indicator_id: str) -> str:
    """Every observation of an indicator as CSV, with its source and import batch (lineage)."""
    plan = current_plan(session)
    ind = plan.indicators.get(indicator_id)
    if ind is None:
        raise NotFound(f"There is no indicator '{indicator_id}' in the plan")
    df = with_intervals(observation_frame(session, plan, [ind.id]), ind)
    columns = [
        "indicator",
        "period",
        "area",
        "area_name",
        "breakdown",
        "category",
        "value",
        "lower_95",
        "upper_95",
        "count",
        "denominator",
        "unit",
        "illustrative",
        "batch",
        "source",
        "note",
    ]
    # text from imported files is defused by the one writer, so a spreadsheet never runs it as a formula
    return csv_text(
        columns,
        (
            {
                "indicator": ind.code,
                "period": row["period"],
                "area": row["area"],
                "area_name": row["area_name"],
                "breakdown": row["breakdown"] or "",
                "category": row["category"] or "",
                "value": row["value"],
                "lower_95": row["lower"],
                "upper_95": row["upper"],
                "count": row["count"],
                "denominator": row["denominator"],
                "unit": ind.unit,
                "illustrative": "yes" if row["illustrative"] else "no",
                "batch": row["batch"] or "",
                "source": row["source"] or "",
                "note": row["note"] or "",
            }
            for row in _table(plan, df)
        ),
    )
