"""The wallet service as a state machine: random command sequences keep every invariant.

The machine drives :func:`icbc_wallet.bootstrap.in_memory` through registrations, payments,
holds, transfers, withdrawals, refunds, disputes and limit increases while a manual clock moves
by minutes to days. It keeps its own model of every wallet (balance, holds, what was spent per
business day in Asia/Shanghai and by which method), payment, refund request and dispute, computed
from the commands' results and the published caps, never from the library's own running totals.

After every step: the ledger sums to zero; each wallet's and merchant's balance equals its ledger
account and the model; nothing available is negative; no cap was ever exceeded, holds included;
refunded + claimed <= captured; a dispute reaches at most one terminal state and stays there;
the dispute suspense account holds exactly what open disputes set aside. Every approval or decline
is predicted by the model, and replaying a command returns the first result and changes nothing.

Runs are 50 steps long; 60 runs locally, at least 200 full-length runs' worth under CI (``CI`` set,
the derandomized ``ci`` profile), 1,500 under ``HYPOTHESIS_PROFILE=fuzz``.

The same machine also runs in lockstep (:class:`LockstepMachine`): each command runs on the
in-memory bank, on a SQLite file and on a PostgreSQL schema (fresh for each run, one clock,
sequential ids), which must give the same answers (results, or exceptions of the same type and
message), the same ledger balances after every step, and the same stored aggregates, events,
journal and notifications every ten steps and at the end of each run. That costs about a dozen
times as much a run: 9 runs locally and under ``ci-quick``, at least 30 full-length runs' worth
under CI, 450 under ``fuzz``. It needs PostgreSQL (see the ``postgres_dsn`` fixture).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from icbc_wallet import bootstrap
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.notifiers import InMemoryNotifier
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds
from icbc_wallet.adapters.verification import InMemoryPhoneVerifier
from icbc_wallet.bootstrap import Bank, InMemoryBank, in_memory, storage_codec
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import Declined, DeclineReason
from icbc_wallet.domain.disputes import DisputeEvidence, DisputeOutcome, DisputeStatus
from icbc_wallet.domain.fee_rules import FeeBracket, FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import DisputeId, MerchantId, PaymentId, RefundId, WalletId
from icbc_wallet.domain.ledger import AccountId, AccountKind, trial_balance
from icbc_wallet.domain.limit_increase import IncreaseApproved, LimitGrant, LimitIncreaseTerms
from icbc_wallet.domain.limits import Limit, PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.refund_requests import RefundRequestStatus
from icbc_wallet.errors import (
    DisputeStateError,
    HoldStateError,
    IdempotencyConflict,
    PaymentStateError,
    RefundStateError,
    VerificationFailedError,
    WalletStateError,
)
from icbc_wallet.ports.persistence import UnitOfWorkFactory
from icbc_wallet.service import WalletPolicies, WalletService
from icbc_wallet.service.dispatcher import EventDispatcher
from icbc_wallet.service.results import OperationResult
from icbc_wallet.wallet.aggregate import Wallet, WalletStatus

R = TypeVar("R")

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: the first day ends soon
MERCHANT_FEES = FeeSchedule(
    [FeeRule(OperationKind.PAYMENT, [FeeBracket(None, Money.of(0), "0.006")], name="0.6%")],
    name="merchant rate",
)
POLICIES = attrs.evolve(
    WalletPolicies.default(),
    merchant_fees=MERCHANT_FEES,
    # Easy to earn, short-lived grants: increases and their expiry happen within one run.
    increase_terms=LimitIncreaseTerms(
        min_account_age_days=0, min_payments_90d=0, max_declines_30d=10**6, grant_days=1
    ),
)
CHOSEN = Limit.of(per_transaction="300", daily="800")
CREDIT_CODE = MerchantCreditCode.parse("91110000600037341L")
EVIDENCE = DisputeEvidence(order_number="SO-1", description="It never arrived.")
TIER_BY_EVIDENCE = {"phone": "WL04", "identity": "WL03", "card": "WL02"}
MERCHANT_METHODS = (
    PaymentMethod.STATIC_QR,
    PaymentMethod.DYNAMIC_QR,
    PaymentMethod.NFC,
    PaymentMethod.ONLINE,
)
ACTIVE_DISPUTE = (DisputeStatus.OPEN, DisputeStatus.RESPONDED)
REFUND_ANSWERS = ("accept", "accept part", "refuse", "refuse, then dispute")
DECISIONS = ("merchant pays", "merchant pays part", "customer pays", "customer pays, refund zero")
DISPUTE_ACTIONS = ("respond", "respond", "withdraw", *DECISIONS)
KEPT = POLICIES.idempotency_time
REFUND_WINDOW = timedelta(days=7)  # the article's window, counted from the capture
DISPUTE_WINDOW = POLICIES.dispute_terms.open_within

# CI runs the machine at least 200 times for 50 steps. Hypothesis ends some runs early on purpose
# while it explores (about one in four), so it is asked for half as many again.
PROFILE = settings.get_current_profile_name()
MIN_RUNS = {"ci": 200, "fuzz": 1000}.get(PROFILE, 40)
EXAMPLES = MIN_RUNS * 3 // 2
STEPS = 50
MACHINE_SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    suppress_health_check=[HealthCheck.too_slow],
)

# In lockstep with SQLite and PostgreSQL a run costs about a dozen times as much.
LOCKSTEP_MIN_RUNS = {"ci": 30, "fuzz": 300}.get(PROFILE, 6)
COMPARE_ALL_EVERY = 10  # steps; balances are compared after every step, all at the end

INDEX = st.integers(0, 31)
MINUTES = st.integers(1, 180).map(lambda m: timedelta(minutes=m))
DAYS = st.integers(1, 4).map(lambda d: timedelta(days=d))
PORTION = st.integers(1, 120)  # percent; above 100 asks for too much
TOP_UP = st.one_of(st.integers(100_00, 5_000_00), st.sampled_from([10_000_00, 20_000_00]))
AMOUNT = st.one_of(
    st.integers(1, 100_00),
    st.integers(100_00, 6_000_00),
    st.sampled_from([300_00, 500_00, 800_00, 1_000_00, 2_000_00, 5_000_00]),
)


def business_day(at: datetime) -> int:
    return at.astimezone(SHANGHAI).toordinal()


def minor(cap: Money | None) -> int | None:
    return None if cap is None else cap.minor


def tighter(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return b if a is None else a
    return min(a, b)


def looser(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)


def resident_for(number: int) -> ResidentId:
    """A valid resident ID, one per ``number`` (one person holds one wallet)."""
    body = f"34052419800101{number:03d}"
    weights = [2 ** (17 - index) % 11 for index in range(17)]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return ResidentId.parse(body + check)


def card_for(number: int) -> BankCard:
    body = f"622576{number:09d}"
    total = sum(
        (int(c) * (2 - index % 2)) // 10 + (int(c) * (2 - index % 2)) % 10
        for index, c in enumerate(reversed(body))
    )
    return BankCard.parse(body + str(-total % 10))


def pick(items: list[R], index: int) -> R:
    return items[index % len(items)]


def prefer(preferred: list[R], others: list[R], index: int) -> R:
    """Mostly one of ``preferred`` (when there are any), one time in four one of ``others``."""
    return pick(preferred if preferred and index % 4 != 3 else others, index)


@attrs.define
class WalletModel:
    wallet_id: WalletId
    tier: str
    card: BankCard | None
    chosen: Limit | None
    posted: int = 0
    pending: int = 0
    frozen: bool = False
    grant: LimitGrant | None = None
    lost_disputes: int = 0
    spent: dict[tuple[int, PaymentMethod], int] = attrs.Factory(dict)
    daily_cap: dict[int, int | None] = attrs.Factory(dict)  # the loosest cap met that day

    def spent_on(self, day: int, method: PaymentMethod | None = None) -> int:
        return sum(v for (d, m), v in self.spent.items() if d == day and method in (None, m))


@attrs.define
class PaymentModel:
    payment_id: PaymentId
    wallet: WalletModel
    method: PaymentMethod
    amount: int
    placed_at: datetime
    expires_at: datetime
    pending: int
    open: bool = True
    captured: int = 0
    captured_at: datetime | None = None
    refunded: int = 0
    claimed: int = 0


@attrs.define
class RefundModel:
    refund_id: RefundId
    payment: PaymentModel
    requested: int
    deadline: datetime
    silent: bool  # the merchant never answers: the request lapses
    status: RefundRequestStatus = RefundRequestStatus.REQUESTED
    closed_at: datetime | None = None


@attrs.define
class DisputeModel:
    dispute_id: DisputeId
    refund: RefundModel
    amount: int
    response_deadline: datetime
    status: DisputeStatus = DisputeStatus.OPEN


@attrs.define
class Replayable:
    at: datetime
    key: str
    command: Callable[[str], object]
    result: object


class WalletMachine(RuleBasedStateMachine):
    """Commands against one in-memory bank, checked against an independent model."""

    runs: ClassVar[list[int]] = []  # steps per run, for the test that runs are long

    def __init__(self) -> None:
        super().__init__()
        self.bank: InMemoryBank = in_memory(POLICIES, start=START)
        self.service = self.bank.service
        self.wallets: list[WalletModel] = []
        self.merchants: list[MerchantId] = []
        self.payments: list[PaymentModel] = []
        self.refunds: list[RefundModel] = []
        self.disputes: list[DisputeModel] = []
        self.replayable: list[Replayable] = []
        self.terminal: dict[DisputeId, DisputeStatus] = {}
        self.counter = 0
        self.steps = 0  # counted by the invariants, which run after every step

    def teardown(self) -> None:
        type(self).runs.append(self.steps)

    # --- plumbing -------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.bank.clock.now()

    def key(self) -> str:
        self.counter += 1
        return f"K-{self.counter}"

    def run(self, command: Callable[[str], R]) -> R:
        """Run a command with a new key and remember it for replays."""
        key = self.key()
        result = command(key)
        self.replayable.append(Replayable(self.now, key, command, result))
        return result

    def snapshot(self) -> object:
        store = self.bank.store
        with store.unit_of_work() as uow:
            balances = uow.ledger.balances()
            return (
                balances,
                len(store.outbox),
                len(store.idempotency),
                [_wallet_state(uow.wallets.get(w.wallet_id)) for w in self.wallets],
                [uow.payments.get(p.payment_id).version for p in self.payments],
                [uow.refunds.get(r.refund_id) for r in self.refunds],
                [uow.disputes.get(d.dispute_id) for d in self.disputes],
            )

    def fails_changing_nothing(
        self, error: type[Exception] | tuple[type[Exception], ...], command: Callable[[str], object]
    ) -> None:
        before = self.snapshot()
        with pytest.raises(error):
            command(self.key())
        assert self.snapshot() == before

    def overall_caps(self, wallet: WalletModel) -> tuple[int | None, int | None]:
        """The wallet's per-transaction and daily caps now: tier, choice and grant."""
        tier = POLICIES.limits.tier(wallet.tier).limit
        per_tx, daily = minor(tier.per_transaction), minor(tier.daily)
        if wallet.chosen is not None:
            per_tx = tighter(per_tx, minor(wallet.chosen.per_transaction))
            daily = tighter(daily, minor(wallet.chosen.daily))
        grant = wallet.grant
        if grant is not None and grant.granted_at <= self.now < grant.expires_at:
            per_tx = looser(per_tx, minor(grant.limit.per_transaction))
            daily = looser(daily, minor(grant.limit.daily))
        return per_tx, daily

    def within_limits(self, wallet: WalletModel, method: PaymentMethod, debit: int) -> bool:
        tier = POLICIES.limits.tier(wallet.tier)
        if method in tier.disallowed:
            return False
        day = business_day(self.now)
        per_tx, daily = self.overall_caps(wallet)
        checks = [(per_tx, 0), (daily, wallet.spent_on(day))]
        own = tier.methods.get(method)
        if own is not None:
            checks += [
                (minor(own.per_transaction), 0),
                (minor(own.daily), wallet.spent_on(day, method)),
            ]
        return all(cap is None or used + debit <= cap for cap, used in checks)

    def may_spend(self, wallet: WalletModel, method: PaymentMethod, debit: int) -> bool:
        available = wallet.posted - wallet.pending
        return (
            not wallet.frozen and debit <= available and self.within_limits(wallet, method, debit)
        )

    def may_receive(self, wallet: WalletModel, amount: int) -> bool:
        cap = minor(POLICIES.limits.tier(wallet.tier).balance_cap)
        return not wallet.frozen and (cap is None or wallet.posted + amount <= cap)

    def spend(self, wallet: WalletModel, method: PaymentMethod, debit: int) -> None:
        assert self.within_limits(wallet, method, debit), "the service let a cap be exceeded"
        day = business_day(self.now)
        wallet.spent[day, method] = wallet.spent.get((day, method), 0) + debit
        cap = self.overall_caps(wallet)[1]
        seen = wallet.daily_cap.get(day, 0)
        wallet.daily_cap[day] = None if cap is None or seen is None else max(cap, seen)

    def release(self, payment: PaymentModel, amount: int) -> None:
        wallet = payment.wallet
        wallet.pending -= amount
        day = business_day(payment.placed_at)
        wallet.spent[day, payment.method] -= amount

    # --- accounts -------------------------------------------------------------------------------

    def register(self, evidence: str, choose: bool) -> None:
        number = len(self.wallets) + 1
        phone = PhoneNumber.parse(f"1390000{number:04d}")
        service = self.service
        registration = self.run(lambda key: service.start_registration(phone, idempotency_key=key))
        code = self.bank.phone_verifier.last_code_for(phone)
        assert code is not None
        self.run(lambda key: service.verify_phone(registration, phone, code, idempotency_key=key))
        if evidence != "phone":
            self.run(
                lambda key: service.provide_identity(
                    registration, "张三", resident_for(number), idempotency_key=key
                )
            )
        self.run(
            lambda key: service.set_credentials(
                registration, "135790", "Pet?", "Rex", idempotency_key=key
            )
        )
        card = card_for(number) if evidence == "card" else None
        if card is not None:
            self.run(lambda key: service.add_card(registration, card, idempotency_key=key))
        if choose:
            self.run(lambda key: service.choose_limits(registration, CHOSEN, idempotency_key=key))
        wallet_id = self.run(
            lambda key: service.submit_registration(registration, idempotency_key=key)
        )
        tier = TIER_BY_EVIDENCE[evidence]
        assert service.wallet(wallet_id).tier == tier
        self.wallets.append(WalletModel(wallet_id, tier, card, CHOSEN if choose else None))

    @initialize(choose=st.booleans())
    def open_a_funded_verified_wallet_and_a_merchant(self, choose: bool) -> None:
        self.register("card", choose=choose)
        self.register_merchant(Category.SHOPPING)
        self.top_up(0, 20_000_00)

    @precondition(lambda self: len(self.wallets) < 4)
    @rule(evidence=st.sampled_from(sorted(TIER_BY_EVIDENCE)), choose=st.booleans())
    def register_wallet(self, evidence: str, choose: bool) -> None:
        self.register(evidence, choose)

    @precondition(lambda self: len(self.merchants) < 3)
    @rule(category=st.sampled_from(Category))
    def register_merchant(self, category: Category) -> None:
        name = f"Shop {len(self.merchants)}"
        merchant_id = self.run(
            lambda key: self.service.register_merchant(
                name, CREDIT_CODE, category, idempotency_key=key
            )
        )
        self.merchants.append(merchant_id)

    @rule(index=INDEX, stay=st.integers(0, 3))
    def freeze_or_unfreeze(self, index: int, stay: int) -> None:
        """Unfreeze a frozen wallet; freeze an active one, for a while (one time in four)."""
        wallet = pick(self.wallets, index)
        if not wallet.frozen:
            self.run(
                lambda key: self.service.freeze(wallet.wallet_id, "a test", idempotency_key=key)
            )
            wallet.frozen = True
            if stay:
                return
        self.run(lambda key: self.service.unfreeze(wallet.wallet_id, idempotency_key=key))
        wallet.frozen = False

    @precondition(lambda self: any(w.card is None for w in self.wallets))
    @rule(index=INDEX)
    def bind_a_card(self, index: int) -> None:
        """A class-3 wallet rises to class 2; a class-4 one has no verified holder to match."""
        wallet = pick([w for w in self.wallets if w.card is None], index)
        card = card_for(100 + self.wallets.index(wallet))
        bind = lambda key: self.service.bind_card(wallet.wallet_id, card, idempotency_key=key)  # noqa: E731
        if wallet.tier == "WL04":
            self.fails_changing_nothing(VerificationFailedError, bind)
        else:
            assert self.run(bind) == "WL02"
            wallet.tier, wallet.card = "WL02", card

    def without_grant(self) -> list[WalletModel]:
        return [w for w in self.wallets if w.grant is None or w.grant.expires_at <= self.now]

    @precondition(lambda self: self.without_grant())
    @rule(index=INDEX)
    def apply_for_a_limit_increase(self, index: int) -> None:
        wallet = pick(self.without_grant(), index)
        tier = POLICIES.limits.tier(wallet.tier).limit
        assert tier.per_transaction is not None
        assert tier.daily is not None
        requested = Limit(tier.per_transaction * 2, tier.daily * 2)
        apply = lambda key: self.service.apply_for_limit_increase(  # noqa: E731
            wallet.wallet_id, requested, "a trip", idempotency_key=key
        )
        if wallet.frozen:
            self.fails_changing_nothing(WalletStateError, apply)
            return
        decision = self.run(apply)
        assert isinstance(decision, IncreaseApproved) == (wallet.lost_disputes == 0)
        if isinstance(decision, IncreaseApproved):
            assert decision.grant == LimitGrant(requested, self.now, self.now + timedelta(days=1))
            wallet.grant = decision.grant

    # --- money in and out -----------------------------------------------------------------------

    @precondition(lambda self: any(w.card for w in self.wallets))
    @rule(index=INDEX, amount=TOP_UP)
    def top_up(self, index: int, amount: int) -> None:
        wallet = pick([w for w in self.wallets if w.card], index)
        assert wallet.card is not None
        card = wallet.card
        predicted = self.may_receive(wallet, amount)
        result = self.run(
            lambda key: self.service.top_up(
                wallet.wallet_id, card, Money.from_minor(amount), idempotency_key=key
            )
        )
        assert result.approved == predicted, result
        if result.approved:
            wallet.posted += amount

    @precondition(lambda self: len(self.wallets) > 1)
    @rule(sender=INDEX, recipient=INDEX, amount=AMOUNT)
    def transfer(self, sender: int, recipient: int, amount: int) -> None:
        source = pick(self.wallets, sender)
        target = pick([w for w in self.wallets if w is not source], recipient)
        predicted = self.may_spend(source, PaymentMethod.P2P_TRANSFER, amount) and (
            self.may_receive(target, amount)
        )
        result = self.run(
            lambda key: self.service.transfer(
                source.wallet_id, target.wallet_id, Money.from_minor(amount), idempotency_key=key
            )
        )
        assert result.approved == predicted, result
        if result.approved:
            assert result.fee == Money.of(0)  # transfers are free under the default policies
            self.spend(source, PaymentMethod.P2P_TRANSFER, amount)
            source.posted -= amount
            target.posted += amount

    @precondition(lambda self: any(w.card for w in self.wallets))
    @rule(index=INDEX, amount=AMOUNT)
    def withdraw(self, index: int, amount: int) -> None:
        wallet = pick([w for w in self.wallets if w.card], index)
        assert wallet.card is not None
        card = wallet.card
        result = self.run(
            lambda key: self.service.withdraw(
                wallet.wallet_id, card, Money.from_minor(amount), idempotency_key=key
            )
        )
        if result.approved:
            assert result.fee is not None
            debit = amount + result.fee.minor  # the fee is charged on top
            assert self.may_spend(wallet, PaymentMethod.WITHDRAWAL, debit)
            self.spend(wallet, PaymentMethod.WITHDRAWAL, debit)
            wallet.posted -= debit
        else:  # declined even with the largest fee it could carry (0.1%, at least 0.10)
            most = amount + max(10, amount // 1000 + 1)
            assert not self.may_spend(wallet, PaymentMethod.WITHDRAWAL, most), result

    # --- merchant payments ------------------------------------------------------------------------

    def authorised(
        self,
        wallet: WalletModel,
        method: PaymentMethod,
        amount: int,
        result: OperationResult,
        ttl: timedelta,
    ) -> PaymentModel | None:
        predicted = self.may_spend(wallet, method, amount)
        assert result.approved == predicted, result
        if not result.approved:
            return None
        self.spend(wallet, method, amount)
        wallet.pending += amount
        payment = PaymentModel(
            PaymentId(result.reference),
            wallet,
            method,
            amount,
            self.now,
            self.now + ttl,
            pending=amount,
        )
        self.payments.append(payment)
        return payment

    @rule(
        index=INDEX,
        merchant=INDEX,
        amount=AMOUNT,
        method=st.sampled_from(MERCHANT_METHODS),
        channel=st.sampled_from(Channel),
    )
    def pay(
        self, index: int, merchant: int, amount: int, method: PaymentMethod, channel: Channel
    ) -> None:
        wallet = pick(self.wallets, index)
        merchant_id = pick(self.merchants, merchant)
        result = self.run(
            lambda key: self.service.pay(
                wallet.wallet_id,
                merchant_id,
                Money.from_minor(amount),
                method=method,
                channel=channel,
                idempotency_key=key,
            )
        )
        payment = self.authorised(wallet, method, amount, result, POLICIES.hold_time)
        if payment is not None:
            self.captured(payment, amount, final=True)

    @rule(index=INDEX, merchant=INDEX, amount=st.integers(50_00, 500_00), hold=st.booleans())
    def scan_a_static_qr_code(self, index: int, merchant: int, amount: int, hold: bool) -> None:
        """Static QR codes are capped at 500 a day whatever the tier: spend close to the cap."""
        if hold:
            self.authorise(index, merchant, amount, PaymentMethod.STATIC_QR, timedelta(hours=2))
        else:
            self.pay(index, merchant, amount, PaymentMethod.STATIC_QR, Channel.MOBILE)

    @rule(
        index=INDEX,
        merchant=INDEX,
        amount=AMOUNT,
        category=st.sampled_from([Category.UTILITIES, Category.MOVIES, Category.HOTEL]),
    )
    def pay_bill(self, index: int, merchant: int, amount: int, category: Category) -> None:
        wallet = pick(self.wallets, index)
        merchant_id = pick(self.merchants, merchant)
        result = self.run(
            lambda key: self.service.pay_bill(
                wallet.wallet_id,
                merchant_id,
                Money.from_minor(amount),
                category=category,
                idempotency_key=key,
            )
        )
        payment = self.authorised(wallet, PaymentMethod.ONLINE, amount, result, POLICIES.hold_time)
        if payment is not None:
            self.captured(payment, amount, final=True)

    @rule(
        index=INDEX,
        merchant=INDEX,
        amount=AMOUNT,
        method=st.sampled_from(MERCHANT_METHODS),
        ttl=st.sampled_from([timedelta(minutes=10), timedelta(hours=1), timedelta(days=1), None]),
    )
    def authorise(
        self, index: int, merchant: int, amount: int, method: PaymentMethod, ttl: timedelta | None
    ) -> None:
        wallet = pick(self.wallets, index)
        merchant_id = pick(self.merchants, merchant)
        result = self.run(
            lambda key: self.service.authorise(
                wallet.wallet_id,
                merchant_id,
                Money.from_minor(amount),
                method=method,
                expires_in=ttl,
                idempotency_key=key,
            )
        )
        self.authorised(wallet, method, amount, result, POLICIES.hold_time if ttl is None else ttl)

    def captured(self, payment: PaymentModel, amount: int, *, final: bool) -> None:
        wallet = payment.wallet
        payment.captured += amount
        payment.pending -= amount
        wallet.pending -= amount
        wallet.posted -= amount
        if payment.captured_at is None:
            payment.captured_at = self.now
        if final or payment.pending == 0:
            if payment.pending:
                self.release(payment, payment.pending)
            payment.pending, payment.open = 0, False

    @precondition(lambda self: any(p.open for p in self.payments))
    @rule(index=INDEX, portion=st.none() | PORTION, final=st.booleans())
    def capture(self, index: int, portion: int | None, final: bool) -> None:
        payment = pick([p for p in self.payments if p.open], index)
        amount = None if portion is None else max(1, payment.pending * portion // 100)
        taken = payment.pending if amount is None else amount
        capture = lambda key: self.service.capture(  # noqa: E731
            payment.payment_id,
            None if amount is None else Money.from_minor(amount),
            final=final,
            idempotency_key=key,
        )
        if payment.wallet.frozen:  # the hold waits until the wallet is unfrozen
            self.fails_changing_nothing(WalletStateError, capture)
            return
        if self.now >= payment.expires_at or taken > payment.pending:
            self.fails_changing_nothing((HoldStateError, PaymentStateError), capture)
            return
        result = self.run(capture)
        assert result.approved
        self.captured(payment, taken, final=final)

    @precondition(lambda self: any(p.open for p in self.payments))
    @rule(index=INDEX)
    def void(self, index: int) -> None:
        payment = prefer([p for p in self.payments if p.open], self.payments, index)
        void = lambda key: self.service.void(payment.payment_id, idempotency_key=key)  # noqa: E731
        if not payment.open:
            self.fails_changing_nothing((HoldStateError, PaymentStateError), void)
            return
        self.run(void)
        self.release(payment, payment.pending)
        payment.pending, payment.open = 0, False

    @rule(
        step=st.one_of(
            MINUTES,
            MINUTES,
            st.integers(1, 12).map(lambda h: timedelta(hours=h)),
            DAYS,
            DAYS,
            st.integers(20, 40).map(lambda d: timedelta(days=d)),  # past every window
        ),
        skip_sweeps=st.integers(0, 3),
    )
    def advance_the_clock_and_expire_holds(self, step: timedelta, skip_sweeps: int) -> None:
        """Time passes: holds expire; mostly the refund and dispute sweeps run too."""
        self.bank.clock.advance(step)
        due = [p for p in self.payments if p.open and p.expires_at <= self.now]
        assert self.service.expire_holds() == len(due)
        for payment in due:
            self.release(payment, payment.pending)
            payment.pending, payment.open = 0, False
        if skip_sweeps != 3:
            self.sweep_refunds_and_disputes()

    # --- refunds and disputes ---------------------------------------------------------------------

    @precondition(lambda self: any(p.captured_at for p in self.payments))
    @rule(
        index=INDEX, portion=PORTION, answer=st.sampled_from(["silence", "later", *REFUND_ANSWERS])
    )
    def request_a_refund(self, index: int, portion: int, answer: str) -> None:
        """The customer asks; mostly the merchant answers at once, else later or never."""
        captured = [p for p in self.payments if p.captured_at]
        payment = prefer([p for p in captured if not p.open], captured, index)
        amount = max(1, payment.captured * portion // 100)
        ask = lambda key: self.service.request_refund(  # noqa: E731
            payment.payment_id, Money.from_minor(amount), "wrong size", idempotency_key=key
        )
        if payment.open:
            self.fails_changing_nothing(PaymentStateError, ask)  # only a final capture is refunded
            return
        assert payment.captured_at is not None
        result = self.run(ask)
        refundable = payment.captured - payment.refunded - payment.claimed
        if self.now >= payment.captured_at + REFUND_WINDOW:
            expected: DeclineReason | None = DeclineReason.REFUND_WINDOW_CLOSED
        elif amount > refundable:
            expected = DeclineReason.REFUND_EXCEEDS_REFUNDABLE
        else:
            expected = None
        assert reason_of(result) == expected, result
        if expected is None:
            payment.claimed += amount
            deadline = self.now + POLICIES.merchant_answer_time
            refund_id = RefundId(result.reference)
            refund = RefundModel(refund_id, payment, amount, deadline, answer == "silence")
            self.refunds.append(refund)
            if answer in REFUND_ANSWERS:
                self.answer(refund, answer, portion % 100 + 1)

    def answerable(self, refund: RefundModel) -> bool:
        return refund.status is RefundRequestStatus.REQUESTED and self.now <= refund.deadline

    def close_refund(self, refund: RefundModel, status: RefundRequestStatus, at: datetime) -> None:
        refund.payment.claimed -= refund.requested
        refund.status, refund.closed_at = status, at

    @precondition(lambda self: self.refunds)
    @rule(index=INDEX, answer=st.sampled_from(REFUND_ANSWERS), portion=st.integers(1, 100))
    def answer_a_refund(self, index: int, answer: str, portion: int) -> None:
        """The merchant accepts (all or part) or refuses; the customer may dispute a refusal."""
        newest = self.refunds[::-1]
        answerable = [r for r in newest if self.answerable(r) and not r.silent]
        self.answer(prefer(answerable, newest, index), answer, portion)

    def answer(self, refund: RefundModel, answer: str, portion: int) -> None:
        paid = refund.requested if answer == "accept" else max(1, refund.requested * portion // 100)
        if answer.startswith("accept"):
            amount = None if answer == "accept" else Money.from_minor(paid)
            command = lambda key: self.service.accept_refund(  # noqa: E731
                refund.refund_id, amount, idempotency_key=key
            )
        else:
            command = lambda key: self.service.refuse_refund(  # noqa: E731
                refund.refund_id, "worn", idempotency_key=key
            )
        if not self.answerable(refund):
            self.fails_changing_nothing(RefundStateError, command)
            return
        assert self.run(command).approved
        if answer.startswith("accept"):
            self.close_refund(refund, RefundRequestStatus.ACCEPTED, self.now)
            refund.payment.refunded += paid
            refund.payment.wallet.posted += paid
        else:
            self.close_refund(refund, RefundRequestStatus.REFUSED, self.now)
        if answer == "refuse, then dispute":
            self.dispute(refund, None)

    def lapse_due_refunds(self, refunds: list[RefundModel]) -> None:
        for refund in refunds:
            self.close_refund(refund, RefundRequestStatus.LAPSED, refund.deadline)

    @precondition(lambda self: self.refunds)
    @rule(index=INDEX, portion=st.none() | st.integers(1, 100))
    def open_a_dispute(self, index: int, portion: int | None) -> None:
        closed = (RefundRequestStatus.REFUSED, RefundRequestStatus.LAPSED)
        newest = self.refunds[::-1]
        disputable = [r for r in newest if r.status in closed or self.now > r.deadline]
        self.dispute(prefer(disputable, newest, index), portion)

    def dispute(self, refund: RefundModel, portion: int | None) -> None:
        amount = refund.requested if portion is None else max(1, refund.requested * portion // 100)
        result = self.run(
            lambda key: self.service.open_dispute(
                refund.refund_id,
                EVIDENCE,
                None if portion is None else Money.from_minor(amount),
                idempotency_key=key,
            )
        )
        # An overdue request is judged as lapsed; the lapse is recorded only with a dispute.
        overdue = refund.status is RefundRequestStatus.REQUESTED and self.now > refund.deadline
        status = RefundRequestStatus.LAPSED if overdue else refund.status
        closed_at = refund.deadline if overdue else refund.closed_at
        payment = refund.payment
        claimed = payment.claimed - (refund.requested if overdue else 0)
        standing = [d for d in self.disputes if d.refund is refund]
        expected: DeclineReason | None = None
        if status not in (RefundRequestStatus.REFUSED, RefundRequestStatus.LAPSED):
            expected = DeclineReason.DISPUTE_NOT_REFUSED
        elif any(d.status is not DisputeStatus.WITHDRAWN for d in standing):
            expected = DeclineReason.DISPUTE_ALREADY_OPEN
        elif closed_at is not None and self.now > closed_at + DISPUTE_WINDOW:
            expected = DeclineReason.DISPUTE_WINDOW_CLOSED
        elif amount > payment.captured - payment.refunded - claimed:
            expected = DeclineReason.REFUND_EXCEEDS_REFUNDABLE
        assert reason_of(result) == expected, result
        if expected is None:
            if overdue:
                self.lapse_due_refunds([refund])
            payment.claimed += amount
            deadline = self.now + POLICIES.dispute_terms.merchant_response_time
            self.disputes.append(
                DisputeModel(DisputeId(result.reference), refund, amount, deadline)
            )

    def close_dispute(self, dispute: DisputeModel, status: DisputeStatus, refunded: int) -> None:
        payment = dispute.refund.payment
        payment.claimed -= dispute.amount
        payment.refunded += refunded
        payment.wallet.posted += refunded
        dispute.status = status

    def may(self, action: str, dispute: DisputeModel) -> bool:
        """Whether ``action`` is allowed on ``dispute`` now."""
        if action == "respond":
            return dispute.status is DisputeStatus.OPEN and self.now <= dispute.response_deadline
        if action == "withdraw":
            return dispute.status in ACTIVE_DISPUTE
        return dispute.status is DisputeStatus.RESPONDED or (  # the bank decides
            dispute.status is DisputeStatus.OPEN and self.now > dispute.response_deadline
        )

    @precondition(lambda self: self.disputes)
    @rule(
        index=INDEX,
        action=st.sampled_from(DISPUTE_ACTIONS),
        portion=st.integers(1, 100),
        then=st.sampled_from((None, *DECISIONS)),
    )
    def act_on_a_dispute(self, index: int, action: str, portion: int, then: str | None) -> None:
        """The merchant responds (and the bank may decide at once), the customer withdraws, or
        the bank decides."""
        newest = self.disputes[::-1]
        dispute = prefer([d for d in newest if self.may(action, d)], newest, index)
        if self.act(dispute, action, portion) and action == "respond" and then is not None:
            self.act(dispute, then, portion)

    def act(self, dispute: DisputeModel, action: str, portion: int) -> bool:
        allowed = self.may(action, dispute)
        if action == "respond":
            command = lambda key: self.service.respond_to_dispute(  # noqa: E731
                dispute.dispute_id, EVIDENCE, idempotency_key=key
            )
        elif action == "withdraw":
            command = lambda key: self.service.withdraw_dispute(  # noqa: E731
                dispute.dispute_id, idempotency_key=key
            )
        else:
            merchant_pays = action.startswith("merchant")
            outcome = (
                DisputeOutcome.MERCHANT_RESPONSIBLE
                if merchant_pays
                else DisputeOutcome.CUSTOMER_RESPONSIBLE
            )
            award = dispute.amount if merchant_pays else 0
            amount: Money | None = None
            if action.endswith("part"):
                award = max(1, dispute.amount * portion // 100)
                amount = Money.from_minor(award)
            elif action.endswith("zero"):
                amount = Money.from_minor(0)
            command = lambda key: self.service.decide_dispute(  # noqa: E731
                dispute.dispute_id, outcome, amount, "the bank's finding", idempotency_key=key
            )
        if not allowed:
            self.fails_changing_nothing(DisputeStateError, command)
            return False
        assert self.run(command).approved
        if action == "respond":
            dispute.status = DisputeStatus.RESPONDED
        elif action == "withdraw":
            self.close_dispute(dispute, DisputeStatus.WITHDRAWN, 0)
        else:
            self.close_dispute(dispute, DisputeStatus.DECIDED, award)
            if not merchant_pays:
                dispute.refund.payment.wallet.lost_disputes += 1
        return True

    def sweep_refunds_and_disputes(self) -> None:
        due = [
            r
            for r in self.refunds
            if r.status is RefundRequestStatus.REQUESTED and r.deadline < self.now
        ]
        assert self.service.lapse_refunds() == len(due)
        self.lapse_due_refunds(due)
        silent = [
            d
            for d in self.disputes
            if d.status is DisputeStatus.OPEN and d.response_deadline < self.now
        ]
        assert self.service.decide_unanswered_disputes() == len(silent)
        for dispute in silent:
            self.close_dispute(dispute, DisputeStatus.DECIDED, dispute.amount)

    # --- idempotency and delivery ------------------------------------------------------------------

    def kept(self) -> list[Replayable]:
        """The commands whose idempotency keys are still remembered."""
        return [r for r in self.replayable if r.at + KEPT > self.now]

    @precondition(lambda self: self.kept())
    @rule(index=INDEX, conflicting=st.booleans())
    def replay_a_command(self, index: int, conflicting: bool) -> None:
        """The same key and parameters return the first result; another command is refused."""
        replay = pick(self.kept(), index)
        if conflicting:  # the same key for another command
            self.fails_changing_nothing(
                IdempotencyConflict,
                lambda _key: self.service.freeze("W-0", "conflict", idempotency_key=replay.key),
            )
            return
        before = self.snapshot()
        assert replay.command(replay.key) == replay.result
        assert self.snapshot() == before

    @rule()
    def deliver_notifications(self) -> None:
        while self.bank.dispatcher.dispatch():
            pass
        sent = [n.notification_id for n in self.bank.notifier.sent]
        assert len(sent) == len(set(sent))
        with self.bank.store.unit_of_work() as uow:
            assert uow.events.undelivered(1) == []

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def every_invariant_holds(self) -> None:
        self.steps += 1
        with self.bank.store.unit_of_work() as uow:
            balances = uow.ledger.balances()
            assert trial_balance(balances.values(), "CNY").is_zero()

            def posted(account: AccountId) -> int:
                found = balances.get(account)
                return 0 if found is None else found.posted.minor

            for model in self.wallets:
                wallet = uow.wallets.get(model.wallet_id)
                assert wallet.balance.posted.minor == posted(wallet.account) == model.posted
                assert wallet.balance.pending.minor == model.pending
                assert wallet.balance.available.minor >= 0
                assert (wallet.status is WalletStatus.FROZEN) == model.frozen
                for (day, method), used in model.spent.items():
                    if method is PaymentMethod.STATIC_QR:
                        assert used <= 500_00
                    cap = model.daily_cap.get(day)
                    assert cap is None or model.spent_on(day) <= cap
            for merchant_id in self.merchants:
                merchant = uow.merchants.get(merchant_id)
                assert merchant.balance.posted.minor == posted(merchant.account) >= 0
            for model_payment in self.payments:
                payment = uow.payments.get(model_payment.payment_id)
                assert payment.refunded + payment.claimed <= payment.captured
                assert payment.captured.minor == model_payment.captured
                assert payment.refunded.minor == model_payment.refunded
                assert payment.claimed.minor == model_payment.claimed
                assert payment.hold.pending.minor == model_payment.pending
            open_amounts = 0
            for model_dispute in self.disputes:
                dispute = uow.disputes.get(model_dispute.dispute_id)
                assert dispute.status is model_dispute.status
                seen = self.terminal.get(dispute.dispute_id)
                assert seen is None or dispute.status is seen, "a closed dispute changed"
                if dispute.is_terminal:
                    self.terminal[dispute.dispute_id] = dispute.status
                else:
                    open_amounts += dispute.amount.minor
            for model_refund in self.refunds:
                assert uow.refunds.get(model_refund.refund_id).status is model_refund.status
            assert posted(AccountId(AccountKind.DISPUTE_SUSPENSE)) == open_amounts
            assert posted(AccountId(AccountKind.FEE_INCOME)) >= 0  # fees given back were charged


def _wallet_state(wallet: Wallet) -> object:
    return (wallet.version, wallet.balance, wallet.usage, wallet.status, wallet.limits.limit)


def reason_of(result: OperationResult) -> DeclineReason | None:
    decision = result.decision
    return decision.reason if isinstance(decision, Declined) else None


# --- the same runs over SQLite and PostgreSQL, in lockstep with memory ---------------------------


class AnyBank(Protocol):
    """What the lockstep needs of a bank, in memory or durable."""

    @property
    def service(self) -> WalletService: ...
    @property
    def phone_verifier(self) -> InMemoryPhoneVerifier: ...
    @property
    def dispatcher(self) -> EventDispatcher: ...
    @property
    def notifier(self) -> InMemoryNotifier: ...


@attrs.frozen
class Durable:
    """A durable bank for one run, and how to get rid of its database afterwards."""

    name: str
    bank: Bank
    drop: Callable[[], None] = lambda: None

    def close(self) -> None:
        try:
            self.bank.close()
        finally:
            self.drop()


Opener = Callable[[ManualClock], Durable]
"""Opens a fresh durable bank on the memory bank's clock (one clock: the same instants)."""

STORAGE = storage_codec()


def durable_options(clock: ManualClock) -> dict[str, Any]:
    return {
        "fingerprint_key": b"lockstep fingerprint key",
        "policies": POLICIES,
        "clock": clock,
        "ids": SequentialIds(),  # as in memory: the same commands get the same references
        "hasher": ScryptHasher.fast_for_tests(),
    }


def sqlite_opener(directory: Path) -> Opener:
    """A fresh SQLite file in ``directory`` per run, deleted with its journal afterwards."""

    def open_sqlite(clock: ManualClock) -> Durable:
        path = directory / f"run-{uuid.uuid4().hex[:12]}.db"

        def drop() -> None:
            for leftover in directory.glob(f"{path.name}*"):
                leftover.unlink()

        return Durable(
            "SQLite", bootstrap.sqlite(path, durable=False, **durable_options(clock)), drop
        )

    return open_sqlite


def postgres_opener(dsn: str) -> Opener:
    """A fresh schema on the server at ``dsn`` per run, dropped afterwards."""
    import psycopg  # noqa: PLC0415  # the `postgres` extra: only PostgreSQL runs need it
    from psycopg import sql  # noqa: PLC0415

    def open_postgres(clock: ManualClock) -> Durable:
        schema = f"test_{uuid.uuid4().hex[:12]}"  # the store creates it

        def drop() -> None:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as connection:
                connection.execute("SET lock_timeout = '10s'")
                connection.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )

        try:
            bank = bootstrap.postgres(
                dsn, schema=schema, max_connections=2, **durable_options(clock)
            )
        except BaseException:
            drop()
            raise
        return Durable("PostgreSQL", bank, drop)

    return open_postgres


@attrs.frozen
class Answer:
    """What a call returned, or the exception it raised, and how it compares across banks."""

    value: object
    error: Exception | None
    compared: object

    @classmethod
    def of(
        cls, method: Callable[..., object], arguments: tuple[Any, ...], options: dict[str, Any]
    ) -> Answer:
        try:
            value = method(*arguments, **options)
        except Exception as error:  # compared across banks, then re-raised
            return cls(None, error, (type(error), str(error)))
        # aggregates compare by identity: compare their stored form instead
        return cls(value, None, STORAGE.encode(value))

    def give(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class Lockstep:
    """Stands in for the service: each call runs on every bank with the same arguments.

    The banks must answer alike (the same result, or an exception of the same type and message);
    the first bank's answer is returned, or its exception raised. Phone codes are the one
    argument that differs: each bank's SMS stand-in sent its own, so a code the first bank sent
    becomes the code each bank sent to that phone.
    """

    def __init__(self, banks: Sequence[tuple[str, AnyBank]]) -> None:
        self._banks = banks

    def _each(
        self, name: str, arguments: Callable[[AnyBank], tuple[Any, ...]], options: dict[str, Any]
    ) -> Any:
        answers = [
            (bank_name, Answer.of(getattr(bank.service, name), arguments(bank), options))
            for bank_name, bank in self._banks
        ]
        (first_name, first), *others = answers
        for other_name, other in others:
            assert other.compared == first.compared, (
                f"{name}: {other_name} answered {other.compared}, {first_name} {first.compared}"
            )
        return first.give()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **options: Any) -> Any:
            return self._each(name, lambda _: args, options)

        return call

    def verify_phone(self, registration: str, phone: PhoneNumber, code: str, **options: Any) -> Any:
        sent = self._banks[0][1].phone_verifier.last_code_for(phone)

        def own_code(bank: AnyBank) -> tuple[Any, ...]:
            return (
                registration,
                phone,
                bank.phone_verifier.last_code_for(phone) if code == sent else code,
            )

        return self._each("verify_phone", own_code, options)


class LockstepMachine(WalletMachine):
    """The wallet machine, each command also run on durable banks that must agree with memory.

    Every command's answer agrees (see :class:`Lockstep`); after every step the ledgers'
    balances agree; every few steps and at the end of a run so do the stored wallets, merchants,
    payments, refund requests and disputes, every wallet's and merchant's events, the journals
    and the notifications sent. At the end each durable store passes its own full audit.
    """

    runs: ClassVar[list[int]] = []
    openers: ClassVar[tuple[Opener, ...]] = ()  # set by the test that runs the machine

    def __init__(self) -> None:
        super().__init__()
        self.durable: list[Durable] = []
        try:
            for opener in self.openers:
                self.durable.append(opener(self.bank.clock))
        except BaseException:
            self.close_durable()
            raise
        banks: list[tuple[str, AnyBank]] = [("memory", self.bank)]
        banks += [(durable.name, durable.bank) for durable in self.durable]
        self.service = cast("WalletService", Lockstep(banks))  # it answers as the service does
        self.compared = 0

    def close_durable(self) -> None:
        while self.durable:
            self.durable.pop().close()

    def teardown(self) -> None:
        try:
            # After a failed step the failure has been told; a second one would only hide it.
            if sys.exc_info()[0] is None:
                self.agree(everything=True)
                for durable in self.durable:
                    durable.bank.store.verify()
        finally:
            self.close_durable()
            super().teardown()

    @rule()
    def deliver_notifications(self) -> None:
        super().deliver_notifications()
        for durable in self.durable:
            while durable.bank.dispatcher.dispatch():
                pass

    @invariant()
    def every_bank_agrees_with_memory(self) -> None:
        self.compared += 1
        self.agree(everything=self.compared % COMPARE_ALL_EVERY == 0)

    def agree(self, *, everything: bool) -> None:
        expected = self.state(self.bank.store.unit_of_work, everything=everything)
        if everything:
            expected["notifications"] = self.bank.notifier.sent
        for durable in self.durable:
            found = self.state(durable.bank.store.unit_of_work, everything=everything)
            if everything:
                found["notifications"] = durable.bank.notifier.sent
            for part, value in expected.items():
                assert found[part] == value, f"{durable.name} and memory differ in {part}"

    def state(self, units: UnitOfWorkFactory, *, everything: bool) -> dict[str, object]:
        """The ledger's balances; with ``everything``, all the machine knows of, as stored."""
        with units() as uow:
            parts: dict[str, object] = {"balances": uow.ledger.balances()}
            if not everything:
                return parts
            for wallet in self.wallets:
                name = wallet.wallet_id
                parts[name] = STORAGE.encode(uow.wallets.get(name))
                parts[f"events of {name}"] = uow.events.for_aggregate(name)
            for merchant in self.merchants:
                parts[merchant] = STORAGE.encode(uow.merchants.get(merchant))
                parts[f"events of {merchant}"] = uow.events.for_aggregate(merchant)
            for payment in self.payments:
                parts[payment.payment_id] = STORAGE.encode(uow.payments.get(payment.payment_id))
            for refund in self.refunds:
                parts[refund.refund_id] = uow.refunds.get(refund.refund_id)
            for dispute in self.disputes:
                parts[dispute.dispute_id] = uow.disputes.get(dispute.dispute_id)
            parts["journal"] = list(uow.ledger.entries())
            return parts


def test_the_model_knows_every_cap_the_policies_set() -> None:
    """The model counts days only: a monthly, annual or lifetime cap would need it extended."""
    for tier in POLICIES.limits.tiers:
        for limit in (tier.limit, CHOSEN, *tier.methods.values()):
            assert (limit.monthly, limit.annual, limit.lifetime) == (None, None, None)


def run_long(machine: type[WalletMachine], min_runs: int, examples: int) -> None:
    """Run ``machine`` for ``examples`` runs and check they were as many and as long as asked."""
    machine.runs.clear()
    run_state_machine_as_test(machine, settings=settings(MACHINE_SETTINGS, max_examples=examples))
    runs = machine.runs
    assert len(runs) >= examples
    assert sum(runs) / len(runs) >= 30, f"runs were short: {sorted(runs)}"
    if PROFILE == "ci":  # derandomized: the same runs every time
        assert sum(runs) >= min_runs * STEPS, f"only {sum(runs)} steps: {sorted(runs)}"


def test_the_service_keeps_every_invariant_over_long_random_runs() -> None:
    run_long(WalletMachine, MIN_RUNS, EXAMPLES)


def test_sqlite_and_postgres_agree_with_memory_over_the_same_random_runs(
    tmp_path: Path, postgres_dsn: str
) -> None:
    LockstepMachine.openers = (sqlite_opener(tmp_path), postgres_opener(postgres_dsn))
    try:
        run_long(LockstepMachine, LOCKSTEP_MIN_RUNS, LOCKSTEP_MIN_RUNS * 3 // 2)
    finally:
        LockstepMachine.openers = ()
    assert list(tmp_path.iterdir()) == []  # every run's file was deleted


def test_the_lockstep_gives_each_bank_its_own_code_and_tells_when_banks_answer_differently() -> (
    None
):
    card = card_for(1)
    refusing = in_memory(POLICIES, start=START, rejected_cards=[card.reveal()])
    banks: list[tuple[str, AnyBank]] = [("memory", in_memory(POLICIES, start=START))]
    banks.append(("the refusing bank", refusing))
    service = cast("WalletService", Lockstep(banks))
    phone = PhoneNumber.parse("13900000001")
    registration = service.start_registration(phone, idempotency_key="start")
    code = banks[0][1].phone_verifier.last_code_for(phone)
    assert code is not None
    assert code != refusing.phone_verifier.last_code_for(phone)  # each SMS stand-in has its own
    service.verify_phone(registration, phone, code, idempotency_key="phone")
    service.provide_identity(registration, "张三", resident_for(1), idempotency_key="id")
    service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="pw")
    with pytest.raises(AssertionError, match="add_card: the refusing bank answered"):
        service.add_card(registration, card, idempotency_key="card")


def test_the_lockstep_machine_tells_a_durable_bank_that_changed_alone(tmp_path: Path) -> None:
    LockstepMachine.openers = (sqlite_opener(tmp_path),)
    try:
        machine = LockstepMachine()
    finally:
        LockstepMachine.openers = ()
    try:
        machine.open_a_funded_verified_wallet_and_a_merchant(choose=False)
        machine.every_bank_agrees_with_memory()
        machine.agree(everything=True)
        wallet = machine.wallets[0]
        alone = machine.durable[0].bank.service
        alone.freeze(wallet.wallet_id, "alone", idempotency_key="freeze-alone")
        machine.agree(everything=False)  # the balances cannot tell
        with pytest.raises(AssertionError, match=f"SQLite and memory differ in {wallet.wallet_id}"):
            machine.agree(everything=True)
        alone.unfreeze(wallet.wallet_id, idempotency_key="unfreeze-alone")
        assert wallet.card is not None
        alone.top_up(wallet.wallet_id, wallet.card, Money.of(1), idempotency_key="top-up-alone")
        with pytest.raises(AssertionError, match="SQLite and memory differ in balances"):
            machine.every_bank_agrees_with_memory()
    finally:
        machine.close_durable()
    assert list(tmp_path.iterdir()) == []
