"""The PostgreSQL store against a raw psycopg loop doing the same SELECT + INSERT + UPDATE, in one process.

Run with ``nox -s bench`` (or ``python benchmarks/bench_postgres.py``). Prints throughputs and
ratios, asserts nothing about speed. Goal (issue 4): ``service.pay`` at least 0.8x the raw
loop's committed payments per second.

The server is ``ICBC_WALLET_PG_DSN`` when set, else a throwaway one started (and stopped at the
end) with ``.ci/postgres.sh``; with neither, the script prints that it skipped and exits 0, as
it does when psycopg (the ``postgres`` extra) is not installed. Both sides use fresh schemas on
the same server, dropped at the end. The throwaway server runs with ``fsync=off`` and
``synchronous_commit=off``: its commits never wait for a disk, so a real server's ratio will
differ; the script prints the settings of the server it measured.

The raw baseline runs on one connection, autocommit off: ``SELECT posted ... FOR UPDATE`` of
the wallet's balance, ``INSERT`` a payment row, ``UPDATE`` the balance, ``commit()``. The
library's side is ``WalletService.pay`` through :func:`icbc_wallet.bootstrap.postgres`, which
runs the same 26 statements as over SQLite (see ``bench_sqlite.py``), each a round trip, and
takes a pooled connection per unit of work. Also reported: ``service.balance`` against a raw
``SELECT``, and where the time of one pay goes.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).parent))

from _timing import compare_us
from bench_sqlite import AMOUNT, KEY, NOW, POLICIES, RAW_BATCH, TOP_UP, Payer, report

from icbc_wallet import bootstrap
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import ManualClock

REPO: Final = Path(__file__).resolve().parent.parent


class RawPostgres:
    """The baseline: one wallet's balance and a payments table, plain psycopg, one connection."""

    def __init__(self, psycopg: Any, dsn: str, schema: str) -> None:
        self.db = psycopg.connect(dsn, autocommit=False, options=f"-c search_path={schema}")
        self.db.execute(f"CREATE SCHEMA {schema}")
        self.db.execute(
            'CREATE TABLE accounts (account TEXT COLLATE "C" PRIMARY KEY, posted BIGINT NOT NULL)'
        )
        self.db.execute(
            'CREATE TABLE payments (id TEXT COLLATE "C" PRIMARY KEY, wallet TEXT NOT NULL, '
            "merchant TEXT NOT NULL, amount BIGINT NOT NULL, at TEXT NOT NULL)"
        )
        self.db.execute("INSERT INTO accounts VALUES ('wallet:W-raw', %s)", (TOP_UP.minor,))
        self.db.commit()
        self.ids = itertools.count()

    def pays(self, count: int) -> None:
        """``count`` pays, one transaction each."""
        db, amount = self.db, AMOUNT.minor
        for _ in range(count):
            (posted,) = db.execute(
                "SELECT posted FROM accounts WHERE account = %s FOR UPDATE", ("wallet:W-raw",)
            ).fetchone()
            if posted < amount:
                raise AssertionError("the raw wallet ran dry")
            db.execute(
                "INSERT INTO payments VALUES (%s, %s, %s, %s, %s)",
                (f"P-{next(self.ids)}", "W-raw", "M-raw", amount, "2026-03-10T04:00:00.000000"),
            )
            db.execute(
                "UPDATE accounts SET posted = posted - %s WHERE account = %s",
                (amount, "wallet:W-raw"),
            )
            db.commit()

    def balances(self, count: int) -> None:
        for _ in range(count):
            self.db.execute(
                "SELECT posted FROM accounts WHERE account = %s", ("wallet:W-raw",)
            ).fetchone()
            self.db.commit()


@contextmanager
def timing(owner: type, name: str, into: dict[str, float], calls: Counter[str]) -> Iterator[None]:
    """Add the time each call of ``owner.name`` takes to ``into[name]`` while in the block."""
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into[name] += time.perf_counter() - started
            calls[name] += 1

    setattr(owner, name, timed)
    try:
        yield
    finally:
        setattr(owner, name, original)


def timed_pays(payer: Payer, count: int) -> tuple[float, dict[str, float], Counter[str]]:
    """Microseconds per pay, in total and in each wrapped adapter method, and the calls made."""
    from icbc_wallet.adapters import postgres  # noqa: PLC0415  # needs the optional extra

    seconds: dict[str, float] = dict.fromkeys(("execute", "executemany", "_end", "connection"), 0.0)
    calls: Counter[str] = Counter()
    with ExitStack() as stack:
        stack.enter_context(timing(postgres._Connection, "execute", seconds, calls))
        stack.enter_context(timing(postgres._Connection, "executemany", seconds, calls))
        stack.enter_context(timing(postgres.PostgresUnitOfWork, "_end", seconds, calls))
        stack.enter_context(timing(postgres.PostgresStore, "connection", seconds, calls))
        started = time.perf_counter()
        for _ in range(count):
            payer.pay()
        total = time.perf_counter() - started
    return total / count * 1e6, {k: v / count * 1e6 for k, v in seconds.items()}, calls


