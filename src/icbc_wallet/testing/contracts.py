"""Contract tests: what every adapter of a port must do, as test classes an adapter author subclasses.

A contract is a plain pytest class with one abstract factory method; subclass it in a module
pytest collects, name the subclass ``Test...`` and return your adapter from the factory. Every
``test_*`` method then runs against it. The same classes run against the in-memory, SQLite and
PostgreSQL adapters, so an adapter that passes behaves as the service expects.

```python
from icbc_wallet.adapters.memory import InMemoryStore
from icbc_wallet.testing.contracts import UnitOfWorkContract


class TestInMemoryStore(UnitOfWorkContract):
    def make_unit_of_work_factory(self):
        return InMemoryStore().unit_of_work  # a new, empty store for every test
```

The factory method is the only adapter-specific part. An adapter that needs a pytest fixture
(a temporary directory, a database server) takes it in an autouse fixture of its own, which runs
first, and releases what it opened in :meth:`UnitOfWorkContract.dispose_unit_of_work_factory`.
One whose units of work lock each other out across connections sets
:attr:`UnitOfWorkContract.supports_concurrent_units` to False:

```python
class TestMyStore(UnitOfWorkContract):
    supports_concurrent_units = False  # a second unit of work waits for the first

    @pytest.fixture(autouse=True)
    def _path(self, tmp_path):
        self.path = tmp_path / "wallet.db"

    def make_unit_of_work_factory(self):
        self.store = MyStore(self.path)
        return self.store.unit_of_work

    def dispose_unit_of_work_factory(self, factory):
        self.store.close()
```

:class:`UnitOfWorkContract` checks the persistence ports (:mod:`icbc_wallet.ports.persistence`);
:class:`NotifierContract`, :class:`ClockContract` and :class:`IdGeneratorContract` check the
others. Test data are built with the real aggregates (wallets, merchants, payments, refund
requests, disputes, registrations), so a durable adapter also proves that it stores every field
of them. For pytest to explain a failed assertion in detail, call
``pytest.register_assert_rewrite("icbc_wallet.testing.contracts")`` in your ``conftest.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import APPROVED, Declined, DeclineReason
from icbc_wallet.domain.disputes import Dispute, DisputeEvidence
from icbc_wallet.domain.events import Event, WalletOpened
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import (
    DisputeId,
    MerchantId,
    PaymentId,
    RefundId,
    RegistrationId,
    WalletId,
    parse_id,
)
from icbc_wallet.domain.ledger import (
    AccountBalance,
    AccountId,
    AccountKind,
    JournalEntry,
    trial_balance,
)
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel
from icbc_wallet.domain.refund_requests import RefundRequest
from icbc_wallet.domain.registration import Registration, RegistrationStep
from icbc_wallet.errors import ConcurrencyError, InsufficientFundsError, NotFoundError
from icbc_wallet.ports.notifications import Notification, NotificationKind, Notifier
from icbc_wallet.ports.persistence import IdempotencyRecord, UnitOfWork, UnitOfWorkFactory
from icbc_wallet.ports.runtime import Clock, IdGenerator
from icbc_wallet.presets.limits import ECNY_2021_WITH_QR_CODES
from icbc_wallet.service.results import OperationResult
from icbc_wallet.wallet.aggregate import Movement, Owner, Wallet, WalletStatus
from icbc_wallet.wallet.merchant import Merchant
from icbc_wallet.wallet.payment import Payment

__all__ = ["ClockContract", "IdGeneratorContract", "NotifierContract", "UnitOfWorkContract"]

_T0: Final = datetime(2026, 3, 2, 1, tzinfo=UTC)  # 09:00 on a Monday in Shanghai
_HOUR: Final = timedelta(hours=1)
_SOON: Final = _T0 + timedelta(minutes=30)  # before the test payments' holds expire
_SCHEDULE: Final = ECNY_2021_WITH_QR_CODES
_SETTLEMENT: Final = AccountId(AccountKind.BANK_SETTLEMENT)
_CREDIT_CODE: Final = MerchantCreditCode.parse("91110000600037341L")
_RESIDENT: Final = ResidentId.parse("34052419800101001X")
_EVIDENCE: Final = DisputeEvidence(order_number="SO-1", description="Never arrived.")


# --- test data, built with the real aggregates ----------------------------------------------------


def _card(number: int) -> BankCard:
    """A valid UnionPay card number, one per ``number``."""
    body = f"622576{number:09d}"
    total = 0
    for index, char in enumerate(reversed(body)):
        doubled = int(char) * (2 if index % 2 == 0 else 1)
        total += doubled // 10 + doubled % 10
    return BankCard.parse(body + str(-total % 10))


def _wallet(number: int, at: datetime = _T0) -> Wallet:
    """A new class-2 wallet ``W-<number>`` with one bound card (both events recorded)."""
    owner = Owner(PhoneNumber.parse(f"1380013{number:04d}"), "张三", _RESIDENT)
    wallet = Wallet.open(
        WalletId(f"W-{number}"), owner, "WL02", _SCHEDULE.tier("WL02"), schedule=_SCHEDULE, at=at
    )
    wallet.bind_card(_card(number), at)
    return wallet


def _merchant(number: int, at: datetime = _T0) -> Merchant:
    return Merchant.register(
        MerchantId(f"M-{number}"), "Coffee", _CREDIT_CODE, Category.FOOD, currency="CNY", at=at
    )


def _entry(moved: Movement) -> JournalEntry:
    assert moved.entry is not None, f"the test data's movement was declined: {moved.decision}"
    return moved.entry


def _top_up(wallet: Wallet, amount: str, entry_id: str, at: datetime = _T0) -> JournalEntry:
    return _entry(wallet.top_up(wallet.cards[0], Money.of(amount), entry_id, at))


def _authorise(
    wallet: Wallet, payment_id: str, amount: str, at: datetime = _T0, ttl: timedelta = _HOUR
) -> Payment:
    outcome = wallet.authorise(
        PaymentId(payment_id),
        MerchantId("M-1"),
        Money.of(amount),
        at,
        at + ttl,
        method=PaymentMethod.ONLINE,
        channel=Channel.MOBILE,
        category=Category.FOOD,
    )
    assert isinstance(outcome, Payment), f"the test data's payment was declined: {outcome}"
    return outcome


def _stage(uow: UnitOfWork, *aggregates: Wallet | Merchant, new: bool = False) -> None:
    for aggregate in aggregates:
        if isinstance(aggregate, Wallet):
            (uow.wallets.add if new else uow.wallets.save)(aggregate)
        else:
            (uow.merchants.add if new else uow.merchants.save)(aggregate)
        uow.events.append(aggregate.pull_events())


def _seed(units: UnitOfWorkFactory) -> None:
    """Commit wallet W-1 (1,000 topped up, a 100 hold as payment P-1) and merchant M-1."""
    wallet, merchant = _wallet(1), _merchant(1)
    with units() as uow:
        entry = _top_up(wallet, "1000", "E-1")
        uow.payments.add(_authorise(wallet, "P-1", "100"))
        _stage(uow, wallet, merchant, new=True)
        uow.ledger.post(entry)
        uow.commit()


def _capture(uow: UnitOfWork, payment_id: str, amount: str, *, final: bool, at: datetime) -> None:
    payment = uow.payments.get(PaymentId(payment_id))
    wallet = uow.wallets.get(payment.wallet_id)
    merchant = uow.merchants.get(payment.merchant_id)
    entry = wallet.capture(
        payment,
        Money.of(amount),
        merchant.account,
        f"E-{payment_id}-{amount}",
        at,
        final=final,
        fee=Money.of("0.10"),
    )
    uow.ledger.post(entry)
    merchant.receive(payment_id, entry, at)
    _stage(uow, wallet, merchant)
    uow.payments.save(payment)


def _refund(number: int, payment: str = "P-1", at: datetime = _T0) -> RefundRequest:
    return RefundRequest.new(
        refund_id=RefundId(f"R-{number}"),
        payment_id=PaymentId(payment),
        wallet_id=WalletId("W-1"),
        merchant_id=MerchantId("M-1"),
        requested=Money.of("10"),
        reason="wrong size",
        at=at,
        answer_within=timedelta(days=3),
    )


def _dispute(number: int, refund: RefundRequest, at: datetime) -> Dispute:
    refused = refund.refuse("worn", at=refund.requested_at)
    return Dispute.new(
        dispute_id=DisputeId(f"D-{number}"), request=refused, evidence=_EVIDENCE, at=at
    )


def _record(
    key: str, result: object, at: datetime = _T0, kept: timedelta = 24 * _HOUR
) -> IdempotencyRecord:
    return IdempotencyRecord(key, f"fingerprint-of-{key}", result, at, at + kept)


def _state(value: object) -> object:
    """A comparable picture of a value: attrs classes field by field (``eq=False`` ones too)."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))  # type: ignore[arg-type]  # has() checked it
        return (
            type(value).__name__,
            tuple((f.name, _state(getattr(value, f.name))) for f in fields if f.init),
        )
    if isinstance(value, ZoneInfo):
        return value.key
    if isinstance(value, Mapping):
        return tuple(sorted(((_state(k), _state(v)) for k, v in value.items()), key=repr))
    if isinstance(value, frozenset | set):
        return tuple(sorted((_state(item) for item in value), key=repr))
    if isinstance(value, tuple | list):
        return tuple(_state(item) for item in value)
    return value


