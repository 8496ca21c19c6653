"""A simulation on SQLite repeats from its seed, continues on a second run, and checks the books."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from icbc_wallet import bootstrap
from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.runtime import ManualClock
from icbc_wallet.errors import InvalidSimulationError
from icbc_wallet.simulation import (
    DEMO_FINGERPRINT_KEY,
    FIRST_DAY,
    KEY_VARIABLE,
    SimulationConfig,
    SimulationReport,
    run_simulation,
)
from icbc_wallet.simulation.population import Population

SMALL = SimulationConfig(days=3, customers=6, merchants=3, seed=11)
FAST = Argon2Hasher.fast_for_tests()


def _run(db: Path, config: SimulationConfig = SMALL, **options: object) -> SimulationReport:
    return run_simulation(db, config, hasher=FAST, durable=False, **options)  # type: ignore[arg-type]


def _count(db: Path, table: str) -> int:
    connection = sqlite3.connect(db)
    try:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    finally:
        connection.close()
    assert isinstance(count, int)
    return count


@pytest.fixture(scope="module")
def two_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, SimulationReport, SimulationReport]:
    db = tmp_path_factory.mktemp("continued") / "wallet.db"
    first = run_simulation(db, SMALL, hasher=FAST)  # durable, as the command line runs it
    second = run_simulation(db, SMALL, hasher=FAST)
    return db, first, second


def test_a_first_run_registers_everyone_does_business_and_checks_the_books(
    two_runs: tuple[Path, SimulationReport, SimulationReport],
) -> None:
    db, first, _ = two_runs
    assert (first.start, first.end, first.days) == (FIRST_DAY, FIRST_DAY + timedelta(days=2), 3)
    assert (first.customers, first.new_customers) == (6, 6)
    assert (first.merchants, first.new_merchants) == (3, 3)
    assert first.count("registration", "approved") == 6
    assert first.count("top_up", "approved") > 0
    assert (
        sum(first.count(f"payment_{m}") for m in ("static_qr", "dynamic_qr", "nfc", "online")) > 10
    )
    assert first.money_in.is_positive()
    assert first.ledger_total.is_zero()
    assert first.held_after - first.held_before == first.money_in - first.money_out
    assert first.conserved
    assert first.database_checked
    assert first.ok
    assert first.problems == ()
    assert first.notifications > 0
    assert _count(db, "wallets") == 6


def test_a_second_run_continues_with_the_next_period_and_the_same_people(
    two_runs: tuple[Path, SimulationReport, SimulationReport],
) -> None:
    db, first, second = two_runs
    assert second.start == first.end + timedelta(days=1)
    assert (second.customers, second.new_customers) == (6, 0)
    assert (second.merchants, second.new_merchants) == (3, 0)
    assert second.count("registration") == 0
    assert second.held_before == first.held_after
    assert second.ok, second.problems
    assert (_count(db, "wallets"), _count(db, "merchants")) == (6, 3)


def test_the_same_seed_and_period_give_the_same_report_on_new_databases(tmp_path: Path) -> None:
    one = _run(tmp_path / "one.db").to_dict()
    two = _run(tmp_path / "two.db").to_dict()
    assert one == two
    assert json.loads(json.dumps(one)) == one
    other = _run(tmp_path / "other.db", SimulationConfig(days=3, customers=6, merchants=3, seed=12))
    assert other.to_dict() != one


def test_a_larger_population_later_registers_only_the_newcomers(tmp_path: Path) -> None:
    db = tmp_path / "growing.db"
    _run(db)
    grown = _run(db, SimulationConfig(days=2, customers=8, merchants=4, seed=11))
    assert (grown.customers, grown.new_customers, grown.new_merchants) == (8, 2, 1)
    assert grown.ok
    assert (_count(db, "wallets"), _count(db, "merchants")) == (8, 4)


def test_books_tampered_with_in_the_database_are_reported_not_ok(tmp_path: Path) -> None:
    db = tmp_path / "tampered.db"
    assert _run(db).ok
    connection = sqlite3.connect(db)
    with connection:  # a stray write outside the service: the books no longer balance
        connection.execute(
            "UPDATE accounts SET posted = posted + 100 WHERE account = 'bank_settlement'"
        )
    connection.close()
    report = _run(db)
    assert not report.conserved
    assert not report.database_checked
    assert not report.ok
    assert str(report.ledger_total.amount) == "1.00"
    assert any("the ledger sums to 1.00 CNY" in problem for problem in report.problems)
    assert report.to_dict()["ok"] is False


def test_progress_is_told_after_each_simulated_day(tmp_path: Path) -> None:
    told: list[tuple[int, int]] = []
    _run(tmp_path / "progress.db", progress=lambda done, total: told.append((done, total)))
    assert told == [(1, 3), (2, 3), (3, 3)]


def test_the_fingerprint_key_is_read_from_the_environment_in_hex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "keyed.db"
    monkeypatch.setenv(KEY_VARIABLE, "ab" * 32)
    _run(db, SimulationConfig(days=1, customers=2, merchants=1))
    again = _run(db, SimulationConfig(days=1, customers=2, merchants=1))
    assert again.new_customers == 0  # found by the phone's hash under the same key
    monkeypatch.setenv(KEY_VARIABLE, "not hex, and secret")
    with pytest.raises(InvalidSimulationError, match=KEY_VARIABLE) as refused:
        _run(db)
    assert "secret" not in str(refused.value)


def test_a_config_that_is_not_a_config_is_refused_before_any_database_is_made(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidSimulationError, match="SimulationConfig"):
        run_simulation(tmp_path / "never.db", {"days": 3})  # type: ignore[arg-type]
    assert not (tmp_path / "never.db").exists()


_SIMULATE = """
from datetime import UTC, datetime
from icbc_wallet import bootstrap
from icbc_wallet.simulation import SimulationConfig, simulate
bank = bootstrap.in_memory(start=datetime(2026, 3, 1, tzinfo=UTC))
report = simulate(bank, bank.clock, SimulationConfig(days=4, customers=8, merchants=8, seed=5))
"""


def test_the_report_does_not_depend_on_the_interpreters_hash_seed() -> None:
    # Sets of strings iterate in an order that changes with PYTHONHASHSEED: a simulation that
    # drew its choices from one would give another report in another process.
    namespace: dict[str, object] = {}
    exec(_SIMULATE, namespace)  # our own code, run here and in a child
    report = namespace["report"]
    assert isinstance(report, SimulationReport)
    here = json.dumps(report.to_dict(), sort_keys=True)
    other_seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    environment = {**os.environ, "PYTHONHASHSEED": other_seed}
    child = (
        _SIMULATE
        + "import json, sys\nsys.stdout.write(json.dumps(report.to_dict(), sort_keys=True))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, check=True, env=environment
    )
    assert ran.stdout == here


def test_a_registration_interrupted_by_a_crash_is_replayed_by_its_keys(tmp_path: Path) -> None:
    db = tmp_path / "interrupted.db"
    clock = ManualClock(datetime.combine(FIRST_DAY, time(), ZoneInfo("Asia/Shanghai")))
    bank = bootstrap.sqlite(db, fingerprint_key=DEMO_FINGERPRINT_KEY, clock=clock, hasher=FAST)
    first = Population.generate(seed=SMALL.seed, customers=1, merchants=0).customers[0]
    started = bank.service.start_registration(
        first.phone, idempotency_key=f"sim:{SMALL.seed}:c0:start"
    )
    bank.close()  # the process dies: its SMS stand-in (and the code it sent) are gone
    report = _run(db)
    assert report.new_customers == SMALL.customers
    assert report.ok
    reopened = bootstrap.sqlite(db, fingerprint_key=DEMO_FINGERPRINT_KEY, hasher=FAST)
    try:
        assert reopened.service.wallet_for_phone(first.phone) is not None
        # the registration begun before the crash is the one that was completed
        assert reopened.service.registration(started).next_step is None
    finally:
        reopened.close()
