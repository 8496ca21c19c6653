"""Laws of fee quotes, over random valid rules, schedules, waivers, calendars and instants."""

from __future__ import annotations

import decimal
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TypedDict

import attrs
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.domain.calendar import (
    DEFAULT_BUSINESS_ZONE,
    FixedHolidays,
    HolidayCalendar,
    NoHolidays,
)
from icbc_wallet.domain.fees import (
    Channel,
    FeeBracket,
    FeeCharging,
    FeeQuote,
    FeeRule,
    FeeSchedule,
    FreeQuota,
    OperationKind,
    QuotaPeriod,
    Waiver,
)
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.rounding import Rounding
from icbc_wallet.errors import InvalidFeeScheduleError


class QuoteOptions(TypedDict):
    """The keyword arguments of ``FeeSchedule.quote`` that a request varies."""

    now: datetime
    channel: Channel | None
    quota_used: Money | None
    calendar: HolidayCalendar


# -- strategies (to move to icbc_wallet.testing.strategies) -----------------------------------

MAX_AMOUNT_MINOR = 10**10  # one hundred million yuan
YEAR_START = datetime(2026, 1, 1)
YEAR_END = datetime(2026, 12, 31, 23, 59)


def operation_kinds() -> st.SearchStrategy[OperationKind]:
    return st.sampled_from(OperationKind)


def channels() -> st.SearchStrategy[Channel | None]:
    return st.none() | st.sampled_from(Channel)


def instants_2026() -> st.SearchStrategy[datetime]:
    """Aware instants in 2026, in the business zone, UTC, any IANA zone or a fixed offset."""
    return _INSTANTS_2026


def rates() -> st.SearchStrategy[Decimal]:
    """Fee rates from 0 to 20%, to the thousandth of a percent."""
    return st.decimals(min_value=0, max_value=Decimal("0.2"), places=5)


def discounts() -> st.SearchStrategy[Decimal]:
    """1 (a full waiver) or a promotion's fraction in (0, 1)."""
    return st.just(Decimal(1)) | st.decimals(Decimal("0.0001"), Decimal("0.9999"), places=4)


def cny(minor: int) -> Money:
    return Money.from_minor(minor)


# Built once, at import: hypothesis re-validates strategies built inside composites on every draw.
_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
_INSTANTS_2026 = st.datetimes(
    YEAR_START,
    YEAR_END,
    timezones=st.sampled_from([DEFAULT_BUSINESS_ZONE, UTC]) | st.timezones() | _OFFSETS,
)
_KINDS, _CHANNELS = operation_kinds(), channels()
_BRACKET_ENDS = st.sets(st.integers(1, 10**8), max_size=3)
_FLATS = st.lists(st.integers(0, 10_000), min_size=4, max_size=4)
_RATES = st.lists(rates(), min_size=4, max_size=4)
_BOUNDS = st.tuples(st.integers(0, 5_000), st.integers(0, 5_000), st.booleans(), st.booleans())
_QUOTAS = st.none() | st.builds(
    FreeQuota, st.integers(1, 10**7).map(cny), st.sampled_from(QuotaPeriod)
)
_CHARGINGS, _ROUNDINGS = st.sampled_from(FeeCharging), st.sampled_from(Rounding)
_OPTIONAL_INSTANTS = st.none() | _INSTANTS_2026
_WAIVER_KINDS = st.none() | st.frozensets(_KINDS, min_size=1)
_NAMES = st.text(min_size=1, max_size=8)
_DISCOUNTS = discounts()
_PAIRS = st.sets(st.tuples(_KINDS, _CHANNELS), max_size=6)
_CALENDARS: st.SearchStrategy[HolidayCalendar] = st.just(NoHolidays()) | st.sets(
    st.dates(date(2025, 12, 31), date(2027, 1, 1)), max_size=60
).map(FixedHolidays.of)
_USED = st.none() | st.integers(0, 10**7).map(cny)
_AMOUNTS = st.integers(1, MAX_AMOUNT_MINOR)


