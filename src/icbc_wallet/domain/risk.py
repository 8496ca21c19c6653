"""Risk inputs: the operation being assessed and what is known of the customer's recent past.

The risk engine (:func:`icbc_wallet.policies.risk.assess`) reads three values: the
:class:`RiskRequest` (the operation about to be made), the customer's :class:`CustomerActivity`
(recent :class:`PastOperation` records, failed password attempts, known devices, channels and
payees) and the bank's :class:`~icbc_wallet.domain.risk_rules.RiskRules`; it answers with a
:class:`~icbc_wallet.domain.risk_assessment.RiskAssessment`.

Counterparties, devices and channels are *opaque keys* (a merchant or wallet id, a card token, a
device id): 1 to 128 printable ASCII characters without spaces. The engine only compares them and
never shows them, so no explanation can leak personal data; never use a phone or card number as a
key.

```pycon
>>> from datetime import datetime
>>> from icbc_wallet.domain.money import Money
>>> at = datetime.fromisoformat("2026-05-01T10:00:00+08:00")
>>> request = RiskRequest(at, "transfer", Money.of("300"), counterparty="W-2", device="D-1")
>>> request.kind, request.at.isoformat()
(<OperationKind.TRANSFER: 'transfer'>, '2026-05-01T02:00:00+00:00')
>>> CustomerActivity(known_devices=["D-1"]).known_devices
frozenset({'D-1'})

```
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final

import attrs

from icbc_wallet.domain.ids import parse_id
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.domain.text import to_utc
from icbc_wallet.errors import (
    AmountTypeError,
    CurrencyMismatchError,
    InvalidAmountError,
    RiskInputTypeError,
    UnknownOperationError,
)

__all__ = [
    "CASH_OUT_KINDS",
    "OUTGOING_KINDS",
    "CustomerActivity",
    "PastOperation",
    "RiskRequest",
]

OUTGOING_KINDS: Final = frozenset(
    kind for kind in OperationKind if kind is not OperationKind.TOP_UP
)
"""Operations that move money out of the wallet: every kind but a top-up. Only these are assessed,
and only these count as the customer's spending history."""

CASH_OUT_KINDS: Final = frozenset({OperationKind.WITHDRAWAL, OperationKind.TRANSFER})
"""Operations that take money out of the wallet system (to a card, to another wallet): the second
half of a top-up-then-withdraw round trip."""

# -- validation ------------------------------------------------------------------------------------


def _named(name: str) -> Callable[[str], str]:
    """An identity function named ``name``, so that :func:`parse_id` names the field it refuses."""

    def key(value: str) -> str:
        return value

    key.__name__ = name
    return key


_COUNTERPARTY: Final = _named("counterparty")
_DEVICE: Final = _named("device")
_CHANNEL: Final = _named("channel")


def _key(value: object, kind: Callable[[str], str]) -> str:
    """An opaque key: 1 to 128 printable ASCII characters, no spaces; never echoed when refused."""
    # A StrEnum member (Channel.MOBILE) becomes its plain value, which parse_id accepts.
    return parse_id(str(value) if isinstance(value, str) else value, kind)


def _counterparty(value: str | None) -> str | None:
    return None if value is None else _key(value, _COUNTERPARTY)


def _device(value: str | None) -> str | None:
    return None if value is None else _key(value, _DEVICE)


def _channel(value: str | None) -> str | None:
    return None if value is None else _key(value, _CHANNEL)


def _keys(value: object, what: str) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise RiskInputTypeError(f"{what} must be a set of keys, not {type(value).__name__}")
    kind = _named(f"each of {what}")
    return frozenset(_key(key, kind) for key in value)


def _known_devices(value: Iterable[str]) -> frozenset[str]:
    return _keys(value, "known_devices")


def _known_channels(value: Iterable[str]) -> frozenset[str]:
    return _keys(value, "known_channels")


def _known_counterparties(value: Iterable[str]) -> frozenset[str]:
    return _keys(value, "known_counterparties")


def _utc(value: datetime) -> datetime:
    return to_utc(value, "at")


def _kind(value: OperationKind | str) -> OperationKind:
    if isinstance(value, str):
        try:
            return OperationKind(value)
        except ValueError:
            pass
    names = ", ".join(kind.value for kind in OperationKind)
    raise UnknownOperationError(f"operation kind must be one of {names}")


def _outgoing_kind(value: OperationKind | str) -> OperationKind:
    kind = _kind(value)
    if kind not in OUTGOING_KINDS:
        raise UnknownOperationError(
            f"a risk request is for money leaving the wallet; {kind.value} is not assessed"
        )
    return kind


def _amount(_instance: object, _attribute: object, value: Money) -> None:
    if type(value) is not Money:
        raise AmountTypeError(f"a risk amount must be Money, not {type(value).__name__}")
    if value.is_negative():
        raise InvalidAmountError(f"a risk amount must not be negative, not {value}")


