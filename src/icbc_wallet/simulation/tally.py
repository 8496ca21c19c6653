"""The tally: what a simulation run counts while it runs, turned into the report at the end.

Every command's outcome is counted by kind: ``approved``, ``declined`` (a ``Declined`` result,
counted again by its reason code) or ``refused`` (the service raised for bad input; counted again
by the error's class name). Money that came in (top-ups) and went out (withdrawals to cards) is
summed from the approved results, in minor units, to be checked against the ledger.
"""

from __future__ import annotations

from collections import Counter

from icbc_wallet.domain.decisions import Declined
from icbc_wallet.domain.limit_increase import IncreaseDeclined, LimitIncreaseDecision
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import WalletError
from icbc_wallet.service import OperationResult

__all__ = ["FEE_KINDS", "Tally"]

FEE_KINDS = ("merchant_service", "transfer", "withdrawal")
"""The fees a report lists: customers' (withdrawal, transfer) and merchants' (service fee)."""


class Tally:
    """Counters for one run (mutable; the report is its frozen picture)."""

    def __init__(self) -> None:
        self.operations: Counter[tuple[str, str]] = Counter()
        self.declines: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.fees: dict[str, int] = dict.fromkeys(FEE_KINDS, 0)
        self.refunds: Counter[str] = Counter()
        self.disputes: Counter[str] = Counter()
        self.limit_increases: Counter[str] = Counter()
        self.money_in = 0
        self.money_out = 0
        self.notifications = 0
        self.new_customers = 0
        self.new_merchants = 0

    def result(self, kind: str, result: OperationResult, fee: str | None = None) -> bool:
        """Count a command's result; its fee under ``fee`` when approved. True if approved."""
        decision = result.decision
        if type(decision) is Declined:
            self.operations[kind, "declined"] += 1
            self.declines[decision.reason.code] += 1
            return False
        self.operations[kind, "approved"] += 1
        if fee is not None and result.fee is not None:
            self.fees[fee] += result.fee.minor
        return True

    def approved(self, kind: str) -> None:
        """Count a command that went through and has no decision (a registration)."""
        self.operations[kind, "approved"] += 1

    def refused(self, kind: str, error: WalletError) -> None:
        """Count a command the service refused by raising (bad input, a wrong state)."""
        self.operations[kind, "refused"] += 1
        self.refusals[type(error).__name__] += 1

    def increase(self, decision: LimitIncreaseDecision) -> bool:
        """Count a limit increase's review: approved, or declined with every reason."""
        if type(decision) is IncreaseDeclined:
            self.operations["limit_increase", "declined"] += 1
            self.limit_increases["declined"] += 1
            self.declines.update(reason.code for reason in decision.decline_reasons)
            return False
        self.operations["limit_increase", "approved"] += 1
        self.limit_increases["approved"] += 1
        return True

    def moved_in(self, amount: Money) -> None:
        """An approved top-up: money came in from a bank card."""
        self.money_in += amount.minor

    def moved_out(self, amount: Money) -> None:
        """An approved withdrawal: money went out to a bank card (its fee stays as income)."""
        self.money_out += amount.minor
