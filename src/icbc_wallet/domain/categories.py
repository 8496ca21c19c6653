"""Categories: what a payment was for, as consumption records and statements group it.

The article's life services (utilities, movie tickets, hotels) are categorised merchant
payments; statements total spending by these categories.

```pycon
>>> Category("utilities") is Category.UTILITIES, Category.HOTEL.is_life_service
(True, True)

```
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from icbc_wallet.errors import UnknownCategoryError

__all__ = ["Category", "parse_category"]


class Category(StrEnum):
    """What a merchant payment was for. The value is stable: store it, match on it."""

    SHOPPING = "shopping"
    FOOD = "food"
    TRANSPORT = "transport"
    UTILITIES = "utilities"
    """Water, electricity, gas, telephone and broadband bills."""
    MOVIES = "movies"
    HOTEL = "hotel"
    ONLINE_SERVICES = "online_services"
    OTHER = "other"

    @property
    def is_life_service(self) -> bool:
        """True for the article's life services: bills, movie tickets and hotels."""
        return self in _LIFE_SERVICES


_LIFE_SERVICES: Final = frozenset({Category.UTILITIES, Category.MOVIES, Category.HOTEL})


def parse_category(value: Category | str) -> Category:
    """Return the :class:`Category` for a member or its value (``"utilities"``).

    Raises:
        UnknownCategoryError: anything else.
    """
    if type(value) is Category:
        return value
    try:
        return Category(value)
    except ValueError:
        known = ", ".join(category.value for category in Category)
        raise UnknownCategoryError(f"unknown category {value!r}; use one of {known}") from None
