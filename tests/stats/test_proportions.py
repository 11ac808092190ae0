"""Wilson score proportions against the PHEindicatormethods reference sheets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gapwatch.stats.proportions import proportion, wilson_limits
from tests.stats.conftest import ReadCsv, assert_close, assert_frame_columns_close

LEVELS = {"95%": 0.95, "99.8%": 0.998}


def test_wilson_kernel_matches_reference_rows(read_reference: ReadCsv) -> None:
    sheet = read_reference("csv/testdata_Byars_Wilson__testdata_B_W.csv").filter(pl.col("method") == "Wilson")
    assert sheet.height == 6  # rows 7-12, including the non-integer x = 0.445
    for label, level in LEVELS.items():
        rows = sheet.filter(pl.col("confidence") == label)
        lower, upper = wilson_limits(rows["x"].to_numpy(), rows["n"].to_numpy(), level)
        assert_close(lower, rows["lowercl"], label=f"lower {label}")
        assert_close(upper, rows["uppercl"], label=f"upper {label}")


def test_wilson_at_full_confidence_spans_zero_to_one() -> None:
    lower, upper = wilson_limits(np.array([3.0, 0.0]), np.array([10.0, 5.0]), 1.0)
    assert lower.tolist() == [0.0, 0.0]
    assert upper.tolist() == [1.0, 1.0]


def test_wilson_handles_none_and_all() -> None:
    lower, upper = wilson_limits(np.array([0.0, 20.0]), np.array([20.0, 20.0]), 0.95)
    assert lower[0] == 0.0 and 0 < upper[0] < 0.2
    assert upper[1] == pytest.approx(1.0) and 0.8 < lower[1] < 1.0


@pytest.mark.parametrize("multiplier", [1, 100])
def test_proportion_two_levels_matches_reference(read_reference: ReadCsv, multiplier: int) -> None:
    sheet = read_reference("csv/testdata_Proportion__testdata_Prop.csv")
    rows = sheet.filter(pl.col("multiplier") == multiplier)  # multiplier 1 includes the NA rows 17-19
    got = proportion(
        rows.select("Area", "Numerator", "Denominator"),
        "Numerator",
        "Denominator",
        confidence=[0.95, 0.998],
        multiplier=multiplier,
    )
    assert_frame_columns_close(got, rows, ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"])
    assert got["statistic"].to_list() == rows["statistic"].to_list()
    assert got["method"].to_list() == rows["method"].to_list()
    assert set(got["confidence"].to_list()) == {"95%, 99.8%"}
    assert got["Area"].to_list() == rows["Area"].to_list()


def test_missing_inputs_give_missing_results_without_error(read_reference: ReadCsv) -> None:
    rows = read_reference("csv/testdata_Proportion__testdata_Prop.csv").tail(3)
    got = proportion(rows.select("Numerator", "Denominator"), "Numerator", "Denominator")
    assert got.select(pl.col("value", "lowercl", "uppercl").null_count()).row(0) == (3, 3, 3)


def test_grouped_proportion_sums_numerators_and_denominators(read_reference: ReadCsv) -> None:
    sheet = read_reference("csv/testdata_Proportion__testdata_Prop.csv")
    expected = read_reference("csv/testdata_Proportion__testdata_Prop_g.csv")
    got = proportion(sheet.select("Area", "Numerator", "Denominator"), "Numerator", "Denominator", group_by=["Area"])
    assert got["Area"].to_list() == expected["Area"].to_list()
    assert_frame_columns_close(got, expected, ["Numerator", "Denominator", "value", "lowercl", "uppercl"])
    assert got["confidence"].to_list() == expected["confidence"].to_list()
    assert got["statistic"].to_list() == expected["statistic"].to_list()


def test_lazy_input_gives_lazy_output() -> None:
    frame = pl.LazyFrame({"x": [1, 5], "n": [10, 10]})
    got = proportion(frame, "x", "n", confidence=0.998, multiplier=100)
    assert isinstance(got, pl.LazyFrame)
    out = got.collect()
    assert out.columns == ["x", "n", "value", "lowercl", "uppercl", "confidence", "statistic", "method"]
    assert out["confidence"].to_list() == ["99.8%", "99.8%"]
    assert out["statistic"][0] == "percentage"


def test_other_multipliers_are_labelled() -> None:
    got = proportion(pl.DataFrame({"x": [1], "n": [4]}), "x", "n", multiplier=1000)
    assert got["statistic"][0] == "proportion of 1000"
    assert got["value"][0] == pytest.approx(250.0)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"x": [1, 2, 3, -1, 5, -2], "n": [9] * 6}), "column 'x': negative values in rows 3, 5"),
        (pl.DataFrame({"x": [1, 12], "n": [10, 10]}), "column 'x': values greater than 'n' in rows 1"),
        (pl.DataFrame({"x": [1, 0], "n": [0, 10]}), "column 'n': zero or negative values in rows 0"),
        (pl.DataFrame({"x": ["a", "b"], "n": [10, 10]}), "column 'x': must be numeric"),
        (pl.DataFrame({"numerator": [1], "n": [10]}), "column 'x': not found"),
    ],
)
def test_bad_input_names_column_and_rows(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        proportion(frame, "x", "n")


def test_error_lists_at_most_five_rows() -> None:
    frame = pl.DataFrame({"x": [-1] * 8, "n": [10] * 8})
    with pytest.raises(ValueError, match=r"rows 0, 1, 2, 3, 4 and 3 more$"):
        proportion(frame, "x", "n")


def test_unknown_group_column_is_an_error() -> None:
    with pytest.raises(ValueError, match="column 'area': not found"):
        proportion(pl.DataFrame({"x": [1], "n": [2]}), "x", "n", group_by=["area"])


def test_repeated_confidence_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="confidence: each level may be given once"):
        proportion(pl.DataFrame({"x": [1], "n": [2]}), "x", "n", confidence=[0.95, 95])
