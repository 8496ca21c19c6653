"""The use cases: :class:`WalletService` over the ports (see :mod:`icbc_wallet.ports`).

Every mutating command takes an ``idempotency_key``: the same key with the same parameters
returns the first result and changes nothing; with other parameters it raises
:class:`~icbc_wallet.errors.IdempotencyConflict`. A command refused for bad input records
nothing. Declines are results, not errors.
"""

from __future__ import annotations

from icbc_wallet.service.accounts import AccountCommands
from icbc_wallet.service.config import WalletPolicies
from icbc_wallet.service.disputes import DisputeCommands
from icbc_wallet.service.limits import LimitCommands
from icbc_wallet.service.money import MoneyCommands
from icbc_wallet.service.refunds import RefundCommands
from icbc_wallet.service.registration import RegistrationCommands
from icbc_wallet.service.results import OperationResult
from icbc_wallet.service.security import SecurityCommands, TotpSetup
from icbc_wallet.service.statements import StatementQueries

__all__ = ["OperationResult", "TotpSetup", "WalletPolicies", "WalletService"]


class WalletService(
    RegistrationCommands,
    SecurityCommands,
    AccountCommands,
    MoneyCommands,
    RefundCommands,
    DisputeCommands,
    LimitCommands,
    StatementQueries,
):
    """Every use case of the wallet, over a unit-of-work factory and the other ports.

    Args:
        unit_of_work: makes one unit of work per command (``store.unit_of_work``).
        clock: the time source; read once per command.
        ids: makes payment, transfer, entry and wallet ids.
        hasher: hashes the payment password and the security answer.
        phone_verifier: sends and checks one-time codes.
        identity_verifier: checks a name and resident ID.
        card_verifier: confirms a card belongs to the holder.
        policies: limits, tiers, fees and deadlines (``WalletPolicies.default()`` when None).
        fingerprint_key: the secret (at least 16 bytes) that keys idempotency fingerprints. A
            random one is drawn when None, which suits one process; services whose idempotency
            records outlive the process (SQLite, PostgreSQL) must pass a stable secret.
        attempts: how many times a command runs when it meets a :class:`ConcurrencyError`
            (another command changed what it read; a serialization failure or deadlock), with
            a short random pause between runs. 1 turns retries off.
        read_unit_of_work: makes the units of work queries run in (``store.reader``: a
            snapshot without write locks); ``unit_of_work`` when None.
        notifier: delivers one-time SMS codes (:meth:`send_code`); events reach customers
            through the :class:`~icbc_wallet.service.dispatcher.EventDispatcher` instead.
        attestation_verifier: checks devices' attestations (fingerprint, face, bound device,
            certificate); without one, no attestation counts as a factor.
    """
