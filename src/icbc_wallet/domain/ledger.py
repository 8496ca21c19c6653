"""The ledger: accounts, postings, journal entries, balances and holds, as pure values.

- An *account* (:class:`AccountId`) is where money sits: a kind and an owner key, ``wallet:W1``.
- A *posting* (:class:`Posting`) is one leg of a movement: a non-zero amount *added* to its
  account's balance (a negative amount takes money out).
- A *journal entry* (:class:`JournalEntry`) is a balanced set of postings in one currency: they
  sum to exactly zero, so money is only ever moved, never made or lost (double entry).
- A *balance* (:class:`AccountBalance`) is maintained, not summed: *posted* money, *pending*
  money (on hold) and *available* = posted - pending.
- A *hold* (:class:`~icbc_wallet.domain.holds.Hold`, in :mod:`icbc_wallet.domain.holds`)
  reserves money on a customer's account until it is captured (in part or in full), voided or
  expires. A hold moves nothing; the entry booking its capture does.

Sign convention: customer-facing accounts (wallet, merchant) hold what the bank owes their
owners, a balance that never goes negative. System accounts carry the other side: a top-up of 100
posts +100 to the wallet and -100 to bank settlement, so the sum over all accounts is always zero
(:func:`trial_balance`). A WeChat-style withdrawal of 2,000 with a fee of 1.00:

```pycon
>>> from datetime import datetime, timezone
>>> at = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
>>> wallet, bank = AccountId.wallet("W1"), AccountId.system(AccountKind.BANK_SETTLEMENT)
>>> balances = JournalEntry.transfer("E1", bank, wallet, Money.of(5000), at).apply({})
>>> withdrawal = JournalEntry.transfer("E2", wallet, bank, Money.of(2000), at, fee=Money.of(1))
>>> [f"{posting.account} {posting.amount}" for posting in withdrawal.postings]
['wallet:W1 -2001.00 CNY', 'bank_settlement 2000.00 CNY', 'fee_income 1.00 CNY']
>>> balances.update(withdrawal.apply(balances))
>>> {str(account): str(balance.posted) for account, balance in balances.items()}
{'bank_settlement': '-3000.00 CNY', 'wallet:W1': '2999.00 CNY', 'fee_income': '1.00 CNY'}
>>> trial_balance(balances.values())
Money('0.00', 'CNY')

```

Storage keeps an :class:`AccountId` as its string form (:meth:`AccountId.parse` reads it back).
Results of arithmetic are built without re-validation: this code runs on every payment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Final

import attrs

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.domain.fee_rules import FeeCharging
from icbc_wallet.domain.money import DEFAULT_CURRENCY, MAX_MINOR_UNITS, Money, total
from icbc_wallet.errors import (
    AmountOutOfRangeError,
    AmountTypeError,
    CurrencyMismatchError,
    HoldStateError,
    InsufficientFundsError,
    InvalidAmountError,
    LedgerError,
    UnbalancedEntryError,
)

__all__ = [
    "AccountBalance",
    "AccountId",
    "AccountKind",
    "JournalEntry",
    "Posting",
    "trial_balance",
]

_KEY: Final = re.compile(r"[!-~]{1,128}", re.ASCII)  # printable ASCII, no spaces: safe to store
_MAX_MEMO: Final = 500


class AccountKind(StrEnum):
    """What an account is for. The value is the stable prefix of an :class:`AccountId`."""

    WALLET = "wallet"
    """A customer's wallet: what the bank owes the customer. Never negative."""
    MERCHANT = "merchant"
    """What the bank owes a merchant for payments received. Never negative."""
    BANK_SETTLEMENT = "bank_settlement"
    """System: the mirror of money that came in from bank cards (top-ups) or went out to them
    (withdrawals). Usually negative: minus everything the wallet system holds."""
    FEE_INCOME = "fee_income"
    """System: fees earned. A fee of 1.00 posts +1.00 here; a refunded fee, -1.00."""
    DISPUTE_SUSPENSE = "dispute_suspense"
    """System: money set aside while a dispute is open; zero once every dispute is resolved."""

    @property
    def may_go_negative(self) -> bool:
        """True for system accounts; wallets and merchants may never be overdrawn."""
        return self not in _CUSTOMER_FACING


