"""ScryptHasher: the stored format, verification, rehash detection and malformed input."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.domain.identity import PhoneNumber
from icbc_wallet.domain.registration import (
    Registration,
    normalise_answer,
    validate_payment_password,
)
from icbc_wallet.errors import InvalidHashError, SecretTypeError, WalletError
from icbc_wallet.ports.secrets import SecretHasher
from icbc_wallet.testing.strategies import payment_passwords

FAST = ScryptHasher.fast_for_tests()
STORED = re.compile(r"scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def test_the_scrypt_hasher_implements_the_port() -> None:
    hasher: SecretHasher = FAST
    assert isinstance(hasher, SecretHasher)


def test_the_defaults_are_owasp_scrypt_and_verify() -> None:
    hasher = ScryptHasher()
    assert (hasher.n, hasher.r, hasher.p) == (2**17, 8, 1)
    stored = hasher.hash("135790")
    assert stored.startswith("scrypt$131072$8$1$")
    assert hasher.verify("135790", stored)
    assert not hasher.needs_rehash(stored)


def test_the_fast_hasher_is_cheap_and_says_so() -> None:
    assert FAST.n == 2**10
    assert "NEVER" in (ScryptHasher.fast_for_tests.__doc__ or "")


def test_a_stored_hash_names_its_parameters_salt_and_hash() -> None:
    match = STORED.fullmatch(FAST.hash("135790"))
    assert match is not None
    n, r, p, salt, digest = match.groups()
    assert (int(n), int(r), int(p)) == (1024, 8, 1)
    assert len(base64.b64decode(salt + "==")) == 16
    assert len(base64.b64decode(digest + "=")) == 32


def test_the_same_secret_hashes_differently_each_time() -> None:
    assert FAST.hash("135790") != FAST.hash("135790")


def test_a_hash_made_with_old_parameters_still_verifies_and_asks_for_a_rehash() -> None:
    old = ScryptHasher(n=2**8, r=4, p=2, salt_bytes=8, hash_bytes=16).hash("135790")
    assert FAST.verify("135790", old)
    assert not FAST.verify("135791", old)
    assert FAST.needs_rehash(old)
    assert not FAST.needs_rehash(FAST.hash("135790"))


@pytest.mark.parametrize(
    "other",
    [
        ScryptHasher(n=2**11),
        ScryptHasher(n=2**10, r=4),
        ScryptHasher(n=2**10, p=2),
        ScryptHasher(n=2**10, salt_bytes=32),
        ScryptHasher(n=2**10, hash_bytes=64),
    ],
)
def test_any_change_of_parameters_asks_for_a_rehash(other: ScryptHasher) -> None:
    assert FAST.needs_rehash(other.hash("x"))
    assert other.needs_rehash(FAST.hash("x"))


def test_a_pepper_is_needed_to_verify_and_never_shown() -> None:
    peppered = ScryptHasher(n=2**10, pepper=b"server-side-secret")
    stored = peppered.hash("135790")
    assert peppered.verify("135790", stored)
    assert not FAST.verify("135790", stored)
    assert not ScryptHasher(n=2**10, pepper=b"another").verify("135790", stored)
    assert "server-side-secret" not in repr(peppered)
    with pytest.raises(SecretTypeError):
        ScryptHasher(pepper="text")  # type: ignore[arg-type]


def test_any_text_can_be_hashed_even_lone_surrogates() -> None:
    for secret in ("", "北京动物园", "\ud800", "a" * 10_000):
        assert FAST.verify(secret, FAST.hash(secret))


def test_secrets_and_stored_hashes_must_be_text() -> None:
    stored = FAST.hash("135790")
    with pytest.raises(SecretTypeError):
        FAST.hash(135790)  # type: ignore[arg-type]
    with pytest.raises(SecretTypeError):
        FAST.verify(b"135790", stored)  # type: ignore[arg-type]
    with pytest.raises(SecretTypeError):
        FAST.verify("135790", stored.encode())  # type: ignore[arg-type]
    with pytest.raises(SecretTypeError):
        FAST.needs_rehash(None)  # type: ignore[arg-type]


SALT, DIGEST = b64(bytes(16)), b64(bytes(32))

MALFORMED = [
    "",
    "scrypt",
    "135790",
    f"bcrypt$1024$8$1${SALT}${DIGEST}",
    f"scrypt$1024$8$1${SALT}",
    f"scrypt$1024$8$1${SALT}${DIGEST}$extra",
    f"scrypt$1024$8$1${SALT}${DIGEST}\n",
    f"scrypt$01024$8$1${SALT}${DIGEST}",  # a leading zero
    f"scrypt$1000$8$1${SALT}${DIGEST}",  # not a power of two
    f"scrypt$1$8$1${SALT}${DIGEST}",
    f"scrypt$0$8$1${SALT}${DIGEST}",
    f"scrypt$1024$0$1${SALT}${DIGEST}",
    f"scrypt$1073741824$8$1${SALT}${DIGEST}",  # 1 TiB of memory
    f"scrypt$131072$1$1${SALT}${DIGEST}",  # n too large for r = 1 (RFC 7914)
    f"scrypt$1024$8$1$****${DIGEST}",
    f"scrypt$1024$8$1${SALT}=${DIGEST}",  # padding is not part of the format
    f"scrypt$1024$8$1${SALT[:-1]}${DIGEST}",  # a length base64 cannot have
    f"scrypt$1024$8$1${SALT[:-1]}B${DIGEST}",  # stray bits: not canonical
    f"scrypt$1024$8$1${b64(bytes(4))}${DIGEST}",  # salt too short
    f"scrypt$1024$8$1${SALT}${b64(bytes(8))}",  # hash too short
    f"scrypt$１０２４$8$1${SALT}${DIGEST}",  # full-width digits
]


@pytest.mark.parametrize("stored", MALFORMED)
def test_a_malformed_stored_hash_is_refused_clearly(stored: str) -> None:
    with pytest.raises(InvalidHashError) as caught:
        FAST.verify("135790", stored)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, WalletError)
    with pytest.raises(InvalidHashError):
        FAST.needs_rehash(stored)


@pytest.mark.parametrize(
    "parameters",
    [
        {"n": 1000},
        {"n": 1},
        {"n": 2**16, "r": 1},
        {"n": 2**20, "r": 8},
        {"r": 0},
        {"p": 0},
        {"n": True},
        {"r": "8"},
        {"salt_bytes": 4},
        {"hash_bytes": 8},
        {"hash_bytes": 65},
    ],
)
def test_unusable_parameters_are_refused(parameters: dict[str, object]) -> None:
    with pytest.raises(InvalidHashError):
        ScryptHasher(**parameters)  # type: ignore[arg-type]


@settings(max_examples=50)
@given(secret=st.text(), other=st.text())
def test_only_the_secret_itself_verifies(secret: str, other: str) -> None:
    stored = FAST.hash(secret)
    assert FAST.verify(secret, stored)
    assert FAST.verify(other, stored) == (other == secret)


_ALPHABET = "0123456789abcXYZ+/=$scrypt \n"


@settings(max_examples=200)
@given(data=st.data())
def test_a_tampered_hash_is_refused_or_does_not_verify_never_a_crash(data: st.DataObject) -> None:
    stored = FAST.hash("135790")
    index = data.draw(st.integers(0, len(stored) - 1))
    replacement = data.draw(st.text(_ALPHABET, max_size=3))
    tampered = stored[:index] + replacement + stored[index + 1 :]
    try:
        verified = FAST.verify("135790", tampered)
    except InvalidHashError:
        return
    assert verified == (tampered == stored)


# -- with registration -------------------------------------------------------------------------


@settings(max_examples=30)
@given(
    password=payment_passwords(),
    guess=st.from_regex(r"\A[0-9]{6}\Z"),
    answer=st.text(min_size=1).filter(str.strip),
)
def test_a_registration_stores_hashes_that_only_the_right_password_and_answer_verify(
    password: str, guess: str, answer: str
) -> None:
    try:
        normalised = normalise_answer(answer)
    except ValueError:
        return
    registration = (
        Registration.start("R-1", datetime(2026, 5, 1, tzinfo=UTC))
        .verify_phone(PhoneNumber.parse("13800138000"))
        .set_credentials(
            FAST.hash(validate_payment_password(password)), "Pet's name?", FAST.hash(normalised)
        )
    )
    assert registration.password_hash is not None
    assert registration.answer_hash is not None
    assert FAST.verify(password, registration.password_hash)
    assert FAST.verify(guess, registration.password_hash) == (guess == password)
    assert FAST.verify(normalise_answer(f"  {answer.upper()} "), registration.answer_hash) == (
        normalise_answer(answer.upper()) == normalised
    )
    assert not FAST.verify(normalised + "x", registration.answer_hash)


def test_a_hash_truncated_by_one_character_is_refused_not_verified() -> None:
    # scrypt's shorter outputs are prefixes of longer ones: a cut digest must not verify.
    for _ in range(50):
        stored = FAST.hash("135790")
        with pytest.raises(InvalidHashError, match=r"truncated|non-canonical"):
            FAST.verify("135790", stored[:-1])


def test_secrets_differing_only_by_trailing_nul_characters_do_not_collide() -> None:
    # HMAC zero-pads short keys; the hasher pre-hashes so that padding cannot make them equal.
    stored = FAST.hash("")
    assert not FAST.verify("\x00", stored)
    assert not FAST.verify("135790\x00", FAST.hash("135790"))
