"""Plots: spending over time and limit headroom, drawn with matplotlib for a notebook.

Each function draws on the matplotlib ``Axes`` it is given (``ax=``) or on a new figure's, and
returns the Axes, so plots can be combined, titled and saved as usual. matplotlib is imported
only when a plot is drawn; without it a :class:`~icbc_wallet.errors.MissingExtraError` says
``pip install 'icbc-wallet[analysis]'``. Nothing here picks a backend: a notebook shows the
figure inline, a script or test may use any (Agg included).

Money is added up exactly (as :class:`~decimal.Decimal`); only the bar heights handed to
matplotlib are floats.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from icbc_wallet.analysis._extras import missing_extra
from icbc_wallet.domain import _html
from icbc_wallet.domain.headroom import limit_headroom
from icbc_wallet.domain.limits import LimitSchedule, LimitWindow, PaymentMethod
from icbc_wallet.domain.usage import LimitUsage
from icbc_wallet.errors import InvalidFrameError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["plot_limit_headroom", "plot_spending_by_category", "spending_table"]

_SPENDING_KINDS: Final = ("payment", "refund")
_UNCATEGORISED: Final = "other"


def _axes(ax: Axes | None) -> Axes:
    """``ax``, or the Axes of a new figure (matplotlib imported here, late)."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415  # an optional extra
    except ImportError as error:
        raise missing_extra("plotting", "matplotlib") from error
    _, new = plt.subplots(figsize=(8, 4), layout="constrained")
    return new


