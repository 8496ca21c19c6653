"""Policy files: a whole policy set in TOML, checked on the way in, written back exactly.

Analysts and operators keep a :class:`~icbc_wallet.service.config.WalletPolicies` (limits,
tiers, fees, refund and dispute deadlines, security, authentication and risk thresholds) in a
TOML file, change a number and run the same service on it. :func:`load_policies` reads a file,
checks every key and value once and builds the immutable set the service takes, or raises a
:class:`PolicyFileError` saying the file, line and key of the problem. :func:`dumps_policies`
writes a set back, and reading what it wrote gives an equal set (:func:`policies_equal`). The
shipped presets are files too (:func:`preset_path`).

```pycon
>>> policies = load_policies(preset_path("default"))
>>> policies.limits.tier("WL04").limit.daily
Money('5000.00', 'CNY')
>>> policies_equal(loads_policies(dumps_policies(policies)), policies)
True

```
"""

from __future__ import annotations

from icbc_wallet.policy_files.codec import dumps_policies, load_policies, loads_policies
from icbc_wallet.policy_files.equality import policies_equal
from icbc_wallet.policy_files.errors import PolicyFileError, UnknownPresetError
from icbc_wallet.policy_files.shipped import preset_names, preset_path, preset_policies

__all__ = [
    "PolicyFileError",
    "UnknownPresetError",
    "dumps_policies",
    "load_policies",
    "loads_policies",
    "policies_equal",
    "preset_names",
    "preset_path",
    "preset_policies",
]
