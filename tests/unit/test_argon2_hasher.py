"""Argon2Hasher: the stored PHC format, verification, rehash detection, peppers, malformed input."""

from __future__ import annotations

import base64
import re

import argon2
import argon2.exceptions
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.errors import InvalidHashError, SecretTypeError, WalletError
from icbc_wallet.ports.secrets import SecretHasher

FAST = Argon2Hasher.fast_for_tests()
PEPPER = b"server-side-pepper"
PHC = re.compile(
    r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)", re.ASCII
)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def phc(stored: str) -> tuple[int, int, int, bytes, bytes]:
    match = PHC.fullmatch(stored)
    assert match is not None, "not an Argon2id PHC string"
    m, t, p, salt, digest = match.groups()
    return int(m), int(t), int(p), unb64(salt), unb64(digest)


def stock(kind: argon2.Type, m: int = 8, t: int = 1, p: int = 1) -> argon2.PasswordHasher:
    return argon2.PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, type=kind)


def test_the_argon2_hasher_implements_the_port() -> None:
    hasher: SecretHasher = FAST
    assert isinstance(hasher, SecretHasher)
    assert isinstance(Argon2Hasher(), SecretHasher)


def test_stored_hashes_carry_the_expected_owasp_argon2id_parameters() -> None:
    hasher = Argon2Hasher()
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19_456, 2, 1)
    stored = hasher.hash("135790")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    m, t, p, salt, digest = phc(stored)
    assert (m, t, p) == (19_456, 2, 1)
    assert (len(salt), len(digest)) == (16, 32)
    assert hasher.verify("135790", stored)
    assert not hasher.verify("135791", stored)
    assert not hasher.needs_rehash(stored)


def test_the_defaults_meet_owasps_argon2id_minimum() -> None:
    hasher = Argon2Hasher()
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.parallelism >= 1


def test_the_rfc_9106_low_memory_profile_matches_argon2_cffi() -> None:
    profile = argon2.profiles.RFC_9106_LOW_MEMORY
    hasher = Argon2Hasher.rfc_9106_low_memory(pepper=PEPPER)
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (65_536, 3, 4)
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (
        profile.memory_cost,
        profile.time_cost,
        profile.parallelism,
    )
    assert (hasher.salt_len, hasher.hash_len, hasher.pepper) == (16, 32, PEPPER)
    assert hasher.needs_rehash(Argon2Hasher.fast_for_tests().hash("x"))


def test_the_fast_hasher_is_cheap_and_says_so() -> None:
    assert (FAST.memory_cost, FAST.time_cost, FAST.parallelism) == (8, 1, 1)
    assert phc(FAST.hash("135790"))[:3] == (8, 1, 1)
    assert "NEVER" in (Argon2Hasher.fast_for_tests.__doc__ or "")


def test_a_secret_verifies_against_its_own_hash_and_no_other_secret_does() -> None:
    stored = FAST.hash("135790")
    assert FAST.verify("135790", stored) is True
    assert FAST.verify("135791", stored) is False
    assert FAST.verify("", stored) is False


def test_the_same_secret_hashes_with_a_fresh_salt_each_time() -> None:
    first, second = (phc(FAST.hash("135790")) for _ in range(2))
    assert first[3] != second[3]
    assert first[4] != second[4]


def test_a_hash_made_with_old_parameters_still_verifies_and_asks_for_a_rehash() -> None:
    old = Argon2Hasher(memory_cost=16, time_cost=2, parallelism=2, salt_len=8, hash_len=16)
    stored = old.hash("135790")
    assert FAST.verify("135790", stored)
    assert not FAST.verify("135791", stored)
    assert FAST.needs_rehash(stored)
    assert not FAST.needs_rehash(FAST.hash("135790"))


@pytest.mark.parametrize(
    "other",
    [
        Argon2Hasher(memory_cost=16, time_cost=1, parallelism=1),
        Argon2Hasher(memory_cost=8, time_cost=2, parallelism=1),
        Argon2Hasher(memory_cost=16, time_cost=1, parallelism=2),
        Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1, salt_len=32),
        Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1, hash_len=64),
    ],
)
def test_any_change_of_parameters_asks_for_a_rehash(other: Argon2Hasher) -> None:
    assert FAST.needs_rehash(other.hash("x"))
    assert other.needs_rehash(FAST.hash("x"))
    assert not other.needs_rehash(other.hash("x"))


def test_hashes_are_standard_argon2id_without_a_pepper() -> None:
    reference = stock(argon2.Type.ID)
    assert reference.verify(FAST.hash("135790"), "135790")
    assert FAST.verify("135790", reference.hash("135790"))
    assert not FAST.verify("135791", reference.hash("135790"))


