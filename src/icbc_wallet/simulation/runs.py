"""The run log: which days a database has simulated, and which merchants the simulation opened.

A *run log* remembers, beside the bank's own data, what the bank cannot tell the simulation:

* the periods already simulated, so that the next run continues after them. A day with only
  declines, registrations or sweeps writes no journal entry, so the journal cannot say which
  days were lived;
* each merchant the simulation registered, by credit code, so that a merchant without a sale
  (no buyer, or every sale declined) is found again rather than registered a second time.

On SQLite (:class:`SqliteRunLog`) the log is two small tables in the database itself,
``simulation_runs`` and ``simulation_merchants``, written outside the service's units of work.
A day is marked as *begun* before its first act, and a merchant is remembered as soon as its
registration is committed, so after a crash the next run starts the day after the last day
begun: a day partly lived is never lived again, and no idempotency key of an earlier period is
used again. Other stores (in memory, PostgreSQL) get a :class:`RunLog` kept in this process for
as long as the store lives.
"""

from __future__ import annotations

import sqlite3
import weakref
from datetime import date, datetime, timedelta
from typing import Final

from icbc_wallet.adapters.sqlite import SqliteStore

__all__ = ["RunLog", "SqliteRunLog", "run_log"]

_TABLES: Final = (
    "CREATE TABLE IF NOT EXISTS simulation_runs ("
    " first_day TEXT PRIMARY KEY, last_day TEXT NOT NULL, seed INTEGER NOT NULL,"
    " days INTEGER NOT NULL, customers INTEGER NOT NULL, merchants INTEGER NOT NULL,"
    " finished_at_sim TEXT)",
    "CREATE TABLE IF NOT EXISTS simulation_merchants ("
    " credit_code TEXT PRIMARY KEY, merchant_id TEXT NOT NULL)",
)


class RunLog:
    """A run log kept in memory (see the module docstring)."""

    def __init__(self) -> None:
        self._merchants: dict[str, str] = {}
        self._last: date | None = None

    def next_day(self) -> date | None:
        """The day after the last day begun, or None when no run was logged."""
        return None if self._last is None else self._last + timedelta(days=1)

    def merchants(self) -> dict[str, str]:
        """The merchant ids remembered, by credit code."""
        return dict(self._merchants)

    def remember(self, credit_code: str, merchant_id: str) -> None:
        """Remember the merchant registered under ``credit_code`` (the first id stays)."""
        self._merchants.setdefault(credit_code, merchant_id)

    def begin(
        self, first_day: date, *, seed: int, days: int, customers: int, merchants: int
    ) -> None:
        """Log a run of ``days`` days from ``first_day``, its first day begun."""
        self._last = first_day

    def reach(self, first_day: date, day: date) -> None:
        """Mark ``day`` of the run begun on ``first_day`` as begun (before its first act)."""
        self._last = day

    def finish(self, first_day: date, at: datetime) -> None:
        """Mark the run begun on ``first_day`` as finished at ``at`` (simulated time)."""


class SqliteRunLog(RunLog):
    """The run log in two tables of a SQLite wallet database (see the module docstring).

    Each write commits at once (the store's connections run in autocommit between units of
    work). Opening the log creates the tables when they are missing.

    Args:
        store: the bank's store; the log uses this thread's connection to it.
    """

    def __init__(self, store: SqliteStore) -> None:
        super().__init__()
        self._db: sqlite3.Connection = store.connection()
        for statement in _TABLES:
            self._db.execute(statement)

    def next_day(self) -> date | None:
        """The day after the latest ``last_day`` in ``simulation_runs``."""
        (last,) = self._db.execute("SELECT max(last_day) FROM simulation_runs").fetchone()
        return None if last is None else date.fromisoformat(last) + timedelta(days=1)

    def merchants(self) -> dict[str, str]:
        """The rows of ``simulation_merchants``."""
        rows = self._db.execute("SELECT credit_code, merchant_id FROM simulation_merchants")
        return {str(code): str(merchant_id) for code, merchant_id in rows}

    def remember(self, credit_code: str, merchant_id: str) -> None:
        """Insert into ``simulation_merchants`` (a credit code already there keeps its id)."""
        self._db.execute(
            "INSERT INTO simulation_merchants (credit_code, merchant_id) VALUES (?, ?) "
            "ON CONFLICT (credit_code) DO NOTHING",
            (credit_code, merchant_id),
        )

    def begin(
        self, first_day: date, *, seed: int, days: int, customers: int, merchants: int
    ) -> None:
        """Insert the run's row; a row with the same ``first_day`` is replaced."""
        self._db.execute(
            "INSERT INTO simulation_runs (first_day, last_day, seed, days, customers, merchants)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (first_day) DO UPDATE SET"
            " last_day = excluded.last_day, seed = excluded.seed, days = excluded.days,"
            " customers = excluded.customers, merchants = excluded.merchants,"
            " finished_at_sim = NULL",
            (first_day.isoformat(), first_day.isoformat(), seed, days, customers, merchants),
        )

    def reach(self, first_day: date, day: date) -> None:
        """Set the run's ``last_day`` (committed before the day's first act)."""
        self._db.execute(
            "UPDATE simulation_runs SET last_day = ? WHERE first_day = ?",
            (day.isoformat(), first_day.isoformat()),
        )

    def finish(self, first_day: date, at: datetime) -> None:
        """Set the run's ``finished_at_sim``."""
        self._db.execute(
            "UPDATE simulation_runs SET finished_at_sim = ? WHERE first_day = ?",
            (at.isoformat(), first_day.isoformat()),
        )


_IN_MEMORY: Final[weakref.WeakKeyDictionary[object, RunLog]] = weakref.WeakKeyDictionary()


def run_log(store: object) -> RunLog:
    """The run log of ``store``: its tables on SQLite, else one kept while the store lives."""
    if isinstance(store, SqliteStore):
        return SqliteRunLog(store)
    found = _IN_MEMORY.get(store)
    if found is None:
        found = _IN_MEMORY[store] = RunLog()
    return found
