"""Fuzzing: every public parser and validator refuses bad input with its documented errors only.

Each function meets :data:`FUZZ_EXAMPLES` hypothesis examples (10,000 unless the environment
variable ``ICBC_WALLET_FUZZ_EXAMPLES`` says otherwise): arbitrary text, digit-heavy text near the
valid format (full-width and Arabic-Indic digits, spaces, signs), one-edit mutations of valid
values (a character changed, two swapped, one dropped or added, the end cut or extended, spaces
around, digits grouped, a digit from another script) and values of other types. A call either
returns a value that an oracle written here (not borrowed from the library) accepts too, or it
raises one of the exceptions its docstring lists (its class's docstring where the method has no
``Raises`` section). Anything else is a bug: an undocumented exception, a valid input refused, or
bad input silently accepted. The four it found (a rounding name checked only when used, an
overflowing period, stored documents decoded unchecked, bidirectional overrides in free text)
are fixed, and their examples kept.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, localcontext
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.codec import CodecError
from icbc_wallet.adapters.hashing import ScryptHasher, UpgradingHasher
from icbc_wallet.bootstrap import storage_codec
from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.categories import Category, parse_category
from icbc_wallet.domain.factors import (
    AuthAction,
    Factor,
    parse_action,
    parse_factor,
    parse_factors,
)
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import WalletId, parse_id
from icbc_wallet.domain.ledger import AccountId
from icbc_wallet.domain.limits import PaymentMethod, parse_payment_method
from icbc_wallet.domain.money import MAX_MINOR_UNITS, Money, currency_exponent, parse_rate
from icbc_wallet.domain.registration import (
    Evidence,
    Registration,
    normalise_answer,
    validate_payment_password,
    validate_stored_hash,
)
from icbc_wallet.domain.risk_rules import RiskRules
from icbc_wallet.domain.rounding import Rounding, parse_rounding
from icbc_wallet.domain.statements import Period
from icbc_wallet.domain.text import clean_text, time_limit
from icbc_wallet.domain.tiers import parse_evidence
from icbc_wallet.errors import (
    AmountTypeError,
    DatetimeTypeError,
    IdentityTypeError,
    InvalidAmountError,
    InvalidAuthenticationRulesError,
    InvalidAuthRequestError,
    InvalidBankCardError,
    InvalidCreditCodeError,
    InvalidHashError,
    InvalidHolderNameError,
    InvalidIdError,
    InvalidPeriodError,
    InvalidPhoneNumberError,
    InvalidRateError,
    InvalidResidentIdError,
    InvalidRiskRulesError,
    InvalidTextError,
    InvalidTierPolicyError,
    InvalidTimeLimitError,
    LedgerError,
    NaiveDatetimeError,
    SecretTypeError,
    TextTypeError,
    UnknownCategoryError,
    UnknownCurrencyError,
    UnknownFactorError,
    UnknownPaymentMethodError,
    UnsupportedLocaleError,
    WeakPasswordError,
)
from icbc_wallet.policies.authentication import AuthenticationRules
from icbc_wallet.presentation import format_money

FUZZ_EXAMPLES: Final = int(os.environ.get("ICBC_WALLET_FUZZ_EXAMPLES", "10000"))
"""Examples per function: 10,000 by default; `nox` sets 1,000 (`tests`) and 100 (the matrix),
`nox -s fuzz` 30,000."""

fuzz = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

T = TypeVar("T")

# -- inputs ------------------------------------------------------------------------------------

ARABIC_INDIC: Final = "".join(chr(0x0660 + d) for d in range(10))  # ٠١٢٣٤٥٦٧٨٩
FULL_WIDTH: Final = "".join(chr(0xFF10 + d) for d in range(10))  # ０１２３４５６７８９
LOOKALIKES: Final = (
    "0123456789"
    + "xX+-.,_ "
    + "\t\n\u3000\u00a0\u200b"
    + ARABIC_INDIC[:4]
    + FULL_WIDTH[:4]
    + "OIlSZa"
)
"""Characters a number is mistyped or disguised with: digits of other scripts, spaces, signs."""

FOREIGN: Final[st.SearchStrategy[object]] = st.integers() | st.sampled_from(
    [
        None,
        True,
        False,
        13800138000,
        1.5,
        float("nan"),
        float("inf"),
        Decimal("1.5"),
        Decimal("NaN"),
        b"13800138000",
        bytearray(b"1"),
        ["13800138000"],
        ("static_qr",),
        {"phone": "1"},
        frozenset({"phone"}),
        object(),
    ]
)
"""Values of the wrong type, which callers without a type checker pass anyway.

