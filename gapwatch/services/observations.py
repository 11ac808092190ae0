"""Reading observations for the statistics engine, and adding them up over sets of areas.

:func:`observations_frame` is the one fast read: by indicator, area and period into a Polars frame, with
every value's flags and the batch it came from (so anything shown later can be traced). The aggregation
helpers form comparison groups the honest way — by summing numerators and denominators, never averaging
percentages — e.g. "Thanet vs the rest of Kent" or "England's most deprived quintile vs the rest".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gapwatch.errors import NotFound
from gapwatch.ingest.fingertips import deprivation_rank
from gapwatch.services._obsframe import cached as _cached
from gapwatch.services._obsframe import observation_frame, with_intervals
from gapwatch.services._plan import current_plan
from gapwatch.store.frameworks import get_framework_row
from gapwatch.store.observations import SERIES_KEY, read_observations

__all__ = ["aggregate_areas", "cached", "indicator_values", "observations_frame", "with_category_rank"]

_T = TypeVar("_T")


def observations_frame(
    engine: Engine,
    *,
    indicator_ids: Iterable[str] | None = None,
    area_ids: Iterable[str] | None = None,
    periods: Iterable[str] | None = None,
    framework_id: str | None = None,
    include_illustrative: bool = True,
    batch: int | None = None,
) -> pl.DataFrame:
    """Observations as a Polars frame, one row per value.

    Columns: ``indicator_id``, ``area_code``, ``sex``, ``age``, ``category_type``, ``category``,
    ``value_type``, ``period`` (label), ``period_kind``, ``period_start``, ``period_end``, ``value``,
    ``numerator``, ``denominator``, ``lower_95``, ``upper_95``, ``lower_998``, ``upper_998``, the flags
    ``provisional``, ``estimated``, ``suppressed``, ``revised``, ``illustrative``, ``value_code``, ``note``,
    ``batch_pk`` and ``source_row`` (lineage), ``series_pk`` and ``period_pk``. Each series' values come
    together, in period order (sorting on the integer keys keeps a 250,000-row read well under a second).
    """
    with engine.connect() as conn:
        with Session(bind=conn) as session:
            framework_pk = get_framework_row(session, framework_id).pk
        frame = read_observations(
            conn, framework_pk, indicator_ids=indicator_ids, area_codes=area_ids, period_labels=periods, batch_pk=batch
        )
    if not include_illustrative:
        frame = frame.filter(~pl.col("illustrative"))
    return frame.sort(["series_pk", "period_end", "period_start"])


def indicator_values(
    session: Session,
    indicator_id: str,
    *,
    area: str | None = None,
    period: str | None = None,
    category_type: str | None = None,
) -> pl.DataFrame:
    """An indicator's values as the API lists them: 95% limits filled from counts where not supplied,
    counts, lineage and the illustrative flag; filtered by area, period and breakdown (``"none"``: the
    whole population). Raises :class:`NotFound` for an indicator the framework does not hold."""
    plan = current_plan(session)
    indicator = plan.indicators.get(indicator_id)
    if indicator is None:
        raise NotFound(f"There is no indicator '{indicator_id}'")
    frame = with_intervals(observation_frame(session, plan, [indicator.id]), indicator)
    if area:
        frame = frame.filter(pl.col("area") == area)
    if period:
        frame = frame.filter(pl.col("period") == period)
    if category_type == "none":
        frame = frame.filter(pl.col("category_type").is_null())
    elif category_type:
        frame = frame.filter(pl.col("category_type") == category_type)
    return frame.drop("period_index")


def cached(session: Session, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    """``compute()``, remembered until the framework or the data change (a load, an import, a rollback);
    ``key`` names what is computed (e.g. an indicator page's charts)."""
    return _cached(session, current_plan(session), key, compute)


def with_category_rank(frame: pl.DataFrame, column: str = "category") -> pl.DataFrame:
    """Add ``category_rank``: the number of a deprivation decile or quintile category (1 = most deprived),
    from Fingertips labels ("Second most deprived decile (IMD2015)") or gapwatch ids (d1, q5)."""
    labels = frame[column].unique().to_list()
    ranks = {label: deprivation_rank(label) for label in labels}
    return frame.with_columns(
        pl.col(column).replace_strict(ranks, default=None, return_dtype=pl.Int64).alias("category_rank")
    )


def aggregate_areas(
    frame: pl.DataFrame,
    membership: Mapping[str, str] | pl.DataFrame,
    *,
    group_column: str = "group",
) -> pl.DataFrame:
    """Sum numerators and denominators of the areas in each group, per indicator, breakdown and period.

    ``membership`` maps area codes to group labels (a dict, or a frame with ``area_code`` and
    ``group_column``); areas outside it are dropped. A null count in any member makes the group's total
    null (a sum over fewer areas would silently understate it). The result keeps how many areas each
    total covers and whether any input was illustrative, suppressed or estimated.
    """
    if isinstance(membership, pl.DataFrame):
        members = membership.select(pl.col("area_code").cast(pl.String), pl.col(group_column).cast(pl.String))
    else:
        members = pl.DataFrame(
            {"area_code": list(membership), group_column: list(membership.values())},
            schema={"area_code": pl.String, group_column: pl.String},
        )
    keys = [k for k in SERIES_KEY if k != "area_code"]
    joined = frame.join(members, on="area_code", how="inner")
    return (
        joined.group_by([*keys, group_column, "period", "period_kind", "period_start", "period_end"])
        .agg(
            pl.when(pl.col("numerator").is_null().any())
            .then(None)
            .otherwise(pl.col("numerator").sum())
            .alias("numerator"),
            pl.when(pl.col("denominator").is_null().any())
            .then(None)
            .otherwise(pl.col("denominator").sum())
            .alias("denominator"),
            pl.len().alias("areas"),
            pl.col("illustrative").any().alias("illustrative"),
            pl.col("suppressed").any().alias("suppressed"),
            pl.col("estimated").any().alias("estimated"),
            pl.col("batch_pk").unique().sort().alias("batches"),
        )
        .sort([*keys, group_column, "period_end"])
    )
