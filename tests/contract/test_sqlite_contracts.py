"""The shipped unit-of-work contract holds for the SQLite adapter, and a database survives reopening."""

from __future__ import annotations

import gc
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from icbc_wallet.adapters import sqlite_schema
from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds
from icbc_wallet.adapters.sqlite import SqliteStore
from icbc_wallet.adapters.sqlite_schema import SCHEMA_VERSION
from icbc_wallet.adapters.verification import (
    InMemoryCardVerifier,
    InMemoryIdentityVerifier,
    InMemoryPhoneVerifier,
)
from icbc_wallet.bootstrap import sqlite, storage_codec
from icbc_wallet.domain.events import Event
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.ledger import trial_balance
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    ConcurrencyError,
    CorruptStateError,
    SchemaVersionError,
    WalletError,
)
from icbc_wallet.ports.persistence import IdempotencyRecord, UnitOfWorkFactory
from icbc_wallet.service import WalletService
from icbc_wallet.testing.contracts import UnitOfWorkContract, _wallet


class TestSqliteStore(UnitOfWorkContract):
    supports_concurrent_units = False  # BEGIN IMMEDIATE: a second unit waits for the first

    @pytest.fixture(autouse=True)
    def _path(self, tmp_path: Path) -> None:
        self.path = tmp_path / "wallet.db"

    def make_unit_of_work_factory(self) -> UnitOfWorkFactory:
        self.store = SqliteStore(self.path, codec=storage_codec())
        return self.store.unit_of_work

    def dispose_unit_of_work_factory(self, factory: UnitOfWorkFactory) -> None:
        self.store.close()


# --- the service on SQLite, and the store's own rules ------------------------------------------

START = datetime(2026, 3, 2, 2, tzinfo=UTC)
CARD = BankCard.parse("6225768888888888")
SECRET = b"a fingerprint key kept by the bank"


def _service(
    store: SqliteStore, clock: ManualClock, phones: InMemoryPhoneVerifier
) -> WalletService:
    """A service wired as ``bootstrap.in_memory`` wires it, over the SQLite store."""
    return WalletService(
        store.unit_of_work,
        clock=clock,
        ids=SequentialIds(),
        hasher=ScryptHasher.fast_for_tests(),
        phone_verifier=phones,
        identity_verifier=InMemoryIdentityVerifier(()),
        card_verifier=InMemoryCardVerifier(()),
        fingerprint_key=SECRET,  # kept across restarts, or replays would look like conflicts
        read_unit_of_work=store.reader,
    )


def test_the_service_runs_on_sqlite_and_its_state_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    store, clock, phones = (
        SqliteStore(path, codec=storage_codec()),
        ManualClock(START),
        InMemoryPhoneVerifier(),
    )
    service = _service(store, clock, phones)
    wallet, shop = _customer_and_shop(service, phones, Money.of("1000"))
    paid = service.pay(wallet, shop, Money.of("35.50"), method="static_qr", idempotency_key="k9")
    assert paid.approved
    refund = service.request_refund(paid.reference, Money.of("10"), "cold", idempotency_key="k10")
    service.accept_refund(refund.reference, idempotency_key="k11")
    events = _events(store, wallet)
    store.close()

    reopened = SqliteStore(path, codec=storage_codec())
    again = _service(reopened, clock, phones)
    assert again.balance(wallet).posted == Money.of("974.50")
    assert again.merchant(shop).balance.posted == Money.of("25.50")
    assert _events(reopened, wallet) == events
    assert [type(e).__name__ for e in events][:1] == ["WalletOpened"]
    replayed = again.pay(wallet, shop, Money.of("35.50"), method="static_qr", idempotency_key="k9")
    assert replayed == paid
    assert again.balance(wallet).posted == Money.of("974.50")
    with reopened.unit_of_work() as uow:
        assert trial_balance(uow.ledger.balances().values()).is_zero()
    reopened.close()


def _events(store: SqliteStore, aggregate: str) -> list[Event]:
    with store.unit_of_work() as uow:
        return uow.events.for_aggregate(aggregate)


def test_a_database_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    SqliteStore(path, codec=storage_codec()).close()
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
    raw.close()
    with pytest.raises(SchemaVersionError, match="upgrade"):
        SqliteStore(path, codec=storage_codec())


def test_the_store_is_durable_by_default_and_says_so_in_its_pragmas(tmp_path: Path) -> None:
    durable = SqliteStore(tmp_path / "a.db", codec=storage_codec())
    fast = SqliteStore(tmp_path / "b.db", codec=storage_codec(), durable=False)
    assert durable.connection().execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert durable.connection().execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert fast.connection().execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    durable.close()
    fast.close()


