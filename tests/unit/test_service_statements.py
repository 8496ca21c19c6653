"""Statements through the service: lines from the event history, balances, categories, periods."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.disputes import DisputeEvidence, DisputeOutcome
from icbc_wallet.domain.events import Event, RefundIssued, ToppedUp
from icbc_wallet.domain.fee_rules import FeeCharging, FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import MerchantId, WalletId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.domain.statements import EntryKind, Period, Statement
from icbc_wallet.errors import (
    InvalidPeriodError,
    InvalidStatementError,
    NotFoundError,
)
from icbc_wallet.service import WalletPolicies
from icbc_wallet.service.statements import StatementQueries

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
CARD = BankCard.parse("6225768888888888")
OTHER_CARD = BankCard.parse("6222021000000005")
HOLDERS = (
    ("13800138000", "张三", "34052419800101001X", CARD),
    ("13900139000", "李四", "110101199003070011", OTHER_CARD),
)

_keys = itertools.count(1)


def key() -> str:
    return f"key-{next(_keys)}"


def open_wallet(bank: InMemoryBank, holder: int = 0) -> WalletId:
    """A WL02 wallet (phone, identity and a bank card) for one of the two test holders."""
    number, name, resident_id, card = HOLDERS[holder]
    service, phone = bank.service, PhoneNumber.parse(number)
    registration = service.start_registration(phone, idempotency_key=key())
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key=key())
    service.provide_identity(
        registration, name, ResidentId.parse(resident_id), idempotency_key=key()
    )
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=key())
    service.add_card(registration, card, idempotency_key=key())
    return service.submit_registration(registration, idempotency_key=key())


def fee_policies(withdrawal: FeeCharging, transfer: FeeCharging) -> WalletPolicies:
    fees = FeeSchedule(
        [
            FeeRule.flat(OperationKind.WITHDRAWAL, Money.of("2"), charging=withdrawal),
            FeeRule.flat(OperationKind.TRANSFER, Money.of("1"), charging=transfer),
        ],
        name="test fees",
    )
    merchant_fees = FeeSchedule(
        [FeeRule.percentage(OperationKind.PAYMENT, "0.006")], name="merchant fees"
    )
    return attrs.evolve(WalletPolicies.default(), fees=fees, merchant_fees=merchant_fees)


def refund(customer: Customer, payment_id: str, amount: Money) -> bool:
    """Ask for ``amount`` of a payment back; the merchant accepts. False when declined."""
    asked = customer.service.request_refund(payment_id, amount, idempotency_key=key())
    if asked.approved:
        customer.service.accept_refund(asked.reference, idempotency_key=key())
    return asked.approved


def dispute(customer: Customer, payment_id: str, amount: Money, outcome: DisputeOutcome) -> str:
    """Ask for ``amount`` back, be refused, and take it to the bank, which decides ``outcome``.

    Returns the dispute's id ("" when the refund request was declined).
    """
    service = customer.service
    asked = service.request_refund(payment_id, amount, idempotency_key=key())
    if not asked.approved:
        return ""
    service.refuse_refund(asked.reference, "used goods", idempotency_key=key())
    evidence = DisputeEvidence(order_number="SO-1", description="It arrived broken.")
    opened = service.open_dispute(asked.reference, evidence, idempotency_key=key())
    service.respond_to_dispute(opened.reference, evidence, idempotency_key=key())
    service.decide_dispute(opened.reference, outcome, None, "reasons", idempotency_key=key())
    return opened.reference


class Customer:
    """A wallet, a second customer's wallet, and three merchants."""

    def __init__(self, policies: WalletPolicies | None = None) -> None:
        self.bank = in_memory(policies, start=START)
        self.service = self.bank.service
        self.wallet = open_wallet(self.bank)
        self.friend = open_wallet(self.bank, 1)
        register = self.service.register_merchant
        self.grid = register(
            "State Grid",
            MerchantCreditCode.parse("91110000600037341L"),
            "utilities",
            idempotency_key=key(),
        )
        self.cinema = register(
            "Wanda Cinema",
            MerchantCreditCode.parse("91110000600037341L"),
            "movies",
            idempotency_key=key(),
        )
        self.hotel = register(
            "Jinjiang Inn",
            MerchantCreditCode.parse("91110000600037341L"),
            "hotel",
            idempotency_key=key(),
        )

    def top_up(self, amount: str, wallet: str | None = None) -> None:
        card = CARD if wallet is None else OTHER_CARD
        result = self.service.top_up(
            wallet or self.wallet, card, Money.of(amount), idempotency_key=key()
        )
        assert result.approved

    def bill(self, merchant: str, amount: str, category: str) -> str:
        result = self.service.pay_bill(
            self.wallet, merchant, Money.of(amount), category=category, idempotency_key=key()
        )
        assert result.approved
        return result.reference

    def at(self, moment: datetime) -> None:
        self.bank.clock.set(moment)

    def month(self, year: int, month: int) -> Statement:
        return self.service.monthly_statement(self.wallet, year, month)

    def everything(self, wallet: str | None = None) -> Statement:
        period = Period(START - timedelta(days=1), self.bank.clock.now() + timedelta(days=1))
        return self.service.statement(wallet or self.wallet, period)


