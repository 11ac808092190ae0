"""Disclosure control of a publication, decided once: which published cells are withheld, and why.

A *cell* is one published figure: (indicator, period, area, category type, category). This module builds
the suppression problem a reader could attack and hands it to :mod:`gapwatch.stats.suppression`:

* **The number that is a count, whatever column it is in.** A count indicator's figure is its value (NI 48:
  "3 children killed or seriously injured" arrives as a value with no count); a proportion's or a rate's
  count is its numerator, worked out from value x denominator when only those are given. The protected
  quantities are the count, the denominator, and for a proportion the complement (denominator minus count:
  "97% of 100" gives away the 3 who did not).
* **Every dimension a reader can difference.** Areas add up to their parent (districts to the county) and a
  grouping to its members ("rest of Kent" = Kent minus Thanet); categories of a breakdown add up to the
  whole population; single periods add up to a pooled or rolling period that spans them ("2010-12" =
  2010 + 2011 + 2012; a year nobody publishes on its own is an unknown that still links two overlapping
  rolling periods); and what was published before is known to the reader: a cell published in an earlier
  report is a constant (it cannot protect anything by being withheld now) and a cell withheld before stays
  withheld. A partition the data show to be incomplete (wards that do not cover their district) gets an
  unpublished remainder, so it is not mistaken for an exact sum.
* **Two disciplines** (the indicator's ``disclosure_control``): ``threshold`` — counts below the threshold
  withheld plus secondary suppression audited by linear programming (:func:`~gapwatch.stats.suppression.protect`);
  ``rounding`` — counts and denominators to the nearest 5 with 1-7 withheld, values and intervals worked
  out again from the rounded figures (:func:`~gapwatch.stats.suppression.round_to_base`).

Pure: imports only :mod:`gapwatch.domain` and :mod:`gapwatch.stats`.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from gapwatch.domain.areas import GroupingKind
from gapwatch.domain.framework import Framework
from gapwatch.domain.indicators import DisclosureControl, Indicator, MeasureType
from gapwatch.domain.periods import Period, PeriodKind, parse_period
from gapwatch.stats.suppression import LinearRelations, protect, round_to_base

__all__ = [
    "EARLIER_WITHHELD",
    "KEY",
    "ROUNDING_BASE",
    "ROUNDING_WITHHELD_UP_TO",
    "WITHHELD_BY_ROUNDING",
    "disclosure_pattern",
    "pooled_components",
]

KEY: tuple[str, ...] = ("indicator", "period", "area", "category_type", "category")
#: The rounding discipline: to the nearest 5, counts from 1 to 7 withheld (NHS England).
ROUNDING_BASE = 5
ROUNDING_WITHHELD_UP_TO = 7
#: Reasons besides the stats module's "primary", "secondary" and "missing".
EARLIER_WITHHELD = "withheld before"
WITHHELD_BY_ROUNDING = "rounding"

_WITH_DENOMINATOR = {MeasureType.PROPORTION, MeasureType.RATE, MeasureType.STANDARDISED_RATE}
_DERIVABLE = {MeasureType.PROPORTION, MeasureType.RATE}
_FORMS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])  # count, denominator, complement
_REST = "~rest~"

_SCHEMA: dict[str, Any] = {
    "indicator": pl.String(),
    "period": pl.String(),
    "area": pl.String(),
    "category_type": pl.String(),
    "category": pl.String(),
}


def disclosure_pattern(
    framework: Framework,
    cells: pl.DataFrame,
    *,
    default_threshold: int = 5,
    earlier: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Decide, for every cell to be published, whether it is withheld and what is published.

    ``cells`` has the :data:`KEY` columns ('' for the whole population) and ``count``, ``denominator``,
    ``value`` (floats, null when absent); it should hold everything published at once (every board's
    report of a cycle), since a pattern is only safe against what a reader can put side by side.
    ``earlier`` lists cells of earlier publications (:data:`KEY` plus ``withheld``: bool).

    Returns one row per cell: the :data:`KEY`, ``method`` ("threshold" or "rounding"), ``withheld`` (bool),
    ``reason`` ("primary", "secondary", "withheld before", "rounding" or null), ``unprotected`` (a small
    count no pattern can protect any more, because earlier publications gave its neighbours away), and
    ``count_out``/``denominator_out`` — the figures to publish (rounded under the rounding discipline) —
    and ``n``/``d``, the count and denominator the decision was made on (the count worked out from the value
    where it had to be).
    """
    out_schema: dict[str, Any] = {
        **_SCHEMA,
        "method": pl.String(),
        "withheld": pl.Boolean(),
        "reason": pl.String(),
        "unprotected": pl.Boolean(),
        "count_out": pl.Float64(),
        "denominator_out": pl.Float64(),
        "n": pl.Float64(),
        "d": pl.Float64(),
    }
    if cells.height == 0:
        return pl.DataFrame(schema=out_schema)
    indicators = {i.id: i for i in framework.indicators}
    frame = _prepare(cells, indicators, default_threshold)
    rounding = frame.filter(pl.col("method") == DisclosureControl.ROUNDING.value)
    threshold = frame.filter(pl.col("method") == DisclosureControl.THRESHOLD.value)
    parts = [_rounded(rounding), _suppressed(framework, threshold, earlier)]
    return pl.concat([p.select([pl.col(c).cast(t) for c, t in out_schema.items()]) for p in parts], how="vertical")


