"""Limits: how much a verification tier may spend, per transaction and per window.

A :class:`Limit` caps spending per transaction, per business day, month and year, and since the
account was opened (lifetime). A :class:`TierLimits` gives one verification tier its overall limit,
its balance cap, stricter limits for particular :class:`PaymentMethod` s (a static QR code is
capped lower than a dynamic one) and the methods it may not use at all. A :class:`LimitSchedule`
orders the tiers from the least to the most verified and refuses a schedule in which a higher tier
is stricter than a lower one, unless told that is intended.

Usage is kept as running totals per window (:class:`UsageTotals`, :class:`LimitUsage`), so a limit
check costs the same after ten payments or a million. Windows are counted in the business zone.

```pycon
>>> article = Limit.of(per_transaction="500", daily="1000")
>>> article.cap(LimitWindow.DAY)
Money('1000.00', 'CNY')
>>> Limit.of(per_transaction="5000", daily="1000")
Traceback (most recent call last):
...
icbc_wallet.errors.InvalidLimitScheduleError: daily cap 1000.00 CNY is below the per-transaction cap 5000.00 CNY

```
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE, require_aware
from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money
from icbc_wallet.errors import (
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidLimitScheduleError,
    UnknownTierError,
)

__all__ = [
    "UNLIMITED",
    "Limit",
    "LimitSchedule",
    "LimitUsage",
    "LimitWindow",
    "PaymentMethod",
    "TierLimits",
    "UsageTotals",
    "WindowKeys",
]


class LimitWindow(Enum):
    """The span a cap applies to. Ordered from the narrowest to the widest."""

    PER_TRANSACTION = 0
    DAY = 1
    MONTH = 2
    YEAR = 3
    LIFETIME = 4

    @property
    def label(self) -> str:
        """The field name used in :class:`Limit` (``"daily"`` for DAY)."""
        return _LABELS[self]

    @property
    def decline_reason(self) -> DeclineReason:
        """The reason a check gives when this window's cap would be exceeded."""
        return _REASONS[self]


_LABELS: Final = MappingProxyType(
    {
        LimitWindow.PER_TRANSACTION: "per-transaction",
        LimitWindow.DAY: "daily",
        LimitWindow.MONTH: "monthly",
        LimitWindow.YEAR: "annual",
        LimitWindow.LIFETIME: "lifetime",
    }
)
_REASONS: Final = MappingProxyType(
    {
        LimitWindow.PER_TRANSACTION: DeclineReason.PER_TRANSACTION_LIMIT,
        LimitWindow.DAY: DeclineReason.DAILY_LIMIT,
        LimitWindow.MONTH: DeclineReason.MONTHLY_LIMIT,
        LimitWindow.YEAR: DeclineReason.ANNUAL_LIMIT,
        LimitWindow.LIFETIME: DeclineReason.LIFETIME_LIMIT,
    }
)
# The windows that must be ordered single <= daily <= monthly <= annual where set. A lifetime cap
# may legitimately be tighter than an annual one (PBOC class I payment accounts: 1,000 since opening).
_CHAINED: Final = (
    LimitWindow.PER_TRANSACTION,
    LimitWindow.DAY,
    LimitWindow.MONTH,
    LimitWindow.YEAR,
)


class PaymentMethod(StrEnum):
    """How money leaves the wallet; limits may differ by method."""

    STATIC_QR = "static_qr"
    """The customer scans a merchant's printed (static) code: PBOC level D, 500/day."""
    DYNAMIC_QR = "dynamic_qr"
    """A one-time code: the customer shows it, or scans the merchant's dynamic code."""
    NFC = "nfc"
    """Contactless (near-field) payment at a terminal."""
    ONLINE = "online"
    """Payment inside an app or website."""
    P2P_TRANSFER = "p2p_transfer"
    """A transfer to another person's wallet or account."""
    WITHDRAWAL = "withdrawal"
    """Moving wallet money out to a bank card."""


