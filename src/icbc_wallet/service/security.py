"""Security use cases: tries of the payment password, security answer and dynamic passwords.

Every try counts, so these commands take no idempotency key: a wrong try is stored (the count,
and at the limit the lock) in the same unit of work that read the credentials, and two wrong
tries at once both count (the store refuses the second writer; the service runs it again on the
first's result). A try during a lock is refused without checking the secret, so the right
password is refused too; the answer says how many tries are left or when the lock ends. Lock
rules, SMS code lifetime and tries are ``policies.security``
(:class:`~icbc_wallet.domain.credentials.SecurityRules`).

Dynamic passwords are TOTP (RFC 6238, an authenticator app, via :mod:`pyotp`) and one-time SMS
codes: six random digits, stored as a keyed hash, void after a few minutes or a few wrong tries,
delivered through the notifier port as a :attr:`~icbc_wallet.ports.notifications.
NotificationKind.ONE_TIME_CODE` notification whose text and ``repr`` do not hold the code.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import attrs
import pyotp

from icbc_wallet.domain.attestations import Presented, SmsAnswer, check_code
from icbc_wallet.domain.credentials import (
    OtpChallenge,
    SecretCheck,
    TotpEnrolment,
)
from icbc_wallet.domain.events import AuthenticatorEnrolled
from icbc_wallet.domain.factors import AuthAction, parse_action
from icbc_wallet.domain.ids import WalletId, parse_id
from icbc_wallet.domain.limits import PaymentMethod, parse_payment_method
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.registration import normalise_answer, validate_payment_password
from icbc_wallet.errors import (
    InvalidPolicyError,
    SecretTypeError,
    SecurityStateError,
    TooManyAttemptsError,
)
from icbc_wallet.ports.notifications import Notification, NotificationKind
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import require_amount
from icbc_wallet.service._guard import Guard, GuardOutcome

__all__ = ["SecurityCommands", "TotpSetup"]

_ISSUER = "ICBC Wallet"
_CODE_PURPOSES = frozenset(
    {"login", "pay", "transfer", "withdraw", "change_limits", "bind_card", "change_authenticator"}
)


@attrs.frozen
class TotpSetup:
    """The answer to an enrolment: the password check and, if it passed, what the app needs.

    Attributes:
        check: the payment password's check (the enrolment needs it right).
        secret: the base32 shared secret, or None when the password was refused.
        uri: the same as an ``otpauth://`` URI (for a QR code), or None.

    Show the secret to the holder once; neither it nor the URI is ever in ``repr``.
    """

    check: SecretCheck
    secret: str | None = attrs.field(default=None, repr=False)
    uri: str | None = attrs.field(default=None, repr=False)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise SecretTypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


class SecurityCommands(Guard):
    """Payment password, security answer, TOTP and SMS codes, behind lockouts."""

    def verify_payment_password(self, wallet_id: str, password: str) -> SecretCheck:
        """Check the payment password (each wrong try counts towards the lock).

        A right password made with older hashing parameters is hashed again and stored.

        Raises:
            NotFoundError: the wallet has no credentials.
            SecretTypeError: ``password`` is not a str.
        """
        password = _text(password, "password")
        return self._check_password(parse_id(wallet_id, WalletId), password)

    def change_payment_password(
        self, wallet_id: str, current: str, new: str, *, idempotency_key: str
    ) -> SecretCheck:
        """Replace the payment password, given the current one (a wrong one counts).

        Raises:
            WeakPasswordError: ``new`` breaks the password rules (nothing is counted).
        """
        key = parse_id(wallet_id, WalletId)
        current = _text(current, "current password")
        with self._read() as uow:
            owner = uow.wallets.get(key).owner
        new = validate_payment_password(new, phone=owner.phone, resident_id=owner.resident_id)

        def body(uow: UnitOfWork, now: datetime) -> SecretCheck:
            credentials = uow.credentials.get(key)
            check, credentials = self._try_password(credentials, current, now)
            if check.verified:  # hashed only once the current one is right
                credentials = attrs.evolve(credentials, password_hash=self._hasher.hash(new))
            uow.credentials.put(key, credentials)
            return check

        # the keyed fingerprint holds the passwords only as an HMAC under the service secret
        params = {"id": key, "current": current, "new": new}
        return self._run(idempotency_key, "change_payment_password", params, body)

    def authenticate(
        self,
        wallet_id: str,
        action: AuthAction | str,
        presented: Presented,
        *,
        amount: Money | None = None,
        method: PaymentMethod | str | None = None,
    ) -> GuardOutcome:
        """Check ``presented`` for ``action`` (a login, a limit change, binding a card, ...).

        The secrets are tried (wrong ones count) and attestations verified; with
        ``policies.authentication`` set, the policy's answer is in ``decision`` (``Allowed``,
        ``ChallengeRequired`` with the factors that would do, or ``Denied``) and ``declined``
        says whether to refuse. Money commands run the same checks themselves
        (``presented=``); this is for the other actions and for asking ahead (which raises
        no risk alert and counts nothing towards the password-free total; the secrets'
        tries still count, and an SMS code used here is used up).

        Raises:
            InvalidAuthRequestError: ``action`` is unknown.
            SecretTypeError: ``presented`` is not a :class:`Presented`.
        """
        key = parse_id(wallet_id, WalletId)
        checked = parse_action(action)
        if type(presented) is not Presented:
            raise SecretTypeError(f"presented must be a Presented, not {type(presented).__name__}")
        if amount is not None:
            amount = require_amount(amount, self.policies.limits.currency)
        chosen = None if method is None else parse_payment_method(method)

        def body(uow: UnitOfWork, now: datetime) -> GuardOutcome:
            wallet = self._load_wallet(uow, key, now)
            outcome = self._guard(
                uow, wallet, checked, presented, now, amount=amount, method=chosen
            )
            self._save(uow, wallet)
            return outcome

        return self._transact(body)

    def verify_security_answer(self, wallet_id: str, answer: str) -> SecretCheck:
        """Check the security answer (normalised as when it was set; its own lockout)."""
        normalised = normalise_answer(_text(answer, "answer"))

        def body(uow: UnitOfWork, now: datetime) -> SecretCheck:
            credentials = uow.credentials.get(parse_id(wallet_id, WalletId))
            stored = credentials.answer_hash
            check, lock = self._try(
                credentials.answer, now, lambda: self._hasher.verify(normalised, stored)
            )
            if check.verified and self._hasher.needs_rehash(stored):
                stored = self._hasher.hash(normalised)
            changed = attrs.evolve(credentials, answer=lock, answer_hash=stored)
            uow.credentials.put(credentials.wallet_id, changed)
            return check

        return self._transact(body)

    def enrol_totp(
        self, wallet_id: str, password: str, *, sms: SmsAnswer | None = None
    ) -> TotpSetup:
        """Start an authenticator enrolment, authorised by the payment password.

        Replacing a *confirmed* authenticator also needs an SMS code sent for
        ``"change_authenticator"``: the password alone must not let someone swap the holder's
        second factor for their own. Every try counts like any other; the enrolment counts as
        a factor once :meth:`confirm_totp` accepts a first code. The holder is told
        (:class:`~icbc_wallet.domain.events.AuthenticatorEnrolled`, a security notification).

        Raises:
            SecurityStateError: a confirmed authenticator exists and no ``sms`` is given.
        """
        key = parse_id(wallet_id, WalletId)
        password = _text(password, "password")
        if sms is not None and type(sms) is not SmsAnswer:
            raise SecretTypeError(f"sms must be an SmsAnswer, not {type(sms).__name__}")
        secret = pyotp.random_base32()

        def body(uow: UnitOfWork, now: datetime) -> SecretCheck:
            credentials = uow.credentials.get(key)
            replacing = credentials.totp is not None and credentials.totp.confirmed
            if replacing and sms is None:
                raise SecurityStateError(
                    "replacing a confirmed authenticator needs an SMS code: "
                    "send_code(wallet_id, 'change_authenticator')"
                )
            check, credentials = self._try_password(credentials, password, now)
            if check.verified and sms is not None and replacing:
                check, credentials = self._try_code(
                    credentials, sms.challenge_id, sms.code, "change_authenticator", now
                )
            if check.verified:
                credentials = attrs.evolve(credentials, totp=TotpEnrolment(secret))
                wallet = uow.wallets.get(key)
                wallet.record(AuthenticatorEnrolled, now, replaced=replacing)
                self._save(uow, wallet)
            uow.credentials.put(key, credentials)
            return check

        check = self._transact(body)
        if not check.verified:
            return TotpSetup(check)
        uri = pyotp.TOTP(secret).provisioning_uri(name=key, issuer_name=_ISSUER)
        return TotpSetup(check, secret, uri)

    def confirm_totp(self, wallet_id: str, code: str) -> SecretCheck:
        """Accept the first code of a new enrolment: from now on TOTP is a factor."""
        return self._check_totp(parse_id(wallet_id, WalletId), check_code(code), confirm=True)

    def verify_totp(self, wallet_id: str, code: str) -> SecretCheck:
        """Check a TOTP code of a confirmed enrolment (each code is accepted once).

        Raises:
            SecurityStateError: no confirmed enrolment.
        """
        return self._check_totp(parse_id(wallet_id, WalletId), check_code(code), confirm=False)

    def send_code(self, wallet_id: str, purpose: str) -> str:
        """Send a one-time SMS code for ``purpose``; returns the challenge id to answer with.

        Raises:
            InvalidPolicyError: no notifier is configured, or ``purpose`` is unknown.
            TooManyAttemptsError: a code was sent less than ``code_resend_after`` ago.
        """
        key = parse_id(wallet_id, WalletId)
        if purpose not in _CODE_PURPOSES:
            raise InvalidPolicyError(f"purpose must be one of {sorted(_CODE_PURPOSES)}")
        notifier = self._notifier
        if notifier is None:
            raise InvalidPolicyError("sending codes needs a notifier (WalletService(notifier=))")
        rules = self.policies.security
        code = f"{secrets.randbelow(10**6):06d}"
        challenge_id = self._ids.new("OTP")

        def body(uow: UnitOfWork, now: datetime) -> OtpChallenge:
            credentials = uow.credentials.get(key)
            last = credentials.challenge
            if last is not None and now < last.sent_at + rules.code_resend_after:
                raise TooManyAttemptsError("a code was sent moments ago; wait before asking again")
            challenge = OtpChallenge(
                challenge_id,
                purpose,
                self._code_hash(challenge_id, code),
                now,
                now + rules.code_lifetime,
                rules.code_attempts,
            )
            uow.credentials.put(key, attrs.evolve(credentials, challenge=challenge))
            return challenge

        challenge = self._transact(body)
        minutes = int(rules.code_lifetime.total_seconds() // 60)
        text = (
            f"ICBC wallet: your code to {purpose} is {{code}}. It expires in {minutes} minutes."
            " The bank never asks for it; do not share it."
        )
        notifier.notify(
            Notification(
                f"otp:{challenge_id}", key, NotificationKind.ONE_TIME_CODE, text, "send_code", code
            )
        )
        return challenge.challenge_id

    def verify_code(self, wallet_id: str, challenge_id: str, code: str) -> SecretCheck:
        """Check an SMS code; a right one is used up, a wrong one uses up one try.

        A code that expired, was used, was replaced by a newer one or has no tries left is
        refused (``EXPIRED``) without being checked. Wrong codes also count towards the lockout
        of dynamic passwords.
        """
        key = parse_id(wallet_id, WalletId)
        code = check_code(code)

        def body(uow: UnitOfWork, now: datetime) -> SecretCheck:
            credentials = uow.credentials.get(key)
            purpose = "" if credentials.challenge is None else credentials.challenge.purpose
            check, credentials = self._try_code(credentials, challenge_id, code, purpose, now)
            uow.credentials.put(key, credentials)
            return check

        return self._transact(body)

    def _check_password(self, key: WalletId, password: str) -> SecretCheck:
        def body(uow: UnitOfWork, now: datetime) -> SecretCheck:
            check, credentials = self._try_password(uow.credentials.get(key), password, now)
            uow.credentials.put(key, credentials)
            return check

        return self._transact(body)

    def _check_totp(self, key: WalletId, code: str, *, confirm: bool) -> SecretCheck:
        def body(uow: UnitOfWork, now: datetime) -> SecretCheck:
            credentials = uow.credentials.get(key)
            enrolment = credentials.totp
            if enrolment is None or enrolment.confirmed == confirm:
                raise SecurityStateError(
                    "no authenticator enrolment to confirm"
                    if confirm
                    else "no confirmed authenticator: enrol and confirm one first"
                )
            check, credentials = self._try_totp(credentials, code, now)
            uow.credentials.put(key, credentials)
            return check

        return self._transact(body)