A fixed sample: the type checks do not look at the value, and hypothesis draws from a list
several times faster than it builds floats, decimals or collections.
"""


def digits(length: int) -> st.SearchStrategy[str]:
    """``length`` ASCII digits (faster than ``st.text`` or ``st.from_regex``)."""
    return st.integers(0, 10**length - 1).map(lambda n: f"{n:0{length}d}")


@st.composite
def edited(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    """One edit of a valid value: the typos, truncations and disguises people and tools make."""
    text = draw(valid)
    at = draw(st.integers(0, max(len(text) - 1, 0)))
    head, here, tail = text[:at], text[at : at + 1], text[at + 1 :]
    edit = draw(st.sampled_from(EDITS))
    if edit == "change":
        return head + draw(st.sampled_from(LOOKALIKES)) + tail
    if edit == "insert":
        return head + draw(st.sampled_from(LOOKALIKES)) + here + tail
    if edit == "script":  # one digit written in another script
        script = draw(st.sampled_from([ARABIC_INDIC, FULL_WIDTH]))
        return head + (script[int(here)] if here.isascii() and here.isdigit() else script[1]) + tail
    if edit == "extend":
        return text + draw(digits(draw(st.integers(1, 3))))
    return {
        "swap": head + tail[:1] + here + tail[1:],
        "drop": head + tail,
        "cut": head,
        "pad": f" {text}\u3000",
        "group": " ".join(text[i : i + 4] for i in range(0, len(text), 4)),
    }[edit]


EDITS: Final = ("change", "insert", "script", "extend", "swap", "drop", "cut", "pad", "group")


def inputs(valid: st.SearchStrategy[str], max_size: int = 24) -> st.SearchStrategy[object]:
    """Valid values, their one-edit mutations, near-format text, any text and foreign types."""
    return st.one_of(
        valid,
        edited(valid),
        st.text(LOOKALIKES, max_size=max_size),
        st.text(max_size=max_size),
        FOREIGN,
    )


def attempt(call: Callable[[], T], *documented: type[Exception]) -> T | None:
    """``call()``, or None when it raised one of the ``documented`` errors (others propagate)."""
    try:
        return call()
    except documented:
        return None


def settles(call: Callable[[], T], valid: bool, *documented: type[Exception]) -> T | None:
    """``call()`` returns when the oracle says ``valid`` and raises a documented error otherwise."""
    outcome: T | Exception
    try:
        outcome = call()
    except documented as error:
        outcome = error
    if isinstance(outcome, Exception):
        assert not valid, f"a valid input was refused: {outcome}"
        return None
    assert valid, f"an invalid input was accepted as {outcome!r}"
    return outcome


# -- independent oracles -----------------------------------------------------------------------

ASCII_DIGITS: Final = frozenset("0123456789")
ID_WEIGHTS: Final = tuple(2 ** (17 - index) % 11 for index in range(17))
CREDIT_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def digits_only(text: str, low: int, high: int) -> bool:
    return low <= len(text) <= high and set(text) <= ASCII_DIGITS


def luhn_ok(number: str) -> bool:
    total = 0
    for place, char in enumerate(reversed(number)):
        value = int(char) * (1 + place % 2)
        total += value // 10 + value % 10
    return total % 10 == 0


def mobile(text: str) -> str | None:
    """The bare 11 digits if ``text`` is a mainland mobile number, with an optional prefix."""
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    ok = digits_only(text, 11, 11) and text[0] == "1" and text[1] in "3456789"
    return text if ok else None


def resident(text: str, today: date | None) -> tuple[str, date] | None:
    """The normalised number and birth date if ``text`` is a valid resident ID."""
    if len(text) == 18 and text[17] == "x":
        text = text[:17] + "X"
    if len(text) != 18 or not set(text[:17]) <= ASCII_DIGITS:
        return None
    if (
        "10X98765432"[sum(int(c) * w for c, w in zip(text, ID_WEIGHTS, strict=False)) % 11]
        != text[17]
    ):
        return None
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None
    if born.year < 1800 or (today is not None and born > today):
        return None
    return text, born


def credit_check(body: str) -> str:
    total = sum(CREDIT_CHARSET.index(char) * 3**place for place, char in enumerate(body))
    return CREDIT_CHARSET[-total % 31]


# -- identity ----------------------------------------------------------------------------------


@st.composite
def phone_texts(draw: st.DrawFn) -> str:
    """Mobile numbers, with or without a prefix, and 1-numbers of other lengths (IoT has 13)."""
    prefix = draw(st.sampled_from(["", "", "+86", "0086", "86", "+"]))
    return prefix + "1" + draw(digits(draw(st.sampled_from([10, 10, 10, 9, 11, 12]))))


@st.composite
def id_texts(draw: st.DrawFn) -> str:
    """ID numbers with a right check character, born 1790 to 2040 (some before 1800, some later)."""
    born = date.fromordinal(draw(st.integers(date(1790, 1, 1).toordinal(), 743_710)))  # 2037
    body = f"{draw(digits(6))}{born:%Y%m%d}{draw(digits(3))}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
    return body + (check.lower() if draw(st.booleans()) else check)


@st.composite
def card_texts(draw: st.DrawFn) -> str:
    """Card numbers of 15 to 20 digits, most of them with a right Luhn check digit."""
    body = draw(st.sampled_from(["62", "4", "5", ""])) + draw(digits(draw(st.integers(13, 18))))
    if draw(st.booleans()):
        return body + draw(digits(1))
    total = sum(
        int(c) * (2 - place % 2) // 10 + int(c) * (2 - place % 2) % 10
        for place, c in enumerate(reversed(body))
    )
    return body + str(-total % 10)


@st.composite
def credit_texts(draw: st.DrawFn) -> str:
    """Credit codes with a right check character, some in lower case."""
    number = draw(st.integers(0, 31**17 - 1))
    body = "".join(CREDIT_CHARSET[number // 31**place % 31] for place in range(17))
    code = body + credit_check(body)
    return code.lower() if draw(st.booleans()) else code


PHONE_TEXTS: Final = phone_texts()
ID_TEXTS: Final = id_texts()
CARD_TEXTS: Final = card_texts()
CREDIT_TEXTS: Final = credit_texts()


@fuzz
@given(inputs(PHONE_TEXTS))
def test_phone_numbers_parse_exactly_the_mainland_mobile_numbers(text: object) -> None:
    if not isinstance(text, str):
        settles(lambda: PhoneNumber.parse(text), False, IdentityTypeError)  # type: ignore[arg-type]
        return
    bare = mobile(text)
    phone = settles(lambda: PhoneNumber.parse(text), bare is not None, InvalidPhoneNumberError)
    if phone is not None:
        assert phone.reveal() == bare
        assert str(phone) == f"{text[-11:-8]}****{text[-4:]}"
        assert PhoneNumber.parse(phone.reveal()) == phone


@fuzz
@given(
    inputs(ID_TEXTS),
    st.one_of(st.none(), st.dates(date(1700, 1, 1), date(2100, 1, 1)), st.datetimes(), FOREIGN),
)
def test_resident_ids_parse_exactly_the_valid_numbers(text: object, today: object) -> None:
    if not isinstance(text, str):
        settles(lambda: ResidentId.parse(text, today=today), False, IdentityTypeError)  # type: ignore[arg-type]
        return
    if today is not None and (isinstance(today, datetime) or not isinstance(today, date)):
        settles(lambda: ResidentId.parse(text, today=today), False, DatetimeTypeError)  # type: ignore[arg-type]
        return
    expected = resident(text, today)
    parsed = settles(
        lambda: ResidentId.parse(text, today=today),
        expected is not None,
        InvalidResidentIdError,
    )
    if parsed is not None:
        assert expected is not None
        number, born = expected
        assert (parsed.reveal(), parsed.birth_date) == (number, born)
        assert str(parsed) == number[:3] + "*" * 13 + number[-2:]
        assert ResidentId.parse(parsed.reveal()) == parsed


@fuzz
@given(inputs(CARD_TEXTS))
def test_bank_cards_parse_exactly_the_luhn_valid_numbers_of_16_to_19_digits(text: object) -> None:
    if not isinstance(text, str):
        settles(lambda: BankCard.parse(text), False, IdentityTypeError)  # type: ignore[arg-type]
        return
    valid = digits_only(text, 16, 19) and luhn_ok(text)
    card = settles(lambda: BankCard.parse(text), valid, InvalidBankCardError)
    if card is not None:
        assert card.reveal() == text
        assert str(card) == f"**** **** **** {text[-4:]}"
        assert card.is_unionpay == text.startswith("62")


@fuzz
@given(inputs(CREDIT_TEXTS), st.one_of(st.booleans(), FOREIGN))
def test_credit_codes_parse_exactly_the_valid_codes(text: object, override: object) -> None:
    def parse() -> MerchantCreditCode:
        return MerchantCreditCode.parse(text, allow_bad_checksum=override)  # type: ignore[arg-type]

    if not isinstance(text, str) or type(override) is not bool:
        settles(parse, False, IdentityTypeError)
        return
    code = text.upper() if text.isascii() else text
    shaped = len(code) == 18 and all(char in CREDIT_CHARSET for char in code)
    checked = shaped and credit_check(code[:17]) == code[17]
    parsed = settles(parse, checked or (shaped and override), InvalidCreditCodeError)
    if parsed is not None:
        assert parsed.reveal() == str(parsed) == code
        assert parsed.checksum_valid == checked
        assert MerchantCreditCode.parse(code, allow_bad_checksum=override) == parsed


# -- money -------------------------------------------------------------------------------------

DECIMALS: Final = st.one_of(
    st.tuples(st.integers(), st.integers(-45, 45)).map(lambda t: Decimal(t[0]).scaleb(t[1])),
    st.sampled_from([Decimal(s) for s in ("NaN", "sNaN", "-Infinity", "-0", "-0.00", "1E+41")]),
)
"""Decimals of every size and scale, and the special ones (faster than ``st.decimals()``)."""
NUMBER_TEXTS: Final = st.one_of(
    st.tuples(st.sampled_from(["", "-"]), st.integers(0, 10**18), digits(2) | st.just("")).map(
        lambda t: f"{t[0]}{t[1]}.{t[2]}".rstrip(".")
    ),
    DECIMALS.map(str),
    st.sampled_from(["NaN", "-inf", "Infinity", "sNaN", "1e3", "1E+2", "-0", "-0.00", "+1", ".5"]),
)
CURRENCIES: Final = st.one_of(
    st.sampled_from(["CNY", "JPY", "KWD", "USD", "XXX", "cny", "CNH", ""]),
    st.text(max_size=4),
    FOREIGN,
)
ROUNDINGS: Final = st.one_of(
    st.none(), st.sampled_from(list(Rounding)), st.sampled_from([r.value for r in Rounding])
)
ISO_EXPONENTS: Final = {"CNY": 2, "JPY": 0, "KWD": 3, "USD": 2}


def exact(value: object) -> Decimal | None:
    """The exact number ``value`` spells, if it is a plain amount (Decimal, int, plain str)."""
    if isinstance(value, bool | float):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() and not (value.is_zero() and value.is_signed()) else None
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value, re.ASCII):
        number = Decimal(value)
        return None if number.is_zero() and number.is_signed() else number
    return None


@fuzz
@given(inputs(NUMBER_TEXTS) | DECIMALS, CURRENCIES, ROUNDINGS)
def test_money_of_accepts_exact_amounts_only_and_keeps_them_to_the_minor_unit(
    amount: object, currency: object, rounding: Rounding | str | None
) -> None:
    money = attempt(
        lambda: Money.of(amount, currency, rounding=rounding),  # type: ignore[arg-type]
        AmountTypeError,
        InvalidAmountError,  # AmountPrecisionError and AmountOutOfRangeError are subclasses
        UnknownCurrencyError,
    )
    if money is None:
        return
    number = exact(amount)
    assert number is not None, f"{amount!r} is not an exact plain amount"
    assert money.currency == currency
    assert type(money.minor) is int
    assert abs(money.minor) <= MAX_MINOR_UNITS
    with localcontext(prec=200):
        scaled = number.scaleb(currency_exponent(money.currency))
        if rounding is None:
            assert scaled == money.minor, "an amount was rounded without being asked to"
        else:
            assert abs(scaled - money.minor) < 1
    if money.currency in ISO_EXPONENTS:
        assert currency_exponent(money.currency) == ISO_EXPONENTS[money.currency]
    assert Money.of(money.amount, money.currency) == money


@fuzz
@given(st.sampled_from(["1.23", "1.234"]), st.text(max_size=8) | FOREIGN)
@example("1.23", "bogus")
@example("1.234", "bogus")
def test_money_of_refuses_an_unknown_rounding_with_a_documented_error(
    amount: str, rounding: object
) -> None:
    named = isinstance(rounding, str) and rounding in {r.value for r in Rounding}
    known = named or (rounding is None and amount == "1.23")  # None: only exact amounts
    settles(
        lambda: Money.of(amount, rounding=rounding),  # type: ignore[arg-type]
        known,
        AmountTypeError,
        InvalidAmountError,
        UnknownCurrencyError,
        InvalidRateError,
    )


@fuzz
@given(inputs(NUMBER_TEXTS) | DECIMALS)
def test_parse_rate_returns_the_exact_fraction_of_a_plain_number(value: object) -> None:
    rate = attempt(lambda: parse_rate(value), InvalidRateError)  # type: ignore[arg-type]
    if rate is None:
        return
    number = exact(value)
    assert number is not None, f"{value!r} is not an exact plain number"
    numerator, denominator = rate
    assert type(numerator) is int
    assert type(denominator) is int
    assert denominator > 0
    with localcontext(prec=200):
        assert Decimal(numerator) / Decimal(denominator) == number


@fuzz
@given(st.one_of(CURRENCIES, st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)))
def test_currency_exponent_knows_iso_codes_only(code: object) -> None:
    exponent = attempt(lambda: currency_exponent(code), UnknownCurrencyError)  # type: ignore[arg-type]
    if exponent is not None:
        assert isinstance(code, str)
        assert re.fullmatch("[A-Z]{3}", code)
        assert exponent in (0, 2, 3, 4)
        assert Money.zero(code).currency == code


def enum_values(members: Iterable[Any]) -> st.SearchStrategy[object]:
    values = [member.value for member in members]
    return inputs(st.sampled_from(values)) | st.sampled_from(list(members))


@fuzz
@given(enum_values(Rounding))
def test_parse_rounding_knows_the_roundings_only(value: object) -> None:
    valid = isinstance(value, str) and value in {r.value for r in Rounding}
    rounding = settles(lambda: parse_rounding(value), valid, InvalidRateError)  # type: ignore[arg-type]
    assert rounding is None or rounding == value


# -- names, codes and identifiers --------------------------------------------------------------


@fuzz
@given(enum_values(PaymentMethod))
def test_parse_payment_method_knows_the_methods_only(value: object) -> None:
    valid = isinstance(value, str) and value in {m.value for m in PaymentMethod}
    method = settles(
        lambda: parse_payment_method(value),  # type: ignore[arg-type]
        valid,
        UnknownPaymentMethodError,
    )
    assert method is None or (type(method) is PaymentMethod and method == value)


@fuzz
@given(enum_values(Category))
def test_parse_category_knows_the_categories_only(value: object) -> None:
    valid = isinstance(value, str) and value in {c.value for c in Category}
    category = settles(lambda: parse_category(value), valid, UnknownCategoryError)  # type: ignore[arg-type]
    assert category is None or (type(category) is Category and category == value)


@fuzz
@given(st.lists(enum_values(Evidence), max_size=3) | enum_values(Evidence))
def test_parse_evidence_takes_collections_of_known_evidence_only(value: object) -> None:
    known = {e.value for e in Evidence}
    valid = isinstance(value, list | tuple | dict | frozenset | set) and all(
        isinstance(item, str) and item in known for item in value
    )
    found = settles(lambda: parse_evidence(value), valid, InvalidTierPolicyError)  # type: ignore[arg-type]
    assert found is None or (isinstance(value, Iterable) and found == {Evidence(v) for v in value})


ID_ALPHABET: Final = st.characters(min_codepoint=0x20, max_codepoint=0x7F) | st.sampled_from(
    "\t\n\u00a0é中"
)


@fuzz
@given(inputs(st.text(ID_ALPHABET, min_size=1, max_size=130), max_size=130))
def test_parse_id_takes_1_to_128_printable_ascii_characters_without_spaces(value: object) -> None:
    valid = (
        type(value) is str and 1 <= len(value) <= 128 and all("!" <= char <= "~" for char in value)
    )
    parsed = settles(lambda: parse_id(value, WalletId), valid, InvalidIdError)
    assert parsed is None or parsed == value


ACCOUNT_TEXTS: Final = st.tuples(
    st.sampled_from(
        ["wallet", "merchant", "bank_settlement", "fee_income", "dispute_suspense", "x"]
    ),
    st.sampled_from(["", ":"]),
    st.text(ID_ALPHABET, max_size=6),
).map("".join)


@fuzz
@given(inputs(ACCOUNT_TEXTS))
def test_account_ids_parse_back_from_their_own_text_and_nothing_else(text: object) -> None:
    account = attempt(lambda: AccountId.parse(text), LedgerError)  # type: ignore[arg-type]
    if account is not None:
        assert str(account) == text
        assert AccountId.parse(str(account)) == account


@fuzz
@given(enum_values(Factor))
def test_parse_factor_knows_the_factors_only(value: object) -> None:
    valid = isinstance(value, str) and value in {f.value for f in Factor}
    factor = settles(lambda: parse_factor(value), valid, UnknownFactorError)  # type: ignore[arg-type]
    assert factor is None or (type(factor) is Factor and factor == value)


@fuzz
@given(st.lists(enum_values(Factor), max_size=4) | st.frozensets(st.sampled_from(Factor)) | FOREIGN)
def test_parse_factors_takes_collections_of_known_factors_only(value: object) -> None:
    known = {f.value for f in Factor}
    valid = isinstance(value, list | tuple | dict | frozenset | set) and all(
        isinstance(item, str) and item in known for item in value
    )
    found = settles(lambda: parse_factors(value), valid, UnknownFactorError)  # type: ignore[arg-type]
    assert found is None or (isinstance(value, Iterable) and found == {Factor(v) for v in value})


@fuzz
@given(enum_values(AuthAction))
def test_parse_action_knows_the_actions_only(value: object) -> None:
    valid = isinstance(value, str) and value in {a.value for a in AuthAction}
    action = settles(lambda: parse_action(value), valid, InvalidAuthRequestError)  # type: ignore[arg-type]
    assert action is None or (type(action) is AuthAction and action == value)


# -- rules read from plain data (TOML, JSON) ---------------------------------------------------

PLAIN_JUNK: Final = st.one_of(
    st.sampled_from(
        [
            "1000",
            "1000.005",
            "0",
            "-1",
            "1e3",
            "unlimited",
            "CNY",
            "XXX",
            "sms_otp",
            "pay",
            "nfc",
            "challenge",
            "Asia/Shanghai",
            "Nowhere/Zone",
            0,
            -1,
            24,
            10**30,
            [],
            ["sms_otp"],
            [["sms_otp", "totp"]],
            [[]],
            {},
            {"pay": 1},
        ]
    ),
    FOREIGN,
    st.text(max_size=6),
)
"""Values a hand-written rules file might hold where another was expected."""


def plain_paths(tree: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path into the nested mappings of ``tree`` (the root included)."""
    yield path
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from plain_paths(value, (*path, key))


