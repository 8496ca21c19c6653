"""The in-memory pay path against a plain-Decimal implementation of the same steps, in one process.

Run with ``nox -s bench`` (or ``python benchmarks/bench_pay_path.py``). Prints ratios, asserts
nothing about speed. Goals (the issue): the pay path within 3x of plain Decimal; the cost of a pay
after 1,000,000 earlier payments within 1.2x of the cost after 10; and the memory an idle wallet
takes, reported.

One pay is: status check, the method's daily cap, then the tier's per-transaction and daily caps
(day keys are the business date in Asia/Shanghai), the available-balance check, the hold, the
usage record, the merchant's fee (0.6 %, half up to the fen), the capture (pending and balance
down, the merchant's balance up by the amount less the fee, fee income up by the fee) and the
events (authorised and captured on the wallet, paid on the merchant). The baseline does exactly
that with Decimals, tuples and a slotted class; it records the usage in the same windows as the
library (day, month, year, lifetime; per method and overall), and keeps each hold in a dict
until it is captured. It builds no payment record and no balanced journal entry, which the
library returns for the service to store and post. Both sides append their events to
a list and empty it every 1,024 pays, and take their ids from lists built before timing. One
timed call of the baseline makes 32 pays (its time is divided by 32), so that both sides' runs
last about as long: on a busy machine, short runs would find quiet moments that long ones do not.

Measured, each with its ratio:

1. aggregate level: ``Wallet.authorise`` + ``FeeSchedule.quote`` + ``Wallet.capture`` +
   ``Merchant.receive``, no unit of work (the pure pay path);
2. service level: ``WalletService.pay`` through :func:`icbc_wallet.bootstrap.in_memory` with a
   fresh idempotency key per call (unit of work, idempotency record, outbox, ledger, payments);
3. history: a service-level pay over a store holding 1,000,000 earlier payments against one over
   a store that held 10 when timing began;
4. memory: bytes per idle wallet held in the in-memory store.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import attrs

sys.path.insert(0, str(Path(__file__).parent))

from _timing import compare_us, report

from icbc_wallet import (
    BankCard,
    Channel,
    FeeRule,
    FeeSchedule,
    Limit,
    LimitSchedule,
    MerchantCreditCode,
    Money,
    OperationKind,
    PaymentMethod,
    PhoneNumber,
    TierLimits,
)
from icbc_wallet.adapters.memory import InMemoryStore
from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId
from icbc_wallet.ports.persistence import StoredEvent
from icbc_wallet.service import WalletPolicies
from icbc_wallet.wallet import Merchant, Owner, Payment, Wallet

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
NOW: Final = datetime.fromisoformat("2026-03-10T12:00:00+08:00")
EXPIRES: Final = NOW + timedelta(days=7)
METHOD: Final = PaymentMethod.STATIC_QR
CHANNEL: Final = Channel.MOBILE
CATEGORY: Final = Category.FOOD
AMOUNT: Final = Money.of("35.50")
CARD: Final = BankCard.parse("6225768888888888")
CREDIT_CODE: Final = MerchantCreditCode.parse("91110000600037341L")
PULL_EVERY: Final = 1024  # both sides empty their event lists this often
RAW_BATCH: Final = 32  # baseline pays per timed call, so that both sides' runs take about as long

# Caps high enough never to bind in a run, yet checked on every pay.
PER_TRANSACTION, DAILY = "50000", "1000000000"
TIER: Final = TierLimits(
    "bench",
    Limit.of(per_transaction=PER_TRANSACTION, daily=DAILY),
    methods={METHOD: Limit.of(daily=DAILY)},
)
SCHEDULE: Final = LimitSchedule((TIER,))
MERCHANT_FEES: Final = FeeSchedule(
    [FeeRule.percentage(OperationKind.PAYMENT, "0.006", name="merchant 0.6%")],
    name="merchant fees",
)
TOP_UP: Final = "900000000"

# -- the raw baseline: plain Decimals, tuples and a slotted class ------------------------------

ZERO: Final = Decimal(0)
FEN: Final = Decimal("0.01")
RATE: Final = Decimal("0.006")
RAW_PER_TRANSACTION: Final = Decimal(PER_TRANSACTION)
RAW_DAILY: Final = Decimal(DAILY)
RAW_METHOD_DAILY: Final = Decimal(DAILY)
# (day, used, month, used, year, used, lifetime used)
Totals = tuple[int, Decimal, int, Decimal, int, Decimal, Decimal]
NO_TOTALS: Final[Totals] = (0, ZERO, 0, ZERO, 0, ZERO, ZERO)


@attrs.define
class RawBook:
    """One wallet, its merchant and fee income, as plain Decimals."""

    balance: Decimal
    status: str = "active"
    pending: Decimal = ZERO
    merchant: Decimal = ZERO
    fee_income: Decimal = ZERO
    usage: dict[str, Totals] = attrs.Factory(lambda: {"all": NO_TOTALS})
    holds: dict[str, tuple[Decimal, datetime, datetime]] = attrs.Factory(dict)
    events: list[tuple[object, ...]] = attrs.Factory(list)


def _recorded(totals: Totals, day: int, month: int, year: int, amount: Decimal) -> Totals:
    t_day, day_used, t_month, month_used, t_year, year_used, lifetime = totals
    return (
        day,
        (day_used if t_day == day else ZERO) + amount,
        month,
        (month_used if t_month == month else ZERO) + amount,
        year,
        (year_used if t_year == year else ZERO) + amount,
        lifetime + amount,
    )


def raw_pay(book: RawBook, payment_id: str, entry_id: str, amount: Decimal, now: datetime) -> str:
    """Authorise, price, capture and record one payment; the decline reason or ``""``.

    The hold's expiry is passed in, as the library's caller passes it to ``Wallet.authorise``.
    """
    if book.status != "active":
        return "frozen"
    local = now.astimezone(SHANGHAI)
    day, month, year = local.toordinal(), local.year * 12 + local.month, local.year
    method = book.usage.get("static_qr", NO_TOTALS)
    if (method[1] if method[0] == day else ZERO) + amount > RAW_METHOD_DAILY:
        return "method daily"
    if amount > RAW_PER_TRANSACTION:
        return "single"
    overall = book.usage["all"]
    if (overall[1] if overall[0] == day else ZERO) + amount > RAW_DAILY:
        return "daily"
    if amount > book.balance - book.pending:
        return "insufficient funds"
    book.pending += amount
    book.holds[payment_id] = (amount, now, EXPIRES)
    book.usage["static_qr"] = _recorded(method, day, month, year, amount)
    book.usage["all"] = _recorded(overall, day, month, year, amount)
    book.events.append(("authorised", payment_id, amount, now))
    fee = (amount * RATE).quantize(FEN, rounding=ROUND_HALF_UP)
    del book.holds[payment_id]
    book.pending -= amount
    book.balance -= amount
    book.merchant += amount - fee
    book.fee_income += fee
    book.events.append(("captured", payment_id, amount, fee, entry_id, now))
    book.events.append(("merchant paid", payment_id, amount - fee, entry_id, now))
    return ""


# -- the library's side ------------------------------------------------------------------------


def open_wallet(wallet_id: str, phone: str = "13800138000", card: BankCard = CARD) -> Wallet:
    """A fresh wallet at the benchmark tier, with ``card`` bound."""
    owner = Owner(PhoneNumber.parse(phone))
    wallet = Wallet.open(WalletId(wallet_id), owner, "bench", TIER, schedule=SCHEDULE, at=NOW)
    wallet.bind_card(card, NOW)
    return wallet


def card_number(serial: int) -> str:
    """A distinct 16-digit UnionPay-style number with a valid Luhn check digit."""
    body = f"622576{serial:09d}"
    total = 0
    for index, digit in enumerate(reversed(body)):  # the check digit will sit to the right
        doubled = int(digit) * (2 if index % 2 == 0 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return body + str(-total % 10)


def pay(wallet: Wallet, merchant: Merchant, payment_id: PaymentId, entry_id: str) -> Money:
    """The pure pay path: hold, price, capture, credit the merchant."""
    outcome = wallet.authorise(
        payment_id,
        merchant.merchant_id,
        AMOUNT,
        NOW,
        EXPIRES,
        method=METHOD,
        channel=CHANNEL,
        category=CATEGORY,
    )
    if type(outcome) is not Payment:
        raise AssertionError(f"the benchmark payment was declined: {outcome}")
    fee = MERCHANT_FEES.quote(OperationKind.PAYMENT, AMOUNT, now=NOW, channel=CHANNEL).fee
    entry = wallet.capture(outcome, AMOUNT, merchant.account, entry_id, NOW, fee=fee)
    merchant.receive(payment_id, entry, NOW)
    return fee


def ids(prefix: str, count: int) -> Iterator[tuple[int, str, str]]:
    """``(n, payment id, entry id)`` built before timing starts."""
    return iter([(n, f"{prefix}P{n}", f"{prefix}E{n}") for n in range(1, count + 1)])


def check_same_results() -> None:
    """Both sides agree on fees (including half-up cases) and on the balances they leave."""
    wallet, book = open_wallet("W-check"), RawBook(Decimal(TOP_UP))
    wallet.top_up(CARD, Money.of(TOP_UP), "E-top-up", NOW)
    merchant = Merchant.register(
        MerchantId("M-check"), "Coffee", CREDIT_CODE, CATEGORY, currency="CNY", at=NOW
    )
    for amount in ("35.50", "0.75", "2.50", "0.01", "49999.99"):
        quote = MERCHANT_FEES.quote(OperationKind.PAYMENT, Money.of(amount), now=NOW)
        raw = (Decimal(amount) * RATE).quantize(FEN, rounding=ROUND_HALF_UP)
        assert quote.fee.amount == raw, (amount, quote.fee, raw)
    for n in range(3):
        pay(wallet, merchant, PaymentId(f"P{n}"), f"E{n}")
        assert raw_pay(book, f"P{n}", f"E{n}", AMOUNT.amount, NOW) == ""
    assert wallet.balance.posted.amount == book.balance, (wallet.balance, book.balance)
    assert merchant.balance.posted.amount == book.merchant, (merchant.balance, book.merchant)
    assert wallet.usage.overall.day_used == int(book.usage["all"][1] * 100)
    assert raw_pay(book, "P-big", "E-big", Decimal("50000.01"), NOW) == "single"


def raw_payer(book: RawBook, calls: int) -> Callable[[], None]:
    """A timed call that makes :data:`RAW_BATCH` baseline pays (ids built now, for ``calls``)."""
    raw_ids, amount = ids("r", calls * RAW_BATCH), AMOUNT.amount

    def run() -> None:
        for _ in range(RAW_BATCH):
            n, payment_id, entry_id = next(raw_ids)
            raw_pay(book, payment_id, entry_id, amount, NOW)
            if n % PULL_EVERY == 0:
                book.events = []

    return run


def check_all_paid(book: RawBook, calls: int) -> None:
    """The baseline was never declined: a decline would have made it cheaper."""
    assert book.balance == Decimal(TOP_UP) - calls * RAW_BATCH * AMOUNT.amount, book.balance


def aggregate_level() -> float:
    """Report the pure pay path against the baseline; returns the library's microseconds."""
    wallet, book = open_wallet("W-agg"), RawBook(Decimal(TOP_UP))
    wallet.top_up(CARD, Money.of(TOP_UP), "E-top-up", NOW)
    merchant = Merchant.register(
        MerchantId("M-agg"), "Coffee", CREDIT_CODE, CATEGORY, currency="CNY", at=NOW
    )
    number, repeat = 500, 21
    ours_ids = ids("a", number * repeat)

    def ours() -> None:
        n, payment_id, entry_id = next(ours_ids)
        pay(wallet, merchant, PaymentId(payment_id), entry_id)
        if n % PULL_EVERY == 0:
            wallet.pull_events()
            merchant.pull_events()

    ours_us, raw_us = compare_us(ours, raw_payer(book, number * repeat), number, repeat)
    report("pay path, aggregate level vs raw Decimal", ours_us, raw_us / RAW_BATCH, 3.0)
    check_all_paid(book, number * repeat)
    return ours_us


