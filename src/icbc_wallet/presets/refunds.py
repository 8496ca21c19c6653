"""Refund windows found in the real world, as data.

```pycon
>>> NO_REASON_RETURN_7_DAYS.days, NO_REASON_RETURN_7_DAYS.counting
(7, <RefundCounting.FROM_NEXT_DAY: 'from_next_day'>)

```

Not modelled here: revocation of a delayed bank transfer. ATM and counter transfers to another
person's account can be delayed by 24 hours ("delayed" mode, or 2 hours in "ordinary" mode) and
revoked until they arrive. Those windows are counted in hours, not business days, so a
:class:`~icbc_wallet.domain.refunds.RefundWindow` (whole calendar days) cannot express them.
"""

from __future__ import annotations

from typing import Final

from icbc_wallet.domain.refunds import RefundCounting, RefundWindow

__all__ = ["ARTICLE_REFUND_WINDOW", "NO_REASON_RETURN_7_DAYS"]

ARTICLE_REFUND_WINDOW: Final = RefundWindow(days=7, counting=RefundCounting.FROM_TRANSACTION)
"""A refund request is reasonable within 7 days of the transaction.

Source: the wallet article this library models, question 4 (refunds and disputes): the user asks
the merchant first, then the bank mediates; "a refund request is reasonable within 7 days of the
transaction". Counted from the transaction instant: a payment at 2026-05-01 10:00 (Shanghai) may be
refunded until just before 2026-05-08 10:00.
"""

NO_REASON_RETURN_7_DAYS: Final = RefundWindow(days=7, counting=RefundCounting.FROM_NEXT_DAY)
"""The 7-day no-reason return of distance sales (七日无理由退货).

Source: Consumer Protection Law of the People's Republic of China (2013 revision), Art. 25: goods
bought online, by phone or by mail order may be returned without giving a reason within 7 days of
receipt. The day of receipt is not counted: day 1 is the next day, and the window closes at 00:00
Beijing time after day 7. Pass the instant the goods were *received* (not paid) as
``transacted_at``. The seller then refunds within 7 days of getting the goods back; that second
period is not a refund window and is not modelled here.
"""
