"""Assigning areas to quantiles (deciles, quintiles…) by their values."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from gapwatch.stats._validate import (
    FrameT,
    check_numeric,
    collect,
    offending_rows,
    require_columns,
    restore,
    validate_group_by,
)

__all__ = ["quantile"]

_INVERT = "__invert"

# Polarity words accepted in a string ``invert`` column: quantile 1 holds the worst values, so where
# lower is better the order is inverted (highest values in quantile 1).
_POLARITY_INVERT = {
    "lower_is_better": True,
    "higher_is_better": False,
    "RAG - Low is good": True,
    "RAG - High is good": False,
    "TRUE": True,
    "FALSE": False,
}


def _invert_column(data: pl.DataFrame, invert: bool | str) -> pl.Expr:
    if isinstance(invert, bool):
        return pl.lit(invert)
    require_columns(data, invert)
    dtype = data.schema[invert]
    if dtype == pl.Boolean:
        bad = data.get_column(invert).is_null()
        if bad.any():
            raise ValueError(f"column '{invert}': missing values in rows {offending_rows(bad)}")
        return pl.col(invert)
    if dtype == pl.String:
        mapped = pl.col(invert).replace_strict(_POLARITY_INVERT, default=None, return_dtype=pl.Boolean)
        bad = data.select(mapped.is_null()).to_series()
        if bad.any():
            known = ", ".join(f"'{k}'" for k in _POLARITY_INVERT)
            raise ValueError(
                f"column '{invert}': unknown polarity in rows {offending_rows(bad)} (use true/false or {known})"
            )
        return mapped
    raise ValueError(f"column '{invert}': must be boolean or a polarity string, found {dtype}")


def quantile(
    df: FrameT,
    value: str,
    *,
    group_by: Sequence[str] | None = None,
    nquantiles: int = 10,
    invert: bool | str = True,
) -> FrameT:
    """Assign each row to one of ``nquantiles`` quantiles of ``value`` within its group.

    Why: deprivation deciles and "worst fifth of areas" are how partnerships target places. Method:
    rank the non-missing values in each group (ties take the minimum rank), then
    quantile = ⌊(rank - 1)·k / N⌋ + 1 for N values and k quantiles, as PHEindicatormethods
    ``phe_quantile`` and Fingertips assign them. ``invert=True`` (the default) puts the highest values in
    quantile 1; ``invert`` may also name a column (boolean, or polarity strings such as
    'lower_is_better' → True), which must be constant within each group, otherwise ``ValueError``.
    A group with fewer values than quantiles gets no quantiles (null), as does a missing value.

    Adds ``quantile`` (Int64), ``nquantiles``, ``groupvars`` (the group columns, comma-separated, or
    null) and ``invert``; rows keep their order.
    """
    if nquantiles < 1:
        raise ValueError(f"nquantiles: must be at least 1, got {nquantiles}")
    keys: list[str] = validate_group_by(df, group_by)
    require_columns(df, value)
    data = collect(df)
    check_numeric(data, value)
    data = data.with_columns(_invert_column(data, invert).alias(_INVERT))

    if keys and isinstance(invert, str):
        varying = data.select(pl.col(_INVERT).n_unique().over(keys) > 1).to_series()
        if varying.any():
            raise ValueError(
                f"column '{invert}': polarity varies within a group ({', '.join(keys)}) in rows "
                f"{offending_rows(varying)}"
            )
    elif isinstance(invert, str) and data.get_column(_INVERT).n_unique() > 1:
        raise ValueError(f"column '{invert}': polarity varies within the data and no group_by is given")

    key = pl.when(pl.col(_INVERT)).then(-pl.col(value).cast(pl.Float64)).otherwise(pl.col(value).cast(pl.Float64))
    rank = key.rank(method="min")
    count = pl.col(value).count()
    if keys:
        rank, count = rank.over(keys), count.over(keys)
    k = pl.lit(nquantiles, dtype=pl.Int64)
    q = (rank.cast(pl.Int64) - 1) * k // count.cast(pl.Int64) + 1
    q = pl.when(count >= nquantiles).then(q).otherwise(None).cast(pl.Int64)
    out = data.with_columns(
        q.alias("quantile"),
        pl.lit(nquantiles, dtype=pl.Int64).alias("nquantiles"),
        pl.lit(", ".join(keys) if keys else None, dtype=pl.String).alias("groupvars"),
        pl.col(_INVERT).alias("invert"),
    ).drop(_INVERT)
    return restore(out, df)
