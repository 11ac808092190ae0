"""Create and migrate the database schema with Alembic, without an alembic.ini.

``upgrade(engine)`` brings any database to the newest schema; ``pending_changes(engine)`` lists the
differences between the migrated database and the table definitions (a test keeps it empty, so a
table added without a migration fails CI).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData

__all__ = ["TABLE_MODULES", "alembic_config", "metadata", "pending_changes", "upgrade"]

#: Modules that declare tables on the shared Base; importing them registers their tables.
TABLE_MODULES: tuple[str, ...] = (
    "gapwatch.store.tables",
    "gapwatch.store.progress",
    "gapwatch.store.accounts",
    "gapwatch.store.audit",
    "gapwatch.store.observations",
    "gapwatch.store.areas",
    "gapwatch.store.cycles",
    "gapwatch.store.consultations",
)

_MIGRATIONS = Path(__file__).with_name("migrations")


def metadata() -> MetaData:
    """The metadata of every gapwatch table."""
    for module in TABLE_MODULES:
        importlib.import_module(module)
    from gapwatch.store.tables import Base

    return Base.metadata


def alembic_config(connection: Any | None = None) -> Config:
    """An Alembic config pointing at the package's migrations, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (the newest by default)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def pending_changes(engine: Engine) -> list[Any]:
    """Differences between the database schema and the table definitions (empty when in step)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata()))
