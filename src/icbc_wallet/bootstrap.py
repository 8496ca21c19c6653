"""Composition: a ready-to-use wallet service wired to a store and stand-in verifiers.

- :func:`in_memory` is for tests, notebooks and examples: one process, a manual clock you move
  yourself, readable sequential ids.
- :func:`sqlite` keeps everything in one durable SQLite file (the embedded default).
- :func:`postgres` keeps it in a PostgreSQL schema shared by many processes (the ``postgres``
  extra).

All three wire the in-memory verifiers (they accept every phone code the SMS stand-in sent and
every ID and card except those you list) and an in-memory notifier: they are for simulations,
demos and tests. A bank wires its real SMS gateway, identity and card checks into
:class:`~icbc_wallet.service.WalletService` the same way.

```pycon
>>> from datetime import datetime, timezone
>>> bank = in_memory(start=datetime(2026, 3, 1, 12, tzinfo=timezone.utc))
>>> bank.service.policies.limits.name
'ecny-2021-qr'

```
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.codec import Codec, storable_classes
from icbc_wallet.adapters.hashing import ScryptHasher, UpgradingHasher
from icbc_wallet.adapters.memory import InMemoryStore
from icbc_wallet.adapters.notifiers import InMemoryNotifier
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds, SystemClock, UuidIds
from icbc_wallet.adapters.sqlite import SqliteStore
from icbc_wallet.adapters.verification import (
    InMemoryAttestationVerifier,
    InMemoryCardVerifier,
    InMemoryIdentityVerifier,
    InMemoryPhoneVerifier,
)
from icbc_wallet.errors import InvalidPolicyError
from icbc_wallet.ports.cipher import Cipher
from icbc_wallet.ports.persistence import UnitOfWorkFactory
from icbc_wallet.ports.runtime import Clock, IdGenerator
from icbc_wallet.ports.secrets import SecretHasher
from icbc_wallet.service import WalletPolicies, WalletService, results
from icbc_wallet.service.dispatcher import EventDispatcher
from icbc_wallet.wallet import aggregate, merchant, payment

if TYPE_CHECKING:
    from icbc_wallet.adapters.postgres import PostgresStore

__all__ = [
    "Bank",
    "InMemoryBank",
    "default_hasher",
    "in_memory",
    "postgres",
    "sqlite",
    "storage_codec",
]


@attrs.frozen
class InMemoryBank:
    """A wallet service and the in-memory adapters behind it, for inspection."""

    service: WalletService
    store: InMemoryStore
    clock: ManualClock
    notifier: InMemoryNotifier
    phone_verifier: InMemoryPhoneVerifier
    dispatcher: EventDispatcher
    attestation_verifier: InMemoryAttestationVerifier


def in_memory(
    policies: WalletPolicies | None = None,
    *,
    start: datetime | None = None,
    rejected_ids: Iterable[str] = (),
    rejected_cards: Iterable[str] = (),
    hasher: SecretHasher | None = None,
) -> InMemoryBank:
    """A :class:`WalletService` over fresh in-memory adapters.

    Args:
        policies: the policy set (``WalletPolicies.default()`` when None).
        start: the manual clock's first instant (2026-01-01 00:00 UTC when None).
        rejected_ids: resident ID numbers the identity verifier refuses.
        rejected_cards: card numbers the card verifier refuses.
        hasher: the password hasher; a deliberately cheap Argon2id when None (never in
            production: pass :func:`default_hasher` for OWASP parameters).
    """
    store = InMemoryStore()
    clock = ManualClock(start or datetime(2026, 1, 1, tzinfo=UTC))
    parts = _wire(
        store.unit_of_work,
        reader=store.reader,
        clock=clock,
        ids=SequentialIds(),
        hasher=hasher or Argon2Hasher.fast_for_tests(),
        policies=policies,
        fingerprint_key=None,
        rejected_ids=rejected_ids,
        rejected_cards=rejected_cards,
    )
    return InMemoryBank(parts[0], store, clock, *parts[1:])


@attrs.frozen
class Bank:
    """A wallet service over a durable store, with the stand-in adapters behind it."""

    service: WalletService
    store: SqliteStore | PostgresStore
    clock: Clock
    notifier: InMemoryNotifier
    phone_verifier: InMemoryPhoneVerifier
    dispatcher: EventDispatcher
    attestation_verifier: InMemoryAttestationVerifier

    def close(self) -> None:
        """Close the store's connections."""
        self.store.close()


