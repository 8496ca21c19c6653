"""Identity: the numbers that name a person, a card or a merchant, validated and masked.

- :class:`PhoneNumber`: a mainland China mobile number, ``1[3-9]`` and nine digits; a ``+86`` or
  ``0086`` prefix is dropped; 13-digit IoT (machine) numbers are not personal and are refused.
- :class:`ResidentId`: an 18-character resident ID card number (GB 11643-1999): 6-digit region,
  birth date YYYYMMDD, 3-digit sequence, check character. 15-digit numbers are refused; the region
  is not looked up in a table (division codes change every year; a stale table refuses people).
- :class:`BankCard`: a card number (PAN) of 16 to 19 digits passing the Luhn check, UnionPay when
  its IIN starts with ``62``. It never holds a CVV or an expiry date.
- :class:`MerchantCreditCode`: a merchant's Unified Social Credit Code (GB 32100-2015), 18
  characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` ending in a check character.

Each is a frozen value object, equal and hashed on its normalised value, built by ``parse``. Bad
input raises a subclass of :class:`~icbc_wallet.errors.InvalidIdentityError` (a ``ValueError``);
anything but a ``str`` raises :class:`~icbc_wallet.errors.IdentityTypeError` (a ``TypeError``).

Privacy. ``repr()``, ``str()`` and ``format()`` show masked forms only, and error messages say what
is wrong without repeating the input:

- phone: first 3 and last 4 digits, ``138****8000``, as Chinese apps show it;
- resident ID: first 3 and last 2 characters, ``340*************1X``, never the birth date;
- bank card: last 4 digits only, always ``**** **** **** 8888``, so neither length nor issuer
  shows (ask ``is_unionpay`` when that is what you need);
- credit code: in full. It is public business data, printed on the business licence and published
  in the national enterprise credit register.

Only the explicit ``reveal()`` returns the full value. It is kept in a private attribute, so it
still travels in ``pickle``, ``attrs.asdict`` and ``attrs.astuple``: treat their output as clear.
``ResidentId.birth_date`` and the ``last_six`` properties are personal data too.

Why not python-stdnum: each check here is a few lines, while stdnum's ``cn.ric`` raises
``KeyError`` from its region table for a valid number and every call would need wrapping so that
only our errors escape. The algorithms are implemented here, tested on the published vectors and
by properties, with no new dependency.

```pycon
>>> PhoneNumber.parse("+8613800138000")
<PhoneNumber 138****8000>
>>> card = BankCard.parse("6225768888888888")
>>> f"{card}", card.is_unionpay, card.reveal()
('**** **** **** 8888', True, '6225768888888888')

```
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final

import attrs

from icbc_wallet.errors import (
    DatetimeTypeError,
    IdentityTypeError,
    InvalidBankCardError,
    InvalidCreditCodeError,
    InvalidPhoneNumberError,
    InvalidResidentIdError,
)

__all__ = ["BankCard", "MerchantCreditCode", "PhoneNumber", "ResidentId"]

# Explicit ASCII classes: \d would also match full-width and other scripts' digits.
_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
_PHONE_PREFIX: Final = re.compile(r"\A(?:\+86|0086)")
_IOT: Final = re.compile(r"1[0-9]{12}")
_RESIDENT_ID: Final = re.compile(r"[0-9]{17}[0-9X]")
_CARD: Final = re.compile(r"[0-9]{16,19}")
_RESIDENT_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECKS: Final = "10X98765432"
_CREDIT_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES: Final = {char: value for value, char in enumerate(_CREDIT_CHARSET)}
_CREDIT_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
_EARLIEST_BIRTH: Final = date(1800, 1, 1)


def _require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise IdentityTypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


def _resident_check(body: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(body, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECKS[total % 11]


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:  # every second digit from the right is doubled
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _credit_check(body: str) -> str:
    total = sum(
        _CREDIT_VALUES[char] * weight for char, weight in zip(body, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_CHARSET[(31 - total % 31) % 31]


class _ShownAsStr:
    """``format()`` and ``repr()`` go through ``str()``, the masked form; nothing else is shown."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


def _validate_phone(_instance: object, _attribute: object, value: str) -> None:
    digits = _require_str(value, "phone number")
    if _MOBILE.fullmatch(digits):
        return
    if _IOT.fullmatch(digits):
        raise InvalidPhoneNumberError(
            "phone number has 13 digits: an IoT (machine) number is not a personal mobile number"
        )
    raise InvalidPhoneNumberError(
        f"phone number is not a mainland mobile number ({len(digits)} characters): expected 11 "
        "ASCII digits starting 13 to 19, optionally after +86 or 0086, with no spaces"
    )


