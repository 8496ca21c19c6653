"""Limit checks: may this tier pay this amount by this method now, given what it has spent?

Pure functions of value objects and ``now``; no clock reads. The answer is a
:class:`~icbc_wallet.domain.decisions.Decision`: :data:`~icbc_wallet.domain.decisions.APPROVED`,
or :class:`~icbc_wallet.domain.decisions.Declined` with the cap, what is used and what remains.

A method's own limit is checked first, then the tier's overall limit; within each, windows are
checked from the narrowest (per transaction) to the widest (lifetime), and the first cap that
would be exceeded is reported. The cost is independent of how many payments came before.

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.presets.limits import ARTICLE_DEFAULTS
>>> now = datetime.fromisoformat("2026-03-01T12:00:00+08:00")
>>> usage = LimitUsage().record(PaymentMethod.ONLINE, Money.of("800"), now)
>>> check_limit(ARTICLE_DEFAULTS, "unverified", PaymentMethod.ONLINE, usage, Money.of("300"), now)
Declined(reason=<DeclineReason.DAILY_LIMIT: 'limit.daily'>, limit=Money('1000.00', 'CNY'), used=Money('800.00', 'CNY'), remaining=Money('200.00', 'CNY'), scope='all', deadline=None)

```
"""

from __future__ import annotations

from datetime import datetime

from icbc_wallet.domain.decisions import APPROVED, Decision, Declined, DeclineReason
from icbc_wallet.domain.limits import (
    LimitSchedule,
    PaymentMethod,
    parse_payment_method,
)
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.usage import LimitUsage, UsageTotals, WindowKeys
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidLimitScheduleError,
)

__all__ = ["check_balance_cap", "check_limit"]

_OVERALL = "all"


def check_limit(
    schedule: LimitSchedule,
    tier: str,
    method: PaymentMethod,
    usage: LimitUsage,
    amount: Money,
    now: datetime,
) -> Decision:
    """Decide whether an outflow of ``amount`` by ``method`` fits the tier's limits at ``now``.

    Args:
        schedule: the limit schedule in force.
        tier: the payer's verification tier (a name in ``schedule``).
        method: how the money leaves (static QR, NFC, withdrawal, ...).
        usage: running totals so far, holds included.
        amount: the amount to pay, positive, in the schedule's currency.
        now: the instant of the payment (aware); windows are counted in ``schedule.zone``.

    Returns:
        ``APPROVED``, or ``Declined`` with the reason, the cap, the amount used and the remainder.

    Raises:
        UnknownTierError: ``tier`` is not in the schedule.
        CurrencyMismatchError: ``amount`` or ``usage`` is not in the schedule's currency.
        InvalidAmountError: ``amount`` is not positive.
        NaiveDatetimeError: ``now`` has no timezone.
    """
    outcome = _approved_at(schedule, tier, method, usage, amount, now)
    return outcome if type(outcome) is Declined else APPROVED


def _approved_at(
    schedule: LimitSchedule,
    tier: str,
    method: PaymentMethod,
    usage: LimitUsage,
    amount: Money,
    now: datetime,
) -> Declined | WindowKeys:
    """:func:`check_limit`, answering the window keys of ``now`` in place of ``APPROVED``.

    A wallet records the usage right after an approval, in the same windows: reusing the keys
    saves converting ``now`` to the business zone again, which costs as much as the check.
    """
    if type(amount) is not Money:
        raise AmountTypeError(f"amount must be Money, not {type(amount).__name__}")
    if type(method) is not PaymentMethod:
        method = parse_payment_method(method)
    currency = schedule.currency
    if amount.currency != currency or usage.currency != currency:
        raise CurrencyMismatchError(
            f"cannot check {amount.currency} (usage in {usage.currency}) against a "
            f"{currency} limit schedule"
        )
    if usage.zone is not schedule.zone and usage.zone.key != schedule.zone.key:
        raise InvalidLimitScheduleError(
            f"usage counts windows in {usage.zone.key} but the schedule in {schedule.zone.key}"
        )
    minor = amount.minor
    if minor <= 0:
        raise InvalidAmountError(f"a payment amount must be positive, not {amount}")
    tier_limits = schedule.tier(tier)
    if method in tier_limits.disallowed:
        return Declined(DeclineReason.METHOD_NOT_ALLOWED, scope=method.value)
    keys = WindowKeys.at(now, schedule.zone)
    method_limit = tier_limits.methods.get(method)
    if method_limit is not None:
        declined = _first_exceeded(
            method_limit._checks, usage.by_method.get(method), keys, minor, currency, method.value
        )
        if declined is not None:
            return declined
    declined = _first_exceeded(
        tier_limits.limit._checks, usage.overall, keys, minor, currency, _OVERALL
    )
    return keys if declined is None else declined


def _first_exceeded(
    checks: tuple[tuple[int, int, DeclineReason], ...],
    totals: UsageTotals | None,
    keys: WindowKeys,
    minor: int,
    currency: str,
    scope: str,
) -> Declined | None:
    if not checks:
        return None
    used = (0, 0, 0, 0, 0) if totals is None else totals.used(keys)
    for index, cap, reason in checks:
        spent = used[index]
        if spent + minor > cap:
            return Declined._make(
                reason,
                limit=Money._make(cap, currency),
                used=Money._make(spent, currency),
                remaining=Money._make(max(cap - spent, 0), currency),
                scope=scope,
            )
    return None


def check_balance_cap(
    schedule: LimitSchedule, tier: str, balance: Money, incoming: Money
) -> Decision:
    """Decide whether ``incoming`` may be credited to a wallet holding ``balance``.

    Returns:
        ``APPROVED``, or ``Declined(BALANCE_CAP)`` with the cap, the balance as ``used`` and the
        room left as ``remaining``.

    Raises:
        CurrencyMismatchError: the amounts are not in the schedule's currency.
        InvalidAmountError: ``incoming`` is not positive.
    """
    if type(balance) is not Money or type(incoming) is not Money:
        raise AmountTypeError("balance and incoming must be Money")
    if balance.currency != schedule.currency or incoming.currency != schedule.currency:
        raise CurrencyMismatchError(f"balance cap checks are in {schedule.currency}")
    if not incoming.is_positive():
        raise InvalidAmountError(f"an incoming amount must be positive, not {incoming}")
    cap = schedule.tier(tier).balance_cap
    if cap is None or balance + incoming <= cap:
        return APPROVED
    return Declined(
        DeclineReason.BALANCE_CAP,
        limit=cap,
        used=balance,
        remaining=Money._make(max(cap.minor - balance.minor, 0), cap.currency),
        scope=_OVERALL,
    )
