"""XmR charts (Making Data Count) on constructed series whose signals are known in advance.

Centre lines and limits are worked out here by hand from the published definitions (mean of the baseline,
mean moving range, ± 2.66 × mean mR, 2σ = 2/3 of the way to a limit), not taken from the code's output.
Most series start with a baseline of 12 points alternating 11, 9, …: centre 10, every moving range 2, so
the process limits are 10 ± 5.32 and the two-sigma lines 10 ± 3.5467.
"""

from __future__ import annotations

import statistics

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gapwatch.stats.spc import (
    COMMON_CAUSE,
    CONCERNING_HIGH,
    CONSISTENTLY_FAILING,
    CONSISTENTLY_PASSING,
    HIT_AND_MISS,
    IMPROVING_HIGH,
    IMPROVING_LOW,
    NEITHER_LOW,
    SPC_COLUMNS,
    spc_summary,
    xmr_chart,
)

RULES = ("rule_beyond_limits", "rule_two_of_three", "rule_run", "rule_trend")
BASELINE = [11.0, 9.0] * 6  # centre 10, moving ranges all 2
CENTRE, HALF_WIDTH, TWO_SIGMA = 10.0, 2.66 * 2.0, 2.0 / 3.0 * 2.66 * 2.0


def chart(values: list[float | None], **kwargs: object) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"month": list(range(1, len(values) + 1)), "y": values}, schema={"month": pl.Int64, "y": pl.Float64}
    )
    return xmr_chart(frame, "y", "month", **kwargs)  # type: ignore[arg-type]


def flagged(result: pl.DataFrame, rule: str) -> dict[int, str]:
    """{month: 'high'/'low'} where ``rule`` is met."""
    rows = result.filter(pl.col(rule).is_not_null())
    return dict(zip(rows["month"].to_list(), rows[rule].to_list(), strict=True))


def test_the_baseline_sets_centre_and_limits_by_hand() -> None:
    result = chart(BASELINE + [10.5, 9.5], baseline=12)
    first = result.row(0, named=True)
    assert first["centre"] == pytest.approx(CENTRE)
    assert first["mean_moving_range"] == pytest.approx(2.0)
    assert (first["lower_limit"], first["upper_limit"]) == pytest.approx((CENTRE - HALF_WIDTH, CENTRE + HALF_WIDTH))
    assert (first["lower_two_sigma"], first["upper_two_sigma"]) == pytest.approx(
        (CENTRE - TWO_SIGMA, CENTRE + TWO_SIGMA)
    )
    assert first["moving_range_limit"] == pytest.approx(3.267 * 2.0)
    assert result["spc_baseline"].to_list() == [True] * 12 + [False] * 2
    assert result["moving_range"].to_list()[:3] == [None, 2.0, 2.0]
    assert result["variation"].to_list() == [COMMON_CAUSE] * 14
    assert result.columns == ["month", "y", *SPC_COLUMNS]


def test_an_irregular_series_matches_the_formula() -> None:
    values = [52.0, 47.5, 55.1, 49.0, 50.2, 61.3, 48.8, 51.0, 53.7, 46.9]
    result = chart(values)
    centre = statistics.fmean(values)
    mr = statistics.fmean(abs(b - a) for a, b in zip(values, values[1:], strict=False))
    row = result.row(0, named=True)
    assert row["centre"] == pytest.approx(centre, rel=1e-12)
    assert row["lower_limit"] == pytest.approx(centre - 2.66 * mr, rel=1e-12)
    assert row["upper_limit"] == pytest.approx(centre + 2.66 * mr, rel=1e-12)


def test_a_shift_of_eight_points_flags_the_run_rule_from_the_seventh() -> None:
    result = chart(BASELINE + [11.5] * 8, baseline=12)  # above the centre, inside two sigma, equal: no trend
    assert flagged(result, "rule_run") == {19: "high", 20: "high"}  # points 7 and 8 of the shift
    for rule in ("rule_beyond_limits", "rule_two_of_three", "rule_trend"):
        assert flagged(result, rule) == {}, rule
    assert flagged(result, "special_cause") == {19: "high", 20: "high"}


