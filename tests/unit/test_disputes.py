"""Examples for disputes (evidence, terms, the dispute's life) and the dispute-opening policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet.domain.decisions import Approved, Declined, DeclineReason
from icbc_wallet.domain.disputes import (
    DEFAULT_DECISION_REASON,
    DEFAULT_DISPUTE_TERMS,
    Dispute,
    DisputeEvidence,
    DisputeOutcome,
    DisputeStatus,
    DisputeTerms,
)
from icbc_wallet.domain.ids import DisputeId, MerchantId, PaymentId, RefundId, WalletId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refund_requests import RefundRequest
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    DatetimeTypeError,
    DisputeStateError,
    InvalidAmountError,
    InvalidDatetimeError,
    InvalidIdError,
    InvalidTextError,
    InvalidTimeLimitError,
    NaiveDatetimeError,
    TextTypeError,
    WalletError,
)
from icbc_wallet.policies.disputes import check_dispute_opening

SHANGHAI = ZoneInfo("Asia/Shanghai")
ASKED = datetime(2026, 5, 3, 9, 0, tzinfo=SHANGHAI)
REFUSED_AT = ASKED + timedelta(days=1)
OPENED = ASKED + timedelta(days=2)
RESPONSE_DEADLINE = OPENED + timedelta(days=3)
DECISION_DEADLINE = OPENED + timedelta(days=10)
JUST = timedelta(microseconds=1)

MERCHANT = DisputeOutcome.MERCHANT_RESPONSIBLE
CUSTOMER = DisputeOutcome.CUSTOMER_RESPONSIBLE


def cny(amount: str) -> Money:
    return Money.of(amount)


def mistyped(value: object) -> Any:
    """``value``, hidden from mypy: the test passes a wrong type on purpose."""
    return value


REQUEST = RefundRequest.new(
    refund_id=RefundId("R-1"),
    payment_id=PaymentId("P-1"),
    wallet_id=WalletId("W-1"),
    merchant_id=MerchantId("M-1"),
    requested=cny("80.00"),
    at=ASKED,
)
REFUSED = REQUEST.refuse("item was worn", REFUSED_AT)
LAPSED = REQUEST.lapse(ASKED + timedelta(days=4))
CUSTOMER_EVIDENCE = DisputeEvidence(
    order_number="SO-42", receipt="RCPT-9", description="Arrived torn.\nPhotos attached."
)
MERCHANT_EVIDENCE = DisputeEvidence(order_number="SO-42", description="Shipped intact.")


def open_dispute(
    request: RefundRequest = REFUSED,
    *,
    at: datetime = OPENED,
    terms: DisputeTerms = DEFAULT_DISPUTE_TERMS,
    amount: Money | None = None,
) -> Dispute:
    return Dispute.new(
        dispute_id=DisputeId("D-1"),
        request=request,
        evidence=CUSTOMER_EVIDENCE,
        at=at,
        terms=terms,
        amount=amount,
    )


OPEN = open_dispute()
RESPONDED = OPEN.respond(MERCHANT_EVIDENCE, OPENED + timedelta(days=1))
DECIDED = RESPONDED.decide(CUSTOMER, Money.zero(), "receipt shows delivery", DECISION_DEADLINE)
WITHDRAWN = OPEN.withdraw(OPENED + timedelta(hours=1))


# -- evidence --------------------------------------------------------------------------------------


def test_evidence_needs_an_order_number_and_a_description_and_may_cite_a_receipt() -> None:
    assert CUSTOMER_EVIDENCE.receipt == "RCPT-9"
    assert MERCHANT_EVIDENCE.receipt == ""
    assert DisputeEvidence(order_number="订单-1", description="衣服破损").description == "衣服破损"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"order_number": ""}, InvalidTextError, "order_number must not be empty"),
        ({"order_number": "   "}, InvalidTextError, "order_number must not be empty"),
        ({"order_number": "SO\n42"}, InvalidTextError, "order_number must not contain control"),
        ({"order_number": "S" * 129}, InvalidTextError, "at most 128 characters, not 129"),
        ({"order_number": 42}, TextTypeError, "order_number must be a str, not int"),
        ({"receipt": "R\t9"}, InvalidTextError, "receipt must not contain control"),
        ({"receipt": "R" * 129}, InvalidTextError, "receipt must be at most 128"),
        ({"receipt": None}, TextTypeError, "receipt must be a str, not NoneType"),
        ({"description": ""}, InvalidTextError, "description must not be empty"),
        ({"description": "x" * 2001}, InvalidTextError, "at most 2000 characters"),
        ({"description": "torn\x00"}, InvalidTextError, r"U\+0000 at position 4"),
    ],
)
def test_malformed_evidence_is_refused(
    changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        attrs.evolve(CUSTOMER_EVIDENCE, **changes)


def test_evidence_fields_are_keyword_only_so_an_order_number_cannot_pass_for_a_receipt() -> None:
    with pytest.raises(TypeError):
        DisputeEvidence("SO-42", "RCPT-9", "torn")  # type: ignore[call-arg]


# -- terms -----------------------------------------------------------------------------------------


def test_the_default_terms_are_three_days_to_respond_ten_to_decide_thirty_to_open() -> None:
    expected = DisputeTerms(
        merchant_response_time=timedelta(days=3),
        decision_time=timedelta(days=10),
        open_within=timedelta(days=30),
    )
    assert expected == DEFAULT_DISPUTE_TERMS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"merchant_response_time": timedelta(0)}, "merchant_response_time must be positive"),
        ({"decision_time": timedelta(days=-1)}, "decision_time must be positive"),
        ({"open_within": timedelta(days=3651)}, "open_within must be positive and at most 3650"),
        ({"open_within": 30}, "open_within must be a timedelta, not int"),
        ({"decision_time": timedelta(days=3)}, "decision_time 3 days, 0:00:00 must be longer"),
        ({"merchant_response_time": timedelta(days=11)}, "must be longer than merchant_response"),
    ],
)
def test_malformed_terms_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidTimeLimitError, match=message):
        DisputeTerms(**changes)


# -- opening ---------------------------------------------------------------------------------------


def test_a_dispute_opens_over_a_refused_request_for_the_whole_amount_by_default() -> None:
    assert OPEN.status is DisputeStatus.OPEN
    assert (OPEN.refund_id, OPEN.payment_id, OPEN.wallet_id, OPEN.merchant_id) == (
        "R-1",
        "P-1",
        "W-1",
        "M-1",
    )
    assert OPEN.amount == cny("80.00")
    assert OPEN.customer_evidence == CUSTOMER_EVIDENCE
    assert OPEN.opened_at == OPENED
    assert OPEN.opened_at.tzinfo is UTC
    assert OPEN.response_deadline == RESPONSE_DEADLINE
    assert OPEN.decision_deadline == DECISION_DEADLINE
    assert not OPEN.is_terminal


def test_a_dispute_may_cover_part_of_the_refund_and_follow_other_terms() -> None:
    terms = DisputeTerms(merchant_response_time=timedelta(days=7), decision_time=timedelta(days=21))
    dispute = open_dispute(LAPSED, at=ASKED + timedelta(days=5), terms=terms, amount=cny("30.00"))
    assert dispute.amount == cny("30.00")
    assert dispute.response_deadline == ASKED + timedelta(days=12)
    assert dispute.decision_deadline == ASKED + timedelta(days=26)


@pytest.mark.parametrize(
    "request_", [REQUEST, REQUEST.accept(cny("10.00"), ASKED)], ids=["requested", "accepted"]
)
def test_a_request_the_merchant_did_not_refuse_or_let_lapse_cannot_be_disputed(
    request_: RefundRequest,
) -> None:
    with pytest.raises(DisputeStateError, match="only a refused or lapsed refund request"):
        open_dispute(request_)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: open_dispute(at=REFUSED_AT - JUST),
            InvalidDatetimeError,
            "before refund R-1 closed",
        ),
        (
            lambda: open_dispute(LAPSED, at=ASKED + timedelta(days=3) - JUST),
            InvalidDatetimeError,
            "closed",
        ),
        (lambda: open_dispute(at=datetime(2026, 5, 5)), NaiveDatetimeError, "opened_at"),
        (lambda: open_dispute(amount=cny("80.01")), InvalidAmountError, "exceeds the refund asked"),
        (lambda: open_dispute(amount=Money.zero()), InvalidAmountError, "must be positive"),
        (
            lambda: open_dispute(amount=Money.of("1", "USD")),
            CurrencyMismatchError,
            "in USD, not CNY",
        ),
        (
            lambda: open_dispute(amount=mistyped(Decimal(1))),
            AmountTypeError,
            "must be Money, not Decimal",
        ),
        (
            lambda: open_dispute(terms=mistyped(timedelta(days=3))),
            InvalidTimeLimitError,
            "terms must be",
        ),
        (lambda: open_dispute(mistyped("R-1")), DisputeStateError, "over a RefundRequest, not str"),
        (
            lambda: Dispute.new(
                dispute_id=DisputeId("D 1"), request=REFUSED, evidence=CUSTOMER_EVIDENCE, at=OPENED
            ),
            InvalidIdError,
            "DisputeId must be",
        ),
        (
            lambda: Dispute.new(
                dispute_id=DisputeId("D-1"),
                request=REFUSED,
                evidence=mistyped("torn"),
                at=OPENED,
            ),
            TextTypeError,
            "customer_evidence must be DisputeEvidence, not str",
        ),
    ],
)
def test_a_malformed_dispute_is_refused(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


# -- the merchant's response -----------------------------------------------------------------------


def test_the_merchant_may_respond_until_the_response_deadline_inclusive() -> None:
    assert RESPONDED.status is DisputeStatus.RESPONDED
    assert RESPONDED.merchant_evidence == MERCHANT_EVIDENCE
    assert RESPONDED.responded_at == OPENED + timedelta(days=1)
    assert OPEN.respond(MERCHANT_EVIDENCE, RESPONSE_DEADLINE).responded_at == RESPONSE_DEADLINE
    with pytest.raises(
        DisputeStateError,
        match=r"the merchant had to respond to dispute D-1 by 2026-05-08T01:00:00\+00:00",
    ):
        OPEN.respond(MERCHANT_EVIDENCE, RESPONSE_DEADLINE + JUST)


def test_the_merchant_responds_only_once_and_never_to_a_closed_dispute() -> None:
    at = OPENED + timedelta(days=2)
    with pytest.raises(DisputeStateError, match="dispute D-1 is responded: it cannot be responded"):
        RESPONDED.respond(MERCHANT_EVIDENCE, at)
    with pytest.raises(DisputeStateError, match="is withdrawn: it cannot be responded to"):
        WITHDRAWN.respond(MERCHANT_EVIDENCE, at)


def test_a_response_needs_evidence_and_an_instant_after_the_opening() -> None:
    with pytest.raises(TextTypeError, match="merchant_evidence must be DisputeEvidence, not dict"):
        OPEN.respond(mistyped({"order_number": "SO-42"}), OPENED)
    with pytest.raises(InvalidDatetimeError, match="is before dispute D-1's last step"):
        OPEN.respond(MERCHANT_EVIDENCE, OPENED - JUST)
    with pytest.raises(NaiveDatetimeError, match=r"at .* has no timezone"):
        OPEN.respond(MERCHANT_EVIDENCE, datetime(2026, 5, 6))


# -- the bank's decision ---------------------------------------------------------------------------


def test_the_bank_decides_on_the_evidence_once_the_merchant_responded() -> None:
    decided = RESPONDED.decide(
        MERCHANT, cny("50.00"), "torn on arrival", OPENED + timedelta(days=2)
    )
    assert decided.status is DisputeStatus.DECIDED
    assert (decided.outcome, decided.refund_amount) == (MERCHANT, cny("50.00"))
    assert decided.decision_reason == "torn on arrival"
    assert decided.decided_at == OPENED + timedelta(days=2)
    assert decided.is_terminal
    assert DECIDED.refund_amount == Money.zero()


def test_the_bank_waits_for_the_merchant_until_the_response_deadline() -> None:
    with pytest.raises(
        DisputeStateError,
        match=r"dispute D-1 awaits the merchant's response until 2026-05-08T01:00:00\+00:00",
    ):
        OPEN.decide(MERCHANT, cny("80.00"), "silent merchant", RESPONSE_DEADLINE)
    late = OPEN.decide(CUSTOMER, Money.zero(), "claim unfounded", RESPONSE_DEADLINE + JUST)
    assert late.outcome is CUSTOMER
    assert late.merchant_evidence is None


def test_a_late_decision_is_still_recorded_and_the_dispute_was_overdue() -> None:
    assert not RESPONDED.is_overdue(DECISION_DEADLINE)
    assert RESPONDED.is_overdue(DECISION_DEADLINE + JUST)
    assert OPEN.is_overdue(DECISION_DEADLINE + JUST)
    late = RESPONDED.decide(MERCHANT, cny("80.00"), "late", DECISION_DEADLINE + timedelta(days=1))
    assert late.decided_at is not None
    assert late.decided_at > late.decision_deadline
    assert not late.is_overdue(DECISION_DEADLINE + timedelta(days=2))
    assert not WITHDRAWN.is_overdue(DECISION_DEADLINE + JUST)


@pytest.mark.parametrize(
    ("outcome", "amount", "error", "message"),
    [
        (
            CUSTOMER,
            cny("0.01"),
            InvalidAmountError,
            "the customer is responsible: refund_amount must be zero, not 0.01 CNY",
        ),
        (
            MERCHANT,
            Money.zero(),
            InvalidAmountError,
            "the merchant is responsible: refund_amount must be above zero",
        ),
        (
            MERCHANT,
            cny("80.01"),
            InvalidAmountError,
            "at most the disputed 80.00 CNY, not 80.01 CNY",
        ),
        (MERCHANT, cny("-1.00"), InvalidAmountError, "above zero"),
        (
            MERCHANT,
            Money.of("10", "USD"),
            CurrencyMismatchError,
            "refund_amount is in USD, not CNY",
        ),
        (CUSTOMER, Money.zero("USD"), CurrencyMismatchError, "in USD"),
        (MERCHANT, Decimal("10.00"), AmountTypeError, "refund_amount must be Money, not Decimal"),
        (CUSTOMER, None, AmountTypeError, "not NoneType"),
        (
            "merchant_liable",
            cny("1.00"),
            DisputeStateError,
            "unknown dispute outcome 'merchant_liable'",
        ),
        (None, cny("1.00"), DisputeStateError, "a decision needs an outcome"),
    ],
)
def test_a_decision_must_fit_its_outcome_and_the_disputed_amount(
    outcome: object, amount: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RESPONDED.decide(mistyped(outcome), mistyped(amount), "reasons", DECISION_DEADLINE)


def test_an_outcome_may_be_given_as_its_stored_string() -> None:
    decided = RESPONDED.decide(
        mistyped("customer_responsible"), Money.zero(), "ok", DECISION_DEADLINE
    )
    assert decided.outcome is CUSTOMER


@pytest.mark.parametrize(
    ("reason", "error", "message"),
    [
        ("", InvalidTextError, "decision_reason must not be empty"),
        ("x" * 2001, InvalidTextError, "at most 2000"),
        (b"why", TextTypeError, "not bytes"),
    ],
)
def test_a_decision_needs_the_banks_reasons(
    reason: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RESPONDED.decide(CUSTOMER, Money.zero(), mistyped(reason), DECISION_DEADLINE)


def test_a_decision_cannot_come_before_the_merchants_response() -> None:
    with pytest.raises(InvalidDatetimeError, match="before dispute D-1's last step"):
        RESPONDED.decide(CUSTOMER, Money.zero(), "r", OPENED + timedelta(hours=1))


# -- the default decision --------------------------------------------------------------------------


def test_a_silent_merchant_is_held_responsible_for_the_whole_amount_after_the_deadline() -> None:
    decided = OPEN.decide_by_default(RESPONSE_DEADLINE + JUST)
    assert decided.status is DisputeStatus.DECIDED
    assert (decided.outcome, decided.refund_amount) == (MERCHANT, cny("80.00"))
    assert decided.decision_reason == DEFAULT_DECISION_REASON
    assert decided.decided_at == RESPONSE_DEADLINE + JUST


def test_no_default_decision_while_the_merchant_may_still_respond() -> None:
    with pytest.raises(
        DisputeStateError, match=r"may respond to dispute D-1 until 2026-05-08T01:00:00\+00:00"
    ):
        OPEN.decide_by_default(RESPONSE_DEADLINE)


def test_no_default_decision_once_the_merchant_responded_or_the_dispute_closed() -> None:
    later = DECISION_DEADLINE + timedelta(days=1)
    with pytest.raises(DisputeStateError, match="the merchant responded to dispute D-1: the bank"):
        RESPONDED.decide_by_default(later)
    with pytest.raises(DisputeStateError, match="is decided: it cannot be decided by default"):
        DECIDED.decide_by_default(later)
    with pytest.raises(DisputeStateError, match="is withdrawn: it cannot be decided by default"):
        WITHDRAWN.decide_by_default(later)


# -- withdrawal and terminal states ----------------------------------------------------------------


def test_the_customer_may_withdraw_before_a_decision_whether_or_not_the_merchant_responded() -> (
    None
):
    assert WITHDRAWN.status is DisputeStatus.WITHDRAWN
    assert WITHDRAWN.withdrawn_at == OPENED + timedelta(hours=1)
    assert WITHDRAWN.is_terminal
    withdrawn = RESPONDED.withdraw(DECISION_DEADLINE + timedelta(days=1))
    assert (withdrawn.status, withdrawn.outcome, withdrawn.refund_amount) == (
        DisputeStatus.WITHDRAWN,
        None,
        None,
    )


@pytest.mark.parametrize("dispute", [DECIDED, WITHDRAWN], ids=["decided", "withdrawn"])
@pytest.mark.parametrize(
    "transition",
    [
        lambda d: d.respond(MERCHANT_EVIDENCE, DECISION_DEADLINE + timedelta(days=1)),
        lambda d: d.decide(MERCHANT, cny("1.00"), "r", DECISION_DEADLINE + timedelta(days=1)),
        lambda d: d.decide_by_default(DECISION_DEADLINE + timedelta(days=1)),
        lambda d: d.withdraw(DECISION_DEADLINE + timedelta(days=1)),
    ],
    ids=["respond", "decide", "decide_by_default", "withdraw"],
)
def test_a_decided_or_withdrawn_dispute_never_changes_again(
    dispute: Dispute, transition: Callable[[Dispute], Dispute]
) -> None:
    with pytest.raises(DisputeStateError, match=f"dispute D-1 is {dispute.status}: it cannot be"):
        transition(dispute)


@pytest.mark.parametrize(
    "call",
    [
        lambda: OPEN.withdraw(datetime(2026, 5, 6)),
        lambda: OPEN.decide_by_default(datetime(2026, 5, 20)),
        lambda: OPEN.is_overdue(datetime(2026, 5, 20)),
        lambda: RESPONDED.decide(CUSTOMER, Money.zero(), "r", datetime(2026, 5, 20)),
    ],
)
def test_naive_instants_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(NaiveDatetimeError, match="has no timezone"):
        call()


def test_an_instant_that_is_not_a_datetime_is_refused() -> None:
    with pytest.raises(DatetimeTypeError, match="at must be a datetime, not str"):
        OPEN.withdraw(mistyped("2026-05-06"))


# -- stored records --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "changes", "error", "message"),
    [
        (OPEN, {"status": "escalated"}, DisputeStateError, "unknown dispute status 'escalated'"),
        (
            OPEN,
            {"status": DisputeStatus.RESPONDED},
            DisputeStateError,
            "contradict its status responded",
        ),
        (OPEN, {"merchant_evidence": MERCHANT_EVIDENCE}, DisputeStateError, "contradict"),
        (
            RESPONDED,
            {"status": DisputeStatus.OPEN},
            DisputeStateError,
            "contradict its status open",
        ),
        (DECIDED, {"refund_amount": None}, DisputeStateError, "contradict its status decided"),
        (DECIDED, {"decision_reason": ""}, DisputeStateError, "contradict"),
        (DECIDED, {"withdrawn_at": DECISION_DEADLINE}, DisputeStateError, "contradict"),
        (DECIDED, {"refund_amount": cny("1.00")}, InvalidAmountError, "must be zero"),
        (DECIDED, {"decided_at": OPENED}, InvalidDatetimeError, "closed before its last step"),
        (WITHDRAWN, {"withdrawn_at": None}, DisputeStateError, "contradict its status withdrawn"),
        (WITHDRAWN, {"withdrawn_at": OPENED - JUST}, InvalidDatetimeError, "closed before"),
        (OPEN, {"outcome": CUSTOMER}, DisputeStateError, "contradict its status open"),
        (
            RESPONDED,
            {"responded_at": RESPONSE_DEADLINE + JUST},
            InvalidDatetimeError,
            "outside its window",
        ),
        (RESPONDED, {"responded_at": OPENED - JUST}, InvalidDatetimeError, "outside its window"),
        (RESPONDED, {"merchant_evidence": "shipped"}, TextTypeError, "merchant_evidence must be"),
        (
            OPEN,
            {"response_deadline": OPENED},
            InvalidDatetimeError,
            "must open before its deadlines",
        ),
        (OPEN, {"decision_deadline": RESPONSE_DEADLINE}, InvalidDatetimeError, "in order"),
        (OPEN, {"decided_at": datetime(2026, 5, 6)}, NaiveDatetimeError, "instant"),
        (OPEN, {"merchant_id": ""}, InvalidIdError, "MerchantId"),
        (OPEN, {"amount": Money.zero()}, InvalidAmountError, "a disputed amount must be positive"),
        (
            OPEN,
            {
                "status": DisputeStatus.DECIDED,
                "outcome": MERCHANT,
                "refund_amount": cny("80.00"),
                "decided_at": RESPONSE_DEADLINE,
                "decision_reason": "r",
            },
            DisputeStateError,
            "decided before the merchant's deadline",
        ),
    ],
)
def test_a_stored_record_that_contradicts_itself_is_refused(
    base: Dispute, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        attrs.evolve(base, **changes)


def test_a_stored_record_round_trips_through_its_fields() -> None:
    for dispute in (OPEN, RESPONDED, DECIDED, WITHDRAWN, OPEN.decide_by_default(DECISION_DEADLINE)):
        assert Dispute(**attrs.asdict(dispute, recurse=False)) == dispute


def test_dispute_state_errors_are_wallet_errors_and_value_errors() -> None:
    assert issubclass(DisputeStateError, WalletError)
    assert issubclass(DisputeStateError, ValueError)


# -- the opening policy ----------------------------------------------------------------------------


def test_a_refused_request_may_be_disputed_within_thirty_days_of_the_refusal_inclusive() -> None:
    last_instant = REFUSED_AT + timedelta(days=30)
    assert check_dispute_opening(REFUSED, REFUSED_AT, DEFAULT_DISPUTE_TERMS) == Approved(
        deadline=last_instant
    )
    assert check_dispute_opening(REFUSED, last_instant, DEFAULT_DISPUTE_TERMS).approved
    assert check_dispute_opening(REFUSED, last_instant + JUST, DEFAULT_DISPUTE_TERMS) == Declined(
        DeclineReason.DISPUTE_WINDOW_CLOSED, deadline=last_instant
    )


def test_a_lapsed_request_may_be_disputed_within_thirty_days_of_its_answer_deadline() -> None:
    last_instant = REQUEST.answer_deadline + timedelta(days=30)
    decision = check_dispute_opening(LAPSED, last_instant, DEFAULT_DISPUTE_TERMS)
    assert decision == Approved(deadline=last_instant)
    late = check_dispute_opening(LAPSED, last_instant + JUST, DEFAULT_DISPUTE_TERMS)
    assert isinstance(late, Declined)
    assert late.reason is DeclineReason.DISPUTE_WINDOW_CLOSED


def test_the_opening_window_follows_the_terms() -> None:
    terms = DisputeTerms(open_within=timedelta(days=1))
    assert check_dispute_opening(REFUSED, REFUSED_AT + timedelta(days=1), terms).approved
    assert not check_dispute_opening(REFUSED, REFUSED_AT + timedelta(days=2), terms).approved
    assert check_dispute_opening(REFUSED, REFUSED_AT + timedelta(days=2)).approved  # the defaults


@pytest.mark.parametrize(
    "request_",
    [REQUEST, REQUEST.accept(cny("80.00"), ASKED + timedelta(hours=1))],
    ids=["awaiting an answer", "accepted"],
)
def test_a_request_neither_refused_nor_lapsed_is_declined_as_not_refused(
    request_: RefundRequest,
) -> None:
    # Even past its deadline: the request must be lapsed first.
    now = ASKED + timedelta(days=5)
    decision = check_dispute_opening(request_, now, DEFAULT_DISPUTE_TERMS, open_disputes=1)
    assert decision == Declined(DeclineReason.DISPUTE_NOT_REFUSED)


def test_a_second_dispute_over_one_request_is_declined_even_after_the_window() -> None:
    for now in (REFUSED_AT, REFUSED_AT + timedelta(days=60)):
        decision = check_dispute_opening(REFUSED, now, DEFAULT_DISPUTE_TERMS, open_disputes=1)
        assert decision == Declined(DeclineReason.DISPUTE_ALREADY_OPEN)


def test_the_new_decline_reasons_have_stable_codes_and_both_messages() -> None:
    assert DeclineReason.DISPUTE_NOT_REFUSED.code == "dispute.not_refused"
    assert DeclineReason.DISPUTE_ALREADY_OPEN.code == "dispute.already_open"
    assert DeclineReason.DISPUTE_WINDOW_CLOSED.code == "dispute.window_closed"
    assert DeclineReason.DISPUTE_NOT_REFUSED.message() == (
        "The merchant has not refused the refund or failed to answer it in time"
    )
    assert DeclineReason.DISPUTE_NOT_REFUSED.message("zh") == "商户尚未拒绝退款或逾期未答复"
    assert DeclineReason.DISPUTE_ALREADY_OPEN.message("zh") == "该退款已提起纠纷"
    assert (
        DeclineReason.DISPUTE_WINDOW_CLOSED.message()
        == "The period for opening a dispute has closed"
    )
    assert DeclineReason.DISPUTE_WINDOW_CLOSED.message("zh") == "已超过申请纠纷调解的期限"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: check_dispute_opening(REFUSED, REFUSED_AT - JUST),
            InvalidDatetimeError,
            "before refund R-1 was refused",
        ),
        (
            lambda: check_dispute_opening(REQUEST, ASKED - JUST),
            InvalidDatetimeError,
            "before refund R-1 was requested",
        ),
        (
            lambda: check_dispute_opening(LAPSED, ASKED + timedelta(days=2)),
            InvalidDatetimeError,
            "was lapsed",
        ),
        (
            lambda: check_dispute_opening(REFUSED, datetime(2026, 5, 10)),
            NaiveDatetimeError,
            "now .* has no timezone",
        ),
        (
            lambda: check_dispute_opening(REFUSED, mistyped("2026-05-10")),
            DatetimeTypeError,
            "now must be a datetime",
        ),
        (
            lambda: check_dispute_opening(mistyped(OPEN), OPENED),
            DisputeStateError,
            "request must be a RefundRequest, not Dispute",
        ),
        (
            lambda: check_dispute_opening(REFUSED, OPENED, mistyped(timedelta(days=30))),
            InvalidTimeLimitError,
            "terms must be DisputeTerms",
        ),
        (
            lambda: check_dispute_opening(REFUSED, OPENED, open_disputes=-1),
            DisputeStateError,
            "non-negative int, not -1",
        ),
        (
            lambda: check_dispute_opening(REFUSED, OPENED, open_disputes=True),
            DisputeStateError,
            "not True",
        ),
        (
            lambda: check_dispute_opening(REFUSED, OPENED, open_disputes=mistyped("1")),
            DisputeStateError,
            "not '1'",
        ),
    ],
)
def test_bad_input_to_the_opening_policy_is_refused(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()
