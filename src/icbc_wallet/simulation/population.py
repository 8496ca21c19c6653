"""The population: synthetic customers and merchants, a pure function of the seed.

Every customer has valid identity numbers (a mainland mobile number, a resident ID with its check
character, a UnionPay card passing the Luhn check), a payment password the registration accepts,
and spending *habits*: how often they pay, on what (category weights), at which hours, how much,
when they top up, send money, withdraw and ask for refunds. Customer ``i`` is drawn from its own
generator (``seed`` and ``i``), so a larger population keeps the first customers unchanged.

Verification tiers are planned by evidence, not by tier name (the policy set names the tiers):
about 55 % register with phone, ID and their own bank card, 25 % with phone and ID, 20 % with a
phone only (anonymous). Customer 0 always brings a card: someone must pay the merchants' first
sales.

```pycon
>>> people = Population.generate(seed=7, customers=3, merchants=2)
>>> [c.evidence for c in people.customers][0], people.merchants[1].category.value
('card', 'utilities')
>>> people.customers[0].phone  # shown masked, like every identity number
<PhoneNumber 1...****...>

```
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final, Literal, TypeVar

import attrs

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.limits import PaymentMethod
from icbc_wallet.domain.registration import validate_payment_password
from icbc_wallet.errors import InvalidIdentityError, WeakPasswordError

__all__ = ["Customer", "Habits", "MerchantProfile", "Population"]

Evidence = Literal["card", "identity", "phone"]
T = TypeVar("T")

_MOBILE_PREFIXES: Final = (
    *range(130, 140),
    *range(150, 160),
    166,
    176,
    177,
    178,
    *range(180, 190),
    198,
    199,
)
_REGIONS: Final = ("110105", "310115", "440305", "330106", "510107", "420111", "320102", "340524")
_CARD_BINS: Final = ("621226", "622202", "622848", "621700", "622588")  # UnionPay debit cards
_SURNAMES: Final = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN: Final = (
    *"伟芳娜敏静丽强磊洋艳勇军杰娟涛明超华平",
    "秀英",
    "建国",
    "婷婷",
    "子涵",
    "浩然",
    "欣怡",
)
_PETS: Final = ("Lucky", "Mimi", "Doudou", "Xiaohei", "Wangcai", "Huahua")
_CREDIT_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# The merchant mix, in the order merchants are added: the first eight cover every category.
_MERCHANT_ORDER: Final = (
    Category.FOOD,
    Category.UTILITIES,
    Category.SHOPPING,
    Category.TRANSPORT,
    Category.ONLINE_SERVICES,
    Category.FOOD,
    Category.MOVIES,
    Category.HOTEL,
)
_NAMES: Final = {
    Category.FOOD: ("Lucky Coffee", "Noodle House", "Dumpling King", "Tea Garden", "Hotpot 21"),
    Category.UTILITIES: ("City Power", "Water Works", "Gas Company", "Mobile Telecom"),
    Category.SHOPPING: ("Corner Mart", "Book Street", "Fashion Lane", "Electronics Plaza"),
    Category.TRANSPORT: ("Metro Line 2", "City Taxi", "Bike Share"),
    Category.ONLINE_SERVICES: ("Cloud Music", "Video Plus", "Game Hub"),
    Category.MOVIES: ("Star Cinema", "Riverside Films"),
    Category.HOTEL: ("Lakeside Hotel", "Garden Inn"),
}
_S, _D, _N, _O = (
    PaymentMethod.STATIC_QR,
    PaymentMethod.DYNAMIC_QR,
    PaymentMethod.NFC,
    PaymentMethod.ONLINE,
)
_METHODS: Final = {
    Category.FOOD: ((_S, 35), (_D, 35), (_N, 30)),
    Category.UTILITIES: ((_O, 100),),
    Category.SHOPPING: ((_S, 25), (_D, 30), (_N, 25), (_O, 20)),
    Category.TRANSPORT: ((_N, 60), (_D, 40)),
    Category.ONLINE_SERVICES: ((_O, 100),),
    Category.MOVIES: ((_O, 70), (_D, 30)),
    Category.HOTEL: ((_O, 60), (_N, 40)),
}
_SPENDING: Final = (  # how much of everyday spending goes where, before each person's taste
    (Category.FOOD, 40),
    (Category.TRANSPORT, 20),
    (Category.SHOPPING, 15),
    (Category.ONLINE_SERVICES, 10),
    (Category.MOVIES, 5),
    (Category.HOTEL, 2),
)


@attrs.frozen
class Habits:
    """How one customer spends. Percentages are whole numbers; amounts are in fen.

    Attributes:
        payments_pct: payments per day, times 100 (50 to 300).
        categories: what they pay for, with weights.
        hour_shift: an early bird (-1), a regular (0) or a night owl (+1, +2), in hours.
        spend_pct: how much they spend against the typical amount of a category, in percent.
        payday: the day of the month they are paid (and top up).
        bill_day: the day of the month they pay the utilities bill.
        low_water: below this available balance (fen) they top up the next morning.
        top_up: how much they top up (fen).
        careless_pct: the chance of forgetting a top-up when low (insufficient funds follow).
        transfer_pct: the daily chance of sending someone money.
        withdraw_pct: the daily chance of withdrawing to the card.
        refund_pct: the chance of asking a refund after a payment.
    """

    payments_pct: int
    categories: tuple[tuple[Category, int], ...]
    hour_shift: int
    spend_pct: int
    payday: int
    bill_day: int
    low_water: int
    top_up: int
    careless_pct: int
    transfer_pct: int
    withdraw_pct: int
    refund_pct: int


@attrs.frozen
class Customer:
    """One synthetic customer: identity, evidence for the tier, password and habits.

    Attributes:
        index: the position in the population (stable across runs).
        evidence: ``"card"`` (phone, ID and own card), ``"identity"`` (phone and ID) or
            ``"phone"`` (anonymous).
        phone: the mobile number; the registration's key to find the wallet again.
        name: the holder's name (None for an anonymous customer).
        resident_id: the ID number (None for an anonymous customer).
        card: the customer's own bank card (bound at registration only with ``"card"``).
        password: the six-digit payment password.
        answer: the answer to the security question.
        habits: how they spend.
    """

    index: int
    evidence: Evidence
    phone: PhoneNumber
    name: str | None = attrs.field(repr=False)
    resident_id: ResidentId | None
    card: BankCard
    password: str = attrs.field(repr=False)
    answer: str = attrs.field(repr=False)
    habits: Habits = attrs.field(repr=False)


@attrs.frozen
class MerchantProfile:
    """One synthetic merchant: name, credit code, category and how customers pay it."""

    index: int
    name: str
    credit_code: MerchantCreditCode
    category: Category
    methods: tuple[tuple[PaymentMethod, int], ...]


@attrs.frozen
class Population:
    """The customers and merchants of one seed."""

    customers: tuple[Customer, ...]
    merchants: tuple[MerchantProfile, ...]

    @classmethod
    def generate(cls, *, seed: int, customers: int, merchants: int) -> Population:
        """The first ``customers`` customers and ``merchants`` merchants of ``seed``.

        Phone and ID numbers are unique within the population (a clash is drawn again).
        """
        phones: set[str] = set()
        ids: set[str] = set()
        people = tuple(_customer(seed, index, phones, ids) for index in range(customers))
        shops = tuple(_merchant(seed, index) for index in range(merchants))
        return cls(people, shops)


def pick(rng: random.Random, weighted: tuple[tuple[T, int], ...]) -> T:
    """One item of ``(item, weight)`` pairs, with chances by weight (integer arithmetic)."""
    point = rng.randrange(sum(weight for _, weight in weighted))
    for item, weight in weighted:
        point -= weight
        if point < 0:
            return item
    raise AssertionError("unreachable: the weights are positive")  # pragma: no cover


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def _valid(parse: Callable[[str], T], body: str, checks: str) -> T:
    """``body`` completed with the one check character the parser accepts."""
    for check in checks:
        try:
            return parse(body + check)
        except InvalidIdentityError:
            continue
    raise AssertionError("unreachable: some check character is right")  # pragma: no cover


def _phone(rng: random.Random) -> PhoneNumber:
    return PhoneNumber.parse(f"{rng.choice(_MOBILE_PREFIXES)}{_digits(rng, 8)}")


def _resident_id(rng: random.Random) -> ResidentId:
    born = f"{rng.randrange(1960, 2005)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    body = rng.choice(_REGIONS) + born + _digits(rng, 3)
    return _valid(ResidentId.parse, body, "0123456789X")


def _card(rng: random.Random) -> BankCard:
    return _valid(BankCard.parse, rng.choice(_CARD_BINS) + _digits(rng, 12), "0123456789")


def _draw(make: Callable[[], T], acceptable: Callable[[T], bool]) -> T:
    """The first value ``make`` gives that is ``acceptable`` (a clash or a weak one is redrawn)."""
    while True:
        value = make()
        if acceptable(value):
            return value


def _strong(password: str, phone: PhoneNumber, resident_id: ResidentId | None) -> bool:
    try:
        validate_payment_password(password, phone=phone, resident_id=resident_id)
    except WeakPasswordError:
        return False
    return True


def _customer(seed: int, index: int, phones: set[str], ids: set[str]) -> Customer:
    rng = random.Random(f"{seed}:customer:{index}")
    evidence: Evidence = (
        "card" if index == 0 else pick(rng, (("card", 55), ("identity", 25), ("phone", 20)))
    )
    phone = _draw(lambda: _phone(rng), lambda drawn: drawn.reveal() not in phones)
    phones.add(phone.reveal())
    name = resident_id = None
    if evidence != "phone":
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        resident_id = _draw(lambda: _resident_id(rng), lambda drawn: drawn.reveal() not in ids)
        ids.add(resident_id.reveal())
    card = _card(rng)
    password = _draw(lambda: _digits(rng, 6), lambda drawn: _strong(drawn, phone, resident_id))
    habits = _habits(rng, carded=evidence == "card")
    return Customer(
        index, evidence, phone, name, resident_id, card, password, rng.choice(_PETS), habits
    )


def _habits(rng: random.Random, *, carded: bool) -> Habits:
    # Customers without a card live on what others send them: they pay less often, less.
    return Habits(
        payments_pct=rng.randrange(50, 301) if carded else rng.randrange(30, 151),
        categories=tuple(
            (category, weight * rng.randrange(1, 5)) for category, weight in _SPENDING
        ),
        hour_shift=pick(rng, ((-1, 2), (0, 5), (1, 2), (2, 1))),
        spend_pct=rng.randrange(60, 201) if carded else rng.randrange(40, 121),
        payday=rng.randrange(1, 29),
        bill_day=rng.randrange(1, 29),
        low_water=rng.randrange(300, 1501) * 100,
        top_up=rng.randrange(10, 51) * 10_000,
        careless_pct=rng.randrange(3, 16),
        transfer_pct=rng.randrange(5, 25),
        withdraw_pct=rng.randrange(1, 6),
        refund_pct=rng.randrange(2, 7),
    )


def _merchant(seed: int, index: int) -> MerchantProfile:
    rng = random.Random(f"{seed}:merchant:{index}")
    category = _MERCHANT_ORDER[index % len(_MERCHANT_ORDER)]
    same = sum(1 for c in _MERCHANT_ORDER[: index % len(_MERCHANT_ORDER)] if c is category)
    number = same + (index // len(_MERCHANT_ORDER)) * _MERCHANT_ORDER.count(category)
    names = _NAMES[category]
    name = names[number % len(names)]
    if number >= len(names):
        name += f" {number // len(names) + 1}"
    body = "91" + rng.choice(_REGIONS) + "".join(rng.choice(_CREDIT_CHARSET) for _ in range(9))
    code = _valid(MerchantCreditCode.parse, body, _CREDIT_CHARSET)
    return MerchantProfile(index, name, code, category, _METHODS[category])
