"""Fee quote cost against a raw-Decimal implementation of the same computation, in one process.

Run with ``nox -s bench`` (or ``python benchmarks/bench_fees.py``). Prints ratios, asserts nothing
about speed: the goal is a quote within 2.5x of raw Decimal. Before timing, it checks that both
sides charge the same fee.

Both sides do the same work: find the rule for (kind, channel), take what the free quota covers,
pick the bracket, apply the rate, round half up to the fen, check a dated waiver (National Day,
which does not apply in May) and clamp to the minimum and maximum. Ours also builds the itemised
``FeeQuote``; the baseline returns the fee and the quota consumed.
"""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Final

sys.path.insert(0, str(Path(__file__).parent))

from _timing import compare_us, report

from icbc_wallet import Channel, FeeSchedule, Money, OperationKind, Waiver
from icbc_wallet.presets.fees import BIG_FIVE_TRANSFERS_2016, WECHAT_WITHDRAWAL_2016

NOW: Final = datetime.fromisoformat("2026-05-06T12:00:00+08:00")
NATIONAL_DAY_STARTS: Final = datetime.fromisoformat("2026-10-01T00:00:00+08:00")
NATIONAL_DAY_ENDS: Final = datetime.fromisoformat("2026-10-08T00:00:00+08:00")
NATIONAL_DAY: Final = Waiver.full(
    "National Day 2026",
    starts=NATIONAL_DAY_STARTS,
    ends=NATIONAL_DAY_ENDS,
    kinds=[OperationKind.WITHDRAWAL, OperationKind.TRANSFER],
)


def with_waiver(schedule: FeeSchedule) -> FeeSchedule:
    """The preset's rules, plus the dated waiver both sides must check."""
    return FeeSchedule(schedule.rules, [NATIONAL_DAY], name=schedule.name)


WECHAT: Final = with_waiver(WECHAT_WITHDRAWAL_2016)
BIG_FIVE: Final = with_waiver(BIG_FIVE_TRANSFERS_2016)

# -- the raw baseline: plain Decimals and tuples --------------------------------------------------

ZERO: Final = Decimal(0)
FEN: Final = Decimal("0.01")
# (up_to, flat, rate) with up_to inclusive, None for the open-ended last bracket
Bracket = tuple[Decimal | None, Decimal, Decimal]
# (brackets, minimum, maximum, free quota)
RawRule = tuple[tuple[Bracket, ...], Decimal, Decimal | None, Decimal | None]

RAW_RULES: Final[dict[tuple[str, str | None], RawRule]] = {
    ("withdrawal", None): (((None, ZERO, Decimal("0.001")),), Decimal("0.10"), None, Decimal(1000)),
    ("transfer", "pc"): (
        (
            (Decimal(5000), ZERO, ZERO),
            (Decimal(10_000), Decimal(5), ZERO),
            (Decimal(50_000), Decimal("7.50"), ZERO),
            (None, ZERO, Decimal("0.00015")),
        ),
        ZERO,
        Decimal(25),
        None,
    ),
}
RAW_WAIVERS: Final = (
    (NATIONAL_DAY_STARTS, NATIONAL_DAY_ENDS, frozenset({"withdrawal", "transfer"})),
)


def raw_fee(
    kind: str, channel: str | None, amount: Decimal, used: Decimal, now: datetime
) -> tuple[Decimal, Decimal]:
    """(fee, quota consumed) for one operation, computed directly with Decimal."""
    brackets, minimum, maximum, quota = RAW_RULES[kind, channel]
    consumed = ZERO
    if quota is not None:
        left = quota - used if quota > used else ZERO
        consumed = amount if amount < left else left
    chargeable = amount - consumed
    if not chargeable:
        return ZERO, consumed
    for bracket in brackets:  # the last bracket is open-ended
        if bracket[0] is None or chargeable <= bracket[0]:
            break
    _up_to, flat, rate = bracket
    fee = (flat + chargeable * rate).quantize(FEN, rounding=ROUND_HALF_UP)
    for starts, ends, kinds in RAW_WAIVERS:
        if starts <= now < ends and kind in kinds:
            return ZERO, consumed
    if fee < minimum:
        fee = minimum
    elif maximum is not None and fee > maximum:
        fee = maximum
    return fee, consumed


# -- the comparison -------------------------------------------------------------------------------


def check_same_fees() -> None:
    """Both sides agree on the timed cases and on a sweep around every boundary."""
    used = Money.of(600)
    for amount in ("0.01", "50", "400", "400.01", "450", "2000", "2000.05", "123456.78"):
        quote = WECHAT.quote(OperationKind.WITHDRAWAL, Money.of(amount), now=NOW, quota_used=used)
        raw = raw_fee("withdrawal", None, Decimal(amount), used.amount, NOW)
        assert (quote.fee.amount, quote.quota_consumed.amount) == raw, (amount, quote, raw)
    for amount in ("1", "5000", "5000.01", "10000", "20000", "50000.01", "100000", "500000"):
        quote = BIG_FIVE.quote(
            OperationKind.TRANSFER, Money.of(amount), now=NOW, channel=Channel.PC
        )
        raw = raw_fee("transfer", "pc", Decimal(amount), ZERO, NOW)
        assert (quote.fee.amount, quote.quota_consumed.amount) == raw, (amount, quote, raw)
    in_october = datetime.fromisoformat("2026-10-02T12:00:00+08:00")
    quote = WECHAT.quote(OperationKind.WITHDRAWAL, Money.of(2000), now=in_october, quota_used=used)
    assert quote.fee.is_zero()
    assert raw_fee("withdrawal", None, Decimal(2000), used.amount, in_october)[0] == ZERO


def main() -> int:
    check_same_fees()

    withdrawal, used = Money.of(2000), Money.of(600)
    raw_withdrawal, raw_used = Decimal("2000.00"), Decimal("600.00")
    quote = WECHAT.quote(OperationKind.WITHDRAWAL, withdrawal, now=NOW, quota_used=used)
    print(f"WeChat withdrawal of {withdrawal} with {used} of quota used: fee {quote.fee}")
    ours, raw = compare_us(
        lambda: WECHAT.quote(OperationKind.WITHDRAWAL, withdrawal, now=NOW, quota_used=used),
        lambda: raw_fee("withdrawal", None, raw_withdrawal, raw_used, NOW),
    )
    report("fee quote, WeChat withdrawal vs raw Decimal", ours, raw, 2.5)

    transfer, raw_transfer = Money.of(20_000), Decimal("20000.00")
    quote = BIG_FIVE.quote(OperationKind.TRANSFER, transfer, now=NOW, channel=Channel.PC)
    print(f"Big-five online transfer of {transfer}: fee {quote.fee}")
    ours, raw = compare_us(
        lambda: BIG_FIVE.quote(OperationKind.TRANSFER, transfer, now=NOW, channel=Channel.PC),
        lambda: raw_fee("transfer", "pc", raw_transfer, ZERO, NOW),
    )
    report("fee quote, bracketed transfer vs raw Decimal", ours, raw, 2.5)
    return 0  # ratios are reported, never asserted: machines are noisy


if __name__ == "__main__":
    raise SystemExit(main())
