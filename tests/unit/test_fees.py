from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from icbc_wallet.domain.calendar import (
    DEFAULT_BUSINESS_ZONE,
    FixedHolidays,
    HolidayCalendar,
    NoHolidays,
)
from icbc_wallet.domain.fee_quotes import FeeLine, FeeQuote
from icbc_wallet.domain.fee_rules import FeeBracket, FeeCharging, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.rounding import Rounding
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidFeeScheduleError,
    NaiveDatetimeError,
    UnknownOperationError,
    WalletError,
)
from icbc_wallet.presets.fees import (
    ALIPAY_CREDIT_CARD_REPAYMENT_2019,
    ALIPAY_WITHDRAWAL_2016,
    ALL_FEE_PRESETS,
    BIG_FIVE_TRANSFERS_2016,
    ECNY_TRANSFERS,
    FOREIGN_CARD_PAYMENTS,
    WECHAT_CREDIT_CARD_REPAYMENT_2018,
    WECHAT_WITHDRAWAL_2016,
)

NOON = datetime(2026, 5, 6, 12, tzinfo=DEFAULT_BUSINESS_ZONE)
NATIONAL_DAY = datetime(2026, 10, 1, tzinfo=DEFAULT_BUSINESS_ZONE)
WITHDRAWAL = OperationKind.WITHDRAWAL
TRANSFER = OperationKind.TRANSFER
PAYMENT = OperationKind.PAYMENT
REPAYMENT = OperationKind.CREDIT_CARD_REPAYMENT


def cny(amount: str | int) -> Money:
    return Money.of(amount)


def fee_of(
    schedule: FeeSchedule,
    kind: OperationKind,
    amount: str | int,
    *,
    used: str | int | None = None,
    channel: Channel | None = None,
    now: datetime = NOON,
) -> str:
    quote = schedule.quote(
        kind,
        cny(amount),
        now=now,
        channel=channel,
        quota_used=None if used is None else cny(used),
    )
    return str(quote.fee.amount)


def one_rule(rule: FeeRule, *waivers: Waiver) -> FeeSchedule:
    return FeeSchedule([rule], waivers)


WITHDRAWAL_RULE = FeeRule.percentage(
    WITHDRAWAL,
    "0.001",
    minimum=cny("0.10"),
    maximum=cny(25),
    quota=FreeQuota(cny(1000), QuotaPeriod.LIFETIME),
    name="withdrawal",
)


# -- presets: the documented numbers ----------------------------------------------------------


def test_wechat_withdrawal_of_2000_with_1000_quota_left_costs_1_and_debits_2001() -> None:
    quote = WECHAT_WITHDRAWAL_2016.quote(WITHDRAWAL, cny(2000), now=NOON, quota_used=cny(0))
    assert quote.fee == cny("1.00")
    assert quote.total_debit == cny("2001.00")
    assert quote.net_amount == cny(2000)
    assert quote.quota_consumed == cny(1000)
    assert quote.quota_remaining == cny(0)
    assert quote.charging is FeeCharging.ON_TOP


def test_wechat_withdrawal_inside_the_quota_is_free_and_consumes_it_in_part() -> None:
    quote = WECHAT_WITHDRAWAL_2016.quote(WITHDRAWAL, cny(300), now=NOON, quota_used=cny(500))
    assert quote.fee == cny(0)
    assert quote.quota_consumed == cny(300)
    assert quote.quota_remaining == cny(200)


def test_wechat_withdrawal_after_the_quota_pays_the_minimum_of_ten_fen() -> None:
    assert fee_of(WECHAT_WITHDRAWAL_2016, WITHDRAWAL, 50, used=1000) == "0.10"
    assert fee_of(WECHAT_WITHDRAWAL_2016, WITHDRAWAL, 1000, used=1000) == "1.00"


def test_alipay_withdrawal_is_free_up_to_20000_then_costs_a_tenth_of_a_percent() -> None:
    assert fee_of(ALIPAY_WITHDRAWAL_2016, WITHDRAWAL, 20_000) == "0.00"
    assert fee_of(ALIPAY_WITHDRAWAL_2016, WITHDRAWAL, 30_000) == "10.00"
    assert fee_of(ALIPAY_WITHDRAWAL_2016, WITHDRAWAL, 50, used=20_000) == "0.10"


