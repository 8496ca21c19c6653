"""The books: checking, not assuming, that a simulation conserved money.

Three checks, each able to fail on its own:

1. **The database** is sound: a durable store's ``verify()`` (SQLite's ``integrity_check`` and a
   full audit of the books in SQL); for the in-memory store, :func:`audit_ledger` recomputes
   every account's balance from the journal through the ledger port.
2. **The ledger balances**: the posted balances of all accounts sum to zero (double entry).
3. **Money in and out agree with what is held**: the money held inside the system (wallets,
   merchants, fee income, dispute suspense: every account but the bank settlement mirror) grew
   by exactly what the approved top-ups brought in less what the approved withdrawals sent
   out, as the simulation counted them from the service's results.

```pycon
>>> before = Books(ledger_total=0, held=10_000, fee_income=0, currency="CNY")
>>> after = Books(ledger_total=0, held=12_500, fee_income=0, currency="CNY")
>>> conservation(before, after, money_in=3_000, money_out=500)
()
>>> conservation(before, after, money_in=3_000, money_out=0)
('money held changed by 25.00 CNY, but 30.00 CNY came in and 0.00 CNY went out',)

```
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Protocol

import attrs

from icbc_wallet.domain.ledger import AccountBalance, AccountId, AccountKind, JournalEntry
from icbc_wallet.domain.money import Money
from icbc_wallet.ports.persistence import UnitOfWorkFactory

__all__ = ["Books", "LedgerReader", "audit_ledger", "conservation", "read_books"]

_CUSTOMER_FACING = (AccountKind.WALLET, AccountKind.MERCHANT)


class LedgerReader(Protocol):
    """What :func:`audit_ledger` reads: the maintained balances and the journal."""

    def balances(self) -> dict[AccountId, AccountBalance]:
        """Every account's maintained balance."""
        ...

    def entries(self, account: AccountId | None = None) -> Iterator[JournalEntry]:
        """Every committed entry, oldest first."""
        ...


@attrs.frozen
class Books:
    """The ledger at one instant, in minor units.

    Attributes:
        ledger_total: the sum of every account's posted balance (zero when balanced).
        held: money inside the system: every account but the bank settlement mirror.
        fee_income: the fee income account's balance.
        currency: the ledger's currency.
    """

    ledger_total: int
    held: int
    fee_income: int
    currency: str

    def money(self, minor: int) -> Money:
        """``minor`` units of the ledger's currency as Money."""
        return Money.from_minor(minor, self.currency)


def read_books(reader: UnitOfWorkFactory, currency: str) -> Books:
    """Read the maintained balances of every account (one read-only unit of work)."""
    with reader() as uow:
        balances = uow.ledger.balances()
    total = held = fee_income = 0
    for account, balance in balances.items():
        posted = balance.posted.minor
        total += posted
        if account.kind is not AccountKind.BANK_SETTLEMENT:
            held += posted
        if account.kind is AccountKind.FEE_INCOME:
            fee_income += posted
    return Books(total, held, fee_income, currency)


def audit_ledger(ledger: LedgerReader) -> tuple[str, ...]:
    """Everything wrong with the books, found through the ledger port (reads the whole journal).

    Every entry balances; every maintained balance equals the sum of its account's postings;
    no wallet or merchant is overdrawn; the accounts sum to zero.
    """
    problems: list[str] = []
    summed: dict[AccountId, int] = defaultdict(int)
    for entry in ledger.entries():
        legs = [(posting.account, posting.amount.minor) for posting in entry.postings]
        if sum(minor for _, minor in legs):
            problems.append(f"journal entry {entry.entry_id} does not balance")
        for account, minor in legs:
            summed[account] += minor
    balances = ledger.balances()
    for account in sorted(set(balances) | set(summed)):
        posted = balances[account].posted.minor if account in balances else 0
        if posted != summed.get(account, 0):
            problems.append(
                f"account {account} holds {posted}, its postings sum to {summed.get(account, 0)}"
            )
        if account.kind in _CUSTOMER_FACING and posted < 0:
            problems.append(f"account {account} is overdrawn ({posted})")
    total = sum(balance.posted.minor for balance in balances.values())
    if total:
        problems.append(f"the accounts sum to {total}, not 0")
    return tuple(problems)


def conservation(before: Books, after: Books, *, money_in: int, money_out: int) -> tuple[str, ...]:
    """What breaks the conservation of money between two readings (empty when conserved).

    Args:
        before: the books when the run started.
        after: the books when it ended.
        money_in: what the approved top-ups brought in (minor units).
        money_out: what the approved withdrawals sent out to cards (minor units).
    """
    problems: Iterable[str] = ()
    if after.ledger_total:
        problems = (f"the ledger sums to {after.money(after.ledger_total)}, not zero",)
    grown = after.held - before.held
    if grown != money_in - money_out:
        problems = (
            *problems,
            f"money held changed by {after.money(grown)}, but {after.money(money_in)} came in "
            f"and {after.money(money_out)} went out",
        )
    return tuple(problems)
