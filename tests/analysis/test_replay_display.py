"""A replay in a notebook: data frames, an HTML table, a fee income chart, and a short repr."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import attrs
import pytest

from icbc_wallet.analysis import ReplayResult, RowError, generate_transactions, replay
from icbc_wallet.domain.fee_rules import FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.errors import MissingExtraError
from icbc_wallet.service import WalletPolicies

CURRENT = WalletPolicies.default()
DEARER = attrs.evolve(
    CURRENT,
    fees=FeeSchedule([FeeRule.percentage(OperationKind.WITHDRAWAL, "0.002", minimum=Money.of(1))]),
    merchant_fees=FeeSchedule([FeeRule.percentage(OperationKind.PAYMENT, "0.006")]),
)
ROWS = list(generate_transactions(rows=400, customers=40))


@pytest.fixture(scope="module")
def compared() -> ReplayResult:
    return replay(ROWS, CURRENT, DEARER, labels=("today", "<dearer>"), keep_rows=True)


@pytest.fixture
def pyplot() -> Any:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    yield plt
    plt.close("all")


def test_kept_rows_become_one_frame_row_per_transaction_with_both_decisions(
    compared: ReplayResult,
) -> None:
    pytest.importorskip("pandas")
    frame = compared.to_dataframe()
    assert len(frame) == len(ROWS)
    assert list(frame.columns[-7:]) == [
        "a_approved", "a_reason", "a_fee", "b_approved", "b_reason", "b_fee", "changed",
    ]  # fmt: skip
    assert frame.attrs["labels"] == ("today", "<dearer>")
    assert isinstance(frame["amount"].iloc[0], Decimal)  # money stays exact
    assert sum(frame["b_fee"]) - sum(frame["a_fee"]) == compared.summary.fee_delta.amount  # type: ignore[union-attr]
    assert int(frame["changed"].sum()) == compared.summary.rows_changed
    alone = replay(ROWS, CURRENT, keep_rows=True).to_dataframe()
    assert "b_fee" not in alone.columns
    assert "changed" not in alone.columns


def test_without_kept_rows_the_frame_is_the_summary_table(compared: ReplayResult) -> None:
    pytest.importorskip("pandas")
    result = replay(ROWS, CURRENT, DEARER, labels=("today", "<dearer>"))
    frame = result.to_dataframe()
    assert list(frame.columns) == ["today", "<dearer>", "change"]
    assert frame.loc["approved", "today"] == compared.summary.a.approved
    assert frame.loc["fee income", "change"] == compared.summary.fee_delta.amount  # type: ignore[union-attr]
    alone = replay(ROWS, CURRENT).to_dataframe()
    assert list(alone.columns) == ["A"]
    declines = replay(ROWS, CURRENT).summary.a.declines["limit.method_not_allowed"]
    assert declines > 0
    assert alone.loc["declined: limit.method_not_allowed", "A"] == declines


def test_data_frames_need_pandas_and_say_how_to_install_it(
    compared: ReplayResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'icbc-wallet\[analysis\]'"):
        compared.to_dataframe()


def test_the_html_table_shows_every_metric_for_both_sets_escaped(compared: ReplayResult) -> None:
    html = compared._repr_html_()
    assert html.startswith("<table>")
    assert html.endswith("</table>")
    assert "&lt;dearer&gt;" in html
    assert "<dearer>" not in html
    for metric, *_ in compared.summary.table():
        assert f">{metric}</th>" in html
    assert f"{compared.summary.rows_changed:,} decided differently" in html
    delta = compared.summary.fee_delta
    assert delta is not None
    assert f"{delta.amount:+,}" in html
    alone = replay([*ROWS, RowError(402, "id is empty")], CURRENT)._repr_html_()
    assert "change" not in alone
    assert "400 transactions from 40 customers, 1 bad rows." in alone


def test_the_repr_is_one_short_line(compared: ReplayResult) -> None:
    text = repr(compared)
    assert text.startswith("ReplayResult(400 rows, 0 bad; today: ")
    assert "<dearer>: " in text
    assert "fee delta" in text
    assert "\n" not in text
    assert "fee delta" not in repr(replay(ROWS, CURRENT))


def test_the_summary_table_lists_each_reason_either_set_gave(compared: ReplayResult) -> None:
    summary = compared.summary
    assert summary.b is not None
    metrics = [metric for metric, *_ in summary.table()]
    for reason in {*summary.a.declines, *summary.b.declines}:
        assert f"declined: {reason}" in metrics
    assert "fee income: withdrawal" in metrics
    (change,) = [row[3] for row in summary.table() if row[0] == "fee income"]
    assert change == summary.fee_delta


def test_fee_income_is_plotted_by_kind_one_bar_per_set(compared: ReplayResult, pyplot: Any) -> None:
    ax = compared.plot_fee_income()
    kinds = {label.get_text() for label in ax.get_xticklabels()}
    assert {"payment", "withdrawal", "transfer"} <= kinds
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["today", "<dearer>"]
    heights = sorted(round(bar.get_height(), 2) for bar in ax.patches)
    summary = compared.summary
    assert summary.b is not None
    assert round(float(summary.b.fee_income_by_kind[OperationKind.PAYMENT].amount), 2) in heights
    _figure, own = pyplot.subplots()
    assert compared.plot_fee_income(ax=own) is own


def test_plots_need_matplotlib_and_say_how_to_install_it(
    compared: ReplayResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingExtraError, match="plotting needs matplotlib"):
        compared.plot_fee_income()
