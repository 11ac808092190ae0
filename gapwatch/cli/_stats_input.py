"""What every ``gapwatch stats`` command shares: its options, reading and checking the input, calling one
statistics function, writing the result.

The conventions (stated in ``gapwatch stats --help`` and docs/statistics.md):

* rows are numbered as a spreadsheet shows the file: the header is row 1, the first data row is row 2;
* a blank, NA or NaN value gives blank results, and a warning on stderr names the column and the rows;
* an infinite value is refused; so is a multiplier of zero or below, which would turn the limits round;
* a result column never overwrites an input column of the same name: the command stops and says so. To
  know which columns a function adds without listing them per command, the input columns are renamed out of
  the way (:class:`Input`) and any result column that would collide with one is refused.

Reading and writing the files themselves (CSV or Parquet, ``-`` for stdin/stdout) is :mod:`gapwatch.cli._tables`.
Polars and the statistics are imported inside the functions that use them (tests/cli/test_startup.py).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, overload

import typer

from gapwatch.cli._tables import is_stdio, read_table, source_name, write_table
from gapwatch.errors import InvalidInput

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "ROWS_HINT",
    "ConfidenceOpt",
    "DenominatorOpt",
    "GroupByOpt",
    "Input",
    "InputArg",
    "NumeratorOpt",
    "OutputOpt",
    "ValueOpt",
    "call",
    "confidence_arg",
    "load",
    "check_numbers",
    "one_of",
    "positive",
    "read",
    "write",
]

ROWS_HINT = "Rows are numbered as a spreadsheet shows the file: the header is row 1, the first data row is row 2."
#: Input columns are renamed with this prefix while a function runs, so no result column can overwrite one.
_IN = "__gw_in__"
#: Row lists in the statistics' messages ("rows 0, 4 and 3 more"): 0-based positions in the frame.
_ROW_LIST = re.compile(r"(?<!result )\b(rows?) (\d+(?:, \d+)*)( and \d+ more)?")

# --- shared options ---------------------------------------------------------------------------------

InputArg = Annotated[
    Path,
    typer.Argument(
        metavar="INPUT",
        help="CSV file to read (with a header row), a .parquet file, or - for CSV on standard input.",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="File to write: CSV, or Parquet if it ends .parquet; standard output (CSV) if omitted or -.",
    ),
]
GroupByOpt = Annotated[
    list[str] | None,
    typer.Option("--group-by", "-g", help="Column to group by (repeat for several); sums within groups."),
]
ConfidenceOpt = Annotated[
    list[float] | None,
    typer.Option(
        "--confidence",
        "-c",
        help="Confidence level, 0.95 or 95 (repeat for several, e.g. -c 0.95 -c 0.998). Default 0.95.",
        show_default=False,
    ),
]
NumeratorOpt = Annotated[str, typer.Option("--x", help="Numerator column (events, successes).")]
DenominatorOpt = Annotated[str, typer.Option("--n", help="Denominator column (population, cohort).")]
ValueOpt = Annotated[str, typer.Option("--value", help="Column holding the values.")]


# --- reading, calling, writing ----------------------------------------------------------------------


def _spreadsheet_rows(positions: Sequence[int]) -> str:
    """'row 5' or 'rows 5, 9' for 0-based frame positions (the header is row 1); five at most, then 'and N more'."""
    shown = ", ".join(str(i + 2) for i in positions[:5])
    more = f" and {len(positions) - 5} more" if len(positions) > 5 else ""
    return ("row " if len(positions) == 1 else "rows ") + shown + more


def read(path: Path, columns: Sequence[str | None], numeric: Sequence[str | None] = ()) -> pl.DataFrame:
    """Read ``path``, check that ``columns`` exist and ``numeric`` ones hold finite numbers, and cast those.

    The CLI checks what it can locate better than the statistics can: a missing column, or the row of the
    first non-numeric or infinite value. Missing values are allowed (they give blank results) but named in a
    warning on stderr, so that blanks in the output never pass unnoticed.
    """
    df = read_table(path)
    _require(path, df, columns)
    return check_numbers(path, df, numeric)


def _require(path: Path, df: pl.DataFrame, columns: Sequence[str | None]) -> None:
    for name in columns:
        if name is not None and name not in df.columns:
            shown = ", ".join(f"'{c}'" for c in df.columns[:20])
            more = f" and {len(df.columns) - 20} more" if len(df.columns) > 20 else ""
            raise InvalidInput(
                f"{source_name(path)}: column '{name}' not found (the columns are {shown}{more})",
                hint="Name the right column with the command's options (see --help).",
            )


def check_numbers(path: Path, df: pl.DataFrame, names: Sequence[str | None]) -> pl.DataFrame:
    """Numbers, finite, cast to numbers; missing ones named in a warning."""
    chosen = [n for n in dict.fromkeys(names) if n is not None]
    for name in chosen:
        _check_numeric(path, df, name)
    df = _as_numbers(df, chosen)
    for name in chosen:
        _check_finite(path, df, name)
        _warn_missing(path, df, name)
    return df


def _check_numeric(path: Path, df: pl.DataFrame, name: str) -> None:
    import polars as pl

    dtype = df.schema[name]
    if dtype.is_numeric() or dtype == pl.Null:
        return
    bad = df.select(
        (pl.col(name).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False).is_null())
        & pl.col(name).is_not_null()
    ).to_series()
    rows = bad.arg_true()
    if rows.len() == 0:  # numbers written with spaces around them: accept them
        return
    first = int(rows[0])
    value = df.get_column(name)[first]
    more = f" ({rows.len() - 1} more)" if rows.len() > 1 else ""
    raise InvalidInput(
        f"{source_name(path)}: column '{name}' must be numeric, but row {first + 2} holds {value!r}{more}",
        hint="Leave missing values empty or write NA. " + ROWS_HINT,
    )


def _check_finite(path: Path, df: pl.DataFrame, name: str) -> None:
    """An infinite count or population would give a rate of 0 with an interval of [0, 0]: refuse it."""
    import polars as pl

    if not df.schema[name].is_float():
        return
    rows = df.select(pl.col(name).is_infinite().fill_null(False)).to_series().arg_true().to_list()
    if rows:
        raise InvalidInput(
            f"{source_name(path)}: column '{name}' holds an infinite value in {_spreadsheet_rows(rows)}",
            hint="Replace it with the real figure, or leave it empty (NA) if it is not known. " + ROWS_HINT,
        )


def _warn_missing(path: Path, df: pl.DataFrame, name: str) -> None:
    import polars as pl

    rows = df.select(pl.col(name).is_null() | pl.col(name).cast(pl.Float64).is_nan()).to_series().arg_true()
    if rows.len():
        typer.secho(
            f"Warning: {source_name(path)}: column '{name}' has no value (blank, NA or NaN) in "
            f"{_spreadsheet_rows(rows.to_list())}; results that need it are left blank.",
            fg="yellow",
            err=True,
        )


def _as_numbers(df: pl.DataFrame, names: Sequence[str | None]) -> pl.DataFrame:
    """Cast checked string columns (numbers with stray spaces) to Float64; NaN becomes missing."""
    import polars as pl

    casts = [
        pl.col(n).cast(pl.String).str.strip_chars().cast(pl.Float64)
        for n in dict.fromkeys(names)
        if n is not None and not (df.schema[n].is_numeric() or df.schema[n] == pl.Null)
    ]
    df = df.with_columns(casts) if casts else df
    nans = [pl.col(n).fill_nan(None) for n in dict.fromkeys(names) if n is not None and df.schema[n].is_float()]
    return df.with_columns(nans) if nans else df


def _message(text: str) -> str:
    """A statistics message as the user should read it: file row numbers, the input's own column names."""

    def renumber(match: re.Match[str]) -> str:
        numbers = [str(int(i) + 2) for i in match.group(2).split(", ")]
        more = match.group(3) or ""
        return ("row " if len(numbers) == 1 and not more else "rows ") + ", ".join(numbers) + more

    return _ROW_LIST.sub(renumber, text.replace(_IN, "").replace("group_by", "--group-by"))


