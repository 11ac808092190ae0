"""Period labels: the forms found in plans, Fingertips and DfE files, their dates, order and round trips."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gapwatch.domain.periods import PeriodKind, latest, parse_period


@pytest.mark.parametrize(
    ("text", "kind", "label", "start", "end"),
    [
        ("2007", PeriodKind.CALENDAR_YEAR, "2007", date(2007, 1, 1), date(2007, 12, 31)),
        ("2007/08", PeriodKind.FINANCIAL_YEAR, "2007/08", date(2007, 4, 1), date(2008, 3, 31)),
        ("2006/07 AY", PeriodKind.ACADEMIC_YEAR, "2006/07 AY", date(2006, 9, 1), date(2007, 8, 31)),
        ("201819", PeriodKind.ACADEMIC_YEAR, "2018/19 AY", date(2018, 9, 1), date(2019, 8, 31)),
        ("2015 - 17", PeriodKind.ROLLING, "2015-17", date(2015, 1, 1), date(2017, 12, 31)),
        ("2011 H2", PeriodKind.HALF, "2011 H2", date(2011, 7, 1), date(2011, 12, 31)),
        ("March 2004", PeriodKind.MONTH, "March 2004", date(2004, 3, 1), date(2004, 3, 31)),
        # Fingertips pools financial years for small numbers: "2017/18 - 19/20" is three years.
        ("2017/18 - 19/20", PeriodKind.ROLLING, "2017/18 - 19/20", date(2017, 4, 1), date(2020, 3, 31)),
        ("2017/18-2019/20", PeriodKind.ROLLING, "2017/18 - 19/20", date(2017, 4, 1), date(2020, 3, 31)),
        ("2019/20 - 20/21", PeriodKind.ROLLING, "2019/20 - 20/21", date(2019, 4, 1), date(2021, 3, 31)),
        # A span of months, as in rolling twelve-month figures.
        ("Oct 2015 - Sep 2016", PeriodKind.ROLLING, "Oct 2015 - Sep 2016", date(2015, 10, 1), date(2016, 9, 30)),
        ("January 2020 - March 2020", PeriodKind.ROLLING, "Jan 2020 - Mar 2020", date(2020, 1, 1), date(2020, 3, 31)),
    ],
)
def test_forms_found_in_plans_and_data_files(text: str, kind: PeriodKind, label: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.kind, period.label, period.start, period.end) == (kind, label, start, end)
    assert parse_period(period.label) == period  # canonical labels parse back to themselves


@pytest.mark.parametrize("text", ["2017/18 - 17/18", "2017/19 - 19/20", "Sep 2016 - Oct 2015", "2016/17 - 15/16"])
def test_impossible_spans_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a valid period"):
        parse_period(text)


def test_latest_orders_kinds_by_their_end() -> None:
    periods = [parse_period(p) for p in ("2017/18 - 19/20", "2019", "2019/20 AY", "Oct 2019 - Sep 2020")]
    assert latest(periods) == parse_period("Oct 2019 - Sep 2020")


@given(st.integers(min_value=1990, max_value=2090), st.integers(min_value=1, max_value=4))
def test_pooled_financial_years_cover_whole_years(first: int, span: int) -> None:
    last = first + span
    text = f"{first}/{(first + 1) % 100:02d} - {last % 100:02d}/{(last + 1) % 100:02d}"
    period = parse_period(text)
    assert period.start == date(first, 4, 1) and period.end == date(last + 1, 3, 31)
    assert parse_period(period.label) == period


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        # A dash joins the first and last of pooled calendar years, as Fingertips writes them.
        ("2017-19", "2017-19", date(2017, 1, 1), date(2019, 12, 31)),
        ("2010-12", "2010-12", date(2010, 1, 1), date(2012, 12, 31)),  # not December 2010
        ("2011-12", "2011-12", date(2011, 1, 1), date(2012, 12, 31)),  # not December 2011
        ("2019 - 20", "2019-20", date(2019, 1, 1), date(2020, 12, 31)),
        ("2010-2014", "2010-14", date(2010, 1, 1), date(2014, 12, 31)),
        ("1998-02", "1998-02", date(1998, 1, 1), date(2002, 12, 31)),  # the second part is a year after the first
    ],
)
def test_a_dash_between_years_is_a_pooled_period(text: str, label: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.kind, period.label, period.start, period.end) == (PeriodKind.ROLLING, label, start, end)
    assert parse_period(period.label) == period


def test_a_slash_or_ay_makes_one_financial_or_academic_year() -> None:
    assert parse_period("2011/12").kind is PeriodKind.FINANCIAL_YEAR
    assert parse_period("2011-12 AY") == parse_period("2011/12 AY")
    with pytest.raises(ValueError, match="must follow each other"):
        parse_period("2010/12")


@pytest.mark.parametrize("text", ["2010-05", "2016-01", "2019-09"])
def test_a_year_and_month_with_a_dash_is_refused_naming_the_choices(text: str) -> None:
    year, month = text.split("-")
    with pytest.raises(ValueError, match="ambiguous") as err:
        parse_period(text)
    message = str(err.value)
    assert f"{year}-{month}-01" in message and f"{year}/{int(year[2:]) + 1:02d} AY" in message
    assert parse_period(f"{year}-{month}-01").kind is PeriodKind.DATE  # the unambiguous forms are read
    assert parse_period(message.split("write ")[1].split(" (")[0]).kind is PeriodKind.MONTH


@pytest.mark.parametrize("text", ["2010-25", "2010-2030"])
def test_pools_longer_than_ten_years_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="at most 10 years"):
        parse_period(text)
