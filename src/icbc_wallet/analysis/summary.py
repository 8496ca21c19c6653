"""Replay summaries: what one policy set decided over a replay, and what a second one changes.

A :class:`ReplaySummary` holds the counts a replay ends with: per policy set a
:class:`PolicyTotals` (approvals, declines by reason, fee income by kind), and between the two
sets the approvals lost and gained, the fee income delta and the rows and customers affected. A
:class:`ReplayResult` wraps it with the rows (when kept) and the displays analysts use: a dict for
JSON, a pandas data frame, an HTML table for notebooks and a bar chart of fee income.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from icbc_wallet.analysis._rows import RowError
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.errors import RowsNotKeptError

if TYPE_CHECKING:
    import pandas

    from icbc_wallet.analysis.replay import ReplayRow

__all__ = ["PolicyTotals", "ReplayResult", "ReplaySummary", "format_cell"]

Cell = int | Money | None


@attrs.frozen
class PolicyTotals:
    """What one policy set decided over a replay.

    Attributes:
        label: the set's name in the replay (``"A"``, ``"current"``).
        approved: transactions approved.
        declined: transactions declined (``replay.*`` codes included).
        declines: declines by reason code, most common first.
        approved_by_kind: approvals per operation kind (kinds with none are left out).
        fee_income: the bank's fee income: customers' fees plus merchants' fees.
        fee_income_by_kind: fee income per operation kind (payments: merchants' fees).
        unknown_tiers: the tiers the set does not know, with how many rows named each.
    """

    label: str
    approved: int
    declined: int
    declines: Counter[str]
    approved_by_kind: Mapping[OperationKind, int]
    fee_income: Money
    fee_income_by_kind: Mapping[OperationKind, Money]
    unknown_tiers: Counter[str]

    def to_dict(self) -> dict[str, Any]:
        """The totals as JSON-ready data (money as decimal strings)."""
        return {
            "label": self.label,
            "approved": self.approved,
            "declined": self.declined,
            "declines": dict(self.declines),
            "approved_by_kind": {kind.value: n for kind, n in self.approved_by_kind.items()},
            "fee_income": str(self.fee_income.amount),
            "fee_income_by_kind": {
                kind.value: str(fee.amount) for kind, fee in self.fee_income_by_kind.items()
            },
            "unknown_tiers": dict(self.unknown_tiers),
        }


@attrs.frozen
class ReplaySummary:
    """The outcome of a replay, in numbers.

    Attributes:
        labels: the names of policy sets A and B.
        currency: the policy sets' currency.
        rows: transactions evaluated (bad rows not included).
        bad_rows: rows that were not transactions.
        first_errors: the first bad rows (at most ``FIRST_ERRORS_KEPT``), in file order.
        customers: distinct customers among the transactions.
        a: what policy set A decided.
        b: what policy set B decided; None without ``against`` (as are the fields below).
        rows_changed: transactions B decided differently (approval, reason or fee).
        approvals_lost: transactions A approved and B declines.
        approvals_gained: transactions A declined and B approves.
        fee_delta: B's fee income minus A's.
        customers_affected: distinct customers with at least one changed transaction.
    """

    labels: tuple[str, str]
    currency: str
    rows: int
    bad_rows: int
    first_errors: tuple[RowError, ...]
    customers: int
    a: PolicyTotals
    b: PolicyTotals | None = None
    rows_changed: int | None = None
    approvals_lost: int | None = None
    approvals_gained: int | None = None
    fee_delta: Money | None = None
    customers_affected: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data (money as decimal strings; ``comparison`` None for one set)."""
        comparison = None
        if self.b is not None:
            assert self.fee_delta is not None  # set together with b
            comparison = {
                "rows_changed": self.rows_changed,
                "approvals_lost": self.approvals_lost,
                "approvals_gained": self.approvals_gained,
                "fee_delta": str(self.fee_delta.amount),
                "customers_affected": self.customers_affected,
            }
        return {
            "labels": list(self.labels),
            "currency": self.currency,
            "rows": self.rows,
            "bad_rows": self.bad_rows,
            "first_errors": [{"line": e.line, "message": e.message} for e in self.first_errors],
            "customers": self.customers,
            "policies": [totals.to_dict() for totals in (self.a, self.b) if totals is not None],
            "comparison": comparison,
        }

    def table(self) -> list[tuple[str, Cell, Cell, Cell]]:
        """The per-set figures as ``(metric, A, B, B - A)`` rows (B and the change None for one set).

        Metrics: ``approved``, ``declined``, ``declined: <reason>`` for every reason either set
        gave, ``fee income`` and ``fee income: <kind>`` for every kind with approvals.
        """
        a, b = self.a, self.b
        rows: list[tuple[str, Cell, Cell, Cell]] = []

        def add(metric: str, first: Cell, second: Cell) -> None:
            change: Cell = None
            if isinstance(first, Money) and isinstance(second, Money):
                change = second - first
            elif isinstance(first, int) and isinstance(second, int):
                change = second - first  # a count, not money
            rows.append((metric, first, second, change))

        add("approved", a.approved, None if b is None else b.approved)
        add("declined", a.declined, None if b is None else b.declined)
        reasons = list(a.declines) + [r for r in (b.declines if b else ()) if r not in a.declines]
        for reason in reasons:
            add(
                f"declined: {reason}", a.declines[reason], None if b is None else b.declines[reason]
            )
        add("fee income", a.fee_income, None if b is None else b.fee_income)
        kinds = [
            k for k in OperationKind if k in a.approved_by_kind or (b and k in b.approved_by_kind)
        ]
        zero = Money._make(0, self.currency)
        for kind in kinds:
            add(
                f"fee income: {kind.value}",
                a.fee_income_by_kind.get(kind, zero),
                None if b is None else b.fee_income_by_kind.get(kind, zero),
            )
        return rows

    def headline(self) -> str:
        """One sentence: how many rows, customers, bad rows, and what changed."""
        text = f"{self.rows:,} transactions from {self.customers:,} customers"
        if self.bad_rows:
            text += f", {self.bad_rows:,} bad rows"
        if self.b is not None:
            text += (
                f"; {self.rows_changed:,} decided differently by {self.labels[1]} "
                f"({self.approvals_lost:,} approvals lost, {self.approvals_gained:,} gained) "
                f"for {self.customers_affected:,} customers"
            )
        return text + "."


def format_cell(value: Cell, *, signed: bool = False) -> str:
    """A :meth:`ReplaySummary.table` cell as text: ``1,234``, ``5.97``, signed for changes."""
    if value is None:
        return ""
    number = value.amount if isinstance(value, Money) else value
    return f"{number:+,}" if signed else f"{number:,}"


@attrs.frozen(repr=False)
class ReplayResult:
    """A replay's summary, its rows when kept, and its displays."""

    summary: ReplaySummary
    _rows: tuple[ReplayRow, ...] | None = None

    @property
    def rows(self) -> tuple[ReplayRow, ...]:
        """Every row with its evaluations, in order.

        Raises:
            RowsNotKeptError: the replay ran without ``keep_rows=True``.
        """
        if self._rows is None:
            raise RowsNotKeptError(
                "this replay did not keep its rows; run replay(..., keep_rows=True), or pass "
                "on_row= to see each row as it is decided"
            )
        return self._rows

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data (the rows are not included)."""
        return self.summary.to_dict()

    def to_dataframe(self) -> pandas.DataFrame:
        """A pandas data frame: one row per transaction when the rows were kept, else the summary.

        With rows: ``id, customer, tier, at, kind, method, amount, currency, channel``, then
        ``a_approved, a_reason, a_fee`` (and ``b_...``, ``changed`` with a second set); money
        as exact ``Decimal``. Without: :meth:`ReplaySummary.table`, indexed by metric, one
        column per set and ``change``. The labels are in ``frame.attrs["labels"]``.

        Raises:
            MissingExtraError: pandas is not installed.
        """
        from icbc_wallet.analysis._display import data_frame  # noqa: PLC0415  # pandas is optional

        return data_frame(self.summary, self._rows)

    def plot_fee_income(self, ax: Any = None) -> Any:
        """Bar chart of fee income by operation kind, A beside B; returns the matplotlib Axes.

        Raises:
            MissingExtraError: matplotlib is not installed.
        """
        from icbc_wallet.analysis._display import plot_fee_income  # noqa: PLC0415  # optional

        return plot_fee_income(self.summary, ax)

    def __repr__(self) -> str:
        summary = self.summary
        text = f"ReplayResult({summary.rows} rows, {summary.bad_rows} bad"
        for totals in (summary.a, summary.b):
            if totals is not None:
                text += f"; {totals.label}: {totals.approved} approved, fees {totals.fee_income}"
        if summary.fee_delta is not None:
            text += f"; {summary.rows_changed} changed, fee delta {summary.fee_delta}"
        return text + ")"

    def _repr_html_(self) -> str:
        summary = self.summary
        compared = summary.b is not None
        heads = [summary.labels[0], *((summary.labels[1], "change") if compared else ())]
        parts = [
            "<table>",
            f"<caption>{html.escape(summary.headline())}</caption>",
            "<thead><tr><th></th>",
        ]
        parts += [f'<th style="text-align:right">{html.escape(head)}</th>' for head in heads]
        parts.append("</tr></thead><tbody>")
        for metric, first, second, change in summary.table():
            cells = [format_cell(first)] + (
                [format_cell(second), format_cell(change, signed=True)] if compared else []
            )
            parts.append(f"<tr><th style='text-align:left'>{html.escape(metric)}</th>")
            parts += [f'<td style="text-align:right">{html.escape(cell)}</td>' for cell in cells]
            parts.append("</tr>")
        parts.append("</tbody></table>")
        return "".join(parts)
