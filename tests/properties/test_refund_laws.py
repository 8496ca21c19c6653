"""Laws of refund windows and of the refund check, for any window, instant and amounts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from icbc_wallet.domain.calendar import business_date
from icbc_wallet.domain.decisions import Approved, Declined, DeclineReason
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refunds import MAX_REFUND_WINDOW_DAYS, RefundCounting, RefundWindow
from icbc_wallet.policies.refunds import MAX_CLOCK_SKEW, check_refund

# -- strategies (candidates for icbc_wallet.testing.strategies) ------------------------------------

# Business zones whose days always start at 00:00 (no daylight-saving change at midnight), with and
# without daylight saving and with a half-hour offset.
BUSINESS_ZONES = tuple(
    ZoneInfo(key)
    for key in (
        "Asia/Shanghai",
        "UTC",
        "Europe/London",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
    )
)

fixed_offsets: st.SearchStrategy[timezone] = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
"""Any fixed UTC offset Python accepts, to the minute."""

any_zones: st.SearchStrategy[tzinfo] = st.one_of(st.timezones(), fixed_offsets)
"""IANA zones (with their daylight-saving history) and fixed offsets."""

aware_datetimes: st.SearchStrategy[datetime] = st.datetimes(
    min_value=datetime(1980, 1, 1),
    max_value=datetime(2100, 12, 31),
    timezones=any_zones,
)
"""Aware instants written in any zone, far enough from year 9999 for a ten-year window."""

refund_windows: st.SearchStrategy[RefundWindow] = st.builds(
    RefundWindow,
    days=st.integers(1, MAX_REFUND_WINDOW_DAYS),
    counting=st.sampled_from(RefundCounting),
    zone=st.sampled_from(BUSINESS_ZONES),
)
"""Every valid window length and counting, in a handful of business zones."""


def positive_money(currency: str = "CNY", max_minor: int = 10**12) -> st.SearchStrategy[Money]:
    """Positive amounts of ``currency``, up to ``max_minor`` minor units."""
    return st.integers(1, max_minor).map(lambda minor: Money.from_minor(minor, currency))


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[Money, Money]:
    """A captured amount and the refunds already made against it (0 <= refunded <= captured)."""
    captured = draw(positive_money())
    refunded = draw(st.integers(0, captured.minor))
    return captured, Money.from_minor(refunded)


@st.composite
def nows_near_deadline(draw: st.DrawFn, window: RefundWindow, transacted_at: datetime) -> datetime:
    """An instant near the window's deadline (often exactly on it), written in any zone."""
    offset = draw(
        st.sampled_from([timedelta(0), timedelta(microseconds=-1), timedelta(microseconds=1)])
        | st.timedeltas(-timedelta(days=3), timedelta(days=3))
    )
    return (window.deadline(transacted_at).astimezone(UTC) + offset).astimezone(draw(any_zones))


# -- laws of the window ----------------------------------------------------------------------------


@given(window=refund_windows, transacted_at=aware_datetimes)
@example(  # 7 days later is 02:30 on the night New York springs forward: a time that never exists
    window=RefundWindow(7, zone=ZoneInfo("America/New_York")),
    transacted_at=datetime(2026, 3, 1, 2, 30, tzinfo=ZoneInfo("America/New_York")),
)
def test_the_deadline_is_after_the_transaction_and_a_real_time_of_the_business_zone(
    window: RefundWindow, transacted_at: datetime
) -> None:
    deadline = window.deadline(transacted_at)
    assert deadline.tzinfo is window.zone
    round_trip = deadline.astimezone(UTC).astimezone(window.zone)
    assert (round_trip.replace(tzinfo=None), round_trip.fold) == (
        deadline.replace(tzinfo=None),
        deadline.fold,
    )
    assert deadline.astimezone(UTC) > transacted_at.astimezone(UTC)
    assert window.is_open(transacted_at, now=transacted_at)
    assert not window.is_open(transacted_at, now=deadline)


