"""Gaps as the pages show them: a group against its comparator, an area against the rest of its parent,
the most deprived quintile against the rest, the slope index of inequality, and gap-closing targets.

Every number comes from :mod:`gapwatch.stats`: gaps with intervals from counts (Newcombe 1998 for
proportions, Poisson methods for rates: :func:`~gapwatch.stats.gaps.group_gap`,
:func:`~gapwatch.stats.gaps.area_vs_rest`, :func:`~gapwatch.stats.gaps.deprived_vs_rest`), the SII by
:func:`~gapwatch.stats.inequality.sii` (Low & Low 2004), the trend of a gap by
:func:`~gapwatch.stats.trends.gap_trend` and target progress by
:func:`~gapwatch.stats.targets.gap_closing_status`. Where the data cannot support a statistic (values
without counts, too few periods) the result says so in words rather than showing a number it cannot
justify.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from gapwatch.domain.areas import GroupingKind
from gapwatch.domain.groups import CategoryType, CategoryTypeKind
from gapwatch.domain.indicators import Indicator, MeasureType
from gapwatch.domain.targets import Target, TargetKind
from gapwatch.errors import NotFound
from gapwatch.services._obsframe import cached, headline_area, observation_frame, period_index, with_intervals
from gapwatch.services._plan import Plan, current_plan
from gapwatch.stats.gaps import Measure, area_vs_rest, deprived_vs_rest, group_gap
from gapwatch.stats.inequality import sii
from gapwatch.stats.targets import gap_closing_status
from gapwatch.stats.trends import gap_trend

__all__ = [
    "COMPARISONS",
    "GapPoint",
    "GapSeries",
    "GapTargetView",
    "area_gap",
    "deprivation_category_types",
    "deprivation_gap",
    "gap_target_view",
    "gap_targets",
    "group_gap_series",
    "sii_series",
]

#: The comparisons of the gaps explorer: key -> label.
COMPARISONS: dict[str, str] = {
    "group": "A group against its comparator",
    "area": "An area against the rest of its parent",
    "deprivation": "Most deprived quintile against the rest",
    "sii": "Slope index of inequality across deprivation deciles",
}

NO_COUNTS = "the data have no counts and denominators, so no confidence interval can be given"


@dataclass(frozen=True)
class GapPoint:
    """The gap at one period: subject and comparator values and the gap (subject minus comparator)."""

    period: str
    period_index: float | None
    subject_value: float | None
    comparator_value: float | None
    gap: float | None
    lower: float | None
    upper: float | None
    significance: str | None
    illustrative: bool


@dataclass(frozen=True)
class GapSeries:
    """A gap over time with its trend verdict (narrowing / widening / no significant change)."""

    kind: str
    subject: str
    subject_name: str
    comparator: str
    comparator_name: str
    area: str | None
    points: tuple[GapPoint, ...]
    verdict: str
    notes: tuple[str, ...] = ()
    method: str | None = None
    unit: str = ""

    @property
    def latest(self) -> GapPoint | None:
        """The most recent point with a gap."""
        usable = [p for p in self.points if p.gap is not None]
        return usable[-1] if usable else None

    @property
    def illustrative(self) -> bool:
        """Whether any point rests on illustrative data."""
        return any(p.illustrative for p in self.points)


@dataclass(frozen=True)
class GapTargetView:
    """A gap-closing target with its progress, or the reason progress cannot be judged."""

    id: str
    title: str
    indicator_id: str | None
    indicator_title: str | None
    subject_name: str
    comparator_name: str
    reduction: str
    baseline_period: str | None
    baseline_gap: float | None
    target_period: str | None
    status: str
    status_period: str | None = None
    latest_gap: float | None = None
    closed_share: float | None = None
    required_now: float | None = None
    achieved_reported: bool | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    series: GapSeries | None = None


def _f(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out  # NaN -> None


def _stats_measure(indicator: Indicator) -> Measure | None:
    if indicator.measure is MeasureType.PROPORTION:
        return "proportion"
    if indicator.measure in (MeasureType.RATE, MeasureType.COUNT):
        return "rate"
    return None


def _has_counts(df: pl.DataFrame) -> bool:
    return (
        df.height > 0
        and df.select(
            pl.col("count").is_not_null().all()
            & pl.col("denominator").is_not_null().all()
            & (pl.col("denominator") > 0).all()
        ).item()
    )


def _illustrative_by_period(rows: pl.DataFrame) -> dict[str, bool]:
    if rows.height == 0:
        return {}
    agg = rows.group_by("period").agg(pl.col("illustrative").fill_null(False).any())
    return dict(zip(agg.get_column("period").to_list(), agg.get_column("illustrative").to_list(), strict=True))


def _trend(points: list[GapPoint], ses: list[float | None]) -> tuple[str, list[str]]:
    usable = [
        (p, se)
        for p, se in zip(points, ses, strict=True)
        if p.gap is not None and p.period_index is not None and se is not None and se > 0
    ]
    if len(usable) < 3:
        why = "fewer than 3 periods with a gap and its interval" if len(points) >= 3 else "fewer than 3 periods"
        return "could not be calculated", [f"Trend of the gap: {why}"]
    frame = pl.DataFrame(
        {
            "t": [p.period_index for p, _ in usable],
            "gap": [p.gap for p, _ in usable],
            "gap_se": [se for _, se in usable],
        }
    )
    result = gap_trend(frame, period_order_col="t", gap="gap", se="gap_se", points=min(5, len(usable)))
    return str(result.get_column("gap_trend")[0]), []


def _from_stats(out: pl.DataFrame, rows: pl.DataFrame) -> tuple[list[GapPoint], list[float | None]]:
    flags = _illustrative_by_period(rows)
    out = out.with_columns(pl.col("period").map_elements(period_index, return_dtype=pl.Float64).alias("_t"))
    out = out.sort("_t", nulls_last=True)
    points, ses = [], []
    for r in out.iter_rows(named=True):
        points.append(
            GapPoint(
                period=r["period"],
                period_index=r["_t"],
                subject_value=_f(r.get("subject_value")),
                comparator_value=_f(r.get("comparator_value")),
                gap=_f(r.get("gap")),
                lower=_f(r.get("gap_lowercl")),
                upper=_f(r.get("gap_uppercl")),
                significance=r.get("significance"),
                illustrative=flags.get(r["period"], False),
            )
        )
        ses.append(_f(r.get("gap_se")))
    return points, ses


def _values_only(subject: pl.DataFrame, comparator: pl.DataFrame) -> list[GapPoint]:
    """Gaps from values alone (no interval): shown, but never tested."""
    s = subject.group_by("period").agg(pl.col("value").first().alias("v1"), pl.col("illustrative").any().alias("i1"))
    c = comparator.group_by("period").agg(pl.col("value").first().alias("v2"), pl.col("illustrative").any().alias("i2"))
    joined = s.join(c, on="period", how="inner")
    points = []
    for r in joined.iter_rows(named=True):
        v1, v2 = _f(r["v1"]), _f(r["v2"])
        points.append(
            GapPoint(
                r["period"],
                period_index(r["period"]),
                v1,
                v2,
                None if v1 is None or v2 is None else v1 - v2,
                None,
                None,
                None,
                bool(r["i1"] or r["i2"]),
            )
        )
    return sorted(points, key=lambda p: p.period_index or 0.0)


def _series(
    kind: str,
    subject: str,
    subject_name: str,
    comparator: str,
    comparator_name: str,
    area: str | None,
    points: list[GapPoint],
    ses: list[float | None],
    notes: list[str],
    method: str | None,
    indicator: Indicator,
) -> GapSeries:
    verdict, more = _trend(points, ses) if points else ("could not be calculated", ["No data for this comparison"])
    return GapSeries(
        kind,
        subject,
        subject_name,
        comparator,
        comparator_name,
        area,
        tuple(points),
        verdict,
        tuple(notes + more),
        method,
        indicator.unit,
    )


def _category(plan: Plan, type_id: str, category_id: str) -> str:
    for ct in plan.framework.groups:
        if ct.id == type_id:
            for c in ct.categories:
                if c.id == category_id:
                    return c.name
    return category_id


def group_gap_series(
    df: pl.DataFrame, indicator: Indicator, plan: Plan, area: str, category_type: str, subject: str, comparator: str
) -> GapSeries:
    """A population group against its comparator in one area, every period (e.g. FSM vs not FSM)."""
    rows = df.filter(
        (pl.col("area") == area)
        & (pl.col("category_type") == category_type)
        & pl.col("category").is_in([subject, comparator])
    )
    names = (_category(plan, category_type, subject), _category(plan, category_type, comparator))
    measure = _stats_measure(indicator)
    notes: list[str] = []
    if measure and _has_counts(rows):
        out = group_gap(
            rows,
            category_col="category",
            subject=subject,
            comparator=comparator,
            x="count",
            n="denominator",
            measure=measure,
            group_by="period",
            multiplier=indicator.multiplier,
        )
        points, ses = _from_stats(out, rows)
        method = str(out.get_column("method")[0]) if out.height else None
    else:
        points = _values_only(rows.filter(pl.col("category") == subject), rows.filter(pl.col("category") == comparator))
        ses, method = [None] * len(points), None
        if points:
            notes.append(f"Gap shown without an interval: {NO_COUNTS}")
    return _series("group", subject, names[0], comparator, names[1], area, points, ses, notes, method, indicator)


def _rest_of(plan: Plan, grouping_or_parent: str) -> tuple[str | None, list[str], str]:
    """(parent area, member areas, name) of a rest-of-parent grouping or of a parent area."""
    for g in plan.framework.area_groupings:
        if g.id == grouping_or_parent:
            parent = g.parent if g.kind is GroupingKind.REST_OF_PARENT else None
            members = g.members or [a.id for a in plan.framework.areas if parent and a.parent == parent]
            return parent, members, g.name
    members = [a.id for a in plan.framework.areas if a.parent == grouping_or_parent]
    return grouping_or_parent, members, f"rest of {plan.areas.get(grouping_or_parent, grouping_or_parent)}"


def area_gap(df: pl.DataFrame, indicator: Indicator, plan: Plan, subject: str, comparator: str) -> GapSeries:
    """An area against the rest of its parent ("Thanet vs the rest of Kent"), every period.

    The rest is built from counts: from the member areas when all have counts, else the parent's own
    row minus the subject (:func:`~gapwatch.stats.gaps.area_vs_rest`); a stored row for the grouping
    itself is compared directly. Without counts, values only (no interval, no trend test).
    """
    base = df.filter(pl.col("category_type").is_null())
    parent, members, comparator_name = _rest_of(plan, comparator)
    subject_name = plan.areas.get(subject, subject)
    measure = _stats_measure(indicator)
    notes: list[str] = []
    direct = base.filter(pl.col("area").is_in([subject, comparator]))
    pool = base.filter(pl.col("area").is_in(members)) if members else base.head(0)
    parent_rows = base.filter(pl.col("area") == parent) if parent else base.head(0)
    subject_rows = base.filter(pl.col("area") == subject)
    out: pl.DataFrame | None = None
    used = direct
    if measure and subject_rows.height:
        if direct.filter(pl.col("area") == comparator).height and _has_counts(direct):
            out = group_gap(
                direct,
                category_col="area",
                subject=subject,
                comparator=comparator,
                x="count",
                n="denominator",
                measure=measure,
                group_by="period",
                multiplier=indicator.multiplier,
            )
        elif pool.height > 1 and _has_counts(pool):
            out = area_vs_rest(
                pool,
                area_col="area",
                subject_area=subject,
                members=members,
                x="count",
                n="denominator",
                measure=measure,
                group_by="period",
                multiplier=indicator.multiplier,
                comparator_label=comparator_name,
            )
            used = pool
        elif parent_rows.height and _has_counts(pl.concat([subject_rows, parent_rows])):
            both = pl.concat([subject_rows, parent_rows])
            out = area_vs_rest(
                both,
                area_col="area",
                subject_area=subject,
                parent_area=parent,
                x="count",
                n="denominator",
                measure=measure,
                group_by="period",
                multiplier=indicator.multiplier,
                comparator_label=comparator_name,
            )
            used = both
    if out is not None:
        out = out.filter(pl.col("subject_value").is_not_null())
        points, ses = _from_stats(out, used)
        method = str(out.get_column("method")[0]) if out.height else None
    else:
        comp_rows = direct.filter(pl.col("area") == comparator)
        points = _values_only(subject_rows, comp_rows)
        ses, method = [None] * len(points), None
        if points:
            notes.append(f"Gap shown without an interval: {NO_COUNTS}")
    return _series(
        "area", subject, subject_name, comparator, comparator_name, None, points, ses, notes, method, indicator
    )


def deprivation_category_types(plan: Plan) -> list[CategoryType]:
    """Category types that rank deprivation (ordinal, 'deprivation'/'IMD' in the name or id)."""
    return [
        ct
        for ct in plan.framework.groups
        if ct.kind is CategoryTypeKind.ORDINAL and ("depriv" in ct.name.lower() or "imd" in ct.id.lower())
    ]


def _ranked(rows: pl.DataFrame, ct: CategoryType) -> pl.DataFrame:
    order = {c.id: (c.order if c.order is not None else i + 1) for i, c in enumerate(ct.categories)}
    return rows.with_columns(
        pl.col("category").replace_strict(order, default=None, return_dtype=pl.Int64).alias("quantile")
    ).filter(pl.col("quantile").is_not_null())


def deprivation_gap(df: pl.DataFrame, indicator: Indicator, plan: Plan, area: str, ct: CategoryType) -> GapSeries:
    """The most deprived fifth against the rest in one area, every period (quintiles, or deciles 1-2)."""
    rows = _ranked(df.filter((pl.col("area") == area) & (pl.col("category_type") == ct.id)), ct)
    n_cat = len(ct.categories)
    deprived = tuple(range(1, max(1, n_cat // 5) + 1))
    label = "most deprived fifth" if n_cat in (5, 10) else f"most deprived {len(deprived)} of {n_cat}"
    measure = _stats_measure(indicator)
    notes: list[str] = []
    if measure and _has_counts(rows):
        out = deprived_vs_rest(
            rows,
            quantile_col="quantile",
            x="count",
            n="denominator",
            deprived=deprived,
            measure=measure,
            group_by="period",
            multiplier=indicator.multiplier,
            subject_label=label,
        )
        points, ses = _from_stats(out, rows)
        method = str(out.get_column("method")[0]) if out.height else None
    else:
        points, ses, method = [], [], None
        if rows.height:
            notes.append(f"No gap: {NO_COUNTS}, and the rest cannot be summed from values alone")
    return _series("deprivation", "deprived", label, "rest", "the rest", area, points, ses, notes, method, indicator)


def sii_series(
    df: pl.DataFrame, indicator: Indicator, plan: Plan, area: str, ct: CategoryType, *, repetitions: int = 10_000
) -> GapSeries:
    """The slope index of inequality across deprivation quantiles in one area, every period.

    Low & Low (2004); PHE SII guide; PHEindicatormethods ``phe_sii`` (simulated 95% limits, fixed seed so
    a page shows the same interval every time). Periods lacking a quantile or a population are skipped
    with the reason.
    """
    rows = _ranked(df.filter((pl.col("area") == area) & (pl.col("category_type") == ct.id)), ct)
    notes: list[str] = []
    points: list[GapPoint] = []
    ses: list[float | None] = []
    value_type = {MeasureType.PROPORTION: 2, MeasureType.RATE: 1}.get(indicator.measure, 0)
    usable = rows.filter(pl.col("denominator").is_not_null() & pl.col("value").is_not_null())
    if rows.height == 0:
        notes.append("No data by deprivation quantile in this area")
    elif usable.height == 0:
        notes.append("SII needs the population of each quantile (denominator); the data have none")
    else:
        has_limits = usable.select(pl.col("lower").is_not_null().all() & pl.col("upper").is_not_null().all()).item()
        has_counts = _has_counts(usable) and value_type in (1, 2)
        if not (has_limits or has_counts):
            notes.append("SII needs confidence limits or counts for each quantile; the data have neither")
        else:
            scale = indicator.multiplier if value_type else 1.0
            prepared = usable.with_columns(
                (pl.col("value") / scale).alias("_v"),
                (pl.col("lower") / scale).alias("_lo"),
                (pl.col("upper") / scale).alias("_hi"),
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    out = sii(
                        prepared,
                        quantile_col="quantile",
                        population="denominator",
                        value="_v",
                        x="count" if has_counts and not has_limits else None,
                        value_type=value_type,
                        lower="_lo" if has_limits else None,
                        upper="_hi" if has_limits else None,
                        multiplier=scale,
                        group_by="period",
                        repetitions=repetitions,
                        seed=20080401,
                    )
                except ValueError as exc:
                    out = None
                    notes.append(f"SII not calculated: {exc}")
            notes += [f"SII: {w.message}" for w in caught if "group(s) left without" not in str(w.message)]
            if out is not None:
                flags = _illustrative_by_period(usable)
                for r in out.iter_rows(named=True):
                    if r.get("sii_note"):
                        notes.append(f"{r['period']}: no SII ({r['sii_note']})")
                        continue
                    lo, hi = _f(r.get("sii_lowercl")), _f(r.get("sii_uppercl"))
                    points.append(
                        GapPoint(
                            r["period"],
                            period_index(r["period"]),
                            None,
                            None,
                            _f(r["sii"]),
                            lo,
                            hi,
                            None,
                            flags.get(r["period"], False),
                        )
                    )
                    ses.append(None if lo is None or hi is None else (hi - lo) / (2 * 1.959964))
                order = sorted(range(len(points)), key=lambda i: points[i].period_index or 0.0)
                points, ses = [points[i] for i in order], [ses[i] for i in order]
    method = "Low & Low (2004) SII, simulated confidence limits" if points else None
    return _series(
        "sii", "sii", "Slope index of inequality", ct.id, ct.name, area, points, ses, notes, method, indicator
    )


def gap_target_view(plan: Plan, df: pl.DataFrame, target: Target) -> GapTargetView:
    """A gap-closing target's progress from observations ``df`` (see :func:`gap_targets`)."""
    assert target.gap is not None
    gap = target.gap
    indicator = plan.indicators.get(target.indicator or "")
    reduction = f"{gap.percent_min:g}%" if gap.percent_max is None else f"{gap.percent_min:g}-{gap.percent_max:g}%"
    groups = {c.id: ct.id for ct in plan.framework.groups for c in ct.categories}
    subject_name = plan.areas.get(gap.subject) or _category(plan, groups.get(gap.subject, ""), gap.subject)
    comparator_name = plan.areas.get(gap.comparator) or _category(plan, groups.get(gap.comparator, ""), gap.comparator)
    base: dict[str, Any] = dict(
        id=target.id,
        title=target.title,
        indicator_id=target.indicator,
        indicator_title=indicator.title if indicator else None,
        subject_name=subject_name,
        comparator_name=comparator_name,
        reduction=reduction,
        achieved_reported=target.achieved,
    )
    if indicator is None:
        return GapTargetView(
            **base,
            baseline_period=None,
            baseline_gap=None,
            target_period=None,
            status="no data",
            notes=("The target names no indicator",),
        )
    rows = with_intervals(df.filter(pl.col("indicator") == indicator.id), indicator)
    if gap.subject in groups:
        county = headline_area(plan, rows)
        series = group_gap_series(rows, indicator, plan, county or "", groups[gap.subject], gap.subject, gap.comparator)
    else:
        series = area_gap(rows, indicator, plan, gap.subject, gap.comparator)
    notes = list(series.notes)
    usable = [p for p in series.points if p.gap is not None and p.period_index is not None]
    baseline_period = target.baseline.period if target.baseline else (usable[0].period if usable else None)
    baseline_gap = target.baseline.value if target.baseline and target.baseline.value is not None else None
    if baseline_gap is None and baseline_period is not None:
        match = [p for p in usable if p.period == baseline_period]
        baseline_gap = match[0].gap if match else None
        if match and not target.baseline:
            notes.append(f"The plan gives no baseline: the first period with data ({baseline_period}) is used")
    target_period = target.target.period if target.target else None
    view: dict[str, Any] = dict(
        base, baseline_period=baseline_period, baseline_gap=baseline_gap, target_period=target_period, series=series
    )
    if not usable:
        return GapTargetView(**view, status="no data", notes=tuple(notes + ["No gap can be formed from the data yet"]))
    if target_period is None or baseline_period is None or baseline_gap is None:
        why = "the plan gives no target date" if target_period is None else "there is no baseline gap"
        return GapTargetView(
            **view,
            status="not assessed",
            latest_gap=usable[-1].gap,
            notes=tuple(notes + [f"Progress cannot be judged: {why}"]),
        )
    latest = usable[-1]
    frame = pl.DataFrame(
        {"gap": [latest.gap], "t": [latest.period_index], "lo": [latest.lower], "hi": [latest.upper]},
        schema={"gap": pl.Float64, "t": pl.Float64, "lo": pl.Float64, "hi": pl.Float64},
    )
    out = gap_closing_status(
        frame,
        gap="gap",
        period_index="t",
        baseline_gap=baseline_gap,
        baseline_period_index=period_index(baseline_period) or 0.0,
        target_period_index=period_index(target_period) or 0.0,
        reduction=reduction,
        lower="lo",
        upper="hi",
    ).row(0, named=True)
    return GapTargetView(
        **view,
        status=str(out["status"]),
        status_period=latest.period,
        latest_gap=latest.gap,
        closed_share=_f(out["gap_closed_share"]),
        required_now=_f(out["required_share_now"]),
        notes=tuple(notes),
    )


def gap_targets(session: Session, indicator_id: str | None = None) -> list[GapTargetView]:
    """Every gap-closing target (or those of one indicator) with its progress from the data."""
    plan = current_plan(session)
    targets = [
        t
        for t in plan.framework.targets
        if t.kind is TargetKind.GAP_CLOSING and (indicator_id is None or t.indicator == indicator_id)
    ]
    if indicator_id is not None and indicator_id not in plan.indicators:
        raise NotFound(f"There is no indicator '{indicator_id}'")
    ids = {t.indicator for t in targets if t.indicator}

    def compute() -> list[GapTargetView]:
        df = observation_frame(session, plan, ids)
        return [gap_target_view(plan, df, t) for t in targets]

    return list(cached(session, plan, ("gap_targets", indicator_id), compute))
