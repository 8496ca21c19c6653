"""Real-world limit schedules, as data. Every amount is CNY.

Each preset's docstring cites its source. Numbers marked UNVERIFIED are commonly quoted but not
confirmed against a primary source: they are defaults to configure, not law.

```pycon
>>> ECNY_2021.tier_names
('WL04', 'WL03', 'WL02', 'WL01')
>>> ECNY_2021.tier("WL04").limit.daily
Money('5000.00', 'CNY')

```
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from icbc_wallet.domain.limits import Limit, LimitSchedule, PaymentMethod, TierLimits
from icbc_wallet.domain.money import Money

__all__ = [
    "ALL_LIMIT_PRESETS",
    "ARTICLE_DEFAULTS",
    "CONTACTLESS_NO_PIN_PER_TRANSACTION",
    "ECNY_2021",
    "ECNY_2021_WITH_QR_CODES",
    "ECNY_CCB_PILOT_2020",
    "PAYMENT_ACCOUNTS_2016",
    "PBOC_BANK_ACCOUNTS",
    "QR_CODE_DAILY_LIMITS",
]


def _cny(amount: str) -> Money:
    return Money.of(amount)


QR_CODE_DAILY_LIMITS: Final[Mapping[str, Limit]] = MappingProxyType(
    {
        "A": Limit(),
        "B": Limit.of(daily="5000"),
        "C": Limit.of(daily="1000"),
        "D": Limit.of(daily="500"),
    }
)
"""PBOC QR-code payment levels, daily per account (银发〔2017〕296号, in force 2018-04-01).

A: dynamic code with two or more factors including a digital certificate or e-signature, limit by
agreement (no cap here); B: dynamic code with two or more factors, 5,000; C: dynamic code with fewer
than two factors, 1,000; D: static code, 500.
"""

CONTACTLESS_NO_PIN_PER_TRANSACTION: Final = _cny("1000")
"""The contactless no-PIN ("小额免密") ceiling per transaction since 2018-06-01 (300 before)."""

_STATIC_QR = {PaymentMethod.STATIC_QR: QR_CODE_DAILY_LIMITS["D"]}

ARTICLE_DEFAULTS: Final = LimitSchedule(
    (
        TierLimits(
            "unverified",
            Limit.of(per_transaction="500", daily="1000"),
            methods=_STATIC_QR,
            description="Not real-name verified: small payments only.",
        ),
        TierLimits(
            "real_name",
            Limit.of(per_transaction="5000", daily="50000"),
            methods=_STATIC_QR,
            description="Real-name verified (ID checked).",
        ),
    ),
    name="article-defaults",
    description="The article's defaults, with exact numbers chosen by us.",
)
"""The article's defaults (question 3), UNVERIFIED: exact numbers are our choice.

The article says an unverified wallet has a single-payment limit of "a few hundred yuan" and a
daily cumulative limit "generally not above 1,000"; a real-name verified one "a few thousand" per
payment and "tens of thousands" per day. We chose 500 / 1,000 and 5,000 / 50,000. Static QR
payments keep the PBOC level-D cap of 500 a day at every tier.
"""

_NO_WITHDRAWAL = frozenset({PaymentMethod.WITHDRAWAL})
_ECNY_WITHDRAWAL = {PaymentMethod.WITHDRAWAL: Limit.of(per_transaction="1000", daily="1000")}

ECNY_2021: Final = LimitSchedule(
    (
        TierLimits(
            "WL04",
            Limit.of(per_transaction="2000", daily="5000"),
            balance_cap=_cny("10000"),
            disallowed=_NO_WITHDRAWAL,
            description="Class 4: opened remotely with a mobile number only (anonymous).",
        ),
        TierLimits(
            "WL03",
            Limit.of(per_transaction="5000", daily="10000"),
            balance_cap=_cny("20000"),
            disallowed=_NO_WITHDRAWAL,
            description="Class 3: ID and mobile number, no bank account. Caps UNVERIFIED.",
        ),
        TierLimits(
            "WL02",
            Limit.of(per_transaction="50000", daily="100000"),
            balance_cap=_cny("500000"),
            methods=_ECNY_WITHDRAWAL,
            description="Class 2: ID, mobile number and the holder's own bank account.",
        ),
        TierLimits(
            "WL01",
            Limit(),
            methods=_ECNY_WITHDRAWAL,
            description="Class 1: opened face to face; no wallet caps.",
        ),
    ),
    name="ecny-2021",
    description="e-CNY wallet classes 4 (lowest) to 1.",
)
"""e-CNY (digital RMB) wallet classes, 2021.

