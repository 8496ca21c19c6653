"""Identifiers: the names of wallets, merchants, payments and the commands that change them.

Every identifier is a ``NewType`` over ``str`` so that mypy keeps a ``PaymentId`` from being
passed where a ``WalletId`` is expected, while the value stays a plain string that every store
can index. :func:`parse_id` checks the shape at the boundary: 1 to 128 printable ASCII
characters, no spaces (safe in keys, logs and URLs).

```pycon
>>> parse_id("W-0001", WalletId)
'W-0001'
>>> parse_id("W 1", WalletId)
Traceback (most recent call last):
...
icbc_wallet.errors.InvalidIdError: WalletId must be 1 to 128 printable ASCII characters without spaces; got one with a space

```
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, NewType, TypeVar

from icbc_wallet.errors import InvalidIdError

__all__ = [
    "DisputeId",
    "EventId",
    "IdempotencyKey",
    "MerchantId",
    "PaymentId",
    "RefundId",
    "RegistrationId",
    "TransferId",
    "WalletId",
    "parse_id",
]

WalletId = NewType("WalletId", str)
MerchantId = NewType("MerchantId", str)
PaymentId = NewType("PaymentId", str)
TransferId = NewType("TransferId", str)
RefundId = NewType("RefundId", str)
DisputeId = NewType("DisputeId", str)
RegistrationId = NewType("RegistrationId", str)
EventId = NewType("EventId", str)
IdempotencyKey = NewType("IdempotencyKey", str)

_MAX_ID: Final = 128
_ID: Final = re.compile(r"[!-~]{1,128}", re.ASCII)

_Id = TypeVar("_Id", bound=str)


def parse_id(value: object, kind: Callable[[str], _Id]) -> _Id:
    """Check that ``value`` can serve as an identifier and return it typed as ``kind``.

    Raises:
        InvalidIdError: ``value`` is not a string of 1 to 128 printable ASCII characters
            without spaces.
    """
    if type(value) is not str or not _ID.fullmatch(value):
        name = getattr(kind, "__name__", "identifier")
        raise InvalidIdError(
            f"{name} must be 1 to 128 printable ASCII characters without spaces; {_what(value)}"
        )
    return kind(value)


def _what(value: object) -> str:
    """Describe a refused id without echoing it: a mistaken card or ID number must not leak."""
    if type(value) is not str:
        return f"got a {type(value).__name__}"
    if not value:
        return "got an empty string"
    if len(value) > _MAX_ID:
        return f"got {len(value)} characters"
    if " " in value:
        return "got one with a space"
    return "got one with a non-printable or non-ASCII character"
