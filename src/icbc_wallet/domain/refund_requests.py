"""Refund requests: a customer's request that a merchant pay back (part of) a payment.

The customer asks; the merchant accepts in full or in part, or refuses with a reason, by the
*answer deadline*; a request still unanswered after it *lapses*. Every status but REQUESTED is
terminal. A refused or lapsed request may be taken to the bank as a
:class:`~icbc_wallet.domain.disputes.Dispute`.

```pycon
>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> from icbc_wallet.domain.ids import MerchantId, PaymentId, RefundId, WalletId
>>> asked = datetime(2026, 5, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> request = RefundRequest.new(refund_id=RefundId("R-1"), payment_id=PaymentId("P-1"),
...                              wallet_id=WalletId("W-1"), merchant_id=MerchantId("M-1"),
...                              requested=Money.of("80.00"), reason="wrong size", at=asked)
>>> request.answer_deadline.isoformat()
'2026-05-06T01:00:00+00:00'
>>> accepted = request.accept(Money.of("50.00"), at=asked + timedelta(days=1))
>>> accepted.status, accepted.accepted
(<RefundRequestStatus.ACCEPTED: 'accepted'>, Money('50.00', 'CNY'))

```

An answer *at* the deadline is in time; the request lapses only after it. Instants are kept in
UTC. These objects decide and record; moving the money is the wallet's job, and whether the
amount is still refundable is :func:`icbc_wallet.policies.refunds.check_refund`'s.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import attrs

from icbc_wallet.domain.ids import MerchantId, PaymentId, RefundId, WalletId, parse_id
from icbc_wallet.domain.ledger import _money
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.text import MAX_TIME_LIMIT, clean_text, text_field, time_limit, to_utc
from icbc_wallet.errors import InvalidAmountError, InvalidDatetimeError, RefundStateError

__all__ = [
    "DEFAULT_MERCHANT_ANSWER_TIME",
    "MAX_REASON_LENGTH",
    "MAX_TIME_LIMIT",
    "RefundRequest",
    "RefundRequestStatus",
]

DEFAULT_MERCHANT_ANSWER_TIME: Final = timedelta(days=3)
"""How long a merchant has to answer a refund request: 3 × 24 hours. Our choice, not a rule of
law or of the article (which only says a request is reasonable within 7 days of the payment);
pass ``answer_within`` to use another."""

MAX_REASON_LENGTH: Final = 500
"""The longest reason (the customer's, or the merchant's refusal), in characters."""


def _requested_at(moment: datetime) -> datetime:
    return to_utc(moment, "requested_at")


def _answer_deadline(moment: datetime) -> datetime:
    return to_utc(moment, "answer_deadline")


def _answered_at(moment: datetime | None) -> datetime | None:
    return None if moment is None else to_utc(moment, "answered_at")


class RefundRequestStatus(StrEnum):
    """Where a refund request is. Every status but REQUESTED is terminal."""

    REQUESTED = "requested"
    """Awaiting the merchant's answer."""
    ACCEPTED = "accepted"
    """The merchant agreed to refund :attr:`RefundRequest.accepted` (all or part of it)."""
    REFUSED = "refused"
    """The merchant refused, saying why in :attr:`RefundRequest.refusal_reason`."""
    LAPSED = "lapsed"
    """The merchant did not answer by the deadline."""


def _status(value: RefundRequestStatus | str) -> RefundRequestStatus:
    try:
        return RefundRequestStatus(value)
    except ValueError:
        raise RefundStateError(f"unknown refund request status {value!r}") from None