@st.composite
def edited_rules(draw: st.DrawFn, defaults: dict[str, Any]) -> object:
    """The defaults' plain form with one value replaced, one key dropped or an unknown key added."""
    tree = json.loads(json.dumps(defaults))  # a deep copy
    *parents, last = draw(st.sampled_from(list(plain_paths(tree))[1:]))
    node = tree
    for key in parents:
        node = node[key]
    edit = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
    if edit == "replace":
        node[last] = draw(PLAIN_JUNK)
    elif edit == "drop":
        del node[last]
    else:
        node[draw(st.sampled_from(["daily_cap", "Pay", "window", "", last.upper()]))] = 1
    return draw(st.sampled_from([tree, tree, tree.get(last, tree), [tree]]))


AUTH_DEFAULTS: Final = AuthenticationRules().to_dict()
RISK_DEFAULTS: Final = RiskRules().to_dict()


@fuzz
@given(edited_rules(AUTH_DEFAULTS) | FOREIGN)
def test_authentication_rules_read_back_or_name_what_is_wrong(data: object) -> None:
    def read() -> AuthenticationRules:
        return AuthenticationRules.from_mapping(data)  # type: ignore[arg-type]

    rules = attempt(read, InvalidAuthenticationRulesError)
    if rules is not None:
        assert isinstance(data, dict)
        assert AuthenticationRules.from_mapping(rules.to_dict()) == rules


