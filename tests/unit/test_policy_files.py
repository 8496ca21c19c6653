"""Policy files: a bad file is refused at the right key and line; a good one reads as written.

CI cost: about a second (one read per leaf of a rich file, for the float and unknown-key tables).
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Final

import attrs
import pytest
import tomli_w

from icbc_wallet.domain.calendar import FixedHolidays
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.limit_increase import LimitIncreaseTerms
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.policies.authentication import AuthenticationRules
from icbc_wallet.policy_files import (
    PolicyFileError,
    dumps_policies,
    load_policies,
    loads_policies,
    policies_equal,
    preset_path,
)
from icbc_wallet.policy_files._locate import KeyPath, display_key
from icbc_wallet.presets.fees import BIG_FIVE_TRANSFERS_2016, FOREIGN_CARD_PAYMENTS
from icbc_wallet.service.config import WalletPolicies

GUARDED: Final = preset_path("guarded").read_text(encoding="utf-8")
_GUARDED = WalletPolicies.guarded()
RICH: Final = attrs.evolve(
    _GUARDED,
    fees=FeeSchedule(
        [*BIG_FIVE_TRANSFERS_2016.rules, *_GUARDED.fees.rules],
        [
            Waiver.promotion(
                "National Day 2026",
                "0.5",
                starts=datetime(2026, 10, 1, tzinfo=timezone(timedelta(hours=8))),
                ends=datetime(2026, 10, 8, tzinfo=UTC),
                kinds=[OperationKind.WITHDRAWAL],
                holidays_only=True,
            )
        ],
    ),
    merchant_fees=FOREIGN_CARD_PAYMENTS,
    calendar=FixedHolidays.of([date(2026, 10, 1), date(2026, 10, 2)]),
    increase_terms=LimitIncreaseTerms(eligible_tiers={"WL02", "WL01"}),
    authentication=AuthenticationRules.from_mapping(
        {"certificate_daily_cap": "50000", "tier_minimum_kinds": {"WL01": 2}}
    ),
)
"""A set using every part of the format: brackets, waivers, dated holidays, tier names."""
RICH_TEXT: Final = dumps_policies(RICH)


def _refusal(text: str) -> PolicyFileError:
    with pytest.raises(PolicyFileError) as caught:
        loads_policies(text, source="policy.toml")
    return caught.value


def _line(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return text[: found.start()].count("\n") + 1


BAD_VALUES: Final = [  # (the guarded file says, a bad file says, key, line of the key, problem)
    ('rate = "0.001"', "rate = 0.001", "fees.rules[0].rate", None, 'such as "0.001", not the'),
    ('daily = "10000.00"', "daily = 1e4", "limits.tiers[1].daily", None, "not the float 10000.0"),
    ('daily = "5000.00"', 'dayly = "5000.00"', "limits.tiers[0].dayly", None, "keys are annual"),
    (
        'per_transaction = "2000.00"',
        'per_transaction = "9000.00"',
        "limits.tiers[0].daily",
        'daily = "5000.00"',
        "below the per-transaction cap",
    ),
    (
        'balance_cap = "20000.00"',
        'balance_cap = "20.00"',
        "limits.tiers[1]",
        r'\[\[limits.tiers\]\]\nname = "WL03"',
        "stricter than the lower tier",
    ),
    ('"bank_card"', '"bankcard"', "tiers.rules[2].evidence[2]", None, "unknown value 'bankcard'"),
    ('tier = "WL02"', 'tier = "WL2"', "tiers.rules[2].tier", None, "names tier 'WL2'"),
    ('tier = "WL03"', 'tier = "WL01"', "tiers.rules[2].tier", 'tier = "WL02"', "lowest tier up"),
    ('kind = "withdrawal"', 'kind = "payment"', "fees.rules[0].kind", None, "[merchant_fees]"),
    ('kind = "withdrawal"', 'kind = "withdraw"', "fees.rules[0].kind", None, "unknown value"),
    ('minimum = "0.10"', 'minimum = "0.105"', "fees.rules[0].minimum", None, "2 decimal places"),
    (
        'minimum = "0.10"',
        'minimum = "0.10"\nmaximum = "0.05"',
        "fees.rules[0].minimum",
        'minimum = "0.10"',
        "is above maximum 0.05 CNY",
    ),
    ('rate = "0.001"', 'rate = "1e-3"', "fees.rules[0].rate", None, "not a plain decimal"),
    ('amount = "1000.00"', 'amount = "0"', "fees.rules[0].quota.amount", None, "must be positive"),
    ('counting = "from_transaction"', 'counting = "x"', "refund_window.counting", None, "one of"),
    ('zone = "Asia/Shanghai"', 'zone = "Asia/Shangai"', "limits.zone", None, "unknown time zone"),
    ('currency = "CNY"', 'currency = "XXY"', "limits.currency", None, "unknown currency"),
    ('calendar = "none"', 'calendar = "chinese"', "calendar", None, '"none", "china" or'),
    ("hold_time_seconds = 604800", "hold_time_seconds = 0", "hold_time_seconds", None, "positive"),
    (
        "hold_time_seconds = 604800",
        "hold_time_seconds = 9999999",
        "hold_time_seconds",
        None,
        "at most 30 days",
    ),
    (
        "idempotency_time_seconds = 86400",
        "idempotency_time_seconds = 60",
        "idempotency_time_seconds",
        None,
        "at least 24 hours",
    ),
    ("days = 7", 'days = "7"', "refund_window.days", None, "must be an integer, not a string"),
    (
        "decision_time_seconds = 864000",
        "decision_time_seconds = 60",
        "dispute_terms.decision_time_seconds",
        None,
        "must be longer than",
    ),
    (
        "lock_for_seconds = 10800",
        "lock_for_seconds = 1",
        "security.lockout.lock_for_seconds",
        None,
        "from 1 minute",
    ),
    ("totp_drift = 1", "totp_drift = 7", "security.totp_drift", None, "0, 1 or 2"),
    ("max_multiple = 2", "max_multiple = 0", "increase_terms.max_multiple", None, "1 to 1000"),
    ("pay = 1\n", "pai = 1\n", "authentication.minimum_kinds.pai", "pai = 1", "keys are bind_card"),
    ("pay = 1\n", "pay = 4\n", "authentication.minimum_kinds.pay", "pay = 4", "1, 2 or 3 kinds"),
    (
        'two_kinds_daily_cap = "5000.00"',
        'two_kinds_daily_cap = "5.00"',
        "authentication.two_kinds_daily_cap",
        None,
        "is below one_kind_daily_cap",
    ),
    (
        "max_operations = 10",
        "max_operations = 10.0",
        "risk.velocity_count.max_operations",
        None,
        "must be an integer, not the float 10.0",
    ),
    (
        "window_seconds = 600",
        "window_seconds = 0",
        "risk.velocity_count.window_seconds",
        None,
        "from 1 second to 366 days",
    ),
    ("end_hour = 5", "end_hour = 0", "risk.unusual_hour", r"\[risk\.unusual_hour\]", "must differ"),
    ("[risk.new_device]", "[risk.new_devices]", "risk.new_devices", None, "keys are above_history"),
    ("enabled = true", 'enabled = "yes"', "risk.velocity_count.enabled", None, "true or false"),
]


@pytest.mark.parametrize(("good", "bad", "key", "at", "problem"), BAD_VALUES)
def test_a_bad_value_is_refused_at_its_key_and_line(
    good: str, bad: str, key: str, at: str | None, problem: str
) -> None:
    text = GUARDED.replace(good, bad, 1)
    error = _refusal(text)
    assert (error.source, error.key) == ("policy.toml", key)
    assert error.line == _line(text, at or re.escape(bad))
    assert problem in error.problem
    assert str(error) == f"policy.toml:{error.line}: {key}: {error.problem}"


def _leaves(value: object, path: KeyPath = ()) -> list[tuple[KeyPath, object]]:
    if isinstance(value, dict):
        found = [(path, value)]
        return found + [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [(path, value)]


def _set(document: dict[str, object], path: KeyPath, value: object) -> str:
    parent: object = document
    for part in path[:-1]:
        parent = parent[part]  # type: ignore[index]
    parent[path[-1]] = value  # type: ignore[index]
    return tomli_w.dumps(document)


def test_a_float_is_refused_wherever_a_number_goes() -> None:
    numbers = [
        (path, value)
        for path, value in _leaves(tomllib.loads(RICH_TEXT))
        if type(value) is int or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value))
    ]
    assert len(numbers) > 80
    for path, value in numbers:
        number = float(value)
        text = _set(tomllib.loads(RICH_TEXT), path, number)
        error = _refusal(text)
        expected = "an integer" if type(value) is int else "a decimal string such as"
        assert error.key == display_key(path), error
        assert expected in error.problem, error
        assert f"not the float {number!r}" in error.problem, error
        assert error.line == _line(text, f"= {re.escape(repr(number))}(?![0-9])"), error


def test_an_unknown_key_is_refused_in_every_table_naming_the_allowed_ones() -> None:
    tables = [path for path, value in _leaves(tomllib.loads(RICH_TEXT)) if isinstance(value, dict)]
    assert len(tables) > 40
    for path in tables:
        text = _set(tomllib.loads(RICH_TEXT), (*path, "surplus"), "x")
        error = _refusal(text)
        assert error.key == display_key((*path, "surplus")), error
        assert "unknown key 'surplus'; the allowed keys are" in error.problem
        assert error.line == _line(text, "surplus")


def test_a_toml_syntax_error_says_its_line_and_column() -> None:
    error = _refusal(GUARDED.replace("days = 7", "days = = 7"))
    assert (error.key, error.line) == (None, _line(GUARDED, "days = 7"))
    assert error.problem == "invalid TOML: Invalid value (column 8)"
    unterminated = _refusal('hold_time_seconds = 1\nname = "')
    assert unterminated.line == 2
    assert unterminated.problem == "invalid TOML: Unterminated string"


def test_the_three_main_tables_are_required() -> None:
    error = _refusal("hold_time_seconds = 60\n[limits]\n[[limits.tiers]]\nname = 'a'\n")
    assert (error.key, error.line) == ("tiers", None)
    assert "a policy file has [limits], [tiers] and [fees]" in error.problem
    assert _refusal("[limits]\n[tiers]\n[fees]\n").key == "limits.tiers"


@pytest.mark.parametrize(
    ("bad", "key", "problem"),
    [
        ("starts = 2026-10-01T00:00:00", "fees.waivers[0].starts", "needs a UTC offset"),
        ('starts = "2026-10-01"', "fees.waivers[0].starts", "not a string"),
        ("starts = 2026-10-01", "fees.waivers[0].starts", "not a date"),
        ("ends = 2026-09-01T00:00:00Z", "fees.waivers[0].ends", "must end after it starts"),
        ('discount = "1.5"', "fees.waivers[0].discount", "at most 1"),
    ],
)
def test_a_waiver_is_dated_with_offsets(bad: str, key: str, problem: str) -> None:
    name = bad.split(" = ", maxsplit=1)[0]
    text = re.sub(rf"(?m)^{name} = .*$", bad, RICH_TEXT, count=1)
    error = _refusal(text)
    assert (error.key, error.line) == (key, _line(text, re.escape(bad)))
    assert problem in error.problem


def test_a_file_may_say_unlimited_and_write_amounts_as_integers() -> None:
    text = GUARDED.replace('daily = "5000.00"', 'daily = 5000\nmonthly = "unlimited"', 1)
    policies = loads_policies(text)
    assert policies_equal(policies, _GUARDED)


def test_a_rule_with_brackets_says_no_flat_or_rate_of_its_own() -> None:
    text = RICH_TEXT.replace('channel = "pc"', 'channel = "pc"\nrate = "0.01"', 1)
    error = _refusal(text)
    assert (error.key, error.problem) == (
        "fees.rules[1].rate",
        "give flat and rate, or brackets, not both",
    )


def test_a_file_that_is_not_utf8_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(GUARDED.encode().replace(b"Class 3", b"Class \xff3"))
    with pytest.raises(PolicyFileError) as caught:
        load_policies(path)
    assert caught.value.source == str(path)
    assert caught.value.line == _line(GUARDED, "Class 3")
    assert caught.value.problem == "is not UTF-8 text: byte 0xff cannot be decoded"
    with pytest.raises(FileNotFoundError):
        load_policies(tmp_path / "missing.toml")


def test_a_file_with_a_byte_order_mark_reads_as_without(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b"\xef\xbb\xbf" + RICH_TEXT.encode())
    assert policies_equal(load_policies(path), RICH)
