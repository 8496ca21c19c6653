"""Registration use cases: the article's sign-up, one verified step at a time, resumable.

Each step is its own idempotent command over a stored
:class:`~icbc_wallet.domain.registration.Registration`, so a customer who leaves half-way resumes
where they stopped (:meth:`RegistrationCommands.registration` tells the next step). What a step
claims is confirmed by a verifier port first (the SMS code, the public-security ID check, the
issuing bank); the password and the security answer are stored only as hashes. Submitting opens
the wallet at the tier the evidence earns under the tier policy.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from icbc_wallet.domain.credentials import Credentials
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import RegistrationId, WalletId, parse_id
from icbc_wallet.domain.limits import Limit
from icbc_wallet.domain.registration import (
    Registration,
    RegistrationStep,
    normalise_answer,
    validate_payment_password,
)
from icbc_wallet.errors import (
    AlreadyRegisteredError,
    IdentityTypeError,
    InvalidLimitScheduleError,
    VerificationFailedError,
)
from icbc_wallet.policies.tiers import assign_tier, choose_limits
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import ServiceBase
from icbc_wallet.wallet.aggregate import Owner, Wallet

__all__ = ["RegistrationCommands"]


def _require(value: object, kind: type, what: str) -> None:
    if type(value) is not kind:
        raise IdentityTypeError(f"{what} must be a {kind.__name__} (.parse it first)")


class RegistrationCommands(ServiceBase):
    """Sign-up, step by step (mixed into WalletService)."""

    def start_registration(self, phone: PhoneNumber, *, idempotency_key: str) -> RegistrationId:
        """Begin a registration and text a one-time code to ``phone``; returns its id."""
        _require(phone, PhoneNumber, "phone")

        def body(uow: UnitOfWork, now: datetime) -> RegistrationId:
            registration_id = RegistrationId(self._ids.new("R"))
            uow.registrations.put(registration_id, Registration.start(registration_id, now))
            self._phone_verifier.send_code(phone, now)
            return registration_id

        return self._run(idempotency_key, "start_registration", {"phone": phone}, body)

    def resend_code(self, registration_id: str, phone: PhoneNumber) -> None:
        """Text a new one-time code (the old one stops working, as the verifier decides)."""
        _require(phone, PhoneNumber, "phone")
        with self._uow() as uow:  # no text message for a registration that does not exist
            uow.registrations.get(parse_id(registration_id, RegistrationId))
        self._phone_verifier.send_code(phone, self._now())

    def verify_phone(
        self, registration_id: str, phone: PhoneNumber, code: str, *, idempotency_key: str
    ) -> RegistrationStep | None:
        """Prove the phone with the code it received; returns the next step.

        Raises:
            VerificationFailedError: a wrong or expired code (nothing is recorded).
        """
        key = parse_id(registration_id, RegistrationId)
        _require(phone, PhoneNumber, "phone")

        def body(uow: UnitOfWork, now: datetime) -> RegistrationStep | None:
            # The step order is checked first, so an out-of-order call spends no code attempt.
            registration = uow.registrations.get(key).verify_phone(phone)
            if type(code) is not str or not self._phone_verifier.check_code(phone, code, now):
                raise VerificationFailedError("the one-time code is wrong or has expired")
            return self._put(uow, registration)

        return self._run(idempotency_key, "verify_phone", {"id": key, "phone": phone}, body)

    def provide_identity(
        self,
        registration_id: str,
        holder_name: str,
        resident_id: ResidentId,
        *,
        idempotency_key: str,
    ) -> RegistrationStep | None:
        """Give the holder's name and resident ID (checked by the identity verifier)."""
        key = parse_id(registration_id, RegistrationId)
        _require(resident_id, ResidentId, "resident_id")

        def body(uow: UnitOfWork, now: datetime) -> RegistrationStep | None:
            registration = uow.registrations.get(key).identify(holder_name, resident_id)
            name = registration.holder_name
            assert name is not None  # identify() sets it, normalised
            if not self._identity_verifier.verify(name, resident_id):
                raise VerificationFailedError("the identity check did not confirm this name and ID")
            return self._put(uow, registration)

        params = {"id": key, "name": holder_name, "resident_id": resident_id}
        return self._run(idempotency_key, "provide_identity", params, body)

    def set_credentials(
        self,
        registration_id: str,
        password: str,
        question: str,
        answer: str,
        *,
        idempotency_key: str,
    ) -> RegistrationStep | None:
        """Set the six-digit payment password and a security question; only hashes are kept."""
        key = parse_id(registration_id, RegistrationId)
        password = validate_payment_password(password)
        normalised = normalise_answer(answer)

        def body(uow: UnitOfWork, now: datetime) -> RegistrationStep | None:
            registration = uow.registrations.get(key)
            # the holder's own numbers, known from the earlier steps, are weak passwords too
            validate_payment_password(
                password, phone=registration.phone, resident_id=registration.resident_id
            )
            updated = registration.set_credentials(
                self._hasher.hash(password), question, self._hasher.hash(normalised)
            )
            return self._put(uow, updated)

        # The fingerprint is keyed (HMAC with the service's secret), so the new password and
        # answer may go into it: a replay with other secrets is a conflict, not a silent no-op.
        params = {"id": key, "password": password, "question": question, "answer": normalised}
        return self._run(idempotency_key, "set_credentials", params, body)

    def add_card(
        self, registration_id: str, card: BankCard, *, idempotency_key: str
    ) -> RegistrationStep | None:
        """Bind the holder's own bank card (the issuing bank confirms it)."""
        key = parse_id(registration_id, RegistrationId)
        _require(card, BankCard, "card")

        def body(uow: UnitOfWork, now: datetime) -> RegistrationStep | None:
            registration = uow.registrations.get(key).bind_card(card)
            name, resident_id = registration.holder_name, registration.resident_id
            assert name is not None  # bind_card() requires the identity step
            assert resident_id is not None
            if not self._card_verifier.verify(card, name, resident_id):
                raise VerificationFailedError(
                    f"the bank did not confirm card {card} for this holder"
                )
            return self._put(uow, registration)

        return self._run(idempotency_key, "add_card", {"id": key, "card": card}, body)

    def choose_limits(
        self, registration_id: str, limit: Limit, *, idempotency_key: str
    ) -> RegistrationStep | None:
        """Choose lower caps than the tier allows (refused if any is above the tier's)."""
        key = parse_id(registration_id, RegistrationId)
        if type(limit) is not Limit:
            raise InvalidLimitScheduleError(f"limit must be a Limit, not {type(limit).__name__}")

        def body(uow: UnitOfWork, now: datetime) -> RegistrationStep | None:
            registration = uow.registrations.get(key).choose_limit(limit)
            tier = assign_tier(self.policies.tiers, registration.evidence)
            choose_limits(self.policies.limits.tier(tier), limit)  # raises LimitChoiceError
            return self._put(uow, registration)

        return self._run(idempotency_key, "choose_limits", {"id": key, "limit": limit}, body)

    def submit_registration(self, registration_id: str, *, idempotency_key: str) -> WalletId:
        """Open the wallet at the tier the evidence earns; returns the new wallet's id.

        One person holds one wallet: a phone number or resident ID that already holds one is
        refused (they are looked up by a keyed hash, never stored in clear for the purpose).

        Raises:
            AlreadyRegisteredError: the phone number or the resident ID already holds a wallet.
            RegistrationStateError: a required step is missing.
        """
        key = parse_id(registration_id, RegistrationId)

        def body(uow: UnitOfWork, now: datetime) -> WalletId:
            registration = uow.registrations.get(key).submit(now)
            phone = registration.phone
            assert phone is not None  # submit() requires the phone step
            owners = [self._owner_key("phone", phone.reveal())]
            if registration.resident_id is not None:
                owners.append(self._owner_key("resident_id", registration.resident_id.reveal()))
            for owner_key in owners:
                if uow.owners.find(owner_key) is not None:
                    what = "phone number" if owner_key.startswith("phone") else "resident ID"
                    raise AlreadyRegisteredError(f"this {what} already holds a wallet here")
            tier = assign_tier(self.policies.tiers, registration.evidence)
            wallet_id = WalletId(self._ids.new("W"))
            owner = Owner(phone, registration.holder_name, registration.resident_id)
            schedule = self.policies.limits
            wallet = Wallet.open(
                wallet_id,
                owner,
                tier,
                choose_limits(schedule.tier(tier), registration.chosen_limit),
                schedule=schedule,
                at=now,
                chosen_limit=registration.chosen_limit,
            )
            if registration.card is not None:
                wallet.bind_card(registration.card, now)
            uow.wallets.add(wallet)
            uow.events.append(wallet.pull_events())
            uow.registrations.put(key, registration)
            for owner_key in owners:
                uow.owners.put(owner_key, wallet_id)
            assert registration.password_hash is not None  # submit() requires credentials
            assert registration.security_question is not None
            assert registration.answer_hash is not None
            uow.credentials.put(
                wallet_id,
                Credentials(
                    wallet_id,
                    registration.password_hash,
                    registration.security_question,
                    registration.answer_hash,
                ),
            )
            return wallet_id

        return self._run(idempotency_key, "submit_registration", {"id": key}, body)

    def registration(self, registration_id: str) -> Registration:
        """The stored registration (its ``next_step`` says where to resume)."""
        with self._read() as uow:
            return uow.registrations.get(parse_id(registration_id, RegistrationId))

    def wallet_for_phone(self, phone: PhoneNumber) -> WalletId | None:
        """The wallet registered with ``phone``, or None.

        Looked up by the phone's keyed hash (the one-wallet-per-person index), so it finds
        wallets registered under the same ``fingerprint_key`` only.

        Raises:
            IdentityTypeError: ``phone`` is not a parsed :class:`PhoneNumber`.
        """
        if type(phone) is not PhoneNumber:
            raise IdentityTypeError(
                f"look a wallet up by a PhoneNumber, not {type(phone).__name__}"
            )
        with self._read() as uow:
            return uow.owners.find(self._owner_key("phone", phone.reveal()))

    def _owner_key(self, kind: str, number: str) -> str:
        digest = hmac.digest(self._fingerprint_key, f"{kind}:{number}".encode(), "sha256")
        return f"{kind}:{digest.hex()}"

    @staticmethod
    def _put(uow: UnitOfWork, registration: Registration) -> RegistrationStep | None:
        uow.registrations.put(registration.registration_id, registration)
        return registration.next_step
