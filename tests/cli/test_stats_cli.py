"""`gapwatch stats METHOD INPUT.csv`: each method on a small CSV, checked against values computed here.

The expected numbers are worked out in the tests from the published formulas (Wilson 1927; Byar's and
exact Poisson limits, Breslow & Day 1987; Student's t; Dobson et al. 1991; Low & Low 2004; Cochran-
Armitage), not copied from the command's own output.
"""

from __future__ import annotations

import io
import math
import re
import statistics
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import typer
from rich.console import Console
from scipy import stats as sps
from typer.testing import CliRunner, Result

from gapwatch.cli import stats
from gapwatch.errors import InvalidInput

Z95 = statistics.NormalDist().inv_cdf(0.975)
Z998 = statistics.NormalDist().inv_cdf(0.999)


def _app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(stats.app, name="stats")
    return root


APP = _app()


def run(*args: object) -> Result:
    return CliRunner().invoke(APP, ["stats", *(str(a) for a in args)])


def ok(*args: object) -> pl.DataFrame:
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return pl.read_csv(io.StringIO(result.stdout))


def fails(*args: object) -> InvalidInput:
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, InvalidInput), repr(result.exception)
    assert "\n" not in result.exception.message  # one line
    return result.exception


@pytest.fixture
def csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(text: str, name: str = "input.csv") -> Path:
        path = tmp_path / name
        path.write_text(text.strip() + "\n", encoding="utf-8")
        return path

    return write


def wilson(x: float, n: float, z: float) -> tuple[float, float]:
    p = x / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def byars(x: float, z: float) -> tuple[float, float]:
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    x1 = x + 1
    return lower, x1 * (1 - 1 / (9 * x1) + z / (3 * math.sqrt(x1))) ** 3


