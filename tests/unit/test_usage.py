from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from icbc_wallet import (
    AmountTypeError,
    CurrencyMismatchError,
    Declined,
    InvalidAmountError,
    InvalidLimitScheduleError,
    Limit,
    LimitSchedule,
    LimitUsage,
    LimitWindow,
    Money,
    PaymentMethod,
    TierLimits,
    UnknownCurrencyError,
    UnknownPaymentMethodError,
    check_limit,
)
from icbc_wallet.domain.usage import UsageTotals
from icbc_wallet.presets.limits import ARTICLE_DEFAULTS

NOON = datetime.fromisoformat("2026-03-10T12:00:00+08:00")
YESTERDAY = NOON - timedelta(days=1)
ONLINE = PaymentMethod.ONLINE


def cny(amount: str) -> Money:
    return Money.of(amount)


def test_releasing_a_hold_gives_the_headroom_back_in_its_own_window() -> None:
    usage = LimitUsage().record(ONLINE, cny("1000"), NOON)
    declined = check_limit(ARTICLE_DEFAULTS, "unverified", ONLINE, usage, cny("1"), NOON)
    assert isinstance(declined, Declined)
    released = usage.release(ONLINE, cny("300"), NOON)
    assert released.used(LimitWindow.DAY, NOON) == cny("700")
    assert released.used(LimitWindow.DAY, NOON, ONLINE) == cny("700")
    assert released.used(LimitWindow.LIFETIME, NOON) == cny("700")


def test_releasing_yesterdays_hold_leaves_todays_total_alone() -> None:
    usage = LimitUsage().record(ONLINE, cny("80"), YESTERDAY).record(ONLINE, cny("50"), NOON)
    released = usage.release(ONLINE, cny("80"), YESTERDAY)
    assert released.used(LimitWindow.DAY, NOON) == cny("50")
    assert released.used(LimitWindow.MONTH, NOON) == cny("50")  # March total loses the hold
    assert released.used(LimitWindow.LIFETIME, NOON) == cny("50")


def test_releasing_more_than_a_window_holds_is_refused_and_changes_nothing() -> None:
    usage = LimitUsage().record(ONLINE, cny("500"), YESTERDAY).record(ONLINE, cny("100"), NOON)
    with pytest.raises(InvalidAmountError, match="from the daily window: only 10000 were recorded"):
        usage.release(ONLINE, cny("500"), NOON)  # the 500 was held yesterday, not today
    assert usage.used(LimitWindow.DAY, NOON) == cny("100")
    with pytest.raises(InvalidAmountError, match="only 60000 were ever recorded"):
        usage.release(ONLINE, cny("600.01"), YESTERDAY - timedelta(days=400))


def test_a_late_event_for_a_closed_day_does_not_wipe_todays_total() -> None:
    usage = LimitUsage().record(ONLINE, cny("900"), NOON)
    late = usage.record(ONLINE, cny("10"), YESTERDAY.replace(hour=23, minute=59))
    assert late.used(LimitWindow.DAY, NOON) == cny("900")
    assert late.used(LimitWindow.MONTH, NOON) == cny("910")
    assert late.used(LimitWindow.LIFETIME, NOON) == cny("910")
    decision = check_limit(ARTICLE_DEFAULTS, "unverified", ONLINE, late, cny("500"), NOON)
    assert isinstance(decision, Declined)


def test_a_new_window_starts_from_the_new_amount() -> None:
    usage = LimitUsage().record(ONLINE, cny("900"), YESTERDAY).record(ONLINE, cny("5"), NOON)
    assert usage.used(LimitWindow.DAY, NOON) == cny("5")
    assert usage.used(LimitWindow.DAY, YESTERDAY) == cny("0")  # only the latest day is kept


def test_usage_counts_windows_in_its_own_zone_and_must_match_the_schedule() -> None:
    new_york = ZoneInfo("America/New_York")
    schedule = LimitSchedule((TierLimits("t", Limit.of(daily="100")),), zone=new_york)
    evening = datetime(2026, 3, 9, 20, tzinfo=new_york)  # already 10 March in Shanghai
    morning = datetime(2026, 3, 10, 8, tzinfo=new_york)
    usage = LimitUsage(zone=new_york).record(ONLINE, cny("100"), evening)
    assert check_limit(schedule, "t", ONLINE, usage, cny("100"), morning).approved
    with pytest.raises(
        InvalidLimitScheduleError, match="Asia/Shanghai but the schedule in America/New_York"
    ):
        check_limit(schedule, "t", ONLINE, LimitUsage(), cny("1"), morning)


def test_methods_may_be_given_by_value_but_not_by_name_or_typo() -> None:
    usage = LimitUsage().record("static_qr", cny("450"), NOON)  # type: ignore[arg-type]
    assert usage.used(LimitWindow.DAY, NOON, PaymentMethod.STATIC_QR) == cny("450")
    for bad in ("STATIC_QR", "nfcc", 3):
        with pytest.raises(UnknownPaymentMethodError):
            usage.record(bad, cny("1"), NOON)  # type: ignore[arg-type]
        with pytest.raises(UnknownPaymentMethodError):
            check_limit(ARTICLE_DEFAULTS, "real_name", bad, usage, cny("1"), NOON)  # type: ignore[arg-type]
    decision = check_limit(ARTICLE_DEFAULTS, "real_name", "static_qr", usage, cny("100"), NOON)  # type: ignore[arg-type]
    assert isinstance(decision, Declined)
    assert decision.scope == "static_qr"


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: UsageTotals(day_used=-1), InvalidAmountError),
        (lambda: UsageTotals(lifetime_used=True), InvalidAmountError),
        (lambda: UsageTotals(year_used="x"), InvalidAmountError),  # type: ignore[arg-type]
        (lambda: LimitUsage(overall=5), InvalidAmountError),  # type: ignore[arg-type]
        (lambda: LimitUsage(by_method={ONLINE: 1}), InvalidAmountError),  # type: ignore[dict-item]
        (lambda: LimitUsage(by_method={"x": UsageTotals()}), UnknownPaymentMethodError),  # type: ignore[dict-item]
        (lambda: LimitUsage(currency="cny"), UnknownCurrencyError),
        (lambda: LimitUsage(zone="Asia/Shanghai"), InvalidLimitScheduleError),  # type: ignore[arg-type]
        (lambda: LimitUsage().record(ONLINE, Money.of("1", "USD"), NOON), CurrencyMismatchError),
        (lambda: LimitUsage().record(ONLINE, cny("0"), NOON), InvalidAmountError),
        (lambda: LimitUsage().record(ONLINE, 5, NOON), AmountTypeError),  # type: ignore[arg-type]
    ],
)
def test_corrupt_or_mistyped_usage_is_refused(build: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        build()  # type: ignore[operator]


def test_window_keys_follow_the_business_zone() -> None:
    usage = LimitUsage().record(ONLINE, cny("1"), datetime(2025, 12, 31, 16, tzinfo=UTC))
    assert usage.overall.year == 2026
    assert usage.overall.month == 2026 * 12 + 1
