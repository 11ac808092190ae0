"""Observations: one long table of indicator values, the import batches they came from, and their history.

Layout (normalised so that a million-row import and a read of one indicator for every LSOA stay fast):

* ``periods`` — one row per period label, with its kind and start/end dates for ordering;
* ``observation_series`` — one row per (framework, indicator, area, sex, age, category type, category,
  value type): everything that identifies a time series except the period;
* ``observations`` — one row per (series, period): value, numerator (count), denominator, 95% and 99.8%
  interval limits, the flags (provisional, estimated, suppressed, revised, illustrative), the published
  symbol when a value is withheld (DfE ``c``, ``x``, ``z``, ``low`` …), a note, the batch and source row;
* ``observation_revisions`` — the values a later batch replaced, so a revision never loses the old figure
  and a rollback can put it back;
* ``import_batches`` — every import (file name, SHA-256, who, when, row counts, warnings).

Writes use SQLAlchemy Core executemany on plain tuples in chunks (no ORM objects per row); on PostgreSQL
bulk inserts go through ``COPY`` and reads come back through ``COPY … TO STDOUT`` into Polars.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    false,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from gapwatch.errors import Conflict, NotFound
from gapwatch.store._bulk import bulk_insert, read_in, read_rows, table_of
from gapwatch.store.tables import Base, utcnow

__all__ = [
    "FLAGS",
    "SERIES_KEY",
    "VALUE_COLUMNS",
    "ImportBatchRow",
    "ObservationRevisionRow",
    "ObservationRow",
    "PeriodRow",
    "SeriesRow",
    "bulk_insert",
    "create_batch",
    "ensure_periods",
    "ensure_series",
    "existing_observations",
    "finish_batch",
    "get_batch",
    "list_batches",
    "read_observations",
    "read_rows",
    "revise_observations",
    "rollback_batch",
    "table_of",
]

#: Columns that identify a series (with the framework); a series plus a period identifies one observation.
SERIES_KEY: tuple[str, ...] = (
    "indicator_id",
    "area_code",
    "sex",
    "age",
    "category_type",
    "category",
    "value_type",
)
#: Flags stored as booleans on each observation.
FLAGS: tuple[str, ...] = ("provisional", "estimated", "suppressed", "revised", "illustrative")
#: What an import writes (and a revision keeps) besides the keys.
VALUE_COLUMNS: tuple[str, ...] = (
    "value",
    "numerator",
    "denominator",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    *FLAGS,
    "value_code",
    "note",
)
_BigPk = BigInteger().with_variant(Integer, "sqlite")
_CHUNK = 50_000  # rows per UPDATE executemany


class ImportBatchRow(Base):
    """One import: where the rows came from, who loaded them, what happened, and whether it was rolled back."""

    __tablename__ = "import_batches"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_pk: Mapped[int | None] = mapped_column(ForeignKey("frameworks.pk", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="observations")
    name: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    format: Mapped[str | None] = mapped_column(String(40))
    loaded_by: Mapped[str | None] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_revised: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")
    rolled_back_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rolled_back_by: Mapped[str | None] = mapped_column(String(200))


class PeriodRow(Base):
    """A period label with its kind and dates (periods of different kinds order by their end date)."""

    __tablename__ = "periods"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)


class SeriesRow(Base):
    """What an observation is of, apart from its period: indicator, area, population breakdown, value type."""

    __tablename__ = "observation_series"
    __table_args__ = (
        UniqueConstraint("framework_pk", *SERIES_KEY, name="uq_observation_series_key"),
        Index("ix_observation_series_area", "framework_pk", "area_code"),
    )

    pk: Mapped[int] = mapped_column(_BigPk, primary_key=True)
    framework_pk: Mapped[int] = mapped_column(ForeignKey("frameworks.pk", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(String(80))
    area_code: Mapped[str] = mapped_column(String(20))
    sex: Mapped[str] = mapped_column(String(40))
    age: Mapped[str] = mapped_column(String(80))
    category_type: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200))
    value_type: Mapped[str] = mapped_column(String(40))


class _Values:
    """The value columns an observation holds and a revision keeps."""

    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    lower_95: Mapped[float | None] = mapped_column(Float)
    upper_95: Mapped[float | None] = mapped_column(Float)
    lower_998: Mapped[float | None] = mapped_column(Float)
    upper_998: Mapped[float | None] = mapped_column(Float)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    estimated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    revised: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    value_code: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)


class ObservationRow(_Values, Base):
    """One value of one series at one period, with its flags and the batch that wrote it."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("series_pk", "period_pk", name="uq_observations_series_period"),
        Index("ix_observations_batch", "batch_pk"),
    )

    pk: Mapped[int] = mapped_column(_BigPk, primary_key=True)
    series_pk: Mapped[int] = mapped_column(ForeignKey("observation_series.pk", ondelete="CASCADE"))
    # No database-level foreign keys on the period and the batch: periods and batches are never deleted,
    # and on PostgreSQL the two extra per-row checks tripled the time of a million-row COPY (bench/README.md).
    period_pk: Mapped[int] = mapped_column(Integer)
    batch_pk: Mapped[int] = mapped_column(Integer)
    source_row: Mapped[int | None] = mapped_column(Integer)


