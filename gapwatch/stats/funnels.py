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

Overdispersion (Spiegelhalter 2005, "Handling over-dispersion of performance indicators", Qual Saf Health
Care 14:347-351; as CQC and NHS England practise it): when areas differ by more than chance alone allows,
most of them fall outside the limits above. Each area gets a z-score zᵢ = (yᵢ − θ₀) / sᵢ on the scale of
the indicator (proportions: y = x/n, θ₀ = Σx/Σn, s = √(θ₀(1 − θ₀)/n); ratios and rates: the square-root
scale, y = √(O/E), θ₀ = 1, s = 1/(2√E), E the expected count). The z-scores are Winsorised (the given
percentage at each tail pulled in to the percentiles there, R's default quantile definition) and

* multiplicative: φ = mean of the Winsorised z²; limits θ₀ ± z·√φ·s when φ > 1 (never narrowed);
* additive random effects: τ² = max(0, (Iφ − (I − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ)), wᵢ = 1/sᵢ² (a
  DerSimonian-Laird moment estimate); limits θ₀ ± z·√(s² + τ²).

Limits on the square-root scale are squared back to ratios. Winsorising guards φ against a few true
outliers, at a price: with no outliers, 10% at each tail shrinks φ to about 0.68 of its value (the
Winsorised second moment of a normal), which is the convention's known conservatism.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from gapwatch.stats._confidence import level_label, levels, z_value
from gapwatch.stats._validate import (
    FrameT,
    as_float_array,
    check_non_negative,
    check_numeric,
    collect,
    format_number,
    offending_rows,
    require_columns,
    restore,
)
from gapwatch.stats.rates import exact_poisson_limits

__all__ = [
    "DEFAULT_FUNNEL_LEVELS",
    "DEFAULT_WINSORISE",
    "FUNNEL_POINTS",
    "HIGH_001",
    "HIGH_025",
    "LOW_001",
    "LOW_025",
    "NOT_APPLICABLE_DSR",
    "NOT_SIGNIFICANT",
    "Overdispersion",
    "assign_funnel_significance",
    "calculate_funnel_limits",
    "funnel_axis",
    "funnel_axis_range",
    "funnel_label",
    "funnel_overdispersion",
]

FloatArray = npt.NDArray[np.float64]
Statistic = Literal["proportion", "ratio", "rate"]
Overdispersion = Literal["none", "multiplicative", "additive"]

#: Points on the x axis of a limits table.
FUNNEL_POINTS = 100

HIGH_001 = "High (0.001)"
HIGH_025 = "High (0.025)"
LOW_025 = "Low (0.025)"
LOW_001 = "Low (0.001)"
NOT_SIGNIFICANT = "Not significant"
NOT_APPLICABLE_DSR = "Not applicable for events less than 10 for dsrs"

#: The reference's two levels: 95% ("2s", 2 sigma) and 99.8% ("3s", 3 sigma).
DEFAULT_FUNNEL_LEVELS: tuple[float, float] = (0.95, 0.998)
#: Spiegelhalter's (2005) default: 10% of the z-scores Winsorised at each tail.
DEFAULT_WINSORISE = 10.0

_TAGS = {0.95: "2s", 0.998: "3s"}
_OVERDISPERSION = ("none", "multiplicative", "additive")


def _levels(confidence: Sequence[float]) -> list[tuple[float, str]]:
    """(level, column tag) from the narrowest to the widest: "2s"/"3s" for 95%/99.8%, else "90_0" …"""
    chosen = sorted(set(levels(list(confidence))))
    if any(level >= 1 for level in chosen):
        raise ValueError("confidence: funnel limits need levels below 100%")
    return [(level, _TAGS.get(round(level, 10), level_label(level))) for level in chosen]


def funnel_label(side: Literal["High", "Low"], level: float) -> str:
    """The reference's label for a point beyond the ``level`` limit: the one-sided tail in brackets,
    'High (0.025)' for 95% and 'Low (0.001)' for 99.8%."""
    return f"{side} ({format_number(round((1.0 - level) / 2.0, 10))})"


def _labels(
    high: list[npt.NDArray[np.bool_]], low: list[npt.NDArray[np.bool_]], chosen: list[tuple[float, str]]
) -> npt.NDArray[np.object_]:
    """Labels from the widest level inwards; ``high``/``low`` hold one mask per level, narrowest first."""
    conditions: list[npt.NDArray[np.bool_]] = []
    choices: list[str] = []
    for (level, _tag), above, below in reversed(list(zip(chosen, high, low, strict=True))):
        conditions += [above, below]
        choices += [funnel_label("High", level), funnel_label("Low", level)]
    return np.select(conditions, choices, default=NOT_SIGNIFICANT).astype(object)


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


# --- overdispersion ---------------------------------------------------------------------------------


class _Scale:
    """Spiegelhalter's y, θ₀ and s for each area, and the areas that can be assessed."""

    def __init__(self, y: FloatArray, theta0: float, s: FloatArray, ok: npt.NDArray[np.bool_], name: str) -> None:
        self.y, self.theta0, self.s, self.ok, self.name = y, theta0, s, ok, name

    @property
    def z(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.ok, (self.y - self.theta0) / self.s, np.nan)


def _sqrt_scale(observed: FloatArray, expected: FloatArray, ok: npt.NDArray[np.bool_]) -> _Scale:
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.sqrt(observed / expected)
        s = 1.0 / (2.0 * np.sqrt(expected))
    return _Scale(y, 1.0, s, ok & (expected > 0), "square root of observed / expected")


def _check_winsorise(winsorise: float) -> float:
    if not 0 <= winsorise < 50:
        raise ValueError(f"winsorise: a percentage at each tail from 0 up to (not including) 50, got {winsorise}")
    return winsorise / 100.0


def _dispersion(scale: _Scale, winsorise: float) -> tuple[int, float, float]:
    """(units, φ, τ²) from the Winsorised z-scores (Spiegelhalter 2005)."""
    z = scale.z[scale.ok]
    units = int(z.size)
    if units < 2:
        raise ValueError(f"overdispersion: needs at least 2 areas with a value, got {units}")
    q = _check_winsorise(winsorise)
    low, high = np.quantile(z, [q, 1.0 - q])  # linear interpolation: R's default (type 7)
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    w = 1.0 / scale.s[scale.ok] ** 2
    denominator = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (units * phi - (units - 1)) / denominator) if denominator > 0 else 0.0
    return units, phi, tau2


def _spread(kind: Overdispersion, phi: float, tau2: float, s: FloatArray) -> FloatArray:
    """The standard deviation behind the limits: s, s·√φ (φ > 1 only) or √(s² + τ²)."""
    if kind == "multiplicative":
        return s * math.sqrt(max(phi, 1.0))
    if kind == "additive":
        return np.sqrt(s**2 + tau2)
    return s


def _check_overdispersion(overdispersion: str) -> Overdispersion:
    if overdispersion not in _OVERDISPERSION:
        raise ValueError(f"overdispersion: must be 'none', 'multiplicative' or 'additive', got {overdispersion!r}")
    return overdispersion  # type: ignore[return-value]


def _method(kind: Overdispersion, winsorise: float, base: str, phi: float, tau2: float) -> str:
    if kind == "none":
        return base
    share = f"{format_number(winsorise)}% Winsorised"
    if kind == "multiplicative":
        used = "limits widened by √φ" if phi > 1 else "φ <= 1, limits not widened"
        return f"{base}; multiplicative overdispersion φ = {phi:.4g} ({share} z-scores), {used} (Spiegelhalter 2005)"
    return f"{base}; additive random effects τ² = {tau2:.4g} (φ = {phi:.4g}, {share} z-scores; Spiegelhalter 2005)"


# --- limits -----------------------------------------------------------------------------------------


def _proportion_scale(data: pl.DataFrame, numerator: str, denominator: str) -> _Scale:
    x, n = as_float_array(data, numerator), as_float_array(data, denominator)
    ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
    if not ok.any():
        raise ValueError("funnel limits need at least one row with a numerator and a positive denominator")
    p = float(x[ok].sum() / n[ok].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x / n
        s = np.sqrt(p * (1 - p) / n)
    return _Scale(y, p, s, ok, "proportion")


def _proportion_limits(
    data: pl.DataFrame,
    numerator: str,
    denominator: str,
    multiplier: float,
    axis: FloatArray | None,
    chosen: list[tuple[float, str]],
    kind: Overdispersion,
    winsorise: float,
) -> pl.DataFrame:
    scale = _proportion_scale(data, numerator, denominator)
    p = scale.theta0
    phi, tau2 = (_dispersion(scale, winsorise)[1:]) if kind != "none" else (1.0, 0.0)
    population = funnel_axis(*funnel_axis_range(as_float_array(data, denominator))) if axis is None else axis
    spread = _spread(kind, phi, tau2, np.sqrt(p * (1 - p) / population))
    columns: dict[str, object] = {"population": population}
    for level, tag in chosen:
        half = z_value(level) * spread
        columns[f"lower_{tag}_limit"] = np.clip(p - half, 0.0, 1.0) * multiplier
        columns[f"upper_{tag}_limit"] = np.clip(p + half, 0.0, 1.0) * multiplier
    columns["baseline"] = np.full(population.size, p * multiplier)
    columns["statistic"] = f"proportion ({'percentage' if multiplier == 100 else f'x {format_number(multiplier)}'})"
    columns["method"] = _method(kind, winsorise, "Normal approximation to the binomial", phi, tau2)
    return pl.DataFrame(columns)


def _ratio_value(ratio: FloatArray, ratio_type: str) -> FloatArray:
    return ratio - 1 if ratio_type == "count" else ratio * 100


def _ratio_limits(
    data: pl.DataFrame,
    numerator: str,
    denominator: str,
    ratio_type: str,
    axis: FloatArray | None,
    chosen: list[tuple[float, str]],
    kind: Overdispersion,
    winsorise: float,
) -> pl.DataFrame:
    if ratio_type not in ("count", "isr"):
        raise ValueError(f"ratio_type: must be 'count' or 'isr', got {ratio_type!r}")
    expected = as_float_array(data, denominator)
    baseline = 0.0 if ratio_type == "count" else 100.0
    if kind != "none":
        # Limits are smooth curves in the expected count on the square-root scale.
        observed = as_float_array(data, numerator)
        ok = np.isfinite(observed) & np.isfinite(expected)
        _, phi, tau2 = _dispersion(_sqrt_scale(observed, expected, ok), winsorise)
        size = funnel_axis(*funnel_axis_range(expected)) if axis is None else axis
        spread = _spread(kind, phi, tau2, 1.0 / (2.0 * np.sqrt(size)))
        od: dict[str, object] = {"expected_events": size}
        for level, tag in chosen:
            for side, sign in (("lower", -1.0), ("upper", 1.0)):
                root = np.maximum(1.0 + sign * z_value(level) * spread, 0.0)
                od[f"{side}_{tag}_limit"] = _ratio_value(root**2, ratio_type)
        od["baseline"] = np.full(size.size, baseline)
        od["statistic"] = f"ratio ({ratio_type})"
        od["method"] = _method(kind, winsorise, "Normal on the square-root scale", phi, tau2)
        return pl.DataFrame(od)
    observed_axis = funnel_axis(*funnel_axis_range(expected)) if axis is None else axis
    columns: dict[str, object] = {"observed_events": observed_axis}
    for level, tag in chosen:
        low_count, high_count = exact_poisson_limits(observed_axis, level)
        # the expected count at which the observed count sits on the lower (upper) control limit
        for side, exp_events in (("lower", high_count), ("upper", low_count)):
            with np.errstate(divide="ignore"):
                ratio = observed_axis / exp_events
            columns[f"{side}_{tag}_exp_events"] = exp_events
            columns[f"{side}_{tag}_limit"] = _ratio_value(ratio, ratio_type)
    columns["baseline"] = np.full(observed_axis.size, baseline)
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


def _rate_scale(
    data: pl.DataFrame, numerator: str, denominator: str | None, rate: str, rate_type: str, multiplier: float
) -> tuple[FloatArray, FloatArray, float, _Scale]:
    """Events, population, the baseline rate per person, and the square-root scale for overdispersion."""
    events, population = _rate_population(data, numerator, denominator, rate, multiplier)
    ok = np.isfinite(events) & np.isfinite(population) & (population > 0)
    if not ok.any():
        raise ValueError("rate funnels need at least one row with events and a positive population")
    per_person = float(events[ok].sum() / population[ok].sum())
    assessed = ok & (events >= 10) if rate_type == "dsr" else ok
    return events, population, per_person, _sqrt_scale(events, population * per_person, assessed)


def _rate_limits(
    data: pl.DataFrame,
    numerator: str,
    denominator: str | None,
    rate: str,
    rate_type: str,
    multiplier: float,
    years_of_data: float,
    axis: FloatArray | None,
    chosen: list[tuple[float, str]],
    kind: Overdispersion,
    winsorise: float,
) -> pl.DataFrame:
    events, population, per_person, scale = _rate_scale(data, numerator, denominator, rate, rate_type, multiplier)
    ok = np.isfinite(events) & np.isfinite(population) & (population > 0)
    statistic = f"rate ({rate_type} per {multiplier:,.0f})"
    if kind != "none":
        _, phi, tau2 = _dispersion(scale, winsorise)
        size = funnel_axis(*funnel_axis_range(population[ok] / years_of_data)) if axis is None else axis
        spread = _spread(kind, phi, tau2, 1.0 / (2.0 * np.sqrt(size * years_of_data * per_person)))
        od: dict[str, object] = {"population_1_year": size}
        for level, tag in chosen:
            for side, sign in (("lower", -1.0), ("upper", 1.0)):
                root = np.maximum(1.0 + sign * z_value(level) * spread, 0.0)
                od[f"{side}_{tag}_limit"] = root**2 * per_person * multiplier
        od["baseline"] = np.full(size.size, per_person * multiplier)
        od["statistic"] = statistic
        od["method"] = _method(kind, winsorise, "Normal on the square-root scale", phi, tau2)
        return pl.DataFrame(od)
    if axis is None:
        low, high = funnel_axis_range(population[ok] / years_of_data)
        scale_factor = years_of_data * per_person
        low_events = 1.0 if low == 1 else math.floor(low * scale_factor)
        axis = funnel_axis(max(low_events, 1.0), math.ceil(high * scale_factor))
    columns: dict[str, object] = {"events": axis}
    for level, tag in chosen:
        low_count, high_count = exact_poisson_limits(axis, level)
        for side, exp_events in (("lower", high_count), ("upper", low_count)):
            pop_per_year = exp_events / per_person / years_of_data
            columns[f"{side}_{tag}_population_1_year"] = pop_per_year
            columns[f"{side}_{tag}_limit"] = axis / (pop_per_year * years_of_data) * multiplier
    columns["baseline"] = np.full(axis.size, per_person * multiplier)
    columns["statistic"] = statistic
    columns["method"] = "Poisson"
    return pl.DataFrame(columns)


def _check_inputs(data: pl.DataFrame, *names: str | None) -> None:
    """Numeric, non-negative and finite: an infinite size would put an area on the baseline itself."""
    require_columns(data, *names)
    check_numeric(data, *names)
    check_non_negative(data, *names[:2])
    for name in names:
        if name is not None:
            infinite = data.select(pl.col(name).cast(pl.Float64).is_infinite().fill_null(False)).to_series()
            if infinite.any():
                raise ValueError(f"column '{name}': infinite values in rows {offending_rows(infinite)}")


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
    confidence: Sequence[float] = DEFAULT_FUNNEL_LEVELS,
    overdispersion: Overdispersion = "none",
    winsorise: float = DEFAULT_WINSORISE,
) -> pl.DataFrame:
    """A 100-row table of funnel plot control limits (95% and 99.8% by default) for the areas in ``df``.

    Why: the limits drawn on a funnel plot, so that a chart can show which areas differ from the
    baseline by more than chance. Method: see the module docstring; Spiegelhalter (2005); Fingertips
    technical guidance; PHEindicatormethods ``calculate_funnel_limits``; for overdispersion Spiegelhalter
    (2005, Qual Saf Health Care).

    * ``statistic="proportion"``: ``numerator`` / ``denominator``; x axis ``population``.
    * ``statistic="ratio"``: observed ``numerator`` / expected ``denominator``; x axis
      ``observed_events``; limits as ratio - 1 (``ratio_type="count"``) or ratio × 100 (``"isr"``).
    * ``statistic="rate"``: events ``numerator``, ``rate`` (per ``multiplier``), optional population
      ``denominator``, ``rate_type`` 'dsr' or 'crude' and ``years_of_data``; x axis ``events``, with the
      population per year at each limit.

    ``confidence`` lists the levels (0.95 or 95 …); 95% and 99.8% give the reference's ``2s``/``3s``
    columns, any other level ``lower_90_0_limit`` and so on. ``overdispersion`` "multiplicative" or
    "additive" widens the limits by φ or τ² estimated from the areas' z-scores Winsorised at ``winsorise``
    per cent at each tail; for ratios and rates the table then runs along ``expected_events`` or
    ``population_1_year``, because the limits are smooth curves on the square-root scale. ``axis``
    overrides the x axis values (otherwise 100 whole numbers spread from a tidy range around the data).
    Returns a new frame, always eager.
    """
    data = collect(df)
    _check_inputs(data, numerator, denominator, rate)
    kind = _check_overdispersion(overdispersion)
    chosen = _levels(confidence)
    given = None if axis is None else np.asarray(axis, dtype=np.float64)
    if statistic == "proportion":
        if denominator is None:
            raise ValueError("proportion funnels need a denominator column")
        return _proportion_limits(data, numerator, denominator, multiplier, given, chosen, kind, winsorise)
    if statistic == "ratio":
        if denominator is None or ratio_type is None:
            raise ValueError("ratio funnels need the expected counts (denominator) and a ratio_type")
        return _ratio_limits(data, numerator, denominator, ratio_type, given, chosen, kind, winsorise)
    if statistic == "rate":
        if rate is None or rate_type not in ("dsr", "crude") or years_of_data is None:
            raise ValueError("rate funnels need a rate column, rate_type 'dsr' or 'crude' and years_of_data")
        return _rate_limits(
            data, numerator, denominator, rate, rate_type, multiplier, years_of_data, given, chosen, kind, winsorise
        )
    raise ValueError(f"statistic: must be 'proportion', 'ratio' or 'rate', got {statistic!r}")


# --- significance -----------------------------------------------------------------------------------


def _poisson_labels(
    observed: FloatArray, expected: FloatArray, chosen: list[tuple[float, str]]
) -> npt.NDArray[np.object_]:
    """Where the expected count lies against the observed count's exact limits at each level."""
    high, low = [], []
    for level, _tag in chosen:
        lower, upper = exact_poisson_limits(observed, level)
        high.append(lower > expected)
        low.append(upper < expected)
    return _labels(high, low, chosen)


def _scale_for(
    data: pl.DataFrame,
    numerator: str,
    denominator: str | None,
    statistic: str,
    rate: str | None,
    rate_type: str | None,
    multiplier: float,
) -> _Scale:
    if statistic == "proportion":
        if denominator is None:
            raise ValueError("proportion funnels need a denominator column")
        return _proportion_scale(data, numerator, denominator)
    if statistic == "ratio":
        if denominator is None:
            raise ValueError("ratio funnels need the expected counts (denominator)")
        observed, expected = as_float_array(data, numerator), as_float_array(data, denominator)
        return _sqrt_scale(observed, expected, np.isfinite(observed) & np.isfinite(expected))
    if statistic == "rate":
        if rate is None or rate_type not in ("dsr", "crude"):
            raise ValueError("rate funnels need a rate column and rate_type 'dsr' or 'crude'")
        return _rate_scale(data, numerator, denominator, rate, rate_type, multiplier)[3]
    raise ValueError(f"statistic: must be 'proportion', 'ratio' or 'rate', got {statistic!r}")


def funnel_overdispersion(
    df: pl.DataFrame | pl.LazyFrame,
    numerator: str,
    denominator: str | None,
    *,
    statistic: Statistic,
    rate: str | None = None,
    rate_type: Literal["dsr", "crude"] | None = None,
    multiplier: float = 100000,
    winsorise: float = DEFAULT_WINSORISE,
) -> pl.DataFrame:
    """How much more the areas vary than chance allows: φ and τ² from Winsorised z-scores.

    Why: before trusting a funnel plot, an analyst checks whether most areas sit outside the limits
    because of real, unexplained differences (overdispersion); φ near 1 means the ordinary limits are
    right. Method: Spiegelhalter (2005), "Handling over-dispersion of performance indicators"; see the
    module docstring for the scales. ``winsorise`` is the percentage pulled in at each tail (0 for none).

    Returns one row: ``units`` (areas assessed), ``winsorise``, ``phi``, ``tau2``, ``inflation`` (√φ when
    φ > 1, else 1: how much the multiplicative limits widen), ``scale`` and ``method``. DSRs from fewer
    than 10 events are left out, as they are not assessed.
    """
    data = collect(df)
    _check_inputs(data, numerator, denominator, rate)
    scale = _scale_for(data, numerator, denominator, statistic, rate, rate_type, multiplier)
    units, phi, tau2 = _dispersion(scale, winsorise)
    return pl.DataFrame(
        {
            "units": [units],
            "winsorise": [float(winsorise)],
            "phi": [phi],
            "tau2": [tau2],
            "inflation": [math.sqrt(max(phi, 1.0))],
            "scale": [scale.name],
            "method": ["Winsorised z-scores; φ = mean z², τ² by DerSimonian-Laird moments (Spiegelhalter 2005)"],
        }
    )


def assign_funnel_significance(
    df: FrameT,
    numerator: str,
    denominator: str | None,
    *,
    statistic: Statistic,
    rate: str | None = None,
    rate_type: Literal["dsr", "crude"] | None = None,
    multiplier: float = 100000,
    confidence: Sequence[float] = DEFAULT_FUNNEL_LEVELS,
    overdispersion: Overdispersion = "none",
    winsorise: float = DEFAULT_WINSORISE,
) -> FrameT:
    """Label each area by where it falls against the funnel limits at its own size.

    Labels: 'High (0.001)' / 'Low (0.001)' outside the 99.8% limits, 'High (0.025)' / 'Low (0.025)'
    outside the 95% limits only, otherwise 'Not significant' (other ``confidence`` levels give their own
    one-sided tail, 'High (0.05)' for 90%); DSRs from fewer than 10 events are 'Not applicable for events
    less than 10 for dsrs'. Rows that cannot be assessed get null. Method: see the module docstring;
    Fingertips technical guidance; PHEindicatormethods ``assign_funnel_significance``.

    Adds ``significance``. With ``overdispersion`` "multiplicative" or "additive" the area's z-score on
    Spiegelhalter's scale is compared with the widened limits instead, and ``z_score`` (before the
    adjustment), ``z_adjusted`` (after it), ``phi`` and ``tau2`` are added too.
    """
    data = collect(df)
    _check_inputs(data, numerator, denominator, rate)
    kind = _check_overdispersion(overdispersion)
    chosen = _levels(confidence)
    scale = _scale_for(data, numerator, denominator, statistic, rate, rate_type, multiplier)
    extra: list[pl.Series] = []
    if kind != "none":
        _, phi, tau2 = _dispersion(scale, winsorise)
        z = scale.z
        with np.errstate(divide="ignore", invalid="ignore"):
            adjusted = (scale.y - scale.theta0) / _spread(kind, phi, tau2, scale.s)
        labels = _labels(
            [adjusted > z_value(lv) for lv, _ in chosen], [adjusted < -z_value(lv) for lv, _ in chosen], chosen
        )
        labels[~scale.ok] = None
        n = data.height
        extra = [
            pl.Series("z_score", np.where(scale.ok, z, np.nan), nan_to_null=True),
            pl.Series("z_adjusted", np.where(scale.ok, adjusted, np.nan), nan_to_null=True),
            pl.Series("phi", np.full(n, phi)),
            pl.Series("tau2", np.full(n, tau2)),
        ]
    elif statistic == "proportion":
        p, phat, se = scale.theta0, scale.y, scale.s
        labels = _labels(
            [phat > p + z_value(lv) * se for lv, _ in chosen], [phat < p - z_value(lv) * se for lv, _ in chosen], chosen
        )
        labels[~scale.ok] = None
    elif statistic == "ratio":
        assert denominator is not None  # checked by _scale_for
        observed, expected = as_float_array(data, numerator), as_float_array(data, denominator)
        labels = _poisson_labels(observed, expected, chosen)
        labels[~(np.isfinite(observed) & np.isfinite(expected))] = None
    else:
        assert rate is not None  # checked by _scale_for
        events, population, per_person, _ = _rate_scale(data, numerator, denominator, rate, str(rate_type), multiplier)
        ok = np.isfinite(events) & np.isfinite(population) & (population > 0)
        labels = _poisson_labels(events, population * per_person, chosen)
        labels[~ok] = None
    if statistic == "rate" and rate_type == "dsr":
        events = as_float_array(data, numerator)
        labels[events < 10] = NOT_APPLICABLE_DSR
    out = data.with_columns(pl.Series("significance", labels.tolist(), dtype=pl.String), *extra)
    return restore(out, df)
