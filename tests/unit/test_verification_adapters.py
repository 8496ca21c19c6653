"""The in-memory phone, identity and card verifiers, and the ports they implement."""

from __future__ import annotations

import pickle
import re
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.adapters.verification import (
    CODE_LIFETIME,
    FAILURE_WINDOW,
    MAX_ATTEMPTS,
    MAX_FAILURES,
    MAX_SENDS_PER_DAY,
    RESEND_INTERVAL,
    InMemoryCardVerifier,
    InMemoryIdentityVerifier,
    InMemoryPhoneVerifier,
    SentCode,
    SmsOutbox,
)
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.errors import (
    IdentityTypeError,
    InvalidBankCardError,
    InvalidResidentIdError,
    NaiveDatetimeError,
    SecretTypeError,
    TooManyAttemptsError,
)
from icbc_wallet.ports.verification import CardVerifier, IdentityVerifier, PhoneVerifier
from icbc_wallet.testing.strategies import phone_numbers

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
PHONE = PhoneNumber.parse("13800138000")
OTHER_PHONE = PhoneNumber.parse("13900139000")
RESIDENT = ResidentId.parse("34052419800101001X")
CARD = BankCard.parse("6225768888888888")
OTHER_CARD = BankCard.parse("6222020200112345679")


def sent(verifier: InMemoryPhoneVerifier, phone: PhoneNumber = PHONE, at: datetime = NOW) -> str:
    verifier.send_code(phone, at)
    code = verifier.last_code_for(phone)
    assert code is not None
    return code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# -- the ports ---------------------------------------------------------------------------------


def test_the_in_memory_verifiers_implement_the_ports() -> None:
    phone: PhoneVerifier = InMemoryPhoneVerifier()
    identity: IdentityVerifier = InMemoryIdentityVerifier()
    card: CardVerifier = InMemoryCardVerifier()
    assert isinstance(phone, PhoneVerifier)
    assert isinstance(identity, IdentityVerifier)
    assert isinstance(card, CardVerifier)


# -- one-time codes ------------------------------------------------------------------------------


def test_the_code_sent_verifies_once() -> None:
    verifier = InMemoryPhoneVerifier()
    code = sent(verifier)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert verifier.check_code(PHONE, code, NOW)
    assert not verifier.check_code(PHONE, code, NOW)


def test_a_wrong_code_does_not_verify_but_the_right_one_still_does() -> None:
    verifier = InMemoryPhoneVerifier()
    code = sent(verifier)
    assert not verifier.check_code(PHONE, wrong(code), NOW)
    assert verifier.check_code(PHONE, code, NOW)


def test_after_the_allowed_attempts_even_the_right_code_fails() -> None:
    verifier = InMemoryPhoneVerifier()
    code = sent(verifier)
    for _ in range(MAX_ATTEMPTS):
        assert not verifier.check_code(PHONE, wrong(code), NOW)
    with pytest.raises(TooManyAttemptsError, match="too many wrong codes"):
        verifier.check_code(PHONE, code, NOW)


def test_the_last_allowed_attempt_may_be_the_right_one() -> None:
    verifier = InMemoryPhoneVerifier()
    code = sent(verifier)
    for _ in range(MAX_ATTEMPTS - 1):
        assert not verifier.check_code(PHONE, wrong(code), NOW)
    assert verifier.check_code(PHONE, code, NOW)


def test_a_code_works_for_five_minutes_and_not_an_instant_longer() -> None:
    assert timedelta(minutes=5) == CODE_LIFETIME
    verifier = InMemoryPhoneVerifier()
    code = sent(verifier)
    assert verifier.check_code(PHONE, code, NOW + CODE_LIFETIME - timedelta(microseconds=1))
    later = NOW + RESEND_INTERVAL
    code = sent(verifier, at=later)
    assert not verifier.check_code(PHONE, code, later + CODE_LIFETIME)
    assert not verifier.check_code(PHONE, code, later)  # an expired code is gone for good


def test_a_new_code_replaces_the_previous_one() -> None:
    verifier = InMemoryPhoneVerifier()
    first = sent(verifier)
    later = NOW + RESEND_INTERVAL
    second = sent(verifier, at=later)
    if second != first:  # one chance in a million that they are equal
        assert not verifier.check_code(PHONE, first, later)
    assert verifier.check_code(PHONE, second, later)


def test_a_code_verifies_only_the_phone_it_was_sent_to() -> None:
    verifier = InMemoryPhoneVerifier()
    code = sent(verifier)
    assert not verifier.check_code(OTHER_PHONE, code, NOW)
    assert verifier.last_code_for(OTHER_PHONE) is None


def test_the_verifier_keeps_only_a_hash_while_the_outbox_holds_the_message() -> None:
    verifier = InMemoryPhoneVerifier()
    code = sent(verifier)
    # Everything the verifier holds but the outbox; dict keys (phones) left out, since a phone
    # number's digits could contain the code by chance.
    fields = [getattr(verifier, f.name) for f in attrs.fields(InMemoryPhoneVerifier)]
    state = [
        list(f.values()) if isinstance(f, dict) else f for f in fields if f is not verifier.outbox
    ]
    assert len(state) == len(fields) - 1
    assert code.encode() not in pickle.dumps(state)
    assert code not in repr(state)
    assert verifier.outbox.messages == (SentCode(PHONE, code, NOW),)
    assert code not in repr(verifier)
    assert code not in repr(verifier.outbox.messages)