def _prepare(cells: pl.DataFrame, indicators: dict[str, Indicator], default_threshold: int) -> pl.DataFrame:
    """One row per cell with its count ``n``, denominator ``d`` and the indicator's rules."""
    frame = cells.select(
        *[pl.col(k).cast(pl.String).fill_null("") for k in KEY],
        *[pl.col(c).cast(pl.Float64) for c in ("count", "denominator", "value")],
    ).unique(list(KEY), keep="first", maintain_order=True)
    ids = sorted(set(frame.get_column("indicator").to_list()))
    info = pl.DataFrame(
        {
            "indicator": ids,
            "_measure": [indicators[i].measure.value if i in indicators else "" for i in ids],
            "_mult": [indicators[i].multiplier if i in indicators else 100.0 for i in ids],
            "_threshold": [
                (indicators[i].suppression_threshold if i in indicators else None) or default_threshold for i in ids
            ],
            "method": [
                indicators[i].disclosure_control.value if i in indicators else DisclosureControl.THRESHOLD.value
                for i in ids
            ],
        },
        schema={
            "indicator": pl.String,
            "_measure": pl.String,
            "_mult": pl.Float64,
            "_threshold": pl.Int64,
            "method": pl.String,
        },
    )
    frame = frame.join(info, on="indicator", how="left")
    measure = pl.col("_measure")
    derivable = measure.is_in([m.value for m in _DERIVABLE]) & pl.col("value").is_not_null()
    n = (
        pl.when(pl.col("count").is_not_null())
        .then(pl.col("count"))
        .when(derivable & pl.col("denominator").is_not_null())
        .then((pl.col("value") / pl.col("_mult") * pl.col("denominator")).round(0))
        .when(measure == MeasureType.COUNT.value)
        .then(pl.col("value"))
        .otherwise(None)
    )
    has_d = measure.is_in([m.value for m in _WITH_DENOMINATOR])
    return frame.with_columns(
        n.alias("n"),
        pl.when(has_d).then(pl.col("denominator")).otherwise(None).alias("d"),
        has_d.alias("_has_d"),
        (measure == MeasureType.PROPORTION.value).alias("_proportion"),
    )


def _rounded(frame: pl.DataFrame) -> pl.DataFrame:
    """The rounding discipline: counts and denominators to the nearest 5, 1-7 withheld."""
    if frame.height == 0:
        return frame.with_columns(
            pl.lit(False).alias("withheld"),
            pl.lit(None, pl.String).alias("reason"),
            pl.lit(False).alias("unprotected"),
            pl.lit(None, pl.Float64).alias("count_out"),
            pl.lit(None, pl.Float64).alias("denominator_out"),
        )
    n = frame.get_column("n").cast(pl.Float64).fill_null(np.nan).to_numpy()
    d = frame.get_column("d").cast(pl.Float64).fill_null(np.nan).to_numpy()
    n_r, n_w = round_to_base(n, ROUNDING_BASE, ROUNDING_WITHHELD_UP_TO)
    d_r, d_w = round_to_base(d, ROUNDING_BASE, ROUNDING_WITHHELD_UP_TO)
    withheld = n_w | d_w
    return frame.with_columns(
        pl.Series("withheld", withheld, dtype=pl.Boolean),
        pl.Series("reason", [WITHHELD_BY_ROUNDING if w else None for w in withheld.tolist()], dtype=pl.String),
        pl.lit(False).alias("unprotected"),
        pl.Series("count_out", np.where(withheld, np.nan, n_r), dtype=pl.Float64).fill_nan(None),
        pl.Series("denominator_out", np.where(withheld, np.nan, d_r), dtype=pl.Float64).fill_nan(None),
    )


