"""The policy reference: every preset in ``icbc_wallet.presets`` as tables, made at build time.

A MkDocs hook (``hooks:`` in ``mkdocs.yml``). ``docs/reference/policies.md`` keeps only the
:data:`PLACEHOLDER`; :func:`on_page_markdown` replaces it with the tables that
:func:`render_presets` draws from the very objects the library uses, so the page cannot drift
from the code. A preset of a kind this module cannot draw fails the build rather than vanish.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Final

from icbc_wallet import presets
from icbc_wallet.domain.fee_rules import FeeBracket, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.limits import Limit, LimitSchedule, LimitWindow
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refunds import RefundWindow
from icbc_wallet.domain.registration import Evidence
from icbc_wallet.domain.tiers import TierPolicy
from icbc_wallet.service.config import WalletPolicies

PLACEHOLDER: Final = "<!-- policy-reference -->"
"""The marker that the generated tables replace."""
PAGE: Final = "reference/policies.md"
"""The page that must keep the marker."""

Preset = LimitSchedule | Mapping[str, Limit] | TierPolicy | FeeSchedule | RefundWindow | Money
"""What the reference can draw: the kinds of value the preset modules export."""

_SECTIONS: Final = (
    (LimitSchedule, "Limit schedules"),
    (Mapping, "Limit tables"),
    (TierPolicy, "Tier policies"),
    (FeeSchedule, "Fee schedules"),
    (RefundWindow, "Refund windows"),
    (Money, "Other figures"),
)
_KINDS: Final = tuple(kind for kind, _title in _SECTIONS)
_NONE: Final = "—"
_EVIDENCE: Final = list(Evidence)


def on_page_markdown(markdown: str, **kwargs: object) -> str:
    """MkDocs event: put the generated reference in place of :data:`PLACEHOLDER`.

    Raises:
        ValueError: :data:`PAGE` lost its placeholder.
    """
    if PLACEHOLDER in markdown:
        return markdown.replace(PLACEHOLDER, render_presets())
    if getattr(getattr(kwargs.get("page"), "file", None), "src_uri", None) == PAGE:
        raise ValueError(f"{PAGE} lost its placeholder {PLACEHOLDER}")
    return markdown


def find_presets() -> dict[str, Preset]:
    """Every preset by qualified name (``icbc_wallet.presets.limits.ECNY_2021``), once each.

    The ``ALL_*`` catalogues are not presets of their own, but what they list must be exported.

    Raises:
        TypeError: an exported value of a kind the reference cannot draw, or a catalogued
            preset not exported by name.
    """
    found: dict[int, tuple[str, Preset]] = {}
    catalogued: list[object] = []
    for info in pkgutil.iter_modules(presets.__path__):
        module = importlib.import_module(f"{presets.__name__}.{info.name}")
        for name in getattr(module, "__all__", ()):
            value, qualified = getattr(module, name), f"{module.__name__}.{name}"
            if isinstance(value, Mapping) and not _is_limit_table(value):
                catalogued.extend(value.values())
            elif isinstance(value, _KINDS):
                found[id(value)] = (qualified, value)
            elif not callable(value):
                raise TypeError(f"{qualified}: the reference cannot draw {type(value).__name__}")
    missing = [value for value in catalogued if id(value) not in found]
    if missing:
        raise TypeError(f"catalogued presets not exported by name: {missing}")
    return dict(found.values())


def render_presets() -> str:
    """The whole reference as Markdown: one section per kind, one table or more per preset."""
    found = find_presets()
    parts = [_default_set(found)]
    for kind, title in _SECTIONS:
        items = {name: value for name, value in found.items() if isinstance(value, kind)}
        if not items:
            continue
        parts.append(f"## {title}\n")
        if kind is RefundWindow:
            parts.append(_refund_windows(items))
        elif kind is Money:
            parts.append(_figures(items))
        else:
            for name, value in items.items():
                parts.append(f"### `{_short(name)}`\n\n{_draw(value)}\nSources: {_link(name)}.\n")
    return "\n".join(parts)


def _default_set(found: Mapping[str, Preset]) -> str:
    """Which presets ``WalletPolicies.default()`` (what ``bootstrap`` wires) is made of."""
    policies = WalletPolicies.default()
    names = {id(value): name for name, value in found.items()}

    def preset(value: object, fallback: str) -> str:
        return _link(names[id(value)]) if id(value) in names else fallback

    rows = [
        ["Limits", preset(policies.limits, policies.limits.name)],
        ["Tiers", preset(policies.tiers, policies.tiers.name)],
        ["Customer fees", preset(policies.fees, policies.fees.name)],
        ["Merchant fees", preset(policies.merchant_fees, policies.merchant_fees.name)],
        ["Refund window", preset(policies.refund_window, f"{policies.refund_window.days} days")],
        ["Merchant's time to answer a refund", _duration(policies.merchant_answer_time)],
        ["Hold time", _duration(policies.hold_time)],
        ["Idempotency keys kept", _duration(policies.idempotency_time)],
    ]
    return (
        "## The default policy set\n\n`WalletPolicies.default()`, which the ready-made services "
        "of `icbc_wallet.bootstrap` use unless given another:\n\n"
        + _table(["Policy", "Value"], rows)
    )


def _duration(value: timedelta) -> str:
    """``7 days``, ``24 hours`` or, for odd lengths, the timedelta as Python writes it."""
    hours, rest = divmod(value, timedelta(hours=1))
    if rest:
        return str(value)
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} hours"


def _draw(value: Preset) -> str:
    if isinstance(value, LimitSchedule):
        return _limit_schedule(value)
    if isinstance(value, TierPolicy):
        return _tier_policy(value)
    if isinstance(value, FeeSchedule):
        return _fee_schedule(value)
    if isinstance(value, Mapping):
        return _table(_windows("Level"), [[f"`{k}`", *_caps(v)] for k, v in value.items()])
    raise TypeError(f"no table for {value!r}")  # refund windows and figures share one table


# --- cells --------------------------------------------------------------------------------------


def _is_limit_table(value: Mapping[object, object]) -> bool:
    return bool(value) and all(isinstance(item, Limit) for item in value.values())


def _short(name: str) -> str:
    return name.rsplit(".", 1)[1]


def _link(name: str) -> str:
    """The preset's docstring, with its sources, on the presets page (resolved by autorefs)."""
    return f"[`{_short(name)}`][{name}]"


