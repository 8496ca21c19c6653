"""The report reads well in Rich, serialises deterministically, and says plainly when checks fail.

Also :func:`simulate` on an in-memory bank: it continues, obeys the policy set, and audits the
books through the ledger port.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import attrs
import pytest
from rich.console import Console

from icbc_wallet import bootstrap
from icbc_wallet.adapters.runtime import ManualClock
from icbc_wallet.domain.fee_rules import FeeCharging, FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.ledger import AccountBalance, AccountId, AccountKind
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.errors import InvalidSimulationError
from icbc_wallet.presets.limits import ARTICLE_DEFAULTS
from icbc_wallet.presets.tiers import ARTICLE_TIER_POLICY
from icbc_wallet.service import WalletPolicies
from icbc_wallet.simulation import SimulationConfig, SimulationReport, simulate

CONFIG = SimulationConfig(days=4, customers=10, merchants=8, seed=3)


def _bank(policies: WalletPolicies | None = None) -> bootstrap.InMemoryBank:
    return bootstrap.in_memory(policies, start=datetime(2026, 3, 1, 16, tzinfo=UTC))


def _yuan(text: str) -> Money:
    return Money.of(text)


REPORT = SimulationReport(
    start=date(2026, 3, 1),
    end=date(2026, 3, 30),
    days=30,
    seed=2026,
    customers=40,
    new_customers=40,
    merchants=8,
    new_merchants=8,
    operations={
        ("payment_nfc", "approved"): 7,
        ("withdrawal", "refused"): 1,
        ("x_kind", "declined"): 2,
    },
    declines={"limit.daily": 2, "a.code.from.the.future": 1},
    refusals={"CardNotBoundError": 1},
    fees={"withdrawal": _yuan("1.20"), "transfer": _yuan("0"), "merchant_service": _yuan("0")},
    refunds={"requested": 3, "accepted": 2},
    disputes={"opened": 1, "decided_by_default": 1},
    limit_increases={"declined": 1},
    notifications=99,
    money_in=_yuan("5000"),
    money_out=_yuan("800"),
    held_before=_yuan("0"),
    held_after=_yuan("4200"),
    fee_income=_yuan("1.20"),
    ledger_total=_yuan("0"),
    conserved=True,
    database_checked=True,
)


def _rendered(report: SimulationReport) -> str:
    console = Console(record=True, width=120)
    report.render(console)
    return console.export_text()


def test_the_rendered_report_has_every_section_and_a_conserved_line() -> None:
    text = _rendered(REPORT)
    for section in (
        "Simulated 2026-03-01 to 2026-03-30",
        "Operations by kind and outcome",
        "Payments: NFC",
        "x_kind",  # a kind without a label is still shown, by its name
        "Declines by reason",
        "Exceeds the daily cumulative limit",
        "a.code.from.the.future",
        "CardNotBoundError",
        "Fees charged by kind",
        "Withdrawal fees (customers)",
        "1.20",
        "Refunds, disputes and limit increases",
        "decided by default",
        "Money",
        "4,200.00",
        "Money conserved",
    ):
        assert section in text, section
    assert "Checks failed" not in text


def test_a_report_whose_checks_failed_says_so_in_red_and_lists_the_problems() -> None:
    leaked = attrs.evolve(
        REPORT, conserved=False, problems=("the ledger sums to 1.00 CNY, not zero",)
    )
    text = _rendered(leaked)
    assert "Checks failed: money NOT conserved" in text
    assert "the ledger sums to 1.00 CNY, not zero" in text
    assert not leaked.ok
    corrupt = attrs.evolve(REPORT, database_checked=False)
    assert "database checks FAILED" in _rendered(corrupt)
    assert not corrupt.ok


def test_the_dictionary_is_json_with_decimal_strings_and_sorted_keys() -> None:
    data = REPORT.to_dict()
    assert list(data) == sorted(data)
    assert data["fees"] == {"merchant_service": "0.00", "transfer": "0.00", "withdrawal": "1.20"}
    assert data["money"]["in"] == "5000.00"
    assert data["operations"]["withdrawal"] == {"refused": 1}
    assert data["period"] == {"days": 30, "end": "2026-03-30", "start": "2026-03-01"}
    assert (data["conserved"], data["database_checked"], data["ok"]) == (True, True, True)
    assert json.loads(json.dumps(data)) == data


def test_counts_by_kind_and_outcome() -> None:
    assert REPORT.count("payment_nfc") == 7
    assert REPORT.count("payment_nfc", "declined") == 0
    assert REPORT.count("nothing") == 0
    assert list(REPORT.declines) == sorted(REPORT.declines)  # stored sorted, read-only
    with pytest.raises(TypeError):
        REPORT.declines["limit.daily"] = 3  # type: ignore[index]


def test_simulate_on_an_in_memory_bank_starts_at_the_next_midnight_and_continues() -> None:
    bank = _bank()
    first = simulate(bank, bank.clock, CONFIG)
    assert first.start == date(2026, 3, 2)  # 16:00 UTC is past midnight in Shanghai
    second = simulate(bank, bank.clock, CONFIG)
    assert second.start == date(2026, 3, 6)
    assert (second.new_customers, second.new_merchants) == (0, 0)
    assert first.ok
    assert second.ok
    assert first.count("top_up", "approved") > 0


def test_the_books_are_audited_through_the_ledger_port_in_memory() -> None:
    bank = _bank()
    simulate(bank, bank.clock, SimulationConfig(days=1, customers=3, merchants=1))
    settlement = AccountId(AccountKind.BANK_SETTLEMENT)
    posted = bank.store.balances[settlement].posted
    bank.store.balances[settlement] = AccountBalance(posted + Money.of("1"), Money.zero())
    report = simulate(bank, bank.clock, SimulationConfig(days=1, customers=3, merchants=1))
    assert not report.database_checked
    assert not report.conserved
    assert any("bank_settlement" in problem for problem in report.problems)


def test_the_policy_set_decides_the_tiers_and_the_factors_asked_for() -> None:
    article = attrs.evolve(
        WalletPolicies.default(), limits=ARTICLE_DEFAULTS, tiers=ARTICLE_TIER_POLICY
    )
    bank = _bank(article)
    assert simulate(bank, bank.clock, CONFIG).ok
    tiers = {bank.service.wallet(w).tier for w in _wallets(bank)}
    assert tiers <= {"unverified", "real_name"}
    guarded = _bank(WalletPolicies.guarded())
    report = simulate(guarded, guarded.clock, CONFIG)
    assert report.ok
    assert report.declines.get("auth.challenge_required", 0) > 0


def test_deducted_withdrawal_fees_and_merchant_fees_are_counted_and_money_still_conserved() -> None:
    # A fee taken out of the amount sends the card less: the conservation check must know it.
    withdrawal = FeeRule.percentage(
        OperationKind.WITHDRAWAL, "0.01", minimum=Money.of("1"), charging=FeeCharging.DEDUCTED
    )
    policies = attrs.evolve(
        WalletPolicies.default(),
        fees=FeeSchedule([withdrawal], name="deducted"),
        merchant_fees=FeeSchedule([FeeRule.percentage(OperationKind.PAYMENT, "0.006")], name="m"),
    )
    bank = _bank(policies)
    report = simulate(bank, bank.clock, attrs.evolve(CONFIG, days=8))
    assert report.ok, report.problems
    assert report.count("withdrawal", "approved")
    assert report.fees["withdrawal"].is_positive()
    assert report.fees["merchant_service"].is_positive()
    assert report.fee_income.is_positive()


def _wallets(bank: bootstrap.InMemoryBank) -> list[str]:
    return list(bank.store.owners.values())


def test_simulate_refuses_a_config_that_is_not_one_and_a_clock_that_is_not_the_banks() -> None:
    bank = _bank()
    with pytest.raises(InvalidSimulationError, match="SimulationConfig"):
        simulate(bank, bank.clock, (3, 6))  # type: ignore[arg-type]
    with pytest.raises(InvalidSimulationError, match="bank's own ManualClock"):
        simulate(bank, ManualClock(bank.clock.now()), CONFIG)
