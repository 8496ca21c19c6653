"""Replays: a transaction file evaluated under one policy set, or under two side by side.

:func:`replay` runs every :class:`~icbc_wallet.analysis.Transaction` of a stream through a
:class:`PolicyEvaluator` for policy set A (and one for B, given ``against``) and sums up: per
set, approvals, declines by reason and fee income by kind; between the two, the approvals lost
and gained, the fee income delta (B - A), and how many rows and customers the change affects.
Bad rows (:class:`~icbc_wallet.analysis.RowError`) are counted and handed to ``on_error``, never
dropped. Memory is one record per customer; the rows themselves are kept only when asked
(``keep_rows=True``), else each is handed to ``on_row`` and forgotten.

*Fee income* is what the bank earns: the customers' fees (withdrawals, transfers, ...) plus the
merchants' fees on payments, both from approved transactions only.

A daily cap of 2,000 in place of 5,000 for the lowest e-CNY tier, over a generated month:

```pycon
>>> import attrs
>>> from icbc_wallet.analysis import generate_transactions
>>> from icbc_wallet.domain.limits import Limit
>>> from icbc_wallet.service import WalletPolicies
>>> current = WalletPolicies.default()
>>> wl04 = attrs.evolve(current.limits.tiers[0], limit=Limit.of(per_transaction="2000", daily="2000"))
>>> stricter = attrs.evolve(current, limits=attrs.evolve(
...     current.limits, tiers=(wl04, *current.limits.tiers[1:])))
>>> result = replay(generate_transactions(rows=5_000, customers=50), current, stricter,
...                 labels=("today", "WL04 daily 2,000"))
>>> summary = result.summary
>>> summary.rows, summary.approvals_lost, summary.approvals_gained, summary.customers_affected
(5000, 177, 2, 5)
>>> summary.b.declines["limit.daily"] - summary.a.declines["limit.daily"]
175

```

A stricter limit may still *gain* approvals, as here: a payment it declines leaves room under the
daily cap for a later one that the looser limit had to decline. What is sure is that for each
customer, the first transaction decided differently is not a gain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Final

import attrs

from icbc_wallet.analysis._rows import RowError, Transaction
from icbc_wallet.analysis.evaluator import UNKNOWN_TIER, Evaluation, PolicyEvaluator
from icbc_wallet.analysis.summary import PolicyTotals, ReplayResult, ReplaySummary
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.errors import InvalidReplayError
from icbc_wallet.service.config import WalletPolicies

__all__ = [
    "FIRST_ERRORS_KEPT",
    "Evaluation",
    "PolicyEvaluator",
    "PolicyTotals",
    "ReplayResult",
    "ReplayRow",
    "ReplaySummary",
    "replay",
]

FIRST_ERRORS_KEPT: Final = 100
"""How many bad rows a summary keeps (all are counted, and all go to ``on_error``)."""


@attrs.frozen
class ReplayRow:
    """One transaction and what each policy set decided (``b`` is None without ``against``)."""

    transaction: Transaction
    a: Evaluation
    b: Evaluation | None = None

    @property
    def changed(self) -> bool:
        """True when policy set B decided differently from A (approval, reason or fee)."""
        return self.b is not None and self.a != self.b


class _Tally:
    """Running totals of one policy set over a replay."""

    __slots__ = ("approved", "declines", "fees", "unknown_tiers")

    def __init__(self) -> None:
        self.approved: dict[OperationKind, int] = dict.fromkeys(OperationKind, 0)
        self.fees: dict[OperationKind, int] = dict.fromkeys(OperationKind, 0)
        self.declines: Counter[str] = Counter()
        self.unknown_tiers: Counter[str] = Counter()

    def add(self, transaction: Transaction, evaluation: Evaluation) -> None:
        if evaluation.approved:
            kind = transaction.kind
            self.approved[kind] += 1
            self.fees[kind] += evaluation.fee.minor
        else:
            reason = evaluation.reason
            self.declines[reason] += 1  # type: ignore[index]  # a decline has a reason
            if reason == UNKNOWN_TIER:
                self.unknown_tiers[transaction.tier] += 1

    def totals(self, label: str, currency: str) -> PolicyTotals:
        kinds = [kind for kind in OperationKind if self.approved[kind] or self.fees[kind]]
        return PolicyTotals(
            label=label,
            approved=sum(self.approved.values()),
            declined=sum(self.declines.values()),
            declines=Counter(dict(self.declines.most_common())),
            approved_by_kind={kind: self.approved[kind] for kind in kinds},
            fee_income=Money._make(sum(self.fees.values()), currency),
            fee_income_by_kind={kind: Money._make(self.fees[kind], currency) for kind in kinds},
            unknown_tiers=Counter(dict(self.unknown_tiers.most_common())),
        )


def _labels(labels: object) -> tuple[str, str]:
    if (
        isinstance(labels, tuple)
        and len(labels) == 2
        and all(isinstance(label, str) and label.strip() for label in labels)
        and labels[0] != labels[1]
    ):
        return labels
    raise InvalidReplayError(f"labels must be two different non-empty strings, not {labels!r}")


def replay(  # noqa: PLR0912  # one loop: a call per row costs more than its branches
    items: Iterable[Transaction | RowError],
    policy: WalletPolicies,
    against: WalletPolicies | None = None,
    *,
    labels: tuple[str, str] = ("A", "B"),
    on_row: Callable[[ReplayRow], None] | None = None,
    on_error: Callable[[RowError], None] | None = None,
    keep_rows: bool = False,
) -> ReplayResult:
    """Evaluate ``items`` under ``policy`` (A), and under ``against`` (B) when given.

    Args:
        items: transactions and bad rows, each customer's transactions in time order (as
            :func:`~icbc_wallet.analysis.read_transactions` or
            :func:`~icbc_wallet.analysis.generate_transactions` yield them).
        policy: policy set A.
        against: policy set B, compared with A row by row; None for a replay of A alone.
        labels: the names of A and B in the summary and its displays.
        on_row: called with each :class:`ReplayRow` as it is decided (a progress bar, a writer).
        on_error: called with each bad row as it comes.
        keep_rows: keep every :class:`ReplayRow` in the result (memory grows with the rows).

    Returns:
        The :class:`ReplayResult`: its summary, and its rows when kept.

    Raises:
        InvalidReplayError: bad labels, the two sets in different currencies, or an item that is
            neither a Transaction nor a RowError.
    """
    labels = _labels(labels)
    evaluator_a = PolicyEvaluator(policy)
    evaluate_a = evaluator_a.evaluate
    evaluator_b = None if against is None else PolicyEvaluator(against)
    currency = policy.limits.currency
    if evaluator_b is not None and evaluator_b.currency != currency:
        raise InvalidReplayError(
            f"policy sets in {currency} and {evaluator_b.currency} cannot be compared"
        )
    evaluate_b = None if evaluator_b is None else evaluator_b.evaluate
    tally_a, tally_b = _Tally(), _Tally()
    add_a, add_b = tally_a.add, tally_b.add
    kept: list[ReplayRow] | None = [] if keep_rows else None
    first_errors: list[RowError] = []
    affected: set[str] = set()
    rows = bad_rows = changed = lost = gained = 0
    for item in items:
        if type(item) is not Transaction:
            if not isinstance(item, RowError):
                raise InvalidReplayError(
                    f"a replay takes Transaction and RowError items, not {type(item).__name__}"
                )
            bad_rows += 1
            if len(first_errors) < FIRST_ERRORS_KEPT:
                first_errors.append(item)
            if on_error is not None:
                on_error(item)
            continue
        rows += 1
        a = evaluate_a(item)
        add_a(item, a)
        b = None
        if evaluate_b is not None:
            b = evaluate_b(item)
            add_b(item, b)
            if a is not b and a != b:
                changed += 1
                affected.add(item.customer)
                if a.approved != b.approved:
                    if a.approved:
                        lost += 1
                    else:
                        gained += 1
        if kept is not None or on_row is not None:
            row = ReplayRow(item, a, b)
            if kept is not None:
                kept.append(row)
            if on_row is not None:
                on_row(row)
    totals_a = tally_a.totals(labels[0], currency)
    totals_b = None if evaluate_b is None else tally_b.totals(labels[1], currency)
    compared = totals_b is not None
    summary = ReplaySummary(
        labels=labels,
        currency=currency,
        rows=rows,
        bad_rows=bad_rows,
        first_errors=tuple(first_errors),
        customers=evaluator_a.customers,
        a=totals_a,
        b=totals_b,
        rows_changed=changed if compared else None,
        approvals_lost=lost if compared else None,
        approvals_gained=gained if compared else None,
        fee_delta=totals_b.fee_income - totals_a.fee_income if totals_b is not None else None,
        customers_affected=len(affected) if compared else None,
    )
    return ReplayResult(summary, None if kept is None else tuple(kept))
