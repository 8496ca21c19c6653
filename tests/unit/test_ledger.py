from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet import (
    AccountBalance,
    AccountId,
    AccountKind,
    AmountOutOfRangeError,
    AmountTypeError,
    CurrencyMismatchError,
    DatetimeTypeError,
    FeeCharging,
    Hold,
    HoldStateError,
    HoldStatus,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidDatetimeError,
    JournalEntry,
    LedgerError,
    Money,
    NaiveDatetimeError,
    Posting,
    UnbalancedEntryError,
    WalletError,
    trial_balance,
)
from icbc_wallet.domain.money import MAX_MINOR_UNITS

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.fromisoformat("2026-03-10T12:00:00+08:00")
LATER = NOON + timedelta(hours=1)
EXPIRY = NOON + timedelta(days=7)
W1, W2 = AccountId.wallet("W1"), AccountId.wallet("W2")
SHOP = AccountId.merchant("M1")
BANK = AccountId.system(AccountKind.BANK_SETTLEMENT)
FEES = AccountId.system(AccountKind.FEE_INCOME)
SUSPENSE = AccountId.system(AccountKind.DISPUTE_SUSPENSE)


def cny(amount: str) -> Money:
    return Money.of(amount)


def topped_up(amount: str, wallet: AccountId = W1) -> dict[AccountId, AccountBalance]:
    return JournalEntry.transfer("top-up", BANK, wallet, cny(amount), NOON).apply({})


def posted(balances: dict[AccountId, AccountBalance]) -> dict[str, str]:
    return {str(account): str(balance.posted.amount) for account, balance in balances.items()}


def open_hold(amount: str = "100", account: AccountId = W1) -> Hold:
    return Hold("H1", account, cny(amount), NOON, EXPIRY)


# -- entries and balances ------------------------------------------------------------------------


def test_a_top_up_credits_the_wallet_and_debits_bank_settlement() -> None:
    entry = JournalEntry.transfer("E1", BANK, W1, cny("100"), NOON)
    assert [(p.account, p.amount) for p in entry.postings] == [
        (BANK, cny("-100")),
        (W1, cny("100")),
    ]
    assert posted(entry.apply({})) == {"bank_settlement": "-100.00", "wallet:W1": "100.00"}


def test_a_wechat_style_withdrawal_takes_the_fee_on_top() -> None:
    balances = topped_up("5000")
    withdrawal = JournalEntry.transfer("E2", W1, BANK, cny("2000"), LATER, fee=cny("1.00"))
    assert [(str(p.account), str(p.amount)) for p in withdrawal.postings] == [
        ("wallet:W1", "-2001.00 CNY"),
        ("bank_settlement", "2000.00 CNY"),
        ("fee_income", "1.00 CNY"),
    ]
    balances |= withdrawal.apply(balances)
    assert posted(balances) == {
        "bank_settlement": "-3000.00",
        "wallet:W1": "2999.00",
        "fee_income": "1.00",
    }
    assert trial_balance(balances.values()) == cny("0")


def test_a_p2p_transfer_moves_money_between_wallets_and_conserves_it() -> None:
    balances = topped_up("300")
    balances |= JournalEntry.transfer("P2P", W1, W2, cny("120.50"), LATER).apply(balances)
    assert balances[W1].posted == cny("179.50")
    assert balances[W2].posted == cny("120.50")
    assert trial_balance(balances.values()).is_zero()


def test_a_deducted_fee_is_taken_from_what_the_target_receives() -> None:
    entry = JournalEntry.transfer(
        "E3", W1, SHOP, cny("100"), NOON, fee=cny("0.60"), charging=FeeCharging.DEDUCTED
    )
    assert [p.amount for p in entry.postings] == [cny("-100"), cny("99.40"), cny("0.60")]


def test_a_zero_fee_adds_no_leg_and_the_fee_account_can_be_chosen() -> None:
    assert len(JournalEntry.transfer("E", W1, W2, cny("1"), NOON, fee=cny("0")).postings) == 2
    isp = AccountId.system(AccountKind.FEE_INCOME, "partner")
    entry = JournalEntry.transfer("E", W1, W2, cny("1"), NOON, fee=cny("0.01"), fee_account=isp)
    assert entry.postings[-1] == Posting(isp, cny("0.01"))


