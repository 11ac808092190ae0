"""Input checks and frame handling shared by every function in ``gapwatch.stats``.

Bad input raises ``ValueError`` naming the column and the first offending rows, for example
``column 'numerator': negative values in rows 3, 7``. Rows are 0-based positions in the frame as given
(Polars' ``with_row_index()`` numbering), at most five are listed, then "and N more". The CLI and web
layers turn the ``ValueError`` into a user-facing problem; nothing here knows about them.

Where the reference package (PHEindicatormethods) returns NA with a note rather than failing (a DSR
from fewer than 10 events, a life expectancy from too small a population), the functions return null
values and say why in the ``statistic`` column instead of raising.

Every public function accepts a Polars ``DataFrame`` or ``LazyFrame`` and returns the same kind. A lazy
input is collected once (the checks need the data, and the kernels run on NumPy arrays) and the result is
handed back lazy so that callers can keep chaining.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from gapwatch.stats._confidence import ConfidenceArg, levels

__all__ = [
    "FrameT",
    "MAX_ROWS_SHOWN",
    "add_results",
    "as_float_array",
    "check_at_most",
    "check_non_negative",
    "check_numeric",
    "check_positive",
    "collect",
    "confidence_label",
    "float_series",
    "format_number",
    "offending_rows",
    "require_columns",
    "restore",
    "sum_by_group",
    "validate_group_by",
]

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

#: How many offending rows an error message lists.
MAX_ROWS_SHOWN = 5


# --- frame kind -------------------------------------------------------------------------------------


def collect(df: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The data as an eager DataFrame (a LazyFrame is collected once)."""
    if isinstance(df, pl.LazyFrame):
        return df.collect()
    if isinstance(df, pl.DataFrame):
        return df
    raise TypeError(f"expected a polars DataFrame or LazyFrame, got {type(df).__name__}")


def restore(result: pl.DataFrame, like: FrameT) -> FrameT:
    """Hand the result back as the same kind of frame the caller gave."""
    if isinstance(like, pl.LazyFrame):
        return result.lazy()
    return result


# --- checks -----------------------------------------------------------------------------------------


def _columns(df: pl.DataFrame | pl.LazyFrame) -> list[str]:
    return df.collect_schema().names() if isinstance(df, pl.LazyFrame) else df.columns


def require_columns(df: pl.DataFrame | pl.LazyFrame, *names: str | None) -> None:
    """Raise ``ValueError`` if a named column is missing (``None`` entries are skipped)."""
    have = _columns(df)
    for name in names:
        if name is not None and name not in have:
            shown = ", ".join(f"'{c}'" for c in have[:20])
            raise ValueError(f"column '{name}': not found in the data (columns are {shown})")


def validate_group_by(df: pl.DataFrame | pl.LazyFrame, group_by: Sequence[str] | str | None) -> list[str]:
    """Normalise a ``group_by`` argument to a list of existing column names."""
    if group_by is None:
        return []
    keys = [group_by] if isinstance(group_by, str) else list(group_by)
    require_columns(df, *keys)
    return keys


def check_numeric(df: pl.DataFrame, *names: str | None) -> None:
    """Raise ``ValueError`` if a column is not numeric (an all-null column is accepted)."""
    for name in names:
        if name is None:
            continue
        require_columns(df, name)
        dtype = df.schema[name]
        if not (dtype.is_numeric() or dtype == pl.Null):
            bad = df.select(pl.col(name).cast(pl.Float64, strict=False).is_null() & pl.col(name).is_not_null())
            rows = offending_rows(bad.to_series())
            where = f" (first non-numeric values in rows {rows})" if rows else ""
            raise ValueError(f"column '{name}': must be numeric, found {dtype}{where}")


def offending_rows(mask: pl.Series | npt.NDArray[np.bool_]) -> str:
    """'3, 7' for the rows where ``mask`` is true; at most five, then 'and N more'. Empty if none."""
    arr = mask.fill_null(False).to_numpy() if isinstance(mask, pl.Series) else np.asarray(mask)
    idx = np.flatnonzero(arr)
    if idx.size == 0:
        return ""
    text = ", ".join(str(int(i)) for i in idx[:MAX_ROWS_SHOWN])
    if idx.size > MAX_ROWS_SHOWN:
        text += f" and {idx.size - MAX_ROWS_SHOWN} more"
    return text


