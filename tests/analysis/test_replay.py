"""Replays: the laws a comparison of two policy sets keeps, and what its summary counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.analysis import (
    ReplayRow,
    RowError,
    Transaction,
    generate_transactions,
    read_transactions,
    replay,
    write_transactions,
)
from icbc_wallet.analysis.replay import FIRST_ERRORS_KEPT
from icbc_wallet.domain.fee_rules import FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.limits import Limit, LimitSchedule, PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.errors import InvalidReplayError, RowsNotKeptError
from icbc_wallet.presets.fees import BIG_FIVE_TRANSFERS_2016, WECHAT_WITHDRAWAL_2016
from icbc_wallet.service import WalletPolicies

START = datetime.fromisoformat("2026-03-30T20:00:00+08:00")  # months and days turn over
CURRENT = WalletPolicies(
    limits=WalletPolicies.default().limits,
    tiers=WalletPolicies.default().tiers,
    fees=FeeSchedule([*WECHAT_WITHDRAWAL_2016.rules, *BIG_FIVE_TRANSFERS_2016.rules]),
    merchant_fees=FeeSchedule(
        [FeeRule.percentage(OperationKind.PAYMENT, "0.006", minimum=Money.of("0.10"))]
    ),
)
TIER_OF = {"c1": "WL04", "c2": "WL03", "c3": "WL02", "c4": "WL01", "c5": "WL00"}
OPERATIONS = [
    (OperationKind.PAYMENT, PaymentMethod.STATIC_QR),
    (OperationKind.PAYMENT, PaymentMethod.DYNAMIC_QR),
    (OperationKind.PAYMENT, PaymentMethod.NFC),
    (OperationKind.PAYMENT, PaymentMethod.ONLINE),
    (OperationKind.WITHDRAWAL, PaymentMethod.WITHDRAWAL),
    (OperationKind.TRANSFER, PaymentMethod.P2P_TRANSFER),
]


def with_daily_cap(policies: WalletPolicies, cap: int) -> WalletPolicies:
    """``policies`` with every tier's overall daily cap at most ``cap`` (a stricter set)."""
    limit = Money.of(cap)

    def tighter(current: Money | None) -> Money:
        return limit if current is None or limit < current else current

    tiers = tuple(
        attrs.evolve(
            tier,
            limit=attrs.evolve(
                tier.limit,
                per_transaction=None
                if tier.limit.per_transaction is None
                else tighter(tier.limit.per_transaction),
                daily=tighter(tier.limit.daily),
            ),
        )
        for tier in policies.limits.tiers
    )
    limits = LimitSchedule(tiers, allow_stricter_higher_tiers=True)
    return attrs.evolve(policies, limits=limits)


@st.composite
def transactions(draw: st.DrawFn) -> list[Transaction]:
    """Up to 40 transactions of five customers (one tier each, one unknown), in time order."""
    steps = draw(
        st.lists(
            st.tuples(
                st.integers(0, 36 * 60),
                st.sampled_from(sorted(TIER_OF)),
                st.sampled_from(OPERATIONS),
                st.integers(1, 800_000),
                st.sampled_from([None, *Channel]),
            ),
            max_size=40,
        )
    )
    rows, moment = [], START
    for number, (minutes, customer, (kind, method), minor, channel) in enumerate(steps):
        moment += timedelta(minutes=minutes)
        amount = Money.from_minor(minor)
        rows.append(
            Transaction(
                str(number), customer, TIER_OF[customer], moment, kind, method, amount, channel
            )
        )
    return rows


ALTERNATIVES = st.one_of(
    st.sampled_from([500, 1000, 2000, 5000]).map(lambda cap: with_daily_cap(CURRENT, cap)),
    st.sampled_from(["0.002", "0.0005"]).map(
        lambda rate: attrs.evolve(
            CURRENT,
            fees=FeeSchedule(
                [FeeRule.percentage(OperationKind.WITHDRAWAL, rate, minimum=Money.of(1))]
            ),
        )
    ),
)


