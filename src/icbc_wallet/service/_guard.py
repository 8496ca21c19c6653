"""The guard on money leaving a wallet: factors checked, risk assessed, the policy applied.

When ``policies.authentication`` or ``policies.risk`` is set, every payment, transfer and
withdrawal (and :meth:`Guard.authenticate` for logins and sensitive changes) runs here, inside
the command's unit of work:

1. the secrets presented are tried (each wrong one counts towards its lockout) and devices'
   attestations are put to the :class:`~icbc_wallet.ports.verification.AttestationVerifier`;
2. the risk engine (:func:`icbc_wallet.policies.risk.assess`) looks at the request against the
   customer's recent events; a challenge or a deny raises a :class:`RiskAlertRaised` event (the
   customer hears of it; nothing is frozen);
3. the authentication policy (:func:`icbc_wallet.policies.authentication.decide`) says whether
   the verified factors suffice for the amount (PBOC Art. 24 caps), need a step-up, or deny.

Whatever the answer, the counts and the alert are stored with the command's result.
"""

from __future__ import annotations

import functools
import hmac
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import pyotp

from icbc_wallet.domain.attestations import Presented
from icbc_wallet.domain.credentials import (
    CheckOutcome,
    Credentials,
    Lockout,
    SecretCheck,
    TotpEnrolment,
)
from icbc_wallet.domain.decisions import Declined, DeclineReason
from icbc_wallet.domain.events import (
    Event,
    OperationDeclined,
    PaymentAuthorised,
    PaymentCaptured,
    PaymentDeclined,
    RiskAlertRaised,
    ToppedUp,
    TransferSent,
    Withdrawn,
)
from icbc_wallet.domain.factors import (
    Allowed,
    AuthAction,
    AuthDecision,
    AuthRequest,
    ChallengeRequired,
    Denied,
    Factor,
    RiskLevel,
    count_kinds,
)
from icbc_wallet.domain.ids import WalletId
from icbc_wallet.domain.limits import LimitWindow, PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.domain.risk import CustomerActivity, PastOperation, RiskRequest
from icbc_wallet.domain.risk_assessment import RiskAssessment, RiskOutcome
from icbc_wallet.domain.risk_rules import RiskRules
from icbc_wallet.domain.usage import WindowKeys
from icbc_wallet.policies.authentication import decide
from icbc_wallet.policies.risk import assess
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import ServiceBase
from icbc_wallet.wallet.aggregate import Wallet

__all__ = ["OPERATIONS", "Guard", "GuardOutcome"]

OPERATIONS = {
    AuthAction.PAY: OperationKind.PAYMENT,
    AuthAction.TRANSFER: OperationKind.TRANSFER,
    AuthAction.WITHDRAW: OperationKind.WITHDRAWAL,
}
"""The operation each money action is, as the risk engine and the events name it."""
_RECENT_FAILURES = 20
"""Wrong payment passwords remembered for risk monitoring (the newest)."""
_STEP_UP_KINDS = 2
"""Kinds of factors that answer a risk challenge when no authentication policy is set."""
_RISK_LEVELS = {
    RiskOutcome.ALLOW: RiskLevel.ALLOW,
    RiskOutcome.CHALLENGE: RiskLevel.CHALLENGE,
    RiskOutcome.DENY: RiskLevel.DENY,
}


@attrs.frozen
class GuardOutcome:
    """What the guard decided for one request.

    Attributes:
        verified: the factors verified with this request.
        decision: the authentication policy's answer (None when no policy is configured).
        risk: the risk engine's assessment (None when no rules are configured).
        declined: the decline to return, or None when the operation may go ahead.
    """

    verified: frozenset[Factor]
    decision: AuthDecision | None
    risk: RiskAssessment | None
    declined: Declined | None
    credentials: Credentials | None = attrs.field(default=None, repr=False, eq=False)
    """The credentials as stored by the guard (for :meth:`Guard._approved`); not for callers."""

    @property
    def challenge(self) -> ChallengeRequired | None:
        """The step-up asked for, if that is why the request was declined."""
        return self.decision if type(self.decision) is ChallengeRequired else None


@attrs.frozen
class _SeenHistory:
    """What a service already read of one wallet's events: up to ``version``, within 90 days."""

    version: int
    operations: tuple[PastOperation, ...]
    channels: tuple[tuple[datetime, str], ...]


