"""Limit check cost against a raw-Decimal implementation of the same check, in one process.

Run with ``nox -s bench`` (or ``python benchmarks/bench_limits.py``). Prints ratios, asserts nothing:
the goal is a limit check within 3x of raw Decimal, and the same cost after 1,000,000 payments in
the window as after 10.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parent))

from _timing import compare_us, report

from icbc_wallet import (
    Limit,
    LimitSchedule,
    LimitUsage,
    LimitWindow,
    Money,
    PaymentMethod,
    TierLimits,
    check_limit,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.fromisoformat("2026-03-10T12:00:00+08:00")
METHOD = PaymentMethod.STATIC_QR

SCHEDULE = LimitSchedule(
    (
        TierLimits(
            "real_name",
            Limit.of(per_transaction="5000", daily="50000", monthly="200000", annual="1000000"),
            methods={METHOD: Limit.of(daily="20000")},
        ),
    )
)


def raw_check(
    amount: Decimal,
    now: datetime,
    totals: dict[str, tuple[int, Decimal, int, Decimal, int, Decimal]],
) -> tuple[str, Decimal, Decimal] | None:
    """The same decision with plain Decimals and tuples: method daily cap, then overall caps."""
    local = now.astimezone(SHANGHAI)
    day, month, year = local.toordinal(), local.year * 12 + local.month, local.year
    m_day, m_day_used, *_ = totals["static_qr"]
    used = m_day_used if m_day == day else Decimal(0)
    if used + amount > Decimal("20000"):
        return ("method daily", Decimal("20000"), used)
    if amount > Decimal("5000"):
        return ("single", Decimal("5000"), Decimal(0))
    o_day, o_day_used, o_month, o_month_used, o_year, o_year_used = totals["all"]
    used = o_day_used if o_day == day else Decimal(0)
    if used + amount > Decimal("50000"):
        return ("daily", Decimal("50000"), used)
    used = o_month_used if o_month == month else Decimal(0)
    if used + amount > Decimal("200000"):
        return ("monthly", Decimal("200000"), used)
    used = o_year_used if o_year == year else Decimal(0)
    if used + amount > Decimal("1000000"):
        return ("annual", Decimal("1000000"), used)
    return None


def usage_after(payments: int) -> LimitUsage:
    usage = LimitUsage()
    step = timedelta(seconds=40_000 / max(payments, 1))  # all inside today's business day
    start = NOW - timedelta(hours=11)
    one_fen = Money.from_minor(1)
    for index in range(payments):
        usage = usage.record(METHOD, one_fen, start + step * index)
    return usage


def main() -> int:
    amount = Money.of("100.00")
    raw_amount = Decimal("100.00")
    usage = usage_after(10)
    day = NOW.astimezone(SHANGHAI)
    keys = (day.toordinal(), day.year * 12 + day.month, day.year)
    raw_totals = {
        "static_qr": (keys[0], Decimal("0.10"), keys[1], Decimal("0.10"), keys[2], Decimal("0.10")),
        "all": (keys[0], Decimal("0.10"), keys[1], Decimal("0.10"), keys[2], Decimal("0.10")),
    }
    assert check_limit(SCHEDULE, "real_name", METHOD, usage, amount, NOW).approved
    assert raw_check(raw_amount, NOW, raw_totals) is None

    ours, raw = compare_us(
        lambda: check_limit(SCHEDULE, "real_name", METHOD, usage, amount, NOW),
        lambda: raw_check(raw_amount, NOW, raw_totals),
    )
    report("limit check (approved) vs raw Decimal", ours, raw, 3.0)

    # A decline builds the explanation (cap, used, remaining); the raw side returns a tuple.
    over = Money.of("20000.01")
    raw_over = Decimal("20000.01")
    assert not check_limit(SCHEDULE, "real_name", METHOD, usage, over, NOW).approved
    assert raw_check(raw_over, NOW, raw_totals) is not None
    ours, raw = compare_us(
        lambda: check_limit(SCHEDULE, "real_name", METHOD, usage, over, NOW),
        lambda: raw_check(raw_over, NOW, raw_totals),
    )
    report("limit check (declined) vs raw Decimal", ours, raw, 3.0)

    print("recording 1,000,000 payments in today's window ...", flush=True)
    big = usage_after(1_000_000)
    assert big.used(LimitWindow.DAY, NOW).minor == 1_000_000
    assert check_limit(SCHEDULE, "real_name", METHOD, big, amount, NOW).approved
    big_cost, small_cost = compare_us(
        lambda: check_limit(SCHEDULE, "real_name", METHOD, big, amount, NOW),
        lambda: check_limit(SCHEDULE, "real_name", METHOD, usage, amount, NOW),
    )
    report("limit check after 1,000,000 vs after 10", big_cost, small_cost, 1.2)
    return 0  # ratios are reported, never asserted: machines are noisy


if __name__ == "__main__":
    raise SystemExit(main())