# -- the service level -----------------------------------------------------------------------


def service_bank(payments: int) -> tuple[InMemoryBank, WalletId, MerchantId]:
    """An in-memory bank with one funded wallet, one merchant and ``payments`` made already."""
    policies = attrs.evolve(WalletPolicies.default(), merchant_fees=MERCHANT_FEES)
    bank = in_memory(policies, start=NOW)
    wallet = open_wallet("W-svc")
    with bank.store.unit_of_work() as uow:
        uow.wallets.add(wallet)
        uow.events.append(wallet.pull_events())
        uow.commit()
    service = bank.service
    merchant_id = service.register_merchant("Coffee", CREDIT_CODE, "food", idempotency_key="m")
    service.top_up(wallet.wallet_id, CARD, Money.of(TOP_UP), idempotency_key="top-up")
    for n in range(payments):
        service.pay(wallet.wallet_id, merchant_id, AMOUNT, method=METHOD, idempotency_key=f"h{n}")
    return bank, wallet.wallet_id, merchant_id


def service_pay(bank: InMemoryBank, wallet_id: WalletId, merchant_id: MerchantId, key: str) -> None:
    """One idempotent pay command through the service."""
    bank.service.pay(wallet_id, merchant_id, AMOUNT, method=METHOD, idempotency_key=key)


