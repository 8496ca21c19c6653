"""The stores of a SQLite unit of work: what each one stages, reads and writes at commit.

Each store reads through the unit of work's transaction (``transaction()`` begins it on first
use) and stages its changes in memory; ``flush()`` writes them, inside the commit's savepoint.
Reads see the unit's own staged records and balances, as the in-memory adapter's do; the
journal and the outbox show committed rows only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from icbc_wallet.adapters.codec import Codec
from icbc_wallet.adapters.sqlite_schema import instant
from icbc_wallet.domain.disputes import Dispute, DisputeStatus
from icbc_wallet.domain.events import Event
from icbc_wallet.domain.ids import DisputeId, PaymentId, RefundId
from icbc_wallet.domain.ledger import AccountBalance, AccountId, JournalEntry
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refund_requests import RefundRequest, RefundRequestStatus
from icbc_wallet.errors import ConcurrencyError, NotFoundError, WalletError
from icbc_wallet.ports.persistence import IdempotencyRecord, StoredEvent

if TYPE_CHECKING:
    from icbc_wallet.wallet.payment import Payment

__all__ = [
    "Aggregates",
    "Disputes",
    "Events",
    "Idempotency",
    "Ledger",
    "Payments",
    "Records",
    "Refunds",
]

K = TypeVar("K", bound=str)
V = TypeVar("V")
Transaction = Callable[[], sqlite3.Connection]
_ID_FIELD = {"wallets": "wallet_id", "merchants": "merchant_id", "payments": "payment_id"}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class _Aggregate(Protocol):
    version: int


A = TypeVar("A", bound=_Aggregate)


class Aggregates(Generic[K, A]):
    """Wallets, merchants or payments: an identity map of decoded copies plus staged changes."""

    def __init__(self, transaction: Transaction, codec: Codec, what: str, table: str) -> None:
        self._tx, self._codec, self._what, self._table = transaction, codec, what, table
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
            .execute(f"SELECT version, data FROM {self._table} WHERE id = ?", (key,))
            .fetchone()
        )
        if row is None:
            return None
        loaded: A = self._codec.loads(row[1])
        self._seen[key] = loaded
        self._read_version[key] = row[0]
        return loaded

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

    def flush(self) -> None:
        connection = self._tx() if self._dirty else None
        for key, item in self._dirty.items():
            assert connection is not None
            values = (item.version, self._codec.dumps(item), *self._extra(item))
            if key in self._new:
                marks = ", ".join("?" * (len(values) + 1))
                try:
                    connection.execute(
                        f"INSERT INTO {self._table} VALUES ({marks})", (key, *values)
                    )
                except sqlite3.IntegrityError:
                    raise ConcurrencyError(f"{self._what} {key!r} already exists") from None
                continue
            columns = ("version", "data", *self._extra_columns)
            assignments = ", ".join(f"{column} = ?" for column in columns)
            changed = connection.execute(
                f"UPDATE {self._table} SET {assignments} WHERE id = ? AND version = ?",
                (*values, key, self._read_version[key]),
            ).rowcount
            if changed != 1:
                raise ConcurrencyError(f"{self._what} {key!r} was changed by another command")

    _extra_columns: tuple[str, ...] = ()


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
    """Frozen records as JSON documents; reads see the unit's staged puts."""

    _columns: tuple[str, ...] = ()

    def __init__(self, transaction: Transaction, codec: Codec, what: str, table: str) -> None:
        self._tx, self._codec, self._what, self._table = transaction, codec, what, table
        self._staged: dict[K, V] = {}

    def _extra(self, record: V) -> tuple[object, ...]:
        return ()

    def find(self, key: K) -> V | None:
        if key in self._staged:
            return self._staged[key]
        row = self._tx().execute(f"SELECT data FROM {self._table} WHERE id = ?", (key,)).fetchone()
        return None if row is None else self._codec.loads(row[0])

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
            key: self._codec.loads(data) for key, data in self._tx().execute(sql, params)
        }
        found.update(self._staged)
        chosen = sorted((r for r in found.values() if keep(r)), key=order)
        return chosen if limit is None else chosen[:limit]

    def flush(self) -> None:
        if not self._staged:
            return
        marks = ", ".join("?" * (2 + len(self._columns)))
        self._tx().executemany(
            f"INSERT OR REPLACE INTO {self._table} (id, {', '.join((*self._columns, 'data'))}) "
            f"VALUES ({marks})",
            [(k, *self._extra(r), self._codec.dumps(r)) for k, r in self._staged.items()],
        )


class Refunds(Records[RefundId, RefundRequest]):
    """Refund requests, by payment and by answer deadline."""

    _columns = ("payment_id", "requested_at", "awaiting", "answer_deadline")

    def _extra(self, record: RefundRequest) -> tuple[object, ...]:
        awaiting = record.status is RefundRequestStatus.REQUESTED
        return (
            record.payment_id,
            instant(record.requested_at),
            awaiting,
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
            "awaiting AND answer_deadline < ?",
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
            record.status is DisputeStatus.OPEN,
            record.is_terminal,
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
            "open AND response_deadline < ?",
            (instant(now),),
            lambda d: d.status is DisputeStatus.OPEN and d.response_deadline < now,
            lambda d: (d.response_deadline, d.dispute_id),
            limit,
            "response_deadline, id",
        )
        return [d.dispute_id for d in found]

    def overdue(self, now: datetime, limit: int) -> list[DisputeId]:
        found = self._select(
            "NOT terminal AND decision_deadline < ?",
            (instant(now),),
            lambda d: not d.is_terminal and d.decision_deadline < now,
            lambda d: (d.decision_deadline, d.dispute_id),
            limit,
            "decision_deadline, id",
        )
        return [d.dispute_id for d in found]


