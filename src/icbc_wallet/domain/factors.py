"""Authentication factors: what a customer has proven, and what each action asks of them.

PBOC's rules for payment accounts (2015 No. 43, Art. 23) sort verification factors into three
*kinds*: something the customer knows (a static password), has (a digital certificate, a one-time
code over a secure channel, a bound device) or is (a fingerprint, a face). Art. 24 ties the daily
cap to how many *kinds* were verified, so two possession factors count as one kind:

```pycon
>>> count_kinds({Factor.SMS_OTP, Factor.DEVICE_BINDING})
1
>>> count_kinds({Factor.PAYMENT_PASSWORD, Factor.SMS_OTP})
2

```

An :class:`AuthRequest` says what the customer wants to do (the action, amount and method), what
they have verified, what they spent today and what the risk engine thinks.
:func:`icbc_wallet.policies.authentication.decide` applies the bank's
:class:`~icbc_wallet.policies.authentication.AuthenticationRules` to it and answers
:class:`Allowed`, :class:`ChallengeRequired` (with the sets of factors that would do) or
:class:`Denied`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal, NoReturn

import attrs

from icbc_wallet.domain.limits import PaymentMethod, parse_payment_method
from icbc_wallet.domain.money import DEFAULT_CURRENCY, Money
from icbc_wallet.errors import (
    AuthRequestTypeError,
    InvalidAuthRequestError,
    UnknownFactorError,
    UnknownPaymentMethodError,
)

__all__ = [
    "MONEY_ACTIONS",
    "SENSITIVE_ACTIONS",
    "Allowed",
    "AuthAction",
    "AuthDecision",
    "AuthRequest",
    "ChallengeRequired",
    "Denied",
    "Factor",
    "FactorCategory",
    "RiskLevel",
    "count_kinds",
    "parse_action",
    "parse_factor",
    "parse_factors",
]


class FactorCategory(StrEnum):
    """A kind of verification factor (PBOC Art. 23). Art. 24 counts kinds, not factors."""

    KNOWLEDGE = "knowledge"
    """Something the customer knows: a static password, a security answer."""
    POSSESSION = "possession"
    """Something the customer has: a certificate, a phone receiving codes, a bound device."""
    INHERENCE = "inherence"
    """Something the customer is: a fingerprint, a face."""


class Factor(StrEnum):
    """A verification factor the customer may present. Ordered by kind; the order is stable."""

    PAYMENT_PASSWORD = "payment_password"
    """The six-digit payment password (knowledge)."""
    SECURITY_QUESTION = "security_question"
    """The answer to the security question set at registration (knowledge)."""
    SMS_OTP = "sms_otp"
    """A one-time code sent by SMS to the registered phone (possession; a dynamic password)."""
    TOTP = "totp"
    """A time-based one-time password from an enrolled authenticator (possession; dynamic)."""
    DIGITAL_CERTIFICATE = "digital_certificate"
    """A digital certificate or electronic signature, such as a USB key (possession)."""
    DEVICE_BINDING = "device_binding"
    """The customer's bound device, attested through the verifier port (possession)."""
    FINGERPRINT = "fingerprint"
    """A fingerprint match attested through the verifier port (inherence)."""
    FACE = "face"
    """A face match attested through the verifier port (inherence)."""

    @property
    def category(self) -> FactorCategory:
        """The kind of factor this is."""
        return _CATEGORIES[self]


_CATEGORIES: Final[Mapping[Factor, FactorCategory]] = MappingProxyType(
    {
        Factor.PAYMENT_PASSWORD: FactorCategory.KNOWLEDGE,
        Factor.SECURITY_QUESTION: FactorCategory.KNOWLEDGE,
        Factor.SMS_OTP: FactorCategory.POSSESSION,
        Factor.TOTP: FactorCategory.POSSESSION,
        Factor.DIGITAL_CERTIFICATE: FactorCategory.POSSESSION,
        Factor.DEVICE_BINDING: FactorCategory.POSSESSION,
        Factor.FINGERPRINT: FactorCategory.INHERENCE,
        Factor.FACE: FactorCategory.INHERENCE,
    }
)


def parse_factor(value: Factor | str) -> Factor:
    """Return the :class:`Factor` for a member or its value (``"sms_otp"``).

    Raises:
        UnknownFactorError: anything else, including member names such as ``"SMS_OTP"``.
    """
    if type(value) is Factor:
        return value
    try:
        return Factor(value)
    except ValueError:
        known = ", ".join(repr(factor.value) for factor in Factor)
        raise UnknownFactorError(
            f"unknown factor {value!r}; use a Factor or one of {known}"
        ) from None