def test_a_reversal_negates_every_posting_and_restores_the_balances() -> None:
    balances = topped_up("50")
    payment = JournalEntry.transfer("PAY", W1, SHOP, cny("20"), NOON, fee=cny("1"))
    after = balances | payment.apply(balances)
    refund = payment.reverse("REFUND", LATER, memo="refund")
    assert [p.amount for p in refund.postings] == [cny("21"), cny("-20"), cny("-1")]
    assert posted(after | refund.apply(after)) == {
        **posted(balances),
        "merchant:M1": "0.00",
        "fee_income": "0.00",
    }


def test_postings_to_one_account_are_netted_before_the_overdraft_check() -> None:
    balances = topped_up("10")
    legs = (Posting(W1, cny("-15")), Posting(W1, cny("8")), Posting(SHOP, cny("7")))
    changed = JournalEntry("NET", legs, NOON).apply(balances)
    assert posted(changed) == {"wallet:W1": "3.00", "merchant:M1": "7.00"}
    wash = (Posting(W1, cny("-1")), Posting(W1, cny("1")))
    assert JournalEntry("WASH", wash, NOON).apply(balances) == {}


def test_an_overdraft_of_a_wallet_is_refused_and_nothing_changes() -> None:
    balances = topped_up("10")
    before = dict(balances)
    with pytest.raises(InsufficientFundsError, match=r"wallet:W1 has 10\.00 CNY available"):
        JournalEntry.transfer("E", W1, SHOP, cny("10.01"), NOON).apply(balances)
    assert balances == before
    with pytest.raises(InsufficientFundsError, match="merchant:M1"):
        JournalEntry.transfer("E", SHOP, W1, cny("0.01"), NOON).apply(balances)


def test_money_on_hold_cannot_be_spent_but_system_accounts_may_go_negative() -> None:
    balance = AccountBalance(cny("100"), cny("0")).hold(cny("60"))
    with pytest.raises(InsufficientFundsError):
        balance.apply(Posting(W1, cny("-40.01")))
    assert balance.apply(Posting(W1, cny("-40"))).available == cny("0")
    for system in (BANK, FEES, SUSPENSE):
        assert AccountBalance.zero().apply(Posting(system, cny("-5"))).posted == cny("-5")