_CUSTOMER_FACING: Final = frozenset({AccountKind.WALLET, AccountKind.MERCHANT})


def _key(value: object, what: str) -> str:
    if type(value) is not str or not _KEY.fullmatch(value):
        raise LedgerError(f"{what} must be 1 to 128 printable ASCII characters, not {value!r}")
    return value


def _kind(value: AccountKind | str) -> AccountKind:
    try:
        return AccountKind(value)
    except ValueError:
        known = ", ".join(kind.value for kind in AccountKind)
        raise LedgerError(f"unknown account kind {value!r}; use one of {known}") from None


@attrs.frozen(repr=False, order=True, cache_hash=True)
class AccountId:
    """An account: its kind and its owner's key (empty for the one system account of a kind).

    The string form is stable (``"wallet:W1"``, ``"fee_income"``). Ids sort, so adapters can
    lock accounts in one global order and never deadlock.

    ```pycon
    >>> AccountId.parse("wallet:W1") == AccountId.wallet("W1"), str(AccountId("fee_income"))
    (True, 'fee_income')

    ```

    Raises:
        LedgerError: an unknown kind, a wallet or merchant without owner, a malformed owner.
    """

    kind: AccountKind = attrs.field(converter=_kind)
    owner: str = ""

    def __attrs_post_init__(self) -> None:
        if self.owner != "" or not self.kind.may_go_negative:
            _key(self.owner, f"the owner of a {self.kind.value} account")

    @classmethod
    def wallet(cls, wallet_id: str) -> AccountId:
        """The account of the wallet ``wallet_id``."""
        return cls(AccountKind.WALLET, wallet_id)

    @classmethod
    def merchant(cls, merchant_id: str) -> AccountId:
        """The account of the merchant ``merchant_id``."""
        return cls(AccountKind.MERCHANT, merchant_id)

    @classmethod
    def system(cls, kind: AccountKind, owner: str = "") -> AccountId:
        """A system account; ``owner`` tells several apart (one settlement account per bank)."""
        if not _kind(kind).may_go_negative:
            raise LedgerError(f"{kind} is not a system account kind")
        return cls(kind, owner)

    @classmethod
    def parse(cls, text: str) -> AccountId:
        """Read the string form back (``"wallet:W1"``, ``"bank_settlement:ICBC"``)."""
        if type(text) is not str:
            raise LedgerError(f"an account id is parsed from a str, not {type(text).__name__}")
        kind, colon, owner = text.partition(":")
        if colon and not owner:
            raise LedgerError(f"account id {text!r} has an empty owner after ':'")
        return cls(kind, owner)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.owner}" if self.owner else self.kind.value

    def __repr__(self) -> str:
        return f"AccountId.parse({str(self)!r})"


_FEE_INCOME: Final = AccountId(AccountKind.FEE_INCOME)


def _money(amount: object, what: str, currency: str | None = None) -> Money:
    """Refuse an amount that is not positive Money (in ``currency``, when given)."""
    if type(amount) is not Money:
        raise AmountTypeError(f"{what} must be Money, not {type(amount).__name__}")
    if currency is not None and amount.currency != currency:
        raise CurrencyMismatchError(f"{what} is in {amount.currency}, not {currency}")
    if amount.minor <= 0:
        raise InvalidAmountError(f"{what} must be positive, not {amount}")
    return amount


def _check_posting(posting: Posting, _attribute: object, amount: Money) -> None:
    if type(posting.account) is not AccountId:
        raise LedgerError(f"a posting's account must be an AccountId, not {posting.account!r}")
    if type(amount) is not Money:
        raise AmountTypeError(f"a posting's amount must be Money, not {type(amount).__name__}")
    if amount.minor == 0:
        raise InvalidAmountError(f"a posting to {posting.account} must not be zero")


@attrs.frozen
class Posting:
    """One leg of an entry: ``amount`` (non-zero, signed) is added to ``account``'s balance."""

    account: AccountId
    amount: Money = attrs.field(validator=_check_posting)


