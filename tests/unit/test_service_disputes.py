"""Disputes through the service: evidence, deadlines, the bank's decision, and money in suspense."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icbc_wallet.adapters.memory import _Disputes
from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.decisions import Approved, Declined, DeclineReason
from icbc_wallet.domain.disputes import (
    DEFAULT_DECISION_REASON,
    DisputeEvidence,
    DisputeOutcome,
    DisputeStatus,
)
from icbc_wallet.domain.events import (
    DisputeDecided,
    DisputeOpened,
    DisputeWithdrawn,
    Event,
    MerchantFundsHeld,
    MerchantFundsReleased,
    MerchantRefunded,
    RefundIssued,
    RefundLapsed,
)
from icbc_wallet.domain.fee_rules import FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import MerchantId, WalletId
from icbc_wallet.domain.ledger import AccountId, AccountKind, trial_balance
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.domain.refund_requests import RefundRequestStatus
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    DisputeStateError,
    IdempotencyConflict,
    InvalidAmountError,
    InvalidIdError,
    InvalidTextError,
    NotFoundError,
    RefundStateError,
    TextTypeError,
    WalletError,
    WalletStateError,
)
from icbc_wallet.ports.notifications import NotificationKind
from icbc_wallet.service import WalletPolicies
from icbc_wallet.service.results import OperationResult

START = datetime(2026, 3, 2, 2, tzinfo=UTC)
CARD = BankCard.parse("6225768888888888")
FEE_INCOME = AccountId(AccountKind.FEE_INCOME)
SUSPENSE = AccountId(AccountKind.DISPUTE_SUSPENSE)
WITH_MERCHANT_FEE = attrs.evolve(
    WalletPolicies.default(),
    merchant_fees=FeeSchedule([FeeRule.percentage(OperationKind.PAYMENT, "0.006")]),
)
"""A 0.6 % merchant service fee (WeChat Pay's standard rate for most merchants)."""
CUSTOMER = DisputeEvidence(
    order_number="SO-42", receipt="R-9", description="The mug arrived broken.\nPhotos attached."
)
MERCHANT = DisputeEvidence(order_number="SO-42", description="Shipped intact; courier's fault.")
FOR_MERCHANT = DisputeOutcome.MERCHANT_RESPONSIBLE
FOR_CUSTOMER = DisputeOutcome.CUSTOMER_RESPONSIBLE

_keys = itertools.count(1)


def key() -> str:
    return f"key-{next(_keys)}"


class Shop:
    """A registered WL02 wallet with 1,000.00 in it, and a merchant to pay."""

    def __init__(self, policies: WalletPolicies | None = None) -> None:
        self.bank = in_memory(policies, start=START)
        self.service = service = self.bank.service
        phone = PhoneNumber.parse("13800138000")
        registration = service.start_registration(phone, idempotency_key=key())
        code = self.bank.phone_verifier.last_code_for(phone)
        assert code is not None
        service.verify_phone(registration, phone, code, idempotency_key=key())
        service.provide_identity(
            registration, "张三", ResidentId.parse("34052419800101001X"), idempotency_key=key()
        )
        service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=key())
        service.add_card(registration, CARD, idempotency_key=key())
        self.wallet: WalletId = service.submit_registration(registration, idempotency_key=key())
        self.merchant: MerchantId = service.register_merchant(
            "Mugs",
            MerchantCreditCode.parse("91110000600037341L"),
            "shopping",
            idempotency_key=key(),
        )
        service.top_up(self.wallet, CARD, Money.of("1000"), idempotency_key=key())

    def pay(self, amount: str) -> str:
        result = self.service.pay(
            self.wallet, self.merchant, Money.of(amount), method="online", idempotency_key=key()
        )
        assert result.approved
        return result.reference

    def requested(self, payment: str, amount: str) -> str:
        result = self.service.request_refund(
            payment, Money.of(amount), "broken", idempotency_key=key()
        )
        assert result.approved, result
        return result.reference

    def refused(self, payment: str, amount: str) -> str:
        refund = self.requested(payment, amount)
        self.service.refuse_refund(refund, "it left us intact", idempotency_key=key())
        return refund

    def dispute(self, refund: str, amount: str | None = None) -> OperationResult:
        money = None if amount is None else Money.of(amount)
        return self.service.open_dispute(refund, CUSTOMER, money, idempotency_key=key())

    def opened(self, payment: str, amount: str) -> str:
        result = self.dispute(self.refused(payment, amount))
        assert result.approved, result
        return result.reference

    def decide(
        self, dispute: str, outcome: DisputeOutcome, amount: str | None = None
    ) -> OperationResult:
        money = None if amount is None else Money.of(amount)
        return self.service.decide_dispute(
            dispute, outcome, money, "weighed both sides", idempotency_key=key()
        )

    def respond(self, dispute: str) -> OperationResult:
        return self.service.respond_to_dispute(dispute, MERCHANT, idempotency_key=key())

    def later(self, **step: float) -> None:
        self.bank.clock.advance(timedelta(**step))

    def posted(self, account: AccountId) -> Money:
        with self.bank.store.unit_of_work() as uow:
            return uow.ledger.balance(account).posted

    @property
    def wallet_money(self) -> Money:
        return self.service.balance(self.wallet).posted

    @property
    def merchant_money(self) -> Money:
        return self.service.merchant(self.merchant).balance.posted

    def events(self, kind: type[Event], aggregate: str | None = None) -> list[Event]:
        with self.bank.store.unit_of_work() as uow:
            found = uow.events.for_aggregate(aggregate or self.wallet)
        return [event for event in found if type(event) is kind]


