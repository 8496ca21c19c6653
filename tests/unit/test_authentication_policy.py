"""The authentication policy: factors and kinds, PBOC Art. 24 caps, password-free payments,
login, sensitive actions, risk step-up, a locked password, the request and the rules."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from icbc_wallet.domain.factors import (
    Allowed,
    AuthAction,
    AuthDecision,
    AuthRequest,
    ChallengeRequired,
    Denied,
    Factor,
    FactorCategory,
    RiskLevel,
    count_kinds,
    parse_factor,
    parse_factors,
)
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    AuthRequestTypeError,
    CurrencyMismatchError,
    InvalidAuthenticationRulesError,
    InvalidAuthRequestError,
    UnknownFactorError,
    WalletError,
)
from icbc_wallet.policies.authentication import (
    DEFAULT_AUTHENTICATION_RULES,
    AuthenticationRules,
    daily_cap,
    decide,
)

PW, SQ, SMS, TOTP = (
    Factor.PAYMENT_PASSWORD,
    Factor.SECURITY_QUESTION,
    Factor.SMS_OTP,
    Factor.TOTP,
)
CERT, DEVICE, FINGER, FACE = (
    Factor.DIGITAL_CERTIFICATE,
    Factor.DEVICE_BINDING,
    Factor.FINGERPRINT,
    Factor.FACE,
)


def cny(amount: str) -> Money:
    return Money.of(amount)


def fs(*factors: Factor) -> frozenset[Factor]:
    return frozenset(factors)


def move(
    amount: str,
    *verified: Factor,
    action: AuthAction = AuthAction.PAY,
    spent: str = "0",
    free_used: str = "0",
    method: PaymentMethod | None = None,
    risk: RiskLevel = RiskLevel.ALLOW,
    locked: bool = False,
    tier: str = "real_name",
) -> AuthRequest:
    return AuthRequest(
        action=action,
        tier=tier,
        amount=cny(amount),
        method=method,
        verified=frozenset(verified),
        spent_today=cny(spent),
        password_free_today=cny(free_used),
        risk=risk,
        password_locked=locked,
    )


def act(
    action: AuthAction,
    *verified: Factor,
    risk: RiskLevel = RiskLevel.ALLOW,
    locked: bool = False,
) -> AuthRequest:
    return AuthRequest(
        action=action,
        tier="real_name",
        verified=frozenset(verified),
        risk=risk,
        password_locked=locked,
    )


def allowed(decision: AuthDecision) -> Allowed:
    assert type(decision) is Allowed, decision
    return decision


def challenged(decision: AuthDecision) -> ChallengeRequired:
    assert type(decision) is ChallengeRequired, decision
    return decision


def denied(decision: AuthDecision) -> Denied:
    assert type(decision) is Denied, decision
    return decision


# -- factors and kinds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "category"),
    [
        (PW, FactorCategory.KNOWLEDGE),
        (SQ, FactorCategory.KNOWLEDGE),
        (SMS, FactorCategory.POSSESSION),
        (TOTP, FactorCategory.POSSESSION),
        (CERT, FactorCategory.POSSESSION),
        (DEVICE, FactorCategory.POSSESSION),
        (FINGER, FactorCategory.INHERENCE),
        (FACE, FactorCategory.INHERENCE),
    ],
)
def test_every_factor_has_the_kind_art_23_gives_it(
    factor: Factor, category: FactorCategory
) -> None:
    assert factor.category is category


@pytest.mark.parametrize(
    ("factors", "kinds"),
    [
        (fs(), 0),
        (fs(PW), 1),
        (fs(PW, SQ), 1),
        (fs(SMS, TOTP, DEVICE, CERT), 1),
        (fs(PW, SMS), 2),
        (fs(SMS, FACE), 2),
        (fs(PW, SMS, FINGER, FACE), 3),
    ],
)
def test_kinds_count_categories_not_factors(factors: frozenset[Factor], kinds: int) -> None:
    assert count_kinds(factors) == kinds


def test_factors_parse_from_members_or_their_values() -> None:
    assert parse_factor("sms_otp") is SMS
    assert parse_factors(["totp", FACE]) == fs(TOTP, FACE)
    assert count_kinds(["payment_password", "face"]) == 2


@pytest.mark.parametrize("bad", ["SMS_OTP", "password", "", 3])
def test_an_unknown_factor_is_refused(bad: object) -> None:
    with pytest.raises(UnknownFactorError, match="unknown factor"):
        parse_factor(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["totp", b"totp", 7])
def test_factors_must_be_a_collection_not_a_lone_string(bad: object) -> None:
    with pytest.raises(UnknownFactorError, match="collection"):
        parse_factors(bad)  # type: ignore[arg-type]


# -- PBOC Art. 24 caps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verified", "cap"),
    [
        (fs(), "1000"),
        (fs(PW), "1000"),
        (fs(FINGER, FACE), "1000"),
        (fs(SMS, DEVICE), "1000"),  # two possession factors are one kind
        (fs(CERT), "1000"),
        (fs(CERT, DEVICE), "1000"),  # a certificate without a second kind earns nothing more
        (fs(PW, SMS), "5000"),
        (fs(PW, FINGER), "5000"),
        (fs(TOTP, FACE), "5000"),
        (fs(PW, SMS, FACE), "5000"),
        (fs(PW, CERT), None),  # by agreement
        (fs(CERT, FINGER), None),
    ],
)
def test_the_daily_cap_follows_art_24(verified: frozenset[Factor], cap: str | None) -> None:
    assert daily_cap(verified) == (None if cap is None else cny(cap))


def test_an_agreed_certificate_cap_replaces_by_agreement() -> None:
    rules = AuthenticationRules(certificate_daily_cap=cny("50000"))
    assert daily_cap({PW, CERT}, rules) == cny("50000")


@pytest.mark.parametrize(
    ("verified", "spent", "amount", "outcome"),
    [
        ((PW,), "700", "300.00", "allowed"),
        ((PW,), "700", "300.01", "auth.second_kind_required"),
        ((SMS, DEVICE), "700", "300.00", "auth.factor_required"),  # one kind, no credential
        ((PW, SMS), "700", "300.01", "allowed"),
        ((PW, SMS), "4000", "1000.00", "allowed"),
        ((PW, SMS), "4000", "1000.01", "auth.certificate_required"),
        ((PW, SMS, FACE), "4000", "1000.01", "auth.certificate_required"),
        ((PW, CERT), "4000", "1000.01", "allowed"),
        ((PW, CERT), "0", "1000000", "allowed"),
        ((PW, DEVICE), "999.99", "0.01", "allowed"),
        ((PW,), "0", "1000.01", "auth.second_kind_required"),
    ],
)
def test_the_days_total_must_fit_the_cap_of_the_factors_verified(
    verified: tuple[Factor, ...], spent: str, amount: str, outcome: str
) -> None:
    decision = decide(move(amount, *verified, spent=spent))
    assert ("allowed" if isinstance(decision, Allowed) else decision.code) == outcome


def test_at_the_cap_exactly_the_payment_is_allowed_with_the_cap_it_earned() -> None:
    decision = allowed(decide(move("300.00", PW, spent="700")))
    assert decision.daily_cap == cny("1000")
    assert decision.factors == fs(PW)
    assert not decision.password_free


def test_one_fen_over_the_one_kind_cap_asks_for_a_second_kind_with_the_numbers() -> None:
    decision = challenged(decide(move("300.01", PW, spent="700")))
    assert decision.code == "auth.second_kind_required"
    assert "1000.01 CNY" in decision.reason
    assert "1000.00 CNY daily cap" in decision.reason
    assert decision.options == (fs(SMS), fs(TOTP), fs(CERT), fs(DEVICE), fs(FINGER), fs(FACE))


def test_one_fen_over_the_two_kinds_cap_asks_for_a_digital_certificate() -> None:
    decision = challenged(decide(move("1000.01", PW, SMS, spent="4000")))
    assert decision.options == (fs(CERT),)
    assert "5000.01 CNY" in decision.reason
    assert "5000.00 CNY daily cap" in decision.reason


def test_above_an_agreed_certificate_cap_nothing_can_allow_the_payment() -> None:
    rules = AuthenticationRules(certificate_daily_cap=cny("50000"))
    assert allowed(decide(move("10000", PW, CERT, spent="40000"), rules)).daily_cap == cny("50000")
    decision = denied(decide(move("10000.01", *Factor, spent="40000"), rules))
    assert decision.code == "auth.above_daily_cap"
    assert "50000.01 CNY" in decision.reason
    assert "50000.00 CNY" in decision.reason


# -- password-free payments ----------------------------------------------------------------------


def test_an_nfc_payment_of_1000_needs_no_factor() -> None:
    decision = allowed(decide(move("1000.00", method=PaymentMethod.NFC)))
    assert decision.password_free
    assert decision.factors == frozenset()
    assert decision.daily_cap == cny("1000")


def test_an_nfc_payment_of_1000_01_needs_a_factor_and_says_why() -> None:
    decision = challenged(decide(move("1000.01", method=PaymentMethod.NFC)))
    assert "password-free nfc payments go up to 1000.00 CNY each" in decision.reason


def test_a_small_online_payment_is_never_password_free_by_default() -> None:
    decision = challenged(decide(move("1.00", method=PaymentMethod.ONLINE)))
    assert decision.code == "auth.factor_required"
    assert decision.options == (fs(PW), fs(FINGER), fs(FACE))


def test_a_payment_without_a_method_is_never_password_free() -> None:
    challenged(decide(move("1.00")))


def test_password_free_payments_stop_at_the_daily_password_free_total() -> None:
    rules = AuthenticationRules(
        password_free_limits={PaymentMethod.NFC: cny("300")}, password_free_daily=cny("500")
    )
    at_total = move("200.00", method=PaymentMethod.NFC, spent="300", free_used="300")
    assert allowed(decide(at_total, rules)).password_free
    over = move("200.01", method=PaymentMethod.NFC, spent="300", free_used="300")
    decision = challenged(decide(over, rules))
    assert "password-free payments go up to 500.00 CNY a day and 300.00 CNY is used" in (
        decision.reason
    )


def test_password_free_payments_still_count_against_the_art_24_cap() -> None:
    request = move("200.00", method=PaymentMethod.NFC, spent="900")
    decision = challenged(decide(request))
    assert decision.code == "auth.second_kind_required"
    with_two_kinds = attrs.evolve(request, verified=fs(SMS, SQ))
    assert allowed(decide(with_two_kinds)).password_free


def test_a_verified_password_makes_a_small_payment_an_ordinary_one() -> None:
    decision = allowed(decide(move("10.00", PW, method=PaymentMethod.NFC)))
    assert not decision.password_free


def test_a_risk_challenge_turns_password_free_payments_off() -> None:
    decision = challenged(decide(move("10.00", method=PaymentMethod.NFC, risk=RiskLevel.CHALLENGE)))
    assert decision.code == "auth.risk_step_up"


def test_a_tier_with_a_floor_has_no_password_free_payments() -> None:
    rules = AuthenticationRules(tier_minimum_kinds={"unverified": 1})
    request = move("10.00", method=PaymentMethod.NFC, tier="unverified")
    decision = challenged(decide(request, rules))
    assert "tier 'unverified' has no password-free payments" in decision.reason
    assert allowed(decide(attrs.evolve(request, tier="real_name"), rules)).password_free


# -- login and sensitive actions -----------------------------------------------------------------


def test_login_without_a_dynamic_password_is_challenged_for_one() -> None:
    decision = challenged(decide(act(AuthAction.LOGIN, PW)))
    assert decision.options == (fs(SMS), fs(TOTP))
    assert "one of sms_otp or totp" in decision.reason


def test_login_from_nothing_offers_each_knowledge_and_dynamic_pair_in_order() -> None:
    decision = challenged(decide(act(AuthAction.LOGIN)))
    assert decision.options == (fs(PW, SMS), fs(PW, TOTP), fs(SQ, SMS), fs(SQ, TOTP))


@pytest.mark.parametrize("verified", [fs(PW, TOTP), fs(PW, SMS), fs(SQ, TOTP), fs(PW, TOTP, FACE)])
def test_login_with_a_knowledge_factor_and_a_dynamic_password_is_allowed(
    verified: frozenset[Factor],
) -> None:
    allowed(decide(act(AuthAction.LOGIN, *verified)))


def test_login_with_two_kinds_but_no_knowledge_factor_is_challenged() -> None:
    decision = challenged(decide(act(AuthAction.LOGIN, TOTP, FINGER)))
    assert decision.options == (fs(PW), fs(SQ))


@pytest.mark.parametrize("action", [AuthAction.CHANGE_LIMITS, AuthAction.BIND_CARD])
def test_a_sensitive_action_with_one_kind_is_challenged_for_a_second(action: AuthAction) -> None:
    decision = challenged(decide(act(action, PW)))
    assert decision.options == (fs(SMS), fs(TOTP), fs(CERT), fs(DEVICE), fs(FINGER), fs(FACE))
    assert f"{action.value} needs two kinds of factor" in decision.reason
    allowed(decide(act(action, PW, SMS)))


def test_a_sensitive_action_needs_the_customers_own_credential_not_possession_alone() -> None:
    decision = challenged(decide(act(AuthAction.BIND_CARD, SMS, SQ)))
    assert decision.options == (fs(PW), fs(FINGER), fs(FACE))


def test_rules_refuse_to_let_a_sensitive_action_go_with_one_kind() -> None:
    with pytest.raises(InvalidAuthenticationRulesError, match=r"minimum_kinds\.bind_card"):
        AuthenticationRules(minimum_kinds={"bind_card": 1})


# -- risk ----------------------------------------------------------------------------------------


def test_a_risk_challenge_asks_for_one_kind_more_than_otherwise_needed() -> None:
    decision = challenged(decide(move("100.00", PW, risk=RiskLevel.CHALLENGE)))
    assert decision.code == "auth.risk_step_up"
    assert "step-up from one kind to two kinds" in decision.reason
    allowed(decide(move("100.00", PW, SMS, risk=RiskLevel.CHALLENGE)))


def test_a_risk_challenge_above_the_one_kind_cap_asks_for_three_kinds() -> None:
    request = move("2000.00", PW, SMS, risk=RiskLevel.CHALLENGE)
    assert challenged(decide(request)).options == (fs(FINGER), fs(FACE))
    assert allowed(decide(attrs.evolve(request, risk=RiskLevel.ALLOW))).daily_cap == cny("5000")


def test_a_risk_challenge_on_login_asks_for_all_three_kinds() -> None:
    decision = challenged(decide(act(AuthAction.LOGIN, PW, TOTP, risk=RiskLevel.CHALLENGE)))
    assert decision.options == (fs(FINGER), fs(FACE))


def test_a_step_up_never_asks_for_more_than_three_kinds() -> None:
    rules = AuthenticationRules(minimum_kinds={"pay": 3})
    request = move("1.00", PW, SMS, FACE, risk=RiskLevel.CHALLENGE)
    assert allowed(decide(request, rules)).factors == fs(PW, SMS, FACE)
    decision = challenged(decide(attrs.evolve(request, verified=fs(PW, SMS)), rules))
    assert "all three kinds are needed" in decision.reason


def test_a_risk_deny_denies_even_with_every_factor() -> None:
    decision = denied(decide(move("1.00", *Factor, risk=RiskLevel.DENY)))
    assert decision.code == "auth.risk_denied"
    assert denied(decide(act(AuthAction.LOGIN, *Factor, risk=RiskLevel.DENY))).code == (
        "auth.risk_denied"
    )


# -- a locked payment password -------------------------------------------------------------------


def test_a_locked_password_does_not_count_and_is_never_offered() -> None:
    decision = challenged(decide(move("100.00", PW, locked=True)))
    assert decision.options == (fs(FINGER), fs(FACE))
    assert "the payment password is locked and does not count" in decision.reason


def test_a_fingerprint_pays_while_the_password_is_locked() -> None:
    decision = allowed(decide(move("100.00", PW, FINGER, locked=True)))
    assert decision.factors == fs(FINGER)


def test_a_locked_password_denies_when_nothing_else_can_stand_in() -> None:
    rules = AuthenticationRules(required_factors={"pay": [["payment_password"]]})
    decision = denied(decide(move("100.00", PW, SMS, FACE, locked=True), rules))
    assert decision.code == "auth.password_locked"
    assert "payment_password" in decision.reason
    allowed(decide(move("100.00", PW), rules))


def test_login_with_a_locked_password_falls_back_to_the_security_question() -> None:
    decision = challenged(decide(act(AuthAction.LOGIN, locked=True)))
    assert decision.options == (fs(SQ, SMS), fs(SQ, TOTP))


# -- tiers ---------------------------------------------------------------------------------------


def test_a_tier_floor_raises_the_kinds_money_actions_need() -> None:
    rules = AuthenticationRules(tier_minimum_kinds={"unverified": 2})
    decision = challenged(decide(move("10.00", PW, tier="unverified"), rules))
    assert "tier 'unverified' needs at least two kinds" in decision.reason
    allowed(decide(move("10.00", PW, tier="real_name"), rules))
    allowed(decide(act(AuthAction.LOGIN, PW, SMS), rules))


# -- outcomes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "decision",
    [Allowed(frozenset(), None), ChallengeRequired((fs(PW),), "why", "code"), Denied("why", "c")],
)
def test_an_outcome_has_no_truth_value(decision: AuthDecision) -> None:
    with pytest.raises(TypeError, match=r"decision\.allowed"):
        bool(decision)
    assert decision.allowed is (type(decision) is Allowed)


# -- the request ---------------------------------------------------------------------------------


def test_a_request_accepts_values_and_defaults_to_nothing_spent() -> None:
    request = AuthRequest(
        action="withdraw", tier="t", amount=Money.of("5", "USD"), method="withdrawal", risk="deny"
    )
    assert request.action is AuthAction.WITHDRAW
    assert request.method is PaymentMethod.WITHDRAWAL
    assert request.risk is RiskLevel.DENY
    assert request.spent_today == Money.zero("USD")
    assert request.password_free_today == Money.zero("USD")
    assert request.verified == frozenset()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"action": "pay"}, "pay needs an amount"),
        ({"action": "login", "amount": Money.of(1)}, "takes no amount"),
        ({"action": "bind_card", "method": "nfc"}, "takes no amount and no payment method"),
        ({"action": "pay", "amount": Money.of(0)}, "must be positive"),
        ({"action": "pay", "amount": Money.of(-1)}, "must be positive"),
        ({"action": "pay", "amount": Money.of(1), "method": "withdrawal"}, "cannot use method"),
        ({"action": "transfer", "amount": Money.of(1), "method": "nfc"}, "cannot use method"),
        ({"action": "steal"}, "unknown action"),
        ({"action": "login", "risk": "panic"}, "unknown risk level"),
        ({"action": "pay", "amount": Money.of(1), "method": "cash"}, "unknown payment method"),
        ({"action": "login", "tier": "  "}, "tier must not be empty"),
        ({"action": "login", "spent_today": Money.of(-1)}, "must not be negative"),
        (
            {"action": "pay", "amount": Money.of(1), "spent_today": Money.of(1, "USD")},
            "one currency",
        ),
        ({"action": "login", "password_free_today": Money.of(1, "USD")}, "one currency"),
    ],
)
def test_an_inconsistent_request_is_refused(changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"tier": "t", **changes}
    with pytest.raises(InvalidAuthRequestError, match=message):
        AuthRequest(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tier": 3}, "tier must be a str"),
        ({"password_locked": 1}, "password_locked must be a bool"),
        ({"action": "pay", "amount": Decimal("1")}, "amount must be Money"),
        ({"spent_today": "0"}, "spent_today must be Money"),
    ],
)
def test_a_request_of_the_wrong_types_is_refused(changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"action": "login", "tier": "t", **changes}
    with pytest.raises(AuthRequestTypeError, match=message):
        AuthRequest(**arguments)  # type: ignore[arg-type]


def test_an_unknown_verified_factor_is_refused() -> None:
    with pytest.raises(UnknownFactorError):
        AuthRequest(action="login", tier="t", verified={"retina"})


def test_decide_refuses_a_request_in_another_currency_than_the_rules() -> None:
    request = AuthRequest(action="pay", tier="t", amount=Money.of(1, "USD"))
    with pytest.raises(CurrencyMismatchError, match="USD"):
        decide(request)
    assert type(decide(attrs.evolve(request, action="login", amount=None))) is ChallengeRequired


def test_decide_refuses_the_wrong_types() -> None:
    with pytest.raises(AuthRequestTypeError):
        decide({"action": "login"})  # type: ignore[arg-type]
    with pytest.raises(AuthRequestTypeError):
        decide(act(AuthAction.LOGIN), {"currency": "CNY"})  # type: ignore[arg-type]


# -- the rules -----------------------------------------------------------------------------------


def test_the_default_rules_are_the_documented_ones() -> None:
    assert DEFAULT_AUTHENTICATION_RULES.to_dict() == {
        "currency": "CNY",
        "one_kind_daily_cap": "1000.00",
        "two_kinds_daily_cap": "5000.00",
        "certificate_daily_cap": "unlimited",
        "password_free_limits": {"nfc": "1000.00"},
        "password_free_daily": "1000.00",
        "minimum_kinds": {
            "login": 2,
            "pay": 1,
            "transfer": 1,
            "withdraw": 1,
            "change_limits": 2,
            "bind_card": 2,
        },
        "required_factors": {
            "login": [["payment_password", "security_question"], ["sms_otp", "totp"]],
            "pay": [["payment_password", "fingerprint", "face"]],
            "transfer": [["payment_password", "fingerprint", "face"]],
            "withdraw": [["payment_password", "fingerprint", "face"]],
            "change_limits": [["payment_password", "fingerprint", "face"]],
            "bind_card": [["payment_password", "fingerprint", "face"]],
        },
        "tier_minimum_kinds": {},
    }


def test_rules_read_from_a_mapping_merge_actions_and_replace_the_rest() -> None:
    rules = AuthenticationRules.from_mapping(
        {
            "currency": "CNY",
            "one_kind_daily_cap": 800,
            "certificate_daily_cap": "50000.00",
            "password_free_limits": {"dynamic_qr": "500"},
            "minimum_kinds": {"pay": 2},
            "required_factors": {"login": [["totp"], ["payment_password"]]},
            "tier_minimum_kinds": {"unverified": 2},
        }
    )
    assert rules.one_kind_daily_cap == cny("800")
    assert rules.certificate_daily_cap == cny("50000")
    assert dict(rules.password_free_limits) == {PaymentMethod.DYNAMIC_QR: cny("500")}
    assert rules.minimum_kinds[AuthAction.PAY] == 2
    assert rules.minimum_kinds[AuthAction.LOGIN] == 2
    assert rules.required_factors[AuthAction.LOGIN] == (fs(PW), fs(TOTP))
    assert rules.required_factors[AuthAction.PAY] == (fs(PW, FINGER, FACE),)
    assert dict(rules.tier_minimum_kinds) == {"unverified": 2}
    assert AuthenticationRules.from_mapping(rules.to_dict()) == rules


def test_rules_read_from_a_mapping_take_money_as_it_is() -> None:
    rules = AuthenticationRules.from_mapping({"two_kinds_daily_cap": cny("6000")})
    assert rules.two_kinds_daily_cap == cny("6000")


def test_unlimited_lifts_the_certificate_cap_and_none_does_too() -> None:
    limited = AuthenticationRules(certificate_daily_cap=cny("9000"))
    for value in ("unlimited", None):
        rules = AuthenticationRules.from_mapping({"certificate_daily_cap": value})
        assert rules.certificate_daily_cap is None
        assert rules != limited
    assert hash(AuthenticationRules()) == hash(DEFAULT_AUTHENTICATION_RULES)


def test_rules_in_another_currency_need_their_own_amounts() -> None:
    usd = {"currency": "USD", "one_kind_daily_cap": "150", "two_kinds_daily_cap": "700"}
    rules = AuthenticationRules.from_mapping(
        {**usd, "password_free_daily": "150", "password_free_limits": {}}
    )
    assert rules.two_kinds_daily_cap == Money.of("700", "USD")
    with pytest.raises(InvalidAuthenticationRulesError, match="password_free_daily: is in CNY"):
        AuthenticationRules.from_mapping(usd)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"daily_cap": "1000"}, "daily_cap: unknown authentication rule"),
        ({"currency": "XYZ"}, "currency: "),
        ({"currency": 156}, "currency: must be a str"),
        ({"one_kind_daily_cap": 1000.0}, "one_kind_daily_cap: must be an amount"),
        ({"one_kind_daily_cap": True}, "one_kind_daily_cap: must be an amount"),
        ({"one_kind_daily_cap": "1,000"}, "one_kind_daily_cap: "),
        ({"one_kind_daily_cap": "-1"}, "one_kind_daily_cap: must not be negative"),
        ({"one_kind_daily_cap": "6000"}, "two_kinds_daily_cap: 5000.00 CNY is below"),
        ({"certificate_daily_cap": "4000"}, "certificate_daily_cap: 4000.00 CNY is below"),
        ({"certificate_daily_cap": "none"}, "certificate_daily_cap: "),
        ({"password_free_limits": {"withdrawal": "1"}}, "not a shop payment method"),
        ({"password_free_limits": {"nfc": "0"}}, r"password_free_limits\.nfc: must be positive"),
        ({"password_free_limits": {"nfc": "2000"}}, "above password_free_daily"),
        ({"password_free_limits": ["nfc"]}, "password_free_limits: must be a mapping"),
        ({"minimum_kinds": {"pay": 4}}, r"minimum_kinds\.pay: must be 1, 2 or 3"),
        ({"minimum_kinds": {"pay": True}}, r"minimum_kinds\.pay: must be 1, 2 or 3"),
        ({"minimum_kinds": {"refund": 1}}, "minimum_kinds: unknown action 'refund'"),
        ({"required_factors": {"pay": [["retina"]]}}, r"required_factors\.pay: unknown factor"),
        ({"required_factors": {"pay": [[]]}}, r"required_factors\.pay: .* must not be empty"),
        ({"required_factors": {"pay": "totp"}}, r"required_factors\.pay: must be a list"),
        ({"required_factors": {"pay": ["totp"]}}, r"required_factors\.pay: .*collection"),
        ({"tier_minimum_kinds": {"": 1}}, "tier_minimum_kinds: a tier name"),
        ({"tier_minimum_kinds": {"gold": 0}}, r"tier_minimum_kinds\.gold: must be 1, 2 or 3"),
    ],
)
def test_malformed_rules_are_refused_naming_the_key(
    mapping: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidAuthenticationRulesError, match=message) as raised:
        AuthenticationRules.from_mapping(mapping)
    assert isinstance(raised.value, WalletError)
    assert isinstance(raised.value, ValueError)


def test_rules_must_come_as_a_mapping() -> None:
    with pytest.raises(InvalidAuthenticationRulesError, match="must be a mapping"):
        AuthenticationRules.from_mapping([("currency", "CNY")])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"one_kind_daily_cap": "1000"}, "one_kind_daily_cap: must be Money, not str"),
        ({"currency": None}, "currency: must be a str"),
        ({"password_free_limits": {"nfc": "10"}}, r"password_free_limits\.nfc: must be Money"),
        ({"password_free_limits": {3: cny("10")}}, "3 is not a shop payment method"),
        ({"required_factors": {"pay": {"totp": 1}}}, r"required_factors\.pay: must be a list"),
    ],
)
def test_rules_built_directly_check_their_types(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAuthenticationRulesError, match=message):
        AuthenticationRules(**changes)  # type: ignore[arg-type]


def test_equal_rules_from_different_spellings_are_equal() -> None:
    one = AuthenticationRules(
        required_factors={"login": [["totp", "sms_otp"], ["payment_password"]]}
    )
    other = AuthenticationRules(
        required_factors={AuthAction.LOGIN: [[PW], [Factor.SMS_OTP, "totp"], ["payment_password"]]}
    )
    assert one == other
    assert hash(one) == hash(other)
