"""The ``[limits]`` and ``[tiers]`` tables: a limit schedule and the tier policy over it.

```toml
[limits]
currency = "CNY"
zone = "Asia/Shanghai"

[[limits.tiers]]
name = "unverified"
per_transaction = "500.00"       # a tier's caps sit in its table; a cap left out is unlimited
daily = "1000.00"
disallowed = ["withdrawal"]

[limits.tiers.methods.static_qr]  # stricter caps for one payment method of the tier above
daily = "500.00"

[[tiers.rules]]
tier = "unverified"
evidence = ["phone"]
```
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Final

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE
from icbc_wallet.domain.limits import Limit, LimitSchedule, PaymentMethod, TierLimits
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money, currency_exponent
from icbc_wallet.domain.registration import Evidence
from icbc_wallet.domain.tiers import TierPolicy, TierRule
from icbc_wallet.policy_files._locate import KeyPath
from icbc_wallet.policy_files._plain import Problem, Table, built, located, parse_choice, zone_key

__all__ = [
    "LIMITS_KEYS",
    "TIERS_KEYS",
    "check_tier_names",
    "read_limits",
    "read_tiers",
    "write_limits",
    "write_tiers",
]

_CAPS: Final = ("per_transaction", "daily", "monthly", "annual", "lifetime")
_METHODS: Final = tuple(method.value for method in PaymentMethod)
_TIER_KEYS: Final = ("name", "description", *_CAPS, "balance_cap", "disallowed", "methods")
_RULE_KEYS: Final = ("tier", "evidence")
LIMITS_KEYS: Final = (
    "currency",
    "name",
    "description",
    "zone",
    "allow_stricter_higher_tiers",
    "tiers",
)
"""The keys of ``[limits]``."""
TIERS_KEYS: Final = ("name", "description", "rules")
"""The keys of ``[tiers]``."""


def read_limits(table: Table) -> LimitSchedule:
    """The limit schedule of ``[limits]``; its currency is the whole file's."""
    currency = table.text("currency", DEFAULT_CURRENCY)
    built(table.at("currency"), lambda: currency_exponent(currency))
    tiers = [_read_tier(tier, currency) for tier in table.tables("tiers", _TIER_KEYS)]
    if not tiers:
        table.fail("tiers", "needs at least one tier: add a [[limits.tiers]] table")
    zone = table.zone("zone", DEFAULT_BUSINESS_ZONE)
    stricter = table.flag("allow_stricter_higher_tiers", default=False)
    name, description = table.text("name", ""), table.text("description", "")

    def make(some: Sequence[TierLimits]) -> LimitSchedule:
        return LimitSchedule(
            tuple(some),
            currency=currency,
            allow_stricter_higher_tiers=stricter,
            zone=zone,
            name=name,
            description=description,
        )

    return located(table.at("tiers"), tiers, make, table.path)


def _read_limit(table: Table, currency: str) -> Limit:
    caps = {key: table.cap(key, currency) for key in _CAPS}
    return built(table.path, lambda: Limit(**caps), {key: key for key in _CAPS})


def _read_tier(table: Table, currency: str) -> TierLimits:
    name = table.text("name")
    limit = _read_limit(table, currency)
    balance_cap = table.cap("balance_cap", currency)
    methods_table = table.table("methods", _METHODS)
    methods = {
        PaymentMethod(method): _read_limit(methods_table.table(method, _CAPS), currency)
        for method in methods_table.data
    }
    disallowed = (
        {parse_choice(path, PaymentMethod, item) for path, item in table.strings("disallowed")}
        if "disallowed" in table
        else set()
    )
    return built(
        table.path,
        lambda: TierLimits(
            name,
            limit,
            balance_cap,
            methods,
            disallowed,
            table.text("description", ""),
        ),
        {"methods": "methods", "name": "name", "balance": "balance_cap"},
    )


def read_tiers(table: Table, limits: LimitSchedule) -> TierPolicy:
    """The tier policy of ``[tiers]``; every tier it names must be one of ``limits``."""
    rules = []
    known = limits.tier_names
    last = 0
    for rule in table.tables("rules", _RULE_KEYS):
        tier = rule.text("tier")
        if tier not in known:
            rule.fail("tier", f"names tier {tier!r}, which [limits] lacks; it has {list(known)}")
        if known.index(tier) < last:
            rule.fail(
                "tier",
                f"tier {tier!r} comes after a rule for {known[last]!r}, which is higher in "
                "[limits]: order the rules from the lowest tier up",
            )
        last = known.index(tier)
        evidence = {parse_choice(path, Evidence, item) for path, item in rule.strings("evidence")}
        rules.append(built(rule.path, partial(TierRule, evidence, tier)))
    if not rules:
        table.fail("rules", "needs at least one rule: add a [[tiers.rules]] table")
    name, description = table.text("name", ""), table.text("description", "")
    return located(
        table.at("rules"),
        rules,
        lambda some: TierPolicy(tuple(some), name=name, description=description),
        table.path,
    )


def _amount(cap: Money) -> str:
    return str(cap.amount)


def _write_limit(limit: Limit) -> dict[str, object]:
    caps = (limit.per_transaction, limit.daily, limit.monthly, limit.annual, limit.lifetime)
    return {key: _amount(cap) for key, cap in zip(_CAPS, caps, strict=True) if cap is not None}


def write_limits(schedule: LimitSchedule) -> dict[str, object]:
    """``[limits]`` for ``schedule``."""
    tiers = []
    for tier in schedule.tiers:
        written: dict[str, object] = {"name": tier.name}
        if tier.description:
            written["description"] = tier.description
        written.update(_write_limit(tier.limit))
        if tier.balance_cap is not None:
            written["balance_cap"] = _amount(tier.balance_cap)
        if tier.disallowed:
            written["disallowed"] = [m.value for m in PaymentMethod if m in tier.disallowed]
        if tier.methods:
            written["methods"] = {
                method.value: _write_limit(tier.methods[method])
                for method in PaymentMethod
                if method in tier.methods
            }
        tiers.append(written)
    document: dict[str, object] = {"currency": schedule.currency}
    document.update(_described(schedule.name, schedule.description))
    document["zone"] = zone_key(("limits", "zone"), schedule.zone)
    document["allow_stricter_higher_tiers"] = schedule.allow_stricter_higher_tiers
    document["tiers"] = tiers
    return document


def write_tiers(policy: TierPolicy) -> dict[str, object]:
    """``[tiers]`` for ``policy``."""
    document = _described(policy.name, policy.description)
    document["rules"] = [
        {"tier": rule.tier, "evidence": [e.value for e in Evidence if e in rule.evidence]}
        for rule in policy.rules
    ]
    return document


def _described(name: str, description: str) -> dict[str, object]:
    document: dict[str, object] = {}
    if name:
        document["name"] = name
    if description:
        document["description"] = description
    return document


def check_tier_names(names: Sequence[tuple[KeyPath, str]], limits: LimitSchedule) -> None:
    """Refuse a tier name (at its path) that ``limits`` lacks: it would be a typo."""
    for path, name in names:
        if name not in limits.tier_names:
            raise Problem(
                path, f"names tier {name!r}, which [limits] lacks; it has {list(limits.tier_names)}"
            )
