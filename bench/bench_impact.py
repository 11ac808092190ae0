"""Benchmark of an initiative's impact against matched comparison areas at national scale.

    python bench/bench_impact.py                 # 32,844 LSOAs x 10 periods, median of 5 runs
    python bench/bench_impact.py --lsoas 2000    # a smoke run (tests/bench/test_bench_impact_smoke.py)

The data are generated from one seeded NumPy generator (no files, no network): 32,844 LSOA-like small areas
(England's 2011 LSOAs number 32,844), each with an IMD-like deprivation score, a population of 1,000-2,000 and ten
yearly periods (2014/15 … 2023/24) of a proportion (say, residents exiting benefit dependency) that falls with
deprivation and drifts over time — 328,440 rows with ``count`` and ``denominator``. An initiative starts on
1 April 2019 in 60 of the most deprived areas and raises their proportion by a true 3 percentage points.

Timed, as ``gapwatch initiative impact … --matched 300`` runs it once the rows are read (the steps of
:func:`gapwatch.services.initiatives.impact_of` after the database):

1. every area's baseline level before the start (:func:`gapwatch.analysis.impact.baseline_levels`);
2. 300 comparison areas matched on deprivation and baseline from the other 32,784
   (:func:`gapwatch.analysis.impact.match_comparison`), with their balance;
3. the judgement (:func:`gapwatch.analysis.impact.initiative_impact`): before/after, difference in differences
   with its interval, the parallel-trends check, the risk ratio and the interrupted time series.

Target: the three steps together under 2 s (median of the runs). The script also checks the answer: the true
effect lies inside the difference-in-differences interval, the verdict is "improved" and matching is balanced
(|SMD| < 0.25) on deprivation. Prints the figures and PASS/FAIL; exits 0 unless ``--strict`` and a check fails.
The figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gapwatch.analysis.impact import ImpactResult, Matching, baseline_levels, initiative_impact, match_comparison

__all__ = ["TARGET_SECONDS", "generate", "main", "run_once"]

TARGET_SECONDS = 2.0
LSOAS = 32_844
PERIODS = 10
START = date(2019, 4, 1)
EFFECT = 0.03  # the true effect: +3 percentage points
TREATED = 60
MATCHED = 300


def generate(n_lsoas: int = LSOAS, seed: int = 20240601) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Observation rows (area, period, period_end, count, denominator), deprivation per area, treated areas."""
    rng = np.random.default_rng(seed)
    areas = np.array([f"E01{i:06d}" for i in range(1, n_lsoas + 1)])
    score = rng.gamma(2.0, 10.0, n_lsoas)  # IMD-like: skewed, 0 to about 90
    area_effect = rng.normal(0, 0.01, n_lsoas)
    most_deprived = np.argsort(-score)[: max(TREATED * 5, 1)]
    treated_idx = rng.choice(most_deprived, size=min(TREATED, most_deprived.size), replace=False)
    is_treated = np.zeros(n_lsoas, dtype=bool)
    is_treated[treated_idx] = True
    years = np.arange(2015, 2015 + PERIODS)  # financial years ending 31 March
    a = np.repeat(np.arange(n_lsoas), PERIODS)
    y = np.tile(years, n_lsoas)
    n = rng.integers(1_000, 2_000, n_lsoas)[a]
    p = 0.30 - 0.002 * score[a] + area_effect[a] + 0.002 * (y - 2015)
    after = y >= 2020  # the period 2019/20 ends 31 March 2020, on or after the start
    p = np.clip(p + EFFECT * (is_treated[a] & after), 0.01, 0.99)
    count = rng.binomial(n, p)
    rows = pl.DataFrame(
        {
            "area": areas[a],
            "period": [f"{v - 1}/{str(v)[2:]}" for v in y.tolist()],
            "period_end": [date(int(v), 3, 31) for v in y.tolist()],
            "count": count.astype(np.float64),
            "denominator": n.astype(np.float64),
        }
    )
    deprivation = pl.DataFrame({"area": areas, "deprivation": score})
    return rows, deprivation, areas[treated_idx].tolist()


def run_once(
    rows: pl.DataFrame, deprivation: pl.DataFrame, treated: list[str], matched: int = MATCHED
) -> tuple[float, Matching, ImpactResult]:
    """One timed run of the three steps; returns the seconds taken, the matching and the result."""
    t0 = time.perf_counter()
    baseline = baseline_levels(rows, START)
    covariates = deprivation.join(baseline, on="area", how="left")
    chosen = set(treated)
    candidates = [a for a in covariates.get_column("area").to_list() if a not in chosen]
    matching = match_comparison(covariates, treated=treated, candidates=candidates, n=matched)
    result = initiative_impact(
        rows,
        treated=treated,
        comparison=matching.chosen,
        start=START,
        measure="proportion",
        multiplier=100.0,
        polarity="higher_is_better",
        initiative="bench",
        indicator="exit-rate",
        matching=matching,
    )
    return time.perf_counter() - t0, matching, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lsoas", type=int, default=LSOAS, help="small areas (default 32,844)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--matched", type=int, default=MATCHED, help="comparison areas to match")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a check fails")
    args = parser.parse_args(argv)

    g0 = time.perf_counter()
    rows, deprivation, treated = generate(args.lsoas)
    generated = time.perf_counter() - g0
    print(f"gapwatch impact benchmark — {platform.python_version()}, {os.cpu_count()} CPUs, polars {pl.__version__}")
    print(f"data: {args.lsoas:,} areas x {PERIODS} periods = {rows.height:,} rows (generated in {generated:.2f} s)")
    print(f"initiative: {len(treated)} areas, start {START}, true effect +{EFFECT * 100:g} points")
    times: list[float] = []
    matching: Matching | None = None
    result: ImpactResult | None = None
    for _ in range(max(args.runs, 1)):
        seconds, matching, result = run_once(rows, deprivation, treated, args.matched)
        times.append(seconds)
    assert matching is not None and result is not None
    median = statistics.median(times)
    print(f"runs: {', '.join(f'{t:.3f}' for t in times)} s; median {median:.3f} s, best {min(times):.3f} s")
    did = result.did
    assert did is not None
    print(f"matched: {len(matching.chosen)} comparison areas on {', '.join(matching.covariates)}")
    for b in matching.balance:
        smd = "—" if b.smd is None else f"{b.smd:+.3f}"
        print(
            f"  balance {b.covariate}: initiative {b.treated_mean:.2f}, comparison {b.comparison_mean:.2f}, SMD {smd}"
        )
    print(f"difference in differences: {did.value:+.2f} points (95% CI {did.lower:+.2f} to {did.upper:+.2f})")
    print(f"pre-trends: {result.pre_trends.check.value}; verdict: {result.verdict.value}")
    if result.relative_chance:
        rc = result.relative_chance
        print(f"relative chance after: {rc.ratio:.3f} ({rc.lower:.3f} to {rc.upper:.3f})")
    dep = next((b for b in matching.balance if b.covariate == "deprivation"), None)
    checks = {
        f"median < {TARGET_SECONDS:g} s": median < TARGET_SECONDS,
        "true effect inside the DiD interval": did.lower <= EFFECT * 100 <= did.upper,
        "verdict improved": result.verdict.value == "improved",
        "balanced on deprivation (|SMD| < 0.25)": bool(dep and dep.balanced),
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL':<5} {name}")
    return 1 if args.strict and not all(checks.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
