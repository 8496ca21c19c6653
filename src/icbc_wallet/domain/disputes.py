"""Disputes: a refused or unanswered refund taken to the bank, which mediates and decides.

The customer opens a :class:`Dispute` with evidence (order number, receipt, description); the
merchant may respond with its own evidence by the *response deadline*; the bank then decides who
is responsible and how much the merchant refunds. The customer may withdraw until the decision.
DECIDED and WITHDRAWN are terminal.

```pycon
>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> from icbc_wallet.domain.ids import DisputeId, MerchantId, PaymentId, RefundId, WalletId
>>> asked = datetime(2026, 5, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> refused = RefundRequest.new(
...     refund_id=RefundId("R-1"), payment_id=PaymentId("P-1"), wallet_id=WalletId("W-1"),
...     merchant_id=MerchantId("M-1"), requested=Money.of("80.00"), at=asked,
... ).refuse("worn", at=asked + timedelta(days=1))
>>> evidence = DisputeEvidence(order_number="SO-42", description="Arrived torn; photos sent.")
>>> dispute = Dispute.new(dispute_id=DisputeId("D-1"), request=refused, evidence=evidence,
...                        at=asked + timedelta(days=2))
>>> decided = dispute.decide_by_default(now=dispute.response_deadline + timedelta(seconds=1))
>>> decided.outcome, decided.refund_amount
(<DisputeOutcome.MERCHANT_RESPONSIBLE: 'merchant_responsible'>, Money('80.00', 'CNY'))

```

Deadlines are the last instant at which a step is in time. Whether a dispute may be opened at all
(the request's status, the opening window, one dispute per request) is the policy
:func:`icbc_wallet.policies.disputes.check_dispute_opening`. Moving money is the wallet's job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import attrs

from icbc_wallet.domain.ids import DisputeId, MerchantId, PaymentId, RefundId, WalletId, parse_id
from icbc_wallet.domain.ledger import _money
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refund_requests import RefundRequest
from icbc_wallet.domain.text import clean_text, text_field, time_limit, to_utc
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    DisputeStateError,
    InvalidAmountError,
    InvalidDatetimeError,
    InvalidTimeLimitError,
    TextTypeError,
)

__all__ = [
    "DEFAULT_DECISION_REASON",
    "DEFAULT_DISPUTE_TERMS",
    "MAX_DESCRIPTION_LENGTH",
    "Dispute",
    "DisputeEvidence",
    "DisputeOutcome",
    "DisputeStatus",
    "DisputeTerms",
]

_REF: Final = 128  # the longest order or receipt number, or document id

MAX_DESCRIPTION_LENGTH: Final = 2000
"""The longest description (evidence) or decision reason, in characters."""

DEFAULT_DECISION_REASON: Final = (
    "The merchant did not respond by the deadline; by the bank's rule the merchant bears the full "
    "disputed amount"
)
"""The reason recorded by :meth:`Dispute.decide_by_default`."""


@attrs.frozen(kw_only=True)
class DisputeEvidence:
    """What one side submits: the order, a receipt reference and its account of what happened.

    Attributes:
        order_number: the merchant's order number (required, one line, ≤ 128 characters).
        receipt: a receipt number or document id (optional, one line, ≤ 128 characters).
        description: what happened (required, may span lines, ≤ 2000 characters).

    Raises:
        TextTypeError: a field is not a str.
        InvalidTextError: a required field is blank, a field is too long or has control
            characters (line breaks are allowed in the description only).
    """

    order_number: str = attrs.field(validator=text_field("order_number", _REF, required=True))
    receipt: str = attrs.field(default="", validator=text_field("receipt", _REF))
    description: str = attrs.field(
        validator=text_field("description", MAX_DESCRIPTION_LENGTH, required=True, lines=True)
    )


@attrs.frozen(kw_only=True)
class DisputeTerms:
    """The bank's time limits for disputes. Exact durations (3 days is 72 hours).

    The defaults are our choice, not law: card schemes give merchants 7 to 21 days to respond and
    cardholders about 120 days to dispute (UNVERIFIED); a wallet settles faster.

    Attributes:
        merchant_response_time: from opening to the merchant's response deadline (3 days).
        decision_time: from opening to the bank's decision deadline (10 days); longer than
            ``merchant_response_time``.
        open_within: how long after a refusal or lapse the customer may open a dispute (30 days).

    Raises:
        InvalidTimeLimitError: a time that is not a positive ``timedelta`` of at most ten years, or
            a decision time not longer than the response time.
    """

    merchant_response_time: timedelta = attrs.field(
        default=timedelta(days=3),
        validator=lambda _i, _a, v: time_limit(v, "merchant_response_time"),
    )
    decision_time: timedelta = attrs.field(
        default=timedelta(days=10), validator=lambda _i, _a, v: time_limit(v, "decision_time")
    )
    open_within: timedelta = attrs.field(
        default=timedelta(days=30), validator=lambda _i, _a, v: time_limit(v, "open_within")
    )

    def __attrs_post_init__(self) -> None:
        if self.decision_time <= self.merchant_response_time:
            raise InvalidTimeLimitError(
                f"decision_time {self.decision_time} must be longer than merchant_response_time "
                f"{self.merchant_response_time}: the bank decides after the merchant's deadline"
            )


DEFAULT_DISPUTE_TERMS: Final = DisputeTerms()
"""3 days to respond, a decision within 10 days of opening, disputes opened within 30 days."""


class DisputeStatus(StrEnum):
    """Where a dispute is. DECIDED and WITHDRAWN are terminal."""

    OPEN = "open"
    """Awaiting the merchant's response."""
    RESPONDED = "responded"
    """The merchant answered; awaiting the bank's decision."""
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"
    """The customer gave up the dispute before a decision."""


