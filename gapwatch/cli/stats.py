"""``gapwatch stats``: the statistics engine on a CSV file, for analysts.

``gapwatch stats METHOD INPUT.csv [options] [-o OUT.csv]`` reads the CSV with Polars, calls one function
of :mod:`gapwatch.stats` and writes the input with the result columns added (to stdout when ``-o`` is
omitted). Result columns are named as PHEindicatormethods names them: ``value``, ``lowercl``/``uppercl``
for one confidence level, ``lower95_0cl``/``upper95_0cl``, ``lower99_8cl``/``upper99_8cl`` … for several,
then ``confidence``, ``statistic`` and ``method``.

The commands are thin: parse, call, write. Bad input (a missing file or column, non-numeric values, a
``ValueError`` from the statistics) becomes :class:`~gapwatch.errors.InvalidInput` naming the file and
the column; ``gapwatch.cli.main`` prints it as one red line and exits with code 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from gapwatch.cli._common import write_output
from gapwatch.errors import InvalidInput

__all__ = ["app"]

app = typer.Typer(
    name="stats",
    help="Indicator statistics on a CSV file: values with confidence intervals, standardised rates, "
    "gaps, inequality (SII/RII), trends and funnel limits. The result columns are added to the input.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

#: Strings read as missing values. "NA" is how R and many exports write them.
_NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL"]
_ROWS_HINT = "Rows are counted from 0, the first data row under the header (row r is line r + 2 of the file)."

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


def _read(path: Path, columns: Sequence[str | None], numeric: Sequence[str | None] = ()) -> pl.DataFrame:
    """Read ``path`` and check that ``columns`` exist and ``numeric`` ones hold numbers.

    The CLI checks what it can locate better than the statistics can: a missing column, or the line of
    the first non-numeric value (the statistics only know row positions).
    """
    if not path.exists():
        raise InvalidInput(f"{path}: file not found", hint="Check the path of the CSV file.")
    if not path.is_file():
        raise InvalidInput(f"{path}: is not a file", hint="Give the path of a CSV file.")
    try:
        df = pl.read_csv(path, infer_schema_length=None, null_values=_NULL_VALUES, try_parse_dates=False)
    except pl.exceptions.NoDataError:
        raise InvalidInput(f"{path}: the file is empty", hint="Give a CSV file with a header row.") from None
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InvalidInput(
            f"{path}: cannot be read as CSV ({first})", hint="Save it as comma-separated UTF-8 text."
        ) from None
    for name in columns:
        if name is not None and name not in df.columns:
            shown = ", ".join(f"'{c}'" for c in df.columns[:20])
            more = f" and {len(df.columns) - 20} more" if len(df.columns) > 20 else ""
            raise InvalidInput(
                f"{path}: column '{name}' not found (the columns are {shown}{more})",
                hint="Name the right column with the command's options (see --help).",
            )
    for name in numeric:
        if name is not None:
            _check_numeric(path, df, name)
    return df


def _check_numeric(path: Path, df: pl.DataFrame, name: str) -> None:
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
        f"{path}: column '{name}' must be numeric, but line {first + 2} holds {value!r}{more}",
        hint="Leave missing values empty or write NA.",
    )


def _as_numbers(df: pl.DataFrame, names: Sequence[str | None]) -> pl.DataFrame:
    """Cast checked string columns (numbers with stray spaces) to Float64."""
    casts = [
        pl.col(n).cast(pl.String).str.strip_chars().cast(pl.Float64)
        for n in dict.fromkeys(names)
        if n is not None and not (df.schema[n].is_numeric() or df.schema[n] == pl.Null)
    ]
    return df.with_columns(casts) if casts else df


def _call(path: Path, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call one statistics function, turning a ``ValueError`` into :class:`InvalidInput` naming the file.

    Warnings (an SII left out for a group with missing quantiles, say) are printed to stderr as one
    line each: the analyst must see them, but they do not stop the output.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = function(*args, **kwargs)
        for warning in caught:
            typer.secho(f"Warning: {warning.message}", fg="yellow", err=True)
        return result
    except (ValueError, pl.exceptions.PolarsError) as error:
        # PolarsError: data Polars cannot handle as asked (a column of the wrong type for a join, say).
        message = str(error).strip().splitlines()[0] if str(error).strip() else "invalid input"
        hint = _ROWS_HINT if " row" in message else None
        raise InvalidInput(f"{path}: {message}", hint=hint) from None


def _confidence(values: Sequence[float] | None) -> float | list[float]:
    """One level as a float (single ``lowercl``/``uppercl`` columns), several as a list."""
    chosen = list(values or [0.95])
    return chosen[0] if len(chosen) == 1 else chosen


def _write(result: pl.DataFrame | pl.LazyFrame, output: Path | None) -> None:
    """Write the result as CSV to ``output`` (atomically) or to standard output."""
    df = result.collect() if isinstance(result, pl.LazyFrame) else result
    write_output(df.write_csv(), output)
    if output is not None:
        typer.echo(f"Wrote {df.height:,} rows to {output}", err=True)


# --- commands ---------------------------------------------------------------------------------------


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

    df = _as_numbers(_read(input, [x, n, *(group_by or [])], [x, n]), [x, n])
    result = _call(
        input,
        proportion,
        df,
        x,
        n,
        confidence=_confidence(confidence),
        multiplier=multiplier,
        group_by=group_by,
    )
    _write(result, output)


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

    df = _as_numbers(_read(input, [x, n, *(group_by or [])], [x, n]), [x, n])
    result = _call(input, rate, df, x, n, confidence=_confidence(confidence), multiplier=multiplier, group_by=group_by)
    _write(result, output)


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

    df = _as_numbers(_read(input, [value, *(group_by or [])], [value]), [value])
    result = _call(input, mean, df, value, confidence=_confidence(confidence), group_by=group_by)
    _write(result, output)


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

    numeric = [x, n, stdpop, eventfreq]
    # The age band column is needed to join ESP2013 and to group non-independent events by band.
    band = ageband if stdpop is None or eventfreq is not None else None
    df = _as_numbers(_read(input, [*numeric, band, *(group_by or [])], numeric), numeric)
    result = _call(
        input,
        dsr,
        df,
        x,
        n,
        stdpop=stdpop,
        group_by=group_by,
        confidence=_confidence(confidence),
        multiplier=multiplier,
        independent_events=eventfreq is None,
        eventfreq=eventfreq,
        ageband=band,
    )
    _write(result, output)


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

    numeric = [x, n, x_ref, n_ref]
    df = _as_numbers(_read(input, [*numeric, *(group_by or [])], numeric), numeric)
    level = _confidence(confidence)
    if ratio:
        result = _call(input, isratio, df, x, n, x_ref, n_ref, group_by=group_by, confidence=level, refvalue=refvalue)
    else:
        result = _call(input, isr, df, x, n, x_ref, n_ref, group_by=group_by, confidence=level, multiplier=multiplier)
    _write(result, output)


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
    numeric = [quantile, population, value, x, lower, upper, se]
    df = _as_numbers(_read(input, [*numeric, *(group_by or [])], numeric), numeric)
    result = _call(
        input,
        sii,
        df,
        quantile_col=quantile,
        population=population,
        value=value,
        x=x,
        value_type=_VALUE_TYPES[value_type],
        lower=lower,
        upper=upper,
        se=se,
        limits_level=limits_level,
        multiplier=multiplier,
        group_by=group_by,
        confidence=_confidence(confidence),
        repetitions=repetitions,
        rii=rii,
        intercept=intercept,
        transform=transform,
        seed=seed,
    )
    _write(result, output)


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

    df = _as_numbers(_read(input, [value, invert_column, *(group_by or [])], [value]), [value])
    result = _call(
        input,
        quantile,
        df,
        value,
        group_by=group_by,
        nquantiles=nquantiles,
        invert=invert_column if invert_column is not None else invert,
    )
    _write(result, output)


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
    """Gaps with intervals: --subject vs --comparator of --category (group_gap), --subject vs the
    --rest or a --parent area (area_vs_rest), or the most deprived --quantile vs the rest
    (deprived_vs_rest). Gives the difference and the ratio, one row per group.
    """
    from gapwatch.stats.gaps import area_vs_rest, deprived_vs_rest, group_gap

    if measure not in ("proportion", "rate"):
        raise InvalidInput(f"--measure: {measure!r} is not 'proportion' or 'rate'", hint="Use --measure rate, …")
    level = _confidence(confidence)
    common: dict[str, Any] = {
        "x": x,
        "n": n,
        "measure": measure,
        "group_by": group_by,
        "multiplier": multiplier,
    }
    common["confidence"] = level
    if quantile is not None:
        df = _as_numbers(_read(input, [x, n, quantile, *(group_by or [])], [x, n, quantile]), [x, n, quantile])
        result = _call(input, deprived_vs_rest, df, quantile_col=quantile, deprived=tuple(deprived or [1]), **common)
        _write(result, output)
        return
    if category is None or not subject:
        raise InvalidInput(
            "gap: say what to compare",
            hint="Give --category and --subject with --comparator, --rest or --parent; or --quantile.",
        )
    chosen = [comparator is not None, rest, parent is not None]
    if sum(chosen) != 1:
        raise InvalidInput("gap: give exactly one of --comparator, --rest or --parent", hint="See --help.")
    df = _as_numbers(_read(input, [x, n, category, *(group_by or [])], [x, n]), [x, n])
    # Labels on the command line are text: compare them with the column as text (codes like 1 or E07000110).
    df = df.with_columns(pl.col(category).cast(pl.String))
    if comparator is not None:
        if len(subject) != 1:
            raise InvalidInput("gap: give one --subject with --comparator", hint="Use --rest for several.")
        result = _call(input, group_gap, df, category_col=category, subject=subject[0], comparator=comparator, **common)
    elif rest:
        members = df.get_column(category).drop_nulls().unique(maintain_order=True).to_list()
        result = _call(input, area_vs_rest, df, area_col=category, subject_area=subject, members=members, **common)
    else:
        result = _call(input, area_vs_rest, df, area_col=category, subject_area=subject, parent_area=parent, **common)
    _write(result, output)


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
    """Recent trend over the last --points periods, one row per group (Fingertips trend markers:
    chi-squared test for trend); with --gap, whether a gap is narrowing or widening.
    """
    from gapwatch.stats.trends import gap_trend, recent_trend

    if gap is not None:
        gap_se = se if se is not None or lower is not None else "gap_se"
        numeric = [gap, gap_se, lower, upper]
        df = _as_numbers(_read(input, [period, *numeric, *(group_by or [])], numeric), numeric)
        result = _call(
            input,
            gap_trend,
            df,
            period_order_col=period,
            gap=gap,
            se=gap_se,
            lower=lower,
            upper=upper,
            limits_level=limits_level,
            group_by=group_by,
            points=points,
            confidence=0.95 if confidence is None else confidence,
        )
        _write(result, output)
        return
    if measure not in ("proportion", "rate", "value"):
        raise InvalidInput(f"--measure: {measure!r} is not proportion, rate or value", hint="See --help.")
    if measure == "value":
        x = n = None
    else:
        x, n = x or "numerator", n or "denominator"
    numeric = [x, n, value, se, lower, upper]
    df = _as_numbers(_read(input, [period, *numeric, *(group_by or [])], numeric), numeric)
    extra: dict[str, Any] = {} if confidence is None else {"confidence": confidence}
    result = _call(
        input,
        recent_trend,
        df,
        period_order_col=period,
        x=x,
        n=n,
        measure=measure,
        value=value,
        se=se,
        lower=lower,
        upper=upper,
        limits_level=limits_level,
        group_by=group_by,
        polarity=polarity,
        points=points,
        multiplier=multiplier,
        **extra,
    )
    _write(result, output)


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
    limits: Annotated[
        bool,
        typer.Option("--limits", help="Write the 100-point table of 95% and 99.8% control limits instead."),
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Funnel plots: each row's significance against the 95% and 99.8% limits at its own size
    (assign_funnel_significance), or with --limits the table of limits to draw (calculate_funnel_limits).
    """
    from gapwatch.stats.funnels import assign_funnel_significance, calculate_funnel_limits

    if statistic not in ("proportion", "ratio", "rate"):
        raise InvalidInput(f"--statistic: {statistic!r} is not proportion, ratio or rate", hint="See --help.")
    if n is None and statistic != "rate":
        n = "denominator"
    scale = multiplier if multiplier is not None else (100.0 if statistic == "proportion" else 100_000.0)
    numeric = [x, n, rate]
    df = _as_numbers(_read(input, numeric, numeric), numeric)
    rate_args: dict[str, Any] = {"rate": rate, "rate_type": rate_type} if statistic == "rate" else {}
    if limits:
        extra: dict[str, Any] = {"ratio_type": ratio_type} if statistic == "ratio" else {}
        if statistic == "rate":
            extra["years_of_data"] = years
        result = _call(
            input,
            calculate_funnel_limits,
            df,
            x,
            n,
            statistic=statistic,
            multiplier=scale,
            **rate_args,
            **extra,
        )
    else:
        result = _call(input, assign_funnel_significance, df, x, n, statistic=statistic, multiplier=scale, **rate_args)
    _write(result, output)
