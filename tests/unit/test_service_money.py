"""Money through the service: top-ups, withdrawals, payments, holds, transfers and idempotency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import APPROVED, Declined, DeclineReason
from icbc_wallet.domain.events import (
    Event,
    LimitIncreaseExpired,
    LimitUsageWarning,
    OperationDeclined,
    PaymentAuthorised,
    PaymentCaptured,
    PaymentExpired,
    PaymentVoided,
    TransferReceived,
    TransferSent,
    Withdrawn,
)
from icbc_wallet.domain.holds import HoldStatus
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId
from icbc_wallet.domain.ledger import AccountId, AccountKind, trial_balance
from icbc_wallet.domain.limit_increase import LimitGrant
from icbc_wallet.domain.limits import Limit, LimitWindow, PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.tiers import TierPolicy, TierRule
from icbc_wallet.errors import (
    CardNotBoundError,
    IdempotencyConflict,
    IdentityTypeError,
    InvalidAmountError,
    InvalidIdError,
    NotFoundError,
    PaymentStateError,
    UnknownCategoryError,
    UnknownOperationError,
    UnknownPaymentMethodError,
    WalletClosedError,
    WalletStateError,
)
from icbc_wallet.policies.limit_increase import effective_limits
from icbc_wallet.presets.fees import WECHAT_WITHDRAWAL_2016
from icbc_wallet.presets.limits import ECNY_2021_WITH_QR_CODES
from icbc_wallet.service import WalletPolicies, WalletService
from icbc_wallet.service._base import fingerprint
from icbc_wallet.service.results import OperationResult

OpenWallet = Callable[..., WalletId]
Audit = Callable[[InMemoryBank], None]
E = TypeVar("E", bound=Event)
DAY = timedelta(days=1)
FEE_INCOME = AccountId(AccountKind.FEE_INCOME)
_CODE = MerchantCreditCode.parse("91110000600037341L")

KEY = b"0123456789abcdef-fingerprint-key"


def cny(amount: str) -> Money:
    return Money.of(amount)


def card_of(bank: InMemoryBank, wallet_id: str) -> BankCard:
    return bank.service.wallet(wallet_id).cards[0]


def events(bank: InMemoryBank, aggregate_id: str, kind: type[E]) -> list[E]:
    with bank.store.unit_of_work() as uow:
        return [e for e in uow.events.for_aggregate(aggregate_id) if isinstance(e, kind)]


def state(bank: InMemoryBank) -> tuple[object, ...]:
    """Everything a command could change, to compare before and after."""
    store = bank.store
    wallets = {k: (w.version, w.balance, w.status) for k, w in store.wallets.rows.items()}
    merchants = {k: (m.version, m.balance) for k, m in store.merchants.rows.items()}
    payments = {k: p.version for k, p in store.payments.rows.items()}
    return (
        wallets,
        merchants,
        payments,
        dict(store.balances),
        len(store.journal),
        len(store.outbox),
        set(store.idempotency),
    )


def fund(bank: InMemoryBank, open_wallet: OpenWallet, wallet_id: str, amount: str) -> None:
    """Send ``amount`` to ``wallet_id`` from a new class-two wallet (any tier may receive)."""
    donor = open_wallet("WL02", top_up=cny(amount))
    result = bank.service.transfer(donor, wallet_id, cny(amount), idempotency_key=f"fund-{donor}")
    assert result.approved


def pay(
    bank: InMemoryBank,
    wallet_id: str,
    merchant_id: str,
    amount: str,
    key: str,
    method: str = "online",
) -> OperationResult:
    return bank.service.pay(wallet_id, merchant_id, cny(amount), method=method, idempotency_key=key)


def spent_today(bank: InMemoryBank, wallet_id: str) -> Money:
    return bank.service.wallet(wallet_id).usage.used(LimitWindow.DAY, bank.clock.now())


PHONE_ONLY_POLICY = WalletPolicies(
    limits=ECNY_2021_WITH_QR_CODES,
    tiers=TierPolicy((TierRule({"phone"}, "WL04"),)),
    fees=WECHAT_WITHDRAWAL_2016,
)
"""Every wallet is anonymous (WL04), whatever it proves: so a WL04 wallet may have a card."""
NO_CARD_TIER_POLICY = WalletPolicies(
    limits=ECNY_2021_WITH_QR_CODES,
    tiers=TierPolicy((TierRule({"phone"}, "WL04"), TierRule({"phone", "identity"}, "WL03"))),
    fees=WECHAT_WITHDRAWAL_2016,
)
"""A card earns nothing: so a WL03 wallet may have a card."""


# --- top-up --------------------------------------------------------------------------------------


def test_a_top_up_brings_money_in_from_the_bound_card(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, audit: Audit
) -> None:
    wallet_id = open_wallet()

    result = memory_bank.service.top_up(
        wallet_id, card_of(memory_bank, wallet_id), cny("1000"), idempotency_key="in"
    )

    assert result.approved
    assert result.fee == Money.zero()
    assert result.reference.startswith("E-")
    assert memory_bank.service.balance(wallet_id).posted == cny("1000")
    settlement = memory_bank.store.balances[AccountId(AccountKind.BANK_SETTLEMENT)]
    assert settlement.posted == cny("-1000")
    audit(memory_bank)


def test_a_class_two_wallet_tops_up_to_its_balance_cap_and_no_further(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, audit: Audit
) -> None:
    wallet_id = open_wallet(top_up=cny("500000"))
    card = card_of(memory_bank, wallet_id)

    result = memory_bank.service.top_up(wallet_id, card, cny("0.01"), idempotency_key="over")

    assert result == OperationResult(
        result.reference,
        Declined(
            DeclineReason.BALANCE_CAP,
            limit=cny("500000"),
            used=cny("500000"),
            remaining=Money.zero(),
            scope="all",
        ),
    )
    assert memory_bank.service.balance(wallet_id).posted == cny("500000")
    [declined] = events(memory_bank, wallet_id, OperationDeclined)
    assert declined.reference == result.reference
    audit(memory_bank)


@pytest.mark.parametrize("wallet_policies", [PHONE_ONLY_POLICY])
def test_an_anonymous_wallet_tops_up_to_ten_thousand_and_no_further(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, audit: Audit
) -> None:
    wallet_id = open_wallet("WL02")  # gives ID and card, yet this policy opens WL04
    card = card_of(memory_bank, wallet_id)
    assert memory_bank.service.wallet(wallet_id).tier == "WL04"

    full = memory_bank.service.top_up(wallet_id, card, cny("10000"), idempotency_key="full")
    over = memory_bank.service.top_up(wallet_id, card, cny("0.01"), idempotency_key="over")

    assert full.approved
    assert type(over.decision) is Declined
    assert over.decision.reason is DeclineReason.BALANCE_CAP
    assert over.decision.limit == cny("10000")
    assert memory_bank.service.balance(wallet_id).posted == cny("10000")
    audit(memory_bank)


BadCall = Callable[[WalletService, str, BankCard, str], object]
USD = Money.of(1, "USD")
VISA = BankCard.parse("4111111111111111")
BAD_INPUT: dict[str, tuple[type[Exception], BadCall]] = {
    "an amount not Money": (
        InvalidAmountError,
        lambda s, w, c, m: s.top_up(w, c, 10, idempotency_key="k"),  # type: ignore[arg-type]
    ),
    "another currency": (
        InvalidAmountError,
        lambda s, w, c, m: s.top_up(w, c, USD, idempotency_key="k"),
    ),
    "a zero amount": (
        InvalidAmountError,
        lambda s, w, c, m: s.top_up(w, c, Money.zero(), idempotency_key="k"),
    ),
    "a negative amount": (
        InvalidAmountError,
        lambda s, w, c, m: s.withdraw(w, c, cny("-1"), idempotency_key="k"),
    ),
    "a card number in clear": (
        IdentityTypeError,
        lambda s, w, c, m: s.top_up(w, c.reveal(), cny("1"), idempotency_key="k"),  # type: ignore[arg-type]
    ),
    "a card not bound": (
        CardNotBoundError,
        lambda s, w, c, m: s.top_up(w, VISA, cny("1"), idempotency_key="k"),
    ),
    "an unknown channel": (
        UnknownOperationError,
        lambda s, w, c, m: s.withdraw(w, c, cny("1"), channel="atm", idempotency_key="k"),
    ),
    "a withdrawal paid to a merchant": (
        UnknownPaymentMethodError,
        lambda s, w, c, m: s.pay(w, m, cny("1"), method="withdrawal", idempotency_key="k"),
    ),
    "an unknown method": (
        UnknownPaymentMethodError,
        lambda s, w, c, m: s.pay(w, m, cny("1"), method="cash", idempotency_key="k"),
    ),
    "an unknown category": (
        UnknownCategoryError,
        lambda s, w, c, m: s.pay_bill(w, m, cny("1"), category="rent", idempotency_key="k"),
    ),
    "a hold that never lasts": (
        PaymentStateError,
        lambda s, w, c, m: s.authorise(
            w, m, cny("1"), method="online", expires_in=timedelta(0), idempotency_key="k"
        ),
    ),
    "a hold for a century": (
        PaymentStateError,
        lambda s, w, c, m: s.authorise(
            w, m, cny("1"), method="online", expires_in=timedelta(days=36500), idempotency_key="k"
        ),
    ),
    "a capture neither final nor not": (
        PaymentStateError,
        lambda s, w, c, m: s.capture("P-1", final="yes", idempotency_key="k"),  # type: ignore[arg-type]
    ),
    "an unknown merchant": (
        NotFoundError,
        lambda s, w, c, m: s.pay(w, "M-404", cny("1"), method="nfc", idempotency_key="k"),
    ),
    "an unknown payment": (
        NotFoundError,
        lambda s, w, c, m: s.capture("P-404", idempotency_key="k"),
    ),
    "an empty key": (
        InvalidIdError,
        lambda s, w, c, m: s.top_up(w, c, cny("1"), idempotency_key=""),
    ),
}


@pytest.mark.parametrize(("error", "call"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_records_nothing_and_leaves_the_key_free(
    memory_bank: InMemoryBank,
    open_wallet: OpenWallet,
    coffee_shop: MerchantId,
    error: type[Exception],
    call: BadCall,
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("100"))
    card = card_of(memory_bank, wallet_id)
    before = state(memory_bank)

    with pytest.raises(error):
        call(service, wallet_id, card, coffee_shop)

    assert state(memory_bank) == before
    assert service.top_up(wallet_id, card, cny("1"), idempotency_key="k").approved


def test_capturing_more_than_is_held_is_refused_and_changes_nothing(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("100"))
    held = service.authorise(wallet_id, coffee_shop, cny("60"), method="nfc", idempotency_key="a")
    before = state(memory_bank)

    with pytest.raises(PaymentStateError, match="remains on hold"):
        service.capture(held.reference, cny("60.01"), idempotency_key="c")

    assert state(memory_bank) == before


# --- withdrawal ----------------------------------------------------------------------------------


def test_withdrawals_pay_the_wechat_fee_once_the_free_thousand_is_used(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("2000"))
    card = card_of(memory_bank, wallet_id)

    first = service.withdraw(wallet_id, card, cny("800"), idempotency_key="w1")
    memory_bank.clock.advance(DAY)  # 1,000 a day may be withdrawn
    second = service.withdraw(wallet_id, card, cny("500"), idempotency_key="w2")

    assert (first.fee, second.fee) == (Money.zero(), cny("0.30"))  # 300 over the quota x 0.1%
    assert service.balance(wallet_id).posted == cny("699.70")  # 2,000 - 800 - 500.30
    assert memory_bank.store.balances[FEE_INCOME].posted == cny("0.30")
    withdrawn = events(memory_bank, wallet_id, Withdrawn)
    assert [(w.amount, w.fee, w.debited) for w in withdrawn] == [
        (cny("800"), Money.zero(), cny("800")),
        (cny("500"), cny("0.30"), cny("500.30")),
    ]
    audit(memory_bank)


@pytest.mark.parametrize(
    ("wallet_policies", "tier"), [(PHONE_ONLY_POLICY, "WL04"), (NO_CARD_TIER_POLICY, "WL03")]
)
def test_wallets_below_class_two_may_not_withdraw(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, tier: str, audit: Audit
) -> None:
    wallet_id = open_wallet("WL02", top_up=cny("100"))
    assert memory_bank.service.wallet(wallet_id).tier == tier

    result = memory_bank.service.withdraw(
        wallet_id, card_of(memory_bank, wallet_id), cny("10"), idempotency_key="out"
    )

    assert result.decision == Declined(DeclineReason.METHOD_NOT_ALLOWED, scope="withdrawal")
    assert result.fee is None
    assert memory_bank.service.balance(wallet_id).posted == cny("100")
    audit(memory_bank)


def test_a_withdrawal_beyond_the_available_money_is_declined(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet(top_up=cny("100"))

    result = memory_bank.service.withdraw(
        wallet_id, card_of(memory_bank, wallet_id), cny("100.01"), idempotency_key="out"
    )

    assert result.decision == Declined(
        DeclineReason.INSUFFICIENT_FUNDS, remaining=cny("100"), scope="wallet"
    )
    assert memory_bank.service.balance(wallet_id).posted == cny("100")


def test_a_frozen_wallet_declines_every_movement_and_a_closed_one_raises(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id, other = open_wallet(top_up=cny("100")), open_wallet(top_up=cny("100"))
    card = card_of(memory_bank, wallet_id)
    service.freeze(wallet_id, "fraud check", idempotency_key="freeze")

    declined = [
        service.top_up(wallet_id, card, cny("1"), idempotency_key="in"),
        service.withdraw(wallet_id, card, cny("1"), idempotency_key="out"),
        service.transfer(wallet_id, other, cny("1"), idempotency_key="send"),
        service.transfer(other, wallet_id, cny("1"), idempotency_key="receive"),
        pay(memory_bank, wallet_id, coffee_shop, "1", "pay", "nfc"),
    ]

    assert [type(r.decision) for r in declined] == [Declined] * 5
    reasons = [r.decision.reason for r in declined if type(r.decision) is Declined]
    # The sender to a frozen wallet is told only that the recipient cannot receive.
    assert reasons == [
        DeclineReason.WALLET_FROZEN,
        DeclineReason.WALLET_FROZEN,
        DeclineReason.WALLET_FROZEN,
        DeclineReason.RECIPIENT_UNAVAILABLE,
        DeclineReason.WALLET_FROZEN,
    ]
    closed = open_wallet()
    service.close(closed, idempotency_key="close")
    with pytest.raises(WalletClosedError):
        service.withdraw(closed, card_of(memory_bank, closed), cny("1"), idempotency_key="c1")
    with pytest.raises(WalletClosedError):
        pay(memory_bank, closed, coffee_shop, "1", "c2")
    with pytest.raises(WalletClosedError):
        service.transfer(other, closed, cny("1"), idempotency_key="c3")
    assert service.balance(wallet_id).posted == cny("100")
    audit(memory_bank)


# --- merchant payments ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["static_qr", "dynamic_qr", "nfc", "online"])
def test_a_merchant_is_paid_by_every_method_with_the_channel_and_category_recorded(
    memory_bank: InMemoryBank,
    open_wallet: OpenWallet,
    coffee_shop: MerchantId,
    audit: Audit,
    method: str,
) -> None:
    wallet_id = open_wallet(top_up=cny("100"))

    result = memory_bank.service.pay(
        wallet_id, coffee_shop, cny("35.50"), method=method, channel="pc", idempotency_key="pay"
    )

    assert result.approved
    assert result.fee == Money.zero()
    [authorised] = events(memory_bank, wallet_id, PaymentAuthorised)
    [captured] = events(memory_bank, wallet_id, PaymentCaptured)
    assert (authorised.method, authorised.channel) == (PaymentMethod(method), Channel.PC)
    assert captured.category is Category.FOOD  # the merchant's
    assert captured.payment_id == authorised.payment_id == result.reference
    assert memory_bank.service.balance(wallet_id).posted == cny("64.50")
    assert memory_bank.service.merchant(coffee_shop).balance.posted == cny("35.50")
    payment = memory_bank.service.payment(result.reference)
    assert payment.hold.status is HoldStatus.CAPTURED
    assert payment.captured == cny("35.50")
    audit(memory_bank)


def test_a_payment_may_name_its_own_category(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    wallet_id = open_wallet(top_up=cny("100"))

    memory_bank.service.pay(
        wallet_id, coffee_shop, cny("10"), method="nfc", category="hotel", idempotency_key="pay"
    )

    [captured] = events(memory_bank, wallet_id, PaymentCaptured)
    assert captured.category is Category.HOTEL


@pytest.mark.parametrize("category", ["utilities", "movies", "hotel"])
def test_a_bill_is_paid_online_under_its_life_service_category(
    memory_bank: InMemoryBank,
    open_wallet: OpenWallet,
    coffee_shop: MerchantId,
    audit: Audit,
    category: str,
) -> None:
    wallet_id = open_wallet(top_up=cny("500"))

    result = memory_bank.service.pay_bill(
        wallet_id, coffee_shop, cny("120"), category=category, idempotency_key="bill"
    )

    assert result.approved
    [authorised] = events(memory_bank, wallet_id, PaymentAuthorised)
    assert authorised.method is PaymentMethod.ONLINE
    assert authorised.category == category
    assert Category(category).is_life_service
    audit(memory_bank)


@pytest.mark.parametrize("tier", ["WL04", "WL03", "WL02"])
def test_static_qr_payments_are_capped_at_five_hundred_a_day_at_every_tier(
    memory_bank: InMemoryBank,
    open_wallet: OpenWallet,
    coffee_shop: MerchantId,
    audit: Audit,
    tier: str,
) -> None:
    wallet_id = open_wallet(tier)
    fund(memory_bank, open_wallet, wallet_id, "2000")

    first = pay(memory_bank, wallet_id, coffee_shop, "500", "qr1", "static_qr")
    over = pay(memory_bank, wallet_id, coffee_shop, "0.01", "qr2", "static_qr")
    by_nfc = pay(memory_bank, wallet_id, coffee_shop, "0.01", "nfc", "nfc")
    memory_bank.clock.advance(DAY)
    next_day = pay(memory_bank, wallet_id, coffee_shop, "500", "qr3", "static_qr")

    assert first.approved
    assert by_nfc.approved
    assert next_day.approved
    assert over.decision == Declined(
        DeclineReason.DAILY_LIMIT,
        limit=cny("500"),
        used=cny("500"),
        remaining=Money.zero(),
        scope="static_qr",
    )
    audit(memory_bank)


def test_an_authorisation_is_captured_in_part_then_in_full(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("1000"))

    held = service.authorise(
        wallet_id, coffee_shop, cny("200"), method="online", idempotency_key="a"
    )
    balance = service.balance(wallet_id)
    assert held.approved
    assert (balance.posted, balance.available) == (cny("1000"), cny("800"))
    part = service.capture(held.reference, cny("50"), final=False, idempotency_key="c1")
    payment = service.payment(held.reference)
    assert part.approved
    assert payment.is_open
    assert payment.hold.pending == cny("150")
    rest = service.capture(held.reference, cny("100"), idempotency_key="c2")

    payment = service.payment(held.reference)
    assert rest.approved
    assert payment.hold.status is HoldStatus.CAPTURED
    assert payment.captured == cny("150")
    balance = service.balance(wallet_id)
    assert (balance.posted, balance.pending) == (cny("850"), Money.zero())
    assert spent_today(memory_bank, wallet_id) == cny("150")  # the last 50 were released
    assert service.merchant(coffee_shop).balance.posted == cny("150")
    assert [c.final for c in events(memory_bank, wallet_id, PaymentCaptured)] == [False, True]
    audit(memory_bank)


def test_a_capture_without_an_amount_takes_everything_still_held(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("100"))
    held = service.authorise(wallet_id, coffee_shop, cny("60"), method="nfc", idempotency_key="a")
    service.capture(held.reference, cny("20"), final=False, idempotency_key="c1")

    service.capture(held.reference, idempotency_key="c2")

    assert service.payment(held.reference).captured == cny("60")
    assert service.balance(wallet_id).posted == cny("40")
    with pytest.raises(PaymentStateError, match="captured: it cannot be captured"):
        service.capture(held.reference, idempotency_key="c3")
    audit(memory_bank)


def test_a_void_releases_the_hold_and_gives_the_limit_back(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("1000"))
    held = service.authorise(
        wallet_id, coffee_shop, cny("200"), method="online", idempotency_key="a"
    )
    assert spent_today(memory_bank, wallet_id) == cny("200")

    result = service.void(held.reference, idempotency_key="v")

    assert result == OperationResult(held.reference, APPROVED)
    assert service.balance(wallet_id).available == cny("1000")
    assert spent_today(memory_bank, wallet_id) == Money.zero()
    [voided] = events(memory_bank, wallet_id, PaymentVoided)
    assert voided.released == cny("200")
    with pytest.raises(PaymentStateError, match="voided: it cannot be voided"):
        service.void(held.reference, idempotency_key="v2")
    with pytest.raises(PaymentStateError, match="voided: it cannot be captured"):
        service.capture(held.reference, idempotency_key="c")
    audit(memory_bank)


def test_holds_expire_once_their_time_has_passed(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("1000"))
    short = service.authorise(
        wallet_id,
        coffee_shop,
        cny("200"),
        method="online",
        expires_in=timedelta(hours=1),
        idempotency_key="a1",
    )
    week = service.authorise(wallet_id, coffee_shop, cny("300"), method="nfc", idempotency_key="a2")

    memory_bank.clock.advance(timedelta(minutes=59))
    assert service.expire_holds() == 0
    memory_bank.clock.advance(timedelta(minutes=1))
    with pytest.raises(PaymentStateError, match="expired"):  # at its deadline, before the sweep
        service.capture(short.reference, idempotency_key="late")
    expired_first = service.expire_holds()
    memory_bank.clock.advance(timedelta(days=7))
    expired_later = service.expire_holds()

    assert (expired_first, expired_later, service.expire_holds()) == (1, 1, 0)
    for reference in (short.reference, week.reference):
        assert service.payment(reference).hold.status is HoldStatus.EXPIRED
    assert service.balance(wallet_id).available == cny("1000")
    assert len(events(memory_bank, wallet_id, PaymentExpired)) == 2
    audit(memory_bank)


def test_the_expiry_sweep_takes_at_most_its_limit_and_skips_holds_closed_since(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("1000"))
    references = [
        service.authorise(
            wallet_id, coffee_shop, cny("10"), method="online", idempotency_key=f"a{n}"
        ).reference
        for n in range(3)
    ]
    service.void(references[0], idempotency_key="v")
    memory_bank.store.open_holds[PaymentId(references[0])] = (
        memory_bank.clock.now()
    )  # a stale index entry
    memory_bank.clock.advance(timedelta(days=8))

    assert service.expire_holds(limit=2) == 1  # the voided one is skipped
    assert service.expire_holds(limit=2) == 1
    assert service.payment(references[0]).hold.status is HoldStatus.VOIDED


def test_money_on_hold_counts_against_limits_and_available_until_released(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet("WL04")  # 2,000 a payment, 5,000 a day
    fund(memory_bank, open_wallet, wallet_id, "6000")
    first = service.authorise(
        wallet_id, coffee_shop, cny("2000"), method="nfc", idempotency_key="a1"
    )
    service.authorise(wallet_id, coffee_shop, cny("2000"), method="nfc", idempotency_key="a2")

    over = pay(memory_bank, wallet_id, coffee_shop, "1500", "p1")
    assert over.decision == Declined(
        DeclineReason.DAILY_LIMIT,
        limit=cny("5000"),
        used=cny("4000"),
        remaining=cny("1000"),
        scope="all",
    )
    assert service.balance(wallet_id).available == cny("2000")
    service.void(first.reference, idempotency_key="v")
    assert pay(memory_bank, wallet_id, coffee_shop, "1500", "p2").approved
    audit(memory_bank)


def test_the_limit_warning_fires_once_when_spending_crosses_eighty_percent(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    wallet_id = open_wallet("WL04")
    fund(memory_bank, open_wallet, wallet_id, "6000")

    for n, amount in enumerate(["2000", "1999.99", "0.01", "500"]):
        assert pay(memory_bank, wallet_id, coffee_shop, amount, f"p{n}").approved

    [warning] = events(memory_bank, wallet_id, LimitUsageWarning)
    assert (warning.used, warning.limit, warning.percent) == (cny("4000"), cny("5000"), 80)


# --- limit grants lapse when the wallet is next used ----------------------------------------------


def grant_increase(bank: InMemoryBank, wallet_id: str, chosen: Limit | None = None) -> None:
    """Give the wallet a one-day increase to 3,000 a payment, as the limits desk would."""
    now = bank.clock.now()
    grant = LimitGrant(Limit.of(per_transaction="3000", daily="8000"), now, now + DAY)
    with bank.store.unit_of_work() as uow:
        wallet = uow.wallets.get(WalletId(wallet_id))
        wallet.chosen_limit = chosen
        tier = ECNY_2021_WITH_QR_CODES.tier(wallet.tier)
        wallet.set_limits(wallet.tier, effective_limits(tier, grant, now), grant)
        uow.wallets.save(wallet)
        uow.commit()


@pytest.mark.parametrize("chosen", [None, Limit.of(per_transaction="2500", daily="6000")])
def test_a_lapsed_limit_increase_ends_before_the_next_payment(
    memory_bank: InMemoryBank,
    open_wallet: OpenWallet,
    coffee_shop: MerchantId,
    chosen: Limit | None,
) -> None:
    wallet_id = open_wallet("WL04")
    fund(memory_bank, open_wallet, wallet_id, "9000")
    grant_increase(memory_bank, wallet_id, chosen)  # a choice the tier itself would refuse
    assert pay(memory_bank, wallet_id, coffee_shop, "2500", "p1").approved

    memory_bank.clock.advance(DAY)
    after = pay(memory_bank, wallet_id, coffee_shop, "2500", "p2")

    assert type(after.decision) is Declined
    assert after.decision.reason is DeclineReason.PER_TRANSACTION_LIMIT
    wallet = memory_bank.service.wallet(wallet_id)
    assert wallet.grant is None
    assert wallet.limits == ECNY_2021_WITH_QR_CODES.tier("WL04")
    assert len(events(memory_bank, wallet_id, LimitIncreaseExpired)) == 1


# --- transfers -----------------------------------------------------------------------------------


def test_a_transfer_changes_both_wallets_in_one_transaction(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, audit: Audit
) -> None:
    sender, recipient = open_wallet(top_up=cny("1000")), open_wallet()

    result = memory_bank.service.transfer(sender, recipient, cny("300"), idempotency_key="t")

    assert result.approved
    assert result.reference.startswith("T-")
    assert result.fee == Money.zero()
    assert memory_bank.service.balance(sender).posted == cny("700")
    assert memory_bank.service.balance(recipient).posted == cny("300")
    [sent] = events(memory_bank, sender, TransferSent)
    [received] = events(memory_bank, recipient, TransferReceived)
    assert sent.transfer_id == received.transfer_id == result.reference
    audit(memory_bank)


def test_a_transfer_the_recipients_cap_refuses_changes_neither_wallet(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, audit: Audit
) -> None:
    service = memory_bank.service
    sender, recipient = open_wallet(top_up=cny("20000")), open_wallet("WL04")
    assert service.transfer(sender, recipient, cny("10000"), idempotency_key="t1").approved
    before = [service.wallet(sender), service.wallet(recipient)]

    result = service.transfer(sender, recipient, cny("0.01"), idempotency_key="t2")

    assert result.decision == Declined(DeclineReason.RECIPIENT_UNAVAILABLE, scope="recipient")
    after = [service.wallet(sender), service.wallet(recipient)]
    assert [w.balance for w in after] == [w.balance for w in before]
    assert after[1].version == before[1].version
    assert after[0].version == before[0].version + 1
    assert events(memory_bank, sender, OperationDeclined)[-1].reference == result.reference
    audit(memory_bank)


def test_a_transfer_to_oneself_is_refused_and_records_nothing(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id, other = open_wallet(top_up=cny("100")), open_wallet()
    before = state(memory_bank)

    with pytest.raises(WalletStateError, match="itself"):
        memory_bank.service.transfer(wallet_id, wallet_id, cny("1"), idempotency_key="t")

    assert state(memory_bank) == before
    assert memory_bank.service.transfer(wallet_id, other, cny("1"), idempotency_key="t").approved


def test_a_transfer_to_an_unknown_wallet_is_not_found(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet(top_up=cny("100"))

    with pytest.raises(NotFoundError):
        memory_bank.service.transfer(wallet_id, "W-404", cny("1"), idempotency_key="t")


# --- idempotency ---------------------------------------------------------------------------------


def test_a_replay_returns_the_first_result_and_changes_nothing(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service = memory_bank.service
    wallet_id, other = open_wallet(top_up=cny("1000")), open_wallet()
    card = card_of(memory_bank, wallet_id)
    commands: list[Callable[[], object]] = [
        lambda: service.top_up(wallet_id, card, cny("10"), idempotency_key="k1"),
        lambda: service.withdraw(wallet_id, card, cny("10"), idempotency_key="k2"),
        lambda: service.transfer(wallet_id, other, cny("10"), idempotency_key="k3"),
        lambda: pay(memory_bank, wallet_id, coffee_shop, "10", "k4"),
        lambda: pay(memory_bank, wallet_id, coffee_shop, "5000", "k5"),  # declined
    ]
    firsts = [command() for command in commands]
    before = state(memory_bank)

    replays = [command() for command in commands]

    assert replays == firsts
    assert state(memory_bank) == before
    assert [type(r.decision) for r in firsts if isinstance(r, OperationResult)][-1] is Declined


def test_a_key_reused_with_other_parameters_or_another_command_conflicts(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service = memory_bank.service
    wallet_id, other = open_wallet(top_up=cny("1000")), open_wallet()
    card = card_of(memory_bank, wallet_id)
    service.transfer(wallet_id, other, cny("10"), idempotency_key="k")
    before = state(memory_bank)

    with pytest.raises(IdempotencyConflict):
        service.transfer(wallet_id, other, cny("11"), idempotency_key="k")
    with pytest.raises(IdempotencyConflict):
        service.transfer(wallet_id, other, cny("10"), channel="pc", idempotency_key="k")
    with pytest.raises(IdempotencyConflict):
        service.top_up(wallet_id, card, cny("10"), idempotency_key="k")

    assert state(memory_bank) == before


def test_idempotency_keys_are_forgotten_after_a_day(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet()
    card = card_of(memory_bank, wallet_id)
    first = service.top_up(wallet_id, card, cny("10"), idempotency_key="k")

    memory_bank.clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    replay = service.top_up(wallet_id, card, cny("10"), idempotency_key="k")
    memory_bank.clock.advance(timedelta(seconds=2))
    again = service.top_up(wallet_id, card, cny("10"), idempotency_key="k")

    assert replay == first
    assert again.reference != first.reference
    assert service.balance(wallet_id).posted == cny("20")
    audit(memory_bank)


def test_the_keeping_time_of_idempotency_keys_is_a_policy() -> None:
    policies = attrs.evolve(WalletPolicies.default(), idempotency_time=timedelta(hours=48))
    bank = in_memory(policies)

    merchant = bank.service.register_merchant("Tea", _CODE, "food", idempotency_key="k")
    bank.clock.advance(timedelta(hours=47))

    assert bank.service.register_merchant("Tea", _CODE, "food", idempotency_key="k") == merchant
    assert len(bank.store.merchants.rows) == 1


# --- fingerprints --------------------------------------------------------------------------------


def test_a_fingerprint_depends_on_every_parameter_but_not_their_order() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    base = fingerprint(
        KEY, "cmd", a=cny("1"), b=Limit.of(daily="5"), c=at, d=[1, 2], e=frozenset("xy")
    )

    assert base == fingerprint(
        KEY, "cmd", e=frozenset("yx"), d=[1, 2], c=at, b=Limit.of(daily="5"), a=cny("1")
    )
    assert base != fingerprint(
        KEY, "cmd", a=cny("1"), b=Limit.of(daily="5"), c=at, d=[2, 1], e=frozenset("xy")
    )
    assert base != fingerprint(
        KEY, "cmd", a=cny("1"), b=Limit.of(daily="5"), c=at + DAY, d=[1, 2], e=frozenset("xy")
    )
    assert base != fingerprint(
        KEY, "other", a=cny("1"), b=Limit.of(daily="5"), c=at, d=[1, 2], e=frozenset("xy")
    )
    assert len(base) == 64


def test_two_cards_with_the_same_last_four_digits_have_different_fingerprints() -> None:
    one, two = BankCard.parse("6225768888888888"), BankCard.parse("6225760005008888")
    assert str(one) == str(two)

    assert fingerprint(KEY, "top_up", card=one) != fingerprint(KEY, "top_up", card=two)
    phone, resident = PhoneNumber.parse("13800138000"), ResidentId.parse("34052419800101001X")
    digest = fingerprint(KEY, "x", phone=phone, resident=resident)
    assert phone.reveal() not in digest
    assert resident.reveal() not in digest
    assert digest != fingerprint(b"another-secret-of-16-bytes", "x", phone=phone, resident=resident)


# --- a property: any sequence of commands conserves money ----------------------------------------


def _register(bank: InMemoryBank, serial: int) -> WalletId:
    service = bank.service
    phone = PhoneNumber.parse(f"1390000{serial:04d}")
    registration = service.start_registration(phone, idempotency_key=f"r{serial}-1")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key=f"r{serial}-2")
    # One person, one wallet: two wallets need two people.
    resident = ResidentId.parse("34052419800101001X" if serial == 1 else "11010519491231002X")
    service.provide_identity(registration, "张三", resident, idempotency_key=f"r{serial}-3")
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=f"r{serial}-4")
    card = BankCard.parse("6225768888888888" if serial == 1 else "4111111111111111")
    service.add_card(registration, card, idempotency_key=f"r{serial}-5")
    return service.submit_registration(registration, idempotency_key=f"r{serial}-6")


_COMMANDS = st.lists(
    st.tuples(
        st.sampled_from(
            ["top_up", "withdraw", "pay", "authorise", "capture", "void", "transfer", "next_day"]
        ),
        st.integers(1, 5),
        st.integers(1, 6_000_000),  # up to 60,000.00: some above the limits
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=30)
@given(_COMMANDS)
def test_money_is_conserved_and_limits_hold_after_any_sequence_of_commands(
    commands: list[tuple[str, int, int]],
) -> None:
    bank = in_memory(start=datetime(2026, 3, 2, 2, tzinfo=UTC))
    service = bank.service
    wallets = [_register(bank, 1), _register(bank, 2)]
    shop = service.register_merchant("Shop", _CODE, "shopping", idempotency_key="shop")
    held: list[str] = []
    for step, (command, who, minor) in enumerate(commands):
        wallet_id, other = wallets[who % 2], wallets[(who + 1) % 2]
        amount, key = Money._make(minor, "CNY"), f"c{step}"
        if command == "top_up":
            service.top_up(wallet_id, card_of(bank, wallet_id), amount, idempotency_key=key)
        elif command == "withdraw":
            service.withdraw(wallet_id, card_of(bank, wallet_id), amount, idempotency_key=key)
        elif command == "pay":
            service.pay(wallet_id, shop, amount, method="dynamic_qr", idempotency_key=key)
        elif command == "authorise":
            result = service.authorise(wallet_id, shop, amount, method="nfc", idempotency_key=key)
            if result.approved:
                held.append(result.reference)
        elif command in ("capture", "void") and held:
            reference = held.pop(who % len(held))
            if command == "void":
                service.void(reference, idempotency_key=key)
            else:
                pending = service.payment(reference).hold.pending
                part = Money._make(1 + minor % pending.minor, "CNY")
                service.capture(reference, part, idempotency_key=key)
        elif command == "transfer":
            service.transfer(wallet_id, other, amount, idempotency_key=key)
        elif command == "next_day":
            bank.clock.advance(DAY)
        with bank.store.unit_of_work() as uow:
            assert trial_balance(uow.ledger.balances().values(), "CNY") == Money.zero()
            ledger = {each: uow.ledger.balance(AccountId.wallet(each)) for each in wallets}
        for each in wallets:
            wallet = service.wallet(each)
            assert wallet.balance.posted == ledger[each].posted
            assert Money.zero() <= wallet.balance.pending <= wallet.balance.posted
            assert wallet.usage.used(LimitWindow.DAY, bank.clock.now()) <= cny("100000")


def test_a_frozen_wallet_pays_out_nothing_even_on_an_earlier_authorisation(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("1000"))
    held = service.authorise(
        wallet_id, coffee_shop, cny("800"), method="online", idempotency_key="hold"
    )
    service.freeze(wallet_id, "suspected account takeover", idempotency_key="freeze")

    with pytest.raises(WalletStateError, match="frozen"):
        service.capture(held.reference, idempotency_key="capture")
    assert service.balance(wallet_id).posted == cny("1000")
    service.void(held.reference, idempotency_key="void")  # releasing is still allowed
    assert service.balance(wallet_id).pending == cny("0")


def test_a_wallet_snapshot_cannot_change_the_stored_fee_quota(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("2000"))
    card = card_of(memory_bank, wallet_id)
    service.withdraw(wallet_id, card, cny("900"), idempotency_key="w1")
    snapshot = service.wallet(wallet_id)
    with pytest.raises(TypeError):
        snapshot.fee_quota[OperationKind.WITHDRAWAL] = ("lifetime", 0)  # type: ignore[index]
    memory_bank.clock.advance(timedelta(days=1))
    second = service.withdraw(wallet_id, card, cny("900"), idempotency_key="w2")
    assert second.fee == cny("0.80")  # 100 of the 1,000 free quota left: 800 charged at 0.1%
