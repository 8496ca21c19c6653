"""Business time: the zone in which days, months and deadlines are counted, and holiday calendars.

Instants in icbc-wallet are timezone-aware ``datetime`` values; naive ones are refused. A "day",
"month" or "year" of a limit window, and the last day of a refund window, are counted in the
*business zone* (Asia/Shanghai by default) whatever zone the caller's instant is written in:
``2026-01-01T23:30+08:00`` and ``2026-01-01T15:30Z`` are the same instant on the same business day.

China's statutory holidays and make-up workdays change every year, so holiday knowledge is a
:class:`HolidayCalendar` passed in by the caller: :class:`FixedHolidays` for explicit dates, or
:class:`icbc_wallet.adapters.holidays.ChineseHolidayCalendar` backed by the ``chinesecalendar``
package.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Final, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.errors import DatetimeTypeError, NaiveDatetimeError

__all__ = [
    "DEFAULT_BUSINESS_ZONE",
    "FixedHolidays",
    "HolidayCalendar",
    "NoHolidays",
    "business_date",
    "require_aware",
]

DEFAULT_BUSINESS_ZONE: Final = ZoneInfo("Asia/Shanghai")
"""China Standard Time, UTC+8 all year (no daylight saving)."""


def require_aware(moment: datetime, what: str = "datetime") -> datetime:
    """Return ``moment`` if it is timezone-aware; refuse a naive datetime clearly.

    Raises:
        NaiveDatetimeError: ``moment`` has no usable ``tzinfo``.
        DatetimeTypeError: ``moment`` is not a datetime at all.
    """
    if not isinstance(moment, datetime):
        raise DatetimeTypeError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{what} {moment.isoformat()} has no timezone; pass an aware datetime, "
            "e.g. datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo('Asia/Shanghai'))"
        )
    return moment


def business_date(moment: datetime, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> date:
    """The calendar date of ``moment`` in the business ``zone``."""
    return require_aware(moment, "moment").astimezone(zone).date()


@runtime_checkable
class HolidayCalendar(Protocol):
    """Tells whether a business date is a public holiday (a rest day by decree, not a weekend)."""

    def is_holiday(self, day: date) -> bool:
        """True when ``day`` is a public holiday."""
        ...


@attrs.frozen
class NoHolidays:
    """A calendar without holidays: holiday-only waivers never apply."""

    def is_holiday(self, day: date) -> bool:
        """Always False."""
        return False


@attrs.frozen
class FixedHolidays:
    """A calendar of explicitly listed holiday dates (for tests, or a bank's own list).

    ```pycon
    >>> FixedHolidays.of([date(2026, 10, 1)]).is_holiday(date(2026, 10, 1))
    True

    ```
    """

    days: frozenset[date]

    def __attrs_post_init__(self) -> None:
        for day in self.days:
            if type(day) is not date:  # a datetime or a str would never match a business date
                raise DatetimeTypeError(f"holidays must be dates, not {day!r}")

    @classmethod
    def of(cls, days: Iterable[date]) -> FixedHolidays:
        """Build from any collection of dates.

        Raises:
            DatetimeTypeError: an element is not a ``datetime.date`` (datetimes are refused too).
        """
        return cls(frozenset(days))

    def is_holiday(self, day: date) -> bool:
        """True when ``day`` is listed."""
        return day in self.days
