"""Gaps, decided once: a group against its comparator, an area against the rest of its parent, the most
deprived fifth against the rest, and the slope index of inequality — each with its trend verdict.

Every statistic comes from :mod:`gapwatch.stats` (Newcombe 1998 for differences of proportions, Poisson
methods for rates, Low & Low 2004 for the SII, a weighted least-squares slope for the trend of a gap).
The rules here are the ones users rely on, and each was once broken:

* **Per period, never all-or-nothing.** Periods whose rows carry counts get intervals and enter the trend
  test; periods without counts keep their values and say "no interval: no count published".
* **The rest of a parent area** is the parent's own row minus the area when the parent has counts for the
  period; otherwise the sum of the other members *only when every member is present*; otherwise the period
  is marked incomplete with the missing members named. Never a silent partial sum.
* **Sign** follows the indicator's :class:`~gapwatch.domain.indicators.GapDirection` (NI 102 is non-FSM
  minus FSM), and verdicts judge the *size* of the gap: narrowing, widening, no significant change,
  closed or reversed (:class:`~gapwatch.analysis.verdicts.GapVerdict`).
* **Units**: a difference of percentages is in percentage points.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import polars as pl

from gapwatch.analysis.frame import finite, period_index
from gapwatch.analysis.verdicts import LEVELS, SII_SIMULATION, GapVerdict, SiiSimulation, TestKind, TrendResult
from gapwatch.domain.areas import GroupingKind
from gapwatch.domain.catalogue import Plan
from gapwatch.domain.groups import CategoryType, CategoryTypeKind
from gapwatch.domain.indicators import GapDirection, Indicator, MeasureType
from gapwatch.stats.gaps import Measure, area_vs_rest, deprived_vs_rest, group_gap
from gapwatch.stats.inequality import sii
from gapwatch.stats.trends import gap_trend

__all__ = [
    "COMPARISONS",
    "NO_COUNT",
    "GapPoint",
    "GapSeries",
    "area_gap",
    "category_name",
    "default_comparator",
    "deprivation_category_types",
    "deprivation_gap",
    "gap_unit",
    "group_gap_series",
    "indicator_gaps",
    "rest_of",
    "series_key",
    "sii_series",
]

#: The comparisons of the gaps explorer: key -> label.
COMPARISONS: dict[str, str] = {
    "group": "A group against its comparator",
    "area": "An area against the rest of its parent",
    "deprivation": "Most deprived quintile against the rest",
    "sii": "Slope index of inequality across deprivation deciles",
}

NO_COUNT = "no interval: no count published"
#: How many of the latest periods with an interval the trend of a gap is tested on.
GAP_TREND_POINTS = 5
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class GapPoint:
    """The gap at one period, signed as the indicator defines it, with its 95% interval or why none."""

    period: str
    period_index: float | None
    subject_value: float | None
    comparator_value: float | None
    gap: float | None
    lower: float | None
    upper: float | None
    significance: str | None
    illustrative: bool
    interval_note: str | None = None
    incomplete: tuple[str, ...] = ()
    se: float | None = None


@dataclass(frozen=True)
class GapSeries:
    """A gap over time with its trend verdict, method, level and the periods the test used."""

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
    trend: TrendResult | None = None
    direction: str = ""

    @property
    def latest(self) -> GapPoint | None:
        """The most recent point with a gap."""
        usable = [p for p in self.points if p.gap is not None]
        return usable[-1] if usable else None

    @property
    def illustrative(self) -> bool:
        """Whether any point rests on illustrative data."""
        return any(p.illustrative for p in self.points)

    @property
    def verdict_text(self) -> str:
        """The verdict with its level, p and periods ("no significant change at the 95% level (p = 0.3)…")."""
        return self.trend.describe() if self.trend else self.verdict


def gap_unit(indicator: Indicator) -> str:
    """The unit of a gap: percentage points for differences of percentages, else the indicator's unit."""
    if indicator.measure is MeasureType.PROPORTION or indicator.unit.strip() == "%":
        return "percentage points"
    return indicator.unit


def _stats_measure(indicator: Indicator) -> Measure | None:
    if indicator.measure is MeasureType.PROPORTION:
        return "proportion"
    if indicator.measure in (MeasureType.RATE, MeasureType.COUNT):
        return "rate"
    return None