class ObservationRevisionRow(_Values, Base):
    """The values an observation held before a batch revised it (restored if that batch is rolled back)."""

    __tablename__ = "observation_revisions"
    __table_args__ = (
        UniqueConstraint("observation_pk", "revised_by_batch_pk", name="uq_observation_revisions_once"),
        Index("ix_observation_revisions_old_batch", "old_batch_pk"),
        Index("ix_observation_revisions_batch", "revised_by_batch_pk"),
    )

    pk: Mapped[int] = mapped_column(_BigPk, primary_key=True)
    observation_pk: Mapped[int] = mapped_column(ForeignKey("observations.pk", ondelete="CASCADE"))
    revised_by_batch_pk: Mapped[int] = mapped_column(ForeignKey("import_batches.pk"))
    old_batch_pk: Mapped[int] = mapped_column(ForeignKey("import_batches.pk"))
    source_row: Mapped[int | None] = mapped_column(Integer)


# ------------------------------------------------------------------------------------------------ batches


def create_batch(conn: Connection, **fields: Any) -> int:
    """Record a new batch (status active) and return its pk."""
    values = {"loaded_at": utcnow(), "warnings": [], "options": {}, "status": "active", **fields}
    result = conn.execute(insert(ImportBatchRow).values(**values).returning(ImportBatchRow.pk))
    return int(result.scalar_one())


def finish_batch(conn: Connection, batch_pk: int, **counts: Any) -> None:
    """Store the final row counts and warnings of a batch."""
    conn.execute(update(ImportBatchRow).where(ImportBatchRow.pk == batch_pk).values(**counts))


def get_batch(conn: Connection, batch_pk: int) -> ImportBatchRow:
    """The batch with this number, or :class:`NotFound`."""
    row = conn.execute(select(table_of(ImportBatchRow)).where(ImportBatchRow.pk == batch_pk)).first()
    if row is None:
        raise NotFound(f"There is no import batch {batch_pk}", hint="List them with `gapwatch data batches`.")
    batch = ImportBatchRow(**row._asdict())
    return batch


def list_batches(conn: Connection) -> list[ImportBatchRow]:
    """Every batch, newest first."""
    rows = conn.execute(select(table_of(ImportBatchRow)).order_by(ImportBatchRow.pk.desc())).fetchall()
    return [ImportBatchRow(**row._asdict()) for row in rows]


# ------------------------------------------------------------------------------------ periods and series