def test_alipay_credit_card_repayment_is_free_for_2000_a_month_then_a_tenth_of_a_percent() -> None:
    assert fee_of(ALIPAY_CREDIT_CARD_REPAYMENT_2019, REPAYMENT, 2000) == "0.00"
    assert fee_of(ALIPAY_CREDIT_CARD_REPAYMENT_2019, REPAYMENT, 3000) == "1.00"
    assert fee_of(ALIPAY_CREDIT_CARD_REPAYMENT_2019, REPAYMENT, 1000, used=2000) == "1.00"
    rule = ALIPAY_CREDIT_CARD_REPAYMENT_2019.rule_for(REPAYMENT)
    assert rule is not None
    assert rule.quota == FreeQuota(cny(2000), QuotaPeriod.MONTH)


def test_wechat_credit_card_repayment_costs_a_tenth_of_a_percent_of_every_repayment() -> None:
    assert fee_of(WECHAT_CREDIT_CARD_REPAYMENT_2018, REPAYMENT, 1000) == "1.00"
    assert fee_of(WECHAT_CREDIT_CARD_REPAYMENT_2018, REPAYMENT, "4.99") == "0.00"
    assert fee_of(WECHAT_CREDIT_CARD_REPAYMENT_2018, REPAYMENT, "5.00") == "0.01"


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        ("5000", "0.00"),
        ("5000.01", "5.00"),
        ("10000", "5.00"),
        ("10000.01", "7.50"),
        ("50000", "7.50"),
        ("50000.01", "7.50"),
        ("100000", "15.00"),
        ("166666.67", "25.00"),
        ("1000000", "25.00"),
    ],
)
def test_big_five_online_banking_transfers_follow_the_old_icbc_tiers(amount: str, fee: str) -> None:
    assert fee_of(BIG_FIVE_TRANSFERS_2016, TRANSFER, amount, channel=Channel.PC) == fee


def test_big_five_mobile_banking_transfers_are_free_at_any_amount() -> None:
    assert fee_of(BIG_FIVE_TRANSFERS_2016, TRANSFER, 1_000_000, channel=Channel.MOBILE) == "0.00"


def test_big_five_transfers_on_other_channels_have_no_rule_and_are_free() -> None:
    quote = BIG_FIVE_TRANSFERS_2016.quote(TRANSFER, cny(60_000), now=NOON, channel=Channel.TABLET)
    assert quote.fee == cny(0)
    assert quote.rule is None
    assert [line.label for line in quote.lines] == ["no rule"]


def test_big_five_online_banking_caps_the_fee_at_25() -> None:
    quote = BIG_FIVE_TRANSFERS_2016.quote(TRANSFER, cny(200_000), now=NOON, channel=Channel.PC)
    assert (quote.gross, quote.fee, quote.clamp) == (cny(30), cny(25), "maximum")


@pytest.mark.parametrize(
    ("amount", "fee"), [("200", "0.00"), ("200.01", "6.00"), ("1000", "30.00")]
)
def test_foreign_cards_pay_nothing_up_to_200_then_3_percent_of_the_whole_amount(
    amount: str, fee: str
) -> None:
    assert fee_of(FOREIGN_CARD_PAYMENTS, PAYMENT, amount) == fee


def test_ecny_transfers_are_free_by_an_explicit_rule() -> None:
    quote = ECNY_TRANSFERS.quote(TRANSFER, cny(100_000), now=NOON, channel=Channel.MOBILE)
    assert quote.fee == cny(0)
    assert quote.rule is not None
    assert [line.label for line in quote.lines] == ["gross"]


def test_all_fee_presets_are_listed_by_their_schedule_names_read_only() -> None:
    assert len(ALL_FEE_PRESETS) == 7
    assert ALL_FEE_PRESETS["wechat_withdrawal_2016"] is WECHAT_WITHDRAWAL_2016
    assert all(name == schedule.name for name, schedule in ALL_FEE_PRESETS.items())
    with pytest.raises(TypeError):
        ALL_FEE_PRESETS["mine"] = ECNY_TRANSFERS  # type: ignore[index]


# -- rule lookup --------------------------------------------------------------------------------


CHANNELS = FeeSchedule(
    [
        FeeRule.flat(TRANSFER, cny(1), name="any channel"),
        FeeRule.flat(TRANSFER, cny(2), channel=Channel.PC, name="pc"),
    ]
)


