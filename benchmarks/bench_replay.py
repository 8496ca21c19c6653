"""Replay cost per row against a plain-Decimal evaluation of the same policy, in one process.

Run with ``nox -s bench`` (or ``python benchmarks/bench_replay.py [--rows N]``). Prints ratios,
asserts nothing about speed: the goal is a replay within 5x of the plain evaluation. Before it
prints, it checks that both sides approve the same transactions, decline them for the same
reasons and earn the same fee income, so the comparison is honest.

Both sides read the same generated CSV file (1,000,000 rows by default) from disk, row by row:

- ours: ``replay(read_transactions(path), policy)``: the reader checks every cell (UTF-8, ISO
  timestamps with offsets, kinds, methods, exact amounts) and builds ``Transaction`` s; the
  evaluator decides each with the real limit check, usage, fee quote and free quota.
- the baseline: ``csv.reader``, ``Decimal`` and ``datetime.fromisoformat`` per row, the same caps
  (per transaction, daily, ... per tier and per method, in the business zone) in dicts of
  ``Decimal``, and the same fees (the WeChat withdrawal fee with its 1,000 free, the big-five
  transfer brackets on PC, a 0.6 % merchant fee capped one fen below the amount).

Peak RSS is printed after each side: memory stays bounded by the customers, not the rows.
"""

from __future__ import annotations

import argparse
import csv
import gc
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from icbc_wallet.analysis import (
    generate_transactions,
    read_transactions,
    replay,
    write_transactions,
)
from icbc_wallet.domain.fee_rules import FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.presets.fees import BIG_FIVE_TRANSFERS_2016, WECHAT_WITHDRAWAL_2016
from icbc_wallet.service import WalletPolicies

GOAL: Final = 5.0
POLICY: Final = WalletPolicies(
    limits=WalletPolicies.default().limits,
    tiers=WalletPolicies.default().tiers,
    fees=FeeSchedule(
        [*WECHAT_WITHDRAWAL_2016.rules, *BIG_FIVE_TRANSFERS_2016.rules], name="bench customer fees"
    ),
    merchant_fees=FeeSchedule(
        [FeeRule.percentage(OperationKind.PAYMENT, "0.006")], name="bench merchant fee"
    ),
)

# -- the baseline: the same policy in plain Decimals, dicts and tuples -------------------------

ZONE: Final = ZoneInfo("Asia/Shanghai")
FEN: Final = Decimal("0.01")
ZERO: Final = Decimal(0)
D = Decimal
Caps = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None, Decimal | None]
REASONS: Final = (
    "limit.per_transaction",
    "limit.daily",
    "limit.monthly",
    "limit.annual",
    "limit.lifetime",
)
STATIC_QR: Final[Caps] = (None, D(500), None, None, None)  # PBOC level D, every tier
WITHDRAWALS: Final[Caps] = (D(1000), D(1000), None, None, None)
# tier: (overall caps, caps per method, methods not allowed) -- presets/limits.py ECNY_2021
RAW_TIERS: Final[dict[str, tuple[Caps, dict[str, Caps], frozenset[str]]]] = {
    "WL04": ((D(2000), D(5000), None, None, None), {"static_qr": STATIC_QR}, frozenset({"withdrawal"})),
    "WL03": ((D(5000), D(10000), None, None, None), {"static_qr": STATIC_QR}, frozenset({"withdrawal"})),
    "WL02": (
        (D(50000), D(100000), None, None, None),
        {"static_qr": STATIC_QR, "withdrawal": WITHDRAWALS},
        frozenset(),
    ),
    "WL01": (
        (None, None, None, None, None),
        {"static_qr": STATIC_QR, "withdrawal": WITHDRAWALS},
        frozenset(),
    ),
}  # fmt: skip
Answer = tuple[int, Counter[str], Decimal]  # approved, declines by reason, fee income
METHODS_BY_KIND: Final = {
    "payment": frozenset({"static_qr", "dynamic_qr", "nfc", "online"}),
    "withdrawal": frozenset({"withdrawal"}),
    "transfer": frozenset({"p2p_transfer"}),
}
# usage of one scope: the window keys (day, month, year) and what is used in them, + lifetime
Usage = tuple[list[int], list[Decimal]]


def raw_exceeded(
    caps: Caps, usage: Usage | None, day: int, month: int, year: int, amount: Decimal
) -> str | None:
    """The first window (narrowest first) whose cap ``amount`` would exceed, or None."""
    if usage is None:
        used = (ZERO, ZERO, ZERO, ZERO, ZERO)
    else:
        (on_day, in_month, in_year), (day_used, month_used, year_used, lifetime) = usage
        used = (
            ZERO,
            day_used if on_day == day else ZERO,
            month_used if in_month == month else ZERO,
            year_used if in_year == year else ZERO,
            lifetime,
        )
    for window in range(5):
        cap = caps[window]
        if cap is not None and used[window] + amount > cap:
            return REASONS[window]
    return None


def raw_record(usage: Usage | None, day: int, month: int, year: int, amount: Decimal) -> Usage:
    if usage is None:
        return [day, month, year], [amount, amount, amount, amount]
    keys, used = usage
    for window, key in enumerate((day, month, year)):
        if keys[window] == key:
            used[window] += amount
        elif key > keys[window]:  # a new window; a late row leaves a closed one alone
            keys[window], used[window] = key, amount
    used[3] += amount
    return usage