def _require(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InvalidFrameError(
            f"the frame has no column {', '.join(map(repr, missing))}; "
            f"its columns are {list(map(str, frame.columns))}"
        )


def _period_label(period: pd.Period) -> str:
    shown = str(period)
    return str(period.start_time.date()) if "/" in shown else shown


def spending_table(
    frame: pd.DataFrame, *, freq: str = "W", by: str = "category"
) -> tuple[list[str], dict[Hashable, list[Decimal]]]:
    """Spending per period and per ``by`` value, added up exactly: ``(periods, {key: amounts})``.

    A statement's frame (one with a ``balance_after`` column, from
    :meth:`Statement.to_dataframe <icbc_wallet.domain.statements.Statement.to_dataframe>`) spends
    on its payments less its refunds (their signed amounts, negated); any other frame (a
    transaction file's) is outflows, every row spending its ``amount``. Rows without a ``by``
    value count as ``"other"``. Keys are ordered by total spending, largest first.

    Args:
        frame: the rows, with ``at`` (aware datetimes), ``amount`` and the ``by`` column.
        freq: a pandas period alias: ``"D"``, ``"W"`` (weeks from Monday), ``"M"``.
        by: the column to split by: ``"category"``, or ``"method"``, ``"kind"``, ...

    Raises:
        InvalidFrameError: a column is missing.
        MissingExtraError: pandas is not installed.
    """
    try:
        import pandas as pd  # noqa: PLC0415  # an optional extra
    except ImportError as error:
        raise missing_extra("plotting spending", "pandas") from error
    _require(frame, ("at", "amount", by))
    statement = "balance_after" in frame.columns
    if statement:
        _require(frame, ("kind",))
        frame = frame[frame["kind"].isin(_SPENDING_KINDS)]
    at = pd.to_datetime(frame["at"])
    local = at.dt.tz_localize(None) if at.dt.tz is not None else at
    periods = local.dt.to_period(freq)
    keys = frame[by].astype(object).where(frame[by].notna(), _UNCATEGORISED)
    order = sorted(set(periods))
    slot = {period: index for index, period in enumerate(order)}
    sums: dict[Hashable, list[Decimal]] = {}
    for period, key, amount in zip(periods, keys, frame["amount"], strict=True):
        spent = -amount if statement else amount
        row = sums.setdefault(key, [Decimal(0)] * len(order))
        row[slot[period]] += spent
    ranked = sorted(sums, key=lambda key: (-sum(sums[key], Decimal(0)), str(key)))
    return [_period_label(period) for period in order], {key: sums[key] for key in ranked}


def plot_spending_by_category(
    frame: pd.DataFrame, *, freq: str = "W", by: str = "category", ax: Axes | None = None
) -> Axes:
    """Stacked bars of spending per period, one colour per category (or per ``by`` value).

    Refunds larger than a period's payments stack below zero. See :func:`spending_table` for
    which rows count as spending.

    Args:
        frame: a statement's or a transaction file's rows as a DataFrame.
        freq: ``"D"``, ``"W"`` or ``"M"``: one bar per day, week or month; a week runs from
            Monday and is labelled with that Monday's date.
        by: the column that splits the bars (``"category"``, ``"method"``, ``"kind"``).
        ax: the Axes to draw on; a new figure's when None.

    Returns:
        The Axes, with one bar container per category, in the legend's order.

    Raises:
        InvalidFrameError: a column is missing.
        MissingExtraError: pandas or matplotlib is not installed.
    """
    labels, sums = spending_table(frame, freq=freq, by=by)
    axes = _axes(ax)
    positions = list(range(len(labels)))
    above, below = [0.0] * len(labels), [0.0] * len(labels)
    for key, amounts in sums.items():
        heights = [float(amount) for amount in amounts]
        bottoms = [below[i] if height < 0 else above[i] for i, height in enumerate(heights)]
        axes.bar(positions, heights, bottom=bottoms, label=str(key), width=0.8)
        for i, height in enumerate(heights):
            if height < 0:
                below[i] += height
            else:
                above[i] += height
    currency = _currency(frame)
    crowded = len(labels) > _UPRIGHT_LABELS
    axes.set_xticks(
        positions, labels, rotation=45 if crowded else 0, ha="right" if crowded else "center"
    )
    axes.set_ylabel(f"spending ({currency})" if currency else "spending")
    axes.set_title(f"Spending by {by}, per {_PERIODS.get(freq, freq)}")
    axes.axhline(0, color="black", linewidth=0.5)
    if sums:
        axes.legend(title=by, fontsize="small")
    return axes


_PERIODS: Final = {"D": "day", "W": "week", "M": "month"}
_UPRIGHT_LABELS: Final = 6  # more period labels than this are slanted so they do not overlap


def _currency(frame: pd.DataFrame) -> str | None:
    if "currency" in frame.columns:
        found = set(frame["currency"].dropna())
        return str(next(iter(found))) if len(found) == 1 else None
    currency = frame.attrs.get("currency")
    return None if currency is None else str(currency)


def plot_limit_headroom(
    schedule: LimitSchedule,
    tier: str,
    usage: LimitUsage,
    now: datetime,
    *,
    method: PaymentMethod | str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Used against remaining, per window, as a share of each binding cap.

    One bar per limit window (per transaction, daily, monthly, annual, lifetime): the part
    used, then the part left, as percentages of the cap that binds (the method's own or the
    tier's overall, see :func:`~icbc_wallet.domain.headroom.limit_headroom`), each labelled with
    the amounts. Uncapped windows have no bar and say "no cap".

    Args:
        schedule: the limit schedule in force.
        tier: the tier's name.
        usage: the wallet's running totals (holds included), e.g. ``wallet.usage``.
        now: the instant (aware).
        method: a payment method, or None for the tier's overall limits.
        ax: the Axes to draw on; a new figure's when None.

    Returns:
        The Axes, with two bar containers: used, then remaining.

    Raises:
        UnknownTierError, UnknownPaymentMethodError, CurrencyMismatchError: as
            :func:`~icbc_wallet.domain.headroom.limit_headroom` does.
        MissingExtraError: matplotlib is not installed.
    """
    room = limit_headroom(schedule, tier, usage, now, method=method)
    axes = _axes(ax)
    names, used, left, notes = [], [], [], []
    for window in room.windows:
        scope = "" if window.scope is None else f" ({window.scope})"
        names.append(f"{window.window.label}{scope}")
        if window.cap is None or window.remaining is None:
            used.append(0.0)
            left.append(0.0)
            spent = _html.plain(window.used, currency=False)
            per_payment = window.window is LimitWindow.PER_TRANSACTION
            notes.append("no cap" if per_payment else f"no cap; {spent} used")
            continue
        cap = window.cap.minor
        used.append(100 * window.used.minor / cap if cap else 0.0)
        left.append(100 * window.remaining.minor / cap if cap else 0.0)
        if window.window is LimitWindow.PER_TRANSACTION:  # nothing accumulates per payment
            notes.append(f"up to {_html.plain(window.cap, currency=False)} a payment")
            continue
        notes.append(
            f"{_html.plain(window.used, currency=False)} of "
            f"{_html.plain(window.cap, currency=False)} used, "
            f"{_html.plain(window.remaining, currency=False)} left"
        )
    positions = list(range(len(names)))
    axes.barh(positions, used, color="tab:red", label="used")
    axes.barh(positions, left, left=used, color="tab:green", alpha=0.5, label="remaining")
    for position, note in zip(positions, notes, strict=True):
        axes.text(1, position, note, va="center", fontsize="small")
    axes.set_yticks(positions, names)
    axes.invert_yaxis()  # narrowest window on top
    axes.set_xlim(0, max(100.0, *(u + r for u, r in zip(used, left, strict=True))))
    axes.set_xlabel(f"share of the cap (%), amounts in {schedule.currency}")
    chosen = "all methods" if room.method is None else room.method.value
    barred = "" if room.allowed else " (not allowed for this tier)"
    axes.set_title(f"Limit headroom: {room.tier}, {chosen}{barred}, at {_html.instant(now)}")
    axes.legend(loc="lower right", fontsize="small")
    return axes
