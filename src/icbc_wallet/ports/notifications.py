"""The notifier port: how customers and merchants hear about what happened.

The dispatcher turns saved events into :class:`Notification` values and hands each to a
:class:`Notifier` at least once: a notifier may see a notification twice after a crash, so
``notification_id`` (the event's position in the outbox) lets it drop duplicates.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, runtime_checkable

import attrs

__all__ = ["Notification", "NotificationKind", "Notifier"]


class NotificationKind(StrEnum):
    """What a notification is about; a notifier may route by it (SMS, push, e-mail)."""

    WALLET = "wallet"
    PAYMENT_DONE = "payment_done"
    PAYMENT_DECLINED = "payment_declined"
    LIMIT_WARNING = "limit_warning"
    MONEY_MOVED = "money_moved"
    REFUND_UPDATE = "refund_update"
    DISPUTE_UPDATE = "dispute_update"
    LIMIT_UPDATE = "limit_update"
    SECURITY = "security"
    ONE_TIME_CODE = "one_time_code"
    """An SMS code: its text holds ``{code}``; :meth:`Notification.render` fills it in."""


@attrs.frozen
class Notification:
    """One message for one recipient. The text never holds card, ID or phone numbers in clear.

    Attributes:
        notification_id: unique and stable across redeliveries (the event's outbox position).
        recipient: the wallet or merchant id.
        kind: what it is about.
        text: a short English message.
        event_name: the event it comes from (``"PaymentCaptured"``), or the command that sent
            a one-time code.
        code: the one-time code of a :attr:`NotificationKind.ONE_TIME_CODE` message, kept out
            of ``text`` and ``repr`` so that logging a notification never logs a code; the SMS
            gateway sends :meth:`render`.
    """

    notification_id: str
    recipient: str
    kind: NotificationKind
    text: str
    event_name: str
    code: str | None = attrs.field(default=None, repr=False)

    def render(self) -> str:
        """The message as the recipient reads it (with the one-time code, if any, filled in)."""
        return self.text if self.code is None else self.text.replace("{code}", self.code)


@runtime_checkable
class Notifier(Protocol):
    """Delivers notifications. Raising means "not delivered": the dispatcher will retry."""

    def notify(self, notification: Notification) -> None:
        """Deliver one notification (idempotently, by ``notification_id``)."""
        ...
