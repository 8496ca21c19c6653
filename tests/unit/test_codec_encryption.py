"""With a cipher, the storage codec keeps phone, ID and card numbers, names and secrets out of the stored text."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.adapters.aes_gcm import AesGcmCipher
from icbc_wallet.adapters.codec import Codec, CodecError, storable_classes
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds
from icbc_wallet.adapters.sqlite import SqliteStore
from icbc_wallet.adapters.verification import (
    InMemoryCardVerifier,
    InMemoryIdentityVerifier,
    InMemoryPhoneVerifier,
)
from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.credentials import Credentials, TotpEnrolment
from icbc_wallet.domain.events import CardBound, WalletOpened
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.registration import Registration
from icbc_wallet.errors import CorruptStateError, DecryptionError
from icbc_wallet.service import WalletService, results
from icbc_wallet.testing.strategies import bank_cards, phone_numbers, resident_ids
from icbc_wallet.wallet import aggregate, merchant, payment
from icbc_wallet.wallet.aggregate import Owner, Wallet

START = datetime(2026, 3, 2, 2, tzinfo=UTC)
PHONE = PhoneNumber.parse("13912345678")
RESIDENT = ResidentId.parse("11010519491231002X")
CARD = BankCard.parse("6225768888888888")
NAME = "李小龙"
TYPES = storable_classes(aggregate, merchant, payment, results)
KEYS = {"2025-09": bytes(range(32)), "2026-03": bytes(range(32, 64))}
CIPHER = AesGcmCipher(KEYS, current="2026-03")
SEALING = Codec(TYPES, cipher=CIPHER)
CLEAR = Codec(TYPES)


def clear_forms(phone: PhoneNumber, resident: ResidentId, card: BankCard) -> list[str]:
    """The texts that must not be stored: each number whole, its last six digits, a birth date."""
    numbers = [phone.reveal(), resident.reveal(), card.reveal()]
    return [*numbers, *(n[-6:] for n in numbers), resident.reveal()[6:14]]


def registered(s: WalletService, phones: InMemoryPhoneVerifier) -> str:
    """A wallet registered with PHONE, NAME, RESIDENT and CARD, topped up and paid from."""
    keys = (f"k{n}" for n in itertools.count())
    registration = s.start_registration(PHONE, idempotency_key=next(keys))
    code = phones.last_code_for(PHONE)
    assert code is not None
    s.verify_phone(registration, PHONE, code, idempotency_key=next(keys))
    s.provide_identity(registration, NAME, RESIDENT, idempotency_key=next(keys))
    s.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=next(keys))
    s.add_card(registration, CARD, idempotency_key=next(keys))
    wallet = s.submit_registration(registration, idempotency_key=next(keys))
    shop = s.register_merchant(
        "Mugs", MerchantCreditCode.parse("91110000600037341L"), "food", idempotency_key="m"
    )
    s.top_up(wallet, CARD, Money.of("1000"), idempotency_key=next(keys))
    assert s.pay(wallet, shop, Money.of("35.50"), method="static_qr", idempotency_key="p").approved
    return wallet


@pytest.fixture(scope="module")
def bank() -> InMemoryBank:
    bank = in_memory(start=START)
    registered(bank.service, bank.phone_verifier)
    return bank


def stored_wallet(bank: InMemoryBank) -> Wallet:
    return next(iter(bank.store.wallets.rows.values()))


def same_fields(original: object, restored: object) -> None:
    """Of one type and, for attrs classes (some compared by identity), equal field by field."""
    assert type(restored) is type(original)
    if not attrs.has(type(original)):
        assert restored == original
        return
    for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(original))):
        if field.init:
            same_fields(getattr(original, field.name), getattr(restored, field.name))


def test_every_personal_value_is_stored_encrypted_and_comes_back() -> None:
    owner = Owner(PHONE, NAME, RESIDENT)
    encoded = json.loads(SEALING.dumps((owner, CARD)))["items"]
    assert set(encoded[0]["phone"]) == {"$type", "enc"}
    assert encoded[0]["phone"]["$type"] == "PhoneNumber"
    assert encoded[0]["holder_name"]["$type"] == "HolderName"
    assert encoded[0]["resident_id"]["$type"] == "ResidentId"
    assert encoded[1]["$type"] == "BankCard"
    assert SEALING.loads(SEALING.dumps((owner, CARD))) == (owner, CARD)


def test_a_registration_and_the_events_keep_their_numbers_encrypted_too(
    bank: InMemoryBank,
) -> None:
    registration = next(iter(bank.store.registrations.values()))
    events = [stored.event for stored in bank.store.outbox]
    opened = next(e for e in events if isinstance(e, WalletOpened))
    bound = next(e for e in events if isinstance(e, CardBound))
    for value in (registration, opened, bound):
        text = SEALING.dumps(value)
        assert not any(form in text for form in clear_forms(PHONE, RESIDENT, CARD))
        assert NAME not in text
        same_fields(value, SEALING.loads(text))
    assert isinstance(SEALING.loads(SEALING.dumps(registration)), Registration)


def test_only_personal_values_differ_from_the_clear_encoding(bank: InMemoryBank) -> None:
    wallet = stored_wallet(bank)
    clear, sealed = json.loads(CLEAR.dumps(wallet)), json.loads(SEALING.dumps(wallet))
    encrypted: list[str] = []

    def compare(mine: Any, theirs: Any) -> None:
        if isinstance(theirs, dict) and "enc" in theirs:
            encrypted.append(theirs["$type"])
            assert (
                mine == NAME if theirs["$type"] == "HolderName" else set(mine) == {"$type", "text"}
            )
        elif isinstance(mine, dict):
            assert mine.keys() == theirs.keys()
            for key in mine:
                compare(mine[key], theirs[key])
        elif isinstance(mine, list):
            assert len(mine) == len(theirs)
            for a, b in zip(mine, theirs, strict=True):
                compare(a, b)
        else:
            assert mine == theirs  # amounts, limits, ids and times stay as they were

    compare(clear, sealed)
    assert sorted(encrypted) == ["BankCard", "HolderName", "PhoneNumber", "ResidentId"]


def test_a_codec_with_a_cipher_reads_clear_data_so_turning_it_on_needs_no_migration(
    bank: InMemoryBank,
) -> None:
    wallet = stored_wallet(bank)
    old = CLEAR.dumps(wallet)
    assert PHONE.reveal() in old
    restored: Wallet = SEALING.loads(old)
    same_fields(wallet, restored)
    saved_again = SEALING.dumps(restored)  # the next save encrypts it
    assert PHONE.reveal() not in saved_again
    assert NAME not in saved_again
    same_fields(wallet, SEALING.loads(saved_again))


def test_a_codec_without_a_cipher_refuses_encrypted_data_clearly(bank: InMemoryBank) -> None:
    sealed = SEALING.dumps(stored_wallet(bank))
    with pytest.raises(CodecError, match="encrypted and this codec has no cipher"):
        CLEAR.loads(sealed)
    name = CIPHER.encrypt(NAME.encode(), context=b"HolderName")
    with pytest.raises(CodecError, match="HolderName is encrypted"):
        CLEAR.loads(with_enc("HolderName", name))


def test_equal_numbers_decode_to_one_shared_instance_though_their_ciphertexts_differ() -> None:
    first, second = SEALING.dumps(PHONE), SEALING.dumps(PHONE)
    assert first != second
    assert SEALING.loads(first) is SEALING.loads(second)
    assert SEALING.loads(first) is SEALING.loads(CLEAR.dumps(PHONE))


def enc_of(text: str) -> bytes:
    return base64.b64decode(json.loads(text)["enc"])


def with_enc(tag: str, sealed: bytes) -> str:
    return json.dumps({"$type": tag, "enc": base64.b64encode(sealed).decode()})


def test_a_tampered_ciphertext_is_refused() -> None:
    sealed = bytearray(enc_of(SEALING.dumps(CARD)))
    sealed[-1] ^= 0x01
    with pytest.raises(DecryptionError, match="does not authenticate"):
        SEALING.loads(with_enc("BankCard", bytes(sealed)))


def test_a_phone_ciphertext_moved_into_a_card_or_a_name_is_refused() -> None:
    phone = enc_of(SEALING.dumps(PHONE))
    for tag in ("BankCard", "ResidentId", "HolderName"):
        with pytest.raises(DecryptionError, match="another context"):
            SEALING.loads(with_enc(tag, phone))


def test_data_sealed_with_a_key_the_codec_lacks_is_refused() -> None:
    stranger = Codec(cipher=AesGcmCipher({"elsewhere": bytes(32)}, current="elsewhere"))
    with pytest.raises(DecryptionError, match="'elsewhere', not held here"):
        SEALING.loads(stranger.dumps(PHONE))


def test_after_a_rotation_old_values_read_and_new_ones_use_the_new_key() -> None:
    before = Codec(cipher=AesGcmCipher({"2025-09": KEYS["2025-09"]}, current="2025-09"))
    old = before.dumps(RESIDENT)
    assert SEALING.loads(old) == RESIDENT
    assert CIPHER.sealed_with(enc_of(old)) == "2025-09"
    assert CIPHER.sealed_with(enc_of(SEALING.dumps(RESIDENT))) == "2026-03"


def test_malformed_encrypted_values_are_refused() -> None:
    with pytest.raises(DecryptionError, match="malformed base64"):
        SEALING.loads('{"$type": "PhoneNumber", "enc": "not base64!"}')
    with pytest.raises(CodecError, match="neither clear text nor encrypted"):
        SEALING.loads('{"$type": "PhoneNumber", "enc": 12}')
    with pytest.raises(CodecError, match="neither clear text nor encrypted"):
        SEALING.loads('{"$type": "HolderName"}')
    not_text = CIPHER.encrypt(b"\xff\xfe", context=b"PhoneNumber")
    with pytest.raises(DecryptionError, match="not UTF-8"):
        SEALING.loads(with_enc("PhoneNumber", not_text))


def test_a_name_that_is_absent_stays_absent() -> None:
    anonymous = Owner(PHONE)
    assert json.loads(SEALING.dumps(anonymous))["holder_name"] is None
    assert SEALING.loads(SEALING.dumps(anonymous)) == anonymous


def test_an_authenticators_shared_secret_is_stored_encrypted() -> None:
    enrolment = TotpEnrolment("JBSWY3DPEHPK3PXP", confirmed=True, last_step=7)
    encoded = json.loads(SEALING.dumps(enrolment))
    assert encoded["secret"]["$type"] == "Secret"
    assert "JBSWY3DPEHPK3PXP" not in SEALING.dumps(enrolment)
    assert encoded["last_step"] == 7
    assert SEALING.loads(SEALING.dumps(enrolment)) == enrolment
    with pytest.raises(DecryptionError, match="another context"):  # a secret is not a name
        SEALING.loads(with_enc("HolderName", enc_of(json.dumps(encoded["secret"]))))


def test_password_and_answer_hashes_are_stored_encrypted() -> None:
    hashed = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
    credentials = Credentials(WalletId("W-1"), hashed, "Pet?", hashed + "x")

    stored = SEALING.dumps(credentials)

    assert hashed not in stored
    assert json.loads(stored)["password_hash"]["$type"] == "PasswordHash"
    assert SEALING.loads(stored) == credentials
    assert CLEAR.loads(CLEAR.dumps(credentials)) == credentials  # no cipher: in clear, as before


def test_no_class_may_take_the_tag_of_encrypted_text() -> None:
    @attrs.frozen
    class HolderName:
        text: str

    @attrs.frozen
    class Secret:
        text: str

    for cls in (HolderName, Secret):
        with pytest.raises(CodecError, match="tag of encrypted text"):
            Codec([cls])


names = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4)


@given(phone_numbers(), resident_ids(), bank_cards(), names)
def test_no_generated_number_or_name_appears_in_the_stored_text(
    phone: PhoneNumber, resident: ResidentId, card: BankCard, name: str
) -> None:
    value = (Owner(phone, name, resident), card)
    text = SEALING.dumps(value)
    for form in clear_forms(phone, resident, card):
        assert form not in text
    assert name not in text
    assert SEALING.loads(text) == value


# --- end to end: an encrypted SQLite database ------------------------------------------------


def sqlite_service(store: SqliteStore) -> tuple[WalletService, InMemoryPhoneVerifier]:
    phones = InMemoryPhoneVerifier()
    service = WalletService(
        store.unit_of_work,
        clock=ManualClock(START),
        ids=SequentialIds(),
        hasher=ScryptHasher.fast_for_tests(),
        phone_verifier=phones,
        identity_verifier=InMemoryIdentityVerifier(()),
        card_verifier=InMemoryCardVerifier(()),
        fingerprint_key=b"a fingerprint key kept by the bank",
        read_unit_of_work=store.reader,
    )
    return service, phones


def database_bytes(folder: Path) -> bytes:
    """Every file of the database: the main file, its write-ahead log and shared memory."""
    files = sorted(folder.glob("wallet.db*"))
    assert folder / "wallet.db" in files
    return b"".join(path.read_bytes() for path in files)


def personal_data_in(raw: bytes) -> list[str]:
    """Which of PHONE, RESIDENT, CARD and NAME ``raw`` holds in clear (by kind, not the value)."""
    forms = dict.fromkeys(clear_forms(PHONE, RESIDENT, CARD), "a number")
    forms[NAME] = "the name"
    return [kind for form, kind in forms.items() if form.encode() in raw]


def assert_no_personal_data(folder: Path) -> None:
    assert personal_data_in(database_bytes(folder)) == []


def test_an_encrypted_sqlite_database_holds_no_personal_data_and_still_works(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "wallet.db", codec=SEALING)
    service, phones = sqlite_service(store)
    wallet = registered(service, phones)
    assert (tmp_path / "wallet.db-wal").stat().st_size > 0  # the log holds the latest pages
    assert_no_personal_data(tmp_path)
    assert service.balance(wallet).posted == Money.of("964.50")
    assert service.wallet(wallet).owner == Owner(PHONE, NAME, RESIDENT)
    assert service.wallet(wallet).cards == (CARD,)
    assert service.wallet_for_phone(PHONE) == wallet
    with store.unit_of_work() as uow:
        events = uow.events.for_aggregate(wallet)
    assert [e.phone for e in events if isinstance(e, WalletOpened)] == [PHONE]
    store.verify()
    store.close()  # checkpoints the log into the main file
    assert_no_personal_data(tmp_path)

    without_key = SqliteStore(tmp_path / "wallet.db", codec=CLEAR)
    with pytest.raises(CorruptStateError, match="no cipher"):
        sqlite_service(without_key)[0].wallet(wallet)
    without_key.close()


def test_an_existing_clear_database_is_encrypted_record_by_record_as_it_is_saved(
    tmp_path: Path,
) -> None:
    before = SqliteStore(tmp_path / "wallet.db", codec=CLEAR)
    wallet = registered(*sqlite_service(before))
    before.close()

    after = SqliteStore(tmp_path / "wallet.db", codec=SEALING)
    service = sqlite_service(after)[0]
    service.top_up(wallet, CARD, Money.of("1"), idempotency_key="after")
    assert service.balance(wallet).posted == Money.of("965.50")
    db = after.connection()
    (row,) = db.execute("SELECT data FROM wallets WHERE id = ?", (wallet,)).fetchone()
    assert personal_data_in(row.encode()) == []  # saved again, so encrypted
    (old,) = db.execute("SELECT data FROM registrations").fetchone()
    assert "a number" in personal_data_in(old.encode())  # not saved since: still in clear
    after.close()
