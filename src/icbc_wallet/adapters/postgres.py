"""PostgreSQL persistence: the SQLite store's semantics for many service instances on one database.

Install the extra: ``pip install "icbc-wallet[postgres]"`` (psycopg 3 and psycopg_pool).
:class:`PostgresStore` keeps a pool of connections to one database and its tables in one
schema (``icbc_wallet`` by default), created and migrated by the library as for SQLite (a
``schema_version`` table; a newer schema is refused). Any PostgreSQL from 13 on works.

Round trips. A commit's writes go to the server in one pipeline, and their checks (row
counts, balances) run when the results are back; queries run in :meth:`PostgresStore.reader`
units, which lock nothing.

Concurrency. Transactions run at READ COMMITTED. Reading a wallet, merchant, payment or record
locks its row (``SELECT ... FOR UPDATE``) until the unit of work ends, so two commands on one
wallet run one after the other and the second sees what the first committed; a transfer locks
its two wallets in id order, so A→B and B→A cannot deadlock. Balances change by the amount
posted, in account order; writes are still checked (versions, documents, balances, see
:mod:`icbc_wallet.adapters._sql_rows`). A serialization failure (SQLSTATE 40001), a deadlock
(40P01) or a lock wait past ``lock_timeout`` raises
:class:`~icbc_wallet.errors.ConcurrencyError`, which the service retries a bounded number of
times (``WalletService(attempts=...)``).

Amounts are BIGINT minor units; instants are fixed-width UTC text in the "C" collation (so text
order is time order, as in SQLite); documents are the storage codec's JSON text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Final

from icbc_wallet.adapters._sql_rows import Dialect, Sql, SqlUnitOfWork, apply_migrations, audit
from icbc_wallet.adapters.codec import Codec
from icbc_wallet.errors import (
    ConcurrencyError,
    CorruptStateError,
    InvalidPolicyError,
    StorageUnavailableError,
)

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as missing:  # pragma: no cover  # the extra is installed wherever tests run
    raise ImportError(
        'the PostgreSQL store needs the postgres extra: pip install "icbc-wallet[postgres]"'
    ) from missing

__all__ = ["SCHEMA_VERSION", "PostgresStore", "PostgresUnitOfWork"]

_C = 'TEXT COLLATE "C"'
_V1: Final = f"""
CREATE TABLE wallets (
    id {_C} PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL,
    currency TEXT NOT NULL, posted BIGINT NOT NULL, pending BIGINT NOT NULL
);
CREATE TABLE merchants (
    id {_C} PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL,
    currency TEXT NOT NULL, posted BIGINT NOT NULL, pending BIGINT NOT NULL
);
CREATE TABLE payments (
    id {_C} PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL,
    hold_expires_at {_C}
);
CREATE INDEX payments_open_holds ON payments (hold_expires_at, id)
    WHERE hold_expires_at IS NOT NULL;
