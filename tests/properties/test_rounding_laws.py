"""divide_rounded agrees with decimal's quantize in every mode, for every sign."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet import InvalidRateError, Rounding
from icbc_wallet.domain.rounding import divide_rounded

_CONTEXT = decimal.Context(prec=200)


@given(
    st.integers(-(10**30), 10**30),
    st.integers(1, 10**12),
    st.sampled_from(list(Rounding)),
    st.booleans(),
)
def test_divide_rounded_matches_quantize(
    numerator: int, denominator: int, rounding: Rounding, by_name: bool
) -> None:
    expected = _CONTEXT.divide(Decimal(numerator), Decimal(denominator)).quantize(
        Decimal(1), rounding=rounding.value, context=_CONTEXT
    )
    mode: Rounding | str = str(rounding.value) if by_name else rounding
    assert divide_rounded(numerator, denominator, mode) == int(expected)


@pytest.mark.parametrize("denominator", [0, -10])
def test_a_non_positive_denominator_is_refused(denominator: int) -> None:
    with pytest.raises(InvalidRateError, match="denominator must be positive"):
        divide_rounded(25, denominator, Rounding.HALF_UP)


@pytest.mark.parametrize("mode", ["ROUND_05UP", "half_up", ""])
def test_an_unknown_mode_is_refused_rather_than_truncating(mode: str) -> None:
    with pytest.raises(InvalidRateError, match="unknown rounding"):
        divide_rounded(25, 10, mode)
