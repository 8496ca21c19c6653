"""The world of one run: the bank, the simulated clock, the agenda, and who is registered.

:class:`World` holds what every simulated act needs: the service, the manual clock, the run's
random generator (seeded from the seed and the period's first day, so the same period on a new
database repeats it), the :class:`~icbc_wallet.simulation.tally.Tally`, the *agenda* of acts
planned for later days (a refund request after a purchase, a merchant's answer), the registered
customers and merchants, and the :class:`~icbc_wallet.simulation.runs.RunLog`.

Commands carry idempotency keys made of the seed, the period's first day and a counter
(``sim:2026:2026-03-01:000042:pay``); registrations use the seed and the customer's index
(``sim:2026:c7:submit``), so an interrupted registration is replayed rather than repeated. Keys
never contain personal data.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.adapters.runtime import ManualClock
from icbc_wallet.bootstrap import Bank, InMemoryBank
from icbc_wallet.domain.attestations import Presented
from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.ledger import AccountKind
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import (
    ConcurrencyError,
    CorruptStateError,
    IdempotencyConflict,
    NotFoundError,
    WalletError,
)
from icbc_wallet.service import WalletService
from icbc_wallet.simulation.population import Customer, MerchantProfile, Population
from icbc_wallet.simulation.runs import RunLog
from icbc_wallet.simulation.tally import Tally

__all__ = ["DAY_SECONDS", "Member", "Shop", "World"]

R = TypeVar("R")
AnyBank = Bank | InMemoryBank
DAY_SECONDS = 86_400
_SECURITY_QUESTION = "Name of your first pet?"
_FATAL = (CorruptStateError, IdempotencyConflict, ConcurrencyError, NotFoundError)
"""Errors that mean the simulation or the database is broken: never counted, always raised."""


@attrs.define(eq=False)
class Member:
    """A registered customer during a run (what the simulation knows beyond the population)."""

    person: Customer
    wallet_id: str
    card_bound: bool
    identified: bool
    patron: Member | None = None
    wants_increase: bool = False


@attrs.frozen
class Shop:
    """A registered merchant."""

    profile: MerchantProfile
    merchant_id: str


class World:
    """Everything one run's acts share (see the module docstring)."""

    def __init__(
        self,
        bank: AnyBank,
        clock: ManualClock,
        seed: int,
        start: date,
        zone: ZoneInfo,
        log: RunLog | None = None,
    ) -> None:
        self.bank = bank
        self.log = RunLog() if log is None else log
        self.service: WalletService = bank.service
        self.clock = clock
        self.seed = seed
        self.start = start
        self.zone = zone
        self.rng = random.Random(f"{seed}:{start.isoformat()}")
        self.tally = Tally()
        self.currency = self.service.policies.limits.currency
        self.members: list[Member] = []
        self.shops: list[Shop] = []
        self.new_shops: list[Shop] = []
        self.by_category: dict[Category, list[Shop]] = {}
        self.agenda: dict[int, list[tuple[int, int, Callable[[], None]]]] = {}
        self._order = itertools.count()
        self._keys = itertools.count(1)
        policies = self.service.policies
        self.guarded = policies.authentication is not None or policies.risk is not None

    # ---- time and the agenda --------------------------------------------------------------

    def instant(self, day: int, second: int) -> datetime:
        """The instant ``second`` seconds into the period's day ``day`` (business zone)."""
        midnight = datetime.combine(
            self.start + timedelta(days=day), datetime.min.time(), self.zone
        )
        return midnight + timedelta(seconds=second)

    def move_to(self, day: int, second: int) -> None:
        """Move the clock forward to that instant (never back: acts of one instant share it)."""
        moment = self.instant(day, second)
        if moment > self.clock.now():
            self.clock.set(moment)

    def at(self, day: int, second: int, act: Callable[[], None]) -> None:
        """Plan ``act`` for ``second`` seconds into day ``day``."""
        self.agenda.setdefault(day, []).append((second, next(self._order), act))

    def due(self, day: int) -> list[tuple[int, Callable[[], None]]]:
        """The acts planned for ``day``, in time order (and planning order within a second)."""
        planned = sorted(self.agenda.pop(day, []), key=lambda item: (item[0], item[1]))
        return [(second, act) for second, _, act in planned]

    def second(self, hour: int, shift: int = 0) -> int:
        """A random second within ``hour`` (moved by ``shift``, kept between 06:00 and 23:59)."""
        return min(max(hour + shift, 6), 23) * 3600 + self.rng.randrange(3600)

    def roll(self, percent: int) -> bool:
        """True with a chance of ``percent`` in a hundred."""
        return self.rng.randrange(100) < percent

    # ---- commands --------------------------------------------------------------------------

    def key(self, kind: str) -> str:
        """A new idempotency key for a command of this run."""
        return f"sim:{self.seed}:{self.start.isoformat()}:{next(self._keys):06d}:{kind}"

    def command(self, kind: str, run: Callable[[str], R]) -> R | None:
        """Run a command with a new key; a refusal (bad input, wrong state) is counted, not raised."""
        return self.attempt(kind, lambda: run(self.key(kind)))

    def attempt(self, kind: str, act: Callable[[], R]) -> R | None:
        """Run ``act``; count a refusal as one of ``kind`` and return None (broken state raises)."""
        try:
            return act()
        except _FATAL:
            raise
        except WalletError as error:
            self.tally.refused(kind, error)
            return None

    def presented(self, member: Member) -> Presented | None:
        """What the customer presents: the payment password when the policies check factors."""
        if not self.guarded:
            return None
        return Presented(
            password=member.person.password, device=f"sim-device-{member.person.index}"
        )

    def money(self, minor: int) -> Money:
        """``minor`` units of the bank's currency."""
        return Money.from_minor(minor, self.currency)

    # ---- the cast ------------------------------------------------------------------------

    def open_merchants(self, population: Population) -> None:
        """Find the population's merchants, registering the ones not there yet.

        A merchant is found in the run log (by credit code), else by its ledger account (for
        databases an older version, or another program, wrote); each one found or registered is
        remembered in the log, so a credit code is registered once, ever.
        """
        logged = self.log.merchants()
        remembered = dict(logged)
        if any(p.credit_code.reveal() not in logged for p in population.merchants):
            for code, owner in self._known_merchants().items():
                remembered.setdefault(code, owner)
        for profile in population.merchants:
            code = profile.credit_code.reveal()
            found = remembered.get(code)
            if found is None:
                merchant_id: str = self.service.register_merchant(
                    profile.name,
                    profile.credit_code,
                    profile.category,
                    idempotency_key=f"sim:{self.seed}:m{profile.index}",
                )
                self.tally.new_merchants += 1
                self.new_shops.append(Shop(profile, merchant_id))
            else:
                merchant_id = found
            if code not in logged:
                self.log.remember(code, merchant_id)
            shop = Shop(profile, merchant_id)
            self.shops.append(shop)
            self.by_category.setdefault(profile.category, []).append(shop)

    def _known_merchants(self) -> dict[str, str]:
        """Merchants with a ledger account, by credit code (the fallback of the run log)."""
        with self.bank.store.reader() as uow:
            accounts = sorted(uow.ledger.balances())
        known: dict[str, str] = {}
        for account in accounts:
            if account.kind is AccountKind.MERCHANT:
                code = self.service.merchant(account.owner).credit_code.reveal()
                known.setdefault(code, account.owner)
        return known

    def register_customers(self, population: Population) -> None:
        """Find each customer's wallet by phone, registering those who have none yet."""
        for person in population.customers:
            wallet_id: str | None = self.service.wallet_for_phone(person.phone)
            if wallet_id is None:
                self.move_to(0, person.index % DAY_SECONDS)
                wallet_id = self.attempt("registration", partial(self._register, person))
                if wallet_id is None:
                    continue
                self.tally.approved("registration")
                self.tally.new_customers += 1
            wallet = self.service.wallet(wallet_id)
            bound = person.card in wallet.cards
            self.members.append(
                Member(person, wallet_id, bound, wallet.owner.resident_id is not None)
            )
        patrons = [member for member in self.members if member.card_bound]
        for position, member in enumerate(self.members):
            if not member.card_bound and patrons:
                member.patron = patrons[position % len(patrons)]

    def _register(self, person: Customer) -> str:
        """The registration steps, each keyed by the customer (replayed if interrupted)."""
        service, phone, key = self.service, person.phone, f"sim:{self.seed}:c{person.index}:"
        registration = service.start_registration(phone, idempotency_key=key + "start")
        code = self.bank.phone_verifier.last_code_for(phone)
        if code is None:  # the start was replayed: no new text was sent in this process
            service.resend_code(registration, phone)
            code = self.bank.phone_verifier.last_code_for(phone)
        service.verify_phone(registration, phone, code or "", idempotency_key=key + "phone")
        if person.name is not None and person.resident_id is not None:
            service.provide_identity(
                registration, person.name, person.resident_id, idempotency_key=key + "identity"
            )
        service.set_credentials(
            registration,
            person.password,
            _SECURITY_QUESTION,
            person.answer,
            idempotency_key=key + "credentials",
        )
        if person.evidence == "card":
            service.add_card(registration, person.card, idempotency_key=key + "card")
        return service.submit_registration(registration, idempotency_key=key + "submit")
