"""In-memory persistence: every port of :mod:`icbc_wallet.ports.persistence`, in one process.

:class:`InMemoryStore` holds the committed state; :meth:`InMemoryStore.unit_of_work` opens a
transaction that stages every change and applies it at ``commit()`` all at once. Units of work
run one at a time (a re-entrant lock is held from ``__enter__`` to ``__exit__``), so commands
are serialisable; versions are still checked, as a durable adapter would. Nothing survives the
process: use the SQLite adapter for that.

```pycon
>>> store = InMemoryStore()
>>> with store.unit_of_work() as uow:
...     uow.events.undelivered(10)
[]

```
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from operator import attrgetter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar, overload

import attrs

from icbc_wallet.domain.credentials import Credentials
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
from icbc_wallet.domain.refund_requests import RefundRequest, RefundRequestStatus
from icbc_wallet.domain.registration import Registration
from icbc_wallet.errors import ConcurrencyError, NotFoundError, WalletError
from icbc_wallet.ports.persistence import IdempotencyRecord, StoredEvent

if TYPE_CHECKING:
    from icbc_wallet.wallet.aggregate import Wallet
    from icbc_wallet.wallet.merchant import Merchant
    from icbc_wallet.wallet.payment import Payment

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]

K = TypeVar("K", bound=str)
V = TypeVar("V")
H = TypeVar("H")


class _Aggregate(Protocol):
    version: int

    def clone(self) -> Self: ...


A = TypeVar("A", bound=_Aggregate)


class _AggregateTable(Generic[K, A]):
    """Committed aggregates of one kind, by id."""

    def __init__(self, what: str, key: Callable[[A], K]) -> None:
        self.what, self.key = what, key
        self.rows: dict[K, A] = {}


class _Aggregates(Generic[K, A]):
    """A unit of work's view of one table: an identity map of copies plus staged changes."""

    def __init__(self, table: _AggregateTable[K, A]) -> None:
        self._table = table
        self._seen: dict[K, A] = {}
        self._read_version: dict[K, int] = {}
        self._new: set[K] = set()
        self._dirty: dict[K, A] = {}

    def find(self, key: K) -> A | None:
        item = self._seen.get(key)
        if item is not None:
            return item
        stored = self._table.rows.get(key)
        if stored is None:
            return None
        item = stored.clone()
        self._seen[key] = item
        self._read_version[key] = stored.version
        return item

    def get(self, key: K) -> A:
        item = self.find(key)
        if item is None:
            raise NotFoundError(f"no {self._table.what} {key!r}")
        return item

    def balance(self, key: K) -> AccountBalance:
        item = self._seen.get(key) or self._table.rows.get(key)
        if item is None:
            raise NotFoundError(f"no {self._table.what} {key!r}")
        balance: AccountBalance = item.balance  # type: ignore[attr-defined]  # wallets, merchants
        return balance

    def add(self, item: A) -> None:
        key = self._table.key(item)
        self._seen[key] = item
        self._new.add(key)
        self._dirty[key] = item

    def save(self, item: A) -> None:
        key = self._table.key(item)
        if key not in self._seen:
            raise ConcurrencyError(f"save the {self._table.what} {key!r} read in this unit of work")
        self._dirty[key] = item

    def check(self) -> None:
        rows = self._table.rows
        for key in self._dirty:
            stored = rows.get(key)
            if key in self._new:
                if stored is not None:
                    raise ConcurrencyError(f"{self._table.what} {key!r} already exists")
            elif stored is None or stored.version != self._read_version[key]:
                raise ConcurrencyError(f"{self._table.what} {key!r} was changed by another command")

    def apply(self) -> list[A]:
        rows = self._table.rows
        written = []
        for key, item in self._dirty.items():
            rows[key] = copy = item.clone()
            written.append(copy)
        return written