def _suppressed(framework: Framework, frame: pl.DataFrame, earlier: pl.DataFrame | None) -> pl.DataFrame:
    """Threshold plus secondary suppression over every relation a reader can use."""
    empty = frame.with_columns(
        pl.lit(False).alias("withheld"),
        pl.lit(None, pl.String).alias("reason"),
        pl.lit(False).alias("unprotected"),
        pl.col("n").alias("count_out"),
        pl.col("d").alias("denominator_out"),
    )
    if frame.height == 0:
        return empty
    frame = frame.with_row_index("_id").with_columns(pl.col("_id").cast(pl.Int64))
    members = pl.concat(
        [
            _period_relations(frame),
            _area_relations(framework, frame),
            _group_relations(framework, frame),
        ],
        how="vertical",
    )
    cells, members = _with_latent_cells(frame, members)
    cells, members = _with_remainders(cells, members)
    rel_ids = members.get_column("rel").to_numpy().astype(np.int64)
    cell_ids = members.get_column("_id").to_numpy().astype(np.int64)
    coef = members.get_column("coef").to_numpy().astype(np.float64)
    # A value published without its count or denominator still ties them: count = value / multiplier x
    # denominator, so a denominator worked out from the other areas would give the count.
    ratio = cells.filter(
        pl.col("n").is_null() & pl.col("d").is_null() & pl.col("value").is_not_null() & ~pl.col("_latent")
    ).filter(pl.col("_measure").is_in([m.value for m in _DERIVABLE]))
    ratio_cells = ratio.get_column("_id").to_numpy().astype(np.int64)
    ratio_coef = -(ratio.get_column("value") / ratio.get_column("_mult")).to_numpy().astype(np.float64)
    first = 2 * (int(rel_ids.max()) + 1 if rel_ids.size else 0)
    ratio_ids = first + np.arange(ratio_cells.size, dtype=np.int64)
    relations = LinearRelations.of(
        np.concatenate([2 * rel_ids, 2 * rel_ids + 1, ratio_ids, ratio_ids]),
        np.concatenate([cell_ids, cell_ids, ratio_cells, ratio_cells]),
        np.concatenate(
            [
                np.zeros(rel_ids.size, dtype=np.int64),
                np.ones(rel_ids.size, dtype=np.int64),
                np.zeros(ratio_cells.size, dtype=np.int64),
                np.ones(ratio_cells.size, dtype=np.int64),
            ]
        ),
        np.concatenate([coef, coef, np.ones(ratio_cells.size), ratio_coef]),
    )
    before = _earlier_flags(cells, earlier)
    values = np.column_stack(
        [
            cells.get_column("n").cast(pl.Float64).fill_null(np.nan).to_numpy(),
            cells.get_column("d").cast(pl.Float64).fill_null(np.nan).to_numpy(),
        ]
    )
    has_d = cells.get_column("_has_d").fill_null(False).to_numpy()
    defined = np.column_stack([np.ones(cells.height, dtype=np.bool_), has_d])
    applies = np.column_stack([defined[:, 0], has_d, cells.get_column("_proportion").fill_null(False).to_numpy()])
    latent = cells.get_column("_latent").to_numpy() | np.isnan(values[:, 0])
    done = protect(
        values,
        relations,
        threshold=cells.get_column("_threshold").to_numpy().astype(np.float64),
        forms=_FORMS,
        applies=applies,
        defined=defined,
        latent=latent,
        known=before.get_column("_known").to_numpy(),
        forced=before.get_column("_forced").to_numpy(),
    )
    forced = before.get_column("_forced").to_numpy()
    withheld = done.suppressed | forced  # what was withheld before stays withheld, counted or not
    reason = np.where(forced, EARLIER_WITHHELD, done.reason)
    decided = cells.with_columns(
        pl.Series("withheld", withheld, dtype=pl.Boolean),
        pl.Series("reason", reason.tolist(), dtype=pl.String),
        pl.Series("unprotected", done.unprotected, dtype=pl.Boolean),
        pl.col("n").alias("count_out"),
        pl.col("d").alias("denominator_out"),
    )
    return decided.filter(~pl.col("_latent")).sort("_id")


# --- the relations a reader can difference ------------------------------------------------------------


