"""The ``[fees]`` and ``[merchant_fees]`` tables: fee schedules, in the limits' currency.

A rule of one bracket says ``flat`` and ``rate`` itself; a rule of several lists ``brackets``:

```toml
[[fees.rules]]
kind = "withdrawal"
rate = "0.001"                                   # 0.1 %: a decimal string, never a float
minimum = "0.10"
quota = { amount = "1000.00", period = "lifetime" }

[[fees.rules]]
kind = "transfer"
channel = "pc"
maximum = "25.00"
brackets = [
    { up_to = "5000.00", flat = "0.00" },
    { flat = "0.00", rate = "0.00015" },         # the last bracket has no up_to
]

[[fees.waivers]]
name = "National Day 2026"
starts = 2026-10-01T00:00:00+08:00
ends = 2026-10-08T00:00:00+08:00
kinds = ["withdrawal"]
```
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from icbc_wallet.domain.fee_rules import FeeBracket, FeeCharging, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.rounding import Rounding
from icbc_wallet.policy_files._plain import Table, built, located, parse_choice, type_name

__all__ = ["FEES_KEYS", "read_fees", "write_fees"]

FEES_KEYS: Final = ("name", "rules", "waivers")
"""The keys of a fee schedule's table."""
_RULE_KEYS: Final = (
    "kind",
    "channel",
    "name",
    "description",
    "flat",
    "rate",
    "brackets",
    "minimum",
    "maximum",
    "quota",
    "charging",
    "rounding",
)
_BRACKET_KEYS: Final = ("up_to", "flat", "rate")
_QUOTA_KEYS: Final = ("amount", "period")
_WAIVER_KEYS: Final = ("name", "starts", "ends", "kinds", "holidays_only", "discount")
_MINUTE: Final = timedelta(minutes=1)
_EXAMPLE_INSTANT: Final = "2026-10-01T00:00:00+08:00"


def read_fees(table: Table, currency: str) -> FeeSchedule:
    """The fee schedule of ``table``, every amount in ``currency``."""
    rules = [_read_rule(rule, currency) for rule in table.tables("rules", _RULE_KEYS)]
    waivers = [_read_waiver(waiver) for waiver in table.tables("waivers", _WAIVER_KEYS)]
    name = table.text("name", "")
    return located(
        table.at("rules"),
        rules,
        lambda some: FeeSchedule(some, waivers, currency=currency, name=name),
        table.path,
    )


def _read_bracket(table: Table, currency: str, *, up_to: Money | None) -> FeeBracket:
    found = table.amount("flat", currency, "0.00")
    flat = Money.zero(currency) if found is None else found
    rate = table.rate("rate", Decimal(0))
    return built(
        table.path, lambda: FeeBracket(up_to, flat, rate), {"flat": "flat", "rate": "rate"}
    )


def _read_rule(table: Table, currency: str) -> FeeRule:
    kind = table.choice("kind", OperationKind)
    channel = table.choice("channel", Channel) if "channel" in table else None
    if "brackets" in table:
        for key in ("flat", "rate"):
            if key in table:
                table.fail(key, "give flat and rate, or brackets, not both")
        brackets = [
            _read_bracket(bracket, currency, up_to=bracket.amount("up_to", currency))
            for bracket in table.tables("brackets", _BRACKET_KEYS)
        ]
        if not brackets:
            table.fail("brackets", "needs at least one bracket (the last without up_to)")
    else:
        brackets = [_read_bracket(table, currency, up_to=None)]
    quota = None
    if "quota" in table:
        quota_table = table.table("quota", _QUOTA_KEYS)
        amount = quota_table.money("amount", currency, "1000.00")
        period = quota_table.choice("period", QuotaPeriod, QuotaPeriod.LIFETIME)
        quota = built(quota_table.path, lambda: FreeQuota(amount, period), {"quota": "amount"})
    minimum = table.amount("minimum", currency, "0.10")
    maximum = table.amount("maximum", currency, "25.00")
    charging = table.choice("charging", FeeCharging, FeeCharging.ON_TOP)
    rounding = table.choice("rounding", Rounding, Rounding.HALF_UP)
    name, description = table.text("name", ""), table.text("description", "")
    return built(
        table.path,
        lambda: FeeRule(
            kind,
            brackets,
            channel=channel,
            minimum=minimum,
            maximum=maximum,
            quota=quota,
            charging=charging,
            rounding=rounding,
            name=name,
            description=description,
        ),
        {"minimum": "minimum", "maximum": "maximum", "brackets": "brackets"},
    )


