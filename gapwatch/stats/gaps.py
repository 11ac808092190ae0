"""Gaps between a subject and a comparator: absolute differences and ratios with confidence intervals.

A partnership's headline questions are gaps: pupils eligible for free school meals against the rest,
Thanet against the rest of Kent, the most deprived quintile against the rest. Every comparison here is
built from numerators and denominators (a "rest" is summed from counts, never from percentages), and
the intervals are the ones the literature recommends for small numbers:

* difference of two proportions: Newcombe's hybrid score interval (Newcombe 1998, method 10) from the
  two Wilson intervals;
* ratio of two proportions: Katz's log method (Katz et al. 1978);
* difference of two rates: normal approximation with Poisson variances;
* ratio of two rates: log-normal when both counts are 10 or more, otherwise the exact conditional
  binomial interval (Clopper-Pearson on the subject's share of all events; Breslow & Day 1987).

All four are antisymmetric: swapping subject and comparator negates the difference, inverts the ratio
and swaps the limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats as sps

from gapwatch.stats._confidence import ConfidenceArg, cl_column_names, z_value
from gapwatch.stats._validate import (
    FrameT,
    as_float_array,
    check_at_most,
    check_non_negative,
    check_numeric,
    collect,
    confidence_label,
    float_series,
    offending_rows,
    require_columns,
    restore,
    sum_by_group,
    validate_group_by,
)
from gapwatch.stats.proportions import wilson_limits
from gapwatch.stats.rates import EXACT_BELOW, poisson_count_limits

__all__ = ["Measure", "area_vs_rest", "deprived_vs_rest", "gap_statistics", "group_gap"]

Measure = Literal["proportion", "rate"]
FloatArray = npt.NDArray[np.float64]

_DEFAULT_MULTIPLIER: dict[str, float] = {"proportion": 100.0, "rate": 100_000.0}


def group_gap(
    df: FrameT,
    *,
    category_col: str,
    subject: object,
    comparator: object,
    x: str,
    n: str,
    measure: Measure = "proportion",
    group_by: Sequence[str] | str | None = None,
    multiplier: float | None = None,
    confidence: ConfidenceArg = 0.95,
) -> FrameT:
    """The gap between two categories of the same long data, per group (e.g. FSM vs non-FSM).

    Why: "is the gap between pupils on free school meals and the rest narrowing?" needs the gap with a
    confidence interval for every indicator, area and period at once.

    Rows whose ``category_col`` equals ``subject`` (or ``comparator``) are summed within each group (a
    null count makes the sum null rather than smaller), then compared. Method: see :func:`gap_statistics`
    (Newcombe 1998 method 10 and Katz 1978 for proportions; Poisson normal difference and log-normal or
    exact conditional ratio for rates). ``multiplier`` defaults to 100 (percentages) for proportions and
    100,000 for rates; the difference is on that scale, the ratio has none.

    Returns one row per group with ``subject``, ``comparator`` (the labels), their counts, values and
    limits, ``gap`` with limits (``gap_lowercl``...), ``gap_se``, ``ratio`` with limits, ``significance``
    (at the first confidence level: "higher", "lower" or "not significant"), ``confidence`` and
    ``method``. A group with either category absent has null statistics.
    """
    if subject == comparator:
        raise ValueError(f"comparator: must differ from the subject ({subject!r})")
    keys = validate_group_by(df, group_by)
    require_columns(df, category_col, x, n)
    data = collect(df)
    _check_counts(data, x, n, measure)
    cat = pl.col(category_col)
    sums = []
    for label, prefix in ((subject, "subject"), (comparator, "comparator")):
        mask = cat == pl.lit(label)
        for col, suffix in ((x, "x"), (n, "n")):
            values = pl.col(col).cast(pl.Float64).filter(mask)
            sums.append(
                pl.when(values.is_null().any() | (values.len() == 0))
                .then(None)
                .otherwise(values.sum())
                .alias(f"{prefix}_{suffix}")
            )
    wide = data.group_by(keys, maintain_order=True).agg(sums) if keys else data.select(sums)
    wide = wide.with_columns(pl.lit(str(subject)).alias("subject"), pl.lit(str(comparator)).alias("comparator"))
    out = _attach(wide, keys, measure, multiplier, confidence)
    return restore(out, df)


def area_vs_rest(
    df: FrameT,
    *,
    area_col: str,
    subject_area: str | Sequence[str],
    x: str,
    n: str,
    members: Sequence[str] | None = None,
    parent_area: str | None = None,
    measure: Measure = "proportion",
    group_by: Sequence[str] | str | None = None,
    multiplier: float | None = None,
    confidence: ConfidenceArg = 0.95,
    comparator_label: str | None = None,
) -> FrameT:
    """Each subject area against the rest of its parent area ("Thanet vs the rest of Kent").

    Why: a gap-closing target compares one district with the rest of the county, and the "rest" must be
    built from counts — the rest's percentage is not the parent's percentage minus the district's.

    Give exactly one of ``members`` (the areas that make up the parent: the rest is the sum of every
    member except the subject) or ``parent_area`` (the parent's own row: the rest is the parent's counts
    minus the subject's). Several subject areas are compared at once. With ``members``, a member row with
    a null count makes that group's rest null, and ``comparator_areas`` says how many areas were summed.
    Gap statistics as in :func:`group_gap` (Newcombe 1998; Katz 1978; Poisson methods for rates).
    """
    if (members is None) == (parent_area is None):
        raise ValueError("area_vs_rest: give exactly one of members or parent_area")
    keys = validate_group_by(df, group_by)
    require_columns(df, area_col, x, n)
    data = collect(df)
    _check_counts(data, x, n, measure)
    subjects = [subject_area] if isinstance(subject_area, str) else list(subject_area)
    if not subjects:
        raise ValueError("subject_area: at least one area is needed")
    # One row per (group, area): repeated rows of an area are summed, a null count stays null.
    per_area = sum_by_group(
        data.select(
            *keys,
            pl.col(area_col).cast(pl.String).alias("_area"),
            pl.col(x).cast(pl.Float64).alias("_x"),
            pl.col(n).cast(pl.Float64).alias("_n"),
        ),
        keys + ["_area"],
        ["_x", "_n"],
    )
    subj = per_area.filter(pl.col("_area").is_in(subjects)).rename({"_area": "subject"})
    if members is not None:
        pool = per_area.filter(pl.col("_area").is_in(list(members)))
        label = comparator_label or "rest"
        rest = _rest_from_members(subj, pool, keys)
    else:
        assert parent_area is not None
        label = comparator_label or f"rest of {parent_area}"
        parent = per_area.filter(pl.col("_area") == parent_area).select(
            *keys, pl.col("_x").alias("_px"), pl.col("_n").alias("_pn")
        )
        rest = _rest_from_parent(subj, parent, keys, x, n)
    rest = rest.with_columns(pl.lit(label).alias("comparator"))
    out = _attach(rest, keys, measure, multiplier, confidence, extra=["comparator_areas"])
    return restore(out, df)


def deprived_vs_rest(
    df: FrameT,
    *,
    quantile_col: str,
    x: str,
    n: str,
    deprived: Sequence[int] = (1,),
    measure: Measure = "proportion",
    group_by: Sequence[str] | str | None = None,
    multiplier: float | None = None,
    confidence: ConfidenceArg = 0.95,
    subject_label: str = "most deprived",
    comparator_label: str = "rest",
) -> FrameT:
    """The most deprived quantile(s) against all the others, per group.

    Why: "is the gap between deprived and non-deprived areas reducing?" is usually asked of IMD quintile
    1 (or deciles 1..k) against the rest of the population. Counts are summed on each side (a null count
    makes its side null). Gap statistics as in :func:`group_gap` (Newcombe 1998; Katz 1978; Poisson
    methods for rates).
    """
    if not deprived:
        raise ValueError("deprived: at least one quantile is needed")
    require_columns(df, quantile_col)
    data = collect(df)
    check_numeric(data, quantile_col)
    side = (
        pl.when(pl.col(quantile_col).is_in(list(deprived)))
        .then(pl.lit(subject_label))
        .when(pl.col(quantile_col).is_not_null())
        .then(pl.lit(comparator_label))
        .alias("_side")
    )
    labelled = data.with_columns(side)
    out = group_gap(
        labelled,
        category_col="_side",
        subject=subject_label,
        comparator=comparator_label,
        x=x,
        n=n,
        measure=measure,
        group_by=group_by,
        multiplier=multiplier,
        confidence=confidence,
    )
    return restore(out, df)


def gap_statistics(
    x1: npt.ArrayLike,
    n1: npt.ArrayLike,
    x2: npt.ArrayLike,
    n2: npt.ArrayLike,
    *,
    measure: Measure = "proportion",
    level: float = 0.95,
    multiplier: float = 1.0,
) -> dict[str, FloatArray]:
    """Vectorised gap kernel: difference and ratio of subject (1) and comparator (2) with limits.

    Proportions: difference p1 - p2 with Newcombe's hybrid score interval (Newcombe 1998, method 10):
    L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2) from Wilson limits
    (l, u); ratio p1 / p2 with Katz's log interval, SE(log RR) = sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2) (null
    when either count is 0). Rates: difference with SE = sqrt(x1/n1^2 + x2/n2^2); ratio log-normal,
    SE(log RR) = sqrt(1/x1 + 1/x2), when both counts are at least 10, otherwise exact conditional on
    x1 + x2 (Clopper-Pearson limits for x1's share, converted to a rate ratio). ``gap_se`` is the Wald
    standard error of the difference (for weighting gaps over time). Returns arrays keyed ``value1``,
    ``lower1``, ``upper1``, ``value2``, ``lower2``, ``upper2``, ``gap``, ``gap_lower``, ``gap_upper``,
    ``gap_se``, ``ratio``, ``ratio_lower``, ``ratio_upper``; NaN where not computable.
    """
    a1, b1 = np.asarray(x1, dtype=np.float64), np.asarray(n1, dtype=np.float64)
    a2, b2 = np.asarray(x2, dtype=np.float64), np.asarray(n2, dtype=np.float64)
    z = z_value(level)
    out: dict[str, FloatArray] = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b1 = np.where(b1 > 0, b1, np.nan)
        b2 = np.where(b2 > 0, b2, np.nan)
        p1, p2 = a1 / b1, a2 / b2
        if measure == "proportion":
            l1, u1 = wilson_limits(a1, b1, level)
            l2, u2 = wilson_limits(a2, b2, level)
            diff = p1 - p2
            gap_lower = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
            gap_upper = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
            gap_se = np.sqrt(p1 * (1 - p1) / b1 + p2 * (1 - p2) / b2)
            ratio = np.where((a1 > 0) & (a2 > 0), p1 / p2, np.nan)
            log_se = np.sqrt(1 / a1 - 1 / b1 + 1 / a2 - 1 / b2)
            ratio_lower = ratio * np.exp(-z * log_se)
            ratio_upper = ratio * np.exp(z * log_se)
        elif measure == "rate":
            c1, d1 = poisson_count_limits(a1, level)
            c2, d2 = poisson_count_limits(a2, level)
            l1, u1, l2, u2 = c1 / b1, d1 / b1, c2 / b2, d2 / b2
            diff = p1 - p2
            gap_se = np.sqrt(a1 / b1**2 + a2 / b2**2)
            gap_lower, gap_upper = diff - z * gap_se, diff + z * gap_se
            ratio, ratio_lower, ratio_upper = _rate_ratio(a1, b1, a2, b2, level)
        else:
            raise ValueError(f"measure: should be 'proportion' or 'rate', got {measure!r}")
    m = float(multiplier)
    out["value1"], out["lower1"], out["upper1"] = p1 * m, l1 * m, u1 * m
    out["value2"], out["lower2"], out["upper2"] = p2 * m, l2 * m, u2 * m
    out["gap"], out["gap_lower"], out["gap_upper"], out["gap_se"] = (
        diff * m,
        gap_lower * m,
        gap_upper * m,
        gap_se * m,
    )
    out["ratio"], out["ratio_lower"], out["ratio_upper"] = ratio, ratio_lower, ratio_upper
    return out


# --- helpers ------------------------------------------------------------------------------------------


def _rate_ratio(
    a1: FloatArray, b1: FloatArray, a2: FloatArray, b2: FloatArray, level: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rate ratio with log-normal limits for large counts and exact conditional limits for small."""
    z = z_value(level)
    alpha = 1.0 - level
    total = a1 + a2
    ratio = (a1 / b1) / (a2 / b2)
    log_se = np.sqrt(1 / a1 + 1 / a2)
    big_lower, big_upper = ratio * np.exp(-z * log_se), ratio * np.exp(z * log_se)
    # Clopper-Pearson limits for the subject's share of all events, then share -> rate ratio.
    safe_total = np.where(total > 0, total, 1.0)
    share_lower = np.where(a1 > 0, sps.beta.ppf(alpha / 2, np.where(a1 > 0, a1, 1.0), safe_total - a1 + 1), 0.0)
    share_upper = np.where(a2 > 0, sps.beta.ppf(1 - alpha / 2, a1 + 1, np.where(a2 > 0, a2, 1.0)), 1.0)
    exact_lower = share_lower / (1 - share_lower) * b2 / b1
    exact_upper = share_upper / (1 - share_upper) * b2 / b1
    small = (a1 < EXACT_BELOW) | (a2 < EXACT_BELOW)
    lower = np.where(small, exact_lower, big_lower)
    upper = np.where(small, exact_upper, big_upper)
    bad = ~(total > 0) | np.isnan(ratio) | np.isnan(b1) | np.isnan(b2)
    return (
        np.where(bad, np.nan, ratio),
        np.where(bad, np.nan, lower),
        np.where(bad, np.nan, upper),
    )


def _check_counts(data: pl.DataFrame, x: str, n: str, measure: str) -> None:
    if measure not in ("proportion", "rate"):
        raise ValueError(f"measure: should be 'proportion' or 'rate', got {measure!r}")
    check_numeric(data, x, n)
    check_non_negative(data, x, n)
    if measure == "proportion":
        check_at_most(data, x, n)


def _rest_from_members(subj: pl.DataFrame, pool: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Rest = sum over the member areas other than the subject (summed from counts)."""
    null_sum = [
        pl.when(pl.col(c).is_null().any()).then(None).otherwise(pl.col(c).sum()).alias(f"_t{c}") for c in ("_x", "_n")
    ]
    totals_aggs = [*null_sum, pl.len().alias("_members")]
    totals = pool.group_by(keys, maintain_order=True).agg(totals_aggs) if keys else pool.select(totals_aggs)
    own = pool.select(*keys, pl.col("_area").alias("subject"), pl.col("_x").alias("_ox"), pl.col("_n").alias("_on"))
    joined = (
        subj.join(totals, on=keys, how="left", nulls_equal=True, maintain_order="left")
        if keys
        else subj.join(totals, how="cross")
    )
    joined = joined.join(own, on=[*keys, "subject"], how="left", nulls_equal=True, maintain_order="left")
    is_member = pl.col("_ox").is_not_null() | pl.col("_on").is_not_null()
    return joined.select(
        *keys,
        "subject",
        pl.col("_x").alias("subject_x"),
        pl.col("_n").alias("subject_n"),
        pl.when(is_member).then(pl.col("_t_x") - pl.col("_ox")).otherwise(pl.col("_t_x")).alias("comparator_x"),
        pl.when(is_member).then(pl.col("_t_n") - pl.col("_on")).otherwise(pl.col("_t_n")).alias("comparator_n"),
        pl.when(is_member).then(pl.col("_members") - 1).otherwise(pl.col("_members")).alias("comparator_areas"),
    )


def _rest_from_parent(subj: pl.DataFrame, parent: pl.DataFrame, keys: list[str], x: str, n: str) -> pl.DataFrame:
    """Rest = parent total minus the subject, checked not to go negative."""
    joined = (
        subj.join(parent, on=keys, how="left", nulls_equal=True, maintain_order="left")
        if keys
        else subj.join(parent, how="cross")
    )
    rest = joined.select(
        *keys,
        "subject",
        pl.col("_x").alias("subject_x"),
        pl.col("_n").alias("subject_n"),
        (pl.col("_px") - pl.col("_x")).alias("comparator_x"),
        (pl.col("_pn") - pl.col("_n")).alias("comparator_n"),
        pl.lit(None, dtype=pl.UInt32).alias("comparator_areas"),
    )
    for col, name in (("comparator_x", x), ("comparator_n", n)):
        mask = rest.get_column(col) < 0
        if mask.any():
            raise ValueError(
                f"column '{name}': the parent total is smaller than the subject area's count "
                f"(result rows {offending_rows(mask)})"
            )
    return rest


def _attach(
    wide: pl.DataFrame,
    keys: list[str],
    measure: Measure,
    multiplier: float | None,
    confidence: ConfidenceArg,
    extra: Sequence[str] = (),
) -> pl.DataFrame:
    """Compute gap statistics for every level on a frame of subject/comparator counts and name them."""
    mult = _DEFAULT_MULTIPLIER[measure] if multiplier is None else float(multiplier)
    x1, n1 = as_float_array(wide, "subject_x"), as_float_array(wide, "subject_n")
    x2, n2 = as_float_array(wide, "comparator_x"), as_float_array(wide, "comparator_n")
    names = cl_column_names(confidence)
    values: list[pl.Series] = []
    limits: dict[str, list[pl.Series]] = {"subject": [], "comparator": [], "gap": [], "ratio": []}
    first: dict[str, FloatArray] = {}
    for k, (level, lo, hi) in enumerate(names):
        res = gap_statistics(x1, n1, x2, n2, measure=measure, level=level, multiplier=mult)
        if k == 0:
            first = res
        for prefix, key in (("subject", "1"), ("comparator", "2")):
            limits[prefix] += [
                float_series(f"{prefix}_{lo}", res[f"lower{key}"]),
                float_series(f"{prefix}_{hi}", res[f"upper{key}"]),
            ]
        for prefix in ("gap", "ratio"):
            limits[prefix] += [
                float_series(f"{prefix}_{lo}", res[f"{prefix}_lower"]),
                float_series(f"{prefix}_{hi}", res[f"{prefix}_upper"]),
            ]
    values = [
        float_series("subject_value", first["value1"]),
        float_series("comparator_value", first["value2"]),
        float_series("gap", first["gap"]),
        float_series("gap_se", first["gap_se"]),
        float_series("ratio", first["ratio"]),
    ]
    lower0, upper0 = first["gap_lower"], first["gap_upper"]
    significance = np.full(lower0.size, None, dtype=object)
    known = ~(np.isnan(lower0) | np.isnan(upper0))
    significance[known] = "not significant"
    significance[known & (lower0 > 0)] = "higher"
    significance[known & (upper0 < 0)] = "lower"
    if measure == "proportion":
        method = "Wilson; difference: Newcombe (1998) hybrid score; ratio: Katz log"
    else:
        method = "Byar's/exact Poisson; difference: normal (Poisson variances); ratio: log-normal, exact below 10"
    out = wide.with_columns(values + [s for group in limits.values() for s in group]).with_columns(
        pl.Series("significance", significance.tolist(), dtype=pl.String),
        pl.lit(confidence_label(confidence)).alias("confidence"),
        pl.lit(method).alias("method"),
    )
    order = [
        *keys,
        "subject",
        "comparator",
        "subject_x",
        "subject_n",
        "subject_value",
        *[s.name for s in limits["subject"]],
        "comparator_x",
        "comparator_n",
        "comparator_value",
        *[s.name for s in limits["comparator"]],
        *[c for c in extra if c in out.columns],
        "gap",
        *[s.name for s in limits["gap"]],
        "gap_se",
        "ratio",
        *[s.name for s in limits["ratio"]],
        "significance",
        "confidence",
        "method",
    ]
    return out.select(order)
