"""Hypothesis strategies for icbc-wallet's value objects, shipped for users' own property tests.

Installed with the ``testing`` extra. The package also registers these with hypothesis through an
entry point, so ``st.from_type(Money)`` works without importing this module:

```pycon
>>> from hypothesis import find, strategies as st
>>> from icbc_wallet import Money
>>> find(st.from_type(Money), lambda money: money.is_positive())
Money('0.01', 'CNY')

```
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from icbc_wallet.domain.limits import Limit, LimitSchedule, LimitUsage, PaymentMethod, TierLimits
from icbc_wallet.domain.money import DEFAULT_CURRENCY, MAX_MINOR_UNITS, Money
from icbc_wallet.domain.refunds import MAX_REFUND_WINDOW_DAYS, RefundCounting, RefundWindow

__all__ = [
    "aware_datetimes",
    "limit_schedules",
    "limit_usages",
    "limits",
    "moneys",
    "payment_methods",
    "positive_moneys",
    "refund_windows",
]

_MAX_CAP_MINOR = 10**11  # one billion yuan: large enough for any retail cap, far below the maximum


@st.composite
def moneys(
    draw: st.DrawFn,
    currency: str | st.SearchStrategy[str] = DEFAULT_CURRENCY,
    min_minor: int = -MAX_MINOR_UNITS,
    max_minor: int = MAX_MINOR_UNITS,
) -> Money:
    """Money in ``currency`` (a code or a strategy of codes) between the given minor-unit bounds."""
    code = draw(currency) if isinstance(currency, st.SearchStrategy) else currency
    return Money.from_minor(draw(st.integers(min_minor, max_minor)), code)


def positive_moneys(
    currency: str = DEFAULT_CURRENCY, max_minor: int = _MAX_CAP_MINOR
) -> st.SearchStrategy[Money]:
    """Strictly positive Money up to ``max_minor`` minor units."""
    return moneys(currency, 1, max_minor)


def aware_datetimes(
    min_value: datetime = datetime(2000, 1, 1),  # immutable default
    max_value: datetime = datetime(2099, 12, 31),
) -> st.SearchStrategy[datetime]:
    """Timezone-aware instants in UTC, Asia/Shanghai, any IANA zone or any fixed offset."""
    zones = st.one_of(
        st.just(UTC),
        st.just(ZoneInfo("Asia/Shanghai")),
        st.timezones(),  # any IANA zone, with its daylight-saving history
        st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
            lambda minutes: timezone(timedelta(minutes=minutes))
        ),
    )
    return st.datetimes(min_value, max_value, timezones=zones)


def payment_methods() -> st.SearchStrategy[PaymentMethod]:
    """Any payment method."""
    return st.sampled_from(PaymentMethod)


@st.composite
def limits(draw: st.DrawFn, currency: str = DEFAULT_CURRENCY) -> Limit:
    """A valid :class:`Limit`: chained caps ordered where set, an independent lifetime cap."""
    chained = sorted(draw(st.lists(st.integers(0, _MAX_CAP_MINOR), min_size=4, max_size=4)))
    present = draw(st.lists(st.booleans(), min_size=5, max_size=5))
    caps = [
        Money.from_minor(cap, currency) if keep else None
        for cap, keep in zip(chained, present, strict=False)
    ]
    lifetime = (
        Money.from_minor(draw(st.integers(0, _MAX_CAP_MINOR)), currency) if present[4] else None
    )
    return Limit(caps[0], caps[1], caps[2], caps[3], lifetime)


def _scaled(limit: Limit, factor: int) -> Limit:
    def scale(cap: Money | None) -> Money | None:
        return None if cap is None else cap * factor

    return Limit(
        scale(limit.per_transaction),
        scale(limit.daily),
        scale(limit.monthly),
        scale(limit.annual),
        scale(limit.lifetime),
    )


@st.composite
def limit_schedules(
    draw: st.DrawFn, currency: str = DEFAULT_CURRENCY, max_tiers: int = 4
) -> LimitSchedule:
    """A valid :class:`LimitSchedule` of 1 to ``max_tiers`` tiers, each no stricter than the one below.

    Higher tiers scale the lowest tier's caps by a growing whole factor, so caps stay ordered
    within a tier and never shrink from one tier to the next. Some tiers get a stricter cap for
    one payment method, and the lowest may disallow withdrawals.
    """
    tier_count = draw(st.integers(1, max_tiers))
    base = draw(limits(currency))
    method = draw(payment_methods())
    method_base = draw(st.none() | limits(currency))
    balance_base = draw(st.none() | st.integers(0, _MAX_CAP_MINOR))
    disallow_withdrawal = draw(st.booleans()) and method is not PaymentMethod.WITHDRAWAL
    factor = 1
    tiers = []
    for index in range(tier_count):
        factor *= draw(st.integers(1, 3)) if index else 1
        tiers.append(
            TierLimits(
                f"tier_{index}",
                _scaled(base, factor),
                balance_cap=None
                if balance_base is None
                else Money.from_minor(balance_base * factor, currency),
                methods={} if method_base is None else {method: _scaled(method_base, factor)},
                disallowed={PaymentMethod.WITHDRAWAL}
                if disallow_withdrawal and index == 0
                else set(),
            )
        )
    return LimitSchedule(tuple(tiers), currency=currency)


@st.composite
def limit_usages(
    draw: st.DrawFn, now: datetime, currency: str = DEFAULT_CURRENCY, max_payments: int = 20
) -> LimitUsage:
    """Usage built by recording up to ``max_payments`` payments at instants up to ``now``."""
    usage = LimitUsage(currency=currency)
    for _ in range(draw(st.integers(0, max_payments))):
        when = now - draw(st.timedeltas(timedelta(0), timedelta(days=400)))
        usage = usage.record(draw(payment_methods()), draw(positive_moneys(currency, 10**7)), when)
    return usage


def refund_windows(
    zones: st.SearchStrategy[ZoneInfo] | None = None,
) -> st.SearchStrategy[RefundWindow]:
    """Any valid :class:`RefundWindow`: every length, both countings, zones from ``zones``.

    ``zones`` defaults to Asia/Shanghai, UTC and America/New_York (which has daylight saving).
    """
    if zones is None:
        zones = st.sampled_from(
            [ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC"), ZoneInfo("America/New_York")]
        )
    return st.builds(
        RefundWindow,
        days=st.integers(1, MAX_REFUND_WINDOW_DAYS),
        counting=st.sampled_from(RefundCounting),
        zone=zones,
    )
