"""Impact kernels on constructed numbers whose answers are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gapwatch.stats.gaps import gap_statistics
from gapwatch.stats.impact import (
    difference_in_differences,
    nearest_neighbours,
    segmented_regression,
    slope_difference,
    standardised_mean_difference,
)


def test_did_of_proportions_matches_the_delta_method_by_hand() -> None:
    # treated 20% -> 25%, comparison 20% -> 21%, 10,000 in each cell: DiD = 4 points.
    out = difference_in_differences(2000, 10000, 2500, 10000, 2000, 10000, 2100, 10000, multiplier=100)
    se = math.sqrt(2 * 0.2 * 0.8 / 1e4 + 0.25 * 0.75 / 1e4 + 0.21 * 0.79 / 1e4) * 100
    assert out["did"][()] == pytest.approx(4.0)
    assert out["did_se"][()] == pytest.approx(se)
    assert out["did_lower"][()] == pytest.approx(4.0 - 1.959964 * se, abs=1e-4)
    assert out["did_upper"][()] == pytest.approx(4.0 + 1.959964 * se, abs=1e-4)
    assert out["p_value"][()] < 1e-5


def test_did_is_vectorised_and_rates_use_poisson_variances() -> None:
    out = difference_in_differences(
        [100, 50],
        [1e5, 1e5],
        [80, 50],
        [1e5, 1e5],
        [100, 50],
        [1e5, 1e5],
        [100, 50],
        [1e5, 1e5],
        measure="rate",
        multiplier=1e5,
    )
    assert out["did"] == pytest.approx([-20.0, 0.0])
    assert out["did_se"][0] == pytest.approx(math.sqrt(100 + 80 + 100 + 100))
    assert out["did_lower"][1] < 0 < out["did_upper"][1]


def test_slope_difference_finds_diverging_and_parallel_trends() -> None:
    t = np.arange(5.0)
    var = np.full(5, 1e-6)
    diverging = slope_difference(t, 0.2 + 0.02 * t, var, 0.2 + 0 * t, var)
    assert diverging["slope"] == pytest.approx(0.02)
    assert diverging["p_value"] < 0.001
    parallel = slope_difference(t, 0.3 + 0.01 * t, var, 0.2 + 0.01 * t, var)
    assert parallel["slope"] == pytest.approx(0.0, abs=1e-12)
    assert parallel["lower"] < 0 < parallel["upper"]


def test_slope_difference_with_two_points_says_how_many() -> None:
    out = slope_difference([0, 1], [0.1, 0.2], [1e-4, 1e-4], [0.1, 0.1], [1e-4, 1e-4])
    assert out["periods"] == 2 and math.isnan(out["slope"])


def test_segmented_regression_recovers_a_step_and_a_slope_change() -> None:
    t = np.arange(10.0)
    y = 10 + 0.5 * t + np.where(t >= 5, 3 + 1.0 * (t - 5), 0)
    out = segmented_regression(t, y, np.full(10, 0.01), 5.0)
    assert out["level_change"] == pytest.approx(3.0)
    assert out["slope_change"] == pytest.approx(1.0)
    assert out["pre_slope"] == pytest.approx(0.5)
    assert out["before"] == 5 and out["after"] == 5


def test_segmented_regression_needs_periods_each_side() -> None:
    out = segmented_regression(np.arange(4.0), np.arange(4.0), np.ones(4), 2.0)
    assert math.isnan(out["level_change"]) and out["before"] == 2


def test_risk_ratio_of_1_29_with_katz_interval() -> None:
    # "a 29% higher chance of exiting benefit dependency": 12.9% against 10.0%.
    out = gap_statistics([1290], [10000], [1000], [10000], measure="proportion")
    se = math.sqrt(1 / 1290 - 1 / 10000 + 1 / 1000 - 1 / 10000)
    assert out["ratio"][0] == pytest.approx(1.29)
    assert out["ratio_lower"][0] == pytest.approx(1.29 * math.exp(-1.959964 * se), rel=1e-6)
    assert out["ratio_upper"][0] == pytest.approx(1.29 * math.exp(1.959964 * se), rel=1e-6)
    assert out["ratio_lower"][0] == pytest.approx(1.193, abs=1e-3)
    assert out["ratio_upper"][0] == pytest.approx(1.394, abs=1e-3)


def test_nearest_neighbours_picks_the_closest_without_replacement() -> None:
    treated = [[40.0, 20.0], [38.0, 21.0]]
    candidates = [[10.0, 10.0], [39.0, 20.5], [41.0, 19.0], [37.0, 21.5], [12.0, 30.0]]
    chosen = nearest_neighbours(treated, candidates, 3)
    assert sorted(chosen.tolist()) == [1, 2, 3]
    assert len(set(chosen.tolist())) == 3


def test_nearest_neighbours_skips_candidates_with_missing_covariates() -> None:
    chosen = nearest_neighbours([[1.0]], [[np.nan], [5.0], [1.1]], 5)
    assert chosen.tolist() == [2, 1]


def test_standardised_mean_difference() -> None:
    assert standardised_mean_difference([1, 2, 3], [1, 2, 3]) == 0.0
    assert standardised_mean_difference([2, 3, 4], [1, 2, 3]) == pytest.approx(1.0)
