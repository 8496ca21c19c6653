"""Laws of the limit check, against a brute-force oracle that re-reads the whole history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from icbc_wallet import (
    APPROVED,
    Declined,
    LimitSchedule,
    LimitUsage,
    LimitWindow,
    Money,
    PaymentMethod,
    check_limit,
)
from icbc_wallet.domain.limits import Limit
from icbc_wallet.testing.strategies import aware_datetimes, limit_schedules, payment_methods

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 12, 20, tzinfo=UTC)

# A step: move the clock forward, then pay (check and record at now), record a late event
# (stamped up to two days back, not checked: a replayed or late-captured hold), or release one
# of the earlier records (a voided hold).
steps = st.lists(
    st.tuples(
        st.timedeltas(timedelta(0), timedelta(hours=30)),
        st.sampled_from(["pay", "pay", "pay", "late", "release"]),
        payment_methods(),
        st.integers(1, 10**9),  # minor units
        st.timedeltas(timedelta(0), timedelta(days=2)),  # how late a late event is
        st.integers(0, 10**6),  # which earlier record to release
    ),
    max_size=40,
)


def _same_window(window: LimitWindow, a: datetime, b: datetime) -> bool:
    da, db = a.astimezone(SHANGHAI).date(), b.astimezone(SHANGHAI).date()
    if window is LimitWindow.DAY:
        return da == db
    if window is LimitWindow.MONTH:
        return (da.year, da.month) == (db.year, db.month)
    if window is LimitWindow.YEAR:
        return da.year == db.year
    return True


def _oracle_fits(
    limit: Limit,
    history: list[tuple[datetime, PaymentMethod, int]],
    method: PaymentMethod | None,
    minor: int,
    now: datetime,
) -> bool:
    for window in LimitWindow:
        cap = limit.cap(window)
        if cap is None:
            continue
        if window is LimitWindow.PER_TRANSACTION:
            spent = 0
        else:
            spent = sum(
                amount
                for when, paid_by, amount in history
                if (method is None or paid_by is method) and _same_window(window, when, now)
            )
        if spent + minor > cap.minor:
            return False
    return True


@settings(max_examples=200)
@given(limit_schedules(), st.data(), steps)
def test_the_check_agrees_with_rereading_history_whatever_the_order_of_events(
    schedule: LimitSchedule,
    data: st.DataObject,
    script: list[tuple[timedelta, str, PaymentMethod, int, timedelta, int]],
) -> None:
    tier = schedule.tiers[data.draw(st.integers(0, len(schedule.tiers) - 1))]
    usage = LimitUsage()
    history: list[tuple[datetime, PaymentMethod, int]] = []
    only_checked = True
    now = START
    for gap, action, method, minor, lateness, pick in script:
        now += gap
        if action == "late":
            when = now - lateness
            usage = usage.record(method, Money.from_minor(minor), when)
            history.append((when, method, minor))
            only_checked = False
        elif action == "release" and history:
            when, held_by, held = history.pop(pick % len(history))
            usage = usage.release(held_by, Money.from_minor(held), when)
        else:
            decision = check_limit(schedule, tier.name, method, usage, Money.from_minor(minor), now)
            expected = method not in tier.disallowed and (
                _oracle_fits(tier.method_limit(method), history, method, minor, now)
                and _oracle_fits(tier.limit, history, None, minor, now)
            )
            assert (decision is APPROVED) == expected, (decision, history, minor, now)
            if decision is APPROVED:
                usage = usage.record(method, Money.from_minor(minor), now)
                history.append((now, method, minor))
            else:
                assert isinstance(decision, Declined)
                assert decision.remaining is None or not decision.remaining.is_negative()
        for window in LimitWindow:
            for scope in (None, *PaymentMethod):
                spent = sum(
                    amount
                    for when, paid_by, amount in history
                    if (scope is None or paid_by is scope) and _same_window(window, when, now)
                )
                if window is not LimitWindow.PER_TRANSACTION:
                    assert usage.used(window, now, scope).minor == spent
            cap = tier.limit.effective_cap(window)
            if only_checked and cap is not None and window is not LimitWindow.PER_TRANSACTION:
                assert usage.used(window, now) <= cap  # nothing checked ever exceeds a cap


@given(limit_schedules(), payment_methods(), st.integers(1, 10**9), aware_datetimes())
def test_the_decision_does_not_depend_on_the_zone_now_is_written_in(
    schedule: LimitSchedule, method: PaymentMethod, minor: int, now: datetime
) -> None:
    tier = schedule.tiers[-1].name
    usage = LimitUsage().record(method, Money.from_minor(minor), now - timedelta(hours=5))
    amount = Money.from_minor(minor)
    decisions = {
        check_limit(schedule, tier, method, usage, amount, now.astimezone(zone))
        for zone in (UTC, SHANGHAI, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("America/Los_Angeles"))
    }
    assert len(decisions) == 1
