"""Benchmark of recent trends at national scale (issue 15): the current ``recent_trend`` against its baseline.

    python bench/bench_trends.py            # full size: 990,000 series (33,000 areas × 30 indicators)
    python bench/bench_trends.py --quick    # 99,000 series (3,300 areas), a smoke run
    python bench/bench_trends.py --areas 66 --runs 1   # tiny (tests/bench/test_bench_trends_smoke.py)

The input is the table bench_stats.py generates (bench/generate.py, same seed: areas × 30 indicators × 10
periods), and the call is the one bench_stats.py times as "recent trends": ``recent_trend`` per area ×
indicator over the last 5 periods, with polarity, once for the 15 proportion indicators (chi-squared test
for trend) and once for the 15 rate indicators (Poisson score test), the two results concatenated.

Two implementations run side by side in one process on the same input, alternately (baseline, current,
baseline, ...), ``--runs`` times each (median reported, so that a burst of other work on a shared machine
hits both): the current ``gapwatch.stats.trends.recent_trend`` and the baseline, bench/_trends_baseline.py
(the module as it was at commit 1921254, before any trend speed-up; the issue's 3.7 s was measured on
it). Their outputs must be the same frame: same columns, dtypes and row order, the same verdict labels,
floats equal to 1e-12 (relative and absolute).

Target (issue 15): recent trends at least 3× faster than the baseline, with identical results. Prints the
machine and its load average before and after, the figures and PASS/FAIL; exits 0 unless ``--strict`` and
a target is missed. The figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _trends_baseline  # noqa: E402
from _timing import machine  # noqa: E402
from generate import generate  # noqa: E402

from gapwatch.stats import trends  # noqa: E402

__all__ = ["Results", "main", "run"]

#: Issue 15: at least this many times faster than the baseline.
TARGET_SPEEDUP = 3.0
#: Largest difference (relative and absolute) between the two outputs' floats that still counts as identical.
TOLERANCE = 1e-12
MULTIPLIERS = {"proportion": 100.0, "rate": 100_000.0}

TrendFunction = Callable[..., pl.DataFrame]


@dataclass
class Case:
    """One input table's timings (wall and process CPU seconds per run) and the comparison of the outputs."""

    name: str
    current: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    current_cpu: list[float] = field(default_factory=list)  # all threads of this process
    baseline_cpu: list[float] = field(default_factory=list)
    identical: bool = False
    difference: str = ""

    @property
    def speedup(self) -> float:
        return statistics.median(self.baseline) / statistics.median(self.current)


@dataclass
class Results:
    """What was measured, for printing and for the smoke test."""

    series: int = 0
    rows: int = 0
    generate_seconds: float = 0.0
    cases: list[Case] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)


