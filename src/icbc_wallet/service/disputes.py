"""Disputes: a refused or lapsed refund request taken to the bank, which mediates and decides.

A refused or lapsed refund request (see :mod:`icbc_wallet.service.refunds`) may be taken to the
bank as a *dispute* (:class:`~icbc_wallet.domain.disputes.Dispute`): the customer gives
evidence, the merchant may respond by its deadline, and the bank decides who is responsible and
how much is refunded; a merchant who stays silent is found responsible for the whole disputed
amount.

**Never more than was captured.** Like a refund request, a dispute claims its amount on the
payment, so open claims and refunds together never exceed what was captured; deciding or
withdrawing settles the claim. The customer gets back exactly what the bank awards, free of
charge, and the merchant's fee goes back pro rata as with an accepted refund.

**Money in a dispute.** Opening a dispute sets the disputed amount aside in the
``DISPUTE_SUSPENSE`` account: from the merchant, the amount less its fee share; from fee income,
that share (:meth:`~icbc_wallet.wallet.payment.Payment.open_dispute`). The decision pays the
award from suspense to the customer; what is not awarded goes back to the merchant, less the fee
share set aside for it, which goes back to fee income
(:meth:`~icbc_wallet.wallet.payment.Payment.close_dispute`). Withdrawing is a decision awarding
nothing. Every entry balances, suspense is zero whenever no dispute is open, and the merchant
ends exactly where an accepted refund of the award would have left it.

**Declines are results.** A dispute that may not be opened (see
:func:`~icbc_wallet.policies.disputes.check_dispute_opening`) or asks for more than is still
refundable returns an :class:`~icbc_wallet.service.results.OperationResult` with the
``Declined`` decision. A declined command records nothing but its idempotency record; its
``reference`` is the refund request's id.

**Deadlines.** A response after the dispute's deadline, or a decision before the merchant's
deadline, raises. Run :meth:`DisputeCommands.decide_unanswered_disputes` periodically; opening a
dispute over an overdue request lapses it first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from icbc_wallet.domain.decisions import APPROVED, Declined, DeclineReason
from icbc_wallet.domain.disputes import (
    MAX_DESCRIPTION_LENGTH,
    Dispute,
    DisputeEvidence,
    DisputeOutcome,
    DisputeStatus,
)
from icbc_wallet.domain.events import (
    DisputeDecided,
    DisputeOpened,
    DisputeResponded,
    DisputeWithdrawn,
)
from icbc_wallet.domain.ids import DisputeId, RefundId, parse_id
from icbc_wallet.domain.ledger import AccountId, AccountKind
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.text import clean_text
from icbc_wallet.errors import (
    AmountTypeError,
    CorruptStateError,
    CurrencyMismatchError,
    DisputeStateError,
    InvalidAmountError,
    TextTypeError,
    WalletError,
)
from icbc_wallet.policies.disputes import check_dispute_opening
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import require_amount, sweep_limit
from icbc_wallet.service._claims import (
    FEE_INCOME,
    SWEEP_BATCH,
    ClaimCommands,
    journal_entry,
    nothing,
)
from icbc_wallet.service.results import OperationResult
from icbc_wallet.wallet.payment import Payment

__all__ = ["DisputeCommands"]

_SUSPENSE: Final = AccountId(AccountKind.DISPUTE_SUSPENSE)


def _evidence(evidence: object) -> DisputeEvidence:
    if type(evidence) is not DisputeEvidence:
        raise TextTypeError(f"evidence must be DisputeEvidence, not {type(evidence).__name__}")
    return evidence


def _outcome(outcome: DisputeOutcome | str) -> DisputeOutcome:
    try:
        return DisputeOutcome(outcome)
    except ValueError:
        known = ", ".join(o.value for o in DisputeOutcome)
        raise DisputeStateError(f"unknown outcome {outcome!r}; use one of {known}") from None


def _award(amount: object, outcome: DisputeOutcome, currency: str) -> Money | None:
    """Check a decision's refund amount against the outcome (the disputed cap is checked later)."""
    if amount is None:
        return None
    if type(amount) is not Money:
        raise AmountTypeError(f"refund_amount must be Money or None, not {type(amount).__name__}")
    if amount.currency != currency:
        raise CurrencyMismatchError(f"the wallet works in {currency}, not {amount.currency}")
    if outcome is DisputeOutcome.CUSTOMER_RESPONSIBLE and amount.minor != 0:
        raise InvalidAmountError(f"the customer is responsible: nothing is refunded, not {amount}")
    if outcome is DisputeOutcome.MERCHANT_RESPONSIBLE and amount.minor <= 0:
        raise InvalidAmountError(f"the merchant is responsible: refund above zero, not {amount}")
    return amount


