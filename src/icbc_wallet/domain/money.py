"""Money: an exact amount in one ISO 4217 currency.

A :class:`Money` holds an integer number of minor units (fen for CNY, yen for JPY, fils for KWD)
and a currency code. That makes it exact, hashable, cheap, and what a database stores (INTEGER).
Currency data (the minor unit of each ISO 4217 code) comes from py-moneyed.

Construction is strict on purpose; money that arrives wrong must be refused, not guessed:

```pycon
>>> Money.of("12.30")
Money('12.30', 'CNY')
>>> Money.of("0.125", rounding=Rounding.HALF_UP)
Money('0.13', 'CNY')
>>> Money.of("0.125")
Traceback (most recent call last):
...
icbc_wallet.errors.AmountPrecisionError: amount '0.125' has more than 2 decimal places for CNY; pass rounding=Rounding.HALF_UP (or another) to round it explicitly

```

Arithmetic stays in one currency, rounding is always named, and splitting conserves every fen:

```pycon
>>> [str(part) for part in Money.of("100.00").allocate([1, 1, 1])]
['33.34 CNY', '33.33 CNY', '33.33 CNY']

```
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, NoReturn

import attrs
import moneyed

from icbc_wallet.domain import _html
from icbc_wallet.domain.rounding import Rounding, divide_rounded, parse_rounding
from icbc_wallet.errors import (
    AmountOutOfRangeError,
    AmountPrecisionError,
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidRateError,
    UnknownCurrencyError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_CURRENCY",
    "MAX_MINOR_UNITS",
    "Money",
    "currency_exponent",
    "parse_rate",
    "total",
    "validate_currency",
]

DEFAULT_CURRENCY: Final = "CNY"
"""The currency of every preset and the default of :meth:`Money.of`."""

MAX_MINOR_UNITS: Final = 10**15
"""The largest absolute amount, in minor units: CNY 10,000,000,000,000.00 (ten trillion yuan).

