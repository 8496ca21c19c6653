"""``python -m icbc_wallet.cli``: the same as the ``icbc-wallet`` console script."""

from __future__ import annotations

import sys

from icbc_wallet.cli import main

if __name__ == "__main__":
    sys.exit(main())
