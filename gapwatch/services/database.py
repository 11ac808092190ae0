"""Open the database the settings name, migrated to the newest schema."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from gapwatch.errors import GapwatchError
from gapwatch.settings import Settings
from gapwatch.store.engine import get_engine
from gapwatch.store.schema import upgrade

__all__ = ["open_database"]


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
