"""How numbers, intervals and dates read in every report output (HTML, PDF, Word): one set of rules.

A missing value reads "no data" and a missing interval "no interval": a report never shows a number
that is not in the snapshot.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

__all__ = ["NO_DATA", "fmt_date", "fmt_interval", "fmt_num", "fmt_signed", "fmt_when"]

NO_DATA = "no data"

_MONTHS = tuple(calendar.month_name)[1:]  # English month names, whatever the locale says


def _decimals(value: float) -> int:
    if value == int(value) or abs(value) >= 1000:
        return 0
    return 2 if abs(value) < 1 else 1


def fmt_num(value: float | None, missing: str = NO_DATA) -> str:
    """A number with thousands separators: whole numbers bare, others to 1 decimal (2 below 1)."""
    if value is None:
        return missing
    return f"{value:,.{_decimals(value)}f}"


def fmt_signed(value: float | None, missing: str = NO_DATA) -> str:
    """A gap with its sign (+3.1, −2.0): which side of the comparator the group is on matters."""
    if value is None:
        return missing
    text = fmt_num(abs(value))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def fmt_interval(lower: float | None, upper: float | None) -> str:
    """A 95% interval as "41.2 to 48.9", or "no interval" when the data give none."""
    if lower is None or upper is None:
        return "no interval"
    return f"{fmt_num(lower)} to {fmt_num(upper)}"


def fmt_date(value: date | datetime | None, missing: str = "") -> str:
    """A date as "4 June 2011"."""
    if value is None:
        return missing
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def fmt_when(value: datetime | None, missing: str = "") -> str:
    """A moment as "4 June 2011, 14:05"."""
    if value is None:
        return missing
    return f"{fmt_date(value)}, {value:%H:%M}"
