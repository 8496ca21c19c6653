"""The simulation report: what one run did, and whether money was conserved (checked).

:class:`SimulationReport` is a frozen value: :meth:`~SimulationReport.to_dict` gives a JSON-ready
dictionary (money as decimal strings, keys sorted: the same seed and period give the same
dictionary), :meth:`~SimulationReport.render` prints Rich tables, and
:attr:`~SimulationReport.ok` says whether both checks passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Final

import attrs
from rich.console import Console
from rich.table import Table
from rich.text import Text

from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.money import Money

__all__ = ["OUTCOMES", "SimulationReport"]

OUTCOMES: Final = ("approved", "declined", "refused")
"""An operation's outcomes: went through, declined by a policy (a value), refused (raised)."""

_KINDS: Final = {
    "registration": "Registrations",
    "card_binding": "Card bindings (tier up)",
    "top_up": "Top-ups from cards",
    "payment_static_qr": "Payments: static QR",
    "payment_dynamic_qr": "Payments: dynamic QR",
    "payment_nfc": "Payments: NFC",
    "payment_online": "Payments: online",
    "bill_payment": "Bill payments",
    "transfer": "Transfers",
    "withdrawal": "Withdrawals to cards",
    "refund_request": "Refund requests",
    "refund_answer": "Refund answers (merchants)",
    "dispute": "Disputes opened",
    "dispute_response": "Dispute responses (merchants)",
    "dispute_decision": "Dispute decisions (bank)",
    "dispute_withdrawal": "Disputes withdrawn (customers)",
    "limit_increase": "Limit increase applications",
}
_FEES: Final = {
    "withdrawal": "Withdrawal fees (customers)",
    "transfer": "Transfer fees (customers)",
    "merchant_service": "Service fees (merchants)",
}


