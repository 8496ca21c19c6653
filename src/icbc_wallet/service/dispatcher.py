"""The dispatcher: delivers saved events to the notifier, at least once.

Events are saved in the outbox in the same transaction as the change that made them. The
dispatcher reads undelivered events in order, turns each into the notifications a customer or
merchant would expect (:func:`notifications_for`), hands them to the :class:`Notifier` and only
then marks the event delivered. A crash between the two redelivers the event: the notification's
id (the event's outbox position) lets the notifier drop the duplicate.
"""

from __future__ import annotations

from collections.abc import Callable

from icbc_wallet.domain.events import (
    AuthenticatorEnrolled,
    CardBound,
    DisputeDecided,
    DisputeOpened,
    DisputeResponded,
    DisputeWithdrawn,
    Event,
    LimitIncreaseApproved,
    LimitIncreaseDeclined,
    LimitIncreaseExpired,
    LimitUsageWarning,
    MerchantFundsHeld,
    MerchantFundsReleased,
    MerchantPaid,
    MerchantRefunded,
    OperationDeclined,
    PaymentCaptured,
    PaymentDeclined,
    RefundIssued,
    RefundLapsed,
    RefundRefused,
    RefundRequested,
    RiskAlertRaised,
    ToppedUp,
    TransferReceived,
    TransferSent,
    WalletClosed,
    WalletFrozen,
    WalletOpened,
    WalletUnfrozen,
    Withdrawn,
)
from icbc_wallet.ports.notifications import Notification, NotificationKind, Notifier
from icbc_wallet.ports.persistence import StoredEvent, UnitOfWorkFactory
from icbc_wallet.service._base import sweep_limit

__all__ = ["EventDispatcher", "notifications_for"]

_Kind = NotificationKind


