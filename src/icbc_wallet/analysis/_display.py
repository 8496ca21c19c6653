"""A replay's data frame and fee income chart (pandas and matplotlib, imported when called)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from icbc_wallet.analysis._extras import missing_extra
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind

if TYPE_CHECKING:
    import pandas

    from icbc_wallet.analysis.replay import ReplayRow
    from icbc_wallet.analysis.summary import ReplaySummary

__all__ = ["data_frame", "plot_fee_income"]


def data_frame(summary: ReplaySummary, rows: Sequence[ReplayRow] | None) -> pandas.DataFrame:
    """The rows as a frame when kept, else the summary's table (see ``ReplayResult``)."""
    try:
        import pandas as pd  # noqa: PLC0415  # optional
    except ImportError as error:
        raise missing_extra("a data frame", "pandas") from error
    compared = summary.b is not None
    if rows is None:
        labels = [summary.labels[0], *((summary.labels[1], "change") if compared else ())]
        records = [
            [_value(cell) for cell in (first, *((second, change) if compared else ()))]
            for _metric, first, second, change in summary.table()
        ]
        index = pd.Index([metric for metric, *_ in summary.table()], name="metric")
        frame = pd.DataFrame(records, index=index, columns=labels, dtype=object)
    else:
        columns = ["id", "customer", "tier", "at", "kind", "method", "amount", "currency"]
        columns += ["channel", "a_approved", "a_reason", "a_fee"]
        if compared:
            columns += ["b_approved", "b_reason", "b_fee", "changed"]
        frame = pd.DataFrame([_record(row, compared) for row in rows], columns=columns)
    frame.attrs["labels"] = summary.labels
    return frame


def _value(cell: int | Money | None) -> object:
    return cell.amount if isinstance(cell, Money) else cell


def _record(row: ReplayRow, compared: bool) -> list[object]:
    tx, a, b = row.transaction, row.a, row.b
    record: list[object] = [
        tx.id,
        tx.customer,
        tx.tier,
        tx.at,
        tx.kind.value,
        tx.method.value,
        tx.amount.amount,
        tx.amount.currency,
        None if tx.channel is None else tx.channel.value,
        a.approved,
        a.reason,
        a.fee.amount,
    ]
    if compared:
        assert b is not None  # every row of a comparison has both evaluations
        record += [b.approved, b.reason, b.fee.amount, row.changed]
    return record


def plot_fee_income(summary: ReplaySummary, ax: Any = None) -> Any:
    """Grouped bars of fee income by operation kind, one bar per policy set; returns the Axes."""
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415  # optional
    except ImportError as error:
        raise missing_extra("plotting", "matplotlib") from error
    if ax is None:
        _figure, ax = plt.subplots()
    sets = [totals for totals in (summary.a, summary.b) if totals is not None]
    kinds = [
        kind for kind in OperationKind if any(kind in totals.approved_by_kind for totals in sets)
    ]
    width = 0.8 / len(sets)
    positions = range(len(kinds))
    for offset, totals in enumerate(sets):
        heights = [  # a chart's bar heights need not be exact: float is for display only
            float(totals.fee_income_by_kind[kind].amount)
            if kind in totals.fee_income_by_kind
            else 0.0
            for kind in kinds
        ]
        ax.bar([p + offset * width for p in positions], heights, width, label=totals.label)
    ax.set_xticks([p + width * (len(sets) - 1) / 2 for p in positions], [k.value for k in kinds])
    ax.set_ylabel(f"fee income ({summary.currency})")
    ax.set_title("Fee income by operation kind")
    ax.legend()
    return ax
