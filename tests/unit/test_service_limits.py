"""Limit increases through the service: history from the event store, grants, expiry, replays."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.decisions import Declined, DeclineReason
from icbc_wallet.domain.disputes import DisputeEvidence, DisputeOutcome
from icbc_wallet.domain.events import (
    Event,
    LimitIncreaseApproved,
    LimitIncreaseDeclined,
    LimitIncreaseExpired,
)
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.limit_increase import (
    IncreaseApproved,
    IncreaseDeclined,
    LimitIncreaseDecision,
    LimitIncreaseTerms,
)
from icbc_wallet.domain.limits import Limit
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    CurrencyMismatchError,
    IdempotencyConflict,
    InvalidLimitIncreaseError,
    InvalidTextError,
    NotFoundError,
    TextTypeError,
    WalletClosedError,
    WalletStateError,
)
from icbc_wallet.service import WalletPolicies
from icbc_wallet.service.limits import LimitCommands

START = datetime(2026, 3, 2, 2, tzinfo=UTC)
CARD = BankCard.parse("6225768888888888")
RAISED = Limit.of(per_transaction="80000", daily="150000")
"""Above WL02's 50,000 / 100,000 and within the default maximum of twice those."""
EASY = LimitIncreaseTerms(min_account_age_days=0, min_payments_90d=0)

_keys = itertools.count(1)


def key() -> str:
    return f"key-{next(_keys)}"


def open_wallet(bank: InMemoryBank) -> WalletId:
    """A WL02 wallet (phone, identity and a bank card), opened at the clock's instant."""
    service, phone = bank.service, PhoneNumber.parse("13800138000")
    registration = service.start_registration(phone, idempotency_key=key())
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key=key())
    service.provide_identity(
        registration, "张三", ResidentId.parse("34052419800101001X"), idempotency_key=key()
    )
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=key())
    service.add_card(registration, CARD, idempotency_key=key())
    return service.submit_registration(registration, idempotency_key=key())


def events(bank: InMemoryBank, wallet_id: str) -> list[Event]:
    with bank.store.unit_of_work() as uow:
        return uow.events.for_aggregate(wallet_id)


def of_type(bank: InMemoryBank, wallet_id: str, kind: type[Event]) -> list[Event]:
    return [event for event in events(bank, wallet_id) if type(event) is kind]


class Shop:
    """A funded wallet and a merchant to pay."""

    def __init__(self, policies: WalletPolicies | None = None) -> None:
        self.bank = in_memory(policies, start=START)
        self.service = self.bank.service
        self.wallet = open_wallet(self.bank)
        self.merchant = self.service.register_merchant(
            "Coffee", MerchantCreditCode.parse("91110000600037341L"), "food", idempotency_key=key()
        )
        self.service.top_up(self.wallet, CARD, Money.of("200000"), idempotency_key=key())

    def pay(self, amount: str, method: str = "online") -> bool:
        result = self.service.pay(
            self.wallet, self.merchant, Money.of(amount), method=method, idempotency_key=key()
        )
        return result.approved

    def apply(
        self, requested: Limit = RAISED, reason: str = "renovating my flat"
    ) -> LimitIncreaseDecision:
        return self.service.apply_for_limit_increase(
            self.wallet, requested, reason, idempotency_key=key()
        )

    def later(self, **step: float) -> None:
        self.bank.clock.advance(timedelta(**step))

    def refunded(self, amount: str) -> None:
        """Pay, ask for ``amount`` back, and the merchant accepts."""
        payment = self.service.pay(
            self.wallet, self.merchant, Money.of("50"), method="online", idempotency_key=key()
        )
        asked = self.service.request_refund(
            payment.reference, Money.of(amount), idempotency_key=key()
        )
        self.service.accept_refund(asked.reference, idempotency_key=key())

    def disputed(self, outcome: DisputeOutcome) -> None:
        """Pay, ask for it back, be refused, and take it to the bank, which decides ``outcome``."""
        payment = self.service.pay(
            self.wallet, self.merchant, Money.of("50"), method="online", idempotency_key=key()
        )
        asked = self.service.request_refund(
            payment.reference, Money.of("50"), idempotency_key=key()
        )
        self.service.refuse_refund(asked.reference, "used goods", idempotency_key=key())
        evidence = DisputeEvidence(order_number="SO-1", description="It arrived broken.")
        opened = self.service.open_dispute(asked.reference, evidence, idempotency_key=key())
        self.service.respond_to_dispute(opened.reference, evidence, idempotency_key=key())
        self.service.decide_dispute(
            opened.reference, outcome, None, "the bank's reasons", idempotency_key=key()
        )


