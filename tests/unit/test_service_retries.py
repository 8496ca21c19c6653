"""A command that meets a ConcurrencyError runs again, a bounded number of times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from icbc_wallet import bootstrap
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds
from icbc_wallet.adapters.verification import (
    InMemoryCardVerifier,
    InMemoryIdentityVerifier,
    InMemoryPhoneVerifier,
)
from icbc_wallet.domain.identity import MerchantCreditCode
from icbc_wallet.errors import ConcurrencyError, InvalidPolicyError
from icbc_wallet.service import WalletService

CODE = MerchantCreditCode.parse("91110000600037341L")


class _Flaky:
    """A unit-of-work factory whose first ``failures`` commits raise ConcurrencyError."""

    def __init__(self, store: InMemoryStore, failures: int) -> None:
        self.store, self.failures, self.commits = store, failures, 0

    def __call__(self) -> InMemoryUnitOfWork:
        return _FlakyUnit(self)


class _FlakyUnit(InMemoryUnitOfWork):
    __slots__ = ("_factory",)

    def __init__(self, factory: _Flaky) -> None:
        super().__init__(factory.store)
        self._factory = factory

    def commit(self) -> None:
        self._factory.commits += 1
        if self._factory.commits <= self._factory.failures:
            raise ConcurrencyError("changed by another command")
        super().commit()


def _service(units: _Flaky, attempts: int = 5) -> WalletService:
    return WalletService(
        units,
        clock=ManualClock(datetime(2026, 3, 1, tzinfo=UTC)),
        ids=SequentialIds(),
        hasher=ScryptHasher.fast_for_tests(),
        phone_verifier=InMemoryPhoneVerifier(),
        identity_verifier=InMemoryIdentityVerifier(()),
        card_verifier=InMemoryCardVerifier(()),
        attempts=attempts,
    )


def test_a_command_that_meets_a_conflict_runs_again_and_is_applied_once() -> None:
    units = _Flaky(InMemoryStore(), failures=2)
    merchant = _service(units).register_merchant("Mugs", CODE, "food", idempotency_key="k1")
    assert units.commits == 3
    with units.store.unit_of_work() as uow:
        assert uow.merchants.get(merchant).name == "Mugs"
        assert uow.idempotency.get("k1") is not None


def test_the_last_conflict_is_raised_once_the_attempts_are_spent() -> None:
    units = _Flaky(InMemoryStore(), failures=3)
    with pytest.raises(ConcurrencyError):
        _service(units, attempts=3).register_merchant("Mugs", CODE, "food", idempotency_key="k1")
    assert units.commits == 3
    with units.store.unit_of_work() as uow:
        assert uow.idempotency.get("k1") is None  # nothing was recorded


@pytest.mark.parametrize("attempts", [0, 101, 2.0, True])
def test_attempts_must_be_a_small_positive_int(attempts: object) -> None:
    with pytest.raises(InvalidPolicyError, match="attempts"):
        _service(_Flaky(InMemoryStore(), 0), attempts=attempts)  # type: ignore[arg-type]


def test_a_durable_bank_needs_a_fingerprint_key_and_uses_random_ids(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicyError, match="fingerprint_key"):
        bootstrap.sqlite(tmp_path / "a.db", fingerprint_key=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError, match="16 bytes"):
        bootstrap.sqlite(tmp_path / "b.db", fingerprint_key=b"short")
    bank = bootstrap.sqlite(tmp_path / "c.db", fingerprint_key=b"k" * 32)
    merchant = bank.service.register_merchant("Mugs", CODE, "food", idempotency_key="k1")
    assert re.fullmatch("M-[0-9a-f]{32}", merchant)  # a UUID: safe across restarts
    bank.close()


def test_no_pause_between_attempts_is_longer_than_a_quarter_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr("icbc_wallet.service._base.time.sleep", pauses.append)
    monkeypatch.setattr("icbc_wallet.service._base.random.uniform", lambda low, high: high)
    units = _Flaky(InMemoryStore(), failures=29)
    _service(units, attempts=30).register_merchant("Mugs", CODE, "food", idempotency_key="k1")
    assert len(pauses) == 29
    assert max(pauses) == 0.25
    assert pauses[0] == 0.002
