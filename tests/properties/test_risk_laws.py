"""Laws of the risk engine, for any rules, request and customer history."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.domain.risk import OUTGOING_KINDS, CustomerActivity, PastOperation, RiskRequest
from icbc_wallet.domain.risk_assessment import RiskAction, RiskOutcome, RiskRuleId
from icbc_wallet.domain.risk_rules import (
    DEFAULT_RISK_RULES,
    AboveHistoryRule,
    FailedPasswordsRule,
    NewChannelRule,
    NewDeviceRule,
    NewPayeeRule,
    RiskRules,
    TopUpThenWithdrawRule,
    UnusualHourRule,
    VelocityAmountRule,
    VelocityCountRule,
)
from icbc_wallet.policies.risk import assess

# -- strategies (candidates for icbc_wallet.testing.strategies) ------------------------------------

AT = datetime(2026, 5, 4, 18, 30, tzinfo=UTC)
"""02:30 in Shanghai: inside the default night hours, so the hour rule is exercised."""
DAY = 86_400
KEYS = ("K-1", "K-2", "K-3")
SECTIONS = tuple(field.name for field in attrs.fields(RiskRules) if field.name != "currency")
RULE_ORDER = list(RiskRuleId)


def cny(max_minor: int = 3_000_000) -> st.SearchStrategy[Money]:
    """CNY amounts from zero to ``max_minor`` fen (30,000 yuan by default)."""
    return st.integers(0, max_minor).map(Money.from_minor)


windows: st.SearchStrategy[timedelta] = st.one_of(
    st.sampled_from([60, 600, 900, 1_800, 3_600, DAY, 90 * DAY]), st.integers(1, 366 * DAY)
).map(lambda seconds: timedelta(seconds=seconds))
"""Every valid window, often one of the usual ones."""


@st.composite
def risk_rules(draw: st.DrawFn) -> RiskRules:
    """Valid rules in CNY: any thresholds, each rule on or off, challenging or denying."""

    def common() -> dict[str, Any]:
        return {"enabled": draw(st.booleans()), "action": draw(st.sampled_from(RiskAction))}

    start, end = draw(st.lists(st.integers(0, 23), min_size=2, max_size=2, unique=True))
    return RiskRules(
        velocity_count=VelocityCountRule(
            **common(), max_operations=draw(st.integers(1, 12)), window=draw(windows)
        ),
        velocity_amount=VelocityAmountRule(
            **common(), max_total=draw(cny(20_000_000)), window=draw(windows)
        ),
        above_history=AboveHistoryRule(
            **common(),
            multiplier=draw(
                st.decimals("1.01", "10", places=2) | st.decimals("1.01", "1000", places=2)
            ),
            min_history=draw(st.integers(1, 5)),
            lookback=draw(windows),
            floor=draw(cny(50_000)),
        ),
        new_device=NewDeviceRule(**common()),
        new_channel=NewChannelRule(**common()),
        new_payee=NewPayeeRule(**common(), min_amount=draw(cny(500_000))),
        unusual_hour=UnusualHourRule(
            **common(),
            zone=draw(st.sampled_from([ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/London")])),
            start_hour=start,
            end_hour=end,
            min_amount=draw(cny(100_000)),
        ),
        failed_passwords=FailedPasswordsRule(
            **common(), failures=draw(st.integers(1, 5)), window=draw(windows)
        ),
        top_up_then_withdraw=TopUpThenWithdrawRule(
            **common(),
            window=draw(windows),
            share=draw(st.decimals("0.01", "1", places=2)),
            min_amount=draw(cny(200_000)),
        ),
    )


def keys(pool: tuple[str, ...] = KEYS) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(pool)


def requests(pool: tuple[str, ...] = KEYS) -> st.SearchStrategy[RiskRequest]:
    """An outgoing operation at :data:`AT` (written in Shanghai time or UTC)."""
    return st.builds(
        RiskRequest,
        at=st.sampled_from([AT, AT.astimezone(ZoneInfo("Asia/Shanghai"))]),
        kind=st.sampled_from([OperationKind.WITHDRAWAL, OperationKind.TRANSFER])
        | st.sampled_from(sorted(OUTGOING_KINDS)),
        amount=cny(),
        counterparty=keys(pool),
        device=keys(pool),
        channel=keys(pool),
    )


offsets: st.SearchStrategy[timedelta] = st.one_of(
    st.integers(-3_600, 60), st.integers(-100 * DAY, DAY)
).map(lambda seconds: timedelta(seconds=seconds))
"""Mostly the last hour (where windows are short), sometimes months ago or after the request."""


def past_operations() -> st.SearchStrategy[PastOperation]:
    """Operations around :data:`AT`; their keys are left out: the engine never reads them."""
    return st.builds(
        PastOperation,
        at=offsets.map(lambda offset: AT + offset),
        kind=st.sampled_from([OperationKind.PAYMENT, OperationKind.TOP_UP])
        | st.sampled_from(OperationKind),
        amount=cny(),
        approved=st.booleans(),
    )


def activities(pool: tuple[str, ...] = KEYS) -> st.SearchStrategy[CustomerActivity]:
    """A customer's recent past: operations, failed passwords and known keys around :data:`AT`."""
    return st.builds(
        CustomerActivity,
        operations=st.lists(past_operations(), max_size=15),
        failed_passwords=st.lists(offsets.map(lambda offset: AT + offset), max_size=6),
        known_devices=st.frozensets(st.sampled_from(pool)),
        known_channels=st.frozensets(st.sampled_from(pool)),
        known_counterparties=st.frozensets(st.sampled_from(pool)),
    )


