"""China's official holidays and make-up workdays, from the ``chinesecalendar`` package.

Each year, usually in November, the General Office of the State Council publishes the next
year's holiday arrangements in a notice (国务院办公厅关于××××年部分节假日安排的通知; the one for
2026 was issued in 2025): which days are rest days, and which weekend days become make-up
workdays (调休). The ``chinesecalendar`` package (import name ``chinese_calendar``) transcribes
each notice, so a year is known only once its notice is out and the package is upgraded. Asking
about a year it does not cover raises :class:`~icbc_wallet.errors.CalendarOutOfRangeError`
rather than guessing.

National Day 2026 is a holiday; Sunday 20 September 2026 is a make-up workday for it:

```pycon
>>> calendar = ChineseHolidayCalendar()
>>> calendar.is_holiday(date(2026, 10, 1)), calendar.is_workday(date(2026, 9, 20))
(True, True)

```
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, TypeVar

import attrs
import chinese_calendar

from icbc_wallet.errors import CalendarOutOfRangeError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ChineseHolidayCalendar"]

_T = TypeVar("_T")


@attrs.frozen
class ChineseHolidayCalendar:
    """A :class:`~icbc_wallet.domain.calendar.HolidayCalendar` of mainland China's holidays.

    A *holiday* is a day of a statutory holiday period (National Day, Spring Festival, ...),
    including the weekend days and in-lieu rest days inside that period; an ordinary weekend is
    not a holiday. A *workday* is a day people work: Monday to Friday outside holidays, and the
    make-up workdays that fall on weekends.

    Dates are business dates: convert an instant with
    :func:`~icbc_wallet.domain.calendar.business_date` first.
    """

    @staticmethod
    def supported_years() -> range:
        """The years the installed ``chinesecalendar`` covers (2004-2026 in version 1.11)."""
        return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)

    def is_holiday(self, day: date) -> bool:
        """True when ``day`` falls in a statutory holiday period.

        Raises:
            CalendarOutOfRangeError: ``chinesecalendar`` has no data for ``day.year``.
            TypeError: ``day`` is not a date (a datetime included).
        """
        is_rest, name = self._ask(chinese_calendar.get_holiday_detail, day)
        return bool(is_rest) and name is not None

    def is_workday(self, day: date) -> bool:
        """True when people work on ``day``, make-up weekend workdays included.

        Raises:
            CalendarOutOfRangeError: ``chinesecalendar`` has no data for ``day.year``.
            TypeError: ``day`` is not a date (a datetime included).
        """
        return bool(self._ask(chinese_calendar.is_workday, day))

    def _ask(self, question: Callable[[date], _T], day: date) -> _T:
        if type(day) is not date:  # a datetime's date would be read in its own zone
            raise TypeError(
                f"expected a date, not {type(day).__name__}; use business_date(moment) for an "
                "instant"
            )
        try:
            return question(day)
        except NotImplementedError:  # chinesecalendar's answer for a year it does not know
            years = self.supported_years()
            raise CalendarOutOfRangeError(
                f"no Chinese holiday data for {day.year}: chinesecalendar "
                f"{chinese_calendar.__version__} covers {years.start}-{years.stop - 1}; upgrade "
                "chinesecalendar once the State Council has published that year's holidays"
            ) from None
