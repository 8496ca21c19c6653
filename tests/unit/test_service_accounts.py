"""Accounts through the service: merchants, cards and tiers, freezing and closing, and reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.runtime import UuidIds
from icbc_wallet.adapters.verification import (
    InMemoryCardVerifier,
    InMemoryIdentityVerifier,
    InMemoryPhoneVerifier,
)
from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import Declined, DeclineReason
from icbc_wallet.domain.events import WalletClosed, WalletFrozen, WalletUnfrozen
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import MerchantId, WalletId
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.tiers import TierPolicy, TierRule
from icbc_wallet.errors import (
    IdempotencyConflict,
    IdentityTypeError,
    InvalidIdError,
    InvalidMerchantError,
    InvalidTextError,
    NotFoundError,
    UnknownCategoryError,
    VerificationFailedError,
    WalletClosedError,
    WalletStateError,
)
from icbc_wallet.presets.fees import WECHAT_WITHDRAWAL_2016
from icbc_wallet.presets.limits import ARTICLE_DEFAULTS, ECNY_2021_WITH_QR_CODES
from icbc_wallet.presets.tiers import ARTICLE_TIER_POLICY
from icbc_wallet.service import WalletPolicies, WalletService
from icbc_wallet.wallet import WalletStatus

OpenWallet = Callable[..., WalletId]
Audit = Callable[[InMemoryBank], None]
CODE = MerchantCreditCode.parse("91110000600037341L")
SECOND_CARD = BankCard.parse("4111111111111111")


def cny(amount: str) -> Money:
    return Money.of(amount)


def events_of(bank: InMemoryBank, aggregate_id: str) -> list[type]:
    with bank.store.unit_of_work() as uow:
        return [type(event) for event in uow.events.for_aggregate(aggregate_id)]


def service_over(bank: InMemoryBank, policies: WalletPolicies) -> WalletService:
    """Another service over the bank's store and clock, with other policies (a policy change)."""
    return WalletService(
        bank.store.unit_of_work,
        clock=bank.clock,
        ids=UuidIds(),
        hasher=ScryptHasher.fast_for_tests(),
        phone_verifier=InMemoryPhoneVerifier(),
        identity_verifier=InMemoryIdentityVerifier(),
        card_verifier=InMemoryCardVerifier(),
        policies=policies,
    )


# --- merchants -----------------------------------------------------------------------------------


def test_a_registered_merchant_can_be_read_back(memory_bank: InMemoryBank) -> None:
    merchant_id = memory_bank.service.register_merchant(
        " Coffee ", CODE, "food", idempotency_key="m"
    )

    merchant = memory_bank.service.merchant(merchant_id)

    assert (merchant.name, merchant.category, merchant.credit_code) == (
        "Coffee",
        Category.FOOD,
        CODE,
    )
    assert merchant.balance.posted == Money.zero()


def test_registering_a_merchant_twice_with_one_key_opens_one_account(
    memory_bank: InMemoryBank,
) -> None:
    first = memory_bank.service.register_merchant("Coffee", CODE, "food", idempotency_key="m")
    again = memory_bank.service.register_merchant("Coffee", CODE, "food", idempotency_key="m")

    assert first == again
    assert len(memory_bank.store.merchants.rows) == 1
    with pytest.raises(IdempotencyConflict):
        memory_bank.service.register_merchant("Tea", CODE, "food", idempotency_key="m")


def test_a_merchant_needs_a_parsed_credit_code_a_known_category_and_a_name(
    memory_bank: InMemoryBank,
) -> None:
    service = memory_bank.service
    with pytest.raises(IdentityTypeError):
        service.register_merchant("Coffee", CODE.reveal(), "food", idempotency_key="m")  # type: ignore[arg-type]
    with pytest.raises(UnknownCategoryError):
        service.register_merchant("Coffee", CODE, "groceries", idempotency_key="m")
    with pytest.raises(InvalidMerchantError):
        service.register_merchant("  ", CODE, Category.FOOD, idempotency_key="m")

    assert memory_bank.store.merchants.rows == {}
    assert service.register_merchant("Coffee", CODE, Category.FOOD, idempotency_key="m")


# --- cards and tiers -----------------------------------------------------------------------------


