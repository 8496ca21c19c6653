"""Fees: what the bank charges for an operation, and why.

A *fee* is money the wallet's owner pays for an operation (a withdrawal to a bank card, a transfer,
a repayment). A :class:`FeeSchedule` is data: one :class:`FeeRule` per operation kind (optionally
per channel) and dated :class:`Waiver` s. A rule's :class:`FreeQuota` first covers what it can; the
rest is the *chargeable* amount. The :class:`FeeBracket` containing it charges ``flat + rate *
chargeable``, rounded as the rule says; a promotion takes its share off; the rule's minimum and
maximum clamp the result. A full waiver makes the fee exactly zero.

```pycon
>>> rule = FeeRule.percentage(OperationKind.WITHDRAWAL, "0.001", minimum=Money.of("0.10"),
...                           quota=FreeQuota(Money.of(1000), QuotaPeriod.LIFETIME))
>>> quote = FeeSchedule([rule]).quote(OperationKind.WITHDRAWAL, Money.of(2000),
...                                   now=datetime(2026, 5, 1, tzinfo=DEFAULT_BUSINESS_ZONE))
>>> print(quote.fee, quote.total_debit)
1.00 CNY 2001.00 CNY
>>> for line in quote.lines:
...     print(f"{line.label}: {line.amount} ({line.detail})")
free quota: 1000.00 CNY (1000.00 of the lifetime quota of 1000.00 used, 0.00 left; 1000.00
  of 2000.00 chargeable)
gross: 1.00 CNY (0.1% of 1000.00 = 1.00)

```

Laws, checked by property tests: a fee is never negative; it lies within the rule's minimum and
maximum whenever something is chargeable and no full waiver applies; within one rule it never
decreases as the amount grows; a full waiver, or an amount inside the unused quota, costs zero.

Rules precompute integer rates and minor units when built, so :meth:`FeeSchedule.quote` does only
integer arithmetic (no ``Decimal``, no global decimal context) and builds one :class:`FeeQuote`.
"""

from __future__ import annotations

import decimal
import itertools
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Literal, NoReturn, TypedDict, Unpack
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.domain.calendar import (
    DEFAULT_BUSINESS_ZONE,
    HolidayCalendar,
    NoHolidays,
    business_date,
    require_aware,
)
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money, currency_exponent, parse_rate
from icbc_wallet.domain.rounding import Rounding, divide_rounded, parse_rounding
from icbc_wallet.errors import (
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidFeeScheduleError,
    InvalidRateError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "Channel",
    "FeeBracket",
    "FeeCharging",
    "FeeLine",
    "FeeQuote",
    "FeeRule",
    "FeeSchedule",
    "FreeQuota",
    "OperationKind",
    "QuotaPeriod",
    "RuleOptions",
    "Waiver",
]

_CONTEXT: Final = decimal.Context(prec=80, traps=[decimal.InvalidOperation])  # explanations only
_NO_HOLIDAYS: Final = NoHolidays()
# tzinfo types whose utcoffset() never answers None, so an instant in them is aware for sure.
_ALWAYS_OFFSET: Final = frozenset({ZoneInfo, timezone})
_Clamp = Literal["minimum", "maximum"]


class OperationKind(StrEnum):
    """What the customer does; fee rules are chosen by it."""

    WITHDRAWAL = "withdrawal"
    TRANSFER = "transfer"
    PAYMENT = "payment"
    CROSS_BORDER = "cross_border"
    CREDIT_CARD_REPAYMENT = "credit_card_repayment"
    TOP_UP = "top_up"


class Channel(StrEnum):
    """Where the operation is made (渠道); banks price mobile and online banking differently."""

    MOBILE = "mobile"
    TABLET = "tablet"
    PC = "pc"


class FeeCharging(StrEnum):
    """Who bears the fee: ON_TOP debits amount + fee (WeChat); DEDUCTED pays out amount - fee."""

    ON_TOP = "on_top"
    DEDUCTED = "deducted"


