"""Write a new Alembic migration from the difference between the migrated schema and the tables.

Usage: python scripts/new_migration.py "what changed"
It migrates a scratch SQLite database to head, then autogenerates the next revision against it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from gapwatch.store.schema import alembic_config, upgrade


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        upgrade(engine)
        with engine.begin() as connection:
            command.revision(alembic_config(connection), message=message, autogenerate=True)


if __name__ == "__main__":
    main()
