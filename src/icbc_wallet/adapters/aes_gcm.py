"""AES-256-GCM encryption of personal data at rest, with named keys that can rotate.

:class:`AesGcmCipher` implements the :class:`~icbc_wallet.ports.cipher.Cipher` port with the
``cryptography`` package's ``AESGCM`` (install the ``encryption`` extra:
``pip install 'icbc-wallet[encryption]'``). Give it every key it may need to decrypt, each under
a short id, and say which one seals new data::

    AesGcmCipher({"2025-09": old_key, "2026-03": new_key}, current="2026-03")

A ciphertext (the *envelope*) carries what decrypting it needs besides the key::

    version (1 byte, 1) | key id length n (1 byte) | key id (n ASCII bytes)
        | nonce (12 random bytes) | AES-GCM ciphertext (as long as the plaintext) | tag (16 bytes)

The version byte, the key id and the caller's context are the associated data: changing any of
them, or any bit of the rest, makes decryption fail with
:class:`~icbc_wallet.errors.DecryptionError`. An 11-digit phone number becomes a 43-byte
envelope with a 7-character key id.

**Rotating keys.** Add the new key and make it ``current``; keep the old one while any data
sealed with it remains (:meth:`AesGcmCipher.sealed_with` names the key of a ciphertext). Values
are sealed again, with the current key, each time the record holding them is saved. Nonces are
random (96 bits), so NIST SP 800-38D's bound applies: seal at most 2**32 values with one key.
Every save of a wallet seals its owner's phone, name, ID and cards again, so rotate long before
a key has sealed a billion values.

Keys are 32 random bytes (:meth:`AesGcmCipher.generate_key`), kept outside the database (a key
management service, a secrets file). They never appear in a ``repr`` or an error message.

```pycon
>>> keys = {"2025-09": AesGcmCipher.generate_key(), "2026-03": AesGcmCipher.generate_key()}
>>> old = AesGcmCipher(keys, current="2025-09")
>>> sealed = old.encrypt(b"6225768888888888", context=b"BankCard")
>>> new = AesGcmCipher(keys, current="2026-03")
>>> new.decrypt(sealed, context=b"BankCard"), new.sealed_with(sealed)
(b'6225768888888888', '2025-09')
>>> new
AesGcmCipher(current='2026-03', key_ids=('2025-09', '2026-03'))

```
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Final

from icbc_wallet.errors import CipherTypeError, DecryptionError, InvalidCipherKeyError

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as error:  # the optional dependency is missing
    raise ImportError(
        "icbc_wallet.adapters.aes_gcm needs the 'cryptography' package: "
        "pip install 'icbc-wallet[encryption]'"
    ) from error

__all__ = ["AesGcmCipher"]

_VERSION: Final = 1
_KEY_BYTES: Final = 32  # AES-256
_NONCE_BYTES: Final = 12  # 96 bits, the size GCM is specified for
_TAG_BYTES: Final = 16
_KEY_ID: Final = re.compile(r"[A-Za-z0-9._:-]{1,32}", re.ASCII)


def _check_key_id(key_id: object) -> str:
    if type(key_id) is not str:
        raise CipherTypeError(f"a key id must be a str, not {type(key_id).__name__}")
    if _KEY_ID.fullmatch(key_id) is None:
        raise InvalidCipherKeyError(
            "a key id must be 1 to 32 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'"
        )
    return key_id


def _check_bytes(value: object, what: str) -> bytes:
    if type(value) is not bytes:
        raise CipherTypeError(f"{what} must be bytes, not {type(value).__name__}")
    return value


class AesGcmCipher:
    """AES-256-GCM with a random 96-bit nonce per value and named keys (see the module docstring).

    Args:
        keys: every key this cipher may decrypt with, by key id (1 to 32 characters of
            ``A-Z a-z 0-9 . _ : -``); each key is 32 bytes.
        current: the id of the key that seals new values; one of ``keys``.

    Raises:
        InvalidCipherKeyError: no keys, a key that is not 32 bytes long, a malformed key id, or
            ``current`` not among the keys.
        CipherTypeError: ``keys`` is not a mapping, or a key id or key of the wrong type.
    """

    __slots__ = ("_aeads", "_by_name", "_current", "_header")

    def __init__(self, keys: Mapping[str, bytes], *, current: str) -> None:
        if not isinstance(keys, Mapping):
            raise CipherTypeError(
                f"keys must be a mapping of key id to key, not {type(keys).__name__}"
            )
        if not keys:
            raise InvalidCipherKeyError("a cipher needs at least one key")
        aeads: dict[str, AESGCM] = {}
        for key_id, key in keys.items():
            if len(_check_bytes(key, "a key")) != _KEY_BYTES:
                raise InvalidCipherKeyError(
                    f"the key {_check_key_id(key_id)!r} must be {_KEY_BYTES} bytes, not {len(key)}"
                )
            aeads[_check_key_id(key_id)] = AESGCM(key)
        if _check_key_id(current) not in aeads:
            raise InvalidCipherKeyError(f"the current key {current!r} is not among the keys")
        self._aeads: Final = aeads
        # Found by the key id's bytes as they stand in an envelope: no decoding on the read path.
        self._by_name: Final = {key_id.encode("ascii"): aead for key_id, aead in aeads.items()}
        self._current: Final = current
        name = current.encode("ascii")
        self._header: Final = bytes((_VERSION, len(name))) + name

    @staticmethod
    def generate_key() -> bytes:
        """A new random 256-bit key, from the operating system's secure random source."""
        return AESGCM.generate_key(bit_length=8 * _KEY_BYTES)

    @property
    def current(self) -> str:
        """The id of the key that seals new values."""
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of every key this cipher holds, sorted."""
        return tuple(sorted(self._aeads))

    def __repr__(self) -> str:
        return f"AesGcmCipher(current={self._current!r}, key_ids={self.key_ids!r})"

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        """Seal ``plaintext`` with the current key and a fresh random nonce, bound to ``context``.

        Raises:
            CipherTypeError: ``plaintext`` or ``context`` is not ``bytes``.
        """
        _check_bytes(plaintext, "plaintext")
        header = self._header
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aeads[self._current].encrypt(
            nonce, plaintext, header + _check_bytes(context, "context")
        )
        return header + nonce + sealed

    def decrypt(self, ciphertext: bytes, *, context: bytes) -> bytes:
        """The plaintext sealed in ``ciphertext`` with ``context``, by any key this cipher holds.

        Raises:
            DecryptionError: ``ciphertext`` is altered or cut short, was sealed with another
                ``context``, or names a key this cipher does not hold.
            CipherTypeError: ``ciphertext`` or ``context`` is not ``bytes``.
        """
        _check_bytes(context, "context")
        start = self._nonce_start(ciphertext)
        aead = self._by_name.get(ciphertext[2:start])
        if aead is None:
            raise DecryptionError(
                f"the value was sealed with the key {self.sealed_with(ciphertext)!r}, not held here"
            )
        nonce, body = ciphertext[start : start + _NONCE_BYTES], ciphertext[start + _NONCE_BYTES :]
        try:
            return aead.decrypt(nonce, body, ciphertext[:start] + context)
        except InvalidTag:
            raise DecryptionError(
                "the value does not authenticate: altered, or sealed for another context"
            ) from None

    def sealed_with(self, ciphertext: bytes) -> str:
        """The id of the key that sealed ``ciphertext`` (read from it, not authenticated).

        Raises:
            DecryptionError: ``ciphertext`` is not an envelope of this format.
            CipherTypeError: ``ciphertext`` is not ``bytes``.
        """
        start = self._nonce_start(ciphertext)
        key_id = ciphertext[2:start].decode("ascii", "replace")
        if _KEY_ID.fullmatch(key_id) is None:
            raise DecryptionError("the value names a malformed key id")
        return key_id

    @staticmethod
    def _nonce_start(ciphertext: bytes) -> int:
        """Where the nonce of an envelope starts, once its version and length are checked."""
        _check_bytes(ciphertext, "ciphertext")
        if len(ciphertext) < 2 or ciphertext[0] != _VERSION:
            raise DecryptionError("the value is not an AES-GCM envelope of version 1")
        start = 2 + ciphertext[1]
        if len(ciphertext) < start + _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("the value is cut short")
        return start
