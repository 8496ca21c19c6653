"""The shipped notifier contract, run against the example adapter, plus the adapter's own test.

Run it from this directory: ``python -m pytest test_custom_notifier.py``. In your project, import
the adapter from your package instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from custom_notifier import JsonLinesNotifier

from icbc_wallet.ports.notifications import Notification, NotificationKind, Notifier
from icbc_wallet.testing.contracts import NotifierContract


class TestJsonLinesNotifier(NotifierContract):
    """Every ``test_*`` of :class:`NotifierContract` runs against :class:`JsonLinesNotifier`."""

    @pytest.fixture(autouse=True)
    def _path(self, tmp_path: Path) -> None:
        self.path = tmp_path / "notifications.jsonl"  # autouse: set before make_notifier runs

    def make_notifier(self) -> Notifier:
        return JsonLinesNotifier(self.path)

    def delivered(self, notifier: Notifier) -> Sequence[Notification]:
        return JsonLinesNotifier(self.path).read()  # what is on disk, read back afresh


def test_a_redelivery_after_a_restart_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "notifications.jsonl"
    note = Notification(
        "1", "W-1", NotificationKind.MONEY_MOVED, "10.00 CNY was added.", "ToppedUp"
    )
    JsonLinesNotifier(path).notify(note)
    JsonLinesNotifier(path).notify(note)
    assert JsonLinesNotifier(path).read() == [note]


def test_one_time_codes_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notifications.jsonl"
    note = Notification(
        "1",
        "W-1",
        NotificationKind.ONE_TIME_CODE,
        "Your code is {code}.",
        "start_registration",
        "482913",
    )
    JsonLinesNotifier(path).notify(note)
    assert "482913" not in path.read_text(encoding="utf-8")