@pytest.fixture
def customer() -> Customer:
    return Customer()


def kinds_and_amounts(statement: Statement) -> list[tuple[EntryKind, Money]]:
    return [(line.kind, line.amount) for line in statement.lines]


# --- lines from events --------------------------------------------------------------------


def test_bills_are_totalled_by_category_with_refunds_netted(customer: Customer) -> None:
    customer.top_up("2000")
    customer.bill(customer.grid, "120.50", "utilities")
    customer.bill(customer.cinema, "80", "movies")
    customer.bill(customer.cinema, "45", "movies")
    stay = customer.bill(customer.hotel, "600", "hotel")
    assert refund(customer, stay, Money.of("100"))
    march = customer.month(2026, 3)
    assert dict(march.spending_by_category()) == {
        Category.UTILITIES: Money.of("120.50"),
        Category.MOVIES: Money.of("125"),
        Category.HOTEL: Money.of("500"),
    }
    assert dict(march.totals_by_kind()) == {
        EntryKind.PAYMENT: Money.of("-845.50"),
        EntryKind.REFUND: Money.of("100"),
        EntryKind.TOP_UP: Money.of("2000"),
    }
    assert (march.opening_balance, march.closing_balance) == (Money.of("0"), Money.of("1254.50"))
    period = Period.month(2026, 3)
    assert (
        customer.service.spending_by_category(customer.wallet, period)
        == march.spending_by_category()
    )


def test_a_payment_line_names_the_merchant_and_its_category(customer: Customer) -> None:
    customer.top_up("100")
    payment = customer.bill(customer.grid, "30", "utilities")
    line = customer.month(2026, 3).lines[-1]
    assert (line.kind, line.amount, line.reference) == (EntryKind.PAYMENT, Money.of("-30"), payment)
    assert (line.category, line.counterparty) == (Category.UTILITIES, "State Grid")


def test_the_merchant_fee_is_the_merchants_cost_not_a_line_of_the_customer() -> None:
    customer = Customer(fee_policies(FeeCharging.ON_TOP, FeeCharging.ON_TOP))
    customer.top_up("1000")
    customer.bill(customer.hotel, "500", "hotel")
    assert kinds_and_amounts(customer.everything())[-1] == (EntryKind.PAYMENT, Money.of("-500"))
    assert customer.everything().closing_balance == Money.of("500")


def test_a_fee_on_top_of_a_withdrawal_is_its_own_line_after_the_whole_amount() -> None:
    customer = Customer(fee_policies(FeeCharging.ON_TOP, FeeCharging.ON_TOP))
    customer.top_up("1000")
    customer.service.withdraw(customer.wallet, CARD, Money.of("300"), idempotency_key=key())
    assert kinds_and_amounts(customer.everything())[-2:] == [
        (EntryKind.WITHDRAWAL, Money.of("-300")),
        (EntryKind.FEE, Money.of("-2")),
    ]
    assert customer.everything().closing_balance == Money.of("698")


def test_a_deducted_withdrawal_fee_shows_what_reached_the_card_and_the_fee() -> None:
    customer = Customer(fee_policies(FeeCharging.DEDUCTED, FeeCharging.ON_TOP))
    customer.top_up("1000")
    customer.service.withdraw(customer.wallet, CARD, Money.of("300"), idempotency_key=key())
    assert kinds_and_amounts(customer.everything())[-2:] == [
        (EntryKind.WITHDRAWAL, Money.of("-298")),
        (EntryKind.FEE, Money.of("-2")),
    ]
    assert customer.everything().closing_balance == Money.of("700")


