"""Real-world fee schedules, as data: WeChat Pay, Alipay, the big-five banks, foreign cards, e-CNY.

Figures come from the project's domain notes (``DOMAIN.md``, section "Fees"), which summarise the
providers' public announcements. Numbers marked UNVERIFIED there, or assumed here, are flagged in
each schedule's docstring. Providers change their fees: treat a preset as a dated snapshot.

WeChat Pay, withdrawing 2,000 with the whole 1,000 lifetime quota left: (2,000 - 1,000) x 0.1%
= 1.00, charged on top, so 2,001.00 leaves the balance:

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE
>>> from icbc_wallet.domain.money import Money
>>> from icbc_wallet.domain.operations import Channel, OperationKind
>>> now = datetime(2026, 5, 1, 12, tzinfo=DEFAULT_BUSINESS_ZONE)
>>> quote = WECHAT_WITHDRAWAL_2016.quote(OperationKind.WITHDRAWAL, Money.of(2000), now=now)
>>> print(quote.fee, quote.total_debit, quote.quota_remaining)
1.00 CNY 2001.00 CNY 0.00 CNY

```

A small withdrawal beyond the quota pays the 0.10 minimum:

```pycon
>>> quote = WECHAT_WITHDRAWAL_2016.quote(
...     OperationKind.WITHDRAWAL, Money.of(50), now=now, quota_used=Money.of(1000))
>>> print(quote.fee, quote.clamp)
0.10 CNY minimum

```

ICBC online banking (PC), older interbank tiers (UNVERIFIED), and free mobile banking:

```pycon
>>> [str(BIG_FIVE_TRANSFERS_2016.quote(OperationKind.TRANSFER, Money.of(amount), now=now,
...                                    channel=Channel.PC).fee)
...  for amount in ("5000", "5000.01", "10000.01", "100000", "500000")]
['0.00 CNY', '5.00 CNY', '7.50 CNY', '15.00 CNY', '25.00 CNY']
>>> print(BIG_FIVE_TRANSFERS_2016.quote(OperationKind.TRANSFER, Money.of(500000), now=now,
...                                     channel=Channel.MOBILE).fee)
0.00 CNY

```

A foreign card: 200 is free, 200.01 pays 3% of the whole amount:

```pycon
>>> [str(FOREIGN_CARD_PAYMENTS.quote(OperationKind.PAYMENT, Money.of(a), now=now).fee)
...  for a in ("200", "200.01", "1000")]
['0.00 CNY', '6.00 CNY', '30.00 CNY']

```
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from icbc_wallet.domain.fee_rules import FeeBracket, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ALIPAY_CREDIT_CARD_REPAYMENT_2019",
    "ALIPAY_WITHDRAWAL_2016",
    "ALL_FEE_PRESETS",
    "BIG_FIVE_TRANSFERS_2016",
    "ECNY_TRANSFERS",
    "FOREIGN_CARD_PAYMENTS",
    "WECHAT_CREDIT_CARD_REPAYMENT_2018",
    "WECHAT_WITHDRAWAL_2016",
]

_PER_MILLE: Final = "0.001"  # 0.1%

WECHAT_WITHDRAWAL_2016: Final = FeeSchedule(
    [
        FeeRule.percentage(
            OperationKind.WITHDRAWAL,
            _PER_MILLE,
            minimum=Money.of("0.10"),
            quota=FreeQuota(Money.of(1000), QuotaPeriod.LIFETIME),
            name="WeChat Pay withdrawal",
            description="WeChat Pay, from 2016-03-01: 0.1%, minimum 0.10, 1,000 free per person",
        )
    ],
    name="wechat_withdrawal_2016",
)
"""WeChat Pay withdrawals to a bank card, from 2016-03-01.

