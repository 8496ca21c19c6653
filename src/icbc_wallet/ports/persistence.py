"""Persistence ports: repositories, the ledger, the event outbox, idempotency records, the unit of work.

A :class:`UnitOfWork` is one transaction. Everything a command reads and writes goes through it;
``commit()`` makes all of it durable at once — aggregates, journal entries, events (the outbox)
and the idempotency record — or none of it. Leaving the ``with`` block without ``commit()``
rolls back. Two units of work that change the same aggregate cannot both commit: the second
raises :class:`~icbc_wallet.errors.ConcurrencyError` (or waits for a lock and then sees the new
version, depending on the adapter).

Aggregates (wallets, merchants, payments) carry a ``version``; repositories return independent
copies, so changing one that is never saved changes nothing. Records (refund requests, disputes,
registrations, credentials) are frozen values, replaced whole with ``put``.

The aggregate types are imported for annotations only: at run time this module depends on the
domain alone (import-linter checks it with type-checking imports excluded).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

import attrs

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

if TYPE_CHECKING:
    from icbc_wallet.domain.credentials import Credentials
    from icbc_wallet.domain.disputes import Dispute
    from icbc_wallet.domain.refund_requests import RefundRequest
    from icbc_wallet.domain.registration import Registration
    from icbc_wallet.wallet.aggregate import Wallet
    from icbc_wallet.wallet.merchant import Merchant
    from icbc_wallet.wallet.payment import Payment  # noqa: F401  # used in a quoted base below

__all__ = [
    "AggregateRepository",
    "DisputeStore",
    "EventStore",
    "HolderRepository",
    "IdempotencyRecord",
    "IdempotencyStore",
    "LedgerStore",
    "PaymentRepository",
    "RecordStore",
    "RefundStore",
    "StoredEvent",
    "UnitOfWork",
    "UnitOfWorkFactory",
]

K_contra = TypeVar("K_contra", bound=str, contravariant=True)
A = TypeVar("A")
V = TypeVar("V")


class AggregateRepository(Protocol[K_contra, A]):
    """Wallets, merchants or payments by id."""

    def get(self, key: K_contra) -> A:
        """A copy of the aggregate; raises ``NotFoundError`` when there is none."""
        ...

    def find(self, key: K_contra) -> A | None:
        """A copy of the aggregate, or None."""
        ...

    def add(self, item: A) -> None:
        """Stage a new aggregate; ``commit`` raises ``ConcurrencyError`` if the id is taken."""
        ...

    def save(self, item: A) -> None:
        """Stage a changed aggregate read in this unit of work.

        ``commit`` raises ``ConcurrencyError`` if another unit of work saved it since.
        """
        ...


class HolderRepository(AggregateRepository[K_contra, A], Protocol):
    """Wallets or merchants: aggregates that hold money, whose balance can be read alone."""

    def balance(self, key: K_contra) -> AccountBalance:
        """The holder's posted and pending money, without loading the whole aggregate.

        Raises ``NotFoundError`` when there is none.
        """
        ...


class PaymentRepository(AggregateRepository[PaymentId, "Payment"], Protocol):
    """Payments, with the query the expiry sweep needs."""

    def expiring(self, now: datetime, limit: int) -> list[PaymentId]:
        """Ids of payments whose hold is open and expired at ``now`` (at most ``limit``)."""
        ...


class RecordStore(Protocol[K_contra, V]):
    """Frozen records by id (refund requests, disputes, registrations)."""

    def get(self, key: K_contra) -> V:
        """The record; raises ``NotFoundError`` when there is none."""
        ...

    def find(self, key: K_contra) -> V | None:
        """The record, or None."""
        ...

    def put(self, key: K_contra, record: V) -> None:
        """Stage a new record, or the replacement of one read in this unit of work.

        ``commit`` raises ``ConcurrencyError`` if the id of a new record is taken (put first
        by another command, or reused), or if a replaced record changed since it was read.
        """
        ...


class RefundStore(RecordStore[RefundId, "RefundRequest"], Protocol):
    """Refund requests, with the queries refunds and disputes need."""

    def for_payment(self, payment_id: PaymentId) -> list[RefundRequest]:
        """Every refund request of one payment, oldest first."""
        ...

    def unanswered(self, now: datetime, limit: int) -> list[RefundId]:
        """Ids of requests still awaiting the merchant after their deadline (at most ``limit``)."""
        ...


class DisputeStore(RecordStore[DisputeId, "Dispute"], Protocol):
    """Disputes, with the queries the bank's desk needs."""

    def for_refund(self, refund_id: RefundId) -> list[Dispute]:
        """Every dispute about one refund request, oldest first."""
        ...

    def unanswered(self, now: datetime, limit: int) -> list[DisputeId]:
        """Ids of open disputes whose merchant response deadline passed (at most ``limit``)."""
        ...

    def overdue(self, now: datetime, limit: int) -> list[DisputeId]:
        """Ids of disputes undecided past their decision deadline, most overdue first.

        Neither decided nor withdrawn, with ``decision_deadline < now``; at most ``limit``.
        """
        ...