@fuzz
@given(edited_rules(RISK_DEFAULTS) | FOREIGN)
def test_risk_rules_read_back_or_name_what_is_wrong(data: object) -> None:
    rules = attempt(lambda: RiskRules.from_mapping(data), InvalidRiskRulesError)  # type: ignore[arg-type]
    if rules is not None:
        assert isinstance(data, dict)
        assert RiskRules.from_mapping(rules.to_dict()) == rules


# -- secrets and free text ---------------------------------------------------------------------


def _holder(index: int) -> tuple[PhoneNumber, ResidentId]:
    born = date(1900, 1, 1) + timedelta(days=index * 409)  # 1900 to 2020, every month and day
    body = f"{index * 7919 % 10**6:06d}{born:%Y%m%d}{index % 1000:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
    phone = f"1{'3456789'[index % 7]}{index * 104_729 % 10**9:09d}"
    return PhoneNumber.parse(phone), ResidentId.parse(body + check)


HOLDERS: Final = [_holder(index) for index in range(108)]
"""Phones and IDs for the password rules, built once (drawing them each time is slower)."""


@st.composite
def holders_and_guesses(draw: st.DrawFn) -> tuple[PhoneNumber | None, ResidentId | None, object]:
    """An optional phone and ID, and a password guess often built from them."""
    known_phone, known_id = draw(st.sampled_from(HOLDERS))
    phone: PhoneNumber | None = draw(st.sampled_from([known_phone, None]))
    resident_id: ResidentId | None = draw(st.sampled_from([known_id, None]))
    near: list[str] = ["123456", "654321", "000000", "135790", "012345", "987654"]
    if phone is not None:
        near.append(phone.last_six)
    if resident_id is not None:
        born = resident_id.birth_date
        yy, mm, dd = f"{born.year % 100:02d}", f"{born.month:02d}", f"{born.day:02d}"
        near += [resident_id.last_six, yy + mm + dd, mm + dd + yy, dd + mm + yy]
    guess = draw(inputs(st.sampled_from(near) | digits(6), max_size=8))
    return phone, resident_id, guess


