"""Examples for the notebook faces (``_repr_html_``) of money, quotes, decisions, limits and statements."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from icbc_wallet.domain import _html
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import APPROVED, Approved, Declined, DeclineReason
from icbc_wallet.domain.fee_rules import FeeCharging, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.limits import Limit, LimitSchedule, PaymentMethod, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.statements import EntryKind, Period, Statement, StatementLine
from icbc_wallet.presets.limits import ARTICLE_DEFAULTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 12, 30, tzinfo=SHANGHAI)
SCRIPT = "<script>alert('x')</script>"


class _Tree(HTMLParser):
    """Collects the text of every cell and checks that tags close in order."""

    VOID = frozenset({"br", "hr", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open[-1] == tag, f"</{tag}> closes {self.open}"
        self.open.pop()
        if tag in {"td", "th"} and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(markup: str) -> _Tree:
    tree = _Tree()
    tree.feed(markup)
    tree.close()
    assert not tree.open, f"unclosed {tree.open}"
    return tree


def all_text(markup: str) -> str:
    return "".join(parse(markup).text)


def labelled(tree: _Tree) -> dict[str, str]:
    """The label and value of every two-cell row (a card's figures, a spending table)."""
    return {row[0]: row[1] for row in tree.rows if len(row) == 2}


# -- the building blocks ----------------------------------------------------------------------


def test_text_is_escaped_but_a_built_fragment_is_kept_as_it_is() -> None:
    assert _html.text(SCRIPT) == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    fragment = _html.table(["a"], [["b"]])
    assert _html.text(fragment) is fragment


def test_amounts_are_grouped_by_thousands_with_every_place_kept() -> None:
    assert _html.plain(Money.of("1234567.8")) == "1,234,567.80 CNY"
    assert _html.plain(Money.of("-1000")) == "-1,000.00 CNY"
    assert _html.plain(Money.of("1234", "JPY")) == "1,234 JPY"
    assert _html.plain(Money.of("0"), currency=False) == "0.00"
    assert _html.plain(None) == _html.NO_CAP


def test_a_table_escapes_its_cells_and_aligns_numeric_columns_right() -> None:
    markup = _html.table(["name", "amount"], [[SCRIPT, "1.00"]], numeric=(1,))
    tree = parse(markup)
    assert "script" not in tree.tags
    assert tree.rows == [["name", "amount"], [SCRIPT, "1.00"]]
    assert '<td style="text-align:right">1.00</td>' in markup


# -- money and decisions ----------------------------------------------------------------------


def test_money_shows_as_a_span_with_its_grouped_amount_and_currency() -> None:
    markup = Money.of("1234.5")._repr_html_()
    assert markup.startswith("<span")
    assert all_text(markup) == "1,234.50 CNY"


def test_a_plain_approval_says_approved_and_nothing_more() -> None:
    markup = APPROVED._repr_html_()
    assert "Approved" in all_text(markup)
    assert parse(markup).rows == []


def test_an_approval_shows_its_remaining_headroom_and_deadline() -> None:
    decision = Approved(remaining=Money.of("40"), deadline=NOW)
    rows = parse(decision._repr_html_()).rows
    assert rows == [["remaining", "40.00 CNY"], ["until", "2026-03-02 12:30+08:00"]]


def test_a_decline_names_its_reason_code_and_the_remaining_amount() -> None:
    decision = Declined(
        DeclineReason.DAILY_LIMIT,
        limit=Money.of("1000"),
        used=Money.of("900"),
        remaining=Money.of("100"),
        scope="static_qr",
    )
    markup = decision._repr_html_()
    rows = labelled(parse(markup))
    assert rows["code"] == "limit.daily"
    assert rows["remaining"] == "100.00 CNY"
    assert rows["limit"] == "1,000.00 CNY"
    assert rows["used"] == "900.00 CNY"
    assert rows["scope"] == "static_qr"
    assert rows["原因"] == "超出日累计限额"
    assert "Exceeds the daily cumulative limit" in all_text(markup)


def test_a_decline_shows_only_the_numbers_it_has() -> None:
    overall = Declined(DeclineReason.DAILY_LIMIT, remaining=Money.of(0), scope="all")
    assert labelled(parse(overall._repr_html_()))["scope"] == "all methods"
    late = Declined(DeclineReason.REFUND_WINDOW_CLOSED, deadline=NOW)
    labels = [row[0] for row in parse(late._repr_html_()).rows]
    assert labels == ["code", "原因", "deadline"]


# -- fee quotes -------------------------------------------------------------------------------


def test_a_fee_quote_explains_its_fee_in_a_table_with_one_row_per_step() -> None:
    rule = FeeRule.percentage(
        OperationKind.TRANSFER, "0.005", minimum=Money.of(1), name=f"Transfers {SCRIPT}"
    )
    schedule = FeeSchedule([rule], [Waiver.promotion("Spring <sale>", "0.5")])
    quote = schedule.quote(OperationKind.TRANSFER, Money.of(300), now=NOW)
    markup = quote._repr_html_()
    tree = parse(markup)
    assert "script" not in tree.tags
    steps = tree.rows[tree.rows.index(["step", "amount", "detail"]) + 1 :]
    assert [step[:2] for step in steps] == [
        ["gross", "1.50 CNY"],
        ["promotion", "-0.75 CNY"],
        ["minimum", "0.25 CNY"],
    ]
    figures = labelled(tree)
    assert figures["fee"] == "1.00 CNY"
    assert figures["total debit"] == "301.00 CNY"
    assert figures["rule"] == f"Transfers {SCRIPT}"
    assert figures["waiver"] == "Spring <sale>"
    assert "transfer fee: 1.00 CNY" in all_text(markup)


def test_a_deducted_fee_shows_the_net_amount_and_the_channel() -> None:
    rule = FeeRule.flat(
        OperationKind.WITHDRAWAL,
        Money.of(2),
        channel=Channel.PC,
        charging=FeeCharging.DEDUCTED,
        quota=FreeQuota(Money.of(100), QuotaPeriod.LIFETIME),
    )
    quote = FeeSchedule([rule]).quote(
        OperationKind.WITHDRAWAL, Money.of(500), now=NOW, channel=Channel.PC
    )
    tree = parse(quote._repr_html_())
    figures = labelled(tree)
    assert figures["net amount"] == "498.00 CNY"
    assert "total debit" not in figures
    assert "waiver" not in figures
    assert [row[0] for row in tree.rows][-2:] == ["free quota", "gross"]
    assert "withdrawal fee (pc): 2.00 CNY" in all_text(quote._repr_html_())


def test_a_free_operation_without_a_rule_says_so() -> None:
    quote = FeeSchedule([]).quote(OperationKind.TOP_UP, Money.of(10), now=NOW)
    tree = parse(quote._repr_html_())
    assert tree.rows[-1][:2] == ["no rule", "0.00 CNY"]
    assert "rule" not in labelled(tree)


# -- limit schedules --------------------------------------------------------------------------


def test_a_limit_schedule_shows_tiers_by_windows_with_a_row_per_method() -> None:
    markup = ARTICLE_DEFAULTS._repr_html_()
    rows = parse(markup).rows
    assert rows[0] == [
        "tier",
        "method",
        "per transaction",
        "daily",
        "monthly",
        "annual",
        "lifetime",
        "balance cap",
        "description",
    ]
    dash = _html.NO_CAP
    assert rows[1][:8] == [
        "unverified",
        "all methods",
        "500.00",
        "1,000.00",
        dash,
        dash,
        dash,
        dash,
    ]
    assert rows[2][:4] == ["", "static_qr", dash, "500.00"]
    assert [row[0] for row in rows[1:]] == ["unverified", "", "real_name", ""]
    text = all_text(markup)
    assert "article-defaults" in text
    assert "Caps in CNY" in text
    assert "Asia/Shanghai" in text


def test_a_tier_description_with_markup_is_escaped() -> None:
    schedule = LimitSchedule(
        [
            TierLimits(
                "basic",
                Limit.of(daily="100"),
                balance_cap=Money.of("2000"),
                disallowed=[PaymentMethod.WITHDRAWAL],
                description=SCRIPT,
            )
        ]
    )
    markup = schedule._repr_html_()
    tree = parse(markup)
    assert "script" not in tree.tags
    assert "&lt;script&gt;" in markup
    assert tree.rows[1][-2:] == ["2,000.00", SCRIPT]
    assert tree.rows[2][:3] == ["", "withdrawal", "not allowed"]
    assert "Limit schedule" in all_text(markup)


# -- statements -------------------------------------------------------------------------------


def statement(count: int, counterparty: str = "Noodle Bar") -> Statement:
    lines = [
        StatementLine(
            NOW + timedelta(minutes=index),
            EntryKind.PAYMENT,
            Money.of("-1000.50"),
            f"P-{index}",
            Category.FOOD,
            counterparty,
        )
        for index in range(count)
    ]
    top_up_at = NOW - timedelta(hours=1)
    lines.append(
        StatementLine(top_up_at, EntryKind.TOP_UP, Money.of("50000"), "T-1", None, "*8888")
    )
    return Statement.build(WalletId("W-1"), Period.month(2026, 3), lines, Money.of("100"))


def test_a_statement_shows_balances_spending_and_its_lines_with_running_balances() -> None:
    markup = statement(2, counterparty=SCRIPT)._repr_html_()
    tree = parse(markup)
    assert "script" not in tree.tags
    figures = labelled(tree)
    assert figures["opening balance"] == "100.00 CNY"
    assert figures["closing balance"] == "48,099.00 CNY"
    assert figures["food"] == "2,001.00 CNY"
    lines = tree.rows[-3:]
    assert [line[1] for line in lines] == ["top_up", "payment", "payment"]
    assert [line[-1] for line in lines] == ["50,100.00", "49,099.50", "48,099.00"]
    assert lines[1][3] == SCRIPT
    assert "Statement W-1: 2026-03-01 00:00+08:00 to 2026-04-01 00:00+08:00" in all_text(markup)
    assert "more lines" not in all_text(markup)


def test_a_long_statement_shows_its_first_lines_and_says_how_many_are_hidden() -> None:
    markup = statement(_html.MAX_STATEMENT_ROWS + 4)._repr_html_()
    tree = parse(markup)
    line_rows = [row for row in tree.rows if len(row) == 7][1:]
    assert len(line_rows) == _html.MAX_STATEMENT_ROWS
    assert "5 more lines not shown; to_dataframe() has them all." in all_text(markup)


def test_a_statement_without_payments_has_no_spending_table() -> None:
    empty = Statement.build(WalletId("W-1"), Period.month(2026, 3), [], Money.of("100"))
    rows = parse(empty._repr_html_()).rows
    assert ["category", "spending"] not in rows
    assert rows[-1] == ["at", "kind", "category", "counterparty", "reference", "amount", "balance"]


@pytest.mark.parametrize(
    "value",
    [
        Money.of("1"),
        APPROVED,
        Declined(DeclineReason.WALLET_FROZEN),
        ARTICLE_DEFAULTS,
    ],
    ids=["money", "approved", "declined", "limits"],
)
def test_every_face_is_one_self_contained_fragment(value: object) -> None:
    markup: str = value._repr_html_()  # type: ignore[attr-defined]
    tree = parse(markup)
    assert not {"script", "style", "link", "iframe"} & set(tree.tags)
    assert "\n" not in markup