def test_binding_a_card_raises_a_class_three_wallet_to_class_two(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet("WL03")
    before = memory_bank.service.wallet(wallet_id)
    assert before.tier == "WL03"
    assert before.limits.balance_cap == cny("20000")

    tier = memory_bank.service.bind_card(wallet_id, SECOND_CARD, idempotency_key="bind")

    after = memory_bank.service.wallet(wallet_id)
    assert tier == after.tier == "WL02"
    assert after.cards == (SECOND_CARD,)
    assert after.limits == ECNY_2021_WITH_QR_CODES.tier("WL02")
    assert PaymentMethod.WITHDRAWAL not in after.limits.disallowed


def test_a_second_card_keeps_a_class_two_wallet_at_class_two(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet("WL02")

    tier = memory_bank.service.bind_card(wallet_id, SECOND_CARD, idempotency_key="bind")

    wallet = memory_bank.service.wallet(wallet_id)
    assert tier == "WL02"
    assert len(wallet.cards) == 2


def test_binding_a_card_never_lowers_a_higher_tier(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet("WL03")
    with memory_bank.store.unit_of_work() as uow:  # opened at a branch, face to face
        wallet = uow.wallets.get(wallet_id)
        wallet.set_limits("WL01", ECNY_2021_WITH_QR_CODES.tier("WL01"), None)
        uow.wallets.save(wallet)
        uow.commit()

    tier = memory_bank.service.bind_card(wallet_id, SECOND_CARD, idempotency_key="bind")

    assert tier == memory_bank.service.wallet(wallet_id).tier == "WL01"


def test_binding_a_card_never_lowers_a_tier_the_tier_policy_does_not_name(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet("WL02")
    no_card_tier = TierPolicy(
        (TierRule({"phone"}, "WL04"), TierRule({"phone", "identity"}, "WL03"))
    )
    policies = WalletPolicies(
        limits=ECNY_2021_WITH_QR_CODES, tiers=no_card_tier, fees=WECHAT_WITHDRAWAL_2016
    )
    other = service_over(memory_bank, policies)

    tier = other.bind_card(wallet_id, SECOND_CARD, idempotency_key="bind")

    assert tier == "WL02"


def test_a_wallet_whose_tier_the_limits_no_longer_know_moves_to_the_tier_it_earns(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet("WL03")
    article = WalletPolicies(
        limits=ARTICLE_DEFAULTS, tiers=ARTICLE_TIER_POLICY, fees=WECHAT_WITHDRAWAL_2016
    )
    other = service_over(memory_bank, article)

    tier = other.bind_card(wallet_id, SECOND_CARD, idempotency_key="bind")

    assert tier == "real_name"
    assert other.wallet(wallet_id).limits == ARTICLE_DEFAULTS.tier("real_name")


def test_an_anonymous_wallet_cannot_bind_a_card(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet("WL04")

    with pytest.raises(VerificationFailedError, match="no verified identity"):
        memory_bank.service.bind_card(wallet_id, SECOND_CARD, idempotency_key="bind")

    wallet = memory_bank.service.wallet(wallet_id)
    assert (wallet.tier, wallet.cards) == ("WL04", ())


def test_a_card_the_bank_does_not_confirm_is_not_bound() -> None:
    bank = in_memory(rejected_cards=[SECOND_CARD.reveal()])
    wallet_id = _open_wl03(bank)

    with pytest.raises(VerificationFailedError) as raised:
        bank.service.bind_card(wallet_id, SECOND_CARD, idempotency_key="bind")

    assert SECOND_CARD.reveal() not in str(raised.value)
    assert bank.service.wallet(wallet_id).tier == "WL03"


def _open_wl03(bank: InMemoryBank) -> WalletId:
    phone = PhoneNumber.parse("13800138000")
    service = bank.service
    registration = service.start_registration(phone, idempotency_key="r1")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key="r2")
    service.provide_identity(
        registration, "张三", ResidentId.parse("34052419800101001X"), idempotency_key="r3"
    )
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="r4")
    return service.submit_registration(registration, idempotency_key="r5")


def test_a_card_is_bound_once_and_must_be_a_parsed_card(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet("WL02")
    card = memory_bank.service.wallet(wallet_id).cards[0]

    with pytest.raises(WalletStateError, match="already bound"):
        memory_bank.service.bind_card(wallet_id, card, idempotency_key="bind")
    with pytest.raises(IdentityTypeError):
        memory_bank.service.bind_card(wallet_id, card.reveal(), idempotency_key="bind")  # type: ignore[arg-type]
    assert len(memory_bank.service.wallet(wallet_id).cards) == 1


# --- freeze, unfreeze, close ---------------------------------------------------------------------


def test_a_frozen_wallet_declines_payments_until_unfrozen(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("100"))

    service.freeze(wallet_id, "  suspected fraud ", idempotency_key="freeze")
    declined = service.pay(wallet_id, coffee_shop, cny("10"), method="nfc", idempotency_key="p1")
    frozen_status = service.status(wallet_id)
    service.unfreeze(wallet_id, idempotency_key="unfreeze")
    paid = service.pay(wallet_id, coffee_shop, cny("10"), method="nfc", idempotency_key="p2")

    assert frozen_status is WalletStatus.FROZEN
    assert service.status(wallet_id) is WalletStatus.ACTIVE
    assert declined.decision == Declined(DeclineReason.WALLET_FROZEN, scope="wallet")
    assert paid.approved
    assert service.balance(wallet_id).posted == cny("90")
    with memory_bank.store.unit_of_work() as uow:
        frozen = [e for e in uow.events.for_aggregate(wallet_id) if type(e) is WalletFrozen]
    assert [e.reason for e in frozen] == ["suspected fraud"]
    assert WalletUnfrozen in events_of(memory_bank, wallet_id)
    audit(memory_bank)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201, None])
def test_a_freeze_needs_a_reason_of_one_to_two_hundred_characters(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, reason: object
) -> None:
    wallet_id = open_wallet()

    with pytest.raises(InvalidTextError):
        memory_bank.service.freeze(wallet_id, reason, idempotency_key="freeze")  # type: ignore[arg-type]
    assert memory_bank.service.status(wallet_id) is WalletStatus.ACTIVE


def test_unfreezing_an_active_wallet_is_refused(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet()

    with pytest.raises(WalletStateError, match="not frozen"):
        memory_bank.service.unfreeze(wallet_id, idempotency_key="unfreeze")


def test_a_wallet_closes_only_once_empty_and_then_refuses_money(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, audit: Audit
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("100"))
    card = service.wallet(wallet_id).cards[0]

    with pytest.raises(WalletStateError, match="still holds"):
        service.close(wallet_id, idempotency_key="close")
    assert service.withdraw(wallet_id, card, cny("100"), idempotency_key="out").approved
    service.close(wallet_id, idempotency_key="close")

    assert service.status(wallet_id) is WalletStatus.CLOSED
    assert events_of(memory_bank, wallet_id)[-1] is WalletClosed
    with pytest.raises(WalletClosedError):
        service.top_up(wallet_id, card, cny("1"), idempotency_key="in")
    with pytest.raises(WalletClosedError):
        service.freeze(wallet_id, "late", idempotency_key="freeze")
    audit(memory_bank)


# --- reads ---------------------------------------------------------------------------------------


def test_reads_return_snapshots_that_change_nothing_stored(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("100"))
    paid = service.pay(wallet_id, coffee_shop, cny("30"), method="online", idempotency_key="p")

    snapshot = service.wallet(wallet_id)
    snapshot.freeze("only the copy", memory_bank.clock.now())
    payment = service.payment(paid.reference)
    payment.claim(cny("30"))

    assert service.status(wallet_id) is WalletStatus.ACTIVE
    assert service.payment(paid.reference).claimed == Money.zero()
    assert service.balance(wallet_id).posted == cny("70")
    assert service.merchant(coffee_shop).balance.posted == cny("30")


def test_reads_of_unknown_or_malformed_ids_raise(memory_bank: InMemoryBank) -> None:
    service = memory_bank.service

    with pytest.raises(NotFoundError):
        service.wallet("W-404")
    with pytest.raises(NotFoundError):
        service.merchant("M-404")
    with pytest.raises(NotFoundError):
        service.payment("P-404")
    with pytest.raises(InvalidIdError):
        service.balance("W 1")


def test_purging_forgets_only_idempotency_keys_past_their_keeping_time(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet()
    service.freeze(wallet_id, "a", idempotency_key="old")
    memory_bank.clock.advance(timedelta(hours=12))
    service.unfreeze(wallet_id, idempotency_key="new")
    memory_bank.clock.advance(timedelta(hours=12))

    purged = service.purge_idempotency_keys()

    assert purged == 7  # six registration steps and the freeze, all a day old
    assert set(memory_bank.store.idempotency) == {"new"}
    with pytest.raises(WalletStateError):  # the key is free again, and the wallet is active
        service.unfreeze(wallet_id, idempotency_key="old")


def test_a_wallet_with_an_open_refund_request_cannot_be_closed_until_it_is_answered(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service = memory_bank.service
    wallet = open_wallet("WL02", top_up=Money.of("100"))
    paid = service.pay(wallet, coffee_shop, Money.of("100"), method="nfc", idempotency_key="p")
    asked = service.request_refund(paid.reference, Money.of("100"), "", idempotency_key="r")

    with pytest.raises(WalletStateError, match="1 refund request"):
        service.close(wallet, idempotency_key="close-1")
    assert service.wallet(wallet).open_claims == 1

    service.refuse_refund(asked.reference, "Consumed", idempotency_key="no")
    service.close(wallet, idempotency_key="close-2")  # empty, and nothing can pay in any more
    assert service.status(wallet) is WalletStatus.CLOSED
    assert service.wallet(wallet).open_claims == 0
