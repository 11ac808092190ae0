"""An indicator's series as a statistical process control chart, decided once, here.

Making Data Count (NHS England 2019, 2021) reads a series with an XmR chart: a centre line and process
limits from a baseline, four special-cause rules, a variation icon for the latest point and, with a target,
an assurance icon. :func:`spc_result` turns one series of points (the headline series of
:mod:`gapwatch.analysis.series`, or anything with a ``period`` label and a ``value``) and the indicator's
polarity into a typed :class:`SpcResult`, computed by :func:`gapwatch.stats.spc.xmr_chart`, or says why it
could not be computed. Pages, papers and the API show this result; none of them computes its own.

Limits are fixed from a baseline and rebased only at break points someone chose (``rebase_at``), never
automatically. A series with fewer than :data:`MIN_POINTS` values is not charted: Making Data Count advises at
least 12 points (15 to 20 is better) before limits are trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

import polars as pl

from gapwatch.domain.indicators import Indicator, Polarity
from gapwatch.stats import spc as spc_stats

__all__ = [
    "MIN_POINTS",
    "Assurance",
    "ChartKind",
    "Rule",
    "SpcPoint",
    "SpcResult",
    "Variation",
    "spc_result",
]

#: Fewest values for which a chart's limits are shown (Making Data Count: at least 12, ideally 15 to 20).
MIN_POINTS = 12


class ChartKind(StrEnum):
    """The kind of SPC chart drawn."""

    XMR = "XmR"


class Rule(StrEnum):
    """The special-cause rules of Making Data Count."""

    BEYOND_LIMITS = "a point beyond a process limit"
    TWO_OF_THREE = "two of three points beyond two sigma"
    RUN = "a run on one side of the centre line"
    TREND = "a trend"


class Variation(StrEnum):
    """Making Data Count's variation icon."""

    COMMON_CAUSE = spc_stats.COMMON_CAUSE
    IMPROVING_HIGH = spc_stats.IMPROVING_HIGH
    IMPROVING_LOW = spc_stats.IMPROVING_LOW
    CONCERNING_HIGH = spc_stats.CONCERNING_HIGH
    CONCERNING_LOW = spc_stats.CONCERNING_LOW
    NEITHER_HIGH = spc_stats.NEITHER_HIGH
    NEITHER_LOW = spc_stats.NEITHER_LOW


class Assurance(StrEnum):
    """Making Data Count's assurance icon: will the process as it runs meet the target?"""

    HIT_AND_MISS = spc_stats.HIT_AND_MISS
    CONSISTENTLY_PASSING = spc_stats.CONSISTENTLY_PASSING
    CONSISTENTLY_FAILING = spc_stats.CONSISTENTLY_FAILING


_RULE_COLUMNS = {
    "rule_beyond_limits": Rule.BEYOND_LIMITS,
    "rule_two_of_three": Rule.TWO_OF_THREE,
    "rule_run": Rule.RUN,
    "rule_trend": Rule.TREND,
}


class PeriodValue(Protocol):
    """One point of a series: a period label and a value (missing values allowed)."""

    @property
    def period(self) -> str: ...

    @property
    def value(self) -> float | None: ...


@dataclass(frozen=True)
class SpcPoint:
    """One point of the chart: its value, the lines in force there and the rules met at it."""

    period: str
    value: float | None
    segment: int
    baseline: bool
    moving_range: float | None
    centre: float | None
    lower: float | None
    upper: float | None
    lower_two_sigma: float | None
    upper_two_sigma: float | None
    signals: tuple[tuple[Rule, str], ...]
    special_cause: str | None
    variation: Variation | None


@dataclass(frozen=True)
class SpcResult:
    """An indicator's SPC chart: the points, the latest limits and icons, and how they were set.

    ``reason`` says why there is no chart (then ``points`` is empty); ``warnings`` what the reader should
    know about one that was drawn (a segment with fewer points than advised).
    """

    chart: ChartKind
    polarity: Polarity
    points: tuple[SpcPoint, ...] = ()
    centre: float | None = None
    lower: float | None = None
    upper: float | None = None
    variation: Variation | None = None
    assurance: Assurance | None = None
    target: float | None = None
    baseline: int | None = None
    rebase_at: tuple[str, ...] = ()
    run_length: int = spc_stats.DEFAULT_RUN_LENGTH
    trend_length: int = spc_stats.DEFAULT_TREND_LENGTH
    screened: bool = False
    method: str | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def computed(self) -> bool:
        return self.reason is None

    @property
    def latest(self) -> SpcPoint | None:
        """The latest point with a value."""
        return next((p for p in reversed(self.points) if p.value is not None), None)

    def describe(self) -> str:
        """One line for pages and papers: the variation, and the assurance against the target; or the reason."""
        if self.reason is not None:
            return f"no SPC chart: {self.reason}"
        latest = self.latest
        text = (self.variation or Variation.COMMON_CAUSE).value.capitalize()
        if latest is not None:
            text += f" ({latest.period})"
        if self.assurance is not None and self.target is not None:
            text += f"; {self.assurance.value} against the target of {self.target:g}"
        return text