def strong_password(password: str, phone: PhoneNumber | None, rid: ResidentId | None) -> bool:
    if len(password) != 6 or not set(password) <= ASCII_DIGITS or len(set(password)) == 1:
        return False
    steps = {int(b) - int(a) for a, b in itertools.pairwise(password)}
    if steps in ({1}, {-1}):
        return False
    if rid is not None:
        yy, mm, dd = rid.reveal()[8:10], rid.reveal()[10:12], rid.reveal()[12:14]
        if password in {yy + mm + dd, mm + dd + yy, dd + mm + yy, rid.reveal()[-6:]}:
            return False
    return phone is None or password != phone.reveal()[-6:]


@fuzz
@given(holders_and_guesses())
def test_payment_passwords_pass_exactly_when_no_rule_refuses_them(
    case: tuple[PhoneNumber | None, ResidentId | None, object],
) -> None:
    phone, resident_id, password = case

    def check() -> str:
        return validate_payment_password(password, phone=phone, resident_id=resident_id)  # type: ignore[arg-type]

    if not isinstance(password, str):
        settles(check, False, SecretTypeError)
        return
    accepted = settles(check, strong_password(password, phone, resident_id), WeakPasswordError)
    assert accepted is None or accepted == password


@fuzz
@given(inputs(st.sampled_from(["Rex", "  Beijing  Zoo ", "ＲＥＸ", "İstanbul", "ﬀ"]), 30))
def test_security_answers_normalise_to_a_stable_non_empty_form(answer: object) -> None:
    normal = attempt(lambda: normalise_answer(answer), SecretTypeError, InvalidTextError)  # type: ignore[arg-type]
    if normal is not None:
        assert normal
        assert normal == " ".join(normal.split())
        assert normalise_answer(normal) == normal


