"""Registration: opening a wallet, one verified step at a time, as an immutable value.

The article's flow, in order (:class:`RegistrationStep`): verify the mobile number with a one-time
code; give the holder's name and resident ID (optional: anonymous wallets exist); set the payment
password and a security question; bind the holder's own bank card (optional, needs the identity);
choose limits within the tier (optional); submit. Each step is a pure method returning a new
:class:`Registration`, so a half-finished registration can be stored and resumed.

A step may be repeated (to correct it) until a later step is taken; a step whose prerequisites are
missing, a step after a later one, and any change after submission raise
:class:`~icbc_wallet.errors.RegistrationStateError` naming the expected step. The identity comes
before the credentials so that password rules can check the password against the ID and phone,
and before the card, which must be the holder's own. The domain records
only what a verifier port has already confirmed, and stores only hashes of the password and the
answer: the service hashes them with a hasher port.

What the registration proves is its :attr:`Registration.evidence`; a tier policy turns evidence into
a verification tier (:func:`icbc_wallet.policies.tiers.assign_tier`).

```pycon
>>> from datetime import datetime, timezone
>>> registration = Registration.start("R-1", datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc))
>>> registration = registration.verify_phone(PhoneNumber.parse("13800138000"))
>>> registration.next_step
<RegistrationStep.IDENTITY: 'identity'>
>>> registration.bind_card(BankCard.parse("6225768888888888"))
Traceback (most recent call last):
...
icbc_wallet.errors.RegistrationStateError: step 'card' needs step 'identity' first; the expected step is 'identity'
>>> registration = registration.identify("张三", ResidentId.parse("34052419800101001X"))
>>> sorted(registration.evidence)
[<Evidence.IDENTITY: 'identity'>, <Evidence.PHONE: 'phone'>]

```
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

import attrs

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import RegistrationId, parse_id
from icbc_wallet.domain.limits import Limit
from icbc_wallet.errors import (
    IdentityTypeError,
    InvalidDatetimeError,
    InvalidHashError,
    InvalidHolderNameError,
    InvalidLimitScheduleError,
    InvalidTextError,
    RegistrationStateError,
    SecretTypeError,
    TextTypeError,
    WeakPasswordError,
)

__all__ = [
    "Evidence",
    "Registration",
    "RegistrationStep",
    "normalise_answer",
    "validate_payment_password",
    "validate_stored_hash",
]

_MAX_NAME: Final = 50
_MAX_QUESTION: Final = 100
_SIX_DIGITS: Final = re.compile(r"[0-9]{6}")


class Evidence(StrEnum):
    """What has been verified about the holder; a tier policy maps sets of it to tiers."""

    PHONE = "phone"
    """The holder entered the one-time code sent to the mobile number."""
    IDENTITY = "identity"
    """Name and resident ID confirmed together (the public-security ID check)."""
    BANK_CARD = "bank_card"
    """The issuing bank confirmed that the card is the holder's own."""
    FACE_TO_FACE = "face_to_face"
    """Identity checked in person at a branch. Remote registration never produces it."""


class RegistrationStep(StrEnum):
    """The steps of a registration, in the article's order."""

    PHONE = "phone"
    IDENTITY = "identity"
    CREDENTIALS = "credentials"
    CARD = "card"
    LIMITS = "limits"
    SUBMITTED = "submitted"

    @property
    def optional(self) -> bool:
        """True for the steps a registration may skip: identity, card and limits."""
        return self in _OPTIONAL


_OPTIONAL: Final = frozenset(
    {RegistrationStep.IDENTITY, RegistrationStep.CARD, RegistrationStep.LIMITS}
)
_ORDER: Final = tuple(RegistrationStep)
_PREREQUISITES: Final = MappingProxyType(
    {
        RegistrationStep.PHONE: (),
        RegistrationStep.IDENTITY: (RegistrationStep.PHONE,),
        RegistrationStep.CREDENTIALS: (RegistrationStep.PHONE,),
        RegistrationStep.CARD: (
            RegistrationStep.PHONE,
            RegistrationStep.IDENTITY,  # the card must be the holder's own
            RegistrationStep.CREDENTIALS,
        ),
        RegistrationStep.LIMITS: (RegistrationStep.PHONE, RegistrationStep.CREDENTIALS),
        RegistrationStep.SUBMITTED: (RegistrationStep.PHONE, RegistrationStep.CREDENTIALS),
    }
)