class _Records(Generic[K, V]):
    """A unit of work's view of frozen records: reads see staged puts.

    A record may replace only one this unit read; a put over a stored record it never read
    (an id taken meanwhile, or reused) is refused at commit.
    """

    def __init__(self, what: str, rows: dict[K, V]) -> None:
        self._what, self._rows = what, rows
        self._staged: dict[K, V] = {}
        self._read: set[K] = set()

    def find(self, key: K) -> V | None:
        if key in self._staged:
            return self._staged[key]
        self._read.add(key)
        return self._rows.get(key)

    def get(self, key: K) -> V:
        found = self.find(key)
        if found is None:
            raise NotFoundError(f"no {self._what} {key!r}")
        return found

    def put(self, key: K, record: V) -> None:
        self._staged[key] = record

    def _all(self) -> Iterator[V]:
        self._read.update(self._rows)
        yield from {**self._rows, **self._staged}.values()

    def check(self) -> None:
        for key in self._staged:
            if key not in self._read and key in self._rows:
                raise ConcurrencyError(f"{self._what} {key!r} already exists")

    def apply(self) -> None:
        self._rows.update(self._staged)


class _Payments(_Aggregates[PaymentId, "Payment"]):
    def __init__(
        self, table: _AggregateTable[PaymentId, Payment], open_holds: dict[PaymentId, datetime]
    ) -> None:
        super().__init__(table)
        self._open_holds = open_holds

    def expiring(self, now: datetime, limit: int) -> list[PaymentId]:
        due = sorted((at, key) for key, at in self._open_holds.items() if at <= now)
        return [key for _, key in due[:limit]]


class _Refunds(_Records[RefundId, RefundRequest]):
    def for_payment(self, payment_id: PaymentId) -> list[RefundRequest]:
        found = [r for r in self._all() if r.payment_id == payment_id]
        return sorted(found, key=attrgetter("requested_at"))

    def unanswered(self, now: datetime, limit: int) -> list[RefundId]:
        due = sorted(
            (r.answer_deadline, r.refund_id)
            for r in self._all()
            if r.status is RefundRequestStatus.REQUESTED and r.answer_deadline < now
        )
        return [key for _, key in due[:limit]]


class _Disputes(_Records[DisputeId, Dispute]):
    def for_refund(self, refund_id: RefundId) -> list[Dispute]:
        found = [d for d in self._all() if d.refund_id == refund_id]
        return sorted(found, key=attrgetter("opened_at"))

    def unanswered(self, now: datetime, limit: int) -> list[DisputeId]:
        due = sorted(
            (d.response_deadline, d.dispute_id)
            for d in self._all()
            if d.status is DisputeStatus.OPEN and d.response_deadline < now
        )
        return [key for _, key in due[:limit]]

    def overdue(self, now: datetime, limit: int) -> list[DisputeId]:
        due = sorted(
            (d.decision_deadline, d.dispute_id)
            for d in self._all()
            if not d.is_terminal and d.decision_deadline < now
        )
        return [key for _, key in due[:limit]]


class _Ledger:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._changed: dict[AccountId, AccountBalance] = {}
        self._entries: list[JournalEntry] = []

    def post(self, entry: JournalEntry) -> None:
        if type(entry) is not JournalEntry:
            raise WalletError(f"post() takes a JournalEntry, not {type(entry).__name__}")
        changed = self._changed
        # nothing staged yet (a command's first entry): read the committed map as it is
        view = _Overlay(changed, self._store.balances) if changed else self._store.balances
        changed.update(entry.apply(view))
        self._entries.append(entry)

    def balance(self, account: AccountId) -> AccountBalance:
        found = self._changed.get(account) or self._store.balances.get(account)
        return found if found is not None else AccountBalance.zero(self._store.currency)

    def balances(self) -> dict[AccountId, AccountBalance]:
        return {**self._store.balances, **self._changed}

    def entries(self, account: AccountId | None = None) -> Iterator[JournalEntry]:
        for entry in self._store.journal:
            if account is None or any(p.account == account for p in entry.postings):
                yield entry

    def apply(self) -> None:
        self._store.balances.update(self._changed)
        self._store.journal.extend(self._entries)


