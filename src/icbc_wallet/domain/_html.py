"""HTML fragments: how the domain's values show themselves in a Jupyter notebook.

Jupyter calls an object's ``_repr_html_`` and shows the HTML it returns. The fragments built
here are small and self-contained: a ``<div class="icbc-wallet">`` with a title, key figures and
plain tables, inline styles only (no external CSS or JavaScript). Every piece of text is escaped
with :func:`html.escape`; only fragments this module built (:class:`Html`) are inserted as they
are. Amounts are grouped by thousands but otherwise exact (``1,234.50 CNY``); locale formatting
lives in :mod:`icbc_wallet.presentation`, which the domain may not import.

```pycon
>>> from icbc_wallet.domain.money import Money
>>> str(amount(Money.of("1234567.5")))
'1,234,567.50 CNY'
>>> str(text("<script>alert('hi')</script>"))
'&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;'
>>> text(amount(Money.of("-0.5"))) == amount(Money.of("-0.5"))  # built here: kept as it is
True

```

The values render themselves through this module (``Money``, ``FeeQuote``, ``Approved`` and
``Declined``, ``LimitSchedule``, ``Statement``); it imports none of them, so any may import it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Final

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from icbc_wallet.domain.decisions import Approved, Declined
    from icbc_wallet.domain.fee_quotes import FeeQuote
    from icbc_wallet.domain.headroom import Headroom
    from icbc_wallet.domain.limits import Limit, LimitSchedule
    from icbc_wallet.domain.money import Money
    from icbc_wallet.domain.statements import Statement

__all__ = [
    "MAX_STATEMENT_ROWS",
    "NO_CAP",
    "Html",
    "amount",
    "approved",
    "card",
    "declined",
    "fee_quote",
    "figures",
    "grouped",
    "headroom",
    "instant",
    "limit_schedule",
    "money",
    "plain",
    "statement",
    "table",
    "text",
]

# Jupyter styles tables itself; these inline styles only keep numbers aligned.
_TABLE: Final = '<table style="font-variant-numeric:tabular-nums">'
_RIGHT: Final = ' style="text-align:right"'
_LEFT: Final = ' style="text-align:left"'
NO_CAP: Final = "\N{EM DASH}"
"""What a table shows for a cap that is not set."""
MAX_STATEMENT_ROWS: Final = 20
"""The most lines a statement shows; ``to_dataframe()`` has them all."""


class Html(str):
    """Markup this module built: inserted as it is, where any other ``str`` is escaped."""

    __slots__ = ()


def text(value: object) -> Html:
    """``value`` as text, escaped (an :class:`Html` fragment is kept as it is)."""
    if isinstance(value, Html):
        return value
    return Html(escape(str(value), quote=True))


def grouped(value: Decimal) -> str:
    """A decimal with thousands separators and all its places (``1,234.50``)."""
    return f"{value:,}"


def plain(money: Money | None, *, currency: bool = True) -> str:
    """``money`` grouped by thousands, with its currency, as text; an em dash for None."""
    if money is None:
        return NO_CAP
    shown = grouped(money.amount)
    return f"{shown} {money.currency}" if currency else shown


def amount(money: Money | None, *, currency: bool = True) -> Html:
    """:func:`plain` as an escaped fragment."""
    return text(plain(money, currency=currency))


def table(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    numeric: Collection[int] = (),
) -> Html:
    """A plain table; columns whose index is in ``numeric`` are aligned right."""
    head = "".join(f"<th>{text(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{_RIGHT if index in numeric else ''}>{text(cell)}</td>"
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return Html(f"{_TABLE}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def figures(pairs: Iterable[tuple[object, object]]) -> Html:
    """A two-column table of labelled figures (``opening balance | 100.00 CNY``)."""
    rows = "".join(
        f"<tr><th{_LEFT}>{text(label)}</th><td{_RIGHT}>{text(value)}</td></tr>"
        for label, value in pairs
    )
    return Html(f"{_TABLE}<tbody>{rows}</tbody></table>")


def card(title: object, *parts: object, note: object = None) -> Html:
    """A titled block of ``parts`` (fragments or text), with an optional small note below."""
    body = "".join(str(text(part)) for part in parts)
    small = "" if note is None else f"<div><small>{text(note)}</small></div>"
    return Html(f'<div class="icbc-wallet"><strong>{text(title)}</strong>{body}{small}</div>')


def instant(at: datetime, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> str:
    """``at`` to the minute in ``zone``, with its offset (``2026-03-02 12:30+08:00``)."""
    return at.astimezone(zone).isoformat(sep=" ", timespec="minutes")


# -- the values' faces ------------------------------------------------------------------------


def money(value: Money) -> Html:
    """A :class:`~icbc_wallet.domain.money.Money`: ``<span>1,234.50 CNY</span>``."""
    return Html(f'<span class="icbc-wallet">{amount(value)}</span>')


def approved(decision: Approved) -> Html:
    """An approval, with its remaining headroom and deadline where it has them."""
    pairs: list[tuple[str, object]] = []
    if decision.remaining is not None:
        pairs.append(("remaining", amount(decision.remaining)))
    if decision.deadline is not None:
        pairs.append(("until", instant(decision.deadline)))
    return card("\N{CHECK MARK} Approved", *([figures(pairs)] if pairs else []))


def declined(decision: Declined) -> Html:
    """A decline: its reason (code, English and Chinese) and the numbers that explain it."""
    reason = decision.reason
    pairs: list[tuple[str, object]] = [("code", reason.code), ("原因", reason.message("zh"))]
    for label, value in (
        ("limit", decision.limit),
        ("used", decision.used),
        ("remaining", decision.remaining),
    ):
        if value is not None:
            pairs.append((label, amount(value)))
    if decision.scope is not None:
        pairs.append(("scope", "all methods" if decision.scope == "all" else decision.scope))
    if decision.deadline is not None:
        pairs.append(("deadline", instant(decision.deadline)))
    return card(f"\N{BALLOT X} Declined: {reason.message('en')}", figures(pairs))


def fee_quote(quote: FeeQuote) -> Html:
    """A fee quote: the amount, the fee and what leaves the wallet, then the fee step by step."""
    where = "" if quote.channel is None else f" ({quote.channel})"
    pairs: list[tuple[str, object]] = [("amount", amount(quote.amount)), ("fee", amount(quote.fee))]
    if quote.charging.value == "on_top":
        pairs.append(("total debit", amount(quote.total_debit)))
    else:
        pairs.append(("net amount", amount(quote.net_amount)))
    if quote.rule is not None:
        pairs.append(("rule", quote.rule.label))
    if quote.waiver is not None:
        pairs.append(("waiver", quote.waiver.name))
    steps = table(
        ["step", "amount", "detail"],
        ([line.label, amount(line.amount), line.detail] for line in quote.lines),
        numeric=(1,),
    )
    return card(f"{quote.kind} fee{where}: {plain(quote.fee)}", figures(pairs), steps)


_WINDOWS: Final = ("per transaction", "daily", "monthly", "annual", "lifetime")


def _caps(limit: Limit) -> list[Html]:
    caps = (limit.per_transaction, limit.daily, limit.monthly, limit.annual, limit.lifetime)
    return [amount(cap, currency=False) for cap in caps]


def limit_schedule(schedule: LimitSchedule) -> Html:
    """Tiers by windows: each tier's overall caps, then a row per method it limits or disallows."""
    rows: list[list[object]] = []
    for tier in schedule.tiers:
        cap = amount(tier.balance_cap, currency=False)
        rows.append([tier.name, "all methods", *_caps(tier.limit), cap, tier.description])
        for method, limit in tier.methods.items():
            rows.append(["", method.value, *_caps(limit), "", ""])
        for method in sorted(tier.disallowed):
            rows.append(["", method.value, "not allowed", "", "", "", "", "", ""])
    header = ["tier", "method", *_WINDOWS, "balance cap", "description"]
    grid = table(header, rows, numeric=range(2, 8))
    note = (
        f"Caps in {schedule.currency}; {NO_CAP} means no cap. Days, months and years are counted "
        f"in {schedule.zone.key}. Method rows apply on top of the tier's overall caps."
    )
    if schedule.description:
        note = f"{schedule.description} {note}"
    return card(schedule.name or "Limit schedule", grid, note=note)


