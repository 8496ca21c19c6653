"""Secret hashing with Argon2id (RFC 9106) through argon2-cffi: memory-hard, salted, standard.

:class:`Argon2Hasher` implements :class:`~icbc_wallet.ports.secrets.SecretHasher`. A stored hash
is the standard PHC string ``$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`` (salt
and hash in standard base64 without padding), so a hash made with older parameters still
verifies and :meth:`Argon2Hasher.needs_rehash` tells when to replace it. Without a pepper the
hashes are interchangeable with any other Argon2id implementation.

The defaults (m = 19 MiB, t = 2, p = 1) are OWASP's first recommended Argon2id configuration:
35 to 55 ms a hash on a 2-core server, so a payment path can afford to verify a password. The
RFC 9106 "second recommended" profile (64 MiB, t = 3, p = 4, argon2-cffi's own default) costs
about seven times as much (four lanes gain nothing on two cores) and is available as
:meth:`Argon2Hasher.rfc_9106_low_memory`. A six-digit payment
password falls to an offline search at either cost, so the real defence of a leaked database is
an optional server-side *pepper*, kept out of the database and mixed in with HMAC-SHA256 before
Argon2.

```pycon
>>> hasher = Argon2Hasher.fast_for_tests()  # never in production
>>> stored = hasher.hash("135790")
>>> stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
True
>>> hasher.verify("135790", stored), hasher.verify("135791", stored)
(True, False)
>>> Argon2Hasher().needs_rehash(stored)
True

```
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

import argon2
import argon2.exceptions
import attrs

from icbc_wallet.adapters.hashing import decode_b64, require_secret
from icbc_wallet.errors import InvalidHashError, SecretTypeError

__all__ = ["Argon2Hasher"]

_MAX_MEMORY_KIB: Final = 2**20  # 1 GiB: beyond that a parameter is a typo, not a policy
_MAX_TIME: Final = 64
_MAX_LANES: Final = 64
_SALT_BYTES: Final = range(8, 65)  # RFC 9106 asks for at least 8 bytes of salt
# Whole multiples of 16 bytes only, as for scrypt: a hash cut short by a few characters is then
# refused as malformed instead of quietly failing to verify.
_HASH_BYTES: Final = frozenset({16, 32, 48, 64})
_STORED: Final = re.compile(
    r"\$argon2id\$v=19\$m=([1-9][0-9]{0,9}),t=([1-9][0-9]{0,9}),p=([1-9][0-9]{0,9})"
    r"\$([A-Za-z0-9+/]{11,86})\$([A-Za-z0-9+/]{22,86})",
    re.ASCII,
)
_OTHER_VARIANT: Final = re.compile(r"\$(argon2i|argon2d)\$", re.ASCII)


def _check_cost(memory_cost: int, time_cost: int, parallelism: int) -> None:
    for name, value in (
        ("memory_cost", memory_cost),
        ("time_cost", time_cost),
        ("parallelism", parallelism),
    ):
        if type(value) is not int or value < 1:
            raise InvalidHashError(f"argon2 {name} must be a positive int, not {value!r}")
    if parallelism > _MAX_LANES or time_cost > _MAX_TIME:
        raise InvalidHashError(
            f"argon2 t={time_cost}, p={parallelism} exceed the bounds t <= {_MAX_TIME}, "
            f"p <= {_MAX_LANES}"
        )
    if not 8 * parallelism <= memory_cost <= _MAX_MEMORY_KIB:
        raise InvalidHashError(
            f"argon2 memory_cost must be 8 KiB per lane ({8 * parallelism}) to 1 GiB "
            f"({_MAX_MEMORY_KIB}) KiB, not {memory_cost}"
        )


def _check_lengths(salt_len: int, hash_len: int) -> None:
    for name, value in (("salt_len", salt_len), ("hash_len", hash_len)):
        if type(value) is not int:
            raise InvalidHashError(f"argon2 {name} must be an int, not {value!r}")
    if salt_len not in _SALT_BYTES or hash_len not in _HASH_BYTES:
        raise InvalidHashError("argon2 salt_len must be 8 to 64 and hash_len 16, 32, 48 or 64")


@attrs.frozen
class _Parsed:
    memory_cost: int
    time_cost: int
    parallelism: int
    salt_len: int
    hash_len: int


def _parse(stored: object) -> _Parsed:
    """Check that ``stored`` is an Argon2id PHC string in range, without trusting argon2 to."""
    if not isinstance(stored, str):
        raise SecretTypeError(f"a stored hash must be a str, not {type(stored).__name__}")
    match = _STORED.fullmatch(stored)
    if match is None:
        other = _OTHER_VARIANT.match(stored)
        if other is not None:
            raise InvalidHashError(f"stored hash is {other[1]}; only argon2id is accepted")
        raise InvalidHashError(
            "stored hash is not of the form $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>"
            "$<salt base64>$<hash base64>"
        )
    memory_cost, time_cost, parallelism = (int(group) for group in match.group(1, 2, 3))
    _check_cost(memory_cost, time_cost, parallelism)
    salt, digest = decode_b64(match[4]), decode_b64(match[5])
    if len(salt) not in _SALT_BYTES or len(digest) not in _HASH_BYTES:
        raise InvalidHashError("stored hash has a salt or digest of an unusable length")
    return _Parsed(memory_cost, time_cost, parallelism, len(salt), len(digest))


def _check_pepper(
    _instance: Argon2Hasher, _attribute: attrs.Attribute[bytes | None], pepper: bytes | None
) -> None:
    if pepper is None:
        return
    if type(pepper) is not bytes:
        raise SecretTypeError(f"pepper must be bytes or None, not {type(pepper).__name__}")
    if not pepper:
        raise InvalidHashError("pepper must not be empty: pass None for no pepper")


@attrs.frozen
class Argon2Hasher:
    """Hashes secrets with Argon2id. Value equality ignores the pepper, which never shows.

    Attributes:
        memory_cost: memory per hash in KiB (default 19456, 19 MiB), at most 1 GiB.
        time_cost: passes over the memory (default 2), at most 64.
        parallelism: lanes (default 1), at most 64; each lane needs at least 8 KiB.
        salt_len: length of the random salt in bytes (default 16, 8 to 64).
        hash_len: length of the derived hash in bytes: 16, 32 (the default), 48 or 64.
        pepper: a server-side secret mixed into every hash, or None; store it outside the
            database. A hash made with one pepper verifies only with that pepper.

    Raises:
        InvalidHashError: a parameter not an int or out of range, or an empty pepper.
        SecretTypeError: a pepper that is not bytes.
    """

    memory_cost: int = 19_456
    time_cost: int = 2
    parallelism: int = 1
    salt_len: int = 16
    hash_len: int = 32
    pepper: bytes | None = attrs.field(
        default=None, repr=False, eq=False, kw_only=True, validator=_check_pepper
    )
    _hasher: argon2.PasswordHasher = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        _check_cost(self.memory_cost, self.time_cost, self.parallelism)
        _check_lengths(self.salt_len, self.hash_len)
        hasher = argon2.PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_cost,
            parallelism=self.parallelism,
            hash_len=self.hash_len,
            salt_len=self.salt_len,
            type=argon2.Type.ID,
        )
        object.__setattr__(self, "_hasher", hasher)

    @classmethod
    def rfc_9106_low_memory(cls, *, pepper: bytes | None = None) -> Argon2Hasher:
        """RFC 9106's second recommendation: 64 MiB, t = 3, p = 4 (230 to 350 ms on 2 cores)."""
        profile = argon2.profiles.RFC_9106_LOW_MEMORY
        return cls(
            memory_cost=profile.memory_cost,
            time_cost=profile.time_cost,
            parallelism=profile.parallelism,
            salt_len=profile.salt_len,
            hash_len=profile.hash_len,
            pepper=pepper,
        )

    @classmethod
    def fast_for_tests(cls, *, pepper: bytes | None = None) -> Argon2Hasher:
        """A cheap hasher (8 KiB, one pass) for tests and examples. NEVER use it in production.

        Its hashes take microseconds to guess, which makes six-digit passwords trivial to
        recover from a leaked database.
        """
        return cls(memory_cost=8, time_cost=1, parallelism=1, pepper=pepper)

    def _password(self, secret: str) -> bytes:
        # Lone surrogates are text a str can hold; encode them rather than fail on them.
        raw = secret.encode("utf-8", "surrogatepass")
        if self.pepper is None:
            return raw
        return hmac.new(self.pepper, raw, hashlib.sha256).digest()

    def hash(self, secret: str) -> str:
        """Hash ``secret`` with a fresh random salt into an Argon2id PHC string.

        Raises:
            SecretTypeError: ``secret`` is not a ``str``.
            InvalidHashError: argon2 could not hash with these parameters here (out of memory).
        """
        password = self._password(require_secret(secret))
        try:
            return self._hasher.hash(password)
        except argon2.exceptions.HashingError as error:
            raise InvalidHashError(f"argon2 could not hash: {error}") from None

    def verify(self, secret: str, stored: str) -> bool:
        """True when ``secret`` hashes to ``stored`` (with ``stored``'s parameters and salt).

        argon2 compares the hashes in constant time.

        Raises:
            SecretTypeError: ``secret`` or ``stored`` is not a ``str``.
            InvalidHashError: ``stored`` is not an Argon2id hash (argon2i and argon2d included),
                or its parameters are out of range.
        """
        password = self._password(require_secret(secret))
        _parse(stored)
        try:
            return self._hasher.verify(stored, password)
        except argon2.exceptions.VerifyMismatchError:
            return False
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError) as error:
            # argon2's messages are libargon2's fixed texts: they never contain the secret.
            raise InvalidHashError(f"stored hash could not be checked: {error}") from None

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters than this hasher's.

        Raises:
            SecretTypeError: ``stored`` is not a ``str``.
            InvalidHashError: ``stored`` is not an Argon2id hash, or its parameters are out of
                range.
        """
        parsed = _parse(stored)
        return parsed != _Parsed(
            self.memory_cost, self.time_cost, self.parallelism, self.salt_len, self.hash_len
        )
