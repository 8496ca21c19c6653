"""The shipped presets as policy files: ``default``, ``guarded`` and one per limit preset with tiers.

Each preset is a TOML file inside the package (``icbc_wallet/policy_files/presets/<name>.toml``),
written by :func:`~icbc_wallet.policy_files.dumps_policies` from the Python preset it names, so
the file and the Python object cannot drift apart (a test compares them byte for byte, and
``python -m icbc_wallet.policy_files.regenerate`` rewrites the files):

- ``default``: :meth:`WalletPolicies.default() <icbc_wallet.service.config.WalletPolicies.default>`.
- ``guarded``: :meth:`WalletPolicies.guarded() <icbc_wallet.service.config.WalletPolicies.guarded>`,
  the default with authentication and risk rules on.
- one per limit schedule of :data:`~icbc_wallet.presets.limits.ALL_LIMIT_PRESETS` that has a tier
  policy of the same name in :data:`~icbc_wallet.presets.tiers.ALL_TIER_POLICIES`, named like it
  (``article-defaults``, ``ecny-2021``): the default set with those limits and tiers.

```pycon
>>> preset_names()
('article-defaults', 'default', 'ecny-2021', 'guarded')
>>> preset_policies("article-defaults").limits.tier_names
('unverified', 'real_name')
>>> preset_path("default").name
'default.toml'

```
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Final

import attrs

from icbc_wallet.policy_files.codec import dumps_policies, load_policies
from icbc_wallet.policy_files.errors import UnknownPresetError
from icbc_wallet.presets.limits import ALL_LIMIT_PRESETS
from icbc_wallet.presets.tiers import ALL_TIER_POLICIES
from icbc_wallet.service.config import WalletPolicies

__all__ = ["PRESETS", "Preset", "preset_names", "preset_path", "preset_policies", "preset_text"]

_REGENERATE: Final = "python -m icbc_wallet.policy_files.regenerate"


@attrs.frozen
class Preset:
    """A shipped preset: how to build it in Python, and what its file says about itself.

    Attributes:
        build: makes the policy set from the Python presets.
        source: the Python expression the file is written from (its header names it).
    """

    build: Callable[[], WalletPolicies]
    source: str


def _paired(name: str) -> Preset:
    def build() -> WalletPolicies:
        return attrs.evolve(
            WalletPolicies.default(), limits=ALL_LIMIT_PRESETS[name], tiers=ALL_TIER_POLICIES[name]
        )

    return Preset(
        build,
        f"WalletPolicies.default() with limits=ALL_LIMIT_PRESETS[{name!r}] and "
        f"tiers=ALL_TIER_POLICIES[{name!r}]",
    )


PRESETS: Final[Mapping[str, Preset]] = MappingProxyType(
    dict(
        sorted(
            {
                "default": Preset(WalletPolicies.default, "WalletPolicies.default()"),
                "guarded": Preset(WalletPolicies.guarded, "WalletPolicies.guarded()"),
                **{name: _paired(name) for name in ALL_LIMIT_PRESETS if name in ALL_TIER_POLICIES},
            }.items()
        )
    )
)
"""Every shipped preset by name, sorted."""


def preset_names() -> tuple[str, ...]:
    """The names of the shipped presets, sorted."""
    return tuple(PRESETS)


def _preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        known = ", ".join(PRESETS)
        raise UnknownPresetError(
            f"no preset is called {name!r}; the presets are {known}", source="presets"
        ) from None


def preset_path(name: str) -> Path:
    """The shipped file of preset ``name``.

    Raises:
        UnknownPresetError: no preset has that name (the message lists the names).
    """
    _preset(name)
    return Path(str(files("icbc_wallet.policy_files") / "presets" / f"{name}.toml"))


def preset_policies(name: str) -> WalletPolicies:
    """The policy set of preset ``name``, read from its shipped file.

    Raises:
        UnknownPresetError: no preset has that name (the message lists the names).
    """
    return load_policies(preset_path(name))


def preset_text(name: str) -> str:
    """What the file of preset ``name`` must hold: its header and the preset, dumped.

    Raises:
        UnknownPresetError: no preset has that name (the message lists the names).
    """
    preset = _preset(name)
    header = (
        f'icbc-wallet policy set "{name}": {preset.source}. Shipped with icbc-wallet '
        "(icbc_wallet.policy_files.preset_path) and generated from the Python presets: do not "
        f"edit it here; copy it, or run `{_REGENERATE}`."
    )
    # the command is wrapped as one word, so that it can be copied from one line
    unbroken = header.replace(_REGENERATE, _REGENERATE.replace(" ", "\0"))
    lines = textwrap.fill(unbroken, width=96, break_long_words=False, break_on_hyphens=False)
    return dumps_policies(preset.build(), comment=lines.replace("\0", " "))
