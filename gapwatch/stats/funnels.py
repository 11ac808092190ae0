"""Funnel plots: control limits around a baseline and each area's significance against them.

A funnel plot shows each area's value against its size, with 95% ("2 sigma") and 99.8% ("3 sigma")
control limits that narrow as the size grows, so that small areas are not singled out for chance
variation (Spiegelhalter 2005). Methods as OHID Fingertips' technical guidance and PHEindicatormethods
``calculate_funnel_limits`` / ``assign_funnel_significance``:

* proportions: baseline p = Σx/Σn, limits p ± z·√(p(1-p)/n), kept within [0, 1] × multiplier;
* ratios (observed / expected): exact Poisson limits for the observed count, baseline ratio 1;
* rates (crude or directly standardised): the population behind each rate (given, or derived as
  events / rate × multiplier per year) gives the expected events at the baseline rate Σevents/Σpopulation,
  and exact Poisson limits for the events are turned back into rates. DSRs from fewer than 10 events are
  not assessed.

The reference computes the exact Poisson limits by bisection; here they come straight from the
chi-squared distribution, which the bisection approximates (the two agree to about 1e-6 relative except
where the limit is a tiny expected count).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from gapwatch.stats._confidence import z_value
from gapwatch.stats._validate import (
    FrameT,
    as_float_array,
    check_non_negative,
    check_numeric,
    collect,
    format_number,
    require_columns,
    restore,
)
from gapwatch.stats.rates import exact_poisson_limits

__all__ = [
    "FUNNEL_POINTS",
    "HIGH_001",
    "HIGH_025",
    "LOW_001",
    "LOW_025",
    "NOT_APPLICABLE_DSR",
    "NOT_SIGNIFICANT",
    "assign_funnel_significance",
    "calculate_funnel_limits",
    "funnel_axis",
    "funnel_axis_range",
]

FloatArray = npt.NDArray[np.float64]
Statistic = Literal["proportion", "ratio", "rate"]

#: Points on the x axis of a limits table.
FUNNEL_POINTS = 100

HIGH_001 = "High (0.001)"
HIGH_025 = "High (0.025)"
LOW_025 = "Low (0.025)"
LOW_001 = "Low (0.001)"
NOT_SIGNIFICANT = "Not significant"
NOT_APPLICABLE_DSR = "Not applicable for events less than 10 for dsrs"

_LEVELS = ((0.95, "2s"), (0.998, "3s"))


# --- axis -------------------------------------------------------------------------------------------


def _ceil_sig(value: float, digits: int) -> float:
    scale = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return math.ceil(round(value / scale, 9)) * scale


def _floor_sig(value: float, digits: int) -> float:
    scale = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return math.floor(round(value / scale, 9)) * scale


def funnel_axis_range(values: npt.ArrayLike) -> tuple[float, float]:
    """A tidy axis range for sizes ``values``: 5% beyond the largest, up to two significant figures,
    and down to one significant figure below 95% of the smallest, or 1 when that is under a tenth of
    the top (the axis then spans orders of magnitude and should start at the smallest possible size)."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if arr.size == 0:
        raise ValueError("funnel limits need at least one positive size (denominator)")
    top = _ceil_sig(float(arr.max()) * 1.05, 2)
    bottom = _floor_sig(float(arr.min()) * 0.95, 1)
    if bottom < top / 10 or bottom < 1:
        bottom = 1.0
    return bottom, top


def funnel_axis(low: float, high: float, points: int = FUNNEL_POINTS) -> FloatArray:
    """``points`` whole numbers from ``low`` to ``high``, spaced evenly on a log scale.

    Each step multiplies by the ratio that would reach ``high`` evenly from where the axis is, and moves
    on by at least 1, so small sizes are all shown and large ones spread geometrically. The steps are
    sequential by nature, but there are only ``points`` of them.
    """
    if not 0 < low < high:
        raise ValueError(f"funnel axis: need 0 < low < high, got {low} and {high}")
    axis = np.empty(points, dtype=np.float64)
    axis[0] = round(low)
    for i in range(1, points):
        step = (high / axis[i - 1]) ** (1.0 / (points - i))
        axis[i] = max(axis[i - 1] + 1, round(axis[i - 1] * step))
    return axis


# --- limits -----------------------------------------------------------------------------------------


def _proportion_limits(
    data: pl.DataFrame, numerator: str, denominator: str, multiplier: float, axis: FloatArray | None
) -> pl.DataFrame:
    x, n = as_float_array(data, numerator), as_float_array(data, denominator)
    ok = np.isfinite(x) & np.isfinite(n)
    p = x[ok].sum() / n[ok].sum()
    population = funnel_axis(*funnel_axis_range(n)) if axis is None else axis
    columns: dict[str, object] = {"population": population}
    for level, tag in _LEVELS:
        half = z_value(level) * np.sqrt(p * (1 - p) / population)
        columns[f"lower_{tag}_limit"] = np.clip(p - half, 0.0, 1.0) * multiplier
        columns[f"upper_{tag}_limit"] = np.clip(p + half, 0.0, 1.0) * multiplier
    columns["baseline"] = np.full(population.size, p * multiplier)
    columns["statistic"] = f"proportion ({'percentage' if multiplier == 100 else f'x {format_number(multiplier)}'})"
    columns["method"] = "Normal approximation to the binomial"
    return pl.DataFrame(columns)


