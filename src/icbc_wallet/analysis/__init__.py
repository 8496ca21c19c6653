"""Analysis: replay transaction files against policy sets, and generate synthetic ones.

:func:`read_transactions` streams a CSV or Parquet file; :func:`replay` evaluates it under one
policy set, or two side by side, and sums up what changes; :func:`generate_transactions` makes a
realistic synthetic month. pandas, pyarrow and matplotlib (``pip install 'icbc-wallet[analysis]'``)
are needed only for Parquet files, data frames and plots.
"""

from __future__ import annotations

from icbc_wallet.analysis.evaluator import Evaluation, PolicyEvaluator
from icbc_wallet.analysis.generate import generate_transactions
from icbc_wallet.analysis.replay import ReplayRow, replay
from icbc_wallet.analysis.summary import PolicyTotals, ReplayResult, ReplaySummary
from icbc_wallet.analysis.transactions import (
    RowError,
    Transaction,
    TransactionReader,
    read_transactions,
    write_transactions,
)
from icbc_wallet.errors import TransactionFileError

__all__ = [
    "Evaluation",
    "PolicyEvaluator",
    "PolicyTotals",
    "ReplayResult",
    "ReplayRow",
    "ReplaySummary",
    "RowError",
    "Transaction",
    "TransactionFileError",
    "TransactionReader",
    "generate_transactions",
    "read_transactions",
    "replay",
    "write_transactions",
]
