"""How the command line writes: Rich tables to stdout, errors to stderr, JSON for machines."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any, Final, TextIO

import attrs
from rich.console import Console

from icbc_wallet.domain.money import Money

_NOT_A_TERMINAL_WIDTH: Final = 120  # piped output keeps whole table rows on one line


class CliError(Exception):
    """A command cannot run as asked; the message says why and what to do instead."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@attrs.define
class Output:
    """Where a command writes.

    Attributes:
        console: stdout, for reports and tables.
        errors: stderr, for errors, warnings and progress.
    """

    console: Console
    errors: Console

    @classmethod
    def for_terminal(cls) -> Output:
        """Rich consoles on the process' stdout and stderr."""
        return cls(_console(sys.stdout), _console(sys.stderr))

    def error(self, message: str) -> None:
        """An error line on stderr, the way argparse writes them (never wrapped)."""
        self.errors.file.write(f"icbc-wallet: error: {message}\n")

    def line(self, message: str) -> None:
        """A plain line on stdout, never wrapped (a finding a script may grep)."""
        self.console.file.write(f"{message}\n")

    def note(self, message: str) -> None:
        """A plain line on stderr (a bad row, what was written where)."""
        self.errors.file.write(f"{message}\n")

    def warning(self, message: str) -> None:
        """A warning line on stderr."""
        self.errors.file.write(f"icbc-wallet: warning: {message}\n")

    def json(self, document: Mapping[str, Any]) -> None:
        """``document`` as indented JSON on stdout (no colours, no wrapping)."""
        self.console.file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _console(stream: TextIO) -> Console:
    width = None if stream.isatty() else _NOT_A_TERMINAL_WIDTH
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def money_text(money: Money | None, unlimited: str = "unlimited") -> str:
    """``"1,234.50"`` for a cap or amount; ``unlimited`` for None."""
    if money is None:
        return unlimited
    return f"{money.amount:,}"


def money_json(money: Money | None) -> str | None:
    """A decimal string (``"1234.50"``) for JSON; None stays None."""
    return None if money is None else str(money.amount)


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1 (``--days``, ``--rows``)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1")
    return number
