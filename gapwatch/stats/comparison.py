"""Comparison of a value with a benchmark by whether the benchmark lies outside its confidence interval.

This is OHID Fingertips' benchmarking (the red/amber/green of public health profiles): an area is
"better" or "worse" than England only when England's value lies outside the area's interval, otherwise
"similar". Where higher is neither better nor worse the words are "higher" and "lower". Fingertips
shows the 95% comparison and, for stronger evidence, the 99.8% one.
"""

from __future__ import annotations

import re

import polars as pl

from gapwatch.stats._validate import FrameT, check_numeric, collect, offending_rows, require_columns, restore

__all__ = [
    "BETTER",
    "HIGHER",
    "HIGHER_IS_BETTER",
    "LOWER",
    "LOWER_IS_BETTER",
    "NOT_COMPARED",
    "NO_JUDGEMENT",
    "POLARITIES",
    "SIMILAR",
    "WORSE",
    "compare_to_benchmark",
]

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
NO_JUDGEMENT = "no_judgement"
POLARITIES: tuple[str, ...] = (HIGHER_IS_BETTER, LOWER_IS_BETTER, NO_JUDGEMENT)

BETTER = "better"
SIMILAR = "similar"
WORSE = "worse"
HIGHER = "higher"
LOWER = "lower"
NOT_COMPARED = "not compared"

_LEVEL_COLUMN = re.compile(r"^lower(\d+_\d+)cl$")


def _interval_pairs(columns: list[str]) -> list[tuple[str, str, str]]:
    """(lower, upper, output column) for the limit columns present, in the order they appear."""
    pairs = []
    for name in columns:
        match = _LEVEL_COLUMN.match(name)
        if match and f"upper{match.group(1)}cl" in columns:
            pairs.append((name, f"upper{match.group(1)}cl", f"comparison_{match.group(1)}"))
    if not pairs and "lowercl" in columns and "uppercl" in columns:
        pairs.append(("lowercl", "uppercl", "comparison"))
    return pairs


def _polarity(data: pl.DataFrame, polarity: str) -> pl.Expr:
    if polarity in POLARITIES:
        return pl.lit(polarity)
    if polarity not in data.columns:
        raise ValueError(f"polarity: {polarity!r} is neither one of {', '.join(POLARITIES)} nor a column of the data")
    known = pl.col(polarity).is_in(list(POLARITIES))
    bad = data.select(pl.col(polarity).is_not_null() & ~known).to_series()
    if bad.any():
        raise ValueError(
            f"column '{polarity}': polarity must be one of {', '.join(POLARITIES)} (rows {offending_rows(bad)})"
        )
    return pl.col(polarity)


def compare_to_benchmark(
    df: FrameT,
    *,
    benchmark: str | float,
    polarity: str = NO_JUDGEMENT,
    value: str = "value",
    lower: str | None = None,
    upper: str | None = None,
    level_label: str | None = None,
) -> FrameT:
    """Label each row better / similar / worse (or higher / similar / lower) than a benchmark.

    Why: boards need a plain verdict that does not over-read chance variation. Method: the benchmark is
    compared with the row's confidence interval; only a benchmark outside the interval (strictly) counts
    as a difference. Fingertips technical guidance ("Comparing to a benchmark"); PHEindicatormethods.

    ``benchmark`` is a number or a column name; ``polarity`` is one of ``HIGHER_IS_BETTER``,
    ``LOWER_IS_BETTER``, ``NO_JUDGEMENT`` or a column holding them per row. With ``lower``/``upper``
    given, one column is added: ``comparison`` (or ``comparison_<level_label>``). Otherwise every pair of
    limit columns present is used: ``lower95_0cl``/``upper95_0cl`` → ``comparison_95_0`` and
    ``lower99_8cl``/``upper99_8cl`` → ``comparison_99_8``, or ``lowercl``/``uppercl`` → ``comparison``.
    A row with a missing value, limit, benchmark or polarity is "not compared".
    """
    data = collect(df)
    if (lower is None) != (upper is None):
        raise ValueError("lower and upper: give both limit columns or neither")
    if lower is not None and upper is not None:
        name = f"comparison_{level_label}" if level_label else "comparison"
        pairs = [(lower, upper, name)]
    else:
        pairs = _interval_pairs(data.columns)
        if not pairs:
            raise ValueError("no confidence limit columns found (lowercl/uppercl or lower95_0cl/upper95_0cl …)")
    bench_column = benchmark if isinstance(benchmark, str) else None
    limit_columns = [c for pair in pairs for c in pair[:2]]
    require_columns(data, value, *limit_columns, bench_column)
    check_numeric(data, value, *limit_columns, bench_column)
    bench = pl.col(benchmark) if isinstance(benchmark, str) else pl.lit(float(benchmark))
    pol = _polarity(data, polarity)

    outputs = []
    for lower_name, upper_name, out_name in pairs:
        lo, hi = pl.col(lower_name), pl.col(upper_name)
        missing = pl.any_horizontal(pl.col(value).is_null(), lo.is_null(), hi.is_null(), bench.is_null(), pol.is_null())
        above = bench < lo  # the whole interval is above the benchmark
        below = bench > hi
        label = (
            pl.when(missing)
            .then(pl.lit(NOT_COMPARED))
            .when(above)
            .then(
                pl.when(pol == HIGHER_IS_BETTER)
                .then(pl.lit(BETTER))
                .when(pol == LOWER_IS_BETTER)
                .then(pl.lit(WORSE))
                .otherwise(pl.lit(HIGHER))
            )
            .when(below)
            .then(
                pl.when(pol == HIGHER_IS_BETTER)
                .then(pl.lit(WORSE))
                .when(pol == LOWER_IS_BETTER)
                .then(pl.lit(BETTER))
                .otherwise(pl.lit(LOWER))
            )
            .otherwise(pl.lit(SIMILAR))
        )
        outputs.append(label.alias(out_name))
    return restore(data.with_columns(outputs), df)
