"""Run DHSC's PHStatsMethods (the peer) on a CSV, for the benchmark's speed and agreement checks.

This script runs ONLY under bench/.venv-peer/bin/python (made by ``make bench-peer-env``), in a
subprocess of bench/bench_stats.py. PHStatsMethods is GPL-3: gapwatch never imports it, and this file
imports nothing from gapwatch. It calls the peer's public functions, and nothing else of its code.

Usage: python bench/_peer.py proportion|rate IN.csv OUT.csv [--multiplier M] [--repeat R]
Reads columns ``row``, ``numerator``, ``denominator``; writes ``row``, the value and the 95% / 99.8%
limits (renamed to gapwatch's names), and prints one JSON line: {"seconds": best of R, "rows": n}.
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd
import PHStatsMethods as peer

_RENAME = {
    "Value": "value",
    "lower_95_ci": "lower95_0cl",
    "upper_95_ci": "upper95_0cl",
    "lower_99_8_ci": "lower99_8cl",
    "upper_99_8_ci": "upper99_8cl",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("method", choices=["proportion", "rate"])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--multiplier", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    df = pd.read_csv(args.input)
    function = peer.ph_proportion if args.method == "proportion" else peer.ph_rate
    multiplier = args.multiplier if args.multiplier is not None else (1 if args.method == "proportion" else 100_000)
    best = float("inf")
    result = None
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        # Grouped by the row id: one result per row, as gapwatch computes them, and the id comes back.
        result = function(df, "numerator", "denominator", "row", confidence=[0.95, 0.998], multiplier=multiplier)
        best = min(best, time.perf_counter() - start)
    assert result is not None
    result = result.rename(columns=_RENAME)
    result[["row", *_RENAME.values()]].to_csv(args.output, index=False)
    print(json.dumps({"seconds": best, "rows": len(df)}))


if __name__ == "__main__":
    main()
