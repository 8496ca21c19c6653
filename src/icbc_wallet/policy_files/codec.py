"""Reading a policy file into :class:`~icbc_wallet.service.config.WalletPolicies`, and writing one.

:func:`loads_policies` parses TOML (stdlib ``tomllib``), checks every key and value once, at this
boundary, and builds the typed, immutable policy set the service takes; :func:`dumps_policies`
writes a set back (``tomli-w``), and reading what it wrote gives an equal set
(:func:`~icbc_wallet.policy_files.equality.policies_equal`). Every problem is a
:class:`~icbc_wallet.policy_files.errors.PolicyFileError` naming the file, line and key.

```pycon
>>> from icbc_wallet.service.config import WalletPolicies
>>> text = dumps_policies(WalletPolicies.default())
>>> print(text[:text.index("[limits]")].strip())
hold_time_seconds = 604800
idempotency_time_seconds = 86400
merchant_answer_time_seconds = 259200
calendar = "none"
>>> loads_policies(text.replace("604800", "604800.0"))
Traceback (most recent call last):
...
icbc_wallet.policy_files.errors.PolicyFileError: <string>:1: hold_time_seconds: must be an integer number of seconds, not the float 604800.0

```
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Final

import tomli_w

from icbc_wallet.domain.limits import LimitSchedule
from icbc_wallet.domain.operations import OperationKind
from icbc_wallet.policy_files._fees import FEES_KEYS, read_fees, write_fees
from icbc_wallet.policy_files._guards import (
    AUTHENTICATION_KEYS,
    RISK_KEYS,
    read_authentication,
    read_risk,
    write_authentication,
    write_risk,
)
from icbc_wallet.policy_files._limits import (
    LIMITS_KEYS,
    TIERS_KEYS,
    read_limits,
    read_tiers,
    write_limits,
    write_tiers,
)
from icbc_wallet.policy_files._locate import display_key, key_lines, line_of
from icbc_wallet.policy_files._plain import Problem, Table, built, seconds
from icbc_wallet.policy_files._terms import (
    DISPUTE_KEYS,
    INCREASE_KEYS,
    REFUND_KEYS,
    SECURITY_KEYS,
    read_calendar,
    read_dispute_terms,
    read_increase_terms,
    read_refund_window,
    read_security,
    write_calendar,
    write_dispute_terms,
    write_increase_terms,
    write_refund_window,
    write_security,
)
from icbc_wallet.policy_files.errors import PolicyFileError
from icbc_wallet.service.config import WalletPolicies

__all__ = ["dumps_policies", "load_policies", "loads_policies"]

_TIMES: Final = ("hold_time", "idempotency_time", "merchant_answer_time")
_TOP_KEYS: Final = (
    *(f"{name}_seconds" for name in _TIMES),
    "calendar",
    "limits",
    "tiers",
    "fees",
    "merchant_fees",
    "refund_window",
    "dispute_terms",
    "increase_terms",
    "security",
    "authentication",
    "risk",
)
_SECTIONS: Final[
    tuple[tuple[str, tuple[str, ...], Callable[[Table, LimitSchedule], object]], ...]
] = (
    ("merchant_fees", FEES_KEYS, lambda table, limits: read_fees(table, limits.currency)),
    ("refund_window", REFUND_KEYS, lambda table, _: read_refund_window(table)),
    ("dispute_terms", DISPUTE_KEYS, lambda table, _: read_dispute_terms(table)),
    ("increase_terms", INCREASE_KEYS, read_increase_terms),
    ("security", SECURITY_KEYS, lambda table, _: read_security(table)),
    ("authentication", AUTHENTICATION_KEYS, read_authentication),
    ("risk", RISK_KEYS, lambda table, limits: read_risk(table, limits.currency)),
)
"""The optional tables after [limits], [tiers] and [fees], with their keys and readers."""
_WHERE: Final = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_DUMPED: Final = "<WalletPolicies>"


def loads_policies(text: str, *, source: str = "<string>") -> WalletPolicies:
    """Read a policy set from TOML ``text``.

    Args:
        text: the TOML document.
        source: what to call it in errors (the file's path).

    Raises:
        PolicyFileError: invalid TOML, an unknown key, a value of the wrong type (a float
            where an exact amount or rate goes), an invalid value, or rules that do not fit
            together (a tier the limits lack); ``key`` and ``line`` say where.
        TypeError: ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"loads_policies takes the text, not {type(text).__name__}")
    text = text.removeprefix("\ufeff")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(error, text, source) from None
    try:
        return _read(document)
    except Problem as problem:
        line = line_of(key_lines(text), problem.path)
        key = display_key(problem.path) or None
        raise PolicyFileError(problem.problem, source=source, key=key, line=line) from None


