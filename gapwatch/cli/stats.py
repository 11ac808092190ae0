"""``gapwatch stats``: the statistics engine on a CSV file, for analysts.

``gapwatch stats METHOD INPUT.csv [options] [-o OUT.csv]`` reads the CSV with Polars, calls one function
of :mod:`gapwatch.stats` and writes the input with the result columns added (to stdout when ``-o`` is
omitted). Result columns are named as PHEindicatormethods names them: ``value``, ``lowercl``/``uppercl``
for one confidence level, ``lower95_0cl``/``upper95_0cl``, ``lower99_8cl``/``upper99_8cl`` … for several,
then ``confidence``, ``statistic`` and ``method``.

The commands are thin: parse, call, write. Bad input (a missing file or column, non-numeric or infinite
values, a ``ValueError`` from the statistics) becomes :class:`~gapwatch.errors.InvalidInput` naming the file,
the column and the rows; ``gapwatch.cli.main`` prints it as one red line and exits with code 1. Conventions
shared by every command (stated in ``gapwatch stats --help``):

* rows are numbered as a spreadsheet shows the file: the header is row 1, the first data row is row 2;
* a blank, NA or NaN value gives blank results, and a warning on stderr names the column and the rows;
* an infinite value is refused; so is a multiplier of zero or below, which would turn the limits round;
* a result column never overwrites an input column of the same name: the command stops and says so. To
  know which columns a function adds without listing them per command, the input columns are renamed out of
  the way (:class:`_Input`) and any result column that would collide with one is refused.

Polars and the statistics are imported inside the functions that use them, so that ``gapwatch --help``
answers quickly (see ``tests/cli/test_startup.py``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, overload

import typer

from gapwatch.cli._common import write_output
from gapwatch.errors import InvalidInput

if TYPE_CHECKING:
    import polars as pl

__all__ = ["app"]

app = typer.Typer(
    name="stats",
    help="Indicator statistics on a CSV file: values with confidence intervals, standardised rates, life "
    "expectancy, gaps, inequality (SII/RII), trends, SPC charts, funnel limits, benchmark comparisons and target "
    "status. The result columns are added to the input.\n\n"
    "Conventions: rows are numbered as a spreadsheet shows the file (the header is row 1, the first data row is "
    "row 2). Blank, NA or NaN values give blank results, with a warning on stderr naming the rows. Infinite "
    "values and multipliers of zero or below are refused. A result column never overwrites an input column of "
    "the same name: the command stops and names it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

#: Strings read as missing values. "NA" is how R and many exports write them.
_NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL"]
_ROWS_HINT = "Rows are numbered as a spreadsheet shows the file: the header is row 1, the first data row is row 2."
#: Input columns are renamed with this prefix while a function runs, so no result column can overwrite one.
_IN = "__gw_in__"
#: Row lists in the statistics' messages ("rows 0, 4 and 3 more"): 0-based positions in the frame.
_ROW_LIST = re.compile(r"(?<!result )\b(rows?) (\d+(?:, \d+)*)( and \d+ more)?")

# --- shared options ---------------------------------------------------------------------------------

InputArg = Annotated[
    Path,
    typer.Argument(metavar="INPUT.csv", help="CSV file to read (with a header row).", show_default=False),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="CSV file to write; standard output if omitted.")
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


def _read(path: Path, columns: Sequence[str | None], numeric: Sequence[str | None] = ()) -> pl.DataFrame:
    """Read ``path``, check that ``columns`` exist and ``numeric`` ones hold finite numbers, and cast those.

    The CLI checks what it can locate better than the statistics can: a missing column, or the row of the
    first non-numeric or infinite value. Missing values are allowed (they give blank results) but named in a
    warning on stderr, so that blanks in the output never pass unnoticed.
    """
    df = _read_csv(path)
    _require(path, df, columns)
    return _numeric(path, df, numeric)


def _read_csv(path: Path) -> pl.DataFrame:
    import polars as pl

    if not path.exists():
        raise InvalidInput(f"{path}: file not found", hint="Check the path of the CSV file.")
    if not path.is_file():
        raise InvalidInput(f"{path}: is not a file", hint="Give the path of a CSV file.")
    try:
        return pl.read_csv(path, infer_schema_length=None, null_values=_NULL_VALUES, try_parse_dates=False)
    except pl.exceptions.NoDataError:
        raise InvalidInput(f"{path}: the file is empty", hint="Give a CSV file with a header row.") from None
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InvalidInput(
            f"{path}: cannot be read as CSV ({first})", hint="Save it as comma-separated UTF-8 text."
        ) from None


def _require(path: Path, df: pl.DataFrame, columns: Sequence[str | None]) -> None:
    for name in columns:
        if name is not None and name not in df.columns:
            shown = ", ".join(f"'{c}'" for c in df.columns[:20])
            more = f" and {len(df.columns) - 20} more" if len(df.columns) > 20 else ""
            raise InvalidInput(
                f"{path}: column '{name}' not found (the columns are {shown}{more})",
                hint="Name the right column with the command's options (see --help).",
            )


def _numeric(path: Path, df: pl.DataFrame, names: Sequence[str | None]) -> pl.DataFrame:
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
        f"{path}: column '{name}' must be numeric, but row {first + 2} holds {value!r}{more}",
        hint="Leave missing values empty or write NA. " + _ROWS_HINT,
    )


def _check_finite(path: Path, df: pl.DataFrame, name: str) -> None:
    """An infinite count or population would give a rate of 0 with an interval of [0, 0]: refuse it."""
    import polars as pl

    if not df.schema[name].is_float():
        return
    rows = df.select(pl.col(name).is_infinite().fill_null(False)).to_series().arg_true().to_list()
    if rows:
        raise InvalidInput(
            f"{path}: column '{name}' holds an infinite value in {_spreadsheet_rows(rows)}",
            hint="Replace it with the real figure, or leave it empty (NA) if it is not known. " + _ROWS_HINT,
        )


def _warn_missing(path: Path, df: pl.DataFrame, name: str) -> None:
    import polars as pl

    rows = df.select(pl.col(name).is_null() | pl.col(name).cast(pl.Float64).is_nan()).to_series().arg_true()
    if rows.len():
        typer.secho(
            f"Warning: {path}: column '{name}' has no value (blank, NA or NaN) in "
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


class _Input:
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
                f"{option}: {text!r} is neither a number nor a column of {self.path}",
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
                f"{self.path}: the input already has {what}, which `gapwatch stats {command}` writes as a "
                "result; it would be overwritten",
                hint="Rename that column in the file (or leave it out), then run the command again.",
            )
        df = df.rename({c: c.removeprefix(_IN) for c in df.columns if c.startswith(_IN)})
        if "groupvars" in df.columns and df.schema["groupvars"] == pl.String:  # names written as values
            df = df.with_columns(pl.col("groupvars").str.replace_all(_IN, "", literal=True))
        return df


def _call(path: Path, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
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
        hint = _ROWS_HINT if " row" in message else None
        raise InvalidInput(f"{path}: {_message(message)}", hint=hint) from None


def _confidence(values: Sequence[float] | None) -> float | list[float]:
    """One level as a float (single ``lowercl``/``uppercl`` columns), several as a list."""
    chosen = list(values or [0.95])
    return chosen[0] if len(chosen) == 1 else chosen


def _positive(option: str, value: float | None) -> None:
    """A multiplier (or a reference value, a number of years) must be above zero."""
    if value is not None and not value > 0:
        raise InvalidInput(
            f"{option}: must be greater than 0, got {value:g}",
            hint="A multiplier of zero or below would turn the interval round (lower limit above the upper); "
            "use 100 for percentages, 100000 for rates per 100,000.",
        )


def _one_of(option: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InvalidInput(f"{option}: {value!r} is not one of {', '.join(allowed)}", hint="See --help.")


def _write(result: pl.DataFrame | pl.LazyFrame, output: Path | None) -> None:
    """Write the result as CSV to ``output`` (atomically) or to standard output."""
    import polars as pl

    df = result.collect() if isinstance(result, pl.LazyFrame) else result
    write_output(df.write_csv(), output)
    if output is not None:
        typer.echo(f"Wrote {df.height:,} rows to {output}", err=True)


# --- commands ---------------------------------------------------------------------------------------


def _load(
    path: Path, columns: Sequence[str | None], numeric: Sequence[str | None] = (), operands: Sequence[str | None] = ()
) -> _Input:
    """Read and check the file (:func:`_read`), ready for a statistics function (:class:`_Input`).

    ``operands`` are option values that may be numbers or column names (``--target 78`` or ``--target
    goal``): those naming a column are checked as numeric columns too.
    """
    df = _read(path, columns, numeric)
    return _Input(path, _numeric(path, df, [o for o in operands if o is not None and o in df.columns]))


@app.command("proportion")
def proportion_command(
    input: InputArg,
    x: NumeratorOpt = "numerator",
    n: DenominatorOpt = "denominator",
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    multiplier: Annotated[float, typer.Option(help="1 for a proportion, 100 for a percentage.")] = 1,
    output: OutputOpt = None,
) -> None:
    """Proportions x / n with Wilson score intervals (PHEindicatormethods phe_proportion)."""
    from gapwatch.stats.proportions import proportion

    _x_over_n(proportion, "proportion", input, x, n, group_by, confidence, multiplier, output)


@app.command("rate")
def rate_command(
    input: InputArg,
    x: NumeratorOpt = "numerator",
    n: DenominatorOpt = "denominator",
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    multiplier: Annotated[float, typer.Option(help="Rate per this many (100000 = per 100,000).")] = 100_000,
    output: OutputOpt = None,
) -> None:
    """Crude rates x / n × multiplier with exact (x < 10) or Byar's Poisson intervals (phe_rate)."""
    from gapwatch.stats.rates import rate

    _x_over_n(rate, "rate", input, x, n, group_by, confidence, multiplier, output)


