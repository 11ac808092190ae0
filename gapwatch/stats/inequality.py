"""Slope and relative index of inequality across deprivation quantiles.

The SII answers "how much better off is the least deprived end of the population than the most deprived
end?" in the indicator's own units, using every quantile rather than comparing only the two extremes; the
RII states the same gradient as a ratio. Method: Low & Low (2004), "Measuring the gap: quantifying and
comparing local health inequalities", J Public Health 26(4):388-395; the PHE technical guide on the SII and
the reference implementation PHEindicatormethods ``phe_sii`` (implemented here from the method description,
not from its source).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import special

from gapwatch.stats._confidence import ConfidenceArg, cl_column_names, levels, z_value
from gapwatch.stats._validate import (
    FrameT,
    as_float_array,
    check_non_negative,
    check_numeric,
    collect,
    confidence_label,
    float_series,
    offending_rows,
    require_columns,
    restore,
    validate_group_by,
)
from gapwatch.stats.proportions import wilson_limits
from gapwatch.stats.rates import poisson_count_limits

__all__ = ["MIN_QUANTILES", "MAX_QUANTILES", "WARN_QUANTILES", "sii"]

FloatArray = npt.NDArray[np.float64]

#: The reference computes the SII only with 5 to 100 quantiles and warns above 10.
MIN_QUANTILES = 5
MAX_QUANTILES = 100
WARN_QUANTILES = 10
#: Minimum number of simulations (the reference refuses fewer than 1,000).
MIN_REPETITIONS = 1000
#: Runs made for the reliability statistic (the first is the reported interval).
RELIABILITY_RUNS = 10
#: Upper bound on simulated numbers held in memory at once (groups are simulated in batches).
_BATCH_CELLS = 4_000_000


def sii(
    df: FrameT,
    *,
    quantile_col: str,
    population: str,
    value: str | None = None,
    x: str | None = None,
    value_type: int = 0,
    lower: str | None = None,
    upper: str | None = None,
    se: str | None = None,
    limits_level: float = 0.95,
    multiplier: float = 1.0,
    group_by: Sequence[str] | str | None = None,
    confidence: ConfidenceArg = 0.95,
    repetitions: int = 100_000,
    rii: bool = False,
    intercept: bool = False,
    transform: bool = False,
    reliability_stat: bool = False,
    seed: int | np.random.Generator | None = None,
) -> FrameT:
    """Slope index of inequality (and optionally the RII) per group, with simulated confidence limits.

    Why: a board asking "is the gap between deprived and non-deprived areas reducing?" needs one number
    per area and period that uses the whole deprivation gradient and says how sure we are of it.

    Method (Low & Low 2004; PHE SII technical guide; PHEindicatormethods ``phe_sii``):

    * quantiles are ordered by ``quantile_col`` (1 = most deprived); each gets the midpoint of its range
      in the cumulative population share as its relative rank ``x`` (0..1);
    * the value is regressed on ``x`` by least squares weighted by population share (the reference's
      square-root transformation, which is the same fit); SII = slope = fitted value at rank 1 minus
      fitted value at rank 0, RII = fitted(1) / fitted(0), intercept = fitted(0);
    * with ``transform`` the fit is made on log rates (``value_type`` 1) or logit proportions (2), and
      SII, RII and intercept are the differences, ratios and values of the back-transformed fitted ends;
    * confidence limits are simulated: each quantile's value is drawn ``repetitions`` times from a normal
      distribution with its standard error (on the log / logit scale for rates / proportions, then
      back-transformed unless ``transform``), the model is refitted to every draw and the limits are the
      percentiles of the simulated SIIs (and RIIs). Draws come from a NumPy ``Generator`` seeded with
      ``seed``: the same seed and data give the same limits.

    Standard errors: ``se`` when given (for rates and proportions it is the standard error of the log
    rate / logit proportion, as in the reference); otherwise from the ``limits_level`` limits ``lower`` and
    ``upper`` (transformed first for rates and proportions): (upper - lower) / (2 z); otherwise, for
    rates and proportions with counts ``x``, from exact/Byar's Poisson or Wilson limits of ``x`` out of
    ``population``. ``value`` may be left out for proportions and rates when ``x`` is given: it is then
    ``x / population``. ``multiplier`` scales the SII and intercept (e.g. 100 for percentages); a negative
    multiplier reverses polarity: the SII changes sign and the RII is inverted.

    When the SII is not computed, as in the reference: fewer than 5 or more than 100 quantiles in the
    data (``ValueError``); a group with some quantiles missing, or with a missing or zero population,
    value or standard error (or a value that cannot be logged / logit-transformed): null results and a
    ``sii_note`` saying why, with a ``UserWarning``. More than 10 quantiles gives a ``UserWarning`` that
    small values can make the SII unstable. Unlike the reference, a zero or missing population is not an
    error: only that group is left without an SII.

    Returns one row per group with ``sii`` and its limit columns (``sii_lowercl``/``sii_uppercl`` or
    ``sii_lower95_0cl``... for several levels), then ``rii`` and its limits when ``rii``, ``intercept``
    when asked, ``sii_mad``/``rii_mad`` (mean absolute difference of the limits over 9 further runs of the
    simulation) when ``reliability_stat``, and ``confidence``, ``method`` and ``sii_note``.
    """
    keys = validate_group_by(df, group_by)
    _check_arguments(value, x, value_type, lower, upper, se, transform, repetitions, confidence)
    require_columns(df, quantile_col, population, value, x, lower, upper, se)
    data = collect(df)
    check_numeric(data, quantile_col, population, value, x, lower, upper, se)
    check_non_negative(data, population, x, se)
    _check_proportions(data, value_type, value, lower, upper)

    rows = _prepare_rows(data, keys, quantile_col, population, value, x, value_type, lower, upper, se, limits_level)
    n_quantiles = int(data.get_column(quantile_col).drop_nulls().n_unique())
    if n_quantiles < MIN_QUANTILES or n_quantiles > MAX_QUANTILES:
        raise ValueError(
            f"column '{quantile_col}': the number of quantiles must be between {MIN_QUANTILES} and "
            f"{MAX_QUANTILES}, found {n_quantiles}"
        )
    if n_quantiles > WARN_QUANTILES:
        warnings.warn(
            f"sii: {n_quantiles} quantiles; small values can make the SII unstable when using a large "
            "number of quantiles",
            UserWarning,
            stacklevel=2,
        )
    groups = _group_status(rows, keys, n_quantiles, quantile_col)
    ok = groups.get_column("sii_note").is_null().to_numpy()
    if not ok.all():
        notes = groups.filter(pl.col("sii_note").is_not_null()).height
        warnings.warn(
            f"sii: {notes} group(s) left without an SII because of incomplete or invalid data "
            "(see the sii_note column)",
            UserWarning,
            stacklevel=2,
        )

    good = rows.join(groups.filter(pl.col("sii_note").is_null()).select("_gid"), on="_gid", how="semi").sort(
        ["_gid", quantile_col]
    )
    shape = (int(ok.sum()), n_quantiles)
    pop = as_float_array(good, "_pop").reshape(shape)
    centre = as_float_array(good, "_centre").reshape(shape)
    spread = as_float_array(good, "_se").reshape(shape)

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    kind = value_type if value_type in (1, 2) else 0
    results = _compute(
        pop,
        centre,
        spread,
        kind,
        transform,
        multiplier,
        levels(confidence),
        repetitions,
        rng,
        reliability_stat,
    )

    out = groups.drop("_gid")
    columns = _result_columns(results, ok, confidence, rii, intercept, reliability_stat)
    out = out.with_columns(columns)
    method = "Low & Low (2004) SII, simulated confidence limits"
    if transform:
        method += ", log-transformed rates" if kind == 1 else ", logit-transformed proportions"
    out = out.with_columns(
        pl.lit(confidence_label(confidence)).alias("confidence"),
        pl.lit(method).alias("method"),
        pl.col("sii_note"),
    )
    ordered = keys + [c.name for c in columns] + ["confidence", "method", "sii_note"]
    return restore(out.select(ordered), df)


# --- argument and data checks -------------------------------------------------------------------------


def _check_arguments(
    value: str | None,
    x: str | None,
    value_type: int,
    lower: str | None,
    upper: str | None,
    se: str | None,
    transform: bool,
    repetitions: int,
    confidence: ConfidenceArg,
) -> None:
    if value_type not in (0, 1, 2):
        raise ValueError(f"value_type: should be 0, 1 or 2, got {value_type!r}")
    if value is None and not (x is not None and value_type in (1, 2)):
        raise ValueError("value: a value column is needed, or x for a rate or proportion")
    if transform and value_type not in (1, 2):
        raise ValueError("transform: value_type should be 1 (rate) or 2 (proportion) when transform is true")
    if (lower is None) != (upper is None):
        raise ValueError("lower/upper: give both confidence limit columns, or neither")
    if se is None and lower is None and not (x is not None and value_type in (1, 2)):
        raise ValueError("se: give se, or lower and upper, (or x for a rate or proportion)")
    if int(repetitions) < MIN_REPETITIONS:
        raise ValueError(f"repetitions: must be {MIN_REPETITIONS} or greater, got {repetitions}")
    for level in levels(confidence):
        if level < 0.9 or level >= 1:
            raise ValueError(f"confidence: levels must be between 0.9 and 1 (or 90 and 100), got {level}")


def _check_proportions(data: pl.DataFrame, value_type: int, *names: str | None) -> None:
    if value_type != 2:
        return
    for name in names:
        if name is None:
            continue
        mask = data.select(((pl.col(name) < 0) | (pl.col(name) > 1)).fill_null(False)).to_series()
        if mask.any():
            raise ValueError(
                f"column '{name}': proportions must lie between 0 and 1 (value_type 2), rows {offending_rows(mask)}"
            )


# --- per-row preparation ------------------------------------------------------------------------------


def _forward(kind: int, values: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == 1:
            return np.log(values)
        if kind == 2:
            return np.asarray(special.logit(values), dtype=np.float64)
    return values


def _backward(kind: int, values: FloatArray) -> FloatArray:
    with np.errstate(over="ignore"):
        if kind == 1:
            return np.exp(values)
        if kind == 2:
            return np.asarray(special.expit(values), dtype=np.float64)
    return values


def _prepare_rows(
    data: pl.DataFrame,
    keys: list[str],
    quantile_col: str,
    population: str,
    value: str | None,
    x: str | None,
    value_type: int,
    lower: str | None,
    upper: str | None,
    se: str | None,
    limits_level: float,
) -> pl.DataFrame:
    """Each row's value and standard error on the simulation scale, with a reason when unusable."""
    kind = value_type if value_type in (1, 2) else 0
    pop = as_float_array(data, population)
    with np.errstate(divide="ignore", invalid="ignore"):
        count = as_float_array(data, x) if x is not None else np.full(data.height, np.nan)
        vals = as_float_array(data, value) if value is not None else count / pop
        if se is not None:
            spread = as_float_array(data, se)
        else:
            if lower is not None and upper is not None:
                lo, hi = as_float_array(data, lower), as_float_array(data, upper)
            elif kind == 2:
                lo, hi = wilson_limits(count, pop, limits_level)
            else:
                lo, hi = poisson_count_limits(count, limits_level)
            spread = (_forward(kind, hi) - _forward(kind, lo)) / (2.0 * z_value(limits_level))
        centre = _forward(kind, vals)

    reason = np.full(data.height, None, dtype=object)
    checks: list[tuple[npt.NDArray[np.bool_], str]] = [
        (~np.isfinite(spread) | (spread <= 0), "missing or zero standard error"),
        (
            ~np.isfinite(centre),
            "missing value"
            if kind == 0
            else "missing value, or one that cannot be " + ("logged" if kind == 1 else "logit-transformed"),
        ),
        (~np.isfinite(pop) | (pop <= 0), "missing or zero population"),
    ]
    for mask, text in checks:
        reason = np.where(mask, text, reason)
    frame = data.select(*keys, pl.col(quantile_col)).with_columns(
        pl.Series("_pop", pop, dtype=pl.Float64),
        pl.Series("_centre", centre, dtype=pl.Float64),
        pl.Series("_se", spread, dtype=pl.Float64),
        pl.Series("_reason", reason.tolist(), dtype=pl.String),
    )
    if not keys:
        return frame.with_columns(pl.lit(0, dtype=pl.UInt32).alias("_gid"))
    ids = frame.select(keys).unique(maintain_order=True).with_row_index("_gid")
    return frame.join(ids, on=keys, how="left", nulls_equal=True, maintain_order="left")


