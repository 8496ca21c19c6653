"""The plain form of risk rules: how each kind of setting is checked, written down and read back.

A rule's settings are attrs fields made by :func:`setting`, each of one *kind*. The kind says what
values are valid and how the value looks in plain data (TOML, JSON):

========== ========================== =========================================================
kind       in Python                  in plain data
========== ========================== =========================================================
seconds    ``timedelta``, whole secs  an integer number of seconds, key suffixed ``_seconds``
count      ``int`` from 1             an integer
hour       ``int`` from 0 to 23       an integer
money      ``Money``, not negative    a decimal string in the rules' currency (``"2000.00"``)
multiplier ``Decimal`` above 1        a decimal string (``"5"``) or an integer
share      ``Decimal`` in (0, 1]      a decimal string (``"0.8"``)
flag       ``bool``                   ``true`` or ``false``
action     ``RiskAction``             ``"challenge"`` or ``"deny"``
zone       ``ZoneInfo``               an IANA key (``"Asia/Shanghai"``)
========== ========================== =========================================================

Floats are refused everywhere: a threshold must be exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final, NoReturn, TypeAlias, TypeVar
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.domain.money import Money, parse_rate
from icbc_wallet.domain.risk_assessment import RiskAction
from icbc_wallet.errors import InvalidRiskRulesError, WalletError

__all__ = ["MAX_RISK_WINDOW", "PlainValue", "check_keys", "read_rule", "setting", "write_rule"]

MAX_RISK_WINDOW: Final = timedelta(days=366)
"""The longest window or lookback a rule may have: a year. Longer is a typo."""

PlainValue: TypeAlias = str | int | bool
"""A value in the plain form of the rules: what TOML and JSON carry."""

_KIND: Final = "risk_setting_kind"  # the field metadata key naming a setting's kind
_SECOND: Final = timedelta(seconds=1)
_ZERO: Final = timedelta(0)
_MAX_COUNT: Final = 1_000_000
_MAX_MULTIPLIER: Final = Decimal(1000)
_Rule = TypeVar("_Rule", bound=attrs.AttrsInstance)


def _exact(raw: object) -> str | int | Decimal:
    """An amount or ratio as written: a str, an int or a Decimal, never a float or a bool."""
    if isinstance(raw, str | int | Decimal) and not isinstance(raw, bool):
        return raw
    raise TypeError


def _integer(raw: object, _currency: str = "") -> int:
    if type(raw) is not int:
        raise TypeError
    return raw


def _boolean(raw: object, _currency: str = "") -> bool:
    if type(raw) is not bool:
        raise TypeError
    return raw


def _text(raw: object) -> str:
    if type(raw) is not str:
        raise TypeError
    return raw


def _ratio(raw: object, _currency: str) -> Decimal:
    exact = _exact(raw)
    parse_rate(exact)  # refuses NaN, infinities, exponents, malformed text
    return Decimal(exact)


@attrs.frozen
class _Kind:
    expected: str
    valid: Callable[[Any], bool]
    encode: Callable[[Any], PlainValue]
    decode: Callable[[object, str], object]


_KINDS: Final[dict[str, _Kind]] = {
    "seconds": _Kind(
        "a whole number of seconds, from 1 second to 366 days",
        lambda v: type(v) is timedelta and not v.microseconds and _ZERO < v <= MAX_RISK_WINDOW,
        lambda v: int(v // _SECOND),
        lambda raw, _currency: timedelta(seconds=_integer(raw)),
    ),
    "count": _Kind(
        f"an integer from 1 to {_MAX_COUNT}",
        lambda v: type(v) is int and 1 <= v <= _MAX_COUNT,
        int,
        _integer,
    ),
    "hour": _Kind(
        "an hour from 0 to 23",
        lambda v: type(v) is int and 0 <= v <= 23,  # the hours of a day
        int,
        _integer,
    ),
    "money": _Kind(
        'an amount, not negative (Money; a decimal string such as "2000.00" in plain data)',
        lambda v: type(v) is Money and not v.is_negative(),
        lambda v: str(v.amount),
        lambda raw, currency: Money.of(_exact(raw), currency),
    ),
    "multiplier": _Kind(
        f'a decimal above 1 and at most {_MAX_MULTIPLIER}, such as "5"',
        lambda v: type(v) is Decimal and v.is_finite() and 1 < v <= _MAX_MULTIPLIER,
        lambda v: format(v, "f"),
        _ratio,
    ),
    "share": _Kind(
        'a decimal above 0 and at most 1, such as "0.8"',
        lambda v: type(v) is Decimal and v.is_finite() and 0 < v <= 1,
        lambda v: format(v, "f"),
        _ratio,
    ),
    "flag": _Kind("true or false", lambda v: type(v) is bool, bool, _boolean),
    "action": _Kind(
        "one of 'challenge', 'deny'",
        lambda v: isinstance(v, RiskAction),
        lambda v: str(v.value),
        lambda raw, _currency: RiskAction(_text(raw)),
    ),
    "zone": _Kind(
        "an IANA time zone key such as 'Asia/Shanghai'",
        lambda v: isinstance(v, ZoneInfo) and v.key is not None,
        lambda v: str(v.key),
        lambda raw, _currency: ZoneInfo(_text(raw)),
    ),
}


def setting(kind: str) -> dict[str, Any]:
    """The validator and metadata of a setting of ``kind``, for ``attrs.field(default=..., **setting(kind))``.

    The validator raises :class:`~icbc_wallet.errors.InvalidRiskRulesError` naming the field.
    """
    checks = _KINDS[kind]

    def validate(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not checks.valid(value):
            raise InvalidRiskRulesError(
                f"{attribute.name} must be {checks.expected}, not {value!r}"
            )

    return {"validator": validate, "metadata": {_KIND: kind}}


def _key(field: attrs.Attribute[Any]) -> str:
    return f"{field.name}_seconds" if field.metadata[_KIND] == "seconds" else field.name


def write_rule(rule: attrs.AttrsInstance) -> dict[str, PlainValue]:
    """The settings of one rule as plain data, keyed by their plain names."""
    return {
        _key(field): _KINDS[field.metadata[_KIND]].encode(getattr(rule, field.name))
        for field in attrs.fields(type(rule))
    }


def check_keys(
    where: str, mapping: object, known: Mapping[str, object] | set[str]
) -> Mapping[object, object]:
    """Return ``mapping`` if it is a mapping whose keys are all in ``known``.

    Raises:
        InvalidRiskRulesError: not a mapping, or an unknown key (named, with the known ones).
    """
    if not isinstance(mapping, Mapping):
        raise InvalidRiskRulesError(
            f"{where} must be a table (mapping), not {type(mapping).__name__}"
        )
    unknown = sorted(repr(key) for key in mapping if key not in known)
    if unknown:
        raise InvalidRiskRulesError(
            f"{where}: unknown key {', '.join(unknown)}; the known keys are "
            f"{', '.join(sorted(known))}"
        )
    return mapping


def read_rule(name: str, kind: type[_Rule], mapping: object, currency: str) -> _Rule:
    """Build rule ``kind`` from plain data; keys left out keep their defaults.

    Raises:
        InvalidRiskRulesError: an unknown key, or a bad value; the message names
            ``{name}.{key}``.
    """
    fields = {_key(field): field for field in attrs.fields(kind)}
    values: dict[str, object] = {}
    for key, raw in check_keys(f"risk rules {name}", mapping, set(fields)).items():
        field = fields[str(key)]
        checks = _KINDS[field.metadata[_KIND]]
        try:
            value = checks.decode(raw, currency)
        except (WalletError, TypeError, ValueError, LookupError, OSError, OverflowError):
            _refuse(f"{name}.{key}", checks.expected, raw)
        if not checks.valid(value):
            _refuse(f"{name}.{key}", checks.expected, raw)
        values[field.name] = value
    try:
        return kind(**values)
    except InvalidRiskRulesError as error:
        raise InvalidRiskRulesError(f"risk rules {name}: {error}") from None


def _refuse(where: str, expected: str, raw: object) -> NoReturn:
    raise InvalidRiskRulesError(f"risk rules {where} must be {expected}, not {raw!r}") from None
