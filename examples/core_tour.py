"""A tour of the icbc-wallet core: exact money, tiered limits, explainable fees, refund windows.

Run it with ``python examples/core_tour.py`` after ``python -m pip install .``. It prints what a
wallet would decide for a few everyday operations, using the shipped real-world presets.
"""

from __future__ import annotations

from datetime import datetime

from icbc_wallet import LimitUsage, Money, PaymentMethod, check_limit
from icbc_wallet.presentation import explain, format_money
from icbc_wallet.presets.limits import ARTICLE_DEFAULTS, ECNY_2021


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


if __name__ == "__main__":
    main()
