"""Transactions and bad rows: the values a transaction file is read into.

A :class:`Transaction` is one outflow of a customer's wallet; a :class:`RowError` is a row of a
file that is not one, with the line it starts on and what is wrong with it. The columns a file
has and the methods each kind of outflow may use are defined here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

import attrs

from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind

__all__ = [
    "ALLOWED_METHODS",
    "IMPLIED_METHODS",
    "MERCHANT_METHODS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "RowError",
    "Transaction",
]

REQUIRED_COLUMNS: Final = ("id", "customer", "tier", "at", "kind", "method", "amount")
OPTIONAL_COLUMNS: Final = ("channel", "currency")

MERCHANT_METHODS: Final = frozenset(
    {PaymentMethod.STATIC_QR, PaymentMethod.DYNAMIC_QR, PaymentMethod.NFC, PaymentMethod.ONLINE}
)
"""How a merchant may be paid (the wallet service refuses any other method for a payment)."""
_ANY_METHOD: Final = frozenset(PaymentMethod)
ALLOWED_METHODS: Final[Mapping[OperationKind, frozenset[PaymentMethod]]] = {
    OperationKind.PAYMENT: MERCHANT_METHODS,
    OperationKind.WITHDRAWAL: frozenset({PaymentMethod.WITHDRAWAL}),
    OperationKind.TRANSFER: frozenset({PaymentMethod.P2P_TRANSFER}),
    OperationKind.CROSS_BORDER: _ANY_METHOD,
    OperationKind.CREDIT_CARD_REPAYMENT: _ANY_METHOD,
}
"""The payment methods each outflow may use (a top-up, money in, is not one)."""
IMPLIED_METHODS: Final = {
    OperationKind.WITHDRAWAL: PaymentMethod.WITHDRAWAL,
    OperationKind.TRANSFER: PaymentMethod.P2P_TRANSFER,
}
"""The method a withdrawal or a transfer uses when its row leaves the method empty."""


@attrs.frozen(slots=True)
class Transaction:
    """One outflow from a customer's wallet, as recorded in a transaction file.

    ``__init__`` checks nothing: a file's rows are checked by the reader, which reports the bad
    ones as :class:`RowError` s, and what a policy set cannot evaluate is declined by the replay.

    Attributes:
        id: the transaction's id in its file.
        customer: a pseudonymous customer id (never a phone or ID number).
        tier: the customer's verification tier then (a tier name of the policy set's limits).
        at: when it happened (timezone-aware).
        kind: what it was: a payment, a withdrawal, a transfer, ...
        method: how the money left: a QR code, NFC, online, a withdrawal, a transfer.
        amount: how much (positive).
        channel: where it was made; None for the service's default (mobile).
    """

    id: str
    customer: str
    tier: str
    at: datetime
    kind: OperationKind
    method: PaymentMethod
    amount: Money
    channel: Channel | None = None

    @staticmethod
    def _make(
        id: str,
        customer: str,
        tier: str,
        at: datetime,
        kind: OperationKind,
        method: PaymentMethod,
        amount: Money,
        channel: Channel | None,
    ) -> Transaction:
        """Build from checked values without ``__init__`` (the reader's hot path)."""
        row = _NEW(Transaction)
        _SET_ID(row, id)
        _SET_CUSTOMER(row, customer)
        _SET_TIER(row, tier)
        _SET_AT(row, at)
        _SET_KIND(row, kind)
        _SET_METHOD(row, method)
        _SET_AMOUNT(row, amount)
        _SET_CHANNEL(row, channel)
        return row


_NEW: Final = object.__new__
(
    _SET_ID,
    _SET_CUSTOMER,
    _SET_TIER,
    _SET_AT,
    _SET_KIND,
    _SET_METHOD,
    _SET_AMOUNT,
    _SET_CHANNEL,
) = (Transaction.__dict__[field.name].__set__ for field in attrs.fields(Transaction))


@attrs.frozen
class RowError:
    """A row of a transaction file that is not a transaction: where, and what is wrong.

    Attributes:
        line: the physical line the row starts on (the header is line 1). For Parquet files,
            the 1-based row number plus one, as if the file had a header line.
        message: every problem found, each naming its column.
    """

    line: int
    message: str
