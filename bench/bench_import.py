"""Benchmark of the data importer and the observation read path (issue 5).

    python bench/bench_import.py                       # 1,051,008 rows on SQLite (a temporary file)
    python bench/bench_import.py --database-url postgresql+psycopg://user@host/db   # an EMPTY database
    python bench/bench_import.py --lsoas 500 --periods 2   # tiny (the test suite's smoke run)

A seeded generator writes a Fingertips-format CSV (all 26 export columns, as the Fingertips site gives
them): 4 indicators x 32,844 LSOA-like areas x 8 financial years = 1,051,008 rows. The areas and a
framework holding the 4 indicators are loaded first (not timed). Then, each in a fresh subprocess so that
its peak memory is its own:

* **import**: ``gapwatch.services.imports.import_file`` — read, validate every row (numbers, periods,
  duplicates, indicators, areas, units), write one batch in one transaction;
* **read**: ``observations_frame(indicator_ids=[one])`` — one indicator for every LSOA and every period
  (262,752 rows) into Polars, timed three times (first and best reported).

Targets: import under 20 s and under 2 GB peak; read under 1 s. Prints the figures and PASS/FAIL; exits 0
unless ``--strict`` and a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

__all__ = ["generate", "main"]

TARGETS = {"import_seconds": 20.0, "import_peak_mb": 2048.0, "read_seconds": 1.0}
INDICATORS = {
    "90001": "Bench indicator one: % of residents with the outcome (LSOA, synthetic)",
    "90002": "Bench indicator two: % of children with the outcome (LSOA, synthetic)",
    "90003": "Bench indicator three: % of adults with the outcome (LSOA, synthetic)",
    "90004": "Bench indicator four: % of older people with the outcome (LSOA, synthetic)",
}
FINGERTIPS_HEADER = [
    "Indicator ID",
    "Indicator Name",
    "Parent Code",
    "Parent Name",
    "Area Code",
    "Area Name",
    "Area Type",
    "Sex",
    "Age",
    "Category Type",
    "Category",
    "Time period",
    "Value",
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Lower CI 99.8 limit",
    "Upper CI 99.8 limit",
    "Count",
    "Denominator",
    "Value note",
    "Recent Trend",
    "Compared to England value or percentiles",
    "Compared to Region value or percentiles",
    "Time period Sortable",
    "New data",
    "Compared to goal",
]


def _areas(n_lsoas: int) -> pl.DataFrame:
    codes = [f"E01{i:06d}" for i in range(1, n_lsoas + 1)]
    districts = [f"E07{(i // 100) + 1:06d}" for i in range(n_lsoas)]
    return pl.DataFrame({"code": codes, "district": districts})


def generate(path: Path, *, n_lsoas: int = 32_844, n_periods: int = 8, seed: int = 20240601) -> int:
    """Write the seeded Fingertips-format file; returns its number of rows."""
    rng = np.random.default_rng(seed)
    areas = _areas(n_lsoas)
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(2023 - n_periods, 2023)]
    n = n_lsoas * len(years) * len(INDICATORS)
    ind = np.repeat(np.array(list(INDICATORS)), n_lsoas * len(years))
    period = np.tile(np.repeat(np.array(years), n_lsoas), len(INDICATORS))
    area_idx = np.tile(np.arange(n_lsoas), len(years) * len(INDICATORS))
    denominator = rng.integers(800, 3000, n)
    p = np.clip(rng.beta(2, 8, n_lsoas)[area_idx] + rng.normal(0, 0.01, n), 0.001, 0.999)
    count = rng.binomial(denominator, p)
    value = count / denominator * 100
    half = 1.96 * np.sqrt(np.maximum(value * (100 - value), 1e-9) / denominator)
    codes = areas["code"].to_numpy()[area_idx]
    frame = pl.DataFrame(
        {
            "Indicator ID": ind,
            "Indicator Name": pl.Series(ind).replace_strict(INDICATORS),
            "Parent Code": areas["district"].to_numpy()[area_idx],
            "Parent Name": "Bench district",
            "Area Code": codes,
            "Area Name": pl.Series(codes).str.replace("E01", "Bench LSOA "),
            "Area Type": "LSOA",
            "Sex": "Persons",
            "Age": "All ages",
            "Category Type": None,
            "Category": None,
            "Time period": period,
            "Value": value,
            "Lower CI 95.0 limit": np.maximum(value - half, 0),
            "Upper CI 95.0 limit": np.minimum(value + half, 100),
            "Lower CI 99.8 limit": None,
            "Upper CI 99.8 limit": None,
            "Count": count,
            "Denominator": denominator,
            "Value note": None,
            "Recent Trend": "Cannot be calculated",
            "Compared to England value or percentiles": "Not compared",
            "Compared to Region value or percentiles": "Not compared",
            "Time period Sortable": pl.Series(period).str.slice(0, 4) + "0000",
            "New data": None,
            "Compared to goal": None,
        }
    )
    frame.select(FINGERTIPS_HEADER).write_csv(path)
    return frame.height


def _prepare(url: str, n_lsoas: int) -> None:
    """A framework with the bench indicators, and every LSOA and district as a known area (not timed)."""
    from gapwatch.domain.framework import Framework
    from gapwatch.domain.indicators import Indicator
    from gapwatch.services.database import open_database
    from gapwatch.settings import Settings
    from gapwatch.store.areas import upsert_areas
    from gapwatch.store.engine import session_scope
    from gapwatch.store.frameworks import save_framework

    engine = open_database(Settings(database_url=url))
    framework = Framework(
        id="bench",
        name="Benchmark framework",
        partnership="Benchmark",
        indicators=[Indicator(id=f"fingertips-{k}", code=f"Fingertips {k}", title=v) for k, v in INDICATORS.items()],
    )
    with session_scope(engine) as session:
        save_framework(session, framework)
    areas = _areas(n_lsoas)
    districts = (
        areas.select(pl.col("district").alias("code"))
        .unique()
        .with_columns(name=pl.lit("Bench district"), level=pl.lit("district"), parent_code=pl.lit(None, pl.String))
    )
    lsoas = areas.select("code", name=pl.lit("Bench LSOA"), level=pl.lit("lsoa"), parent_code=pl.col("district"))
    with engine.begin() as conn:
        upsert_areas(conn, pl.concat([districts, lsoas]), source="bench")
    engine.dispose()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(args: argparse.Namespace) -> dict[str, Any]:
    from gapwatch.services.observations import observations_frame
    from gapwatch.settings import Settings
    from gapwatch.store.engine import get_engine

    engine = get_engine(Settings(database_url=args.database_url))
    if args.phase == "import":
        from gapwatch.services.imports import import_file

        start, clock = time.perf_counter(), time.process_time()
        report = import_file(engine, Path(args.file), fmt="fingertips", actor="bench")
        return {
            "import_seconds": time.perf_counter() - start,
            "import_cpu_seconds": time.process_time() - clock,
            "import_peak_mb": _peak_mb(),
            "rows": report.inserted,
            "batch": report.batch,
        }
    times, cpu, rows = [], [], 0
    for _ in range(3):
        start, clock = time.perf_counter(), time.process_time()
        frame = observations_frame(engine, indicator_ids=["fingertips-90002"])
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - clock)
        rows = frame.height
    return {
        "read_seconds": times[0],
        "read_best_seconds": min(times),
        "read_cpu_seconds": cpu[0],
        "read_rows": rows,
        "read_peak_mb": _peak_mb(),
    }


def _run_phase(phase: str, url: str, file: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--database-url", url, "--file", str(file)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if out.returncode != 0:
        sys.exit(f"the {phase} phase failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lsoas", type=int, default=32_844)
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--database-url", default=None, help="An empty database (default: a temporary SQLite file).")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a target is missed.")
    parser.add_argument("--phase", choices=["import", "read"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps(_phase(args)))
        return {}
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        file = Path(tmp) / "fingertips-bench.csv"
        start = time.perf_counter()
        rows = generate(file, n_lsoas=args.lsoas, n_periods=args.periods, seed=args.seed)
        generated = time.perf_counter() - start
        _prepare(url, args.lsoas)
        figures: dict[str, Any] = {"rows": rows, "file_mb": file.stat().st_size / 2**20, "generate_seconds": generated}
        figures.update(_run_phase("import", url, file))
        figures.update(_run_phase("read", url, file))
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    load = os.getloadavg()[0]
    print(f"gapwatch import benchmark — {backend}, {os.cpu_count()} CPU(s), load average {load:.1f}, seed {args.seed}")
    print(f"  file: {figures['rows']:,} rows, {figures['file_mb']:.0f} MB (generated in {generated:.1f} s)")
    lines = [
        (
            "import (validate whole file + write one batch)",
            "import_seconds",
            f"{figures['import_seconds']:.1f} s (CPU {figures['import_cpu_seconds']:.1f} s)",
        ),
        ("import peak memory", "import_peak_mb", f"{figures['import_peak_mb']:.0f} MB"),
        (
            f"read one indicator, all LSOAs and periods ({figures['read_rows']:,} rows)",
            "read_seconds",
            f"{figures['read_seconds']:.2f} s (best {figures['read_best_seconds']:.2f} s)",
        ),
    ]
    failed = False
    for label, key, shown in lines:
        ok = figures[key] < TARGETS[key]
        failed |= not ok
        unit = "MB" if key.endswith("_mb") else "s"
        print(f"  {label:<62} {shown:>30}  target < {TARGETS[key]:g} {unit}  {'PASS' if ok else 'FAIL'}")
    if args.strict and failed:
        sys.exit(1)
    return figures


if __name__ == "__main__":
    main()
