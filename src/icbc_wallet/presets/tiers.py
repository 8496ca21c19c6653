"""Tier policies found in the real world, as data: which evidence opens which wallet tier.

Each policy is named after the limit schedule whose tiers it names, so that
``ALL_TIER_POLICIES[name]`` pairs with ``ALL_LIMIT_PRESETS[name]``; both are checked against each
other when this module is imported.

```pycon
>>> from icbc_wallet.domain.registration import Evidence
>>> from icbc_wallet.policies.tiers import assign_tier
>>> assign_tier(ECNY_TIER_POLICY, {Evidence.PHONE, Evidence.IDENTITY})
'WL03'

```
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from icbc_wallet.domain.registration import Evidence
from icbc_wallet.domain.tiers import TierPolicy, TierRule
from icbc_wallet.presets.limits import ARTICLE_DEFAULTS, ECNY_2021

__all__ = ["ALL_TIER_POLICIES", "ARTICLE_TIER_POLICY", "ECNY_TIER_POLICY"]

_PHONE, _IDENTITY = Evidence.PHONE, Evidence.IDENTITY

ECNY_TIER_POLICY: Final = TierPolicy(
    (
        TierRule({_PHONE}, "WL04"),
        TierRule({_PHONE, _IDENTITY}, "WL03"),
        TierRule({_PHONE, _IDENTITY, Evidence.BANK_CARD}, "WL02"),
        TierRule({_PHONE, _IDENTITY, Evidence.FACE_TO_FACE}, "WL01"),
    ),
    name=ECNY_2021.name,
    description="e-CNY wallet classes by the verification behind them, class 4 (lowest) to 1.",
)
"""Which e-CNY wallet class (:data:`~icbc_wallet.presets.limits.ECNY_2021`) a holder may open.

Class 4 (WL04) is opened remotely with a mobile number only (anonymous); class 3 (WL03) with the
resident ID and the mobile number but no bank account; class 2 (WL02) with ID, mobile number and
the holder's own bank account; class 1 (WL01) face to face, with ID and mobile number (a branch
opening also checks a bank account, which this rule does not require). Sources: Mu Changchun at
the Lujiazui Forum, 2021-06 (class 4); Caixin 2021 and The Paper 2022 (classes 3 to 1).
"""

ARTICLE_TIER_POLICY: Final = TierPolicy(
    (
        TierRule({_PHONE}, "unverified"),
        TierRule({_PHONE, _IDENTITY}, "real_name"),
    ),
    name=ARTICLE_DEFAULTS.name,
    description="The article's two levels: not real-name verified, and real-name verified.",
)
"""The article's tiers (:data:`~icbc_wallet.presets.limits.ARTICLE_DEFAULTS`), question 3.

A wallet verified by mobile number only is "not real-name verified" and limited to small
payments; once the resident ID is checked it is "real-name verified". A bank card adds no tier
of its own in the article.
"""

ALL_TIER_POLICIES: Final[Mapping[str, TierPolicy]] = MappingProxyType(
    {policy.name: policy for policy in (ARTICLE_TIER_POLICY, ECNY_TIER_POLICY)}
)
"""Every tier policy preset, by the name of the limit schedule it goes with."""

ECNY_TIER_POLICY.check_against(ECNY_2021)
ARTICLE_TIER_POLICY.check_against(ARTICLE_DEFAULTS)
