"""The exceptions icbc-wallet raises.

Every error derives from :class:`WalletError`, so ``except WalletError`` catches everything the
library raises on purpose. Each error also inherits the builtin it resembles (``ValueError``,
``TypeError``, ``LookupError``), so code written against the builtins keeps working.

Exceptions are for bad input and broken invariants. A payment declined by a limit is *not* an
exception: it is a :class:`~icbc_wallet.domain.decisions.Declined` value.

Messages never contain card, ID or phone numbers in clear.
"""

from __future__ import annotations

__all__ = [
    "AmountOutOfRangeError",
    "AmountPrecisionError",
    "AmountTypeError",
    "CalendarOutOfRangeError",
    "CurrencyMismatchError",
    "DatetimeTypeError",
    "HoldStateError",
    "IdentityTypeError",
    "InsufficientFundsError",
    "InvalidAmountError",
    "InvalidBankCardError",
    "InvalidCreditCodeError",
    "InvalidDatetimeError",
    "InvalidFeeScheduleError",
    "InvalidIdentityError",
    "InvalidLimitScheduleError",
    "InvalidPhoneNumberError",
    "InvalidRateError",
    "InvalidRefundWindowError",
    "InvalidResidentIdError",
    "LedgerError",
    "NaiveDatetimeError",
    "UnbalancedEntryError",
    "UnknownCurrencyError",
    "UnknownOperationError",
    "UnknownPaymentMethodError",
    "UnknownTierError",
    "UnsupportedLocaleError",
    "WalletError",
]


class WalletError(Exception):
    """Root of every error raised by icbc-wallet on purpose."""


class InvalidAmountError(WalletError, ValueError):
    """An amount of money is malformed: not a number, not finite, signed zero, bad notation."""


class AmountTypeError(WalletError, TypeError):
    """An amount was given as a type that cannot carry exact money (``float``, ``bool``, ...)."""


class AmountPrecisionError(InvalidAmountError):
    """An amount has more decimal places than its currency allows and no rounding was asked for."""


class AmountOutOfRangeError(InvalidAmountError):
    """An amount (or the result of arithmetic) exceeds :data:`~icbc_wallet.domain.money.MAX_MINOR_UNITS`."""


class InvalidRateError(WalletError, ValueError):
    """A rate or ratio is malformed (float, NaN, negative where it must not be, ...)."""


class UnknownCurrencyError(WalletError, ValueError):
    """A currency code is not an ISO 4217 code known to py-moneyed."""


class CurrencyMismatchError(WalletError, TypeError):
    """An operation mixed two currencies. Convert explicitly first."""


class NaiveDatetimeError(WalletError, ValueError):
    """A datetime without a timezone was given where an instant is needed."""


class DatetimeTypeError(WalletError, TypeError):
    """Something other than a ``datetime`` (or ``date``) was given where one is needed."""


class InvalidDatetimeError(WalletError, ValueError):
    """An instant is impossible in context (for example a refund asked for before the payment)."""


class UnsupportedLocaleError(WalletError, ValueError):
    """A locale is unknown to Babel, so text cannot be formatted for it."""


class InvalidLimitScheduleError(WalletError, ValueError):
    """A limit schedule is inconsistent (for example a daily cap below the per-transaction cap)."""


class UnknownOperationError(WalletError, ValueError):
    """An operation kind or channel is not one of :mod:`icbc_wallet.domain.operations`' values."""


class UnknownPaymentMethodError(WalletError, ValueError):
    """A payment method is not one of :class:`~icbc_wallet.domain.limits.PaymentMethod`."""


class UnknownTierError(WalletError, LookupError):
    """A verification tier is not part of the limit schedule."""


class InvalidFeeScheduleError(WalletError, ValueError):
    """A fee rule or schedule is inconsistent (for example a minimum above the maximum)."""


class InvalidRefundWindowError(WalletError, ValueError):
    """A refund window is malformed (for example zero or negative days)."""


class CalendarOutOfRangeError(WalletError, LookupError):
    """The holiday calendar has no data for the requested year (China publishes each year in November)."""


class InvalidIdentityError(WalletError, ValueError):
    """A phone, resident ID, card or credit code is malformed. The message never repeats it."""


class InvalidPhoneNumberError(InvalidIdentityError):
    """A phone number is not a mainland China mobile number (IoT numbers included)."""


class InvalidResidentIdError(InvalidIdentityError):
    """A resident ID has the wrong form, a wrong check character or an impossible birth date."""


class InvalidBankCardError(InvalidIdentityError):
    """A bank card number is not 16 to 19 digits or fails the Luhn check."""


class InvalidCreditCodeError(InvalidIdentityError):
    """A Unified Social Credit Code has the wrong form or a check character that does not match."""


class IdentityTypeError(WalletError, TypeError):
    """An identity number was given as something other than a ``str`` (an ``int`` loses zeros)."""


class LedgerError(WalletError, ValueError):
    """A ledger rule was broken: a malformed account, posting, entry or hold, or a broken invariant."""


class UnbalancedEntryError(LedgerError):
    """A journal entry has fewer than two postings or its postings do not sum to exactly zero."""


class InsufficientFundsError(LedgerError):
    """A posting or hold would overdraw an account that may not go negative (a wallet, a merchant).

    The wallet declines such a payment beforehand with a ``Declined`` decision; reaching this
    error means an invariant was about to break, so nothing is changed.
    """


class HoldStateError(LedgerError):
    """An illegal hold transition: a closed hold changed, an over-capture, a capture after expiry."""
