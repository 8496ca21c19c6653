from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from icbc_wallet import (
    APPROVED,
    AmountTypeError,
    CurrencyMismatchError,
    Declined,
    DeclineReason,
    InvalidAmountError,
    InvalidLimitScheduleError,
    Limit,
    LimitSchedule,
    LimitUsage,
    LimitWindow,
    Money,
    NaiveDatetimeError,
    PaymentMethod,
    TierLimits,
    UnknownCurrencyError,
    UnknownPaymentMethodError,
    UnknownTierError,
    check_balance_cap,
    check_limit,
)
from icbc_wallet.presets.limits import (
    ALL_LIMIT_PRESETS,
    ARTICLE_DEFAULTS,
    CONTACTLESS_NO_PIN_PER_TRANSACTION,
    ECNY_2021,
    ECNY_2021_WITH_QR_CODES,
    ECNY_CCB_PILOT_2020,
    PAYMENT_ACCOUNTS_2016,
    PBOC_BANK_ACCOUNTS,
    QR_CODE_DAILY_LIMITS,
)

NOON = datetime.fromisoformat("2026-03-10T12:00:00+08:00")
ONLINE = PaymentMethod.ONLINE


def cny(amount: str) -> Money:
    return Money.of(amount)


def pay(
    usage: LimitUsage, amount: str, when: datetime = NOON, method: PaymentMethod = ONLINE
) -> LimitUsage:
    return usage.record(method, cny(amount), when)


def test_article_defaults_match_the_documented_numbers() -> None:
    unverified, real_name = ARTICLE_DEFAULTS.tiers
    assert unverified.limit == Limit.of(per_transaction="500", daily="1000")
    assert real_name.limit == Limit.of(per_transaction="5000", daily="50000")
    assert unverified.method_limit(PaymentMethod.STATIC_QR).daily == cny("500")


def test_ecny_presets_carry_the_cited_caps() -> None:
    wl04 = ECNY_2021.tier("WL04")
    assert (wl04.balance_cap, wl04.limit.per_transaction, wl04.limit.daily) == (
        cny("10000"),
        cny("2000"),
        cny("5000"),
    )
    wl02 = ECNY_2021.tier("WL02")
    assert (wl02.balance_cap, wl02.limit.per_transaction, wl02.limit.daily) == (
        cny("500000"),
        cny("50000"),
        cny("100000"),
    )
    assert ECNY_2021.tier("WL01").limit == Limit()
    assert PaymentMethod.WITHDRAWAL in ECNY_2021.tier("WL03").disallowed
    assert ECNY_2021.tier("WL01").method_limit(PaymentMethod.WITHDRAWAL).daily == cny("1000")
    assert ECNY_CCB_PILOT_2020.tier("class_4").limit.annual == cny("10000")


def test_pboc_and_payment_account_presets_carry_the_cited_caps() -> None:
    assert PBOC_BANK_ACCOUNTS.tier("class_III").balance_cap == cny("2000")
    assert PBOC_BANK_ACCOUNTS.tier("class_II").limit.annual == cny("200000")
    assert PAYMENT_ACCOUNTS_2016.tier("class_I").limit.lifetime == cny("1000")
    assert PAYMENT_ACCOUNTS_2016.tier("class_III").limit.annual == cny("200000")
    assert [QR_CODE_DAILY_LIMITS[level].daily for level in "ABCD"] == [
        None,
        cny("5000"),
        cny("1000"),
        cny("500"),
    ]
    assert cny("1000") == CONTACTLESS_NO_PIN_PER_TRANSACTION
    assert set(ALL_LIMIT_PRESETS) == {
        "article-defaults",
        "ecny-2021",
        "ecny-2021-qr",
        "ecny-ccb-pilot-2020",
        "pboc-bank-accounts",
        "payment-accounts-2016",
    }


def test_a_payment_within_every_cap_is_approved() -> None:
    assert (
        check_limit(ARTICLE_DEFAULTS, "unverified", ONLINE, LimitUsage(), cny("500"), NOON)
        is APPROVED
    )


def test_the_per_transaction_cap_declines_with_its_numbers() -> None:
    decision = check_limit(
        ARTICLE_DEFAULTS, "unverified", ONLINE, LimitUsage(), cny("500.01"), NOON
    )
    assert decision == Declined(
        DeclineReason.PER_TRANSACTION_LIMIT,
        limit=cny("500"),
        used=cny("0"),
        remaining=cny("500"),
        scope="all",
    )


def test_the_daily_cap_counts_what_was_spent_today() -> None:
    usage = pay(pay(LimitUsage(), "400"), "400")
    assert check_limit(ARTICLE_DEFAULTS, "unverified", ONLINE, usage, cny("200"), NOON) is APPROVED
    decision = check_limit(ARTICLE_DEFAULTS, "unverified", ONLINE, usage, cny("200.01"), NOON)
    assert isinstance(decision, Declined)
    assert (decision.reason, decision.used, decision.remaining) == (
        DeclineReason.DAILY_LIMIT,
        cny("800"),
        cny("200"),
    )


