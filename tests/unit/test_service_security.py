"""Tries of the payment password, security answer, TOTP and SMS codes, behind lockouts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest

from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.hashing import ScryptHasher, UpgradingHasher
from icbc_wallet.adapters.runtime import SequentialIds
from icbc_wallet.bootstrap import InMemoryBank, sqlite
from icbc_wallet.domain.attestations import Presented, SmsAnswer
from icbc_wallet.domain.credentials import CheckOutcome, SecretCheck
from icbc_wallet.domain.identity import PhoneNumber
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.errors import (
    InvalidHashError,
    InvalidPolicyError,
    NotFoundError,
    SecretTypeError,
    SecurityStateError,
    TooManyAttemptsError,
    WeakPasswordError,
)
from icbc_wallet.ports.notifications import NotificationKind

OpenWallet = Callable[..., WalletId]
"""The ``open_wallet`` fixture (tests/conftest.py)."""
CORE_START = datetime(2026, 3, 2, 2, tzinfo=UTC)
"""The in-memory bank's first instant in core tests (tests/conftest.py)."""

RIGHT, WRONG = "135790", "246802"


def _credentials(bank: InMemoryBank, wallet: WalletId) -> object:
    with bank.store.unit_of_work() as uow:
        return uow.credentials.get(wallet)


