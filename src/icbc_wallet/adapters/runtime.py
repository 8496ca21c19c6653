"""Clocks and id generators: the system ones for services, controllable ones for tests.

```pycon
>>> from datetime import datetime, timedelta, timezone
>>> clock = ManualClock(datetime(2026, 3, 1, 12, tzinfo=timezone.utc))
>>> clock.advance(timedelta(minutes=5)).isoformat()
'2026-03-01T12:05:00+00:00'
>>> ids = SequentialIds()
>>> ids.new("P"), ids.new("P")
('P-000001', 'P-000002')

```
"""

from __future__ import annotations

import itertools
import threading
import uuid
from datetime import UTC, datetime, timedelta

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.errors import InvalidDatetimeError

__all__ = ["ManualClock", "SequentialIds", "SystemClock", "UuidIds"]


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests, simulations, replays).

    Raises:
        NaiveDatetimeError: the start has no timezone.
    """

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "start")

    def now(self) -> datetime:
        """The clock's current instant."""
        return self._now

    def advance(self, step: timedelta) -> datetime:
        """Move forward by ``step`` (never backwards) and return the new instant."""
        if step < timedelta(0):
            raise InvalidDatetimeError(f"a clock only moves forward, not by {step}")
        self._now += step
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (not before the current instant)."""
        moment = require_aware(moment, "moment")
        if moment < self._now:
            raise InvalidDatetimeError("a clock only moves forward")
        self._now = moment


class UuidIds:
    """Random, globally unique ids (``P-1b9d6bcd...``): for many processes on one database."""

    def new(self, prefix: str) -> str:
        """A new id: ``prefix``, a dash and a random UUID's hex."""
        return f"{prefix}-{uuid.uuid4().hex}"


class SequentialIds:
    """Readable, increasing ids (``P-000001``): for one process, tests and examples."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        """The next id for any prefix (one counter is shared by every prefix)."""
        with self._lock:
            return f"{prefix}-{next(self._counter):06d}"
