"""The impact benchmark still runs and still finds its planted effect, at a small size.

The measured run is `python bench/bench_impact.py` (32,844 LSOAs); this only keeps the script working."""

from __future__ import annotations

import pytest

from tests.bench.conftest import load_bench


@pytest.mark.slow
def test_small_run_passes_its_checks(capsys: pytest.CaptureFixture[str]) -> None:
    module = load_bench("bench_impact")
    assert module.main(["--lsoas", "3000", "--runs", "1", "--matched", "120", "--strict"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "PASS  true effect inside the DiD interval" in out
