"""The policy evaluator: what a policy set decides for each transaction of a replay, in order.

A :class:`PolicyEvaluator` plays one :class:`~icbc_wallet.service.WalletPolicies` over a stream of
:class:`~icbc_wallet.analysis.Transaction` s the way the wallet service would decide them, with
the same pure core: the limit check and usage of :mod:`icbc_wallet.policies.limits` (per
transaction, day, month, year and lifetime, per tier and per payment method, in the business
zone), the customer fee of ``policies.fees`` with each customer's free quota carried over, and
the merchant fee of ``policies.merchant_fees`` on payments (capped, as the service does, one fen
below the amount). Only approved transactions count towards usage and quotas. Its state is one
small record per customer (about 2 KB), never one per row.

What a replay does not know, it does not pretend to: there are no balances in a transaction file,
so funds, balance caps, frozen wallets and a transfer's recipient are not checked, and each
customer is taken at their tier's limits (no chosen limit, no granted increase). Authentication
and risk rules are not run. A transaction is declined with a ``replay.*`` code, never raised,
when the policy set cannot evaluate it:

- ``replay.unknown_tier``: its tier is not in the policy set's limits;
- ``replay.out_of_order``: it is earlier than a transaction of the same customer already
  evaluated (a replay needs each customer's rows in time order; it counts such a row rather than
  evaluating it against windows that have moved on);
- ``replay.currency_mismatch``: its amount is not in the policy set's currency;
- ``replay.unsupported_operation``: its kind and method are not an outflow the wallet makes
  (a top-up, a payment by withdrawal);
- ``replay.fee_exceeds_amount``: a fee taken out of the amount would leave nothing (the
  service refuses such a withdrawal or transfer).

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.domain.limits import PaymentMethod
>>> from icbc_wallet.domain.money import Money
>>> from icbc_wallet.domain.operations import OperationKind
>>> from icbc_wallet.service import WalletPolicies
>>> evaluator = PolicyEvaluator(WalletPolicies.default())
>>> def withdrawal(at, amount, tier="WL02"):
...     return Transaction("t1", "c1", tier, datetime.fromisoformat(at), OperationKind.WITHDRAWAL,
...                        PaymentMethod.WITHDRAWAL, Money.of(amount))
>>> evaluator.evaluate(withdrawal("2026-03-02T10:00+08:00", "800"))  # in the 1,000 free quota
Evaluation(approved=True, reason=None, fee=Money('0.00', 'CNY'))
>>> evaluator.evaluate(withdrawal("2026-03-02T11:00+08:00", "400"))  # daily cap: 1,000
Evaluation(approved=False, reason='limit.daily', fee=Money('0.00', 'CNY'))
>>> evaluator.evaluate(withdrawal("2026-03-03T09:00+08:00", "400"))  # 200 free, 0.1 % of 200
Evaluation(approved=True, reason=None, fee=Money('0.20', 'CNY'))
>>> evaluator.evaluate(withdrawal("2026-03-03T10:00+08:00", "1", tier="WL09")).reason
'replay.unknown_tier'

```
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import attrs

from icbc_wallet.analysis._rows import ALLOWED_METHODS, Transaction
from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.decisions import Declined
from icbc_wallet.domain.fee_quotes import FeeQuote
from icbc_wallet.domain.fee_rules import FeeRule, QuotaPeriod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.usage import LimitUsage
from icbc_wallet.policies.limits import _approved_at
from icbc_wallet.service.config import WalletPolicies

__all__ = [
    "CURRENCY_MISMATCH",
    "FEE_EXCEEDS_AMOUNT",
    "OUT_OF_ORDER",
    "REPLAY_REASONS",
    "UNKNOWN_TIER",
    "UNSUPPORTED_OPERATION",
    "Evaluation",
    "PolicyEvaluator",
]

UNKNOWN_TIER: Final = "replay.unknown_tier"
OUT_OF_ORDER: Final = "replay.out_of_order"
CURRENCY_MISMATCH: Final = "replay.currency_mismatch"
UNSUPPORTED_OPERATION: Final = "replay.unsupported_operation"
FEE_EXCEEDS_AMOUNT: Final = "replay.fee_exceeds_amount"
REPLAY_REASONS: Final = (
    UNKNOWN_TIER,
    OUT_OF_ORDER,
    CURRENCY_MISMATCH,
    UNSUPPORTED_OPERATION,
    FEE_EXCEEDS_AMOUNT,
)
"""The decline codes of a transaction the policy set could not evaluate (see the module doc)."""
_SERVICE_CHANNEL: Final = Channel.MOBILE  # what the service assumes when no channel is given
_PAYMENT: Final = OperationKind.PAYMENT


@attrs.frozen
class Evaluation:
    """What a policy set decided for one transaction.

    Attributes:
        approved: whether it went through.
        reason: the decline's stable code (``"limit.daily"``, ``"replay.unknown_tier"``);
            None when approved.
        fee: the bank's fee income from it: the customer's fee (withdrawals, transfers, ...) or
            the merchant's fee (payments); zero when declined.
    """

    approved: bool
    reason: str | None
    fee: Money

    @staticmethod
    def _make(approved: bool, reason: str | None, fee: Money) -> Evaluation:
        evaluation = _NEW(Evaluation)
        _SET_APPROVED(evaluation, approved)
        _SET_REASON(evaluation, reason)
        _SET_FEE(evaluation, fee)
        return evaluation


_NEW: Final = object.__new__
_SET_APPROVED, _SET_REASON, _SET_FEE = (
    Evaluation.__dict__[field.name].__set__ for field in attrs.fields(Evaluation)
)


class _Customer:
    """One customer's running state: limit usage, free quota used, the last instant seen."""

    __slots__ = ("last", "quota", "usage")

    def __init__(self, usage: LimitUsage) -> None:
        self.usage = usage
        self.quota: dict[OperationKind, tuple[str, int]] | None = None
        self.last: datetime | None = None


