"""Fee rules: how one operation kind, on one channel or on any, is priced.

A :class:`FeeRule` prices the operation's *chargeable* amount: what its :class:`FreeQuota` (a
fee-free allowance per :class:`QuotaPeriod`) does not cover. The rule's :class:`FeeBracket`
containing the chargeable amount charges ``flat + rate * chargeable``, rounded as the rule says;
the rule's minimum and maximum clamp the result, and its :class:`FeeCharging` says whether the fee
is added to the debit or taken out of the amount. Rules are gathered, with dated waivers, in a
:class:`~icbc_wallet.domain.fees.FeeSchedule`.

A rule is checked when built. Brackets are whole-amount, so a rule whose fee would drop just
above a bracket's end is refused, as a larger amount must never cost less:

```pycon
>>> FeeRule(OperationKind.TRANSFER,
...         [FeeBracket(Money.of(5000), Money.of(10)), FeeBracket(None, Money.of(5))])
Traceback (most recent call last):
...
icbc_wallet.errors.InvalidFeeScheduleError: fee rule transfer/any channel: the fee is 10.00 CNY at 5000.00 CNY but 5.00 CNY just above it; ...

```

Rules precompute integer rates and minor units when built (private fields, read by the fee
schedule's quote and the quote's explanation), so pricing does only integer arithmetic.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict, Unpack
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE, business_date
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money, parse_rate
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.rounding import Rounding, divide_rounded, parse_rounding
from icbc_wallet.errors import InvalidFeeScheduleError, InvalidRateError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "FeeBracket",
    "FeeCharging",
    "FeeRule",
    "FreeQuota",
    "QuotaPeriod",
    "RuleOptions",
]


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
        >>> from datetime import timezone
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
