"""Events: frozen, past-tense records of every change to a wallet or a merchant.

An event says what happened, never what should happen. Each carries the id of the aggregate it
belongs to (a wallet or a merchant), the aggregate's ``version`` after the change (so
``(aggregate_id, version)`` is unique and ordered) and the aware instant it happened. Events are
saved with the change in one transaction (the outbox) and later delivered to notifiers; the
wallet's statements are read from them. Card, ID and phone numbers appear only as their masked
value objects, so an event's repr never shows them in clear.

```pycon
>>> from datetime import datetime, timezone
>>> from icbc_wallet.domain.money import Money
>>> event = ToppedUp(
...     aggregate_id="W1", version=3, at=datetime(2026, 3, 1, tzinfo=timezone.utc),
...     amount=Money.of("100"), card_last_four="8888", entry_id="E1",
... )
>>> event.name, event.wallet_id, event.version
('ToppedUp', 'W1', 3)

```
"""

from __future__ import annotations

from datetime import datetime

import attrs

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.identity import BankCard, PhoneNumber
from icbc_wallet.domain.limits import Limit, LimitWindow, PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind

__all__ = [
    "AuthenticatorEnrolled",
    "CardBound",
    "DisputeDecided",
    "DisputeOpened",
    "DisputeResponded",
    "DisputeWithdrawn",
    "Event",
    "LimitIncreaseApproved",
    "LimitIncreaseDeclined",
    "LimitIncreaseExpired",
    "LimitUsageWarning",
    "MerchantEvent",
    "MerchantFundsHeld",
    "MerchantFundsReleased",
    "MerchantPaid",
    "MerchantRefunded",
    "MerchantRegistered",
    "OperationDeclined",
    "PaymentAuthorised",
    "PaymentCaptured",
    "PaymentDeclined",
    "PaymentExpired",
    "PaymentVoided",
    "RefundIssued",
    "RefundLapsed",
    "RefundRefused",
    "RefundRequested",
    "RiskAlertRaised",
    "ToppedUp",
    "TransferReceived",
    "TransferSent",
    "WalletClosed",
    "WalletEvent",
    "WalletFrozen",
    "WalletOpened",
    "WalletUnfrozen",
    "Withdrawn",
]


@attrs.frozen(kw_only=True)
class Event:
    """Something that happened to an aggregate.

    Attributes:
        aggregate_id: the wallet or merchant the event belongs to.
        version: the aggregate's version after the change (1 for the first event).
        at: when it happened (aware).
    """

    aggregate_id: str
    version: int
    at: datetime

    @property
    def name(self) -> str:
        """The event's type name, e.g. ``"PaymentCaptured"``: stable, stored with the event."""
        return type(self).__name__


@attrs.frozen(kw_only=True)
class WalletEvent(Event):
    """An event of a customer's wallet."""

    @property
    def wallet_id(self) -> str:
        """The wallet the event belongs to."""
        return self.aggregate_id


@attrs.frozen(kw_only=True)
class MerchantEvent(Event):
    """An event of a merchant's collection account."""

    @property
    def merchant_id(self) -> str:
        """The merchant the event belongs to."""
        return self.aggregate_id


# --- the wallet's life -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WalletOpened(WalletEvent):
    """A registration was submitted and the wallet opened at ``tier``."""

    tier: str
    phone: PhoneNumber
    currency: str


@attrs.frozen(kw_only=True)
class CardBound(WalletEvent):
    """A verified bank card of the holder was bound to the wallet."""

    card: BankCard


@attrs.frozen(kw_only=True)
class WalletFrozen(WalletEvent):
    """The wallet was frozen: no money may leave or enter it until unfrozen."""

    reason: str


@attrs.frozen(kw_only=True)
class WalletUnfrozen(WalletEvent):
    """A frozen wallet was made active again."""


@attrs.frozen(kw_only=True)
class WalletClosed(WalletEvent):
    """The wallet was closed for good (its balance was zero)."""


# --- money in and out --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ToppedUp(WalletEvent):
    """Money came in from a bound bank card."""

    amount: Money
    card_last_four: str
    entry_id: str


@attrs.frozen(kw_only=True)
class Withdrawn(WalletEvent):
    """Money went out to a bound bank card; ``fee`` went to the bank (on top or deducted)."""

    amount: Money
    fee: Money
    debited: Money
    card_last_four: str
    entry_id: str


@attrs.frozen(kw_only=True)
class OperationDeclined(WalletEvent):
    """A top-up, withdrawal or transfer was declined by a policy (a normal outcome)."""

    operation: OperationKind
    reference: str
    amount: Money
    reason: DeclineReason
    limit: Money | None = None
    used: Money | None = None
    remaining: Money | None = None


@attrs.frozen(kw_only=True)
class LimitUsageWarning(WalletEvent):
    """Spending crossed a share (80 % by default) of a limit window's cap."""

    window: LimitWindow
    used: Money
    limit: Money
    percent: int


# --- payments ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PaymentAuthorised(WalletEvent):
    """Money was put on hold for a merchant payment; it counts against limits from now on."""

    payment_id: str
    merchant_id: str
    amount: Money
    method: PaymentMethod
    channel: Channel
    category: Category
    expires_at: datetime


@attrs.frozen(kw_only=True)
class PaymentCaptured(WalletEvent):
    """Held money was paid to the merchant (all of it, or a part when ``final`` is False)."""

    payment_id: str
    merchant_id: str
    amount: Money
    fee: Money
    category: Category
    final: bool
    entry_id: str


