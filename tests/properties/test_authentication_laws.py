"""Laws of the authentication policy, over generated requests and generated rules.

More factors never make a decision stricter; an allowed payment fits the cap its factors earn;
every option of a challenge allows when verified, none is redundant, and together they cover every
way of being allowed; rules survive a round trip through plain data.
"""

from __future__ import annotations

import itertools
import json

import attrs
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.domain.factors import (
    MONEY_ACTIONS,
    SENSITIVE_ACTIONS,
    Allowed,
    AuthAction,
    AuthRequest,
    ChallengeRequired,
    Denied,
    Factor,
    RiskLevel,
    count_kinds,
)
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.policies.authentication import (
    DEFAULT_AUTHENTICATION_RULES,
    AuthenticationRules,
    daily_cap,
    decide,
)

TIERS = ("unverified", "real_name", "gold")
SHOP_METHODS = (
    PaymentMethod.STATIC_QR,
    PaymentMethod.DYNAMIC_QR,
    PaymentMethod.NFC,
    PaymentMethod.ONLINE,
)
METHODS = {
    AuthAction.PAY: (PaymentMethod.NFC, *SHOP_METHODS),  # NFC twice: it may go password-free
    AuthAction.TRANSFER: (PaymentMethod.P2P_TRANSFER,),
    AuthAction.WITHDRAW: (PaymentMethod.WITHDRAWAL,),
}
STRICTNESS = {Allowed: 0, ChallengeRequired: 1, Denied: 2}

factor_sets = st.frozensets(st.sampled_from(Factor))
# Minor units around the default caps (1,000 and 5,000 CNY) and their exact boundaries.
minor_amounts = st.one_of(
    st.integers(1, 150_000),
    st.integers(1, 1_200_000),
    st.sampled_from([1, 100_000, 100_001, 400_000, 500_000, 500_001]),
)


def cny(minor: int) -> Money:
    return Money.from_minor(minor)


@st.composite
def requests(draw: st.DrawFn) -> AuthRequest:
    action = draw(st.sampled_from([AuthAction.PAY, *AuthAction]))
    common = {
        "action": action,
        "tier": draw(st.sampled_from(TIERS)),
        "verified": draw(factor_sets),
        "risk": draw(st.sampled_from([RiskLevel.ALLOW, RiskLevel.ALLOW, *RiskLevel])),
        "password_locked": draw(st.booleans()),
    }
    if action not in MONEY_ACTIONS:
        return AuthRequest(**common)
    return AuthRequest(
        **common,
        amount=cny(draw(minor_amounts)),
        method=draw(st.none() | st.sampled_from(METHODS[action])),
        spent_today=cny(draw(st.sampled_from([0, 0, 50_000, 90_000, 450_000]) | minor_amounts)),
        password_free_today=cny(draw(st.integers(0, 150_000))),
    )


groups = st.lists(st.frozensets(st.sampled_from(Factor), min_size=1, max_size=3), max_size=2)
kinds = st.integers(1, 3)
# Rules differ from the defaults in a few actions at a time (the others keep theirs).
minimum_kinds = st.dictionaries(st.sampled_from(AuthAction), kinds, max_size=3).map(
    lambda chosen: {
        action: max(number, 2) if action in SENSITIVE_ACTIONS else number
        for action, number in chosen.items()
    }
)
required_factors = st.dictionaries(st.sampled_from(AuthAction), groups, max_size=3)
tier_floors = st.dictionaries(st.sampled_from(TIERS), kinds, min_size=1, max_size=2)


