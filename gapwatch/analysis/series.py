"""The headline series of an indicator in one area and its recent trend: built once, here.

One value per period (an imported row, which carries its batch, wins over the plan's own figure of the
same period); an optional data cut-off drops periods that end after it, so a cycle's pages and papers see
exactly the data the cycle's report saw. The recent trend is Fingertips' chi-squared test for trend over
the last five points at the recent-trend level of :data:`~gapwatch.analysis.verdicts.LEVELS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from gapwatch.analysis.frame import finite
from gapwatch.analysis.verdicts import LEVELS, TestKind, TrendResult
from gapwatch.domain.indicators import Indicator, MeasureType, Polarity
from gapwatch.stats.trends import recent_trend

__all__ = ["SeriesPoint", "headline_series", "polarity_text", "recent_trend_result", "until"]

RECENT_TREND_POINTS = 5


@dataclass(frozen=True)
class SeriesPoint:
    """One period of the headline series: value, 95% interval (or none), counts and lineage."""

    period: str
    period_index: float | None
    value: float | None
    lower: float | None
    upper: float | None
    count: float | None
    denominator: float | None
    illustrative: bool
    source: str | None
    batch: str | None

    @property
    def interval_note(self) -> str | None:
        """Why there is no interval, when there is none."""
        if self.value is None or (self.lower is not None and self.upper is not None):
            return None
        return "no interval: no count published"


def until(rows: pl.DataFrame, cutoff: date | None) -> pl.DataFrame:
    """Rows whose period ends on or before ``cutoff`` (all rows when there is no cut-off)."""
    if cutoff is None or rows.height == 0 or "period_end" not in rows.columns:
        return rows
    return rows.filter(pl.col("period_end").is_null() | (pl.col("period_end") <= cutoff))


def headline_series(rows: pl.DataFrame, cutoff: date | None = None) -> list[SeriesPoint]:
    """The headline series from one area's rows without a breakdown (``category_type`` null)."""
    rows = until(rows, cutoff)
    rows = rows.sort("period_end", pl.col("batch").is_null()).unique("period", keep="first", maintain_order=True)
    return [
        SeriesPoint(
            r["period"],
            r["period_index"],
            finite(r["value"]),
            finite(r["lower"]),
            finite(r["upper"]),
            finite(r["count"]),
            finite(r["denominator"]),
            bool(r["illustrative"]),
            r["source"],
            r["batch"],
        )
        for r in rows.sort("period_end").iter_rows(named=True)
    ]


def polarity_text(indicator: Indicator) -> str | None:
    """The indicator's polarity in the words the stats functions take."""
    return {Polarity.HIGHER_IS_BETTER: "high is good", Polarity.LOWER_IS_BETTER: "low is good"}.get(indicator.polarity)


def recent_trend_result(indicator: Indicator, series: list[SeriesPoint]) -> tuple[TrendResult, str | None]:
    """The recent trend (and its assessment: getting better / worse) over the last five points."""
    level = LEVELS[TestKind.RECENT_TREND]
    with_value = [p for p in series if p.value is not None and p.period_index is not None]
    points = with_value[-RECENT_TREND_POINTS:]
    total = len(with_value)
    if len(points) < RECENT_TREND_POINTS:
        return (
            TrendResult(
                "could not be calculated",
                TestKind.RECENT_TREND,
                periods_total=total,
                reason=f"needs {RECENT_TREND_POINTS} periods; there are {len(points)}",
            ),
            None,
        )
    frame = pl.DataFrame(
        {
            "t": [p.period_index for p in points],
            "value": [p.value for p in points],
            "x": [p.count for p in points],
            "n": [p.denominator for p in points],
            "lo": [p.lower for p in points],
            "hi": [p.upper for p in points],
        },
        schema={k: pl.Float64 for k in ("t", "value", "x", "n", "lo", "hi")},
    )
    has_counts = all(p.count is not None and p.denominator for p in points)
    polarity = polarity_text(indicator)
    if has_counts and indicator.measure in (MeasureType.PROPORTION, MeasureType.RATE):
        measure = "proportion" if indicator.measure is MeasureType.PROPORTION else "rate"
        out = recent_trend(
            frame,
            period_order_col="t",
            x="x",
            n="n",
            measure=measure,  # type: ignore[arg-type]
            polarity=polarity,
            multiplier=indicator.multiplier,
            confidence=level,
        )
        method = "chi-squared test for trend on the counts (Fingertips recent trend)"
    elif all(p.lower is not None and p.upper is not None and p.upper > p.lower for p in points):
        out = recent_trend(
            frame,
            period_order_col="t",
            measure="value",
            value="value",
            lower="lo",
            upper="hi",
            polarity=polarity,
            confidence=level,
        )
        method = "weighted test for trend on the values and their 95% intervals"
    else:
        return (
            TrendResult(
                "could not be calculated",
                TestKind.RECENT_TREND,
                periods_total=total,
                reason=f"needs counts or confidence intervals for each of the last {RECENT_TREND_POINTS} periods",
            ),
            None,
        )
    row = out.row(0, named=True)
    p_value = finite(row.get("trend_p"))
    return (
        TrendResult(
            str(row["trend"]),
            TestKind.RECENT_TREND,
            method=method,
            level=level,
            p=p_value,
            periods_used=len(points),
            periods_total=total,
        ),
        row.get("trend_assessment"),
    )
