"""The secret hasher port: how payment passwords and security answers are stored.

Only hashes are stored, never the secrets. A hasher must be memory-hard and salted (a six-digit
password is guessable from a plain hash in milliseconds), must compare in constant time, and
encodes its parameters in the stored string so that old hashes still verify after the cost is
raised. :class:`icbc_wallet.adapters.hashing.ScryptHasher` implements it with the standard
library.

```pycon
>>> from icbc_wallet.adapters.hashing import ScryptHasher
>>> isinstance(ScryptHasher.fast_for_tests(), SecretHasher)
True

```
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["SecretHasher"]


@runtime_checkable
class SecretHasher(Protocol):
    """Hashes secrets for storage and checks secrets against stored hashes."""

    def hash(self, secret: str) -> str:
        """Return a salted hash of ``secret`` that encodes the parameters used.

        Two calls with the same secret give different strings (a fresh salt each time).
        """
        ...

    def verify(self, secret: str, stored: str) -> bool:
        """True when ``secret`` matches ``stored``, compared in constant time.

        Raises:
            InvalidHashError: ``stored`` is not a hash this hasher understands.
        """
        ...

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters: hash the secret again on success.

        Raises:
            InvalidHashError: ``stored`` is not a hash this hasher understands.
        """
        ...
