"""Registration steps, their order, their input checks, and what the repr may show."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.domain.limits import Limit
from icbc_wallet.domain.registration import (
    Evidence,
    Registration,
    RegistrationStep,
    normalise_answer,
    validate_payment_password,
)
from icbc_wallet.errors import (
    IdentityTypeError,
    InvalidDatetimeError,
    InvalidHashError,
    InvalidHolderNameError,
    InvalidIdentityError,
    InvalidIdError,
    InvalidLimitScheduleError,
    InvalidTextError,
    NaiveDatetimeError,
    RegistrationStateError,
    SecretTypeError,
    TextTypeError,
    WalletError,
    WeakPasswordError,
)
from icbc_wallet.testing.strategies import (
    bank_cards,
    payment_passwords,
    phone_numbers,
    resident_ids,
)

STARTED = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
LATER = STARTED + timedelta(minutes=10)
PHONE = PhoneNumber.parse("13800138000")
RESIDENT = ResidentId.parse("34052419800101001X")
CARD = BankCard.parse("6225768888888888")
PASSWORD_HASH = "scrypt$1024$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g"
ANSWER_HASH = "scrypt$1024$8$1$c2FsdHNhbHRzYWx0$YW5zd2VyYW5zd2VyYW5zd2VyYW5z"
QUESTION = "Where did you go to primary school?"
LIMIT = Limit.of(per_transaction="300", daily="800")

Step = Callable[[Registration], Registration]
STEPS: dict[RegistrationStep, Step] = {
    RegistrationStep.PHONE: lambda r: r.verify_phone(PHONE),
    RegistrationStep.IDENTITY: lambda r: r.identify("张三", RESIDENT),
    RegistrationStep.CREDENTIALS: lambda r: r.set_credentials(PASSWORD_HASH, QUESTION, ANSWER_HASH),
    RegistrationStep.CARD: lambda r: r.bind_card(CARD),
    RegistrationStep.LIMITS: lambda r: r.choose_limit(LIMIT),
    RegistrationStep.SUBMITTED: lambda r: r.submit(LATER),
}


def started() -> Registration:
    return Registration.start("R-0001", STARTED)


def through(*steps: RegistrationStep) -> Registration:
    registration = started()
    for step in steps:
        registration = STEPS[step](registration)
    return registration


P, I, C, K, L, S = RegistrationStep  # noqa: E741 - one letter per step keeps the tables readable


# -- the article's flow -------------------------------------------------------------------------


def test_a_new_registration_expects_the_phone_first_and_proves_nothing() -> None:
    registration = started()
    assert registration.next_step is RegistrationStep.PHONE
    assert registration.completed_steps == frozenset()
    assert registration.evidence == frozenset()
    assert not registration.is_submitted


def test_the_full_flow_walks_the_steps_in_the_article_order() -> None:
    registration = started()
    seen = []
    while registration.next_step is not None:
        step = registration.next_step
        seen.append(step)
        registration = STEPS[step](registration)
    assert seen == list(RegistrationStep)
    assert registration.is_submitted
    assert registration.submitted_at == LATER
    assert registration.evidence == {Evidence.PHONE, Evidence.IDENTITY, Evidence.BANK_CARD}


def test_an_anonymous_wallet_needs_only_the_phone_and_credentials() -> None:
    registration = through(P, C)
    assert registration.next_step is RegistrationStep.LIMITS  # no card without an identity
    submitted = registration.submit(LATER)
    assert submitted.evidence == {Evidence.PHONE}
    assert submitted.next_step is None


def test_each_transition_returns_a_new_registration_and_leaves_the_old_one_alone() -> None:
    before = through(P)
    after = before.identify("张三", RESIDENT)
    assert before.resident_id is None
    assert after.resident_id == RESIDENT
    assert after.holder_name == "张三"


def test_identity_card_and_limits_are_the_optional_steps() -> None:
    assert {step for step in RegistrationStep if step.optional} == {I, K, L}


def test_a_step_can_be_repeated_to_correct_it_until_a_later_step_is_taken() -> None:
    other = PhoneNumber.parse("13900139000")
    assert through(P).verify_phone(other).phone == other
    changed = through(P, I, C).set_credentials("other-hash", "Pet's name?", "other-answer")
    assert changed.password_hash == "other-hash"
    assert changed.security_question == "Pet's name?"
    assert through(P, C, L).choose_limit(Limit.of(daily="1")).chosen_limit == Limit.of(daily="1")


# -- order ---------------------------------------------------------------------------------------

OUT_OF_ORDER = [
    # (steps already taken, step attempted, words the message must contain)
    ((), I, ["needs step 'phone'", "expected step is 'phone'"]),
    ((), C, ["needs step 'phone'", "expected step is 'phone'"]),
    ((), S, ["needs step 'phone'"]),
    ((P,), K, ["needs step 'identity'", "expected step is 'identity'"]),
    ((P, I), K, ["needs step 'credentials'", "expected step is 'credentials'"]),
    ((P, C), K, ["needs step 'identity'", "skipped", "expected step is 'limits'"]),
    ((P,), S, ["needs step 'credentials'", "expected step is 'identity'"]),
    ((P, I), S, ["needs step 'credentials'", "expected step is 'credentials'"]),
    ((P, C), I, ["'identity' must come before 'credentials'", "expected step is 'limits'"]),
    ((P, I), P, ["'phone' must come before 'identity'"]),
    ((P, I, C, K), C, ["'credentials' must come before 'card'", "expected step is 'limits'"]),
    ((P, C, L), P, ["'phone' must come before 'limits'", "expected step is 'submitted'"]),
]


@pytest.mark.parametrize(("done", "attempt", "words"), OUT_OF_ORDER)
def test_a_step_out_of_order_is_refused_naming_the_expected_step(
    done: tuple[RegistrationStep, ...], attempt: RegistrationStep, words: list[str]
) -> None:
    registration = through(*done)
    with pytest.raises(RegistrationStateError) as caught:
        STEPS[attempt](registration)
    for word in words:
        assert word in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, WalletError)


@pytest.mark.parametrize("attempt", list(RegistrationStep))
def test_nothing_changes_after_submit(attempt: RegistrationStep) -> None:
    submitted = through(P, I, C, K, L, S)
    with pytest.raises(RegistrationStateError, match="nothing changes after submit"):
        STEPS[attempt](submitted)


# -- bad input at each step ----------------------------------------------------------------------


def test_the_holder_name_is_trimmed_and_its_spaces_collapsed() -> None:
    assert through(P).identify("  Wang   Xiaoming\n", RESIDENT).holder_name == "Wang Xiaoming"
    assert through(P).identify("王一", RESIDENT).holder_name == "王一"  # 一 is a letter here
    assert through(P).identify("阿卜杜·热合曼", RESIDENT).holder_name == "阿卜杜·热合曼"
    assert through(P).identify("名" * 50, RESIDENT).holder_name == "名" * 50


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "1 to 50"),
        ("   ", "1 to 50"),
        ("名" * 51, "1 to 50"),
        ("张3", "digits"),
        ("张３", "digits"),  # a full-width digit is a digit too
        ("张\n三", "control"),
        ("Wang\tXiaoming", "control"),
        ("张\u200d三", "control or format"),
    ],
)
def test_a_bad_holder_name_is_refused_without_repeating_it(name: str, words: str) -> None:
    with pytest.raises(InvalidHolderNameError, match=words) as caught:
        through(P).identify(name, RESIDENT)
    assert isinstance(caught.value, InvalidIdentityError)
    if name.strip():
        assert name.strip() not in str(caught.value)


def test_a_holder_name_that_is_not_text_is_a_type_error() -> None:
    with pytest.raises(TextTypeError):
        through(P).identify(42, RESIDENT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda r: r.verify_phone("13800138000"), IdentityTypeError),
        (lambda r: r.verify_phone(PHONE).identify("张三", "34052419800101001X"), IdentityTypeError),
        (lambda r: through(P, I, C).bind_card("6225768888888888"), IdentityTypeError),  # type: ignore[arg-type]
        (lambda r: through(P, C).choose_limit({"daily": 500}), InvalidLimitScheduleError),  # type: ignore[arg-type]
        (lambda r: through(P, C).submit(datetime(2026, 5, 1, 10)), NaiveDatetimeError),
    ],
)
def test_a_step_given_the_wrong_kind_of_value_is_refused(
    call: Callable[[Registration], object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(started())


def test_a_registration_cannot_be_submitted_before_it_started() -> None:
    with pytest.raises(InvalidDatetimeError, match="before it started"):
        through(P, C).submit(STARTED - timedelta(seconds=1))


def test_the_security_question_is_trimmed_and_limited_to_100_characters() -> None:
    registration = through(P).set_credentials(PASSWORD_HASH, "  Pet's  name? ", ANSWER_HASH)
    assert registration.security_question == "Pet's name?"
    assert through(P).set_credentials(PASSWORD_HASH, "q" * 100, ANSWER_HASH).security_question
    for question in ("", "   ", "q" * 101, "pet\x00name"):
        with pytest.raises(InvalidTextError):
            through(P).set_credentials(PASSWORD_HASH, question, ANSWER_HASH)
    with pytest.raises(TextTypeError):
        through(P).set_credentials(PASSWORD_HASH, None, ANSWER_HASH)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("password_hash", "answer_hash", "error"),
    [
        ("", ANSWER_HASH, InvalidHashError),
        (PASSWORD_HASH, "", InvalidHashError),
        ("135790", ANSWER_HASH, InvalidHashError),  # a clear password where a hash belongs
        (b"hash", ANSWER_HASH, SecretTypeError),
    ],
)
def test_credentials_must_be_hashes(
    password_hash: object, answer_hash: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        through(P).set_credentials(password_hash, QUESTION, answer_hash)  # type: ignore[arg-type]


def test_start_checks_the_identifier_and_the_instant() -> None:
    with pytest.raises(InvalidIdError):
        Registration.start("R 1", STARTED)
    with pytest.raises(NaiveDatetimeError):
        Registration.start("R-1", datetime(2026, 5, 1))


# -- loading a stored registration -------------------------------------------------------------


def test_a_stored_registration_rebuilt_from_its_fields_equals_the_original() -> None:
    original = through(P, I, C, K, L, S)
    assert Registration(**attrs.asdict(original, recurse=False)) == original


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"card": CARD, "phone": PHONE}, RegistrationStateError),
        ({"phone": PHONE, "holder_name": "张三"}, RegistrationStateError),
        ({"phone": PHONE, "password_hash": PASSWORD_HASH}, RegistrationStateError),
        ({"resident_id": RESIDENT, "holder_name": "张三"}, RegistrationStateError),
        ({"phone": PHONE, "submitted_at": LATER}, RegistrationStateError),
        ({"phone": PHONE, "holder_name": " 张三", "resident_id": RESIDENT}, InvalidHolderNameError),
        ({"security_question": " Q", "password_hash": "h", "answer_hash": "a"}, InvalidTextError),
        ({"phone": "13800138000"}, IdentityTypeError),
        ({"submitted_at": datetime(2026, 5, 2)}, NaiveDatetimeError),
    ],
)
def test_fields_that_no_sequence_of_steps_could_reach_are_refused(
    fields: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        Registration(registration_id="R-1", started_at=STARTED, **fields)  # type: ignore[arg-type]


# -- privacy -------------------------------------------------------------------------------------


def test_the_repr_leaves_out_the_hashes_and_masks_the_name() -> None:
    text = repr(through(P, I, C, K))
    assert PASSWORD_HASH not in text
    assert ANSWER_HASH not in text
    assert "张三" not in text
    assert "holder_name='*三'" in text
    assert "138****8000" in text


HASHES = st.binary(min_size=16, max_size=32).map(
    lambda raw: "scrypt$1024$8$1$" + base64.b64encode(raw).decode()
)


@given(
    phone=phone_numbers(),
    resident=resident_ids(),
    card=bank_cards(),
    password_hash=HASHES,
    answer_hash=HASHES,
)
def test_a_registration_repr_never_shows_numbers_or_hashes_in_clear(
    phone: PhoneNumber,
    resident: ResidentId,
    card: BankCard,
    password_hash: str,
    answer_hash: str,
) -> None:
    registration = (
        started()
        .verify_phone(phone)
        .identify("张三", resident)
        .set_credentials(password_hash, QUESTION, answer_hash)
        .bind_card(card)
        .submit(LATER)
    )
    text = repr(registration)
    for secret in (phone.reveal(), resident.reveal(), card.reveal(), password_hash, answer_hash):
        assert secret not in text
    assert re.search(r"[0-9]{5,}", text) is None  # no run long enough to rebuild a number


# -- payment password and security answer --------------------------------------------------------


WEAK_PASSWORD_MESSAGE = (
    "payment password must be exactly six ASCII digits, with no spaces or other characters"
)


def test_six_ascii_digits_make_a_valid_payment_password() -> None:
    assert validate_payment_password("135790") == "135790"


@pytest.mark.parametrize(
    "password",
    ["", "13579", "1357902", "13579a", "135 790", " 135790", "135790\n", "１３５７９０", "٣٣٣٣٣٣"],
)
def test_anything_but_six_ascii_digits_is_refused(password: str) -> None:
    with pytest.raises(WeakPasswordError, match="six ASCII digits") as caught:
        validate_payment_password(password)
    assert isinstance(caught.value, ValueError)


def test_a_password_that_is_not_text_is_a_type_error() -> None:
    with pytest.raises(SecretTypeError):
        validate_payment_password(135790)  # type: ignore[arg-type]


@given(st.text())
def test_a_password_is_accepted_exactly_when_it_is_six_ascii_digits(password: str) -> None:
    if re.fullmatch(r"[0-9]{6}", password):
        assert validate_payment_password(password) == password
    else:
        with pytest.raises(WeakPasswordError) as caught:
            validate_payment_password(password)
        # the same words whatever was typed: the message cannot carry any of it
        assert str(caught.value) == WEAK_PASSWORD_MESSAGE


@pytest.mark.parametrize(
    ("answer", "normalised"),
    [
        ("Beijing Zoo", "beijing zoo"),
        ("  BEIJING\t\n  ZOO  ", "beijing zoo"),
        ("Ｂｅｉｊｉｎｇ", "beijing"),
        ("Straße", "strasse"),
        ("北京 动物园", "北京 动物园"),
    ],
)
def test_answers_differing_in_case_width_or_spacing_normalise_alike(
    answer: str, normalised: str
) -> None:
    assert normalise_answer(answer) == normalised


def test_an_empty_answer_is_refused() -> None:
    for answer in ("", "   ", "\u3000"):
        with pytest.raises(InvalidTextError, match="empty"):
            normalise_answer(answer)
    with pytest.raises(SecretTypeError):
        normalise_answer(None)  # type: ignore[arg-type]


@given(st.text().filter(str.strip))
def test_normalising_an_answer_twice_changes_nothing(answer: str) -> None:
    try:
        once = normalise_answer(answer)
    except InvalidTextError:
        return  # only whitespace-like characters: nothing to compare
    assert normalise_answer(once) == once


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1).filter(str.strip))
def test_case_and_surrounding_spaces_never_change_a_normalised_answer(answer: str) -> None:
    assert normalise_answer(f"  {answer.upper()}\t") == normalise_answer(answer)


HOLDER_ID = ResidentId.parse("34052419800101001X")  # born 1980-01-01; last six "01001X"
HOLDER_ID_DIGITS = ResidentId.parse("110105194912310011")  # born 1949-12-31; last six "310011"
HOLDER_PHONE = PhoneNumber.parse("13800138000")  # last six "138000"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345", "format"),
        ("000000", "all_same"),
        ("999999", "all_same"),
        ("012345", "sequence"),
        ("123456", "sequence"),
        ("456789", "sequence"),
        ("987654", "sequence"),
        ("654321", "sequence"),
        ("543210", "sequence"),
        ("491231", "birth_date"),  # YYMMDD
        ("123149", "birth_date"),  # MMDDYY
        ("311249", "birth_date"),  # DDMMYY
        ("310011", "id_last_six"),
        ("138000", "phone_last_six"),
    ],
)
def test_each_weak_password_is_refused_with_its_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPasswordError) as refused:
        validate_payment_password(password, phone=HOLDER_PHONE, resident_id=HOLDER_ID_DIGITS)
    assert refused.value.reason == reason
    assert password not in str(refused.value)


@pytest.mark.parametrize("password", ["800101", "010180", "135790", "123457", "112233", "890123"])
def test_near_misses_and_other_holders_numbers_are_accepted(password: str) -> None:
    assert validate_payment_password(password, phone=HOLDER_PHONE, resident_id=HOLDER_ID_DIGITS)


def test_a_birth_date_is_weak_only_for_its_own_holder() -> None:
    assert validate_payment_password("800101") == "800101"
    with pytest.raises(WeakPasswordError, match="birth date"):
        validate_payment_password("800101", resident_id=HOLDER_ID)


@given(payment_passwords(phone=HOLDER_PHONE, resident_id=HOLDER_ID_DIGITS))
def test_the_shipped_strategy_makes_only_passwords_the_rules_accept(password: str) -> None:
    assert validate_payment_password(password, phone=HOLDER_PHONE, resident_id=HOLDER_ID_DIGITS)
    assert len(set(password)) > 1
    assert password not in {"310011", "138000", "491231", "123149", "311249"}
