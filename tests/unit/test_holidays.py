from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from icbc_wallet.adapters.holidays import ChineseHolidayCalendar
from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE, FixedHolidays, HolidayCalendar
from icbc_wallet.errors import CalendarOutOfRangeError, DatetimeTypeError, WalletError

CALENDAR = ChineseHolidayCalendar()


def test_the_chinese_calendar_is_a_holiday_calendar() -> None:
    as_port: HolidayCalendar = CALENDAR  # checked by mypy
    assert isinstance(as_port, HolidayCalendar)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 10, 1),  # National Day
        date(2026, 10, 3),  # a Saturday inside the National Day holiday
        date(2026, 10, 7),  # the last day of the National Day holiday
        date(2026, 9, 27),  # a Sunday inside the Mid-Autumn Festival holiday
        date(2026, 1, 1),  # New Year's Day
    ],
)
def test_days_of_a_statutory_holiday_period_are_holidays(day: date) -> None:
    assert CALENDAR.is_holiday(day)
    assert not CALENDAR.is_workday(day)


def test_an_ordinary_weekend_is_neither_a_holiday_nor_a_workday() -> None:
    saturday = date(2026, 9, 19)
    assert not CALENDAR.is_holiday(saturday)
    assert not CALENDAR.is_workday(saturday)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 9, 20),  # Sunday, made up for National Day
        date(2026, 10, 10),  # Saturday, made up for National Day
        date(2026, 1, 4),  # Sunday, made up for New Year's Day
        date(2026, 2, 14),  # Saturday, made up for the Spring Festival
    ],
)
def test_make_up_workdays_on_weekends_are_workdays_not_holidays(day: date) -> None:
    assert day.weekday() >= 5
    assert CALENDAR.is_workday(day)
    assert not CALENDAR.is_holiday(day)


def test_an_ordinary_weekday_is_a_workday() -> None:
    assert CALENDAR.is_workday(date(2026, 10, 9))
    assert not CALENDAR.is_holiday(date(2026, 10, 9))


# The first year after the data the installed chinesecalendar ships (2027 with 1.11).
UNCOVERED = date(ChineseHolidayCalendar.supported_years().stop, 10, 1)


@pytest.mark.parametrize("day", [UNCOVERED, date(2003, 12, 31)])
def test_a_year_the_package_does_not_cover_raises_calendar_out_of_range(day: date) -> None:
    with pytest.raises(CalendarOutOfRangeError, match=f"no Chinese holiday data for {day.year}"):
        CALENDAR.is_holiday(day)
    with pytest.raises(CalendarOutOfRangeError, match="upgrade chinesecalendar"):
        CALENDAR.is_workday(day)


def test_calendar_out_of_range_is_a_lookup_error_and_a_wallet_error() -> None:
    with pytest.raises(LookupError):
        CALENDAR.is_holiday(UNCOVERED)
    with pytest.raises(WalletError):
        CALENDAR.is_holiday(UNCOVERED)


def test_the_error_names_the_years_supported() -> None:
    years = ChineseHolidayCalendar.supported_years()
    assert years.start == 2004
    assert 2026 in years
    with pytest.raises(CalendarOutOfRangeError, match=f"covers 2004-{years.stop - 1}"):
        CALENDAR.is_holiday(date(years.stop, 1, 1))


def test_a_datetime_is_refused_because_its_date_depends_on_its_zone() -> None:
    with pytest.raises(TypeError, match="expected a date, not datetime; use business_date"):
        CALENDAR.is_holiday(datetime(2026, 10, 1, tzinfo=DEFAULT_BUSINESS_ZONE))


def test_a_string_is_refused_as_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a date, not str"):
        CALENDAR.is_workday("2026-10-01")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["2026-10-01", datetime(2026, 10, 1, tzinfo=UTC)])
def test_fixed_holidays_refuse_what_would_never_match_a_date(bad: object) -> None:
    with pytest.raises(DatetimeTypeError, match="holidays must be dates"):
        FixedHolidays.of([bad])  # type: ignore[list-item]