def _text(event: Event) -> tuple[NotificationKind, str] | None:  # noqa: PLR0911, PLR0912  # one table
    match event:
        case PaymentCaptured(amount=amount, payment_id=payment):
            return _Kind.PAYMENT_DONE, f"You paid {amount} (payment {payment})."
        case PaymentDeclined(amount=amount, reason=reason):
            return (
                _Kind.PAYMENT_DECLINED,
                f"A payment of {amount} was declined: {reason.message()}.",
            )
        case OperationDeclined(operation=operation, amount=amount, reason=reason):
            return (
                _Kind.PAYMENT_DECLINED,
                f"Your {operation.value.replace('_', '-')} of {amount} was declined: {reason.message()}.",
            )
        case LimitUsageWarning(used=used, limit=limit, percent=percent):
            return (
                _Kind.LIMIT_WARNING,
                f"You have used {percent}% of your daily limit ({used} of {limit}).",
            )
        case ToppedUp(amount=amount, card_last_four=last_four):
            return _Kind.MONEY_MOVED, f"{amount} was added from the card ending {last_four}."
        case Withdrawn(amount=amount, fee=fee, card_last_four=last_four):
            return (
                _Kind.MONEY_MOVED,
                f"{amount} was sent to the card ending {last_four} (fee {fee}).",
            )
        case TransferSent(amount=amount, fee=fee):
            return _Kind.MONEY_MOVED, f"You sent {amount} (fee {fee})."
        case TransferReceived(amount=amount):
            return _Kind.MONEY_MOVED, f"You received {amount}."
        case MerchantPaid(amount=amount, payment_id=payment):
            return _Kind.MONEY_MOVED, f"You received {amount} for payment {payment}."
        case RefundRequested(amount=amount, payment_id=payment):
            return _Kind.REFUND_UPDATE, f"Your refund request of {amount} for {payment} was sent."
        case RefundIssued(amount=amount, payment_id=payment):
            return _Kind.REFUND_UPDATE, f"{amount} was refunded for payment {payment}."
        case RefundRefused(payment_id=payment):
            return (
                _Kind.REFUND_UPDATE,
                f"The merchant refused your refund for {payment}; you may open a dispute.",
            )
        case RefundLapsed(payment_id=payment):
            return (
                _Kind.REFUND_UPDATE,
                f"The merchant did not answer your refund for {payment}; you may open a dispute.",
            )
        case MerchantFundsHeld(amount=amount, dispute_id=dispute):
            return (
                _Kind.DISPUTE_UPDATE,
                f"{amount} is set aside while the bank mediates dispute {dispute}.",
            )
        case MerchantFundsReleased(dispute_id=dispute, refunded=refunded):
            return (
                _Kind.DISPUTE_UPDATE,
                f"Dispute {dispute} was closed; {refunded} went to the customer.",
            )
        case MerchantRefunded(amount=amount, payment_id=payment):
            return (
                _Kind.REFUND_UPDATE,
                f"{amount} was refunded from your account for payment {payment}.",
            )
        case DisputeOpened(dispute_id=dispute):
            return _Kind.DISPUTE_UPDATE, f"Dispute {dispute} was opened; the bank will mediate."
        case DisputeResponded(dispute_id=dispute):
            return _Kind.DISPUTE_UPDATE, f"The merchant answered dispute {dispute}."
        case DisputeDecided(dispute_id=dispute, refund_amount=amount):
            return _Kind.DISPUTE_UPDATE, f"The bank decided dispute {dispute}: {amount} refunded."
        case DisputeWithdrawn(dispute_id=dispute):
            return _Kind.DISPUTE_UPDATE, f"Dispute {dispute} was withdrawn."
        case LimitIncreaseApproved(expires_at=expires):
            return (
                _Kind.LIMIT_UPDATE,
                f"Your limit increase was approved until {expires.isoformat()}.",
            )
        case LimitIncreaseDeclined(reasons=reasons):
            return _Kind.LIMIT_UPDATE, f"Your limit increase was declined ({', '.join(reasons)})."
        case LimitIncreaseExpired():
            return _Kind.LIMIT_UPDATE, "Your limit increase has ended; your tier's limits apply."
        case WalletOpened(tier=tier):
            return _Kind.WALLET, f"Your wallet is open at tier {tier}."
        case CardBound(card=card):
            return _Kind.SECURITY, f"Card {card} was bound to your wallet."
        case WalletFrozen():
            return _Kind.SECURITY, "Your wallet was frozen."
        case AuthenticatorEnrolled():
            return _Kind.SECURITY, (
                "An authenticator app was set up for your wallet. If it was not you, call the "
                "bank at once."
            )
        case RiskAlertRaised(operation=operation, amount=amount, outcome=outcome):
            verb = "stopped" if outcome == "deny" else "asked for more verification for"
            return _Kind.SECURITY, (
                f"Risk monitoring {verb} a {operation} of {amount}. If it was not you, call the "
                "bank; your wallet is not frozen."
            )
        case WalletUnfrozen():
            return _Kind.SECURITY, "Your wallet is active again."
        case WalletClosed():
            return _Kind.WALLET, "Your wallet was closed."
    return None


def notifications_for(stored: StoredEvent) -> list[Notification]:
    """The notifications one saved event deserves (none for bookkeeping-only events)."""
    found = _text(stored.event)
    if found is None:
        return []
    kind, text = found
    event = stored.event
    return [Notification(str(stored.position), event.aggregate_id, kind, text, event.name)]


class EventDispatcher:
    """Delivers undelivered events to ``notifier``, oldest first, at least once.

    Args:
        unit_of_work: the store's unit-of-work factory.
        notifier: where notifications go; raising means "not delivered, retry later".
        translate: turns a saved event into notifications (:func:`notifications_for`).
    """

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        notifier: Notifier,
        translate: Callable[[StoredEvent], list[Notification]] = notifications_for,
    ) -> None:
        self._uow, self._notifier, self._translate = unit_of_work, notifier, translate

    def dispatch(self, limit: int = 100) -> int:
        """Deliver up to ``limit`` events; returns how many were marked delivered.

        Stops at the first event whose delivery raises (it stays undelivered and is retried on
        the next call, after those delivered before it are marked).
        """
        with self._uow() as uow:
            batch = uow.events.undelivered(sweep_limit(limit))
        done: list[int] = []
        try:
            for stored in batch:
                for notification in self._translate(stored):
                    self._notifier.notify(notification)
                done.append(stored.position)
        finally:
            if done:
                with self._uow() as uow:
                    uow.events.mark_delivered(done)
                    uow.commit()
        return len(done)
