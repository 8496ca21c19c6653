"""Runtime ports: the clock and the id generator the service reads instead of globals."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "IdGenerator"]


@runtime_checkable
class Clock(Protocol):
    """Tells the time. The service reads ``now()`` once per command and passes it down."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


@runtime_checkable
class IdGenerator(Protocol):
    """Makes new, unique identifiers for payments, transfers, entries and the like."""

    def new(self, prefix: str) -> str:
        """A new id starting with ``prefix`` (``"P"`` for payments), unique in the store."""
        ...