@pytest.mark.parametrize(
    ("charging", "sent", "arrived"),
    [(FeeCharging.ON_TOP, "-200", "200"), (FeeCharging.DEDUCTED, "-199", "199")],
)
def test_a_transfer_shows_on_both_sides_with_the_fee_on_the_senders(
    charging: FeeCharging, sent: str, arrived: str
) -> None:
    customer = Customer(fee_policies(FeeCharging.ON_TOP, charging))
    customer.top_up("500")
    result = customer.service.transfer(
        customer.wallet, customer.friend, Money.of("200"), idempotency_key=key()
    )
    out, fee = customer.everything().lines[-2:]
    assert (out.kind, out.amount, out.reference) == (
        EntryKind.TRANSFER_OUT,
        Money.of(sent),
        result.reference,
    )
    assert out.counterparty == f"wallet *{customer.friend[-4:]}"
    assert (fee.kind, fee.amount, fee.memo) == (EntryKind.FEE, Money.of("-1"), "transfer_out fee")
    [incoming] = customer.everything(customer.friend).lines
    assert (incoming.kind, incoming.amount) == (EntryKind.TRANSFER_IN, Money.of(arrived))
    assert incoming.counterparty == f"wallet *{customer.wallet[-4:]}"
    for wallet in (customer.wallet, customer.friend):
        assert (
            customer.everything(wallet).closing_balance == customer.service.balance(wallet).posted
        )


@pytest.mark.parametrize(
    ("outcome", "lines"),
    [(DisputeOutcome.MERCHANT_RESPONSIBLE, 3), (DisputeOutcome.CUSTOMER_RESPONSIBLE, 2)],
)
def test_a_dispute_decided_for_the_customer_is_a_refund_line_and_nothing_else_is(
    customer: Customer, outcome: DisputeOutcome, lines: int
) -> None:
    customer.top_up("1000")
    stay = customer.bill(customer.hotel, "300", "hotel")
    customer.bank.clock.advance(timedelta(days=1))
    dispute_id = dispute(customer, stay, Money.of("120"), outcome)
    statement = customer.everything()
    assert statement.count == lines
    assert statement.closing_balance == customer.service.balance(customer.wallet).posted
    if outcome is DisputeOutcome.MERCHANT_RESPONSIBLE:
        line = statement.lines[-1]
        assert (line.kind, line.amount, line.reference) == (
            EntryKind.REFUND,
            Money.of("120"),
            dispute_id,
        )
        assert (line.category, line.counterparty) == (Category.HOTEL, "Jinjiang Inn")
        assert dict(statement.spending_by_category()) == {Category.HOTEL: Money.of("180")}


def test_a_free_transfer_has_no_fee_line(customer: Customer) -> None:
    customer.top_up("500")
    customer.service.transfer(
        customer.wallet, customer.friend, Money.of("200"), idempotency_key=key()
    )
    assert kinds_and_amounts(customer.everything())[-1] == (
        EntryKind.TRANSFER_OUT,
        Money.of("-200"),
    )


def test_holds_make_no_lines_until_they_are_captured(customer: Customer) -> None:
    customer.top_up("1000")
    held = customer.service.authorise(
        customer.wallet, customer.hotel, Money.of("400"), method="online", idempotency_key=key()
    )
    voided = customer.service.authorise(
        customer.wallet, customer.hotel, Money.of("50"), method="online", idempotency_key=key()
    )
    customer.service.void(voided.reference, idempotency_key=key())
    assert customer.everything().count == 1
    customer.service.capture(held.reference, Money.of("150"), final=False, idempotency_key=key())
    customer.service.capture(held.reference, Money.of("100"), idempotency_key=key())
    payments = [line for line in customer.everything().lines if line.kind is EntryKind.PAYMENT]
    assert [line.amount for line in payments] == [Money.of("-150"), Money.of("-100")]
    assert {line.reference for line in payments} == {held.reference}
    assert customer.everything().closing_balance == Money.of("750")


def test_a_declined_payment_makes_no_line(customer: Customer) -> None:
    customer.top_up("100")
    assert not customer.service.pay(
        customer.wallet, customer.hotel, Money.of("600"), method="online", idempotency_key=key()
    ).approved
    assert kinds_and_amounts(customer.everything()) == [(EntryKind.TOP_UP, Money.of("100"))]


def test_a_top_up_line_names_the_card_by_its_last_four_digits(customer: Customer) -> None:
    customer.top_up("100")
    assert customer.everything().lines[0].counterparty == "bank card *8888"


# --- periods and balances -----------------------------------------------------------------


def test_a_payment_at_half_past_eleven_at_night_on_the_31st_belongs_to_that_month(
    customer: Customer,
) -> None:
    customer.top_up("1000")
    customer.at(datetime(2026, 3, 31, 23, 30, tzinfo=SHANGHAI))  # 15:30 UTC
    late = customer.bill(customer.grid, "10", "utilities")
    customer.at(datetime(2026, 4, 1, 0, 30, tzinfo=SHANGHAI))  # still 31 March in UTC
    early = customer.bill(customer.cinema, "20", "movies")
    march, april = customer.month(2026, 3), customer.month(2026, 4)
    assert march.lines[-1].reference == late
    assert [line.reference for line in april.lines] == [early]
    assert april.opening_balance == march.closing_balance == Money.of("990")
    assert april.closing_balance == Money.of("970")


