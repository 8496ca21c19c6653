"""The SQLite schema: its tables, its version, and the migrations that build it.

The database records the version of the schema it was built with in ``schema_version``.
:func:`migrate` applies the migrations a database lacks, in order, in one transaction; a
database written by a newer library (a version this one does not know) is refused with
:class:`~icbc_wallet.errors.SchemaVersionError` rather than misread.

Amounts are INTEGER minor units; instants are UTC text of fixed width (so that text order is
time order, see :func:`icbc_wallet.adapters._sql_rows.instant`); aggregates and records are JSON documents written by the
storage codec, with the columns the queries filter on kept alongside and indexed.
"""

from __future__ import annotations

import sqlite3
from typing import Final

from icbc_wallet.adapters._sql_rows import apply_migrations

__all__ = ["SCHEMA_VERSION", "migrate"]

_V1: Final = """
CREATE TABLE wallets (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL,
    currency TEXT NOT NULL, posted INTEGER NOT NULL, pending INTEGER NOT NULL
);
CREATE TABLE merchants (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL,
    currency TEXT NOT NULL, posted INTEGER NOT NULL, pending INTEGER NOT NULL
);
CREATE TABLE payments (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL,
    hold_expires_at TEXT  -- NULL once the hold is no longer open
);
CREATE INDEX payments_open_holds ON payments (hold_expires_at, id)
    WHERE hold_expires_at IS NOT NULL;
CREATE TABLE refunds (
    id TEXT PRIMARY KEY, payment_id TEXT NOT NULL, requested_at TEXT NOT NULL,
    awaiting INTEGER NOT NULL, answer_deadline TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX refunds_by_payment ON refunds (payment_id, requested_at);
CREATE INDEX refunds_unanswered ON refunds (answer_deadline, id) WHERE awaiting = 1;
CREATE TABLE disputes (
    id TEXT PRIMARY KEY, refund_id TEXT NOT NULL, opened_at TEXT NOT NULL,
    open INTEGER NOT NULL, terminal INTEGER NOT NULL,
    response_deadline TEXT NOT NULL, decision_deadline TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX disputes_by_refund ON disputes (refund_id, opened_at);
CREATE INDEX disputes_unanswered ON disputes (response_deadline, id) WHERE open = 1;
CREATE INDEX disputes_overdue ON disputes (decision_deadline, id) WHERE terminal = 0;
CREATE TABLE registrations (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE owners (id TEXT PRIMARY KEY, data TEXT NOT NULL);  -- a keyed hash → a wallet id
CREATE TABLE accounts (
    account TEXT PRIMARY KEY, currency TEXT NOT NULL, posted INTEGER NOT NULL
);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY, entry_id TEXT NOT NULL, at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE postings (
    seq INTEGER NOT NULL REFERENCES entries (seq), account TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL
);
CREATE INDEX postings_by_account ON postings (account, seq);
-- AUTOINCREMENT: a position is a notification's id, never to be reused even if rows go.
CREATE TABLE outbox (
    position INTEGER PRIMARY KEY AUTOINCREMENT, aggregate_id TEXT NOT NULL,
    version INTEGER NOT NULL, at TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_by_aggregate ON outbox (aggregate_id, at);
CREATE INDEX outbox_undelivered ON outbox (position) WHERE delivered = 0;
CREATE TABLE idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, result TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE INDEX idempotency_expiry ON idempotency (expires_at);
"""

# V2: each wallet's hashed secrets and lockouts (issue 5). Wallets opened before it get theirs
# from their submitted registration (found by the phone number: one person, one wallet); the
# fields left out take their defaults when read (no failures, no authenticator).
_V2: Final = """
CREATE TABLE credentials (id TEXT PRIMARY KEY, data TEXT NOT NULL);
INSERT OR IGNORE INTO credentials (id, data)
SELECT w.id, json_object(
    '$type', 'Credentials', 'wallet_id', w.id,
    'password_hash', json_extract(r.data, '$.password_hash'),
    'security_question', json_extract(r.data, '$.security_question'),
    'answer_hash', json_extract(r.data, '$.answer_hash')
)
FROM wallets w JOIN registrations r
    ON json_extract(r.data, '$.phone.text') = json_extract(w.data, '$.owner.phone.text')
WHERE json_extract(r.data, '$.submitted_at') IS NOT NULL
    AND json_extract(r.data, '$.password_hash') IS NOT NULL
"""

_MIGRATIONS: Final = (_V1, _V2)
SCHEMA_VERSION: Final = len(_MIGRATIONS)
"""The schema version this library writes (and the newest it can read)."""


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the database up to :data:`SCHEMA_VERSION` (in one transaction); returns the version.

    Raises:
        SchemaVersionError: the database was written by a newer schema than this library knows.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = apply_migrations(connection, _MIGRATIONS, "the database")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return version
