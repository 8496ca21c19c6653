"""Refunds: the customer asks the merchant to pay back (part of) a captured payment.

A *refund request* (:class:`~icbc_wallet.domain.refund_requests.RefundRequest`) asks a merchant
to pay back all or part of a captured payment, within the policies' refund window. The merchant
accepts (in full or in part) or refuses by the answer deadline; an unanswered request *lapses*.
A refused or lapsed request may be taken to the bank as a dispute (see
:mod:`icbc_wallet.service.disputes`).

**Never more than was captured.** A request (like a dispute) *claims* its amount on the payment
(:meth:`~icbc_wallet.wallet.payment.Payment.claim`), so open claims and refunds together never
exceed what was captured; answering or lapsing settles the claim. A request may be made once
the payment's capture is final (its hold closed), so the captured amount and the merchant's fee
no longer change.

**Fee treatment.** The customer always gets back exactly what the merchant accepts (or the bank
awards), and is charged nothing for it. The merchant's service fee, deducted when the payment was
captured, goes back to the merchant pro rata with each refund
(:meth:`~icbc_wallet.wallet.payment.Payment.settle_claim`): the merchant's account bears the
refund less that share, and fee income pays the share. The customer's own fees (withdrawals,
transfers) are never refunded. Limit usage is not given back either: the spending happened.

**Declines are results.** A refund outside the window or above what is still refundable returns
an :class:`~icbc_wallet.service.results.OperationResult` with the ``Declined`` decision. A
declined command records nothing but its idempotency record; its ``reference`` is the payment's
id.

**Deadlines.** An answer after the request's deadline raises. Run
:meth:`RefundCommands.lapse_refunds` periodically.
"""

from __future__ import annotations

from datetime import datetime

from icbc_wallet.domain.decisions import APPROVED, Declined
from icbc_wallet.domain.events import RefundRefused, RefundRequested
from icbc_wallet.domain.ids import PaymentId, RefundId, parse_id
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refund_requests import MAX_REASON_LENGTH, RefundRequest
from icbc_wallet.domain.text import clean_text
from icbc_wallet.errors import CorruptStateError, PaymentStateError, WalletError
from icbc_wallet.policies.refunds import check_refund
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

__all__ = ["RefundCommands"]


def _final_capture(payment: Payment) -> datetime:
    """When the payment was captured; refused while its hold is open or if nothing was captured."""
    if payment.is_open:
        raise PaymentStateError(
            f"payment {payment.payment_id} still holds {payment.hold.pending}: a refund may be "
            "asked once the capture is final"
        )
    if payment.captured_at is None:
        raise PaymentStateError(f"payment {payment.payment_id} captured nothing to refund")
    return payment.captured_at


