"""``icbc-wallet policy check|show|presets``: policy files and the shipped presets."""

from __future__ import annotations

import argparse
import os

from rich.table import Table

from icbc_wallet.cli._output import Output
from icbc_wallet.cli._policies import resolve_policy
from icbc_wallet.policy_files import (
    PolicyFileError,
    dumps_policies,
    load_policies,
    preset_names,
    preset_path,
    preset_policies,
)
from icbc_wallet.service.config import WalletPolicies

_HELP = """\
Policy files hold a whole policy set in TOML: limits, tiers, fees, refund windows, dispute and
limit-increase terms, security, authentication and risk thresholds.

  check FILE...   validate files; each problem names the file, line and key (exit 1 if any)
  show NAME|FILE  print a preset (or a file, normalised) as TOML: a starting point to edit
  presets         list the shipped presets

examples:
  icbc-wallet policy show default > bank.toml
  icbc-wallet policy check bank.toml"""


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``policy`` command and its sub-commands."""
    parser = commands.add_parser(
        "policy",
        help="check policy files, show and list presets",
        description=_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate policy files",
        description="Validate TOML policy files. Exit 0 when every file "
        "is valid, 1 when one is not, 2 when one cannot be read.",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="policy files to validate")
    check.add_argument("--json", action="store_true", help="print JSON instead of text")
    check.set_defaults(run=run_check)
    show = actions.add_parser(
        "show",
        help="print a preset or a file as TOML",
        description="Print a shipped preset (or a policy file, normalised) as TOML on stdout.",
    )
    show.add_argument("policy", metavar="NAME|FILE", help="a preset's name or a policy file")
    show.set_defaults(run=run_show)
    presets = actions.add_parser(
        "presets",
        help="list the shipped presets",
        description="List the shipped policy presets and their files.",
    )
    presets.add_argument("--json", action="store_true", help="print JSON instead of a table")
    presets.set_defaults(run=run_presets)


def run_check(args: argparse.Namespace, output: Output) -> int:
    """Validate each file; report every problem."""
    results: list[dict[str, object]] = []
    unreadable = invalid = False
    for name in args.files:
        try:
            policies = load_policies(name)
        except PolicyFileError as error:
            invalid = True
            results.append(
                {
                    "file": name,
                    "valid": False,
                    "line": error.line,
                    "key": error.key,
                    "problem": error.problem,
                    "message": str(error),
                }
            )
        except OSError as error:
            unreadable = True
            results.append(
                {
                    "file": name,
                    "valid": False,
                    "line": None,
                    "key": None,
                    "problem": error.strerror or str(error),
                    "message": f"{name}: cannot open: {error.strerror or error}",
                }
            )
        else:
            results.append({"file": name, "valid": True, "summary": _summary(policies)})
    if args.json:
        output.json({"files": results})
    else:
        for result in results:
            if result["valid"]:
                output.line(f"{result['file']}: valid ({result['summary']})")
            else:
                output.line(str(result["message"]))
    return 2 if unreadable else 1 if invalid else 0


def _summary(policies: WalletPolicies) -> str:
    tiers = len(policies.limits.tiers)
    rules = len(policies.fees.rules) + len(policies.merchant_fees.rules)
    guard = [
        name
        for name, on in (
            ("authentication", policies.authentication is not None),
            ("risk", policies.risk is not None),
        )
        if on
    ]
    days = policies.refund_window.days
    return (
        f"{_count(tiers, 'tier')}, {_count(rules, 'fee rule')}, refunds within "
        f"{_count(days, 'day')}, "
        f"{' and '.join(guard) + ' on' if guard else 'no authentication or risk rules'}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def run_show(args: argparse.Namespace, output: Output) -> int:
    """Print the preset or file as TOML."""
    _, policies = resolve_policy(args.policy)
    output.console.file.write(dumps_policies(policies))
    return 0


def run_presets(args: argparse.Namespace, output: Output) -> int:
    """List the presets."""
    rows = [(name, _summary(preset_policies(name)), preset_path(name)) for name in preset_names()]
    if args.json:
        output.json(
            {
                "presets": [
                    {"name": name, "summary": summary, "file": os.fspath(path)}
                    for name, summary, path in rows
                ]
            }
        )
        return 0
    table = Table(title="shipped policy presets", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("what it holds")
    table.add_column("file", overflow="fold")
    for name, summary, path in rows:
        table.add_row(name, summary, os.fspath(path))
    output.console.print(table)
    return 0
