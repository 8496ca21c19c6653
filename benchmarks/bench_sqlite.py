"""The SQLite store against raw ``sqlite3`` loops doing the same SELECT + INSERT + UPDATE, in one process.

Run with ``nox -s bench`` (or ``python benchmarks/bench_sqlite.py``). Prints throughputs and
ratios (ours/raw, "0.50x raw throughput" is half as many per second), asserts nothing about
speed. Goals (issue 4): a durable single-payment commit at least 0.75x raw (about 5,000
committed payments/s on the CI machine class); an optional grouped-commit API at 100,000
payments/s or more; balance reads at 100,000/s or more.

The raw baseline pays from one wallet as the library's simplest possible pay would: ``BEGIN
IMMEDIATE``; read the wallet's balance; insert a payment row; take the amount off the balance;
``COMMIT`` (WAL journal, ``synchronous`` as the library's mode). Both databases are files in one
fresh directory (``ICBC_WALLET_BENCH_DIR`` picks the parent, default the system's temporary
directory: put it on the disk you mean to measure). One timed call of a raw loop makes several
pays, so that both sides' runs last about as long (see ``bench_pay_path.py``).

Measured, each with its goal:

1. ``service.pay`` committed per second through ``bootstrap.sqlite(durable=True)`` (WAL,
   ``synchronous=FULL``) and ``durable=False`` (``NORMAL``), against the raw loop in the same
   mode; and a store-level payment commit: a unit of work doing the adapter's part of a pay
   (the reads, the writes and the commit) with copies of a real payment's objects and no
   domain work, to show what the adapter costs by itself;
2. grouped commit: ``service.pay`` inside ``SqliteStore.grouped()`` (one transaction and one
   sync per group) against the raw statements in one transaction per group;
3. balance reads: ``service.balance``, ``uow.ledger.balance`` in a unit of work of its own and
   inside one open unit of work, against a raw ``SELECT posted FROM accounts``;
4. where the time of one durable ``service.pay`` goes: COMMIT and the other statements (a
   timer on each statement of a store of its own), the codec (timed apart) and the rest; and
   how many pages a commit appends to the write-ahead log, against the raw loop's.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Final
from unittest import mock

import attrs

sys.path.insert(0, str(Path(__file__).parent))

from _timing import compare_us

from icbc_wallet import (
    BankCard,
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
    bootstrap,
)
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import ManualClock
from icbc_wallet.adapters.sqlite import SqliteStore
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId
from icbc_wallet.domain.ledger import AccountId, AccountKind, JournalEntry, Posting
from icbc_wallet.service import WalletPolicies
from icbc_wallet.wallet import Owner, Wallet

NOW: Final = datetime.fromisoformat("2026-03-10T12:00:00+08:00")
KEY: Final = b"benchmark-fingerprint-key"
AMOUNT: Final = Money.of("35.50")
CARD: Final = BankCard.parse("6225768888888888")
CREDIT_CODE: Final = MerchantCreditCode.parse("91110000600037341L")
TOP_UP: Final = Money.of("900000000")
TIER: Final = TierLimits(  # caps high enough never to bind in a run, yet checked on every pay
    "bench",
    Limit.of(per_transaction="50000", daily="1000000000"),
    methods={PaymentMethod.STATIC_QR: Limit.of(daily="1000000000")},
)
POLICIES: Final = attrs.evolve(
    WalletPolicies.default(),
    merchant_fees=FeeSchedule(
        [FeeRule.percentage(OperationKind.PAYMENT, "0.006", name="merchant 0.6%")], name="fees"
    ),
)
RAW_BATCH: Final = 8  # raw pays per timed call
GROUP: Final = 100  # pays per grouped commit


def report(
    name: str, ours_us: float, raw_us: float, ratio_goal: float | None, rate_goal: float | None
) -> None:
    """Print throughputs, the ratio ours/raw and each goal with MET or NOT MET."""
    ratio = raw_us / ours_us  # throughput ratio: the inverse of the time ratio
    print(
        f"{name:<48} {1e6 / ours_us:>9,.0f}/s ({ours_us:7.1f} us)  "
        f"raw {1e6 / raw_us:>9,.0f}/s ({raw_us:6.1f} us)  {ratio:.2f}× raw throughput",
        flush=True,
    )
    goals = []
    if ratio_goal is not None:
        goals.append(f"≥ {ratio_goal}× raw: {'MET' if ratio >= ratio_goal else 'NOT MET'}")
    if rate_goal is not None:
        met = 1e6 / ours_us >= rate_goal
        goals.append(f"≥ {rate_goal:,.0f}/s: {'MET' if met else 'NOT MET'}")
    print(f"    goal {'; '.join(goals) if goals else 'none in the issue (reported)'}", flush=True)


# -- our side --------------------------------------------------------------------------------


@attrs.define
class Payer:
    """A bank with one funded wallet and one merchant; ``pay()`` makes one payment."""

    bank: bootstrap.Bank
    wallet_id: WalletId
    merchant_id: MerchantId
    keys: itertools.count[int] = attrs.field(factory=itertools.count)

    @classmethod
    def open(cls, bank: bootstrap.Bank) -> Payer:
        wallet = Wallet.open(
            WalletId("W-bench"),
            Owner(PhoneNumber.parse("13800138000")),
            "bench",
            TIER,
            schedule=LimitSchedule((TIER,)),
            at=NOW,
        )
        wallet.bind_card(CARD, NOW)
        with bank.store.unit_of_work() as uow:
            uow.wallets.add(wallet)
            uow.events.append(wallet.pull_events())
            uow.commit()
        service = bank.service
        merchant = service.register_merchant("Coffee", CREDIT_CODE, "food", idempotency_key="m")
        service.top_up(wallet.wallet_id, CARD, TOP_UP, idempotency_key="top-up")
        return cls(bank, wallet.wallet_id, MerchantId(merchant))

    def pay(self) -> str:
        """One approved payment; its payment id."""
        result = self.bank.service.pay(
            self.wallet_id,
            self.merchant_id,
            AMOUNT,
            method=PaymentMethod.STATIC_QR,
            idempotency_key=f"pay-{next(self.keys)}",
        )
        if not result.approved:
            raise AssertionError(f"the benchmark payment was declined: {result}")
        return result.reference


def sqlite_payer(path: Path, *, durable: bool) -> Payer:
    bank = bootstrap.sqlite(
        path,
        fingerprint_key=KEY,
        policies=POLICIES,
        clock=ManualClock(NOW),
        hasher=ScryptHasher.fast_for_tests(),
        durable=durable,
    )
    return Payer.open(bank)


def store_of(payer: Payer) -> SqliteStore:
    store = payer.bank.store
    assert isinstance(store, SqliteStore)
    return store


# -- the raw side ----------------------------------------------------------------------------


class RawSqlite:
    """The baseline: one wallet's balance and a payments table, plain ``sqlite3``."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.execute("CREATE TABLE accounts (account TEXT PRIMARY KEY, posted INTEGER NOT NULL)")
        self.db.execute(
            "CREATE TABLE payments (id TEXT PRIMARY KEY, wallet TEXT NOT NULL, "
            "merchant TEXT NOT NULL, amount INTEGER NOT NULL, at TEXT NOT NULL)"
        )
        self.db.execute("INSERT INTO accounts VALUES ('wallet:W-raw', ?)", (TOP_UP.minor,))
        self.ids = itertools.count()

    def statements(self) -> None:
        """SELECT the balance, INSERT the payment, UPDATE the balance (in the open transaction)."""
        db, amount = self.db, AMOUNT.minor
        (posted,) = db.execute(
            "SELECT posted FROM accounts WHERE account = ?", ("wallet:W-raw",)
        ).fetchone()
        if posted < amount:
            raise AssertionError("the raw wallet ran dry")
        db.execute(
            "INSERT INTO payments VALUES (?, ?, ?, ?, ?)",
            (f"P-{next(self.ids)}", "W-raw", "M-raw", amount, "2026-03-10T04:00:00.000000"),
        )
        db.execute(
            "UPDATE accounts SET posted = posted - ? WHERE account = ?", (amount, "wallet:W-raw")
        )

    def pays(self, count: int) -> None:
        """``count`` pays, one transaction (and one sync) each."""
        for _ in range(count):
            self.db.execute("BEGIN IMMEDIATE")
            self.statements()
            self.db.execute("COMMIT")

    def grouped(self, count: int) -> None:
        """``count`` pays in one transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        for _ in range(count):
            self.statements()
        self.db.execute("COMMIT")

    def balances(self, count: int) -> None:
        for _ in range(count):
            self.db.execute(
                "SELECT posted FROM accounts WHERE account = ?", ("wallet:W-raw",)
            ).fetchone()


# -- 1. single-payment commits -----------------------------------------------------------------


def single_commits(directory: Path, *, durable: bool) -> tuple[Payer, RawSqlite]:
    mode = "FULL" if durable else "NORMAL"
    payer = sqlite_payer(directory / f"ours-{mode}.db", durable=durable)
    raw = RawSqlite(directory / f"raw-{mode}.db", mode)
    ours_us, raw_us = compare_us(payer.pay, lambda: raw.pays(RAW_BATCH), number=60, repeat=9)
    report(
        f"service.pay, durable={durable} (synchronous={mode})",
        ours_us,
        raw_us / RAW_BATCH,
        0.75 if durable else None,
        5_000 if durable else None,
    )
    return payer, raw


class StoreLevelPay:
    """The adapter's part of one pay, with copies of a real payment's objects (no domain work).

    Reads what a pay reads (the idempotency key, the wallet, the merchant, three balances),
    then saves the wallet and the merchant unchanged, adds a copy of the payment, posts an
    entry of the same shape (three postings), appends copies of the pay's three events and
    puts a copy of its idempotency record: the same 26 statements as a service pay. The entry
    moves money between system accounts (settlement, suspense, fee income) so that the wallet
    and merchant documents keep matching their ledger accounts.
    """

    def __init__(self, payer: Payer) -> None:
        self.store, self.payer = store_of(payer), payer
        payment_id = PaymentId(payer.pay())
        key = f"pay-{next(payer.keys) - 1}"
        with self.store.unit_of_work() as uow:
            self.payment = uow.payments.get(payment_id)
            record = uow.idempotency.get(key)
            self.events = [
                *uow.events.for_aggregate(payer.wallet_id)[-2:],
                *uow.events.for_aggregate(payer.merchant_id)[-1:],
            ]
            entry = list(uow.ledger.entries(AccountId.wallet(payer.wallet_id)))[-1]
        assert record is not None
        self.record, self.at = record, entry.at
        legs = [posting.amount for posting in entry.postings]  # wallet, merchant, fee income
        accounts = [
            AccountId.system(AccountKind.BANK_SETTLEMENT, "bench"),
            AccountId.system(AccountKind.DISPUTE_SUSPENSE),
            AccountId.system(AccountKind.FEE_INCOME),
        ]
        self.postings = [Posting(a, m) for a, m in zip(accounts, legs, strict=True)]
        self.ids = itertools.count()

    def commit(self) -> None:
        n = next(self.ids)
        with self.store.unit_of_work() as uow:
            key = f"store-{n}"
            uow.idempotency.get(key)
            wallet = uow.wallets.get(self.payer.wallet_id)
            merchant = uow.merchants.get(self.payer.merchant_id)
            uow.payments.add(attrs.evolve(self.payment, payment_id=PaymentId(f"P-store-{n}")))
            uow.ledger.post(JournalEntry(f"E-store-{n}", self.postings, self.at))
            uow.wallets.save(wallet)
            uow.merchants.save(merchant)
            uow.events.append(self.events)
            uow.idempotency.put(attrs.evolve(self.record, key=key))
            uow.commit()


def store_level(level: StoreLevelPay, raw: RawSqlite) -> None:
    ours_us, raw_us = compare_us(level.commit, lambda: raw.pays(RAW_BATCH), number=60, repeat=9)
    report(
        "store-level pay commit, durable, no domain work", ours_us, raw_us / RAW_BATCH, 0.75, None
    )


# -- 2. grouped commits ------------------------------------------------------------------------


def grouped(payer: Payer, raw: RawSqlite) -> None:
    store = store_of(payer)

    def ours() -> None:
        with store.grouped():
            for _ in range(GROUP):
                payer.pay()

    groups = 10  # raw groups per timed call

    def raw_groups() -> None:
        for _ in range(groups):
            raw.grouped(GROUP)

    ours_us, raw_us = compare_us(ours, raw_groups, 1, 7)
    report(
        f"service.pay in grouped(), {GROUP} per commit, FULL",
        ours_us / GROUP,
        raw_us / GROUP / groups,
        None,
        100_000,
    )


# -- 3. balance reads --------------------------------------------------------------------------


def balance_reads(payer: Payer, raw: RawSqlite) -> None:
    store, service, account = store_of(payer), payer.bank.service, AccountId.wallet("W-bench")
    batch = 32

    def in_own_unit() -> None:
        with store.unit_of_work() as uow:
            uow.ledger.balance(account)

    ours_us, raw_us = compare_us(
        lambda: service.balance(payer.wallet_id), lambda: raw.balances(batch), 200, 9
    )
    report("service.balance(wallet_id)", ours_us, raw_us / batch, None, 100_000)
    ours_us, raw_us = compare_us(in_own_unit, lambda: raw.balances(batch), 1000, 9)
    report("ledger.balance, one unit of work per read", ours_us, raw_us / batch, None, 100_000)
    with store.unit_of_work() as uow:
        ours_us, raw_us = compare_us(
            lambda: uow.ledger.balance(account), lambda: raw.balances(batch), 5000, 9
        )
    report("ledger.balance, in one open unit of work", ours_us, raw_us / batch, None, None)


# -- 4. where the time goes ---------------------------------------------------------------------


def statements_per_pay(payer: Payer) -> Counter[str]:
    """The statements one pay runs, by their first word (executemany counts one per row)."""
    seen: list[str] = []
    connection = store_of(payer).connection()
    connection.set_trace_callback(seen.append)
    try:
        payer.pay()
    finally:
        connection.set_trace_callback(None)
    return Counter(statement.split()[0].upper() for statement in seen)


def codec_us(payer: Payer, level: StoreLevelPay) -> dict[str, float]:
    """Microseconds per decode and encode of what one pay reads and writes (direct timing)."""
    store = store_of(payer)
    codec = store.codec
    connection = store.connection()
    wallet_text = connection.execute("SELECT data FROM wallets").fetchone()[0]
    merchant_text = connection.execute("SELECT data FROM merchants").fetchone()[0]
    wallet, merchant = codec.loads(wallet_text), codec.loads(merchant_text)
    with store.unit_of_work() as uow:
        entry = list(uow.ledger.entries(AccountId.wallet(payer.wallet_id)))[-1]
    jobs: dict[str, Callable[[], object]] = {
        "decode wallet": lambda: codec.loads(wallet_text),
        "decode merchant": lambda: codec.loads(merchant_text),
        "encode wallet": lambda: codec.dumps(wallet),
        "encode merchant": lambda: codec.dumps(merchant),
        "encode the 6 new records": lambda: [
            codec.dumps(value)
            for value in (level.payment, entry, *level.events, level.record.result)
        ],
    }
    found = {}
    for name, job in jobs.items():
        found[name] = min(_seconds(job, 200) for _ in range(5)) / 200 * 1e6
    return found


def _seconds(job: Callable[[], object], number: int) -> float:
    started = time.perf_counter()
    for _ in range(number):
        job()
    return time.perf_counter() - started


def wal_pages(
    connection: sqlite3.Connection, path: str | Path, pays: Callable[[int], object]
) -> float:
    """Pages one commit appends to the write-ahead log (WAL emptied first, then 5 pays)."""
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pays(5)
    page = int(connection.execute("PRAGMA page_size").fetchone()[0])
    return (os.path.getsize(f"{path}-wal") - 32) / (page + 24) / 5  # a header, then frames


class TimedConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that adds the time of its statements to :attr:`spent`."""

    spent: ClassVar[dict[str, float]] = {"commit": 0.0, "sql": 0.0}

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        started = time.perf_counter()
        try:
            return super().execute(sql, parameters)
        finally:
            self.spent["commit" if sql == "COMMIT" else "sql"] += time.perf_counter() - started

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        started = time.perf_counter()
        try:
            return super().executemany(sql, parameters)
        finally:
            self.spent["sql"] += time.perf_counter() - started


