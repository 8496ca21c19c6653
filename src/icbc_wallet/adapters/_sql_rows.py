"""The stores of a SQL unit of work: what each one stages, reads and writes at commit.

Shared by the SQLite and PostgreSQL adapters: the SQL is written once, with ``?`` placeholders
(the PostgreSQL adapter translates them), and a :class:`Dialect` says what differs — whether
reads lock the rows they return (``FOR UPDATE``) and which error a duplicate key raises.

Each store reads through the unit of work's transaction (``transaction()`` begins it on first
use) and stages its changes in memory; ``flush()`` writes them, inside the commit's savepoint.
Reads see the unit's own staged records and balances, as the in-memory adapter's do; the
journal and the outbox show committed rows only.

Nothing is overwritten blindly. Aggregates are updated ``WHERE version = ?`` (the version read);
records ``WHERE data = ?`` (the document read) and inserted, never upserted, when they were not
there; balances are changed by the amount posted (``posted = posted + ?``), and a wallet's or
merchant's new balance must be the one this unit computed; an idempotency key is only taken
over once its record has expired. A write that finds the row changed raises
:class:`~icbc_wallet.errors.ConcurrencyError`, and the service retries the command.

Rows are checked as they are read: one that does not decode, names another id or version, or
holds a wallet or merchant balance that is negative or differs from its ledger account raises
:class:`~icbc_wallet.errors.CorruptStateError` rather than being returned as data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

import attrs

from icbc_wallet.adapters.codec import Codec
from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.disputes import Dispute, DisputeStatus
from icbc_wallet.domain.events import Event
from icbc_wallet.domain.ids import (
    DisputeId,
    MerchantId,
    PaymentId,
    RefundId,
    RegistrationId,
    WalletId,
)
from icbc_wallet.domain.ledger import AccountBalance, AccountId, JournalEntry
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refund_requests import RefundRequest, RefundRequestStatus
from icbc_wallet.errors import (
    ConcurrencyError,
    CorruptStateError,
    NotFoundError,
    SchemaVersionError,
    WalletError,
)
from icbc_wallet.ports.persistence import IdempotencyRecord, StoredEvent

if TYPE_CHECKING:
    from icbc_wallet.domain.credentials import Credentials
    from icbc_wallet.domain.registration import Registration
    from icbc_wallet.wallet.aggregate import Wallet
    from icbc_wallet.wallet.merchant import Merchant
    from icbc_wallet.wallet.payment import Payment

__all__ = [
    "Aggregates",
    "Check",
    "Dialect",
    "Disputes",
    "Events",
    "Holders",
    "Idempotency",
    "Ledger",
    "Payments",
    "Records",
    "Refunds",
    "Sql",
    "SqlUnitOfWork",
    "apply_migrations",
    "audit",
    "instant",
]

K = TypeVar("K", bound=str)
V = TypeVar("V")
_ID_FIELD = {"wallets": "wallet_id", "merchants": "merchant_id", "payments": "payment_id"}


class Cursor(Protocol):
    """What both drivers' cursors offer."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Sql(Protocol):
    """A connection in a transaction: ``sqlite3.Connection`` or the PostgreSQL adapter's wrapper."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> object: ...


Transaction = Callable[[], Sql]
Check = Callable[[], None]
"""Run after a commit's writes were sent: raises if one of them found its row changed."""


def _changed(cursor: Cursor, what: str) -> Check:
    """A check that ``cursor``'s statement changed exactly one row."""

    def check() -> None:
        if cursor.rowcount != 1:
            raise ConcurrencyError(f"{what} was changed by another command")

    return check


