"""Headroom: how much of each limit a wallet has used, and how much is left, at one instant.

A :class:`Headroom` answers "how much more may this tier spend by this method now?" window by
window. For each window it reports the cap that binds (the method's own cap or the tier's
overall cap, whichever leaves less), what is used against it and what remains; its
:attr:`~Headroom.available` is the largest single payment the limit check would approve now.

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.domain.usage import LimitUsage
>>> schedule = LimitSchedule([TierLimits("basic", Limit.of(per_transaction="500", daily="1000"),
...                           methods={PaymentMethod.STATIC_QR: Limit.of(daily="500")})])
>>> now = datetime.fromisoformat("2026-03-01T12:00:00+08:00")
>>> usage = LimitUsage().record(PaymentMethod.STATIC_QR, Money.of("450"), now)
>>> room = limit_headroom(schedule, "basic", usage, now, method=PaymentMethod.STATIC_QR)
>>> [(w.window.label, str(w.remaining), w.scope) for w in room.windows if w.cap is not None]
[('per-transaction', '500.00 CNY', 'all'), ('daily', '50.00 CNY', 'static_qr')]
>>> room.available
Money('50.00', 'CNY')

```
"""

from __future__ import annotations

from datetime import datetime

import attrs

from icbc_wallet.domain import _html
from icbc_wallet.domain.limits import (
    Limit,
    LimitSchedule,
    LimitWindow,
    PaymentMethod,
    TierLimits,
    parse_payment_method,
)
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.usage import LimitUsage, UsageTotals, WindowKeys
from icbc_wallet.errors import CurrencyMismatchError, InvalidLimitScheduleError

__all__ = ["Headroom", "WindowHeadroom", "limit_headroom"]

_OVERALL = "all"


@attrs.frozen
class WindowHeadroom:
    """One window's cap, use and room left.

    Attributes:
        window: the window.
        cap: the binding cap; None when neither the method nor the tier caps this window.
        used: what is used against the binding cap: the method's own total when the method's
            cap binds, else the tier's overall total (also when nothing caps the window).
        remaining: ``cap - used``, never negative; None when there is no cap.
        scope: ``"all"`` when the tier's overall cap binds, the method's value when its own cap
            does; None when there is no cap.
    """

    window: LimitWindow
    cap: Money | None
    used: Money
    remaining: Money | None
    scope: str | None


@attrs.frozen
class Headroom:
    """What is left of a tier's limits for one payment method (or for all) at one instant.

    Attributes:
        tier: the tier's name.
        method: the method asked about; None for the tier's overall limits only.
        at: the instant.
        allowed: False when the tier may not use the method at all.
        windows: one entry per :class:`LimitWindow`, narrowest first.
    """

    tier: str
    method: PaymentMethod | None
    at: datetime
    allowed: bool
    windows: tuple[WindowHeadroom, ...]

    @property
    def available(self) -> Money | None:
        """The largest payment the limit check approves now; None when nothing is capped.

        Zero when the method is not allowed or a window is used up.
        """
        currency = self.windows[0].used.currency
        if not self.allowed:
            return Money.zero(currency)
        left = [room.remaining for room in self.windows if room.remaining is not None]
        return min(left, key=lambda money: money.minor) if left else None

    def _repr_html_(self) -> str:
        """Jupyter's face: a table of windows with cap, used and remaining."""
        return _html.headroom(self)


def _candidates(
    tier: TierLimits, method: PaymentMethod | None, usage: LimitUsage
) -> list[tuple[Limit, UsageTotals, str]]:
    overall = (tier.limit, usage.overall, _OVERALL)
    if method is None or method not in tier.methods:
        return [overall]
    return [(tier.methods[method], usage.totals(method), method.value), overall]


def limit_headroom(
    schedule: LimitSchedule,
    tier: str,
    usage: LimitUsage,
    now: datetime,
    *,
    method: PaymentMethod | str | None = None,
) -> Headroom:
    """The headroom of ``tier`` at ``now`` given ``usage``, as the limit check counts it.

    The method's own caps are weighed against what was spent by that method, the tier's overall
    caps against everything spent; in each window the one leaving less binds (the method's on a
    tie, as the limit check tests it first).

    Args:
        schedule: the limit schedule in force.
        tier: the tier's name.
        usage: running totals so far, holds included.
        now: the instant (aware); windows are counted in ``schedule.zone``.
        method: a payment method, or None for the tier's overall limits only.

    Raises:
        UnknownTierError: ``tier`` is not in the schedule.
        UnknownPaymentMethodError: ``method`` is not a payment method.
        CurrencyMismatchError: ``usage`` is not in the schedule's currency.
        InvalidLimitScheduleError: ``usage`` counts windows in another zone.
        NaiveDatetimeError: ``now`` has no timezone.
    """
    tier_limits = schedule.tier(tier)
    chosen = None if method is None else parse_payment_method(method)
    currency = schedule.currency
    if usage.currency != currency:
        raise CurrencyMismatchError(f"usage is in {usage.currency}, the schedule in {currency}")
    if usage.zone.key != schedule.zone.key:
        raise InvalidLimitScheduleError(
            f"usage counts windows in {usage.zone.key} but the schedule in {schedule.zone.key}"
        )
    keys = WindowKeys.at(now, schedule.zone)
    candidates = [
        (limit, totals.used(keys), scope)
        for limit, totals, scope in _candidates(tier_limits, chosen, usage)
    ]
    rooms = []
    for window in LimitWindow:
        # (remaining, cap, used, scope) for each cap set in this window, the method's first.
        capped = [
            (max(cap.minor - used[window.value], 0), cap, used[window.value], scope)
            for limit, used, scope in candidates
            if (cap := limit.cap(window)) is not None
        ]
        if capped:
            left, cap, spent, scope = min(capped, key=lambda option: option[0])
            room = WindowHeadroom(
                window, cap, Money._make(spent, currency), Money._make(left, currency), scope
            )
        else:
            spent = candidates[-1][1][window.value]  # the tier's overall total
            room = WindowHeadroom(window, None, Money._make(spent, currency), None, None)
        rooms.append(room)
    allowed = chosen is None or chosen not in tier_limits.disallowed
    return Headroom(tier_limits.name, chosen, now, allowed, tuple(rooms))