def all_disabled(rules: RiskRules) -> RiskRules:
    return attrs.evolve(
        rules,
        **{section: attrs.evolve(getattr(rules, section), enabled=False) for section in SECTIONS},
    )


def longest_window(rules: RiskRules) -> timedelta:
    return max(
        value
        for section in SECTIONS
        for value in attrs.astuple(getattr(rules, section), recurse=False)
        if isinstance(value, timedelta)
    )


# -- laws ------------------------------------------------------------------------------------------


@given(requests(), activities(), risk_rules(), st.data())
def test_assessing_is_deterministic_and_ignores_the_order_of_the_history(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules, data: st.DataObject
) -> None:
    shuffled = attrs.evolve(activity, operations=data.draw(st.permutations(activity.operations)))
    first = assess(request, activity, rules)
    assert assess(request, activity, rules) == first
    assert assess(request, shuffled, rules) == first


@given(requests(), activities(), risk_rules())
def test_the_outcome_is_the_strongest_action_of_the_rules_fired_in_their_fixed_order(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> None:
    assessment = assess(request, activity, rules)
    positions = [RULE_ORDER.index(fired.rule) for fired in assessment.fired]
    assert positions == sorted(set(positions))
    strongest = max((fired.action.outcome for fired in assessment.fired), default=None)
    assert assessment.outcome is (strongest or RiskOutcome.ALLOW)
    for fired in assessment.fired:
        section = SECTIONS[RULE_ORDER.index(fired.rule)]  # the ids follow the sections
        assert getattr(rules, section).enabled
        assert fired.explanation
    assert assessment.explain().count("\n") == len(assessment.fired)


@given(requests(), activities(), risk_rules(), st.data())
def test_records_outside_every_window_change_nothing(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules, data: st.DataObject
) -> None:
    edge = request.at - longest_window(rules)
    outside = st.one_of(
        st.integers(0, 400 * DAY).map(lambda seconds: edge - timedelta(seconds=seconds)),
        st.integers(1, 400 * DAY).map(lambda seconds: request.at + timedelta(microseconds=seconds)),
    )
    extra = attrs.evolve(data.draw(past_operations()), at=data.draw(outside))
    more = attrs.evolve(
        activity,
        operations=(*activity.operations, extra),
        failed_passwords=(*activity.failed_passwords, data.draw(outside)),
    )
    assert assess(request, more, rules) == assess(request, activity, rules)


@given(requests(), activities(), risk_rules())
def test_with_every_rule_disabled_everything_is_allowed(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> None:
    assessment = assess(request, activity, all_disabled(rules))
    assert (assessment.outcome, assessment.fired) == (RiskOutcome.ALLOW, ())


def _switched_on(rules: RiskRules) -> RiskRules:
    return attrs.evolve(
        rules,
        **{section: attrs.evolve(getattr(rules, section), enabled=True) for section in SECTIONS},
    )


def _with(rules: RiskRules, threshold: str, value: object) -> RiskRules:
    section, name = threshold.split(".")
    return attrs.evolve(rules, **{section: attrs.evolve(getattr(rules, section), **{name: value})})


_COUNTS: Final = tuple(range(1, 17))
_MULTIPLIERS: Final = tuple(Decimal(text) for text in ("1.01", "1.5", "2", "3", "5", "10", "1000"))
_SHARES: Final = tuple(Decimal(text) for text in ("0.01", "0.25", "0.5", "0.8", "0.99", "1"))


def _ladder(threshold: str, request: RiskRequest) -> list[object]:
    """Values of ``threshold`` in increasing order: every count that matters, a spread of ratios,
    and amounts by powers of ten plus the request's own amount and its neighbours."""
    section, name = threshold.split(".")
    kind = type(getattr(getattr(DEFAULT_RISK_RULES, section), name))
    if kind is int:
        return list(_COUNTS)
    if kind is Decimal:
        return list(_SHARES if threshold.endswith("share") else _MULTIPLIERS)
    minors = {0, *(10**power for power in range(11))}
    minors |= {max(request.amount.minor + step, 0) for step in (-1, 0, 1)}
    return [Money.from_minor(minor) for minor in sorted(minors)]


ZERO: Final = Money.zero()
RATIOS: Final = ("above_history.multiplier", "top_up_then_withdraw.share")
THRESHOLDS = (
    "velocity_count.max_operations",
    "velocity_amount.max_total",
    "above_history.multiplier",
    "above_history.min_history",
    "above_history.floor",
    "new_payee.min_amount",
    "unusual_hour.min_amount",
    "failed_passwords.failures",
    "top_up_then_withdraw.share",
    "top_up_then_withdraw.min_amount",
)


@given(requests(), activities(), risk_rules().map(_switched_on))
def test_raising_a_threshold_never_makes_an_operation_riskier(
    request: RiskRequest, activity: CustomerActivity, rules: RiskRules
) -> None:
    # Without their floors, the ratios alone decide whether their rules fire.
    floorless = _with(
        _with(rules, "above_history.floor", ZERO), "top_up_then_withdraw.min_amount", ZERO
    )
    for threshold in THRESHOLDS:
        base = floorless if threshold in RATIOS else rules
        ladder = _ladder(threshold, request)
        answers = [assess(request, activity, _with(base, threshold, value)) for value in ladder]
        for lower, higher in itertools.pairwise(answers):
            assert set(higher.rules) <= set(lower.rules), threshold
            assert higher.outcome <= lower.outcome, threshold


@given(risk_rules())
def test_rules_written_to_plain_data_read_back_equal(rules: RiskRules) -> None:
    plain = rules.to_dict()
    assert json.loads(json.dumps(plain)) == plain
    assert RiskRules.from_mapping(plain) == rules
    assert RiskRules.from_mapping(json.loads(json.dumps(plain))) == rules


PERSONAL = st.one_of(
    st.integers(13 * 10**9, 20 * 10**9 - 1).map(str),  # mobile numbers
    st.integers(62 * 10**14, 63 * 10**17 - 1).map(str),  # card numbers
)
"""Keys that look like personal numbers: a careless caller might use them."""


@given(st.lists(PERSONAL, min_size=3, max_size=3, unique=True).map(tuple), st.data())
def test_no_key_ever_appears_in_an_explanation(pool: tuple[str, ...], data: st.DataObject) -> None:
    request = data.draw(requests(pool))
    assessment = assess(request, data.draw(activities(pool)), data.draw(risk_rules()))
    text = assessment.explain() + repr(assessment.fired)
    assert not [key for key in pool if key in text]