def test_the_run_length_is_a_parameter_and_a_point_on_the_centre_breaks_a_run() -> None:
    shift = BASELINE + [11.5] * 8
    assert min(flagged(chart(shift, baseline=12, run_length=6), "rule_run")) == 18
    assert min(flagged(chart(shift, baseline=12, run_length=8), "rule_run")) == 20
    broken = BASELINE + [11.5] * 4 + [CENTRE] + [11.5] * 4
    assert flagged(chart(broken, baseline=12), "rule_run") == {}


def test_a_single_outlier_is_beyond_the_limits() -> None:
    values = [*BASELINE, 20.0, 11.0, 9.0]
    result = chart(values)  # limits from every point, the outlier included
    centre = statistics.fmean(values)
    mr = statistics.fmean(abs(b - a) for a, b in zip(values, values[1:], strict=False))
    assert centre + 2.66 * mr < 20.0  # the premise: the outlier is beyond even the limits it widens
    assert flagged(result, "rule_beyond_limits") == {13: "high"}
    assert flagged(result, "rule_two_of_three") == {}  # one point beyond two sigma is not two of three
    assert flagged(result, "special_cause") == {13: "high"}


def test_a_seven_point_rising_trend_flags_the_trend_rule() -> None:
    rising = [8.0, 8.6, 9.2, 9.8, 10.4, 11.0, 11.6]  # crosses the centre: no run of 7, nothing near a limit
    result = chart(BASELINE + rising, baseline=12)
    assert flagged(result, "rule_trend") == {19: "high"}
    assert flagged(result, "rule_run") == {}
    falling = chart(BASELINE + [x for x in reversed(rising)], baseline=12)
    assert flagged(falling, "rule_trend") == {19: "low"}
    six = chart(BASELINE + rising[1:], baseline=12)
    assert flagged(six, "rule_trend") == {}
    assert flagged(chart(BASELINE + rising[1:], baseline=12, trend_length=6), "rule_trend") == {18: "high"}


def test_two_equal_values_break_a_trend() -> None:
    result = chart([*BASELINE, 8.0, 8.6, 9.2, 9.2, 9.8, 10.4, 11.0], baseline=12)
    assert flagged(result, "rule_trend") == {}


def test_two_of_three_beyond_two_sigma_on_the_same_side() -> None:
    near = CENTRE + TWO_SIGMA + 0.4  # between two sigma (13.55) and the limit (15.32)
    result = chart([*BASELINE, near, 10.5, near + 0.2], baseline=12)
    assert flagged(result, "rule_two_of_three") == {15: "high"}
    assert flagged(result, "rule_beyond_limits") == {}
    low_side = chart([*BASELINE, 10.5, CENTRE - TWO_SIGMA - 0.5, CENTRE - TWO_SIGMA - 0.1], baseline=12)
    assert flagged(low_side, "rule_two_of_three") == {15: "low"}
    opposite = chart([*BASELINE, near, CENTRE - TWO_SIGMA - 0.5, 10.5], baseline=12)
    assert flagged(opposite, "rule_two_of_three") == {}
    too_far_apart = chart([*BASELINE, near, 10.5, 9.5, near], baseline=12)
    assert flagged(too_far_apart, "rule_two_of_three") == {}


def test_variation_icons_follow_polarity() -> None:
    values = [*BASELINE, 20.0]
    assert chart(values, baseline=12, polarity="high is good")["variation"][-1] == IMPROVING_HIGH
    assert chart(values, baseline=12, polarity="low is good")["variation"][-1] == CONCERNING_HIGH
    assert chart([*BASELINE, 0.0], baseline=12, polarity="lower_is_better")["variation"][-1] == IMPROVING_LOW
    assert chart([*BASELINE, 0.0], baseline=12)["variation"][-1] == NEITHER_LOW