def test_a_new_business_day_starts_a_new_daily_window_but_not_a_new_month() -> None:
    schedule = LimitSchedule((TierLimits("t", Limit.of(daily="1000", monthly="1500")),))
    usage = pay(LimitUsage(), "1000")
    tomorrow = NOON + timedelta(days=1)
    assert check_limit(schedule, "t", ONLINE, usage, cny("500"), tomorrow) is APPROVED
    decision = check_limit(schedule, "t", ONLINE, usage, cny("600"), tomorrow)
    assert isinstance(decision, Declined)
    assert decision.reason is DeclineReason.MONTHLY_LIMIT


def test_windows_are_counted_in_the_business_zone_whatever_zone_now_is_written_in() -> None:
    schedule = LimitSchedule((TierLimits("t", Limit.of(daily="100", annual="1000")),))
    late_utc = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai, still 2025
    usage = pay(LimitUsage(), "100", late_utc)
    same_day = datetime(2025, 12, 31, 15, 59, tzinfo=UTC)
    new_year = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 00:00 on 2026-01-01 in Shanghai
    assert isinstance(check_limit(schedule, "t", ONLINE, usage, cny("1"), same_day), Declined)
    assert check_limit(schedule, "t", ONLINE, usage, cny("100"), new_year) is APPROVED
    assert usage.used(LimitWindow.YEAR, new_year) == cny("0")
    assert usage.used(LimitWindow.LIFETIME, new_year) == cny("100")


def test_method_limits_apply_on_top_of_the_tier_limit() -> None:
    usage = pay(LimitUsage(), "450", method=PaymentMethod.STATIC_QR)
    decision = check_limit(
        ARTICLE_DEFAULTS, "real_name", PaymentMethod.STATIC_QR, usage, cny("100"), NOON
    )
    assert decision == Declined(
        DeclineReason.DAILY_LIMIT,
        limit=cny("500"),
        used=cny("450"),
        remaining=cny("50"),
        scope="static_qr",
    )
    assert (
        check_limit(
            ARTICLE_DEFAULTS, "real_name", PaymentMethod.DYNAMIC_QR, usage, cny("100"), NOON
        )
        is APPROVED
    )


def test_static_qr_spending_also_counts_against_the_overall_daily_cap() -> None:
    usage = pay(LimitUsage(), "500", method=PaymentMethod.STATIC_QR)
    decision = check_limit(
        ARTICLE_DEFAULTS, "unverified", PaymentMethod.NFC, usage, cny("500.01"), NOON
    )
    assert isinstance(decision, Declined)
    assert decision.scope == "all"


def test_a_disallowed_method_is_declined_before_any_arithmetic() -> None:
    decision = check_limit(
        ECNY_2021, "WL04", PaymentMethod.WITHDRAWAL, LimitUsage(), cny("1"), NOON
    )
    assert decision == Declined(DeclineReason.METHOD_NOT_ALLOWED, scope="withdrawal")


