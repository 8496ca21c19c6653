"""Laws of statements (balances, totals, periods) and of the limit increase review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.limit_increase import (
    IncreaseApproved,
    IncreaseDeclined,
    LimitGrant,
    LimitIncreaseRequest,
    LimitIncreaseTerms,
    TransactionHistory,
)
from icbc_wallet.domain.limits import Limit, LimitWindow, TierLimits
from icbc_wallet.domain.money import Money, total
from icbc_wallet.domain.statements import EntryKind, Period, Statement, StatementLine
from icbc_wallet.policies.limit_increase import effective_limits, review_limit_increase
from icbc_wallet.testing.strategies import aware_datetimes, limits

WALLET = WalletId("W-0001")
# Business zones with and without daylight saving, and with a half-hour offset; in all of them
# every day starts at 00:00.
ZONES = tuple(ZoneInfo(key) for key in ("Asia/Shanghai", "UTC", "America/New_York", "Asia/Kolkata"))
SPENDING = frozenset({EntryKind.PAYMENT, EntryKind.REFUND})

# -- strategies --------------------------------------------------------------------------------


@st.composite
def months(draw: st.DrawFn) -> tuple[Period, ZoneInfo]:
    zone = draw(st.sampled_from(ZONES))
    return Period.month(draw(st.integers(2000, 2060)), draw(st.integers(1, 12)), zone), zone


@st.composite
def lines_in(draw: st.DrawFn, period: Period) -> StatementLine:
    kind = draw(st.sampled_from(EntryKind))
    minor = draw(st.integers(1, 10**9))
    span = (period.end - period.start) // timedelta(microseconds=1)
    # A few shared instants, so that ties in time are common and the tie-break is exercised.
    offset = draw(st.integers(0, span - 1) | st.sampled_from([0, span // 2, span - 1]))
    category = draw(st.none() | st.sampled_from(Category)) if kind in SPENDING else None
    return StatementLine(
        period.start + timedelta(microseconds=offset),
        kind,
        Money.from_minor(minor if kind.is_inflow else -minor),
        draw(st.sampled_from(["P-1", "P-2", "T-1", "X-1"])),
        category,
        draw(st.sampled_from(["", "Noodle Bar", "W-0***1"])),
    )


@st.composite
def monthly_statements(draw: st.DrawFn) -> tuple[Statement, ZoneInfo]:
    period, zone = draw(months())
    lines = draw(st.lists(lines_in(period), max_size=30))
    opening = Money.from_minor(draw(st.integers(0, 10**11)))
    return Statement.build(WALLET, period, lines, opening), zone


def _days(period: Period, zone: ZoneInfo) -> list[Period]:
    first, last = period.start.astimezone(zone).date(), period.end.astimezone(zone).date()
    return [Period.day(first + timedelta(days=n), zone) for n in range((last - first).days)]


# -- statements --------------------------------------------------------------------------------


@given(monthly_statements())
def test_closing_less_opening_is_the_sum_of_the_lines_and_of_the_kind_totals(
    drawn: tuple[Statement, ZoneInfo],
) -> None:
    statement, _ = drawn
    change = statement.closing_balance - statement.opening_balance
    assert change == total((line.amount for line in statement.lines), "CNY")
    assert change == statement.total_in - statement.total_out
    assert change == total(statement.totals_by_kind().values(), "CNY")
    assert not statement.total_in.is_negative()
    assert not statement.total_out.is_negative()


@given(monthly_statements())
def test_spending_by_category_adds_up_to_payments_less_refunds(
    drawn: tuple[Statement, ZoneInfo],
) -> None:
    statement, _ = drawn
    spent = -total((line.amount for line in statement.lines if line.kind in SPENDING), "CNY")
    assert total(statement.spending_by_category().values(), "CNY") == spent


@given(monthly_statements())
def test_a_month_is_the_concatenation_of_its_days(drawn: tuple[Statement, ZoneInfo]) -> None:
    month, zone = drawn
    days = _days(month.period, zone)
    assert days[0].start == month.period.start
    assert days[-1].end == month.period.end
    balance, spending = month.opening_balance, dict.fromkeys(Category, 0)
    lines: list[StatementLine] = []
    for day in days:
        daily = Statement.build(
            WALLET, day, [line for line in month.lines if day.contains(line.at)], balance
        )
        lines.extend(daily.lines)
        for category, amount in daily.spending_by_category().items():
            spending[category] += amount.minor
        balance = daily.closing_balance
    assert tuple(lines) == month.lines
    assert balance == month.closing_balance
    monthly = {category: amount.minor for category, amount in month.spending_by_category().items()}
    assert {category: minor for category, minor in spending.items() if category in monthly} == (
        monthly
    )


@given(monthly_statements(), st.randoms(use_true_random=False))
def test_the_order_lines_arrive_in_does_not_change_the_statement(
    drawn: tuple[Statement, ZoneInfo], random: Random
) -> None:
    statement, _ = drawn
    shuffled = list(statement.lines)
    random.shuffle(shuffled)
    rebuilt = Statement.build(WALLET, statement.period, shuffled, statement.opening_balance)
    assert rebuilt == statement
    assert rebuilt.lines == statement.lines


@given(months(), st.integers(0, 31 * 24 * 3600 * 10**6))
def test_every_instant_of_a_month_is_in_exactly_one_of_its_days(
    month: tuple[Period, ZoneInfo], micros: int
) -> None:
    period, zone = month
    moment = period.start + timedelta(microseconds=micros)
    assume(period.contains(moment))
    assert sum(day.contains(moment) for day in _days(period, zone)) == 1


# -- the limit increase review -----------------------------------------------------------------


def _scaled(limit: Limit, tenths: int) -> Limit:
    """Every cap times ``tenths / 10``, rounded up: an ordered limit with caps no lower."""

    def scale(cap: Money | None) -> Money | None:
        return None if cap is None else Money.from_minor(-(-cap.minor * tenths // 10))

    return Limit(*(scale(limit.cap(window)) for window in LimitWindow))


@st.composite
def cases(draw: st.DrawFn) -> tuple[LimitIncreaseRequest, TierLimits, LimitIncreaseTerms]:
    tier = TierLimits(draw(st.sampled_from(["WL02", "WL03"])), draw(limits()))
    asked = _scaled(tier.limit, draw(st.integers(11, 40)))
    assume(asked != tier.limit)  # something must be raised: a tier with caps above zero
    terms = LimitIncreaseTerms(
        eligible_tiers=draw(st.none() | st.frozensets(st.sampled_from(["WL02", "WL03"]))),
        min_account_age_days=draw(st.integers(0, 60)),
        min_payments_90d=draw(st.integers(0, 20)),
        max_declines_30d=draw(st.integers(0, 6)),
        max_disputes_lost=draw(st.integers(0, 2)),
        max_multiple=draw(st.integers(1, 5)),
        grant_days=draw(st.integers(1, 90)),
    )
    return LimitIncreaseRequest(asked, "a larger purchase", NOW), tier, terms


NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)

histories = st.builds(
    lambda age, payments, declines, lost: TransactionHistory(
        age, payments, Money.from_minor(payments * 100), declines, lost, 0
    ),
    st.integers(0, 90),
    st.integers(0, 30),
    st.integers(0, 8),
    st.integers(0, 3),
)


def _better(
    history: TransactionHistory, older: int, more: int, fewer: int, lost: int
) -> TransactionHistory:
    payments = history.payments_90d + more
    return TransactionHistory(
        history.account_age_days + older,
        payments,
        Money.from_minor(payments * 100),
        max(history.declines_30d - fewer, 0),
        max(history.disputes_lost - lost, 0),
        history.refunds_90d,
    )


@given(
    cases(),
    histories,
    st.integers(0, 60),
    st.integers(0, 20),
    st.integers(0, 8),
    st.integers(0, 3),
)
def test_a_better_history_never_turns_an_approval_into_a_decline(
    case: tuple[LimitIncreaseRequest, TierLimits, LimitIncreaseTerms],
    history: TransactionHistory,
    older: int,
    more: int,
    fewer: int,
    lost: int,
) -> None:
    request, tier, terms = case
    worse = review_limit_increase(request, tier.name, tier, history, terms, NOW)
    better_history = _better(history, older, more, fewer, lost)
    better = review_limit_increase(request, tier.name, tier, better_history, terms, NOW)
    if isinstance(worse, IncreaseApproved):
        assert better == worse
    if isinstance(better, IncreaseDeclined):
        assert isinstance(worse, IncreaseDeclined)
        assert set(better.decline_reasons) <= set(worse.decline_reasons)


@given(cases(), histories)
def test_a_grant_never_exceeds_the_maximum_multiple_of_the_tier_cap(
    case: tuple[LimitIncreaseRequest, TierLimits, LimitIncreaseTerms], history: TransactionHistory
) -> None:
    request, tier, terms = case
    decision = review_limit_increase(request, tier.name, tier, history, terms, NOW)
    if isinstance(decision, IncreaseDeclined):
        assert decision.reasons  # a decline always says why
        return
    grant = decision.grant
    assert grant.limit == request.requested
    assert (grant.granted_at, grant.expires_at) == (NOW, NOW + timedelta(days=terms.grant_days))
    for window in LimitWindow:
        cap, granted = tier.limit.cap(window), grant.limit.cap(window)
        if cap is None:
            assert granted is None
        else:
            assert granted is not None
            assert cap.minor <= granted.minor <= cap.minor * terms.max_multiple


@given(limits(), limits(), aware_datetimes(), st.integers(1, 10**6), st.integers(0, 10**7))
def test_effective_limits_follow_the_grant_only_while_it_is_active(
    tier_limit: Limit, granted: Limit, start: datetime, seconds: int, probe: int
) -> None:
    tier = TierLimits("WL02", tier_limit)
    grant = LimitGrant(granted, start, start + timedelta(seconds=seconds))
    for moment in (
        start - timedelta(microseconds=1),
        grant.expires_at,
        start + timedelta(seconds=probe),
    ):
        effective = effective_limits(tier, grant, moment)
        if not grant.is_active(moment):
            assert effective is tier
            continue
        for window in LimitWindow:  # active: never stricter than the tier, nor than the grant
            cap = effective.limit.cap(window)
            for other in (tier.limit.cap(window), granted.cap(window)):
                assert cap is None or (other is not None and other.minor <= cap.minor)
