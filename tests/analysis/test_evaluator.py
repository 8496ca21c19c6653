"""The policy evaluator decides as the wallet service does, and says why when it cannot."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import pairwise

import attrs
import pytest

from icbc_wallet.analysis import Evaluation, PolicyEvaluator, Transaction, generate_transactions
from icbc_wallet.bootstrap import InMemoryBank
from icbc_wallet.domain.fee_rules import FeeCharging, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.ids import MerchantId, WalletId
from icbc_wallet.domain.limits import Limit, LimitSchedule, PaymentMethod, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.errors import NaiveDatetimeError
from icbc_wallet.presets.limits import ECNY_2021_WITH_QR_CODES
from icbc_wallet.service import WalletPolicies

DEFAULT = WalletPolicies.default()
OpenWallet = Callable[..., WalletId]
SPRING = datetime.fromisoformat("2026-03-29T08:00:00+08:00")  # the month ends on day 3 of 4

TIGHT_WL02 = TierLimits(
    "WL02",
    Limit.of(per_transaction="3000", daily="5000", monthly="9000"),
    balance_cap=Money.of(500_000),
    methods={
        PaymentMethod.STATIC_QR: Limit.of(daily="200"),
        PaymentMethod.WITHDRAWAL: Limit.of(per_transaction="1000", daily="1000"),
    },
)
TIGHT = WalletPolicies(
    limits=LimitSchedule(
        tuple(TIGHT_WL02 if t.name == "WL02" else t for t in ECNY_2021_WITH_QR_CODES.tiers),
        allow_stricter_higher_tiers=True,
    ),
    tiers=DEFAULT.tiers,
    fees=FeeSchedule(
        [
            FeeRule.percentage(
                OperationKind.WITHDRAWAL,
                "0.001",
                minimum=Money.of("0.10"),
                quota=FreeQuota(Money.of(500), QuotaPeriod.MONTH),
            ),
            FeeRule.free(OperationKind.TRANSFER, channel=Channel.MOBILE),
            FeeRule.percentage(
                OperationKind.TRANSFER,
                "0.001",
                channel=Channel.PC,
                minimum=Money.of(1),
                maximum=Money.of(25),
            ),
        ]
    ),
    merchant_fees=FeeSchedule(
        [FeeRule.percentage(OperationKind.PAYMENT, "0.006", minimum=Money.of("0.10"))]
    ),
)


@pytest.fixture
def wallet_policies() -> WalletPolicies:
    return TIGHT


def test_the_evaluator_decides_each_transaction_as_the_wallet_service_does(
    memory_bank: InMemoryBank,
    open_wallet: OpenWallet,
    coffee_shop: MerchantId,
) -> None:
    rows = list(generate_transactions(rows=400, customers=3, tiers=("WL02",), start=SPRING, days=4))
    service, clock = memory_bank.service, memory_bank.clock
    names = sorted({row.customer for row in rows})
    wallets: dict[str, WalletId] = {
        name: open_wallet("WL02", top_up=Money.of(200_000)) for name in names
    }
    evaluator = PolicyEvaluator(TIGHT)
    outcomes: set[tuple[OperationKind, str | None, bool]] = set()
    for number, row in enumerate(rows):
        clock.set(row.at)
        wallet, key, channel = wallets[row.customer], f"replay-{number}", row.channel
        if row.kind is OperationKind.PAYMENT:
            result = service.pay(
                wallet,
                coffee_shop,
                row.amount,
                method=row.method,
                channel=channel or Channel.MOBILE,
                idempotency_key=key,
            )
        elif row.kind is OperationKind.WITHDRAWAL:
            card = service.wallet(wallet).cards[0]
            result = service.withdraw(
                wallet, card, row.amount, channel=channel or Channel.MOBILE, idempotency_key=key
            )
        else:
            recipient = wallets[names[(names.index(row.customer) + 1) % len(names)]]
            result = service.transfer(
                wallet,
                recipient,
                row.amount,
                channel=channel or Channel.MOBILE,
                idempotency_key=key,
            )
        evaluation = evaluator.evaluate(row)
        reason = None if result.approved else result.decision.reason.value  # type: ignore[union-attr]
        fee = result.fee if result.approved else Money.zero()
        assert evaluation == Evaluation(result.approved, reason, fee), (number, row)  # type: ignore[arg-type]
        outcomes.add((row.kind, reason, not evaluation.fee.is_zero()))
    # the comparison covered what matters: caps of every window and method, fees of each kind
    reasons = {reason for _, reason, _ in outcomes}
    assert {"limit.per_transaction", "limit.daily", "limit.monthly"} <= reasons
    assert {kind for kind, reason, charged in outcomes if charged} == set(OperationKind) - {
        OperationKind.TOP_UP,
        OperationKind.CROSS_BORDER,
        OperationKind.CREDIT_CARD_REPAYMENT,
    }


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-02T{text}+08:00")


def payment(
    when: str,
    amount: str,
    *,
    customer: str = "c1",
    tier: str = "WL03",
    method: PaymentMethod = PaymentMethod.NFC,
    kind: OperationKind = OperationKind.PAYMENT,
    channel: Channel | None = None,
    currency: str = "CNY",
) -> Transaction:
    return Transaction(
        f"t-{when}",
        customer,
        tier,
        at(when),
        kind,
        method,
        Money.of(amount, currency),
        channel,
    )


def test_a_tier_the_policy_set_does_not_know_is_declined_not_raised() -> None:
    evaluator = PolicyEvaluator(DEFAULT)
    assert evaluator.evaluate(payment("10:00", "1", tier="gold")) == Evaluation(
        False, "replay.unknown_tier", Money.zero()
    )


def test_a_row_earlier_than_one_already_seen_for_its_customer_is_declined_as_out_of_order() -> None:
    evaluator = PolicyEvaluator(DEFAULT)
    assert evaluator.evaluate(payment("10:00", "4000")).approved
    late = evaluator.evaluate(payment("09:00", "4000"))
    assert late.reason == "replay.out_of_order"
    assert evaluator.evaluate(payment("09:00", "1", customer="c2")).approved  # another customer
    assert evaluator.evaluate(payment("10:00", "4000")).approved  # the same instant is in order
    assert evaluator.evaluate(payment("11:00", "3000")).reason == "limit.daily"  # 8,000 counted


def test_an_amount_in_another_currency_is_declined_as_a_currency_mismatch() -> None:
    evaluator = PolicyEvaluator(DEFAULT)
    assert evaluator.evaluate(payment("10:00", "1", currency="USD")).reason == (
        "replay.currency_mismatch"
    )


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        (OperationKind.TOP_UP, PaymentMethod.ONLINE),
        (OperationKind.PAYMENT, PaymentMethod.WITHDRAWAL),
        (OperationKind.WITHDRAWAL, PaymentMethod.NFC),
    ],
)
def test_an_operation_the_wallet_does_not_make_is_declined_as_unsupported(
    kind: OperationKind, method: PaymentMethod
) -> None:
    evaluation = PolicyEvaluator(DEFAULT).evaluate(payment("10:00", "1", kind=kind, method=method))
    assert evaluation.reason == "replay.unsupported_operation"


def test_a_fee_taken_out_of_an_amount_it_exceeds_is_declined() -> None:
    deducted = FeeRule.flat(OperationKind.TRANSFER, Money.of(2), charging=FeeCharging.DEDUCTED)
    evaluator = PolicyEvaluator(attrs.evolve(DEFAULT, fees=FeeSchedule([deducted])))
    transfer = {"kind": OperationKind.TRANSFER, "method": PaymentMethod.P2P_TRANSFER}
    assert evaluator.evaluate(payment("10:00", "2", **transfer)).reason == (  # type: ignore[arg-type]
        "replay.fee_exceeds_amount"
    )
    assert evaluator.evaluate(payment("10:01", "2.01", **transfer)) == Evaluation(  # type: ignore[arg-type]
        True, None, Money.of(2)
    )


def test_a_merchant_fee_leaves_at_least_one_fen_of_a_tiny_payment() -> None:
    evaluator = PolicyEvaluator(TIGHT)  # 0.6 %, minimum 0.10
    assert evaluator.evaluate(payment("10:00", "0.05")).fee == Money.of("0.04")
    assert evaluator.evaluate(payment("10:01", "100")).fee == Money.of("0.60")


def test_a_row_without_a_channel_is_priced_as_the_service_prices_it_on_mobile() -> None:
    mobile_only = FeeRule.flat(OperationKind.TRANSFER, Money.of(1), channel=Channel.MOBILE)
    evaluator = PolicyEvaluator(attrs.evolve(DEFAULT, fees=FeeSchedule([mobile_only])))
    transfer = {"kind": OperationKind.TRANSFER, "method": PaymentMethod.P2P_TRANSFER}
    assert evaluator.evaluate(payment("10:00", "50", **transfer)).fee == Money.of(1)  # type: ignore[arg-type]
    on_pc = payment("10:01", "50", channel=Channel.PC, **transfer)  # type: ignore[arg-type]
    assert evaluator.evaluate(on_pc).fee == Money.zero()


def test_only_approved_transactions_use_up_limits_and_free_quota() -> None:
    evaluator = PolicyEvaluator(DEFAULT)  # WL02: withdrawals 1,000 a day; 1,000 free for life
    withdrawal = {"tier": "WL02", "kind": OperationKind.WITHDRAWAL}
    method = PaymentMethod.WITHDRAWAL
    assert evaluator.evaluate(payment("10:00", "1200", method=method, **withdrawal)).reason == (  # type: ignore[arg-type]
        "limit.per_transaction"
    )
    assert evaluator.evaluate(payment("10:01", "999", method=method, **withdrawal)).fee == (  # type: ignore[arg-type]
        Money.zero()
    )
    assert evaluator.evaluate(payment("10:02", "2", method=method, **withdrawal)).reason == (  # type: ignore[arg-type]
        "limit.daily"
    )
    tomorrow = attrs.evolve(
        payment("10:03", "200", method=method, **withdrawal),  # type: ignore[arg-type]
        at=at("10:03") + timedelta(days=1),
    )
    assert evaluator.evaluate(tomorrow).fee == Money.of("0.20")  # 1 free, 199 at 0.1 %


def test_a_monthly_free_quota_is_full_again_in_a_new_month() -> None:
    evaluator = PolicyEvaluator(TIGHT)  # WL02 withdrawals: 500 free a month
    rows = [
        Transaction("w1", "c1", "WL02", SPRING, OperationKind.WITHDRAWAL,
                    PaymentMethod.WITHDRAWAL, Money.of(600)),
        Transaction("w2", "c1", "WL02", SPRING + timedelta(days=1), OperationKind.WITHDRAWAL,
                    PaymentMethod.WITHDRAWAL, Money.of(600)),
        Transaction("w3", "c1", "WL02", SPRING + timedelta(days=3), OperationKind.WITHDRAWAL,
                    PaymentMethod.WITHDRAWAL, Money.of(600)),
    ]  # fmt: skip
    assert [evaluator.evaluate(row).fee for row in rows] == [
        Money.of("0.10"),  # 100 charged: the minimum
        Money.of("0.60"),  # nothing free left in March
        Money.of("0.10"),  # April: 500 free again
    ]


def test_a_naive_instant_is_refused_as_the_core_refuses_it() -> None:
    row = attrs.evolve(payment("10:00", "1"), at=datetime(2026, 3, 2, 10))
    with pytest.raises(NaiveDatetimeError):
        PolicyEvaluator(DEFAULT).evaluate(row)


def test_the_evaluator_counts_its_customers_and_needs_a_policy_set() -> None:
    evaluator = PolicyEvaluator(DEFAULT)
    for row in generate_transactions(rows=100, customers=7):
        evaluator.evaluate(row)
    assert evaluator.customers == 7
    with pytest.raises(TypeError):
        PolicyEvaluator(DEFAULT.limits)  # type: ignore[arg-type]


def test_approved_limits_are_never_exceeded_in_a_generated_month() -> None:
    evaluator = PolicyEvaluator(DEFAULT)
    spent: Counter[tuple[str, str, date]] = Counter()
    rows = list(generate_transactions(rows=3_000, customers=30))
    assert all(a.at <= b.at for a, b in pairwise(rows))
    for row in rows:
        evaluation = evaluator.evaluate(row)
        if evaluation.approved:
            debit = row.amount.minor
            if row.kind is not OperationKind.PAYMENT:
                debit += evaluation.fee.minor  # withdrawal fees come on top
            day = row.at.astimezone(DEFAULT.limits.zone).date()
            spent[row.customer, "all", day] += debit
            spent[row.customer, row.method.value, day] += debit
            cap = DEFAULT.limits.tier(row.tier).limit.daily
            assert cap is None or spent[row.customer, "all", day] <= cap.minor
            assert spent[row.customer, "static_qr", day] <= 500_00
            assert spent[row.customer, "withdrawal", day] <= 1000_00
