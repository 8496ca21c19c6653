"""A simulated day of spending: each customer's habits become acts at hours of the day.

Every morning customers with a bound card top up when their balance is low (now and then they
forget, and a payment is declined for insufficient funds) and on payday. Through the day they
pay merchants by static or dynamic QR code, NFC or online, at the hours their categories keep
(breakfast, lunch and dinner for food; rush hours for transport; evenings for shopping and
online services), pay the utilities bill on their bill day, send money (red packets; a card
holder funds an anonymous or ID-only "dependant" whose balance runs low), and withdraw to their
card. A static QR payment declined by its daily cap is paid again by dynamic QR; a payment
declined by the tier's overall limit makes the customer want a limit increase. Now and then a
customer without a bound card tries to withdraw anyway, or an anonymous one tries to bind a
card (both refused: the service raises), and an identified one binds their card (the tier
rises).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Final

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.decisions import Declined, DeclineReason
from icbc_wallet.domain.fee_rules import FeeCharging
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.operations import Channel, OperationKind
from icbc_wallet.simulation import claims
from icbc_wallet.simulation.population import pick
from icbc_wallet.simulation.world import Member, Shop, World

__all__ = ["plan_day"]

_AMOUNTS: Final = {  # typical range of one payment, in fen
    Category.FOOD: (800, 12_000),
    Category.TRANSPORT: (200, 6_000),
    Category.SHOPPING: (1_500, 40_000),
    Category.ONLINE_SERVICES: (600, 15_000),
    Category.MOVIES: (3_500, 15_000),
    Category.HOTEL: (15_000, 80_000),
    Category.UTILITIES: (5_000, 40_000),
}
_HOURS: Final = {  # when people pay for what: (hour, weight)
    Category.FOOD: ((7, 3), (8, 4), (11, 4), (12, 6), (13, 3), (18, 5), (19, 5), (20, 2)),
    Category.TRANSPORT: ((7, 5), (8, 6), (9, 3), (12, 1), (17, 5), (18, 6), (19, 3), (22, 1)),
    Category.SHOPPING: ((10, 2), (11, 2), (14, 2), (15, 2), (16, 2), (19, 3), (20, 4), (21, 3)),
    Category.ONLINE_SERVICES: ((12, 2), (20, 3), (21, 5), (22, 5), (23, 3)),
    Category.MOVIES: ((14, 2), (16, 2), (18, 3), (19, 4), (20, 4), (21, 2)),
    Category.HOTEL: ((14, 3), (15, 3), (16, 2), (18, 2), (20, 2), (22, 1)),
}
_BIG_TICKET: Final = ((PaymentMethod.ONLINE, 60), (PaymentMethod.NFC, 40))
_RED_PACKETS: Final = (666, 888, 2_000, 5_000, 6_600, 8_800, 10_000, 20_000, 52_000)
_WITHDRAWALS: Final = (10_000, 20_000, 30_000, 50_000, 80_000, 100_000, 150_000, 300_000)
_LOW_DEPENDANT: Final = 20_000  # a dependant's balance below 200.00 asks the patron for money
_LEAST_ALLOWANCE: Final = 5_000  # a patron with less to spare than 50.00 sends nothing
_OVERALL_LIMITS: Final = frozenset(
    {
        DeclineReason.PER_TRANSACTION_LIMIT,
        DeclineReason.DAILY_LIMIT,
        DeclineReason.MONTHLY_LIMIT,
        DeclineReason.ANNUAL_LIMIT,
        DeclineReason.LIFETIME_LIMIT,
    }
)


def plan_day(world: World, day: int) -> None:
    """Put each customer's acts of ``day`` on the agenda (draws from the run's generator)."""
    day_of_month = (world.start + timedelta(days=day)).day
    utilities = world.by_category.get(Category.UTILITIES)
    for member in world.members:
        habits = member.person.habits
        shift = habits.hour_shift
        if member.card_bound:
            payday = day_of_month == habits.payday
            world.at(day, world.second(7, shift), partial(top_up, world, member, payday=payday))
        categories = tuple(
            (category, weight)
            for category, weight in habits.categories
            if category in world.by_category
        )
        payments = sum(world.rng.randrange(400) < habits.payments_pct for _ in range(4))
        for _ in range(payments if categories else 0):
            category = pick(world.rng, categories)
            shop = world.rng.choice(world.by_category[category])
            amount = _amount(world, category, habits.spend_pct)
            method = pick(world.rng, shop.profile.methods)
            second = world.second(pick(world.rng, _HOURS[category]), shift)
            world.at(day, second, partial(pay, world, member, shop, amount, method, day))
        if utilities and day_of_month == habits.bill_day:
            shop = world.rng.choice(utilities)
            amount = _amount(world, Category.UTILITIES, 100)
            world.at(day, world.second(20, shift), partial(pay_bill, world, member, shop, amount))
        shops = world.by_category.get(Category.SHOPPING)
        if shops and world.rng.randrange(100) < 2:  # a big purchase: above lower tiers' caps
            shop = world.rng.choice(shops)
            amount = world.rng.randrange(1_500, 8_000) * 100
            method = pick(world.rng, _BIG_TICKET)
            if member.patron is not None:  # the patron pays for it: a gift first
                world.at(day, world.second(13), partial(gift, world, member.patron, member, amount))
            world.at(
                day, world.second(15, shift), partial(pay, world, member, shop, amount, method, day)
            )
        _plan_transfers(world, member, day)
        _plan_cards(world, member, day)
        wants = member.wants_increase and world.roll(50)
        if wants or world.rng.randrange(100) == 0:  # after a limit decline, or now and then
            world.at(
                day, world.second(10, shift), partial(claims.apply_for_increase, world, member)
            )


def plan_opening_sales(world: World) -> None:
    """Each new merchant's first sale, on the first day, by the first customer with a card.

    A merchant is found again through the run log (:mod:`icbc_wallet.simulation.runs`), sale or
    no sale; the first sale also opens its ledger account, where a run on a database without
    the log (or a PostgreSQL bank in a later process) finds it.
    """
    buyer = next((member for member in world.members if member.card_bound), None)
    if buyer is None:
        return
    for position, shop in enumerate(world.new_shops):
        amount = _amount(world, shop.profile.category, 50)
        method = pick(world.rng, shop.profile.methods)
        world.at(0, 10 * 3600 + 60 * position, partial(pay, world, buyer, shop, amount, method, 0))


def _amount(world: World, category: Category, spend_pct: int) -> int:
    low, high = _AMOUNTS[category]
    typical = (world.rng.randrange(low, high) + world.rng.randrange(low, high)) // 2
    return max(typical * spend_pct // 100 // 10 * 10, 10)


def _plan_transfers(world: World, member: Member, day: int) -> None:
    habits = member.person.habits
    patron = member.patron
    if patron is not None:
        world.at(day, world.second(10), partial(allowance, world, patron, member))
    if member.card_bound and world.roll(habits.transfer_pct) and len(world.members) > 1:
        others = [other for other in world.members if other is not member]
        to = world.rng.choice(others)
        amount = world.rng.choice(_RED_PACKETS)
        world.at(day, world.second(21), partial(transfer, world, member, to, amount))
    if member.card_bound and world.roll(habits.withdraw_pct):
        amount = world.rng.choice(_WITHDRAWALS)
        world.at(day, world.second(17), partial(withdraw, world, member, amount))


def _plan_cards(world: World, member: Member, day: int) -> None:
    if not member.card_bound and world.rng.randrange(200) == 0:
        amount = world.rng.choice(_WITHDRAWALS)
        world.at(day, world.second(17), partial(withdraw, world, member, amount))
    if not member.card_bound and world.rng.randrange(100) == 0:
        world.at(day, world.second(9), partial(bind_card, world, member))


# ---- the acts ------------------------------------------------------------------------------


def top_up(world: World, member: Member, *, payday: bool) -> None:
    """Top up from the card when the balance is low (unless forgotten), or lowish on payday."""
    habits = member.person.habits
    available = world.service.balance(member.wallet_id).available.minor
    if available >= habits.low_water * (4 if payday else 1):
        return  # enough for now (on payday: enough for a while)
    if available > 0 and not payday and world.roll(habits.careless_pct):
        return  # forgotten: a payment may be declined for insufficient funds today
    _top_up(world, member, habits.top_up)


def _top_up(world: World, member: Member, minor: int) -> bool:
    amount = world.money(minor)
    result = world.command(
        "top_up",
        lambda key: world.service.top_up(
            member.wallet_id, member.person.card, amount, idempotency_key=key
        ),
    )
    if result is None or not world.tally.result("top_up", result):
        return False
    world.tally.moved_in(amount)
    return True


def gift(world: World, patron: Member, dependant: Member, minor: int) -> None:
    """A patron tops up from the card and sends a dependant money for a big purchase."""
    if _top_up(world, patron, minor):
        transfer(world, patron, dependant, minor)


def pay(
    world: World, member: Member, shop: Shop, minor: int, method: PaymentMethod, day: int
) -> None:
    """Pay a merchant; retry a capped static QR payment by dynamic QR; plan a refund request."""
    kind = f"payment_{method.value}"
    amount = world.money(minor)
    result = world.command(
        kind,
        lambda key: world.service.pay(
            member.wallet_id,
            shop.merchant_id,
            amount,
            method=method,
            presented=world.presented(member),
            idempotency_key=key,
        ),
    )
    if result is None:
        return
    if world.tally.result(kind, result, fee="merchant_service"):
        if world.roll(member.person.habits.refund_pct):
            claims.plan_refund(world, member, result.reference, minor, day)
        return
    decision = result.decision
    assert type(decision) is Declined  # for mypy: not approved
    if decision.scope == PaymentMethod.STATIC_QR.value and method is PaymentMethod.STATIC_QR:
        pay(world, member, shop, minor, PaymentMethod.DYNAMIC_QR, day)
    elif decision.reason in _OVERALL_LIMITS and decision.scope == "all":
        member.wants_increase = True


def pay_bill(world: World, member: Member, shop: Shop, minor: int) -> None:
    """Pay the monthly utilities bill online."""
    amount = world.money(minor)
    result = world.command(
        "bill_payment",
        lambda key: world.service.pay_bill(
            member.wallet_id,
            shop.merchant_id,
            amount,
            category=Category.UTILITIES,
            presented=world.presented(member),
            idempotency_key=key,
        ),
    )
    if result is not None:
        world.tally.result("bill_payment", result, fee="merchant_service")


def transfer(world: World, sender: Member, recipient: Member, minor: int) -> None:
    """Send money to another customer's wallet."""
    amount = world.money(minor)
    result = world.command(
        "transfer",
        lambda key: world.service.transfer(
            sender.wallet_id,
            recipient.wallet_id,
            amount,
            presented=world.presented(sender),
            idempotency_key=key,
        ),
    )
    if result is not None:
        world.tally.result("transfer", result, fee="transfer")


