"""Age-standardised rates: direct (DSR, Dobson's method) and indirect (ISR and the standardised ratio).

Standardisation removes the effect of different age structures, so that a deprived area with a young
population can be compared fairly with an affluent, older one. Methods as OHID Fingertips' technical
guidance and PHEindicatormethods (``calculate_dsr``, ``calculate_ISRate``, ``calculate_ISRatio``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from gapwatch.stats._confidence import ConfidenceArg, cl_column_names
from gapwatch.stats._validate import (
    FrameT,
    add_results,
    as_float_array,
    check_non_negative,
    check_numeric,
    check_positive,
    collect,
    confidence_label,
    format_number,
    require_columns,
    restore,
    validate_group_by,
)
from gapwatch.stats.esp2013 import ESP2013
from gapwatch.stats.rates import byars_limits, poisson_limit_columns, poisson_method

__all__ = ["DSR_MIN_COUNT", "dsr", "isr", "isratio"]

#: Below this many events a DSR is not published (Fingertips; PHEindicatormethods).
DSR_MIN_COUNT = 10

_STDPOP = "__stdpop"
_XREF = "__x_ref"
_NREF = "__n_ref"
_POS = "__position"

StdPopArg = str | Sequence[float] | None


def _describe_group(row: dict[str, object], keys: Sequence[str]) -> str:
    return ", ".join(f"{k}={row[k]!r}" for k in keys)


def _attach_by_position(
    data: pl.DataFrame, keys: list[str], values: Sequence[float], name: str, label: str
) -> pl.DataFrame:
    """Attach a vector to every group by row position, after checking each group has that many rows."""
    size = len(values)
    if keys:
        sizes = data.group_by(keys, maintain_order=True).len()
        wrong = sizes.filter(pl.col("len") != size)
        if wrong.height:
            first = wrong.row(0, named=True)
            raise ValueError(
                f"group ({_describe_group(first, keys)}) has {first['len']} rows but {label} has {size} "
                "values; "
                "each group needs one row per value, in the same order"
            )
        position = pl.int_range(pl.len()).over(keys)
    else:
        if data.height != size:
            raise ValueError(f"the data has {data.height} rows but {label} has {size} values")
        position = pl.int_range(pl.len())
    lookup = pl.DataFrame({_POS: np.arange(size, dtype=np.int64), name: np.asarray(values, dtype=np.float64)})
    return (
        data.with_columns(position.cast(pl.Int64).alias(_POS))
        .join(lookup, on=_POS, how="left", maintain_order="left")
        .drop(_POS)
    )


def _check_vector(values: Sequence[float], name: str, *, allow_zero: bool) -> None:
    arr = np.asarray(values, dtype=np.float64)
    bad = (arr < 0) if allow_zero else (arr <= 0)
    if bad.any():
        shown = ", ".join(str(int(i)) for i in np.flatnonzero(bad)[:5])
        kind = "negative" if allow_zero else "zero or negative"
        raise ValueError(f"{name}: {kind} values at positions {shown}")


def _standard_population(data: pl.DataFrame, keys: list[str], stdpop: StdPopArg, eventfreq: str | None) -> pl.DataFrame:
    if isinstance(stdpop, str):
        require_columns(data, stdpop)
        check_numeric(data, stdpop)
        check_non_negative(data, stdpop)
        return data.with_columns(pl.col(stdpop).cast(pl.Float64).alias(_STDPOP))
    values = ESP2013 if stdpop is None else stdpop
    _check_vector(values, "stdpop", allow_zero=True)
    position_keys = keys + ([eventfreq] if eventfreq is not None else [])
    label = "the standard population (ESP2013)" if stdpop is None else "stdpop"
    return _attach_by_position(data, position_keys, [float(v) for v in values], _STDPOP, label)


def dsr(
    df: FrameT,
    x: str,
    n: str,
    *,
    stdpop: StdPopArg = None,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100000,
    independent_events: bool = True,
    eventfreq: str | None = None,
    ageband: str | None = None,
) -> FrameT:
    """Directly standardised rates with Dobson's confidence limits, one row per group.

    Why: a DSR answers "what would this area's rate be if it had the standard population's age mix",
    the usual way to compare mortality and admissions between areas. Method: DSR = Σ wᵢxᵢ/nᵢ / Σ wᵢ;
    the limits scale the Byar's limits of the total count O by √(var(DSR)/O) (Dobson et al. 1991,
    Byar in Breslow & Day 1987); Fingertips technical guidance; PHEindicatormethods ``calculate_dsr``.
    With fewer than 10 events in all the rate is unreliable: value and limits are null and
    ``statistic`` says "dsr NA for total count < 10".

    ``stdpop`` is a column name, a sequence of standard populations attached by position within each
    group, or None for the 19-band ESP2013 (0-4 … 90+) attached by position: rows must then be in age
    order, one per band. A missing count counts as 0.

    Non-independent events (``independent_events=False``, e.g. people admitted more than once): rows are
    broken down by ``eventfreq`` (events per person) within each ``ageband``, and ``x`` is the number of
    people with that many events. Events are Σ eventfreq·x and the variance uses Σ eventfreq²·x (Fingertips
    technical guidance, DSR chapter); ``n`` and ``stdpop`` repeat on each frequency row of an age band.

    Raises ``ValueError`` for negative counts or standard populations and for zero or negative
    populations. Returns the group columns, ``total_count``, ``total_pop``, ``value``, the limit columns,
    ``confidence``, ``statistic`` ('dsr per 100000') and ``method`` ('Dobson').
    """
    keys: list[str] = validate_group_by(df, group_by)
    if not independent_events and (eventfreq is None or ageband is None):
        raise ValueError("non-independent events need both the eventfreq and the ageband columns")
    if independent_events:
        eventfreq = ageband = None
    require_columns(df, x, n, eventfreq, ageband)
    data = collect(df)
    check_numeric(data, x, n, eventfreq)
    check_non_negative(data, x, eventfreq)
    check_positive(data, n)
    data = _standard_population(data, keys, stdpop, eventfreq)

    count = pl.col(x).cast(pl.Float64).fill_null(0.0)
    if eventfreq is not None and ageband is not None:
        freq = pl.col(eventfreq).cast(pl.Float64)
        bands = data.group_by([*keys, ageband], maintain_order=True).agg(
            (count * freq).sum().alias("__events"),
            (count * freq * freq).sum().alias("__varterm"),
            pl.col(n).cast(pl.Float64).first().alias("__n"),
            pl.col(_STDPOP).first().alias("__w"),
        )
        method = "Dobson, with confidence adjusted for non-independent events"
    else:
        bands = data.select(
            *keys,
            count.alias("__events"),
            count.alias("__varterm"),
            pl.col(n).cast(pl.Float64).alias("__n"),
            pl.col(_STDPOP).alias("__w"),
        )
        method = "Dobson"
    w, events, nn = pl.col("__w"), pl.col("__events"), pl.col("__n")
    aggs = [
        events.sum().alias("total_count"),
        nn.sum().alias("total_pop"),
        (w * events / nn).sum().alias("__weighted"),
        (w * w * pl.col("__varterm") / (nn * nn)).sum().alias("__var"),
        w.sum().alias("__wsum"),
    ]
    grouped = bands.group_by(keys, maintain_order=True).agg(aggs) if keys else bands.select(aggs)

    total = as_float_array(grouped, "total_count")
    wsum = as_float_array(grouped, "__wsum")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = as_float_array(grouped, "__weighted") / wsum
        variance = as_float_array(grouped, "__var") / (wsum * wsum)
        ratio = np.sqrt(variance / total)
    reliable = total >= DSR_MIN_COUNT
    value = np.where(reliable, rate * multiplier, np.nan)
    limits: list[tuple[str, str, npt.ArrayLike, npt.ArrayLike]] = []
    for level, lower_name, upper_name in cl_column_names(confidence):
        o_lower, o_upper = byars_limits(total, level)
        lower = (rate + ratio * (o_lower - total)) * multiplier
        upper = (rate + ratio * (o_upper - total)) * multiplier
        limits.append((lower_name, upper_name, np.where(reliable, lower, np.nan), np.where(reliable, upper, np.nan)))
    statistic = pl.Series(
        "statistic",
        np.where(reliable, f"dsr per {format_number(multiplier)}", f"dsr NA for total count < {DSR_MIN_COUNT}"),
        dtype=pl.String,
    )
    out = add_results(
        grouped.drop("__weighted", "__var", "__wsum"),
        value,
        limits,
        confidence=confidence_label(confidence),
        statistic=statistic,
        method=method,
    )
    return restore(out, df)


RefArg = str | Sequence[float]


def _reference(data: pl.DataFrame, keys: list[str], ref: RefArg, name: str, target: str) -> pl.DataFrame:
    if isinstance(ref, str):
        require_columns(data, ref)
        check_numeric(data, ref)
        return data.with_columns(pl.col(ref).cast(pl.Float64).alias(target))
    _check_vector(ref, name, allow_zero=name == "x_ref")
    return _attach_by_position(data, keys, [float(v) for v in ref], target, name)


def _indirect(
    df: pl.DataFrame | pl.LazyFrame,
    x: str,
    n: str,
    x_ref: RefArg,
    n_ref: RefArg,
    keys: list[str],
    observed_totals: pl.DataFrame | pl.LazyFrame | None,
) -> pl.DataFrame:
    """Observed, expected and the reference rate (per 1) for each group."""
    require_columns(df, n)
    data = collect(df)
    check_numeric(data, n)
    check_non_negative(data, n)
    if observed_totals is None:
        require_columns(data, x)
        check_numeric(data, x)
        check_non_negative(data, x)
    data = _reference(data, keys, x_ref, "x_ref", _XREF)
    data = _reference(data, keys, n_ref, "n_ref", _NREF)
    if isinstance(x_ref, str):
        check_non_negative(data, x_ref)
    if isinstance(n_ref, str):
        check_positive(data, n_ref)
    aggs = [
        (pl.col(n).cast(pl.Float64) * pl.col(_XREF) / pl.col(_NREF)).sum().alias("expected"),
        (pl.col(_XREF).sum() / pl.col(_NREF).sum()).alias("__ref_rate"),
    ]
    if observed_totals is None:
        aggs.insert(0, pl.col(x).cast(pl.Float64).fill_null(0.0).sum().alias("observed"))
    grouped = data.group_by(keys, maintain_order=True).agg(aggs) if keys else data.select(aggs)
    if observed_totals is not None:
        totals = collect(observed_totals)
        require_columns(totals, *keys, x)
        check_numeric(totals, x)
        check_non_negative(totals, x)
        totals = totals.select(*keys, pl.col(x).cast(pl.Float64).alias("observed"))
        if keys:
            grouped = grouped.join(totals, on=keys, how="left", maintain_order="left")
        else:
            if totals.height != 1:
                raise ValueError("observed_totals: without group_by it must hold exactly one row")
            grouped = grouped.with_columns(totals.get_column("observed"))
        grouped = grouped.select(*keys, "observed", "expected", "__ref_rate")
    return grouped


def isr(
    df: FrameT,
    x: str,
    n: str,
    x_ref: RefArg,
    n_ref: RefArg,
    *,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    multiplier: float = 100000,
    observed_totals: pl.DataFrame | pl.LazyFrame | None = None,
) -> FrameT:
    """Indirectly standardised rates, one row per group.

    Why: when local age-specific counts are too small or missing, the reference population's age-specific
    rates give the expected count E = Σ nᵢ·x_refᵢ/n_refᵢ, and ISR = O/E × the reference crude rate.
    Limits: exact (O < 10) or Byar's limits of O, divided by E and scaled the same way (Breslow & Day
    1987); Fingertips technical guidance; PHEindicatormethods ``calculate_ISRate``.

    ``x_ref`` and ``n_ref`` are columns, or sequences attached by position within each group. A zero local
    population in an age band is allowed (it adds nothing to E). With ``observed_totals``, a frame holding
    the group columns and a column named ``x``, the observed totals come from there instead of summing
    ``x`` over age bands. Returns the group columns, ``observed``, ``expected``, ``ref_rate``, ``value``,
    the limit columns, ``confidence``, ``statistic`` ('indirectly standardised rate per 100000') and
    ``method`` ('Exact' or 'Byars').
    """
    keys: list[str] = validate_group_by(df, group_by)
    grouped = _indirect(df, x, n, x_ref, n_ref, keys, observed_totals)
    observed = as_float_array(grouped, "observed")
    expected = as_float_array(grouped, "expected")
    ref_rate = as_float_array(grouped, "__ref_rate") * multiplier
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = ref_rate / expected
    out = add_results(
        grouped.drop("__ref_rate").with_columns(pl.Series("ref_rate", ref_rate, dtype=pl.Float64)),
        observed * scale,
        poisson_limit_columns(observed, scale, confidence),
        confidence=confidence_label(confidence),
        statistic=f"indirectly standardised rate per {format_number(multiplier)}",
        method=poisson_method(observed),
    )
    return restore(out, df)


def isratio(
    df: FrameT,
    x: str,
    n: str,
    x_ref: RefArg,
    n_ref: RefArg,
    *,
    group_by: Sequence[str] | None = None,
    confidence: ConfidenceArg = 0.95,
    refvalue: float = 1,
    observed_totals: pl.DataFrame | pl.LazyFrame | None = None,
) -> FrameT:
    """Indirectly standardised ratios (O/E × refvalue, the SMR when refvalue is 100), one row per group.

    Why: the ratio says how many more (or fewer) events an area had than its age mix predicts from the
    reference rates. Method as :func:`isr`: exact or Byar's limits of O divided by E (Breslow & Day
    1987); Fingertips technical guidance; PHEindicatormethods ``calculate_ISRatio``. Returns the group
    columns, ``observed``, ``expected``, ``value``, the limit columns, ``confidence``, ``statistic``
    ('indirectly standardised ratio x 100') and ``method``.
    """
    keys: list[str] = validate_group_by(df, group_by)
    grouped = _indirect(df, x, n, x_ref, n_ref, keys, observed_totals)
    observed = as_float_array(grouped, "observed")
    expected = as_float_array(grouped, "expected")
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = refvalue / expected
    out = add_results(
        grouped.drop("__ref_rate"),
        observed * scale,
        poisson_limit_columns(observed, np.asarray(scale, dtype=np.float64), confidence),
        confidence=confidence_label(confidence),
        statistic=f"indirectly standardised ratio x {format_number(refvalue)}",
        method=poisson_method(observed),
    )
    return restore(out, df)
