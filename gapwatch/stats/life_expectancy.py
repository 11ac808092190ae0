"""Life expectancy from an abridged life table (Chiang II) with Silcocks' confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl

from gapwatch.stats._confidence import ConfidenceArg, cl_column_names, z_value
from gapwatch.stats._validate import (
    FrameT,
    add_results,
    as_float_array,
    check_non_negative,
    check_numeric,
    collect,
    confidence_label,
    require_columns,
    restore,
    validate_group_by,
)

__all__ = ["LE_AGE_BANDS", "LE_MAX_CI_WIDTH", "LE_MIN_POPULATION", "life_expectancy"]

#: Start ages of the standard bands: 0, 1-4, 5-9, …, 85-89, 90+ (ONS and Fingertips).
LE_AGE_BANDS: tuple[int, ...] = (0, 1, *range(5, 95, 5))

#: A group's total population below this gives no life expectancy (Toson & Baker 2003).
LE_MIN_POPULATION = 5000

#: A value is suppressed (limits still shown) when the 95% interval is wider than this many years.
LE_MAX_CI_WIDTH = 20.0

_RADIX = 100000.0
_START = "__startage"
_G = "__group"
_METHOD = "Chiang, using Silcocks et al for confidence limits"


def _start_ages(data: pl.DataFrame, column: str) -> pl.Expr:
    """Start ages from a numeric column or labels such as '1-4', '10 - 14', '90+'."""
    dtype = data.schema[column]
    if dtype.is_numeric():
        return pl.col(column).cast(pl.Int64)
    if dtype == pl.String:
        return pl.col(column).str.extract(r"^\s*(\d+)", 1).cast(pl.Int64)
    raise ValueError(f"column '{column}': must hold start ages or age band labels, found {dtype}")


def _check_bands(data: pl.DataFrame, keys: list[str], startage: str) -> None:
    bad = data.get_column(_START).is_null() | ~data.get_column(_START).is_in(list(LE_AGE_BANDS))
    if bad.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise ValueError(
            f"column '{startage}': age bands must start at {', '.join(map(str, LE_AGE_BANDS))}; "
            f"unrecognised in rows {rows}"
        )
    counts = data.group_by(keys or [pl.lit(0).alias(_G)], maintain_order=True).agg(
        pl.len().alias("rows"), pl.col(_START).n_unique().alias("bands")
    )
    wrong = counts.filter((pl.col("rows") != len(LE_AGE_BANDS)) | (pl.col("bands") != len(LE_AGE_BANDS)))
    if wrong.height:
        first = wrong.row(0, named=True)
        where = ", ".join(f"{k}={first[k]!r}" for k in keys) or "the data"
        raise ValueError(
            f"column '{startage}': group ({where}) has {first['rows']} rows for {first['bands']} distinct "
            f"age bands; life expectancy needs each of the {len(LE_AGE_BANDS)} bands exactly once"
        )


def _life_table(keys: list[str], pops: str, deaths: str) -> list[pl.Expr]:
    """Expressions adding the Chiang II life table and Silcocks' variance, data sorted by group and age."""

    def over(e: pl.Expr) -> pl.Expr:
        return e.over(keys) if keys else e

    age = pl.col(_START)
    last = age == LE_AGE_BANDS[-1]
    pop = pl.col(pops).cast(pl.Float64)
    dth = pl.col(deaths).cast(pl.Float64)
    width = over(age.shift(-1)).cast(pl.Float64) - age.cast(pl.Float64)
    frac = pl.when(age == 0).then(0.1).otherwise(0.5)  # fraction of the interval lived by those dying
    rate = dth / pop
    q = pl.when(last).then(1.0).otherwise(width * rate / (1 + width * (1 - frac) * rate))
    alive = _RADIX * over((1 - q).cum_prod().shift(1, fill_value=1.0))
    died = alive * q
    years = pl.when(last).then(alive / rate).otherwise(width * (alive - died + frac * died))
    e = over(years.cum_sum(reverse=True)) / alive
    var_q = pl.when(dth > 0).then(q * q * (1 - q) / dth).otherwise(0.0)
    term = (
        pl.when(last)
        .then(alive * alive / rate**4 * dth / (pop * pop))  # Silcocks' term for the open interval
        .otherwise(alive * alive * ((1 - frac) * width + over(e.shift(-1))) ** 2 * var_q)
    )
    variance = over(term.cum_sum(reverse=True)) / (alive * alive)
    return [
        e.alias("__le"),
        variance.sqrt().alias("__se"),
        over(pop.cum_sum(reverse=True)).alias("pops_used"),
        over(dth.cum_sum(reverse=True)).alias("dths_used"),
    ]


