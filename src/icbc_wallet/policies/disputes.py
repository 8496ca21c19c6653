"""The dispute-opening policy: may the customer take this refund request to the bank now?

A dispute may be opened over a refund request the merchant refused or left unanswered past its
deadline, once per request, within :attr:`~icbc_wallet.domain.disputes.DisputeTerms.open_within`
of the refusal (or of the answer deadline, for a lapsed request). The window's deadline is the
last instant in time, as for every deadline of refund requests and disputes.

```pycon
>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> from icbc_wallet.domain.ids import MerchantId, PaymentId, RefundId, WalletId
>>> from icbc_wallet.domain.money import Money
>>> asked = datetime(2026, 5, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> request = RefundRequest.new(
...     refund_id=RefundId("R-1"), payment_id=PaymentId("P-1"), wallet_id=WalletId("W-1"),
...     merchant_id=MerchantId("M-1"), requested=Money.of("80.00"), at=asked,
... )
>>> check_dispute_opening(request, asked + timedelta(days=1), DEFAULT_DISPUTE_TERMS).reason.code
'dispute.not_refused'
>>> lapsed = request.lapse(asked + timedelta(days=4))
>>> check_dispute_opening(lapsed, asked + timedelta(days=4), DEFAULT_DISPUTE_TERMS).approved
True

```

The check is pure: it reads no clock, ``now`` is a parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.decisions import Approved, Decision, Declined, DeclineReason
from icbc_wallet.domain.disputes import DEFAULT_DISPUTE_TERMS, DisputeTerms
from icbc_wallet.domain.refund_requests import RefundRequest
from icbc_wallet.errors import DisputeStateError, InvalidDatetimeError, InvalidTimeLimitError

__all__ = ["check_dispute_opening"]


def check_dispute_opening(
    request: RefundRequest,
    now: datetime,
    terms: DisputeTerms = DEFAULT_DISPUTE_TERMS,
    *,
    open_disputes: int = 0,
) -> Decision:
    """Decide whether the customer may open a dispute over ``request`` at ``now``.

    A request still awaiting its answer past the deadline must be lapsed first
    (:meth:`~icbc_wallet.domain.refund_requests.RefundRequest.lapse`); until then it is declined
    as not refused.

    Args:
        request: the refund request to dispute.
        now: the aware instant of the customer's attempt.
        terms: the bank's dispute time limits.
        open_disputes: how many disputes over this request exist and are not withdrawn. A decided
            dispute counts: the bank's decision is final.

    Returns:
        :class:`~icbc_wallet.domain.decisions.Approved` with ``deadline``, the last instant at which
        the dispute may be opened; or :class:`~icbc_wallet.domain.decisions.Declined` because of,
        in this order, ``DeclineReason.DISPUTE_NOT_REFUSED`` (the request is REQUESTED or
        ACCEPTED), ``DeclineReason.DISPUTE_ALREADY_OPEN`` (``open_disputes`` is above zero) or
        ``DeclineReason.DISPUTE_WINDOW_CLOSED`` (``now`` is past the window's ``deadline``, which
        is set on the decision).

    Raises:
        DisputeStateError: ``request`` is not a RefundRequest, or ``open_disputes`` is not a
            non-negative int.
        InvalidTimeLimitError: ``terms`` is not :class:`~icbc_wallet.domain.disputes.DisputeTerms`.
        NaiveDatetimeError: ``now`` has no timezone.
        InvalidDatetimeError: ``now`` is before the request was made or closed.
    """
    if type(request) is not RefundRequest:
        raise DisputeStateError(f"request must be a RefundRequest, not {type(request).__name__}")
    if type(terms) is not DisputeTerms:
        raise InvalidTimeLimitError(f"terms must be DisputeTerms, not {type(terms).__name__}")
    if type(open_disputes) is not int or open_disputes < 0:
        raise DisputeStateError(f"open_disputes must be a non-negative int, not {open_disputes!r}")
    now = require_aware(now, "now").astimezone(UTC)
    closed_at = request.closed_at
    if now < (request.requested_at if closed_at is None else closed_at):
        raise InvalidDatetimeError(
            f"now {now.isoformat()} is before refund {request.refund_id} was "
            f"{'requested' if closed_at is None else request.status}"
        )
    if closed_at is None or not request.is_disputable:
        return Declined(DeclineReason.DISPUTE_NOT_REFUSED)
    if open_disputes > 0:
        return Declined(DeclineReason.DISPUTE_ALREADY_OPEN)
    deadline = closed_at + terms.open_within
    if now > deadline:
        return Declined(DeclineReason.DISPUTE_WINDOW_CLOSED, deadline=deadline)
    return Approved(deadline=deadline)
