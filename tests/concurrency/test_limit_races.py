"""Two processes of four threads pay from one wallet at its daily limit: the books stay right.

Each repetition opens a fresh database (a SQLite file, or a PostgreSQL schema), registers a
WL02 wallet, tops it up well beyond its daily limit (so the limit, not the balance, is what
runs out) and registers a merchant that pays a service fee. Then two racer processes
(``racer.py``), four threads each, pay 24 payments of 7,000 to 10,740 CNY from the wallet at
the same moment: twice the 100,000 daily limit. :func:`check` then reads the database:
the limit is never exceeded, every decline was due, money is conserved, nothing was lost or
made up, and no command failed with an exception (a serialization failure or deadlock that
escaped the service's retries, say).

The same scenario against a deliberately naive adapter (``naive.py``: read, modify, write,
without locks or version checks) must fail :func:`check`, which shows the check can see the
bug it is there for.

Repetitions: 20 per database when ``CI`` is set, 5 locally and in CI's matrix re-runs
(``HYPOTHESIS_PROFILE=ci-quick``); ``ICBC_WALLET_RACE_REPETITIONS`` overrides both (a soak).
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import subprocess
import sys
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs
import pytest

from icbc_wallet import bootstrap
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import ManualClock, UuidIds
from icbc_wallet.adapters.sqlite import SqliteStore
from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.events import PaymentCaptured
from icbc_wallet.domain.fee_rules import FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId
from icbc_wallet.domain.ledger import AccountId, AccountKind, trial_balance
from icbc_wallet.domain.limits import LimitWindow
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.errors import WalletError
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service import WalletPolicies
from icbc_wallet.service.results import OperationResult

if TYPE_CHECKING:
    from icbc_wallet.adapters.postgres import PostgresStore

RACER = Path(__file__).with_name("racer.py")
KEY = b"race-fingerprint-key-0123456789"
NOON = datetime(2026, 3, 2, 4, tzinfo=UTC)
"""Monday 2 March 2026, 12:00 in Shanghai: every process's clock stands still there."""
FEE_RATE = "0.006"
TOP_UP = Money.of("300000")
PROCESSES, THREADS, PAYMENTS_PER_THREAD = 2, 4, 3
METHOD = "dynamic_qr"  # bound by the tier's daily limit only (static QR codes have their own)
_QUICK = not os.environ.get("CI") or os.environ.get("HYPOTHESIS_PROFILE") == "ci-quick"
REPETITIONS = int(os.environ.get("ICBC_WALLET_RACE_REPETITIONS") or (5 if _QUICK else 20))
"""20 in CI's main test run; 5 locally and in the matrix's portability re-runs (``ci-quick``)."""
NAIVE_TRIES = 3
"""Repetitions the naive adapter gets to show a violation (one shows it almost always)."""
TIMEOUT = 120.0
FEE_INCOME = AccountKind.FEE_INCOME


def policies() -> WalletPolicies:
    """The racers' policies (``racer.policies``): the defaults, merchants paying a fee."""
    fee = FeeRule.percentage(OperationKind.PAYMENT, FEE_RATE, name="merchant service fee")
    merchant_fees = FeeSchedule([fee], name="race merchant fees")
    return attrs.evolve(WalletPolicies.default(), merchant_fees=merchant_fees)


_LIMIT = policies().limits.tier("WL02").limit.daily
assert _LIMIT is not None
DAILY_LIMIT: Money = _LIMIT
"""100,000 CNY: the WL02 tier's daily limit, which the racers run into."""


@attrs.frozen
class Target:
    """Where a repetition races: a SQLite file or a PostgreSQL schema, and through which adapter."""

    kind: str
    location: str
    schema: str | None = None
    naive: bool = False

    def open(self) -> bootstrap.Bank:
        """The real adapter over this database (the setup and the check use it)."""
        common: dict[str, Any] = {
            "fingerprint_key": KEY,
            "policies": policies(),
            "clock": ManualClock(NOON),
            "ids": UuidIds(),
            "hasher": ScryptHasher.fast_for_tests(),
        }
        if self.kind == "sqlite":
            return bootstrap.sqlite(self.location, durable=False, **common)
        assert self.schema is not None
        return bootstrap.postgres(self.location, schema=self.schema, **common)