Chosen so that the sum of thousands of maximal amounts still fits a signed 64-bit INTEGER column.
Any construction or arithmetic beyond it raises :class:`~icbc_wallet.errors.AmountOutOfRangeError`.
"""

# ISO 4217 codes that are not money a wallet can hold: precious metals, fund codes, test and
# "no currency" codes, bond-market units.
_NOT_MONEY: Final = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
)
_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        code: len(str(currency.sub_unit)) - 1
        for code, currency in moneyed.CURRENCIES.items()
        if code not in _NOT_MONEY
    }
)
# Bounds on what is parsed at all, so a crafted Decimal("1E-99999999") cannot make exact
# arithmetic build astronomically large integers.
_MAX_DIGITS: Final = 40
_MAX_TEXT: Final = 64
_NON_FINITE_WORDS: Final = frozenset({"nan", "snan", "inf", "infinity"})
_PLAIN_NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
# Enough digits for any amount below MAX_MINOR_UNITS at any currency exponent; traps make
# inexact or invalid operations raise instead of silently rounding.
_CONTEXT: Final = decimal.Context(
    prec=60, rounding=decimal.ROUND_HALF_UP, traps=[decimal.InvalidOperation, decimal.Inexact]
)


def currency_exponent(code: str) -> int:
    """Return the number of decimal places of ISO 4217 currency ``code`` (CNY 2, JPY 0, KWD 3).

    Raises:
        UnknownCurrencyError: ``code`` is not an ISO 4217 code known to py-moneyed.
    """
    try:
        return _EXPONENTS[code]
    except (KeyError, TypeError):
        raise UnknownCurrencyError(
            f"unknown currency {code!r}: expected an upper-case ISO 4217 code such as 'CNY'"
        ) from None


def _parse_decimal(value: object, what: str) -> Decimal:
    """Turn a ``Decimal | int | str`` into a finite Decimal, refusing everything ambiguous."""
    if isinstance(value, bool):
        raise AmountTypeError(f"{what} cannot be a bool ({value!r})")
    if isinstance(value, float):
        raise AmountTypeError(
            f"float cannot represent money exactly ({value!r}); pass a str or Decimal such as '{value!r}'"
        )
    if isinstance(value, int):
        if value.bit_length() > 4 * _MAX_DIGITS:
            raise AmountOutOfRangeError(f"{what} has more than {_MAX_DIGITS} digits")
        return Decimal(value)
    if isinstance(value, str):
        if len(value) > _MAX_TEXT:
            raise InvalidAmountError(f"{what} text is longer than {_MAX_TEXT} characters")
        if value.strip().lstrip("+-").lower() in _NON_FINITE_WORDS:
            raise InvalidAmountError(f"{what} must be finite, not {value!r}")
        if not _PLAIN_NUMBER.fullmatch(value):
            raise InvalidAmountError(
                f"{what} {value!r} is not a plain decimal number: use ASCII digits with an optional "
                "leading '-' and '.', no spaces, exponents, signs '+' or grouping"
            )
        parsed = Decimal(value)
    elif isinstance(value, Decimal):
        parsed = value
    else:
        raise AmountTypeError(f"{what} must be a Decimal, int or str, not {type(value).__name__}")
    return _bounded(parsed, value, what)


def _bounded(parsed: Decimal, value: object, what: str) -> Decimal:
    """Refuse a parsed value that is not finite, a signed zero, or absurdly long."""
    if not parsed.is_finite():
        raise InvalidAmountError(f"{what} must be finite, not {value!r}")
    if parsed.is_zero() and parsed.is_signed():
        raise InvalidAmountError(f"{what} {value!r} is a signed zero; write 0")
    if parsed.adjusted() > _MAX_DIGITS:
        raise AmountOutOfRangeError(f"{what} {value!r} is beyond the supported maximum")
    exponent = parsed.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_DIGITS:
        raise InvalidAmountError(f"{what} {value!r} has more than {_MAX_DIGITS} decimal places")
    return parsed


def parse_rate(value: Decimal | int | str, *, what: str = "rate") -> tuple[int, int]:
    """Return a rate as an exact ``(numerator, denominator)`` pair, denominator positive.

    Accepts the same spellings as amounts (``Decimal``, ``int``, plain ``str``) and refuses floats.

    Raises:
        InvalidRateError: the rate is a float, bool, NaN, infinite, signed zero or malformed.
    """
    try:
        parsed = _parse_decimal(value, what)
    except (AmountTypeError, InvalidAmountError) as error:
        raise InvalidRateError(str(error)) from None
    return parsed.as_integer_ratio()


def _check_range(minor: int) -> int:
    if -MAX_MINOR_UNITS <= minor <= MAX_MINOR_UNITS:
        return minor
    raise AmountOutOfRangeError(
        f"amount of {minor} minor units is beyond the supported maximum of {MAX_MINOR_UNITS}"
    )


def _validate_minor(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int:  # callers without a type checker pass floats and bools
        raise AmountTypeError(
            f"minor units must be an int, not {type(value).__name__}; use Money.of() to parse amounts"
        )
    _check_range(value)


def validate_currency(_instance: object, _attribute: object, value: str) -> None:
    """An attrs validator for currency-code fields: raises UnknownCurrencyError for non-ISO codes."""
    currency_exponent(value)


@attrs.frozen(repr=False, order=False)
class Money:
    """An exact amount of one currency, stored as an integer number of minor units.

    Prefer the named constructors: :meth:`of` parses a major-unit amount, :meth:`from_minor` takes
    minor units, :meth:`zero` is zero. ``Money`` has no truth value (``if money:`` raises) and does
    not take part in ``sum()``; use :func:`total` and :meth:`is_zero`.

    Attributes:
        minor: the amount in minor units (fen for CNY).
        currency: the ISO 4217 code.
    """

    minor: int = attrs.field(validator=_validate_minor)
    currency: str = attrs.field(default=DEFAULT_CURRENCY, validator=validate_currency)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def of(
        cls,
        amount: Decimal | int | str,
        currency: str = DEFAULT_CURRENCY,
        *,
        rounding: Rounding | str | None = None,
    ) -> Money:
        """Parse an amount in major units (yuan for CNY).

        Args:
            amount: a ``Decimal``, an ``int`` or a plain decimal ``str`` ("12.30").
            currency: an ISO 4217 code; CNY by default.
            rounding: how to round an amount with more places than the currency has. Without it,
                such an amount is refused.

        Raises:
            AmountTypeError: ``amount`` is a float, a bool or another type.
            InvalidAmountError: NaN, infinity, signed zero, or a malformed string (spaces,
                exponent notation, full-width digits, grouping separators).
            AmountPrecisionError: too many decimal places and no ``rounding``.
            AmountOutOfRangeError: beyond :data:`MAX_MINOR_UNITS`.
            UnknownCurrencyError: ``currency`` is not ISO 4217.
            InvalidRateError: ``rounding`` names no supported rounding (checked even when the
                amount needs none, so a typo never hides until an odd amount comes).
        """
        exponent = currency_exponent(currency)
        chosen = None if rounding is None else parse_rounding(rounding)
        value = _parse_decimal(amount, "amount")
        numerator, denominator = value.as_integer_ratio()
        scaled = numerator * 10**exponent
        if scaled % denominator:
            if chosen is None:
                raise AmountPrecisionError(
                    f"amount {amount!r} has more than {exponent} decimal places for {currency}; "
                    "pass rounding=Rounding.HALF_UP (or another) to round it explicitly"
                )
            minor = divide_rounded(scaled, denominator, chosen)
        else:
            minor = scaled // denominator
        return Money._make(_check_range(minor), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str = DEFAULT_CURRENCY) -> Money:
        """Build from an integer number of minor units (``Money.from_minor(1234)`` is CNY 12.34)."""
        return Money(minor, currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        """Zero in ``currency``."""
        currency_exponent(currency)
        return Money._make(0, currency)

    @classmethod
    def from_moneyed(cls, value: moneyed.Money, *, rounding: Rounding | str | None = None) -> Money:
        """Convert a :class:`moneyed.Money` (whose amount is a Decimal of any precision)."""
        if not isinstance(value, moneyed.Money):
            raise AmountTypeError(f"expected moneyed.Money, not {type(value).__name__}")
        return cls.of(value.amount, value.currency.code, rounding=rounding)

    @staticmethod
    def _make(minor: int, currency: str) -> Money:
        """Build without validation: for results already known to be valid (the hot path).

        Writes the slots through their descriptors, which skips ``__init__``, the validators and
        the frozen ``__setattr__``: about half the cost of ``object.__setattr__`` twice.
        """
        money = _NEW(Money)
        _SET_MINOR(money, minor)
        _SET_CURRENCY(money, currency)
        return money

    # -- views ---------------------------------------------------------------------------------

    @property
    def exponent(self) -> int:
        """Decimal places of this currency (2 for CNY)."""
        return _EXPONENTS[self.currency]

    @property
    def amount(self) -> Decimal:
        """The exact amount in major units, with exactly :attr:`exponent` places."""
        return Decimal(self.minor).scaleb(-_EXPONENTS[self.currency], _CONTEXT)

    def to_moneyed(self) -> moneyed.Money:
        """Convert to :class:`moneyed.Money` for interoperation."""
        return moneyed.Money(self.amount, self.currency)

    def is_zero(self) -> bool:
        """True when the amount is zero."""
        return self.minor == 0

    def is_positive(self) -> bool:
        """True when the amount is above zero."""
        return self.minor > 0

    def is_negative(self) -> bool:
        """True when the amount is below zero."""
        return self.minor < 0

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        # Canonical, not localised: presentation.format_money() is the human form.
        return f"{self.amount} {self.currency}"

    def _repr_html_(self) -> str:
        """Jupyter's face: the amount grouped by thousands, with its currency."""
        return _html.money(self)

    def __bool__(self) -> NoReturn:
        raise TypeError(
            "Money has no truth value; use money.is_zero(), is_positive() or is_negative()"
        )

    # -- arithmetic ----------------------------------------------------------------------------

    def _same_currency(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot {operation} {self.currency} and {other.currency}; convert explicitly first"
            )

    def __add__(self, other: Money) -> Money:
        if type(other) is not Money:
            return NotImplemented
        if other.currency != self.currency:
            self._same_currency(other, "add")
        return Money._make(_check_range(self.minor + other.minor), self.currency)

    def __radd__(self, other: object) -> NoReturn:
        raise TypeError(
            f"cannot add Money to {type(other).__name__}; to add up amounts use "
            "icbc_wallet.total(amounts, currency) rather than sum()"
        )

    def __sub__(self, other: Money) -> Money:
        if type(other) is not Money:
            return NotImplemented
        if other.currency != self.currency:
            self._same_currency(other, "subtract")
        return Money._make(_check_range(self.minor - other.minor), self.currency)

    def __neg__(self) -> Money:
        return Money._make(-self.minor, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._make(abs(self.minor), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, int) and not isinstance(factor, bool):
            return Money._make(_check_range(self.minor * factor), self.currency)
        if isinstance(factor, Decimal):
            return self.multiply(factor)
        raise AmountTypeError(
            f"cannot multiply Money by {type(factor).__name__}; use an int or a Decimal rate"
        )

    __rmul__ = __mul__

    def multiply(
        self, rate: Decimal | int | str, rounding: Rounding | str = Rounding.HALF_UP
    ) -> Money:
        """Multiply by ``rate`` and round to the minor unit as ``rounding`` says.

        ```pycon
        >>> Money.of("10.05").multiply("0.5")
        Money('5.03', 'CNY')
        >>> Money.of("10.05").multiply("0.5", Rounding.HALF_EVEN)
        Money('5.02', 'CNY')

        ```
        """
        numerator, denominator = parse_rate(rate)
        minor = divide_rounded(self.minor * numerator, denominator, parse_rounding(rounding))
        return Money._make(_check_range(minor), self.currency)

    # -- ordering ------------------------------------------------------------------------------

    def __lt__(self, other: Money) -> bool:
        if type(other) is not Money:
            return NotImplemented
        self._same_currency(other, "compare")
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        if type(other) is not Money:
            return NotImplemented
        self._same_currency(other, "compare")
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        if type(other) is not Money:
            return NotImplemented
        self._same_currency(other, "compare")
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        if type(other) is not Money:
            return NotImplemented
        self._same_currency(other, "compare")
        return self.minor >= other.minor

    # -- splitting -----------------------------------------------------------------------------

    def allocate(self, ratios: Sequence[Decimal | int | str]) -> list[Money]:
        """Split into parts proportional to ``ratios``, conserving the total to the minor unit.

        Each part first gets its proportional share rounded toward zero; the minor units left over
        go one each to the parts with the largest remainders (earlier parts win ties).

        Raises:
            InvalidRateError: no ratios, a negative ratio, all ratios zero, or a malformed ratio.
        """
        if isinstance(ratios, str | bytes):  # would split by character
            raise InvalidRateError(f"ratios must be a sequence of numbers, not {ratios!r}")
        if not ratios:
            raise InvalidRateError("allocate() needs at least one ratio")
        weights = [Fraction(*parse_rate(ratio, what="ratio")) for ratio in ratios]
        if any(weight < 0 for weight in weights):
            raise InvalidRateError(f"ratios must not be negative: {list(ratios)!r}")
        weight_total = sum(weights, Fraction(0))
        if weight_total == 0:
            raise InvalidRateError("ratios must not all be zero")
        magnitude = abs(self.minor)
        exact = [magnitude * weight / weight_total for weight in weights]
        shares = [int(share) for share in exact]  # floor: shares are non-negative
        leftover = magnitude - sum(shares)
        by_remainder = sorted(range(len(shares)), key=lambda i: (-(exact[i] - shares[i]), i))
        for index in by_remainder[:leftover]:
            shares[index] += 1
        sign = -1 if self.minor < 0 else 1
        return [Money._make(sign * share, self.currency) for share in shares]


_NEW: Final = object.__new__
_SET_MINOR: Final = Money.__dict__["minor"].__set__
_SET_CURRENCY: Final = Money.__dict__["currency"].__set__


def total(amounts: Iterable[Money], currency: str | None = None) -> Money:
    """Add up ``amounts`` exactly. ``currency`` is required when ``amounts`` may be empty.

    ```pycon
    >>> total([Money.of("1.10"), Money.of("2.20")])
    Money('3.30', 'CNY')
    >>> total([], "USD")
    Money('0.00', 'USD')

    ```

    Raises:
        CurrencyMismatchError: the amounts (or ``currency``) disagree.
        InvalidAmountError: ``amounts`` is empty and no ``currency`` was given.
    """
    minor = 0
    code = currency
    if code is not None:
        currency_exponent(code)
    if isinstance(amounts, Money) or not isinstance(amounts, Iterable):
        raise AmountTypeError(f"total() takes an iterable of Money, not {type(amounts).__name__}")
    for amount in amounts:
        if type(amount) is not Money:
            raise AmountTypeError(f"total() adds Money, not {type(amount).__name__}")
        if code is None:
            code = amount.currency
        elif amount.currency != code:
            raise CurrencyMismatchError(f"cannot total {code} and {amount.currency}")
        minor += amount.minor
    if code is None:
        raise InvalidAmountError("total() of no amounts needs a currency, e.g. total([], 'CNY')")
    return Money._make(_check_range(minor), code)
