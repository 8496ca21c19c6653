"""Laws of refund requests and disputes under any sequence of steps and clock advances.

A model of what each step should do is checked against the objects: a step succeeds exactly when
the model allows it. Whatever happens, a dispute reaches at most one terminal state and never
leaves it, its refund never exceeds the disputed amount, and no step lands after the deadline it
is bound to; a refund request never accepts more than was asked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from icbc_wallet.domain.disputes import (
    Dispute,
    DisputeEvidence,
    DisputeOutcome,
    DisputeStatus,
    DisputeTerms,
)
from icbc_wallet.domain.ids import DisputeId, MerchantId, PaymentId, RefundId, WalletId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.refund_requests import RefundRequest, RefundRequestStatus
from icbc_wallet.errors import DisputeStateError, InvalidAmountError, RefundStateError
from icbc_wallet.testing.strategies import aware_datetimes

EVIDENCE = DisputeEvidence(order_number="SO-1", description="not as described")
JUST = timedelta(microseconds=1)

hours = st.integers(1, 30 * 24).map(lambda n: timedelta(hours=n))
terms = st.builds(
    lambda response, extra, window: DisputeTerms(
        merchant_response_time=response, decision_time=response + extra, open_within=window
    ),
    hours,
    hours,
    hours,
)
clock_steps = st.one_of(
    st.just(timedelta(0)),
    st.just(JUST),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
)
near = st.sampled_from([-JUST, timedelta(0), JUST])
"""An offset that lands the clock just before, on or just after a deadline."""


def new_request(requested: Money, at: datetime, answer_within: timedelta) -> RefundRequest:
    return RefundRequest.new(
        refund_id=RefundId("R-1"),
        payment_id=PaymentId("P-1"),
        wallet_id=WalletId("W-1"),
        merchant_id=MerchantId("M-1"),
        requested=requested,
        at=at,
        answer_within=answer_within,
    )


class DisputeLifecycle(RuleBasedStateMachine):
    """A dispute driven by the merchant, the bank, the customer and the clock in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.dispute: Dispute | None = None
        self.closed_as: Dispute | None = None  # the dispute as it first reached a terminal state
        self.terminal_transitions = 0

    @property
    def current(self) -> Dispute:
        assert self.dispute is not None
        return self.dispute

    @initialize(
        opened=aware_datetimes(datetime(2000, 1, 1), datetime(2090, 1, 1)),
        requested_minor=st.integers(1, 10**9),
        disputed_share=st.integers(1, 100),
        dispute_terms=terms,
    )
    def open_dispute(
        self,
        opened: datetime,
        requested_minor: int,
        disputed_share: int,
        dispute_terms: DisputeTerms,
    ) -> None:
        requested = Money.from_minor(requested_minor)
        disputed = Money.from_minor(max(1, requested_minor * disputed_share // 100))
        refused = new_request(requested, opened, timedelta(days=3)).refuse("no", opened)
        self.now = opened.astimezone(UTC)
        self.dispute = Dispute.new(
            dispute_id=DisputeId("D-1"),
            request=refused,
            evidence=EVIDENCE,
            at=opened,
            terms=dispute_terms,
            amount=disputed,
        )
        self.closed_as, self.terminal_transitions = None, 0
        assert self.current.status is DisputeStatus.OPEN
        assert self.current.response_deadline == self.now + dispute_terms.merchant_response_time
        assert self.current.decision_deadline == self.now + dispute_terms.decision_time

    @precondition(lambda self: self.dispute is not None and self.dispute.is_terminal)
    @rule(
        later=st.timedeltas(timedelta(0), timedelta(days=400)),
        requested_minor=st.integers(1, 10**9),
        disputed_share=st.integers(1, 100),
        dispute_terms=terms,
    )
    def open_the_next_dispute(
        self,
        later: timedelta,
        requested_minor: int,
        disputed_share: int,
        dispute_terms: DisputeTerms,
    ) -> None:
        """Once a dispute is closed, follow another one: more steps per example are interesting."""
        self.open_dispute(self.now + later, requested_minor, disputed_share, dispute_terms)

    def _record(self, after: Dispute) -> None:
        before = self.current
        assert not before.is_terminal, "a terminal dispute changed"
        if after.is_terminal:
            self.terminal_transitions += 1
            self.closed_as = after
        self.dispute = after

    @rule(step=clock_steps)
    def advance_clock(self, step: timedelta) -> None:
        self.now += step

    @rule(deadline=st.sampled_from(["response", "decision"]), offset=near)
    def jump_to_a_deadline(self, deadline: str, offset: timedelta) -> None:
        target = (
            self.current.response_deadline
            if deadline == "response"
            else self.current.decision_deadline
        )
        self.now = max(self.now, target + offset)

    @rule()
    def merchant_responds(self) -> None:
        dispute = self.current
        allowed = dispute.status is DisputeStatus.OPEN and self.now <= dispute.response_deadline
        try:
            after = dispute.respond(EVIDENCE, self.now)
        except DisputeStateError:
            assert not allowed
        else:
            assert allowed
            assert (after.status, after.responded_at) == (DisputeStatus.RESPONDED, self.now)
            self._record(after)

    @rule(outcome=st.sampled_from(DisputeOutcome), share=st.integers(-10, 150))
    def bank_decides(self, outcome: DisputeOutcome, share: int) -> None:
        dispute = self.current
        refund = Money.from_minor(dispute.amount.minor * share // 100)
        in_time = dispute.status is DisputeStatus.RESPONDED or (
            dispute.status is DisputeStatus.OPEN and self.now > dispute.response_deadline
        )
        if outcome is DisputeOutcome.CUSTOMER_RESPONSIBLE:
            fits = refund.is_zero()
        else:
            fits = 0 < refund.minor <= dispute.amount.minor
        try:
            after = dispute.decide(outcome, refund, "the bank's reasons", self.now)
        except DisputeStateError:
            assert not in_time
        except InvalidAmountError:
            assert in_time
            assert not fits
        else:
            assert in_time
            assert fits
            assert (after.outcome, after.refund_amount) == (outcome, refund)
            self._record(after)

    @rule()
    def bank_decides_by_default(self) -> None:
        dispute = self.current
        allowed = dispute.status is DisputeStatus.OPEN and self.now > dispute.response_deadline
        try:
            after = dispute.decide_by_default(self.now)
        except DisputeStateError:
            assert not allowed
        else:
            assert allowed
            assert after.outcome is DisputeOutcome.MERCHANT_RESPONSIBLE
            assert after.refund_amount == dispute.amount
            self._record(after)

    @rule()
    def customer_withdraws(self) -> None:
        dispute = self.current
        allowed = not dispute.is_terminal
        try:
            after = dispute.withdraw(self.now)
        except DisputeStateError:
            assert not allowed
        else:
            assert allowed
            self._record(after)

    @precondition(lambda self: self.dispute is not None)
    @invariant()
    def at_most_one_terminal_state_which_never_changes(self) -> None:
        assert self.terminal_transitions <= 1
        if self.closed_as is not None:
            assert self.current == self.closed_as

    @precondition(lambda self: self.dispute is not None)
    @invariant()
    def the_refund_never_exceeds_the_disputed_amount(self) -> None:
        dispute = self.current
        assert (dispute.status is DisputeStatus.DECIDED) == (dispute.refund_amount is not None)
        if dispute.refund_amount is not None:
            assert 0 <= dispute.refund_amount.minor <= dispute.amount.minor
            merchant_pays = dispute.outcome is DisputeOutcome.MERCHANT_RESPONSIBLE
            assert merchant_pays == dispute.refund_amount.is_positive()

    @precondition(lambda self: self.dispute is not None)
    @invariant()
    def no_step_lands_after_the_deadline_it_is_bound_to(self) -> None:
        dispute = self.current
        if dispute.responded_at is not None:
            assert dispute.opened_at <= dispute.responded_at <= dispute.response_deadline
        if dispute.decided_at is not None and dispute.responded_at is None:
            assert dispute.decided_at > dispute.response_deadline
        assert dispute.is_overdue(self.now) == (
            not dispute.is_terminal and self.now > dispute.decision_deadline
        )


class RefundRequestLifecycle(RuleBasedStateMachine):
    """A refund request answered, refused or left to lapse at any time, for any amount."""

    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.request: RefundRequest | None = None
        self.closed_as: RefundRequest | None = None

    @property
    def current(self) -> RefundRequest:
        assert self.request is not None
        return self.request

    @initialize(
        asked=aware_datetimes(datetime(2000, 1, 1), datetime(2090, 1, 1)),
        requested_minor=st.integers(1, 10**9),
        answer_within=hours,
    )
    def ask(self, asked: datetime, requested_minor: int, answer_within: timedelta) -> None:
        self.now = asked.astimezone(UTC)
        self.request = new_request(Money.from_minor(requested_minor), asked, answer_within)
        self.closed_as = None

    @precondition(lambda self: self.request is not None and self.request.is_terminal)
    @rule(
        later=st.timedeltas(timedelta(0), timedelta(days=400)),
        requested_minor=st.integers(1, 10**9),
        answer_within=hours,
    )
    def ask_again(self, later: timedelta, requested_minor: int, answer_within: timedelta) -> None:
        """Once a request is closed, follow another one."""
        self.ask(self.now + later, requested_minor, answer_within)

    def _record(self, after: RefundRequest) -> None:
        assert not self.current.is_terminal, "a terminal request changed"
        assert after.is_terminal
        self.closed_as = after
        self.request = after

    @rule(step=clock_steps)
    def advance_clock(self, step: timedelta) -> None:
        self.now += step

    @rule(offset=near)
    def jump_to_the_deadline(self, offset: timedelta) -> None:
        self.now = max(self.now, self.current.answer_deadline + offset)

    @rule(share=st.integers(1, 150))
    def merchant_accepts(self, share: int) -> None:
        request = self.current
        amount = Money.from_minor(max(1, request.requested.minor * share // 100))
        in_time = not request.is_terminal and self.now <= request.answer_deadline
        try:
            after = request.accept(amount, self.now)
        except RefundStateError:
            assert not in_time or amount.minor > request.requested.minor
        else:
            assert in_time
            assert amount.minor <= request.requested.minor
            self._record(after)

    @rule()
    def merchant_refuses(self) -> None:
        request = self.current
        in_time = not request.is_terminal and self.now <= request.answer_deadline
        try:
            after = request.refuse("out of stock", self.now)
        except RefundStateError:
            assert not in_time
        else:
            assert in_time
            self._record(after)

    @rule()
    def deadline_passes_unanswered(self) -> None:
        request = self.current
        allowed = not request.is_terminal and self.now > request.answer_deadline
        assert request.is_overdue(self.now) == allowed
        try:
            after = request.lapse(self.now)
        except RefundStateError:
            assert not allowed
        else:
            assert allowed
            self._record(after)

    @precondition(lambda self: self.request is not None)
    @invariant()
    def never_accepts_more_than_was_asked(self) -> None:
        request = self.current
        assert (request.status is RefundRequestStatus.ACCEPTED) == (request.accepted is not None)
        if request.accepted is not None:
            assert 0 < request.accepted.minor <= request.requested.minor

    @precondition(lambda self: self.request is not None)
    @invariant()
    def an_answer_is_in_time_and_a_closed_request_never_changes(self) -> None:
        request = self.current
        if request.answered_at is not None:
            assert request.requested_at <= request.answered_at <= request.answer_deadline
        if self.closed_as is not None:
            assert request == self.closed_as
        assert request.is_disputable == (
            request.status in (RefundRequestStatus.REFUSED, RefundRequestStatus.LAPSED)
        )


TestDisputeLifecycle = DisputeLifecycle.TestCase
TestRefundRequestLifecycle = RefundRequestLifecycle.TestCase
