"""The parser, the dispatch to each command, and how failures become exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Final

from icbc_wallet.cli import _limits, _policy, _quote, _replay, _simulate
from icbc_wallet.cli._output import CliError, Output
from icbc_wallet.errors import WalletError

EXIT_OK: Final = 0
"""The command did what was asked and found nothing wrong."""
EXIT_PROBLEM: Final = 1
"""The command ran and found a problem: an invalid policy file, bad rows, money not conserved."""
EXIT_USAGE: Final = 2
"""The command could not run as asked: bad options, a missing file, an invalid input file."""
EXIT_INTERRUPTED: Final = 130
"""Interrupted (Ctrl-C)."""

_PROG: Final = "icbc-wallet"
_EPILOG: Final = """\
exit codes: 0 success; 1 the command ran and found a problem (invalid policy file, bad rows,
money not conserved); 2 the command could not run as asked (bad options, missing or invalid
input); 130 interrupted.

Run "icbc-wallet COMMAND --help" for a command's options. Documentation:
https://icbc-wallet.readthedocs.io/cli/"""

Runner = Callable[[argparse.Namespace, Output], int]


def build_parser() -> argparse.ArgumentParser:
    """The whole command line's parser (each command adds its own sub-parser)."""
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="An ICBC-style digital wallet on the command line: simulate a population,\n"
        "replay transactions against policy sets, quote fees, look up limits, check policy files.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module in (_simulate, _replay, _quote, _limits, _policy):
        module.add_to(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` when None); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with EXIT_USAGE on bad options, as argparse does
    output = Output.for_terminal()
    run: Runner = args.run
    try:
        return run(args, output)
    except CliError as error:
        output.error(str(error))
        return error.exit_code
    except OSError as error:
        output.error(_describe_os_error(error))
        return EXIT_USAGE
    except WalletError as error:
        output.error(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        output.error("interrupted")
        return EXIT_INTERRUPTED
    finally:
        _flush_or_silence()


def _describe_os_error(error: OSError) -> str:
    if error.filename is not None:
        return f"cannot open {os.fsdecode(error.filename)}: {error.strerror or error}"
    return str(error)


def _flush_or_silence() -> None:
    """Flush stdout; when its reader has gone (``| head``), drop the rest quietly."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the broken pipe again at exit: point stdout at nothing instead.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("icbc-wallet")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"
