"""Refund windows: how long after a transaction a refund may still be asked for.

A :class:`RefundWindow` is a number of days, a way of counting them (:class:`RefundCounting`) and
the business zone the days are counted in. Given the instant of a transaction it answers one
question: the *deadline*, the first instant at which a refund is no longer accepted. The window is
half-open: a refund asked for at any instant before the deadline is in time; at the deadline it is
late.

Days are calendar days of the business zone (Asia/Shanghai by default), whatever zone the
caller's instants are written in, so a purchase at 23:30 UTC is counted from the next Shanghai day:

```pycon
>>> from datetime import datetime, timezone
>>> window = RefundWindow(days=7, counting=RefundCounting.FROM_NEXT_DAY)
>>> window.deadline(datetime(2026, 5, 1, 23, 30, tzinfo=timezone.utc)).isoformat()
'2026-05-10T00:00:00+08:00'

```

Whether a particular refund is allowed (in time *and* within the amount still refundable) is a
policy: :func:`icbc_wallet.policies.refunds.check_refund`.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE, require_aware
from icbc_wallet.errors import InvalidRefundWindowError

__all__ = ["MAX_REFUND_WINDOW_DAYS", "RefundCounting", "RefundWindow"]

MAX_REFUND_WINDOW_DAYS = 3650
"""The longest window accepted: about ten years. Anything longer is a typo, not a policy."""


class RefundCounting(StrEnum):
    """How the days of a refund window are counted.

    Both countings are computed in the window's business zone.
    """

    FROM_TRANSACTION = "from_transaction"
    """Day 1 starts at the transaction instant: the window closes ``days`` days later, at the same
    wall-clock time in the business zone ("within 7 days of the transaction")."""

    FROM_NEXT_DAY = "from_next_day"
    """Day 1 is the business day *after* the transaction, as China's Consumer Protection Law
    Art. 25 counts the 7-day no-reason return: the window closes at 00:00 (business zone) at the
    start of business day ``transaction date + days + 1``."""


def _validate_days(_instance: object, _attribute: object, value: object) -> None:
    if type(value) is not int:
        raise InvalidRefundWindowError(
            f"refund window days must be an int, not {type(value).__name__} ({value!r})"
        )
    if not 1 <= value <= MAX_REFUND_WINDOW_DAYS:
        raise InvalidRefundWindowError(
            f"refund window days must be between 1 and {MAX_REFUND_WINDOW_DAYS}, not {value}"
        )


def _validate_counting(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, RefundCounting):
        raise InvalidRefundWindowError(
            f"refund window counting must be a RefundCounting, not {type(value).__name__} "
            f"({value!r}); e.g. RefundCounting.FROM_TRANSACTION"
        )


def _validate_zone(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, ZoneInfo):
        raise InvalidRefundWindowError(
            f"refund window zone must be a zoneinfo.ZoneInfo, not {type(value).__name__} "
            f"({value!r}); e.g. ZoneInfo('Asia/Shanghai')"
        )


@attrs.frozen
class RefundWindow:
    """A refund period: ``days`` calendar days of the business ``zone``, counted per ``counting``.

    ```pycon
    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> purchase = datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    >>> RefundWindow(days=7).deadline(purchase).isoformat()
    '2026-05-08T10:00:00+08:00'
    >>> RefundWindow(days=7, counting=RefundCounting.FROM_NEXT_DAY).deadline(purchase).isoformat()
    '2026-05-09T00:00:00+08:00'

    ```

    Attributes:
        days: the length of the window in calendar days, 1 to :data:`MAX_REFUND_WINDOW_DAYS`.
        counting: where day 1 starts; see :class:`RefundCounting`.
        zone: the business zone in which days are counted (Asia/Shanghai by default).

    Raises:
        InvalidRefundWindowError: ``days`` is not an ``int`` (a ``bool`` or ``"7"`` is refused)
            or is outside 1 to :data:`MAX_REFUND_WINDOW_DAYS`; ``counting`` is not a
            :class:`RefundCounting`; ``zone`` is not a ``ZoneInfo``.
    """

    days: int = attrs.field(default=7, validator=_validate_days)
    counting: RefundCounting = attrs.field(
        default=RefundCounting.FROM_TRANSACTION, validator=_validate_counting
    )
    zone: ZoneInfo = attrs.field(default=DEFAULT_BUSINESS_ZONE, validator=_validate_zone)

    def deadline(self, transacted_at: datetime) -> datetime:
        """The first instant at which a refund of a transaction made at ``transacted_at`` is late.

        The result is aware and expressed in the business zone, whatever zone ``transacted_at``
        is written in:

        ```pycon
        >>> from datetime import datetime, timezone
        >>> late_evening_utc = datetime(2026, 5, 1, 20, 0, tzinfo=timezone.utc)  # 05-02 04:00 CST
        >>> RefundWindow(days=7).deadline(late_evening_utc).isoformat()
        '2026-05-09T04:00:00+08:00'

        ```

        Args:
            transacted_at: the aware instant of the transaction (or, for a return counted from
                receipt of the goods, the instant of receipt).

        Raises:
            NaiveDatetimeError: ``transacted_at`` has no timezone.
            OverflowError: the deadline falls beyond year 9999.
        """
        local = require_aware(transacted_at, "transacted_at").astimezone(self.zone)
        if self.counting is RefundCounting.FROM_TRANSACTION:
            wall_clock = local + relativedelta(days=self.days)
        else:
            closing_day = local.date() + relativedelta(days=self.days + 1)
            wall_clock = datetime.combine(closing_day, time(), tzinfo=self.zone)
        # The round trip through UTC settles a wall-clock time that a daylight-saving change
        # skipped (in zones that have one) to the instant just after the change.
        return wall_clock.astimezone(UTC).astimezone(self.zone)

    def is_open(self, transacted_at: datetime, now: datetime) -> bool:
        """True while a refund of a transaction made at ``transacted_at`` is in time at ``now``.

        The deadline itself is already late. An instant before ``transacted_at`` (clocks of two
        systems that disagree slightly) counts as in time.

        ```pycon
        >>> from datetime import datetime, timedelta
        >>> from zoneinfo import ZoneInfo
        >>> purchase = datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        >>> window = RefundWindow(days=7)
        >>> window.is_open(purchase, now=purchase + timedelta(days=7, microseconds=-1))
        True
        >>> window.is_open(purchase, now=purchase + timedelta(days=7))
        False

        ```

        Raises:
            NaiveDatetimeError: ``transacted_at`` or ``now`` has no timezone.
        """
        deadline = self.deadline(transacted_at)
        # Compare in UTC: Python compares datetimes sharing one tzinfo by wall clock, which is
        # wrong across a daylight-saving change.
        return require_aware(now, "now").astimezone(UTC) < deadline.astimezone(UTC)
