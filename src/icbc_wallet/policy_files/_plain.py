"""Reading and writing the plain values of a policy file, each checked where it stands.

A :class:`Table` is one TOML table being read, with its :data:`~._locate.KeyPath`: it refuses
unknown keys at once and reads each value by kind (text, integer, amount, rate, seconds, enum,
zone, ...). Every complaint is a :class:`Problem` carrying the path of the offending key; the
loader turns it into a :class:`~icbc_wallet.policy_files.errors.PolicyFileError` with the file
and line. :func:`built` calls a domain constructor and turns its validation error into a problem
at the right key.

Amounts and rates are exact: TOML strings (``"0.001"``) or integers, never floats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Final, NoReturn, TypeVar
from zoneinfo import ZoneInfo

from icbc_wallet.domain.money import Money, currency_exponent, parse_rate
from icbc_wallet.errors import AmountPrecisionError, WalletError
from icbc_wallet.policy_files._locate import KeyPath

__all__ = [
    "UNLIMITED",
    "Problem",
    "Table",
    "built",
    "decimal_problem",
    "located",
    "parse_choice",
    "seconds",
    "type_name",
    "zone_key",
]

_E = TypeVar("_E", bound=Enum)
_T = TypeVar("_T")
_I = TypeVar("_I")
_SECOND: Final = timedelta(seconds=1)
_MISSING: Final = object()
UNLIMITED: Final = "unlimited"
"""What a file may say for a cap that is not set (the canonical form leaves the key out)."""


class Problem(Exception):  # noqa: N818  # internal: never escapes the package
    """What is wrong, and at which key; the loader adds the file and line."""

    def __init__(self, path: KeyPath, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def type_name(value: object) -> str:
    """How a TOML reader calls the type of ``value`` (``"an integer"``, ``"the float 0.5"``)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return f"the float {value!r}"
    kinds: tuple[tuple[type, str], ...] = (
        (str, "a string"),
        (int, "an integer"),
        (datetime, "a date-time"),
        (date, "a date"),
        (time, "a time"),
        (list, "an array"),
        (dict, "a table"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def decimal_problem(value: object, example: str) -> str:
    """The complaint about a value that should have been an exact decimal."""
    if isinstance(value, float):
        return f'must be a decimal string such as "{value!r}", not the float {value!r}'
    return f'must be a decimal string such as "{example}", not {type_name(value)}'


def built(path: KeyPath, make: Callable[[], _T], fields: Mapping[str, str] | None = None) -> _T:
    """Call ``make`` (a domain constructor); its validation error becomes a :class:`Problem`.

    ``fields`` maps the constructor's field names to their keys in the file: when the message
    names one of them, the problem points at that key rather than at the whole table.
    """
    try:
        return make()
    except (WalletError, ValueError, TypeError) as error:
        message = str(error)
        where = path
        if fields:
            named = [
                (match.start(), key)
                for field, key in fields.items()
                if (match := re.search(rf"\b{re.escape(field)}\b", message))
            ]
            if named:
                where = (*path, min(named)[1])
        raise Problem(where, message) from None


def located(
    path: KeyPath, items: Sequence[_I], make: Callable[[Sequence[_I]], _T], whole: KeyPath
) -> _T:
    """``make(items)``; when the domain refuses it, point at the first item that breaks it.

    ``items`` is the array at ``path`` (tiers, rules). Checks between neighbours fail on the later
    one, found as the shortest prefix that ``make`` refuses; ``whole`` is blamed for the rest.
    """
    try:
        return make(items)
    except (WalletError, ValueError, TypeError) as error:
        for end in range(1, len(items) + 1):
            try:
                make(items[:end])
            except (WalletError, ValueError, TypeError) as early:
                raise Problem((*path, end - 1), str(early)) from None
        raise Problem(whole, str(error)) from None


def seconds(path: KeyPath, duration: timedelta) -> int:
    """``duration`` in whole seconds, for writing; a fraction of a second cannot be written."""
    if duration % _SECOND:
        raise Problem(path, f"is {duration}: a policy file holds durations in whole seconds")
    return duration // _SECOND


def zone_key(path: KeyPath, zone: ZoneInfo) -> str:
    """The IANA key of ``zone``, for writing; a zone read from a file has none."""
    if zone.key is None:
        raise Problem(path, f"{zone!r} has no IANA key to write")
    return zone.key


class Table:
    """A table of a policy file being read: its keys checked, its values read by kind."""

    def __init__(self, data: object, path: KeyPath, allowed: Collection[str]) -> None:
        if not isinstance(data, dict):
            raise Problem(path, f"must be a table, not {type_name(data)}")
        for key in data:
            if key not in allowed:
                raise Problem(
                    (*path, key),
                    f"unknown key {key!r}; the allowed keys are {', '.join(sorted(allowed))}",
                )
        self.data: dict[str, object] = data
        self.path = path

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def at(self, key: str) -> KeyPath:
        """The path of ``key`` in this table."""
        return (*self.path, key)

    def fail(self, key: str | int | None, problem: str) -> NoReturn:
        """Raise a :class:`Problem` at ``key`` (None: the table itself)."""
        raise Problem(self.path if key is None else (*self.path, key), problem)

    def raw(self, key: str, default: object = _MISSING) -> object:
        """The value of ``key`` as parsed; a missing key without a default is refused."""
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            self.fail(key, "is required")
        return default

    def _typed(self, key: str, kind: type[_T], what: str, default: object) -> _T:
        value = self.raw(key, default)
        if type(value) is not kind:
            self.fail(key, f"must be {what}, not {type_name(value)}")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        """A string (required when ``default`` is None)."""
        return self._typed(key, str, "a string", _MISSING if default is None else default)

    def integer(self, key: str, default: int | None = None) -> int:
        """An integer (required when ``default`` is None)."""
        return self._typed(key, int, "an integer", _MISSING if default is None else default)

    def flag(self, key: str, default: bool) -> bool:
        """``true`` or ``false``."""
        return self._typed(key, bool, "true or false", default)

    def duration(self, key: str, *, positive: bool = True) -> timedelta:
        """Whole seconds, written as an integer under ``key`` (which ends in ``_seconds``)."""
        count = self._typed(key, int, "an integer number of seconds", _MISSING)
        if count < 0 or (positive and count == 0):
            least = "a positive" if positive else "a non-negative"
            self.fail(key, f"must be {least} number of seconds, not {count}")
        try:
            return timedelta(seconds=count)
        except OverflowError:
            self.fail(key, f"{count} seconds is far too long")

    def amount(self, key: str, currency: str, example: str = "5000.00") -> Money | None:
        """An amount in ``currency`` (a decimal string or an integer); None when absent."""
        if key not in self.data:
            return None
        value = self.data[key]
        if type(value) not in (str, int):
            self.fail(key, decimal_problem(value, example))
        try:
            return Money.of(value, currency)  # type: ignore[arg-type]  # a str or an int
        except AmountPrecisionError:
            places = currency_exponent(currency)
            self.fail(key, f"{value!r} has more than {places} decimal places for {currency}")
        except (WalletError, ValueError) as error:
            self.fail(key, str(error))

    def cap(self, key: str, currency: str) -> Money | None:
        """A cap: an amount, or None when absent or ``"unlimited"``."""
        if self.data.get(key) == UNLIMITED:
            return None
        return self.amount(key, currency)

    def money(self, key: str, currency: str, example: str = "5000.00") -> Money:
        """A required amount in ``currency``."""
        found = self.amount(key, currency, example)
        if found is None:
            self.fail(key, "is required")
        return found

    def rate(self, key: str, default: Decimal | None = None, example: str = "0.001") -> Decimal:
        """An exact fraction (a decimal string or an integer), such as ``"0.001"``."""
        if key not in self.data and default is not None:
            return default
        value = self.raw(key)
        if type(value) not in (str, int):
            self.fail(key, decimal_problem(value, example))
        built(self.at(key), lambda: parse_rate(value))  # type: ignore[arg-type]
        return Decimal(value)  # type: ignore[arg-type]  # a str or an int, checked above

    def choice(self, key: str, kind: type[_E], default: _E | None = None) -> _E:
        """A member of the string enum ``kind``, by its value."""
        if key not in self.data and default is not None:
            return default
        return parse_choice(self.at(key), kind, self.raw(key))

    def zone(self, key: str, default: ZoneInfo) -> ZoneInfo:
        """An IANA time zone key such as ``"Asia/Shanghai"``."""
        if key not in self.data:
            return default
        value = self.text(key)
        try:
            return ZoneInfo(value)
        except (ValueError, LookupError, OSError):
            self.fail(key, f"unknown time zone {value!r}; use an IANA key such as 'Asia/Shanghai'")

    def strings(self, key: str) -> list[tuple[KeyPath, str]]:
        """An array of strings, each with its own path."""
        value = self.raw(key)
        if type(value) is not list:
            self.fail(key, f"must be an array of strings, not {type_name(value)}")
        for index, item in enumerate(value):
            if type(item) is not str:
                raise Problem((*self.at(key), index), f"must be a string, not {type_name(item)}")
        return [((*self.at(key), index), item) for index, item in enumerate(value)]

    def table(self, key: str, allowed: Collection[str]) -> Table:
        """The sub-table ``key`` (an empty one when absent)."""
        return Table(self.data.get(key, {}), self.at(key), allowed)

    def tables(self, key: str, allowed: Collection[str]) -> list[Table]:
        """The array of tables ``key`` (``[[key]]`` or an array of inline tables); [] if absent."""
        value = self.data.get(key, [])
        if type(value) is not list:
            self.fail(key, f"must be an array of tables, not {type_name(value)}")
        return [Table(item, (*self.at(key), index), allowed) for index, item in enumerate(value)]


def parse_choice(path: KeyPath, kind: type[_E], value: object) -> _E:
    """The member of the string enum ``kind`` whose value is ``value``."""
    known = ", ".join(repr(member.value) for member in kind)
    if type(value) is not str:
        raise Problem(path, f"must be one of {known}, not {type_name(value)}")
    try:
        return kind(value)
    except ValueError:
        raise Problem(path, f"unknown value {value!r}; use one of {known}") from None