def test_two_units_of_work_cannot_interleave_in_one_thread(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "wallet.db", codec=storage_codec())
    with store.unit_of_work() as first:
        first.ledger.balances()
        with store.unit_of_work() as second, pytest.raises(WalletError, match="interleave"):
            second.ledger.balances()
    store.close()


def test_a_unit_of_work_waiting_too_long_for_the_lock_raises_concurrency_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wallet.db"
    holder = SqliteStore(path, codec=storage_codec())
    waiter = SqliteStore(path, codec=storage_codec(), busy_timeout=0.05)
    with holder.unit_of_work() as first:
        first.ledger.balances()
        with waiter.unit_of_work() as second, pytest.raises(ConcurrencyError, match="locked"):
            second.ledger.balances()
    holder.close()
    waiter.close()


def test_a_unit_of_work_is_used_in_a_with_block(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "wallet.db", codec=storage_codec())
    with pytest.raises(WalletError, match="with block"):
        store.unit_of_work().ledger.balances()
    store.close()


def test_a_wallet_rewritten_behind_the_units_back_is_not_overwritten(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "wallet.db", codec=storage_codec())
    with store.unit_of_work() as uow:
        uow.wallets.add(_wallet(1))
        uow.commit()
    with store.unit_of_work() as uow:
        wallet = uow.wallets.get(WalletId("W-1"))
        # a writer that ignores the lock (say, a hand-run script) bumps the version meanwhile
        store.connection().execute("UPDATE wallets SET version = version + 1")
        wallet.freeze("checked", datetime(2026, 1, 2, tzinfo=UTC))
        uow.wallets.save(wallet)
        with pytest.raises(ConcurrencyError, match="changed by another command"):
            uow.commit()
    store.close()


def test_what_a_unit_stages_it_reads_back_before_commit(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "wallet.db", codec=storage_codec())
    at = datetime(2026, 1, 1, tzinfo=UTC)
    record = IdempotencyRecord("K-1", "fingerprint", "P-1", at, at + timedelta(days=1))
    with store.unit_of_work() as uow:
        uow.owners.put("hash-of-phone", WalletId("W-1"))
        uow.idempotency.put(record)
        assert uow.owners.get("hash-of-phone") == "W-1"
        assert uow.idempotency.get("K-1") == record
        with pytest.raises(ConcurrencyError, match="read in this unit"):
            uow.wallets.save(_wallet(2))
        with pytest.raises(WalletError, match="JournalEntry"):
            uow.ledger.post("E-1")  # type: ignore[arg-type]  # the mistake under test
    store.close()


# --- grouped commits, corrupt rows, the audit ---------------------------------------------------


def _customer_and_shop(
    service: WalletService, phones: InMemoryPhoneVerifier, top_up: Money
) -> tuple[str, str]:
    """A class-2 wallet with ``top_up`` in it, and a merchant."""
    phone = PhoneNumber.parse("13800138000")
    registration = service.start_registration(phone, idempotency_key="k1")
    code = phones.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key="k2")
    resident = ResidentId.parse("34052419800101001X")
    service.provide_identity(registration, "张三", resident, idempotency_key="k3")
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="k4")
    service.add_card(registration, CARD, idempotency_key="k5")
    wallet = service.submit_registration(registration, idempotency_key="k6")
    shop = service.register_merchant(
        "Mugs", MerchantCreditCode.parse("91110000600037341L"), "food", idempotency_key="k7"
    )
    service.top_up(wallet, CARD, top_up, idempotency_key="k8")
    return wallet, shop


def _funded_bank(path: Path) -> tuple[WalletService, SqliteStore, str, str]:
    store, phones = SqliteStore(path, codec=storage_codec()), InMemoryPhoneVerifier()
    service = _service(store, ManualClock(START), phones)
    return service, store, *_customer_and_shop(service, phones, Money.of("100"))


def test_a_group_commits_its_units_together_and_an_exception_loses_them_all(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "wallet.db", codec=storage_codec())
    with store.grouped():
        assert store.in_group()
        for n in range(3):
            with store.unit_of_work() as uow:
                uow.owners.put(f"O-{n}", WalletId(f"W-{n}"))
                uow.commit()
        with store.unit_of_work() as uow:  # a unit left without commit() rolls back alone
            uow.owners.put("O-rolled-back", WalletId("W-9"))
    assert not store.in_group()
    with pytest.raises(RuntimeError, match="boom"):
        _fail_in_a_group(store)
    with store.unit_of_work() as uow:
        assert [uow.owners.find(f"O-{n}") for n in range(3)] == ["W-0", "W-1", "W-2"]
        assert uow.owners.find("O-rolled-back") is None
        assert uow.owners.find("O-lost") is None
    store.close()