class RefundCommands(ClaimCommands):
    """Refund requests (mixed into ``WalletService``); see the module docstring."""

    def request_refund(
        self, payment_id: str, amount: Money, reason: str = "", *, idempotency_key: str
    ) -> OperationResult:
        """Ask the merchant to refund ``amount`` of a captured payment.

        Args:
            payment_id: the payment, once its capture is final.
            amount: what to ask back (positive, in the wallet's currency).
            reason: the customer's reason (may be empty: a no-reason return).
            idempotency_key: the command's key.

        Returns:
            The new refund request's id and the ``Approved`` decision (with what stays
            refundable and the window's deadline); or the payment's id and a ``Declined``
            (``REFUND_WINDOW_CLOSED``, ``REFUND_EXCEEDS_REFUNDABLE``), recording nothing.

        Raises:
            PaymentStateError: the payment's hold is still open, or nothing was captured.
            NotFoundError: no such payment.
        """
        payment_key = parse_id(payment_id, PaymentId)
        amount = require_amount(amount, self.policies.limits.currency)
        reason = clean_text(reason, "reason", MAX_REASON_LENGTH, required=False, lines=True)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            payment = uow.payments.get(payment_key)
            decision = check_refund(
                self.policies.refund_window,
                transacted_at=_final_capture(payment),
                captured=payment.captured,
                refunded=payment.refunded + payment.claimed,
                requested=amount,
                now=now,
            )
            if type(decision) is Declined:
                return OperationResult(payment.payment_id, decision)
            wallet = uow.wallets.get(payment.wallet_id)
            request = RefundRequest.new(
                refund_id=RefundId(self._ids.new("RF")),
                payment_id=payment.payment_id,
                wallet_id=payment.wallet_id,
                merchant_id=payment.merchant_id,
                requested=amount,
                at=now,
                reason=reason,
                answer_within=self.policies.merchant_answer_time,
            )
            payment.claim(amount)
            wallet.record(
                RefundRequested,
                now,
                refund_id=request.refund_id,
                payment_id=payment.payment_id,
                merchant_id=payment.merchant_id,
                amount=amount,
                answer_deadline=request.answer_deadline,
            )
            uow.refunds.put(request.refund_id, request)
            self._save(uow, wallet)
            self._save_payment(uow, payment)
            return OperationResult(request.refund_id, decision)

        params = {"payment": payment_key, "amount": amount, "reason": reason}
        return self._run(idempotency_key, "request_refund", params, body)

    def accept_refund(
        self, refund_id: str, amount: Money | None = None, *, idempotency_key: str
    ) -> OperationResult:
        """The merchant accepts a request in full (``amount`` None) or in part, by its deadline.

        The merchant's account pays ``amount`` less its fee share, fee income the share; the
        wallet gets exactly ``amount``. Returns the refund id with ``fee`` = the share of the
        merchant's fee given back.

        Raises:
            RefundStateError: the request was already answered, its deadline passed, or
                ``amount`` exceeds what was asked.
            InsufficientFundsError: the merchant's account cannot pay it.
            NotFoundError: no such refund request.
        """
        refund_key = parse_id(refund_id, RefundId)
        if amount is not None:
            amount = require_amount(amount, self.policies.limits.currency)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            request = uow.refunds.get(refund_key)
            accepted = request.accept(request.requested if amount is None else amount, now)
            paid = accepted.accepted
            assert paid is not None  # for mypy: an ACCEPTED request has its amount
            payment = uow.payments.get(request.payment_id)
            wallet = uow.wallets.get(request.wallet_id)
            merchant = uow.merchants.get(request.merchant_id)
            share = payment.settle_claim(request.requested, paid)
            entry = journal_entry(
                self._ids.new("E"),
                now,
                f"refund {refund_key} of payment {payment.payment_id}",
                (wallet.account, paid),
                (merchant.account, share - paid),
                (FEE_INCOME, -share),
            )
            uow.ledger.post(entry)
            merchant.bear(refund_key, payment.payment_id, entry, now)
            wallet.credit_refund(refund_key, payment, paid, entry, now)
            uow.refunds.put(refund_key, accepted)
            self._save(uow, wallet, merchant)
            self._save_payment(uow, payment)
            return OperationResult(refund_key, APPROVED, share)

        params = {"refund": refund_key, "amount": amount}
        return self._run(idempotency_key, "accept_refund", params, body)

    def refuse_refund(
        self, refund_id: str, reason: str, *, idempotency_key: str
    ) -> OperationResult:
        """The merchant refuses a request by its deadline, saying why; the claim is released.

        Raises:
            RefundStateError: the request was already answered, or its deadline passed.
            NotFoundError: no such refund request.
        """
        refund_key = parse_id(refund_id, RefundId)
        reason = clean_text(reason, "reason", MAX_REASON_LENGTH, required=True, lines=True)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            request = uow.refunds.get(refund_key)
            refused = request.refuse(reason, now)
            payment = uow.payments.get(request.payment_id)
            wallet = uow.wallets.get(request.wallet_id)
            payment.settle_claim(request.requested, nothing(request.requested))
            wallet.record(
                RefundRefused,
                now,
                refund_id=refund_key,
                payment_id=payment.payment_id,
                reason=reason,
            )
            uow.refunds.put(refund_key, refused)
            self._save(uow, wallet)
            self._save_payment(uow, payment)
            return OperationResult(refund_key, APPROVED)

        params = {"refund": refund_key, "reason": reason}
        return self._run(idempotency_key, "refuse_refund", params, body)

    def lapse_refunds(self, *, limit: int = SWEEP_BATCH) -> int:
        """Lapse requests left unanswered past their deadline (run periodically).

        Each lapses in its own unit of work; returns how many lapsed.
        """
        limit = sweep_limit(limit)
        now = self._now()
        with self._read() as uow:
            due = uow.refunds.unanswered(now, limit)
        lapsed = 0
        for refund_id in due:
            with self._uow() as uow:
                request = uow.refunds.get(refund_id)
                if not request.is_overdue(now):
                    continue  # answered since the query
                try:
                    self._lapse(uow, request, now)
                    uow.commit()
                except CorruptStateError:  # stored data failed its checks: an operator's job
                    raise
                except WalletError:  # one broken item must not block the rest; it stays due
                    continue
                lapsed += 1
        return lapsed

    # --- reads ---------------------------------------------------------------------------------

    def refund(self, refund_id: str) -> RefundRequest:
        """A refund request and its answer, if any."""
        with self._read() as uow:
            return uow.refunds.get(parse_id(refund_id, RefundId))

    def refunds_for(self, payment_id: str) -> list[RefundRequest]:
        """Every refund request of a payment, oldest first (NotFoundError for no such payment)."""
        payment_key = parse_id(payment_id, PaymentId)
        with self._read() as uow:
            uow.payments.get(payment_key)
            return uow.refunds.for_payment(payment_key)
