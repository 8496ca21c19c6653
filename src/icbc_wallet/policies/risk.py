"""Risk assessment: may this operation go ahead, does it need a step-up first, or is it refused?

:func:`assess` is a pure function of the :class:`~icbc_wallet.domain.risk.RiskRequest`, the
customer's :class:`~icbc_wallet.domain.risk.CustomerActivity` and the bank's
:class:`~icbc_wallet.domain.risk_rules.RiskRules`. It runs every enabled rule, in a fixed order,
and answers with a :class:`~icbc_wallet.domain.risk_assessment.RiskAssessment`: the strongest
action of the rules that fired (deny over challenge; allow when none fired) and, for each, its
numbers and one sentence that explains it.

Choices (documented, tested):

- A window ending at the request is half-open, ``(at - window, at]``: an operation exactly one
  window old is outside it, and records after the request are ignored.
- Counts and totals include the request itself ("11 operations in the last 10 minutes, this one
  included"). Declined attempts count towards the number of operations, never towards amounts.
- The customer's typical amount is the median of their approved outgoing amounts; an even number
  of them averages the two middle ones, rounded half up to the minor unit. The line the amount
  must not pass is that median times the multiplier, rounded half up to the minor unit.
- Explanations carry counts, amounts, durations and local times only: never a payee, a device or
  a channel key.

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.domain.money import Money
>>> from icbc_wallet.domain.operations import OperationKind
>>> from icbc_wallet.domain.risk import CustomerActivity, RiskRequest
>>> at = datetime.fromisoformat("2026-05-01T02:30:00+08:00")
>>> request = RiskRequest(at, OperationKind.TRANSFER, Money.of("3000"), counterparty="W-77",
...                       device="D-2")
>>> activity = CustomerActivity(known_devices={"D-1"}, known_counterparties={"W-12"})
>>> assessment = assess(request, activity)
>>> assessment.outcome.value, [rule.value for rule in assessment.rules]
('challenge', ['device.new', 'payee.new_large_amount', 'time.unusual_hour'])
>>> assessment.fired[2].explanation  # doctest: +NORMALIZE_WHITESPACE
'made at 02:30 Asia/Shanghai time, inside the night hours 00:00-05:00, for 3000.00 CNY; the
 rule acts from 200.00 CNY'

```
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Final

from icbc_wallet.domain.money import Money, total
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.domain.risk import (
    CASH_OUT_KINDS,
    OUTGOING_KINDS,
    CustomerActivity,
    PastOperation,
    RiskRequest,
)
from icbc_wallet.domain.risk_assessment import FiredRule, RiskAssessment, RiskRuleId
from icbc_wallet.domain.risk_rules import (
    DEFAULT_RISK_RULES,
    NewChannelRule,
    NewDeviceRule,
    RiskRules,
)
from icbc_wallet.domain.rounding import Rounding, divide_rounded
from icbc_wallet.errors import CurrencyMismatchError

__all__ = ["assess"]

_UNITS: Final = (("day", 86_400), ("hour", 3_600), ("minute", 60))


def assess(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules = DEFAULT_RISK_RULES
) -> RiskAssessment:
    """Assess an operation against every enabled rule.

    Args:
        request: the operation about to be made.
        activity: what is known of the customer's recent past; each rule reads only its window.
        rules: thresholds and actions; the documented defaults when left out.

    Returns:
        The outcome and every rule that fired, in the order of :class:`RiskRules`' fields.

    Raises:
        CurrencyMismatchError: the request or the activity is in another currency than the rules.
        AmountOutOfRangeError: amounts in a window add up beyond the largest amount supported.
    """
    _same_currency("the request is", request.amount.currency, rules)
    if activity.operations:
        _same_currency(
            "the customer's operations are", activity.operations[0].amount.currency, rules
        )
    fired = (check(request, activity, rules) for check in _CHECKS)
    return RiskAssessment(tuple(rule for rule in fired if rule is not None))


# -- helpers ---------------------------------------------------------------------------------------


def _same_currency(what: str, currency: str, rules: RiskRules) -> None:
    if currency != rules.currency:
        raise CurrencyMismatchError(
            f"{what} in {currency} but the risk rules are in {rules.currency}"
        )


def _within(moments: Iterable[datetime], at: datetime, window: timedelta) -> Iterator[datetime]:
    start = at - window
    return (moment for moment in moments if start < moment <= at)


def _operations(
    activity: CustomerActivity, at: datetime, window: timedelta
) -> Iterator[PastOperation]:
    start = at - window
    return (op for op in activity.operations if start < op.at <= at)


def _span(window: timedelta) -> str:
    """A window in words: "10 minutes", "24 hours", "90 days", "45 seconds"."""
    seconds = window // timedelta(seconds=1)
    for unit, size in _UNITS:
        if seconds % size == 0 and seconds // size > 1:
            return f"{seconds // size} {unit}s"
    return "1 second" if seconds == 1 else f"{seconds} seconds"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- the rules, in RiskRules' order -----------------------------------------------------------------


def _velocity_count(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    rule = rules.velocity_count
    if not rule.enabled:
        return None
    past = _operations(activity, request.at, rule.window)
    count = 1 + sum(1 for op in past if op.kind in OUTGOING_KINDS)
    if count <= rule.max_operations:
        return None
    return FiredRule(
        RiskRuleId.VELOCITY_COUNT,
        rule.action,
        count,
        rule.max_operations,
        f"{count} operations in the last {_span(rule.window)}, this one included; "
        f"the rule allows {rule.max_operations}",
    )


def _moved_out(activity: CustomerActivity, at: datetime, window: timedelta, currency: str) -> Money:
    past = _operations(activity, at, window)
    return total((op.amount for op in past if op.approved and op.kind in OUTGOING_KINDS), currency)


def _velocity_amount(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    rule = rules.velocity_amount
    if not rule.enabled:
        return None
    moved = _moved_out(activity, request.at, rule.window, rules.currency) + request.amount
    if moved <= rule.max_total:
        return None
    return FiredRule(
        RiskRuleId.VELOCITY_AMOUNT,
        rule.action,
        moved,
        rule.max_total,
        f"{moved} moved out in the last {_span(rule.window)}, this one included; "
        f"the rule allows {rule.max_total}",
    )


def _above_history(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    rule = rules.above_history
    if not rule.enabled or request.amount < rule.floor:
        return None
    past = _operations(activity, request.at, rule.lookback)
    amounts = sorted(op.amount.minor for op in past if op.approved and op.kind in OUTGOING_KINDS)
    if len(amounts) < rule.min_history:
        return None
    middle = len(amounts) // 2
    typical = (
        amounts[middle] if len(amounts) % 2 else (amounts[middle - 1] + amounts[middle] + 1) // 2
    )
    numerator, denominator = rule.multiplier.as_integer_ratio()
    line = divide_rounded(typical * numerator, denominator, Rounding.HALF_UP)
    if request.amount.minor <= line:
        return None
    limit = Money.from_minor(line, rules.currency)  # below the amount, so in range
    return FiredRule(
        RiskRuleId.ABOVE_HISTORY,
        rule.action,
        request.amount,
        limit,
        f"{request.amount} is above {rule.multiplier.normalize():f} times this customer's typical amount of "
        f"{Money.from_minor(typical, rules.currency)} (the median of "
        f"{_plural(len(amounts), 'approved operation')} in the last {_span(rule.lookback)}), "
        f"that is above {limit}",
    )


def _novelty(
    rule: NewDeviceRule | NewChannelRule,
    rule_id: RiskRuleId,
    noun: str,
    key: str | None,
    known: frozenset[str],
) -> FiredRule | None:
    # A first device or channel is enrolment, not risk.
    if not rule.enabled or key is None or not known or key in known:
        return None
    return FiredRule(
        rule_id,
        rule.action,
        f"new {noun}",
        _plural(len(known), f"known {noun}"),
        f"a {noun} this customer has not used before "
        f"({_plural(len(known), f'other {noun}')} known)",
    )


def _new_device(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    known = activity.known_devices
    return _novelty(rules.new_device, RiskRuleId.NEW_DEVICE, "device", request.device, known)


def _new_channel(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    known = activity.known_channels
    return _novelty(rules.new_channel, RiskRuleId.NEW_CHANNEL, "channel", request.channel, known)


def _new_payee(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    rule = rules.new_payee
    payee = request.counterparty
    if not rule.enabled or payee is None or payee in activity.known_counterparties:
        return None
    if request.amount < rule.min_amount:
        return None
    return FiredRule(
        RiskRuleId.NEW_PAYEE,
        rule.action,
        request.amount,
        rule.min_amount,
        f"{request.amount} to a payee this customer has not paid before; "
        f"the rule acts from {rule.min_amount}",
    )


def _unusual_hour(
    request: RiskRequest, _activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    rule = rules.unusual_hour
    if not rule.enabled or request.amount < rule.min_amount:
        return None
    local = request.at.astimezone(rule.zone)
    if not rule.contains(local.hour):
        return None
    observed = f"{local:%H:%M}"
    night = f"{rule.start_hour:02d}:00-{rule.end_hour:02d}:00"
    return FiredRule(
        RiskRuleId.UNUSUAL_HOUR,
        rule.action,
        observed,
        night,
        f"made at {observed} {rule.zone.key} time, inside the night hours {night}, for "
        f"{request.amount}; the rule acts from {rule.min_amount}",
    )


def _failed_passwords(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    rule = rules.failed_passwords
    if not rule.enabled:
        return None
    failures = sum(1 for _ in _within(activity.failed_passwords, request.at, rule.window))
    if failures < rule.failures:
        return None
    return FiredRule(
        RiskRuleId.FAILED_PASSWORDS,
        rule.action,
        failures,
        rule.failures,
        f"{_plural(failures, 'wrong payment password')} in the last {_span(rule.window)}; "
        f"the rule acts from {rule.failures}",
    )


def _top_up_then_withdraw(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> FiredRule | None:
    rule = rules.top_up_then_withdraw
    if not rule.enabled or request.kind not in CASH_OUT_KINDS:
        return None
    recent = [op for op in _operations(activity, request.at, rule.window) if op.approved]
    top_ups = [op for op in recent if op.kind is OperationKind.TOP_UP]
    topped = total((op.amount for op in top_ups), rules.currency)
    if not topped.is_positive():
        return None
    first = min(op.at for op in top_ups)
    # Money spent before the first top-up was the customer's own; only what follows counts.
    earlier = (op.amount for op in recent if op.kind in CASH_OUT_KINDS and op.at >= first)
    taken = total(earlier, rules.currency) + request.amount
    numerator, denominator = rule.share.as_integer_ratio()
    share_of_top_ups = -(-topped.minor * numerator // denominator)  # rounded up: "at least"
    line = Money.from_minor(max(share_of_top_ups, rule.min_amount.minor), rules.currency)
    if taken < line:
        return None
    percent = format((rule.share * 100).normalize(), "f")
    return FiredRule(
        RiskRuleId.TOP_UP_THEN_WITHDRAW,
        rule.action,
        taken,
        line,
        f"{taken} taken out by withdrawal or transfer, this one included, within "
        f"{_span(rule.window)} of {topped} topped up; the rule acts from {percent}% of the "
        f"top-ups and at least {rule.min_amount}, here {line}",
    )


_CHECKS: Final[
    tuple[Callable[[RiskRequest, CustomerActivity, RiskRules], FiredRule | None], ...]
] = (
    _velocity_count,
    _velocity_amount,
    _above_history,
    _new_device,
    _new_channel,
    _new_payee,
    _unusual_hour,
    _failed_passwords,
    _top_up_then_withdraw,
)
