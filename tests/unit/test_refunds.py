"""Examples for refund windows (domain), the refund check (policy) and the refund presets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE
from icbc_wallet.domain.decisions import Approved, Declined, DeclineReason
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refunds import MAX_REFUND_WINDOW_DAYS, RefundCounting, RefundWindow
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidDatetimeError,
    InvalidRefundWindowError,
    NaiveDatetimeError,
    WalletError,
)
from icbc_wallet.policies.refunds import MAX_CLOCK_SKEW, check_refund, refundable
from icbc_wallet.presets.refunds import ARTICLE_REFUND_WINDOW, NO_REASON_RETURN_7_DAYS

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")

FROM_TRANSACTION = RefundCounting.FROM_TRANSACTION
FROM_NEXT_DAY = RefundCounting.FROM_NEXT_DAY

PAID = datetime(2026, 5, 1, 10, 0, tzinfo=SHANGHAI)


def cst(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    *,
    second: int = 0,
    micro: int = 0,
) -> datetime:
    """A Shanghai wall-clock instant."""
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=SHANGHAI)


def cny(amount: str) -> Money:
    return Money.of(amount)


def check(
    *,
    captured: str = "100.00",
    refunded: str = "0.00",
    requested: str = "10.00",
    now: datetime = PAID + timedelta(days=1),
    window: RefundWindow = ARTICLE_REFUND_WINDOW,
) -> Approved | Declined:
    return check_refund(
        window,
        transacted_at=PAID,
        captured=cny(captured),
        refunded=cny(refunded),
        requested=cny(requested),
        now=now,
    )


# -- the window ------------------------------------------------------------------------------------


def test_a_default_window_is_seven_days_from_the_transaction_in_shanghai() -> None:
    window = RefundWindow()
    assert (window.days, window.counting, window.zone) == (7, FROM_TRANSACTION, SHANGHAI)
    assert window.zone is DEFAULT_BUSINESS_ZONE


def test_countings_have_stable_codes() -> None:
    assert [counting.value for counting in RefundCounting] == ["from_transaction", "from_next_day"]


def test_a_window_is_a_frozen_value() -> None:
    window = RefundWindow(days=7)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        window.days = 8  # type: ignore[misc]
    assert window == RefundWindow()
    assert hash(window) == hash(RefundWindow())


@pytest.mark.parametrize(
    ("counting", "expected"),
    [(FROM_TRANSACTION, cst(2026, 5, 8, 10)), (FROM_NEXT_DAY, cst(2026, 5, 9))],
)
def test_the_deadline_of_a_seven_day_window(counting: RefundCounting, expected: datetime) -> None:
    deadline = RefundWindow(days=7, counting=counting).deadline(PAID)
    assert deadline.isoformat() == expected.isoformat()
    assert deadline.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    ("transacted_at", "days", "from_transaction", "from_next_day"),
    [
        # month end, 31-day month
        (cst(2026, 1, 28, 15, 45), 7, cst(2026, 2, 4, 15, 45), cst(2026, 2, 5)),
        (cst(2026, 3, 31, 9), 1, cst(2026, 4, 1, 9), cst(2026, 4, 2)),
        # February in a common year and in a leap year
        (cst(2026, 2, 25, 12), 7, cst(2026, 3, 4, 12), cst(2026, 3, 5)),
        (cst(2028, 2, 25, 12), 7, cst(2028, 3, 3, 12), cst(2028, 3, 4)),
        # year end
        (cst(2026, 12, 28, 21), 7, cst(2027, 1, 4, 21), cst(2027, 1, 5)),
        (cst(2026, 12, 31, 23, 59), 1, cst(2027, 1, 1, 23, 59), cst(2027, 1, 2)),
        # long windows
        (cst(2026, 5, 1, 10), 30, cst(2026, 5, 31, 10), cst(2026, 6, 1)),
        (cst(2026, 1, 1), 3650, cst(2035, 12, 30), cst(2035, 12, 31)),
    ],
)
def test_deadlines_cross_month_and_year_ends(
    transacted_at: datetime, days: int, from_transaction: datetime, from_next_day: datetime
) -> None:
    assert RefundWindow(days, FROM_TRANSACTION).deadline(transacted_at) == from_transaction
    assert RefundWindow(days, FROM_NEXT_DAY).deadline(transacted_at) == from_next_day


@pytest.mark.parametrize("clock", [time(0, 0), time(10, 0), time(23, 59, 59, 999_999)])
def test_from_next_day_ignores_the_time_of_day_of_the_transaction(clock: time) -> None:
    transacted_at = datetime.combine(date(2026, 5, 1), clock, tzinfo=SHANGHAI)
    assert RefundWindow(7, FROM_NEXT_DAY).deadline(transacted_at) == cst(2026, 5, 9)


@pytest.mark.parametrize(
    ("transacted_at", "from_transaction", "from_next_day"),
    [
        # 20:00 UTC is 04:00 the next day in Shanghai: the business day is 05-02.
        (
            datetime(2026, 5, 1, 20, tzinfo=UTC),
            "2026-05-09T04:00:00+08:00",
            "2026-05-10T00:00:00+08:00",
        ),
        # 15:59:59 UTC is still 05-01 in Shanghai; 16:00 UTC is already 05-02.
        (
            datetime(2026, 5, 1, 15, 59, 59, tzinfo=UTC),
            "2026-05-08T23:59:59+08:00",
            "2026-05-09T00:00:00+08:00",
        ),
        (
            datetime(2026, 5, 1, 16, 0, tzinfo=UTC),
            "2026-05-09T00:00:00+08:00",
            "2026-05-10T00:00:00+08:00",
        ),
        # New York noon (EDT, UTC-4) is 00:30 the next day in Shanghai.
        (
            datetime(2026, 5, 1, 12, 30, tzinfo=NEW_YORK),
            "2026-05-09T00:30:00+08:00",
            "2026-05-10T00:00:00+08:00",
        ),
        # a fixed offset east of Shanghai: 05-02 01:00 +09:00 is 05-02 00:00 in Shanghai
        (
            datetime(2026, 5, 2, 1, tzinfo=timezone(timedelta(hours=9))),
            "2026-05-09T00:00:00+08:00",
            "2026-05-10T00:00:00+08:00",
        ),
        # the last day of the year in UTC is the first of the next in Shanghai
        (
            datetime(2026, 12, 31, 17, tzinfo=UTC),
            "2027-01-08T01:00:00+08:00",
            "2027-01-09T00:00:00+08:00",
        ),
    ],
)
def test_instants_in_other_zones_are_counted_on_the_shanghai_business_day(
    transacted_at: datetime, from_transaction: str, from_next_day: str
) -> None:
    assert RefundWindow(7, FROM_TRANSACTION).deadline(transacted_at).isoformat() == from_transaction
    assert RefundWindow(7, FROM_NEXT_DAY).deadline(transacted_at).isoformat() == from_next_day


def test_a_window_counts_days_in_its_own_zone() -> None:
    window = RefundWindow(7, FROM_NEXT_DAY, zone=ZoneInfo("UTC"))
    # 05-01 20:00 UTC is 05-02 in Shanghai but still 05-01 in UTC.
    deadline = window.deadline(datetime(2026, 5, 2, 4, tzinfo=SHANGHAI))
    assert deadline.isoformat() == "2026-05-09T00:00:00+00:00"


def test_a_wall_clock_time_skipped_by_daylight_saving_moves_to_just_after_the_change() -> None:
    # New York springs forward on 2026-03-08 from 02:00 to 03:00: 02:30 does not exist.
    window = RefundWindow(7, FROM_TRANSACTION, zone=NEW_YORK)
    deadline = window.deadline(datetime(2026, 3, 1, 2, 30, tzinfo=NEW_YORK))
    assert deadline.isoformat() == "2026-03-08T03:30:00-04:00"


def test_a_day_that_starts_at_one_because_midnight_was_skipped_closes_at_one() -> None:
    # Chile springs forward at midnight on 2026-09-06: that day starts at 01:00 -03:00.
    window = RefundWindow(7, FROM_NEXT_DAY, zone=SANTIAGO)
    deadline = window.deadline(datetime(2026, 8, 29, 12, tzinfo=SANTIAGO))
    assert deadline.isoformat() == "2026-09-06T01:00:00-03:00"


def test_a_deadline_needs_an_aware_transaction_instant() -> None:
    with pytest.raises(
        NaiveDatetimeError, match="transacted_at 2026-05-01T10:00:00 has no timezone"
    ):
        RefundWindow().deadline(datetime(2026, 5, 1, 10))


# -- open or closed --------------------------------------------------------------------------------


@pytest.mark.parametrize("counting", list(RefundCounting))
def test_the_window_is_open_until_just_before_the_deadline_and_closed_at_it(
    counting: RefundCounting,
) -> None:
    window = RefundWindow(7, counting)
    deadline = window.deadline(PAID)
    assert window.is_open(PAID, now=PAID)
    assert window.is_open(PAID, now=deadline - timedelta(microseconds=1))
    assert not window.is_open(PAID, now=deadline)
    assert not window.is_open(PAID, now=deadline.astimezone(UTC))
    assert not window.is_open(PAID, now=deadline + timedelta(days=400))


def test_a_request_stamped_slightly_before_the_transaction_is_in_time() -> None:
    assert RefundWindow().is_open(PAID, now=PAID - timedelta(seconds=2))


def test_open_or_closed_is_decided_by_the_instant_not_the_wall_clock() -> None:
    # New York falls back on 2026-11-01: 01:00-02:00 happens twice. The deadline is the first
    # 01:30 (EDT, 05:30 UTC); the second 01:15 (EST, 06:15 UTC) is later although it reads earlier.
    window = RefundWindow(7, FROM_TRANSACTION, zone=NEW_YORK)
    transacted_at = datetime(2026, 10, 25, 1, 30, tzinfo=NEW_YORK)
    # (== between zones is always False for an instant in a repeated hour, PEP 495: compare in UTC)
    assert window.deadline(transacted_at).astimezone(UTC) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    second_quarter_past_one = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=NEW_YORK)
    assert not window.is_open(transacted_at, now=second_quarter_past_one)
    decision = check_refund(
        window,
        transacted_at=transacted_at,
        captured=cny("10.00"),
        refunded=cny("0.00"),
        requested=cny("1.00"),
        now=second_quarter_past_one,
    )
    assert isinstance(decision, Declined)
    assert decision.reason is DeclineReason.REFUND_WINDOW_CLOSED


def test_is_open_needs_aware_instants() -> None:
    with pytest.raises(NaiveDatetimeError, match=r"^now "):
        RefundWindow().is_open(PAID, now=datetime(2026, 5, 2))
    with pytest.raises(NaiveDatetimeError, match=r"^transacted_at "):
        RefundWindow().is_open(datetime(2026, 5, 1), now=PAID)


# -- validation of the window ----------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 7, MAX_REFUND_WINDOW_DAYS])
def test_days_from_one_to_the_maximum_are_accepted(days: int) -> None:
    assert RefundWindow(days=days).days == days


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (0, "between 1 and 3650, not 0"),
        (-1, "between 1 and 3650, not -1"),
        (3651, "between 1 and 3650, not 3651"),
        (True, r"must be an int, not bool \(True\)"),
        (False, r"must be an int, not bool \(False\)"),
        ("7", r"must be an int, not str \('7'\)"),
        (7.0, r"must be an int, not float \(7.0\)"),
        (Decimal(7), r"must be an int, not Decimal"),
        (None, r"must be an int, not NoneType"),
    ],
)
def test_malformed_days_are_refused(days: object, message: str) -> None:
    with pytest.raises(InvalidRefundWindowError, match=message):
        RefundWindow(days=days)  # type: ignore[arg-type]


def test_a_counting_must_be_a_refund_counting() -> None:
    with pytest.raises(InvalidRefundWindowError, match="must be a RefundCounting, not str"):
        RefundWindow(counting="from_next_day")  # type: ignore[arg-type]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", UTC, timezone(timedelta(hours=8))])
def test_a_zone_must_be_a_zoneinfo(zone: object) -> None:
    with pytest.raises(InvalidRefundWindowError, match=r"must be a zoneinfo\.ZoneInfo"):
        RefundWindow(zone=zone)  # type: ignore[arg-type]


def test_window_errors_are_wallet_errors_and_value_errors() -> None:
    with pytest.raises(InvalidRefundWindowError) as caught:
        RefundWindow(days=0)
    assert isinstance(caught.value, WalletError)
    assert isinstance(caught.value, ValueError)


# -- the refund check ------------------------------------------------------------------------------


def test_a_refund_in_time_and_within_the_captured_amount_is_approved() -> None:
    decision = check(refunded="30.00", requested="50.00")
    assert decision == Approved(remaining=cny("20.00"), deadline=cst(2026, 5, 8, 10))


def test_partial_refunds_are_consumed_step_by_step_until_nothing_remains() -> None:
    refunded = cny("0.00")
    for requested, remaining in [("30.00", "70.00"), ("50.00", "20.00"), ("19.99", "0.01")]:
        decision = check(refunded=str(refunded.amount), requested=requested)
        assert decision == Approved(remaining=cny(remaining), deadline=cst(2026, 5, 8, 10))
        refunded = refunded + cny(requested)
    assert check(refunded="99.99", requested="0.02") == Declined(
        DeclineReason.REFUND_EXCEEDS_REFUNDABLE,
        limit=cny("100.00"),
        used=cny("99.99"),
        remaining=cny("0.01"),
    )
    last = check(refunded="99.99", requested="0.01")
    assert isinstance(last, Approved)
    assert last.remaining == cny("0.00")
    assert check(refunded="100.00", requested="0.01") == Declined(
        DeclineReason.REFUND_EXCEEDS_REFUNDABLE,
        limit=cny("100.00"),
        used=cny("100.00"),
        remaining=cny("0.00"),
    )


def test_a_full_refund_in_one_step_is_approved() -> None:
    assert check(requested="100.00") == Approved(cny("0.00"), cst(2026, 5, 8, 10))


def test_one_fen_too_much_is_declined_with_the_numbers_that_explain_it() -> None:
    decision = check(refunded="30.00", requested="70.01")
    assert decision == Declined(
        DeclineReason.REFUND_EXCEEDS_REFUNDABLE,
        limit=cny("100.00"),
        used=cny("30.00"),
        remaining=cny("70.00"),
        deadline=None,
    )
    assert decision.reason.code == "refund.exceeds_refundable"


@pytest.mark.parametrize("counting", list(RefundCounting))
def test_a_refund_at_the_deadline_is_declined_and_one_microsecond_before_is_approved(
    counting: RefundCounting,
) -> None:
    window = RefundWindow(7, counting)
    deadline = window.deadline(PAID)
    before = check(window=window, refunded="30.00", now=deadline - timedelta(microseconds=1))
    assert before == Approved(remaining=cny("60.00"), deadline=deadline)
    at = check(window=window, refunded="30.00", now=deadline)
    assert at == Declined(
        DeclineReason.REFUND_WINDOW_CLOSED,
        limit=cny("100.00"),
        used=cny("30.00"),
        remaining=cny("70.00"),
        deadline=deadline,
    )
    assert at.reason.message("zh") == "已超过退款期限"


def test_a_late_refund_is_declined_as_late_even_when_it_is_also_too_large() -> None:
    decision = check(requested="500.00", now=cst(2026, 6, 1))
    assert isinstance(decision, Declined)
    assert decision.reason is DeclineReason.REFUND_WINDOW_CLOSED


def test_the_check_works_in_any_iso_currency() -> None:
    decision = check_refund(
        ARTICLE_REFUND_WINDOW,
        transacted_at=PAID,
        captured=Money.of("1000", "JPY"),
        refunded=Money.of("0", "JPY"),
        requested=Money.of("400", "JPY"),
        now=PAID,
    )
    assert decision == Approved(Money.of("600", "JPY"), cst(2026, 5, 8, 10))


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        ({"requested": "0.00"}, r"requested refund must be positive, not 0\.00 CNY"),
        ({"requested": "-5.00"}, r"requested refund must be positive, not -5\.00 CNY"),
        ({"captured": "0.00"}, r"captured amount must be positive, not 0\.00 CNY"),
        ({"captured": "-1.00", "requested": "1.00"}, "captured amount must be positive"),
        ({"refunded": "-0.01"}, r"refunded amount must not be negative, not -0\.01 CNY"),
        ({"refunded": "100.01"}, r"refunded amount 100\.01 CNY already exceeds the captured"),
    ],
)
def test_impossible_amounts_raise_invalid_amount(amounts: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidAmountError, match=message):
        check(**amounts)  # type: ignore[arg-type]


@pytest.mark.parametrize("late", [False, True])
def test_impossible_amounts_raise_even_when_the_window_has_closed(late: bool) -> None:
    now = cst(2027, 1, 1) if late else PAID
    with pytest.raises(InvalidAmountError):
        check(requested="0.00", now=now)
    with pytest.raises(InvalidAmountError):
        check(refunded="100.01", now=now)


@pytest.mark.parametrize("which", ["captured", "refunded", "requested"])
def test_amounts_in_another_currency_raise_currency_mismatch(which: str) -> None:
    amounts = {"captured": cny("100.00"), "refunded": cny("0.00"), "requested": cny("10.00")}
    amounts[which] = Money.of(str(amounts[which].amount), "USD")
    with pytest.raises(CurrencyMismatchError, match=r"USD|CNY"):
        check_refund(ARTICLE_REFUND_WINDOW, transacted_at=PAID, now=PAID, **amounts)


@pytest.mark.parametrize("naive", ["transacted_at", "now"])
def test_naive_instants_raise(naive: str) -> None:
    instants = {"transacted_at": PAID, "now": PAID + timedelta(days=1)}
    instants[naive] = instants[naive].replace(tzinfo=None)
    with pytest.raises(NaiveDatetimeError, match=f"^{naive} "):
        check_refund(
            ARTICLE_REFUND_WINDOW,
            captured=cny("100.00"),
            refunded=cny("0.00"),
            requested=cny("10.00"),
            **instants,
        )


# -- refundable ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("captured", "refunded", "left"),
    [("100.00", "0.00", "100.00"), ("100.00", "30.00", "70.00"), ("100.00", "100.00", "0.00")],
)
def test_refundable_is_what_is_left_of_the_captured_amount(
    captured: str, refunded: str, left: str
) -> None:
    assert refundable(cny(captured), cny(refunded)) == cny(left)


@pytest.mark.parametrize(
    ("captured", "refunded", "error"),
    [
        (cny("0.00"), cny("0.00"), InvalidAmountError),
        (cny("100.00"), cny("-1.00"), InvalidAmountError),
        (cny("100.00"), cny("100.01"), InvalidAmountError),
        (cny("100.00"), Money.of("1.00", "USD"), CurrencyMismatchError),
    ],
)
def test_refundable_refuses_impossible_amounts(
    captured: Money, refunded: Money, error: type[Exception]
) -> None:
    with pytest.raises(error):
        refundable(captured, refunded)


# -- presets ---------------------------------------------------------------------------------------


def test_the_article_window_is_seven_days_from_the_transaction() -> None:
    assert RefundWindow(7, FROM_TRANSACTION, SHANGHAI) == ARTICLE_REFUND_WINDOW
    assert ARTICLE_REFUND_WINDOW.deadline(PAID) == cst(2026, 5, 8, 10)


def test_the_no_reason_return_counts_seven_days_from_the_day_after_receipt() -> None:
    assert RefundWindow(7, FROM_NEXT_DAY, SHANGHAI) == NO_REASON_RETURN_7_DAYS
    received = cst(2026, 5, 1, 18, 30)
    # Day 1 is 05-02, day 7 is 05-08; the last instant in time is 05-08 23:59:59.999999.
    assert NO_REASON_RETURN_7_DAYS.is_open(
        received, now=cst(2026, 5, 8, 23, 59, second=59, micro=999_999)
    )
    assert not NO_REASON_RETURN_7_DAYS.is_open(received, now=cst(2026, 5, 9))


# -- impossible requests ----------------------------------------------------------------------------


def test_a_request_within_the_clock_skew_before_the_payment_is_in_time() -> None:
    assert check(now=PAID - MAX_CLOCK_SKEW).approved


def test_a_request_long_before_the_payment_is_refused_as_impossible() -> None:
    with pytest.raises(InvalidDatetimeError, match="before the payment"):
        check(now=PAID - MAX_CLOCK_SKEW - timedelta(microseconds=1))
    with pytest.raises(InvalidDatetimeError):
        check(now=PAID - timedelta(days=5 * 365))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            lambda: check_refund(
                7,  # type: ignore[arg-type]
                transacted_at=PAID,
                captured=cny("1"),
                refunded=cny("0"),
                requested=cny("1"),
                now=PAID,
            ),
            InvalidRefundWindowError,
        ),
        (
            lambda: check_refund(
                ARTICLE_REFUND_WINDOW,
                transacted_at=PAID,
                captured=100,  # type: ignore[arg-type]
                refunded=cny("0"),
                requested=cny("1"),
                now=PAID,
            ),
            AmountTypeError,
        ),
        (
            lambda: check_refund(
                ARTICLE_REFUND_WINDOW,
                transacted_at=PAID,
                captured=cny("1"),
                refunded=cny("0"),
                requested="1",  # type: ignore[arg-type]
                now=PAID,
            ),
            AmountTypeError,
        ),
        (lambda: refundable(cny("1"), 0), AmountTypeError),  # type: ignore[arg-type]
    ],
)
def test_mistyped_refund_input_gets_a_wallet_error(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()  # type: ignore[operator]