@attrs.frozen
class Dialect:
    """What differs between the SQL databases the stores run on.

    Attributes:
        lock: appended to reads of aggregates and records: ``" FOR UPDATE"`` where the
            database locks rows (PostgreSQL), ``""`` where a transaction locks the whole
            database (SQLite's ``BEGIN IMMEDIATE``).
        duplicate: the exception types a duplicate primary key raises.
        entry_seq: the SQL for the ``seq`` of the journal entry this transaction inserted last
            (its postings refer to it).
        key_lock: SQL run with an idempotency key before its record is read, so that two
            commands with one key run one after the other ("" where transactions already do).
    """

    lock: str
    duplicate: tuple[type[BaseException], ...]
    entry_seq: str
    key_lock: str = ""


def instant(moment: datetime) -> str:
    """An aware instant as fixed-width UTC text: sorting the text sorts the instants.

    ```pycon
    >>> from datetime import timedelta, timezone
    >>> instant(datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=8))))
    '2026-03-01T00:00:00.000000'

    ```
    """
    return require_aware(moment, "instant").astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@lru_cache(maxsize=64)
def _writes(table: str, columns: tuple[str, ...], guard: str) -> tuple[str, str]:
    """The INSERT of a row, and the UPDATE that applies only while ``guard`` is as read.

    Built once per table: every commit writes rows.
    """
    marks = ", ".join("?" * (len(columns) + 1))
    insert = f"INSERT INTO {table} (id, {', '.join(columns)}) VALUES ({marks})"
    assign = ", ".join(f"{column} = ?" for column in columns)
    return insert, f"UPDATE {table} SET {assign} WHERE id = ? AND {guard} = ?"


def _decode(codec: Codec, text: str, what: str, key: object) -> Any:
    try:
        return codec.loads(text)
    except Exception as error:  # any way a tampered document fails to decode
        raise CorruptStateError(f"the stored {what} {key!r} cannot be read: {error}") from error


class _Aggregate(Protocol):
    version: int


A = TypeVar("A", bound=_Aggregate)


class Aggregates(Generic[K, A]):
    """Wallets, merchants or payments: an identity map of decoded copies plus staged changes."""

    _extra_columns: tuple[str, ...] = ()

    def __init__(
        self, transaction: Transaction, codec: Codec, dialect: Dialect, what: str, table: str
    ) -> None:
        self._tx, self._codec, self._dialect = transaction, codec, dialect
        self._what, self._table = what, table
        self._key = attrgetter(_ID_FIELD[table])
        self._seen: dict[K, A] = {}
        self._read_version: dict[K, int] = {}
        self._new: set[K] = set()
        self._dirty: dict[K, A] = {}

    def find(self, key: K) -> A | None:
        item = self._seen.get(key)
        if item is not None:
            return item
        row = (
            self._tx()
            .execute(
                f"SELECT version, data FROM {self._table} WHERE id = ?{self._dialect.lock}", (key,)
            )
            .fetchone()
        )
        if row is None:
            return None
        loaded: A = _decode(self._codec, row[1], self._what, key)
        if self._key(loaded) != key or loaded.version != row[0]:
            raise CorruptStateError(f"the stored {self._what} {key!r} names another id or version")
        self._check(key, loaded)
        self._seen[key] = loaded
        self._read_version[key] = row[0]
        return loaded

    def _check(self, key: K, item: A) -> None:
        """Raise CorruptStateError if ``item`` cannot be what was stored (subclasses add rules)."""

    def get(self, key: K) -> A:
        item = self.find(key)
        if item is None:
            raise NotFoundError(f"no {self._what} {key!r}")
        return item

    def add(self, item: A) -> None:
        key = self._key(item)
        self._seen[key] = item
        self._new.add(key)
        self._dirty[key] = item

    def save(self, item: A) -> None:
        key = self._key(item)
        if key not in self._seen:
            raise ConcurrencyError(f"save the {self._what} {key!r} read in this unit of work")
        self._dirty[key] = item

    def _extra(self, item: A) -> tuple[object, ...]:
        return ()

    def flush(self) -> list[Check]:
        if not self._dirty:
            return []
        db, checks = self._tx(), []
        insert, update = _writes(self._table, ("version", "data", *self._extra_columns), "version")
        for key, item in self._dirty.items():
            values = (item.version, self._codec.dumps(item), *self._extra(item))
            if key in self._new:
                try:
                    db.execute(insert, (key, *values))
                except self._dialect.duplicate:
                    raise ConcurrencyError(f"{self._what} {key!r} already exists") from None
            else:
                cursor = db.execute(update, (*values, key, self._read_version[key]))
                checks.append(_changed(cursor, f"{self._what} {key!r}"))
        return checks


