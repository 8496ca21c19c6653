"""Secret hashing with scrypt from the standard library: memory-hard, salted, self-describing.

:class:`ScryptHasher` implements :class:`~icbc_wallet.ports.secrets.SecretHasher`. A stored hash
reads ``scrypt$<n>$<r>$<p>$<salt>$<hash>``, the salt and hash in standard base64 without padding,
so a hash made with older parameters still verifies and :meth:`ScryptHasher.needs_rehash` tells
when to replace it. The defaults (n = 2**17, r = 8, p = 1: 128 MiB, a few hundred milliseconds)
are OWASP's recommended minimum for scrypt. An optional server-side *pepper*, kept out of the
database, is mixed in with HMAC-SHA256 before scrypt.

```pycon
>>> hasher = ScryptHasher.fast_for_tests()  # never in production
>>> stored = hasher.hash("135790")
>>> stored.startswith("scrypt$1024$8$1$")
True
>>> hasher.verify("135790", stored), hasher.verify("135791", stored)
(True, False)
>>> ScryptHasher().needs_rehash(stored)
True

```
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from typing import Final

import attrs

from icbc_wallet.errors import InvalidHashError, SecretTypeError
from icbc_wallet.ports.secrets import SecretHasher

__all__ = ["ScryptHasher", "UpgradingHasher"]

_MAX_MEMORY: Final = 2**30  # 1 GiB: beyond that a parameter is a typo, not a policy
_STORED: Final = re.compile(
    r"scrypt\$([1-9][0-9]{0,9})\$([1-9][0-9]{0,3})\$([1-9][0-9]{0,3})"
    r"\$([A-Za-z0-9+/]{11,128})\$([A-Za-z0-9+/]{22,128})",
    re.ASCII,
)


def _memory(n: int, r: int, p: int) -> int:
    """Bytes OpenSSL allocates for scrypt: the V array (128 r (n + 2)) and B (128 r p)."""
    return 128 * r * (n + 2 + p)


def _check_cost(n: int, r: int, p: int) -> None:
    for name, value in (("n", n), ("r", r), ("p", p)):
        if type(value) is not int or value < 1:
            raise InvalidHashError(f"scrypt {name} must be a positive int, not {value!r}")
    if n < 2 or n & (n - 1):
        raise InvalidHashError(f"scrypt n must be a power of two of at least 2, not {n}")
    if n >= 2 ** (16 * r):  # RFC 7914: n < 2^(128 r / 8)
        raise InvalidHashError(f"scrypt n must be below 2**{16 * r} when r is {r}, not {n}")
    if _memory(n, r, p) > _MAX_MEMORY:
        raise InvalidHashError(f"scrypt parameters n={n}, r={r}, p={p} need more than 1 GiB")


def _validate_int(_instance: ScryptHasher, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int:
        raise InvalidHashError(f"{attribute.name} must be an int, not {value!r}")


_HASH_LENGTHS = frozenset({16, 32, 48, 64})


# Shared by the hashers of this package (argon2id.py): unpadded standard base64 as in PHC
# strings, read strictly, and the type check of a secret.


def encode_b64(raw: bytes) -> str:
    """``raw`` as standard base64 without padding."""
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def decode_b64(text: str) -> bytes:
    """The bytes of unpadded base64 ``text``; refuses malformed or non-canonical spellings."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        raise InvalidHashError("stored hash has malformed base64") from None
    if encode_b64(raw) != text:  # refuse non-canonical spellings (stray bits in the last character)
        raise InvalidHashError("stored hash has non-canonical base64")
    return raw


@attrs.frozen
class _Parsed:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def _parse(stored: object) -> _Parsed:
    if not isinstance(stored, str):
        raise SecretTypeError(f"a stored hash must be a str, not {type(stored).__name__}")
    match = _STORED.fullmatch(stored)
    if match is None:
        raise InvalidHashError(
            "stored hash is not of the form scrypt$<n>$<r>$<p>$<salt base64>$<hash base64>"
        )
    n, r, p = (int(group) for group in match.group(1, 2, 3))
    _check_cost(n, r, p)
    digest = decode_b64(match[5])
    # scrypt's output for a shorter length is a prefix of the longer one, so a truncated hash
    # would still verify; hash lengths are whole multiples of 16 bytes, which no small edit keeps.
    if len(digest) not in _HASH_LENGTHS:
        raise InvalidHashError("stored hash has a truncated or padded digest")
    return _Parsed(n, r, p, decode_b64(match[4]), digest)


def require_secret(secret: object) -> str:
    """``secret`` if it is a ``str``; raises SecretTypeError otherwise."""
    if not isinstance(secret, str):
        raise SecretTypeError(f"a secret must be a str, not {type(secret).__name__}")
    return secret