class DisputeOutcome(StrEnum):
    """Who the bank found responsible."""

    MERCHANT_RESPONSIBLE = "merchant_responsible"
    """The customer is refunded ``refund_amount`` (0 < x ≤ disputed) from the merchant's account."""
    CUSTOMER_RESPONSIBLE = "customer_responsible"
    """No refund: ``refund_amount`` is zero."""


def _status(value: DisputeStatus | str) -> DisputeStatus:
    try:
        return DisputeStatus(value)
    except ValueError:
        raise DisputeStateError(f"unknown dispute status {value!r}") from None


def _outcome(value: DisputeOutcome | str | None) -> DisputeOutcome | None:
    try:
        return None if value is None else DisputeOutcome(value)
    except ValueError:
        raise DisputeStateError(f"unknown dispute outcome {value!r}") from None


def _evidence(value: object, what: str) -> None:
    if type(value) is not DisputeEvidence:
        raise TextTypeError(f"{what} must be DisputeEvidence, not {type(value).__name__}")


def _check_award(outcome: DisputeOutcome, refund: object, disputed: Money) -> Money:
    if type(refund) is not Money:
        raise AmountTypeError(f"refund_amount must be Money, not {type(refund).__name__}")
    if refund.currency != disputed.currency:
        raise CurrencyMismatchError(
            f"refund_amount is in {refund.currency}, not {disputed.currency}"
        )
    if outcome is DisputeOutcome.CUSTOMER_RESPONSIBLE and not refund.is_zero():
        raise InvalidAmountError(
            f"the customer is responsible: refund_amount must be zero, not {refund}"
        )
    if outcome is DisputeOutcome.MERCHANT_RESPONSIBLE and not 0 < refund.minor <= disputed.minor:
        raise InvalidAmountError(
            f"the merchant is responsible: refund_amount must be above zero and at most the "
            f"disputed {disputed}, not {refund}"
        )
    return refund


def _opened_at(moment: datetime) -> datetime:
    return to_utc(moment, "opened_at")


def _response_deadline(moment: datetime) -> datetime:
    return to_utc(moment, "response_deadline")


def _decision_deadline(moment: datetime) -> datetime:
    return to_utc(moment, "decision_deadline")


def _optional_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else to_utc(moment, "a dispute's instant")


