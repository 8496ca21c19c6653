from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet import Money, Rounding, total
from icbc_wallet.testing.strategies import moneys

small = moneys(min_minor=-(10**12), max_minor=10**12)
currencies = st.sampled_from(["CNY", "JPY", "KWD", "USD"])


@given(small, small, small)
def test_addition_is_associative_and_commutative(a: Money, b: Money, c: Money) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a - b == -(b - a)


@given(st.data(), currencies)
def test_the_canonical_string_parses_back_to_the_same_money(
    data: st.DataObject, currency: str
) -> None:
    money = data.draw(moneys(currency))
    assert Money.of(str(money.amount), currency) == money
    assert Money.of(money.amount, currency) == money


@given(small, st.lists(st.integers(0, 1000), min_size=1, max_size=12).filter(any))
def test_allocate_conserves_the_total_and_stays_within_one_minor_unit(
    money: Money, ratios: list[int]
) -> None:
    parts = money.allocate(ratios)
    assert total(parts, money.currency) == money
    weight = sum(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        exact = Fraction(money.minor * ratio, weight)
        assert abs(part.minor - exact) < 1


@given(small, st.sampled_from(list(Rounding)))
def test_results_ignore_the_global_decimal_context(money: Money, rounding: Rounding) -> None:
    expected = (money.multiply("0.0375", rounding), Money.of(str(money.amount)), money.amount)
    with decimal.localcontext() as hostile:
        hostile.prec = 3
        hostile.rounding = decimal.ROUND_FLOOR
        hostile.traps[decimal.Inexact] = True
        assert (
            money.multiply("0.0375", rounding),
            Money.of(str(money.amount)),
            money.amount,
        ) == expected


@given(small, st.decimals(min_value=0, max_value=10, places=4))
def test_multiply_half_up_matches_decimal_quantize(money: Money, rate: Decimal) -> None:
    context = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)
    expected = context.multiply(money.amount, rate).quantize(Decimal("0.01"), context=context)
    assert money.multiply(rate).amount == expected


@given(small, small)
def test_ordering_agrees_with_minor_units(a: Money, b: Money) -> None:
    assert (a < b) == (a.minor < b.minor)
    assert (a == b) == (a.minor == b.minor)