@pytest.mark.parametrize(
    ("polarity", "target", "expected"),
    [
        ("high is good", 12.0, HIT_AND_MISS),  # inside 4.68 .. 15.32
        ("high is good", 4.0, CONSISTENTLY_PASSING),  # below the lower limit: always above target
        ("high is good", 16.0, CONSISTENTLY_FAILING),
        ("low is good", 16.0, CONSISTENTLY_PASSING),
        ("low is good", 4.0, CONSISTENTLY_FAILING),
        ("no judgement", 16.0, None),
        ("high is good", None, None),
    ],
)
def test_assurance_icons(polarity: str, target: float | None, expected: str | None) -> None:
    result = chart(BASELINE, polarity=polarity, target=target)
    assert result["assurance"].to_list() == [expected] * 12


def test_assurance_at_a_limit_is_hit_and_miss() -> None:
    assert chart(BASELINE, polarity="high is good", target=CENTRE + HALF_WIDTH)["assurance"][0] == HIT_AND_MISS


def test_rebasing_only_at_the_given_break_point() -> None:
    after = [21.0, 19.0] * 6
    result = chart(BASELINE + after, rebase=[13])
    assert result["spc_segment"].to_list() == [1] * 12 + [2] * 12
    assert result["centre"].to_list() == [10.0] * 12 + [20.0] * 12
    assert result["mean_moving_range"][12] == pytest.approx(2.0)  # the jump from 9 to 21 is not a moving range
    assert result["moving_range"][12] is None
    assert flagged(result, "special_cause") == {}
    unbroken = chart(BASELINE + after)  # without the break the shift is a signal, and nothing is rebased
    assert unbroken["spc_segment"].unique().to_list() == [1]
    assert flagged(unbroken, "rule_run")


def test_a_rebase_column_marks_new_segments_per_series() -> None:
    frame = pl.DataFrame(
        {
            "area": ["a"] * 6 + ["b"] * 6,
            "t": list(range(6)) * 2,
            "y": [1.0, 2, 1, 10, 11, 10, 5, 6, 5, 6, 5, 6],
            "new": [False, False, False, True, False, False] + [False] * 6,
        }
    )
    result = xmr_chart(frame, "y", "t", group_by="area", rebase_col="new")
    assert result.filter(pl.col("area") == "a")["spc_segment"].to_list() == [1, 1, 1, 2, 2, 2]
    assert result.filter(pl.col("area") == "b")["spc_segment"].to_list() == [1] * 6
    assert result.filter(pl.col("area") == "a")["centre"].to_list() == pytest.approx([4 / 3] * 3 + [31 / 3] * 3)


def test_a_baseline_period_range() -> None:
    values = [*BASELINE, 14.0, 14.0, 14.0]
    result = chart(values, baseline_period=(3, 8))
    base = BASELINE[2:8]
    assert result["centre"][0] == pytest.approx(statistics.fmean(base))
    assert result["spc_baseline"].to_list() == [m in range(3, 9) for m in range(1, 16)]


def test_screened_moving_ranges_by_hand() -> None:
    values = [10.0, 11, 10, 11, 10, 11, 10, 11, 10, 30, 10, 11]
    ranges = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    first = statistics.fmean(ranges)
    kept = [r for r in ranges if r < 3.267 * first]
    assert len(kept) == len(ranges) - 2  # the two jumps of 20 are screened out
    plain, screened = chart(values), chart(values, screen_moving_ranges=True)
    assert plain["mean_moving_range"][0] == pytest.approx(first)
    assert screened["mean_moving_range"][0] == pytest.approx(statistics.fmean(kept))
    assert screened["upper_limit"][0] == pytest.approx(statistics.fmean(values) + 2.66 * statistics.fmean(kept))
    assert "screened" in screened["method"][0] and "screened" not in plain["method"][0]


