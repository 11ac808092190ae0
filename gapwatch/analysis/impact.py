"""The impact of an initiative: its areas against comparison areas, before and after it started.

One place decides what an initiative did to an indicator, from an observation frame (one row per area and
period with ``count`` and ``denominator``):

* **before / after** — counts summed over the initiative's areas and over the comparison areas, in the periods
  ending before the start and in those ending on or after it (a period that straddles the start counts as
  after, which dilutes an effect rather than inventing one);
* **difference-in-differences** with a 95% delta-method interval from binomial (proportions) or Poisson
  (rates) variances (:func:`gapwatch.stats.impact.difference_in_differences`);
* **parallel trends** on the pre-period: the difference between the two groups' slopes
  (:func:`gapwatch.stats.impact.slope_difference`); fewer than three pre-periods is "not tested", said so,
  never guessed; a significant difference makes the difference-in-differences *not credible*;
* **relative chance** — the risk (or rate) ratio of the initiative's areas to the comparison areas after the
  start, with Katz's log interval or the Poisson ratio interval (:func:`gapwatch.stats.gaps.gap_statistics`):
  "a 29% higher chance" is a ratio of 1.29;
* **interrupted time series** of the initiative's areas — the change in level and in slope at the start
  (:func:`gapwatch.stats.impact.segmented_regression`), given three periods each side;
* **matched comparison areas** (:func:`match_comparison`): nearest neighbours on deprivation and baseline level,
  with the balance of each covariate stated (group means and standardised mean difference).

The verdict judges the difference-in-differences at :data:`LEVEL` with the indicator's polarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

import numpy as np
import polars as pl

from gapwatch.analysis.verdicts import describe_level
from gapwatch.domain.indicators import Polarity
from gapwatch.errors import InsufficientData, InvalidInput, Problem
from gapwatch.stats.gaps import gap_statistics
from gapwatch.stats.impact import (
    difference_in_differences,
    nearest_neighbours,
    segmented_regression,
    slope_difference,
    standardised_mean_difference,
)

__all__ = [
    "LEVEL",
    "MIN_PRE_PERIODS",
    "Balance",
    "Estimate",
    "GroupSummary",
    "ImpactResult",
    "ImpactVerdict",
    "InterruptedTimeSeries",
    "Matching",
    "PreTrends",
    "RelativeChance",
    "TrendCheck",
    "baseline_levels",
    "initiative_impact",
    "match_comparison",
]

#: The confidence level of every impact interval and test.
LEVEL = 0.95
#: Fewest pre-periods to test parallel trends (two points always lie on a line).
MIN_PRE_PERIODS = 3
#: Fewest periods each side of the start for an interrupted time series.
MIN_ITS_PERIODS = 3


class ImpactVerdict(StrEnum):
    """What the difference-in-differences says the initiative did."""

    IMPROVED = "improved"
    WORSENED = "worsened"
    SIGNIFICANT_CHANGE = "significant change"  #: the indicator has no polarity to judge it
    NO_SIGNIFICANT_EFFECT = "no significant effect"
    NOT_CREDIBLE = "not credible"  #: the pre-period trends differ, so the comparison does not hold
    NOT_CALCULATED = "could not be calculated"


class TrendCheck(StrEnum):
    """The parallel-trends check on the pre-period."""

    PARALLEL = "parallel"  #: no significant difference in pre-period slopes
    DIVERGING = "diverging"  #: the slopes differ significantly: the comparison is not like for like
    NOT_TESTED = "not tested"


@dataclass(frozen=True)
class Estimate:
    """An estimate with its interval, standard error, p-value, level and method."""

    value: float
    lower: float
    upper: float
    se: float | None
    p: float | None
    level: float
    method: str

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero."""
        return bool(self.lower > 0 or self.upper < 0)