_COUNTED = pl.col("count").is_not_null() & pl.col("denominator").is_not_null() & (pl.col("denominator") > 0)


def _illustrative_by_period(rows: pl.DataFrame) -> dict[str, bool]:
    if rows.height == 0:
        return {}
    agg = rows.group_by("period").agg(pl.col("illustrative").fill_null(False).any())
    return dict(zip(agg.get_column("period").to_list(), agg.get_column("illustrative").to_list(), strict=True))


def _counted_keys(rows: pl.DataFrame, key: str) -> set[tuple[str, str]]:
    """(period, key value) pairs whose every row carries a count and a positive denominator."""
    if rows.height == 0:
        return set()
    agg = rows.group_by("period", key).agg(_COUNTED.all().alias("_ok")).filter(pl.col("_ok"))
    return set(zip(agg.get_column("period").to_list(), agg.get_column(key).to_list(), strict=True))


def _first_values(rows: pl.DataFrame, key: str) -> dict[tuple[str, str], float | None]:
    if rows.height == 0:
        return {}
    agg = rows.group_by("period", key).agg(pl.col("value").drop_nulls().first())
    return {
        (p, k): finite(v)
        for p, k, v in zip(
            agg.get_column("period").to_list(),
            agg.get_column(key).to_list(),
            agg.get_column("value").to_list(),
            strict=True,
        )
    }


def _stat_points(out: pl.DataFrame, flags: dict[str, bool]) -> dict[str, GapPoint]:
    points: dict[str, GapPoint] = {}
    for r in out.iter_rows(named=True):
        gap = finite(r.get("gap"))
        points[r["period"]] = GapPoint(
            period=r["period"],
            period_index=period_index(r["period"]),
            subject_value=finite(r.get("subject_value")),
            comparator_value=finite(r.get("comparator_value")),
            gap=gap,
            lower=finite(r.get("gap_lowercl")),
            upper=finite(r.get("gap_uppercl")),
            significance=r.get("significance"),
            illustrative=flags.get(r["period"], False),
            interval_note=None if gap is not None else "no gap: a count is missing",
            se=finite(r.get("gap_se")),
        )
    return points


def _value_point(period: str, subject: float | None, comparator: float | None, illustrative: bool) -> GapPoint:
    gap = None if subject is None or comparator is None else subject - comparator
    return GapPoint(period, period_index(period), subject, comparator, gap, None, None, None, illustrative, NO_COUNT)


def _orient(point: GapPoint, direction: GapDirection) -> GapPoint:
    """Sign a subject-minus-comparator point as the indicator defines its gaps."""
    if direction is GapDirection.SUBJECT_MINUS_COMPARATOR:
        return point
    swap = {"higher": "lower", "lower": "higher"}
    return replace(
        point,
        gap=None if point.gap is None else -point.gap,
        lower=None if point.upper is None else -point.upper,
        upper=None if point.lower is None else -point.lower,
        significance=swap.get(point.significance or "", point.significance),
    )


def _direction_text(indicator: Indicator, subject_name: str, comparator_name: str) -> str:
    if indicator.gap_direction is GapDirection.COMPARATOR_MINUS_SUBJECT:
        return f"{comparator_name} minus {subject_name}"
    return f"{subject_name} minus {comparator_name}"


def _significant(point: GapPoint) -> bool:
    return point.lower is not None and point.upper is not None and (point.lower > 0 or point.upper < 0)


