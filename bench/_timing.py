"""What the benchmark scripts share: finding the ``gapwatch`` command, timing one fresh process (wall and CPU),
describing the machine a figure was measured on, and running the peer (PHStatsMethods) in its own interpreter.

Timings on a shared machine are only comparable at a low load, so every script prints ``machine()`` before and
after its runs. Process CPU time is read from ``getrusage(RUSAGE_CHILDREN)`` (user + system, all threads of
the waited-for children), as ``time(1)`` reports it.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["child_cpu_seconds", "executable", "gapwatch_command", "machine", "run_peer", "time_process"]

BENCH_DIR = Path(__file__).resolve().parent


def executable(name: str) -> str | None:
    """The program ``name`` next to this Python (the same virtualenv), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def gapwatch_command() -> list[str]:
    """How to run ``gapwatch`` as a person would: the installed script, else through this Python."""
    found = executable("gapwatch")
    return [found] if found else [sys.executable, "-c", "from gapwatch.cli.main import main; main()"]


def child_cpu_seconds() -> float:
    """User + system seconds of all waited-for child processes so far (subtract two readings)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_process(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system, all threads) seconds of one fresh process; it must succeed."""
    cpu_before = child_cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    cpu = child_cpu_seconds() - cpu_before
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {done.returncode}: {done.stderr.decode()[-800:]}")
    return wall, cpu


def machine(*versions: str) -> str:
    """Cores, memory and load average, then Python's version and ``versions`` (e.g. "Polars 1.2")."""
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f", {kib / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return f"{os.cpu_count()} cores{memory}{load}; {', '.join([f'Python {sys.version.split()[0]}', *versions])}"


def run_peer(
    peer_python: Path, method: str, source: Path, out: Path, *, multiplier: int, repeat: int = 1
) -> dict[str, Any] | str:
    """Run ``bench/_peer.py`` (PHStatsMethods, GPL-3, never imported by gapwatch) under ``peer_python`` on
    ``source``, writing ``out``; its timing ({"seconds": best of ``repeat``, "rows": n}), or why it failed."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    argv = [str(peer_python), str(BENCH_DIR / "_peer.py"), method, str(source), str(out)]
    argv += ["--multiplier", str(multiplier), "--repeat", str(repeat)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=source.parent, env=env, check=False)
    if done.returncode != 0:
        return f"{method} failed: {done.stderr.strip().splitlines()[-1:]}"
    timing: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return timing