def trends_of(function: TrendFunction, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The benchmark's call, as bench_stats.py makes it: each measure's series, concatenated."""
    out = [
        function(
            frame,
            period_order_col="period",
            x="numerator",
            n="denominator",
            measure=measure,
            group_by=["area_code", "indicator_id"],
            polarity="polarity",
            multiplier=MULTIPLIERS[measure],
        )
        for measure, frame in frames.items()
    ]
    return pl.concat(out, how="vertical_relaxed")


def _timed(function: TrendFunction, frames: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, float, float]:
    cpu = time.process_time()
    start = time.perf_counter()
    out = trends_of(function, frames)
    return out, time.perf_counter() - start, time.process_time() - cpu


def compare(current: pl.DataFrame, baseline: pl.DataFrame) -> tuple[bool, str]:
    """Whether the two outputs are the same frame (floats to ``TOLERANCE``), and the largest float difference."""
    try:
        assert_frame_equal(current, baseline, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    except AssertionError as error:
        return False, " ".join(str(error).split())[:200]
    largest = 0.0
    for name, dtype in current.schema.items():
        if dtype != pl.Float64:
            continue
        a = current.get_column(name).to_numpy()
        b = baseline.get_column(name).to_numpy()
        both = np.isfinite(a) & np.isfinite(b)
        if both.any():
            largest = max(largest, float(np.max(np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), 1.0))))
    return True, f"max difference {largest:.1e} (relative; absolute below 1)"


def _measure(case: Case, frames: dict[str, pl.DataFrame], runs: int) -> pl.DataFrame:
    """Time both implementations alternately ``runs`` times on ``frames``; compare the last outputs."""
    print(f"  {case.name}:", flush=True)
    current = baseline = pl.DataFrame()
    for i in range(runs):
        baseline, wall, cpu = _timed(_trends_baseline.recent_trend, frames)
        case.baseline.append(wall)
        case.baseline_cpu.append(cpu)
        print(f"    run {i + 1}: baseline {wall:6.2f} s wall ({cpu:5.2f} s CPU)", end="", flush=True)
        current, wall, cpu = _timed(trends.recent_trend, frames)
        case.current.append(wall)
        case.current_cpu.append(cpu)
        print(f"   current {wall:6.2f} s wall ({cpu:5.2f} s CPU)", flush=True)
    case.identical, case.difference = compare(current, baseline)
    return current


def run(n_areas: int, *, seed: int = 20_240_601, runs: int = 3, shuffled: bool = True, warmup: bool = True) -> Results:
    """Generate the table, time both implementations on it (and on its rows shuffled), compare the outputs."""
    results = Results()
    print(f"Machine: {_machine()}", flush=True)
    print(f"Generating {n_areas:,} areas × 30 indicators × 10 periods (seed {seed}) …", flush=True)
    start = time.perf_counter()
    obs = generate(n_areas, seed=seed).observations
    results.generate_seconds = time.perf_counter() - start
    frames = {measure: obs.filter(pl.col("indicator_type") == measure) for measure in MULTIPLIERS}
    del obs
    results.rows = sum(frame.height for frame in frames.values())
    print(f"  {results.rows:,} rows in {results.generate_seconds:.1f} s", flush=True)
    if warmup:  # one untimed run of each, so that neither pays for the process's first allocations
        trends_of(_trends_baseline.recent_trend, frames)
        trends_of(trends.recent_trend, frames)
    print(f"recent_trend, baseline (1921254) and current, alternately, {runs} runs each:", flush=True)
    generated = Case("as generated (sorted by indicator, period, area)")
    results.cases.append(generated)
    current = _measure(generated, frames, runs)
    results.series = current.height
    counts = current.group_by("trend").len().sort("trend")
    results.verdicts = dict(zip(counts.get_column("trend").to_list(), counts.get_column("len").to_list(), strict=True))
    if shuffled:
        mixed = {m: frame.sample(fraction=1.0, shuffle=True, seed=seed) for m, frame in frames.items()}
        del frames
        results.cases.append(Case("rows shuffled"))
        _measure(results.cases[-1], mixed, runs)
    return results


def _machine() -> str:
    return machine(f"Polars {pl.__version__}", f"NumPy {np.__version__}")


def report(results: Results) -> list[tuple[str, str, bool]]:
    """Print the figures; return (target, figure, passed) rows."""
    print()
    print(f"recent trends of {results.series:,} series ({results.rows:,} rows in), median of the runs:")
    print(f"  {'table':<50}{'baseline s':>11}{'current s':>11}{'CPU s':>15}{'speed-up':>10}")
    for case in results.cases:
        cpu = f"{statistics.median(case.baseline_cpu):.2f}/{statistics.median(case.current_cpu):.2f}"
        print(
            f"  {case.name:<50}{statistics.median(case.baseline):>11.2f}{statistics.median(case.current):>11.2f}"
            f"{cpu:>15}{case.speedup:>9.2f}x"
        )
    print("  verdicts: " + ", ".join(f"{label} {count:,}" for label, count in results.verdicts.items()))
    print(f"(generating the table: {results.generate_seconds:.1f} s, not counted)")
    targets: list[tuple[str, str, bool]] = []
    for case in results.cases:
        targets.append(
            (
                f"{TARGET_SPEEDUP:g}x faster, {case.name.split(' (')[0]}",
                f"{case.speedup:.2f}x ({statistics.median(case.baseline):.2f} s -> "
                f"{statistics.median(case.current):.2f} s)",
                case.speedup >= TARGET_SPEEDUP,
            )
        )
        targets.append((f"identical results, {case.name.split(' (')[0]}", case.difference, case.identical))
    print()
    print(f"At the end: {_machine()}")
    for name, figure, passed in targets:
        print(f"{'PASS' if passed else 'FAIL':<8} {name:<36} {figure}")
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="3,300 areas (99,000 series)")
    size.add_argument("--areas", type=int, default=33_000, help="number of small areas (default 33,000)")
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each implementation (median)")
    parser.add_argument("--no-shuffled", action="store_true", help="skip the table with its rows shuffled")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed first run of each")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs: at least 1")
    n_areas = 3_300 if args.quick else args.areas
    results = run(n_areas, seed=args.seed, runs=args.runs, shuffled=not args.no_shuffled, warmup=not args.no_warmup)
    targets = report(results)
    failed = [name for name, _, passed in targets if not passed]
    return 1 if (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