class _Overlay(dict[AccountId, AccountBalance]):
    """Staged balances over committed ones, read-only, without copying the committed map."""

    def __init__(
        self, staged: dict[AccountId, AccountBalance], committed: dict[AccountId, AccountBalance]
    ) -> None:
        super().__init__(staged)
        self._committed = committed

    def get(self, key: AccountId, default: Any = None) -> Any:  # dict.get's own shape
        found = super().get(key)
        return found if found is not None else self._committed.get(key, default)


class _Events:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
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
        found = []
        for position in self._store.by_aggregate.get(aggregate_id, ()):
            event = self._store.outbox[position - 1].event
            if (
                event.version > after_version
                and (start is None or event.at >= start)
                and (end is None or event.at < end)
            ):
                found.append(event)
        return found

    def undelivered(self, limit: int) -> list[StoredEvent]:
        pending = self._store.undelivered
        return [self._store.outbox[position - 1] for position in sorted(pending)[:limit]]

    def mark_delivered(self, positions: Iterable[int]) -> None:
        self._delivered.update(positions)

    def apply(self) -> None:
        store = self._store
        outbox, by_aggregate, undelivered = store.outbox, store.by_aggregate, store.undelivered
        for position, event in enumerate(self._new, start=len(outbox) + 1):
            outbox.append(StoredEvent(position, event))
            positions = by_aggregate.get(event.aggregate_id)
            if positions is None:
                positions = by_aggregate[event.aggregate_id] = []
            positions.append(position)
            undelivered.add(position)
        for position in self._delivered & undelivered:
            store.outbox[position - 1] = attrs.evolve(store.outbox[position - 1], delivered=True)
            store.undelivered.discard(position)


class _Idempotency:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._staged: dict[str, IdempotencyRecord] = {}
        self._purged: set[str] = set()

    def get(self, key: str) -> IdempotencyRecord | None:
        return self._staged.get(key) or self._store.idempotency.get(key)

    def put(self, record: IdempotencyRecord) -> None:
        self._staged[record.key] = record

    def purge(self, now: datetime) -> int:
        expired = {k for k, r in self._store.idempotency.items() if r.expires_at <= now}
        self._purged |= expired
        return len(expired)

    def check(self) -> None:
        """Insert-only: a live record under a staged key means another command got there first."""
        stored = self._store.idempotency
        for key, record in self._staged.items():
            existing = stored.get(key)
            if existing is not None and existing.expires_at > record.created_at:
                raise ConcurrencyError(f"idempotency key {key!r} was recorded by another command")

    def apply(self) -> None:
        for key in self._purged:
            self._store.idempotency.pop(key, None)
        self._store.idempotency.update(self._staged)


