"""Guarded money commands: the factors presented, PBOC Art. 24 caps, step-up and risk alerts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from icbc_wallet.adapters.argon2id import Argon2Hasher
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds, UuidIds
from icbc_wallet.bootstrap import InMemoryBank, sqlite
from icbc_wallet.domain.attestations import Attestation, Presented, SmsAnswer
from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.events import OperationDeclined, PaymentDeclined, RiskAlertRaised
from icbc_wallet.domain.factors import Factor
from icbc_wallet.domain.identity import MerchantCreditCode, PhoneNumber
from icbc_wallet.domain.ids import MerchantId, WalletId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.risk_assessment import RiskAction, RiskOutcome
from icbc_wallet.domain.risk_rules import RiskRules, VelocityAmountRule, VelocityCountRule
from icbc_wallet.errors import InvalidPolicyError, SecretTypeError, UnknownFactorError
from icbc_wallet.ports.notifications import NotificationKind
from icbc_wallet.service import WalletPolicies

OpenWallet = Callable[..., WalletId]
"""The ``open_wallet`` fixture (tests/conftest.py)."""

PASSWORD = Presented(password="135790")


@pytest.fixture
def wallet_policies() -> WalletPolicies:
    return WalletPolicies.guarded()


def _sms(bank: InMemoryBank, wallet: WalletId, purpose: str = "pay") -> SmsAnswer:
    challenge = bank.service.send_code(wallet, purpose)
    code = bank.notifier.sent[-1].code
    assert code is not None
    return SmsAnswer(challenge, code)


def _events(bank: InMemoryBank, wallet: WalletId) -> list[object]:
    with bank.store.unit_of_work() as uow:
        return list(uow.events.for_aggregate(wallet))


def test_a_payment_with_nothing_presented_asks_for_a_factor_and_moves_nothing(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    wallet = open_wallet("WL02", top_up=Money.of("3000"))

    result = memory_bank.service.pay(
        wallet, coffee_shop, Money.of("35"), method="online", idempotency_key="p1"
    )

    assert result.decision.reason is DeclineReason.AUTHENTICATION_REQUIRED  # type: ignore[union-attr]
    assert result.challenge is not None
    assert frozenset({Factor.PAYMENT_PASSWORD}) in result.challenge.options
    assert memory_bank.service.balance(wallet).posted == Money.of("3000")
    declined = [e for e in _events(memory_bank, wallet) if type(e) is PaymentDeclined]
    assert [e.reason for e in declined] == [DeclineReason.AUTHENTICATION_REQUIRED]


def test_the_payment_password_allows_up_to_a_thousand_a_day(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))

    first = service.pay(
        wallet, coffee_shop, Money.of("600"), method="online", presented=PASSWORD,
        idempotency_key="p1",
    )  # fmt: skip
    second = service.pay(
        wallet, coffee_shop, Money.of("400"), method="online", presented=PASSWORD,
        idempotency_key="p2",
    )  # fmt: skip
    third = service.pay(
        wallet, coffee_shop, Money.of("0.01"), method="online", presented=PASSWORD,
        idempotency_key="p3",
    )  # fmt: skip

    assert first.approved
    assert second.approved
    assert third.decision.reason is DeclineReason.AUTHENTICATION_REQUIRED  # type: ignore[union-attr]
    assert third.challenge is not None
    assert all(len({f.category for f in option} | {Factor.PAYMENT_PASSWORD.category}) >= 2
               for option in third.challenge.options)  # fmt: skip


def test_a_second_kind_of_factor_raises_the_day_to_five_thousand(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("6000"))
    both = attrs.evolve(PASSWORD, sms=_sms(memory_bank, wallet))

    result = service.pay(
        wallet, coffee_shop, Money.of("1500"), method="online", presented=both,
        idempotency_key="p1",
    )  # fmt: skip

    assert result.approved
    assert service.balance(wallet).posted == Money.of("4500")


def test_a_small_nfc_payment_needs_no_factor_until_the_password_free_total(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))

    tap = service.pay(wallet, coffee_shop, Money.of("800"), method="nfc", idempotency_key="n1")
    again = service.pay(wallet, coffee_shop, Money.of("300"), method="nfc", idempotency_key="n2")

    assert tap.approved
    assert again.decision.reason is DeclineReason.AUTHENTICATION_REQUIRED  # type: ignore[union-attr]


def test_a_wrong_password_declines_and_counts_once_even_when_replayed(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))
    wrong = Presented(password="246802")

    first = service.pay(
        wallet, coffee_shop, Money.of("35"), method="online", presented=wrong, idempotency_key="w"
    )
    replay = service.pay(
        wallet, coffee_shop, Money.of("35"), method="online", presented=wrong, idempotency_key="w"
    )

    assert first == replay
    assert not first.approved
    assert service.verify_payment_password(wallet, "246802").attempts_left == 1


def test_a_locked_password_no_longer_counts(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))
    for _ in range(3):
        service.verify_payment_password(wallet, "246802")

    result = service.pay(
        wallet, coffee_shop, Money.of("35"), method="online", presented=PASSWORD,
        idempotency_key="p1",
    )  # fmt: skip

    assert not result.approved
    assert result.challenge is None or Factor.PAYMENT_PASSWORD not in {
        factor for option in result.challenge.options for factor in option
    }


def test_a_device_attestation_counts_only_when_the_verifier_accepts_it(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))
    evidence = memory_bank.attestation_verifier.enrol(wallet, Factor.FACE, "phone-1")
    forged = Presented(attestations=(Attestation(Factor.FACE, "phone-1", b"forged"),))
    genuine = Presented(attestations=(Attestation(Factor.FACE, "phone-1", evidence),))

    refused = service.pay(
        wallet, coffee_shop, Money.of("35"), method="online", presented=forged,
        idempotency_key="f1",
    )  # fmt: skip
    accepted = service.pay(
        wallet, coffee_shop, Money.of("35"), method="online", presented=genuine,
        idempotency_key="f2",
    )  # fmt: skip

    assert not refused.approved
    assert accepted.approved


def test_a_large_payment_to_a_new_payee_alerts_and_steps_up(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("6000"))
    face = memory_bank.attestation_verifier.enrol(wallet, Factor.FACE, "phone-1")

    both = attrs.evolve(PASSWORD, sms=_sms(memory_bank, wallet))
    result = service.pay(
        wallet, coffee_shop, Money.of("2500"), method="online", presented=both,
        idempotency_key="big",
    )  # fmt: skip
    memory_bank.clock.advance(timedelta(minutes=1))  # the next code may be sent
    all_three = attrs.evolve(
        PASSWORD,
        sms=_sms(memory_bank, wallet),
        attestations=(Attestation(Factor.FACE, "phone-1", face),),
    )
    stepped = service.pay(
        wallet, coffee_shop, Money.of("2500"), method="online", presented=all_three,
        idempotency_key="big-2",
    )  # fmt: skip

    # two kinds would do for 2,500 (Art. 24); the risk rule asks one more kind on top
    assert result.risk is not None
    assert result.risk.outcome is RiskOutcome.CHALLENGE
    assert "payee.new_large_amount" in [rule.value for rule in result.risk.rules]
    assert not result.approved
    assert stepped.approved
    alerts = [e for e in _events(memory_bank, wallet) if type(e) is RiskAlertRaised]
    assert len(alerts) == 2
    assert alerts[0].outcome == "challenge"
    memory_bank.dispatcher.dispatch()
    security = [n for n in memory_bank.notifier.for_recipient(wallet)
                if n.kind is NotificationKind.SECURITY]  # fmt: skip
    assert any("not frozen" in n.text for n in security)


@pytest.mark.parametrize(
    "wallet_policies",
    [
        attrs.evolve(
            WalletPolicies.guarded(),
            risk=RiskRules(
                velocity_count=VelocityCountRule(max_operations=1, action=RiskAction.DENY)
            ),
        )
    ],
)
def test_a_denied_withdrawal_or_transfer_moves_nothing_and_freezes_nothing(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service = memory_bank.service
    wallet, friend = open_wallet("WL02", top_up=Money.of("3000")), open_wallet("WL02")
    card = service.wallet(wallet).cards[0]
    memory_bank.clock.advance(timedelta(minutes=1))

    sent = service.transfer(
        wallet, friend, Money.of("100"), presented=PASSWORD, idempotency_key="t1"
    )
    second = service.transfer(
        wallet, friend, Money.of("100"), presented=PASSWORD, idempotency_key="t2"
    )
    out = service.withdraw(wallet, card, Money.of("100"), presented=PASSWORD, idempotency_key="w")

    assert sent.approved
    assert second.decision.reason is DeclineReason.RISK_DENIED  # type: ignore[union-attr]
    assert out.decision.reason is DeclineReason.RISK_DENIED  # type: ignore[union-attr]
    assert service.balance(wallet).posted == Money.of("2900")
    assert service.wallet(wallet).status.value == "active"
    declined = [e.operation.value for e in _events(memory_bank, wallet)
                if type(e) is OperationDeclined]  # fmt: skip
    assert declined == ["transfer", "withdrawal"]


def test_presented_must_be_a_presented_value(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    wallet = open_wallet("WL02", top_up=Money.of("100"))
    with pytest.raises(SecretTypeError):
        memory_bank.service.pay(
            wallet, coffee_shop, Money.of("1"), method="online",
            presented="135790",  # type: ignore[arg-type]
            idempotency_key="x",
        )  # fmt: skip
    assert memory_bank.service.balance(wallet).posted == Money.of("100")


def test_a_login_needs_the_password_and_a_dynamic_password(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL04")

    alone = service.authenticate(wallet, "login", PASSWORD)
    with_code = service.authenticate(
        wallet, "login", attrs.evolve(PASSWORD, sms=_sms(memory_bank, wallet, "login"))
    )

    assert alone.declined is not None
    assert alone.challenge is not None
    assert any(Factor.SMS_OTP in option for option in alone.challenge.options)
    assert with_code.declined is None
    assert with_code.verified == {Factor.PAYMENT_PASSWORD, Factor.SMS_OTP}


def test_an_sms_code_sent_for_a_login_does_not_authorise_a_payment(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:

    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))
    login_code = attrs.evolve(PASSWORD, sms=_sms(memory_bank, wallet, "login"))

    result = service.pay(
        wallet, coffee_shop, Money.of("1500"), method="online", presented=login_code,
        idempotency_key="p1",
    )  # fmt: skip

    assert result.decision.reason is DeclineReason.AUTHENTICATION_REQUIRED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "wallet_policies", [attrs.evolve(WalletPolicies.default(), risk=RiskRules())]
)
def test_risk_alone_challenges_until_two_kinds_of_factor_are_presented(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("6000"))
    face = memory_bank.attestation_verifier.enrol(wallet, Factor.FACE, "phone-1")
    two_kinds = attrs.evolve(PASSWORD, attestations=(Attestation(Factor.FACE, "phone-1", face),))

    big = service.pay(
        wallet, coffee_shop, Money.of("2500"), method="online", presented=PASSWORD,
        idempotency_key="b1",
    )  # fmt: skip
    stepped = service.pay(
        wallet, coffee_shop, Money.of("2500"), method="online", presented=two_kinds,
        idempotency_key="b2",
    )  # fmt: skip

    small = service.pay(wallet, coffee_shop, Money.of("35"), method="online", idempotency_key="s")

    assert small.approved  # nothing fired: no factor needed without an authentication policy
    assert big.decision.reason is DeclineReason.AUTHENTICATION_REQUIRED  # type: ignore[union-attr]
    assert big.challenge is None  # no policy to name the factors
    assert stepped.approved


@pytest.mark.parametrize(
    "wallet_policies",
    [attrs.evolve(WalletPolicies.guarded(), risk=None)],
)
def test_an_enrolled_authenticator_is_a_second_kind_of_factor(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    import pyotp  # noqa: PLC0415  # only this test reads codes

    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("6000"))
    secret = service.enrol_totp(wallet, "135790").secret
    assert secret is not None
    totp = pyotp.TOTP(secret)
    service.confirm_totp(wallet, totp.at(memory_bank.clock.now()))
    memory_bank.clock.advance(timedelta(seconds=30))

    result = service.pay(
        wallet, coffee_shop, Money.of("2500"), method="online",
        presented=attrs.evolve(PASSWORD, totp=totp.at(memory_bank.clock.now())),
        idempotency_key="p1",
    )  # fmt: skip

    assert result.approved
    assert result.risk is None


def test_the_password_free_total_starts_again_each_business_day(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))
    first = service.pay(wallet, coffee_shop, Money.of("600"), method="nfc", idempotency_key="d1")
    memory_bank.clock.advance(timedelta(days=1))

    next_day = service.pay(wallet, coffee_shop, Money.of("600"), method="nfc", idempotency_key="d2")

    assert first.approved
    assert next_day.approved


def test_authenticate_checks_its_inputs_and_can_ask_ahead_for_a_payment(
    memory_bank: InMemoryBank, open_wallet: OpenWallet
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))

    with pytest.raises(SecretTypeError):
        service.authenticate(wallet, "login", "135790")  # type: ignore[arg-type]
    ahead = service.authenticate(wallet, "pay", PASSWORD, amount=Money.of("1500"), method="online")

    assert ahead.verified == {Factor.PAYMENT_PASSWORD}
    assert ahead.challenge is not None  # 1,500 needs two kinds


def test_sending_a_code_needs_a_notifier(
    open_wallet: OpenWallet, memory_bank: InMemoryBank
) -> None:
    wallet = open_wallet("WL04")
    memory_bank.service._notifier = None

    with pytest.raises(InvalidPolicyError, match="notifier"):
        memory_bank.service.send_code(wallet, "pay")


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: Attestation(Factor.PAYMENT_PASSWORD, "d", b"x"), UnknownFactorError),
        (lambda: Attestation("face", "d", b"x"), UnknownFactorError),
        (lambda: Attestation(Factor.FACE, "", b"x"), SecretTypeError),
        (lambda: Attestation(Factor.FACE, "d", b""), SecretTypeError),
        (lambda: Presented(password=135790), SecretTypeError),  # type: ignore[arg-type]
        (lambda: Presented(attestations="face"), SecretTypeError),
        (lambda: SmsAnswer("OTP-1", 123456), SecretTypeError),  # type: ignore[arg-type]
    ],
)
def test_malformed_factors_are_refused(build: Callable[[], object], error: type[Exception]) -> None:
    with pytest.raises(error):
        build()


def test_presented_secrets_never_show_in_repr() -> None:
    presented = Presented(
        password="135790",
        totp="246813",
        sms=SmsAnswer("OTP-1", "975310"),
        attestations=(Attestation(Factor.FACE, "phone-1", b"evidence-bytes"),),
        device="phone-1",
    )

    shown = repr(presented)

    assert not any(secret in shown for secret in ("135790", "246813", "975310", "evidence"))
    assert not presented.empty
    assert Presented(device="phone-1").empty


def test_a_password_free_payment_the_wallet_declines_counts_nothing_towards_the_day(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("100"))
    short = service.pay(wallet, coffee_shop, Money.of("500"), method="nfc", idempotency_key="n1")
    service.authenticate(wallet, "pay", Presented(), amount=Money.of("400"), method="nfc")
    service.top_up(wallet, service.wallet(wallet).cards[0], Money.of("2000"), idempotency_key="t")

    tap = service.pay(wallet, coffee_shop, Money.of("900"), method="nfc", idempotency_key="n2")

    assert short.decision.reason is DeclineReason.INSUFFICIENT_FUNDS  # type: ignore[union-attr]
    assert tap.approved  # neither the declined 500 nor the question ahead used the 1,000


def test_answering_a_step_up_is_not_counted_as_a_second_attempt(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))
    results = []
    for n in range(6):  # six coffees in ten minutes, each first tried without the password
        service.pay(wallet, coffee_shop, Money.of("20"), method="online", idempotency_key=f"a{n}")
        results.append(
            service.pay(
                wallet,
                coffee_shop,
                Money.of("20"),
                method="online",
                presented=PASSWORD,
                idempotency_key=f"b{n}",
            )
        )

    assert all(result.approved for result in results)


def test_transfers_are_assessed_without_a_channel_they_could_never_teach(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service = memory_bank.service
    wallet, friend = open_wallet("WL02", top_up=Money.of("3000")), open_wallet("WL02")
    service.pay(
        wallet, coffee_shop, Money.of("20"), method="online", presented=PASSWORD,
        idempotency_key="p",
    )  # fmt: skip

    sent = [
        service.transfer(
            wallet,
            friend,
            Money.of("10"),
            channel="pc",
            presented=PASSWORD,
            idempotency_key=f"t{n}",
        )
        for n in range(3)
    ]

    assert all(result.approved and result.risk is None for result in sent)


def test_money_sent_to_the_holders_own_card_is_not_a_payment_under_article_24(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("3000"))
    card = service.wallet(wallet).cards[0]
    out = service.withdraw(wallet, card, Money.of("1000"), presented=PASSWORD, idempotency_key="w")

    coffee = service.pay(
        wallet, coffee_shop, Money.of("5"), method="online", presented=PASSWORD,
        idempotency_key="p",
    )  # fmt: skip

    assert out.approved
    assert coffee.approved


@pytest.mark.parametrize(
    "wallet_policies",
    [
        attrs.evolve(
            WalletPolicies.default(),
            risk=RiskRules(velocity_amount=VelocityAmountRule(max_total=Money.of("2000"))),
        )
    ],
)
def test_a_voided_hold_moved_no_money_for_risk_monitoring(
    memory_bank: InMemoryBank, open_wallet: OpenWallet, coffee_shop: MerchantId
) -> None:
    service, wallet = memory_bank.service, open_wallet("WL02", top_up=Money.of("9000"))
    held = service.authorise(
        wallet, coffee_shop, Money.of("1900"), method="online", idempotency_key="h"
    )
    service.void(held.reference, idempotency_key="v")

    paid = service.pay(wallet, coffee_shop, Money.of("500"), method="online", idempotency_key="p")

    assert held.approved
    assert paid.approved  # 500 out today, not 2,400: no step-up


def test_a_service_sees_the_payments_another_service_made_since_it_last_looked(
    tmp_path: Path,
) -> None:
    # two services on one database: each keeps what it read of a wallet's history, and must
    # still read what the other saved since (every attempt counts, declined ones too)
    rules = RiskRules(velocity_count=VelocityCountRule(max_operations=2, action=RiskAction.DENY))
    policies = attrs.evolve(WalletPolicies.default(), risk=rules)
    clock = ManualClock(datetime(2026, 3, 2, 2, tzinfo=UTC))
    one, other = (
        sqlite(
            tmp_path / "wallet.db",
            fingerprint_key=b"k" * 32,
            policies=policies,
            clock=clock,
            ids=ids,
            hasher=Argon2Hasher.fast_for_tests(),
        )
        for ids in (SequentialIds(), UuidIds())
    )
    try:
        phone = PhoneNumber.parse("13800138000")
        registration = one.service.start_registration(phone, idempotency_key="r1")
        code = one.phone_verifier.last_code_for(phone)
        assert code is not None
        one.service.verify_phone(registration, phone, code, idempotency_key="r2")
        one.service.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key="r3")
        wallet = one.service.submit_registration(registration, idempotency_key="r4")
        code_text = MerchantCreditCode.parse("91110000600037341L")
        shop = one.service.register_merchant("Mugs", code_text, "food", idempotency_key="m")
        one_yuan = Money.of("1")  # the anonymous wallet is empty: each attempt is declined

        first = one.service.pay(wallet, shop, one_yuan, method="online", idempotency_key="a")
        second = other.service.pay(wallet, shop, one_yuan, method="online", idempotency_key="b")
        third = one.service.pay(wallet, shop, one_yuan, method="online", idempotency_key="c")
    finally:
        one.close()
        other.close()

    funds = DeclineReason.INSUFFICIENT_FUNDS
    assert [first.decision.reason, second.decision.reason] == [funds, funds]  # type: ignore[union-attr]
    assert third.decision.reason is DeclineReason.RISK_DENIED  # type: ignore[union-attr]
