"""``icbc-wallet quote KIND AMOUNT``: one fee, explained step by step."""

from __future__ import annotations

import argparse

from rich.table import Table

from icbc_wallet.cli._output import CliError, Output, money_json, money_text
from icbc_wallet.cli._policies import add_policy_option, parse_instant, refuse, resolve_policy
from icbc_wallet.domain.fee_quotes import FeeQuote
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.errors import WalletError

_HELP = """\
Quote the fee the policy set charges for one operation, with its explanation: free quota,
gross fee, waivers and promotions, the rule's minimum and maximum.

A payment is free for the customer: its quote is the merchant's service fee (merchant_fees),
deducted from what the merchant receives. Everything else uses the customer fees.

examples:
  icbc-wallet quote withdrawal 2000
  icbc-wallet quote withdrawal 50 --quota-used 1000
  icbc-wallet quote transfer 10000.01 --policy bank.toml --channel pc --json"""


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``quote`` command."""
    parser = commands.add_parser(
        "quote",
        help="quote the fee of one operation, explained",
        description=_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "kind",
        choices=[kind.value for kind in OperationKind],
        metavar="KIND",
        help="the operation: " + ", ".join(kind.value for kind in OperationKind),
    )
    parser.add_argument("amount", metavar="AMOUNT", help="the amount, e.g. 2000 or 18.50")
    add_policy_option(parser)
    parser.add_argument(
        "--channel",
        choices=[channel.value for channel in Channel],
        help="where the operation is made (some fees depend on it)",
    )
    parser.add_argument(
        "--quota-used",
        default="0",
        metavar="AMOUNT",
        help="free quota already used in the quota's period (default: 0)",
    )
    parser.add_argument(
        "--at", metavar="WHEN", help="when, ISO 8601 (waivers are dated); default: now"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    """Quote and print."""
    label, policies = resolve_policy(args.policy)
    kind = OperationKind(args.kind)
    schedule = policies.merchant_fees if kind is OperationKind.PAYMENT else policies.fees
    currency = schedule.currency
    try:
        amount = Money.of(args.amount, currency)
    except WalletError as error:
        raise refuse(error, "AMOUNT") from None
    if not amount.is_positive():
        raise CliError(f"AMOUNT must be positive, not {args.amount}")
    try:
        quota_used = Money.of(args.quota_used, currency)
    except WalletError as error:
        raise refuse(error, "--quota-used") from None
    if quota_used.is_negative():
        raise CliError(f"--quota-used cannot be negative, not {args.quota_used}")
    quote = schedule.quote(
        kind,
        amount,
        now=parse_instant(args.at),
        channel=None if args.channel is None else Channel(args.channel),
        quota_used=quota_used,
        calendar=policies.calendar,
        zone=policies.limits.zone,
    )
    if args.json:
        output.json(quote_document(label, quote))
    else:
        _print(output, label, quote)
    return 0


def quote_document(policy: str, quote: FeeQuote) -> dict[str, object]:
    """The quote as a JSON-ready mapping."""
    return {
        "policy": policy,
        "kind": quote.kind.value,
        "channel": None if quote.channel is None else quote.channel.value,
        "amount": money_json(quote.amount),
        "currency": quote.currency,
        "fee": money_json(quote.fee),
        "total_debit": money_json(quote.total_debit),
        "net_amount": money_json(quote.net_amount),
        "quota_consumed": money_json(quote.quota_consumed),
        "quota_remaining": money_json(quote.quota_remaining),
        "clamp": quote.clamp,
        "rule": None if quote.rule is None else quote.rule.name or None,
        "waiver": None if quote.waiver is None else quote.waiver.name,
        "lines": [
            {"label": line.label, "amount": money_json(line.amount), "detail": line.detail}
            for line in quote.lines
        ],
    }


def _print(output: Output, policy: str, quote: FeeQuote) -> None:
    channel = "" if quote.channel is None else f" by {quote.channel.value}"
    table = Table(
        title=f"{quote.kind.value} of {money_text(quote.amount)} {quote.currency}{channel} "
        f"under {policy}",
        title_justify="left",
    )
    table.add_column("step")
    table.add_column("amount", justify="right")
    table.add_column("explanation")
    for line in quote.lines:
        table.add_row(line.label, money_text(line.amount), line.detail)
    output.console.print(table)
    output.console.print(f"fee: {money_text(quote.fee)} {quote.currency}")
    output.console.print(f"total debit: {money_text(quote.total_debit)} {quote.currency}")
    if quote.quota_remaining is not None:
        output.console.print(
            f"free quota left after this: {money_text(quote.quota_remaining)} {quote.currency}"
        )
