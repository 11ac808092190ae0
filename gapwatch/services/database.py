"""Open the database the settings name, migrated to the newest schema; units of work for the shells.

The shells (web, CLI, reports) never import :mod:`gapwatch.store`: they open the database and their
transactions through here and call the services inside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gapwatch.errors import GapwatchError
from gapwatch.settings import Settings
from gapwatch.store.engine import get_engine, session_scope, sessions
from gapwatch.store.schema import upgrade

__all__ = ["open_database", "session_factory", "transaction"]


def open_database(settings: Settings, *, migrate: bool = True) -> Engine:
    """An engine for ``settings.database_url``, migrated to the newest schema unless ``migrate`` is False."""
    engine = get_engine(settings)
    if migrate:
        try:
            upgrade(engine)
        except OperationalError as exc:
            raise GapwatchError(
                f"Cannot open the database {engine.url.render_as_string(hide_password=True)}: {exc.orig}",
                hint="Check GAPWATCH_DATABASE_URL, that the folder exists and that the server is running.",
            ) from exc
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine`` (objects stay usable after commit), e.g. one per web request."""
    return sessions(engine)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (everything the services wrote inside)."""
    with session_scope(engine) as session:
        yield session
