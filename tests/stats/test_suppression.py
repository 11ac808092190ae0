"""Small-number suppression (gapwatch.stats.suppression), checked by an attacker written in the test.

Two independent checkers: ``_recover_by_subtraction`` repeats "total minus the published parts" (or "sum
of the parts" for a withheld total) over every table until nothing new is learnt, as a reader with a
calculator would; ``_determined_by_algebra`` asks whether any combination of the tables' equations pins a
withheld cell down (rank test with NumPy). Neither may recover a withheld count in 1..4.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapwatch.stats.suppression import suppress, table_specs

Spec = tuple[list[str], str]


def _tables(df: pl.DataFrame, specs: list[Spec]) -> list[tuple[list[int], int]]:
    """(part row ids, total row id) for every table that has exactly one total row and a part."""
    out = []
    indexed = df.with_row_index("_rid")
    for keys, flag in specs:
        grouped = indexed.group_by(keys).agg(pl.col("_rid"), pl.col(flag))
        for rids, flags in zip(grouped["_rid"].to_list(), grouped[flag].to_list(), strict=True):
            totals = [r for r, f in zip(rids, flags, strict=True) if f]
            parts = [r for r, f in zip(rids, flags, strict=True) if not f]
            if len(totals) == 1 and parts:
                out.append((parts, totals[0]))
    return out


def _recover_by_subtraction(original: pl.DataFrame, published: pl.DataFrame, specs: list[Spec]) -> set[int]:
    """Rows a reader can work out from published totals and parts, repeating until nothing changes."""
    values = original["x"].to_list()
    known = {i: values[i] for i in range(published.height) if published["x"][i] is not None}
    recovered: set[int] = set()
    tables = _tables(original, specs)
    changed = True
    while changed:
        changed = False
        for parts, total in tables:
            unknown = [r for r in [*parts, total] if r not in known]
            if len(unknown) != 1:
                continue
            (cell,) = unknown
            if cell == total:
                known[cell] = sum(known[p] for p in parts)
            else:
                known[cell] = known[total] - sum(known[p] for p in parts if p != cell)
            assert known[cell] == values[cell]  # the attack is sound
            recovered.add(cell)
            changed = True
    return recovered


def _determined_by_algebra(original: pl.DataFrame, published: pl.DataFrame, specs: list[Spec]) -> set[int]:
    """Withheld rows whose value follows from some combination of the tables' equations."""
    hidden = [i for i in range(published.height) if published["x"][i] is None]
    if not hidden:
        return set()
    column = {r: k for k, r in enumerate(hidden)}
    rows = []
    for parts, total in _tables(original, specs):
        row = np.zeros(len(hidden))
        for p in parts:
            if p in column:
                row[column[p]] = 1.0
        if total in column:
            row[column[total]] = -1.0
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    equations = np.array(rows)
    rank = np.linalg.matrix_rank(equations)
    found = set()
    for r, k in column.items():
        unit = np.zeros(len(hidden))
        unit[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([equations, unit])) == rank:
            found.add(r)
    return found


def _assert_safe(original: pl.DataFrame, published: pl.DataFrame, specs: list[Spec]) -> None:
    small = {i for i, v in enumerate(original["x"].to_list()) if v is not None and 1 <= v <= 4}
    assert small <= {i for i in range(published.height) if published["x"][i] is None}
    assert not _recover_by_subtraction(original, published, specs)
    assert not (small & _determined_by_algebra(original, published, specs))


def _grid(cells: list[list[int]]) -> pl.DataFrame:
    """A district x group table with row, column and grand totals, as long data."""
    n_d, n_g = len(cells), len(cells[0])
    rows = []
    for i in range(n_d + 1):
        for j in range(n_g + 1):
            if i < n_d and j < n_g:
                value = cells[i][j]
            elif i < n_d:
                value = sum(cells[i])
            elif j < n_g:
                value = sum(row[j] for row in cells)
            else:
                value = sum(map(sum, cells))
            district = f"d{i}" if i < n_d else "Kent"
            group = f"g{j}" if j < n_g else "All pupils"
            rows.append((district, group, value, j == n_g, i == n_d))
    return pl.DataFrame(
        rows,
        schema=["district", "group", "x", "all_groups", "all_districts"],
        orient="row",
        schema_overrides={"x": pl.Int64},
    )


GRID_SPECS: list[Spec] = [(["district"], "all_groups"), (["group"], "all_districts")]


def _suppress_grid(df: pl.DataFrame) -> pl.DataFrame:
    return suppress(
        df, count_cols="x", table_keys=[["district"], ["group"]], total_flag=["all_groups", "all_districts"]
    )


def test_primary_suppression_threshold_and_zero() -> None:
    df = pl.DataFrame({"t": ["a"] * 7, "x": [0, 1, 4, 5, 12, 20, 42], "total": [False] * 6 + [True]})
    out = suppress(df, count_cols="x", table_keys=["t"], total_flag="total")
    assert out["suppression_reason"].to_list()[:4] == [None, "primary", "primary", None]
    assert out["x"].to_list()[0] == 0
    zero = suppress(df, count_cols="x", table_keys=["t"], total_flag="total", suppress_zero=True)
    assert zero["suppression_reason"][0] == "primary"
    ten = suppress(df, count_cols="x", table_keys=["t"], total_flag="total", threshold=10)
    assert ten["suppression_reason"].to_list()[3] == "primary"