def test_a_statement_of_an_earlier_period_opens_with_the_balance_before_it(
    customer: Customer,
) -> None:
    customer.top_up("1000")
    customer.at(datetime(2026, 4, 10, 12, tzinfo=SHANGHAI))
    customer.bill(customer.grid, "99", "utilities")
    customer.at(datetime(2026, 6, 1, 12, tzinfo=SHANGHAI))
    april = customer.month(2026, 4)
    assert (april.opening_balance, april.closing_balance) == (Money.of("1000"), Money.of("901"))
    may = customer.month(2026, 5)
    assert (may.opening_balance, may.count, may.closing_balance) == (
        Money.of("901"),
        0,
        Money.of("901"),
    )


def test_a_period_before_the_wallet_opened_is_empty(customer: Customer) -> None:
    customer.top_up("1000")
    february = customer.month(2026, 2)
    assert (february.opening_balance, february.count) == (Money.of("0"), 0)


def test_the_policies_business_zone_decides_the_month() -> None:
    base = WalletPolicies.default()
    utc_limits = attrs.evolve(base.limits, zone=ZoneInfo("UTC"))
    customer = Customer(attrs.evolve(base, limits=utc_limits))
    customer.top_up("100")
    customer.at(datetime(2026, 4, 1, 0, 30, tzinfo=SHANGHAI))  # 31 March, 16:30 UTC
    customer.bill(customer.grid, "10", "utilities")
    assert customer.month(2026, 3).count == 2


def test_a_statement_that_does_not_reconcile_with_the_balance_is_refused(
    customer: Customer,
) -> None:
    customer.top_up("100")
    with customer.bank.store.unit_of_work() as uow:  # an event whose money never moved
        wallet = uow.wallets.get(customer.wallet)
        wallet.record(
            ToppedUp,
            customer.bank.clock.now(),
            amount=Money.of("5"),
            card_last_four="8888",
            entry_id="E-ghost",
        )
        uow.wallets.save(wallet)
        uow.events.append(wallet.pull_events())
        uow.commit()
    with pytest.raises(InvalidStatementError, match=r"ledger says 100\.00"):
        customer.everything()


def test_a_merchant_that_cannot_be_found_is_named_by_its_id(customer: Customer) -> None:
    customer.top_up("100")
    moment = customer.bank.clock.now()
    with customer.bank.store.unit_of_work() as uow:
        wallet = uow.wallets.get(customer.wallet)
        wallet.record(
            RefundIssued,
            moment,
            refund_id="R-x",
            payment_id="P-x",
            merchant_id=MerchantId("M-gone"),
            amount=Money.of("1"),
            category=Category.OTHER,
            entry_id="E-x",
        )
        uow.wallets.save(wallet)
        uow.events.append(wallet.pull_events())
        uow.commit()
    customer.at(moment + timedelta(hours=2))
    past = customer.service.statement(customer.wallet, Period(moment, moment + timedelta(hours=1)))
    assert past.lines[-1].counterparty == "M-gone"


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("period", [None, (START, START + timedelta(days=1)), "2026-03"])
def test_a_period_must_be_a_period(customer: Customer, period: object) -> None:
    with pytest.raises(InvalidPeriodError):
        customer.service.statement(customer.wallet, period)  # type: ignore[arg-type]


def test_a_month_must_exist(customer: Customer) -> None:
    with pytest.raises(InvalidPeriodError):
        customer.service.monthly_statement(customer.wallet, 2026, 13)


def test_an_unknown_wallet_has_no_statement(customer: Customer) -> None:
    with pytest.raises(NotFoundError):
        customer.service.statement("W-404", Period.month(2026, 3))


def test_the_statement_queries_are_part_of_the_wallet_service(customer: Customer) -> None:
    assert isinstance(customer.service, StatementQueries)


# --- laws ---------------------------------------------------------------------------------

_amounts = st.integers(500, 60_000).map(Money.from_minor)
_operations = st.one_of(
    st.tuples(st.just("top_up"), _amounts),
    st.tuples(st.just("withdraw"), _amounts),
    st.tuples(st.just("pay"), _amounts),
    st.tuples(st.just("hold"), _amounts),
    st.tuples(st.just("capture_part"), _amounts),
    st.tuples(st.just("transfer_out"), _amounts),
    st.tuples(st.just("transfer_in"), _amounts),
    st.tuples(st.just("refund"), _amounts),
    st.tuples(st.just("dispute"), _amounts),
    st.tuples(st.just("wait"), st.integers(1, 24 * 40)),
)


