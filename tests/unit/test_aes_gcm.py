"""AES-GCM seals values with a fresh nonce, refuses anything altered, and lets keys rotate."""

from __future__ import annotations

import base64
import importlib
import sys
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.adapters.aes_gcm import AesGcmCipher
from icbc_wallet.errors import (
    CipherTypeError,
    DecryptionError,
    InvalidCipherKeyError,
    WalletError,
)
from icbc_wallet.ports import Cipher

OLD, NEW = bytes(range(32)), bytes(range(32, 64))
CIPHER = AesGcmCipher({"2026-03": NEW}, current="2026-03")
PHONE = b"13800138000"


def test_a_value_comes_back_and_the_cipher_is_a_cipher_port() -> None:
    sealed = CIPHER.encrypt(PHONE, context=b"PhoneNumber")
    assert CIPHER.decrypt(sealed, context=b"PhoneNumber") == PHONE
    assert isinstance(CIPHER, Cipher)


def test_the_envelope_is_version_key_id_nonce_ciphertext_and_tag() -> None:
    sealed = CIPHER.encrypt(PHONE, context=b"PhoneNumber")
    assert sealed[0] == 1
    assert sealed[1] == len(b"2026-03")
    assert sealed[2:9] == b"2026-03"
    assert len(sealed) == 2 + 7 + 12 + len(PHONE) + 16
    assert PHONE not in sealed


def test_sealing_the_same_value_twice_gives_different_ciphertexts() -> None:
    first, second = (CIPHER.encrypt(PHONE, context=b"PhoneNumber") for _ in range(2))
    assert first != second
    assert first[9:21] != second[9:21]  # a fresh nonce each time


def test_every_altered_byte_is_refused() -> None:
    sealed = CIPHER.encrypt(PHONE, context=b"PhoneNumber")
    for position in range(len(sealed)):
        altered = bytearray(sealed)
        altered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            CIPHER.decrypt(bytes(altered), context=b"PhoneNumber")


def test_a_ciphertext_cut_short_or_lengthened_is_refused() -> None:
    sealed = CIPHER.encrypt(PHONE, context=b"PhoneNumber")
    for length in range(len(sealed)):
        with pytest.raises(DecryptionError):
            CIPHER.decrypt(sealed[:length], context=b"PhoneNumber")
    with pytest.raises(DecryptionError, match="does not authenticate"):
        CIPHER.decrypt(sealed + b"\x00", context=b"PhoneNumber")


def test_a_ciphertext_moved_to_another_context_is_refused() -> None:
    sealed = CIPHER.encrypt(b"6225768888888888", context=b"BankCard")
    with pytest.raises(DecryptionError, match="another context"):
        CIPHER.decrypt(sealed, context=b"PhoneNumber")


def test_a_value_sealed_with_a_key_not_held_is_refused_and_the_key_named() -> None:
    other = AesGcmCipher({"2025-09": OLD}, current="2025-09")
    sealed = other.encrypt(PHONE, context=b"PhoneNumber")
    with pytest.raises(DecryptionError, match="'2025-09', not held here"):
        CIPHER.decrypt(sealed, context=b"PhoneNumber")


def test_a_key_with_the_same_id_but_other_bytes_does_not_decrypt() -> None:
    impostor = AesGcmCipher({"2026-03": OLD}, current="2026-03")
    with pytest.raises(DecryptionError, match="does not authenticate"):
        impostor.decrypt(CIPHER.encrypt(PHONE, context=b"x"), context=b"x")


def test_keys_rotate_old_values_still_decrypt_and_new_ones_use_the_current_key() -> None:
    before = AesGcmCipher({"2025-09": OLD}, current="2025-09")
    old_value = before.encrypt(PHONE, context=b"PhoneNumber")
    after = AesGcmCipher({"2025-09": OLD, "2026-03": NEW}, current="2026-03")
    assert after.decrypt(old_value, context=b"PhoneNumber") == PHONE
    new_value = after.encrypt(PHONE, context=b"PhoneNumber")
    assert after.sealed_with(old_value) == "2025-09"
    assert after.sealed_with(new_value) == "2026-03"
    with pytest.raises(DecryptionError):  # the old key alone cannot read what the new one sealed
        before.decrypt(new_value, context=b"PhoneNumber")


def test_sealed_with_refuses_what_is_not_an_envelope() -> None:
    with pytest.raises(DecryptionError, match="version 1"):
        CIPHER.sealed_with(b"\x02" + bytes(40))
    with pytest.raises(DecryptionError, match="malformed key id"):
        CIPHER.sealed_with(b"\x01\x02\xff\xfe" + bytes(40))
    with pytest.raises(DecryptionError, match="malformed key id"):  # not named as a key not held
        CIPHER.decrypt(b"\x01\x02\xff\xfe" + bytes(40), context=b"x")


