"""The cycle clock: one rule for when a cycle begins, and overdue / updated judged in the window, not by the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from gapwatch.domain.cycle import CycleWindow, half_year_end, window_start, years_before


def _stored(cutoff: date, opened: datetime | None = None) -> SimpleNamespace:
    return SimpleNamespace(name="2012 H2", data_cutoff=cutoff, opened_at=opened)


@pytest.mark.parametrize(
    ("last_day", "start"),
    [
        (date(2012, 12, 31), date(2012, 7, 1)),
        (date(2012, 6, 30), date(2012, 1, 1)),
        (date(2012, 3, 31), date(2011, 10, 1)),
        (date(2012, 5, 15), date(2011, 12, 1)),
    ],
)
def test_a_window_covers_the_six_months_ending_with_its_last_day(last_day: date, start: date) -> None:
    assert window_start(last_day) == start


def test_default_window_is_the_half_year_containing_the_day() -> None:
    assert half_year_end(date(2013, 1, 20)) == date(2013, 6, 30)
    assert half_year_end(date(2012, 7, 1)) == date(2012, 12, 31)
    jan = CycleWindow.default(date(2013, 1, 20))
    assert (jan.start, jan.as_of, jan.cutoff, jan.cycle) == (
        date(2013, 1, 1),
        date(2013, 1, 20),
        date(2013, 1, 20),
        None,
    )
    assert CycleWindow.default(date(2012, 12, 31)).start == date(2012, 7, 1)


def test_a_stored_cycle_is_judged_as_at_its_cutoff_whenever_it_is_read() -> None:
    # A 31 December cut-off read on 20 January (or in 2026): updates count from 1 July, overdue at 31 December.
    window = CycleWindow.for_cycle(_stored(date(2012, 12, 31), datetime(2013, 1, 20, 9, tzinfo=UTC)))
    assert (window.start, window.as_of, window.cutoff, window.cycle) == (
        date(2012, 7, 1),
        date(2012, 12, 31),
        date(2012, 12, 31),
        "2012 H2",
    )
    assert window == CycleWindow.ending(date(2012, 12, 31), "2012 H2")
    # Opened before its six months began: updates since the opening count too.
    early = CycleWindow.for_cycle(_stored(date(2012, 12, 31), datetime(2012, 5, 2, tzinfo=UTC)))
    assert early.start == date(2012, 5, 2)


def test_overdue_is_judged_at_the_as_of_date() -> None:
    due = date(2013, 12, 31)
    assert not CycleWindow.ending(date(2012, 12, 31)).is_overdue(due)
    assert not CycleWindow.ending(date(2013, 12, 31)).is_overdue(due)  # due that day: not yet overdue
    assert CycleWindow.default(date(2014, 1, 1)).is_overdue(due)
    assert not CycleWindow.default(date(2014, 1, 1)).is_overdue(due, complete=True)
    assert not CycleWindow.default(date(2014, 1, 1)).is_overdue(None)


def test_updated_this_cycle_counts_from_the_start() -> None:
    window = CycleWindow.ending(date(2012, 12, 31))
    assert window.updated_this_cycle(datetime(2012, 7, 1, 0, 0, tzinfo=UTC))
    assert window.updated_this_cycle(datetime(2013, 1, 20, tzinfo=UTC))  # updates after the cut-off count
    assert window.updated_this_cycle(datetime(2012, 9, 1))  # SQLite's naive UTC times
    assert not window.updated_this_cycle(datetime(2012, 6, 30, 23, 59, tzinfo=UTC))
    assert not window.updated_this_cycle(None)


def test_a_window_cannot_start_after_it_ends() -> None:
    with pytest.raises(ValidationError):
        CycleWindow(start=date(2013, 1, 1), as_of=date(2012, 12, 31), cutoff=date(2012, 12, 31))


def test_years_before_a_leap_day() -> None:
    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert years_before(date(2028, 2, 29), 4) == date(2024, 2, 29)
    assert years_before(date(2012, 12, 31), 3) == date(2009, 12, 31)
