"""Which rows are each series' last few: found fast for a million series (used by recent trends).

A series is a combination of key values (area × indicator); its points are its rows ordered by period.
:func:`group_code` turns the keys into one integer per row; :func:`rows_by_code` finds each series' last
points from that code and the period, by a (code × period) grid of row numbers when the periods are whole,
none missing and the codes compact, else by sorting numbers packing code, period and row; and
:func:`rows_by_hash` does it by a hash group-by when the keys or periods allow neither. All three keep the
series in the order of their first row and ties in the period in the table's order, so the result does not
depend on which way was taken (the tests in tests/bench/test_bench_trends_smoke.py run all three against the
version before, bench/_trends_baseline.py).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["DENSE_GRID", "PACKED_SORT", "group_code", "rows_by_code", "rows_by_hash"]

#: The ways :func:`rows_by_code` may take, tried in this order when the data allow (the tests switch them
#: off to try the others on the same inputs): a grid of group code × period, packed numbers sorted, and a
#: hash group-by.
DENSE_GRID = True
PACKED_SORT = True


def rows_by_code(
    frame: pl.DataFrame, points: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Row numbers of each group's last ``points`` rows by period, from the integer code ``_group``.

    Returns a (points x groups) matrix of row numbers (-1 where a group has fewer rows), the rows used per
    group, and each group's first row; groups in the order of their first row. Rows without a period are
    left out (their group stays, with no rows). Ties in the period keep the table's order.

    With whole periods, none missing, and not many more codes × periods than rows, a grid does it without a
    sort (:func:`_rows_by_grid`). Otherwise, when the periods are whole numbers (years, ranks), group code,
    period and row number are packed into the bits of one unsigned 64-bit number per row and the numbers
    themselves sorted (3 times faster than sorting row numbers by a key, 7 times faster than a hash group-by
    sorting inside each group, in any row order: measured on 4.95 million rows); otherwise, or when they do
    not fit, one hash group-by does it.
    """
    n = frame.height
    t = pl.col("_t")
    top, low, high, whole, finite, missing = frame.select(
        pl.col("_group").max(),
        t.min().alias("low"),
        t.max().alias("high"),
        (t == t.floor()).all(),  # nulls are left out; NaN is not whole
        t.is_finite().all().alias("finite"),
        t.null_count().alias("missing"),
    ).row(0)
    packable = n > 0 and low is not None and bool(whole) and bool(finite)
    if packable and DENSE_GRID and not missing and (int(top) + 1) * int(high - low + 1) <= 4 * n:
        found = _rows_by_grid(frame, points, int(top) + 1, float(low), int(high - low) + 1)
        if found is not None:
            return found
    packable = packable and PACKED_SORT
    if packable:
        period_bits = int(high - low + 1).bit_length()  # the periods from 1, and 0 for "no period"
        row_bits = max(n - 1, 1).bit_length()
        packable = int(top).bit_length() + period_bits + row_bits <= 63
    if not packable:
        matrix, lengths, firsts = rows_by_hash(frame, ["_group"], points, first_row=True)
        return matrix, lengths, firsts.get_column("_first").to_numpy().astype(np.int64)
    # Packed and sorted by Polars (its allocator reuses memory: fresh NumPy arrays of this size cost page faults).
    period = (t - (low - 1.0)).fill_null(0.0).cast(pl.UInt64)  # no period: first in its group, never used
    packed = (pl.col("_group") * (1 << period_bits) + period) * (1 << row_bits) + pl.int_range(
        pl.len(), dtype=pl.UInt64
    )
    ordered = frame.select(packed.alias("_packed")).to_series().sort().to_numpy()
    rows = (ordered & np.uint64((1 << row_bits) - 1)).view(np.int64)
    group = ordered >> np.uint64(row_bits + period_bits)
    new = np.ones(n, dtype=bool)
    np.not_equal(group[1:], group[:-1], out=new[1:])
    del group
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    if not missing:
        counts = ends - starts
    else:
        has_period = ((ordered >> np.uint64(row_bits)) & np.uint64((1 << period_bits) - 1)) != 0
        counts = np.add.reduceat(has_period, starts)
    first = np.minimum.reduceat(rows, starts)
    by_appearance = np.argsort(first, kind="stable")
    used = np.minimum(counts, points)[by_appearance].astype(np.int64)
    last = ends[by_appearance]
    cell = np.arange(points, dtype=np.int64)[:, None]
    wanted = cell < used[None, :]
    if bool(wanted.all()):
        matrix = rows[last[None, :] - points + cell]
    else:
        matrix = np.where(wanted, rows[np.where(wanted, last[None, :] - used[None, :] + cell, 0)], -1)
    return matrix.astype(np.int64, copy=False), used, first[by_appearance].astype(np.int64)


