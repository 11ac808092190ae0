"""An area against its comparators: a comparator group, England and its region, at the area's latest period.

The one place where a comparator group's value, the area's rank in it and the area's significance against
each benchmark are decided; the indicator page, the gap page, the API and the command line all show this.

Methods:

* **The group's value** comes from the members' *summed* numerators and denominators, never from averaging
  their rates (an average of rates weights a small authority like a large one): a proportion gets Wilson
  score limits, a rate exact Poisson / Byar's limits, a count Poisson limits — the indicator's own interval
  method (:func:`~gapwatch.stats.proportions.proportion`, :func:`~gapwatch.stats.rates.rate`,
  :func:`~gapwatch.stats.rates.count_ci`; PHEindicatormethods, Fingertips technical guidance). Members without
  a count and denominator for the period are left out of the sum and listed; measures that cannot be summed
  (means, scores, standardised rates, ratios, gaps) get no group value and say so.
* **Significance** against the group, England and the region is the benchmark rule the rest of gapwatch uses
  (:func:`~gapwatch.stats.comparison.compare_to_benchmark`, Fingertips): the area is better or worse only
  when the benchmark lies outside the area's 95% interval, otherwise similar.
* **Rank**: the area and every member with a value at the period, 1 = best by the indicator's polarity
  (highest first when higher is better, lowest first when lower is better, highest first with no judgement);
  equal values share the lower rank ("min" ranking) and are marked tied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from gapwatch.analysis.frame import finite, period_index
from gapwatch.analysis.verdicts import LEVELS, TestKind
from gapwatch.domain.comparators import ComparatorGroup
from gapwatch.domain.indicators import Indicator, MeasureType, Polarity
from gapwatch.stats.comparison import NOT_COMPARED, compare_to_benchmark
from gapwatch.stats.proportions import proportion
from gapwatch.stats.rates import count_ci, rate

__all__ = [
    "BENCHMARK_KINDS",
    "Benchmark",
    "BenchmarkPoint",
    "ComparatorResult",
    "MemberValue",
    "compare_with_comparators",
]

#: What members can be coloured against: the group's summed value, England, or the area's region.
BENCHMARK_KINDS: tuple[str, ...] = ("group", "england", "region")

_SUMMABLE = {MeasureType.PROPORTION, MeasureType.RATE, MeasureType.COUNT}


@dataclass(frozen=True)
class Benchmark:
    """A benchmark value at the period and how the area compares with it."""

    kind: str  #: "group", "england" or "region"
    code: str | None  #: the area's GSS code, or the group's id
    name: str
    value: float | None
    lower: float | None
    upper: float | None
    count: float | None = None
    denominator: float | None = None
    members_used: int | None = None  #: for a group: members whose counts were summed
    members_total: int | None = None
    comparison: str = NOT_COMPARED  #: the area against this benchmark: better / similar / worse …
    reason: str | None = None  #: why there is no value or no comparison


@dataclass(frozen=True)
class BenchmarkPoint:
    """A benchmark's value at one period of the area's series: the lines beside the area's own on its trend chart.
    A group's point comes from its members' summed counts at that period, like its latest value."""

    kind: str  #: "group", "england" or "region"
    code: str | None
    name: str
    period: str
    value: float | None
    lower: float | None
    upper: float | None
    members_used: int | None = None
    members_total: int | None = None


@dataclass(frozen=True)
class MemberValue:
    """One area of the ranking (the chosen area or a group member) at the period."""

    area: str
    name: str
    value: float | None
    lower: float | None
    upper: float | None
    count: float | None
    denominator: float | None
    rank: int | None
    tied: bool
    comparison: str  #: against the chosen colouring benchmark
    is_subject: bool = False
    closeness: str | None = None
    illustrative: bool = False


@dataclass(frozen=True)
class ComparatorResult:
    """An area against a comparator group, England and its region, with its rank in the group."""

    indicator: str
    area: str | None
    area_name: str | None
    period: str | None
    value: float | None
    lower: float | None
    upper: float | None
    group: str | None
    group_name: str | None
    benchmarks: list[Benchmark]
    rank: int | None
    rank_of: int
    tied: bool
    rank_order: str  #: what rank 1 means
    colour_against: str
    members: list[MemberValue]
    level: float = LEVELS[TestKind.BENCHMARK]
    method: str = (
        "group value from summed numerators and denominators with the indicator's interval method; "
        "significance: benchmark outside the area's 95% interval (Fingertips)"
    )
    missing: list[str] = field(default_factory=list)  #: members with no value at the period
    notes: list[str] = field(default_factory=list)
    series: list[BenchmarkPoint] = field(default_factory=list)  #: each benchmark at every period of the area

    def benchmark(self, kind: str) -> Benchmark | None:
        """The benchmark of one kind, if present."""
        return next((b for b in self.benchmarks if b.kind == kind), None)


def _latest(rows: pl.DataFrame, area: str) -> str | None:
    own = rows.filter(pl.col("area") == area)
    if own.height == 0:
        return None
    keyed = own.with_columns(pl.col("period").map_elements(period_index, return_dtype=pl.Float64).alias("_t"))
    return str(keyed.sort("_t", nulls_last=False).get_column("period")[-1])


def _summed_by_period(ind: Indicator, rows: pl.DataFrame, members: Sequence[str]) -> tuple[pl.DataFrame, str | None]:
    """Per period: the members' summed count and denominator (``used`` members) with the indicator's interval
    method (``value``, ``lowercl``, ``uppercl``), or why a group value cannot be formed. One code path for the
    group's latest value and its line on the trend chart."""
    if ind.measure not in _SUMMABLE:
        return pl.DataFrame(), (
            f"a group value needs counts that can be summed; a {ind.measure.value.replace('_', ' ')} cannot be "
            "(and averaging the members' values would weight a small area like a large one)"
        )
    usable = rows.filter(pl.col("area").is_in(list(members)) & pl.col("count").is_not_null() & (pl.col("count") >= 0))
    if ind.measure is not MeasureType.COUNT:
        usable = usable.filter(pl.col("denominator").is_not_null() & (pl.col("denominator") > 0))
    if ind.measure is MeasureType.PROPORTION:
        usable = usable.filter(pl.col("count") <= pl.col("denominator"))
    usable = usable.unique(["area", "period"], keep="first", maintain_order=True)
    if usable.height == 0:
        return pl.DataFrame(), "no member has a count and denominator for this period"
    summed = usable.group_by("period", maintain_order=True).agg(
        pl.col("count").sum(), pl.col("denominator").sum(), pl.len().cast(pl.Int64).alias("used")
    )
    if ind.measure is MeasureType.PROPORTION:
        done = proportion(summed, "count", "denominator", multiplier=ind.multiplier)
    elif ind.measure is MeasureType.RATE:
        done = rate(summed, "count", "denominator", multiplier=ind.multiplier)
    else:
        done = count_ci(summed, "count")
    return done, None


