"""Decisions: the outcome of a policy check, as a value.

A declined payment is a normal outcome, not an error. Policies return :class:`Approved` or
:class:`Declined`; a ``Declined`` carries a :class:`DeclineReason` from a closed set, with a stable
code and messages in English and Chinese, plus the numbers that explain it (the limit, how much of
it is used, how much remains, the deadline that passed).

```pycon
>>> decision = Declined(DeclineReason.DAILY_LIMIT, limit=Money.of(1000), used=Money.of(900),
...                     remaining=Money.of(100))
>>> decision.approved, decision.reason.code
(False, 'limit.daily')
>>> decision.reason.message("zh")
'超出日累计限额'

```
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Final, Literal, NoReturn

import attrs

from icbc_wallet.domain import _html
from icbc_wallet.domain.money import Money

__all__ = ["APPROVED", "Approved", "Decision", "DeclineReason", "Declined"]


class DeclineReason(Enum):
    """Why a policy said no. The value is a stable code: store it, match on it, never parse text."""

    PER_TRANSACTION_LIMIT = "limit.per_transaction"
    DAILY_LIMIT = "limit.daily"
    MONTHLY_LIMIT = "limit.monthly"
    ANNUAL_LIMIT = "limit.annual"
    LIFETIME_LIMIT = "limit.lifetime"
    BALANCE_CAP = "limit.balance_cap"
    METHOD_NOT_ALLOWED = "limit.method_not_allowed"
    REFUND_WINDOW_CLOSED = "refund.window_closed"
    REFUND_EXCEEDS_REFUNDABLE = "refund.exceeds_refundable"
    INSUFFICIENT_FUNDS = "wallet.insufficient_funds"
    WALLET_FROZEN = "wallet.frozen"
    RECIPIENT_UNAVAILABLE = "transfer.recipient_unavailable"
    DISPUTE_NOT_REFUSED = "dispute.not_refused"
    DISPUTE_ALREADY_OPEN = "dispute.already_open"
    DISPUTE_WINDOW_CLOSED = "dispute.window_closed"
    INCREASE_TIER_NOT_ELIGIBLE = "increase.tier_not_eligible"
    INCREASE_ACCOUNT_TOO_NEW = "increase.account_too_new"
    INCREASE_TOO_FEW_PAYMENTS = "increase.too_few_payments"
    INCREASE_TOO_MANY_DECLINES = "increase.too_many_declines"
    INCREASE_DISPUTES_LOST = "increase.disputes_lost"
    INCREASE_ABOVE_MAXIMUM = "increase.above_maximum"
    AUTHENTICATION_REQUIRED = "auth.challenge_required"
    AUTHENTICATION_DENIED = "auth.denied"
    RISK_DENIED = "risk.denied"

    @property
    def code(self) -> str:
        """The stable machine code, e.g. ``"limit.daily"``."""
        return self.value

    def message(self, language: Literal["en", "zh"] = "en") -> str:
        """A short human message in English (``"en"``) or Simplified Chinese (``"zh"``)."""
        english, chinese = _MESSAGES[self]
        return chinese if language == "zh" else english


_MESSAGES: Final[dict[DeclineReason, tuple[str, str]]] = {
    DeclineReason.PER_TRANSACTION_LIMIT: ("Exceeds the per-transaction limit", "超出单笔限额"),
    DeclineReason.DAILY_LIMIT: ("Exceeds the daily cumulative limit", "超出日累计限额"),
    DeclineReason.MONTHLY_LIMIT: ("Exceeds the monthly cumulative limit", "超出月累计限额"),
    DeclineReason.ANNUAL_LIMIT: ("Exceeds the annual cumulative limit", "超出年累计限额"),
    DeclineReason.LIFETIME_LIMIT: (
        "Exceeds the cumulative limit since the account was opened",
        "超出开户以来累计限额",
    ),
    DeclineReason.BALANCE_CAP: ("The balance would exceed its cap", "余额将超出上限"),
    DeclineReason.METHOD_NOT_ALLOWED: (
        "This payment method is not available at this verification level",
        "当前认证等级不支持该支付方式",
    ),
    DeclineReason.REFUND_WINDOW_CLOSED: ("The refund window has closed", "已超过退款期限"),
    DeclineReason.REFUND_EXCEEDS_REFUNDABLE: (
        "The refund exceeds the amount still refundable",
        "退款金额超出可退金额",
    ),
    DeclineReason.INCREASE_TIER_NOT_ELIGIBLE: (
        "This verification level cannot apply for a limit increase",
        "当前认证等级不能申请提高限额",
    ),
    DeclineReason.INCREASE_ACCOUNT_TOO_NEW: (
        "The account is too new for a limit increase",
        "开户时间不足，暂不能提高限额",
    ),
    DeclineReason.INCREASE_TOO_FEW_PAYMENTS: (
        "Too few recent payments for a limit increase",
        "近期支付笔数不足，暂不能提高限额",
    ),
    DeclineReason.INCREASE_TOO_MANY_DECLINES: (
        "Too many recently declined transactions",
        "近期被拒绝的交易过多",
    ),
    DeclineReason.INCREASE_DISPUTES_LOST: (
        "Disputes have been decided against the customer",
        "存在裁定不利于用户的纠纷记录",
    ),
    DeclineReason.INCREASE_ABOVE_MAXIMUM: (
        "The requested limit is above the most that can be granted",
        "申请的限额超过可批准的上限",
    ),
    DeclineReason.AUTHENTICATION_REQUIRED: (
        "More verification is needed: confirm with another factor",
        "需要进一步验证身份",
    ),
    DeclineReason.AUTHENTICATION_DENIED: (
        "The verification did not allow this operation",
        "身份验证未通过",
    ),
    DeclineReason.RISK_DENIED: (
        "Stopped by risk monitoring; contact the bank",
        "交易存在风险，已被拦截，请联系银行",
    ),
    DeclineReason.INSUFFICIENT_FUNDS: (
        "Not enough money available in the wallet",
        "钱包可用余额不足",
    ),
    DeclineReason.WALLET_FROZEN: ("The wallet is frozen", "钱包已冻结"),
    DeclineReason.RECIPIENT_UNAVAILABLE: (
        "The recipient's wallet cannot receive this transfer",
        "收款方钱包暂时无法接收该笔转账",
    ),
    DeclineReason.DISPUTE_NOT_REFUSED: (
        "The merchant has not refused the refund or failed to answer it in time",
        "商户尚未拒绝退款或逾期未答复",
    ),
    DeclineReason.DISPUTE_ALREADY_OPEN: (
        "A dispute has already been opened over this refund",
        "该退款已提起纠纷",
    ),
    DeclineReason.DISPUTE_WINDOW_CLOSED: (
        "The period for opening a dispute has closed",
        "已超过申请纠纷调解的期限",
    ),
}


@attrs.frozen
class Approved:
    """The policy allows the operation.

    Attributes:
        remaining: headroom left after the operation, where the policy knows it (refunds).
        deadline: the instant until which the approval holds, where one applies (refunds).
    """

    remaining: Money | None = None
    deadline: datetime | None = None

    @property
    def approved(self) -> Literal[True]:
        """Always True; lets callers branch on ``decision.approved`` for either type."""
        return True

    def _repr_html_(self) -> str:
        """Jupyter's face: the outcome, with the remaining headroom and deadline if known."""
        return _html.approved(self)

    def __bool__(self) -> NoReturn:
        raise TypeError("a decision has no truth value; test decision.approved")