def _fail_in_a_group(store: SqliteStore) -> None:
    with store.grouped():
        with store.unit_of_work() as uow:
            uow.owners.put("O-lost", WalletId("W-8"))
            uow.commit()
        raise RuntimeError("boom")


def test_a_group_cannot_open_inside_a_unit_of_work(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "wallet.db", codec=storage_codec())
    with store.unit_of_work() as uow:
        uow.ledger.balances()
        with pytest.raises(ConcurrencyError, match="already open"), store.grouped():
            pass
    store.close()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("UPDATE wallets SET data = '{not json'", "cannot be read"),
        ("UPDATE wallets SET version = version + 7", "another id or version"),
        ("UPDATE accounts SET posted = posted + 1 WHERE account LIKE 'wallet:%'", "ledger account"),
        ("UPDATE accounts SET posted = -5 WHERE account LIKE 'wallet:%'", "negative"),
    ],
)
def test_a_tampered_row_is_refused_on_read_and_the_audit_names_it(
    tmp_path: Path, tamper: str, message: str
) -> None:
    service, store, wallet, _ = _funded_bank(tmp_path / "wallet.db")
    store.verify()
    store.connection().execute(tamper)
    with pytest.raises(CorruptStateError, match=message):
        _read_everything(service, store, wallet)
    if "accounts" in tamper:
        with pytest.raises(CorruptStateError, match="postings sum to"):
            store.verify()
    store.close()


def _read_everything(service: WalletService, store: SqliteStore, wallet: str) -> None:
    with store.unit_of_work() as uow:
        uow.ledger.balances()
    service.wallet(wallet)


def test_the_audit_finds_an_entry_that_does_not_balance(tmp_path: Path) -> None:
    _, store, _, _ = _funded_bank(tmp_path / "wallet.db")
    store.connection().execute("UPDATE postings SET amount = amount * 2 WHERE amount > 0")
    with pytest.raises(CorruptStateError, match="does not balance"):
        store.verify()
    store.close()


def test_a_reader_reads_a_snapshot_beside_a_writer_and_cannot_commit(tmp_path: Path) -> None:
    service, store, wallet, _ = _funded_bank(tmp_path / "wallet.db")
    seen: list[Money] = []
    with store.unit_of_work() as writer:
        writer.ledger.balances()  # the writer holds the write lock; another thread reads
        reading = threading.Thread(target=lambda: seen.append(service.balance(wallet).posted))
        reading.start()
        reading.join(timeout=2)  # a unit of work for writing would wait the busy timeout (5 s)
        assert seen == [Money.of("100")]
    with store.reader() as reader, pytest.raises(WalletError, match="read-only"):
        reader.commit()
    store.close()


def test_an_impossible_stored_balance_is_refused_and_the_audit_names_a_mismatch(
    tmp_path: Path,
) -> None:
    service, store, wallet, _ = _funded_bank(tmp_path / "wallet.db")
    store.connection().execute("UPDATE wallets SET pending = posted + 1")
    with pytest.raises(CorruptStateError, match="impossible"):
        service.balance(wallet)
    store.connection().execute("UPDATE wallets SET pending = 0, posted = posted + 1")
    with pytest.raises(CorruptStateError, match="its account"):
        store.verify()
    store.close()