def test_holds_and_releases_move_pending_money_only() -> None:
    balance = AccountBalance(cny("100"), cny("0")).hold(cny("30")).hold(cny("70"))
    assert (balance.posted, balance.pending, balance.available) == (
        cny("100"),
        cny("100"),
        cny("0"),
    )
    with pytest.raises(InsufficientFundsError, match=r"cannot hold 0.01 CNY: 0.00 CNY available"):
        balance.hold(cny("0.01"))
    released = balance.release(cny("30"))
    assert (released.pending, released.available) == (cny("70"), cny("30"))
    with pytest.raises(HoldStateError, match=r"only 70.00 CNY is on hold"):
        released.release(cny("70.01"))


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: AccountBalance(cny("1"), cny("-1")), InvalidAmountError),
        (lambda: AccountBalance(cny("1"), Money.of("0", "USD")), CurrencyMismatchError),
        (lambda: AccountBalance(1, cny("0")), AmountTypeError),  # type: ignore[arg-type]
        (lambda: AccountBalance(cny("1"), 0), AmountTypeError),  # type: ignore[arg-type]
        (lambda: AccountBalance.zero().apply(W1), LedgerError),  # type: ignore[arg-type]
        (
            lambda: AccountBalance.zero().apply(Posting(W1, Money.of(1, "USD"))),
            CurrencyMismatchError,
        ),
        (lambda: AccountBalance.zero().hold(cny("0")), InvalidAmountError),
        (lambda: AccountBalance.zero().hold(5), AmountTypeError),  # type: ignore[arg-type]
        (
            lambda: AccountBalance(cny("9"), cny("0")).hold(Money.of(1, "USD")),
            CurrencyMismatchError,
        ),
        (lambda: AccountBalance(cny("9"), cny("9")).release(cny("-1")), InvalidAmountError),
        (
            lambda: AccountBalance(Money.from_minor(MAX_MINOR_UNITS), cny("0")).apply(
                Posting(BANK, cny("0.01"))
            ),
            AmountOutOfRangeError,
        ),
    ],
)
def test_bad_balances_and_balance_changes_are_refused(
    build: Callable[[], object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        build()


def test_the_trial_balance_sums_posted_money_and_ignores_holds() -> None:
    balances = topped_up("10")
    balances[W1] = balances[W1].hold(cny("4"))
    assert trial_balance(balances.values()) == cny("0")
    assert trial_balance([cny("1"), AccountBalance(cny("2"), cny("2"))]) == cny("3")
    assert trial_balance([], "USD") == Money.of(0, "USD")
    with pytest.raises(CurrencyMismatchError):
        trial_balance([cny("1"), Money.of(1, "USD")])
    with pytest.raises(AmountTypeError):
        trial_balance(AccountBalance.zero())  # type: ignore[arg-type]
    with pytest.raises(InvalidAmountError):
        trial_balance([])


# -- accounts, postings and entries that are refused ---------------------------------------------


def test_account_ids_have_a_stable_string_form_that_parses_back() -> None:
    ids = [W1, SHOP, BANK, AccountId.system(AccountKind.BANK_SETTLEMENT, "ICBC:0200"), SUSPENSE]
    assert [str(account) for account in ids] == [
        "wallet:W1",
        "merchant:M1",
        "bank_settlement",
        "bank_settlement:ICBC:0200",
        "dispute_suspense",
    ]
    assert [AccountId.parse(str(account)) for account in ids] == ids
    assert repr(W1) == "AccountId.parse('wallet:W1')"
    assert eval(repr(W1)) == W1  # the repr rebuilds the value
    assert AccountId("wallet", "W1") == W1
    assert hash(AccountId.wallet("W1")) == hash(W1)


def test_account_ids_sort_by_kind_then_owner_so_locks_can_be_taken_in_one_order() -> None:
    shuffled = [W2, FEES, SHOP, W1, BANK]
    assert sorted(shuffled) == [BANK, FEES, SHOP, W1, W2]


def test_only_system_accounts_may_go_negative() -> None:
    assert [kind.may_go_negative for kind in AccountKind] == [False, False, True, True, True]


@pytest.mark.parametrize(
    "build",
    [
        lambda: AccountId.wallet(""),
        lambda: AccountId.wallet("W 1"),
        lambda: AccountId.merchant("商户"),
        lambda: AccountId.wallet("x" * 129),
        lambda: AccountId.wallet(7),  # type: ignore[arg-type]
        lambda: AccountId("WALLET", "W1"),
        lambda: AccountId("bank", "B"),
        lambda: AccountId.system(AccountKind.WALLET),
        lambda: AccountId.system(AccountKind.FEE_INCOME, None),  # type: ignore[arg-type]
        lambda: AccountId.parse("wallet"),
        lambda: AccountId.parse("fee_income:"),
        lambda: AccountId.parse(":W1"),
        lambda: AccountId.parse(b"wallet:W1"),  # type: ignore[arg-type]
    ],
)
def test_malformed_account_ids_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(LedgerError):
        build()


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: Posting(W1, cny("0")), InvalidAmountError),
        (lambda: Posting(W1, 5), AmountTypeError),  # type: ignore[arg-type]
        (lambda: Posting("wallet:W1", cny("1")), LedgerError),  # type: ignore[arg-type]
    ],
)
def test_a_posting_needs_an_account_and_a_non_zero_amount(
    build: Callable[[], object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        build()


def test_an_entry_that_does_not_sum_to_zero_is_refused_with_its_imbalance() -> None:
    legs = [Posting(W1, cny("-10")), Posting(W2, cny("9.99"))]
    with pytest.raises(
        UnbalancedEntryError,
        match=r"entry E1 does not balance: its postings \(wallet:W1 -10.00, wallet:W2 9.99\) "
        r"sum to -0.01 CNY, not zero",
    ):
        JournalEntry("E1", legs, NOON)
    with pytest.raises(UnbalancedEntryError, match="at least two postings"):
        JournalEntry("E1", [Posting(W1, cny("1"))], NOON)
    with pytest.raises(UnbalancedEntryError):
        JournalEntry("E1", [], NOON)


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (
            lambda: JournalEntry(
                "E", [Posting(W1, cny("-1")), Posting(W2, Money.of("1", "USD"))], NOON
            ),
            CurrencyMismatchError,
        ),
        (
            lambda: JournalEntry(
                "E", [Posting(W1, cny("-1")), Posting(W2, cny("1"))], NOON.replace(tzinfo=None)
            ),
            NaiveDatetimeError,
        ),
        (
            lambda: JournalEntry("E", [Posting(W1, cny("-1")), Posting(W2, cny("1"))], "noon"),  # type: ignore[arg-type]
            DatetimeTypeError,
        ),
        (lambda: JournalEntry("E", [Posting(W1, cny("-1")), (W2, cny("1"))], NOON), LedgerError),  # type: ignore[list-item]
        (lambda: JournalEntry("E", 5, NOON), LedgerError),  # type: ignore[arg-type]
        (lambda: JournalEntry.transfer("", W1, W2, cny("1"), NOON), LedgerError),
        (lambda: JournalEntry.transfer("E 1", W1, W2, cny("1"), NOON), LedgerError),
        (lambda: JournalEntry.transfer("E", W1, W2, cny("1"), NOON, memo="x" * 501), LedgerError),
        (lambda: JournalEntry.transfer("E", W1, W2, cny("1"), NOON, memo=None), LedgerError),  # type: ignore[arg-type]
        (lambda: JournalEntry.transfer("E", W1, W1, cny("1"), NOON), LedgerError),
        (lambda: JournalEntry.transfer("E", W1, "wallet:W2", cny("1"), NOON), LedgerError),  # type: ignore[arg-type]
        (lambda: JournalEntry.transfer("E", W1, W2, cny("0"), NOON), InvalidAmountError),
        (lambda: JournalEntry.transfer("E", W1, W2, cny("-1"), NOON), InvalidAmountError),
        (lambda: JournalEntry.transfer("E", W1, W2, "1", NOON), AmountTypeError),  # type: ignore[arg-type]
        (
            lambda: JournalEntry.transfer("E", W1, W2, cny("1"), NOON, fee=cny("-1")),
            InvalidAmountError,
        ),
        (
            lambda: JournalEntry.transfer("E", W1, W2, cny("1"), NOON, fee=Money.of(1, "USD")),
            CurrencyMismatchError,
        ),
        (
            lambda: JournalEntry.transfer(
                "E", W1, W2, cny("1"), NOON, fee=cny("1"), charging=FeeCharging.DEDUCTED
            ),
            InvalidAmountError,
        ),
        (
            lambda: JournalEntry.transfer("E", W1, W2, cny("1"), NOON, fee=cny("1"), charging="x"),  # type: ignore[arg-type]
            LedgerError,
        ),
        (lambda: JournalEntry.transfer("E", W1, W2, cny("1"), NOON).apply({W1: 5}), LedgerError),  # type: ignore[dict-item]
    ],
)
def test_malformed_entries_are_refused(build: Callable[[], object], error: type[Exception]) -> None:
    with pytest.raises(error):
        build()


