"""Policy files: each kind of value is checked, and what a file leaves out keeps its default.

CI cost: about a tenth of a second.
"""

from __future__ import annotations

import re
from typing import Final

import pytest

from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.policy_files import PolicyFileError, loads_policies, policies_equal
from icbc_wallet.service.config import WalletPolicies


def _refusal(text: str) -> PolicyFileError:
    with pytest.raises(PolicyFileError) as caught:
        loads_policies(text, source="policy.toml")
    return caught.value


def _line(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return text[: found.start()].count("\n") + 1


MINIMAL: Final = """
[limits]
[[limits.tiers]]
name = "basic"

[tiers]
rules = [{ tier = "basic", evidence = ["phone"] }]

[fees]
"""


def test_a_key_left_out_keeps_the_library_default() -> None:
    policies = loads_policies(MINIMAL)
    defaults = WalletPolicies(policies.limits, policies.tiers, FeeSchedule([]))
    assert policies_equal(policies, defaults)
    assert policies.limits.tier("basic").limit.daily is None
    assert policies.authentication is None
    assert policies.risk is None
    some = "[security]\ntotp_drift = 2\n[security.lockout]\nmax_failures = 5\n[risk.new_payee]\n"
    changed = loads_policies(MINIMAL + some)
    assert (changed.security.totp_drift, changed.security.lockout.max_failures) == (2, 5)
    assert changed.security.lockout.lock_for == defaults.security.lockout.lock_for
    assert changed.risk is not None
    assert changed.risk.new_payee.min_amount.currency == "CNY"


WRONG_KINDS: Final = [  # (a line or table added to the minimal file, key, problem)
    ("hold_time_seconds = true", "hold_time_seconds", "not a boolean"),
    ("hold_time_seconds = 1000000000000000", "hold_time_seconds", "far too long"),
    ("calendar = 5", "calendar", "not an integer"),
    ("calendar = [2026-10-01, 2026-10-02T00:00:00Z]", "calendar[1]", "not a date-time"),
    ("[refund_window]\nzone = 8", "refund_window.zone", "must be a string, not an integer"),
    ("[dispute_terms]\nopen_within_seconds = -1", "dispute_terms.open_within_seconds", "positive"),
    ("[security]\ncode_resend_after_seconds = -1", "security.code_resend_after_seconds", "non-"),
    ("[security]\ncode_lifetime_seconds = 1", "security.code_lifetime_seconds", "1 to 15"),
    ("[security]\ncode_attempts = 0", "security.code_attempts", "from 1 to 10"),
    ('[increase_terms]\neligible_tiers = "basic"', "increase_terms.eligible_tiers", "an array"),
    ("[increase_terms]\neligible_tiers = [1]", "increase_terms.eligible_tiers[0]", "a string"),
    ("[risk]\nnew_payee = 1", "risk.new_payee", "must be a table, not an integer"),
    ("[risk.new_payee]\nmin_amount = true", "risk.new_payee.min_amount", "not True"),
    ("[risk.new_payee]\naction = 1", "risk.new_payee.action", "'challenge', 'deny'"),
    (
        '[authentication]\npassword_free_limits = { withdrawal = "1" }',
        "authentication.password_free_limits",
        "not a shop payment method",
    ),
    (
        "[authentication.tier_minimum_kinds]\ngold = 2",
        "authentication.tier_minimum_kinds.gold",
        "allowed keys are basic",
    ),
    ("[authentication]\nminimum_kinds = 2", "authentication.minimum_kinds", "must be a table"),
    ("[merchant_fees]\nrules = 1", "merchant_fees.rules", "array of tables, not an integer"),
    ("[merchant_fees]\nrules = [{}]", "merchant_fees.rules[0].kind", "is required"),
    ("[merchant_fees]\nrules = [{ kind = 1 }]", "merchant_fees.rules[0].kind", "one of"),
    (
        '[merchant_fees]\nrules = [{ kind = "payment", flat = true }]',
        "merchant_fees.rules[0].flat",
        'such as "0.00", not a boolean',
    ),
    (
        '[merchant_fees]\nrules = [{ kind = "payment", quota = {} }]',
        "merchant_fees.rules[0].quota.amount",
        "is required",
    ),
    (
        '[merchant_fees]\nrules = [{ kind = "payment", maximum = "1e99" }]',
        "merchant_fees.rules[0].maximum",
        "not a plain decimal",
    ),
    (
        '[merchant_fees]\nrules = [{ kind = "payment", brackets = [] }]',
        "merchant_fees.rules[0].brackets",
        "needs at least one bracket",
    ),
    (
        '[merchant_fees]\nrules = [{ kind = "payment" }, { kind = "payment" }]',
        "merchant_fees.rules[1]",
        "keep one rule per (kind, channel)",
    ),
    ("[[merchant_fees.waivers]]\nname = 5", "merchant_fees.waivers[0].name", "a string"),
]


@pytest.mark.parametrize(("addition", "key", "problem"), WRONG_KINDS)
def test_a_value_of_the_wrong_kind_is_refused_at_its_key(
    addition: str, key: str, problem: str
) -> None:
    # a top-level key goes before the first table; a table goes after the others
    text = MINIMAL + addition if addition.startswith("[") else addition + MINIMAL
    error = _refusal(text)
    assert (error.key, error.line) == (
        key,
        _line(text, re.escape(addition.rsplit("\n", maxsplit=1)[-1])),
    )
    assert problem in error.problem, error


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[limits]\ntiers = []\n[tiers]\n[fees]\n", "limits.tiers", "at least one tier"),
        (MINIMAL.replace("rules = [", "# rules = ["), "tiers.rules", "at least one rule"),
        (
            MINIMAL.replace('"basic"\n', '"basic"\n[[limits.tiers]]\nname = "basic"\n', 1),
            "limits.tiers[1]",
            "appears twice",
        ),
        ("limits = 1\n[tiers]\n[fees]\n", "limits", "must be a table, not an integer"),
    ],
)
def test_a_table_that_cannot_stand_is_refused_at_the_table(
    text: str, key: str, problem: str
) -> None:
    error = _refusal(text)
    assert error.key == key, error
    assert problem in error.problem, error


def test_the_locator_follows_quoted_keys_inline_tables_and_multi_line_strings() -> None:
    lines = [
        r"[limits]",
        r'name = """two \""" \\',
        r"[fake]",
        r'lines """"" # [[not.a.table]]',
        r"""description = '''say "x" = 1'''''""",
        r'[[limits."ti\u0065rs"]]',
        r'name = "a\u0041\t"',
        r"""disallowed = ['nfc', "online"]""",
        r"""methods = { 'nfc' = { daily = "1.00" }, online = { weekly = "2" } }""",
        r"[tiers]",
        r"[fees]",
    ]
    error = _refusal("\n".join(lines))
    assert (error.key, error.line) == ("limits.tiers[0].methods.online.weekly", 9)