def test_a_pepper_is_needed_to_verify() -> None:
    peppered = Argon2Hasher.fast_for_tests(pepper=PEPPER)
    stored = peppered.hash("135790")
    assert peppered.verify("135790", stored)
    assert not peppered.verify("135791", stored)
    assert not FAST.verify("135790", stored)
    assert not Argon2Hasher.fast_for_tests(pepper=b"another").verify("135790", stored)
    assert not peppered.verify("135790", FAST.hash("135790"))
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        stock(argon2.Type.ID).verify(stored, "135790")


def test_the_pepper_and_the_secret_never_show() -> None:
    peppered = Argon2Hasher.fast_for_tests(pepper=PEPPER)
    shown = [repr(peppered), str(peppered), repr(Argon2Hasher(pepper=PEPPER))]
    for bad in (123456, b"135790"):
        with pytest.raises(SecretTypeError) as caught:
            peppered.hash(bad)  # type: ignore[arg-type]
        shown.append(str(caught.value))
    for stored in ("", "135790", "$argon2i$v=19$m=8,t=1,p=1$135790$135790", "$argon2id$x"):
        with pytest.raises(InvalidHashError) as refused:
            peppered.verify("135790", stored)
        shown.append(str(refused.value))
    for text in shown:
        assert "server-side-pepper" not in text
        assert "135790" not in text
    assert peppered == FAST  # equality ignores the pepper: it is configuration, not identity


def test_a_pepper_must_be_non_empty_bytes() -> None:
    with pytest.raises(SecretTypeError):
        Argon2Hasher(pepper="text")  # type: ignore[arg-type]
    with pytest.raises(InvalidHashError, match="None"):
        Argon2Hasher(pepper=b"")
    assert Argon2Hasher(pepper=None).pepper is None


def test_any_text_can_be_hashed_even_lone_surrogates() -> None:
    for secret in ("", "北京动物园", "\ud800", "\x00", "a" * 10_000):
        assert FAST.verify(secret, FAST.hash(secret))
    assert not FAST.verify("\x00", FAST.hash(""))


def test_secrets_must_be_text() -> None:
    stored = FAST.hash("135790")
    with pytest.raises(SecretTypeError) as caught:
        FAST.hash(135790)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)
    with pytest.raises(SecretTypeError):
        FAST.hash(None)  # type: ignore[arg-type]
    with pytest.raises(SecretTypeError):
        FAST.verify(b"135790", stored)  # type: ignore[arg-type]


def test_a_stored_hash_that_is_not_text_is_refused_as_a_type_error_like_scrypts() -> None:
    stored = FAST.hash("135790")
    for bad in (stored.encode(), None, 0):
        with pytest.raises(SecretTypeError):
            FAST.verify("135790", bad)  # type: ignore[arg-type]
        with pytest.raises(SecretTypeError):
            FAST.needs_rehash(bad)  # type: ignore[arg-type]


SALT, DIGEST = b64(bytes(16)), b64(bytes(32))
GOOD = f"$argon2id$v=19$m=8,t=1,p=1${SALT}${DIGEST}"
REAL = FAST.hash("135790")

MALFORMED = [
    "",
    "135790",
    "argon2id",
    REAL[:-1],  # truncated by one character: non-canonical base64
    REAL[:-3],  # truncated to a whole number of bytes: a digest length never produced
    REAL[: REAL.rindex("$")],  # no digest at all
    stock(argon2.Type.I).hash("135790"),
    stock(argon2.Type.D).hash("135790"),
    ScryptHasher.fast_for_tests().hash("135790"),
    GOOD.replace("argon2id", "ARGON2ID"),
    GOOD.replace("v=19", "v=16"),
    GOOD.replace("$v=19", ""),
    GOOD + "$extra",
    GOOD + "\n",
    " " + GOOD,
    GOOD.replace("m=8", "m=08"),  # a leading zero
    GOOD.replace("m=8", "m=８"),  # a full-width digit
    GOOD.replace("m=8", "m=0"),
    GOOD.replace("m=8", "m=7"),  # below 8 KiB per lane
    GOOD.replace("p=1", "p=2"),  # 8 KiB for two lanes
    GOOD.replace("m=8", f"m={2**20 + 1}"),  # more than 1 GiB
    GOOD.replace("m=8", "m=99999999999"),
    GOOD.replace("t=1", "t=0"),
    GOOD.replace("t=1", "t=65"),
    GOOD.replace("p=1", "p=0"),
    GOOD.replace("m=8", "m=1024").replace("p=1", "p=65"),
    GOOD.replace("p=1", "p=1,keyid=abc"),
    f"$argon2id$v=19$m=8,t=1,p=1$****${DIGEST}",
    f"$argon2id$v=19$m=8,t=1,p=1${SALT}==${DIGEST}",  # padding is not part of the format
    f"$argon2id$v=19$m=8,t=1,p=1${SALT[:-1]}B${DIGEST}",  # stray bits: not canonical
    f"$argon2id$v=19$m=8,t=1,p=1${b64(bytes(6))}${DIGEST}",  # 6 bytes of salt
    f"$argon2id$v=19$m=8,t=1,p=1${b64(bytes(65))}${DIGEST}",  # 65 bytes of salt
    f"$argon2id$v=19$m=8,t=1,p=1${SALT}${b64(bytes(24))}",  # digest of 24 bytes
]


