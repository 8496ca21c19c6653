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
from icbc_wallet.domain.categories import (
    Category,
)
from icbc_wallet.domain.decisions import (
    APPROVED,
    Approved,
    Decision,
    Declined,
    DeclineReason,
)
from icbc_wallet.domain.disputes import (
    Dispute,
    DisputeEvidence,
    DisputeOutcome,
    DisputeStatus,
    DisputeTerms,
)
from icbc_wallet.domain.fee_quotes import (
    FeeLine,
    FeeQuote,
)
from icbc_wallet.domain.fee_rules import (
    FeeBracket,
    FeeCharging,
    FeeRule,
    FreeQuota,
    QuotaPeriod,
)
from icbc_wallet.domain.fees import (
    FeeSchedule,
    Waiver,
)
from icbc_wallet.domain.headroom import (
    Headroom,
    WindowHeadroom,
    limit_headroom,
)
from icbc_wallet.domain.holds import (
    Hold,
    HoldStatus,
)
from icbc_wallet.domain.identity import (
    BankCard,
    MerchantCreditCode,
    PhoneNumber,
    ResidentId,
)
from icbc_wallet.domain.ids import (
    DisputeId,
    MerchantId,
    PaymentId,
    RefundId,
    RegistrationId,
    WalletId,
)
from icbc_wallet.domain.ledger import (
    AccountBalance,
    AccountId,
    AccountKind,
    JournalEntry,
    Posting,
    trial_balance,
)
from icbc_wallet.domain.limit_increase import (
    IncreaseApproved,
    IncreaseDeclined,
    LimitGrant,
    LimitIncreaseRequest,
    LimitIncreaseTerms,
    TransactionHistory,
)
from icbc_wallet.domain.limits import (
    Limit,
    LimitSchedule,
    LimitWindow,
    PaymentMethod,
    TierLimits,
)
from icbc_wallet.domain.money import (
    DEFAULT_CURRENCY,
    MAX_MINOR_UNITS,
    Money,
    total,
)
from icbc_wallet.domain.operations import (
    Channel,
    OperationKind,
)
from icbc_wallet.domain.refund_requests import (
    RefundRequest,
    RefundRequestStatus,
)
from icbc_wallet.domain.refunds import (
    RefundCounting,
    RefundWindow,
)
from icbc_wallet.domain.registration import (
    Evidence,
    Registration,
    RegistrationStep,
)
from icbc_wallet.domain.rounding import (
    Rounding,
)
from icbc_wallet.domain.statements import (
    EntryKind,
    Period,
    Statement,
    StatementLine,
)
from icbc_wallet.domain.tiers import (
    TierPolicy,
    TierRule,
)
from icbc_wallet.domain.usage import (
    LimitUsage,
)
from icbc_wallet.errors import (
    AmountOutOfRangeError,
    AmountPrecisionError,
    AmountTypeError,
    CalendarOutOfRangeError,
    CardNotBoundError,
    ConcurrencyError,
    CorruptStateError,
    CurrencyMismatchError,
    DatetimeTypeError,
    DisputeStateError,
    HoldStateError,
    IdempotencyConflict,
    IdentityTypeError,
    InsufficientEvidenceError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidBankCardError,
    InvalidCreditCodeError,
    InvalidDatetimeError,
    InvalidFeeScheduleError,
    InvalidHashError,
    InvalidHolderNameError,
    InvalidIdentityError,
    InvalidIdError,
    InvalidLimitIncreaseError,
    InvalidLimitScheduleError,
    InvalidMerchantError,
    InvalidPeriodError,
    InvalidPhoneNumberError,
    InvalidPolicyError,
    InvalidRateError,
    InvalidRefundWindowError,
    InvalidResidentIdError,
    InvalidStatementError,
    InvalidTextError,
    InvalidTierPolicyError,
    InvalidTimeLimitError,
    LedgerError,
    LimitChoiceError,
    MissingExtraError,
    NaiveDatetimeError,
    NotFoundError,
    PaymentStateError,
    RefundStateError,
    RegistrationStateError,
    SecretTypeError,
    StorageUnavailableError,
    TextTypeError,
    UnbalancedEntryError,
    UnknownCategoryError,
    UnknownCurrencyError,
    UnknownOperationError,
    UnknownPaymentMethodError,
    UnknownTierError,
    UnsupportedLocaleError,
    VerificationFailedError,
    WalletClosedError,
    WalletError,
    WalletStateError,
    WeakPasswordError,
)
from icbc_wallet.policies.disputes import (
    check_dispute_opening,
)
from icbc_wallet.policies.limit_increase import (
    effective_limits,
    review_limit_increase,
)
from icbc_wallet.policies.limits import (
    check_balance_cap,
    check_limit,
)
from icbc_wallet.policies.refunds import (
    check_refund,
    refundable,
)
from icbc_wallet.policies.tiers import (
    assign_tier,
    choose_limits,
)
from icbc_wallet.service import (
    OperationResult,
    WalletPolicies,
    WalletService,
)
from icbc_wallet.service.dispatcher import (
    EventDispatcher,
)
from icbc_wallet.wallet import (
    Merchant,
    Owner,
    Payment,
    Wallet,
    WalletStatus,
)

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
    "CardNotBoundError",
    "Category",
    "Channel",
    "ConcurrencyError",
    "CorruptStateError",
    "CurrencyMismatchError",
    "DatetimeTypeError",
    "Decision",
    "DeclineReason",
    "Declined",
    "Dispute",
    "DisputeEvidence",
    "DisputeId",
    "DisputeOutcome",
    "DisputeStateError",
    "DisputeStatus",
    "DisputeTerms",
    "EntryKind",
    "EventDispatcher",
    "Evidence",
    "FeeBracket",
    "FeeCharging",
    "FeeLine",
    "FeeQuote",
    "FeeRule",
    "FeeSchedule",
    "FixedHolidays",
    "FreeQuota",
    "Headroom",
    "Hold",
    "HoldStateError",
    "HoldStatus",
    "HolidayCalendar",
    "IdempotencyConflict",
    "IdentityTypeError",
    "IncreaseApproved",
    "IncreaseDeclined",
    "InsufficientEvidenceError",
    "InsufficientFundsError",
    "InvalidAmountError",
    "InvalidBankCardError",
    "InvalidCreditCodeError",
    "InvalidDatetimeError",
    "InvalidFeeScheduleError",
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
    "InvalidResidentIdError",
    "InvalidStatementError",
    "InvalidTextError",
    "InvalidTierPolicyError",
    "InvalidTimeLimitError",
    "JournalEntry",
    "LedgerError",
    "Limit",
    "LimitChoiceError",
    "LimitGrant",
    "LimitIncreaseRequest",
    "LimitIncreaseTerms",
    "LimitSchedule",
    "LimitUsage",
    "LimitWindow",
    "Merchant",
    "MerchantCreditCode",
    "MerchantId",
    "MissingExtraError",
    "Money",
    "NaiveDatetimeError",
    "NoHolidays",
    "NotFoundError",
    "OperationKind",
    "OperationResult",
    "Owner",
    "Payment",
    "PaymentId",
    "PaymentMethod",
    "PaymentStateError",
    "Period",
    "PhoneNumber",
    "Posting",
    "QuotaPeriod",
    "RefundCounting",
    "RefundId",
    "RefundRequest",
    "RefundRequestStatus",
    "RefundStateError",
    "RefundWindow",
    "Registration",
    "RegistrationId",
    "RegistrationStateError",
    "RegistrationStep",
    "ResidentId",
    "Rounding",
    "SecretTypeError",
    "Statement",
    "StatementLine",
    "StorageUnavailableError",
    "TextTypeError",
    "TierLimits",
    "TierPolicy",
    "TierRule",
    "TransactionHistory",
    "UnbalancedEntryError",
    "UnknownCategoryError",
    "UnknownCurrencyError",
    "UnknownOperationError",
    "UnknownPaymentMethodError",
    "UnknownTierError",
    "UnsupportedLocaleError",
    "VerificationFailedError",
    "Waiver",
    "Wallet",
    "WalletClosedError",
    "WalletError",
    "WalletId",
    "WalletPolicies",
    "WalletService",
    "WalletStateError",
    "WalletStatus",
    "WeakPasswordError",
    "WindowHeadroom",
    "assign_tier",
    "check_balance_cap",
    "check_dispute_opening",
    "check_limit",
    "check_refund",
    "choose_limits",
    "effective_limits",
    "limit_headroom",
    "refundable",
    "review_limit_increase",
    "total",
    "trial_balance",
]
