"""Target status: level targets on a trajectory, gap-closing targets, and reward shares.

Partnership plans set targets of two kinds: a level by a date ("reduce children in care from 1,553 to
1,200 by March 2004") and a gap to close by a share ("close the gap between Thanet and the rest of Kent by
40%", or "by 15-30%"). Status is judged against a straight-line trajectory from the baseline to the
target, and the value's confidence interval decides between "at risk" and "off track", so that random
variation alone never puts a target off track. PSA-style reward grants pay a share per target achieved.
"""

from __future__ import annotations

import polars as pl

from gapwatch.stats._validate import (
    FrameT,
    check_numeric,
    collect,
    offending_rows,
    require_columns,
    restore,
)
from gapwatch.stats.trends import polarity_sign

__all__ = [
    "ACHIEVED",
    "AT_RISK",
    "NOT_ACHIEVED",
    "OFF_TRACK",
    "ON_TRACK",
    "gap_closing_status",
    "level_target_status",
    "parse_reduction",
    "reward_share",
]

ON_TRACK = "on track"
AT_RISK = "at risk"
OFF_TRACK = "off track"
ACHIEVED = "achieved"
NOT_ACHIEVED = "not achieved"
NO_DATA = "no data"
#: Tolerance for "at or better than": shares such as 1 - 6/10 are not exactly 0.4 in binary.
_EPS = 1e-9

ColumnOrValue = str | float | int


def _operand(df: pl.DataFrame | pl.LazyFrame, arg: ColumnOrValue | None) -> pl.Expr:
    """A column when ``arg`` names one, otherwise a literal (``None`` -> null)."""
    names = df.collect_schema().names() if isinstance(df, pl.LazyFrame) else df.columns
    if isinstance(arg, str):
        if arg not in names:
            raise ValueError(f"column '{arg}': not found in the data")
        return pl.col(arg)
    return pl.lit(arg, dtype=pl.Float64)


def level_target_status(
    df: FrameT,
    *,
    value: str,
    period_index: str,
    baseline_value: ColumnOrValue,
    baseline_period_index: ColumnOrValue,
    target_value: ColumnOrValue,
    target_period_index: ColumnOrValue,
    lower: str | None = None,
    upper: str | None = None,
    polarity: str | None = None,
    trajectory: pl.DataFrame | None = None,
    trajectory_on: list[str] | None = None,
    trajectory_value: str = "trajectory",
) -> FrameT:
    """Status of each observation of a level target: on track, at risk, off track, achieved, not achieved.

    Why: a board paper needs a RAG-like status that is fair to small areas — a value whose confidence
    interval includes the trajectory is not evidence of being off track.

    Method: the expected value at ``period_index`` is on the straight line from (baseline period,
    baseline value) to (target period, target value), or interpolated linearly between the points of a
    given ``trajectory`` frame (columns ``trajectory_on`` + ``period_index`` + ``trajectory_value``;
    the baseline and target are added as end points). Before the deadline: "on track" when the value is at
    or better than the trajectory; "at risk" when worse but ``lower``..``upper`` includes the trajectory;
    "off track" when the interval is wholly worse (or there is no interval). At or after the target
    period: "achieved" when the value is at or better than the target, else "not achieved". "Better"
    follows ``polarity`` ("high is good" / "low is good", literal or a column); without it, the direction
    from baseline to target decides, and a target equal to its baseline needs a polarity (``ValueError``).
    A missing value gives "no data". Each argument naming a baseline or target may be a column or a number.

    Returns the input with ``trajectory`` (expected value at the period) and ``status`` added.
    """
    require_columns(df, value, period_index, lower, upper)
    data = collect(df)
    check_numeric(data, value, period_index, lower, upper)
    base_v = _operand(data, baseline_value).cast(pl.Float64)
    base_p = _operand(data, baseline_period_index).cast(pl.Float64)
    targ_v = _operand(data, target_value).cast(pl.Float64)
    targ_p = _operand(data, target_period_index).cast(pl.Float64)
    period = pl.col(period_index).cast(pl.Float64)
    sign = _direction(data, polarity, base_v, targ_v)
    data = data.with_columns(sign.alias("_sign"))
    bad = data.select(pl.col("_sign").is_null()).to_series()
    if bad.any():
        raise ValueError(
            "polarity: cannot tell which way is better where the target equals the baseline and no "
            f"polarity is given (rows {offending_rows(bad)})"
        )
    bad_span = data.select((targ_p <= base_p).fill_null(False)).to_series()
    if bad_span.any():
        raise ValueError(f"target_period_index: must come after the baseline period (rows {offending_rows(bad_span)})")

    fraction = ((period - base_p) / (targ_p - base_p)).clip(0.0, 1.0)
    linear = base_v + (targ_v - base_v) * fraction
    data = data.with_columns(linear.alias("_linear"))
    if trajectory is not None:
        data = _interpolate(
            data,
            trajectory,
            trajectory_on or [],
            period_index,
            trajectory_value,
            base_v,
            base_p,
            targ_v,
            targ_p,
        )
    else:
        data = data.with_columns(pl.col("_linear").alias("_expected"))

    s = pl.col("_sign").cast(pl.Float64)
    v = pl.col(value).cast(pl.Float64)
    expected = pl.col("_expected")
    at_or_better = (v - expected) * s >= -_EPS * expected.abs().clip(lower_bound=1.0)
    includes = _includes(lower, upper, expected)
    status = (
        pl.when(v.is_null())
        .then(pl.lit(NO_DATA))
        .when(period >= targ_p)
        .then(
            pl.when((v - targ_v) * s >= -_EPS * targ_v.abs().clip(lower_bound=1.0))
            .then(pl.lit(ACHIEVED))
            .otherwise(pl.lit(NOT_ACHIEVED))
        )
        .when(at_or_better)
        .then(pl.lit(ON_TRACK))
        .when(includes)
        .then(pl.lit(AT_RISK))
        .otherwise(pl.lit(OFF_TRACK))
    )
    out = data.with_columns(expected.alias("trajectory"), status.alias("status")).drop("_sign", "_linear", "_expected")
    return restore(out, df)


