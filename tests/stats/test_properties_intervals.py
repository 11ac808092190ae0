"""Property-based checks of the interval methods (Hypothesis).

The reference implementations here work one row at a time with ``math`` and ``scipy.stats`` and are
written from the published formulas, independently of gapwatch's vectorised kernels.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from gapwatch.stats.means import mean
from gapwatch.stats.proportions import proportion
from gapwatch.stats.rates import rate
from gapwatch.stats.standardised import dsr

FAST = settings(max_examples=60, deadline=None)
LEVELS = st.sampled_from([0.8, 0.9, 0.95, 0.99, 0.998])


@st.composite
def counts_and_denominators(draw: st.DrawFn, *, allow_above: bool = False) -> tuple[list[int], list[int]]:
    size = draw(st.integers(min_value=1, max_value=12))
    n = draw(st.lists(st.integers(min_value=1, max_value=200000), min_size=size, max_size=size))
    if allow_above:
        x = draw(st.lists(st.integers(min_value=0, max_value=5000), min_size=size, max_size=size))
    else:
        x = [draw(st.integers(min_value=0, max_value=d)) for d in n]
    return x, n


# --- one-row-at-a-time references ------------------------------------------------------------------


def wilson_row(x: int, n: int, level: float) -> tuple[float, float]:
    """Wilson (1927), written out for one row."""
    z = float(sps.norm.ppf(0.5 + level / 2))
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def poisson_row(x: int, level: float) -> tuple[float, float]:
    """Exact (chi-squared) limits below 10 events, Byar's from 10, for one count."""
    alpha = 1 - level
    if x < 10:
        lower = 0.0 if x == 0 else float(sps.chi2.ppf(alpha / 2, 2 * x)) / 2
        return lower, float(sps.chi2.ppf(1 - alpha / 2, 2 * x + 2)) / 2
    z = float(sps.norm.ppf(1 - alpha / 2))
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return lower, upper


# --- properties ------------------------------------------------------------------------------------


@FAST
@given(data=counts_and_denominators(), level=LEVELS, multiplier=st.sampled_from([1, 100, 1000]))
def test_proportion_equals_row_by_row_wilson(data: tuple[list[int], list[int]], level: float, multiplier: int) -> None:
    x, n = data
    got = proportion(pl.DataFrame({"x": x, "n": n}), "x", "n", confidence=level, multiplier=multiplier)
    for i, (xi, ni) in enumerate(zip(x, n, strict=True)):
        lower, upper = wilson_row(xi, ni, level)
        assert math.isclose(got["lowercl"][i], lower * multiplier, rel_tol=1e-9, abs_tol=1e-12 * multiplier)
        assert math.isclose(got["uppercl"][i], upper * multiplier, rel_tol=1e-9, abs_tol=1e-12 * multiplier)
        # the limits contain the estimate and stay within [0, multiplier]
        assert 0 <= got["lowercl"][i] <= got["value"][i] <= got["uppercl"][i] <= multiplier * (1 + 1e-12)


@FAST
@given(data=counts_and_denominators(allow_above=True), level=LEVELS)
def test_rate_equals_row_by_row_poisson(data: tuple[list[int], list[int]], level: float) -> None:
    x, n = data
    got = rate(pl.DataFrame({"x": x, "n": n}), "x", "n", confidence=level, multiplier=1000)
    for i, (xi, ni) in enumerate(zip(x, n, strict=True)):
        lower, upper = poisson_row(xi, level)
        assert math.isclose(got["uppercl"][i], upper / ni * 1000, rel_tol=1e-9)
        if lower < 0:  # Byar's can go negative for tiny counts at high confidence: reported as missing
            assert got["lowercl"][i] is None
            continue
        assert math.isclose(got["lowercl"][i], lower / ni * 1000, rel_tol=1e-9, abs_tol=1e-12)
        assert got["lowercl"][i] <= got["value"][i] <= got["uppercl"][i]