def test_group_and_comparator_summing_to_a_published_total() -> None:
    df = pl.DataFrame(
        {
            "indicator": ["gcse"] * 3,
            "group": ["FSM", "non-FSM", "All pupils"],
            "x": [3, 200, 203],
            "n": [10, 400, 410],
            "pct": [30.0, 50.0, 49.5],
            "lower": [10.8, 45.1, 44.7],
            "total": [False, False, True],
        }
    )
    out = suppress(df, count_cols="x", derived_cols=["pct", "lower"], table_keys=["indicator"], total_flag="total")
    assert out["suppression_reason"].to_list() == ["primary", "secondary", None]
    assert out["x"].to_list() == [None, None, 203]
    assert out["pct"].to_list() == [None, None, 49.5]
    assert out["lower"].to_list() == [None, None, 44.7]
    assert out["n"].to_list() == [10, 400, 410]  # denominators that are not counts stay published
    _assert_safe(df, out, [(["indicator"], "total")])


def test_single_small_district_takes_the_next_smallest_non_zero_district() -> None:
    df = pl.DataFrame(
        {
            "area": ["Thanet", "Dover", "Swale", "Ashford", "Kent"],
            "x": [2, 0, 40, 25, 67],
            "county": [False, False, False, False, True],
            "table": [1] * 5,
        }
    )
    out = suppress(df, count_cols="x", table_keys=["table"], total_flag="county")
    assert out["suppression_reason"].to_list() == ["primary", None, None, "secondary", None]
    _assert_safe(df, out, [(["table"], "county")])


def test_zero_parts_are_complements_only_when_nothing_else_is_left() -> None:
    df = pl.DataFrame(
        {
            "t": ["a", "a", "a", "a", "b", "b", "b"],
            "x": [3, 0, 10, 13, 3, 0, 3],
            "total": [False, False, False, True, False, False, True],
        }
    )
    out = suppress(df, count_cols="x", table_keys=["t"], total_flag="total")
    assert out["suppression_reason"].to_list() == [
        "primary",
        None,
        "secondary",
        None,
        "primary",
        None,
        "primary",
    ]


def test_two_dimensional_chain_of_secondary_suppression() -> None:
    # d0/g0 = 2 forces a second cell in row d0 and in column g0, which in turn need partners.
    df = _grid([[2, 30, 40], [25, 6, 50], [35, 45, 7]])
    out = _suppress_grid(df)
    withheld = out.filter(pl.col("suppressed"))
    assert withheld.height >= 4
    counts_by_line = [
        out.filter(pl.col(col) == value)["suppressed"].sum() for col, value in [("district", "d0"), ("group", "g0")]
    ]
    assert all(c >= 2 for c in counts_by_line)
    _assert_safe(df, out, GRID_SPECS)


def test_bridge_between_two_blocks_is_protected() -> None:
    # Without the algebraic audit, d1/g3 (= 2) links two 2x2 blocks of withheld cells and can be solved
    # for from four equations although every table has two or more withheld cells.
    df = _grid([[4, 4, 6, 10], [2, 2, 0, 2], [0, 0, 5, 1], [0, 20, 1, 1]])
    out = _suppress_grid(df)
    _assert_safe(df, out, GRID_SPECS)


def test_missing_counts_are_treated_as_withheld_and_reported() -> None:
    df = pl.DataFrame(
        {"t": ["a"] * 4, "x": [None, 30, 40, 100], "total": [False, False, False, True]},
        schema_overrides={"x": pl.Int64},
    )
    out = suppress(df, count_cols="x", table_keys=["t"], total_flag="total")
    assert out["suppression_reason"].to_list() == ["missing", "secondary", None, None]


def test_lazy_frames_and_several_count_columns() -> None:
    df = pl.DataFrame(
        {"t": ["a"] * 4, "x": [10, 30, 40, 80], "n": [3, 50, 60, 113], "total": [False, False, False, True]}
    )
    out = suppress(df.lazy(), count_cols=["x", "n"], table_keys=["t"], total_flag="total")
    assert isinstance(out, pl.LazyFrame)
    got = out.collect()
    assert got["suppression_reason"].to_list() == ["primary", "secondary", None, None]
    assert got["n"].to_list() == [None, None, 60, 113]


def test_invalid_definitions() -> None:
    df = pl.DataFrame({"t": ["a", "a", "a"], "x": [1, 2, 3], "total": [False, True, True]})
    with pytest.raises(ValueError, match=r"column 'total': a table has more than one total row \(rows 1, 2\)"):
        suppress(df, count_cols="x", table_keys=["t"], total_flag="total")
    with pytest.raises(ValueError, match="one total flag per table dimension"):
        table_specs([["t"], ["x"]], "total")
    with pytest.raises(ValueError, match="column 'nope'"):
        suppress(df, count_cols="nope", table_keys=["t"], total_flag="total")


cell_values = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 50])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 5).flatmap(lambda g: st.lists(st.lists(cell_values, min_size=g, max_size=g), min_size=1, max_size=6))
)
def test_random_district_by_group_tables_are_safe(cells: list[list[int]]) -> None:
    df = _grid(cells)
    out = _suppress_grid(df)
    _assert_safe(df, out, GRID_SPECS)
    published = out.filter(~pl.col("suppressed"))
    assert ((published["x"] == 0) | (published["x"] >= 5)).all()