def _money(value: Money | None) -> str:
    return _NONE if value is None else f"{value.amount:,}"


def _rate(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _caps(limit: Limit) -> list[str]:
    return [_money(limit.cap(window)) for window in LimitWindow]


def _windows(first: str) -> list[str]:
    return [first, *(window.label.capitalize() for window in LimitWindow)]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "".join("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |\n" for row in lines)


# --- the tables -------------------------------------------------------------------------------


def _limit_schedule(schedule: LimitSchedule) -> str:
    about = f"{schedule.description} " if schedule.description else ""
    text = (
        f"{about}Schedule `{schedule.name}`: amounts in {schedule.currency}, windows counted in "
        f"{schedule.zone.key}, tiers from the lowest to the highest.\n\n"
    )
    header = [*_windows("Tier"), "Balance cap", "Not allowed", "Description"]
    rows = [
        [
            f"`{tier.name}`",
            *_caps(tier.limit),
            _money(tier.balance_cap),
            ", ".join(sorted(method.value for method in tier.disallowed)) or _NONE,
            tier.description,
        ]
        for tier in schedule.tiers
    ]
    text += _table(header, rows)
    methods = [
        [f"`{tier.name}`", f"`{method.value}`", *_caps(limit)]
        for tier in schedule.tiers
        for method, limit in tier.methods.items()
    ]
    if methods:
        text += "\nLimits by payment method, on top of the tier's own:\n\n"
        text += _table(["Tier", *_windows("Method")], methods)
    return text


def _tier_policy(policy: TierPolicy) -> str:
    def evidence(rule_evidence: frozenset[Evidence]) -> str:
        return ", ".join(item.value for item in sorted(rule_evidence, key=_EVIDENCE.index))

    rows = [[evidence(rule.evidence), f"`{rule.tier}`"] for rule in policy.rules]
    return (
        f"{policy.description} Pairs with the limit schedule `{policy.name}`. A holder gets the "
        "tier of the last rule whose evidence is all verified.\n\n"
        + _table(["Evidence verified", "Tier"], rows)
    )


def _fee_schedule(schedule: FeeSchedule) -> str:
    header = ["Rule", "Operation", "Channel", "Fee", "Minimum", "Maximum", "Free quota"]
    header += ["Charged", "Description"]
    rows = [
        [
            rule.name or _NONE,
            f"`{rule.kind.value}`",
            f"`{rule.channel.value}`" if rule.channel else "any",
            "<br>".join(_brackets(rule)),
            _money(rule.minimum),
            _money(rule.maximum),
            _quota(rule.quota) if rule.quota else _NONE,
            rule.charging.value.replace("_", " "),
            rule.description,
        ]
        for rule in schedule.rules
    ]
    text = (
        f"Schedule `{schedule.name}`: amounts in {schedule.currency}. The fee prices what the "
        "free quota leaves; an operation or channel without a rule is free.\n\n"
    )
    text += _table(header, rows)
    if not schedule.waivers:
        return text + "\nNo waivers or promotions.\n"
    waivers = [
        [
            waiver.name,
            waiver.starts.isoformat() if waiver.starts else "always",
            waiver.ends.isoformat() if waiver.ends else "never",
            ", ".join(sorted(kind.value for kind in waiver.kinds)) if waiver.kinds else "all",
            "yes" if waiver.holidays_only else "no",
            _rate(waiver.discount),
        ]
        for waiver in schedule.waivers
    ]
    header = ["Waiver", "From", "Until", "Operations", "Holidays only", "Discount"]
    return text + "\n" + _table(header, waivers)


def _brackets(rule: FeeRule) -> Iterator[str]:
    """One line per bracket of the chargeable amount: ``up to 10,000.00: 5.00``."""
    below: Money | None = None
    for bracket in rule.brackets:
        if bracket.up_to is not None:
            where = f"up to {_money(bracket.up_to)}"
        else:
            where = "any amount" if below is None else f"above {_money(below)}"
        yield f"{where}: {_price(bracket)}"
        below = bracket.up_to


def _quota(quota: FreeQuota) -> str:
    period = quota.period
    return f"{_money(quota.amount)} " + (
        "in all" if period is QuotaPeriod.LIFETIME else f"a {period}"
    )


def _price(bracket: FeeBracket) -> str:
    flat = [] if bracket.flat.is_zero() else [_money(bracket.flat)]
    rate = [_rate(bracket.rate)] if bracket.rate else []
    return " + ".join(flat + rate) or "free"


def _refund_windows(items: Mapping[str, Preset]) -> str:
    rows = [
        [_link(name), str(window.days), window.counting.value.replace("_", " "), window.zone.key]
        for name, window in items.items()
        if isinstance(window, RefundWindow)
    ]
    return _table(["Preset", "Days", "Counted", "Zone"], rows)


def _figures(items: Mapping[str, Preset]) -> str:
    rows = [
        [_link(name), f"{_money(value)} {value.currency}"]
        for name, value in items.items()
        if isinstance(value, Money)
    ]
    return _table(["Preset", "Value"], rows)
