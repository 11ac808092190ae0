"""Means with Student's t intervals against the reference Mean workbook."""

from __future__ import annotations

import polars as pl
import pytest

from gapwatch.stats.means import mean
from tests.stats.conftest import ReadCsv, assert_frame_columns_close

COLUMNS = [
    "value_sum",
    "value_count",
    "stdev",
    "value",
    "lower95_0cl",
    "upper95_0cl",
    "lower99_8cl",
    "upper99_8cl",
]


def test_grouped_means_match_reference(read_reference: ReadCsv) -> None:
    data = read_reference("csv/testdata_Mean__testdata_Mean.csv")
    expected = read_reference("csv/testdata_Mean__testdata_Mean_results.csv").head(2)
    got = mean(data, "values", group_by=["area"], confidence=[0.95, 0.998])
    assert got["area"].to_list() == expected["area"].to_list()
    assert_frame_columns_close(got, expected, COLUMNS)
    assert got["statistic"].to_list() == expected["statistic"].to_list()
    assert got["method"].to_list() == expected["method"].to_list()


def test_ungrouped_mean_matches_reference(read_reference: ReadCsv) -> None:
    data = read_reference("csv/testdata_Mean__testdata_Mean.csv")
    expected = read_reference("csv/testdata_Mean__testdata_Mean_results.csv").tail(1)
    got = mean(data.lazy(), "values", confidence=[95, 99.8]).collect()
    assert got.height == 1
    assert_frame_columns_close(got, expected, COLUMNS)


def test_missing_values_are_left_out_and_a_single_value_has_no_interval() -> None:
    frame = pl.DataFrame({"g": ["a", "a", "a", "b"], "v": [1.0, None, 3.0, 5.0]})
    got = mean(frame, "v", group_by=["g"])
    assert got["value_count"].to_list() == [2, 1]
    assert got["value"].to_list() == [2.0, 5.0]
    assert got["lowercl"][1] is None and got["uppercl"][1] is None
    # values 1 and 3: s = √2, so s/√n = 1, and t(0.975; 1 df) = 12.7062047…
    assert got["lowercl"][0] == pytest.approx(2.0 - 12.706204736174707)


def test_non_numeric_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="column 'v': must be numeric"):
        mean(pl.DataFrame({"v": ["1", "x"]}), "v")
