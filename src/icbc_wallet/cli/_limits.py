"""``icbc-wallet limits [TIER]``: a policy set's limits, and a tier's headroom."""

from __future__ import annotations

import argparse

from rich.table import Table

from icbc_wallet.cli._output import CliError, Output, money_json, money_text
from icbc_wallet.cli._policies import add_policy_option, parse_instant, refuse, resolve_policy
from icbc_wallet.domain.headroom import limit_headroom
from icbc_wallet.domain.limits import LimitSchedule, LimitWindow, PaymentMethod, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.usage import LimitUsage
from icbc_wallet.errors import WalletError

_HELP = """\
Show the policy set's limits: every tier's caps per transaction, day, month, year and lifetime,
balance caps, the stricter caps of particular payment methods and the methods a tier may not use.

With a TIER and --method, show the caps that bind that method; add --spent to see how much is
left in each window after spending that amount today, and the largest payment allowed now
(as the wallet's own limit check counts it).

examples:
  icbc-wallet limits
  icbc-wallet limits WL04 --method static_qr --spent 300
  icbc-wallet limits --policy bank.toml --json"""

_WINDOWS = tuple(LimitWindow)


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``limits`` command."""
    parser = commands.add_parser(
        "limits",
        help="show tiers' limits and what is left to spend",
        description=_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("tier", nargs="?", metavar="TIER", help="one tier (default: all)")
    add_policy_option(parser)
    parser.add_argument(
        "--method",
        choices=[method.value for method in PaymentMethod],
        help="the payment method (needs TIER)",
    )
    parser.add_argument(
        "--spent",
        metavar="AMOUNT",
        help="already spent today by --method (needs TIER and --method)",
    )
    parser.add_argument("--at", metavar="WHEN", help="when, ISO 8601; default: now")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    """Print the limits, or one tier's headroom."""
    label, policies = resolve_policy(args.policy)
    schedule = policies.limits
    if args.tier is None:
        if args.method is not None or args.spent is not None:
            raise CliError("--method and --spent need a TIER (e.g. 'limits WL03 --method nfc')")
        tiers = schedule.tiers
    else:
        try:
            tiers = (schedule.tier(args.tier),)
        except WalletError:
            known = ", ".join(schedule.tier_names)
            raise CliError(f"no tier {args.tier!r} in {label} (tiers: {known})") from None
    if args.method is None:
        if args.spent is not None:
            raise CliError("--spent needs --method: limits are counted per payment method too")
        if args.json:
            output.json(
                {
                    "policy": label,
                    "currency": schedule.currency,
                    "tiers": [_tier_document(tier) for tier in tiers],
                }
            )
        else:
            output.console.print(_tiers_table(label, schedule, tiers))
        return 0
    return _headroom(args, output, label, schedule, tiers[0])


def _tier_document(tier: TierLimits) -> dict[str, object]:
    return {
        "tier": tier.name,
        "description": tier.description,
        "limit": {w.label: money_json(tier.limit.cap(w)) for w in _WINDOWS},
        "balance_cap": money_json(tier.balance_cap),
        "methods": {
            method.value: {w.label: money_json(limit.cap(w)) for w in _WINDOWS}
            for method, limit in sorted(tier.methods.items())
        },
        "disallowed": sorted(method.value for method in tier.disallowed),
    }


def _tiers_table(label: str, schedule: LimitSchedule, tiers: tuple[TierLimits, ...]) -> Table:
    table = Table(title=f"limits of {label} ({schedule.currency})", title_justify="left")
    table.add_column("tier")
    for window in _WINDOWS:
        table.add_column(window.label.replace("_", " "), justify="right")
    table.add_column("balance cap", justify="right")
    table.add_column("by method")
    for tier in tiers:
        notes = [
            f"{method.value}: "
            + ", ".join(
                f"{w.label} {money_text(limit.cap(w))}"
                for w in _WINDOWS
                if limit.cap(w) is not None
            )
            for method, limit in sorted(tier.methods.items())
        ]
        notes += [f"{method.value}: not allowed" for method in sorted(tier.disallowed)]
        table.add_row(
            tier.name,
            *(money_text(tier.limit.cap(w), "-") for w in _WINDOWS),
            money_text(tier.balance_cap, "-"),
            "\n".join(notes),
        )
    return table


def _headroom(
    args: argparse.Namespace, output: Output, label: str, schedule: LimitSchedule, tier: TierLimits
) -> int:
    method = PaymentMethod(args.method)
    now = parse_instant(args.at)
    usage = LimitUsage(currency=schedule.currency, zone=schedule.zone)
    if args.spent is not None:
        try:
            spent = Money.of(args.spent, schedule.currency)
        except WalletError as error:
            raise refuse(error, "--spent") from None
        if spent.is_negative():
            raise CliError("--spent cannot be negative")
        if spent.is_positive():
            usage = usage.record(method, spent, now)
    room = limit_headroom(schedule, tier.name, usage, now, method=method)
    if args.json:
        output.json(
            {
                "policy": label,
                "tier": tier.name,
                "method": method.value,
                "currency": schedule.currency,
                "allowed": room.allowed,
                "windows": [
                    {
                        "window": w.window.label,
                        "cap": money_json(w.cap),
                        "used": money_json(w.used),
                        "remaining": money_json(w.remaining),
                        "binding": w.scope,
                    }
                    for w in room.windows
                ],
                "largest_payment_now": money_json(room.available),
            }
        )
        return 0
    table = Table(
        title=f"{tier.name} paying by {method.value} under {label} ({schedule.currency})",
        title_justify="left",
    )
    for column in ("window", "cap", "used", "remaining", "binding cap"):
        table.add_column(
            column, justify="right" if column in ("cap", "used", "remaining") else "left"
        )
    for w in room.windows:
        table.add_row(
            w.window.label,
            money_text(w.cap),
            money_text(w.used),
            money_text(w.remaining),
            w.scope or "",
        )
    output.console.print(table)
    if not room.allowed:
        output.console.print(f"{tier.name} may not use {method.value} at all.")
    else:
        output.console.print(f"largest payment now: {money_text(room.available)}")
        if method is PaymentMethod.WITHDRAWAL:
            output.console.print(
                "a withdrawal's fee counts against the limit too: the largest withdrawal is "
                "this less its fee ('icbc-wallet quote withdrawal AMOUNT' prices it)"
            )
    return 0
