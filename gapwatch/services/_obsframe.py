"""Observations as one Polars frame with the columns the indicator, gap and dashboard pages use.

Two sources feed it: values the plan itself states (the framework's ``observations``, e.g. Kent's
"Narrowing the Gap" table, kept with their document and section) and imported data (the observation
store of the data issue, each row with its import batch). The pages work on the canonical columns
below whichever source a row came from; ``source`` says which, ``batch`` gives the lineage and
``illustrative`` marks generated demo values, which the pages label wherever they are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

import polars as pl
from sqlalchemy.orm import Session

from gapwatch.analysis.aggregate import aggregate_all
from gapwatch.analysis.frame import SCHEMA, headline_area, period_end, period_index, with_intervals
from gapwatch.domain.indicators import Indicator
from gapwatch.services._plan import Plan
from gapwatch.services.cache import StateKey, data_version, keep_latest, latest, remember, state_key
from gapwatch.store.observations import read_observations

__all__ = [
    "SCHEMA",
    "cached",
    "data_version",
    "headline_area",
    "indicator_rows",
    "keep_whole_frame",
    "observation_frame",
    "period_end",
    "period_index",
    "with_intervals",
]


def _framework_rows(plan: Plan, ids: Collection[str] | None) -> list[dict[str, Any]]:
    rows = []
    for ob in plan.framework.observations:
        if ids is not None and ob.indicator not in ids:
            continue
        section = ob.source.section if ob.source else None
        document = ob.source.document if ob.source else None
        rows.append(
            {
                "indicator": ob.indicator,
                "area": ob.area,
                "category_type": ob.category_type,
                "category": ob.category,
                "period": ob.period,
                "value": ob.value,
                "count": ob.numerator,
                "denominator": ob.denominator,
                "lower": None,
                "upper": None,
                "batch": None,
                "illustrative": False,
                "source": f"plan: {document}" + (f", {section}" if section else "") if document else "plan",
                "note": ob.note,
            }
        )
    return rows


def _store_frame(session: Session, plan: Plan, ids: Collection[str] | None) -> pl.DataFrame | None:
    """Imported observations (the observation store), mapped to the canonical columns.

    Persons and the most common age band and value type of each indicator make the series; other sexes
    become a ``sex`` breakdown. Category types and categories stored by name are mapped to the
    framework's ids where they match, so gaps can be formed with the framework's comparators.
    """
    raw = read_observations(session.connection(), plan.pk, indicator_ids=None if ids is None else sorted(ids))
    if raw.height == 0:
        return None
    for column in ("age", "value_type"):
        counts = raw.group_by("indicator_id", column).len().sort("len", descending=True)
        preferred = {"age": "All ages", "value_type": "value"}[column]
        chosen = (
            counts.with_columns((pl.col(column) == preferred).alias("_pref"))
            .sort(["indicator_id", "_pref", "len"], descending=[False, True, True])
            .unique("indicator_id", keep="first")
        )
        raw = (
            raw.join(chosen.select("indicator_id", pl.col(column).alias("_keep")), on="indicator_id")
            .filter(pl.col(column) == pl.col("_keep"))
            .drop("_keep")
        )
    type_ids = {ct.id: ct.id for ct in plan.framework.groups} | {ct.name: ct.id for ct in plan.framework.groups}
    category_ids = {(ct.id, key): c.id for ct in plan.framework.groups for c in ct.categories for key in (c.id, c.name)}
    sex = pl.col("sex").fill_null("Persons")
    persons = sex.str.to_lowercase().is_in(["persons", "all", "total", ""])
    frame = raw.with_columns(
        pl.when(pl.col("category_type").fill_null("") != "")
        .then(pl.col("category_type"))
        .when(~persons)
        .then(pl.lit("sex"))
        .otherwise(None)
        .alias("category_type"),
        pl.when(pl.col("category").fill_null("") != "")
        .then(pl.col("category"))
        .when(~persons)
        .then(sex.str.to_lowercase())
        .otherwise(None)
        .alias("category"),
    )
    frame = frame.with_columns(pl.col("category_type").replace(type_ids).alias("category_type"))
    if category_ids:
        keys = pl.concat_str([pl.col("category_type"), pl.col("category")], separator="\u0000")
        mapping = {f"{t}\u0000{k}": v for (t, k), v in category_ids.items()}
        frame = frame.with_columns(
            keys.replace_strict(mapping, default=pl.col("category"), return_dtype=pl.String).alias("category")
        )
    return frame.select(
        pl.col("indicator_id").alias("indicator"),
        pl.col("area_code").alias("area"),
        "category_type",
        "category",
        "period",
        "value",
        pl.col("numerator").alias("count"),
        "denominator",
        pl.col("lower_95").alias("lower"),
        pl.col("upper_95").alias("upper"),
        pl.col("batch_pk").cast(pl.String).alias("batch"),
        pl.col("illustrative").fill_null(False),
        pl.format("import batch {}", pl.col("batch_pk")).alias("source"),
        "note",
    )


_WHOLE = "observation_frame"


def keep_whole_frame(session: Session, plan: Plan) -> pl.DataFrame:
    """Every observation, read once and kept for the current state: later :func:`observation_frame` calls of
    the same state (framework revision and data version) are answered from it by filtering.

    Why: closing a cycle builds one paper per board (19 in Kent), and each paper, its scorecard and its KPQ
    evidence read their own indicators' rows — some 80 reads of mostly the same rows, a quarter of the close.
    Only the latest state's frame is kept per database (:func:`~gapwatch.services.cache.keep_latest`).
    """
    state = state_key(session, plan)
    found: pl.DataFrame | None = latest(state, _WHOLE)
    return found if found is not None else keep_latest(state, _WHOLE, _read_frame(session, plan, None))


def observation_frame(session: Session, plan: Plan, indicators: Collection[str] | None = None) -> pl.DataFrame:
    """Every observation of the named indicators (all when None) with ``period_end``/``period_index``."""
    whole: pl.DataFrame | None = latest(state_key(session, plan), _WHOLE)
    if whole is not None:  # the same rows a read would give, in the same order (sorted by indicator first)
        return whole if indicators is None else whole.filter(pl.col("indicator").is_in(sorted(set(indicators))))
    return _read_frame(session, plan, indicators)


def _read_frame(session: Session, plan: Plan, indicators: Collection[str] | None) -> pl.DataFrame:
    ids = None if indicators is None else set(indicators)
    own = pl.DataFrame(_framework_rows(plan, ids), schema=SCHEMA)
    stored = _store_frame(session, plan, ids)
    if stored is not None and stored.height:
        imported = stored.select([pl.col(c).cast(t) for c, t in SCHEMA.items()])
        # A figure the plan states and that was also imported (the demo loads them as a batch) appears once:
        # the imported row, which carries its batch (lineage).
        keys = ["indicator", "area", "category_type", "category", "period"]
        own = own.join(imported.select(keys).unique(), on=keys, how="anti", nulls_equal=True)
        df = pl.concat([own, imported], how="vertical")
    else:
        df = own
    df = pl.concat([df, _local_area_rows(session, plan, df, ids)], how="vertical")
    labels = df.get_column("period").unique().to_list()
    ends = pl.DataFrame(
        {
            "period": labels,
            "period_end": [period_end(p) for p in labels],
            "period_index": [period_index(p) for p in labels],
        },
        schema={"period": pl.String, "period_end": pl.Date, "period_index": pl.Float64},
    )
    return df.join(ends, on="period", how="left").sort("indicator", "period_end", "area", nulls_last=True)


def _local_area_rows(session: Session, plan: Plan, df: pl.DataFrame, ids: set[str] | None) -> pl.DataFrame:
    """Local areas' rows re-aggregated from their members' counts (:mod:`gapwatch.analysis.aggregate`).

    Computed on read, not stored at import: a derived figure then always matches the member data and the
    area's definition as they stand (an import, a roll-back or a redrawn ward cluster shows at once), and
    nothing derived can be mistaken for published data. Remembered in the one cache under the framework
    revision and data version, like every other computed result.
    """
    if df.height == 0 or not any(g.kind.value == "explicit" for g in plan.framework.area_groupings):
        return df.clear()
    wanted = sorted(set(df.get_column("indicator").unique().to_list()) & set(plan.indicators))
    key = ("local_area_rows", tuple(wanted) if ids is not None else None)
    indicators = [plan.indicators[i] for i in wanted]
    return cached(session, plan, key, lambda: aggregate_all(df, indicators, plan.framework, plan.areas))


_T = TypeVar("_T")


def indicator_rows(state: StateKey | None, frame: Callable[[], pl.DataFrame], indicator: Indicator) -> pl.DataFrame:
    """The indicator's observations with their 95% intervals (filled from counts where the data give none), from
    ``frame()`` — observations up to the cut-off of ``state`` holding every row of the indicator.

    Computed once per state and indicator (when ``state`` is given) for everyone who asks: the dashboard's
    status of each area, a cycle's papers and their KPQ evidence read the same rows, so a county and its twelve
    localities do not work the same intervals out thirteen times.
    """

    def compute() -> pl.DataFrame:
        return with_intervals(frame().filter(pl.col("indicator") == indicator.id), indicator)

    return compute() if state is None else remember(state, ("rows", indicator.id), compute)


def cached(session: Session, plan: Plan, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    """``compute()``, remembered in :mod:`gapwatch.services.cache` until the framework or the data change.

    The key includes the framework revision and the data version, read from the database on every call, so
    a new batch is seen at once — by every server sharing the database. Results must be treated as read-only.
    """
    return remember(state_key(session, plan), key, compute)