@attrs.frozen(repr=False)
class PhoneNumber(_ShownAsStr):
    """A mainland China mobile number, shown as ``138****8000``.

    Build it with :meth:`parse`. The constructor takes only the bare 11 digits.
    """

    _digits: str = attrs.field(repr=False, validator=_validate_phone)

    @classmethod
    def parse(cls, text: str) -> PhoneNumber:
        """Parse a mobile number, with or without a ``+86`` or ``0086`` prefix.

        Raises:
            IdentityTypeError: ``text`` is not a ``str``.
            InvalidPhoneNumberError: not 11 digits of a mainland mobile number (landlines, IoT
                numbers, spaces and full-width digits included).
        """
        digits = _PHONE_PREFIX.sub("", _require_str(text, "phone number"), count=1)
        return cls(digits)

    def reveal(self) -> str:
        """Return the full 11 digits. Personal data: do not log it."""
        return self._digits

    @property
    def last_six(self) -> str:
        """The last six digits, which a payment password must not be. Personal data."""
        return self._digits[-6:]

    def __str__(self) -> str:
        return f"{self._digits[:3]}****{self._digits[-4:]}"


def _birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _validate_resident_id(_instance: object, _attribute: object, value: str) -> None:
    text = _require_str(value, "resident ID")
    if not _RESIDENT_ID.fullmatch(text):
        raise InvalidResidentIdError(
            f"resident ID must be 17 ASCII digits and a check digit or X, 18 characters in all "
            f"(got {len(text)} characters)"
        )
    if _resident_check(text[:17]) != text[17]:
        raise InvalidResidentIdError(
            "resident ID check character does not match: a character is mistyped"
        )
    try:
        born = _birth_date(text)
    except ValueError:
        raise InvalidResidentIdError("resident ID birth date is not a real date") from None
    if born < _EARLIEST_BIRTH:
        raise InvalidResidentIdError(f"resident ID birth date is before {_EARLIEST_BIRTH.year}")


@attrs.frozen(repr=False)
class ResidentId(_ShownAsStr):
    """A resident identity card number, shown as ``340*************1X``.

    Build it with :meth:`parse`. The constructor takes only the normalised 18 characters.
    """

    _number: str = attrs.field(repr=False, validator=_validate_resident_id)

    @classmethod
    def parse(cls, text: str, *, today: date | None = None) -> ResidentId:
        """Parse an 18-character resident ID; a lower-case ``x`` check character becomes ``X``.

        The domain never reads the clock, so "the birth date is not in the future" is checked only
        when ``today`` is given: pass the current date in the business zone.

        ```pycon
        >>> ResidentId.parse("34052419800101001X", today=date(1979, 12, 31))
        Traceback (most recent call last):
        ...
        icbc_wallet.errors.InvalidResidentIdError: resident ID birth date is after today (1979-12-31)

        ```

        Raises:
            IdentityTypeError: ``text`` is not a ``str``.
            DatetimeTypeError: ``today`` is not a ``date`` (a ``datetime`` is refused: its date
                depends on a zone).
            InvalidResidentIdError: wrong length or characters, a check character that does not
                match, a birth date that does not exist, is before 1800 or is after ``today``.
        """
        text = _require_str(text, "resident ID")
        if today is not None and (isinstance(today, datetime) or not isinstance(today, date)):
            raise DatetimeTypeError(
                f"today must be a date, not {type(today).__name__}; pass the business date"
            )
        if len(text) == 18 and text[17] == "x":
            text = text[:17] + "X"
        resident = cls(text)
        if today is not None and resident.birth_date > today:
            raise InvalidResidentIdError(f"resident ID birth date is after today ({today})")
        return resident

    def reveal(self) -> str:
        """Return the full 18 characters. Personal data: do not log it."""
        return self._number

    @property
    def birth_date(self) -> date:
        """The birth date written in the number. Personal data."""
        return _birth_date(self._number)

    @property
    def last_six(self) -> str:
        """The last six characters, which a payment password must not be. Personal data."""
        return self._number[-6:]

    def __str__(self) -> str:
        return f"{self._number[:3]}{'*' * 13}{self._number[-2:]}"


def _validate_card(_instance: object, _attribute: object, value: str) -> None:
    digits = _require_str(value, "bank card number")
    if not _CARD.fullmatch(digits):
        raise InvalidBankCardError(
            f"bank card number must be 16 to 19 ASCII digits with no spaces "
            f"(got {len(digits)} characters)"
        )
    if not _luhn_valid(digits):
        raise InvalidBankCardError("bank card number fails the Luhn check: a digit is mistyped")