def test_ledger_errors_are_wallet_errors_and_value_errors() -> None:
    for error in (UnbalancedEntryError, InsufficientFundsError, HoldStateError):
        assert issubclass(error, LedgerError)
    assert issubclass(LedgerError, WalletError)
    assert issubclass(LedgerError, ValueError)


# -- holds ---------------------------------------------------------------------------------------


def test_a_partial_capture_keeps_the_hold_open_until_a_final_capture_releases_the_rest() -> None:
    first = open_hold("100").capture(cny("30"), LATER, final=False)
    assert (first.status, first.captured, first.pending, first.closed_at) == (
        HoldStatus.OPEN,
        cny("30"),
        cny("70"),
        None,
    )
    last = first.capture(cny("50"), LATER + timedelta(hours=1))
    assert (last.status, last.captured, last.pending) == (HoldStatus.CAPTURED, cny("80"), cny("0"))
    assert last.closed_at == LATER + timedelta(hours=1)


def test_a_non_final_capture_of_everything_left_closes_the_hold() -> None:
    hold = open_hold("100").capture(cny("40"), LATER, final=False)
    done = hold.capture(cny("60"), LATER, final=False)
    assert (done.status, done.pending, done.captured) == (HoldStatus.CAPTURED, cny("0"), cny("100"))