def load_policies(path: str | os.PathLike[str]) -> WalletPolicies:
    """Read a policy set from the UTF-8 TOML file at ``path``.

    Raises:
        PolicyFileError: the file is not UTF-8, or its text is refused (see
            :func:`loads_policies`).
        OSError: the file cannot be read.
    """
    source = os.fspath(path)
    data = Path(source).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problem = f"is not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded"
        raise PolicyFileError(problem, source=source, line=line) from None
    return loads_policies(text, source=source)


def dumps_policies(policies: WalletPolicies, *, comment: str = "") -> str:
    """Write ``policies`` as TOML that :func:`loads_policies` reads back to an equal set.

    Args:
        policies: the set to write.
        comment: lines written first, each as a ``#`` comment (what the file is, its source).

    Raises:
        PolicyFileError: the set holds something a file cannot say exactly: a duration with a
            fraction of a second, a calendar other than none, fixed dates or China's, a zone
            without an IANA key, authentication or risk rules in another currency than the
            limits, or a tier name the limits lack.
        TypeError: ``policies`` is not a WalletPolicies.
    """
    if not isinstance(policies, WalletPolicies):
        raise TypeError(f"dumps_policies takes WalletPolicies, not {type(policies).__name__}")
    try:
        document = _write(policies)
    except Problem as problem:
        key = display_key(problem.path) or None
        raise PolicyFileError(problem.problem, source=_DUMPED, key=key) from None
    header = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    return header + ("\n" if header else "") + tomli_w.dumps(document)


def _syntax_error(error: tomllib.TOMLDecodeError, text: str, source: str) -> PolicyFileError:
    message = str(getattr(error, "msg", error))
    line: int | None = getattr(error, "lineno", None)
    found = _WHERE.search(message)
    column = getattr(error, "colno", None)
    if found is not None:
        message = message[: found.start()]
        line, column = int(found["line"]), int(found["column"])
    elif message.endswith("(at end of document)"):
        message = message.removesuffix("(at end of document)").rstrip()
        line = text.count("\n") + 1
    where = "" if column is None else f" (column {column})"
    return PolicyFileError(f"invalid TOML: {message}{where}", source=source, line=line)


def _read(document: dict[str, object]) -> WalletPolicies:
    root = Table(document, (), _TOP_KEYS)
    for required in ("limits", "tiers", "fees"):
        if required not in root:
            root.fail(required, "is required: a policy file has [limits], [tiers] and [fees]")
    limits = read_limits(root.table("limits", LIMITS_KEYS))
    fees = read_fees(root.table("fees", FEES_KEYS), limits.currency)
    for index, rule in enumerate(fees.rules):
        if rule.kind is OperationKind.PAYMENT:
            raise Problem(
                ("fees", "rules", index, "kind"),
                "customers pay merchants without a fee here; put a payment rule in "
                "[merchant_fees] (deducted from what the merchant receives)",
            )
    settings: dict[str, object] = {
        "limits": limits,
        "tiers": read_tiers(root.table("tiers", TIERS_KEYS), limits),
        "fees": fees,
    }
    for name in _TIMES:
        if f"{name}_seconds" in root:
            settings[name] = root.duration(f"{name}_seconds")
    if "calendar" in root:
        settings["calendar"] = read_calendar(root.at("calendar"), root.raw("calendar"))
    for name, keys, read in _SECTIONS:
        if name in root:
            settings[name] = read(root.table(name, keys), limits)
    fields = {name: f"{name}_seconds" for name in _TIMES}
    fields["idempotency"] = "idempotency_time_seconds"
    return built((), lambda: WalletPolicies(**settings), fields)  # type: ignore[arg-type]


def _write(policies: WalletPolicies) -> dict[str, object]:
    limits = policies.limits
    document: dict[str, object] = {
        f"{name}_seconds": seconds((f"{name}_seconds",), getattr(policies, name)) for name in _TIMES
    }
    document["calendar"] = write_calendar(policies.calendar)
    document["limits"] = write_limits(limits)
    document["tiers"] = write_tiers(policies.tiers)
    document["fees"] = write_fees(policies.fees)
    document["merchant_fees"] = write_fees(policies.merchant_fees)
    document["refund_window"] = write_refund_window(policies.refund_window)
    document["dispute_terms"] = write_dispute_terms(policies.dispute_terms)
    document["increase_terms"] = write_increase_terms(policies.increase_terms, limits)
    document["security"] = write_security(policies.security)
    if policies.authentication is not None:
        document["authentication"] = write_authentication(policies.authentication, limits)
    if policies.risk is not None:
        document["risk"] = write_risk(policies.risk, limits)
    return document
