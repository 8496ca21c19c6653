"""Tier rules and policies, the preset policies, tier assignment and limits chosen within a tier."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.domain.limits import Limit, LimitSchedule, LimitWindow, PaymentMethod, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.registration import Evidence, Registration
from icbc_wallet.domain.tiers import TierPolicy, TierRule, parse_evidence
from icbc_wallet.errors import (
    CurrencyMismatchError,
    InsufficientEvidenceError,
    InvalidLimitScheduleError,
    InvalidTierPolicyError,
    LimitChoiceError,
    UnknownTierError,
    WalletError,
)
from icbc_wallet.policies.tiers import assign_tier, choose_limits
from icbc_wallet.presets.limits import ALL_LIMIT_PRESETS, ARTICLE_DEFAULTS, ECNY_2021
from icbc_wallet.presets.tiers import ALL_TIER_POLICIES, ARTICLE_TIER_POLICY, ECNY_TIER_POLICY
from icbc_wallet.testing.strategies import limits

PHONE, IDENTITY, CARD, FACE = (
    Evidence.PHONE,
    Evidence.IDENTITY,
    Evidence.BANK_CARD,
    Evidence.FACE_TO_FACE,
)


def cny(amount: str) -> Money:
    return Money.of(amount)


# -- rules and policies --------------------------------------------------------------------------


def test_a_rule_accepts_evidence_members_or_their_values() -> None:
    assert TierRule({"phone", IDENTITY}, "x").evidence == frozenset({PHONE, IDENTITY})
    assert TierRule([], "anyone").evidence == frozenset()


@pytest.mark.parametrize(
    ("evidence", "tier", "words"),
    [
        ({"fingerprint"}, "x", "unknown evidence 'fingerprint'"),
        ("phone", "x", "collection"),
        (42, "x", "collection"),
        ({PHONE}, "", "non-empty tier name"),
        ({PHONE}, "  ", "non-empty tier name"),
        ({PHONE}, None, "non-empty tier name"),
    ],
)
def test_a_malformed_rule_is_refused(evidence: object, tier: object, words: str) -> None:
    with pytest.raises(InvalidTierPolicyError, match=words) as caught:
        TierRule(evidence, tier)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)


def test_parse_evidence_reads_values() -> None:
    assert parse_evidence(["phone", "bank_card"]) == {PHONE, CARD}


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ((), "at least one rule"),
        (TierRule({PHONE}, "a"), "sequence of TierRule"),
        (("a",), "must be a TierRule"),
        ((TierRule({PHONE}, "a"), TierRule({"phone"}, "b")), "same evidence"),
        (
            (TierRule({PHONE, IDENTITY}, "b"), TierRule({PHONE}, "a")),
            "asks for less evidence",
        ),
    ],
)
def test_a_malformed_policy_is_refused(rules: object, words: str) -> None:
    with pytest.raises(InvalidTierPolicyError, match=words):
        TierPolicy(rules)  # type: ignore[arg-type]


def test_a_policy_lists_its_tiers_once_in_rule_order() -> None:
    policy = TierPolicy(
        (TierRule({PHONE}, "low"), TierRule({PHONE, CARD}, "mid"), TierRule({IDENTITY}, "mid"))
    )
    assert policy.tier_names == ("low", "mid")


def test_every_preset_policy_fits_its_limit_schedule() -> None:
    assert set(ALL_TIER_POLICIES) == {"ecny-2021", "article-defaults"}
    for name, policy in ALL_TIER_POLICIES.items():
        assert policy.name == name
        policy.check_against(ALL_LIMIT_PRESETS[name])
    assert ECNY_TIER_POLICY.tier_names == ECNY_2021.tier_names
    assert ARTICLE_TIER_POLICY.tier_names == ARTICLE_DEFAULTS.tier_names


def test_a_policy_naming_a_tier_the_schedule_lacks_is_caught() -> None:
    with pytest.raises(UnknownTierError, match="'WL04'") as caught:
        ECNY_TIER_POLICY.check_against(ARTICLE_DEFAULTS)
    assert isinstance(caught.value, LookupError)


def test_a_policy_whose_rules_climb_down_the_schedule_is_caught() -> None:
    upside_down = TierPolicy(
        (TierRule({PHONE}, "real_name"), TierRule({PHONE, IDENTITY}, "unverified"))
    )
    with pytest.raises(InvalidTierPolicyError, match="higher in schedule 'article-defaults'"):
        upside_down.check_against(ARTICLE_DEFAULTS)


# -- assigning a tier ----------------------------------------------------------------------------

ECNY_CASES = [
    ({PHONE}, "WL04"),
    ({PHONE, CARD}, "WL04"),  # a card without an identity proves nothing about its holder
    ({PHONE, IDENTITY}, "WL03"),
    ({PHONE, IDENTITY, CARD}, "WL02"),
    ({PHONE, IDENTITY, FACE}, "WL01"),
    ({PHONE, IDENTITY, CARD, FACE}, "WL01"),
]


@pytest.mark.parametrize(("evidence", "tier"), ECNY_CASES)
def test_ecny_classes_follow_the_evidence(evidence: set[Evidence], tier: str) -> None:
    assert assign_tier(ECNY_TIER_POLICY, evidence) == tier


def test_the_article_policy_has_two_levels() -> None:
    assert assign_tier(ARTICLE_TIER_POLICY, ["phone"]) == "unverified"
    assert assign_tier(ARTICLE_TIER_POLICY, {PHONE, IDENTITY, CARD}) == "real_name"


def test_a_submitted_registration_gets_the_tier_its_evidence_earns() -> None:
    at = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    registration = (
        Registration.start("R-1", at)
        .verify_phone(PhoneNumber.parse("13800138000"))
        .identify("张三", ResidentId.parse("34052419800101001X"))
        .set_credentials("password-hash", "Pet's name?", "answer-hash")
        .bind_card(BankCard.parse("6225768888888888"))
        .submit(at)
    )
    assert assign_tier(ECNY_TIER_POLICY, registration.evidence) == "WL02"


@pytest.mark.parametrize("evidence", [set(), {FACE}, {IDENTITY, CARD, FACE}])
def test_evidence_below_the_lowest_rule_is_refused_saying_what_is_missing(
    evidence: set[Evidence],
) -> None:
    with pytest.raises(InsufficientEvidenceError, match=r"'WL04' also needs \['phone'\]") as caught:
        assign_tier(ECNY_TIER_POLICY, evidence)
    assert isinstance(caught.value, WalletError)


def test_evidence_given_as_one_string_is_refused() -> None:
    with pytest.raises(InvalidTierPolicyError):
        assign_tier(ECNY_TIER_POLICY, "phone")


EVIDENCE_SETS = st.frozensets(st.sampled_from(Evidence))


@pytest.mark.parametrize("name", sorted(ALL_TIER_POLICIES))
@given(smaller=EVIDENCE_SETS, extra=EVIDENCE_SETS)
def test_more_evidence_never_gives_a_lower_tier(
    name: str, smaller: frozenset[Evidence], extra: frozenset[Evidence]
) -> None:
    policy, order = ALL_TIER_POLICIES[name], ALL_LIMIT_PRESETS[name].tier_names
    try:
        low = assign_tier(policy, smaller)
    except InsufficientEvidenceError:
        return  # nothing to compare with: any tier is at least "none"
    assert order.index(assign_tier(policy, smaller | extra)) >= order.index(low)


# -- choosing limits within the tier ---------------------------------------------------------------

UNVERIFIED = ARTICLE_DEFAULTS.tier("unverified")  # 500 per transaction, 1,000 a day


def test_no_choice_keeps_the_tier_limits() -> None:
    assert choose_limits(UNVERIFIED, None) is UNVERIFIED


def test_a_lower_choice_replaces_the_tier_cap_and_keeps_the_rest_of_the_tier() -> None:
    chosen = choose_limits(UNVERIFIED, Limit.of(per_transaction="200"))
    assert chosen.limit == Limit.of(per_transaction="200", daily="1000")
    assert chosen.name == UNVERIFIED.name
    assert chosen.methods == UNVERIFIED.methods
    assert chosen.balance_cap == UNVERIFIED.balance_cap


def test_a_daily_choice_below_the_tier_per_transaction_cap_lowers_that_cap_too() -> None:
    chosen = choose_limits(UNVERIFIED, Limit.of(daily="300"))
    assert chosen.limit == Limit.of(per_transaction="300", daily="300")


def test_a_window_the_tier_leaves_open_can_be_capped_at_any_amount() -> None:
    chosen = choose_limits(UNVERIFIED, Limit.of(monthly="99999", lifetime="5"))
    assert chosen.limit == Limit.of(
        per_transaction="500", daily="1000", monthly="99999", lifetime="5"
    )


def test_a_cap_above_the_tier_is_refused_naming_window_asked_and_allowed() -> None:
    with pytest.raises(LimitChoiceError) as caught:
        choose_limits(UNVERIFIED, Limit.of(per_transaction="200", daily="1500"))
    message = str(caught.value)
    assert "daily" in message
    assert "1500.00 CNY" in message
    assert "1000.00 CNY" in message
    assert "'unverified'" in message
    assert isinstance(caught.value, ValueError)


def test_a_choice_is_compared_with_what_wider_windows_allow_too() -> None:
    tier = TierLimits("t", Limit.of(daily="2000"))
    with pytest.raises(
        LimitChoiceError, match=r"per-transaction cap 3000\.00 CNY is above the 2000\.00"
    ):
        choose_limits(tier, Limit.of(per_transaction="3000"))
    with pytest.raises(LimitChoiceError, match="lifetime"):
        choose_limits(TierLimits("t", Limit.of(lifetime="1000")), Limit.of(lifetime="1000.01"))


def test_a_lifetime_cap_stays_independent_of_the_windows_chosen() -> None:
    class_i = TierLimits("class_I", Limit.of(lifetime="1000"))
    chosen = choose_limits(class_i, Limit.of(annual="5000")).limit
    assert chosen == Limit.of(annual="5000", lifetime="1000")
    assert chosen.effective_cap(LimitWindow.YEAR) == cny("1000")  # the lifetime cap still binds


def test_a_tier_without_caps_accepts_any_choice() -> None:
    wl01 = ECNY_2021.tier("WL01")
    chosen = choose_limits(wl01, Limit.of(per_transaction="100000"))
    assert chosen.limit == Limit.of(per_transaction="100000")
    assert chosen.method_limit(PaymentMethod.WITHDRAWAL) == wl01.method_limit(
        PaymentMethod.WITHDRAWAL
    )


def test_a_choice_in_another_currency_or_of_another_type_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        choose_limits(UNVERIFIED, Limit.of(daily="10", currency="USD"))
    with pytest.raises(InvalidLimitScheduleError):
        choose_limits(UNVERIFIED, {"daily": "10"})  # type: ignore[arg-type]


def at_most(cap: Money | None, ceiling: Money | None) -> bool:
    return ceiling is None or (cap is not None and cap <= ceiling)


def allowed_in(limit: Limit, window: LimitWindow) -> Money | None:
    """The tier's own cap for ``window``, or a wider chained window's if tighter."""
    if window is LimitWindow.LIFETIME:
        return limit.lifetime
    wider = [limit.cap(w) for w in LimitWindow if window.value <= w.value < 4]
    return min((cap for cap in wider if cap is not None), default=None)


@given(tier_limit=limits(), chosen=limits())
def test_choosing_limits_never_widens_any_cap(tier_limit: Limit, chosen: Limit) -> None:
    tier = TierLimits("t", tier_limit)
    try:
        result = choose_limits(tier, chosen).limit
    except LimitChoiceError:
        assert any(
            not at_most(chosen.cap(window), allowed_in(tier_limit, window))
            for window in LimitWindow
            if chosen.cap(window) is not None
        )
        return
    for window in LimitWindow:
        assert at_most(result.effective_cap(window), tier_limit.effective_cap(window))
        assert at_most(result.cap(window), tier_limit.cap(window))
        if chosen.cap(window) is not None:
            assert result.cap(window) == chosen.cap(window)


@given(tier_limit=limits(), data=st.data())
def test_any_choice_within_the_tier_is_accepted_and_binds(
    tier_limit: Limit, data: st.DataObject
) -> None:
    # Non-decreasing draws, each clipped to what the tier allows (itself non-decreasing from the
    # narrowest window), always make a valid choice within the tier.
    drawn = sorted(data.draw(st.lists(st.integers(0, 10**11), min_size=5, max_size=5)))
    keep = data.draw(st.lists(st.booleans(), min_size=5, max_size=5))
    caps: list[Money | None] = []
    for window, minor, kept in zip(LimitWindow, drawn, keep, strict=True):
        ceiling = allowed_in(tier_limit, window)
        amount = minor if ceiling is None else min(minor, ceiling.minor)
        caps.append(Money.from_minor(amount) if kept else None)
    chosen = Limit(*caps)
    result = choose_limits(TierLimits("t", tier_limit), chosen).limit
    for window in LimitWindow:
        assert at_most(result.effective_cap(window), chosen.effective_cap(window))
        assert at_most(result.effective_cap(window), tier_limit.effective_cap(window))


@given(tier_limit=limits())
def test_choosing_the_tier_own_limit_changes_nothing(tier_limit: Limit) -> None:
    assert choose_limits(TierLimits("t", tier_limit), tier_limit).limit == tier_limit


def test_the_ecny_schedule_is_a_valid_schedule_for_chosen_tiers() -> None:
    # A tier narrowed by a choice still fits in a schedule with its neighbours' own limits.
    chosen = choose_limits(ECNY_2021.tier("WL02"), Limit.of(daily="60000"))
    LimitSchedule((ECNY_2021.tier("WL03"), chosen), allow_stricter_higher_tiers=True)