_IDS: Final = range(1, 4)


def _snapshot(units: UnitOfWorkFactory) -> object:
    """Everything the contract's tests may have stored, for "nothing changed" checks."""
    with units() as uow:
        return _state(
            [
                [uow.wallets.find(WalletId(f"W-{n}")) for n in _IDS],
                [uow.merchants.find(MerchantId(f"M-{n}")) for n in _IDS],
                [uow.payments.find(PaymentId(f"P-{n}")) for n in _IDS],
                [uow.refunds.find(RefundId(f"R-{n}")) for n in _IDS],
                [uow.disputes.find(DisputeId(f"D-{n}")) for n in _IDS],
                [uow.registrations.find(RegistrationId(f"G-{n}")) for n in _IDS],
                [uow.owners.find(f"O-{n}") for n in _IDS],
                [uow.idempotency.get(f"K-{n}") for n in _IDS],
                uow.ledger.balances(),
                list(uow.ledger.entries()),
                uow.events.undelivered(1000),
            ]
        )


def _stage_everything(uow: UnitOfWork, at: datetime) -> None:
    """Stage a change in every store (over the seed): a capture, new records, a key, an event."""
    _capture(uow, "P-1", "60", final=False, at=at)
    refund = _refund(1, at=at)
    uow.refunds.put(refund.refund_id, refund)
    dispute = _dispute(1, _refund(2, at=at), at)
    uow.disputes.put(dispute.dispute_id, dispute)
    uow.registrations.put(RegistrationId("G-1"), Registration.start("G-1", at))
    uow.owners.put("O-1", WalletId("W-1"))
    uow.idempotency.put(_record("K-1", "P-1", at))
    uow.merchants.add(_merchant(2, at))


# --- the unit of work ---------------------------------------------------------------------------


