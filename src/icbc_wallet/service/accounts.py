"""Use cases around accounts: merchants, bank cards, freeze/unfreeze/close, and reads."""

from __future__ import annotations

from datetime import datetime

from icbc_wallet.domain.categories import Category, parse_category
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId, parse_id
from icbc_wallet.domain.ledger import AccountBalance
from icbc_wallet.domain.registration import Evidence
from icbc_wallet.errors import (
    IdentityTypeError,
    InvalidTextError,
    VerificationFailedError,
)
from icbc_wallet.policies.tiers import assign_tier
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import ServiceBase
from icbc_wallet.wallet.aggregate import Wallet, WalletStatus
from icbc_wallet.wallet.merchant import Merchant
from icbc_wallet.wallet.payment import Payment

__all__ = ["AccountCommands"]

_MAX_REASON = 200


def _reason(reason: object) -> str:
    if type(reason) is not str or not reason.strip() or len(reason) > _MAX_REASON:
        raise InvalidTextError(f"a reason must be 1 to {_MAX_REASON} characters")
    return reason.strip()


class AccountCommands(ServiceBase):
    """Merchants, cards, the wallet's status, and read-only queries (mixed into WalletService)."""

    def register_merchant(
        self,
        name: str,
        credit_code: MerchantCreditCode,
        category: Category | str,
        *,
        idempotency_key: str,
    ) -> MerchantId:
        """Open a merchant collection account; returns its id."""
        if type(credit_code) is not MerchantCreditCode:
            raise IdentityTypeError("credit_code must be a MerchantCreditCode (.parse it first)")
        checked = parse_category(category)

        def body(uow: UnitOfWork, now: datetime) -> MerchantId:
            merchant_id = MerchantId(self._ids.new("M"))
            merchant = Merchant.register(
                merchant_id,
                name,
                credit_code,
                checked,
                currency=self.policies.limits.currency,
                at=now,
            )
            uow.merchants.add(merchant)
            uow.events.append(merchant.pull_events())
            return merchant_id

        params = {"name": name, "code": credit_code, "category": checked}
        return self._run(idempotency_key, "register_merchant", params, body)

    def bind_card(self, wallet_id: str, card: BankCard, *, idempotency_key: str) -> str:
        """Bind another verified card of the holder; the tier rises if the evidence earns it.

        Returns the wallet's tier after binding.

        Raises:
            VerificationFailedError: the wallet has no verified identity, or the issuing bank
                does not confirm the card is the holder's.
        """
        wallet_key = parse_id(wallet_id, WalletId)
        if type(card) is not BankCard:
            raise IdentityTypeError("card must be a BankCard (BankCard.parse it first)")

        def body(uow: UnitOfWork, now: datetime) -> str:
            wallet = uow.wallets.get(wallet_key)
            owner = wallet.owner
            if owner.resident_id is None or owner.holder_name is None:
                raise VerificationFailedError(
                    f"wallet {wallet_key} has no verified identity; a card must be the holder's own"
                )
            if not self._card_verifier.verify(card, owner.holder_name, owner.resident_id):
                raise VerificationFailedError(
                    f"the bank did not confirm card {card} for this holder"
                )
            wallet.bind_card(card, now)
            self._retier(wallet, now)
            self._save(uow, wallet)
            return wallet.tier

        return self._run(idempotency_key, "bind_card", {"wallet": wallet_key, "card": card}, body)

    def _retier(self, wallet: Wallet, now: datetime) -> None:
        """Move the wallet to the tier its evidence now earns (never down)."""
        evidence = {Evidence.PHONE}
        if wallet.owner.resident_id is not None:
            evidence.add(Evidence.IDENTITY)
        if wallet.cards:
            evidence.add(Evidence.BANK_CARD)
        earned = assign_tier(self.policies.tiers, evidence)
        names = self.policies.limits.tier_names  # all tiers, lowest first (the policy may skip)
        if wallet.tier in names and names.index(earned) <= names.index(wallet.tier):
            return
        self._apply_tier(wallet, earned, now)

    def freeze(self, wallet_id: str, reason: str, *, idempotency_key: str) -> None:
        """Freeze a wallet (fraud suspicion, a court order, the holder's request)."""
        wallet_key, text = parse_id(wallet_id, WalletId), _reason(reason)

        def body(uow: UnitOfWork, now: datetime) -> None:
            wallet = uow.wallets.get(wallet_key)
            wallet.freeze(text, now)
            self._save(uow, wallet)

        self._run(idempotency_key, "freeze", {"wallet": wallet_key, "reason": text}, body)

    def unfreeze(self, wallet_id: str, *, idempotency_key: str) -> None:
        """Make a frozen wallet active again."""
        wallet_key = parse_id(wallet_id, WalletId)

        def body(uow: UnitOfWork, now: datetime) -> None:
            wallet = uow.wallets.get(wallet_key)
            wallet.unfreeze(now)
            self._save(uow, wallet)

        self._run(idempotency_key, "unfreeze", {"wallet": wallet_key}, body)

    def close(self, wallet_id: str, *, idempotency_key: str) -> None:
        """Close an empty wallet for good (withdraw the balance first)."""
        wallet_key = parse_id(wallet_id, WalletId)

        def body(uow: UnitOfWork, now: datetime) -> None:
            wallet = uow.wallets.get(wallet_key)
            wallet.close(now)
            self._save(uow, wallet)

        self._run(idempotency_key, "close", {"wallet": wallet_key}, body)

    def purge_idempotency_keys(self) -> int:
        """Forget idempotency records past their keeping time (run daily); returns how many."""
        now = self._now()
        with self._uow() as uow:
            purged = uow.idempotency.purge(now)
            uow.commit()
        return purged

    # --- reads ----------------------------------------------------------------------------------

    def wallet(self, wallet_id: str) -> Wallet:
        """A snapshot of the wallet (changing it changes nothing stored)."""
        with self._read() as uow:
            return uow.wallets.get(parse_id(wallet_id, WalletId))

    def balance(self, wallet_id: str) -> AccountBalance:
        """The wallet's posted, pending and available money."""
        key = parse_id(wallet_id, WalletId)
        with self._read() as uow:
            return uow.wallets.balance(key)

    def status(self, wallet_id: str) -> WalletStatus:
        """Whether the wallet is active, frozen or closed."""
        return self.wallet(wallet_id).status

    def merchant(self, merchant_id: str) -> Merchant:
        """A snapshot of the merchant's collection account."""
        with self._read() as uow:
            return uow.merchants.get(parse_id(merchant_id, MerchantId))

    def payment(self, payment_id: str) -> Payment:
        """A snapshot of a payment: its hold, what was captured, refunded and claimed."""
        with self._read() as uow:
            return uow.payments.get(parse_id(payment_id, PaymentId))
