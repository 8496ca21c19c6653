"""The storage codec: every value a store holds, to and from JSON-compatible data.

A :class:`Codec` turns aggregates, records, events, journal entries and command results into
plain ``dict``/``list``/``str``/``int``/``bool``/``None`` trees that :func:`json.dumps` accepts,
and back into equal values. The encoding describes itself: every value that JSON cannot tell
apart (a class, a tuple, a datetime, an enum member) is a ``dict`` with a ``"$type"`` tag, so
decoding needs no annotations and a field typed ``Decision`` or ``object`` (a union, an
idempotency result) comes back as the class it was. Value objects have explicit forms:

- ``Money`` → ``{"$type": "Money", "minor": int, "currency": str}`` (exact, never a float);
- aware datetimes → ISO-8601 in UTC, restored aware in UTC (equal to the original);
- enum members → their value, tagged with the enum's name;
- ``PhoneNumber``, ``ResidentId``, ``BankCard`` → the revealed text, parsed back. **Personal
  data is stored in clear in this version**; encryption at rest arrives with the security work;
- ``MerchantCreditCode`` → its text and ``allow_bad_checksum``; ``ZoneInfo`` → its key;
- tuples, frozensets and mappings (``dict``, ``MappingProxyType``) → tagged lists.

attrs classes are stored by their ``init`` fields only: fields with ``init=False`` (an
aggregate's pending events, its cached account and limit schedule) are rebuilt by the class's
own ``__init__`` and ``__attrs_post_init__`` on decode, so nothing private reaches the disk.

Decoding runs as the JSON parser's object hook, bottom-up. Frozen value objects compared by
value (limits, money, identity numbers) are interned: equal ones decode to one shared instance,
built and validated once (every wallet of a tier stores the same limits); events, aggregates
and values holding unhashable fields are built each time.

The codec knows the domain's classes (found in :mod:`icbc_wallet.domain`). Adapters may not
import the aggregates or the service, so those classes are given by the composition root
(:func:`icbc_wallet.bootstrap.storage_codec`) through ``types``. The dispatch on the way out is
a :mod:`cattrs` converter with one hook per kind of value.

```pycon
>>> from icbc_wallet.domain.money import Money
>>> codec = Codec()
>>> codec.encode(Money.of("12.30"))
{'$type': 'Money', 'minor': 1230, 'currency': 'CNY'}
>>> codec.loads(codec.dumps((Money.of("1"), None))) == (Money.of("1"), None)
True

```
"""

from __future__ import annotations

import enum
import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from types import MappingProxyType, ModuleType
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs
import cattrs

import icbc_wallet.domain
from icbc_wallet.domain.events import Event
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import WalletError

__all__ = ["Codec", "CodecError", "storable_classes"]

_TAG: Final = "$type"
_PLAIN: Final = (str, int, bool, type(None))


class CodecError(WalletError, ValueError):
    """A value the codec cannot encode, or stored data it cannot decode."""


def storable_classes(*modules: ModuleType) -> list[type]:
    """The attrs classes and enums defined in ``modules`` (what a :class:`Codec` can restore)."""
    found: list[type] = []
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == module.__name__
                and (attrs.has(value) or issubclass(value, enum.Enum))
            ):
                found.append(value)
    return found


def _domain_modules() -> list[ModuleType]:
    package = icbc_wallet.domain
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]


def _utc_text(value: datetime) -> dict[str, Any]:
    if value.tzinfo is None:
        raise CodecError("a naive datetime cannot be stored; times are timezone-aware")
    return {_TAG: "datetime", "utc": value.astimezone(UTC).isoformat()}


_ABSENT: Final = object()
_MAX_INTERNED: Final = 4096
_FROZEN_SETATTR: Final[object] = attrs.frozen(type("_Probe", (), {})).__setattr__


def _is_value(cls: type) -> bool:
    """A frozen attrs class compared by value (so equal instances may be shared), not an event."""
    setter: object = getattr(cls, "__setattr__", None)
    equality: object = cls.__eq__
    return (
        setter is _FROZEN_SETATTR and equality is not object.__eq__ and not issubclass(cls, Event)
    )


def _same(value: object) -> object:
    return value


def _unknown(value: object) -> Any:
    raise CodecError(f"cannot store a {type(value).__name__}: no storage form is known for it")


