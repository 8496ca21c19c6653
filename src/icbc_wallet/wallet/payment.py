"""Payments: one merchant payment from authorisation (a hold) to capture, refunds and disputes.

A :class:`Payment` is its own record, not part of the wallet: a wallet may have millions of
them, and refunds and disputes need only the one they concern. It tracks what was captured,
what was refunded, and what is *claimed* (asked for in an open refund request or dispute), so
that refunds never exceed what was captured: ``refunded + claimed <= captured``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.holds import Hold, HoldStatus
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel
from icbc_wallet.errors import RefundStateError

__all__ = ["Payment"]


@attrs.define(eq=False)
class Payment:
    """A merchant payment (identity by ``payment_id``; ``version`` counts its changes).

    Attributes:
        hold: the authorisation; open until captured, voided or expired.
        captured: what the merchant was paid in total.
        merchant_fee: the merchant's service fee deducted from what it received.
        refunded: what was paid back to the customer (by the merchant or a dispute).
        fee_refunded: the part of ``merchant_fee`` returned to the merchant with refunds.
        claimed: what open refund requests and disputes ask for.
        captured_at: the first capture (the refund window runs from it).
    """

    payment_id: PaymentId
    wallet_id: WalletId
    merchant_id: MerchantId
    amount: Money
    method: PaymentMethod
    channel: Channel
    category: Category
    hold: Hold
    captured: Money = attrs.field(default=attrs.Factory(lambda p: p.amount - p.amount, True))
    merchant_fee: Money = attrs.field(default=attrs.Factory(lambda p: p.amount - p.amount, True))
    refunded: Money = attrs.field(default=attrs.Factory(lambda p: p.amount - p.amount, True))
    fee_refunded: Money = attrs.field(default=attrs.Factory(lambda p: p.amount - p.amount, True))
    claimed: Money = attrs.field(default=attrs.Factory(lambda p: p.amount - p.amount, True))
    captured_at: datetime | None = None
    version: int = 0

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
        return attrs.evolve(self)

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
        """Close a claim of ``claimed``, of which ``refunded`` is paid back.

        Returns the share of the merchant's fee that goes back to the merchant with this refund
        (pro rata to what was captured; the shares of successive refunds add up exactly to the
        whole fee when everything is refunded).

        Raises:
            RefundStateError: the claim is not open, or ``refunded`` exceeds it.
        """
        if claimed > self.claimed or refunded > claimed:
            raise RefundStateError(
                f"payment {self.payment_id}: cannot refund {refunded} of a {claimed} claim "
                f"({self.claimed} claimed in all)"
            )
        fee, captured = self.merchant_fee.minor, self.captured.minor
        before = fee * self.refunded.minor // captured
        self.claimed = self.claimed - claimed
        self.refunded = self.refunded + refunded
        share = Money._make(fee * self.refunded.minor // captured - before, self.amount.currency)
        self.fee_refunded = self.fee_refunded + share
        self.version += 1
        return share