Source: WeChat Pay's announcement of the withdrawal fee (DOMAIN.md, "Fees"): 0.1% of the amount,
minimum 0.10 per withdrawal, after a lifetime free quota of 1,000 per person (per ID card,
across all of that person's accounts: the caller tracks ``quota_used`` per ID card). The fee is
charged on top: withdrawing 2,000 with 1,000 of quota left costs 1.00 and debits 2,001.00.
"""

ALIPAY_WITHDRAWAL_2016: Final = FeeSchedule(
    [
        FeeRule.percentage(
            OperationKind.WITHDRAWAL,
            _PER_MILLE,
            minimum=Money.of("0.10"),
            quota=FreeQuota(Money.of(20_000), QuotaPeriod.LIFETIME),
            name="Alipay withdrawal",
            description="Alipay, from 2016-10-12: 0.1% beyond 20,000 free, minimum 0.10",
        )
    ],
    name="alipay_withdrawal_2016",
)
"""Alipay withdrawals to a bank card, from 2016-10-12.

Source: Alipay's announcement (DOMAIN.md, "Fees"): 0.1% of the amount beyond a lifetime free
quota of 20,000 per person, minimum 0.10. Assumed, UNVERIFIED: the fee is charged on top of the
amount, as WeChat Pay does.
"""

ALIPAY_CREDIT_CARD_REPAYMENT_2019: Final = FeeSchedule(
    [
        FeeRule.percentage(
            OperationKind.CREDIT_CARD_REPAYMENT,
            _PER_MILLE,
            quota=FreeQuota(Money.of(2000), QuotaPeriod.MONTH),
            name="Alipay credit-card repayment",
            description="Alipay, 2019: 2,000 per month free, then 0.1%",
        )
    ],
    name="alipay_credit_card_repayment_2019",
)
"""Alipay credit-card repayments, from 2019.

Source: DOMAIN.md, "Fees": 2,000 per calendar month free (the month counted in the business
zone, Asia/Shanghai), then 0.1% of the rest. No minimum is modelled. Assumed, UNVERIFIED: the fee
is charged on top of the repayment.
"""

WECHAT_CREDIT_CARD_REPAYMENT_2018: Final = FeeSchedule(
    [
        FeeRule.percentage(
            OperationKind.CREDIT_CARD_REPAYMENT,
            _PER_MILLE,
            name="WeChat Pay credit-card repayment",
            description="WeChat Pay, from 2018-08: 0.1% of every repayment",
        )
    ],
    name="wechat_credit_card_repayment_2018",
)
"""WeChat Pay credit-card repayments, from August 2018.

Source: DOMAIN.md, "Fees": 0.1% of every repayment, no free quota. A minimum of 0.10 per
repayment (as for withdrawals) is sometimes quoted but UNVERIFIED, so none is modelled. Assumed,
UNVERIFIED: the fee is charged on top of the repayment.
"""

BIG_FIVE_TRANSFERS_2016: Final = FeeSchedule(
    [
        FeeRule.free(
            OperationKind.TRANSFER,
            channel=Channel.MOBILE,
            name="Mobile-banking transfer",
            description="Big-five banks, from 2016-02-25: mobile-banking RMB transfers are free",
        ),
        FeeRule(
            OperationKind.TRANSFER,
            [
                FeeBracket(Money.of(5000), Money.of(0)),
                FeeBracket(Money.of(10_000), Money.of(5)),
                FeeBracket(Money.of(50_000), Money.of("7.50")),
                FeeBracket(None, Money.of(0), "0.00015"),
            ],
            channel=Channel.PC,
            maximum=Money.of(25),
            name="Online-banking transfer",
            description="Free up to 5,000 from 2016-02-25; older ICBC interbank tiers above "
            "(UNVERIFIED)",
        ),
    ],
    name="big_five_transfers_2016",
)
"""RMB transfers at the big-five banks (ICBC included), from 2016-02-25.

Source: DOMAIN.md, "Fees". Mobile banking: free. Online banking (``Channel.PC``): up to 5,000
free; above, the older ICBC online interbank tiers, UNVERIFIED: more than 5,000 up to 10,000:
5.00; more than 10,000 up to 50,000: 7.50; more than 50,000: 0.015% of the whole amount, at most
25.00. Tier ends are inclusive. Other channels (``TABLET``) and ``channel=None`` have no rule, so
they are free ("no rule" in the explanation).
"""

FOREIGN_CARD_PAYMENTS: Final = FeeSchedule(
    [
        FeeRule(
            OperationKind.PAYMENT,
            [FeeBracket(Money.of(200), Money.of(0)), FeeBracket(None, Money.of(0), "0.03")],
            name="Foreign-card payment",
            description="Foreign cards in Chinese wallets: up to 200 free; above, 3% of it all",
        )
    ],
    name="foreign_card_payments",
)
"""Payments in Chinese wallets (WeChat Pay, Alipay) funded by a foreign-issued card.

Source: DOMAIN.md, "Fees": a payment up to 200 is free; above 200, 3% of the whole amount (so
200.01 costs 6.00). The kind is ``PAYMENT``, not ``CROSS_BORDER``: the operation is an ordinary
domestic payment, and what makes it costly is the card that funds it, so the caller picks this
schedule by funding source. The card issuer's own FX fee (often 1.5% at Visa or Mastercard) and
the limits (USD 5,000 per transaction, USD 50,000 per year) are not fees of this schedule.
"""

ECNY_TRANSFERS: Final = FeeSchedule(
    [
        FeeRule.free(
            OperationKind.TRANSFER,
            name="e-CNY transfer",
            description="e-CNY wallet transfers are free",
        )
    ],
    name="ecny_transfers",
)
"""e-CNY (digital RMB) wallet-to-wallet transfers: free.

Source: DOMAIN.md, "e-CNY wallet classes" (The Paper, 2022). Stated as an explicit free rule, so
the explanation says so rather than "no rule".
"""

ALL_FEE_PRESETS: Final[Mapping[str, FeeSchedule]] = MappingProxyType(
    {
        schedule.name: schedule
        for schedule in (
            WECHAT_WITHDRAWAL_2016,
            ALIPAY_WITHDRAWAL_2016,
            ALIPAY_CREDIT_CARD_REPAYMENT_2019,
            WECHAT_CREDIT_CARD_REPAYMENT_2018,
            BIG_FIVE_TRANSFERS_2016,
            FOREIGN_CARD_PAYMENTS,
            ECNY_TRANSFERS,
        )
    }
)
"""Every fee preset by its schedule name (``"wechat_withdrawal_2016"``, ...), read-only."""
