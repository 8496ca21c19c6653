"""Laws of fee quotes, over random valid rules, schedules, waivers, calendars and instants."""

from __future__ import annotations

import decimal
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypedDict

import attrs
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE, HolidayCalendar
from icbc_wallet.domain.fee_quotes import FeeQuote
from icbc_wallet.domain.fee_rules import FeeCharging, FeeRule
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.testing.strategies import (
    aware_datetimes,
    channels,
    fee_rules,
    fee_schedules,
    holiday_calendars,
    operation_kinds,
    waivers,
)


class QuoteOptions(TypedDict):
    """The keyword arguments of ``FeeSchedule.quote`` that a request varies."""

    now: datetime
    channel: Channel | None
    quota_used: Money | None
    calendar: HolidayCalendar


MAX_AMOUNT_MINOR = 10**10  # one hundred million yuan

# Built once, at import: the shipped waivers are dated in 2026, so quotes happen then too.
INSTANTS_2026 = aware_datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31, 23, 59))
OPTIONAL_CHANNELS = st.none() | channels()
USED = st.none() | st.integers(0, 10**7).map(Money.from_minor)
AMOUNTS = st.integers(1, MAX_AMOUNT_MINOR)


def cny(minor: int) -> Money:
    return Money.from_minor(minor)


@st.composite
def quote_requests(draw: st.DrawFn) -> tuple[OperationKind, Money, QuoteOptions]:
    """(kind, amount, keyword arguments of ``quote``) for a schedule's ``quote``."""
    options: QuoteOptions = {
        "now": draw(INSTANTS_2026),
        "channel": draw(OPTIONAL_CHANNELS),
        "quota_used": draw(USED),
        "calendar": draw(holiday_calendars()),
    }
    return draw(operation_kinds()), cny(draw(AMOUNTS)), options


# -- helpers ------------------------------------------------------------------------------------


def quote_of(schedule: FeeSchedule, request: tuple[OperationKind, Money, QuoteOptions]) -> FeeQuote:
    kind, amount, options = request
    return schedule.quote(kind, amount, **options)


def quota_left_before(rule: FeeRule, used: Money | None) -> int | None:
    if rule.quota is None:
        return None
    return max(0, rule.quota.amount.minor - (0 if used is None else used.minor))


def oracle_fee(schedule: FeeSchedule, kind: OperationKind, amount: Money, o: QuoteOptions) -> int:
    """The documented computation again, with Decimal quantize in a local context."""
    rule = schedule.rule_for(kind, o["channel"])
    if rule is None:
        return 0
    left = quota_left_before(rule, o["quota_used"])
    chargeable = amount.minor - (0 if left is None else min(amount.minor, left))
    if chargeable == 0:
        return 0
    day = o["now"].astimezone(DEFAULT_BUSINESS_ZONE).date()
    applicable = [
        w
        for w in schedule.waivers
        if (w.starts is None or w.starts <= o["now"])
        and (w.ends is None or o["now"] < w.ends)
        and (w.kinds is None or kind in w.kinds)
        and (not w.holidays_only or o["calendar"].is_holiday(day))
    ]
    waiver = max(applicable, key=lambda w: w.discount, default=None)  # first among equals
    with decimal.localcontext(decimal.Context(prec=100)):
        bracket = next(b for b in rule.brackets if b.up_to is None or chargeable <= b.up_to.minor)
        exact = Decimal(bracket.flat.minor) + chargeable * bracket.rate
        fee = int(exact.quantize(Decimal(1), rounding=rule.rounding.value))
        if waiver is not None and waiver.discount == 1:
            return 0
        if waiver is not None:
            fee = int((fee * (1 - waiver.discount)).quantize(Decimal(1), rule.rounding.value))
    if rule.minimum is not None:
        fee = max(fee, rule.minimum.minor)
    if rule.maximum is not None:
        fee = min(fee, rule.maximum.minor)
    return fee


# -- laws ---------------------------------------------------------------------------------------


@given(fee_schedules(), quote_requests())
def test_a_quote_agrees_with_a_plain_decimal_oracle(
    schedule: FeeSchedule, request: tuple[OperationKind, Money, QuoteOptions]
) -> None:
    assert quote_of(schedule, request).fee_minor == oracle_fee(schedule, *request)


@given(fee_schedules(), quote_requests())
def test_a_fee_is_never_negative(
    schedule: FeeSchedule, request: tuple[OperationKind, Money, QuoteOptions]
) -> None:
    quote = quote_of(schedule, request)
    assert quote.fee_minor >= 0
    assert quote.gross_minor >= 0


@given(fee_schedules(), quote_requests())
def test_a_fee_respects_the_minimum_and_maximum_when_charged_without_a_full_waiver(
    schedule: FeeSchedule, request: tuple[OperationKind, Money, QuoteOptions]
) -> None:
    quote = quote_of(schedule, request)
    rule = quote.rule
    if rule is None or quote.chargeable.is_zero():
        assert quote.fee.is_zero()
    elif quote.waiver is None or not quote.waiver.is_full:
        assert rule.minimum is None or rule.minimum <= quote.fee
        assert rule.maximum is None or quote.fee <= rule.maximum


