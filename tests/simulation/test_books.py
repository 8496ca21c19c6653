"""Money conservation is checked: an unbalanced ledger or a leak between in and out is caught."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from icbc_wallet.domain.ledger import AccountBalance, AccountId, AccountKind, JournalEntry, Posting
from icbc_wallet.domain.money import Money
from icbc_wallet.simulation.books import Books, audit_ledger, conservation

AT = datetime(2026, 3, 1, tzinfo=UTC)
SETTLEMENT = AccountId(AccountKind.BANK_SETTLEMENT)
WALLET = AccountId.wallet("W-1")
FEES = AccountId(AccountKind.FEE_INCOME)


def _yuan(minor: int) -> Money:
    return Money.from_minor(minor)


class _Ledger:
    """A ledger whose maintained balances and journal the test writes by hand."""

    def __init__(self, entries: list[JournalEntry], balances: dict[AccountId, int]) -> None:
        self._entries = entries
        self._balances = {
            account: AccountBalance(_yuan(minor), _yuan(0)) for account, minor in balances.items()
        }

    def balances(self) -> dict[AccountId, AccountBalance]:
        return dict(self._balances)

    def entries(self, account: AccountId | None = None) -> Iterator[JournalEntry]:
        return iter(self._entries)


TOP_UP = JournalEntry.transfer("E-1", SETTLEMENT, WALLET, _yuan(10_000), AT)


def _unbalanced_entry() -> JournalEntry:
    """An entry as a corrupted store might return it: its legs do not sum to zero."""
    entry = object.__new__(JournalEntry)
    for name, value in (
        ("entry_id", "E-bad"),
        ("postings", (Posting(WALLET, _yuan(500)), Posting(SETTLEMENT, _yuan(-400)))),
        ("at", AT),
        ("memo", ""),
    ):
        JournalEntry.__dict__[name].__set__(entry, value)
    return entry


def test_sound_books_have_nothing_to_report() -> None:
    assert audit_ledger(_Ledger([TOP_UP], {SETTLEMENT: -10_000, WALLET: 10_000})) == ()


def test_a_balance_that_disagrees_with_its_postings_and_the_sum_are_reported() -> None:
    problems = audit_ledger(_Ledger([TOP_UP], {SETTLEMENT: -10_000, WALLET: 10_100}))
    assert problems == (
        "account wallet:W-1 holds 10100, its postings sum to 10000",
        "the accounts sum to 100, not 0",
    )


def test_an_overdrawn_wallet_an_unbalanced_entry_and_an_unbooked_account_are_reported() -> None:
    problems = audit_ledger(_Ledger([_unbalanced_entry()], {SETTLEMENT: -400, WALLET: -1, FEES: 0}))
    assert problems == (
        "journal entry E-bad does not balance",
        "account wallet:W-1 holds -1, its postings sum to 500",
        "account wallet:W-1 is overdrawn (-1)",
        "the accounts sum to -401, not 0",
    )
    missing = audit_ledger(_Ledger([TOP_UP], {SETTLEMENT: -10_000}))
    assert missing == (
        "account wallet:W-1 holds 0, its postings sum to 10000",
        "the accounts sum to -10000, not 0",
    )


def test_conservation_needs_a_zero_ledger_and_held_money_to_grow_by_in_less_out() -> None:
    before = Books(ledger_total=0, held=5_000, fee_income=0, currency="CNY")
    after = Books(ledger_total=0, held=9_000, fee_income=10, currency="CNY")
    assert conservation(before, after, money_in=6_000, money_out=2_000) == ()
    unbalanced = Books(ledger_total=1, held=9_000, fee_income=10, currency="CNY")
    assert conservation(before, unbalanced, money_in=6_000, money_out=2_000) == (
        "the ledger sums to 0.01 CNY, not zero",
    )
    leaked = conservation(before, after, money_in=6_000, money_out=1_000)
    assert leaked == (
        "money held changed by 40.00 CNY, but 60.00 CNY came in and 10.00 CNY went out",
    )
    assert len(conservation(before, unbalanced, money_in=0, money_out=0)) == 2
