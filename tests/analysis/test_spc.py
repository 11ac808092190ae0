"""An indicator's SPC chart as the analysis core decides it: the icons by polarity, the reasons it declines,
and the headline series it is read from.

The series start with 12 points alternating 11, 9: centre 10, mean moving range 2, limits 10 ± 5.32.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gapwatch.analysis.series import SeriesPoint
from gapwatch.analysis.spc import Assurance, ChartKind, Rule, Variation, spc_result
from gapwatch.domain.indicators import Indicator, Polarity

BASELINE = [11.0, 9.0] * 6


@dataclass(frozen=True)
class Point:
    period: str
    value: float | None


def series(values: list[float | None]) -> list[Point]:
    return [Point(f"2024-{i + 1:02}" if i < 12 else f"2025-{i - 11:02}", v) for i, v in enumerate(values)]


def indicator(polarity: Polarity) -> Indicator:
    return Indicator.model_validate({"id": "AE4", "code": "AE4", "title": "Seen within 4 hours", "polarity": polarity})


def test_a_chart_with_its_latest_icons() -> None:
    result = spc_result(series([*BASELINE, 20.0]), indicator(Polarity.HIGHER_IS_BETTER), baseline=12, target=12.0)
    assert result.computed and result.chart is ChartKind.XMR
    assert (result.centre, result.lower, result.upper) == pytest.approx((10.0, 10 - 5.32, 10 + 5.32))
    assert result.variation is Variation.IMPROVING_HIGH
    assert result.assurance is Assurance.HIT_AND_MISS
    latest = result.latest
    assert latest is not None and latest.period == "2025-01"
    assert latest.signals == ((Rule.BEYOND_LIMITS, "high"),)
    assert result.points[0].baseline and not result.points[-1].baseline
    assert result.describe() == "Special cause improving high (2025-01); hit and miss against the target of 12"
    assert result.method is not None and "2.66" in result.method


def test_polarity_turns_the_same_signal_into_concern() -> None:
    result = spc_result(series([*BASELINE, 20.0]), indicator(Polarity.LOWER_IS_BETTER), baseline=12, target=4.0)
    assert result.variation is Variation.CONCERNING_HIGH
    assert result.assurance is Assurance.CONSISTENTLY_FAILING
    neutral = spc_result(series([*BASELINE, 20.0]), indicator(Polarity.NO_JUDGEMENT), baseline=12, target=4.0)
    assert neutral.variation is Variation.NEITHER_HIGH and neutral.assurance is None


def test_a_short_series_is_declined_with_its_reason() -> None:
    result = spc_result(series([10.0, 11, 9, 10, 12]), indicator(Polarity.HIGHER_IS_BETTER))
    assert not result.computed and result.points == ()
    assert result.reason == "an XmR chart needs at least 12 values for its limits; this series has 5"
    assert result.describe().startswith("no SPC chart: an XmR chart needs at least 12")
    assert spc_result(series([10.0, 11, 9, 10, 12]), indicator(Polarity.HIGHER_IS_BETTER), min_points=5).computed


def test_rebasing_only_where_the_user_says() -> None:
    values = BASELINE + [21.0, 19.0] * 6
    kept = spc_result(series(values), indicator(Polarity.HIGHER_IS_BETTER))
    rebased = spc_result(series(values), indicator(Polarity.HIGHER_IS_BETTER), rebase_at=["2025-01"])
    assert {p.segment for p in kept.points} == {1}
    assert rebased.centre == pytest.approx(20.0) and rebased.variation is Variation.COMMON_CAUSE
    assert {p.segment for p in rebased.points} == {1, 2}
    unknown = spc_result(series(values), indicator(Polarity.HIGHER_IS_BETTER), rebase_at=["2031-01"])
    assert unknown.reason == "the break point 2031-01 is not a period of the series"


def test_a_short_segment_is_drawn_with_a_warning() -> None:
    values = BASELINE + [21.0, 19.0, 21.0, 19.0]
    result = spc_result(series(values), indicator(Polarity.HIGHER_IS_BETTER), rebase_at=["2025-01"])
    assert result.computed
    assert result.warnings == ("the limits from 2025-01 rest on 4 points; Making Data Count advises at least 12",)


def test_missing_values_are_points_without_signals() -> None:
    result = spc_result(series([*BASELINE, None, 10.0]), indicator(Polarity.HIGHER_IS_BETTER))
    gap = result.points[12]
    assert gap.value is None and gap.variation is None and gap.signals == () and gap.centre == pytest.approx(10.0)


def test_it_reads_the_headline_series() -> None:
    points = [
        SeriesPoint(p.period, float(i), p.value, None, None, None, None, False, None, None)
        for i, p in enumerate(series([*BASELINE, 20.0]))
    ]
    result = spc_result(points, indicator(Polarity.HIGHER_IS_BETTER), baseline=12)
    assert result.variation is Variation.IMPROVING_HIGH
