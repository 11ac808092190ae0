"""Which cycle window the web judges time in: the shell decides, the services are told.

Every page or API answer that says "overdue", "updated this cycle", "no update since" or "review overdue",
and the dashboard's KPQ answers, judges time in one :class:`~gapwatch.domain.cycle.CycleWindow`: the open
reporting cycle's (so pages agree with the cycle's report), else the default half-year window for today.
This is the one place the web reads the calendar for that.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from gapwatch.domain.cycle import CycleWindow
from gapwatch.services.cycles import current_window

__all__ = ["request_window"]


def request_window(db: Session) -> CycleWindow:
    """The window for this request: the open cycle's, else the half-year containing today."""
    return current_window(db, date.today())
