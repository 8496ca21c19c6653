"""Clocks, id generators and the in-memory composition root."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds, SystemClock, UuidIds
from icbc_wallet.bootstrap import in_memory
from icbc_wallet.domain.identity import PhoneNumber, ResidentId
from icbc_wallet.domain.ids import PaymentId, parse_id
from icbc_wallet.errors import InvalidDatetimeError, NaiveDatetimeError, VerificationFailedError
from icbc_wallet.ports.runtime import Clock, IdGenerator
from icbc_wallet.service import WalletPolicies

NOON = datetime(2026, 3, 1, 12, tzinfo=UTC)


# --- clocks --------------------------------------------------------------------------------------


def test_a_manual_clock_moves_only_forward_and_only_when_told() -> None:
    clock = ManualClock(NOON)

    assert clock.now() == clock.now() == NOON
    assert clock.advance(timedelta(minutes=5)) == NOON + timedelta(minutes=5)
    assert clock.advance(timedelta(0)) == clock.now()
    with pytest.raises(InvalidDatetimeError):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == NOON + timedelta(minutes=5)


def test_a_manual_clock_jumps_forward_but_never_back() -> None:
    clock = ManualClock(NOON)
    beijing = timezone(timedelta(hours=8))

    clock.set(datetime(2026, 3, 2, 9, tzinfo=beijing))
    with pytest.raises(InvalidDatetimeError):
        clock.set(NOON)

    assert clock.now() == datetime(2026, 3, 2, 1, tzinfo=UTC)


def test_a_manual_clock_refuses_naive_instants() -> None:
    with pytest.raises(NaiveDatetimeError):
        ManualClock(datetime(2026, 3, 1, 12))  # the point of the test
    clock = ManualClock(NOON)
    with pytest.raises(NaiveDatetimeError):
        clock.set(datetime(2026, 3, 2))
    assert clock.now() == NOON


def test_the_system_clock_is_aware_utc_and_never_goes_back() -> None:
    clock = SystemClock()

    first, second = clock.now(), clock.now()

    assert first.tzinfo is UTC
    assert first <= second
    assert abs(first - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize("clock", [SystemClock(), ManualClock(NOON)])
def test_both_clocks_satisfy_the_port(clock: Clock) -> None:
    assert isinstance(clock.now(), datetime)


# --- ids -----------------------------------------------------------------------------------------


def test_sequential_ids_share_one_counter_across_prefixes() -> None:
    ids = SequentialIds()

    assert [ids.new("P"), ids.new("W"), ids.new("P")] == ["P-000001", "W-000002", "P-000003"]


def test_sequential_ids_stay_unique_across_threads() -> None:
    ids, made = SequentialIds(), list[str]()
    lock = threading.Lock()

    def make() -> None:
        mine = [ids.new("P") for _ in range(500)]
        with lock:
            made.extend(mine)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(made)) == len(made) == 2000


def test_uuid_ids_are_unique_valid_and_prefixed() -> None:
    ids = UuidIds()

    made = {ids.new("P") for _ in range(1000)}

    assert len(made) == 1000
    for made_id in made:
        assert made_id.startswith("P-")
        assert len(made_id) == 2 + 32
        assert parse_id(made_id, PaymentId) == made_id


@pytest.mark.parametrize("ids", [SequentialIds(), UuidIds()])
def test_both_generators_satisfy_the_port(ids: IdGenerator) -> None:
    assert ids.new("T").startswith("T-")


# --- the composition root ------------------------------------------------------------------------


def test_an_in_memory_bank_starts_on_new_years_day_with_the_default_policies() -> None:
    bank = in_memory()

    assert bank.clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    assert bank.service.policies == WalletPolicies.default()
    assert bank.service.policies.limits.name == "ecny-2021-qr"
    assert bank.notifier.sent == []
    assert bank.store.wallets.rows == {}


def test_an_in_memory_bank_wires_one_store_clock_and_notifier_through() -> None:
    bank = in_memory(start=NOON)
    phone = PhoneNumber.parse("13800138000")

    bank.service.start_registration(phone, idempotency_key="start")
    bank.clock.advance(timedelta(hours=1))
    bank.dispatcher.dispatch()

    [record] = bank.store.idempotency.values()
    assert record.created_at == NOON
    assert bank.phone_verifier.last_code_for(phone) is not None
    assert len(bank.store.registrations) == 1


def test_an_in_memory_bank_uses_the_hasher_it_is_given() -> None:
    hasher = ScryptHasher(n=2**11)
    bank = in_memory(start=NOON, hasher=hasher)
    phone = PhoneNumber.parse("13800138000")
    registration = bank.service.start_registration(phone, idempotency_key="start")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    bank.service.verify_phone(registration, phone, code, idempotency_key="verify")

    bank.service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="pw")

    stored = bank.service.registration(registration).password_hash
    assert stored is not None
    assert stored.startswith("scrypt$2048$")


def test_an_in_memory_bank_rejects_the_ids_it_is_told_to() -> None:
    resident = ResidentId.parse("34052419800101001X")
    bank = in_memory(start=NOON, rejected_ids=[resident.reveal()])
    phone = PhoneNumber.parse("13800138000")
    registration = bank.service.start_registration(phone, idempotency_key="start")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    bank.service.verify_phone(registration, phone, code, idempotency_key="verify")

    with pytest.raises(VerificationFailedError):
        bank.service.provide_identity(registration, "张三", resident, idempotency_key="id")
    other = ResidentId.parse("11010519491231002X")
    assert bank.service.provide_identity(registration, "李四", other, idempotency_key="id2")
