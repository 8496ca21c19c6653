"""A tour of the icbc-wallet core: exact money, tiered limits, explainable fees, refund windows.

Run it with ``python examples/core_tour.py`` after ``python -m pip install .``. It prints what a
wallet would decide for a few everyday operations, using the shipped real-world presets.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icbc_wallet import (
    Channel,
    LimitUsage,
    Money,
    OperationKind,
    PaymentMethod,
    check_limit,
    check_refund,
)
from icbc_wallet.presentation import explain, format_money
from icbc_wallet.presets.fees import BIG_FIVE_TRANSFERS_2016, WECHAT_WITHDRAWAL_2016
from icbc_wallet.presets.limits import ARTICLE_DEFAULTS, ECNY_2021
from icbc_wallet.presets.refunds import ARTICLE_REFUND_WINDOW


def main() -> None:
    now = datetime.fromisoformat("2026-03-10T12:00:00+08:00")

    print("== Money is exact and splits to the fen ==")
    bill = Money.of("100.00")
    shares = bill.allocate([1, 1, 1])
    print(
        f"{format_money(bill, 'en_US')} split three ways:",
        ", ".join(format_money(s, "zh_CN") for s in shares),
    )

    print("\n== Limits: an unverified wallet (article defaults) ==")
    usage = LimitUsage().record(PaymentMethod.ONLINE, Money.of("800"), now)
    for amount in ("150", "300"):
        decision = check_limit(
            ARTICLE_DEFAULTS, "unverified", PaymentMethod.ONLINE, usage, Money.of(amount), now
        )
        print(f"pay {amount:>4} online after 800 today -> {explain(decision, 'en_US')}")
        print(f"{'':>28} -> {explain(decision, 'zh_CN')}")

    print("\n== Limits: an anonymous e-CNY wallet (class 4) cannot withdraw ==")
    decision = check_limit(
        ECNY_2021, "WL04", PaymentMethod.WITHDRAWAL, LimitUsage(), Money.of("10"), now
    )
    print(f"withdraw 10 -> {explain(decision, 'en_US')}")

    print("\n== Fees: a WeChat withdrawal of 2,000 with 1,000 of free quota left ==")
    quote = WECHAT_WITHDRAWAL_2016.quote(
        OperationKind.WITHDRAWAL, Money.of("2000"), now=now, quota_used=Money.of("0")
    )
    for line in quote.lines:
        print(f"  {line.label:<22} {format_money(line.amount, 'en_US'):>12}  {line.detail}")
    print(
        f"  fee {format_money(quote.fee, 'en_US')}, leaves the wallet: {format_money(quote.total_debit, 'en_US')}"
    )
    quote = WECHAT_WITHDRAWAL_2016.quote(
        OperationKind.WITHDRAWAL, Money.of("2000"), now=now, quota_used=Money.of("1000")
    )
    print(f"  with the quota already used up: fee {format_money(quote.fee, 'en_US')}")

    print("\n== Fees: the same 20,000 transfer on mobile and on PC (big-five banks, 2016) ==")
    for channel in (Channel.MOBILE, Channel.PC):
        quote = BIG_FIVE_TRANSFERS_2016.quote(
            OperationKind.TRANSFER, Money.of("20000"), now=now, channel=channel
        )
        print(f"  {channel.value:<6} fee {format_money(quote.fee, 'en_US')}")

    print("\n== Refunds: 7 days from the transaction (the article) ==")
    bought = now - timedelta(days=3)
    for requested, refunded in (("60", "0"), ("50", "60")):
        decision = check_refund(
            ARTICLE_REFUND_WINDOW,
            transacted_at=bought,
            captured=Money.of("100"),
            refunded=Money.of(refunded),
            requested=Money.of(requested),
            now=now,
        )
        print(f"  refund {requested} after {refunded} refunded -> {explain(decision, 'en_US')}")


if __name__ == "__main__":
    main()