def test_a_capture_beyond_what_remains_is_refused() -> None:
    hold = open_hold("100").capture(cny("90"), LATER, final=False)
    with pytest.raises(HoldStateError, match=r"cannot capture 10.01 CNY: only 10.00 CNY remains"):
        hold.capture(cny("10.01"), LATER)


def test_a_capture_at_or_after_expiry_is_refused_but_just_before_is_accepted() -> None:
    hold = open_hold()
    assert hold.capture(cny("1"), EXPIRY - timedelta(microseconds=1)).status is HoldStatus.CAPTURED
    for late in (EXPIRY, EXPIRY + timedelta(days=1)):
        with pytest.raises(HoldStateError, match="expired at"):
            hold.capture(cny("1"), late)


def test_a_hold_expires_only_once_its_expiry_is_reached() -> None:
    hold = open_hold().capture(cny("25"), LATER, final=False)
    with pytest.raises(HoldStateError, match="expires only at"):
        hold.expire(EXPIRY - timedelta(microseconds=1))
    expired = hold.expire(EXPIRY)
    assert (expired.status, expired.captured, expired.pending) == (
        HoldStatus.EXPIRED,
        cny("25"),
        cny("0"),
    )


def test_a_void_releases_whatever_was_not_captured() -> None:
    voided = open_hold("100").capture(cny("10"), LATER, final=False).void(LATER)
    assert (voided.status, voided.captured, voided.pending) == (
        HoldStatus.VOIDED,
        cny("10"),
        cny("0"),
    )
    assert open_hold().void(EXPIRY + timedelta(days=1)).status is HoldStatus.VOIDED


def _terminal_holds() -> list[Hold]:
    hold = open_hold()
    return [hold.capture(cny("5"), LATER), hold.void(LATER), hold.expire(EXPIRY)]


@pytest.mark.parametrize("closed", _terminal_holds(), ids=lambda hold: str(hold.status))
@pytest.mark.parametrize(
    "transition",
    [
        lambda hold: hold.capture(cny("1"), LATER),
        lambda hold: hold.capture(cny("1"), LATER, final=False),
        lambda hold: hold.void(LATER),
        lambda hold: hold.expire(EXPIRY + timedelta(days=1)),
    ],
    ids=["capture", "partial-capture", "void", "expire"],
)
def test_a_closed_hold_never_changes_again(
    closed: Hold, transition: Callable[[Hold], Hold]
) -> None:
    with pytest.raises(HoldStateError, match=f"hold H1 is {closed.status}: it cannot be"):
        transition(closed)


@pytest.mark.parametrize(
    ("transition", "error"),
    [
        (lambda hold: hold.capture(cny("1"), NOON - timedelta(seconds=1)), InvalidDatetimeError),
        (lambda hold: hold.void(NOON - timedelta(seconds=1)), InvalidDatetimeError),
        (lambda hold: hold.capture(cny("1"), LATER.replace(tzinfo=None)), NaiveDatetimeError),
        (lambda hold: hold.capture(cny("0"), LATER), InvalidAmountError),
        (lambda hold: hold.capture(Money.of(1, "USD"), LATER), CurrencyMismatchError),
        (lambda hold: hold.capture(1, LATER), AmountTypeError),
    ],
)
def test_bad_transitions_of_an_open_hold_are_refused(
    transition: Callable[[Hold], Hold], error: type[Exception]
) -> None:
    with pytest.raises(error):
        transition(open_hold())


def test_hold_instants_are_kept_in_utc_and_compared_as_instants() -> None:
    placed = datetime(2026, 3, 10, 12, tzinfo=SHANGHAI)
    hold = Hold("H1", W1, cny("1"), placed, placed + timedelta(hours=1))
    assert hold.placed_at == datetime(2026, 3, 10, 4, tzinfo=UTC)
    assert hold.placed_at.tzinfo is UTC
    with pytest.raises(HoldStateError, match="expired"):
        hold.capture(cny("1"), datetime(2026, 3, 10, 5, tzinfo=UTC))  # 13:00 in Shanghai
    assert hold.expire(datetime(2026, 3, 10, 13, tzinfo=SHANGHAI)).closed_at == hold.expires_at


