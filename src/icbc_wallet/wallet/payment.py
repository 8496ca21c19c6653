"""Payments: one merchant payment from authorisation (a hold) to capture, refunds and disputes.

A :class:`Payment` is its own record, not part of the wallet: a wallet may have millions of
them, and refunds and disputes need only the one they concern. It tracks what was captured,
what was refunded, and what is *claimed* (asked for in an open refund request or dispute), so
that refunds never exceed what was captured: ``refunded + claimed <= captured``.

The merchant's service fee goes back pro rata with what is refunded, and with what an open
dispute sets aside: ``fee_refunded`` is always ``merchant_fee * (refunded + disputed) //
captured``. Because each share is the change of that one rounded-down total, the shares of
successive refunds add up to exactly the whole fee when everything is refunded, in whatever order
refunds and disputes open and close; and what the merchant pays out for a payment never exceeds
what it received for it. The captured amount must be final (the hold closed) before the first
claim, so that ``merchant_fee`` and ``captured`` no longer change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from typing import Final, TypeVar

import attrs

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.holds import Hold, HoldStatus
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel
from icbc_wallet.errors import RefundStateError

__all__ = ["Payment"]

T = TypeVar("T")


def _slot_copier(cls: type[T]) -> Callable[[T], T]:
    """A shallow copy for instances of the slotted attrs class ``cls``.

    ``copy.copy`` goes through ``__reduce_ex__`` and attrs' ``__getstate__``, about three times
    slower, and the in-memory store copies every aggregate a command reads or writes. Instances
    of a subclass (which may add slots) are still copied by ``copy.copy``.
    """
    names = tuple(field.name for field in attrs.fields(cls))  # type: ignore[arg-type]  # an attrs class
    read_all = attrgetter(*names)
    setters = tuple(cls.__dict__[name].__set__ for name in names)
    new = object.__new__

    def shallow_copy(item: T) -> T:
        if type(item) is not cls:
            return copy.copy(item)
        twin = new(cls)
        for set_field, value in zip(setters, read_all(item), strict=True):
            set_field(twin, value)
        return twin

    return shallow_copy


# Every running total starts at zero in the payment's currency.
_ZERO: Final = attrs.Factory(lambda payment: Money._make(0, payment.amount.currency), True)


@attrs.define(eq=False)
class Payment:
    """A merchant payment (identity by ``payment_id``; ``version`` counts its changes).

    Attributes:
        hold: the authorisation; open until captured, voided or expired.
        captured: what the merchant was paid in total.
        merchant_fee: the merchant's service fee deducted from what it received.
        refunded: what was paid back to the customer (by the merchant or a dispute).
        fee_refunded: the part of ``merchant_fee`` returned to the merchant with refunds and
            set aside with open disputes.
        claimed: what open refund requests and disputes ask for.
        captured_at: the first capture (the refund window runs from it).
        disputed: the part of ``claimed`` that open disputes have set aside in suspense.
    """

    payment_id: PaymentId
    wallet_id: WalletId
    merchant_id: MerchantId
    amount: Money
    method: PaymentMethod
    channel: Channel
    category: Category
    hold: Hold
    captured: Money = attrs.field(default=_ZERO)
    merchant_fee: Money = attrs.field(default=_ZERO)
    refunded: Money = attrs.field(default=_ZERO)
    fee_refunded: Money = attrs.field(default=_ZERO)
    claimed: Money = attrs.field(default=_ZERO)
    captured_at: datetime | None = None
    version: int = 0
    disputed: Money = attrs.field(default=_ZERO)

    @property
    def is_open(self) -> bool:
        """True while the hold may still be captured, voided or expire."""
        return self.hold.status is HoldStatus.OPEN

    @property
    def refundable(self) -> Money:
        """What may still be asked back: captured - refunded - claimed."""
        return self.captured - self.refunded - self.claimed

    def clone(self) -> Payment:
        """An independent copy (every field is an immutable value)."""
        return _copy_payment(self)

    def captured_by(self, hold: Hold, amount: Money, fee: Money | None, at: datetime) -> None:
        """Record a capture of ``amount`` (with the merchant's ``fee``) that left ``hold``."""
        self.hold = hold
        self.captured = self.captured + amount
        if fee is not None:
            self.merchant_fee = self.merchant_fee + fee
        if self.captured_at is None:
            self.captured_at = at
        self.version += 1

    def released(self, hold: Hold) -> None:
        """Record that the hold was voided or expired."""
        self.hold = hold
        self.version += 1

    def claim(self, amount: Money) -> None:
        """Reserve ``amount`` of what is refundable for a refund request or a dispute.

        Raises:
            RefundStateError: more than is still refundable.
        """
        if amount > self.refundable:
            raise RefundStateError(
                f"payment {self.payment_id}: {amount} exceeds the {self.refundable} still refundable"
            )
        self.claimed = self.claimed + amount
        self.version += 1

    def settle_claim(self, claimed: Money, refunded: Money) -> Money:
        """Close a refund request's claim of ``claimed``, of which ``refunded`` is paid back.

        Returns the share of the merchant's fee that goes back to the merchant with this refund
        (see the module docstring; zero when nothing is refunded).

        Raises:
            RefundStateError: no such claim is open, or ``refunded`` exceeds it.
        """
        if claimed > self.claimed - self.disputed or refunded > claimed:
            raise RefundStateError(
                f"payment {self.payment_id}: cannot refund {refunded} of a {claimed} claim "
                f"({self.claimed - self.disputed} claimed by refund requests)"
            )
        committed = self.refunded.minor + self.disputed.minor
        self.claimed = self.claimed - claimed
        self.refunded = self.refunded + refunded
        return self._fee_moved(committed, committed + refunded.minor)

    def open_dispute(self, amount: Money) -> Money:
        """Claim ``amount`` for a dispute and set it aside until the bank decides.

        Returns the share of the merchant's fee set aside with it (fee income's part of the
        money in suspense; the merchant's part is ``amount`` less this share).

        Raises:
            RefundStateError: more than is still refundable.
        """
        self.claim(amount)
        committed = self.refunded.minor + self.disputed.minor
        self.disputed = self.disputed + amount
        return self._fee_moved(committed, committed + amount.minor)

    def close_dispute(self, disputed: Money, refunded: Money) -> Money:
        """Close a dispute over ``disputed``, of which ``refunded`` goes to the customer.

        Returns the share of the merchant's fee that goes back to fee income: the part set aside
        for what is not refunded (zero when all of it is). The merchant gets back the rest of
        what is not refunded.

        Raises:
            RefundStateError: no such dispute is open, or ``refunded`` exceeds it.
        """
        if disputed > self.disputed or refunded > disputed:
            raise RefundStateError(
                f"payment {self.payment_id}: cannot refund {refunded} of a {disputed} dispute "
                f"({self.disputed} disputed in all)"
            )
        committed = self.refunded.minor + self.disputed.minor
        self.claimed = self.claimed - disputed
        self.disputed = self.disputed - disputed
        self.refunded = self.refunded + refunded
        returned = self._fee_moved(committed, self.refunded.minor + self.disputed.minor)
        return -returned

    def _fee_moved(self, before: int, after: int) -> Money:
        """Move ``fee_refunded`` to the fee share of ``after``; returns the change.

        ``before`` and ``after`` are minor units refunded or disputed, before and after.
        """
        fee, captured = self.merchant_fee.minor, self.captured.minor
        change = fee * after // captured - fee * before // captured
        self.fee_refunded = self.fee_refunded + Money._make(change, self.amount.currency)
        self.version += 1
        return Money._make(change, self.amount.currency)


_copy_payment: Final = _slot_copier(Payment)
