"""Limits: how much a verification tier may spend, per transaction and per window.

A :class:`Limit` caps spending per transaction, per business day, month and year, and since the
account was opened (lifetime). A :class:`TierLimits` gives one verification tier its overall limit,
its balance cap, stricter limits for particular :class:`PaymentMethod` s (a static QR code is
capped lower than a dynamic one) and the methods it may not use at all. A :class:`LimitSchedule`
orders the tiers from the least to the most verified and refuses a schedule in which a higher tier
is stricter than a lower one, unless told that is intended.

What a wallet has already spent is kept in :mod:`icbc_wallet.domain.usage`.

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
from decimal import Decimal
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.domain import _html
from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE
from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money, validate_currency
from icbc_wallet.errors import (
    InvalidLimitScheduleError,
    UnknownPaymentMethodError,
    UnknownTierError,
)

__all__ = [
    "UNLIMITED",
    "Limit",
    "LimitSchedule",
    "LimitWindow",
    "PaymentMethod",
    "TierLimits",
    "parse_payment_method",
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


def parse_payment_method(value: PaymentMethod | str) -> PaymentMethod:
    """Return the :class:`PaymentMethod` for a member or its value (``"static_qr"``).

    Raises:
        UnknownPaymentMethodError: anything else, including member names such as ``"STATIC_QR"``.
    """
    if type(value) is PaymentMethod:
        return value
    try:
        return PaymentMethod(value)
    except ValueError:
        known = ", ".join(repr(method.value) for method in PaymentMethod)
        raise UnknownPaymentMethodError(
            f"unknown payment method {value!r}; use a PaymentMethod or one of {known}"
        ) from None


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
    # (window index, cap in minor units, decline reason) for the caps that are set: the hot path.
    _checks: tuple[tuple[int, int, DeclineReason], ...] = attrs.field(
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
        checks = tuple(
            (window.value, cap.minor, window.decline_reason)
            for window, cap in caps
            if cap is not None
        )
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
    if not isinstance(methods, Mapping):
        raise InvalidLimitScheduleError(f"methods must map PaymentMethod to Limit, not {methods!r}")
    frozen: dict[PaymentMethod, Limit] = {}
    for method, limit in methods.items():
        if type(limit) is not Limit:
            raise InvalidLimitScheduleError(
                f"the limit for {method!r} must be a Limit, not {limit!r}"
            )
        frozen[parse_payment_method(method)] = limit
    return MappingProxyType(frozen)


def _method_set(methods: Iterable[PaymentMethod]) -> frozenset[PaymentMethod]:
    if isinstance(methods, str | bytes):  # a lone "withdrawal" would become a set of letters
        raise InvalidLimitScheduleError(
            f"disallowed must be a collection of payment methods, not the string {methods!r}"
        )
    return frozenset(parse_payment_method(method) for method in methods)


def _tier_tuple(tiers: Iterable[TierLimits]) -> tuple[TierLimits, ...]:
    if isinstance(tiers, TierLimits) or not isinstance(tiers, Iterable):
        raise InvalidLimitScheduleError(
            f"tiers must be a sequence of TierLimits, lowest first, not {tiers!r}"
        )
    result = tuple(tiers)
    for tier in result:
        if type(tier) is not TierLimits:
            raise InvalidLimitScheduleError(f"every tier must be TierLimits, not {tier!r}")
    return result


def validate_zone(_instance: object, _attribute: object, value: ZoneInfo) -> None:
    """An attrs validator for business-zone fields of limit values."""
    if not isinstance(value, ZoneInfo):
        raise InvalidLimitScheduleError(
            f"zone must be a zoneinfo.ZoneInfo, not {value!r}; e.g. ZoneInfo('Asia/Shanghai')"
        )


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
        if type(self.limit) is not Limit:
            raise InvalidLimitScheduleError(
                f"tier {self.name!r}: limit must be a Limit, not {self.limit!r}"
            )
        if self.balance_cap is not None and (
            type(self.balance_cap) is not Money or self.balance_cap.is_negative()
        ):
            raise InvalidLimitScheduleError(
                f"tier {self.name!r}: balance cap must be non-negative Money or None, "
                f"not {self.balance_cap!r}"
            )
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


def _tighter(a: Money | None, b: Money | None) -> Money | None:
    """The smaller of two caps (None is unlimited)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a.minor <= b.minor else b


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
    currency: str = attrs.field(default=DEFAULT_CURRENCY, validator=validate_currency)
    allow_stricter_higher_tiers: bool = False
    zone: ZoneInfo = attrs.field(default=DEFAULT_BUSINESS_ZONE, validator=validate_zone)
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
        methods = sorted((set(higher.methods) | set(lower.methods)) - lower.disallowed)
        for window in reversed(LimitWindow):  # widest first: name the cap that was set
            high, low = higher.limit.effective_cap(window), lower.limit.effective_cap(window)
            if _is_stricter(high, low):
                fail(f"effective {window.label} cap", high, low)
            for method in methods:  # what a payment by this method may really use
                method_high = _tighter(higher.method_limit(method).effective_cap(window), high)
                method_low = _tighter(lower.method_limit(method).effective_cap(window), low)
                if _is_stricter(method_high, method_low):
                    fail(f"effective {method} {window.label} cap", method_high, method_low)

    def _repr_html_(self) -> str:
        """Jupyter's face: a table of tiers by windows, with a row per limited or barred method."""
        return _html.limit_schedule(self)

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
