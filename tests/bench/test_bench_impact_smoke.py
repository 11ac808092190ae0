"""The impact benchmark still runs and still finds its planted effect, at a small size.

The measured run is `python bench/bench_impact.py` (32,844 LSOAs); this only keeps the script working."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.slow
def test_small_run_passes_its_checks(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_impact", BENCH / "bench_impact.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_impact"] = module
    spec.loader.exec_module(module)
    assert module.main(["--lsoas", "3000", "--runs", "1", "--matched", "120", "--strict"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "PASS  true effect inside the DiD interval" in out