def test_a_new_wallet_keeps_its_registration_hashes(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet = open_wallet("WL04")

    check = memory_bank.service.verify_payment_password(wallet, RIGHT)

    assert check == SecretCheck(CheckOutcome.VERIFIED, 3)
    assert RIGHT not in repr(_credentials(memory_bank, wallet))


def test_three_wrong_passwords_lock_for_three_hours_even_against_the_right_one(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")

    first = service.verify_payment_password(wallet, WRONG)
    second = service.verify_payment_password(wallet, WRONG)
    third = service.verify_payment_password(wallet, WRONG)
    memory_bank.clock.advance(timedelta(hours=2, minutes=59))
    during = service.verify_payment_password(wallet, RIGHT)
    memory_bank.clock.advance(timedelta(minutes=1))
    after = service.verify_payment_password(wallet, RIGHT)

    until = CORE_START + timedelta(hours=3)
    assert [first.attempts_left, second.attempts_left] == [2, 1]
    assert third == SecretCheck(CheckOutcome.LOCKED, 0, until)
    assert during == SecretCheck(CheckOutcome.LOCKED, 0, until)
    assert after.verified


def test_a_right_password_resets_the_count(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")
    service.verify_payment_password(wallet, WRONG)
    service.verify_payment_password(wallet, WRONG)

    service.verify_payment_password(wallet, RIGHT)

    assert service.verify_payment_password(wallet, WRONG).attempts_left == 2


def test_the_security_answer_is_normalised_and_locked_on_its_own(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")
    for _ in range(3):
        service.verify_security_answer(wallet, "Fido")

    assert service.verify_security_answer(wallet, "  REX ").outcome is CheckOutcome.LOCKED
    assert service.verify_payment_password(wallet, RIGHT).verified


def test_a_right_password_made_with_old_parameters_is_hashed_again(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet = open_wallet("WL04")  # hashed by the bank's cheap Argon2id (8 KiB, one pass)
    stronger = Argon2Hasher(memory_cost=16, time_cost=2, parallelism=1)
    memory_bank.service._hasher = stronger  # the bank raised its cost
    before = _credentials(memory_bank, wallet).password_hash  # type: ignore[attr-defined]

    wrong = memory_bank.service.verify_payment_password(wallet, WRONG)
    unchanged = _credentials(memory_bank, wallet).password_hash  # type: ignore[attr-defined]
    assert memory_bank.service.verify_payment_password(wallet, RIGHT).verified

    after = _credentials(memory_bank, wallet).password_hash  # type: ignore[attr-defined]
    assert not wrong.verified
    assert unchanged == before
    assert stronger.needs_rehash(before)
    assert not stronger.needs_rehash(after)
    assert memory_bank.service.verify_payment_password(wallet, RIGHT).verified


def test_an_upgrading_hasher_reads_scrypt_and_asks_for_argon2id() -> None:
    legacy = ScryptHasher.fast_for_tests()
    hasher = UpgradingHasher(Argon2Hasher.fast_for_tests(), (legacy,))
    old = legacy.hash(RIGHT)

    assert hasher.verify(RIGHT, old)
    assert not hasher.verify(WRONG, old)
    assert hasher.needs_rehash(old)
    assert hasher.hash(RIGHT).startswith("$argon2id$")
    with pytest.raises(InvalidHashError):
        hasher.verify(RIGHT, "md5$abc")


def test_changing_the_password_needs_the_current_one_and_follows_the_rules(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL03")

    with pytest.raises(WeakPasswordError):
        service.change_payment_password(wallet, RIGHT, "111111", idempotency_key="c1")
    with pytest.raises(WeakPasswordError):  # the holder's birth date (1980-01-01)
        service.change_payment_password(wallet, RIGHT, "800101", idempotency_key="c1")
    refused = service.change_payment_password(wallet, WRONG, "246813", idempotency_key="c2")
    changed = service.change_payment_password(wallet, RIGHT, "246813", idempotency_key="c3")
    replayed = service.change_payment_password(wallet, RIGHT, "246813", idempotency_key="c3")

    assert refused.outcome is CheckOutcome.WRONG
    assert changed.verified
    assert replayed == changed
    assert not service.verify_payment_password(wallet, RIGHT).verified
    assert service.verify_payment_password(wallet, "246813").verified


def test_totp_enrolment_needs_the_password_and_a_first_code(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")

    refused = service.enrol_totp(wallet, WRONG)
    setup = service.enrol_totp(wallet, RIGHT)
    assert setup.secret is not None
    assert setup.uri is not None
    with pytest.raises(SecurityStateError):
        service.verify_totp(wallet, "000000")  # not confirmed yet
    totp = pyotp.TOTP(setup.secret)
    confirmed = service.confirm_totp(wallet, totp.at(memory_bank.clock.now()))

    assert refused.secret is None
    assert refused.check.outcome is CheckOutcome.WRONG
    assert setup.uri.startswith("otpauth://totp/")
    assert setup.secret not in repr(setup)
    assert confirmed.verified
    with pytest.raises(SecurityStateError):
        service.confirm_totp(wallet, totp.at(memory_bank.clock.now()))


def test_a_totp_code_is_accepted_once_and_within_one_step_of_drift(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")
    secret = service.enrol_totp(wallet, RIGHT).secret
    assert secret is not None
    totp, clock = pyotp.TOTP(secret), memory_bank.clock
    service.confirm_totp(wallet, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))
    now = clock.now()

    late = service.verify_totp(wallet, totp.at(now, counter_offset=1))
    replay = service.verify_totp(wallet, totp.at(now, counter_offset=1))
    too_far = service.verify_totp(wallet, totp.at(now, counter_offset=-3))

    assert late.verified
    assert replay.outcome is CheckOutcome.WRONG
    assert too_far == SecretCheck(CheckOutcome.WRONG, 1)  # two wrong since the right one


def test_an_sms_code_goes_through_the_notifier_without_showing_in_text_or_repr(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")

    challenge = service.send_code(wallet, "pay")

    sent = memory_bank.notifier.sent[-1]
    assert sent.kind is NotificationKind.ONE_TIME_CODE
    assert sent.recipient == wallet
    assert sent.code is not None
    assert sent.code.isdigit()
    assert len(sent.code) == 6
    assert sent.code not in sent.text
    assert sent.code not in repr(sent)
    assert sent.code in sent.render()
    assert sent.code not in repr(_credentials(memory_bank, wallet))
    assert service.verify_code(wallet, challenge, sent.code).verified


def test_an_sms_code_is_used_once_and_expires(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet, clock = memory_bank.service, open_wallet("WL04"), memory_bank.clock
    first = service.send_code(wallet, "login")
    code = memory_bank.notifier.sent[-1].code
    assert code is not None
    assert service.verify_code(wallet, first, code).verified
    clock.advance(timedelta(minutes=1))
    second = service.send_code(wallet, "login")
    late = memory_bank.notifier.sent[-1].code
    assert late is not None
    clock.advance(timedelta(minutes=5))

    assert service.verify_code(wallet, first, code).outcome is CheckOutcome.EXPIRED
    assert service.verify_code(wallet, second, late).outcome is CheckOutcome.EXPIRED


def test_an_sms_code_is_void_after_its_tries_and_cannot_be_resent_at_once(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")
    challenge = service.send_code(wallet, "pay")
    code = memory_bank.notifier.sent[-1].code
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"

    with pytest.raises(TooManyAttemptsError):
        service.send_code(wallet, "pay")
    tries = [service.verify_code(wallet, challenge, wrong).outcome for _ in range(3)]

    assert tries == [CheckOutcome.WRONG, CheckOutcome.WRONG, CheckOutcome.LOCKED]
    assert service.verify_code(wallet, challenge, code).outcome is CheckOutcome.EXPIRED


@pytest.mark.parametrize("purpose", ["", "PAY", "anything"])
def test_a_code_is_sent_only_for_a_known_purpose(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, purpose: str
) -> None:
    wallet = open_wallet("WL04")
    with pytest.raises(InvalidPolicyError, match="purpose"):
        memory_bank.service.send_code(wallet, purpose)
    assert memory_bank.notifier.sent == []


def test_secrets_of_the_wrong_type_or_an_unknown_wallet_are_refused(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:

    service, wallet = memory_bank.service, open_wallet("WL04")

    with pytest.raises(SecretTypeError):
        service.verify_payment_password(wallet, 135790)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        service.verify_payment_password("W-999999", RIGHT)
    assert service.verify_payment_password(wallet, RIGHT).attempts_left == 3


def test_replacing_a_confirmed_authenticator_needs_an_sms_code_and_tells_the_holder(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet, clock = memory_bank.service, open_wallet("WL04"), memory_bank.clock
    first = service.enrol_totp(wallet, RIGHT).secret
    assert first is not None
    service.confirm_totp(wallet, pyotp.TOTP(first).at(clock.now()))

    with pytest.raises(SecurityStateError, match="SMS code"):
        service.enrol_totp(wallet, RIGHT)  # the password alone must not swap the second factor
    challenge = service.send_code(wallet, "change_authenticator")
    code = memory_bank.notifier.sent[-1].code
    assert code is not None
    replaced = service.enrol_totp(wallet, RIGHT, sms=SmsAnswer(challenge, code))

    assert replaced.check.verified
    assert replaced.secret not in (None, first)
    memory_bank.dispatcher.dispatch()
    told = [
        n.text
        for n in memory_bank.notifier.for_recipient(wallet)
        if n.kind is NotificationKind.SECURITY and "authenticator" in n.text
    ]
    assert len(told) == 2  # the first enrolment and its replacement


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "12345a", "", "1" * 11])
def test_a_malformed_code_is_refused_before_anything_is_counted(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, code: str
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")
    secret = service.enrol_totp(wallet, RIGHT).secret
    assert secret is not None

    with pytest.raises(SecretTypeError):
        service.confirm_totp(wallet, code)
    with pytest.raises(SecretTypeError):
        Presented(password=WRONG, totp=code)

    assert service.verify_payment_password(wallet, WRONG).attempts_left == 2


def test_a_pepper_being_retired_still_verifies_its_hashes() -> None:
    old = Argon2Hasher.fast_for_tests(pepper=b"the pepper of 2025")
    new = Argon2Hasher.fast_for_tests(pepper=b"the pepper of 2026")
    hasher = UpgradingHasher(new, (old,))
    stored = old.hash(RIGHT)

    assert hasher.verify(RIGHT, stored)
    assert not hasher.verify(WRONG, stored)
    assert hasher.verify(RIGHT, hasher.hash(RIGHT))


def test_a_durable_bank_stores_argon2id_hashes_at_owasp_parameters(tmp_path: Path) -> None:
    bank = sqlite(tmp_path / "wallet.db", fingerprint_key=b"k" * 32, ids=SequentialIds())
    try:
        phone = PhoneNumber.parse("13800138000")
        registration = bank.service.start_registration(phone, idempotency_key="r1")
        code = bank.phone_verifier.last_code_for(phone)
        assert code is not None
        bank.service.verify_phone(registration, phone, code, idempotency_key="r2")
        bank.service.set_credentials(registration, RIGHT, "Pet?", "Rex", idempotency_key="r3")
        wallet = bank.service.submit_registration(registration, idempotency_key="r4")
        with bank.store.unit_of_work() as uow:
            stored = uow.credentials.get(wallet)
    finally:
        bank.close()

    for hashed in (stored.password_hash, stored.answer_hash):
        assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