def _instant(table: Table, key: str) -> datetime | None:
    if key not in table:
        return None
    value = table.raw(key)
    if type(value) is not datetime:
        table.fail(key, f"must be a date-time such as {_EXAMPLE_INSTANT}, not {type_name(value)}")
    if value.tzinfo is None:
        table.fail(key, f"needs a UTC offset, such as {_EXAMPLE_INSTANT}")
    return value


def _read_waiver(table: Table) -> Waiver:
    name = table.text("name")
    starts, ends = _instant(table, "starts"), _instant(table, "ends")
    kinds = (
        {parse_choice(path, OperationKind, item) for path, item in table.strings("kinds")}
        if "kinds" in table
        else None
    )
    holidays_only = table.flag("holidays_only", default=False)
    discount = table.rate("discount", Decimal(1), "0.5")
    return built(
        table.path,
        lambda: Waiver(
            name,
            starts=starts,
            ends=ends,
            kinds=kinds,
            holidays_only=holidays_only,
            discount=discount,
        ),
        {"end": "ends", "starts": "starts", "kinds": "kinds", "discount": "discount"},
    )


def _amount(money: Money) -> str:
    return str(money.amount)


def _rate(rate: Decimal) -> str:
    return format(rate, "f")


def _write_bracket(bracket: FeeBracket) -> dict[str, object]:
    written: dict[str, object] = {}
    if bracket.up_to is not None:
        written["up_to"] = _amount(bracket.up_to)
    written["flat"] = _amount(bracket.flat)
    written["rate"] = _rate(bracket.rate)
    return written


def _write_rule(rule: FeeRule) -> dict[str, object]:
    written: dict[str, object] = {"kind": rule.kind.value}
    if rule.channel is not None:
        written["channel"] = rule.channel.value
    if rule.name:
        written["name"] = rule.name
    if rule.description:
        written["description"] = rule.description
    if len(rule.brackets) == 1:
        written.update(_write_bracket(rule.brackets[0]))
    else:
        written["brackets"] = [_write_bracket(bracket) for bracket in rule.brackets]
    if rule.minimum is not None:
        written["minimum"] = _amount(rule.minimum)
    if rule.maximum is not None:
        written["maximum"] = _amount(rule.maximum)
    written["charging"] = rule.charging.value
    written["rounding"] = rule.rounding.value
    if rule.quota is not None:
        written["quota"] = {"amount": _amount(rule.quota.amount), "period": rule.quota.period.value}
    return written


def _write_instant(moment: datetime) -> datetime:
    offset = moment.utcoffset()
    # TOML offsets are whole minutes; an old zone's local mean time (+08:05:43) is written in UTC
    return moment if offset is not None and not offset % _MINUTE else moment.astimezone(UTC)


def _write_waiver(waiver: Waiver) -> dict[str, object]:
    written: dict[str, object] = {"name": waiver.name}
    if waiver.starts is not None:
        written["starts"] = _write_instant(waiver.starts)
    if waiver.ends is not None:
        written["ends"] = _write_instant(waiver.ends)
    if waiver.kinds is not None:
        written["kinds"] = [kind.value for kind in OperationKind if kind in waiver.kinds]
    written["holidays_only"] = waiver.holidays_only
    written["discount"] = _rate(waiver.discount)
    return written


def write_fees(schedule: FeeSchedule) -> dict[str, object]:
    """The table of ``schedule`` (its currency is the limits')."""
    written: dict[str, object] = {}
    if schedule.name:
        written["name"] = schedule.name
    if schedule.rules:
        written["rules"] = [_write_rule(rule) for rule in schedule.rules]
    if schedule.waivers:
        written["waivers"] = [_write_waiver(waiver) for waiver in schedule.waivers]
    return written