def gap_trend_result(points: Sequence[GapPoint], *, kind: str = "gap") -> TrendResult:
    """The trend verdict of a gap series, judged on the size of the gap.

    Tested on the latest :data:`GAP_TREND_POINTS` periods that have a gap and an interval (weighted
    least-squares slope, :func:`~gapwatch.stats.trends.gap_trend`, at the gap-trend level of
    :data:`~gapwatch.analysis.verdicts.LEVELS`). A gap that changed sign within those periods is "reversed"
    when the latest gap is significant the other way, else "closed"; a significant gap that narrowed to one
    whose interval includes zero is "closed".
    """
    level = LEVELS[TestKind.GAP_TREND]
    with_gap = [p for p in points if p.gap is not None and p.period_index is not None]
    usable = [p for p in with_gap if p.se is not None and p.se > 0]
    thing = "index" if kind == "sii" else "gap"
    if len(usable) < 3:
        why = (
            f"needs 3 periods with a {thing} and its interval; {len(usable)} of {len(with_gap)} have one"
            if with_gap
            else "no data for this comparison"
        )
        return TrendResult(
            GapVerdict.NOT_CALCULATED.value,
            TestKind.GAP_TREND,
            periods_total=len(with_gap),
            periods_used=len(usable),
            reason=why,
        )
    window = usable[-GAP_TREND_POINTS:]
    frame = pl.DataFrame(
        {"t": [p.period_index for p in window], "gap": [p.gap for p in window], "gap_se": [p.se for p in window]},
        schema={"t": pl.Float64, "gap": pl.Float64, "gap_se": pl.Float64},
    )
    row = gap_trend(frame, period_order_col="t", gap="gap", se="gap_se", points=None, confidence=level).row(
        0, named=True
    )
    verdict = str(row["gap_trend"])
    first, last = window[0], window[-1]
    if kind != "sii" and first.gap is not None and last.gap is not None:
        if first.gap * last.gap < 0:
            verdict = (GapVerdict.REVERSED if _significant(last) else GapVerdict.CLOSED).value
        elif _significant(first) and not _significant(last) and verdict == GapVerdict.NARROWING.value:
            verdict = GapVerdict.CLOSED.value
    return TrendResult(
        verdict,
        TestKind.GAP_TREND,
        method="weighted least-squares slope of the gap (weights 1/SE²), chi-squared on 1 df",
        level=level,
        p=finite(row["gap_trend_p"]),
        periods_used=len(window),
        periods_total=len(with_gap),
    )


def _series(
    kind: str,
    subject: str,
    subject_name: str,
    comparator: str,
    comparator_name: str,
    area: str | None,
    points: Iterable[GapPoint],
    notes: list[str],
    method: str | None,
    indicator: Indicator,
) -> GapSeries:
    ordered = sorted(points, key=lambda p: (p.period_index is None, p.period_index or 0.0))
    if kind != "sii":
        ordered = [_orient(p, indicator.gap_direction) for p in ordered]
    trend = gap_trend_result(ordered, kind=kind)
    missing = [p.period for p in ordered if p.gap is not None and p.interval_note == NO_COUNT]
    if missing and any(p.interval_note is None for p in ordered):
        notes.append(f"No interval for {', '.join(missing)}: no count published for those periods")
    elif missing:
        notes.append("No intervals: the data have values but no counts and denominators")
    return GapSeries(
        kind,
        subject,
        subject_name,
        comparator,
        comparator_name,
        area,
        tuple(ordered),
        trend.verdict,
        tuple(notes),
        method,
        indicator.unit if kind == "sii" else gap_unit(indicator),
        trend,
        "" if kind == "sii" else _direction_text(indicator, subject_name, comparator_name),
    )


def category_name(plan: Plan, type_id: str, category_id: str) -> str:
    """A category's name from the framework (its id when unknown)."""
    for ct in plan.framework.groups:
        if ct.id == type_id:
            for c in ct.categories:
                if c.id == category_id:
                    return c.name
    return category_id


def _compare(
    rows: pl.DataFrame, column: str, subject: str, comparator: str, measure: Measure, indicator: Indicator
) -> pl.DataFrame:
    """Subject against comparator per period, from the counts of ``rows`` (two groups, or two areas)."""
    return group_gap(
        rows,
        category_col=column,
        subject=subject,
        comparator=comparator,
        x="count",
        n="denominator",
        measure=measure,
        group_by="period",
        multiplier=indicator.multiplier,
        confidence=LEVELS[TestKind.GAP],
    )


def _method(out: pl.DataFrame) -> str | None:
    methods = out.get_column("method").drop_nulls().unique().to_list() if "method" in out.columns else []
    return "; ".join(sorted(str(m) for m in methods)) or None