def allowance(world: World, patron: Member, dependant: Member) -> None:
    """A card holder sends a dependant whose balance runs low what they can spare."""
    balance = world.service.balance
    if balance(dependant.wallet_id).available.minor >= _LOW_DEPENDANT or not world.roll(70):
        return
    spare = balance(patron.wallet_id).available.minor // 2
    amount = min(dependant.person.habits.top_up // 4, spare) // 100 * 100
    if amount >= _LEAST_ALLOWANCE:
        transfer(world, patron, dependant, amount)


def withdraw(world: World, member: Member, minor: int) -> None:
    """Withdraw to the customer's own card (refused when that card is not bound)."""
    amount = world.money(minor)
    result = world.command(
        "withdrawal",
        lambda key: world.service.withdraw(
            member.wallet_id,
            member.person.card,
            amount,
            presented=world.presented(member),
            idempotency_key=key,
        ),
    )
    if result is None or not world.tally.result("withdrawal", result, fee="withdrawal"):
        return
    fee = result.fee
    if fee is not None and fee.minor and _deducted(world, minor):
        world.tally.moved_out(amount - fee)  # the card received the amount less the fee
    else:
        world.tally.moved_out(amount)


def _deducted(world: World, minor: int) -> bool:
    """Whether the withdrawal fee rule takes its fee out of the amount (not on top of it)."""
    policies = world.service.policies
    quote = policies.fees.quote(
        OperationKind.WITHDRAWAL,
        world.money(minor),
        now=world.clock.now(),
        channel=Channel.MOBILE,
        calendar=policies.calendar,
        zone=policies.limits.zone,
    )
    return quote.charging is FeeCharging.DEDUCTED


def bind_card(world: World, member: Member) -> None:
    """Bind the customer's own card: the tier rises; refused for an anonymous wallet."""
    tier = world.command(
        "card_binding",
        lambda key: world.service.bind_card(
            member.wallet_id, member.person.card, idempotency_key=key
        ),
    )
    if tier is not None:
        world.tally.approved("card_binding")
        member.card_bound = True