def parse_factors(values: Iterable[Factor | str]) -> frozenset[Factor]:
    """Return the set of :class:`Factor` for members or their values.

    Raises:
        UnknownFactorError: a lone string (which would be read letter by letter), something not
            iterable, or an unknown factor.
    """
    if type(values) is frozenset and all(type(value) is Factor for value in values):
        return values  # the common case, already parsed
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise UnknownFactorError(f"factors must be a collection of Factor values, not {values!r}")
    return frozenset(parse_factor(value) for value in values)


def count_kinds(factors: Iterable[Factor | str]) -> int:
    """How many kinds of factor (knowledge, possession, inherence) ``factors`` cover: 0 to 3.

    Raises:
        UnknownFactorError: an unknown factor.
    """
    return len({parse_factor(factor).category for factor in factors})


class AuthAction(StrEnum):
    """What the customer is authenticating for."""

    LOGIN = "login"
    PAY = "pay"
    TRANSFER = "transfer"
    WITHDRAW = "withdraw"
    CHANGE_LIMITS = "change_limits"
    BIND_CARD = "bind_card"


MONEY_ACTIONS: Final = frozenset({AuthAction.PAY, AuthAction.TRANSFER, AuthAction.WITHDRAW})
"""The actions that move money: they carry an amount and count against the daily caps."""

SENSITIVE_ACTIONS: Final = frozenset({AuthAction.CHANGE_LIMITS, AuthAction.BIND_CARD})
"""The actions that change what the account can do: they always need two kinds of factors."""

_METHODS: Final[Mapping[AuthAction, frozenset[PaymentMethod]]] = MappingProxyType(
    {
        AuthAction.PAY: frozenset(
            {
                PaymentMethod.STATIC_QR,
                PaymentMethod.DYNAMIC_QR,
                PaymentMethod.NFC,
                PaymentMethod.ONLINE,
            }
        ),
        AuthAction.TRANSFER: frozenset({PaymentMethod.P2P_TRANSFER}),
        AuthAction.WITHDRAW: frozenset({PaymentMethod.WITHDRAWAL}),
    }
)


class RiskLevel(StrEnum):
    """The risk engine's verdict on a request, as the authentication policy sees it."""

    ALLOW = "allow"
    """Nothing unusual: the normal requirements apply."""
    CHALLENGE = "challenge"
    """Unusual: ask for one more kind of factor than otherwise needed (at least two)."""
    DENY = "deny"
    """Refuse, whatever the customer has verified."""


def parse_action(value: AuthAction | str) -> AuthAction:
    """Return the :class:`AuthAction` for a member or its value (``"login"``).

    Raises:
        InvalidAuthRequestError: anything else.
    """
    try:
        return AuthAction(value)
    except ValueError:
        known = ", ".join(repr(action.value) for action in AuthAction)
        raise InvalidAuthRequestError(f"unknown action {value!r}; use one of {known}") from None


def _risk(value: RiskLevel | str) -> RiskLevel:
    try:
        return RiskLevel(value)
    except ValueError:
        known = ", ".join(repr(level.value) for level in RiskLevel)
        raise InvalidAuthRequestError(f"unknown risk level {value!r}; use one of {known}") from None


def _method(value: PaymentMethod | str | None) -> PaymentMethod | None:
    if value is None:
        return None
    try:
        return parse_payment_method(value)
    except UnknownPaymentMethodError as error:
        raise InvalidAuthRequestError(str(error)) from None


def _zero(request: AuthRequest) -> Money:
    return Money.zero(
        request.amount.currency if type(request.amount) is Money else DEFAULT_CURRENCY
    )


