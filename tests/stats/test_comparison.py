"""Benchmark comparison: better / similar / worse by whether the benchmark lies outside the interval."""

from __future__ import annotations

import polars as pl
import pytest

from gapwatch.stats.comparison import (
    BETTER,
    HIGHER,
    HIGHER_IS_BETTER,
    LOWER,
    LOWER_IS_BETTER,
    NO_JUDGEMENT,
    NOT_COMPARED,
    POLARITIES,
    SIMILAR,
    WORSE,
    compare_to_benchmark,
)
from gapwatch.stats.proportions import proportion

# intervals entirely above 50, straddling it, entirely below it, touching it, and missing
FRAME = pl.DataFrame(
    {
        "value": [60.0, 50.5, 40.0, 55.0, None],
        "lowercl": [55.0, 45.0, 35.0, 50.0, None],
        "uppercl": [65.0, 56.0, 45.0, 60.0, None],
    }
)


@pytest.mark.parametrize(
    ("polarity", "labels"),
    [
        (HIGHER_IS_BETTER, [BETTER, SIMILAR, WORSE, SIMILAR, NOT_COMPARED]),
        (LOWER_IS_BETTER, [WORSE, SIMILAR, BETTER, SIMILAR, NOT_COMPARED]),
        (NO_JUDGEMENT, [HIGHER, SIMILAR, LOWER, SIMILAR, NOT_COMPARED]),
    ],
)
def test_labels_follow_polarity(polarity: str, labels: list[str]) -> None:
    got = compare_to_benchmark(FRAME, benchmark=50.0, polarity=polarity)
    assert got["comparison"].to_list() == labels


def test_polarity_and_benchmark_from_columns() -> None:
    frame = FRAME.head(3).with_columns(
        pl.Series("polarity", [LOWER_IS_BETTER, HIGHER_IS_BETTER, NO_JUDGEMENT]),
        pl.Series("england", [70.0, 50.0, 30.0]),
    )
    got = compare_to_benchmark(frame.lazy(), benchmark="england", polarity="polarity")
    assert isinstance(got, pl.LazyFrame)
    assert got.collect()["comparison"].to_list() == [BETTER, SIMILAR, HIGHER]


def test_both_levels_are_compared_when_both_intervals_are_present() -> None:
    # 45/100 against 0.55: outside the 95% interval, inside the 99.8% one
    frame = proportion(pl.DataFrame({"x": [45, 80], "n": [100, 100]}), "x", "n", confidence=[0.95, 0.998])
    got = compare_to_benchmark(frame, benchmark=0.55, polarity=HIGHER_IS_BETTER)
    assert got["comparison_95_0"].to_list() == [WORSE, BETTER]
    assert got["comparison_99_8"].to_list() == [SIMILAR, BETTER]


def test_explicit_limit_columns_and_label() -> None:
    frame = FRAME.rename({"lowercl": "lo", "uppercl": "hi"})
    got = compare_to_benchmark(frame, benchmark=50, lower="lo", upper="hi", level_label="95", polarity=NO_JUDGEMENT)
    assert got["comparison_95"].to_list()[:3] == [HIGHER, SIMILAR, LOWER]


def test_missing_benchmark_is_not_compared() -> None:
    frame = FRAME.head(2).with_columns(pl.Series("bench", [None, 50.0], dtype=pl.Float64))
    got = compare_to_benchmark(frame, benchmark="bench")
    assert got["comparison"].to_list() == [NOT_COMPARED, SIMILAR]


def test_polarity_constants() -> None:
    assert POLARITIES == ("higher_is_better", "lower_is_better", "no_judgement")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"polarity": "up"}, "polarity: 'up' is neither"),
        ({"lower": "lowercl"}, "give both limit columns"),
        ({"benchmark": "england"}, "column 'england': not found"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"benchmark": 50.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        compare_to_benchmark(FRAME, **arguments)  # type: ignore[arg-type]


def test_unknown_polarity_in_a_column_names_rows() -> None:
    frame = FRAME.with_columns(pl.Series("pol", [HIGHER_IS_BETTER, "good", HIGHER_IS_BETTER, "bad", None]))
    with pytest.raises(ValueError, match=r"column 'pol': polarity must be one of .* \(rows 1, 3\)"):
        compare_to_benchmark(frame, benchmark=50.0, polarity="pol")


def test_missing_polarity_is_not_compared() -> None:
    frame = FRAME.head(2).with_columns(pl.Series("pol", [None, LOWER_IS_BETTER], dtype=pl.String))
    got = compare_to_benchmark(frame, benchmark=50.0, polarity="pol")
    assert got["comparison"].to_list() == [NOT_COMPARED, SIMILAR]


def test_no_interval_columns_is_an_error() -> None:
    with pytest.raises(ValueError, match="no confidence limit columns"):
        compare_to_benchmark(pl.DataFrame({"value": [1.0]}), benchmark=1.0)