def test_a_rule_for_the_exact_channel_wins_over_the_channel_less_rule() -> None:
    assert fee_of(CHANNELS, TRANSFER, 100, channel=Channel.PC) == "2.00"


def test_a_channel_without_its_own_rule_falls_back_to_the_channel_less_rule() -> None:
    assert fee_of(CHANNELS, TRANSFER, 100, channel=Channel.MOBILE) == "1.00"
    assert fee_of(CHANNELS, TRANSFER, 100) == "1.00"
    pc_rule = CHANNELS.rule_for(TRANSFER, Channel.PC)
    assert pc_rule is not None
    assert pc_rule.name == "pc"


def test_a_kind_without_any_rule_is_free_and_says_so() -> None:
    quote = CHANNELS.quote(WITHDRAWAL, cny(100), now=NOON, channel=Channel.PC)
    assert quote.fee == cny(0)
    assert CHANNELS.rule_for(WITHDRAWAL) is None
    assert quote.lines == (FeeLine("no rule", cny(0), "no fee rule for withdrawal on pc: free"),)


def test_enum_values_given_as_plain_strings_are_normalised() -> None:
    quote = CHANNELS.quote("transfer", cny(100), now=NOON, channel="pc")  # type: ignore[arg-type]
    assert (quote.kind, quote.channel, quote.fee) == (TRANSFER, Channel.PC, cny(2))
    assert quote.kind is TRANSFER
    assert quote.channel is Channel.PC


def test_an_unknown_operation_kind_or_channel_is_refused() -> None:
    with pytest.raises(UnknownOperationError, match="unknown operation kind 'teleport'"):
        CHANNELS.quote("teleport", cny(100), now=NOON)  # type: ignore[arg-type]
    with pytest.raises(UnknownOperationError, match="unknown channel 'fax'"):
        CHANNELS.quote(TRANSFER, cny(100), now=NOON, channel="fax")  # type: ignore[arg-type]


def test_amounts_that_are_not_money_are_refused() -> None:
    with pytest.raises(AmountTypeError):
        CHANNELS.quote(TRANSFER, 100, now=NOON)  # type: ignore[arg-type]
    with pytest.raises(AmountTypeError):
        CHANNELS.quote(TRANSFER, cny(100), now=NOON, quota_used=5)  # type: ignore[arg-type]


# -- quoting: inputs ----------------------------------------------------------------------------


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match=r"now .* has no timezone"):
        CHANNELS.quote(TRANSFER, cny(100), now=datetime(2026, 5, 6, 12))


def test_a_now_that_is_not_a_datetime_is_refused() -> None:
    with pytest.raises(TypeError, match="now must be a datetime, not date"):
        CHANNELS.quote(TRANSFER, cny(100), now=NOON.date())  # type: ignore[arg-type]


def test_a_now_with_an_unusual_aware_tzinfo_is_accepted() -> None:
    class Beijing(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            return timedelta(hours=8)

        def dst(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

        def tzname(self, dt: datetime | None) -> str:
            return "CST"

    quote = CHANNELS.quote(TRANSFER, cny(100), now=NOON.replace(tzinfo=Beijing()))
    assert quote.fee == cny(1)


def test_a_now_in_any_zone_is_accepted() -> None:
    quote = CHANNELS.quote(TRANSFER, cny(100), now=NOON.astimezone(UTC))
    assert quote.fee == cny(1)


def test_an_amount_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="in CNY"):
        CHANNELS.quote(TRANSFER, Money.of(100, "USD"), now=NOON)


def test_quota_used_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="in CNY"):
        one_rule(WITHDRAWAL_RULE).quote(
            WITHDRAWAL, cny(100), now=NOON, quota_used=Money.of(1, "USD")
        )


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_a_fee_is_only_quoted_on_a_positive_amount(amount: str) -> None:
    with pytest.raises(InvalidAmountError, match="positive amounts"):
        CHANNELS.quote(TRANSFER, cny(amount), now=NOON)


def test_negative_quota_used_is_refused() -> None:
    with pytest.raises(InvalidAmountError, match="quota_used must not be negative"):
        one_rule(WITHDRAWAL_RULE).quote(WITHDRAWAL, cny(1), now=NOON, quota_used=cny(-1))


