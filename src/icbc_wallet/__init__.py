"""icbc-wallet: a typed domain library for an ICBC-style bank digital wallet.

The names here are the public API; everything else is importable from its module
(``icbc_wallet.domain.money``, ``icbc_wallet.presets.limits``, ...).

```pycon
>>> from icbc_wallet import Money, total
>>> total([Money.of("19.99"), Money.of("0.01")])
Money('20.00', 'CNY')

```
"""

from icbc_wallet.domain.calendar import (
    DEFAULT_BUSINESS_ZONE,
    FixedHolidays,
    HolidayCalendar,
    NoHolidays,
)
from icbc_wallet.domain.decisions import APPROVED, Approved, Decision, Declined, DeclineReason
from icbc_wallet.domain.fee_quotes import FeeLine, FeeQuote
from icbc_wallet.domain.fee_rules import FeeBracket, FeeCharging, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.holds import Hold, HoldStatus
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ledger import (
    AccountBalance,
    AccountId,
    AccountKind,
    JournalEntry,
    Posting,
    trial_balance,
)
from icbc_wallet.domain.limits import Limit, LimitSchedule, LimitWindow, PaymentMethod, TierLimits
from icbc_wallet.domain.money import DEFAULT_CURRENCY, MAX_MINOR_UNITS, Money, total
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.refunds import RefundCounting, RefundWindow
from icbc_wallet.domain.rounding import Rounding
from icbc_wallet.domain.usage import LimitUsage
from icbc_wallet.errors import (
    AmountOutOfRangeError,
    AmountPrecisionError,
    AmountTypeError,
    CalendarOutOfRangeError,
    CurrencyMismatchError,
    DatetimeTypeError,
    HoldStateError,
    IdentityTypeError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidBankCardError,
    InvalidCreditCodeError,
    InvalidDatetimeError,
    InvalidFeeScheduleError,
    InvalidIdentityError,
    InvalidLimitScheduleError,
    InvalidPhoneNumberError,
    InvalidRateError,
    InvalidRefundWindowError,
    InvalidResidentIdError,
    LedgerError,
    NaiveDatetimeError,
    UnbalancedEntryError,
    UnknownCurrencyError,
    UnknownOperationError,
    UnknownPaymentMethodError,
    UnknownTierError,
    UnsupportedLocaleError,
    WalletError,
)
from icbc_wallet.policies.limits import check_balance_cap, check_limit
from icbc_wallet.policies.refunds import check_refund, refundable

__version__ = "0.1.0"

__all__ = [
    "APPROVED",
    "DEFAULT_BUSINESS_ZONE",
    "DEFAULT_CURRENCY",
    "MAX_MINOR_UNITS",
    "AccountBalance",
    "AccountId",
    "AccountKind",
    "AmountOutOfRangeError",
    "AmountPrecisionError",
    "AmountTypeError",
    "Approved",
    "BankCard",
    "CalendarOutOfRangeError",
    "Channel",
    "CurrencyMismatchError",
    "DatetimeTypeError",
    "Decision",
    "DeclineReason",
    "Declined",
    "FeeBracket",
    "FeeCharging",
    "FeeLine",
    "FeeQuote",
    "FeeRule",
    "FeeSchedule",
    "FixedHolidays",
    "FreeQuota",
    "Hold",
    "HoldStateError",
    "HoldStatus",
    "HolidayCalendar",
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
    "JournalEntry",
    "LedgerError",
    "Limit",
    "LimitSchedule",
    "LimitUsage",
    "LimitWindow",
    "MerchantCreditCode",
    "Money",
    "NaiveDatetimeError",
    "NoHolidays",
    "OperationKind",
    "PaymentMethod",
    "PhoneNumber",
    "Posting",
    "QuotaPeriod",
    "RefundCounting",
    "RefundWindow",
    "ResidentId",
    "Rounding",
    "TierLimits",
    "UnbalancedEntryError",
    "UnknownCurrencyError",
    "UnknownOperationError",
    "UnknownPaymentMethodError",
    "UnknownTierError",
    "UnsupportedLocaleError",
    "Waiver",
    "WalletError",
    "check_balance_cap",
    "check_limit",
    "check_refund",
    "refundable",
    "total",
    "trial_balance",
]
