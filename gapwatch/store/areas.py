"""Geography and deprivation: the area hierarchy (country to LSOA), the LSOA 2001 -> 2011 and 2011 -> 2021 bridges, the
English Indices of Deprivation by LSOA, and LSOA population denominators.

Areas are keyed by their current GSS code and keep former names and codes, because partnership documents
and older files outlive boundary changes (Shepway became Folkestone and Hythe; IMD 2007 uses 29UN for
Thanet). Deprivation is stored as published — one row per (edition, LSOA, domain) with score, rank and
decile, plus the district code the file gave — and everything derived (quintiles, deciles within a county,
district summaries) is computed on read, so it can never drift from the published figures.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    Connection,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from gapwatch.store._bulk import bulk_insert, read_rows, table_of
from gapwatch.store.tables import Base

__all__ = [
    "AREA_SCHEMA",
    "AreaRow",
    "DeprivationRow",
    "LsoaBridge2021Row",
    "LsoaBridgeRow",
    "PopulationRow",
    "deprivation_editions",
    "read_areas",
    "read_bridge",
    "read_bridge_2021",
    "read_deprivation",
    "read_populations",
    "save_bridge",
    "save_bridge_2021",
    "save_deprivation",
    "save_populations",
    "upsert_areas",
]


class AreaRow(Base):
    """An area with its current GSS code, level, parent and the names and codes it had before."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(20), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(20), index=True)
    former_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    former_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(Text)
    #: the year an abolished area ceased (merged or split); None while it exists
    end_year: Mapped[int | None] = mapped_column(Integer)
    #: the area that took over an abolished one, when exactly one did
    successor_code: Mapped[str | None] = mapped_column(String(20))


class LsoaBridgeRow(Base):
    """ONS LSOA 2001 -> 2011 best fit: U unchanged, S split, M merged, X complex."""

    __tablename__ = "lsoa_bridge"

    lsoa01_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    lsoa11_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    change_code: Mapped[str | None] = mapped_column(String(2))


class LsoaBridge2021Row(Base):
    """ONS LSOA 2011 -> 2021 best fit with the 2022 district: U unchanged, S split, M merged, X irregular."""

    __tablename__ = "lsoa_bridge_2021"

    lsoa11_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    lsoa21_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    change_code: Mapped[str | None] = mapped_column(String(2))
    district_code: Mapped[str | None] = mapped_column(String(20))


class DeprivationRow(Base):
    """One domain of one edition of the English Indices of Deprivation for one LSOA, as published."""

    __tablename__ = "deprivation"

    edition: Mapped[str] = mapped_column(String(10), primary_key=True)
    lsoa_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    domain: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    decile: Mapped[int | None] = mapped_column(Integer)
    district_code: Mapped[str | None] = mapped_column(String(20))
    district_name: Mapped[str | None] = mapped_column(String(200))
    batch_pk: Mapped[int | None] = mapped_column(ForeignKey("import_batches.pk"))


class PopulationRow(Base):
    """A population denominator (e.g. IoD 2019 File 6: mid-2015 population of an LSOA by age group)."""

    __tablename__ = "populations"

    area_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[str] = mapped_column(String(60), primary_key=True)
    age_group: Mapped[str] = mapped_column(String(80), primary_key=True)
    population: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(Text)


AREA_SCHEMA: dict[str, Any] = {
    "code": pl.String,
    "name": pl.String,
    "level": pl.String,
    "parent_code": pl.String,
    "former_names": pl.List(pl.String),
    "former_codes": pl.List(pl.String),
    "source": pl.String,
    "end_year": pl.Int64,
    "successor_code": pl.String,
}


def read_areas(conn: Connection, *, levels: list[str] | None = None) -> pl.DataFrame:
    """Every stored area (optionally of some levels) with former names and codes as lists."""
    sql = (
        "SELECT code, name, level, parent_code, former_names, former_codes, source, end_year, successor_code FROM areas"
    )
    params: dict[str, Any] = {}
    if levels:
        names = [f"l{i}" for i in range(len(levels))]
        sql += f" WHERE level IN ({', '.join(':' + n for n in names)})"
        params = dict(zip(names, levels, strict=True))
    raw = read_rows(conn, sql, params, {**AREA_SCHEMA, "former_names": pl.String, "former_codes": pl.String})
    return raw.with_columns(
        pl.col("former_names").fill_null("[]").str.json_decode(pl.List(pl.String)),
        pl.col("former_codes").fill_null("[]").str.json_decode(pl.List(pl.String)),
    )


def _union(a: list[str] | None, b: list[str] | None, drop: set[str]) -> list[str]:
    out: list[str] = []
    for item in (a or []) + (b or []):
        if item and item not in out and item not in drop:
            out.append(item)
    return out