@fuzz
@given(inputs(st.sampled_from(["scrypt$1024$8$1$abc", "$argon2id$v=19$m=8", "hash"]), 30))
def test_stored_hashes_are_non_empty_strings_that_are_not_clear_passwords(value: object) -> None:
    if not isinstance(value, str):
        settles(lambda: validate_stored_hash("password_hash", value), False, SecretTypeError)
        return
    clear = len(value) == 6 and set(value) <= ASCII_DIGITS
    kept = settles(
        lambda: validate_stored_hash("password_hash", value),
        bool(value) and not clear,
        InvalidHashError,
    )
    assert kept is None or kept == value


STARTED: Final = Registration.start("R-1", datetime(2026, 1, 1, tzinfo=UTC)).verify_phone(
    PhoneNumber.parse("13800138000")
)
HOLDER_ID: Final = ResidentId.parse("34052419800101001X")
NAMES: Final = st.sampled_from(
    ["张三", "  欧阳  娜娜 ", "Anna Müller", "e\u0301", "李四1", "\u200b王五"]
)


@fuzz
@given(inputs(NAMES, 60))
def test_holder_names_are_kept_normalised_without_digits_or_control_characters(
    name: object,
) -> None:
    def identify() -> Registration:
        return STARTED.identify(name, HOLDER_ID)  # type: ignore[arg-type]

    if not isinstance(name, str):  # the class docstring: a TypeError subclass for a wrong type
        with pytest.raises(TextTypeError):
            identify()
        return
    registered = attempt(identify, InvalidHolderNameError)
    if registered is None:
        return
    kept = registered.holder_name
    assert kept is not None
    assert 1 <= len(kept) <= 50
    assert kept == " ".join(kept.split())
    assert not any(char.isdigit() for char in kept)
    assert all(char.isprintable() or char == " " for char in kept)
    assert STARTED.identify(kept, HOLDER_ID).holder_name == kept


