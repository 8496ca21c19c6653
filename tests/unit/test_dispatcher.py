"""The dispatcher and the notifiers: every saved event is told at least once, without secrets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from icbc_wallet.adapters.notifiers import InMemoryNotifier, LoggingNotifier
from icbc_wallet.bootstrap import InMemoryBank
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.events import (
    CardBound,
    DisputeDecided,
    DisputeOpened,
    DisputeResponded,
    DisputeWithdrawn,
    Event,
    LimitIncreaseApproved,
    LimitIncreaseDeclined,
    LimitIncreaseExpired,
    LimitUsageWarning,
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
    RefundLapsed,
    RefundRefused,
    RefundRequested,
    ToppedUp,
    TransferReceived,
    TransferSent,
    WalletClosed,
    WalletFrozen,
    WalletOpened,
    WalletUnfrozen,
    Withdrawn,
)
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import MerchantId, WalletId
from icbc_wallet.domain.limits import Limit, LimitWindow, PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.ports.notifications import Notification, NotificationKind, Notifier
from icbc_wallet.ports.persistence import StoredEvent
from icbc_wallet.service.dispatcher import EventDispatcher, notifications_for

OpenWallet = Callable[..., WalletId]
AT = datetime(2026, 3, 2, 2, tzinfo=UTC)
CARD = BankCard.parse("6225768888888888")
PHONE = PhoneNumber.parse("13800138000")
Kind = NotificationKind


def cny(amount: str) -> Money:
    return Money.of(amount)


class FlakyNotifier:
    """Fails the ``fail_on``-th call (1-based), before or after handing it on."""

    def __init__(self, fail_on: int, *, after_delivery: bool = False) -> None:
        self.inner, self.calls = InMemoryNotifier(), 0
        self._fail_on, self._after = fail_on, after_delivery

    def notify(self, notification: Notification) -> None:
        self.calls += 1
        failing = self.calls == self._fail_on
        if failing and not self._after:
            raise ConnectionError("the SMS gateway is down")
        self.inner.notify(notification)
        if failing:
            raise ConnectionError("the SMS gateway did not acknowledge")


def undelivered(bank: InMemoryBank) -> list[int]:
    with bank.store.unit_of_work() as uow:
        return [stored.position for stored in uow.events.undelivered(1000)]


# --- delivery ------------------------------------------------------------------------------------


def test_every_saved_event_is_delivered_once_and_marked(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet(top_up=cny("100"))

    delivered = memory_bank.dispatcher.dispatch()

    assert delivered == 3
    assert undelivered(memory_bank) == []
    assert memory_bank.dispatcher.dispatch() == 0
    sent = memory_bank.notifier.for_recipient(wallet_id)
    assert [(n.kind, n.event_name) for n in sent] == [
        (Kind.WALLET, "WalletOpened"),
        (Kind.SECURITY, "CardBound"),
        (Kind.MONEY_MOVED, "ToppedUp"),
    ]
    assert [n.notification_id for n in sent] == ["1", "2", "3"]


def test_events_without_a_notification_are_marked_delivered_too(
    memory_bank: InMemoryBank, coffee_shop: MerchantId
) -> None:
    assert memory_bank.dispatcher.dispatch() == 1  # MerchantRegistered tells nobody

    assert memory_bank.notifier.sent == []
    assert undelivered(memory_bank) == []


def test_a_dispatch_delivers_at_most_its_limit_oldest_first(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    open_wallet(top_up=cny("100"))

    assert memory_bank.dispatcher.dispatch(limit=2) == 2
    assert undelivered(memory_bank) == [3]
    assert memory_bank.dispatcher.dispatch(limit=2) == 1


def test_a_failed_notification_is_redelivered_after_those_before_it_are_marked(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    open_wallet(top_up=cny("100"))
    notifier = FlakyNotifier(fail_on=3)
    dispatcher = EventDispatcher(memory_bank.store.unit_of_work, notifier)

    with pytest.raises(ConnectionError):
        dispatcher.dispatch()
    assert undelivered(memory_bank) == [3]
    assert [n.event_name for n in notifier.inner.sent] == ["WalletOpened", "CardBound"]

    assert dispatcher.dispatch() == 1
    assert [n.event_name for n in notifier.inner.sent] == ["WalletOpened", "CardBound", "ToppedUp"]
    assert undelivered(memory_bank) == []


def test_a_notification_delivered_but_not_acknowledged_is_sent_again_and_dropped_as_a_duplicate(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    open_wallet(top_up=cny("100"))
    notifier = FlakyNotifier(fail_on=1, after_delivery=True)
    dispatcher = EventDispatcher(memory_bank.store.unit_of_work, notifier)

    with pytest.raises(ConnectionError):
        dispatcher.dispatch()
    assert undelivered(memory_bank) == [1, 2, 3]
    assert dispatcher.dispatch() == 3

    assert notifier.calls == 4  # the first one twice
    assert [n.notification_id for n in notifier.inner.sent] == ["1", "2", "3"]


def test_a_dispatcher_may_translate_events_its_own_way(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    wallet_id = open_wallet()

    def shout(stored: StoredEvent) -> list[Notification]:
        name = stored.event.name
        return [Notification(f"{stored.position}", "ops", Kind.WALLET, name.upper(), name)]

    notifier = InMemoryNotifier()
    EventDispatcher(memory_bank.store.unit_of_work, notifier, shout).dispatch()

    assert [n.text for n in notifier.sent] == ["WALLETOPENED", "CARDBOUND"]
    assert memory_bank.notifier.for_recipient(wallet_id) == []


def test_no_notification_shows_a_card_phone_or_id_number_in_clear(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service = memory_bank.service
    wallet_id = open_wallet(top_up=cny("3000"))
    wallet = service.wallet(wallet_id)
    card = wallet.cards[0]
    second = BankCard.parse("4111111111111111")
    service.bind_card(wallet_id, second, idempotency_key="bind")
    service.withdraw(wallet_id, card, cny("500"), idempotency_key="out")
    service.pay(wallet_id, coffee_shop, cny("600"), method="static_qr", idempotency_key="qr")
    service.pay(wallet_id, coffee_shop, cny("35"), method="nfc", idempotency_key="nfc")
    service.freeze(wallet_id, "checking", idempotency_key="freeze")

    memory_bank.dispatcher.dispatch()

    secrets = [card.reveal(), second.reveal(), wallet.owner.phone.reveal()]
    assert wallet.owner.resident_id is not None
    secrets.append(wallet.owner.resident_id.reveal())
    texts = [n.text for n in memory_bank.notifier.sent]
    assert len(texts) >= 8
    assert not [text for text in texts for secret in secrets if secret in text]
    assert f"to the card ending {card.last_four} (fee 0.00 CNY)" in texts[4]  # four are enough


# --- what each event says ------------------------------------------------------------------------

W, M = "W-1", "M-1"
MESSAGES: list[tuple[Event, NotificationKind, str]] = [
    (
        PaymentCaptured(
            aggregate_id=W,
            version=1,
            at=AT,
            payment_id="P-1",
            merchant_id=M,
            amount=cny("35.50"),
            fee=cny("0"),
            category=Category.FOOD,
            final=True,
            entry_id="E-1",
        ),
        Kind.PAYMENT_DONE,
        "You paid 35.50 CNY (payment P-1).",
    ),
    (
        PaymentDeclined(
            aggregate_id=W,
            version=1,
            at=AT,
            payment_id="P-1",
            merchant_id=M,
            amount=cny("600"),
            method=PaymentMethod.STATIC_QR,
            reason=DeclineReason.DAILY_LIMIT,
        ),
        Kind.PAYMENT_DECLINED,
        "A payment of 600.00 CNY was declined: Exceeds the daily cumulative limit.",
    ),
    (
        OperationDeclined(
            aggregate_id=W,
            version=1,
            at=AT,
            operation=OperationKind.WITHDRAWAL,
            reference="E-1",
            amount=cny("10"),
            reason=DeclineReason.WALLET_FROZEN,
        ),
        Kind.PAYMENT_DECLINED,
        "Your withdrawal of 10.00 CNY was declined: The wallet is frozen.",
    ),
    (
        LimitUsageWarning(
            aggregate_id=W,
            version=1,
            at=AT,
            window=LimitWindow.DAY,
            used=cny("4000"),
            limit=cny("5000"),
            percent=80,
        ),
        Kind.LIMIT_WARNING,
        "You have used 80% of your daily limit (4000.00 CNY of 5000.00 CNY).",
    ),
    (
        ToppedUp(
            aggregate_id=W, version=1, at=AT, amount=cny("1"), card_last_four="8888", entry_id="E"
        ),
        Kind.MONEY_MOVED,
        "1.00 CNY was added from the card ending 8888.",
    ),
    (
        Withdrawn(
            aggregate_id=W,
            version=1,
            at=AT,
            amount=cny("500"),
            fee=cny("0.30"),
            debited=cny("500.30"),
            card_last_four="8888",
            entry_id="E",
        ),
        Kind.MONEY_MOVED,
        "500.00 CNY was sent to the card ending 8888 (fee 0.30 CNY).",
    ),
    (
        TransferSent(
            aggregate_id=W,
            version=1,
            at=AT,
            transfer_id="T-1",
            to_wallet="W-2",
            amount=cny("5"),
            fee=cny("0"),
            debited=cny("5"),
            entry_id="E",
        ),
        Kind.MONEY_MOVED,
        "You sent 5.00 CNY (fee 0.00 CNY).",
    ),
    (
        TransferReceived(
            aggregate_id=W,
            version=1,
            at=AT,
            transfer_id="T-1",
            from_wallet="W-2",
            amount=cny("5"),
            entry_id="E",
        ),
        Kind.MONEY_MOVED,
        "You received 5.00 CNY.",
    ),
    (
        MerchantPaid(
            aggregate_id=M, version=1, at=AT, payment_id="P-1", amount=cny("5"), entry_id="E"
        ),
        Kind.MONEY_MOVED,
        "You received 5.00 CNY for payment P-1.",
    ),
    (
        RefundRequested(
            aggregate_id=W,
            version=1,
            at=AT,
            refund_id="F-1",
            payment_id="P-1",
            merchant_id=M,
            amount=cny("5"),
            answer_deadline=AT + timedelta(days=3),
        ),
        Kind.REFUND_UPDATE,
        "Your refund request of 5.00 CNY for P-1 was sent.",
    ),
    (
        RefundIssued(
            aggregate_id=W,
            version=1,
            at=AT,
            refund_id="F-1",
            payment_id="P-1",
            merchant_id=M,
            amount=cny("5"),
            category=Category.FOOD,
            entry_id="E",
        ),
        Kind.REFUND_UPDATE,
        "5.00 CNY was refunded for payment P-1.",
    ),
    (
        RefundRefused(
            aggregate_id=W, version=1, at=AT, refund_id="F-1", payment_id="P-1", reason="worn"
        ),
        Kind.REFUND_UPDATE,
        "The merchant refused your refund for P-1; you may open a dispute.",
    ),
    (
        RefundLapsed(aggregate_id=W, version=1, at=AT, refund_id="F-1", payment_id="P-1"),
        Kind.REFUND_UPDATE,
        "The merchant did not answer your refund for P-1; you may open a dispute.",
    ),
    (
        MerchantRefunded(
            aggregate_id=M,
            version=1,
            at=AT,
            refund_id="F-1",
            payment_id="P-1",
            amount=cny("5"),
            entry_id="E",
        ),
        Kind.REFUND_UPDATE,
        "5.00 CNY was refunded from your account for payment P-1.",
    ),
    (
        DisputeOpened(
            aggregate_id=W,
            version=1,
            at=AT,
            dispute_id="D-1",
            refund_id="F-1",
            payment_id="P-1",
            merchant_id=M,
            amount=cny("5"),
            response_deadline=AT + timedelta(days=5),
        ),
        Kind.DISPUTE_UPDATE,
        "Dispute D-1 was opened; the bank will mediate.",
    ),
    (
        DisputeResponded(aggregate_id=W, version=1, at=AT, dispute_id="D-1"),
        Kind.DISPUTE_UPDATE,
        "The merchant answered dispute D-1.",
    ),
    (
        DisputeDecided(
            aggregate_id=W,
            version=1,
            at=AT,
            dispute_id="D-1",
            outcome="merchant_responsible",
            refund_amount=cny("5"),
            reason="not delivered",
        ),
        Kind.DISPUTE_UPDATE,
        "The bank decided dispute D-1: 5.00 CNY refunded.",
    ),
    (
        DisputeWithdrawn(aggregate_id=W, version=1, at=AT, dispute_id="D-1"),
        Kind.DISPUTE_UPDATE,
        "Dispute D-1 was withdrawn.",
    ),
    (
        LimitIncreaseApproved(
            aggregate_id=W,
            version=1,
            at=AT,
            limit=Limit.of(daily="9000"),
            expires_at=AT + timedelta(days=30),
        ),
        Kind.LIMIT_UPDATE,
        "Your limit increase was approved until 2026-04-01T02:00:00+00:00.",
    ),
    (
        LimitIncreaseDeclined(
            aggregate_id=W, version=1, at=AT, reasons=("too new", "too few payments")
        ),
        Kind.LIMIT_UPDATE,
        "Your limit increase was declined (too new, too few payments).",
    ),
    (
        LimitIncreaseExpired(aggregate_id=W, version=1, at=AT),
        Kind.LIMIT_UPDATE,
        "Your limit increase has ended; your tier's limits apply.",
    ),
    (
        WalletOpened(aggregate_id=W, version=1, at=AT, tier="WL02", phone=PHONE, currency="CNY"),
        Kind.WALLET,
        "Your wallet is open at tier WL02.",
    ),
    (
        CardBound(aggregate_id=W, version=1, at=AT, card=CARD),
        Kind.SECURITY,
        "Card **** **** **** 8888 was bound to your wallet.",
    ),
    (
        WalletFrozen(aggregate_id=W, version=1, at=AT, reason="fraud"),
        Kind.SECURITY,
        "Your wallet was frozen.",
    ),
    (
        WalletUnfrozen(aggregate_id=W, version=1, at=AT),
        Kind.SECURITY,
        "Your wallet is active again.",
    ),
    (WalletClosed(aggregate_id=W, version=1, at=AT), Kind.WALLET, "Your wallet was closed."),
]


@pytest.mark.parametrize(
    ("event", "kind", "text"), MESSAGES, ids=[event.name for event, _, _ in MESSAGES]
)
def test_each_event_tells_its_owner_what_happened(
    event: Event, kind: NotificationKind, text: str
) -> None:
    [notification] = notifications_for(StoredEvent(7, event))

    assert notification == Notification("7", event.aggregate_id, kind, text, event.name)


BOOKKEEPING: list[Event] = [
    PaymentAuthorised(
        aggregate_id=W,
        version=1,
        at=AT,
        payment_id="P-1",
        merchant_id=M,
        amount=cny("5"),
        method=PaymentMethod.NFC,
        channel=Channel.MOBILE,
        category=Category.FOOD,
        expires_at=AT + timedelta(days=7),
    ),
    PaymentVoided(aggregate_id=W, version=1, at=AT, payment_id="P-1", released=cny("5")),
    PaymentExpired(aggregate_id=W, version=1, at=AT, payment_id="P-1", released=cny("5")),
    MerchantRegistered(
        aggregate_id=M, version=1, at=AT, merchant_name="Coffee", category=Category.FOOD
    ),
]


@pytest.mark.parametrize("event", BOOKKEEPING, ids=[event.name for event in BOOKKEEPING])
def test_bookkeeping_events_tell_nobody(event: Event) -> None:
    assert notifications_for(StoredEvent(1, event)) == []


def test_no_message_text_holds_a_phone_card_or_id_number() -> None:
    resident = ResidentId.parse("34052419800101001X")
    for event, _, _ in MESSAGES:
        for notification in notifications_for(StoredEvent(1, event)):
            for secret in (CARD.reveal(), PHONE.reveal(), resident.reveal()):
                assert secret not in notification.text


# --- the notifiers -------------------------------------------------------------------------------

NOTE = Notification("1", "W-1", Kind.PAYMENT_DONE, "You paid 10.00 CNY.", "PaymentCaptured")


def test_the_in_memory_notifier_keeps_each_notification_once_per_recipient() -> None:
    notifier = InMemoryNotifier()
    other = Notification("2", "M-1", Kind.MONEY_MOVED, "You received 10.00 CNY.", "MerchantPaid")

    for note in (NOTE, other, NOTE):
        notifier.notify(note)

    assert notifier.sent == [NOTE, other]
    assert notifier.for_recipient("M-1") == [other]
    assert notifier.for_recipient("W-9") == []
    assert isinstance(notifier, Notifier)


def test_the_logging_notifier_logs_each_notification_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifier = LoggingNotifier()

    with caplog.at_level(logging.INFO, logger="icbc_wallet.notifications"):
        notifier.notify(NOTE)

    [record] = caplog.records
    assert record.name == "icbc_wallet.notifications"
    assert record.levelno == logging.INFO
    assert record.getMessage() == "payment_done to W-1 [1]: You paid 10.00 CNY."


def test_the_logging_notifier_writes_to_the_logger_it_is_given(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifier = LoggingNotifier(logging.getLogger("bank.sms"))

    with caplog.at_level(logging.INFO, logger="bank.sms"):
        notifier.notify(NOTE)

    assert [record.name for record in caplog.records] == ["bank.sms"]
    assert isinstance(notifier, Notifier)