@attrs.frozen(repr=False)
class BankCard(_ShownAsStr):
    """A bank card number (PAN), shown as ``**** **** **** 8888``.

    There is deliberately no place for a CVV or an expiry date: they must never be stored.
    """

    _digits: str = attrs.field(repr=False, validator=_validate_card)

    @classmethod
    def parse(cls, text: str) -> BankCard:
        """Parse a card number of 16 to 19 digits with a valid Luhn check digit.

        Raises:
            IdentityTypeError: ``text`` is not a ``str``.
            InvalidBankCardError: not 16 to 19 ASCII digits (spaces are refused: strip a
                display grouping before parsing), or the Luhn check fails.
        """
        return cls(_require_str(text, "bank card number"))

    def reveal(self) -> str:
        """Return the full card number. Cardholder data: do not log or store it in clear."""
        return self._digits

    @property
    def is_unionpay(self) -> bool:
        """True when the issuer identification number starts with 62 (China UnionPay)."""
        return self._digits.startswith("62")

    @property
    def last_four(self) -> str:
        """The last four digits, which receipts and apps show (尾号)."""
        return self._digits[-4:]

    def __str__(self) -> str:
        return f"**** **** **** {self._digits[-4:]}"


def _check_credit_code(code: str, *, allow_bad_checksum: bool) -> None:
    if not isinstance(allow_bad_checksum, bool):
        raise IdentityTypeError(
            f"allow_bad_checksum must be a bool, not {type(allow_bad_checksum).__name__}"
        )
    if len(code) != 18:
        raise InvalidCreditCodeError(f"credit code must be 18 characters, not {len(code)}")
    if not all(char in _CREDIT_VALUES for char in code):
        raise InvalidCreditCodeError(
            "credit code may use only ASCII digits and upper-case letters other than I, O, S, V "
            "and Z, with no spaces"
        )
    if not allow_bad_checksum and _credit_check(code[:17]) != code[17]:
        raise InvalidCreditCodeError(
            "credit code check character does not match: a character is mistyped; some real "
            "pilot-era codes fail it and are accepted only with allow_bad_checksum=True"
        )


@attrs.frozen(repr=False)
class MerchantCreditCode(_ShownAsStr):
    """A merchant's Unified Social Credit Code, shown in full (it is public business data).

    Attributes:
        allow_bad_checksum: the code was accepted with the checksum override; the object records
            it so that a bad-checksum code can be found and reviewed later. Not part of equality.
    """

    _code: str = attrs.field(repr=False)
    allow_bad_checksum: bool = attrs.field(default=False, kw_only=True, eq=False)

    def __attrs_post_init__(self) -> None:
        _check_credit_code(
            _require_str(self._code, "credit code"), allow_bad_checksum=self.allow_bad_checksum
        )

    @classmethod
    def parse(cls, text: str, *, allow_bad_checksum: bool = False) -> MerchantCreditCode:
        """Parse an 18-character code; ASCII lower-case letters are upper-cased.

        ```pycon
        >>> MerchantCreditCode.parse("91110000600037341L").checksum_valid
        True
        >>> MerchantCreditCode.parse("91110000600037341A", allow_bad_checksum=True)
        MerchantCreditCode('91110000600037341A', allow_bad_checksum=True)

        ```

        Args:
            text: the code.
            allow_bad_checksum: accept a code whose check character does not match, as some real
                pilot-era codes do. Use it only for codes confirmed by the register.

        Raises:
            IdentityTypeError: ``text`` is not a ``str`` or ``allow_bad_checksum`` not a ``bool``.
            InvalidCreditCodeError: wrong length or characters, or a check character that does
                not match without the override.
        """
        text = _require_str(text, "credit code")
        return cls(text.upper() if text.isascii() else text, allow_bad_checksum=allow_bad_checksum)

    def reveal(self) -> str:
        """Return the code; the same as ``str()``, kept for symmetry with the personal values."""
        return self._code

    @property
    def checksum_valid(self) -> bool:
        """False only for a code accepted through ``allow_bad_checksum``."""
        return _credit_check(self._code[:17]) == self._code[17]

    def __str__(self) -> str:
        return self._code

    def __repr__(self) -> str:
        override = ", allow_bad_checksum=True" if self.allow_bad_checksum else ""
        return f"MerchantCreditCode({self._code!r}{override})"
