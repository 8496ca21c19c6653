"""Notifiers: where notifications go. Real services plug in SMS or push; these record or log.

```pycon
>>> from icbc_wallet.ports.notifications import Notification, NotificationKind
>>> notifier = InMemoryNotifier()
>>> note = Notification("1", "W1", NotificationKind.PAYMENT_DONE, "Paid 10.00", "PaymentCaptured")
>>> notifier.notify(note); notifier.notify(note)
>>> len(notifier.sent)
1

```
"""

from __future__ import annotations

import logging

from icbc_wallet.ports.notifications import Notification

__all__ = ["InMemoryNotifier", "LoggingNotifier"]


class InMemoryNotifier:
    """Keeps every notification, once each (redeliveries of one id are dropped)."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self._seen: set[str] = set()

    def notify(self, notification: Notification) -> None:
        """Record ``notification`` unless its id was seen before."""
        if notification.notification_id in self._seen:
            return
        self._seen.add(notification.notification_id)
        self.sent.append(notification)

    def for_recipient(self, recipient: str) -> list[Notification]:
        """What ``recipient`` was told, oldest first."""
        return [n for n in self.sent if n.recipient == recipient]


class LoggingNotifier:
    """Writes each notification to a :mod:`logging` logger (texts carry no personal numbers)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger("icbc_wallet.notifications")

    def notify(self, notification: Notification) -> None:
        """Log ``notification`` at INFO."""
        self._logger.info(
            "%s to %s [%s]: %s",
            notification.kind,
            notification.recipient,
            notification.notification_id,
            notification.text,
        )
