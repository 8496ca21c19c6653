"""The ``[authentication]`` and ``[risk]`` tables: the rules' own plain forms, in the file's currency.

Both rule sets already read and write plain data
(:meth:`~icbc_wallet.policies.authentication.AuthenticationRules.to_dict` and
:meth:`~icbc_wallet.domain.risk_rules.RiskRules.to_dict`); a policy file holds that form without
its ``currency`` (the file has one, in ``[limits]``). Here the keys are checked first, so that a
typo is pointed at exactly, and floats are refused as everywhere else; the rules' own messages,
which name their key, are then placed at that key. A table left out switches the rules off
(``None``); an empty one switches on the documented defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from icbc_wallet.domain.factors import AuthAction
from icbc_wallet.domain.limits import LimitSchedule, PaymentMethod
from icbc_wallet.domain.risk_rules import RiskRules
from icbc_wallet.errors import InvalidAuthenticationRulesError, InvalidRiskRulesError
from icbc_wallet.policies.authentication import AuthenticationRules
from icbc_wallet.policy_files._limits import check_tier_names
from icbc_wallet.policy_files._locate import KeyPath
from icbc_wallet.policy_files._plain import UNLIMITED, Problem, Table, decimal_problem

__all__ = [
    "AUTHENTICATION_KEYS",
    "RISK_KEYS",
    "read_authentication",
    "read_risk",
    "write_authentication",
    "write_risk",
]

_ACTIONS: Final = tuple(action.value for action in AuthAction)
_AUTH_TABLES: Final[Mapping[str, tuple[str, ...] | None]] = {
    "password_free_limits": tuple(method.value for method in PaymentMethod),
    "minimum_kinds": _ACTIONS,
    "required_factors": _ACTIONS,
    "tier_minimum_kinds": None,  # tier names: checked against [limits]
}
_AUTH_COUNTS: Final = frozenset({"minimum_kinds", "tier_minimum_kinds"})
AUTHENTICATION_KEYS: Final = tuple(
    key for key in AuthenticationRules().to_dict() if key != "currency"
)
"""The keys of ``[authentication]``."""
_RISK_DEFAULTS: Final = {
    name: section for name, section in RiskRules().to_dict().items() if isinstance(section, dict)
}
RISK_KEYS: Final = tuple(_RISK_DEFAULTS)
"""The keys of ``[risk]``: one table per rule."""
_AUTH_MESSAGE: Final = re.compile(r"(?P<key>[a-z_]+(?:\.[^:]+)?): (?P<problem>.*)", re.DOTALL)
_RISK_MESSAGE: Final = re.compile(
    r"risk rules (?P<section>[a-z_]+)(?:\.(?P<key>[a-z_]+))?:? (?P<problem>.*)", re.DOTALL
)


def _refuse_floats(path: KeyPath, value: object, *, integer: bool) -> None:
    """Refuse a float anywhere in ``value``: amounts and ratios are exact, counts whole."""
    if isinstance(value, float):
        problem = f"must be an integer, not the float {value!r}" if integer else None
        raise Problem(path, problem or decimal_problem(value, ""))
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_floats((*path, key), item, integer=integer)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_floats((*path, index), item, integer=integer)


def read_authentication(table: Table, limits: LimitSchedule) -> AuthenticationRules:
    """The authentication rules of ``[authentication]``, in the currency of ``limits``."""
    plain: dict[str, object] = {"currency": limits.currency}
    for key, value in table.data.items():
        allowed = _AUTH_TABLES.get(key)
        if key in _AUTH_TABLES:
            names = limits.tier_names if allowed is None else allowed
            nested = Table(value, table.at(key), names)
            if allowed is None:
                check_tier_names([(nested.at(name), name) for name in nested.data], limits)
        _refuse_floats(table.at(key), value, integer=key in _AUTH_COUNTS)
        plain[key] = value
    try:
        return AuthenticationRules.from_mapping(plain)
    except InvalidAuthenticationRulesError as error:
        found = _AUTH_MESSAGE.fullmatch(str(error))
        named = found is not None and found["key"].split(".")[0] in AUTHENTICATION_KEYS
        keys = found["key"].split(".", 1) if found and named else []
        raise Problem(
            (*table.path, *keys), found["problem"] if found and named else str(error)
        ) from None


def write_authentication(rules: AuthenticationRules, limits: LimitSchedule) -> dict[str, object]:
    """``[authentication]`` for ``rules``, which must be in the currency of ``limits``."""
    _same_currency("authentication", rules.currency, limits)
    floors = rules.tier_minimum_kinds
    path = ("authentication", "tier_minimum_kinds")
    check_tier_names([((*path, name), name) for name in floors], limits)
    plain = rules.to_dict()
    del plain["currency"]
    if plain["certificate_daily_cap"] == UNLIMITED:
        del plain["certificate_daily_cap"]
    return plain


def read_risk(table: Table, currency: str) -> RiskRules:
    """The risk rules of ``[risk]``, in ``currency``."""
    plain: dict[str, object] = {"currency": currency}
    for name, value in table.data.items():
        section = Table(value, table.at(name), tuple(_RISK_DEFAULTS[name]))
        for key, setting in section.data.items():
            default = _RISK_DEFAULTS[name][key]
            integer = type(default) is int
            _refuse_floats(section.at(key), setting, integer=integer)
        plain[name] = value
    try:
        return RiskRules.from_mapping(plain)
    except InvalidRiskRulesError as error:
        found = _RISK_MESSAGE.fullmatch(str(error))
        named = found is not None and found["section"] in _RISK_DEFAULTS
        keys = [part for part in found.group("section", "key") if part] if found and named else []
        raise Problem(
            (*table.path, *keys), found["problem"] if found and named else str(error)
        ) from None


def write_risk(rules: RiskRules, limits: LimitSchedule) -> dict[str, object]:
    """``[risk]`` for ``rules``, which must be in the currency of ``limits``."""
    _same_currency("risk", rules.currency, limits)
    return {name: section for name, section in rules.to_dict().items() if name != "currency"}


def _same_currency(table: str, currency: str, limits: LimitSchedule) -> None:
    if currency != limits.currency:
        raise Problem(
            (table,),
            f"the rules are in {currency}, the limits in {limits.currency}: a policy file "
            "has one currency",
        )
