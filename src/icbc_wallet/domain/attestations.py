"""What a customer presents to prove who they are: secrets typed, and devices' attestations.

A library cannot scan a finger. The customer's phone does, and says so in an
:class:`Attestation` (a fingerprint matched, a face matched, the bound device's key signed, a
digital certificate signed); only an
:class:`~icbc_wallet.ports.verification.AttestationVerifier` (the bank's FIDO/TEE/certificate
service) can tell a real one from a forged one, so an attestation counts as a factor only once
that port has accepted it. :class:`Presented` gathers what comes with one command: the payment
password, a TOTP code, an SMS code and attestations. Secrets never show in ``repr``.

```pycon
>>> from icbc_wallet.domain.factors import Factor
>>> presented = Presented(password="135790", attestations=(Attestation(Factor.FACE, "phone-1", b"sig"),))
>>> "135790" in repr(presented), presented.attestations[0].factor.value
(False, 'face')

```
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from icbc_wallet.domain.factors import Factor
from icbc_wallet.errors import SecretTypeError, UnknownFactorError

__all__ = ["ATTESTED_FACTORS", "Attestation", "Presented", "SmsAnswer", "check_code"]

ATTESTED_FACTORS = frozenset(
    {Factor.FINGERPRINT, Factor.FACE, Factor.DEVICE_BINDING, Factor.DIGITAL_CERTIFICATE}
)
"""The factors a device attests; the others are secrets the service checks itself."""


def _factor(value: object) -> Factor:
    if type(value) is not Factor or value not in ATTESTED_FACTORS:
        known = ", ".join(sorted(factor.value for factor in ATTESTED_FACTORS))
        raise UnknownFactorError(f"an attestation is for one of {known}, not {value!r}")
    return value


_DEVICE = re.compile(r"[!-~]{1,128}")  # printable ASCII without spaces, as risk keys are


def _optional_device(
    _instance: object, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    if value is not None:
        _device(_instance, attribute, value)


def _device(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not str or _DEVICE.fullmatch(value) is None:
        raise SecretTypeError(
            f"{attribute.name} must be 1 to 128 printable ASCII characters without spaces"
        )


def _evidence(_instance: object, _attribute: attrs.Attribute[bytes], value: bytes) -> None:
    if type(value) is not bytes or not value:
        raise SecretTypeError("evidence must be non-empty bytes")


@attrs.frozen
class Attestation:
    """A device's signed statement that it checked a factor of the holder.

    Attributes:
        factor: fingerprint, face, device binding or digital certificate.
        device: the device's id (as enrolled with the bank).
        evidence: the signed statement, opaque to the library (never in ``repr``).

    Raises:
        UnknownFactorError: ``factor`` is not one a device attests.
        SecretTypeError: ``device`` or ``evidence`` is malformed (never echoed).
    """

    factor: Factor = attrs.field(converter=_factor)
    device: str = attrs.field(validator=_device)
    evidence: bytes = attrs.field(validator=_evidence, repr=False)


_CODE = re.compile(r"[0-9]{4,10}")


def _optional_secret(
    _instance: object, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    if value is not None and type(value) is not str:
        raise SecretTypeError(f"{attribute.name} must be a str or None, not {type(value).__name__}")


def _optional_code(
    _instance: object, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    if value is not None:
        _required_code(_instance, attribute, value)


def check_code(value: object, what: str = "code") -> str:
    """Return ``value`` if it can be a one-time code: a str of 4 to 10 ASCII digits.

    Checked before any secret is tried, so that a malformed code cannot abort a command after a
    wrong password was counted (the count would roll back with it).

    Raises:
        SecretTypeError: anything else (the value is never echoed).
    """
    if type(value) is not str or _CODE.fullmatch(value) is None:
        raise SecretTypeError(f"{what} must be a str of 4 to 10 ASCII digits")
    return value


def _required_code(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_code(value, attribute.name)


def _sms(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not SmsAnswer:
        raise SecretTypeError(f"sms must be an SmsAnswer or None, not {type(value).__name__}")


def _attestations(value: object) -> tuple[Attestation, ...]:
    items = tuple(value) if isinstance(value, (tuple, list)) else None
    if items is None or any(type(item) is not Attestation for item in items):
        raise SecretTypeError("attestations must be a tuple of Attestation")
    return items


@attrs.frozen
class SmsAnswer:
    """The code a holder typed for an SMS challenge (``send_code``'s id).

    Raises:
        SecretTypeError: the id is not printable ASCII, or the code not 4 to 10 ASCII digits.
    """

    challenge_id: str = attrs.field(validator=_device)
    code: str = attrs.field(validator=_required_code, repr=False)


@attrs.frozen
class Presented:
    """Everything the customer presents with one command.

    Attributes:
        password: the six-digit payment password, if typed.
        totp: a code from the enrolled authenticator app, if typed.
        sms: the answer to an SMS challenge, if any.
        attestations: devices' attestations (biometrics, bound device, certificate).
        device: the id of the device the request comes from (risk: a new device), if known.

    Everything is checked here, before any secret is tried (codes are ASCII digits, device ids
    printable ASCII), so a command never fails after counting a wrong password.

    Raises:
        SecretTypeError: a malformed part (the value is never echoed).
    """

    password: str | None = attrs.field(default=None, validator=_optional_secret, repr=False)
    totp: str | None = attrs.field(default=None, validator=_optional_code, repr=False)
    sms: SmsAnswer | None = attrs.field(default=None, validator=_sms, repr=False)
    attestations: tuple[Attestation, ...] = attrs.field(default=(), converter=_attestations)
    device: str | None = attrs.field(default=None, validator=_optional_device)

    @property
    def empty(self) -> bool:
        """True when nothing at all is presented."""
        return not (self.password or self.totp or self.sms or self.attestations)