@attrs.frozen
class RefundRequest:
    """A customer's refund request to a merchant and the merchant's answer, if any.

    Build a new one with :meth:`new`; the constructor checks that a stored record is consistent.

    Attributes:
        requested: what the customer asks back (positive).
        reason: the customer's reason; may be empty (a no-reason return).
        answer_deadline: the last instant at which the merchant's answer is in time (UTC).
        accepted: what the merchant agreed to refund, once ACCEPTED (0 < accepted ≤ requested).
        answered_at: when the merchant accepted or refused; None while REQUESTED or LAPSED.
        refusal_reason: why the merchant refused; empty unless REFUSED.

    Raises:
        InvalidIdError: a malformed id.
        AmountTypeError, CurrencyMismatchError, InvalidAmountError: a non-positive request, or an
            acceptance in another currency or above the request.
        NaiveDatetimeError, InvalidDatetimeError: a naive instant, a deadline not after the
            request, or an answer before the request.
        TextTypeError, InvalidTextError: a reason that is not a str, is too long or has control
            characters.
        RefundStateError: a status that contradicts the other fields.
    """

    refund_id: RefundId
    payment_id: PaymentId
    wallet_id: WalletId
    merchant_id: MerchantId
    requested: Money = attrs.field(
        validator=lambda _i, _a, value: _money(value, "a refund request")
    )
    reason: str = attrs.field(validator=text_field("reason", MAX_REASON_LENGTH, lines=True))
    requested_at: datetime = attrs.field(converter=_requested_at)
    answer_deadline: datetime = attrs.field(converter=_answer_deadline)
    status: RefundRequestStatus = attrs.field(
        default=RefundRequestStatus.REQUESTED, converter=_status
    )
    accepted: Money | None = None
    answered_at: datetime | None = attrs.field(default=None, converter=_answered_at)
    refusal_reason: str = attrs.field(
        default="", validator=text_field("refusal_reason", MAX_REASON_LENGTH, lines=True)
    )

    def __attrs_post_init__(self) -> None:
        parse_id(self.refund_id, RefundId)
        parse_id(self.payment_id, PaymentId)
        parse_id(self.wallet_id, WalletId)
        parse_id(self.merchant_id, MerchantId)
        if self.answer_deadline <= self.requested_at:
            raise InvalidDatetimeError(
                f"refund {self.refund_id}'s answer deadline must follow the request"
            )
        status = self.status
        answered = status in (RefundRequestStatus.ACCEPTED, RefundRequestStatus.REFUSED)
        refused = status is RefundRequestStatus.REFUSED
        if (
            answered != (self.answered_at is not None)
            or (status is RefundRequestStatus.ACCEPTED) != (self.accepted is not None)
            or refused != bool(self.refusal_reason.strip())
        ):
            raise RefundStateError(
                f"a {status} refund request cannot have accepted={self.accepted}, "
                f"answered_at={self.answered_at} and {'a' if self.refusal_reason else 'no'} refusal reason"
            )
        if self.accepted is not None:
            _money(self.accepted, "an accepted refund", self.requested.currency)
            if self.accepted.minor > self.requested.minor:
                raise InvalidAmountError(
                    f"accepted {self.accepted} exceeds the requested {self.requested}"
                )
        if self.answered_at is not None:
            if self.answered_at < self.requested_at:
                raise InvalidDatetimeError(
                    f"refund {self.refund_id} was answered before it was requested"
                )
            if self.answered_at > self.answer_deadline:
                raise RefundStateError(f"refund {self.refund_id} was answered after its deadline")

    @classmethod
    def new(
        cls,
        *,
        refund_id: RefundId,
        payment_id: PaymentId,
        wallet_id: WalletId,
        merchant_id: MerchantId,
        requested: Money,
        at: datetime,
        reason: str = "",
        answer_within: timedelta = DEFAULT_MERCHANT_ANSWER_TIME,
    ) -> RefundRequest:
        """A new request, made at ``at``, that the merchant must answer within ``answer_within``.

        Args:
            refund_id: the request's id.
            payment_id: the captured payment to refund.
            wallet_id: the customer's wallet, which receives the refund.
            merchant_id: the merchant who was paid and answers the request.
            requested: the amount asked back (positive).
            at: the aware instant of the request.
            reason: the customer's reason (at most :data:`MAX_REASON_LENGTH` characters).
            answer_within: the merchant's time to answer; the deadline is ``at + answer_within``.

        Raises:
            InvalidTimeLimitError: ``answer_within`` is not a positive ``timedelta`` of at most
                :data:`MAX_TIME_LIMIT`.
            OverflowError: the deadline falls beyond year 9999.
            WalletError: the errors of the class itself for malformed fields.
        """
        requested_at = _requested_at(at)
        return cls(
            refund_id=refund_id,
            payment_id=payment_id,
            wallet_id=wallet_id,
            merchant_id=merchant_id,
            requested=requested,
            reason=reason,
            requested_at=requested_at,
            answer_deadline=requested_at + time_limit(answer_within, "answer_within"),
        )

    @property
    def is_terminal(self) -> bool:
        """True once answered or lapsed: the request never changes again."""
        return self.status is not RefundRequestStatus.REQUESTED

    @property
    def is_disputable(self) -> bool:
        """True when REFUSED or LAPSED: the customer may take it to the bank."""
        return self.status in (RefundRequestStatus.REFUSED, RefundRequestStatus.LAPSED)

    @property
    def closed_at(self) -> datetime | None:
        """When the request ended: the answer, or the deadline for a lapsed one; None while open."""
        if self.status is RefundRequestStatus.LAPSED:
            return self.answer_deadline
        return self.answered_at

    def is_overdue(self, now: datetime) -> bool:
        """True when still REQUESTED after the answer deadline: time to :meth:`lapse` it."""
        now = to_utc(now, "now")
        return self.status is RefundRequestStatus.REQUESTED and now > self.answer_deadline

    def accept(self, amount: Money, at: datetime) -> RefundRequest:
        """The request after the merchant agrees at ``at`` to refund ``amount`` (all or part).

        The money is not moved here: refund ``amount`` from the merchant to the wallet, once
        :func:`~icbc_wallet.policies.refunds.check_refund` approves it against the captured amount.

        Raises:
            RefundStateError: the request is no longer REQUESTED, ``at`` is after the deadline, or
                ``amount`` exceeds the request.
            AmountTypeError, CurrencyMismatchError, InvalidAmountError: ``amount`` is not positive
                Money in the request's currency.
            InvalidDatetimeError: ``at`` is before the request.
        """
        at = self._answerable_at(at, "accepted")
        _money(amount, "an accepted refund", self.requested.currency)
        if amount.minor > self.requested.minor:
            raise RefundStateError(
                f"cannot accept {amount}: refund {self.refund_id} asked for {self.requested}"
            )
        return attrs.evolve(
            self, status=RefundRequestStatus.ACCEPTED, accepted=amount, answered_at=at
        )

    def refuse(self, reason: str, at: datetime) -> RefundRequest:
        """The request after the merchant refuses it at ``at``, saying why (``reason``, required).

        Raises:
            RefundStateError: the request is no longer REQUESTED, or ``at`` is after the deadline.
            TextTypeError, InvalidTextError: ``reason`` is not a str, is blank, too long or has
                control characters.
            InvalidDatetimeError: ``at`` is before the request.
        """
        at = self._answerable_at(at, "refused")
        clean_text(reason, "refusal_reason", MAX_REASON_LENGTH, required=True, lines=True)
        return attrs.evolve(
            self, status=RefundRequestStatus.REFUSED, answered_at=at, refusal_reason=reason
        )

    def lapse(self, now: datetime) -> RefundRequest:
        """The request after it lapses unanswered, which it does only once ``now`` is past the deadline.

        Raises:
            RefundStateError: the request is no longer REQUESTED, or the deadline has not passed.
        """
        now = self._still_requested(now, "lapse", "now")
        if now <= self.answer_deadline:
            raise RefundStateError(
                f"refund {self.refund_id} lapses only after {self.answer_deadline.isoformat()}"
            )
        return attrs.evolve(self, status=RefundRequestStatus.LAPSED)

    def _still_requested(self, at: datetime, verb: str, what: str = "at") -> datetime:
        if self.status is not RefundRequestStatus.REQUESTED:
            raise RefundStateError(
                f"refund {self.refund_id} is already {self.status}: it cannot {verb}"
            )
        return to_utc(at, what)

    def _answerable_at(self, at: datetime, verb: str) -> datetime:
        at = self._still_requested(at, f"be {verb}")
        if at < self.requested_at:
            raise InvalidDatetimeError(
                f"at {at.isoformat()} is before refund {self.refund_id} was requested"
            )
        if at > self.answer_deadline:
            raise RefundStateError(
                f"refund {self.refund_id} had to be answered by {self.answer_deadline.isoformat()}; "
                f"at {at.isoformat()} it can only lapse"
            )
        return at