class Input:
    """The file's rows with every column renamed out of the way while a statistics function runs.

    The functions add their result columns with ``with_columns``, which would silently replace an input column
    of the same name (a column called ``value`` or ``significance``). With the input's columns renamed, a
    result column can only sit beside the input column it would have replaced, and :meth:`result` refuses
    that, whichever command and options produced it.
    """

    def __init__(self, path: Path, df: pl.DataFrame) -> None:
        self.path = path
        self.names = set(df.columns)
        self.frame = df.rename({c: _IN + c for c in df.columns})

    @overload
    def __call__(self, name: str) -> str: ...

    @overload
    def __call__(self, name: None) -> None: ...

    def __call__(self, name: str | None) -> str | None:
        """The renamed column."""
        return None if name is None else _IN + name

    def many(self, names: Sequence[str] | None) -> list[str] | None:
        return None if names is None else [self(n) for n in names]

    def column_or_value(self, text: str | None) -> str | None:
        """A column (renamed) when ``text`` names one, else the text itself (a wording such as a polarity)."""
        return self(text) if text is not None and text in self.names else text

    def number_or_column(self, text: str | None, option: str) -> str | float | None:
        """``--target 78`` or ``--target target_col``: a number, or a column of the file."""
        if text is None:
            return None
        if text in self.names:
            return self(text)
        try:
            return float(text)
        except ValueError:
            raise InvalidInput(
                f"{option}: {text!r} is neither a number nor a column of {source_name(self.path)}",
                hint="Give a number, or the name of a column holding one per row.",
            ) from None

    def result(self, result: pl.DataFrame | pl.LazyFrame, command: str) -> pl.DataFrame:
        """The result with the input's names back; refused when a result column has an input column's name."""
        import polars as pl

        df = result.collect() if isinstance(result, pl.LazyFrame) else result
        clashes = [c for c in df.columns if not c.startswith(_IN) and _IN + c in df.columns]
        if clashes:
            shown = ", ".join(f"'{c}'" for c in clashes)
            what = f"a column named {shown}" if len(clashes) == 1 else f"columns named {shown}"
            raise InvalidInput(
                f"{source_name(self.path)}: the input already has {what}, which `gapwatch stats {command}` writes as a "
                "result; it would be overwritten",
                hint="Rename that column in the file (or leave it out), then run the command again.",
            )
        df = df.rename({c: c.removeprefix(_IN) for c in df.columns if c.startswith(_IN)})
        if "groupvars" in df.columns and df.schema["groupvars"] == pl.String:  # names written as values
            df = df.with_columns(pl.col("groupvars").str.replace_all(_IN, "", literal=True))
        return df


