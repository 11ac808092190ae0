"""The start-up benchmark still runs: one timed run of each command, with the bytecode cache.

The measured run (median of 5) is `python bench/bench_startup.py`; this only keeps the script working.
"""

from __future__ import annotations

import pytest

from tests.bench.conftest import load_bench


@pytest.mark.slow
def test_one_run_times_both_commands(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench("bench_startup")
    assert bench.main(["--runs", "1", "--no-uncached"]) == 0
    printed = capsys.readouterr().out
    for command in ("gapwatch --help", "gapwatch stats --help"):
        assert command in printed
        assert f"PASS     {command} < 0.3 s" in printed or f"FAIL     {command} < 0.3 s" in printed
    assert "load average" in printed
