"""Tier policy: which tier the verified evidence earns, and limits a holder chooses within it.

Pure functions of value objects. :func:`assign_tier` reads a
:class:`~icbc_wallet.domain.tiers.TierPolicy`; :func:`choose_limits` narrows a tier's limits to
what the holder chose at registration, and never widens them.

```pycon
>>> from icbc_wallet.presets.limits import ARTICLE_DEFAULTS
>>> from icbc_wallet.presets.tiers import ARTICLE_TIER_POLICY
>>> assign_tier(ARTICLE_TIER_POLICY, {Evidence.PHONE})
'unverified'
>>> tier = ARTICLE_DEFAULTS.tier("unverified")
>>> choose_limits(tier, Limit.of(daily="300")).limit
Limit(per_transaction=Money('300.00', 'CNY'), daily=Money('300.00', 'CNY'), monthly=None, annual=None, lifetime=None)
>>> choose_limits(tier, Limit.of(daily="2000"))
Traceback (most recent call last):
...
icbc_wallet.errors.LimitChoiceError: the chosen daily cap 2000.00 CNY is above the 1000.00 CNY that tier 'unverified' allows

```
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from icbc_wallet.domain.limits import Limit, LimitWindow, TierLimits
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.registration import Evidence
from icbc_wallet.domain.tiers import TierPolicy, parse_evidence
from icbc_wallet.errors import (
    CurrencyMismatchError,
    InsufficientEvidenceError,
    InvalidLimitScheduleError,
    LimitChoiceError,
)

__all__ = ["assign_tier", "choose_limits"]

# Narrowest first; lifetime is not chained to the others (it may be tighter than annual).
_CHAINED = (LimitWindow.PER_TRANSACTION, LimitWindow.DAY, LimitWindow.MONTH, LimitWindow.YEAR)


def assign_tier(policy: TierPolicy, evidence: Iterable[Evidence | str]) -> str:
    """The tier of the last (highest) rule of ``policy`` whose evidence was all given.

    Args:
        policy: the tier policy in force.
        evidence: what was verified (members or their values, e.g. ``registration.evidence``).

    Raises:
        InsufficientEvidenceError: no rule matches; the message says what the lowest rule needs.
        InvalidTierPolicyError: ``evidence`` is a string or holds unknown values.
    """
    given = parse_evidence(evidence)
    for rule in reversed(policy.rules):
        if rule.evidence <= given:
            return rule.tier
    lowest = policy.rules[0]
    missing = sorted(item.value for item in lowest.evidence - given)
    raise InsufficientEvidenceError(
        f"no tier for evidence {sorted(item.value for item in given)}: the lowest tier "
        f"{lowest.tier!r} also needs {missing}"
    )


def _ceiling(limit: Limit, window: LimitWindow) -> Money | None:
    """The tightest cap of ``limit`` binding in ``window`` among the chained windows."""
    if window is LimitWindow.LIFETIME:
        return limit.lifetime
    caps = [limit.cap(wider) for wider in _CHAINED[_CHAINED.index(window) :]]
    return min((cap for cap in caps if cap is not None), default=None)


def choose_limits(tier_limits: TierLimits, chosen: Limit | None) -> TierLimits:
    """Narrow ``tier_limits`` to the caps the holder ``chosen``; None keeps the tier's limits.

    Each cap of ``chosen`` must be at most what the tier allows in that window: the tier's own
    cap there and the caps of its wider windows (per transaction, day, month, year), so that a
    per-transaction choice of 3,000 is refused under a daily cap of 2,000 even when the tier sets
    no per-transaction cap of its own. A lifetime cap is compared with the tier's lifetime cap
    only: it is independent of the others, as in :class:`Limit`. Where ``chosen`` sets no cap,
    the tier's cap stays, lowered to a wider window's chosen cap if it is above it (the choice
    binds anyway), so the result is a valid :class:`Limit`. The result never allows more than the
    tier in any window; the balance cap, method limits and disallowed methods are kept.

    Raises:
        LimitChoiceError: a chosen cap is above the tier's; the message names the window, the
            cap asked for and the tier's.
        CurrencyMismatchError: ``chosen`` is in another currency than the tier's caps.
        InvalidLimitScheduleError: ``chosen`` is not a :class:`Limit` (or None).
    """
    if chosen is None:
        return tier_limits
    if type(chosen) is not Limit:
        raise InvalidLimitScheduleError(f"chosen must be a Limit or None, not {chosen!r}")
    currencies = tier_limits.currencies()
    if chosen.currency is not None and currencies and chosen.currency not in currencies:
        raise CurrencyMismatchError(
            f"the chosen limit is in {chosen.currency}, tier {tier_limits.name!r} in "
            f"{sorted(currencies)}"
        )
    allowed = tier_limits.limit
    for window in LimitWindow:
        asked, ceiling = chosen.cap(window), _ceiling(allowed, window)
        if asked is not None and ceiling is not None and asked > ceiling:
            raise LimitChoiceError(
                f"the chosen {window.label} cap {asked} is above the {ceiling} that tier "
                f"{tier_limits.name!r} allows"
            )
    lifetime = allowed.lifetime if chosen.lifetime is None else chosen.lifetime
    caps: dict[LimitWindow, Money | None] = {LimitWindow.LIFETIME: lifetime}
    bound: Money | None = None  # the tightest cap set so far on a wider chained window
    for window in reversed(_CHAINED):
        own = chosen.cap(window)
        if own is None:
            own = allowed.cap(window)
            if own is not None and bound is not None and own > bound:
                own = bound
        caps[window] = own
        if own is not None and (bound is None or own < bound):
            bound = own
    merged = Limit(*(caps[window] for window in LimitWindow))
    return attrs.evolve(tier_limits, limit=merged)