def _members_frame(rows: list[tuple[str, str, str, str, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"_rel": pl.String, **_SCHEMA, "coef": pl.Float64}, orient="row")


@lru_cache(maxsize=4096)
def _parsed(label: str) -> Period | None:
    try:
        return parse_period(label)
    except (ValueError, TypeError):
        return None


def _unit_at(kind: PeriodKind, day: date) -> Period | None:
    """The period of ``kind`` that starts on ``day`` (None when none does)."""
    if kind is PeriodKind.CALENDAR_YEAR:
        label = str(day.year)
    elif kind is PeriodKind.FINANCIAL_YEAR:
        first = day.year if day.month >= 4 else day.year - 1
        label = f"{first}/{(first + 1) % 100:02d}"
    elif kind is PeriodKind.ACADEMIC_YEAR:
        first = day.year if day.month >= 9 else day.year - 1
        label = f"{first}/{(first + 1) % 100:02d} AY"
    elif kind is PeriodKind.HALF:
        label = f"{day.year} H{1 if day.month <= 6 else 2}"
    elif kind is PeriodKind.QUARTER:
        label = f"{day.year} Q{(day.month - 1) // 3 + 1}"
    elif kind is PeriodKind.MONTH:
        label = f"{calendar.month_name[day.month]} {day.year}"
    else:
        return None
    unit = _parsed(label)
    return unit if unit is not None and unit.start == day else None


def _natural_unit(period: Period) -> PeriodKind | None:
    """The periods a pooled span is made of: calendar, financial or academic years by where it starts."""
    if period.kind is not PeriodKind.ROLLING:
        return None
    return {
        (1, 1): PeriodKind.CALENDAR_YEAR,
        (4, 1): PeriodKind.FINANCIAL_YEAR,
        (9, 1): PeriodKind.ACADEMIC_YEAR,
    }.get((period.start.month, period.start.day))


def pooled_components(period: Period, kind: PeriodKind) -> list[Period] | None:
    """The periods of ``kind`` that exactly tile ``period`` (at least two), or None when they do not."""
    if kind is period.kind and kind is not PeriodKind.ROLLING:
        return None
    tiles: list[Period] = []
    cursor = period.start
    while cursor <= period.end:
        tile = _unit_at(kind, cursor)
        if tile is None or tile.end > period.end or len(tiles) > 400:
            return None
        tiles.append(tile)
        cursor = tile.end + timedelta(days=1)
    return tiles if len(tiles) >= 2 else None


def _period_relations(frame: pl.DataFrame) -> pl.DataFrame:
    """A pooled or longer period = the sum of the shorter periods that tile it (latent where unpublished).

    Built once per indicator over its distinct periods (a handful), then joined to every area and group
    that has the long period; only spans with at least one of their parts published are kept.
    """
    pairs: list[tuple[str, str, str]] = []  # (indicator, total period, part period)
    for indicator, labels in frame.group_by("indicator").agg(pl.col("period").unique()).iter_rows():
        parsed = {label: p for label in labels if (p := _parsed(label)) is not None}
        by_span = {(p.kind, p.start, p.end): label for label, p in parsed.items()}
        kinds = {p.kind for p in parsed.values()}
        for label, period in parsed.items():
            natural = _natural_unit(period)
            for kind in sorted(kinds | ({natural} if natural else set()), key=str):
                tiles = pooled_components(period, kind)
                if tiles is None or not any((t.kind, t.start, t.end) in by_span for t in tiles):
                    continue
                pairs += [(indicator, label, by_span.get((t.kind, t.start, t.end), t.label)) for t in tiles]
                break  # one tiling per span is enough: finer ones follow from the coarser spans' own
    if not pairs:
        return _members_frame([])
    span = pl.DataFrame(pairs, schema={"indicator": pl.String, "period": pl.String, "_part": pl.String}, orient="row")
    owners = frame.select("indicator", "period", "area", "category_type", "category").join(
        span.select("indicator", "period").unique(), on=["indicator", "period"], how="semi"
    )
    rel = pl.concat_str(
        [
            pl.lit("p"),
            pl.col("indicator"),
            pl.col("period"),
            pl.col("area"),
            pl.col("category_type"),
            pl.col("category"),
        ],
        separator="|",
    )
    totals = owners.with_columns(rel.alias("_rel"), pl.lit(-1.0).alias("coef"))
    parts = (
        owners.with_columns(rel.alias("_rel"))
        .join(span, on=["indicator", "period"])
        .with_columns(pl.col("_part").alias("period"), pl.lit(1.0).alias("coef"))
        .drop("_part")
    )
    cols = ["_rel", *KEY, "coef"]
    return pl.concat([totals.select(cols), parts.select(cols)], how="vertical")


def _area_relations(framework: Framework, frame: pl.DataFrame) -> pl.DataFrame:
    """A parent area = the sum of its children; a grouping = its members (or its parent minus exclusions)."""
    links: list[tuple[str, str, str, float]] = []  # (relation tag, the row that anchors it, member, coef)
    parents: dict[str, list[str]] = {}
    for a in framework.areas:
        if a.parent:
            parents.setdefault(a.parent, []).append(a.id)
    for parent, children in parents.items():
        # anchored on any child: the relation exists wherever one of the parts is published
        for child in children:
            links.append((f"a:{parent}", child, parent, -1.0))
            links += [(f"a:{parent}", child, c, 1.0) for c in children]
    for g in framework.area_groupings:
        if g.kind is GroupingKind.REST_OF_PARENT and g.parent:
            links.append((f"g:{g.id}", g.id, g.parent, -1.0))
            links.append((f"g:{g.id}", g.id, g.id, 1.0))
            links += [(f"g:{g.id}", g.id, m, 1.0) for m in g.excluding]
        elif g.members:
            links.append((f"g:{g.id}", g.id, g.id, -1.0))
            links += [(f"g:{g.id}", g.id, m, 1.0) for m in g.members]
    if not links:
        return _members_frame([])
    link = pl.DataFrame(
        links, schema={"_tag": pl.String, "area": pl.String, "_member": pl.String, "coef": pl.Float64}, orient="row"
    )
    anchors = frame.select("indicator", "period", "area", "category_type", "category").join(
        link.select("_tag", "area").unique(), on="area"
    )
    anchors = anchors.select("_tag", "indicator", "period", "category_type", "category").unique()
    rel = pl.concat_str(
        [pl.col("_tag"), pl.col("indicator"), pl.col("period"), pl.col("category_type"), pl.col("category")],
        separator="|",
    )
    members = anchors.join(link.select("_tag", "_member", "coef").unique(), on="_tag").with_columns(
        rel.alias("_rel"), pl.col("_member").alias("area")
    )
    return members.select("_rel", *KEY, "coef")


def _group_relations(framework: Framework, frame: pl.DataFrame) -> pl.DataFrame:
    """The whole population = the sum of the categories of each breakdown (the framework's categories)."""
    known = {ct.id: [c.id for c in ct.categories] for ct in framework.groups}
    split = frame.filter(pl.col("category_type") != "").select("indicator", "period", "area", "category_type")
    if split.height == 0:
        return _members_frame([])
    present = frame.filter(pl.col("category_type") != "").select("category_type", "category").unique()
    cats = pl.DataFrame(
        [(t, c) for t, cs in known.items() for c in cs],
        schema={"category_type": pl.String, "category": pl.String},
        orient="row",
    )
    cats = pl.concat([cats, present.join(cats, on="category_type", how="anti")], how="vertical").unique()
    anchors = split.unique()
    rel = pl.concat_str(
        [pl.lit("c"), pl.col("indicator"), pl.col("period"), pl.col("area"), pl.col("category_type")], separator="|"
    )
    parts = anchors.join(cats, on="category_type").with_columns(rel.alias("_rel"), pl.lit(1.0).alias("coef"))
    totals = anchors.with_columns(
        rel.alias("_rel"), pl.lit("").alias("category_type"), pl.lit("").alias("category"), pl.lit(-1.0).alias("coef")
    )
    cols = ["_rel", *KEY, "coef"]
    return pl.concat([parts.select(cols), totals.select(cols)], how="vertical")


def _with_latent_cells(frame: pl.DataFrame, members: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give each relation member a cell id, adding latent cells (nobody publishes them) where needed."""
    cells = frame.with_columns(pl.lit(False).alias("_latent"))
    if members.height == 0:
        return cells, members.with_columns(pl.lit(0, pl.Int64).alias("_id"), pl.lit(0, pl.Int64).alias("rel"))
    members = members.unique(["_rel", *KEY], keep="first")
    missing = members.select(*KEY).unique().join(cells.select(*KEY), on=list(KEY), how="anti")
    if missing.height:
        rules = cells.select("indicator", "_measure", "_mult", "_threshold", "method", "_has_d", "_proportion").unique(
            "indicator"
        )
        extra = (
            missing.join(rules, on="indicator", how="left")
            .with_columns(
                *[pl.lit(None, pl.Float64).alias(c) for c in ("count", "denominator", "value", "n", "d")],
                pl.lit(True).alias("_latent"),
            )
            .with_row_index("_id", offset=cells.height)
            .with_columns(pl.col("_id").cast(pl.Int64))
        )
        cells = pl.concat([cells, extra.select(cells.columns)], how="vertical")
    members = members.join(cells.select(*KEY, "_id"), on=list(KEY), how="left")
    # Keep relations with at least two members and at least one published cell among them.
    published = cells.select("_id", ~pl.col("_latent").alias("_pub"))
    sizes = (
        members.join(published, on="_id")
        .group_by("_rel")
        .agg(pl.len().alias("_n"), pl.col("_pub").any().alias("_any"), (pl.col("coef") < 0).sum().alias("_tot"))
        .filter((pl.col("_n") >= 2) & pl.col("_any") & (pl.col("_tot") == 1))
    )
    members = members.join(sizes.select("_rel"), on="_rel", how="semi")
    ids = members.select("_rel").unique(maintain_order=True).with_row_index("rel")
    members = members.join(ids, on="_rel").with_columns(pl.col("rel").cast(pl.Int64))
    return cells, members


def _with_remainders(cells: pl.DataFrame, members: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """An area or group relation whose published parts fall short of the total gets an unpublished remainder.

    Wards listed under a district need not cover it: when every member of a relation is published with
    its count and the parts add up to less than the total, the shortfall is someone nobody publishes.
    """
    if members.height == 0:
        return cells, members
    values = cells.select("_id", "n", "d", "_latent")
    check = (
        members.filter(~pl.col("_rel").str.starts_with("p|"))
        .join(values, on="_id")
        .group_by("rel")
        .agg(
            (~pl.col("_latent")).all().alias("_all"),
            pl.col("n").is_not_null().all().alias("_counted"),
            (pl.col("coef") * pl.col("n")).sum().alias("_dn"),
            (pl.col("coef") * pl.col("d")).sum().alias("_dd"),
            pl.first("indicator"),
        )
        .filter(pl.col("_all") & pl.col("_counted") & ((pl.col("_dn") < -0.5) | (pl.col("_dd") < -0.5)))
    )
    if check.height == 0:
        return cells, members
    rules = cells.select("indicator", "_measure", "_mult", "_threshold", "method", "_has_d", "_proportion").unique(
        "indicator"
    )
    rest = (
        check.select("rel", "indicator")
        .join(rules, on="indicator", how="left")
        .with_columns(
            pl.lit(_REST).alias("period"),
            pl.concat_str([pl.lit(_REST), pl.col("rel").cast(pl.String)]).alias("area"),
            pl.lit("").alias("category_type"),
            pl.lit("").alias("category"),
            *[pl.lit(None, pl.Float64).alias(c) for c in ("count", "denominator", "value", "n", "d")],
            pl.lit(True).alias("_latent"),
        )
        .with_row_index("_id", offset=cells.height)
        .with_columns(pl.col("_id").cast(pl.Int64))
    )
    cells = pl.concat([cells, rest.select(cells.columns)], how="vertical")
    extra = rest.select(
        "rel",
        "_id",
        pl.lit("").alias("_rel"),
        *[pl.col(k) for k in KEY],
        pl.lit(1.0).alias("coef"),
    )
    return cells, pl.concat([members, extra.select(members.columns)], how="vertical")


def _earlier_flags(cells: pl.DataFrame, earlier: pl.DataFrame | None) -> pl.DataFrame:
    """``_known`` (published before: a constant to the reader) and ``_forced`` (withheld before) per cell."""
    if earlier is None or earlier.height == 0:
        return cells.with_columns(pl.lit(False).alias("_known"), pl.lit(False).alias("_forced")).select(
            "_known", "_forced"
        )
    before = (
        earlier.select(*[pl.col(k).cast(pl.String).fill_null("") for k in KEY], pl.col("withheld").cast(pl.Boolean))
        .group_by(list(KEY))
        .agg(pl.col("withheld").any())
    )
    joined = cells.select(*KEY, "_latent").join(before, on=list(KEY), how="left", maintain_order="left")
    return joined.select(
        (pl.col("withheld").is_not_null() & ~pl.col("withheld") & ~pl.col("_latent")).alias("_known"),
        (pl.col("withheld").fill_null(False) & ~pl.col("_latent")).alias("_forced"),
    )
