"""The recent-trends benchmark still runs, and the current ``recent_trend`` gives the baseline's frame.

The measured run is `python bench/bench_trends.py` (990,000 series, median of 3); the smoke test runs it at
a tiny size. The other tests hold the claim the benchmark makes, "identical results", on inputs the
benchmark's tidy table does not have: rows in any order (the three ways of finding each series' last rows: a
grid, the sort of packed numbers and the hash group-by), string keys, missing periods (null and NaN), periods that
are not whole numbers, short series, missing counts and polarities, no groups, a lazy frame, the rate and
value measures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from gapwatch.stats import _series_rows, trends
from tests.bench.conftest import load_bench

KEYS = ["area_code", "indicator_id"]
PROPORTIONS: dict[str, Any] = {
    "period_order_col": "period",
    "x": "numerator",
    "n": "denominator",
    "group_by": KEYS,
    "polarity": "polarity",
    "multiplier": 100.0,
}


@pytest.mark.slow
def test_tiny_run_prints_both_figures_and_passes_identity(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench("bench_trends")
    results = bench.run(66, runs=1)
    targets = bench.report(results)
    printed = capsys.readouterr().out
    assert results.series == 66 * 30  # one series per area and indicator
    assert [case.name.split(" (")[0] for case in results.cases] == ["as generated", "rows shuffled"]
    assert all(case.identical for case in results.cases), [case.difference for case in results.cases]
    assert sum(results.verdicts.values()) == results.series
    for name, _figure, _passed in targets:
        assert name in printed
    assert "PASS     identical results, as generated" in printed
    assert "load average" in printed
    assert bench.main(["--areas", "66", "--runs", "1", "--no-shuffled", "--no-warmup"]) == 0


@pytest.fixture(scope="module")
def awkward() -> pl.DataFrame:
    """The benchmark's proportions for 120 areas, made awkward: a third of the series rising and a third
    falling steeply (so that there are significant trends to assess), polarity wordings that differ from
    row to row, rows shuffled, 30% of rows gone, some periods, polarities and numerators missing."""
    generate = load_bench("generate")
    obs = generate.generate(120, n_indicators=4).observations.filter(pl.col("indicator_type") == "proportion")
    rng = np.random.default_rng(7)
    series = pl.col("area_code").to_physical().cast(pl.Int64) * 7 + pl.col("indicator_id").cast(pl.Int64)
    share = (0.3 + ((series % 3) - 1) * 0.04 * (pl.col("period") - 2015)).clip(0.01, 0.99)
    wordings = pl.Series(rng.choice(["High is good", "lower_is_better", "not applicable", ""], obs.height))
    obs = obs.with_columns(
        (pl.col("denominator") * share).round().cast(pl.Int64).alias("numerator"),
        pl.when(wordings == "").then(None).otherwise(wordings).alias("polarity"),
    )
    data = obs.sample(fraction=1.0, shuffle=True, seed=7).filter(pl.Series(rng.random(obs.height) > 0.3))

    def holes(column: str, share: float) -> pl.Expr:
        return pl.when(pl.Series(rng.random(data.height) < share)).then(None).otherwise(pl.col(column)).alias(column)

    return data.with_columns(holes("period", 0.05), holes("numerator", 0.02))


@pytest.fixture(scope="module")
def complete() -> pl.DataFrame:
    """The benchmark's proportions for 120 areas as generated (every series has all 10 periods), shuffled."""
    generate = load_bench("generate")
    obs = generate.generate(120, n_indicators=4).observations.filter(pl.col("indicator_type") == "proportion")
    return obs.sample(fraction=1.0, shuffle=True, seed=11)


def _same(frame: pl.DataFrame | pl.LazyFrame, **kwargs: Any) -> pl.DataFrame:
    baseline = load_bench("_trends_baseline")
    current = trends.recent_trend(frame, **kwargs)
    expected = baseline.recent_trend(frame, **kwargs)
    assert_frame_equal(current, expected, rel_tol=1e-12, abs_tol=1e-12)
    out = current.collect() if isinstance(current, pl.LazyFrame) else current
    assert isinstance(out, pl.DataFrame)
    return out


WAYS = pytest.mark.parametrize("way", [(True, True), (False, True), (False, False)], ids=["grid", "packed", "hash"])


