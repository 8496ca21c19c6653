"""``icbc-wallet simulate``: a synthetic population on the embedded SQLite database."""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from icbc_wallet.cli._output import CliError, Output, positive_int
from icbc_wallet.cli._policies import add_policy_option, resolve_policy
from icbc_wallet.simulation import SimulationConfig, run_simulation

_DEFAULTS = SimulationConfig()
_HELP = f"""\
Create a synthetic population (customers at every verification tier with cards and spending
habits by category and hour, merchants, a seeded random generator) and run it day by day
through the real wallet service on a SQLite database: registrations, top-ups, QR/NFC/online
payments, bills, transfers, withdrawals, refunds, disputes and limit-increase applications.
The report shows operations by kind and outcome, declines by reason, fees by kind, refunds and
disputes by outcome, and checks that money was conserved and that the database is sound.

The database keeps everything: run the command again on the same --db and the same customers
carry on with the next {_DEFAULTS.days} days. Exit 1 when a check fails.

examples:
  icbc-wallet simulate
  icbc-wallet simulate --db /tmp/bank.db --days 90 --customers 200 --seed 7
  icbc-wallet simulate --policy guarded --json > report.json"""


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``simulate`` command."""
    parser = commands.add_parser(
        "simulate",
        help="run a synthetic population through the wallet on SQLite, then report",
        description=_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db",
        default="wallet.db",
        metavar="PATH",
        help="the SQLite database file, created if missing (default: wallet.db)",
    )
    parser.add_argument(
        "--days",
        type=positive_int,
        default=_DEFAULTS.days,
        help=f"days to simulate (default: {_DEFAULTS.days})",
    )
    parser.add_argument(
        "--customers",
        type=positive_int,
        default=_DEFAULTS.customers,
        help=f"customers on a new database (default: {_DEFAULTS.customers})",
    )
    parser.add_argument(
        "--merchants",
        type=positive_int,
        default=_DEFAULTS.merchants,
        help=f"merchants on a new database (default: {_DEFAULTS.merchants})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=_DEFAULTS.seed,
        help=f"the random generator's seed (default: {_DEFAULTS.seed})",
    )
    add_policy_option(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="do not wait for the disk on each commit (SQLite synchronous="
        "NORMAL): faster; a power cut may lose the last commits, never corrupt",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    """Simulate and report."""
    _, policies = resolve_policy(args.policy)
    config = SimulationConfig(
        days=args.days, customers=args.customers, merchants=args.merchants, seed=args.seed
    )
    started = time.perf_counter()
    try:
        with _progress(output, config.days, enabled=not args.no_progress) as progress:
            report = run_simulation(
                args.db, config, policies=policies, progress=progress, durable=not args.fast
            )
    except sqlite3.DatabaseError as error:
        raise CliError(f"--db {args.db} is not a wallet database ({error})") from None
    elapsed = time.perf_counter() - started
    if args.json:
        output.json({**report.to_dict(), "database": args.db})
    else:
        report.render(output.console)
        output.console.print(
            f"{config.days} days simulated in {elapsed:.1f} s on {args.db}", markup=False
        )
    return 0 if report.ok else 1


@contextmanager
def _progress(
    output: Output, days: int, *, enabled: bool
) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing when piped or disabled."""
    if not enabled or not output.errors.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        console=output.errors,
        transient=True,
    ) as bar:
        task = bar.add_task("days", total=days)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