def upsert_areas(
    conn: Connection, areas: pl.DataFrame, *, source: str | None = None, keep_parent: bool = False
) -> tuple[int, int]:
    """Insert new areas and update known ones; returns (inserted, updated).

    A renamed area keeps its old name among ``former_names``; former names and codes are merged, never
    lost. With ``keep_parent`` an existing parent link is kept (an IMD file must not replace the ward
    parent an ONS lookup gave an LSOA with its district).
    """
    if areas.is_empty():
        return 0, 0
    areas = areas.unique("code", keep="last")
    for col in ("parent_code", "successor_code"):
        if col not in areas.columns:
            areas = areas.with_columns(pl.lit(None, pl.String).alias(col))
    if "end_year" not in areas.columns:
        areas = areas.with_columns(pl.lit(None, pl.Int64).alias("end_year"))
    for col in ("former_names", "former_codes"):
        if col not in areas.columns:
            areas = areas.with_columns(pl.lit([], pl.List(pl.String)).alias(col))
    current = read_areas(conn)
    known = {
        row["code"]: row for row in current.filter(pl.col("code").is_in(areas["code"].implode())).iter_rows(named=True)
    }
    table = table_of(AreaRow)
    new_rows: list[dict[str, Any]] = []
    updated = 0
    for row in areas.iter_rows(named=True):
        old = known.get(row["code"])
        if old is None:
            new_rows.append(
                {
                    "code": row["code"],
                    "name": row["name"],
                    "level": row["level"],
                    "parent_code": row["parent_code"],
                    "former_names": _union(row["former_names"], [], {row["name"]}),
                    "former_codes": _union(row["former_codes"], [], {row["code"]}),
                    "source": source,
                    "end_year": row["end_year"],
                    "successor_code": row["successor_code"],
                }
            )
            continue
        name = row["name"] or old["name"]
        renamed = [old["name"]] if old["name"] and old["name"] != name else []
        change = {
            "name": name,
            "level": row["level"] or old["level"],
            "parent_code": old["parent_code"]
            if (keep_parent and old["parent_code"])
            else (row["parent_code"] or old["parent_code"]),
            "former_names": _union(old["former_names"], renamed + list(row["former_names"] or []), {name}),
            "former_codes": _union(old["former_codes"], row["former_codes"], {row["code"]}),
            "end_year": row["end_year"] if row["end_year"] is not None else old["end_year"],
            "successor_code": row["successor_code"] or old["successor_code"],
        }
        if any(change[k] != old[k] for k in change):
            conn.execute(update(table).where(table.c.code == row["code"]).values(**change))
            updated += 1
    for start in range(0, len(new_rows), 5000):
        conn.execute(insert(table), new_rows[start : start + 5000])
    return len(new_rows), updated


def save_bridge(conn: Connection, bridge: pl.DataFrame) -> int:
    """Replace the LSOA 2001 -> 2011 bridge with ``bridge`` (lsoa01_code, lsoa11_code, change_code)."""
    conn.execute(delete(table_of(LsoaBridgeRow)))
    rows = bridge.select("lsoa01_code", "lsoa11_code", "change_code").unique(["lsoa01_code", "lsoa11_code"])
    bulk_insert(conn, "lsoa_bridge", rows)
    return rows.height


def save_bridge_2021(conn: Connection, bridge: pl.DataFrame) -> int:
    """Replace the LSOA 2011 -> 2021 bridge with ``bridge`` (lsoa11_code, lsoa21_code, change_code,
    district_code)."""
    conn.execute(delete(table_of(LsoaBridge2021Row)))
    rows = bridge.select("lsoa11_code", "lsoa21_code", "change_code", "district_code").unique(
        ["lsoa11_code", "lsoa21_code"]
    )
    bulk_insert(conn, "lsoa_bridge_2021", rows)
    return rows.height


def read_bridge_2021(conn: Connection) -> pl.DataFrame:
    """The stored LSOA 2011 -> 2021 bridge."""
    return read_rows(
        conn,
        "SELECT lsoa11_code, lsoa21_code, change_code, district_code FROM lsoa_bridge_2021",
        {},
        {"lsoa11_code": pl.String, "lsoa21_code": pl.String, "change_code": pl.String, "district_code": pl.String},
    )


def read_bridge(conn: Connection) -> pl.DataFrame:
    """The stored LSOA 2001 -> 2011 bridge."""
    return read_rows(
        conn,
        "SELECT lsoa01_code, lsoa11_code, change_code FROM lsoa_bridge",
        {},
        {"lsoa01_code": pl.String, "lsoa11_code": pl.String, "change_code": pl.String},
    )


