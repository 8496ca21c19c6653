"""Simulated after-sales: refund requests, merchants' answers, disputes, limit increases, sweeps.

After a purchase a customer may ask for a refund a few days later (a week and more later the
refund window has closed: declined), in full or in part. The merchant accepts (in full or in
part), refuses, or stays silent and the request lapses. A refused or lapsed request may be taken
to the bank as a dispute (an impatient customer who disputes before the merchant answered is
declined); the merchant responds, stays silent (the bank's rule then makes it responsible for the
whole amount when the response deadline passes), or the customer withdraws the dispute; the bank
decides the answered ones: the merchant responsible in full or in part, or the customer.

Every evening the bank's sweeps run: unanswered refund requests lapse, unanswered disputes are
decided by default, disputes past the bank's own decision deadline (left by an earlier run) are
decided by its desk, the outbox delivers its events, and idempotency keys past their keeping time
are forgotten.
"""

from __future__ import annotations

from functools import partial
from typing import Final

from icbc_wallet.domain.disputes import DisputeEvidence, DisputeOutcome, DisputeStatus
from icbc_wallet.domain.limits import Limit
from icbc_wallet.domain.money import Money
from icbc_wallet.simulation.population import pick
from icbc_wallet.simulation.world import Member, World

__all__ = ["apply_for_increase", "evening_sweeps", "plan_refund"]

_SWEEP: Final = 10_000
_REFUND_DELAYS: Final = ((1, 40), (2, 25), (3, 15), (5, 10), (8, 10))  # days; 8 is too late
_ANSWERS: Final = (("accept", 65), ("part", 10), ("refuse", 15), ("silent", 10))
_REACTIONS: Final = (("respond", 50), ("silent", 30), ("withdraw", 20))
_VERDICTS: Final = (("merchant", 45), ("merchant_part", 20), ("customer", 35))
_LAPSE: Final = 4  # days after a request: its answer deadline (3 days) has passed


