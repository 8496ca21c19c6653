"""Privacy: no public operation shows a card, ID or phone number, a password or a one-time code.

Each example opens an in-memory bank and walks two customers through registration (a wrong
code, a name with digits, a refused ID, weak passwords, a replay with another password, a
refused card), duplicate people, rate-limited and locked-out codes, cards, money (top-up,
payments, a declined payment, withdrawal, transfer), a refund, a refused refund taken to a
dispute, freezing, statements and reads, with hypothesis-generated personal numbers and
secrets. Everything the library produces on the way is collected: the ``repr`` and ``str`` of
every result and of the objects read back, every event in the outbox (and each of its fields),
every notification, every log line (the notifications also go through
:class:`LoggingNotifier`) and every error (message, ``repr``, ``args``, notes, and the same for
each error in its chain). None of it may show a secret in clear; the masks
(``138****8000``, ``340*************1X``, ``**** **** **** 8888``) are what it may show.

Six-digit secrets (passwords, codes) are found as whole numbers only, and the whole numbers
every flow shows whoever the customers are (day numbers, amounts in minor units) are learnt
from one fixed flow and ignored, so that a password equal to one of them is no false alarm.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import itertools
import logging
import pkgutil
import re
import traceback
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Final, ParamSpec, TypeVar

import attrs
import pyotp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import icbc_wallet
from icbc_wallet.adapters.notifiers import LoggingNotifier
from icbc_wallet.bootstrap import in_memory, storage_codec
from icbc_wallet.domain.attestations import Presented, SmsAnswer
from icbc_wallet.domain.disputes import DisputeEvidence, DisputeOutcome
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.registration import validate_payment_password
from icbc_wallet.domain.statements import Period
from icbc_wallet.errors import (
    AlreadyRegisteredError,
    CardNotBoundError,
    IdempotencyConflict,
    IdentityTypeError,
    InvalidBankCardError,
    InvalidHolderNameError,
    InvalidPhoneNumberError,
    InvalidResidentIdError,
    TooManyAttemptsError,
    VerificationFailedError,
    WalletStateError,
    WeakPasswordError,
)
from icbc_wallet.ports.notifications import NotificationKind
from icbc_wallet.service import WalletPolicies
from icbc_wallet.testing.strategies import (
    bank_cards,
    payment_passwords,
    phone_numbers,
    resident_ids,
)

P = ParamSpec("P")
T = TypeVar("T")
START: Final = datetime(2026, 3, 2, 2, tzinfo=UTC)
"""Monday 2 March 2026, 10:00 in Shanghai. Birth dates are generated before 2021."""
NUMBER: Final = re.compile(r"(?<![0-9.\-])[0-9]{5,}X?(?![0-9])(?!\.[0-9])")
"""A whole number of five or more digits, but not an amount (``1000.00``) or an id (``W-000002``)."""


# -- the people and their secrets --------------------------------------------------------------


@attrs.frozen
class Person:
    phone: PhoneNumber
    resident_id: ResidentId
    card: BankCard
    password: str
    new_password: str
    name: str
    answer: str


@attrs.frozen
class Cast:
    """Two customers, a third phone, an extra card, and an ID and card the verifiers refuse."""

    alice: Person
    bob: Person
    third_phone: PhoneNumber
    spare_card: BankCard
    refused_id: ResidentId
    refused_card: BankCard

    @property
    def phones(self) -> list[PhoneNumber]:
        return [self.alice.phone, self.bob.phone, self.third_phone]

    @property
    def ids(self) -> list[ResidentId]:
        return [self.alice.resident_id, self.bob.resident_id, self.refused_id]

    @property
    def cards(self) -> list[BankCard]:
        return [self.alice.card, self.bob.card, self.spare_card, self.refused_card]


NAMES: Final = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4
)
ANSWERS: Final = st.text("qxzjkvw", min_size=8, max_size=12)  # letters no English word is made of


@st.composite
def casts(draw: st.DrawFn) -> Cast:
    """Customers whose phones, IDs, cards and names all differ."""
    phones = draw(st.lists(phone_numbers(), min_size=3, max_size=3, unique_by=PhoneNumber.reveal))
    ids = draw(st.lists(resident_ids(), min_size=3, max_size=3, unique_by=ResidentId.reveal))
    cards = draw(st.lists(bank_cards(), min_size=4, max_size=4, unique_by=BankCard.reveal))
    names = draw(st.lists(NAMES, min_size=2, max_size=2, unique=True))

    def person(at: int) -> Person:
        phone, resident_id = phones[at], ids[at]
        valid = payment_passwords(phone=phone, resident_id=resident_id)
        password = draw(valid)
        new_password = draw(valid.filter(lambda other: other != password))
        return Person(
            phone, resident_id, cards[at], password, new_password, names[at], draw(ANSWERS)
        )

    return Cast(person(0), person(1), phones[2], cards[2], ids[2], cards[3])


@attrs.frozen
class Secrets:
    """What must never show in clear, and how each kind is searched for.

    Attributes:
        spelled: searched anywhere, also grouped with spaces or hyphens and in any case: whole
            phone, ID and card numbers, the card's digits beyond the first 6 and last 4, the
            birth date, the customers' names and security answers, TOTP shared secrets.
        exact: six-digit secrets, found only as a whole number: passwords, one-time codes (SMS
            and TOTP, sent and mistyped), the last six digits of the phone and ID, the birth
            date as digits.
        numbers: phone and ID numbers: no run of five or more of their characters may show (the
            masks show at most the first 3 and last 4).
        cards: card numbers: a run of five or more of their digits may show only as a prefix
            of at most six (the issuer), the most a card may show besides its last four.
    """

    spelled: frozenset[str]
    exact: frozenset[str]
    numbers: tuple[str, ...]
    cards: tuple[str, ...]

    @classmethod
    def of(cls, cast: Cast, codes: Iterable[str], keys: Iterable[str] = ()) -> Secrets:
        """The secrets of ``cast``, the one-time ``codes`` and other ``keys`` (TOTP secrets)."""
        spelled: set[str] = set(keys)
        exact: set[str] = set(codes)
        for phone in cast.phones:
            spelled.add(phone.reveal())
            exact.add(phone.last_six)
        for resident_id in cast.ids:
            born = resident_id.birth_date
            spelled |= {resident_id.reveal(), born.isoformat()}
            exact |= {resident_id.last_six, f"{born:%Y%m%d}", f"{born:%y%m%d}"}
        for card in cast.cards:
            digits = card.reveal()
            spelled |= {digits, digits[:-4], digits[6:]}
        for person in (cast.alice, cast.bob):
            exact |= {person.password, person.new_password}
            spelled |= {person.name, person.answer}
        return cls(
            frozenset(spelled),
            frozenset(exact),
            tuple(p.reveal() for p in cast.phones) + tuple(r.reveal() for r in cast.ids),
            tuple(card.reveal() for card in cast.cards),
        )

    def leaks(self, text: str, *, ignore: frozenset[str] = frozenset()) -> list[str]:
        """The secrets ``text`` shows in clear; ``ignore``: whole numbers every flow shows."""
        found = [s for s in self.spelled if re.search(spell(s), text, re.IGNORECASE)]
        found += [token for token in set(NUMBER.findall(text)) - ignore if self.hides(token)]
        return sorted(set(found))

    def hides(self, token: str) -> bool:
        """True when the whole number ``token`` is a secret or shows too much of a number."""
        return (
            token in self.exact
            or any(token in number for number in self.numbers)
            or any(token in card and not issuer(token, card) for card in self.cards)
        )


def issuer(token: str, card: str) -> bool:
    """True when ``token`` is at most the first six digits of ``card`` (its issuer, the BIN)."""
    return len(token) <= 6 and card.startswith(token)


def spell(secret: str) -> str:
    """A pattern for ``secret`` also when grouped with spaces or hyphens (``6225 7688 ...``)."""
    return "[ \\-]?".join(re.escape(char) for char in secret)


# -- collecting everything the library shows ---------------------------------------------------


class Transcript:
    """Everything shown: results, objects read back, errors, events, notifications, log lines."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors: set[type[Exception]] = set()

    def show(self, value: object) -> None:
        self.texts += [repr(value), str(value)]

    def call(self, action: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``action(*args, **kwargs)``, which must succeed; keeps what it returned."""
        result = action(*args, **kwargs)
        self.show(result)
        return result

    def refused(
        self,
        error: type[Exception],
        action: Callable[P, object],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> None:
        """``action(*args, **kwargs)``, which must raise ``error``; keeps all the error shows."""
        with pytest.raises(error) as caught:
            action(*args, **kwargs)
        self.errors.add(type(caught.value))
        for refusal in chain(caught.value):
            self.texts += [str(refusal), repr(refusal), repr(refusal.args)]
            self.texts += [str(note) for note in getattr(refusal, "__notes__", [])]
            self.texts += traceback.format_exception_only(refusal)  # as a log line shows it


def chain(error: BaseException | None) -> Iterator[BaseException]:
    """``error`` and the errors it was raised from or during (a traceback shows them all)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


# -- the flow ----------------------------------------------------------------------------------


def other_code(code: str, step: int = 1) -> str:
    return f"{(int(code) + step) % 10**6:06d}"


class Flow:
    """One walk through the public operations; ``codes`` collects every code sent or tried."""

    def __init__(self, cast: Cast) -> None:
        self.cast, self.seen, self.codes, self.keys = cast, Transcript(), list[str](), list[str]()
        self.bank = in_memory(
            WalletPolicies.guarded(),  # factors checked and risk assessed on money commands
            start=START,
            rejected_ids=[cast.refused_id.reveal()],
            rejected_cards=[cast.refused_card.reveal()],
        )
        self.service = self.bank.service
        self._keys = itertools.count()

    def key(self) -> str:
        return f"k{next(self._keys)}"

    def code_for(self, phone: PhoneNumber) -> str:
        code = self.bank.phone_verifier.last_code_for(phone)
        assert code is not None
        self.codes.append(code)
        return code

    def sms_code(self) -> str:
        """The one-time code of the last SMS challenge (what the holder reads)."""
        sent = self.bank.notifier.sent[-1]
        assert sent.kind is NotificationKind.ONE_TIME_CODE
        assert sent.code is not None
        self.codes.append(sent.code)
        return sent.code

    def totp_code(self, secret: str, later: int = 0) -> str:
        """The authenticator app's code ``later`` 30-second steps from now."""
        code = pyotp.TOTP(secret).at(self.bank.clock.now() + timedelta(seconds=30 * later))
        self.codes.append(code)
        return code

    def register(self, person: Person, *, mistakes: bool) -> str:
        """Register ``person`` step by step (with refused attempts first when ``mistakes``)."""
        s, seen, key = self.service, self.seen, self.key
        registration = seen.call(s.start_registration, person.phone, idempotency_key=key())
        code = self.code_for(person.phone)
        if mistakes:
            wrong = other_code(code)
            self.codes.append(wrong)
            seen.refused(
                VerificationFailedError,
                s.verify_phone,
                registration,
                person.phone,
                wrong,
                idempotency_key=key(),
            )
        seen.call(s.verify_phone, registration, person.phone, code, idempotency_key=key())
        if mistakes:
            self.identity_mistakes(registration, person)
        seen.call(
            s.provide_identity,
            registration,
            person.name,
            person.resident_id,
            idempotency_key=key(),
        )
        if mistakes:
            self.password_mistakes(registration, person)
        credentials_key = key()
        seen.call(
            s.set_credentials,
            registration,
            person.password,
            "Pet?",
            person.answer,
            idempotency_key=credentials_key,
        )
        if mistakes:  # a replay with another password
            other = other_code(person.password)
            seen.refused(
                IdempotencyConflict,
                s.set_credentials,
                registration,
                other,
                "Pet?",
                person.answer,
                idempotency_key=credentials_key,
            )
            seen.refused(
                VerificationFailedError,
                s.add_card,
                registration,
                self.cast.refused_card,
                idempotency_key=key(),
            )
        seen.call(s.add_card, registration, person.card, idempotency_key=key())
        seen.show(s.registration(registration))
        return seen.call(s.submit_registration, registration, idempotency_key=key())

    def identity_mistakes(self, registration: str, person: Person) -> None:
        s, seen, key = self.service, self.seen, self.key
        typed_phone = person.name + person.phone.reveal()  # the phone typed into the name field
        seen.refused(
            InvalidHolderNameError,
            s.provide_identity,
            registration,
            typed_phone,
            person.resident_id,
            idempotency_key=key(),
        )
        seen.refused(
            VerificationFailedError,
            s.provide_identity,
            registration,
            person.name,
            self.cast.refused_id,
            idempotency_key=key(),
        )

    def password_mistakes(self, registration: str, person: Person) -> None:
        phone, resident_id = person.phone, person.resident_id
        weak = [phone.last_six, resident_id.last_six, f"{resident_id.birth_date:%y%m%d}", "111111"]
        for password in weak:
            self.seen.refused(
                WeakPasswordError,
                self.service.set_credentials,
                registration,
                password,
                "Pet?",
                person.answer,
                idempotency_key=self.key(),
            )
            self.seen.refused(
                WeakPasswordError,
                validate_payment_password,
                password,
                phone=phone,
                resident_id=resident_id,
            )

    def duplicates(self) -> None:
        """The same phone, then the same ID, cannot open a second wallet; codes are rate-limited."""
        s, seen, key, cast = self.service, self.seen, self.key, self.cast
        seen.refused(
            TooManyAttemptsError, s.start_registration, cast.alice.phone, idempotency_key=key()
        )
        self.bank.clock.advance(timedelta(minutes=2))  # a phone gets one code a minute
        pairs = [
            (cast.alice.phone, cast.bob.resident_id),
            (cast.third_phone, cast.alice.resident_id),
        ]
        for phone, resident_id in pairs:
            registration = seen.call(s.start_registration, phone, idempotency_key=key())
            code = self.code_for(phone)
            seen.call(s.verify_phone, registration, phone, code, idempotency_key=key())
            seen.call(s.provide_identity, registration, "王五", resident_id, idempotency_key=key())
            seen.call(s.set_credentials, registration, "135790", "Q?", "zq", idempotency_key=key())
            seen.refused(
                AlreadyRegisteredError, s.submit_registration, registration, idempotency_key=key()
            )

    def lockout(self) -> None:
        """Wrong codes until the phone is locked out of checks."""
        s, seen, key, phone = self.service, self.seen, self.key, self.cast.bob.phone
        self.bank.clock.advance(timedelta(minutes=2))
        registration = seen.call(s.start_registration, phone, idempotency_key=key())
        code = self.code_for(phone)
        for step in range(1, 6):
            wrong = other_code(code, step)
            self.codes.append(wrong)
            seen.refused(
                VerificationFailedError,
                s.verify_phone,
                registration,
                phone,
                wrong,
                idempotency_key=key(),
            )
        seen.refused(
            TooManyAttemptsError, s.verify_phone, registration, phone, code, idempotency_key=key()
        )
        seen.refused(IdentityTypeError, s.wallet_for_phone, phone.reveal())  # type: ignore[arg-type]
        seen.call(s.wallet_for_phone, phone)

    def money(self, alice: str, bob: str) -> None:
        s, seen, key, cast = self.service, self.seen, self.key, self.cast
        code = MerchantCreditCode.parse("91110000600037341L")
        shop = seen.call(s.register_merchant, "Coffee", code, "food", idempotency_key=key())
        seen.call(s.bind_card, alice, cast.spare_card, idempotency_key=key())
        seen.refused(WalletStateError, s.bind_card, alice, cast.alice.card, idempotency_key=key())
        seen.refused(
            VerificationFailedError, s.bind_card, alice, cast.refused_card, idempotency_key=key()
        )
        seen.call(s.top_up, alice, cast.alice.card, Money.of("20000"), idempotency_key=key())
        seen.refused(
            CardNotBoundError, s.top_up, alice, cast.bob.card, Money.of("10"), idempotency_key=key()
        )
        password = Presented(password=cast.alice.password)
        seen.call(s.pay, alice, shop, Money.of("35.50"), method="static_qr", idempotency_key=key())
        paid = seen.call(
            s.pay,
            alice,
            shop,
            Money.of("35.50"),
            method="static_qr",
            presented=password,
            idempotency_key=key(),
        )
        seen.call(
            s.pay,
            alice,
            shop,
            Money.of("600"),
            method="static_qr",
            presented=password,
            idempotency_key=key(),
        )
        seen.call(
            s.withdraw,
            alice,
            cast.spare_card,
            Money.of("100"),
            presented=password,
            idempotency_key=key(),
        )
        challenge = seen.call(s.send_code, alice, "transfer")
        sms = SmsAnswer(challenge, self.sms_code())
        both = Presented(password=cast.alice.password, sms=sms)
        seen.call(s.transfer, alice, bob, Money.of("50"), presented=both, idempotency_key=key())
        payment = paid.reference
        refund = seen.call(s.request_refund, payment, Money.of("10"), "cold", idempotency_key=key())
        seen.call(s.accept_refund, refund.reference, idempotency_key=key())
        asked = seen.call(s.request_refund, payment, Money.of("5"), "", idempotency_key=key())
        seen.call(s.refuse_refund, asked.reference, "no", idempotency_key=key())
        claim = DisputeEvidence(order_number="SO-1", description="Spilt.")
        dispute = seen.call(s.open_dispute, asked.reference, claim, idempotency_key=key())
        answer = DisputeEvidence(order_number="SO-1", description="Fine when served.")
        seen.call(s.respond_to_dispute, dispute.reference, answer, idempotency_key=key())
        outcome = DisputeOutcome.MERCHANT_RESPONSIBLE
        seen.call(s.decide_dispute, dispute.reference, outcome, None, "ok", idempotency_key=key())
        seen.call(s.freeze, alice, "suspicious", idempotency_key=key())
        seen.call(
            s.pay,
            alice,
            shop,
            Money.of("1"),
            method="static_qr",
            presented=password,
            idempotency_key=key(),
        )
        seen.call(s.unfreeze, alice, idempotency_key=key())
        for wallet in (alice, bob):
            for read in (s.wallet, s.balance, s.status, s.transaction_history):
                seen.call(read, wallet)
        seen.call(s.monthly_statement, alice, 2026, 3)
        seen.call(s.spending_by_category, alice, Period.month(2026, 3))
        seen.call(s.merchant, shop)
        seen.call(s.payment, payment)
        seen.call(s.refunds_for, payment)
        seen.call(s.dispute, dispute.reference)

    def security(self, alice: str) -> None:
        """Wrong and right passwords, a lock, a password change, the answer, TOTP and SMS."""
        s, seen, key, person = self.service, self.seen, self.key, self.cast.alice
        for step in range(1, 4):  # three wrong tries lock the password
            seen.call(s.verify_payment_password, alice, other_code(person.password, step))
        seen.call(s.verify_payment_password, alice, person.password)  # refused: locked
        self.bank.clock.advance(timedelta(hours=4))
        seen.call(s.verify_payment_password, alice, person.password)
        weak = person.phone.last_six
        seen.refused(
            WeakPasswordError,
            s.change_payment_password,
            alice,
            person.password,
            weak,
            idempotency_key=key(),
        )
        wrong = other_code(person.password)
        new = person.new_password
        seen.call(s.change_payment_password, alice, wrong, new, idempotency_key=key())
        seen.call(s.change_payment_password, alice, person.password, new, idempotency_key=key())
        seen.call(s.verify_security_answer, alice, person.answer[::-1] + "q")
        seen.call(s.verify_security_answer, alice, person.answer.upper())
        setup = seen.call(s.enrol_totp, alice, new)
        assert setup.secret is not None
        assert setup.uri is not None
        self.keys += [setup.secret, setup.uri]
        seen.call(s.confirm_totp, alice, self.totp_code(setup.secret))
        seen.call(s.verify_totp, alice, other_code(self.totp_code(setup.secret, 1)))
        seen.call(s.verify_totp, alice, self.totp_code(setup.secret, 1))
        self.bank.clock.advance(timedelta(minutes=2))
        challenge = seen.call(s.send_code, alice, "login")
        code = self.sms_code()
        seen.refused(TooManyAttemptsError, s.send_code, alice, "login")
        seen.call(s.verify_code, alice, challenge, other_code(code))
        seen.call(s.verify_code, alice, challenge, code)
        self.bank.clock.advance(timedelta(minutes=2))
        challenge = seen.call(s.send_code, alice, "login")
        presented = Presented(password=new, sms=SmsAnswer(challenge, self.sms_code()))
        seen.call(s.authenticate, alice, "login", presented)
        totp = Presented(password=new, totp=self.totp_code(setup.secret))
        seen.call(s.authenticate, alice, "login", totp)

    def parsing_mistakes(self) -> None:
        """Mistyped numbers: the errors say what is wrong without repeating them."""
        seen = self.seen
        for card in self.cast.cards:
            digits = card.reveal()
            seen.refused(InvalidBankCardError, BankCard.parse, digits[:-1] + other_code(digits)[-1])
            seen.refused(
                InvalidBankCardError, BankCard.parse, " ".join(re.findall(".{1,4}", digits))
            )
        for phone in self.cast.phones:
            digits = phone.reveal()
            seen.refused(InvalidPhoneNumberError, PhoneNumber.parse, digits + "0")
            seen.refused(InvalidPhoneNumberError, PhoneNumber.parse, f"{digits[:3]} {digits[3:]}")
        for resident_id in self.cast.ids:
            number = resident_id.reveal()
            wrong = number[:17] + ("0" if number[17] == "X" else "X")
            seen.refused(InvalidResidentIdError, ResidentId.parse, wrong)
            early = date(1799, 1, 1)
            seen.refused(InvalidResidentIdError, ResidentId.parse, number, today=early)


class LogLines(logging.Handler):
    """Every log record of every logger, at DEBUG and above, while it is installed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @contextlib.contextmanager
    def installed(self) -> Iterator[LogLines]:
        loggers = [logging.getLogger(), logging.getLogger("icbc_wallet")]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
        loggers[0].addHandler(self)
        try:
            yield self
        finally:
            loggers[0].removeHandler(self)
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def everything_shown(cast: Cast) -> tuple[Transcript, Secrets]:
    """Run the flow for ``cast``; returns what was shown and the secrets it must not show."""
    flow = Flow(cast)
    bank, seen = flow.bank, flow.seen
    with LogLines().installed() as log:
        alice = flow.register(cast.alice, mistakes=True)
        bob = flow.register(cast.bob, mistakes=False)
        flow.duplicates()
        flow.lockout()
        flow.money(alice, bob)
        flow.security(alice)
        flow.parsing_mistakes()
        bank.dispatcher.dispatch(limit=1000)
        for notification in bank.notifier.sent:  # as a service logging what it sends would
            LoggingNotifier().notify(notification)
    for stored in bank.store.outbox:
        seen.show(stored)
        event = stored.event
        seen.texts += [repr(getattr(event, field.name)) for field in attrs.fields(type(event))]
    for notification in bank.notifier.sent:
        seen.show(notification)
        seen.texts.append(notification.text)
    for record in log.records:
        seen.texts += [record.getMessage(), repr(record.args), record.exc_text or ""]
    assert any(record.name == "icbc_wallet.notifications" for record in log.records)
    return seen, Secrets.of(cast, flow.codes, flow.keys)


BASELINE: Final = Cast(
    Person(
        PhoneNumber.parse("13800138000"),
        ResidentId.parse("34052419800101001X"),
        BankCard.parse("6225768888888888"),
        "135790",
        "802468",
        "张三",
        "qzqzqzqz",
    ),
    Person(
        PhoneNumber.parse("13900139000"),
        ResidentId.parse("110101199003070011"),
        BankCard.parse("4111111111111111"),
        "246813",
        "975318",
        "李四",
        "vwvwvwvw",
    ),
    PhoneNumber.parse("15000150000"),
    BankCard.parse("6222020000000000000"),
    ResidentId.parse("440524188001010014"),
    BankCard.parse("5555555555554444"),
)
"""Fixed customers, to learn the whole numbers every flow shows."""


@functools.cache
def incidental_numbers() -> frozenset[str]:
    """The whole numbers a flow shows whoever the customers are (day numbers, minor units)."""
    seen, secrets = everything_shown(BASELINE)
    text = "\n".join(seen.texts)
    return frozenset(NUMBER.findall(text)) - set(secrets.leaks(text))


# -- the properties ----------------------------------------------------------------------------


def test_the_fixed_customers_secrets_never_show() -> None:
    seen, secrets = everything_shown(BASELINE)
    assert secrets.leaks("\n".join(seen.texts)) == []


def test_the_search_finds_each_kind_of_secret_when_it_does_show() -> None:
    secrets = Secrets.of(BASELINE, ["024680"])
    shown = {
        "Owner(phone='13800138000')": ["13800138000"],
        "ID 340524 1980 0101 001X": ["340524", "34052419800101001X"],
        "ID 340524****001X": ["340524"],
        "tel 138-0013-8000": ["13800138000"],
        "tel 1380013****": ["1380013"],
        "card 6225-7688-8888-8888": ["6225768888888888", "622576888888", "8888888888"],
        "card 622576888888****": ["622576888888"],
        "card **** 88888888": ["88888888"],
        "pin=135790.": ["135790"],
        "code 024680": ["024680"],
        "born 19800101 1980-01-01": ["1980-01-01", "19800101"],
        "answer QZQZQZQZ": ["qzqzqzqz"],
        "name 李四": ["李四"],
    }
    for text, secrets_shown in shown.items():
        assert secrets.leaks(text) == sorted(secrets_shown), text
    masked = "<PhoneNumber 138****8000> <ResidentId 340*************1X> **** **** **** 8888"
    allowed = " card 622576 W-135790 1357.90 00135790 day=739677"
    assert secrets.leaks(masked + allowed, ignore=frozenset({"739677"})) == []


FLOWS: Final = max(settings().max_examples // 3, 5)
"""A third of the profile's examples (33 by default, 8 on the quick CI profile): each is a flow."""


@settings(max_examples=FLOWS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(casts())
def test_no_public_operation_shows_a_personal_number_password_or_code(cast: Cast) -> None:
    seen, secrets = everything_shown(cast)
    text = "\n".join(seen.texts)
    assert secrets.leaks(text, ignore=incidental_numbers()) == []
    for masked in (cast.alice.phone, cast.alice.resident_id, cast.alice.card):
        assert str(masked) in text  # what was collected does speak of the customer
    assert len(seen.errors) >= 10  # and the error paths were taken


# -- no CVV, anywhere ----------------------------------------------------------------------------

CARD_SECURITY_WORDS: Final = frozenset(
    {"cvv", "cvv2", "cvc", "cvc2", "cvn", "cvn2", "csc", "cid", "cav2", "expiry", "expiration"}
)


def public_modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(icbc_wallet.__path__, "icbc_wallet."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield importlib.import_module(info.name)


def public_names() -> Iterator[tuple[str, str]]:
    """(where, name) for every parameter and attrs field of the public API."""
    for module in public_modules():
        for name, value in vars(module).items():
            if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            members = [value]
            if inspect.isclass(value):
                members += [
                    member
                    for attribute, member in inspect.getmembers(value, inspect.isfunction)
                    if not attribute.startswith("_") or attribute == "__init__"
                ]
                if attrs.has(value):
                    yield from ((f"{value.__qualname__}", f.name) for f in attrs.fields(value))
            for member in members:
                if callable(member):
                    try:
                        parameters = inspect.signature(member).parameters
                    except (TypeError, ValueError):  # some builtins have no signature
                        continue
                    where = f"{module.__name__}.{getattr(member, '__qualname__', name)}"
                    yield from ((where, parameter) for parameter in parameters)


def test_no_public_function_or_value_takes_or_keeps_a_card_security_code() -> None:
    names = list(public_names())
    assert len(names) > 500  # the walk reached the whole API
    found = [
        (where, name)
        for where, name in names
        if CARD_SECURITY_WORDS & set(name.lower().strip("_").split("_"))
        or "security_code" in name.lower()
    ]
    assert found == []


def test_a_card_holds_and_stores_its_number_only() -> None:
    card = BankCard.parse("6225768888888888")
    assert [field.name for field in attrs.fields(BankCard)] == ["_digits"]
    assert storage_codec().encode(card) == {"$type": "BankCard", "text": "6225768888888888"}
    for typed in ("6225768888888888 123", "6225768888888888/123", "6225768888888888|12/29"):
        with pytest.raises(InvalidBankCardError):
            BankCard.parse(typed)
