"""Statistical process control: XmR charts as NHS England's "Making Data Count" reads them.

An XmR (individuals and moving range) chart asks whether a series varies only by chance ("common cause")
or shows a signal ("special cause"). Method, as Making Data Count (NHS England / NHS Improvement 2019)
and its R implementation NHSRplotthedots describe it, after Wheeler (1995):

* centre line: the mean of the baseline points; moving range mRᵢ = |xᵢ − xᵢ₋₁|; process limits
  centre ± 2.66 × mean mR (2.66 = 3 / 1.128, the d₂ constant for ranges of two); the upper limit of the
  moving-range chart is 3.267 × mean mR. Optionally (``screen_moving_ranges``) moving ranges at or above
  3.267 × mean mR are left out and the mean mR is recalculated once, so that one jump does not widen the
  limits; off by default, as in Making Data Count's Excel tool.
* special-cause rules, each reported at the point where it is met, reading the chart from left to right:
  a point beyond a process limit; a run of ``run_length`` (7) points on one side of the centre line; a
  trend of ``trend_length`` (7) points each higher (or lower) than the one before; two of three points
  beyond two sigma (2/3 of the way to a limit, or further) on the same side.
* variation icon: common cause, or special cause improving / concerning (high or low) by the indicator's
  polarity, or high / low where neither direction is better. Assurance icon, with a target: a target
  between the process limits is "hit and miss"; beyond them, the process consistently passes or fails it.
* baselines: limits from the first N points of each segment, or from a period range; limits are rebased
  only at break points the user gives, never automatically.

Conventions, as NHSRplotthedots: a point exactly on the centre line breaks a run, and two equal values in
a row break a trend. Missing values are left out of the chart (their rows are kept, without signals); the
moving range then joins the points either side of the gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from gapwatch.stats._validate import (
    FrameT,
    check_numeric,
    collect,
    offending_rows,
    require_columns,
    restore,
    validate_group_by,
)
from gapwatch.stats.trends import polarity_sign

__all__ = [
    "COMMON_CAUSE",
    "CONCERNING_HIGH",
    "CONCERNING_LOW",
    "CONSISTENTLY_FAILING",
    "CONSISTENTLY_PASSING",
    "DEFAULT_RUN_LENGTH",
    "DEFAULT_TREND_LENGTH",
    "HIGH",
    "HIT_AND_MISS",
    "IMPROVING_HIGH",
    "IMPROVING_LOW",
    "LIMIT_FACTOR",
    "LOW",
    "MR_LIMIT_FACTOR",
    "NEITHER_HIGH",
    "NEITHER_LOW",
    "SPC_COLUMNS",
    "SUMMARY_COLUMNS",
    "spc_summary",
    "xmr_chart",
]

#: Process limits are the centre ± 2.66 × the mean moving range (3 / d₂, d₂ = 1.128 for n = 2).
LIMIT_FACTOR = 2.66
#: Upper range limit of the moving-range chart (D₄ = 3.267 for n = 2); also the screening threshold.
MR_LIMIT_FACTOR = 3.267
DEFAULT_RUN_LENGTH = 7
DEFAULT_TREND_LENGTH = 7

HIGH = "high"
LOW = "low"
COMMON_CAUSE = "common cause"
IMPROVING_HIGH = "special cause improving high"
IMPROVING_LOW = "special cause improving low"
CONCERNING_HIGH = "special cause concerning high"
CONCERNING_LOW = "special cause concerning low"
NEITHER_HIGH = "special cause high"
NEITHER_LOW = "special cause low"
HIT_AND_MISS = "hit and miss"
CONSISTENTLY_PASSING = "consistently passing"
CONSISTENTLY_FAILING = "consistently failing"

#: Columns :func:`xmr_chart` adds, in order.
SPC_COLUMNS: tuple[str, ...] = (
    "spc_segment",
    "spc_baseline",
    "moving_range",
    "mean_moving_range",
    "moving_range_limit",
    "centre",
    "lower_limit",
    "upper_limit",
    "lower_two_sigma",
    "upper_two_sigma",
    "rule_beyond_limits",
    "rule_two_of_three",
    "rule_run",
    "rule_trend",
    "special_cause",
    "variation",
    "assurance",
    "method",
)

#: Columns of :func:`spc_summary` after the group columns.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "points",
    "segments",
    "baseline_points",
    "latest_period",
    "latest_value",
    "centre",
    "lower_limit",
    "upper_limit",
    "special_cause_points",
    "variation",
    "assurance",
    "target",
    "method",
)

#: Polarity words meaning that neither direction is better (no improving/concerning, no assurance).
_NEUTRAL = ("no_judgement", "no judgement", "neither", "neutral", "none", "not applicable", "n/a", "")

_ROW, _SEG, _IDX, _BASE, _BMR, _SIGN, _TARGET = (
    "__spc_row",
    "__spc_seg",
    "__spc_idx",
    "__spc_base",
    "__spc_bmr",
    "__spc_sign",
    "__spc_target",
)


# --- checks -----------------------------------------------------------------------------------------


def _check_settings(
    run_length: int, trend_length: int, baseline: int | None, baseline_period: tuple[Any, Any] | None
) -> None:
    if run_length < 2:
        raise ValueError(f"run_length: a run needs at least 2 points, got {run_length}")
    if trend_length < 3:
        raise ValueError(f"trend_length: a trend needs at least 3 points, got {trend_length}")
    if baseline is not None and baseline < 2:
        raise ValueError(f"baseline: limits need at least 2 baseline points (one moving range), got {baseline}")
    if baseline is not None and baseline_period is not None:
        raise ValueError("baseline: give the number of baseline points or a baseline period, not both")
    if baseline_period is not None:
        start, end = baseline_period
        if start is None or end is None or start > end:
            raise ValueError(f"baseline_period: need a start and an end with start <= end, got {baseline_period!r}")


def _check_rows(data: pl.DataFrame, value: str, period: str, keys: list[str]) -> None:
    """Infinite values, missing periods and a period given twice in a series are refused."""
    infinite = data.select(pl.col(value).cast(pl.Float64).is_infinite().fill_null(False)).to_series()
    if infinite.any():
        raise ValueError(f"column '{value}': infinite values in rows {offending_rows(infinite)}")
    missing = data.get_column(period).is_null()
    if missing.any():
        raise ValueError(f"column '{period}': missing periods in rows {offending_rows(missing)}")
    repeated = data.select(pl.struct([*keys, period]).is_duplicated()).to_series()
    if repeated.any():
        within = f" within a series ({', '.join(keys)})" if keys else ""
        several = "" if keys else " (several series in one table need group_by, the columns naming each series)"
        raise ValueError(
            f"column '{period}': each period may appear once{within}; repeated in rows {offending_rows(repeated)}"
            + several
        )


def _polarity(data: pl.DataFrame, polarity: str | None, keys: list[str]) -> pl.Expr:
    """+1 (high is good), -1 (low is good) or null (no judgement), from a wording or a column."""
    if polarity is None:
        return pl.lit(None, dtype=pl.Int8)
    if polarity not in data.columns:
        sign = data.select(polarity_sign(pl.lit(polarity))).item()
        if sign is None and polarity.strip().lower() not in _NEUTRAL:
            raise ValueError(
                f"polarity: {polarity!r} is neither a column nor a polarity ('high is good', 'low is good', "
                "'no judgement')"
            )
        return pl.lit(sign, dtype=pl.Int8)
    text = pl.col(polarity).cast(pl.String)
    unknown = data.select(
        polarity_sign(text).is_null() & text.is_not_null() & ~text.str.strip_chars().str.to_lowercase().is_in(_NEUTRAL)
    ).to_series()
    if unknown.any():
        raise ValueError(f"column '{polarity}': unknown polarity in rows {offending_rows(unknown)}")
    if keys:
        varying = data.select(polarity_sign(text).n_unique().over(keys) > 1).to_series()
        if varying.any():
            raise ValueError(f"column '{polarity}': polarity varies within a series in rows {offending_rows(varying)}")
    elif data.select(polarity_sign(text).n_unique()).item() > 1:
        raise ValueError(f"column '{polarity}': polarity varies within the series and no group_by is given")
    return polarity_sign(text)


def _segments(period: str, keys: list[str], rebase: Sequence[Any] | None, rebase_col: str | None) -> pl.Expr:
    """1, 2, … within each series: a new segment starts at each break point (data sorted by period)."""
    count: pl.Expr = pl.lit(0, dtype=pl.Int32)
    if rebase:
        count = pl.sum_horizontal([(pl.col(period) >= b).cast(pl.Int32) for b in rebase])
    if rebase_col is not None:
        marks = _break_text(rebase_col).is_in(_TRUE).fill_null(False).cast(pl.Int32).cum_sum()
        count = count + (marks.over(keys) if keys else marks)
    dense = count.rank("dense")
    return (dense.over(keys) if keys else dense).cast(pl.Int32)


_TRUE = ("true", "1", "1.0", "yes")
_FALSE = ("false", "0", "0.0", "no", "")


def _break_text(rebase_col: str) -> pl.Expr:
    return pl.col(rebase_col).cast(pl.String).str.strip_chars().str.to_lowercase()


def _check_rebase_col(data: pl.DataFrame, rebase_col: str | None) -> None:
    """Break points are marked true/false, 1/0 or yes/no (blank counts as no break)."""
    if rebase_col is None:
        return
    bad = data.select(pl.col(rebase_col).is_not_null() & ~_break_text(rebase_col).is_in([*_TRUE, *_FALSE])).to_series()
    if bad.any():
        raise ValueError(
            f"column '{rebase_col}': break points must be true/false, 1/0 or yes/no (rows {offending_rows(bad)})"
        )


# --- the chart --------------------------------------------------------------------------------------


def _method(screen: bool, run_length: int, trend_length: int) -> str:
    screened = f"; moving ranges >= {MR_LIMIT_FACTOR} x mean screened out" if screen else ""
    return (
        f"XmR: mean ± {LIMIT_FACTOR} x mean moving range{screened}; rules: beyond a limit, 2 of 3 beyond 2 sigma, "
        f"run of {run_length}, trend of {trend_length} (Making Data Count)"
    )


def xmr_chart(
    df: FrameT,
    value: str,
    period: str,
    *,
    group_by: Sequence[str] | str | None = None,
    baseline: int | None = None,
    baseline_period: tuple[Any, Any] | None = None,
    rebase: Sequence[Any] | None = None,
    rebase_col: str | None = None,
    polarity: str | None = None,
    target: str | float | None = None,
    run_length: int = DEFAULT_RUN_LENGTH,
    trend_length: int = DEFAULT_TREND_LENGTH,
    screen_moving_ranges: bool = False,
) -> FrameT:
    """An XmR chart for each series: centre, process limits, special-cause rules, variation and assurance.

    Why: a board reading a monthly or quarterly series needs to know whether the latest change is a signal
    or the usual wobble, and whether a target will be met by the process as it runs. Method: see the module
    docstring; NHS England, *Making Data Count* (2019) and *Making Data Count: Strengthening your
    decisions* (2021); Wheeler (1995); NHSRplotthedots.

    Each series (``group_by``) is sorted by ``period`` (numbers, dates, or labels that sort in time order;
    each period once per series). Limits are computed for each segment: the whole series, or the stretches
    between user-given break points — ``rebase`` (periods at which a new segment starts, for every series)
    and/or ``rebase_col`` (a true/false column marking the first point of a new segment). Within a segment
    the limits come from its first ``baseline`` points, or from the points within ``baseline_period``
    (inclusive; segments without a point in that range use all their points), or from all its points.

    ``polarity`` is a wording ("high is good", "low is good", "no judgement") or a column holding it per
    series; ``target`` a number or a column. ``run_length`` and ``trend_length`` (default 7, as Making Data
    Count; some use 6 or 8) set the rules; ``screen_moving_ranges`` leaves out moving ranges at or above
    3.267 × the mean moving range before the limits are set.

    Returns the rows sorted by series and period with the columns of :data:`SPC_COLUMNS`: the segment and
    whether the point is in its baseline; the moving range, its mean and its upper limit; the centre, the
    process limits and the two-sigma lines; each rule at the point where it is met ("high", "low" or null);
    ``special_cause`` ("high"/"low"); ``variation`` and ``assurance`` (null without a target or a polarity);
    and ``method``. A segment with fewer than two baseline points has no limits. Raises ``ValueError`` for a
    non-numeric or infinite value, a missing or repeated period, or an input column named like an output.
    """
    keys: list[str] = validate_group_by(df, group_by)
    target_col = target if isinstance(target, str) else None
    require_columns(df, value, period, rebase_col, target_col)
    data = collect(df)
    clash = [c for c in SPC_COLUMNS if c in data.columns]
    if clash:
        raise ValueError(f"column '{clash[0]}': the input already has a column named like a result column; rename it")
    check_numeric(data, value, target_col)
    _check_settings(run_length, trend_length, baseline, baseline_period)
    _check_rows(data, value, period, keys)
    _check_rebase_col(data, rebase_col)
    sign = _polarity(data, polarity, keys)
    target_expr = pl.col(target_col).cast(pl.Float64) if target_col else pl.lit(target, dtype=pl.Float64)

    data = (
        data.with_row_index(_ROW)
        .sort([*keys, period], maintain_order=True)
        .with_columns(sign.alias(_SIGN), target_expr.alias(_TARGET))
    )
    data = data.with_columns(_segments(period, keys, rebase, rebase_col).alias(_SEG))
    seg = [*keys, _SEG]
    points = _points(data, value, period, seg, baseline, baseline_period, screen_moving_ranges)
    points = _rules(points, value, seg, run_length, trend_length)
    points = _icons(points, value)

    per_point = [c for c in SPC_COLUMNS if c not in _SEGMENT_WIDE and c not in ("spc_segment", "method")]
    out = data.join(points.select(_ROW, *per_point, *_SEGMENT_WIDE), on=_ROW, how="left", maintain_order="left")
    # Rows without a value keep their segment's centre and limits, so a chart can draw the lines across them.
    out = out.with_columns(
        [pl.col(c).max().over(seg).alias(c) for c in _SEGMENT_WIDE]
        + [
            pl.col(_SEG).alias("spc_segment"),
            pl.col("spc_baseline").fill_null(False),
            pl.lit(_method(screen_moving_ranges, run_length, trend_length)).alias("method"),
        ]
    )
    columns = [c for c in data.columns if not c.startswith("__spc_")]
    return restore(out.select(*columns, *SPC_COLUMNS), df)


_SEGMENT_WIDE = (
    "mean_moving_range",
    "moving_range_limit",
    "centre",
    "lower_limit",
    "upper_limit",
    "lower_two_sigma",
    "upper_two_sigma",
)


def _points(
    data: pl.DataFrame,
    value: str,
    period: str,
    seg: list[str],
    baseline: int | None,
    baseline_period: tuple[Any, Any] | None,
    screen: bool,
) -> pl.DataFrame:
    """The points with a value: baseline flags, moving ranges, centre and limits per segment."""
    y = pl.col(value).cast(pl.Float64)
    points = data.filter(y.is_not_null()).with_columns(pl.int_range(pl.len()).over(seg).alias(_IDX))
    base: pl.Expr = pl.lit(True)
    if baseline is not None:
        base = pl.col(_IDX) < baseline
    if baseline_period is not None:
        start, end = baseline_period
        within = (pl.col(period) >= start) & (pl.col(period) <= end)
        base = pl.when(within.any().over(seg)).then(within).otherwise(pl.lit(True))
    points = points.with_columns(
        base.alias(_BASE),
        (y - y.shift(1)).abs().over(seg).alias("moving_range"),
    )
    # Moving ranges between two baseline points set the limits.
    points = points.with_columns(
        pl.when(pl.col(_BASE) & pl.col(_BASE).shift(1).over(seg)).then(pl.col("moving_range")).alias(_BMR),
        pl.when(pl.col(_BASE)).then(y).mean().over(seg).alias("centre"),
    )
    points = points.with_columns(pl.col(_BMR).mean().over(seg).alias("mean_moving_range"))
    if screen:
        kept = pl.when(pl.col(_BMR) < MR_LIMIT_FACTOR * pl.col("mean_moving_range")).then(pl.col(_BMR))
        points = points.with_columns(kept.mean().over(seg).alias("mean_moving_range"))
    amr, centre = pl.col("mean_moving_range"), pl.col("centre")
    return points.with_columns(
        pl.col(_BASE).alias("spc_baseline"),
        (MR_LIMIT_FACTOR * amr).alias("moving_range_limit"),
        (centre - LIMIT_FACTOR * amr).alias("lower_limit"),
        (centre + LIMIT_FACTOR * amr).alias("upper_limit"),
        (centre - 2.0 / 3.0 * LIMIT_FACTOR * amr).alias("lower_two_sigma"),
        (centre + 2.0 / 3.0 * LIMIT_FACTOR * amr).alias("upper_two_sigma"),
    )


def _side(condition_high: pl.Expr, condition_low: pl.Expr) -> pl.Expr:
    return pl.when(condition_high).then(pl.lit(HIGH)).when(condition_low).then(pl.lit(LOW)).otherwise(None)


def _rules(points: pl.DataFrame, value: str, seg: list[str], run_length: int, trend_length: int) -> pl.DataFrame:
    """Each rule at the point where it is met, within a segment, reading left to right."""
    y = pl.col(value).cast(pl.Float64)
    centre = pl.col("centre")
    side = (y - centre).sign().cast(pl.Int8)  # 0 on the centre line: breaks a run
    near = (
        pl.when(y > pl.col("upper_two_sigma"))
        .then(pl.lit(1, dtype=pl.Int8))
        .when(y < pl.col("lower_two_sigma"))
        .then(pl.lit(-1, dtype=pl.Int8))
        .otherwise(pl.lit(0, dtype=pl.Int8))
    )
    step = (y - y.shift(1)).sign().fill_null(0).cast(pl.Int8)  # 0 for equal values: breaks a trend
    points = points.with_columns(side.alias("__spc_side"), near.alias("__spc_near"), step.over(seg).alias("__spc_step"))
    s, n, d = pl.col("__spc_side"), pl.col("__spc_near"), pl.col("__spc_step")
    points = points.with_columns(
        (s != s.shift(1)).fill_null(True).cum_sum().over(seg).alias("__spc_run_id"),
        (d != d.shift(1)).fill_null(True).cum_sum().over(seg).alias("__spc_trend_id"),
        ((n != 0) & ((n.shift(1) == n) | (n.shift(2) == n)).fill_null(False)).over(seg).alias("__spc_two3"),
    )
    run_pos = pl.int_range(1, pl.len() + 1).over([*seg, "__spc_run_id"])
    trend_points = pl.int_range(2, pl.len() + 2).over([*seg, "__spc_trend_id"])  # the point before counts too
    long_run = run_pos >= run_length
    long_trend = trend_points >= trend_length
    return points.with_columns(
        _side(y > pl.col("upper_limit"), y < pl.col("lower_limit")).alias("rule_beyond_limits"),
        _side(pl.col("__spc_two3") & (n == 1), pl.col("__spc_two3") & (n == -1)).alias("rule_two_of_three"),
        _side(long_run & (s == 1), long_run & (s == -1)).alias("rule_run"),
        _side(long_trend & (d == 1), long_trend & (d == -1)).alias("rule_trend"),
    ).drop("__spc_side", "__spc_near", "__spc_step", "__spc_run_id", "__spc_trend_id", "__spc_two3")


def _icons(points: pl.DataFrame, value: str) -> pl.DataFrame:
    """``special_cause``, ``variation`` and ``assurance`` for each point."""
    rules = [pl.col(c) for c in ("rule_beyond_limits", "rule_two_of_three", "rule_run", "rule_trend")]
    any_high = pl.any_horizontal([(r == HIGH).fill_null(False) for r in rules])
    any_low = pl.any_horizontal([(r == LOW).fill_null(False) for r in rules])
    y = pl.col(value).cast(pl.Float64)
    # Rules pointing both ways at once (a falling trend still above the upper limit): the side of the centre.
    special = (
        pl.when(any_high & ~any_low)
        .then(pl.lit(HIGH))
        .when(any_low & ~any_high)
        .then(pl.lit(LOW))
        .when(any_high & any_low)
        .then(pl.when(y >= pl.col("centre")).then(pl.lit(HIGH)).otherwise(pl.lit(LOW)))
        .otherwise(None)
    )
    points = points.with_columns(special.alias("special_cause"))
    sc, sign = pl.col("special_cause"), pl.col(_SIGN)
    variation = (
        pl.when(pl.col("centre").is_null())
        .then(None)
        .when(sc.is_null())
        .then(pl.lit(COMMON_CAUSE))
        .when(sign.is_null())
        .then(pl.when(sc == HIGH).then(pl.lit(NEITHER_HIGH)).otherwise(pl.lit(NEITHER_LOW)))
        .when((sc == HIGH) & (sign == 1))
        .then(pl.lit(IMPROVING_HIGH))
        .when((sc == HIGH) & (sign == -1))
        .then(pl.lit(CONCERNING_HIGH))
        .when((sc == LOW) & (sign == -1))
        .then(pl.lit(IMPROVING_LOW))
        .otherwise(pl.lit(CONCERNING_LOW))
    )
    t, lower, upper = pl.col(_TARGET), pl.col("lower_limit"), pl.col("upper_limit")
    assurance = (
        pl.when(t.is_null() | sign.is_null() | lower.is_null() | upper.is_null())
        .then(None)
        .when(t > upper)
        .then(pl.when(sign == 1).then(pl.lit(CONSISTENTLY_FAILING)).otherwise(pl.lit(CONSISTENTLY_PASSING)))
        .when(t < lower)
        .then(pl.when(sign == 1).then(pl.lit(CONSISTENTLY_PASSING)).otherwise(pl.lit(CONSISTENTLY_FAILING)))
        .otherwise(pl.lit(HIT_AND_MISS))
    )
    return points.with_columns(variation.alias("variation"), assurance.alias("assurance"))


# --- summary ----------------------------------------------------------------------------------------


def spc_summary(
    chart: FrameT,
    value: str,
    period: str,
    *,
    group_by: Sequence[str] | str | None = None,
    target: str | float | None = None,
) -> FrameT:
    """One row per series from :func:`xmr_chart`'s output: what the chart says at its latest point.

    Why: a dashboard shows the two Making Data Count icons beside each indicator; this is the row behind
    them. Method: the variation icon and the assurance icon are those of the latest point with a value, and
    its segment's centre and limits (Making Data Count). ``special_cause_points`` counts the points of the
    latest segment where any rule is met.

    Returns the group columns and :data:`SUMMARY_COLUMNS`: ``points`` (with a value), ``segments``,
    ``baseline_points`` (of the latest segment), ``latest_period``, ``latest_value``, ``centre``,
    ``lower_limit``, ``upper_limit``, ``special_cause_points``, ``variation``, ``assurance``, ``target`` (at
    the latest point, when given) and ``method``.
    """
    keys: list[str] = validate_group_by(chart, group_by)
    target_col = target if isinstance(target, str) else None
    require_columns(chart, value, period, target_col, *SPC_COLUMNS)
    data = collect(chart)
    target_expr = pl.col(target_col).cast(pl.Float64) if target_col else pl.lit(target, dtype=pl.Float64)
    data = data.with_columns(target_expr.alias(_TARGET))
    has_value = pl.col(value).is_not_null()
    latest_segment = pl.col("spc_segment").filter(has_value).last()
    in_latest = has_value & (pl.col("spc_segment") == latest_segment)

    def at_latest(name: str) -> pl.Expr:
        return pl.col(name).filter(has_value).last()

    aggs = [
        has_value.sum().cast(pl.Int64).alias("points"),
        pl.col("spc_segment").filter(has_value).n_unique().cast(pl.Int64).alias("segments"),
        (in_latest & pl.col("spc_baseline")).sum().cast(pl.Int64).alias("baseline_points"),
        at_latest(period).alias("latest_period"),
        at_latest(value).cast(pl.Float64).alias("latest_value"),
        *(at_latest(c).alias(c) for c in ("centre", "lower_limit", "upper_limit")),
        (in_latest & pl.col("special_cause").is_not_null()).sum().cast(pl.Int64).alias("special_cause_points"),
        at_latest("variation").alias("variation"),
        at_latest("assurance").alias("assurance"),
        at_latest(_TARGET).alias("target"),
        pl.col("method").first().alias("method"),
    ]
    data = data.sort([*keys, period], maintain_order=True)
    out = data.group_by(keys, maintain_order=True).agg(aggs) if keys else data.select(aggs)
    return restore(out, chart)