def _flag(_instance: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    if type(value) is not bool:
        raise RiskInputTypeError(f"{attribute.name} must be a bool, not {type(value).__name__}")


# -- inputs ----------------------------------------------------------------------------------------


@attrs.frozen
class RiskRequest:
    """The operation being assessed, before it is made.

    Attributes:
        at: when it is asked for (aware; kept in UTC).
        kind: one of :data:`OUTGOING_KINDS` (payment, transfer, withdrawal, ...; not a top-up).
        amount: how much leaves the wallet (Money, not negative).
        counterparty: an opaque key of the payee (merchant id, wallet id, card token), if any.
        device: an opaque id of the device asking, if known.
        channel: where it is asked from (``"mobile"``, a :class:`~icbc_wallet.domain.operations.Channel`,
            or any opaque key the bank uses), if known.

    Raises:
        NaiveDatetimeError, DatetimeTypeError: ``at`` is not an aware datetime.
        UnknownOperationError: ``kind`` is unknown or a top-up.
        AmountTypeError, InvalidAmountError: ``amount`` is not Money or is negative.
        InvalidIdError: a key is not 1 to 128 printable ASCII characters without spaces.
    """

    at: datetime = attrs.field(converter=_utc)
    kind: OperationKind = attrs.field(converter=_outgoing_kind)
    amount: Money = attrs.field(validator=_amount)
    counterparty: str | None = attrs.field(default=None, converter=_counterparty)
    device: str | None = attrs.field(default=None, converter=_device)
    channel: str | None = attrs.field(default=None, converter=_channel)


@attrs.frozen
class PastOperation:
    """One recent operation of the customer, as the service recorded it.

    Attributes:
        at: when it was made (aware; kept in UTC).
        kind: any :class:`~icbc_wallet.domain.operations.OperationKind`, top-ups included.
        amount: how much moved (Money, not negative).
        counterparty, device, channel: opaque keys, as in :class:`RiskRequest`.
        approved: False when it was declined or refused; declined attempts still count towards
            the velocity of attempts, never towards amounts moved.

    Raises:
        the errors of :class:`RiskRequest`; RiskInputTypeError: ``approved`` is not a bool.
    """

    at: datetime = attrs.field(converter=_utc)
    kind: OperationKind = attrs.field(converter=_kind)
    amount: Money = attrs.field(validator=_amount)
    counterparty: str | None = attrs.field(default=None, converter=_counterparty)
    device: str | None = attrs.field(default=None, converter=_device)
    channel: str | None = attrs.field(default=None, converter=_channel)
    approved: bool = attrs.field(default=True, validator=_flag)


def _operations(value: Iterable[PastOperation]) -> tuple[PastOperation, ...]:
    given: object = value  # callers without a type checker pass anything
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise RiskInputTypeError(
            f"operations must be PastOperation values, not {type(given).__name__}"
        )
    operations = tuple(value)
    currencies = set()
    for operation in operations:
        if type(operation) is not PastOperation:
            raise RiskInputTypeError(
                f"operations must be PastOperation values, not {type(operation).__name__}"
            )
        currencies.add(operation.amount.currency)
    if len(currencies) > 1:
        raise CurrencyMismatchError(
            f"a customer's operations must share one currency, not {', '.join(sorted(currencies))}"
        )
    return operations


def _instants(value: Iterable[datetime]) -> tuple[datetime, ...]:
    if not isinstance(value, Iterable):
        raise RiskInputTypeError(f"failed_passwords must be datetimes, not {type(value).__name__}")
    return tuple(to_utc(moment, "failed password at") for moment in value)


@attrs.frozen
class CustomerActivity:
    """What the service knows of the customer's recent past, built from its events.

    Pass everything that may matter: each rule looks only inside its own window (and never after
    the request), so older or later records change nothing. ``CustomerActivity()`` is a customer
    with no past at all.

    Attributes:
        operations: recent operations, in any order, all in one currency.
        failed_passwords: when wrong payment passwords were entered (aware; kept in UTC).
        known_devices, known_channels, known_counterparties: the opaque keys this customer has
            already used successfully; any iterable of keys, kept as a ``frozenset``.

    Raises:
        RiskInputTypeError: an operation is not a :class:`PastOperation`, or a set of keys is a
            bare string or not iterable.
        CurrencyMismatchError: the operations are in more than one currency.
        NaiveDatetimeError, DatetimeTypeError: a failed password time is not an aware datetime.
        InvalidIdError: a known key is malformed.
    """

    operations: tuple[PastOperation, ...] = attrs.field(default=(), converter=_operations)
    failed_passwords: tuple[datetime, ...] = attrs.field(default=(), converter=_instants)
    known_devices: frozenset[str] = attrs.field(default=frozenset(), converter=_known_devices)
    known_channels: frozenset[str] = attrs.field(default=frozenset(), converter=_known_channels)
    known_counterparties: frozenset[str] = attrs.field(
        default=frozenset(), converter=_known_counterparties
    )
