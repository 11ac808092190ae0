"""Benchmark of ``gapwatch.stats`` on a national-scale table (issue 4).

    python bench/bench_stats.py            # full size: ~10 million rows, with the peer if its venv exists
    python bench/bench_stats.py --quick    # ~1 million rows, a smoke run
    python bench/bench_stats.py --areas 66 --no-peer   # tiny (the test suite's smoke test)

Builds a seeded table (bench/generate.py: ~33,000 LSOA-like areas × 30 indicators × 10 periods, plus
FSM-style group rows), then times each statistics step of gapwatch on it, the whole run's peak memory,
each interval kernel against a bare NumPy expression of the same formula, and gapwatch against DHSC's
PHStatsMethods (the "peer", GPL-3) run in a subprocess from its own virtualenv (``make bench-peer-env``),
whose numbers it also compares. Prints a table of figures and PASS/FAIL per target; exits 0 (use
``--strict`` to exit 1 when a target fails). The figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy import special

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import machine, run_peer  # noqa: E402
from generate import Tables, generate  # noqa: E402

from gapwatch.stats.comparison import compare_to_benchmark  # noqa: E402
from gapwatch.stats.gaps import area_vs_rest, deprived_vs_rest, group_gap  # noqa: E402
from gapwatch.stats.inequality import sii  # noqa: E402
from gapwatch.stats.proportions import proportion, wilson_limits  # noqa: E402
from gapwatch.stats.rates import byars_limits, rate  # noqa: E402
from gapwatch.stats.trends import gap_trend, recent_trend  # noqa: E402

__all__ = ["Results", "main", "run"]

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_PEER_PYTHON = BENCH_DIR / ".venv-peer" / "bin" / "python"
CONFIDENCE = [0.95, 0.998]
KEYS = ["indicator_id", "period"]

# Targets of issue 4.
TARGET_SECONDS = 20.0
TARGET_MEMORY_GB = 4.0
TARGET_PEER_RATIO = 300.0
TARGET_KERNEL_RATIO = 3.0
#: Largest relative difference from the peer that still counts as agreement (both compute in float64).
TARGET_PEER_REL_DIFF = 1e-9


@dataclass
class Step:
    name: str
    rows: int  # rows going in
    seconds: float
    out_rows: int = 0


@dataclass
class Results:
    """Everything measured, for printing and for the smoke test."""

    rows: int = 0
    generate_seconds: float = 0.0
    steps: list[Step] = field(default_factory=list)
    kernels: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (gapwatch s, numpy s)
    peer: dict[str, dict[str, float]] = field(default_factory=dict)  # method -> figures
    peer_note: str = ""
    peak_memory_gb: float = 0.0
    outputs: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


def _timed(results: Results, name: str, rows: int, function: Callable[[], Any]) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        # Small simulated tables give some groups no SII (a decile with no events): a warning, not a stop.
        warnings.simplefilter("always")
        start = time.perf_counter()
        out = function()
        if isinstance(out, pl.LazyFrame):
            out = out.collect()
        seconds = time.perf_counter() - start
    height = out.height if isinstance(out, pl.DataFrame) else 0
    results.steps.append(Step(name, rows, seconds, height))
    print(f"  {name:<34} {seconds:8.2f} s  ({rows:,} rows in, {height:,} out)", flush=True)
    for warning in caught:
        print(f"    warning: {warning.message}", flush=True)
    return out


# --- the gapwatch steps -----------------------------------------------------------------------------


def _gapwatch_steps(tables: Tables, results: Results, sims: int, seed: int) -> None:
    """Each step as an analyst's pipeline would run it, aggregations included; timed one by one."""
    obs = tables.observations
    props = obs.filter(pl.col("indicator_type") == "proportion")
    rates = obs.filter(pl.col("indicator_type") == "rate")
    measures: dict[str, tuple[pl.DataFrame, float, Callable[..., pl.DataFrame]]] = {
        "proportion": (props, 100.0, proportion),
        "rate": (rates, 100_000.0, rate),
    }

    values: dict[str, pl.DataFrame] = {
        "proportion": _timed(
            results,
            "proportions 95% + 99.8% (Wilson)",
            props.height,
            lambda: proportion(props, "numerator", "denominator", confidence=CONFIDENCE, multiplier=100),
        ),
        "rate": _timed(
            results,
            "rates 95% + 99.8% (exact/Byar's)",
            rates.height,
            lambda: rate(rates, "numerator", "denominator", confidence=CONFIDENCE, multiplier=100_000),
        ),
    }

    def benchmark_comparison() -> pl.DataFrame:
        # England's value per indicator-period (summed from counts), then each area against it.
        out: list[pl.DataFrame] = []
        for measure, (frame, multiplier, function) in measures.items():
            england = function(frame, "numerator", "denominator", multiplier=multiplier, group_by=KEYS)
            with_bench = values[measure].join(
                england.select(*KEYS, pl.col("value").alias("benchmark")), on=KEYS, how="left"
            )
            out.append(compare_to_benchmark(with_bench, benchmark="benchmark", polarity="polarity"))
        return pl.concat(out, how="vertical_relaxed")

    compared = _timed(results, "benchmark comparison (95%, 99.8%)", obs.height, benchmark_comparison)
    results.outputs["comparison"] = compared.select(*KEYS, "area_code", "comparison_95_0", "comparison_99_8")
    del compared
    results.outputs["proportions"] = values["proportion"].head(1000)
    values.clear()  # free the big result frames before the next steps

    groups = tables.groups
    results.outputs["fsm_gaps"] = _timed(
        results,
        "FSM vs not-FSM gaps (district)",
        groups.height,
        lambda: group_gap(
            groups,
            category_col="group",
            subject="FSM",
            comparator="Not FSM",
            x="numerator",
            n="denominator",
            group_by=["district_code", *KEYS],
            confidence=CONFIDENCE,
        ),
    )

    def district_vs_rest() -> pl.DataFrame:
        out: list[pl.DataFrame] = []
        for measure, (frame, _multiplier, _function) in measures.items():
            districts = frame.group_by("district_code", *KEYS).agg(pl.col("numerator", "denominator").sum())
            codes = districts.get_column("district_code").cast(pl.String).unique().to_list()
            out.append(
                area_vs_rest(
                    districts,
                    area_col="district_code",
                    subject_area=codes,
                    members=codes,
                    x="numerator",
                    n="denominator",
                    measure=measure,  # type: ignore[arg-type]
                    group_by=KEYS,
                    confidence=CONFIDENCE,
                )
            )
        return pl.concat(out, how="vertical_relaxed")

    results.outputs["area_vs_rest"] = _timed(results, "each district vs rest of England", obs.height, district_vs_rest)

    def most_deprived_vs_rest() -> pl.DataFrame:
        out: list[pl.DataFrame] = []
        for measure, (frame, _multiplier, _function) in measures.items():
            out.append(
                deprived_vs_rest(
                    frame,
                    quantile_col="decile",
                    x="numerator",
                    n="denominator",
                    deprived=(1,),
                    measure=measure,  # type: ignore[arg-type]
                    group_by=KEYS,
                    confidence=CONFIDENCE,
                )
            )
        return pl.concat(out, how="vertical_relaxed")

    results.outputs["deprived_vs_rest"] = _timed(
        results, "most deprived decile vs rest", obs.height, most_deprived_vs_rest
    )

    def sii_by_decile() -> pl.DataFrame:
        out: list[pl.DataFrame] = []
        for measure, (frame, multiplier, _function) in measures.items():
            deciles = frame.group_by(*KEYS, "decile").agg(pl.col("numerator", "denominator").sum())
            out.append(
                sii(
                    deciles,
                    quantile_col="decile",
                    population="denominator",
                    x="numerator",
                    value_type=2 if measure == "proportion" else 1,
                    multiplier=multiplier,
                    group_by=KEYS,
                    confidence=CONFIDENCE,
                    repetitions=sims,
                    rii=True,
                    seed=seed,
                )
            )
        return pl.concat(out, how="vertical_relaxed")

    results.outputs["sii"] = _timed(results, f"SII/RII by decile ({sims:,} sims)", obs.height, sii_by_decile)

    def trends() -> pl.DataFrame:
        out: list[pl.DataFrame] = []
        for measure, (frame, multiplier, _function) in measures.items():
            out.append(
                recent_trend(
                    frame,
                    period_order_col="period",
                    x="numerator",
                    n="denominator",
                    measure=measure,  # type: ignore[arg-type]
                    group_by=["area_code", "indicator_id"],
                    polarity="polarity",
                    multiplier=multiplier,
                )
            )
        return pl.concat(out, how="vertical_relaxed")

    results.outputs["trends"] = _timed(results, "recent trends (area × indicator)", obs.height, trends)
    fsm = results.outputs["fsm_gaps"]
    results.outputs["gap_trends"] = _timed(
        results,
        "FSM gap trends (district)",
        fsm.height,
        lambda: gap_trend(fsm, period_order_col="period", group_by=["district_code", "indicator_id"]),
    )


