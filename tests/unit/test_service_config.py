from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from icbc_wallet import (
    FeeRule,
    FeeSchedule,
    InvalidPolicyError,
    OperationKind,
    UnknownTierError,
    WalletPolicies,
    WalletService,
)
from icbc_wallet.adapters.hashing import ScryptHasher
from icbc_wallet.adapters.memory import InMemoryStore
from icbc_wallet.adapters.runtime import ManualClock, SequentialIds
from icbc_wallet.adapters.verification import (
    InMemoryCardVerifier,
    InMemoryIdentityVerifier,
    InMemoryPhoneVerifier,
)
from icbc_wallet.bootstrap import in_memory
from icbc_wallet.errors import InvalidSweepLimitError
from icbc_wallet.presets.limits import ARTICLE_DEFAULTS
from icbc_wallet.presets.tiers import ARTICLE_TIER_POLICY, ECNY_TIER_POLICY
from icbc_wallet.service.config import MAX_HOLD_TIME

DEFAULT = WalletPolicies.default()
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_default_policies_are_the_documented_ones() -> None:
    assert DEFAULT.limits.name == "ecny-2021-qr"
    assert DEFAULT.tiers is ECNY_TIER_POLICY
    assert DEFAULT.hold_time == timedelta(days=7)
    assert DEFAULT.idempotency_time == timedelta(hours=24)
    assert DEFAULT.merchant_fees.rules == ()


@pytest.mark.parametrize(
    "changes",
    [
        {"hold_time": timedelta(0)},
        {"hold_time": 7},
        {"merchant_answer_time": -timedelta(days=1)},
    ],
)
def test_durations_must_be_positive_timedeltas(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidPolicyError, match="must be a positive timedelta"):
        attrs.evolve(DEFAULT, **changes)  # type: ignore[arg-type]  # deliberately wrong types


def test_idempotency_keys_are_kept_at_least_a_day() -> None:
    with pytest.raises(InvalidPolicyError, match="at least 24 hours"):
        attrs.evolve(DEFAULT, idempotency_time=timedelta(hours=23, minutes=59))
    assert attrs.evolve(DEFAULT, idempotency_time=timedelta(days=2)).idempotency_time.days == 2


def test_fee_schedules_must_share_the_limits_currency() -> None:
    with pytest.raises(InvalidPolicyError, match="is in USD, the limits in CNY"):
        attrs.evolve(DEFAULT, merchant_fees=FeeSchedule([], currency="USD", name="usd"))


def test_a_tier_policy_naming_tiers_the_limits_lack_is_refused() -> None:
    with pytest.raises(UnknownTierError):
        WalletPolicies(limits=ARTICLE_DEFAULTS, tiers=ECNY_TIER_POLICY, fees=DEFAULT.fees)
    article = WalletPolicies(limits=ARTICLE_DEFAULTS, tiers=ARTICLE_TIER_POLICY, fees=DEFAULT.fees)
    assert article.tiers.tier_names == ("unverified", "real_name")


@pytest.mark.parametrize("key", [b"short", "a string of sixteen+ chars", bytearray(32)])
def test_the_fingerprint_key_must_be_at_least_sixteen_bytes(key: object) -> None:
    store = InMemoryStore()
    with pytest.raises(InvalidPolicyError, match="at least 16 bytes"):
        WalletService(
            store.unit_of_work,
            clock=ManualClock(DEFAULT_START),
            ids=SequentialIds(),
            hasher=ScryptHasher.fast_for_tests(),
            phone_verifier=InMemoryPhoneVerifier(),
            identity_verifier=InMemoryIdentityVerifier(),
            card_verifier=InMemoryCardVerifier(),
            fingerprint_key=key,  # type: ignore[arg-type]
        )


def test_a_customer_fee_on_payments_is_refused_rather_than_silently_ignored() -> None:
    three_percent = FeeSchedule([FeeRule.percentage(OperationKind.PAYMENT, "0.03")])
    with pytest.raises(InvalidPolicyError, match="merchant_fees"):
        attrs.evolve(DEFAULT, fees=three_percent)
    assert attrs.evolve(DEFAULT, merchant_fees=three_percent).merchant_fees is three_percent


def test_holds_last_at_most_thirty_days() -> None:
    assert attrs.evolve(DEFAULT, hold_time=MAX_HOLD_TIME).hold_time == timedelta(days=30)
    with pytest.raises(InvalidPolicyError, match="at most 30 days"):
        attrs.evolve(DEFAULT, hold_time=MAX_HOLD_TIME + timedelta(seconds=1))


@pytest.mark.parametrize("limit", [0, -1, 1.5, "10", 10_001, True])
def test_a_sweep_refuses_a_batch_size_that_is_not_a_small_positive_int(limit: object) -> None:
    bank = in_memory()
    for sweep in (
        bank.service.expire_holds,
        bank.service.lapse_refunds,
        bank.service.decide_unanswered_disputes,
        bank.dispatcher.dispatch,
    ):
        with pytest.raises(InvalidSweepLimitError, match="from 1 to 10000"):
            sweep(limit=limit)  # type: ignore[arg-type]
