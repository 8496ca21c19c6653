"""The simulation's configuration: how many days, customers and merchants, and the seed.

```pycon
>>> SimulationConfig(days=7, customers=10).merchants
8
>>> SimulationConfig(days=0)
Traceback (most recent call last):
...
icbc_wallet.errors.InvalidSimulationError: days must be an int from 1 to 366, not 0

```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import attrs

from icbc_wallet.errors import InvalidSimulationError

__all__ = ["MAX_CUSTOMERS", "MAX_DAYS", "MAX_MERCHANTS", "MAX_SEED", "SimulationConfig"]

MAX_DAYS: Final = 366
"""The longest period one run simulates (a year); run again to continue."""
MAX_CUSTOMERS: Final = 5_000
"""The largest population: each registration hashes a password at OWASP cost (about 80 ms)."""
MAX_MERCHANTS: Final = 500
"""The most merchants."""
MAX_SEED: Final = 2**63 - 1
"""The largest seed (seeds are non-negative)."""


def _bounded(low: int, high: int) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or not low <= value <= high:
            raise InvalidSimulationError(
                f"{attribute.name} must be an int from {low} to {high:,}, not {value!r}"
            )

    return check


@attrs.frozen
class SimulationConfig:
    """What to simulate.

    Attributes:
        days: how many business days the run covers (1 to 366).
        customers: the population's size (1 to 5,000). A later run with more customers adds
            the new ones; the first ones stay the same people.
        merchants: how many merchants (1 to 500), in a fixed mix of categories (food, utilities,
            shopping, transport, online services, movies, hotels).
        seed: the random seed (0 to 2**63 - 1). The population is a function of the seed: run
            again with the same seed to continue with the same people.

    Raises:
        InvalidSimulationError: a value out of range, or not an ``int``.
    """

    days: int = attrs.field(default=30, validator=_bounded(1, MAX_DAYS))
    customers: int = attrs.field(default=40, validator=_bounded(1, MAX_CUSTOMERS))
    merchants: int = attrs.field(default=8, validator=_bounded(1, MAX_MERCHANTS))
    seed: int = attrs.field(default=2026, validator=_bounded(0, MAX_SEED))