def service_level(aggregate_us: float) -> None:
    """Report ``WalletService.pay`` against the baseline and against the aggregate path."""
    bank, wallet_id, merchant_id = service_bank(10)
    book = RawBook(Decimal(TOP_UP))
    number, repeat = 100, 31
    keys = ids("s", number * repeat)
    ours_us, raw_us = compare_us(
        lambda: service_pay(bank, wallet_id, merchant_id, next(keys)[1]),
        raw_payer(book, number * repeat),
        number,
        repeat,
    )
    report("pay, service level (unit of work) vs raw Decimal", ours_us, raw_us / RAW_BATCH, 3.0)
    print(f"{'  of which outside the aggregate path':<46} {ours_us - aggregate_us:7.2f} us")
    check_all_paid(book, number * repeat)


def fake_history(bank: InMemoryBank, wallet_id: WalletId, merchant_id: MerchantId, n: int) -> None:
    """Add ``n`` earlier payments straight into the store's tables, in bulk.

    Building them through the service would take minutes. Every table a payment grows gets ``n``
    more rows under distinct keys (payments, idempotency records, journal entries, outbox events
    and the per-aggregate event index: two wallet events and one merchant event per payment),
    but the rows share one value object each: the tables' sizes, not their contents, are what
    could make a pay slower. The old events count as delivered, as in a running system.
    """
    store = bank.store
    payment = next(iter(store.payments.rows.values()))
    record = next(iter(store.idempotency.values()))
    entry, stored = store.journal[-1], store.outbox[-1]
    store.payments.rows.update(dict.fromkeys((PaymentId(f"old-P{i}") for i in range(n)), payment))
    store.idempotency.update(dict.fromkeys((f"old-{i}" for i in range(n)), record))
    store.journal.extend([entry] * n)
    start = len(store.outbox) + 1
    store.outbox.extend([StoredEvent(stored.position, stored.event, delivered=True)] * (3 * n))
    positions = range(start, start + 3 * n)
    store.by_aggregate[wallet_id].extend(p for p in positions if (p - start) % 3 != 2)
    store.by_aggregate[merchant_id].extend(positions[2::3])


