"""Examples and a law for limit headroom: what is left of each cap, as the limit check counts it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.domain.headroom import limit_headroom
from icbc_wallet.domain.limits import LimitSchedule, LimitWindow, PaymentMethod, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.usage import LimitUsage
from icbc_wallet.errors import (
    CurrencyMismatchError,
    InvalidLimitScheduleError,
    NaiveDatetimeError,
    UnknownPaymentMethodError,
    UnknownTierError,
)
from icbc_wallet.policies.limits import check_limit
from icbc_wallet.presets.limits import ALL_LIMIT_PRESETS, ARTICLE_DEFAULTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 12, tzinfo=SHANGHAI)


def spent(*payments: tuple[PaymentMethod, str]) -> LimitUsage:
    usage = LimitUsage()
    for method, amount in payments:
        usage = usage.record(method, Money.of(amount), NOW)
    return usage


def test_the_methods_own_cap_binds_when_it_leaves_less_than_the_tiers() -> None:
    usage = spent((PaymentMethod.STATIC_QR, "450"), (PaymentMethod.NFC, "100"))
    room = limit_headroom(ARTICLE_DEFAULTS, "unverified", usage, NOW, method="static_qr")
    daily = room.windows[LimitWindow.DAY.value]
    assert (daily.cap, daily.used, daily.remaining, daily.scope) == (
        Money.of("500"),
        Money.of("450"),
        Money.of("50"),
        "static_qr",
    )
    assert room.available == Money.of("50")
    assert room.method is PaymentMethod.STATIC_QR
    assert room.allowed


def test_the_tiers_overall_cap_binds_when_other_methods_used_it_up() -> None:
    usage = spent(
        (PaymentMethod.STATIC_QR, "100"), (PaymentMethod.NFC, "500"), (PaymentMethod.NFC, "380")
    )
    room = limit_headroom(
        ARTICLE_DEFAULTS, "unverified", usage, NOW, method=PaymentMethod.STATIC_QR
    )
    daily = room.windows[LimitWindow.DAY.value]
    assert (daily.cap, daily.used, daily.remaining, daily.scope) == (
        Money.of("1000"),
        Money.of("980"),
        Money.of("20"),
        "all",
    )
    assert room.available == Money.of("20")


def test_an_uncapped_window_shows_the_overall_use_and_no_remaining() -> None:
    usage = spent((PaymentMethod.NFC, "300"))
    room = limit_headroom(ARTICLE_DEFAULTS, "unverified", usage, NOW)
    monthly = room.windows[LimitWindow.MONTH.value]
    assert (monthly.cap, monthly.used, monthly.remaining, monthly.scope) == (
        None,
        Money.of("300"),
        None,
        None,
    )
    assert room.method is None
    assert [window.window for window in room.windows] == list(LimitWindow)


def test_a_spent_window_leaves_nothing_rather_than_a_negative_amount() -> None:
    # A late event can push a total past its cap (usage never refuses an amount).
    usage = spent(
        (PaymentMethod.NFC, "500"), (PaymentMethod.NFC, "500"), (PaymentMethod.NFC, "300")
    )
    room = limit_headroom(ARTICLE_DEFAULTS, "unverified", usage, NOW)
    assert room.windows[LimitWindow.DAY.value].remaining == Money.of(0)
    assert room.available == Money.of(0)


def test_a_tier_without_caps_has_no_available_limit() -> None:
    schedule = LimitSchedule([TierLimits("free")])
    assert limit_headroom(schedule, "free", LimitUsage(), NOW).available is None


def test_a_disallowed_method_has_nothing_available() -> None:
    schedule = ALL_LIMIT_PRESETS["ecny-2021"]
    room = limit_headroom(schedule, "WL04", LimitUsage(), NOW, method=PaymentMethod.WITHDRAWAL)
    assert not room.allowed
    assert room.available == Money.of(0)
    assert "not allowed" in room._repr_html_()


def test_headroom_shows_in_a_notebook_as_a_table_of_windows() -> None:
    usage = spent((PaymentMethod.STATIC_QR, "450"))
    markup = limit_headroom(
        ARTICLE_DEFAULTS, "unverified", usage, NOW, method="static_qr"
    )._repr_html_()
    assert "available now: 50.00 CNY" in markup
    assert "<td>static_qr</td>" in markup
    unlimited = LimitSchedule([TierLimits("free")])
    assert "no cap" in limit_headroom(unlimited, "free", LimitUsage(), NOW)._repr_html_()


def test_bad_questions_are_refused() -> None:
    with pytest.raises(UnknownTierError):
        limit_headroom(ARTICLE_DEFAULTS, "nobody", LimitUsage(), NOW)
    with pytest.raises(UnknownPaymentMethodError):
        limit_headroom(ARTICLE_DEFAULTS, "unverified", LimitUsage(), NOW, method="cheque")
    with pytest.raises(CurrencyMismatchError):
        limit_headroom(ARTICLE_DEFAULTS, "unverified", LimitUsage(currency="USD"), NOW)
    with pytest.raises(InvalidLimitScheduleError):
        limit_headroom(ARTICLE_DEFAULTS, "unverified", LimitUsage(zone=ZoneInfo("UTC")), NOW)
    with pytest.raises(NaiveDatetimeError):
        limit_headroom(ARTICLE_DEFAULTS, "unverified", LimitUsage(), NOW.replace(tzinfo=None))


_TIERS = [
    (name, tier) for name, schedule in ALL_LIMIT_PRESETS.items() for tier in schedule.tier_names
]


@given(
    preset=st.sampled_from(_TIERS),
    method=st.sampled_from(list(PaymentMethod)),
    history=st.lists(
        st.tuples(
            st.sampled_from(list(PaymentMethod)),
            st.integers(1, 300_000),
            st.integers(0, 40),
        ),
        max_size=6,
    ),
)
def test_the_available_amount_is_exactly_the_largest_payment_the_limit_check_approves(
    preset: tuple[str, str], method: PaymentMethod, history: list[tuple[PaymentMethod, int, int]]
) -> None:
    name, tier = preset
    schedule = ALL_LIMIT_PRESETS[name]
    usage = LimitUsage()
    for paid_by, minor, days_ago in history:
        usage = usage.record(paid_by, Money.from_minor(minor), NOW - timedelta(days=days_ago))
    available = limit_headroom(schedule, tier, usage, NOW, method=method).available
    if available is None:
        assert check_limit(schedule, tier, method, usage, Money.of("1000000"), NOW).approved
        return
    if available.is_positive():
        assert check_limit(schedule, tier, method, usage, available, NOW).approved
    one_more = available + Money.from_minor(1)
    assert not check_limit(schedule, tier, method, usage, one_more, NOW).approved
