"""Examples for statement lines, periods and statements (consumption records)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.money import MAX_MINOR_UNITS, Money
from icbc_wallet.domain.statements import (
    MAX_COUNTERPARTY_LENGTH,
    MAX_MEMO_LENGTH,
    EntryKind,
    Period,
    Statement,
    StatementLine,
)
from icbc_wallet.errors import (
    AmountOutOfRangeError,
    AmountTypeError,
    CurrencyMismatchError,
    DatetimeTypeError,
    InvalidIdError,
    InvalidPeriodError,
    InvalidStatementError,
    InvalidTextError,
    NaiveDatetimeError,
    TextTypeError,
    UnknownCategoryError,
    WalletError,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
WALLET = WalletId("W-0001")
MARCH = Period.month(2026, 3)


def cst(day: int, hour: int = 12, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def line(
    amount: str,
    kind: EntryKind = EntryKind.PAYMENT,
    at: datetime | None = None,
    reference: str = "P-1",
    category: Category | None = None,
    counterparty: str = "Noodle Bar",
    currency: str = "CNY",
) -> StatementLine:
    return StatementLine(
        cst(2) if at is None else at,
        kind,
        Money.of(amount, currency),
        reference,
        category,
        counterparty,
    )


MONTH_LINES = [
    line("-38.50", at=cst(2, 12), reference="P-1", category=Category.FOOD),
    line("500", EntryKind.TOP_UP, at=cst(1, 9), reference="T-1", counterparty="card *8888"),
    line("-120", at=cst(5), reference="P-2", category=Category.UTILITIES),
    line("20", EntryKind.REFUND, at=cst(6), reference="P-2", category=Category.UTILITIES),
    line("-15", at=cst(7), reference="P-3"),  # no category: counted as OTHER
    line("-200", EntryKind.TRANSFER_OUT, at=cst(8), reference="X-1", counterparty="W-0***9"),
    line("-100", EntryKind.WITHDRAWAL, at=cst(9), reference="D-1"),
    line("-0.10", EntryKind.FEE, at=cst(9), reference="D-1", counterparty=""),
    line("66", EntryKind.TRANSFER_IN, at=cst(10), reference="X-2"),
    line("38.50", EntryKind.DISPUTE_CREDIT, at=cst(31, 23, 59), reference="P-1"),
]


def march(opening: str = "1000") -> Statement:
    return Statement.build(WALLET, MARCH, MONTH_LINES, Money.of(opening))


# -- entry kinds and lines ---------------------------------------------------------------------


def test_entry_kind_values_are_stable() -> None:
    assert [kind.value for kind in EntryKind] == [
        "payment",
        "refund",
        "top_up",
        "withdrawal",
        "transfer_in",
        "transfer_out",
        "fee",
        "dispute_credit",
    ]
    assert {kind for kind in EntryKind if kind.is_inflow} == {
        EntryKind.REFUND,
        EntryKind.TOP_UP,
        EntryKind.TRANSFER_IN,
        EntryKind.DISPUTE_CREDIT,
    }


def test_a_line_keeps_its_instant_in_utc_and_parses_its_kind_and_category() -> None:
    parsed = StatementLine(cst(2), "payment", Money.of("-1"), "P-1", "food", "Shop")
    assert parsed.at == cst(2)
    assert parsed.at.tzinfo is UTC
    assert parsed.kind is EntryKind.PAYMENT
    assert parsed.category is Category.FOOD
    assert parsed.memo == ""


@pytest.mark.parametrize("kind", list(EntryKind))
def test_a_line_amount_must_have_the_sign_of_its_kind(kind: EntryKind) -> None:
    right, wrong = ("1", "-1") if kind.is_inflow else ("-1", "1")
    assert line(right, kind).amount == Money.of(right)
    with pytest.raises(InvalidStatementError, match=r"must be (positive|negative)"):
        line(wrong, kind)
    with pytest.raises(InvalidStatementError):
        line("0", kind)


@pytest.mark.parametrize("kind", [EntryKind.TOP_UP, EntryKind.FEE, EntryKind.DISPUTE_CREDIT])
def test_only_payments_and_refunds_carry_a_category(kind: EntryKind) -> None:
    amount = "1" if kind.is_inflow else "-1"
    with pytest.raises(InvalidStatementError, match="only payments and refunds"):
        line(amount, kind, category=Category.FOOD)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"kind": "PAYMENT"}, InvalidStatementError),
        ({"category": "groceries"}, UnknownCategoryError),
        ({"amount": "-1"}, AmountTypeError),
        ({"reference": ""}, InvalidIdError),
        ({"reference": "P 1"}, InvalidIdError),
        ({"counterparty": "x" * (MAX_COUNTERPARTY_LENGTH + 1)}, InvalidTextError),
        ({"counterparty": "tab\there"}, InvalidTextError),
        ({"counterparty": None}, TextTypeError),
        ({"memo": "m" * (MAX_MEMO_LENGTH + 1)}, InvalidTextError),
        ({"at": datetime(2026, 3, 2, 12)}, NaiveDatetimeError),
    ],
)
def test_a_malformed_line_is_refused(changes: dict[str, object], error: type[WalletError]) -> None:
    fields: dict[str, object] = {
        "at": cst(2),
        "kind": EntryKind.PAYMENT,
        "amount": Money.of("-1"),
        "reference": "P-1",
        "category": None,
        "counterparty": "Shop",
        **changes,
    }
    with pytest.raises(error):
        StatementLine(**fields)  # type: ignore[arg-type]


def test_a_reference_error_says_it_is_about_the_reference() -> None:
    with pytest.raises(InvalidIdError, match="reference must be"):
        line("-1", reference="")


def test_texts_may_be_as_long_as_their_limits_and_counterparty_may_be_empty() -> None:
    long_line = StatementLine(
        cst(2), EntryKind.FEE, Money.of("-1"), "F-1", None, "商" * 100, memo="备" * 200
    )
    assert (len(long_line.counterparty), len(long_line.memo)) == (100, 200)
    assert line("-1", EntryKind.FEE, counterparty="").counterparty == ""


# -- periods -----------------------------------------------------------------------------------


def test_a_business_day_runs_from_midnight_to_midnight_in_shanghai() -> None:
    day = Period.day(date(2026, 3, 1))
    assert day.start == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert day.end == datetime(2026, 3, 1, 16, tzinfo=UTC)
    assert day.start.tzinfo is UTC


def test_a_day_in_a_zone_with_daylight_saving_can_last_23_hours() -> None:
    day = Period.day(date(2026, 3, 8), NEW_YORK)
    assert day.end - day.start == timedelta(hours=23)


def test_a_month_runs_to_the_first_of_the_next_month_across_a_year_end() -> None:
    december = Period.month(2026, 12)
    assert december.start == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert december.end == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    assert Period.month(2028, 2).end - Period.month(2028, 2).start == timedelta(days=29)


def test_a_period_contains_its_start_but_not_its_end() -> None:
    assert MARCH.contains(cst(1, 0))
    assert MARCH.contains(datetime(2026, 3, 31, 15, 59, 59, 999999, tzinfo=UTC))
    assert not MARCH.contains(datetime(2026, 3, 31, 16, tzinfo=UTC))
    assert not MARCH.contains(cst(1, 0) - timedelta(microseconds=1))


def test_between_is_the_constructor_and_keeps_utc() -> None:
    start = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=8)))
    assert Period.between(start, cst(2)) == Period(start, cst(2))
    assert Period.between(start, cst(2)).start.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "end"),
    [(cst(2), cst(2)), (cst(3), cst(2))],
)
def test_a_period_must_end_after_it_starts(start: datetime, end: datetime) -> None:
    with pytest.raises(InvalidPeriodError, match="must end after it starts"):
        Period(start, end)


def test_a_period_refuses_naive_instants() -> None:
    with pytest.raises(NaiveDatetimeError):
        Period(datetime(2026, 3, 1), cst(2))
    with pytest.raises(NaiveDatetimeError):
        MARCH.contains(datetime(2026, 3, 2))


@pytest.mark.parametrize(
    ("year", "month"),
    [(2026, 0), (2026, 13), (2026, True), ("2026", 1), (0, 1), (9999, 12), (1, 1)],
)
def test_a_month_that_does_not_exist_or_is_out_of_range_is_refused(
    year: object, month: object
) -> None:
    with pytest.raises(InvalidPeriodError):
        Period.month(year, month)  # type: ignore[arg-type]


def test_a_day_must_be_a_date_in_range_and_the_zone_a_zoneinfo() -> None:
    with pytest.raises(DatetimeTypeError):
        Period.day(cst(1))
    with pytest.raises(InvalidPeriodError, match="beyond the supported range"):
        Period.day(date.max)
    with pytest.raises(InvalidPeriodError, match="ZoneInfo"):
        Period.day(date(2026, 3, 1), UTC)  # type: ignore[arg-type]
    with pytest.raises(InvalidPeriodError, match="ZoneInfo"):
        Period.month(2026, 3, "Asia/Shanghai")  # type: ignore[arg-type]


# -- statements --------------------------------------------------------------------------------


def test_a_statement_sorts_its_lines_and_totals_them() -> None:
    statement = march()
    assert [item.at for item in statement.lines] == sorted(item.at for item in MONTH_LINES)
    assert statement.count == len(MONTH_LINES) == 10
    assert statement.total_in == Money.of("624.50")
    assert statement.total_out == Money.of("473.60")
    assert statement.closing_balance == Money.of("1150.90")
    assert statement.opening_balance == Money.of("1000")


def test_a_payment_comes_before_its_fee_at_the_same_instant() -> None:
    kinds = [item.kind for item in march().lines if item.reference == "D-1"]
    assert kinds == [EntryKind.WITHDRAWAL, EntryKind.FEE]


def test_spending_by_category_is_payments_less_refunds_with_uncategorised_as_other() -> None:
    spending = march().spending_by_category()
    assert list(spending.items()) == [
        (Category.FOOD, Money.of("38.50")),
        (Category.UTILITIES, Money.of("100")),
        (Category.OTHER, Money.of("15")),
    ]
    with pytest.raises(TypeError):
        spending[Category.FOOD] = Money.of("0")  # type: ignore[index]


def test_a_refund_of_an_earlier_purchase_shows_as_negative_spending() -> None:
    refund = line("30", EntryKind.REFUND, category=Category.HOTEL)
    statement = Statement.build(WALLET, MARCH, [refund], Money.of("0"))
    assert statement.spending_by_category() == {Category.HOTEL: Money.of("-30")}


def test_totals_by_kind_are_signed_and_in_kind_order() -> None:
    totals = march().totals_by_kind()
    assert list(totals.items()) == [
        (EntryKind.PAYMENT, Money.of("-173.50")),
        (EntryKind.REFUND, Money.of("20")),
        (EntryKind.TOP_UP, Money.of("500")),
        (EntryKind.WITHDRAWAL, Money.of("-100")),
        (EntryKind.TRANSFER_IN, Money.of("66")),
        (EntryKind.TRANSFER_OUT, Money.of("-200")),
        (EntryKind.FEE, Money.of("-0.10")),
        (EntryKind.DISPUTE_CREDIT, Money.of("38.50")),
    ]


def test_an_empty_statement_closes_at_its_opening_balance() -> None:
    statement = Statement.build(WALLET, MARCH, [], Money.of("0", "USD"))
    assert statement.closing_balance == Money.of("0", "USD")
    assert statement.total_in == statement.total_out == Money.of("0", "USD")
    assert statement.count == 0
    assert statement.totals_by_kind() == {}
    assert statement.spending_by_category() == {}


def test_the_input_order_does_not_change_the_statement() -> None:
    assert Statement.build(WALLET, MARCH, reversed(MONTH_LINES), Money.of("1000")) == march()
    assert march() != march("999")


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("amount", [Money.of("7"), Money.of("5")]),
        ("category", [Category.FOOD, None]),
        ("counterparty", ["B", "A"]),
        ("memo", ["second", "first"]),
    ],
)
def test_lines_that_tie_on_time_reference_and_kind_still_have_one_order(
    field: str, values: list[object]
) -> None:
    base = line("3", EntryKind.REFUND, reference="P-7", category=Category.FOOD)
    twins = [attrs.evolve(base, **{field: value}) for value in values]  # type: ignore[arg-type]
    forward = Statement.build(WALLET, MARCH, twins, Money.of("0"))
    backward = Statement.build(WALLET, MARCH, reversed(twins), Money.of("0"))
    assert forward.lines == backward.lines
    assert forward.lines[0] == twins[1]


@pytest.mark.parametrize(
    "at",
    [cst(1, 0) - timedelta(microseconds=1), datetime(2026, 4, 1, tzinfo=SHANGHAI)],
)
def test_a_line_outside_the_period_is_refused_with_its_reference_and_instant(
    at: datetime,
) -> None:
    stray = line("-1", at=at, reference="P-99")
    with pytest.raises(InvalidStatementError, match=r"line P-99 at .* is outside the period"):
        Statement.build(WALLET, MARCH, [*MONTH_LINES, stray], Money.of("1000"))


def test_a_statement_is_in_one_currency() -> None:
    with pytest.raises(CurrencyMismatchError, match="USD"):
        Statement.build(WALLET, MARCH, [line("-1", currency="USD")], Money.of("10"))


def test_a_statement_reconciles_with_the_ledger_closing_balance() -> None:
    assert march().closing_balance == Money.of("1150.90")
    reconciled = Statement.build(
        WALLET, MARCH, MONTH_LINES, Money.of("1000"), closing_balance=Money.of("1150.90")
    )
    assert reconciled == march()
    with pytest.raises(InvalidStatementError, match=r"but the ledger says 1151\.00 CNY"):
        Statement.build(
            WALLET, MARCH, MONTH_LINES, Money.of("1000"), closing_balance=Money.of("1151")
        )
    with pytest.raises(CurrencyMismatchError):
        Statement.build(
            WALLET, MARCH, MONTH_LINES, Money.of("1000"), closing_balance=Money.of("1150.90", "USD")
        )
    with pytest.raises(AmountTypeError):
        Statement.build(WALLET, MARCH, MONTH_LINES, Money.of("1000"), closing_balance="1150.90")  # type: ignore[arg-type]


def test_the_constructor_wants_sorted_lines_in_a_tuple() -> None:
    ordered = march().lines
    assert Statement(WALLET, MARCH, ordered, Money.of("1000")) == march()
    with pytest.raises(InvalidStatementError, match="sorted by time"):
        Statement(WALLET, MARCH, tuple(reversed(ordered)), Money.of("1000"))
    with pytest.raises(InvalidStatementError, match="must be a tuple"):
        Statement(WALLET, MARCH, list(ordered), Money.of("1000"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((WalletId("W 1"), MARCH, [], Money.of("0")), InvalidIdError),
        ((WALLET, (cst(1), cst(2)), [], Money.of("0")), TypeError),
        ((WALLET, MARCH, [], "0"), AmountTypeError),
        ((WALLET, MARCH, [("-1", "P-1")], Money.of("0")), InvalidStatementError),
        ((WALLET, MARCH, MONTH_LINES[0], Money.of("0")), InvalidStatementError),
        ((WALLET, MARCH, 3, Money.of("0")), InvalidStatementError),
    ],
)
def test_bad_statement_input_is_refused(
    arguments: tuple[object, object, object, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        Statement.build(*arguments)  # type: ignore[arg-type]


def test_the_constructor_refuses_something_that_is_not_a_line() -> None:
    with pytest.raises(InvalidStatementError, match="StatementLines"):
        Statement(WALLET, MARCH, ("not a line",), Money.of("0"))  # type: ignore[arg-type]


def test_a_closing_balance_beyond_the_supported_range_is_refused() -> None:
    huge = StatementLine(
        cst(2), EntryKind.TOP_UP, Money.from_minor(MAX_MINOR_UNITS), "T-1", None, "bank"
    )
    with pytest.raises(AmountOutOfRangeError):
        Statement.build(WALLET, MARCH, [huge], Money.of("1"))
