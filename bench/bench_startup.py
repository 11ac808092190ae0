"""Start-up benchmark of the command line: `gapwatch --help` and `gapwatch stats --help`.

    python bench/bench_startup.py              # median of 5 fresh processes per command
    python bench/bench_startup.py --runs 11    # more runs
    python bench/bench_startup.py --runs 1     # a smoke run (tests/bench/test_bench_startup_smoke.py)

Each command runs in a fresh process, as a person types it, with its output thrown away; the wall time of
the whole process is measured (interpreter start, imports, building the command tree, rendering the help),
with its CPU time. The runs of all commands are interleaved in a seeded random order, so that a burst of
other work on a shared machine does not fall on one command only. Two conditions:

* **bytecode cached** (judged): Python writes its bytecode cache (to a temporary ``PYTHONPYCACHEPREFIX``)
  and one warm-up run per command is not counted. This is how an installed gapwatch starts: pip compiles
  every module when it installs a package.
* **as this environment runs it** (reported, not judged), only when ``PYTHONDONTWRITEBYTECODE`` is set, as in
  this project's development environment: no bytecode cache is written, so gapwatch and every library it
  imports are compiled from source at each run (the standard library keeps its installed cache).

When sqlite-utils or datasette are installed (next to this Python or on PATH), their ``--help`` is timed the
same way for comparison; otherwise only gapwatch's figures are printed.

Target: each gapwatch command under 0.3 s (median, bytecode cached) on the project's machine when idle.
Prints the figures and PASS/FAIL; exits 0 unless ``--strict`` and the target is missed. The figures are
recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import executable, gapwatch_command, machine, time_process  # noqa: E402

__all__ = ["Timing", "main", "run"]

TARGET_SECONDS = 0.3
#: The commands judged against the target, as the user types them after ``gapwatch``.
GAPWATCH_COMMANDS: list[list[str]] = [["--help"], ["stats", "--help"]]
#: Peers timed for comparison when installed: (executable, arguments).
PEERS: list[tuple[str, list[str]]] = [("sqlite-utils", ["--help"]), ("datasette", ["--help"])]


@dataclass
class Timing:
    label: str
    argv: list[str]
    judged: bool
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)


def _timings() -> list[Timing]:
    gapwatch = gapwatch_command()
    timings = [Timing("gapwatch " + " ".join(args), [*gapwatch, *args], judged=True) for args in GAPWATCH_COMMANDS]
    for name, args in PEERS:
        found = executable(name)
        if found:
            timings.append(Timing(f"{name} {' '.join(args)} (peer)", [found, *args], judged=False))
    return timings


def run(runs: int = 5, seed: int = 20_261_205, cached: bool = True) -> list[Timing]:
    """Time every command ``runs`` times, interleaved in a seeded random order.

    ``cached``: with a bytecode cache (a fresh temporary one, filled by one warm-up run per command);
    otherwise in this process's environment as it is.
    """
    timings = _timings()
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-startup-") as cache:
        env = {**os.environ, "COLUMNS": "100"}
        if cached:
            env["PYTHONPYCACHEPREFIX"] = cache
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            for timing in timings:  # fills the cache; not counted
                time_process(timing.argv, env)
        order = [timing for timing in timings for _ in range(runs)]
        random.Random(seed).shuffle(order)
        for timing in order:
            wall, cpu = time_process(timing.argv, env)
            timing.wall.append(wall)
            timing.cpu.append(cpu)
    return timings


def _machine() -> str:
    """The machine, with the versions of the libraries the command line starts with."""
    versions = []
    for package in ("typer", "rich"):
        with contextlib.suppress(PackageNotFoundError):
            versions.append(f"{package} {version(package)}")
    return machine(*versions)


def report(title: str, timings: list[Timing], judge: bool) -> list[bool]:
    """Print one condition's table; return the verdicts of the judged commands (none when not judged)."""
    runs = len(timings[0].wall)
    print(f"\n{title}: {runs} run(s) per command")
    print(f"{'command':<36}{'median s':>10}{'min s':>8}{'max s':>8}{'CPU s':>8}")
    for t in timings:
        cpu = statistics.median(t.cpu)
        print(f"{t.label:<36}{t.median:>10.3f}{min(t.wall):>8.3f}{max(t.wall):>8.3f}{cpu:>8.3f}")
    if not any(not t.judged for t in timings):
        print("(sqlite-utils and datasette are not installed: no peer figures)")
    verdicts = []
    if judge:
        for t in (t for t in timings if t.judged):
            passed = t.median < TARGET_SECONDS
            verdicts.append(passed)
            print(f"{'PASS' if passed else 'FAIL':<8} {t.label} < {TARGET_SECONDS:g} s: {t.median:.3f} s (median)")
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5; the median counts)")
    parser.add_argument("--seed", type=int, default=20_261_205, help="seed of the order of the runs")
    parser.add_argument("--no-uncached", action="store_true", help="skip the runs without a bytecode cache")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"At the start: {_machine()}")
    verdicts = report("Bytecode cached (as installed; judged)", run(args.runs, args.seed, cached=True), judge=True)
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not args.no_uncached:
        report(
            "As this environment runs it (PYTHONDONTWRITEBYTECODE is set: modules compiled at each run)",
            run(args.runs, args.seed, cached=False),
            judge=False,
        )
    print(f"\nAt the end: {_machine()}")
    return 1 if args.strict and not all(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
