"""The shipped unit-of-work contract holds for the PostgreSQL adapter, and its own rules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import pytest

from icbc_wallet import bootstrap
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import ManualClock
from icbc_wallet.bootstrap import Bank, storage_codec
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    CorruptStateError,
    InvalidPolicyError,
    SchemaVersionError,
    StorageUnavailableError,
)
from icbc_wallet.ports.persistence import UnitOfWorkFactory
from icbc_wallet.testing.contracts import UnitOfWorkContract

psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")

from icbc_wallet.adapters.postgres import SCHEMA_VERSION, PostgresStore  # noqa: E402


class TestPostgresStore(UnitOfWorkContract):
    locks_rows = True  # SELECT ... FOR UPDATE: a second unit reading the row waits, then gives up

    @pytest.fixture(autouse=True)
    def _database(self, postgres_dsn: str, postgres_schema: str) -> None:
        self.dsn, self.schema = postgres_dsn, postgres_schema

    def make_unit_of_work_factory(self) -> UnitOfWorkFactory:
        self.store = PostgresStore(
            self.dsn, codec=storage_codec(), schema=self.schema, lock_timeout=0.2
        )
        return self.store.unit_of_work

    def dispose_unit_of_work_factory(self, factory: UnitOfWorkFactory) -> None:
        self.store.close()


# --- the store's own rules ------------------------------------------------------------------------

START = datetime(2026, 3, 2, 2, tzinfo=UTC)
CARD = BankCard.parse("6225768888888888")


def _bank(dsn: str, schema: str) -> Bank:
    return bootstrap.postgres(
        dsn,
        fingerprint_key=b"a fingerprint key kept by the bank",
        schema=schema,
        clock=ManualClock(START),
        hasher=ScryptHasher.fast_for_tests(),
    )


def _funded_wallet(bank: Bank, serial: int) -> str:
    service = bank.service
    phone = PhoneNumber.parse(f"1380013800{serial}")
    registration = service.start_registration(phone, idempotency_key=f"r{serial}")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key=f"v{serial}")
    resident = ResidentId.parse(["34052419800101001X", "11010519491231002X"][serial])
    service.provide_identity(registration, "张三", resident, idempotency_key=f"i{serial}")
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=f"c{serial}")
    service.add_card(registration, CARD, idempotency_key=f"a{serial}")
    wallet = service.submit_registration(registration, idempotency_key=f"s{serial}")
    service.top_up(wallet, CARD, Money.of("5000"), idempotency_key=f"t{serial}")
    return wallet


@pytest.mark.parametrize("schema", ["Bank", "1st", "a-b", "x" * 64, ""])
def test_a_schema_name_must_be_a_plain_lower_case_sql_name(postgres_dsn: str, schema: str) -> None:
    with pytest.raises(InvalidPolicyError, match="schema"):
        PostgresStore(postgres_dsn, codec=storage_codec(), schema=schema)


def test_a_schema_of_a_newer_version_is_refused(postgres_dsn: str, postgres_schema: str) -> None:
    PostgresStore(postgres_dsn, codec=storage_codec(), schema=postgres_schema).close()
    with psycopg.connect(postgres_dsn, autocommit=True) as raw:
        raw.execute(f"INSERT INTO {postgres_schema}.schema_version VALUES ({SCHEMA_VERSION + 1})")
    with pytest.raises(SchemaVersionError, match="upgrade"):
        PostgresStore(postgres_dsn, codec=storage_codec(), schema=postgres_schema)


def test_wallets_opened_before_version_2_get_their_credentials_from_their_registration(
    postgres_dsn: str, postgres_schema: str
) -> None:
    bank = _bank(postgres_dsn, postgres_schema)
    wallet = _funded_wallet(bank, 0)
    bank.close()
    with psycopg.connect(postgres_dsn, autocommit=True) as raw:  # as version 1 left it
        raw.execute(f"DROP TABLE {postgres_schema}.credentials")
        raw.execute(f"DELETE FROM {postgres_schema}.schema_version WHERE version = 2")

    reopened = _bank(postgres_dsn, postgres_schema)
    try:
        right = reopened.service.verify_payment_password(wallet, "135790")
        wrong = reopened.service.verify_payment_password(wallet, "246802")
    finally:
        reopened.close()

    assert right.verified
    assert wrong.attempts_left == 2


def test_opposite_transfers_at_once_neither_deadlock_nor_lose_money(
    postgres_dsn: str, postgres_schema: str
) -> None:
    bank = _bank(postgres_dsn, postgres_schema)
    first, second = _funded_wallet(bank, 0), _funded_wallet(bank, 1)
    errors: list[BaseException] = []

    def send(source: str, target: str, tag: str) -> None:
        try:
            for n in range(15):
                bank.service.transfer(source, target, Money.of("1"), idempotency_key=f"{tag}{n}")
        except BaseException as error:  # collected: the test asserts there are none
            errors.append(error)

    threads = [
        threading.Thread(target=send, args=(first, second, "ab")),
        threading.Thread(target=send, args=(second, first, "ba")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert bank.service.balance(first).posted == Money.of("5000")
    assert bank.service.balance(second).posted == Money.of("5000")
    bank.store.verify()
    bank.close()


def test_the_audit_names_a_balance_changed_behind_the_books(
    postgres_dsn: str, postgres_schema: str
) -> None:
    bank = _bank(postgres_dsn, postgres_schema)
    wallet = _funded_wallet(bank, 0)
    bank.store.verify()
    with psycopg.connect(postgres_dsn, autocommit=True) as raw:
        raw.execute(f"UPDATE {postgres_schema}.accounts SET posted = posted + 1")
    with pytest.raises(CorruptStateError, match="postings sum to"):
        bank.store.verify()
    with pytest.raises(CorruptStateError, match="ledger account"):
        bank.service.wallet(wallet)
    bank.close()


def test_a_reader_sees_one_snapshot_while_others_commit(
    postgres_dsn: str, postgres_schema: str
) -> None:
    bank = _bank(postgres_dsn, postgres_schema)
    wallet = _funded_wallet(bank, 0)
    store = bank.store
    assert isinstance(store, PostgresStore)
    with store.reader() as reader:
        before = reader.wallets.balance(WalletId(wallet))
        bank.service.top_up(wallet, CARD, Money.of("1"), idempotency_key="during")  # commits
        assert reader.wallets.balance(WalletId(wallet)) == before  # REPEATABLE READ
        assert reader.wallets.get(WalletId(wallet)).balance == before  # and it still checks out
    assert bank.service.balance(wallet).posted == before.posted + Money.of("1")
    bank.close()


def test_two_commands_with_one_key_at_once_apply_once_and_answer_alike(
    postgres_dsn: str, postgres_schema: str
) -> None:
    bank = _bank(postgres_dsn, postgres_schema)
    wallet = _funded_wallet(bank, 0)
    shop = bank.service.register_merchant(
        "Mugs", MerchantCreditCode.parse("91110000600037341L"), "food", idempotency_key="m"
    )
    for round_ in range(5):
        held = bank.service.authorise(
            wallet, shop, Money.of("10"), method="online", idempotency_key=f"h{round_}"
        )
        capture = partial(
            bank.service.capture, held.reference, Money.of("10"), idempotency_key=f"cap{round_}"
        )
        answers = _twice_at_once(capture)
        assert not isinstance(answers[0], BaseException), answers
        assert answers[0] == answers[1]
    assert bank.service.balance(wallet).posted == Money.of("5000") - Money.of("50")
    bank.store.verify()
    bank.close()


def _twice_at_once(command: Callable[[], object]) -> list[object]:
    """What ``command`` returned (or raised) in each of two threads started together."""
    start, answers = threading.Barrier(2), []

    def run() -> None:
        start.wait()
        try:
            answers.append(command())
        except BaseException as error:  # collected: the caller asserts there are none
            answers.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_the_dsn_options_are_kept_and_a_dropped_connection_is_replaced(
    postgres_dsn: str, postgres_schema: str
) -> None:
    dsn = f"{postgres_dsn}?options=-c%20statement_timeout%3D4321"
    store = PostgresStore(dsn, codec=storage_codec(), schema=postgres_schema, max_connections=1)
    raw = store.connection()
    assert raw.execute("SHOW statement_timeout").fetchone() == ("4321ms",)
    pid = raw.info.backend_pid
    raw.rollback()
    store.release(raw)
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with store.unit_of_work() as uow:  # the pool checks the connection and opens a new one
        assert uow.ledger.balances() == {}
    store.close()


def test_an_unreachable_server_is_a_storage_error() -> None:
    with pytest.raises(StorageUnavailableError, match="cannot connect"):
        PostgresStore(
            "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1",
            codec=storage_codec(),
            connect_timeout=2,
        )
