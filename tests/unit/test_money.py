from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import moneyed
import pytest

from icbc_wallet import (
    AmountOutOfRangeError,
    AmountPrecisionError,
    AmountTypeError,
    CurrencyMismatchError,
    DatetimeTypeError,
    InvalidAmountError,
    InvalidRateError,
    Money,
    NaiveDatetimeError,
    Rounding,
    UnknownCurrencyError,
    WalletError,
    total,
)
from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.money import MAX_MINOR_UNITS, currency_exponent
from icbc_wallet.domain.usage import WindowKeys


def _mismatched_add() -> object:
    return Money.of("1") + Money.of("1", "USD")


def _naive_window() -> object:
    return WindowKeys.at(datetime(2026, 1, 1, 12))


# Known bad input, each with its documented error and the builtin it also is.
BAD_INPUT = [
    ("float 0.1", lambda: Money.of(0.1), AmountTypeError, TypeError),  # type: ignore[arg-type]
    ("bool True", lambda: Money.of(True), AmountTypeError, TypeError),
    ("'NaN'", lambda: Money.of("NaN"), InvalidAmountError, ValueError),
    ("Decimal NaN", lambda: Money.of(Decimal("NaN")), InvalidAmountError, ValueError),
    ("'Infinity'", lambda: Money.of("Infinity"), InvalidAmountError, ValueError),
    ("'-Infinity'", lambda: Money.of("-Infinity"), InvalidAmountError, ValueError),
    ("'-0'", lambda: Money.of("-0"), InvalidAmountError, ValueError),
    ("'-0.00'", lambda: Money.of("-0.00"), InvalidAmountError, ValueError),
    ("'1e3'", lambda: Money.of("1e3"), InvalidAmountError, ValueError),
    ("full-width digits", lambda: Money.of("１００"), InvalidAmountError, ValueError),
    ("Arabic-Indic digits", lambda: Money.of("٥"), InvalidAmountError, ValueError),
    ("surrounding spaces", lambda: Money.of(" 5 "), InvalidAmountError, ValueError),
    ("grouping separator", lambda: Money.of("1,000"), InvalidAmountError, ValueError),
    ("leading plus", lambda: Money.of("+5"), InvalidAmountError, ValueError),
    ("empty string", lambda: Money.of(""), InvalidAmountError, ValueError),
    ("over-precision CNY", lambda: Money.of("0.001"), AmountPrecisionError, ValueError),
    ("over-precision JPY", lambda: Money.of("1.5", "JPY"), AmountPrecisionError, ValueError),
    ("over-precision KWD", lambda: Money.of("1.0001", "KWD"), AmountPrecisionError, ValueError),
    ("huge magnitude", lambda: Money.of("1" + "0" * 20), AmountOutOfRangeError, ValueError),
    ("huge exponent", lambda: Money.of(Decimal("1E+400")), AmountOutOfRangeError, ValueError),
    (
        "just past maximum",
        lambda: Money.from_minor(MAX_MINOR_UNITS + 1),
        AmountOutOfRangeError,
        ValueError,
    ),
    (
        "overflowing sum",
        lambda: Money.from_minor(MAX_MINOR_UNITS) + Money.from_minor(1),
        AmountOutOfRangeError,
        ValueError,
    ),
    ("unknown currency", lambda: Money.of("1", "XYZ"), UnknownCurrencyError, ValueError),
    ("lower-case currency", lambda: Money.of("1", "cny"), UnknownCurrencyError, ValueError),
    ("float minor units", lambda: Money(1.0, "CNY"), AmountTypeError, TypeError),  # type: ignore[arg-type]
    ("list amount", lambda: Money.of([1]), AmountTypeError, TypeError),  # type: ignore[arg-type]
    ("mismatched currencies", _mismatched_add, CurrencyMismatchError, TypeError),
    ("float rate", lambda: Money.of("1").multiply(0.5), InvalidRateError, ValueError),  # type: ignore[arg-type]
    ("float factor", lambda: Money.of("1") * 0.5, AmountTypeError, TypeError),  # type: ignore[operator]
    ("naive datetime", _naive_window, NaiveDatetimeError, ValueError),
    ("tiny exponent", lambda: Money.of(Decimal("1E-99999999")), InvalidAmountError, ValueError),
    ("huge int", lambda: Money.of(10**5000), AmountOutOfRangeError, ValueError),
    ("very long text", lambda: Money.of("1" * 65), InvalidAmountError, ValueError),
    (
        "huge rate",
        lambda: Money.of("1").multiply(Decimal("1E+99999999")),
        InvalidRateError,
        ValueError,
    ),
    ("Fraction factor", lambda: Money.of("1") * Fraction(1, 3), AmountTypeError, TypeError),  # type: ignore[operator]
    ("total of one Money", lambda: total(Money.of("1")), AmountTypeError, TypeError),  # type: ignore[arg-type]
    ("ratios as text", lambda: Money.of("1").allocate("13"), InvalidRateError, ValueError),
    ("gold is not money", lambda: Money.of("1", "XAU"), UnknownCurrencyError, ValueError),
    ("test currency", lambda: Money.of("1", "XXX"), UnknownCurrencyError, ValueError),
    ("datetime type", lambda: require_aware("2026-01-01"), DatetimeTypeError, TypeError),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    ("make", "error", "builtin"),
    [pytest.param(make, error, builtin, id=name) for name, make, error, builtin in BAD_INPUT],
)
def test_bad_input_gets_its_documented_error(
    make: object, error: type[Exception], builtin: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        make()  # type: ignore[operator]
    assert isinstance(raised.value, WalletError)
    assert isinstance(raised.value, builtin)
    assert str(raised.value)  # a message a person can read


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.30", "CNY", 1230),
        ("12.3", "CNY", 1230),
        ("0", "CNY", 0),
        ("-5.01", "CNY", -501),
        (7, "CNY", 700),
        (Decimal("1.500"), "CNY", 150),
        (Decimal("1E+3"), "CNY", 100000),
        ("100", "JPY", 100),
        ("1.234", "KWD", 1234),
        ("007.10", "CNY", 710),
    ],
)
def test_of_parses_exact_amounts_into_minor_units(
    amount: Decimal | int | str, currency: str, minor: int
) -> None:
    assert Money.of(amount, currency).minor == minor


