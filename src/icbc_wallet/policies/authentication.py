"""Authentication policy: which factors an action needs, and the daily cap verified factors earn.

:func:`decide` takes an :class:`~icbc_wallet.domain.factors.AuthRequest` (action, amount, method,
tier, verified factors, today's spending, the risk verdict) and :class:`AuthenticationRules`, and
answers :class:`~icbc_wallet.domain.factors.Allowed`,
:class:`~icbc_wallet.domain.factors.ChallengeRequired` (the smallest sets of factors that would
do) or :class:`~icbc_wallet.domain.factors.Denied`. Pure: no clock, no I/O.

The caps follow PBOC 2015 No. 43 Art. 24 (:func:`daily_cap`): fewer than two kinds of factor earn
1,000 a day, two kinds 5,000, two kinds with a digital certificate a cap by agreement. The day's
total (``spent_today + amount``) must fit the cap of the factors verified, so a payment that would
pass 1,000 asks for a second kind:

```pycon
>>> from icbc_wallet.domain.factors import AuthRequest, Factor
>>> from icbc_wallet.domain.money import Money
>>> request = AuthRequest(action="pay", tier="real_name", amount=Money.of("300.00"),
...                       method="online", verified={"payment_password"},
...                       spent_today=Money.of("800.00"))
>>> decision = decide(request)
>>> decision.code
'auth.second_kind_required'
>>> decision.reason
"pay needs two kinds of factor, including one of payment_password, fingerprint or face: today's total would be 1100.00 CNY, above the 1000.00 CNY daily cap for fewer than two kinds (PBOC Art. 24)"
>>> [", ".join(factor.value for factor in option) for option in decision.options]
['sms_otp', 'totp', 'digital_certificate', 'device_binding', 'fingerprint', 'face']
>>> allowed = decide(attrs.evolve(request, verified={"payment_password", "sms_otp"}))
>>> allowed.allowed, allowed.daily_cap
(True, Money('5000.00', 'CNY'))

```

:class:`AuthenticationRules` are data, with documented defaults, and round-trip through plain
mappings (:meth:`~AuthenticationRules.to_dict`, :meth:`~AuthenticationRules.from_mapping`) so they
can be kept in a TOML file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import attrs

from icbc_wallet.domain.factors import (
    MONEY_ACTIONS,
    SENSITIVE_ACTIONS,
    Allowed,
    AuthAction,
    AuthDecision,
    AuthRequest,
    ChallengeRequired,
    Denied,
    Factor,
    RiskLevel,
    parse_factors,
)
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money, currency_exponent
from icbc_wallet.errors import (
    AuthRequestTypeError,
    CurrencyMismatchError,
    InvalidAuthenticationRulesError,
    UnknownCurrencyError,
    UnknownFactorError,
    WalletError,
)

__all__ = [
    "DEFAULT_AUTHENTICATION_RULES",
    "DEFAULT_MINIMUM_KINDS",
    "DEFAULT_REQUIRED_FACTORS",
    "AuthenticationRules",
    "daily_cap",
    "decide",
]

_PASSWORD = frozenset({Factor.PAYMENT_PASSWORD})
_CERTIFICATE = frozenset({Factor.DIGITAL_CERTIFICATE})
_KIND_WORDS = {1: "one kind", 2: "two kinds", 3: "three kinds"}

# -- the rules ------------------------------------------------------------------------------------

_UNLIMITED = "unlimited"
_ONE_KIND_CAP: Final = Money.of(1000)
_TWO_KINDS_CAP: Final = Money.of(5000)
_PASSWORD_FREE_DAILY: Final = Money.of(1000)
_SHOP_METHODS = frozenset(PaymentMethod) - {PaymentMethod.P2P_TRANSFER, PaymentMethod.WITHDRAWAL}
_CREDENTIAL = frozenset({Factor.PAYMENT_PASSWORD, Factor.FINGERPRINT, Factor.FACE})
_FACTOR_ORDER = {factor: index for index, factor in enumerate(Factor)}

DEFAULT_MINIMUM_KINDS: Final[Mapping[AuthAction, int]] = MappingProxyType(
    {
        AuthAction.LOGIN: 2,
        AuthAction.PAY: 1,
        AuthAction.TRANSFER: 1,
        AuthAction.WITHDRAW: 1,
        AuthAction.CHANGE_LIMITS: 2,
        AuthAction.BIND_CARD: 2,
    }
)
"""How many kinds of factor each action needs by default (before caps, tiers and risk)."""

DEFAULT_REQUIRED_FACTORS: Final[Mapping[AuthAction, tuple[frozenset[Factor], ...]]] = (
    MappingProxyType(
        {
            AuthAction.LOGIN: (
                frozenset({Factor.PAYMENT_PASSWORD, Factor.SECURITY_QUESTION}),
                frozenset({Factor.SMS_OTP, Factor.TOTP}),
            ),
            **{action: (_CREDENTIAL,) for action in AuthAction if action is not AuthAction.LOGIN},
        }
    )
)
"""Per action, groups of factors of which one each must be verified, by default."""


def _rule_error(key: str, problem: str) -> InvalidAuthenticationRulesError:
    return InvalidAuthenticationRulesError(f"{key}: {problem}")


def _rule_action(key: str, value: object) -> AuthAction:
    try:
        return AuthAction(value)  # type: ignore[arg-type]  # anything else is refused here
    except ValueError:
        known = ", ".join(repr(action.value) for action in AuthAction)
        raise _rule_error(key, f"unknown action {value!r}; use one of {known}") from None


def _kinds(key: str, value: object) -> int:
    if type(value) is not int or not 1 <= value <= 3:
        raise _rule_error(key, f"must be 1, 2 or 3 kinds of factor, not {value!r}")
    return value


def _mapping(key: str, value: object) -> Mapping[object, object]:
    if not isinstance(value, Mapping):
        raise _rule_error(key, f"must be a mapping, not {type(value).__name__}")
    return value


def _minimum_kinds(value: Mapping[AuthAction | str, int]) -> Mapping[AuthAction, int]:
    merged = dict(DEFAULT_MINIMUM_KINDS)
    for name, kinds in _mapping("minimum_kinds", value).items():
        action = _rule_action("minimum_kinds", name)
        merged[action] = _kinds(f"minimum_kinds.{action.value}", kinds)
    return MappingProxyType(merged)


def _groups(key: str, value: object) -> tuple[frozenset[Factor], ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise _rule_error(key, f"must be a list of groups of factors, not {value!r}")
    groups = set()
    for group in value:
        try:
            factors = parse_factors(group)
        except UnknownFactorError as error:
            raise _rule_error(key, str(error)) from None
        if not factors:
            raise _rule_error(key, "a group of factors must not be empty")
        groups.add(factors)
    return tuple(sorted(groups, key=lambda group: sorted(_FACTOR_ORDER[f] for f in group)))


def _required_factors(
    value: Mapping[AuthAction | str, Iterable[Iterable[Factor | str]]],
) -> Mapping[AuthAction, tuple[frozenset[Factor], ...]]:
    merged = dict(DEFAULT_REQUIRED_FACTORS)
    for name, groups in _mapping("required_factors", value).items():
        action = _rule_action("required_factors", name)
        merged[action] = _groups(f"required_factors.{action.value}", groups)
    return MappingProxyType(merged)


def _password_free_limits(
    value: Mapping[PaymentMethod | str, Money],
) -> Mapping[PaymentMethod, Money]:
    limits: dict[PaymentMethod, Money] = {}
    for name, amount in _mapping("password_free_limits", value).items():
        if not isinstance(name, str) or name not in _SHOP_METHODS:
            known = ", ".join(method.value for method in PaymentMethod if method in _SHOP_METHODS)
            raise _rule_error(
                "password_free_limits", f"{name!r} is not a shop payment method; use {known}"
            )
        method = PaymentMethod(name)
        if type(amount) is not Money:
            raise _rule_error(
                f"password_free_limits.{method.value}",
                f"must be Money, not {type(amount).__name__}",
            )
        limits[method] = amount
    return MappingProxyType(
        {method: limits[method] for method in PaymentMethod if method in limits}
    )


def _tier_minimum_kinds(value: Mapping[str, int]) -> Mapping[str, int]:
    floors: dict[str, int] = {}
    for tier, kinds in _mapping("tier_minimum_kinds", value).items():
        if type(tier) is not str or not tier.strip():
            raise _rule_error(
                "tier_minimum_kinds", f"a tier name must be a non-empty str, not {tier!r}"
            )
        floors[tier] = _kinds(f"tier_minimum_kinds.{tier}", kinds)
    return MappingProxyType(dict(sorted(floors.items())))


def _check_money(key: str, value: object, currency: str) -> Money:
    if type(value) is not Money:
        raise _rule_error(key, f"must be Money, not {type(value).__name__}")
    if value.currency != currency:
        raise _rule_error(key, f"is in {value.currency} but the rules are in {currency}")
    if value.is_negative():
        raise _rule_error(key, f"must not be negative, got {value}")
    return value


@attrs.frozen
class AuthenticationRules:
    """The bank's authentication rules, as data.

    The defaults, and why:

    | rule | default | why |
    |---|---|---|
    | `one_kind_daily_cap` | 1,000 | PBOC 2015 No. 43 Art. 24(3): fewer than two kinds of factor |
    | `two_kinds_daily_cap` | 5,000 | Art. 24(2): two or more kinds |
    | `certificate_daily_cap` | `None` | Art. 24(1): two or more kinds with a digital certificate or e-signature: by agreement, so no cap from this rule (the tier's limits still apply) |
    | `password_free_limits` | NFC 1,000 | contactless no-PIN payments (小额免密) up to 1,000 each since 2018-06-01; QR and online payments always need a factor |
    | `password_free_daily` | 1,000 | ASSUMPTION (UNVERIFIED; no rule fixes it): a password-free payment is verified by fewer than two kinds, so Art. 24(3)'s 1,000 a day is its natural ceiling |
    | `minimum_kinds` | login 2; pay, transfer, withdraw 1; change_limits, bind_card 2 | login: a knowledge factor and a dynamic password (the article); money: one factor up to the one-kind cap, the caps ask for more; changing limits or binding a card: always two |
    | `required_factors` | login: payment password or security question, and SMS OTP or TOTP; the rest: payment password, fingerprint or face | the article's "dynamic password at login"; moving money or changing the account needs the customer's own credential (a fingerprint or face may stand in for the password, as in the article's biometric payment), never possession alone |
    | `tier_minimum_kinds` | none | PBOC ties factors to caps, not tiers; a bank may ask more of some tiers |

    Attributes:
        currency: the currency of every amount (ISO 4217).
        one_kind_daily_cap: the day's cap for fewer than two kinds of factor (none included).
        two_kinds_daily_cap: the day's cap for two or more kinds without a digital certificate.
        certificate_daily_cap: the day's cap for two or more kinds with a digital certificate;
            ``None`` for no cap from this rule. Ordered ``one <= two <= certificate``.
        password_free_limits: per shop payment method (static or dynamic QR, NFC, online), the
            largest payment allowed with no factor at all; a method absent has none. A payment
            is password-free only if the risk verdict is ``ALLOW``, the tier has no floor, the
            day's password-free total stays within ``password_free_daily`` and the day's total
            within the cap of whatever is verified (fewer than two kinds: ``one_kind_daily_cap``).
        password_free_daily: the most paid password-free in a day, all methods together.
        minimum_kinds: per action, the kinds of factor it needs (1 to 3; at least 2 for
            changing limits and binding a card). A partial mapping keeps the other defaults.
        required_factors: per action, groups of factors: one factor of each group must be
            verified (``[["payment_password"], ["sms_otp", "totp"]]``: the password and a dynamic
            password). A partial mapping keeps the other defaults.
        tier_minimum_kinds: per tier name, a floor on the kinds a payment, transfer or
            withdrawal needs (1 to 3); a tier listed here has no password-free payments.

    Raises:
        InvalidAuthenticationRulesError: a malformed or inconsistent rule; the message names it.
    """

    currency: str = DEFAULT_CURRENCY
    one_kind_daily_cap: Money = _ONE_KIND_CAP
    two_kinds_daily_cap: Money = _TWO_KINDS_CAP
    certificate_daily_cap: Money | None = None
    password_free_limits: Mapping[PaymentMethod, Money] = attrs.field(
        factory=lambda: {PaymentMethod.NFC: Money.of(1000)},
        converter=_password_free_limits,
        hash=False,
    )
    password_free_daily: Money = _PASSWORD_FREE_DAILY
    minimum_kinds: Mapping[AuthAction, int] = attrs.field(
        factory=dict, converter=_minimum_kinds, hash=False
    )
    required_factors: Mapping[AuthAction, tuple[frozenset[Factor], ...]] = attrs.field(
        factory=dict, converter=_required_factors, hash=False
    )
    tier_minimum_kinds: Mapping[str, int] = attrs.field(
        factory=dict, converter=_tier_minimum_kinds, hash=False
    )

    def __attrs_post_init__(self) -> None:
        if type(self.currency) is not str:
            raise _rule_error("currency", f"must be a str, not {type(self.currency).__name__}")
        try:
            currency_exponent(self.currency)
        except UnknownCurrencyError as error:
            raise _rule_error("currency", str(error)) from None
        one = _check_money("one_kind_daily_cap", self.one_kind_daily_cap, self.currency)
        two = _check_money("two_kinds_daily_cap", self.two_kinds_daily_cap, self.currency)
        if two < one:
            raise _rule_error("two_kinds_daily_cap", f"{two} is below one_kind_daily_cap {one}")
        if self.certificate_daily_cap is not None:
            key = "certificate_daily_cap"
            certificate = _check_money(key, self.certificate_daily_cap, self.currency)
            if certificate < two:
                raise _rule_error(key, f"{certificate} is below two_kinds_daily_cap {two}")
        daily = _check_money("password_free_daily", self.password_free_daily, self.currency)
        for method, single in self.password_free_limits.items():
            key = f"password_free_limits.{method.value}"
            if not _check_money(key, single, self.currency).is_positive():
                raise _rule_error(key, "must be positive; leave the method out for none")
            if single > daily:
                raise _rule_error(key, f"{single} is above password_free_daily {daily}")
        for action in sorted(SENSITIVE_ACTIONS):
            if self.minimum_kinds[action] < 2:
                raise _rule_error(
                    f"minimum_kinds.{action.value}",
                    "a sensitive action always needs at least 2 kinds of factor",
                )

    def to_dict(self) -> dict[str, object]:
        """The rules as plain data (str, int, list, dict) that TOML or JSON can hold.

        Amounts are decimal strings (``"1000.00"``); a cap of ``None`` is ``"unlimited"``.
        :meth:`from_mapping` reads it back to equal rules.
        """
        certificate = self.certificate_daily_cap
        return {
            "currency": self.currency,
            "one_kind_daily_cap": str(self.one_kind_daily_cap.amount),
            "two_kinds_daily_cap": str(self.two_kinds_daily_cap.amount),
            "certificate_daily_cap": _UNLIMITED if certificate is None else str(certificate.amount),
            "password_free_limits": {
                method.value: str(single.amount)
                for method, single in self.password_free_limits.items()
            },
            "password_free_daily": str(self.password_free_daily.amount),
            "minimum_kinds": {action.value: kinds for action, kinds in self.minimum_kinds.items()},
            "required_factors": {
                action.value: [
                    [factor.value for factor in sorted(group, key=_FACTOR_ORDER.__getitem__)]
                    for group in groups
                ]
                for action, groups in self.required_factors.items()
            },
            "tier_minimum_kinds": dict(self.tier_minimum_kinds),
        }

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> AuthenticationRules:
        """Read rules from plain data, such as a parsed TOML table; absent keys keep defaults.

        Amounts are decimal strings or ints in ``currency`` (floats are refused: they are not
        exact); ``"unlimited"`` lifts ``certificate_daily_cap``. ``minimum_kinds`` and
        ``required_factors`` are merged over the defaults action by action;
        ``password_free_limits`` and ``tier_minimum_kinds`` replace theirs whole.

        ```pycon
        >>> rules = AuthenticationRules.from_mapping({"password_free_limits": {}})
        >>> rules.password_free_limits
        mappingproxy({})
        >>> AuthenticationRules.from_mapping({"daily_cap": "1000"})
        Traceback (most recent call last):
        ...
        icbc_wallet.errors.InvalidAuthenticationRulesError: daily_cap: unknown authentication rule; use one of currency, one_kind_daily_cap, two_kinds_daily_cap, certificate_daily_cap, password_free_limits, password_free_daily, minimum_kinds, required_factors, tier_minimum_kinds

        ```

        Raises:
            InvalidAuthenticationRulesError: an unknown key, action, method or factor, a
                malformed amount, or rules that are inconsistent; the message names the key.
        """
        data = _mapping("authentication rules", mapping)
        known = [field.name for field in attrs.fields(cls)]
        for key in data:
            if key not in known:
                raise _rule_error(
                    str(key), f"unknown authentication rule; use one of {', '.join(known)}"
                )
        currency = data.get("currency", DEFAULT_CURRENCY)
        if type(currency) is not str:
            raise _rule_error("currency", f"must be a str, not {type(currency).__name__}")
        kwargs: dict[str, Any] = {"currency": currency}
        for key in ("one_kind_daily_cap", "two_kinds_daily_cap", "password_free_daily"):
            if key in data:
                kwargs[key] = _amount(key, data[key], currency)
        if "certificate_daily_cap" in data:
            value = data["certificate_daily_cap"]
            kwargs["certificate_daily_cap"] = (
                None
                if value is None or value == _UNLIMITED
                else _amount("certificate_daily_cap", value, currency)
            )
        if "password_free_limits" in data:
            limits = _mapping("password_free_limits", data["password_free_limits"])
            kwargs["password_free_limits"] = {
                name: _amount(f"password_free_limits.{name}", amount, currency)
                for name, amount in limits.items()
            }
        for key in ("minimum_kinds", "required_factors", "tier_minimum_kinds"):
            if key in data:
                kwargs[key] = data[key]
        return cls(**kwargs)


def _amount(key: str, value: object, currency: str) -> Money:
    if type(value) is Money:
        return value
    if type(value) not in (str, int, Decimal):
        raise _rule_error(key, f'must be an amount such as "1000.00", not {type(value).__name__}')
    try:
        return Money.of(value, currency)  # type: ignore[arg-type]  # checked just above
    except WalletError as error:
        raise _rule_error(key, str(error)) from None


DEFAULT_AUTHENTICATION_RULES: Final = AuthenticationRules()
"""The rules with every default: PBOC 2015 No. 43 Art. 23/24 and the article."""

# -- the decision ---------------------------------------------------------------------------------


def daily_cap(
    verified: Iterable[Factor | str], rules: AuthenticationRules = DEFAULT_AUTHENTICATION_RULES
) -> Money | None:
    """The daily cap PBOC Art. 24 allows for payments verified by ``verified``.

    Fewer than two kinds of factor: ``rules.one_kind_daily_cap``; two or more kinds:
    ``rules.two_kinds_daily_cap``, or ``rules.certificate_daily_cap`` when a digital
    certificate is among them (``None``: by agreement, no cap from this rule). Two possession
    factors are one kind.

    Raises:
        UnknownFactorError: an unknown factor.
    """
    factors = parse_factors(verified)
    if len({factor.category for factor in factors}) < 2:
        return rules.one_kind_daily_cap
    if Factor.DIGITAL_CERTIFICATE in factors:
        return rules.certificate_daily_cap
    return rules.two_kinds_daily_cap


def decide(
    request: AuthRequest, rules: AuthenticationRules = DEFAULT_AUTHENTICATION_RULES
) -> AuthDecision:
    """Decide whether ``request`` is verified enough, and if not, what would be.

    In order: a risk ``DENY`` is denied. Otherwise the action needs
    ``rules.minimum_kinds[action]`` kinds of factor including one factor of each of
    ``rules.required_factors[action]``; a payment, transfer or withdrawal also needs at least
    the tier's floor (``rules.tier_minimum_kinds``) and the kinds whose Art. 24 cap covers
    ``spent_today + amount`` (two kinds above ``one_kind_daily_cap``; two kinds and a digital
    certificate above ``two_kinds_daily_cap``; denied above ``certificate_daily_cap``). A risk
    ``CHALLENGE`` then asks for one kind more (at least two, at most three). If the factors that
    count meet that, the request is allowed; a small payment may also be allowed password-free
    (see :class:`AuthenticationRules`); else the customer is challenged with the smallest sets
    of further factors that would do, or denied when none would (a locked payment password).

    Args:
        request: the request.
        rules: the rules in force; the defaults follow PBOC 2015 No. 43 Art. 23/24.

    Returns:
        ``Allowed``, ``ChallengeRequired`` or ``Denied``.

    Raises:
        AuthRequestTypeError: ``request`` or ``rules`` of the wrong type.
        CurrencyMismatchError: a money action's amounts are not in ``rules.currency``.
    """
    if type(request) is not AuthRequest or type(rules) is not AuthenticationRules:
        raise AuthRequestTypeError("decide needs an AuthRequest and AuthenticationRules")
    action = request.action
    if action in MONEY_ACTIONS and request.spent_today.currency != rules.currency:
        raise CurrencyMismatchError(
            f"the request is in {request.spent_today.currency}, the rules in {rules.currency}"
        )
    if request.risk is RiskLevel.DENY:
        return Denied(f"the risk check refused this {action.value}", "auth.risk_denied")
    need = _requirement(request, rules)
    if isinstance(need, Denied):
        return need
    kinds, groups, code, causes = need
    usable = request.verified - _PASSWORD if request.password_locked else request.verified
    if _meets(usable, kinds, groups):
        return Allowed(usable, daily_cap(usable, rules))
    password_free, note = _password_free(request, usable, rules)
    if password_free:
        return Allowed(usable, daily_cap(usable, rules), password_free=True)
    if note:
        causes.append(note)
    needs = _describe(action, kinds, groups)
    options = _options(request.verified, request.password_locked, kinds, groups)
    if not options:
        # Every factor together meets any requirement (at most three kinds, groups non-empty),
        # so only the locked password can be missing.
        return Denied(
            f"{needs}, and the payment password is locked: no other factor can stand in for it",
            "auth.password_locked",
        )
    if request.password_locked and Factor.PAYMENT_PASSWORD in request.verified:
        causes.append("the payment password is locked and does not count")
    reason = f"{needs}: {'; '.join(causes)}" if causes else needs
    return ChallengeRequired(options, reason, code)


_Need = tuple[int, tuple[frozenset[Factor], ...], str, list[str]]


def _requirement(request: AuthRequest, rules: AuthenticationRules) -> _Need | Denied:
    """The kinds and groups of factor the request needs, the rule that asks most, and why."""
    kinds = rules.minimum_kinds[request.action]
    groups = rules.required_factors[request.action]
    code = "auth.factor_required"
    causes: list[str] = []
    amount = request.amount
    if request.action in MONEY_ACTIONS and amount is not None:
        floor = rules.tier_minimum_kinds.get(request.tier, 0)
        if floor > kinds:
            kinds = floor
            causes.append(f"tier {request.tier!r} needs at least {_KIND_WORDS[floor]}")
        total = request.spent_today + amount
        if total > rules.one_kind_daily_cap:
            capped = _cap_requirement(total, rules)
            if isinstance(capped, Denied):
                return capped
            certificate, cause = capped
            kinds = max(kinds, 2)
            code = "auth.certificate_required" if certificate else "auth.second_kind_required"
            groups = (*groups, _CERTIFICATE) if certificate else groups
            causes.append(cause)
    if request.risk is RiskLevel.CHALLENGE:
        stepped = min(3, max(2, kinds + 1))
        causes.append(
            f"the risk check asks for a step-up from {_KIND_WORDS[kinds]} to {_KIND_WORDS[stepped]}"
            if stepped > kinds
            else "the risk check asks for a step-up, and all three kinds are needed"
        )
        kinds, code = stepped, "auth.risk_step_up"
    return kinds, groups, code, causes


def _cap_requirement(total: Money, rules: AuthenticationRules) -> tuple[bool, str] | Denied:
    """For a day's total above the one-kind cap: whether a certificate is needed, and why."""
    if total <= rules.two_kinds_daily_cap:
        return False, (
            f"today's total would be {total}, above the {rules.one_kind_daily_cap} "
            "daily cap for fewer than two kinds (PBOC Art. 24)"
        )
    if rules.certificate_daily_cap is None or total <= rules.certificate_daily_cap:
        return True, (
            f"today's total would be {total}, above the {rules.two_kinds_daily_cap} "
            "daily cap for two kinds without a digital certificate (PBOC Art. 24)"
        )
    return Denied(
        f"today's total would be {total}, above even the {rules.certificate_daily_cap} daily "
        "cap agreed for verification with a digital certificate (PBOC Art. 24)",
        "auth.above_daily_cap",
    )


def _meets(factors: frozenset[Factor], kinds: int, groups: tuple[frozenset[Factor], ...]) -> bool:
    if len({factor.category for factor in factors}) < kinds:
        return False
    return all(not group.isdisjoint(factors) for group in groups)


def _password_free(
    request: AuthRequest, usable: frozenset[Factor], rules: AuthenticationRules
) -> tuple[bool, str]:
    """Whether the payment may go without any factor, else a note on why not (or "")."""
    method, amount = request.method, request.amount
    if request.action is not AuthAction.PAY or method is None or amount is None:
        return False, ""
    single = rules.password_free_limits.get(method)
    if single is None or request.risk is not RiskLevel.ALLOW:
        return False, ""
    if request.tier in rules.tier_minimum_kinds:
        return False, f"tier {request.tier!r} has no password-free payments"
    if amount > single:
        return False, f"password-free {method.value} payments go up to {single} each"
    used = request.password_free_today
    if used + amount > rules.password_free_daily:
        return False, (
            f"password-free payments go up to {rules.password_free_daily} a day and {used} is used"
        )
    cap = daily_cap(usable, rules)
    return cap is None or request.spent_today + amount <= cap, ""


# Factor sets as bit masks (bit i: the i-th Factor), for the search over the 255 non-empty sets.
_BITS = {factor: 1 << index for index, factor in enumerate(Factor)}
_SETS = tuple(frozenset(f for f in Factor if mask & _BITS[f]) for mask in range(1 << len(Factor)))
_KINDS = tuple(len({factor.category for factor in factors}) for factors in _SETS)
# Smallest first, then in Factor order: the order itertools.combinations gives each size.
_SEARCH_ORDER = tuple(
    sorted(
        range(1, len(_SETS)),
        key=lambda mask: (mask.bit_count(), [i for i in range(len(Factor)) if mask >> i & 1]),
    )
)
# _SEARCH_ORDER[:_UP_TO_SIZE[n]] holds the sets of at most n factors.
_UP_TO_SIZE = tuple(
    sum(1 for mask in _SEARCH_ORDER if mask.bit_count() <= size) for size in range(len(Factor) + 1)
)


def _mask(factors: Iterable[Factor]) -> int:
    return sum(_BITS[factor] for factor in factors)


def _options(
    verified: frozenset[Factor],
    password_locked: bool,
    kinds: int,
    groups: tuple[frozenset[Factor], ...],
) -> tuple[frozenset[Factor], ...]:
    """The minimal sets of further factors that meet the requirement, smallest first."""
    password = _BITS[Factor.PAYMENT_PASSWORD] if password_locked else 0
    taken = _mask(verified) | password
    base = _mask(verified) & ~password
    group_masks = [_mask(group) for group in groups]
    found: list[int] = []
    # A minimal option has at most one factor per kind needed plus one per group.
    for extra in _SEARCH_ORDER[: _UP_TO_SIZE[min(kinds + len(groups), len(Factor))]]:
        if extra & taken:
            continue
        combined = base | extra
        if _KINDS[combined] < kinds:
            continue
        for group in group_masks:
            if not combined & group:
                break
        else:
            if not any(option & extra == option for option in found):
                found.append(extra)
    return tuple(_SETS[option] for option in found)


def _describe(action: AuthAction, kinds: int, groups: tuple[frozenset[Factor], ...]) -> str:
    text = f"{action.value} needs {_KIND_WORDS[kinds]} of factor"
    if not groups:
        return text
    parts = []
    for group in groups:
        names = [factor.value for factor in sorted(group, key=_FACTOR_ORDER.__getitem__)]
        parts.append(
            names[0] if len(names) == 1 else f"one of {', '.join(names[:-1])} or {names[-1]}"
        )
    return f"{text}, including {', plus '.join(parts)}"
