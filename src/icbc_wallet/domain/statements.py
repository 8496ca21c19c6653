"""Statements: a wallet's consumption records for a period, with balances and totals.

A :class:`StatementLine` is one movement of the wallet's money, signed: negative when money
leaves the wallet (a payment, a withdrawal, a fee), positive when it arrives (a refund, a top-up).
A :class:`Period` is a half-open interval of instants, ``[start, end)``; a business day or month
is counted in the business zone (Asia/Shanghai by default). A :class:`Statement` puts the lines
of one wallet and one period in order, from an opening balance to a closing balance, and totals
them by kind and by spending category. The repository answers the history query; the statement
only checks and adds up what it is given.

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.domain.ids import WalletId
>>> at = datetime.fromisoformat("2026-03-02T12:30:00+08:00")
>>> lines = [
...     StatementLine(at, EntryKind.PAYMENT, Money.of("-38.50"), "P-1", Category.FOOD, "Noodle Bar"),
...     StatementLine(at, EntryKind.TOP_UP, Money.of("500"), "T-1", None, "bank card *8888"),
... ]
>>> march = Statement.build(WalletId("W-1"), Period.month(2026, 3), lines, Money.of("100"))
>>> march.closing_balance, march.total_in, march.total_out
(Money('561.50', 'CNY'), Money('500.00', 'CNY'), Money('38.50', 'CNY'))
>>> dict(march.spending_by_category())
{<Category.FOOD: 'food'>: Money('38.50', 'CNY')}

```
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypeVar
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta

from icbc_wallet.domain import _html
from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE, require_aware
from icbc_wallet.domain.categories import Category, parse_category
from icbc_wallet.domain.ids import WalletId, parse_id
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    DatetimeTypeError,
    InvalidIdError,
    InvalidPeriodError,
    InvalidStatementError,
    InvalidTextError,
    MissingExtraError,
    TextTypeError,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_COUNTERPARTY_LENGTH",
    "MAX_MEMO_LENGTH",
    "EntryKind",
    "Period",
    "Statement",
    "StatementLine",
]


class EntryKind(StrEnum):
    """What a statement line records. The value is stable: store it, match on it."""

    PAYMENT = "payment"
    REFUND = "refund"
    TOP_UP = "top_up"
    WITHDRAWAL = "withdrawal"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    FEE = "fee"
    DISPUTE_CREDIT = "dispute_credit"
    """Money credited after a dispute was decided for the customer."""

    @property
    def is_inflow(self) -> bool:
        """True for kinds that bring money into the wallet (their amounts are positive)."""
        return self in _INFLOWS


_INFLOWS: Final = frozenset(
    {EntryKind.REFUND, EntryKind.TOP_UP, EntryKind.TRANSFER_IN, EntryKind.DISPUTE_CREDIT}
)
_CATEGORISED: Final = frozenset({EntryKind.PAYMENT, EntryKind.REFUND})
_KIND_ORDER: Final = {kind: index for index, kind in enumerate(EntryKind)}

_Key = TypeVar("_Key", EntryKind, Category)

MAX_COUNTERPARTY_LENGTH: Final = 100
"""The longest counterparty (a merchant's name or a masked wallet id), in characters."""
MAX_MEMO_LENGTH: Final = 200
"""The longest memo on a statement line, in characters."""


def _utc(moment: datetime) -> datetime:
    try:
        return require_aware(moment).astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise InvalidPeriodError(
            f"{moment.isoformat()} is beyond the datetimes UTC holds"
        ) from None


def _kind(value: EntryKind | str) -> EntryKind:
    try:
        return EntryKind(value)
    except ValueError:
        known = ", ".join(kind.value for kind in EntryKind)
        raise InvalidStatementError(f"unknown entry kind {value!r}; use one of {known}") from None


def _category(value: Category | str | None) -> Category | None:
    return None if value is None else parse_category(value)


def _reference(_instance: object, _attribute: object, value: str) -> None:
    try:
        parse_id(value, str)
    except InvalidIdError:
        raise InvalidIdError(
            "a statement line's reference must be 1 to 128 printable ASCII characters without "
            f"spaces, not {value!r}"
        ) from None


def _text(longest: int) -> Callable[[object, attrs.Attribute[str], str], None]:
    def check(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if type(value) is not str:
            raise TextTypeError(f"{attribute.name} must be a str, not {type(value).__name__}")
        if len(value) > longest:
            raise InvalidTextError(
                f"{attribute.name} is {len(value)} characters, at most {longest}"
            )
        if any(unicodedata.category(char) == "Cc" for char in value):
            raise InvalidTextError(f"{attribute.name} must not contain control characters")

    return check


@attrs.frozen
class StatementLine:
    """One movement of a wallet's money.

    Attributes:
        at: when it happened (aware; kept in UTC).
        kind: what it was.
        amount: signed: negative for payments, withdrawals, outgoing transfers and fees; positive
            for refunds, top-ups, incoming transfers and dispute credits; never zero.
        reference: the payment, refund or transfer id it comes from.
        category: what a payment (or the payment a refund returns) was for; only payments and
            refunds carry one.
        counterparty: the merchant's name or the other wallet's masked id, at most 100
            characters (may be empty, e.g. for a fee).
        memo: a free note, at most 200 characters.

    Raises:
        InvalidStatementError: an unknown kind, a zero amount, a sign that contradicts the kind,
            or a category on a line that is neither a payment nor a refund.
        AmountTypeError: ``amount`` is not :class:`Money`.
        InvalidIdError: ``reference`` is not an identifier.
        UnknownCategoryError: ``category`` is not a :class:`Category`.
        TextTypeError, InvalidTextError: ``counterparty`` or ``memo`` is not a proper text.
        NaiveDatetimeError: ``at`` has no timezone.
    """

    at: datetime = attrs.field(converter=_utc)
    kind: EntryKind = attrs.field(converter=_kind)
    amount: Money
    reference: str = attrs.field(validator=_reference)
    category: Category | None = attrs.field(converter=_category)
    counterparty: str = attrs.field(validator=_text(MAX_COUNTERPARTY_LENGTH))
    memo: str = attrs.field(default="", validator=_text(MAX_MEMO_LENGTH))

    def __attrs_post_init__(self) -> None:
        amount = self.amount
        if type(amount) is not Money:
            raise AmountTypeError(f"a line's amount must be Money, not {type(amount).__name__}")
        if amount.is_zero() or amount.is_positive() != self.kind.is_inflow:
            sign = "positive" if self.kind.is_inflow else "negative"
            raise InvalidStatementError(
                f"a {self.kind.value} line's amount must be {sign}, not {amount} ({self.reference})"
            )
        if self.category is not None and self.kind not in _CATEGORISED:
            raise InvalidStatementError(
                f"only payments and refunds carry a category, not a {self.kind.value} line "
                f"({self.reference})"
            )


def _sort_key(line: StatementLine) -> tuple[datetime, str, int, int, str, str, str]:
    """Time first, then enough fields that the order never depends on the input order."""
    if type(line) is not StatementLine:
        raise InvalidStatementError(f"a statement holds StatementLines, not {line!r}")
    category = "" if line.category is None else line.category.value
    kind, amount = _KIND_ORDER[line.kind], line.amount.minor
    return (line.at, line.reference, kind, amount, category, line.counterparty, line.memo)


def _span(
    first: date, step: timedelta | relativedelta, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """Midnight of ``first`` and of ``first + step`` in ``zone``, as UTC instants."""
    try:
        start, end = (datetime.combine(day, time(), zone) for day in (first, first + step))
        return start.astimezone(UTC), end.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidPeriodError(f"{first.isoformat()} is beyond the supported range") from None


def _check_zone(zone: object) -> ZoneInfo:
    if not isinstance(zone, ZoneInfo):
        raise InvalidPeriodError(
            f"zone must be a zoneinfo.ZoneInfo, not {zone!r}; e.g. ZoneInfo('Asia/Shanghai')"
        )
    return zone


@attrs.frozen
class Period:
    """The instants from ``start`` (included) to ``end`` (excluded).

    Attributes:
        start: the first instant in the period (aware; kept in UTC).
        end: the first instant after it (aware; kept in UTC).

    Raises:
        InvalidPeriodError: ``end`` is not after ``start``.
        NaiveDatetimeError: either instant has no timezone.
    """

    start: datetime = attrs.field(converter=_utc)
    end: datetime = attrs.field(converter=_utc)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidPeriodError(
                f"a period must end after it starts: {self.start.isoformat()} to "
                f"{self.end.isoformat()}"
            )

    @classmethod
    def day(cls, day: date, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> Period:
        """The business day ``day`` in ``zone``, midnight to midnight.

        Raises:
            DatetimeTypeError: ``day`` is not a ``date`` (a ``datetime`` is refused too).
            InvalidPeriodError: ``zone`` is not a ``ZoneInfo``, or the day is out of range.
        """
        if type(day) is not date:
            raise DatetimeTypeError(f"day must be a datetime.date, not {day!r}")
        return cls(*_span(day, timedelta(days=1), _check_zone(zone)))

    @classmethod
    def month(cls, year: int, month: int, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> Period:
        """The calendar month ``year``-``month`` in ``zone``, from the 1st to the 1st of the next.

        Raises:
            InvalidPeriodError: ``month`` is not 1 to 12, ``year`` is out of range or not an
                ``int``, or ``zone`` is not a ``ZoneInfo``.
        """
        if type(year) is not int or type(month) is not int or not 1 <= month <= 12:
            raise InvalidPeriodError(f"no such month: year {year!r}, month {month!r}")
        if not date.min.year <= year <= date.max.year:
            raise InvalidPeriodError(f"year {year} is beyond the supported range")
        return cls(*_span(date(year, month, 1), relativedelta(months=1), _check_zone(zone)))

    @classmethod
    def between(cls, start: datetime, end: datetime) -> Period:
        """The instants from ``start`` (included) to ``end`` (excluded); same as the constructor.

        Raises:
            NaiveDatetimeError, DatetimeTypeError: ``start`` or ``end`` is not an aware datetime.
            InvalidPeriodError: ``end`` is not after ``start``, or an instant UTC cannot hold.
        """
        return cls(start, end)

    def contains(self, at: datetime) -> bool:
        """True when ``start <= at < end``.

        Raises:
            NaiveDatetimeError: ``at`` has no timezone.
        """
        return self.start <= _utc(at) < self.end


def _wallet_id(_instance: object, _attribute: object, value: WalletId) -> None:
    parse_id(value, WalletId)


def _line_tuple(_instance: object, _attribute: object, lines: tuple[StatementLine, ...]) -> None:
    if not isinstance(lines, tuple):
        raise InvalidStatementError("lines must be a tuple; use Statement.build() for any iterable")


@attrs.frozen
class Statement:
    """A wallet's lines over one period, from an opening to a closing balance.

    Build it with :meth:`build`, which sorts the lines; the constructor checks the same
    invariants but expects them sorted already.

    Attributes:
        wallet_id: whose statement it is.
        period: the instants it covers; every line falls inside.
        lines: the lines, sorted by time (then by reference and kind, so the order is canonical).
        opening_balance: the balance at ``period.start``.
        closing_balance: ``opening_balance`` plus every line (computed).
        total_in: the sum of the positive lines (computed).
        total_out: the sum of the negative lines, as a positive amount (computed).
    """

    wallet_id: WalletId = attrs.field(validator=_wallet_id)
    period: Period = attrs.field(validator=attrs.validators.instance_of(Period))
    lines: tuple[StatementLine, ...] = attrs.field(validator=_line_tuple)
    opening_balance: Money
    closing_balance: Money = attrs.field(init=False, eq=False)
    total_in: Money = attrs.field(init=False, eq=False)
    total_out: Money = attrs.field(init=False, eq=False)

    def __attrs_post_init__(self) -> None:
        opening = self.opening_balance
        if type(opening) is not Money:
            raise AmountTypeError(f"opening_balance must be Money, not {type(opening).__name__}")
        currency, incoming, outgoing, previous = opening.currency, 0, 0, None
        for line in self.lines:
            key = _sort_key(line)
            if line.amount.currency != currency:
                raise CurrencyMismatchError(
                    f"line {line.reference} is in {line.amount.currency}, the statement in {currency}"
                )
            if not self.period.contains(line.at):
                raise InvalidStatementError(
                    f"line {line.reference} at {line.at.isoformat()} is outside the period "
                    f"{self.period.start.isoformat()} to {self.period.end.isoformat()}"
                )
            if previous is not None and key < previous:
                raise InvalidStatementError(
                    "lines must be sorted by time; use Statement.build() to sort them"
                )
            previous = key
            if line.amount.minor > 0:
                incoming += line.amount.minor
            else:
                outgoing -= line.amount.minor
        object.__setattr__(self, "total_in", Money.from_minor(incoming, currency))
        object.__setattr__(self, "total_out", Money.from_minor(outgoing, currency))
        closing = Money.from_minor(opening.minor + incoming - outgoing, currency)
        object.__setattr__(self, "closing_balance", closing)

    @classmethod
    def build(
        cls,
        wallet_id: WalletId,
        period: Period,
        lines: Iterable[StatementLine],
        opening_balance: Money,
        *,
        closing_balance: Money | None = None,
    ) -> Statement:
        """Sort ``lines`` and build the statement, checking it against what the ledger says.

        Args:
            wallet_id: whose statement it is.
            period: the instants it covers.
            lines: the lines in any order.
            opening_balance: the balance at ``period.start``.
            closing_balance: the balance the ledger holds at ``period.end``, to reconcile
                against; a missing or extra line then shows as a mismatch.

        Raises:
            InvalidStatementError: a line outside the period, or ``closing_balance`` is not the
                opening balance plus every line.
            CurrencyMismatchError: the lines and balances are not all in one currency.
            InvalidIdError: ``wallet_id`` is not an identifier.
        """
        if isinstance(lines, StatementLine) or not isinstance(lines, Iterable):
            raise InvalidStatementError(
                f"lines must be an iterable of StatementLine, not {lines!r}"
            )
        ordered = tuple(sorted(lines, key=_sort_key))
        statement = cls(wallet_id, period, ordered, opening_balance)
        if closing_balance is not None:
            if type(closing_balance) is not Money:
                raise AmountTypeError(f"closing_balance must be Money, not {closing_balance!r}")
            if not (statement.closing_balance - closing_balance).is_zero():
                raise InvalidStatementError(
                    f"the lines take the balance from {statement.opening_balance} to "
                    f"{statement.closing_balance}, but the ledger says {closing_balance}"
                )
        return statement

    @property
    def count(self) -> int:
        """The number of lines."""
        return len(self.lines)

    def totals_by_kind(self) -> Mapping[EntryKind, Money]:
        """The signed sum of the lines of each kind present, in :class:`EntryKind` order.

        The values add up to ``closing_balance - opening_balance``.
        """
        sums: dict[EntryKind, int] = {}
        for line in self.lines:
            sums[line.kind] = sums.get(line.kind, 0) + line.amount.minor
        return _in_order(EntryKind, sums, self.opening_balance.currency)

    def spending_by_category(self) -> Mapping[Category, Money]:
        """Payments less their refunds, per category, as positive spending, in category order.

        A payment or refund without a category counts as :attr:`Category.OTHER`. A category whose
        refunds in the period exceed its payments (a refund of an earlier period's purchase)
        shows negative spending. The values add up to the payments less the refunds.
        """
        sums: dict[Category, int] = {}
        for line in self.lines:
            if line.kind in _CATEGORISED:
                category = Category.OTHER if line.category is None else line.category
                sums[category] = sums.get(category, 0) - line.amount.minor
        return _in_order(Category, sums, self.opening_balance.currency)

    def _repr_html_(self) -> str:
        """Jupyter's face: balances, totals, spending by category and the first lines."""
        return _html.statement(self)

    def to_dataframe(self, *, zone: ZoneInfo = DEFAULT_BUSINESS_ZONE) -> pd.DataFrame:
        """The lines as a pandas DataFrame, one row per line, in order (needs pandas).

        Amounts stay exact: ``amount`` and ``balance_after`` hold :class:`~decimal.Decimal`
        values (object dtype), never floats. A fee is a line of its own (kind ``"fee"``) with the
        reference of the operation it was charged on.

        Columns:
            ``at`` (datetime64[us], aware, in ``zone``); ``wallet_id``; ``kind`` (an
            :class:`EntryKind` value); ``category`` (a :class:`Category` value; ``<NA>`` for
            lines without one); ``amount`` (signed Decimal: negative when money leaves);
            ``balance_after`` (Decimal); ``currency``; ``counterparty`` (a merchant's name or a
            masked id); ``reference``; ``memo``. Text columns have the ``"string"`` dtype.

        The frame's ``attrs`` hold ``wallet_id``, ``currency``, ``period_start`` and
        ``period_end`` (aware datetimes) and ``opening_balance`` and ``closing_balance``
        (Decimals).

        Args:
            zone: the zone the ``at`` column is shown in (the business zone by default).

        Raises:
            MissingExtraError: pandas is not installed
                (``pip install 'icbc-wallet[analysis]'``).
        """
        try:
            import pandas as pd  # noqa: PLC0415  # an optional extra: imported only when asked for
        except ImportError as error:
            raise MissingExtraError(
                "Statement.to_dataframe() needs pandas, which is not installed: "
                "pip install 'icbc-wallet[analysis]'"
            ) from error
        currency, lines = self.opening_balance.currency, self.lines
        balance, balances = self.opening_balance.minor, []
        for line in lines:
            balance += line.amount.minor
            balances.append(Money._make(balance, currency).amount)
        at = pd.to_datetime([line.at for line in lines], utc=True).as_unit("us")

        def text(values: list[str | None]) -> pd.Series[str]:
            return pd.Series(values, dtype="string")

        frame = pd.DataFrame(
            {
                "at": at.tz_convert(zone.key),
                "wallet_id": text([str(self.wallet_id)] * len(lines)),
                "kind": text([line.kind.value for line in lines]),
                "category": text(
                    [None if line.category is None else line.category.value for line in lines]
                ),
                "amount": pd.Series([line.amount.amount for line in lines], dtype=object),
                "balance_after": pd.Series(balances, dtype=object),
                "currency": text([currency] * len(lines)),
                "counterparty": text([line.counterparty for line in lines]),
                "reference": text([line.reference for line in lines]),
                "memo": text([line.memo for line in lines]),
            }
        )
        frame.attrs.update(
            wallet_id=str(self.wallet_id),
            currency=currency,
            period_start=self.period.start.astimezone(zone),
            period_end=self.period.end.astimezone(zone),
            opening_balance=self.opening_balance.amount,
            closing_balance=self.closing_balance.amount,
        )
        return frame


def _in_order(order: Iterable[_Key], sums: dict[_Key, int], currency: str) -> Mapping[_Key, Money]:
    """Amounts from ``sums``, keyed in ``order``; every sum is bounded by a checked total."""
    return MappingProxyType({key: Money._make(sums[key], currency) for key in order if key in sums})
