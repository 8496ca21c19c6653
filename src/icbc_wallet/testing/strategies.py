"""Hypothesis strategies for icbc-wallet's value objects, shipped for users' own property tests.

Installed with the ``testing`` extra. The package also registers these with hypothesis through an
entry point, so ``st.from_type(Money)`` works without importing this module:

```pycon
>>> from hypothesis import find, strategies as st
>>> from icbc_wallet import Money
>>> find(st.from_type(Money), lambda money: money.is_positive())
Money('0.01', 'CNY')

```
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from icbc_wallet.domain.calendar import FixedHolidays, HolidayCalendar, NoHolidays
from icbc_wallet.domain.fee_rules import FeeBracket, FeeCharging, FeeRule, FreeQuota, QuotaPeriod
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.limits import Limit, LimitSchedule, PaymentMethod, TierLimits
from icbc_wallet.domain.money import DEFAULT_CURRENCY, MAX_MINOR_UNITS, Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.refunds import MAX_REFUND_WINDOW_DAYS, RefundCounting, RefundWindow
from icbc_wallet.domain.registration import validate_payment_password
from icbc_wallet.domain.rounding import Rounding
from icbc_wallet.domain.usage import LimitUsage
from icbc_wallet.errors import InvalidFeeScheduleError, WeakPasswordError

__all__ = [
    "aware_datetimes",
    "bank_cards",
    "channels",
    "fee_rules",
    "fee_schedules",
    "holiday_calendars",
    "limit_schedules",
    "limit_usages",
    "limits",
    "merchant_credit_codes",
    "moneys",
    "operation_kinds",
    "payment_methods",
    "payment_passwords",
    "phone_numbers",
    "positive_moneys",
    "refund_windows",
    "resident_ids",
    "waivers",
]

_MAX_CAP_MINOR = 10**11  # one billion yuan: large enough for any retail cap, far below the maximum


@st.composite
def moneys(
    draw: st.DrawFn,
    currency: str | st.SearchStrategy[str] = DEFAULT_CURRENCY,
    min_minor: int = -MAX_MINOR_UNITS,
    max_minor: int = MAX_MINOR_UNITS,
) -> Money:
    """Money in ``currency`` (a code or a strategy of codes) between the given minor-unit bounds."""
    code = draw(currency) if isinstance(currency, st.SearchStrategy) else currency
    return Money.from_minor(draw(st.integers(min_minor, max_minor)), code)


def positive_moneys(
    currency: str = DEFAULT_CURRENCY, max_minor: int = _MAX_CAP_MINOR
) -> st.SearchStrategy[Money]:
    """Strictly positive Money up to ``max_minor`` minor units."""
    return moneys(currency, 1, max_minor)


def aware_datetimes(
    min_value: datetime = datetime(2000, 1, 1),  # immutable default
    max_value: datetime = datetime(2099, 12, 31),
) -> st.SearchStrategy[datetime]:
    """Timezone-aware instants in UTC, Asia/Shanghai, any IANA zone or any fixed offset."""
    zones = st.one_of(
        st.just(UTC),
        st.just(ZoneInfo("Asia/Shanghai")),
        st.timezones(),  # any IANA zone, with its daylight-saving history
        st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
            lambda minutes: timezone(timedelta(minutes=minutes))
        ),
    )
    return st.datetimes(min_value, max_value, timezones=zones)


def payment_passwords(
    *, phone: PhoneNumber | None = None, resident_id: ResidentId | None = None
) -> st.SearchStrategy[str]:
    """Six-digit payment passwords the rules accept (for this holder's numbers when given)."""

    def accepted(password: str) -> bool:
        try:
            validate_payment_password(password, phone=phone, resident_id=resident_id)
        except WeakPasswordError:
            return False
        return True

    return st.from_regex(r"\A[0-9]{6}\Z").filter(accepted)


def payment_methods() -> st.SearchStrategy[PaymentMethod]:
    """Any payment method."""
    return st.sampled_from(PaymentMethod)


@st.composite
def limits(draw: st.DrawFn, currency: str = DEFAULT_CURRENCY) -> Limit:
    """A valid :class:`Limit`: chained caps ordered where set, an independent lifetime cap."""
    chained = sorted(draw(st.lists(st.integers(0, _MAX_CAP_MINOR), min_size=4, max_size=4)))
    present = draw(st.lists(st.booleans(), min_size=5, max_size=5))
    caps = [
        Money.from_minor(cap, currency) if keep else None
        for cap, keep in zip(chained, present, strict=False)
    ]
    lifetime = (
        Money.from_minor(draw(st.integers(0, _MAX_CAP_MINOR)), currency) if present[4] else None
    )
    return Limit(caps[0], caps[1], caps[2], caps[3], lifetime)


def _scaled(limit: Limit, factor: int) -> Limit:
    def scale(cap: Money | None) -> Money | None:
        return None if cap is None else cap * factor

    return Limit(
        scale(limit.per_transaction),
        scale(limit.daily),
        scale(limit.monthly),
        scale(limit.annual),
        scale(limit.lifetime),
    )


@st.composite
def limit_schedules(
    draw: st.DrawFn, currency: str = DEFAULT_CURRENCY, max_tiers: int = 4
) -> LimitSchedule:
    """A valid :class:`LimitSchedule` of 1 to ``max_tiers`` tiers, each no stricter than the one below.

    Higher tiers scale the lowest tier's caps by a growing whole factor, so caps stay ordered
    within a tier and never shrink from one tier to the next. Some tiers get a stricter cap for
    one payment method, and the lowest may disallow withdrawals.
    """
    tier_count = draw(st.integers(1, max_tiers))
    base = draw(limits(currency))
    method = draw(payment_methods())
    method_base = draw(st.none() | limits(currency))
    balance_base = draw(st.none() | st.integers(0, _MAX_CAP_MINOR))
    disallow_withdrawal = draw(st.booleans()) and method is not PaymentMethod.WITHDRAWAL
    factor = 1
    tiers = []
    for index in range(tier_count):
        factor *= draw(st.integers(1, 3)) if index else 1
        tiers.append(
            TierLimits(
                f"tier_{index}",
                _scaled(base, factor),
                balance_cap=None
                if balance_base is None
                else Money.from_minor(balance_base * factor, currency),
                methods={} if method_base is None else {method: _scaled(method_base, factor)},
                disallowed={PaymentMethod.WITHDRAWAL}
                if disallow_withdrawal and index == 0
                else set(),
            )
        )
    return LimitSchedule(tuple(tiers), currency=currency)


@st.composite
def limit_usages(
    draw: st.DrawFn, now: datetime, currency: str = DEFAULT_CURRENCY, max_payments: int = 20
) -> LimitUsage:
    """Usage built by recording up to ``max_payments`` payments at instants up to ``now``."""
    usage = LimitUsage(currency=currency)
    for _ in range(draw(st.integers(0, max_payments))):
        when = now - draw(st.timedeltas(timedelta(0), timedelta(days=400)))
        usage = usage.record(draw(payment_methods()), draw(positive_moneys(currency, 10**7)), when)
    return usage


def refund_windows(
    zones: st.SearchStrategy[ZoneInfo] | None = None,
) -> st.SearchStrategy[RefundWindow]:
    """Any valid :class:`RefundWindow`: every length, both countings, zones from ``zones``.

    ``zones`` defaults to Asia/Shanghai, UTC and America/New_York (which has daylight saving).
    """
    if zones is None:
        zones = st.sampled_from(
            [ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC"), ZoneInfo("America/New_York")]
        )
    return st.builds(
        RefundWindow,
        days=st.integers(1, MAX_REFUND_WINDOW_DAYS),
        counting=st.sampled_from(RefundCounting),
        zone=zones,
    )


# -- fees ---------------------------------------------------------------------------------------
# Built once, at import: hypothesis re-validates strategies built inside composites on every draw,
# and st.timezones() is costly to set up.

_KINDS = st.sampled_from(OperationKind)
_CHANNELS = st.sampled_from(Channel)
_INSTANTS_2026 = aware_datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31, 23, 59))
_OPTIONAL_INSTANTS_2026 = st.none() | _INSTANTS_2026
_BRACKET_ENDS = st.sets(st.integers(1, 10**8), max_size=3)
_FLATS = st.lists(st.integers(0, 10_000), min_size=4, max_size=4)
# fee rates from 0 to 20%, to the thousandth of a percent
_RATES = st.lists(
    st.decimals(min_value=0, max_value=Decimal("0.2"), places=5), min_size=4, max_size=4
)
_BOUNDS = st.tuples(st.integers(0, 5_000), st.integers(0, 5_000), st.booleans(), st.booleans())
_QUOTAS = st.none() | st.tuples(st.integers(1, 10**7), st.sampled_from(QuotaPeriod))
_CHARGINGS, _ROUNDINGS = st.sampled_from(FeeCharging), st.sampled_from(Rounding)
_WAIVER_KINDS = st.none() | st.frozensets(_KINDS, min_size=1)
_WAIVER_NAMES = st.text(min_size=1, max_size=8)
# 1 (a full waiver) or a promotion's fraction in (0, 1)
_DISCOUNTS = st.just(Decimal(1)) | st.decimals(Decimal("0.0001"), Decimal("0.9999"), places=4)
_PAIRS = st.sets(st.tuples(_KINDS, st.none() | _CHANNELS), max_size=6)
_CALENDARS: st.SearchStrategy[HolidayCalendar] = st.just(NoHolidays()) | st.sets(
    st.dates(date(2025, 12, 31), date(2027, 1, 1)), max_size=60
).map(FixedHolidays.of)


