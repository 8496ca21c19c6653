"""Ports: the ``typing.Protocol`` interfaces the service depends on.

Every port has a public in-memory adapter in :mod:`icbc_wallet.adapters`, and
:mod:`icbc_wallet.testing.contracts` ships contract tests any other adapter can subclass.
"""

from icbc_wallet.ports.cipher import Cipher
from icbc_wallet.ports.notifications import Notification, NotificationKind, Notifier
from icbc_wallet.ports.persistence import (
    AggregateRepository,
    DisputeStore,
    EventStore,
    HolderRepository,
    IdempotencyRecord,
    IdempotencyStore,
    LedgerStore,
    PaymentRepository,
    RecordStore,
    RefundStore,
    StoredEvent,
    UnitOfWork,
    UnitOfWorkFactory,
)
from icbc_wallet.ports.runtime import Clock, IdGenerator
from icbc_wallet.ports.secrets import SecretHasher
from icbc_wallet.ports.verification import CardVerifier, IdentityVerifier, PhoneVerifier

__all__ = [
    "AggregateRepository",
    "CardVerifier",
    "Cipher",
    "Clock",
    "DisputeStore",
    "EventStore",
    "HolderRepository",
    "IdGenerator",
    "IdempotencyRecord",
    "IdempotencyStore",
    "IdentityVerifier",
    "LedgerStore",
    "Notification",
    "NotificationKind",
    "Notifier",
    "PaymentRepository",
    "PhoneVerifier",
    "RecordStore",
    "RefundStore",
    "SecretHasher",
    "StoredEvent",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