def life_expectancy(
    df: FrameT,
    startage: str,
    pops: str,
    deaths: str,
    *,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    le_age: int | Sequence[int] | Literal["all"] = 0,
) -> FrameT:
    """Life expectancy at the given ages, from deaths and populations in the 20 standard age bands.

    Why: the gap in life expectancy between the most and least deprived areas is the headline health
    inequality measure. Method: Chiang's abridged life table (Chiang 1984, method II), with a₀ = 0.1 and
    0.5 elsewhere, and Chiang's variance plus Silcocks et al's (2001) term for the open 90+ interval;
    as the PHE life expectancy calculator, Fingertips technical guidance and PHEindicatormethods
    ``phe_life_expectancy``.

    ``startage`` holds start ages (0, 1, 5, …, 90) or labels such as '1-4', '90+'; each group needs each
    band once, in any order. ``le_age`` picks the ages reported (0 by default, a list, or 'all').
    Following the reference, the value is null with a note in ``statistic`` (limits still shown) when
    the 95% interval is wider than 20 years, and value and limits are null with a note when the group's
    total population is under 5,000, any band has zero population, deaths exceed the population in a
    band, or there are no deaths at 90+. Negative or missing counts raise ``ValueError``.

    Returns the input rows for the requested ages (sorted by group and age) with ``pops_used`` and
    ``dths_used`` (totals from that age up), ``value``, the limit columns, ``confidence``, ``statistic``
    and ``method``.
    """
    keys: list[str] = validate_group_by(df, group_by)
    require_columns(df, startage, pops, deaths)
    data = collect(df)
    check_numeric(data, pops, deaths)
    check_non_negative(data, pops, deaths)
    for name in (pops, deaths):
        missing = data.get_column(name).is_null()
        if missing.any():
            rows = ", ".join(str(i) for i in np.flatnonzero(missing.to_numpy())[:5])
            raise ValueError(f"column '{name}': missing values in rows {rows}")
    data = data.with_columns(_start_ages(data, startage).alias(_START))
    _check_bands(data, keys, startage)
    data = data.sort([*keys, _START], maintain_order=True)

    pop, dth = pl.col(pops).cast(pl.Float64), pl.col(deaths).cast(pl.Float64)

    def group_any(e: pl.Expr) -> pl.Expr:
        return e.any().over(keys) if keys else e.any()

    def group_sum(e: pl.Expr) -> pl.Expr:
        return e.sum().over(keys) if keys else e.sum()

    last = pl.col(_START) == LE_AGE_BANDS[-1]
    note = (
        pl.when(group_sum(pop) < LE_MIN_POPULATION)
        .then(pl.lit(f"life expectancy NA for total population < {LE_MIN_POPULATION}"))
        .when(group_any(pop == 0))
        .then(pl.lit("life expectancy NA for a zero population in an age band"))
        .when(group_any(dth > pop))
        .then(pl.lit("life expectancy NA for deaths greater than population in an age band"))
        .when(group_any(last & (dth == 0)))
        .then(pl.lit("life expectancy NA for no deaths in the 90+ age band"))
        .otherwise(None)
        .alias("__note")
    )
    data = data.with_columns(note).with_columns(_life_table(keys, pops, deaths))

    if le_age != "all":
        ages = [le_age] if isinstance(le_age, int) else list(le_age)
        unknown = [a for a in ages if a not in LE_AGE_BANDS]
        if unknown:
            raise ValueError(f"le_age: {unknown} not among the band start ages {list(LE_AGE_BANDS)}")
        data = data.filter(pl.col(_START).is_in(ages))

    failed = data.get_column("__note").is_not_null().to_numpy()
    le = np.where(failed, np.nan, as_float_array(data, "__le"))
    se = np.where(failed, np.nan, as_float_array(data, "__se"))
    wide = 2 * z_value(0.95) * se > LE_MAX_CI_WIDTH
    limits = [
        (lower_name, upper_name, le - z_value(level) * se, le + z_value(level) * se)
        for level, lower_name, upper_name in cl_column_names(confidence)
    ]
    statistic = (
        data.select(
            pl.col("__note").fill_null(
                pl.when(pl.lit(pl.Series(wide)))
                .then(pl.lit("life expectancy NA for 95% confidence interval wider than 20 years"))
                .otherwise(pl.format("life expectancy at age {}", pl.col(_START)))
            )
        )
        .to_series()
        .alias("statistic")
    )
    out = add_results(
        data.drop("__le", "__se", "__note", _START),
        np.where(wide, np.nan, le),
        limits,
        confidence=confidence_label(confidence),
        statistic=statistic,
        method=_METHOD,
    )
    return restore(out, df)