def _polarity_words(polarity: Polarity) -> str:
    return {Polarity.HIGHER_IS_BETTER: "high is good", Polarity.LOWER_IS_BETTER: "low is good"}.get(
        polarity, "no judgement"
    )


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


def spc_result(
    series: Sequence[PeriodValue],
    indicator: Indicator,
    *,
    target: float | None = None,
    baseline: int | None = None,
    rebase_at: Sequence[str] = (),
    run_length: int = spc_stats.DEFAULT_RUN_LENGTH,
    trend_length: int = spc_stats.DEFAULT_TREND_LENGTH,
    screen_moving_ranges: bool = False,
    min_points: int = MIN_POINTS,
) -> SpcResult:
    """The XmR chart of one series in time order, judged by the indicator's polarity.

    ``baseline`` fixes the limits from the first N points of each segment (all points when ``None``);
    ``rebase_at`` lists the period labels at which the user has started a new segment. Method:
    :func:`gapwatch.stats.spc.xmr_chart` (Making Data Count; Wheeler 1995).
    """
    base = SpcResult(
        chart=ChartKind.XMR,
        polarity=indicator.polarity,
        target=target,
        baseline=baseline,
        rebase_at=tuple(rebase_at),
        run_length=run_length,
        trend_length=trend_length,
        screened=screen_moving_ranges,
    )
    periods = [p.period for p in series]
    if len(set(periods)) != len(periods):
        repeated = next(p for p in periods if periods.count(p) > 1)
        return replace(base, reason=f"the period {repeated} appears more than once in the series")
    unknown = [label for label in rebase_at if label not in periods]
    if unknown:
        return replace(base, reason=f"the break point {unknown[0]} is not a period of the series")
    values = [p.value for p in series]
    count = sum(v is not None for v in values)
    if count < min_points:
        return replace(
            base, reason=f"an XmR chart needs at least {min_points} values for its limits; this series has {count}"
        )
    frame = pl.DataFrame(
        {"__t": list(range(len(series))), "__period": periods, "__value": values},
        schema={"__t": pl.Int64, "__period": pl.String, "__value": pl.Float64},
    )
    try:
        chart = spc_stats.xmr_chart(
            frame,
            "__value",
            "__t",
            baseline=baseline,
            rebase=[periods.index(label) for label in rebase_at],
            polarity=_polarity_words(indicator.polarity),
            target=target,
            run_length=run_length,
            trend_length=trend_length,
            screen_moving_ranges=screen_moving_ranges,
        )
    except ValueError as error:
        return replace(base, reason=str(error))
    points = tuple(_point(row) for row in chart.iter_rows(named=True))
    latest = next(p for p in reversed(points) if p.value is not None)
    if latest.lower is None or latest.upper is None:
        return replace(base, reason=f"the segment of {latest.period} has too few points to set limits")
    last_row = chart.filter(pl.col("__value").is_not_null()).row(-1, named=True)
    assurance = last_row["assurance"]
    return replace(
        base,
        points=points,
        centre=latest.centre,
        lower=latest.lower,
        upper=latest.upper,
        variation=latest.variation,
        assurance=Assurance(assurance) if assurance is not None else None,
        method=str(last_row["method"]),
        warnings=_short_segments(points, min_points),
    )


def _point(row: dict[str, Any]) -> SpcPoint:
    signals = tuple((rule, str(row[column])) for column, rule in _RULE_COLUMNS.items() if row[column] is not None)
    variation = row["variation"]
    return SpcPoint(
        period=str(row["__period"]),
        value=_optional(row["__value"]),
        segment=int(row["spc_segment"]),
        baseline=bool(row["spc_baseline"]),
        moving_range=_optional(row["moving_range"]),
        centre=_optional(row["centre"]),
        lower=_optional(row["lower_limit"]),
        upper=_optional(row["upper_limit"]),
        lower_two_sigma=_optional(row["lower_two_sigma"]),
        upper_two_sigma=_optional(row["upper_two_sigma"]),
        signals=signals,
        special_cause=None if row["special_cause"] is None else str(row["special_cause"]),
        variation=Variation(str(variation)) if variation is not None else None,
    )


def _short_segments(points: tuple[SpcPoint, ...], min_points: int) -> tuple[str, ...]:
    """A warning for each segment whose limits rest on fewer baseline points than advised."""
    warnings = []
    for segment in sorted({p.segment for p in points}):
        members = [p for p in points if p.segment == segment and p.value is not None]
        used = sum(p.baseline for p in members)
        if members and used < min_points:
            warnings.append(
                f"the limits from {members[0].period} rest on {used} points; Making Data Count advises at least "
                f"{min_points}"
            )
    return tuple(warnings)