def _half(minor: int) -> int:
    return max(minor // 2, 1)


def plan_refund(world: World, member: Member, payment_id: str, paid: int, day: int) -> None:
    """Plan a refund request for a payment, a few days after it (in full or in part)."""
    when = day + pick(world.rng, _REFUND_DELAYS)
    asked = _half(paid) if world.roll(20) else paid
    act = partial(request_refund, world, member, payment_id, asked, when)
    world.at(when, world.second(9, member.person.habits.hour_shift), act)


def request_refund(world: World, member: Member, payment_id: str, asked: int, day: int) -> None:
    """Ask the merchant for a refund; plan its answer (or silence) and maybe a dispute."""
    result = world.command(
        "refund_request",
        lambda key: world.service.request_refund(
            payment_id, world.money(asked), "Not as described", idempotency_key=key
        ),
    )
    if result is None:
        return
    if not world.tally.result("refund_request", result):
        world.tally.refunds["declined"] += 1
        return
    world.tally.refunds["requested"] += 1
    refund_id = result.reference
    if world.roll(10):  # impatient: disputes before the merchant could answer (declined)
        world.at(day + 1, world.second(8), partial(open_dispute, world, refund_id, asked, day + 1))
    answer = pick(world.rng, _ANSWERS)
    if answer == "silent":
        if world.roll(70):
            act = partial(open_dispute, world, refund_id, asked, day + _LAPSE)
            world.at(day + _LAPSE, world.second(10), act)
        return
    when = day + world.rng.choice((1, 2))
    act = partial(answer_refund, world, refund_id, asked, answer, when)
    world.at(when, world.second(world.rng.randrange(10, 19)), act)


def answer_refund(world: World, refund_id: str, asked: int, answer: str, day: int) -> None:
    """The merchant accepts (in full or in part) or refuses; a refusal may become a dispute."""
    service = world.service
    if answer == "refuse":
        result = world.command(
            "refund_answer",
            lambda key: service.refuse_refund(refund_id, "Used goods", idempotency_key=key),
        )
        if result is not None and world.tally.result("refund_answer", result):
            world.tally.refunds["refused"] += 1
            if world.roll(70):
                act = partial(open_dispute, world, refund_id, asked, day + 1)
                world.at(day + 1, world.second(world.rng.randrange(9, 21)), act)
        return
    amount = None if answer == "accept" else world.money(_half(asked))
    result = world.command(
        "refund_answer",
        lambda key: service.accept_refund(refund_id, amount, idempotency_key=key),
    )
    if result is not None and world.tally.result("refund_answer", result):
        world.tally.refunds["accepted" if amount is None else "partly_accepted"] += 1


def open_dispute(world: World, refund_id: str, asked: int, day: int) -> None:
    """Take a refund request to the bank; plan the merchant's reaction."""
    evidence = DisputeEvidence(
        order_number=f"ORD-{refund_id[-12:]}",
        receipt="",
        description="The goods did not match the description and the merchant refused a refund.",
    )
    result = world.command(
        "dispute",
        lambda key: world.service.open_dispute(refund_id, evidence, idempotency_key=key),
    )
    if result is None:
        return
    if not world.tally.result("dispute", result):
        world.tally.disputes["declined"] += 1
        return
    world.tally.disputes["opened"] += 1
    dispute_id = result.reference
    reaction = pick(world.rng, _REACTIONS)
    if reaction == "respond":
        act = partial(respond, world, dispute_id, asked, day + 1)
        world.at(day + 1, world.second(world.rng.randrange(10, 18)), act)
    elif reaction == "withdraw":
        world.at(day + 1, world.second(8), partial(withdraw_dispute, world, dispute_id))


def respond(world: World, dispute_id: str, asked: int, day: int) -> None:
    """The merchant answers the dispute; the bank decides the next day."""
    evidence = DisputeEvidence(
        order_number=f"ORD-{dispute_id[-12:]}",
        receipt="DELIVERY-NOTE",
        description="The goods were delivered as described; the customer signed for them.",
    )
    result = world.command(
        "dispute_response",
        lambda key: world.service.respond_to_dispute(dispute_id, evidence, idempotency_key=key),
    )
    if result is not None and world.tally.result("dispute_response", result):
        world.tally.disputes["responded"] += 1
        world.at(day + 1, world.second(11), partial(decide, world, dispute_id, asked))


def decide(world: World, dispute_id: str, asked: int) -> None:
    """The bank decides: the merchant responsible (in full or in part) or the customer."""
    verdict = pick(world.rng, _VERDICTS)
    outcome = DisputeOutcome.CUSTOMER_RESPONSIBLE
    award: Money | None = None
    if verdict != "customer":
        outcome = DisputeOutcome.MERCHANT_RESPONSIBLE
        award = world.money(_half(asked)) if verdict == "merchant_part" else None
    result = world.command(
        "dispute_decision",
        lambda key: world.service.decide_dispute(
            dispute_id, outcome, award, "Decided on both sides' evidence", idempotency_key=key
        ),
    )
    if result is not None and world.tally.result("dispute_decision", result):
        world.tally.disputes[outcome.value] += 1


def withdraw_dispute(world: World, dispute_id: str) -> None:
    """The customer withdraws the dispute (the money set aside goes back)."""
    result = world.command(
        "dispute_withdrawal",
        lambda key: world.service.withdraw_dispute(dispute_id, idempotency_key=key),
    )
    if result is not None and world.tally.result("dispute_withdrawal", result):
        world.tally.disputes["withdrawn"] += 1


def apply_for_increase(world: World, member: Member) -> None:
    """Apply for twice the tier's caps (now and then three times: above what may be granted)."""
    wallet = world.service.wallet(member.wallet_id)
    member.wants_increase = False
    if wallet.grant is not None and wallet.grant.is_active(world.clock.now()):
        return  # an increase is running: no new application until it ends
    tier = world.service.policies.limits.tier(wallet.tier).limit
    requested = _raised(tier, 3 if world.roll(20) else 2)
    if requested is None:
        return  # a tier without caps has nothing to raise
    decision = world.command(
        "limit_increase",
        lambda key: world.service.apply_for_limit_increase(
            member.wallet_id, requested, "Paying for a family trip", idempotency_key=key
        ),
    )
    if decision is not None:
        world.tally.increase(decision)


def _raised(limit: Limit, multiple: int) -> Limit | None:
    caps = (limit.per_transaction, limit.daily, limit.monthly, limit.annual, limit.lifetime)
    if all(cap is None for cap in caps):
        return None
    raised = [None if cap is None else cap * multiple for cap in caps]
    return Limit(*raised)


def evening_sweeps(world: World) -> None:
    """The bank's end-of-day jobs (see the module docstring)."""
    service = world.service
    world.tally.refunds["lapsed"] += service.lapse_refunds(limit=_SWEEP)
    world.tally.disputes["decided_by_default"] += service.decide_unanswered_disputes(limit=_SWEEP)
    for dispute in service.overdue_disputes(limit=_SWEEP):
        if dispute.status is DisputeStatus.RESPONDED:  # left undecided by an earlier run
            decide(world, dispute.dispute_id, dispute.amount.minor)
    while delivered := world.bank.dispatcher.dispatch(limit=_SWEEP):
        world.tally.notifications += delivered
    service.purge_idempotency_keys()
