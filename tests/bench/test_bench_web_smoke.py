"""The web load benchmark still runs: a tiny load (3 users, 2 seconds) against a real `gapwatch serve`.

The measured run (50 users, 60 s) is `python bench/bench_web.py`; this only keeps the script working.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.conftest import load_bench


@pytest.mark.slow
def test_tiny_load_run_measures_both_pages(capsys: pytest.CaptureFixture[str], kent_demo_file: Path) -> None:
    bench = load_bench("bench_web")
    bench.run(users=3, seconds=2, think=0.2, seed=1, indicator=None, demo=kent_demo_file)  # the suite's demo
    out = capsys.readouterr().out
    assert "/dashboard" in out and "/indicators/" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith(("/", "all "))}
    assert int(rows["all"][1]) >= 6  # requests made
    assert rows["all"][-1] == "0"  # no errors
    assert "target p95 < 200 ms" in out


def test_percentile_is_the_nearest_rank() -> None:
    bench = load_bench("bench_web")
    values = [float(v) for v in range(1, 101)]
    assert bench._percentile(values, 95) == 95.0
    assert bench._percentile(values, 50) == 50.0
    assert bench._percentile([7.0], 99) == 7.0
