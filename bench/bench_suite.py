"""Time the fast test suite and list its slowest tests.

    python bench/bench_suite.py                # the fast suite on 2 workers (pytest-xdist, one per core)
    python bench/bench_suite.py --workers 0    # in one process
    python bench/bench_suite.py --top 30       # list more of the slowest tests
    make bench-suite

The fast suite is what a developer runs between edits: ``pytest -m "not slow and not browser and not
postgres"`` (no browser, no PostgreSQL server, none of the tests marked slow). It runs as ``make test`` runs
the whole suite: ``-n 2 --dist loadfile`` (one worker per core; tests of one file stay together so that
their module-scoped fixtures are built once). The wall time of the whole pytest process is judged,
collection and worker start-up included; its CPU time (all workers) is printed beside it.

Each test's time (setup + call + teardown, from pytest's JUnit XML report) gives the list of the slowest
tests, and the time per test file. On a machine shared with other jobs the wall time only grows: run it
when the machine is quiet (the load average is printed before and after) and quote the best of a few runs.

Target (issue 15): the fast suite under 60 s on the project's 2-core machine. Exits with pytest's exit code
when tests fail; otherwise 0 unless ``--strict`` and the target is missed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import child_cpu_seconds, machine  # noqa: E402

__all__ = ["FAST", "main", "slowest"]

TARGET_SECONDS = 60.0
#: The marker expression of the fast suite.
FAST = "not slow and not browser and not postgres"
REPO = Path(__file__).resolve().parents[1]


def slowest(junit: Path) -> tuple[list[tuple[float, str]], dict[str, int]]:
    """Every test's (seconds, node id), slowest first, and the counts of outcomes, from a JUnit XML report."""
    tests: list[tuple[float, str]] = []
    counts: dict[str, int] = defaultdict(int)
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        tests.append((float(case.get("time", 0.0)), name))
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        counts[outcome] += 1
    tests.sort(reverse=True)
    return tests, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (0: one process; default 2)")
    parser.add_argument("--top", type=int, default=15, help="how many of the slowest tests to list (default 15)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)
    print(f"At the start: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-suite-") as tmp:
        junit = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-m", FAST, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        command += ["-n", str(args.workers)] + (["--dist", "loadfile"] if args.workers > 0 else [])
        command += args.pytest_args
        print("$ " + shlex.join(command), flush=True)
        cpu_before = child_cpu_seconds()
        start = time.perf_counter()
        # As `make test` runs it: bytecode may be written (PYTHONDONTWRITEBYTECODE would have every worker compile
        # the same modules again).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wall = time.perf_counter() - start
        cpu = child_cpu_seconds() - cpu_before
        print("\n".join(done.stdout.rstrip().splitlines()[-12:]))
        if not junit.exists():
            print(f"pytest wrote no report (exit code {done.returncode})")
            return done.returncode or 1
        tests, counts = slowest(junit)
    by_file: dict[str, float] = defaultdict(float)
    for seconds, name in tests:
        by_file[name.split("::")[0]] += seconds
    print(f"\nThe {min(args.top, len(tests))} slowest tests (setup + call + teardown):")
    for seconds, name in tests[: args.top]:
        print(f"  {seconds:7.2f} s  {name}")
    print("\nThe 5 slowest files (sum of their tests):")
    for name, seconds in sorted(by_file.items(), key=lambda item: -item[1])[:5]:
        print(f"  {seconds:7.2f} s  {name}")
    in_tests = sum(seconds for seconds, _ in tests)
    outcome = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    passed = wall < TARGET_SECONDS
    print(
        f"\n{'PASS' if passed else 'FAIL'}: fast suite ({len(tests)} tests: {outcome}) in {wall:.1f} s wall "
        f"< {TARGET_SECONDS:g} s, with {args.workers or 1} process(es); CPU {cpu:.1f} s; "
        f"{in_tests:.1f} s inside tests"
    )
    print(f"At the end: {machine()}")
    if done.returncode not in (0, 5):
        return done.returncode
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
