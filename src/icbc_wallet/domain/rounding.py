"""Rounding: the named, explicit ways an exact quotient becomes a whole number of minor units.

Every place in icbc-wallet that may lose precision takes a :class:`Rounding`. The banking default is
``HALF_UP``. The same names as :mod:`decimal` are used (``Rounding.HALF_UP == decimal.ROUND_HALF_UP``)
so either may be passed.

Rounding is done on integers (numerator, denominator), never through the global decimal context.
"""

from __future__ import annotations

import decimal
from enum import StrEnum

from icbc_wallet.errors import InvalidRateError

__all__ = ["Rounding", "divide_rounded", "parse_rounding"]


class Rounding(StrEnum):
    """How to round a value that falls between two minor units."""

    HALF_UP = decimal.ROUND_HALF_UP
    """Ties away from zero (0.125 -> 0.13). The banking default."""
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    """Ties to the even neighbour (0.125 -> 0.12), the "banker's" rounding."""
    HALF_DOWN = decimal.ROUND_HALF_DOWN
    """Ties toward zero (0.125 -> 0.12)."""
    UP = decimal.ROUND_UP
    """Away from zero (0.121 -> 0.13): a fee is never under-charged."""
    DOWN = decimal.ROUND_DOWN
    """Toward zero (0.129 -> 0.12): truncation."""
    CEILING = decimal.ROUND_CEILING
    """Toward positive infinity."""
    FLOOR = decimal.ROUND_FLOOR
    """Toward negative infinity."""


def parse_rounding(value: Rounding | str) -> Rounding:
    """Return the :class:`Rounding` named by ``value`` (a member or a :mod:`decimal` constant).

    Raises:
        InvalidRateError: ``value`` names no supported rounding (``ROUND_05UP`` is not supported).
    """
    try:
        return Rounding(value)
    except ValueError:
        names = ", ".join(member.name for member in Rounding)
        raise InvalidRateError(f"unknown rounding {value!r}; use one of {names}") from None


def divide_rounded(numerator: int, denominator: int, rounding: Rounding | str) -> int:  # noqa: PLR0911
    """Return ``numerator / denominator`` rounded to an integer as ``rounding`` says.

    Exact for any size of integers. ``denominator`` must be positive.

    Raises:
        InvalidRateError: ``denominator`` is not positive, or ``rounding`` names no mode.

    ```pycon
    >>> divide_rounded(25, 10, Rounding.HALF_UP), divide_rounded(-25, 10, Rounding.HALF_UP)
    (3, -3)
    >>> divide_rounded(25, 10, Rounding.HALF_EVEN), divide_rounded(21, 10, Rounding.UP)
    (2, 3)

    ```
    """
    if type(rounding) is not Rounding:
        rounding = parse_rounding(rounding)
    if denominator <= 0:
        raise InvalidRateError(f"cannot divide by {denominator}: the denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)  # floor division: 0 <= remainder < d
    if remainder == 0:
        return quotient
    positive = numerator > 0
    if (
        rounding is Rounding.HALF_UP
        or rounding is Rounding.HALF_DOWN
        or rounding is Rounding.HALF_EVEN
    ):
        twice = 2 * remainder
        if twice > denominator:
            return quotient + 1
        if twice < denominator:
            return quotient
        if rounding is Rounding.HALF_UP:
            return quotient + 1 if positive else quotient
        if rounding is Rounding.HALF_DOWN:
            return quotient if positive else quotient + 1
        return quotient if quotient % 2 == 0 else quotient + 1
    if rounding is Rounding.FLOOR:
        return quotient
    if rounding is Rounding.CEILING:
        return quotient + 1
    if rounding is Rounding.UP:
        return quotient + 1 if positive else quotient
    return quotient if positive else quotient + 1  # DOWN: toward zero