Sources: Mu Changchun at the Lujiazui Forum, 2021-06 (class 4: balance 10,000, single 2,000,
daily 5,000); Caixin 2021 and The Paper 2022 (classes 3 to 1). Class 3's 5,000 single and 10,000
daily are often quoted but UNVERIFIED. Class 1 has no wallet caps (one source quotes 500,000 /
50,000). Withdrawals (The Paper 2022): classes 1-2 1,000 per transaction and per day; classes 3-4
cannot withdraw. The tiers are named by wallet level code (WL04 lowest).
"""

ECNY_2021_WITH_QR_CODES: Final = LimitSchedule(
    tuple(attrs.evolve(tier, methods={**tier.methods, **_STATIC_QR}) for tier in ECNY_2021.tiers),
    name="ecny-2021-qr",
    description="e-CNY wallet classes 4 to 1, with the PBOC static QR code cap at every class.",
)
"""The e-CNY classes of :data:`ECNY_2021` with the PBOC level-D static QR code cap.

A payment by scanning a merchant's printed (static) code is capped at 500 a day whatever the
wallet class (PBOC 2017 No. 296, :data:`QR_CODE_DAILY_LIMITS` level D). The wallet service's
default policy set uses this schedule.
"""

ECNY_CCB_PILOT_2020: Final = LimitSchedule(
    (
        TierLimits(
            "class_4",
            Limit.of(per_transaction="500", daily="1000", annual="10000"),
            balance_cap=_cny("1000"),
        ),
        TierLimits(
            "class_3",
            Limit.of(per_transaction="2000", daily="2000", annual="50000"),
            balance_cap=_cny("2000"),
        ),
        TierLimits(
            "class_2",
            Limit.of(per_transaction="5000", daily="10000", annual="300000"),
            balance_cap=_cny("10000"),
        ),
        TierLimits(
            "class_1",
            Limit.of(per_transaction="50000", daily="100000", annual="500000"),
            balance_cap=_cny("500000"),
        ),
    ),
    name="ecny-ccb-pilot-2020",
    description="The 2020 CCB e-CNY pilot agreement.",
)
"""e-CNY classes in a 2020 China Construction Bank pilot agreement (balance / single / daily / annual).

Class 1: 500,000 / 50,000 / 100,000 / 500,000; class 2: 10,000 / 5,000 / 10,000 / 300,000;
class 3: 2,000 / 2,000 / 2,000 / 50,000; class 4: 1,000 / 500 / 1,000 / 10,000. Lower than the
2021 figures; kept for comparison.
"""

PBOC_BANK_ACCOUNTS: Final = LimitSchedule(
    (
        TierLimits(
            "class_III",
            Limit.of(daily="2000", annual="50000"),
            balance_cap=_cny("2000"),
            description="Class III account: small payments, balance at most 2,000.",
        ),
        TierLimits(
            "class_II",
            Limit.of(daily="10000", annual="200000"),
            description="Class II account: consumption, transfers out and cash withdrawal.",
        ),
    ),
    name="pboc-bank-accounts",
    description="PBOC personal bank account classes II and III.",
)
"""PBOC personal bank account classes II and III (银发〔2015〕392号, 银发〔2018〕16号).

Outflows only: class II consumption, transfers to non-bound accounts and cash withdrawal together
10,000 a day and 200,000 a year; class III (2018 rules) balance at most 2,000, outflow 2,000 a day
and 50,000 a year (the 2016 original was 1,000 / 5,000 / 100,000). Not modelled here: inflow
caps (class II non-bound inflow and cash deposit 10,000 a day, 200,000 a year) and the exemption of
transfers to and from the bound class I account.
"""

PAYMENT_ACCOUNTS_2016: Final = LimitSchedule(
    (
        TierLimits(
            "class_I",
            Limit.of(lifetime="1000"),
            description="One external verification channel.",
        ),
        TierLimits(
            "class_II",
            Limit.of(annual="100000"),
            description="Face to face, or three external verification channels.",
        ),
        TierLimits(
            "class_III",
            Limit.of(annual="200000"),
            description="Face to face, or five external verification channels.",
        ),
    ),
    name="payment-accounts-2016",
    description="Non-bank payment account classes I-III.",
)
"""Non-bank payment account classes (PBOC Announcement 〔2015〕 No. 43, in force 2016-07-01).

Balance payments: class I 1,000 in total since the account was opened; class II 100,000 a year;
class III 200,000 a year. The daily caps by verification strength (Art. 24: 1,000 with fewer than
two factors, 5,000 with two) depend on the factors used per payment and belong to the
authentication policy, not to the account class.
"""

ALL_LIMIT_PRESETS: Final[Mapping[str, LimitSchedule]] = MappingProxyType(
    {
        schedule.name: schedule
        for schedule in (
            ARTICLE_DEFAULTS,
            ECNY_2021,
            ECNY_2021_WITH_QR_CODES,
            ECNY_CCB_PILOT_2020,
            PBOC_BANK_ACCOUNTS,
            PAYMENT_ACCOUNTS_2016,
        )
    }
)
"""Every limit preset by its name."""