def _group_value(ind: Indicator, at: pl.DataFrame, members: Sequence[str]) -> tuple[pl.DataFrame, str | None]:
    """One row (value, lower, upper, count, denominator, used) from the members' summed counts, or a reason."""
    return _summed_by_period(ind, at, members)


def _benchmark_series(
    ind: Indicator,
    rows: pl.DataFrame,
    area: str,
    group: ComparatorGroup | None,
    benchmarks: Sequence[tuple[str, str | None]],
    names: Mapping[str, str],
) -> list[BenchmarkPoint]:
    """England, the region and the group at every period of the area's own series (the lines drawn beside it)."""
    periods = rows.filter(pl.col("area") == area).get_column("period").unique().to_list()
    at = rows.filter(pl.col("period").is_in(periods))
    points: list[BenchmarkPoint] = []
    if group is not None:
        done, reason = _summed_by_period(ind, at, list(group.members))
        if reason is None:
            points.extend(
                BenchmarkPoint(
                    "group",
                    group.id,
                    group.name,
                    str(r["period"]),
                    finite(r["value"]),
                    finite(r["lowercl"]),
                    finite(r["uppercl"]),
                    int(r["used"]),
                    len(group.members),
                )
                for r in done.iter_rows(named=True)
            )
    for kind, code in benchmarks:
        if code is None:
            continue
        hit = at.filter(pl.col("area") == code).unique("period", keep="first", maintain_order=True)
        points.extend(
            BenchmarkPoint(
                kind,
                code,
                names.get(code, code),
                str(r["period"]),
                finite(r["value"]),
                finite(r["lower"]),
                finite(r["upper"]),
            )
            for r in hit.iter_rows(named=True)
        )
    order = {kind: i for i, kind in enumerate(BENCHMARK_KINDS)}
    return sorted(points, key=lambda p: (order.get(p.kind, 9), period_index(p.period) or 0.0))