def test_quota_used_beyond_the_quota_leaves_nothing_free() -> None:
    quote = one_rule(WITHDRAWAL_RULE).quote(WITHDRAWAL, cny(1000), now=NOON, quota_used=cny(5000))
    assert (quote.quota_consumed, quote.quota_remaining, quote.fee) == (cny(0), cny(0), cny(1))


def test_a_rule_without_quota_reports_no_remaining_quota() -> None:
    quote = CHANNELS.quote(TRANSFER, cny(100), now=NOON)
    assert quote.quota_remaining is None
    assert quote.quota_consumed == cny(0)


# -- rules: brackets, rounding, charging ------------------------------------------------------


def test_the_bracket_containing_the_chargeable_amount_prices_all_of_it() -> None:
    rule = FeeRule(
        PAYMENT,
        [FeeBracket(cny(100), cny(1)), FeeBracket(None, cny(0), "0.02")],
        quota=FreeQuota(cny(50)),
    )
    # 150 with 50 free: 100 chargeable, inside the first bracket (up_to is inclusive).
    assert fee_of(one_rule(rule), PAYMENT, 150) == "1.00"
    assert fee_of(one_rule(rule), PAYMENT, "150.01") == "2.00"


def test_rounding_is_the_rules_own_and_half_up_by_default() -> None:
    half_up = FeeRule.percentage(PAYMENT, "0.005")
    up = FeeRule.percentage(PAYMENT, "0.001", rounding=Rounding.UP)
    half_even = FeeRule.percentage(PAYMENT, "0.005", rounding=Rounding.HALF_EVEN)
    assert fee_of(one_rule(half_up), PAYMENT, 1) == "0.01"  # 0.005 -> 0.01
    assert fee_of(one_rule(up), PAYMENT, "0.01") == "0.01"  # 0.00001 -> 0.01
    assert fee_of(one_rule(half_even), PAYMENT, 1) == "0.00"  # 0.005 -> 0.00


def test_a_deducted_fee_comes_out_of_what_the_receiver_gets() -> None:
    rule = FeeRule.percentage(TRANSFER, "0.01", charging=FeeCharging.DEDUCTED)
    quote = one_rule(rule).quote(TRANSFER, cny(500), now=NOON)
    assert (quote.fee, quote.total_debit, quote.net_amount) == (cny(5), cny(500), cny(495))


def test_a_flat_rule_charges_the_same_fee_whenever_something_is_chargeable() -> None:
    rule = FeeRule.flat(TRANSFER, cny(2), quota=FreeQuota(cny(100), QuotaPeriod.DAY))
    assert fee_of(one_rule(rule), TRANSFER, 100) == "0.00"
    assert fee_of(one_rule(rule), TRANSFER, "100.01") == "2.00"
    assert fee_of(one_rule(rule), TRANSFER, 1_000_000) == "2.00"


def test_a_rule_accepts_decimal_constants_and_enum_values_as_plain_strings() -> None:
    rule = FeeRule.percentage(
        PAYMENT,
        "0.001",
        channel="pc",  # type: ignore[arg-type]
        rounding="ROUND_UP",  # type: ignore[arg-type]
        charging="deducted",  # type: ignore[arg-type]
    )
    assert (rule.channel, rule.rounding, rule.charging) == (
        Channel.PC,
        Rounding.UP,
        FeeCharging.DEDUCTED,
    )
    assert rule.rounding is Rounding.UP
    assert fee_of(one_rule(rule), PAYMENT, "0.01", channel=Channel.PC) == "0.01"


def test_an_unknown_rounding_is_refused() -> None:
    with pytest.raises(InvalidFeeScheduleError, match="unknown rounding 'ROUND_05UP'"):
        FeeRule.percentage(PAYMENT, "0.001", rounding="ROUND_05UP")  # type: ignore[arg-type]


def test_a_rule_is_labelled_by_its_name_or_its_kind_and_channel() -> None:
    assert FeeRule.free(TRANSFER, channel=Channel.PC).label == "transfer/pc"
    assert FeeRule.free(TRANSFER).label == "transfer/any channel"
    assert FeeRule.free(TRANSFER, name="e-CNY").label == "e-CNY"


# -- validation ---------------------------------------------------------------------------------