def sqlite(
    path: str | os.PathLike[str] = "wallet.db",
    *,
    fingerprint_key: bytes,
    policies: WalletPolicies | None = None,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    hasher: SecretHasher | None = None,
    durable: bool = True,
    rejected_ids: Iterable[str] = (),
    rejected_cards: Iterable[str] = (),
    cipher: Cipher | None = None,
) -> Bank:
    """A :class:`WalletService` over a SQLite file (created, or opened and migrated).

    Args:
        path: the database file (``wallet.db`` in the working directory by default).
        fingerprint_key: the secret keying idempotency fingerprints and the one-wallet-per-person
            index: keep it with the database (the same key on every run), at least 16 bytes.
        policies: the policy set (``WalletPolicies.default()`` when None).
        clock: the system clock when None; pass a ``ManualClock`` to simulate time.
        ids: random UUID-based ids when None (safe across restarts and processes).
        hasher: :func:`default_hasher` (Argon2id at OWASP parameters) when None.
        durable: ``synchronous=FULL`` (the default) or the faster ``NORMAL``
            (see :class:`~icbc_wallet.adapters.sqlite.SqliteStore`).
        rejected_ids: resident ID numbers the identity verifier refuses.
        rejected_cards: card numbers the card verifier refuses.
        cipher: encrypts personal data at rest (phone, ID and card numbers, names, TOTP
            secrets), e.g. :class:`~icbc_wallet.adapters.aes_gcm.AesGcmCipher` (the
            ``encryption`` extra); stored in clear when None. Turning it on needs no migration:
            clear values still read, and each record is sealed when next written.
    """
    store = SqliteStore(path, codec=storage_codec(cipher), durable=durable)
    return _durable_bank(
        store, fingerprint_key, policies, clock, ids, hasher, rejected_ids, rejected_cards
    )


def postgres(
    dsn: str,
    *,
    fingerprint_key: bytes,
    schema: str = "icbc_wallet",
    policies: WalletPolicies | None = None,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    hasher: SecretHasher | None = None,
    max_connections: int = 10,
    rejected_ids: Iterable[str] = (),
    rejected_cards: Iterable[str] = (),
    cipher: Cipher | None = None,
) -> Bank:
    """A :class:`WalletService` over a PostgreSQL schema (needs the ``postgres`` extra).

    Takes the arguments of :func:`sqlite`, with ``dsn`` (a libpq connection string), the
    ``schema`` holding the tables and the pool's ``max_connections`` in place of the file.
    """
    from icbc_wallet.adapters.postgres import PostgresStore  # noqa: PLC0415  # optional extra

    store = PostgresStore(
        dsn, codec=storage_codec(cipher), schema=schema, max_connections=max_connections
    )
    return _durable_bank(
        store, fingerprint_key, policies, clock, ids, hasher, rejected_ids, rejected_cards
    )


def default_hasher(*, pepper: bytes | None = None) -> UpgradingHasher:
    """The durable banks' password hasher: Argon2id at OWASP parameters, reading scrypt too.

    Hashes stored by earlier versions (scrypt) still verify and are replaced by Argon2id ones
    on the holder's next right password.

    Args:
        pepper: an optional server-side secret (32 random bytes, say) mixed into new hashes;
            keep it out of the database (an HSM, a secrets manager).
    """
    return UpgradingHasher(Argon2Hasher(pepper=pepper), (ScryptHasher(),))


def _durable_bank(
    store: SqliteStore | PostgresStore,
    fingerprint_key: bytes,
    policies: WalletPolicies | None,
    clock: Clock | None,
    ids: IdGenerator | None,
    hasher: SecretHasher | None,
    rejected_ids: Iterable[str],
    rejected_cards: Iterable[str],
) -> Bank:
    if type(fingerprint_key) is not bytes:  # a durable store must not get a random one
        store.close()
        raise InvalidPolicyError("fingerprint_key must be bytes kept with the database")
    clock = clock or SystemClock()
    try:
        parts = _wire(
            store.unit_of_work,
            reader=store.reader,
            clock=clock,
            ids=ids or UuidIds(),
            hasher=hasher or default_hasher(),
            policies=policies,
            fingerprint_key=fingerprint_key,
            rejected_ids=rejected_ids,
            rejected_cards=rejected_cards,
        )
    except BaseException:
        store.close()
        raise
    return Bank(parts[0], store, clock, *parts[1:])


def _wire(
    units: UnitOfWorkFactory,
    *,
    reader: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    hasher: SecretHasher,
    policies: WalletPolicies | None,
    fingerprint_key: bytes | None,
    rejected_ids: Iterable[str],
    rejected_cards: Iterable[str],
) -> tuple[
    WalletService,
    InMemoryNotifier,
    InMemoryPhoneVerifier,
    EventDispatcher,
    InMemoryAttestationVerifier,
]:
    notifier = InMemoryNotifier()
    phones = InMemoryPhoneVerifier()
    attestations = InMemoryAttestationVerifier()
    service = WalletService(
        units,
        clock=clock,
        ids=ids,
        hasher=hasher,
        phone_verifier=phones,
        identity_verifier=InMemoryIdentityVerifier(rejected_ids),
        card_verifier=InMemoryCardVerifier(rejected_cards),
        policies=policies,
        fingerprint_key=fingerprint_key,
        read_unit_of_work=reader,
        notifier=notifier,
        attestation_verifier=attestations,
    )
    return service, notifier, phones, EventDispatcher(units, notifier), attestations


def storage_codec(cipher: Cipher | None = None) -> Codec:
    """The codec durable stores use: the domain's classes, the aggregates and the results.

    Adapters may not import the aggregates or the service (the layers flow one way), so the
    composition root hands them the codec that knows those classes. With a ``cipher``,
    personal data is sealed in the stored documents.
    """
    return Codec(storable_classes(aggregate, merchant, payment, results), cipher=cipher)
