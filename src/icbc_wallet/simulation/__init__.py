"""The simulation: a synthetic population living through the real wallet service, day by day.

A *simulation* creates customers and merchants from a seed (:mod:`.population`), registers them
at different verification tiers, and runs them for a number of days through the real
:class:`~icbc_wallet.service.WalletService`: top-ups, QR/NFC/online payments, bills, transfers,
withdrawals, refunds, disputes and limit increases (:mod:`.spending`, :mod:`.claims`). It ends
with a :class:`SimulationReport` whose money conservation is checked, not assumed
(:mod:`.books`). Run on a SQLite file, a second run continues with the next period.

```python
from icbc_wallet.simulation import SimulationConfig, run_simulation

report = run_simulation("wallet.db", SimulationConfig(days=30, customers=40))
assert report.ok
```
"""

from __future__ import annotations

from icbc_wallet.simulation.config import SimulationConfig
from icbc_wallet.simulation.engine import (
    DEMO_FINGERPRINT_KEY,
    FIRST_DAY,
    KEY_VARIABLE,
    run_simulation,
    simulate,
)
from icbc_wallet.simulation.report import SimulationReport

__all__ = [
    "DEMO_FINGERPRINT_KEY",
    "FIRST_DAY",
    "KEY_VARIABLE",
    "SimulationConfig",
    "SimulationReport",
    "run_simulation",
    "simulate",
]
