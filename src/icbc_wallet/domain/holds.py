"""Holds: money reserved on a customer's account until captured, voided or expired.

A :class:`Hold` moves nothing by itself: while it is open its :attr:`Hold.pending` amount counts
against the account's available balance (:meth:`~icbc_wallet.domain.ledger.AccountBalance.hold`),
and the journal entry that books a capture moves the money. Transitions are pure and return new
holds; every status but OPEN is terminal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

import attrs

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.ledger import AccountId, _key, _money
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    CurrencyMismatchError,
    HoldStateError,
    InvalidAmountError,
    InvalidDatetimeError,
    LedgerError,
)

__all__ = ["Hold", "HoldStatus"]


class HoldStatus(StrEnum):
    """Where a hold is in its life. Every status but OPEN is terminal: the hold never changes."""

    OPEN = "open"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"


def _status(value: HoldStatus | str) -> HoldStatus:
    try:
        return HoldStatus(value)
    except ValueError:
        raise HoldStateError(f"unknown hold status {value!r}") from None


# Hold instants are kept in UTC: datetimes sharing a zone compare by wall clock, which is wrong
# across a daylight-saving change, and converting on every comparison would cost more.
def _placed_at(moment: datetime) -> datetime:
    return require_aware(moment, "placed_at").astimezone(UTC)


def _expires_at(moment: datetime) -> datetime:
    return require_aware(moment, "expires_at").astimezone(UTC)


def _closed_at(moment: datetime | None) -> datetime | None:
    return None if moment is None else require_aware(moment, "closed_at").astimezone(UTC)


@attrs.frozen
class Hold:
    """Money reserved on a wallet or merchant account until captured, voided or expired.

    ``captured`` is how much was captured so far; ``status`` says how the hold closed (a VOIDED
    or EXPIRED hold may have been captured in part before) and ``closed_at`` when. Instants are
    kept in UTC. Only :attr:`pending` counts against the account's available money.

    Raises:
        LedgerError: a malformed id, or an account that may go negative.
        InvalidAmountError: a non-positive amount, or captured outside 0 to amount.
        InvalidDatetimeError: an expiry not after placement, or a close before placement.
        HoldStateError: a status that contradicts the other fields.
    """

    hold_id: str = attrs.field(validator=lambda _i, _a, value: _key(value, "a hold id"))
    account: AccountId
    amount: Money = attrs.field(validator=lambda _i, _a, value: _money(value, "a hold"))
    placed_at: datetime = attrs.field(converter=_placed_at)
    expires_at: datetime = attrs.field(converter=_expires_at)
    captured: Money = attrs.field(
        default=attrs.Factory(lambda hold: Money.zero(_money(hold.amount, "a hold").currency), True)
    )
    status: HoldStatus = attrs.field(default=HoldStatus.OPEN, converter=_status)
    closed_at: datetime | None = attrs.field(default=None, converter=_closed_at)

    def __attrs_post_init__(self) -> None:
        if type(self.account) is not AccountId or self.account.kind.may_go_negative:
            raise LedgerError(f"a hold is placed on a wallet or merchant, not {self.account}")
        if self.expires_at <= self.placed_at:
            raise InvalidDatetimeError(f"hold {self.hold_id} must expire after it is placed")
        if type(self.captured) is not Money or self.captured.currency != self.amount.currency:
            raise CurrencyMismatchError(f"captured must be Money in {self.amount.currency}")
        if not 0 <= self.captured.minor <= self.amount.minor:
            raise InvalidAmountError(f"captured {self.captured} is outside 0 to {self.amount}")
        is_open = self.status is HoldStatus.OPEN
        if is_open != (self.closed_at is None) or (is_open and self.captured == self.amount):
            raise HoldStateError(f"a hold {self.status} cannot have closed_at={self.closed_at}")
        if self.closed_at is not None:
            if self.closed_at < self.placed_at:
                raise InvalidDatetimeError(f"hold {self.hold_id} closed before it was placed")
            lapsed = self.closed_at >= self.expires_at  # captures come before, expiry after
            voided = self.status is HoldStatus.VOIDED  # a void may come at any time
            if not voided and lapsed != (self.status is HoldStatus.EXPIRED):
                raise HoldStateError(
                    f"hold {self.hold_id} cannot be {self.status} at {self.closed_at}"
                )
        if self.status is HoldStatus.CAPTURED and self.captured.minor == 0:
            raise HoldStateError(f"hold {self.hold_id} is captured but captured nothing")

    @property
    def pending(self) -> Money:
        """What still counts against available: amount - captured while open, else zero."""
        left = self.amount.minor - self.captured.minor if self.status is HoldStatus.OPEN else 0
        return Money._make(left, self.amount.currency)

    def capture(self, amount: Money, at: datetime, *, final: bool = True) -> Hold:
        """The hold after ``amount`` of it is captured at ``at``, which must be before expiry.

        ``final=True`` closes the hold as CAPTURED, releasing the rest; ``final=False`` keeps it
        open for more captures, unless nothing is left. The account's pending money drops by
        ``hold.pending - new.pending``: release that before booking the capture's entry.

        Raises:
            HoldStateError: the hold is closed or expired, or ``amount`` is more than remains.
        """
        at = self._open_at(at, "captured")
        if at >= self.expires_at:
            raise HoldStateError(f"hold {self.hold_id} expired at {self.expires_at.isoformat()}")
        captured = self.captured.minor + _money(amount, "a capture", self.amount.currency).minor
        if captured > self.amount.minor:
            raise HoldStateError(f"cannot capture {amount}: only {self.pending} remains on hold")
        closes = final or captured == self.amount.minor
        status = HoldStatus.CAPTURED if closes else HoldStatus.OPEN
        return self._next(Money._make(captured, amount.currency), status, at if closes else None)

    def void(self, at: datetime) -> Hold:
        """The hold after it is cancelled at ``at``: whatever was not captured is released."""
        at = self._open_at(at, "voided")
        return self._next(self.captured, HoldStatus.VOIDED, at)

    def expire(self, now: datetime) -> Hold:
        """The hold after it lapses, which it does only once ``now`` reaches ``expires_at``."""
        now = self._open_at(now, "expired")
        if now < self.expires_at:
            raise HoldStateError(f"hold {self.hold_id} expires only at {self.expires_at}")
        return self._next(self.captured, HoldStatus.EXPIRED, now)

    def _open_at(self, at: datetime, verb: str) -> datetime:
        """``at`` in UTC, once checked that the hold is open and ``at`` not before placement."""
        if self.status is not HoldStatus.OPEN:
            raise HoldStateError(f"hold {self.hold_id} is {self.status}: it cannot be {verb}")
        at = require_aware(at, "at").astimezone(UTC)
        if at < self.placed_at:
            raise InvalidDatetimeError(f"at {at.isoformat()} is before hold {self.hold_id}")
        return at

    def _next(self, captured: Money, status: HoldStatus, closed_at: datetime | None) -> Hold:
        return _build(
            self.hold_id,
            self.account,
            self.amount,
            self.placed_at,
            self.expires_at,
            captured,
            status,
            closed_at,
        )


def _place(
    hold_id: str, account: AccountId, amount: Money, placed_at: datetime, expires_at: datetime
) -> Hold:
    """A new open hold, for a caller that has already checked ``account`` and ``amount``.

    The wallet places one on every payment, on its own account and for an amount its limit
    check accepted (positive Money): re-validating them in ``__init__`` cost more than the
    rest of the hold. The id and the instants are still checked, in ``__init__``'s order.
    """
    placed_at, expires_at = _placed_at(placed_at), _expires_at(expires_at)
    _key(hold_id, "a hold id")
    if expires_at <= placed_at:
        raise InvalidDatetimeError(f"hold {hold_id} must expire after it is placed")
    zero = Money._make(0, amount.currency)
    return _build(hold_id, account, amount, placed_at, expires_at, zero, HoldStatus.OPEN, None)


def _build(
    hold_id: str,
    account: AccountId,
    amount: Money,
    placed_at: datetime,
    expires_at: datetime,
    captured: Money,
    status: HoldStatus,
    closed_at: datetime | None,
) -> Hold:
    """Build from known-good values, skipping ``__init__`` as ``Money._make`` does."""
    hold = _NEW(Hold)
    _SET_HOLD_ID(hold, hold_id)
    _SET_ACCOUNT(hold, account)
    _SET_AMOUNT(hold, amount)
    _SET_PLACED_AT(hold, placed_at)
    _SET_EXPIRES_AT(hold, expires_at)
    _SET_CAPTURED(hold, captured)
    _SET_STATUS(hold, status)
    _SET_CLOSED_AT(hold, closed_at)
    return hold


_NEW: Final = object.__new__
(
    _SET_HOLD_ID,
    _SET_ACCOUNT,
    _SET_AMOUNT,
    _SET_PLACED_AT,
    _SET_EXPIRES_AT,
    _SET_CAPTURED,
    _SET_STATUS,
    _SET_CLOSED_AT,
) = (Hold.__dict__[field.name].__set__ for field in attrs.fields(Hold))