COMMANDS = [
    "proportion",
    "rate",
    "count",
    "mean",
    "dsr",
    "isr",
    "life-expectancy",
    "sii",
    "quantile",
    "gap",
    "trend",
    "spc",
    "funnel",
    "compare",
    "target",
    "gap-target",
    "reward",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_method_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert "INPUT" in result.stdout and "--output" in result.stdout


# --- values -----------------------------------------------------------------------------------------


def test_proportion_two_levels_names_the_columns_as_the_reference(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,passed,pupils\nA,30,120\nB,0,40\nC,,10")
    out = ok("proportion", path, "--x", "passed", "--n", "pupils", "-c", "0.95", "-c", "0.998", "--multiplier", 100)
    assert out.columns == [
        "area",
        "passed",
        "pupils",
        "value",
        "lower95_0cl",
        "upper95_0cl",
        "lower99_8cl",
        "upper99_8cl",
        "confidence",
        "statistic",
        "method",
    ]
    a = out.row(0, named=True)
    assert a["value"] == pytest.approx(25.0)
    lo, hi = wilson(30, 120, Z95)
    assert (a["lower95_0cl"], a["upper95_0cl"]) == pytest.approx((100 * lo, 100 * hi), rel=1e-9)
    lo, hi = wilson(30, 120, Z998)
    assert (a["lower99_8cl"], a["upper99_8cl"]) == pytest.approx((100 * lo, 100 * hi), rel=1e-9)
    assert out["lower95_0cl"][1] == 0.0 and out["value"][2] is None  # x = 0 and a missing numerator
    assert a["statistic"] == "percentage" and a["method"] == "Wilson"


def test_proportion_grouped_sums_first_and_writes_the_file(csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = csv("district,numerator,denominator\nX,3,10\nX,7,30\nY,5,5")
    target = tmp_path / "out.csv"
    result = run("proportion", path, "--group-by", "district", "-o", target)
    assert result.exit_code == 0, result.output
    assert "Wrote 2 rows" in result.stderr
    out = pl.read_csv(target)
    assert out.columns[:3] == ["district", "numerator", "denominator"]
    assert {"lowercl", "uppercl", "confidence", "statistic", "method"} <= set(out.columns)
    x = out.filter(pl.col("district") == "X").row(0, named=True)
    assert x["value"] == pytest.approx(10 / 40)
    assert (x["lowercl"], x["uppercl"]) == pytest.approx(wilson(10, 40, Z95), rel=1e-9)


def test_rate_uses_exact_below_ten_and_byars_from_ten(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,deaths,pop\nA,4,2000\nB,250,100000")
    out = ok("rate", path, "--x", "deaths", "--n", "pop")
    small, big = out.row(0, named=True), out.row(1, named=True)
    assert small["value"] == pytest.approx(4 / 2000 * 1e5)
    exact_lower = sps.chi2.ppf(0.025, 8) / 2
    exact_upper = sps.chi2.ppf(0.975, 10) / 2
    assert small["lowercl"] == pytest.approx(exact_lower / 2000 * 1e5, rel=1e-9)
    assert small["uppercl"] == pytest.approx(exact_upper / 2000 * 1e5, rel=1e-9)
    lo, hi = byars(250, Z95)
    assert (big["lowercl"], big["uppercl"]) == pytest.approx((lo, hi), rel=1e-9)  # per 100,000 of 100,000
    assert (small["method"], big["method"]) == ("Exact", "Byars")
    assert big["statistic"] == "rate per 100000"


def test_mean_per_group_with_t_interval(csv) -> None:  # type: ignore[no-untyped-def]
    values = [3.0, 5.0, 8.0, 10.0]
    path = csv("g,score\n" + "\n".join(f"a,{v}" for v in values) + "\nb,1\nb,2")
    out = ok("mean", path, "--value", "score", "-g", "g")
    a = out.filter(pl.col("g") == "a").row(0, named=True)
    half = sps.t.ppf(0.975, 3) * statistics.stdev(values) / 2
    assert a["value"] == pytest.approx(6.5)
    assert (a["lowercl"], a["uppercl"]) == pytest.approx((6.5 - half, 6.5 + half), rel=1e-9)
    assert out.height == 2


def test_dsr_with_a_standard_population_column(csv) -> None:  # type: ignore[no-untyped-def]
    rows = [("A", "young", 12, 1000, 6000), ("A", "old", 30, 500, 4000)]
    path = csv("area,band,count,population,std\n" + "\n".join(",".join(map(str, r)) for r in rows))
    out = ok("dsr", path, "--stdpop", "std", "-g", "area", "--multiplier", 100000)
    got = out.row(0, named=True)
    w = np.array([6000.0, 4000.0])
    x = np.array([12.0, 30.0])
    n = np.array([1000.0, 500.0])
    rate = float(np.sum(w * x / n) / w.sum())
    var = float(np.sum(w * w * x / n**2) / w.sum() ** 2)
    o = x.sum()
    o_low, o_high = byars(o, Z95)
    assert got["value"] == pytest.approx(rate * 1e5, rel=1e-9)
    assert got["lowercl"] == pytest.approx((rate + math.sqrt(var / o) * (o_low - o)) * 1e5, rel=1e-9)
    assert got["uppercl"] == pytest.approx((rate + math.sqrt(var / o) * (o_high - o)) * 1e5, rel=1e-9)
    assert got["total_count"] == 42


@pytest.fixture
def dsr_reference(shared_data: Path) -> pl.DataFrame:
    """The multi-area DSR input of the PHEindicatormethods workbook (see tests/stats/conftest.py).

    Its '55-69' band is a typo for 55-59 in the source (phe-reference/README.md); it is corrected here so
    that ESP2013 can be joined by label.
    """
    path = shared_data / "phe-reference" / "csv" / "testdata_DSR_ISR__testdata_multiarea.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent: the PHEindicatormethods reference data is not in the shared data")
    data = pl.read_csv(path, null_values=[""], infer_schema_length=None)
    return data.with_columns(pl.col("ageband").replace("55-69", "55-59"))


def test_dsr_joins_esp2013_by_age_band_whatever_the_row_order(dsr_reference: pl.DataFrame, tmp_path: Path) -> None:
    values = {}
    for order, frame in (("given", dsr_reference), ("reversed", dsr_reference.reverse())):
        path = tmp_path / f"{order}.csv"
        frame.write_csv(path)
        out = ok("dsr", path, "--n", "pop", "-g", "area").sort("area")  # the band column is 'ageband
        values[order] = out["value"].to_list()
    assert values["given"][0] == pytest.approx(10430.247991469423, rel=1e-8)  # testresults_DSR row 5
    assert values["reversed"][:2] == pytest.approx(values["given"][:2], rel=1e-12)  # row order gave 15,761
    assert values["given"][2] is None and values["reversed"][2] is None  # testdata_tiny: 9 events


def test_dsr_refuses_an_unknown_band_naming_the_file_and_the_band(dsr_reference: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "bands.csv"
    bands = dsr_reference.rename({"ageband": "Age band"})
    bands.with_columns(pl.col("Age band").replace("90+", "95+")).write_csv(path)
    error = fails("dsr", path, "--n", "pop", "-g", "area", "--age-band", "Age band")  # exit 1, one line
    assert str(path) in error.message and "'95+'" in error.message and "area='testdata_big'" in error.message
    assert "column 'Age band'" in error.message and "ESP2013" in error.message
    from gapwatch.cli.main import report_error

    buffer = io.StringIO()
    report_error(error, Console(file=buffer, width=1000, color_system=None))
    first = buffer.getvalue().splitlines()[0]
    assert first.startswith("Error: ") and "'95+'" in first and str(path) in first


def test_dsr_needs_the_age_band_column_unless_a_standard_column_is_given(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,count,population\nA,5,100")
    error = fails("dsr", path)
    assert "column 'ageband' not found" in error.message and str(path) in error.message


def test_isr_rate_and_ratio(csv) -> None:  # type: ignore[no-untyped-def]
    text = "area,count,population,refcount,refpop\nA,20,1000,300,10000\nA,40,2000,500,10000"
    expected = 1000 * 300 / 10000 + 2000 * 500 / 10000  # 130
    ratio = ok("isr", csv(text), "-g", "area", "--ratio", "--refvalue", 100).row(0, named=True)
    assert ratio["value"] == pytest.approx(60 / expected * 100)
    lo, hi = byars(60, Z95)
    assert (ratio["lowercl"], ratio["uppercl"]) == pytest.approx((lo / expected * 100, hi / expected * 100))
    rate = ok("isr", csv(text), "-g", "area").row(0, named=True)
    assert rate["value"] == pytest.approx(60 / expected * 800 / 20000 * 1e5)


def test_sii_of_a_straight_line_is_its_slope(csv) -> None:  # type: ignore[no-untyped-def]
    # Equal populations: quantile q has the rank midpoint (q - 0.5) / 5; values on the line 50 + 20 x.
    rows = [(q, 1000, 50 + 20 * (q - 0.5) / 5, 0.5) for q in range(1, 6)]
    path = csv("quantile,population,value,se\n" + "\n".join(",".join(map(str, r)) for r in rows))
    out = ok("sii", path, "--value", "value", "--se", "se", "--rii", "--repetitions", 2000, "--seed", 7)
    got = out.row(0, named=True)
    assert got["sii"] == pytest.approx(20.0, rel=1e-9)
    assert got["rii"] == pytest.approx(70.0 / 50.0, rel=1e-9)
    assert got["sii_lowercl"] < 20.0 < got["sii_uppercl"]


def test_quantile_puts_the_highest_values_in_quantile_one(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,score\n" + "\n".join(f"a{i},{i}" for i in range(1, 11)))
    out = ok("quantile", path, "--value", "score", "--nquantiles", 5)
    assert out.filter(pl.col("score") == 10)["quantile"][0] == 1
    assert out.filter(pl.col("score") == 1)["quantile"][0] == 5
    not_inverted = ok("quantile", path, "--value", "score", "--nquantiles", 5, "--no-invert")
    assert not_inverted.filter(pl.col("score") == 1)["quantile"][0] == 1


def test_gap_between_two_groups_is_a_difference_of_percentages(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("year,fsm,passed,pupils\n2024,yes,40,200\n2024,no,300,1000\n2023,yes,30,180\n2023,no,280,990")
    out = ok(
        "gap",
        path,
        "--x",
        "passed",
        "--n",
        "pupils",
        "--category",
        "fsm",
        "--subject",
        "yes",
        "--comparator",
        "no",
        "-g",
        "year",
    )
    row = out.filter(pl.col("year") == 2024).row(0, named=True)
    p1, p2 = 40 / 200, 300 / 1000
    assert row["gap"] == pytest.approx(100 * (p1 - p2))
    assert row["ratio"] == pytest.approx(p1 / p2)
    l1, u1 = wilson(40, 200, Z95)
    l2, u2 = wilson(300, 1000, Z95)
    newcombe_lower = (p1 - p2) - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)  # Newcombe (1998), method 10
    assert row["gap_lowercl"] == pytest.approx(100 * newcombe_lower, rel=1e-9)
    assert row["significance"] == "lower"


def test_gap_area_against_the_rest_sums_the_other_areas(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nThanet,50,100\nDover,20,100\nAshford,10,100")
    row = ok("gap", path, "--category", "area", "--subject", "Thanet", "--rest").row(0, named=True)
    assert (row["comparator_x"], row["comparator_n"]) == (30, 200)
    assert row["gap"] == pytest.approx(100 * (0.5 - 0.15))


def test_gap_most_deprived_quantile_against_the_rest(csv) -> None:  # type: ignore[no-untyped-def]
    lines = [f"{d},{10 + d},{100}" for d in range(1, 6)]
    path = csv("quintile,numerator,denominator\n" + "\n".join(lines))
    row = ok("gap", path, "--quantile", "quintile", "--measure", "rate").row(0, named=True)
    assert row["subject_x"] == 11 and row["comparator_x"] == 12 + 13 + 14 + 15
    assert row["gap"] == pytest.approx((11 / 100 - 54 / 400) * 1e5)


def test_trend_of_a_rising_proportion_is_increasing(csv) -> None:  # type: ignore[no-untyped-def]
    x = [100, 130, 160, 190, 220]
    n = [1000] * 5
    path = csv("year,numerator,denominator\n" + "\n".join(f"{2019 + i},{x[i]},{n[i]}" for i in range(5)))
    row = ok("trend", path, "--period", "year", "--polarity", "low is good").row(0, named=True)
    # Cochran-Armitage test for trend, worked out here.
    t = np.arange(2019, 2024, dtype=float)
    p = np.array(x) / np.array(n)
    w = np.array(n, dtype=float)
    pooled = sum(x) / sum(n)
    tw = np.sum(w * t) / w.sum()
    slope = np.sum(w * (t - tw) * (p - np.sum(w * p) / w.sum())) / np.sum(w * (t - tw) ** 2)
    chi2 = slope**2 * np.sum(w * (t - tw) ** 2) / (pooled * (1 - pooled))
    assert row["trend_chi2"] == pytest.approx(chi2, rel=1e-9)
    assert row["trend"] == "increasing"
    assert row["trend_assessment"] == "getting worse"


def test_trend_of_a_gap_that_shrinks_is_narrowing(csv) -> None:  # type: ignore[no-untyped-def]
    lines = [f"{2019 + i},{-10 + 2 * i},0.2" for i in range(5)]
    path = csv("year,gap,gap_se\n" + "\n".join(lines))
    row = ok("trend", path, "--period", "year", "--gap", "gap").row(0, named=True)
    assert row["gap_trend_slope"] == pytest.approx(2.0)
    assert row["gap_trend"] == "narrowing"


def test_funnel_flags_an_area_beyond_the_three_sigma_limit(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nA,90,100\nB,500,1000\nC,480,1000")
    out = ok("funnel", path)
    p = 1070 / 2100
    z3 = statistics.NormalDist().inv_cdf(0.999)
    assert p + z3 * math.sqrt(p * (1 - p) / 100) < 0.9  # the test's premise
    assert out["significance"].to_list()[:2] == ["High (0.001)", "Not significant"]


def test_funnel_limits_table(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nA,90,100\nB,500,1000\nC,480,1000")
    table = ok("funnel", path, "--limits")
    assert table.height == 100
    p = 1070 / 2100
    assert table["baseline"][0] == pytest.approx(100 * p)
    row = table.row(50, named=True)
    half = Z95 * math.sqrt(p * (1 - p) / row["population"])
    assert (row["lower_2s_limit"], row["upper_2s_limit"]) == pytest.approx((100 * (p - half), 100 * (p + half)))


# --- bad input --------------------------------------------------------------------------------------


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    error = fails("proportion", tmp_path / "nope.csv")
    assert "nope.csv" in error.message and "not found" in error.message


def test_missing_column_names_the_column_and_the_file(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nA,1,2")
    error = fails("rate", path, "--x", "deaths")
    assert "'deaths'" in error.message and str(path) in error.message and "'numerator'" in error.message


def test_non_numeric_value_names_the_column_and_the_row(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nA,1,10\nB,two,10")
    error = fails("proportion", path)
    assert "'numerator'" in error.message and "row 3" in error.message and "'two'" in error.message


def test_value_error_from_the_statistics_becomes_invalid_input(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nA,1,10\nB,12,10")
    error = fails("proportion", path)
    assert str(path) in error.message and "'numerator'" in error.message and "row 3" in error.message
    assert error.hint and "row" in error.hint


def test_empty_file_and_bad_options(csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in fails("proportion", empty).message
    path = csv("area,numerator,denominator\nA,1,10")
    assert "--measure" in fails("gap", path, "--category", "area", "--subject", "A", "--rest", "--measure", "x").message
    assert "exactly one" in fails("gap", path, "--category", "area", "--subject", "A").message
    assert "--type" in fails("sii", path, "--type", "odds").message
    unwritable = tmp_path / "no" / "such" / "dir" / "out.csv"
    assert "cannot write" in fails("proportion", path, "-o", unwritable).message


def test_the_error_is_one_red_line_for_the_user(csv) -> None:  # type: ignore[no-untyped-def]
    from gapwatch.cli.main import report_error

    error = fails("rate", csv("a,b\n1,2"))
    buffer = io.StringIO()
    report_error(error, Console(file=buffer, width=300, color_system=None))
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("Error: ") and "column 'numerator' not found" in lines[0]
    assert not any("Traceback" in line for line in lines)


def test_warnings_go_to_stderr_without_stopping(csv) -> None:  # type: ignore[no-untyped-def]
    # The second area lacks a quantile: its SII is left out with a warning, the first is still computed.
    rows = [("a", q, 1000, 50 + q, 0.5) for q in range(1, 6)] + [("b", q, 1000, 50 + q, 0.5) for q in range(1, 5)]
    path = csv("area,quantile,population,value,se\n" + "\n".join(",".join(map(str, r)) for r in rows))
    result = run("sii", path, "--value", "value", "--se", "se", "-g", "area", "--repetitions", 1000, "--seed", 1)
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr
    out = pl.read_csv(io.StringIO(result.stdout))
    assert out.filter(pl.col("area") == "a")["sii"][0] is not None
    assert out.filter(pl.col("area") == "b")["sii"][0] is None


# --- one row-numbering convention, and the input traps --------------------------------------------------


def test_every_message_numbers_rows_as_a_spreadsheet(csv) -> None:  # type: ignore[no-untyped-def]
    # The same physical row (the second data row: spreadsheet row 3) whoever finds the problem.
    header = "area,numerator,denominator\nA,1,10\n"
    assert "row 3" in fails("proportion", csv(header + "B,two,10")).message  # found by the CLI
    negative = fails("proportion", csv(header + "B,-2,10"))  # found by the statistics (0-based row 1)
    assert "negative values in row 3" in negative.message
    assert negative.hint and "header is row 1" in negative.hint
    assert "row 3" in fails("rate", csv(header + "B,2,inf")).message  # infinite
    result = run("proportion", csv(header + "B,NA,10"))  # missing: a warning
    assert result.exit_code == 0 and "row 3" in result.stderr
    spc = fails("spc", csv("month,value\n1,5\n2,6\n2,7"), "--period", "month")  # a repeated period
    assert "repeated in rows 3, 4" in spc.message


@pytest.mark.parametrize("missing", ["", "NA", "NaN", "nan"])
def test_missing_values_give_blanks_with_a_warning_naming_the_rows(csv, missing: str) -> None:  # type: ignore[no-untyped-def]
    path = csv(f"area,numerator,denominator\nA,3,10\nB,{missing},10\nC,4,{missing}")
    result = run("proportion", path)
    assert result.exit_code == 0, result.output
    assert "column 'numerator' has no value" in result.stderr and "row 3;" in result.stderr
    assert "column 'denominator' has no value" in result.stderr and "row 4;" in result.stderr
    out = pl.read_csv(io.StringIO(result.stdout))
    assert out["value"].to_list() == [pytest.approx(0.3), None, None]


def test_an_infinite_denominator_is_refused_not_a_rate_of_zero(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,deaths,pop\nA,4,2000\nB,12,inf\nC,3,-inf")
    error = fails("rate", path, "--x", "deaths", "--n", "pop")
    assert "column 'pop' holds an infinite value in rows 3, 4" in error.message


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("proportion", ["--multiplier", "-100"]),
        ("rate", ["--multiplier", "0"]),
        ("funnel", ["--multiplier", "-1"]),
        ("gap", ["--category", "area", "--subject", "A", "--rest", "--multiplier", "-100"]),
    ],
)
def test_a_multiplier_of_zero_or_below_is_refused(csv, command: str, options: list[str]) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nA,30,120\nB,10,40")
    error = fails(command, path, *options)
    assert "--multiplier" in error.message and "greater than 0" in error.message
    assert error.hint and "lower limit above the upper" in error.hint


def test_the_sii_multiplier_may_be_negative_to_reverse_it(csv) -> None:  # type: ignore[no-untyped-def]
    rows = [(q, 1000, 50 + 20 * (q - 0.5) / 5, 0.5) for q in range(1, 6)]
    path = csv("quantile,population,value,se\n" + "\n".join(",".join(map(str, r)) for r in rows))
    got = ok("sii", path, "--value", "value", "--se", "se", "--multiplier", -1, "--repetitions", 1000, "--seed", 1)
    assert got["sii"][0] == pytest.approx(-20.0)


@pytest.mark.parametrize(
    ("command", "text", "options", "column"),
    [
        ("proportion", "area,numerator,denominator,value\nA,3,10,old", [], "value"),
        ("proportion", "area,value,denominator\nA,3,10", ["--x", "value"], "value"),
        ("rate", "area,numerator,denominator,method\nA,3,10,survey", [], "method"),
        ("funnel", "area,numerator,denominator,significance\nA,3,10,x\nB,5,10,y", [], "significance"),
        ("quantile", "area,value,quantile\nA,3,1\nB,5,2", [], "quantile"),
    ],
)
def test_an_input_column_named_like_a_result_is_never_overwritten(  # type: ignore[no-untyped-def]
    csv, command: str, text: str, options: list[str], column: str
) -> None:
    error = fails(command, csv(text), *options)
    assert f"column named '{column}'" in error.message and "overwritten" in error.message
    assert error.hint and "Rename" in error.hint


def test_no_false_alarm_when_the_input_column_is_consumed(csv) -> None:  # type: ignore[no-untyped-def]
    # mean's --value defaults to a column called 'value': one row per group, nothing overwritten.
    out = ok("mean", csv("g,value\na,1\na,3\nb,5\nb,7"), "-g", "g")
    assert out["value"].to_list() == [2.0, 6.0]
    # The limits table is a new table: an input column 'population' is no clash.
    table = ok("funnel", csv("area,numerator,denominator,population\nA,90,100,1\nB,500,1000,2"), "--limits")
    assert table.columns[0] == "population" and table.height == 100


def test_column_names_in_values_are_the_inputs_own(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("region,score\n" + "\n".join(f"r{i % 2},{i}" for i in range(10)))
    out = ok("quantile", path, "--value", "score", "-g", "region", "--nquantiles", 5)
    assert set(out["groupvars"]) == {"region"}


def test_statistics_messages_name_the_inputs_own_columns(csv) -> None:  # type: ignore[no-untyped-def]
    error = fails("rate", csv("area,deaths,pop\nA,-1,10"), "--x", "deaths", "--n", "pop")
    assert "column 'deaths'" in error.message and "__" not in error.message


# --- count, life expectancy, compare, targets ------------------------------------------------------------


def test_count_with_byars_forced_as_the_reference(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,count\nA,1\nB,65")
    forced = ok("count", path, "-c", 99.8, "--method", "byars")
    one = forced.row(0, named=True)
    assert one["lowercl"] is None and one["uppercl"] == pytest.approx(9.362180217908362, rel=1e-12)
    assert forced["lowercl"][1] == pytest.approx(42.8802614714802, rel=1e-12)  # testdata_B_W row 4
    auto = ok("count", path, "-c", 99.8)
    assert auto["method"].to_list() == ["Exact", "Byars"]
    assert auto["lowercl"][0] == pytest.approx(sps.chi2.ppf(0.001, 2) / 2, rel=1e-12)
    assert ok("count", path, "--method", "exact")["method"].to_list() == ["Exact", "Exact"]
    assert "--method" in fails("count", path, "--method", "wilson").message


def test_life_expectancy_against_the_reference(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "phe-reference" / "derived" / "life_expectancy_reference.csv"
    if not source.exists():
        pytest.skip(f"{source} is absent")
    reference = pl.read_csv(source).filter(pl.col("case") == "df1_default_95")
    clashing = tmp_path / "with_answers.csv"
    reference.write_csv(clashing)
    assert (
        "columns named 'pops_used', 'dths_used', 'value', 'lowercl', 'uppercl'"
        in fails("life-expectancy", clashing).message
    )
    path = tmp_path / "le.csv"
    reference.select("startage", "pops", "deaths").write_csv(path)
    out = ok("life-expectancy", path, "--le-age", 0, "--le-age", 65)
    expected = reference.filter(pl.col("startage").is_in([0, 65]))
    assert out["value"].round(4).to_list() == expected["value"].round(4).to_list()
    assert out["lowercl"].to_list() == pytest.approx(expected["lowercl"].to_list(), abs=1.01e-4)
    assert out["statistic"].to_list() == ["life expectancy at age 0", "life expectancy at age 65"]
    assert ok("life-expectancy", path, "--le-age", "all").height == 20


def test_compare_with_a_benchmark_number_or_column(csv) -> None:  # type: ignore[no-untyped-def]
    rows = "area,value,lower95_0cl,upper95_0cl,lower99_8cl,upper99_8cl,england\n"
    rows += "Thanet,0.45,0.3561,0.5476,0.3,0.6,0.55\nDover,0.80,0.7112,0.8666,0.65,0.9,0.55\n"
    rows += "Swale,0.58,0.4821,0.6720,0.43,0.72,0.60"
    path = csv(rows)
    out = ok("compare", path, "--benchmark", 0.55, "--polarity", "high is good")
    assert out["comparison_95_0"].to_list() == ["worse", "better", "similar"]
    assert out["comparison_99_8"].to_list() == ["similar", "better", "similar"]
    by_column = ok("compare", path, "--benchmark", "england")
    assert by_column["comparison_95_0"].to_list() == ["lower", "higher", "similar"]
    explicit = ok("compare", path, "--benchmark", 0.55, "--lower", "lower95_0cl", "--upper", "upper95_0cl")
    assert explicit["comparison"].to_list() == ["lower", "higher", "similar"]
    assert "neither a number nor a column" in fails("compare", path, "--benchmark", "wales").message


def test_level_target_status_with_an_interval(csv) -> None:  # type: ignore[no-untyped-def]
    # The first PSA target: children in care from 1,553 (2000) to 1,200 by 2004, low is good.
    text = (
        "period,value,lower,upper\n2001,1440,1400,1480\n2002,1420,1390,1450\n2002,1400,1360,1440\n2004,1163,1100,1200"
    )
    out = ok(
        "target", csv(text), "--baseline-value", 1553, "--baseline-period", 2000, "--target-value", 1200,
        "--target-period", 2004, "--lower", "lower", "--upper", "upper",
    )  # fmt: skip
    assert out["trajectory"].to_list() == pytest.approx([1553 - 353 / 4, 1553 - 353 / 2, 1553 - 353 / 2, 1200])
    assert out["status"].to_list() == ["on track", "off track", "at risk", "achieved"]


def test_gap_target_and_reward(csv) -> None:  # type: ignore[no-untyped-def]
    text = "year,gap,lower,upper\n1,-9.0,-10,-8\n2,-9.5,-11,-8\n4,-6.5,-8,-5"
    out = ok(
        "gap-target", csv(text), "--period", "year", "--baseline-gap", -10, "--baseline-period", 0,
        "--target-period", 4, "--reduction", "40%", "--lower", "lower", "--upper", "upper",
    )  # fmt: skip
    assert out["gap_closed_share"].to_list() == pytest.approx([0.1, 0.05, 0.35])
    assert out["status"].to_list() == ["on track", "at risk", "not achieved"]
    reward = ok("reward", csv("target,achieved,share\nA,1,1\nB,1,1\nC,0.5,1\nD,0,1"), "--total", 21_600_000)
    assert reward["reward_earned"].to_list() == pytest.approx([5_400_000, 5_400_000, 2_700_000, 0])
    assert reward["reward_share_earned"][0] == pytest.approx(0.625)


# --- SPC ------------------------------------------------------------------------------------------------


def _spc_csv(csv, values: list[float], extra: str = "") -> Path:  # type: ignore[no-untyped-def]
    months = [f"{2023 + (m + 3) // 12}-{(m + 3) % 12 + 1:02}" for m in range(len(values))]
    return csv("month,seen" + extra + "\n" + "\n".join(f"{m},{v}" for m, v in zip(months, values, strict=True)))


def test_spc_flags_a_shift_from_its_seventh_point(csv) -> None:  # type: ignore[no-untyped-def]
    path = _spc_csv(csv, [11.0, 9.0] * 6 + [11.5] * 8)
    result = run("spc", path, "--value", "seen", "--period", "month", "--baseline", 12, "--polarity", "high is good")
    assert result.exit_code == 0, result.output
    out = pl.read_csv(io.StringIO(result.stdout))
    assert out["centre"][0] == pytest.approx(10.0) and out["upper_limit"][0] == pytest.approx(10 + 2.66 * 2)
    assert out["rule_run"].to_list() == [None] * 18 + ["high", "high"]
    assert out["variation"][-1] == "special cause improving high"
    assert "special cause improving high at 2024-11" in result.stderr  # the summary on stderr


def test_spc_rebase_summary_file_and_target_column(csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    values = [11.0, 9.0] * 6 + [21.0, 19.0] * 6
    months = [f"{2023 + (m + 3) // 12}-{(m + 3) % 12 + 1:02}" for m in range(24)]
    lines = [f"a,{m},{v},30" for m, v in zip(months, values, strict=True)]
    lines += [f"b,{m},{v},5" for m, v in zip(months, values, strict=True)]
    path = csv("area,month,seen,goal\n" + "\n".join(lines))
    summary = tmp_path / "summary.csv"
    common = ["--value", "seen", "--period", "month", "-g", "area", "--polarity", "high is good"]
    result = run("spc", path, *common, "--rebase", "2024-04", "--target", "goal", "--summary", summary)
    assert result.exit_code == 0, result.output
    table = pl.read_csv(summary).sort("area")
    assert table["segments"].to_list() == [2, 2] and table["centre"].to_list() == pytest.approx([20.0, 20.0])
    assert table["assurance"].to_list() == ["consistently failing", "consistently passing"]
    assert table["variation"].to_list() == ["common cause", "common cause"]
    plain = pl.read_csv(io.StringIO(run("spc", path, *common).stdout))
    assert set(plain["spc_segment"]) == {1}  # never rebased on its own
    window = ok("spc", path, *common, "--baseline-from", "2023-05", "--baseline-to", "2023-10")
    assert window["spc_baseline"].sum() == 12  # six months in each of two series


def test_spc_refuses_bad_periods_and_options(csv) -> None:  # type: ignore[no-untyped-def]
    path = _spc_csv(csv, [1.0, 2.0, 3.0])
    assert (
        "--baseline-from" in fails("spc", path, "--value", "seen", "--period", "month", "--baseline-from", "x").message
    )
    numbers = csv("t,y\n1,5\n2,6\n3,7", "numbers.csv")
    assert (
        "is not a period like those"
        in fails("spc", numbers, "--value", "y", "--period", "t", "--rebase", "two").message
    )
    assert "polarity" in fails("spc", numbers, "--value", "y", "--period", "t", "--polarity", "sideways").message
    typo = fails("spc", path, "--value", "seen", "--period", "month", "--rebase", "2023-13")
    assert "'2023-13' is not a period in column 'month'" in typo.message
    two_series = csv("area,t,y\na,1,5\na,2,6\nb,1,7\nb,2,8", "two.csv")
    assert "need --group-by" in fails("spc", two_series, "--value", "y", "--period", "t").message
    assert (
        "column named 'centre'"
        in fails("spc", csv("t,y,centre\n1,5,0\n2,6,0", "centre.csv"), "--value", "y", "--period", "t").message
    )


# --- funnels with overdispersion ---------------------------------------------------------------------------


def test_funnel_with_overdispersion_reports_phi(csv) -> None:  # type: ignore[no-untyped-def]
    x = [982, 1733, 371, 1777, 657, 872, 1680, 882, 969, 150, 1451, 1031, 698, 1521, 717, 887]
    n = [1630, 2860, 600, 2860, 1070, 1390, 2520, 1350, 1740, 280, 2310, 1710, 1120, 2410, 1050, 1470]
    path = csv(
        "ward,numerator,denominator\n" + "\n".join(f"W{i},{a},{b}" for i, (a, b) in enumerate(zip(x, n, strict=True)))
    )
    result = run("funnel", path, "--overdispersion", "multiplicative", "--winsorise", 10)
    assert result.exit_code == 0, result.output
    out = pl.read_csv(io.StringIO(result.stdout))
    phi = out["phi"][0]
    assert f"φ = {phi:.4g}" in result.stderr and "Winsorised at 10%" in result.stderr
    assert out["z_adjusted"].to_numpy() == pytest.approx(out["z_score"].to_numpy() / math.sqrt(phi), rel=1e-12)
    plain = ok("funnel", path)
    flagged = (plain["significance"] != "Not significant").sum()
    assert flagged > (out["significance"] != "Not significant").sum()
    table = ok("funnel", path, "--limits", "--overdispersion", "additive", "-c", 90, "-c", 99)
    assert {"lower_90_0_limit", "upper_99_0_limit"} <= set(table.columns)
    assert "τ²" in table["method"][0]
    assert "--overdispersion" in fails("funnel", path, "--overdispersion", "lots").message
    assert "winsorise" in fails("funnel", path, "--overdispersion", "additive", "--winsorise", 60).message


# --- the statistics page's command-line examples ----------------------------------------------------------

STATISTICS = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"


def test_the_statistics_page_lists_every_command() -> None:
    text = STATISTICS.read_text(encoding="utf-8")
    sentence = text.split("`gapwatch stats --help` lists the commands:", 1)[1].split(".", 1)[0]
    listed = set(re.findall(r"`([a-z-]+)`", sentence))
    assert listed == set(typer.main.get_command(stats.app).commands)  # type: ignore[attr-defined]
    assert set(COMMANDS) == listed


def test_the_statistics_page_cli_example_is_the_output(csv) -> None:  # type: ignore[no-untyped-def]
    text = STATISTICS.read_text(encoding="utf-8")
    blocks = re.findall(r"```text\n(.*?)```", text, flags=re.S)
    data = next(b for b in blocks if b.startswith("area,numerator,denominator\n"))
    shown = next(b for b in blocks if b.startswith("$ gapwatch stats proportion pupils.csv"))
    command, *expected = shown.strip().splitlines()
    path = csv(data, "pupils.csv")
    result = run("proportion", path, *command.split("pupils.csv", 1)[1].split())
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == expected


def test_spc_rebase_column_from_a_spreadsheet(csv) -> None:  # type: ignore[no-untyped-def]
    rows = [f"{t},{v},{'TRUE' if t == 12 else 'FALSE'}" for t, v in enumerate([11.0, 9.0] * 6 + [21.0, 19.0] * 6)]
    out = ok("spc", csv("t,y,new\n" + "\n".join(rows)), "--value", "y", "--period", "t", "--rebase-column", "new")
    assert out["spc_segment"].to_list() == [1] * 12 + [2] * 12
    assert out["centre"].to_list() == pytest.approx([10.0] * 12 + [20.0] * 12)