def _raise_if(df: pl.DataFrame, condition: pl.Expr, name: str, problem: str) -> None:
    mask = df.select(condition.fill_null(False)).to_series()
    if mask.any():
        raise ValueError(f"column '{name}': {problem} in rows {offending_rows(mask)}")


def check_non_negative(df: pl.DataFrame, *names: str | None) -> None:
    """Counts and populations cannot be negative (nulls pass: they give null results)."""
    for name in names:
        if name is not None:
            _raise_if(df, pl.col(name) < 0, name, "negative values")


def check_positive(df: pl.DataFrame, *names: str | None) -> None:
    """Denominators must be greater than zero (nulls pass: they give null results)."""
    for name in names:
        if name is not None:
            _raise_if(df, pl.col(name) <= 0, name, "zero or negative values")


def check_at_most(df: pl.DataFrame, x: str, n: str) -> None:
    """A proportion's numerator cannot exceed its denominator."""
    _raise_if(df, pl.col(x) > pl.col(n), x, f"values greater than '{n}'")


# --- grouping ---------------------------------------------------------------------------------------


def sum_by_group(df: pl.DataFrame, keys: Sequence[str], columns: Iterable[str]) -> pl.DataFrame:
    """Sum columns within groups, in order of first appearance.

    A group's sum is null when any of its values is null, as R's ``sum()`` gives NA: a partly missing
    numerator must not silently turn into a smaller one.
    """
    aggs = [pl.when(pl.col(c).is_null().any()).then(None).otherwise(pl.col(c).sum()).alias(c) for c in columns]
    if not keys:
        return df.select(aggs)
    return df.group_by(list(keys), maintain_order=True).agg(aggs)


# --- arrays and labels ------------------------------------------------------------------------------


def as_float_array(df: pl.DataFrame, name: str) -> npt.NDArray[np.float64]:
    """A column as float64 with nulls as NaN."""
    return np.asarray(df.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)


def float_series(name: str, values: npt.ArrayLike) -> pl.Series:
    """A Float64 column from an array, NaN and infinities turned to null."""
    arr = np.asarray(values, dtype=np.float64)
    arr = np.where(np.isfinite(arr), arr, np.nan)
    return pl.Series(name, arr, dtype=pl.Float64, nan_to_null=True)


def format_number(value: float) -> str:
    """100000.0 -> '100000', 0.5 -> '0.5' (labels such as 'rate per 100000')."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def confidence_label(confidence: ConfidenceArg) -> str:
    """'95%' for one level, '95%, 99.8%' for several, as the reference package labels them."""
    return ", ".join(f"{format_number(round(level * 100, 6))}%" for level in levels(confidence))


def add_results(
    df: pl.DataFrame,
    value: npt.ArrayLike,
    limits: Sequence[tuple[str, str, npt.ArrayLike, npt.ArrayLike]],
    *,
    confidence: str,
    statistic: str | pl.Series,
    method: str | pl.Series,
) -> pl.DataFrame:
    """Append ``value``, the limit columns, ``confidence``, ``statistic`` and ``method`` to ``df``.

    ``limits`` holds (lower name, upper name, lower values, upper values) per confidence level.
    Results are Float64 with nulls (never NaN) where they cannot be computed.
    """
    names = [name for lower_name, upper_name, _, _ in limits for name in (lower_name, upper_name)]
    if len(set(names)) != len(names):
        raise ValueError(f"confidence: each level may be given once ({confidence})")
    columns: list[pl.Series | pl.Expr] = [float_series("value", value)]
    for lower_name, upper_name, lower, upper in limits:
        columns += [float_series(lower_name, lower), float_series(upper_name, upper)]
    # Constant labels as literals: building millions of Python strings would dominate the run time.
    columns.append(pl.lit(confidence, dtype=pl.String).alias("confidence"))
    for name, label in (("statistic", statistic), ("method", method)):
        if isinstance(label, pl.Series):
            columns.append(label.cast(pl.String).alias(name))
        else:
            columns.append(pl.lit(label, dtype=pl.String).alias(name))
    return df.with_columns(columns)