def test_missing_values_are_left_out_and_keep_their_rows() -> None:
    result = chart([10.0, 12.0, None, 9.0, 11.0])
    assert result.height == 5
    assert result["moving_range"].to_list() == [None, 2.0, None, 3.0, 2.0]  # 12 -> 9 across the gap
    missing = result.row(2, named=True)
    assert missing["centre"] == pytest.approx(10.5) and missing["variation"] is None
    assert all(missing[rule] is None for rule in RULES)


def test_many_series_at_once_equal_each_alone() -> None:
    series = {"a": [*BASELINE, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5], "b": [3.0, 5.0, 4.0, 9.0, 4.5, 4.0, 5.0]}
    rows = [(g, t, v) for g, values in series.items() for t, v in enumerate(values)]
    frame = pl.DataFrame(rows, schema=["area", "t", "y"], orient="row").sample(fraction=1.0, shuffle=True, seed=3)
    together = xmr_chart(frame, "y", "t", group_by=["area"], polarity="high is good")
    for area, values in series.items():
        alone = xmr_chart(pl.DataFrame({"t": list(range(len(values))), "y": values}), "y", "t", polarity="high is good")
        mine = together.filter(pl.col("area") == area).drop("area")
        assert mine.equals(alone), area


def test_summary_reads_the_latest_point() -> None:
    frame = pl.DataFrame(
        {
            "area": ["a"] * 13 + ["b"] * 12,
            "t": list(range(13)) + list(range(12)),
            "y": [*BASELINE, 20.0, *BASELINE],
        }
    )
    points = xmr_chart(frame, "y", "t", group_by="area", baseline=12, polarity="low is good", target=8.0)
    summary = spc_summary(points, "y", "t", group_by="area", target=8.0).sort("area")
    a, b = summary.row(0, named=True), summary.row(1, named=True)
    assert (a["points"], a["latest_period"], a["latest_value"], a["special_cause_points"]) == (13, 12, 20.0, 1)
    assert a["variation"] == CONCERNING_HIGH and b["variation"] == COMMON_CAUSE
    assert a["assurance"] == HIT_AND_MISS and a["target"] == 8.0
    assert a["centre"] == pytest.approx(CENTRE) and a["upper_limit"] == pytest.approx(CENTRE + HALF_WIDTH)


def test_polarity_column_per_series() -> None:
    frame = pl.DataFrame(
        {
            "area": ["a"] * 13 + ["b"] * 13,
            "t": list(range(13)) * 2,
            "y": [*BASELINE, 20.0] * 2,
            "polarity": ["High is good"] * 13 + ["RAG - Low is good"] * 13,
        }
    )
    result = xmr_chart(frame, "y", "t", group_by="area", baseline=12, polarity="polarity")
    last = result.group_by("area").agg(pl.col("variation").last()).sort("area")
    assert last["variation"].to_list() == [IMPROVING_HIGH, CONCERNING_HIGH]


def test_lazy_in_lazy_out() -> None:
    frame = pl.DataFrame({"t": [1, 2, 3], "y": [1.0, 2.0, 3.0]}).lazy()
    assert isinstance(xmr_chart(frame, "y", "t"), pl.LazyFrame)


def test_bad_input_names_the_column_and_rows() -> None:
    with pytest.raises(ValueError, match=r"column 'month': each period may appear once; repeated in rows 1, 2"):
        xmr_chart(pl.DataFrame({"month": [1, 2, 2], "y": [1.0, 2.0, 3.0]}), "y", "month")
    with pytest.raises(ValueError, match=r"column 'y': infinite values in rows 1"):
        xmr_chart(pl.DataFrame({"month": [1, 2], "y": [1.0, float("inf")]}), "y", "month")
    with pytest.raises(ValueError, match=r"column 'month': missing periods in rows 0"):
        xmr_chart(pl.DataFrame({"month": [None, 2], "y": [1.0, 2.0]}), "y", "month")
    with pytest.raises(ValueError, match="column 'centre'"):
        xmr_chart(pl.DataFrame({"month": [1, 2], "y": [1.0, 2.0], "centre": [0, 0]}), "y", "month")
    with pytest.raises(ValueError, match="polarity"):
        chart([1.0, 2.0], polarity="upwards is nice")
    with pytest.raises(ValueError, match="run_length"):
        chart([1.0, 2.0], run_length=1)
    with pytest.raises(ValueError, match="baseline"):
        chart([1.0, 2.0], baseline=1)
    with pytest.raises(ValueError, match="polarity varies"):
        frame = pl.DataFrame({"g": ["a", "a"], "t": [1, 2], "y": [1.0, 2.0], "p": ["high is good", "low is good"]})
        xmr_chart(frame, "y", "t", group_by="g", polarity="p")