@dataclass(frozen=True)
class GroupSummary:
    """One side of the comparison: its areas, pooled counts and values before and after the start."""

    name: str
    areas: list[str]
    before: float | None
    after: float | None
    count_before: float
    denominator_before: float
    count_after: float
    denominator_after: float
    periods_before: list[str]
    periods_after: list[str]


@dataclass(frozen=True)
class PreTrends:
    """The parallel-trends check: difference of pre-period slopes (per year), or why it was not tested."""

    check: TrendCheck
    slope_difference: Estimate | None
    periods: int
    reason: str | None = None


@dataclass(frozen=True)
class RelativeChance:
    """The ratio of the initiative's areas to the comparison areas in one window (a risk or rate ratio)."""

    window: str
    ratio: float
    lower: float
    upper: float
    level: float
    method: str

    @property
    def percent_different(self) -> float:
        """The ratio as "x% higher (lower) chance": (ratio - 1) x 100."""
        return (self.ratio - 1) * 100


@dataclass(frozen=True)
class InterruptedTimeSeries:
    """Segmented regression of the initiative's areas: step and slope change at the start, or why none."""

    level_change: Estimate | None
    slope_change: Estimate | None
    pre_slope: float | None
    before: int
    after: int
    reason: str | None = None


@dataclass(frozen=True)
class Balance:
    """How alike the two groups are on one covariate: group means and standardised mean difference."""

    covariate: str
    treated_mean: float | None
    comparison_mean: float | None
    smd: float | None

    @property
    def balanced(self) -> bool | None:
        """|SMD| < 0.25 (the usual mark of acceptable balance), None when it cannot be computed."""
        return None if self.smd is None else abs(self.smd) < 0.25


@dataclass(frozen=True)
class Matching:
    """Comparison areas chosen by nearest-neighbour matching, with the balance achieved."""

    method: str
    requested: int
    chosen: list[str]
    covariates: list[str]
    balance: list[Balance]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImpactResult:
    """The impact of an initiative on one indicator, with every piece of the judgement and its method."""

    initiative: str
    indicator: str
    measure: str
    multiplier: float
    polarity: str
    start: date
    treated: GroupSummary
    comparison: GroupSummary
    did: Estimate | None
    pre_trends: PreTrends
    relative_chance: RelativeChance | None
    relative_chance_before: RelativeChance | None
    its: InterruptedTimeSeries
    verdict: ImpactVerdict
    closes_gap: bool | None
    level: float = LEVEL
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    matching: Matching | None = None

    @property
    def verdict_text(self) -> str:
        """The verdict in words with its level and interval, or why there is none."""
        if self.reason:
            return f"{self.verdict.value}: {self.reason}"
        text = f"{self.verdict.value} at the {describe_level(self.level)} level"
        if self.did is not None:
            text += (
                f" (difference in differences {self.did.value:+.3g}, {describe_level(self.level)} interval "
                f"{self.did.lower:+.3g} to {self.did.upper:+.3g})"
            )
        if self.verdict is ImpactVerdict.NOT_CREDIBLE and self.pre_trends.reason:
            text += f"; {self.pre_trends.reason}"
        return text


# --- inputs -------------------------------------------------------------------------------------------------


def _prepare(frame: pl.DataFrame, start: date) -> pl.DataFrame:
    need = {"area", "period", "count", "denominator", "period_end"}
    missing = sorted(need - set(frame.columns))
    if missing:
        raise InvalidInput(f"the observation frame lacks columns {', '.join(missing)}")
    out = frame.filter(
        pl.col("count").is_not_null()
        & pl.col("denominator").is_not_null()
        & (pl.col("denominator") > 0)
        & pl.col("period_end").is_not_null()
    )
    if "period_index" not in out.columns:
        out = out.with_columns(
            (pl.col("period_end").dt.year() + pl.col("period_end").dt.ordinal_day() / 365.25).alias("period_index")
        )
    return out.with_columns((pl.col("period_end") >= start).alias("after"))