def test_verifiers_can_share_one_outbox() -> None:
    outbox = SmsOutbox()
    first, second = InMemoryPhoneVerifier(outbox), InMemoryPhoneVerifier(outbox)
    first.send_code(PHONE, NOW)
    second.send_code(OTHER_PHONE, NOW)
    assert [message.phone for message in outbox.messages] == [PHONE, OTHER_PHONE]
    code = second.last_code_for(OTHER_PHONE)
    assert code is not None
    assert not first.check_code(OTHER_PHONE, code, NOW)  # each verifier keys its own codes
    assert second.check_code(OTHER_PHONE, code, NOW)


def test_checking_without_a_code_sent_fails() -> None:
    assert not InMemoryPhoneVerifier().check_code(PHONE, "123456", NOW)


def test_bad_arguments_are_refused() -> None:
    verifier = InMemoryPhoneVerifier()
    with pytest.raises(NaiveDatetimeError):
        verifier.send_code(PHONE, datetime(2026, 5, 1))
    with pytest.raises(IdentityTypeError):
        verifier.send_code("13800138000", NOW)  # type: ignore[arg-type]
    code = sent(verifier)
    with pytest.raises(SecretTypeError):
        verifier.check_code(PHONE, int(code), NOW)  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError):
        verifier.check_code(PHONE, code, datetime(2026, 5, 1))


@given(phone=phone_numbers(), guess=st.text(max_size=8))
def test_a_wrong_code_never_verifies(phone: PhoneNumber, guess: str) -> None:
    verifier = InMemoryPhoneVerifier()
    code = sent(verifier, phone)
    assert verifier.check_code(phone, guess, NOW) == (guess == code)


# -- identity and card -------------------------------------------------------------------------


def test_the_identity_verifier_accepts_everyone_except_the_rejected() -> None:
    verifier = InMemoryIdentityVerifier(rejected=["34052419800101001x"])  # lower-case x is read
    assert not verifier.verify("张三", RESIDENT)
    assert InMemoryIdentityVerifier().verify("张三", RESIDENT)
    assert "19800101" not in repr(verifier)


def test_the_card_verifier_accepts_every_card_except_the_rejected() -> None:
    verifier = InMemoryCardVerifier(rejected=[OTHER_CARD.reveal()])
    assert verifier.verify(CARD, "张三", RESIDENT)
    assert not verifier.verify(OTHER_CARD, "张三", RESIDENT)
    assert OTHER_CARD.reveal() not in repr(verifier)


def test_the_fake_verifiers_refuse_malformed_configuration_and_arguments() -> None:
    with pytest.raises(InvalidResidentIdError):
        InMemoryIdentityVerifier(rejected=["340524198001010013"])
    with pytest.raises(InvalidBankCardError):
        InMemoryCardVerifier(rejected=["6222020200112345678"])
    with pytest.raises(IdentityTypeError):
        InMemoryIdentityVerifier(rejected="34052419800101001X")
    with pytest.raises(IdentityTypeError):
        InMemoryCardVerifier(rejected="6225768888888888")
    with pytest.raises(IdentityTypeError):
        InMemoryIdentityVerifier().verify("张三", "34052419800101001X")  # type: ignore[arg-type]
    with pytest.raises(IdentityTypeError):
        InMemoryCardVerifier().verify("6225768888888888", "张三", RESIDENT)  # type: ignore[arg-type]


def test_a_phone_gets_at_most_one_code_a_minute_and_ten_a_day() -> None:
    verifier = InMemoryPhoneVerifier()
    sent(verifier)
    with pytest.raises(TooManyAttemptsError, match="less than a minute ago"):
        sent(verifier, at=NOW + RESEND_INTERVAL - timedelta(seconds=1))
    for minute in range(1, MAX_SENDS_PER_DAY):
        sent(verifier, at=NOW + minute * RESEND_INTERVAL)
    with pytest.raises(TooManyAttemptsError, match="10 codes today"):
        sent(verifier, at=NOW + timedelta(hours=2))
    assert len(verifier.outbox.messages) == MAX_SENDS_PER_DAY
    sent(verifier, at=NOW + timedelta(days=1))  # the first send has aged out


def test_resending_does_not_buy_new_guesses() -> None:
    # Brute force by asking for fresh codes: wrong guesses count per phone across resends.
    verifier = InMemoryPhoneVerifier()
    at = NOW
    for _ in range(MAX_FAILURES):
        code = sent(verifier, at=at)
        assert not verifier.check_code(PHONE, wrong(code), at)
        at += RESEND_INTERVAL
    code = sent(verifier, at=at)
    with pytest.raises(TooManyAttemptsError):
        verifier.check_code(PHONE, code, at)
    unlocked = NOW + FAILURE_WINDOW + MAX_FAILURES * RESEND_INTERVAL
    code = sent(verifier, at=unlocked)
    assert verifier.check_code(PHONE, code, unlocked)