def test_the_repr_names_the_key_ids_but_never_the_keys() -> None:
    cipher = AesGcmCipher({"2025-09": OLD, "2026-03": NEW}, current="2026-03")
    shown = repr(cipher) + str(cipher)
    assert shown.startswith("AesGcmCipher(current='2026-03', key_ids=('2025-09', '2026-03'))")
    for key in (OLD, NEW):
        for form in (repr(key), key.hex(), base64.b64encode(key).decode(), str(list(key))):
            assert form not in shown
    assert not hasattr(cipher, "__dict__")  # nothing to dump the keys from by vars()
    assert (cipher.current, cipher.key_ids) == ("2026-03", ("2025-09", "2026-03"))


def test_generated_keys_are_32_random_bytes() -> None:
    first, second = AesGcmCipher.generate_key(), AesGcmCipher.generate_key()
    assert type(first) is bytes
    assert len(first) == len(second) == 32
    assert first != second


@pytest.mark.parametrize(
    ("keys", "current", "match"),
    [
        ({}, "k", "at least one key"),
        ({"k": bytes(16)}, "k", "must be 32 bytes, not 16"),  # AES-128 is refused: 256 bits only
        ({"k": bytes(33)}, "k", "must be 32 bytes, not 33"),
        ({"": NEW}, "", "1 to 32 characters"),
        ({"k" * 33: NEW}, "k" * 33, "1 to 32 characters"),
        ({"key id": NEW}, "key id", "1 to 32 characters"),
        ({"密钥": NEW}, "密钥", "1 to 32 characters"),
        ({"k": NEW}, "other", "current key 'other' is not among the keys"),
    ],
)
def test_unusable_keys_are_refused(keys: Mapping[str, bytes], current: str, match: str) -> None:
    with pytest.raises(InvalidCipherKeyError, match=match):
        AesGcmCipher(keys, current=current)


@pytest.mark.parametrize(
    ("keys", "current", "match"),
    [
        ([("k", NEW)], "k", "keys must be a mapping"),
        ({"k": NEW.hex()}, "k", "a key must be bytes, not str"),
        ({"k": bytearray(NEW)}, "k", "a key must be bytes, not bytearray"),
        ({1: NEW}, "k", "a key id must be a str, not int"),
        ({"k": NEW}, None, "a key id must be a str, not NoneType"),
    ],
)
def test_keys_of_the_wrong_type_are_refused(keys: object, current: object, match: str) -> None:
    with pytest.raises(CipherTypeError, match=match):
        AesGcmCipher(keys, current=current)  # type: ignore[arg-type]


def test_plaintexts_ciphertexts_and_contexts_must_be_bytes() -> None:
    sealed = CIPHER.encrypt(PHONE, context=b"PhoneNumber")
    with pytest.raises(CipherTypeError, match="plaintext must be bytes, not str"):
        CIPHER.encrypt("13800138000", context=b"PhoneNumber")  # type: ignore[arg-type]
    with pytest.raises(CipherTypeError, match="context must be bytes, not str"):
        CIPHER.encrypt(PHONE, context="PhoneNumber")  # type: ignore[arg-type]
    with pytest.raises(CipherTypeError, match="context must be bytes"):
        CIPHER.decrypt(sealed, context="PhoneNumber")  # type: ignore[arg-type]
    with pytest.raises(CipherTypeError, match="ciphertext must be bytes, not bytearray"):
        CIPHER.decrypt(bytearray(sealed), context=b"PhoneNumber")  # type: ignore[arg-type]


def test_cipher_errors_are_wallet_errors_of_the_builtin_kind() -> None:
    assert issubclass(DecryptionError, WalletError)
    assert issubclass(DecryptionError, ValueError)
    assert issubclass(InvalidCipherKeyError, ValueError)
    assert issubclass(CipherTypeError, TypeError)


def test_without_cryptography_the_import_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    monkeypatch.delitem(sys.modules, "icbc_wallet.adapters.aes_gcm")
    with pytest.raises(ImportError, match=r"icbc-wallet\[encryption\]"):
        importlib.import_module("icbc_wallet.adapters.aes_gcm")


@given(st.binary(max_size=300), st.binary(max_size=40), st.binary(min_size=1, max_size=40))
def test_any_value_comes_back_only_with_its_own_context(
    plaintext: bytes, context: bytes, other: bytes
) -> None:
    sealed = CIPHER.encrypt(plaintext, context=context)
    assert CIPHER.decrypt(sealed, context=context) == plaintext
    if other != context:
        with pytest.raises(DecryptionError):
            CIPHER.decrypt(sealed, context=other)