@attrs.frozen
class ScryptHasher:
    """Hashes secrets with scrypt (RFC 7914). Value equality ignores the pepper, which never shows.

    Attributes:
        n: CPU and memory cost, a power of two (default 2**17).
        r: block size (default 8).
        p: parallelism (default 1).
        salt_bytes: length of the random salt (default 16, at least 8).
        hash_bytes: length of the derived hash: 16, 32 (the default), 48 or 64.
        pepper: a server-side secret mixed into every hash; store it outside the database. A
            hash made with one pepper verifies only with that pepper.

    Raises:
        InvalidHashError: n not a power of two, a parameter below its minimum, or more than
            1 GiB of memory needed.
    """

    n: int = attrs.field(default=2**17, validator=_validate_int)
    r: int = attrs.field(default=8, validator=_validate_int)
    p: int = attrs.field(default=1, validator=_validate_int)
    salt_bytes: int = attrs.field(default=16, validator=_validate_int)
    hash_bytes: int = attrs.field(default=32, validator=_validate_int)
    pepper: bytes = attrs.field(default=b"", repr=False, eq=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check_cost(self.n, self.r, self.p)
        if not 8 <= self.salt_bytes <= 64 or self.hash_bytes not in _HASH_LENGTHS:
            raise InvalidHashError("salt_bytes must be 8 to 64 and hash_bytes 16, 32, 48 or 64")
        if type(self.pepper) is not bytes:
            raise SecretTypeError(f"pepper must be bytes, not {type(self.pepper).__name__}")

    @classmethod
    def fast_for_tests(cls) -> ScryptHasher:
        """A cheap hasher (n = 2**10, 1 MiB) for tests and examples. NEVER use it in production.

        Its hashes take about a millisecond to guess, which makes six-digit passwords trivial to
        recover from a leaked database.
        """
        return cls(n=2**10)

    def _derive(self, secret: str, parsed: _Parsed | None, salt: bytes) -> bytes:
        n, r, p = (self.n, self.r, self.p) if parsed is None else (parsed.n, parsed.r, parsed.p)
        length = self.hash_bytes if parsed is None else len(parsed.digest)
        # Always pre-hash to a fixed 32 bytes (keyed by the pepper, if any): scrypt keys an HMAC
        # with the password, and HMAC pads short keys with zero bytes, so "" and "\x00" would
        # otherwise hash alike.
        password = hmac.new(
            self.pepper, secret.encode("utf-8", "surrogatepass"), hashlib.sha256
        ).digest()
        return hashlib.scrypt(
            password, salt=salt, n=n, r=r, p=p, maxmem=_memory(n, r, p) + 2**20, dklen=length
        )

    def hash(self, secret: str) -> str:
        """Hash ``secret`` with a fresh random salt.

        Raises:
            SecretTypeError: ``secret`` is not a ``str``.
        """
        salt = secrets.token_bytes(self.salt_bytes)
        digest = self._derive(require_secret(secret), None, salt)
        return f"scrypt${self.n}${self.r}${self.p}${encode_b64(salt)}${encode_b64(digest)}"

    def verify(self, secret: str, stored: str) -> bool:
        """True when ``secret`` hashes to ``stored`` (with ``stored``'s parameters and salt).

        The comparison takes the same time wherever the hashes differ.

        Raises:
            SecretTypeError: ``secret`` or ``stored`` is not a ``str``.
            InvalidHashError: ``stored`` is malformed, or its parameters are out of range.
        """
        secret = require_secret(secret)
        parsed = _parse(stored)
        return hmac.compare_digest(self._derive(secret, parsed, parsed.salt), parsed.digest)

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters than this hasher's.

        Raises:
            SecretTypeError: ``stored`` is not a ``str``.
            InvalidHashError: ``stored`` is malformed, or its parameters are out of range.
        """
        parsed = _parse(stored)
        return (parsed.n, parsed.r, parsed.p, len(parsed.salt), len(parsed.digest)) != (
            self.n,
            self.r,
            self.p,
            self.salt_bytes,
            self.hash_bytes,
        )


@attrs.frozen
class UpgradingHasher:
    """Hashes with ``current`` and still verifies the hashes of ``legacy`` hashers.

    Changing the algorithm (scrypt to Argon2id) or its cost must not lock anyone out: a hash
    only ``legacy`` understands still verifies, and :meth:`needs_rehash` says True for it, so
    the service stores a new hash made by ``current`` on the holder's next right password.

    ```pycon
    >>> from icbc_wallet.adapters.argon2id import Argon2Hasher
    >>> old = ScryptHasher.fast_for_tests().hash("135790")
    >>> hasher = UpgradingHasher(Argon2Hasher.fast_for_tests(), (ScryptHasher.fast_for_tests(),))
    >>> hasher.verify("135790", old), hasher.needs_rehash(old)
    (True, True)
    >>> hasher.needs_rehash(hasher.hash("135790"))
    False

    ```
    """

    current: SecretHasher
    legacy: tuple[SecretHasher, ...] = ()

    def _owner(self, stored: str) -> SecretHasher:
        """The first hasher (``current`` first) that can read ``stored``."""
        for hasher in (self.current, *self.legacy):
            if self._reads(hasher, stored):
                return hasher
        raise InvalidHashError("the stored hash is in no format this hasher knows")

    def hash(self, secret: str) -> str:
        """A new hash made by ``current``."""
        return self.current.hash(secret)

    def verify(self, secret: str, stored: str) -> bool:
        """True when ``secret`` matches ``stored``, made by ``current`` or a legacy hasher.

        Every hasher that can read ``stored`` is asked, ``current`` first: a legacy hasher of the
        same format with another pepper (a pepper being retired) still verifies its hashes.

        Raises:
            SecretTypeError: ``secret`` or ``stored`` is not a ``str``.
            InvalidHashError: no hasher understands ``stored``.
        """
        readers = [h for h in (self.current, *self.legacy) if self._reads(h, stored)]
        if not readers:
            raise InvalidHashError("the stored hash is in no format this hasher knows")
        return any(hasher.verify(secret, stored) for hasher in readers)

    @staticmethod
    def _reads(hasher: SecretHasher, stored: str) -> bool:
        try:
            hasher.needs_rehash(stored)
        except InvalidHashError:
            return False
        return True

    def needs_rehash(self, stored: str) -> bool:
        """True unless ``current`` made ``stored`` with its present parameters.

        Raises:
            SecretTypeError: ``stored`` is not a ``str``.
            InvalidHashError: no hasher understands ``stored``.
        """
        owner = self._owner(stored)
        return owner is not self.current or self.current.needs_rehash(stored)
