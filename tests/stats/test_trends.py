"""Recent trends (Fingertips method) and gap trends (gapwatch.stats.trends)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from gapwatch.stats.trends import gap_trend, recent_trend


def test_proportion_trend_matches_r_prop_trend_test() -> None:
    # R: prop.trend.test(c(83, 90, 129, 70), c(86, 93, 136, 82)) -> X-squared = 8.2249, p-value = 0.004132
    data = pl.DataFrame({"t": [1, 2, 3, 4], "x": [83, 90, 129, 70], "n": [86, 93, 136, 82]})
    got = recent_trend(data, period_order_col="t", x="x", n="n", points=4).row(0, named=True)
    assert got["trend_chi2"] == pytest.approx(8.2249, abs=5e-5)
    assert got["trend_p"] == pytest.approx(0.004132, abs=5e-7)
    assert got["trend_points"] == 4


def _armitage_textbook(t: np.ndarray, x: np.ndarray, n: np.ndarray) -> float:
    """Altman (1991) p. 263: chi2 = (sum x t - X tbar)^2 / (p q (sum n t^2 - N tbar^2))."""
    total_x, total_n = x.sum(), n.sum()
    p = total_x / total_n
    tbar = (n * t).sum() / total_n
    numerator = ((x * t).sum() - total_x * tbar) ** 2
    return float(numerator / (p * (1 - p) * ((n * t * t).sum() - total_n * tbar**2)))


def test_proportion_trend_equals_textbook_formula_for_many_groups() -> None:
    rng = np.random.default_rng(4)
    n = rng.integers(50, 500, size=(30, 5)).astype(float)
    x = rng.binomial(n.astype(int), rng.uniform(0.1, 0.9, size=(30, 1))).astype(float)
    t = np.tile(np.arange(2015, 2020, dtype=float), (30, 1))
    data = pl.DataFrame({"g": np.repeat(np.arange(30), 5), "t": t.ravel(), "x": x.ravel(), "n": n.ravel()})
    got = recent_trend(data, period_order_col="t", x="x", n="n", group_by="g")
    expected = [_armitage_textbook(t[i], x[i], n[i]) for i in range(30)]
    np.testing.assert_allclose(got["trend_chi2"].to_numpy(), expected, rtol=1e-9)


def test_rate_trend_is_poisson_score_test() -> None:
    t = np.arange(1.0, 6.0)
    x = np.array([30.0, 40, 55, 70, 90])
    n = np.array([10_000.0, 10_500, 10_800, 11_000, 11_500])
    data = pl.DataFrame({"t": t, "x": x, "n": n})
    got = recent_trend(data, period_order_col="t", x="x", n="n", measure="rate", multiplier=100_000)
    lam = x.sum() / n.sum()
    expected_counts = n * lam
    score = (t * (x - expected_counts)).sum()
    tbar = (expected_counts * t).sum() / expected_counts.sum()
    variance = (expected_counts * (t - tbar) ** 2).sum()
    row = got.row(0, named=True)
    assert row["trend_chi2"] == pytest.approx(score**2 / variance, rel=1e-9)
    assert row["trend_p"] == pytest.approx(sps.chi2.sf(score**2 / variance, 1), rel=1e-9)
    assert row["trend"] == "increasing"


@pytest.fixture()
def series() -> pl.DataFrame:
    years = list(range(2008, 2015))
    rising = [100, 105, 130, 160, 190, 220, 250]
    flat = [150, 148, 152, 149, 151, 150, 150]
    rows: list[tuple[str, int, int | None, int]] = [("rising", y, x, 1000) for y, x in zip(years, rising, strict=True)]
    rows += [("flat", y, x, 1000) for y, x in zip(years, flat, strict=True)]
    rows += [("short", y, 100, 1000) for y in years[:4]]
    rows += [("gappy", y, None if y == 2013 else 100, 1000) for y in years]
    return pl.DataFrame(rows, schema=["area", "year", "x", "n"], orient="row")


def test_classification_and_polarity(series: pl.DataFrame) -> None:
    got = recent_trend(series, period_order_col="year", x="x", n="n", group_by="area", polarity="Low is good")
    result = dict(zip(got["area"], zip(got["trend"], got["trend_assessment"], strict=True), strict=True))
    assert result["rising"] == ("increasing", "getting worse")
    assert result["flat"] == ("no significant change", "no significant change")
    assert result["short"] == ("could not be calculated", "could not be calculated")
    assert result["gappy"] == ("could not be calculated", "could not be calculated")
    assert got.filter(pl.col("area") == "short")["trend_points"].item() == 4
    high = recent_trend(series, period_order_col="year", x="x", n="n", group_by="area", polarity="High is good")
    assert high.filter(pl.col("area") == "rising")["trend_assessment"].item() == "getting better"
    none = recent_trend(series, period_order_col="year", x="x", n="n", group_by="area")
    assert none.filter(pl.col("area") == "rising")["trend_assessment"].item() is None


def test_only_the_last_five_points_count(series: pl.DataFrame) -> None:
    changed = series.with_columns(
        pl.when((pl.col("area") == "flat") & (pl.col("year") == 2008)).then(900).otherwise(pl.col("x")).alias("x")
    )
    before = recent_trend(series, period_order_col="year", x="x", n="n", group_by="area")
    after = recent_trend(changed, period_order_col="year", x="x", n="n", group_by="area")
    assert before.equals(after)


def test_polarity_from_a_column(series: pl.DataFrame) -> None:
    data = series.with_columns(
        pl.when(pl.col("area") == "rising")
        .then(pl.lit("RAG - High is good"))
        .otherwise(pl.lit("Low is good"))
        .alias("polarity")
    )
    got = recent_trend(data, period_order_col="year", x="x", n="n", group_by="area", polarity="polarity")
    assert got.filter(pl.col("area") == "rising")["trend_assessment"].item() == "getting better"


def test_confidence_level_changes_significance() -> None:
    data = pl.DataFrame({"t": [1, 2, 3, 4, 5], "x": [100, 104, 108, 112, 118], "n": [1000] * 5})
    strict = recent_trend(data, period_order_col="t", x="x", n="n").row(0, named=True)
    lax = recent_trend(data, period_order_col="t", x="x", n="n", confidence=0.80).row(0, named=True)
    assert 0.001 < strict["trend_p"] < 0.2
    assert strict["trend"] == "no significant change"
    assert lax["trend"] == "increasing"


def test_value_measure_with_se_or_limits_and_string_periods() -> None:
    value = np.array([70.0, 70.5, 71.2, 71.9, 72.4])
    se = np.array([0.2, 0.25, 0.2, 0.3, 0.2])
    z = sps.norm.ppf(0.975)
    data = pl.DataFrame(
        {
            "period": ["2010/11", "2011/12", "2012/13", "2013/14", "2014/15"],
            "v": value,
            "se": se,
            "lo": value - z * se,
            "hi": value + z * se,
        }
    )
    by_se = recent_trend(data, period_order_col="period", measure="value", value="v", se="se")
    by_limits = recent_trend(
        data.lazy(), period_order_col="period", measure="value", value="v", lower="lo", upper="hi"
    ).collect()
    np.testing.assert_allclose(by_se["trend_chi2"].to_numpy(), by_limits["trend_chi2"].to_numpy())
    w = 1 / se**2
    t = np.arange(1.0, 6.0)
    slope = np.polyfit(t, value, 1, w=np.sqrt(w))[0]
    assert by_se["trend_slope"].item() == pytest.approx(slope, rel=1e-9)
    assert by_se["trend"].item() == "increasing"


def test_invalid_arguments() -> None:
    data = pl.DataFrame({"t": [1, 2], "x": [1, 2], "n": [10, 10]})
    with pytest.raises(ValueError, match="measure"):
        recent_trend(data, period_order_col="t", x="x", n="n", measure="odds")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs x and n"):
        recent_trend(data, period_order_col="t", x="x")
    with pytest.raises(ValueError, match="needs value and se"):
        recent_trend(data, period_order_col="t", measure="value", value="x")
    with pytest.raises(ValueError, match="column 'x': negative"):
        recent_trend(data.with_columns(pl.lit(-1).alias("x")), period_order_col="t", x="x", n="n")


@pytest.fixture()
def gaps() -> pl.DataFrame:
    t = [1, 2, 3, 4, 5]
    rows = [("closing+", y, g, 0.5) for y, g in zip(t, [10.0, 8, 6, 4, 2], strict=True)]
    rows += [("closing-", y, g, 0.5) for y, g in zip(t, [-10.0, -8, -6, -4, -2], strict=True)]
    rows += [("opening-", y, g, 0.5) for y, g in zip(t, [-2.0, -4, -6, -8, -10], strict=True)]
    rows += [("noisy", y, g, 3.0) for y, g in zip(t, [5.0, 6, 4, 5, 5.5], strict=True)]
    rows += [("two", y, g, 1.0) for y, g in zip(t[:2], [5.0, 4], strict=True)]
    return pl.DataFrame(rows, schema=["series", "year", "gap", "gap_se"], orient="row")


def test_gap_trend_narrowing_means_towards_zero(gaps: pl.DataFrame) -> None:
    got = gap_trend(gaps, period_order_col="year", group_by="series")
    result = dict(zip(got["series"], got["gap_trend"], strict=True))
    assert result == {
        "closing+": "narrowing",
        "closing-": "narrowing",
        "opening-": "widening",
        "noisy": "no significant change",
        "two": "could not be calculated",
    }
    assert got.filter(pl.col("series") == "closing+")["gap_trend_slope"].item() == pytest.approx(-2.0)


def test_gap_trend_all_points_and_limits(gaps: pl.DataFrame) -> None:
    data = gaps.with_columns(lo=pl.col("gap") - 1.96 * pl.col("gap_se"), hi=pl.col("gap") + 1.96 * pl.col("gap_se"))
    got = gap_trend(data, period_order_col="year", group_by="series", se=None, lower="lo", upper="hi", points=None)
    result = dict(zip(got["series"], got["gap_trend"], strict=True))
    assert result["closing-"] == "narrowing"
    assert result["two"] == "could not be calculated"
    assert got.filter(pl.col("series") == "two")["gap_trend_points"].item() == 2