def _group_status(rows: pl.DataFrame, keys: list[str], n_quantiles: int, quantile_col: str) -> pl.DataFrame:
    """One row per group (in order of appearance) with a note when its SII cannot be computed."""
    aggs = [
        pl.col("_gid").first(),
        pl.col(quantile_col).drop_nulls().n_unique().alias("_distinct"),
        pl.col(quantile_col).null_count().alias("_null_q"),
        pl.col("_reason").drop_nulls().first().alias("_first_reason"),
    ]
    grouped = rows.group_by(keys, maintain_order=True).agg(aggs) if keys else rows.select(aggs)
    repeated = rows.select(
        pl.struct([*keys, quantile_col]).is_duplicated() & pl.col(quantile_col).is_not_null()
    ).to_series()
    if repeated.any():
        raise ValueError(
            f"column '{quantile_col}': each group needs one row per quantile; repeated in rows "
            f"{offending_rows(repeated)}"
        )
    note = (
        pl.when(pl.col("_null_q") > 0)
        .then(pl.lit("missing quantile label"))
        .when(pl.col("_distinct") < n_quantiles)
        .then(pl.format("only {} of {} quantiles", pl.col("_distinct"), pl.lit(n_quantiles)))
        .otherwise(pl.col("_first_reason"))
        .alias("sii_note")
    )
    return grouped.with_columns(note).select(*keys, "_gid", "sii_note")


