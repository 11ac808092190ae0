"""The command-line and suite benchmarks still run: bench_cli.py on 30,000 rows, bench_suite.py's report parser.

The measured runs are `python bench/bench_cli.py` (2,000,100 rows) and `python bench/bench_suite.py`; this
only keeps the scripts working and their identical-results check honest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.conftest import load_bench


@pytest.mark.slow
def test_bench_cli_runs_small_and_finds_the_results_identical(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench("bench_cli")
    assert bench.main(["--areas", "200", "--runs", "1", "--no-peer", "--no-parquet"]) == 0
    printed = capsys.readouterr().out
    assert "Input: 30,000 rows" in printed
    assert "identical to the library on the whole file, byte for byte: yes" in printed
    assert "PASS: gapwatch stats proportion" in printed or "FAIL: gapwatch stats proportion" in printed


def test_bench_suite_reads_the_slowest_tests_from_a_junit_report(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.a.test_x" name="test_fast" time="0.5"/>'
        '<testcase classname="tests.a.test_x" name="test_slow" time="7.25"><failure message="no"/></testcase>'
        '<testcase classname="tests.b.test_y" name="test_skip" time="0.0"><skipped message="x"/></testcase>'
        "</testsuite></testsuites>"
    )
    tests, counts = load_bench("bench_suite").slowest(report)
    assert tests[0] == (7.25, "tests/a/test_x.py::test_slow")
    assert [name for _, name in tests] == [
        "tests/a/test_x.py::test_slow",
        "tests/a/test_x.py::test_fast",
        "tests/b/test_y.py::test_skip",
    ]
    assert dict(counts) == {"passed": 1, "failed": 1, "skipped": 1}