def test_a_database_of_an_older_schema_is_migrated_in_order_and_keeps_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wallet.db"
    store = SqliteStore(path, codec=storage_codec())
    with store.unit_of_work() as uow:
        uow.owners.put("O-1", WalletId("W-1"))
        uow.commit()
    store.close()
    later = "ALTER TABLE owners ADD COLUMN note TEXT; CREATE INDEX owners_note ON owners (note)"
    monkeypatch.setattr(sqlite_schema, "_MIGRATIONS", (*sqlite_schema._MIGRATIONS, later))
    monkeypatch.setattr(sqlite_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    reopened = SqliteStore(path, codec=storage_codec())
    raw = reopened.connection()
    assert raw.execute("SELECT max(version) FROM schema_version").fetchone() == (
        SCHEMA_VERSION + 1,
    )
    assert "note" in [row[1] for row in raw.execute("PRAGMA table_info(owners)")]
    with reopened.unit_of_work() as uow:
        assert uow.owners.get("O-1") == "W-1"
    reopened.close()


def test_a_version_1_database_gains_the_credentials_table_and_keeps_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wallet.db"
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_schema, "_MIGRATIONS", sqlite_schema._MIGRATIONS[:1])
        patch.setattr(sqlite_schema, "SCHEMA_VERSION", 1)
        old = SqliteStore(path, codec=storage_codec())
        with old.unit_of_work() as uow:
            uow.owners.put("O-1", WalletId("W-1"))
            uow.commit()
        tables = {row[0] for row in old.connection().execute("SELECT name FROM sqlite_master")}
        old.close()
    assert "credentials" not in tables

    store = SqliteStore(path, codec=storage_codec())

    raw = store.connection()
    assert raw.execute("SELECT max(version) FROM schema_version").fetchone() == (2,)
    with store.unit_of_work() as uow:
        assert uow.owners.get("O-1") == "W-1"
        assert uow.credentials.find(WalletId("W-1")) is None
    store.close()


def test_wallets_opened_before_version_2_get_their_credentials_from_their_registration(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wallet.db"
    bank = sqlite(
        path, fingerprint_key=b"k" * 32, ids=SequentialIds(), hasher=Argon2Hasher.fast_for_tests()
    )
    phone = PhoneNumber.parse("13800138000")
    registration = bank.service.start_registration(phone, idempotency_key="r1")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    bank.service.verify_phone(registration, phone, code, idempotency_key="r2")
    bank.service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="r3")
    wallet = bank.service.submit_registration(registration, idempotency_key="r4")
    bank.service.start_registration(PhoneNumber.parse("13900139000"), idempotency_key="r5")
    bank.close()
    raw = sqlite3.connect(path)  # as a version-1 database left it: no credentials table
    with raw:
        raw.execute("DROP TABLE credentials")
        raw.execute("DELETE FROM schema_version WHERE version = 2")
    raw.close()

    reopened = sqlite(path, fingerprint_key=b"k" * 32, hasher=Argon2Hasher.fast_for_tests())
    try:
        right = reopened.service.verify_payment_password(wallet, "135790")
        wrong = reopened.service.verify_payment_password(wallet, "246802")
        answer = reopened.service.verify_security_answer(wallet, "rex")
        rows = reopened.store.connection().execute("SELECT count(*) FROM credentials").fetchone()
    finally:
        reopened.close()

    assert right.verified
    assert answer.verified
    assert wrong.attempts_left == 2
    assert rows == (1,)  # the unsubmitted registration opened no wallet


def test_a_threads_connection_closes_when_the_thread_ends(tmp_path: Path) -> None:
    service, store, wallet, _ = _funded_bank(tmp_path / "wallet.db")
    threads = [threading.Thread(target=service.balance, args=(wallet,)) for _ in range(40)]
    for thread in threads:
        thread.start()
        thread.join()
    del threads, thread
    gc.collect()
    assert len(store._open) <= 2  # this thread's, and at most one thread not yet collected
    store.close()


def test_a_second_unit_inside_a_group_is_refused_and_loses_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "wallet.db", codec=storage_codec())
    with store.grouped():
        with store.unit_of_work() as outer:
            outer.owners.put("O-A", WalletId("W-A"))
            outer.owners.find("O-Z")  # a read: the unit's savepoint is open now
            with store.unit_of_work() as inner, pytest.raises(WalletError, match="interleave"):
                inner.owners.find("O-B")
            outer.commit()
        with store.unit_of_work() as after:  # the group goes on
            after.owners.put("O-C", WalletId("W-C"))
            after.commit()
    with store.unit_of_work() as uow:
        assert (uow.owners.find("O-A"), uow.owners.find("O-C")) == ("W-A", "W-C")
    store.close()


def test_a_sweep_stops_at_corrupt_data_instead_of_skipping_it(tmp_path: Path) -> None:
    service, store, wallet, shop = _funded_bank(tmp_path / "wallet.db")
    service.authorise(wallet, shop, Money.of("10"), method="online", idempotency_key="h1")
    store.connection().execute(
        "UPDATE accounts SET posted = posted + 1 WHERE account LIKE 'wallet:%'"
    )
    later = datetime(2026, 5, 1, tzinfo=UTC)  # past every hold's expiry
    assert isinstance(service._clock, ManualClock)
    service._clock.set(later)
    with pytest.raises(CorruptStateError):
        service.expire_holds()
    store.close()