def _x_over_n(
    method: Any,
    kind: str,
    input: Path,
    x: str,
    n: str,
    group_by: list[str] | None,
    confidence: Sequence[float] | None,
    multiplier: float,
    output: Path | None,
) -> None:
    """The shared body of the x / n commands (proportion, rate): load, compute with intervals, write."""
    _positive("--multiplier", multiplier)
    data = _load(input, [x, n, *(group_by or [])], [x, n])
    result = _call(
        input,
        method,
        data.frame,
        data(x),
        data(n),
        confidence=_confidence(confidence),
        multiplier=multiplier,
        group_by=data.many(group_by),
    )
    _write(data.result(result, kind), output)


@app.command("count")
def count_command(
    input: InputArg,
    x: Annotated[str, typer.Option("--x", help="Count column (events, people helped, crimes).")] = "count",
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    method: Annotated[
        str,
        typer.Option(
            help="auto: exact below 10, Byar's from 10 (the reference's rule); exact or byars: that method for "
            "every count (Byar's gives no lower limit for a count of 1 at 99.8%, as the reference)."
        ),
    ] = "auto",
    output: OutputOpt = None,
) -> None:
    """Counts with Poisson confidence intervals, exact or Byar's, chosen or automatic (count_ci)."""
    from gapwatch.stats.rates import COUNT_METHODS, count_ci

    _one_of("--method", method, COUNT_METHODS)
    data = _load(input, [x, *(group_by or [])], [x])
    result = _call(
        input, count_ci, data.frame, data(x), confidence=_confidence(confidence), group_by=data.many(group_by),
        method=method,
    )  # fmt: skip
    _write(data.result(result, "count"), output)


@app.command("mean")
def mean_command(
    input: InputArg,
    value: ValueOpt = "value",
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    output: OutputOpt = None,
) -> None:
    """Means per group with Student's t intervals (phe_mean); one output row per group."""
    from gapwatch.stats.means import mean

    data = _load(input, [value, *(group_by or [])], [value])
    result = _call(
        input, mean, data.frame, data(value), confidence=_confidence(confidence), group_by=data.many(group_by)
    )
    _write(data.result(result, "mean"), output)


