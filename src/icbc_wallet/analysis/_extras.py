"""The optional packages of the ``analysis`` extra (pandas, pyarrow, matplotlib), imported late.

The package imports and works without them; only the functions that need one import it, and a
missing one is reported as a :class:`~icbc_wallet.errors.MissingExtraError` that says how to
install it.
"""

from __future__ import annotations

from typing import Final

from icbc_wallet.errors import MissingExtraError

__all__ = ["INSTALL_HINT", "missing_extra"]

INSTALL_HINT: Final = "pip install 'icbc-wallet[analysis]'"
"""The command that installs pandas, pyarrow and matplotlib with the right versions."""


def missing_extra(purpose: str, package: str) -> MissingExtraError:
    """The error to raise when ``package`` is needed for ``purpose`` but not installed.

    ```pycon
    >>> print(missing_extra("reading Parquet files", "pyarrow"))
    reading Parquet files needs pyarrow, which is not installed: pip install 'icbc-wallet[analysis]'

    ```
    """
    return MissingExtraError(f"{purpose} needs {package}, which is not installed: {INSTALL_HINT}")
