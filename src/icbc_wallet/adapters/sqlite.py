"""SQLite persistence: every port of :mod:`icbc_wallet.ports.persistence` in one database file.

:class:`SqliteStore` opens (and creates or migrates, see :mod:`.sqlite_schema`) the database;
:meth:`SqliteStore.unit_of_work` opens a transaction. A unit of work stages what it changes in
memory, like the in-memory adapter, and ``commit()`` writes all of it — aggregates, journal
entries and balances, the outbox, idempotency records — in one SQLite transaction.

Transactions. The first read or write of a unit of work starts ``BEGIN IMMEDIATE``: it takes
the database's write lock, so units of work (in this process or another) run one at a time
and what a unit reads stays true until it commits. Versions are still checked on write
(``UPDATE ... WHERE version = ?``), and a new id that is taken raises ``ConcurrencyError``.
A unit of work that waits longer than ``busy_timeout`` for the lock raises
``ConcurrencyError`` too (retry the command). Two units of work cannot interleave in one
thread: the second would wait for the first.

Connections. Each thread has its own connection to the file (``sqlite3`` connections are not
shared between threads here), opened on first use and closed by :meth:`SqliteStore.close`.

Durability. By default the journal is WAL with ``synchronous=FULL``: a committed unit of work
survives a power cut. ``durable=False`` sets ``synchronous=NORMAL``: still consistent after a
crash, but the last commits may be lost on power failure (for simulations and tests).

Stored values go through the storage :class:`~icbc_wallet.adapters.codec.Codec` (JSON text);
amounts in ``accounts`` and ``postings`` are INTEGER minor units. Personal data (phones,
resident IDs, cards) is stored in clear in this version.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from icbc_wallet.adapters._sql_rows import Dialect, Sql, SqlUnitOfWork, audit
from icbc_wallet.adapters.codec import Codec
from icbc_wallet.adapters.sqlite_schema import migrate
from icbc_wallet.errors import ConcurrencyError, CorruptStateError, WalletError

__all__ = ["SqliteStore", "SqliteUnitOfWork"]

_INTERLEAVED = "another unit of work is open in this thread; SQLite units cannot interleave"

_MIN_SQLITE = (3, 35)  # RETURNING and upserts


class SqliteStore:
    """A wallet database in one SQLite file (see the module docstring).

    Args:
        path: the database file (created when missing).
        codec: the storage codec (:func:`icbc_wallet.bootstrap.storage_codec`).
        durable: ``synchronous=FULL`` when True (the default), ``NORMAL`` when False.
        busy_timeout: seconds a unit of work waits for another's lock before it gives up.
        currency: the currency of accounts that have never been posted to.

    Raises:
        SchemaVersionError: the file was written by a newer version of the library.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        codec: Codec,
        durable: bool = True,
        busy_timeout: float = 5.0,
        currency: str = "CNY",
    ) -> None:
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            raise WalletError(
                f"SQLite {sqlite3.sqlite_version} is too old: the store needs 3.35 or newer"
            )
        self.path = os.fspath(path)
        self.codec = codec
        self.currency = currency
        self._durable = durable
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._open: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        try:
            migrate(self.connection())
        except BaseException:  # a refused schema must not leave the connection open
            self.close()
            raise

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened and configured on first use)."""
        found: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if found is not None:
            return found
        connection = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout,
            isolation_level=None,  # transactions are begun and ended explicitly
            check_same_thread=False,  # so that close() may close every thread's connection
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={'FULL' if self._durable else 'NORMAL'}")
        connection.execute("PRAGMA foreign_keys=ON")
        with self._guard:
            self._open.append(connection)
        self._local.connection = connection
        # Closed when its thread ends: a server starting a thread per request must not keep
        # a connection (two file descriptors) for every thread it ever ran.
        weakref.finalize(threading.current_thread(), self._forget, connection)
        return connection

    def _forget(self, connection: sqlite3.Connection) -> None:
        with self._guard:
            if connection in self._open:
                self._open.remove(connection)
        connection.close()

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """Commit this thread's units of work together: one transaction, one sync, many commands.

        Inside the block each unit of work runs in a savepoint of one transaction that holds
        the database's write lock; its ``commit()`` releases the savepoint, and the block's end
        commits them all at once (a failed unit is rolled back alone). Nothing in the block is
        durable until the block ends: a crash, or an exception leaving the block, loses every
        command in it, so do not acknowledge a command to anyone before the block ends. For
        imports, simulations and batch jobs that accept that.

        ```pycon
        >>> import tempfile, os
        >>> from icbc_wallet.bootstrap import storage_codec
        >>> store = SqliteStore(os.path.join(tempfile.mkdtemp(), "w.db"), codec=storage_codec())
        >>> with store.grouped():
        ...     for n in range(3):
        ...         with store.unit_of_work() as uow:
        ...             uow.owners.put(f"owner-{n}", f"W-{n}")
        ...             uow.commit()
        >>> with store.unit_of_work() as uow:
        ...     uow.owners.get("owner-2")
        'W-2'
        >>> store.close()

        ```

        Raises:
            ConcurrencyError: a unit of work or a group is already open in this thread.
        """
        connection = self.connection()
        if connection.in_transaction:
            raise ConcurrencyError("a unit of work or a group is already open in this thread")
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise ConcurrencyError(f"the database stayed locked: {error}") from error
        self._local.grouped = True
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            connection.execute("COMMIT")
        finally:
            self._local.grouped = False

    def in_group(self) -> bool:
        """True inside :meth:`grouped` in this thread."""
        return bool(getattr(self._local, "grouped", False))

    def in_group_unit(self) -> bool:
        """True while a unit of work of this thread's group is open."""
        return bool(getattr(self._local, "group_unit", False))

    def enter_group_unit(self, open_: bool) -> None:
        """Record that a unit of work of this thread's group opened (True) or ended (False)."""
        self._local.group_unit = open_

    def unit_of_work(self) -> SqliteUnitOfWork:
        """A new unit of work over this store."""
        return SqliteUnitOfWork(self)

    def reader(self) -> SqliteUnitOfWork:
        """A new read-only unit of work: a snapshot, without the write lock (it cannot commit).

        Queries through it run beside a writer instead of waiting for it.
        """
        return SqliteUnitOfWork(self, read_only=True)

    def verify(self) -> None:
        """Check the whole database (slow: it reads every row; run it after a crash or restore).

        ``PRAGMA integrity_check`` must pass, and the books must be sound: every journal entry
        balances, every maintained balance equals the sum of its account's postings, no wallet
        or merchant is overdrawn, and the accounts sum to zero.

        Raises:
            CorruptStateError: naming what is wrong.
        """
        connection = self.connection()
        problems = [
            f"integrity_check: {message}"
            for (message,) in connection.execute("PRAGMA integrity_check")
            if message != "ok"
        ]
        connection.execute("BEGIN")  # one snapshot for every query of the audit
        try:
            problems += audit(connection)
        finally:
            connection.execute("ROLLBACK")
        if problems:
            raise CorruptStateError("the database failed its checks: " + "; ".join(problems[:20]))

    def close(self) -> None:
        """Close every connection the store opened (it may be used again: they reopen)."""
        with self._guard:
            connections, self._open = self._open, []
        for connection in connections:
            connection.close()
        self._local = threading.local()


