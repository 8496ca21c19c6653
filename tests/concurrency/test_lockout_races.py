"""Wrong passwords tried at once all count, and a lock outlives a restart, on durable stores."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from icbc_wallet import bootstrap
from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds
from icbc_wallet.domain.credentials import CheckOutcome, LockoutRules, SecurityRules
from icbc_wallet.domain.identity import PhoneNumber
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.service import WalletPolicies

CORE_START = datetime(2026, 3, 2, 2, tzinfo=UTC)
"""The in-memory bank's first instant in core tests (tests/conftest.py)."""


KEY = b"lockout-races-fingerprint-key-32"
THREADS = 8
Opener = Callable[[WalletPolicies], bootstrap.Bank]


def _policies(max_failures: int) -> WalletPolicies:
    rules = SecurityRules(lockout=LockoutRules(max_failures=max_failures))
    return attrs.evolve(WalletPolicies.default(), security=rules)


def _register(bank: bootstrap.Bank) -> WalletId:
    service, phone = bank.service, PhoneNumber.parse("13800138000")
    registration = service.start_registration(phone, idempotency_key="r1")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key="r2")
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="r3")
    return service.submit_registration(registration, idempotency_key="r4")


@pytest.fixture(params=["sqlite", "postgres"])
def open_bank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens banks on one durable store (several opens = a restart), closing them at the end."""
    opened: list[bootstrap.Bank] = []
    clock = ManualClock(CORE_START)
    if request.param == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        schema = request.getfixturevalue("postgres_schema")

    def open_(policies: WalletPolicies) -> bootstrap.Bank:
        common = {
            "fingerprint_key": KEY,
            "policies": policies,
            "clock": clock,
            "ids": SequentialIds(),
            "hasher": Argon2Hasher.fast_for_tests(),
        }
        if request.param == "sqlite":
            bank = bootstrap.sqlite(tmp_path / "wallet.db", **common)  # type: ignore[arg-type]
        else:
            bank = bootstrap.postgres(dsn, schema=schema, **common)  # type: ignore[arg-type]
        opened.append(bank)
        return bank

    yield open_
    for bank in opened:
        bank.close()


def _at_once(bank: bootstrap.Bank, wallet: WalletId, password: str) -> Counter[CheckOutcome]:
    with ThreadPoolExecutor(THREADS) as pool:
        checks = pool.map(
            lambda _: bank.service.verify_payment_password(wallet, password), range(THREADS)
        )
        return Counter(check.outcome for check in checks)


def test_eight_wrong_tries_at_once_count_eight(open_bank: Opener) -> None:
    bank = open_bank(_policies(max_failures=10))
    wallet = _register(bank)

    outcomes = _at_once(bank, wallet, "246802")

    assert outcomes == {CheckOutcome.WRONG: THREADS}
    assert bank.service.verify_payment_password(wallet, "246802").attempts_left == 1


def test_wrong_tries_at_once_lock_after_exactly_three(open_bank: Opener) -> None:
    bank = open_bank(_policies(max_failures=3))
    wallet = _register(bank)

    outcomes = _at_once(bank, wallet, "246802")

    assert outcomes == {CheckOutcome.WRONG: 2, CheckOutcome.LOCKED: THREADS - 2}
    assert bank.service.verify_payment_password(wallet, "135790").outcome is CheckOutcome.LOCKED


def test_a_lock_and_a_count_survive_a_restart(open_bank: Opener) -> None:
    first = open_bank(_policies(max_failures=3))
    wallet = _register(first)
    for _ in range(3):
        first.service.verify_payment_password(wallet, "246802")
    first.close()

    second = open_bank(_policies(max_failures=3))
    during = second.service.verify_payment_password(wallet, "135790")
    second.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
    after = second.service.verify_payment_password(wallet, "135790")

    assert during.outcome is CheckOutcome.LOCKED
    assert during.locked_until == CORE_START + timedelta(hours=3)
    assert after.verified
