"""Statement queries: a wallet's consumption records for a period, read from its event history.

The wallet keeps running totals only; :class:`StatementQueries` asks the event store for the
history (a read for statements, never on the payment path) and turns each money event into
signed :class:`~icbc_wallet.domain.statements.StatementLine` values:

- ``ToppedUp``: TOP_UP +amount;
- ``Withdrawn``: WITHDRAWAL −(debited − fee), and FEE −fee when there is a fee;
- ``PaymentCaptured``: PAYMENT −amount, with the payment's category and the merchant's name (the
  merchant's own service fee is taken from what the merchant receives, not from the wallet);
- ``TransferSent``: TRANSFER_OUT −(debited − fee), and FEE −fee when there is a fee;
- ``TransferReceived``: TRANSFER_IN +amount (what arrived);
- ``RefundIssued``: REFUND +amount, with the payment's category. A dispute decided for the
  customer pays out as a ``RefundIssued`` whose reference is the dispute's id, so it nets the
  category's spending like any refund; ``DisputeDecided`` itself makes no line.

A fee is always its own line, so fees total exactly whether charged on top (the principal line
is the amount asked for) or deducted (the principal line is what reached the card or the other
wallet). The lines of one event add up to what the wallet's balance lost or gained. Holds
(authorisations, voids, expiries) move no posted money and make no lines.

The opening balance adds up every line before the period. When the period reaches the present,
the statement is reconciled against the wallet's posted balance: a missing line would raise
rather than print a wrong closing balance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Final

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.events import (
    Event,
    PaymentCaptured,
    RefundIssued,
    ToppedUp,
    TransferReceived,
    TransferSent,
    Withdrawn,
)
from icbc_wallet.domain.ids import MerchantId, WalletId, parse_id
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.statements import EntryKind, Period, Statement, StatementLine
from icbc_wallet.errors import InvalidPeriodError
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import ServiceBase

__all__ = ["StatementQueries"]

_MASK_KEEP: Final = 4  # the characters of another wallet's id a statement shows

_Names = Callable[[str], str]


def _period(period: object) -> Period:
    if type(period) is not Period:
        raise InvalidPeriodError(
            f"period must be a Period (Period.month, Period.day, Period.between), not {period!r}"
        )
    return period


def _other_wallet(wallet_id: str) -> str:
    """Another customer's wallet, as a statement shows it: ``wallet *0002``."""
    return f"wallet *{wallet_id[-_MASK_KEEP:]}"


def _no_names(_merchant_id: str) -> str:
    return ""


class StatementQueries(ServiceBase):
    """Statements and spending by category (mixed into ``WalletService``)."""

    def statement(self, wallet_id: str, period: Period) -> Statement:
        """The wallet's lines in ``period``, from the opening to the closing balance.

        Args:
            wallet_id: whose statement.
            period: the instants covered; build business days and months with
                :meth:`Period.day` and :meth:`Period.month` (or :meth:`monthly_statement`,
                which uses the policies' business zone).

        Raises:
            InvalidPeriodError: ``period`` is not a :class:`Period`.
            InvalidStatementError: the lines do not reconcile with the wallet's balance (a
                broken invariant, never a customer's mistake).
            NotFoundError: no such wallet.
        """
        wallet_key, checked = parse_id(wallet_id, WalletId), _period(period)
        now = self._now()
        with self._read() as uow:
            wallet = uow.wallets.get(wallet_key)
            events = uow.events.for_aggregate(wallet_key, None, checked.end)
            names = _merchant_names(uow)
            opening = 0
            lines: list[StatementLine] = []
            for event in events:
                if event.at < checked.start:
                    opening += sum(line.amount.minor for line in _lines(event, _no_names))
                else:
                    lines.extend(_lines(event, names))
        # Every event up to now is in: the lines must end where the wallet's balance is.
        closing = wallet.balance.posted if checked.end > now else None
        return Statement.build(
            wallet_key,
            checked,
            lines,
            Money._make(opening, wallet.currency),
            closing_balance=closing,
        )

    def monthly_statement(self, wallet_id: str, year: int, month: int) -> Statement:
        """The statement of one calendar month in the business zone of the policies.

        Raises:
            InvalidPeriodError: no such month.
            NotFoundError: no such wallet.
        """
        return self.statement(wallet_id, Period.month(year, month, self.policies.limits.zone))

    def spending_by_category(self, wallet_id: str, period: Period) -> Mapping[Category, Money]:
        """Payments less their refunds in ``period``, per category, in category order.

        Raises:
            InvalidPeriodError: ``period`` is not a :class:`Period`.
            NotFoundError: no such wallet.
        """
        return self.statement(wallet_id, period).spending_by_category()


def _merchant_names(uow: UnitOfWork) -> _Names:
    """A merchant's name by id, each merchant read once (its id when it cannot be found)."""
    found: dict[str, str] = {}

    def name(merchant_id: str) -> str:
        if merchant_id not in found:
            merchant = uow.merchants.find(MerchantId(merchant_id))
            found[merchant_id] = merchant_id if merchant is None else merchant.name
        return found[merchant_id]

    return name


def _lines(event: Event, names: _Names) -> Iterator[StatementLine]:
    """The statement lines of one event (none for events that move no posted money)."""
    at = event.at
    if isinstance(event, PaymentCaptured):
        yield StatementLine(
            at,
            EntryKind.PAYMENT,
            -event.amount,
            event.payment_id,
            event.category,
            names(event.merchant_id),
        )
    elif isinstance(event, ToppedUp):
        card = f"bank card *{event.card_last_four}"
        yield StatementLine(at, EntryKind.TOP_UP, event.amount, event.entry_id, None, card)
    elif isinstance(event, Withdrawn):
        card = f"bank card *{event.card_last_four}"
        yield from _with_fee(
            at, EntryKind.WITHDRAWAL, event.debited, event.fee, event.entry_id, card
        )
    elif isinstance(event, TransferSent):
        yield from _with_fee(
            at,
            EntryKind.TRANSFER_OUT,
            event.debited,
            event.fee,
            event.transfer_id,
            _other_wallet(event.to_wallet),
        )
    elif isinstance(event, TransferReceived):
        yield StatementLine(
            at,
            EntryKind.TRANSFER_IN,
            event.amount,
            event.transfer_id,
            None,
            _other_wallet(event.from_wallet),
        )
    elif isinstance(event, RefundIssued):
        yield StatementLine(
            at,
            EntryKind.REFUND,
            event.amount,
            event.refund_id,
            event.category,
            names(event.merchant_id),
            memo=f"refund of payment {event.payment_id}",
        )


def _with_fee(
    at: datetime, kind: EntryKind, debited: Money, fee: Money, reference: str, counterparty: str
) -> Iterator[StatementLine]:
    """The principal line (the debit less the fee) and, when there is one, the fee's line."""
    yield StatementLine(at, kind, -(debited - fee), reference, None, counterparty)
    if not fee.is_zero():
        yield StatementLine(at, EntryKind.FEE, -fee, reference, None, "", memo=f"{kind.value} fee")