CREATE TABLE refunds (
    id {_C} PRIMARY KEY, payment_id {_C} NOT NULL, requested_at {_C} NOT NULL,
    awaiting INTEGER NOT NULL, answer_deadline {_C} NOT NULL, data TEXT NOT NULL
);
CREATE INDEX refunds_by_payment ON refunds (payment_id, requested_at);
CREATE INDEX refunds_unanswered ON refunds (answer_deadline, id) WHERE awaiting = 1;
CREATE TABLE disputes (
    id {_C} PRIMARY KEY, refund_id {_C} NOT NULL, opened_at {_C} NOT NULL,
    open INTEGER NOT NULL, terminal INTEGER NOT NULL,
    response_deadline {_C} NOT NULL, decision_deadline {_C} NOT NULL, data TEXT NOT NULL
);
CREATE INDEX disputes_by_refund ON disputes (refund_id, opened_at);
CREATE INDEX disputes_unanswered ON disputes (response_deadline, id) WHERE open = 1;
CREATE INDEX disputes_overdue ON disputes (decision_deadline, id) WHERE terminal = 0;
CREATE TABLE registrations (id {_C} PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE owners (id {_C} PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE accounts (
    account {_C} PRIMARY KEY, currency TEXT NOT NULL, posted BIGINT NOT NULL
);
CREATE TABLE entries (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, entry_id {_C} NOT NULL,
    at {_C} NOT NULL, data TEXT NOT NULL
);
CREATE TABLE postings (
    seq BIGINT NOT NULL REFERENCES entries (seq), account {_C} NOT NULL,
    amount BIGINT NOT NULL, currency TEXT NOT NULL
);
CREATE INDEX postings_by_account ON postings (account, seq);
CREATE TABLE outbox (
    position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, aggregate_id {_C} NOT NULL,
    version INTEGER NOT NULL, at {_C} NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_by_aggregate ON outbox (aggregate_id, at);
CREATE INDEX outbox_undelivered ON outbox (position) WHERE delivered = 0;
CREATE TABLE idempotency (
    key {_C} PRIMARY KEY, fingerprint TEXT NOT NULL, result TEXT NOT NULL,
    created_at {_C} NOT NULL, expires_at {_C} NOT NULL
);
CREATE INDEX idempotency_expiry ON idempotency (expires_at);
"""

# V2: each wallet's hashed secrets and lockouts (issue 5).
# V2: as for SQLite (sqlite_schema._V2): wallets opened before it get their credentials from
# their submitted registration, found by the phone number.
_V2: Final = f"""
CREATE TABLE credentials (id {_C} PRIMARY KEY, data TEXT NOT NULL);
INSERT INTO credentials (id, data)
SELECT w.id, json_build_object(
    '$type', 'Credentials', 'wallet_id', w.id,
    'password_hash', r.data::json ->> 'password_hash',
    'security_question', r.data::json ->> 'security_question',
    'answer_hash', r.data::json ->> 'answer_hash'
)::text
FROM wallets w JOIN registrations r
    ON (r.data::json -> 'phone' ->> 'text') = (w.data::json -> 'owner' -> 'phone' ->> 'text')
WHERE (r.data::json ->> 'submitted_at') IS NOT NULL
    AND (r.data::json ->> 'password_hash') IS NOT NULL
ON CONFLICT (id) DO NOTHING
"""

_MIGRATIONS: Final = (_V1, _V2)
SCHEMA_VERSION: Final = len(_MIGRATIONS)
"""The schema version this library writes (and the newest it can read)."""

# Two commands with one idempotency key run one after the other: the second then replays.
_KEY_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))"
_ENTRY_SEQ = "currval(pg_get_serial_sequence('entries', 'seq'))"
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_RETRYABLE = (
    pg_errors.SerializationFailure,  # 40001
    pg_errors.DeadlockDetected,  # 40P01
    pg_errors.LockNotAvailable,  # 55P03: lock_timeout passed
)


@lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    """The shared SQL (``?`` placeholders) in psycopg's style (``%s``; a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Connection:
    """A psycopg connection seen through the :class:`Sql` protocol the stores use."""

    __slots__ = ("raw",)

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        with _translated():
            return self.raw.execute(_placeholders(sql), parameters)

    def executemany(self, sql: str, rows: Any, /) -> None:
        with _translated(), self.raw.cursor() as cursor:
            cursor.executemany(_placeholders(sql), list(rows))


@contextmanager
def _translated() -> Iterator[None]:
    """The driver's errors as the library's: conflicts to retry, an unreachable database."""
    try:
        yield
    except _RETRYABLE as error:
        raise ConcurrencyError(f"PostgreSQL: {error.sqlstate} {error}") from error
    except (psycopg.OperationalError, PoolTimeout) as error:  # lost connection, timeouts
        raise StorageUnavailableError(f"PostgreSQL: {error}") from error


class PostgresStore:
    """A wallet database in one PostgreSQL schema, shared by any number of processes.

    Args:
        dsn: a libpq connection string or URI (``postgresql://user@host:5432/bank``).
        codec: the storage codec (:func:`icbc_wallet.bootstrap.storage_codec`).
        schema: the schema holding the tables (created when missing).
        max_connections: the pool's size; one connection per unit of work in flight.
        lock_timeout: seconds a unit of work waits for a row lock before it gives up with
            ``ConcurrencyError`` (and the service retries).
        connect_timeout: seconds to wait for the first connection, and for a free connection
            of the pool before a unit of work gives up with ``StorageUnavailableError``.
        currency: the currency of accounts that have never been posted to.

    Raises:
        SchemaVersionError: the schema was written by a newer version of the library.
        StorageUnavailableError: the server cannot be reached.
    """

    def __init__(
        self,
        dsn: str,
        *,
        codec: Codec,
        schema: str = "icbc_wallet",
        max_connections: int = 10,
        lock_timeout: float = 5.0,
        connect_timeout: float = 30.0,
        currency: str = "CNY",
    ) -> None:
        if type(schema) is not str or not _SCHEMA_NAME.fullmatch(schema):
            raise InvalidPolicyError(
                "schema must be a lower-case SQL name: a-z, 0-9 and _, at most 63 characters"
            )
        for name, seconds in (("lock_timeout", lock_timeout), ("connect_timeout", connect_timeout)):
            if type(seconds) not in (int, float) or not 0 < seconds <= 3600:
                raise InvalidPolicyError(f"{name} must be between 0 and 3600 seconds")
        self.codec = codec
        self.schema = schema
        self.currency = currency
        try:
            given = conninfo_to_dict(dsn).get("options")
        except psycopg.ProgrammingError as error:
            raise InvalidPolicyError(f"not a PostgreSQL connection string: {error}") from None
        options = f"-c search_path={schema} -c lock_timeout={int(lock_timeout * 1000)}"
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            dsn,
            min_size=1,
            max_size=max_connections,
            kwargs={"options": f"{given} {options}" if given else options},  # the DSN's kept
            check=ConnectionPool.check_connection,
            timeout=connect_timeout,  # a connection the server dropped is replaced
            open=False,
            name=f"icbc-wallet-{schema}",
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
            self._migrate()
        except PoolTimeout as error:
            self._pool.close()
            raise StorageUnavailableError(f"cannot connect to PostgreSQL: {error}") from error
        except BaseException:
            self._pool.close()
            raise

    def _migrate(self) -> None:
        with self._pool.connection() as raw, raw.transaction():
            # one migrator at a time, across processes
            raw.execute(
                "SELECT pg_advisory_xact_lock(hashtext('icbc_wallet:' || %s))", (self.schema,)
            )
            raw.execute(
                psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    psycopg.sql.Identifier(self.schema)
                )
            )
            apply_migrations(_Connection(raw), _MIGRATIONS, f"the schema {self.schema!r}")

    def unit_of_work(self) -> PostgresUnitOfWork:
        """A new unit of work over this store."""
        return PostgresUnitOfWork(self)

    def reader(self) -> PostgresUnitOfWork:
        """A new read-only unit of work: it locks no rows (and cannot commit)."""
        return PostgresUnitOfWork(self, read_only=True)

    def connection(self) -> psycopg.Connection[Any]:
        """A connection from the pool (give it back with :meth:`release`)."""
        return self._pool.getconn()

    def release(self, raw: psycopg.Connection[Any]) -> None:
        """Return a connection taken with :meth:`connection`.

        End its transaction first (``commit()`` or ``rollback()``): the pool rolls back one
        left open, with a warning.
        """
        self._pool.putconn(raw)

    def verify(self) -> None:
        """Check the books in full (slow: it reads every row; see ``SqliteStore.verify``).

        Raises:
            CorruptStateError: naming what is wrong.
        """
        with self._pool.connection() as raw, raw.transaction():
            raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            problems = audit(_Connection(raw))
        if problems:
            raise CorruptStateError("the database failed its checks: " + "; ".join(problems[:20]))

    def close(self) -> None:
        """Close the pool and every connection in it."""
        self._pool.close()


class PostgresUnitOfWork(SqlUnitOfWork):
    """One transaction over a :class:`PostgresStore` (see the module docstring)."""

    dialect = Dialect(" FOR UPDATE", (pg_errors.UniqueViolation,), _ENTRY_SEQ, _KEY_LOCK)
    reading = Dialect("", (pg_errors.UniqueViolation,), _ENTRY_SEQ, _KEY_LOCK)

    def __init__(self, store: PostgresStore, *, read_only: bool = False) -> None:
        self._store = store
        super().__init__(store.codec, store.currency, read_only=read_only)

    def _begin(self) -> Sql:
        with _translated():  # a pool timeout: every connection busy for too long
            db = _Connection(self._store.connection())  # psycopg begins on the first statement
        if self.read_only:  # one snapshot for every query of the unit, as SQLite's readers have
            try:
                db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            except BaseException:
                self._store.release(db.raw)
                raise
        return db

    @contextmanager
    def _batch(self, db: Sql) -> Iterator[None]:
        """The commit's writes in one pipeline: one round trip instead of one per statement.

        A statement's error arrives when the pipeline ends, so it is translated here.
        """
        assert isinstance(db, _Connection)
        try:
            with _translated(), db.raw.pipeline():
                yield
        except pg_errors.UniqueViolation as error:
            raise ConcurrencyError(
                f"already exists (another command added it first): {error.diag.message_detail}"
            ) from error

    def _end(self, db: Sql, *, commit: bool) -> None:
        assert isinstance(db, _Connection)
        raw = db.raw
        try:
            with _translated():
                if commit:
                    raw.commit()
                else:
                    raw.rollback()
        finally:
            self._store.release(raw)
