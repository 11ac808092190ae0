"""Local areas re-aggregated from their members' counts: an LCSP, a Community Budgets pilot, a ward cluster.

A local area (an explicit :class:`~gapwatch.domain.areas.AreaGrouping`) has no published figures of its own;
its value for a count-based indicator is formed here, once, from the summed numerators and denominators of
its member areas (wards, LSOAs, districts), with the indicator's own interval method (Wilson for
proportions, exact Poisson / Byar's for rates and counts: :func:`~gapwatch.analysis.frame.with_intervals`).
The rules, each one a way such figures go wrong:

* **Never an average of rates.** Member rates weighted equally overstate small wards; only sums of counts
  and denominators are honest (Fingertips technical guidance: aggregating small-area data).
* **All members or nothing.** If any member has no row (or no count) for a period, the local area's value
  for that period is withheld and the row says why: ``incomplete: no data for Cliftonville East``.
* **Only count-based measures.** Proportions, crude rates and counts are re-aggregated; means, scores and
  ratios are not (a mean of means is not the mean without each member's sum and size, a score has no
  numerator), nor directly standardised rates (Dobson's method needs each member's age-specific counts and
  populations, which an observation frame does not hold), nor gaps (formed from the groups' own counts).
  Each says why (:data:`NOT_REAGGREGATED`).
* **A published figure wins.** Where the data hold a row for the local area itself, no derived row is made.

Pure: it takes the observation frame and the framework; the caller decides when (here: on read, through the
one cache, so a derived figure can never outlive the data or the definition it was made from).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from gapwatch.analysis.frame import SCHEMA, with_intervals
from gapwatch.domain.areas import GroupingKind
from gapwatch.domain.framework import Framework
from gapwatch.domain.indicators import Indicator, MeasureType

__all__ = [
    "NOT_REAGGREGATED",
    "REAGGREGATED",
    "Aggregation",
    "LocalArea",
    "aggregate",
    "aggregate_all",
    "local_areas",
]

#: Measures whose value is a sum of counts over a sum of denominators, and so can be re-aggregated.
REAGGREGATED: frozenset[MeasureType] = frozenset({MeasureType.PROPORTION, MeasureType.RATE, MeasureType.COUNT})

#: Why the other measures are not re-aggregated to local areas.
NOT_REAGGREGATED: dict[MeasureType, str] = {
    MeasureType.MEAN: "a mean cannot be formed from member means without each member's total and size",
    MeasureType.SCORE: "a score has no numerator and denominator to sum",
    MeasureType.RATIO: "a ratio of two rates cannot be summed across areas",
    MeasureType.STANDARDISED_RATE: (
        "a directly standardised rate needs each member's age-specific counts and populations (Dobson's method), "
        "which are not held"
    ),
    MeasureType.GAP: "a gap is formed from its groups' own counts, not summed",
}

_KEYS = ["indicator", "category_type", "category", "period"]


@dataclass(frozen=True)
class LocalArea:
    """A local area with its members expanded to areas (nested groupings replaced by their own members)."""

    id: str
    name: str
    members: tuple[str, ...]
    parent: str | None = None


@dataclass(frozen=True)
class Aggregation:
    """One indicator's local-area rows (observation-frame columns), or why it has none."""

    indicator: str
    rows: pl.DataFrame
    method: str | None
    reason: str | None = None


def local_areas(framework: Framework) -> list[LocalArea]:
    """Every explicit grouping of the framework as a :class:`LocalArea`, members expanded (cycle-safe: a
    grouping met again on its own path contributes nothing; the framework checks refuse such cycles)."""
    groupings = {g.id: g for g in framework.area_groupings}

    def expand(gid: str, seen: frozenset[str]) -> list[str]:
        out: list[str] = []
        for member in groupings[gid].members:
            if member in groupings:
                if member not in seen and groupings[member].kind is GroupingKind.EXPLICIT:
                    out += [m for m in expand(member, seen | {member}) if m not in out]
            elif member not in out:
                out.append(member)
        return out

    return [
        LocalArea(g.id, g.name, tuple(expand(g.id, frozenset({g.id}))), g.parent)
        for g in framework.area_groupings
        if g.kind is GroupingKind.EXPLICIT
    ]


def _membership(areas: Sequence[LocalArea]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "local": [a.id for a in areas for _ in a.members],
            "area": [m for a in areas for m in a.members],
            "expected": [len(a.members) for a in areas for _ in a.members],
        },
        schema={"local": pl.String, "area": pl.String, "expected": pl.Int64},
    )


def _counted(indicator: Indicator) -> pl.Expr:
    """Whether a member row carries what the sum needs: a count, and a denominator unless it is a count."""
    ok = pl.col("count").is_not_null()
    if indicator.measure is not MeasureType.COUNT:
        ok = ok & pl.col("denominator").is_not_null() & (pl.col("denominator") > 0)
    return ok