def test_currencies_carry_their_own_minor_unit() -> None:
    assert [currency_exponent(code) for code in ("CNY", "JPY", "KWD", "USD")] == [2, 0, 3, 2]
    assert [Money.zero(code).exponent for code in ("CNY", "JPY", "KWD")] == [2, 0, 3]
    assert Money.of("1", "JPY").amount == Decimal("1")
    assert str(Money.of("1", "KWD")) == "1.000 KWD"


def test_the_maximum_itself_is_accepted() -> None:
    assert Money.from_minor(MAX_MINOR_UNITS).minor == MAX_MINOR_UNITS
    assert Money.from_minor(-MAX_MINOR_UNITS).minor == -MAX_MINOR_UNITS


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        (Rounding.HALF_UP, "0.13"),
        (Rounding.HALF_EVEN, "0.12"),
        (Rounding.HALF_DOWN, "0.12"),
        (Rounding.UP, "0.13"),
        (Rounding.DOWN, "0.12"),
        (Rounding.CEILING, "0.13"),
        (Rounding.FLOOR, "0.12"),
        ("ROUND_HALF_UP", "0.13"),
    ],
)
def test_over_precision_is_rounded_only_when_asked(rounding: Rounding | str, expected: str) -> None:
    assert Money.of("0.125", rounding=rounding) == Money.of(expected)


def test_negative_amounts_round_symmetrically_with_half_up() -> None:
    assert Money.of("-0.125", rounding=Rounding.HALF_UP) == Money.of("-0.13")
    assert Money.of("-0.125", rounding=Rounding.FLOOR) == Money.of("-0.13")
    assert Money.of("-0.125", rounding=Rounding.CEILING) == Money.of("-0.12")


def test_unknown_rounding_is_refused() -> None:
    with pytest.raises(InvalidRateError, match="unknown rounding"):
        Money.of("0.125", rounding="ROUND_05UP")


def test_arithmetic_stays_in_one_currency() -> None:
    a, b = Money.of("10.10"), Money.of("0.95")
    assert a + b == Money.of("11.05")
    assert a - b == Money.of("9.15")
    assert -a == Money.of("-10.10")
    assert abs(Money.of("-3")) == Money.of("3")
    assert +a is a
    assert a * 3 == 3 * a == Money.of("30.30")
    assert a * Decimal("0.5") == Money.of("5.05")
    with pytest.raises(CurrencyMismatchError, match="CNY and USD"):
        a - Money.of("1", "USD")


def test_ordering_refuses_mixed_currencies_but_equality_just_says_no() -> None:
    assert Money.of("1") < Money.of("2") <= Money.of("2") < Money.of("3")
    assert Money.of("3") > Money.of("2") >= Money.of("2")
    assert Money.of("0") != Money.of("0", "USD")
    comparisons: tuple[Callable[[], object], ...] = (
        lambda: Money.of("1") < Money.of("1", "USD"),
        lambda: Money.of("1") <= Money.of("1", "USD"),
        lambda: Money.of("1") > Money.of("1", "USD"),
        lambda: Money.of("1") >= Money.of("1", "USD"),
    )
    for compare in comparisons:
        with pytest.raises(CurrencyMismatchError):
            compare()