class QuotaPeriod(StrEnum):
    """How long a free quota lasts before it is full again, counted in the business zone."""

    LIFETIME = "lifetime"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"

    def key(self, moment: datetime, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> str:
        """Name the period containing ``moment``; the quota is full again when the key changes.

        ```pycon
        >>> moment = datetime(2026, 9, 30, 16, 30, tzinfo=timezone.utc)  # 00:30 on 1 October
        >>> [period.key(moment) for period in QuotaPeriod]
        ['lifetime', '2026-10-01', '2026-10', '2026']

        ```
        """
        day = business_date(moment, zone)
        if self is QuotaPeriod.DAY:
            return day.isoformat()
        if self is QuotaPeriod.MONTH:
            return f"{day.year:04d}-{day.month:02d}"
        return f"{day.year:04d}" if self is QuotaPeriod.YEAR else "lifetime"

    def resets_at(
        self, moment: datetime, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE
    ) -> datetime | None:
        """The start of the period after the one containing ``moment``; None for ``LIFETIME``."""
        day = business_date(moment, zone)
        if self is QuotaPeriod.DAY:
            start = day + timedelta(days=1)
        elif self is QuotaPeriod.MONTH:
            start = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        elif self is QuotaPeriod.YEAR:
            start = date(day.year + 1, 1, 1)
        else:
            return None
        return datetime.combine(start, time(), tzinfo=zone)


def _decimal(value: Decimal | int | str) -> Decimal:
    try:
        parse_rate(value)  # refuses float, bool, NaN, infinities, malformed strings
    except InvalidRateError as error:
        raise InvalidFeeScheduleError(str(error)) from None
    return value if isinstance(value, Decimal) else Decimal(value)


def _kinds(value: Iterable[OperationKind] | None) -> frozenset[OperationKind] | None:
    return None if value is None else frozenset(OperationKind(kind) for kind in value)


def _brackets(value: Iterable[FeeBracket]) -> tuple[FeeBracket, ...]:
    return tuple(value)


def _channel(value: Channel | None) -> Channel | None:
    return None if value is None else Channel(value)


def _rounding(value: Rounding) -> Rounding:
    try:
        return parse_rounding(value)
    except InvalidRateError as error:
        raise InvalidFeeScheduleError(str(error)) from None


_money = attrs.validators.instance_of(Money)
_optional_money = attrs.validators.optional(_money)


@attrs.frozen
class FreeQuota:
    """A fee-free allowance of ``amount`` per ``period``; an operation may consume it in part."""

    amount: Money = attrs.field(validator=_money)
    period: QuotaPeriod = QuotaPeriod.LIFETIME

    def __attrs_post_init__(self) -> None:
        if not self.amount.is_positive():
            raise InvalidFeeScheduleError(f"a free quota must be positive, not {self.amount}")


@attrs.frozen
class FeeBracket:
    """``flat + rate * chargeable`` for chargeable amounts up to ``up_to`` (inclusive; None: all).

    Brackets are whole-amount: the bracket containing the chargeable amount prices all of it.
    """

    up_to: Money | None = attrs.field(validator=_optional_money)
    flat: Money = attrs.field(validator=_money)
    rate: Decimal = attrs.field(default=Decimal(0), converter=_decimal)

    def __attrs_post_init__(self) -> None:
        if self.flat.is_negative():
            raise InvalidFeeScheduleError(f"a flat fee must not be negative, not {self.flat}")
        if not 0 <= self.rate <= 1:
            raise InvalidFeeScheduleError(f"a rate is a fraction in [0, 1], not {self.rate}")
        if self.up_to is not None and not self.up_to.is_positive():
            raise InvalidFeeScheduleError(f"a bracket's up_to must be positive, not {self.up_to}")


class RuleOptions(TypedDict, total=False):
    """The optional settings of a :class:`FeeRule`, for its named constructors."""

    channel: Channel | None
    minimum: Money | None
    maximum: Money | None
    quota: FreeQuota | None
    charging: FeeCharging
    rounding: Rounding
    name: str
    description: str


@attrs.frozen
class FeeRule:
    """How one operation kind, on one channel or on any, is priced.

    Attributes:
        kind: the operation priced.
        brackets: strictly increasing ``up_to``; the last, and only it, open-ended.
        channel: the channel priced; None for any channel without a rule of its own.
        minimum: the least fee when something is chargeable (a promotion keeps it).
        maximum: the most ever charged.
        quota: the free allowance, if any.
        charging: whether the fee is added to the debit or taken out of the amount.
        rounding: how a fraction of a minor unit is rounded, at each step.
        name: a short name for explanations.
        description: where the numbers come from.

    Raises:
        InvalidFeeScheduleError: mixed currencies, negative or misordered values, or brackets that
            make a larger amount cheaper (checked with the minimum applied but not the maximum,
            which a promotion can undercut).
    """

    kind: OperationKind = attrs.field(converter=OperationKind)
    brackets: tuple[FeeBracket, ...] = attrs.field(converter=_brackets)
    channel: Channel | None = attrs.field(default=None, kw_only=True, converter=_channel)
    minimum: Money | None = attrs.field(default=None, kw_only=True, validator=_optional_money)
    maximum: Money | None = attrs.field(default=None, kw_only=True, validator=_optional_money)
    quota: FreeQuota | None = attrs.field(default=None, kw_only=True)
    charging: FeeCharging = attrs.field(
        default=FeeCharging.ON_TOP, kw_only=True, converter=FeeCharging
    )
    rounding: Rounding = attrs.field(default=Rounding.HALF_UP, kw_only=True, converter=_rounding)
    name: str = attrs.field(default="", kw_only=True)
    description: str = attrs.field(default="", kw_only=True)
    # (up_to, flat, rate numerator, rate denominator) in minor units, for integer-only quotes.
    _priced: tuple[tuple[int | None, int, int, int], ...] = attrs.field(
        init=False, eq=False, repr=False
    )
    _minimum: int = attrs.field(init=False, eq=False, repr=False)
    _maximum: int | None = attrs.field(init=False, eq=False, repr=False)
    _quota: int | None = attrs.field(init=False, eq=False, repr=False)
    _half_up: bool = attrs.field(init=False, eq=False, repr=False)

    @classmethod
    def percentage(
        cls,
        kind: OperationKind,
        rate: Decimal | int | str,
        *,
        currency: str = DEFAULT_CURRENCY,
        **options: Unpack[RuleOptions],
    ) -> FeeRule:
        """One bracket of ``rate * chargeable`` (``"0.001"`` is 0.1%)."""
        return cls(kind, [FeeBracket(None, Money.zero(currency), rate)], **options)

    @classmethod
    def flat(cls, kind: OperationKind, fee: Money, **options: Unpack[RuleOptions]) -> FeeRule:
        """The same ``fee`` whenever something is chargeable."""
        return cls(kind, [FeeBracket(None, fee)], **options)

    @classmethod
    def free(
        cls,
        kind: OperationKind,
        *,
        channel: Channel | None = None,
        name: str = "",
        description: str = "",
        currency: str = DEFAULT_CURRENCY,
    ) -> FeeRule:
        """No fee, stated explicitly (a kind without any rule is free too, but says "no rule")."""
        brackets = [FeeBracket(None, Money.zero(currency))]
        return cls(kind, brackets, channel=channel, name=name, description=description)

    @property
    def currency(self) -> str:
        """The one currency of every amount in the rule."""
        return self.brackets[0].flat.currency

    @property
    def label(self) -> str:
        """The name, or ``kind/channel`` when unnamed."""
        return self.name or f"{self.kind}/{self.channel or 'any channel'}"

    def __attrs_post_init__(self) -> None:
        label = self.label
        if not self.brackets:
            raise InvalidFeeScheduleError(f"fee rule {label} has no brackets; use FeeRule.free()")
        quota = None if self.quota is None else self.quota.amount
        ends = [bracket.up_to for bracket in self.brackets]
        flats = [bracket.flat for bracket in self.brackets]
        for amount in (*ends, *flats, self.minimum, self.maximum, quota):
            if amount is not None and amount.currency != self.currency:
                raise InvalidFeeScheduleError(
                    f"fee rule {label} mixes {self.currency} and {amount}"
                )
        for bound in (self.minimum, self.maximum):
            if bound is not None and bound.is_negative():
                raise InvalidFeeScheduleError(f"fee rule {label}: {bound} must not be negative")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise InvalidFeeScheduleError(
                f"fee rule {label}: minimum {self.minimum} is above maximum {self.maximum}"
            )
        closed = [end for end in ends[:-1] if end is not None]
        if len(closed) < len(ends) - 1 or ends[-1] is not None:
            raise InvalidFeeScheduleError(
                f"fee rule {label}: the last bracket, and only it, must be open-ended (up_to=None)"
            )
        for low, high in itertools.pairwise(closed):
            if high <= low:
                raise InvalidFeeScheduleError(
                    f"fee rule {label}: bracket ends must strictly increase, not {low} then {high}"
                )
        priced = tuple(
            (None if end is None else end.minor, b.flat.minor, *parse_rate(b.rate))
            for end, b in zip(ends, self.brackets, strict=True)
        )
        object.__setattr__(self, "_priced", priced)
        object.__setattr__(self, "_minimum", 0 if self.minimum is None else self.minimum.minor)
        object.__setattr__(self, "_maximum", None if self.maximum is None else self.maximum.minor)
        object.__setattr__(self, "_quota", None if quota is None else quota.minor)
        object.__setattr__(self, "_half_up", self.rounding is Rounding.HALF_UP)
        for end in closed:
            at, above = (max(self._gross(c), self._minimum) for c in (end.minor, end.minor + 1))
            if above < at:
                raise InvalidFeeScheduleError(
                    f"fee rule {label}: the fee is {Money._make(at, self.currency)} at {end} but "
                    f"{Money._make(above, self.currency)} just above it; a larger amount must "
                    "never cost less (checked with the minimum, before the maximum, which a "
                    "promotion can undercut)"
                )

    def _bracket(self, chargeable: int) -> int:
        return next(i for i, p in enumerate(self._priced) if p[0] is None or chargeable <= p[0])

    def _gross(self, chargeable: int) -> int:
        _up_to, flat, numerator, denominator = self._priced[self._bracket(chargeable)]
        return divide_rounded(
            flat * denominator + chargeable * numerator, denominator, self.rounding
        )


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


@attrs.frozen
class FeeLine:
    """One step of a fee's explanation.

    Attributes:
        label: ``"no rule"``, ``"free quota"``, ``"gross"``, ``"promotion"``, ``"waiver"``,
            ``"minimum"`` or ``"maximum"``, in the order the steps happen.
        amount: for ``"free quota"``, the part of the amount the quota covered; for every other
            line, its contribution to the fee (together they add up to the fee exactly).
        detail: the arithmetic in words, with the exact value and how it was rounded.
    """

    label: str
    amount: Money
    detail: str


# (kind, channel, currency, amount, quota consumed, quota remaining, gross, fee, clamp, rule, waiver)
_State = tuple[
    OperationKind,
    Channel | None,
    str,
    int,
    int,
    int | None,
    int,
    int,
    _Clamp | None,
    "FeeRule | None",
    "Waiver | None",
]


@attrs.frozen(repr=False)
class FeeQuote:
    """The fee for one operation, in integer minor units; Money views and lines on demand.

    Everything is kept in one private tuple, built by :meth:`FeeSchedule.quote` in one step: an
    attrs instance costs about 0.1 µs per field, more than the fee arithmetic itself.
    """

    _state: _State

    @property
    def kind(self) -> OperationKind:
        """The operation quoted."""
        return self._state[0]

    @property
    def channel(self) -> Channel | None:
        """Where it was made, as given to the quote."""
        return self._state[1]

    @property
    def currency(self) -> str:
        """The currency of every amount."""
        return self._state[2]

    @property
    def amount_minor(self) -> int:
        """The operation's amount, in minor units."""
        return self._state[3]

    @property
    def quota_consumed_minor(self) -> int:
        """The part of the amount the free quota covered, in minor units."""
        return self._state[4]

    @property
    def quota_remaining_minor(self) -> int | None:
        """The free quota left after the operation; None when the rule has no quota."""
        return self._state[5]

    @property
    def gross_minor(self) -> int:
        """The fee on the chargeable amount before promotion, waiver and clamp, in minor units."""
        return self._state[6]

    @property
    def fee_minor(self) -> int:
        """The fee charged, in minor units."""
        return self._state[7]

    @property
    def clamp(self) -> _Clamp | None:
        """``"minimum"`` or ``"maximum"`` when one of them set the fee, else None."""
        return self._state[8]

    @property
    def rule(self) -> FeeRule | None:
        """The rule applied (its name, charging, rounding); None when there was none (free)."""
        return self._state[9]

    @property
    def waiver(self) -> Waiver | None:
        """The waiver or promotion applied (its name, discount), if any."""
        return self._state[10]

    def __repr__(self) -> str:
        rule, waiver = self.rule, self.waiver
        return (
            f"FeeQuote({self.kind}, {self.channel}, amount={self.amount}, fee={self.fee}, "
            f"rule={rule and rule.label!r}, waiver={waiver and waiver.name!r})"
        )

    def _money(self, minor: int) -> Money:
        return Money._make(minor, self.currency)

    @property
    def amount(self) -> Money:
        """The operation's amount."""
        return self._money(self.amount_minor)

    @property
    def fee(self) -> Money:
        """The fee charged."""
        return self._money(self.fee_minor)

    @property
    def gross(self) -> Money:
        """The fee on the chargeable amount before promotion, waiver, minimum and maximum."""
        return self._money(self.gross_minor)

    @property
    def chargeable(self) -> Money:
        """The part of the amount the free quota did not cover."""
        return self._money(self.amount_minor - self.quota_consumed_minor)

    @property
    def quota_consumed(self) -> Money:
        """The part of the amount the free quota covered: add it to the caller's running total."""
        return self._money(self.quota_consumed_minor)

    @property
    def quota_remaining(self) -> Money | None:
        """The free quota left after this operation; None when the rule has no quota."""
        remaining = self.quota_remaining_minor
        return None if remaining is None else self._money(remaining)

    @property
    def charging(self) -> FeeCharging:
        """How the fee is borne (``ON_TOP`` when no rule applied)."""
        return FeeCharging.ON_TOP if self.rule is None else self.rule.charging

    @property
    def total_debit(self) -> Money:
        """What leaves the wallet: amount + fee when charged on top, else the amount."""
        return self.amount + self.fee if self.charging is FeeCharging.ON_TOP else self.amount

    @property
    def net_amount(self) -> Money:
        """What the receiver gets: amount - fee when deducted (below zero if the fee is larger)."""
        return self.amount - self.fee if self.charging is FeeCharging.DEDUCTED else self.amount

    @property
    def lines(self) -> tuple[FeeLine, ...]:
        """The fee explained step by step (computed now, not when quoted)."""
        return tuple(_explain(self))


def _exact(numerator: int, denominator: int, rule: FeeRule) -> str:
    """``numerator / denominator`` minor units exactly (denominators are 2^a 5^b), and rounded."""
    places = currency_exponent(rule.currency)
    shift = next(k for k in itertools.count() if numerator * 10**k % denominator == 0)
    value = Decimal(numerator * 10**shift // denominator).scaleb(-shift - places, _CONTEXT)
    rounded = Money._make(divide_rounded(numerator, denominator, rule.rounding), rule.currency)
    if shift == 0:
        return f"{rounded.amount}"
    return f"{value:f}, rounded {rule.rounding.name.lower()} to {rounded.amount}"


def _percent(rate: Decimal) -> str:
    return f"{_CONTEXT.multiply(rate, 100).normalize(_CONTEXT):f}%"


def _explain(quote: FeeQuote) -> Iterator[FeeLine]:
    rule, money = quote.rule, quote._money
    if rule is None:
        where = "" if quote.channel is None else f" on {quote.channel}"
        yield FeeLine("no rule", money(0), f"no fee rule for {quote.kind}{where}: free")
        return
    chargeable = quote.chargeable
    if rule.quota is not None:
        left = money(quote.quota_remaining_minor or 0).amount
        yield FeeLine(
            "free quota",
            quote.quota_consumed,
            f"{quote.quota_consumed.amount} of the {rule.quota.period} quota of "
            f"{rule.quota.amount.amount} used, {left} left; "
            f"{chargeable.amount} of {quote.amount.amount} chargeable",
        )
    if chargeable.is_zero():
        yield FeeLine("gross", money(0), "nothing chargeable: the free quota covers the amount")
        return
    index = rule._bracket(chargeable.minor)
    bracket, (_, flat, numerator, denominator) = rule.brackets[index], rule._priced[index]
    where = "" if len(rule.brackets) == 1 else f" (bracket {index + 1} of {len(rule.brackets)})"
    formula = f"{_percent(bracket.rate)} of {chargeable.amount}"
    formula = formula if flat == 0 else f"{bracket.flat.amount} + {formula}"
    exact = _exact(flat * denominator + chargeable.minor * numerator, denominator, rule)
    detail = f"flat fee{where}" if numerator == 0 else f"{formula} = {exact}{where}"
    yield FeeLine("gross", quote.gross, detail)
    fee, waiver = quote.gross_minor, quote.waiver
    if waiver is not None and waiver.is_full:
        yield FeeLine("waiver", money(-fee), f"{waiver.name}: the fee is waived")
        return
    if waiver is not None:
        keep, whole = waiver._keep
        before, fee = fee, divide_rounded(fee * keep, whole, rule.rounding)
        yield FeeLine(
            "promotion",
            money(fee - before),
            f"{waiver.name}: {_percent(waiver.discount)} off {money(before).amount} leaves "
            f"{_exact(before * keep, whole, rule)}",
        )
    if quote.clamp is not None:
        bound = rule.minimum if quote.clamp == "minimum" else rule.maximum
        assert bound is not None  # a clamp comes from a bound
        yield FeeLine(
            quote.clamp, money(quote.fee_minor - fee), f"the rule's {quote.clamp} of {bound.amount}"
        )


# A rule after the channel fallback, the waivers by discount, and the canonical kind and channel.
_Entry = tuple[FeeRule | None, tuple[Waiver, ...], OperationKind, Channel | None]


def _refuse(kind: str, channel: str | None) -> NoReturn:
    OperationKind(kind)  # raises ValueError: "'teleport' is not a valid OperationKind"
    if channel is not None:
        Channel(channel)
    raise AssertionError("unreachable: every pair is in the table")  # pragma: no cover


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
            ValueError: ``kind`` or ``channel`` is not one of the enums' values.
        """
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
