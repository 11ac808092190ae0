"""Small-number suppression for published tables: primary and secondary (complementary) suppression.

Publishing "3 looked-after children in ward X" can identify them. Counts from 1 to ``threshold - 1`` are
withheld (primary suppression; 0 is shown, as most UK statistical publications do), and because a
withheld cell can be worked out by subtracting the other parts from a published total, more cells are
withheld until no table has exactly one unknown cell (secondary suppression). A row can belong to several
tables at once — a district's row for one pupil group sits both in "groups within the district" and in
"districts within the group" — and the rule is applied to all of them until nothing changes. Rates,
percentages and confidence limits derived from a withheld count are withheld with it.

Method: the standard cell-suppression practice of UK official statistics (ONS, DfE and NHS England
disclosure-control guidance: threshold rule plus complementary suppression of the next smallest cell).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import sparse
from scipy.sparse import csgraph

from gapwatch.stats._validate import (
    FrameT,
    as_float_array,
    check_numeric,
    collect,
    offending_rows,
    require_columns,
    restore,
)

__all__ = ["MISSING", "PRIMARY", "SECONDARY", "TableSpec", "suppress", "table_specs"]

PRIMARY = "primary"
SECONDARY = "secondary"
MISSING = "missing"

#: (key columns, total-flag column): the rows sharing the keys form one table whose non-total rows sum
#: to its total row (the row where the flag is true).
TableSpec = tuple[list[str], str]


def table_specs(
    table_keys: Sequence[str] | Sequence[Sequence[str]], total_flag: str | Sequence[str]
) -> list[TableSpec]:
    """Pair ``table_keys`` (one list of columns, or one list per table dimension) with total flags."""
    if not table_keys:
        raise ValueError("table_keys: at least one key column (or list of columns) is needed")
    nested = not isinstance(table_keys[0], str)
    key_lists: list[list[str]] = [list(k) for k in table_keys] if nested else [[str(k) for k in table_keys]]
    flags = [total_flag] if isinstance(total_flag, str) else list(total_flag)
    if len(flags) != len(key_lists):
        raise ValueError(
            f"total_flag: give one total flag per table dimension ({len(key_lists)} key lists, {len(flags)} flags)"
        )
    return list(zip(key_lists, flags, strict=True))


def suppress(
    df: FrameT,
    *,
    count_cols: Sequence[str] | str,
    table_keys: Sequence[str] | Sequence[Sequence[str]],
    total_flag: str | Sequence[str],
    derived_cols: Sequence[str] | str = (),
    threshold: int = 5,
    suppress_zero: bool = False,
    max_rounds: int = 1000,
) -> FrameT:
    """Withhold small counts and every cell that would let them be recovered from a published total.

    Why: partnership reports publish counts by district and by vulnerable group; a count of 1-4 must not
    be shown, nor be computable by subtraction from the totals that are shown.

    * Primary: a row is withheld when any ``count_cols`` value is in 1..``threshold``-1 (0 too with
      ``suppress_zero``). A row with a missing count is treated as withheld ("missing").
    * Tables: for each (keys, flag) pair from ``table_keys``/``total_flag`` (see :func:`table_specs`),
      rows sharing the keys form a table whose parts (flag false) sum to its total (flag true). A table
      with a total row and exactly one withheld cell (part or total) would give that cell away.
    * Secondary: in each such table one more cell is withheld — the smallest non-zero part by the first
      count column, else a zero part, else the total — and the check is repeated over every table
      dimension until stable (every round is vectorised over all tables).
    * Audit: "no table with one unknown" does not stop an analyst who combines several tables (a
      withheld cell linking two otherwise separate blocks of withheld cells can be solved for). The
      tables' equations are therefore solved exactly over the withheld cells (singular value
      decomposition of each connected block, batched by size): a small count that is still determined
      gets another cell withheld in one of its tables, and the two steps repeat until none is.

    Returns the input with the ``count_cols`` and ``derived_cols`` of withheld rows set to null, plus
    ``suppressed`` (bool) and ``suppression_reason`` ("primary", "secondary", "missing" or null).
    Raises ``ValueError`` if a table has more than one total row.
    """
    counts = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    derived = [derived_cols] if isinstance(derived_cols, str) else list(derived_cols)
    if not counts:
        raise ValueError("count_cols: at least one count column is needed")
    if threshold < 1:
        raise ValueError(f"threshold: must be at least 1, got {threshold}")
    specs = table_specs(table_keys, total_flag)
    for keys, flag in specs:
        require_columns(df, *keys, flag)
    require_columns(df, *counts, *derived)
    data = collect(df)
    check_numeric(data, *counts)

    values = np.column_stack([as_float_array(data, c) for c in counts]) if data.height else np.zeros((0, 1))
    missing = np.asarray(np.isnan(values).any(axis=1), dtype=bool)
    with np.errstate(invalid="ignore"):
        small = (values >= 0) & (values < threshold) if suppress_zero else (values > 0) & (values < threshold)
    primary = np.asarray(small.any(axis=1), dtype=bool) & ~missing
    suppressed = primary | missing
    size = values[:, 0] if data.height else np.zeros(0)

    tables = [_table_frame(data, keys, flag, size) for keys, flag in specs]
    suppressed = _close_lonely_cells(tables, suppressed, max_rounds)
    for _round in range(max_rounds):
        exposed = _determined(tables, suppressed)
        if not (exposed & primary).any():
            break
        added = _protect(tables, suppressed, exposed & primary)
        if not added.any():
            added = _protect(tables, suppressed, exposed)
        if not added.any():  # pragma: no cover - every table of an exposed cell is already withheld
            raise ValueError("suppress: could not protect every small count; check the table definitions")
        suppressed = _close_lonely_cells(tables, np.logical_or(suppressed, added), max_rounds)
    else:  # pragma: no cover - each round withholds more cells, so rounds are bounded by the row count
        raise ValueError("suppress: secondary suppression did not settle; check the table definitions")
    secondary = suppressed & ~primary & ~missing

    reason = np.full(data.height, None, dtype=object)
    reason[secondary] = SECONDARY
    reason[primary] = PRIMARY
    reason[missing] = MISSING
    mask = pl.Series("_mask", suppressed)
    nulled = [pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in counts + derived]
    out = data.with_columns(nulled).with_columns(
        pl.Series("suppressed", suppressed, dtype=pl.Boolean),
        pl.Series("suppression_reason", reason.tolist(), dtype=pl.String),
    )
    return restore(out, df)


# --- helpers ------------------------------------------------------------------------------------------


def _table_frame(data: pl.DataFrame, keys: list[str], flag: str, size: npt.NDArray[np.float64]) -> pl.DataFrame:
    """Row id, table id, total flag and size of every row that belongs to a table with a total row."""
    frame = data.select(*keys, pl.col(flag).cast(pl.Boolean).fill_null(False).alias("_total")).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_rid"),
        pl.Series("_size", size, dtype=pl.Float64),
    )
    ids = frame.select(keys).unique(maintain_order=True).with_row_index("_tid")
    frame = frame.join(ids, on=keys, how="left", nulls_equal=True, maintain_order="left").select(
        "_rid", "_tid", "_total", "_size"
    )
    stats = frame.group_by("_tid").agg(pl.col("_total").sum().alias("_totals"), pl.len().alias("_cells"))
    many = stats.filter(pl.col("_totals") > 1)
    if many.height:
        bad = frame.join(many.select("_tid"), on="_tid", how="semi").filter(pl.col("_total"))
        mask = np.zeros(data.height, dtype=bool)
        mask[bad.get_column("_rid").to_numpy()] = True
        raise ValueError(f"column '{flag}': a table has more than one total row (rows {offending_rows(mask)})")
    usable = stats.filter((pl.col("_totals") == 1) & (pl.col("_cells") >= 2)).select("_tid")
    return frame.join(usable, on="_tid", how="semi")


def _complements(table: pl.DataFrame, suppressed: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Row ids to withhold so that no table is left with exactly one withheld cell."""
    if table.height == 0:
        return np.zeros(0, dtype=np.int64)
    frame = table.with_columns(pl.Series("_supp", suppressed[table.get_column("_rid").to_numpy()]))
    lonely = frame.group_by("_tid").agg(pl.col("_supp").sum().alias("_n")).filter(pl.col("_n") == 1)
    if lonely.height == 0:
        return np.zeros(0, dtype=np.int64)
    candidates = frame.join(lonely.select("_tid"), on="_tid", how="semi").filter(~pl.col("_supp"))
    picks = (
        candidates.sort(["_tid", "_total", pl.col("_size") == 0, "_size", "_rid"], nulls_last=True)
        .group_by("_tid", maintain_order=True)
        .agg(pl.col("_rid").first())
    )
    return picks.get_column("_rid").to_numpy().astype(np.int64)


