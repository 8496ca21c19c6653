"""Each run continues after the days an earlier run began, and a merchant is registered once, ever."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from icbc_wallet import bootstrap
from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.policy_files import dumps_policies, loads_policies
from icbc_wallet.service import WalletPolicies
from icbc_wallet.simulation import (
    DEMO_FINGERPRINT_KEY,
    FIRST_DAY,
    SimulationConfig,
    SimulationReport,
    run_simulation,
    simulate,
)
from icbc_wallet.simulation.runs import run_log

FAST = Argon2Hasher.fast_for_tests()
QUIET = SimulationConfig(days=2, customers=1, merchants=5, seed=4)
"""Some of its days write no journal entry (nothing but declines and sweeps)."""
TINY = SimulationConfig(days=2, customers=2, merchants=1, seed=7)


def _refusing_everything() -> WalletPolicies:
    """Every per-transaction cap 0.01: every payment is declined, so no merchant sells."""
    text = re.sub(
        r'per_transaction = "[0-9.]+"',
        'per_transaction = "0.01"',
        dumps_policies(WalletPolicies.default()),
    )
    return loads_policies(text)


def _run(
    db: Path, config: SimulationConfig, policies: WalletPolicies | None = None
) -> SimulationReport:
    return run_simulation(db, config, policies=policies, hasher=FAST, durable=False)


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_runs_follow_one_another_even_when_days_write_no_journal_entry(tmp_path: Path) -> None:
    db = tmp_path / "quiet.db"
    reports = [_run(db, QUIET) for _ in range(3)]
    assert [report.start for report in reports] == [
        FIRST_DAY,
        FIRST_DAY + timedelta(days=2),
        FIRST_DAY + timedelta(days=4),
    ]
    assert all(report.ok for report in reports)
    assert _rows(db, "SELECT first_day, last_day, finished_at_sim FROM simulation_runs") == [
        ("2026-03-01", "2026-03-02", "2026-03-02T23:59:59+08:00"),
        ("2026-03-03", "2026-03-04", "2026-03-04T23:59:59+08:00"),
        ("2026-03-05", "2026-03-06", "2026-03-06T23:59:59+08:00"),
    ]


def test_runs_where_every_payment_is_declined_continue_and_register_the_merchant_once(
    tmp_path: Path,
) -> None:
    db = tmp_path / "declined.db"
    refusing = _refusing_everything()
    reports = [_run(db, TINY, refusing) for _ in range(3)]
    assert [report.start for report in reports] == [
        FIRST_DAY + timedelta(days=2 * n) for n in range(3)
    ]
    assert [report.new_merchants for report in reports] == [1, 0, 0]
    assert sum(report.count("payment_static_qr", "approved") for report in reports) == 0
    assert _rows(db, "SELECT count(*) FROM merchants") == [(1,)]
    assert _rows(db, "SELECT count(*) FROM simulation_merchants") == [(1,)]
    assert all(report.ok for report in reports)


def test_an_interrupted_run_is_followed_by_the_day_after_the_last_day_it_began(
    tmp_path: Path,
) -> None:
    db = tmp_path / "interrupted.db"

    def crash_after_the_second_day(done: int, _total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_simulation(
            db,
            SimulationConfig(days=4, customers=2, merchants=2, seed=7),
            hasher=FAST,
            durable=False,
            progress=crash_after_the_second_day,
        )
    assert _rows(db, "SELECT last_day, finished_at_sim FROM simulation_runs") == [
        ("2026-03-02", None)
    ]
    after = _run(db, TINY)
    assert after.start == FIRST_DAY + timedelta(days=2)
    assert (after.new_customers, after.new_merchants) == (0, 0)
    assert after.ok


def test_a_database_without_the_run_log_continues_after_its_last_journal_entry(
    tmp_path: Path,
) -> None:
    db = tmp_path / "older.db"
    first = _run(db, SimulationConfig(days=3, customers=4, merchants=3, seed=11))
    connection = sqlite3.connect(db)
    with connection:  # as a database written before the run log, or by another program
        connection.execute("DROP TABLE simulation_runs")
        connection.execute("DROP TABLE simulation_merchants")
    connection.close()
    bank = bootstrap.sqlite(db, fingerprint_key=DEMO_FINGERPRINT_KEY, hasher=FAST)
    try:
        with bank.store.reader() as uow:
            last = max(entry.at for entry in uow.ledger.entries())
    finally:
        bank.close()
    later = _run(db, SimulationConfig(days=3, customers=4, merchants=3, seed=11))
    zone = bank.service.policies.limits.zone
    assert later.start == last.astimezone(zone).date() + timedelta(days=1) > first.start
    assert later.new_merchants == 0  # found by their ledger accounts (each made a first sale)
    assert later.ok
    assert _rows(db, "SELECT count(*) FROM simulation_merchants") == [(3,)]


def test_a_second_simulation_on_an_in_memory_bank_finds_merchants_that_never_sold() -> None:
    bank = bootstrap.in_memory(_refusing_everything(), start=datetime(2026, 3, 1, tzinfo=UTC))
    first = simulate(bank, bank.clock, TINY)
    bank.clock.advance(timedelta(days=3))  # the registration's idempotency key has expired
    second = simulate(bank, bank.clock, TINY)
    assert (first.new_merchants, second.new_merchants) == (1, 0)
    assert second.start >= date(2026, 3, 6)
    assert second.ok
    log = run_log(bank.store)  # the same log for as long as the store lives
    assert log is run_log(bank.store)
    assert log.next_day() == second.end + timedelta(days=1)
    assert run_log(bootstrap.in_memory().store).next_day() is None