def aggregate(
    frame: pl.DataFrame,
    indicator: Indicator,
    areas: Sequence[LocalArea],
    names: Mapping[str, str] | None = None,
) -> Aggregation:
    """The local areas' rows of one indicator, from its member areas' rows in ``frame`` (observation columns).

    One row per (local area, breakdown, category, period) where at least one member has data: complete
    ones carry the summed ``count`` and ``denominator``, the value and the 95% interval by the indicator's
    method; incomplete ones carry no value and a ``note`` naming the members without data (or without a
    count). Vectorised: one join and one group-by over all local areas, periods and categories at once.
    """
    names = names or {}
    empty = pl.DataFrame(schema=SCHEMA)
    if indicator.measure not in REAGGREGATED:
        return Aggregation(indicator.id, empty, None, f"not re-aggregated: {NOT_REAGGREGATED[indicator.measure]}")
    method = {
        MeasureType.PROPORTION: "sum of members' numerators / sum of denominators; Wilson score interval",
        MeasureType.RATE: "sum of members' counts / sum of populations; exact Poisson (<10) or Byar's interval",
        MeasureType.COUNT: "sum of members' counts; exact Poisson (<10) or Byar's interval",
    }[indicator.measure]
    areas = [a for a in areas if a.members]
    rows = frame.filter(pl.col("indicator") == indicator.id)
    if not areas or rows.height == 0:
        return Aggregation(indicator.id, empty, method)
    membership = _membership(areas)
    joined = rows.join(membership, on="area", how="inner").unique(["local", "area", *_KEYS], keep="first")
    if joined.height == 0:
        return Aggregation(indicator.id, empty, method)
    joined = joined.with_columns(_counted(indicator).alias("_ok"))
    groups = joined.group_by(["local", *_KEYS]).agg(
        pl.col("expected").first(),
        pl.col("_ok").sum().alias("_n_ok"),
        pl.col("count").filter(pl.col("_ok")).sum().alias("count"),
        pl.col("denominator").filter(pl.col("_ok")).sum().alias("_den"),
        pl.col("denominator").is_null().any().alias("_den_missing"),
        pl.col("illustrative").fill_null(False).any().alias("illustrative"),
        pl.col("batch").unique().alias("_batches"),
    )
    # Members with no usable row for the key: every (key, member) pair less those present with a count.
    wanted = groups.select("local", *_KEYS).join(membership.select("local", "area"), on="local")
    missing = (
        wanted.join(
            joined.filter(pl.col("_ok")).select("local", "area", *_KEYS),
            on=["local", "area", *_KEYS],
            how="anti",
            nulls_equal=True,
        )
        .join(
            joined.select("local", "area", *_KEYS, pl.lit(True).alias("_present")),
            on=["local", "area", *_KEYS],
            how="left",
            nulls_equal=True,
        )
        .with_columns(pl.col("area").replace_strict(dict(names), default=pl.col("area")).alias("_name"))
        .group_by(["local", *_KEYS])
        .agg(
            pl.col("_name").filter(pl.col("_present").is_null()).sort().str.join(", ").alias("_absent"),
            pl.col("_name").filter(pl.col("_present").is_not_null()).sort().str.join(", ").alias("_uncounted"),
        )
        .with_columns(
            pl.when(pl.col("_absent") != "")
            .then(pl.format("no data for {}", pl.col("_absent")))
            .otherwise(pl.format("no count published for {}", pl.col("_uncounted")))
            .alias("_missing")
        )
    )
    groups = groups.join(missing, on=["local", *_KEYS], how="left", nulls_equal=True)
    complete = pl.col("_n_ok") == pl.col("expected")
    sizes = {a.id: len(a.members) for a in areas}
    denominator = (
        pl.when(complete & ~pl.col("_den_missing")).then(pl.col("_den")).otherwise(None)
        if indicator.measure is MeasureType.COUNT
        else pl.when(complete).then(pl.col("_den")).otherwise(None)
    )
    out = groups.select(
        pl.col("indicator"),
        pl.col("local").alias("area"),
        "category_type",
        "category",
        "period",
        pl.lit(None, pl.Float64).alias("value"),
        pl.when(complete).then(pl.col("count")).otherwise(None).cast(pl.Float64).alias("count"),
        denominator.cast(pl.Float64).alias("denominator"),
        pl.lit(None, pl.Float64).alias("lower"),
        pl.lit(None, pl.Float64).alias("upper"),
        pl.when(pl.col("_batches").list.len() == 1)
        .then(pl.col("_batches").list.first())
        .otherwise(None)
        .alias("batch"),
        pl.col("illustrative"),
        pl.format(
            "derived: summed from {} member areas",
            pl.col("local").replace_strict(sizes, return_dtype=pl.Int64),
        ).alias("source"),
        pl.when(complete)
        .then(pl.lit(f"re-aggregated: {method}"))
        .otherwise(pl.format("incomplete: {}", pl.col("_missing")))
        .alias("note"),
    )
    out = with_intervals(out.select([pl.col(c).cast(t) for c, t in SCHEMA.items()]), indicator)
    # A figure published for the local area itself is kept; no derived row beside it.
    own = rows.filter(pl.col("area").is_in(list(sizes))).select("area", *_KEYS).unique()
    out = out.join(own, on=["area", *_KEYS], how="anti", nulls_equal=True)
    return Aggregation(indicator.id, out.sort("area", "period", "category_type", "category", nulls_last=True), method)


def aggregate_all(
    frame: pl.DataFrame, indicators: Sequence[Indicator], framework: Framework, names: Mapping[str, str]
) -> pl.DataFrame:
    """Every local area's rows for every re-aggregable indicator in ``frame``, ready to add to it."""
    areas = local_areas(framework)
    if not areas or frame.height == 0:
        return pl.DataFrame(schema=SCHEMA)
    parts = [aggregate(frame, ind, areas, names).rows for ind in indicators if ind.measure in REAGGREGATED]
    parts = [p for p in parts if p.height]
    return pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=SCHEMA)