class LedgerStore(Protocol):
    """The journal and the maintained (never summed on read) posted balance of every account."""

    def post(self, entry: JournalEntry) -> None:
        """Stage an entry.

        Raises ``InsufficientFundsError`` (nothing staged) if it would overdraw a wallet or a
        merchant account.
        """
        ...

    def balance(self, account: AccountId) -> AccountBalance:
        """The account's posted balance (pending holds are kept by the aggregates)."""
        ...

    def balances(self) -> dict[AccountId, AccountBalance]:
        """Every account's balance (for audits and tests; not on the hot path)."""
        ...

    def entries(self, account: AccountId | None = None) -> Iterator[JournalEntry]:
        """Committed entries, oldest first; only those touching ``account`` when given."""
        ...


@attrs.frozen
class StoredEvent:
    """An event with its position in the outbox (unique, increasing) and delivery state."""

    position: int
    event: Event
    delivered: bool = False


class EventStore(Protocol):
    """The outbox and the event history: events saved with the change that made them."""

    def append(self, events: Sequence[Event]) -> None:
        """Stage events; they are numbered and saved at commit."""
        ...

    def for_aggregate(
        self,
        aggregate_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        after_version: int = 0,
    ) -> list[Event]:
        """One aggregate's events in order, those at ``start <= at < end`` when given.

        ``after_version``: only events with a greater ``version`` (what a reader that has seen
        the first ones still lacks; versions never change once saved).
        """
        ...

    def undelivered(self, limit: int) -> list[StoredEvent]:
        """The oldest events not yet delivered (at most ``limit``)."""
        ...

    def mark_delivered(self, positions: Iterable[int]) -> None:
        """Stage the delivery of events by position."""
        ...


@attrs.frozen
class IdempotencyRecord:
    """What a command returned the first time its key was used.

    Attributes:
        key: the caller's idempotency key.
        fingerprint: a hash of the command's name and parameters (no secrets in clear).
        result: the command's result, returned again on a replay.
        created_at: when the command ran.
        expires_at: when the record may be purged (at least 24 hours later by default).
    """

    key: str
    fingerprint: str
    result: object
    created_at: datetime
    expires_at: datetime


class IdempotencyStore(Protocol):
    """Results of commands by idempotency key."""

    def get(self, key: str) -> IdempotencyRecord | None:
        """The record for ``key``, or None when there is none.

        A record past its ``expires_at`` but not yet purged is still returned; the caller
        decides (the service treats it as gone and records the command anew).
        """
        ...

    def put(self, record: IdempotencyRecord) -> None:
        """Stage a record.

        Insert-only: ``commit`` raises ``ConcurrencyError`` if another unit of work recorded a
        live record under the same key meanwhile.
        """
        ...

    def purge(self, now: datetime) -> int:
        """Stage the removal of records expired at ``now``; returns how many."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every store. Use it as a context manager and call ``commit()``."""

    @property
    def wallets(self) -> HolderRepository[WalletId, Wallet]:
        """The unit of work's wallets."""
        ...

    @property
    def merchants(self) -> HolderRepository[MerchantId, Merchant]:
        """The unit of work's merchants."""
        ...

    @property
    def payments(self) -> PaymentRepository:
        """The unit of work's payments."""
        ...

    @property
    def refunds(self) -> RefundStore:
        """The unit of work's refunds."""
        ...

    @property
    def disputes(self) -> DisputeStore:
        """The unit of work's disputes."""
        ...

    @property
    def registrations(self) -> RecordStore[RegistrationId, Registration]:
        """The unit of work's registrations."""
        ...

    @property
    def owners(self) -> RecordStore[str, WalletId]:
        """Who already holds a wallet: wallet ids by a keyed hash of a phone or resident ID."""
        ...

    @property
    def credentials(self) -> RecordStore[WalletId, Credentials]:
        """Each wallet's hashed secrets and lockouts (one record per wallet)."""
        ...

    @property
    def ledger(self) -> LedgerStore:
        """The unit of work's ledger."""
        ...

    @property
    def events(self) -> EventStore:
        """The unit of work's events."""
        ...

    @property
    def idempotency(self) -> IdempotencyStore:
        """The unit of work's idempotency."""
        ...

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """End it: what was not committed is rolled back."""
        ...

    def commit(self) -> None:
        """Make every staged change durable at once, or raise and change nothing."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a new unit of work per command (a callable, such as a store's ``unit_of_work``)."""

    def __call__(self) -> UnitOfWork:
        """A new, not yet entered unit of work."""
        ...