class _HistoryCache:
    """The last :class:`_SeenHistory` of a service's most recently used wallets."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._seen: dict[str, _SeenHistory] = {}

    def get(self, wallet_id: str) -> _SeenHistory | None:
        with self._lock:
            return self._seen.get(wallet_id)

    def put(self, key: str, seen: _SeenHistory) -> None:
        with self._lock:
            known = self._seen.pop(key, None)
            if known is not None and known.version > seen.version:
                seen = known  # another thread read further meanwhile
            self._seen[key] = seen  # (re)inserted last: dicts keep insertion order
            while len(self._seen) > self._size:
                del self._seen[next(iter(self._seen))]


@functools.lru_cache(maxsize=8)  # a service has one rule set: not re-walked on every payment
def _horizon(rules: RiskRules) -> timedelta:
    """The longest window any rule looks back over: the events the engine needs."""
    windows = [
        value
        for section in attrs.astuple(rules, recurse=False)
        if attrs.has(type(section))
        for value in attrs.astuple(section, recurse=False)
        if type(value) is timedelta
    ]
    return max(windows, default=timedelta(days=1))


def _past(event: Event) -> PastOperation | None:  # noqa: PLR0911  # one table
    """The operation an event records, as the risk engine sees it (None for other events).

    Payments count once captured (a hold voided or expired moved nothing). A decline for want
    of a factor is not an attempt of its own: the customer answers it with the same payment.
    """
    match event:
        case PaymentCaptured():
            kind = OperationKind.PAYMENT
            return PastOperation(event.at, kind, event.amount, counterparty=event.merchant_id)
        case PaymentDeclined() if event.reason is not DeclineReason.AUTHENTICATION_REQUIRED:
            kind = OperationKind.PAYMENT
            return PastOperation(event.at, kind, event.amount, event.merchant_id, approved=False)
        case TransferSent():
            return PastOperation(event.at, OperationKind.TRANSFER, event.amount, event.to_wallet)
        case Withdrawn():
            return PastOperation(event.at, OperationKind.WITHDRAWAL, event.amount)
        case ToppedUp():
            return PastOperation(event.at, OperationKind.TOP_UP, event.amount)
        case OperationDeclined() if event.reason is not DeclineReason.AUTHENTICATION_REQUIRED:
            return PastOperation(event.at, event.operation, event.amount, approved=False)
    return None


class Guard(ServiceBase):
    """Secret checks, the risk engine and the authentication policy (see the module docs)."""

    # ---- one try of a secret -------------------------------------------------------------

    def _try(
        self, lock: Lockout, now: datetime, right: Callable[[], bool]
    ) -> tuple[SecretCheck, Lockout]:
        """One try of a secret behind ``lock``: refused unchecked while locked."""
        rules = self.policies.security.lockout
        if lock.is_locked(now):
            return SecretCheck(CheckOutcome.LOCKED, 0, lock.locked_until), lock
        if right():
            return SecretCheck(CheckOutcome.VERIFIED, rules.max_failures), lock.succeeded()
        lock = lock.failed(now, rules)
        if lock.is_locked(now):
            return SecretCheck(CheckOutcome.LOCKED, 0, lock.locked_until), lock
        return SecretCheck(CheckOutcome.WRONG, lock.attempts_left(now, rules)), lock

    def _try_password(
        self, credentials: Credentials, password: str, now: datetime
    ) -> tuple[SecretCheck, Credentials]:
        stored = credentials.password_hash
        check, lock = self._try(
            credentials.password, now, lambda: self._hasher.verify(password, stored)
        )
        if check.verified:
            if self._hasher.needs_rehash(stored):
                stored = self._hasher.hash(password)
            return check, attrs.evolve(credentials, password=lock, password_hash=stored)
        if lock is credentials.password:  # refused unchecked, during a lock: nothing counted
            return check, credentials
        recent = (*credentials.recent_failures, now)[-_RECENT_FAILURES:]
        return check, attrs.evolve(credentials, password=lock, recent_failures=recent)

    def _try_totp(
        self, credentials: Credentials, code: str, now: datetime
    ) -> tuple[SecretCheck, Credentials]:
        enrolment = credentials.totp
        assert enrolment is not None
        step = _matching_step(enrolment, code, now, self.policies.security.totp_drift)
        check, lock = self._try(credentials.dynamic, now, lambda: step is not None)
        totp = attrs.evolve(enrolment, confirmed=True, last_step=step) if check.verified else None
        return check, attrs.evolve(credentials, dynamic=lock, totp=totp or enrolment)

    def _try_code(
        self, credentials: Credentials, challenge_id: str, code: str, purpose: str, now: datetime
    ) -> tuple[SecretCheck, Credentials]:
        challenge = credentials.challenge
        if (
            challenge is None
            or challenge.challenge_id != challenge_id
            or challenge.purpose != purpose
            or not challenge.is_usable(now)
        ):
            return SecretCheck(CheckOutcome.EXPIRED, 0), credentials
        expected = challenge.code_hash
        check, lock = self._try(
            credentials.dynamic,
            now,
            lambda: hmac.compare_digest(self._code_hash(challenge_id, code), expected),
        )
        tried = not credentials.dynamic.is_locked(now)  # a try refused unchecked is no try
        left = challenge.attempts_left - (tried and not check.verified)
        kept = None if check.verified or left == 0 else attrs.evolve(challenge, attempts_left=left)
        if check.outcome is CheckOutcome.WRONG:  # the code's own tries may run out first
            check = attrs.evolve(check, attempts_left=min(check.attempts_left, left))
        return check, attrs.evolve(credentials, dynamic=lock, challenge=kept)

    def _code_hash(self, challenge_id: str, code: str) -> str:
        message = f"otp:{challenge_id}:{code}".encode()
        return hmac.digest(self._fingerprint_key, message, "sha256").hex()

    # ---- the guard -----------------------------------------------------------------------

    @property
    def _guarded(self) -> bool:
        return self.policies.authentication is not None or self.policies.risk is not None

    def _guard(
        self,
        uow: UnitOfWork,
        wallet: Wallet,
        action: AuthAction,
        presented: Presented | None,
        now: datetime,
        *,
        amount: Money | None = None,
        method: PaymentMethod | None = None,
        counterparty: str | None = None,
        channel: str | None = None,
        asking: bool = False,
    ) -> GuardOutcome:
        """Check what is presented, assess the risk and apply the policy (module docs).

        The tries are stored at once (they count whatever happens next). What an approval
        teaches (the device, the password-free total) waits for :meth:`_approved`, called once
        the wallet itself approved. ``asking``: a question ahead of the operation, which raises
        no alert (the operation will).
        """
        presented = presented or Presented()
        credentials = uow.credentials.get(wallet.wallet_id)
        verified, credentials = self._verify(credentials, presented, action, wallet, now)
        risk = None
        kind = OPERATIONS.get(action)
        if self.policies.risk is not None and kind is not None and amount is not None:
            risk = self._assess(
                uow, wallet, credentials, now, kind, amount, counterparty, presented, channel
            )
            if risk.outcome is not RiskOutcome.ALLOW and not asking:
                wallet.record(
                    RiskAlertRaised,
                    now,
                    operation=kind,
                    amount=amount,
                    outcome=risk.outcome.value,
                    rules=tuple(rule.value for rule in risk.rules),
                    explanation=risk.explain(),
                )
        decision = self._decide(wallet, credentials, action, verified, risk, amount, method, now)
        uow.credentials.put(wallet.wallet_id, credentials)
        declined = _declined(decision, risk, verified)
        return GuardOutcome(verified, decision, risk, declined, credentials)

    def _verify(
        self,
        credentials: Credentials,
        presented: Presented,
        action: AuthAction,
        wallet: Wallet,
        now: datetime,
    ) -> tuple[frozenset[Factor], Credentials]:
        verified: set[Factor] = set()
        if presented.password is not None:
            check, credentials = self._try_password(credentials, presented.password, now)
            if check.verified:
                verified.add(Factor.PAYMENT_PASSWORD)
        totp = credentials.totp
        if presented.totp is not None and totp is not None and totp.confirmed:
            check, credentials = self._try_totp(credentials, presented.totp, now)
            if check.verified:
                verified.add(Factor.TOTP)
        if presented.sms is not None:
            sms = presented.sms
            check, credentials = self._try_code(
                credentials, sms.challenge_id, sms.code, action.value, now
            )
            if check.verified:
                verified.add(Factor.SMS_OTP)
        verifier = self._attestation_verifier
        for attestation in presented.attestations:
            if verifier is not None and verifier.verify(wallet.wallet_id, attestation, now):
                verified.add(attestation.factor)
        return frozenset(verified), credentials

    def _assess(
        self,
        uow: UnitOfWork,
        wallet: Wallet,
        credentials: Credentials,
        now: datetime,
        kind: OperationKind,
        amount: Money,
        counterparty: str | None,
        presented: Presented,
        channel: str | None,
    ) -> RiskAssessment:
        rules = self.policies.risk
        assert rules is not None
        operations, channels = self._recent_operations(uow, wallet.wallet_id, now - _horizon(rules))
        approved = [operation for operation in operations if operation.approved]
        activity = CustomerActivity(
            operations=operations,
            failed_passwords=credentials.recent_failures,
            known_devices=credentials.devices,
            # only payments record their channel: transfers and withdrawals are assessed
            # without one (see _refused), so the rule never fires on what it cannot learn
            known_channels=channels,
            known_counterparties={
                op.counterparty for op in approved if op.counterparty is not None
            },
        )
        request = RiskRequest(now, kind, amount, counterparty, presented.device, channel)
        return assess(request, activity, rules)

    def _recent_operations(
        self, uow: UnitOfWork, wallet_id: WalletId, since: datetime
    ) -> tuple[tuple[PastOperation, ...], frozenset[str]]:
        """The wallet's operations since ``since`` and the channels its payments used.

        Read from its events; what was read before is kept in this process
        (:class:`_SeenHistory`), so a payment reads only the events saved since the last one
        (versions never change once saved), not 90 days of them.
        """
        # one cache per service (per store): made on first use, atomically (setdefault)
        cache: _HistoryCache | None = vars(self).get("_risk_history_cache")
        if cache is None:
            cache = vars(self).setdefault("_risk_history_cache", _HistoryCache())
        seen = cache.get(wallet_id)
        after = 0 if seen is None else seen.version
        # up to now included: commands of one instant (a batch, a manual clock) all count
        events = uow.events.for_aggregate(wallet_id, since, after_version=after)
        operations = [] if seen is None else [op for op in seen.operations if op.at >= since]
        channels = [] if seen is None else [c for c in seen.channels if c[0] >= since]
        operations += [operation for event in events if (operation := _past(event))]
        channels += [(e.at, e.channel.value) for e in events if type(e) is PaymentAuthorised]
        version = max((event.version for event in events), default=after)
        cache.put(wallet_id, _SeenHistory(version, tuple(operations), tuple(channels)))
        return tuple(operations), frozenset(channel for _, channel in channels)

    def _decide(
        self,
        wallet: Wallet,
        credentials: Credentials,
        action: AuthAction,
        verified: frozenset[Factor],
        risk: RiskAssessment | None,
        amount: Money | None,
        method: PaymentMethod | None,
        now: datetime,
    ) -> AuthDecision | None:
        rules = self.policies.authentication
        if rules is None:
            return None
        keys = WindowKeys.at(now, wallet.usage.zone)
        day = LimitWindow.DAY.value
        # Art. 24 caps payments (transfers included), not money sent to the holder's own card
        withdrawn = wallet.usage.totals(PaymentMethod.WITHDRAWAL).used(keys)[day]
        spent = wallet.usage.overall.used(keys)[day] - withdrawn
        day, free = credentials.password_free
        request = AuthRequest(
            action=action,
            tier=wallet.tier_name,
            amount=amount,
            method=method,
            verified=verified,
            spent_today=Money._make(spent, wallet.currency),
            password_free_today=Money._make(free if day == keys.day else 0, wallet.currency),
            risk=RiskLevel.ALLOW if risk is None else _RISK_LEVELS[risk.outcome],
            password_locked=credentials.password.is_locked(now),
        )
        return decide(request, rules)

    def _approved(
        self,
        uow: UnitOfWork,
        guard: GuardOutcome,
        presented: Presented | None,
        amount: Money,
        wallet: Wallet,
        now: datetime,
    ) -> None:
        """After the wallet approved: learn the device, add a password-free payment to the day."""
        credentials = guard.credentials
        if credentials is None:
            return
        if presented is not None and presented.device is not None and not presented.empty:
            credentials = attrs.evolve(
                credentials, devices=credentials.devices | {presented.device}
            )
        decision = guard.decision
        if type(decision) is Allowed and decision.password_free:
            day = WindowKeys.at(now, wallet.usage.zone).day
            before = credentials.password_free[1] if credentials.password_free[0] == day else 0
            credentials = attrs.evolve(credentials, password_free=(day, before + amount.minor))
        if credentials is not guard.credentials:
            uow.credentials.put(wallet.wallet_id, credentials)


def _declined(
    decision: AuthDecision | None, risk: RiskAssessment | None, verified: frozenset[Factor]
) -> Declined | None:
    if risk is not None and risk.outcome is RiskOutcome.DENY:
        return Declined(DeclineReason.RISK_DENIED)
    if type(decision) is ChallengeRequired:
        return Declined(DeclineReason.AUTHENTICATION_REQUIRED)
    if type(decision) is Denied:
        return Declined(DeclineReason.AUTHENTICATION_DENIED)
    # risk monitoring without an authentication policy: a challenge asks two kinds
    challenged = risk is not None and risk.outcome is RiskOutcome.CHALLENGE
    if decision is None and challenged and count_kinds(verified) < _STEP_UP_KINDS:
        return Declined(DeclineReason.AUTHENTICATION_REQUIRED)
    return None


def _matching_step(enrolment: TotpEnrolment, code: str, now: datetime, drift: int) -> int | None:
    """The time step whose code is ``code`` (within ``drift`` steps), unless already used."""
    totp = pyotp.TOTP(enrolment.secret)
    current = totp.timecode(now)
    for step in range(current - drift, current + drift + 1):
        used = enrolment.last_step is not None and step <= enrolment.last_step
        if not used and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