def group_gap_series(
    df: pl.DataFrame, indicator: Indicator, plan: Plan, area: str, category_type: str, subject: str, comparator: str
) -> GapSeries:
    """A population group against its comparator in one area, every period (e.g. FSM vs not FSM)."""
    rows = df.filter(
        (pl.col("area") == area)
        & (pl.col("category_type") == category_type)
        & pl.col("category").is_in([subject, comparator])
    )
    names = (category_name(plan, category_type, subject), category_name(plan, category_type, comparator))
    measure = _stats_measure(indicator)
    flags = _illustrative_by_period(rows)
    counted = _counted_keys(rows, "category")
    periods = sorted(set(rows.get_column("period").to_list()))
    with_counts = [p for p in periods if (p, subject) in counted and (p, comparator) in counted]
    points: dict[str, GapPoint] = {}
    method = None
    if measure and with_counts:
        out = _compare(
            rows.filter(pl.col("period").is_in(with_counts)), "category", subject, comparator, measure, indicator
        )
        points.update(_stat_points(out, flags))
        method = _method(out)
    values = _first_values(rows, "category")
    for p in periods:
        if p not in points and ((p, subject) in values or (p, comparator) in values):
            point = _value_point(p, values.get((p, subject)), values.get((p, comparator)), flags.get(p, False))
            if point.gap is not None:
                points[p] = point
    notes: list[str] = [] if points or not rows.height else ["The two groups are never reported for the same period"]
    return _series("group", subject, names[0], comparator, names[1], area, points.values(), notes, method, indicator)