def bracket_rule(
    *brackets: FeeBracket, minimum: Money | None = None, maximum: Money | None = None
) -> FeeRule:
    return FeeRule(TRANSFER, brackets, name="tiers", minimum=minimum, maximum=maximum)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: FeeBracket(None, cny("-1")), "a flat fee must not be negative, not -1.00 CNY"),
        (lambda: FeeBracket(None, cny(0), "-0.01"), r"a rate is a fraction in \[0, 1\], not -0.01"),
        (lambda: FeeBracket(None, cny(0), 3), r"a rate is a fraction in \[0, 1\], not 3"),
        (lambda: FeeBracket(None, cny(0), 0.1), "float cannot represent money exactly"),  # type: ignore[arg-type]
        (lambda: FeeBracket(cny(0), cny(0)), "a bracket's up_to must be positive, not 0.00 CNY"),
        (lambda: FreeQuota(cny(0)), "a free quota must be positive, not 0.00 CNY"),
        (bracket_rule, "fee rule tiers has no brackets"),
        (
            lambda: bracket_rule(FeeBracket(None, cny(1)), minimum=cny(2), maximum=cny(1)),
            "fee rule tiers: minimum 2.00 CNY is above maximum 1.00 CNY",
        ),
        (
            lambda: bracket_rule(FeeBracket(None, cny(1)), minimum=cny(-1)),
            "fee rule tiers: -1.00 CNY must not be negative",
        ),
        (
            lambda: bracket_rule(FeeBracket(None, cny(1)), maximum=Money.of(1, "USD")),
            "fee rule tiers mixes CNY and 1.00 USD",
        ),
        (
            lambda: bracket_rule(
                FeeBracket(cny(10), cny(1)), FeeBracket(cny(10), cny(1)), FeeBracket(None, cny(1))
            ),
            "bracket ends must strictly increase, not 10.00 CNY then 10.00 CNY",
        ),
        (
            lambda: bracket_rule(FeeBracket(None, cny(1)), FeeBracket(cny(10), cny(1))),
            "the last bracket, and only it, must be open-ended",
        ),
        (
            lambda: bracket_rule(FeeBracket(cny(10), cny(1))),
            "the last bracket, and only it, must be open-ended",
        ),
        (
            lambda: bracket_rule(FeeBracket(cny(10), cny(5)), FeeBracket(None, cny(1))),
            "the fee is 5.00 CNY at 10.00 CNY but 1.00 CNY just above it",
        ),
    ],
)
def test_inconsistent_rules_are_refused_with_a_precise_message(build: object, message: str) -> None:
    assert callable(build)
    with pytest.raises(InvalidFeeScheduleError, match=message):
        build()


def test_a_drop_hidden_by_the_maximum_is_refused_because_a_promotion_would_reveal_it() -> None:
    with pytest.raises(InvalidFeeScheduleError, match="a promotion can undercut"):
        bracket_rule(
            FeeBracket(cny(100), cny(0), "0.2"), FeeBracket(None, cny(0), "0.11"), maximum=cny(10)
        )


def test_a_drop_hidden_by_the_minimum_is_allowed() -> None:
    rule = bracket_rule(
        FeeBracket(cny(100), cny(1)), FeeBracket(None, cny(0), "0.001"), minimum=cny(1)
    )
    assert fee_of(one_rule(rule), TRANSFER, "100.01") == "1.00"


def test_validation_errors_are_wallet_errors_and_value_errors() -> None:
    with pytest.raises(WalletError):
        FreeQuota(cny(0))
    with pytest.raises(ValueError, match="free quota"):
        FreeQuota(cny(0))


def test_a_schedule_has_one_rule_per_kind_and_channel() -> None:
    with pytest.raises(InvalidFeeScheduleError, match="both price transfer on pc"):
        FeeSchedule([FeeRule.free(TRANSFER, channel=Channel.PC, name="a"),
                     FeeRule.flat(TRANSFER, cny(1), channel=Channel.PC, name="b")])  # fmt: skip