def test_a_stored_hold_can_be_rebuilt_from_its_fields() -> None:
    hold = open_hold().capture(cny("30"), LATER, final=False).void(LATER)
    fields = attrs.asdict(hold, recurse=False)
    fields["status"] = str(fields["status"])
    assert Hold(**fields) == hold


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"account": BANK}, LedgerError),
        ({"account": "wallet:W1"}, LedgerError),
        ({"hold_id": ""}, LedgerError),
        ({"amount": cny("0")}, InvalidAmountError),
        ({"amount": 100}, AmountTypeError),
        ({"expires_at": NOON}, InvalidDatetimeError),
        ({"placed_at": NOON.replace(tzinfo=None)}, NaiveDatetimeError),
        ({"captured": cny("100.01"), "status": "captured", "closed_at": LATER}, InvalidAmountError),
        ({"captured": cny("-1")}, InvalidAmountError),
        ({"captured": Money.of(0, "USD")}, CurrencyMismatchError),
        ({"status": "settled", "closed_at": LATER}, HoldStateError),
        ({"status": HoldStatus.VOIDED}, HoldStateError),
        ({"closed_at": LATER}, HoldStateError),
        ({"captured": cny("100")}, HoldStateError),
        ({"status": HoldStatus.CAPTURED, "closed_at": LATER}, HoldStateError),
        (
            {"status": HoldStatus.VOIDED, "closed_at": NOON - timedelta(seconds=1)},
            InvalidDatetimeError,
        ),
        ({"status": HoldStatus.EXPIRED, "closed_at": LATER}, HoldStateError),
        (
            {"status": HoldStatus.CAPTURED, "captured": cny("1"), "closed_at": EXPIRY},
            HoldStateError,
        ),
    ],
)
def test_holds_that_contradict_themselves_are_refused(
    fields: dict[str, object], error: type[Exception]
) -> None:
    good: dict[str, object] = {
        "hold_id": "H1",
        "account": W1,
        "amount": cny("100"),
        "placed_at": NOON,
        "expires_at": EXPIRY,
    }
    with pytest.raises(error):
        Hold(**(good | fields))  # type: ignore[arg-type]


def test_a_hold_may_be_placed_on_a_merchant_and_may_be_voided_after_its_expiry() -> None:
    hold = Hold("R1", SHOP, cny("5"), NOON, EXPIRY, status="voided", closed_at=EXPIRY)
    assert hold.status is HoldStatus.VOIDED


def test_a_captured_hold_releases_its_pending_money_before_the_capture_is_booked() -> None:
    balances = topped_up("100")
    hold = Hold("H1", W1, cny("80"), NOON, EXPIRY)
    balances[W1] = balances[W1].hold(hold.amount)
    captured = hold.capture(cny("50"), LATER, final=False)
    balances[W1] = balances[W1].release(hold.pending - captured.pending)
    balances |= JournalEntry.transfer("CAP1", W1, SHOP, cny("50"), LATER).apply(balances)
    assert (balances[W1].posted, balances[W1].pending, balances[W1].available) == (
        cny("50"),
        cny("30"),
        cny("20"),
    )
    closed = captured.void(LATER)
    balances[W1] = balances[W1].release(captured.pending - closed.pending)
    assert balances[W1].available == cny("50")
    assert trial_balance(balances.values()).is_zero()


def test_a_balance_books_only_its_own_account_s_postings_of_an_entry() -> None:
    entry = JournalEntry.transfer("E1", W1, W2, Money.of("30"), NOON, fee=Money.of("1"))
    start = AccountBalance(Money.of("100"), Money.of("50"))
    assert start.booked(W1, entry) == AccountBalance(Money.of("69"), Money.of("50"))
    assert start.booked(W2, entry) == AccountBalance(Money.of("130"), Money.of("50"))
    assert start.booked(AccountId.wallet("W9"), entry) == start
    with pytest.raises(InsufficientFundsError):
        AccountBalance(Money.of("40"), Money.of("20")).booked(W1, entry)
