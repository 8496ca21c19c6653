"""Two simulated months in memory do everything the simulation promises, mostly approved.

Some outcomes are rare (a withdrawn dispute, a customer found responsible): the seed is one whose
two months show every one of them. The run is deterministic, so this is no flaky test; a change
of behaviour that loses an outcome for this seed fails here, on purpose.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from icbc_wallet import bootstrap
from icbc_wallet.simulation import SimulationConfig, SimulationReport, simulate

KINDS = (
    "registration",
    "card_binding",
    "top_up",
    "payment_static_qr",
    "payment_dynamic_qr",
    "payment_nfc",
    "payment_online",
    "bill_payment",
    "transfer",
    "withdrawal",
    "refund_request",
    "refund_answer",
    "dispute",
    "dispute_response",
    "dispute_decision",
    "dispute_withdrawal",
    "limit_increase",
)


@pytest.fixture(scope="module")
def months() -> tuple[SimulationReport, SimulationReport]:
    bank = bootstrap.in_memory(start=datetime(2026, 3, 1, 16, tzinfo=UTC))
    config = SimulationConfig(days=30, customers=25, merchants=9, seed=3)
    return simulate(bank, bank.clock, config), simulate(bank, bank.clock, config)


def _sum(reports: tuple[SimulationReport, ...], field: str) -> Counter[str]:
    total: Counter[str] = Counter()
    for report in reports:
        total.update(getattr(report, field))
    return total


def test_every_kind_of_operation_goes_through_at_least_once(
    months: tuple[SimulationReport, SimulationReport],
) -> None:
    for kind in KINDS:
        assert sum(report.count(kind, "approved") for report in months), kind


def test_payments_are_mostly_approved_with_realistic_declines(
    months: tuple[SimulationReport, SimulationReport],
) -> None:
    for report in months:
        payments = [k for k, _ in report.operations if k.startswith("payment_")]
        approved = sum(report.count(kind, "approved") for kind in payments)
        everything = sum(report.count(kind) for kind in payments)
        assert approved / everything > 0.9
    declines = _sum(months, "declines")
    for code in (
        "wallet.insufficient_funds",
        "limit.daily",
        "limit.per_transaction",
        "refund.window_closed",
        "dispute.not_refused",
        "increase.account_too_new",
    ):
        assert declines[code], code


def test_only_the_planned_mistakes_are_refused(
    months: tuple[SimulationReport, SimulationReport],
) -> None:
    # Withdrawing to a card the wallet lacks; binding a card to an anonymous wallet. Anything
    # else raised by the service would be a bug of the simulation, hidden as a refusal.
    assert set(_sum(months, "refusals")) == {"CardNotBoundError", "VerificationFailedError"}


def test_refunds_and_disputes_end_in_every_outcome(
    months: tuple[SimulationReport, SimulationReport],
) -> None:
    refunds, disputes = _sum(months, "refunds"), _sum(months, "disputes")
    for outcome in ("requested", "declined", "accepted", "partly_accepted", "refused", "lapsed"):
        assert refunds[outcome], outcome
    for outcome in (
        "opened",
        "declined",
        "responded",
        "merchant_responsible",
        "customer_responsible",
        "decided_by_default",
        "withdrawn",
    ):
        assert disputes[outcome], outcome


def test_limit_increases_are_declined_for_new_accounts_and_granted_later(
    months: tuple[SimulationReport, SimulationReport],
) -> None:
    first, second = months
    assert first.limit_increases["declined"]
    assert "approved" not in first.limit_increases  # nobody is 30 days old in the first month
    assert second.limit_increases["approved"]


def test_both_months_conserve_money_and_pass_the_audit(
    months: tuple[SimulationReport, SimulationReport],
) -> None:
    first, second = months
    assert first.ok
    assert second.ok
    assert second.held_before == first.held_after
    fees = first.fees["withdrawal"] + second.fees["withdrawal"]
    assert fees.is_positive()  # beyond the free quota, withdrawals cost