class Holders(Aggregates[K, A]):
    """Wallets or merchants: aggregates whose ``balance`` mirrors a ledger account.

    Their balance is also kept in columns, so that it can be read without decoding the whole
    aggregate. A loaded holder's posted balance must equal its account's (both are written in
    the same transaction) and nothing it has available may be negative.
    """

    _extra_columns = ("currency", "posted", "pending")

    def __init__(
        self,
        transaction: Transaction,
        codec: Codec,
        dialect: Dialect,
        what: str,
        table: str,
        ledger: Ledger,
    ) -> None:
        super().__init__(transaction, codec, dialect, what, table)
        self._ledger = ledger

    def _extra(self, item: A) -> tuple[object, ...]:
        balance: AccountBalance = item.balance  # type: ignore[attr-defined]  # wallets, merchants
        return (balance.posted.currency, balance.posted.minor, balance.pending.minor)

    def balance(self, key: K) -> AccountBalance:
        item = self._seen.get(key)
        if item is not None:
            found: AccountBalance = item.balance  # type: ignore[attr-defined]
            return found
        row = (
            self._tx()
            .execute(f"SELECT currency, posted, pending FROM {self._table} WHERE id = ?", (key,))
            .fetchone()
        )
        if row is None:
            raise NotFoundError(f"no {self._what} {key!r}")
        currency, posted, pending = row
        if posted < 0 or pending < 0 or pending > posted:
            raise CorruptStateError(f"the stored balance of the {self._what} {key!r} is impossible")
        return AccountBalance(Money._make(posted, currency), Money._make(pending, currency))

    def _check(self, key: K, item: A) -> None:
        balance: AccountBalance = item.balance  # type: ignore[attr-defined]  # wallets, merchants
        account: AccountId = item.account  # type: ignore[attr-defined]
        if (
            balance.posted.minor != self._ledger.balance(account).posted.minor
            or balance.available.minor < 0
        ):
            raise CorruptStateError(
                f"the stored {self._what} {key!r} does not match its ledger account"
            )


class Payments(Aggregates[PaymentId, "Payment"]):
    """Payments, with the open holds' expiry kept in a column for the expiry sweep."""

    _extra_columns = ("hold_expires_at",)

    def _extra(self, item: Payment) -> tuple[object, ...]:
        return (instant(item.hold.expires_at) if item.is_open else None,)

    def expiring(self, now: datetime, limit: int) -> list[PaymentId]:
        rows = self._tx().execute(
            "SELECT id FROM payments WHERE hold_expires_at <= ? "
            "ORDER BY hold_expires_at, id LIMIT ?",
            (instant(now), limit),
        )
        return [PaymentId(row[0]) for row in rows]