def assert_books_balance(bank: InMemoryBank) -> None:
    """Money is conserved, balances equal their postings, suspense holds just the open disputes."""
    store = bank.store
    assert trial_balance(store.balances.values(), "CNY") == Money.zero()
    sums: Counter[AccountId] = Counter()
    for entry in store.journal:
        for posting in entry.postings:
            sums[posting.account] += posting.amount.minor
    assert {a: b.posted.minor for a, b in store.balances.items() if b.posted.minor} == {
        a: minor for a, minor in sums.items() if minor
    }
    for wallet in store.wallets.rows.values():
        assert wallet.balance == store.balances[wallet.account]
    for merchant in store.merchants.rows.values():
        assert merchant.balance.posted == store.balances[merchant.account].posted
    for payment in store.payments.rows.values():
        assert payment.refunded.minor + payment.claimed.minor <= payment.captured.minor
    open_disputes = [d for d in store.disputes.values() if not d.is_terminal]
    assert sums[SUSPENSE] == sum(d.amount.minor for d in open_disputes)


def snapshot(bank: InMemoryBank) -> object:
    """Everything a command could change (aggregates by version, records, books, outbox, keys)."""
    store = bank.store
    return (
        dict(store.balances),
        list(store.journal),
        len(store.outbox),
        dict(store.refunds),
        dict(store.disputes),
        {k: v.version for k, v in store.wallets.rows.items()},
        {k: v.version for k, v in store.merchants.rows.items()},
        {k: v.version for k, v in store.payments.rows.items()},
        set(store.idempotency),
    )


@pytest.fixture
def shop() -> Shop:
    return Shop()


# --- opening: money set aside -----------------------------------------------------------------


def test_a_dispute_over_a_refusal_sets_the_disputed_money_aside(shop: Shop) -> None:
    payment = shop.pay("35.50")
    refund = shop.refused(payment, "30")
    shop.later(days=1)
    result = shop.dispute(refund)
    assert result.approved
    assert result.reference.startswith("D-")
    assert result.decision == Approved(deadline=START + timedelta(days=30))
    dispute = shop.service.dispute(result.reference)
    assert (dispute.status, dispute.amount, dispute.customer_evidence) == (
        DisputeStatus.OPEN,
        Money.of("30"),
        CUSTOMER,
    )
    assert dispute.response_deadline == START + timedelta(days=4)
    assert shop.posted(SUSPENSE) == Money.of("30")
    assert (shop.merchant_money, shop.wallet_money) == (Money.of("5.50"), Money.of("964.50"))
    assert shop.service.payment(payment).claimed == Money.of("30")
    assert shop.service.disputes_for(refund) == [dispute]
    assert len(shop.events(DisputeOpened)) == 1
    assert len(shop.events(MerchantFundsHeld, shop.merchant)) == 1
    assert_books_balance(shop.bank)


def test_a_part_of_the_refused_amount_may_be_disputed(shop: Shop) -> None:
    dispute = shop.dispute(shop.refused(shop.pay("35.50"), "30"), "12")
    assert shop.service.dispute(dispute.reference).amount == Money.of("12")
    assert shop.posted(SUSPENSE) == Money.of("12")