# --- properties -------------------------------------------------------------------------------------

SERIES = st.lists(st.integers(min_value=-1000, max_value=1000), min_size=3, max_size=40)
FAST = settings(max_examples=80, deadline=None)


def _clear_of_the_lines(result: pl.DataFrame) -> bool:
    """No point within 1e-6 of a limit or a two-sigma line, where rounding could tip a comparison."""
    y = result["y"].to_numpy()
    lines = [result[c].to_numpy() for c in ("lower_limit", "upper_limit", "lower_two_sigma", "upper_two_sigma")]
    return all(abs(y - line).min() > 1e-6 for line in lines)


@FAST
@given(SERIES, st.integers(min_value=-10_000, max_value=10_000))
def test_shifting_a_series_moves_the_centre_and_keeps_the_width(values: list[int], shift: int) -> None:
    base = chart([float(v) for v in values])
    moved = chart([float(v + shift) for v in values])
    assume(_clear_of_the_lines(base))
    assert moved["centre"][0] == pytest.approx(base["centre"][0] + shift, abs=1e-9)
    width = (base["upper_limit"] - base["lower_limit"]).to_numpy()
    assert (moved["upper_limit"] - moved["lower_limit"]).to_numpy() == pytest.approx(width, abs=1e-9)
    for rule in (*RULES, "variation"):
        assert moved[rule].to_list() == base[rule].to_list(), rule


@FAST
@given(SERIES, st.sampled_from([0.25, 0.5, 2.0, 8.0, 1024.0]))
def test_scaling_a_series_scales_centre_and_limits(values: list[int], factor: float) -> None:
    base = chart([float(v) for v in values])
    scaled = chart([float(v) * factor for v in values])  # powers of two: exact in binary
    for column in ("centre", "lower_limit", "upper_limit", "mean_moving_range"):
        assert scaled[column].to_numpy() == pytest.approx(base[column].to_numpy() * factor, rel=1e-12, abs=1e-12)
    for rule in (*RULES, "variation"):
        assert scaled[rule].to_list() == base[rule].to_list(), rule


@FAST
@given(SERIES)
def test_turning_a_series_upside_down_swaps_high_and_low(values: list[int]) -> None:
    base = chart([float(v) for v in values])
    flipped = chart([-float(v) for v in values])
    swap = {"high": "low", "low": "high", None: None}
    for rule in (*RULES, "special_cause"):
        assert flipped[rule].to_list() == [swap[v] for v in base[rule].to_list()], rule


@pytest.mark.parametrize("marks", [["no", "no", "yes", "no"], ["FALSE", "FALSE", "TRUE", ""], [0, 0, 1, 0]])
def test_break_points_as_spreadsheets_write_them(marks: list[object]) -> None:
    frame = pl.DataFrame({"t": [1, 2, 3, 4], "y": [1.0, 2.0, 10.0, 11.0], "new": marks})
    assert xmr_chart(frame, "y", "t", rebase_col="new")["spc_segment"].to_list() == [1, 1, 2, 2]
    with pytest.raises(ValueError, match=r"column 'new': break points must be true/false, 1/0 or yes/no \(rows 1\)"):
        xmr_chart(frame.with_columns(pl.Series("new", ["no", "maybe", "yes", "no"])), "y", "t", rebase_col="new")
