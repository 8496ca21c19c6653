"""Laws of the ledger, checked after every step of random top-ups, entries and hold lifecycles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from icbc_wallet import (
    AccountBalance,
    AccountId,
    AccountKind,
    FeeCharging,
    Hold,
    HoldStateError,
    HoldStatus,
    InsufficientFundsError,
    JournalEntry,
    Money,
    Posting,
    UnbalancedEntryError,
    trial_balance,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
WALLETS = tuple(AccountId.wallet(f"W{n}") for n in range(1, 4))
MERCHANTS = (AccountId.merchant("M1"), AccountId.merchant("M2"))
SYSTEM = (
    AccountId.system(AccountKind.BANK_SETTLEMENT),
    AccountId.system(AccountKind.BANK_SETTLEMENT, "ICBC"),
    AccountId.system(AccountKind.FEE_INCOME),
    AccountId.system(AccountKind.DISPUTE_SUSPENSE),
)
ACCOUNTS = WALLETS + MERCHANTS + SYSTEM
# The instants the caller passes are written in any of these zones; the ledger must not care.
ZONES = (UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"))

amounts = st.integers(1, 10**7)  # minor units: up to 100,000 yuan
signed_amounts = st.integers(-(10**6), 10**6).filter(lambda minor: minor != 0)


class LedgerMachine(RuleBasedStateMachine):
    """Balances in a dict, holds in a dict, and a clock that only moves forward."""

    def __init__(self) -> None:
        super().__init__()
        self.balances: dict[AccountId, AccountBalance] = {}
        self.holds: dict[str, Hold] = {}
        self.closed: dict[str, Hold] = {}  # each terminal hold as it was when it closed
        self.now = START
        self.serial = 0

    # -- helpers -------------------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def balance(self, account: AccountId) -> AccountBalance:
        return self.balances.get(account, AccountBalance.zero())

    def book(self, entry: JournalEntry) -> None:
        """Apply ``entry``, expecting a refusal exactly when a customer account would overdraw."""
        net: dict[AccountId, int] = {}
        for posting in entry.postings:
            net[posting.account] = net.get(posting.account, 0) + posting.amount.minor
        overdrawn = any(
            minor < 0
            and not account.kind.may_go_negative
            and self.balance(account).available.minor + minor < 0
            for account, minor in net.items()
        )
        if overdrawn:
            with pytest.raises(InsufficientFundsError):
                entry.apply(self.balances)
        else:
            self.balances |= entry.apply(self.balances)

    def record(self, hold: Hold) -> None:
        self.holds[hold.hold_id] = hold
        if hold.status is not HoldStatus.OPEN:
            self.closed[hold.hold_id] = hold

    def open_ids(self) -> list[str]:
        return sorted(key for key, hold in self.holds.items() if hold.status is HoldStatus.OPEN)

    def has_open_holds(self) -> bool:
        return bool(self.open_ids())

    def has_closed_holds(self) -> bool:
        return bool(self.closed)

    def release(self, before: Hold, after: Hold) -> None:
        released = before.pending - after.pending
        if released.is_positive():
            self.balances[before.account] = self.balance(before.account).release(released)

    # -- rules ---------------------------------------------------------------------------------

    @rule(step=st.timedeltas(timedelta(0), timedelta(days=3)))
    def time_passes(self, step: timedelta) -> None:
        self.now += step

    @precondition(has_open_holds)
    @rule(data=st.data())
    def the_clock_reaches_the_instant_a_hold_expires(self, data: st.DataObject) -> None:
        expiries = sorted(h.expires_at for h in self.holds.values() if h.expires_at >= self.now)
        if expiries:
            self.now = data.draw(st.sampled_from(expiries), label="expiry")

    @rule(wallet=st.sampled_from(WALLETS), bank=st.sampled_from(SYSTEM[:2]), minor=amounts)
    def a_wallet_is_topped_up(self, wallet: AccountId, bank: AccountId, minor: int) -> None:
        amount = Money.from_minor(minor)
        self.book(JournalEntry.transfer(self.next_id("T"), bank, wallet, amount, self.now))

    @rule(
        source=st.sampled_from(ACCOUNTS),
        payee=st.sampled_from(ACCOUNTS),
        minor=amounts,
        fee=st.integers(0, 10**4),
        charging=st.sampled_from(FeeCharging),
        zone=st.sampled_from(ZONES),
    )
    def money_is_transferred_with_a_fee(
        self,
        source: AccountId,
        payee: AccountId,
        minor: int,
        fee: int,
        charging: FeeCharging,
        zone: tzinfo,
    ) -> None:
        if source == payee or (charging is FeeCharging.DEDUCTED and fee >= minor):
            return
        at = self.now.astimezone(zone)
        entry = JournalEntry.transfer(
            self.next_id("X"),
            source,
            payee,
            Money.from_minor(minor),
            at,
            fee=Money.from_minor(fee),
            charging=charging,
        )
        self.book(entry)

    @rule(
        legs=st.lists(st.tuples(st.sampled_from(ACCOUNTS), signed_amounts), min_size=1, max_size=4),
        last=st.sampled_from(ACCOUNTS),
    )
    def a_random_balanced_entry_is_posted(
        self, legs: list[tuple[AccountId, int]], last: AccountId
    ) -> None:
        rest = -sum(minor for _, minor in legs)
        if rest in (0, 1):
            return
        postings = [Posting(account, Money.from_minor(minor)) for account, minor in legs]
        with pytest.raises(UnbalancedEntryError):
            JournalEntry(
                "unbalanced", [*postings, Posting(last, Money.from_minor(rest - 1))], self.now
            )
        postings.append(Posting(last, Money.from_minor(rest)))
        self.book(JournalEntry(self.next_id("J"), postings, self.now))

    @rule(
        wallet=st.sampled_from(WALLETS),
        extra=st.integers(0, 10**6),
        ttl=st.timedeltas(timedelta(minutes=1), timedelta(days=2)),
        data=st.data(),
    )
    def a_hold_is_placed_when_available_allows(
        self, wallet: AccountId, extra: int, ttl: timedelta, data: st.DataObject
    ) -> None:
        balance = self.balance(wallet)
        available = balance.available.minor
        if extra and data.draw(st.booleans(), label="more than available"):
            with pytest.raises(InsufficientFundsError):
                balance.hold(Money.from_minor(available + extra))
            with pytest.raises(HoldStateError):
                balance.release(Money.from_minor(balance.pending.minor + extra))
            return
        if available == 0:
            return
        minor = data.draw(st.integers(1, available), label="hold amount")
        hold = Hold(self.next_id("H"), wallet, Money.from_minor(minor), self.now, self.now + ttl)
        self.balances[wallet] = balance.hold(hold.amount)
        self.record(hold)

    @precondition(has_open_holds)
    @rule(data=st.data(), final=st.booleans(), zone=st.sampled_from(ZONES))
    def a_hold_is_captured(self, data: st.DataObject, final: bool, zone: tzinfo) -> None:
        hold = self.holds[data.draw(st.sampled_from(self.open_ids()), label="hold")]
        everything = st.just(hold.pending.minor)  # the boundary that closes an open hold
        minor = data.draw(everything | st.integers(1, hold.pending.minor + 2), label="capture")
        at, amount = self.now.astimezone(zone), Money.from_minor(minor)
        if self.now >= hold.expires_at or minor > hold.pending.minor:
            with pytest.raises(HoldStateError):
                hold.capture(amount, at, final=final)
            return
        captured = hold.capture(amount, at, final=final)
        assert captured.captured == hold.captured + amount
        assert (captured.status is HoldStatus.CAPTURED) == (final or minor == hold.pending.minor)
        self.release(hold, captured)
        merchant = data.draw(st.sampled_from(MERCHANTS), label="merchant")
        self.book(JournalEntry.transfer(self.next_id("C"), hold.account, merchant, amount, at))
        self.record(captured)

    @precondition(has_open_holds)
    @rule(data=st.data())
    def a_hold_is_voided(self, data: st.DataObject) -> None:
        hold = self.holds[data.draw(st.sampled_from(self.open_ids()), label="hold")]
        voided = hold.void(self.now)
        self.release(hold, voided)
        self.record(voided)

    @precondition(has_open_holds)
    @rule(data=st.data())
    def a_hold_expires_once_its_time_has_come(self, data: st.DataObject) -> None:
        hold = self.holds[data.draw(st.sampled_from(self.open_ids()), label="hold")]
        if self.now < hold.expires_at:
            with pytest.raises(HoldStateError):
                hold.expire(self.now)
            return
        expired = hold.expire(self.now)
        self.release(hold, expired)
        self.record(expired)

    @precondition(has_closed_holds)
    @rule(data=st.data(), which=st.integers(0, 3))
    def a_closed_hold_is_asked_to_change(self, data: st.DataObject, which: int) -> None:
        hold = self.holds[data.draw(st.sampled_from(sorted(self.closed)), label="hold")]
        transitions: list[Callable[[], Hold]] = [
            lambda: hold.capture(Money.from_minor(1), self.now),
            lambda: hold.capture(Money.from_minor(1), self.now, final=False),
            lambda: hold.void(self.now),
            lambda: hold.expire(self.now + timedelta(days=30)),
        ]
        try:
            changed = transitions[which]()
        except HoldStateError:
            return
        self.holds[hold.hold_id] = changed  # a terminal hold changed: the invariants will say so

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def money_is_conserved(self) -> None:
        assert trial_balance(self.balances.values(), "CNY").is_zero()

    @invariant()
    def wallets_and_merchants_are_never_overdrawn(self) -> None:
        for account, balance in self.balances.items():
            if not account.kind.may_go_negative:
                assert not balance.posted.is_negative(), (account, balance)
                assert not balance.available.is_negative(), (account, balance)

    @invariant()
    def no_hold_is_captured_beyond_its_amount(self) -> None:
        for hold in self.holds.values():
            assert Money.zero() <= hold.captured <= hold.amount, hold

    @invariant()
    def pending_money_is_the_sum_of_open_holds(self) -> None:
        for account in ACCOUNTS:
            held = sum(h.pending.minor for h in self.holds.values() if h.account == account)
            assert self.balance(account).pending.minor == held, account

    @invariant()
    def only_open_holds_have_money_pending_and_no_closing_time(self) -> None:
        for hold in self.holds.values():
            is_open = hold.status is HoldStatus.OPEN
            assert is_open == hold.pending.is_positive() == (hold.closed_at is None), hold

    @invariant()
    def closed_holds_never_change(self) -> None:
        for hold_id, closed in self.closed.items():
            assert self.holds[hold_id] == closed
            assert closed.pending.is_zero()


LedgerMachine.TestCase.settings = settings(stateful_step_count=40)
TestTheLedgerConservesMoneyWhateverHappens = LedgerMachine.TestCase
