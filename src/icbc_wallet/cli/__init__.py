"""The ``icbc-wallet`` command line: simulate, replay, quote, limits and policy files.

Installed as the ``icbc-wallet`` console script (also ``python -m icbc_wallet.cli``)::

    icbc-wallet simulate                  # a synthetic month on wallet.db, then a report
    icbc-wallet replay tx.csv --policy default --against my-policy.toml
    icbc-wallet quote withdrawal 2000
    icbc-wallet limits WL03 --method online --spent 800
    icbc-wallet policy check my-policy.toml

Exit codes: 0 success; 1 the command ran and found a problem (an invalid policy file, bad rows
in a transaction file, money not conserved); 2 the command could not run as asked (bad options,
a missing or unreadable file, an invalid policy file given to another command); 130 interrupted.
"""

from __future__ import annotations

from icbc_wallet.cli._app import EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, main

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PROBLEM", "EXIT_USAGE", "main"]
