"""Synthetic transactions: seeded, time-ordered, lazy, and a realistic mix the default policy knows."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from icbc_wallet.analysis import Transaction, generate_transactions
from icbc_wallet.analysis.generate import DEFAULT_START, DEFAULT_TIERS
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.errors import InvalidReplayError
from icbc_wallet.service import WalletPolicies


@pytest.fixture(scope="module")
def month() -> list[Transaction]:
    return list(generate_transactions(rows=5_000, customers=300))


def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    first = list(generate_transactions(rows=200, seed=3))
    assert first == list(generate_transactions(rows=200, seed=3))
    assert first != list(generate_transactions(rows=200, seed=4))


def test_rows_come_in_time_order_over_about_a_month(month: list[Transaction]) -> None:
    moments = [row.at for row in month]
    assert moments == sorted(moments)
    assert DEFAULT_START <= moments[0] < DEFAULT_START + timedelta(days=1)
    assert timedelta(days=27) < moments[-1] - DEFAULT_START < timedelta(days=33)
    assert all(moment.utcoffset() == timedelta(hours=8) for moment in moments)


def test_rows_are_made_as_they_are_asked_for() -> None:
    endless = generate_transactions(rows=10**12, customers=10)  # would never fit in memory
    assert len(list(itertools.islice(endless, 5))) == 5


def test_the_default_tiers_are_the_default_policy_sets_and_the_lowest_is_the_most_common(
    month: list[Transaction],
) -> None:
    known = set(WalletPolicies.default().limits.tier_names)
    assert set(DEFAULT_TIERS) <= known
    per_tier = Counter(row.tier for row in month)
    assert set(per_tier) == set(DEFAULT_TIERS)
    assert per_tier.most_common(1)[0][0] == "WL04"


def test_each_customer_keeps_one_tier_and_some_are_much_busier(month: list[Transaction]) -> None:
    tiers: dict[str, set[str]] = {}
    for row in month:
        tiers.setdefault(row.customer, set()).add(row.tier)
    assert all(len(named) == 1 for named in tiers.values())
    busiest = Counter(row.customer for row in month).most_common()
    assert busiest[0][1] > 5 * (len(month) / len(busiest))


def test_the_mix_is_mostly_payments_by_every_method_with_some_transfers_and_withdrawals(
    month: list[Transaction],
) -> None:
    kinds = Counter(row.kind for row in month)
    assert 0.8 < kinds[OperationKind.PAYMENT] / len(month) < 0.9
    assert kinds[OperationKind.TRANSFER] > kinds[OperationKind.WITHDRAWAL] > 0
    methods = {row.method for row in month if row.kind is OperationKind.PAYMENT}
    assert methods == {
        PaymentMethod.STATIC_QR,
        PaymentMethod.DYNAMIC_QR,
        PaymentMethod.NFC,
        PaymentMethod.ONLINE,
    }
    transfers = [row.amount for row in month if row.kind is OperationKind.TRANSFER]
    assert all(amount.minor % 100 == 0 for amount in transfers)  # round amounts
    assert all(row.amount.is_positive() for row in month)


def test_activity_peaks_at_lunch_and_in_the_evening_not_at_night(
    month: list[Transaction],
) -> None:
    hours = Counter(row.at.hour for row in month)
    assert hours[12] > 5 * hours[3]
    assert hours[19] > 5 * hours[3]


def test_start_and_tiers_may_be_chosen() -> None:
    start = datetime(2026, 7, 1, 9, tzinfo=UTC)
    rows = list(generate_transactions(rows=50, customers=4, start=start, tiers=["gold"], days=1))
    assert {row.tier for row in rows} == {"gold"}
    assert rows[0].at >= start
    assert rows[-1].at < start + timedelta(days=3)
    assert list(generate_transactions(rows=0)) == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"rows": -1},
        {"rows": 1.5},
        {"rows": 10, "customers": 0},
        {"rows": 10, "days": 0},
        {"rows": 10, "tiers": ()},
        {"rows": 10, "tiers": "WL04"},
        {"rows": 10, "tiers": ["WL04", ""]},
        {"rows": 10, "start": datetime(2026, 3, 1)},
    ],
)
def test_arguments_that_make_no_sense_are_refused_at_once(arguments: dict[str, object]) -> None:
    with pytest.raises(InvalidReplayError):
        generate_transactions(**arguments)  # type: ignore[arg-type]
