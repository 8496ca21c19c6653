"""Phone numbers, resident IDs, bank cards and credit codes: validation, normalisation, masking."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date, datetime

import attrs
import pytest

from icbc_wallet import (
    BankCard,
    DatetimeTypeError,
    IdentityTypeError,
    InvalidBankCardError,
    InvalidCreditCodeError,
    InvalidIdentityError,
    InvalidPhoneNumberError,
    InvalidResidentIdError,
    MerchantCreditCode,
    PhoneNumber,
    ResidentId,
    WalletError,
)
from icbc_wallet.domain.ids import WalletId, parse_id
from icbc_wallet.errors import InvalidIdError

VALID_ID = "34052419800101001X"
UNIONPAY_CARD = "6225768888888888"
VALID_CODE = "91110000600037341L"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_character(body: str) -> str:
    """Complete 17 characters into a resident ID whose check character matches."""
    total = sum(int(char) * weight for char, weight in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


# -- the published vectors ---------------------------------------------------------------------


def test_the_published_resident_id_is_valid_and_its_neighbour_is_not() -> None:
    assert ResidentId.parse(VALID_ID).reveal() == VALID_ID
    with pytest.raises(InvalidResidentIdError, match="check character"):
        ResidentId.parse("340524198001010013")


def test_the_published_card_passes_luhn_and_its_neighbour_fails() -> None:
    assert BankCard.parse(UNIONPAY_CARD).reveal() == UNIONPAY_CARD
    with pytest.raises(InvalidBankCardError, match="Luhn"):
        BankCard.parse("6222020200112345678")


def test_the_published_credit_code_is_valid() -> None:
    code = MerchantCreditCode.parse(VALID_CODE)
    assert code.reveal() == VALID_CODE
    assert code.checksum_valid
    assert not code.allow_bad_checksum


# -- every kind of bad input -------------------------------------------------------------------

BAD_INPUT: list[tuple[str, Callable[[], object], type[Exception], type[Exception]]] = [
    ("phone as int", lambda: PhoneNumber.parse(13800138000), IdentityTypeError, TypeError),  # type: ignore[arg-type]
    ("phone as None", lambda: PhoneNumber.parse(None), IdentityTypeError, TypeError),  # type: ignore[arg-type]
    ("phone as bytes", lambda: PhoneNumber(b"13800138000"), IdentityTypeError, TypeError),  # type: ignore[arg-type]
    (
        "phone too short",
        lambda: PhoneNumber.parse("1380013800"),
        InvalidPhoneNumberError,
        ValueError,
    ),
    (
        "phone too long",
        lambda: PhoneNumber.parse("138001380000"),
        InvalidPhoneNumberError,
        ValueError,
    ),
    ("phone 12x", lambda: PhoneNumber.parse("12800138000"), InvalidPhoneNumberError, ValueError),
    ("landline", lambda: PhoneNumber.parse("01012345678"), InvalidPhoneNumberError, ValueError),
    ("IoT number", lambda: PhoneNumber.parse("1440012345678"), InvalidPhoneNumberError, ValueError),
    (
        "phone spaces",
        lambda: PhoneNumber.parse("138 0013 8000"),
        InvalidPhoneNumberError,
        ValueError,
    ),
    (
        "phone dashes",
        lambda: PhoneNumber.parse("138-0013-8000"),
        InvalidPhoneNumberError,
        ValueError,
    ),
    (
        "full-width phone",
        lambda: PhoneNumber.parse("１３８００１３８０００"),
        InvalidPhoneNumberError,
        ValueError,
    ),
    (
        "86 without plus",
        lambda: PhoneNumber.parse("8613800138000"),
        InvalidPhoneNumberError,
        ValueError,
    ),
    (
        "prefix twice",
        lambda: PhoneNumber.parse("+86+8613800138000"),
        InvalidPhoneNumberError,
        ValueError,
    ),
    ("prefix only", lambda: PhoneNumber.parse("+86"), InvalidPhoneNumberError, ValueError),
    (
        "prefix inside",
        lambda: PhoneNumber.parse("138+8600138000"),
        InvalidPhoneNumberError,
        ValueError,
    ),
    ("empty phone", lambda: PhoneNumber.parse(""), InvalidPhoneNumberError, ValueError),
    ("ID as int", lambda: ResidentId.parse(340524198001010010), IdentityTypeError, TypeError),  # type: ignore[arg-type]
    (
        "15-digit ID",
        lambda: ResidentId.parse("340524800101001"),
        InvalidResidentIdError,
        ValueError,
    ),
    ("ID too long", lambda: ResidentId.parse(VALID_ID + "0"), InvalidResidentIdError, ValueError),
    (
        "X inside ID",
        lambda: ResidentId.parse("3405241980010100X1"),
        InvalidResidentIdError,
        ValueError,
    ),
    (
        "ID wrong check",
        lambda: ResidentId.parse("340524198001010013"),
        InvalidResidentIdError,
        ValueError,
    ),
    (
        "ID ends with Y",
        lambda: ResidentId.parse("34052419800101001Y"),
        InvalidResidentIdError,
        ValueError,
    ),
    (
        "full-width ID",
        lambda: ResidentId.parse("３４０５２４１９８００１０１００１Ｘ"),
        InvalidResidentIdError,
        ValueError,
    ),
    (
        "today as str",
        lambda: ResidentId.parse(VALID_ID, today="2026-01-01"),  # type: ignore[arg-type]
        DatetimeTypeError,
        TypeError,
    ),
    (
        "today as datetime",
        lambda: ResidentId.parse(VALID_ID, today=datetime(2026, 1, 1)),
        DatetimeTypeError,
        TypeError,
    ),
    ("card as int", lambda: BankCard.parse(6225768888888888), IdentityTypeError, TypeError),  # type: ignore[arg-type]
    ("card 15 digits", lambda: BankCard.parse("622576888888888"), InvalidBankCardError, ValueError),
    (
        "card 20 digits",
        lambda: BankCard.parse("62257688888888888884"),
        InvalidBankCardError,
        ValueError,
    ),
    (
        "card grouped",
        lambda: BankCard.parse("6225 7688 8888 8888"),
        InvalidBankCardError,
        ValueError,
    ),
    ("card letters", lambda: BankCard.parse("622576888888888A"), InvalidBankCardError, ValueError),
    ("card Luhn", lambda: BankCard.parse("6225768888888889"), InvalidBankCardError, ValueError),
    ("code as int", lambda: MerchantCreditCode.parse(9), IdentityTypeError, TypeError),  # type: ignore[arg-type]
    (
        "code 17 chars",
        lambda: MerchantCreditCode.parse(VALID_CODE[:17]),
        InvalidCreditCodeError,
        ValueError,
    ),
    (
        "code with I",
        lambda: MerchantCreditCode.parse("9111000060003734IL"),
        InvalidCreditCodeError,
        ValueError,
    ),
    (
        "code with space",
        lambda: MerchantCreditCode.parse("91110000 600037341"),
        InvalidCreditCodeError,
        ValueError,
    ),
    (
        "code wrong check",
        lambda: MerchantCreditCode.parse("91110000600037341A"),
        InvalidCreditCodeError,
        ValueError,
    ),
    (
        "non-ASCII code",
        lambda: MerchantCreditCode.parse("９1110000600037341L"),
        InvalidCreditCodeError,
        ValueError,
    ),
    (
        "override not bool",
        lambda: MerchantCreditCode.parse(VALID_CODE, allow_bad_checksum="yes"),  # type: ignore[arg-type]
        IdentityTypeError,
        TypeError,
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "builtin"),
    [pytest.param(make, error, builtin, id=name) for name, make, error, builtin in BAD_INPUT],
)
def test_bad_input_gets_its_documented_error(
    make: Callable[[], object], error: type[Exception], builtin: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        make()
    assert isinstance(raised.value, WalletError)
    assert isinstance(raised.value, builtin)
    assert str(raised.value)


def test_every_value_error_is_an_invalid_identity_error() -> None:
    for error in (
        InvalidPhoneNumberError,
        InvalidResidentIdError,
        InvalidBankCardError,
        InvalidCreditCodeError,
    ):
        assert issubclass(error, InvalidIdentityError)
        assert issubclass(error, ValueError)


def test_an_iot_number_is_refused_as_not_personal() -> None:
    with pytest.raises(InvalidPhoneNumberError, match="IoT"):
        PhoneNumber.parse("1440012345678")


def test_the_constructor_validates_like_parse() -> None:
    assert PhoneNumber("13800138000") == PhoneNumber.parse("13800138000")
    with pytest.raises(InvalidPhoneNumberError):
        PhoneNumber("+8613800138000")  # the constructor takes only the bare digits
    with pytest.raises(InvalidBankCardError):
        attrs.evolve(BankCard.parse(UNIONPAY_CARD), digits="6225768888888889")


# -- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["13800138000", "+8613800138000", "008613800138000"])
def test_a_phone_prefix_is_accepted_and_dropped(text: str) -> None:
    phone = PhoneNumber.parse(text)
    assert phone.reveal() == "13800138000"
    assert phone == PhoneNumber.parse("13800138000")
    assert hash(phone) == hash(PhoneNumber.parse("13800138000"))
    assert phone.last_six == "138000"


def test_a_lower_case_x_check_character_is_upper_cased() -> None:
    lower = ResidentId.parse("34052419800101001x")
    assert lower.reveal() == VALID_ID
    assert lower == ResidentId.parse(VALID_ID)
    assert len({lower, ResidentId.parse(VALID_ID)}) == 1


def test_a_lower_case_x_anywhere_else_is_still_refused() -> None:
    with pytest.raises(InvalidResidentIdError):
        ResidentId.parse("3405241980010100x1")


def test_a_lower_case_credit_code_is_upper_cased() -> None:
    assert MerchantCreditCode.parse(VALID_CODE.lower()) == MerchantCreditCode.parse(VALID_CODE)


def test_a_value_is_never_equal_to_its_text() -> None:
    phone_text: object = "13800138000"
    code_text: object = VALID_CODE
    assert PhoneNumber.parse("13800138000") != phone_text
    assert MerchantCreditCode.parse(VALID_CODE) != code_text


# -- resident ID dates --------------------------------------------------------------------------


def test_the_birth_date_and_last_six_are_read_from_the_number() -> None:
    resident = ResidentId.parse(VALID_ID)
    assert resident.birth_date == date(1980, 1, 1)
    assert resident.last_six == "01001X"


@pytest.mark.parametrize("birth", ["19800230", "19810229", "19801301", "19800001", "00000101"])
def test_an_impossible_birth_date_is_refused_even_with_a_matching_check(birth: str) -> None:
    with pytest.raises(InvalidResidentIdError, match="not a real date"):
        ResidentId.parse(with_check_character(f"340524{birth}001"))


def test_a_leap_day_in_a_leap_year_is_a_real_birth_date() -> None:
    assert ResidentId.parse(with_check_character("34052419800229001")).birth_date == date(
        1980, 2, 29
    )


def test_a_birth_date_before_1800_is_refused() -> None:
    with pytest.raises(InvalidResidentIdError, match="before 1800"):
        ResidentId.parse(with_check_character("34052417991231001"))
    assert ResidentId.parse(with_check_character("34052418000101001")).birth_date.year == 1800


def test_a_future_birth_date_is_refused_only_when_today_is_given() -> None:
    future = with_check_character("34052420991231001")
    assert ResidentId.parse(future).birth_date == date(2099, 12, 31)  # no clock is read
    with pytest.raises(InvalidResidentIdError, match="after today"):
        ResidentId.parse(future, today=date(2026, 1, 1))


def test_a_person_born_today_is_accepted() -> None:
    born_today = with_check_character("34052420260101001")
    assert ResidentId.parse(born_today, today=date(2026, 1, 1)).birth_date == date(2026, 1, 1)
    with pytest.raises(InvalidResidentIdError):
        ResidentId.parse(born_today, today=date(2025, 12, 31))


# -- cards and credit codes ---------------------------------------------------------------------


def test_unionpay_is_recognised_by_its_iin() -> None:
    assert BankCard.parse(UNIONPAY_CARD).is_unionpay
    assert not BankCard.parse("4111111111111111").is_unionpay
    assert BankCard.parse("4111111111111111").last_four == "1111"


def test_cards_of_every_allowed_length_are_accepted() -> None:
    for card in (
        "4111111111111111",
        "41111111111111113",
        "411111111111111118",
        "6222020200112345679",
    ):
        assert BankCard.parse(card).reveal() == card


def test_a_card_has_no_place_for_a_cvv_or_expiry() -> None:
    names = {field.name for field in attrs.fields(BankCard)}
    assert names == {"_digits"}
    with pytest.raises(TypeError):
        BankCard(UNIONPAY_CARD, cvv="123")  # type: ignore[call-arg]


def test_a_bad_checksum_code_is_accepted_only_with_the_override_and_says_so() -> None:
    pilot = "91110000600037341A"
    with pytest.raises(InvalidCreditCodeError, match="allow_bad_checksum"):
        MerchantCreditCode.parse(pilot)
    code = MerchantCreditCode.parse(pilot, allow_bad_checksum=True)
    assert code.allow_bad_checksum
    assert not code.checksum_valid
    assert repr(code) == "MerchantCreditCode('91110000600037341A', allow_bad_checksum=True)"


def test_the_override_does_not_let_a_malformed_code_through() -> None:
    with pytest.raises(InvalidCreditCodeError):
        MerchantCreditCode.parse("9111000060003734IL", allow_bad_checksum=True)


def test_the_override_flag_is_not_part_of_equality() -> None:
    plain = MerchantCreditCode.parse(VALID_CODE)
    overridden = MerchantCreditCode.parse(VALID_CODE, allow_bad_checksum=True)
    assert plain == overridden
    assert hash(plain) == hash(overridden)
    assert overridden.checksum_valid


def test_a_credit_code_is_shown_in_full() -> None:
    code = MerchantCreditCode.parse(VALID_CODE)
    assert str(code) == f"{code}" == VALID_CODE
    assert repr(code) == "MerchantCreditCode('91110000600037341L')"
    assert f"{code:>20}" == "  " + VALID_CODE


# -- masking ------------------------------------------------------------------------------------


def test_a_phone_shows_its_first_three_and_last_four_digits() -> None:
    phone = PhoneNumber.parse("+8613800138000")
    assert str(phone) == f"{phone}" == "138****8000"
    assert repr(phone) == "<PhoneNumber 138****8000>"
    assert f"{phone:>12}|{phone!r}" == " 138****8000|<PhoneNumber 138****8000>"
    assert "13800138000" not in repr([phone]) + str({"phone": phone})


def test_a_resident_id_shows_its_first_three_and_last_two_characters() -> None:
    resident = ResidentId.parse(VALID_ID)
    assert str(resident) == f"{resident}" == "340*************1X"
    assert repr(resident) == "<ResidentId 340*************1X>"
    assert "1980" not in repr(resident) + str(resident) + f"{resident:^30}"


def test_a_card_shows_only_its_last_four_digits_whatever_its_length() -> None:
    short, long = BankCard.parse(UNIONPAY_CARD), BankCard.parse("6222020200112345679")
    assert str(short) == f"{short}" == "**** **** **** 8888"
    assert str(long) == "**** **** **** 5679"
    assert repr(short) == "<BankCard **** **** **** 8888>"
    assert "62" not in str(short)


def test_error_messages_never_repeat_the_input() -> None:
    attempts: list[tuple[Callable[[str], object], str]] = [
        (PhoneNumber.parse, "138001380001"),
        (PhoneNumber.parse, "1440012345678"),
        (ResidentId.parse, "340524198001010013"),
        (ResidentId.parse, with_check_character("34052419800230001")),
        (ResidentId.parse, "34052419800101001"),
        (BankCard.parse, "6222020200112345678"),
        (BankCard.parse, "6225 7688 8888 8888"),
    ]
    for parse, text in attempts:
        with pytest.raises(InvalidIdentityError) as raised:
            parse(text)
        message = str(raised.value)
        assert text not in message
        assert text[:6] not in message
        assert text[-5:] not in message


def test_an_error_on_a_future_birth_date_does_not_show_the_birth_date() -> None:
    with pytest.raises(InvalidResidentIdError) as raised:
        ResidentId.parse(with_check_character("34052420991231001"), today=date(2026, 1, 1))
    assert "2099" not in str(raised.value)


def test_pickling_keeps_the_full_value_as_documented() -> None:
    card = BankCard.parse(UNIONPAY_CARD)
    assert pickle.loads(pickle.dumps(card)) == card
    assert attrs.asdict(card) == {"_digits": UNIONPAY_CARD}


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("340524198001010016 ", "got one with a space"),
        ("6225768888888888\t", "got one with a non-printable"),
        ("W" * 129, "got 129 characters"),
        ("", "got an empty string"),
        (6225768888888888, "got a int"),
    ],
)
def test_a_refused_id_is_described_never_echoed(value: object, described: str) -> None:
    with pytest.raises(InvalidIdError, match=described) as refused:
        parse_id(value, WalletId)
    assert "6225768888888888" not in str(refused.value)
    assert "340524198001010016" not in str(refused.value)