def call(path: Path, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call one statistics function, turning a ``ValueError`` into :class:`InvalidInput` naming the file.

    Warnings (an SII left out for a group with missing quantiles, say) are printed to stderr as one
    line each: the analyst must see them, but they do not stop the output. Row numbers in messages are
    turned into the file's (spreadsheet) row numbers.
    """
    import polars as pl

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = function(*args, **kwargs)
        for warning in caught:
            typer.secho(f"Warning: {_message(str(warning.message))}", fg="yellow", err=True)
        return result
    except (ValueError, pl.exceptions.PolarsError) as error:
        # PolarsError: data Polars cannot handle as asked (a column of the wrong type for a join, say).
        message = str(error).strip().splitlines()[0] if str(error).strip() else "invalid input"
        hint = ROWS_HINT if " row" in message else None
        raise InvalidInput(f"{source_name(path)}: {_message(message)}", hint=hint) from None


def confidence_arg(values: Sequence[float] | None) -> float | list[float]:
    """One level as a float (single ``lowercl``/``uppercl`` columns), several as a list."""
    chosen = list(values or [0.95])
    return chosen[0] if len(chosen) == 1 else chosen


def positive(option: str, value: float | None) -> None:
    """A multiplier (or a reference value, a number of years) must be above zero."""
    if value is not None and not value > 0:
        raise InvalidInput(
            f"{option}: must be greater than 0, got {value:g}",
            hint="A multiplier of zero or below would turn the interval round (lower limit above the upper); "
            "use 100 for percentages, 100000 for rates per 100,000.",
        )


def one_of(option: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InvalidInput(f"{option}: {value!r} is not one of {', '.join(allowed)}", hint="See --help.")


def write(result: pl.DataFrame | pl.LazyFrame, output: Path | None) -> None:
    """Write the result to ``output`` (CSV or Parquet by suffix, atomically) or to standard output as CSV."""
    import polars as pl

    df = result.collect() if isinstance(result, pl.LazyFrame) else result
    write_table(df, output)
    if output is not None and not is_stdio(output):
        typer.echo(f"Wrote {df.height:,} rows to {output}", err=True)


# --- loading ----------------------------------------------------------------------------------------


def load(
    path: Path,
    columns: Sequence[str | None],
    numeric: Sequence[str | None] = (),
    operands: Sequence[str | None] = (),
    *,
    frame: pl.DataFrame | None = None,
) -> Input:
    """Read and check the file (:func:`read`), ready for a statistics function (:class:`Input`).

    ``operands`` are option values that may be numbers or column names (``--target 78`` or ``--target
    goal``): those naming a column are checked as numeric columns too. ``frame``: the file as already read
    (standard input can be read only once).
    """
    if frame is None:
        df = read(path, columns, numeric)
    else:
        _require(path, frame, columns)
        df = check_numbers(path, frame, numeric)
    return Input(path, check_numbers(path, df, [o for o in operands if o is not None and o in df.columns]))
