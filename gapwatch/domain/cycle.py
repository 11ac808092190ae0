"""The cycle clock: the one window in which a reporting cycle judges time.

A partnership monitors its plan twice a year. Everything judged within a cycle — whether an action is
overdue, whether it was updated this cycle (and so "no update since" its start), whether a risk review
is overdue, which observations count — is judged against one :class:`CycleWindow`:

* ``start`` — updates on or after this day count for the cycle;
* ``as_of`` — the day deadlines and review dates are judged at (a date before it has passed);
* ``cutoff`` — the last day a data period may end on to count (a cycle reports the data it had).

A stored reporting cycle gives its window with :meth:`CycleWindow.for_cycle`: the six calendar months
ending with the month of its data cut-off (or from its opening, if that was earlier), judged as at the
cut-off — so the 2012 H2 report says the same whether it is built in 2013 or 2026. When no cycle is open,
:meth:`CycleWindow.default` gives the half-year containing a given day, judged at that day. Both follow
one rule (:func:`window_start`). Nothing here reads the clock: whoever asks (a web page, a command)
decides the day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol, Self

from pydantic import model_validator

from gapwatch.domain._base import Model

__all__ = ["CYCLE_MONTHS", "CycleWindow", "StoredCycle", "half_year_end", "window_start", "years_before"]

#: A reporting cycle covers this many calendar months (the partnership reports twice a year).
CYCLE_MONTHS = 6


class StoredCycle(Protocol):
    """What :meth:`CycleWindow.for_cycle` needs of a stored reporting cycle."""

    @property
    def name(self) -> str: ...

    @property
    def data_cutoff(self) -> date: ...

    @property
    def opened_at(self) -> datetime | None: ...


def window_start(last_day: date) -> date:
    """The first day of the :data:`CYCLE_MONTHS` calendar months ending with ``last_day``'s month.

    The one rule for when a cycle begins: a 31 December cut-off gives 1 July, a 31 March cut-off 1 October.
    """
    months = last_day.year * 12 + (last_day.month - 1) - (CYCLE_MONTHS - 1)
    return date(months // 12, months % 12 + 1, 1)


def half_year_end(day: date) -> date:
    """The last day of the half-year (January-June or July-December) containing ``day``."""
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` years earlier (28 February for a 29 February that year lacks)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _as_date(moment: date | datetime) -> date:
    if isinstance(moment, datetime):
        # Stored times are UTC; SQLite hands them back without their time zone.
        return (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()
    return moment


class CycleWindow(Model):
    """The window a reporting cycle judges time in: its start, its as-of date and its data cut-off."""

    start: date
    as_of: date
    cutoff: date
    cycle: str | None = None  #: the reporting cycle's name; None for the default half-year window

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start > self.as_of or self.start > self.cutoff:
            raise ValueError(f"a cycle window cannot start ({self.start}) after its as-of date or cut-off")
        return self

    @classmethod
    def for_cycle(cls, cycle: StoredCycle) -> CycleWindow:
        """A stored cycle's window: the six months to its cut-off (or from its opening), as at the cut-off."""
        start = window_start(cycle.data_cutoff)
        if cycle.opened_at is not None:
            start = min(start, _as_date(cycle.opened_at))
        return cls(start=start, as_of=cycle.data_cutoff, cutoff=cycle.data_cutoff, cycle=cycle.name)

    @classmethod
    def ending(cls, cutoff: date, name: str | None = None) -> CycleWindow:
        """The window of a cycle with data cut-off ``cutoff`` (not stored): the six months to it, as at it."""
        return cls(start=window_start(cutoff), as_of=cutoff, cutoff=cutoff, cycle=name)

    @classmethod
    def default(cls, today: date) -> CycleWindow:
        """The window when no cycle is open: the half-year containing ``today``, judged at ``today``."""
        return cls(start=window_start(half_year_end(today)), as_of=today, cutoff=today)

    def is_overdue(self, deadline: date | None, *, complete: bool = False) -> bool:
        """Whether something due on ``deadline`` and not complete is overdue at :attr:`as_of`."""
        return deadline is not None and deadline < self.as_of and not complete

    def updated_this_cycle(self, updated: date | datetime | None) -> bool:
        """Whether an update made at ``updated`` counts for this cycle (on or after :attr:`start`)."""
        return updated is not None and _as_date(updated) >= self.start

    def counts(self, period_end: date | None) -> bool:
        """Whether a data period ending on ``period_end`` is within the cut-off."""
        return period_end is not None and period_end <= self.cutoff