def _frozen_map(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """A read-only copy, sorted by key (a Counter or a dict in)."""
    return MappingProxyType(dict(sorted(value.items())))


def _kind_order(kind: str) -> tuple[int, str]:
    order = list(_KINDS)
    return (order.index(kind), kind) if kind in _KINDS else (len(order), kind)


def _amount(money: Money) -> str:
    return f"{money.amount:,}"


@attrs.frozen
class SimulationReport:
    """What a simulation run did. Counts are of this run only; the checks cover the whole database.

    Attributes:
        start: the first simulated day (business date).
        end: the last simulated day (inclusive).
        days: how many days were simulated.
        seed: the population's seed.
        customers: the population's size (registered customers).
        new_customers: how many registered in this run (zero when continuing).
        merchants: how many merchants.
        new_merchants: how many were registered in this run.
        operations: how many commands of each kind ended in each outcome (``approved``,
            ``declined`` by a policy, ``refused``: the service raised for bad input).
        declines: declines by reason code (``limit.daily``; a declined limit increase counts
            each of its reasons).
        refusals: refused commands by error class name (``CardNotBoundError``).
        fees: fees charged in this run by kind (``withdrawal``, ``transfer``: customers';
            ``merchant_service``: merchants'), as the service's results reported them.
        refunds: refund requests by outcome (requested, declined, accepted, partly accepted,
            refused, lapsed).
        disputes: disputes by outcome (opened, declined, responded, merchant or customer
            responsible, decided by default when the merchant stayed silent, withdrawn).
        limit_increases: limit increase applications by outcome (approved, declined).
        notifications: events the outbox delivered to the notifier during the run.
        money_in: what approved top-ups brought in.
        money_out: what approved withdrawals sent out to cards.
        held_before: money inside the system when the run began (all accounts but the bank
            settlement mirror: wallets, merchants, fee income, dispute suspense).
        held_after: the same when it ended.
        fee_income: how much the fee income account grew (fees charged less fees given back
            with refunds and disputes).
        ledger_total: the sum of all posted balances at the end (zero when balanced).
        conserved: the ledger sums to zero and ``held_after - held_before == money_in -
            money_out``.
        database_checked: the store's own full check passed (SQLite ``integrity_check`` and the
            audit of the books; the ledger port audit for the in-memory store).
        problems: what the checks found (empty when both passed).
    """

    start: date
    end: date
    days: int
    seed: int
    customers: int
    new_customers: int
    merchants: int
    new_merchants: int
    operations: Mapping[tuple[str, str], int] = attrs.field(converter=_frozen_map)
    declines: Mapping[str, int] = attrs.field(converter=_frozen_map)
    refusals: Mapping[str, int] = attrs.field(converter=_frozen_map)
    fees: Mapping[str, Money] = attrs.field(converter=_frozen_map)
    refunds: Mapping[str, int] = attrs.field(converter=_frozen_map)
    disputes: Mapping[str, int] = attrs.field(converter=_frozen_map)
    limit_increases: Mapping[str, int] = attrs.field(converter=_frozen_map)
    notifications: int
    money_in: Money
    money_out: Money
    held_before: Money
    held_after: Money
    fee_income: Money
    ledger_total: Money
    conserved: bool
    database_checked: bool
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when money was conserved and the database passed its checks."""
        return self.conserved and self.database_checked

    def count(self, kind: str, outcome: str | None = None) -> int:
        """How many commands of ``kind`` ended in ``outcome`` (in any outcome when None)."""
        outcomes = OUTCOMES if outcome is None else (outcome,)
        return sum(self.operations.get((kind, each), 0) for each in outcomes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: money as decimal strings (``"12.30"``), keys sorted."""
        operations: dict[str, dict[str, int]] = {}
        for (kind, outcome), number in self.operations.items():
            operations.setdefault(kind, {})[outcome] = number
        return {
            "conserved": self.conserved,
            "currency": self.money_in.currency,
            "customers": {"new": self.new_customers, "total": self.customers},
            "database_checked": self.database_checked,
            "declines": dict(self.declines),
            "disputes": dict(self.disputes),
            "fees": {kind: str(fee.amount) for kind, fee in self.fees.items()},
            "limit_increases": dict(self.limit_increases),
            "merchants": {"new": self.new_merchants, "total": self.merchants},
            "money": {
                "fee_income": str(self.fee_income.amount),
                "held_after": str(self.held_after.amount),
                "held_before": str(self.held_before.amount),
                "in": str(self.money_in.amount),
                "ledger_total": str(self.ledger_total.amount),
                "out": str(self.money_out.amount),
            },
            "notifications": self.notifications,
            "ok": self.ok,
            "operations": {kind: dict(sorted(o.items())) for kind, o in sorted(operations.items())},
            "period": {
                "days": self.days,
                "end": self.end.isoformat(),
                "start": self.start.isoformat(),
            },
            "problems": list(self.problems),
            "refunds": dict(self.refunds),
            "refusals": dict(self.refusals),
            "seed": self.seed,
        }

    def render(self, console: Console) -> None:
        """Print the report as Rich tables, ending with a green or red "money conserved" line."""
        console.print(
            f"[bold]Simulated {self.start.isoformat()} to {self.end.isoformat()}[/bold] "
            f"({self.days} days, seed {self.seed}): {self.customers} customers "
            f"({self.new_customers} new), {self.merchants} merchants ({self.new_merchants} new)"
        )
        console.print(self._operations_table())
        console.print(self._declines_table())
        console.print(self._fees_table())
        console.print(self._outcomes_table())
        console.print(self._money_table())
        for problem in self.problems:
            console.print(Text(f"  {problem}", style="red"))
        currency = self.money_in.currency
        if self.ok:
            console.print(
                Text(
                    f"✔ Money conserved: the ledger sums to {_amount(self.ledger_total)} "
                    f"{currency}, held grew by in - out, and the database checks passed.",
                    style="bold green",
                )
            )
        else:
            what = "money NOT conserved" if not self.conserved else "database checks FAILED"
            console.print(Text(f"✘ Checks failed: {what} (see above).", style="bold red"))

    def _operations_table(self) -> Table:
        table = Table(title="Operations by kind and outcome", title_justify="left")
        table.add_column("Operation")
        for outcome in OUTCOMES:
            table.add_column(outcome.capitalize(), justify="right")
        table.add_column("Total", justify="right")
        for kind in sorted({kind for kind, _ in self.operations}, key=_kind_order):
            counts = [self.count(kind, outcome) for outcome in OUTCOMES]
            table.add_row(_KINDS.get(kind, kind), *map(str, counts), str(sum(counts)))
        return table

    def _declines_table(self) -> Table:
        table = Table(title="Declines by reason", title_justify="left")
        for column in ("Code", "Reason", "Count"):
            table.add_column(column, justify="right" if column == "Count" else "left")
        for code, number in sorted(self.declines.items(), key=lambda item: (-item[1], item[0])):
            table.add_row(code, _reason(code), str(number))
        for name, number in sorted(self.refusals.items(), key=lambda item: (-item[1], item[0])):
            table.add_row(name, "Refused: the service raised for bad input", str(number))
        return table

    def _fees_table(self) -> Table:
        table = Table(title="Fees charged by kind", title_justify="left")
        table.add_column("Fee")
        table.add_column(self.money_in.currency, justify="right")
        for kind, fee in self.fees.items():
            table.add_row(_FEES.get(kind, kind), _amount(fee))
        table.add_row("Fee income booked (ledger, net of returns)", _amount(self.fee_income))
        return table

    def _outcomes_table(self) -> Table:
        table = Table(title="Refunds, disputes and limit increases", title_justify="left")
        for column in ("Of", "Outcome", "Count"):
            table.add_column(column, justify="right" if column == "Count" else "left")
        for section, counts in (
            ("Refunds", self.refunds),
            ("Disputes", self.disputes),
            ("Limit increases", self.limit_increases),
        ):
            for outcome, number in counts.items():
                table.add_row(section, outcome.replace("_", " "), str(number))
        return table

    def _money_table(self) -> Table:
        table = Table(title="Money", title_justify="left")
        table.add_column("")
        table.add_column(self.money_in.currency, justify="right")
        for label, money in (
            ("Came in (top-ups)", self.money_in),
            ("Went out (withdrawals to cards)", self.money_out),
            ("Held in the system before", self.held_before),
            ("Held in the system after", self.held_after),
            ("Ledger total (all accounts)", self.ledger_total),
        ):
            table.add_row(label, _amount(money))
        table.add_row("Notifications delivered", str(self.notifications))
        return table


def _reason(code: str) -> str:
    try:
        return DeclineReason(code).message("en")
    except ValueError:  # a code from a newer version of the library
        return ""