@given(window=refund_windows, transacted_at=aware_datetimes)
@example(
    window=RefundWindow(7, RefundCounting.FROM_NEXT_DAY),
    transacted_at=datetime(2026, 5, 1, 23, 59, 59, 999_999, tzinfo=ZoneInfo("Asia/Shanghai")),
)
def test_from_next_day_closes_at_local_midnight_never_before_from_transaction(
    window: RefundWindow, transacted_at: datetime
) -> None:
    from_next_day = RefundWindow(window.days, RefundCounting.FROM_NEXT_DAY, window.zone)
    from_transaction = RefundWindow(window.days, RefundCounting.FROM_TRANSACTION, window.zone)
    closing = from_next_day.deadline(transacted_at)
    assert closing.time() == time(0, 0)
    assert closing.date() - business_date(transacted_at, window.zone) == timedelta(window.days + 1)
    assert closing.astimezone(UTC) >= from_transaction.deadline(transacted_at).astimezone(UTC)


@given(window=refund_windows, transacted_at=aware_datetimes, data=st.data())
def test_the_window_is_open_exactly_before_the_deadline(
    window: RefundWindow, transacted_at: datetime, data: st.DataObject
) -> None:
    now = data.draw(nows_near_deadline(window, transacted_at))
    deadline = window.deadline(transacted_at)
    assert window.is_open(transacted_at, now) == (now.astimezone(UTC) < deadline.astimezone(UTC))


# -- laws of the check -----------------------------------------------------------------------------


@given(
    captured=positive_money(max_minor=100_000),
    fractions=st.lists(st.integers(1, 1000), max_size=30),
    transacted_at=aware_datetimes,
)
def test_approved_partial_refunds_never_add_up_to_more_than_was_captured(
    captured: Money, fractions: list[int], transacted_at: datetime
) -> None:
    window = RefundWindow()
    refunded = Money.zero()
    for per_mille in fractions:
        # Requests from a tiny part to a whole captured amount, so many are declined near the end.
        requested = Money.from_minor(max(1, captured.minor * per_mille // 1000))
        decision = check_refund(
            window,
            transacted_at=transacted_at,
            captured=captured,
            refunded=refunded,
            requested=requested,
            now=transacted_at,
        )
        if isinstance(decision, Approved):
            refunded = refunded + requested
            assert decision.remaining == captured - refunded
        else:
            assert decision.reason is DeclineReason.REFUND_EXCEEDS_REFUNDABLE
            assert (refunded + requested).minor > captured.minor
            assert decision.remaining == captured - refunded
        assert refunded.minor <= captured.minor


@given(
    window=refund_windows,
    transacted_at=aware_datetimes,
    ledger=ledgers(),
    requested=positive_money(),
    data=st.data(),
)
def test_the_decision_does_not_depend_on_the_zone_the_instants_are_written_in(
    window: RefundWindow,
    transacted_at: datetime,
    ledger: tuple[Money, Money],
    requested: Money,
    data: st.DataObject,
) -> None:
    captured, refunded = ledger
    # A request more than the tolerated clock skew before the payment is refused outright.
    now = max(data.draw(nows_near_deadline(window, transacted_at)), transacted_at - MAX_CLOCK_SKEW)

    def decide(transacted_at: datetime, now: datetime) -> Approved | Declined:
        return check_refund(
            window,
            transacted_at=transacted_at,
            captured=captured,
            refunded=refunded,
            requested=requested,
            now=now,
        )

    decision = decide(transacted_at, now)
    for zone in (UTC, data.draw(any_zones, label="other_zone")):
        rewritten = decide(transacted_at.astimezone(zone), now.astimezone(zone))
        assert rewritten == decision
        assert repr(rewritten) == repr(decision)
    closed = now.astimezone(UTC) >= window.deadline(transacted_at).astimezone(UTC)
    assert (
        isinstance(decision, Declined) and decision.reason is DeclineReason.REFUND_WINDOW_CLOSED
    ) == closed
