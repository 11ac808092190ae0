"""Crude rates and counts (exact below 10 events, Byar's from 10) against the reference sheets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from gapwatch.stats.rates import (
    byars_limits,
    count_ci,
    exact_poisson_limits,
    poisson_count_limits,
    rate,
)
from tests.stats.conftest import ReadCsv, assert_close, assert_frame_columns_close

LEVELS = {"95%": 0.95, "99.8%": 0.998}
LIMITS = ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


def test_byars_kernel_matches_reference_rows(read_reference: ReadCsv) -> None:
    sheet = read_reference("csv/testdata_Byars_Wilson__testdata_B_W.csv").filter(pl.col("method") == "Byars")
    assert sheet.height == 7  # rows 1-6 and 13
    for label, level in LEVELS.items():
        rows = sheet.filter(pl.col("confidence") == label)
        lower, upper = byars_limits(rows["x"].to_numpy(), level)
        # row 13 (x = 1 at 99.8%): Byar's lower limit is negative and the reference gives NA
        assert_close(lower, rows["lowercl"], label=f"lower {label}")
        assert_close(upper, rows["uppercl"], label=f"upper {label}")


def test_exact_limits_are_the_chi_squared_quantiles() -> None:
    lower, upper = exact_poisson_limits(np.array([0.0, 1.0, 9.0, np.nan]), 0.95)
    assert lower[0] == 0.0
    assert upper[0] == pytest.approx(-np.log(0.025), rel=1e-12)  # P(X=0 | mu) = 0.025
    assert sps.poisson.cdf(9, upper[2]) == pytest.approx(0.025, rel=1e-9)
    assert sps.poisson.sf(8, lower[2]) == pytest.approx(0.025, rel=1e-9)
    assert np.isnan(lower[3]) and np.isnan(upper[3])


def test_count_limits_switch_method_at_ten() -> None:
    x = np.array([9.0, 10.0])
    lower, upper = poisson_count_limits(x, 0.95)
    exact = exact_poisson_limits(x, 0.95)
    byars = byars_limits(x, 0.95)
    assert (lower[0], upper[0]) == (exact[0][0], exact[1][0])
    assert (lower[1], upper[1]) == (byars[0][1], byars[1][1])


@pytest.mark.parametrize("multiplier", [100, 100000])
def test_rate_two_levels_matches_reference(read_reference: ReadCsv, multiplier: int) -> None:
    sheet = read_reference("csv/testdata_Rate__testdata_Rate.csv")
    rows = sheet.filter(pl.col("multiplier") == multiplier)
    got = rate(
        rows.select("Area", "Numerator", "Denominator"),
        "Numerator",
        "Denominator",
        confidence=[0.95, 0.998],
        multiplier=multiplier,
    )
    assert_frame_columns_close(got, rows, LIMITS)
    assert got["method"].to_list() == rows["method"].to_list()
    assert got["statistic"].to_list() == rows["statistic"].to_list()


def test_rate_na_rows_and_numerator_above_denominator(read_reference: ReadCsv) -> None:
    rows = read_reference("csv/testdata_Rate__testdata_Rate.csv").tail(4)  # Area09-11 NA, Area12 250/220
    got = rate(rows.select("Numerator", "Denominator"), "Numerator", "Denominator", confidence=[0.95, 0.998])
    assert_frame_columns_close(got, rows, LIMITS)
    assert got["method"].to_list() == rows["method"].to_list()  # null where the count is missing


def test_grouped_rate_matches_reference(read_reference: ReadCsv) -> None:
    sheet = read_reference("csv/testdata_Rate__testdata_Rate.csv")
    expected = read_reference("csv/testdata_Rate__testdata_Rate_g.csv")
    got = rate(sheet.select("Area", "Numerator", "Denominator"), "Numerator", "Denominator", group_by=["Area"])
    assert got["Area"].to_list() == expected["Area"].to_list()
    assert_frame_columns_close(got, expected, ["Numerator", "Denominator", "value", "lowercl", "uppercl"])
    assert got["method"].to_list() == expected["method"].to_list()
    assert got["confidence"].to_list() == expected["confidence"].to_list()


def test_count_ci_gives_poisson_limits_for_counts() -> None:
    frame = pl.DataFrame({"area": ["a", "a", "b"], "crimes": [3, 4, 120]})
    got = count_ci(frame, "crimes", group_by=["area"], confidence=0.998)
    assert got["value"].to_list() == [7.0, 120.0]
    assert got["method"].to_list() == ["Exact", "Byars"]
    lower, upper = exact_poisson_limits(np.array([7.0]), 0.998)
    assert got["lowercl"][0] == pytest.approx(lower[0]) and got["uppercl"][0] == pytest.approx(upper[0])
    assert got["statistic"].to_list() == ["count", "count"]


def test_lazy_in_lazy_out() -> None:
    got = rate(pl.LazyFrame({"x": [12], "n": [1000]}), "x", "n")
    assert isinstance(got, pl.LazyFrame)
    assert got.collect()["statistic"][0] == "rate per 100000"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"x": [1, -3], "n": [10, 10]}), "column 'x': negative values in rows 1"),
        (pl.DataFrame({"x": [1, 3], "n": [10, 0]}), "column 'n': zero or negative values in rows 1"),
        (pl.DataFrame({"x": [1.5], "n": ["ten"]}), "column 'n': must be numeric"),
    ],
)
def test_bad_input_raises(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rate(frame, "x", "n")


def test_count_ci_with_byars_forced_matches_the_reference_rows(read_reference: ReadCsv) -> None:
    # The reference's Byar's rows apply Byar's to every count, 1 included: at 99.8% its lower limit is NA.
    sheet = read_reference("csv/testdata_Byars_Wilson__testdata_B_W.csv").filter(pl.col("method") == "Byars")
    for label, level in LEVELS.items():
        rows = sheet.filter(pl.col("confidence") == label)
        got = count_ci(rows.select("x"), "x", confidence=level, method="byars")
        assert_close(got["lowercl"], rows["lowercl"], label=f"lower {label}")
        assert_close(got["uppercl"], rows["uppercl"], label=f"upper {label}")
        assert got["method"].to_list() == ["Byars"] * rows.height
    one = count_ci(pl.DataFrame({"x": [1]}), "x", confidence=0.998, method="byars").row(0, named=True)
    assert one["lowercl"] is None and one["uppercl"] == pytest.approx(9.362180217908362, rel=1e-12)


def test_count_ci_method_choice() -> None:
    frame = pl.DataFrame({"x": [1, 65, None]})
    auto = count_ci(frame, "x", confidence=0.998)
    exact = count_ci(frame, "x", confidence=0.998, method="exact")
    byars = count_ci(frame, "x", confidence=0.998, method="byars")
    assert auto["method"].to_list() == ["Exact", "Byars", None]
    assert exact["method"].to_list() == ["Exact", "Exact", None]
    assert auto["lowercl"][0] == exact["lowercl"][0] == pytest.approx(sps.chi2.ppf(0.001, 2) / 2, rel=1e-12)
    assert auto["uppercl"][1] == byars["uppercl"][1] != exact["uppercl"][1]
    assert exact["uppercl"][1] == pytest.approx(sps.chi2.ppf(0.999, 132) / 2, rel=1e-12)
    with pytest.raises(ValueError, match="method"):
        count_ci(frame, "x", method="wilson")  # type: ignore[arg-type]