class Records(Generic[K, V]):
    """Frozen records as JSON documents; reads see the unit's staged puts.

    A record that was there when read is updated only if its document is still the one read;
    any other is inserted (a duplicate means another command put it first, or the id was
    reused).
    """

    _columns: tuple[str, ...] = ()

    def __init__(
        self, transaction: Transaction, codec: Codec, dialect: Dialect, what: str, table: str
    ) -> None:
        self._tx, self._codec, self._dialect = transaction, codec, dialect
        self._what, self._table = what, table
        self._staged: dict[K, V] = {}
        self._read: dict[Any, str] = {}  # key → the document as read

    def _extra(self, record: V) -> tuple[object, ...]:
        return ()

    def _load(self, key: Any, text: str) -> V:
        self._read.setdefault(key, text)
        loaded: V = _decode(self._codec, text, self._what, key)
        return loaded

    def find(self, key: K) -> V | None:
        if key in self._staged:
            return self._staged[key]
        row = (
            self._tx()
            .execute(f"SELECT data FROM {self._table} WHERE id = ?{self._dialect.lock}", (key,))
            .fetchone()
        )
        return None if row is None else self._load(key, row[0])

    def get(self, key: K) -> V:
        found = self.find(key)
        if found is None:
            raise NotFoundError(f"no {self._what} {key!r}")
        return found

    def put(self, key: K, record: V) -> None:
        self._staged[key] = record

    def _select(
        self,
        where: str,
        params: Sequence[object],
        keep: Callable[[V], bool],
        order: Callable[[V], Any],
        limit: int | None = None,
        order_sql: str = "id",
    ) -> list[V]:
        """Committed rows matching ``where`` with the staged records overlaid, sorted."""
        sql = f"SELECT id, data FROM {self._table} WHERE {where}"
        if limit is not None:
            sql += f" ORDER BY {order_sql} LIMIT {int(limit) + len(self._staged)}"
        found: dict[Any, V] = {
            key: self._load(key, data) for key, data in self._tx().execute(sql, params)
        }
        found.update(self._staged)
        chosen = sorted((r for r in found.values() if keep(r)), key=order)
        return chosen if limit is None else chosen[:limit]

    def flush(self) -> list[Check]:
        if not self._staged:
            return []
        db, checks = self._tx(), []
        insert, update = _writes(self._table, ("data", *self._columns), "data")
        for key, record in self._staged.items():
            values = (self._codec.dumps(record), *self._extra(record))
            read = self._read.get(key)
            if read is None:
                try:
                    db.execute(insert, (key, *values))
                except self._dialect.duplicate:
                    raise ConcurrencyError(f"{self._what} {key!r} already exists") from None
            else:
                checks.append(
                    _changed(db.execute(update, (*values, key, read)), f"{self._what} {key!r}")
                )
        return checks


class Refunds(Records[RefundId, RefundRequest]):
    """Refund requests, by payment and by answer deadline."""

    _columns = ("payment_id", "requested_at", "awaiting", "answer_deadline")

    def _extra(self, record: RefundRequest) -> tuple[object, ...]:
        awaiting = record.status is RefundRequestStatus.REQUESTED
        return (
            record.payment_id,
            instant(record.requested_at),
            int(awaiting),
            instant(record.answer_deadline),
        )

    def for_payment(self, payment_id: PaymentId) -> list[RefundRequest]:
        return self._select(
            "payment_id = ?",
            (payment_id,),
            lambda r: r.payment_id == payment_id,
            attrgetter("requested_at"),
        )

    def unanswered(self, now: datetime, limit: int) -> list[RefundId]:
        found = self._select(
            "awaiting = 1 AND answer_deadline < ?",
            (instant(now),),
            lambda r: r.status is RefundRequestStatus.REQUESTED and r.answer_deadline < now,
            lambda r: (r.answer_deadline, r.refund_id),
            limit,
            "answer_deadline, id",
        )
        return [r.refund_id for r in found]


class Disputes(Records[DisputeId, Dispute]):
    """Disputes, by refund request and by their deadlines."""

    _columns = (
        "refund_id",
        "opened_at",
        "open",
        "terminal",
        "response_deadline",
        "decision_deadline",
    )

    def _extra(self, record: Dispute) -> tuple[object, ...]:
        return (
            record.refund_id,
            instant(record.opened_at),
            int(record.status is DisputeStatus.OPEN),
            int(record.is_terminal),
            instant(record.response_deadline),
            instant(record.decision_deadline),
        )

    def for_refund(self, refund_id: RefundId) -> list[Dispute]:
        return self._select(
            "refund_id = ?",
            (refund_id,),
            lambda d: d.refund_id == refund_id,
            attrgetter("opened_at"),
        )

    def unanswered(self, now: datetime, limit: int) -> list[DisputeId]:
        found = self._select(
            "open = 1 AND response_deadline < ?",
            (instant(now),),
            lambda d: d.status is DisputeStatus.OPEN and d.response_deadline < now,
            lambda d: (d.response_deadline, d.dispute_id),
            limit,
            "response_deadline, id",
        )
        return [d.dispute_id for d in found]

    def overdue(self, now: datetime, limit: int) -> list[DisputeId]:
        found = self._select(
            "terminal = 0 AND decision_deadline < ?",
            (instant(now),),
            lambda d: not d.is_terminal and d.decision_deadline < now,
            lambda d: (d.decision_deadline, d.dispute_id),
            limit,
            "decision_deadline, id",
        )
        return [d.dispute_id for d in found]