def with_terms(terms: LimitIncreaseTerms) -> WalletPolicies:
    return attrs.evolve(WalletPolicies.default(), increase_terms=terms)


@pytest.fixture
def seasoned() -> Shop:
    """A wallet with ten payments behind it, thirty days old: it meets the default terms."""
    shop = Shop()
    for _ in range(10):
        assert shop.pay("10")
    shop.later(days=30)
    return shop


# --- approval and expiry ------------------------------------------------------------------


def test_a_customer_who_meets_the_terms_gets_the_caps_asked_for_for_thirty_days(
    seasoned: Shop,
) -> None:
    decision = seasoned.apply()
    assert isinstance(decision, IncreaseApproved)
    assert decision.grant.limit == RAISED
    assert decision.grant.expires_at == seasoned.bank.clock.now() + timedelta(days=30)
    wallet = seasoned.service.wallet(seasoned.wallet)
    assert wallet.grant == decision.grant
    assert wallet.limits.limit.per_transaction == Money.of("80000")
    assert wallet.tier == "WL02"
    [approved] = of_type(seasoned.bank, seasoned.wallet, LimitIncreaseApproved)
    assert isinstance(approved, LimitIncreaseApproved)
    assert (approved.limit, approved.expires_at) == (RAISED, decision.grant.expires_at)


def test_a_payment_above_the_tier_cap_passes_while_the_grant_lasts_and_not_after(
    seasoned: Shop,
) -> None:
    assert not seasoned.pay("60000")  # above WL02's 50,000 per transaction
    seasoned.apply()
    assert seasoned.pay("60000")
    seasoned.later(days=29, hours=23)
    assert seasoned.pay("60000")
    assert of_type(seasoned.bank, seasoned.wallet, LimitIncreaseExpired) == []
    seasoned.later(hours=1)  # exactly 30 days: the grant's end is excluded
    result = seasoned.service.pay(
        seasoned.wallet,
        seasoned.merchant,
        Money.of("60000"),
        method="online",
        idempotency_key=key(),
    )
    assert isinstance(result.decision, Declined)
    assert result.decision.reason is DeclineReason.PER_TRANSACTION_LIMIT
    assert result.decision.limit == Money.of("50000")
    [expired] = of_type(seasoned.bank, seasoned.wallet, LimitIncreaseExpired)
    assert expired.at == seasoned.bank.clock.now()
    wallet = seasoned.service.wallet(seasoned.wallet)
    assert wallet.grant is None
    assert wallet.limits == seasoned.service.policies.limits.tier("WL02")


def test_a_declined_application_changes_no_limit_and_records_every_reason() -> None:
    shop = Shop()
    decision = shop.apply()
    assert isinstance(decision, IncreaseDeclined)
    assert decision.decline_reasons == (
        DeclineReason.INCREASE_ACCOUNT_TOO_NEW,
        DeclineReason.INCREASE_TOO_FEW_PAYMENTS,
    )
    [declined] = of_type(shop.bank, shop.wallet, LimitIncreaseDeclined)
    assert isinstance(declined, LimitIncreaseDeclined)
    assert declined.reasons == ("increase.account_too_new", "increase.too_few_payments")
    wallet = shop.service.wallet(shop.wallet)
    assert wallet.grant is None
    assert wallet.limits == shop.service.policies.limits.tier("WL02")


def test_a_new_application_after_a_lapsed_grant_records_the_expiry_first(seasoned: Shop) -> None:
    seasoned.apply()
    seasoned.later(days=31)
    second = seasoned.apply()
    assert isinstance(second, IncreaseApproved)
    names = [event.name for event in events(seasoned.bank, seasoned.wallet)][-2:]
    assert names == ["LimitIncreaseExpired", "LimitIncreaseApproved"]
    assert seasoned.service.wallet(seasoned.wallet).grant == second.grant


def test_a_second_application_while_a_grant_runs_is_refused_and_keeps_the_grant(
    seasoned: Shop,
) -> None:
    first = seasoned.apply()
    assert isinstance(first, IncreaseApproved)
    seasoned.later(days=3)
    with pytest.raises(WalletStateError, match="has an increase until"):
        seasoned.service.apply_for_limit_increase(
            seasoned.wallet, RAISED, "more", idempotency_key="again"
        )
    assert seasoned.service.wallet(seasoned.wallet).grant == first.grant


# --- each decline reason, reached through the service -----------------------------------


def test_a_tier_outside_the_eligible_ones_is_declined() -> None:
    shop = Shop(with_terms(attrs.evolve(EASY, eligible_tiers={"WL01"})))
    decision = shop.apply()
    assert isinstance(decision, IncreaseDeclined)
    assert decision.decline_reasons == (DeclineReason.INCREASE_TIER_NOT_ELIGIBLE,)
    assert decision.reasons[0].actual == "WL02"


