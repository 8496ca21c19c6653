"""What the guard (risk monitoring, authentication) adds to a payment, in one process.

Run with ``nox -s bench`` (or ``python benchmarks/bench_guard.py``). Prints ratios, asserts
nothing about speed. No goal was set by the issue; the ratios say what switching the guard on
costs, so that a bank can budget it.

Measured, each against the same in-memory ``service.pay`` with no guard, in the same process:

1. risk monitoring alone (``WalletPolicies(risk=RiskRules())``) on a customer paying three times
   a day for 90 days (the engine's longest window): the service keeps what it read of a
   wallet's history and reads only the events saved since, so a payment does not re-read
   ~800 events (before that: 12x in memory, 10x on SQLite);
2. the full guard (``WalletPolicies.guarded()``) with a small NFC payment (password-free: no
   secret to hash) — the authentication policy and the risk engine together;
3. the full guard with the payment password, hashed with the cheap test Argon2id, and the cost
   of one verification with Argon2id at OWASP parameters (19 MiB, 2 passes), which dominates a
   password-checked payment in production by design;
4. risk monitoring alone on SQLite (``durable=False``, so that disk syncs do not hide the
   difference), over the same 90 days of history, against the unguarded SQLite pay.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare_us  # the benchmarks' shared helpers

from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds
from icbc_wallet.bootstrap import Bank, InMemoryBank, in_memory, sqlite
from icbc_wallet.domain.attestations import Presented
from icbc_wallet.domain.identity import (
    BankCard,
    MerchantCreditCode,
    PhoneNumber,
    ResidentId,
)
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.risk_rules import RiskRules
from icbc_wallet.service import WalletPolicies

START = datetime(2026, 3, 2, 2, tzinfo=UTC)
STEP = timedelta(hours=8)  # three payments a day
WARM_UP = 270  # 90 days of them: the risk engine's longest window, full


def _bank(
    policies: WalletPolicies, directory: Path | None = None
) -> tuple[InMemoryBank | Bank, str, str]:
    if directory is None:
        bank: InMemoryBank | Bank = in_memory(policies, start=START)
    else:
        bank = sqlite(
            directory / "wallet.db",
            fingerprint_key=b"bench-fingerprint-key-32-bytes!!",
            policies=policies,
            clock=ManualClock(START),
            ids=SequentialIds(),
            hasher=Argon2Hasher.fast_for_tests(),
            durable=False,
        )
    service, phone = bank.service, PhoneNumber.parse("13800138000")
    registration = service.start_registration(phone, idempotency_key="r1")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key="r2")
    resident = ResidentId.parse("34052419800101001X")
    service.provide_identity(registration, "张三", resident, idempotency_key="r3")
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="r4")
    card = BankCard.parse("6225768888888888")
    service.add_card(registration, card, idempotency_key="r5")
    wallet = service.submit_registration(registration, idempotency_key="r6")
    service.top_up(wallet, card, Money.of("9000"), idempotency_key="t")
    code_text = MerchantCreditCode.parse("91110000600037341L")
    merchant = service.register_merchant("Coffee", code_text, "food", idempotency_key="m")
    return bank, wallet, merchant


def _payer(
    policies: WalletPolicies,
    method: str,
    presented: Presented | None,
    directory: Path | None = None,
) -> Callable[[], object]:
    bank, wallet, merchant = _bank(policies, directory)
    clock = bank.clock
    assert isinstance(clock, ManualClock)
    keys = iter(range(10**9))
    amount = Money.of("0.10")

    def pay() -> object:
        clock.advance(STEP)
        result = bank.service.pay(
            wallet,
            merchant,
            amount,
            method=method,
            presented=presented,
            idempotency_key=f"p{next(keys)}",
        )
        assert result.approved, result
        return result

    for _ in range(WARM_UP):
        pay()
    return pay


def main() -> None:
    plain = WalletPolicies.default()
    risk = attrs.evolve(plain, risk=RiskRules())
    guarded = WalletPolicies.guarded()
    password = Presented(password="135790")
    cases = [
        ("risk monitoring alone, online", risk, "online", None),
        ("full guard, password-free NFC", guarded, "nfc", None),
        ("full guard, password (test Argon2id)", guarded, "online", password),
    ]
    for name, policies, method, presented in cases:
        ours, raw = compare_us(
            _payer(policies, method, presented),
            _payer(plain, method, None),
            number=150,
            repeat=5,
        )
        print(f"{name:<40} guarded {ours:8.1f} us  unguarded {raw:8.1f} us  {ours / raw:5.2f}x")
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as other:
        ours, raw = compare_us(
            _payer(risk, "online", None, Path(one)),
            _payer(plain, "online", None, Path(other)),
            number=100,
            repeat=5,
        )
    name = "risk monitoring alone, online, SQLite"
    print(f"{name:<40} guarded {ours:8.1f} us  unguarded {raw:8.1f} us  {ours / raw:5.2f}x")
    owasp = Argon2Hasher()
    stored = owasp.hash("135790")
    started = time.perf_counter()
    for _ in range(5):
        owasp.verify("135790", stored)
    per = (time.perf_counter() - started) / 5 * 1e3
    print(f"{'one OWASP Argon2id verification':<40} {per:8.1f} ms (per password-checked payment)")


if __name__ == "__main__":
    main()