class SqliteUnitOfWork(SqlUnitOfWork):
    """One transaction over a :class:`SqliteStore` (see the module docstring)."""

    # The write lock is held, so the newest entry is this transaction's.
    dialect = reading = Dialect("", (sqlite3.IntegrityError,), "(SELECT max(seq) FROM entries)")

    def __init__(self, store: SqliteStore, *, read_only: bool = False) -> None:
        self._store = store
        self._grouped = False
        super().__init__(store.codec, store.currency, read_only=read_only)

    def _begin(self) -> sqlite3.Connection:
        connection = self._store.connection()
        if self._store.in_group():
            if self._store.in_group_unit():
                raise WalletError(_INTERLEAVED)
            self._grouped = True
            self._store.enter_group_unit(True)
            connection.execute("SAVEPOINT grouped_unit")
            return connection
        if connection.in_transaction:
            raise WalletError(_INTERLEAVED)
        try:  # a reader's snapshot begins at its first read and takes no lock
            connection.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise ConcurrencyError(f"the database stayed locked: {error}") from error
        return connection

    def _end(self, db: Sql, *, commit: bool) -> None:
        assert isinstance(db, sqlite3.Connection)
        if self._grouped:
            self._grouped = False
            self._store.enter_group_unit(False)
            if not commit:
                db.execute("ROLLBACK TO SAVEPOINT grouped_unit")
            db.execute("RELEASE SAVEPOINT grouped_unit")
        elif db.in_transaction:
            db.execute("COMMIT" if commit else "ROLLBACK")