class Codec:
    """Encodes and decodes stored values (see the module docstring).

    Args:
        types: attrs classes and enums outside the domain that stored values may hold (the
            aggregates, the service's results); the domain's own are always known.

    Raises:
        CodecError: two known classes share a name (tags are class names).
    """

    def __init__(self, types: Iterable[type] = ()) -> None:
        self._classes: dict[str, type] = {}
        for cls in [*(c for m in _domain_modules() for c in storable_classes(m)), *types]:
            known = self._classes.setdefault(cls.__name__, cls)
            if known is not cls:
                raise CodecError(f"two storable classes are named {cls.__name__!r}")
        self._fields: dict[type, tuple[tuple[str, str], ...]] = {}
        self._encoders: dict[type, Callable[[Any], Any]] = {}
        self._interned: dict[tuple[object, ...], object] = {}
        out = cattrs.Converter()
        out.register_unstructure_hook_func(lambda _: True, _unknown)  # first: the last resort
        out.register_unstructure_hook_factory(attrs.has, self._attrs_encoder)
        out.register_unstructure_hook(Money, self._money)
        out.register_unstructure_hook(datetime, _utc_text)
        out.register_unstructure_hook(ZoneInfo, lambda z: {_TAG: "ZoneInfo", "key": z.key})
        out.register_unstructure_hook(Decimal, lambda d: {_TAG: "Decimal", "text": str(d)})
        for identity in (PhoneNumber, ResidentId, BankCard):
            out.register_unstructure_hook(identity, self._identity)
        out.register_unstructure_hook(MerchantCreditCode, self._credit_code)
        out.register_unstructure_hook(tuple, self._sequence("tuple"))
        out.register_unstructure_hook(frozenset, self._sequence("frozenset"))
        out.register_unstructure_hook(list, lambda v: [self.encode(x) for x in v])
        out.register_unstructure_hook(dict, self._mapping("dict"))
        out.register_unstructure_hook(MappingProxyType, self._mapping("proxy"))
        self._out = out
        self._readers: dict[str, Callable[[dict[str, Any]], object]] = {
            "Money": lambda d: Money._make(d["minor"], d["currency"]),
            "datetime": lambda d: datetime.fromisoformat(d["utc"]).astimezone(UTC),
            "ZoneInfo": lambda d: ZoneInfo(d["key"]),
            "Decimal": lambda d: Decimal(d["text"]),
            "PhoneNumber": self._parsed(PhoneNumber.parse),
            "ResidentId": self._parsed(ResidentId.parse),
            "BankCard": self._parsed(BankCard.parse),
            "MerchantCreditCode": lambda d: MerchantCreditCode.parse(
                d["text"], allow_bad_checksum=d["allow_bad_checksum"]
            ),
            # Readers get their children decoded already (see _restore).
            "tuple": lambda d: tuple(d["items"]),
            "frozenset": lambda d: frozenset(d["items"]),
            "dict": lambda d: dict(d["items"]),
            "proxy": lambda d: MappingProxyType(dict(d["items"])),
        }

    # --- public ---------------------------------------------------------------------------

    def encode(self, value: object) -> Any:
        """``value`` as JSON-compatible data."""
        kind = type(value)
        encoder = self._encoders.get(kind)
        if encoder is None:  # chosen once per type: a wallet holds dozens of values
            encoder = self._encoders[kind] = self._encoder(kind)
        return encoder(value)

    def _encoder(self, kind: type) -> Callable[[Any], Any]:
        if kind in _PLAIN:
            return _same
        if issubclass(kind, enum.Enum):  # before cattrs: a StrEnum is a str to its dispatch
            tag = self._known(kind)
            return lambda value: {_TAG: tag, "value": self.encode(value._value_)}
        if issubclass(kind, float):
            raise CodecError("floats are not stored: money and rates are exact")
        return self._out.get_unstructure_hook(kind)

    def _attrs_encoder(self, kind: type) -> Callable[[Any], dict[str, Any]]:
        tag = self._known(kind)
        fields = [(name, attrgetter(name)) for name, _ in self._init_fields(kind)]
        encode = self.encode

        def encode_attrs(value: Any) -> dict[str, Any]:
            encoded: dict[str, Any] = {_TAG: tag}
            for name, read in fields:
                encoded[name] = encode(read(value))
            return encoded

        return encode_attrs

    def decode(self, data: Any) -> Any:
        """The value that :meth:`encode` turned into ``data``."""
        if type(data) is list:
            return [self.decode(x) for x in data]
        if type(data) is not dict:
            return data
        return self._restore({key: self.decode(value) for key, value in data.items()})

    def _restore(self, data: dict[str, Any]) -> object:
        """One tagged object whose children are already decoded (``json.loads``'s object_hook).

        ``loads`` lets the JSON parser call this bottom-up, so decoding walks the document once,
        in C, and Python runs only per tagged object.
        """
        tag = data.get(_TAG)
        reader = self._readers.get(tag) if type(tag) is str else None
        if reader is None:
            reader = self._reader(tag)
        return reader(data)

    def _reader(self, tag: object) -> Callable[[dict[str, Any]], object]:
        cls = self._classes.get(tag) if type(tag) is str else None
        if cls is None:
            raise CodecError(f"stored data of unknown type {tag!r}")
        if issubclass(cls, enum.Enum):
            members = cls
            reader: Callable[[dict[str, Any]], object] = lambda d: members(d["value"])  # noqa: E731
        elif _is_value(cls):
            reader = self._interning_reader(cls)
        else:
            fields = self._init_fields(cls)

            def reader(d: dict[str, Any]) -> object:
                return cls(**{alias: d[name] for name, alias in fields if name in d})

        self._readers[cls.__name__] = reader
        return reader

    def _interning_reader(self, cls: type) -> Callable[[dict[str, Any]], object]:
        """A reader that returns one shared instance per distinct value of a frozen class.

        Every wallet of a tier stores the same limits: building (and validating) them once
        instead of once per load is most of what decoding a wallet costs. Values that are not
        hashable are built every time.
        """
        fields = self._init_fields(cls)
        names = tuple(name for name, _ in fields)
        built = self._interned

        def reader(d: dict[str, Any]) -> object:
            key = (cls, *(d.get(name, _ABSENT) for name in names))
            try:
                found = built.get(key)
            except TypeError:  # a field holds an unhashable value
                return cls(**{alias: d[name] for name, alias in fields if name in d})
            if found is None:
                if len(built) >= _MAX_INTERNED:
                    built.clear()
                found = built[key] = cls(**{alias: d[name] for name, alias in fields if name in d})
            return found

        return reader

    def _parsed(self, parse: Callable[[str], object]) -> Callable[[dict[str, Any]], object]:
        """A reader of an identity number: parsed (and checked) once per distinct number."""
        built = self._interned

        def reader(d: dict[str, Any]) -> object:
            key = (parse, d["text"])
            found = built.get(key)
            if found is None:
                if len(built) >= _MAX_INTERNED:
                    built.clear()
                found = built[key] = parse(d["text"])
            return found

        return reader

    def dumps(self, value: object) -> str:
        """``value`` as compact JSON text."""
        return json.dumps(self.encode(value), ensure_ascii=False, separators=(",", ":"))

    def loads(self, text: str | bytes) -> Any:
        """The value :meth:`dumps` turned into ``text``."""
        return json.loads(text, object_hook=self._restore)

    # --- hooks ------------------------------------------------------------------------------

    def _init_fields(self, cls: type) -> tuple[tuple[str, str], ...]:
        fields = self._fields.get(cls)
        if fields is None:
            fields = self._fields[cls] = tuple(
                (f.name, f.alias or f.name) for f in attrs.fields(cls) if f.init
            )
        return fields

    def _known(self, cls: type) -> str:
        if self._classes.get(cls.__name__) is not cls:
            raise CodecError(f"{cls.__module__}.{cls.__qualname__} is not a storable class")
        return cls.__name__

    @staticmethod
    def _money(value: Money) -> dict[str, Any]:
        return {_TAG: "Money", "minor": value.minor, "currency": value.currency}

    @staticmethod
    def _identity(value: PhoneNumber | ResidentId | BankCard) -> dict[str, Any]:
        return {_TAG: type(value).__name__, "text": value.reveal()}

    @staticmethod
    def _credit_code(value: MerchantCreditCode) -> dict[str, Any]:
        return {
            _TAG: "MerchantCreditCode",
            "text": value.reveal(),
            "allow_bad_checksum": value.allow_bad_checksum,
        }

    def _sequence(self, tag: str) -> Callable[[Iterable[object]], dict[str, Any]]:
        def encode(value: Iterable[object]) -> dict[str, Any]:
            items = [self.encode(x) for x in value]
            if tag == "frozenset":  # a stable order, so equal sets store equal text
                items.sort(key=lambda x: json.dumps(x, sort_keys=True))
            return {_TAG: tag, "items": items}

        return encode

    def _mapping(self, tag: str) -> Callable[[Mapping[object, object]], dict[str, Any]]:
        def encode(value: Mapping[object, object]) -> dict[str, Any]:
            return {
                _TAG: tag,
                "items": [[self.encode(k), self.encode(v)] for k, v in value.items()],
            }

        return encode
