"""Usage: what a wallet has spent so far, as running totals per limit window.

Each window's total is stored with the key of the window it belongs to (the business date's
ordinal, ``year * 12 + month``, the year), so a total from an earlier window reads as zero and a
limit check never has to read the payment history. Holds count as spending until released.

Events may arrive late (a hold captured after midnight, a payment replayed from a queue): an
amount recorded for a window that has already closed changes only the lifetime total, never the
current window's.

```pycon
>>> from datetime import datetime, timezone
>>> now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
>>> usage = LimitUsage().record(PaymentMethod.NFC, Money.of("20.00"), now)
>>> usage.used(LimitWindow.DAY, now), usage.used(LimitWindow.DAY, now, PaymentMethod.ONLINE)
(Money('20.00', 'CNY'), Money('0.00', 'CNY'))

```
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE, require_aware
from icbc_wallet.domain.limits import (
    LimitWindow,
    PaymentMethod,
    parse_payment_method,
    validate_zone,
)
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money, validate_currency
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
)

__all__ = ["LimitUsage", "UsageTotals", "WindowKeys"]


class WindowKeys(NamedTuple):
    """Which business day, month and year an instant falls in (in the business zone).

    A named tuple rather than an attrs class: one is built on every limit check, and a tuple is
    the cheapest immutable record Python has.

    Attributes:
        day: proleptic ordinal of the business date.
        month: ``year * 12 + month``.
        year: the calendar year.
    """

    day: int
    month: int
    year: int

    @staticmethod
    def at(now: datetime, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> WindowKeys:
        """The keys of the windows containing ``now`` (naive datetimes are refused)."""
        local = require_aware(now, "now").astimezone(zone)
        return WindowKeys(local.toordinal(), local.year * 12 + local.month, local.year)


def _add(stored_key: int, stored_used: int, key: int, minor: int) -> tuple[int, int]:
    if key == stored_key:
        return key, stored_used + minor
    if key > stored_key:  # a new window has started
        return key, minor
    return stored_key, stored_used  # a late event for a window that has closed


@attrs.frozen
class UsageTotals:
    """Running totals of spending in the current day, month and year, and since opening.

    Totals are non-negative minor units tagged with the window they belong to; a total from an
    earlier window counts as zero. Use :meth:`record` and :meth:`release` to get updated totals.

    Raises:
        InvalidAmountError: a field is not a non-negative ``int`` (for example a corrupted row).
    """

    day: int = 0
    day_used: int = 0
    month: int = 0
    month_used: int = 0
    year: int = 0
    year_used: int = 0
    lifetime_used: int = 0

    def __attrs_post_init__(self) -> None:
        fields = (
            self.day,
            self.day_used,
            self.month,
            self.month_used,
            self.year,
            self.year_used,
            self.lifetime_used,
        )
        if any(type(field) is not int or field < 0 for field in fields):
            raise InvalidAmountError(f"usage totals must be non-negative ints: {self!r}")

    def used(self, keys: WindowKeys) -> tuple[int, int, int, int, int]:
        """Minor units used per window, indexed by ``LimitWindow.value``, in the windows ``keys``."""
        return (
            0,
            self.day_used if self.day == keys.day else 0,
            self.month_used if self.month == keys.month else 0,
            self.year_used if self.year == keys.year else 0,
            self.lifetime_used,
        )

    def record(self, minor: int, keys: WindowKeys) -> UsageTotals:
        """Totals after spending (or holding) ``minor`` units in the windows ``keys``.

        A window that has moved on since ``keys`` is left alone: the amount belongs to a window
        that no longer counts. The lifetime total always grows.
        """
        return UsageTotals(*self._recorded(minor, keys))

    def _recorded(self, minor: int, keys: WindowKeys) -> tuple[int, int, int, int, int, int, int]:
        """The fields of :meth:`record`'s result, unchecked."""
        day, day_used = _add(self.day, self.day_used, keys.day, minor)
        month, month_used = _add(self.month, self.month_used, keys.month, minor)
        year, year_used = _add(self.year, self.year_used, keys.year, minor)
        return day, day_used, month, month_used, year, year_used, self.lifetime_used + minor

    def release(self, minor: int, keys: WindowKeys) -> UsageTotals:
        """Totals after releasing ``minor`` units recorded at ``keys`` (a voided or expired hold).

        Raises:
            InvalidAmountError: more would be released from a window than it holds.
        """

        def take(stored_key: int, stored_used: int, key: int, window: str) -> int:
            if stored_key != key:
                return stored_used  # that window has closed; its total no longer counts
            if stored_used < minor:
                raise InvalidAmountError(
                    f"cannot release {minor} minor units from the {window} window: "
                    f"only {stored_used} were recorded there"
                )
            return stored_used - minor

        day_used = take(self.day, self.day_used, keys.day, "daily")
        month_used = take(self.month, self.month_used, keys.month, "monthly")
        year_used = take(self.year, self.year_used, keys.year, "annual")
        if self.lifetime_used < minor:
            raise InvalidAmountError(
                f"cannot release {minor} minor units: only {self.lifetime_used} were ever recorded"
            )
        return UsageTotals(
            self.day,
            day_used,
            self.month,
            month_used,
            self.year,
            year_used,
            self.lifetime_used - minor,
        )


_NO_USAGE: Final = UsageTotals()


def _freeze_totals(
    totals: Mapping[PaymentMethod, UsageTotals],
) -> Mapping[PaymentMethod, UsageTotals]:
    frozen: dict[PaymentMethod, UsageTotals] = {}
    for method, method_totals in dict(totals).items():
        if type(method_totals) is not UsageTotals:
            raise InvalidAmountError(f"usage for {method!r} must be UsageTotals")
        frozen[parse_payment_method(method)] = method_totals
    return MappingProxyType(frozen)


