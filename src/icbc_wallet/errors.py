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
    "AlreadyRegisteredError",
    "AmountOutOfRangeError",
    "AmountPrecisionError",
    "AmountTypeError",
    "AuthRequestTypeError",
    "CalendarOutOfRangeError",
    "CardNotBoundError",
    "CipherTypeError",
    "ConcurrencyError",
    "CorruptStateError",
    "CurrencyMismatchError",
    "DatetimeTypeError",
    "DecryptionError",
    "DisputeStateError",
    "HoldStateError",
    "IdempotencyConflict",
    "IdentityTypeError",
    "InsufficientEvidenceError",
    "InsufficientFundsError",
    "InvalidAmountError",
    "InvalidAuthRequestError",
    "InvalidAuthenticationRulesError",
    "InvalidBankCardError",
    "InvalidCipherKeyError",
    "InvalidCreditCodeError",
    "InvalidDatetimeError",
    "InvalidFeeScheduleError",
    "InvalidFrameError",
    "InvalidHashError",
    "InvalidHolderNameError",
    "InvalidIdError",
    "InvalidIdentityError",
    "InvalidLimitIncreaseError",
    "InvalidLimitScheduleError",
    "InvalidMerchantError",
    "InvalidPeriodError",
    "InvalidPhoneNumberError",
    "InvalidPolicyError",
    "InvalidRateError",
    "InvalidRefundWindowError",
    "InvalidReplayError",
    "InvalidResidentIdError",
    "InvalidRiskRulesError",
    "InvalidSimulationError",
    "InvalidStatementError",
    "InvalidSweepLimitError",
    "InvalidTextError",
    "InvalidTierPolicyError",
    "InvalidTimeLimitError",
    "LedgerError",
    "LimitChoiceError",
    "MissingExtraError",
    "NaiveDatetimeError",
    "NotFoundError",
    "PaymentStateError",
    "RefundStateError",
    "RegistrationStateError",
    "RiskInputTypeError",
    "RowsNotKeptError",
    "SchemaVersionError",
    "SecretTypeError",
    "SecurityStateError",
    "StorageUnavailableError",
    "TextTypeError",
    "TooManyAttemptsError",
    "TransactionFileError",
    "UnbalancedEntryError",
    "UnknownCategoryError",
    "UnknownCurrencyError",
    "UnknownFactorError",
    "UnknownOperationError",
    "UnknownPaymentMethodError",
    "UnknownTierError",
    "UnsupportedLocaleError",
    "VerificationFailedError",
    "WalletClosedError",
    "WalletError",
    "WalletStateError",
    "WeakPasswordError",
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


class InvalidIdError(WalletError, ValueError):
    """An identifier (wallet, payment, idempotency key, ...) is empty, too long or not printable ASCII."""


class UnknownCategoryError(WalletError, ValueError):
    """A payment category is not one of :class:`~icbc_wallet.domain.categories.Category`'s values."""


class RefundStateError(WalletError, ValueError):
    """An illegal refund request transition: an answer after the deadline, a change once answered."""


class DisputeStateError(WalletError, ValueError):
    """An illegal dispute transition: a late response, a decision too early, a change once closed."""


class InvalidTextError(WalletError, ValueError):
    """A free-text field (a reason, an order number, a description) is empty, too long or has control characters."""


class TextTypeError(WalletError, TypeError):
    """A free-text field was given as something other than a ``str``."""


class InvalidTimeLimitError(WalletError, ValueError):
    """A time allowed for an answer, a response or a decision is not a positive ``timedelta`` within bounds."""


class InvalidLimitIncreaseError(WalletError, ValueError):
    """A limit increase request, grant, history or terms is malformed (for example a "raise" to lower caps)."""


class InvalidPeriodError(WalletError, ValueError):
    """A statement or history period is empty or reversed, or its month or day does not exist."""


class InvalidStatementError(WalletError, ValueError):
    """A statement line or statement is inconsistent: a line outside the period, a wrong sign, bad order."""


class RegistrationStateError(WalletError, ValueError):
    """A registration step was taken out of order, or anything was changed after it was submitted."""


class InvalidHolderNameError(InvalidIdentityError):
    """A holder's name is empty, longer than 50 characters, or has digits or control characters."""


class WeakPasswordError(WalletError, ValueError):
    """A payment password does not meet the rules. The message never repeats it.

    Attributes:
        reason: which rule, a stable code: ``format`` (not six ASCII digits), ``all_same``,
            ``sequence`` (an ascending or descending run), ``birth_date``, ``id_last_six``,
            ``phone_last_six``.
    """

    def __init__(self, message: str, *, reason: str = "format") -> None:
        super().__init__(message)
        self.reason = reason


class SecretTypeError(WalletError, TypeError):
    """A password, answer, code or stored hash was given as something other than a ``str``."""


class InvalidHashError(WalletError, ValueError):
    """A stored secret hash is malformed, or a hasher's cost parameters are unusable."""


class InvalidTierPolicyError(WalletError, ValueError):
    """A tier policy is inconsistent: no rules, a repeated evidence set, rules out of order."""


class InsufficientEvidenceError(WalletError, ValueError):
    """The verified evidence does not meet any rule of the tier policy, not even the lowest."""


class LimitChoiceError(WalletError, ValueError):
    """A chosen limit is above what the verification tier allows in some window."""


