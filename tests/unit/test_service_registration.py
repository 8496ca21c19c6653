"""Registration through the service: verified steps, resumable, and the tier the evidence earns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.events import CardBound, WalletOpened
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import RegistrationId
from icbc_wallet.domain.limits import Limit
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.registration import RegistrationStep
from icbc_wallet.errors import (
    AlreadyRegisteredError,
    ConcurrencyError,
    IdempotencyConflict,
    IdentityTypeError,
    InvalidHolderNameError,
    InvalidLimitScheduleError,
    LimitChoiceError,
    NotFoundError,
    RegistrationStateError,
    TooManyAttemptsError,
    VerificationFailedError,
    WeakPasswordError,
)
from icbc_wallet.ports.persistence import IdempotencyRecord

PHONE = PhoneNumber.parse("13800138000")
RESIDENT = ResidentId.parse("34052419800101001X")
CARD = BankCard.parse("6225768888888888")
Step = RegistrationStep


def start(bank: InMemoryBank, phone: PhoneNumber = PHONE) -> RegistrationId:
    return bank.service.start_registration(phone, idempotency_key=f"start-{phone.reveal()}")


def verify(bank: InMemoryBank, registration: str, phone: PhoneNumber = PHONE) -> None:
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    bank.service.verify_phone(registration, phone, code, idempotency_key=f"verify-{registration}")


def identify(bank: InMemoryBank, registration: str) -> None:
    bank.service.provide_identity(
        registration, "张三", RESIDENT, idempotency_key=f"id-{registration}"
    )


def credentials(bank: InMemoryBank, registration: str) -> None:
    bank.service.set_credentials(
        registration, "135790", "First pet?", "Rex", idempotency_key=f"pw-{registration}"
    )


def next_step(bank: InMemoryBank, registration: str) -> RegistrationStep | None:
    return bank.service.registration(registration).next_step


def test_the_articles_flow_opens_a_class_two_wallet_with_the_card_bound(
    memory_bank: InMemoryBank,
) -> None:
    service = memory_bank.service
    registration = start(memory_bank)
    code = memory_bank.phone_verifier.last_code_for(PHONE)
    assert code is not None

    steps = [
        service.verify_phone(registration, PHONE, code, idempotency_key="k1"),
        service.provide_identity(registration, " 张三 ", RESIDENT, idempotency_key="k2"),
        service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="k3"),
        service.add_card(registration, CARD, idempotency_key="k4"),
    ]
    wallet_id = service.submit_registration(registration, idempotency_key="k5")

    assert steps == [Step.IDENTITY, Step.CREDENTIALS, Step.CARD, Step.LIMITS]
    wallet = service.wallet(wallet_id)
    assert (wallet.tier, wallet.cards, wallet.owner.resident_id) == ("WL02", (CARD,), RESIDENT)
    assert wallet.owner.holder_name == "张三"
    assert wallet.owner.phone == PHONE
    assert wallet.limits == service.policies.limits.tier("WL02")
    with memory_bank.store.unit_of_work() as uow:
        events = uow.events.for_aggregate(wallet_id)
    assert [type(e) for e in events] == [WalletOpened, CardBound]
    assert next_step(memory_bank, registration) is None
    assert service.wallet_for_phone(PHONE) == wallet_id
    assert service.wallet_for_phone(PhoneNumber.parse("13900139000")) is None


def test_a_wallet_is_looked_up_by_a_parsed_phone_number(memory_bank: InMemoryBank) -> None:
    with pytest.raises(IdentityTypeError, match="PhoneNumber, not str"):
        memory_bank.service.wallet_for_phone("13800138000")  # type: ignore[arg-type]  # the mistake


@pytest.mark.parametrize(
    ("given", "tier"),
    [((), "WL04"), (("identity",), "WL03"), (("identity", "card"), "WL02")],
)
def test_the_tier_follows_the_evidence(
    memory_bank: InMemoryBank, given: tuple[str, ...], tier: str
) -> None:
    registration = start(memory_bank)
    verify(memory_bank, registration)
    if "identity" in given:
        identify(memory_bank, registration)
    credentials(memory_bank, registration)
    if "card" in given:
        memory_bank.service.add_card(registration, CARD, idempotency_key="card")

    wallet_id = memory_bank.service.submit_registration(registration, idempotency_key="submit")

    wallet = memory_bank.service.wallet(wallet_id)
    assert wallet.tier == tier
    assert wallet.limits == memory_bank.service.policies.limits.tier(tier)


def test_a_registration_resumes_at_the_step_after_the_last_one_taken(
    memory_bank: InMemoryBank,
) -> None:
    registration = start(memory_bank)
    assert next_step(memory_bank, registration) is Step.PHONE
    verify(memory_bank, registration)
    assert next_step(memory_bank, registration) is Step.IDENTITY
    identify(memory_bank, registration)
    assert next_step(memory_bank, registration) is Step.CREDENTIALS
    credentials(memory_bank, registration)
    assert next_step(memory_bank, registration) is Step.CARD


def test_a_wrong_code_records_nothing_and_the_key_may_be_used_again(
    memory_bank: InMemoryBank,
) -> None:
    registration = start(memory_bank)
    code = memory_bank.phone_verifier.last_code_for(PHONE)
    assert code is not None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    with pytest.raises(VerificationFailedError):
        memory_bank.service.verify_phone(registration, PHONE, wrong, idempotency_key="verify")
    assert next_step(memory_bank, registration) is Step.PHONE
    assert memory_bank.service.registration(registration).phone is None

    step = memory_bank.service.verify_phone(registration, PHONE, code, idempotency_key="verify")
    assert step is Step.IDENTITY


def test_a_code_expires_after_five_minutes(memory_bank: InMemoryBank) -> None:
    registration = start(memory_bank)
    code = memory_bank.phone_verifier.last_code_for(PHONE)
    assert code is not None
    memory_bank.clock.advance(timedelta(minutes=5))

    with pytest.raises(VerificationFailedError):
        memory_bank.service.verify_phone(registration, PHONE, code, idempotency_key="verify")


def test_a_code_that_is_not_text_fails_verification(memory_bank: InMemoryBank) -> None:
    registration = start(memory_bank)

    with pytest.raises(VerificationFailedError):
        memory_bank.service.verify_phone(registration, PHONE, 135790, idempotency_key="v")  # type: ignore[arg-type]


def test_a_resent_code_replaces_the_old_one(memory_bank: InMemoryBank) -> None:
    registration = start(memory_bank)
    old = memory_bank.phone_verifier.last_code_for(PHONE)

    with pytest.raises(TooManyAttemptsError, match="less than a minute ago"):
        memory_bank.service.resend_code(registration, PHONE)
    memory_bank.clock.advance(timedelta(minutes=1))
    memory_bank.service.resend_code(registration, PHONE)

    new = memory_bank.phone_verifier.last_code_for(PHONE)
    assert new is not None
    assert old is not None
    assert len(memory_bank.phone_verifier.outbox.messages) == 2
    if new != old:  # one chance in a million that the new code repeats the old one
        with pytest.raises(VerificationFailedError):
            memory_bank.service.verify_phone(registration, PHONE, old, idempotency_key="old")
    assert memory_bank.service.verify_phone(registration, PHONE, new, idempotency_key="new")


def test_no_code_is_sent_for_a_registration_that_does_not_exist(
    memory_bank: InMemoryBank,
) -> None:
    with pytest.raises(NotFoundError):
        memory_bank.service.resend_code("R-404", PHONE)

    assert memory_bank.phone_verifier.outbox.messages == ()


def test_starting_again_with_the_same_key_sends_no_second_code(memory_bank: InMemoryBank) -> None:
    first = start(memory_bank)
    again = start(memory_bank)

    assert first == again
    assert len(memory_bank.phone_verifier.outbox.messages) == 1


def test_an_identity_the_public_security_check_rejects_is_not_recorded() -> None:
    bank = in_memory(rejected_ids=[RESIDENT.reveal()])
    registration = start(bank)
    verify(bank, registration)

    with pytest.raises(VerificationFailedError):
        bank.service.provide_identity(registration, "张三", RESIDENT, idempotency_key="id")

    assert next_step(bank, registration) is Step.IDENTITY
    assert bank.service.registration(registration).resident_id is None


def test_a_card_its_bank_does_not_confirm_is_not_recorded() -> None:
    bank = in_memory(rejected_cards=[CARD.reveal()])
    registration = start(bank)
    verify(bank, registration)
    identify(bank, registration)
    credentials(bank, registration)

    with pytest.raises(VerificationFailedError, match=r"\*\*\*\* 8888"):
        bank.service.add_card(registration, CARD, idempotency_key="card")

    assert bank.service.registration(registration).card is None
    wallet_id = bank.service.submit_registration(registration, idempotency_key="submit")
    assert bank.service.wallet(wallet_id).tier == "WL03"


def test_a_holder_name_with_digits_is_refused_and_not_recorded(memory_bank: InMemoryBank) -> None:
    registration = start(memory_bank)
    verify(memory_bank, registration)

    with pytest.raises(InvalidHolderNameError):
        memory_bank.service.provide_identity(registration, "张3", RESIDENT, idempotency_key="id")
    assert next_step(memory_bank, registration) is Step.IDENTITY


@pytest.mark.parametrize("password", ["12345", "1234567", "abcdef", "１２３４５６", " 135790"])
def test_a_weak_password_is_refused_before_anything_is_recorded(
    memory_bank: InMemoryBank, password: str
) -> None:
    registration = start(memory_bank)
    verify(memory_bank, registration)

    with pytest.raises(WeakPasswordError) as raised:
        memory_bank.service.set_credentials(
            registration, password, "Pet?", "Rex", idempotency_key="pw"
        )

    assert password.strip() not in str(raised.value)
    assert next_step(memory_bank, registration) is Step.IDENTITY
    step = memory_bank.service.set_credentials(
        registration, "135790", "Pet?", "Rex", idempotency_key="pw"
    )
    assert step is Step.LIMITS  # no identity was given, so the card step cannot come next


@pytest.mark.parametrize(
    ("password", "reason"), [("138000", "phone_last_six"), ("800101", "birth_date")]
)
def test_the_holders_own_numbers_are_refused_as_passwords_and_nothing_is_recorded(
    memory_bank: InMemoryBank, password: str, reason: str
) -> None:
    registration = start(memory_bank)
    verify(memory_bank, registration)
    memory_bank.service.provide_identity(registration, "张三", RESIDENT, idempotency_key="id")

    with pytest.raises(WeakPasswordError) as refused:
        memory_bank.service.set_credentials(
            registration, password, "Pet?", "Rex", idempotency_key="pw"
        )

    assert refused.value.reason == reason
    assert next_step(memory_bank, registration) is Step.CREDENTIALS
    step = memory_bank.service.set_credentials(
        registration, "135790", "Pet?", "Rex", idempotency_key="pw"
    )
    assert step is Step.CARD


def test_only_hashes_of_the_password_and_answer_are_stored(memory_bank: InMemoryBank) -> None:
    registration = start(memory_bank)
    verify(memory_bank, registration)
    memory_bank.service.set_credentials(
        registration, "135790", "First pet?", "  REX ", idempotency_key="pw"
    )

    stored = memory_bank.service.registration(registration)

    assert stored.password_hash is not None
    assert stored.answer_hash is not None
    assert "135790" not in stored.password_hash
    assert "rex" not in stored.answer_hash.lower()
    hasher = Argon2Hasher.fast_for_tests()  # the in-memory bank's default
    assert hasher.verify("135790", stored.password_hash)
    assert hasher.verify("rex", stored.answer_hash)  # normalised before hashing
    assert "135790" not in repr(stored)


def test_identity_and_card_must_be_value_objects(memory_bank: InMemoryBank) -> None:
    registration = start(memory_bank)
    service = memory_bank.service

    with pytest.raises(IdentityTypeError):
        service.start_registration("13800138000", idempotency_key="s")  # type: ignore[arg-type]
    with pytest.raises(IdentityTypeError):
        service.verify_phone(registration, "13800138000", "1", idempotency_key="v")  # type: ignore[arg-type]
    with pytest.raises(IdentityTypeError):
        service.provide_identity(registration, "张三", RESIDENT.reveal(), idempotency_key="i")  # type: ignore[arg-type]
    with pytest.raises(IdentityTypeError):
        service.add_card(registration, CARD.reveal(), idempotency_key="c")  # type: ignore[arg-type]
    with pytest.raises(IdentityTypeError):
        service.resend_code(registration, "13800138000")  # type: ignore[arg-type]
    with pytest.raises(InvalidLimitScheduleError):
        service.choose_limits(registration, {"daily": "100"}, idempotency_key="l")  # type: ignore[arg-type]


def test_steps_out_of_order_are_refused_naming_the_expected_step(
    memory_bank: InMemoryBank,
) -> None:
    service = memory_bank.service
    registration = start(memory_bank)

    with pytest.raises(RegistrationStateError, match="expected step is 'phone'"):
        service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="pw")
    with pytest.raises(RegistrationStateError):
        service.submit_registration(registration, idempotency_key="submit")
    verify(memory_bank, registration)
    with pytest.raises(RegistrationStateError, match="expected step is 'identity'"):
        service.add_card(registration, CARD, idempotency_key="card")
    credentials(memory_bank, registration)
    with pytest.raises(RegistrationStateError):
        service.provide_identity(registration, "张三", RESIDENT, idempotency_key="id")

    assert service.registration(registration).evidence == {"phone"}


def test_nothing_changes_after_submission_and_a_second_submit_is_refused(
    memory_bank: InMemoryBank,
) -> None:
    service = memory_bank.service
    registration = start(memory_bank)
    verify(memory_bank, registration)
    credentials(memory_bank, registration)
    wallet_id = service.submit_registration(registration, idempotency_key="submit")

    assert service.submit_registration(registration, idempotency_key="submit") == wallet_id
    with pytest.raises(RegistrationStateError, match="submitted"):
        service.submit_registration(registration, idempotency_key="submit-again")
    with pytest.raises(RegistrationStateError, match="submitted"):
        service.choose_limits(registration, Limit.of(daily="100"), idempotency_key="limits")
    assert len(memory_bank.store.wallets.rows) == 1


def test_limits_chosen_within_the_tier_narrow_the_wallets_limits(
    memory_bank: InMemoryBank,
) -> None:
    service = memory_bank.service
    registration = start(memory_bank)
    verify(memory_bank, registration)
    identify(memory_bank, registration)
    credentials(memory_bank, registration)
    service.add_card(registration, CARD, idempotency_key="card")
    chosen = Limit.of(per_transaction="500", daily="2000")

    step = service.choose_limits(registration, chosen, idempotency_key="limits")
    wallet_id = service.submit_registration(registration, idempotency_key="submit")

    assert step is Step.SUBMITTED
    wallet = service.wallet(wallet_id)
    assert wallet.chosen_limit == chosen
    assert (wallet.limits.limit.per_transaction, wallet.limits.limit.daily) == (
        Money.of("500"),
        Money.of("2000"),
    )
    assert wallet.limits.balance_cap == Money.of("500000")  # the tier's cap stays


@pytest.mark.parametrize(
    ("with_identity", "chosen"),
    [(False, Limit.of(daily="5000.01")), (True, Limit.of(per_transaction="5000.01"))],
)
def test_limits_above_the_tier_are_refused_and_not_recorded(
    memory_bank: InMemoryBank, with_identity: bool, chosen: Limit
) -> None:
    registration = start(memory_bank)
    verify(memory_bank, registration)
    if with_identity:
        identify(memory_bank, registration)
    credentials(memory_bank, registration)

    with pytest.raises(LimitChoiceError):
        memory_bank.service.choose_limits(registration, chosen, idempotency_key="limits")

    assert memory_bank.service.registration(registration).chosen_limit is None
    ok = Limit.of(daily="1000")
    step = memory_bank.service.choose_limits(registration, ok, idempotency_key="limits")
    assert step is Step.SUBMITTED


def test_an_unknown_registration_is_not_found(memory_bank: InMemoryBank) -> None:
    with pytest.raises(NotFoundError):
        memory_bank.service.registration("R-404")
    with pytest.raises(NotFoundError):
        memory_bank.service.verify_phone("R-404", PHONE, "000000", idempotency_key="v")


def test_the_idempotency_record_of_the_credentials_step_is_keyed_by_the_service_secret() -> None:
    fingerprints = []
    for _ in range(2):  # two services, each with its own random fingerprint key
        bank = in_memory()
        registration = start(bank)
        verify(bank, registration)
        bank.service.set_credentials(
            registration, "135790", "First pet?", "Rex", idempotency_key="pw"
        )
        fingerprints.append(bank.store.idempotency["pw"].fingerprint)

    # Without the key, trying every six-digit password cannot reproduce the stored fingerprint.
    assert fingerprints[0] != fingerprints[1]
    assert "135790" not in fingerprints[0]


def test_a_replay_of_the_credentials_step_with_another_password_is_a_conflict(
    memory_bank: InMemoryBank,
) -> None:
    registration = start(memory_bank)
    verify(memory_bank, registration)
    service = memory_bank.service
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="pw")

    replay = service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="pw")
    with pytest.raises(IdempotencyConflict):
        service.set_credentials(registration, "246801", "Pet?", "Rex", idempotency_key="pw")

    stored = service.registration(registration).password_hash
    assert replay is Step.LIMITS
    assert stored is not None
    assert Argon2Hasher.fast_for_tests().verify("135790", stored)


def test_one_person_holds_one_wallet_by_phone_and_by_resident_id() -> None:
    bank = in_memory()
    service = bank.service

    def register(phone: str, resident: str, key: str) -> str:
        number = PhoneNumber.parse(phone)
        registration = service.start_registration(number, idempotency_key=f"{key}-1")
        code = bank.phone_verifier.last_code_for(number)
        assert code is not None
        service.verify_phone(registration, number, code, idempotency_key=f"{key}-2")
        service.provide_identity(
            registration, "张三", ResidentId.parse(resident), idempotency_key=f"{key}-3"
        )
        service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=f"{key}-4")
        return registration

    first = register("13800138000", "34052419800101001X", "a")
    service.submit_registration(first, idempotency_key="a-5")
    same_id = register("13900139000", "34052419800101001X", "b")
    with pytest.raises(AlreadyRegisteredError, match="resident ID already holds a wallet"):
        service.submit_registration(same_id, idempotency_key="b-5")
    bank.clock.advance(timedelta(minutes=1))  # one code a minute per phone
    same_phone = register("13800138000", "11010519491231002X", "c")
    with pytest.raises(AlreadyRegisteredError, match="phone number already holds a wallet"):
        service.submit_registration(same_phone, idempotency_key="c-5")
    assert len(bank.store.wallets.rows) == 1
    assert all("13800138000" not in key for key in bank.store.owners)  # hashed, not clear


def test_an_idempotency_key_recorded_meanwhile_by_another_unit_of_work_is_a_conflict() -> None:
    store = in_memory().store
    now = datetime(2026, 1, 1, tzinfo=UTC)
    one, two = store.unit_of_work(), store.unit_of_work()
    for uow, result in ((one, "A"), (two, "B")):
        uow.idempotency.put(IdempotencyRecord("k", "f", result, now, now + timedelta(days=1)))
    one.commit()
    with pytest.raises(ConcurrencyError, match="recorded by another command"):
        two.commit()
    assert store.idempotency["k"].result == "A"