def _rows_by_grid(
    frame: pl.DataFrame, points: int, codes: int, low: float, periods: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """As :func:`rows_by_code` for whole periods without gaps in the data's coding: each row's number is
    written into a (group code × period) grid, and each group's last points are its last filled cells. No
    sort at all; None when two rows share a group and period (then the sort keeps them in table order)."""
    n = frame.height
    t = pl.col("_t")
    cell = frame.select((pl.col("_group") * periods + (t - low).cast(pl.UInt64)).alias("_cell")).to_series()
    cells = np.full(codes * periods, -1, dtype=np.int64)
    cells[cell.to_numpy()] = np.arange(n, dtype=np.int64)
    grid = cells.reshape(codes, periods)
    filled = grid >= 0
    present = filled.any(axis=1)
    if int(np.count_nonzero(filled)) != n:
        return None  # a group and period twice
    grid, filled = grid[present], filled[present]
    first = np.where(filled, grid, n).min(axis=1)
    by_appearance = np.argsort(first, kind="stable")
    grid, filled = grid[by_appearance], filled[by_appearance]
    if periods >= points and bool(filled[:, -points:].all()):
        return (
            np.ascontiguousarray(grid[:, -points:].T),
            np.full(grid.shape[0], points, dtype=np.int64),
            first[by_appearance],
        )
    from_end = np.cumsum(filled[:, ::-1], axis=1)[:, ::-1]  # filled cells from here to the last period
    used = np.minimum(filled.sum(axis=1), points)
    keep = filled & (from_end <= points)
    series, _ = np.nonzero(keep)
    matrix = np.full((points, grid.shape[0]), -1, dtype=np.int64)
    matrix[used[series] - from_end[keep], series] = grid[keep]
    return matrix, used.astype(np.int64), first[by_appearance]


def rows_by_hash(
    frame: pl.DataFrame, keys: list[str], points: int, *, first_row: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], pl.DataFrame]:
    """As :func:`rows_by_code`, by one hash group-by on ``keys``; the third item is the groups' keys (or,
    with ``first_row``, their first row as ``_first``)."""
    frame = frame.with_row_index("_row")
    if frame.get_column("_t").null_count():
        has_period = pl.col("_t").is_not_null()
        last = pl.col("_row").filter(has_period).sort_by(pl.col("_t").filter(has_period), maintain_order=True)
    else:
        last = pl.col("_row").sort_by("_t", maintain_order=True)
    extra = [pl.col("_row").first().alias("_first")] if first_row else []
    grouped = frame.group_by(keys, maintain_order=True).agg(last.tail(points), *extra)
    groups = grouped.height
    lists = grouped.get_column("_row")
    lengths = lists.list.len().to_numpy().astype(np.int64)
    flat = lists.explode(empty_as_null=False, keep_nulls=False).to_numpy().astype(np.int64)
    rows = np.full((points, groups), -1, dtype=np.int64)
    if bool(np.all(lengths == points)):
        rows[:] = flat.reshape(groups, points).T
    else:
        group = np.repeat(np.arange(groups, dtype=np.int64), lengths)
        column = np.arange(group.size, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        rows[column, group] = flat
    return rows, lengths, grouped.select("_first" if first_row else keys)


def group_code(data: pl.DataFrame, keys: list[str]) -> pl.Expr | None:
    """One unsigned integer per distinct combination of the ``keys`` values, or None when they cannot be coded.

    Why: a hash group-by on one integer column is about 3 times faster than on two columns (Polars encodes
    several keys into rows before hashing). Integer, boolean, date/time, categorical and enum keys are
    coded by their physical values (offset from the minimum; null is its own code), combined in mixed
    radix; other types (strings, floats, UInt64), or ranges too wide for 63 bits, are grouped as they are.
    """
    if not keys:
        return None
    physical: list[pl.Expr] = []
    for key in keys:
        dtype = data.schema[key]
        if dtype == pl.UInt64 or not (
            dtype.is_integer()
            or dtype.is_temporal()
            or dtype == pl.Boolean
            or isinstance(dtype, (pl.Categorical, pl.Enum))
        ):
            return None
        physical.append(pl.col(key).to_physical().cast(pl.Int64))
    bounds = data.select(
        *(e.min().alias(f"lo{i}") for i, e in enumerate(physical)),
        *(e.max().alias(f"hi{i}") for i, e in enumerate(physical)),
    ).row(0)
    code: pl.Expr = pl.lit(0, dtype=pl.UInt64)
    radix = 1
    for i, expr in enumerate(physical):
        lo, hi = bounds[i], bounds[len(keys) + i]
        if lo is None:  # all null: one value
            continue
        span = int(hi) - int(lo) + 2  # the values, and null
        digit = (expr - lo).fill_null(span - 1).cast(pl.UInt64)
        code = code * span + digit
        radix *= span
        if radix >= 2**63:
            return None
    return code