def _close_lonely_cells(
    tables: list[pl.DataFrame], suppressed: npt.NDArray[np.bool_], max_rounds: int
) -> npt.NDArray[np.bool_]:
    """Withhold complements until no table with a total has exactly one withheld cell."""
    suppressed = suppressed.copy()
    for _round in range(max_rounds):
        added = np.zeros(suppressed.size, dtype=bool)
        for table in tables:
            added[_complements(table, suppressed | added)] = True
        added &= ~suppressed
        if not added.any():
            return suppressed
        suppressed |= added
    raise ValueError("suppress: secondary suppression did not settle; check the table definitions")


def _equations(
    tables: list[pl.DataFrame], suppressed: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Sparse (equation, unknown, coefficient) triplets of "parts - total = 0" over withheld cells."""
    unknown = np.flatnonzero(suppressed)
    column = np.full(suppressed.size, -1, dtype=np.int64)
    column[unknown] = np.arange(unknown.size)
    eq_parts, col_parts, val_parts = [], [], []
    offset = 0
    for table in tables:
        if table.height == 0:
            continue
        rid = table.get_column("_rid").to_numpy().astype(np.int64)
        tid = table.get_column("_tid").to_numpy().astype(np.int64)
        total = table.get_column("_total").to_numpy()
        keep = suppressed[rid]
        eq_parts.append(tid[keep] + offset)
        col_parts.append(column[rid[keep]])
        val_parts.append(np.where(total[keep], -1.0, 1.0))
        offset += int(tid.max()) + 1
    if not eq_parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), unknown
    return np.concatenate(eq_parts), np.concatenate(col_parts), np.concatenate(val_parts), unknown


def _local_index(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Position of each item among the items with the same label (0, 1, 2, ... per label)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.searchsorted(sorted_labels, sorted_labels, side="left")
    local = np.empty(labels.size, dtype=np.int64)
    local[order] = np.arange(labels.size) - starts
    return local


def _determined(tables: list[pl.DataFrame], suppressed: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Withheld cells whose value the published cells and the tables' equations pin down exactly.

    A withheld cell j is determined when the unit vector e_j lies in the row space of the equations
    restricted to the withheld cells, i.e. when the projection onto that row space keeps all of e_j.
    Each connected block of equations and cells is solved on its own; blocks are padded to a common
    size class and decomposed together (NumPy's stacked SVD).
    """
    result = np.zeros(suppressed.size, dtype=bool)
    eq, col, val, unknown = _equations(tables, suppressed)
    if unknown.size == 0 or eq.size == 0:
        return result
    eq_ids, eq = np.unique(eq, return_inverse=True)
    n_eq, n_unk = eq_ids.size, unknown.size
    graph = sparse.coo_matrix((np.ones(eq.size), (eq, n_eq + col)), shape=(n_eq + n_unk, n_eq + n_unk))
    _count, labels = csgraph.connected_components(graph, directed=False)
    eq_block, unk_block = labels[:n_eq], labels[n_eq:]
    eq_local, unk_local = _local_index(eq_block), _local_index(unk_block)
    eq_sizes = np.bincount(eq_block, minlength=_count)
    unk_sizes = np.bincount(unk_block, minlength=_count)
    size_class = np.maximum(_next_power_of_two(eq_sizes), 1) * 4096 + _next_power_of_two(unk_sizes)
    entry_block = eq_block[eq]
    for cls in np.unique(size_class[eq_sizes > 0]):
        blocks = np.flatnonzero((size_class == cls) & (eq_sizes > 0))
        position = np.full(_count, -1, dtype=np.int64)
        position[blocks] = np.arange(blocks.size)
        rows_max, cols_max = int(cls // 4096), int(cls % 4096)
        matrix = np.zeros((blocks.size, rows_max, cols_max))
        here = position[entry_block] >= 0
        matrix[position[entry_block[here]], eq_local[eq[here]], unk_local[col[here]]] = val[here]
        _u, sing, vh = np.linalg.svd(matrix, full_matrices=False)
        tol = sing.max(axis=1, keepdims=True) * max(rows_max, cols_max) * np.finfo(np.float64).eps
        kept = (sing > np.maximum(tol, 1e-12))[:, :, None]
        projection = np.sum(np.where(kept, vh * vh, 0.0), axis=1)
        cells = np.flatnonzero(position[unk_block] >= 0)
        pinned = projection[position[unk_block[cells]], unk_local[cells]] > 1.0 - 1e-8
        result[unknown[cells[pinned]]] = True
    return result


def _next_power_of_two(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = np.ones_like(values)
    positive = values > 1
    out[positive] = 2 ** np.ceil(np.log2(values[positive])).astype(np.int64)
    return out


def _protect(
    tables: list[pl.DataFrame], suppressed: npt.NDArray[np.bool_], exposed: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Withhold one more cell in one table of each exposed cell (first table dimension that has one)."""
    added = np.zeros(suppressed.size, dtype=bool)
    waiting = exposed.copy()
    for table in tables:
        if not waiting.any() or table.height == 0:
            continue
        frame = table.with_columns(
            pl.Series("_supp", suppressed[table.get_column("_rid").to_numpy()]),
            pl.Series("_wait", waiting[table.get_column("_rid").to_numpy()]),
        )
        hit = frame.filter(pl.col("_wait")).select("_tid").unique()
        candidates = frame.join(hit, on="_tid", how="semi").filter(~pl.col("_supp"))
        if candidates.height == 0:
            continue
        picks = (
            candidates.sort(["_tid", "_total", pl.col("_size") == 0, "_size", "_rid"], nulls_last=True)
            .group_by("_tid", maintain_order=True)
            .agg(pl.col("_rid").first())
        )
        added[picks.get_column("_rid").to_numpy()] = True
        served = frame.join(picks.select("_tid"), on="_tid", how="semi").filter(pl.col("_wait"))
        waiting[served.get_column("_rid").to_numpy()] = False
    return added & ~suppressed
