"""Fees: what the bank charges for an operation, and why.

A *fee* is money the wallet's owner pays for an operation (a withdrawal to a bank card, a transfer,
a repayment). A :class:`FeeSchedule` is data: one
:class:`~icbc_wallet.domain.fee_rules.FeeRule` per operation kind (optionally per channel) and
dated :class:`Waiver` s. A rule's free quota first covers what it can; the rest is the
*chargeable* amount. The rule's bracket containing it charges ``flat + rate * chargeable``,
rounded as the rule says; a promotion takes its share off; the rule's minimum and maximum clamp
the result. A full waiver makes the fee exactly zero. :meth:`FeeSchedule.quote` answers an
itemised :class:`~icbc_wallet.domain.fee_quotes.FeeQuote`.

```pycon
>>> from icbc_wallet.domain.fee_rules import FreeQuota, QuotaPeriod
>>> rule = FeeRule.percentage(OperationKind.WITHDRAWAL, "0.001", minimum=Money.of("0.10"),
...                           quota=FreeQuota(Money.of(1000), QuotaPeriod.LIFETIME))
>>> quote = FeeSchedule([rule]).quote(OperationKind.WITHDRAWAL, Money.of(2000),
...                                   now=datetime(2026, 5, 1, tzinfo=DEFAULT_BUSINESS_ZONE))
>>> quote.fee, quote.total_debit
(Money('1.00', 'CNY'), Money('2001.00', 'CNY'))
>>> [(line.label, str(line.amount)) for line in quote.lines]
[('free quota', '1000.00 CNY'), ('gross', '1.00 CNY')]
>>> quote.lines[1].detail
'0.1% of 1000.00 = 1.00'

```

Laws, checked by property tests: a fee is never negative; it lies within the rule's minimum and
maximum whenever something is chargeable and no full waiver applies; within one rule it never
decreases as the amount grows; a full waiver, or an amount inside the unused quota, costs zero.

Rules precompute integer rates and minor units when built, so :meth:`FeeSchedule.quote` does only
integer arithmetic (no ``Decimal``, no global decimal context) and builds one ``FeeQuote``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Final, NoReturn
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.domain.calendar import (
    DEFAULT_BUSINESS_ZONE,
    HolidayCalendar,
    NoHolidays,
    business_date,
    require_aware,
)
from icbc_wallet.domain.fee_quotes import FeeQuote
from icbc_wallet.domain.fee_rules import FeeRule, _decimal
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money, currency_exponent, parse_rate
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.rounding import divide_rounded
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidFeeScheduleError,
    UnknownOperationError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from icbc_wallet.domain.fee_quotes import _Clamp

__all__ = ["FeeSchedule", "Waiver"]

_NO_HOLIDAYS: Final = NoHolidays()
# tzinfo types whose utcoffset() never answers None, so an instant in them is aware for sure.
_ALWAYS_OFFSET: Final = frozenset({ZoneInfo, timezone})


def _kinds(value: Iterable[OperationKind] | None) -> frozenset[OperationKind] | None:
    return None if value is None else frozenset(OperationKind(kind) for kind in value)


@attrs.frozen
class Waiver:
    """A dated full waiver (``discount`` 1: the fee is zero) or promotion (0 < discount < 1).

    A promotion takes ``discount`` of the fee off before the rule's minimum and maximum apply, so
    the minimum still holds; a full waiver bypasses the minimum. When several waivers apply to one
    quote, the largest discount wins (among equals, the first listed in the schedule).

    Attributes:
        name: shown in explanations ("National Day 2026").
        starts: the first instant it applies (inclusive); None: always has.
        ends: the first instant it no longer applies (exclusive); None: never ends.
        kinds: the operation kinds it covers; None: every kind.
        holidays_only: applies only on business dates the quote's holiday calendar marks.
        discount: the fraction of the fee taken off.

    Raises:
        NaiveDatetimeError: ``starts`` or ``ends`` has no timezone.
        InvalidFeeScheduleError: ``ends`` not after ``starts``, empty ``kinds``, or a discount
            outside (0, 1].
    """

    name: str
    starts: datetime | None = attrs.field(default=None, kw_only=True)
    ends: datetime | None = attrs.field(default=None, kw_only=True)
    kinds: frozenset[OperationKind] | None = attrs.field(
        default=None, kw_only=True, converter=_kinds
    )
    holidays_only: bool = attrs.field(default=False, kw_only=True)
    discount: Decimal = attrs.field(default=Decimal(1), kw_only=True, converter=_decimal)
    _keep: tuple[int, int] = attrs.field(init=False, eq=False, repr=False)  # 1 - discount

    @classmethod
    def full(
        cls,
        name: str,
        *,
        starts: datetime | None = None,
        ends: datetime | None = None,
        kinds: Iterable[OperationKind] | None = None,
        holidays_only: bool = False,
    ) -> Waiver:
        """Waive the whole fee."""
        return cls(name, starts=starts, ends=ends, kinds=kinds, holidays_only=holidays_only)

    @classmethod
    def promotion(
        cls,
        name: str,
        discount: Decimal | int | str,
        *,
        starts: datetime | None = None,
        ends: datetime | None = None,
        kinds: Iterable[OperationKind] | None = None,
        holidays_only: bool = False,
    ) -> Waiver:
        """Take ``discount`` (``"0.5"``: half) off the fee; the rule's minimum still holds."""
        return cls(
            name,
            starts=starts,
            ends=ends,
            kinds=kinds,
            holidays_only=holidays_only,
            discount=discount,
        )

    @property
    def is_full(self) -> bool:
        """True when the fee is waived entirely."""
        return self.discount == 1

    def __attrs_post_init__(self) -> None:
        for moment, what in ((self.starts, "starts"), (self.ends, "ends")):
            if moment is not None:
                require_aware(moment, f"waiver {self.name!r} {what}")
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise InvalidFeeScheduleError(f"waiver {self.name!r} must end after it starts")
        if self.kinds is not None and not self.kinds:
            raise InvalidFeeScheduleError(f"waiver {self.name!r}: use kinds=None for every kind")
        if not 0 < self.discount <= 1:
            raise InvalidFeeScheduleError(
                f"waiver {self.name!r}: discount must be above 0 and at most 1, not {self.discount}"
            )
        numerator, denominator = parse_rate(self.discount)
        object.__setattr__(self, "_keep", (denominator - numerator, denominator))


