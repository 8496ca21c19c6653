"""Examples for ``Statement.to_dataframe()``: a statement's lines as an exact pandas frame."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.statements import EntryKind, Period, Statement, StatementLine
from icbc_wallet.errors import MissingExtraError, WalletError

pd = pytest.importorskip("pandas")

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
COLUMNS = [
    "at",
    "wallet_id",
    "kind",
    "category",
    "amount",
    "balance_after",
    "currency",
    "counterparty",
    "reference",
    "memo",
]


def march() -> Statement:
    lines = [
        StatementLine(START, EntryKind.TOP_UP, Money.of("500"), "T-1", None, "bank card *8888"),
        StatementLine(
            START + timedelta(hours=1),
            EntryKind.PAYMENT,
            Money.of("-0.10"),
            "P-1",
            Category.FOOD,
            "Noodle Bar",
        ),
        StatementLine(
            START + timedelta(hours=2),
            EntryKind.PAYMENT,
            Money.of("-0.20"),
            "P-2",
            Category.TRANSPORT,
            "Metro",
        ),
        StatementLine(
            START + timedelta(hours=3), EntryKind.WITHDRAWAL, Money.of("-100"), "W-9", None, ""
        ),
        StatementLine(
            START + timedelta(hours=3),
            EntryKind.FEE,
            Money.of("-0.10"),
            "W-9",
            None,
            "",
            memo="withdrawal fee",
        ),
    ]
    return Statement.build(WalletId("W-1"), Period.month(2026, 3), lines, Money.of("0.70"))


def test_a_frame_has_one_row_per_line_in_the_statements_order_with_documented_columns() -> None:
    statement = march()
    frame = statement.to_dataframe()
    assert list(frame.columns) == COLUMNS
    assert list(frame["reference"]) == [line.reference for line in statement.lines]
    assert list(frame["kind"]) == ["top_up", "payment", "payment", "withdrawal", "fee"]
    assert frame["memo"].iloc[-1] == "withdrawal fee"
    assert set(frame["wallet_id"]) == {"W-1"}
    assert set(frame["currency"]) == {"CNY"}


def test_amounts_and_balances_are_exact_decimals_never_floats() -> None:
    statement = march()
    frame = statement.to_dataframe()
    assert all(type(value) is Decimal for value in frame["amount"])
    assert all(type(value) is Decimal for value in frame["balance_after"])
    # 0.1 + 0.2 in floats is not 0.3; these are Decimals.
    assert frame["amount"].iloc[1] + frame["amount"].iloc[2] == Decimal("-0.30")
    assert (
        sum(frame["amount"], Decimal(0))
        == (statement.closing_balance - statement.opening_balance).amount
    )
    assert frame["balance_after"].iloc[-1] == statement.closing_balance.amount == Decimal("400.30")
    assert list(frame["balance_after"]) == [
        Decimal("500.70"),
        Decimal("500.60"),
        Decimal("500.40"),
        Decimal("400.40"),
        Decimal("400.30"),
    ]


def test_instants_are_aware_and_shown_in_the_business_zone_or_the_one_asked_for() -> None:
    frame = march().to_dataframe()
    assert str(frame["at"].dt.tz) == "Asia/Shanghai"
    assert frame["at"].iloc[0] == pd.Timestamp(START)
    assert frame["at"].iloc[0].hour == 9
    utc = march().to_dataframe(zone=ZoneInfo("UTC"))
    assert utc["at"].iloc[0].hour == 1
    assert utc["at"].iloc[0] == frame["at"].iloc[0]


def test_a_line_without_a_category_has_a_missing_category() -> None:
    frame = march().to_dataframe()
    assert frame["category"].isna().tolist() == [True, False, False, True, True]
    assert frame["category"].iloc[1] == "food"


def test_the_frame_carries_the_statements_balances_and_period() -> None:
    attrs = march().to_dataframe().attrs
    assert attrs["wallet_id"] == "W-1"
    assert attrs["currency"] == "CNY"
    assert attrs["opening_balance"] == Decimal("0.70")
    assert attrs["closing_balance"] == Decimal("400.30")
    assert attrs["period_start"] == datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert attrs["period_end"] == datetime(2026, 4, 1, tzinfo=SHANGHAI)


def test_an_empty_statement_gives_an_empty_frame_with_the_same_columns_and_types() -> None:
    empty = Statement.build(WalletId("W-1"), Period.month(2026, 3), [], Money.of("5"))
    frame = empty.to_dataframe()
    full = march().to_dataframe()
    assert frame.empty
    assert list(frame.columns) == COLUMNS
    assert frame.dtypes.to_dict() == full.dtypes.to_dict()


def test_without_pandas_the_error_says_how_to_install_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` raise ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'icbc-wallet\[analysis\]'") as caught:
        march().to_dataframe()
    assert isinstance(caught.value, ImportError)
    assert isinstance(caught.value, WalletError)
