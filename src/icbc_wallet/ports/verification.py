"""Verification ports: the outside parties that confirm a phone, an identity and a bank card.

Registration records a step only after the matching verifier said yes:

- :class:`PhoneVerifier` sends a one-time code by SMS and checks the code the holder typed;
- :class:`IdentityVerifier` confirms that a name and a resident ID belong together (in China, the
  public-security citizen identity check);
- :class:`CardVerifier` asks the issuing bank whether a card is the holder's own;
- :class:`AttestationVerifier` checks a device's signed statement that it matched the holder's
  fingerprint or face, holds the bound device's key, or signed with a digital certificate.

Every verifier answers a plain ``bool``: ``False`` is a normal outcome (a mistyped code, a
mismatch), not an error. Implementations raise only for broken input or an unreachable service.
:mod:`icbc_wallet.adapters.verification` has in-memory implementations.

```pycon
>>> from icbc_wallet.adapters.verification import InMemoryIdentityVerifier
>>> isinstance(InMemoryIdentityVerifier(), IdentityVerifier)
True

```
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from icbc_wallet.domain.attestations import Attestation
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId

__all__ = ["AttestationVerifier", "CardVerifier", "IdentityVerifier", "PhoneVerifier"]


@runtime_checkable
class PhoneVerifier(Protocol):
    """Sends one-time codes to mobile numbers and checks them."""

    def send_code(self, phone: PhoneNumber, now: datetime) -> None:
        """Send a fresh one-time code to ``phone``; any earlier code for it stops working."""
        ...

    def check_code(self, phone: PhoneNumber, code: str, now: datetime) -> bool:
        """True when ``code`` is the code last sent to ``phone``, still unexpired and unused.

        A code verifies at most once, and a verifier limits the attempts per code. Compare in
        constant time.
        """
        ...


@runtime_checkable
class IdentityVerifier(Protocol):
    """Confirms that a holder's name and resident ID belong together."""

    def verify(self, holder_name: str, resident_id: ResidentId) -> bool:
        """True when the authority confirms that ``resident_id`` is ``holder_name``'s."""
        ...


@runtime_checkable
class CardVerifier(Protocol):
    """Confirms with the issuing bank that a card belongs to the holder."""

    def verify(self, card: BankCard, holder_name: str, resident_id: ResidentId) -> bool:
        """True when the issuer confirms that ``card`` is held by this name and resident ID."""
        ...


@runtime_checkable
class AttestationVerifier(Protocol):
    """Checks devices' attestations (FIDO/TEE biometrics, bound-device keys, certificates)."""

    def verify(self, wallet_id: str, attestation: Attestation, now: datetime) -> bool:
        """True when ``attestation`` is genuine, fresh and from a device enrolled for the wallet.

        An attestation is never trusted without this answer: the service counts its factor
        only when this returns True.
        """
        ...
