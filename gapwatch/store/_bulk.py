"""Bulk I/O shared by the data tables: executemany / COPY writes and reads into Polars.

Writes use DB-API ``executemany`` on plain tuples in chunks (no ORM objects per row), leaving out columns
that only carry defaults; on PostgreSQL they go through ``COPY … FROM STDIN`` fed by Polars' CSV writer.
Reads come back as typed Polars frames: SQLite's tuples are built into a frame in one call, PostgreSQL's
rows stream through ``COPY (…) TO STDOUT``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any, cast

import polars as pl
from sqlalchemy import Connection, Table

from gapwatch.store.tables import Base

__all__ = ["Progress", "bulk_insert", "read_in", "read_rows", "table_of"]

_CHUNK = 50_000


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, typed as a Table (for Core statements)."""
    return cast(Table, model.__table__)


Progress = Callable[[int], None]


def _is_pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def bulk_insert(conn: Connection, table_name: str, frame: pl.DataFrame, *, progress: Progress | None = None) -> None:
    """Insert every row of ``frame`` (columns named as in the table) inside the caller's transaction.

    PostgreSQL: ``COPY … FROM STDIN`` fed with Polars' CSV writer. Others: DB-API ``executemany`` over
    plain tuples in chunks of 50,000 rows. ``progress`` is called with the number of rows just written.
    """
    if frame.is_empty():
        return
    frame = _without_default_columns(table_name, frame)
    columns = frame.columns
    if _is_pg(conn):
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        names = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for chunk in frame.iter_slices(_CHUNK):
                copy.write(chunk.write_csv(include_header=False, quote_style="non_numeric"))
                if progress is not None:
                    progress(chunk.height)
        return
    sql = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    cursor = conn.connection.cursor()
    try:
        for chunk in frame.iter_slices(_CHUNK):
            cursor.executemany(sql, chunk.rows())
            if progress is not None:
                progress(chunk.height)
    finally:
        cursor.close()


def _without_default_columns(table_name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Leave out columns whose every value is what the database would store anyway (null in a nullable
    column, false in a column whose server default is false): a typical import sends half the columns."""
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return frame
    drop = []
    for name in frame.columns:
        column = table.c.get(name)
        if column is None or column.primary_key:
            continue
        series = frame[name]
        if (
            column.nullable
            and series.null_count() == frame.height
            or column.server_default is not None
            and series.dtype == pl.Boolean
            and not series.fill_null(False).any()
        ):
            drop.append(name)
    return frame.drop(drop) if drop and len(drop) < frame.width else frame


def read_rows(conn: Connection, sql: str, params: dict[str, Any], schema: dict[str, Any]) -> pl.DataFrame:
    """Run a SELECT and return its rows as a Polars frame with the given column types.

    PostgreSQL streams the result through ``COPY (…) TO STDOUT`` as CSV (parameters are bound first
    with the driver's own quoting); SQLite transposes the fetched tuples into typed columns.
    """
    names = list(schema)
    if _is_pg(conn):
        import psycopg

        client = psycopg.ClientCursor(conn.connection.driver_connection)  # type: ignore[arg-type]
        query = client.mogrify(_to_pyformat(sql), params)
        buffer = io.BytesIO()
        with client.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        csv_schema = {n: (pl.String if t in (pl.Date, pl.Boolean) else t) for n, t in schema.items()}
        frame = pl.read_csv(buffer, has_header=False, new_columns=names, schema=csv_schema)
        casts = []
        for n, t in schema.items():
            if t == pl.Boolean:
                casts.append(pl.col(n).replace_strict({"t": True, "f": False}, default=None, return_dtype=pl.Boolean))
            elif t == pl.Date:
                casts.append(pl.col(n).str.to_date("%Y-%m-%d"))
        return frame.with_columns(casts) if casts else frame
    cursor = conn.connection.cursor()  # the DB-API cursor: plain tuples, no Row objects per row
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return pl.DataFrame(schema=schema)
    # SQLite hands dates back as text and booleans as 0/1: read those as such, then cast.
    raw = {n: (pl.String if t == pl.Date else pl.Int64 if t == pl.Boolean else t) for n, t in schema.items()}
    frame = pl.DataFrame(rows, schema=raw, orient="row", strict=False)
    casts = [
        pl.col(n).str.to_date("%Y-%m-%d") if t == pl.Date else pl.col(n).cast(pl.Boolean)
        for n, t in schema.items()
        if t in (pl.Date, pl.Boolean)
    ]
    return frame.with_columns(casts) if casts else frame


def _to_pyformat(sql: str) -> str:
    """``:name`` placeholders (SQLAlchemy text) to psycopg's ``%(name)s``."""
    return re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", sql)


def read_in(
    conn: Connection, sql: str, params: dict[str, Any], name: str, values: list[Any], schema: dict[str, Any]
) -> pl.DataFrame:
    """:func:`read_rows` with an IN list of any length (bound in chunks of 900 values)."""
    if not values:
        return pl.DataFrame(schema=schema)
    frames = []
    for start in range(0, len(values), 900):
        part = values[start : start + 900]
        names = [f"{name}_{i}" for i in range(len(part))]
        chunk_sql = sql.replace(f":{name}", "(" + ", ".join(f":{n}" for n in names) + ")")
        frames.append(read_rows(conn, chunk_sql, {**params, **dict(zip(names, part, strict=True))}, schema))
    return pl.concat(frames) if len(frames) > 1 else frames[0]