class Ledger:
    """Maintained posted balances per account (``accounts``), the journal and its postings."""

    def __init__(self, transaction: Transaction, codec: Codec, currency: str) -> None:
        self._tx, self._codec, self._currency = transaction, codec, currency
        self._changed: dict[AccountId, AccountBalance] = {}
        self._entries: list[JournalEntry] = []

    def post(self, entry: JournalEntry) -> None:
        if type(entry) is not JournalEntry:
            raise WalletError(f"post() takes a JournalEntry, not {type(entry).__name__}")
        view = {posting.account: self.balance(posting.account) for posting in entry.postings}
        self._changed.update(entry.apply(view))  # raises before anything is staged
        self._entries.append(entry)

    def balance(self, account: AccountId) -> AccountBalance:
        found = self._changed.get(account)
        if found is not None:
            return found
        row = (
            self._tx()
            .execute("SELECT currency, posted FROM accounts WHERE account = ?", (str(account),))
            .fetchone()
        )
        return AccountBalance.zero(self._currency) if row is None else _balance(*row)

    def balances(self) -> dict[AccountId, AccountBalance]:
        rows = self._tx().execute("SELECT account, currency, posted FROM accounts")
        found = {AccountId.parse(account): _balance(c, p) for account, c, p in rows}
        return {**found, **self._changed}

    def entries(self, account: AccountId | None = None) -> Iterator[JournalEntry]:
        if account is None:
            rows = self._tx().execute("SELECT data FROM entries ORDER BY seq").fetchall()
        else:
            rows = (
                self._tx()
                .execute(
                    "SELECT data FROM entries WHERE seq IN "
                    "(SELECT seq FROM postings WHERE account = ?) ORDER BY seq",
                    (str(account),),
                )
                .fetchall()
            )
        return iter([self._codec.loads(row[0]) for row in rows])

    def flush(self) -> None:
        if not self._entries:
            return
        connection = self._tx()
        for entry in self._entries:
            seq = connection.execute(
                "INSERT INTO entries (entry_id, at, data) VALUES (?, ?, ?)",
                (entry.entry_id, instant(entry.at), self._codec.dumps(entry)),
            ).lastrowid
            connection.executemany(
                "INSERT INTO postings (seq, account, amount, currency) VALUES (?, ?, ?, ?)",
                [(seq, str(p.account), p.amount.minor, p.amount.currency) for p in entry.postings],
            )
        connection.executemany(
            "INSERT INTO accounts (account, currency, posted) VALUES (?, ?, ?) "
            "ON CONFLICT (account) DO UPDATE SET posted = excluded.posted",
            [(str(a), b.posted.currency, b.posted.minor) for a, b in self._changed.items()],
        )


def _balance(currency: str, posted: int) -> AccountBalance:
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
        self, aggregate_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[Event]:
        sql, params = "SELECT data FROM outbox WHERE aggregate_id = ?", [aggregate_id]
        if start is not None:
            sql, params = f"{sql} AND at >= ?", [*params, instant(start)]
        if end is not None:
            sql, params = f"{sql} AND at < ?", [*params, instant(end)]
        rows = self._tx().execute(f"{sql} ORDER BY position", params).fetchall()
        return [self._codec.loads(row[0]) for row in rows]

    def undelivered(self, limit: int) -> list[StoredEvent]:
        rows = self._tx().execute(
            "SELECT position, data FROM outbox WHERE NOT delivered ORDER BY position LIMIT ?",
            (limit,),
        )
        return [StoredEvent(position, self._codec.loads(data)) for position, data in rows]

    def mark_delivered(self, positions: Iterable[int]) -> None:
        self._delivered.update(positions)

    def flush(self) -> None:
        if not (self._new or self._delivered):
            return
        connection = self._tx()
        connection.executemany(
            "INSERT INTO outbox (aggregate_id, version, at, type, data) VALUES (?, ?, ?, ?, ?)",
            [
                (e.aggregate_id, e.version, instant(e.at), type(e).__name__, self._codec.dumps(e))
                for e in self._new
            ],
        )
        connection.executemany(
            "UPDATE outbox SET delivered = 1 WHERE position = ?",
            [(position,) for position in sorted(self._delivered)],
        )


class Idempotency:
    """Command results by key; insert-only while a record lives."""

    def __init__(self, transaction: Transaction, codec: Codec) -> None:
        self._tx, self._codec = transaction, codec
        self._staged: dict[str, IdempotencyRecord] = {}
        self._purge_at: datetime | None = None

    def get(self, key: str) -> IdempotencyRecord | None:
        staged = self._staged.get(key)
        if staged is not None:
            return staged
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
            key, fingerprint, self._codec.loads(result), _utc(created_at), _utc(expires_at)
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

    def flush(self) -> None:
        if not self._staged and self._purge_at is None:
            return
        connection = self._tx()
        for key, record in self._staged.items():
            row = connection.execute(
                "SELECT expires_at FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and row[0] > instant(record.created_at):
                raise ConcurrencyError(f"idempotency key {key!r} was recorded by another command")
        if self._purge_at is not None:
            connection.execute(
                "DELETE FROM idempotency WHERE expires_at <= ?", (instant(self._purge_at),)
            )
        connection.executemany(
            "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?)",
            [
                (
                    r.key,
                    r.fingerprint,
                    self._codec.dumps(r.result),
                    instant(r.created_at),
                    instant(r.expires_at),
                )
                for r in self._staged.values()
            ],
        )