def ensure_periods(conn: Connection, periods: pl.DataFrame) -> pl.DataFrame:
    """Make sure each period (``label``, ``kind``, ``start``, ``end``) exists; return ``label`` -> ``period_pk``."""
    labels = periods["label"].unique().to_list()
    table = table_of(PeriodRow)
    existing = {r.label: r.pk for r in conn.execute(select(table.c.label, table.c.pk).where(table.c.label.in_(labels)))}
    new = [r for r in periods.unique("label").iter_rows(named=True) if r["label"] not in existing]
    if new:
        conn.execute(insert(table), [{k: r[k] for k in ("label", "kind", "start", "end")} for r in new])
        existing = {
            r.label: r.pk for r in conn.execute(select(table.c.label, table.c.pk).where(table.c.label.in_(labels)))
        }
    return pl.DataFrame(
        {"label": list(existing), "period_pk": list(existing.values())},
        schema={"label": pl.String, "period_pk": pl.Int64},
    )


_SERIES_SCHEMA: dict[str, Any] = {"series_pk": pl.Int64, **{k: pl.String for k in SERIES_KEY}}


def _series_for(conn: Connection, framework_pk: int, indicator_ids: Sequence[str]) -> pl.DataFrame:
    sql = (
        f"SELECT pk, {', '.join(SERIES_KEY)} FROM observation_series WHERE framework_pk = :fw AND indicator_id IN :ids"
    )
    return read_in(conn, sql, {"fw": framework_pk}, "ids", list(indicator_ids), _SERIES_SCHEMA)