@attrs.frozen(kw_only=True)
class PaymentVoided(WalletEvent):
    """What was left of a hold was released without being paid."""

    payment_id: str
    released: Money


@attrs.frozen(kw_only=True)
class PaymentExpired(WalletEvent):
    """A hold reached its deadline uncaptured; what was left of it was released."""

    payment_id: str
    released: Money


@attrs.frozen(kw_only=True)
class PaymentDeclined(WalletEvent):
    """A merchant payment was declined by a policy (a normal outcome, not an error)."""

    payment_id: str
    merchant_id: str
    amount: Money
    method: PaymentMethod
    reason: DeclineReason
    limit: Money | None = None
    used: Money | None = None
    remaining: Money | None = None


# --- transfers ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TransferSent(WalletEvent):
    """Money was sent to another wallet; ``debited`` left the sender (with an on-top fee)."""

    transfer_id: str
    to_wallet: str
    amount: Money
    fee: Money
    debited: Money
    entry_id: str


@attrs.frozen(kw_only=True)
class TransferReceived(WalletEvent):
    """Money was received from another wallet."""

    transfer_id: str
    from_wallet: str
    amount: Money
    entry_id: str


# --- refunds and disputes (recorded on the customer's wallet) ----------------------------------


@attrs.frozen(kw_only=True)
class RefundRequested(WalletEvent):
    """The customer asked the merchant for a refund of a captured payment."""

    refund_id: str
    payment_id: str
    merchant_id: str
    amount: Money
    answer_deadline: datetime


@attrs.frozen(kw_only=True)
class RefundIssued(WalletEvent):
    """The merchant (or the bank, deciding a dispute) refunded money to the wallet."""

    refund_id: str
    payment_id: str
    merchant_id: str
    amount: Money
    category: Category
    entry_id: str


@attrs.frozen(kw_only=True)
class RefundRefused(WalletEvent):
    """The merchant refused a refund request; the customer may open a dispute."""

    refund_id: str
    payment_id: str
    reason: str


@attrs.frozen(kw_only=True)
class RefundLapsed(WalletEvent):
    """The merchant did not answer a refund request by its deadline."""

    refund_id: str
    payment_id: str


@attrs.frozen(kw_only=True)
class DisputeOpened(WalletEvent):
    """The customer asked the bank to mediate a refused or unanswered refund."""

    dispute_id: str
    refund_id: str
    payment_id: str
    merchant_id: str
    amount: Money
    response_deadline: datetime


@attrs.frozen(kw_only=True)
class DisputeResponded(WalletEvent):
    """The merchant answered a dispute with its evidence."""

    dispute_id: str


@attrs.frozen(kw_only=True)
class DisputeDecided(WalletEvent):
    """The bank decided a dispute; ``refund_amount`` is zero when the customer was responsible."""

    dispute_id: str
    outcome: str
    refund_amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class DisputeWithdrawn(WalletEvent):
    """The customer withdrew a dispute before the bank decided it."""

    dispute_id: str


# --- limit increases ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LimitIncreaseApproved(WalletEvent):
    """The bank granted higher limits until ``expires_at``."""

    limit: Limit
    expires_at: datetime


@attrs.frozen(kw_only=True)
class LimitIncreaseDeclined(WalletEvent):
    """The bank declined a limit increase; ``reasons`` are stable decline codes."""

    reasons: tuple[str, ...]


@attrs.frozen(kw_only=True)
class LimitIncreaseExpired(WalletEvent):
    """A granted limit increase reached its end; the tier's limits apply again."""


# --- security ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RiskAlertRaised(WalletEvent):
    """Risk monitoring challenged or stopped an operation; nothing was frozen.

    ``rules`` are the stable ids of the rules that fired and ``explanation`` their numbers (no
    payee, device or personal number). The operation itself is recorded by its own event.
    """

    operation: OperationKind
    amount: Money
    outcome: str
    rules: tuple[str, ...]
    explanation: str


@attrs.frozen(kw_only=True)
class AuthenticatorEnrolled(WalletEvent):
    """An authenticator app (TOTP) was set up; ``replaced``: it took the place of another."""

    replaced: bool


# --- merchants ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class MerchantRegistered(MerchantEvent):
    """A merchant collection account was opened."""

    merchant_name: str
    category: Category


@attrs.frozen(kw_only=True)
class MerchantPaid(MerchantEvent):
    """A customer's payment reached the merchant's account."""

    payment_id: str
    amount: Money
    entry_id: str


@attrs.frozen(kw_only=True)
class MerchantRefunded(MerchantEvent):
    """The merchant's account bore a refund (accepted, or decided against it in a dispute)."""

    refund_id: str
    payment_id: str
    amount: Money
    entry_id: str


@attrs.frozen(kw_only=True)
class MerchantFundsHeld(MerchantEvent):
    """A dispute was opened: ``amount`` was set aside from the account until the bank decides."""

    dispute_id: str
    payment_id: str
    amount: Money
    entry_id: str


@attrs.frozen(kw_only=True)
class MerchantFundsReleased(MerchantEvent):
    """A dispute closed: ``amount`` of the money set aside came back to the account.

    ``refunded`` went to the customer (zero when the customer was found responsible or withdrew):
    the merchant bore it, less the share of its fee that goes back with it.
    """

    dispute_id: str
    payment_id: str
    amount: Money
    refunded: Money
    entry_id: str