def _run(customer: Customer, operation: tuple[str, object]) -> None:
    service, me, them = customer.service, customer.wallet, customer.friend
    name, value = operation
    if name == "wait":
        assert isinstance(value, int)
        customer.bank.clock.advance(timedelta(hours=value))
        service.expire_holds()  # the periodic sweep
        return
    assert isinstance(value, Money)
    if name == "top_up":
        service.top_up(me, CARD, value, idempotency_key=key())
    elif name == "withdraw":
        service.withdraw(me, CARD, value, idempotency_key=key())
    elif name == "pay":
        service.pay_bill(me, customer.grid, value, category="utilities", idempotency_key=key())
    elif name == "hold":
        service.authorise(me, customer.hotel, value, method="online", idempotency_key=key())
    elif name == "capture_part":
        open_holds = [p for p in _payments(customer) if service.payment(p).is_open]
        if open_holds:
            pending = service.payment(open_holds[0]).hold.pending
            part = Money.from_minor(min(value.minor, pending.minor))
            service.capture(open_holds[0], part, final=False, idempotency_key=key())
    elif name == "transfer_out":
        service.transfer(me, them, value, idempotency_key=key())
    elif name == "transfer_in":
        service.top_up(them, OTHER_CARD, value, idempotency_key=key())
        service.transfer(them, me, value, idempotency_key=key())
    elif name in {"refund", "dispute"}:
        _claim(customer, name, value)


def _claim(customer: Customer, name: str, value: Money) -> None:
    """Refund or dispute part of the latest final payment that still has something refundable."""
    done = [customer.service.payment(p) for p in _payments(customer)]
    refundable = [p for p in done if not p.is_open and p.refundable.minor > 0]
    if not refundable:
        return
    payment = refundable[-1]
    amount = Money.from_minor(min(value.minor, payment.refundable.minor))
    if name == "refund":
        refund(customer, payment.payment_id, amount)
    else:
        lost = value.minor % 2 == 1
        outcome = (
            DisputeOutcome.CUSTOMER_RESPONSIBLE if lost else DisputeOutcome.MERCHANT_RESPONSIBLE
        )
        dispute(customer, payment.payment_id, amount, outcome)


def _payments(customer: Customer) -> list[str]:
    with customer.bank.store.unit_of_work() as uow:
        return [
            event.payment_id  # type: ignore[attr-defined]
            for event in uow.events.for_aggregate(customer.wallet)
            if event.name == "PaymentAuthorised"
        ]


@settings(max_examples=40)
@given(
    operations=st.lists(_operations, max_size=25),
    withdrawal=st.sampled_from(FeeCharging),
    transfer=st.sampled_from(FeeCharging),
    cuts=st.lists(st.integers(0, 10**6), max_size=4),
)
def test_statements_end_at_the_posted_balance_and_consecutive_periods_chain(
    operations: list[tuple[str, object]],
    withdrawal: FeeCharging,
    transfer: FeeCharging,
    cuts: list[int],
) -> None:
    customer = Customer(fee_policies(withdrawal, transfer))
    customer.top_up("3000")  # so that most payments, withdrawals and transfers can go through
    for operation in operations:
        _run(customer, operation)
    for wallet in (customer.wallet, customer.friend):
        whole = customer.everything(wallet)
        assert whole.opening_balance == Money.of("0")
        assert whole.closing_balance == customer.service.balance(wallet).posted
        start, end = whole.period.start, whole.period.end
        span = (end - start) // 10**6
        bounds = [start, *sorted(start + span * cut for cut in set(cuts) if cut), end]
        statements = [
            customer.service.statement(wallet, Period(a, b))
            for a, b in itertools.pairwise(bounds)
            if a < b
        ]
        for earlier, later in itertools.pairwise(statements):
            assert earlier.closing_balance == later.opening_balance
        assert statements[-1].closing_balance == whole.closing_balance
        assert sum(piece.count for piece in statements) == whole.count


def test_events_that_move_no_money_make_no_lines(customer: Customer) -> None:
    customer.service.freeze(customer.wallet, "lost phone", idempotency_key=key())
    customer.service.unfreeze(customer.wallet, idempotency_key=key())
    with customer.bank.store.unit_of_work() as uow:
        history: list[Event] = uow.events.for_aggregate(customer.wallet)
    assert len(history) >= 4
    assert customer.everything().count == 0