def test_money_does_not_mix_with_plain_numbers() -> None:
    with pytest.raises(TypeError):
        Money.of("1") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money.of("1") - 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money.of("1") < 1  # type: ignore[operator]  # noqa: B015
    with pytest.raises(TypeError):
        Money.of("1") <= 1  # type: ignore[operator]  # noqa: B015
    with pytest.raises(TypeError):
        Money.of("1") > 1  # type: ignore[operator]  # noqa: B015
    with pytest.raises(TypeError):
        Money.of("1") >= 1  # type: ignore[operator]  # noqa: B015
    with pytest.raises(TypeError):
        Money.of("1") * Money.of("1")  # type: ignore[operator]
    assert Money.of("1") != 1  # type: ignore[comparison-overlap]


def test_money_has_no_truth_value() -> None:
    with pytest.raises(TypeError, match="is_zero"):
        bool(Money.zero())


def test_sum_is_refused_with_a_pointer_to_total() -> None:
    with pytest.raises(TypeError, match="total"):
        sum([Money.of("1"), Money.of("2")])


def test_total_adds_exactly_and_needs_a_currency_when_empty() -> None:
    assert total([Money.of("0.10")] * 3) == Money.of("0.30")
    assert total([], "JPY") == Money.zero("JPY")
    with pytest.raises(InvalidAmountError, match="needs a currency"):
        total([])
    with pytest.raises(CurrencyMismatchError):
        total([Money.of("1"), Money.of("1", "USD")])
    with pytest.raises(CurrencyMismatchError):
        total([Money.of("1")], "USD")
    with pytest.raises(AmountTypeError):
        total([Decimal("1")])  # type: ignore[list-item]


def test_predicates_tell_the_sign() -> None:
    assert Money.zero().is_zero()
    assert Money.of("0.01").is_positive()
    assert Money.of("-0.01").is_negative()
    assert not Money.of("-0.01").is_positive()


def test_money_is_hashable_and_immutable() -> None:
    assert len({Money.of("1.0"), Money.of("1.00"), Money.from_minor(100)}) == 1
    money = Money.of("1")
    with pytest.raises(AttributeError):
        money.minor = 5  # type: ignore[misc]


def test_repr_and_str_are_canonical_not_localised() -> None:
    assert repr(Money.of("1234.5")) == "Money('1234.50', 'CNY')"
    assert str(Money.of("-0.5", "USD")) == "-0.50 USD"


def test_moneyed_round_trip_preserves_amount_and_currency() -> None:
    money = Money.of("12.34", "KWD")
    converted = money.to_moneyed()
    assert converted == moneyed.Money("12.34", "KWD")
    assert Money.from_moneyed(converted) == money
    with pytest.raises(AmountPrecisionError):
        Money.from_moneyed(moneyed.Money("1.005", "CNY"))
    assert Money.from_moneyed(moneyed.Money("1.005", "CNY"), rounding=Rounding.HALF_UP) == Money.of(
        "1.01"
    )
    with pytest.raises(AmountTypeError):
        Money.from_moneyed(Money.of("1"))  # type: ignore[arg-type]


def test_multiply_rounds_as_named() -> None:
    assert Money.of("10.05").multiply("0.5") == Money.of("5.03")
    assert Money.of("10.05").multiply(Decimal("0.5"), Rounding.HALF_EVEN) == Money.of("5.02")
    assert Money.of("0.01").multiply("0.001", Rounding.UP) == Money.of("0.01")
    assert Money.of("-10.05").multiply("0.5") == Money.of("-5.03")


def test_allocate_splits_to_the_fen_and_conserves_the_total() -> None:
    parts = Money.of("100").allocate([1, 1, 1])
    assert parts == [Money.of("33.34"), Money.of("33.33"), Money.of("33.33")]
    assert Money.of("0.05").allocate(["0.7", "0.3"]) == [Money.of("0.04"), Money.of("0.01")]
    assert Money.of("-1").allocate([1, 0, 1]) == [
        Money.of("-0.50"),
        Money.zero(),
        Money.of("-0.50"),
    ]


@pytest.mark.parametrize(
    ("ratios", "message"),
    [([], "at least one"), ([1, -1], "negative"), ([0, 0], "all be zero"), ([0.5], "float")],
)
def test_allocate_refuses_bad_ratios(ratios: list[object], message: str) -> None:
    with pytest.raises(InvalidRateError, match=message):
        Money.of("1").allocate(ratios)  # type: ignore[arg-type]
