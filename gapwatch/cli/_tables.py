"""Reading and writing the tables of ``gapwatch stats``: CSV or Parquet by suffix, ``-`` for stdin/stdout.

* A path ending ``.parquet`` (or ``.pq``) is Parquet, anything else CSV (comma-separated UTF-8 with a header
  row). ``-`` is standard input or standard output, as CSV, so commands can be piped.
* Reading a CSV infers each column's type from its first :data:`SAMPLE_ROWS` rows, which is about seven
  times cheaper than reading the whole file twice (Polars' ``infer_schema_length=None``, measured by
  ``bench/bench_cli.py``: 2.9 s of CPU against 0.4 s on a 2-million-row file). The sample can be wrong only
  in two ways, and both fall back to inferring from every row, so the types are those the whole file shows:
  a later value that does not fit the sampled type (``1.5`` below integers, ``x`` below numbers) makes Polars
  refuse the sample; a column blank throughout the sample is read as text by Polars, so it is re-read.
* Writing goes straight from Polars to the file (a temporary beside it, renamed when complete, so that a
  failure leaves nothing half-written) or to standard output's byte stream: building the CSV as one Python
  string first, then encoding it, cost as much again as writing it.

Polars is imported inside the functions, so that ``gapwatch --help`` stays fast (tests/cli/test_startup.py).
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gapwatch.errors import InvalidInput

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "NULL_VALUES",
    "PARQUET_SUFFIXES",
    "SAMPLE_ROWS",
    "STDIO",
    "is_parquet",
    "is_stdio",
    "read_table",
    "source_name",
    "write_table",
]

#: Strings read as missing values. "NA" is how R and many exports write them.
NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL"]
#: Rows from which a CSV column's type is inferred before the whole file is read (see the module's notes).
SAMPLE_ROWS = 10_000
#: File suffixes read and written as Parquet.
PARQUET_SUFFIXES = (".parquet", ".pq")
#: The path meaning standard input (as INPUT) or standard output (as --output).
STDIO = "-"


def is_stdio(path: Path | None) -> bool:
    """``-``: standard input or output."""
    return path is not None and str(path) == STDIO


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def source_name(path: Path) -> str:
    """How messages name the input: its path, or 'standard input' for ``-``."""
    return "standard input" if is_stdio(path) else str(path)


def read_table(path: Path) -> pl.DataFrame:
    """The whole table at ``path`` (CSV or Parquet by suffix; ``-`` is CSV on standard input).

    Raises :class:`InvalidInput` naming the file for a missing, empty or unreadable one.
    """
    import polars as pl

    name = source_name(path)
    if is_stdio(path):
        source: Path | bytes = sys.stdin.buffer.read()
        if not source:
            raise InvalidInput(f"{name}: nothing was given", hint="Pipe a CSV file with a header row into the command.")
    else:
        if not path.exists():
            raise InvalidInput(f"{name}: file not found", hint="Check the path of the input file.")
        if not path.is_file():
            raise InvalidInput(f"{name}: is not a file", hint="Give the path of a CSV or Parquet file.")
        source = path
    try:
        if isinstance(source, Path) and is_parquet(source):
            return pl.read_parquet(source)
        return _read_csv(source)
    except pl.exceptions.NoDataError:
        raise InvalidInput(f"{name}: the file is empty", hint="Give a CSV file with a header row.") from None
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        kind = "Parquet" if isinstance(source, Path) and is_parquet(source) else "CSV"
        hint = "Give a Parquet file." if kind == "Parquet" else "Save it as comma-separated UTF-8 text."
        raise InvalidInput(f"{name}: cannot be read as {kind} ({first})", hint=hint) from None


def _read_csv(source: Path | bytes) -> pl.DataFrame:
    """Types from a sample of rows, or from every row when the sample could have misled (module notes)."""
    import polars as pl

    def read(infer: int | None) -> pl.DataFrame:
        return pl.read_csv(source, infer_schema_length=infer, null_values=NULL_VALUES, try_parse_dates=False)

    try:
        df = read(SAMPLE_ROWS)
    except pl.exceptions.ComputeError:
        return read(None)  # a value unlike the sample's: the whole file decides (or the error is real)
    if df.height > SAMPLE_ROWS:
        head = df.head(SAMPLE_ROWS)
        blank = [c for c, t in df.schema.items() if t == pl.String and head.get_column(c).null_count() == SAMPLE_ROWS]
        if blank:  # typed as text only because the sample held no value
            return read(None)
    return df


def _broken_pipe(exc: OSError) -> bool:
    """A closed pipe on standard output; Polars reports it as a plain OSError naming "os error 32"."""
    return isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE or "os error 32" in str(exc)


def write_table(df: pl.DataFrame, output: Path | None) -> None:
    """Write ``df`` as CSV to standard output (``None`` or ``-``), or to ``output`` as CSV or Parquet.

    A file is written to a temporary beside it and renamed when complete: a failure leaves neither a
    half-written file nor the temporary.
    """
    if output is None or is_stdio(output):
        try:
            sys.stdout.flush()  # anything already echoed comes first
            df.write_csv(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        except OSError as exc:
            if not _broken_pipe(exc):
                raise InvalidInput(f"standard output: cannot write the result ({exc.strerror or exc})") from None
            # The reader stopped early (`| head`): stop quietly, as Unix tools do, with SIGPIPE's exit code.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(141) from None
        return
    tmp = output.with_name(output.name + ".part")
    try:
        if is_parquet(output):
            df.write_parquet(tmp)
        else:
            df.write_csv(tmp)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"{output}: cannot write the file ({exc.strerror or exc})") from exc