def _clean_text(text: object, what: str, limit: int) -> str:
    """NFC, trimmed, inner whitespace collapsed; refuses control and format characters."""
    if not isinstance(text, str):
        raise TextTypeError(f"{what} must be a str, not {type(text).__name__}")
    stripped = unicodedata.normalize("NFC", text).strip()
    if any(unicodedata.category(char).startswith("C") for char in stripped):
        raise InvalidTextError(f"{what} must not contain control or format characters")
    cleaned = " ".join(stripped.split())
    if not 1 <= len(cleaned) <= limit:
        raise InvalidTextError(f"{what} must be 1 to {limit} characters, not {len(cleaned)}")
    return cleaned


def _holder_name(text: object) -> str:
    try:
        name = _clean_text(text, "holder name", _MAX_NAME)
    except InvalidTextError as error:  # the identity family, so callers catch one error kind
        raise InvalidHolderNameError(str(error)) from None
    if any(char.isdigit() for char in name):
        raise InvalidHolderNameError("holder name must not contain digits")
    return name


def _validate_name(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and _holder_name(value) != value:
        raise InvalidHolderNameError("holder name must be normalised: trimmed, single spaces, NFC")


def _validate_question(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and _clean_text(value, "security question", _MAX_QUESTION) != value:
        raise InvalidTextError("security question must be normalised: trimmed, single spaces, NFC")


def validate_stored_hash(name: str, value: object) -> str:
    """Return ``value`` if it can be a stored hash of a secret (a non-empty str, not a password).

    Raises:
        SecretTypeError: ``value`` is not a str.
        InvalidHashError: it is empty, or six digits (a clear payment password by mistake).
    """
    if not isinstance(value, str):
        raise SecretTypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise InvalidHashError(f"{name} must not be empty")
    if _SIX_DIGITS.fullmatch(value):
        raise InvalidHashError(f"{name} looks like a clear payment password; store a hash")
    return value


def _validate_hash(
    _instance: object, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if value is not None:
        validate_stored_hash(attribute.name, value)


def _optional(kind: type, error: type[Exception]) -> Callable[[object, Any, object], None]:
    def validate(_instance: object, attribute: Any, value: object) -> None:
        if value is not None and not isinstance(value, kind):
            raise error(
                f"{attribute.name} must be a {kind.__name__} or None, not {type(value).__name__}"
            )

    return validate


def _validate_id(_instance: object, _attribute: object, value: RegistrationId) -> None:
    parse_id(value, RegistrationId)


def _validate_started(_instance: object, _attribute: object, value: datetime) -> None:
    require_aware(value, "started_at")


def _validate_submitted(_instance: object, _attribute: object, value: datetime | None) -> None:
    if value is not None:
        require_aware(value, "submitted_at")


def _mask_name(name: str | None) -> str:
    return "None" if name is None else "'" + "*" * (len(name) - 1) + name[-1] + "'"


@attrs.frozen
class Registration:
    """A wallet registration in progress (or submitted). Build it with :meth:`start`.

    The constructor checks that the fields form a state the steps could have reached, so a
    registration loaded from storage is as trustworthy as one built step by step. ``repr`` masks
    the phone, ID and card (their own reprs), shows only the last character of the name and
    leaves the hashes out.

    Every step raises :class:`~icbc_wallet.errors.RegistrationStateError` when it is out of order
    or the registration was submitted, and a ``TypeError`` subclass
    (:class:`~icbc_wallet.errors.IdentityTypeError` for phone, ID and card) for a wrong type.
    """

    registration_id: RegistrationId = attrs.field(validator=_validate_id)
    started_at: datetime = attrs.field(validator=_validate_started)
    phone: PhoneNumber | None = attrs.field(
        default=None, validator=_optional(PhoneNumber, IdentityTypeError)
    )
    holder_name: str | None = attrs.field(default=None, validator=_validate_name, repr=_mask_name)
    resident_id: ResidentId | None = attrs.field(
        default=None, validator=_optional(ResidentId, IdentityTypeError)
    )
    password_hash: str | None = attrs.field(default=None, validator=_validate_hash, repr=False)
    security_question: str | None = attrs.field(default=None, validator=_validate_question)
    answer_hash: str | None = attrs.field(default=None, validator=_validate_hash, repr=False)
    card: BankCard | None = attrs.field(
        default=None, validator=_optional(BankCard, IdentityTypeError)
    )
    chosen_limit: Limit | None = attrs.field(
        default=None, validator=_optional(Limit, InvalidLimitScheduleError)
    )
    submitted_at: datetime | None = attrs.field(default=None, validator=_validate_submitted)

    def __attrs_post_init__(self) -> None:
        if (self.holder_name is None) != (self.resident_id is None):
            raise RegistrationStateError("holder name and resident ID are given together or not")
        credentials = (self.password_hash, self.security_question, self.answer_hash)
        if len({value is None for value in credentials}) > 1:
            raise RegistrationStateError(
                "password hash, security question and answer hash are given together or not"
            )
        done = self.completed_steps
        for step in done:
            missing = [required for required in _PREREQUISITES[step] if required not in done]
            if missing:
                raise RegistrationStateError(f"step {step.value!r} is done without {missing[0]!r}")
        if self.submitted_at is not None and self.submitted_at < self.started_at:
            raise InvalidDatetimeError("a registration cannot be submitted before it started")

    @classmethod
    def start(cls, registration_id: str, started_at: datetime) -> Registration:
        """Begin a registration.

        Raises:
            InvalidIdError: ``registration_id`` is not a valid identifier.
            NaiveDatetimeError: ``started_at`` has no timezone.
        """
        return cls(parse_id(registration_id, RegistrationId), started_at)

    @property
    def completed_steps(self) -> frozenset[RegistrationStep]:
        """The steps taken so far."""
        taken = (self.phone, self.resident_id, self.password_hash, self.card, self.chosen_limit)
        values = (*taken, self.submitted_at)
        return frozenset(
            step for step, value in zip(_ORDER, values, strict=True) if value is not None
        )

    @property
    def next_step(self) -> RegistrationStep | None:
        """The next step that can be taken, in order (it may be optional); None once submitted."""
        done = self.completed_steps
        if RegistrationStep.SUBMITTED in done:
            return None
        after = max((_ORDER.index(step) for step in done), default=-1) + 1
        return next(
            step
            for step in _ORDER[after:]
            if all(required in done for required in _PREREQUISITES[step])
        )

    @property
    def evidence(self) -> frozenset[Evidence]:
        """What the completed steps verified: phone, identity, bank card."""
        proofs = (
            (self.phone, Evidence.PHONE),
            (self.resident_id, Evidence.IDENTITY),
            (self.card, Evidence.BANK_CARD),
        )
        return frozenset(evidence for value, evidence in proofs if value is not None)

    @property
    def is_submitted(self) -> bool:
        """True once :meth:`submit` was called; nothing changes afterwards."""
        return self.submitted_at is not None

    def _require_step(self, step: RegistrationStep) -> None:
        if self.is_submitted:
            raise RegistrationStateError(
                f"registration {self.registration_id} was submitted; nothing changes after "
                f"submit (tried step {step.value!r})"
            )
        done, expected = self.completed_steps, repr(str(self.next_step))
        if later := [s for s in _ORDER[_ORDER.index(step) + 1 :] if s in done]:
            raise RegistrationStateError(
                f"step {step.value!r} must come before {later[-1].value!r}, which is already "
                f"done; the expected step is {expected}"
            )
        for required in _PREREQUISITES[step]:
            if required not in done:
                skipped = any(s in done for s in _ORDER[_ORDER.index(required) + 1 :])
                why = " (skipped: start a new registration to give it)" if skipped else ""
                raise RegistrationStateError(
                    f"step {step.value!r} needs step {required.value!r} first{why}; the expected "
                    f"step is {expected}"
                )

    def verify_phone(self, phone: PhoneNumber) -> Registration:
        """Record the mobile number whose one-time code the holder entered correctly."""
        self._require_step(RegistrationStep.PHONE)
        return attrs.evolve(self, phone=phone)

    def identify(self, holder_name: str, resident_id: ResidentId) -> Registration:
        """Record the holder's name and resident ID, after the identity check confirmed them.

        The name is trimmed, NFC-normalised and its inner spaces collapsed.

        Raises:
            InvalidHolderNameError: the name is empty, longer than 50 characters, or has digits
                or control characters (the message never repeats it).
        """
        self._require_step(RegistrationStep.IDENTITY)
        return attrs.evolve(self, holder_name=_holder_name(holder_name), resident_id=resident_id)

    def set_credentials(self, password_hash: str, question: str, answer_hash: str) -> Registration:
        """Record the hashes of the payment password and the security answer, and the question.

        Check the password with :func:`validate_payment_password` and normalise the answer with
        :func:`normalise_answer` before hashing them; only the hashes reach this method.

        Raises:
            InvalidTextError: the question is empty, over 100 characters or has control characters.
            InvalidHashError: a hash is empty or looks like a clear six-digit password.
        """
        self._require_step(RegistrationStep.CREDENTIALS)
        return attrs.evolve(
            self,
            password_hash=password_hash,
            security_question=_clean_text(question, "security question", _MAX_QUESTION),
            answer_hash=answer_hash,
        )

    def bind_card(self, card: BankCard) -> Registration:
        """Record the holder's own bank card, after its issuer confirmed it."""
        self._require_step(RegistrationStep.CARD)
        return attrs.evolve(self, card=card)

    def choose_limit(self, limit: Limit) -> Registration:
        """Record the limits the holder chose (a wrong type: InvalidLimitScheduleError).

        The service checks them against the tier with
        :func:`icbc_wallet.policies.tiers.choose_limits`.
        """
        self._require_step(RegistrationStep.LIMITS)
        return attrs.evolve(self, chosen_limit=limit)

    def submit(self, at: datetime) -> Registration:
        """Submit the registration at instant ``at``.

        Raises:
            NaiveDatetimeError: ``at`` has no timezone.
            InvalidDatetimeError: ``at`` is before the registration started.
        """
        self._require_step(RegistrationStep.SUBMITTED)
        return attrs.evolve(self, submitted_at=require_aware(at, "at"))


def validate_payment_password(
    password: str, *, phone: PhoneNumber | None = None, resident_id: ResidentId | None = None
) -> str:
    """Return ``password`` if it is a valid payment password for this holder.

    This is the one place where payment password rules live (DOMAIN.md, "Payment passwords"):
    exactly six ASCII digits; not one digit six times (``111111``); not an ascending or
    descending run (``123456``, ``654321``); and, when they are known, not the birth date in the
    holder's resident ID (as YYMMDD, MMDDYY or DDMMYY), nor the last six characters of the ID,
    nor the last six digits of the phone number.

    ```pycon
    >>> validate_payment_password("135790")
    '135790'
    >>> try:
    ...     validate_payment_password("800101", resident_id=ResidentId.parse("34052419800101001X"))
    ... except WeakPasswordError as error:
    ...     refused = error
    >>> refused.reason, str(refused)
    ('birth_date', "a payment password must not be the birth date in the holder's resident ID")

    ```

    Raises:
        SecretTypeError: ``password`` is not a ``str``.
        WeakPasswordError: it breaks a rule; ``reason`` says which. The message never repeats
            the password.
    """
    if not isinstance(password, str):
        raise SecretTypeError(f"payment password must be a str, not {type(password).__name__}")
    if not _SIX_DIGITS.fullmatch(password):
        raise WeakPasswordError(
            "payment password must be exactly six ASCII digits, with no spaces or other characters"
        )
    if len(set(password)) == 1:
        raise WeakPasswordError(
            "a payment password must not repeat one digit six times", reason="all_same"
        )
    steps = {int(b) - int(a) for a, b in itertools.pairwise(password)}
    if steps in ({1}, {-1}):
        raise WeakPasswordError(
            "a payment password must not be a run of digits up or down", reason="sequence"
        )
    if resident_id is not None:
        born = resident_id.birth_date
        year, month, day = f"{born.year % 100:02d}", f"{born.month:02d}", f"{born.day:02d}"
        if password in (year + month + day, month + day + year, day + month + year):
            raise WeakPasswordError(
                "a payment password must not be the birth date in the holder's resident ID",
                reason="birth_date",
            )
        if password == resident_id.last_six:
            raise WeakPasswordError(
                "a payment password must not be the last six characters of the resident ID",
                reason="id_last_six",
            )
    if phone is not None and password == phone.last_six:
        raise WeakPasswordError(
            "a payment password must not be the last six digits of the phone number",
            reason="phone_last_six",
        )
    return password


def normalise_answer(answer: str) -> str:
    """Normalise a security answer so that trivial differences still match: hash the result.

    NFKC (full-width letters become ASCII), case folded, trimmed, inner whitespace collapsed.

    ```pycon
    >>> normalise_answer("  Ｂｅｉｊｉｎｇ   Zoo ")
    'beijing zoo'

    ```

    Raises:
        SecretTypeError: ``answer`` is not a ``str``.
        InvalidTextError: nothing is left after normalisation.
    """
    if not isinstance(answer, str):
        raise SecretTypeError(f"security answer must be a str, not {type(answer).__name__}")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", answer).casefold())
    normalised = " ".join(folded.split())
    if not normalised:
        raise InvalidTextError("security answer must not be empty")
    return normalised
