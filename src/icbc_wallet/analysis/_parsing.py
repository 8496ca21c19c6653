"""Parsing one row of a transaction file into a :class:`Transaction`, or a :class:`RowError`.

A row is a sequence of cells in the file's column order: strings from CSV, typed values (a
``datetime``, a ``Decimal``) from Parquet. A well-formed row takes a fast path (integer
arithmetic, no ``Decimal``); any other is checked cell by cell, and every problem is reported at
once, naming its column. A bad value is quoted only when it cannot be personal data (a
timestamp, a short number, a lower-case word), so that an error report can be shared. A cell of
the wrong type (a list where a word belongs) is a bad row naming the type, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

from icbc_wallet.analysis._rows import (
    ALLOWED_METHODS,
    IMPLIED_METHODS,
    REQUIRED_COLUMNS,
    RowError,
    Transaction,
)
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import MAX_MINOR_UNITS, Money, currency_exponent
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.errors import AmountOutOfRangeError, AmountPrecisionError, WalletError

__all__ = ["RowParser", "bad"]

_KINDS: Final = {kind.value: kind for kind in ALLOWED_METHODS}
_METHODS: Final = {method.value: method for method in PaymentMethod}
_CHANNELS: Final = {channel.value: channel for channel in Channel}
_KIND_NAMES: Final = ", ".join(_KINDS)
_METHOD_NAMES: Final = ", ".join(_METHODS)
_CHANNEL_NAMES: Final = ", ".join(_CHANNELS)

# What may be quoted back in a message: a value of the column's own shape, or a short lower-case
# word; never a long run of digits (a phone, an ID, a card) nor words with spaces (a name).
_WORD: Final = re.compile(r"[a-z_-]{1,24}", re.ASCII)
_NOTHING: Final = re.compile(r"(?!)")
_SHOWN: Final = {
    "at": re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]{0,15})?(?:Z|[+-]\d{2}:?\d{2})?", re.ASCII),
    "amount": re.compile(r"[-+]?[0-9]{0,5}(?:[.,][0-9]{0,5})?(?:[eE][-+]?[0-9]{1,3})?", re.ASCII),
    "currency": re.compile(r"[A-Z]{1,4}", re.ASCII),
    "kind": _NOTHING,
    "method": _NOTHING,
    "channel": _NOTHING,
}


def bad(column: str, value: object, problem: str) -> str:
    """``"<column> <value> <problem>"``, the value quoted only when it cannot be personal data."""
    text = value if type(value) is str else str(value)
    if _SHOWN[column].fullmatch(text) or _WORD.fullmatch(text):
        return f"{column} {text!r} {problem}"
    return (
        f"{column} {problem} (the value, {len(text)} characters, is not shown: it may be personal)"
    )


class RowParser:
    """Turns a row's cells into a :class:`Transaction` or a :class:`RowError`.

    Args:
        columns: the header's column names (normalised), in file order.
        currency: the currency of rows without a ``currency`` cell.
    """

    def __init__(self, columns: Sequence[str], currency: str) -> None:
        index = {name: position for position, name in enumerate(columns)}
        self.width = len(columns)
        self._at = tuple(index[name] for name in REQUIRED_COLUMNS)
        self._channel = index.get("channel")
        self._currency_at = index.get("currency")
        self._currency = currency
        self._same_currency = ("", None, currency)  # currency cells that change nothing
        self._scale = 10 ** currency_exponent(currency)

    def parse(  # noqa: PLR0911, PLR0912  # one flat path: a call per row costs more than a branch
        self, cells: Sequence[object], line: int
    ) -> Transaction | RowError:
        """The transaction in ``cells`` (the row starting on ``line``), or all that is wrong with it.

        Cells are strings (CSV) or typed values (Parquet: ``datetime``, ``Decimal``, ``None``).
        A well-formed row takes a fast path; any other goes through every check, so that its
        error names each problem.
        """
        if len(cells) != self.width:
            return RowError(
                line, f"the row has {len(cells)} fields but the header has {self.width}"
            )
        i_id, i_customer, i_tier, i_at, i_kind, i_method, i_amount = self._at
        tid, customer, tier = cells[i_id], cells[i_customer], cells[i_tier]
        try:
            kind = _KINDS.get(cells[i_kind])  # type: ignore[call-overload]
            method = _METHODS.get(cells[i_method]) if cells[i_method] else None  # type: ignore[call-overload]
            channel = None
            if self._channel is not None and cells[self._channel]:
                channel = _CHANNELS.get(cells[self._channel])  # type: ignore[call-overload]
                if channel is None:
                    return self._thoroughly(cells, line)
        except TypeError:  # an unhashable cell (a Parquet list column): the checks name it
            return self._thoroughly(cells, line)
        if method is None and kind is not None:
            method = IMPLIED_METHODS.get(kind)
        if not (
            type(tid) is str
            and type(customer) is str
            and type(tier) is str
            and tid
            and customer
            and tier
            and kind
            and method
            and method in ALLOWED_METHODS[kind]
            and (self._currency_at is None or cells[self._currency_at] in self._same_currency)
        ):
            return self._thoroughly(cells, line)
        at, text = cells[i_at], cells[i_amount]
        if type(at) is str:
            try:
                at = datetime.fromisoformat(at)
            except ValueError:
                return self._thoroughly(cells, line)
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            return self._thoroughly(cells, line)
        scale, minor = self._scale, 0
        if type(text) is str:  # the usual "12.30": integers only, no Decimal
            whole, dot, fraction = text.partition(".")
            if whole.isdigit() and whole.isascii():
                minor = int(whole) * scale
                if dot:
                    if fraction.isdigit() and fraction.isascii() and 10 ** len(fraction) <= scale:
                        minor += int(fraction) * scale // 10 ** len(fraction)
                    else:
                        minor = 0
        elif type(text) is Decimal and text.is_finite():  # Parquet's decimal columns
            numerator, denominator = text.as_integer_ratio()
            minor, rest = divmod(numerator * scale, denominator)
            minor = 0 if rest else minor
        if 0 < minor <= MAX_MINOR_UNITS:
            amount = Money._make(minor, self._currency)
            return Transaction._make(tid, customer, tier, at, kind, method, amount, channel)
        return self._thoroughly(cells, line)

    def _thoroughly(self, cells: Sequence[object], line: int) -> Transaction | RowError:
        i_id, i_customer, i_tier, i_at, i_kind, i_method, i_amount = self._at
        problems: list[str] = []
        tid = _name("id", cells[i_id], problems)
        customer = _name("customer", cells[i_customer], problems)
        tier = _name("tier", cells[i_tier], problems)
        at = _timestamp(cells[i_at], problems)
        kind, method = _operation(cells[i_kind], cells[i_method], problems)
        currency, scale = self._currency, self._scale
        if self._currency_at is not None:
            code = cells[self._currency_at]
            if not _not_text("currency", code, problems) and code:
                currency, scale = _currency(code, currency, scale, problems)
        amount = _amount(cells[i_amount], currency, scale, problems)
        channel = None
        if self._channel is not None:
            name = cells[self._channel]
            if not _not_text("channel", name, problems) and name:
                channel = _CHANNELS.get(name)  # type: ignore[call-overload]
                if channel is None:
                    problems.append(bad("channel", name, f"is not one of {_CHANNEL_NAMES}"))
        if problems or at is None or kind is None or method is None or amount is None:
            return RowError(line, "; ".join(problems))
        return Transaction._make(tid, customer, tier, at, kind, method, amount, channel)


def _not_text(column: str, value: object, problems: list[str]) -> bool:
    """Whether ``value`` is neither text nor missing (a Parquet column of another type); says so."""
    if value is None or type(value) is str:
        return False
    problems.append(f"{column} is of type {type(value).__name__}, not text")
    return True


def _name(column: str, value: object, problems: list[str]) -> str:
    """A cell that names something (text; Parquet may store ids as integers), or ``""``."""
    if type(value) is str and value:
        return value
    if type(value) is int:
        return str(value)
    if not _not_text(column, value, problems):
        problems.append(f"{column} is empty")
    return ""


def _timestamp(value: object, problems: list[str]) -> datetime | None:
    if type(value) is str:
        if not value:
            problems.append("at is empty")
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            problems.append(bad("at", value, "is not an ISO 8601 timestamp"))
            return None
    elif isinstance(value, datetime):
        moment = value
    elif value is None:
        problems.append("at is empty")
        return None
    else:
        problems.append(f"at is of type {type(value).__name__}, not a timestamp")
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        problems.append(
            bad("at", moment, "has no UTC offset (write one, e.g. 2026-03-02T12:00:00+08:00)")
        )
        return None
    return moment


def _operation(
    kind_cell: object, method_cell: object, problems: list[str]
) -> tuple[OperationKind | None, PaymentMethod | None]:
    kind = None
    if not _not_text("kind", kind_cell, problems):
        kind = _KINDS.get(kind_cell)  # type: ignore[call-overload]
        if kind is None:
            if kind_cell == OperationKind.TOP_UP.value:
                problems.append("kind 'top_up' is money in: a replay evaluates outflows only")
            elif kind_cell:
                problems.append(bad("kind", kind_cell, f"is not one of {_KIND_NAMES}"))
            else:
                problems.append("kind is empty")
    if _not_text("method", method_cell, problems):
        return kind, None
    method = _METHODS.get(method_cell) if method_cell else None  # type: ignore[call-overload]
    if method is None and method_cell:
        problems.append(bad("method", method_cell, f"is not one of {_METHOD_NAMES}"))
        return kind, None
    if kind is None:
        return None, method
    if method is None:
        method = IMPLIED_METHODS.get(kind)
        if method is None:
            problems.append(f"method is empty (a {kind.value} needs one)")
    elif method not in ALLOWED_METHODS[kind]:
        allowed = ", ".join(sorted(m.value for m in ALLOWED_METHODS[kind]))
        problems.append(f"method {method.value} cannot make a {kind.value} (use {allowed})")
        method = None
    return kind, method


def _currency(code: object, default: str, scale: int, problems: list[str]) -> tuple[str, int]:
    if code == default:
        return default, scale
    try:
        return code, 10 ** currency_exponent(code)  # type: ignore[arg-type, return-value]
    except WalletError:
        problems.append(bad("currency", code, "is not an ISO 4217 code"))
        return default, scale


def _amount(value: object, currency: str, scale: int, problems: list[str]) -> Money | None:
    if value is None or value == "":
        problems.append("amount is empty")
        return None
    if type(value) is float:
        problems.append("amount is a float, which cannot hold money exactly (store a decimal)")
        return None
    if type(value) is bool or not isinstance(value, str | Decimal | int):
        problems.append(f"amount is of type {type(value).__name__}, not a decimal number")
        return None
    return _amount_slowly(value, currency, problems)


def _amount_slowly(value: str | Decimal | int, currency: str, problems: list[str]) -> Money | None:
    """Money.of's answer, with a message that is safe to show."""
    try:
        amount = Money.of(value, currency)
    except AmountPrecisionError:
        problems.append(bad("amount", value, f"has too many decimal places for {currency}"))
        return None
    except AmountOutOfRangeError:
        problems.append(bad("amount", value, "is beyond the largest amount supported"))
        return None
    except WalletError:
        problems.append(bad("amount", value, "is not a plain decimal number like 12.30"))
        return None
    if not amount.is_positive():
        problems.append(bad("amount", value, "is not positive"))
        return None
    return amount
