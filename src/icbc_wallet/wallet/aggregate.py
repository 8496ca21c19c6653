"""The wallet aggregate: one customer's wallet, the unit of consistency for its money and limits.

A :class:`Wallet` checks the policies (status, limits, balance cap, available money), changes its
own state (balance, holds' pending total, limit usage, fee quota) and appends frozen events. It
never reads the clock or a store: the service passes ``at`` and persists what changed. Movements
of money come back as :class:`~icbc_wallet.domain.ledger.JournalEntry` values for the service to
post to the ledger. A wallet does not keep its history: payments are their own records and the
event store answers history queries.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

import attrs

from icbc_wallet.domain.calendar import HolidayCalendar, NoHolidays
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import APPROVED, Decision, Declined, DeclineReason
from icbc_wallet.domain.events import (
    CardBound,
    DisputeDecided,
    DisputeOpened,
    DisputeWithdrawn,
    Event,
    LimitUsageWarning,
    OperationDeclined,
    PaymentAuthorised,
    PaymentCaptured,
    PaymentDeclined,
    PaymentExpired,
    PaymentVoided,
    RefundIssued,
    RefundLapsed,
    RefundRefused,
    RefundRequested,
    ToppedUp,
    TransferReceived,
    TransferSent,
    WalletClosed,
    WalletFrozen,
    WalletOpened,
    WalletUnfrozen,
    Withdrawn,
)
from icbc_wallet.domain.fee_quotes import FeeQuote
from icbc_wallet.domain.fee_rules import FeeCharging
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.holds import _place
from icbc_wallet.domain.identity import BankCard, PhoneNumber, ResidentId
from icbc_wallet.domain.ids import MerchantId, PaymentId, WalletId
from icbc_wallet.domain.ledger import AccountBalance, AccountId, AccountKind, JournalEntry
from icbc_wallet.domain.limit_increase import LimitGrant
from icbc_wallet.domain.limits import (
    Limit,
    LimitSchedule,
    LimitWindow,
    PaymentMethod,
    TierLimits,
    parse_payment_method,
)
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.domain.usage import LimitUsage, WindowKeys
from icbc_wallet.errors import (
    AmountTypeError,
    CardNotBoundError,
    InvalidAmountError,
    WalletClosedError,
    WalletStateError,
)
from icbc_wallet.policies.limits import _approved_at, check_balance_cap
from icbc_wallet.wallet.payment import Payment, _slot_copier

__all__ = ["MAX_CARDS", "USAGE_WARNING_PERCENT", "Movement", "Owner", "Wallet", "WalletStatus"]

MAX_CARDS: Final = 10
"""How many bank cards one wallet may bind (our choice)."""
USAGE_WARNING_PERCENT: Final = 80
"""A :class:`LimitUsageWarning` is recorded when daily spending crosses this share of the cap."""
SETTLEMENT: Final = AccountId(AccountKind.BANK_SETTLEMENT)
_NO_HOLIDAYS: Final = NoHolidays()
_OPENS_CLAIM: Final = frozenset({RefundRequested, DisputeOpened})
_CLOSES_CLAIM: Final = frozenset({RefundRefused, RefundLapsed, DisputeWithdrawn, DisputeDecided})
_RECIPIENT_UNAVAILABLE: Final = Declined(DeclineReason.RECIPIENT_UNAVAILABLE, scope="recipient")
_FROZEN: Final = Declined(DeclineReason.WALLET_FROZEN, scope="wallet")


class Movement(NamedTuple):
    """What a money command did: the decision, and when approved the entry to post and the fee."""

    decision: Decision
    entry: JournalEntry | None = None
    fee: Money | None = None


class WalletStatus(StrEnum):
    """Whether money may move: ACTIVE, FROZEN (nothing moves until unfrozen), CLOSED (final)."""

    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


@attrs.frozen
class Owner:
    """Who holds the wallet. The ID and phone are masked in every repr; the name is left out."""

    phone: PhoneNumber
    holder_name: str | None = attrs.field(default=None, repr=False)
    resident_id: ResidentId | None = None


@functools.lru_cache(maxsize=256)
def _one_tier(limits: TierLimits, currency: str, zone: object) -> LimitSchedule:
    # Wallets at one tier share its schedule (a frozen value) rather than each building and
    # holding its own: it costs as much to build as a payment, and a third of an idle wallet.
    return LimitSchedule((limits,), currency=currency, zone=zone)  # type: ignore[arg-type]


@attrs.define(eq=False)
class Wallet:
    """A customer's wallet (identity by ``wallet_id``; ``version`` counts its events).

    Build one with :meth:`open`. ``limits`` are the effective limits (the tier's, narrowed by
    the customer's choice or widened by a granted increase); the service decides them.
    """

    wallet_id: WalletId
    owner: Owner
    tier: str
    limits: TierLimits
    usage: LimitUsage
    balance: AccountBalance
    opened_at: datetime
    status: WalletStatus = WalletStatus.ACTIVE
    cards: tuple[BankCard, ...] = ()
    fee_quota: Mapping[OperationKind, tuple[str, int]] = attrs.field(
        factory=lambda: MappingProxyType({})
    )
    chosen_limit: Limit | None = None
    grant: LimitGrant | None = None
    open_claims: int = 0
    version: int = 0
    _schedule: LimitSchedule = attrs.field(init=False, repr=False)
    _events: list[Event] = attrs.field(init=False, factory=list, repr=False)
    _account: AccountId | None = attrs.field(init=False, default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        self._schedule = _one_tier(self.limits, self.balance.posted.currency, self.usage.zone)

    @classmethod
    def open(
        cls,
        wallet_id: WalletId,
        owner: Owner,
        tier: str,
        limits: TierLimits,
        *,
        schedule: LimitSchedule,
        at: datetime,
        chosen_limit: Limit | None = None,
    ) -> Wallet:
        """A new, empty, active wallet at ``tier`` (its :class:`WalletOpened` is recorded).

        ``limits`` are the effective limits (the tier's narrowed by ``chosen_limit``).
        """
        currency = schedule.currency
        wallet = cls(
            wallet_id,
            owner,
            tier,
            limits,
            LimitUsage(currency=currency, zone=schedule.zone),
            AccountBalance.zero(currency),
            at,
            chosen_limit=chosen_limit,
        )
        wallet._record(WalletOpened, at, tier=tier, phone=owner.phone, currency=currency)
        return wallet

    # --- plumbing -------------------------------------------------------------------------

    @property
    def account(self) -> AccountId:
        """The wallet's ledger account."""
        account = self._account
        if account is None:  # built once: every money command needs it, and it validates
            account = self._account = AccountId(AccountKind.WALLET, self.wallet_id)
        return account

    @property
    def currency(self) -> str:
        """The wallet's currency."""
        return self.balance.posted.currency

    def pull_events(self) -> list[Event]:
        """The events recorded since the last pull (the service saves them with the wallet)."""
        events, self._events = self._events, []
        return events

    def clone(self) -> Wallet:
        """An independent copy (fields are immutable values; the new-event list is not shared)."""
        twin = _copy_wallet(self)
        twin._events = list(self._events)
        return twin

    def _record(self, kind: type[Event], at: datetime, **fields: object) -> None:
        self.version += 1
        self._events.append(
            kind(aggregate_id=self.wallet_id, version=self.version, at=at, **fields)
        )

    def _require_open(self) -> None:
        if self.status is WalletStatus.CLOSED:
            raise WalletClosedError(f"wallet {self.wallet_id} is closed")

    def _refusal(self, amount: Money) -> Decision:
        """The status or funds decline that applies before any limit, or APPROVED."""
        self._require_open()
        if self.status is WalletStatus.FROZEN:
            return _FROZEN
        if amount.minor > self.balance.posted.minor - self.balance.pending.minor:
            return Declined._make(
                DeclineReason.INSUFFICIENT_FUNDS, None, None, self.balance.available, "wallet"
            )
        return APPROVED

    def _card(self, card: BankCard) -> BankCard:
        if card not in self.cards:
            raise CardNotBoundError(f"card {card} is not bound to wallet {self.wallet_id}")
        return card

    def _book(self, entry: JournalEntry) -> JournalEntry:
        self.balance = self.balance.booked(self.account, entry)
        return entry

    def _warn_if_crossed(self, before: int, at: datetime, keys: WindowKeys) -> None:
        cap = self.limits.limit.daily
        if cap is None:
            return
        after = self.usage.overall.used(keys)[LimitWindow.DAY.value]
        threshold = cap.minor * USAGE_WARNING_PERCENT
        if before * 100 < threshold <= after * 100:
            used = Money._make(after, self.currency)
            self._record(
                LimitUsageWarning,
                at,
                window=LimitWindow.DAY,
                used=used,
                limit=cap,
                percent=after * 100 // cap.minor,
            )

    # --- lifecycle ------------------------------------------------------------------------

    def bind_card(self, card: BankCard, at: datetime) -> None:
        """Bind a verified card of the holder (at most :data:`MAX_CARDS`, each once)."""
        self._require_open()
        if card in self.cards:
            raise WalletStateError(f"card {card} is already bound to wallet {self.wallet_id}")
        if len(self.cards) >= MAX_CARDS:
            raise WalletStateError(f"wallet {self.wallet_id} already has {MAX_CARDS} cards")
        self.cards = (*self.cards, card)
        self._record(CardBound, at, card=card)

    def freeze(self, reason: str, at: datetime) -> None:
        """Stop every movement of money until :meth:`unfreeze`."""
        self._require_open()
        if self.status is WalletStatus.FROZEN:
            raise WalletStateError(f"wallet {self.wallet_id} is already frozen")
        self.status = WalletStatus.FROZEN
        self._record(WalletFrozen, at, reason=reason)

    def unfreeze(self, at: datetime) -> None:
        """Make a frozen wallet active again."""
        self._require_open()
        if self.status is not WalletStatus.FROZEN:
            raise WalletStateError(f"wallet {self.wallet_id} is not frozen")
        self.status = WalletStatus.ACTIVE
        self._record(WalletUnfrozen, at)

    def close(self, at: datetime) -> None:
        """Close for good; only an active wallet with nothing posted and nothing on hold."""
        self._require_open()
        if self.status is WalletStatus.FROZEN:
            raise WalletStateError(f"wallet {self.wallet_id} is frozen; unfreeze it first")
        if self.balance.posted.minor or self.balance.pending.minor:
            raise WalletStateError(
                f"wallet {self.wallet_id} still holds {self.balance.posted} "
                f"({self.balance.pending} on hold); withdraw or spend it before closing"
            )
        if self.open_claims:
            raise WalletStateError(
                f"wallet {self.wallet_id} has {self.open_claims} refund request(s) or dispute(s) "
                "still open; they may still pay money in"
            )
        self.status = WalletStatus.CLOSED
        self._record(WalletClosed, at)

    def set_limits(self, tier: str, limits: TierLimits, grant: LimitGrant | None) -> None:
        """Change the effective limits: a new tier, a granted increase or its expiry.

        ``limits`` are what applies now (the tier's, narrowed by :attr:`chosen_limit`, widened
        by ``grant`` while it lasts); the service computes them with the policies.
        """
        self._require_open()
        self._schedule = _one_tier(limits, self.currency, self.usage.zone)
        self.tier, self.limits, self.grant = tier, limits, grant

    def record(self, kind: type[Event], at: datetime, **fields: object) -> None:
        """Record an event decided outside the aggregate (a limit grant, a refund request).

        Refund requests and disputes are counted while open (:attr:`open_claims`): a wallet
        they may still pay into cannot be closed.
        """
        self._require_open()
        self._record(kind, at, **fields)
        if kind in _OPENS_CLAIM:
            self.open_claims += 1
        elif kind in _CLOSES_CLAIM:
            self.open_claims -= 1

    # --- money in ---------------------------------------------------------------------------

    def top_up(self, card: BankCard, amount: Money, entry_id: str, at: datetime) -> Movement:
        """Bring ``amount`` in from a bound card, if the status and the balance cap allow."""
        self._require_open()
        self._card(card)
        decision: Decision
        if self.status is WalletStatus.FROZEN:
            decision = _FROZEN
        else:
            decision = check_balance_cap(
                self._schedule, self.tier_name, self.balance.posted, amount
            )
        if type(decision) is Declined:
            self._decline(OperationKind.TOP_UP, entry_id, amount, decision, at)
            return Movement(decision)
        entry = self._book(JournalEntry.transfer(entry_id, SETTLEMENT, self.account, amount, at))
        self._record(ToppedUp, at, amount=amount, card_last_four=card.last_four, entry_id=entry_id)
        return Movement(decision, entry, Money._make(0, amount.currency))

    def credit_refund(
        self,
        refund_id: str,
        payment: Payment,
        amount: Money,
        entry: JournalEntry,
        at: datetime,
        *,
        settles_request: bool = True,
    ) -> None:
        """Book a refund the merchant or the bank pays back (never declined: it is owed).

        ``settles_request`` is False when a dispute's decision pays it (the decision already
        closed that claim).
        """
        self._require_open()
        self._book(entry)
        if settles_request:
            self.open_claims -= 1
        self._record(
            RefundIssued,
            at,
            refund_id=refund_id,
            payment_id=payment.payment_id,
            merchant_id=payment.merchant_id,
            amount=amount,
            category=payment.category,
            entry_id=entry.entry_id,
        )

    def receive(
        self, transfer_id: str, sender: WalletId, amount: Money, entry: JournalEntry, at: datetime
    ) -> None:
        """Book an incoming transfer already approved by :meth:`check_incoming`."""
        self._book(entry)
        self._record(
            TransferReceived,
            at,
            transfer_id=transfer_id,
            from_wallet=sender,
            amount=amount,
            entry_id=entry.entry_id,
        )

    def check_incoming(self, amount: Money) -> Decision:
        """Whether ``amount`` may come in (active, and within the balance cap)."""
        self._require_open()
        if self.status is WalletStatus.FROZEN:
            return _FROZEN
        return check_balance_cap(self._schedule, self.tier_name, self.balance.posted, amount)

    @property
    def tier_name(self) -> str:
        """The name of the effective limits' tier (the key into the one-tier schedule)."""
        return self.limits.name

    # --- money out --------------------------------------------------------------------------

    def _check_outflow(
        self, method: PaymentMethod, amount: Money, at: datetime
    ) -> Declined | WindowKeys:
        """The decline that applies, or the window keys of ``at`` (for :meth:`_spend`)."""
        if type(amount) is not Money:
            raise AmountTypeError(f"an amount must be Money, not {type(amount).__name__}")
        refusal = self._refusal(amount)
        if type(refusal) is Declined:
            return refusal
        return _approved_at(self._schedule, self.tier_name, method, self.usage, amount, at)

    def _quote(
        self,
        fees: FeeSchedule,
        kind: OperationKind,
        amount: Money,
        channel: Channel | None,
        at: datetime,
        calendar: HolidayCalendar,
    ) -> FeeQuote:
        rule = fees.rule_for(kind, channel)
        quota = rule.quota if rule is not None else None
        used = None
        if quota is not None:
            key = quota.period.key(at, self.usage.zone)
            stored = self.fee_quota.get(kind)
            used = Money._make(stored[1] if stored and stored[0] == key else 0, self.currency)
        return fees.quote(
            kind,
            amount,
            now=at,
            channel=channel,
            quota_used=used,
            calendar=calendar,
            zone=self.usage.zone,
        )

    def _consume_quota(self, quote: FeeQuote, fees: FeeSchedule, at: datetime) -> None:
        consumed = quote.quota_consumed_minor
        rule = quote.rule
        if not consumed or rule is None or rule.quota is None:
            return
        key = rule.quota.period.key(at, self.usage.zone)
        stored = self.fee_quota.get(quote.kind)
        before = stored[1] if stored and stored[0] == key else 0
        # Read-only, so a snapshot handed to a caller cannot change the stored wallet.
        self.fee_quota = MappingProxyType({**self.fee_quota, quote.kind: (key, before + consumed)})

    def _spend(
        self, method: PaymentMethod, amount: Money, at: datetime, *, keys: WindowKeys
    ) -> None:
        # the limit check approved the amount and the method, and built the keys of ``at``
        usage = self.usage
        before = usage.overall.used(keys)[LimitWindow.DAY.value]
        self.usage = usage._record(parse_payment_method(method), amount.minor, keys)
        self._warn_if_crossed(before, at, keys)

    def withdraw(
        self,
        card: BankCard,
        amount: Money,
        entry_id: str,
        at: datetime,
        *,
        fees: FeeSchedule,
        channel: Channel | None = None,
        calendar: HolidayCalendar = _NO_HOLIDAYS,
    ) -> Movement:
        """Send ``amount`` to a bound card, charging the fee schedule's withdrawal fee."""
        self._require_open()
        self._card(card)
        quote = self._quote(fees, OperationKind.WITHDRAWAL, amount, channel, at, calendar)
        debit = quote.total_debit
        if quote.net_amount.minor <= 0:
            raise InvalidAmountError(
                f"a withdrawal of {amount} would not cover its fee {quote.fee}"
            )
        outcome = self._check_outflow(PaymentMethod.WITHDRAWAL, debit, at)
        if isinstance(outcome, Declined):
            self._decline(OperationKind.WITHDRAWAL, entry_id, amount, outcome, at)
            return Movement(outcome)
        entry = JournalEntry.transfer(
            entry_id, self.account, SETTLEMENT, amount, at, fee=quote.fee, charging=quote.charging
        )
        self._book(entry)
        self._spend(PaymentMethod.WITHDRAWAL, debit, at, keys=outcome)
        self._consume_quota(quote, fees, at)
        self._record(
            Withdrawn,
            at,
            amount=amount,
            fee=quote.fee,
            debited=debit,
            card_last_four=card.last_four,
            entry_id=entry_id,
        )
        return Movement(APPROVED, entry, quote.fee)

    def send(
        self,
        transfer_id: str,
        recipient: Wallet,
        amount: Money,
        entry_id: str,
        at: datetime,
        *,
        fees: FeeSchedule,
        channel: Channel | None = None,
        calendar: HolidayCalendar = _NO_HOLIDAYS,
    ) -> Movement:
        """Transfer ``amount`` to ``recipient`` (both wallets change, or neither)."""
        self._require_open()
        if recipient.wallet_id == self.wallet_id:
            raise WalletStateError(f"wallet {self.wallet_id} cannot transfer to itself")
        quote = self._quote(fees, OperationKind.TRANSFER, amount, channel, at, calendar)
        debit = quote.total_debit
        if quote.net_amount.minor <= 0:
            raise InvalidAmountError(f"a transfer of {amount} would not cover its fee {quote.fee}")
        outcome = self._check_outflow(PaymentMethod.P2P_TRANSFER, debit, at)
        if not isinstance(outcome, Declined):
            incoming = recipient.check_incoming(quote.net_amount)
            if type(incoming) is Declined:
                # Neither the recipient's balance nor its status is the sender's business (a
                # frozen wallet must not be revealed): one reason, no numbers.
                outcome = _RECIPIENT_UNAVAILABLE
        if isinstance(outcome, Declined):
            self._decline(OperationKind.TRANSFER, transfer_id, amount, outcome, at)
            return Movement(outcome)
        entry = JournalEntry.transfer(
            entry_id,
            self.account,
            recipient.account,
            amount,
            at,
            fee=quote.fee,
            charging=quote.charging,
        )
        self._book(entry)
        self._spend(PaymentMethod.P2P_TRANSFER, debit, at, keys=outcome)
        self._consume_quota(quote, fees, at)
        self._record(
            TransferSent,
            at,
            transfer_id=transfer_id,
            to_wallet=recipient.wallet_id,
            amount=amount,
            fee=quote.fee,
            debited=debit,
            entry_id=entry_id,
        )
        recipient.receive(transfer_id, self.wallet_id, quote.net_amount, entry, at)
        return Movement(APPROVED, entry, quote.fee)

    def _decline(
        self,
        operation: OperationKind,
        reference: str,
        amount: Money,
        decision: Declined,
        at: datetime,
    ) -> None:
        self._record(
            OperationDeclined,
            at,
            operation=operation,
            reference=reference,
            amount=amount,
            reason=decision.reason,
            limit=decision.limit,
            used=decision.used,
            remaining=decision.remaining,
        )

    # --- payments ---------------------------------------------------------------------------

    def authorise(
        self,
        payment_id: PaymentId,
        merchant_id: MerchantId,
        amount: Money,
        at: datetime,
        expires_at: datetime,
        *,
        method: PaymentMethod,
        channel: Channel,
        category: Category,
    ) -> Decision | Payment:
        """Hold ``amount`` for a merchant payment, if status, funds and limits allow.

        Returns the new :class:`Payment` (its hold open), or the ``Declined`` decision (recorded
        as :class:`PaymentDeclined`; nothing else changes).
        """
        outcome = self._check_outflow(method, amount, at)
        if isinstance(outcome, Declined):
            self._record(
                PaymentDeclined,
                at,
                payment_id=payment_id,
                merchant_id=merchant_id,
                amount=amount,
                method=method,
                reason=outcome.reason,
                limit=outcome.limit,
                used=outcome.used,
                remaining=outcome.remaining,
            )
            return outcome
        # the wallet's own account, and an amount the limit check accepted
        hold = _place(payment_id, self.account, amount, at, expires_at)
        self.balance = self.balance.hold(amount)
        self._spend(method, amount, at, keys=outcome)
        zero = Money._make(0, amount.currency)  # not the six defaults' amount - amount each
        payment = Payment(
            payment_id,
            self.wallet_id,
            merchant_id,
            amount,
            method,
            channel,
            category,
            hold,
            captured=zero,
            merchant_fee=zero,
            refunded=zero,
            fee_refunded=zero,
            claimed=zero,
            disputed=zero,
        )
        self._record(
            PaymentAuthorised,
            at,
            payment_id=payment_id,
            merchant_id=merchant_id,
            amount=amount,
            method=method,
            channel=channel,
            category=category,
            expires_at=expires_at,
        )
        return payment

    def capture(
        self,
        payment: Payment,
        amount: Money,
        merchant_account: AccountId,
        entry_id: str,
        at: datetime,
        *,
        final: bool = True,
        fee: Money | None = None,
    ) -> JournalEntry:
        """Pay ``amount`` of an open hold to the merchant; ``final`` releases the rest.

        ``fee`` is the merchant's service fee: deducted from what the merchant receives (the
        customer pays exactly ``amount``) and credited to fee income.

        Raises:
            WalletStateError: the wallet is frozen (the hold waits: capture it after unfreezing,
                void it, or let it expire).
        """
        self._require_open()
        if self.status is WalletStatus.FROZEN:
            raise WalletStateError(f"wallet {self.wallet_id} is frozen; nothing is paid out")
        hold = payment.hold
        before = hold.pending
        closed = hold.capture(amount, at, final=final)
        after = closed.pending
        leftover = before.minor - after.minor - amount.minor
        entry = JournalEntry.transfer(  # before any change: a fee above the amount raises here
            entry_id,
            self.account,
            merchant_account,
            amount,
            at,
            fee=fee,
            charging=FeeCharging.DEDUCTED,
        )
        # one hold's two pending amounts: same currency, and the capture made it positive
        released = Money._make(before.minor - after.minor, before.currency)
        self.balance = self.balance.release(released)
        self._book(entry)
        if leftover:
            self.usage = self.usage.release(
                payment.method, Money._make(leftover, amount.currency), hold.placed_at
            )
        payment.captured_by(closed, amount, fee, at)
        self._record(
            PaymentCaptured,
            at,
            payment_id=payment.payment_id,
            merchant_id=payment.merchant_id,
            amount=amount,
            fee=fee if fee is not None else Money._make(0, amount.currency),
            category=payment.category,
            final=final,
            entry_id=entry_id,
        )
        return entry

    def release(self, payment: Payment, at: datetime, *, expired: bool) -> Money:
        """Void an open hold (or expire it, when ``expired``); its pending money is released."""
        self._require_open()
        hold = payment.hold
        released = hold.pending
        closed = hold.expire(at) if expired else hold.void(at)
        self.balance = self.balance.release(released)
        self.usage = self.usage.release(payment.method, released, hold.placed_at)
        payment.released(closed)
        event = PaymentExpired if expired else PaymentVoided
        self._record(event, at, payment_id=payment.payment_id, released=released)
        return released


_copy_wallet: Final = _slot_copier(Wallet)