def test_an_overdue_request_is_lapsed_before_it_is_disputed(shop: Shop) -> None:
    payment = shop.pay("35.50")
    refund = shop.requested(payment, "30")
    shop.later(days=3, seconds=1)
    result = shop.dispute(refund)
    assert result.approved
    assert shop.service.refund(refund).status is RefundRequestStatus.LAPSED
    assert len(shop.events(RefundLapsed)) == 1
    assert shop.service.payment(payment).claimed == Money.of("30")  # now the dispute's claim
    assert_books_balance(shop.bank)


# --- deciding -----------------------------------------------------------------------------------


def test_the_bank_finding_the_merchant_responsible_refunds_the_customer(shop: Shop) -> None:
    payment = shop.pay("35.50")
    dispute = shop.opened(payment, "30")
    shop.respond(dispute)
    decided = shop.decide(dispute, FOR_MERCHANT)
    assert decided == OperationResult(dispute, decided.decision)
    assert decided.approved
    assert shop.wallet_money == Money.of("994.50")
    assert (shop.merchant_money, shop.posted(SUSPENSE)) == (Money.of("5.50"), Money.of(0))
    record = shop.service.dispute(dispute)
    assert (record.status, record.outcome, record.refund_amount) == (
        DisputeStatus.DECIDED,
        FOR_MERCHANT,
        Money.of("30"),
    )
    paid = shop.service.payment(payment)
    assert (paid.refunded, paid.claimed) == (Money.of("30"), Money.of(0))
    assert [e.refund_id for e in shop.events(RefundIssued)] == [dispute]  # type: ignore[attr-defined]
    released = shop.events(MerchantFundsReleased, shop.merchant)
    assert [(e.amount, e.refunded) for e in released] == [(Money.of(0), Money.of("30"))]  # type: ignore[attr-defined]
    assert_books_balance(shop.bank)


def test_the_bank_finding_the_customer_responsible_gives_the_merchant_its_money_back(
    shop: Shop,
) -> None:
    payment = shop.pay("35.50")
    dispute = shop.opened(payment, "30")
    shop.respond(dispute)
    shop.decide(dispute, FOR_CUSTOMER)
    assert (shop.wallet_money, shop.merchant_money) == (Money.of("964.50"), Money.of("35.50"))
    assert shop.posted(SUSPENSE) == Money.of(0)
    assert shop.service.dispute(dispute).refund_amount == Money.of(0)
    assert shop.events(RefundIssued) == []
    assert shop.events(MerchantRefunded, shop.merchant) == []
    released = shop.events(MerchantFundsReleased, shop.merchant)
    assert [e.amount for e in released] == [Money.of("30")]  # type: ignore[attr-defined]
    decided = shop.events(DisputeDecided)[0]
    assert decided.outcome == "customer_responsible"  # type: ignore[attr-defined]
    assert shop.service.payment(payment).refundable == Money.of("35.50")
    assert_books_balance(shop.bank)


def test_a_partial_award_returns_the_merchant_fee_share_and_balances_every_account() -> None:
    shop = Shop(WITH_MERCHANT_FEE)
    payment = shop.pay("35.50")  # fee 0.21: the merchant holds 35.29, its only money
    dispute = shop.opened(payment, "35.50")
    # the merchant sets aside 35.29 (all it has) and fee income its 0.21 share
    assert (shop.merchant_money, shop.posted(FEE_INCOME)) == (Money.of(0), Money.of(0))
    assert shop.posted(SUSPENSE) == Money.of("35.50")
    shop.respond(dispute)
    shop.decide(dispute, FOR_MERCHANT, "20")
    assert shop.wallet_money == Money.of("984.50")  # exactly the award
    # 0.21 * 20 / 35.50 = 0.118: 0.11 of the fee goes with the award, 0.10 back to fee income,
    # so the merchant bore 20 - 0.11 = 19.89 of the 35.29 it received
    assert (shop.merchant_money, shop.posted(FEE_INCOME)) == (Money.of("15.40"), Money.of("0.10"))
    assert shop.posted(SUSPENSE) == Money.of(0)
    assert shop.service.payment(payment).fee_refunded == Money.of("0.11")
    released = shop.events(MerchantFundsReleased, shop.merchant)
    assert [(e.amount, e.refunded) for e in released] == [(Money.of("15.40"), Money.of("20"))]  # type: ignore[attr-defined]
    assert_books_balance(shop.bank)


