"""Recent trends and the trend of a gap, tested over the last few periods.

"Is it getting better?" is answered the way OHID Fingertips answers it on its trend markers: a test for
a linear trend over the five most recent points, reported as increasing / decreasing / no significant
change and, with the indicator's polarity, getting better / getting worse. For proportions that is the
chi-squared test for trend (Cochran 1954; Armitage 1955); for rates the Poisson analogue (the score test
for a log-linear trend, which is the same statistic with the pooled rate in place of p(1 - p)); for other
values and for gaps a weighted least-squares slope with weights 1 / SE^2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import special as sps_special

from gapwatch.stats._confidence import levels, z_value
from gapwatch.stats._series_rows import group_code, rows_by_code, rows_by_hash
from gapwatch.stats._validate import (
    FrameT,
    check_at_most,
    check_non_negative,
    check_numeric,
    collect,
    float_series,
    require_columns,
    restore,
    validate_group_by,
)

__all__ = [
    "CANNOT_CALCULATE",
    "NO_CHANGE",
    "TrendMeasure",
    "gap_trend",
    "polarity_sign",
    "recent_trend",
    "trend_test",
]

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
    grid, usable, meta = _last_points(data, keys, period_order_col, cols, points, polarity=polarity_col)
    t, y, w, xs = grid["_t"], grid["_y"], grid["_w"], grid["_x"]

    dispersion: FloatArray | None = None
    if measure != "value":
        with np.errstate(divide="ignore", invalid="ignore"):
            pooled = np.sum(xs, axis=1) / np.sum(w, axis=1)
        dispersion = pooled * (1 - pooled) if measure == "proportion" else pooled
    slope, chi2, p_value = trend_test(t, y, w, dispersion)
    scale = multiplier if measure != "value" else 1.0

    codes = _classify(slope, p_value, usable, confidence)
    if polarity_col is not None:
        sign = meta.get_column("_pol").cast(pl.Float64).fill_null(np.nan).to_numpy()
    elif polarity is not None:
        sign_value = pl.select(polarity_sign(pl.lit(polarity))).item()
        sign = np.full(meta.height, np.nan if sign_value is None else float(sign_value))
    else:
        sign = np.full(meta.height, np.nan)
    assessment = _assess(codes, sign) if polarity is not None else np.full(meta.height, _NULL_LABEL)
    out = meta.select("_gid", *keys).with_columns(
        pl.Series("trend_points", meta.get_column("_count").to_numpy(), dtype=pl.Int64),
        float_series("trend_slope", np.where(usable, slope * scale, np.nan)),
        float_series("trend_chi2", np.where(usable, chi2, np.nan)),
        float_series("trend_p", np.where(usable, p_value, np.nan)),
        _labels("trend", codes, up="increasing", down="decreasing"),
        _labels("trend_assessment", assessment, up="increasing", down="decreasing"),
    )
    return restore(out.drop("_gid"), df)


def gap_trend(
    df: FrameT,
    *,
    period_order_col: str,
    gap: str = "gap",
    se: str | None = "gap_se",
    lower: str | None = None,
    upper: str | None = None,
    limits_level: float = 0.95,
    group_by: Sequence[str] | str | None = None,
    points: int | None = 5,
    confidence: float = 0.95,
) -> FrameT:
    """Whether a gap is narrowing or widening, from a series of gaps with standard errors.

    Why: "is the gap between deprived and non-deprived areas reducing?" is a question about the trend of
    the gap itself, and the gap's uncertainty differs year to year, so each point is weighted by 1/SE^2.

    Method: weighted least-squares slope of the gap on time over the last ``points`` periods (all
    periods with ``points=None``), chi2 = slope^2 * sum w (t - tw)^2 on 1 df (the Fingertips trend test
    for non-proportion indicators). SEs come from ``se`` (e.g. ``gap_se`` from :mod:`gapwatch.stats.gaps`)
    or the ``limits_level`` limits. A significant slope is "narrowing" when it moves the absolute gap
    towards 0 — when its sign is opposite to the sign of the fitted gap at the weighted centre of the
    period — and "widening" otherwise. Fewer than 3 usable points (or fewer than ``points``) gives
    "could not be calculated".

    Returns one row per group with ``gap_trend_points``, ``gap_trend_slope``, ``gap_trend_chi2``,
    ``gap_trend_p`` and ``gap_trend`` ("narrowing", "widening", "no significant change",
    "could not be calculated").
    """
    if se is not None and se not in _names(df) and lower is not None:
        se = None
    if se is None and (lower is None or upper is None):
        raise ValueError("se: give se, or lower and upper")
    levels(confidence)
    keys = validate_group_by(df, group_by)
    require_columns(df, period_order_col, gap, se, lower, upper)
    data = collect(df)
    check_numeric(data, gap, se, lower, upper)
    check_non_negative(data, se)
    if se is not None:
        spread = pl.col(se).cast(pl.Float64)
    else:
        spread = (pl.col(str(upper)) - pl.col(str(lower))).cast(pl.Float64) / (2 * z_value(limits_level))
    cols = {"_y": pl.col(gap).cast(pl.Float64), "_w": 1.0 / (spread * spread), "_x": pl.lit(0.0)}
    want = points if points is not None else max(_max_group_size(data, keys), 3)
    grid, ok, meta = _last_points(data, keys, period_order_col, cols, want, minimum=3 if points is None else None)
    usable = ok & (meta.get_column("_count").to_numpy() >= 3)
    slope, chi2, p_value = trend_test(grid["_t"], grid["_y"], grid["_w"])
    with np.errstate(invalid="ignore", divide="ignore"):
        w = grid["_w"]
        centre = np.sum(w * grid["_y"], axis=1) / np.sum(w, axis=1)
    towards_zero = np.sign(slope) == -np.sign(centre)
    codes = _classify(slope, p_value, usable, confidence, direction=np.where(towards_zero, -1.0, 1.0))
    out = meta.select("_gid", *keys).with_columns(
        pl.Series("gap_trend_points", meta.get_column("_count").to_numpy(), dtype=pl.Int64),
        float_series("gap_trend_slope", np.where(usable, slope, np.nan)),
        float_series("gap_trend_chi2", np.where(usable, chi2, np.nan)),
        float_series("gap_trend_p", np.where(usable, p_value, np.nan)),
        _labels("gap_trend", codes, up="widening", down="narrowing"),
    )
    return restore(out.drop("_gid"), df)


# --- helpers ------------------------------------------------------------------------------------------


def _names(df: pl.DataFrame | pl.LazyFrame) -> list[str]:
    return df.collect_schema().names() if isinstance(df, pl.LazyFrame) else df.columns


def _max_group_size(data: pl.DataFrame, keys: list[str]) -> int:
    if not keys:
        return data.height
    return int(data.group_by(keys).len().get_column("len").max() or 0)  # type: ignore[arg-type]


def _last_points(
    data: pl.DataFrame,
    keys: list[str],
    period: str,
    cols: dict[str, pl.Expr],
    points: int,
    *,
    minimum: int | None = None,
    polarity: str | None = None,
) -> tuple[dict[str, FloatArray], npt.NDArray[np.bool_], pl.DataFrame]:
    """The last ``points`` rows of each group as (groups x points) arrays, a usable mask, group keys.

    ``cols`` are the values wanted (``_t`` is the period's position); cells of groups with fewer rows are
    padded with weight 0. The mask marks groups with at least ``minimum`` rows (default: exactly
    ``points``) whose values and weights are all usable. Groups come in the order of their first row, with
    ``_count`` (rows used) and, given a ``polarity`` column, ``_pol``: the last non-null
    :func:`polarity_sign` among the rows used.

    Why it is written this way (profiled at national scale, 990,000 series of 10 periods): only the group key
    (one integer code per row) and the period are read for every row; the row numbers of each group's last
    points come from a (group × period) grid of row numbers, or one sort of numbers packing group, period and
    row, or a hash group-by, whichever the data allow (see gapwatch/stats/_series_rows.py). The values are
    worked out on those rows only, and laid out points-major so that the sums over each series' points run
    down contiguous memory. The old way (numbering the groups with a join, sorting the whole table, numbering
    rows from each group's end with a window) took 3.7 s for 990,000 series; see bench/bench_trends.py.
    """
    if points < 2:
        raise ValueError(f"points: at least 2 points are needed, got {points}")
    need = points if minimum is None else minimum
    dtype = data.schema[period]
    if dtype.is_numeric():
        t_expr = pl.col(period).cast(pl.Float64)
    else:
        t_expr = pl.col(period).rank("dense").cast(pl.Float64)
    code = group_code(data, keys) if keys else pl.lit(0, dtype=pl.UInt64)
    if code is None:
        frame = data.select(*keys, t_expr.alias("_t"))
        rows, lengths, key_rows = rows_by_hash(frame, keys, points)
        meta = key_rows.with_row_index("_gid")
    else:
        frame = data.select(code.alias("_group"), t_expr.alias("_t"))
        if keys or frame.height:
            rows, lengths, first = rows_by_code(frame, points)
        else:  # no rows: still the one (empty) series
            rows, lengths, first = np.full((points, 1), -1, dtype=np.int64), np.zeros(1, dtype=np.int64), None
        meta = data.select(keys).gather(first).with_row_index("_gid") if keys else pl.DataFrame({"_gid": [0]})
    groups = lengths.size
    used = rows >= 0
    full = bool(used.all())
    taken = rows.ravel() if full else rows[used]
    t_all = np.asarray(frame.get_column("_t").cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)
    needed = sorted({name for expr in cols.values() for name in expr.meta.root_names()})
    values = data.select(needed).gather(taken).select(**cols)
    columns: dict[str, FloatArray] = {"_t": t_all[taken]}
    for c in ("_y", "_w", "_x"):
        columns[c] = np.asarray(values.get_column(c).cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)
    if polarity is not None:
        columns["_pol"] = _polarity_signs(data.get_column(polarity).gather(taken))
    grid: dict[str, FloatArray] = {}
    bad = np.zeros(groups, dtype=bool)
    for c, flat in columns.items():
        if full:
            arr = flat.reshape(points, groups)
        else:
            arr = np.full((points, groups), np.nan if c == "_pol" else 0.0)
            arr[used] = flat
        grid[c] = arr.T  # (groups x points), stored points-major
        if c == "_pol":
            continue
        bad_cells = ~np.isfinite(arr)
        if c == "_w":
            with np.errstate(invalid="ignore"):
                bad_cells |= arr <= 0
        bad |= (bad_cells & used).any(axis=0)
    usable = (lengths >= need) & ~bad
    meta = meta.with_columns(pl.Series("_count", lengths, dtype=pl.Int64))
    if "_pol" in grid:
        meta = meta.with_columns(float_series("_pol", _last_finite(grid.pop("_pol"))))
    return grid, usable, meta


def _last_finite(grid: FloatArray) -> FloatArray:
    """Each row's last finite value (NaN when it has none)."""
    finite = np.isfinite(grid)
    last = grid.shape[1] - 1 - np.argmax(finite[:, ::-1], axis=1)
    picked = grid[np.arange(grid.shape[0]), last]
    return np.where(finite.any(axis=1), picked, np.nan)


def _polarity_signs(column: pl.Series) -> FloatArray:
    """``polarity_sign`` of each row as +1.0, -1.0 or NaN, worked out once per distinct wording (a column
    holds only a few); a categorical column is looked up by its codes."""
    distinct = column.drop_nulls().unique()
    if distinct.len() == 0:
        return np.full(column.len(), np.nan)
    signs = pl.DataFrame({"polarity": distinct}).select(polarity_sign(pl.col("polarity"))).to_series()
    if isinstance(column.dtype, (pl.Categorical, pl.Enum)):
        codes = distinct.to_physical().to_numpy().astype(np.int64)
        table = np.full(int(codes.max()) + 2, np.nan)  # the last entry for null
        table[codes] = signs.cast(pl.Float64).fill_null(np.nan).to_numpy()
        codes_of_rows = column.to_physical().fill_null(table.size - 1).to_numpy().astype(np.int64)
        return np.asarray(table[codes_of_rows], dtype=np.float64)
    mapped = column.replace_strict(distinct, signs, default=None, return_dtype=pl.Int8)
    return np.asarray(mapped.cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)


#: Verdicts are worked out as small integer codes (one NumPy pass each) and turned into their labels at the
#: end by one gather from these, instead of arrays of Python strings (at national scale that was a tenth
#: of the time). ``_UP`` and ``_DOWN`` stand for the caller's words ("increasing", "widening" ...).
_UP, _DOWN, _NO_CHANGE, _CANNOT, _BETTER, _WORSE, _NULL_LABEL = range(7)


def _classify(
    slope: FloatArray,
    p_value: FloatArray,
    usable: npt.NDArray[np.bool_],
    confidence: float,
    *,
    direction: FloatArray | None = None,
) -> npt.NDArray[np.int8]:
    """Verdict codes: up or down when usable and significant at ``confidence`` (by the sign of ``slope``, or
    of ``direction`` when given), no change when usable, else cannot be calculated."""
    level = levels(confidence)[0]
    significant = usable & (p_value < 1 - level)
    sign = np.sign(slope) if direction is None else direction
    codes = np.where(significant, np.where(sign > 0, _UP, _DOWN), _NO_CHANGE)
    return np.where(usable, codes, _CANNOT).astype(np.int8)


def _assess(codes: npt.NDArray[np.int8], sign: FloatArray) -> npt.NDArray[np.int8]:
    """With the polarity's ``sign`` (+1 high is good, -1 low is good): a significant trend is getting better
    or worse; without a known polarity it has no assessment (null). Other verdicts stay as they are."""
    up = codes == _UP
    down = codes == _DOWN
    out = codes.copy()
    out[(up & (sign > 0)) | (down & (sign < 0))] = _BETTER
    out[(up & (sign < 0)) | (down & (sign > 0))] = _WORSE
    out[(up | down) & ~np.isfinite(sign)] = _NULL_LABEL
    return out


def _labels(name: str, codes: npt.NDArray[np.int8], *, up: str, down: str) -> pl.Series:
    """The labels of verdict ``codes`` as a String column (``_NULL_LABEL`` is null)."""
    words = [up, down, NO_CHANGE, CANNOT_CALCULATE, "getting better", "getting worse", None]
    return pl.Series(name, words, dtype=pl.String).gather(codes.astype(np.uint32))
