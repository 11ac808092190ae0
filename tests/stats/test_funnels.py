"""Funnel plot limits and significance against the reference funnel CSVs.

Proportion limits are compared at the README's tolerances. The reference finds exact Poisson limits by
bisection stopped at 1e-7, while gapwatch takes them straight from the chi-squared distribution, so the
Poisson funnel columns are compared at rtol=5e-5: the largest gap, 4.7e-5, is the 99.8% limit at one
observed event, where the expected count is only 0.001 (elsewhere the gap is below 4e-6).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from gapwatch.stats.funnels import (
    NOT_APPLICABLE_DSR,
    assign_funnel_significance,
    calculate_funnel_limits,
    funnel_axis,
    funnel_axis_range,
)
from tests.stats.conftest import ReadCsv, assert_frame_columns_close

POISSON_RTOL = 5e-5
PROPORTION_COLUMNS = {
    "population": "Population",
    "lower_2s_limit": "Lower2s0025limit",
    "upper_2s_limit": "Upper2s0025limit",
    "lower_3s_limit": "Lower3s0001limit",
    "upper_3s_limit": "Upper3s0001limit",
    "baseline": "Baseline",
}
RATE_COLUMNS = [
    f"{side}_{tag}_{kind}"
    for side in ("lower", "upper")
    for tag in ("2s", "3s")
    for kind in ("population_1_year", "limit")
]


def test_proportion_limits_match_reference(read_reference: ReadCsv) -> None:
    inputs = read_reference("original/testdata_funnel_prop_inputs.csv")
    expected = read_reference("original/testdata_funnel_prop_outputs.csv")
    got = calculate_funnel_limits(inputs, "numerator", "denominator", statistic="proportion", multiplier=100)
    assert_frame_columns_close(got, expected, PROPORTION_COLUMNS, rtol=0, atol=1e-6)  # 6 dp in the file


def test_proportion_limits_with_a_raised_axis_minimum(read_reference: ReadCsv) -> None:
    inputs = read_reference("original/testdata_funnel_prop_inputs.csv").filter(pl.col("denominator") < 31000)
    expected = read_reference("original/testdata_funnel_prop_outputs_with_axis_variation.csv")
    got = calculate_funnel_limits(inputs, "numerator", "denominator", statistic="proportion", multiplier=100)
    assert got["population"][0] == 10000 and got["population"][-1] == 33000
    assert_frame_columns_close(got, expected, PROPORTION_COLUMNS, rtol=1e-8)


def test_proportion_significance_matches_reference(read_reference: ReadCsv) -> None:
    inputs = read_reference("original/testdata_funnel_prop_inputs.csv")
    got = assign_funnel_significance(inputs.drop("significance"), "numerator", "denominator", statistic="proportion")
    assert got["significance"].to_list() == inputs["significance"].to_list()


@pytest.mark.parametrize(("ratio_type", "suffix"), [("count", "count"), ("isr", "isr")])
def test_ratio_limits_on_the_reference_axis(read_reference: ReadCsv, ratio_type: str, suffix: str) -> None:
    inputs = read_reference("original/testdata_funnel_ratio_inputs.csv")
    expected = read_reference("original/testdata_funnel_ratio_outputs.csv")
    observed = expected[expected.columns[0]]  # its header holds a newline
    got = calculate_funnel_limits(
        inputs,
        "obs",
        "expected",
        statistic="ratio",
        ratio_type=ratio_type,  # type: ignore[arg-type]
        axis=observed.to_list(),
    )
    columns = {}
    for side in ("lower", "upper"):
        for tag in ("2s", "3s"):
            columns[f"{side}_{tag}_exp_events"] = f"{side}_{tag}_exp_events"
            columns[f"{side}_{tag}_limit"] = f"{side}_{tag}_{suffix}"
    assert_frame_columns_close(got, expected, columns, rtol=POISSON_RTOL)
    assert got["statistic"][0] == f"ratio ({ratio_type})"


def test_ratio_significance_matches_reference(read_reference: ReadCsv) -> None:
    inputs = read_reference("original/testdata_funnel_ratio_inputs.csv")
    got = assign_funnel_significance(inputs.drop("significance"), "obs", "expected", statistic="ratio")
    assert got["significance"].to_list() == inputs["significance"].to_list()


def _rate_inputs(read: ReadCsv) -> pl.DataFrame:
    return read("original/testdata_funnel_rate_input_funnels.csv", null_values=["", "NA"])


def test_dsr_rate_limits_match_reference(read_reference: ReadCsv) -> None:
    expected = read_reference("original/testdata_funnel_rate_outputs.csv")
    got = calculate_funnel_limits(
        _rate_inputs(read_reference), "ev", None, statistic="rate", rate="rate", rate_type="dsr",
        multiplier=100000, years_of_data=3,
    )  # fmt: skip
    assert got["events"].to_list() == expected["Events"].to_list()
    assert_frame_columns_close(got, expected, ["baseline"], rtol=1e-8)
    assert_frame_columns_close(got, expected, RATE_COLUMNS, rtol=POISSON_RTOL)
    assert got["statistic"].to_list() == expected["statistic"].to_list()
    assert got["method"].to_list() == expected["method"].to_list()


def test_crude_rate_limits_match_reference(read_reference: ReadCsv) -> None:
    inputs = _rate_inputs(read_reference)
    inputs = inputs.with_columns(
        pl.when(pl.col("ev") == pl.col("ev").max()).then(5).otherwise(pl.col("ev")).alias("ev")
    )
    expected = read_reference("original/testdata_funnel_rate_outputs_2.csv")
    got = calculate_funnel_limits(
        inputs,
        "ev",
        None,
        statistic="rate",
        rate="rate",
        rate_type="crude",
        multiplier=100000,
        years_of_data=3,
    )
    assert got["events"].to_list() == expected["Events"].to_list()
    assert_frame_columns_close(got, expected, ["baseline"], rtol=1e-8)
    assert_frame_columns_close(got, expected, RATE_COLUMNS, rtol=POISSON_RTOL)
    assert got["statistic"].to_list() == expected["statistic"].to_list()


def test_crude_rate_limits_with_a_denominator(read_reference: ReadCsv) -> None:
    inputs = _rate_inputs(read_reference).with_columns(pop=100000 * pl.col("ev") / pl.col("rate"))
    largest = pl.col("ev") == pl.col("ev").max()
    inputs = inputs.with_columns(
        pl.when(largest).then(0).otherwise(pl.col("ev")).alias("ev"),
        pl.when(largest).then(0).otherwise(pl.col("rate")).alias("rate"),
    ).filter(pl.col("pop") > pl.col("pop").max() / 2)
    expected = read_reference("original/testdata_funnel_rate_outputs_3.csv")
    got = calculate_funnel_limits(
        inputs,
        "ev",
        "pop",
        statistic="rate",
        rate="rate",
        rate_type="crude",
        multiplier=100000,
        years_of_data=3,
    )
    assert got["events"].to_list() == expected["Events"].to_list()
    assert_frame_columns_close(got, expected, ["baseline"], rtol=1e-8)
    assert_frame_columns_close(got, expected, RATE_COLUMNS, rtol=POISSON_RTOL)


@pytest.mark.parametrize("rate_type", ["dsr", "crude"])
@pytest.mark.parametrize("per", [100000, 100])
@pytest.mark.parametrize("zeros", ["with_0", "without_0"])
def test_rate_significance_matches_reference(read_reference: ReadCsv, rate_type: str, per: int, zeros: str) -> None:
    inputs = read_reference("original/testdata_funnel_rate_dsr_inputs.csv", null_values=["", "NA"])
    if zeros == "without_0":
        inputs = inputs.filter(pl.col("count") > 0)
    rate_column = "rate_dsr" if rate_type == "dsr" else f"rate_crude_per_{per}"
    inputs = inputs.with_columns(
        (pl.col("rate_dsr") * per / 100000).alias("rate_dsr")  # the DSR column is per 100,000
    )
    denominator = "pop" if rate_type == "crude" else None
    got = assign_funnel_significance(
        inputs, "count", denominator, statistic="rate", rate=rate_column, rate_type=rate_type,  # type: ignore[arg-type]
        multiplier=per,
    )  # fmt: skip
    expected = inputs[f"{rate_type}_per_{per}_{zeros}"]
    assert got["significance"].to_list() == expected.to_list()
    if rate_type == "dsr" and zeros == "with_0":
        assert NOT_APPLICABLE_DSR in got["significance"].to_list()


def test_axis_starts_at_one_and_spreads_geometrically() -> None:
    low, high = funnel_axis_range([16386, 102950])
    assert (low, high) == (1.0, 110000.0)
    axis = funnel_axis(low, high)
    assert axis.size == 100 and axis[0] == 1 and axis[-1] == 110000
    assert np.all(np.diff(axis) >= 1)
    assert axis[:14].tolist() == list(range(1, 15))


def test_exact_ratio_limits_are_poisson_quantile_points() -> None:
    frame = pl.DataFrame({"obs": [5, 50], "expected": [5.0, 40.0]})
    got = calculate_funnel_limits(frame, "obs", "expected", statistic="ratio", ratio_type="count", axis=[20])
    assert sps.poisson.cdf(20, got["lower_2s_exp_events"][0]) == pytest.approx(0.025, rel=1e-9)
    assert sps.poisson.sf(19, got["upper_2s_exp_events"][0]) == pytest.approx(0.025, rel=1e-9)


def test_funnel_arguments_are_checked() -> None:
    frame = pl.DataFrame({"x": [1, 2], "n": [10, 20]})
    with pytest.raises(ValueError, match="statistic"):
        calculate_funnel_limits(frame, "x", "n", statistic="mean")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ratio_type"):
        calculate_funnel_limits(frame, "x", "n", statistic="ratio")
    with pytest.raises(ValueError, match="years_of_data"):
        calculate_funnel_limits(frame, "x", "n", statistic="rate", rate="x", rate_type="crude")
    with pytest.raises(ValueError, match="column 'x': negative values in rows 1"):
        assign_funnel_significance(frame.with_columns(x=pl.Series([1, -2])), "x", "n", statistic="proportion")