# --- kernels against bare NumPy ---------------------------------------------------------------------


def _z(level: float) -> float:
    return float(np.sqrt(2.0) * special.erfinv(level))


def numpy_wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score limits as one bare NumPy expression: the yardstick for the kernel."""
    z2 = z * z
    spread = z * np.sqrt(z2 + 4.0 * x * (1.0 - x / n))
    denom = 2.0 * (n + z2)
    return (2.0 * x + z2 - spread) / denom, (2.0 * x + z2 + spread) / denom


def numpy_byars(x: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Byar's limits (Breslow & Day 1987) as one bare NumPy expression: the yardstick for the kernel."""
    x1 = x + 1.0
    lower = x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * np.sqrt(x))) ** 3
    upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    return lower, upper


def _side_by_side(first: Callable[[], Any], second: Callable[[], Any], repeat: int = 7) -> tuple[float, float]:
    """Best time of each of two functions, run alternately so that both see the same machine load."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, function in enumerate((first, second)):
            start = time.perf_counter()
            function()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def _kernels(tables: Tables, results: Results) -> None:
    obs = tables.observations
    props = obs.filter(pl.col("indicator_type") == "proportion")
    x = props.get_column("numerator").cast(pl.Float64).to_numpy()
    n = props.get_column("denominator").cast(pl.Float64).to_numpy()
    counts = obs.filter((pl.col("indicator_type") == "rate") & (pl.col("numerator") > 0))
    c = counts.get_column("numerator").cast(pl.Float64).to_numpy()
    z = _z(0.95)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Same answer first (where the bare expression is defined), then the time.
        gw_l, gw_u = wilson_limits(x, n, 0.95)
        np_l, np_u = numpy_wilson(x, n, z)
        ok = n > 0
        assert np.allclose(gw_l[ok], np_l[ok], rtol=1e-12, atol=1e-15), "Wilson kernel differs"
        results.kernels["Wilson (wilson_limits)"] = _side_by_side(
            lambda: wilson_limits(x, n, 0.95), lambda: numpy_wilson(x, n, z)
        )
        gb_l, gb_u = byars_limits(c, 0.95)
        nb_l, nb_u = numpy_byars(c, z)
        assert np.allclose(gb_u, nb_u, rtol=1e-12), "Byar's kernel differs"
        results.kernels["Byar's (byars_limits)"] = _side_by_side(
            lambda: byars_limits(c, 0.95), lambda: numpy_byars(c, z)
        )
    for name, (gw, bare) in results.kernels.items():
        size = len(x) if name.startswith("Wilson") else len(c)
        print(f"  {name:<34} {gw * 1e3:8.1f} ms vs NumPy {bare * 1e3:.1f} ms on {size:,}")


# --- the peer ---------------------------------------------------------------------------------------


def _peer(tables: Tables, results: Results, peer_python: Path, peer_rows: int, seed: int) -> None:
    """Time PHStatsMethods on a random subset in its own venv, and compare its numbers with gapwatch's."""
    if not peer_python.exists():
        results.peer_note = f"not run: {peer_python} missing (make bench-peer-env)"
        print(f"  peer {results.peer_note}")
        return
    rng = np.random.default_rng(seed)
    obs = tables.observations.with_row_index("row")
    specs = {
        "proportion": (
            obs.filter(pl.col("indicator_type") == "proportion"),
            100.0,
            "proportions 95% + 99.8% (Wilson)",
            proportion,
        ),
        # The peer's byars_upper() raises on a count of 0 (it evaluates Byar's on every row before
        # choosing exact for small counts), so its rate subset keeps rows with at least one event.
        "rate": (
            obs.filter((pl.col("indicator_type") == "rate") & (pl.col("numerator") > 0)),
            100_000.0,
            "rates 95% + 99.8% (exact/Byar's)",
            rate,
        ),
    }
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-") as tmp:
        for method, (pool, multiplier, step_name, function) in specs.items():
            take = min(peer_rows, pool.height)
            subset = pool[np.sort(rng.choice(pool.height, take, replace=False))].select(
                "row", "numerator", "denominator"
            )
            src, dst = Path(tmp) / f"{method}.csv", Path(tmp) / f"{method}-out.csv"
            subset.write_csv(src)
            timing = run_peer(peer_python, method, src, dst, multiplier=int(multiplier))
            if isinstance(timing, str):
                results.peer_note = timing
                print(f"  peer {results.peer_note}")
                continue
            peer_out = pl.read_csv(dst).sort("row")
            mine = function(subset, "numerator", "denominator", confidence=CONFIDENCE, multiplier=multiplier)
            mine = mine.sort("row")
            max_abs = max_rel = 0.0
            for col in ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]:
                a = mine.get_column(col).cast(pl.Float64).to_numpy()
                b = peer_out.get_column(col).cast(pl.Float64).to_numpy()
                both = ~(np.isnan(a) | np.isnan(b))
                diff = np.abs(a[both] - b[both])
                max_abs = max(max_abs, float(diff.max(initial=0.0)))
                max_rel = max(max_rel, float((diff / np.maximum(np.abs(b[both]), 1e-300)).max(initial=0.0)))
                if (np.isnan(a) != np.isnan(b)).any():
                    max_rel = float("inf")  # one gives a number where the other gives none
            step = results.step(step_name)
            peer_per_row = timing["seconds"] / timing["rows"]
            gw_per_row = step.seconds / step.rows
            results.peer[method] = {
                "rows": float(timing["rows"]),
                "peer_seconds": timing["seconds"],
                "peer_us_per_row": peer_per_row * 1e6,
                "gapwatch_us_per_row": gw_per_row * 1e6,
                "ratio": peer_per_row / gw_per_row,
                "max_abs_diff": max_abs,
                "max_rel_diff": max_rel,
            }
            print(
                f"  peer {method:<10} {timing['seconds']:6.2f} s on {timing['rows']:,} rows "
                f"({peer_per_row * 1e6:.1f} µs/row); max |diff| {max_abs:.3g} (rel {max_rel:.3g})",
                flush=True,
            )