@st.composite
def generated_rules(draw: st.DrawFn) -> AuthenticationRules:
    one = draw(st.integers(0, 600_000))
    two = draw(st.integers(one, 1_000_000))
    certificate = draw(st.none() | st.integers(two, 2_000_000))
    free_daily = draw(st.sampled_from([0, 50_000, 100_000, 300_000]))
    free_methods = draw(st.sets(st.sampled_from(SHOP_METHODS))) if free_daily else set()
    return AuthenticationRules(
        one_kind_daily_cap=cny(one),
        two_kinds_daily_cap=cny(two),
        certificate_daily_cap=None if certificate is None else cny(certificate),
        password_free_limits={method: cny(free_daily // 2) for method in free_methods},
        password_free_daily=cny(free_daily),
        minimum_kinds=draw(minimum_kinds),
        required_factors=draw(required_factors),
        tier_minimum_kinds=draw(tier_floors),
    )


rules_strategy = st.one_of(st.just(DEFAULT_AUTHENTICATION_RULES), generated_rules())


def with_factors(request: AuthRequest, extra: frozenset[Factor]) -> AuthRequest:
    return attrs.evolve(request, verified=request.verified | extra)


@given(requests(), factor_sets, rules_strategy)
def test_more_verified_factors_never_make_a_decision_stricter(
    request: AuthRequest, extra: frozenset[Factor], rules: AuthenticationRules
) -> None:
    before = decide(request, rules)
    after = decide(with_factors(request, extra), rules)
    assert STRICTNESS[type(after)] <= STRICTNESS[type(before)]


@given(requests(), rules_strategy)
def test_an_allowed_request_meets_its_rules_and_fits_the_cap_its_factors_earn(
    request: AuthRequest, rules: AuthenticationRules
) -> None:
    decision = decide(request, rules)
    if not isinstance(decision, Allowed):
        return
    assert decision.daily_cap == daily_cap(decision.factors, rules)
    assert decision.factors <= request.verified
    assert not (request.password_locked and Factor.PAYMENT_PASSWORD in decision.factors)
    if request.action in MONEY_ACTIONS:
        assert request.amount is not None
        if decision.daily_cap is not None:
            assert request.spent_today + request.amount <= decision.daily_cap
    if decision.password_free:
        assert request.action is AuthAction.PAY
        assert request.risk is RiskLevel.ALLOW
        assert request.tier not in rules.tier_minimum_kinds
        assert request.amount is not None
        assert request.method is not None
        assert request.amount <= rules.password_free_limits[request.method]
        assert request.password_free_today + request.amount <= rules.password_free_daily
        return
    # Not password-free: the action's own requirement is met by the factors that count.
    kinds = count_kinds(decision.factors)
    assert kinds >= rules.minimum_kinds[request.action]
    assert all(group & decision.factors for group in rules.required_factors[request.action])
    if request.action in MONEY_ACTIONS:
        assert kinds >= rules.tier_minimum_kinds.get(request.tier, 0)
    if request.risk is RiskLevel.CHALLENGE:
        assert kinds >= min(3, max(2, rules.minimum_kinds[request.action] + 1))


@given(requests(), rules_strategy)
def test_every_option_of_a_challenge_allows_when_verified(
    request: AuthRequest, rules: AuthenticationRules
) -> None:
    decision = decide(request, rules)
    if not isinstance(decision, ChallengeRequired):
        return
    assert decision.options
    assert decision.options == tuple(
        sorted(
            decision.options,
            key=lambda option: (len(option), sorted(map(list(Factor).index, option))),
        )
    )
    for option in decision.options:
        assert option
        assert option.isdisjoint(request.verified)
        assert not (request.password_locked and Factor.PAYMENT_PASSWORD in option)
        assert isinstance(decide(with_factors(request, option), rules), Allowed)
    for smaller, larger in itertools.permutations(decision.options, 2):
        assert not smaller <= larger


@given(requests(), rules_strategy)
def test_the_options_cover_every_way_to_be_allowed_with_a_factor(
    request: AuthRequest, rules: AuthenticationRules
) -> None:
    decision = decide(request, rules)
    if isinstance(decision, Allowed):
        return
    unverified = [factor for factor in Factor if factor not in request.verified]
    options = decision.options if isinstance(decision, ChallengeRequired) else ()
    for size in range(1, len(unverified) + 1):
        for extra in map(frozenset, itertools.combinations(unverified, size)):
            after = decide(with_factors(request, extra), rules)
            if isinstance(after, Allowed) and not after.password_free:
                assert any(option <= extra for option in options), (extra, decision)


@given(requests(), rules_strategy)
def test_a_risk_challenge_is_never_laxer_than_a_risk_allow(
    request: AuthRequest, rules: AuthenticationRules
) -> None:
    calm = decide(attrs.evolve(request, risk=RiskLevel.ALLOW), rules)
    wary = decide(attrs.evolve(request, risk=RiskLevel.CHALLENGE), rules)
    assert STRICTNESS[type(wary)] >= STRICTNESS[type(calm)]
    assert type(decide(attrs.evolve(request, risk=RiskLevel.DENY), rules)) is Denied


@given(requests(), rules_strategy)
def test_a_tier_floor_above_the_kinds_verified_allows_no_money_action(
    request: AuthRequest, rules: AuthenticationRules
) -> None:
    usable = (
        request.verified - {Factor.PAYMENT_PASSWORD}
        if request.password_locked
        else request.verified
    )
    kinds = count_kinds(usable)
    if request.action not in MONEY_ACTIONS or kinds == 3:
        return
    floored = attrs.evolve(rules, tier_minimum_kinds={request.tier: kinds + 1})
    assert not isinstance(decide(request, floored), Allowed)


@given(requests(), rules_strategy)
def test_a_denial_for_a_locked_password_lifts_when_it_unlocks(
    request: AuthRequest, rules: AuthenticationRules
) -> None:
    decision = decide(request, rules)
    if isinstance(decision, Denied) and decision.code == "auth.password_locked":
        unlocked = attrs.evolve(request, password_locked=False, verified=frozenset(Factor))
        assert isinstance(decide(unlocked, rules), Allowed)


@given(factor_sets, factor_sets, rules_strategy)
def test_the_daily_cap_never_falls_as_factors_are_added(
    verified: frozenset[Factor], extra: frozenset[Factor], rules: AuthenticationRules
) -> None:
    before, after = daily_cap(verified, rules), daily_cap(verified | extra, rules)
    assert after is None or (before is not None and before <= after)
    if count_kinds(verified) < 2:
        assert before == rules.one_kind_daily_cap


@given(rules_strategy)
def test_rules_survive_a_round_trip_through_plain_data(rules: AuthenticationRules) -> None:
    data = rules.to_dict()
    assert AuthenticationRules.from_mapping(data) == rules
    assert AuthenticationRules.from_mapping(json.loads(json.dumps(data))) == rules


CREDENTIAL = frozenset({Factor.PAYMENT_PASSWORD, Factor.FINGERPRINT, Factor.FACE})
KNOWLEDGE = frozenset({Factor.PAYMENT_PASSWORD, Factor.SECURITY_QUESTION})
DYNAMIC = frozenset({Factor.SMS_OTP, Factor.TOTP})


@st.composite
def small_nfc_payments(draw: st.DrawFn) -> AuthRequest:
    """Payments near the password-free limits (1,000 each, 1,000 a day) and the one-kind cap."""
    near_1000 = st.integers(1, 110_000) | st.sampled_from([100_000, 100_001])
    return AuthRequest(
        action=AuthAction.PAY,
        tier=draw(st.sampled_from(TIERS)),
        amount=cny(draw(near_1000)),
        method=PaymentMethod.NFC,
        verified=draw(st.frozensets(st.sampled_from(sorted(frozenset(Factor) - CREDENTIAL)))),
        spent_today=cny(draw(st.just(0) | near_1000)),
        password_free_today=cny(draw(st.just(0) | near_1000)),
        risk=draw(st.sampled_from([RiskLevel.ALLOW, RiskLevel.ALLOW, RiskLevel.CHALLENGE])),
        password_locked=draw(st.booleans()),
    )


def _allowed_by_the_documented_defaults(request: AuthRequest) -> bool:
    """PBOC Art. 23/24 and the article, restated from the rules' documentation."""
    usable = (
        request.verified - {Factor.PAYMENT_PASSWORD}
        if request.password_locked
        else request.verified
    )
    kinds = count_kinds(usable)
    wary = request.risk is RiskLevel.CHALLENGE
    if request.action is AuthAction.LOGIN:
        return bool(usable & KNOWLEDGE and usable & DYNAMIC) and kinds >= (3 if wary else 2)
    if request.action in SENSITIVE_ACTIONS:
        return bool(usable & CREDENTIAL) and kinds >= (3 if wary else 2)
    assert request.amount is not None
    total = request.spent_today + request.amount
    cap = daily_cap(usable)
    fits = cap is None or total <= cap
    needed = 1 if total <= cny(100_000) else 2
    if wary:
        needed = min(3, needed + 1)
    if usable & CREDENTIAL and fits and kinds >= needed:
        return True
    return (
        not wary
        and request.method is PaymentMethod.NFC
        and request.amount <= cny(100_000)
        and request.password_free_today + request.amount <= cny(100_000)
        and fits
    )


@given(requests() | small_nfc_payments())
def test_the_default_rules_allow_exactly_what_their_documentation_says(
    request: AuthRequest,
) -> None:
    decision = decide(request)
    if request.risk is RiskLevel.DENY:
        assert isinstance(decision, Denied)
    else:
        assert isinstance(decision, Allowed) is _allowed_by_the_documented_defaults(request)
