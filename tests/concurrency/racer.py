"""A racer: one OS process whose threads pay from one wallet at the same moment as another's.

``test_limit_races.py`` starts two of these (``python racer.py``) and talks to each over its
standard input and output, one JSON document per line:

1. the test sends a job: the database (SQLite file or PostgreSQL schema, real or naive
   adapter), the wallet, the merchant, the policy instant and fee rate, and for each thread the
   payments it makes (idempotency key and amount in minor units);
2. the racer opens the bank, starts the threads, lets each open its database connection, and
   answers ``{"ready": true}``;
3. the test sends ``go`` to every racer at once; the threads pay, one payment after another;
4. the racer answers ``{"outcomes": [...]}``: per payment, approved or declined (with the
   reference, the fee, the decline code) or the exception it raised, and closes the bank.

It serves jobs until its input ends. Nothing here judges the outcomes: the test does.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from icbc_wallet import bootstrap
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import ManualClock, UuidIds
from icbc_wallet.adapters.sqlite import SqliteStore
from icbc_wallet.domain.decisions import Declined
from icbc_wallet.domain.fee_rules import FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.service import WalletPolicies

Job = dict[str, Any]
Outcome = dict[str, Any]

WAIT = 60.0
"""Seconds a thread waits for the others, or for ``go``, before it gives up."""


def policies(fee_rate: str) -> WalletPolicies:
    """The default policies, with merchants paying ``fee_rate`` of each payment."""
    fee = FeeRule.percentage(OperationKind.PAYMENT, fee_rate, name="merchant service fee")
    merchant_fees = FeeSchedule([fee], name="race merchant fees")
    return attrs.evolve(WalletPolicies.default(), merchant_fees=merchant_fees)


def open_bank(job: Job) -> bootstrap.Bank:
    """The bank the job names: its database, through the real or the naive adapter."""
    target, key = job["target"], bytes.fromhex(job["key"])
    rules = policies(job["fee_rate"])
    clock = ManualClock(datetime.fromisoformat(job["instant"]))
    if target["naive"]:
        import naive  # noqa: PLC0415  # beside this script; the real adapters never need it

        if target["kind"] == "sqlite":
            return naive.naive_sqlite(
                target["location"], fingerprint_key=key, policies=rules, clock=clock
            )
        return naive.naive_postgres(
            target["location"],
            schema=target["schema"],
            fingerprint_key=key,
            policies=rules,
            clock=clock,
        )
    hasher = ScryptHasher.fast_for_tests()
    if target["kind"] == "sqlite":
        return bootstrap.sqlite(
            target["location"],
            fingerprint_key=key,
            policies=rules,
            clock=clock,
            ids=UuidIds(),
            hasher=hasher,
            durable=False,
        )
    return bootstrap.postgres(
        target["location"],
        schema=target["schema"],
        fingerprint_key=key,
        policies=rules,
        clock=clock,
        ids=UuidIds(),
        hasher=hasher,
    )


def _connect(bank: bootstrap.Bank, together: threading.Barrier) -> None:
    """Open this thread's connection before the start, so that it costs no time in the race."""
    store = bank.store
    if isinstance(store, SqliteStore):
        store.connection()
        together.wait(WAIT)
        return
    raw = store.connection()  # held until every thread has one: the pool then holds them all
    try:
        together.wait(WAIT)
    finally:
        store.release(raw)


def _pay(bank: bootstrap.Bank, job: Job, key: str, minor: int) -> Outcome:
    outcome: Outcome = {"key": key, "amount": minor}
    try:
        result = bank.service.pay(
            job["wallet"],
            job["merchant"],
            Money._make(minor, "CNY"),
            method=job["method"],
            idempotency_key=key,
        )
    except Exception as error:  # every exception is reported; the test decides what it means
        return {**outcome, "error": f"{type(error).__module__}.{type(error).__qualname__}: {error}"}
    decision = result.decision
    return {
        **outcome,
        "approved": result.approved,
        "reference": result.reference,
        "fee": None if result.fee is None else result.fee.minor,
        "declined": decision.reason.code if type(decision) is Declined else None,
    }


def _racer(
    bank: bootstrap.Bank,
    job: Job,
    payments: list[tuple[str, int]],
    together: threading.Barrier,
    go: threading.Event,
    outcomes: list[Outcome],
) -> None:
    try:
        _connect(bank, together)
        together.wait(WAIT)  # every thread connected: the racer says it is ready
        if not go.wait(WAIT):
            raise TimeoutError("no go")
        outcomes.extend(_pay(bank, job, key, minor) for key, minor in payments)
    except Exception as error:  # a thread that cannot race must be reported, not lost
        outcomes.append({"key": None, "amount": 0, "error": f"thread failed: {error!r}"})


def race(job: Job, ready: Callable[[], None], wait_for_go: Callable[[], None]) -> list[Outcome]:
    """Run one job: open the bank, start its threads, call ``ready``, then race on go."""
    bank = open_bank(job)
    try:
        threads_payments = [[(key, minor) for key, minor in plan] for plan in job["payments"]]
        together = threading.Barrier(len(threads_payments) + 1)
        go = threading.Event()
        outcomes: list[Outcome] = []
        threads = [
            threading.Thread(target=_racer, args=(bank, job, plan, together, go, outcomes))
            for plan in threads_payments
        ]
        for thread in threads:
            thread.start()
        together.wait(WAIT)  # (in _connect) every connection is open
        together.wait(WAIT)  # every thread waits for go
        ready()
        wait_for_go()
        go.set()
        for thread in threads:
            thread.join()
        return outcomes
    finally:
        bank.close()


def _send(message: object) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _expect_go() -> None:
    line = sys.stdin.readline()
    if line.strip() != "go":
        raise RuntimeError(f"expected go, got {line!r}")


def main() -> int:
    """Serve jobs from standard input until it ends."""
    while line := sys.stdin.readline():
        try:
            outcomes = race(json.loads(line), lambda: _send({"ready": True}), _expect_go)
        except Exception:  # the test shows this instead of waiting for an answer in vain
            _send({"failed": traceback.format_exc()})
            continue
        _send({"outcomes": outcomes})
    return 0


if __name__ == "__main__":
    sys.exit(main())