@attrs.frozen
class WindowKeys:
    """Which business day, month and year an instant falls in (in the business zone).

    Attributes:
        day: proleptic ordinal of the business date.
        month: ``year * 12 + month``.
        year: the calendar year.
    """

    day: int
    month: int
    year: int

    @classmethod
    def at(cls, now: datetime, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> WindowKeys:
        """The keys of the windows containing ``now`` (naive datetimes are refused)."""
        local = require_aware(now, "now").astimezone(zone)
        return cls(local.toordinal(), local.year * 12 + local.month, local.year)


def _validate_cap(
    instance: Limit, attribute: attrs.Attribute[Money | None], cap: Money | None
) -> None:
    if cap is None:
        return
    if type(cap) is not Money:
        raise InvalidLimitScheduleError(f"{attribute.name} must be Money or None, not {cap!r}")
    if cap.is_negative():
        raise InvalidLimitScheduleError(f"{attribute.name} cap must not be negative, got {cap}")


@attrs.frozen
class Limit:
    """Caps on spending per transaction and per window; ``None`` means no cap.

    Caps must share one currency and be ordered ``per_transaction <= daily <= monthly <= annual``
    where set. A ``lifetime`` cap (cumulative since the account was opened) may be tighter.
    """

    per_transaction: Money | None = attrs.field(default=None, validator=_validate_cap)
    daily: Money | None = attrs.field(default=None, validator=_validate_cap)
    monthly: Money | None = attrs.field(default=None, validator=_validate_cap)
    annual: Money | None = attrs.field(default=None, validator=_validate_cap)
    lifetime: Money | None = attrs.field(default=None, validator=_validate_cap)
    # (window index, cap in minor units, window) for the caps that are set: the check's hot path.
    _checks: tuple[tuple[int, int, LimitWindow], ...] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        caps = [(window, self.cap(window)) for window in LimitWindow]
        currencies = {cap.currency for _, cap in caps if cap is not None}
        if len(currencies) > 1:
            raise InvalidLimitScheduleError(f"caps mix currencies {sorted(currencies)}")
        chained = [(window, cap) for window, cap in caps if cap is not None and window in _CHAINED]
        for (narrow, narrow_cap), (wide, wide_cap) in itertools.pairwise(chained):
            if wide_cap < narrow_cap:
                raise InvalidLimitScheduleError(
                    f"{wide.label} cap {wide_cap} is below the {narrow.label} cap {narrow_cap}"
                )
        checks = tuple((window.value, cap.minor, window) for window, cap in caps if cap is not None)
        object.__setattr__(self, "_checks", checks)

    @classmethod
    def of(
        cls,
        *,
        per_transaction: Decimal | int | str | None = None,
        daily: Decimal | int | str | None = None,
        monthly: Decimal | int | str | None = None,
        annual: Decimal | int | str | None = None,
        lifetime: Decimal | int | str | None = None,
        currency: str = DEFAULT_CURRENCY,
    ) -> Limit:
        """Build from major-unit amounts (``Limit.of(per_transaction="500", daily="1000")``)."""

        def money(value: Decimal | int | str | None) -> Money | None:
            return None if value is None else Money.of(value, currency)

        return cls(
            money(per_transaction), money(daily), money(monthly), money(annual), money(lifetime)
        )

    @property
    def currency(self) -> str | None:
        """The caps' currency, or None when no cap is set."""
        for cap in (self.per_transaction, self.daily, self.monthly, self.annual, self.lifetime):
            if cap is not None:
                return cap.currency
        return None

    def cap(self, window: LimitWindow) -> Money | None:
        """The cap set for ``window`` (None when unlimited)."""
        return (self.per_transaction, self.daily, self.monthly, self.annual, self.lifetime)[
            window.value
        ]

    def effective_cap(self, window: LimitWindow) -> Money | None:
        """The tightest cap binding within ``window``: its own or any wider window's.

        A lifetime cap of 1,000 makes the effective annual cap 1,000 even if no annual cap is set.
        """
        binding = [self.cap(w) for w in LimitWindow if w.value >= window.value]
        set_caps = [cap for cap in binding if cap is not None]
        return min(set_caps, key=lambda cap: cap.minor) if set_caps else None


UNLIMITED: Final = Limit()
"""A limit without caps."""


def _freeze_methods(methods: Mapping[PaymentMethod, Limit]) -> Mapping[PaymentMethod, Limit]:
    return MappingProxyType(dict(methods))


def _freeze_totals(
    totals: Mapping[PaymentMethod, UsageTotals],
) -> Mapping[PaymentMethod, UsageTotals]:
    return MappingProxyType(dict(totals))


def _method_set(methods: Iterable[PaymentMethod]) -> frozenset[PaymentMethod]:
    return frozenset(methods)


def _tier_tuple(tiers: Iterable[TierLimits]) -> tuple[TierLimits, ...]:
    return tuple(tiers)


@attrs.frozen(eq=False)
class TierLimits:
    """The limits of one verification tier.

    Attributes:
        name: the tier's name (``"WL04"``, ``"real_name"``).
        limit: caps on all outflows together.
        balance_cap: the most the wallet may hold (None: no cap).
        methods: stricter caps for particular payment methods, applied on top of ``limit``.
        disallowed: methods this tier may not use at all.
        description: a human description (source, verification required).
    """

    name: str
    limit: Limit = UNLIMITED
    balance_cap: Money | None = None
    methods: Mapping[PaymentMethod, Limit] = attrs.field(factory=dict, converter=_freeze_methods)
    disallowed: frozenset[PaymentMethod] = attrs.field(default=frozenset(), converter=_method_set)
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise InvalidLimitScheduleError("a tier needs a non-empty name")
        if self.balance_cap is not None and self.balance_cap.is_negative():
            raise InvalidLimitScheduleError(f"tier {self.name!r}: balance cap must not be negative")
        overlap = self.disallowed & set(self.methods)
        if overlap:
            raise InvalidLimitScheduleError(
                f"tier {self.name!r}: methods {sorted(m.value for m in overlap)} are both limited and disallowed"
            )

    def method_limit(self, method: PaymentMethod) -> Limit:
        """The method-specific limit (``UNLIMITED`` when the method has none of its own)."""
        return self.methods.get(method, UNLIMITED)

    def currencies(self) -> set[str]:
        """Every currency used by this tier's caps."""
        found = {limit.currency for limit in (self.limit, *self.methods.values())}
        if self.balance_cap is not None:
            found.add(self.balance_cap.currency)
        return {currency for currency in found if currency is not None}


def _is_stricter(higher: Money | None, lower: Money | None) -> bool:
    """True when cap ``higher`` allows less than ``lower`` (None is unlimited)."""
    if higher is None:
        return False
    return lower is None or higher < lower


@attrs.frozen(eq=False)
class LimitSchedule:
    """Limits for every verification tier, ordered from the least to the most verified.

    Attributes:
        tiers: the tiers, lowest (least verified) first.
        currency: the currency of every cap.
        allow_stricter_higher_tiers: accept a higher tier with a tighter cap than a lower one.
        zone: the business zone in which days, months and years are counted.
        name: a short name for reports.
        description: where the numbers come from.

    Raises:
        InvalidLimitScheduleError: no tiers, duplicate names, mixed currencies, or a higher tier
            stricter than a lower one (compared on effective caps) without permission.
    """

    tiers: tuple[TierLimits, ...] = attrs.field(converter=_tier_tuple)
    currency: str = DEFAULT_CURRENCY
    allow_stricter_higher_tiers: bool = False
    zone: ZoneInfo = DEFAULT_BUSINESS_ZONE
    name: str = ""
    description: str = ""
    _by_name: Mapping[str, TierLimits] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.tiers:
            raise InvalidLimitScheduleError("a limit schedule needs at least one tier")
        by_name: dict[str, TierLimits] = {}
        for tier in self.tiers:
            if tier.name in by_name:
                raise InvalidLimitScheduleError(f"tier {tier.name!r} appears twice")
            stray = tier.currencies() - {self.currency}
            if stray:
                raise InvalidLimitScheduleError(
                    f"tier {tier.name!r} uses {sorted(stray)} in a {self.currency} schedule"
                )
            by_name[tier.name] = tier
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))
        if not self.allow_stricter_higher_tiers:
            for lower, higher in zip(self.tiers, self.tiers[1:], strict=False):
                self._check_not_stricter(lower, higher)

    @staticmethod
    def _check_not_stricter(lower: TierLimits, higher: TierLimits) -> None:
        def fail(what: str, high: Money | None, low: Money | None) -> None:
            raise InvalidLimitScheduleError(
                f"tier {higher.name!r} is stricter than the lower tier {lower.name!r}: {what} "
                f"{high} < {'unlimited' if low is None else low}; order tiers from least to most "
                "verified, or pass allow_stricter_higher_tiers=True if this is intended"
            )

        if _is_stricter(higher.balance_cap, lower.balance_cap):
            fail("balance cap", higher.balance_cap, lower.balance_cap)
        newly_disallowed = higher.disallowed - lower.disallowed
        if newly_disallowed:
            raise InvalidLimitScheduleError(
                f"tier {higher.name!r} disallows {sorted(m.value for m in newly_disallowed)}, which the lower tier "
                f"{lower.name!r} allows; pass allow_stricter_higher_tiers=True if this is intended"
            )
        scopes: list[tuple[str, Limit, Limit]] = [("", higher.limit, lower.limit)]
        for method in sorted(set(higher.methods) | set(lower.methods)):
            if method in lower.disallowed:
                continue
            scopes.append((f"{method} ", higher.method_limit(method), lower.method_limit(method)))
        for prefix, high_limit, low_limit in scopes:
            for window in reversed(LimitWindow):  # widest first: name the cap that was set
                high, low = high_limit.effective_cap(window), low_limit.effective_cap(window)
                if _is_stricter(high, low):
                    fail(f"effective {prefix}{window.label} cap", high, low)

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Tier names, lowest first."""
        return tuple(tier.name for tier in self.tiers)

    def tier(self, name: str) -> TierLimits:
        """The tier called ``name``.

        Raises:
            UnknownTierError: no such tier (the message lists the known ones).
        """
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise UnknownTierError(
                f"unknown tier {name!r}; this schedule has {list(self.tier_names)}"
            ) from None


@attrs.frozen
class UsageTotals:
    """Running totals of spending in the current day, month and year, and since opening.

    Totals are in minor units and tagged with the window they belong to; a total from an earlier
    window counts as zero. Use :meth:`record` and :meth:`release` to get updated totals.
    """

    day: int = 0
    day_used: int = 0
    month: int = 0
    month_used: int = 0
    year: int = 0
    year_used: int = 0
    lifetime_used: int = 0

    def used(self, keys: WindowKeys) -> tuple[int, int, int, int, int]:
        """Minor units used per window (indexed by ``LimitWindow.value``) for the windows ``keys``."""
        return (
            0,
            self.day_used if self.day == keys.day else 0,
            self.month_used if self.month == keys.month else 0,
            self.year_used if self.year == keys.year else 0,
            self.lifetime_used,
        )

    def record(self, minor: int, keys: WindowKeys) -> UsageTotals:
        """Totals after spending (or holding) ``minor`` units in the windows ``keys``."""
        _, day, month, year, lifetime = self.used(keys)
        return UsageTotals(
            keys.day,
            day + minor,
            keys.month,
            month + minor,
            keys.year,
            year + minor,
            lifetime + minor,
        )

    def release(self, minor: int, keys: WindowKeys) -> UsageTotals:
        """Totals after releasing ``minor`` units recorded at ``keys`` (a voided or expired hold).

        Windows that have since rolled over are left alone: their totals no longer count.
        """
        return UsageTotals(
            self.day,
            self.day_used - minor if self.day == keys.day else self.day_used,
            self.month,
            self.month_used - minor if self.month == keys.month else self.month_used,
            self.year,
            self.year_used - minor if self.year == keys.year else self.year_used,
            self.lifetime_used - minor,
        )


_NO_USAGE: Final = UsageTotals()


@attrs.frozen(eq=True, hash=False)
class LimitUsage:
    """What a wallet has spent so far: overall, and per payment method.

    ```pycon
    >>> from datetime import datetime, timezone
    >>> now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    >>> usage = LimitUsage().record(PaymentMethod.NFC, Money.of("20.00"), now)
    >>> usage.used(LimitWindow.DAY, now).minor, usage.used(LimitWindow.DAY, now, PaymentMethod.ONLINE).minor
    (2000, 0)

    ```
    """

    overall: UsageTotals = _NO_USAGE
    by_method: Mapping[PaymentMethod, UsageTotals] = attrs.field(
        factory=dict, converter=_freeze_totals
    )
    currency: str = DEFAULT_CURRENCY

    def totals(self, method: PaymentMethod | None = None) -> UsageTotals:
        """Totals for ``method`` (or overall when None)."""
        if method is None:
            return self.overall
        return self.by_method.get(method, _NO_USAGE)

    def used(
        self,
        window: LimitWindow,
        now: datetime,
        method: PaymentMethod | None = None,
        zone: ZoneInfo = DEFAULT_BUSINESS_ZONE,
    ) -> Money:
        """How much was spent in ``window`` as of ``now`` (overall, or with ``method``)."""
        minor = self.totals(method).used(WindowKeys.at(now, zone))[window.value]
        return Money._make(minor, self.currency)

    def record(
        self,
        method: PaymentMethod,
        amount: Money,
        now: datetime,
        zone: ZoneInfo = DEFAULT_BUSINESS_ZONE,
    ) -> LimitUsage:
        """Usage after an outflow (or a hold) of ``amount`` by ``method`` at ``now``."""
        minor = self._minor(amount)
        keys = WindowKeys.at(now, zone)
        return self._with(
            method, self.overall.record(minor, keys), self.totals(method).record(minor, keys)
        )

    def release(
        self,
        method: PaymentMethod,
        amount: Money,
        recorded_at: datetime,
        zone: ZoneInfo = DEFAULT_BUSINESS_ZONE,
    ) -> LimitUsage:
        """Usage after releasing ``amount`` recorded at ``recorded_at`` (a voided or expired hold)."""
        minor = self._minor(amount)
        keys = WindowKeys.at(recorded_at, zone)
        if minor > self.totals(method).lifetime_used:
            raise InvalidAmountError(
                f"cannot release {amount}: more than was recorded for {method}"
            )
        return self._with(
            method, self.overall.release(minor, keys), self.totals(method).release(minor, keys)
        )

    def _minor(self, amount: Money) -> int:
        if amount.currency != self.currency:
            raise CurrencyMismatchError(f"usage is kept in {self.currency}, not {amount.currency}")
        if not amount.is_positive():
            raise InvalidAmountError(f"usage changes by a positive amount, not {amount}")
        return amount.minor

    def _with(self, method: PaymentMethod, overall: UsageTotals, totals: UsageTotals) -> LimitUsage:
        by_method = dict(self.by_method)
        by_method[method] = totals
        return LimitUsage(overall, by_method, self.currency)
