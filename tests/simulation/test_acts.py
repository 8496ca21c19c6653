"""Each simulated act survives a refusal: it is counted, and nothing is planned on top of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import NoReturn
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet import bootstrap
from icbc_wallet.domain.decisions import APPROVED
from icbc_wallet.domain.disputes import DisputeStatus
from icbc_wallet.domain.ledger import AccountBalance
from icbc_wallet.domain.limit_increase import LimitGrant
from icbc_wallet.domain.limits import Limit, PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import IdempotencyConflict, NotFoundError, WalletError, WalletStateError
from icbc_wallet.service import OperationResult, WalletPolicies
from icbc_wallet.simulation import SimulationConfig, claims, simulate, spending
from icbc_wallet.simulation.population import Population
from icbc_wallet.simulation.world import Member, Shop, World

PEOPLE = Population.generate(seed=1, customers=4, merchants=2)
START = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


@attrs.frozen
class _Wallet:
    tier: str
    grant: LimitGrant | None = None


@attrs.frozen
class _Dispute:
    dispute_id: str
    status: DisputeStatus
    amount: Money = Money.from_minor(1_000)  # noqa: RUF009  # immutable: safe as a default


class _Refusing:
    """A service that refuses every command; its reads answer as for an empty wallet."""

    def __init__(self, wallet: _Wallet) -> None:
        self.policies = WalletPolicies.default()
        self._wallet = wallet

    def balance(self, wallet_id: str) -> AccountBalance:
        return AccountBalance.zero()

    def wallet(self, wallet_id: str) -> _Wallet:
        return self._wallet

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        def refuse(*args: object, **kwargs: object) -> NoReturn:
            raise WalletStateError(f"{name} refused")

        return refuse


class _Desk:
    """A service whose sweeps find work an earlier run left behind."""

    policies = WalletPolicies.default()

    def __init__(self) -> None:
        self.decided: list[str] = []

    def lapse_refunds(self, *, limit: int) -> int:
        return 2

    def decide_unanswered_disputes(self, *, limit: int) -> int:
        return 1

    def overdue_disputes(self, *, limit: int) -> list[_Dispute]:
        return [_Dispute("D-1", DisputeStatus.RESPONDED), _Dispute("D-2", DisputeStatus.OPEN)]

    def decide_dispute(
        self, dispute_id: str, *args: object, idempotency_key: str
    ) -> OperationResult:
        self.decided.append(dispute_id)
        return OperationResult(dispute_id, APPROVED)

    def purge_idempotency_keys(self) -> int:
        return 0


def _world(service: object | None = None) -> World:
    bank = bootstrap.in_memory(start=datetime(2026, 3, 1, 16, tzinfo=UTC))
    world = World(bank, bank.clock, 1, START, ZoneInfo("Asia/Shanghai"))
    if service is not None:
        world.service = service  # type: ignore[assignment]
    return world


def _member(index: int) -> Member:
    return Member(PEOPLE.customers[index], f"W-{index}", card_bound=True, identified=True)


def test_every_act_refused_by_the_service_is_counted_once_and_plans_nothing() -> None:
    world = _world(_Refusing(_Wallet("WL02")))
    one, two, shop = _member(0), _member(1), Shop(PEOPLE.merchants[0], "M-1")
    acts: list[Callable[[], None]] = [
        partial(spending.top_up, world, one, payday=True),
        partial(spending.pay, world, one, shop, 1_000, PaymentMethod.NFC, 0),
        partial(spending.pay_bill, world, one, shop, 1_000),
        partial(spending.transfer, world, one, two, 1_000),
        partial(spending.gift, world, one, two, 1_000),  # the top-up is refused: no transfer
        partial(spending.withdraw, world, one, 1_000),
        partial(spending.bind_card, world, one),
        partial(claims.request_refund, world, one, "P-1", 1_000, 0),
        partial(claims.answer_refund, world, "RF-1", 1_000, "refuse", 0),
        partial(claims.answer_refund, world, "RF-1", 1_000, "part", 0),
        partial(claims.open_dispute, world, "RF-1", 1_000, 0),
        partial(claims.respond, world, "D-1", 1_000, 0),
        partial(claims.decide, world, "D-1", 1_000),
        partial(claims.withdraw_dispute, world, "D-1"),
        partial(claims.apply_for_increase, world, one),
    ]
    for act in acts:
        act()
    assert world.tally.refusals == {"WalletStateError": len(acts)}
    assert {outcome for _, outcome in world.tally.operations} == {"refused"}
    assert world.agenda == {}
    assert (world.tally.money_in, world.tally.money_out) == (0, 0)
    assert one.card_bound  # unchanged by the refused binding


def test_no_application_while_a_grant_runs_nor_for_a_tier_without_caps() -> None:
    running = LimitGrant(Limit.of(daily="20000"), NOW - timedelta(days=1), NOW + timedelta(days=29))
    for wallet in (_Wallet("WL02", running), _Wallet("WL01")):
        world = _world(_Refusing(wallet))
        world.clock.set(NOW)
        claims.apply_for_increase(world, _member(0))
        assert world.tally.operations == {}


def test_the_evening_sweeps_decide_what_an_earlier_run_left_responded_but_undecided() -> None:
    desk = _Desk()
    world = _world(desk)
    claims.evening_sweeps(world)
    assert desk.decided == ["D-1"]  # the open one is the sweep's, not the desk's
    assert world.tally.refunds["lapsed"] == 2
    assert world.tally.disputes["decided_by_default"] == 1
    assert world.tally.operations == {("dispute_decision", "approved"): 1}


@pytest.mark.parametrize("error", [NotFoundError("no W-9"), IdempotencyConflict("key reused")])
def test_errors_that_mean_a_broken_simulation_or_database_are_raised_not_counted(
    error: WalletError,
) -> None:
    world = _world()

    def broken() -> None:
        raise error

    with pytest.raises(type(error)):
        world.attempt("payment_nfc", broken)
    assert world.tally.refusals == {}


def test_a_customer_the_identity_check_refuses_is_counted_and_left_out() -> None:
    config = SimulationConfig(days=2, customers=4, merchants=2, seed=1)
    refused = next(p for p in PEOPLE.customers if p.resident_id is not None and p.index)
    assert refused.resident_id is not None
    bank = bootstrap.in_memory(
        start=datetime(2026, 3, 1, 16, tzinfo=UTC), rejected_ids=[refused.resident_id.reveal()]
    )
    report = simulate(bank, bank.clock, config)
    assert report.count("registration", "refused") == 1
    assert report.refusals["VerificationFailedError"] >= 1
    assert (report.customers, report.new_customers) == (3, 3)
    assert report.ok


def test_no_opening_sales_without_a_customer_holding_a_card() -> None:
    world = _world()
    world.new_shops.append(Shop(PEOPLE.merchants[0], "M-1"))
    world.members.append(attrs.evolve(_member(1), card_bound=False))
    spending.plan_opening_sales(world)
    assert world.agenda == {}
