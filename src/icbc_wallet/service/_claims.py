"""What refund requests and disputes share: the claim's journal entries and the lapse.

A refund request and a dispute each *claim* their amount on a payment; both post entries that
leave out zero legs, and opening a dispute over an overdue request lapses the request exactly as
the sweep does (see :mod:`icbc_wallet.service.refunds` and :mod:`icbc_wallet.service.disputes`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from icbc_wallet.domain.events import RefundLapsed
from icbc_wallet.domain.ledger import AccountId, AccountKind, JournalEntry, Posting
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refund_requests import RefundRequest
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import ServiceBase

__all__ = ["FEE_INCOME", "SWEEP_BATCH", "ClaimCommands", "journal_entry", "nothing"]

SWEEP_BATCH: Final = 100
FEE_INCOME: Final = AccountId(AccountKind.FEE_INCOME)


def nothing(like: Money) -> Money:
    """Zero in the currency of ``like``."""
    return Money._make(0, like.currency)


def journal_entry(
    entry_id: str, at: datetime, memo: str, *legs: tuple[AccountId, Money]
) -> JournalEntry:
    """A journal entry of the legs that move something (a zero leg is left out)."""
    postings = [Posting(account, amount) for account, amount in legs if amount.minor]
    return JournalEntry(entry_id, postings, at, memo)


class ClaimCommands(ServiceBase):
    """The step refund requests and disputes share (mixed into ``WalletService`` through both)."""

    def _lapse(self, uow: UnitOfWork, request: RefundRequest, now: datetime) -> RefundRequest:
        lapsed = request.lapse(now)
        payment = uow.payments.get(request.payment_id)
        wallet = uow.wallets.get(request.wallet_id)
        payment.settle_claim(request.requested, nothing(request.requested))
        wallet.record(RefundLapsed, now, refund_id=request.refund_id, payment_id=request.payment_id)
        uow.refunds.put(request.refund_id, lapsed)
        self._save(uow, wallet)
        self._save_payment(uow, payment)
        return lapsed