class DisputeCommands(ClaimCommands):
    """Disputes (mixed into ``WalletService``); see the module docstring."""

    def open_dispute(
        self,
        refund_id: str,
        evidence: DisputeEvidence,
        amount: Money | None = None,
        *,
        idempotency_key: str,
    ) -> OperationResult:
        """Take a refused or lapsed refund request to the bank, with the customer's evidence.

        ``amount`` defaults to what the request asked. The disputed money is set aside in
        suspense (see the module docstring).

        Returns:
            The new dispute's id and the ``Approved`` decision (with the opening deadline); or
            the refund request's id and a ``Declined`` (``DISPUTE_NOT_REFUSED``,
            ``DISPUTE_ALREADY_OPEN``, ``DISPUTE_WINDOW_CLOSED``, ``REFUND_EXCEEDS_REFUNDABLE``).

        Raises:
            InvalidAmountError: ``amount`` exceeds what the request asked.
            InsufficientFundsError: the merchant's account cannot cover the disputed amount.
            NotFoundError: no such refund request.
        """
        refund_key = parse_id(refund_id, RefundId)
        evidence = _evidence(evidence)
        if amount is not None:
            amount = require_amount(amount, self.policies.limits.currency)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            request = uow.refunds.get(refund_key)
            overdue = request.is_overdue(now)
            standing = sum(
                d.status is not DisputeStatus.WITHDRAWN for d in uow.disputes.for_refund(refund_key)
            )
            terms = self.policies.dispute_terms
            # Judge the request as lapsed, but record the lapse only with an opened dispute: a
            # declined command records nothing (the sweep lapses it in its own time).
            judged = request.lapse(now) if overdue else request
            decision = check_dispute_opening(judged, now, terms, open_disputes=standing)
            if type(decision) is Declined:
                return OperationResult(refund_key, decision)
            if overdue:
                request = self._lapse(uow, request, now)
            dispute = Dispute.new(
                dispute_id=DisputeId(self._ids.new("D")),
                request=request,
                evidence=evidence,
                at=now,
                terms=terms,
                amount=amount,
            )
            payment = uow.payments.get(request.payment_id)
            disputed = dispute.amount
            if disputed > payment.refundable:
                return OperationResult(refund_key, self._exceeds(payment))
            wallet = uow.wallets.get(request.wallet_id)
            merchant = uow.merchants.get(request.merchant_id)
            fee_part = payment.open_dispute(disputed)
            entry = journal_entry(
                self._ids.new("E"),
                now,
                f"dispute {dispute.dispute_id} of payment {payment.payment_id}: set aside",
                (merchant.account, fee_part - disputed),
                (FEE_INCOME, -fee_part),
                (_SUSPENSE, disputed),
            )
            uow.ledger.post(entry)
            merchant.hold_for_dispute(dispute.dispute_id, payment.payment_id, entry, now)
            wallet.record(
                DisputeOpened,
                now,
                dispute_id=dispute.dispute_id,
                refund_id=refund_key,
                payment_id=payment.payment_id,
                merchant_id=payment.merchant_id,
                amount=disputed,
                response_deadline=dispute.response_deadline,
            )
            uow.disputes.put(dispute.dispute_id, dispute)
            self._save(uow, wallet, merchant)
            self._save_payment(uow, payment)
            return OperationResult(dispute.dispute_id, decision)

        params = {"refund": refund_key, "evidence": evidence, "amount": amount}
        return self._run(idempotency_key, "open_dispute", params, body)

    @staticmethod
    def _exceeds(payment: Payment) -> Declined:
        used = payment.refunded + payment.claimed
        return Declined(
            DeclineReason.REFUND_EXCEEDS_REFUNDABLE,
            limit=payment.captured,
            used=used,
            remaining=payment.refundable,
        )

    def respond_to_dispute(
        self, dispute_id: str, evidence: DisputeEvidence, *, idempotency_key: str
    ) -> OperationResult:
        """The merchant answers a dispute with its evidence, by the response deadline.

        Raises:
            DisputeStateError: the dispute is not awaiting a response, or the deadline passed.
            NotFoundError: no such dispute.
        """
        dispute_key = parse_id(dispute_id, DisputeId)
        evidence = _evidence(evidence)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            responded = uow.disputes.get(dispute_key).respond(evidence, now)
            wallet = uow.wallets.get(responded.wallet_id)
            wallet.record(DisputeResponded, now, dispute_id=dispute_key)
            uow.disputes.put(dispute_key, responded)
            self._save(uow, wallet)
            return OperationResult(dispute_key, APPROVED)

        params = {"dispute": dispute_key, "evidence": evidence}
        return self._run(idempotency_key, "respond_to_dispute", params, body)

    def decide_dispute(
        self,
        dispute_id: str,
        outcome: DisputeOutcome | str,
        refund_amount: Money | None,
        reason: str,
        *,
        idempotency_key: str,
    ) -> OperationResult:
        """The bank decides a dispute, once the merchant responded or its deadline passed.

        Args:
            dispute_id: the dispute.
            outcome: who is responsible.
            refund_amount: what the customer gets back: None for the default (the whole
                disputed amount when the merchant is responsible, nothing otherwise).
            reason: the bank's reasons (required).
            idempotency_key: the command's key.

        Returns:
            The dispute's id and APPROVED (the payment's ``fee_refunded`` shows the merchant's
            fee given back).

        Raises:
            DisputeStateError: the dispute is closed or still awaits the merchant's response.
            InvalidAmountError: ``refund_amount`` does not fit the outcome or exceeds the dispute.
            NotFoundError: no such dispute.
        """
        dispute_key = parse_id(dispute_id, DisputeId)
        checked = _outcome(outcome)
        award = _award(refund_amount, checked, self.policies.limits.currency)
        reason = clean_text(reason, "reason", MAX_DESCRIPTION_LENGTH, required=True, lines=True)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            dispute = uow.disputes.get(dispute_key)
            if award is not None:
                refunded = award
            elif checked is DisputeOutcome.MERCHANT_RESPONSIBLE:
                refunded = dispute.amount
            else:
                refunded = nothing(dispute.amount)
            decided = dispute.decide(checked, refunded, reason, now)
            self._close(uow, decided, now)
            return OperationResult(dispute_key, APPROVED)

        params = {"dispute": dispute_key, "outcome": checked, "amount": award, "reason": reason}
        return self._run(idempotency_key, "decide_dispute", params, body)

    def decide_unanswered_disputes(self, *, limit: int = SWEEP_BATCH) -> int:
        """Decide for the customer the disputes the merchant left unanswered (run periodically).

        Silence past the response deadline makes the merchant responsible for the whole
        disputed amount. Each is decided in its own unit of work; returns how many.
        """
        limit = sweep_limit(limit)
        now = self._now()
        with self._read() as uow:
            due = uow.disputes.unanswered(now, limit)
        decided = 0
        for dispute_id in due:
            with self._uow() as uow:
                dispute = uow.disputes.get(dispute_id)
                if dispute.status is not DisputeStatus.OPEN:
                    continue  # responded, decided or withdrawn since the query
                try:
                    self._close(uow, dispute.decide_by_default(now), now)
                    uow.commit()
                except CorruptStateError:  # stored data failed its checks: an operator's job
                    raise
                except WalletError:  # one broken item must not block the rest; it stays due
                    continue
                decided += 1
        return decided

    def withdraw_dispute(self, dispute_id: str, *, idempotency_key: str) -> OperationResult:
        """The customer withdraws a dispute before the decision; the money set aside goes back.

        Raises:
            DisputeStateError: the dispute is already decided or withdrawn.
            NotFoundError: no such dispute.
        """
        dispute_key = parse_id(dispute_id, DisputeId)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            withdrawn = uow.disputes.get(dispute_key).withdraw(now)
            self._close(uow, withdrawn, now)
            return OperationResult(dispute_key, APPROVED)

        return self._run(idempotency_key, "withdraw_dispute", {"dispute": dispute_key}, body)

    def _close(self, uow: UnitOfWork, closed: Dispute, now: datetime) -> None:
        """Pay out what a decided or withdrawn dispute set aside in suspense."""
        payment = uow.payments.get(closed.payment_id)
        wallet = uow.wallets.get(closed.wallet_id)
        merchant = uow.merchants.get(closed.merchant_id)
        disputed = closed.amount
        refunded = nothing(disputed) if closed.refund_amount is None else closed.refund_amount
        fee_back = payment.close_dispute(disputed, refunded)
        entry = journal_entry(
            self._ids.new("E"),
            now,
            f"dispute {closed.dispute_id} of payment {payment.payment_id}: {closed.status}",
            (_SUSPENSE, -disputed),
            (wallet.account, refunded),
            (merchant.account, disputed - refunded - fee_back),
            (FEE_INCOME, fee_back),
        )
        uow.ledger.post(entry)
        merchant.settle_dispute(closed.dispute_id, payment.payment_id, entry, refunded, now)
        if closed.outcome is None:
            wallet.record(DisputeWithdrawn, now, dispute_id=closed.dispute_id)
        else:
            wallet.record(
                DisputeDecided,
                now,
                dispute_id=closed.dispute_id,
                outcome=closed.outcome.value,
                refund_amount=refunded,
                reason=closed.decision_reason,
            )
        if refunded.minor:
            wallet.credit_refund(
                closed.dispute_id, payment, refunded, entry, now, settles_request=False
            )
        uow.disputes.put(closed.dispute_id, closed)
        self._save(uow, wallet, merchant)
        self._save_payment(uow, payment)

    # --- reads ---------------------------------------------------------------------------------

    def overdue_disputes(self, *, limit: int = SWEEP_BATCH) -> list[Dispute]:
        """Disputes the bank has not decided by their decision deadline, most overdue first.

        The merchant's deadline is enforced by :meth:`decide_unanswered_disputes`; the bank's
        own deadline is a work queue for its desk, so this lists rather than decides.
        """
        limit = sweep_limit(limit)
        now = self._now()
        with self._read() as uow:
            return [uow.disputes.get(key) for key in uow.disputes.overdue(now, limit)]

    def dispute(self, dispute_id: str) -> Dispute:
        """A dispute: evidence, deadlines and, once decided, the outcome."""
        with self._read() as uow:
            return uow.disputes.get(parse_id(dispute_id, DisputeId))

    def disputes_for(self, refund_id: str) -> list[Dispute]:
        """Every dispute over a refund request, oldest first (NotFoundError for no such request)."""
        refund_key = parse_id(refund_id, RefundId)
        with self._read() as uow:
            uow.refunds.get(refund_key)
            return uow.disputes.for_refund(refund_key)