@given(transactions())
def test_a_replay_against_the_same_policy_set_changes_nothing(rows: list[Transaction]) -> None:
    summary = replay(rows, CURRENT, CURRENT).summary
    assert (summary.rows_changed, summary.approvals_lost, summary.approvals_gained) == (0, 0, 0)
    assert (summary.fee_delta, summary.customers_affected) == (Money.zero(), 0)
    assert summary.b is not None
    assert summary.a == attrs.evolve(summary.b, label="A")


@given(transactions(), ALTERNATIVES)
def test_the_comparison_sums_up_its_rows(rows: list[Transaction], other: WalletPolicies) -> None:
    result = replay(rows, CURRENT, other, keep_rows=True)
    summary, kept = result.summary, result.rows
    assert [row.transaction for row in kept] == rows
    b_rows = [row.b for row in kept if row.b is not None]
    assert len(b_rows) == len(kept)
    delta = sum(b.fee.minor - row.a.fee.minor for row, b in zip(kept, b_rows, strict=True))
    assert summary.fee_delta == Money.from_minor(delta)
    assert summary.approvals_lost == sum(
        row.a.approved and not b.approved for row, b in zip(kept, b_rows, strict=True)
    )
    assert summary.approvals_gained == sum(
        b.approved and not row.a.approved for row, b in zip(kept, b_rows, strict=True)
    )
    assert summary.rows_changed == sum(row.changed for row in kept)
    assert summary.customers_affected == len(
        {row.transaction.customer for row in kept if row.changed}
    )
    assert summary.b is not None
    for totals in (summary.a, summary.b):
        assert totals.approved + totals.declined == summary.rows == len(rows)
        assert sum(totals.declines.values()) == totals.declined
        assert sum(totals.approved_by_kind.values()) == totals.approved
        assert sum(f.minor for f in totals.fee_income_by_kind.values()) == totals.fee_income.minor
    assert (
        summary.b.approved - summary.a.approved == summary.approvals_gained - summary.approvals_lost
    )
    assert replay(rows, CURRENT).summary.a == summary.a  # B never influences A


@given(transactions(), st.sampled_from([500, 1000, 2000]))
def test_a_stricter_daily_cap_never_gains_a_customers_first_changed_transaction(
    rows: list[Transaction], cap: int
) -> None:
    # Not "never gains": a payment it declines can leave room for a later one (see replay.py).
    seen: set[str] = set()
    for row in replay(rows, CURRENT, with_daily_cap(CURRENT, cap), keep_rows=True).rows:
        customer = row.transaction.customer
        if row.changed and customer not in seen:
            seen.add(customer)
            assert row.a.approved or not row.b.approved  # type: ignore[union-attr]


def test_a_stricter_cap_can_gain_approvals_later_so_the_law_above_is_the_strongest() -> None:
    rows = [
        Transaction("t1", "c1", "WL04", START, OperationKind.PAYMENT, PaymentMethod.NFC, Money.of(1500)),
        Transaction("t2", "c1", "WL04", START, OperationKind.PAYMENT, PaymentMethod.NFC, Money.of(1000)),
    ]  # fmt: skip
    summary = replay(rows, with_daily_cap(CURRENT, 2000), with_daily_cap(CURRENT, 1000)).summary
    assert (summary.approvals_lost, summary.approvals_gained) == (1, 1)


def test_unknown_tiers_and_bad_rows_are_counted_not_dropped() -> None:
    good = list(generate_transactions(rows=30, customers=3))
    good[4] = attrs.evolve(good[4], tier="WL09")
    rows: list[Transaction | RowError] = [*good[:7], RowError(9, "amount is empty"), *good[7:]]
    errors: list[RowError] = []
    summary = replay(rows, CURRENT, on_error=errors.append).summary
    assert (summary.rows, summary.bad_rows) == (30, 1)
    assert summary.first_errors == tuple(errors) == (RowError(9, "amount is empty"),)
    assert summary.a.declines["replay.unknown_tier"] == 1
    assert summary.a.unknown_tiers == {"WL09": 1}
    assert summary.b is None
    assert summary.rows_changed is None


