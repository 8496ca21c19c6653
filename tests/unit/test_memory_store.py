"""The in-memory store: units of work, optimistic versions, the ledger, the outbox and idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from icbc_wallet.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.disputes import Dispute, DisputeEvidence
from icbc_wallet.domain.events import WalletFrozen
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber
from icbc_wallet.domain.ids import (
    DisputeId,
    MerchantId,
    PaymentId,
    RefundId,
    RegistrationId,
    WalletId,
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
from icbc_wallet.domain.registration import Registration
from icbc_wallet.errors import (
    ConcurrencyError,
    InsufficientFundsError,
    NotFoundError,
    WalletError,
)
from icbc_wallet.ports.persistence import IdempotencyRecord
from icbc_wallet.presets.limits import ECNY_2021_WITH_QR_CODES
from icbc_wallet.wallet import Merchant, Owner, Payment, Wallet, WalletStatus

T0 = datetime(2026, 3, 2, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)
SETTLEMENT = AccountId(AccountKind.BANK_SETTLEMENT)
CARD = BankCard.parse("6225768888888888")
W1, W2 = WalletId("W-1"), WalletId("W-2")
M1 = MerchantId("M-1")


def cny(amount: str) -> Money:
    return Money.of(amount)


def new_wallet(wallet_id: WalletId = W1) -> Wallet:
    schedule = ECNY_2021_WITH_QR_CODES
    wallet = Wallet.open(
        wallet_id,
        Owner(PhoneNumber.parse("13800138000")),
        "WL02",
        schedule.tier("WL02"),
        schedule=schedule,
        at=T0,
    )
    wallet.bind_card(CARD, T0)
    return wallet


def top_up(wallet: Wallet, amount: str, entry_id: str) -> JournalEntry:
    moved = wallet.top_up(CARD, cny(amount), entry_id, T0)
    assert moved.entry is not None
    return moved.entry


def stage(uow: InMemoryUnitOfWork, wallet: Wallet, *, new: bool = False) -> None:
    if new:
        uow.wallets.add(wallet)
    else:
        uow.wallets.save(wallet)
    uow.events.append(wallet.pull_events())


def seeded(balance: str = "100") -> InMemoryStore:
    """A store with wallet W-1 holding ``balance`` (opened, card bound, topped up)."""
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        wallet = new_wallet()
        entry = top_up(wallet, balance, "E-seed")
        stage(uow, wallet, new=True)
        uow.ledger.post(entry)
        uow.commit()
    return store


def committed_wallet(store: InMemoryStore, wallet_id: WalletId = W1) -> Wallet:
    with store.unit_of_work() as uow:
        return uow.wallets.get(wallet_id)


# --- units of work -------------------------------------------------------------------------------


def test_a_unit_of_work_not_committed_changes_nothing() -> None:
    store = seeded()

    with store.unit_of_work() as uow:
        wallet = uow.wallets.get(W1)
        uow.ledger.post(top_up(wallet, "50", "E-1"))
        stage(uow, wallet)
        uow.wallets.add(new_wallet(W2))
        uow.idempotency.put(IdempotencyRecord("k", "f", 1, T0, T0 + HOUR))
        uow.registrations.put(RegistrationId("R-1"), Registration.start("R-1", T0))

    with store.unit_of_work() as uow:
        assert uow.wallets.get(W1).balance.posted == cny("100")
        assert uow.wallets.find(W2) is None
        assert uow.ledger.balance(AccountId.wallet(W1)).posted == cny("100")
        assert [e.entry_id for e in uow.ledger.entries()] == ["E-seed"]
        assert uow.idempotency.get("k") is None
        assert uow.registrations.find(RegistrationId("R-1")) is None
        assert len(uow.events.undelivered(100)) == 3  # opened, card bound, topped up


def test_an_exception_inside_the_block_rolls_back_and_releases_the_lock() -> None:
    store = seeded()

    def freeze_then_fail() -> None:
        with store.unit_of_work() as uow:
            wallet = uow.wallets.get(W1)
            wallet.freeze("x", T0)
            stage(uow, wallet)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        freeze_then_fail()

    assert committed_wallet(store).status is WalletStatus.ACTIVE
    assert store._lock.acquire(blocking=False)  # released: another thread could enter
    store._lock.release()


def test_loaded_aggregates_are_copies_until_saved_and_committed() -> None:
    store = seeded()

    with store.unit_of_work() as uow:
        wallet = uow.wallets.get(W1)
        assert uow.wallets.get(W1) is wallet  # one copy per unit of work
        wallet.freeze("not saved", T0)
        uow.commit()

    assert committed_wallet(store).status is WalletStatus.ACTIVE


def test_a_committed_aggregate_is_not_changed_by_its_saved_object_afterwards() -> None:
    store = InMemoryStore()
    wallet = new_wallet()

    with store.unit_of_work() as uow:
        stage(uow, wallet, new=True)
        uow.commit()
    wallet.freeze("after commit", T0)

    assert committed_wallet(store).status is WalletStatus.ACTIVE


def test_a_unit_of_work_may_commit_twice_and_sees_its_first_commit() -> None:
    store = seeded()

    with store.unit_of_work() as uow:
        wallet = uow.wallets.get(W1)
        wallet.freeze("first", T0)
        stage(uow, wallet)
        uow.commit()
        again = uow.wallets.get(W1)
        again.unfreeze(T0)
        stage(uow, again)
        uow.commit()

    assert committed_wallet(store).version == 5


def test_unknown_ids_are_not_found() -> None:
    store = InMemoryStore()

    with store.unit_of_work() as uow:
        assert uow.wallets.find(W1) is None
        assert uow.payments.find(PaymentId("P-1")) is None
        with pytest.raises(NotFoundError, match="no wallet 'W-1'"):
            uow.wallets.get(W1)
        with pytest.raises(NotFoundError, match="no merchant"):
            uow.merchants.get(M1)
        with pytest.raises(NotFoundError, match="no registration"):
            uow.registrations.get(RegistrationId("R-1"))
        with pytest.raises(NotFoundError, match="no refund request"):
            uow.refunds.get(RefundId("F-1"))


def test_saving_an_aggregate_this_unit_of_work_did_not_read_is_refused() -> None:
    store = seeded()

    with store.unit_of_work() as uow, pytest.raises(ConcurrencyError, match="read in this unit"):
        uow.wallets.save(new_wallet())


# --- optimistic versions -------------------------------------------------------------------------


def test_of_two_units_of_work_saving_one_wallet_only_the_first_commits() -> None:
    store = seeded()
    # Opened without entering: the lock that serialises commands is not taken, so both read v3.
    first, second = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    mine, theirs = first.wallets.get(W1), second.wallets.get(W1)

    theirs.freeze("theirs", T0 + HOUR)
    stage(second, theirs)
    second.commit()
    entry = top_up(mine, "5", "E-mine")
    stage(first, mine)
    first.ledger.post(entry)

    with pytest.raises(ConcurrencyError, match="changed by another command"):
        first.commit()
    stored = committed_wallet(store)
    assert stored.status is WalletStatus.FROZEN
    assert stored.balance.posted == cny("100")
    with store.unit_of_work() as uow:
        assert uow.ledger.balance(AccountId.wallet(W1)).posted == cny("100")
        assert not [e for e in uow.ledger.entries() if e.entry_id == "E-mine"]


def test_of_two_units_of_work_adding_one_id_only_the_first_commits() -> None:
    store = InMemoryStore()
    first, second = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    code = MerchantCreditCode.parse("91110000600037341L")
    first.merchants.add(Merchant.register(M1, "Coffee", code, Category.FOOD, currency="CNY", at=T0))
    second.merchants.add(Merchant.register(M1, "Tea", code, Category.FOOD, currency="CNY", at=T0))

    second.commit()

    with pytest.raises(ConcurrencyError, match="already exists"):
        first.commit()
    with store.unit_of_work() as uow:
        assert uow.merchants.get(M1).name == "Tea"


def test_a_payment_captured_by_one_unit_of_work_cannot_be_voided_by_another() -> None:
    store = seeded()
    with store.unit_of_work() as uow:
        wallet = uow.wallets.get(W1)
        payment = wallet.authorise(
            PaymentId("P-1"),
            M1,
            cny("40"),
            T0,
            T0 + HOUR,
            method=PaymentMethod.NFC,
            channel=Channel.MOBILE,
            category=Category.FOOD,
        )
        assert type(payment) is Payment
        stage(uow, wallet)
        uow.payments.add(payment)
        uow.commit()
    first, second = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    voided, captured = first.payments.get(PaymentId("P-1")), second.payments.get(PaymentId("P-1"))

    captured.captured_by(captured.hold.capture(cny("40"), T0), cny("40"), None, T0)
    second.payments.save(captured)
    second.commit()
    voided.released(voided.hold.void(T0))
    first.payments.save(voided)

    with pytest.raises(ConcurrencyError, match="payment 'P-1'"):
        first.commit()


# --- the ledger ----------------------------------------------------------------------------------


def test_a_post_that_would_overdraw_a_wallet_raises_and_stages_nothing() -> None:
    store = seeded("100")
    wallet_account = AccountId.wallet(W1)
    fine = JournalEntry.transfer("E-1", wallet_account, SETTLEMENT, cny("60"), T0)
    overdraft = JournalEntry.transfer("E-2", wallet_account, SETTLEMENT, cny("40.01"), T0)

    with store.unit_of_work() as uow:
        uow.ledger.post(fine)
        with pytest.raises(InsufficientFundsError):
            uow.ledger.post(overdraft)  # sees the 60 staged before it
        assert uow.ledger.balance(wallet_account).posted == cny("40")
        assert uow.ledger.balance(SETTLEMENT).posted == cny("-40")
        uow.commit()

    assert store.balances[wallet_account].posted == cny("40")
    assert [e.entry_id for e in store.journal] == ["E-seed", "E-1"]


def test_post_takes_only_journal_entries() -> None:
    with InMemoryStore().unit_of_work() as uow, pytest.raises(WalletError, match="JournalEntry"):
        uow.ledger.post("E-1")  # type: ignore[arg-type]


def test_an_account_never_posted_to_has_a_zero_balance_in_the_stores_currency() -> None:
    with InMemoryStore("USD").unit_of_work() as uow:
        assert uow.ledger.balance(AccountId.wallet("W-9")) == AccountBalance.zero("USD")


def test_the_journal_sums_to_zero_and_lists_entries_by_account_in_order() -> None:
    store = seeded("100")
    w1, w2 = AccountId.wallet(W1), AccountId.wallet(W2)
    with store.unit_of_work() as uow:
        uow.ledger.post(JournalEntry.transfer("E-1", w1, w2, cny("30"), T0))
        uow.ledger.post(
            JournalEntry.transfer("E-2", w2, SETTLEMENT, cny("10"), T0, fee=cny("0.10"))
        )
        assert list(uow.ledger.entries()) == store.journal  # staged entries are not listed yet
        uow.commit()

    with store.unit_of_work() as uow:
        balances = uow.ledger.balances()
        assert trial_balance(balances.values()) == Money.zero()
        assert balances[w2].posted == cny("19.90")
        assert balances[AccountId(AccountKind.FEE_INCOME)].posted == cny("0.10")
        assert [e.entry_id for e in uow.ledger.entries()] == ["E-seed", "E-1", "E-2"]
        assert [e.entry_id for e in uow.ledger.entries(w2)] == ["E-1", "E-2"]
        assert [e.entry_id for e in uow.ledger.entries(w1)] == ["E-seed", "E-1"]


# --- the outbox ----------------------------------------------------------------------------------


def test_events_get_increasing_positions_and_stay_undelivered_until_marked() -> None:
    store = seeded()  # three events: positions 1 to 3

    with store.unit_of_work() as uow:
        assert [s.position for s in uow.events.undelivered(2)] == [1, 2]
        uow.events.mark_delivered([1, 3])
        assert len(uow.events.undelivered(10)) == 3  # staged until commit
        uow.commit()

    with store.unit_of_work() as uow:
        assert [s.position for s in uow.events.undelivered(10)] == [2]
        uow.events.mark_delivered([1, 2])  # delivering twice is harmless
        uow.commit()
        assert uow.events.undelivered(10) == []
    assert all(stored.delivered for stored in store.outbox)
    assert [stored.position for stored in store.outbox] == [1, 2, 3]


def test_history_for_an_aggregate_is_filtered_by_start_inclusive_and_end_exclusive() -> None:
    store = seeded()
    with store.unit_of_work() as uow:
        wallet = uow.wallets.get(W1)
        wallet.freeze("one", T0 + HOUR)
        wallet.unfreeze(T0 + 2 * HOUR)
        stage(uow, wallet)
        other = new_wallet(W2)
        stage(uow, other, new=True)
        uow.commit()

    with store.unit_of_work() as uow:
        everything = uow.events.for_aggregate(W1)
        window = uow.events.for_aggregate(W1, start=T0 + HOUR, end=T0 + 2 * HOUR)
        later = uow.events.for_aggregate(W1, start=T0 + HOUR)
        earlier = uow.events.for_aggregate(W1, end=T0 + HOUR)
        assert [e.version for e in everything] == [1, 2, 3, 4, 5]
        assert [type(e) for e in window] == [WalletFrozen]
        assert [e.version for e in later] == [4, 5]
        assert [e.version for e in earlier] == [1, 2, 3]
        assert uow.events.for_aggregate("W-unknown") == []


# --- idempotency records -------------------------------------------------------------------------


def test_idempotency_records_are_read_back_and_purged_once_expired() -> None:
    store = InMemoryStore()
    short = IdempotencyRecord("short", "f1", "result", T0, T0 + HOUR)
    long = IdempotencyRecord("long", "f2", ("a", 1), T0, T0 + 2 * HOUR)
    with store.unit_of_work() as uow:
        uow.idempotency.put(short)
        uow.idempotency.put(long)
        assert uow.idempotency.get("short") == short  # staged puts are visible
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.idempotency.purge(T0 + HOUR) == 1  # expired at exactly its expiry
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.idempotency.get("short") is None
        assert uow.idempotency.get("long") == long


# --- records and their queries -------------------------------------------------------------------


def test_records_are_replaced_whole_and_a_unit_of_work_reads_its_own_puts() -> None:
    store = InMemoryStore()
    key = RegistrationId("R-1")
    started = Registration.start(key, T0)
    verified = started.verify_phone(PhoneNumber.parse("13800138000"))
    with store.unit_of_work() as uow:
        uow.registrations.put(key, started)
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.registrations.get(key) == started
        uow.registrations.put(key, verified)
        assert uow.registrations.get(key) == verified
        assert store.registrations[key] == started  # until commit
        uow.commit()

    assert store.registrations[key] == verified


def refund(refund_id: str, payment_id: str, at: datetime) -> RefundRequest:
    return RefundRequest.new(
        refund_id=RefundId(refund_id),
        payment_id=PaymentId(payment_id),
        wallet_id=W1,
        merchant_id=M1,
        requested=cny("10"),
        at=at,
    )


def test_refund_requests_are_listed_per_payment_and_when_unanswered() -> None:
    store = InMemoryStore()
    late, early = refund("F-2", "P-1", T0 + HOUR), refund("F-1", "P-1", T0)
    other = refund("F-3", "P-2", T0)
    answered = refund("F-4", "P-2", T0).refuse("worn", T0 + HOUR)
    with store.unit_of_work() as uow:
        for request in (late, early, other):
            uow.refunds.put(request.refund_id, request)
        uow.commit()

    with store.unit_of_work() as uow:
        uow.refunds.put(answered.refund_id, answered)  # staged records are seen by queries
        assert uow.refunds.for_payment(PaymentId("P-1")) == [early, late]
        assert uow.refunds.for_payment(PaymentId("P-2")) == [other, answered]
        after_first_deadline = early.answer_deadline + timedelta(seconds=1)
        assert uow.refunds.unanswered(after_first_deadline, 10) == ["F-1", "F-3"]
        assert uow.refunds.unanswered(late.answer_deadline, 10) == ["F-1", "F-3"]  # not after
        assert uow.refunds.unanswered(T0 + timedelta(days=30), 1) == ["F-1"]


def test_disputes_are_listed_per_refund_and_when_unanswered() -> None:
    store = InMemoryStore()
    refused = refund("F-1", "P-1", T0).refuse("worn", T0 + HOUR)
    evidence = DisputeEvidence(order_number="SO-1", description="Never arrived.")
    second = Dispute.new(
        dispute_id=DisputeId("D-2"), request=refused, evidence=evidence, at=T0 + 3 * HOUR
    )
    first = Dispute.new(
        dispute_id=DisputeId("D-1"), request=refused, evidence=evidence, at=T0 + 2 * HOUR
    )
    withdrawn = second.withdraw(T0 + 4 * HOUR)
    with store.unit_of_work() as uow:
        uow.disputes.put(first.dispute_id, first)
        uow.disputes.put(withdrawn.dispute_id, withdrawn)
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.disputes.for_refund(RefundId("F-1")) == [first, withdrawn]
        assert uow.disputes.for_refund(RefundId("F-9")) == []
        assert uow.disputes.unanswered(first.response_deadline, 10) == []
        late = first.response_deadline + timedelta(seconds=1)
        assert uow.disputes.unanswered(late, 10) == ["D-1"]


def test_expiring_lists_only_open_holds_past_their_deadline_oldest_first() -> None:
    store = seeded("1000")
    deadlines = {"P-1": T0 + 2 * HOUR, "P-2": T0 + HOUR, "P-3": T0 + 3 * HOUR}
    with store.unit_of_work() as uow:
        wallet = uow.wallets.get(W1)
        for payment_id, deadline in deadlines.items():
            payment = wallet.authorise(
                PaymentId(payment_id),
                M1,
                cny("10"),
                T0,
                deadline,
                method=PaymentMethod.ONLINE,
                channel=Channel.MOBILE,
                category=Category.FOOD,
            )
            assert type(payment) is Payment
            uow.payments.add(payment)
        stage(uow, wallet)
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.payments.expiring(T0 + 2 * HOUR, 10) == ["P-2", "P-1"]
        assert uow.payments.expiring(T0 + 5 * HOUR, 1) == ["P-2"]
        payment = uow.payments.get(PaymentId("P-2"))
        payment.released(payment.hold.void(T0))
        uow.payments.save(payment)
        uow.commit()

    with store.unit_of_work() as uow:
        assert uow.payments.expiring(T0 + 5 * HOUR, 10) == ["P-1", "P-3"]