# --- running and reporting --------------------------------------------------------------------------


def run(
    n_areas: int,
    *,
    seed: int = 20_240_601,
    sims: int = 1000,
    peer: bool = True,
    peer_python: Path = DEFAULT_PEER_PYTHON,
    peer_rows: int = 20_000,
    kernels: bool = True,
) -> Results:
    """Generate the table and run every measurement. Returns the figures (and the step outputs)."""
    results = Results()
    print(f"Machine: {_machine()}", flush=True)
    print(f"Generating {n_areas:,} areas × 30 indicators × 10 periods (seed {seed}) …", flush=True)
    start = time.perf_counter()
    tables = generate(n_areas, seed=seed)
    results.generate_seconds = time.perf_counter() - start
    results.rows = tables.rows
    print(f"  {tables.rows:,} rows in {results.generate_seconds:.1f} s", flush=True)
    print("gapwatch.stats steps:", flush=True)
    _gapwatch_steps(tables, results, sims, seed)
    results.peak_memory_gb = _peak_memory_gb()  # before the kernel timings add their own arrays
    if kernels:
        print("Kernels against bare NumPy (best of 7, run alternately):", flush=True)
        _kernels(tables, results)
    if peer:
        print(f"Peer (PHStatsMethods, subprocess) on {peer_rows:,}-row subsets:", flush=True)
        _peer(tables, results, peer_python, peer_rows, seed)
    else:
        results.peer_note = "not run (--no-peer)"
    return results