@attrs.frozen
class Attempt:
    """One payment as its racer saw it."""

    key: str | None
    amount: Money
    approved: bool = False
    reference: str | None = None
    fee: Money | None = None
    declined: str | None = None
    error: str | None = None

    @classmethod
    def parse(cls, outcome: dict[str, Any]) -> Attempt:
        fee = outcome.get("fee")
        return cls(
            outcome["key"],
            Money._make(outcome["amount"], "CNY"),
            bool(outcome.get("approved")),
            outcome.get("reference"),
            None if fee is None else Money._make(fee, "CNY"),
            outcome.get("declined"),
            outcome.get("error"),
        )


@attrs.frozen
class Race:
    """A finished repetition: the wallet and merchant raced over, and every attempt."""

    wallet: WalletId
    merchant: MerchantId
    attempts: tuple[Attempt, ...]

    @property
    def approved(self) -> list[Attempt]:
        return [a for a in self.attempts if a.approved]

    @property
    def spent(self) -> Money:
        return Money._make(sum(a.amount.minor for a in self.approved), "CNY")

    @property
    def fees(self) -> Money:
        return Money._make(sum(a.fee.minor for a in self.approved if a.fee is not None), "CNY")


# --- the racers ---------------------------------------------------------------------------------


class Racers:
    """Racer processes (``racer.py``), started once and given one job per repetition."""

    def __init__(self, count: int = PROCESSES) -> None:
        self._errors: list[IO[str]] = []
        self._processes: list[subprocess.Popen[str]] = []
        self._lines: list[queue.Queue[str | None]] = []
        self._pumps: list[threading.Thread] = []
        self._broken = False  # a failed exchange leaves the racers out of step: no more jobs
        for _ in range(count):
            errors = tempfile.TemporaryFile("w+")  # noqa: SIM115  # closed by close()
            process = subprocess.Popen(
                [sys.executable, str(RACER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
            lines: queue.Queue[str | None] = queue.Queue()
            pump = threading.Thread(target=self._pump, args=(process, lines), daemon=True)
            pump.start()
            self._pumps.append(pump)
            self._errors.append(errors)
            self._processes.append(process)
            self._lines.append(lines)

    @staticmethod
    def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def _send(self, index: int, text: str) -> None:
        stdin = self._processes[index].stdin
        assert stdin is not None
        stdin.write(text + "\n")
        stdin.flush()

    def _receive(self, index: int) -> dict[str, Any]:
        line = self._lines[index].get(timeout=TIMEOUT)
        if line is None:
            self._errors[index].seek(0)
            pytest.fail(f"racer {index} exited:\n{self._errors[index].read()}")
        message: dict[str, Any] = json.loads(line)
        if "failed" in message:
            pytest.fail(f"racer {index} failed:\n{message['failed']}")
        return message

    def race(self, jobs: list[dict[str, Any]]) -> list[Attempt]:
        """Give each racer its job, start them together, and collect every attempt."""
        if self._broken:
            pytest.fail("the racers failed in an earlier test")
        self._broken = True
        attempts = self._exchange(jobs)
        self._broken = False
        return attempts

    def _exchange(self, jobs: list[dict[str, Any]]) -> list[Attempt]:
        for index, job in enumerate(jobs):
            self._send(index, json.dumps(job))
        for index in range(len(jobs)):
            assert self._receive(index) == {"ready": True}
        for index in range(len(jobs)):
            self._send(index, "go")
        return [
            Attempt.parse(outcome)
            for index in range(len(jobs))
            for outcome in self._receive(index)["outcomes"]
        ]

    def close(self) -> None:
        for process in self._processes:
            assert process.stdin is not None
            process.stdin.close()
        for process in self._processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for process, pump in zip(self._processes, self._pumps, strict=True):
            pump.join(timeout=30)  # the racer has exited: its output has ended
            assert process.stdout is not None
            process.stdout.close()
        for errors in self._errors:
            errors.close()


@pytest.fixture(scope="module")
def racers() -> Iterator[Racers]:
    """Two racer processes for every test of this module (starting Python costs ~0.5 s)."""
    started = Racers()
    try:
        yield started
    finally:
        started.close()


# --- one repetition -----------------------------------------------------------------------------


def _open_funded_wallet(bank: bootstrap.Bank) -> tuple[WalletId, MerchantId]:
    service = bank.service
    phone = PhoneNumber.parse("13800138000")
    registration = service.start_registration(phone, idempotency_key="setup-start")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key="setup-phone")
    resident = ResidentId.parse("34052419800101001X")
    service.provide_identity(registration, "张三", resident, idempotency_key="setup-id")
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="setup-pw")
    card = BankCard.parse("6225768888888888")
    service.add_card(registration, card, idempotency_key="setup-card")
    wallet = service.submit_registration(registration, idempotency_key="setup-submit")
    assert service.wallet(wallet).tier == "WL02"
    assert service.top_up(wallet, card, TOP_UP, idempotency_key="setup-top-up").approved
    code_of_merchant = MerchantCreditCode.parse("91110000600037341L")
    merchant = service.register_merchant(
        "Mugs", code_of_merchant, "food", idempotency_key="setup-merchant"
    )
    return wallet, merchant


def _amount(racer: int, thread: int, attempt: int) -> int:
    """7,000.00 to 10,738.37 CNY in minor units, a different amount for every payment.

    The 24 payments come to 212,860.44 CNY: twice the daily limit, within the top-up.
    """
    return 700_000 + 53_117 * (racer * THREADS + thread) + 1_009 * attempt


def _jobs(target: Target, wallet: WalletId, merchant: MerchantId) -> list[dict[str, Any]]:
    return [
        {
            "target": attrs.asdict(target),
            "key": KEY.hex(),
            "instant": NOON.isoformat(),
            "fee_rate": FEE_RATE,
            "wallet": wallet,
            "merchant": merchant,
            "method": METHOD,
            "payments": [
                [
                    (f"race-r{racer}t{thread}p{attempt}", _amount(racer, thread, attempt))
                    for attempt in range(PAYMENTS_PER_THREAD)
                ]
                for thread in range(THREADS)
            ],
        }
        for racer in range(PROCESSES)
    ]


def race_once(racers: Racers, target: Target) -> tuple[Race, list[str]]:
    """Set up a fresh database, race the racers over it, and :func:`check` what they left."""
    real = attrs.evolve(target, naive=False)
    bank = real.open()
    try:
        wallet, merchant = _open_funded_wallet(bank)
        race = Race(wallet, merchant, tuple(racers.race(_jobs(target, wallet, merchant))))
        return race, check(bank, race)
    finally:
        bank.close()


# --- the check ----------------------------------------------------------------------------------


def _payment_rows(store: SqliteStore | PostgresStore) -> int:
    sql = "SELECT count(*) FROM payments"
    if isinstance(store, SqliteStore):
        return int(store.connection().execute(sql).fetchone()[0])
    raw = store.connection()
    try:
        row = raw.execute(sql).fetchone()
        raw.rollback()
    finally:
        store.release(raw)
    assert row is not None
    return int(row[0])


def _check_attempts(race: Race, limit: Money) -> list[str]:
    problems = [f"payment {a.key} raised {a.error}" for a in race.attempts if a.error is not None]
    expected = PROCESSES * THREADS * PAYMENTS_PER_THREAD
    if len(race.attempts) != expected:
        problems.append(f"{len(race.attempts)} payments were reported, not {expected}")
    spent = race.spent
    if spent > limit:
        problems.append(f"approved {spent} in one day, over the daily limit of {limit}")
    remaining = limit.minor - spent.minor
    for attempt in race.attempts:
        if attempt.error is not None or attempt.approved:
            continue
        if attempt.declined != DeclineReason.DAILY_LIMIT.code:
            problems.append(f"payment {attempt.key} was declined for {attempt.declined}")
        elif attempt.amount.minor <= remaining:
            problems.append(f"payment {attempt.key} of {attempt.amount} was declined needlessly")
    return problems


def _check_balances(uow: UnitOfWork, race: Race) -> list[str]:
    spent, fees = race.spent, race.fees
    wallet = uow.wallets.get(race.wallet)
    balances = uow.ledger.balances()
    fee_income = sum(b.posted.minor for a, b in balances.items() if a.kind is FEE_INCOME)
    found_and_wanted = {
        "the wallet's daily usage": (wallet.usage.used(LimitWindow.DAY, NOON), spent),
        "the wallet": (wallet.balance.posted, TOP_UP - spent),
        "the wallet's account": (balances[AccountId.wallet(race.wallet)].posted, TOP_UP - spent),
        "the wallet's pending money": (wallet.balance.pending, Money.zero()),
        "the merchant": (uow.merchants.get(race.merchant).balance.posted, spent - fees),
        "the merchant's account": (
            balances[AccountId.merchant(race.merchant)].posted,
            spent - fees,
        ),
        "fee income": (Money._make(fee_income, "CNY"), fees),
        "the sum of all accounts": (trial_balance(balances.values(), "CNY"), Money.zero()),
    }
    return [
        f"{name} is {found}, not {wanted} (approved {spent}, fees {fees})"
        for name, (found, wanted) in found_and_wanted.items()
        if found != wanted
    ]


def _check_history(uow: UnitOfWork, race: Race) -> list[str]:
    problems = []
    version = uow.wallets.get(race.wallet).version
    events = uow.events.for_aggregate(race.wallet)
    versions = [event.version for event in events]
    if versions != list(range(1, version + 1)):
        twice = sorted(v for v, n in Counter(versions).items() if n > 1)
        problems.append(
            f"the wallet is at version {version} with {len(versions)} events "
            f"(versions recorded more than once: {twice}): updates were lost"
        )
    captures = [e for e in events if isinstance(e, PaymentCaptured)]
    captured = Counter(e.payment_id for e in captures)
    entry_of = {e.payment_id: e.entry_id for e in captures}
    entries = Counter(entry.entry_id for entry in uow.ledger.entries())
    paid = len(list(uow.ledger.entries(AccountId.merchant(race.merchant))))
    if paid != len(race.approved):
        problems.append(
            f"{paid} journal entries pay the merchant for {len(race.approved)} approvals"
        )
    for attempt in race.approved:
        reference = PaymentId(attempt.reference or "")
        payment = uow.payments.find(reference)
        if payment is None or payment.captured != attempt.amount:
            problems.append(f"approved payment {reference} is not stored as captured")
        if captured[reference] != 1 or entries[entry_of.get(reference, "")] != 1:
            problems.append(f"approved payment {reference} is not journaled exactly once")
    return problems


def _check_records(uow: UnitOfWork, race: Race) -> list[str]:
    problems = []
    for attempt in race.attempts:
        if attempt.error is not None or attempt.key is None:
            continue
        record = uow.idempotency.get(attempt.key)
        result = None if record is None else record.result
        if not (
            isinstance(result, OperationResult)
            and result.approved == attempt.approved
            and result.reference == attempt.reference
        ):
            problems.append(f"payment {attempt.key} is recorded as {result!r}")
    return problems


def _check_store(store: SqliteStore | PostgresStore, race: Race) -> list[str]:
    problems = []
    rows = _payment_rows(store)
    if rows != len(race.approved):
        problems.append(f"{rows} payments are stored for {len(race.approved)} approvals")
    try:
        store.verify()
    except WalletError as error:
        problems.append(str(error))
    return problems


def check(bank: bootstrap.Bank, race: Race) -> list[str]:
    """Everything wrong after a race, one line per problem (empty when nothing is).

    What the racers saw: no payment raised (any exception is a failure: a decline is a value),
    every decline was for the daily limit and needed (the amount did not fit what is left), the
    approvals sum to at most the daily limit. What the database says: the wallet's daily usage
    and balance, the merchant's balance (less the fees) and fee income match the approvals, in
    the aggregates and in the ledger; the ledger sums to zero and passes ``store.verify()``;
    the wallet's events are numbered without gaps or repeats; every approved payment is stored
    once, captured, with exactly one journal entry; there are as many payments as approvals;
    every attempt's idempotency record holds the result its racer received.
    """
    problems = _check_attempts(race, DAILY_LIMIT)
    for part in (_check_balances, _check_history, _check_records):
        try:
            with bank.store.unit_of_work() as uow:
                problems += part(uow, race)
        except WalletError as error:  # a store that refuses what was written is a problem too
            problems.append(f"{part.__name__} could not read the books: {error!r}")
    return problems + _check_store(bank.store, race)


# --- the tests ----------------------------------------------------------------------------------


def _sqlite(directory: Path, *, naive: bool = False) -> Target:
    return Target("sqlite", str(directory / f"race-{uuid.uuid4().hex[:8]}.db"), naive=naive)


NewSchema = Callable[[], str]


@pytest.fixture
def new_schema(postgres_dsn: str) -> Iterator[NewSchema]:
    """Names fresh PostgreSQL schemas (the library creates them), dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(f"race_{uuid.uuid4().hex[:12]}")
        return made[-1]

    yield make
    import psycopg  # noqa: PLC0415  # the postgres extra; postgres_dsn checked it is there
    from psycopg import sql  # noqa: PLC0415

    with psycopg.connect(postgres_dsn, autocommit=True, connect_timeout=10) as connection:
        for schema in made:
            statement = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            connection.execute(statement)


def _postgres(dsn: str, schema: str, *, naive: bool = False) -> Target:
    return Target("postgres", dsn, schema, naive=naive)


def _race_repeatedly(racers: Racers, fresh: Callable[[], Target]) -> None:
    for repetition in range(REPETITIONS):
        race, problems = race_once(racers, fresh())
        assert not problems, f"repetition {repetition}:\n" + "\n".join(problems)
        # the race was at the limit: it declined some payments, approved the others
        assert 0 < len(race.approved) < len(race.attempts)


def test_racing_processes_never_exceed_the_daily_limit_on_sqlite(
    racers: Racers, tmp_path: Path
) -> None:
    _race_repeatedly(racers, lambda: _sqlite(tmp_path))


def test_racing_processes_never_exceed_the_daily_limit_on_postgres(
    racers: Racers, postgres_dsn: str, new_schema: NewSchema
) -> None:
    _race_repeatedly(racers, lambda: _postgres(postgres_dsn, new_schema()))


def _naive_problems(racers: Racers, targets: Iterator[Target]) -> list[str]:
    """The first repetition's problems that show the bug (an exceeded limit, a lost update)."""
    for target in targets:
        _race, problems = race_once(racers, target)
        symptoms = [p for p in problems if "over the daily limit" in p or "were lost" in p]
        if symptoms:
            return symptoms
    return []


def test_the_check_catches_a_naive_read_modify_write_adapter_on_sqlite(
    racers: Racers, tmp_path: Path
) -> None:
    targets = (_sqlite(tmp_path, naive=True) for _ in range(NAIVE_TRIES))
    assert _naive_problems(racers, targets)


def test_the_check_catches_a_naive_read_modify_write_adapter_on_postgres(
    racers: Racers, postgres_dsn: str, new_schema: NewSchema
) -> None:
    targets = (_postgres(postgres_dsn, new_schema(), naive=True) for _ in range(NAIVE_TRIES))
    assert _naive_problems(racers, targets)


# --- every part of the check can fail -----------------------------------------------------------

Tamper = Callable[[sqlite3.Connection, Race], Race]


def _edit(race: Race, index: int, **changes: Any) -> Race:
    attempts = list(race.attempts)
    attempts[index] = attrs.evolve(attempts[index], **changes)
    return attrs.evolve(race, attempts=tuple(attempts))


def _declined(race: Race) -> int:
    return next(i for i, attempt in enumerate(race.attempts) if not attempt.approved)


def _sql(*statements: str) -> Tamper:
    def tamper(db: sqlite3.Connection, race: Race) -> Race:
        for statement in statements:
            db.execute(statement)
        return race

    return tamper


TAMPERINGS: dict[str, tuple[Tamper, str]] = {
    "a payment raised": (
        lambda _, r: _edit(r, 0, error="psycopg.errors.SerializationFailure: 40001"),
        "raised psycopg.errors.SerializationFailure",
    ),
    "a payment went unreported": (
        lambda _, r: attrs.evolve(r, attempts=r.attempts[1:]),
        "23 payments were reported, not 24",
    ),
    "a decline for another reason": (
        lambda _, r: _edit(r, _declined(r), declined="wallet.insufficient_funds"),
        "was declined for wallet.insufficient_funds",
    ),
    "a needless decline": (
        lambda _, r: _edit(r, _declined(r), amount=Money.of("0.01")),
        "was declined needlessly",
    ),
    "an approval the database does not know": (
        lambda _, r: _edit(r, _declined(r), approved=True, reference="P-unknown", fee=None),
        "approved payment P-unknown is not stored as captured",
    ),
    "more approvals than the limit": (
        lambda _, r: attrs.evolve(
            r, attempts=tuple(attrs.evolve(a, approved=True) for a in r.attempts)
        ),
        "over the daily limit of 100000.00 CNY",
    ),
    "a phantom payment row": (
        _sql(
            "INSERT INTO payments (id, version, data, hold_expires_at) "
            "SELECT 'P-phantom', version, data, hold_expires_at FROM payments LIMIT 1"
        ),
        "payments are stored for",
    ),
    "a lost journal entry": (
        _sql(
            "DELETE FROM postings WHERE seq = (SELECT max(seq) FROM entries)",
            "DELETE FROM entries WHERE seq = (SELECT max(seq) FROM entries)",
        ),
        "is not journaled exactly once",
    ),
    "a lost idempotency record": (
        _sql("DELETE FROM idempotency WHERE key = 'race-r0t0p0'"),
        "payment race-r0t0p0 is recorded as None",
    ),
    "an event recorded twice": (
        _sql(
            "INSERT INTO outbox (aggregate_id, version, at, type, data) "
            "SELECT aggregate_id, version, at, type, data FROM outbox "
            "WHERE aggregate_id LIKE 'W-%' ORDER BY position DESC LIMIT 1"
        ),
        "updates were lost",
    ),
    "a wallet balance changed behind the wallet's back": (
        _sql("UPDATE accounts SET posted = posted + 1 WHERE account LIKE 'wallet:%'"),
        "could not read the books",
    ),
    "a ledger that does not balance": (
        _sql("UPDATE accounts SET posted = posted + 1 WHERE account LIKE 'fee_income%'"),
        "the sum of all accounts is 0.01 CNY",
    ),
}


@pytest.fixture(scope="module")
def finished_race(racers: Racers, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Race]:
    """A SQLite database after a sound race, and the race."""
    target = _sqlite(tmp_path_factory.mktemp("finished"))
    race, problems = race_once(racers, target)
    assert not problems
    return Path(target.location), race


@pytest.mark.parametrize("damage", list(TAMPERINGS))
def test_the_check_reports_damage(
    finished_race: tuple[Path, Race], tmp_path: Path, damage: str
) -> None:
    tamper, expected = TAMPERINGS[damage]
    original, race = finished_race
    copy = tmp_path / "copy.db"
    with closing(sqlite3.connect(original)) as source, closing(sqlite3.connect(copy)) as db:
        source.backup(db)
        tampered = tamper(db, race)
        db.commit()
    bank = Target("sqlite", str(copy)).open()
    try:
        problems = check(bank, tampered)
    finally:
        bank.close()
    assert any(expected in problem for problem in problems), problems