def ensure_series(conn: Connection, framework_pk: int, keys: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Create the series in ``keys`` (columns :data:`SERIES_KEY`) that do not exist yet.

    Returns every key with its ``series_pk`` and whether it ``existed`` before, and the number created.
    """
    keys = keys.select(SERIES_KEY).unique()
    indicators = keys["indicator_id"].unique().to_list()
    before = _series_for(conn, framework_pk, indicators)
    joined = keys.join(before.with_columns(existed=pl.lit(True)), on=list(SERIES_KEY), how="left")
    missing = joined.filter(pl.col("series_pk").is_null()).select(SERIES_KEY)
    if missing.is_empty():
        return joined, 0
    bulk_insert(conn, "observation_series", missing.with_columns(framework_pk=pl.lit(framework_pk)))
    after = _series_for(conn, framework_pk, indicators)
    out = keys.join(after, on=list(SERIES_KEY), how="left").join(
        before.select(SERIES_KEY).with_columns(existed=pl.lit(True)), on=list(SERIES_KEY), how="left"
    )
    return out.with_columns(pl.col("existed").fill_null(False)), missing.height


# ---------------------------------------------------------------------------------------------- values

_VALUE_SCHEMA: dict[str, Any] = {
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "lower_95": pl.Float64,
    "upper_95": pl.Float64,
    "lower_998": pl.Float64,
    "upper_998": pl.Float64,
    **{f: pl.Boolean for f in FLAGS},
    "value_code": pl.String,
    "note": pl.String,
}


def existing_observations(conn: Connection, series_pks: Sequence[int]) -> pl.DataFrame:
    """Current observations of these series: ``pk``, ``series_pk``, ``period_pk``, values, ``batch_pk``."""
    schema = {
        "pk": pl.Int64,
        "series_pk": pl.Int64,
        "period_pk": pl.Int64,
        **_VALUE_SCHEMA,
        "batch_pk": pl.Int64,
        "source_row": pl.Int64,
    }
    sql = f"SELECT {', '.join(schema)} FROM observations WHERE series_pk IN :ids"
    return read_in(conn, sql, {}, "ids", sorted(set(series_pks)), schema)


def revise_observations(conn: Connection, batch_pk: int, old: pl.DataFrame, new: pl.DataFrame) -> None:
    """Keep the ``old`` values of revised observations in history, then write the ``new`` ones.

    ``old`` has ``pk``, the value columns, ``batch_pk`` and ``source_row``; ``new`` has ``pk``, the value
    columns and ``source_row`` (the batch and the ``revised`` flag are set here).
    """
    history = old.select(
        pl.col("pk").alias("observation_pk"),
        pl.lit(batch_pk).alias("revised_by_batch_pk"),
        pl.col("batch_pk").alias("old_batch_pk"),
        *VALUE_COLUMNS,
        "source_row",
    )
    bulk_insert(conn, "observation_revisions", history)
    columns = [c for c in VALUE_COLUMNS if c != "revised"]
    sets = ", ".join(f"{c} = :{c}" for c in columns)
    statement = text(
        f"UPDATE observations SET {sets}, revised = :revised, batch_pk = :batch_pk, source_row = :source_row "
        "WHERE pk = :pk"
    )
    rows = new.select("pk", *columns, "source_row").with_columns(revised=pl.lit(True), batch_pk=pl.lit(batch_pk))
    for chunk in rows.iter_slices(_CHUNK):
        conn.execute(statement, chunk.to_dicts())


def rollback_batch(conn: Connection, batch_pk: int, *, by: str | None = None) -> dict[str, int]:
    """Remove exactly the rows a batch wrote and restore the values it revised.

    Refuses (:class:`Conflict`) when a later, still active batch revised values this batch wrote: that
    batch must be rolled back first, or its figures would silently lose their history.
    """
    batch = get_batch(conn, batch_pk)
    if batch.kind != "observations":
        raise Conflict(
            f"Batch {batch_pk} loaded {batch.kind}, which cannot be rolled back",
            hint="Reload the previous file instead.",
        )
    if batch.status != "active":
        raise Conflict(f"Batch {batch_pk} was already rolled back on {batch.rolled_back_at:%Y-%m-%d %H:%M}")
    revs = table_of(ObservationRevisionRow)
    batches = table_of(ImportBatchRow)
    later = conn.execute(
        select(revs.c.revised_by_batch_pk, func.count())
        .join(batches, batches.c.pk == revs.c.revised_by_batch_pk)
        .where(
            revs.c.old_batch_pk == batch_pk,
            revs.c.revised_by_batch_pk != batch_pk,
            batches.c.status == "active",
        )
        .group_by(revs.c.revised_by_batch_pk)
        .order_by(revs.c.revised_by_batch_pk)
    ).fetchall()
    if later:
        which = ", ".join(f"batch {b} ({n} value(s))" for b, n in later)
        raise Conflict(
            f"Batch {batch_pk} cannot be rolled back: later imports revised values it wrote: {which}",
            hint=f"Roll back batch {later[-1][0]} first, newest first.",
        )
    obs = table_of(ObservationRow)
    restore_cols = [*VALUE_COLUMNS, "source_row"]
    restored = conn.execute(
        text(
            f"UPDATE observations SET ({', '.join(restore_cols)}, batch_pk) = "
            f"(SELECT {', '.join('r.' + c for c in restore_cols)}, r.old_batch_pk FROM observation_revisions r "
            "WHERE r.observation_pk = observations.pk AND r.revised_by_batch_pk = :b) "
            "WHERE pk IN (SELECT observation_pk FROM observation_revisions WHERE revised_by_batch_pk = :b)"
        ),
        {"b": batch_pk},
    ).rowcount
    conn.execute(delete(revs).where(revs.c.revised_by_batch_pk == batch_pk))
    removed = conn.execute(delete(obs).where(obs.c.batch_pk == batch_pk)).rowcount
    conn.execute(
        update(batches)
        .where(batches.c.pk == batch_pk)
        .values(status="rolled_back", rolled_back_at=utcnow(), rolled_back_by=by)
    )
    return {"removed": int(removed or 0), "restored": int(restored or 0)}


# ------------------------------------------------------------------------------------------------ reads

OBSERVATION_SCHEMA: dict[str, Any] = {
    "series_pk": pl.Int64,
    "period_pk": pl.Int64,
    **_VALUE_SCHEMA,
    "batch_pk": pl.Int64,
    "source_row": pl.Int64,
}


def read_observations(
    conn: Connection,
    framework_pk: int,
    *,
    indicator_ids: Iterable[str] | None = None,
    area_codes: Iterable[str] | None = None,
    period_labels: Iterable[str] | None = None,
    batch_pk: int | None = None,
) -> pl.DataFrame:
    """Observations joined to their series and periods, one row each, as a Polars frame.

    Series are read first (small), then the numeric observation rows for those series only, then the
    two are joined in Polars — so a read of one indicator for all 32,844 LSOAs moves only numbers.
    """
    where = ["framework_pk = :fw"]
    params: dict[str, Any] = {"fw": framework_pk}
    areas = None if area_codes is None else sorted(set(area_codes))
    filters: list[tuple[str, list[str]]] = []
    if indicator_ids is not None:
        filters.append(("indicator_id", sorted(set(indicator_ids))))
    if areas is not None and len(areas) <= _IN_LIMIT:
        filters.append(("area_code", areas))
    for column, vals in filters:
        if not vals:
            return _empty_observations()
        names = [f"{column}_{i}" for i in range(len(vals))]
        where.append(f"{column} IN ({', '.join(':' + n for n in names)})")
        params.update(dict(zip(names, vals, strict=True)))
    if areas is not None and not areas:
        return _empty_observations()
    series_where = " AND ".join(where)
    series = read_rows(
        conn,
        f"SELECT pk, {', '.join(SERIES_KEY)} FROM observation_series WHERE {series_where}",
        params,
        _SERIES_SCHEMA,
    )
    if areas is not None and len(areas) > _IN_LIMIT:
        series = series.filter(pl.col("area_code").is_in(areas))
    if series.is_empty():
        return _empty_observations()
    periods = read_rows(
        conn,
        'SELECT pk, label, kind, start, "end" FROM periods',
        {},
        {
            "period_pk": pl.Int64,
            "period": pl.String,
            "period_kind": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
        },
    )
    obs_where = [f"series_pk IN (SELECT pk FROM observation_series WHERE {series_where})"]
    if period_labels is not None:
        wanted = periods.filter(pl.col("period").is_in(sorted(set(period_labels))))["period_pk"].to_list()
        if not wanted:
            return _empty_observations()
        names = [f"p_{i}" for i in range(len(wanted))]
        obs_where.append(f"period_pk IN ({', '.join(':' + n for n in names)})")
        params.update(dict(zip(names, wanted, strict=True)))
    if batch_pk is not None:
        obs_where.append("batch_pk = :batch")
        params["batch"] = batch_pk
    condition = " AND ".join(obs_where)
    # The flags travel packed in one integer: the read moves as few Python objects as possible.
    packed = " + ".join(f"{2**i} * CAST({flag} AS INTEGER)" for i, flag in enumerate(FLAGS))
    main = {
        "series_pk": pl.Int64,
        "period_pk": pl.Int64,
        "value": pl.Float64,
        "numerator": pl.Float64,
        "denominator": pl.Float64,
        "lower_95": pl.Float64,
        "upper_95": pl.Float64,
        "lower_998": pl.Float64,
        "upper_998": pl.Float64,
        "flags": pl.Int64,
        "value_code": pl.String,
        "note": pl.String,
        "batch_pk": pl.Int64,
        "source_row": pl.Int64,
    }
    columns = ", ".join(f"({packed})" if c == "flags" else c for c in main)
    frame = read_rows(conn, f"SELECT {columns} FROM observations WHERE {condition}", params, main)
    frame = frame.with_columns([((pl.col("flags") // 2**i) % 2 == 1).alias(flag) for i, flag in enumerate(FLAGS)]).drop(
        "flags"
    )
    frame = frame.join(series, on="series_pk", how="inner")
    return frame.join(periods, on="period_pk", how="left").select(_FRAME_COLUMNS)


_IN_LIMIT = 500


_FRAME_COLUMNS = [
    *SERIES_KEY,
    "period",
    "period_kind",
    "period_start",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    *FLAGS,
    "value_code",
    "note",
    "batch_pk",
    "source_row",
    "series_pk",
    "period_pk",
]


def _empty_observations() -> pl.DataFrame:
    schema = {
        **{k: pl.String for k in SERIES_KEY},
        "period": pl.String,
        "period_kind": pl.String,
        "period_start": pl.Date,
        "period_end": pl.Date,
        **OBSERVATION_SCHEMA,
    }
    return pl.DataFrame(schema=schema).select(_FRAME_COLUMNS)