_DEPRIVATION_SCHEMA: dict[str, Any] = {
    "edition": pl.String,
    "lsoa_code": pl.String,
    "domain": pl.String,
    "score": pl.Float64,
    "rank": pl.Int64,
    "decile": pl.Int64,
    "district_code": pl.String,
    "district_name": pl.String,
    "batch_pk": pl.Int64,
}


def save_deprivation(conn: Connection, frame: pl.DataFrame, *, batch_pk: int | None = None) -> int:
    """Merge published deprivation values into the store; returns the number of rows now held for them.

    Several files make up one edition (ranks and deciles in File 1, scores in File 5 or 7, domains in
    File 2): a value present in the new file replaces the stored one, a value it lacks is kept. An LSOA's
    district, when the file does not give it (the IMD 2010 domains file), is taken from rows of the same
    edition already stored.
    """
    frame = frame.with_columns(batch_pk=pl.lit(batch_pk, pl.Int64))
    for col, dtype in _DEPRIVATION_SCHEMA.items():
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(col))
    frame = frame.select(list(_DEPRIVATION_SCHEMA)).cast(_DEPRIVATION_SCHEMA)  # type: ignore[arg-type]
    total = 0
    for edition in frame["edition"].unique().to_list():
        new = frame.filter(pl.col("edition") == edition)
        old = read_deprivation(conn, edition=edition, domain=None)
        key = ["edition", "lsoa_code", "domain"]
        merged = (
            new.join(old, on=key, how="full", coalesce=True, suffix="_old")
            .with_columns([pl.coalesce(c, f"{c}_old").alias(c) for c in _DEPRIVATION_SCHEMA if c not in key])
            .select(list(_DEPRIVATION_SCHEMA))
        )
        districts = (
            merged.filter(pl.col("district_code").is_not_null())
            .unique("lsoa_code")
            .select("lsoa_code", pl.col("district_code").alias("_dc"), pl.col("district_name").alias("_dn"))
        )
        merged = (
            merged.join(districts, on="lsoa_code", how="left")
            .with_columns(
                pl.coalesce("district_code", "_dc").alias("district_code"),
                pl.coalesce("district_name", "_dn").alias("district_name"),
            )
            .drop("_dc", "_dn")
        )
        conn.execute(delete(table_of(DeprivationRow)).where(table_of(DeprivationRow).c.edition == edition))
        bulk_insert(conn, "deprivation", merged)
        total += merged.height
    return total


def read_deprivation(conn: Connection, *, edition: str | None = None, domain: str | None = "imd") -> pl.DataFrame:
    """Stored deprivation rows, optionally for one edition and one domain (``None`` = every domain)."""
    where, params = [], {}
    if edition is not None:
        where.append("edition = :edition")
        params["edition"] = edition
    if domain is not None:
        where.append("domain = :domain")
        params["domain"] = domain
    sql = f"SELECT {', '.join(_DEPRIVATION_SCHEMA)} FROM deprivation"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return read_rows(conn, sql, params, _DEPRIVATION_SCHEMA)


def deprivation_editions(conn: Connection) -> pl.DataFrame:
    """Which editions and domains are stored, with LSOA counts."""
    table = table_of(DeprivationRow)
    rows = conn.execute(
        select(table.c.edition, table.c.domain, func.count())
        .group_by(table.c.edition, table.c.domain)
        .order_by(table.c.edition, table.c.domain)
    ).fetchall()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"edition": pl.String, "domain": pl.String, "lsoas": pl.Int64},
        orient="row",
    )


_POP_SCHEMA: dict[str, Any] = {
    "area_code": pl.String,
    "period": pl.String,
    "age_group": pl.String,
    "population": pl.Float64,
    "source": pl.String,
}


def save_populations(conn: Connection, frame: pl.DataFrame, *, source: str | None = None) -> int:
    """Replace the populations of the (period, age group) pairs in ``frame`` with its rows."""
    frame = frame.with_columns(source=pl.lit(source, pl.String)).select(list(_POP_SCHEMA))
    table = table_of(PopulationRow)
    for period, age in frame.select("period", "age_group").unique().iter_rows():
        conn.execute(delete(table).where(and_(table.c.period == period, table.c.age_group == age)))
    bulk_insert(conn, "populations", frame)
    return frame.height


def read_populations(conn: Connection, *, period: str | None = None, age_group: str | None = None) -> pl.DataFrame:
    """Stored population denominators."""
    where, params = [], {}
    if period is not None:
        where.append("period = :period")
        params["period"] = period
    if age_group is not None:
        where.append("age_group = :age")
        params["age"] = age_group
    sql = f"SELECT {', '.join(_POP_SCHEMA)} FROM populations" + (" WHERE " + " AND ".join(where) if where else "")
    return read_rows(conn, sql, params, _POP_SCHEMA)