class Ledger:
    """Maintained posted balances per account (``accounts``), the journal and its postings."""

    def __init__(
        self, transaction: Transaction, codec: Codec, currency: str, entry_seq: str
    ) -> None:
        self._tx, self._codec, self._currency, self._entry_seq = (
            transaction,
            codec,
            currency,
            entry_seq,
        )
        self._read: dict[AccountId, AccountBalance] = {}  # as read from the table
        self._changed: dict[AccountId, AccountBalance] = {}
        self._entries: list[JournalEntry] = []

    def post(self, entry: JournalEntry) -> None:
        if type(entry) is not JournalEntry:
            raise WalletError(f"post() takes a JournalEntry, not {type(entry).__name__}")
        view = {posting.account: self.balance(posting.account) for posting in entry.postings}
        self._changed.update(entry.apply(view))  # raises before anything is staged
        self._entries.append(entry)

    def balance(self, account: AccountId) -> AccountBalance:
        found = self._changed.get(account) or self._read.get(account)
        if found is not None:
            return found
        row = (
            self._tx()
            .execute("SELECT currency, posted FROM accounts WHERE account = ?", (str(account),))
            .fetchone()
        )
        found = AccountBalance.zero(self._currency) if row is None else _balance(account, *row)
        self._read[account] = found
        return found

    def balances(self) -> dict[AccountId, AccountBalance]:
        rows = self._tx().execute("SELECT account, currency, posted FROM accounts")
        found = {}
        for name, currency, posted in rows:
            account = AccountId.parse(name)
            found[account] = _balance(account, currency, posted)
        return {**found, **self._changed}

    def entries(self, account: AccountId | None = None) -> Iterator[JournalEntry]:
        if account is None:
            rows = self._tx().execute("SELECT seq, data FROM entries ORDER BY seq").fetchall()
        else:
            rows = (
                self._tx()
                .execute(
                    "SELECT seq, data FROM entries WHERE seq IN "
                    "(SELECT seq FROM postings WHERE account = ?) ORDER BY seq",
                    (str(account),),
                )
                .fetchall()
            )
        return iter([_decode(self._codec, data, "journal entry", seq) for seq, data in rows])

    def flush(self) -> list[Check]:
        if not self._entries:
            return []
        db = self._tx()
        for entry in self._entries:
            db.execute(
                "INSERT INTO entries (entry_id, at, data) VALUES (?, ?, ?)",
                (entry.entry_id, instant(entry.at), self._codec.dumps(entry)),
            )
            db.executemany(
                "INSERT INTO postings (seq, account, amount, currency) "
                f"VALUES ({self._entry_seq}, ?, ?, ?)",
                [(str(p.account), p.amount.minor, p.amount.currency) for p in entry.postings],
            )
        checks = []
        # In a fixed order, so that two commits touching the same accounts cannot deadlock.
        for account in sorted(self._changed):
            balance = self._changed[account]
            posted = balance.posted.minor
            cursor = db.execute(
                "INSERT INTO accounts (account, currency, posted) VALUES (?, ?, ?) "
                "ON CONFLICT (account) DO UPDATE SET posted = accounts.posted + excluded.posted "
                "RETURNING posted",
                (str(account), balance.posted.currency, posted - self._read[account].posted.minor),
            )
            if not account.kind.may_go_negative:  # what others post to the bank's own may vary
                checks.append(_booked(cursor, account, posted))
        return checks