def _ratio_limits(
    data: pl.DataFrame, numerator: str, denominator: str, ratio_type: str, axis: FloatArray | None
) -> pl.DataFrame:
    if ratio_type not in ("count", "isr"):
        raise ValueError(f"ratio_type: must be 'count' or 'isr', got {ratio_type!r}")
    expected = as_float_array(data, denominator)
    observed = funnel_axis(*funnel_axis_range(expected)) if axis is None else axis
    columns: dict[str, object] = {"observed_events": observed}
    for level, tag in _LEVELS:
        low_count, high_count = exact_poisson_limits(observed, level)
        # the expected count at which the observed count sits on the lower (upper) control limit
        for side, exp_events in (("lower", high_count), ("upper", low_count)):
            with np.errstate(divide="ignore"):
                ratio = observed / exp_events
            columns[f"{side}_{tag}_exp_events"] = exp_events
            columns[f"{side}_{tag}_limit"] = ratio - 1 if ratio_type == "count" else ratio * 100
    columns["baseline"] = np.full(observed.size, 0.0 if ratio_type == "count" else 100.0)
    columns["statistic"] = f"ratio ({ratio_type})"
    columns["method"] = "Poisson"
    return pl.DataFrame(columns)


def _rate_population(
    data: pl.DataFrame, numerator: str, denominator: str | None, rate: str, multiplier: float
) -> tuple[FloatArray, FloatArray]:
    """Events and the population behind each rate (given or derived as events / rate × multiplier)."""
    events = as_float_array(data, numerator)
    if denominator is not None:
        return events, as_float_array(data, denominator)
    rates = as_float_array(data, rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        return events, np.where(rates > 0, events / rates * multiplier, np.nan)


def _rate_limits(
    data: pl.DataFrame,
    numerator: str,
    denominator: str | None,
    rate: str,
    rate_type: str,
    multiplier: float,
    years_of_data: float,
    axis: FloatArray | None,
) -> pl.DataFrame:
    events, population = _rate_population(data, numerator, denominator, rate, multiplier)
    ok = np.isfinite(events) & np.isfinite(population) & (population > 0)
    per_person = events[ok].sum() / population[ok].sum()
    if axis is None:
        low, high = funnel_axis_range(population[ok] / years_of_data)
        scale = years_of_data * per_person
        low_events = 1.0 if low == 1 else math.floor(low * scale)
        axis = funnel_axis(max(low_events, 1.0), math.ceil(high * scale))
    columns: dict[str, object] = {"events": axis}
    for level, tag in _LEVELS:
        low_count, high_count = exact_poisson_limits(axis, level)
        for side, exp_events in (("lower", high_count), ("upper", low_count)):
            pop_per_year = exp_events / per_person / years_of_data
            columns[f"{side}_{tag}_population_1_year"] = pop_per_year
            columns[f"{side}_{tag}_limit"] = axis / (pop_per_year * years_of_data) * multiplier
    columns["baseline"] = np.full(axis.size, per_person * multiplier)
    columns["statistic"] = f"rate ({rate_type} per {multiplier:,.0f})"
    columns["method"] = "Poisson"
    return pl.DataFrame(columns)


def calculate_funnel_limits(
    df: pl.DataFrame | pl.LazyFrame,
    numerator: str,
    denominator: str | None,
    *,
    statistic: Statistic,
    multiplier: float = 100,
    ratio_type: Literal["count", "isr"] | None = None,
    rate: str | None = None,
    rate_type: Literal["dsr", "crude"] | None = None,
    years_of_data: float | None = None,
    axis: Sequence[float] | None = None,
) -> pl.DataFrame:
    """A 100-row table of 95% and 99.8% funnel plot control limits for the areas in ``df``.

    Why: the limits drawn on a funnel plot, so that a chart can show which areas differ from the
    baseline by more than chance. Method: see the module docstring; Spiegelhalter (2005); Fingertips
    technical guidance; PHEindicatormethods ``calculate_funnel_limits``.

    * ``statistic="proportion"``: ``numerator`` / ``denominator``; x axis ``population``.
    * ``statistic="ratio"``: observed ``numerator`` / expected ``denominator``; x axis
      ``observed_events``; limits as ratio - 1 (``ratio_type="count"``) or ratio × 100 (``"isr"``).
    * ``statistic="rate"``: events ``numerator``, ``rate`` (per ``multiplier``), optional population
      ``denominator``, ``rate_type`` 'dsr' or 'crude' and ``years_of_data``; x axis ``events``, with the
      population per year at each limit.

    ``axis`` overrides the x axis values (otherwise 100 whole numbers spread from a tidy range around
    the data). Returns a new frame, always eager.
    """
    data = collect(df)
    require_columns(data, numerator, denominator, rate)
    check_numeric(data, numerator, denominator, rate)
    check_non_negative(data, numerator, denominator)
    chosen = None if axis is None else np.asarray(axis, dtype=np.float64)
    if statistic == "proportion":
        if denominator is None:
            raise ValueError("proportion funnels need a denominator column")
        return _proportion_limits(data, numerator, denominator, multiplier, chosen)
    if statistic == "ratio":
        if denominator is None or ratio_type is None:
            raise ValueError("ratio funnels need the expected counts (denominator) and a ratio_type")
        return _ratio_limits(data, numerator, denominator, ratio_type, chosen)
    if statistic == "rate":
        if rate is None or rate_type not in ("dsr", "crude") or years_of_data is None:
            raise ValueError("rate funnels need a rate column, rate_type 'dsr' or 'crude' and years_of_data")
        return _rate_limits(data, numerator, denominator, rate, rate_type, multiplier, years_of_data, chosen)
    raise ValueError(f"statistic: must be 'proportion', 'ratio' or 'rate', got {statistic!r}")


# --- significance -----------------------------------------------------------------------------------


def _poisson_labels(observed: FloatArray, expected: FloatArray) -> npt.NDArray[np.object_]:
    """Where the expected count lies against the observed count's exact 95% and 99.8% limits."""
    low2, high2 = exact_poisson_limits(observed, 0.95)
    low3, high3 = exact_poisson_limits(observed, 0.998)
    return np.select(
        [low3 > expected, high3 < expected, low2 > expected, high2 < expected],
        [HIGH_001, LOW_001, HIGH_025, LOW_025],
        default=NOT_SIGNIFICANT,
    ).astype(object)


def assign_funnel_significance(
    df: FrameT,
    numerator: str,
    denominator: str | None,
    *,
    statistic: Statistic,
    rate: str | None = None,
    rate_type: Literal["dsr", "crude"] | None = None,
    multiplier: float = 100000,
) -> FrameT:
    """Label each area by where it falls against the funnel limits at its own size.

    Labels: 'High (0.001)' / 'Low (0.001)' outside the 99.8% limits, 'High (0.025)' / 'Low (0.025)'
    outside the 95% limits only, otherwise 'Not significant'; DSRs from fewer than 10 events are 'Not
    applicable for events less than 10 for dsrs'. Rows that cannot be assessed get null. Method: see
    the module docstring; Fingertips technical guidance; PHEindicatormethods
    ``assign_funnel_significance``. Adds ``significance``.
    """
    data = collect(df)
    require_columns(data, numerator, denominator, rate)
    check_numeric(data, numerator, denominator, rate)
    check_non_negative(data, numerator, denominator)
    if statistic == "proportion":
        if denominator is None:
            raise ValueError("proportion funnels need a denominator column")
        x, n = as_float_array(data, numerator), as_float_array(data, denominator)
        ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
        p = x[ok].sum() / n[ok].sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            phat = x / n
            se = np.sqrt(p * (1 - p) / n)
        z2, z3 = z_value(0.95), z_value(0.998)
        labels = np.select(
            [phat > p + z3 * se, phat < p - z3 * se, phat > p + z2 * se, phat < p - z2 * se],
            [HIGH_001, LOW_001, HIGH_025, LOW_025],
            default=NOT_SIGNIFICANT,
        ).astype(object)
        labels[~ok] = None
    elif statistic == "ratio":
        if denominator is None:
            raise ValueError("ratio funnels need the expected counts (denominator)")
        observed, expected = as_float_array(data, numerator), as_float_array(data, denominator)
        labels = _poisson_labels(observed, expected)
        labels[~(np.isfinite(observed) & np.isfinite(expected))] = None
    elif statistic == "rate":
        if rate is None or rate_type not in ("dsr", "crude"):
            raise ValueError("rate funnels need a rate column and rate_type 'dsr' or 'crude'")
        events, population = _rate_population(data, numerator, denominator, rate, multiplier)
        ok = np.isfinite(events) & np.isfinite(population) & (population > 0)
        per_person = events[ok].sum() / population[ok].sum()
        labels = _poisson_labels(events, population * per_person)
        labels[~ok] = None
        if rate_type == "dsr":
            labels[events < 10] = NOT_APPLICABLE_DSR
    else:
        raise ValueError(f"statistic: must be 'proportion', 'ratio' or 'rate', got {statistic!r}")
    out = data.with_columns(pl.Series("significance", labels.tolist(), dtype=pl.String))
    return restore(out, df)