def _year(d: date) -> float:
    return d.year + d.timetuple().tm_yday / 365.25


def _complete(rows: pl.DataFrame, areas: list[str], group: str) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Per-period sums for one group, keeping only periods in which every area of the group with data has a count.

    Returns the per-period frame, the areas used and notes (areas without data, periods dropped).
    """
    mine = rows.filter(pl.col("area").is_in(areas))
    present = sorted(set(mine.get_column("area").to_list()))
    notes: list[str] = []
    absent = [a for a in areas if a not in present]
    if absent:
        notes.append(f"{group}: no counts for {', '.join(absent)} (left out)")
    per = (
        mine.group_by("period", "period_end", "period_index", "after")
        .agg(pl.col("count").sum(), pl.col("denominator").sum(), pl.col("area").n_unique().alias("areas"))
        .sort("period_end")
    )
    partial = per.filter(pl.col("areas") < len(present))
    if partial.height:
        notes.append(
            f"{group}: periods without every area left out ({', '.join(partial.get_column('period').to_list())})"
        )
    return per.filter(pl.col("areas") == len(present)), present, notes


def _summary(name: str, per: pl.DataFrame, areas: list[str], multiplier: float) -> GroupSummary:
    def pooled(after: bool) -> tuple[float, float, list[str]]:
        part = per.filter(pl.col("after") == after)
        return (
            float(part.get_column("count").sum()),
            float(part.get_column("denominator").sum()),
            part.get_column("period").to_list(),
        )

    xb, nb, pb = pooled(False)
    xa, na, pa = pooled(True)
    return GroupSummary(
        name=name,
        areas=areas,
        before=xb / nb * multiplier if nb > 0 else None,
        after=xa / na * multiplier if na > 0 else None,
        count_before=xb,
        denominator_before=nb,
        count_after=xa,
        denominator_after=na,
        periods_before=pb,
        periods_after=pa,
    )


def _variances(per: pl.DataFrame, measure: str, multiplier: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = per.get_column("count").to_numpy().astype(np.float64)
    n = per.get_column("denominator").to_numpy().astype(np.float64)
    p = x / n
    var = p * (1 - p) / n if measure == "proportion" else x / n**2
    t = per.get_column("period_index").to_numpy().astype(np.float64)
    return t, p * multiplier, var * multiplier**2


# --- the judgement -------------------------------------------------------------------------------------------


def _pre_trends(
    treated: pl.DataFrame, comparison: pl.DataFrame, measure: str, multiplier: float, where: str
) -> PreTrends:
    pre = treated.filter(~pl.col("after")).join(
        comparison.filter(~pl.col("after")), on=["period", "period_end", "period_index"], suffix="_c"
    )
    k = pre.height
    if k < MIN_PRE_PERIODS:
        return PreTrends(
            TrendCheck.NOT_TESTED,
            None,
            k,
            f"{where}: only {k} period{'s' if k != 1 else ''} before the start with data for both groups; "
            f"at least {MIN_PRE_PERIODS} are needed to test whether the pre-period trends are parallel",
        )
    t, yt, vt = _variances(pre, measure, multiplier)
    _, yc, vc = _variances(
        pre.select("period_index", pl.col("count_c").alias("count"), pl.col("denominator_c").alias("denominator")),
        measure,
        multiplier,
    )
    fit = slope_difference(t, yt, vt, yc, vc, level=LEVEL, minimum=MIN_PRE_PERIODS)
    method = "weighted least squares slope of the difference between the groups (per year)"
    if fit["dispersion"] > 1:
        method += f", SE scaled by dispersion {fit['dispersion']:.3g}"
    est = Estimate(fit["slope"], fit["lower"], fit["upper"], fit["se"], fit["p_value"], LEVEL, method)
    if est.significant:
        reason = (
            f"the pre-period slopes differ by {est.value:+.3g} a year ({describe_level(LEVEL)} interval "
            f"{est.lower:+.3g} to {est.upper:+.3g}, p = {est.p:.2g}): the groups were not on parallel trends"
        )
        return PreTrends(TrendCheck.DIVERGING, est, k, reason)
    return PreTrends(TrendCheck.PARALLEL, est, k)


def _its(treated: pl.DataFrame, start: date, measure: str, multiplier: float) -> InterruptedTimeSeries:
    t, y, v = _variances(treated, measure, multiplier)
    fit = segmented_regression(t, y, v, _year(start), level=LEVEL, minimum_each_side=MIN_ITS_PERIODS)
    before, after = int(fit["before"]), int(fit["after"])
    if not np.isfinite(fit["level_change"]):
        return InterruptedTimeSeries(
            None,
            None,
            None,
            before,
            after,
            f"an interrupted time series needs {MIN_ITS_PERIODS} periods each side of the start "
            f"({before} before, {after} after)",
        )
    method = "segmented regression (weighted least squares)"
    if fit["dispersion"] > 1:
        method += f", SE scaled by dispersion {fit['dispersion']:.3g}"

    def est(name: str) -> Estimate:
        return Estimate(
            fit[name], fit[f"{name}_lower"], fit[f"{name}_upper"], fit[f"{name}_se"], fit[f"{name}_p"], LEVEL, method
        )

    return InterruptedTimeSeries(est("level_change"), est("slope_change"), fit["pre_slope"], before, after)


def _ratio(summary_t: GroupSummary, summary_c: GroupSummary, after: bool, measure: str) -> RelativeChance | None:
    if after:
        x1, n1, x2, n2 = (
            summary_t.count_after,
            summary_t.denominator_after,
            summary_c.count_after,
            summary_c.denominator_after,
        )
    else:
        x1, n1, x2, n2 = (
            summary_t.count_before,
            summary_t.denominator_before,
            summary_c.count_before,
            summary_c.denominator_before,
        )
    if min(n1, n2) <= 0:
        return None
    kind: Literal["proportion", "rate"] = "proportion" if measure == "proportion" else "rate"
    out = gap_statistics([x1], [n1], [x2], [n2], measure=kind, level=LEVEL)
    ratio, lower, upper = (float(out[k][0]) for k in ("ratio", "ratio_lower", "ratio_upper"))
    if not np.isfinite(ratio):
        return None
    method = "risk ratio, Katz log interval" if kind == "proportion" else "rate ratio, log-normal or exact interval"
    return RelativeChance("after" if after else "before", ratio, lower, upper, LEVEL, method)


def initiative_impact(
    frame: pl.DataFrame,
    *,
    treated: Sequence[str],
    comparison: Sequence[str],
    start: date,
    measure: str = "proportion",
    multiplier: float = 100.0,
    polarity: Polarity | str = Polarity.HIGHER_IS_BETTER,
    initiative: str = "",
    indicator: str = "",
    matching: Matching | None = None,
) -> ImpactResult:
    """Judge an initiative's impact on one indicator: its areas (``treated``) against ``comparison`` areas.

    ``frame`` holds one row per area and period with ``area``, ``period``, ``period_end`` (a date), ``count``
    and ``denominator`` (``period_index``, a decimal year, is derived when absent). ``measure`` is
    ``"proportion"`` or ``"rate"``; values are shown on the ``multiplier`` scale. Raises
    :class:`~gapwatch.errors.InvalidInput` when the comparison areas overlap the initiative's, or the measure
    has no counts to test, and :class:`~gapwatch.errors.InsufficientData` when either group has no data;
    everything else that cannot be computed is a result with its reason.
    """
    where = f"initiative '{initiative}' ('start' {start})" if initiative else f"start {start}"
    if measure not in ("proportion", "rate"):
        raise InvalidInput(
            f"the impact of {where} on '{indicator}' needs a proportion or a rate with counts, not a {measure}",
            problems=[Problem(f"indicator '{indicator}' is a {measure}", field="indicator")],
        )
    overlap = sorted(set(treated) & set(comparison))
    if overlap:
        raise InvalidInput(
            f"the comparison areas of initiative '{initiative}' overlap its target areas: {', '.join(overlap)}",
            problems=[
                Problem(f"{a} is both a target and a comparison area", field="comparison_areas") for a in overlap
            ],
        )
    if not comparison:
        raise InvalidInput(
            f"initiative '{initiative}' has no comparison areas",
            problems=[Problem("no comparison areas", field="comparison_areas")],
            hint="Give comparison areas (--comparison AREA) or ask for matched ones (--matched N).",
        )
    rows = _prepare(frame, start)
    per_t, areas_t, notes_t = _complete(rows, list(treated), "initiative areas")
    per_c, areas_c, notes_c = _complete(rows, list(comparison), "comparison areas")
    notes = notes_t + notes_c
    if not areas_t or per_t.height == 0:
        raise InsufficientData(f"no counts for the target areas of initiative '{initiative}' on '{indicator}'")
    if not areas_c or per_c.height == 0:
        raise InsufficientData(f"no counts for the comparison areas of initiative '{initiative}' on '{indicator}'")
    # Only periods both groups have: a difference needs like for like.
    shared = set(per_t.get_column("period").to_list()) & set(per_c.get_column("period").to_list())
    per_t = per_t.filter(pl.col("period").is_in(sorted(shared)))
    per_c = per_c.filter(pl.col("period").is_in(sorted(shared)))
    st = _summary("initiative areas", per_t, areas_t, multiplier)
    sc = _summary("comparison areas", per_c, areas_c, multiplier)
    pre = _pre_trends(per_t, per_c, measure, multiplier, where)
    its = _its(per_t, start, measure, multiplier)
    rr_after = _ratio(st, sc, True, measure)
    rr_before = _ratio(st, sc, False, measure)
    common = dict(
        initiative=initiative,
        indicator=indicator,
        measure=measure,
        multiplier=multiplier,
        polarity=str(Polarity(polarity).value),
        start=start,
        treated=st,
        comparison=sc,
        pre_trends=pre,
        relative_chance=rr_after,
        relative_chance_before=rr_before,
        its=its,
        notes=notes,
        matching=matching,
    )
    if not st.periods_before or not st.periods_after:
        which = "before" if not st.periods_before else "on or after"
        return ImpactResult(
            did=None,
            verdict=ImpactVerdict.NOT_CALCULATED,
            closes_gap=None,
            reason=f"{where}: no period with data for both groups ends {which} the start",
            **common,  # type: ignore[arg-type]
        )
    d = difference_in_differences(
        [st.count_before],
        [st.denominator_before],
        [st.count_after],
        [st.denominator_after],
        [sc.count_before],
        [sc.denominator_before],
        [sc.count_after],
        [sc.denominator_after],
        measure="proportion" if measure == "proportion" else "rate",
        level=LEVEL,
        multiplier=multiplier,
    )
    method = (
        "difference in differences of pooled "
        + ("proportions (binomial variances)" if measure == "proportion" else "rates (Poisson variances)")
        + ", delta-method interval"
    )
    did = Estimate(
        float(d["did"][0]),
        float(d["did_lower"][0]),
        float(d["did_upper"][0]),
        float(d["did_se"][0]),
        float(d["p_value"][0]),
        LEVEL,
        method,
    )
    pol = Polarity(polarity)
    sign = {Polarity.HIGHER_IS_BETTER: 1.0, Polarity.LOWER_IS_BETTER: -1.0}.get(pol, 0.0)
    if pre.check is TrendCheck.DIVERGING:
        verdict = ImpactVerdict.NOT_CREDIBLE
    elif not did.significant:
        verdict = ImpactVerdict.NO_SIGNIFICANT_EFFECT
    elif sign == 0:
        verdict = ImpactVerdict.SIGNIFICANT_CHANGE
    else:
        verdict = ImpactVerdict.IMPROVED if did.value * sign > 0 else ImpactVerdict.WORSENED
    closes_gap: bool | None = None
    if st.before is not None and sc.before is not None and sign != 0:
        worse_before = (st.before - sc.before) * sign < 0
        closes_gap = bool(worse_before and verdict is ImpactVerdict.IMPROVED)
    if pre.check is TrendCheck.NOT_TESTED and pre.reason:
        notes = [*notes, pre.reason]
        common["notes"] = notes
    return ImpactResult(did=did, verdict=verdict, closes_gap=closes_gap, **common)  # type: ignore[arg-type]


# --- matched comparison areas ---------------------------------------------------------------------------------


def baseline_levels(frame: pl.DataFrame, start: date, multiplier: float = 100.0) -> pl.DataFrame:
    """Each area's pooled value over the periods ending before ``start`` (its baseline), as ``area``, ``baseline``."""
    rows = _prepare(frame, start).filter(~pl.col("after"))
    return (
        rows.group_by("area")
        .agg((pl.col("count").sum() / pl.col("denominator").sum() * multiplier).alias("baseline"))
        .sort("area")
    )