def _compare(value: float | None, lower: float | None, upper: float | None, bench: float | None, polarity: str) -> str:
    """The area against one benchmark value with the one benchmark rule."""
    frame = pl.DataFrame(
        {"value": [value], "lower": [lower], "upper": [upper]},
        schema={"value": pl.Float64, "lower": pl.Float64, "upper": pl.Float64},
    )
    if bench is None:
        return NOT_COMPARED
    out = compare_to_benchmark(frame, benchmark=bench, polarity=polarity, lower="lower", upper="upper")
    return str(out.get_column("comparison")[0])


def compare_with_comparators(
    df: pl.DataFrame,
    indicator: Indicator,
    area: str,
    *,
    group: ComparatorGroup | None,
    england: str | None,
    region: str | None,
    names: Mapping[str, str],
    colour_against: str = "group",
) -> ComparatorResult:
    """``area`` against ``group`` (summed counts), England and ``region`` at the area's latest period.

    ``df`` is an observation frame of the indicator (intervals filled by
    :func:`~gapwatch.analysis.frame.with_intervals`); only whole-population rows (no category) are used.
    ``colour_against`` picks the benchmark each member is coloured against (one of :data:`BENCHMARK_KINDS`).
    """
    if colour_against not in BENCHMARK_KINDS:
        raise ValueError(f"colour_against: {colour_against!r} is not one of {', '.join(BENCHMARK_KINDS)}")
    polarity = indicator.polarity.value
    rows = df.filter(pl.col("category_type").is_null() & pl.col("value").is_not_null())
    period = _latest(rows, area)
    members = list(group.members) if group else []
    closeness = dict(zip(group.members, group.closeness, strict=True)) if group and group.closeness else {}
    order = (
        "1 = lowest (lower is better)"
        if indicator.polarity is Polarity.LOWER_IS_BETTER
        else "1 = highest (higher is better)"
        if indicator.polarity is Polarity.HIGHER_IS_BETTER
        else "1 = highest (no better or worse direction)"
    )
    empty = ComparatorResult(
        indicator=indicator.id,
        area=area,
        area_name=names.get(area, area),
        period=None,
        value=None,
        lower=None,
        upper=None,
        group=group.id if group else None,
        group_name=group.name if group else None,
        benchmarks=[],
        rank=None,
        rank_of=0,
        tied=False,
        rank_order=order,
        colour_against=colour_against,
        members=[],
        missing=members,
        notes=[f"There is no value for {names.get(area, area)} to compare"],
    )
    if period is None:
        return empty
    at = rows.filter(pl.col("period") == period).unique("area", keep="first", maintain_order=True)
    own = at.filter(pl.col("area") == area).row(0, named=True)
    value, lower, upper = finite(own["value"]), finite(own["lower"]), finite(own["upper"])
    notes: list[str] = []
    if lower is None:
        notes.append(f"{names.get(area, area)} has no interval for {period}, so no comparison is significant or not")

    benchmarks: list[Benchmark] = []
    if group is not None:
        done, reason = _group_value(indicator, at, members)
        if reason is None:
            g = done.row(0, named=True)
            gv, gl, gu = finite(g["value"]), finite(g["lowercl"]), finite(g["uppercl"])
            used = int(g["used"])
            benchmarks.append(
                Benchmark(
                    "group",
                    group.id,
                    group.name,
                    gv,
                    gl,
                    gu,
                    finite(g["count"]),
                    finite(g["denominator"]),
                    used,
                    len(members),
                    _compare(value, lower, upper, gv, polarity),
                    None if used == len(members) else f"from {used} of {len(members)} members with counts",
                )
            )
        else:
            benchmarks.append(
                Benchmark("group", group.id, group.name, None, None, None, None, None, 0, len(members), reason=reason)
            )
    for kind, code in (("england", england), ("region", region)):
        if code is None:
            if kind == "region":
                notes.append(f"The region of {names.get(area, area)} is not known to the store")
            continue
        hit = at.filter(pl.col("area") == code)
        if hit.height == 0:
            benchmarks.append(
                Benchmark(kind, code, names.get(code, code), None, None, None, reason=f"no value for {period}")
            )
            continue
        b = hit.row(0, named=True)
        bv = finite(b["value"])
        benchmarks.append(
            Benchmark(
                kind,
                code,
                names.get(code, code),
                bv,
                finite(b["lower"]),
                finite(b["upper"]),
                finite(b["count"]),
                finite(b["denominator"]),
                comparison=_compare(value, lower, upper, bv, polarity),
            )
        )

    ranked = at.filter(pl.col("area").is_in([area, *members])).select(
        "area", "value", "lower", "upper", "count", "denominator", "illustrative"
    )
    descending = indicator.polarity is not Polarity.LOWER_IS_BETTER
    ranked = ranked.with_columns(
        pl.col("value").rank(method="min", descending=descending).cast(pl.Int64).alias("rank"),
    ).with_columns((pl.col("rank").count().over("rank") > 1).alias("tied"))
    colour = next((b for b in benchmarks if b.kind == colour_against), None)
    colour_value = colour.value if colour else None
    if colour_value is not None and ranked.select(pl.col("lower").is_not_null().any()).item():
        ranked = compare_to_benchmark(
            ranked, benchmark=colour_value, polarity=polarity, value="value", lower="lower", upper="upper"
        )
    else:
        ranked = ranked.with_columns(pl.lit(NOT_COMPARED).alias("comparison"))
    ranked = ranked.sort("rank", "area")
    listed = [
        MemberValue(
            r["area"],
            names.get(r["area"], r["area"]),
            finite(r["value"]),
            finite(r["lower"]),
            finite(r["upper"]),
            finite(r["count"]),
            finite(r["denominator"]),
            int(r["rank"]),
            bool(r["tied"]),
            str(r["comparison"]),
            r["area"] == area,
            closeness.get(r["area"]),
            bool(r["illustrative"]),
        )
        for r in ranked.iter_rows(named=True)
    ]
    me = next(m for m in listed if m.is_subject)
    present = {m.area for m in listed}
    missing = [m for m in members if m not in present]
    if group is not None and missing:
        notes.append(
            f"No value for {period} from {len(missing)} of {len(members)} members: "
            + ", ".join(names.get(m, m) for m in missing)
        )
    return replace(
        empty,
        period=period,
        value=value,
        lower=lower,
        upper=upper,
        benchmarks=benchmarks,
        rank=me.rank if group is not None else None,
        rank_of=len(listed) if group is not None else 0,
        tied=me.tied if group is not None else False,
        members=listed if group is not None else [],
        missing=missing,
        notes=notes,
        series=_benchmark_series(indicator, rows, area, group, (("england", england), ("region", region)), names),
    )
