"""Limit increase use cases: a customer applies for higher caps; the bank grants them for a while.

:meth:`LimitCommands.apply_for_limit_increase` summarises the wallet's history from the event
store (the wallet keeps running totals, not its history), asks the pure review policy
(:func:`~icbc_wallet.policies.limit_increase.review_limit_increase`) and records the answer:
:class:`~icbc_wallet.domain.events.LimitIncreaseApproved` with the new, time-bounded caps, or
:class:`~icbc_wallet.domain.events.LimitIncreaseDeclined` with the stable codes of every unmet
condition. A grant lapses by itself: the next command that loads the wallet after its end puts
the tier's limits back and records :class:`~icbc_wallet.domain.events.LimitIncreaseExpired`.

What the history counts (as of the application):

- the account's age in whole days of 24 hours since the wallet opened;
- payments captured in the last 90 days, each payment once however many parts it was captured
  in, and the captured total;
- declined payments and declined top-ups, withdrawals and transfers in the last 30 days;
- disputes ever decided against the customer (``customer_responsible``);
- refunds received in the last 90 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from icbc_wallet.domain.disputes import DisputeOutcome
from icbc_wallet.domain.events import (
    DisputeDecided,
    LimitIncreaseApproved,
    LimitIncreaseDeclined,
    OperationDeclined,
    PaymentCaptured,
    PaymentDeclined,
    RefundIssued,
)
from icbc_wallet.domain.ids import WalletId, parse_id
from icbc_wallet.domain.limit_increase import (
    IncreaseApproved,
    LimitIncreaseDecision,
    LimitIncreaseRequest,
    TransactionHistory,
)
from icbc_wallet.domain.limits import Limit
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import CurrencyMismatchError, WalletClosedError, WalletStateError
from icbc_wallet.policies.limit_increase import review_limit_increase
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import ServiceBase
from icbc_wallet.wallet.aggregate import Wallet, WalletStatus

__all__ = ["DECLINE_WINDOW", "PAYMENT_WINDOW", "LimitCommands"]

PAYMENT_WINDOW: Final = timedelta(days=90)
"""How far back payments and refunds count for a limit increase."""
DECLINE_WINDOW: Final = timedelta(days=30)
"""How far back declined transactions count for a limit increase."""

_LOST: Final = DisputeOutcome.CUSTOMER_RESPONSIBLE.value
_DECLINES: Final = (PaymentDeclined, OperationDeclined)


class LimitCommands(ServiceBase):
    """Limit increases (mixed into ``WalletService``)."""

    def apply_for_limit_increase(
        self, wallet_id: str, requested: Limit, reason: str, *, idempotency_key: str
    ) -> LimitIncreaseDecision:
        """Apply for higher caps; the bank reviews the tier and the history at once.

        Args:
            wallet_id: the applicant's wallet.
            requested: every cap asked for (the tier's overall limit is what is raised; a
                ``None`` window asks for no cap there).
            reason: why, in the customer's words (1 to 200 characters).
            idempotency_key: the command's key.

        Returns:
            ``IncreaseApproved`` with the grant (its caps apply from now until
            ``grant.expires_at``), or ``IncreaseDeclined`` listing every unmet condition.
            Either is recorded as an event.

        Raises:
            InvalidLimitIncreaseError: ``requested`` is not a :class:`Limit`, or it lowers a cap
                or raises none.
            TextTypeError, InvalidTextError: ``reason`` is not a proper text.
            CurrencyMismatchError: the caps are not in the wallet's currency.
            WalletClosedError: the wallet is closed.
            WalletStateError: the wallet is frozen (unfreeze it first), or an increase granted
                earlier is still running (a new one would replace it, and could lower it).
            NotFoundError: no such wallet.
        """
        wallet_key = parse_id(wallet_id, WalletId)
        checked = LimitIncreaseRequest(requested, reason, self._now())
        currency = self.policies.limits.currency
        if checked.requested.currency not in (None, currency):
            raise CurrencyMismatchError(
                f"the caps asked for are in {checked.requested.currency}, the wallet in {currency}"
            )

        def body(uow: UnitOfWork, now: datetime) -> LimitIncreaseDecision:
            wallet = self._load_wallet(uow, wallet_key, now)
            if wallet.status is WalletStatus.CLOSED:
                raise WalletClosedError(f"wallet {wallet_key} is closed")
            if wallet.status is WalletStatus.FROZEN:
                raise WalletStateError(f"wallet {wallet_key} is frozen; unfreeze it first")
            if wallet.grant is not None:  # _load_wallet has expired a lapsed one
                raise WalletStateError(
                    f"wallet {wallet_key} has an increase until "
                    f"{wallet.grant.expires_at.isoformat()}; apply again when it ends"
                )
            request = LimitIncreaseRequest(checked.requested, checked.reason, now)
            decision = review_limit_increase(
                request,
                wallet.tier,
                self.policies.limits.tier(wallet.tier),
                self._history(uow, wallet, now),
                self.policies.increase_terms,
                now,
            )
            if isinstance(decision, IncreaseApproved):
                grant = decision.grant
                wallet.grant = grant
                self._apply_tier(wallet, wallet.tier, now)
                wallet.record(
                    LimitIncreaseApproved, now, limit=grant.limit, expires_at=grant.expires_at
                )
            else:
                codes = tuple(why.code for why in decision.decline_reasons)
                wallet.record(LimitIncreaseDeclined, now, reasons=codes)
            self._save(uow, wallet)
            return decision

        params = {"wallet": wallet_key, "requested": checked.requested, "reason": checked.reason}
        return self._run(idempotency_key, "apply_for_limit_increase", params, body)

    def transaction_history(self, wallet_id: str) -> TransactionHistory:
        """What a limit increase review would see for this wallet now (read-only).

        Raises:
            NotFoundError: no such wallet.
        """
        wallet_key = parse_id(wallet_id, WalletId)
        now = self._now()
        with self._read() as uow:
            return self._history(uow, uow.wallets.get(wallet_key), now)

    @staticmethod
    def _history(uow: UnitOfWork, wallet: Wallet, now: datetime) -> TransactionHistory:
        """Summarise the wallet's events up to ``now`` (a history read: never on the hot path)."""
        payments_since, declines_since = now - PAYMENT_WINDOW, now - DECLINE_WINDOW
        payments: set[str] = set()
        paid = declines = lost = refunds = 0
        # Lost disputes count for ever, so the whole history is read once.
        for event in uow.events.for_aggregate(wallet.wallet_id):
            if isinstance(event, DisputeDecided):
                if event.outcome == _LOST:
                    lost += 1
            elif event.at < payments_since:
                continue
            elif isinstance(event, PaymentCaptured):
                payments.add(event.payment_id)
                paid += event.amount.minor
            elif isinstance(event, RefundIssued):
                refunds += 1
            elif isinstance(event, _DECLINES) and event.at >= declines_since:
                declines += 1
        return TransactionHistory(
            account_age_days=max((now - wallet.opened_at) // timedelta(days=1), 0),
            payments_90d=len(payments),
            payments_total_90d=Money._make(paid, wallet.currency),
            declines_30d=declines,
            disputes_lost=lost,
            refunds_90d=refunds,
        )
