"""The start-up benchmark still runs: one timed run of each command, with the bytecode cache.

The measured run (median of 5) is `python bench/bench_startup.py`; this only keeps the script working.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_startup", BENCH / "bench_startup.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_startup"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_one_run_times_both_commands(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    assert bench.main(["--runs", "1", "--no-uncached"]) == 0
    printed = capsys.readouterr().out
    for command in ("gapwatch --help", "gapwatch stats --help"):
        assert command in printed
        assert f"PASS     {command} < 0.3 s" in printed or f"FAIL     {command} < 0.3 s" in printed
    assert "load average" in printed