def _machine() -> str:
    """The machine, with the versions of the libraries the statistics run on."""
    return machine(f"Polars {pl.__version__}", f"NumPy {np.__version__}")


def _peak_memory_gb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024
    return peak * scale / 1024**3


def report(results: Results) -> list[tuple[str, str, bool | None]]:
    """Print the table of figures; return (target, figure, passed) rows (None = not measured)."""
    print()
    print(f"{'step':<36}{'seconds':>9}{'rows in':>13}{'µs/row':>9}")
    for s in results.steps:
        per_row = s.seconds / s.rows * 1e6 if s.rows else float("nan")
        print(f"{s.name:<36}{s.seconds:>9.2f}{s.rows:>13,}{per_row:>9.3f}")
    print(f"{'total (gapwatch steps)':<36}{results.total_seconds:>9.2f}{results.rows:>13,}")
    print(f"(generating the table: {results.generate_seconds:.1f} s, not counted)")
    targets: list[tuple[str, str, bool | None]] = [
        (
            f"total time < {TARGET_SECONDS:g} s",
            f"{results.total_seconds:.2f} s",
            results.total_seconds < TARGET_SECONDS,
        ),
        (
            f"peak memory < {TARGET_MEMORY_GB:g} GB",
            f"{results.peak_memory_gb:.2f} GB",
            results.peak_memory_gb < TARGET_MEMORY_GB,
        ),
    ]
    for name, (gw, bare) in results.kernels.items():
        ratio = gw / bare
        targets.append((f"{name} within {TARGET_KERNEL_RATIO:g}x NumPy", f"{ratio:.2f}x", ratio <= TARGET_KERNEL_RATIO))
    for method in ("proportion", "rate"):
        figures = results.peer.get(method)
        if figures is None:
            targets.append((f"{method} >= {TARGET_PEER_RATIO:g}x peer", results.peer_note or "not run", None))
            continue
        targets.append(
            (
                f"{method} >= {TARGET_PEER_RATIO:g}x peer",
                f"{figures['ratio']:,.0f}x ({figures['peer_us_per_row']:.1f} vs "
                f"{figures['gapwatch_us_per_row']:.4f} µs/row)",
                figures["ratio"] >= TARGET_PEER_RATIO,
            )
        )
        targets.append(
            (
                f"{method} agrees with peer",
                f"max |diff| {figures['max_abs_diff']:.2g}, rel {figures['max_rel_diff']:.2g}",
                figures["max_rel_diff"] <= TARGET_PEER_REL_DIFF,
            )
        )
    print()
    print(f"peak memory (maxrss): {results.peak_memory_gb:.2f} GB; at the end: {_machine()}")
    for name, figure, passed in targets:
        verdict = "NOT RUN" if passed is None else ("PASS" if passed else "FAIL")
        print(f"{verdict:<8} {name:<42} {figure}")
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="3,300 areas (about 1 million rows)")
    size.add_argument("--areas", type=int, default=33_000, help="number of small areas (default 33,000)")
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--sims", type=int, default=1000, help="SII simulations per indicator-period")
    parser.add_argument("--no-peer", action="store_true", help="skip PHStatsMethods")
    parser.add_argument("--peer-python", type=Path, default=DEFAULT_PEER_PYTHON)
    parser.add_argument("--peer-rows", type=int, default=20_000)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    n_areas = 3_300 if args.quick else args.areas
    results = run(
        n_areas,
        seed=args.seed,
        sims=args.sims,
        peer=not args.no_peer,
        peer_python=args.peer_python,
        peer_rows=args.peer_rows,
    )
    targets = report(results)
    failed = [name for name, _, passed in targets if passed is False]
    return 1 if (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
