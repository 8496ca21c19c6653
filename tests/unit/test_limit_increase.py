"""Examples for limit increase requests, grants and terms (domain) and their review (policy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from icbc_wallet.domain.decisions import DeclineReason
from icbc_wallet.domain.limit_increase import (
    MAX_REASON_LENGTH,
    IncreaseApproved,
    IncreaseDeclined,
    IncreaseDeclineReason,
    LimitGrant,
    LimitIncreaseDecision,
    LimitIncreaseRequest,
    LimitIncreaseTerms,
    TransactionHistory,
)
from icbc_wallet.domain.limits import Limit, LimitWindow, PaymentMethod, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    CurrencyMismatchError,
    DatetimeTypeError,
    InvalidDatetimeError,
    InvalidLimitIncreaseError,
    InvalidTextError,
    NaiveDatetimeError,
    TextTypeError,
    WalletError,
)
from icbc_wallet.policies.limit_increase import effective_limits, review_limit_increase

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=SHANGHAI)
TIER = TierLimits(
    "real_name",
    Limit.of(per_transaction="5000", daily="50000"),
    balance_cap=Money.of("500000"),
    methods={PaymentMethod.STATIC_QR: Limit.of(daily="500")},
    disallowed=[PaymentMethod.WITHDRAWAL],
)
GOOD = TransactionHistory(
    account_age_days=400,
    payments_90d=60,
    payments_total_90d=Money.of("18000"),
    declines_30d=1,
    disputes_lost=0,
    refunds_90d=2,
)
TERMS = LimitIncreaseTerms()
ASKED = Limit.of(per_transaction="8000", daily="80000")


def ask(limit: Limit = ASKED, at: datetime = NOW) -> LimitIncreaseRequest:
    return LimitIncreaseRequest(limit, "buying furniture for a new flat", at)


def history(**changes: int) -> TransactionHistory:
    fields = {
        "account_age_days": GOOD.account_age_days,
        "payments_90d": GOOD.payments_90d,
        "declines_30d": GOOD.declines_30d,
        "disputes_lost": GOOD.disputes_lost,
        "refunds_90d": GOOD.refunds_90d,
        **changes,
    }
    total = Money.of("0") if fields["payments_90d"] == 0 else GOOD.payments_total_90d
    return TransactionHistory(payments_total_90d=total, **fields)


def review(
    request: LimitIncreaseRequest | None = None,
    past: TransactionHistory = GOOD,
    terms: LimitIncreaseTerms = TERMS,
    tier: TierLimits = TIER,
    now: datetime = NOW,
) -> LimitIncreaseDecision:
    return review_limit_increase(request or ask(), tier.name, tier, past, terms, now)


def declined(decision: LimitIncreaseDecision) -> IncreaseDeclined:
    assert isinstance(decision, IncreaseDeclined), decision
    return decision


# -- the review --------------------------------------------------------------------------------


def test_a_good_history_is_granted_exactly_the_requested_caps_for_thirty_days() -> None:
    decision = review()
    assert isinstance(decision, IncreaseApproved)
    assert decision.approved is True
    assert decision.grant == LimitGrant(ASKED, NOW, NOW + timedelta(days=30))
    assert decision.grant.expires_at - decision.grant.granted_at == timedelta(hours=720)


def test_the_grant_lasts_as_many_days_as_the_terms_say() -> None:
    decision = review(terms=LimitIncreaseTerms(grant_days=7))
    assert isinstance(decision, IncreaseApproved)
    assert decision.grant.expires_at == NOW + timedelta(days=7)


def test_a_decline_lists_every_failing_condition_with_its_numbers_in_a_fixed_order() -> None:
    terms = LimitIncreaseTerms(eligible_tiers={"WL01", "WL02"})
    bad = history(account_age_days=12, payments_90d=3, declines_30d=7, disputes_lost=1)
    request = ask(Limit.of(per_transaction="12000", daily="80000"))
    decision = declined(review(request, bad, terms))
    assert decision.approved is False
    assert decision.reasons == (
        IncreaseDeclineReason(
            DeclineReason.INCREASE_TIER_NOT_ELIGIBLE, "real_name", ("WL01", "WL02")
        ),
        IncreaseDeclineReason(DeclineReason.INCREASE_ACCOUNT_TOO_NEW, 12, 30),
        IncreaseDeclineReason(DeclineReason.INCREASE_TOO_FEW_PAYMENTS, 3, 10),
        IncreaseDeclineReason(DeclineReason.INCREASE_TOO_MANY_DECLINES, 7, 5),
        IncreaseDeclineReason(DeclineReason.INCREASE_DISPUTES_LOST, 1, 0),
        IncreaseDeclineReason(
            DeclineReason.INCREASE_ABOVE_MAXIMUM,
            Money.of("12000"),
            Money.of("10000"),
            LimitWindow.PER_TRANSACTION,
        ),
    )
    assert [reason.message() for reason in decision.reasons] == [
        "This verification level cannot apply for a limit increase: tier 'real_name' is not one "
        "of 'WL01', 'WL02'",
        "The account is too new for a limit increase: the account is 12 days old, needs at least 30",
        "Too few recent payments for a limit increase: 3 payments in the last 90 days, needs at "
        "least 10",
        "Too many recently declined transactions: 7 transactions declined in the last 30 days, at "
        "most 5 allowed",
        "Disputes have been decided against the customer: 1 disputes lost, at most 0 allowed",
        "The requested limit is above the most that can be granted: per-transaction cap asked "
        "for: 12000.00 CNY; at most 10000.00 CNY can be granted",
    ]


@pytest.mark.parametrize(
    ("field", "failing", "passing", "reason"),
    [
        ("account_age_days", 29, 30, DeclineReason.INCREASE_ACCOUNT_TOO_NEW),
        ("payments_90d", 9, 10, DeclineReason.INCREASE_TOO_FEW_PAYMENTS),
        ("declines_30d", 6, 5, DeclineReason.INCREASE_TOO_MANY_DECLINES),
        ("disputes_lost", 1, 0, DeclineReason.INCREASE_DISPUTES_LOST),
    ],
)
def test_each_history_bound_is_inclusive(
    field: str, failing: int, passing: int, reason: DeclineReason
) -> None:
    assert declined(review(past=history(**{field: failing}))).decline_reasons == (reason,)
    assert review(past=history(**{field: passing})).approved is True


def test_a_cap_of_exactly_the_maximum_multiple_is_granted_and_one_fen_more_is_not() -> None:
    assert review(ask(Limit.of(per_transaction="10000", daily="100000"))).approved is True
    decision = declined(review(ask(Limit.of(per_transaction="10000", daily="100000.01"))))
    assert decision.reasons == (
        IncreaseDeclineReason(
            DeclineReason.INCREASE_ABOVE_MAXIMUM,
            Money.of("100000.01"),
            Money.of("100000"),
            LimitWindow.DAY,
        ),
    )


def test_every_window_above_the_maximum_is_listed_but_the_reason_kind_once() -> None:
    decision = declined(review(ask(Limit.of(per_transaction="10001", daily="100001"))))
    assert [reason.window for reason in decision.reasons] == [
        LimitWindow.PER_TRANSACTION,
        LimitWindow.DAY,
    ]
    assert decision.decline_reasons == (DeclineReason.INCREASE_ABOVE_MAXIMUM,)


def test_asking_for_no_cap_where_the_tier_has_one_is_above_any_maximum() -> None:
    decision = declined(review(ask(Limit.of(per_transaction="5000"))))
    assert decision.reasons == (
        IncreaseDeclineReason(
            DeclineReason.INCREASE_ABOVE_MAXIMUM, None, Money.of("100000"), LimitWindow.DAY
        ),
    )
    assert decision.reasons[0].message() == (
        "The requested limit is above the most that can be granted: daily cap asked for: "
        "unlimited; at most 100000.00 CNY can be granted"
    )
    assert decision.reasons[0].message("zh") == (
        "申请的限额超过可批准的上限：申请日累计限额 不限，最多可批准 100000.00 CNY"
    )


def test_a_larger_multiple_allows_a_larger_grant() -> None:
    request = ask(Limit.of(per_transaction="15000", daily="150000"))
    assert review(request).approved is False
    assert review(request, terms=LimitIncreaseTerms(max_multiple=3)).approved is True


def test_without_eligible_tiers_every_tier_may_apply_and_an_empty_set_admits_none() -> None:
    assert review(terms=LimitIncreaseTerms(eligible_tiers=None)).approved is True
    assert review(terms=LimitIncreaseTerms(eligible_tiers=["real_name"])).approved is True
    nobody = declined(review(terms=LimitIncreaseTerms(eligible_tiers=frozenset())))
    assert nobody.reasons[0].message() == (
        "This verification level cannot apply for a limit increase: tier 'real_name' is not one "
        "of none"
    )
    assert nobody.reasons[0].message("zh").endswith("等级 real_name 不在 无 之列")


@pytest.mark.parametrize(
    "asked",
    [
        Limit.of(per_transaction="4999.99", daily="80000"),  # lowers one cap, raises another
        Limit.of(per_transaction="5000", daily="50000"),  # changes nothing
        Limit.of(per_transaction="5000", daily="50000", monthly="900000"),  # caps the uncapped
    ],
)
def test_a_request_that_is_not_an_increase_is_bad_input(asked: Limit) -> None:
    with pytest.raises(InvalidLimitIncreaseError, match=r"below|no cap|no monthly cap"):
        review(ask(asked))


def test_a_tier_without_caps_has_nothing_to_raise() -> None:
    with pytest.raises(InvalidLimitIncreaseError, match="raises no cap"):
        review(ask(Limit()), tier=TierLimits("WL01"))


def test_a_request_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="USD"):
        review(ask(Limit.of(per_transaction="8000", daily="80000", currency="USD")))


def test_the_tier_name_must_match_the_tier_limits() -> None:
    with pytest.raises(InvalidLimitIncreaseError, match="'WL02' does not match"):
        review_limit_increase(ask(), "WL02", TIER, GOOD, TERMS, NOW)


def test_a_request_cannot_be_reviewed_before_it_was_made() -> None:
    with pytest.raises(InvalidDatetimeError, match="cannot be reviewed earlier"):
        review(ask(at=NOW + timedelta(seconds=1)))
    assert review(ask(at=NOW.astimezone(UTC))).approved is True


def test_a_naive_review_instant_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        review(now=datetime(2026, 3, 10, 12, 0))


# -- effective limits --------------------------------------------------------------------------


GRANT = LimitGrant(ASKED, NOW, NOW + timedelta(days=30))


def test_an_active_grant_replaces_the_overall_limit_and_keeps_the_rest_of_the_tier() -> None:
    effective = effective_limits(TIER, GRANT, NOW + timedelta(days=1))
    assert effective.limit == ASKED
    assert (effective.name, effective.balance_cap) == (TIER.name, TIER.balance_cap)
    assert effective.methods == TIER.methods
    assert effective.disallowed == TIER.disallowed


@pytest.mark.parametrize(
    "moment",
    [NOW - timedelta(microseconds=1), NOW + timedelta(days=30), NOW + timedelta(days=400)],
)
def test_outside_its_interval_a_grant_changes_nothing(moment: datetime) -> None:
    assert effective_limits(TIER, GRANT, moment) is TIER
    assert effective_limits(TIER, None, moment) is TIER


def test_a_tier_cap_raised_after_the_grant_is_not_lowered_by_it() -> None:
    raised_tier = TierLimits("real_name", Limit.of(per_transaction="9000", daily="60000"))
    effective = effective_limits(raised_tier, GRANT, NOW)
    assert effective.limit == Limit.of(per_transaction="9000", daily="80000")


def test_a_grant_without_a_cap_lifts_that_window() -> None:
    unlimited_daily = LimitGrant(Limit.of(per_transaction="8000"), NOW, NOW + timedelta(days=1))
    assert effective_limits(TIER, unlimited_daily, NOW).limit == Limit.of(per_transaction="8000")


def test_a_grant_in_another_currency_cannot_apply() -> None:
    grant = LimitGrant(Limit.of(daily="1", currency="USD"), NOW, NOW + timedelta(days=1))
    with pytest.raises(CurrencyMismatchError):
        effective_limits(TIER, grant, NOW)


def test_effective_limits_refuse_a_naive_instant() -> None:
    with pytest.raises(NaiveDatetimeError):
        effective_limits(TIER, GRANT, datetime(2026, 3, 10))


# -- the values --------------------------------------------------------------------------------


def test_a_grant_is_active_from_its_start_until_just_before_its_expiry() -> None:
    assert GRANT.is_active(NOW) is True
    assert GRANT.is_active(NOW + timedelta(days=30, microseconds=-1)) is True
    assert GRANT.is_active(NOW + timedelta(days=30)) is False
    assert GRANT.is_active(NOW - timedelta(microseconds=1)) is False


def test_a_grant_keeps_its_instants_in_utc() -> None:
    assert GRANT.granted_at.tzinfo is UTC
    assert GRANT.granted_at == NOW


def test_a_grant_must_expire_after_it_starts() -> None:
    with pytest.raises(InvalidDatetimeError, match="expire after"):
        LimitGrant(ASKED, NOW, NOW)
    with pytest.raises(NaiveDatetimeError):
        LimitGrant(ASKED, datetime(2026, 1, 1), NOW)
    with pytest.raises(DatetimeTypeError):
        LimitGrant(ASKED, NOW, "2027-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidLimitIncreaseError, match="must be a Limit"):
        LimitGrant("8000", NOW, NOW + timedelta(days=1))  # type: ignore[arg-type]


def test_a_request_reason_may_be_up_to_two_hundred_characters() -> None:
    assert len(ask().reason) < MAX_REASON_LENGTH
    assert LimitIncreaseRequest(ASKED, "装" * 200, NOW).reason == "装" * 200
    assert ask().requested_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("x" * 201, InvalidTextError),
        ("", InvalidTextError),
        ("   ", InvalidTextError),
        ("line\nbreak", InvalidTextError),
        (None, TextTypeError),
        (b"bytes", TextTypeError),
    ],
)
def test_a_bad_reason_is_refused(reason: object, error: type[WalletError]) -> None:
    with pytest.raises(error):
        LimitIncreaseRequest(ASKED, reason, NOW)  # type: ignore[arg-type]


def test_a_request_needs_a_limit_and_an_aware_instant() -> None:
    with pytest.raises(InvalidLimitIncreaseError):
        LimitIncreaseRequest(Money.of("8000"), "why", NOW)  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError):
        LimitIncreaseRequest(ASKED, "why", datetime(2026, 3, 10))


@pytest.mark.parametrize(
    "changes",
    [
        {"account_age_days": -1},
        {"payments_90d": -1},
        {"declines_30d": -3},
        {"disputes_lost": -1},
        {"refunds_90d": -1},
        {"account_age_days": True},
        {"declines_30d": 1.0},
    ],
)
def test_history_counts_must_be_non_negative_ints(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "account_age_days": 1,
        "payments_90d": 1,
        "payments_total_90d": Money.of("1"),
        "declines_30d": 0,
        "disputes_lost": 0,
        "refunds_90d": 0,
        **changes,
    }
    with pytest.raises(InvalidLimitIncreaseError, match="non-negative int"):
        TransactionHistory(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("payments", "total"),
    [(1, Money.of("-1")), (0, Money.of("5")), (3, Money.of("0")), (1, "100")],
)
def test_the_history_total_must_agree_with_its_count(payments: int, total: object) -> None:
    with pytest.raises(InvalidLimitIncreaseError, match="payments"):
        TransactionHistory(30, payments, total, 0, 0, 0)  # type: ignore[arg-type]


def test_a_new_account_without_payments_is_a_valid_history() -> None:
    assert TransactionHistory(0, 0, Money.of("0"), 0, 0, 0).payments_total_90d.is_zero()


def test_terms_have_the_documented_defaults() -> None:
    assert (
        TERMS.eligible_tiers,
        TERMS.min_account_age_days,
        TERMS.min_payments_90d,
        TERMS.max_declines_30d,
        TERMS.max_disputes_lost,
        TERMS.max_multiple,
        TERMS.grant_days,
    ) == (None, 30, 10, 5, 0, 2, 30)


@pytest.mark.parametrize(
    "changes",
    [
        {"eligible_tiers": "real_name"},
        {"eligible_tiers": ["real_name", ""]},
        {"eligible_tiers": [3]},
        {"eligible_tiers": 3},
        {"min_account_age_days": -1},
        {"min_payments_90d": "10"},
        {"max_multiple": 0},
        {"max_multiple": 1001},
        {"max_multiple": True},
        {"grant_days": 0},
        {"grant_days": 3651},
    ],
)
def test_bad_terms_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidLimitIncreaseError):
        LimitIncreaseTerms(**changes)  # type: ignore[arg-type]


def test_eligible_tiers_become_a_frozenset() -> None:
    assert LimitIncreaseTerms(eligible_tiers=["a", "b", "a"]).eligible_tiers == frozenset(
        {"a", "b"}
    )


# -- the decisions -----------------------------------------------------------------------------


def test_every_increase_reason_explains_itself_in_both_languages() -> None:
    examples = [
        IncreaseDeclineReason(DeclineReason.INCREASE_TIER_NOT_ELIGIBLE, "WL04", ("WL01", "WL02")),
        IncreaseDeclineReason(DeclineReason.INCREASE_ACCOUNT_TOO_NEW, 3, 30),
        IncreaseDeclineReason(DeclineReason.INCREASE_TOO_FEW_PAYMENTS, 2, 10),
        IncreaseDeclineReason(DeclineReason.INCREASE_TOO_MANY_DECLINES, 9, 5),
        IncreaseDeclineReason(DeclineReason.INCREASE_DISPUTES_LOST, 2, 0),
        IncreaseDeclineReason(
            DeclineReason.INCREASE_ABOVE_MAXIMUM, Money.of("9"), Money.of("8"), LimitWindow.MONTH
        ),
    ]
    codes = {example.reason.code for example in examples}
    assert codes == {reason.code for reason in DeclineReason if reason.code.startswith("increase.")}
    assert examples[0].message("zh") == (
        "当前认证等级不能申请提高限额：等级 WL04 不在 WL01、WL02 之列"
    )
    assert examples[1].message("zh") == "开户时间不足，暂不能提高限额：开户 3 天，至少需要 30 天"
    assert examples[5].message("zh").endswith("申请月累计限额 9.00 CNY，最多可批准 8.00 CNY")
    for example in examples:
        assert example.message().isascii()
        assert example.message().startswith(example.reason.message("en") + ": ")
        assert example.message("zh").startswith(example.reason.message("zh") + "：")


def test_an_increase_reason_must_be_one_of_the_increase_codes() -> None:
    with pytest.raises(InvalidLimitIncreaseError, match="INCREASE_"):
        IncreaseDeclineReason(DeclineReason.DAILY_LIMIT, 1, 2)


def test_a_decline_needs_at_least_one_reason() -> None:
    with pytest.raises(InvalidLimitIncreaseError, match="at least one"):
        IncreaseDeclined(())
    with pytest.raises(InvalidLimitIncreaseError):
        IncreaseDeclined((DeclineReason.INCREASE_DISPUTES_LOST,))  # type: ignore[arg-type]
    one = IncreaseDeclineReason(DeclineReason.INCREASE_DISPUTES_LOST, 1, 0)
    assert IncreaseDeclined([one]).reasons == (one,)


def test_increase_decisions_have_no_truth_value() -> None:
    with pytest.raises(TypeError, match=r"decision\.approved"):
        bool(IncreaseApproved(GRANT))
    reason = IncreaseDeclineReason(DeclineReason.INCREASE_DISPUTES_LOST, 1, 0)
    with pytest.raises(TypeError, match=r"decision\.approved"):
        bool(IncreaseDeclined((reason,)))
