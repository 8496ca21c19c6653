"""A notifier adapter of your own: notifications appended to a JSON Lines file, each once.

The docs' guide "Write your own adapter" shows this file. Run it with
``python examples/custom_notifier.py [FILE]``: a small in-memory bank opens a wallet, pays a
coffee shop, and its event dispatcher delivers the notifications to the file; a redelivery after
a restart is then dropped. ``examples/test_custom_notifier.py`` proves the adapter with the
shipped contract tests.

The port (``icbc_wallet.ports.notifications.Notifier``) asks for one method, ``notify``, and two
promises: delivering the same notification twice is harmless (the dispatcher delivers at least
once, so after a crash it may repeat one), and returning means delivered (raising means "retry
later"). This adapter keeps the first promise across restarts by reading the ids already in the
file when it opens, and the second by syncing the file to disk before ``notify`` returns.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from icbc_wallet import BankCard, MerchantCreditCode, Money, PhoneNumber, ResidentId
from icbc_wallet.bootstrap import in_memory
from icbc_wallet.ports.notifications import Notification, NotificationKind
from icbc_wallet.service.dispatcher import EventDispatcher


class JsonLinesNotifier:
    """Appends each notification to ``path`` as one JSON line, once per ``notification_id``.

    One-time codes are never written: an SMS gateway sends ``notification.render()``, but a file
    is read by people and programs that must not see codes, so only the template is kept.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._seen = {note.notification_id for note in self.read()}

    def notify(self, notification: Notification) -> None:
        """Append ``notification`` unless a notification with its id is already in the file."""
        line = json.dumps(
            {
                "id": notification.notification_id,
                "recipient": notification.recipient,
                "kind": notification.kind.value,
                "text": notification.text,
                "event": notification.event_name,
            },
            ensure_ascii=False,
        )
        with self._lock:
            if notification.notification_id in self._seen:
                return
            with self._path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
                file.flush()
                os.fsync(file.fileno())  # delivered means on disk: the dispatcher marks it done
            self._seen.add(notification.notification_id)

    def read(self) -> list[Notification]:
        """Every notification in the file, oldest first."""
        if not self._path.exists():
            return []
        with self._path.open(encoding="utf-8") as file:
            rows = [json.loads(line) for line in file if line.strip()]
        return [
            Notification(
                row["id"],
                row["recipient"],
                NotificationKind(row["kind"]),
                row["text"],
                row["event"],
            )
            for row in rows
        ]


def main(path: Path) -> None:
    bank = in_memory(start=datetime(2026, 3, 2, 1, tzinfo=UTC))
    service = bank.service
    phone = PhoneNumber.parse("13800138000")
    registration = service.start_registration(phone, idempotency_key="r-1")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None, "the SMS stand-in sent no code"
    service.verify_phone(registration, phone, code, idempotency_key="r-2")
    service.provide_identity(
        registration, "张三", ResidentId.parse("34052419800101001X"), idempotency_key="r-3"
    )
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="r-4")
    wallet = service.submit_registration(registration, idempotency_key="r-5")
    card = BankCard.parse("6225768888888888")
    service.bind_card(wallet, card, idempotency_key="w-1")
    service.top_up(wallet, card, Money.of("200"), idempotency_key="w-2")
    coffee = service.register_merchant(
        "Lucky Coffee",
        MerchantCreditCode.parse("91110000600037341L"),
        "food",
        idempotency_key="m-1",
    )
    service.pay(wallet, coffee, Money.of("35.50"), method="static_qr", idempotency_key="w-3")

    notifier = JsonLinesNotifier(path)
    delivered = EventDispatcher(bank.store.unit_of_work, notifier).dispatch()
    print(f"{delivered} events dispatched to {path.name}:")
    for note in notifier.read():
        print(f"  [{note.notification_id}] {note.recipient} {note.kind}: {note.text}")

    restarted = JsonLinesNotifier(path)  # a new process after a crash, redelivering one
    restarted.notify(notifier.read()[0])
    print(f"after a redelivery the file still holds {len(restarted.read())} notifications")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as directory:
            main(Path(directory) / "notifications.jsonl")