@FAST
@given(data=counts_and_denominators(), pair=st.lists(LEVELS, min_size=2, max_size=2, unique=True))
def test_intervals_widen_with_the_confidence_level(data: tuple[list[int], list[int]], pair: list[float]) -> None:
    low, high = sorted(pair)
    frame = pl.DataFrame({"x": data[0], "n": data[1]})
    for method in (proportion, rate):
        out = method(frame, "x", "n", confidence=[low, high])
        names = [c for c in out.columns if c.startswith(("lower", "upper"))]
        lo_narrow, up_narrow, lo_wide, up_wide = (out[c].fill_null(0.0).to_numpy() for c in names)
        assert np.all(lo_wide <= lo_narrow + 1e-12)
        assert np.all(up_wide >= up_narrow - 1e-12)


@FAST
@given(
    x=st.integers(min_value=0, max_value=400),
    extra=st.integers(min_value=0, max_value=400),
    small=st.integers(min_value=1, max_value=20),
    factor=st.integers(min_value=2, max_value=50),
    level=LEVELS,
)
def test_intervals_shrink_as_the_denominator_grows(x: int, extra: int, small: int, factor: int, level: float) -> None:
    n = x + extra + 1
    frame = pl.DataFrame({"x": [x * small, x * small * factor], "n": [n * small, n * small * factor]})
    for method in (proportion, rate):
        out = method(frame, "x", "n", confidence=level)
        assert out["value"][0] == out["value"][1] or math.isclose(out["value"][0], out["value"][1])
        width = (out["uppercl"] - out["lowercl"].fill_null(0.0)).to_numpy()
        assert width[1] < width[0]


@FAST
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=False),
        min_size=2,
        max_size=30,
    ),
    level=LEVELS,
)
def test_mean_equals_scipy_t_interval(values: list[float], level: float) -> None:
    got = mean(pl.DataFrame({"v": values}), "v", confidence=level)
    centre = float(np.mean(values))
    sd = float(np.std(values, ddof=1))
    if sd == 0:
        assert math.isclose(got["lowercl"][0], centre, abs_tol=1e-6)
        return
    lower, upper = sps.t.interval(level, len(values) - 1, loc=centre, scale=sd / math.sqrt(len(values)))
    scale = max(abs(centre), sd, 1.0)
    assert math.isclose(got["lowercl"][0], lower, rel_tol=1e-7, abs_tol=1e-9 * scale)
    assert math.isclose(got["uppercl"][0], upper, rel_tol=1e-7, abs_tol=1e-9 * scale)
    assert got["lowercl"][0] <= got["value"][0] + 1e-9 * scale <= got["uppercl"][0] + 2e-9 * scale


@FAST
@given(
    bands=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=300),
            st.integers(min_value=1, max_value=50000),
            st.integers(min_value=1, max_value=9000),
        ),
        min_size=1,
        max_size=8,
    ),
    level=LEVELS,
)
def test_dsr_equals_row_by_row_dobson(bands: list[tuple[int, int, int]], level: float) -> None:
    x = [b[0] for b in bands]
    n = [b[1] for b in bands]
    w = [b[2] for b in bands]
    got = dsr(pl.DataFrame({"x": x, "n": n, "w": w}), "x", "n", stdpop="w", confidence=level)
    total = sum(x)
    if total < 10:
        assert got["value"][0] is None
        assert got["statistic"][0] == "dsr NA for total count < 10"
        return
    wsum = sum(w)
    value = sum(wi * xi / ni for wi, xi, ni in zip(w, x, n, strict=True)) / wsum
    variance = sum(wi * wi * xi / (ni * ni) for wi, xi, ni in zip(w, x, n, strict=True)) / (wsum * wsum)
    o_lower, o_upper = poisson_row(total, level) if total >= 10 else (math.nan, math.nan)
    # Dobson et al. (1991): scale the count's limits by sqrt(var(DSR) / var(O)), var(O) = O
    lower = value + math.sqrt(variance / total) * (o_lower - total)
    upper = value + math.sqrt(variance / total) * (o_upper - total)
    assert math.isclose(got["value"][0], value * 100000, rel_tol=1e-9)
    assert math.isclose(got["lowercl"][0], lower * 100000, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(got["uppercl"][0], upper * 100000, rel_tol=1e-9)
    assert got["lowercl"][0] <= got["value"][0] <= got["uppercl"][0]