@app.command("dsr")
def dsr_command(
    input: InputArg,
    x: Annotated[str, typer.Option("--x", help="Events column, one row per age band.")] = "count",
    n: Annotated[str, typer.Option("--n", help="Population column, one row per age band.")] = "population",
    stdpop: Annotated[
        str | None,
        typer.Option(
            help="Standard population column, used row by row as given; default ESP2013 (0-4 … 90+), "
            "joined on the --age-band labels."
        ),
    ] = None,
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    multiplier: Annotated[float, typer.Option(help="Rate per this many.")] = 100_000,
    eventfreq: Annotated[
        str | None,
        typer.Option(help="Events-per-person column, for non-independent events (with --age-band)."),
    ] = None,
    ageband: Annotated[
        str,
        typer.Option(
            "--age-band",
            "--ageband",
            help="Age band column. ESP2013 is joined on its labels (0-4 or 00-04 … 90+), so rows may be in any "
            "order; an unknown, missing or repeated band is refused. Not needed with --stdpop (unless --eventfreq).",
        ),
    ] = "ageband",
    output: OutputOpt = None,
) -> None:
    """Directly standardised rates with Dobson's intervals (calculate_dsr); one row per group."""
    from gapwatch.stats.standardised import dsr

    _positive("--multiplier", multiplier)
    numeric = [x, n, stdpop, eventfreq]
    # The age band column is needed to join ESP2013 and to group non-independent events by band.
    band = ageband if stdpop is None or eventfreq is not None else None
    data = _load(input, [*numeric, band, *(group_by or [])], numeric)
    result = _call(
        input,
        dsr,
        data.frame,
        data(x),
        data(n),
        stdpop=data(stdpop),
        group_by=data.many(group_by),
        confidence=_confidence(confidence),
        multiplier=multiplier,
        independent_events=eventfreq is None,
        eventfreq=data(eventfreq),
        ageband=data(band),
    )
    _write(data.result(result, "dsr"), output)


@app.command("isr")
def isr_command(
    input: InputArg,
    x: Annotated[str, typer.Option("--x", help="Observed events column, per age band.")] = "count",
    n: Annotated[str, typer.Option("--n", help="Local population column, per age band.")] = "population",
    x_ref: Annotated[str, typer.Option("--x-ref", help="Reference events column, per age band.")] = "refcount",
    n_ref: Annotated[str, typer.Option("--n-ref", help="Reference population column, per age band.")] = "refpop",
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    ratio: Annotated[
        bool, typer.Option("--ratio", help="Give the standardised ratio O/E × --refvalue (the SMR) instead.")
    ] = False,
    multiplier: Annotated[float, typer.Option(help="Rate per this many (rates only).")] = 100_000,
    refvalue: Annotated[float, typer.Option(help="Value of the reference for --ratio (1 or 100).")] = 1,
    output: OutputOpt = None,
) -> None:
    """Indirectly standardised rates (calculate_ISRate), or ratios with --ratio (calculate_ISRatio)."""
    from gapwatch.stats.standardised import isr, isratio

    _positive("--multiplier", multiplier)
    _positive("--refvalue", refvalue)
    numeric = [x, n, x_ref, n_ref]
    data = _load(input, [*numeric, *(group_by or [])], numeric)
    level = _confidence(confidence)
    columns = (data.frame, data(x), data(n), data(x_ref), data(n_ref))
    keys = data.many(group_by)
    if ratio:
        result = _call(input, isratio, *columns, group_by=keys, confidence=level, refvalue=refvalue)
    else:
        result = _call(input, isr, *columns, group_by=keys, confidence=level, multiplier=multiplier)
    _write(data.result(result, "isr"), output)