def test_a_lifetime_cap_keeps_counting_across_years() -> None:
    usage = pay(LimitUsage(), "900", datetime.fromisoformat("2024-01-05T10:00:00+08:00"))
    decision = check_limit(PAYMENT_ACCOUNTS_2016, "class_I", ONLINE, usage, cny("100.01"), NOON)
    assert isinstance(decision, Declined)
    assert (decision.reason, decision.remaining) == (DeclineReason.LIFETIME_LIMIT, cny("100"))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            lambda: check_limit(ARTICLE_DEFAULTS, "gold", ONLINE, LimitUsage(), cny("1"), NOON),
            UnknownTierError,
        ),
        (
            lambda: check_limit(
                ARTICLE_DEFAULTS, "unverified", ONLINE, LimitUsage(), Money.of("1", "USD"), NOON
            ),
            CurrencyMismatchError,
        ),
        (
            lambda: check_limit(
                ARTICLE_DEFAULTS, "unverified", ONLINE, LimitUsage(), cny("0"), NOON
            ),
            InvalidAmountError,
        ),
        (
            lambda: check_limit(
                ARTICLE_DEFAULTS, "unverified", ONLINE, LimitUsage(), cny("-1"), NOON
            ),
            InvalidAmountError,
        ),
        (
            lambda: check_limit(
                ARTICLE_DEFAULTS,
                "unverified",
                ONLINE,
                LimitUsage(),
                cny("1"),
                datetime(2026, 3, 10),
            ),
            NaiveDatetimeError,
        ),
        (lambda: LimitUsage().record(ONLINE, Money.of("1", "USD"), NOON), CurrencyMismatchError),
        (lambda: LimitUsage().record(ONLINE, cny("0"), NOON), InvalidAmountError),
    ],
)
def test_bad_check_input_raises_instead_of_deciding(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()  # type: ignore[operator]


def test_amounts_that_are_not_money_are_refused() -> None:
    with pytest.raises(AmountTypeError, match="amount must be Money"):
        check_limit(ARTICLE_DEFAULTS, "unverified", ONLINE, LimitUsage(), 100, NOON)  # type: ignore[arg-type]
    with pytest.raises(AmountTypeError, match="must be Money"):
        check_balance_cap(ECNY_2021, "WL04", cny("1"), "5")  # type: ignore[arg-type]


def test_unknown_tier_error_lists_the_known_tiers() -> None:
    with pytest.raises(UnknownTierError, match=r"\['unverified', 'real_name'\]"):
        ARTICLE_DEFAULTS.tier("gold")


def test_balance_cap_declines_a_credit_that_would_overflow_it() -> None:
    assert check_balance_cap(ECNY_2021, "WL04", cny("9000"), cny("1000")) is APPROVED
    decision = check_balance_cap(ECNY_2021, "WL04", cny("9000"), cny("1000.01"))
    assert decision == Declined(
        DeclineReason.BALANCE_CAP,
        limit=cny("10000"),
        used=cny("9000"),
        remaining=cny("1000"),
        scope="all",
    )
    assert check_balance_cap(ECNY_2021, "WL01", cny("9000000"), cny("1")) is APPROVED
    with pytest.raises(InvalidAmountError):
        check_balance_cap(ECNY_2021, "WL04", cny("0"), cny("0"))
    with pytest.raises(CurrencyMismatchError):
        check_balance_cap(ECNY_2021, "WL04", Money.of("1", "USD"), cny("1"))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Limit.of(per_transaction="5000", daily="1000"),
            "daily cap 1000.00 CNY is below the per-transaction cap 5000.00 CNY",
        ),
        (
            lambda: Limit.of(daily="1000", annual="999"),
            "annual cap 999.00 CNY is below the daily cap",
        ),
        (
            lambda: Limit.of(monthly="10", annual="5"),
            "annual cap 5.00 CNY is below the monthly cap",
        ),
        (lambda: Limit(Money.of("1"), Money.of("2", "USD")), "mix currencies"),
        (lambda: Limit.of(daily="-1"), "must not be negative"),
        (lambda: Limit(daily="100"), "must be Money or None"),  # type: ignore[arg-type]
        (lambda: LimitSchedule(()), "at least one tier"),
        (lambda: LimitSchedule((TierLimits("a"), TierLimits("a"))), "appears twice"),
        (lambda: TierLimits(""), "non-empty name"),
        (lambda: TierLimits("a", balance_cap=Money.of("-1")), "balance cap must be non-negative"),
        (
            lambda: TierLimits("a", methods={ONLINE: Limit()}, disallowed={ONLINE}),
            "both limited and disallowed",
        ),
        (
            lambda: LimitSchedule((TierLimits("a", Limit.of(daily="1", currency="USD")),)),
            "uses ['USD'] in a CNY schedule",
        ),
        (
            lambda: LimitSchedule(
                (
                    TierLimits("low", Limit.of(daily="5000")),
                    TierLimits("high", Limit.of(daily="4000")),
                )
            ),
            "tier 'high' is stricter than the lower tier 'low': effective daily cap 4000.00 CNY < 5000.00 CNY",
        ),
        (
            lambda: LimitSchedule((TierLimits("low"), TierLimits("high", Limit.of(annual="1")))),
            "effective annual cap 1.00 CNY < unlimited",
        ),
        (
            lambda: LimitSchedule(
                (
                    TierLimits("low", Limit.of(daily="10")),
                    TierLimits("high", Limit.of(lifetime="5")),
                )
            ),
            "effective lifetime cap 5.00 CNY < unlimited",
        ),
        (
            lambda: LimitSchedule(
                (
                    TierLimits("low", balance_cap=Money.of("10")),
                    TierLimits("high", balance_cap=Money.of("5")),
                )
            ),
            "balance cap 5.00 CNY < 10.00 CNY",
        ),
        (
            lambda: LimitSchedule((TierLimits("low"), TierLimits("high", disallowed={ONLINE}))),
            "disallows ['online']",
        ),
        (
            lambda: LimitSchedule(
                (
                    TierLimits("low", methods={ONLINE: Limit.of(daily="10")}),
                    TierLimits("high", methods={ONLINE: Limit.of(daily="9")}),
                )
            ),
            "effective online daily cap 9.00 CNY < 10.00 CNY",
        ),
    ],
)
def test_inconsistent_schedules_are_refused_with_a_precise_message(
    build: object, message: str
) -> None:
    with pytest.raises(InvalidLimitScheduleError) as raised:
        build()  # type: ignore[operator]
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TierLimits("a", disallowed="withdrawal"), "not the string 'withdrawal'"),  # type: ignore[arg-type]
        (lambda: TierLimits("a", methods={"nfcc": Limit()}), "unknown payment method 'nfcc'"),  # type: ignore[dict-item]
        (lambda: TierLimits("a", methods={ONLINE: "500"}), "must be a Limit, not '500'"),  # type: ignore[dict-item]
        (lambda: TierLimits("a", methods=[ONLINE]), "must map PaymentMethod to Limit"),  # type: ignore[arg-type]
        (lambda: TierLimits("a", limit="500"), "limit must be a Limit"),  # type: ignore[arg-type]
        (lambda: TierLimits("a", balance_cap="500"), "balance cap must be non-negative Money"),  # type: ignore[arg-type]
        (lambda: LimitSchedule(TierLimits("x")), "must be a sequence of TierLimits"),  # type: ignore[arg-type]
        (lambda: LimitSchedule(("x",)), "every tier must be TierLimits"),  # type: ignore[arg-type]
        (
            lambda: LimitSchedule((TierLimits("x"),), zone="Asia/Shanghai"),  # type: ignore[arg-type]
            "must be a zoneinfo.ZoneInfo",
        ),
    ],
)
def test_mistyped_schedule_parts_are_refused_at_construction(build: object, message: str) -> None:
    with pytest.raises(
        (InvalidLimitScheduleError, UnknownPaymentMethodError), match=re.escape(message)
    ):
        build()  # type: ignore[operator]


