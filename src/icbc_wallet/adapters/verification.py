"""In-memory verifiers for phones, identities and bank cards: for tests, demos and notebooks.

- :class:`InMemoryPhoneVerifier` sends six-digit one-time codes into an :class:`SmsOutbox`, which
  stands in for the SMS network; the verifier itself keeps only a keyed hash of each code, with
  an expiry (:data:`CODE_LIFETIME`) and a number of attempts (:data:`MAX_ATTEMPTS`).
- :class:`InMemoryIdentityVerifier` and :class:`InMemoryCardVerifier` accept everything except
  the numbers they were told to reject.

```pycon
>>> from datetime import datetime, timezone
>>> now = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
>>> phone = PhoneNumber.parse("13800138000")
>>> verifier = InMemoryPhoneVerifier()
>>> verifier.send_code(phone, now)
>>> code = verifier.last_code_for(phone)  # what the holder reads on their phone
>>> verifier.check_code(phone, code, now), verifier.check_code(phone, code, now)
(True, False)

```
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

import attrs

from icbc_wallet.domain.attestations import Attestation
from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.factors import Factor
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.errors import IdentityTypeError, SecretTypeError, TooManyAttemptsError

__all__ = [
    "CODE_LIFETIME",
    "FAILURE_WINDOW",
    "MAX_ATTEMPTS",
    "MAX_FAILURES",
    "MAX_SENDS_PER_DAY",
    "RESEND_INTERVAL",
    "InMemoryAttestationVerifier",
    "InMemoryCardVerifier",
    "InMemoryIdentityVerifier",
    "InMemoryPhoneVerifier",
    "SentCode",
    "SmsOutbox",
]

CODE_LIFETIME: Final = timedelta(minutes=5)
"""How long a one-time code works after it is sent (it expires at exactly this age)."""

MAX_ATTEMPTS: Final = 5
"""How many codes may be tried against one sent code before it stops working."""
RESEND_INTERVAL: Final = timedelta(seconds=60)
"""A phone gets at most one code a minute."""

MAX_SENDS_PER_DAY: Final = 10
"""A phone gets at most this many codes in any 24 hours (no SMS flooding)."""

MAX_FAILURES: Final = 5
"""Wrong codes for one phone, across resends, before checks are refused for a while."""

FAILURE_WINDOW: Final = timedelta(hours=1)
"""Failures older than this no longer count; a locked phone unlocks when they age out."""


def _require_phone(phone: object) -> PhoneNumber:
    if not isinstance(phone, PhoneNumber):
        raise IdentityTypeError(f"phone must be a PhoneNumber, not {type(phone).__name__}")
    return phone


@attrs.frozen
class SentCode:
    """One SMS as the network carried it. The code is left out of ``repr``."""

    phone: PhoneNumber
    code: str = attrs.field(repr=False)
    sent_at: datetime


@attrs.define(eq=False)
class SmsOutbox:
    """The messages "sent" by an :class:`InMemoryPhoneVerifier`: a stand-in for the SMS network.

    It holds codes in clear, as a phone's inbox would. For tests and demos only.
    """

    _messages: list[SentCode] = attrs.field(factory=list, init=False, repr=False)

    def deliver(self, message: SentCode) -> None:
        """Record a message as sent."""
        self._messages.append(message)

    @property
    def messages(self) -> tuple[SentCode, ...]:
        """Every message sent, oldest first."""
        return tuple(self._messages)

    def last_code_for(self, phone: PhoneNumber) -> str | None:
        """The code most recently sent to ``phone``, or None if none was."""
        for message in reversed(self._messages):
            if message.phone == phone:
                return message.code
        return None


@attrs.define
class _PendingCode:
    digest: bytes
    expires_at: datetime
    attempts_left: int


@attrs.define(eq=False)
class InMemoryPhoneVerifier:
    """A :class:`~icbc_wallet.ports.verification.PhoneVerifier` that keeps its state in memory.

    Codes are six random digits (:func:`secrets.randbelow`). The verifier stores only an HMAC of
    each code under a key it draws at creation, the instant it expires and the attempts left. A
    new code replaces the previous one for that phone; a code stops working once it verified,
    once it is :data:`CODE_LIFETIME` old, or after :data:`MAX_ATTEMPTS` tries.

    Asking for a new code does not buy new guesses: wrong codes are counted per phone across
    resends, and after :data:`MAX_FAILURES` of them within :data:`FAILURE_WINDOW` every check
    is refused until they age out. Sends are limited to one per :data:`RESEND_INTERVAL` and
    :data:`MAX_SENDS_PER_DAY` per phone. Both raise :class:`~icbc_wallet.errors.TooManyAttemptsError`.

    Attributes:
        outbox: where sent messages go; share one outbox between verifiers to see all messages.
    """

    outbox: SmsOutbox = attrs.field(factory=SmsOutbox)
    _key: bytes = attrs.field(factory=lambda: secrets.token_bytes(32), init=False, repr=False)
    _pending: dict[PhoneNumber, _PendingCode] = attrs.field(factory=dict, init=False, repr=False)
    _sends: dict[PhoneNumber, list[datetime]] = attrs.field(factory=dict, init=False, repr=False)
    _failures: dict[PhoneNumber, list[datetime]] = attrs.field(factory=dict, init=False, repr=False)

    def _digest(self, phone: PhoneNumber, code: str) -> bytes:
        message = f"{phone.reveal()}:{code}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def send_code(self, phone: PhoneNumber, now: datetime) -> None:
        """Send a fresh six-digit code to ``phone``; an earlier code for it stops working.

        Raises:
            IdentityTypeError: ``phone`` is not a :class:`PhoneNumber`.
            NaiveDatetimeError: ``now`` has no timezone.
            TooManyAttemptsError: a code went to ``phone`` less than a minute ago, or
                :data:`MAX_SENDS_PER_DAY` codes in the last 24 hours.
        """
        phone = _require_phone(phone)
        sent_at = require_aware(now, "now")
        sends = [at for at in self._sends.get(phone, ()) if sent_at - at < timedelta(days=1)]
        if sends and sent_at - sends[-1] < RESEND_INTERVAL:
            raise TooManyAttemptsError(f"a code was sent to {phone} less than a minute ago")
        if len(sends) >= MAX_SENDS_PER_DAY:
            raise TooManyAttemptsError(f"{phone} has had {MAX_SENDS_PER_DAY} codes today")
        self._sends[phone] = [*sends, sent_at]
        code = f"{secrets.randbelow(10**6):06d}"
        self._pending[phone] = _PendingCode(
            self._digest(phone, code), sent_at + CODE_LIFETIME, MAX_ATTEMPTS
        )
        self.outbox.deliver(SentCode(phone, code, sent_at))

    def check_code(self, phone: PhoneNumber, code: str, now: datetime) -> bool:
        """True when ``code`` is the live code for ``phone``; a code verifies only once.

        Every check uses up one attempt, whatever its outcome.

        Raises:
            IdentityTypeError: ``phone`` is not a :class:`PhoneNumber`.
            SecretTypeError: ``code`` is not a ``str``.
            NaiveDatetimeError: ``now`` has no timezone.
            TooManyAttemptsError: :data:`MAX_FAILURES` wrong codes within :data:`FAILURE_WINDOW`.
        """
        phone = _require_phone(phone)
        if not isinstance(code, str):
            raise SecretTypeError(f"a one-time code must be a str, not {type(code).__name__}")
        checked_at = require_aware(now, "now")
        failures = [at for at in self._failures.get(phone, ()) if checked_at - at < FAILURE_WINDOW]
        self._failures[phone] = failures
        if len(failures) >= MAX_FAILURES:
            raise TooManyAttemptsError(
                f"too many wrong codes for {phone}; try again after {failures[0] + FAILURE_WINDOW}"
            )
        pending = self._pending.get(phone)
        if pending is None:
            failures.append(checked_at)
            return False
        if checked_at >= pending.expires_at:
            del self._pending[phone]
            return False
        pending.attempts_left -= 1
        matched = hmac.compare_digest(self._digest(phone, code), pending.digest)
        if matched or pending.attempts_left == 0:
            del self._pending[phone]
        if not matched:
            failures.append(checked_at)
        return matched

    def last_code_for(self, phone: PhoneNumber) -> str | None:
        """TEST/DEV HOOK: the code last sent to ``phone``, read from the outbox, or None.

        Stands for the holder reading the SMS. It reads the :attr:`outbox`, never the verifier's
        own state, which holds hashes only. A real SMS verifier has no such method.
        """
        return self.outbox.last_code_for(phone)


def _resident_ids(numbers: Iterable[str]) -> frozenset[ResidentId]:
    if isinstance(numbers, str):
        raise IdentityTypeError("rejected must be a collection of ID numbers, not one string")
    return frozenset(ResidentId.parse(number) for number in numbers)


def _cards(numbers: Iterable[str]) -> frozenset[BankCard]:
    if isinstance(numbers, str):
        raise IdentityTypeError("rejected must be a collection of card numbers, not one string")
    return frozenset(BankCard.parse(number) for number in numbers)


@attrs.frozen
class InMemoryIdentityVerifier:
    """An identity verifier that confirms everyone except the resident IDs in ``rejected``.

    Implements :class:`~icbc_wallet.ports.verification.IdentityVerifier`.

    Raises:
        InvalidResidentIdError: a number in ``rejected`` is not a valid resident ID.
    """

    rejected: frozenset[ResidentId] = attrs.field(default=(), converter=_resident_ids)

    def verify(self, holder_name: str, resident_id: ResidentId) -> bool:
        """False for a rejected resident ID, True otherwise (the name is not checked).

        Raises:
            IdentityTypeError: ``resident_id`` is not a :class:`ResidentId`.
        """
        if not isinstance(resident_id, ResidentId):
            raise IdentityTypeError(
                f"resident_id must be a ResidentId, not {type(resident_id).__name__}"
            )
        return resident_id not in self.rejected


@attrs.frozen
class InMemoryCardVerifier:
    """A card verifier that confirms every card except the card numbers in ``rejected``.

    Implements :class:`~icbc_wallet.ports.verification.CardVerifier`.

    Raises:
        InvalidBankCardError: a number in ``rejected`` is not a valid card number.
    """

    rejected: frozenset[BankCard] = attrs.field(default=(), converter=_cards)

    def verify(self, card: BankCard, holder_name: str, resident_id: ResidentId) -> bool:
        """False for a rejected card, True otherwise (the holder is not checked).

        Raises:
            IdentityTypeError: ``card`` is not a :class:`BankCard`.
        """
        if not isinstance(card, BankCard):
            raise IdentityTypeError(f"card must be a BankCard, not {type(card).__name__}")
        return card not in self.rejected


class InMemoryAttestationVerifier:
    """An attestation verifier for tests and demos: it accepts the evidence it issued.

    :meth:`enrol` stands for a device's enrolment with the bank's FIDO or certificate service:
    it returns the evidence that device will present for that wallet and factor. Anything else
    (another wallet, factor or device, altered evidence) is refused. Implements
    :class:`~icbc_wallet.ports.verification.AttestationVerifier`.
    """

    def __init__(self) -> None:
        self._issued: dict[tuple[str, Factor, str], bytes] = {}

    def enrol(self, wallet_id: str, factor: Factor, device: str) -> bytes:
        """Enrol ``device`` for ``factor`` on ``wallet_id``; returns the evidence it will present."""
        evidence = secrets.token_bytes(16)
        self._issued[(wallet_id, factor, device)] = evidence
        return evidence

    def verify(self, wallet_id: str, attestation: Attestation, now: datetime) -> bool:
        """True for the evidence :meth:`enrol` issued to this wallet, factor and device."""
        require_aware(now, "now")
        issued = self._issued.get((wallet_id, attestation.factor, attestation.device))
        return issued is not None and hmac.compare_digest(issued, attestation.evidence)
