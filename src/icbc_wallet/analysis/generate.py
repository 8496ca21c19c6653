"""Synthetic transactions: a realistic, seeded month of customers' payments, transfers, withdrawals.

:func:`generate_transactions` makes a stream of :class:`~icbc_wallet.analysis.Transaction` s in
time order, lazily (a million rows never sit in memory), from a seeded :class:`random.Random`:
the same arguments give the same rows on every machine. It is the input of the replay
benchmark, the tests and the notebooks when no real file is at hand.

The mix, our choice and UNVERIFIED against any bank's data: customers are spread over the tiers
with the lowest the most common (40/30/20/10 % for the four e-CNY classes) and some customers
are much busier than others; activity follows the day (a lunch and an evening peak, quiet
nights). 86 % of rows are merchant payments by category (meals, groceries, transport, online
shopping, bills, travel), each with its own methods (dynamic and static QR codes, NFC, online)
and amounts (log-normal around a typical price); 10 % are transfers to other people (round
amounts) and 4 % withdrawals to a bank card.

```pycon
>>> rows = list(generate_transactions(rows=3, customers=10, seed=7))
>>> [(row.id, row.kind.value, row.method.value) for row in rows]
[('T00000001', 'payment', 'nfc'), ('T00000002', 'payment', 'dynamic_qr'), ('T00000003', 'payment', 'online')]
>>> rows == list(generate_transactions(rows=3, customers=10, seed=7))
True

```
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Final

from icbc_wallet.analysis._rows import Transaction
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.errors import InvalidReplayError

__all__ = ["DEFAULT_START", "DEFAULT_TIERS", "generate_transactions"]

DEFAULT_TIERS: Final = ("WL04", "WL03", "WL02", "WL01")
"""The e-CNY wallet classes of ``WalletPolicies.default()``, lowest (most common) first."""
_SHANGHAI: Final = timezone(timedelta(hours=8))
DEFAULT_START: Final = datetime(2026, 3, 1, tzinfo=_SHANGHAI)
"""Where a generated month starts unless told: 1 March 2026, midnight in Shanghai."""

# Relative activity per hour of the day in Shanghai (a lunch and an evening peak).
_HOURLY: Final = (
    0.10, 0.05, 0.03, 0.03, 0.05, 0.15, 0.40, 1.00, 1.40, 1.10, 1.00, 1.60,
    2.20, 1.50, 0.90, 0.90, 1.00, 1.40, 1.90, 1.80, 1.50, 1.20, 0.80, 0.40,
)  # fmt: skip
_MEAN_HOURLY: Final = sum(_HOURLY) / 24

_D, _S, _N, _O = (
    PaymentMethod.DYNAMIC_QR,
    PaymentMethod.STATIC_QR,
    PaymentMethod.NFC,
    PaymentMethod.ONLINE,
)
# category share, (method, cumulative share)..., typical amount in yuan, spread (log-normal sigma)
_CATEGORIES: Final = (
    (0.30, ((_D, 0.45), (_S, 0.75), (_N, 0.90), (_O, 1.0)), 28.0, 0.6),  # meals
    (0.20, ((_D, 0.40), (_S, 0.50), (_N, 0.80), (_O, 1.0)), 65.0, 0.7),  # groceries
    (0.15, ((_N, 0.60), (_D, 0.90), (_O, 1.0)), 5.0, 0.5),  # transport
    (0.20, ((_O, 1.0),), 150.0, 1.0),  # online shopping
    (0.10, ((_O, 1.0),), 200.0, 0.8),  # bills and life services
    (0.05, ((_O, 0.80), (_N, 1.0)), 900.0, 0.9),  # travel
)
_CATEGORY_SHARES: Final = tuple(itertools.accumulate(share for share, *_ in _CATEGORIES))
_PAYMENTS, _TRANSFERS = 0.86, 0.96  # cumulative shares; withdrawals take the rest
_LARGEST: Final = 200_000_00  # no generated amount above 200,000 yuan
_CNY: Final = "CNY"


def generate_transactions(
    *,
    rows: int,
    customers: int = 10_000,
    seed: int = 0,
    start: datetime | None = None,
    tiers: Sequence[str] = DEFAULT_TIERS,
    days: int = 30,
) -> Iterator[Transaction]:
    """A seeded stream of ``rows`` synthetic transactions in time order (see the module doc).

    Args:
        rows: how many transactions.
        customers: how many customers share them (ids ``C000001``...; each has one tier).
        seed: the random generator's seed.
        start: the first instant (aware); :data:`DEFAULT_START` when None.
        tiers: the customers' tiers, lowest first (a lower tier has more customers).
        days: how long the rows span, roughly (amounts are in CNY).

    Raises:
        InvalidReplayError: a negative ``rows``, no customers, no tiers, ``days`` below 1, or a
            naive ``start``.
    """
    counts: tuple[tuple[str, object, int], ...] = (
        ("rows", rows, 0),
        ("customers", customers, 1),
        ("days", days, 1),
    )
    for name, value, least in counts:
        if type(value) is not int or value < least:
            raise InvalidReplayError(f"{name} must be an int of at least {least}, not {value!r}")
    names: list[object] = [] if isinstance(tiers, str) else list(tiers)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise InvalidReplayError(f"tiers must be a sequence of tier names, not {tiers!r}")
    moment: object = DEFAULT_START if start is None else start
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise InvalidReplayError(f"start must be a timezone-aware datetime, not {start!r}")
    return _generate(rows, customers, seed, moment.astimezone(_SHANGHAI), tuple(tiers), days)


def _generate(
    rows: int,
    customers: int,
    seed: int,
    start: datetime,
    tiers: tuple[str, ...],
    days: int,
) -> Iterator[Transaction]:
    rng = random.Random(seed)
    random_, lognormal = rng.random, rng.lognormvariate
    # lower tiers are more common: weights n, n-1, ..., 1
    tier_cumulative = list(itertools.accumulate(range(len(tiers), 0, -1)))
    customer_tiers = [
        tiers[bisect.bisect(tier_cumulative, random_() * tier_cumulative[-1])]
        for _ in range(customers)
    ]
    activity = list(itertools.accumulate(lognormal(0.0, 1.0) for _ in range(customers)))
    busiest = activity[-1]
    width = max(6, len(str(customers)))
    names = [f"C{number:0{width}d}" for number in range(1, customers + 1)]
    id_width = max(8, len(str(rows)))
    # Arrivals in "busy time": an hour of the day holds _HOURLY[h] units of it (24 a day), so
    # gaps drawn in units and spent hour by hour make the day's rhythm and span ``days`` days.
    mean_gap = days * 24 * _MEAN_HOURLY / rows if rows else 1.0
    hour = start.hour  # hours since midnight of the first day, in Shanghai
    spent = (start.minute * 60 + start.second) / 3600 * _HOURLY[hour]  # units used in ``hour``
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    for number in range(1, rows + 1):
        gap = rng.expovariate(1 / mean_gap)
        while spent + gap > _HOURLY[hour % 24]:
            gap -= _HOURLY[hour % 24] - spent
            hour, spent = hour + 1, 0.0
        spent += gap
        seconds = int(hour * 3600 + spent / _HOURLY[hour % 24] * 3600)
        who = bisect.bisect(activity, random_() * busiest)
        if who == customers:  # random() * busiest == busiest cannot happen, but be safe
            who -= 1
        roll = random_()
        channel = Channel.MOBILE
        if roll < _PAYMENTS:
            kind = OperationKind.PAYMENT
            _share, methods, typical, spread = _CATEGORIES[
                bisect.bisect(_CATEGORY_SHARES, random_() * _CATEGORY_SHARES[-1])
            ]
            pick = random_()
            method = next(m for m, cumulative in methods if pick < cumulative)
            minor = round(lognormal(math.log(typical), spread) * 100)
            if method is _O and random_() < 0.15:
                channel = Channel.PC
        elif roll < _TRANSFERS:
            kind, method = OperationKind.TRANSFER, PaymentMethod.P2P_TRANSFER
            minor = round(lognormal(math.log(300), 1.2)) * 100  # people send round amounts
            pick = random_()
            channel = Channel.PC if pick < 0.15 else Channel.TABLET if pick < 0.2 else channel
        else:
            kind, method = OperationKind.WITHDRAWAL, PaymentMethod.WITHDRAWAL
            minor = round(lognormal(math.log(50), 0.8)) * 1000  # tens of yuan
            if random_() < 0.1:
                channel = Channel.PC
        yield Transaction._make(
            f"T{number:0{id_width}d}",
            names[who],
            customer_tiers[who],
            midnight + timedelta(seconds=seconds),
            kind,
            method,
            Money._make(min(max(minor, 1), _LARGEST), _CNY),
            channel,
        )
