"""Crude rates and counts with exact or Byar's Poisson confidence intervals.

A count of events in a population is treated as Poisson. Below 10 events the limits are exact (from the
chi-squared distribution); from 10 up Byar's approximation is used, which is within a fraction of a per
cent of exact there. This is the rule of OHID Fingertips' technical guidance and of PHEindicatormethods'
``phe_rate``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats as sps

from gapwatch.stats._confidence import ConfidenceArg, cl_column_names, z_value
from gapwatch.stats._validate import (
    FrameT,
    add_results,
    as_float_array,
    check_non_negative,
    check_numeric,
    check_positive,
    collect,
    confidence_label,
    format_number,
    require_columns,
    restore,
    sum_by_group,
    validate_group_by,
)

__all__ = [
    "COUNT_METHODS",
    "EXACT_BELOW",
    "CountMethod",
    "byars_limits",
    "count_ci",
    "exact_poisson_limits",
    "poisson_limit_columns",
    "poisson_count_limits",
    "poisson_method",
    "rate",
]

FloatArray = npt.NDArray[np.float64]

#: Counts below this use the exact method, from this up Byar's approximation (PHEindicatormethods).
EXACT_BELOW = 10

CountMethod = Literal["auto", "exact", "byars"]
#: "auto": exact below 10, Byar's from 10 (the reference's rule); or one method forced for every count.
COUNT_METHODS: tuple[str, ...] = ("auto", "exact", "byars")


def byars_limits(x: npt.ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
    """Byar's approximation to the exact Poisson limits for a count ``x``.

    lower = x(1 - 1/(9x) - z/(3√x))³, upper = (x+1)(1 - 1/(9(x+1)) + z/(3√(x+1)))³.
    Byar, in Breslow & Day (1987), Statistical Methods in Cancer Research II, p. 69. A lower limit that
    comes out negative (a count of 1 at 99.8%) is NaN, as the reference returns NA; x = 0 gives 0.
    """
    xa = np.asarray(x, dtype=np.float64)
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower = xa * (1.0 - 1.0 / (9.0 * xa) - z / (3.0 * np.sqrt(xa))) ** 3
        x1 = xa + 1.0
        upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    lower = np.where(xa == 0, 0.0, lower)
    lower = np.where(lower < 0, np.nan, lower)
    return lower, upper


def exact_poisson_limits(x: npt.ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
    """Exact Poisson limits for a count ``x`` from the chi-squared distribution.

    lower = χ²(α/2; 2x)/2 (0 when x = 0), upper = χ²(1 - α/2; 2x + 2)/2. Garwood (1936); Breslow & Day
    (1987); Fingertips technical guidance.
    """
    xa = np.asarray(x, dtype=np.float64)
    alpha = 1.0 - level
    positive = xa > 0
    with np.errstate(invalid="ignore"):
        lower = sps.chi2.ppf(alpha / 2.0, 2.0 * np.where(positive, xa, 1.0)) / 2.0
        upper = sps.chi2.ppf(1.0 - alpha / 2.0, 2.0 * xa + 2.0) / 2.0
    lower = np.where(positive, lower, np.where(np.isnan(xa), np.nan, 0.0))
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def poisson_count_limits(x: npt.ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
    """Limits for a Poisson count: exact below 10, Byar's from 10 (PHEindicatormethods' rule)."""
    xa = np.asarray(x, dtype=np.float64)
    lower, upper = byars_limits(xa, level)
    # The exact limits are needed only for the few small counts, so compute them there alone:
    # on a national table this is the difference between seconds and a fraction of one.
    small = xa < EXACT_BELOW
    if small.any():
        # Small counts take few distinct values (0-9 for whole counts): compute each once, then spread.
        distinct, where = np.unique(xa[small], return_inverse=True)
        el, eu = exact_poisson_limits(distinct, level)
        lower, upper = lower.copy(), upper.copy()
        lower[small], upper[small] = el[where], eu[where]
    return lower, upper


def poisson_method(x: npt.ArrayLike) -> pl.Series:
    """'Exact' below 10, 'Byars' from 10, null for a missing count: the reference's ``method`` column."""
    counts = pl.Series("x", np.asarray(x, dtype=np.float64)).fill_nan(None)
    return (
        pl.select(
            pl.when(counts.is_null())
            .then(None)
            .when(counts < EXACT_BELOW)
            .then(pl.lit("Exact"))
            .otherwise(pl.lit("Byars"))
        )
        .to_series()
        .alias("method")
    )


