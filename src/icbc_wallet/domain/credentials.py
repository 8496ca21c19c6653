"""Credentials: a wallet's stored secrets and the lockouts that guard them.

A wallet's :class:`Credentials` hold the payment password and security answer as hashes, the
TOTP enrolment (RFC 6238) used as the dynamic password at login, the pending SMS one-time code
(as a keyed hash) and one :class:`Lockout` per kind of secret. A six-digit password is only safe
behind a lockout: after ``max_failures`` consecutive wrong tries (default 3, see
:class:`LockoutRules`) the secret is locked for ``lock_for`` (default 3 hours); a try during the
lock is refused without being checked, so even the right password is refused; a right answer
resets the count. Everything here is a value: the service loads it, asks for the next state and
stores it in the same unit of work, so concurrent wrong tries are counted exactly (the store
refuses the second of two writers, and the service retries it on the new state).

```pycon
>>> from datetime import datetime, timedelta, timezone
>>> now = datetime(2026, 5, 1, 10, tzinfo=timezone.utc)
>>> lock = Lockout()
>>> for minute in range(3):
...     lock = lock.failed(now + timedelta(minutes=minute), LockoutRules())
>>> lock.is_locked(now + timedelta(hours=1)), lock.is_locked(now + timedelta(hours=4))
(True, False)

```
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import attrs

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.ids import WalletId, parse_id
from icbc_wallet.domain.registration import validate_stored_hash
from icbc_wallet.errors import InvalidPolicyError

__all__ = [
    "MAX_FAILURES_CAP",
    "MAX_LOCK_TIME",
    "CheckOutcome",
    "Credentials",
    "Lockout",
    "LockoutRules",
    "OtpChallenge",
    "SecretCheck",
    "SecurityRules",
    "TotpEnrolment",
]

MAX_FAILURES_CAP: Final = 10
"""No configuration may allow more consecutive wrong tries than this (10⁶ six-digit passwords)."""
MAX_LOCK_TIME: Final = timedelta(days=7)
"""The longest lock a configuration may set; past it, unlocking is a matter for the bank's desk."""


def _failures(_instance: object, _attribute: object, value: object) -> None:
    if type(value) is not int or not 1 <= value <= MAX_FAILURES_CAP:
        raise InvalidPolicyError(f"max_failures must be an int from 1 to {MAX_FAILURES_CAP}")


def _lock_time(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, timedelta) or not timedelta(minutes=1) <= value <= MAX_LOCK_TIME:
        raise InvalidPolicyError(f"lock_for must be a timedelta from 1 minute to {MAX_LOCK_TIME}")


@attrs.frozen
class LockoutRules:
    """How many consecutive wrong tries lock a secret, and for how long.

    Attributes:
        max_failures: wrong tries in a row that lock (1 to :data:`MAX_FAILURES_CAP`; default 3,
            the common wallet rule).
        lock_for: how long the lock lasts (1 minute to :data:`MAX_LOCK_TIME`; default 3 hours).

    Raises:
        InvalidPolicyError: a value outside those bounds.
    """

    max_failures: int = attrs.field(default=3, validator=_failures)
    lock_for: timedelta = attrs.field(default=timedelta(hours=3), validator=_lock_time)


def _code_lifetime(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, timedelta) or not timedelta(minutes=1) <= value <= timedelta(
        minutes=15
    ):
        raise InvalidPolicyError("code_lifetime must be a timedelta from 1 to 15 minutes")


def _code_attempts(_instance: object, _attribute: object, value: object) -> None:
    if type(value) is not int or not 1 <= value <= MAX_FAILURES_CAP:
        raise InvalidPolicyError(f"code_attempts must be an int from 1 to {MAX_FAILURES_CAP}")


def _resend_after(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, timedelta) or not timedelta(0) <= value <= timedelta(minutes=15):
        raise InvalidPolicyError("code_resend_after must be a timedelta from 0 to 15 minutes")


def _drift(_instance: object, _attribute: object, value: object) -> None:
    if type(value) is not int or not 0 <= value <= 2:
        raise InvalidPolicyError("totp_drift must be 0, 1 or 2 time steps")


@attrs.frozen
class SecurityRules:
    """Lockouts and one-time codes.

    Attributes:
        lockout: how wrong tries lock the payment password, the security answer and the
            dynamic passwords (each counted on its own).
        code_lifetime: how long an SMS code may be used (1 to 15 minutes; default 5).
        code_attempts: wrong tries of one SMS code before it is void (default 3).
        code_resend_after: the least time between two codes to one wallet (default 60 s).
        totp_drift: TOTP time steps (30 s) accepted either side of now, for clock drift
            (default 1, as RFC 6238 section 5.2 recommends at most one).

    Raises:
        InvalidPolicyError: a value outside those bounds.
    """

    lockout: LockoutRules = LockoutRules()
    code_lifetime: timedelta = attrs.field(default=timedelta(minutes=5), validator=_code_lifetime)
    code_attempts: int = attrs.field(default=3, validator=_code_attempts)
    code_resend_after: timedelta = attrs.field(
        default=timedelta(seconds=60), validator=_resend_after
    )
    totp_drift: int = attrs.field(default=1, validator=_drift)


