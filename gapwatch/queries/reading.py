"""How a read model gets its session and its cycle: the same for the web (a request's session) and the
command line (an engine), so a query cannot answer differently depending on who asked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gapwatch.domain.cycle import CycleWindow
from gapwatch.services.cycles import cycle_window

__all__ = ["cycle_cutoff", "cycle_window_of", "reading"]


@contextmanager
def reading(db: Session | Engine) -> Iterator[Session]:
    """A session to read with: the caller's own, or a short-lived one on ``db``."""
    if isinstance(db, Session):
        yield db
        return
    with Session(db) as session:
        yield session


def cycle_window_of(db: Session | Engine, cycle: str | None) -> CycleWindow:
    """The window of a named reporting cycle (the latest when None)."""
    engine = db.get_bind() if isinstance(db, Session) else db
    assert isinstance(engine, Engine)
    return cycle_window(engine, cycle)


def cycle_cutoff(db: Session | Engine, cycle: str | None) -> date | None:
    """The data cut-off of a named reporting cycle (None without a cycle: all data)."""
    if cycle is None:
        return None
    engine = db.get_bind() if isinstance(db, Session) else db
    assert isinstance(engine, Engine)
    return cycle_window(engine, cycle).cutoff