def _postings(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    try:
        legs = tuple(postings)
    except TypeError:
        raise LedgerError(f"postings must be a sequence of Posting, not {postings!r}") from None
    for leg in legs:
        if type(leg) is not Posting:
            raise LedgerError(f"postings must all be Posting values, not {leg!r}")
    return legs


def _check_memo(_instance: object, _attribute: object, memo: object) -> None:
    if type(memo) is not str or len(memo) > _MAX_MEMO:
        raise LedgerError(f"a memo must be a str of at most {_MAX_MEMO} characters")


@attrs.frozen
class JournalEntry:
    """A balanced movement: two or more postings in one currency that sum to exactly zero.

    Attributes:
        entry_id: a unique key (printable ASCII), e.g. the idempotency key of the command.
        postings: the legs, in the order given.
        at: the aware instant the movement is booked.
        memo: free text for people.

    Raises:
        UnbalancedEntryError: fewer than two postings, or postings that do not sum to zero.
        CurrencyMismatchError: postings in more than one currency.
        LedgerError: a malformed id, memo or posting. NaiveDatetimeError: a naive ``at``.
    """

    entry_id: str = attrs.field(validator=lambda _i, _a, value: _key(value, "an entry id"))
    postings: tuple[Posting, ...] = attrs.field(converter=_postings)
    at: datetime = attrs.field(validator=lambda _i, _a, value: require_aware(value, "at"))
    memo: str = attrs.field(default="", validator=_check_memo)

    def __attrs_post_init__(self) -> None:
        if len(self.postings) < 2:
            raise UnbalancedEntryError(f"entry {self.entry_id} needs at least two postings")
        currency, imbalance = self.currency, 0
        for leg in self.postings:
            if leg.amount.currency != currency:
                raise CurrencyMismatchError(f"entry {self.entry_id} mixes {currency} and {leg}")
            imbalance += leg.amount.minor
        if imbalance:
            legs = ", ".join(f"{leg.account} {leg.amount.amount}" for leg in self.postings)
            raise UnbalancedEntryError(
                f"entry {self.entry_id} does not balance: its postings ({legs}) sum to "
                f"{Money._make(imbalance, currency)}, not zero"
            )

    @classmethod
    def transfer(
        cls,
        entry_id: str,
        source: AccountId,
        target: AccountId,
        amount: Money,
        at: datetime,
        *,
        fee: Money | None = None,
        charging: FeeCharging = FeeCharging.ON_TOP,
        fee_account: AccountId = _FEE_INCOME,
        memo: str = "",
    ) -> JournalEntry:
        """Move ``amount`` from ``source`` to ``target``, with a fee leg when ``fee`` is not zero.

        ON_TOP ``charging`` takes amount + fee from ``source`` and pays amount to ``target``;
        DEDUCTED takes amount and pays amount - fee. The fee goes to ``fee_account``.

        Raises:
            LedgerError: ``source`` is ``target``. InvalidAmountError: ``amount`` is not
                positive, ``fee`` is negative, or a deducted fee leaves nothing to pay out.
        """
        # Every leg's amount is checked here (non-zero, one currency, summing to zero by
        # construction), so the legs and the entry are built by _leg and _entry, which check
        # only the rest: this runs on every payment. Checks run in the constructors' order.
        _money(amount, "a transfer amount")
        if source == target:
            raise LedgerError(f"entry {entry_id} would move money from {source} to itself")
        if fee is None or (type(fee) is Money and fee.minor == 0):
            return _entry(entry_id, (_leg(source, -amount), _leg(target, amount)), at, memo)
        fee_leg = _leg(fee_account, _money(fee, "a fee", amount.currency))
        if charging == FeeCharging.ON_TOP:
            legs = (_leg(source, -(amount + fee)), _leg(target, amount), fee_leg)
        elif charging == FeeCharging.DEDUCTED:
            # the fee was checked above (positive, amount's currency): no operator re-check
            paid_out = Money._make(amount.minor - fee.minor, amount.currency)
            _money(paid_out, "a transfer amount after its deducted fee")
            legs = (_leg(source, -amount), _leg(target, paid_out), fee_leg)
        else:
            raise LedgerError(f"charging must be a FeeCharging, not {charging!r}")
        return _entry(entry_id, legs, at, memo)

    @property
    def currency(self) -> str:
        """The currency of every posting."""
        return self.postings[0].amount.currency

    def reverse(self, entry_id: str, at: datetime, memo: str = "") -> JournalEntry:
        """The entry that undoes this one, every posting negated (a reversal, a chargeback)."""
        legs = tuple(Posting(leg.account, -leg.amount) for leg in self.postings)
        return JournalEntry(entry_id, legs, at, memo)

    def apply(
        self, balances: Mapping[AccountId, AccountBalance]
    ) -> dict[AccountId, AccountBalance]:
        """The new balances of the accounts this entry touches (absent ones start at zero).

        All or nothing: the result is returned only if no account is overdrawn, and
        ``balances`` itself is not changed. Postings to one account are netted first.

        Raises:
            InsufficientFundsError: a wallet or merchant account would be overdrawn.
        """
        net: dict[AccountId, int] = {}
        for posting in self.postings:
            net[posting.account] = net.get(posting.account, 0) + posting.amount.minor
        currency = self.postings[0].amount.currency
        changed: dict[AccountId, AccountBalance] = {}
        for account, minor in net.items():
            balance = balances.get(account)
            if balance is None:
                balance = AccountBalance.zero(currency)
            elif type(balance) is not AccountBalance:
                raise LedgerError(f"the balance of {account} must be an AccountBalance")
            if minor:
                changed[account] = balance._add(account, minor, currency)
        return changed


def _leg(account: AccountId, amount: Money) -> Posting:
    """A posting of an ``amount`` the caller has checked (non-zero Money), skipping ``__init__``.

    The account is still checked, as ``Posting`` does.
    """
    if type(account) is not AccountId:
        raise LedgerError(f"a posting's account must be an AccountId, not {account!r}")
    posting = _NEW(Posting)
    _SET_LEG_ACCOUNT(posting, account)
    _SET_LEG_AMOUNT(posting, amount)
    return posting


def _entry(entry_id: str, legs: tuple[Posting, ...], at: datetime, memo: str) -> JournalEntry:
    """An entry of legs that balance by construction, skipping ``__init__``'s sum over them.

    The id, the instant and the memo are still checked, as ``JournalEntry`` does.
    """
    _key(entry_id, "an entry id")
    require_aware(at, "at")
    _check_memo(None, None, memo)
    entry = _NEW(JournalEntry)
    _SET_ENTRY_ID(entry, entry_id)
    _SET_POSTINGS(entry, legs)
    _SET_AT(entry, at)
    _SET_MEMO(entry, memo)
    return entry


def _is_money(_instance: object, _attribute: object, amount: Money) -> None:
    if type(amount) is not Money:
        raise AmountTypeError(f"a balance is kept in Money, not {type(amount).__name__}")


def _check_pending(balance: AccountBalance, attribute: object, pending: Money) -> None:
    _is_money(balance, attribute, pending)
    if pending.currency != balance.posted.currency:
        raise CurrencyMismatchError(f"posted {balance.posted} and pending {pending} differ")
    if pending.minor < 0:
        raise InvalidAmountError(f"pending money must not be negative, not {pending}")


@attrs.frozen
class AccountBalance:
    """An account's balance: ``posted`` money and ``pending`` money on hold (never negative).

    ```pycon
    >>> balance = AccountBalance(Money.of(100), Money.of(30))
    >>> balance.available, balance.release(Money.of(30)).hold(Money.of(100)).available
    (Money('70.00', 'CNY'), Money('0.00', 'CNY'))

    ```
    """

    posted: Money = attrs.field(validator=_is_money)
    pending: Money = attrs.field(validator=_check_pending)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> AccountBalance:
        """Nothing posted, nothing pending."""
        nothing = Money.zero(currency)
        return _balance(nothing, nothing)

    @property
    def available(self) -> Money:
        """What may still be spent: posted - pending."""
        return Money._make(self.posted.minor - self.pending.minor, self.posted.currency)

    def apply(self, posting: Posting) -> AccountBalance:
        """The balance after ``posting`` (to this account) is booked.

        Raises:
            InsufficientFundsError: a wallet or merchant's available would go negative.
        """
        if type(posting) is not Posting:
            raise LedgerError(f"apply() takes a Posting, not {type(posting).__name__}")
        return self._add(posting.account, posting.amount.minor, posting.amount.currency)

    def booked(self, account: AccountId, entry: JournalEntry) -> AccountBalance:
        """The balance of ``account`` after ``entry`` (its postings to other accounts are ignored).

        Raises:
            InsufficientFundsError: a wallet or merchant's available would go negative.
        """
        balance = self
        for posting in entry.postings:
            # an entry's legs are Postings by construction: skip apply()'s type check
            if posting.account is account or posting.account == account:
                amount = posting.amount
                balance = balance._add(account, amount.minor, amount.currency)
        return balance

    def _add(self, account: AccountId, minor: int, currency: str) -> AccountBalance:
        posted = self.posted
        if currency != posted.currency:
            raise CurrencyMismatchError(f"{account} is kept in {posted.currency}, not {currency}")
        after = posted.minor + minor
        if minor < 0 and after < self.pending.minor and not account.kind.may_go_negative:
            wanted = Money._make(-minor, currency)
            raise InsufficientFundsError(f"{account} has {self.available} available, not {wanted}")
        if not -MAX_MINOR_UNITS <= after <= MAX_MINOR_UNITS:
            raise AmountOutOfRangeError(f"the balance of {account} would pass MAX_MINOR_UNITS")
        return _balance(Money._make(after, currency), self.pending)

    def hold(self, amount: Money) -> AccountBalance:
        """The balance after ``amount`` more is put on hold.

        Raises:
            InsufficientFundsError: less than ``amount`` is available.
        """
        held = _money(amount, "a hold", self.posted.currency).minor + self.pending.minor
        if held > self.posted.minor:
            raise InsufficientFundsError(f"cannot hold {amount}: {self.available} available")
        return _balance(self.posted, Money._make(held, amount.currency))

    def release(self, amount: Money) -> AccountBalance:
        """The balance after ``amount`` of its holds is released (captured, voided or expired).

        Raises:
            HoldStateError: less than ``amount`` is on hold.
        """
        left = self.pending.minor - _money(amount, "a release", self.posted.currency).minor
        if left < 0:
            raise HoldStateError(f"cannot release {amount}: only {self.pending} is on hold")
        return _balance(self.posted, Money._make(left, amount.currency))


def _balance(posted: Money, pending: Money) -> AccountBalance:
    """Build from known-good values, skipping ``__init__`` as ``Money._make`` does."""
    balance = _NEW(AccountBalance)
    _SET_POSTED(balance, posted)
    _SET_PENDING(balance, pending)
    return balance


_NEW: Final = object.__new__
_SET_POSTED: Final = AccountBalance.__dict__["posted"].__set__
_SET_PENDING: Final = AccountBalance.__dict__["pending"].__set__
_SET_LEG_ACCOUNT: Final = Posting.__dict__["account"].__set__
_SET_LEG_AMOUNT: Final = Posting.__dict__["amount"].__set__
_SET_ENTRY_ID: Final = JournalEntry.__dict__["entry_id"].__set__
_SET_POSTINGS: Final = JournalEntry.__dict__["postings"].__set__
_SET_AT: Final = JournalEntry.__dict__["at"].__set__
_SET_MEMO: Final = JournalEntry.__dict__["memo"].__set__


def trial_balance(balances: Iterable[AccountBalance | Money], currency: str | None = None) -> Money:
    """The sum of posted balances: zero while money is conserved. Pending money moves nothing.

    Raises:
        CurrencyMismatchError: balances in more than one currency.
        InvalidAmountError: no balances and no ``currency``.
    """
    if not isinstance(balances, Iterable):
        raise AmountTypeError(f"trial_balance() takes an iterable, not {type(balances).__name__}")
    return total((b.posted if isinstance(b, AccountBalance) else b for b in balances), currency)