@attrs.frozen
class Lockout:
    """Consecutive wrong tries of one secret, and the lock they led to.

    Attributes:
        failures: wrong tries since the last right one or the last lock's end.
        locked_until: the end of the current lock, or None.
    """

    failures: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        """True while a lock lasts at ``now``."""
        return self.locked_until is not None and require_aware(now, "now") < self.locked_until

    def attempts_left(self, now: datetime, rules: LockoutRules) -> int:
        """Wrong tries still allowed before the secret locks (0 while locked)."""
        if self.is_locked(now):
            return 0
        return rules.max_failures - self._current(now).failures

    def _current(self, now: datetime) -> Lockout:
        # a lock that has ended leaves a fresh count
        return Lockout() if self.locked_until is not None and not self.is_locked(now) else self

    def failed(self, now: datetime, rules: LockoutRules) -> Lockout:
        """The state after a wrong try at ``now``; the last allowed one locks the secret.

        A try during a lock is not a try (it is refused unchecked) and changes nothing.
        """
        if self.is_locked(now):
            return self
        failures = self._current(now).failures + 1
        if failures >= rules.max_failures:
            return Lockout(failures, now + rules.lock_for)
        return Lockout(failures)

    def succeeded(self) -> Lockout:
        """The state after a right try: nothing counted."""
        return Lockout()


class CheckOutcome(StrEnum):
    """What a check of a secret found."""

    VERIFIED = "verified"
    WRONG = "wrong"
    LOCKED = "locked"
    """Refused without checking: the secret is locked until ``locked_until``."""
    EXPIRED = "expired"
    """Refused without checking: a one-time code expired, was used, replaced or tried out."""


@attrs.frozen
class SecretCheck:
    """The answer to one try of a secret: the outcome, tries left and the lock's end.

    Attributes:
        outcome: verified, wrong, or refused because locked.
        attempts_left: wrong tries still allowed before a lock.
        locked_until: when the lock ends, while locked.
    """

    outcome: CheckOutcome
    attempts_left: int
    locked_until: datetime | None = None

    @property
    def verified(self) -> bool:
        """True when the secret was right and accepted."""
        return self.outcome is CheckOutcome.VERIFIED


@attrs.frozen
class TotpEnrolment:
    """An authenticator app's shared secret (base32), held for RFC 6238 checks.

    The secret must be readable to check codes, so it is stored as is: configure a cipher on
    the store (``bootstrap.sqlite(..., cipher=...)``) to keep it encrypted at rest.

    Attributes:
        secret: the base32 shared secret (never shown in ``repr``).
        confirmed: True once the holder typed a first right code (until then it is not a factor).
        last_step: the RFC 6238 time step of the last accepted code; a code is accepted once.
    """

    secret: str = attrs.field(repr=False)
    confirmed: bool = False
    last_step: int | None = None


@attrs.frozen
class OtpChallenge:
    """A one-time code sent by SMS, kept only as a keyed hash.

    Attributes:
        challenge_id: names the code in the holder's answer.
        purpose: what the code authorises ("login", "pay", ...).
        code_hash: HMAC-SHA256 of the code under the service's secret (never the code).
        sent_at: when it was sent.
        expires_at: after this it is refused unchecked.
        attempts_left: wrong tries still allowed; at 0 it is refused unchecked.
    """

    challenge_id: str
    purpose: str
    code_hash: str = attrs.field(repr=False)
    sent_at: datetime
    expires_at: datetime
    attempts_left: int

    def is_usable(self, now: datetime) -> bool:
        """True while the code may still be tried."""
        return self.attempts_left > 0 and require_aware(now, "now") < self.expires_at


def _validate_wallet(_instance: object, _attribute: attrs.Attribute[WalletId], value: str) -> None:
    parse_id(value, WalletId)


def _validate_hash(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    validate_stored_hash(attribute.name, value)


@attrs.frozen
class Credentials:
    """A wallet's secrets (hashed, or sealed by the store's cipher) and their lockouts.

    Attributes:
        wallet_id: whose credentials these are.
        password_hash: the payment password's hash.
        security_question: the question the holder chose (shown to them; not a secret).
        answer_hash: the normalised security answer's hash.
        password: the payment password's lockout.
        answer: the security answer's lockout.
        dynamic: the lockout shared by the dynamic passwords (TOTP and SMS codes).
        totp: the authenticator enrolment, if any.
        challenge: the pending SMS code, if any (a new one replaces it).
        recent_failures: when the last wrong payment passwords were typed (the newest 20),
            for risk monitoring.
        devices: the devices the holder has authenticated from (risk: a new device).
        password_free: the business day (ordinal) and the minor units paid that day without
            any factor (small NFC payments), for the daily password-free total.
    """

    wallet_id: WalletId = attrs.field(validator=_validate_wallet)
    password_hash: str = attrs.field(validator=_validate_hash, repr=False)
    security_question: str
    answer_hash: str = attrs.field(validator=_validate_hash, repr=False)
    password: Lockout = Lockout()
    answer: Lockout = Lockout()
    dynamic: Lockout = Lockout()
    totp: TotpEnrolment | None = None
    challenge: OtpChallenge | None = None
    recent_failures: tuple[datetime, ...] = ()
    devices: frozenset[str] = frozenset()
    password_free: tuple[int, int] = (0, 0)