def _booked(cursor: Cursor, account: AccountId, expected: int) -> Check:
    """A check that a customer's account came to the balance this unit computed."""

    def check() -> None:
        if cursor.fetchall()[0][0] != expected:
            raise ConcurrencyError(f"the balance of {account} was changed by another command")

    return check


def _balance(account: AccountId, currency: str, posted: int) -> AccountBalance:
    if posted < 0 and not account.kind.may_go_negative:
        raise CorruptStateError(f"the stored balance of {account} is negative")
    return AccountBalance(Money._make(posted, currency), Money._make(0, currency))


class Events:
    """The outbox: events numbered at commit, delivery marked by position."""

    def __init__(self, transaction: Transaction, codec: Codec) -> None:
        self._tx, self._codec = transaction, codec
        self._new: list[Event] = []
        self._delivered: set[int] = set()

    def append(self, events: Sequence[Event]) -> None:
        self._new.extend(events)

    def for_aggregate(
        self,
        aggregate_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        after_version: int = 0,
    ) -> list[Event]:
        sql = "SELECT position, data FROM outbox WHERE aggregate_id = ?"
        params: list[object] = [aggregate_id]
        if after_version:
            sql, params = f"{sql} AND version > ?", [*params, after_version]
        if start is not None:
            sql, params = f"{sql} AND at >= ?", [*params, instant(start)]
        if end is not None:
            sql, params = f"{sql} AND at < ?", [*params, instant(end)]
        rows = self._tx().execute(f"{sql} ORDER BY position", params).fetchall()
        return [_decode(self._codec, data, "event", position) for position, data in rows]

    def undelivered(self, limit: int) -> list[StoredEvent]:
        rows = self._tx().execute(
            "SELECT position, data FROM outbox WHERE delivered = 0 ORDER BY position LIMIT ?",
            (limit,),
        )
        return [
            StoredEvent(position, _decode(self._codec, data, "event", position))
            for position, data in rows
        ]

    def mark_delivered(self, positions: Iterable[int]) -> None:
        self._delivered.update(positions)

    def flush(self) -> list[Check]:
        if not (self._new or self._delivered):
            return []
        db = self._tx()
        if self._new:
            db.executemany(
                "INSERT INTO outbox (aggregate_id, version, at, type, data) VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        e.aggregate_id,
                        e.version,
                        instant(e.at),
                        type(e).__name__,
                        self._codec.dumps(e),
                    )
                    for e in self._new
                ],
            )
        if self._delivered:
            db.executemany(
                "UPDATE outbox SET delivered = 1 WHERE position = ?",
                [(position,) for position in sorted(self._delivered)],
            )
        return []


class Idempotency:
    """Command results by key; a key is taken over only once its record has expired."""

    def __init__(self, transaction: Transaction, codec: Codec, key_lock: str = "") -> None:
        self._tx, self._codec, self._key_lock = transaction, codec, key_lock
        self._staged: dict[str, IdempotencyRecord] = {}
        self._purge_at: datetime | None = None

    def get(self, key: str) -> IdempotencyRecord | None:
        staged = self._staged.get(key)
        if staged is not None:
            return staged
        if self._key_lock:
            self._tx().execute(self._key_lock, (key,))
        row = (
            self._tx()
            .execute(
                "SELECT fingerprint, result, created_at, expires_at FROM idempotency WHERE key = ?",
                (key,),
            )
            .fetchone()
        )
        if row is None:
            return None
        fingerprint, result, created_at, expires_at = row
        return IdempotencyRecord(
            key,
            fingerprint,
            _decode(self._codec, result, "idempotency record", key),
            _utc(created_at),
            _utc(expires_at),
        )

    def put(self, record: IdempotencyRecord) -> None:
        self._staged[record.key] = record

    def purge(self, now: datetime) -> int:
        self._purge_at = now
        row = (
            self._tx()
            .execute("SELECT count(*) FROM idempotency WHERE expires_at <= ?", (instant(now),))
            .fetchone()
        )
        return int(row[0])

    def flush(self) -> list[Check]:
        if not self._staged and self._purge_at is None:
            return []
        db, checks = self._tx(), []
        if self._purge_at is not None:
            db.execute("DELETE FROM idempotency WHERE expires_at <= ?", (instant(self._purge_at),))
        for key, r in self._staged.items():
            cursor = db.execute(
                "INSERT INTO idempotency (key, fingerprint, result, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "fingerprint = excluded.fingerprint, result = excluded.result, "
                "created_at = excluded.created_at, expires_at = excluded.expires_at "
                "WHERE idempotency.expires_at <= excluded.created_at",
                (
                    key,
                    r.fingerprint,
                    self._codec.dumps(r.result),
                    instant(r.created_at),
                    instant(r.expires_at),
                ),
            )
            checks.append(_taken(cursor, key))
        return checks


