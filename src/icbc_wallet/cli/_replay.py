"""``icbc-wallet replay``: a transaction file against a policy set, and a second side by side.

Also ``icbc-wallet generate``, which writes a synthetic transaction file to replay.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Final

from icbc_wallet.analysis import (
    ReplayRow,
    RowError,
    generate_transactions,
    read_transactions,
    replay,
    write_transactions,
)
from icbc_wallet.cli._output import CliError, Output, positive_int
from icbc_wallet.cli._policies import add_policy_option, resolve_policy
from icbc_wallet.cli._replay_report import render_summary
from icbc_wallet.domain.money import Money

_HELP = """\
Evaluate every transaction of a file against a policy set: the limit decision and the fee each
would get, customer by customer in time order. With --against, evaluate it against a second set
side by side and summarise what changes: approvals lost and gained, fee income delta, customers
affected.

The file is read as a stream (CSV; Parquet with the 'analysis' extra), so it may be larger
than memory. Columns: id, customer, tier, at, kind, method, amount, and optionally channel and
currency. A bad row is reported with its line number on stderr and counted in the summary;
it is never silently dropped, and the command then exits 1.

examples:
  icbc-wallet generate tx.csv --rows 100000
  icbc-wallet replay tx.csv --policy default --against bank.toml
  icbc-wallet replay tx.csv --policy bank.toml --output decisions.csv --json"""

_SHOWN_ERRORS: Final = 20


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``replay`` and ``generate`` commands."""
    parser = commands.add_parser(
        "replay",
        help="evaluate a transaction file against one or two policy sets",
        description=_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "transactions",
        metavar="TRANSACTIONS",
        help="the transaction file (.csv, .csv.gz or .parquet)",
    )
    add_policy_option(parser)
    parser.add_argument(
        "--against",
        metavar="FILE|PRESET",
        help="a second policy set to compare with (side by side)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write each transaction's decision and fee to this CSV file",
    )
    parser.add_argument(
        "--errors", metavar="FILE", help="write every bad row (line, problem) to this CSV file"
    )
    parser.add_argument(
        "--currency",
        default="CNY",
        help="the currency of rows without a currency column (default: CNY)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(run=run_replay)

    generate = commands.add_parser(
        "generate",
        help="write a synthetic transaction file to replay",
        description="Write a seeded synthetic transaction file (CSV): a month of QR, NFC and "
        "online payments, transfers and withdrawals by customers of every e-CNY tier.",
    )
    generate.add_argument("output", metavar="FILE", help="the CSV file to write")
    generate.add_argument(
        "--rows", type=positive_int, default=100_000, help="how many transactions (default: 100000)"
    )
    generate.add_argument(
        "--customers", type=positive_int, default=10_000, help="how many customers (default: 10000)"
    )
    generate.add_argument("--seed", type=int, default=0, help="the seed (default: 0)")
    generate.set_defaults(run=run_generate)


def run_replay(args: argparse.Namespace, output: Output) -> int:
    """Replay the file and print the summary."""
    label_a, policy = resolve_policy(args.policy)
    against = None
    label_b = "B"
    if args.against is not None:
        label_b, against = resolve_policy(args.against)
        if label_b == label_a:
            label_a, label_b = f"{label_a} (A)", f"{label_b} (B)"
    source = Path(args.transactions)
    outputs = [Path(path) for path in (args.output, args.errors) if path is not None]
    _refuse_overwriting(source, outputs)
    with ExitStack() as stack:
        # The input opens first: a missing or malformed file stops here, before any output exists.
        transactions = stack.enter_context(read_transactions(source, currency=args.currency))
        rows_out = None
        if args.output is not None:
            handle = stack.enter_context(_replaced_on_success(Path(args.output)))
            rows_out = _RowWriter(handle, compare=against is not None)
        errors = _ErrorReporter(output, source, stack, args.errors)
        result = replay(
            transactions,
            policy,
            against,
            labels=(label_a, label_b),
            on_row=None if rows_out is None else rows_out.write,
            on_error=errors.report,
        )
    errors.finish()
    if args.json:
        output.json({"transactions": str(source), **result.to_dict()})
    else:
        render_summary(output.console, result)
    return 1 if result.summary.bad_rows else 0


def _refuse_overwriting(source: Path, outputs: list[Path]) -> None:
    """Refuse an output that is the input, or two outputs that are the same file."""
    seen: list[Path] = [source]
    for path in outputs:
        for other in seen:
            if path.resolve() == other.resolve() or (
                path.exists() and other.exists() and os.path.samefile(path, other)
            ):
                what = "the transaction file" if other == source else "the other output"
                raise CliError(f"{path} is {what}: choose another file to write to")
        seen.append(path)


@contextmanager
def _replaced_on_success(path: Path) -> Iterator[IO[str]]:
    """A new file written beside ``path`` that replaces it only when the replay finishes.

    An interrupted or failed replay leaves an existing file at ``path`` as it was.
    """
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  # closed below, then renamed
        "w", newline="", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    )
    try:
        os.chmod(handle.name, 0o666 & ~_umask())  # as open() would have made it, not 0600
        with handle:
            yield handle
    except BaseException:
        os.unlink(handle.name)
        raise
    os.replace(handle.name, path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _RowWriter:
    """Each replayed transaction as one CSV row, written as it comes."""

    def __init__(self, handle: IO[str], *, compare: bool) -> None:
        self._writer = csv.writer(handle)
        self._compare = compare
        header = [
            "id",
            "customer",
            "tier",
            "at",
            "kind",
            "method",
            "amount",
            "a_approved",
            "a_reason",
            "a_fee",
        ]
        if compare:
            header += ["b_approved", "b_reason", "b_fee", "changed"]
        self._writer.writerow(header)

    def write(self, row: ReplayRow) -> None:
        tx, a, b = row.transaction, row.a, row.b
        cells: list[object] = [
            tx.id,
            tx.customer,
            tx.tier,
            tx.at.isoformat(),
            tx.kind.value,
            tx.method.value,
            _amount(tx.amount),
            a.approved,
            a.reason or "",
            _amount(a.fee),
        ]
        if self._compare and b is not None:
            cells += [b.approved, b.reason or "", _amount(b.fee), row.changed]
        self._writer.writerow(cells)


def _amount(money: Money) -> str:
    return str(money.amount)


class _ErrorReporter:
    """Bad rows: the first few on stderr, all of them in ``--errors FILE`` and in the count."""

    def __init__(self, output: Output, source: Path, stack: ExitStack, path: str | None) -> None:
        self._output, self._source = output, source
        self._count = 0
        self._writer = None
        if path is not None:
            handle = stack.enter_context(_replaced_on_success(Path(path)))
            self._writer = csv.writer(handle)
            self._writer.writerow(["line", "problem"])

    def report(self, error: RowError) -> None:
        self._count += 1
        if self._writer is not None:
            self._writer.writerow([error.line, error.message])
        if self._count <= _SHOWN_ERRORS:
            self._output.note(f"{self._source}:{error.line}: {error.message}")

    def finish(self) -> None:
        hidden = self._count - _SHOWN_ERRORS
        if hidden > 0:
            where = (
                "--errors FILE lists them all"
                if self._writer is None
                else "all are in the errors file"
            )
            self._output.warning(f"{hidden} more bad rows not shown ({where})")


def run_generate(args: argparse.Namespace, output: Output) -> int:
    """Write the synthetic file."""
    written = write_transactions(
        args.output,
        generate_transactions(rows=args.rows, customers=args.customers, seed=args.seed),
    )
    output.note(f"wrote {written:,} transactions to {args.output}")
    return 0