def history() -> None:
    """Report a service-level pay after 1,000,000 earlier payments against one after 10."""
    small, small_wallet, small_merchant = service_bank(10)
    big, big_wallet, big_merchant = service_bank(10)
    started = time.perf_counter()
    fake_history(big, big_wallet, big_merchant, 1_000_000)
    print(
        f"added 1,000,000 earlier payments to the store in {time.perf_counter() - started:.1f} s"
        f" ({len(big.store.payments.rows):,} payments, {len(big.store.outbox):,} events)",
        flush=True,
    )
    number, repeat = 100, 31  # many short runs: on a busy machine the least disturbed decides
    big_keys, small_keys = ids("b", number * repeat), ids("s", number * repeat)
    big_us, small_us = compare_us(
        lambda: service_pay(big, big_wallet, big_merchant, next(big_keys)[1]),
        lambda: service_pay(small, small_wallet, small_merchant, next(small_keys)[1]),
        number=number,
        repeat=repeat,
    )
    report("service pay after 1,000,000 vs after 10", big_us, small_us, 1.2)
    print(f"  (the small store grew to {len(small.store.payments.rows):,} payments while timed)")


def memory_per_wallet(count: int = 10_000) -> None:
    """Print the bytes an idle wallet takes in the in-memory store (traced allocations).

    Each wallet has its own owner, phone number and bound card; wallets at one tier share its
    limits, as they do when the service opens them.
    """
    phones = [f"139{n:08d}" for n in range(count)]
    cards = [card_number(n) for n in range(count)]

    def fill(keep: Callable[[InMemoryStore, Wallet], None]) -> float:
        store = InMemoryStore()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for n, (phone, card) in enumerate(zip(phones, cards, strict=True)):
            keep(store, open_wallet(f"W{n}", phone, BankCard.parse(card)))
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return (after - before) / count

    def aggregate_only(store: InMemoryStore, wallet: Wallet) -> None:
        wallet.pull_events()
        store.wallets.rows[wallet.wallet_id] = wallet

    def with_events(store: InMemoryStore, wallet: Wallet) -> None:
        with store.unit_of_work() as uow:
            uow.wallets.add(wallet)
            uow.events.append(wallet.pull_events())
            uow.commit()

    bare, full = fill(aggregate_only), fill(with_events)
    print(
        f"{'memory per idle wallet (' + format(count, ',') + ' wallets)':<46} "
        f"{bare:7.0f} bytes as an aggregate, {full:7.0f} with its 2 events in the outbox",
        flush=True,
    )


def main() -> int:
    check_same_results()
    aggregate_us = aggregate_level()
    service_level(aggregate_us)
    history()
    memory_per_wallet()
    return 0  # ratios are reported, never asserted: machines are noisy


if __name__ == "__main__":
    raise SystemExit(main())