def test_a_young_account_is_declined_until_it_is_old_enough() -> None:
    shop = Shop(with_terms(attrs.evolve(EASY, min_account_age_days=30)))
    shop.later(days=29, hours=23)
    decision = shop.apply()
    assert isinstance(decision, IncreaseDeclined)
    assert decision.decline_reasons == (DeclineReason.INCREASE_ACCOUNT_TOO_NEW,)
    assert (decision.reasons[0].actual, decision.reasons[0].required) == (29, 30)
    shop.later(hours=1)
    assert isinstance(shop.apply(), IncreaseApproved)


def test_too_few_recent_payments_are_declined_and_old_ones_do_not_count() -> None:
    shop = Shop(with_terms(attrs.evolve(EASY, min_payments_90d=2)))
    assert shop.pay("10")
    shop.later(days=91)
    assert shop.pay("10")
    decision = shop.apply()
    assert isinstance(decision, IncreaseDeclined)
    assert decision.decline_reasons == (DeclineReason.INCREASE_TOO_FEW_PAYMENTS,)
    assert decision.reasons[0].actual == 1
    assert shop.pay("10")
    assert isinstance(shop.apply(), IncreaseApproved)


def test_too_many_recent_declines_are_declined_until_they_are_a_month_old() -> None:
    shop = Shop(with_terms(attrs.evolve(EASY, max_declines_30d=1)))
    assert not shop.pay("501", method="static_qr")  # above the static QR code's 500 a day
    assert not shop.service.withdraw(
        shop.wallet, CARD, Money.of("1001"), idempotency_key=key()
    ).approved
    decision = shop.apply()
    assert isinstance(decision, IncreaseDeclined)
    assert decision.decline_reasons == (DeclineReason.INCREASE_TOO_MANY_DECLINES,)
    assert decision.reasons[0].actual == 2
    shop.later(days=30)  # a decline exactly 30 days old still counts
    assert isinstance(shop.apply(), IncreaseDeclined)
    shop.later(seconds=1)
    assert isinstance(shop.apply(), IncreaseApproved)


def test_a_dispute_lost_is_declined_and_one_won_is_not() -> None:
    shop = Shop(with_terms(EASY))
    shop.disputed(DisputeOutcome.MERCHANT_RESPONSIBLE)
    history = shop.service.transaction_history(shop.wallet)
    assert (history.disputes_lost, history.refunds_90d) == (0, 1)  # a won dispute refunds
    assert isinstance(shop.apply(), IncreaseApproved)
    shop.disputed(DisputeOutcome.CUSTOMER_RESPONSIBLE)
    shop.later(days=365)  # lost disputes count for ever
    decision = shop.apply()
    assert isinstance(decision, IncreaseDeclined)
    assert decision.decline_reasons == (DeclineReason.INCREASE_DISPUTES_LOST,)
    assert decision.reasons[0].actual == 1


def test_caps_above_the_maximum_multiple_are_declined_not_trimmed() -> None:
    shop = Shop(with_terms(EASY))
    decision = shop.apply(Limit.of(per_transaction="100000.01", daily="150000"))
    assert isinstance(decision, IncreaseDeclined)
    assert decision.decline_reasons == (DeclineReason.INCREASE_ABOVE_MAXIMUM,)
    assert decision.reasons[0].required == Money.of("100000")
    assert shop.service.wallet(shop.wallet).grant is None


# --- the history the review sees ---------------------------------------------------------


def test_a_payment_captured_in_parts_counts_once_with_its_whole_total() -> None:
    shop = Shop()
    held = shop.service.authorise(
        shop.wallet, shop.merchant, Money.of("300"), method="online", idempotency_key=key()
    )
    shop.service.capture(held.reference, Money.of("100"), final=False, idempotency_key=key())
    shop.service.capture(held.reference, Money.of("200"), idempotency_key=key())
    history = shop.service.transaction_history(shop.wallet)
    assert (history.payments_90d, history.payments_total_90d) == (1, Money.of("300"))


def test_the_history_counts_declines_refunds_and_the_account_age() -> None:
    shop = Shop()
    assert shop.pay("20")
    assert not shop.pay("600", method="static_qr")
    assert not shop.service.top_up(
        shop.wallet, CARD, Money.of("400000"), idempotency_key=key()
    ).approved
    shop.refunded("5")
    shop.later(days=45, hours=12)
    history = shop.service.transaction_history(shop.wallet)
    assert history.account_age_days == 45
    assert (history.payments_90d, history.payments_total_90d) == (2, Money.of("70"))
    assert (history.declines_30d, history.refunds_90d, history.disputes_lost) == (0, 1, 0)
    shop.later(days=45)
    assert shop.service.transaction_history(shop.wallet).refunds_90d == 0