@attrs.frozen(kw_only=True)
class Dispute:
    """A refund dispute mediated by the bank. Open one with :meth:`new`.

    Attributes:
        amount: the disputed amount (positive, at most the refund asked for).
        response_deadline: the last instant for the merchant's response (UTC).
        decision_deadline: the instant by which the bank should have decided; see :meth:`is_overdue`.
        outcome, refund_amount, decided_at, decision_reason: the decision, once DECIDED.
        responded_at, withdrawn_at: when the merchant responded, when the customer withdrew.

    Raises:
        WalletError: a malformed field (``InvalidIdError``, ``AmountTypeError``,
            ``CurrencyMismatchError``, ``InvalidAmountError``, ``TextTypeError``,
            ``InvalidTextError`` or ``NaiveDatetimeError``).
        InvalidDatetimeError: deadlines out of order, or a step before the one it follows.
        DisputeStateError: a status that contradicts the other fields.
    """

    dispute_id: DisputeId
    refund_id: RefundId
    payment_id: PaymentId
    wallet_id: WalletId
    merchant_id: MerchantId
    amount: Money = attrs.field(validator=lambda _i, _a, v: _money(v, "a disputed amount"))
    customer_evidence: DisputeEvidence = attrs.field(
        validator=lambda _i, _a, v: _evidence(v, "customer_evidence")
    )
    opened_at: datetime = attrs.field(converter=_opened_at)
    response_deadline: datetime = attrs.field(converter=_response_deadline)
    decision_deadline: datetime = attrs.field(converter=_decision_deadline)
    status: DisputeStatus = attrs.field(default=DisputeStatus.OPEN, converter=_status)
    merchant_evidence: DisputeEvidence | None = None
    responded_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    outcome: DisputeOutcome | None = attrs.field(default=None, converter=_outcome)
    refund_amount: Money | None = None
    decided_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    decision_reason: str = attrs.field(
        default="", validator=text_field("decision_reason", MAX_DESCRIPTION_LENGTH, lines=True)
    )
    withdrawn_at: datetime | None = attrs.field(default=None, converter=_optional_utc)

    def __attrs_post_init__(self) -> None:
        for value, kind in (
            (self.dispute_id, DisputeId),
            (self.refund_id, RefundId),
            (self.payment_id, PaymentId),
            (self.wallet_id, WalletId),
            (self.merchant_id, MerchantId),
        ):
            parse_id(value, kind)
        if not self.opened_at < self.response_deadline < self.decision_deadline:
            raise InvalidDatetimeError(
                f"dispute {self.dispute_id} must open before its deadlines, in order"
            )
        status, responded = self.status, self.responded_at is not None
        decided = status is DisputeStatus.DECIDED
        if (
            responded != (self.merchant_evidence is not None)
            or (status is DisputeStatus.OPEN and responded)
            or (status is DisputeStatus.RESPONDED and not responded)
            or any(
                has != decided
                for has in (
                    self.outcome is not None,
                    self.refund_amount is not None,
                    self.decided_at is not None,
                )
            )
            or decided != bool(self.decision_reason.strip())
            or (status is DisputeStatus.WITHDRAWN) != (self.withdrawn_at is not None)
        ):
            raise DisputeStateError(
                f"dispute {self.dispute_id}'s fields contradict its status {status}"
            )
        if self.merchant_evidence is not None:
            _evidence(self.merchant_evidence, "merchant_evidence")
        if (
            self.responded_at is not None
            and not self.opened_at <= self.responded_at <= self.response_deadline
        ):
            raise InvalidDatetimeError(
                f"dispute {self.dispute_id}'s response is outside its window"
            )
        closed_at = self.decided_at if self.withdrawn_at is None else self.withdrawn_at
        if closed_at is not None and closed_at < self._last_step:
            raise InvalidDatetimeError(f"dispute {self.dispute_id} closed before its last step")
        if self.outcome is not None:
            _check_award(self.outcome, self.refund_amount, self.amount)
            if not responded and closed_at is not None and closed_at <= self.response_deadline:
                raise DisputeStateError(
                    f"dispute {self.dispute_id} was decided before the merchant's deadline"
                )

    @classmethod
    def new(
        cls,
        *,
        dispute_id: DisputeId,
        request: RefundRequest,
        evidence: DisputeEvidence,
        at: datetime,
        terms: DisputeTerms = DEFAULT_DISPUTE_TERMS,
        amount: Money | None = None,
    ) -> Dispute:
        """A dispute over a refused or lapsed ``request``, opened by the customer at ``at``.

        Check :func:`~icbc_wallet.policies.disputes.check_dispute_opening` first: this constructor
        enforces only what is always true, not the bank's opening window.

        Args:
            dispute_id: the new dispute's id.
            request: the refund request in dispute (REFUSED or LAPSED).
            evidence: the customer's evidence.
            at: the aware instant of opening, not before the request closed.
            terms: the time limits; the deadlines are ``at`` plus each.
            amount: the disputed amount: the whole request by default, or a part of it.

        Raises:
            DisputeStateError: ``request`` is not a RefundRequest, or not REFUSED or LAPSED.
            InvalidDatetimeError: ``at`` is before the request closed.
            InvalidTimeLimitError: ``terms`` is not a :class:`DisputeTerms`.
            InvalidAmountError: ``amount`` exceeds the request (and the class's errors).
        """
        if type(request) is not RefundRequest:
            raise DisputeStateError(
                f"a dispute is opened over a RefundRequest, not {type(request).__name__}"
            )
        if request.closed_at is None or not request.is_disputable:
            raise DisputeStateError(
                f"refund {request.refund_id} is {request.status}: only a refused or lapsed refund "
                "request can be disputed"
            )
        if type(terms) is not DisputeTerms:
            raise InvalidTimeLimitError(f"terms must be DisputeTerms, not {type(terms).__name__}")
        opened_at = _opened_at(at)
        if opened_at < request.closed_at:
            raise InvalidDatetimeError(
                f"a dispute opened at {opened_at.isoformat()} is before refund {request.refund_id} closed"
            )
        disputed = (
            request.requested
            if amount is None
            else _money(amount, "a disputed amount", request.requested.currency)
        )
        if disputed.minor > request.requested.minor:
            raise InvalidAmountError(
                f"the disputed {disputed} exceeds the refund asked for, {request.requested}"
            )
        return cls(
            dispute_id=dispute_id,
            refund_id=request.refund_id,
            payment_id=request.payment_id,
            wallet_id=request.wallet_id,
            merchant_id=request.merchant_id,
            amount=disputed,
            customer_evidence=evidence,
            opened_at=opened_at,
            response_deadline=opened_at + terms.merchant_response_time,
            decision_deadline=opened_at + terms.decision_time,
        )

    @property
    def is_terminal(self) -> bool:
        """True once DECIDED or WITHDRAWN: the dispute never changes again."""
        return self.status in (DisputeStatus.DECIDED, DisputeStatus.WITHDRAWN)

    def is_overdue(self, now: datetime) -> bool:
        """True when the bank has not decided (nor the customer withdrawn) by the decision deadline."""
        return not self.is_terminal and to_utc(now, "now") > self.decision_deadline

    def respond(self, evidence: DisputeEvidence, at: datetime) -> Dispute:
        """The dispute after the merchant submits ``evidence`` at ``at``, by the response deadline.

        Raises:
            DisputeStateError: the dispute is not OPEN, or ``at`` is after the response deadline.
            TextTypeError: ``evidence`` is not :class:`DisputeEvidence`.
            InvalidDatetimeError: ``at`` is before the dispute opened.
        """
        at = self._active_at(at, "responded to", DisputeStatus.OPEN)
        if at > self.response_deadline:
            raise DisputeStateError(
                f"the merchant had to respond to dispute {self.dispute_id} by "
                f"{self.response_deadline.isoformat()}"
            )
        _evidence(evidence, "merchant_evidence")
        return attrs.evolve(
            self, status=DisputeStatus.RESPONDED, merchant_evidence=evidence, responded_at=at
        )

    def decide(
        self, outcome: DisputeOutcome, refund_amount: Money, reason: str, at: datetime
    ) -> Dispute:
        """The dispute after the bank decides at ``at``.

        The bank decides once the merchant responded, or once the response deadline has passed.
        A decision after the decision deadline is accepted (the dispute was overdue).

        Args:
            outcome: who is responsible.
            refund_amount: zero when the customer is responsible; otherwise above zero and at most
                the disputed amount: the merchant's account bears it.
            reason: the bank's reasons (required).
            at: the aware instant of the decision.

        Raises:
            DisputeStateError: the dispute is closed, or still awaits the merchant's response.
            AmountTypeError, CurrencyMismatchError, InvalidAmountError: ``refund_amount`` is not
                Money in the dispute's currency, or does not fit the outcome.
            TextTypeError, InvalidTextError: a malformed ``reason``.
            InvalidDatetimeError: ``at`` is before the dispute's last step.
        """
        at = self._active_at(at, "decided", DisputeStatus.OPEN, DisputeStatus.RESPONDED)
        if self.status is DisputeStatus.OPEN and at <= self.response_deadline:
            raise DisputeStateError(
                f"dispute {self.dispute_id} awaits the merchant's response until "
                f"{self.response_deadline.isoformat()}: the bank decides after it"
            )
        checked = _outcome(outcome)
        if checked is None:
            raise DisputeStateError("a decision needs an outcome")
        _check_award(checked, refund_amount, self.amount)
        clean_text(reason, "decision_reason", MAX_DESCRIPTION_LENGTH, required=True, lines=True)
        return attrs.evolve(
            self,
            status=DisputeStatus.DECIDED,
            outcome=checked,
            refund_amount=refund_amount,
            decided_at=at,
            decision_reason=reason,
        )

    def decide_by_default(self, now: datetime) -> Dispute:
        """The dispute decided for the customer because the merchant did not respond in time.

        The bank's rule (our default): silence past the response deadline makes the merchant
        responsible for the full disputed amount, with :data:`DEFAULT_DECISION_REASON`.

        Raises:
            DisputeStateError: the dispute is not OPEN (a response must be weighed by the bank), or
                the response deadline has not passed.
        """
        if self.status is DisputeStatus.RESPONDED:
            raise DisputeStateError(
                f"the merchant responded to dispute {self.dispute_id}: the bank must weigh the "
                "evidence and decide"
            )
        now = self._active_at(now, "decided by default", DisputeStatus.OPEN)
        if now <= self.response_deadline:
            raise DisputeStateError(
                f"the merchant may respond to dispute {self.dispute_id} until "
                f"{self.response_deadline.isoformat()}"
            )
        return self.decide(
            DisputeOutcome.MERCHANT_RESPONSIBLE, self.amount, DEFAULT_DECISION_REASON, now
        )

    def withdraw(self, at: datetime) -> Dispute:
        """The dispute after the customer withdraws it at ``at``, any time before a decision.

        Raises:
            DisputeStateError: the dispute is already decided or withdrawn.
            InvalidDatetimeError: ``at`` is before the dispute's last step.
        """
        at = self._active_at(at, "withdrawn", DisputeStatus.OPEN, DisputeStatus.RESPONDED)
        return attrs.evolve(self, status=DisputeStatus.WITHDRAWN, withdrawn_at=at)

    @property
    def _last_step(self) -> datetime:
        return self.opened_at if self.responded_at is None else self.responded_at

    def _active_at(self, at: datetime, verb: str, *allowed: DisputeStatus) -> datetime:
        if self.status not in allowed:
            raise DisputeStateError(
                f"dispute {self.dispute_id} is {self.status}: it cannot be {verb}"
            )
        at = to_utc(at, "at")
        if at < self._last_step:
            raise InvalidDatetimeError(
                f"at {at.isoformat()} is before dispute {self.dispute_id}'s last step"
            )
        return at
