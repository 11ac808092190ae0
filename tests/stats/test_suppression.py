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

from gapwatch.stats.suppression import LinearRelations, protect, round_to_base, suppress, table_specs

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


# --- protect: relations beyond one table, the linear-programming audit, the rounding discipline ---------


def _relations(*tables: tuple[list[int], int]) -> LinearRelations:
    """One relation per (parts, total) over family 0."""
    rel, cell, coef = [], [], []
    for r, (parts, total) in enumerate(tables):
        for c in [*parts, total]:
            rel.append(r)
            cell.append(c)
            coef.append(-1.0 if c == total else 1.0)
    return LinearRelations.of(rel, cell, [0] * len(rel), coef)


def _max_of(values: list[float], withheld: list[bool], tables: list[tuple[list[int], int]], cell: int) -> float:
    """The largest value of ``cell`` a reader can reach (an independent check with scipy)."""
    from scipy.optimize import linprog

    unknown = [i for i, w in enumerate(withheld) if w]
    col = {c: k for k, c in enumerate(unknown)}
    a_eq, b_eq = [], []
    for parts, total in tables:
        row = [0.0] * len(unknown)
        rhs = 0.0
        for c in [*parts, total]:
            sign = -1.0 if c == total else 1.0
            if c in col:
                row[col[c]] += sign
            else:
                rhs -= sign * values[c]
        if any(row):
            a_eq.append(row)
            b_eq.append(rhs)
    objective = [0.0] * len(unknown)
    objective[col[cell]] = -1.0
    res = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None), method="highs")
    return float("inf") if res.status == 3 else -float(res.fun)


def test_two_small_cells_that_prove_each_other_small_get_a_third() -> None:
    # 1 + 2 + 50 = 53: withholding 1 and 2 alone leaves each at most 3, so 50 goes too.
    values = [1.0, 2.0, 50.0, 53.0]
    done = protect(np.array(values), _relations(([0, 1, 2], 3)))
    assert done.reason.tolist() == ["primary", "primary", "secondary", None]
    assert _max_of(values, done.suppressed.tolist(), [([0, 1, 2], 3)], 0) >= 5


def test_a_pooled_period_is_a_total_of_its_years() -> None:
    # 2010, 2011, 2012, 2010-12: 20 + 25 + 3 = 48.
    done = protect(np.array([20.0, 25.0, 3.0, 48.0]), _relations(([0, 1, 2], 3)))
    assert done.suppressed.tolist() == [True, False, True, False]


def test_latent_years_link_two_rolling_periods() -> None:
    # 2008 = 20 published, 2009 and 2010 never published, 2011 = 3; 2008-10 = 60 and 2009-11 = 43.
    values = np.array([20.0, np.nan, np.nan, 3.0, 60.0, 43.0])
    tables = [([0, 1, 2], 4), ([1, 2, 3], 5)]
    done = protect(values, _relations(*tables), latent=[False, True, True, False, False, False])
    assert done.reason.tolist()[3] == "primary" and done.suppressed[[0, 4, 5]].any()
    assert not done.suppressed[[1, 2]].any()  # latent cells are never reported as withheld
    withheld = (done.suppressed | np.array([False, True, True, False, False, False])).tolist()
    assert _max_of([20, 0, 0, 3, 60, 43], withheld, tables, 3) >= 5


def test_a_proportions_small_complement_is_protected_with_the_denominators() -> None:
    # FSM 37 of 40 (3 did not), non-FSM 500 of 960, all 537 of 1000: counts and denominators both add up.
    values = np.array([[37.0, 40.0], [500.0, 960.0], [537.0, 1000.0]])
    rel = LinearRelations.of([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1], [1, 1, -1, 1, 1, -1])
    done = protect(values, rel, forms=[[1, 0], [0, 1], [-1, 1]])
    assert done.reason.tolist() == ["primary", "secondary", None]


def test_known_cells_are_never_complements_and_forced_cells_stay_withheld() -> None:
    values = np.array([2.0, 30.0, 40.0, 72.0])
    tables = _relations(([0, 1, 2], 3))
    done = protect(values, tables, known=[False, True, False, False])
    assert done.reason.tolist() == ["primary", None, "secondary", None]  # 30 was published before: 40 goes
    forced = protect(values, tables, forced=[False, False, False, True])
    assert forced.reason.tolist() == ["primary", None, None, "forced"]  # the withheld total protects it
    # With every neighbour already public, nothing can protect it: said so, not hidden.
    stuck = protect(values, tables, known=[False, True, True, True])
    assert stuck.suppressed[0] and stuck.unprotected.tolist() == [True, False, False, False]


def test_thresholds_differ_by_cell_and_bad_input_is_refused() -> None:
    done = protect(np.array([6.0, 30.0, 36.0]), _relations(([0, 1], 2)), threshold=[10, 5, 5])
    assert done.reason.tolist() == ["primary", "secondary", None]
    with pytest.raises(ValueError, match="threshold"):
        protect(np.array([1.0]), LinearRelations.empty(), threshold=0)
    with pytest.raises(ValueError, match="out of range"):
        protect(np.array([1.0]), LinearRelations.of([0], [3], [0], [1.0]))
    with pytest.raises(ValueError, match="same length"):
        LinearRelations.of([0, 0], [0], [0], [1.0])


def test_rounding_to_five_withholds_one_to_seven() -> None:
    rounded, withheld = round_to_base([0, 1, 7, 8, 12, 13, 52.5, np.nan], base=5, withhold_up_to=7)
    assert withheld.tolist() == [False, True, True, False, False, False, False, False]
    assert [None if np.isnan(v) else v for v in rounded.tolist()] == [0, None, None, 10, 10, 15, 55, None]
    with pytest.raises(ValueError, match="base"):
        round_to_base([1], base=0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_values, min_size=3, max_size=3), min_size=2, max_size=4))
def test_random_years_and_pooled_periods_never_prove_a_small_count_small(years: list[list[int]]) -> None:
    """Districts x (three years + their pooled period) + the county: no small count can be proved small."""
    n_d = len(years)
    values: list[float] = []
    index: dict[tuple[int, int], int] = {}
    grid = [[*y, sum(y)] for y in years]
    grid.append([sum(g[j] for g in grid) for j in range(4)])
    for d, row in enumerate(grid):
        for p, x in enumerate(row):
            index[(d, p)] = len(values)
            values.append(float(x))
    tables = [([index[(d, p)] for p in range(3)], index[(d, 3)]) for d in range(n_d + 1)]
    tables += [([index[(d, p)] for d in range(n_d)], index[(n_d, p)]) for p in range(4)]
    done = protect(np.array(values), _relations(*tables))
    for i, x in enumerate(values):
        if 1 <= x <= 4:
            assert done.suppressed[i]
            assert _max_of(values, done.suppressed.tolist(), tables, i) >= 5, (i, x)
