"""Refund requests through the service: the window, the claims, the merchant's answer, the books."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from icbc_wallet.adapters.memory import _Refunds
from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.decisions import Approved, Declined, DeclineReason
from icbc_wallet.domain.events import (
    Event,
    MerchantRefunded,
    RefundIssued,
    RefundLapsed,
    RefundRefused,
    RefundRequested,
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
    IdempotencyConflict,
    InvalidAmountError,
    InvalidIdError,
    InvalidTextError,
    NotFoundError,
    PaymentStateError,
    RefundStateError,
    TextTypeError,
    WalletError,
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
            "Coffee", MerchantCreditCode.parse("91110000600037341L"), "food", idempotency_key=key()
        )
        service.top_up(self.wallet, CARD, Money.of("1000"), idempotency_key=key())

    def pay(self, amount: str) -> str:
        result = self.service.pay(
            self.wallet, self.merchant, Money.of(amount), method="online", idempotency_key=key()
        )
        assert result.approved
        return result.reference

    def ask(self, payment: str, amount: str, reason: str = "wrong size") -> OperationResult:
        return self.service.request_refund(payment, Money.of(amount), reason, idempotency_key=key())

    def requested(self, payment: str, amount: str) -> str:
        result = self.ask(payment, amount)
        assert result.approved, result
        return result.reference

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
    """Money is conserved, balances equal their postings, aggregates agree with the ledger."""
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


# --- the happy paths ------------------------------------------------------------------------------


def test_a_full_refund_moves_the_whole_payment_back_from_merchant_to_wallet(shop: Shop) -> None:
    payment = shop.pay("35.50")
    result = shop.ask(payment, "35.50")
    assert result.approved
    assert result.reference.startswith("RF-")
    assert result.decision == Approved(remaining=Money.of(0), deadline=START + timedelta(days=7))
    assert shop.service.payment(payment).claimed == Money.of("35.50")
    accepted = shop.service.accept_refund(result.reference, idempotency_key=key())
    assert accepted == OperationResult(result.reference, accepted.decision, Money.of(0))
    assert accepted.approved
    assert shop.wallet_money == Money.of("1000")
    assert shop.merchant_money == Money.of(0)
    refund = shop.service.refund(result.reference)
    assert (refund.status, refund.accepted) == (RefundRequestStatus.ACCEPTED, Money.of("35.50"))
    paid = shop.service.payment(payment)
    assert (paid.refunded, paid.claimed, paid.refundable) == (Money.of("35.50"), Money.of(0),
                                                              Money.of(0))  # fmt: skip
    assert len(shop.events(RefundIssued)) == 1
    assert len(shop.events(MerchantRefunded, shop.merchant)) == 1
    assert_books_balance(shop.bank)


def test_a_partial_acceptance_refunds_only_what_the_merchant_accepts(shop: Shop) -> None:
    payment = shop.pay("35.50")
    refund = shop.requested(payment, "30")
    shop.later(days=1)
    shop.service.accept_refund(refund, Money.of("10"), idempotency_key=key())
    assert shop.wallet_money == Money.of("974.50")
    assert shop.merchant_money == Money.of("25.50")
    paid = shop.service.payment(payment)
    assert (paid.refunded, paid.claimed, paid.refundable) == (Money.of("10"), Money.of(0),
                                                              Money.of("25.50"))  # fmt: skip
    assert_books_balance(shop.bank)


def test_partial_refunds_add_up_to_the_captured_amount_and_no_further(shop: Shop) -> None:
    payment = shop.pay("35.50")
    for amount in ("20", "15.50"):
        shop.service.accept_refund(shop.requested(payment, amount), idempotency_key=key())
    late = shop.ask(payment, "0.01")
    assert isinstance(late.decision, Declined)
    assert late.decision.reason is DeclineReason.REFUND_EXCEEDS_REFUNDABLE
    assert shop.wallet_money == Money.of("1000")
    assert_books_balance(shop.bank)


def test_two_open_requests_together_cannot_claim_more_than_was_captured(shop: Shop) -> None:
    payment = shop.pay("35.50")
    shop.requested(payment, "30")
    second = shop.ask(payment, "10")
    assert second.decision == Declined(
        DeclineReason.REFUND_EXCEEDS_REFUNDABLE,
        limit=Money.of("35.50"),
        used=Money.of("30"),
        remaining=Money.of("5.50"),
    )
    shop.requested(payment, "5.50")
    assert shop.service.payment(payment).refundable == Money.of(0)
    assert [r.requested for r in shop.service.refunds_for(payment)] == [Money.of("30"),
                                                                        Money.of("5.50")]  # fmt: skip


# --- declines and deadlines -----------------------------------------------------------------------


def test_a_refund_above_what_is_refundable_is_declined_and_records_only_its_key(shop: Shop) -> None:
    payment = shop.pay("35.50")
    before = snapshot(shop.bank)
    result = shop.ask(payment, "40")
    assert result.reference == payment
    assert isinstance(result.decision, Declined)
    assert result.decision.reason is DeclineReason.REFUND_EXCEEDS_REFUNDABLE
    assert result.decision.remaining == Money.of("35.50")
    after = snapshot(shop.bank)
    assert isinstance(before, tuple)
    assert isinstance(after, tuple)
    assert before[:-1] == after[:-1]
    assert len(after[-1]) == len(before[-1]) + 1  # the idempotency record
    assert shop.service.refunds_for(payment) == []


def test_a_refund_is_declined_from_the_instant_the_window_closes(shop: Shop) -> None:
    payment = shop.pay("35.50")
    shop.later(days=7, seconds=-1)
    assert shop.ask(payment, "1").approved
    shop.later(seconds=1)
    late = shop.ask(payment, "1")
    assert isinstance(late.decision, Declined)
    assert late.decision.reason is DeclineReason.REFUND_WINDOW_CLOSED
    assert late.decision.deadline == START + timedelta(days=7)


def test_an_answer_after_the_deadline_is_refused_and_changes_nothing(shop: Shop) -> None:
    refund = shop.requested(shop.pay("35.50"), "35.50")
    shop.later(days=3, seconds=1)
    before = snapshot(shop.bank)
    with pytest.raises(RefundStateError, match="answered by"):
        shop.service.accept_refund(refund, idempotency_key=key())
    with pytest.raises(RefundStateError, match="answered by"):
        shop.service.refuse_refund(refund, "worn", idempotency_key=key())
    assert snapshot(shop.bank) == before


def test_a_request_is_answered_once(shop: Shop) -> None:
    refund = shop.requested(shop.pay("35.50"), "35.50")
    shop.service.refuse_refund(refund, "worn", idempotency_key=key())
    with pytest.raises(RefundStateError, match="already refused"):
        shop.service.accept_refund(refund, idempotency_key=key())


def test_a_refusal_releases_the_claim_and_tells_the_customer_why(shop: Shop) -> None:
    payment = shop.pay("35.50")
    refund = shop.requested(payment, "30")
    result = shop.service.refuse_refund(refund, "the cup was used", idempotency_key=key())
    assert result.approved
    assert result.reference == refund
    request = shop.service.refund(refund)
    assert (request.status, request.refusal_reason) == (RefundRequestStatus.REFUSED,
                                                        "the cup was used")  # fmt: skip
    assert shop.service.payment(payment).refundable == Money.of("35.50")
    assert shop.events(RefundRefused)[0] == RefundRefused(
        aggregate_id=shop.wallet,
        version=shop.service.wallet(shop.wallet).version,
        at=START,
        refund_id=refund,
        payment_id=payment,
        reason="the cup was used",
    )
    assert shop.wallet_money == Money.of("964.50")
    assert_books_balance(shop.bank)


def test_an_unanswered_request_lapses_only_after_its_deadline(shop: Shop) -> None:
    payment = shop.pay("35.50")
    refund = shop.requested(payment, "30")
    answered = shop.requested(payment, "5")
    shop.service.accept_refund(answered, idempotency_key=key())
    shop.later(days=3)
    assert shop.service.lapse_refunds() == 0
    shop.later(seconds=1)
    assert shop.service.lapse_refunds() == 1
    assert shop.service.refund(refund).status is RefundRequestStatus.LAPSED
    assert shop.service.payment(payment).claimed == Money.of(0)
    assert len(shop.events(RefundLapsed)) == 1
    assert shop.service.lapse_refunds() == 0
    assert_books_balance(shop.bank)


def test_the_lapse_sweep_works_in_batches() -> None:
    shop = Shop()
    payment = shop.pay("35.50")
    for _ in range(3):
        shop.requested(payment, "1")
    shop.later(days=4)
    assert shop.service.lapse_refunds(limit=2) == 2
    assert shop.service.lapse_refunds(limit=2) == 1
    assert shop.service.payment(payment).claimed == Money.of(0)


# --- the merchant's fee ---------------------------------------------------------------------------


def test_the_merchant_fee_goes_back_to_the_merchant_pro_rata() -> None:
    shop = Shop(WITH_MERCHANT_FEE)
    payment = shop.pay("35.50")  # fee 0.21 (0.006 * 35.50 = 0.213), the merchant gets 35.29
    assert (shop.merchant_money, shop.posted(FEE_INCOME)) == (Money.of("35.29"), Money.of("0.21"))
    first = shop.service.accept_refund(shop.requested(payment, "10"), idempotency_key=key())
    assert first.fee == Money.of("0.05")  # 0.21 * 10 / 35.50 = 0.059, rounded down
    assert shop.wallet_money == Money.of("974.50")  # the customer gets exactly what was accepted
    assert (shop.merchant_money, shop.posted(FEE_INCOME)) == (Money.of("25.34"), Money.of("0.16"))
    rest = shop.service.accept_refund(shop.requested(payment, "25.50"), idempotency_key=key())
    assert rest.fee == Money.of("0.16")  # the shares add up to the whole fee
    assert shop.wallet_money == Money.of("1000")
    assert (shop.merchant_money, shop.posted(FEE_INCOME)) == (Money.of(0), Money.of(0))
    paid = shop.service.payment(payment)
    assert (paid.fee_refunded, paid.merchant_fee) == (Money.of("0.21"), Money.of("0.21"))
    assert [e.amount for e in shop.events(MerchantRefunded, shop.merchant)] == [  # type: ignore[attr-defined]
        Money.of("9.95"),
        Money.of("25.34"),
    ]
    assert_books_balance(shop.bank)


# --- payments that cannot be refunded (yet) -------------------------------------------------------


def test_a_payment_still_on_hold_or_never_captured_cannot_be_refunded(shop: Shop) -> None:
    held = shop.service.authorise(
        shop.wallet, shop.merchant, Money.of("200"), method="online", idempotency_key=key()
    ).reference
    with pytest.raises(PaymentStateError, match="capture is final"):
        shop.ask(held, "1")
    shop.service.capture(held, Money.of("150"), final=False, idempotency_key=key())
    with pytest.raises(PaymentStateError, match=r"still holds 50\.00"):
        shop.ask(held, "1")
    shop.service.void(held, idempotency_key=key())
    assert shop.ask(held, "150").approved
    voided = shop.service.authorise(
        shop.wallet, shop.merchant, Money.of("20"), method="online", idempotency_key=key()
    ).reference
    shop.service.void(voided, idempotency_key=key())
    with pytest.raises(PaymentStateError, match="captured nothing"):
        shop.ask(voided, "1")


# --- idempotency and bad input --------------------------------------------------------------------


def test_replays_return_the_first_result_and_change_nothing(shop: Shop) -> None:
    payment = shop.pay("35.50")
    asked = shop.service.request_refund(payment, Money.of("30"), "", idempotency_key="ask")
    before = snapshot(shop.bank)
    assert shop.service.request_refund(payment, Money.of("30"), "", idempotency_key="ask") == asked
    assert snapshot(shop.bank) == before
    accepted = shop.service.accept_refund(asked.reference, idempotency_key="yes")
    before = snapshot(shop.bank)
    assert shop.service.accept_refund(asked.reference, idempotency_key="yes") == accepted
    assert snapshot(shop.bank) == before
    declined = shop.ask(payment, "100")
    refused = shop.service.refuse_refund(shop.requested(payment, "1"), "no", idempotency_key="no")
    assert shop.service.refuse_refund(refused.reference, "no", idempotency_key="no") == refused
    assert declined.decision != refused.decision
    assert shop.wallet_money == Money.of("994.50")


def test_a_key_reused_with_other_parameters_conflicts(shop: Shop) -> None:
    payment = shop.pay("35.50")
    shop.service.request_refund(payment, Money.of("30"), "", idempotency_key="ask")
    before = snapshot(shop.bank)
    with pytest.raises(IdempotencyConflict):
        shop.service.request_refund(payment, Money.of("31"), "", idempotency_key="ask")
    with pytest.raises(IdempotencyConflict):
        shop.service.accept_refund("RF-000001", idempotency_key="ask")
    assert snapshot(shop.bank) == before


BadCall = Callable[[Shop, str, str], object]

BAD_INPUT: list[tuple[BadCall, type[WalletError], str]] = [
    (lambda s, p, r: s.service.request_refund(p, 30, "", idempotency_key=key()),  # type: ignore[arg-type]
     InvalidAmountError, "must be Money"),
    (lambda s, p, r: s.service.request_refund(p, Money.of("30", "USD"), "", idempotency_key=key()),
     InvalidAmountError, "not USD"),
    (lambda s, p, r: s.service.request_refund(p, Money.of(0), "", idempotency_key=key()),
     InvalidAmountError, "positive"),
    (lambda s, p, r: s.service.request_refund(p, Money.of(1), 7, idempotency_key=key()),  # type: ignore[arg-type]
     TextTypeError, "reason must be a str"),
    (lambda s, p, r: s.service.request_refund(p, Money.of(1), "a\x00b", idempotency_key=key()),
     InvalidTextError, "control characters"),
    (lambda s, p, r: s.service.request_refund("P 1", Money.of(1), "", idempotency_key=key()),
     InvalidIdError, "PaymentId"),
    (lambda s, p, r: s.service.request_refund("P-404", Money.of(1), "", idempotency_key=key()),
     NotFoundError, "no payment"),
    (lambda s, p, r: s.service.request_refund(p, Money.of(1), "", idempotency_key=""),
     InvalidIdError, "IdempotencyKey"),
    (lambda s, p, r: s.service.accept_refund("RF-404", idempotency_key=key()),
     NotFoundError, "no refund request"),
    (lambda s, p, r: s.service.accept_refund(r, Money.of("30.01"), idempotency_key=key()),
     RefundStateError, "asked for 30.00"),
    (lambda s, p, r: s.service.accept_refund(r, Money.of("-1"), idempotency_key=key()),
     InvalidAmountError, "positive"),
    (lambda s, p, r: s.service.refuse_refund(r, "  ", idempotency_key=key()),
     InvalidTextError, "must not be empty"),
    (lambda s, p, r: s.service.refuse_refund(r, "x" * 501, idempotency_key=key()),
     InvalidTextError, "at most 500"),
    (lambda s, p, r: s.service.refunds_for("P-404"), NotFoundError, "no payment"),
    (lambda s, p, r: s.service.refund("RF 1"), InvalidIdError, "RefundId"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "message"), BAD_INPUT)
def test_bad_input_raises_a_clear_error_and_changes_nothing(
    shop: Shop, call: BadCall, error: type[WalletError], message: str
) -> None:
    payment = shop.pay("35.50")
    refund = shop.requested(payment, "30")
    before = snapshot(shop.bank)
    with pytest.raises(error, match=message):
        call(shop, payment, refund)
    assert snapshot(shop.bank) == before


# --- what people are told -------------------------------------------------------------------------


def test_customer_and_merchant_hear_about_every_step(shop: Shop) -> None:
    payment = shop.pay("35.50")
    shop.service.accept_refund(shop.requested(payment, "10"), idempotency_key=key())
    shop.service.refuse_refund(shop.requested(payment, "5"), "no", idempotency_key=key())
    shop.requested(payment, "1")
    shop.later(days=4)
    shop.service.lapse_refunds()
    shop.bank.dispatcher.dispatch(limit=1000)
    refunds = [n for n in shop.bank.notifier.sent if n.kind is NotificationKind.REFUND_UPDATE]
    assert [(n.recipient, n.event_name) for n in refunds] == [
        (shop.wallet, "RefundRequested"),
        (shop.wallet, "RefundIssued"),
        (shop.merchant, "MerchantRefunded"),
        (shop.wallet, "RefundRequested"),
        (shop.wallet, "RefundRefused"),
        (shop.wallet, "RefundRequested"),
        (shop.wallet, "RefundLapsed"),
    ]
    assert refunds[1].text == f"10.00 CNY was refunded for payment {payment}."
    requested = shop.events(RefundRequested)[0]
    assert requested.answer_deadline == START + timedelta(days=3)  # type: ignore[attr-defined]


def test_the_lapse_sweep_skips_a_request_answered_since_its_query(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = shop.pay("35.50")
    answered = shop.requested(payment, "10")
    silent = shop.requested(payment, "5")
    shop.service.refuse_refund(answered, "no", idempotency_key=key())
    shop.later(days=4)
    stale = [answered, silent]  # as a query made before the refusal would have answered
    monkeypatch.setattr(_Refunds, "unanswered", lambda self, now, limit: stale[:limit])
    assert shop.service.lapse_refunds() == 1
    assert shop.service.refund(answered).status is RefundRequestStatus.REFUSED
    assert shop.service.refund(silent).status is RefundRequestStatus.LAPSED
