"""Limit increase review: may this customer have higher caps for a while, and if not, why not?

:func:`review_limit_increase` is a pure function of the request, the tier, a summary of the
customer's history, the bank's :class:`~icbc_wallet.domain.limit_increase.LimitIncreaseTerms` and
``now``. It checks every condition and reports *all* that fail, each with its numbers, so the
customer learns everything to fix at once. :func:`effective_limits` answers which caps apply at a
given instant once a grant exists.

Choices (documented, tested):

- A request must be an increase. Asking for a lower cap than the tier's in any window (including
  a cap where the tier has none), or for no change at all, is bad input and raises
  :class:`~icbc_wallet.errors.InvalidLimitIncreaseError`: lowering one's own caps needs no review.
- A requested cap above ``max_multiple`` times the tier's cap is declined with
  ``INCREASE_ABOVE_MAXIMUM`` (one reason per window, with the largest cap grantable), never
  silently trimmed: an approval grants exactly what was asked for.
- A grant replaces the tier's overall limit only; method-specific caps (a static QR code's
  regulatory 500 a day) and the balance cap stay.

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.domain.limits import Limit, TierLimits
>>> from icbc_wallet.domain.money import Money
>>> tier = TierLimits("real_name", Limit.of(per_transaction="5000", daily="50000"))
>>> now = datetime.fromisoformat("2026-03-01T10:00:00+08:00")
>>> request = LimitIncreaseRequest(Limit.of(per_transaction="8000", daily="120000"),
...                                "renovating my flat", now)
>>> history = TransactionHistory(12, 3, Money.of("900"), 0, 0, 0)
>>> decision = review_limit_increase(request, "real_name", tier, history,
...                                  LimitIncreaseTerms(), now)
>>> [reason.message() for reason in decision.reasons]  # doctest: +NORMALIZE_WHITESPACE
['The account is too new for a limit increase: the account is 12 days old, needs at least 30',
 'Too few recent payments for a limit increase: 3 payments in the last 90 days, needs at least 10',
 'The requested limit is above the most that can be granted: daily cap asked for: 120000.00 CNY; at most 100000.00 CNY can be granted']

```
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.limit_increase import (
    IncreaseApproved,
    IncreaseDeclined,
    IncreaseDeclineReason,
    LimitGrant,
    LimitIncreaseDecision,
    LimitIncreaseRequest,
    LimitIncreaseTerms,
    TransactionHistory,
)
from icbc_wallet.domain.limits import Limit, LimitWindow, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    CurrencyMismatchError,
    InvalidDatetimeError,
    InvalidLimitIncreaseError,
)

__all__ = ["effective_limits", "review_limit_increase"]


def review_limit_increase(
    request: LimitIncreaseRequest,
    tier: str,
    tier_limits: TierLimits,
    history: TransactionHistory,
    terms: LimitIncreaseTerms,
    now: datetime,
) -> LimitIncreaseDecision:
    """Decide a customer's application for higher caps.

    Args:
        request: the caps asked for, the customer's reason and when they applied.
        tier: the customer's verification tier; must be ``tier_limits.name``.
        tier_limits: that tier's limits; its overall ``limit`` is what is being raised.
        history: the customer's history, summarised by the repository as of ``now``.
        terms: the bank's conditions.
        now: the instant of the review (aware); a grant starts here.

    Returns:
        ``IncreaseApproved`` with a grant of exactly the requested caps, from ``now`` for
        ``terms.grant_days`` days; or ``IncreaseDeclined`` listing every unmet condition in the
        order tier, age, payments, declines, disputes, windows above the maximum.

    Raises:
        InvalidLimitIncreaseError: ``tier`` is not ``tier_limits.name``, or the request lowers a
            cap or changes nothing (see the module's choices).
        CurrencyMismatchError: the requested caps are not in the tier's currency.
        InvalidDatetimeError: the request was made after ``now``.
        NaiveDatetimeError: ``now`` has no timezone.
    """
    if tier != tier_limits.name:
        raise InvalidLimitIncreaseError(
            f"tier {tier!r} does not match the limits given, which are tier {tier_limits.name!r}"
        )
    now = require_aware(now, "now")
    if request.requested_at > now:
        raise InvalidDatetimeError(
            f"a request made at {request.requested_at.isoformat()} cannot be reviewed earlier, "
            f"at {now.isoformat()}"
        )
    above = _above_maximum(request.requested, tier_limits.limit, terms.max_multiple)
    reasons = [
        *_eligibility(tier, history, terms),
        *above,
    ]
    if reasons:
        return IncreaseDeclined(tuple(reasons))
    grant = LimitGrant(request.requested, now, now + timedelta(days=terms.grant_days))
    return IncreaseApproved(grant)


def _eligibility(
    tier: str, history: TransactionHistory, terms: LimitIncreaseTerms
) -> list[IncreaseDeclineReason]:
    reasons: list[IncreaseDeclineReason] = []
    if terms.eligible_tiers is not None and tier not in terms.eligible_tiers:
        reasons.append(
            IncreaseDeclineReason(
                DeclineReason.INCREASE_TIER_NOT_ELIGIBLE, tier, tuple(sorted(terms.eligible_tiers))
            )
        )
    checks = (
        (DeclineReason.INCREASE_ACCOUNT_TOO_NEW, history.account_age_days, terms.min_account_age_days, True),
        (DeclineReason.INCREASE_TOO_FEW_PAYMENTS, history.payments_90d, terms.min_payments_90d, True),
        (DeclineReason.INCREASE_TOO_MANY_DECLINES, history.declines_30d, terms.max_declines_30d, False),
        (DeclineReason.INCREASE_DISPUTES_LOST, history.disputes_lost, terms.max_disputes_lost, False),
    )  # fmt: skip
    for reason, actual, bound, is_minimum in checks:
        if (actual < bound) if is_minimum else (actual > bound):
            reasons.append(IncreaseDeclineReason(reason, actual, bound))
    return reasons


def _above_maximum(
    requested: Limit, current: Limit, max_multiple: int
) -> list[IncreaseDeclineReason]:
    """Check the request is an increase, and list the windows asking above the maximum."""
    if requested.currency is not None and current.currency not in (None, requested.currency):
        raise CurrencyMismatchError(
            f"the request is in {requested.currency} but the tier's caps are in {current.currency}"
        )
    raised = False
    reasons: list[IncreaseDeclineReason] = []
    for window in LimitWindow:
        asked, cap = requested.cap(window), current.cap(window)
        if cap is None:
            if asked is not None:
                raise InvalidLimitIncreaseError(
                    f"the tier has no {window.label} cap; asking for {asked} would lower it"
                )
            continue
        if asked is not None and asked.minor < cap.minor:
            raise InvalidLimitIncreaseError(
                f"the {window.label} cap asked for, {asked}, is below the current {cap}; "
                "an increase may only raise caps"
            )
        if asked is None or asked.minor > cap.minor:
            raised = True
        maximum = cap.minor * max_multiple
        if asked is None or asked.minor > maximum:
            reasons.append(
                IncreaseDeclineReason(
                    DeclineReason.INCREASE_ABOVE_MAXIMUM,
                    asked,
                    Money._make(maximum, cap.currency),
                    window,
                )
            )
    if not raised:
        raise InvalidLimitIncreaseError(
            "the request raises no cap: it asks for the tier's current caps"
        )
    return reasons


def effective_limits(
    tier_limits: TierLimits, grant: LimitGrant | None, now: datetime
) -> TierLimits:
    """The tier's limits as they apply at ``now``, a grant included.

    While ``grant`` is active its caps replace the tier's overall ``limit``, window by window,
    except where the tier's own cap is looser (a schedule raised after the grant never leaves the
    customer worse off). Method limits, disallowed methods and the balance cap are unchanged.
    Without a grant, or outside its active interval, ``tier_limits`` itself is returned.

    Raises:
        CurrencyMismatchError: the grant's caps are not in the tier's currency.
        NaiveDatetimeError: ``now`` has no timezone.
    """
    if grant is None or not grant.is_active(now):
        return tier_limits
    current = tier_limits.limit
    if current.currency not in (None, grant.limit.currency) and grant.limit.currency is not None:
        raise CurrencyMismatchError(
            f"the grant is in {grant.limit.currency} but tier {tier_limits.name!r} is in "
            f"{current.currency}"
        )
    caps = [_looser(grant.limit.cap(window), current.cap(window)) for window in LimitWindow]
    return attrs.evolve(tier_limits, limit=Limit(*caps))


def _looser(a: Money | None, b: Money | None) -> Money | None:
    if a is None or b is None:
        return None
    return a if a.minor >= b.minor else b
