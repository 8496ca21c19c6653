"""What the service's commands return: small frozen values, safe to store and replay.

A command that may be declined returns an :class:`OperationResult` whose ``decision`` is
:data:`~icbc_wallet.domain.decisions.APPROVED` or a ``Declined`` with its reason and numbers.
An idempotent replay returns the very same value.
"""

from __future__ import annotations

import attrs

from icbc_wallet.domain.decisions import Approved, Decision
from icbc_wallet.domain.factors import ChallengeRequired
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.risk_assessment import RiskAssessment

__all__ = ["OperationResult"]


@attrs.frozen
class OperationResult:
    """The outcome of a money command.

    Attributes:
        reference: the payment, transfer or journal-entry id the command created.
        decision: APPROVED, or the ``Declined`` value that explains why not.
        fee: the fee charged (zero when free; None when declined).
        challenge: when declined for want of verification, the sets of factors that would do
            (present one of them with a new idempotency key).
        risk: the risk engine's assessment, when risk monitoring ran.
    """

    reference: str
    decision: Decision
    fee: Money | None = None
    challenge: ChallengeRequired | None = None
    risk: RiskAssessment | None = None

    @property
    def approved(self) -> bool:
        """True when the operation went through."""
        return type(self.decision) is Approved
