"""An engine for one command that is disposed of when the command ends (no connection left open)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from gapwatch.cli._common import engine_for

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["command_engine"]


@contextmanager
def command_engine(db: Path | None) -> Iterator[Engine]:
    """The migrated engine for ``--db`` (or the settings' URL), disposed of afterwards."""
    engine = engine_for(db)
    try:
        yield engine
    finally:
        engine.dispose()