def operation_kinds() -> st.SearchStrategy[OperationKind]:
    """Any operation kind."""
    return _KINDS


def channels() -> st.SearchStrategy[Channel]:
    """Any channel.

    Where None (any channel) is allowed too, as for a rule's or a quote's channel, combine it:
    ``st.none() | channels()``.
    """
    return _CHANNELS


@st.composite
def fee_rules(
    draw: st.DrawFn,
    kind: OperationKind | None = None,
    channel: Channel | st.SearchStrategy[Channel | None] | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> FeeRule:
    """A valid :class:`FeeRule`: 1-4 brackets, optional min/max/quota, any charging and rounding.

    ``kind`` is drawn when None; ``channel`` is a channel, a strategy of them, or None (the rule
    prices any channel). Flats and rates are drawn freely; when that makes the fee drop at a
    bracket's end (the rule is refused), they are sorted, which always gives a valid rule.
    """
    ends = sorted(draw(_BRACKET_ENDS))
    count = len(ends) + 1
    flats, bracket_rates = draw(_FLATS)[:count], draw(_RATES)[:count]
    first, second, has_minimum, has_maximum = draw(_BOUNDS)
    low, high = sorted((first, second))
    chosen_kind = draw(_KINDS) if kind is None else kind
    chosen_channel = draw(channel) if isinstance(channel, st.SearchStrategy) else channel
    quota_drawn, charging, rounding = draw(_QUOTAS), draw(_CHARGINGS), draw(_ROUNDINGS)

    def money(minor: int) -> Money:
        return Money.from_minor(minor, currency)

    quota = None if quota_drawn is None else FreeQuota(money(quota_drawn[0]), quota_drawn[1])

    def build(flat_minors: list[int], fractions: list[Decimal]) -> FeeRule:
        uppers: list[Money | None] = [money(end) for end in ends]
        brackets = [
            FeeBracket(upper, money(flat), rate)
            for upper, flat, rate in zip([*uppers, None], flat_minors, fractions, strict=True)
        ]
        return FeeRule(
            chosen_kind,
            brackets,
            channel=chosen_channel,
            minimum=money(low) if has_minimum else None,
            maximum=money(high) if has_maximum else None,
            quota=quota,
            charging=charging,
            rounding=rounding,
        )

    try:
        return build(flats, bracket_rates)
    except InvalidFeeScheduleError:
        return build(sorted(flats), sorted(bracket_rates))


@st.composite
def waivers(
    draw: st.DrawFn,
    discount: st.SearchStrategy[Decimal] = _DISCOUNTS,
    instants: st.SearchStrategy[datetime] | None = None,
) -> Waiver:
    """A valid :class:`Waiver` or promotion, for some kinds or all, on holidays only or not.

    ``discount`` defaults to 1 (a full waiver) or a promotion's fraction. ``starts`` and ``ends``
    are drawn from ``instants`` (by default, aware instants in 2026) or left open.
    """
    optional = _OPTIONAL_INSTANTS_2026 if instants is None else st.none() | instants
    starts, ends = draw(optional), draw(optional)
    if starts is not None and ends is not None and ends <= starts:
        starts, ends = ends, starts + timedelta(microseconds=1)
    return Waiver(
        draw(_WAIVER_NAMES),
        starts=starts,
        ends=ends,
        kinds=draw(_WAIVER_KINDS),
        holidays_only=draw(st.booleans()),
        discount=draw(discount),
    )


_WAIVER_LISTS = st.lists(waivers(), max_size=3)


@st.composite
def fee_schedules(draw: st.DrawFn, currency: str = DEFAULT_CURRENCY) -> FeeSchedule:
    """A valid :class:`FeeSchedule`: a rule for each of a few (kind, channel) pairs, and waivers.

    Up to six distinct pairs, each priced by :func:`fee_rules`, and up to three :func:`waivers`.
    """
    pairs = sorted(draw(_PAIRS), key=str)
    rules = [draw(fee_rules(kind, channel, currency)) for kind, channel in pairs]
    return FeeSchedule(rules, draw(_WAIVER_LISTS), currency=currency)


def holiday_calendars() -> st.SearchStrategy[HolidayCalendar]:
    """No holidays, or up to 60 fixed dates from 31 December 2025 to 1 January 2027."""
    return _CALENDARS


# -- identity -----------------------------------------------------------------------------------
# Check characters are computed here independently of icbc_wallet.domain.identity, so that a
# mistake in either shows up as a generated value the domain refuses.

_DIGITS = "0123456789"
_BIRTH_DATES = st.dates(date(1900, 1, 1), date(2020, 12, 31))
_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _luhn_check_digit(body: str) -> str:
    """The digit that, appended to ``body``, makes the Luhn sum a multiple of ten."""
    total = 0
    for index, char in enumerate(reversed(body)):
        doubled = int(char) * (2 if index % 2 == 0 else 1)  # the check digit will be rightmost
        total += doubled // 10 + doubled % 10
    return str(-total % 10)


def phone_numbers() -> st.SearchStrategy[PhoneNumber]:
    """Any valid mainland mobile number: ``1``, a digit from 3 to 9, then nine digits."""
    return st.from_regex(r"\A1[3-9][0-9]{9}\Z").map(PhoneNumber.parse)


@st.composite
def resident_ids(
    draw: st.DrawFn,
    born: st.SearchStrategy[date] = _BIRTH_DATES,
) -> ResidentId:
    """A valid resident ID: any 6-digit region, a birth date from ``born``, any sequence.

    ``born`` defaults to dates from 1900 to 2020; pass a narrower strategy to stay clear of the
    ``today`` you check against.
    """
    region = draw(st.text(_DIGITS, min_size=6, max_size=6))
    sequence = draw(st.text(_DIGITS, min_size=3, max_size=3))
    body = f"{region}{draw(born):%Y%m%d}{sequence}"
    weights = [2 ** (17 - index) % 11 for index in range(17)]  # 7, 9, 10, 5, ... as the standard
    check = "10X98765432"[sum(int(char) * w for char, w in zip(body, weights, strict=True)) % 11]
    return ResidentId.parse(body + check)


@st.composite
def bank_cards(draw: st.DrawFn, unionpay: bool | None = None) -> BankCard:
    """A valid card number of 16 to 19 digits with its Luhn check digit.

    Args:
        draw: supplied by hypothesis.
        unionpay: True for UnionPay cards only (IIN starting 62), False for others only, None
            (the default) for both, about half of them UnionPay.
    """
    if unionpay is None:
        unionpay = draw(st.booleans())
    length = draw(st.integers(16, 19))
    if unionpay:
        prefix = "62"
    else:
        prefix = draw(st.text(_DIGITS, min_size=2, max_size=2).filter(lambda iin: iin != "62"))
    body = prefix + draw(st.text(_DIGITS, min_size=length - 3, max_size=length - 3))
    return BankCard.parse(body + _luhn_check_digit(body))


@st.composite
def merchant_credit_codes(draw: st.DrawFn) -> MerchantCreditCode:
    """A valid Unified Social Credit Code: 17 characters from its alphabet and the check."""
    body = draw(st.text(_CREDIT_CODE_CHARS, min_size=17, max_size=17))
    total = sum(_CREDIT_CODE_CHARS.index(char) * 3**index for index, char in enumerate(body))
    return MerchantCreditCode.parse(body + _CREDIT_CODE_CHARS[-total % 31])
