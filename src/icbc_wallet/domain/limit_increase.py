"""Limit increases: a customer asks for higher caps; the bank grants them for a while, or says why not.

A :class:`LimitIncreaseRequest` names the caps the customer wants. The review policy
(:func:`icbc_wallet.policies.limit_increase.review_limit_increase`) reads the tier, a
:class:`TransactionHistory` summary and the bank's :class:`LimitIncreaseTerms`, and answers with
a :data:`LimitIncreaseDecision`: :class:`IncreaseApproved` carrying a time-bounded
:class:`LimitGrant`, or :class:`IncreaseDeclined` listing *every* unmet condition as an
:class:`IncreaseDeclineReason` with the numbers behind it.

```pycon
>>> from datetime import datetime, timedelta
>>> start = datetime.fromisoformat("2026-03-01T09:00:00+08:00")
>>> grant = LimitGrant(Limit.of(per_transaction="10000", daily="100000"), start,
...                    start + timedelta(days=30))
>>> grant.is_active(start + timedelta(days=29)), grant.is_active(start + timedelta(days=30))
(True, False)
>>> IncreaseDeclineReason(DeclineReason.INCREASE_ACCOUNT_TOO_NEW, 12, 30).message()
'The account is too new for a limit increase: the account is 12 days old, needs at least 30'

```
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Final, Literal, NoReturn

import attrs

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.limits import Limit, LimitWindow
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    InvalidDatetimeError,
    InvalidLimitIncreaseError,
    InvalidTextError,
    TextTypeError,
)

__all__ = [
    "MAX_REASON_LENGTH",
    "IncreaseApproved",
    "IncreaseDeclineReason",
    "IncreaseDeclined",
    "LimitGrant",
    "LimitIncreaseDecision",
    "LimitIncreaseRequest",
    "LimitIncreaseTerms",
    "TransactionHistory",
]

MAX_REASON_LENGTH: Final = 200
"""The longest reason a customer may give, in characters (a Chinese character counts as one)."""


def _utc(moment: datetime) -> datetime:
    return require_aware(moment).astimezone(UTC)


def _validate_reason(_instance: object, _attribute: object, value: str) -> None:
    if type(value) is not str:
        raise TextTypeError(f"a limit increase reason must be a str, not {type(value).__name__}")
    if not value.strip() or len(value) > MAX_REASON_LENGTH:
        raise InvalidTextError(
            f"a limit increase reason must be 1 to {MAX_REASON_LENGTH} characters, not blank; "
            f"got {len(value)}"
        )
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise InvalidTextError("a limit increase reason must not contain control characters")


def _validate_limit(_instance: object, attribute: attrs.Attribute[Limit], value: object) -> None:
    if type(value) is not Limit:
        raise InvalidLimitIncreaseError(f"{attribute.name} must be a Limit, not {value!r}")


@attrs.frozen
class LimitIncreaseRequest:
    """A customer's application for higher caps.

    Attributes:
        requested: every cap the customer asks for, as one :class:`Limit` (``None`` in a window
            means *no cap*: asking for it where the tier has a cap asks for unlimited spending).
        reason: why, in the customer's words: 1 to :data:`MAX_REASON_LENGTH` characters, not
            blank, no control characters.
        requested_at: when the customer applied (aware; kept in UTC).

    Raises:
        InvalidLimitIncreaseError: ``requested`` is not a :class:`Limit`.
        TextTypeError, InvalidTextError: ``reason`` is not a proper text.
        NaiveDatetimeError: ``requested_at`` has no timezone.
    """

    requested: Limit = attrs.field(validator=_validate_limit)
    reason: str = attrs.field(validator=_validate_reason)
    requested_at: datetime = attrs.field(converter=_utc)


@attrs.frozen
class LimitGrant:
    """Raised caps that apply from ``granted_at`` until (not including) ``expires_at``.

    Attributes:
        limit: the raised caps; while the grant is active they apply instead of the tier's
            overall limit wherever they are looser (see ``effective_limits``).
        granted_at: when the increase was approved (aware; kept in UTC).
        expires_at: the first instant at which the grant no longer applies (kept in UTC).

    Raises:
        InvalidLimitIncreaseError: ``limit`` is not a :class:`Limit`.
        InvalidDatetimeError: ``expires_at`` is not after ``granted_at``.
        NaiveDatetimeError: either instant has no timezone.
    """

    limit: Limit = attrs.field(validator=_validate_limit)
    granted_at: datetime = attrs.field(converter=_utc)
    expires_at: datetime = attrs.field(converter=_utc)

    def __attrs_post_init__(self) -> None:
        if self.expires_at <= self.granted_at:
            raise InvalidDatetimeError(
                f"a grant must expire after it is granted: expires {self.expires_at.isoformat()}, "
                f"granted {self.granted_at.isoformat()}"
            )

    def is_active(self, now: datetime) -> bool:
        """True when ``granted_at <= now < expires_at``.

        Raises:
            NaiveDatetimeError: ``now`` has no timezone.
        """
        return self.granted_at <= _utc(now) < self.expires_at


def _count(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or value < 0:
        raise InvalidLimitIncreaseError(
            f"{attribute.name} must be a non-negative int, not {value!r}"
        )


@attrs.frozen
class TransactionHistory:
    """What the review needs to know about a customer's past, as the repository summarises it.

    Attributes:
        account_age_days: whole days since the wallet was opened.
        payments_90d: payments completed in the last 90 days.
        payments_total_90d: their total (non-negative).
        declines_30d: transactions declined in the last 30 days (limits, funds, risk).
        disputes_lost: disputes ever decided against the customer.
        refunds_90d: refunds received in the last 90 days.

    Raises:
        InvalidLimitIncreaseError: a count is negative or not an ``int``, the total is negative or
            not :class:`Money`, or a total without payments (or payments without a total).
    """

    account_age_days: int = attrs.field(validator=_count)
    payments_90d: int = attrs.field(validator=_count)
    payments_total_90d: Money
    declines_30d: int = attrs.field(validator=_count)
    disputes_lost: int = attrs.field(validator=_count)
    refunds_90d: int = attrs.field(validator=_count)

    def __attrs_post_init__(self) -> None:
        total = self.payments_total_90d
        if type(total) is not Money or total.is_negative():
            raise InvalidLimitIncreaseError(
                f"payments_total_90d must be non-negative Money, not {total!r}"
            )
        if (self.payments_90d == 0) != total.is_zero():
            raise InvalidLimitIncreaseError(
                f"{self.payments_90d} payments cannot total {total}: the count and the total "
                "must both be zero or both be positive"
            )


def _tier_names(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidLimitIncreaseError(
            f"eligible_tiers must be a collection of tier names or None, not {value!r}"
        )
    names = frozenset(value)
    for name in names:
        if type(name) is not str or not name:
            raise InvalidLimitIncreaseError(f"a tier name must be a non-empty str, not {name!r}")
    return names


def _between(low: int, high: int) -> Callable[[object, attrs.Attribute[int], object], None]:
    def check(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
        if type(value) is not int or not low <= value <= high:
            raise InvalidLimitIncreaseError(
                f"{attribute.name} must be an int from {low} to {high}, not {value!r}"
            )

    return check


@attrs.frozen
class LimitIncreaseTerms:
    """The bank's conditions for raising a customer's limits. Data: change it without code.

    The defaults are this library's choice, not regulation: a month of history, ten payments in
    90 days, at most five declines in 30 days, no lost disputes, at most double the tier's caps,
    granted for 30 days.

    Attributes:
        eligible_tiers: the tiers that may apply; ``None`` means all.
        min_account_age_days: the youngest account that may apply, in days.
        min_payments_90d: the fewest payments in the last 90 days.
        max_declines_30d: the most declined transactions in the last 30 days.
        max_disputes_lost: the most disputes decided against the customer.
        max_multiple: a granted cap may be at most this multiple of the tier's cap, per window.
        grant_days: how long a grant lasts, in days of 24 hours from the approval.

    Raises:
        InvalidLimitIncreaseError: a bound is negative or not an ``int``, ``max_multiple`` is
            outside 1 to 1,000, ``grant_days`` outside 1 to 3,650, or a tier name is not a str.
    """

    eligible_tiers: frozenset[str] | None = attrs.field(default=None, converter=_tier_names)
    min_account_age_days: int = attrs.field(default=30, validator=_count)
    min_payments_90d: int = attrs.field(default=10, validator=_count)
    max_declines_30d: int = attrs.field(default=5, validator=_count)
    max_disputes_lost: int = attrs.field(default=0, validator=_count)
    max_multiple: int = attrs.field(default=2, validator=_between(1, 1000))
    grant_days: int = attrs.field(default=30, validator=_between(1, 3650))


# English and Chinese sentences for the numbers of each reason: {a} is the actual value,
# {r} the requirement, {w} the window.
_DETAILS: Final[dict[DeclineReason, tuple[str, str]]] = {
    DeclineReason.INCREASE_TIER_NOT_ELIGIBLE: (
        "tier {a!r} is not one of {r}",
        "等级 {a} 不在 {r} 之列",
    ),
    DeclineReason.INCREASE_ACCOUNT_TOO_NEW: (
        "the account is {a} days old, needs at least {r}",
        "开户 {a} 天，至少需要 {r} 天",
    ),
    DeclineReason.INCREASE_TOO_FEW_PAYMENTS: (
        "{a} payments in the last 90 days, needs at least {r}",
        "近 90 天支付 {a} 笔，至少需要 {r} 笔",
    ),
    DeclineReason.INCREASE_TOO_MANY_DECLINES: (
        "{a} transactions declined in the last 30 days, at most {r} allowed",
        "近 30 天被拒交易 {a} 笔，最多允许 {r} 笔",
    ),
    DeclineReason.INCREASE_DISPUTES_LOST: (
        "{a} disputes lost, at most {r} allowed",
        "纠纷中被裁定不利 {a} 次，最多允许 {r} 次",
    ),
    DeclineReason.INCREASE_ABOVE_MAXIMUM: (
        "{w} cap asked for: {a}; at most {r} can be granted",
        "申请{w}限额 {a}，最多可批准 {r}",
    ),
}
_ZH_WINDOWS: Final = {
    LimitWindow.PER_TRANSACTION: "单笔",
    LimitWindow.DAY: "日累计",
    LimitWindow.MONTH: "月累计",
    LimitWindow.YEAR: "年累计",
    LimitWindow.LIFETIME: "开户以来累计",
}


@attrs.frozen
class IncreaseDeclineReason:
    """One unmet condition of a limit increase, with the numbers that explain it.

    Attributes:
        reason: the condition, from the closed :class:`DeclineReason` set (``increase.*`` codes).
        actual: what the applicant has: a number of days, payments, declines or lost disputes;
            the tier's name; or, for ``INCREASE_ABOVE_MAXIMUM``, the requested cap (``None``:
            unlimited was asked for).
        required: the bound it fails: the minimum or maximum count; the eligible tier names,
            sorted; or the largest cap that can be granted in that window.
        window: for ``INCREASE_ABOVE_MAXIMUM``, the window whose requested cap is too high.
    """

    reason: DeclineReason
    actual: int | str | Money | None
    required: int | tuple[str, ...] | Money
    window: LimitWindow | None = None

    def __attrs_post_init__(self) -> None:
        if self.reason not in _DETAILS:
            raise InvalidLimitIncreaseError(
                f"{self.reason!r} is not a limit increase reason; use an INCREASE_* member"
            )

    def message(self, language: Literal["en", "zh"] = "en") -> str:
        """The reason's message and its numbers, in English (``"en"``) or Chinese (``"zh"``)."""
        zh = language == "zh"
        actual = ("不限" if zh else "unlimited") if self.actual is None else self.actual
        required: object = self.required
        if isinstance(required, tuple):
            names = [name if zh else repr(name) for name in required]
            required = ("、" if zh else ", ").join(names) or ("无" if zh else "none")
        window = ""
        if self.window is not None:
            window = _ZH_WINDOWS[self.window] if zh else self.window.label
        detail = _DETAILS[self.reason][1 if zh else 0].format(a=actual, r=required, w=window)
        return self.reason.message(language) + ("：" if zh else ": ") + detail


