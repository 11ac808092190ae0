"""Proportions with Wilson score confidence intervals.

Wilson's score interval (Wilson 1927), without continuity correction, is method 3 of Newcombe's (1998)
comparison and the method of OHID Fingertips' technical guidance and of PHEindicatormethods'
``phe_proportion``. Unlike the simple Wald interval it behaves at 0 and at 100% and never leaves [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gapwatch.stats._confidence import ConfidenceArg, cl_column_names, z_value
from gapwatch.stats._validate import (
    FrameT,
    add_results,
    as_float_array,
    check_at_most,
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

__all__ = ["proportion", "proportion_statistic", "wilson_limits"]

FloatArray = npt.NDArray[np.float64]


def wilson_limits(x: npt.ArrayLike, n: npt.ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
    """Wilson score limits for ``x`` successes out of ``n``, on the proportion scale (0..1).

    (2x + z² ∓ z·sqrt(z² + 4x(1 - x/n))) / (2(n + z²)), no continuity correction. Wilson (1927);
    Newcombe (1998), method 3; Fingertips technical guidance. ``x`` need not be an integer. NaN in gives
    NaN out; a level of 1 gives the limits 0 and 1.
    """
    xa = np.asarray(x, dtype=np.float64)
    na = np.asarray(n, dtype=np.float64)
    missing = np.isnan(xa) | np.isnan(na)
    if level >= 1.0:
        lower = np.where(missing, np.nan, 0.0)
        upper = np.where(missing, np.nan, 1.0)
        return lower, upper
    z = z_value(level)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        q = 1.0 - xa / na
        centre = 2.0 * xa + z2
        spread = z * np.sqrt(np.maximum(z2 + 4.0 * xa * q, 0.0))
        denom = 2.0 * (na + z2)
        p = xa / na
        # the interval always holds p; min/max only undo rounding at x = 0 and x = n
        lower = np.clip(np.minimum((centre - spread) / denom, p), 0.0, 1.0)
        upper = np.clip(np.maximum((centre + spread) / denom, p), 0.0, 1.0)
    return lower, upper


def proportion_statistic(multiplier: float) -> str:
    """The reference's label: 'percentage' for 100, otherwise 'proportion of <multiplier>'."""
    return "percentage" if multiplier == 100 else f"proportion of {format_number(multiplier)}"


def proportion(
    df: FrameT,
    x: str,
    n: str,
    *,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 1,
    group_by: Sequence[str] | None = None,
) -> FrameT:
    """Proportions ``x / n * multiplier`` with Wilson score confidence limits.

    Why Wilson: it is the interval Fingertips publishes for proportions and it stays inside [0, 1] for
    small numbers, including x = 0 and x = n. Method: Wilson (1927), no continuity correction;
    Newcombe (1998); Fingertips technical guidance; PHEindicatormethods ``phe_proportion``.

    With ``group_by``, x and n are first summed within each group (a group with any missing x or n gets a
    missing total) and one row per group is returned; otherwise every row gets its own interval. Rows
    with a missing x or n get null results without error. Raises ``ValueError`` for a missing or
    non-numeric column, negative x, a zero or negative n, or x > n.

    Adds ``value``, the limit columns (``lowercl``/``uppercl`` for one level, ``lower95_0cl`` … for
    several), ``confidence``, ``statistic`` ('proportion of 1', 'percentage') and ``method`` ('Wilson').
    """
    keys: list[str] = validate_group_by(df, group_by)
    require_columns(df, x, n)
    data = collect(df)
    check_numeric(data, x, n)
    check_non_negative(data, x)
    check_positive(data, n)
    check_at_most(data, x, n)
    if keys:
        data = sum_by_group(data, keys, [x, n])
    xa = as_float_array(data, x)
    na = as_float_array(data, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = xa / na * multiplier
    limits = []
    for level, lower_name, upper_name in cl_column_names(confidence):
        lower, upper = wilson_limits(xa, na, level)
        limits.append((lower_name, upper_name, lower * multiplier, upper * multiplier))
    out = add_results(
        data,
        value,
        limits,
        confidence=confidence_label(confidence),
        statistic=proportion_statistic(multiplier),
        method="Wilson",
    )
    return restore(out, df)
