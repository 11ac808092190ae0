"""Property-based checks of the comparative statistics (Hypothesis).

* gaps are antisymmetric: swapping subject and comparator negates the difference, inverts the ratio and
  swaps the limits;
* the SII of a perfectly flat gradient is 0 (RII 1);
* the vectorised functions equal plain row-at-a-time implementations written here from the formulas.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from gapwatch.stats.gaps import Measure, area_vs_rest, gap_statistics, group_gap
from gapwatch.stats.inequality import sii
from gapwatch.stats.trends import recent_trend

Z95 = float(sps.norm.ppf(0.975))


@st.composite
def proportion_pairs(draw: st.DrawFn) -> tuple[int, int, int, int]:
    n1 = draw(st.integers(1, 5000))
    n2 = draw(st.integers(1, 5000))
    return draw(st.integers(1, n1)), n1, draw(st.integers(1, n2)), n2


@st.composite
def rate_pairs(draw: st.DrawFn) -> tuple[int, int, int, int]:
    return (
        draw(st.integers(1, 400)),
        draw(st.integers(100, 10**6)),
        draw(st.integers(1, 400)),
        draw(st.integers(100, 10**6)),
    )


def _swap_check(rows: list[tuple[int, int, int, int]], measure: Measure) -> None:
    data = pl.DataFrame(
        {
            "g": [i for i in range(len(rows)) for _ in (0, 1)],
            "cat": ["a", "b"] * len(rows),
            "x": [v for r in rows for v in (r[0], r[2])],
            "n": [v for r in rows for v in (r[1], r[3])],
        }
    )
    ab = group_gap(
        data,
        category_col="cat",
        subject="a",
        comparator="b",
        x="x",
        n="n",
        group_by="g",
        measure=measure,
        confidence=[0.95, 0.998],
    )
    ba = group_gap(
        data,
        category_col="cat",
        subject="b",
        comparator="a",
        x="x",
        n="n",
        group_by="g",
        measure=measure,
        confidence=[0.95, 0.998],
    )
    np.testing.assert_allclose(ab["gap"].to_numpy(), -ba["gap"].to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ab["ratio"].to_numpy(), 1 / ba["ratio"].to_numpy(), rtol=1e-9)
    for level in ("95_0", "99_8"):
        np.testing.assert_allclose(
            ab[f"gap_lower{level}cl"].to_numpy(), -ba[f"gap_upper{level}cl"].to_numpy(), rtol=1e-9, atol=1e-9
        )
        np.testing.assert_allclose(
            ab[f"gap_upper{level}cl"].to_numpy(), -ba[f"gap_lower{level}cl"].to_numpy(), rtol=1e-9, atol=1e-9
        )
        np.testing.assert_allclose(
            ab[f"ratio_lower{level}cl"].to_numpy(), 1 / ba[f"ratio_upper{level}cl"].to_numpy(), rtol=1e-7
        )
    flipped = {"higher": "lower", "lower": "higher", "not significant": "not significant"}
    assert [flipped[s] for s in ab["significance"]] == ba["significance"].to_list()


@settings(max_examples=60, deadline=None)
@given(st.lists(proportion_pairs(), min_size=1, max_size=20))
def test_proportion_gaps_are_antisymmetric(rows: list[tuple[int, int, int, int]]) -> None:
    _swap_check(rows, "proportion")


@settings(max_examples=60, deadline=None)
@given(st.lists(rate_pairs(), min_size=1, max_size=20))
def test_rate_gaps_are_antisymmetric(rows: list[tuple[int, int, int, int]]) -> None:
    _swap_check(rows, "rate")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(100, 100_000), min_size=5, max_size=10),
    st.floats(0.05, 0.95),
    st.sampled_from([0, 1, 2]),
    st.booleans(),
)
def test_sii_of_a_flat_gradient_is_zero(pops: list[int], level: float, value_type: int, transform: bool) -> None:
    transform = transform and value_type > 0
    k = len(pops)
    data = pl.DataFrame({"q": list(range(1, k + 1)), "pop": pops, "v": [level] * k, "se": [0.01] * k})
    got = sii(
        data,
        quantile_col="q",
        population="pop",
        value="v",
        se="se",
        value_type=value_type,
        transform=transform,
        rii=True,
        repetitions=1000,
        seed=0,
        confidence=0.95,
    )
    row = got.row(0, named=True)
    assert abs(row["sii"]) < 1e-9
    assert abs(row["rii"] - 1) < 1e-9
    assert row["sii_lowercl"] < 0 < row["sii_uppercl"]


# --- vectorised == row at a time -------------------------------------------------------------------


def _wilson(x: float, n: float) -> tuple[float, float]:
    p = x / n
    centre = (2 * x + Z95**2) / (2 * (n + Z95**2))
    half = Z95 * math.sqrt(Z95**2 + 4 * x * (1 - p)) / (2 * (n + Z95**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def _newcombe_katz_row(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float, float, float, float]:
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(x1, n1)
    l2, u2 = _wilson(x2, n2)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    rr = p1 / p2
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return d, lower, upper, rr, rr * math.exp(-Z95 * se), rr * math.exp(Z95 * se)


@settings(max_examples=50, deadline=None)
@given(st.lists(proportion_pairs(), min_size=1, max_size=30))
def test_proportion_gap_kernel_equals_row_at_a_time(rows: list[tuple[int, int, int, int]]) -> None:
    x1, n1, x2, n2 = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    got = gap_statistics(x1, n1, x2, n2, measure="proportion")
    expected = np.array([_newcombe_katz_row(*r) for r in rows])
    for k, key in enumerate(["gap", "gap_lower", "gap_upper", "ratio", "ratio_lower", "ratio_upper"]):
        np.testing.assert_allclose(got[key], expected[:, k], rtol=1e-9, atol=1e-12)


def _rate_ratio_row(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    rr = (x1 / n1) / (x2 / n2)
    if x1 >= 10 and x2 >= 10:
        se = math.sqrt(1 / x1 + 1 / x2)
        return rr, rr * math.exp(-Z95 * se), rr * math.exp(Z95 * se)
    ci = sps.binomtest(x1, x1 + x2).proportion_ci(confidence_level=0.95, method="exact")
    return rr, ci.low / (1 - ci.low) * n2 / n1, ci.high / (1 - ci.high) * n2 / n1


@settings(max_examples=50, deadline=None)
@given(st.lists(rate_pairs(), min_size=1, max_size=30))
def test_rate_gap_kernel_equals_row_at_a_time(rows: list[tuple[int, int, int, int]]) -> None:
    x1, n1, x2, n2 = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    got = gap_statistics(x1, n1, x2, n2, measure="rate", multiplier=1000)
    expected = np.array([_rate_ratio_row(*r) for r in rows])
    np.testing.assert_allclose(got["ratio"], expected[:, 0], rtol=1e-9)
    np.testing.assert_allclose(got["ratio_lower"], expected[:, 1], rtol=1e-7)
    np.testing.assert_allclose(got["ratio_upper"], expected[:, 2], rtol=1e-7)
    diff = [(a / b - c / d) * 1000 for a, b, c, d in rows]
    half = [Z95 * math.sqrt(a / b**2 + c / d**2) * 1000 for a, b, c, d in rows]
    np.testing.assert_allclose(got["gap_lower"], np.subtract(diff, half), rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(10, 50_000), min_size=5, max_size=5),
            st.lists(st.floats(1.0, 100.0), min_size=5, max_size=5),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_sii_point_estimates_equal_per_group_weighted_fit(
    groups: list[tuple[list[int], list[float]]],
) -> None:
    data = pl.DataFrame(
        {
            "area": [g for g, _ in enumerate(groups) for _ in range(5)],
            "q": [q for _ in groups for q in range(1, 6)],
            "pop": [p for pops, _ in groups for p in pops],
            "v": [v for _, values in groups for v in values],
            "se": [1.0] * (5 * len(groups)),
        }
    )
    got = sii(
        data,
        quantile_col="q",
        population="pop",
        value="v",
        se="se",
        group_by="area",
        rii=True,
        intercept=True,
        repetitions=1000,
        seed=1,
    )
    for g, (pops, values) in enumerate(groups):
        share = np.array(pops, dtype=float) / sum(pops)
        rank = np.cumsum(share) - share / 2
        slope, intercept = np.polyfit(rank, values, 1, w=np.sqrt(share))
        row = got.row(g, named=True)
        assert math.isclose(row["sii"], slope, rel_tol=1e-8, abs_tol=1e-8)
        assert math.isclose(row["intercept"], intercept, rel_tol=1e-8, abs_tol=1e-8)
        assert math.isclose(row["rii"], (intercept + slope) / intercept, rel_tol=1e-8)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(1, 199), st.integers(200, 2000)), min_size=3, max_size=8),
        min_size=1,
        max_size=10,
    )
)
def test_recent_trend_equals_per_series_loop(series: list[list[tuple[int, int]]]) -> None:
    data = pl.DataFrame(
        {
            "s": [i for i, pts in enumerate(series) for _ in pts],
            "year": [2000 + t for pts in series for t in range(len(pts))],
            "x": [x for pts in series for x, _ in pts],
            "n": [n for pts in series for _, n in pts],
        }
    )
    got = recent_trend(data, period_order_col="year", x="x", n="n", group_by="s")
    for i, pts in enumerate(series):
        row = got.row(i, named=True)
        if len(pts) < 5:
            assert row["trend"] == "could not be calculated"
            continue
        last = pts[-5:]
        t = np.arange(len(pts) - 5, len(pts), dtype=float) + 2000
        x = np.array([a for a, _ in last], dtype=float)
        n = np.array([b for _, b in last], dtype=float)
        p = x.sum() / n.sum()
        tbar = (n * t).sum() / n.sum()
        chi2 = ((x * t).sum() - x.sum() * tbar) ** 2 / (p * (1 - p) * ((n * t * t).sum() - n.sum() * tbar**2))
        assert math.isclose(row["trend_chi2"], chi2, rel_tol=1e-7, abs_tol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(500, 5000)), min_size=2, max_size=8), st.data())
def test_area_vs_rest_equals_summing_the_other_areas(areas: list[tuple[int, int]], data: st.DataObject) -> None:
    names = [f"a{i}" for i in range(len(areas))]
    frame = pl.DataFrame({"area": names, "x": [a for a, _ in areas], "n": [b for _, b in areas]})
    subject = data.draw(st.sampled_from(names))
    got = area_vs_rest(frame, area_col="area", subject_area=subject, x="x", n="n", members=names).row(0, named=True)
    others = [(a, b) for name, (a, b) in zip(names, areas, strict=True) if name != subject]
    assert got["comparator_x"] == sum(a for a, _ in others)
    assert got["comparator_n"] == sum(b for _, b in others)
    assert got["comparator_areas"] == len(others)
