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
- ``PhoneNumber``, ``ResidentId``, ``BankCard`` → ``{"$type": <class>, "text": <the number>}``,
  parsed back, or encrypted (below);
- ``MerchantCreditCode`` → its text and ``allow_bad_checksum`` (a business's public number);
  ``ZoneInfo`` → its key;
- tuples, frozensets and mappings (``dict``, ``MappingProxyType``) → tagged lists.

**Personal data at rest.** Given a :class:`~icbc_wallet.ports.cipher.Cipher`, the codec stores
every phone, resident ID and card number, wherever it occurs (aggregates, records, events,
command results), as ``{"$type": <class>, "enc": <base64 envelope>}``, and the text of the
fields named in :data:`SEALED_TEXT_FIELDS` (a holder's name, an authenticator's shared secret,
the password and security-answer hashes)
as ``{"$type": "HolderName", "enc": ...}`` or ``{"$type": "Secret", "enc": ...}``. Each value
is sealed with a fresh nonce and bound to its tag (the context is ``b"PhoneNumber"``,
``b"HolderName"``, ...), so a ciphertext moved to another kind of field does not decrypt.
Everything else stays readable: amounts and balances (which the stores also keep in columns),
ids, times, masked forms such as ``card_last_four``, free text (reasons, dispute evidence, the
security question). A codec with a cipher still reads values stored in clear, so encryption
can be turned on without a migration: each record is encrypted when it is next saved, and
records never saved again (submitted registrations, delivered events) stay as they were. A
codec without a cipher refuses encrypted values with :class:`CodecError`. Encrypted documents
are not byte-for-byte stable: equal values encode to different text each time.

attrs classes are stored by their ``init`` fields only: fields with ``init=False`` (an
aggregate's pending events, its cached account and limit schedule) are rebuilt by the class's
own ``__init__`` and ``__attrs_post_init__`` on decode, so nothing private reaches the disk.

Decoding runs as the JSON parser's object hook, bottom-up. Frozen value objects compared by
value (limits, money, identity numbers) are interned: equal ones decode to one shared instance,
built and validated once (every wallet of a tier stores the same limits); events, aggregates
and values holding unhashable fields are built each time. Encrypted numbers are decrypted on
every load, then interned by their text like clear ones.

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
>>> from icbc_wallet.adapters.aes_gcm import AesGcmCipher
>>> from icbc_wallet.domain.identity import PhoneNumber
>>> cipher = AesGcmCipher({"k1": AesGcmCipher.generate_key()}, current="k1")
>>> sealed = Codec(cipher=cipher).dumps(PhoneNumber.parse("13800138000"))
>>> sealed.startswith('{"$type":"PhoneNumber","enc":"') and "13800138000" not in sealed
True
>>> Codec(cipher=cipher).loads(sealed) == PhoneNumber.parse("13800138000")
True

```
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
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
from icbc_wallet.errors import DecryptionError, WalletError
from icbc_wallet.ports.cipher import Cipher

__all__ = ["SEALED_TEXT_FIELDS", "Codec", "CodecError", "storable_classes"]

_TAG: Final = "$type"
_PLAIN: Final = (str, int, bool, type(None))

SEALED_TEXT_FIELDS: Final = MappingProxyType(
    {
        "holder_name": "HolderName",
        "secret": "Secret",
        "password_hash": "PasswordHash",
        "answer_hash": "AnswerHash",
    }
)
"""The ``str`` fields encrypted by a codec with a cipher: field name → the tag of the sealed form.

Phone, ID and card numbers have their own types and are found by type wherever they occur. A
holder's name (``Owner``, ``Registration``), an authenticator's shared secret
(``TotpEnrolment``) and the password and answer hashes (``Credentials``, ``Registration``: a
six-digit password is found from its hash by trying them all, unless a pepper is kept apart)
are plain ``str`` fields, found by their field's name in any attrs class.
"""


def _finite_decimal(data: dict[str, Any]) -> Decimal:
    value = Decimal(data["text"])
    if not value.is_finite():
        raise CodecError("a stored Decimal must be finite")
    return value


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
        cipher: encrypts personal data (phone, ID and card numbers, holders' names) on the way
            out and decrypts it on the way in; ``None`` stores it in clear.

    Raises:
        CodecError: two known classes share a name (tags are class names), or one is named
            ``HolderName`` or ``Secret`` (the tags of encrypted text).
    """

    def __init__(self, types: Iterable[type] = (), *, cipher: Cipher | None = None) -> None:
        self._classes: dict[str, type] = {}
        for cls in [*(c for m in _domain_modules() for c in storable_classes(m)), *types]:
            known = self._classes.setdefault(cls.__name__, cls)
            if known is not cls:
                raise CodecError(f"two storable classes are named {cls.__name__!r}")
        for sealed in SEALED_TEXT_FIELDS.values():
            if sealed in self._classes:
                raise CodecError(f"{sealed!r} is the tag of encrypted text, not a class name")
        self._cipher = cipher
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
        identity_hook = self._identity if cipher is None else self._sealed_identity
        for identity in (PhoneNumber, ResidentId, BankCard):
            out.register_unstructure_hook(identity, identity_hook)
        out.register_unstructure_hook(MerchantCreditCode, self._credit_code)
        out.register_unstructure_hook(tuple, self._sequence("tuple"))
        out.register_unstructure_hook(frozenset, self._sequence("frozenset"))
        out.register_unstructure_hook(list, lambda v: [self.encode(x) for x in v])
        out.register_unstructure_hook(dict, self._mapping("dict"))
        out.register_unstructure_hook(MappingProxyType, self._mapping("proxy"))
        self._out = out
        self._readers: dict[str, Callable[[dict[str, Any]], object]] = {
            "Money": lambda d: Money(d["minor"], d["currency"]),  # checked: decoded once (interned)
            "datetime": lambda d: datetime.fromisoformat(d["utc"]).astimezone(UTC),
            "ZoneInfo": lambda d: ZoneInfo(d["key"]),
            "Decimal": _finite_decimal,
            "PhoneNumber": self._parsed("PhoneNumber", PhoneNumber.parse),
            "ResidentId": self._parsed("ResidentId", ResidentId.parse),
            "BankCard": self._parsed("BankCard", BankCard.parse),
            "MerchantCreditCode": lambda d: MerchantCreditCode.parse(
                d["text"], allow_bad_checksum=d["allow_bad_checksum"]
            ),
            # Readers get their children decoded already (see _restore).
            "tuple": lambda d: tuple(d["items"]),
            "frozenset": lambda d: frozenset(d["items"]),
            "dict": lambda d: dict(d["items"]),
            "proxy": lambda d: MappingProxyType(dict(d["items"])),
        }
        for sealed in SEALED_TEXT_FIELDS.values():
            self._readers[sealed] = functools.partial(self._unseal, sealed)

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
        names = [name for name, _ in self._init_fields(kind)]
        if self._cipher is not None and not SEALED_TEXT_FIELDS.keys().isdisjoint(names):
            return self._attrs_with_text_encoder(tag, names)
        fields = [(name, attrgetter(name)) for name in names]
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

    def _parsed(
        self, tag: str, parse: Callable[[str], object]
    ) -> Callable[[dict[str, Any]], object]:
        """A reader of an identity number: parsed (and checked) once per distinct number.

        An encrypted number is decrypted each time (its ciphertext changes on every save, so
        remembering ciphertexts would only crowd out the limits), then interned by its text.
        """
        built = self._interned

        def reader(d: dict[str, Any]) -> object:
            text = d.get("text")
            if text is None:
                text = self._unseal(tag, d)
            key = (parse, text)
            found = built.get(key)
            if found is None:
                if len(built) >= _MAX_INTERNED:
                    built.clear()
                found = built[key] = parse(text)
            return found

        return reader

    # --- encryption -------------------------------------------------------------------------

    def _attrs_with_text_encoder(
        self, tag: str, names: list[str]
    ) -> Callable[[Any], dict[str, Any]]:
        """The encoder of an attrs class with fields of :data:`SEALED_TEXT_FIELDS` (with a cipher)."""
        fields = [
            (
                name,
                attrgetter(name),
                self._text_sealer(name) if name in SEALED_TEXT_FIELDS else self.encode,
            )
            for name in names
        ]

        def encode_attrs(value: Any) -> dict[str, Any]:
            encoded: dict[str, Any] = {_TAG: tag}
            for name, read, encode in fields:
                encoded[name] = encode(read(value))
            return encoded

        return encode_attrs

    def _text_sealer(self, field: str) -> Callable[[object], Any]:
        """Encodes a field's value: sealed when it is text (``None`` is stored as it is)."""
        tag = SEALED_TEXT_FIELDS[field]

        def seal(value: object) -> Any:
            return self._seal(tag, value) if type(value) is str else self.encode(value)

        return seal

    def _seal(self, tag: str, text: str) -> dict[str, Any]:
        assert self._cipher is not None  # the hooks that seal are registered with a cipher only
        # surrogatepass: whatever text a str holds comes back as it was
        sealed = self._cipher.encrypt(text.encode("utf-8", "surrogatepass"), context=tag.encode())
        return {_TAG: tag, "enc": base64.b64encode(sealed).decode("ascii")}

    def _sealed_identity(self, value: PhoneNumber | ResidentId | BankCard) -> dict[str, Any]:
        return self._seal(type(value).__name__, value.reveal())

    def _unseal(self, tag: str, data: dict[str, Any]) -> str:
        """The text of an encrypted value tagged ``tag``.

        Raises:
            CodecError: the value is neither clear nor encrypted, or this codec has no cipher.
            DecryptionError: the ciphertext is malformed, altered, bound to another tag, or
                sealed with a key the cipher does not hold.
        """
        enc = data.get("enc")
        if type(enc) is not str:
            raise CodecError(f"a stored {tag} is neither clear text nor encrypted")
        if self._cipher is None:
            raise CodecError(
                f"a stored {tag} is encrypted and this codec has no cipher: build the codec "
                "with the cipher (and keys) that wrote the data"
            )
        try:
            sealed = base64.b64decode(enc, validate=True)
        except binascii.Error:
            raise DecryptionError(f"a stored {tag} has malformed base64") from None
        try:
            return self._cipher.decrypt(sealed, context=tag.encode()).decode(
                "utf-8", "surrogatepass"
            )
        except UnicodeDecodeError:
            raise DecryptionError(f"a stored {tag} decrypts to text that is not UTF-8") from None

    def dumps(self, value: object) -> str:
        """``value`` as compact JSON text."""
        return json.dumps(self.encode(value), ensure_ascii=False, separators=(",", ":"))

    def loads(self, text: str | bytes) -> Any:
        """The value :meth:`dumps` turned into ``text``.

        Raises:
            CodecError: ``text`` is not a document this codec wrote (malformed JSON, an unknown
                or malformed tagged value, a value its class refuses).
            DecryptionError: a sealed value cannot be decrypted with this codec's cipher.
        """
        try:
            return json.loads(text, object_hook=self._restore)
        except (CodecError, DecryptionError):
            raise
        except (ValueError, TypeError, LookupError, ArithmeticError, RecursionError) as error:
            # WalletErrors (a value its class refuses) are ValueErrors or TypeErrors too
            raise CodecError(f"not a stored document ({type(error).__name__}: {error})") from None

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