def round_trip_us(raw: RawPostgres, gap_us: float, count: int = 200) -> float:
    """Microseconds per trivial SELECT on the raw connection, each after ``gap_us`` of busy work."""
    spent = 0.0
    for _ in range(count):
        until = time.perf_counter() + gap_us / 1e6
        while time.perf_counter() < until:
            pass
        started = time.perf_counter()
        raw.db.execute("SELECT 1").fetchone()
        spent += time.perf_counter() - started
    raw.db.commit()
    return spent / count * 1e6


def where_the_time_goes(payer: Payer, raw: RawPostgres) -> None:
    """Print what one pay spends on round trips, committing and in the pool.

    The adapter's private methods are wrapped with a timer for the measurement (cProfile
    inflates psycopg's Python code more than the total it is part of) and restored after. The
    least disturbed of three runs is shown, so that its parts add up.
    """
    count = 50
    total, us, calls = min((timed_pays(payer, count) for _ in range(3)), key=lambda run: run[0])
    statements = us["execute"] + us["executemany"]
    print(
        f"where one service.pay goes (mean of {count} pays, timers on the adapter: {total:.0f} us):"
    )
    print(
        f"    {statements:7.0f} us  {calls['execute'] / count:.0f} execute and "
        f"{calls['executemany'] / count:.0f} executemany calls (round trips to the server)"
    )
    print(f"    {us['_end']:7.0f} us  commit, and the connection back to the pool")
    print(f"    {us['connection']:7.0f} us  a connection from the pool")
    rest = total - statements - us["_end"] - us["connection"]
    print(f"    {rest:7.0f} us  the rest: codec, service, domain (by difference)")
    print(
        f"    one round trip (raw SELECT 1): {round_trip_us(raw, 0):.0f} us back to back, "
        f"{round_trip_us(raw, 300):.0f} us after 300 us of Python work"
    )


def measure(psycopg: Any, dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as connection:
        settings = {
            name: connection.execute(f"SHOW {name}").fetchone()[0]
            for name in ("server_version", "fsync", "synchronous_commit")
        }
    print(
        f"PostgreSQL {settings['server_version']}: fsync={settings['fsync']}, "
        f"synchronous_commit={settings['synchronous_commit']}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    if "off" in (settings["fsync"], settings["synchronous_commit"]):
        print(
            "    commits here wait for no disk: a durable server adds a WAL flush to each commit,"
            " on both sides"
        )
    tag = uuid.uuid4().hex[:12]
    ours_schema, raw_schema = f"bench_{tag}", f"bench_raw_{tag}"
    raw: RawPostgres | None = None
    bank: bootstrap.Bank | None = None
    try:
        raw = RawPostgres(psycopg, dsn, raw_schema)
        bank = bootstrap.postgres(
            dsn,
            fingerprint_key=KEY,
            schema=ours_schema,
            policies=POLICIES,
            clock=ManualClock(NOW),
            hasher=ScryptHasher.fast_for_tests(),
        )
        payer = Payer.open(bank)
        ours_us, raw_us = compare_us(payer.pay, lambda: raw.pays(RAW_BATCH), number=50, repeat=5)
        report("service.pay, one commit each", ours_us, raw_us / RAW_BATCH, 0.8, None)
        batch = 16
        ours_us, raw_us = compare_us(
            lambda: payer.bank.service.balance(payer.wallet_id),
            lambda: raw.balances(batch),
            number=200,
            repeat=5,
        )
        report("service.balance(wallet_id)", ours_us, raw_us / batch, None, 100_000)
        where_the_time_goes(payer, raw)
        bank.store.verify()  # the books still balance after everything above
    finally:
        if bank is not None:
            bank.close()
        if raw is not None:
            raw.db.close()
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as connection:
            for schema in (ours_schema, raw_schema):
                connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", ".ci/postgres.sh", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def main() -> int:
    try:
        import psycopg  # noqa: PLC0415  # the optional extra
    except ImportError:
        print("bench_postgres skipped: psycopg is not installed (the `postgres` extra)")
        return 0
    dsn = os.environ.get("ICBC_WALLET_PG_DSN", "")
    data_dir = None
    if not dsn:
        data_dir = tempfile.mkdtemp(prefix="icbc-bench-pg-")
        try:
            started = _script("start", data_dir)
            reason = (started.stderr.strip().splitlines() or ["no reason given"])[-1]
        except (OSError, subprocess.TimeoutExpired) as error:
            started, reason = None, str(error)
        if started is None or started.returncode != 0:
            if started is not None:
                _script("stop", data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)
            print(f"bench_postgres skipped: no PostgreSQL ({reason})")
            return 0
        dsn = started.stdout.strip()
        print("a throwaway server from .ci/postgres.sh (fsync off)", flush=True)
    try:
        try:
            psycopg.connect(dsn, connect_timeout=10).close()
        except psycopg.OperationalError as error:
            print(f"bench_postgres skipped: no PostgreSQL reachable ({error})")
            return 0
        measure(psycopg, dsn)
    finally:
        if data_dir is not None:
            stopped = _script("stop", data_dir)
            if stopped.returncode != 0:
                print(f"could not stop the server in {data_dir}: {stopped.stderr}")
    return 0  # ratios are reported, never asserted: machines are noisy


if __name__ == "__main__":
    raise SystemExit(main())