# --- the computation ----------------------------------------------------------------------------------


def _fit(y: FloatArray, w: FloatArray, xr: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted least-squares intercept and slope along the last axis (weights sum to 1)."""
    x_bar = np.sum(w * xr, axis=-1, keepdims=True)
    y_bar = np.sum(w * y, axis=-1, keepdims=True)
    dx = xr - x_bar
    slope = np.sum(w * dx * (y - y_bar), axis=-1) / np.sum(w * dx * dx, axis=-1)
    return y_bar[..., 0] - slope * x_bar[..., 0], slope


def _ends(a: FloatArray, b: FloatArray, kind: int, transform: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(SII, RII, intercept) on the value scale from the fitted line."""
    if transform:
        start, end = _backward(kind, a), _backward(kind, a + b)
    else:
        start, end = a, a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        return end - start, end / start, start


def _compute(
    pop: FloatArray,
    centre: FloatArray,
    spread: FloatArray,
    kind: int,
    transform: bool,
    multiplier: float,
    level_list: list[float],
    repetitions: int,
    rng: np.random.Generator,
    reliability_stat: bool,
) -> dict[str, FloatArray]:
    groups, n_q = pop.shape
    weight = pop / pop.sum(axis=1, keepdims=True)
    rank = np.cumsum(weight, axis=1) - weight / 2.0
    fitted_scale = centre if transform else _backward(kind, centre)
    a, b = _fit(fitted_scale, weight, rank)
    s_hat, r_hat, i_hat = _ends(a, b, kind, transform)

    runs = RELIABILITY_RUNS if reliability_stat else 1
    probs = np.array([p for level in level_list for p in ((1 - level) / 2, (1 + level) / 2)])
    sims_s = np.empty((runs, groups, probs.size))
    sims_r = np.empty((runs, groups, probs.size))
    batch = max(1, _BATCH_CELLS // max(1, repetitions * n_q))
    for run in range(runs):
        for start in range(0, groups, batch):
            part = slice(start, min(groups, start + batch))
            draws = rng.standard_normal((part.stop - part.start, repetitions, n_q))
            sim = centre[part, None, :] + draws * spread[part, None, :]
            if not transform:
                sim = _backward(kind, sim)
            sa, sb = _fit(sim, weight[part, None, :], rank[part, None, :])
            s_sim, r_sim, _ = _ends(sa, sb, kind, transform)
            sims_s[run, part] = np.quantile(s_sim, probs, axis=1).T
            sims_r[run, part] = np.quantile(r_sim, probs, axis=1).T

    out: dict[str, FloatArray] = {}
    sign = -1.0 if multiplier < 0 else 1.0
    scale = abs(multiplier)
    out["sii"] = s_hat * multiplier
    out["rii"] = r_hat if sign > 0 else 1.0 / r_hat
    out["intercept"] = i_hat * scale
    for k, _level in enumerate(level_list):
        lo_s, hi_s = sims_s[0, :, 2 * k] * multiplier, sims_s[0, :, 2 * k + 1] * multiplier
        lo_r, hi_r = sims_r[0, :, 2 * k], sims_r[0, :, 2 * k + 1]
        if sign < 0:
            lo_s, hi_s = hi_s, lo_s
            lo_r, hi_r = 1.0 / hi_r, 1.0 / lo_r
        out[f"sii_lo{k}"], out[f"sii_hi{k}"] = lo_s, hi_s
        out[f"rii_lo{k}"], out[f"rii_hi{k}"] = lo_r, hi_r
        if reliability_stat:
            pair = slice(2 * k, 2 * k + 2)
            out[f"sii_mad{k}"] = np.mean(np.abs(sims_s[1:, :, pair] - sims_s[:1, :, pair]), axis=(0, 2)) * scale
            r_runs = sims_r if sign > 0 else 1.0 / sims_r
            out[f"rii_mad{k}"] = np.mean(np.abs(r_runs[1:, :, pair] - r_runs[:1, :, pair]), axis=(0, 2))
    return out


def _result_columns(
    results: dict[str, FloatArray],
    ok: npt.NDArray[np.bool_],
    confidence: ConfidenceArg,
    rii: bool,
    intercept: bool,
    reliability_stat: bool,
) -> list[pl.Series]:
    """Spread per-computed-group results over all groups (null where not computed) as named columns."""

    def spread_out(name: str, values: FloatArray) -> pl.Series:
        full = np.full(ok.size, np.nan)
        full[ok] = values
        return float_series(name, full)

    names = cl_column_names(confidence)
    several = len(names) > 1
    columns = [spread_out("sii", results["sii"])]
    for k, (_level, lo, hi) in enumerate(names):
        columns += [
            spread_out(f"sii_{lo}", results[f"sii_lo{k}"]),
            spread_out(f"sii_{hi}", results[f"sii_hi{k}"]),
        ]
    if rii:
        columns.append(spread_out("rii", results["rii"]))
        for k, (_level, lo, hi) in enumerate(names):
            columns += [
                spread_out(f"rii_{lo}", results[f"rii_lo{k}"]),
                spread_out(f"rii_{hi}", results[f"rii_hi{k}"]),
            ]
    if intercept:
        columns.append(spread_out("intercept", results["intercept"]))
    if reliability_stat:
        for k, (_level, lo, _hi) in enumerate(names):
            suffix = lo.removeprefix("lower").removesuffix("cl") if several else ""
            columns.append(spread_out(f"sii_mad{suffix}", results[f"sii_mad{k}"]))
            if rii:
                columns.append(spread_out(f"rii_mad{suffix}", results[f"rii_mad{k}"]))
    return columns