def test_a_merchant_that_stays_silent_is_found_responsible_by_default(shop: Shop) -> None:
    dispute = shop.opened(shop.pay("35.50"), "30")
    shop.later(days=3)
    assert shop.service.decide_unanswered_disputes() == 0  # the deadline is in time
    shop.later(seconds=1)
    assert shop.service.decide_unanswered_disputes() == 1
    record = shop.service.dispute(dispute)
    assert (record.outcome, record.refund_amount, record.decision_reason) == (
        FOR_MERCHANT,
        Money.of("30"),
        DEFAULT_DECISION_REASON,
    )
    assert shop.wallet_money == Money.of("994.50")
    assert shop.service.decide_unanswered_disputes() == 0
    assert_books_balance(shop.bank)


def test_a_dispute_the_merchant_answered_waits_for_the_bank(shop: Shop) -> None:
    dispute = shop.opened(shop.pay("35.50"), "30")
    assert shop.respond(dispute).approved
    shop.later(days=5)
    assert shop.service.decide_unanswered_disputes() == 0
    assert shop.service.dispute(dispute).status is DisputeStatus.RESPONDED
    assert shop.service.dispute(dispute).merchant_evidence == MERCHANT


def test_the_bank_decides_only_after_the_merchant_had_its_say(shop: Shop) -> None:
    dispute = shop.opened(shop.pay("35.50"), "30")
    before = snapshot(shop.bank)
    with pytest.raises(DisputeStateError, match="awaits the merchant's response"):
        shop.decide(dispute, FOR_MERCHANT)
    assert snapshot(shop.bank) == before
    shop.later(days=3, seconds=1)
    assert shop.decide(dispute, FOR_CUSTOMER).approved


def test_a_response_after_the_deadline_is_refused(shop: Shop) -> None:
    dispute = shop.opened(shop.pay("35.50"), "30")
    shop.later(days=3, seconds=1)
    before = snapshot(shop.bank)
    with pytest.raises(DisputeStateError, match="had to respond"):
        shop.respond(dispute)
    assert snapshot(shop.bank) == before


# --- withdrawal and terminal states ---------------------------------------------------------------


def test_a_withdrawn_dispute_gives_the_money_back_and_may_be_opened_again(shop: Shop) -> None:
    payment = shop.pay("35.50")
    refund = shop.refused(payment, "30")
    dispute = shop.dispute(refund).reference
    shop.later(hours=1)
    assert shop.service.withdraw_dispute(dispute, idempotency_key=key()).approved
    assert (shop.merchant_money, shop.posted(SUSPENSE)) == (Money.of("35.50"), Money.of(0))
    assert shop.service.dispute(dispute).status is DisputeStatus.WITHDRAWN
    assert shop.service.payment(payment).claimed == Money.of(0)
    assert len(shop.events(DisputeWithdrawn)) == 1
    assert shop.dispute(refund).approved  # a withdrawn dispute does not count
    assert_books_balance(shop.bank)


def test_a_dispute_ends_in_exactly_one_terminal_state(shop: Shop) -> None:
    payment = shop.pay("100")
    decided = shop.opened(payment, "30")
    shop.respond(decided)
    shop.decide(decided, FOR_MERCHANT)
    withdrawn = shop.opened(payment, "20")
    shop.service.withdraw_dispute(withdrawn, idempotency_key=key())
    for dispute in (decided, withdrawn):
        before = snapshot(shop.bank)
        with pytest.raises(DisputeStateError):
            shop.service.withdraw_dispute(dispute, idempotency_key=key())
        with pytest.raises(DisputeStateError):
            shop.decide(dispute, FOR_CUSTOMER)
        with pytest.raises(DisputeStateError):
            shop.respond(dispute)
        assert snapshot(shop.bank) == before
    assert_books_balance(shop.bank)


# --- declines -----------------------------------------------------------------------------------


def test_a_request_still_open_or_accepted_cannot_be_disputed(shop: Shop) -> None:
    payment = shop.pay("35.50")
    waiting = shop.requested(payment, "10")
    accepted = shop.requested(payment, "10")
    shop.service.accept_refund(accepted, idempotency_key=key())
    for refund in (waiting, accepted):
        result = shop.dispute(refund)
        assert result.reference == refund
        assert result.decision == Declined(DeclineReason.DISPUTE_NOT_REFUSED)
    assert shop.service.disputes_for(waiting) == []


