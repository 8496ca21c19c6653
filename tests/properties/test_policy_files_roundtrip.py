"""Laws of policy files: what is written reads back equal, and every key is found on its line.

CI cost: two properties at the profile's example count (100 under ``ci``, 25 under ``ci-quick``),
about a second each on one core; each example dumps, parses and reads back a whole policy set.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from decimal import Decimal
from typing import Final

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from icbc_wallet.adapters.holidays import ChineseHolidayCalendar
from icbc_wallet.domain.credentials import LockoutRules, SecurityRules
from icbc_wallet.domain.disputes import DisputeTerms
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.limit_increase import LimitIncreaseTerms
from icbc_wallet.domain.limits import LimitSchedule
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.domain.registration import Evidence
from icbc_wallet.domain.risk_assessment import RiskAction
from icbc_wallet.domain.risk_rules import NewPayeeRule, RiskRules, UnusualHourRule
from icbc_wallet.domain.tiers import TierPolicy, TierRule
from icbc_wallet.policies.authentication import AuthenticationRules
from icbc_wallet.policy_files import dumps_policies, loads_policies, policies_equal
from icbc_wallet.policy_files._locate import KeyPath, key_lines
from icbc_wallet.service.config import WalletPolicies
from icbc_wallet.testing.strategies import (
    fee_schedules,
    holiday_calendars,
    limit_schedules,
    refund_windows,
)

_EVIDENCE: Final = tuple(Evidence)
# A drawn policy set is large (two fee schedules, calendars, rules): at most 50 examples keep the
# law to about two seconds, under the fuzz profile too.
_EXAMPLES: Final = settings(max_examples=min(50, settings().max_examples))
_SECONDS: Final = st.integers(1, 10 * 86_400).map(lambda s: timedelta(seconds=s))
_SHOP_METHODS: Final = ("static_qr", "dynamic_qr", "nfc", "online")


def _tier_policies(limits: LimitSchedule) -> st.SearchStrategy[TierPolicy]:
    """Rules naming some of the schedule's tiers, lowest first, each asking for more evidence."""
    names = limits.tier_names
    picked = st.lists(st.sampled_from(names), min_size=1, max_size=len(_EVIDENCE))
    return picked.map(
        lambda tiers: TierPolicy(
            tuple(
                TierRule(_EVIDENCE[: index + 1], tier)
                for index, tier in enumerate(sorted(tiers, key=names.index))
            ),
            name="generated",
        )
    )


def _customer_fees(schedule: FeeSchedule) -> FeeSchedule:
    """The schedule without payment rules, which only merchants pay."""
    rules = [rule for rule in schedule.rules if rule.kind is not OperationKind.PAYMENT]
    return FeeSchedule(rules, schedule.waivers, currency=schedule.currency, name=schedule.name)


@st.composite
def _authentication(draw: st.DrawFn, tiers: tuple[str, ...]) -> AuthenticationRules:
    one, two, three = sorted(draw(st.lists(st.integers(1, 10**6), min_size=3, max_size=3)))
    methods = draw(st.lists(st.sampled_from(_SHOP_METHODS), unique=True))
    floors = draw(st.dictionaries(st.sampled_from(tiers), st.integers(1, 3)))
    return AuthenticationRules.from_mapping(
        {
            "one_kind_daily_cap": one,
            "two_kinds_daily_cap": two,
            "certificate_daily_cap": draw(st.sampled_from([str(three), "unlimited"])),
            "password_free_daily": str(one),
            "password_free_limits": {method: str(one) for method in methods},
            "minimum_kinds": {"pay": draw(st.integers(1, 3))},
            "tier_minimum_kinds": floors,
        }
    )


@st.composite
def _risk(draw: st.DrawFn) -> RiskRules:
    start, end = draw(st.lists(st.integers(0, 23), min_size=2, max_size=2, unique=True))
    return RiskRules(
        new_payee=NewPayeeRule(
            action=draw(st.sampled_from(RiskAction)),
            enabled=draw(st.booleans()),
            min_amount=Money.from_minor(draw(st.integers(0, 10**8))),
        ),
        unusual_hour=UnusualHourRule(start_hour=start, end_hour=end),
    )


@st.composite
def wallet_policies(draw: st.DrawFn) -> WalletPolicies:
    """Any policy set a file can hold: durations in whole seconds, one currency."""
    limits = draw(limit_schedules())
    names = limits.tier_names
    increase = LimitIncreaseTerms(
        eligible_tiers=draw(st.none() | st.frozensets(st.sampled_from(names))),
        max_multiple=draw(st.integers(1, 1000)),
    )
    fees = draw(fee_schedules())  # the costliest draw: one schedule serves both
    response, decision = sorted(draw(st.lists(_SECONDS, min_size=2, max_size=2, unique=True)))
    return WalletPolicies(
        limits=limits,
        tiers=draw(_tier_policies(limits)),
        fees=_customer_fees(fees),
        merchant_fees=fees,
        refund_window=draw(refund_windows()),
        merchant_answer_time=draw(_SECONDS),
        dispute_terms=DisputeTerms(merchant_response_time=response, decision_time=decision),
        increase_terms=increase,
        calendar=draw(holiday_calendars() | st.just(ChineseHolidayCalendar())),
        hold_time=timedelta(seconds=draw(st.integers(1, 30 * 86_400))),
        idempotency_time=timedelta(seconds=draw(st.integers(86_400, 400 * 86_400))),
        security=SecurityRules(
            lockout=LockoutRules(max_failures=draw(st.integers(1, 10))),
            code_resend_after=timedelta(seconds=draw(st.integers(0, 900))),
        ),
        authentication=draw(st.none() | _authentication(names)),
        risk=draw(st.none() | st.just(RiskRules()) | _risk()),
    )


@_EXAMPLES
@given(wallet_policies())
def test_a_policy_set_reads_back_equal_to_what_was_written(policies: WalletPolicies) -> None:
    text = dumps_policies(policies)
    again = loads_policies(text)
    assert policies_equal(again, policies)
    assert dumps_policies(again) == text  # the written form is canonical
    _assert_every_value_is_found_on_the_line_of_its_key(text)


def test_the_law_can_fail_when_a_value_is_lost() -> None:
    policies = WalletPolicies.default()
    changed = attrs.evolve(policies, hold_time=policies.hold_time + timedelta(seconds=1))
    assert not policies_equal(loads_policies(dumps_policies(changed)), policies)


def _leaves(value: object, path: KeyPath = ()) -> list[tuple[KeyPath, object]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list) and value and isinstance(value[0], dict | list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [(path, value)]


def _assert_every_value_is_found_on_the_line_of_its_key(text: str) -> None:
    lines = text.split("\n")  # TOML lines end at \n alone, not at \x85 or \u2028
    found = key_lines(text)
    for path, _value in _leaves(tomllib.loads(text)):
        assert path in found, path
        line = lines[found[path] - 1]
        last = path[-1]
        if isinstance(last, str):  # an array element inside [[...]]: its own line
            assert last in line or f'"{last}"' in line, (path, line)


@given(st.decimals("0", "1", places=6))
def test_a_rate_is_written_as_the_exact_decimal_it_is(rate: Decimal) -> None:
    policies = WalletPolicies.default()
    rule = attrs.evolve(
        policies.fees.rules[0],
        brackets=[attrs.evolve(policies.fees.rules[0].brackets[0], rate=rate)],
    )
    changed = attrs.evolve(policies, fees=attrs.evolve(policies.fees, rules=[rule]))
    assert loads_policies(dumps_policies(changed)).fees.rules[0].brackets[0].rate == rate
