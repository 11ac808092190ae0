"""Funnel plots with overdispersion (Spiegelhalter 2005, "Handling over-dispersion of performance
indicators"): φ and τ² recovered from simulated data whose overdispersion is known, a small example worked
by hand with an independent Winsorisation, and the limits and labels that follow from them.

Winsorising has a known price, checked here rather than hidden: with no outliers, pulling in 10% at each
tail shrinks φ to the Winsorised second moment of a normal, ∫₋c^c z²φ(z)dz + 0.2c² = 0.6787 (c = 1.2816).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from gapwatch.stats.funnels import (
    HIGH_001,
    HIGH_025,
    NOT_SIGNIFICANT,
    assign_funnel_significance,
    calculate_funnel_limits,
    funnel_label,
    funnel_overdispersion,
)

Z95, Z998 = sps.norm.ppf(0.975), sps.norm.ppf(0.999)


def winsorised_normal_moment(q: float) -> float:
    c = sps.norm.ppf(1 - q)
    return (1 - 2 * q) - 2 * c * sps.norm.pdf(c) + 2 * q * c * c


def r_type7_quantile(sorted_values: list[float], q: float) -> float:
    """R's default quantile, written out: h = (n − 1)q, interpolate between the order statistics around h."""
    h = (len(sorted_values) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


# --- a small example by hand --------------------------------------------------------------------------

SMALL = pl.DataFrame(
    {
        "area": list("ABCDEFGHIJ"),
        "x": [30, 210, 95, 12, 400, 55, 180, 77, 260, 41],
        "n": [60, 300, 150, 40, 520, 70, 240, 150, 330, 90],
    }
)


def test_phi_and_tau2_worked_by_hand() -> None:
    x, n = SMALL["x"].to_list(), SMALL["n"].to_list()
    p = sum(x) / sum(n)
    s = [math.sqrt(p * (1 - p) / ni) for ni in n]
    z = [(xi / ni - p) / si for xi, ni, si in zip(x, n, s, strict=True)]
    ordered = sorted(z)
    lo, hi = r_type7_quantile(ordered, 0.1), r_type7_quantile(ordered, 0.9)
    phi = sum(min(max(zi, lo), hi) ** 2 for zi in z) / len(z)
    w = [1 / si**2 for si in s]
    tau2 = max(0.0, (len(z) * phi - (len(z) - 1)) / (sum(w) - sum(wi**2 for wi in w) / sum(w)))
    got = funnel_overdispersion(SMALL, "x", "n", statistic="proportion", winsorise=10).row(0, named=True)
    assert got["units"] == 10
    assert got["phi"] == pytest.approx(phi, rel=1e-12)
    assert got["tau2"] == pytest.approx(tau2, rel=1e-12)
    assert got["inflation"] == pytest.approx(math.sqrt(phi), rel=1e-12) and phi > 1
    plain = funnel_overdispersion(SMALL, "x", "n", statistic="proportion", winsorise=0).row(0, named=True)
    assert plain["phi"] == pytest.approx(sum(zi * zi for zi in z) / len(z), rel=1e-12)


def test_limits_and_labels_widen_by_root_phi_or_add_tau2() -> None:
    x, n = np.array(SMALL["x"].to_list(), float), np.array(SMALL["n"].to_list(), float)
    p = x.sum() / n.sum()
    d = funnel_overdispersion(SMALL, "x", "n", statistic="proportion").row(0, named=True)
    mult = calculate_funnel_limits(
        SMALL, "x", "n", statistic="proportion", multiplier=100, overdispersion="multiplicative", axis=[500, 5000]
    )
    se = np.sqrt(p * (1 - p) / np.array([500.0, 5000.0]))
    expected = 100 * (p + Z95 * math.sqrt(d["phi"]) * se)
    assert mult["upper_2s_limit"].to_numpy() == pytest.approx(expected, rel=1e-12)
    add = calculate_funnel_limits(
        SMALL, "x", "n", statistic="proportion", multiplier=100, overdispersion="additive", axis=[500, 5000]
    )
    expected = 100 * (p - Z998 * np.sqrt(se**2 + d["tau2"]))
    assert add["lower_3s_limit"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert "τ²" in add["method"][0] and "√φ" in mult["method"][0]

    labels = assign_funnel_significance(SMALL, "x", "n", statistic="proportion", overdispersion="multiplicative")
    se_own = np.sqrt(p * (1 - p) / n)
    z = (x / n - p) / se_own
    assert labels["z_score"].to_numpy() == pytest.approx(z, rel=1e-12)
    assert labels["z_adjusted"].to_numpy() == pytest.approx(z / math.sqrt(d["phi"]), rel=1e-12)
    plain = assign_funnel_significance(SMALL, "x", "n", statistic="proportion")
    assert (plain["significance"] != NOT_SIGNIFICANT).sum() > (labels["significance"] != NOT_SIGNIFICANT).sum()


def test_no_narrowing_when_phi_is_below_one() -> None:
    # Areas closer together than chance: φ < 1, and the multiplicative limits stay the ordinary ones.
    frame = pl.DataFrame({"x": [50, 101, 149, 200, 251], "n": [100, 200, 300, 400, 500]})
    assert funnel_overdispersion(frame, "x", "n", statistic="proportion", winsorise=0)["phi"][0] < 1
    ordinary = calculate_funnel_limits(frame, "x", "n", statistic="proportion")
    widened = calculate_funnel_limits(frame, "x", "n", statistic="proportion", overdispersion="multiplicative")
    for column in ("lower_2s_limit", "upper_2s_limit", "lower_3s_limit", "upper_3s_limit"):
        assert widened[column].to_list() == pytest.approx(ordinary[column].to_list(), rel=1e-12)
    assert "not widened" in widened["method"][0]


# --- known overdispersion, simulated ------------------------------------------------------------------


def test_known_phi_is_recovered_from_beta_binomial_counts() -> None:
    # Beta-binomial with intra-class correlation rho and equal n: var = p(1-p)/n × (1 + (n-1)rho), so φ is known.
    rng = np.random.default_rng(20050901)
    units, n, rho, theta = 3000, 500, 0.004, 0.3
    a, b = theta * (1 - rho) / rho, (1 - theta) * (1 - rho) / rho
    x = rng.binomial(n, rng.beta(a, b, units))
    frame = pl.DataFrame({"x": x, "n": np.full(units, n)})
    phi = 1 + (n - 1) * rho  # 2.996
    raw = funnel_overdispersion(frame, "x", "n", statistic="proportion", winsorise=0)["phi"][0]
    assert raw == pytest.approx(phi, rel=0.08)
    winsorised = funnel_overdispersion(frame, "x", "n", statistic="proportion", winsorise=10)["phi"][0]
    assert winsorised == pytest.approx(phi * winsorised_normal_moment(0.1), rel=0.08)  # about 0.68 φ
    null = pl.DataFrame({"x": rng.binomial(n, theta, units), "n": np.full(units, n)})
    assert funnel_overdispersion(null, "x", "n", statistic="proportion", winsorise=0)["phi"][0] == pytest.approx(
        1.0, abs=0.08
    )


def test_known_tau2_is_recovered_for_proportions() -> None:
    rng = np.random.default_rng(1986)  # DerSimonian & Laird
    units, tau = 3000, 0.03
    n = rng.integers(200, 5000, units)
    x = rng.binomial(n, 0.3 + rng.normal(0, tau, units))
    frame = pl.DataFrame({"x": x, "n": n})
    got = funnel_overdispersion(frame, "x", "n", statistic="proportion", winsorise=0)["tau2"][0]
    assert got == pytest.approx(tau * tau, rel=0.15)


def test_known_tau2_is_recovered_for_ratios_on_the_square_root_scale() -> None:
    rng = np.random.default_rng(2005)
    units, tau = 2000, 0.05
    expected = rng.uniform(50, 2000, units)
    root = 1 + rng.normal(0, tau, units)  # √(true ratio) ~ N(1, τ²)
    observed = rng.poisson(expected * root**2)
    frame = pl.DataFrame({"o": observed, "e": expected})
    got = funnel_overdispersion(frame, "o", "e", statistic="ratio", winsorise=0)
    assert got["tau2"][0] == pytest.approx(tau * tau, rel=0.15)
    assert got["scale"][0] == "square root of observed / expected"


def test_winsorising_shields_phi_from_a_few_gross_outliers() -> None:
    rng = np.random.default_rng(7)
    n = np.full(400, 1000)
    x = rng.binomial(n, 0.2)
    x[:8] = 600  # eight areas far off
    frame = pl.DataFrame({"x": x, "n": n})
    raw = funnel_overdispersion(frame, "x", "n", statistic="proportion", winsorise=0)["phi"][0]
    kept = funnel_overdispersion(frame, "x", "n", statistic="proportion", winsorise=10)["phi"][0]
    assert raw > 15 and kept < 1.5


# --- ratios and rates -----------------------------------------------------------------------------------


def test_ratio_limits_on_the_square_root_scale() -> None:
    frame = pl.DataFrame({"o": [120, 80, 45, 300, 150, 60, 20], "e": [100.0, 100, 50, 250, 160, 40, 30]})
    d = funnel_overdispersion(frame, "o", "e", statistic="ratio").row(0, named=True)
    table = calculate_funnel_limits(
        frame, "o", "e", statistic="ratio", ratio_type="isr", overdispersion="additive", axis=[25, 400]
    )
    e = np.array([25.0, 400.0])
    sd = np.sqrt(1 / (4 * e) + d["tau2"])
    assert table.columns[0] == "expected_events"
    assert table["upper_3s_limit"].to_numpy() == pytest.approx(100 * (1 + Z998 * sd) ** 2, rel=1e-12)
    assert table["lower_2s_limit"].to_numpy() == pytest.approx(100 * (1 - Z95 * sd) ** 2, rel=1e-12)
    labels = assign_funnel_significance(frame, "o", "e", statistic="ratio", overdispersion="additive")
    z = 2 * (np.sqrt(frame["o"].to_numpy()) - np.sqrt(frame["e"].to_numpy()))  # Spiegelhalter's z for counts
    assert labels["z_score"].to_numpy() == pytest.approx(z, rel=1e-12)


def test_rate_limits_with_overdispersion_run_along_the_population() -> None:
    frame = pl.DataFrame({"ev": [30, 55, 12, 80, 41], "pop": [10_000, 12_000, 9_000, 15_000, 20_000]})
    frame = frame.with_columns(rate=pl.col("ev") / pl.col("pop") * 100_000)
    table = calculate_funnel_limits(
        frame, "ev", "pop", statistic="rate", rate="rate", rate_type="crude", multiplier=100_000, years_of_data=1,
        overdispersion="multiplicative", axis=[10_000],
    )  # fmt: skip
    r = frame["ev"].sum() / frame["pop"].sum()
    phi = funnel_overdispersion(
        frame, "ev", "pop", statistic="rate", rate="rate", rate_type="crude", multiplier=100_000
    )["phi"][0]
    sd = math.sqrt(max(phi, 1)) / (2 * math.sqrt(10_000 * r))
    assert table["upper_2s_limit"][0] == pytest.approx(r * 100_000 * (1 + Z95 * sd) ** 2, rel=1e-12)
    assert table["baseline"][0] == pytest.approx(r * 100_000)


# --- levels, labels, checks ----------------------------------------------------------------------------


def test_configurable_levels_name_their_columns_and_labels() -> None:
    table = calculate_funnel_limits(SMALL, "x", "n", statistic="proportion", confidence=[90, 99])
    assert {"lower_90_0_limit", "upper_99_0_limit"} <= set(table.columns)
    labels = assign_funnel_significance(SMALL, "x", "n", statistic="proportion", confidence=[0.9, 0.99])
    assert set(labels["significance"]) <= {"High (0.05)", "Low (0.05)", "High (0.005)", "Low (0.005)", NOT_SIGNIFICANT}
    assert funnel_label("High", 0.95) == HIGH_025 and funnel_label("High", 0.998) == HIGH_001


def test_overdispersion_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="overdispersion"):
        assign_funnel_significance(SMALL, "x", "n", statistic="proportion", overdispersion="lots")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="winsorise"):
        funnel_overdispersion(SMALL, "x", "n", statistic="proportion", winsorise=50)
    with pytest.raises(ValueError, match="at least 2 areas"):
        funnel_overdispersion(SMALL.head(1), "x", "n", statistic="proportion")
    infinite = SMALL.with_columns(pl.col("n").cast(pl.Float64)).with_columns(
        pl.when(pl.col("area") == "C").then(float("inf")).otherwise(pl.col("n")).alias("n")
    )
    with pytest.raises(ValueError, match=r"column 'n': infinite values in rows 2"):
        assign_funnel_significance(infinite, "x", "n", statistic="proportion")