def test_one_standing_dispute_per_request_even_once_decided(shop: Shop) -> None:
    refund = shop.refused(shop.pay("35.50"), "30")
    dispute = shop.dispute(refund).reference
    assert shop.dispute(refund).decision == Declined(DeclineReason.DISPUTE_ALREADY_OPEN)
    shop.respond(dispute)
    shop.decide(dispute, FOR_CUSTOMER)
    assert shop.dispute(refund).decision == Declined(DeclineReason.DISPUTE_ALREADY_OPEN)


def test_a_dispute_must_be_opened_within_the_window_after_the_refusal(shop: Shop) -> None:
    refund = shop.refused(shop.pay("35.50"), "30")
    shop.later(days=30, seconds=1)
    before = snapshot(shop.bank)
    result = shop.dispute(refund)
    assert result.decision == Declined(
        DeclineReason.DISPUTE_WINDOW_CLOSED, deadline=START + timedelta(days=30)
    )
    after = snapshot(shop.bank)
    assert isinstance(before, tuple)
    assert isinstance(after, tuple)
    assert before[:-1] == after[:-1]  # only the idempotency record


def test_a_dispute_over_money_refunded_since_is_declined_until_it_fits(shop: Shop) -> None:
    payment = shop.pay("35.50")
    refund = shop.refused(payment, "30")
    shop.service.accept_refund(shop.requested(payment, "10"), idempotency_key=key())
    result = shop.dispute(refund)
    assert result.decision == Declined(
        DeclineReason.REFUND_EXCEEDS_REFUNDABLE,
        limit=Money.of("35.50"),
        used=Money.of("10"),
        remaining=Money.of("25.50"),
    )
    assert shop.dispute(refund, "25.50").approved


# --- idempotency and bad input --------------------------------------------------------------------


def test_replays_return_the_first_result_and_change_nothing(shop: Shop) -> None:
    refund = shop.refused(shop.pay("35.50"), "30")
    service = shop.service
    opened = service.open_dispute(refund, CUSTOMER, idempotency_key="open")
    dispute = opened.reference
    calls: list[Callable[[], OperationResult]] = [
        lambda: service.open_dispute(refund, CUSTOMER, idempotency_key="open"),
        lambda: service.respond_to_dispute(dispute, MERCHANT, idempotency_key="respond"),
        lambda: service.decide_dispute(dispute, FOR_MERCHANT, None, "ok", idempotency_key="dd"),
    ]
    for call in calls:
        first = call()
        before = snapshot(shop.bank)
        assert call() == first
        assert snapshot(shop.bank) == before
    assert shop.wallet_money == Money.of("994.50")


def test_a_withdrawal_replayed_returns_the_first_result(shop: Shop) -> None:
    dispute = shop.opened(shop.pay("35.50"), "30")
    first = shop.service.withdraw_dispute(dispute, idempotency_key="w")
    before = snapshot(shop.bank)
    assert shop.service.withdraw_dispute(dispute, idempotency_key="w") == first
    assert snapshot(shop.bank) == before


def test_a_key_reused_with_other_parameters_conflicts(shop: Shop) -> None:
    refund = shop.refused(shop.pay("35.50"), "30")
    dispute = shop.service.open_dispute(refund, CUSTOMER, idempotency_key="open").reference
    other = attrs.evolve(CUSTOMER, receipt="R-10")
    before = snapshot(shop.bank)
    with pytest.raises(IdempotencyConflict):
        shop.service.open_dispute(refund, other, idempotency_key="open")
    with pytest.raises(IdempotencyConflict):
        shop.service.withdraw_dispute(dispute, idempotency_key="open")
    assert snapshot(shop.bank) == before


BadCall = Callable[[Shop, str, str], object]


def _decide(outcome: object, amount: object, reason: object = "ok") -> BadCall:
    return lambda s, r, d: s.service.decide_dispute(
        d,
        outcome,  # type: ignore[arg-type]
        amount,  # type: ignore[arg-type]
        reason,  # type: ignore[arg-type]
        idempotency_key=key(),
    )


