"""Examples for refund requests: open, accept in full or in part, refuse, lapse, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet.domain.ids import MerchantId, PaymentId, RefundId, WalletId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refund_requests import (
    DEFAULT_MERCHANT_ANSWER_TIME,
    MAX_REASON_LENGTH,
    MAX_TIME_LIMIT,
    RefundRequest,
    RefundRequestStatus,
)
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    DatetimeTypeError,
    InvalidAmountError,
    InvalidDatetimeError,
    InvalidIdError,
    InvalidTextError,
    InvalidTimeLimitError,
    NaiveDatetimeError,
    RefundStateError,
    TextTypeError,
    WalletError,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ASKED = datetime(2026, 5, 3, 9, 0, tzinfo=SHANGHAI)
DEADLINE = ASKED + timedelta(days=3)
JUST = timedelta(microseconds=1)

REQUESTED = RefundRequestStatus.REQUESTED
ACCEPTED = RefundRequestStatus.ACCEPTED
REFUSED = RefundRequestStatus.REFUSED
LAPSED = RefundRequestStatus.LAPSED


def cny(amount: str) -> Money:
    return Money.of(amount)


def mistyped(value: object) -> Any:
    """``value``, hidden from mypy: the test passes a wrong type on purpose."""
    return value


def open_request(
    requested: Money | None = None,
    *,
    at: datetime = ASKED,
    reason: str = "wrong size",
    answer_within: timedelta = DEFAULT_MERCHANT_ANSWER_TIME,
) -> RefundRequest:
    return RefundRequest.new(
        refund_id=RefundId("R-1"),
        payment_id=PaymentId("P-1"),
        wallet_id=WalletId("W-1"),
        merchant_id=MerchantId("M-1"),
        requested=cny("80.00") if requested is None else requested,
        at=at,
        reason=reason,
        answer_within=answer_within,
    )


def build(**changes: Any) -> RefundRequest:
    """A request opened with the defaults, except for ``changes`` (possibly malformed)."""
    fields: dict[str, Any] = {
        "refund_id": "R-1",
        "payment_id": "P-1",
        "wallet_id": "W-1",
        "merchant_id": "M-1",
        "requested": cny("80.00"),
        "at": ASKED,
        "reason": "",
    }
    fields.update(changes)
    return RefundRequest.new(**fields)


OPEN = open_request()
ACCEPTED_REQUEST = OPEN.accept(cny("80.00"), ASKED + timedelta(hours=1))
REFUSED_REQUEST = OPEN.refuse("used item", ASKED + timedelta(hours=1))
LAPSED_REQUEST = OPEN.lapse(DEADLINE + JUST)


# -- opening ---------------------------------------------------------------------------------------


def test_a_new_request_awaits_the_merchant_for_three_days_by_default() -> None:
    assert timedelta(days=3) == DEFAULT_MERCHANT_ANSWER_TIME
    assert OPEN.status is REQUESTED
    assert OPEN.answer_deadline == DEADLINE
    assert (OPEN.accepted, OPEN.answered_at, OPEN.refusal_reason) == (None, None, "")
    assert not OPEN.is_terminal
    assert not OPEN.is_disputable
    assert OPEN.closed_at is None


def test_instants_are_kept_in_utc_whatever_zone_they_were_written_in() -> None:
    assert OPEN.requested_at == ASKED
    assert OPEN.requested_at.tzinfo is UTC
    assert OPEN.answer_deadline.tzinfo is UTC
    assert OPEN.requested_at.isoformat() == "2026-05-03T01:00:00+00:00"


def test_the_merchant_may_be_given_another_answer_time() -> None:
    request = open_request(answer_within=timedelta(hours=12))
    assert request.answer_deadline == ASKED + timedelta(hours=12)


def test_a_request_may_carry_no_reason_for_a_no_reason_return_or_a_multi_line_one() -> None:
    assert open_request(reason="").reason == ""
    assert open_request(reason="wrong size\r\nand colour\tfaded").reason.startswith("wrong size")
    assert open_request(reason="尺码不对").reason == "尺码不对"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"refund_id": ""}, InvalidIdError, "RefundId must be 1 to 128"),
        ({"payment_id": "P 1"}, InvalidIdError, "PaymentId"),
        ({"wallet_id": 7}, InvalidIdError, "WalletId"),
        ({"merchant_id": "M" * 129}, InvalidIdError, "MerchantId"),
        ({"requested": Money.zero()}, InvalidAmountError, "must be positive, not 0.00 CNY"),
        ({"requested": cny("-1.00")}, InvalidAmountError, "must be positive"),
        ({"requested": Decimal("80.00")}, AmountTypeError, "must be Money, not Decimal"),
        ({"requested": "80.00"}, AmountTypeError, "must be Money, not str"),
        ({"at": datetime(2026, 5, 3, 9, 0)}, NaiveDatetimeError, "requested_at .* no timezone"),
        ({"at": "2026-05-03"}, DatetimeTypeError, "requested_at must be a datetime, not str"),
        ({"reason": 12}, TextTypeError, "reason must be a str, not int"),
        ({"reason": b"bytes"}, TextTypeError, "not bytes"),
        ({"reason": "x" * 501}, InvalidTextError, "at most 500 characters, not 501"),
        ({"reason": "a\x00b"}, InvalidTextError, r"control characters \(U\+0000 at position 1\)"),
        ({"reason": "a\x1bb"}, InvalidTextError, r"U\+001B"),
        ({"reason": "a\u2028b"}, InvalidTextError, r"U\+2028"),
        ({"reason": "a\x85b"}, InvalidTextError, r"U\+0085"),
        ({"answer_within": timedelta(0)}, InvalidTimeLimitError, "must be positive"),
        ({"answer_within": timedelta(hours=-1)}, InvalidTimeLimitError, "must be positive"),
        ({"answer_within": MAX_TIME_LIMIT + JUST}, InvalidTimeLimitError, "at most 3650 days"),
        ({"answer_within": 3}, InvalidTimeLimitError, "must be a timedelta, not int"),
        ({"answer_within": True}, InvalidTimeLimitError, "not bool"),
    ],
)
def test_malformed_requests_are_refused_with_a_clear_error(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build(**changes)


def test_the_longest_reason_and_answer_time_are_accepted() -> None:
    request = build(reason="x" * MAX_REASON_LENGTH, answer_within=MAX_TIME_LIMIT)
    assert request.answer_deadline - request.requested_at == MAX_TIME_LIMIT


def test_a_deadline_beyond_year_9999_overflows() -> None:
    with pytest.raises(OverflowError):
        open_request(at=datetime(9999, 12, 30, tzinfo=UTC))


def test_error_messages_never_repeat_the_free_text_which_may_hold_personal_data() -> None:
    with pytest.raises(InvalidTextError) as refused:
        open_request(reason="call me on 13812345678\x07")
    assert "13812345678" not in str(refused.value)


# -- accepting -------------------------------------------------------------------------------------


def test_the_merchant_may_accept_the_whole_request() -> None:
    at = ASKED + timedelta(hours=1)
    assert ACCEPTED_REQUEST.status is ACCEPTED
    assert ACCEPTED_REQUEST.accepted == cny("80.00")
    assert ACCEPTED_REQUEST.answered_at == at
    assert ACCEPTED_REQUEST.closed_at == at
    assert ACCEPTED_REQUEST.is_terminal
    assert not ACCEPTED_REQUEST.is_disputable


def test_the_merchant_may_accept_part_of_the_request() -> None:
    accepted = OPEN.accept(cny("0.01"), ASKED)
    assert (accepted.status, accepted.accepted) == (ACCEPTED, cny("0.01"))
    assert OPEN.status is REQUESTED  # transitions return new values


def test_an_answer_at_the_deadline_is_in_time_but_a_microsecond_later_is_refused() -> None:
    assert OPEN.accept(cny("1.00"), DEADLINE).answered_at == DEADLINE
    assert OPEN.refuse("no", DEADLINE).answered_at == DEADLINE
    expected = (
        r"refund R-1 had to be answered by 2026-05-06T01:00:00\+00:00; at .* it can only lapse"
    )
    with pytest.raises(RefundStateError, match=expected):
        OPEN.accept(cny("1.00"), DEADLINE + JUST)
    with pytest.raises(RefundStateError, match="had to be answered by"):
        OPEN.refuse("no", DEADLINE + JUST)


def test_an_acceptance_above_the_request_is_refused() -> None:
    with pytest.raises(
        RefundStateError, match=r"cannot accept 80.01 CNY: refund R-1 asked for 80.00"
    ):
        OPEN.accept(cny("80.01"), ASKED)


@pytest.mark.parametrize(
    ("amount", "error", "message"),
    [
        (Money.zero(), InvalidAmountError, "an accepted refund must be positive, not 0.00 CNY"),
        (cny("-5.00"), InvalidAmountError, "must be positive"),
        (Money.of("5.00", "USD"), CurrencyMismatchError, "is in USD, not CNY"),
        (Decimal("5.00"), AmountTypeError, "must be Money, not Decimal"),
        (5, AmountTypeError, "not int"),
    ],
)
def test_an_acceptance_that_is_not_positive_money_in_the_requests_currency_is_refused(
    amount: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        OPEN.accept(mistyped(amount), ASKED)


def test_an_answer_before_the_request_is_refused() -> None:
    with pytest.raises(InvalidDatetimeError, match="is before refund R-1 was requested"):
        OPEN.accept(cny("1.00"), ASKED - JUST)
    with pytest.raises(InvalidDatetimeError, match="is before refund R-1 was requested"):
        OPEN.refuse("no", ASKED - JUST)


# -- refusing --------------------------------------------------------------------------------------


def test_a_refusal_records_the_merchants_reason_and_makes_the_request_disputable() -> None:
    assert REFUSED_REQUEST.status is REFUSED
    assert REFUSED_REQUEST.refusal_reason == "used item"
    assert REFUSED_REQUEST.accepted is None
    assert REFUSED_REQUEST.closed_at == ASKED + timedelta(hours=1)
    assert REFUSED_REQUEST.is_terminal
    assert REFUSED_REQUEST.is_disputable


@pytest.mark.parametrize(
    ("reason", "error", "message"),
    [
        ("", InvalidTextError, "refusal_reason must not be empty"),
        (" \n\t", InvalidTextError, "must not be empty"),
        ("x" * 501, InvalidTextError, "at most 500 characters"),
        ("no\x00", InvalidTextError, "control characters"),
        (None, TextTypeError, "refusal_reason must be a str, not NoneType"),
    ],
)
def test_a_refusal_needs_a_reason_in_plain_text(
    reason: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        OPEN.refuse(mistyped(reason), ASKED)


# -- lapsing ---------------------------------------------------------------------------------------


def test_a_request_lapses_only_after_its_deadline() -> None:
    assert not OPEN.is_overdue(DEADLINE)
    assert OPEN.is_overdue(DEADLINE + JUST)
    with pytest.raises(RefundStateError, match=r"lapses only after 2026-05-06T01:00:00\+00:00"):
        OPEN.lapse(DEADLINE)
    with pytest.raises(RefundStateError, match="lapses only after"):
        OPEN.lapse(ASKED - timedelta(days=1))
    assert LAPSED_REQUEST.status is LAPSED
    assert LAPSED_REQUEST.answered_at is None
    assert LAPSED_REQUEST.is_terminal
    assert LAPSED_REQUEST.is_disputable


def test_a_lapsed_request_is_closed_at_its_deadline_not_when_the_lapse_was_noticed() -> None:
    assert OPEN.lapse(DEADLINE + timedelta(days=5)).closed_at == DEADLINE


def test_only_a_request_still_awaiting_its_answer_is_overdue() -> None:
    later = DEADLINE + timedelta(days=1)
    for request in (ACCEPTED_REQUEST, REFUSED_REQUEST, LAPSED_REQUEST):
        assert not request.is_overdue(later)


# -- terminal states -------------------------------------------------------------------------------


@pytest.mark.parametrize("request_", [ACCEPTED_REQUEST, REFUSED_REQUEST, LAPSED_REQUEST])
@pytest.mark.parametrize(
    "transition",
    [
        lambda r: r.accept(cny("1.00"), ASKED + timedelta(hours=2)),
        lambda r: r.refuse("no", ASKED + timedelta(hours=2)),
        lambda r: r.lapse(DEADLINE + timedelta(days=1)),
    ],
)
def test_an_answered_or_lapsed_request_never_changes_again(
    request_: RefundRequest, transition: Callable[[RefundRequest], RefundRequest]
) -> None:
    with pytest.raises(
        RefundStateError, match=f"refund R-1 is already {request_.status}: it cannot"
    ):
        transition(request_)


# -- naive and mistyped instants -------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: OPEN.accept(cny("1.00"), datetime(2026, 5, 4)),
        lambda: OPEN.refuse("no", datetime(2026, 5, 4)),
        lambda: OPEN.lapse(datetime(2026, 5, 10)),
        lambda: OPEN.is_overdue(datetime(2026, 5, 10)),
    ],
)
def test_naive_instants_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(NaiveDatetimeError, match="has no timezone"):
        call()


def test_an_instant_that_is_not_a_datetime_is_refused() -> None:
    with pytest.raises(DatetimeTypeError, match="at must be a datetime, not str"):
        OPEN.accept(cny("1.00"), mistyped("2026-05-04T10:00+08:00"))
    with pytest.raises(DatetimeTypeError, match="now must be a datetime, not int"):
        OPEN.lapse(mistyped(0))


def test_an_instant_written_in_another_zone_is_compared_as_the_same_instant() -> None:
    deadline_in_new_york = DEADLINE.astimezone(timezone(timedelta(hours=-4)))
    assert OPEN.accept(cny("1.00"), deadline_in_new_york).answered_at == DEADLINE


# -- stored records --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "changes", "error", "message"),
    [
        (OPEN, {"status": "closed"}, RefundStateError, "unknown refund request status 'closed'"),
        (OPEN, {"status": ACCEPTED}, RefundStateError, "a accepted refund request cannot have"),
        (OPEN, {"answered_at": ASKED}, RefundStateError, "a requested refund request cannot"),
        (OPEN, {"refusal_reason": "no"}, RefundStateError, "cannot have"),
        (ACCEPTED_REQUEST, {"accepted": None}, RefundStateError, "cannot have"),
        (ACCEPTED_REQUEST, {"accepted": cny("80.01")}, InvalidAmountError, "exceeds the requested"),
        (ACCEPTED_REQUEST, {"accepted": Money.of("1", "JPY")}, CurrencyMismatchError, "in JPY"),
        (ACCEPTED_REQUEST, {"answered_at": ASKED - JUST}, InvalidDatetimeError, "before it was"),
        (
            ACCEPTED_REQUEST,
            {"answered_at": DEADLINE + JUST},
            RefundStateError,
            "after its deadline",
        ),
        (REFUSED_REQUEST, {"refusal_reason": ""}, RefundStateError, "no refusal reason"),
        (LAPSED_REQUEST, {"answered_at": DEADLINE}, RefundStateError, "a lapsed refund request"),
        (
            OPEN,
            {"answer_deadline": ASKED},
            InvalidDatetimeError,
            "deadline must follow the request",
        ),
        (OPEN, {"answer_deadline": datetime(2026, 5, 6)}, NaiveDatetimeError, "answer_deadline"),
        (OPEN, {"answered_at": datetime(2026, 5, 6)}, NaiveDatetimeError, "answered_at"),
    ],
)
def test_a_stored_record_that_contradicts_itself_is_refused(
    base: RefundRequest, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        attrs.evolve(base, **changes)


def test_a_stored_record_round_trips_through_its_fields() -> None:
    for request in (OPEN, ACCEPTED_REQUEST, REFUSED_REQUEST, LAPSED_REQUEST):
        assert RefundRequest(**attrs.asdict(request, recurse=False)) == request


def test_a_status_may_be_given_as_its_stored_string() -> None:
    assert attrs.evolve(LAPSED_REQUEST, status="lapsed") == LAPSED_REQUEST


def test_refund_state_errors_are_wallet_errors_and_value_errors() -> None:
    assert issubclass(RefundStateError, WalletError)
    assert issubclass(RefundStateError, ValueError)
    assert issubclass(TextTypeError, TypeError)
    assert issubclass(InvalidTextError, ValueError)
    assert issubclass(InvalidTimeLimitError, ValueError)
