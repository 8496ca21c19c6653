"""The replay summary as Rich tables: one column per policy set, and the change."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from icbc_wallet.analysis import ReplayResult
from icbc_wallet.analysis.summary import format_cell


def render_summary(console: Console, result: ReplayResult) -> None:
    """Print the headline and the figures of ``result`` (A, B and B − A when compared)."""
    summary = result.summary
    compared = summary.b is not None
    table = Table(title=f"replay ({summary.currency})", title_justify="left")
    table.add_column("")
    table.add_column(summary.labels[0], justify="right")
    if compared:
        table.add_column(summary.labels[1], justify="right")
        table.add_column("change", justify="right")
    for metric, a, b, change in summary.table():
        cells = [metric, format_cell(a)]
        if compared:
            cells += [format_cell(b), format_cell(change, signed=True)]
        table.add_row(*cells)
    console.print(table)
    console.print(summary.headline(), markup=False, soft_wrap=True)
    if summary.bad_rows:
        console.print(
            f"{summary.bad_rows:,} bad rows were not evaluated (listed on stderr with their "
            "line numbers); the exit code is 1.",
            markup=False,
        )