def timed_payer(path: Path) -> Payer:
    """A durable payer whose store's connections are :class:`TimedConnection` (a timer a call)."""
    connect = sqlite3.connect

    def timed(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, factory=TimedConnection, **kwargs)

    with mock.patch.object(sqlite3, "connect", timed):
        payer = sqlite_payer(path, durable=True)
    assert isinstance(store_of(payer).connection(), TimedConnection)
    return payer


def timed_pays(payer: Payer, count: int) -> dict[str, float]:
    """Microseconds per pay: in all, in COMMIT and in the other statements."""
    TimedConnection.spent.update(commit=0.0, sql=0.0)
    total = _seconds(payer.pay, count)
    parts = {"total": total, **TimedConnection.spent}
    return {name: seconds / count * 1e6 for name, seconds in parts.items()}


def where_the_time_goes(directory: Path, raw: RawSqlite) -> None:
    """Print the parts of one durable pay, from the least disturbed of three runs.

    A payer of its own times every statement its store runs; the codec is timed on its own.
    """
    payer = timed_payer(directory / "timed.db")
    level = StoreLevelPay(payer)
    count = 100
    us = min((timed_pays(payer, count) for _ in range(3)), key=lambda parts: parts["total"])
    statements = statements_per_pay(payer)
    codec = codec_us(payer, level)
    store = store_of(payer)
    ours_pages = wal_pages(
        store.connection(), store.path, lambda n: [payer.pay() for _ in range(n)]
    )
    raw_pages = wal_pages(raw.db, raw.path, raw.pays)
    print(f"where one durable service.pay goes ({us['total']:.0f} us, mean of {count} pays):")
    print(
        f"    {us['commit']:7.0f} us  COMMIT: WAL write and fsync; a commit appends "
        f"{ours_pages:.0f} pages to the WAL, raw {raw_pages:.0f}"
    )
    print(
        f"    {us['sql']:7.0f} us  the other statements; all {sum(statements.values())}: "
        + ", ".join(f"{n} {word}" for word, n in statements.most_common())
    )
    print(
        f"    {sum(codec.values()):7.0f} us  codec (timed apart): "
        + ", ".join(f"{name} {value:.0f}" for name, value in codec.items())
    )
    rest = us["total"] - us["commit"] - us["sql"] - sum(codec.values())
    print(f"    {rest:7.0f} us  the rest: service, domain, unit-of-work code (by difference)")
    payer.bank.close()


def main() -> int:
    directory = Path(
        tempfile.mkdtemp(prefix="icbc-bench-", dir=os.environ.get("ICBC_WALLET_BENCH_DIR"))
    )
    print(
        f"SQLite {sqlite3.sqlite_version}, files in {directory}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    try:
        payer, raw = single_commits(directory, durable=True)
        store_level(StoreLevelPay(payer), raw)
        fast, fast_raw = single_commits(directory, durable=False)
        fast.bank.close()
        fast_raw.db.close()
        grouped(payer, raw)
        balance_reads(payer, raw)
        where_the_time_goes(directory, raw)
        store_of(payer).verify()  # the books still balance after everything above
        payer.bank.close()
        raw.db.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0  # ratios are reported, never asserted: machines are noisy


if __name__ == "__main__":
    raise SystemExit(main())
