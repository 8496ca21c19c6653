"""The shipped contracts hold for the in-memory adapters, and catch adapters that break them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from icbc_wallet.adapters.memory import InMemoryStore, _Aggregates, _Idempotency, _Ledger
from icbc_wallet.adapters.notifiers import InMemoryNotifier, LoggingNotifier
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds, SystemClock, UuidIds
from icbc_wallet.domain.ledger import AccountBalance, JournalEntry
from icbc_wallet.ports.notifications import Notification, Notifier
from icbc_wallet.ports.persistence import UnitOfWorkFactory
from icbc_wallet.ports.runtime import Clock, IdGenerator
from icbc_wallet.testing.contracts import (
    ClockContract,
    IdGeneratorContract,
    NotifierContract,
    UnitOfWorkContract,
)
from icbc_wallet.wallet.aggregate import Wallet
from icbc_wallet.wallet.merchant import Merchant

START = datetime(2026, 3, 1, tzinfo=UTC)


class TestInMemoryStore(UnitOfWorkContract):
    def make_unit_of_work_factory(self) -> UnitOfWorkFactory:
        return InMemoryStore().unit_of_work


class TestInMemoryNotifier(NotifierContract):
    def make_notifier(self) -> Notifier:
        return InMemoryNotifier()

    def delivered(self, notifier: Notifier) -> Sequence[Notification]:
        assert isinstance(notifier, InMemoryNotifier)
        return notifier.sent


class TestLoggingNotifier(NotifierContract):
    def make_notifier(self) -> Notifier:
        return LoggingNotifier()


class TestManualClock(ClockContract):
    def make_clock(self) -> Clock:
        return ManualClock(START)


class TestSystemClock(ClockContract):
    def make_clock(self) -> Clock:
        return SystemClock()


class TestSequentialIds(IdGeneratorContract):
    def make_ids(self) -> IdGenerator:
        return SequentialIds()


class TestUuidIds(IdGeneratorContract):
    def make_ids(self) -> IdGenerator:
        return UuidIds()


# --- the contracts fail for adapters that break the ports ------------------------------------------


class _Memory(UnitOfWorkContract):
    def make_unit_of_work_factory(self) -> UnitOfWorkFactory:
        return InMemoryStore().unit_of_work


def test_a_store_that_hands_out_its_own_objects_fails_the_copy_tests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Wallet, "clone", lambda self: self)
    monkeypatch.setattr(Merchant, "clone", lambda self: self)
    contract = _Memory()
    with pytest.raises(AssertionError):
        contract.test_changing_loaded_aggregates_without_saving_changes_nothing(
            contract.make_unit_of_work_factory()
        )
    with pytest.raises(AssertionError):
        contract.test_changing_an_added_aggregate_after_commit_changes_nothing(
            contract.make_unit_of_work_factory()
        )


def test_a_store_that_never_checks_versions_fails_the_concurrency_tests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_Aggregates, "check", lambda self: None)
    contract = _Memory()
    for test in (
        contract.test_a_failed_commit_changes_nothing,
        contract.test_adding_an_existing_id_raises_concurrency_error_at_commit,
        contract.test_a_save_after_another_unit_saved_the_wallet_raises_concurrency_error,
        contract.test_a_save_after_another_unit_saved_the_payment_raises_concurrency_error,
        contract.test_of_two_units_adding_one_id_only_the_first_commits,
    ):
        with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
            test(contract.make_unit_of_work_factory())


def test_a_store_that_overwrites_live_idempotency_keys_fails_the_idempotency_tests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_Idempotency, "check", lambda self: None)
    contract = _Memory()
    for test in (
        contract.test_an_idempotency_key_is_recorded_once_while_it_lives,
        contract.test_of_two_units_recording_one_key_only_the_first_commits,
    ):
        with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
            test(contract.make_unit_of_work_factory())


def test_a_ledger_that_books_overdrafts_fails_the_ledger_tests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def post_without_checks(self: _Ledger, entry: JournalEntry) -> None:
        for posting in entry.postings:
            before = self.balance(posting.account)
            self._changed[posting.account] = AccountBalance(
                before.posted + posting.amount, before.pending
            )
        self._entries.append(entry)

    monkeypatch.setattr(_Ledger, "post", post_without_checks)
    contract = _Memory()
    for test in (
        contract.test_a_post_sees_the_entries_staged_before_it,
        contract.test_an_overdraft_is_refused_and_nothing_of_it_is_staged,
        contract.test_a_refused_post_rolled_back_changes_nothing,
    ):
        with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
            test(contract.make_unit_of_work_factory())


def test_a_serialising_store_skips_only_the_tests_that_interleave_units_in_one_thread() -> None:
    class Serialised(_Memory):
        supports_concurrent_units = False

    contract = Serialised()
    with pytest.raises(pytest.skip.Exception, match="serialises"):
        contract.test_a_save_after_another_unit_saved_the_wallet_raises_concurrency_error(
            contract.make_unit_of_work_factory()
        )
    contract.test_concurrent_units_of_work_never_lose_an_update(
        contract.make_unit_of_work_factory()
    )


def test_the_factory_method_must_be_implemented() -> None:
    for make in (
        UnitOfWorkContract().make_unit_of_work_factory,
        NotifierContract().make_notifier,
        ClockContract().make_clock,
        IdGeneratorContract().make_ids,
    ):
        with pytest.raises(NotImplementedError):
            make()


class _Repeating:
    """A notifier that delivers every redelivery again."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def notify(self, notification: Notification) -> None:
        self.sent.append(notification)


def test_a_notifier_that_repeats_redeliveries_fails_the_notifier_tests() -> None:
    class Repeating(NotifierContract):
        def make_notifier(self) -> Notifier:
            return _Repeating()

        def delivered(self, notifier: Notifier) -> Sequence[Notification]:
            assert isinstance(notifier, _Repeating)
            return notifier.sent

    contract = Repeating()
    with pytest.raises(AssertionError):
        contract.test_delivering_the_same_notification_twice_is_harmless(contract.make_notifier())


class _Backwards:
    """A clock that runs backwards, naively."""

    def __init__(self, aware: bool) -> None:
        self._now = START if aware else START.replace(tzinfo=None)

    def now(self) -> datetime:
        self._now -= timedelta(seconds=1)
        return self._now


def test_a_clock_that_runs_backwards_or_naively_fails_the_clock_tests() -> None:
    contract = ClockContract()
    with pytest.raises(AssertionError):
        contract.test_now_never_goes_backwards(_Backwards(aware=True))
    with pytest.raises(AssertionError):
        contract.test_now_is_timezone_aware(_Backwards(aware=False))


class _Repeated:
    """An id generator that forgets it already gave out an id."""

    def new(self, prefix: str) -> str:
        return f"{prefix}-1"


def test_an_id_generator_that_repeats_ids_fails_the_id_tests() -> None:
    with pytest.raises(AssertionError):
        IdGeneratorContract().test_ids_are_unique_valid_and_start_with_their_prefix(_Repeated())
