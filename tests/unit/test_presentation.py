from __future__ import annotations

from datetime import datetime

import pytest

from icbc_wallet import (
    APPROVED,
    Approved,
    Declined,
    DeclineReason,
    Money,
    UnsupportedLocaleError,
)
from icbc_wallet.presentation import explain, format_money


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money.of("1234.5"), "zh_CN", "¥1,234.50"),
        (Money.of("1234.5"), "en_US", "CN¥1,234.50"),
        (Money.of("-0.05"), "en_US", "-CN¥0.05"),
        (Money.of("1234", "JPY"), "ja_JP", "￥1,234"),
        (Money.of("1.234", "KWD"), "en_US", "KWD1.234"),
        (Money.of("1000000", "USD"), "zh_CN", "US$1,000,000.00"),
    ],
)
def test_money_is_formatted_for_people_with_all_its_places(
    money: Money, locale: str, expected: str
) -> None:
    assert format_money(money, locale).replace("\xa0", " ") == expected


def test_a_plain_approval_reads_as_such_in_both_languages() -> None:
    assert explain(APPROVED, "en_US") == "Approved"
    assert explain(APPROVED, "zh_CN") == "批准"


def test_an_approval_with_numbers_shows_them() -> None:
    deadline = datetime.fromisoformat("2026-03-08T10:00:00+08:00")
    approved = Approved(remaining=Money.of("20"), deadline=deadline)
    assert (
        explain(approved, "en_US")
        == "Approved (remaining CN¥20.00, deadline 2026-03-08T10:00:00+08:00)"
    )
    assert explain(approved, "zh_CN") == "批准（剩余 ¥20.00，截止 2026-03-08T10:00:00+08:00）"


def test_a_decline_gives_its_reason_and_numbers_in_chinese() -> None:
    declined = Declined(
        DeclineReason.PER_TRANSACTION_LIMIT,
        limit=Money.of("500"),
        used=Money.of("0"),
        remaining=Money.of("500"),
    )
    assert explain(declined) == "拒绝：超出单笔限额（限额 ¥500.00，已用 ¥0.00，剩余 ¥500.00）"


def test_a_disallowed_method_is_named() -> None:
    declined = Declined(DeclineReason.METHOD_NOT_ALLOWED, scope="withdrawal")
    assert explain(declined, "en_US") == (
        "Declined: This payment method is not available at this verification level: withdrawal"
    )
    assert explain(declined, "zh_CN") == "拒绝：当前认证等级不支持该支付方式：withdrawal"


def test_a_decline_without_numbers_is_just_the_reason() -> None:
    assert explain(Declined(DeclineReason.METHOD_NOT_ALLOWED), "en_US") == (
        "Declined: This payment method is not available at this verification level"
    )


def test_every_decline_reason_has_a_stable_code_and_both_messages() -> None:
    codes = [reason.code for reason in DeclineReason]
    assert len(set(codes)) == len(codes)
    for reason in DeclineReason:
        assert reason.code.count(".") == 1
        assert reason.message("en").isascii()
        assert not reason.message("zh").isascii()


def test_a_method_scoped_decline_names_the_method() -> None:
    declined = Declined(
        DeclineReason.DAILY_LIMIT,
        limit=Money.of("500"),
        used=Money.of("450"),
        remaining=Money.of("50"),
        scope="static_qr",
    )
    assert explain(declined, "en_US").startswith(
        "Declined: Exceeds the daily cumulative limit for static_qr payments (limit"
    )
    assert explain(declined, "zh_CN").startswith("拒绝：超出日累计限额（static_qr）")


@pytest.mark.parametrize("locale", ["xx", "", "zh-CN-x-nope!"])
def test_an_unknown_locale_is_refused_clearly(locale: str) -> None:
    with pytest.raises(UnsupportedLocaleError, match="unknown locale"):
        format_money(Money.of("1"), locale)
    with pytest.raises(UnsupportedLocaleError):
        explain(APPROVED, locale)


def test_decline_codes_are_stable() -> None:
    # Stored and matched by callers: changing one is a breaking change, not a refactor.
    assert {reason.name: reason.code for reason in DeclineReason} == {
        "PER_TRANSACTION_LIMIT": "limit.per_transaction",
        "DAILY_LIMIT": "limit.daily",
        "MONTHLY_LIMIT": "limit.monthly",
        "ANNUAL_LIMIT": "limit.annual",
        "LIFETIME_LIMIT": "limit.lifetime",
        "BALANCE_CAP": "limit.balance_cap",
        "METHOD_NOT_ALLOWED": "limit.method_not_allowed",
        "REFUND_WINDOW_CLOSED": "refund.window_closed",
        "REFUND_EXCEEDS_REFUNDABLE": "refund.exceeds_refundable",
        "INSUFFICIENT_FUNDS": "wallet.insufficient_funds",
        "WALLET_FROZEN": "wallet.frozen",
        "RECIPIENT_UNAVAILABLE": "transfer.recipient_unavailable",
        "DISPUTE_NOT_REFUSED": "dispute.not_refused",
        "DISPUTE_ALREADY_OPEN": "dispute.already_open",
        "DISPUTE_WINDOW_CLOSED": "dispute.window_closed",
        "INCREASE_TIER_NOT_ELIGIBLE": "increase.tier_not_eligible",
        "INCREASE_ACCOUNT_TOO_NEW": "increase.account_too_new",
        "INCREASE_TOO_FEW_PAYMENTS": "increase.too_few_payments",
        "INCREASE_TOO_MANY_DECLINES": "increase.too_many_declines",
        "INCREASE_DISPUTES_LOST": "increase.disputes_lost",
        "INCREASE_ABOVE_MAXIMUM": "increase.above_maximum",
        "AUTHENTICATION_REQUIRED": "auth.challenge_required",
        "AUTHENTICATION_DENIED": "auth.denied",
        "RISK_DENIED": "risk.denied",
    }


def test_decisions_have_no_truth_value() -> None:
    with pytest.raises(TypeError, match=r"decision\.approved"):
        bool(Declined(DeclineReason.DAILY_LIMIT))
    with pytest.raises(TypeError, match=r"decision\.approved"):
        bool(APPROVED)