def test_disallowed_methods_may_be_given_by_value() -> None:
    assert TierLimits("a", disallowed=["withdrawal"]).disallowed == {PaymentMethod.WITHDRAWAL}  # type: ignore[list-item]


def test_an_unknown_schedule_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrencyError):
        LimitSchedule((TierLimits("x"),), currency="XYZ")


def test_method_caps_are_compared_with_the_overall_cap_that_binds_them() -> None:
    # Lower tier: NFC 2,000 a day but only 1,000 overall, so NFC can really use 1,000.
    # Higher tier: NFC 1,500 under 5,000 overall is looser, not stricter.
    schedule = LimitSchedule(
        (
            TierLimits(
                "low", Limit.of(daily="1000"), methods={PaymentMethod.NFC: Limit.of(daily="2000")}
            ),
            TierLimits(
                "high", Limit.of(daily="5000"), methods={PaymentMethod.NFC: Limit.of(daily="1500")}
            ),
        )
    )
    assert schedule.tier_names == ("low", "high")
    with pytest.raises(
        InvalidLimitScheduleError, match=r"effective nfc daily cap 900\.00 CNY < 1000\.00 CNY"
    ):
        LimitSchedule(
            (
                TierLimits(
                    "low",
                    Limit.of(daily="1000"),
                    methods={PaymentMethod.NFC: Limit.of(daily="2000")},
                ),
                TierLimits(
                    "high",
                    Limit.of(daily="5000"),
                    methods={PaymentMethod.NFC: Limit.of(daily="900")},
                ),
            )
        )


def test_a_stricter_higher_tier_is_accepted_when_explicitly_allowed() -> None:
    schedule = LimitSchedule(
        (TierLimits("low", Limit.of(daily="5000")), TierLimits("high", Limit.of(daily="4000"))),
        allow_stricter_higher_tiers=True,
    )
    assert schedule.tier_names == ("low", "high")


def test_a_method_disallowed_below_may_be_limited_above() -> None:
    assert ECNY_2021.tier("WL02").method_limit(PaymentMethod.WITHDRAWAL).per_transaction == cny(
        "1000"
    )


def test_effective_caps_take_wider_windows_into_account() -> None:
    limit = Limit.of(per_transaction="500", daily="1000", lifetime="700")
    assert limit.effective_cap(LimitWindow.DAY) == cny("700")
    assert limit.effective_cap(LimitWindow.PER_TRANSACTION) == cny("500")
    assert Limit().effective_cap(LimitWindow.DAY) is None
    assert Limit().currency is None
    assert limit.currency == "CNY"


def test_the_default_ecny_schedule_caps_static_qr_codes_at_every_class() -> None:
    for plain, with_qr in zip(ECNY_2021.tiers, ECNY_2021_WITH_QR_CODES.tiers, strict=True):
        assert with_qr.methods[PaymentMethod.STATIC_QR] == QR_CODE_DAILY_LIMITS["D"]
        assert (with_qr.name, with_qr.limit, with_qr.balance_cap) == (
            plain.name,
            plain.limit,
            plain.balance_cap,
        )
        assert with_qr.disallowed == plain.disallowed