@st.composite
def fee_rules(
    draw: st.DrawFn,
    kind: OperationKind | None = None,
    channel: Channel | st.SearchStrategy[Channel | None] | None = None,
) -> FeeRule:
    """A valid rule: 1-4 whole-amount brackets, optional min/max/quota, any charging and rounding.

    Flats and rates are drawn freely; when that makes the fee drop at a boundary (the rule is
    refused), they are sorted, which always gives a valid rule.
    """
    ends = sorted(draw(_BRACKET_ENDS))
    count = len(ends) + 1
    flats, bracket_rates = draw(_FLATS)[:count], draw(_RATES)[:count]
    first, second, has_minimum, has_maximum = draw(_BOUNDS)
    low, high = sorted((first, second))
    chosen_kind = draw(_KINDS) if kind is None else kind
    chosen_channel = draw(channel) if isinstance(channel, st.SearchStrategy) else channel
    quota, charging, rounding = draw(_QUOTAS), draw(_CHARGINGS), draw(_ROUNDINGS)

    def build(flat_minors: list[int], fractions: list[Decimal]) -> FeeRule:
        uppers: list[Money | None] = [cny(end) for end in ends]
        brackets = [
            FeeBracket(upper, cny(flat), rate)
            for upper, flat, rate in zip([*uppers, None], flat_minors, fractions, strict=True)
        ]
        return FeeRule(
            chosen_kind,
            brackets,
            channel=chosen_channel,
            minimum=cny(low) if has_minimum else None,
            maximum=cny(high) if has_maximum else None,
            quota=quota,
            charging=charging,
            rounding=rounding,
        )

    try:
        return build(flats, bracket_rates)
    except InvalidFeeScheduleError:
        return build(sorted(flats), sorted(bracket_rates))


@st.composite
def waivers(draw: st.DrawFn, discount: st.SearchStrategy[Decimal] = _DISCOUNTS) -> Waiver:
    """A valid waiver or promotion, dated within 2026 or open-ended, for some kinds or all."""
    starts, ends = draw(_OPTIONAL_INSTANTS), draw(_OPTIONAL_INSTANTS)
    if starts is not None and ends is not None and ends <= starts:
        starts, ends = ends, starts + timedelta(microseconds=1)
    return Waiver(
        draw(_NAMES),
        starts=starts,
        ends=ends,
        kinds=draw(_WAIVER_KINDS),
        holidays_only=draw(st.booleans()),
        discount=draw(discount),
    )


_WAIVER_LISTS = st.lists(waivers(), max_size=3)


@st.composite
def fee_schedules(draw: st.DrawFn) -> FeeSchedule:
    """A valid schedule: one rule for each of some distinct (kind, channel) pairs, and waivers."""
    pairs = sorted(draw(_PAIRS), key=str)
    rules = [draw(fee_rules(kind, channel)) for kind, channel in pairs]
    return FeeSchedule(rules, draw(_WAIVER_LISTS))


def holiday_calendars() -> st.SearchStrategy[HolidayCalendar]:
    """No holidays, or up to 60 fixed dates around 2026."""
    return _CALENDARS


@st.composite
def quote_requests(draw: st.DrawFn) -> tuple[OperationKind, Money, QuoteOptions]:
    """(kind, amount, keyword arguments of ``quote``) for a schedule's ``quote``."""
    options: QuoteOptions = {
        "now": draw(_INSTANTS_2026),
        "channel": draw(_CHANNELS),
        "quota_used": draw(_USED),
        "calendar": draw(_CALENDARS),
    }
    return draw(_KINDS), cny(draw(_AMOUNTS)), options


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
    fee_rules(channel=channels()),
    st.lists(waivers(), max_size=2),
    st.integers(1, MAX_AMOUNT_MINOR),
    st.integers(1, MAX_AMOUNT_MINOR),
    _USED,
    instants_2026(),
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


@given(fee_rules(), st.integers(1, MAX_AMOUNT_MINOR), quote_requests())
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
