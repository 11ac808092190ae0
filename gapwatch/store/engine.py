"""Database engines and sessions, the same code for SQLite and PostgreSQL.

SQLite gets the pragmas that make it a dependable embedded store: WAL (readers do not block the
writer), foreign keys enforced, and a busy timeout so that concurrent writers wait rather than fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from gapwatch.errors import GapwatchError
from gapwatch.settings import Settings

__all__ = ["get_engine", "is_sqlite", "session_scope", "sessions"]


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite (some statements differ, e.g. upserts)."""
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def get_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url``.

    In-memory SQLite shares one connection (``StaticPool``) so that every session sees the same data.
    """
    try:
        url = make_url(settings.database_url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise GapwatchError(
            f"GAPWATCH_DATABASE_URL is not a database URL: {settings.database_url!r}",
            hint="Use e.g. sqlite:///gapwatch.db or postgresql+psycopg://user@host/db",
        ) from exc
    kwargs: dict[str, Any] = {"future": True}
    # The web server runs up to 40 requests at once in its thread pool; SQLAlchemy's default of 5 (+10)
    # connections made 50 users' pages queue for a connection rather than for the processor.
    pool = {"pool_size": settings.database_pool_size, "max_overflow": settings.database_pool_size}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            kwargs.update(pool)
    elif url.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs.update(pool)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(url, **kwargs)
    except ModuleNotFoundError as exc:
        raise GapwatchError(
            f"The database driver for {url.drivername} is not installed ({exc.name})",
            hint="Install gapwatch with the 'postgres' extra for PostgreSQL.",
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error, always close."""
    session = sessions(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