def _taken(cursor: Cursor, key: str) -> Check:
    def check() -> None:
        if cursor.rowcount != 1:
            raise ConcurrencyError(f"idempotency key {key!r} was recorded by another command")

    return check


def apply_migrations(db: Sql, migrations: Sequence[str], where: str) -> int:
    """Apply the ``migrations`` a database lacks, in order, in the caller's transaction.

    A ``schema_version`` table records each version applied; a migration is SQL statements
    separated by ``;``. Returns the version reached (``len(migrations)``).

    Raises:
        SchemaVersionError: ``where`` (the database, named for the message) was written by a
            newer library than this one.
    """
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    found = db.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
    newest = len(migrations)
    if found > newest:
        raise SchemaVersionError(
            f"{where} has schema version {found}; this library reads up to {newest}: "
            "upgrade icbc-wallet to open it"
        )
    for version in range(found + 1, newest + 1):
        for statement in migrations[version - 1].split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    return newest


def audit(db: Sql) -> list[str]:
    """Everything wrong with the books, checked in full (slow: not for the hot path).

    Every entry's postings sum to zero; every account's maintained balance equals the sum of
    its postings; no wallet or merchant account is negative; the accounts sum to zero per
    currency. Returns one line per problem (empty when the books are sound).
    """
    problems = [
        f"journal entry {seq} does not balance ({total})"
        for seq, total in db.execute(
            "SELECT seq, sum(amount) FROM postings GROUP BY seq HAVING sum(amount) <> 0"
        )
    ]
    problems += [
        f"account {account} holds {posted}, its postings sum to {summed}"
        for account, posted, summed in db.execute(
            "SELECT a.account, a.posted, coalesce(p.total, 0) FROM accounts a LEFT JOIN "
            "(SELECT account, sum(amount) AS total FROM postings GROUP BY account) p "
            "ON p.account = a.account WHERE a.posted <> coalesce(p.total, 0) "
            "UNION ALL SELECT p.account, 0, sum(p.amount) FROM postings p "
            "WHERE p.account NOT IN (SELECT account FROM accounts) GROUP BY p.account"
        )
    ]
    problems += [
        f"account {account} is overdrawn ({posted})"
        for account, posted in db.execute(
            "SELECT account, posted FROM accounts WHERE posted < 0 AND "
            "(account LIKE 'wallet:%' OR account LIKE 'merchant:%')"
        )
    ]
    for table, kind in (("wallets", "wallet"), ("merchants", "merchant")):
        problems += [
            f"{kind} {key} holds {posted}, its account {booked}"
            for key, posted, booked in db.execute(
                f"SELECT h.id, h.posted, coalesce(a.posted, 0) FROM {table} h LEFT JOIN accounts a "
                f"ON a.account = '{kind}:' || h.id WHERE h.posted <> coalesce(a.posted, 0)"
            )
        ]
    problems += [
        f"the {currency} accounts sum to {total}, not 0"
        for currency, total in db.execute(
            "SELECT currency, sum(posted) FROM accounts GROUP BY currency HAVING sum(posted) <> 0"
        )
    ]
    return problems