@attrs.frozen
class IncreaseApproved:
    """The increase is granted.

    Attributes:
        grant: the raised caps and how long they last.
    """

    grant: LimitGrant

    @property
    def approved(self) -> Literal[True]:
        """Always True; lets callers branch on ``decision.approved`` for either type."""
        return True

    def __bool__(self) -> NoReturn:
        raise TypeError("a decision has no truth value; test decision.approved")


def _reasons(value: Iterable[IncreaseDeclineReason]) -> tuple[IncreaseDeclineReason, ...]:
    reasons = tuple(value)
    if not reasons or any(type(reason) is not IncreaseDeclineReason for reason in reasons):
        raise InvalidLimitIncreaseError(
            f"a declined increase needs at least one IncreaseDeclineReason, not {reasons!r}"
        )
    return reasons


@attrs.frozen
class IncreaseDeclined:
    """The increase is refused; ``reasons`` lists every unmet condition, never just the first.

    Attributes:
        reasons: the unmet conditions, in a fixed order (tier, age, payments, declines,
            disputes, then each window above the maximum from the narrowest).
    """

    reasons: tuple[IncreaseDeclineReason, ...] = attrs.field(converter=_reasons)

    @property
    def approved(self) -> Literal[False]:
        """Always False."""
        return False

    @property
    def decline_reasons(self) -> tuple[DeclineReason, ...]:
        """The distinct reasons, in order (ABOVE_MAXIMUM appears once however many windows)."""
        return tuple(dict.fromkeys(reason.reason for reason in self.reasons))

    def __bool__(self) -> NoReturn:
        raise TypeError("a decision has no truth value; test decision.approved")


LimitIncreaseDecision = IncreaseApproved | IncreaseDeclined
"""What :func:`~icbc_wallet.policies.limit_increase.review_limit_increase` returns."""