def _counts(df: pl.DataFrame | pl.LazyFrame, x: str, n: str | None, group_by: Sequence[str] | None) -> pl.DataFrame:
    keys: list[str] = validate_group_by(df, group_by)
    require_columns(df, x, n)
    data = collect(df)
    check_numeric(data, x, n)
    check_non_negative(data, x)
    if n is not None:
        check_positive(data, n)
    if keys:
        data = sum_by_group(data, keys, [x] if n is None else [x, n])
    return data


def poisson_limit_columns(
    xa: FloatArray, scale: FloatArray | float, confidence: ConfidenceArg
) -> list[tuple[str, str, npt.ArrayLike, npt.ArrayLike]]:
    """(lower name, upper name, lower, upper) per confidence level for Poisson counts ``xa``, scaled by
    ``scale`` (a multiplier over a denominator, or an expected count): shared by rates and the ISR/SMR."""
    limits: list[tuple[str, str, npt.ArrayLike, npt.ArrayLike]] = []
    for level, lower_name, upper_name in cl_column_names(confidence):
        lower, upper = poisson_count_limits(xa, level)
        limits.append((lower_name, upper_name, lower * scale, upper * scale))
    return limits


def rate(
    df: FrameT,
    x: str,
    n: str,
    *,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100000,
    group_by: Sequence[str] | None = None,
) -> FrameT:
    """Crude rates ``x / n * multiplier`` with Poisson confidence limits.

    Why: events in a population (admissions, crimes, deaths) are counts, and their uncertainty is
    Poisson, not binomial; x may exceed n (several events per person). Method: exact limits below 10
    events, Byar's approximation from 10 (Breslow & Day 1987); Fingertips technical guidance;
    PHEindicatormethods ``phe_rate``.

    With ``group_by``, x and n are summed within groups first. Missing x or n gives null results; the
    ``method`` is null when x is missing. Raises ``ValueError`` for negative x or a zero or negative n.
    Adds ``value``, the limit columns, ``confidence``, ``statistic`` ('rate per 100000') and ``method``
    ('Exact' or 'Byars').
    """
    data = _counts(df, x, n, group_by)
    xa = as_float_array(data, x)
    na = as_float_array(data, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = multiplier / na
    out = add_results(
        data,
        xa * scale,
        poisson_limit_columns(xa, scale, confidence),
        confidence=confidence_label(confidence),
        statistic=f"rate per {format_number(multiplier)}",
        method=poisson_method(xa),
    )
    return restore(out, df)


def count_ci(
    df: FrameT,
    x: str,
    *,
    confidence: ConfidenceArg = 0.95,
    group_by: Sequence[str] | None = None,
    method: CountMethod = "auto",
) -> FrameT:
    """Counts with Poisson confidence limits: exact below 10 and Byar's from 10, or one method forced.

    Why: a count reported on its own (crimes recorded, people helped) still has chance variation when
    it is compared between places or years. Method as :func:`rate`: Breslow & Day (1987); Fingertips
    technical guidance. ``method`` "auto" follows the reference's rule; "exact" or "byars" forces one
    method for every count, as the reference's Byar's test data do (a count of 1 at 99.8% then has no
    lower limit: Byar's gives a negative value there, which is null, as the reference's NA). Adds
    ``value`` (the count), the limit columns, ``confidence``, ``statistic`` ('count') and ``method``.
    """
    if method not in COUNT_METHODS:
        raise ValueError(f"method: must be 'auto', 'exact' or 'byars', got {method!r}")
    data = _counts(df, x, None, group_by)
    xa = as_float_array(data, x)
    if method == "auto":
        limits = poisson_limit_columns(xa, 1.0, confidence)
        labels: pl.Series | str = poisson_method(xa)
    else:
        kernel: Callable[[npt.ArrayLike, float], tuple[FloatArray, FloatArray]]
        kernel = exact_poisson_limits if method == "exact" else byars_limits
        limits = []
        for level, lower_name, upper_name in cl_column_names(confidence):
            lower, upper = kernel(xa, level)
            limits.append((lower_name, upper_name, lower, upper))
        name = "Exact" if method == "exact" else "Byars"
        labels = pl.select(
            pl.when(pl.Series(xa).fill_nan(None).is_null()).then(None).otherwise(pl.lit(name))
        ).to_series()
    out = add_results(
        data,
        xa,
        limits,
        confidence=confidence_label(confidence),
        statistic="count",
        method=labels,
    )
    return restore(out, df)