@pytest.mark.parametrize("stored", MALFORMED)
def test_a_stored_string_that_is_not_an_argon2id_hash_is_refused_clearly(stored: str) -> None:
    with pytest.raises(InvalidHashError) as caught:
        FAST.verify("135790", stored)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, WalletError)
    assert not isinstance(caught.value, argon2.exceptions.InvalidHashError)
    with pytest.raises(InvalidHashError):
        FAST.needs_rehash(stored)


def test_the_well_formed_template_of_the_malformed_cases_is_accepted() -> None:
    # Each malformed case above differs from GOOD by one thing; GOOD itself must parse.
    assert FAST.verify("135790", GOOD) is False
    assert FAST.needs_rehash(GOOD) is False


def test_argon2i_and_argon2d_hashes_are_named_in_the_refusal() -> None:
    with pytest.raises(InvalidHashError, match="argon2i;"):
        FAST.verify("135790", stock(argon2.Type.I).hash("135790"))
    with pytest.raises(InvalidHashError, match="argon2d;"):
        FAST.needs_rehash(stock(argon2.Type.D).hash("135790"))


@pytest.mark.parametrize(
    "raised",
    [
        argon2.exceptions.VerificationError("Decoding failed"),
        argon2.exceptions.InvalidHashError("Decoding failed"),
    ],
)
def test_argon2s_own_verification_errors_never_escape(
    monkeypatch: pytest.MonkeyPatch, raised: Exception
) -> None:
    def fail(*_args: object) -> bool:
        raise raised

    monkeypatch.setattr(argon2.PasswordHasher, "verify", fail)
    with pytest.raises(InvalidHashError, match="Decoding failed") as caught:
        FAST.verify("135790", REAL)
    assert caught.value.__cause__ is None


def test_argon2s_own_hashing_errors_never_escape(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> str:
        raise argon2.exceptions.HashingError("Memory allocation error")

    monkeypatch.setattr(argon2.PasswordHasher, "hash", fail)
    with pytest.raises(InvalidHashError, match="Memory allocation error"):
        FAST.hash("135790")


@pytest.mark.parametrize(
    "parameters",
    [
        {"memory_cost": 7},
        {"memory_cost": 2**20 + 1},
        {"memory_cost": 8, "parallelism": 2},
        {"memory_cost": 0},
        {"time_cost": 0},
        {"time_cost": 65},
        {"parallelism": 0},
        {"parallelism": 65, "memory_cost": 2**20},
        {"memory_cost": True},
        {"time_cost": "2"},
        {"parallelism": 1.0},
        {"salt_len": 7},
        {"salt_len": 65},
        {"salt_len": "16"},
        {"hash_len": 8},
        {"hash_len": 20},
        {"hash_len": 65},
        {"hash_len": 32.0},
    ],
)
def test_unusable_parameters_are_refused(parameters: dict[str, object]) -> None:
    with pytest.raises(InvalidHashError):
        Argon2Hasher(**parameters)  # type: ignore[arg-type]


def test_the_largest_parameters_in_range_are_accepted() -> None:
    # Only parsed, never run: a hash at these costs takes minutes.
    hasher = Argon2Hasher(memory_cost=2**20, time_cost=64, parallelism=64, salt_len=64, hash_len=64)
    largest = f"$argon2id$v=19$m=1048576,t=64,p=64${b64(bytes(64))}${b64(bytes(64))}"
    assert not hasher.needs_rehash(largest)
    assert FAST.needs_rehash(largest)


@settings(max_examples=25)
@given(secret=st.text(max_size=40), other=st.text(max_size=40))
def test_only_the_secret_itself_verifies(secret: str, other: str) -> None:
    stored = FAST.hash(secret)
    assert FAST.verify(secret, stored)
    assert FAST.verify(other, stored) == (other == secret)


_ALPHABET = "0123456789abcXYZ+/=$argon2idmtpv ,\n"


@settings(max_examples=100)
@given(data=st.data())
def test_a_tampered_hash_is_refused_or_does_not_verify_never_a_crash(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(REAL) - 1))
    replacement = data.draw(st.text(_ALPHABET, max_size=3))
    tampered = REAL[:index] + replacement + REAL[index + 1 :]
    try:
        verified = FAST.verify("135790", tampered)
    except InvalidHashError:
        return
    assert verified == (tampered == REAL)
