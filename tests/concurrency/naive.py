"""The naive adapter: the SQL stores with their concurrency control taken out, on purpose.

A unit of work here reads without locking and writes what it computed over whatever is there
now: aggregates ``UPDATE ... WHERE id = ?`` (the version read is ignored), ledger balances as
absolute values (``posted = ?``, not ``posted = posted + ?``), and nothing is checked on read.
On SQLite its reads run outside any transaction (autocommit) and its writes in another one
(``BEGIN IMMEDIATE`` at commit); on PostgreSQL its reads take no ``FOR UPDATE`` row locks.
Eight racers at one wallet interleave between those reads and writes without any help.

This is the read-modify-write bug the real adapters must not have. The race test runs the same
scenario against it and asserts that its checks catch the damage (an exceeded limit, lost
updates), which shows they would catch the bug in a real adapter. Test code only: it overrides
private methods of :mod:`icbc_wallet.adapters._sql_rows`.
"""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING, Any

import attrs

from icbc_wallet import bootstrap
from icbc_wallet.adapters._sql_rows import (
    Aggregates,
    Check,
    Holders,
    Ledger,
    Payments,
    SqlUnitOfWork,
    instant,
)
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import UuidIds
from icbc_wallet.adapters.sqlite import SqliteStore, SqliteUnitOfWork
from icbc_wallet.ports.runtime import Clock
from icbc_wallet.service import WalletPolicies

if TYPE_CHECKING:
    from icbc_wallet.adapters.postgres import PostgresStore

__all__ = ["naive_postgres", "naive_sqlite"]


class _Unguarded(Aggregates[Any, Any]):
    """Aggregates written over whatever version is stored, and never checked on read."""

    def _check(self, key: Any, item: Any) -> None:
        pass

    def flush(self) -> list[Check]:
        db = self._tx()
        columns = ("version", "data", *self._extra_columns)
        marks = ", ".join("?" * (len(columns) + 1))
        insert = f"INSERT INTO {self._table} (id, {', '.join(columns)}) VALUES ({marks})"
        assign = ", ".join(f"{column} = ?" for column in columns)
        update = f"UPDATE {self._table} SET {assign} WHERE id = ?"  # no "AND version = ?"
        for key, item in self._dirty.items():
            values = (item.version, self._codec.dumps(item), *self._extra(item))
            if key in self._new:
                db.execute(insert, (key, *values))
            else:
                db.execute(update, (*values, key))
        return []  # nothing to check afterwards


class _NaiveHolders(_Unguarded, Holders[Any, Any]):
    """Wallets and merchants, unguarded."""


class _NaivePayments(_Unguarded, Payments):
    """Payments, unguarded."""


class _NaiveLedger(Ledger):
    """Balances written as the values this unit computed, not as the amounts it posted."""

    def flush(self) -> list[Check]:
        db = self._tx()
        for entry in self._entries:
            seq = db.execute(
                "INSERT INTO entries (entry_id, at, data) VALUES (?, ?, ?) RETURNING seq",
                (entry.entry_id, instant(entry.at), self._codec.dumps(entry)),
            ).fetchall()[0][0]
            db.executemany(
                "INSERT INTO postings (seq, account, amount, currency) VALUES (?, ?, ?, ?)",
                [(seq, str(p.account), p.amount.minor, p.amount.currency) for p in entry.postings],
            )
        for account in sorted(self._changed):
            posted = self._changed[account].posted
            db.execute(
                "INSERT INTO accounts (account, currency, posted) VALUES (?, ?, ?) "
                "ON CONFLICT (account) DO UPDATE SET posted = excluded.posted",
                (str(account), posted.currency, posted.minor),
            )
        return []


class _Naive(SqlUnitOfWork):
    """The unguarded stores in place of the real ones."""

    def _reset(self) -> None:
        super()._reset()
        tx, codec, dialect = self._transaction, self._codec, self.dialect
        self.ledger = _NaiveLedger(tx, codec, self._currency, dialect.entry_seq)
        self.wallets = _NaiveHolders(tx, codec, dialect, "wallet", "wallets", self.ledger)
        self.merchants = _NaiveHolders(tx, codec, dialect, "merchant", "merchants", self.ledger)
        self.payments = _NaivePayments(tx, codec, dialect, "payment", "payments")

    def commit(self) -> None:
        self._before_writes()
        super().commit()

    def _before_writes(self) -> None:
        """Where a transaction for the writes begins, if the reads were outside one."""


class _NaiveSqliteUnitOfWork(_Naive, SqliteUnitOfWork):
    """Reads in autocommit mode; the writes in a transaction of their own, begun at commit."""

    def _begin(self) -> sqlite3.Connection:
        return self._store.connection()  # no BEGIN: every read is a transaction of its own

    def _before_writes(self) -> None:
        self._transaction().execute("BEGIN IMMEDIATE")  # SqliteUnitOfWork._end commits it


class _NaiveSqliteStore(SqliteStore):
    def unit_of_work(self) -> SqliteUnitOfWork:
        return _NaiveSqliteUnitOfWork(self)


def naive_sqlite(
    path: str | os.PathLike[str],
    *,
    fingerprint_key: bytes,
    policies: WalletPolicies,
    clock: Clock,
) -> bootstrap.Bank:
    """A bank over the SQLite file at ``path``, through the naive adapter."""
    store = _NaiveSqliteStore(path, codec=bootstrap.storage_codec(), durable=False)
    return _bank(store, fingerprint_key, policies, clock)


def naive_postgres(
    dsn: str,
    *,
    schema: str,
    fingerprint_key: bytes,
    policies: WalletPolicies,
    clock: Clock,
) -> bootstrap.Bank:
    """A bank over the PostgreSQL ``schema``, through the naive adapter (needs psycopg)."""
    # The postgres extra is optional: import it only when a naive PostgreSQL bank is wanted.
    from icbc_wallet.adapters.postgres import PostgresStore, PostgresUnitOfWork  # noqa: PLC0415

    class NaivePostgresUnitOfWork(_Naive, PostgresUnitOfWork):
        """Reads that lock nothing, at READ COMMITTED."""

        dialect = attrs.evolve(PostgresUnitOfWork.dialect, lock="")

    class NaivePostgresStore(PostgresStore):
        def unit_of_work(self) -> PostgresUnitOfWork:
            return NaivePostgresUnitOfWork(self)

    store = NaivePostgresStore(dsn, codec=bootstrap.storage_codec(), schema=schema)
    return _bank(store, fingerprint_key, policies, clock)


def _bank(
    store: SqliteStore | PostgresStore,
    fingerprint_key: bytes,
    policies: WalletPolicies,
    clock: Clock,
) -> bootstrap.Bank:
    return bootstrap._durable_bank(
        store, fingerprint_key, policies, clock, UuidIds(), ScryptHasher.fast_for_tests(), (), ()
    )
