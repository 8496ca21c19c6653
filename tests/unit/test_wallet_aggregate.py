"""The aggregates on their own: the wallet's rules and events, payments' claims, merchants' money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import APPROVED, Declined, DeclineReason
from icbc_wallet.domain.events import (
    CardBound,
    LimitIncreaseExpired,
    LimitUsageWarning,
    MerchantFundsHeld,
    MerchantFundsReleased,
    MerchantPaid,
    MerchantRefunded,
    MerchantRegistered,
    OperationDeclined,
    PaymentAuthorised,
    PaymentCaptured,
    PaymentDeclined,
    PaymentExpired,
    PaymentVoided,
    RefundIssued,
    ToppedUp,
    TransferReceived,
    TransferSent,
    WalletClosed,
    WalletFrozen,
    WalletOpened,
    WalletUnfrozen,
    Withdrawn,
)
from icbc_wallet.domain.fee_rules import FeeCharging, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.holds import Hold, HoldStatus
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId
from icbc_wallet.domain.ledger import AccountId, AccountKind, JournalEntry, Posting
from icbc_wallet.domain.limit_increase import LimitGrant
from icbc_wallet.domain.limits import Limit, LimitWindow, PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.errors import (
    AmountTypeError,
    CardNotBoundError,
    HoldStateError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidMerchantError,
    RefundStateError,
    WalletClosedError,
    WalletStateError,
)
from icbc_wallet.presets.fees import WECHAT_WITHDRAWAL_2016
from icbc_wallet.presets.limits import ECNY_2021_WITH_QR_CODES
from icbc_wallet.wallet import Merchant, Owner, Payment, Wallet, WalletStatus
from icbc_wallet.wallet.aggregate import MAX_CARDS

AT = datetime(2026, 3, 2, 2, tzinfo=UTC)  # 10:00 in Shanghai
NEXT_DAY = AT + timedelta(days=1)
SCHEDULE = ECNY_2021_WITH_QR_CODES
CARD = BankCard.parse("6225768888888888")
OTHER_CARD = BankCard.parse("4111111111111111")
PHONE = PhoneNumber.parse("13800138000")
RESIDENT = ResidentId.parse("34052419800101001X")
SHOP = MerchantId("M-1")
SHOP_ACCOUNT = AccountId.merchant(SHOP)
SETTLEMENT = AccountId(AccountKind.BANK_SETTLEMENT)
FEE_INCOME = AccountId(AccountKind.FEE_INCOME)
NO_FEES = FeeSchedule([], name="free")


def cny(amount: str) -> Money:
    return Money.of(amount)


def make_wallet(
    tier: str = "WL02", wallet_id: str = "W-1", *, balance: str | None = None, card: bool = True
) -> Wallet:
    """A wallet at ``tier`` (the aggregate binds cards at any tier), its events already pulled."""
    wallet = Wallet.open(
        WalletId(wallet_id),
        Owner(PHONE, "张三", RESIDENT),
        tier,
        SCHEDULE.tier(tier),
        schedule=SCHEDULE,
        at=AT,
    )
    if card:
        wallet.bind_card(CARD, AT)
    if balance is not None:
        assert wallet.top_up(CARD, cny(balance), f"E-seed-{wallet_id}", AT).decision is APPROVED
    wallet.pull_events()
    return wallet


def authorise(
    wallet: Wallet,
    amount: str,
    payment_id: str = "P-1",
    *,
    method: PaymentMethod = PaymentMethod.ONLINE,
    at: datetime = AT,
) -> Payment:
    outcome = wallet.authorise(
        PaymentId(payment_id),
        SHOP,
        cny(amount),
        at,
        at + timedelta(days=7),
        method=method,
        channel=Channel.MOBILE,
        category=Category.FOOD,
    )
    assert type(outcome) is Payment
    return outcome


def daily_used(wallet: Wallet, at: datetime = AT) -> Money:
    return wallet.usage.used(LimitWindow.DAY, at)


# --- life cycle ----------------------------------------------------------------------------------


def test_an_opened_wallet_is_active_empty_and_records_its_opening() -> None:
    wallet = Wallet.open(
        WalletId("W-1"),
        Owner(PHONE),
        "WL04",
        SCHEDULE.tier("WL04"),
        schedule=SCHEDULE,
        at=AT,
    )

    [opened] = wallet.pull_events()

    assert (wallet.status, wallet.version, wallet.currency) == (WalletStatus.ACTIVE, 1, "CNY")
    assert wallet.balance.posted == Money.zero()
    assert wallet.account == AccountId.wallet("W-1")
    assert type(opened) is WalletOpened
    assert (opened.tier, opened.phone, opened.version, opened.at) == ("WL04", PHONE, 1, AT)
    assert wallet.pull_events() == []


def test_the_owner_repr_masks_the_phone_and_id_and_leaves_out_the_name() -> None:
    text = repr(Owner(PHONE, "张三", RESIDENT))

    assert PHONE.reveal() not in text
    assert RESIDENT.reveal() not in text
    assert "张三" not in text


def test_a_clone_changes_independently_of_its_original() -> None:
    wallet = make_wallet(balance="100")
    wallet.freeze("check", AT)

    twin = wallet.clone()
    twin.pull_events()
    twin.unfreeze(AT)
    twin.top_up(CARD, cny("50"), "E-2", AT)

    assert wallet.status is WalletStatus.FROZEN
    assert wallet.balance.posted == cny("100")
    assert [type(event) for event in wallet.pull_events()] == [WalletFrozen]
    assert twin.balance.posted == cny("150")


def test_a_card_binds_once_and_the_event_masks_its_number() -> None:
    wallet = make_wallet(card=False)

    wallet.bind_card(CARD, AT)
    with pytest.raises(WalletStateError, match="already bound"):
        wallet.bind_card(CARD, AT)

    [bound] = wallet.pull_events()
    assert type(bound) is CardBound
    assert bound.card == CARD
    assert wallet.cards == (CARD,)
    assert CARD.reveal() not in repr(bound)


def test_a_wallet_binds_at_most_ten_cards() -> None:
    wallet = make_wallet(card=False)
    cards = [BankCard.parse(number) for number in _card_numbers(MAX_CARDS + 1)]
    for card in cards[:MAX_CARDS]:
        wallet.bind_card(card, AT)

    with pytest.raises(WalletStateError, match="10 cards"):
        wallet.bind_card(cards[-1], AT)
    assert len(wallet.cards) == MAX_CARDS


def _card_numbers(count: int) -> list[str]:
    numbers = []
    for serial in range(count):
        body = f"622576{serial:09d}"
        total = 0
        for position, char in enumerate(reversed(body)):
            digit = int(char) * (2 if position % 2 == 0 else 1)
            total += digit - 9 if digit > 9 else digit
        numbers.append(body + str((10 - total % 10) % 10))
    return numbers


def test_freezing_and_unfreezing_are_recorded_and_refused_when_pointless() -> None:
    wallet = make_wallet()

    wallet.freeze("court order", AT)
    with pytest.raises(WalletStateError, match="already frozen"):
        wallet.freeze("again", AT)
    wallet.unfreeze(AT)
    with pytest.raises(WalletStateError, match="not frozen"):
        wallet.unfreeze(AT)

    frozen, unfrozen = wallet.pull_events()
    assert type(frozen) is WalletFrozen
    assert frozen.reason == "court order"
    assert type(unfrozen) is WalletUnfrozen
    assert wallet.status is WalletStatus.ACTIVE


def test_only_an_active_empty_wallet_closes() -> None:
    wallet = make_wallet(balance="0.01")
    with pytest.raises(WalletStateError, match="withdraw or spend"):
        wallet.close(AT)
    wallet.withdraw(CARD, cny("0.01"), "E-out", AT, fees=NO_FEES)
    wallet.freeze("fraud", AT)
    with pytest.raises(WalletStateError, match="unfreeze"):
        wallet.close(AT)
    wallet.unfreeze(AT)
    wallet.pull_events()

    wallet.close(AT)

    assert wallet.status is WalletStatus.CLOSED
    assert [type(event) for event in wallet.pull_events()] == [WalletClosed]


def test_a_wallet_with_money_on_hold_does_not_close_until_it_is_captured() -> None:
    wallet = make_wallet(balance="10")
    payment = authorise(wallet, "10")

    with pytest.raises(WalletStateError, match="on hold"):
        wallet.close(AT)
    wallet.capture(payment, cny("10"), SHOP_ACCOUNT, "E-cap", AT)
    wallet.close(AT)

    assert wallet.status is WalletStatus.CLOSED


ClosedCall = Callable[[Wallet, Wallet, Payment], object]
CLOSED_CALLS: dict[str, ClosedCall] = {
    "bind_card": lambda w, _o, _p: w.bind_card(OTHER_CARD, AT),
    "freeze": lambda w, _o, _p: w.freeze("x", AT),
    "unfreeze": lambda w, _o, _p: w.unfreeze(AT),
    "close": lambda w, _o, _p: w.close(AT),
    "set_limits": lambda w, _o, _p: w.set_limits("WL03", SCHEDULE.tier("WL03"), None),
    "record": lambda w, _o, _p: w.record(LimitIncreaseExpired, AT),
    "top_up": lambda w, _o, _p: w.top_up(CARD, cny("1"), "E-x", AT),
    "withdraw": lambda w, _o, _p: w.withdraw(CARD, cny("1"), "E-x", AT, fees=NO_FEES),
    "send": lambda w, o, _p: w.send("T-x", o, cny("1"), "E-x", AT, fees=NO_FEES),
    "receive from": lambda w, o, _p: o.send("T-x", w, cny("1"), "E-x", AT, fees=NO_FEES),
    "authorise": lambda w, _o, _p: authorise(w, "1"),
    "capture": lambda w, _o, p: w.capture(p, cny("1"), SHOP_ACCOUNT, "E-x", AT),
    "void": lambda w, _o, p: w.release(p, AT, expired=False),
    "credit_refund": lambda w, _o, p: w.credit_refund(
        "F-1", p, cny("1"), JournalEntry.transfer("E-x", SHOP_ACCOUNT, w.account, cny("1"), AT), AT
    ),
}


@pytest.mark.parametrize("call", CLOSED_CALLS.values(), ids=CLOSED_CALLS.keys())
def test_a_closed_wallet_refuses_every_change(call: ClosedCall) -> None:
    wallet = make_wallet()
    wallet.close(AT)
    wallet.pull_events()
    other = make_wallet(wallet_id="W-2", balance="10")
    payment = authorise(other, "5")
    other.pull_events()

    with pytest.raises(WalletClosedError):
        call(wallet, other, payment)

    assert wallet.pull_events() == []
    assert other.pull_events() == []
    assert other.balance.posted == cny("10")


def test_new_limits_change_the_tier_the_caps_and_the_grant() -> None:
    wallet = make_wallet("WL04", card=True)
    grant = LimitGrant(Limit.of(per_transaction="3000", daily="8000"), AT, NEXT_DAY)

    wallet.set_limits("WL03", SCHEDULE.tier("WL03"), grant)

    assert (wallet.tier, wallet.tier_name, wallet.grant) == ("WL03", "WL03", grant)
    assert wallet.top_up(CARD, cny("20000"), "E-1", AT).decision is APPROVED  # WL03's cap


def test_an_event_decided_outside_is_recorded_with_the_next_version() -> None:
    wallet = make_wallet()
    version = wallet.version

    wallet.record(LimitIncreaseExpired, AT)

    [event] = wallet.pull_events()
    assert type(event) is LimitIncreaseExpired
    assert event.version == version + 1 == wallet.version


# --- top-up --------------------------------------------------------------------------------------


def test_a_top_up_books_settlement_to_wallet_and_records_the_cards_last_four() -> None:
    wallet = make_wallet()

    moved = wallet.top_up(CARD, cny("250"), "E-1", AT)

    assert moved.decision is APPROVED
    assert moved.fee == Money.zero()
    assert moved.entry is not None
    assert moved.entry.postings == (
        Posting(SETTLEMENT, cny("-250")),
        Posting(wallet.account, cny("250")),
    )
    assert wallet.balance.posted == cny("250")
    [event] = wallet.pull_events()
    assert type(event) is ToppedUp
    assert event.card_last_four == "8888"
    assert event.entry_id == "E-1"


def test_a_top_up_from_a_card_not_bound_raises_and_changes_nothing() -> None:
    wallet = make_wallet(card=False)

    with pytest.raises(CardNotBoundError):
        wallet.top_up(CARD, cny("1"), "E-1", AT)

    assert wallet.balance.posted == Money.zero()
    assert wallet.pull_events() == []


def test_an_anonymous_wallet_tops_up_to_its_ten_thousand_cap_and_no_further() -> None:
    wallet = make_wallet("WL04")

    assert wallet.top_up(CARD, cny("10000"), "E-1", AT).decision is APPROVED
    moved = wallet.top_up(CARD, cny("0.01"), "E-2", AT)

    assert moved == (
        Declined(
            DeclineReason.BALANCE_CAP,
            limit=cny("10000"),
            used=cny("10000"),
            remaining=Money.zero(),
            scope="all",
        ),
        None,
        None,
    )
    assert wallet.balance.posted == cny("10000")
    declined = wallet.pull_events()[-1]
    assert type(declined) is OperationDeclined
    assert (declined.operation, declined.reference, declined.reason) == (
        OperationKind.TOP_UP,
        "E-2",
        DeclineReason.BALANCE_CAP,
    )


def test_a_frozen_wallet_declines_a_top_up() -> None:
    wallet = make_wallet()
    wallet.freeze("check", AT)

    moved = wallet.top_up(CARD, cny("1"), "E-1", AT)

    assert type(moved.decision) is Declined
    assert moved.decision.reason is DeclineReason.WALLET_FROZEN
    assert wallet.balance.posted == Money.zero()


def test_a_frozen_wallet_declines_payments_and_withdrawals() -> None:
    wallet = make_wallet(balance="100")
    wallet.freeze("check", AT)
    wallet.pull_events()

    paid = wallet.authorise(
        PaymentId("P-1"),
        SHOP,
        cny("1"),
        AT,
        NEXT_DAY,
        method=PaymentMethod.NFC,
        channel=Channel.MOBILE,
        category=Category.FOOD,
    )
    withdrawn = wallet.withdraw(CARD, cny("1"), "E-1", AT, fees=NO_FEES)

    frozen = Declined(DeclineReason.WALLET_FROZEN, scope="wallet")
    assert (paid, withdrawn.decision) == (frozen, frozen)
    assert [type(e) for e in wallet.pull_events()] == [PaymentDeclined, OperationDeclined]
    assert (wallet.balance.posted, wallet.balance.pending) == (cny("100"), Money.zero())


# --- withdrawal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["WL04", "WL03"])
def test_anonymous_and_class_three_wallets_may_not_withdraw(tier: str) -> None:
    wallet = make_wallet(tier, balance="100")

    moved = wallet.withdraw(CARD, cny("10"), "E-1", AT, fees=WECHAT_WITHDRAWAL_2016)

    assert moved.decision == Declined(DeclineReason.METHOD_NOT_ALLOWED, scope="withdrawal")
    assert wallet.balance.posted == cny("100")
    [declined] = wallet.pull_events()
    assert type(declined) is OperationDeclined
    assert declined.operation is OperationKind.WITHDRAWAL


def test_withdrawals_use_up_the_lifetime_free_quota_then_pay_the_fee_on_top() -> None:
    wallet = make_wallet(balance="2000")

    first = wallet.withdraw(CARD, cny("800"), "E-1", AT, fees=WECHAT_WITHDRAWAL_2016)
    second = wallet.withdraw(CARD, cny("500"), "E-2", NEXT_DAY, fees=WECHAT_WITHDRAWAL_2016)

    assert (first.fee, second.fee) == (Money.zero(), cny("0.30"))  # 300 chargeable x 0.1%
    assert second.entry is not None
    assert second.entry.postings == (
        Posting(wallet.account, cny("-500.30")),
        Posting(SETTLEMENT, cny("500")),
        Posting(FEE_INCOME, cny("0.30")),
    )
    assert wallet.balance.posted == cny("699.70")
    assert wallet.fee_quota == {OperationKind.WITHDRAWAL: ("lifetime", 100_000)}
    withdrawn = wallet.pull_events()[-1]
    assert type(withdrawn) is Withdrawn
    assert (withdrawn.amount, withdrawn.fee, withdrawn.debited) == (
        cny("500"),
        cny("0.30"),
        cny("500.30"),
    )


def test_a_withdrawal_fee_must_also_be_available() -> None:
    wallet = make_wallet(balance="1100")
    wallet.withdraw(CARD, cny("1000"), "E-1", AT, fees=WECHAT_WITHDRAWAL_2016)  # quota gone

    moved = wallet.withdraw(CARD, cny("100"), "E-2", NEXT_DAY, fees=WECHAT_WITHDRAWAL_2016)

    assert moved.decision == Declined(
        DeclineReason.INSUFFICIENT_FUNDS, remaining=cny("100"), scope="wallet"
    )
    assert wallet.balance.posted == cny("100")


def test_a_withdrawal_above_the_tiers_per_transaction_cap_is_declined() -> None:
    wallet = make_wallet(balance="5000")

    moved = wallet.withdraw(CARD, cny("1000.01"), "E-1", AT, fees=NO_FEES)

    assert type(moved.decision) is Declined
    assert (moved.decision.reason, moved.decision.scope) == (
        DeclineReason.PER_TRANSACTION_LIMIT,
        "withdrawal",
    )


def test_a_monthly_free_quota_is_full_again_in_the_next_month() -> None:
    fees = FeeSchedule(
        [
            FeeRule.flat(
                OperationKind.WITHDRAWAL,
                cny("2"),
                quota=FreeQuota(cny("100"), QuotaPeriod.MONTH),
            )
        ]
    )
    wallet = make_wallet(balance="1000")
    april = datetime(2026, 4, 1, 2, tzinfo=UTC)

    free = wallet.withdraw(CARD, cny("100"), "E-1", AT, fees=fees)
    charged = wallet.withdraw(CARD, cny("100"), "E-2", NEXT_DAY, fees=fees)
    free_again = wallet.withdraw(CARD, cny("100"), "E-3", april, fees=fees)

    assert (free.fee, charged.fee, free_again.fee) == (Money.zero(), cny("2"), Money.zero())


def test_a_deducted_fee_that_swallows_the_withdrawal_is_refused() -> None:
    fees = FeeSchedule(
        [FeeRule.flat(OperationKind.WITHDRAWAL, cny("5"), charging=FeeCharging.DEDUCTED)]
    )
    wallet = make_wallet(balance="100")

    with pytest.raises(InvalidAmountError, match="would not cover its fee"):
        wallet.withdraw(CARD, cny("5"), "E-1", AT, fees=fees)
    assert wallet.balance.posted == cny("100")
    assert wallet.pull_events() == []


def test_a_withdrawal_to_a_card_not_bound_raises() -> None:
    wallet = make_wallet(balance="100")

    with pytest.raises(CardNotBoundError):
        wallet.withdraw(OTHER_CARD, cny("1"), "E-1", AT, fees=NO_FEES)


# --- transfers -----------------------------------------------------------------------------------


def test_a_transfer_moves_money_between_both_wallets_in_one_entry() -> None:
    sender, recipient = make_wallet(balance="100"), make_wallet(wallet_id="W-2")

    moved = sender.send("T-1", recipient, cny("30"), "E-1", AT, fees=NO_FEES)

    assert moved.decision is APPROVED
    assert moved.fee == Money.zero()
    assert (sender.balance.posted, recipient.balance.posted) == (cny("70"), cny("30"))
    [sent] = sender.pull_events()
    [received] = recipient.pull_events()
    assert type(sent) is TransferSent
    assert sent.to_wallet == "W-2"
    assert type(received) is TransferReceived
    assert received.from_wallet == "W-1"
    assert received.amount == cny("30")
    assert received.entry_id == sent.entry_id == "E-1"


def test_a_deducted_transfer_fee_reaches_the_fee_account_not_the_recipient() -> None:
    fees = FeeSchedule(
        [FeeRule.flat(OperationKind.TRANSFER, cny("1"), charging=FeeCharging.DEDUCTED)]
    )
    sender, recipient = make_wallet(balance="100"), make_wallet(wallet_id="W-2")

    moved = sender.send("T-1", recipient, cny("10"), "E-1", AT, fees=fees)

    assert moved.fee == cny("1")
    assert moved.entry is not None
    assert Posting(FEE_INCOME, cny("1")) in moved.entry.postings
    assert (sender.balance.posted, recipient.balance.posted) == (cny("90"), cny("9"))
    with pytest.raises(InvalidAmountError, match="would not cover its fee"):
        sender.send("T-2", recipient, cny("1"), "E-2", AT, fees=fees)


def test_a_wallet_cannot_transfer_to_itself() -> None:
    wallet = make_wallet(balance="100")

    with pytest.raises(WalletStateError, match="itself"):
        wallet.send("T-1", wallet, cny("1"), "E-1", AT, fees=NO_FEES)
    assert wallet.balance.posted == cny("100")
    assert wallet.pull_events() == []


def test_a_transfer_above_the_recipients_cap_is_declined_without_showing_their_balance() -> None:
    sender = make_wallet(balance="100")
    recipient = make_wallet("WL04", wallet_id="W-2", balance="9999.99")

    moved = sender.send("T-1", recipient, cny("0.02"), "E-1", AT, fees=NO_FEES)

    assert moved.decision == Declined(DeclineReason.RECIPIENT_UNAVAILABLE, scope="recipient")
    assert (sender.balance.posted, recipient.balance.posted) == (cny("100"), cny("9999.99"))
    assert recipient.pull_events() == []
    [declined] = sender.pull_events()
    assert type(declined) is OperationDeclined
    assert declined.used is None


def test_a_frozen_recipient_declines_a_transfer_and_a_closed_one_raises() -> None:
    sender, recipient = make_wallet(balance="100"), make_wallet(wallet_id="W-2")
    recipient.freeze("check", AT)

    moved = sender.send("T-1", recipient, cny("1"), "E-1", AT, fees=NO_FEES)
    recipient.unfreeze(AT)
    recipient.close(AT)

    assert moved.decision == Declined(DeclineReason.RECIPIENT_UNAVAILABLE, scope="recipient")
    with pytest.raises(WalletClosedError):
        sender.send("T-2", recipient, cny("1"), "E-2", AT, fees=NO_FEES)
    assert sender.balance.posted == cny("100")


def test_a_transfer_beyond_the_senders_limit_is_declined_before_the_recipient_is_asked() -> None:
    sender = make_wallet("WL04", balance="5000")
    recipient = make_wallet(wallet_id="W-2")
    recipient.close(AT)  # asking a closed recipient would raise

    moved = sender.send("T-1", recipient, cny("2000.01"), "E-1", AT, fees=NO_FEES)

    assert type(moved.decision) is Declined
    assert moved.decision.reason is DeclineReason.PER_TRANSACTION_LIMIT


# --- merchant payments ---------------------------------------------------------------------------


def test_an_authorisation_holds_money_and_counts_it_against_limits() -> None:
    wallet = make_wallet(balance="100")

    payment = authorise(wallet, "80", method=PaymentMethod.NFC)

    assert payment.is_open
    assert payment.hold.pending == cny("80")
    assert (payment.method, payment.channel, payment.category) == (
        PaymentMethod.NFC,
        Channel.MOBILE,
        Category.FOOD,
    )
    assert (wallet.balance.posted, wallet.balance.pending) == (cny("100"), cny("80"))
    assert daily_used(wallet) == cny("80")
    [event] = wallet.pull_events()
    assert type(event) is PaymentAuthorised
    assert event.expires_at == AT + timedelta(days=7)


def test_money_on_hold_is_not_available_to_another_payment() -> None:
    wallet = make_wallet(balance="100")
    authorise(wallet, "80")
    wallet.pull_events()

    declined = wallet.authorise(
        PaymentId("P-2"),
        SHOP,
        cny("30"),
        AT,
        NEXT_DAY,
        method=PaymentMethod.ONLINE,
        channel=Channel.MOBILE,
        category=Category.FOOD,
    )

    assert declined == Declined(
        DeclineReason.INSUFFICIENT_FUNDS, remaining=cny("20"), scope="wallet"
    )
    [event] = wallet.pull_events()
    assert type(event) is PaymentDeclined
    assert event.reason is DeclineReason.INSUFFICIENT_FUNDS
    assert wallet.balance.pending == cny("80")
    assert daily_used(wallet) == cny("80")


def test_a_partial_capture_keeps_the_rest_on_hold_until_the_final_capture() -> None:
    wallet = make_wallet(balance="100")
    payment = authorise(wallet, "80")

    first = wallet.capture(payment, cny("30"), SHOP_ACCOUNT, "E-1", AT, final=False)
    assert payment.is_open
    assert (wallet.balance.posted, wallet.balance.pending) == (
        cny("70"),
        cny("50"),
    )
    second = wallet.capture(payment, cny("20"), SHOP_ACCOUNT, "E-2", AT, final=True)

    assert first.postings == (
        Posting(wallet.account, cny("-30")),
        Posting(SHOP_ACCOUNT, cny("30")),
    )
    assert second.entry_id == "E-2"
    assert payment.hold.status is HoldStatus.CAPTURED
    assert payment.captured == cny("50")
    assert (wallet.balance.posted, wallet.balance.pending) == (cny("50"), Money.zero())
    assert daily_used(wallet) == cny("50")  # the 30 released at the final capture
    captures = [e for e in wallet.pull_events() if type(e) is PaymentCaptured]
    assert [(c.amount, c.final) for c in captures] == [(cny("30"), False), (cny("20"), True)]


def test_a_merchant_fee_is_deducted_from_what_the_merchant_receives() -> None:
    wallet = make_wallet(balance="100")
    payment = authorise(wallet, "100")

    entry = wallet.capture(payment, cny("100"), SHOP_ACCOUNT, "E-1", AT, fee=cny("0.60"))

    assert entry.postings == (
        Posting(wallet.account, cny("-100")),
        Posting(SHOP_ACCOUNT, cny("99.40")),
        Posting(FEE_INCOME, cny("0.60")),
    )
    assert payment.merchant_fee == cny("0.60")
    assert wallet.balance.posted == Money.zero()


def test_a_capture_whose_fee_swallows_the_amount_raises_and_changes_nothing() -> None:
    wallet = make_wallet(balance="100")
    payment = authorise(wallet, "1")
    wallet.pull_events()

    with pytest.raises(InvalidAmountError):
        wallet.capture(payment, cny("1"), SHOP_ACCOUNT, "E-1", AT, fee=cny("1"))

    assert (wallet.balance.posted, wallet.balance.pending) == (cny("100"), cny("1"))
    assert payment.is_open
    assert wallet.pull_events() == []


def test_capturing_more_than_is_held_raises_and_changes_nothing() -> None:
    wallet = make_wallet(balance="100")
    payment = authorise(wallet, "50")
    version = wallet.version

    with pytest.raises(HoldStateError):
        wallet.capture(payment, cny("50.01"), SHOP_ACCOUNT, "E-1", AT)

    assert wallet.version == version
    assert wallet.balance.pending == cny("50")
    assert payment.captured == Money.zero()


def test_a_void_releases_the_hold_and_the_limit_it_used() -> None:
    wallet = make_wallet(balance="100")
    payment = authorise(wallet, "60")
    wallet.capture(payment, cny("10"), SHOP_ACCOUNT, "E-1", AT, final=False)
    wallet.pull_events()

    released = wallet.release(payment, AT + timedelta(hours=1), expired=False)

    assert released == cny("50")
    assert payment.hold.status is HoldStatus.VOIDED
    assert (wallet.balance.posted, wallet.balance.pending) == (cny("90"), Money.zero())
    assert daily_used(wallet) == cny("10")
    [voided] = wallet.pull_events()
    assert type(voided) is PaymentVoided
    assert voided.released == cny("50")
    with pytest.raises(HoldStateError):
        wallet.release(payment, AT, expired=False)


def test_a_hold_expires_only_once_its_deadline_has_come() -> None:
    wallet = make_wallet(balance="100")
    payment = authorise(wallet, "60")
    wallet.pull_events()
    deadline = payment.hold.expires_at

    with pytest.raises(HoldStateError):
        wallet.release(payment, deadline - timedelta(seconds=1), expired=True)
    released = wallet.release(payment, deadline, expired=True)

    assert released == cny("60")
    assert payment.hold.status is HoldStatus.EXPIRED
    assert wallet.balance.available == cny("100")
    assert daily_used(wallet) == Money.zero()
    [expired] = wallet.pull_events()
    assert type(expired) is PaymentExpired


def test_a_released_hold_gives_its_share_of_the_daily_limit_back() -> None:
    wallet = make_wallet("WL04", balance="6000")
    first = authorise(wallet, "2000", "P-1")
    authorise(wallet, "2000", "P-2")

    over = wallet.authorise(
        PaymentId("P-3"),
        SHOP,
        cny("2000"),
        AT,
        NEXT_DAY,
        method=PaymentMethod.ONLINE,
        channel=Channel.MOBILE,
        category=Category.FOOD,
    )
    wallet.release(first, AT, expired=False)

    assert over == Declined(
        DeclineReason.DAILY_LIMIT,
        limit=cny("5000"),
        used=cny("4000"),
        remaining=cny("1000"),
        scope="all",
    )
    assert authorise(wallet, "2000", "P-4").is_open


def test_the_limit_warning_fires_once_when_daily_spending_crosses_eighty_percent() -> None:
    wallet = make_wallet("WL04", balance="6000")

    authorise(wallet, "2000", "P-1")
    authorise(wallet, "1999.99", "P-2")
    authorise(wallet, "0.01", "P-3")  # exactly 4,000 of 5,000: crosses
    authorise(wallet, "500", "P-4")

    warnings = [e for e in wallet.pull_events() if type(e) is LimitUsageWarning]
    assert len(warnings) == 1
    [warning] = warnings
    assert (warning.used, warning.limit, warning.percent, warning.window) == (
        cny("4000"),
        cny("5000"),
        80,
        LimitWindow.DAY,
    )


def test_no_warning_is_recorded_without_a_daily_cap() -> None:
    wallet = make_wallet("WL01", balance="100000")

    authorise(wallet, "99999")

    assert [type(e) for e in wallet.pull_events()] == [PaymentAuthorised]


def test_a_refund_credited_to_the_wallet_is_recorded_with_the_payments_category() -> None:
    wallet = make_wallet(balance="100")
    payment = authorise(wallet, "100")
    wallet.capture(payment, cny("100"), SHOP_ACCOUNT, "E-1", AT)
    wallet.pull_events()
    entry = JournalEntry.transfer("E-2", SHOP_ACCOUNT, wallet.account, cny("40"), AT)

    wallet.credit_refund("F-1", payment, cny("40"), entry, AT)

    assert wallet.balance.posted == cny("40")
    [issued] = wallet.pull_events()
    assert type(issued) is RefundIssued
    assert (issued.refund_id, issued.payment_id, issued.merchant_id, issued.category) == (
        "F-1",
        "P-1",
        SHOP,
        Category.FOOD,
    )


# --- payments ------------------------------------------------------------------------------------


def captured_payment(amount: str = "100", fee: str = "1.00") -> Payment:
    hold = Hold("P-1", AccountId.wallet("W-1"), cny(amount), AT, NEXT_DAY)
    payment = Payment(
        PaymentId("P-1"),
        WalletId("W-1"),
        SHOP,
        cny(amount),
        PaymentMethod.ONLINE,
        Channel.MOBILE,
        Category.SHOPPING,
        hold,
    )
    payment.captured_by(hold.capture(cny(amount), AT), cny(amount), cny(fee), AT)
    return payment


def test_a_new_payment_has_nothing_captured_refunded_or_claimed() -> None:
    hold = Hold("P-1", AccountId.wallet("W-1"), cny("10"), AT, NEXT_DAY)
    payment = Payment(
        PaymentId("P-1"),
        WalletId("W-1"),
        SHOP,
        cny("10"),
        PaymentMethod.NFC,
        Channel.MOBILE,
        Category.FOOD,
        hold,
    )

    assert payment.is_open
    assert payment.captured_at is None
    zero = Money.zero()
    assert (payment.captured, payment.refunded, payment.claimed, payment.refundable) == (
        zero,
        zero,
        zero,
        zero,
    )


def test_a_capture_records_the_first_capture_instant_and_the_fee() -> None:
    payment = captured_payment()

    assert not payment.is_open
    assert payment.captured_at == AT
    assert (payment.captured, payment.merchant_fee, payment.version) == (
        cny("100"),
        cny("1"),
        1,
    )


def test_claims_never_exceed_what_is_refundable() -> None:
    payment = captured_payment()

    payment.claim(cny("60"))
    with pytest.raises(RefundStateError, match="still refundable"):
        payment.claim(cny("40.01"))

    assert (payment.claimed, payment.refundable, payment.version) == (cny("60"), cny("40"), 2)


def test_refund_shares_of_the_merchant_fee_add_up_to_the_whole_fee() -> None:
    payment = captured_payment(fee="1.00")
    shares = []
    for part in ("33.33", "33.33", "33.34"):
        payment.claim(cny(part))
        shares.append(payment.settle_claim(cny(part), cny(part)))

    assert sum(share.minor for share in shares) == 100
    assert payment.fee_refunded == cny("1")
    assert payment.refunded == cny("100")
    assert payment.claimed == Money.zero()
    assert payment.refundable == Money.zero()


def test_a_claim_settled_for_less_frees_the_rest_and_returns_a_smaller_share() -> None:
    payment = captured_payment(fee="1.00")
    payment.claim(cny("50"))

    share = payment.settle_claim(cny("50"), cny("20"))

    assert share == cny("0.20")
    assert payment.refundable == cny("80")


@pytest.mark.parametrize(("claimed", "refunded"), [("50.01", "10"), ("50", "50.01")])
def test_a_settlement_beyond_the_open_claim_is_refused(claimed: str, refunded: str) -> None:
    payment = captured_payment()
    payment.claim(cny("50"))

    with pytest.raises(RefundStateError):
        payment.settle_claim(cny(claimed), cny(refunded))
    assert payment.claimed == cny("50")
    assert payment.refunded == Money.zero()


def test_a_payment_clone_is_independent() -> None:
    payment = captured_payment()

    twin = payment.clone()
    twin.claim(cny("10"))

    assert payment.claimed == Money.zero()
    assert twin.claimed == cny("10")


def test_a_released_payment_keeps_the_closed_hold() -> None:
    wallet = make_wallet(balance="10")
    payment = authorise(wallet, "10")

    wallet.release(payment, AT, expired=False)

    assert payment.hold.status is HoldStatus.VOIDED
    assert payment.version == 1


def test_a_dispute_sets_its_share_of_the_fee_aside_and_returns_what_is_not_refunded() -> None:
    payment = captured_payment(fee="1.00")

    set_aside = payment.open_dispute(cny("40"))
    assert (set_aside, payment.disputed, payment.claimed) == (cny("0.40"), cny("40"), cny("40"))
    back_to_fee_income = payment.close_dispute(cny("40"), cny("10"))

    assert back_to_fee_income == cny("0.30")  # the share of the 30 not refunded
    assert (payment.disputed, payment.claimed, payment.refunded) == (
        Money.zero(),
        Money.zero(),
        cny("10"),
    )
    assert payment.fee_refunded == cny("0.10")
    assert payment.refundable == cny("90")


def test_disputed_money_is_not_settled_as_a_refund_request_and_closes_only_once() -> None:
    payment = captured_payment()
    payment.claim(cny("10"))
    payment.open_dispute(cny("40"))

    with pytest.raises(RefundStateError, match="claimed by refund requests"):
        payment.settle_claim(cny("50"), cny("50"))
    with pytest.raises(RefundStateError, match="disputed in all"):
        payment.close_dispute(cny("40.01"), Money.zero())
    with pytest.raises(RefundStateError):
        payment.close_dispute(cny("40"), cny("40.01"))
    with pytest.raises(RefundStateError, match="still refundable"):
        payment.open_dispute(cny("50.01"))

    assert (payment.claimed, payment.disputed) == (cny("50"), cny("40"))


# --- merchants -----------------------------------------------------------------------------------

CODE = MerchantCreditCode.parse("91110000600037341L")


def make_merchant() -> Merchant:
    return Merchant.register(SHOP, "  Coffee  ", CODE, Category.FOOD, currency="CNY", at=AT)


def test_a_registered_merchant_has_a_trimmed_name_and_an_empty_account() -> None:
    merchant = make_merchant()

    [registered] = merchant.pull_events()

    assert merchant.name == "Coffee"
    assert merchant.balance.posted == Money.zero()
    assert merchant.account == SHOP_ACCOUNT
    assert merchant.version == 1
    assert type(registered) is MerchantRegistered
    assert registered.category is Category.FOOD
    assert (registered.name, registered.merchant_name) == ("MerchantRegistered", "Coffee")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, 42])
def test_a_merchant_name_must_be_one_to_a_hundred_characters(name: object) -> None:
    with pytest.raises(InvalidMerchantError):
        Merchant.register(SHOP, name, CODE, Category.FOOD, currency="CNY", at=AT)  # type: ignore[arg-type]


def test_a_merchant_receives_a_payment_net_of_its_fee() -> None:
    merchant = make_merchant()
    merchant.pull_events()
    entry = JournalEntry.transfer(
        "E-1",
        AccountId.wallet("W-1"),
        SHOP_ACCOUNT,
        cny("100"),
        AT,
        fee=cny("0.60"),
        charging=FeeCharging.DEDUCTED,
    )

    merchant.receive("P-1", entry, AT)

    [paid] = merchant.pull_events()
    assert type(paid) is MerchantPaid
    assert paid.amount == cny("99.40")
    assert merchant.balance.posted == cny("99.40")


def test_a_merchant_bears_a_refund_only_from_money_it_received() -> None:
    merchant = make_merchant()
    merchant.receive(
        "P-1", JournalEntry.transfer("E-1", SETTLEMENT, SHOP_ACCOUNT, cny("50"), AT), AT
    )
    merchant.pull_events()
    refund = JournalEntry.transfer("E-2", SHOP_ACCOUNT, AccountId.wallet("W-1"), cny("30"), AT)
    too_much = JournalEntry.transfer("E-3", SHOP_ACCOUNT, AccountId.wallet("W-1"), cny("21"), AT)

    merchant.bear("F-1", "P-1", refund, AT)
    with pytest.raises(InsufficientFundsError):
        merchant.bear("F-2", "P-1", too_much, AT)

    [refunded] = merchant.pull_events()
    assert type(refunded) is MerchantRefunded
    assert refunded.amount == cny("30")
    assert merchant.balance.posted == cny("20")
    assert merchant.version == 3


def test_a_merchant_clone_is_independent() -> None:
    merchant = make_merchant()

    twin = merchant.clone()
    twin.pull_events()
    twin.receive("P-1", JournalEntry.transfer("E-1", SETTLEMENT, SHOP_ACCOUNT, cny("5"), AT), AT)

    assert merchant.balance.posted == Money.zero()
    assert [type(e) for e in merchant.pull_events()] == [MerchantRegistered]


def test_a_merchant_sets_money_aside_for_a_dispute_and_gets_back_what_is_not_refunded() -> None:
    merchant = make_merchant()
    suspense = AccountId(AccountKind.DISPUTE_SUSPENSE)
    merchant.receive(
        "P-1", JournalEntry.transfer("E-1", SETTLEMENT, SHOP_ACCOUNT, cny("50"), AT), AT
    )
    merchant.pull_events()

    merchant.hold_for_dispute(
        "D-1", "P-1", JournalEntry.transfer("E-2", SHOP_ACCOUNT, suspense, cny("40"), AT), AT
    )
    assert merchant.balance.posted == cny("10")
    merchant.settle_dispute(
        "D-1",
        "P-1",
        JournalEntry.transfer("E-3", suspense, SHOP_ACCOUNT, cny("30"), AT),
        cny("10"),
        AT,
    )

    held, released = merchant.pull_events()
    assert type(held) is MerchantFundsHeld
    assert held.amount == cny("40")
    assert type(released) is MerchantFundsReleased
    assert (released.amount, released.refunded) == (cny("30"), cny("10"))
    assert merchant.balance.posted == cny("40")
    with pytest.raises(InsufficientFundsError):
        merchant.hold_for_dispute(
            "D-2", "P-1", JournalEntry.transfer("E-4", SHOP_ACCOUNT, suspense, cny("41"), AT), AT
        )


# --- a property over random sequences ------------------------------------------------------------

_STEPS = st.lists(
    st.tuples(st.sampled_from(["top_up", "authorise", "capture", "void"]), st.integers(1, 300_000)),
    max_size=25,
)


@given(_STEPS)
def test_the_wallet_balance_always_equals_its_booked_entries_and_holds(
    steps: list[tuple[str, int]],
) -> None:
    wallet = make_wallet("WL04")
    booked, open_payments = 0, list[Payment]()
    for serial, (action, minor) in enumerate(steps, 1):
        amount = Money._make(minor, "CNY")
        if action == "top_up":
            entry = wallet.top_up(CARD, amount, f"E-{serial}", AT).entry
            booked += 0 if entry is None else minor
        elif action == "authorise":
            outcome = wallet.authorise(
                PaymentId(f"P-{serial}"),
                SHOP,
                amount,
                AT,
                NEXT_DAY,
                method=PaymentMethod.DYNAMIC_QR,
                channel=Channel.MOBILE,
                category=Category.FOOD,
            )
            if type(outcome) is Payment:
                open_payments.append(outcome)
        elif open_payments:
            payment = open_payments.pop(minor % len(open_payments))
            if action == "capture":
                taken = Money._make(1 + minor % payment.hold.pending.minor, "CNY")
                wallet.capture(payment, taken, SHOP_ACCOUNT, f"E-{serial}", AT)
                booked -= taken.minor
            else:
                wallet.release(payment, AT, expired=False)
        held = sum(p.hold.pending.minor for p in open_payments)
        assert (wallet.balance.posted.minor, wallet.balance.pending.minor) == (booked, held)
        assert 0 <= held <= booked <= 1_000_000  # WL04's balance cap is 10,000.00
        assert daily_used(wallet) <= cny("5000")  # holds included


def test_authorising_a_float_is_a_clear_type_error_not_an_attribute_error() -> None:
    wallet = make_wallet(balance="100")
    with pytest.raises(AmountTypeError, match="must be Money, not float"):
        wallet.authorise(
            PaymentId("P-f"),
            SHOP,
            12.5,  # type: ignore[arg-type]
            AT,
            AT + timedelta(days=1),
            method=PaymentMethod.NFC,
            channel=Channel.MOBILE,
            category=Category.FOOD,
        )
    assert wallet.pull_events() == []
    assert wallet.balance.pending == cny("0")