def test_a_schedule_refuses_a_rule_in_another_currency() -> None:
    with pytest.raises(InvalidFeeScheduleError, match="is in USD, the schedule in CNY"):
        FeeSchedule([FeeRule.free(TRANSFER, currency="USD")])


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Waiver("w", starts=NOON, ends=NOON), InvalidFeeScheduleError, "end after"),
        (lambda: Waiver("w", kinds=[]), InvalidFeeScheduleError, "use kinds=None"),
        (lambda: Waiver.promotion("w", 0), InvalidFeeScheduleError, "discount must be above 0"),
        (lambda: Waiver.promotion("w", "1.5"), InvalidFeeScheduleError, "at most 1, not 1.5"),
        (
            lambda: Waiver("w", starts=datetime(2026, 10, 1)),
            NaiveDatetimeError,
            "waiver 'w' starts",
        ),
        (
            lambda: Waiver.full("w", ends=datetime(2026, 10, 8)),
            NaiveDatetimeError,
            "waiver 'w' ends",
        ),
    ],
)
def test_malformed_waivers_are_refused(build: object, error: type[Exception], message: str) -> None:
    assert callable(build)
    with pytest.raises(error, match=message):
        build()


# -- waivers and promotions ---------------------------------------------------------------------

GOLDEN_WEEK = Waiver.full(
    "Golden Week", starts=NATIONAL_DAY, ends=NATIONAL_DAY + timedelta(days=7), kinds=[WITHDRAWAL]
)
AFTER_QUOTA = cny(1000)
NO_HOLIDAYS = NoHolidays()
TICK = timedelta(microseconds=1)


def waived(
    schedule: FeeSchedule,
    now: datetime,
    calendar: HolidayCalendar = NO_HOLIDAYS,
    zone: ZoneInfo = DEFAULT_BUSINESS_ZONE,
) -> bool:
    quote = schedule.quote(
        WITHDRAWAL, cny(5000), now=now, quota_used=AFTER_QUOTA, calendar=calendar, zone=zone
    )
    return quote.fee.is_zero()


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (NATIONAL_DAY - TICK, False),
        (NATIONAL_DAY, True),  # starts is inclusive
        (NATIONAL_DAY + timedelta(days=7) - TICK, True),
        (NATIONAL_DAY + timedelta(days=7), False),  # ends is exclusive
        (datetime(2026, 9, 30, 16, tzinfo=UTC), True),  # the same instant as NATIONAL_DAY
        (datetime(2026, 9, 30, 15, 59, tzinfo=UTC), False),
    ],
)
def test_a_waiver_applies_from_its_start_inclusive_to_its_end_exclusive(
    now: datetime, expected: bool
) -> None:
    assert waived(one_rule(WITHDRAWAL_RULE, GOLDEN_WEEK), now) is expected


def test_a_waiver_applies_only_to_its_kinds() -> None:
    rule = FeeRule.flat(TRANSFER, cny(1))
    quote = one_rule(rule, GOLDEN_WEEK).quote(TRANSFER, cny(100), now=NATIONAL_DAY)
    assert (quote.fee, quote.waiver) == (cny(1), None)


def test_a_full_waiver_gives_exactly_zero_despite_the_minimum() -> None:
    quote = one_rule(WITHDRAWAL_RULE, GOLDEN_WEEK).quote(
        WITHDRAWAL, cny(10), now=NATIONAL_DAY, quota_used=AFTER_QUOTA
    )
    assert (quote.fee, quote.gross, quote.clamp) == (cny(0), cny("0.01"), None)
    assert quote.waiver is GOLDEN_WEEK
    assert quote.total_debit == cny(10)


def test_a_holiday_only_waiver_follows_the_calendar_in_the_business_zone() -> None:
    waiver = Waiver.full("holidays", holidays_only=True)
    schedule = one_rule(WITHDRAWAL_RULE, waiver)
    calendar = FixedHolidays.of([NATIONAL_DAY.date()])
    assert not waived(schedule, NATIONAL_DAY)  # NoHolidays by default
    assert waived(schedule, NATIONAL_DAY, calendar=calendar)
    # 2026-09-30T16:30Z is 00:30 on 1 October in Shanghai, but still 30 September in UTC.
    late_utc = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    assert waived(schedule, late_utc, calendar=calendar)
    assert not waived(schedule, late_utc, calendar=calendar, zone=ZoneInfo("UTC"))


def test_a_promotion_reduces_the_fee_but_keeps_the_minimum() -> None:
    half = Waiver.promotion("half price", "0.5")
    schedule = one_rule(WITHDRAWAL_RULE, half)
    big = schedule.quote(WITHDRAWAL, cny(3000), now=NOON, quota_used=AFTER_QUOTA)
    small = schedule.quote(WITHDRAWAL, cny(100), now=NOON, quota_used=AFTER_QUOTA)
    assert (big.gross, big.fee, big.clamp) == (cny(3), cny("1.50"), None)
    assert (small.gross, small.fee, small.clamp) == (cny("0.10"), cny("0.10"), "minimum")
    assert big.waiver is half


