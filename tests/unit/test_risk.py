"""Examples for the risk engine: each rule fires at its threshold and not just below it."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.risk import CustomerActivity, PastOperation, RiskRequest
from icbc_wallet.domain.risk_assessment import (
    FiredRule,
    RiskAction,
    RiskAssessment,
    RiskOutcome,
    RiskRuleId,
)
from icbc_wallet.domain.risk_rules import (
    DEFAULT_RISK_RULES,
    AboveHistoryRule,
    FailedPasswordsRule,
    NewPayeeRule,
    RiskRules,
    UnusualHourRule,
    VelocityCountRule,
)
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidIdError,
    InvalidRiskRulesError,
    NaiveDatetimeError,
    RiskInputTypeError,
    UnknownCurrencyError,
    UnknownOperationError,
    WalletError,
)
from icbc_wallet.policies.risk import assess

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 5, 4, 14, 0, tzinfo=SHANGHAI)
"""Monday 4 May 2026, 14:00 in Shanghai: an ordinary afternoon, outside the night hours."""

PAYMENT = OperationKind.PAYMENT
TRANSFER = OperationKind.TRANSFER
WITHDRAWAL = OperationKind.WITHDRAWAL
TOP_UP = OperationKind.TOP_UP
SECTIONS = tuple(field.name for field in attrs.fields(RiskRules) if field.name != "currency")


def cny(amount: str) -> Money:
    return Money.of(amount)


def request(
    amount: str = "100",
    kind: OperationKind = PAYMENT,
    *,
    at: datetime = AT,
    counterparty: str | None = None,
    device: str | None = None,
    channel: str | None = None,
) -> RiskRequest:
    return RiskRequest(at, kind, cny(amount), counterparty, device, channel)


def past(
    ago: timedelta, amount: str = "100", kind: OperationKind = PAYMENT, *, approved: bool = True
) -> PastOperation:
    """An operation made ``ago`` before :data:`AT`."""
    return PastOperation(AT - ago, kind, cny(amount), approved=approved)


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def only(name: str, **settings: Any) -> RiskRules:
    """The default rules with every rule but ``name`` switched off, ``name`` changed by ``settings``."""
    rules = RiskRules()
    changes = {
        section: attrs.evolve(getattr(rules, section), enabled=section == name)
        for section in SECTIONS
    }
    changes[name] = attrs.evolve(changes[name], **settings)
    return attrs.evolve(rules, **changes)


def none_enabled() -> RiskRules:
    rules = RiskRules()
    return attrs.evolve(
        rules,
        **{section: attrs.evolve(getattr(rules, section), enabled=False) for section in SECTIONS},
    )


def fired(
    name: str,
    req: RiskRequest,
    activity: CustomerActivity | None = None,
    **settings: Any,
) -> FiredRule | None:
    """What rule ``name`` alone says about ``req``: the fired rule, or None."""
    assessment = assess(req, activity or CustomerActivity(), only(name, **settings))
    assert len(assessment.fired) <= 1
    return assessment.fired[0] if assessment.fired else None


def activity_of(operations: Iterable[PastOperation] = (), **kwargs: Any) -> CustomerActivity:
    return CustomerActivity(operations=tuple(operations), **kwargs)


# -- 1. velocity: number of operations --------------------------------------------------------------


def test_eleven_operations_in_ten_minutes_are_challenged_with_the_numbers() -> None:
    activity = activity_of(past(minutes(0.5 * i)) for i in range(10))
    rule = fired("velocity_count", request(), activity)
    assert rule is not None
    assert (rule.rule, rule.action, rule.observed, rule.threshold) == (
        RiskRuleId.VELOCITY_COUNT,
        RiskAction.CHALLENGE,
        11,
        10,
    )
    assert rule.explanation == (
        "11 operations in the last 10 minutes, this one included; the rule allows 10"
    )


def test_ten_operations_in_ten_minutes_this_one_included_pass() -> None:
    activity = activity_of(past(minutes(0.5 * i)) for i in range(9))
    assert fired("velocity_count", request(), activity) is None


def test_declined_attempts_count_towards_the_number_of_operations() -> None:
    activity = activity_of(past(minutes(i), approved=False) for i in range(10))
    assert fired("velocity_count", request(), activity) is not None


def test_an_operation_exactly_one_window_old_is_outside_the_window() -> None:
    activity = activity_of(past(minutes(10 - i)) for i in range(10))  # the first: exactly 10 min
    assert fired("velocity_count", request(), activity) is None
    nudged = activity_of(past(minutes(10 - i) - timedelta(microseconds=1)) for i in range(10))
    assert fired("velocity_count", request(), nudged) is not None


def test_top_ups_are_not_counted_as_operations_out() -> None:
    activity = activity_of(past(minutes(i), kind=TOP_UP) for i in range(10))
    assert fired("velocity_count", request(), activity) is None


def test_operations_recorded_after_the_request_are_ignored() -> None:
    activity = activity_of(past(-timedelta(seconds=i + 1)) for i in range(10))
    assert fired("velocity_count", request(), activity) is None


# -- 2. velocity: amount moved out ------------------------------------------------------------------


def test_more_than_twenty_thousand_out_in_a_day_is_challenged_with_the_numbers() -> None:
    activity = activity_of([past(timedelta(hours=23), "19000")])
    rule = fired("velocity_amount", request("1000.01"), activity)
    assert rule is not None
    assert (rule.observed, rule.threshold) == (cny("20000.01"), cny("20000"))
    assert rule.explanation == (
        "20000.01 CNY moved out in the last 24 hours, this one included; "
        "the rule allows 20000.00 CNY"
    )


def test_exactly_twenty_thousand_out_in_a_day_passes() -> None:
    activity = activity_of([past(timedelta(hours=23), "19000")])
    assert fired("velocity_amount", request("1000"), activity) is None


def test_declined_operations_and_top_ups_move_nothing_out() -> None:
    activity = activity_of(
        [past(minutes(5), "19000", approved=False), past(minutes(6), "50000", kind=TOP_UP)]
    )
    assert fired("velocity_amount", request("1001"), activity) is None


def test_amounts_older_than_a_day_are_not_counted() -> None:
    activity = activity_of([past(timedelta(hours=24), "19000")])
    assert fired("velocity_amount", request("1001"), activity) is None


# -- 3. amount far above the customer's own ---------------------------------------------------------


def test_an_amount_above_five_times_the_median_is_challenged_with_the_numbers() -> None:
    activity = activity_of(past(timedelta(days=i + 1), "100") for i in range(5))
    rule = fired("above_history", request("500.01"), activity)
    assert rule is not None
    assert (rule.observed, rule.threshold) == (cny("500.01"), cny("500"))
    assert rule.explanation == (
        "500.01 CNY is above 5 times this customer's typical amount of 100.00 CNY (the median of "
        "5 approved operations in the last 90 days), that is above 500.00 CNY"
    )


def test_an_amount_of_exactly_five_times_the_median_passes() -> None:
    activity = activity_of(past(timedelta(days=i + 1), "100") for i in range(5))
    assert fired("above_history", request("500"), activity) is None


def test_the_median_of_an_even_history_is_rounded_half_up_to_the_fen() -> None:
    amounts = ["100.00"] * 3 + ["100.01"] * 3  # the middle two average 100.005
    activity = activity_of(past(timedelta(days=i + 1), amount) for i, amount in enumerate(amounts))
    assert fired("above_history", request("500.05"), activity) is None  # 5 x 100.01
    rule = fired("above_history", request("500.06"), activity)
    assert rule is not None
    assert rule.threshold == cny("500.05")
    assert "typical amount of 100.01 CNY" in rule.explanation


def test_one_splurge_does_not_move_the_median() -> None:
    amounts = ["100", "100", "100", "100", "90000"]
    activity = activity_of(past(timedelta(days=i + 1), amount) for i, amount in enumerate(amounts))
    assert fired("above_history", request("600"), activity) is not None


def test_a_history_shorter_than_the_minimum_says_nothing() -> None:
    activity = activity_of(past(timedelta(days=i + 1), "10") for i in range(4))
    assert fired("above_history", request("100000"), activity) is None


def test_amounts_below_the_floor_never_fire_and_the_floor_itself_does() -> None:
    activity = activity_of(past(timedelta(days=i + 1), "10") for i in range(5))
    assert fired("above_history", request("499.99"), activity) is None
    assert fired("above_history", request("500"), activity) is not None


def test_only_approved_outgoing_operations_inside_the_lookback_make_the_history() -> None:
    noise = [
        *(past(timedelta(days=90), "10") for _ in range(5)),  # exactly 90 days: outside
        *(past(timedelta(days=1), "10", approved=False) for _ in range(5)),
        *(past(timedelta(days=1), "10", kind=TOP_UP) for _ in range(5)),
    ]
    assert fired("above_history", request("1000"), activity_of(noise)) is None


def test_a_decimal_multiplier_is_applied_exactly() -> None:
    activity = activity_of(past(timedelta(days=i + 1), "100") for i in range(5))
    settings = {"multiplier": Decimal("2.50"), "floor": cny("0")}
    assert fired("above_history", request("250"), activity, **settings) is None
    rule = fired("above_history", request("250.01"), activity, **settings)
    assert rule is not None
    assert "above 2.5 times" in rule.explanation


# -- 4. new device, new channel ---------------------------------------------------------------------


def test_a_new_device_is_challenged_without_naming_it() -> None:
    activity = activity_of(known_devices={"D-1", "D-2"})
    rule = fired("new_device", request(device="D-SECRET"), activity)
    assert rule is not None
    assert (rule.rule, rule.observed, rule.threshold) == (
        RiskRuleId.NEW_DEVICE,
        "new device",
        "2 known devices",
    )
    assert rule.explanation == "a device this customer has not used before (2 other devices known)"
    assert "D-SECRET" not in repr(rule)


def test_a_known_device_passes() -> None:
    activity = activity_of(known_devices={"D-1"})
    assert fired("new_device", request(device="D-1"), activity) is None


def test_a_first_device_is_enrolment_not_risk() -> None:
    assert fired("new_device", request(device="D-1"), activity_of()) is None


def test_a_request_without_a_device_is_not_a_new_device() -> None:
    assert fired("new_device", request(), activity_of(known_devices={"D-1"})) is None


def test_a_new_channel_is_challenged_and_a_known_one_passes() -> None:
    activity = activity_of(known_channels={Channel.MOBILE})
    rule = fired("new_channel", request(channel=Channel.PC), activity)
    assert rule is not None
    assert rule.explanation == "a channel this customer has not used before (1 other channel known)"
    assert fired("new_channel", request(channel="mobile"), activity) is None
    assert fired("new_channel", request(channel="pc"), activity_of()) is None


# -- 5. new payee with a large amount ---------------------------------------------------------------


def test_two_thousand_to_a_new_payee_is_challenged_without_naming_the_payee() -> None:
    activity = activity_of(known_counterparties={"W-1"})
    rule = fired("new_payee", request("2000", TRANSFER, counterparty="W-NEW"), activity)
    assert rule is not None
    assert (rule.observed, rule.threshold) == (cny("2000"), cny("2000"))
    assert rule.explanation == (
        "2000.00 CNY to a payee this customer has not paid before; the rule acts from 2000.00 CNY"
    )
    assert "W-NEW" not in repr(rule)


def test_just_under_two_thousand_to_a_new_payee_passes() -> None:
    assert fired("new_payee", request("1999.99", counterparty="W-NEW")) is None


def test_a_large_amount_to_a_known_payee_passes() -> None:
    activity = activity_of(known_counterparties={"W-1"})
    assert fired("new_payee", request("90000", counterparty="W-1"), activity) is None


def test_the_first_payee_ever_is_a_new_payee() -> None:
    assert fired("new_payee", request("2000", counterparty="W-1"), activity_of()) is not None


def test_a_withdrawal_to_no_payee_is_not_a_new_payee() -> None:
    assert fired("new_payee", request("90000", WITHDRAWAL)) is None


# -- 6. unusual hour --------------------------------------------------------------------------------


def night(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, 5, hour, minute, tzinfo=SHANGHAI)


def test_two_hundred_at_half_past_two_in_shanghai_is_challenged_with_the_time() -> None:
    rule = fired("unusual_hour", request("200", at=night(2, 30)))
    assert rule is not None
    assert (rule.observed, rule.threshold) == ("02:30", "00:00-05:00")
    assert rule.explanation == (
        "made at 02:30 Asia/Shanghai time, inside the night hours 00:00-05:00, for 200.00 CNY; "
        "the rule acts from 200.00 CNY"
    )


def test_a_small_amount_at_night_passes() -> None:
    assert fired("unusual_hour", request("199.99", at=night(2, 30))) is None


@pytest.mark.parametrize(
    ("hour", "minute", "fires"),
    [(0, 0, True), (4, 59, True), (5, 0, False), (23, 59, False), (14, 0, False)],
)
def test_the_night_starts_at_midnight_and_ends_before_five(
    hour: int, minute: int, fires: bool
) -> None:
    assert (fired("unusual_hour", request("300", at=night(hour, minute))) is not None) is fires


def test_the_hour_is_read_in_the_rule_zone_whatever_zone_the_instant_is_written_in() -> None:
    utc_afternoon = datetime(2026, 5, 4, 18, 30, tzinfo=UTC)  # 02:30 the next day in Shanghai
    assert fired("unusual_hour", request("300", at=utc_afternoon)) is not None
    london = fired("unusual_hour", request("300", at=utc_afternoon), zone=ZoneInfo("Europe/London"))
    assert london is None  # 19:30 in London


@pytest.mark.parametrize(
    ("start", "end", "hour", "fires"),
    [
        (22, 6, 23, True),
        (22, 6, 3, True),
        (22, 6, 6, False),
        (22, 6, 21, False),
        (22, 0, 23, True),
        (22, 0, 0, False),
    ],
)
def test_a_night_range_may_wrap_midnight(start: int, end: int, hour: int, fires: bool) -> None:
    rule = fired("unusual_hour", request("300", at=night(hour)), start_hour=start, end_hour=end)
    assert (rule is not None) is fires


# -- 7. bursts of failed passwords ------------------------------------------------------------------


def test_three_wrong_passwords_in_fifteen_minutes_are_challenged_with_the_count() -> None:
    activity = activity_of(failed_passwords=[AT - minutes(1), AT - minutes(5), AT - minutes(14)])
    rule = fired("failed_passwords", request(), activity)
    assert rule is not None
    assert (rule.observed, rule.threshold) == (3, 3)
    assert rule.explanation == (
        "3 wrong payment passwords in the last 15 minutes; the rule acts from 3"
    )


def test_two_wrong_passwords_pass_and_one_fifteen_minutes_old_is_forgotten() -> None:
    assert fired("failed_passwords", request(), activity_of(failed_passwords=[AT, AT])) is None
    stale = activity_of(failed_passwords=[AT - minutes(15), AT - minutes(1), AT - minutes(2)])
    assert fired("failed_passwords", request(), stale) is None


def test_a_burst_of_wrong_passwords_can_be_configured_to_deny() -> None:
    activity = activity_of(failed_passwords=[AT - minutes(i) for i in range(3)])
    assessment = assess(request(), activity, only("failed_passwords", action=RiskAction.DENY))
    assert assessment.outcome is RiskOutcome.DENY


# -- 8. rapid top-up then withdraw ------------------------------------------------------------------


def test_withdrawing_eighty_percent_of_a_fresh_top_up_is_challenged_with_the_numbers() -> None:
    activity = activity_of([past(minutes(10), "2000", TOP_UP)])
    rule = fired("top_up_then_withdraw", request("1600", WITHDRAWAL), activity)
    assert rule is not None
    assert (rule.observed, rule.threshold) == (cny("1600"), cny("1600"))
    assert rule.explanation == (
        "1600.00 CNY taken out by withdrawal or transfer, this one included, within 30 minutes of "
        "2000.00 CNY topped up; the rule acts from 80% of the top-ups and at least 1000.00 CNY, "
        "here 1600.00 CNY"
    )


def test_withdrawing_just_under_eighty_percent_of_a_fresh_top_up_passes() -> None:
    activity = activity_of([past(minutes(10), "2000", TOP_UP)])
    assert fired("top_up_then_withdraw", request("1599.99", WITHDRAWAL), activity) is None


def test_small_round_trips_below_the_minimum_pass() -> None:
    activity = activity_of([past(minutes(10), "1000", TOP_UP)])
    assert fired("top_up_then_withdraw", request("999.99", TRANSFER), activity) is None
    assert fired("top_up_then_withdraw", request("1000", TRANSFER), activity) is not None


def test_the_share_of_the_top_ups_is_rounded_up_to_the_fen() -> None:
    activity = activity_of([past(minutes(10), "1000.01", TOP_UP)])  # 80 % is 800.008
    settings = {"min_amount": cny("0")}
    assert fired("top_up_then_withdraw", request("800", WITHDRAWAL), activity, **settings) is None
    assert fired("top_up_then_withdraw", request("800.01", WITHDRAWAL), activity, **settings)


def test_paying_a_merchant_after_a_top_up_is_not_a_round_trip() -> None:
    activity = activity_of([past(minutes(10), "2000", TOP_UP)])
    assert fired("top_up_then_withdraw", request("2000", PAYMENT), activity) is None


def test_a_top_up_older_than_the_window_or_declined_does_not_count() -> None:
    activity = activity_of(
        [past(minutes(30), "2000", TOP_UP), past(minutes(5), "2000", TOP_UP, approved=False)]
    )
    assert fired("top_up_then_withdraw", request("2000", WITHDRAWAL), activity) is None


def test_money_already_taken_out_after_the_top_up_counts_but_not_before_it() -> None:
    after = activity_of([past(minutes(20), "2000", TOP_UP), past(minutes(10), "1000", WITHDRAWAL)])
    assert fired("top_up_then_withdraw", request("600", TRANSFER), after) is not None
    before = activity_of([past(minutes(25), "1000", WITHDRAWAL), past(minutes(20), "2000", TOP_UP)])
    assert fired("top_up_then_withdraw", request("600", TRANSFER), before) is None


# -- the engine as a whole --------------------------------------------------------------------------

STORM_AT = datetime(2026, 5, 5, 2, 30, tzinfo=SHANGHAI)
PHONE_LIKE = "13812345678"
CARD_LIKE = "6225768888888888"


def storm() -> tuple[RiskRequest, CustomerActivity]:
    """A transfer that every default rule objects to (keys that look like personal numbers)."""
    operations = [
        PastOperation(STORM_AT - minutes(20), TOP_UP, cny("3000")),
        *(PastOperation(STORM_AT - minutes(i + 0.5), PAYMENT, cny("1800")) for i in range(10)),
        *(PastOperation(STORM_AT - timedelta(days=i + 1), PAYMENT, cny("10")) for i in range(20)),
    ]
    activity = CustomerActivity(
        operations,
        failed_passwords=[STORM_AT - minutes(i) for i in range(3)],
        known_devices={"D-1"},
        known_channels={"mobile"},
        known_counterparties={"W-1"},
    )
    req = RiskRequest(
        STORM_AT, TRANSFER, cny("3000"), counterparty=CARD_LIKE, device=PHONE_LIKE, channel="pc"
    )
    return req, activity


ALL_RULES = (
    RiskRuleId.VELOCITY_COUNT,
    RiskRuleId.VELOCITY_AMOUNT,
    RiskRuleId.ABOVE_HISTORY,
    RiskRuleId.NEW_DEVICE,
    RiskRuleId.NEW_CHANNEL,
    RiskRuleId.NEW_PAYEE,
    RiskRuleId.UNUSUAL_HOUR,
    RiskRuleId.FAILED_PASSWORDS,
    RiskRuleId.TOP_UP_THEN_WITHDRAW,
)


def test_every_rule_that_fires_is_listed_in_the_fixed_order_of_the_rules() -> None:
    assessment = assess(*storm())
    assert assessment.rules == ALL_RULES
    assert assessment.outcome is RiskOutcome.CHALLENGE


@pytest.mark.parametrize(("section", "rule_id"), list(zip(SECTIONS, ALL_RULES, strict=True)))
def test_a_disabled_rule_never_fires_and_the_others_still_do(
    section: str, rule_id: RiskRuleId
) -> None:
    rules = RiskRules()
    switched_off = attrs.evolve(
        rules, **{section: attrs.evolve(getattr(rules, section), enabled=False)}
    )
    assessment = assess(*storm(), switched_off)
    assert assessment.rules == tuple(rule for rule in ALL_RULES if rule is not rule_id)


def test_with_every_rule_disabled_everything_is_allowed() -> None:
    assessment = assess(*storm(), none_enabled())
    assert (assessment.outcome, assessment.fired) == (RiskOutcome.ALLOW, ())
    assert assessment.explain() == "allow: no rule fired"


def test_an_ordinary_payment_is_allowed_by_the_defaults() -> None:
    activity = activity_of(
        [past(timedelta(days=1), "80"), past(timedelta(days=2), "120")],
        known_devices={"D-1"},
        known_channels={"mobile"},
        known_counterparties={"M-1"},
    )
    req = request("95", counterparty="M-1", device="D-1", channel="mobile")
    assert assess(req, activity).outcome is RiskOutcome.ALLOW


def test_the_outcome_is_the_strongest_action_of_the_rules_that_fired() -> None:
    rules = attrs.evolve(RiskRules(), new_payee=NewPayeeRule(action=RiskAction.DENY))
    assessment = assess(*storm(), rules)
    assert assessment.outcome is RiskOutcome.DENY
    assert [rule.action for rule in assessment.fired].count(RiskAction.DENY) == 1


def test_explanations_carry_no_key_that_could_be_personal_data() -> None:
    assessment = assess(*storm())
    text = assessment.explain() + repr(assessment)
    for key in (PHONE_LIKE, CARD_LIKE, "D-1", "W-1"):
        assert key not in text


def test_explain_gives_the_outcome_then_one_line_per_rule() -> None:
    lines = assess(*storm()).explain().splitlines()
    assert lines[0] == "challenge: 9 rules fired"
    assert [line.split(" ")[1] for line in lines[1:]] == [rule.value for rule in ALL_RULES]


def test_a_request_in_another_currency_than_the_rules_is_refused() -> None:
    usd = RiskRequest(AT, PAYMENT, Money.of("10", "USD"))
    with pytest.raises(CurrencyMismatchError, match="the request is in USD"):
        assess(usd, CustomerActivity())
    history = CustomerActivity([PastOperation(AT, PAYMENT, Money.of("10", "USD"))])
    with pytest.raises(CurrencyMismatchError, match="operations are in USD"):
        assess(request(), history)


def test_outcomes_are_ordered_by_severity_and_actions_map_to_them() -> None:
    assert RiskOutcome.ALLOW < RiskOutcome.CHALLENGE < RiskOutcome.DENY
    assert max(RiskOutcome) is RiskOutcome.DENY
    assert RiskOutcome.DENY >= RiskOutcome.CHALLENGE > RiskOutcome.ALLOW
    assert [outcome.severity for outcome in RiskOutcome] == [0, 1, 2]
    assert (RiskAction.CHALLENGE.outcome, RiskAction.DENY.outcome) == (
        RiskOutcome.CHALLENGE,
        RiskOutcome.DENY,
    )
    with pytest.raises(TypeError):
        _ = RiskOutcome.ALLOW < "deny"  # type: ignore[operator]


def test_an_assessment_derives_its_outcome_from_what_fired() -> None:
    deny = FiredRule(RiskRuleId.NEW_PAYEE, RiskAction.DENY, cny("1"), cny("1"), "x")
    challenge = FiredRule(RiskRuleId.NEW_DEVICE, RiskAction.CHALLENGE, "a", "b", "y")
    assert RiskAssessment([challenge, deny]).outcome is RiskOutcome.DENY
    assert RiskAssessment([challenge]).outcome is RiskOutcome.CHALLENGE
    assert RiskAssessment().outcome is RiskOutcome.ALLOW


# -- inputs are checked -----------------------------------------------------------------------------


def test_a_request_keeps_its_instant_in_utc_and_channels_as_plain_strings() -> None:
    req = request(channel=Channel.PC)
    assert req.at == AT
    assert req.at.tzinfo is UTC
    assert type(req.channel) is str
    assert req.channel == "pc"


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: RiskRequest(datetime(2026, 5, 4), PAYMENT, cny("1")), NaiveDatetimeError),
        (lambda: RiskRequest(AT, TOP_UP, cny("1")), UnknownOperationError),
        (lambda: RiskRequest(AT, "refund", cny("1")), UnknownOperationError),
        (lambda: RiskRequest(AT, 3, cny("1")), UnknownOperationError),  # type: ignore[arg-type]
        (lambda: RiskRequest(AT, PAYMENT, cny("-1")), InvalidAmountError),
        (lambda: RiskRequest(AT, PAYMENT, Decimal(1)), AmountTypeError),  # type: ignore[arg-type]
        (lambda: RiskRequest(AT, PAYMENT, cny("1"), counterparty=""), InvalidIdError),
        (lambda: RiskRequest(AT, PAYMENT, cny("1"), device=12345), InvalidIdError),  # type: ignore[arg-type]
        (lambda: PastOperation(AT, PAYMENT, cny("1"), approved=1), RiskInputTypeError),  # type: ignore[arg-type]
        (lambda: CustomerActivity(known_devices="D-1"), RiskInputTypeError),
        (lambda: CustomerActivity(known_channels=7), RiskInputTypeError),  # type: ignore[arg-type]
        (lambda: CustomerActivity(known_counterparties={"W 1"}), InvalidIdError),
        (lambda: CustomerActivity(operations=[request()]), RiskInputTypeError),  # type: ignore[list-item]
        (lambda: CustomerActivity(operations="ops"), RiskInputTypeError),  # type: ignore[arg-type]
        (lambda: CustomerActivity(failed_passwords=[datetime(2026, 5, 4)]), NaiveDatetimeError),
        (lambda: CustomerActivity(failed_passwords=3), RiskInputTypeError),  # type: ignore[arg-type]
        (
            lambda: CustomerActivity(
                [
                    PastOperation(AT, PAYMENT, cny("1")),
                    PastOperation(AT, PAYMENT, Money.of("1", "USD")),
                ]
            ),
            CurrencyMismatchError,
        ),
    ],
)
def test_malformed_inputs_are_refused_with_a_documented_error(
    build: Any, error: type[WalletError]
) -> None:
    with pytest.raises(error):
        build()


def test_a_refused_key_is_never_repeated_in_the_error() -> None:
    with pytest.raises(InvalidIdError, match="counterparty") as caught:
        RiskRequest(AT, PAYMENT, cny("1"), counterparty=f"{CARD_LIKE} x")
    assert CARD_LIKE not in str(caught.value)
    with pytest.raises(InvalidIdError, match="known_devices") as caught:
        CustomerActivity(known_devices=[f"{PHONE_LIKE} "])
    assert PHONE_LIKE not in str(caught.value)


# -- rules are data ---------------------------------------------------------------------------------


def test_the_defaults_are_the_documented_numbers() -> None:
    rules = DEFAULT_RISK_RULES
    assert rules == RiskRules()
    assert (rules.velocity_count.max_operations, rules.velocity_count.window) == (10, minutes(10))
    assert (rules.velocity_amount.max_total, rules.velocity_amount.window) == (
        cny("20000"),
        timedelta(hours=24),
    )
    history = rules.above_history
    assert (history.multiplier, history.min_history, history.lookback, history.floor) == (
        Decimal(5),
        5,
        timedelta(days=90),
        cny("500"),
    )
    assert rules.new_payee.min_amount == cny("2000")
    hour = rules.unusual_hour
    assert (hour.zone, hour.start_hour, hour.end_hour, hour.min_amount) == (
        SHANGHAI,
        0,
        5,
        cny("200"),
    )
    assert (rules.failed_passwords.failures, rules.failed_passwords.window) == (3, minutes(15))
    round_trip = rules.top_up_then_withdraw
    assert (round_trip.window, round_trip.share, round_trip.min_amount) == (
        minutes(30),
        Decimal("0.8"),
        cny("1000"),
    )
    assert all(getattr(rules, section).enabled for section in SECTIONS)
    assert {getattr(rules, section).action for section in SECTIONS} == {RiskAction.CHALLENGE}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: VelocityCountRule(window=timedelta(0)), "window must be"),
        (lambda: VelocityCountRule(window=timedelta(seconds=1.5)), "window must be"),
        (lambda: VelocityCountRule(window=timedelta(days=367)), "window must be"),
        (lambda: VelocityCountRule(max_operations=0), "max_operations must be"),
        (lambda: VelocityCountRule(max_operations=True), "max_operations must be"),
        (lambda: VelocityCountRule(action="deny"), "action must be"),  # type: ignore[arg-type]
        (lambda: VelocityCountRule(enabled=1), "enabled must be"),  # type: ignore[arg-type]
        (lambda: AboveHistoryRule(multiplier=Decimal(1)), "multiplier must be"),
        (lambda: AboveHistoryRule(multiplier=Decimal("NaN")), "multiplier must be"),
        (lambda: AboveHistoryRule(multiplier=5), "multiplier must be"),  # type: ignore[arg-type]
        (lambda: AboveHistoryRule(floor=cny("-0.01")), "floor must be"),
        (lambda: AboveHistoryRule(floor=500), "floor must be"),  # type: ignore[arg-type]
        (lambda: UnusualHourRule(start_hour=24), "start_hour must be"),
        (lambda: UnusualHourRule(start_hour=3, end_hour=3), "must differ"),
        (lambda: UnusualHourRule(zone="Asia/Shanghai"), "zone must be"),  # type: ignore[arg-type]
        (lambda: FailedPasswordsRule(failures=-1), "failures must be"),
        (lambda: RiskRules(velocity_count=FailedPasswordsRule()), "velocity_count must be"),  # type: ignore[arg-type]
        (
            lambda: RiskRules(new_payee=NewPayeeRule(min_amount=Money.of("1", "USD"))),
            "new_payee.min_amount is in USD",
        ),
    ],
)
def test_bad_thresholds_are_refused_naming_the_setting(build: Any, message: str) -> None:
    with pytest.raises(InvalidRiskRulesError, match=message):
        build()


@pytest.mark.parametrize("share", [Decimal(0), Decimal("1.01"), Decimal("-0.5")])
def test_a_share_must_be_above_zero_and_at_most_one(share: Decimal) -> None:
    rules = RiskRules()
    with pytest.raises(InvalidRiskRulesError, match="share must be"):
        attrs.evolve(rules.top_up_then_withdraw, share=share)


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrencyError):
        RiskRules(currency="XXX")


def test_rules_write_to_plain_data_and_read_back_equal() -> None:
    rules = only("new_payee", min_amount=cny("5000"), action=RiskAction.DENY)
    plain = rules.to_dict()
    assert json.loads(json.dumps(plain)) == plain  # plain: str, int, bool only
    assert RiskRules.from_mapping(plain) == rules
    assert plain["new_payee"] == {"action": "deny", "enabled": True, "min_amount": "5000.00"}


def test_rules_load_from_a_toml_table_and_keys_left_out_keep_their_defaults() -> None:
    document = tomllib.loads(
        """
        [velocity_count]
        max_operations = 20
        window_seconds = 300

        [above_history]
        multiplier = "3.5"
        floor = "800"

        [unusual_hour]
        zone = "Asia/Urumqi"
        start_hour = 23
        end_hour = 6
        action = "deny"

        [new_channel]
        enabled = false
        """
    )
    rules = RiskRules.from_mapping(document)
    assert rules.velocity_count == VelocityCountRule(max_operations=20, window=minutes(5))
    assert rules.above_history == AboveHistoryRule(multiplier=Decimal("3.5"), floor=cny("800"))
    assert rules.unusual_hour == UnusualHourRule(
        zone=ZoneInfo("Asia/Urumqi"), start_hour=23, end_hour=6, action=RiskAction.DENY
    )
    assert not rules.new_channel.enabled
    assert rules.new_payee == RiskRules().new_payee
    assert RiskRules.from_mapping({}) == RiskRules()


def test_rules_in_another_currency_need_every_amount_in_it() -> None:
    amounts = {
        "velocity_amount": {"max_total": "3000"},
        "above_history": {"floor": "70"},
        "new_payee": {"min_amount": "300"},
        "unusual_hour": {"min_amount": "30"},
        "top_up_then_withdraw": {"min_amount": "150"},
    }
    rules = RiskRules.from_mapping({"currency": "USD", **amounts})
    assert rules.new_payee.min_amount == Money.of("300", "USD")
    with pytest.raises(InvalidRiskRulesError, match=r"velocity_amount\.max_total is in CNY"):
        RiskRules.from_mapping({"currency": "USD"})


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"velocity": {}}, r"unknown key 'velocity'"),
        ({"velocity_count": {"window": 600}}, r"risk rules velocity_count: unknown key 'window'"),
        ({"velocity_count": []}, r"velocity_count must be a table"),
        ({"velocity_count": {"window_seconds": 0}}, r"velocity_count\.window_seconds must be"),
        ({"velocity_count": {"window_seconds": 10**30}}, r"velocity_count\.window_seconds"),
        ({"velocity_count": {"window_seconds": "600"}}, r"velocity_count\.window_seconds"),
        ({"velocity_count": {"max_operations": 2.0}}, r"velocity_count\.max_operations"),
        ({"velocity_count": {"enabled": "yes"}}, r"velocity_count\.enabled must be true or false"),
        ({"velocity_count": {"action": "block"}}, r"velocity_count\.action must be one of"),
        ({"velocity_count": {"action": 1}}, r"velocity_count\.action"),
        ({"velocity_amount": {"max_total": 20000.0}}, r"velocity_amount\.max_total"),
        ({"velocity_amount": {"max_total": "-1"}}, r"velocity_amount\.max_total"),
        ({"velocity_amount": {"max_total": "0.001"}}, r"velocity_amount\.max_total"),
        ({"velocity_amount": {"max_total": True}}, r"velocity_amount\.max_total"),
        ({"above_history": {"multiplier": 0.5}}, r"above_history\.multiplier"),
        ({"above_history": {"multiplier": "1"}}, r"above_history\.multiplier"),
        ({"above_history": {"multiplier": "5e1"}}, r"above_history\.multiplier"),
        ({"above_history": {"multiplier": "NaN"}}, r"above_history\.multiplier"),
        ({"top_up_then_withdraw": {"share": "1.5"}}, r"top_up_then_withdraw\.share"),
        ({"unusual_hour": {"zone": "Mars/Base"}}, r"unusual_hour\.zone must be an IANA"),
        ({"unusual_hour": {"zone": "../etc/passwd"}}, r"unusual_hour\.zone"),
        ({"unusual_hour": {"zone": 8}}, r"unusual_hour\.zone"),
        ({"unusual_hour": {"end_hour": 24}}, r"unusual_hour\.end_hour must be an hour"),
        ({"unusual_hour": {"start_hour": 5}}, r"risk rules unusual_hour: .*must differ"),
        ({"currency": "cny"}, r"currency must be an ISO 4217 code"),
        ({"currency": 156}, r"currency must be an ISO 4217 code"),
    ],
)
def test_bad_plain_rules_are_refused_naming_the_key(mapping: Any, message: str) -> None:
    with pytest.raises(InvalidRiskRulesError, match=message):
        RiskRules.from_mapping(mapping)


def test_plain_rules_must_be_a_mapping() -> None:
    with pytest.raises(InvalidRiskRulesError, match="must be a table"):
        RiskRules.from_mapping([("currency", "CNY")])  # type: ignore[arg-type]


def test_a_multiplier_may_be_written_as_an_integer() -> None:
    rules = RiskRules.from_mapping({"above_history": {"multiplier": 4}})
    assert rules.above_history.multiplier == Decimal(4)
    assert rules.to_dict()["above_history"]["multiplier"] == "4"  # type: ignore[index]
