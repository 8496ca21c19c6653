"""The storage codec gives back every value the service stores, field by field."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, cast
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from icbc_wallet.adapters.codec import Codec, CodecError, storable_classes
from icbc_wallet.bootstrap import InMemoryBank, in_memory, storage_codec
from icbc_wallet.domain import money as money_module
from icbc_wallet.domain.decisions import Approved
from icbc_wallet.domain.disputes import DisputeEvidence, DisputeOutcome
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.limit_increase import IncreaseApproved, LimitIncreaseTerms
from icbc_wallet.domain.limits import Limit
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.registration import RegistrationStep
from icbc_wallet.service import WalletPolicies
from icbc_wallet.service.results import OperationResult
from icbc_wallet.wallet.aggregate import Wallet
from icbc_wallet.wallet.payment import Payment

START = datetime(2026, 3, 2, 2, tzinfo=UTC)
CARD = BankCard.parse("6225768888888888")
CODEC = storage_codec()


def same(original: object, restored: object) -> None:
    """Equal, of the same type, and for attrs classes equal in every ``init`` field."""
    assert type(restored) is type(original), (original, restored)
    if attrs.has(type(original)):
        for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(original))):
            if field.init:
                same(getattr(original, field.name), getattr(restored, field.name))
    elif isinstance(original, (tuple, list)):
        assert isinstance(restored, (tuple, list))
        assert len(restored) == len(original)
        for mine, theirs in zip(original, restored, strict=True):
            same(mine, theirs)
    else:
        assert restored == original


def round_trip(value: object) -> Any:
    return CODEC.loads(CODEC.dumps(value))


def busy_bank() -> tuple[InMemoryBank, list[object]]:
    """A bank after registration, top-up, payments, a refund, a dispute and a limit increase."""
    keys = (f"k{n}" for n in itertools.count())
    terms = LimitIncreaseTerms(min_account_age_days=0, min_payments_90d=0)
    bank = in_memory(attrs.evolve(WalletPolicies.default(), increase_terms=terms), start=START)
    s, phone, results = bank.service, PhoneNumber.parse("13800138000"), list[object]()
    registration = s.start_registration(phone, idempotency_key=next(keys))
    code = bank.phone_verifier.last_code_for(phone)
    assert code is not None
    results.append(s.verify_phone(registration, phone, code, idempotency_key=next(keys)))
    resident = ResidentId.parse("34052419800101001X")
    s.provide_identity(registration, "张三", resident, idempotency_key=next(keys))
    s.set_credentials(registration, "135790", "Pet?", "Rex", idempotency_key=next(keys))
    s.add_card(registration, CARD, idempotency_key=next(keys))
    wallet = s.submit_registration(registration, idempotency_key=next(keys))
    code_text = "91110000600037341L"
    shop = s.register_merchant(
        "Mugs", MerchantCreditCode.parse(code_text), "shopping", idempotency_key=next(keys)
    )
    s.top_up(wallet, CARD, Money.of("1000"), idempotency_key=next(keys))
    paid = [
        s.pay(wallet, shop, Money.of(amount), method="online", idempotency_key=next(keys))
        for amount in ("100", "200", "900")  # the last is declined
    ]
    results.extend(paid)
    held = s.authorise(wallet, shop, Money.of("50"), method="online", idempotency_key=next(keys))
    s.capture(held.reference, Money.of("30"), idempotency_key=next(keys))
    refund = s.request_refund(
        paid[0].reference, Money.of("40"), "broken", idempotency_key=next(keys)
    )
    s.accept_refund(refund.reference, idempotency_key=next(keys))
    refused = s.request_refund(
        paid[1].reference, Money.of("60"), "late", idempotency_key=next(keys)
    )
    s.refuse_refund(refused.reference, "shipped", idempotency_key=next(keys))
    evidence = DisputeEvidence(order_number="SO-1", receipt="R-1", description="broken")
    dispute = s.open_dispute(refused.reference, evidence, None, idempotency_key=next(keys))
    bank.clock.advance(timedelta(days=4))
    s.decide_dispute(
        dispute.reference,
        DisputeOutcome.MERCHANT_RESPONSIBLE,
        None,
        "weighed both sides",
        idempotency_key=next(keys),
    )
    raised = Limit.of(per_transaction="80000", daily="150000")
    results.append(s.apply_for_limit_increase(wallet, raised, "a car", idempotency_key=next(keys)))
    return bank, results


@pytest.fixture(scope="module")
def bank() -> InMemoryBank:
    return busy_bank()[0]


def test_every_stored_aggregate_comes_back_field_by_field(bank: InMemoryBank) -> None:
    store = bank.store
    aggregates = [
        *store.wallets.rows.values(),
        *store.merchants.rows.values(),
        *store.payments.rows.values(),
    ]
    assert len(aggregates) == 1 + 1 + 3
    for aggregate in aggregates:
        restored = round_trip(aggregate)
        same(aggregate, restored)
        if not isinstance(aggregate, Payment):  # payments record no events of their own
            assert restored.pull_events() == []


def test_a_restored_wallet_rebuilds_its_private_state_and_keeps_working(
    bank: InMemoryBank,
) -> None:
    wallet = next(iter(bank.store.wallets.rows.values()))
    restored: Wallet = round_trip(wallet)
    assert restored.account == wallet.account
    assert "_events" not in CODEC.dumps(wallet)
    assert "_schedule" not in CODEC.dumps(wallet)
    restored.freeze("checked", START + timedelta(days=5))
    assert restored.version == wallet.version + 1


def test_every_record_entry_event_and_result_comes_back(bank: InMemoryBank) -> None:
    store = bank.store
    values: list[object] = [
        *store.refunds.values(),
        *store.disputes.values(),
        *store.registrations.values(),
        *store.owners.values(),
        *store.journal,
        *(stored.event for stored in store.outbox),
        *(record.result for record in store.idempotency.values()),
    ]
    assert store.refunds
    assert store.disputes
    assert store.registrations
    kinds = {type(record.result) for record in store.idempotency.values()}
    assert {OperationResult, RegistrationStep, IncreaseApproved, str} <= kinds
    for value in values:
        same(value, round_trip(value))


def test_the_encoding_is_json_with_money_in_minor_units() -> None:
    encoded = json.loads(CODEC.dumps(OperationResult("P-1", Approved(), Money.of("1.05"))))
    assert encoded["fee"] == {"$type": "Money", "minor": 105, "currency": "CNY"}
    assert encoded["decision"] == {"$type": "Approved", "remaining": None, "deadline": None}


def test_without_a_cipher_personal_data_is_stored_in_clear_and_parsed_back() -> None:
    phone, card = PhoneNumber.parse("13800138000"), CARD
    assert CODEC.encode(phone) == {"$type": "PhoneNumber", "text": "13800138000"}
    assert round_trip((phone, card)) == (phone, card)
    lax = MerchantCreditCode.parse("91110000600037341A", allow_bad_checksum=True)
    assert round_trip(lax).allow_bad_checksum is True


def test_containers_keep_their_kind() -> None:
    value = (frozenset({"b", "a"}), MappingProxyType({"x": (1, 2)}), {"y": [None]})
    restored = round_trip(value)
    assert restored == value
    assert type(restored[1]) is MappingProxyType
    assert CODEC.dumps(frozenset({"a", "b"})) == CODEC.dumps(frozenset({"b", "a"}))
    assert round_trip(ZoneInfo("Asia/Shanghai")) == ZoneInfo("Asia/Shanghai")


def test_values_the_codec_cannot_store_are_refused_clearly() -> None:
    with pytest.raises(CodecError, match="float"):
        CODEC.encode(1.5)
    with pytest.raises(CodecError, match="naive"):
        CODEC.encode(datetime(2026, 1, 1))
    with pytest.raises(CodecError, match="cannot store"):
        CODEC.encode(object())
    with pytest.raises(CodecError, match="not a storable class"):
        Codec().encode(OperationResult("P-1", Approved()))
    with pytest.raises(CodecError, match="unknown type"):
        CODEC.decode({"$type": "Nope"})


def test_two_storable_classes_may_not_share_a_name() -> None:
    @attrs.frozen
    class Money:  # a clash with the real Money on purpose
        minor: int

    with pytest.raises(CodecError, match="named 'Money'"):
        Codec([Money])


def test_storable_classes_lists_attrs_classes_and_enums_of_a_module() -> None:
    assert storable_classes(money_module) == [Money]


@given(st.integers(-(10**15), 10**15), st.sampled_from(["CNY", "USD", "JPY"]))
def test_money_round_trips(minor: int, currency: str) -> None:
    value = Money._make(minor, currency)
    same(value, round_trip(value))


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9998, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), ZoneInfo("Asia/Shanghai")]),
    )
)
def test_aware_datetimes_come_back_equal_and_in_utc(moment: datetime) -> None:
    restored = round_trip(moment)
    # compared as UTC: Python never finds a wall time in a DST fold equal across zones
    assert restored == moment.astimezone(UTC)
    assert restored.tzinfo is UTC


@given(st.from_type(PhoneNumber), st.from_type(BankCard), st.from_type(ResidentId))
def test_identities_round_trip(phone: PhoneNumber, card: BankCard, rid: ResidentId) -> None:
    assert round_trip((phone, card, rid)) == (phone, card, rid)


def test_equal_frozen_values_decode_to_one_shared_instance_but_events_and_aggregates_do_not(
    bank: InMemoryBank,
) -> None:
    limit = Limit.of(daily="5000", monthly="50000")
    text = CODEC.dumps((limit, Money.of("1")))
    first, second = CODEC.loads(text), CODEC.loads(text)
    assert first == second
    assert first[0] is second[0]  # built and validated once, shared: it cannot change
    with bank.store.unit_of_work() as uow:
        event = uow.events.undelivered(1)[0].event
    assert CODEC.loads(CODEC.dumps(event)) is not CODEC.loads(CODEC.dumps(event))
    stored = next(iter(bank.store.wallets.rows.values()))
    assert CODEC.loads(CODEC.dumps(stored)) is not CODEC.loads(CODEC.dumps(stored))


def test_the_shared_values_are_bounded() -> None:
    codec = storage_codec()
    for cents in range(5000):
        codec.loads(codec.dumps(Limit.of(daily=cents + 1)))
    assert len(codec._interned) <= 4096