@attrs.frozen(kw_only=True)
class AuthRequest:
    """What the customer wants to do and what they have proven, for the authentication policy.

    Attributes:
        action: what they are authenticating for.
        tier: their verification tier (a limit schedule's tier name).
        amount: the amount to move, positive; required for pay, transfer and withdraw, and
            absent for the other actions.
        method: how the money leaves, where known: a shop payment method (static or dynamic QR,
            NFC, online) for ``PAY``, ``P2P_TRANSFER`` for ``TRANSFER``, ``WITHDRAWAL`` for
            ``WITHDRAW``; absent for the other actions. Password-free payments need it.
        verified: the factors verified for this request (members or their values).
        spent_today: what the customer has already spent today (the business day), holds
            included, not counting ``amount``; zero by default.
        password_free_today: how much of that was paid password-free; zero by default.
        risk: the risk engine's verdict.
        password_locked: the payment password is locked after too many failures: it does not
            count even if listed in ``verified``, and cannot be offered in a challenge.

    Raises:
        InvalidAuthRequestError: an unknown action, risk level or method, an amount missing, not
            positive or where none belongs, a method that does not fit the action, a negative
            total, an empty tier, or amounts in different currencies.
        AuthRequestTypeError: an amount not :class:`Money`, a tier not ``str``, a flag not ``bool``.
        UnknownFactorError: an unknown factor in ``verified``.
    """

    action: AuthAction = attrs.field(converter=parse_action)
    tier: str
    amount: Money | None = None
    method: PaymentMethod | None = attrs.field(default=None, converter=_method)
    verified: frozenset[Factor] = attrs.field(default=frozenset(), converter=parse_factors)
    spent_today: Money = attrs.field(default=attrs.Factory(_zero, takes_self=True))
    password_free_today: Money = attrs.field(default=attrs.Factory(_zero, takes_self=True))
    risk: RiskLevel = attrs.field(default=RiskLevel.ALLOW, converter=_risk)
    password_locked: bool = False

    def __attrs_post_init__(self) -> None:
        if type(self.tier) is not str:
            raise AuthRequestTypeError(f"tier must be a str, not {type(self.tier).__name__}")
        if not self.tier.strip():
            raise InvalidAuthRequestError("tier must not be empty")
        if type(self.password_locked) is not bool:
            raise AuthRequestTypeError(
                f"password_locked must be a bool, not {type(self.password_locked).__name__}"
            )
        for name in ("amount", "spent_today", "password_free_today"):
            value = getattr(self, name)
            if type(value) is not Money and not (name == "amount" and value is None):
                raise AuthRequestTypeError(f"{name} must be Money, not {type(value).__name__}")
        self._check_amount_and_method()
        currency = self.spent_today.currency
        for name, total in (
            ("spent_today", self.spent_today),
            ("password_free_today", self.password_free_today),
        ):
            if total.is_negative():
                raise InvalidAuthRequestError(f"{name} must not be negative, got {total}")
            if total.currency != currency or (
                self.amount is not None and total.currency != self.amount.currency
            ):
                raise InvalidAuthRequestError(
                    "amount, spent_today and password_free_today must share one currency"
                )

    def _check_amount_and_method(self) -> None:
        allowed_methods = _METHODS.get(self.action)
        if allowed_methods is None:
            if self.amount is not None or self.method is not None:
                raise InvalidAuthRequestError(
                    f"{self.action.value} takes no amount and no payment method"
                )
            return
        if self.amount is None:
            raise InvalidAuthRequestError(f"{self.action.value} needs an amount")
        if not self.amount.is_positive():
            raise InvalidAuthRequestError(f"amount must be positive, got {self.amount}")
        if self.method is not None and self.method not in allowed_methods:
            fitting = ", ".join(sorted(method.value for method in allowed_methods))
            raise InvalidAuthRequestError(
                f"{self.action.value} cannot use method {self.method.value!r}; use {fitting}"
            )


@attrs.frozen
class Allowed:
    """The customer has verified enough: go ahead.

    Attributes:
        factors: the verified factors that count (a locked payment password does not).
        daily_cap: the PBOC Art. 24 daily cap those factors earn (``None``: by agreement, no
            cap from this rule). For money actions it covers ``spent_today + amount``.
        password_free: the payment is allowed without any factor as a small password-free
            payment; add its amount to the customer's password-free total for the day.
    """

    factors: frozenset[Factor]
    daily_cap: Money | None
    password_free: bool = False

    @property
    def allowed(self) -> Literal[True]:
        """Always True; lets callers branch on ``decision.allowed`` for any outcome."""
        return True

    def __bool__(self) -> NoReturn:
        raise TypeError("an authentication decision has no truth value; test decision.allowed")


@attrs.frozen
class ChallengeRequired:
    """More verification is needed; any one of ``options`` would do.

    Attributes:
        options: each a set of factors which, verified in addition to those already verified,
            would allow the request; smallest first, then in :class:`Factor` order. No option
            contains another, and none contains a factor already verified (or a locked password).
        reason: why, in English, with the numbers (no personal data).
        code: a stable id for the rule that asks for more: ``auth.factor_required``,
            ``auth.second_kind_required``, ``auth.certificate_required`` or ``auth.risk_step_up``.
    """

    options: tuple[frozenset[Factor], ...]
    reason: str
    code: str

    @property
    def allowed(self) -> Literal[False]:
        """Always False."""
        return False

    def __bool__(self) -> NoReturn:
        raise TypeError("an authentication decision has no truth value; test decision.allowed")


@attrs.frozen
class Denied:
    """No verification can allow the request now.

    Attributes:
        reason: why, in English, with the numbers (no personal data).
        code: a stable id: ``auth.risk_denied`` (the risk engine said no),
            ``auth.above_daily_cap`` (the day's total would pass even the highest cap) or
            ``auth.password_locked`` (only the locked payment password would do).
    """

    reason: str
    code: str

    @property
    def allowed(self) -> Literal[False]:
        """Always False."""
        return False

    def __bool__(self) -> NoReturn:
        raise TypeError("an authentication decision has no truth value; test decision.allowed")


AuthDecision = Allowed | ChallengeRequired | Denied
"""What :func:`icbc_wallet.policies.authentication.decide` returns."""