def rest_of(plan: Plan, grouping_or_parent: str) -> tuple[str | None, list[str], str]:
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

    Per period, the comparator is (in this order): a stored row for the comparator itself; the parent's own
    row minus the subject, when both have counts; the sum of the other members, when every member has a
    counted row; otherwise the period is incomplete and the missing members are named.
    """
    base = df.filter(pl.col("category_type").is_null())
    parent, members, comparator_name = rest_of(plan, comparator)
    others = [m for m in members if m != subject]
    subject_name = plan.areas.get(subject, subject)
    measure = _stats_measure(indicator)
    flags = _illustrative_by_period(base.filter(pl.col("area").is_in([subject, comparator, *members, parent or ""])))
    counted = _counted_keys(base, "area")
    values = _first_values(base, "area")
    present = set(zip(base.get_column("period").to_list(), base.get_column("area").to_list(), strict=True))
    periods = sorted({p for p, a in present if a == subject})
    direct, from_parent, from_members = [], [], []
    points: dict[str, GapPoint] = {}
    for p in periods:
        subject_ok = measure is not None and (p, subject) in counted
        if (p, comparator) in present:
            if subject_ok and (p, comparator) in counted:
                direct.append(p)
            else:
                points[p] = _value_point(p, values.get((p, subject)), values.get((p, comparator)), flags.get(p, False))
        elif subject_ok and parent is not None and (p, parent) in counted:
            from_parent.append(p)
        elif subject_ok and others and all((p, m) in counted for m in others):
            from_members.append(p)
        else:
            absent = [plan.areas.get(m, m) for m in others if (p, m) not in present]
            uncounted = [plan.areas.get(m, m) for m in others if (p, m) in present and (p, m) not in counted]
            if not others:
                why = f"no row for {comparator_name}"
            elif absent:
                why = f"{comparator_name} is incomplete: no data for {', '.join(absent)}"
            elif uncounted or not subject_ok:
                why = f"{comparator_name} cannot be formed: no count published"
            else:
                why = f"{comparator_name} cannot be formed"
            points[p] = GapPoint(
                p,
                period_index(p),
                values.get((p, subject)),
                None,
                None,
                None,
                None,
                None,
                flags.get(p, False),
                why,
                tuple(absent),
            )
    methods: list[str] = []
    assert measure is not None or not (direct or from_parent or from_members)
    if direct and measure:
        pair = base.filter(pl.col("period").is_in(direct) & pl.col("area").is_in([subject, comparator]))
        out = _compare(pair, "area", subject, comparator, measure, indicator)
        points.update(_stat_points(out, flags))
        methods.append(_method(out) or "")

    def rest(periods: list[str], areas: list[str], label: str, *, parent_area: str | None = None) -> None:
        """Gaps against a rest formed from the parent's row (``parent_area``) or from every other member."""
        if not periods or measure is None:
            return
        out = area_vs_rest(
            base.filter(pl.col("period").is_in(periods) & pl.col("area").is_in(areas)),
            area_col="area",
            subject_area=subject,
            parent_area=parent_area,
            members=None if parent_area else members,
            x="count",
            n="denominator",
            measure=measure,
            group_by="period",
            multiplier=indicator.multiplier,
            comparator_label=comparator_name,
            confidence=LEVELS[TestKind.GAP],
        )
        points.update(_stat_points(out, flags))
        methods.append(f"{label}; {_method(out) or ''}")

    if parent:
        rest(
            from_parent,
            [subject, parent],
            f"rest = {plan.areas.get(parent, parent)} minus {subject_name}",
            parent_area=parent,
        )
    rest(from_members, [subject, *others], f"rest = sum of the other {len(others)} areas")
    notes: list[str] = []
    incomplete = [p for p in points.values() if p.incomplete]
    if incomplete:
        notes.append(
            "Incomplete periods (no gap shown): "
            + "; ".join(f"{p.period}: no data for {', '.join(p.incomplete)}" for p in incomplete)
        )
    return _series(
        "area",
        subject,
        subject_name,
        comparator,
        comparator_name,
        None,
        points.values(),
        notes,
        " | ".join(m.strip("; ") for m in methods if m) or None,
        indicator,
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
    """The most deprived fifth against the rest in one area, every period (quintiles, or deciles 1-2).

    Periods where every quantile has counts get the gap from counts; others are named, since the rest
    cannot be summed from values alone.
    """
    rows = _ranked(df.filter((pl.col("area") == area) & (pl.col("category_type") == ct.id)), ct)
    n_cat = len(ct.categories)
    deprived = tuple(range(1, max(1, n_cat // 5) + 1))
    label = "most deprived fifth" if n_cat in (5, 10) else f"most deprived {len(deprived)} of {n_cat}"
    measure = _stats_measure(indicator)
    flags = _illustrative_by_period(rows)
    notes: list[str] = []
    points: dict[str, GapPoint] = {}
    method = None
    if rows.height:
        per_period = rows.group_by("period").agg(_COUNTED.all().alias("_ok"), pl.col("quantile").n_unique().alias("_q"))
        ok = per_period.filter(pl.col("_ok") & (pl.col("_q") == n_cat)).get_column("period").to_list()
        skipped = sorted(set(per_period.get_column("period").to_list()) - set(ok))
        if measure and ok:
            out = deprived_vs_rest(
                rows.filter(pl.col("period").is_in(ok)),
                quantile_col="quantile",
                x="count",
                n="denominator",
                deprived=deprived,
                measure=measure,
                group_by="period",
                multiplier=indicator.multiplier,
                subject_label=label,
                confidence=LEVELS[TestKind.GAP],
            )
            points.update(_stat_points(out, flags))
            method = _method(out)
        if skipped or not measure:
            shown = skipped if measure else sorted(per_period.get_column("period").to_list())
            notes.append(
                f"No gap for {', '.join(shown)}: every quantile needs a count and a denominator"
                " (the rest cannot be summed from values alone)"
            )
    return _series(
        "deprivation", "deprived", label, "rest", "the rest", area, points.values(), notes, method, indicator
    )


def sii_series(
    df: pl.DataFrame,
    indicator: Indicator,
    plan: Plan,
    area: str,
    ct: CategoryType,
    *,
    simulation: SiiSimulation = SII_SIMULATION,
) -> GapSeries:
    """The slope index of inequality across deprivation quantiles in one area, every period.

    Low & Low (2004); PHE SII guide; PHEindicatormethods ``phe_sii`` (simulated 95% limits with one
    setting, :data:`~gapwatch.analysis.verdicts.SII_SIMULATION`, so every page shows the same interval).
    Periods lacking a quantile or a population are skipped with the reason.
    """
    rows = _ranked(df.filter((pl.col("area") == area) & (pl.col("category_type") == ct.id)), ct)
    notes: list[str] = []
    points: list[GapPoint] = []
    value_type = {MeasureType.PROPORTION: 2, MeasureType.RATE: 1}.get(indicator.measure, 0)
    usable = rows.filter(pl.col("denominator").is_not_null() & pl.col("value").is_not_null())
    if rows.height == 0:
        notes.append("No data by deprivation quantile in this area")
    elif usable.height == 0:
        notes.append("SII needs the population of each quantile (denominator); the data have none")
    else:
        has_limits = usable.select(pl.col("lower").is_not_null().all() & pl.col("upper").is_not_null().all()).item()
        has_counts = usable.select(_COUNTED.all()).item() and value_type in (1, 2)
        if not (has_limits or has_counts):
            notes.append("SII needs confidence limits or counts for each quantile; the data have neither")
        else:
            scale = indicator.multiplier if value_type else 1.0
            prepared = usable.with_columns(
                (pl.col("value") / scale).alias("_v"),
                (pl.col("lower") / scale).alias("_lo"),
                (pl.col("upper") / scale).alias("_hi"),
            )
            out = None
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
                        repetitions=simulation.repetitions,
                        seed=simulation.seed,
                        confidence=LEVELS[TestKind.SII],
                    )
                except ValueError as exc:
                    notes.append(f"SII not calculated: {exc}")
            notes += [f"SII: {w.message}" for w in caught if "group(s) left without" not in str(w.message)]
            if out is not None:
                flags = _illustrative_by_period(usable)
                for r in out.iter_rows(named=True):
                    if r.get("sii_note"):
                        notes.append(f"{r['period']}: no SII ({r['sii_note']})")
                        continue
                    lo, hi = finite(r.get("sii_lowercl")), finite(r.get("sii_uppercl"))
                    points.append(
                        GapPoint(
                            r["period"],
                            period_index(r["period"]),
                            None,
                            None,
                            finite(r["sii"]),
                            lo,
                            hi,
                            None,
                            flags.get(r["period"], False),
                            se=None if lo is None or hi is None else (hi - lo) / (2 * _Z95),
                        )
                    )
    method = (
        f"Low & Low (2004) SII, {simulation.repetitions:,} simulations (seed {simulation.seed})" if points else None
    )
    return _series("sii", "sii", "Slope index of inequality", ct.id, ct.name, area, points, notes, method, indicator)


def default_comparator(plan: Plan, area: str) -> str | None:
    """What an area is compared with by default: the rest-of-parent grouping that excludes it, else its parent."""
    for g in plan.framework.area_groupings:
        if g.kind is GroupingKind.REST_OF_PARENT and area in g.excluding:
            return g.id
    for g in plan.framework.area_groupings:
        if g.kind is GroupingKind.EXPLICIT and g.id == area:
            return g.parent  # a local area without a rest-of grouping: against the area it sits in
    found = next((a for a in plan.framework.areas if a.id == area), None)
    return found.parent if found is not None else None


def series_key(series: GapSeries) -> tuple[str, str, str, str | None]:
    """Identifies a gap: two targets on the same gap, or a target's gap and the area's own, are one gap."""
    return (series.kind, series.subject, series.comparator, series.area)


def indicator_gaps(
    df: pl.DataFrame,
    indicator: Indicator,
    plan: Plan,
    area: str,
    *,
    extra: Iterable[GapSeries] = (),
    simulation: SiiSimulation = SII_SIMULATION,
) -> list[GapSeries]:
    """The one rule for which gaps an indicator shows in an area — on its page, the dashboard and the papers.

    In this order: each population group against its comparator (where both have data in the area); for a
    deprivation breakdown, the most deprived fifth against the rest and the slope index of inequality; the area
    against the rest of its parent (when the area has a parent and data); then ``extra`` series (e.g. those of
    gap-closing targets) not already shown. Series without any point are left out; each gap appears once.
    """
    here = df.filter(pl.col("area") == area)
    present = set(
        here.filter(pl.col("category_type").is_not_null()).select("category_type", "category").unique().iter_rows()
    )
    deprivation = {ct.id for ct in deprivation_category_types(plan)}
    out: list[GapSeries] = []
    for ct in plan.framework.groups:
        if not any(t == ct.id for t, _ in present):
            continue
        if ct.id in deprivation:
            out.append(deprivation_gap(df, indicator, plan, area, ct))
            out.append(sii_series(df, indicator, plan, area, ct, simulation=simulation))
            continue
        for cat in ct.categories:
            if cat.comparator and (ct.id, cat.id) in present and (ct.id, cat.comparator) in present:
                out.append(group_gap_series(df, indicator, plan, area, ct.id, cat.id, cat.comparator))
    comparator = default_comparator(plan, area)
    if comparator is not None and here.filter(pl.col("category_type").is_null()).height:
        out.append(area_gap(df, indicator, plan, area, comparator))
    out += list(extra)
    seen: set[tuple[str, str, str, str | None]] = set()
    unique: list[GapSeries] = []
    for s in out:
        shown = any(p.gap is not None for p in s.points) if s.kind == "area" else bool(s.points)
        if shown and series_key(s) not in seen:
            seen.add(series_key(s))
            unique.append(s)
    return unique
