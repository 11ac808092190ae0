"""Alembic environment: runs migrations on the connection gapwatch hands over (see store/schema.py)."""

from __future__ import annotations

from alembic import context

from gapwatch.store.schema import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("gapwatch runs migrations through gapwatch.store.schema.upgrade()")
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
