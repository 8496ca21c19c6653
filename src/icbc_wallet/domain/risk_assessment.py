"""Risk assessments: the risk engine's answer, with the rules that fired and their numbers.

A :class:`RiskAssessment` says whether an operation about to move money out of a wallet may go
ahead (:attr:`RiskOutcome.ALLOW`), needs a step-up verification first (``CHALLENGE``), or is
refused (``DENY``), and lists every :class:`FiredRule` with what it observed, its threshold and
one human sentence. The outcome is derived: the strongest action of the rules that fired.

```pycon
>>> fired = FiredRule(RiskRuleId.VELOCITY_COUNT, RiskAction.CHALLENGE, 11, 10,
...                   "11 operations in the last 10 minutes, this one included; the rule allows 10")
>>> assessment = RiskAssessment((fired,))
>>> assessment.outcome, RiskOutcome.ALLOW < assessment.outcome < RiskOutcome.DENY
(<RiskOutcome.CHALLENGE: 'challenge'>, True)
>>> assessment.explain().splitlines()[0]
'challenge: 1 rule fired'

```
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from enum import Enum, StrEnum
from typing import Final, TypeAlias

import attrs

from icbc_wallet.domain.money import Money

__all__ = ["FiredRule", "Measure", "RiskAction", "RiskAssessment", "RiskOutcome", "RiskRuleId"]

Measure: TypeAlias = int | Money | str
"""What a fired rule observed, or its threshold: a count, an amount, or a short text (a time)."""


class RiskAction(StrEnum):
    """What a rule asks for when it fires."""

    CHALLENGE = "challenge"
    """Step up: ask for another verification factor before going ahead."""
    DENY = "deny"
    """Refuse the operation."""

    @property
    def outcome(self) -> RiskOutcome:
        """The outcome this action alone would give."""
        return RiskOutcome(self.value)


@functools.total_ordering
class RiskOutcome(Enum):
    """The engine's answer, ordered by severity: ``ALLOW < CHALLENGE < DENY``."""

    ALLOW = "allow"
    CHALLENGE = "challenge"
    DENY = "deny"

    @property
    def severity(self) -> int:
        """0 for allow, 1 for challenge, 2 for deny."""
        return _SEVERITY[self]

    def __lt__(self, other: RiskOutcome) -> bool:
        if not isinstance(other, RiskOutcome):
            return NotImplemented
        return _SEVERITY[self] < _SEVERITY[other]


_SEVERITY: Final = {RiskOutcome.ALLOW: 0, RiskOutcome.CHALLENGE: 1, RiskOutcome.DENY: 2}


class RiskRuleId(StrEnum):
    """The stable id of each rule: store it, match on it, never parse the explanation."""

    VELOCITY_COUNT = "velocity.count"
    VELOCITY_AMOUNT = "velocity.amount"
    ABOVE_HISTORY = "amount.above_history"
    NEW_DEVICE = "device.new"
    NEW_CHANNEL = "channel.new"
    NEW_PAYEE = "payee.new_large_amount"
    UNUSUAL_HOUR = "time.unusual_hour"
    FAILED_PASSWORDS = "password.failures"
    TOP_UP_THEN_WITHDRAW = "funds.top_up_then_withdraw"


@attrs.frozen
class FiredRule:
    """One rule that fired, with the numbers that made it fire.

    Attributes:
        rule: the rule's stable id.
        action: what it asks for.
        observed: what the engine saw (a count, an amount, a local time).
        threshold: what the rule allows, or the line it acts from.
        explanation: one human sentence with both numbers; it never names a payee, device or
            channel.
    """

    rule: RiskRuleId
    action: RiskAction
    observed: Measure
    threshold: Measure
    explanation: str


def _fired_rules(value: Iterable[FiredRule]) -> tuple[FiredRule, ...]:
    return tuple(value)


def _strongest(assessment: RiskAssessment) -> RiskOutcome:
    return max(
        (fired.action.outcome for fired in assessment.fired),
        default=RiskOutcome.ALLOW,
    )


@attrs.frozen
class RiskAssessment:
    """The engine's answer: the outcome and every rule that fired, in the engine's fixed order.

    Attributes:
        fired: the rules that fired (none: the operation is allowed).
        outcome: derived, never given: the strongest action among ``fired`` (``DENY`` over
            ``CHALLENGE``), or ``ALLOW`` when nothing fired.
    """

    fired: tuple[FiredRule, ...] = attrs.field(default=(), converter=_fired_rules)
    outcome: RiskOutcome = attrs.field(
        init=False, default=attrs.Factory(_strongest, takes_self=True)
    )

    @property
    def rules(self) -> tuple[RiskRuleId, ...]:
        """The ids of the rules that fired, in order."""
        return tuple(fired.rule for fired in self.fired)

    def explain(self) -> str:
        """A readable multi-line summary: the outcome, then one line per fired rule."""
        if not self.fired:
            return f"{self.outcome.value}: no rule fired"
        count = len(self.fired)
        lines = [f"{self.outcome.value}: {count} rule{'s' if count > 1 else ''} fired"]
        lines += [
            f"- {fired.rule.value} ({fired.action.value}): {fired.explanation}"
            for fired in self.fired
        ]
        return "\n".join(lines)