class UnitOfWorkContract:
    """The persistence ports' contract (:mod:`icbc_wallet.ports.persistence`).

    Subclass it, name the subclass ``Test...``, and implement :meth:`make_unit_of_work_factory`.

    Attributes:
        supports_concurrent_units: True when two units of work may be open at once in one
            thread (nested ``with`` blocks). Adapters that lock the whole database from a unit's
            first read to its end (SQLite's ``BEGIN IMMEDIATE``) would wait for themselves: set
            it to False and the tests that interleave two units in one thread are skipped. The
            version checks are then still exercised by
            :meth:`test_concurrent_units_of_work_never_lose_an_update`, which uses threads.
        locks_rows: True when reading an aggregate locks it until the unit ends (``SELECT ...
            FOR UPDATE``): a second unit that reads it waits, then raises ``ConcurrencyError``
            (give the store under test a short lock timeout), and the first commits. The tests
            in which two units change one aggregate check that instead.
    """

    supports_concurrent_units: ClassVar[bool] = True
    locks_rows: ClassVar[bool] = False

    def make_unit_of_work_factory(self) -> UnitOfWorkFactory:
        """A unit-of-work factory over a new, empty store (one per test)."""
        raise NotImplementedError

    def dispose_unit_of_work_factory(self, factory: UnitOfWorkFactory) -> None:
        """Release what :meth:`make_unit_of_work_factory` opened (nothing by default)."""

    @pytest.fixture
    def units(self) -> Iterator[UnitOfWorkFactory]:
        """The factory under test, disposed of after the test."""
        factory = self.make_unit_of_work_factory()
        yield factory
        self.dispose_unit_of_work_factory(factory)

    def _require_concurrent_units(self) -> None:
        if not self.supports_concurrent_units:
            pytest.skip("this adapter serialises units of work: two cannot interleave in a thread")

    # transactions ------------------------------------------------------------------------------

    def test_a_new_store_is_empty(self, units: UnitOfWorkFactory) -> None:
        """Nothing is found, no money is booked and no event waits before anything is saved."""
        with units() as uow:
            assert uow.wallets.find(WalletId("W-1")) is None
            assert uow.ledger.balances() == {}
            assert list(uow.ledger.entries()) == []
            assert uow.events.undelivered(10) == []
            assert uow.payments.expiring(_T0 + 1000 * _HOUR, 10) == []

    def test_changes_not_committed_vanish(self, units: UnitOfWorkFactory) -> None:
        """Leaving the ``with`` block without ``commit()`` rolls every staged change back."""
        _seed(units)
        before = _snapshot(units)
        with units() as uow:
            _stage_everything(uow, _SOON)
        assert _snapshot(units) == before

    def test_committed_changes_are_seen_by_later_units_of_work(
        self, units: UnitOfWorkFactory
    ) -> None:
        """After ``commit()`` every store shows the change."""
        _seed(units)
        with units() as uow:
            _stage_everything(uow, _SOON)
            uow.commit()
        with units() as uow:
            assert uow.payments.get(PaymentId("P-1")).captured == Money.of("60")
            assert uow.wallets.get(WalletId("W-1")).balance.posted == Money.of("940")
            assert uow.merchants.get(MerchantId("M-2")).name == "Coffee"
            assert uow.refunds.get(RefundId("R-1")) == _refund(1, at=_SOON)
            assert uow.disputes.get(DisputeId("D-1")).refund_id == "R-2"
            assert uow.registrations.get(RegistrationId("G-1")).registration_id == "G-1"
            assert uow.owners.get("O-1") == "W-1"
            assert uow.idempotency.get("K-1") == _record("K-1", "P-1", _SOON)

    def test_a_unit_of_work_may_commit_twice(self, units: UnitOfWorkFactory) -> None:
        """A second ``commit()`` in one block saves what was staged after the first."""
        with units() as uow:
            uow.merchants.add(_merchant(1))
            uow.commit()
            uow.merchants.add(_merchant(2))
            uow.commit()
        with units() as uow:
            assert uow.merchants.find(MerchantId("M-1")) is not None
            assert uow.merchants.find(MerchantId("M-2")) is not None

    def test_a_failed_commit_changes_nothing(self, units: UnitOfWorkFactory) -> None:
        """A version conflict at commit (here, a taken id) leaves every store unchanged."""
        _seed(units)
        with units() as uow:
            uow.merchants.add(_merchant(3))
            uow.commit()
        before = _snapshot(units)
        with units() as uow:
            _stage_everything(uow, _SOON)
            uow.merchants.add(_merchant(3))  # M-3 exists: the whole commit must fail
            with pytest.raises(ConcurrencyError):
                uow.commit()
        assert _snapshot(units) == before

    def test_a_refused_post_rolled_back_changes_nothing(self, units: UnitOfWorkFactory) -> None:
        """An overdraft refused half-way through a command, then rolled back, leaves no trace."""
        _seed(units)
        before = _snapshot(units)
        with units() as uow:
            _stage_everything(uow, _SOON)
            overdraft = JournalEntry.transfer(
                "E-x", AccountId.wallet("W-1"), _SETTLEMENT, Money.of("5000"), _T0
            )
            with pytest.raises(InsufficientFundsError):
                uow.ledger.post(overdraft)
        assert _snapshot(units) == before

    # copies ------------------------------------------------------------------------------------

    def test_unknown_ids_are_not_found(self, units: UnitOfWorkFactory) -> None:
        """``find`` returns None and ``get`` raises NotFoundError in every repository and store."""
        with units() as uow:
            assert uow.wallets.find(WalletId("X-1")) is None
            assert uow.merchants.find(MerchantId("X-1")) is None
            assert uow.payments.find(PaymentId("X-1")) is None
            assert uow.refunds.find(RefundId("X-1")) is None
            assert uow.disputes.find(DisputeId("X-1")) is None
            assert uow.registrations.find(RegistrationId("X-1")) is None
            assert uow.owners.find("X-1") is None
            with pytest.raises(NotFoundError):
                uow.wallets.get(WalletId("X-1"))
            with pytest.raises(NotFoundError):
                uow.merchants.get(MerchantId("X-1"))
            with pytest.raises(NotFoundError):
                uow.payments.get(PaymentId("X-1"))
            with pytest.raises(NotFoundError):
                uow.refunds.get(RefundId("X-1"))
            with pytest.raises(NotFoundError):
                uow.disputes.get(DisputeId("X-1"))
            with pytest.raises(NotFoundError):
                uow.registrations.get(RegistrationId("X-1"))
            with pytest.raises(NotFoundError):
                uow.owners.get("X-1")
            assert uow.idempotency.get("K-1") is None

    def test_changing_loaded_aggregates_without_saving_changes_nothing(
        self, units: UnitOfWorkFactory
    ) -> None:
        """Repositories hand out copies: a change that is never saved is never stored."""
        _seed(units)
        before = _snapshot(units)
        with units() as uow:
            wallet = uow.wallets.get(WalletId("W-1"))
            wallet.freeze("a test", _T0 + _HOUR)
            merchant = uow.merchants.get(MerchantId("M-1"))
            merchant.name = "Renamed"
            payment = uow.payments.get(PaymentId("P-1"))
            wallet.release(payment, _T0 + _HOUR, expired=False)
            uow.commit()
        assert _snapshot(units) == before

    def test_changing_an_added_aggregate_after_commit_changes_nothing(
        self, units: UnitOfWorkFactory
    ) -> None:
        """The store keeps its own copy of what was added, not the caller's object."""
        wallet = _wallet(1)
        with units() as uow:
            _stage(uow, wallet, new=True)
            uow.commit()
        wallet.freeze("after the commit", _T0 + _HOUR)
        with units() as uow:
            assert uow.wallets.get(WalletId("W-1")).status is WalletStatus.ACTIVE

    def test_stored_aggregates_come_back_with_every_field(self, units: UnitOfWorkFactory) -> None:
        """Wallets, merchants and payments round-trip: usage, holds, cards, fees, versions."""
        _seed(units)
        with units() as uow:
            _capture(uow, "P-1", "40", final=False, at=_SOON)
            uow.commit()
        with units() as uow:
            wallet = uow.wallets.get(WalletId("W-1"))
            merchant = uow.merchants.get(MerchantId("M-1"))
            payment = uow.payments.get(PaymentId("P-1"))
            wallet.freeze("checking", _T0 + 2 * _HOUR)
            _stage(uow, wallet)
            uow.commit()
        with units() as uow:
            assert _state(uow.wallets.get(WalletId("W-1"))) == _state(wallet)
            assert _state(uow.merchants.get(MerchantId("M-1"))) == _state(merchant)
            assert _state(uow.payments.get(PaymentId("P-1"))) == _state(payment)
        assert payment.hold.pending == Money.of("60")
        assert wallet.balance.pending == Money.of("60")
        assert wallet.version == 6  # opened, card bound, topped up, authorised, captured, frozen

    # concurrency -------------------------------------------------------------------------------

    def test_adding_an_existing_id_raises_concurrency_error_at_commit(
        self, units: UnitOfWorkFactory
    ) -> None:
        """A wallet, merchant or payment id is taken once; adding it again fails at commit."""
        _seed(units)
        wallet = _wallet(1)
        _top_up(wallet, "10", "E-twin")
        twins: list[Callable[[UnitOfWork], None]] = [
            lambda uow: uow.wallets.add(_wallet(1)),
            lambda uow: uow.merchants.add(_merchant(1)),
            lambda uow: uow.payments.add(_authorise(wallet, "P-1", "1", _T0)),
        ]
        before = _snapshot(units)
        for add_twin in twins:
            with units() as uow:
                add_twin(uow)
                with pytest.raises(ConcurrencyError):
                    uow.commit()
        assert _snapshot(units) == before

    def test_a_later_unit_of_work_sees_the_committed_version(
        self, units: UnitOfWorkFactory
    ) -> None:
        """Units one after the other never conflict: each reads what the last one saved."""
        _seed(units)
        for number in range(2, 5):
            with units() as uow:
                wallet = uow.wallets.get(WalletId("W-1"))
                wallet.bind_card(_card(number), _T0)
                _stage(uow, wallet)
                uow.commit()
        with units() as uow:
            assert len(uow.wallets.get(WalletId("W-1")).cards) == 4

    def test_a_save_after_another_unit_saved_the_wallet_raises_concurrency_error(
        self, units: UnitOfWorkFactory
    ) -> None:
        """Of two units that change the same wallet, the second to commit fails (needs nesting)."""
        self._require_concurrent_units()
        _seed(units)
        if self.locks_rows:
            self._check_a_locked_row_waits(units, lambda uow: uow.wallets.get(WalletId("W-1")))
            return
        with units() as first:
            mine = first.wallets.get(WalletId("W-1"))
            with units() as second:
                theirs = second.wallets.get(WalletId("W-1"))
                theirs.freeze("theirs", _T0 + _HOUR)
                _stage(second, theirs)
                second.commit()
            mine.bind_card(_card(9), _T0 + _HOUR)
            entry = _top_up(mine, "5", "E-mine")
            _stage(first, mine)
            first.ledger.post(entry)
            with pytest.raises(ConcurrencyError):
                first.commit()
        with units() as uow:
            stored = uow.wallets.get(WalletId("W-1"))
            assert stored.status is WalletStatus.FROZEN
            assert _card(9) not in stored.cards
            assert uow.ledger.balance(stored.account).posted == Money.of("1000")

    def test_a_save_after_another_unit_saved_the_payment_raises_concurrency_error(
        self, units: UnitOfWorkFactory
    ) -> None:
        """A payment captured by one unit cannot also be voided by another (needs nesting)."""
        self._require_concurrent_units()
        _seed(units)
        if self.locks_rows:
            self._check_a_locked_row_waits(units, lambda uow: uow.payments.get(PaymentId("P-1")))
            return
        with units() as first:
            payment = first.payments.get(PaymentId("P-1"))
            with units() as second:
                _capture(second, "P-1", "100", final=True, at=_SOON)
                second.commit()
            payment.released(payment.hold.void(_SOON))
            first.payments.save(payment)
            with pytest.raises(ConcurrencyError):
                first.commit()
        with units() as uow:
            assert uow.payments.get(PaymentId("P-1")).captured == Money.of("100")

    def _check_a_locked_row_waits(
        self, units: UnitOfWorkFactory, read: Callable[[UnitOfWork], object]
    ) -> None:
        """While one unit holds a row it read, another reading it gives up; the first commits."""
        with units() as first:
            wallet = first.wallets.get(WalletId("W-1"))
            read(first)
            with units() as second, pytest.raises(ConcurrencyError):
                read(second)
            wallet.bind_card(_card(9), _T0 + _HOUR)
            _stage(first, wallet)
            first.commit()
        with units() as uow:
            assert _card(9) in uow.wallets.get(WalletId("W-1")).cards

    def test_of_two_units_adding_one_id_only_the_first_commits(
        self, units: UnitOfWorkFactory
    ) -> None:
        """Two units that add the same new id: the second commit fails (needs nesting)."""
        self._require_concurrent_units()
        with units() as first:
            first.merchants.add(_merchant(1))
            with units() as second:
                second.merchants.add(
                    Merchant.register(
                        MerchantId("M-1"),
                        "Tea",
                        _CREDIT_CODE,
                        Category.FOOD,
                        currency="CNY",
                        at=_T0,
                    )
                )
                second.commit()
            with pytest.raises(ConcurrencyError):
                first.commit()
        with units() as uow:
            assert uow.merchants.get(MerchantId("M-1")).name == "Tea"

    def test_concurrent_units_of_work_never_lose_an_update(self, units: UnitOfWorkFactory) -> None:
        """Threads binding cards to one wallet, retrying on ConcurrencyError, keep every card."""
        _seed(units)
        errors: list[BaseException] = []

        def bind(number: int) -> None:
            try:
                for _attempt in range(100):
                    with units() as uow:
                        wallet = uow.wallets.get(WalletId("W-1"))
                        wallet.bind_card(_card(number), _T0)
                        _stage(uow, wallet)
                        try:
                            uow.commit()
                        except ConcurrencyError:
                            continue
                        return
                raise AssertionError(f"card {number} was never bound in 100 attempts")
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=bind, args=(n,)) for n in range(2, 6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a unit of work never finished"
        assert errors == []
        with units() as uow:
            wallet = uow.wallets.get(WalletId("W-1"))
        assert len(wallet.cards) == 5
        assert set(wallet.cards) == set(map(_card, range(1, 6)))
        assert wallet.version == 4 + 4

    # the ledger --------------------------------------------------------------------------------

    def test_a_holders_balance_reads_alone_what_the_aggregate_holds(
        self, units: UnitOfWorkFactory
    ) -> None:
        """``wallets.balance`` and ``merchants.balance`` equal the stored aggregates' balances."""
        _seed(units)
        with units() as uow:
            wallet = uow.wallets.get(WalletId("W-1"))
            assert uow.wallets.balance(WalletId("W-1")) == wallet.balance
            assert wallet.balance.pending == Money.of("100")  # the hold counts
        with units() as uow:  # read alone, without loading the aggregate first
            assert uow.wallets.balance(WalletId("W-1")) == wallet.balance
            assert uow.merchants.balance(MerchantId("M-1")) == AccountBalance.zero("CNY")
            with pytest.raises(NotFoundError):
                uow.wallets.balance(WalletId("W-404"))

    def test_the_ledger_keeps_each_accounts_balance(self, units: UnitOfWorkFactory) -> None:
        """Posted balances are maintained per account; the trial balance stays zero."""
        _seed(units)
        with units() as uow:
            _capture(uow, "P-1", "100", final=True, at=_SOON)
            uow.commit()
        with units() as uow:
            balances = uow.ledger.balances()
            wallet = uow.wallets.get(WalletId("W-1"))
            merchant = uow.merchants.get(MerchantId("M-1"))
            assert uow.ledger.balance(wallet.account).posted == Money.of("900")
            assert uow.ledger.balance(merchant.account).posted == Money.of("99.90")
            assert uow.ledger.balance(AccountId(AccountKind.FEE_INCOME)).posted == Money.of("0.10")
            assert uow.ledger.balance(_SETTLEMENT).posted == Money.of("-1000")
            assert uow.ledger.balance(AccountId.wallet("W-9")).posted == Money.of("0")
            assert balances[wallet.account].posted == wallet.balance.posted
            assert balances[merchant.account].posted == merchant.balance.posted
            assert trial_balance(balances.values()).is_zero()

    def test_a_post_sees_the_entries_staged_before_it(self, units: UnitOfWorkFactory) -> None:
        """Within a unit, later posts and reads see earlier posts (no overdraft slips through)."""
        _seed(units)
        account = AccountId.wallet("W-1")
        with units() as uow:
            uow.ledger.post(
                JournalEntry.transfer("E-a", account, _SETTLEMENT, Money.of("600"), _T0)
            )
            assert uow.ledger.balance(account).posted == Money.of("400")
            with pytest.raises(InsufficientFundsError):
                uow.ledger.post(
                    JournalEntry.transfer("E-b", account, _SETTLEMENT, Money.of("600"), _T0)
                )

    def test_an_overdraft_is_refused_and_nothing_of_it_is_staged(
        self, units: UnitOfWorkFactory
    ) -> None:
        """A refused entry leaves the unit as it was; what was staged before still commits."""
        _seed(units)
        wallet, merchant = AccountId.wallet("W-1"), AccountId.merchant("M-1")
        with units() as uow:
            good = JournalEntry.transfer("E-good", wallet, merchant, Money.of("10"), _T0 + _HOUR)
            uow.ledger.post(good)
            for source, amount in ((wallet, "991"), (merchant, "10.01")):
                bad = JournalEntry.transfer("E-bad", source, _SETTLEMENT, Money.of(amount), _T0)
                with pytest.raises(InsufficientFundsError):
                    uow.ledger.post(bad)
            assert uow.ledger.balance(wallet).posted == Money.of("990")
            assert uow.ledger.balance(merchant).posted == Money.of("10")
            uow.commit()
        with units() as uow:
            assert [entry.entry_id for entry in uow.ledger.entries()] == ["E-1", "E-good"]
            assert uow.ledger.balance(merchant).posted == Money.of("10")

    def test_the_journal_keeps_entries_in_order_by_account(self, units: UnitOfWorkFactory) -> None:
        """``entries()`` lists committed entries oldest first, all or those touching one account."""
        _seed(units)
        second = _wallet(2)
        with units() as uow:
            _stage(uow, second, new=True)
            uow.ledger.post(_top_up(second, "50", "E-2"))
            uow.commit()
        with units() as uow:
            _capture(uow, "P-1", "30", final=True, at=_SOON)
            uow.commit()
        with units() as uow:
            everything = list(uow.ledger.entries())
            assert [entry.entry_id for entry in everything] == ["E-1", "E-2", "E-P-1-30"]
            assert [e.entry_id for e in uow.ledger.entries(AccountId.wallet("W-2"))] == ["E-2"]
            merchant_entries = list(uow.ledger.entries(AccountId.merchant("M-1")))
            assert merchant_entries == [everything[2]]
            assert list(uow.ledger.entries(AccountId.wallet("W-9"))) == []

    # events ------------------------------------------------------------------------------------

    def test_events_come_back_in_order_with_increasing_positions(
        self, units: UnitOfWorkFactory
    ) -> None:
        """Saved events keep every field; positions are unique and grow across commits."""
        _seed(units)
        with units() as uow:
            _capture(uow, "P-1", "100", final=True, at=_SOON)
            uow.commit()
        with units() as uow:
            stored = uow.events.undelivered(1000)
            events = uow.events.for_aggregate("W-1")
        positions = [item.position for item in stored]
        assert positions == sorted(set(positions))
        assert not any(item.delivered for item in stored)
        names = [type(item.event).__name__ for item in stored]
        assert names == [
            "WalletOpened",
            "CardBound",
            "ToppedUp",
            "PaymentAuthorised",
            "MerchantRegistered",
            "PaymentCaptured",
            "MerchantPaid",
        ]
        assert [item.event for item in stored if item.event.aggregate_id == "W-1"] == events
        opened = events[0]
        assert isinstance(opened, WalletOpened)
        assert opened.phone == PhoneNumber.parse("13800130001")
        assert [event.version for event in events] == [1, 2, 3, 4, 5]

    def test_undelivered_returns_the_oldest_first_up_to_the_limit(
        self, units: UnitOfWorkFactory
    ) -> None:
        """``undelivered(n)`` is the first ``n`` events not yet delivered."""
        _seed(units)
        with units() as uow:
            everything = uow.events.undelivered(1000)
            assert uow.events.undelivered(2) == everything[:2]
            assert len(everything) == 5

    def test_for_aggregate_filters_by_time(self, units: UnitOfWorkFactory) -> None:
        """``for_aggregate(id, start, end)`` keeps the events at ``start <= at < end``.

        ``after_version`` keeps those of a greater version.
        """
        wallet = _wallet(1)
        with units() as uow:
            _stage(uow, wallet, new=True)  # opened and card bound at _T0
            uow.commit()
        for hour in (1, 2, 3):
            with units() as uow:
                loaded = uow.wallets.get(WalletId("W-1"))
                loaded.bind_card(_card(10 + hour), _T0 + hour * _HOUR)
                _stage(uow, loaded)
                uow.commit()
        with units() as uow:
            every = uow.events.for_aggregate("W-1")

            def at(start: datetime | None, end: datetime | None) -> list[Event]:
                return uow.events.for_aggregate("W-1", start, end)

            assert [event.at for event in every] == [_T0, _T0] + [
                _T0 + h * _HOUR for h in (1, 2, 3)
            ]
            assert at(_T0 + _HOUR, None) == every[2:]
            assert at(None, _T0 + _HOUR) == every[:2]
            assert at(_T0 + _HOUR, _T0 + 3 * _HOUR) == every[2:4]
            assert at(_T0 + _HOUR, _T0 + _HOUR) == []
            assert uow.events.for_aggregate("W-9") == []
            # after_version: what a reader that saw the first events still lacks
            assert uow.events.for_aggregate("W-1", after_version=3) == every[3:]
            assert uow.events.for_aggregate("W-1", _T0 + 3 * _HOUR, after_version=2) == every[4:]
            assert uow.events.for_aggregate("W-1", after_version=5) == []

    def test_delivered_events_stay_delivered(self, units: UnitOfWorkFactory) -> None:
        """``mark_delivered`` takes effect at commit and survives into later units of work."""
        _seed(units)
        with units() as uow:
            first_two = [item.position for item in uow.events.undelivered(2)]
            uow.events.mark_delivered(first_two)
        with units() as uow:
            assert [item.position for item in uow.events.undelivered(2)] == first_two
            uow.events.mark_delivered(first_two)
            uow.commit()
        with units() as uow:
            left = uow.events.undelivered(1000)
            assert len(left) == 3
            assert not set(first_two) & {item.position for item in left}
            uow.events.mark_delivered(first_two)  # again: harmless
            uow.commit()
        with units() as uow:
            assert uow.events.undelivered(1000) == left
            assert len(uow.events.for_aggregate("W-1")) == 4  # delivered events stay in history

    # idempotency records -----------------------------------------------------------------------

    def test_idempotency_records_keep_what_commands_return(self, units: UnitOfWorkFactory) -> None:
        """Every kind of command result comes back equal to what was stored."""
        declined = Declined(
            DeclineReason.DAILY_LIMIT,
            limit=Money.of("500"),
            used=Money.of("400"),
            remaining=Money.of("100"),
            scope="static_qr",
        )
        results: list[object] = [
            OperationResult("P-1", APPROVED, Money.of("0.10")),
            OperationResult("P-2", declined),
            WalletId("W-1"),
            RegistrationStep.CREDENTIALS,
            None,
        ]
        records = [_record(f"K-{n}", result) for n, result in enumerate(results, 1)]
        with units() as uow:
            for record in records:
                uow.idempotency.put(record)
            uow.commit()
        with units() as uow:
            assert [uow.idempotency.get(record.key) for record in records] == records

    def test_an_idempotency_key_is_recorded_once_while_it_lives(
        self, units: UnitOfWorkFactory
    ) -> None:
        """``put`` is insert-only: a live key fails the commit; an expired one may be reused."""
        first = _record("K-1", "first")
        with units() as uow:
            uow.idempotency.put(first)
            uow.commit()
        before = _snapshot(units)
        with units() as uow:
            uow.merchants.add(_merchant(1))
            uow.idempotency.put(_record("K-1", "second", at=first.expires_at - _HOUR))
            with pytest.raises(ConcurrencyError):
                uow.commit()
        assert _snapshot(units) == before
        reused = _record("K-1", "third", at=first.expires_at)
        with units() as uow:
            uow.idempotency.put(reused)
            uow.commit()
        with units() as uow:
            assert uow.idempotency.get("K-1") == reused

    def test_of_two_units_recording_one_key_only_the_first_commits(
        self, units: UnitOfWorkFactory
    ) -> None:
        """Two commands under one key at once: the second's commit fails (needs nesting)."""
        self._require_concurrent_units()
        with units() as first:
            first.idempotency.put(_record("K-1", "mine"))
            with units() as second:
                second.idempotency.put(_record("K-1", "theirs"))
                second.commit()
            with pytest.raises(ConcurrencyError):
                first.commit()
        with units() as uow:
            stored = uow.idempotency.get("K-1")
            assert stored is not None
            assert stored.result == "theirs"

    def test_purge_removes_records_expired_at_now(self, units: UnitOfWorkFactory) -> None:
        """``purge(now)`` drops records with ``expires_at <= now`` at commit and counts them."""
        records = [_record(f"K-{n}", n, kept=n * _HOUR) for n in _IDS]
        with units() as uow:
            for record in records:
                uow.idempotency.put(record)
            uow.commit()
        with units() as uow:
            assert uow.idempotency.purge(_T0 + 2 * _HOUR) == 2
        with units() as uow:  # not committed: nothing purged; expired records are still read
            assert [uow.idempotency.get(r.key) for r in records] == records
            assert uow.idempotency.purge(_T0 + 2 * _HOUR) == 2
            uow.commit()
        with units() as uow:
            assert [uow.idempotency.get(r.key) for r in records] == [None, None, records[2]]
            assert uow.idempotency.purge(_T0 + 2 * _HOUR) == 0

    # records -----------------------------------------------------------------------------------

    def test_records_are_replaced_whole(self, units: UnitOfWorkFactory) -> None:
        """``put`` of an id read in the unit replaces the record; other records are untouched."""
        _seed(units)
        refund, other = _refund(1), _refund(2)
        registration = Registration.start("G-1", _T0)
        with units() as uow:
            uow.refunds.put(refund.refund_id, refund)
            uow.refunds.put(other.refund_id, other)
            uow.registrations.put(RegistrationId("G-1"), registration)
            uow.owners.put("O-1", WalletId("W-1"))
            uow.owners.put("O-2", WalletId("W-2"))
            uow.commit()
        accepted = refund.accept(Money.of("10"), _T0 + _HOUR)
        verified = registration.verify_phone(PhoneNumber.parse("13800138000"))
        with units() as uow:
            uow.refunds.get(refund.refund_id)
            uow.registrations.get(RegistrationId("G-1"))
            uow.owners.get("O-1")
            uow.refunds.put(refund.refund_id, accepted)
            uow.registrations.put(RegistrationId("G-1"), verified)
            uow.owners.put("O-1", WalletId("W-3"))
            uow.commit()
        with units() as uow:
            assert uow.refunds.get(RefundId("R-1")) == accepted
            assert uow.refunds.find(RefundId("R-2")) == other
            assert uow.registrations.get(RegistrationId("G-1")) == verified
            assert (uow.owners.get("O-1"), uow.owners.get("O-2")) == ("W-3", "W-2")

    def test_a_put_over_a_record_never_read_is_refused_and_changes_nothing(
        self, units: UnitOfWorkFactory
    ) -> None:
        """A new record whose id is taken (reused, or put first by another command) is refused."""
        registration = Registration.start("G-1", _T0)
        with units() as uow:
            uow.registrations.put(RegistrationId("G-1"), registration)
            uow.commit()
        with units() as uow:
            uow.registrations.put(RegistrationId("G-1"), Registration.start("G-1", _T0 + _HOUR))
            uow.owners.put("O-9", WalletId("W-9"))
            with pytest.raises(ConcurrencyError, match="already exists"):
                uow.commit()
        with units() as uow:
            assert uow.registrations.get(RegistrationId("G-1")) == registration
            assert uow.owners.find("O-9") is None

    def test_refunds_are_listed_per_payment_oldest_first(self, units: UnitOfWorkFactory) -> None:
        """``for_payment`` gives one payment's requests in the order they were made."""
        _seed(units)
        later, earlier = _refund(1, at=_T0 + 2 * _HOUR), _refund(2, at=_SOON)
        elsewhere = _refund(3, payment="P-9")
        with units() as uow:
            for request in (later, elsewhere, earlier):
                uow.refunds.put(request.refund_id, request)
            uow.commit()
        with units() as uow:
            assert uow.refunds.for_payment(PaymentId("P-1")) == [earlier, later]
            assert uow.refunds.for_payment(PaymentId("P-9")) == [elsewhere]
            assert uow.refunds.for_payment(PaymentId("P-8")) == []

    def test_unanswered_refunds_are_those_requested_past_their_deadline(
        self, units: UnitOfWorkFactory
    ) -> None:
        """``unanswered(now, n)``: still REQUESTED and ``answer_deadline < now``, at most ``n``."""
        requests = [_refund(n, at=_T0 + n * _HOUR) for n in _IDS]
        with units() as uow:
            for request in requests:
                uow.refunds.put(request.refund_id, request)
            answered = requests[0].refuse("worn", _T0 + 2 * _HOUR)
            uow.refunds.put(answered.refund_id, answered)
            uow.commit()
        deadline = requests[1].answer_deadline
        with units() as uow:
            assert uow.refunds.unanswered(deadline, 10) == []
            assert uow.refunds.unanswered(deadline + _HOUR, 10) == ["R-2"]
            everything = uow.refunds.unanswered(deadline + 10 * _HOUR, 10)
            assert sorted(everything) == ["R-2", "R-3"]
            assert set(uow.refunds.unanswered(deadline + 10 * _HOUR, 1)) < set(everything)

    def test_disputes_are_listed_per_refund_and_when_unanswered(
        self, units: UnitOfWorkFactory
    ) -> None:
        """``for_refund`` is oldest first; ``unanswered`` is OPEN past the response deadline."""
        refund = _refund(1)
        first = _dispute(1, refund, _T0 + _HOUR)
        second = _dispute(2, refund, _T0 + 2 * _HOUR)
        other = _dispute(3, _refund(2), _T0 + 3 * _HOUR)
        with units() as uow:
            for dispute in (second, other, first):
                uow.disputes.put(dispute.dispute_id, dispute)
            uow.commit()
        with units() as uow:
            assert uow.disputes.for_refund(RefundId("R-1")) == [first, second]
            assert uow.disputes.for_refund(RefundId("R-9")) == []
            assert uow.disputes.unanswered(first.response_deadline, 10) == []
            assert uow.disputes.unanswered(first.response_deadline + _HOUR, 10) == ["D-1"]
            responded = second.respond(_EVIDENCE, second.opened_at)
            uow.disputes.put(responded.dispute_id, responded)
            uow.commit()
        late = other.response_deadline + _HOUR
        with units() as uow:
            assert sorted(uow.disputes.unanswered(late, 10)) == ["D-1", "D-3"]
            assert len(uow.disputes.unanswered(late, 1)) == 1
        # ``overdue``: not decided nor withdrawn by the decision deadline, most overdue first.
        with units() as uow:
            assert uow.disputes.overdue(first.decision_deadline, 10) == []
            past = other.decision_deadline + _HOUR
            assert uow.disputes.overdue(past, 10) == ["D-1", "D-2", "D-3"]
            assert uow.disputes.overdue(past, 1) == ["D-1"]
            withdrawn = first.withdraw(first.opened_at)
            uow.disputes.put(withdrawn.dispute_id, withdrawn)
            uow.commit()
        with units() as uow:
            assert uow.disputes.overdue(past, 10) == ["D-2", "D-3"]

    # payments ----------------------------------------------------------------------------------

    def test_expiring_lists_open_holds_expired_at_now(self, units: UnitOfWorkFactory) -> None:
        """``expiring(now, n)``: open holds with ``expires_at <= now``, at most ``n``."""
        _seed(units)  # P-1 expires at _T0 + 1h
        with units() as uow:
            wallet = uow.wallets.get(WalletId("W-1"))
            uow.payments.add(_authorise(wallet, "P-2", "10", ttl=2 * _HOUR))
            uow.payments.add(_authorise(wallet, "P-3", "10", ttl=3 * _HOUR))
            _stage(uow, wallet)
            uow.commit()
        with units() as uow:
            assert uow.payments.expiring(_T0 + _HOUR - timedelta(microseconds=1), 10) == []
            assert uow.payments.expiring(_T0 + _HOUR, 10) == ["P-1"]
            assert sorted(uow.payments.expiring(_T0 + 3 * _HOUR, 10)) == ["P-1", "P-2", "P-3"]
            assert len(uow.payments.expiring(_T0 + 3 * _HOUR, 2)) == 2
            _capture(uow, "P-1", "100", final=True, at=_SOON)
            uow.commit()
        with units() as uow:
            payment = uow.payments.get(PaymentId("P-2"))
            wallet = uow.wallets.get(WalletId("W-1"))
            wallet.release(payment, _T0 + _HOUR, expired=False)
            _stage(uow, wallet)
            uow.payments.save(payment)
            uow.commit()
        with units() as uow:
            assert uow.payments.expiring(_T0 + 3 * _HOUR, 10) == ["P-3"]


# --- notifiers, clocks, id generators ------------------------------------------------------------


class NotifierContract:
    """The :class:`~icbc_wallet.ports.notifications.Notifier` port's contract.

    Implement :meth:`make_notifier`; override :meth:`delivered` when the notifier can tell what
    it delivered, so that the contract can check that a redelivery is dropped.
    """

    def make_notifier(self) -> Notifier:
        """A new notifier to test."""
        raise NotImplementedError

    def delivered(self, notifier: Notifier) -> Sequence[Notification] | None:
        """What ``notifier`` delivered, oldest first, or None when it cannot tell (the default)."""
        return None

    @pytest.fixture
    def notifier(self) -> Notifier:
        """The notifier under test."""
        return self.make_notifier()

    def test_the_notifier_satisfies_the_port(self, notifier: Notifier) -> None:
        """It is a :class:`Notifier` (a ``notify`` method)."""
        assert isinstance(notifier, Notifier)

    def test_notify_accepts_every_kind(self, notifier: Notifier) -> None:
        """A notification of each :class:`NotificationKind` is delivered, in order."""
        notes = [
            Notification(str(n), "W-1", kind, f"About {kind}: 10.00 CNY.", "ToppedUp")
            for n, kind in enumerate(NotificationKind, 1)
        ]
        for note in notes:
            notifier.notify(note)
        delivered = self.delivered(notifier)
        if delivered is not None:
            assert list(delivered) == notes

    def test_delivering_the_same_notification_twice_is_harmless(self, notifier: Notifier) -> None:
        """A redelivery (the dispatcher's at-least-once) does not raise and is not repeated."""
        note = Notification("7", "M-1", NotificationKind.MONEY_MOVED, "Received.", "MerchantPaid")
        other = Notification("8", "M-1", NotificationKind.MONEY_MOVED, "Received.", "MerchantPaid")
        for item in (note, note, other, note):
            notifier.notify(item)
        delivered = self.delivered(notifier)
        if delivered is not None:
            assert list(delivered) == [note, other]


class ClockContract:
    """The :class:`~icbc_wallet.ports.runtime.Clock` port's contract: aware, never backwards."""

    def make_clock(self) -> Clock:
        """A new clock to test."""
        raise NotImplementedError

    @pytest.fixture
    def clock(self) -> Clock:
        """The clock under test."""
        return self.make_clock()

    def test_the_clock_satisfies_the_port(self, clock: Clock) -> None:
        """It is a :class:`Clock` (a ``now`` method)."""
        assert isinstance(clock, Clock)

    def test_now_is_timezone_aware(self, clock: Clock) -> None:
        """``now()`` carries a UTC offset: naive datetimes are refused everywhere else."""
        moment = clock.now()
        assert isinstance(moment, datetime)
        assert moment.utcoffset() is not None

    def test_now_never_goes_backwards(self, clock: Clock) -> None:
        """Successive readings are non-decreasing."""
        readings = [clock.now() for _ in range(1000)]
        assert readings == sorted(readings)


class IdGeneratorContract:
    """The :class:`~icbc_wallet.ports.runtime.IdGenerator` port's contract: unique, valid ids."""

    def make_ids(self) -> IdGenerator:
        """A new id generator to test."""
        raise NotImplementedError

    @pytest.fixture
    def ids(self) -> IdGenerator:
        """The id generator under test."""
        return self.make_ids()

    def test_the_generator_satisfies_the_port(self, ids: IdGenerator) -> None:
        """It is an :class:`IdGenerator` (a ``new`` method)."""
        assert isinstance(ids, IdGenerator)

    def test_ids_are_unique_valid_and_start_with_their_prefix(self, ids: IdGenerator) -> None:
        """Ids never repeat, across prefixes too, and every store can keep them."""
        made = [ids.new(prefix) for _ in range(1000) for prefix in ("P", "E", "W")]
        assert len(set(made)) == len(made)
        assert all(parse_id(made_id, str) == made_id for made_id in made)
        assert [made_id[0] for made_id in made[:3]] == ["P", "E", "W"]
