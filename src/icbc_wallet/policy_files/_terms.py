"""The smaller tables of a policy file: windows, deadlines, review terms, security, calendar.

Durations are whole seconds under keys ending in ``_seconds``, as in the risk rules' plain form;
a key left out keeps the library's default.

```toml
calendar = "china"                 # "none", "china", or an array of dates: [2026-10-01]

[refund_window]
days = 7
counting = "from_transaction"
zone = "Asia/Shanghai"

[security.lockout]
max_failures = 3
lock_for_seconds = 10800
```
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Final

from icbc_wallet.adapters.holidays import ChineseHolidayCalendar
from icbc_wallet.domain.calendar import (
    DEFAULT_BUSINESS_ZONE,
    FixedHolidays,
    HolidayCalendar,
    NoHolidays,
)
from icbc_wallet.domain.credentials import LockoutRules, SecurityRules
from icbc_wallet.domain.disputes import DisputeTerms
from icbc_wallet.domain.limit_increase import LimitIncreaseTerms
from icbc_wallet.domain.limits import LimitSchedule
from icbc_wallet.domain.refunds import RefundCounting, RefundWindow
from icbc_wallet.policy_files._limits import check_tier_names
from icbc_wallet.policy_files._locate import KeyPath
from icbc_wallet.policy_files._plain import Problem, Table, built, seconds, type_name, zone_key

__all__ = [
    "DISPUTE_KEYS",
    "INCREASE_KEYS",
    "REFUND_KEYS",
    "SECURITY_KEYS",
    "read_calendar",
    "read_dispute_terms",
    "read_increase_terms",
    "read_refund_window",
    "read_security",
    "write_calendar",
    "write_dispute_terms",
    "write_increase_terms",
    "write_refund_window",
    "write_security",
]

REFUND_KEYS: Final = ("days", "counting", "zone")
"""The keys of ``[refund_window]``."""
_DISPUTE_TIMES: Final = ("merchant_response_time", "decision_time", "open_within")
DISPUTE_KEYS: Final = tuple(f"{name}_seconds" for name in _DISPUTE_TIMES)
"""The keys of ``[dispute_terms]``."""
_INCREASE_COUNTS: Final = (
    "min_account_age_days",
    "min_payments_90d",
    "max_declines_30d",
    "max_disputes_lost",
    "max_multiple",
    "grant_days",
)
INCREASE_KEYS: Final = ("eligible_tiers", *_INCREASE_COUNTS)
"""The keys of ``[increase_terms]``."""
_SECURITY_TIMES: Final = ("code_lifetime", "code_resend_after")
SECURITY_KEYS: Final = (
    "code_lifetime_seconds",
    "code_attempts",
    "code_resend_after_seconds",
    "totp_drift",
    "lockout",
)
"""The keys of ``[security]``."""
_LOCKOUT_KEYS: Final = ("max_failures", "lock_for_seconds")
_CALENDARS: Final[dict[str, Callable[[], HolidayCalendar]]] = {
    "none": NoHolidays,
    "china": ChineseHolidayCalendar,
}


def _seconds_fields(names: tuple[str, ...]) -> dict[str, str]:
    return {name: f"{name}_seconds" for name in names}


def read_refund_window(table: Table) -> RefundWindow:
    """The refund window of ``[refund_window]``."""
    days = table.integer("days", 7)
    counting = table.choice("counting", RefundCounting, RefundCounting.FROM_TRANSACTION)
    zone = table.zone("zone", DEFAULT_BUSINESS_ZONE)
    return built(table.path, lambda: RefundWindow(days, counting, zone), {"days": "days"})


def write_refund_window(window: RefundWindow) -> dict[str, object]:
    """``[refund_window]`` for ``window``."""
    return {
        "days": window.days,
        "counting": window.counting.value,
        "zone": zone_key(("refund_window", "zone"), window.zone),
    }


def read_dispute_terms(table: Table) -> DisputeTerms:
    """The dispute terms of ``[dispute_terms]``."""
    times = {
        name: table.duration(f"{name}_seconds")
        for name in _DISPUTE_TIMES
        if f"{name}_seconds" in table
    }
    return built(table.path, lambda: DisputeTerms(**times), _seconds_fields(_DISPUTE_TIMES))


def write_dispute_terms(terms: DisputeTerms) -> dict[str, object]:
    """``[dispute_terms]`` for ``terms``."""
    return {
        f"{name}_seconds": seconds(("dispute_terms", f"{name}_seconds"), getattr(terms, name))
        for name in _DISPUTE_TIMES
    }


def read_increase_terms(table: Table, limits: LimitSchedule) -> LimitIncreaseTerms:
    """The limit-increase terms of ``[increase_terms]``; eligible tiers must be in ``limits``."""
    eligible = None
    if "eligible_tiers" in table:
        named = table.strings("eligible_tiers")
        check_tier_names(named, limits)
        eligible = frozenset(name for _, name in named)
    counts = {key: table.integer(key) for key in _INCREASE_COUNTS if key in table}
    return built(
        table.path,
        lambda: LimitIncreaseTerms(eligible, **counts),
        {key: key for key in _INCREASE_COUNTS},
    )


def write_increase_terms(terms: LimitIncreaseTerms, limits: LimitSchedule) -> dict[str, object]:
    """``[increase_terms]`` for ``terms``; a tier missing from ``limits`` cannot be written."""
    written: dict[str, object] = {}
    if terms.eligible_tiers is not None:
        path = ("increase_terms", "eligible_tiers")
        check_tier_names([(path, name) for name in sorted(terms.eligible_tiers)], limits)
        written["eligible_tiers"] = [n for n in limits.tier_names if n in terms.eligible_tiers]
    written.update({key: getattr(terms, key) for key in _INCREASE_COUNTS})
    return written


def read_security(table: Table) -> SecurityRules:
    """The security rules of ``[security]`` (lockouts in ``[security.lockout]``)."""
    lockout = table.table("lockout", _LOCKOUT_KEYS)
    lock: dict[str, object] = {}
    if "max_failures" in lockout:
        lock["max_failures"] = lockout.integer("max_failures")
    if "lock_for_seconds" in lockout:
        lock["lock_for"] = lockout.duration("lock_for_seconds")
    rules = built(
        lockout.path,
        lambda: LockoutRules(**lock),  # type: ignore[arg-type]  # checked by the readers
        {"max_failures": "max_failures", "lock_for": "lock_for_seconds"},
    )
    settings: dict[str, object] = {"lockout": rules}
    for name in _SECURITY_TIMES:
        if f"{name}_seconds" in table:
            positive = name != "code_resend_after"
            settings[name] = table.duration(f"{name}_seconds", positive=positive)
    for name in ("code_attempts", "totp_drift"):
        if name in table:
            settings[name] = table.integer(name)
    fields = {**_seconds_fields(_SECURITY_TIMES), "code_attempts": "code_attempts"}
    return built(
        table.path,
        lambda: SecurityRules(**settings),  # type: ignore[arg-type]  # checked by the readers
        {**fields, "totp_drift": "totp_drift"},
    )


def write_security(rules: SecurityRules) -> dict[str, object]:
    """``[security]`` for ``rules``."""
    return {
        "code_lifetime_seconds": seconds(
            ("security", "code_lifetime_seconds"), rules.code_lifetime
        ),
        "code_attempts": rules.code_attempts,
        "code_resend_after_seconds": seconds(
            ("security", "code_resend_after_seconds"), rules.code_resend_after
        ),
        "totp_drift": rules.totp_drift,
        "lockout": {
            "max_failures": rules.lockout.max_failures,
            "lock_for_seconds": seconds(
                ("security", "lockout", "lock_for_seconds"), rules.lockout.lock_for
            ),
        },
    }


def read_calendar(path: KeyPath, value: object) -> HolidayCalendar:
    """The calendar of ``calendar = "none" | "china" | [dates]``."""
    if isinstance(value, str) and value in _CALENDARS:
        return _CALENDARS[value]()
    if type(value) is list:
        for index, day in enumerate(value):
            if type(day) is not date:
                raise Problem(
                    (*path, index), f"must be a date such as 2026-10-01, not {type_name(day)}"
                )
        return FixedHolidays.of(value)
    problem = 'must be "none", "china" or an array of dates such as [2026-10-01]'
    raise Problem(
        path,
        f"{problem}, not {value!r}"
        if isinstance(value, str)
        else f"{problem}, not {type_name(value)}",
    )


def write_calendar(calendar: HolidayCalendar) -> str | list[date]:
    """What ``calendar = ...`` says for ``calendar``."""
    for name, kind in _CALENDARS.items():
        if type(calendar) is kind:
            return name
    if type(calendar) is FixedHolidays:
        return sorted(calendar.days)
    raise Problem(
        ("calendar",),
        f"a {type(calendar).__name__} cannot be written to a policy file; use NoHolidays, "
        "FixedHolidays or ChineseHolidayCalendar",
    )
