"""The statistics benchmark still runs: generator + every gapwatch step at a tiny size, without the peer.

The full run (10 million rows, with PHStatsMethods in its own venv) is `make bench-stats`; this only makes
sure the script keeps working as gapwatch.stats changes.
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.bench.conftest import load_bench

AREAS = 66  # 66 areas x 30 indicators x 10 periods = 19,800 rows, plus the FSM-style group rows


@pytest.mark.slow
def test_generator_is_seeded_and_shaped() -> None:
    generate = load_bench("generate")
    first = generate.generate(AREAS, seed=11)
    again = generate.generate(AREAS, seed=11)
    other = generate.generate(AREAS, seed=12)
    assert first.observations.equals(again.observations) and first.groups.equals(again.groups)
    assert not first.observations.equals(other.observations)
    obs = first.observations
    assert obs.height == generate.rows_for(AREAS) == 19_800
    props = obs.filter(pl.col("indicator_type") == "proportion")
    assert props.height == obs.height // 2
    assert (props["numerator"] <= props["denominator"]).all()
    assert sorted(obs["decile"].unique().to_list()) == list(range(1, 11))
    assert set(first.groups["group"].unique().to_list()) == {"FSM", "Not FSM"}


@pytest.mark.slow
def test_every_step_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench("bench_stats")
    code = bench.main(["--areas", str(AREAS), "--no-peer"])
    printed = capsys.readouterr().out
    assert code == 0
    for step in (
        "proportions",
        "rates",
        "benchmark comparison",
        "FSM vs not-FSM gaps",
        "district vs rest",
        "most deprived decile",
        "SII/RII",
        "recent trends",
        "FSM gap trends",
    ):
        assert step in printed, f"step {step!r} missing from the output"
    assert "total time < 20 s" in printed and "peak memory" in printed
    assert "NOT RUN" in printed  # the peer, skipped here


@pytest.mark.slow
def test_step_outputs_have_one_row_per_group() -> None:
    bench = load_bench("bench_stats")
    results = bench.run(AREAS, peer=False, kernels=False)
    indicator_periods = 30 * 10
    assert results.outputs["sii"].height == indicator_periods
    sii = results.outputs["sii"]
    # Every group has an SII unless it says why not (tiny tables leave some deciles without events).
    assert sii.filter(pl.col("sii").is_null() & pl.col("sii_note").is_null()).height == 0
    assert sii["sii"].null_count() < indicator_periods // 2
    assert results.outputs["deprived_vs_rest"].height == indicator_periods
    assert results.outputs["trends"].height == AREAS * 30
    assert results.outputs["comparison"].height == AREAS * indicator_periods
    assert set(results.outputs["comparison"]["comparison_95_0"].unique().to_list()) <= {
        "better",
        "similar",
        "worse",
        "not compared",
    }
    assert all(step.seconds >= 0 and step.rows > 0 for step in results.steps)
