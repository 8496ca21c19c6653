"""Running a simulation: on an open bank (:func:`simulate`) or on a SQLite file (:func:`run_simulation`).

A run finds its population in the bank (customers by their phone numbers, merchants in the
:mod:`run log <icbc_wallet.simulation.runs>`), registers whoever is not there yet, lives
``config.days`` business days of spending and after-sales, runs the bank's evening sweeps each
day, and reports. The books are
read before and after and checked (see :mod:`icbc_wallet.simulation.books`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from icbc_wallet import bootstrap
from icbc_wallet.adapters.runtime import ManualClock
from icbc_wallet.bootstrap import Bank, InMemoryBank
from icbc_wallet.errors import CorruptStateError, InvalidSimulationError
from icbc_wallet.ports.secrets import SecretHasher
from icbc_wallet.service import WalletPolicies
from icbc_wallet.simulation.books import Books, audit_ledger, conservation, read_books
from icbc_wallet.simulation.claims import evening_sweeps
from icbc_wallet.simulation.config import SimulationConfig
from icbc_wallet.simulation.population import Population
from icbc_wallet.simulation.report import SimulationReport
from icbc_wallet.simulation.runs import run_log
from icbc_wallet.simulation.spending import plan_day, plan_opening_sales
from icbc_wallet.simulation.tally import Tally
from icbc_wallet.simulation.world import DAY_SECONDS, World

__all__ = ["DEMO_FINGERPRINT_KEY", "FIRST_DAY", "KEY_VARIABLE", "run_simulation", "simulate"]

FIRST_DAY: Final = date(2026, 3, 1)
"""The first simulated day of an empty database."""
KEY_VARIABLE: Final = "ICBC_WALLET_FINGERPRINT_KEY"
"""The environment variable holding the fingerprint key, in hex (64 hex digits for 32 bytes)."""
DEMO_FINGERPRINT_KEY: Final = bytes.fromhex("d3" * 32)
"""The fixed demonstration key used when no key is given: for synthetic data only."""
_EVENING: Final = DAY_SECONDS - 1  # 23:59:59: the sweeps run after the day's last act

Progress = Callable[[int, int], None]


def simulate(
    bank: Bank | InMemoryBank,
    clock: ManualClock,
    config: SimulationConfig = SimulationConfig(),  # noqa: B008  # frozen: safe as a default
    *,
    progress: Progress | None = None,
) -> SimulationReport:
    """Simulate ``config.days`` days on an open bank whose clock is ``clock``.

    The period starts at the first midnight (business zone) at or after ``clock.now()``, so a
    second call on the same bank continues where the first ended. The period and the merchants
    registered are written to the store's :mod:`run log <icbc_wallet.simulation.runs>`.

    Args:
        bank: a bank from :mod:`icbc_wallet.bootstrap` (durable or in memory).
        clock: the bank's manual clock (the simulation moves it).
        config: days, customers, merchants and the seed.
        progress: called with (days done, days in all) after each simulated day.

    Raises:
        InvalidSimulationError: ``config`` is not a :class:`SimulationConfig`, or ``clock`` is
            not the bank's clock (moving another clock would not move the bank's time).
    """
    if type(config) is not SimulationConfig:
        raise InvalidSimulationError(
            f"config must be a SimulationConfig, not {type(config).__name__}"
        )
    if bank.clock is not clock:
        raise InvalidSimulationError("clock must be the bank's own ManualClock (bank.clock)")
    policies = bank.service.policies
    zone, currency = policies.limits.zone, policies.limits.currency
    start = _first_midnight(clock.now(), zone)
    log = run_log(bank.store)
    world = World(bank, clock, config.seed, start, zone, log)
    world.move_to(0, 0)
    before = read_books(bank.store.reader, currency)
    log.begin(
        start,
        seed=config.seed,
        days=config.days,
        customers=config.customers,
        merchants=config.merchants,
    )
    population = Population.generate(
        seed=config.seed, customers=config.customers, merchants=config.merchants
    )
    world.open_merchants(population)
    world.register_customers(population)
    plan_opening_sales(world)
    for day in range(config.days):
        if day:  # logged before the day's first act: a day partly lived is not lived again
            log.reach(start, start + timedelta(days=day))
        plan_day(world, day)
        for second, act in world.due(day):
            world.move_to(day, second)
            act()
        world.move_to(day, _EVENING)
        evening_sweeps(world)
        if progress is not None:
            progress(day + 1, config.days)
    log.finish(start, clock.now())
    after = read_books(bank.store.reader, currency)
    checked = _check_database(bank)
    return _report(world, config, before, after, checked)


def run_simulation(
    db: str | os.PathLike[str],
    config: SimulationConfig = SimulationConfig(),  # noqa: B008  # frozen: safe as a default
    *,
    policies: WalletPolicies | None = None,
    fingerprint_key: bytes | None = None,
    progress: Progress | None = None,
    durable: bool = True,
    hasher: SecretHasher | None = None,
) -> SimulationReport:
    """Simulate on a SQLite file: create it, or continue it with the next period.

    The bank is opened with a manual clock set to the midnight after the last day an earlier
    run began (its tables ``simulation_runs`` and ``simulation_merchants`` in the same file,
    see :mod:`icbc_wallet.simulation.runs`), runs :func:`simulate`, and is closed. A file
    without those tables (written by another program) continues after its last journal entry,
    and an empty one starts on :data:`FIRST_DAY`.

    Args:
        db: the SQLite file.
        config: days, customers, merchants and the seed.
        policies: the policy set (``WalletPolicies.default()`` when None).
        fingerprint_key: the secret keying idempotency fingerprints and the one-wallet-per-person
            index; it must stay the same for the file's whole life. When None it is read from
            the environment variable ``ICBC_WALLET_FINGERPRINT_KEY`` (hex), and failing that
            the fixed, published :data:`DEMO_FINGERPRINT_KEY` is used: it protects nothing, so
            use it for synthetic data only, never for real customers.
        progress: called with (days done, days in all) after each simulated day.
        durable: SQLite ``synchronous=FULL`` (the default) or the faster ``NORMAL``.
        hasher: for tests only: a fast password hasher. None uses the bank's default
            (Argon2id at OWASP parameters, about 40 ms a hash: two per registration).

    Raises:
        InvalidSimulationError: a bad ``config``, or a key in the environment that is not hex.
    """
    if type(config) is not SimulationConfig:
        raise InvalidSimulationError(
            f"config must be a SimulationConfig, not {type(config).__name__}"
        )
    key = _fingerprint_key() if fingerprint_key is None else fingerprint_key
    clock = ManualClock(datetime(1970, 1, 1, tzinfo=UTC))
    bank = bootstrap.sqlite(
        db, fingerprint_key=key, policies=policies, clock=clock, hasher=hasher, durable=durable
    )
    try:
        clock.set(_resume_at(bank))
        return simulate(bank, clock, config, progress=progress)
    finally:
        bank.close()


def _fingerprint_key() -> bytes:
    text = os.environ.get(KEY_VARIABLE)
    if text is None:
        return DEMO_FINGERPRINT_KEY
    try:
        return bytes.fromhex(text)
    except ValueError:  # the value is a secret: never echoed
        raise InvalidSimulationError(f"{KEY_VARIABLE} must be hexadecimal digits") from None


def _first_midnight(moment: datetime, zone: ZoneInfo) -> date:
    """The business date whose midnight is the first at or after ``moment``."""
    local = moment.astimezone(zone)
    day = local.date()
    return day if local == datetime.combine(day, time(), zone) else day + timedelta(days=1)


def _resume_at(bank: Bank) -> datetime:
    """The day after the last day begun; else after the last journal entry; else FIRST_DAY."""
    zone = bank.service.policies.limits.zone
    first = run_log(bank.store).next_day()
    if first is None:  # no simulation ran here: scan the journal once
        with bank.store.reader() as uow:
            last = max((entry.at for entry in uow.ledger.entries()), default=None)
        first = FIRST_DAY if last is None else last.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(first, time(), zone)


def _check_database(bank: Bank | InMemoryBank) -> tuple[str, ...]:
    """The store's own full check; the ledger port's audit for the in-memory store."""
    if isinstance(bank, InMemoryBank):
        with bank.store.reader() as uow:
            return audit_ledger(uow.ledger)
    try:
        bank.store.verify()
    except CorruptStateError as error:
        return (str(error),)
    return ()


def _report(
    world: World,
    config: SimulationConfig,
    before: Books,
    after: Books,
    database: tuple[str, ...],
) -> SimulationReport:
    tally: Tally = world.tally
    unbalanced = conservation(before, after, money_in=tally.money_in, money_out=tally.money_out)
    return SimulationReport(
        start=world.start,
        end=world.start + timedelta(days=config.days - 1),
        days=config.days,
        seed=config.seed,
        customers=len(world.members),
        new_customers=tally.new_customers,
        merchants=len(world.shops),
        new_merchants=tally.new_merchants,
        operations=tally.operations,
        declines=tally.declines,
        refusals=tally.refusals,
        fees={kind: world.money(minor) for kind, minor in tally.fees.items()},
        refunds=tally.refunds,
        disputes=tally.disputes,
        limit_increases=tally.limit_increases,
        notifications=tally.notifications,
        money_in=world.money(tally.money_in),
        money_out=world.money(tally.money_out),
        held_before=before.money(before.held),
        held_after=after.money(after.held),
        fee_income=after.money(after.fee_income - before.fee_income),
        ledger_total=after.money(after.ledger_total),
        conserved=not unbalanced,
        database_checked=not database,
        problems=unbalanced + database,
    )
