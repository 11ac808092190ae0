"""Means with Student's t confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats as sps

from gapwatch.stats._confidence import ConfidenceArg, cl_column_names
from gapwatch.stats._validate import (
    FrameT,
    add_results,
    as_float_array,
    check_numeric,
    collect,
    confidence_label,
    require_columns,
    restore,
    validate_group_by,
)

__all__ = ["mean"]


def mean(
    df: FrameT,
    value: str,
    *,
    confidence: ConfidenceArg = 0.95,
    group_by: Sequence[str] | None = None,
) -> FrameT:
    """The mean of ``value`` per group with a Student's t confidence interval.

    Why: survey scores and other continuous measures are summarised as means, and small groups need the
    t distribution's wider limits. Method: mean ± t(1 - α/2; k - 1) · s / √k with s the sample standard
    deviation (divisor k - 1); Fingertips technical guidance; PHEindicatormethods ``phe_mean``.

    Missing values are left out (``value_count`` counts the values used). Returns one row per group (one
    row in all without ``group_by``) with ``value_sum``, ``value_count``, ``stdev``, ``value``, the limit
    columns, ``confidence``, ``statistic`` ('mean') and ``method`` ("Student's t-distribution"). A group
    with one value has no interval.
    """
    keys: list[str] = validate_group_by(df, group_by)
    require_columns(df, value)
    data = collect(df)
    check_numeric(data, value)
    col = pl.col(value).cast(pl.Float64)
    aggs = [
        col.sum().alias("value_sum"),
        col.count().alias("value_count"),
        col.std(ddof=1).alias("stdev"),
    ]
    grouped = data.group_by(keys, maintain_order=True).agg(aggs) if keys else data.select(aggs)
    total = as_float_array(grouped, "value_sum")
    count = as_float_array(grouped, "value_count")
    sd = as_float_array(grouped, "stdev")
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = total / count
        se = sd / np.sqrt(count)
        dof = np.where(count > 1, count - 1, np.nan)
        limits = []
        for level, lower_name, upper_name in cl_column_names(confidence):
            half = sps.t.ppf(0.5 + level / 2.0, dof) * se
            limits.append((lower_name, upper_name, centre - half, centre + half))
    out = add_results(
        grouped,
        centre,
        limits,
        confidence=confidence_label(confidence),
        statistic="mean",
        method="Student's t-distribution",
    )
    return restore(out, df)
