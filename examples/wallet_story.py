"""The article's story through the real wallet service: a small population's first month.

Run it with ``python examples/wallet_story.py`` after ``python -m pip install .``. It registers
customers at different verification tiers, lets them top up, pay merchants by QR code, NFC and
online, pay bills, transfer to each other, withdraw, ask for refunds and dispute a refused one,
then prints what happened: operations by outcome, declines by reason, fees, refunds, disputes,
and a check that money was conserved. Everything runs in memory (the SQLite default arrives with
the persistence work); the clock is simulated, the random generator seeded.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from icbc_wallet import (
    BankCard,
    MerchantCreditCode,
    Money,
    PhoneNumber,
    ResidentId,
    WalletError,
    trial_balance,
)
from icbc_wallet.bootstrap import InMemoryBank, in_memory
from icbc_wallet.domain.disputes import DisputeEvidence
from icbc_wallet.service import OperationResult

CUSTOMERS = (
    # phone, name, resident ID, card: the evidence decides the tier
    ("13800138000", "张三", "34052419800101001X", "6225768888888888"),
    ("13900139000", "李四", "11010519491231002X", None),
    ("13700137000", None, None, None),
)
MERCHANTS = (
    ("Lucky Coffee", "91110000600037341L", "food"),
    ("City Power", "91310000MA1FL0000N", "utilities"),
)


def register(
    bank: InMemoryBank, number: str, name: str | None, rid: str | None, card: str | None
) -> str:
    service, phone = bank.service, PhoneNumber.parse(number)
    registration = service.start_registration(phone, idempotency_key=f"reg-{number}")
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    service.verify_phone(registration, phone, code, idempotency_key=f"otp-{number}")
    if name is not None and rid is not None:
        service.provide_identity(
            registration, name, ResidentId.parse(rid), idempotency_key=f"id-{number}"
        )
    service.set_credentials(
        registration, "135790", "Pet's name?", "Lucky", idempotency_key=f"pw-{number}"
    )
    if card is not None:
        service.add_card(registration, BankCard.parse(card), idempotency_key=f"card-{number}")
    return service.submit_registration(registration, idempotency_key=f"submit-{number}")


def report(bank: InMemoryBank, outcomes: Counter[str], declines: Counter[str]) -> None:
    """Print what happened and check that the ledger balances."""
    delivered = bank.dispatcher.dispatch(limit=10_000)
    with bank.store.unit_of_work() as uow:
        balances = uow.ledger.balances()
    print("== Operations ==")
    for name, number in sorted(outcomes.items()):
        print(f"  {name:<40} {number:>4}")
    print("== Declines by reason ==")
    for code, number in declines.most_common():
        print(f"  {code:<40} {number:>4}")
    print("== Balances ==")
    for account, balance in sorted(balances.items(), key=lambda item: str(item[0])):
        print(f"  {account!s:<40} {balance.posted!s:>16}")
    print(f"== Notifications delivered: {delivered} events ==")
    conserved = trial_balance(balances.values())
    print(f"== Money conserved: ledger sums to {conserved} ==")
    if conserved != Money.zero():
        raise SystemExit("the ledger does not balance")


def main() -> None:
    rng = random.Random(2026)
    bank = in_memory(start=datetime(2026, 3, 1, 1, tzinfo=UTC))
    service = bank.service
    wallets = [register(bank, *customer) for customer in CUSTOMERS]
    merchants = [
        service.register_merchant(
            name, MerchantCreditCode.parse(code), category, idempotency_key=f"m-{code}"
        )
        for name, code, category in MERCHANTS
    ]
    card = BankCard.parse("6225768888888888")
    outcomes: Counter[str] = Counter()
    declines: Counter[str] = Counter()
    payments: list[str] = []

    def count(kind: str, result: OperationResult) -> None:
        outcomes[f"{kind} {'approved' if result.approved else 'declined'}"] += 1
        if not result.approved:
            declines[result.decision.reason.code] += 1  # type: ignore[union-attr]

    count("top-up", service.top_up(wallets[0], card, Money.of("20000"), idempotency_key="top-up"))
    for day in range(30):
        bank.clock.advance(timedelta(days=1))
        for _ in range(3):
            amount = Money.of(rng.choice(["12.50", "18.00", "35.50", "160.00", "480.00"]))
            method = rng.choice(["static_qr", "dynamic_qr", "nfc", "online"])
            result = service.pay(
                wallets[0], merchants[0], amount, method=method, idempotency_key=f"pay-{day}-{_}"
            )
            count("payment", result)
            if result.approved:
                payments.append(result.reference)
        if day % 10 == 0:
            count(
                "bill",
                service.pay_bill(
                    wallets[0],
                    merchants[1],
                    Money.of("210.40"),
                    category="utilities",
                    idempotency_key=f"bill-{day}",
                ),
            )
        if day % 7 == 0:
            count(
                "transfer",
                service.transfer(
                    wallets[0], wallets[1], Money.of("200"), idempotency_key=f"tr-{day}"
                ),
            )
    count(
        "withdrawal",
        service.withdraw(wallets[0], card, Money.of("800"), idempotency_key="withdraw"),
    )
    try:
        service.withdraw(wallets[2], card, Money.of("10"), idempotency_key="anonymous-withdraw")
    except WalletError as error:  # an anonymous wallet has no card bound
        outcomes[f"refused as bad input: {type(error).__name__}"] += 1

    refund = service.request_refund(
        payments[-1],
        service.payment(payments[-1]).captured,
        "Wrong order",
        idempotency_key="refund",
    )
    count("refund request", refund)
    service.accept_refund(refund.reference, idempotency_key="refund-ok")
    claim = service.request_refund(
        payments[-2],
        service.payment(payments[-2]).captured,
        "Never served",
        idempotency_key="claim",
    )
    service.refuse_refund(claim.reference, "Served on time", idempotency_key="claim-refused")
    evidence = DisputeEvidence(
        order_number="LC-0331", receipt="R-99", description="Order never arrived"
    )
    dispute = service.open_dispute(claim.reference, evidence, idempotency_key="dispute")
    count("dispute", dispute)
    # The merchant does not answer in time: the bank's rule makes it responsible for the amount.
    bank.clock.advance(timedelta(days=4))
    outcomes["disputes decided by default"] += service.decide_unanswered_disputes()

    report(bank, outcomes, declines)


if __name__ == "__main__":
    main()