APPROVED: Final = Approved()
"""The plain approval, shared because it carries nothing."""


@attrs.frozen
class Declined:
    """The policy refuses the operation, with the reason and the numbers behind it.

    Attributes:
        reason: why, from a closed set.
        limit: the cap that would be broken (or the captured amount, for refunds).
        used: how much of it is already used in the current window.
        remaining: how much is still available (never negative).
        scope: which rule set the limit belongs to: ``"all"`` for the tier's overall limits, or a
            payment method's value (``"static_qr"``) for a method-specific limit.
        deadline: the deadline that has passed, for refund windows.
    """

    reason: DeclineReason
    limit: Money | None = None
    used: Money | None = None
    remaining: Money | None = None
    scope: str | None = None
    deadline: datetime | None = None

    @property
    def approved(self) -> Literal[False]:
        """Always False."""
        return False

    @staticmethod
    def _make(
        reason: DeclineReason,
        limit: Money | None,
        used: Money | None,
        remaining: Money | None,
        scope: str | None,
    ) -> Declined:
        """Build without ``__init__``: for policies' hot paths, whose values are already valid."""
        declined = _NEW(Declined)
        _SET_REASON(declined, reason)
        _SET_LIMIT(declined, limit)
        _SET_USED(declined, used)
        _SET_REMAINING(declined, remaining)
        _SET_SCOPE(declined, scope)
        _SET_DEADLINE(declined, None)
        return declined

    def _repr_html_(self) -> str:
        """Jupyter's face: the reason's code and messages, and the numbers behind it."""
        return _html.declined(self)

    def __bool__(self) -> NoReturn:
        # `if check_limit(...):` would otherwise approve every decline.
        raise TypeError("a decision has no truth value; test decision.approved")


_NEW: Final = object.__new__
(_SET_REASON, _SET_LIMIT, _SET_USED, _SET_REMAINING, _SET_SCOPE, _SET_DEADLINE) = (
    Declined.__dict__[field.name].__set__ for field in attrs.fields(Declined)
)

Decision = Approved | Declined
"""What every policy check returns."""