# A rule after the channel fallback, the waivers by discount, and the canonical kind and channel.
_Entry = tuple[FeeRule | None, tuple[Waiver, ...], OperationKind, Channel | None]


def _refuse(kind: str, channel: str | None) -> NoReturn:
    if kind not in _KIND_VALUES:
        known = ", ".join(repr(member.value) for member in OperationKind)
        raise UnknownOperationError(f"unknown operation kind {kind!r}; use one of {known}")
    known = ", ".join(repr(member.value) for member in Channel)
    raise UnknownOperationError(f"unknown channel {channel!r}; use None or one of {known}")


_KIND_VALUES: Final = frozenset(member.value for member in OperationKind)


def _rules(value: Iterable[FeeRule]) -> tuple[FeeRule, ...]:
    return tuple(value)


def _waivers(value: Iterable[Waiver]) -> tuple[Waiver, ...]:
    return tuple(value)


@attrs.frozen
class FeeSchedule:
    """A bank's or wallet's fee rules and waivers, in one currency.

    The rule for ``(kind, channel)`` applies, else the kind's channel-less rule; with neither, the
    operation is free (its one line says ``"no rule"``). One rule per ``(kind, channel)`` pair.

    Raises:
        InvalidFeeScheduleError: two rules for one pair, or a rule in another currency.
    """

    rules: tuple[FeeRule, ...] = attrs.field(converter=_rules)
    waivers: tuple[Waiver, ...] = attrs.field(default=(), converter=_waivers)
    currency: str = DEFAULT_CURRENCY
    name: str = ""
    _table: dict[tuple[OperationKind, Channel | None], _Entry] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        currency_exponent(self.currency)
        lookup: dict[tuple[OperationKind, Channel | None], FeeRule] = {}
        for rule in self.rules:
            if rule.currency != self.currency:
                raise InvalidFeeScheduleError(
                    f"fee rule {rule.label} is in {rule.currency}, the schedule in {self.currency}"
                )
            first = lookup.setdefault((rule.kind, rule.channel), rule)
            if first is not rule:
                raise InvalidFeeScheduleError(
                    f"fee rules {first.label} and {rule.label} both price {rule.kind} on "
                    f"{rule.channel or 'any channel'}; keep one rule per (kind, channel)"
                )
        # reverse keeps ties in order (sorting is stable); -discount would use the decimal context
        by_discount = sorted(self.waivers, key=lambda waiver: waiver.discount, reverse=True)
        table: dict[tuple[OperationKind, Channel | None], _Entry] = {}
        for kind in OperationKind:
            waivers = tuple(w for w in by_discount if w.kinds is None or kind in w.kinds)
            for channel in (None, *Channel):
                found = lookup.get((kind, channel)) or lookup.get((kind, None))
                table[kind, channel] = (found, waivers, kind, channel)
        object.__setattr__(self, "_table", table)

    def rule_for(self, kind: OperationKind, channel: Channel | None = None) -> FeeRule | None:
        """The rule that prices ``kind`` on ``channel``; None when the operation is free."""
        return self._table[OperationKind(kind), None if channel is None else Channel(channel)][0]

    def quote(  # noqa: PLR0912  # one flat function: calls cost more than the arithmetic
        self,
        kind: OperationKind,
        amount: Money,
        *,
        now: datetime,
        channel: Channel | None = None,
        quota_used: Money | None = None,
        calendar: HolidayCalendar = _NO_HOLIDAYS,
        zone: ZoneInfo = DEFAULT_BUSINESS_ZONE,
    ) -> FeeQuote:
        """Price one operation.

        Args:
            kind: the operation.
            amount: its amount: positive, in the schedule's currency.
            now: when it happens (timezone-aware); waivers are dated by it.
            channel: where it is made; None uses the kind's channel-less rule.
            quota_used: how much of the rule's free quota the customer has already used in the
                quota's current period (:meth:`QuotaPeriod.key`); zero when None. The caller
                keeps that running total, adding :attr:`FeeQuote.quota_consumed` after each
                operation and starting again from zero when the period key changes.
            calendar: decides holiday-only waivers, on the business date of ``now``.
            zone: the business zone.

        Raises:
            InvalidAmountError: ``amount`` is not positive or ``quota_used`` is negative.
            CurrencyMismatchError: ``amount`` or ``quota_used`` is in another currency.
            NaiveDatetimeError: ``now`` has no timezone.
            UnknownOperationError: ``kind`` or ``channel`` is not one of the enums' values.
            AmountTypeError: ``amount`` or ``quota_used`` is not Money.
        """
        if type(amount) is not Money or (quota_used is not None and type(quota_used) is not Money):
            raise AmountTypeError("amount and quota_used must be Money")
        currency = self.currency
        if amount.currency != currency or (
            quota_used is not None and quota_used.currency != currency
        ):
            raise CurrencyMismatchError(f"the fee schedule {self.name!r} is in {currency}")
        minor = amount.minor
        if minor <= 0:
            raise InvalidAmountError(f"fees are quoted on positive amounts, not {amount}")
        if type(now) is not datetime or type(now.tzinfo) not in _ALWAYS_OFFSET:
            require_aware(now, "now")  # the slow, thorough check: naive, odd tzinfo, not a datetime
        used = 0 if quota_used is None else quota_used.minor
        if used < 0:
            raise InvalidAmountError(f"quota_used must not be negative, not {quota_used}")
        entry = self._table.get((kind, channel))  # plain strings equal to members match too
        if entry is None:
            _refuse(kind, channel)
        rule, waivers, kind, channel = entry
        if rule is None:
            return FeeQuote((kind, channel, currency, minor, 0, None, 0, 0, None, None, None))
        consumed, remaining = 0, None
        if (quota := rule._quota) is not None:
            left = quota - used if quota > used else 0
            consumed = minor if minor < left else left
            remaining = left - consumed
        chargeable = minor - consumed
        if chargeable == 0:
            return FeeQuote(
                (kind, channel, currency, minor, consumed, remaining, 0, 0, None, rule, None)
            )
        for priced in rule._priced:  # pragma: no branch  # the last bracket is open-ended
            if priced[0] is None or chargeable <= priced[0]:
                break
        _, flat, numerator, denominator = priced
        exact = flat * denominator + chargeable * numerator
        if rule._half_up:  # the usual rounding, inlined: exact >= 0
            gross = fee = (2 * exact + denominator) // (2 * denominator)
        else:
            gross = fee = divide_rounded(exact, denominator, rule.rounding)
        chosen = None
        for waiver in waivers:
            starts, ends = waiver.starts, waiver.ends
            if (
                (starts is None or starts <= now)
                and (ends is None or now < ends)
                and (not waiver.holidays_only or calendar.is_holiday(business_date(now, zone)))
            ):
                chosen = waiver
                break
        clamp: _Clamp | None = None
        if chosen is None or chosen._keep[0]:  # no waiver, or a promotion: the clamp applies
            if chosen is not None:
                fee = divide_rounded(gross * chosen._keep[0], chosen._keep[1], rule.rounding)
            if fee < rule._minimum:
                fee, clamp = rule._minimum, "minimum"
            elif rule._maximum is not None and fee > rule._maximum:
                fee, clamp = rule._maximum, "maximum"
        else:
            fee = 0  # a full waiver, whatever the minimum
        return FeeQuote(
            (kind, channel, currency, minor, consumed, remaining, gross, fee, clamp, rule, chosen)
        )
