"""``--policy``: a TOML policy file, or the name of a shipped preset."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from icbc_wallet.cli._output import CliError
from icbc_wallet.domain.calendar import DEFAULT_BUSINESS_ZONE
from icbc_wallet.errors import WalletError
from icbc_wallet.policy_files import PolicyFileError, load_policies, preset_names, preset_policies
from icbc_wallet.service.config import WalletPolicies

DEFAULT_POLICY: Final = "default"


def add_policy_option(parser: argparse.ArgumentParser, *, flag: str = "--policy") -> None:
    """Add ``--policy FILE_OR_PRESET`` (the shipped ``default`` set when omitted)."""
    parser.add_argument(
        flag,
        default=DEFAULT_POLICY,
        metavar="FILE|PRESET",
        help="a TOML policy file, or a shipped preset's name "
        f"(see 'icbc-wallet policy presets'; default: {DEFAULT_POLICY})",
    )


def resolve_policy(value: str) -> tuple[str, WalletPolicies]:
    """The label to show and the policy set for ``value``.

    A value that names an existing file, ends in ``.toml`` or contains a path separator is a
    file; anything else must be a preset's name.

    Raises:
        CliError: an unknown preset, or a file that is not a valid policy file.
        OSError: the file cannot be read.
    """
    path = Path(value)
    if path.exists() or path.suffix == ".toml" or len(path.parts) > 1:
        try:
            return path.name, load_policies(path)
        except PolicyFileError as error:
            raise CliError(f"invalid policy file: {error}") from None
    if value in preset_names():
        return value, preset_policies(value)
    known = ", ".join(preset_names())
    raise CliError(f"{value!r} is neither a policy file nor a preset (presets: {known})")


def parse_instant(value: str | None) -> datetime:
    """``--at``: an ISO 8601 instant; a naive one is Beijing time; None is now."""
    if value is None:
        return datetime.now(UTC).astimezone(DEFAULT_BUSINESS_ZONE)
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            f"--at {value!r} is not an ISO 8601 date and time (e.g. 2026-05-01T12:00+08:00)"
        ) from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=DEFAULT_BUSINESS_ZONE)


def refuse(error: WalletError, what: str) -> CliError:
    """A usage error for a value the domain refused, naming the option."""
    return CliError(f"{what}: {error}")
