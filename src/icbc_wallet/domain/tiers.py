"""Tier policies: which verification tier a holder reaches with the evidence verified so far.

A :class:`TierRule` says "this evidence earns that tier"; a :class:`TierPolicy` lists its rules
from the lowest tier to the highest. A holder gets the tier of the *last* rule whose evidence they
all have (:func:`icbc_wallet.policies.tiers.assign_tier`), so more evidence never lowers the tier.
The tier names are those of a :class:`~icbc_wallet.domain.limits.LimitSchedule`;
:meth:`TierPolicy.check_against` confirms that the two fit together.

```pycon
>>> policy = TierPolicy((
...     TierRule({Evidence.PHONE}, "unverified"),
...     TierRule({Evidence.PHONE, Evidence.IDENTITY}, "real_name"),
... ))
>>> policy.tier_names
('unverified', 'real_name')
>>> TierPolicy((TierRule({Evidence.PHONE}, "a"), TierRule({"phone"}, "b")))
Traceback (most recent call last):
...
icbc_wallet.errors.InvalidTierPolicyError: two rules ask for the same evidence ['phone']

```
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from icbc_wallet.domain.limits import LimitSchedule
from icbc_wallet.domain.registration import Evidence
from icbc_wallet.errors import InvalidTierPolicyError, UnknownTierError

__all__ = ["TierPolicy", "TierRule", "parse_evidence"]


def parse_evidence(evidence: Iterable[Evidence | str]) -> frozenset[Evidence]:
    """Return the set of :class:`Evidence` for members or their values (``"phone"``).

    Raises:
        InvalidTierPolicyError: a lone string (which would be read letter by letter), something
            not iterable, or an unknown evidence value.
    """
    if isinstance(evidence, str | bytes) or not isinstance(evidence, Iterable):
        raise InvalidTierPolicyError(
            f"evidence must be a collection of Evidence values, not {evidence!r}"
        )
    found = set()
    for item in evidence:
        try:
            found.add(Evidence(item))
        except ValueError:
            known = ", ".join(repr(member.value) for member in Evidence)
            raise InvalidTierPolicyError(
                f"unknown evidence {item!r}; use an Evidence or one of {known}"
            ) from None
    return frozenset(found)


def _validate_tier(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidTierPolicyError(f"a tier rule needs a non-empty tier name, not {value!r}")


def _names(evidence: frozenset[Evidence]) -> list[str]:
    return sorted(item.value for item in evidence)


@attrs.frozen
class TierRule:
    """The holder reaches ``tier`` once all of ``evidence`` is verified.

    Attributes:
        evidence: the evidence required (members or their values; an empty set matches anyone).
        tier: the tier's name in the limit schedule.
    """

    evidence: frozenset[Evidence] = attrs.field(converter=parse_evidence)
    tier: str = attrs.field(validator=_validate_tier)


def _rule_tuple(rules: Iterable[TierRule]) -> tuple[TierRule, ...]:
    if isinstance(rules, TierRule) or not isinstance(rules, Iterable):
        raise InvalidTierPolicyError(f"rules must be a sequence of TierRule, not {rules!r}")
    result = tuple(rules)
    for rule in result:
        if type(rule) is not TierRule:
            raise InvalidTierPolicyError(f"every rule must be a TierRule, not {rule!r}")
    return result


@attrs.frozen
class TierPolicy:
    """Rules from evidence to verification tier, ordered from the lowest tier to the highest.

    Attributes:
        rules: the rules, lowest tier first. A rule may not ask for less evidence than a rule
            before it (a strict subset): it would hide the earlier, higher-looking rule.
        name: a short name for reports (presets use their limit schedule's name).
        description: where the rules come from.

    Raises:
        InvalidTierPolicyError: no rules, two rules with the same evidence, or a rule asking for
            strictly less evidence than an earlier one.
    """

    rules: tuple[TierRule, ...] = attrs.field(converter=_rule_tuple)
    name: str = ""
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.rules:
            raise InvalidTierPolicyError("a tier policy needs at least one rule")
        for index, later in enumerate(self.rules):
            for earlier in self.rules[:index]:
                if later.evidence == earlier.evidence:
                    raise InvalidTierPolicyError(
                        f"two rules ask for the same evidence {_names(later.evidence)}"
                    )
                if later.evidence < earlier.evidence:
                    raise InvalidTierPolicyError(
                        f"rule for tier {later.tier!r} asks for less evidence "
                        f"{_names(later.evidence)} than the earlier rule for {earlier.tier!r} "
                        f"{_names(earlier.evidence)}; order rules from the lowest tier up"
                    )

    @property
    def tier_names(self) -> tuple[str, ...]:
        """The tiers the rules name, in rule order, each once."""
        return tuple(dict.fromkeys(rule.tier for rule in self.rules))

    def check_against(self, schedule: LimitSchedule) -> None:
        """Confirm that every tier named here exists in ``schedule``, in the schedule's order.

        Raises:
            UnknownTierError: a rule names a tier the schedule lacks.
            InvalidTierPolicyError: a later rule names a lower tier of the schedule than an
                earlier rule, so more evidence could give a lower tier.
        """
        known = schedule.tier_names
        for rule in self.rules:
            if rule.tier not in known:
                raise UnknownTierError(
                    f"tier policy {self.name or '(unnamed)'!r} names tier {rule.tier!r}, which "
                    f"schedule {schedule.name or '(unnamed)'!r} lacks; it has {list(known)}"
                )
        for earlier, later in zip(self.rules, self.rules[1:], strict=False):
            if known.index(later.tier) < known.index(earlier.tier):
                raise InvalidTierPolicyError(
                    f"rule for tier {later.tier!r} comes after the rule for {earlier.tier!r}, "
                    f"which is higher in schedule {schedule.name or '(unnamed)'!r}"
                )