BAD_INPUT: list[tuple[BadCall, type[WalletError], str]] = [
    (lambda s, r, d: s.service.open_dispute(r, "broken", idempotency_key=key()),  # type: ignore[arg-type]
     TextTypeError, "must be DisputeEvidence"),
    (lambda s, r, d: s.service.open_dispute(r, CUSTOMER, Money.of("1", "USD"), idempotency_key=key()),
     InvalidAmountError, "not USD"),
    (lambda s, r, d: s.service.open_dispute(r, CUSTOMER, Money.of("31"), idempotency_key=key()),
     InvalidAmountError, "exceeds the refund asked for"),
    (lambda s, r, d: s.service.open_dispute("RF-404", CUSTOMER, idempotency_key=key()),
     NotFoundError, "no refund request"),
    (lambda s, r, d: s.service.respond_to_dispute(d, None, idempotency_key=key()),  # type: ignore[arg-type]
     TextTypeError, "must be DisputeEvidence"),
    (lambda s, r, d: s.service.respond_to_dispute("D-404", MERCHANT, idempotency_key=key()),
     NotFoundError, "no dispute"),
    (_decide("maybe", None), DisputeStateError, "unknown outcome"),
    (_decide(FOR_CUSTOMER, Money.of("1")), InvalidAmountError, "nothing is refunded"),
    (_decide(FOR_MERCHANT, Money.of("0")), InvalidAmountError, "above zero"),
    (_decide(FOR_MERCHANT, 5), AmountTypeError, "must be Money or None"),
    (_decide(FOR_MERCHANT, Money.of("5", "USD")), CurrencyMismatchError, "not USD"),
    (_decide(FOR_MERCHANT, Money.of("30.01")), InvalidAmountError, "at most the disputed"),
    (_decide(FOR_MERCHANT, None, " "), InvalidTextError, "must not be empty"),
    (_decide(FOR_MERCHANT, None, 3), TextTypeError, "must be a str"),
    (lambda s, r, d: s.service.withdraw_dispute("D 1", idempotency_key=key()),
     InvalidIdError, "DisputeId"),
    (lambda s, r, d: s.service.dispute("D-404"), NotFoundError, "no dispute"),
    (lambda s, r, d: s.service.disputes_for("RF-404"), NotFoundError, "no refund request"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "message"), BAD_INPUT)
def test_bad_input_raises_a_clear_error_and_changes_nothing(
    shop: Shop, call: BadCall, error: type[WalletError], message: str
) -> None:
    payment = shop.pay("35.50")
    refund = shop.refused(payment, "30")
    dispute = shop.dispute(shop.refused(payment, "5")).reference
    shop.later(days=3, seconds=1)  # past the response deadline: a decision may be taken
    before = snapshot(shop.bank)
    with pytest.raises(error, match=message):
        call(shop, refund, dispute)
    assert snapshot(shop.bank) == before


# --- what people are told -------------------------------------------------------------------------


def test_customer_and_merchant_hear_about_the_dispute(shop: Shop) -> None:
    dispute = shop.opened(shop.pay("35.50"), "30")
    shop.respond(dispute)
    shop.decide(dispute, FOR_MERCHANT, "25")
    shop.bank.dispatcher.dispatch(limit=1000)
    told = [
        (n.recipient, n.event_name)
        for n in shop.bank.notifier.sent
        if n.kind in (NotificationKind.DISPUTE_UPDATE, NotificationKind.REFUND_UPDATE)
    ]
    assert [t for t in told if t[0] == shop.wallet][-5:] == [
        (shop.wallet, "RefundRefused"),
        (shop.wallet, "DisputeOpened"),
        (shop.wallet, "DisputeResponded"),
        (shop.wallet, "DisputeDecided"),
        (shop.wallet, "RefundIssued"),
    ]
    merchant_told = [name for recipient, name in told if recipient != shop.wallet]
    assert merchant_told == ["MerchantFundsHeld", "MerchantFundsReleased"]
    decided = [n for n in shop.bank.notifier.sent if n.event_name == "DisputeDecided"]
    assert decided[0].text == f"The bank decided dispute {dispute}: 25.00 CNY refunded."


# --- the books, whatever happens ------------------------------------------------------------------

_ANSWERS = st.sampled_from(["accept", "refuse", "lapse"])
_ENDINGS = st.sampled_from(["merchant", "customer", "default", "withdraw"])