@given(
    fee_rules(channel=OPTIONAL_CHANNELS),
    st.lists(waivers(), max_size=2),
    AMOUNTS,
    AMOUNTS,
    USED,
    INSTANTS_2026,
)
def test_a_fee_never_decreases_as_the_amount_grows_within_a_rule(
    rule: FeeRule,
    some_waivers: list[Waiver],
    first: int,
    second: int,
    used: Money | None,
    now: datetime,
) -> None:
    schedule = FeeSchedule([rule], some_waivers)
    smaller, larger = sorted((first, second))
    fees = [
        schedule.quote(rule.kind, cny(minor), now=now, channel=rule.channel, quota_used=used)
        for minor in (smaller, larger)
    ]
    assert fees[0].fee <= fees[1].fee


@given(fee_rules(), AMOUNTS, quote_requests())
def test_a_full_waiver_makes_the_fee_exactly_zero(
    rule: FeeRule, amount: int, request: tuple[OperationKind, Money, QuoteOptions]
) -> None:
    _, _, options = request
    waiver = Waiver.full("free for all", kinds=[rule.kind])
    schedule = FeeSchedule([rule], [waiver])
    options["channel"] = rule.channel
    quote = schedule.quote(rule.kind, cny(amount), **options)
    assert quote.fee_minor == 0
    assert quote.waiver is waiver or quote.chargeable.is_zero()


@given(fee_rules(), quote_requests(), st.data())
def test_an_amount_within_the_unused_quota_is_free(
    rule: FeeRule, request: tuple[OperationKind, Money, QuoteOptions], data: st.DataObject
) -> None:
    _, _, options = request
    options["channel"] = rule.channel
    left = quota_left_before(rule, options["quota_used"])
    if not left:  # no quota, or none left
        return
    amount = data.draw(st.integers(1, left))
    quote = FeeSchedule([rule]).quote(rule.kind, cny(amount), **options)
    assert quote.fee_minor == 0
    assert quote.quota_consumed == cny(amount)


@given(fee_rules(), quote_requests())
def test_quota_is_consumed_within_the_amount_and_what_is_left(
    rule: FeeRule, request: tuple[OperationKind, Money, QuoteOptions]
) -> None:
    _, amount, options = request
    options["channel"] = rule.channel
    quote = FeeSchedule([rule]).quote(rule.kind, amount, **options)
    left = quota_left_before(rule, options["quota_used"])
    if left is None:
        assert quote.quota_remaining is None
        assert quote.quota_consumed.is_zero()
        return
    remaining = quote.quota_remaining
    assert remaining is not None
    assert not remaining.is_negative()
    assert 0 <= quote.quota_consumed_minor <= min(amount.minor, left)
    assert quote.quota_consumed_minor + remaining.minor == left
    assert quote.chargeable + quote.quota_consumed == amount


@given(fee_schedules(), quote_requests())
def test_quoting_is_deterministic_and_ignores_the_global_decimal_context(
    schedule: FeeSchedule, request: tuple[OperationKind, Money, QuoteOptions]
) -> None:
    expected = quote_of(schedule, request)
    hostile = decimal.Context(
        prec=3,
        rounding=decimal.ROUND_FLOOR,
        traps=[decimal.Inexact, decimal.Rounded, decimal.FloatOperation, decimal.InvalidOperation],
    )
    with decimal.localcontext(hostile):
        rebuilt = attrs.evolve(schedule)  # validation and precomputation run again in here
        again = quote_of(rebuilt, request)
        lines = again.lines
    assert again == expected == quote_of(schedule, request)
    assert lines == expected.lines


@given(fee_schedules(), quote_requests())
def test_total_debit_and_net_amount_follow_the_charging(
    schedule: FeeSchedule, request: tuple[OperationKind, Money, QuoteOptions]
) -> None:
    quote = quote_of(schedule, request)
    if quote.charging is FeeCharging.ON_TOP:
        assert (quote.total_debit, quote.net_amount) == (quote.amount + quote.fee, quote.amount)
    else:
        assert (quote.total_debit, quote.net_amount) == (quote.amount, quote.amount - quote.fee)
    assert quote.total_debit - quote.net_amount == quote.fee


@given(fee_schedules(), quote_requests())
def test_the_lines_add_up_to_the_fee(
    schedule: FeeSchedule, request: tuple[OperationKind, Money, QuoteOptions]
) -> None:
    quote = quote_of(schedule, request)
    lines = quote.lines
    fee_lines = [line.amount.minor for line in lines if line.label != "free quota"]
    assert sum(fee_lines) == quote.fee_minor
    assert lines[0].label in {"no rule", "free quota", "gross"}
    assert all(line.amount.currency == schedule.currency for line in lines)


# -- the shipped strategies ---------------------------------------------------------------------


@given(st.from_type(FeeSchedule), st.from_type(FeeRule))
def test_from_type_resolves_fee_schedules_and_rules(schedule: FeeSchedule, rule: FeeRule) -> None:
    assert schedule.currency == rule.currency == "CNY"
    assert rule.channel is None


@given(
    fee_schedules(currency="JPY"),
    waivers(instants=st.datetimes(timezones=st.just(UTC))),
    fee_rules(channel=Channel.PC),
)
def test_fee_strategies_take_a_currency_dates_and_a_channel(
    schedule: FeeSchedule, waiver: Waiver, rule: FeeRule
) -> None:
    assert all(rule.currency == "JPY" for rule in schedule.rules)
    assert waiver.starts is None or waiver.ends is None or waiver.starts < waiver.ends
    assert rule.channel is Channel.PC