@fuzz
@given(
    inputs(
        st.sampled_from(["wrong size", "line one\r\nline two", "\x00", "\u2028", "a\u202eb"]), 40
    ),
    st.integers(0, 30),
    st.booleans(),
    st.booleans(),
)
def test_free_text_is_a_short_string_without_control_characters(
    value: object, max_length: int, required: bool, lines: bool
) -> None:
    def clean() -> str:
        return clean_text(value, "reason", max_length, required=required, lines=lines)

    kept = attempt(clean, TextTypeError, InvalidTextError)
    if kept is None:
        return
    allowed = "\t\n\r" if lines else ""
    assert kept == value
    assert len(kept) <= max_length
    assert not required or kept.strip()
    assert not any(ord(c) < 0x20 and c not in allowed for c in kept)  # C0 controls
    assert not any(0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in kept)  # DEL, C1, LS, PS
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in kept)  # bidi


@fuzz
@given(st.one_of(st.timedeltas(), FOREIGN, st.just(timedelta(days=3650))))
def test_time_limits_are_positive_timedeltas_of_at_most_ten_years(value: object) -> None:
    kept = attempt(lambda: time_limit(value, "answer_within"), InvalidTimeLimitError)
    if kept is not None:
        assert type(value) is timedelta
        assert timedelta(0) < value <= timedelta(days=3650)


# -- time --------------------------------------------------------------------------------------

ZONE_INFOS: Final = st.sampled_from(
    [
        ZoneInfo(key)
        for key in (
            "Asia/Shanghai",
            "UTC",
            "Pacific/Kiritimati",  # UTC+14
            "Pacific/Pago_Pago",  # UTC-11
            "Asia/Kathmandu",  # UTC+5:45
            "Australia/Lord_Howe",  # a half-hour daylight-saving shift
            "America/Havana",  # daylight saving starts at midnight: midnight is skipped
            "America/Sao_Paulo",  # so did Brazil's
            "America/Santiago",
            "Europe/London",
            "America/St_Johns",
            "Africa/Casablanca",
            "Pacific/Apia",  # skipped 30 December 2011 altogether
        )
    ]
)
"""Zones with the awkward offsets and transitions (``st.timezones()`` is several times slower)."""
ZONES: Final = st.one_of(ZONE_INFOS, st.text(max_size=12), FOREIGN)
OFFSETS: Final[st.SearchStrategy[tzinfo]] = st.one_of(
    ZONE_INFOS,
    st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes))),
)
SAFE_DATETIMES: Final = st.one_of(
    st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31)),
    st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31), timezones=OFFSETS),
)
"""Datetimes a day away from the ends of the range: UTC conversion cannot overflow."""


@fuzz
@given(st.one_of(SAFE_DATETIMES, st.dates(), FOREIGN))
def test_require_aware_accepts_aware_datetimes_only(moment: object) -> None:
    kept = attempt(lambda: require_aware(moment), NaiveDatetimeError, DatetimeTypeError)  # type: ignore[arg-type]
    if kept is not None:
        assert isinstance(moment, datetime)
        assert moment.utcoffset() is not None


def starts_day(instant: datetime, day: date, zone: ZoneInfo) -> None:
    """``instant`` is the first instant of ``day`` in ``zone`` (midnight, or later if skipped)."""
    assert instant.astimezone(zone).date() == day
    if day > date.min:  # nothing comes before the first day
        assert (instant - timedelta(microseconds=1)).astimezone(zone).date() < day