def parse_reduction(spec: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(lower, upper) required reduction as fractions from "40%", "15-30%", "by 15 to 30%", 0.4 or 40.

    Strings are percentages; bare numbers above 1 are percentages, at most 1 fractions (so 1 is 100%).
    A single value gives lower = upper.
    """
    text = spec.cast(pl.String).str.to_lowercase()
    first = text.str.extract(r"(\d+(?:\.\d+)?)", 1).cast(pl.Float64)
    second = text.str.extract(r"\d+(?:\.\d+)?\s*%?\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)", 1).cast(pl.Float64)
    is_text = text.str.contains("%")
    scale = pl.when(is_text | (first > 1)).then(pl.lit(100.0)).otherwise(pl.lit(1.0))
    low = first / scale
    high = pl.coalesce(second / scale, low)
    return low, high


def gap_closing_status(
    df: FrameT,
    *,
    gap: str,
    period_index: str,
    baseline_gap: ColumnOrValue,
    baseline_period_index: ColumnOrValue,
    target_period_index: ColumnOrValue,
    reduction: str | float,
    lower: str | None = None,
    upper: str | None = None,
) -> FrameT:
    """Progress towards closing a gap by a share: on track, at risk, off track, achieved, not achieved.

    Why: PSA-style targets such as "close the gap between Thanet and the rest of Kent by 40%" are about
    the gap, not the level, and some are ranges ("by 15-30%").

    Method: share closed so far = 1 - gap / baseline gap (gaps on the same signed scale, e.g. subject
    minus comparator); share required by now = required share x (period - baseline) / (target -
    baseline), capped at the full share — the straight-line trajectory. A range uses its lower bound as
    the requirement and is reported in ``reduction_range``. Before the deadline: "on track" when the
    share closed is at least the share required now; "at risk" when short but the gap's interval
    ``lower``..``upper`` includes the gap that would meet the requirement; otherwise "off track". At or
    after the target period: "achieved" when the share closed reaches the requirement, else "not
    achieved". A zero or missing baseline gap, or a missing gap, gives "no data".

    ``reduction`` is a column (strings like "40%" or "15-30%", or numbers) or one value for every row.
    Returns the input with ``gap_closed_share``, ``required_share_now``, ``required_share``,
    ``reduction_range`` and ``status``.
    """
    require_columns(df, gap, period_index, lower, upper)
    data = collect(df)
    check_numeric(data, gap, period_index, lower, upper)
    names = data.columns
    spec = pl.col(reduction) if isinstance(reduction, str) and reduction in names else pl.lit(reduction)
    low, high = parse_reduction(spec)
    data = data.with_columns(low.alias("_req"), high.alias("_req_hi"))
    missing = data.select(pl.col("_req").is_null()).to_series()
    if missing.any():
        raise ValueError(f"reduction: could not read a percentage in rows {offending_rows(missing)}")
    base_g = _operand(data, baseline_gap).cast(pl.Float64)
    base_p = _operand(data, baseline_period_index).cast(pl.Float64)
    targ_p = _operand(data, target_period_index).cast(pl.Float64)
    period = pl.col(period_index).cast(pl.Float64)
    g = pl.col(gap).cast(pl.Float64)
    usable_base = base_g.is_not_null() & (base_g != 0)
    closed = pl.when(usable_base).then(1.0 - g / base_g)
    fraction = ((period - base_p) / (targ_p - base_p)).clip(0.0, 1.0)
    required_now = pl.col("_req") * fraction
    gap_needed = base_g * (1.0 - required_now)
    includes = _includes(lower, upper, gap_needed)
    status = (
        pl.when(g.is_null() | ~usable_base)
        .then(pl.lit(NO_DATA))
        .when(period >= targ_p)
        .then(pl.when(closed >= pl.col("_req") - _EPS).then(pl.lit(ACHIEVED)).otherwise(pl.lit(NOT_ACHIEVED)))
        .when(closed >= required_now - _EPS)
        .then(pl.lit(ON_TRACK))
        .when(includes)
        .then(pl.lit(AT_RISK))
        .otherwise(pl.lit(OFF_TRACK))
    )
    pct_low = (pl.col("_req") * 100).round(6)
    pct_high = (pl.col("_req_hi") * 100).round(6)
    label = (
        pl.when(pct_low == pct_high)
        .then(pl.format("{}%", _pretty(pct_low)))
        .otherwise(pl.format("{}-{}%", _pretty(pct_low), _pretty(pct_high)))
    )
    out = data.with_columns(
        closed.alias("gap_closed_share"),
        required_now.alias("required_share_now"),
        pl.col("_req").alias("required_share"),
        label.alias("reduction_range"),
        status.alias("status"),
    ).drop("_req", "_req_hi")
    return restore(out, df)


def reward_share(
    df: FrameT,
    *,
    achieved_col: str,
    share_col: str,
    total_reward: ColumnOrValue,
    group_by: list[str] | str | None = None,
) -> FrameT:
    """The reward earned per target and in total when each target carries a share of a reward grant.

    Why: a PSA reward grant (Kent's first PSA earned £21.6m) is split over its targets; the partnership
    wants to know what is at stake per target and what has been earned.

    Shares are weights, normalised within each group (a whole agreement) so they may be fractions,
    percentages or equal weights. ``achieved_col`` is a boolean (all or nothing) or a number between 0
    and 1 (a part of the target's share earned). Returns the input with ``reward_available`` (the
    target's share of ``total_reward``), ``reward_earned`` and ``reward_share_earned`` (the group's
    earned total as a share of its reward, repeated on every row of the group).
    """
    keys = [group_by] if isinstance(group_by, str) else list(group_by or [])
    require_columns(df, achieved_col, share_col, *keys)
    data = collect(df)
    check_numeric(data, share_col)
    for name in (share_col, achieved_col):
        missing = data.select(pl.col(name).is_null()).to_series()
        if missing.any():
            raise ValueError(f"column '{name}': missing values in rows {offending_rows(missing)}")
    neg = data.select(pl.col(share_col) < 0).to_series()
    if neg.any():
        raise ValueError(f"column '{share_col}': negative shares in rows {offending_rows(neg)}")
    done = pl.col(achieved_col).cast(pl.Float64)
    out_of_range = data.select((done < 0) | (done > 1)).to_series()
    if out_of_range.any():
        raise ValueError(
            f"column '{achieved_col}': achievement must be true/false or between 0 and 1 "
            f"(rows {offending_rows(out_of_range)})"
        )
    share = pl.col(share_col).cast(pl.Float64)
    over = keys or None
    weight = share / share.sum().over(over) if over else share / share.sum()
    reward = _operand(data, total_reward).cast(pl.Float64)
    available = weight * reward
    earned = available * done
    data = data.with_columns(available.alias("reward_available"), earned.alias("reward_earned"))
    total_earned = pl.col("reward_earned").sum()
    total_available = pl.col("reward_available").sum()
    ratio = (total_earned / total_available).over(over) if over else total_earned / total_available
    out = data.with_columns(ratio.alias("reward_share_earned"))
    return restore(out, df)


# --- helpers ------------------------------------------------------------------------------------------


def _pretty(expr: pl.Expr) -> pl.Expr:
    """40.0 -> "40", 12.5 -> "12.5"."""
    return pl.when(expr == expr.floor()).then(expr.cast(pl.Int64).cast(pl.String)).otherwise(expr.cast(pl.String))


def _includes(lower: str | None, upper: str | None, target: pl.Expr) -> pl.Expr:
    if lower is None or upper is None:
        return pl.lit(False)
    lo, hi = pl.col(lower).cast(pl.Float64), pl.col(upper).cast(pl.Float64)
    return ((lo <= target) & (target <= hi)).fill_null(False)


def _direction(data: pl.DataFrame, polarity: str | None, base_v: pl.Expr, targ_v: pl.Expr) -> pl.Expr:
    """+1 when higher is better, -1 when lower is better, null when it cannot be told."""
    inferred = (
        pl.when(targ_v > base_v).then(pl.lit(1, dtype=pl.Int8)).when(targ_v < base_v).then(pl.lit(-1, dtype=pl.Int8))
    )
    if polarity is None:
        return inferred
    given = polarity_sign(pl.col(polarity) if polarity in data.columns else pl.lit(polarity))
    return pl.coalesce(given, inferred)


def _interpolate(
    data: pl.DataFrame,
    trajectory: pl.DataFrame,
    on: list[str],
    period_index: str,
    trajectory_value: str,
    base_v: pl.Expr,
    base_p: pl.Expr,
    targ_v: pl.Expr,
    targ_p: pl.Expr,
) -> pl.DataFrame:
    """Expected values interpolated between given trajectory points (plus baseline and target)."""
    require_columns(trajectory, *on, period_index, trajectory_value)
    points = trajectory.select(
        *on,
        pl.col(period_index).cast(pl.Float64).alias("_tp"),
        pl.col(trajectory_value).cast(pl.Float64).alias("_tv"),
    )
    anchors = data.select(*on, base_p.alias("_bp"), base_v.alias("_bv"), targ_p.alias("_xp"), targ_v.alias("_xv"))
    ends = pl.concat(
        [
            anchors.select(*on, pl.col("_bp").alias("_tp"), pl.col("_bv").alias("_tv")),
            anchors.select(*on, pl.col("_xp").alias("_tp"), pl.col("_xv").alias("_tv")),
        ]
    )
    points = pl.concat([points, ends]).unique(subset=[*on, "_tp"], keep="first").sort([*on, "_tp"])
    rows = data.with_row_index("_row").with_columns(
        pl.col(period_index).cast(pl.Float64).clip(base_p, targ_p).alias("_p")
    )
    rows = rows.sort([*on, "_p"]) if on else rows.sort("_p")
    before = points.rename({"_tp": "_p0", "_tv": "_v0"})
    after = points.rename({"_tp": "_p1", "_tv": "_v1"})
    by = on or None
    joined = rows.join_asof(
        before.with_columns(pl.col("_p0").alias("_p")),
        on="_p",
        by=by,
        strategy="backward",
        check_sortedness=False,
    ).join_asof(
        after.with_columns(pl.col("_p1").alias("_p")),
        on="_p",
        by=by,
        strategy="forward",
        check_sortedness=False,
    )
    span = pl.col("_p1") - pl.col("_p0")
    expected = (
        pl.when(span > 0)
        .then(pl.col("_v0") + (pl.col("_v1") - pl.col("_v0")) * (pl.col("_p") - pl.col("_p0")) / span)
        .otherwise(pl.coalesce(pl.col("_v0"), pl.col("_v1")))
    )
    joined = joined.with_columns(pl.coalesce(expected, pl.col("_linear")).alias("_expected")).sort("_row")
    return joined.drop("_row", "_p", "_p0", "_v0", "_p1", "_v1")