def test_the_history_counts_declines_of_the_last_thirty_days() -> None:
    shop = Shop()
    assert not shop.pay("600", method="static_qr")
    assert not shop.service.top_up(
        shop.wallet, CARD, Money.of("400000"), idempotency_key=key()
    ).approved
    assert shop.service.transaction_history(shop.wallet).declines_30d == 2


# --- idempotency --------------------------------------------------------------------------


def test_a_replay_returns_the_first_decision_and_records_nothing_more(seasoned: Shop) -> None:
    apply = seasoned.service.apply_for_limit_increase
    first = apply(seasoned.wallet, RAISED, "a wedding", idempotency_key="increase-1")
    seasoned.later(minutes=5)
    again = apply(seasoned.wallet, RAISED, "a wedding", idempotency_key="increase-1")
    assert again == first
    assert len(of_type(seasoned.bank, seasoned.wallet, LimitIncreaseApproved)) == 1


def test_the_same_key_for_another_application_is_a_conflict(seasoned: Shop) -> None:
    apply = seasoned.service.apply_for_limit_increase
    apply(seasoned.wallet, RAISED, "a wedding", idempotency_key="increase-1")
    with pytest.raises(IdempotencyConflict):
        apply(seasoned.wallet, RAISED, "a funeral", idempotency_key="increase-1")
    with pytest.raises(IdempotencyConflict):
        apply(
            seasoned.wallet,
            Limit.of(per_transaction="90000", daily="150000"),
            "a wedding",
            idempotency_key="increase-1",
        )


# --- bad input ----------------------------------------------------------------------------


@pytest.fixture
def shop() -> Shop:
    return Shop(with_terms(EASY))


@pytest.mark.parametrize(
    ("requested", "reason", "error"),
    [
        ({"per_transaction": "80000"}, "flat", InvalidLimitIncreaseError),
        (RAISED, "", InvalidTextError),
        (RAISED, "   ", InvalidTextError),
        (RAISED, "x" * 201, InvalidTextError),
        (RAISED, "line\nbreak", InvalidTextError),
        (RAISED, b"bytes", TextTypeError),
        (
            Limit.of(per_transaction="80000", daily="150000", currency="USD"),
            "usd",
            CurrencyMismatchError,
        ),
        (Limit.of(per_transaction="40000", daily="150000"), "lower", InvalidLimitIncreaseError),
        (Limit.of(per_transaction="50000", daily="100000"), "same", InvalidLimitIncreaseError),
    ],
)
def test_bad_input_is_refused_and_records_nothing(
    shop: Shop, requested: object, reason: object, error: type[Exception]
) -> None:
    before = events(shop.bank, shop.wallet)
    with pytest.raises(error):
        shop.service.apply_for_limit_increase(
            shop.wallet,
            requested,  # type: ignore[arg-type]  # bad input on purpose
            reason,  # type: ignore[arg-type]
            idempotency_key="bad",
        )
    assert events(shop.bank, shop.wallet) == before
    # The key of a refused command is free again.
    assert isinstance(
        shop.service.apply_for_limit_increase(shop.wallet, RAISED, "ok", idempotency_key="bad"),
        IncreaseApproved,
    )


def test_a_closed_wallet_cannot_apply() -> None:
    bank = in_memory(with_terms(EASY), start=START)
    wallet = open_wallet(bank)
    bank.service.close(wallet, idempotency_key=key())
    before = events(bank, wallet)
    with pytest.raises(WalletClosedError):
        bank.service.apply_for_limit_increase(wallet, RAISED, "why not", idempotency_key=key())
    assert events(bank, wallet) == before


def test_a_frozen_wallet_cannot_apply_until_unfrozen() -> None:
    shop = Shop(with_terms(EASY))
    shop.service.freeze(shop.wallet, "lost phone", idempotency_key=key())
    before = events(shop.bank, shop.wallet)
    with pytest.raises(WalletStateError, match="frozen"):
        shop.apply()
    assert events(shop.bank, shop.wallet) == before
    shop.service.unfreeze(shop.wallet, idempotency_key=key())
    assert isinstance(shop.apply(), IncreaseApproved)


def test_an_unknown_wallet_cannot_apply() -> None:
    bank = in_memory(start=START)
    with pytest.raises(NotFoundError):
        bank.service.apply_for_limit_increase("W-404", RAISED, "hello", idempotency_key=key())


def test_the_limit_commands_are_part_of_the_wallet_service() -> None:
    assert isinstance(in_memory(start=START).service, LimitCommands)