def statement(value: Statement, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> Html:
    """A statement: balances and totals, spending by category, and its first lines."""
    period = value.period
    title = (
        f"Statement {value.wallet_id}: {instant(period.start, zone)} to {instant(period.end, zone)}"
    )
    summary = figures(
        [
            ("opening balance", amount(value.opening_balance)),
            ("money in", amount(value.total_in)),
            ("money out", amount(value.total_out)),
            ("closing balance", amount(value.closing_balance)),
            ("lines", value.count),
        ]
    )
    spending = value.spending_by_category()
    parts: list[Html] = [summary]
    if spending:
        rows = ([category.value, amount(total)] for category, total in spending.items())
        parts.append(table(["category", "spending"], rows, numeric=(1,)))
    balance, rows_shown = value.opening_balance, []
    for line in value.lines[:MAX_STATEMENT_ROWS]:
        balance += line.amount
        category = "" if line.category is None else line.category.value
        rows_shown.append(
            [
                instant(line.at, zone),
                line.kind.value,
                category,
                line.counterparty,
                line.reference,
                amount(line.amount, currency=False),
                amount(balance, currency=False),
            ]
        )
    header = ["at", "kind", "category", "counterparty", "reference", "amount", "balance"]
    parts.append(table(header, rows_shown, numeric=(5, 6)))
    hidden = value.count - len(rows_shown)
    note = f"{hidden} more lines not shown; to_dataframe() has them all." if hidden else None
    return card(title, *parts, note=note)


def headroom(room: Headroom) -> Html:
    """A tier's headroom: per window, the binding cap, what is used and what is left."""
    method = "all methods" if room.method is None else room.method.value
    rows = [
        [
            window.window.label,
            "" if window.scope is None else window.scope,
            amount(window.cap, currency=False),
            amount(window.used, currency=False),
            amount(window.remaining, currency=False),
        ]
        for window in room.windows
    ]
    grid = table(["window", "binding", "cap", "used", "remaining"], rows, numeric=(2, 3, 4))
    if not room.allowed:
        summary = f"{method} is not allowed for this tier"
    else:
        available = room.available
        summary = "no cap" if available is None else f"available now: {plain(available)}"
    return card(f"Headroom of {room.tier}, {method}, at {instant(room.at)}", grid, note=summary)
