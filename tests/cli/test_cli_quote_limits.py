"""``icbc-wallet quote`` and ``icbc-wallet limits``: one-off questions, answered by the core."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from icbc_wallet import Money
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.usage import LimitUsage
from icbc_wallet.policies.limits import check_limit
from icbc_wallet.service.config import WalletPolicies

Cli = Callable[..., subprocess.CompletedProcess[str]]
AT = "2026-05-01T12:00:00+08:00"


def test_a_withdrawal_quote_explains_the_wechat_fee(cli: Cli) -> None:
    ran = cli("quote", "withdrawal", "2000", "--at", AT, "--json")
    assert ran.returncode == 0, ran.stderr
    quote = json.loads(ran.stdout)
    assert quote["fee"] == "1.00"
    assert quote["total_debit"] == "2001.00"
    assert quote["quota_remaining"] == "0.00"
    assert [line["label"] for line in quote["lines"]][:2] == ["free quota", "gross"]


def test_the_quota_already_used_is_taken_into_account(cli: Cli) -> None:
    ran = cli("quote", "withdrawal", "50", "--quota-used", "1000", "--at", AT, "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["fee"] == "0.10"
    assert json.loads(ran.stdout)["clamp"] == "minimum"


def test_the_table_shows_each_step_and_the_fee(cli: Cli) -> None:
    ran = cli("quote", "withdrawal", "2000", "--at", AT)
    assert ran.returncode == 0, ran.stderr
    assert "free quota" in ran.stdout
    assert "fee: 1.00 CNY" in ran.stdout
    assert "total debit: 2,001.00 CNY" in ran.stdout


def test_a_bad_amount_names_the_argument_and_exits_2(cli: Cli) -> None:
    for amount in ("12.345", "1e3", "-5", "abc"):
        ran = cli("quote", "withdrawal", amount, "--at", AT)
        assert ran.returncode == 2, amount
        assert ran.stderr.startswith("icbc-wallet: error: AMOUNT"), ran.stderr
        assert ran.stdout == ""


def test_an_unknown_kind_or_bad_instant_is_a_usage_error(cli: Cli) -> None:
    assert cli("quote", "lottery", "10").returncode == 2
    ran = cli("quote", "withdrawal", "10", "--at", "yesterday")
    assert ran.returncode == 2
    assert "--at 'yesterday' is not an ISO 8601" in ran.stderr


def test_an_unknown_policy_names_the_presets(cli: Cli) -> None:
    ran = cli("quote", "withdrawal", "10", "--policy", "no-such-preset")
    assert ran.returncode == 2
    assert "neither a policy file nor a preset" in ran.stderr
    assert "default" in ran.stderr


def test_a_missing_policy_file_is_a_usage_error(cli: Cli) -> None:
    ran = cli("quote", "withdrawal", "10", "--policy", "missing.toml")
    assert ran.returncode == 2
    assert "missing.toml" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_limits_lists_every_tier_of_the_default_set(cli: Cli) -> None:
    ran = cli("limits", "--json")
    assert ran.returncode == 0, ran.stderr
    document = json.loads(ran.stdout)
    expected = WalletPolicies.default().limits
    assert [tier["tier"] for tier in document["tiers"]] == list(expected.tier_names)
    wl04 = next(tier for tier in document["tiers"] if tier["tier"] == "WL04")
    assert wl04["limit"]["daily"] == "5000.00"
    table = cli("limits")
    assert table.returncode == 0
    for name in expected.tier_names:
        assert name in table.stdout


def test_the_largest_payment_now_is_what_the_limit_check_approves(cli: Cli) -> None:
    ran = cli("limits", "WL04", "--method", "static_qr", "--spent", "300", "--at", AT, "--json")
    assert ran.returncode == 0, ran.stderr
    document = json.loads(ran.stdout)
    largest = Money.of(document["largest_payment_now"])
    schedule = WalletPolicies.default().limits
    now = datetime.fromisoformat(AT)
    usage = LimitUsage().record(PaymentMethod.STATIC_QR, Money.of("300"), now)
    assert check_limit(schedule, "WL04", PaymentMethod.STATIC_QR, usage, largest, now).approved
    one_more = largest + Money.of("0.01")
    assert not check_limit(schedule, "WL04", PaymentMethod.STATIC_QR, usage, one_more, now).approved
    daily = next(row for row in document["windows"] if row["window"] == "daily")
    assert Decimal(daily["used"]) == Decimal("300.00")


def test_limits_refuses_options_that_need_a_tier_or_method(cli: Cli) -> None:
    assert cli("limits", "--method", "nfc").returncode == 2
    ran = cli("limits", "WL04", "--spent", "10")
    assert ran.returncode == 2
    assert "--spent needs --method" in ran.stderr
    unknown = cli("limits", "WL99")
    assert unknown.returncode == 2
    assert "no tier 'WL99'" in unknown.stderr