def test_a_promotion_applies_before_the_maximum() -> None:
    half = Waiver.promotion("half price", "0.5")
    quote = one_rule(WITHDRAWAL_RULE, half).quote(
        WITHDRAWAL, cny(40_000), now=NOON, quota_used=AFTER_QUOTA
    )
    assert (quote.gross, quote.fee, quote.clamp) == (cny(40), cny(20), None)


def test_the_largest_discount_wins_when_several_waivers_apply() -> None:
    small, large = Waiver.promotion("10% off", "0.1"), Waiver.promotion("30% off", "0.3")
    quote = one_rule(WITHDRAWAL_RULE, small, large).quote(
        WITHDRAWAL, cny(10_000), now=NOON, quota_used=AFTER_QUOTA
    )
    assert (quote.gross, quote.fee, quote.waiver) == (cny(10), cny(7), large)
    full = one_rule(WITHDRAWAL_RULE, small, GOLDEN_WEEK).quote(
        WITHDRAWAL, cny(11_000), now=NATIONAL_DAY, quota_used=AFTER_QUOTA
    )
    assert (full.fee, full.waiver) == (cny(0), GOLDEN_WEEK)


def test_among_equal_discounts_the_first_listed_waiver_wins() -> None:
    first, second = Waiver.full("first"), Waiver.full("second")
    quote = one_rule(WITHDRAWAL_RULE, first, second).quote(
        WITHDRAWAL, cny(5000), now=NOON, quota_used=AFTER_QUOTA
    )
    assert quote.waiver is first


# -- explanations -------------------------------------------------------------------------------


def test_lines_explain_quota_gross_promotion_and_minimum_in_order() -> None:
    promotion = Waiver.promotion("Spring sale", "0.8")
    quote = one_rule(WITHDRAWAL_RULE, promotion).quote(
        WITHDRAWAL, cny("500.50"), now=NOON, quota_used=cny(800)
    )
    assert quote.lines == (
        FeeLine(
            "free quota",
            cny(200),
            "200.00 of the lifetime quota of 1000.00 used, 0.00 left; 300.50 of 500.50 chargeable",
        ),
        FeeLine("gross", cny("0.30"), "0.1% of 300.50 = 0.3005, rounded half_up to 0.30"),
        FeeLine("promotion", cny("-0.24"), "Spring sale: 80% off 0.30 leaves 0.06"),
        FeeLine("minimum", cny("0.04"), "the rule's minimum of 0.10"),
    )


def test_lines_add_up_to_the_fee_after_the_quota_line() -> None:
    quote = BIG_FIVE_TRANSFERS_2016.quote(TRANSFER, cny(400_000), now=NOON, channel=Channel.PC)
    fee_lines = [line.amount.minor for line in quote.lines if line.label != "free quota"]
    assert sum(fee_lines) == quote.fee_minor == 2500
    assert [line.label for line in quote.lines] == ["gross", "maximum"]
    assert quote.lines[0].detail == "0.015% of 400000.00 = 60.00 (bracket 4 of 4)"


def test_lines_say_when_the_quota_covers_everything_and_name_a_full_waiver() -> None:
    covered = one_rule(WITHDRAWAL_RULE).quote(WITHDRAWAL, cny(10), now=NOON)
    assert covered.lines[-1] == FeeLine(
        "gross", cny(0), "nothing chargeable: the free quota covers the amount"
    )
    waived_quote = one_rule(WITHDRAWAL_RULE, GOLDEN_WEEK).quote(
        WITHDRAWAL, cny(2000), now=NATIONAL_DAY
    )
    assert waived_quote.lines[-1] == FeeLine("waiver", cny(-1), "Golden Week: the fee is waived")


def test_a_flat_bracket_is_explained_as_a_flat_fee() -> None:
    quote = BIG_FIVE_TRANSFERS_2016.quote(TRANSFER, cny(6000), now=NOON, channel=Channel.PC)
    assert quote.lines == (FeeLine("gross", cny(5), "flat fee (bracket 2 of 4)"),)


