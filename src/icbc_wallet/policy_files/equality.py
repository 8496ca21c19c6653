"""When two policy sets say the same thing: field by field, all the way down.

``WalletPolicies.__eq__`` cannot answer that today: :class:`~icbc_wallet.domain.limits.LimitSchedule`
and :class:`~icbc_wallet.domain.limits.TierLimits` compare by identity (``attrs`` ``eq=False``), so
two schedules read from the same file are never ``==``. :func:`policies_equal` compares the
values themselves: every field given to an ``attrs`` class's constructor (the derived ones are
computed from them), mappings by keys and values, sequences in order, zones by their IANA key,
instants as instants (``10:00+08:00`` is ``02:00Z``), numbers by value (``Decimal("0.0010")``
is ``Decimal("0.001")``).

```pycon
>>> import attrs
>>> from icbc_wallet.service.config import WalletPolicies
>>> default = WalletPolicies.default()
>>> rebuilt = attrs.evolve(default, limits=attrs.evolve(default.limits))
>>> policies_equal(rebuilt, default)
True
>>> policies_equal(attrs.evolve(default, hold_time=default.hold_time * 2), default)
False

```
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import attrs

from icbc_wallet.service.config import WalletPolicies

__all__ = ["policies_equal"]


def policies_equal(first: WalletPolicies, second: WalletPolicies) -> bool:
    """True when ``first`` and ``second`` hold the same rules, whatever their identity.

    Raises:
        TypeError: either is not a WalletPolicies.
    """
    for policies in (first, second):
        if not isinstance(policies, WalletPolicies):
            raise TypeError(
                f"policies_equal compares WalletPolicies, not {type(policies).__name__}"
            )
    return _same(first, second)


def _same(first: object, second: object) -> bool:  # noqa: PLR0911  # one case per kind of value
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        return first.keys() == second.keys() and all(_same(first[k], second[k]) for k in first)
    if type(first) is not type(second):
        return False
    kind = type(first)
    if attrs.has(kind):
        return all(
            _same(getattr(first, field.name), getattr(second, field.name))
            for field in attrs.fields(kind)
            if field.init and field.eq
        )
    if isinstance(first, tuple | list) and isinstance(second, tuple | list):
        return len(first) == len(second) and all(map(_same, first, second))
    if (
        isinstance(first, datetime)
        and isinstance(second, datetime)
        and first.tzinfo
        and second.tzinfo
    ):
        # as instants: == between zones is False for a wall time a zone skips or repeats
        return first.astimezone(UTC) == second.astimezone(UTC)
    if isinstance(first, ZoneInfo) and isinstance(second, ZoneInfo):
        return first is second or (bool(first.key) and first.key == second.key)
    return first == second