def match_comparison(
    covariates: pl.DataFrame,
    *,
    treated: Sequence[str],
    candidates: Sequence[str],
    n: int,
    columns: Sequence[str] = ("deprivation", "baseline"),
) -> Matching:
    """Choose ``n`` comparison areas from ``candidates`` nearest to the ``treated`` areas on ``columns``.

    ``covariates`` has one row per area (``area`` plus the covariate columns). A covariate no treated area has
    is left out of the matching and a note says so; candidates missing a used covariate are not chosen. The
    balance of each covariate (group means, standardised mean difference) is stated for the chosen set, so a
    reader can see whether the comparison is like for like.
    """
    if n < 1:
        raise InvalidInput("--matched must be at least 1", problems=[Problem(f"got {n}", field="matched")])
    overlap = sorted(set(treated) & set(candidates))
    candidates = [c for c in candidates if c not in set(overlap)]
    notes: list[str] = []
    tr = covariates.filter(pl.col("area").is_in(list(treated)))
    ca = covariates.filter(pl.col("area").is_in(list(candidates)))
    used: list[str] = []
    for col in columns:
        if col not in covariates.columns or tr.get_column(col).drop_nulls().len() == 0:
            notes.append(f"not matched on {col}: no value for the initiative's areas")
            continue
        used.append(col)
    if not used:
        raise InsufficientData(
            "cannot match comparison areas: the initiative's areas have no deprivation or baseline value",
            hint="Load deprivation (`gapwatch data imd load`) or data for the periods before the start.",
        )
    tr_x = tr.select(used).to_numpy().astype(np.float64)
    ca_x = ca.select(used).to_numpy().astype(np.float64)
    picked = nearest_neighbours(tr_x, ca_x, n)
    chosen = [ca.get_column("area")[int(i)] for i in picked]
    if len(chosen) < n:
        notes.append(f"only {len(chosen)} comparison areas could be matched (asked for {n})")
    ch = covariates.filter(pl.col("area").is_in(chosen))
    balance = []
    for col in columns:
        if col not in covariates.columns:
            continue
        a = tr.get_column(col).drop_nulls().to_numpy().astype(np.float64)
        b = ch.get_column(col).drop_nulls().to_numpy().astype(np.float64)
        smd = standardised_mean_difference(a, b)
        balance.append(
            Balance(
                col,
                float(a.mean()) if a.size else None,
                float(b.mean()) if b.size else None,
                smd if np.isfinite(smd) else None,
            )
        )
    method = (
        f"nearest-neighbour matching on {', '.join(used)} (standardised, Euclidean), "
        "without replacement, each initiative area choosing in turn"
    )
    return Matching(method, n, chosen, used, balance, notes)