def test_a_flat_plus_rate_bracket_shows_both_terms() -> None:
    rule = FeeRule(PAYMENT, [FeeBracket(None, cny(2), "0.01")])
    quote = one_rule(rule).quote(PAYMENT, cny(100), now=NOON)
    assert quote.lines[0].detail == "2.00 + 1% of 100.00 = 3.00"


# -- the quote value ----------------------------------------------------------------------------


def test_a_quote_keeps_minor_units_and_offers_money_views() -> None:
    quote = one_rule(WITHDRAWAL_RULE).quote(WITHDRAWAL, cny(1500), now=NOON, quota_used=cny(0))
    assert (quote.amount_minor, quote.quota_consumed_minor, quote.quota_remaining_minor) == (
        150_000,
        100_000,
        0,
    )
    assert (quote.gross_minor, quote.fee_minor, quote.currency) == (50, 50, "CNY")
    assert quote.chargeable == cny(500)
    assert quote.rule is WITHDRAWAL_RULE


def test_equal_inputs_give_equal_hashable_quotes_with_a_short_repr() -> None:
    schedule = one_rule(WITHDRAWAL_RULE)
    first = schedule.quote(WITHDRAWAL, cny(1500), now=NOON)
    second = schedule.quote(WITHDRAWAL, cny(1500), now=NOON)
    assert first == second
    assert hash(first) == hash(second)
    assert isinstance(first, FeeQuote)
    assert repr(first) == (
        "FeeQuote(withdrawal, None, amount=1500.00 CNY, fee=0.50 CNY, rule='withdrawal', "
        "waiver=None)"
    )


def test_a_quote_without_a_rule_is_charged_on_top_of_nothing() -> None:
    quote = CHANNELS.quote(PAYMENT, cny(10), now=NOON)
    assert quote.charging is FeeCharging.ON_TOP
    assert quote.total_debit == cny(10)


# -- quota periods ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "in_shanghai", "in_utc"),
    [
        (QuotaPeriod.LIFETIME, "lifetime", "lifetime"),
        (QuotaPeriod.DAY, "2027-01-01", "2026-12-31"),
        (QuotaPeriod.MONTH, "2027-01", "2026-12"),
        (QuotaPeriod.YEAR, "2027", "2026"),
    ],
)
def test_a_quota_period_key_is_counted_in_the_business_zone(
    period: QuotaPeriod, in_shanghai: str, in_utc: str
) -> None:
    moment = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January 2027 in Shanghai
    assert period.key(moment) == in_shanghai
    assert period.key(moment, ZoneInfo("UTC")) == in_utc


@pytest.mark.parametrize("period", [QuotaPeriod.DAY, QuotaPeriod.MONTH, QuotaPeriod.YEAR])
def test_a_periodic_quota_resets_at_midnight_in_the_business_zone(period: QuotaPeriod) -> None:
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=DEFAULT_BUSINESS_ZONE)
    reset = period.resets_at(moment)
    assert reset == datetime(2027, 1, 1, tzinfo=DEFAULT_BUSINESS_ZONE)
    assert reset is not None
    assert period.key(reset) != period.key(reset - TICK)


def test_a_lifetime_quota_never_resets() -> None:
    assert QuotaPeriod.LIFETIME.resets_at(NOON) is None


def test_a_monthly_quota_resets_on_the_first_of_the_next_month() -> None:
    reset = QuotaPeriod.MONTH.resets_at(NOON)
    assert reset == datetime(2026, 6, 1, tzinfo=DEFAULT_BUSINESS_ZONE)
    assert QuotaPeriod.MONTH.key(reset) != QuotaPeriod.MONTH.key(reset - TICK)


def test_a_quota_period_key_refuses_a_naive_moment() -> None:
    with pytest.raises(NaiveDatetimeError):
        QuotaPeriod.DAY.key(datetime(2026, 1, 1))


def test_rates_and_discounts_may_be_given_as_decimal_int_or_str() -> None:
    assert FeeBracket(None, cny(0), Decimal("0.5")).rate == FeeBracket(None, cny(0), "0.5").rate
    assert FeeBracket(None, cny(0), 1).rate == Decimal(1)
    assert Waiver.promotion("p", Decimal("0.25")).discount == Decimal("0.25")
    assert Waiver.full("w").is_full
    assert not Waiver.promotion("p", "0.25").is_full