def raw_fee(  # noqa: PLR0911  # one branch per rule, as a plain implementation has
    kind: str, channel: str, amount: Decimal, quota_used: Decimal
) -> tuple[Decimal, Decimal]:
    """(fee, quota consumed) for a customer's withdrawal or transfer."""
    if kind == "withdrawal":  # WeChat 2016: 0.1 %, minimum 0.10, 1,000 free for life
        left = D(1000) - quota_used if quota_used < D(1000) else ZERO
        consumed = amount if amount < left else left
        chargeable = amount - consumed
        if not chargeable:
            return ZERO, consumed
        fee = (chargeable * D("0.001")).quantize(FEN, rounding=ROUND_HALF_UP)
        return (fee if fee > D("0.10") else D("0.10")), consumed
    if kind == "transfer" and channel == "pc":  # big five 2016, online banking
        if amount <= D(5000):
            return ZERO, ZERO
        if amount <= D(10000):
            return D(5), ZERO
        if amount <= D(50000):
            return D("7.50"), ZERO
        fee = (amount * D("0.00015")).quantize(FEN, rounding=ROUND_HALF_UP)
        return (fee if fee < D(25) else D(25)), ZERO
    return ZERO, ZERO  # mobile transfers are free; tablets have no rule


def raw_replay(path: Path) -> Answer:  # noqa: PLR0912, PLR0915  # one loop, inlined
    """(approved, declines by reason, fee income) with csv, Decimal and dicts only."""
    approved, declines, income = 0, Counter[str](), ZERO
    customers: dict[str, tuple[list[datetime], dict[str, Usage], list[Decimal]]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        at_i, cu_i, ti_i, ki_i, me_i, am_i, ch_i = (
            header.index(name)
            for name in ("at", "customer", "tier", "kind", "method", "amount", "channel")
        )
        for row in reader:
            amount, at = Decimal(row[am_i]), datetime.fromisoformat(row[at_i])
            kind, method, channel = row[ki_i], row[me_i], row[ch_i] or "mobile"
            state = customers.get(row[cu_i])
            if state is None:
                state = customers[row[cu_i]] = ([at], {}, [ZERO])
            if at < state[0][0]:
                declines["replay.out_of_order"] += 1
                continue
            state[0][0] = at
            tier = RAW_TIERS.get(row[ti_i])
            if tier is None:
                declines["replay.unknown_tier"] += 1
                continue
            if method not in METHODS_BY_KIND[kind]:
                declines["replay.unsupported_operation"] += 1
                continue
            overall, by_method, disallowed = tier
            if method in disallowed:
                declines["limit.method_not_allowed"] += 1
                continue
            local = at.astimezone(ZONE)
            day, month, year = local.toordinal(), local.year * 12 + local.month, local.year
            quota = state[2]
            if kind == "payment":
                debit, consumed = amount, ZERO
                fee = (amount * D("0.006")).quantize(FEN, rounding=ROUND_HALF_UP)
                if fee >= amount:
                    fee = amount - FEN
            else:
                fee, consumed = raw_fee(kind, channel, amount, quota[0])
                debit = amount + fee
            usage = state[1]
            method_caps = by_method.get(method)
            reason = None
            if method_caps is not None:
                reason = raw_exceeded(method_caps, usage.get(method), day, month, year, debit)
            if reason is None:
                reason = raw_exceeded(overall, usage.get("all"), day, month, year, debit)
            if reason is not None:
                declines[reason] += 1
                continue
            if method_caps is not None:
                usage[method] = raw_record(usage.get(method), day, month, year, debit)
            usage["all"] = raw_record(usage.get("all"), day, month, year, debit)
            quota[0] += consumed
            approved += 1
            income += fee
    return approved, declines, income


# -- the comparison -------------------------------------------------------------------------------


def ours(path: Path) -> Answer:
    summary = replay(read_transactions(path), POLICY).summary
    assert summary.bad_rows == 0, summary.first_errors
    return summary.a.approved, summary.a.declines, summary.a.fee_income.amount


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def timed(run: Callable[[Path], Answer], path: Path) -> tuple[float, Answer]:
    gc.collect()
    started = time.perf_counter()
    answer = run(path)
    return time.perf_counter() - started, answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated file")
    parser.add_argument("--customers", type=int, default=10_000, help="customers sharing them")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side; the best counts")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "transactions.csv")
        started = time.perf_counter()
        rows = write_transactions(
            path, generate_transactions(rows=options.rows, customers=options.customers)
        )
        print(
            f"generated {rows:,} rows for {options.customers:,} customers "
            f"({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.1f} s; "
            f"peak RSS {peak_rss_mib():.0f} MiB",
            flush=True,
        )
        best_ours = best_raw = float("inf")
        for _ in range(max(options.repeat, 1)):  # interleaved: a noisy neighbour slows both
            seconds, raw_answer = timed(raw_replay, path)
            best_raw = min(best_raw, seconds)
            seconds, our_answer = timed(ours, path)
            best_ours = min(best_ours, seconds)
            assert our_answer == raw_answer, (our_answer, raw_answer)
        approved, declines, income = raw_answer
        print(
            f"both sides: {approved:,} approved, declines {dict(declines)}, "
            f"fee income {Money.of(income)}; peak RSS {peak_rss_mib():.0f} MiB",
            flush=True,
        )
    ours_us, raw_us = best_ours / rows * 1e6, best_raw / rows * 1e6
    ratio = ours_us / raw_us
    verdict = "ok" if ratio <= GOAL else "OVER GOAL"
    print(
        f"{'replay per row, CSV to summary, vs plain Decimal':<46} ours {ours_us:7.2f} us  "
        f"baseline {raw_us:7.2f} us  ratio {ratio:5.2f}x  goal <= {GOAL}x  {verdict}",
        flush=True,
    )
    return 0  # ratios are reported, never asserted: machines are noisy


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
