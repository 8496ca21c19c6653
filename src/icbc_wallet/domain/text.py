"""Free text and time limits: the checks shared by refund requests and disputes.

Free text (a reason, an order number, a description) must be a ``str``, not too long, not blank
when required, and free of control characters, which forge log lines and garble statements;
multi-line text may break lines with tab, LF and CR (web forms send CRLF). Error messages never
repeat the text, which may hold personal data. A *time limit* (to answer, respond, decide) is a
positive ``timedelta`` of at most :data:`MAX_TIME_LIMIT`. Instants are kept in UTC.

```pycon
>>> from datetime import timedelta
>>> clean_text("wrong size", "reason", 500, required=True, lines=True)
'wrong size'
>>> clean_text("   ", "reason", 500, required=True, lines=True)
Traceback (most recent call last):
...
icbc_wallet.errors.InvalidTextError: reason must not be empty
>>> time_limit(timedelta(days=3), "answer_within") == timedelta(days=3)
True

```
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from icbc_wallet.domain.calendar import require_aware
from icbc_wallet.errors import InvalidTextError, InvalidTimeLimitError, TextTypeError

__all__ = ["MAX_TIME_LIMIT", "clean_text", "text_field", "time_limit", "to_utc"]

MAX_TIME_LIMIT: Final = timedelta(days=3650)
"""The longest time allowed for any answer, response or decision: longer is a typo."""

# Control characters (C0, DEL, C1), Unicode line/paragraph separators, and the bidirectional
# embeddings, overrides and isolates that make a statement line read other than it is stored.
_SINGLE_LINE_FORBIDDEN: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_MULTI_LINE_FORBIDDEN: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def clean_text(value: object, what: str, max_length: int, *, required: bool, lines: bool) -> str:
    """Return ``value`` once checked as the free-text field ``what``.

    Raises:
        TextTypeError: ``value`` is not a str.
        InvalidTextError: it is too long, blank (when ``required``) or has control characters
            (tab, LF and CR are allowed when ``lines``) or bidirectional overrides (U+202A to
            U+202E, U+2066 to U+2069).
    """
    if type(value) is not str:
        raise TextTypeError(f"{what} must be a str, not {type(value).__name__}")
    if len(value) > max_length:
        raise InvalidTextError(f"{what} must be at most {max_length} characters, not {len(value)}")
    if required and not value.strip():
        raise InvalidTextError(f"{what} must not be empty")
    forbidden = (_MULTI_LINE_FORBIDDEN if lines else _SINGLE_LINE_FORBIDDEN).search(value)
    if forbidden is not None:
        raise InvalidTextError(
            f"{what} must not contain control characters (U+{ord(forbidden.group()):04X} at "
            f"position {forbidden.start()})"
        )
    return value


def text_field(
    what: str, max_length: int, *, required: bool = False, lines: bool = False
) -> Callable[[object, object, str], None]:
    """An attrs validator for a free-text field (see :func:`clean_text`)."""

    def validate(_instance: object, _attribute: object, value: str) -> None:
        clean_text(value, what, max_length, required=required, lines=lines)

    return validate


def time_limit(value: object, what: str) -> timedelta:
    """Return ``value`` once checked as the time limit ``what``.

    Raises:
        InvalidTimeLimitError: ``value`` is not a positive ``timedelta`` of at most
            :data:`MAX_TIME_LIMIT`.
    """
    if type(value) is not timedelta:
        raise InvalidTimeLimitError(f"{what} must be a timedelta, not {type(value).__name__}")
    if not timedelta(0) < value <= MAX_TIME_LIMIT:
        raise InvalidTimeLimitError(
            f"{what} must be positive and at most {MAX_TIME_LIMIT.days} days, not {value}"
        )
    return value


def to_utc(moment: datetime, what: str) -> datetime:
    """The aware instant ``moment`` in UTC (NaiveDatetimeError, DatetimeTypeError otherwise)."""
    # Kept in UTC: datetimes sharing a zone compare by wall clock, wrong across a DST change.
    return require_aware(moment, what).astimezone(UTC)
