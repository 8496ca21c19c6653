"""Operations: what a customer does with the wallet, and through which device.

An *operation* is one thing a customer asks the wallet to do (withdraw to a bank card, transfer,
pay, repay a credit card, ...), named by its :class:`OperationKind` and made through a
:class:`Channel` (渠道): mobile banking, a tablet or online banking on a PC. Banks and wallets
price and limit operations by both: fee rules are chosen by them, and the wallet records them on
its events.

```pycon
>>> OperationKind("withdrawal") is OperationKind.WITHDRAWAL, str(Channel.PC)
(True, 'pc')

```
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Channel", "OperationKind"]


class OperationKind(StrEnum):
    """What the customer does; fee rules are chosen by it."""

    WITHDRAWAL = "withdrawal"
    TRANSFER = "transfer"
    PAYMENT = "payment"
    CROSS_BORDER = "cross_border"
    CREDIT_CARD_REPAYMENT = "credit_card_repayment"
    TOP_UP = "top_up"


class Channel(StrEnum):
    """Where the operation is made (渠道); banks price mobile and online banking differently."""

    MOBILE = "mobile"
    TABLET = "tablet"
    PC = "pc"
