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

import attrs

from icbc_wallet.domain.factors import Factor
from icbc_wallet.errors import SecretTypeError, UnknownFactorError

__all__ = ["ATTESTED_FACTORS", "Attestation", "Presented", "SmsAnswer"]

ATTESTED_FACTORS = frozenset(
    {Factor.FINGERPRINT, Factor.FACE, Factor.DEVICE_BINDING, Factor.DIGITAL_CERTIFICATE}
)
"""The factors a device attests; the others are secrets the service checks itself."""


def _factor(value: object) -> Factor:
    if type(value) is not Factor or value not in ATTESTED_FACTORS:
        known = ", ".join(sorted(factor.value for factor in ATTESTED_FACTORS))
        raise UnknownFactorError(f"an attestation is for one of {known}, not {value!r}")
    return value


def _device(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if type(value) is not str or not 1 <= len(value) <= 128 or not value.isprintable():
        raise SecretTypeError("device must be a printable str of 1 to 128 characters")


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
        SecretTypeError: ``device`` or ``evidence`` is malformed.
    """

    factor: Factor = attrs.field(converter=_factor)
    device: str = attrs.field(validator=_device)
    evidence: bytes = attrs.field(validator=_evidence, repr=False)


def _optional_secret(
    _instance: object, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    if value is not None and type(value) is not str:
        raise SecretTypeError(f"{attribute.name} must be a str or None, not {type(value).__name__}")


def _required_secret(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if type(value) is not str:
        raise SecretTypeError(f"{attribute.name} must be a str, not {type(value).__name__}")


def _attestations(value: object) -> tuple[Attestation, ...]:
    items = tuple(value) if isinstance(value, (tuple, list)) else None
    if items is None or any(type(item) is not Attestation for item in items):
        raise SecretTypeError("attestations must be a tuple of Attestation")
    return items


@attrs.frozen
class SmsAnswer:
    """The code a holder typed for an SMS challenge (``send_code``'s id)."""

    challenge_id: str = attrs.field(validator=attrs.validators.instance_of(str))
    code: str = attrs.field(validator=_required_secret, repr=False)


@attrs.frozen
class Presented:
    """Everything the customer presents with one command.

    Attributes:
        password: the six-digit payment password, if typed.
        totp: a code from the enrolled authenticator app, if typed.
        sms: the answer to an SMS challenge, if any.
        attestations: devices' attestations (biometrics, bound device, certificate).
        device: the id of the device the request comes from (risk: a new device), if known.
    """

    password: str | None = attrs.field(default=None, validator=_optional_secret, repr=False)
    totp: str | None = attrs.field(default=None, validator=_optional_secret, repr=False)
    sms: SmsAnswer | None = attrs.field(default=None, repr=False)
    attestations: tuple[Attestation, ...] = attrs.field(default=(), converter=_attestations)
    device: str | None = None

    @property
    def empty(self) -> bool:
        """True when nothing at all is presented."""
        return not (self.password or self.totp or self.sms or self.attestations)
