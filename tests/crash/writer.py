"""The writer process of the crash-safety harness: a wallet service paying merchants over SQLite.

``test_crash_safety.py`` runs it as a subprocess and kills it with SIGKILL at random moments.
It talks to the test through one line per fact on standard output, each written with one
``os.write`` (unbuffered), so that what the test reads is exactly what the writer said before it
died:

- ``python writer.py setup DB WALLETS MERCHANTS`` registers ``WALLETS`` class-2 customers and
  ``MERCHANTS`` merchants, tops each wallet up with :data:`TOP_UP`, and prints
  ``READY <wallet,...> <merchant,...>``. It runs once, before any kill.
- ``python writer.py pay DB LOG FIRST LAST WALLETS MERCHANTS [--drain]`` prints ``OPEN`` once
  the store is open, then pays payments ``FIRST`` to ``LAST`` (idempotency key ``pay-<n>``) and
  after each one returns prints the acknowledgement
  ``ACK <n> <reference> <approved 0|1> <wallet> <merchant> <amount> <fee> <method>`` (amounts
  in minor units). Every :data:`DISPATCH_EVERY` payments it runs the event dispatcher once, with
  a notifier that appends ``<notification id> <event name>`` to ``LOG`` (write + fsync) before
  it returns. With ``--drain`` it then dispatches until the outbox is empty. It ends with
  ``DONE <payments> <seconds>``.

Three options crash the writer by killing it with SIGKILL from inside:
``--crash-before-ack N`` once payment ``N`` has returned (committed) but before it is
acknowledged; ``--crash-after-notices K`` once the ``K``-th notification of this life has been
delivered but before the dispatcher marks its event delivered; and ``--crash-at-statement S``
just before the ``S``-th SQL statement of this life runs (any of a command's statements, its
``BEGIN``, ``COMMIT`` or a savepoint included), so that kills land at every point of a
transaction without the test waiting for time to pass.

Payment ``n`` is a function of ``n`` alone (:func:`order`), so a payment re-submitted after a
crash is the same command with the same key: the service must answer it from its idempotency
record if the first attempt committed, and run it if it did not.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Final

from icbc_wallet import bootstrap
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.sqlite import SqliteStore
from icbc_wallet.domain.fee_rules import FeeRule
from icbc_wallet.domain.fees import FeeSchedule
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.ports.notifications import Notification
from icbc_wallet.presets.fees import WECHAT_WITHDRAWAL_2016
from icbc_wallet.presets.limits import ECNY_2021
from icbc_wallet.presets.tiers import ECNY_TIER_POLICY
from icbc_wallet.service import WalletPolicies
from icbc_wallet.service.dispatcher import EventDispatcher

FINGERPRINT_KEY: Final = b"crash-harness-fingerprint-key"
"""The idempotency fingerprint key: the same in every life, as it must be with a real database."""
TOP_UP: Final = Money.of("100000")
"""What each wallet is topped up with before the payments (class 2 holds up to 500,000)."""
DECLINED_EVERY: Final = 101
"""Every 101st payment asks for more than class 2's 50,000 per transaction: a declined payment."""
DISPATCH_EVERY: Final = 100
"""Payments between two runs of the event dispatcher."""
MERCHANT_RATE: Final = "0.006"
"""The merchants' service fee on each payment (half up to the fen), so fee income moves too."""
_METHODS: Final = ("nfc", "dynamic_qr", "online", "static_qr")


def policies() -> WalletPolicies:
    """The e-CNY classes without the static QR cap (10,000 payments fit a class-2 day)."""
    merchant_fee = FeeRule.percentage(OperationKind.PAYMENT, MERCHANT_RATE, name="merchant rate")
    return WalletPolicies(
        limits=ECNY_2021,
        tiers=ECNY_TIER_POLICY,
        fees=WECHAT_WITHDRAWAL_2016,
        merchant_fees=FeeSchedule([merchant_fee], name="crash harness merchant fees"),
    )


