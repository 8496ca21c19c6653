"""Risk rules: the risk engine's thresholds and actions, as data.

:class:`RiskRules` holds one small frozen config per rule. Every rule can be switched off
(``enabled=False``) and says what it asks for when it fires (``action``: challenge or deny). The
defaults below are a reasonable starting point, not law: each class explains where its numbers
come from, citing DOMAIN.md where it has numbers; the rest are industry practice (UNVERIFIED)
and meant to be tuned. Money thresholds are in :attr:`RiskRules.currency` (CNY by default).

Rules load from plain data (a TOML table, JSON) through :meth:`RiskRules.from_mapping` and write
back with :meth:`RiskRules.to_dict`: one table per rule; durations are whole seconds under keys
ending in ``_seconds``; amounts and ratios are decimal strings (``"2000.00"``, ``"0.8"``, never
floats); actions are ``"challenge"`` or ``"deny"``; the zone is an IANA key. Keys left out keep
their defaults; unknown keys and bad values are refused with an error naming the key.

```pycon
>>> rules = RiskRules.from_mapping({"new_payee": {"min_amount": "5000", "action": "deny"}})
>>> rules.new_payee
NewPayeeRule(action=<RiskAction.DENY: 'deny'>, enabled=True, min_amount=Money('5000.00', 'CNY'))
>>> rules.to_dict()["velocity_count"]
{'action': 'challenge', 'enabled': True, 'max_operations': 10, 'window_seconds': 600}
>>> RiskRules.from_mapping(rules.to_dict()) == rules
True

```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money, currency_exponent, validate_currency
from icbc_wallet.domain.risk_assessment import RiskAction
from icbc_wallet.domain.risk_plain import (
    MAX_RISK_WINDOW,
    PlainValue,
    check_keys,
    read_rule,
    setting,
    write_rule,
)
from icbc_wallet.errors import InvalidRiskRulesError, UnknownCurrencyError

__all__ = [
    "DEFAULT_RISK_RULES",
    "MAX_RISK_WINDOW",
    "AboveHistoryRule",
    "FailedPasswordsRule",
    "NewChannelRule",
    "NewDeviceRule",
    "NewPayeeRule",
    "PlainValue",
    "RiskRules",
    "TopUpThenWithdrawRule",
    "UnusualHourRule",
    "VelocityAmountRule",
    "VelocityCountRule",
]


@attrs.frozen(kw_only=True)
class _Rule:
    """What every rule has: an action when it fires, and a switch."""

    action: RiskAction = attrs.field(default=RiskAction.CHALLENGE, **setting("action"))
    enabled: bool = attrs.field(default=True, **setting("flag"))


@attrs.frozen(kw_only=True)
class VelocityCountRule(_Rule):
    """Too many operations in a short time: more than ``max_operations`` in the last ``window``.

    Counts outgoing operations, approved or declined, this one included. Default 10 in 10 minutes
    (industry practice, UNVERIFIED): a person at a till or splitting a bill makes a handful of
    payments in ten minutes; scripted card testing and account draining make dozens. Declined
    attempts count: probing is the signal.
    """

    max_operations: int = attrs.field(default=10, **setting("count"))
    window: timedelta = attrs.field(default=timedelta(minutes=10), **setting("seconds"))


@attrs.frozen(kw_only=True)
class VelocityAmountRule(_Rule):
    """Too much money out in a short time: more than ``max_total`` in the last ``window``.

    Adds the approved outgoing amounts of the window and this one. Default 20,000 in 24 hours (a
    rolling window, not the business day): DOMAIN.md puts a real-name wallet's daily cumulative
    limit at "tens of thousands", and 20,000 is its bottom and the e-CNY class 3 balance cap.
    Wallets with one factor (1,000 a day) or two (5,000 a day, PBOC Art. 24) are stopped by their
    limits first; this rule watches the high-limit wallets.
    """

    max_total: Money = attrs.field(default=Money.of(20_000), **setting("money"))
    window: timedelta = attrs.field(default=timedelta(hours=24), **setting("seconds"))


@attrs.frozen(kw_only=True)
class AboveHistoryRule(_Rule):
    """An amount far above the customer's own: above ``multiplier`` times their typical amount.

    The typical amount is the median of the approved outgoing amounts of the last ``lookback``;
    the rule needs at least ``min_history`` of them and ignores amounts below ``floor``. Defaults
    (UNVERIFIED): 5 times, 5 operations, 90 days, floor 500. The median ignores one past splurge;
    five operations keep a new customer's first payments from defining "typical"; 90 days is the
    lookback of the limit-increase review; 500 is the daily cap of a static QR code (DOMAIN.md,
    PBOC 2017 No. 296), so what the weakest method may pay is never challenged by this rule.
    """

    multiplier: Decimal = attrs.field(default=Decimal(5), **setting("multiplier"))
    min_history: int = attrs.field(default=5, **setting("count"))
    lookback: timedelta = attrs.field(default=timedelta(days=90), **setting("seconds"))
    floor: Money = attrs.field(default=Money.of(500), **setting("money"))


@attrs.frozen(kw_only=True)
class NewDeviceRule(_Rule):
    """A device the customer has not used before, when they have used some.

    A first device is enrolment, not risk. A new device is the mark of a taken-over account (SIM
    swap, stolen credentials).
    """


@attrs.frozen(kw_only=True)
class NewChannelRule(_Rule):
    """A channel the customer has not used before, when they have used some.

    A first channel is enrolment, not risk; a mobile-only customer suddenly on a PC is not.
    """


@attrs.frozen(kw_only=True)
class NewPayeeRule(_Rule):
    """A large amount to a payee the customer has not paid before: at least ``min_amount``.

    Fires for the customer's first payee too. Default 2,000: the most an anonymous e-CNY wallet
    (class 4) may pay at once, and a PBOC class III account's daily outflow (DOMAIN.md). Above it,
    a first payment to an unknown payee is the shape of the "safe account" transfer scam.
    """

    min_amount: Money = attrs.field(default=Money.of(2_000), **setting("money"))


@attrs.frozen(kw_only=True)
class UnusualHourRule(_Rule):
    """An operation of at least ``min_amount`` at night: from ``start_hour`` to ``end_hour``.

    The hours are local to ``zone`` and the range is ``[start_hour:00, end_hour:00)``; it wraps
    midnight when ``start_hour > end_hour`` (22 to 6 is 22:00-06:00), and ``end_hour`` 0 means
    midnight. Default 00:00-05:00 Asia/Shanghai from 200 (UNVERIFIED): the hours most customers
    sleep, when a stolen phone is used unnoticed; a late taxi or meal below 200 passes.

    Raises:
        InvalidRiskRulesError: ``start_hour == end_hour`` (an empty or a whole-day range).
    """

    zone: ZoneInfo = attrs.field(default=DEFAULT_BUSINESS_ZONE, **setting("zone"))
    start_hour: int = attrs.field(default=0, **setting("hour"))
    end_hour: int = attrs.field(default=5, **setting("hour"))
    min_amount: Money = attrs.field(default=Money.of(200), **setting("money"))

    def __attrs_post_init__(self) -> None:
        if self.start_hour == self.end_hour:
            raise InvalidRiskRulesError(
                f"start_hour and end_hour must differ, not both {self.start_hour}"
            )

    def contains(self, hour: int) -> bool:
        """True when a local ``hour`` (0-23) is inside the range."""
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour


@attrs.frozen(kw_only=True)
class FailedPasswordsRule(_Rule):
    """A burst of wrong passwords: at least ``failures`` in the last ``window``.

    Default 3 in 15 minutes: the common lockout counts 3 wrong tries in a row (DOMAIN.md); this
    rule also sees 3 failures spread around a success, the pattern of guessing.
    """

    failures: int = attrs.field(default=3, **setting("count"))
    window: timedelta = attrs.field(default=timedelta(minutes=15), **setting("seconds"))


@attrs.frozen(kw_only=True)
class TopUpThenWithdrawRule(_Rule):
    """Money in and straight out: a withdrawal or transfer soon after top-ups, taking most of them.

    Fires when the money taken out by withdrawals and transfers since the first top-up of the last
    ``window`` (this operation included) is at least ``share`` of what was topped up in that
    window, and at least ``min_amount``. Defaults (UNVERIFIED): 30 minutes, 80 %, 1,000. Money in
    and straight out ("快进快出") is how mule wallets pass stolen funds on; 80 % leaves room for a
    fee or a small purchase; below 1,000, the daily cap of a one-factor account (PBOC Art. 24), a
    round trip is not worth a step-up.
    """

    window: timedelta = attrs.field(default=timedelta(minutes=30), **setting("seconds"))
    share: Decimal = attrs.field(default=Decimal("0.8"), **setting("share"))
    min_amount: Money = attrs.field(default=Money.of(1_000), **setting("money"))


_SECTIONS: Final[dict[str, type[_Rule]]] = {
    "velocity_count": VelocityCountRule,
    "velocity_amount": VelocityAmountRule,
    "above_history": AboveHistoryRule,
    "new_device": NewDeviceRule,
    "new_channel": NewChannelRule,
    "new_payee": NewPayeeRule,
    "unusual_hour": UnusualHourRule,
    "failed_passwords": FailedPasswordsRule,
    "top_up_then_withdraw": TopUpThenWithdrawRule,
}


def _section(kind: type[_Rule]) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def validate(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is not kind:
            raise InvalidRiskRulesError(
                f"{attribute.name} must be a {kind.__name__}, not {type(value).__name__}"
            )

    return validate


@attrs.frozen(kw_only=True)
class RiskRules:
    """Every rule of the risk engine, with its thresholds and action.

    ``RiskRules()`` is the documented defaults (see each rule's class); change one rule with
    ``attrs.evolve(rules, new_payee=NewPayeeRule(min_amount=Money.of(5000)))``.

    Attributes:
        currency: the currency of every money threshold (and of the wallets assessed).

    Raises:
        InvalidRiskRulesError: a rule is not of its class, or a money threshold is in another
            currency than ``currency``.
        UnknownCurrencyError: ``currency`` is not ISO 4217.
    """

    currency: str = attrs.field(default=DEFAULT_CURRENCY, validator=validate_currency)
    velocity_count: VelocityCountRule = attrs.field(
        factory=VelocityCountRule, validator=_section(VelocityCountRule)
    )
    velocity_amount: VelocityAmountRule = attrs.field(
        factory=VelocityAmountRule, validator=_section(VelocityAmountRule)
    )
    above_history: AboveHistoryRule = attrs.field(
        factory=AboveHistoryRule, validator=_section(AboveHistoryRule)
    )
    new_device: NewDeviceRule = attrs.field(
        factory=NewDeviceRule, validator=_section(NewDeviceRule)
    )
    new_channel: NewChannelRule = attrs.field(
        factory=NewChannelRule, validator=_section(NewChannelRule)
    )
    new_payee: NewPayeeRule = attrs.field(factory=NewPayeeRule, validator=_section(NewPayeeRule))
    unusual_hour: UnusualHourRule = attrs.field(
        factory=UnusualHourRule, validator=_section(UnusualHourRule)
    )
    failed_passwords: FailedPasswordsRule = attrs.field(
        factory=FailedPasswordsRule, validator=_section(FailedPasswordsRule)
    )
    top_up_then_withdraw: TopUpThenWithdrawRule = attrs.field(
        factory=TopUpThenWithdrawRule, validator=_section(TopUpThenWithdrawRule)
    )

    def __attrs_post_init__(self) -> None:
        for name in _SECTIONS:
            rule = getattr(self, name)
            for field in attrs.fields(type(rule)):
                value = getattr(rule, field.name)
                if type(value) is Money and value.currency != self.currency:
                    raise InvalidRiskRulesError(
                        f"{name}.{field.name} is in {value.currency}, but the rules are in "
                        f"{self.currency}"
                    )

    def to_dict(self) -> dict[str, str | dict[str, PlainValue]]:
        """The rules as plain data (see the module docs); :meth:`from_mapping` reads it back."""
        plain: dict[str, str | dict[str, PlainValue]] = {"currency": self.currency}
        for name in _SECTIONS:
            plain[name] = write_rule(getattr(self, name))
        return plain

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> RiskRules:
        """Read rules from plain data (a parsed TOML table, JSON); keys left out keep defaults.

        Raises:
            InvalidRiskRulesError: ``mapping`` is not a mapping, has an unknown key (at the top or
                in a rule), or a value of the wrong type or out of range; the message names the
                key, e.g. ``velocity_count.window_seconds``.
        """
        check_keys("risk rules", mapping, {"currency", *_SECTIONS})
        currency = mapping.get("currency", DEFAULT_CURRENCY)
        try:
            if type(currency) is not str:
                raise UnknownCurrencyError
            currency_exponent(currency)
        except UnknownCurrencyError:
            raise InvalidRiskRulesError(
                f"risk rules currency must be an ISO 4217 code such as 'CNY', not {currency!r}"
            ) from None
        rules: dict[str, Any] = {
            name: read_rule(name, kind, mapping.get(name, {}), currency)
            for name, kind in _SECTIONS.items()
        }
        try:
            return cls(currency=currency, **rules)
        except InvalidRiskRulesError as error:
            raise InvalidRiskRulesError(f"risk rules: {error}") from None


DEFAULT_RISK_RULES: Final = RiskRules()
"""The documented defaults, built once."""
