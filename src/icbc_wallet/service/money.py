"""Use cases that move money: top-up, withdrawal, merchant payments (hold and capture), transfers."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from icbc_wallet.domain.attestations import Presented
from icbc_wallet.domain.categories import Category, parse_category
from icbc_wallet.domain.decisions import APPROVED, Declined
from icbc_wallet.domain.events import OperationDeclined, PaymentDeclined
from icbc_wallet.domain.factors import AuthAction
from icbc_wallet.domain.identity import BankCard
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId, parse_id
from icbc_wallet.domain.limits import PaymentMethod, parse_payment_method
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.errors import (
    CorruptStateError,
    HoldStateError,
    IdentityTypeError,
    PaymentStateError,
    SecretTypeError,
    UnknownOperationError,
    UnknownPaymentMethodError,
    WalletError,
)
from icbc_wallet.ports.persistence import UnitOfWork
from icbc_wallet.service._base import require_amount, sweep_limit
from icbc_wallet.service._guard import OPERATIONS, Guard, GuardOutcome
from icbc_wallet.service.config import MAX_HOLD_TIME
from icbc_wallet.service.results import OperationResult
from icbc_wallet.wallet.aggregate import Movement, Wallet
from icbc_wallet.wallet.payment import Payment

__all__ = ["MoneyCommands"]

_SWEEP_BATCH = 100


def _card(card: object) -> BankCard:
    if type(card) is not BankCard:
        raise IdentityTypeError(
            f"a card must be a BankCard (BankCard.parse), not {type(card).__name__}"
        )
    return card


def _channel(channel: Channel | str) -> Channel:
    try:
        return Channel(channel)
    except ValueError:
        known = ", ".join(c.value for c in Channel)
        raise UnknownOperationError(f"unknown channel {channel!r}; use one of {known}") from None


def _presented(value: object) -> Presented | None:
    if value is not None and type(value) is not Presented:
        raise SecretTypeError(f"presented must be a Presented or None, not {type(value).__name__}")
    return value


def _open(payment: Payment, verb: str) -> Payment:
    if not payment.is_open:
        raise PaymentStateError(
            f"payment {payment.payment_id} is {payment.hold.status}: it cannot be {verb}"
        )
    return payment


@attrs.frozen
class _Order:
    """A validated merchant payment order (its fields are the command's parameters)."""

    wallet_id: WalletId
    merchant_id: MerchantId
    amount: Money
    method: PaymentMethod
    channel: Channel
    category: Category | None
    presented: Presented | None = None


_METHODS = {
    AuthAction.WITHDRAW: PaymentMethod.WITHDRAWAL,
    AuthAction.TRANSFER: PaymentMethod.P2P_TRANSFER,
}


def _result(reference: str, guard: GuardOutcome) -> OperationResult:
    assert guard.declined is not None
    return OperationResult(reference, guard.declined, None, guard.challenge, guard.risk)


_MERCHANT_METHODS = frozenset(
    {PaymentMethod.STATIC_QR, PaymentMethod.DYNAMIC_QR, PaymentMethod.NFC, PaymentMethod.ONLINE}
)


class MoneyCommands(Guard):
    """Top-ups, withdrawals, payments and transfers (mixed into ``WalletService``)."""

    def top_up(
        self, wallet_id: str, card: BankCard, amount: Money, *, idempotency_key: str
    ) -> OperationResult:
        """Bring money in from a bound bank card (declined above the tier's balance cap)."""
        wallet_key = parse_id(wallet_id, WalletId)
        amount, card = require_amount(amount, self.policies.limits.currency), _card(card)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            wallet = uow.wallets.get(wallet_key)
            entry_id = self._ids.new("E")
            moved = wallet.top_up(card, amount, entry_id, now)
            return self._finish(uow, wallet, entry_id, moved)

        params = {"wallet": wallet_key, "card": card, "amount": amount}
        return self._run(idempotency_key, "top_up", params, body)

    def withdraw(
        self,
        wallet_id: str,
        card: BankCard,
        amount: Money,
        *,
        channel: Channel | str = Channel.MOBILE,
        presented: Presented | None = None,
        idempotency_key: str,
    ) -> OperationResult:
        """Send money to a bound bank card; the withdrawal fee and its free quota apply.

        ``presented``: the factors the customer gives (see :mod:`icbc_wallet.service._guard`),
        checked when ``policies.authentication`` or ``policies.risk`` is set.
        """
        wallet_key = parse_id(wallet_id, WalletId)
        amount, card = require_amount(amount, self.policies.limits.currency), _card(card)
        checked, presented = _channel(channel), _presented(presented)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            wallet = self._load_wallet(uow, wallet_key, now)
            entry_id = self._ids.new("E")
            refused, guard = self._refused(
                uow, wallet, AuthAction.WITHDRAW, presented, now, entry_id, amount
            )
            if refused is not None:
                return refused
            moved = wallet.withdraw(
                card,
                amount,
                entry_id,
                now,
                fees=self.policies.fees,
                channel=checked,
                calendar=self.policies.calendar,
            )
            if guard is not None and moved.decision.approved:
                self._approved(uow, guard, presented, amount, wallet, now)
            return self._finish(uow, wallet, entry_id, moved)

        params = {"wallet": wallet_key, "card": card, "amount": amount, "channel": checked}
        if presented is not None:  # keyed: the secrets are only in the HMAC
            params["presented"] = presented
        return self._run(idempotency_key, "withdraw", params, body)

    def transfer(
        self,
        from_wallet: str,
        to_wallet: str,
        amount: Money,
        *,
        channel: Channel | str = Channel.MOBILE,
        presented: Presented | None = None,
        idempotency_key: str,
    ) -> OperationResult:
        """Send money to another wallet: both change in one transaction, or neither.

        ``presented`` as for :meth:`withdraw`.
        """
        sender_key = parse_id(from_wallet, WalletId)
        recipient_key = parse_id(to_wallet, WalletId)
        amount = require_amount(amount, self.policies.limits.currency)
        checked, presented = _channel(channel), _presented(presented)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            for key in sorted({sender_key, recipient_key}):  # a fixed order: no deadlocks where
                uow.wallets.find(key)  # reads lock rows (A→B and B→A lock A first)
            sender = self._load_wallet(uow, sender_key, now)
            recipient = uow.wallets.get(recipient_key)
            transfer_id = self._ids.new("T")
            refused, guard = self._refused(
                uow,
                sender,
                AuthAction.TRANSFER,
                presented,
                now,
                transfer_id,
                amount,
                counterparty=recipient_key,
            )
            if refused is not None:
                return refused
            moved = sender.send(
                transfer_id,
                recipient,
                amount,
                self._ids.new("E"),
                now,
                fees=self.policies.fees,
                channel=checked,
                calendar=self.policies.calendar,
            )
            if guard is not None and moved.decision.approved:
                self._approved(uow, guard, presented, amount, sender, now)
            self._finish(uow, sender, transfer_id, moved)
            self._save(uow, recipient)
            return OperationResult(transfer_id, moved.decision, moved.fee)

        params = {"from": sender_key, "to": recipient_key, "amount": amount, "channel": checked}
        if presented is not None:
            params["presented"] = presented
        return self._run(idempotency_key, "transfer", params, body)

    def _finish(
        self, uow: UnitOfWork, wallet: Wallet, reference: str, moved: Movement
    ) -> OperationResult:
        if moved.entry is not None:
            uow.ledger.post(moved.entry)
        self._save(uow, wallet)
        return OperationResult(reference, moved.decision, moved.fee)

    def _refused(
        self,
        uow: UnitOfWork,
        wallet: Wallet,
        action: AuthAction,
        presented: Presented | None,
        now: datetime,
        reference: str,
        amount: Money,
        *,
        counterparty: str | None = None,
    ) -> tuple[OperationResult | None, GuardOutcome | None]:
        """Run the guard on a withdrawal or transfer: the declined result, or None and the guard.

        Transfers and withdrawals record no channel in their events, so they are assessed
        without one (the new-channel rule could never learn theirs).
        """
        if not self._guarded:
            return None, None
        guard = self._guard(
            uow,
            wallet,
            action,
            presented,
            now,
            amount=amount,
            method=_METHODS[action],
            counterparty=counterparty,
        )
        if guard.declined is None:
            return None, guard
        reason = guard.declined.reason
        kind = OPERATIONS[action]
        wallet.record(
            OperationDeclined,
            now,
            operation=kind,
            reference=reference,
            amount=amount,
            reason=reason,
        )
        self._save(uow, wallet)
        return _result(reference, guard), None

    # --- merchant payments --------------------------------------------------------------------

    def authorise(
        self,
        wallet_id: str,
        merchant_id: str,
        amount: Money,
        *,
        method: PaymentMethod | str,
        channel: Channel | str = Channel.MOBILE,
        category: Category | str | None = None,
        expires_in: timedelta | None = None,
        presented: Presented | None = None,
        idempotency_key: str,
    ) -> OperationResult:
        """Hold money for a merchant payment, to be captured later (a hotel, a pre-order).

        The held amount counts against limits and the available balance until captured,
        voided or expired. ``category`` defaults to the merchant's; ``presented`` as for
        :meth:`withdraw`.
        """
        order = self._order(wallet_id, merchant_id, amount, method, channel, category, presented)
        ttl = self.policies.hold_time if expires_in is None else expires_in
        if type(ttl) is not timedelta or not timedelta(0) < ttl <= MAX_HOLD_TIME:
            raise PaymentStateError(
                f"expires_in must be a timedelta above zero and at most {MAX_HOLD_TIME.days} days"
            )

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            wallet, payment_id, outcome = self._authorise(uow, order, now, ttl)
            self._save(uow, wallet)
            if type(outcome) is GuardOutcome:
                return _result(payment_id, outcome)
            decision = outcome if type(outcome) is Declined else APPROVED
            return OperationResult(payment_id, decision)

        return self._run(idempotency_key, "authorise", {"order": order, "ttl": ttl}, body)

    def pay(
        self,
        wallet_id: str,
        merchant_id: str,
        amount: Money,
        *,
        method: PaymentMethod | str,
        channel: Channel | str = Channel.MOBILE,
        category: Category | str | None = None,
        presented: Presented | None = None,
        idempotency_key: str,
    ) -> OperationResult:
        """Pay a merchant at once (QR, NFC or online): authorise and capture in one transaction.

        Returns the payment id and the decision; ``fee`` is the merchant's service fee
        (``WalletPolicies.merchant_fees``), deducted from what the merchant receives and never
        more than the amount less one minor unit (a minimum fee meets a tiny payment).
        ``presented`` as for :meth:`withdraw`.
        """
        order = self._order(wallet_id, merchant_id, amount, method, channel, category, presented)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            wallet, payment_id, outcome = self._authorise(uow, order, now, self.policies.hold_time)
            if type(outcome) is GuardOutcome:
                self._save(uow, wallet)
                return _result(payment_id, outcome)
            if type(outcome) is Declined:
                self._save(uow, wallet)
                return OperationResult(payment_id, outcome)
            assert type(outcome) is Payment  # for mypy: not Declined
            fee = self._capture(uow, wallet, outcome, outcome.amount, now, final=True)
            return OperationResult(payment_id, APPROVED, fee)

        return self._run(idempotency_key, "pay", {"order": order}, body)

    def pay_bill(
        self,
        wallet_id: str,
        merchant_id: str,
        amount: Money,
        *,
        category: Category | str,
        channel: Channel | str = Channel.MOBILE,
        presented: Presented | None = None,
        idempotency_key: str,
    ) -> OperationResult:
        """Pay a bill or a life service (utilities, movie tickets, hotels) online."""
        return self.pay(
            wallet_id,
            merchant_id,
            amount,
            method=PaymentMethod.ONLINE,
            channel=channel,
            category=category,
            presented=presented,
            idempotency_key=idempotency_key,
        )

    def capture(
        self,
        payment_id: str,
        amount: Money | None = None,
        *,
        final: bool = True,
        idempotency_key: str,
    ) -> OperationResult:
        """Pay the merchant ``amount`` of an authorised payment (all that is held by default).

        ``final=False`` keeps the rest on hold for a later capture; otherwise it is released.
        """
        payment_key = parse_id(payment_id, PaymentId)
        if amount is not None:
            amount = require_amount(amount, self.policies.limits.currency)
        if type(final) is not bool:
            raise PaymentStateError(f"final must be True or False, not {final!r}")

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            payment = _open(uow.payments.get(payment_key), "captured")
            wallet = uow.wallets.get(payment.wallet_id)
            taken = payment.hold.pending if amount is None else amount
            try:
                fee = self._capture(uow, wallet, payment, taken, now, final=final)
            except HoldStateError as error:  # more than is held, or the hold has lapsed
                raise PaymentStateError(str(error)) from None
            return OperationResult(payment.payment_id, APPROVED, fee)

        params = {"payment": payment_key, "amount": amount, "final": final}
        return self._run(idempotency_key, "capture", params, body)

    def void(self, payment_id: str, *, idempotency_key: str) -> OperationResult:
        """Release what is left of an authorised payment's hold without paying it."""
        payment_key = parse_id(payment_id, PaymentId)

        def body(uow: UnitOfWork, now: datetime) -> OperationResult:
            payment = _open(uow.payments.get(payment_key), "voided")
            wallet = uow.wallets.get(payment.wallet_id)
            wallet.release(payment, now, expired=False)
            self._save(uow, wallet)
            self._save_payment(uow, payment)
            return OperationResult(payment.payment_id, APPROVED)

        return self._run(idempotency_key, "void", {"payment": payment_key}, body)

    def expire_holds(self, *, limit: int = _SWEEP_BATCH) -> int:
        """Expire holds past their deadline (run periodically); returns how many expired.

        Each hold expires in its own unit of work, so one failure does not block the rest.
        """
        limit = sweep_limit(limit)
        now = self._now()
        with self._read() as uow:
            due = uow.payments.expiring(now, limit)
        expired = 0
        for payment_id in due:
            with self._uow() as uow:
                payment = uow.payments.get(payment_id)
                if not payment.is_open:
                    continue  # captured or voided since the query
                try:
                    wallet = uow.wallets.get(payment.wallet_id)
                    wallet.release(payment, now, expired=True)
                    self._save(uow, wallet)
                    self._save_payment(uow, payment)
                    uow.commit()
                except CorruptStateError:  # stored data failed its checks: an operator's job
                    raise
                except WalletError:  # one broken item must not block the rest; it stays due
                    continue
                expired += 1
        return expired

    def _order(
        self,
        wallet_id: str,
        merchant_id: str,
        amount: Money,
        method: PaymentMethod | str,
        channel: Channel | str,
        category: Category | str | None,
        presented: Presented | None = None,
    ) -> _Order:
        checked = parse_payment_method(method)
        if checked not in _MERCHANT_METHODS:
            known = ", ".join(sorted(m.value for m in _MERCHANT_METHODS))
            raise UnknownPaymentMethodError(f"merchants are paid by {known}, not {checked.value}")
        return _Order(
            parse_id(wallet_id, WalletId),
            parse_id(merchant_id, MerchantId),
            require_amount(amount, self.policies.limits.currency),
            checked,
            _channel(channel),
            None if category is None else parse_category(category),
            _presented(presented),
        )

    def _authorise(
        self, uow: UnitOfWork, order: _Order, now: datetime, ttl: timedelta
    ) -> tuple[Wallet, PaymentId, Payment | Declined | GuardOutcome]:
        wallet = self._load_wallet(uow, order.wallet_id, now)
        merchant = uow.merchants.get(order.merchant_id)
        payment_id = PaymentId(self._ids.new("P"))
        guard = None
        if self._guarded:
            guard = self._guard(
                uow,
                wallet,
                AuthAction.PAY,
                order.presented,
                now,
                amount=order.amount,
                method=order.method,
                counterparty=merchant.merchant_id,
                channel=order.channel.value,
            )
            if guard.declined is not None:
                wallet.record(
                    PaymentDeclined,
                    now,
                    payment_id=payment_id,
                    merchant_id=merchant.merchant_id,
                    amount=order.amount,
                    method=order.method,
                    reason=guard.declined.reason,
                )
                return wallet, payment_id, guard
        outcome = wallet.authorise(
            payment_id,
            merchant.merchant_id,
            order.amount,
            now,
            now + ttl,
            method=order.method,
            channel=order.channel,
            category=order.category or merchant.category,
        )
        if type(outcome) is Payment:
            if guard is not None:
                self._approved(uow, guard, order.presented, order.amount, wallet, now)
            self._save_payment(uow, outcome, new=True)
            return wallet, payment_id, outcome
        assert type(outcome) is Declined  # the aggregate returns one of the two
        return wallet, payment_id, outcome

    def _capture(
        self,
        uow: UnitOfWork,
        wallet: Wallet,
        payment: Payment,
        amount: Money,
        now: datetime,
        *,
        final: bool,
    ) -> Money:
        merchant = uow.merchants.get(payment.merchant_id)
        quote = self.policies.merchant_fees.quote(
            OperationKind.PAYMENT,
            amount,
            now=now,
            channel=payment.channel,
            calendar=self.policies.calendar,
            zone=self.policies.limits.zone,
        )
        fee = quote.fee
        if fee.minor >= amount.minor:  # a minimum fee above a tiny payment: keep one fen for it
            fee = Money._make(amount.minor - 1, amount.currency)
        entry = wallet.capture(
            payment, amount, merchant.account, self._ids.new("E"), now, final=final, fee=fee
        )
        uow.ledger.post(entry)
        merchant.receive(payment.payment_id, entry, now)
        self._save(uow, wallet, merchant)
        self._save_payment(uow, payment)
        return fee
