"""Merchants: a business's collection account, which receives payments and bears refunds.

A :class:`Merchant` is identified by its id and its unified social credit code (validated,
GB 32100). Its balance is what the bank owes it; it never goes negative, so a refund is paid
only from money the merchant has received.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import attrs

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.events import (
    Event,
    MerchantFundsHeld,
    MerchantFundsReleased,
    MerchantPaid,
    MerchantRefunded,
    MerchantRegistered,
)
from icbc_wallet.domain.identity import MerchantCreditCode
from icbc_wallet.domain.ids import MerchantId
from icbc_wallet.domain.ledger import AccountBalance, AccountId, AccountKind, JournalEntry
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import InvalidMerchantError
from icbc_wallet.wallet.payment import _slot_copier

__all__ = ["Merchant"]

_MAX_NAME = 100


@attrs.define(eq=False)
class Merchant:
    """A merchant collection account (identity by ``merchant_id``; ``version`` counts events)."""

    merchant_id: MerchantId
    name: str
    credit_code: MerchantCreditCode
    category: Category
    balance: AccountBalance
    version: int = 0
    _events: list[Event] = attrs.field(init=False, factory=list, repr=False)
    _account: AccountId | None = attrs.field(init=False, default=None, repr=False)

    @classmethod
    def register(
        cls,
        merchant_id: MerchantId,
        name: str,
        credit_code: MerchantCreditCode,
        category: Category,
        *,
        currency: str,
        at: datetime,
    ) -> Merchant:
        """Open a collection account (records :class:`MerchantRegistered`).

        Raises:
            InvalidMerchantError: an empty or overlong name.
        """
        if type(name) is not str or not name.strip() or len(name) > _MAX_NAME:
            raise InvalidMerchantError(f"a merchant name must be 1 to {_MAX_NAME} characters")
        merchant = cls(
            merchant_id, name.strip(), credit_code, category, AccountBalance.zero(currency)
        )
        merchant._record(MerchantRegistered, at, merchant_name=merchant.name, category=category)
        return merchant

    @property
    def account(self) -> AccountId:
        """The merchant's ledger account."""
        account = self._account
        if account is None:  # built once: every payment needs it, and it validates
            account = self._account = AccountId(AccountKind.MERCHANT, self.merchant_id)
        return account

    def pull_events(self) -> list[Event]:
        """The events recorded since the last pull."""
        events, self._events = self._events, []
        return events

    def clone(self) -> Merchant:
        """An independent copy (the new-event list is not shared)."""
        twin = _copy_merchant(self)
        twin._events = list(self._events)
        return twin

    def _record(self, kind: type[Event], at: datetime, **fields: object) -> None:
        self.version += 1
        self._events.append(
            kind(aggregate_id=self.merchant_id, version=self.version, at=at, **fields)
        )

    def _book(self, entry: JournalEntry) -> None:
        self.balance = self.balance.booked(self.account, entry)

    def receive(self, payment_id: str, entry: JournalEntry, at: datetime) -> None:
        """Book a captured payment (the entry's credit to this account)."""
        before = self.balance.posted
        self._book(entry)
        # both in the balance's currency (_add checked the entry's): no operator re-check
        received = Money._make(self.balance.posted.minor - before.minor, before.currency)
        self._record(
            MerchantPaid, at, payment_id=payment_id, amount=received, entry_id=entry.entry_id
        )

    def bear(self, refund_id: str, payment_id: str, entry: JournalEntry, at: datetime) -> None:
        """Book a refund paid from this account (raises InsufficientFundsError if it cannot)."""
        before = self.balance.posted
        self._book(entry)
        paid = before - self.balance.posted
        self._record(
            MerchantRefunded,
            at,
            refund_id=refund_id,
            payment_id=payment_id,
            amount=paid,
            entry_id=entry.entry_id,
        )

    def hold_for_dispute(
        self, dispute_id: str, payment_id: str, entry: JournalEntry, at: datetime
    ) -> None:
        """Book money set aside from this account while a dispute is open.

        Raises InsufficientFundsError if the account cannot cover it.
        """
        before = self.balance.posted
        self._book(entry)
        self._record(
            MerchantFundsHeld,
            at,
            dispute_id=dispute_id,
            payment_id=payment_id,
            amount=before - self.balance.posted,
            entry_id=entry.entry_id,
        )

    def settle_dispute(
        self, dispute_id: str, payment_id: str, entry: JournalEntry, refunded: Money, at: datetime
    ) -> None:
        """Book the end of a dispute: what comes back to this account (the customer got ``refunded``)."""
        before = self.balance.posted
        self._book(entry)
        self._record(
            MerchantFundsReleased,
            at,
            dispute_id=dispute_id,
            payment_id=payment_id,
            amount=self.balance.posted - before,
            refunded=refunded,
            entry_id=entry.entry_id,
        )


_copy_merchant: Final = _slot_copier(Merchant)
