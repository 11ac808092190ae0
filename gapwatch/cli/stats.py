"""``gapwatch stats``: the statistics engine on a table, for analysts.

``gapwatch stats METHOD INPUT [options] [-o OUTPUT]`` reads a CSV or Parquet file (``-``: CSV on standard
input) with Polars, calls one function of :mod:`gapwatch.stats` and writes the input with the result columns
added (CSV to stdout when ``-o`` is omitted or ``-``; Parquet when OUTPUT ends ``.parquet``). Result columns
are named as PHEindicatormethods names them: ``value``, ``lowercl``/``uppercl`` for one confidence level,
``lower95_0cl``/``upper95_0cl``, ``lower99_8cl``/``upper99_8cl`` … for several, then ``confidence``,
``statistic`` and ``method``.

The commands are thin: parse, call, write. Reading, checking, calling and writing, with the conventions every
command shares (spreadsheet row numbers, blanks warned, infinite values and clashing columns refused), are in
:mod:`gapwatch.cli._stats_input`; files in :mod:`gapwatch.cli._tables`. Bad input becomes
:class:`~gapwatch.errors.InvalidInput` naming the file, the column and the rows; ``gapwatch.cli.main`` prints
it as one red line and exits with code 1.

Polars and the statistics are imported inside the functions that use them, so that ``gapwatch --help``
answers quickly (see ``tests/cli/test_startup.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gapwatch.cli._stats_input import (
    ConfidenceOpt,
    DenominatorOpt,
    GroupByOpt,
    Input,
    InputArg,
    NumeratorOpt,
    OutputOpt,
    ValueOpt,
    call,
    confidence_arg,
    load,
    one_of,
    positive,
    read,
    write,
)
from gapwatch.cli._tables import source_name, write_table
from gapwatch.errors import InvalidInput

if TYPE_CHECKING:
    import polars as pl

__all__ = ["app"]

app = typer.Typer(
    name="stats",
    help="Indicator statistics on a CSV or Parquet file: values with confidence intervals, standardised rates, "
    "life expectancy, gaps, inequality (SII/RII), trends, SPC charts, funnel limits, benchmark comparisons and "
    "target status. The result columns are added to the input.\n\n"
    "Files: INPUT and --output are CSV, or Parquet when the name ends .parquet; - reads CSV from standard input, "
    "and without --output (or with -o -) the result goes to standard output as CSV.\n\n"
    "Conventions: rows are numbered as a spreadsheet shows the file (the header is row 1, the first data row is "
    "row 2). Blank, NA or NaN values give blank results, with a warning on stderr naming the rows. Infinite "
    "values and multipliers of zero or below are refused. A result column never overwrites an input column of "
    "the same name: the command stops and names it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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
    _x_over_n("proportions", "proportion", input, x, n, group_by, confidence, multiplier, output)


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
    _x_over_n("rates", "rate", input, x, n, group_by, confidence, multiplier, output)


def _x_over_n(
    module: str,
    kind: str,
    input: Path,
    x: str,
    n: str,
    group_by: list[str] | None,
    confidence: Sequence[float] | None,
    multiplier: float,
    output: Path | None,
) -> None:
    """The shared body of the x / n commands (proportion, rate): load, compute with intervals, write.

    ``gapwatch.stats.<module>.<kind>`` is imported while the file is read in a second thread: Polars reads
    and parses without holding the GIL, so on two cores the import of the statistics (SciPy's special
    functions, about 0.2 s) costs no wall time (bench/bench_cli.py). Polars itself is imported first, in this
    thread, so that the two threads never wait on each other's imports.
    """
    import importlib
    from concurrent.futures import ThreadPoolExecutor

    import polars  # noqa: F401  (see above)

    positive("--multiplier", multiplier)
    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(load, input, [x, n, *(group_by or [])], [x, n])
        method = getattr(importlib.import_module(f"gapwatch.stats.{module}"), kind)
        data = reading.result()
    result = call(
        input,
        method,
        data.frame,
        data(x),
        data(n),
        confidence=confidence_arg(confidence),
        multiplier=multiplier,
        group_by=data.many(group_by),
    )
    write(data.result(result, kind), output)


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

    one_of("--method", method, COUNT_METHODS)
    data = load(input, [x, *(group_by or [])], [x])
    result = call(
        input, count_ci, data.frame, data(x), confidence=confidence_arg(confidence), group_by=data.many(group_by),
        method=method,
    )  # fmt: skip
    write(data.result(result, "count"), output)


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

    data = load(input, [value, *(group_by or [])], [value])
    result = call(
        input, mean, data.frame, data(value), confidence=confidence_arg(confidence), group_by=data.many(group_by)
    )
    write(data.result(result, "mean"), output)


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

    positive("--multiplier", multiplier)
    numeric = [x, n, stdpop, eventfreq]
    # The age band column is needed to join ESP2013 and to group non-independent events by band.
    band = ageband if stdpop is None or eventfreq is not None else None
    data = load(input, [*numeric, band, *(group_by or [])], numeric)
    result = call(
        input,
        dsr,
        data.frame,
        data(x),
        data(n),
        stdpop=data(stdpop),
        group_by=data.many(group_by),
        confidence=confidence_arg(confidence),
        multiplier=multiplier,
        independent_events=eventfreq is None,
        eventfreq=data(eventfreq),
        ageband=data(band),
    )
    write(data.result(result, "dsr"), output)


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

    positive("--multiplier", multiplier)
    positive("--refvalue", refvalue)
    numeric = [x, n, x_ref, n_ref]
    data = load(input, [*numeric, *(group_by or [])], numeric)
    level = confidence_arg(confidence)
    columns = (data.frame, data(x), data(n), data(x_ref), data(n_ref))
    keys = data.many(group_by)
    if ratio:
        result = call(input, isratio, *columns, group_by=keys, confidence=level, refvalue=refvalue)
    else:
        result = call(input, isr, *columns, group_by=keys, confidence=level, multiplier=multiplier)
    write(data.result(result, "isr"), output)


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
    data = load(input, [age, pops, deaths, *(group_by or [])], [pops, deaths])
    result = call(
        input, life_expectancy, data.frame, data(age), data(pops), data(deaths), group_by=data.many(group_by),
        confidence=confidence_arg(confidence), le_age=ages,
    )  # fmt: skip
    write(data.result(result, "life-expectancy"), output)


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
    data = load(input, [*numeric, *(group_by or [])], numeric)
    result = call(
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
        confidence=confidence_arg(confidence),
        repetitions=repetitions,
        rii=rii,
        intercept=intercept,
        transform=transform,
        seed=seed,
    )
    write(data.result(result, "sii"), output)


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

    data = load(input, [value, invert_column, *(group_by or [])], [value])
    result = call(
        input,
        quantile,
        data.frame,
        data(value),
        group_by=data.many(group_by),
        nquantiles=nquantiles,
        invert=data(invert_column) if invert_column is not None else invert,
    )
    write(data.result(result, "quantile"), output)


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
    positive("--multiplier", multiplier)
    if quantile is not None:
        data = load(input, [x, n, quantile, *(group_by or [])], [x, n, quantile])
    else:
        if category is None or not subject:
            raise InvalidInput(
                "gap: say what to compare",
                hint="Give --category and --subject with --comparator, --rest or --parent; or --quantile.",
            )
        if sum([comparator is not None, rest, parent is not None]) != 1:
            raise InvalidInput("gap: give exactly one of --comparator, --rest or --parent", hint="See --help.")
        data = load(input, [x, n, category, *(group_by or [])], [x, n])
    common: dict[str, Any] = {
        "x": data(x),
        "n": data(n),
        "measure": measure,
        "group_by": data.many(group_by),
        "multiplier": multiplier,
        "confidence": confidence_arg(confidence),
    }
    if quantile is not None:
        result = call(
            input, deprived_vs_rest, data.frame, quantile_col=data(quantile), deprived=tuple(deprived or [1]), **common
        )
        write(data.result(result, "gap"), output)
        return
    assert category is not None and subject  # checked above
    # Labels on the command line are text: compare them with the column as text (codes like 1 or E07000110).
    df = data.frame.with_columns(pl.col(data(category)).cast(pl.String))
    if comparator is not None:
        if len(subject) != 1:
            raise InvalidInput("gap: give one --subject with --comparator", hint="Use --rest for several.")
        result = call(
            input, group_gap, df, category_col=data(category), subject=subject[0], comparator=comparator, **common
        )
    elif rest:
        members = df.get_column(data(category)).drop_nulls().unique(maintain_order=True).to_list()
        result = call(input, area_vs_rest, df, area_col=data(category), subject_area=subject, members=members, **common)
    else:
        result = call(
            input, area_vs_rest, df, area_col=data(category), subject_area=subject, parent_area=parent, **common
        )
    write(data.result(result, "gap"), output)


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

    positive("--multiplier", multiplier)
    if gap is not None:
        gap_se = se if se is not None or lower is not None else "gap_se"
        numeric = [gap, gap_se, lower, upper]
        data = load(input, [period, *numeric, *(group_by or [])], numeric)
        result = call(
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
        write(data.result(result, "trend"), output)
        return
    if measure not in ("proportion", "rate", "value"):
        raise InvalidInput(f"--measure: {measure!r} is not proportion, rate or value", hint="See --help.")
    if measure == "value":
        x = n = None
    else:
        x, n = x or "numerator", n or "denominator"
    numeric = [x, n, value, se, lower, upper]
    data = load(input, [period, *numeric, *(group_by or [])], numeric)
    extra: dict[str, Any] = {} if confidence is None else {"confidence": confidence}
    result = call(
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
    write(data.result(result, "trend"), output)


def _period_value(data: Input, column: str, text: str, option: str) -> Any:
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
    data = load(input, [value, period, rebase_column, *(group_by or [])], [value], operands=[target])
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
    result = call(
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
    table = call(input, spc_summary, points, value, period, group_by=group_by, target=target_out)
    write(points, output)
    if summary is not None:
        write_table(table, summary)
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

    one_of("--statistic", statistic, ("proportion", "ratio", "rate"))
    one_of("--overdispersion", overdispersion, ("none", "multiplicative", "additive"))
    positive("--multiplier", multiplier)
    positive("--years", years)
    if n is None and statistic != "rate":
        n = "denominator"
    scale = multiplier if multiplier is not None else (100.0 if statistic == "proportion" else 100_000.0)
    data = load(input, [x, n, rate], [x, n, rate])
    levels = list(confidence or DEFAULT_FUNNEL_LEVELS)
    rate_args: dict[str, Any] = {"rate": data(rate), "rate_type": rate_type} if statistic == "rate" else {}
    spread: dict[str, Any] = {"overdispersion": overdispersion, "winsorise": winsorise}
    if overdispersion != "none":
        extra_rate = {"multiplier": scale} if statistic == "rate" else {}
        found = call(
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
        table = call(
            input, calculate_funnel_limits, data.frame, data(x), data(n), statistic=statistic, multiplier=scale,
            confidence=levels, **rate_args, **extra, **spread,
        )  # fmt: skip
        write(data.result(table, "funnel"), output)
        return
    result = call(
        input, assign_funnel_significance, data.frame, data(x), data(n), statistic=statistic, multiplier=scale,
        confidence=levels, **rate_args, **spread,
    )  # fmt: skip
    write(data.result(result, "funnel"), output)


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
    table = read(input, [value])
    header = table.columns
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
                f"{source_name(input)}: no confidence limit columns found (lowercl/uppercl, lower95_0cl/upper95_0cl …)",
                hint="Name them with --lower and --upper.",
            )
    limit_columns = [c for pair in pairs for c in pair[:2]]
    data = load(input, [value, *limit_columns], [value, *limit_columns], operands=[benchmark], frame=table)
    bench = data.number_or_column(benchmark, "--benchmark")
    result: pl.DataFrame = data.frame
    for lo, hi, label in pairs:
        result = call(
            input, compare_to_benchmark, result, benchmark=bench, polarity=data.column_or_value(polarity),
            value=data(value), lower=data(lo), upper=data(hi), level_label=label,
        )  # fmt: skip
    write(data.result(result, "compare"), output)


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
    data = load(input, numeric, numeric, operands=[baseline_value, baseline_period, target_value, target_period])
    operands = {
        "baseline_value": data.number_or_column(baseline_value, "--baseline-value"),
        "baseline_period_index": data.number_or_column(baseline_period, "--baseline-period"),
        "target_value": data.number_or_column(target_value, "--target-value"),
        "target_period_index": data.number_or_column(target_period, "--target-period"),
    }
    result = call(
        input, level_target_status, data.frame, value=data(value), period_index=data(period), lower=data(lower),
        upper=data(upper), polarity=data.column_or_value(polarity), **operands,
    )  # fmt: skip
    write(data.result(result, "target"), output)


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
    data = load(input, numeric, numeric, operands=[baseline_gap, baseline_period, target_period])
    result = call(
        input, gap_closing_status, data.frame, gap=data(gap), period_index=data(period),
        baseline_gap=data.number_or_column(baseline_gap, "--baseline-gap"),
        baseline_period_index=data.number_or_column(baseline_period, "--baseline-period"),
        target_period_index=data.number_or_column(target_period, "--target-period"),
        reduction=data.column_or_value(reduction), lower=data(lower), upper=data(upper),
    )  # fmt: skip
    write(data.result(result, "gap-target"), output)


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

    data = load(input, [achieved, share, *(group_by or [])], [share], operands=[total])
    reward = data.number_or_column(total, "--total")
    if isinstance(reward, float):
        positive("--total", reward)
    result = call(
        input, reward_share, data.frame, achieved_col=data(achieved), share_col=data(share), total_reward=reward,
        group_by=data.many(group_by),
    )  # fmt: skip
    write(data.result(result, "reward"), output)
