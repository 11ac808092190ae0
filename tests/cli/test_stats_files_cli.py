"""`gapwatch stats` files: CSV or Parquet by suffix, `-` for stdin/stdout, the sampled CSV type inference.

The reference's own proportions (PHEindicatormethods' test data in ../shared/data/phe-reference) go through
each way in and out, and must come back with the reference's numbers; a CSV whose sample of rows would
mislead the type inference must give what reading the whole file gives.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import typer
from typer.testing import CliRunner, Result

from gapwatch.cli import _tables, stats
from gapwatch.errors import InvalidInput

LIMITS = ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]


def _app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(stats.app, name="stats")
    return root


APP = _app()


def run(*args: object, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(APP, ["stats", *(str(a) for a in args)], input=stdin)


def ok(*args: object, stdin: bytes | None = None) -> Result:
    result = run(*args, stdin=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def fails(*args: object, stdin: bytes | None = None) -> InvalidInput:
    result = run(*args, stdin=stdin)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, InvalidInput), repr(result.exception)
    return result.exception


@pytest.fixture
def reference(shared_data: Path) -> pl.DataFrame:
    """PHEindicatormethods' phe_proportion test data with its expected 95% and 99.8% limits (multiplier 1).

    Its last three rows have a missing numerator or denominator: blank results, as the reference gives.
    """
    data = pl.read_csv(shared_data / "phe-reference" / "csv" / "testdata_Proportion__testdata_Prop.csv")
    return data.filter(pl.col("multiplier") == 1)


def _assert_reference(result: pl.DataFrame, reference: pl.DataFrame) -> None:
    assert result.get_column("Area").to_list() == reference.get_column("Area").to_list()
    for column in ["value", *LIMITS]:
        got = result.get_column(column).to_numpy()
        expected = reference.get_column(column).to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(expected)), column
        assert np.nanmax(abs(got - expected)) < 1e-12, column


def _inputs(reference: pl.DataFrame) -> pl.DataFrame:
    return reference.select("Area", "Numerator", "Denominator")


def test_parquet_in_and_parquet_out_give_the_references_numbers(reference: pl.DataFrame, tmp_path: Path) -> None:
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    _inputs(reference).write_parquet(source)
    result = ok("proportion", source, "--x", "Numerator", "--n", "Denominator", "-c", "95", "-c", "99.8", "-o", out)
    assert f"to {out}" in result.stderr
    written = pl.read_parquet(out)
    _assert_reference(written, reference)
    assert written.schema["lower95_0cl"] == pl.Float64  # a typed file, not text
    assert written.schema["Numerator"] == reference.schema["Numerator"]
    assert not (tmp_path / "out.parquet.part").exists()


def test_the_same_numbers_whichever_way_in_and_out(reference: pl.DataFrame, tmp_path: Path) -> None:
    """CSV file, Parquet file and standard input give byte-identical CSV on standard output."""
    csv_in, parquet_in = tmp_path / "in.csv", tmp_path / "in.parquet"
    _inputs(reference).write_csv(csv_in)
    _inputs(reference).write_parquet(parquet_in)
    options = ["--x", "Numerator", "--n", "Denominator", "-c", "0.95", "-c", "0.998"]
    from_csv = ok("proportion", csv_in, *options).stdout
    from_parquet = ok("proportion", parquet_in, *options, "-o", "-").stdout
    from_stdin = ok("proportion", "-", *options, stdin=csv_in.read_bytes()).stdout
    assert from_csv == from_parquet == from_stdin
    _assert_reference(pl.read_csv(io.StringIO(from_stdin)), reference)
    csv_out = tmp_path / "out.csv"
    ok("proportion", "-", *options, "-o", csv_out, stdin=csv_in.read_bytes())
    assert csv_out.read_text() == from_csv


def test_errors_name_standard_input_and_its_row(tmp_path: Path) -> None:
    error = fails("proportion", "-", stdin=b"numerator,denominator\n1,10\nfive,10\n")
    assert error.message.startswith("standard input: column 'numerator' must be numeric, but row 3 holds 'five'")
    assert fails("proportion", "-", stdin=b"").message == "standard input: nothing was given"


def test_compare_reads_standard_input_once() -> None:
    """compare looks at the header to find the limit pairs: from a pipe that must not be a second read."""
    text = b"value,lowercl,uppercl\n10,8,12\n20,18,22\n"
    result = pl.read_csv(io.StringIO(ok("compare", "-", "--benchmark", "15", stdin=text).stdout))
    assert result.get_column("comparison").to_list() == ["lower", "higher"]


def test_a_file_that_is_not_parquet_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "in.parquet"
    bad.write_text("numerator,denominator\n1,10\n")
    error = fails("proportion", bad)
    assert error.message.startswith(f"{bad}: cannot be read as Parquet")


def test_an_output_that_cannot_be_written_leaves_nothing(reference: pl.DataFrame, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    _inputs(reference).write_csv(source)
    for name in ("out.csv", "out.parquet"):
        out = tmp_path / "missing-folder" / name
        error = fails("proportion", source, "--x", "Numerator", "--n", "Denominator", "-o", out)
        assert error.message.startswith(f"{out}: cannot write the file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_the_spc_summary_may_be_parquet(tmp_path: Path) -> None:
    source, summary = tmp_path / "in.csv", tmp_path / "summary.parquet"
    source.write_text("period,value\n" + "".join(f"{p},{10 + (p % 3)}\n" for p in range(1, 21)))
    ok("spc", source, "--summary", summary, "-o", tmp_path / "points.parquet")
    assert pl.read_parquet(summary).height == 1
    assert pl.read_parquet(tmp_path / "points.parquet").height == 20


# --- the sampled type inference -----------------------------------------------------------------------


def _full_read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema_length=None, null_values=_tables.NULL_VALUES)


@pytest.mark.parametrize(
    ("later", "why"),
    [
        ("1.5", "a decimal below integers"),
        ("1e3", "a number in exponent form below integers"),
        ("99999999999999999999", "an integer too large for 64 bits"),
    ],
)
def test_a_value_unlike_the_sample_reads_as_the_whole_file_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, later: str, why: str
) -> None:
    monkeypatch.setattr(_tables, "SAMPLE_ROWS", 5)
    path = tmp_path / "in.csv"
    path.write_text("code,count\n" + "".join(f"A{i},{i}\n" for i in range(20)) + f"B,{later}\n")
    got = _tables.read_table(path)
    assert got.schema == _full_read(path).schema, why
    assert got.equals(_full_read(path))


def test_a_column_blank_throughout_the_sample_is_typed_by_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_tables, "SAMPLE_ROWS", 5)
    path = tmp_path / "in.csv"
    path.write_text("code,count\n" + "".join(f"A{i},\n" for i in range(10)) + "".join(f"B{i},{i}\n" for i in range(10)))
    got = _tables.read_table(path)
    assert got.schema["count"] == pl.Int64  # the sample alone says String
    assert got.equals(_full_read(path))


def test_a_bad_value_after_the_sample_is_found_with_its_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tables, "SAMPLE_ROWS", 5)
    path = tmp_path / "in.csv"
    path.write_text("numerator,denominator\n" + "1,10\n" * 30 + "x,10\n")
    error = fails("proportion", path)
    assert error.message == f"{path}: column 'numerator' must be numeric, but row 32 holds 'x'"


def test_a_large_file_keeps_the_same_types_and_output_as_a_whole_file_read(tmp_path: Path) -> None:
    """More rows than the sample (the real default), with NA and blank values spread through them."""
    rows = _tables.SAMPLE_ROWS * 3
    path = tmp_path / "in.csv"
    lines = [f"E{i:08d},{'NA' if i % 997 == 0 else i % 50},{100 + i % 7}" for i in range(rows)]
    path.write_text("area,numerator,denominator\n" + "\n".join(lines) + "\n")
    got = _tables.read_table(path)
    assert got.equals(_full_read(path))
    assert got.schema["numerator"] == pl.Int64


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`gapwatch stats … | head` closes the pipe: the command stops quietly with SIGPIPE's code, 141."""
    import subprocess
    import sys

    source = tmp_path / "in.csv"
    source.write_text("numerator,denominator\n" + "1,10\n" * 200_000)
    command = [sys.executable, "-c", "from gapwatch.cli.main import main; main()", "stats", "proportion", str(source)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith(b"numerator,denominator,value")
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 141
    assert "Traceback" not in stderr
