"""The cipher port: how personal data is encrypted before it is stored.

A cipher seals bytes with a secret key so that a copy of the database (a backup, a replica, a
stolen disk) shows neither phone, ID nor card numbers. The storage codec
(:class:`icbc_wallet.adapters.codec.Codec`) encrypts the personal values it writes through this
port when it is given one. :class:`icbc_wallet.adapters.aes_gcm.AesGcmCipher` implements it with
AES-256-GCM from the ``cryptography`` package (the ``encryption`` extra).

The contract every cipher keeps:

- **Fresh randomness.** Encrypting the same plaintext twice gives different ciphertexts (a fresh
  nonce each time), so equal values cannot be spotted in the stored data.
- **Authenticated.** A ciphertext changed by a single bit, cut short, or sealed with a key the
  cipher does not hold is refused with :class:`~icbc_wallet.errors.DecryptionError`; it never
  decrypts to other text.
- **Bound to a context.** ``context`` is associated data: authenticated, not encrypted, not
  stored. A ciphertext decrypts only with the context it was sealed with, so a phone number's
  ciphertext copied into a card number's place is refused instead of read as a card.
- **Self-describing.** A ciphertext names the key that sealed it, so keys can rotate: new data
  is sealed with the current key and data sealed with an older key still decrypts while that key
  is held.

```pycon
>>> from icbc_wallet.adapters.aes_gcm import AesGcmCipher
>>> cipher = AesGcmCipher({"2026-03": AesGcmCipher.generate_key()}, current="2026-03")
>>> isinstance(cipher, Cipher)
True
>>> sealed = cipher.encrypt(b"13800138000", context=b"PhoneNumber")
>>> cipher.decrypt(sealed, context=b"PhoneNumber")
b'13800138000'

```
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Cipher"]


@runtime_checkable
class Cipher(Protocol):
    """Encrypts and authenticates bytes, bound to a context (see the module docstring)."""

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        """Seal ``plaintext`` with the current key and a fresh nonce, bound to ``context``.

        Two calls with the same arguments return different ciphertexts.

        Raises:
            CipherTypeError: ``plaintext`` or ``context`` is not ``bytes``.
        """
        ...

    def decrypt(self, ciphertext: bytes, *, context: bytes) -> bytes:
        """The plaintext that :meth:`encrypt` sealed into ``ciphertext`` with ``context``.

        Raises:
            DecryptionError: ``ciphertext`` was altered or cut short, was sealed with another
                ``context``, or names a key this cipher does not hold.
            CipherTypeError: ``ciphertext`` or ``context`` is not ``bytes``.
        """
        ...
