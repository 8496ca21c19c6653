"""Examples for the plots: spending by category over time, and limit headroom."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.limits import Limit, LimitSchedule, PaymentMethod, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.statements import EntryKind, Period, Statement, StatementLine
from icbc_wallet.domain.usage import LimitUsage
from icbc_wallet.errors import InvalidFrameError, MissingExtraError
from icbc_wallet.presets.limits import ALL_LIMIT_PRESETS, ARTICLE_DEFAULTS

if TYPE_CHECKING:
    from pandas import DataFrame

pd = pytest.importorskip("pandas")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # the tests draw off screen; the library itself never picks a backend

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from icbc_wallet.analysis.plots import (  # noqa: E402
    plot_limit_headroom,
    plot_spending_by_category,
    spending_table,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
NOW = datetime(2026, 3, 20, 12, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def payment(day: int, amount: str, category: Category | None, reference: str) -> StatementLine:
    at = MONDAY + timedelta(days=day)
    return StatementLine(at, EntryKind.PAYMENT, -Money.of(amount), reference, category, "Shop")


def statement_frame() -> DataFrame:
    lines = [
        StatementLine(MONDAY, EntryKind.TOP_UP, Money.of("5000"), "T-1", None, "*8888"),
        payment(0, "100.10", Category.FOOD, "P-1"),
        payment(1, "0.20", Category.FOOD, "P-2"),
        payment(2, "50", Category.TRANSPORT, "P-3"),
        payment(8, "300", Category.SHOPPING, "P-4"),
        payment(9, "7", None, "P-5"),
        StatementLine(
            MONDAY + timedelta(days=10),
            EntryKind.REFUND,
            Money.of("80"),
            "R-1",
            Category.TRANSPORT,
            "Shop",
        ),
    ]
    statement = Statement.build(WalletId("W-1"), Period.month(2026, 3), lines, Money.of(0))
    return statement.to_dataframe()


def transactions_frame() -> DataFrame:
    frame: DataFrame = pd.DataFrame(
        {
            "at": [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=15)],
            "kind": ["payment", "withdrawal", "payment"],
            "method": ["nfc", "withdrawal", "static_qr"],
            "amount": [Decimal("10.00"), Decimal("2000.00"), Decimal("5.50")],
        }
    )
    return frame


def test_spending_is_added_up_exactly_per_week_and_category_refunds_deducted() -> None:
    weeks, sums = spending_table(statement_frame(), freq="W")
    assert weeks == ["2026-03-02", "2026-03-09"]
    assert sums == {
        "shopping": [Decimal("0.00"), Decimal("300.00")],
        "food": [Decimal("100.30"), Decimal("0.00")],
        "other": [Decimal("0.00"), Decimal("7.00")],
        "transport": [Decimal("50.00"), Decimal("-80.00")],
    }


def test_a_transactions_frame_spends_every_rows_amount_split_by_any_column() -> None:
    months, sums = spending_table(transactions_frame(), freq="M", by="method")
    assert months == ["2026-03"]
    assert list(sums) == ["withdrawal", "nfc", "static_qr"]
    assert sums["static_qr"] == [Decimal("5.50")]


def test_the_spending_plot_has_one_bar_series_per_category_and_one_bar_per_period() -> None:
    ax = plot_spending_by_category(statement_frame(), freq="W")
    assert isinstance(ax, Axes)
    assert len(ax.containers) == 4
    assert [len(bars) for bars in ax.containers] == [2, 2, 2, 2]
    legend = ax.get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == [
        "shopping",
        "food",
        "other",
        "transport",
    ]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["2026-03-02", "2026-03-09"]
    assert ax.get_ylabel() == "spending (CNY)"


def test_spending_stacks_upwards_and_a_net_refund_hangs_below_zero() -> None:
    ax = plot_spending_by_category(statement_frame(), freq="W")
    shopping, food, other, transport = ax.containers
    second_week = [bars[1] for bars in (shopping, food, other, transport)]
    assert second_week[0].get_y() == 0
    assert second_week[2].get_y() == pytest.approx(300)  # other sits on shopping
    assert second_week[3].get_y() == 0  # from zero down: below the bars above it
    assert second_week[3].get_height() == pytest.approx(-80)


def test_the_spending_plot_draws_on_the_axes_it_is_given() -> None:
    _figure, (left, right) = plt.subplots(1, 2)
    returned = plot_spending_by_category(transactions_frame(), freq="D", by="kind", ax=right)
    assert returned is right
    assert len(right.containers) == 2
    assert len(left.containers) == 0
    assert right.get_title() == "Spending by kind, per day"


def test_many_periods_get_slanted_labels_so_they_do_not_overlap() -> None:
    days = [MONDAY + timedelta(days=number) for number in range(10)]
    frame = pd.DataFrame({"at": days, "method": "nfc", "amount": [Decimal("1.00")] * 10})
    ax = plot_spending_by_category(frame, freq="D", by="method")
    assert len(ax.get_xticklabels()) == 10
    assert ax.get_xticklabels()[0].get_rotation() == 45
    few = plot_spending_by_category(transactions_frame(), freq="D", by="method")
    assert few.get_xticklabels()[0].get_rotation() == 0


def test_an_empty_frame_draws_empty_axes() -> None:
    ax = plot_spending_by_category(transactions_frame().iloc[0:0], by="method")
    assert len(ax.containers) == 0
    assert ax.get_legend() is None


def test_a_frame_without_the_columns_it_needs_is_refused_naming_them() -> None:
    with pytest.raises(InvalidFrameError, match="no column 'category'"):
        plot_spending_by_category(transactions_frame())
    frame = statement_frame().drop(columns=["kind"])
    with pytest.raises(InvalidFrameError, match="'kind'"):
        spending_table(frame)


def test_the_headroom_plot_shows_used_then_remaining_for_every_window() -> None:
    usage = LimitUsage().record(PaymentMethod.STATIC_QR, Money.of("450"), NOW)
    ax = plot_limit_headroom(ARTICLE_DEFAULTS, "unverified", usage, NOW, method="static_qr")
    assert isinstance(ax, Axes)
    used, remaining = ax.containers
    assert len(used) == len(remaining) == 5
    daily_used, daily_left = used[1], remaining[1]
    assert daily_used.get_width() == pytest.approx(90)
    assert daily_left.get_width() == pytest.approx(10)
    assert daily_left.get_x() == pytest.approx(90)
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels == ["per-transaction (all)", "daily (static_qr)", "monthly", "annual", "lifetime"]
    notes = [text.get_text() for text in ax.texts]
    assert notes[0] == "up to 500.00 a payment"
    assert notes[1] == "450.00 of 500.00 used, 50.00 left"
    assert notes[2] == "no cap; 450.00 used"
    assert "unverified, static_qr" in ax.get_title()


def test_the_headroom_plot_says_when_a_method_is_not_allowed() -> None:
    _figure, ax = plt.subplots()
    schedule = ALL_LIMIT_PRESETS["ecny-2021"]
    returned = plot_limit_headroom(schedule, "WL04", LimitUsage(), NOW, method="withdrawal", ax=ax)
    assert returned is ax
    assert "not allowed" in ax.get_title()


def test_a_zero_cap_draws_no_bar() -> None:
    schedule = LimitSchedule([TierLimits("frozen", Limit.of(daily="0"))])
    ax = plot_limit_headroom(schedule, "frozen", LimitUsage(), NOW)
    used, remaining = ax.containers
    assert used[1].get_width() == remaining[1].get_width() == 0
    assert "all methods" in ax.get_title()
    assert ax.texts[0].get_text() == "no cap"


def test_without_matplotlib_the_error_says_how_to_install_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'icbc-wallet\[analysis\]'"):
        plot_limit_headroom(ARTICLE_DEFAULTS, "unverified", LimitUsage(), NOW)


def test_without_pandas_the_spending_table_says_how_to_install_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = transactions_frame()
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError, match="pandas"):
        spending_table(frame, by="method")