@settings(max_examples=25)
@given(
    price=st.integers(1, 50_000),
    steps=st.lists(
        st.tuples(st.integers(1, 10_000), _ANSWERS, st.integers(1, 10_000), _ENDINGS),
        min_size=1,
        max_size=4,
    ),
)
def test_every_path_conserves_money_and_never_refunds_more_than_was_captured(
    price: int, steps: list[tuple[int, str, int, str]]
) -> None:
    shop = Shop(WITH_MERCHANT_FEE)
    payment = shop.pay(str(Money._make(price, "CNY").amount))
    for asked, answer, part, ending in steps:
        refundable = shop.service.payment(payment).refundable.minor
        if refundable == 0:
            break
        amount = Money._make(1 + asked % refundable, "CNY")
        asking = shop.service.request_refund(payment, amount, "", idempotency_key=key())
        if isinstance(asking.decision, Declined):  # lapses and silences took the week
            assert asking.decision.reason is DeclineReason.REFUND_WINDOW_CLOSED
            break
        refund = asking.reference
        if answer == "accept":
            accepted = Money._make(1 + part % amount.minor, "CNY")
            shop.service.accept_refund(refund, accepted, idempotency_key=key())
            continue
        if answer == "refuse":
            shop.service.refuse_refund(refund, "no", idempotency_key=key())
        else:
            shop.later(days=3, seconds=1)
        dispute = shop.dispute(refund).reference
        assert_books_balance(shop.bank)
        if ending == "withdraw":
            shop.service.withdraw_dispute(dispute, idempotency_key=key())
        elif ending == "default":
            shop.later(days=3, seconds=1)
            assert shop.service.decide_unanswered_disputes() == 1
        else:
            shop.respond(dispute)
            award = str(Money._make(1 + part % amount.minor, "CNY").amount)
            shop.decide(dispute, FOR_MERCHANT, award) if ending == "merchant" else shop.decide(
                dispute, FOR_CUSTOMER
            )
        assert_books_balance(shop.bank)
    paid = shop.service.payment(payment)
    assert paid.claimed == Money.of(0)
    assert shop.posted(SUSPENSE) == Money.of(0)
    assert shop.wallet_money + shop.merchant_money + shop.posted(FEE_INCOME) == Money.of("1000")
    assert shop.wallet_money == Money.of("1000") - paid.captured + paid.refunded
    assert paid.fee_refunded.minor <= paid.merchant_fee.minor