@fuzz
@given(st.one_of(st.integers(), FOREIGN), st.one_of(st.integers(-2, 14), FOREIGN), ZONES)
def test_a_month_period_is_the_month_in_its_zone(year: object, month: object, zone: object) -> None:
    period = attempt(lambda: Period.month(year, month, zone), InvalidPeriodError)  # type: ignore[arg-type]
    sound = (
        type(year) is int
        and type(month) is int
        and isinstance(zone, ZoneInfo)
        and 1 <= month <= 12
        and 2 <= year <= 9998
    )
    if period is None:
        assert not sound
        return
    assert type(year) is int
    assert type(month) is int
    assert isinstance(zone, ZoneInfo)
    starts_day(period.start, date(year, month, 1), zone)
    next_month = date(year + month // 12, month % 12 + 1, 1)
    starts_day(period.end, next_month, zone)


@fuzz
@given(st.one_of(st.dates(), st.datetimes(), FOREIGN), ZONES)
def test_a_day_period_is_the_day_in_its_zone(day: object, zone: object) -> None:
    period = attempt(lambda: Period.day(day, zone), DatetimeTypeError, InvalidPeriodError)  # type: ignore[arg-type]
    if period is None:
        in_range = type(day) is date and date(1, 1, 3) <= day <= date(9999, 12, 29)
        assert not (in_range and isinstance(zone, ZoneInfo))
        return
    assert type(day) is date
    assert isinstance(zone, ZoneInfo)
    starts_day(period.start, day, zone)
    starts_day(period.end, day + timedelta(days=1), zone)


@fuzz
@given(st.one_of(SAFE_DATETIMES, FOREIGN), st.one_of(SAFE_DATETIMES, FOREIGN))
def test_a_period_between_two_instants_needs_aware_ordered_instants(
    start: object, end: object
) -> None:
    period = attempt(
        lambda: Period.between(start, end),  # type: ignore[arg-type]
        InvalidPeriodError,
        NaiveDatetimeError,
        DatetimeTypeError,
    )
    if period is not None:
        assert isinstance(start, datetime)
        assert isinstance(end, datetime)
        # In UTC: datetimes sharing a zone compare by wall clock, wrong across a DST change.
        assert (period.start, period.end) == (start.astimezone(UTC), end.astimezone(UTC))
        assert period.end > period.start


EXTREME_DATETIMES: Final = st.datetimes(
    timezones=st.integers(-23, 23).map(lambda hours: timezone(timedelta(hours=hours)))
)


@fuzz
@given(EXTREME_DATETIMES, EXTREME_DATETIMES)
@example(
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
    datetime(2026, 1, 1, tzinfo=UTC),
)
def test_a_period_at_the_ends_of_time_is_refused_with_a_documented_error(
    start: datetime, end: datetime
) -> None:
    attempt(lambda: Period.between(start, end), InvalidPeriodError, NaiveDatetimeError)


# -- stored hashes -----------------------------------------------------------------------------

SCRYPT: Final = ScryptHasher.fast_for_tests()
ARGON2: Final = Argon2Hasher.fast_for_tests()
UPGRADING: Final = UpgradingHasher(ARGON2, (SCRYPT,))
SECRET: Final = "135790"
STORED: Final = (SCRYPT.hash(SECRET), ARGON2.hash(SECRET))


@st.composite
def hash_edits(draw: st.DrawFn) -> str:
    """A stored hash with one small edit; never more than two added characters (cost stays low)."""
    stored = draw(st.sampled_from(STORED))
    at = draw(st.integers(0, len(stored) - 1))
    char = draw(st.sampled_from("0123456789$=,+/AZaz\n"))
    edit = draw(st.sampled_from(["change", "drop", "insert", "cut", "swap"]))
    if edit == "change":
        return stored[:at] + char + stored[at + 1 :]
    if edit == "drop":
        return stored[:at] + stored[at + 1 :]
    if edit == "insert":
        return stored[:at] + char + stored[at:]
    if edit == "cut":
        return stored[:at]
    return stored[:at] + stored[at + 1 : at + 2] + stored[at : at + 1] + stored[at + 2 :]


HASH_INPUTS: Final = st.one_of(hash_edits(), st.sampled_from(STORED), st.text(max_size=40), FOREIGN)


@fuzz
@given(HASH_INPUTS, st.sampled_from([SCRYPT, ARGON2, UPGRADING]))
def test_a_hasher_verifies_its_own_unedited_hashes_and_refuses_edited_ones(
    stored: object, hasher: ScryptHasher | Argon2Hasher | UpgradingHasher
) -> None:
    def verify() -> bool:
        return hasher.verify(SECRET, stored)  # type: ignore[arg-type]

    verified = attempt(verify, SecretTypeError, InvalidHashError)
    original = stored in STORED
    if verified:
        assert original, "an edited hash still verified the password"
    if original and (hasher is UPGRADING or STORED.index(stored) == (hasher is ARGON2)):
        assert verified
    if not isinstance(stored, str):
        with pytest.raises(SecretTypeError):
            verify()
    rehash = attempt(lambda: hasher.needs_rehash(stored), SecretTypeError, InvalidHashError)  # type: ignore[arg-type]
    assert (rehash is None) == (verified is None)


# -- presentation ------------------------------------------------------------------------------


@fuzz
@given(inputs(st.sampled_from(["zh_CN", "en_US", "zh_Hans_CN", "de-DE", "fr_FR@euro", "und"]), 16))
def test_format_money_refuses_unknown_locales_with_unsupported_locale_error(locale: object) -> None:
    shown = attempt(
        lambda: format_money(Money.of("1234.50"), locale),  # type: ignore[arg-type]
        UnsupportedLocaleError,
    )
    assert shown is None or "50" in shown


# -- the storage codec (stored documents, decoded by the SQL stores) ---------------------------

CODEC: Final = storage_codec()
JSON_VALUES: Final = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
TAGS: Final = st.sampled_from(
    [
        "Money",
        "datetime",
        "Decimal",
        "ZoneInfo",
        "PhoneNumber",
        "BankCard",
        "PaymentMethod",
        "tuple",
    ]
)


@st.composite
def tagged_documents(draw: st.DrawFn) -> str:
    """A JSON object with a known ``$type`` tag and arbitrary fields."""
    fields = draw(
        st.dictionaries(
            st.sampled_from(["minor", "currency", "utc", "text", "key", "value", "items"]),
            JSON_VALUES,
            max_size=3,
        )
    )
    return json.dumps({"$type": draw(TAGS), **fields})


def validated(value: object) -> None:
    """Run every attrs validator inside ``value``, as building it through ``__init__`` would."""
    instance: Any = value
    if attrs.has(type(instance)):
        attrs.validate(instance)
        for field in attrs.fields(type(instance)):
            validated(getattr(instance, field.name))
    elif isinstance(value, list | tuple | frozenset):
        for item in value:
            validated(item)
    elif isinstance(value, Decimal):
        assert value.is_finite()


@fuzz
@given(tagged_documents() | st.text(max_size=20))
@example('{"$type": "Money", "minor": 1.5, "currency": "CNY"}')
@example('{"$type": "Money"}')
@example('{"$type": "Decimal", "text": "NaN"}')
def test_the_codec_decodes_valid_values_or_raises_codec_error(text: str) -> None:
    value = attempt(lambda: CODEC.loads(text), CodecError)
    if value is not None:
        validated(value)
