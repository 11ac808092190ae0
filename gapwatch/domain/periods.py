"""Reporting periods: parse the forms found in plans and data files, order them and find the latest.

Performance data arrive as financial years ("2007/08"), academic years ("2006/07 AY"), calendar years
("2007"), rolling periods ("2017-19"), quarters, halves (twice-yearly monitoring: "2011 H2"), months
("March 2004") and dates. Each becomes a :class:`Period` with a start and end date so that periods of
different kinds can be ordered and compared.

The notation is read by fixed rules (docs/importing.md lists them), never guessed per file:

- a slash joins the two halves of one year: ``2010/11`` is the financial year April 2010 - March 2011,
  ``2010/11 AY`` the academic year September 2010 - August 2011 (DfE's compact ``201011`` too);
- a dash joins the first and last of pooled calendar years, as Fingertips writes them: ``2017-19`` (or
  ``2017 - 19``, ``2017-2019``) is January 2017 - December 2019, three years; ``2010-12`` is 2010 to 2012 and
  ``2011-12`` is 2011 to 2012, because the second part is a year up to ten years after the first;
- so ``YYYY-MM`` is never a month: a month is written ``Dec 2010`` (or a date, ``2010-12-01``), and a dash form
  whose second part cannot be a later year (``2010-05``) is refused as ambiguous, naming the choices.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

__all__ = ["MAX_POOLED_YEARS", "Period", "PeriodKind", "PeriodLabel", "latest", "parse_period"]


class PeriodKind(StrEnum):
    """The kind of a reporting period."""

    DATE = "date"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    CALENDAR_YEAR = "calendar_year"
    FINANCIAL_YEAR = "financial_year"
    ACADEMIC_YEAR = "academic_year"
    ROLLING = "rolling"


class Period(BaseModel):
    """A period with its kind, canonical label and inclusive start and end dates."""

    model_config = ConfigDict(frozen=True)

    kind: PeriodKind
    label: str
    start: date
    end: date

    def sort_key(self) -> tuple[date, date]:
        """Periods order by their end date, then start: the latest data are those that end last."""
        return (self.end, self.start)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key() < other.sort_key()


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_DASH = r"\s*[-/–—]\s*"
#: The longest span a dash form such as "2010-19" may pool (a longer one is taken for a mistake).
MAX_POOLED_YEARS = 10


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _two_year(first: int, second_text: str) -> int:
    """Second year of a span written "2007/08" or "2007/2008"; checks it follows the first."""
    second = int(second_text)
    if len(second_text) == 2:
        second = (first // 100) * 100 + second
        if second < first:
            second += 100
    return second


def parse_period(text: str) -> Period:
    """Parse a period label. Raises ``ValueError`` with a plain-English message when it cannot."""
    raw = str(text).strip()
    s = re.sub(r"\s+", " ", raw)
    low = s.lower()

    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
    if m:
        d = date(int(m[1]), int(m[2]), int(m[3]))
        return Period(kind=PeriodKind.DATE, label=d.isoformat(), start=d, end=d)
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s)
    if m:  # UK day/month/year
        d = date(int(m[3]), int(m[2]), int(m[1]))
        return Period(kind=PeriodKind.DATE, label=d.isoformat(), start=d, end=d)
    m = re.fullmatch(r"([a-z]+)\.? (\d{4})", low)
    if m and m[1] in _MONTHS:
        year, month = int(m[2]), _MONTHS[m[1]]
        return Period(
            kind=PeriodKind.MONTH,
            label=f"{calendar.month_name[month]} {year}",
            start=date(year, month, 1),
            end=_month_end(year, month),
        )
    m = re.fullmatch(r"(\d{4}) ?h([12])", low)
    if m:
        year, half = int(m[1]), int(m[2])
        start = date(year, 1 if half == 1 else 7, 1)
        end = _month_end(year, 6 if half == 1 else 12)
        return Period(kind=PeriodKind.HALF, label=f"{year} H{half}", start=start, end=end)
    m = re.fullmatch(r"(\d{4})" + _DASH + r"(\d{2}|\d{4}) ?q([1-4])", low)
    if m:  # financial-year quarter: Q1 is April-June
        first = int(m[1])
        _two_year(first, m[2])
        q = int(m[3])
        month = 4 + 3 * (q - 1)
        year = first if month <= 12 else first + 1
        month = month if month <= 12 else month - 12
        start = date(year, month, 1)
        end = _month_end(year, month + 2)
        return Period(kind=PeriodKind.QUARTER, label=f"{first}/{str(first + 1)[2:]} Q{q}", start=start, end=end)
    m = re.fullmatch(r"(\d{4}) ?q([1-4])", low)
    if m:  # calendar quarter
        year, q = int(m[1]), int(m[2])
        start = date(year, 3 * (q - 1) + 1, 1)
        return Period(kind=PeriodKind.QUARTER, label=f"{year} Q{q}", start=start, end=_month_end(year, 3 * q))
    m = re.fullmatch(r"(\d{4})" + _DASH + r"(\d{2}|\d{4})( ?ay| academic year)?", low)
    if m:
        first = int(m[1])
        second = _two_year(first, m[2])
        slash = "/" in s
        if m[3] or slash:  # one financial or academic year: the two halves of it
            if second != first + 1:
                raise ValueError(f"'{raw}' is not a valid period: the years must follow each other (e.g. 2007/08)")
            label = f"{first}/{str(second)[2:]}"
            if m[3]:
                return Period(
                    kind=PeriodKind.ACADEMIC_YEAR,
                    label=label + " AY",
                    start=date(first, 9, 1),
                    end=date(second, 8, 31),
                )
            return Period(kind=PeriodKind.FINANCIAL_YEAR, label=label, start=date(first, 4, 1), end=date(second, 3, 31))
        if first < second <= first + MAX_POOLED_YEARS:  # pooled calendar years, first to last
            return Period(
                kind=PeriodKind.ROLLING,
                label=f"{first}-{str(second)[2:]}",
                start=date(first, 1, 1),
                end=date(second, 12, 31),
            )
        if len(m[2]) == 2 and 1 <= int(m[2]) <= 12:
            abbr = calendar.month_abbr[int(m[2])]
            raise ValueError(
                f"'{raw}' is ambiguous: write {abbr} {first} (or {first}-{m[2]}-01) for a month, "
                f"{first}/{str(first + 1)[2:]} for a financial year, {first}/{str(first + 1)[2:]} AY for an "
                f"academic year, or first-last for pooled years (e.g. {first}-{str(first + 2)[2:]})"
            )
        raise ValueError(
            f"'{raw}' is not a valid period: pooled years run from the first to a later last year, at most "
            f"{MAX_POOLED_YEARS} years on (e.g. 2017-19)"
        )
    m = re.fullmatch(r"(\d{4})/(\d{2}|\d{4})" + _DASH + r"(\d{2}|\d{4})/(\d{2}|\d{4})", s)
    if m:  # pooled financial years, as Fingertips writes them: "2017/18 - 19/20"
        first = int(m[1])
        last_first = _two_year(first, m[3])
        last_second = _two_year(last_first, m[4])
        if _two_year(first, m[2]) != first + 1 or last_second != last_first + 1 or not 0 < last_first - first < 20:
            raise ValueError(
                f"'{raw}' is not a valid period: each year must be a financial year (e.g. 2017/18 - 19/20)"
            )
        return Period(
            kind=PeriodKind.ROLLING,
            label=f"{first}/{str(first + 1)[2:]} - {str(last_first)[2:]}/{str(last_second)[2:]}",
            start=date(first, 4, 1),
            end=date(last_second, 3, 31),
        )
    m = re.fullmatch(r"([a-z]+)\.? (\d{4})" + _DASH + r"([a-z]+)\.? (\d{4})", low)
    if m and m[1] in _MONTHS and m[3] in _MONTHS:  # a span of months: "Oct 2015 - Sep 2016"
        start = date(int(m[2]), _MONTHS[m[1]], 1)
        end = _month_end(int(m[4]), _MONTHS[m[3]])
        if end < start:
            raise ValueError(f"'{raw}' is not a valid period: it ends before it starts")
        return Period(
            kind=PeriodKind.ROLLING,
            label=f"{calendar.month_abbr[start.month]} {start.year} - {calendar.month_abbr[end.month]} {end.year}",
            start=start,
            end=end,
        )
    m = re.fullmatch(r"(\d{4})(\d{2})", s)
    if m and int(m[2]) == (int(m[1]) + 1) % 100:  # DfE's compact "201819"
        first = int(m[1])
        return Period(
            kind=PeriodKind.ACADEMIC_YEAR,
            label=f"{first}/{m[2]} AY",
            start=date(first, 9, 1),
            end=date(first + 1, 8, 31),
        )
    m = re.fullmatch(r"(\d{4})", s)
    if m:
        year = int(m[1])
        return Period(kind=PeriodKind.CALENDAR_YEAR, label=str(year), start=date(year, 1, 1), end=date(year, 12, 31))
    raise ValueError(
        f"'{raw}' is not a period gapwatch understands "
        "(examples: 2007, 2007/08, 2006/07 AY, 2017-19, 2011 H2, 2008 Q1, March 2004, 2004-03-31)"
    )


def latest(periods: list[Period]) -> Period | None:
    """The period that ends last (ties broken by the later start), or ``None`` for an empty list."""
    return max(periods, key=Period.sort_key, default=None)


def _check_label(text: str) -> str:
    parse_period(text)
    return text


#: A period label that must parse (kept as written, so files round-trip exactly).
PeriodLabel = Annotated[str, AfterValidator(_check_label)]