class InMemoryStore:
    """Committed state of every store, shared by the units of work it opens.

    Args:
        currency: the currency of accounts that have never been posted to.
    """

    def __init__(self, currency: str = "CNY") -> None:
        self.currency = currency
        self._lock = threading.RLock()
        self.wallets: _AggregateTable[WalletId, Wallet] = _AggregateTable(
            "wallet", attrgetter("wallet_id")
        )
        self.merchants: _AggregateTable[MerchantId, Merchant] = _AggregateTable(
            "merchant", attrgetter("merchant_id")
        )
        self.payments: _AggregateTable[PaymentId, Payment] = _AggregateTable(
            "payment", attrgetter("payment_id")
        )
        self.open_holds: dict[PaymentId, datetime] = {}
        self.refunds: dict[RefundId, RefundRequest] = {}
        self.disputes: dict[DisputeId, Dispute] = {}
        self.registrations: dict[RegistrationId, Registration] = {}
        self.owners: dict[str, WalletId] = {}
        self.credentials: dict[WalletId, Credentials] = {}
        self.balances: dict[AccountId, AccountBalance] = {}
        self.journal: list[JournalEntry] = []
        self.outbox: list[StoredEvent] = []
        self.by_aggregate: dict[str, list[int]] = {}
        self.undelivered: set[int] = set()
        self.idempotency: dict[str, IdempotencyRecord] = {}

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A new unit of work over this store."""
        return InMemoryUnitOfWork(self)

    reader = unit_of_work
    """Units of work for queries (the same here: units run one at a time anyway)."""


class _PerTransaction(Generic[H]):
    """A unit of work's helper (its wallets, its ledger...), built on first use in a transaction.

    A unit of work starts afresh four times per command (``__init__``, ``__enter__``,
    ``commit``, ``__exit__``); building all nine helpers each time cost more than a payment's
    own bookkeeping. The helper is kept in the unit of work's ``__dict__``, where it hides this
    (non-data) descriptor until :meth:`InMemoryUnitOfWork._begin` drops it.
    """

    def __init__(self, build: Callable[[InMemoryStore], H]) -> None:
        self._build = build
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, unit: None, owner: type) -> Self: ...
    @overload
    def __get__(self, unit: InMemoryUnitOfWork, owner: type) -> H: ...
    def __get__(self, unit: InMemoryUnitOfWork | None, owner: type) -> Self | H:
        if unit is None:
            return self
        helper = vars(unit)[self._name] = self._build(unit._store)
        return helper


class InMemoryUnitOfWork:
    """One transaction over an :class:`InMemoryStore` (see the module docstring)."""

    wallets = _PerTransaction["_Aggregates[WalletId, Wallet]"](
        lambda store: _Aggregates(store.wallets)
    )
    merchants = _PerTransaction["_Aggregates[MerchantId, Merchant]"](
        lambda store: _Aggregates(store.merchants)
    )
    payments = _PerTransaction(lambda store: _Payments(store.payments, store.open_holds))
    refunds = _PerTransaction(lambda store: _Refunds("refund request", store.refunds))
    disputes = _PerTransaction(lambda store: _Disputes("dispute", store.disputes))
    registrations = _PerTransaction["_Records[RegistrationId, Registration]"](
        lambda store: _Records("registration", store.registrations)
    )
    owners = _PerTransaction["_Records[str, WalletId]"](
        lambda store: _Records("owner", store.owners)
    )
    credentials = _PerTransaction["_Records[WalletId, Credentials]"](
        lambda store: _Records("credentials", store.credentials)
    )
    ledger = _PerTransaction(_Ledger)
    events = _PerTransaction(_Events)
    idempotency = _PerTransaction(_Idempotency)

    # the store and its lock live in slots, so that ``__dict__`` holds only the helpers built
    __slots__ = ("__dict__", "__weakref__", "_lock", "_store")

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._lock = store._lock

    def _begin(self) -> None:
        """Drop whatever is staged: each helper is built afresh, empty, on its next use."""
        vars(self).clear()  # only helpers are kept there (see ``__slots__``)

    def __enter__(self) -> Self:
        self._lock.acquire()
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._begin()  # whatever was not committed is dropped
        self._lock.release()

    def commit(self) -> None:
        """Check every version, then apply every staged change (nothing if a check fails)."""
        self.wallets.check()
        self.merchants.check()
        self.payments.check()
        self.idempotency.check()
        used = vars(self)  # records a command did not touch have nothing staged: skip building them
        records = [
            used[name]
            for name in ("refunds", "disputes", "registrations", "owners", "credentials")
            if name in used
        ]
        for store in records:
            store.check()
        self.wallets.apply()
        self.merchants.apply()
        for payment in self.payments.apply():
            if payment.is_open:
                self._store.open_holds[payment.payment_id] = payment.hold.expires_at
            else:
                self._store.open_holds.pop(payment.payment_id, None)
        for store in records:
            store.apply()
        self.ledger.apply()
        self.events.apply()
        self.idempotency.apply()
        self._begin()