def test_a_summary_keeps_the_first_hundred_bad_rows_and_counts_them_all() -> None:
    errors = [RowError(line, "id is empty") for line in range(2, 2 + FIRST_ERRORS_KEPT + 20)]
    summary = replay(errors, CURRENT).summary
    assert summary.bad_rows == FIRST_ERRORS_KEPT + 20
    assert summary.first_errors == tuple(errors[:FIRST_ERRORS_KEPT])


def test_rows_are_handed_to_on_row_and_kept_only_when_asked() -> None:
    rows = list(generate_transactions(rows=20, customers=3))
    seen: list[ReplayRow] = []
    result = replay(rows, CURRENT, with_daily_cap(CURRENT, 500), on_row=seen.append)
    assert [row.transaction for row in seen] == rows
    with pytest.raises(RowsNotKeptError, match="keep_rows=True"):
        _ = result.rows
    assert replay(rows, CURRENT, keep_rows=True).rows[0] == ReplayRow(
        seen[0].transaction, seen[0].a
    )
    assert not ReplayRow(seen[0].transaction, seen[0].a).changed


def test_a_replay_reads_a_file_as_it_reads_its_rows(tmp_path: Path) -> None:
    rows = list(generate_transactions(rows=500, customers=20))
    write_transactions(tmp_path / "tx.csv", rows)
    with read_transactions(tmp_path / "tx.csv") as reader:
        from_file = replay(reader, CURRENT, with_daily_cap(CURRENT, 1000)).summary
    assert from_file == replay(rows, CURRENT, with_daily_cap(CURRENT, 1000)).summary


def test_the_summary_is_json_ready_with_money_as_decimal_strings() -> None:
    rows = list(generate_transactions(rows=300, customers=10))
    data = replay(rows, CURRENT, with_daily_cap(CURRENT, 1000), labels=("now", "tight")).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert [policy["label"] for policy in data["policies"]] == ["now", "tight"]
    assert isinstance(data["policies"][0]["fee_income"], str)
    assert data["comparison"]["fee_delta"].count(".") == 1
    assert set(data) == {
        "labels", "currency", "rows", "bad_rows", "first_errors", "customers", "policies",
        "comparison",
    }  # fmt: skip
    alone = replay(rows, CURRENT).to_dict()
    assert alone["comparison"] is None
    assert len(alone["policies"]) == 1


@pytest.mark.parametrize("labels", [("A", "A"), ("A", ""), ("A",), ["A", "B"], ("A", 2)])
def test_labels_must_be_two_different_names(labels: Sequence[object]) -> None:
    with pytest.raises(InvalidReplayError, match="labels"):
        replay([], CURRENT, labels=labels)  # type: ignore[arg-type]


def test_policy_sets_in_different_currencies_cannot_be_compared() -> None:
    usd = WalletPolicies(
        limits=LimitSchedule(
            tuple(
                attrs.evolve(tier, limit=Limit(), methods={}, balance_cap=None)
                for tier in CURRENT.limits.tiers
            ),
            currency="USD",
        ),
        tiers=CURRENT.tiers,
        fees=FeeSchedule([], currency="USD"),
        merchant_fees=FeeSchedule([], currency="USD"),
    )
    with pytest.raises(InvalidReplayError, match="CNY and USD"):
        replay([], CURRENT, usd)


def test_anything_but_transactions_and_bad_rows_is_refused() -> None:
    with pytest.raises(InvalidReplayError, match="not str"):
        replay(["t1,c1"], CURRENT)  # type: ignore[list-item]
