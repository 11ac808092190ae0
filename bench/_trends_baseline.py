"""The baseline of bench/bench_trends.py: ``recent_trend`` as it was before the speed work of issue 15.

Copied verbatim (functions and constants ``recent_trend`` needs; ``gap_trend`` left out) from
gapwatch/stats/trends.py at commit 1921254042aab087d8cc2270625a151314b39eee (24 Nov 2026, "Data importers
and lineage, web application ..."), the version the issue's 3.7 s for 990,000 series was measured on: it
numbers the groups (``unique`` + ``join``), sorts the whole table by group and period and numbers each
group's rows from the end with ``over``. The p-value was already ``erfc`` (commit 4c5bc88). The next commit
to touch the module (135733d) began the speed work.

Kept here so that the benchmark times the old and the current implementation side by side, in one run, on
the same input, and checks that they give the same frame. Not part of gapwatch; nothing imports it but the
benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import special as sps_special

from gapwatch.stats._confidence import levels, z_value
from gapwatch.stats._validate import (
    FrameT,
    as_float_array,
    check_at_most,
    check_non_negative,
    check_numeric,
    collect,
    float_series,
    require_columns,
    restore,
    validate_group_by,
)

__all__ = ["recent_trend"]

TrendMeasure = Literal["proportion", "rate", "value"]
FloatArray = npt.NDArray[np.float64]

NO_CHANGE = "no significant change"
CANNOT_CALCULATE = "could not be calculated"
#: A strict level limits false alarms when hundreds of series are tested at once; 99.9% is our reading of
#: the Fingertips trend-marker guidance (pass ``confidence=0.95`` for a conventional 5% test).
DEFAULT_TREND_CONFIDENCE = 0.999


def polarity_sign(polarity: pl.Expr) -> pl.Expr:
    """+1 for "high is good", -1 for "low is good", null otherwise (e.g. "not applicable").

    Accepts the wordings in use ("High is good", "RAG - Low is good", "higher", "lower", booleans
    meaning high-is-good); case and surrounding text do not matter.
    """
    text = polarity.cast(pl.String).str.to_lowercase()
    return (
        pl.when(text.is_in(["true", "high", "higher", "up", "increase"]) | text.str.contains("high"))
        .then(pl.lit(1, dtype=pl.Int8))
        .when(text.is_in(["false", "low", "lower", "down", "decrease"]) | text.str.contains("low"))
        .then(pl.lit(-1, dtype=pl.Int8))
        .otherwise(pl.lit(None, dtype=pl.Int8))
    )


def trend_test(
    t: FloatArray, y: FloatArray, w: FloatArray, dispersion: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted least-squares slope and 1-df chi-squared statistic, row-wise over a (groups x points) grid.

    slope = sum w (t - tw)(y - yw) / S with S = sum w (t - tw)^2 and tw, yw weighted means;
    chi2 = slope^2 * S / dispersion. With w = n and dispersion = p(1 - p) this is the Cochran-Armitage
    test (Cochran 1954; Armitage 1955), with w = n and dispersion = the pooled rate the Poisson score test
    for a log-linear trend (Breslow & Day 1987), with w = 1 / SE^2 and dispersion 1 the Fingertips test for
    other values. Returns (slope, chi2, p-value).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.sum(w, axis=1, keepdims=True)
        tw = np.sum(w * t, axis=1, keepdims=True) / total
        yw = np.sum(w * y, axis=1, keepdims=True) / total
        dt = t - tw
        s = np.sum(w * dt * dt, axis=1)
        slope = np.sum(w * dt * (y - yw), axis=1) / s
        scale = np.ones_like(slope) if dispersion is None else dispersion
        chi2 = slope * slope * s / scale
    chi2 = np.where(np.isfinite(chi2), chi2, np.nan)
    # Upper tail of chi-squared with 1 df, written as erfc(sqrt(chi2 / 2)): identical and far faster.
    p_value = np.asarray(sps_special.erfc(np.sqrt(chi2 / 2.0)), dtype=np.float64)
    return slope, chi2, p_value


def recent_trend(
    df: FrameT,
    *,
    period_order_col: str,
    x: str | None = None,
    n: str | None = None,
    measure: TrendMeasure = "proportion",
    value: str | None = None,
    se: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    limits_level: float = 0.95,
    group_by: Sequence[str] | str | None = None,
    polarity: str | None = None,
    points: int = 5,
    confidence: float = DEFAULT_TREND_CONFIDENCE,
    multiplier: float = 1.0,
) -> FrameT:
    """The recent trend of each series over its last ``points`` periods (Fingertips trend markers).

    Why: boards ask whether an indicator is getting better, and a straight comparison of the last two
    years is mostly noise; the Fingertips method tests for a linear trend over the latest five points.

    Method: the last ``points`` rows of each group by ``period_order_col`` (its values are the time axis;
    non-numeric periods are ranked), then

    * ``measure="proportion"`` (``x`` of ``n``): chi-squared test for linear trend (Cochran 1954;
      Armitage 1955): slope of p on t weighted by n, chi2 = slope^2 S / (p(1 - p)) with the pooled p;
    * ``measure="rate"`` (``x`` events in ``n``): the Poisson score test for a log-linear trend, the
      same statistic with the pooled rate x/n as dispersion (Breslow & Day 1987);
    * ``measure="value"``: weighted least squares with weights 1/SE^2, the SE from ``se`` or from the
      ``limits_level`` limits ``lower``/``upper`` (Fingertips trend markers for other indicator types).

    The trend is significant when the 1-df chi-squared statistic passes the ``confidence`` level (default
    99.9%, see ``DEFAULT_TREND_CONFIDENCE``). Fewer than ``points`` usable points (or a missing count) gives
    "could not be calculated". ``polarity`` is "high is good" / "low is good" (or a column holding it).

    Returns one row per group with ``trend_points``, ``trend_slope`` (change per period, times
    ``multiplier`` for proportions and rates), ``trend_chi2``, ``trend_p``, ``trend`` ("increasing",
    "decreasing", "no significant change", "could not be calculated") and ``trend_assessment``
    ("getting better", "getting worse", the same "no significant change" / "could not be calculated", or
    null without polarity).
    """
    if measure not in ("proportion", "rate", "value"):
        raise ValueError(f"measure: should be 'proportion', 'rate' or 'value', got {measure!r}")
    if measure == "value":
        if value is None or (se is None and (lower is None or upper is None)):
            raise ValueError("value: measure 'value' needs value and se (or lower and upper)")
    elif x is None or n is None:
        raise ValueError(f"x/n: measure {measure!r} needs x and n")
    keys = validate_group_by(df, group_by)
    polarity_col = polarity if polarity is not None and polarity in _names(df) else None
    require_columns(df, period_order_col, x, n, value, se, lower, upper)
    data = collect(df)
    check_numeric(data, x, n, value, se, lower, upper)
    check_non_negative(data, x, n, se)
    if measure == "proportion":
        check_at_most(data, str(x), str(n))

    cols: dict[str, pl.Expr] = {}
    if measure == "value":
        assert value is not None
        cols["_y"] = pl.col(value).cast(pl.Float64)
        if se is not None:
            spread = pl.col(se).cast(pl.Float64)
        else:
            spread = (pl.col(str(upper)) - pl.col(str(lower))).cast(pl.Float64) / (2 * z_value(limits_level))
        cols["_w"] = 1.0 / (spread * spread)
        cols["_x"] = pl.lit(0.0)
    else:
        cols["_x"] = pl.col(str(x)).cast(pl.Float64)
        cols["_w"] = pl.col(str(n)).cast(pl.Float64)
        cols["_y"] = cols["_x"] / cols["_w"]
    if polarity_col is not None:
        cols["_pol"] = polarity_sign(pl.col(polarity_col))
    grid, usable, meta = _last_points(data, keys, period_order_col, cols, points)
    t, y, w, xs = grid["_t"], grid["_y"], grid["_w"], grid["_x"]

    dispersion: FloatArray | None = None
    if measure != "value":
        with np.errstate(divide="ignore", invalid="ignore"):
            pooled = np.sum(xs, axis=1) / np.sum(w, axis=1)
        dispersion = pooled * (1 - pooled) if measure == "proportion" else pooled
    slope, chi2, p_value = trend_test(t, y, w, dispersion)
    scale = multiplier if measure != "value" else 1.0

    labels = _classify(slope, p_value, usable, confidence, up="increasing", down="decreasing")
    if polarity_col is not None:
        sign = meta.get_column("_pol").cast(pl.Float64).fill_null(np.nan).to_numpy()
    elif polarity is not None:
        sign_value = pl.select(polarity_sign(pl.lit(polarity))).item()
        sign = np.full(meta.height, np.nan if sign_value is None else float(sign_value))
    else:
        sign = np.full(meta.height, np.nan)
    assessment = _assess(labels, sign, polarity is not None)
    out = meta.select("_gid", *keys).with_columns(
        pl.Series("trend_points", meta.get_column("_count").to_numpy(), dtype=pl.Int64),
        float_series("trend_slope", np.where(usable, slope * scale, np.nan)),
        float_series("trend_chi2", np.where(usable, chi2, np.nan)),
        float_series("trend_p", np.where(usable, p_value, np.nan)),
        pl.Series("trend", labels.tolist(), dtype=pl.String),
        pl.Series("trend_assessment", assessment.tolist(), dtype=pl.String),
    )
    return restore(out.drop("_gid"), df)


def _names(df: pl.DataFrame | pl.LazyFrame) -> list[str]:
    return df.collect_schema().names() if isinstance(df, pl.LazyFrame) else df.columns


def _last_points(
    data: pl.DataFrame,
    keys: list[str],
    period: str,
    cols: dict[str, pl.Expr],
    points: int,
    *,
    minimum: int | None = None,
) -> tuple[dict[str, FloatArray], npt.NDArray[np.bool_], pl.DataFrame]:
    """The last ``points`` rows of each group as (groups x points) arrays, a usable mask, group keys.

    Cells of groups with fewer rows are padded with weight 0. The mask marks groups with at least
    ``minimum`` rows (default: exactly ``points``) whose values and weights are all usable.
    """
    if points < 2:
        raise ValueError(f"points: at least 2 points are needed, got {points}")
    need = points if minimum is None else minimum
    dtype = data.schema[period]
    if dtype.is_numeric():
        t_expr = pl.col(period).cast(pl.Float64)
    else:
        t_expr = pl.col(period).rank("dense").cast(pl.Float64)
    order = data.select(keys).unique(maintain_order=True).with_row_index("_gid") if keys else None
    frame = data.filter(pl.col(period).is_not_null()).with_columns(t_expr.alias("_t"), **cols)
    if order is not None:
        frame = frame.join(order, on=keys, how="left", nulls_equal=True, maintain_order="left")
        groups = order.height
    else:
        frame = frame.with_columns(pl.lit(0, dtype=pl.UInt32).alias("_gid"))
        groups = 1
    frame = frame.sort(["_gid", "_t"])
    rank_from_end = pl.int_range(pl.len(), 0, -1).over("_gid") - 1
    frame = frame.with_columns(rank_from_end.alias("_back")).filter(pl.col("_back") < points)
    gid = frame.get_column("_gid").to_numpy().astype(np.int64)
    back = frame.get_column("_back").to_numpy().astype(np.int64)
    count = np.bincount(gid, minlength=groups)
    column = np.minimum(count, points)[gid] - 1 - back
    grid: dict[str, FloatArray] = {}
    filled = np.zeros((groups, points), dtype=bool)
    filled[gid, column] = True
    bad = np.zeros(groups, dtype=bool)
    for c in ("_t", "_y", "_w", "_x"):
        values = as_float_array(frame, c)
        arr = np.zeros((groups, points))
        arr[gid, column] = values
        grid[c] = arr
        bad_rows = ~np.isfinite(values) | ((values <= 0) if c == "_w" else False)
        np.logical_or.at(bad, gid, bad_rows)
    usable = (count >= need) & ~bad
    meta = order if order is not None else pl.DataFrame({"_gid": [0]})
    meta = meta.with_columns(pl.Series("_count", np.minimum(count, points), dtype=pl.Int64))
    if "_pol" in frame.columns:
        pol = frame.group_by("_gid").agg(pl.col("_pol").drop_nulls().last())
        meta = meta.join(pol, on="_gid", how="left")
    return grid, usable, meta


def _classify(
    slope: FloatArray,
    p_value: FloatArray,
    usable: npt.NDArray[np.bool_],
    confidence: float,
    *,
    up: str,
    down: str,
    direction: FloatArray | None = None,
) -> npt.NDArray[np.object_]:
    level = levels(confidence)[0]
    significant = usable & (p_value < 1 - level)
    sign = np.sign(slope) if direction is None else direction
    labels = np.where(significant, np.where(sign > 0, up, down), NO_CHANGE).astype(object)
    return np.where(usable, labels, CANNOT_CALCULATE).astype(object)


def _assess(labels: npt.NDArray[np.object_], sign: FloatArray, wanted: bool) -> npt.NDArray[np.object_]:
    if not wanted:
        return np.full(labels.size, None, dtype=object)
    up = labels == "increasing"
    down = labels == "decreasing"
    better = (up & (sign > 0)) | (down & (sign < 0))
    worse = (up & (sign < 0)) | (down & (sign > 0))
    out = labels.copy()
    out[better] = "getting better"
    out[worse] = "getting worse"
    out[(up | down) & ~np.isfinite(sign)] = None
    return out
