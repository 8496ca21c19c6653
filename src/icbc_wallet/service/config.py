"""The bank's policy set for one wallet service: limits, tiers, fees, windows, deadlines.

:class:`WalletPolicies` bundles every rule a :class:`~icbc_wallet.service.WalletService`
applies. :meth:`WalletPolicies.default` is the documented default: the e-CNY wallet classes
with the PBOC static QR code cap of 500 a day, the e-CNY tier policy, WeChat Pay's 2016
withdrawal fee (0.1 %, minimum 0.10, 1,000 free), free transfers and payments for customers,
no merchant fee, and the article's 7-day refund window.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import attrs

from icbc_wallet.domain.calendar import HolidayCalendar, NoHolidays
from icbc_wallet.domain.credentials import SecurityRules
from icbc_wallet.domain.disputes import DEFAULT_DISPUTE_TERMS, DisputeTerms
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.limit_increase import LimitIncreaseTerms
from icbc_wallet.domain.limits import LimitSchedule
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.domain.refund_requests import DEFAULT_MERCHANT_ANSWER_TIME
from icbc_wallet.domain.refunds import RefundWindow
from icbc_wallet.domain.risk_rules import RiskRules
from icbc_wallet.domain.tiers import TierPolicy
from icbc_wallet.errors import InvalidPolicyError
from icbc_wallet.policies.authentication import AuthenticationRules
from icbc_wallet.presets.fees import WECHAT_WITHDRAWAL_2016
from icbc_wallet.presets.limits import ECNY_2021_WITH_QR_CODES
from icbc_wallet.presets.refunds import ARTICLE_REFUND_WINDOW
from icbc_wallet.presets.tiers import ECNY_TIER_POLICY

__all__ = ["DEFAULT_HOLD_TIME", "DEFAULT_IDEMPOTENCY_TIME", "MAX_HOLD_TIME", "WalletPolicies"]

DEFAULT_HOLD_TIME: Final = timedelta(days=7)
"""How long an authorisation holds money before it expires (card schemes use about 7 days)."""
MAX_HOLD_TIME: Final = timedelta(days=30)
"""The longest an authorisation may hold money (a hotel's pre-authorisation runs about 30 days)."""
DEFAULT_IDEMPOTENCY_TIME: Final = timedelta(hours=24)
"""How long an idempotency key is remembered (at least 24 hours)."""
MIN_IDEMPOTENCY_TIME: Final = timedelta(hours=24)


def _positive(_instance: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if type(value) is not timedelta or value <= timedelta(0):
        raise InvalidPolicyError(f"{attribute.name} must be a positive timedelta, not {value!r}")


def _hold_time(instance: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    _positive(instance, attribute, value)
    if value > MAX_HOLD_TIME:
        raise InvalidPolicyError(
            f"hold_time must be at most {MAX_HOLD_TIME.days} days, not {value}"
        )


def _keys_kept(_instance: object, _attribute: object, value: timedelta) -> None:
    if type(value) is not timedelta or value < MIN_IDEMPOTENCY_TIME:
        raise InvalidPolicyError(f"idempotency keys must be kept at least 24 hours, not {value!r}")


@attrs.frozen
class WalletPolicies:
    """Every rule the service applies.

    Attributes:
        limits: the tiers' limits.
        tiers: which evidence earns which tier (every tier it names must be in ``limits``).
        fees: customer fees (withdrawals, transfers). Payments are free for customers, so a
            ``PAYMENT`` rule here is refused: merchants' fees go in ``merchant_fees``.
        merchant_fees: the merchants' service fee on payments (``PAYMENT`` rules), deducted
            from what they receive and returned pro rata with refunds.
        refund_window: how long after a payment a refund may be requested.
        merchant_answer_time: how long a merchant has to answer a refund request.
        dispute_terms: dispute deadlines.
        increase_terms: how limit increases are reviewed.
        calendar: holidays (for holiday-only fee waivers).
        hold_time: how long an authorisation lasts.
        idempotency_time: how long idempotency keys are kept (at least 24 hours).
        security: lockouts of the payment password, security answer and dynamic passwords;
            SMS code lifetime and tries.
        authentication: which factors each action needs (PBOC Art. 24 caps, password-free
            small payments, step-up on risk). None (the default) leaves authentication to the
            calling channel: money commands then check no factor. :meth:`guarded` sets it.
        risk: the risk engine's rules, run on every payment, transfer and withdrawal; None
            (the default) runs none. :meth:`guarded` sets the documented defaults.
    """

    limits: LimitSchedule
    tiers: TierPolicy
    fees: FeeSchedule
    merchant_fees: FeeSchedule = attrs.field(
        factory=lambda: FeeSchedule([], name="no merchant fees")
    )
    refund_window: RefundWindow = ARTICLE_REFUND_WINDOW
    merchant_answer_time: timedelta = attrs.field(
        default=DEFAULT_MERCHANT_ANSWER_TIME, validator=_positive
    )
    dispute_terms: DisputeTerms = DEFAULT_DISPUTE_TERMS
    increase_terms: LimitIncreaseTerms = attrs.field(factory=LimitIncreaseTerms)
    calendar: HolidayCalendar = attrs.field(factory=NoHolidays)
    hold_time: timedelta = attrs.field(default=DEFAULT_HOLD_TIME, validator=_hold_time)
    idempotency_time: timedelta = attrs.field(
        default=DEFAULT_IDEMPOTENCY_TIME, validator=_keys_kept
    )
    security: SecurityRules = attrs.field(factory=SecurityRules)
    authentication: AuthenticationRules | None = None
    risk: RiskRules | None = None

    def __attrs_post_init__(self) -> None:
        self.tiers.check_against(self.limits)
        if any(rule.kind is OperationKind.PAYMENT for rule in self.fees.rules):
            raise InvalidPolicyError(
                "customers pay merchants without a fee here; put a PAYMENT rule in "
                "merchant_fees (deducted from what the merchant receives)"
            )
        for schedule in (self.fees, self.merchant_fees):
            if schedule.currency != self.limits.currency:
                raise InvalidPolicyError(
                    f"fee schedule {schedule.name!r} is in {schedule.currency}, "
                    f"the limits in {self.limits.currency}"
                )

    @classmethod
    def default(cls) -> WalletPolicies:
        """The documented default policy set (see the module docstring)."""
        return cls(
            limits=ECNY_2021_WITH_QR_CODES, tiers=ECNY_TIER_POLICY, fees=WECHAT_WITHDRAWAL_2016
        )

    @classmethod
    def guarded(cls) -> WalletPolicies:
        """The default set with authentication (PBOC Art. 24) and risk monitoring switched on.

        Payments, transfers and withdrawals then need the factors the policy asks for
        (``presented=``), and each is assessed by the risk engine.
        """
        return attrs.evolve(cls.default(), authentication=AuthenticationRules(), risk=RiskRules())
