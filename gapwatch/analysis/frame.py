"""The observation frame's time axis, intervals and headline area: one definition for every page.

An observation frame has one row per (indicator, area, category type, category, period) with ``value``,
``count``, ``denominator``, 95% ``lower``/``upper``, lineage (``batch``, ``source``) and ``illustrative``.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import polars as pl

from gapwatch.domain.catalogue import Plan, partnership_county
from gapwatch.domain.indicators import Indicator, MeasureType
from gapwatch.domain.periods import parse_period
from gapwatch.stats.proportions import proportion
from gapwatch.stats.rates import count_ci, rate

__all__ = ["SCHEMA", "finite", "headline_area", "period_end", "period_index", "with_intervals"]

SCHEMA: dict[str, Any] = {
    "indicator": pl.String,
    "area": pl.String,
    "category_type": pl.String,
    "category": pl.String,
    "period": pl.String,
    "value": pl.Float64,
    "count": pl.Float64,
    "denominator": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "batch": pl.String,
    "illustrative": pl.Boolean,
    "source": pl.String,
    "note": pl.String,
}


def finite(value: Any) -> float | None:
    """A number as a float, or None for missing, unreadable or NaN (the one NaN -> None rule)."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out or out in (float("inf"), float("-inf")) else out


@lru_cache(maxsize=4096)
def period_end(label: str) -> date | None:
    """The end date of a period label (None when it cannot be read)."""
    try:
        return parse_period(label).end
    except (ValueError, TypeError):
        return None


def period_index(label: str) -> float | None:
    """A period as a decimal year of its end date (2004-03-31 -> 2004.25): one time axis for every kind."""
    end = period_end(label)
    if end is None:
        return None
    return end.year + (end.timetuple().tm_yday / (366 if end.year % 4 == 0 else 365))


def with_intervals(df: pl.DataFrame, indicator: Indicator) -> pl.DataFrame:
    """Fill missing 95% limits from counts with the indicator's method; supplied limits are kept.

    Proportions: Wilson score (Wilson 1927; phe_proportion); rates: exact Poisson below 10 events and
    Byar's from 10 (phe_rate); counts: the same Poisson limits on the count. Other measures keep the
    limits they came with (none when none were supplied): there is no honest way to invent them. Rows
    without a count keep their value and get no interval — never all-or-nothing across a series.
    """
    need = pl.col("lower").is_null() & pl.col("count").is_not_null()
    if indicator.measure is MeasureType.PROPORTION:
        need = need & pl.col("denominator").is_not_null() & (pl.col("denominator") > 0)
        need = need & (pl.col("count") <= pl.col("denominator")) & (pl.col("count") >= 0)
    elif indicator.measure is MeasureType.RATE:
        need = need & pl.col("denominator").is_not_null() & (pl.col("denominator") > 0) & (pl.col("count") >= 0)
    elif indicator.measure is MeasureType.COUNT:
        need = need & (pl.col("count") >= 0)
    else:
        return df
    df = df.with_row_index("_row")
    todo = df.filter(need).drop("value")
    if todo.height == 0:
        return df.drop("_row")
    if indicator.measure is MeasureType.PROPORTION:
        done = proportion(todo, "count", "denominator", multiplier=indicator.multiplier)
    elif indicator.measure is MeasureType.RATE:
        done = rate(todo, "count", "denominator", multiplier=indicator.multiplier)
    else:
        done = count_ci(todo, "count")
    fill = done.select(
        "_row", pl.col("lowercl").alias("_lo"), pl.col("uppercl").alias("_hi"), pl.col("value").alias("_v")
    )
    return (
        df.join(fill, on="_row", how="left")
        .with_columns(
            pl.coalesce("lower", "_lo").alias("lower"),
            pl.coalesce("upper", "_hi").alias("upper"),
            pl.coalesce("value", "_v").alias("value"),
        )
        .drop("_row", "_lo", "_hi", "_v")
    )


def own_area(plan: Plan) -> str | None:
    """The partnership's own area (:func:`~gapwatch.domain.catalogue.partnership_county`)."""
    return partnership_county(plan.framework)


def headline_area(plan: Plan, rows: pl.DataFrame) -> str | None:
    """The area an indicator's headline is given for when no area is asked for — one rule for the dashboard,
    the board paper and the pages.

    The partnership's own area if it has figures; else the nearest area above it that has (its region, then
    England: an indicator published only nationally, such as NCMP by deprivation decile, is shown for England,
    named so); else the own area, whose page then says it has no figures. Never a neighbouring county, whose
    figures may be loaded as comparators. Frameworks without a county area: the first region or country with
    data, else the area with most rows.
    """
    present = set(rows.get_column("area").unique().to_list()) if rows.height else set()
    own = own_area(plan)
    if own is not None:
        parents = {a.id: a.parent for a in plan.framework.areas}
        step: str | None = own
        while step is not None:
            if step in present:
                return step
            step = parents.get(step)
        return own
    for level in ("county", "region", "country"):
        for a in plan.framework.areas:
            if a.level.value == level and a.id in present:
                return a.id
    for a in plan.framework.areas:
        if a.level.value == "county":
            return a.id
    if rows.height:
        return str(rows.group_by("area").len().sort("len", descending=True).get_column("area")[0])
    return None
