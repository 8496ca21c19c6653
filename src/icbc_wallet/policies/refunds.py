"""The refund policy: may this refund of a captured payment go ahead now?

A refund is allowed while the payment's :class:`~icbc_wallet.domain.refunds.RefundWindow` is open
and while the refunds so far plus this one stay within the captured amount. Partial refunds are
allowed and add up; the *refundable* amount is what is left of the captured amount.

```pycon
>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> from icbc_wallet.domain.money import Money
>>> from icbc_wallet.domain.refunds import RefundWindow
>>> paid = datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> decision = check_refund(RefundWindow(days=7), transacted_at=paid, captured=Money.of("100.00"),
...                         refunded=Money.of("30.00"), requested=Money.of("50.00"),
...                         now=paid + timedelta(days=2))
>>> decision.approved, decision.remaining
(True, Money('20.00', 'CNY'))

```

The check is pure: it reads no clock, ``now`` is a parameter.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Final

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.decisions import Approved, Declined, DeclineReason
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refunds import RefundWindow
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidDatetimeError,
    InvalidRefundWindowError,
)

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["MAX_CLOCK_SKEW", "check_refund", "refundable"]

MAX_CLOCK_SKEW: Final = timedelta(minutes=5)
"""How far ``now`` may be before the payment instant (clocks of two systems disagreeing) and still
count as in time; anything earlier is refused as impossible."""


def _check_amounts(captured: Money, refunded: Money) -> None:
    if type(captured) is not Money or type(refunded) is not Money:
        raise AmountTypeError("captured and refunded must be Money")
    if refunded.currency != captured.currency:
        raise CurrencyMismatchError(
            f"refunded amount is in {refunded.currency} but the payment was captured in "
            f"{captured.currency}; refunds are made in the captured currency"
        )
    if not captured.is_positive():
        raise InvalidAmountError(f"captured amount must be positive, not {captured}")
    if refunded.is_negative():
        raise InvalidAmountError(f"refunded amount must not be negative, not {refunded}")
    if refunded.minor > captured.minor:
        raise InvalidAmountError(
            f"refunded amount {refunded} already exceeds the captured {captured}: the refund "
            "records are inconsistent"
        )


def refundable(captured: Money, refunded: Money) -> Money:
    """What is still refundable of a payment: ``captured - refunded``.

    ```pycon
    >>> refundable(Money.of("100.00"), Money.of("30.00"))
    Money('70.00', 'CNY')

    ```

    Args:
        captured: the amount captured by the payment (positive).
        refunded: the total of the refunds already made (zero or positive, at most ``captured``).

    Raises:
        CurrencyMismatchError: the two amounts are in different currencies.
        InvalidAmountError: ``captured`` is not positive, ``refunded`` is negative, or ``refunded``
            exceeds ``captured`` (the refund records are inconsistent).
    """
    _check_amounts(captured, refunded)
    return Money._make(captured.minor - refunded.minor, captured.currency)


def check_refund(
    window: RefundWindow,
    *,
    transacted_at: datetime,
    captured: Money,
    refunded: Money,
    requested: Money,
    now: datetime,
) -> Approved | Declined:
    """Decide whether a refund of ``requested`` may be made at ``now``.

    The window is checked first: a late refund is declined as late even when it is also too large.

    Args:
        window: the refund window that applies to the payment.
        transacted_at: the aware instant of the payment.
        captured: the amount the payment captured (positive).
        refunded: the total already refunded (zero or positive, at most ``captured``).
        requested: the amount of this refund (positive).
        now: the aware instant of the refund request.

    Returns:
        :class:`~icbc_wallet.domain.decisions.Approved` with ``remaining``, what stays refundable
        *after* this refund, and the window's ``deadline``; or
        :class:`~icbc_wallet.domain.decisions.Declined` with ``limit`` = ``captured``,
        ``used`` = ``refunded`` and ``remaining`` = what is refundable now, because of
        ``DeclineReason.REFUND_WINDOW_CLOSED`` (``now`` is at or after the deadline, which is
        also set on the decision) or ``DeclineReason.REFUND_EXCEEDS_REFUNDABLE``
        (``refunded + requested`` exceeds ``captured``).

    Raises:
        InvalidAmountError: ``requested`` or ``captured`` is not positive, ``refunded`` is
            negative, or ``refunded`` exceeds ``captured`` (the refund records are inconsistent).
        CurrencyMismatchError: the amounts are not all in one currency.
        NaiveDatetimeError: ``transacted_at`` or ``now`` has no timezone.
        InvalidDatetimeError: ``now`` is more than :data:`MAX_CLOCK_SKEW` before the payment.
        AmountTypeError: an amount is not :class:`~icbc_wallet.domain.money.Money`.
        InvalidRefundWindowError: ``window`` is not a :class:`RefundWindow`.
    """
    if type(window) is not RefundWindow:
        raise InvalidRefundWindowError(f"window must be a RefundWindow, not {window!r}")
    _check_amounts(captured, refunded)
    if type(requested) is not Money:
        raise AmountTypeError(f"requested must be Money, not {type(requested).__name__}")
    if requested.currency != captured.currency:
        raise CurrencyMismatchError(
            f"requested refund is in {requested.currency} but the payment was captured in "
            f"{captured.currency}; refunds are made in the captured currency"
        )
    if not requested.is_positive():
        raise InvalidAmountError(f"requested refund must be positive, not {requested}")
    deadline = window.deadline(transacted_at)
    still_refundable = captured.minor - refunded.minor
    # In UTC: Python compares datetimes sharing one tzinfo by wall clock, wrong across DST changes.
    now_utc = require_aware(now, "now").astimezone(UTC)
    if now_utc < transacted_at.astimezone(UTC) - MAX_CLOCK_SKEW:
        raise InvalidDatetimeError(
            f"a refund asked for at {now.isoformat()} is before the payment at "
            f"{transacted_at.isoformat()} by more than {MAX_CLOCK_SKEW}"
        )
    if now_utc >= deadline.astimezone(UTC):
        return Declined(
            DeclineReason.REFUND_WINDOW_CLOSED,
            limit=captured,
            used=refunded,
            remaining=Money._make(still_refundable, captured.currency),
            deadline=deadline,
        )
    if requested.minor > still_refundable:
        return Declined(
            DeclineReason.REFUND_EXCEEDS_REFUNDABLE,
            limit=captured,
            used=refunded,
            remaining=Money._make(still_refundable, captured.currency),
        )
    return Approved(
        remaining=Money._make(still_refundable - requested.minor, captured.currency),
        deadline=deadline,
    )