@WAYS
@pytest.mark.parametrize(
    "order",
    ["shuffled", "by series", "by series, latest first", "by indicator and period", "no missing periods", "complete"],
)
def test_same_frame_as_baseline_whatever_the_row_order(
    awkward: pl.DataFrame, complete: pl.DataFrame, order: str, way: tuple[bool, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_series_rows, "DENSE_GRID", way[0])
    monkeypatch.setattr(_series_rows, "PACKED_SORT", way[1])
    data = {
        "shuffled": awkward,
        "by series": awkward.sort(KEYS),
        "by series, latest first": awkward.sort([*KEYS, "period"], descending=[False, False, True]),
        "by indicator and period": awkward.sort("indicator_id", "period", "area_code"),
        "no missing periods": awkward.filter(pl.col("period").is_not_null()),  # the grid's case
        "complete": complete,  # the grid's fast case: every series has its last 5 periods
    }[order]
    out = _same(data, **PROPORTIONS)
    assert out.height == data.select(KEYS).unique().height
    if order == "complete":
        assert set(out.get_column("trend_points").unique()) == {5}
        return
    labels = set(out.get_column("trend").unique())
    assert labels == {"increasing", "decreasing", "no significant change", "could not be calculated"}
    assert {"getting better", "getting worse", None} <= set(out.get_column("trend_assessment").unique())
    assert set(out.get_column("trend_points").unique()) >= {5, 4}  # short series are kept, with their count


@WAYS
def test_same_frame_as_baseline_for_other_inputs(
    awkward: pl.DataFrame, complete: pl.DataFrame, way: tuple[bool, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_series_rows, "DENSE_GRID", way[0])
    monkeypatch.setattr(_series_rows, "PACKED_SORT", way[1])
    _same(awkward.with_columns(pl.col("area_code").cast(pl.String)), **PROPORTIONS)  # keys not codable
    _same(awkward, **{**PROPORTIONS, "group_by": [*KEYS, "decile"]})
    _same(awkward.with_columns(pl.col("period").cast(pl.String)), **PROPORTIONS)  # ranked periods
    nan_periods = awkward.with_columns(pl.col("period").cast(pl.Float64).fill_null(float("nan")))
    _same(nan_periods.sort(KEYS), **PROPORTIONS)
    _same(awkward.with_columns(pl.col("period") / 2), **PROPORTIONS)  # periods not whole numbers
    short = _same(complete.filter(pl.col("period") >= 2022), **PROPORTIONS)  # fewer periods than points
    assert set(short.get_column("trend")) == {"could not be calculated"}
    _same(awkward.with_columns(pl.col("polarity").cast(pl.Categorical)), **PROPORTIONS)  # looked up by code
    _same(awkward, **{**PROPORTIONS, "polarity": "higher is better"})
    _same(awkward, **{**PROPORTIONS, "polarity": None})
    # One series without keys (the whole table would be one series with each period many times: which of
    # the tied rows are the last is arbitrary in the baseline's sort, kept in table order now).
    one = awkward.filter((pl.col("area_code") == awkward.item(0, "area_code")) & (pl.col("indicator_id") == 1))
    assert one.height >= 5
    _same(one, **{**PROPORTIONS, "group_by": None})
    _same(awkward.head(0), **PROPORTIONS)
    _same(awkward.head(0), **{**PROPORTIONS, "group_by": None})
    _same(awkward, **{**PROPORTIONS, "measure": "rate", "multiplier": 100_000.0, "points": 3})
    _same(awkward.lazy(), **PROPORTIONS)
    values = awkward.with_columns(
        (pl.col("numerator") / pl.col("denominator")).alias("value"),
        (pl.col("numerator").sqrt() / pl.col("denominator")).alias("se"),
    )
    _same(values, period_order_col="period", measure="value", value="value", se="se", group_by=KEYS)


def test_key_code_is_one_number_per_combination_and_none_when_it_cannot_be() -> None:
    frame = pl.DataFrame(
        {
            "a": pl.Series(["x", "y", None, "x"], dtype=pl.Categorical),
            "b": pl.Series([1, None, 1, 1], dtype=pl.Int16),
            "s": ["p", "q", "r", "p"],
            "u": pl.Series([1, 2, 3, 1], dtype=pl.UInt64),
        }
    )
    code = _series_rows.group_code(frame, ["a", "b"])
    assert code is not None
    values = frame.select(code).to_series().to_list()
    assert values[0] == values[3] and len(set(values)) == 3  # (x, 1) twice; (y, null) and (null, 1) apart
    assert _series_rows.group_code(frame, ["a", "s"]) is None  # strings are grouped as they are
    assert _series_rows.group_code(frame, ["u"]) is None  # UInt64 may not fit the code