def _validate_overall(_instance: object, _attribute: object, value: UsageTotals) -> None:
    if type(value) is not UsageTotals:
        raise InvalidAmountError(f"overall usage must be UsageTotals, not {value!r}")


@attrs.frozen(eq=True, hash=False)
class LimitUsage:
    """What a wallet has spent so far: overall, and per payment method.

    Attributes:
        overall: totals over every method.
        by_method: totals per payment method.
        currency: the currency of every amount recorded.
        zone: the business zone in which windows are counted; it must match the limit schedule's.
    """

    overall: UsageTotals = attrs.field(default=_NO_USAGE, validator=_validate_overall)
    by_method: Mapping[PaymentMethod, UsageTotals] = attrs.field(
        factory=dict, converter=_freeze_totals
    )
    currency: str = attrs.field(default=DEFAULT_CURRENCY, validator=validate_currency)
    zone: ZoneInfo = attrs.field(default=DEFAULT_BUSINESS_ZONE, validator=validate_zone)

    def totals(self, method: PaymentMethod | None = None) -> UsageTotals:
        """Totals for ``method`` (or overall when None)."""
        if method is None:
            return self.overall
        return self.by_method.get(parse_payment_method(method), _NO_USAGE)

    def used(
        self, window: LimitWindow, now: datetime, method: PaymentMethod | None = None
    ) -> Money:
        """How much was spent in ``window`` as of ``now`` (overall, or with ``method``)."""
        minor = self.totals(method).used(WindowKeys.at(now, self.zone))[window.value]
        return Money._make(minor, self.currency)

    def record(self, method: PaymentMethod, amount: Money, now: datetime) -> LimitUsage:
        """Usage after an outflow (or a hold) of ``amount`` by ``method`` at ``now``."""
        method = parse_payment_method(method)
        minor = self._minor(amount)
        return self._record(method, minor, WindowKeys.at(now, self.zone))

    def _record(self, method: PaymentMethod, minor: int, keys: WindowKeys) -> LimitUsage:
        """:meth:`record` for a caller that has checked its input and built ``keys`` already.

        ``method`` must be a PaymentMethod and ``minor`` positive; ``keys`` are in
        :attr:`zone`. Adding a positive amount to valid totals gives valid totals, so the
        results are built without re-validation: a wallet records usage on every payment,
        once its limit check (which needs the same keys) has accepted the amount.
        """
        by_method = dict(self.by_method)
        by_method[method] = _totals(self.by_method.get(method, _NO_USAGE)._recorded(minor, keys))
        usage = _NEW(LimitUsage)
        _SET_OVERALL(usage, _totals(self.overall._recorded(minor, keys)))
        _SET_BY_METHOD(usage, MappingProxyType(by_method))
        _SET_CURRENCY(usage, self.currency)
        _SET_ZONE(usage, self.zone)
        return usage

    def release(self, method: PaymentMethod, amount: Money, recorded_at: datetime) -> LimitUsage:
        """Usage after releasing ``amount`` recorded at ``recorded_at`` (a voided or expired hold).

        Raises:
            InvalidAmountError: more than was recorded by ``method`` in a window still open.
        """
        method = parse_payment_method(method)
        minor = self._minor(amount)
        keys = WindowKeys.at(recorded_at, self.zone)
        return self._with(
            method, self.overall.release(minor, keys), self.totals(method).release(minor, keys)
        )

    def _minor(self, amount: Money) -> int:
        if type(amount) is not Money:
            raise AmountTypeError(f"usage changes by Money, not {type(amount).__name__}")
        if amount.currency != self.currency:
            raise CurrencyMismatchError(f"usage is kept in {self.currency}, not {amount.currency}")
        if not amount.is_positive():
            raise InvalidAmountError(f"usage changes by a positive amount, not {amount}")
        return amount.minor

    def _with(self, method: PaymentMethod, overall: UsageTotals, totals: UsageTotals) -> LimitUsage:
        by_method = dict(self.by_method)
        by_method[method] = totals
        return LimitUsage(overall, by_method, self.currency, self.zone)


def _totals(fields: tuple[int, int, int, int, int, int, int]) -> UsageTotals:
    """Build from known-good fields (in order), skipping ``__init__`` as ``Money._make`` does."""
    day, day_used, month, month_used, year, year_used, lifetime_used = fields
    totals = _NEW(UsageTotals)
    _SET_DAY(totals, day)
    _SET_DAY_USED(totals, day_used)
    _SET_MONTH(totals, month)
    _SET_MONTH_USED(totals, month_used)
    _SET_YEAR(totals, year)
    _SET_YEAR_USED(totals, year_used)
    _SET_LIFETIME_USED(totals, lifetime_used)
    return totals


_NEW: Final = object.__new__
(
    _SET_DAY,
    _SET_DAY_USED,
    _SET_MONTH,
    _SET_MONTH_USED,
    _SET_YEAR,
    _SET_YEAR_USED,
    _SET_LIFETIME_USED,
) = (UsageTotals.__dict__[field.name].__set__ for field in attrs.fields(UsageTotals))
_SET_OVERALL: Final = LimitUsage.__dict__["overall"].__set__
_SET_BY_METHOD: Final = LimitUsage.__dict__["by_method"].__set__
_SET_CURRENCY: Final = LimitUsage.__dict__["currency"].__set__
_SET_ZONE: Final = LimitUsage.__dict__["zone"].__set__