@app.command("life-expectancy")
def life_expectancy_command(
    input: InputArg,
    age: Annotated[
        str,
        typer.Option(
            "--age",
            help="Age band column: start ages (0, 1, 5, …, 90) or labels such as 0, 1-4, 5-9, …, 90+; the 20 "
            "standard bands, each once per group, in any order.",
        ),
    ] = "startage",
    pops: Annotated[str, typer.Option("--pops", help="Population column, per age band.")] = "pops",
    deaths: Annotated[str, typer.Option("--deaths", help="Deaths column, per age band.")] = "deaths",
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    le_age: Annotated[
        list[str] | None,
        typer.Option("--le-age", help="Age(s) to report (repeat for several), or 'all'. Default 0 (at birth)."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Life expectancy (Chiang II, Silcocks' intervals; phe_life_expectancy): one row per group and age.

    Needs the 20 standard age bands (0, 1-4, 5-9, …, 85-89, 90+) once per group. As the reference, the value is
    blank with a note in 'statistic' when the 95% interval is wider than 20 years or the population is under
    5,000.
    """
    from gapwatch.stats.life_expectancy import life_expectancy

    ages: int | list[int] | str = 0
    chosen = le_age or ["0"]
    if [a.strip().lower() for a in chosen] == ["all"]:
        ages = "all"
    else:
        try:
            ages = [int(a) for a in chosen]
        except ValueError:
            raise InvalidInput(
                f"--le-age: {chosen!r} must be whole ages (0, 65 …) or 'all'", hint="See --help."
            ) from None
    data = _load(input, [age, pops, deaths, *(group_by or [])], [pops, deaths])
    result = _call(
        input, life_expectancy, data.frame, data(age), data(pops), data(deaths), group_by=data.many(group_by),
        confidence=_confidence(confidence), le_age=ages,
    )  # fmt: skip
    _write(data.result(result, "life-expectancy"), output)


_VALUE_TYPES = {"other": 0, "rate": 1, "proportion": 2}


@app.command("sii")
def sii_command(
    input: InputArg,
    quantile: Annotated[str, typer.Option(help="Deprivation quantile column (1 = most deprived).")] = "quantile",
    population: Annotated[str, typer.Option(help="Population column of each quantile.")] = "population",
    value: Annotated[str | None, typer.Option(help="Value column of each quantile.")] = None,
    x: Annotated[
        str | None,
        typer.Option("--x", help="Count column: rates/proportions from counts out of --population."),
    ] = None,
    value_type: Annotated[
        str, typer.Option("--type", help="What the value is: rate, proportion or other (a mean, a score).")
    ] = "other",
    lower: Annotated[str | None, typer.Option(help="Lower limit column of each quantile's value.")] = None,
    upper: Annotated[str | None, typer.Option(help="Upper limit column of each quantile's value.")] = None,
    se: Annotated[str | None, typer.Option(help="Standard error column of each quantile's value.")] = None,
    limits_level: Annotated[float, typer.Option(help="Confidence level of --lower/--upper.")] = 0.95,
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    multiplier: Annotated[float, typer.Option(help="Scale of the SII (100 for percentages); < 0 reverses.")] = 1,
    repetitions: Annotated[int, typer.Option(help="Simulations for the confidence limits (>= 1000).")] = 100_000,
    rii: Annotated[bool, typer.Option("--rii", help="Also give the relative index of inequality.")] = False,
    intercept: Annotated[bool, typer.Option("--intercept", help="Also give the intercept.")] = False,
    transform: Annotated[bool, typer.Option("--transform", help="Fit on log rates / logit proportions.")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of the simulation, for repeatable limits.")] = None,
    output: OutputOpt = None,
) -> None:
    """Slope (and relative) index of inequality across quantiles (phe_sii); one row per group."""
    from gapwatch.stats.inequality import sii

    if value_type not in _VALUE_TYPES:
        raise InvalidInput(f"--type: {value_type!r} is not one of {', '.join(_VALUE_TYPES)}", hint="Use --type rate, …")
    if multiplier == 0:
        raise InvalidInput(
            "--multiplier: must not be 0", hint="1 for the SII as it is, 100 for percentages; < 0 reverses."
        )
    numeric = [quantile, population, value, x, lower, upper, se]
    data = _load(input, [*numeric, *(group_by or [])], numeric)
    result = _call(
        input,
        sii,
        data.frame,
        quantile_col=data(quantile),
        population=data(population),
        value=data(value),
        x=data(x),
        value_type=_VALUE_TYPES[value_type],
        lower=data(lower),
        upper=data(upper),
        se=data(se),
        limits_level=limits_level,
        multiplier=multiplier,
        group_by=data.many(group_by),
        confidence=_confidence(confidence),
        repetitions=repetitions,
        rii=rii,
        intercept=intercept,
        transform=transform,
        seed=seed,
    )
    _write(data.result(result, "sii"), output)


@app.command("quantile")
def quantile_command(
    input: InputArg,
    value: ValueOpt = "value",
    group_by: GroupByOpt = None,
    nquantiles: Annotated[int, typer.Option(help="How many quantiles (10 = deciles, 5 = quintiles).")] = 10,
    invert: Annotated[
        bool, typer.Option("--invert/--no-invert", help="Highest values in quantile 1 (the default).")
    ] = True,
    invert_column: Annotated[
        str | None,
        typer.Option(help="Column saying per group whether to invert (true/false or lower_is_better …)."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Assign each row to a quantile of --value within its group (phe_quantile)."""
    from gapwatch.stats.quantiles import quantile

    data = _load(input, [value, invert_column, *(group_by or [])], [value])
    result = _call(
        input,
        quantile,
        data.frame,
        data(value),
        group_by=data.many(group_by),
        nquantiles=nquantiles,
        invert=data(invert_column) if invert_column is not None else invert,
    )
    _write(data.result(result, "quantile"), output)


@app.command("gap")
def gap_command(
    input: InputArg,
    x: NumeratorOpt = "numerator",
    n: DenominatorOpt = "denominator",
    category: Annotated[
        str | None, typer.Option(help="Column holding the groups or areas to compare (e.g. fsm, area).")
    ] = None,
    subject: Annotated[
        list[str] | None,
        typer.Option(help="The --category value to compare (repeat with --rest for several)."),
    ] = None,
    comparator: Annotated[str | None, typer.Option(help="The --category value to compare against.")] = None,
    rest: Annotated[
        bool,
        typer.Option("--rest", help="Compare each --subject with the sum of all other --category values."),
    ] = False,
    parent: Annotated[
        str | None, typer.Option(help="Compare each --subject with this parent area's row minus the subject.")
    ] = None,
    quantile: Annotated[
        str | None, typer.Option(help="Deprivation quantile column: the most deprived against the rest.")
    ] = None,
    deprived: Annotated[
        list[int] | None, typer.Option(help="With --quantile: the deprived quantile(s) (default 1).")
    ] = None,
    measure: Annotated[str, typer.Option(help="proportion or rate.")] = "proportion",
    group_by: GroupByOpt = None,
    confidence: ConfidenceOpt = None,
    multiplier: Annotated[
        float | None,
        typer.Option(help="Scale of values and gap (default 100 for proportions, 100000 for rates)."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Gaps with intervals between groups, areas, or the most deprived and the rest; one row per group.

    --subject vs --comparator of --category (group_gap), --subject vs the --rest or a --parent area
    (area_vs_rest), or the most deprived --quantile vs the rest (deprived_vs_rest). Gives the difference and
    the ratio.
    """
    import polars as pl

    from gapwatch.stats.gaps import area_vs_rest, deprived_vs_rest, group_gap

    if measure not in ("proportion", "rate"):
        raise InvalidInput(f"--measure: {measure!r} is not 'proportion' or 'rate'", hint="Use --measure rate, …")
    _positive("--multiplier", multiplier)
    if quantile is not None:
        data = _load(input, [x, n, quantile, *(group_by or [])], [x, n, quantile])
    else:
        if category is None or not subject:
            raise InvalidInput(
                "gap: say what to compare",
                hint="Give --category and --subject with --comparator, --rest or --parent; or --quantile.",
            )
        if sum([comparator is not None, rest, parent is not None]) != 1:
            raise InvalidInput("gap: give exactly one of --comparator, --rest or --parent", hint="See --help.")
        data = _load(input, [x, n, category, *(group_by or [])], [x, n])
    common: dict[str, Any] = {
        "x": data(x),
        "n": data(n),
        "measure": measure,
        "group_by": data.many(group_by),
        "multiplier": multiplier,
        "confidence": _confidence(confidence),
    }
    if quantile is not None:
        result = _call(
            input, deprived_vs_rest, data.frame, quantile_col=data(quantile), deprived=tuple(deprived or [1]), **common
        )
        _write(data.result(result, "gap"), output)
        return
    assert category is not None and subject  # checked above
    # Labels on the command line are text: compare them with the column as text (codes like 1 or E07000110).
    df = data.frame.with_columns(pl.col(data(category)).cast(pl.String))
    if comparator is not None:
        if len(subject) != 1:
            raise InvalidInput("gap: give one --subject with --comparator", hint="Use --rest for several.")
        result = _call(
            input, group_gap, df, category_col=data(category), subject=subject[0], comparator=comparator, **common
        )
    elif rest:
        members = df.get_column(data(category)).drop_nulls().unique(maintain_order=True).to_list()
        result = _call(
            input, area_vs_rest, df, area_col=data(category), subject_area=subject, members=members, **common
        )
    else:
        result = _call(
            input, area_vs_rest, df, area_col=data(category), subject_area=subject, parent_area=parent, **common
        )
    _write(data.result(result, "gap"), output)


@app.command("trend")
def trend_command(
    input: InputArg,
    period: Annotated[str, typer.Option(help="Period column (numbers, or labels that sort in time order).")] = "period",
    x: Annotated[str | None, typer.Option("--x", help="Numerator column (proportions and rates).")] = None,
    n: Annotated[str | None, typer.Option("--n", help="Denominator column (proportions and rates).")] = None,
    measure: Annotated[
        str,
        typer.Option(help="proportion or rate (from --x and --n), or value (with --se or --lower/--upper)."),
    ] = "proportion",
    value: Annotated[str | None, typer.Option(help="Value column, for --measure value.")] = None,
    gap: Annotated[
        str | None, typer.Option(help="Gap column: is the gap narrowing? (gap_trend; with --se or limits).")
    ] = None,
    se: Annotated[str | None, typer.Option(help="Standard error column (--measure value or --gap).")] = None,
    lower: Annotated[str | None, typer.Option(help="Lower limit column (--measure value or --gap).")] = None,
    upper: Annotated[str | None, typer.Option(help="Upper limit column (--measure value or --gap).")] = None,
    limits_level: Annotated[float, typer.Option(help="Confidence level of --lower/--upper.")] = 0.95,
    group_by: GroupByOpt = None,
    polarity: Annotated[
        str | None, typer.Option(help="'high is good' / 'low is good', or a column holding it per row.")
    ] = None,
    points: Annotated[int, typer.Option(help="How many of the latest periods to test.")] = 5,
    confidence: Annotated[
        float | None,
        typer.Option("--confidence", "-c", help="Significance level (default 0.999 for trends, 0.95 for gaps)."),
    ] = None,
    multiplier: Annotated[float, typer.Option(help="Scale of the slope for proportions and rates.")] = 1,
    output: OutputOpt = None,
) -> None:
    """Recent trend over the last --points periods (Fingertips trend markers), or a gap's; one row per group.

    The chi-squared test for trend for proportions (its Poisson analogue for rates, a weighted slope for other
    values); with --gap, whether a gap is narrowing or widening.
    """
    from gapwatch.stats.trends import gap_trend, recent_trend

    _positive("--multiplier", multiplier)
    if gap is not None:
        gap_se = se if se is not None or lower is not None else "gap_se"
        numeric = [gap, gap_se, lower, upper]
        data = _load(input, [period, *numeric, *(group_by or [])], numeric)
        result = _call(
            input,
            gap_trend,
            data.frame,
            period_order_col=data(period),
            gap=data(gap),
            se=data(gap_se),
            lower=data(lower),
            upper=data(upper),
            limits_level=limits_level,
            group_by=data.many(group_by),
            points=points,
            confidence=0.95 if confidence is None else confidence,
        )
        _write(data.result(result, "trend"), output)
        return
    if measure not in ("proportion", "rate", "value"):
        raise InvalidInput(f"--measure: {measure!r} is not proportion, rate or value", hint="See --help.")
    if measure == "value":
        x = n = None
    else:
        x, n = x or "numerator", n or "denominator"
    numeric = [x, n, value, se, lower, upper]
    data = _load(input, [period, *numeric, *(group_by or [])], numeric)
    extra: dict[str, Any] = {} if confidence is None else {"confidence": confidence}
    result = _call(
        input,
        recent_trend,
        data.frame,
        period_order_col=data(period),
        x=data(x),
        n=data(n),
        measure=measure,
        value=data(value),
        se=data(se),
        lower=data(lower),
        upper=data(upper),
        limits_level=limits_level,
        group_by=data.many(group_by),
        polarity=data.column_or_value(polarity),
        points=points,
        multiplier=multiplier,
        **extra,
    )
    _write(data.result(result, "trend"), output)


def _period_value(data: _Input, column: str, text: str, option: str) -> Any:
    """An option's period (``--rebase 2024-04``) as a value of the period column's type, and one it holds.

    A period the column does not hold is refused: with labels such as 2024-13 a typo would otherwise start
    new limits at whatever period happens to sort after it.
    """
    import polars as pl

    periods = data.frame.get_column(data(column))
    dtype = periods.dtype
    try:
        if dtype.is_integer():
            value: Any = int(text)
        elif dtype.is_numeric():
            value = float(text)
        elif dtype == pl.Date:
            value = date.fromisoformat(text)
        else:
            value = text
    except ValueError:
        raise InvalidInput(
            f"{option}: {text!r} is not a period like those in column '{column}' ({dtype})", hint="See --help."
        ) from None
    if not (periods == value).any():
        raise InvalidInput(
            f"{option}: {text!r} is not a period in column '{column}'",
            hint=f"Give one of its periods, such as {periods.drop_nulls().sort()[0]!s}.",
        )
    return value


def _print_spc_summary(summary: pl.DataFrame, keys: list[str]) -> None:
    """A few lines on stderr: each series' latest point, its icons and its limits."""
    shown = 20
    for row in summary.head(shown).iter_rows(named=True):
        name = ", ".join(f"{k}={row[k]}" for k in keys) or "the series"
        if row["lower_limit"] is None:
            line = f"{name}: no limits (fewer than 2 baseline points in the latest segment)"
        else:
            line = (
                f"{name}: {row['variation']} at {row['latest_period']} ({row['latest_value']:g}); centre "
                f"{row['centre']:.4g}, limits {row['lower_limit']:.4g} to {row['upper_limit']:.4g}"
            )
            if row["assurance"] is not None:
                line += f"; {row['assurance']} against the target of {row['target']:g}"
        typer.echo(line, err=True)
    if summary.height > shown:
        typer.echo(f"… and {summary.height - shown} more series (write them all with --summary)", err=True)


@app.command("spc")
def spc_command(
    input: InputArg,
    value: ValueOpt = "value",
    period: Annotated[
        str, typer.Option(help="Period column: numbers, ISO dates or labels that sort in time order (2024-03).")
    ] = "period",
    group_by: Annotated[
        list[str] | None,
        typer.Option("--group-by", "-g", help="Column(s) naming each series (repeat for several): one chart each."),
    ] = None,
    baseline: Annotated[
        int | None, typer.Option(help="Set the limits from the first N points of each segment (default: all).")
    ] = None,
    baseline_from: Annotated[
        str | None, typer.Option(help="Set the limits from the periods from this one (with --baseline-to).")
    ] = None,
    baseline_to: Annotated[str | None, typer.Option(help="… up to and including this one.")] = None,
    rebase: Annotated[
        list[str] | None,
        typer.Option(help="Period at which new limits start, for every series (repeat). Never automatic."),
    ] = None,
    rebase_column: Annotated[
        str | None, typer.Option(help="True/false column marking, per series, the first point of new limits.")
    ] = None,
    polarity: Annotated[
        str,
        typer.Option(help="'high is good', 'low is good' or 'no judgement', or a column holding it per series."),
    ] = "no judgement",
    target: Annotated[str | None, typer.Option(help="Target (a number, or a column) for the assurance icon.")] = None,
    run_length: Annotated[int, typer.Option(help="Points on one side of the centre that make a run.")] = 7,
    trend_length: Annotated[int, typer.Option(help="Points rising (or falling) in a row that make a trend.")] = 7,
    screen: Annotated[
        bool,
        typer.Option("--screen/--no-screen", help="Leave out moving ranges >= 3.267 × their mean before the limits."),
    ] = False,
    summary: Annotated[
        Path | None, typer.Option(help="Also write one row per series (latest point, icons) to this CSV file.")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """SPC XmR charts as Making Data Count reads them: limits, special-cause rules, variation and assurance.

    One chart per series: centre, process limits (mean ± 2.66 × mean moving range), two-sigma lines, the
    special-cause rules met at each point (beyond a limit, 2 of 3 beyond two sigma, a run, a trend, each
    'high' or 'low'), and the variation and assurance icons. Limits come from the baseline and change only at
    the --rebase periods you give. Writes one row per point; a summary per series goes to stderr, or to
    --summary.
    """
    from gapwatch.stats.spc import spc_summary, xmr_chart

    if (baseline_from is None) != (baseline_to is None):
        raise InvalidInput("--baseline-from and --baseline-to: give both, or neither", hint="See --help.")
    data = _load(input, [value, period, rebase_column, *(group_by or [])], [value], operands=[target])
    target_arg = data.number_or_column(target, "--target")
    window = (
        None
        if baseline_from is None or baseline_to is None
        else (
            _period_value(data, period, baseline_from, "--baseline-from"),
            _period_value(data, period, baseline_to, "--baseline-to"),
        )
    )
    breaks = [_period_value(data, period, p, "--rebase") for p in rebase or []]
    keys = data.many(group_by)
    result = _call(
        input,
        xmr_chart,
        data.frame,
        data(value),
        data(period),
        group_by=keys,
        baseline=baseline,
        baseline_period=window,
        rebase=breaks,
        rebase_col=data(rebase_column),
        polarity=data.column_or_value(polarity),
        target=target_arg,
        run_length=run_length,
        trend_length=trend_length,
        screen_moving_ranges=screen,
    )
    points = data.result(result, "spc")
    target_out = target if isinstance(target_arg, str) else target_arg  # the column's own name, or the number
    table = _call(input, spc_summary, points, value, period, group_by=group_by, target=target_out)
    _write(points, output)
    if summary is not None:
        write_output(table.write_csv(), summary)
        typer.echo(f"Wrote the summary of {table.height:,} series to {summary}", err=True)
    else:
        _print_spc_summary(table, list(group_by or []))


@app.command("funnel")
def funnel_command(
    input: InputArg,
    x: NumeratorOpt = "numerator",
    n: Annotated[
        str | None,
        typer.Option(
            "--n",
            help="Denominator column; expected counts for ratios; optional for rates (default 'denominator' "
            "for proportions and ratios).",
        ),
    ] = None,
    statistic: Annotated[str, typer.Option(help="proportion, ratio or rate.")] = "proportion",
    ratio_type: Annotated[str, typer.Option(help="For ratios: count (limits as ratio - 1) or isr (x 100).")] = "isr",
    rate: Annotated[str | None, typer.Option(help="For rates: the column holding each rate.")] = None,
    rate_type: Annotated[str, typer.Option(help="For rates: dsr or crude.")] = "crude",
    years: Annotated[float, typer.Option(help="For rate limits: years of data behind each rate.")] = 1,
    multiplier: Annotated[
        float | None, typer.Option(help="Scale (default 100 for proportions, 100000 for rates).")
    ] = None,
    confidence: Annotated[
        list[float] | None,
        typer.Option(
            "--confidence",
            "-c",
            help="Control limit level (repeat; default -c 95 -c 99.8, the '2s' and '3s' limits).",
            show_default=False,
        ),
    ] = None,
    overdispersion: Annotated[
        str,
        typer.Option(
            help="none; multiplicative (limits widened by √φ when φ > 1) or additive (random effects τ²), "
            "estimated from Winsorised z-scores (Spiegelhalter 2005)."
        ),
    ] = "none",
    winsorise: Annotated[
        float, typer.Option(help="With --overdispersion: per cent of z-scores pulled in at each tail.")
    ] = 10,
    limits: Annotated[
        bool,
        typer.Option("--limits", help="Write the 100-point table of control limits instead."),
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Funnel plots: each row's significance, or the --limits table, optionally allowing for overdispersion.

    Each row is labelled against the control limits at its own size (assign_funnel_significance), or with
    --limits the 100-point table of limits to draw is written (calculate_funnel_limits). With --overdispersion
    the limits widen by φ or τ² estimated from Winsorised z-scores; both are reported on stderr.
    """
    from gapwatch.stats.funnels import (
        DEFAULT_FUNNEL_LEVELS,
        assign_funnel_significance,
        calculate_funnel_limits,
        funnel_overdispersion,
    )

    _one_of("--statistic", statistic, ("proportion", "ratio", "rate"))
    _one_of("--overdispersion", overdispersion, ("none", "multiplicative", "additive"))
    _positive("--multiplier", multiplier)
    _positive("--years", years)
    if n is None and statistic != "rate":
        n = "denominator"
    scale = multiplier if multiplier is not None else (100.0 if statistic == "proportion" else 100_000.0)
    data = _load(input, [x, n, rate], [x, n, rate])
    levels = list(confidence or DEFAULT_FUNNEL_LEVELS)
    rate_args: dict[str, Any] = {"rate": data(rate), "rate_type": rate_type} if statistic == "rate" else {}
    spread: dict[str, Any] = {"overdispersion": overdispersion, "winsorise": winsorise}
    if overdispersion != "none":
        extra_rate = {"multiplier": scale} if statistic == "rate" else {}
        found = _call(
            input, funnel_overdispersion, data.frame, data(x), data(n), statistic=statistic, winsorise=winsorise,
            **rate_args, **extra_rate,
        ).row(0, named=True)  # fmt: skip
        typer.echo(
            f"Overdispersion from {found['units']} areas (z-scores Winsorised at {winsorise:g}% each tail, "
            f"{found['scale']} scale): φ = {found['phi']:.4g}, τ² = {found['tau2']:.4g}; "
            + (
                f"limits widened by √φ = {found['inflation']:.4g}"
                if overdispersion == "multiplicative"
                else "τ² added to each area's variance"
            ),
            err=True,
        )
    if limits:
        extra: dict[str, Any] = {"ratio_type": ratio_type} if statistic == "ratio" else {}
        if statistic == "rate":
            extra["years_of_data"] = years
        table = _call(
            input, calculate_funnel_limits, data.frame, data(x), data(n), statistic=statistic, multiplier=scale,
            confidence=levels, **rate_args, **extra, **spread,
        )  # fmt: skip
        _write(data.result(table, "funnel"), output)
        return
    result = _call(
        input, assign_funnel_significance, data.frame, data(x), data(n), statistic=statistic, multiplier=scale,
        confidence=levels, **rate_args, **spread,
    )  # fmt: skip
    _write(data.result(result, "funnel"), output)


_POLARITY_WORDS = {
    "high is good": "higher_is_better",
    "low is good": "lower_is_better",
    "no judgement": "no_judgement",
}
_LIMIT_PAIR = re.compile(r"^lower(\d+_\d+)cl$")


@app.command("compare")
def compare_command(
    input: InputArg,
    benchmark: Annotated[
        str, typer.Option(help="The benchmark (England, the county): a number, or a column holding it per row.")
    ],
    value: ValueOpt = "value",
    polarity: Annotated[
        str,
        typer.Option(
            help="higher_is_better / lower_is_better / no_judgement ('high is good' and 'low is good' too), "
            "or a column holding them per row."
        ),
    ] = "no_judgement",
    lower: Annotated[str | None, typer.Option(help="Lower limit column (default: every pair found).")] = None,
    upper: Annotated[str | None, typer.Option(help="Upper limit column (with --lower).")] = None,
    level_label: Annotated[
        str | None, typer.Option(help="With --lower/--upper: the result is comparison_<label> (e.g. 95_0).")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Compare each row with a benchmark: better / similar / worse by its confidence interval (Fingertips).

    Without a polarity the words are higher / similar / lower. Without --lower/--upper every pair of limit
    columns is used: lowercl/uppercl gives comparison, lower95_0cl/upper95_0cl comparison_95_0,
    lower99_8cl/upper99_8cl comparison_99_8.
    """
    from gapwatch.stats.comparison import compare_to_benchmark

    if (lower is None) != (upper is None):
        raise InvalidInput("--lower and --upper: give both, or neither", hint="See --help.")
    polarity = _POLARITY_WORDS.get(polarity.strip().lower(), polarity)
    header = _read(input, [value]).columns
    pairs: list[tuple[str, str, str | None]] = []
    if lower is not None and upper is not None:
        pairs = [(lower, upper, level_label)]
    else:
        for name in header:
            match = _LIMIT_PAIR.match(name)
            if match and f"upper{match.group(1)}cl" in header:
                pairs.append((name, f"upper{match.group(1)}cl", match.group(1)))
        if not pairs and "lowercl" in header and "uppercl" in header:
            pairs = [("lowercl", "uppercl", None)]
        if not pairs:
            raise InvalidInput(
                f"{input}: no confidence limit columns found (lowercl/uppercl, lower95_0cl/upper95_0cl …)",
                hint="Name them with --lower and --upper.",
            )
    limit_columns = [c for pair in pairs for c in pair[:2]]
    data = _load(input, [value, *limit_columns], [value, *limit_columns], operands=[benchmark])
    bench = data.number_or_column(benchmark, "--benchmark")
    result: pl.DataFrame = data.frame
    for lo, hi, label in pairs:
        result = _call(
            input, compare_to_benchmark, result, benchmark=bench, polarity=data.column_or_value(polarity),
            value=data(value), lower=data(lo), upper=data(hi), level_label=label,
        )  # fmt: skip
    _write(data.result(result, "compare"), output)


NumberOrColumn = str


@app.command("target")
def target_command(
    input: InputArg,
    baseline_value: Annotated[NumberOrColumn, typer.Option(help="Baseline value (a number or a column).")],
    baseline_period: Annotated[NumberOrColumn, typer.Option(help="Baseline period (a number or a column).")],
    target_value: Annotated[NumberOrColumn, typer.Option(help="Target value (a number or a column).")],
    target_period: Annotated[NumberOrColumn, typer.Option(help="Target period (a number or a column).")],
    value: ValueOpt = "value",
    period: Annotated[
        str, typer.Option(help="Period column: numbers on one time axis (a year, or a decimal year).")
    ] = "period",
    lower: Annotated[str | None, typer.Option(help="Lower limit column of each value.")] = None,
    upper: Annotated[str | None, typer.Option(help="Upper limit column of each value.")] = None,
    polarity: Annotated[
        str | None,
        typer.Option(help="'high is good' / 'low is good' or a column (default: the way from baseline to target)."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Level target status at each period: on track, at risk, off track, achieved (level_target_status).

    The expected value is on the straight line from the baseline to the target. Before the target period a
    value worse than that line is 'at risk' while its interval (--lower/--upper) includes the line, 'off track'
    otherwise; at or after it, 'achieved' or 'not achieved'.
    """
    from gapwatch.stats.targets import level_target_status

    numeric = [value, period, lower, upper]
    data = _load(input, numeric, numeric, operands=[baseline_value, baseline_period, target_value, target_period])
    operands = {
        "baseline_value": data.number_or_column(baseline_value, "--baseline-value"),
        "baseline_period_index": data.number_or_column(baseline_period, "--baseline-period"),
        "target_value": data.number_or_column(target_value, "--target-value"),
        "target_period_index": data.number_or_column(target_period, "--target-period"),
    }
    result = _call(
        input, level_target_status, data.frame, value=data(value), period_index=data(period), lower=data(lower),
        upper=data(upper), polarity=data.column_or_value(polarity), **operands,
    )  # fmt: skip
    _write(data.result(result, "target"), output)


@app.command("gap-target")
def gap_target_command(
    input: InputArg,
    baseline_gap: Annotated[NumberOrColumn, typer.Option(help="Gap at the baseline (a number or a column).")],
    baseline_period: Annotated[NumberOrColumn, typer.Option(help="Baseline period (a number or a column).")],
    target_period: Annotated[NumberOrColumn, typer.Option(help="Target period (a number or a column).")],
    reduction: Annotated[
        str, typer.Option(help="Share of the gap to close: '40%', '15-30%', 0.4, or a column holding it.")
    ],
    gap: Annotated[str, typer.Option(help="Gap column (on the same signed scale as --baseline-gap).")] = "gap",
    period: Annotated[str, typer.Option(help="Period column: numbers on one time axis.")] = "period",
    lower: Annotated[str | None, typer.Option(help="Lower limit column of each gap.")] = None,
    upper: Annotated[str | None, typer.Option(help="Upper limit column of each gap.")] = None,
    output: OutputOpt = None,
) -> None:
    """Gap-closing target status: the share of the gap closed against the share required by now.

    The required share grows on a straight line from the baseline to the target period; a range such as
    '15-30%' is judged against its lower bound (gap_closing_status).
    """
    from gapwatch.stats.targets import gap_closing_status

    numeric = [gap, period, lower, upper]
    data = _load(input, numeric, numeric, operands=[baseline_gap, baseline_period, target_period])
    result = _call(
        input, gap_closing_status, data.frame, gap=data(gap), period_index=data(period),
        baseline_gap=data.number_or_column(baseline_gap, "--baseline-gap"),
        baseline_period_index=data.number_or_column(baseline_period, "--baseline-period"),
        target_period_index=data.number_or_column(target_period, "--target-period"),
        reduction=data.column_or_value(reduction), lower=data(lower), upper=data(upper),
    )  # fmt: skip
    _write(data.result(result, "gap-target"), output)


@app.command("reward")
def reward_command(
    input: InputArg,
    total: Annotated[NumberOrColumn, typer.Option(help="The reward grant (a number, or a column per group).")],
    achieved: Annotated[
        str, typer.Option(help="Column: achieved (true/false) or the part achieved (0 to 1).")
    ] = "achieved",
    share: Annotated[str, typer.Option(help="Column: each target's share (weights, normalised per group).")] = "share",
    group_by: Annotated[
        list[str] | None, typer.Option("--group-by", "-g", help="Column(s) naming each agreement (repeat).")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Reward earned per target and in total, each target carrying a share of the grant (reward_share)."""
    from gapwatch.stats.targets import reward_share

    data = _load(input, [achieved, share, *(group_by or [])], [share], operands=[total])
    reward = data.number_or_column(total, "--total")
    if isinstance(reward, float):
        _positive("--total", reward)
    result = _call(
        input, reward_share, data.frame, achieved_col=data(achieved), share_col=data(share), total_reward=reward,
        group_by=data.many(group_by),
    )  # fmt: skip
    _write(data.result(result, "reward"), output)
