"""`gapwatch stats METHOD INPUT.csv`: each method on a small CSV, checked against values computed here.

The expected numbers are worked out in the tests from the published formulas (Wilson 1927; Byar's and
exact Poisson limits, Breslow & Day 1987; Student's t; Dobson et al. 1991; Low & Low 2004; Cochran-
Armitage), not copied from the command's own output.
"""

from __future__ import annotations

import io
import math
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


COMMANDS = ["proportion", "rate", "mean", "dsr", "isr", "sii", "quantile", "gap", "trend", "funnel"]


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


def test_non_numeric_value_names_the_column_and_the_line(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nA,1,10\nB,two,10")
    error = fails("proportion", path)
    assert "'numerator'" in error.message and "line 3" in error.message and "'two'" in error.message


def test_value_error_from_the_statistics_becomes_invalid_input(csv) -> None:  # type: ignore[no-untyped-def]
    path = csv("area,numerator,denominator\nA,1,10\nB,12,10")
    error = fails("proportion", path)
    assert str(path) in error.message and "'numerator'" in error.message and "1" in error.message
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