class SqlUnitOfWork:
    """One transaction over a SQL store: the stores above, begun on first use, ended at exit.

    Subclasses say how a transaction begins (``_begin``, returning the connection) and ends
    (``_end``); ``commit()`` writes every store's staged changes inside a savepoint, so a
    failed commit leaves the transaction as it was before the commit.
    """

    dialect: Dialect
    reading: Dialect  # for read-only units: no row locks

    def __init__(self, codec: Codec, currency: str, *, read_only: bool = False) -> None:
        self._codec, self._currency, self.read_only = codec, currency, read_only
        self._db: Sql | None = None
        self._entered = False
        self._reset()

    def _reset(self) -> None:
        tx, codec = self._transaction, self._codec
        dialect = self.reading if self.read_only else self.dialect
        self.ledger = Ledger(tx, codec, self._currency, dialect.entry_seq)
        self.wallets: Holders[WalletId, Wallet] = Holders(
            tx, codec, dialect, "wallet", "wallets", self.ledger
        )
        self.merchants: Holders[MerchantId, Merchant] = Holders(
            tx, codec, dialect, "merchant", "merchants", self.ledger
        )
        self.payments = Payments(tx, codec, dialect, "payment", "payments")
        self.refunds = Refunds(tx, codec, dialect, "refund request", "refunds")
        self.disputes = Disputes(tx, codec, dialect, "dispute", "disputes")
        self.registrations: Records[RegistrationId, Registration] = Records(
            tx, codec, dialect, "registration", "registrations"
        )
        self.owners: Records[str, WalletId] = Records(tx, codec, dialect, "owner", "owners")
        self.credentials: Records[WalletId, Credentials] = Records(
            tx, codec, dialect, "credentials", "credentials"
        )
        self.events = Events(tx, codec)
        self.idempotency = Idempotency(tx, codec, dialect.key_lock)

    def _begin(self) -> Sql:
        raise NotImplementedError

    def _batch(self, db: Sql) -> AbstractContextManager[object]:
        """Where the commit's writes are sent together (PostgreSQL's pipeline); here, as they come."""
        return nullcontext()

    def _end(self, db: Sql, *, commit: bool) -> None:
        raise NotImplementedError

    def _transaction(self) -> Sql:
        """The connection, in this unit's transaction (begun on first use)."""
        db = self._db
        if db is None:
            if not self._entered:
                raise WalletError("use the unit of work in a with block")
            db = self._db = self._begin()
        return db

    def __enter__(self) -> Self:
        self._entered = True
        self._reset()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        db, self._db = self._db, None
        self._entered = False
        self._reset()
        if db is not None:
            self._end(db, commit=False)

    def commit(self) -> None:
        """Write every staged change in one transaction, or raise and write nothing.

        Raises:
            WalletError: the unit of work was opened read-only.
        """
        if self.read_only:
            raise WalletError("a read-only unit of work cannot commit; open one for writing")
        db = self._transaction()
        db.execute("SAVEPOINT uow_commit")
        try:
            with self._batch(db):  # the writes go out together; their checks run after
                checks = [
                    check
                    for store in (
                        self.wallets,
                        self.merchants,
                        self.payments,
                        self.refunds,
                        self.disputes,
                        self.registrations,
                        self.owners,
                        self.credentials,
                        self.ledger,
                        self.events,
                        self.idempotency,
                    )
                    for check in store.flush()
                ]
            for check in checks:
                check()
        except BaseException:
            db.execute("ROLLBACK TO SAVEPOINT uow_commit")
            db.execute("RELEASE SAVEPOINT uow_commit")
            raise
        db.execute("RELEASE SAVEPOINT uow_commit")
        self._db = None
        self._end(db, commit=True)
        self._reset()
