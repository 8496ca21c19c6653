"""The aggregates: :class:`Wallet`, :class:`Merchant` and :class:`Payment`.

They apply the policies, change their own state and record events; the service loads and saves
them through the ports. See :mod:`icbc_wallet.wallet.aggregate`.
"""

from __future__ import annotations

from icbc_wallet.wallet.aggregate import Movement, Owner, Wallet, WalletStatus
from icbc_wallet.wallet.merchant import Merchant
from icbc_wallet.wallet.payment import Payment

__all__ = ["Merchant", "Movement", "Owner", "Payment", "Wallet", "WalletStatus"]