def test_the_default_decision_sweep_skips_a_dispute_answered_since_its_query(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = shop.pay("35.50")
    answered = shop.opened(payment, "10")
    silent = shop.opened(payment, "5")
    shop.respond(answered)
    shop.later(days=4)
    stale = [answered, silent]  # as a query made before the response would have answered
    monkeypatch.setattr(_Disputes, "unanswered", lambda self, now, limit: stale[:limit])
    assert shop.service.decide_unanswered_disputes() == 1
    assert shop.service.dispute(answered).status is DisputeStatus.RESPONDED
    assert shop.service.dispute(silent).status is DisputeStatus.DECIDED


def test_a_payment_closes_only_the_disputes_it_has_open(shop: Shop) -> None:
    payment = shop.service.payment(shop.pay("35.50"))
    payment.open_dispute(Money.of("10"))
    with pytest.raises(RefundStateError, match=r"of a 10\.01 CNY dispute"):
        payment.close_dispute(Money.of("10.01"), Money.of(0))
    with pytest.raises(RefundStateError, match=r"cannot refund 10\.01 CNY of a 10\.00"):
        payment.close_dispute(Money.of("10"), Money.of("10.01"))
    with pytest.raises(RefundStateError, match="claimed by refund requests"):
        payment.settle_claim(Money.of("10"), Money.of(0))  # a dispute's claim, not a request's
    assert (payment.claimed, payment.disputed) == (Money.of("10"), Money.of("10"))


@settings(max_examples=30)
@given(
    rate=st.sampled_from(["0.006", "0.05", "0.3"]),
    price=st.integers(1, 3_000),
    data=st.data(),
)
def test_interleaved_refunds_and_disputes_keep_the_fee_shares_exact(
    rate: str, price: int, data: st.DataObject
) -> None:
    """Whatever the order, the merchant can always pay and the fee shares stay exact."""
    fees = FeeSchedule([FeeRule.percentage(OperationKind.PAYMENT, rate)])
    shop = Shop(attrs.evolve(WalletPolicies.default(), merchant_fees=fees))
    payment = shop.pay(str(Money._make(max(price, 2), "CNY").amount))
    service = shop.service
    for action in data.draw(st.lists(st.sampled_from("qarxdw"), min_size=1, max_size=12)):
        paid = service.payment(payment)
        refunds = service.refunds_for(payment)
        waiting = [r for r in refunds if r.status is RefundRequestStatus.REQUESTED]
        disputable = [
            r for r in refunds if r.is_disputable and not service.disputes_for(r.refund_id)
        ]
        standing = [
            d for r in refunds for d in service.disputes_for(r.refund_id) if not d.is_terminal
        ]
        if action == "q" and paid.refundable.minor:
            asked = data.draw(st.integers(1, paid.refundable.minor))
            service.request_refund(payment, Money._make(asked, "CNY"), "", idempotency_key=key())
        elif action in "ar" and waiting:
            request = data.draw(st.sampled_from(waiting))
            if action == "a":
                part = Money._make(data.draw(st.integers(1, request.requested.minor)), "CNY")
                service.accept_refund(request.refund_id, part, idempotency_key=key())
            else:
                service.refuse_refund(request.refund_id, "no", idempotency_key=key())
        elif action == "x" and disputable:
            request = data.draw(st.sampled_from(disputable))
            top = min(request.requested.minor, paid.refundable.minor)
            if top:
                disputed = Money._make(data.draw(st.integers(1, top)), "CNY")
                assert service.open_dispute(
                    request.refund_id, CUSTOMER, disputed, idempotency_key=key()
                ).approved
        elif action == "d" and standing:
            dispute = data.draw(st.sampled_from(standing))
            if dispute.status is DisputeStatus.OPEN:
                shop.respond(dispute.dispute_id)
            award = data.draw(st.integers(0, dispute.amount.minor))
            if award:
                shop.decide(dispute.dispute_id, FOR_MERCHANT, str(Money._make(award, "CNY").amount))
            else:
                shop.decide(dispute.dispute_id, FOR_CUSTOMER)
        elif action == "w" and standing:
            dispute = data.draw(st.sampled_from(standing))
            service.withdraw_dispute(dispute.dispute_id, idempotency_key=key())
        assert_books_balance(shop.bank)
        paid = service.payment(payment)
        committed = paid.refunded.minor + paid.disputed.minor
        assert paid.fee_refunded.minor == paid.merchant_fee.minor * committed // paid.captured.minor


def test_a_dispute_declined_for_an_unanswered_request_records_no_lapse(shop: Shop) -> None:
    # The merchant never answered; thirty-odd days later the window to dispute has closed.
    refund = shop.requested(shop.pay("35.50"), "30")
    shop.later(days=40)
    before = snapshot(shop.bank)
    result = shop.dispute(refund)
    assert result.decision.approved is False
    after = snapshot(shop.bank)
    assert isinstance(before, tuple)
    assert isinstance(after, tuple)
    assert before[:-1] == after[:-1]  # only the idempotency record
    assert shop.events(RefundLapsed) == []
    assert shop.service.lapse_refunds() == 1  # the sweep lapses it in its own time


def test_a_broken_item_does_not_stop_the_sweeps(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = shop.requested(shop.pay("10"), "10"), shop.requested(shop.pay("20"), "20")
    shop.later(days=4)
    real_lapse = shop.service._lapse

    def lapse_but_break_the_first(uow: Any, request: Any, now: Any) -> Any:
        if request.refund_id == first:
            raise WalletStateError("broken")
        return real_lapse(uow, request, now)

    monkeypatch.setattr(shop.service, "_lapse", lapse_but_break_the_first)
    assert shop.service.lapse_refunds() == 1
    assert shop.service.refund(second).status.value == "lapsed"
    assert shop.service.refund(first).status.value == "requested"  # still due next time

    disputes = [shop.opened(shop.pay("5"), "5"), shop.opened(shop.pay("6"), "6")]
    shop.later(days=4)
    real_close = shop.service._close

    def close_but_break_the_first(uow: Any, closed: Any, now: Any) -> None:
        if closed.dispute_id == disputes[0]:
            raise WalletStateError("broken")
        real_close(uow, closed, now)

    monkeypatch.setattr(shop.service, "_close", close_but_break_the_first)
    assert shop.service.decide_unanswered_disputes() == 1
    assert shop.service.dispute(disputes[0]).status.value == "open"


def test_disputes_the_bank_has_not_decided_in_time_are_listed_for_its_desk(shop: Shop) -> None:
    answered = shop.opened(shop.pay("35.50"), "30")
    shop.respond(answered)
    assert shop.service.overdue_disputes() == []
    shop.later(days=10, seconds=1)  # past the default 10-day decision deadline
    [late] = shop.service.overdue_disputes()
    assert late.dispute_id == answered
    shop.decide(answered, FOR_CUSTOMER)
    assert shop.service.overdue_disputes() == []