class WalletStateError(WalletError, ValueError):
    """The wallet cannot do that in its state (closed, frozen, a card bound twice, money left at closing)."""


class WalletClosedError(WalletStateError):
    """The wallet is closed: nothing may change it any more."""


class CardNotBoundError(WalletError, LookupError):
    """The bank card is not bound to the wallet."""


class NotFoundError(WalletError, LookupError):
    """No wallet, merchant, payment, refund, dispute or registration has that id."""


class IdempotencyConflict(WalletError, ValueError):  # noqa: N818  # the name the issue and DESIGN.md use
    """An idempotency key was reused with different parameters; the first command stands."""


class ConcurrencyError(WalletError, RuntimeError):
    """Another unit of work changed the same aggregate first; retry the command."""


class StorageUnavailableError(WalletError, ConnectionError):
    """The database could not be reached or dropped the connection; the command may be retried.

    If it happened while committing, the command may or may not have been applied: retry it
    with the same idempotency key, which applies it at most once.
    """


class CorruptStateError(WalletError, RuntimeError):
    """Stored data fails its checks (a tampered row, a balance that differs from its account).

    Raised instead of returning the data; the database needs an operator, not a retry.
    """


class SchemaVersionError(WalletError, RuntimeError):
    """A database was written by a newer version of the library; upgrade before opening it."""


class InvalidPolicyError(WalletError, ValueError):
    """A policy set is inconsistent: a tier the limits lack, fee schedules in another currency, a bad duration."""


class InvalidMerchantError(WalletError, ValueError):
    """A merchant is malformed: an empty or overlong name."""


class PaymentStateError(WalletError, ValueError):
    """A payment cannot do that now: capture or void of a closed hold, a bad capture amount."""


class VerificationFailedError(WalletError, ValueError):
    """A verifier did not confirm what was claimed: a wrong one-time code, an ID the public-security check rejects, a card the bank does not confirm."""


class TooManyAttemptsError(WalletError, ValueError):
    """Too many one-time codes asked for or wrong codes tried for one phone; wait and try again."""


class InvalidSweepLimitError(WalletError, ValueError):
    """A sweep's or dispatcher's batch size is not an int from 1 to 10,000."""


class AlreadyRegisteredError(WalletError, ValueError):
    """The phone number or resident ID of a registration already holds a wallet: one person, one wallet."""


class DecryptionError(WalletError, ValueError):
    """A ciphertext cannot be decrypted: altered, cut short, sealed for another context or with a key not held.

    An altered key id looks like a key not held, so tampering and a missing key raise this one
    error (naming the key id, never a key). A store reading such a document raises
    :class:`CorruptStateError` from it.
    """


class InvalidCipherKeyError(WalletError, ValueError):
    """A cipher's keys are unusable: no keys, a key of the wrong length, a malformed key id, an unknown current key."""


class CipherTypeError(WalletError, TypeError):
    """A key, key id, plaintext, ciphertext or context was given to a cipher as something other than ``bytes``/``str``."""


class SecurityStateError(WalletError, ValueError):
    """A security step out of order: confirming an authenticator never enrolled, and the like."""


class InvalidRiskRulesError(WalletError, ValueError):
    """Risk rules are malformed: a bad window, multiplier, hour or amount, or an unknown key.

    The message names the rule and the key (``velocity_count.window_seconds``).
    """


class RiskInputTypeError(WalletError, TypeError):
    """A risk request or customer activity was built from the wrong types (``approved`` not a bool, ...)."""


class UnknownFactorError(WalletError, ValueError):
    """An authentication factor is not one of :class:`~icbc_wallet.domain.factors.Factor`'s values."""


class InvalidAuthenticationRulesError(WalletError, ValueError):
    """Authentication rules are inconsistent or malformed: caps out of order, an unknown key or factor.

    The message names the key (``minimum_kinds.pay``).
    """


class InvalidAuthRequestError(WalletError, ValueError):
    """An authentication request is inconsistent: a payment without an amount, a login with one, a negative total."""


class AuthRequestTypeError(WalletError, TypeError):
    """An authentication request was built from the wrong types (``password_locked`` not a bool, ...)."""


class InvalidFrameError(WalletError, ValueError):
    """A DataFrame given to an analysis helper lacks a column it needs; the message lists its columns."""


class MissingExtraError(WalletError, ImportError):
    """An optional package is not installed; the message names the extra that brings it.

    Raised by the notebook and analysis helpers (``Statement.to_dataframe()``, the plots) when
    pandas or matplotlib is missing: ``pip install 'icbc-wallet[analysis]'`` installs them.
    """


class TransactionFileError(WalletError, ValueError):
    """A transaction file cannot be read as a whole: unknown suffix, missing column, not UTF-8.

    A bad row is not an error: the reader reports it as a ``RowError`` value and goes on.
    """


class InvalidReplayError(WalletError, ValueError):
    """A replay or a synthetic transaction file was asked for with arguments that make no sense."""


class InvalidSimulationError(WalletError, ValueError):
    """A simulation was configured with values that make no sense (days, customers, merchants, seed)."""


class RowsNotKeptError(WalletError, LookupError):
    """A replay's rows were asked for, but the replay did not keep them (``keep_rows=False``)."""
