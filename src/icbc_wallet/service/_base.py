"""What every use case shares: the ports, the policy set, and the idempotent command runner."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from operator import attrgetter
from typing import Any, TypeVar

import attrs

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.events import LimitIncreaseExpired
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import IdempotencyKey, WalletId, parse_id
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    ConcurrencyError,
    IdempotencyConflict,
    InvalidAmountError,
    InvalidPolicyError,
    InvalidSweepLimitError,
    LimitChoiceError,
)
from icbc_wallet.policies.limit_increase import effective_limits
from icbc_wallet.policies.tiers import choose_limits
from icbc_wallet.ports.notifications import Notifier
from icbc_wallet.ports.persistence import IdempotencyRecord, UnitOfWork, UnitOfWorkFactory
from icbc_wallet.ports.runtime import Clock, IdGenerator
from icbc_wallet.ports.secrets import SecretHasher
from icbc_wallet.ports.verification import (
    AttestationVerifier,
    CardVerifier,
    IdentityVerifier,
    PhoneVerifier,
)
from icbc_wallet.service.config import WalletPolicies
from icbc_wallet.wallet.aggregate import Wallet, WalletStatus
from icbc_wallet.wallet.merchant import Merchant
from icbc_wallet.wallet.payment import Payment

__all__ = ["ServiceBase", "fingerprint", "require_amount", "sweep_limit"]

R = TypeVar("R")
_MIN_KEY_BYTES = 16
_MAX_ATTEMPTS = 100
_BACKOFF = 0.001  # seconds; doubled per attempt, the pause drawn at random up to it
_MAX_PAUSE = 0.25  # seconds: however many attempts, no pause is longer


def _canonical(value: object) -> str:
    """A stable text for one parameter; identity numbers in clear (only their hash is kept)."""
    kind = type(value)
    write = _WRITERS.get(kind)
    if write is None:
        write = _WRITERS[kind] = _writer(kind)
    return write(value)


_WRITERS: dict[type, Callable[[Any], str]] = {}
"""How each type of parameter is written, chosen once per type (see :func:`_writer`)."""


def _writer(kind: type) -> Callable[[Any], str]:  # noqa: PLR0911  # one case per kind of value
    """How :func:`_canonical` writes a value of type ``kind``.

    The way depends on the type alone, so it is chosen once per type: every command
    fingerprints its parameters, and walking the cases for each value cost as much as the HMAC.
    """
    name = kind.__name__
    if issubclass(kind, BankCard | PhoneNumber | ResidentId):
        return lambda value: f"{name}:{value.reveal()}"
    if kind is Money:
        return lambda value: f"Money:{value.minor}:{value.currency}"
    if issubclass(kind, Enum):
        return lambda value: f"{name}:{value._value_}"  # .value's descriptor, without the call
    if issubclass(kind, datetime):
        return lambda value: f"datetime:{value.isoformat()}"
    if attrs.has(kind):
        # each field's "name=" prefix and reader built once: a command's order has six fields
        fields = tuple((f"{field.name}=", attrgetter(field.name)) for field in attrs.fields(kind))
        return lambda value: (
            f"{name}(" + ",".join([f + _canonical(read(value)) for f, read in fields]) + ")"
        )
    if issubclass(kind, frozenset | set):
        return lambda value: "[" + ",".join(sorted(_canonical(item) for item in value)) + "]"
    if issubclass(kind, tuple | list):
        return lambda value: "[" + ",".join([_canonical(item) for item in value]) + "]"
    return lambda value: f"{name}:{value!r}"


def fingerprint(key: bytes, command: str, **params: object) -> str:
    """An HMAC-SHA-256, under the service's secret ``key``, of a command and its parameters.

    Equal commands give equal fingerprints. Card, ID and phone numbers (and a new password) go
    into it in clear, so two cards with the same last four digits differ; being keyed, the
    stored fingerprint cannot be reversed by trying every six-digit password or phone number.
    """
    text = command + "\x1f" + "\x1f".join(f"{k}={_canonical(v)}" for k, v in sorted(params.items()))
    return hmac.digest(key, text.encode(), hashlib.sha256).hex()


_MAX_SWEEP = 10_000


def sweep_limit(limit: object) -> int:
    """Check a sweep's batch size: an int from 1 to 10,000.

    Raises:
        InvalidSweepLimitError: anything else.
    """
    if type(limit) is not int or not 1 <= limit <= _MAX_SWEEP:
        raise InvalidSweepLimitError(f"limit must be an int from 1 to {_MAX_SWEEP}, not {limit!r}")
    return limit


def require_amount(amount: object, currency: str) -> Money:
    """Check a command's amount: positive Money in the wallet's ``currency``.

    Raises:
        InvalidAmountError: anything else.
    """
    if type(amount) is not Money:
        raise InvalidAmountError(f"an amount must be Money, not {type(amount).__name__}")
    if amount.currency != currency:
        raise InvalidAmountError(f"the wallet works in {currency}, not {amount.currency}")
    if amount.minor <= 0:
        raise InvalidAmountError(f"an amount must be positive, not {amount}")
    return amount


class ServiceBase:
    """The ports and policies every use case reads (see :class:`~icbc_wallet.service.WalletService`)."""

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        *,
        clock: Clock,
        ids: IdGenerator,
        hasher: SecretHasher,
        phone_verifier: PhoneVerifier,
        identity_verifier: IdentityVerifier,
        card_verifier: CardVerifier,
        policies: WalletPolicies | None = None,
        fingerprint_key: bytes | None = None,
        attempts: int = 5,
        read_unit_of_work: UnitOfWorkFactory | None = None,
        notifier: Notifier | None = None,
        attestation_verifier: AttestationVerifier | None = None,
    ) -> None:
        self._uow = unit_of_work
        self._read = read_unit_of_work or unit_of_work
        self._clock = clock
        self._ids = ids
        self._hasher = hasher
        self._phone_verifier = phone_verifier
        self._identity_verifier = identity_verifier
        self._card_verifier = card_verifier
        self._notifier = notifier
        self._attestation_verifier = attestation_verifier
        self.policies = policies if policies is not None else WalletPolicies.default()
        if fingerprint_key is None:
            fingerprint_key = secrets.token_bytes(32)
        elif type(fingerprint_key) is not bytes or len(fingerprint_key) < _MIN_KEY_BYTES:
            raise InvalidPolicyError(f"fingerprint_key must be at least {_MIN_KEY_BYTES} bytes")
        self._fingerprint_key = fingerprint_key
        if type(attempts) is not int or not 1 <= attempts <= _MAX_ATTEMPTS:
            raise InvalidPolicyError(f"attempts must be an int from 1 to {_MAX_ATTEMPTS}")
        self._attempts = attempts

    def _now(self) -> datetime:
        return require_aware(self._clock.now(), "the clock's now()")

    def _run(
        self,
        key: str,
        command: str,
        params: Mapping[str, object],
        body: Callable[[UnitOfWork, datetime], R],
    ) -> R:
        """Run ``body`` once per idempotency key, in one unit of work.

        A replay with the same parameters returns the first result and changes nothing; with
        other parameters it raises :class:`IdempotencyConflict`. If ``body`` raises, nothing is
        recorded, so a command refused for bad input may be retried with the same key. A
        :class:`ConcurrencyError` runs the whole command again, up to ``attempts`` times in all
        (``body`` must therefore not keep state between runs).
        """
        key = parse_id(key, IdempotencyKey)
        digest = fingerprint(self._fingerprint_key, command, **params)
        return self._retrying(lambda: self._run_once(key, command, digest, body))

    def _retrying(self, once: Callable[[], R]) -> R:
        for attempt in range(1, self._attempts):
            try:
                return once()
            except ConcurrencyError:
                # Another command changed what this one read (or a database reported a
                # serialization failure or deadlock): run it again on what is there now,
                # after a short random pause so that the two do not collide again.
                time.sleep(random.uniform(0, min(_MAX_PAUSE, _BACKOFF * 2**attempt)))
        return once()

    def _transact(self, body: Callable[[UnitOfWork, datetime], R]) -> R:
        """Run ``body`` in one unit of work and commit, retried on :class:`ConcurrencyError`.

        For tries of a secret: every try counts, so they take no idempotency key, and two
        concurrent wrong tries both count (the second runs again on the first's result).
        """
        return self._retrying(lambda: self._commit(body))

    def _commit(self, body: Callable[[UnitOfWork, datetime], R]) -> R:
        with self._uow() as uow:
            result = body(uow, self._now())
            uow.commit()
            return result

    def _run_once(
        self, key: str, command: str, digest: str, body: Callable[[UnitOfWork, datetime], R]
    ) -> R:
        with self._uow() as uow:
            now = self._now()  # inside the transaction: commands commit in the order of their now
            record = uow.idempotency.get(key)
            if record is not None and record.expires_at > now:
                if record.fingerprint != digest:
                    raise IdempotencyConflict(
                        f"idempotency key {key!r} was used for another {command} or other parameters"
                    )
                return record.result  # type: ignore[return-value]  # stored by this same command
            result = body(uow, now)
            expires = now + self.policies.idempotency_time
            uow.idempotency.put(IdempotencyRecord(key, digest, result, now, expires))
            uow.commit()
            return result

    def _apply_tier(self, wallet: Wallet, tier: str, now: datetime) -> None:
        """Give ``wallet`` the limits of ``tier``.

        They are narrowed by the holder's choice (where it still fits the tier) and widened by a
        grant while it lasts.
        """
        tier_limits = self.policies.limits.tier(tier)
        try:
            narrowed = choose_limits(tier_limits, wallet.chosen_limit)
        except LimitChoiceError:  # a choice made for another tier that no longer fits
            narrowed = tier_limits
        grant = wallet.grant if wallet.grant is not None and wallet.grant.is_active(now) else None
        wallet.set_limits(tier, effective_limits(narrowed, grant, now), grant)

    def _load_wallet(self, uow: UnitOfWork, wallet_id: WalletId, now: datetime) -> Wallet:
        """Load a wallet; a limit grant that has lapsed by ``now`` expires first (an event)."""
        wallet = uow.wallets.get(wallet_id)
        grant = wallet.grant
        if (
            grant is not None
            and not grant.is_active(now)
            and wallet.status is not WalletStatus.CLOSED
        ):
            wallet.grant = None
            self._apply_tier(wallet, wallet.tier, now)
            wallet.record(LimitIncreaseExpired, now)
        return wallet

    @staticmethod
    def _save(uow: UnitOfWork, *aggregates: Wallet | Merchant) -> None:
        """Stage changed wallets and merchants with the events they recorded."""
        for aggregate in aggregates:
            if isinstance(aggregate, Wallet):
                uow.wallets.save(aggregate)
            else:
                uow.merchants.save(aggregate)
            uow.events.append(aggregate.pull_events())

    @staticmethod
    def _save_payment(uow: UnitOfWork, payment: Payment, *, new: bool = False) -> None:
        if new:
            uow.payments.add(payment)
        else:
            uow.payments.save(payment)
