"""Composition: a ready-to-use wallet service wired to in-memory adapters.

:func:`in_memory` is for tests, notebooks, examples and simulations: one process, a manual
clock you move yourself, readable sequential ids, and verifiers that accept everything except
what you list. Services wire their own adapters (SQLite, PostgreSQL, a real SMS gateway) into
:class:`~icbc_wallet.service.WalletService` the same way.

```pycon
>>> from datetime import datetime, timezone
>>> bank = in_memory(start=datetime(2026, 3, 1, 12, tzinfo=timezone.utc))
>>> bank.service.policies.limits.name
'ecny-2021-qr'

```
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import attrs

from icbc_wallet.adapters.codec import Codec, storable_classes
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.memory import InMemoryStore
from icbc_wallet.adapters.notifiers import InMemoryNotifier
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds
from icbc_wallet.adapters.verification import (
    InMemoryCardVerifier,
    InMemoryIdentityVerifier,
    InMemoryPhoneVerifier,
)
from icbc_wallet.service import WalletPolicies, WalletService, results
from icbc_wallet.service.dispatcher import EventDispatcher
from icbc_wallet.wallet import aggregate, merchant, payment

__all__ = ["InMemoryBank", "in_memory", "storage_codec"]


@attrs.frozen
class InMemoryBank:
    """A wallet service and the in-memory adapters behind it, for inspection."""

    service: WalletService
    store: InMemoryStore
    clock: ManualClock
    notifier: InMemoryNotifier
    phone_verifier: InMemoryPhoneVerifier
    dispatcher: EventDispatcher


def in_memory(
    policies: WalletPolicies | None = None,
    *,
    start: datetime | None = None,
    rejected_ids: Iterable[str] = (),
    rejected_cards: Iterable[str] = (),
    hasher: ScryptHasher | None = None,
) -> InMemoryBank:
    """A :class:`WalletService` over fresh in-memory adapters.

    Args:
        policies: the policy set (``WalletPolicies.default()`` when None).
        start: the manual clock's first instant (2026-01-01 00:00 UTC when None).
        rejected_ids: resident ID numbers the identity verifier refuses.
        rejected_cards: card numbers the card verifier refuses.
        hasher: the password hasher; a deliberately cheap scrypt when None (never in production:
            pass ``ScryptHasher()`` for OWASP parameters).
    """
    store = InMemoryStore()
    clock = ManualClock(start or datetime(2026, 1, 1, tzinfo=UTC))
    notifier = InMemoryNotifier()
    phones = InMemoryPhoneVerifier()
    service = WalletService(
        store.unit_of_work,
        clock=clock,
        ids=SequentialIds(),
        hasher=hasher or ScryptHasher.fast_for_tests(),
        phone_verifier=phones,
        identity_verifier=InMemoryIdentityVerifier(rejected_ids),
        card_verifier=InMemoryCardVerifier(rejected_cards),
        policies=policies,
    )
    dispatcher = EventDispatcher(store.unit_of_work, notifier)
    return InMemoryBank(service, store, clock, notifier, phones, dispatcher)


def storage_codec() -> Codec:
    """The codec durable stores use: the domain's classes, the aggregates and the results.

    Adapters may not import the aggregates or the service (the layers flow one way), so the
    composition root hands them the codec that knows those classes.
    """
    return Codec(storable_classes(aggregate, merchant, payment, results))