class PolicyEvaluator:
    """Decides transactions one at a time under ``policies``, remembering each customer's usage.

    Feed it each customer's transactions in time order (customers may interleave freely).
    """

    def __init__(self, policies: WalletPolicies) -> None:
        if not isinstance(policies, WalletPolicies):
            raise TypeError(f"policies must be WalletPolicies, not {type(policies).__name__}")
        self.policies = policies
        limits = policies.limits
        self.currency = limits.currency
        self._zone = limits.zone
        self._tiers = frozenset(limits.tier_names)
        self._customers: dict[str, _Customer] = {}
        self._usage = LimitUsage(currency=limits.currency, zone=limits.zone)
        self._zero = Money._make(0, limits.currency)
        self._free = Evaluation(approved=True, reason=None, fee=self._zero)
        self._declines: dict[str, Evaluation] = {}
        self._rules: dict[tuple[OperationKind, Channel], FeeRule | None] = {}

    @property
    def customers(self) -> int:
        """How many distinct customers it has seen."""
        return len(self._customers)

    def _declined(self, code: str) -> Evaluation:
        evaluation = self._declines.get(code)
        if evaluation is None:
            evaluation = self._declines[code] = Evaluation(False, code, self._zero)
        return evaluation

    def _approved(self, fee: Money) -> Evaluation:
        return self._free if fee.minor == 0 else Evaluation._make(True, None, fee)

    def evaluate(self, transaction: Transaction) -> Evaluation:  # noqa: PLR0911  # one flat path
        """Decide ``transaction`` as the service would now, and record it if approved.

        Raises:
            NaiveDatetimeError: ``transaction.at`` has no timezone.
        """
        customer = self._customers.get(transaction.customer)
        if customer is None:
            customer = self._customers[transaction.customer] = _Customer(self._usage)
        at = transaction.at
        if at.tzinfo is None:
            require_aware(at, "transaction.at")
        last = customer.last
        if last is not None and at < last:
            return self._declined(OUT_OF_ORDER)
        customer.last = at
        tier = transaction.tier
        if tier not in self._tiers:
            return self._declined(UNKNOWN_TIER)
        amount, kind, method = transaction.amount, transaction.kind, transaction.method
        if amount.currency != self.currency:
            return self._declined(CURRENCY_MISMATCH)
        if method not in ALLOWED_METHODS.get(kind, ()):
            return self._declined(UNSUPPORTED_OPERATION)
        channel = transaction.channel or _SERVICE_CHANNEL
        policies, usage = self.policies, customer.usage
        if kind is _PAYMENT:  # MoneyCommands.pay: Wallet.authorise, then the merchant fee
            outcome = _approved_at(policies.limits, tier, method, usage, amount, at)
            if type(outcome) is Declined:
                return self._declined(outcome.reason.value)
            customer.usage = usage._record(method, amount.minor, outcome)  # type: ignore[arg-type]
            quote = policies.merchant_fees.quote(
                _PAYMENT, amount, now=at, channel=channel, calendar=policies.calendar,
                zone=self._zone,
            )  # fmt: skip
            fee = quote.fee_minor
            if fee >= amount.minor:  # a minimum fee above a tiny payment: one fen stays
                fee = amount.minor - 1
            return self._approved(Money._make(fee, self.currency))
        # Wallet.withdraw / Wallet.send: the fee first, then the limits on what leaves
        quote = self._quote(customer, kind, amount, channel, at)
        debit = quote.total_debit
        if quote.net_amount.minor <= 0:
            return self._declined(FEE_EXCEEDS_AMOUNT)
        outcome = _approved_at(policies.limits, tier, method, usage, debit, at)
        if type(outcome) is Declined:
            return self._declined(outcome.reason.value)
        customer.usage = usage._record(method, debit.minor, outcome)  # type: ignore[arg-type]
        self._consume_quota(customer, quote, at)
        return self._approved(quote.fee)

    def _rule(self, kind: OperationKind, channel: Channel) -> FeeRule | None:
        try:
            return self._rules[kind, channel]
        except KeyError:
            rule = self._rules[kind, channel] = self.policies.fees.rule_for(kind, channel)
            return rule

    def _quota_key(self, period: QuotaPeriod, at: datetime) -> str:
        # a lifetime quota's key does not depend on the instant: skip the zone conversion
        return "lifetime" if period is QuotaPeriod.LIFETIME else period.key(at, self._zone)

    def _quote(
        self,
        customer: _Customer,
        kind: OperationKind,
        amount: Money,
        channel: Channel,
        at: datetime,
    ) -> FeeQuote:
        """``Wallet._quote``: the customer fee, with the quota used in the quota's period."""
        rule = self._rule(kind, channel)
        used = None
        if rule is not None and rule.quota is not None:
            stored = None if customer.quota is None else customer.quota.get(kind)
            key = self._quota_key(rule.quota.period, at)
            used = Money._make(stored[1] if stored and stored[0] == key else 0, self.currency)
        policies = self.policies
        return policies.fees.quote(
            kind, amount, now=at, channel=channel, quota_used=used, calendar=policies.calendar,
            zone=self._zone,
        )  # fmt: skip

    def _consume_quota(self, customer: _Customer, quote: FeeQuote, at: datetime) -> None:
        """``Wallet._consume_quota``: add what the quota covered to this period's total."""
        consumed, rule = quote.quota_consumed_minor, quote.rule
        if not consumed or rule is None or rule.quota is None:
            return
        key = self._quota_key(rule.quota.period, at)
        if customer.quota is None:
            customer.quota = {}
        stored = customer.quota.get(quote.kind)
        before = stored[1] if stored and stored[0] == key else 0
        customer.quota[quote.kind] = (key, before + consumed)