def order(n: int, wallets: Sequence[str], merchants: Sequence[str]) -> tuple[str, str, int, str]:
    """Payment ``n``: its wallet, merchant, amount in fen and method (a function of ``n`` only)."""
    wallet = wallets[n % len(wallets)]
    merchant = merchants[(n // len(wallets)) % len(merchants)]
    amount = 6_000_000 if n % DECLINED_EVERY == 0 else 1 + (n * 7919) % 1999  # 0.01 to 19.99
    return wallet, merchant, amount, _METHODS[(n // 7) % len(_METHODS)]


def _say(line: str) -> None:
    os.write(sys.stdout.fileno(), (line + "\n").encode())


def _crash() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _crash_at(statement: int) -> Callable[[str], None]:
    """A SQLite trace callback that kills the process just before the ``statement``-th runs."""
    left = [statement]

    def count(_sql: str) -> None:
        left[0] -= 1
        if left[0] == 0:
            _crash()

    return count


class FileNotifier:
    """Delivers a notification by appending its id to a log file, durably, before returning.

    Args:
        path: the log file (appended to).
        crash_after: die by SIGKILL right after delivering this many notifications (None: never).
    """

    def __init__(self, path: str, crash_after: int | None = None) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._left = crash_after

    def notify(self, notification: Notification) -> None:
        """Append ``<id> <event name>`` and fsync: delivered once this returns."""
        os.write(self._fd, f"{notification.notification_id} {notification.event_name}\n".encode())
        os.fsync(self._fd)
        if self._left is not None:
            self._left -= 1
            if self._left == 0:
                _crash()

    def close(self) -> None:
        """Close the log."""
        os.close(self._fd)


def _open(path: str) -> bootstrap.Bank:
    return bootstrap.sqlite(
        path,
        fingerprint_key=FINGERPRINT_KEY,
        policies=policies(),
        hasher=ScryptHasher.fast_for_tests(),
    )


def _luhn(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit // 10 + digit % 10
    return body + str(-total % 10)


def _resident(serial: int) -> ResidentId:
    body = f"34052419800101{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True))
    return ResidentId.parse(body + "10X98765432"[total % 11])


def setup(path: str, wallets: int, merchants: int) -> None:
    """Register the customers and merchants and top the wallets up (one life, never killed)."""
    bank = _open(path)
    service = bank.service
    wallet_ids, merchant_ids = [], []
    for serial in range(1, wallets + 1):
        phone = PhoneNumber.parse(f"1380013{serial:04d}")
        card = BankCard.parse(_luhn(f"622576{serial:09d}"))
        key = f"setup-{serial}"
        registration = service.start_registration(phone, idempotency_key=f"{key}-start")
        code = bank.phone_verifier.last_code_for(phone)
        assert code is not None, "the SMS stand-in sent no code"
        service.verify_phone(registration, phone, code, idempotency_key=f"{key}-phone")
        service.provide_identity(
            registration, "张三", _resident(serial), idempotency_key=f"{key}-id"
        )
        service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=f"{key}-pw")
        service.add_card(registration, card, idempotency_key=f"{key}-card")
        wallet = service.submit_registration(registration, idempotency_key=f"{key}-submit")
        topped = service.top_up(wallet, card, TOP_UP, idempotency_key=f"{key}-top-up")
        assert topped.approved, topped.decision
        wallet_ids.append(str(wallet))
    credit_code = MerchantCreditCode.parse("91110000600037341L")
    for serial in range(1, merchants + 1):
        merchant = service.register_merchant(
            f"Shop {serial}", credit_code, "food", idempotency_key=f"setup-merchant-{serial}"
        )
        merchant_ids.append(str(merchant))
    bank.close()
    _say(f"READY {','.join(wallet_ids)} {','.join(merchant_ids)}")


def pay(
    path: str,
    log: str,
    first: int,
    last: int,
    wallets: Sequence[str],
    merchants: Sequence[str],
    *,
    drain: bool = False,
    crash_before_ack: int | None = None,
    crash_after_notices: int | None = None,
    crash_at_statement: int | None = None,
) -> None:
    """Pay payments ``first`` to ``last``, acknowledging each (see the module docstring)."""
    bank = _open(path)
    notifier = FileNotifier(log, crash_after_notices)
    dispatcher = EventDispatcher(bank.store.unit_of_work, notifier)
    service, currency = bank.service, bank.service.policies.limits.currency
    if crash_at_statement is not None:
        assert isinstance(bank.store, SqliteStore)
        bank.store.connection().set_trace_callback(_crash_at(crash_at_statement))
    _say("OPEN")
    started = time.perf_counter()
    for n in range(first, last + 1):
        wallet, merchant, amount, method = order(n, wallets, merchants)
        result = service.pay(
            wallet,
            merchant,
            Money._make(amount, currency),
            method=method,
            idempotency_key=f"pay-{n}",
        )
        if n == crash_before_ack:
            _crash()
        fee = 0 if result.fee is None else result.fee.minor
        approved = int(result.approved)
        _say(f"ACK {n} {result.reference} {approved} {wallet} {merchant} {amount} {fee} {method}")
        if n % DISPATCH_EVERY == 0:
            dispatcher.dispatch(limit=1000)
    elapsed = time.perf_counter() - started
    while drain and dispatcher.dispatch(limit=1000):
        pass
    notifier.close()
    bank.close()
    _say(f"DONE {last - first + 1} {elapsed:.3f}")


def main(argv: Sequence[str] | None = None) -> None:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    set_up = commands.add_parser("setup")
    set_up.add_argument("db")
    set_up.add_argument("wallets", type=int)
    set_up.add_argument("merchants", type=int)
    paying = commands.add_parser("pay")
    paying.add_argument("db")
    paying.add_argument("log")
    paying.add_argument("first", type=int)
    paying.add_argument("last", type=int)
    paying.add_argument("wallets")
    paying.add_argument("merchants")
    paying.add_argument("--drain", action="store_true")
    paying.add_argument("--crash-before-ack", type=int)
    paying.add_argument("--crash-after-notices", type=int)
    paying.add_argument("--crash-at-statement", type=int)
    args = parser.parse_args(argv)
    if args.command == "setup":
        setup(args.db, args.wallets, args.merchants)
    else:
        wallets, merchants = args.wallets.split(","), args.merchants.split(",")
        pay(
            args.db,
            args.log,
            args.first,
            args.last,
            wallets,
            merchants,
            drain=args.drain,
            crash_before_ack=args.crash_before_ack,
            crash_after_notices=args.crash_after_notices,
            crash_at_statement=args.crash_at_statement,
        )


if __name__ == "__main__":
    main()
