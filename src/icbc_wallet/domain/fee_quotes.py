"""Fee quotes: the fee for one operation, and its explanation step by step.

A :class:`FeeQuote` is what :meth:`FeeSchedule.quote <icbc_wallet.domain.fees.FeeSchedule.quote>`
answers: the amount, the part of it the free quota covered, the fee before and after waivers,
promotions and the rule's minimum and maximum, and the rule and waiver that applied. Its
:attr:`~FeeQuote.lines` explain the fee as :class:`FeeLine` s, one per step, whose amounts add up
to the fee exactly:

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE
>>> from icbc_wallet.domain.fees import FeeSchedule, Waiver
>>> rule = FeeRule.percentage(OperationKind.TRANSFER, "0.005", minimum=Money.of(1))
>>> schedule = FeeSchedule([rule], [Waiver.promotion("Spring sale", "0.5")])
>>> quote = schedule.quote(OperationKind.TRANSFER, Money.of(300),
...                        now=datetime(2026, 3, 1, tzinfo=DEFAULT_BUSINESS_ZONE))
>>> [(line.label, str(line.amount)) for line in quote.lines]
[('gross', '1.50 CNY'), ('promotion', '-0.75 CNY'), ('minimum', '0.25 CNY')]
>>> [line.detail for line in quote.lines][1:]
['Spring sale: 50% off 1.50 leaves 0.75', "the rule's minimum of 1.00"]
>>> quote.fee, quote.clamp
(Money('1.00', 'CNY'), 'minimum')

```

The quote keeps integer minor units; its Money views and its lines are computed when asked for.
"""

from __future__ import annotations

import decimal
import itertools
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal

import attrs

from icbc_wallet.domain import _html
from icbc_wallet.domain.fee_rules import FeeCharging, FeeRule
from icbc_wallet.domain.money import Money, currency_exponent
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.rounding import divide_rounded

if TYPE_CHECKING:
    from collections.abc import Iterator

    from icbc_wallet.domain.fees import Waiver  # fees builds quotes: a runtime import would cycle

__all__ = ["FeeLine", "FeeQuote"]

_CONTEXT: Final = decimal.Context(prec=80, traps=[decimal.InvalidOperation])  # explanations only
_Clamp = Literal["minimum", "maximum"]


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

    def _repr_html_(self) -> str:
        """Jupyter's face: the amount, the fee and the debit, then the fee explained step by step."""
        return _html.fee_quote(self)

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
