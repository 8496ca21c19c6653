"""Hypothesis entry point: registers icbc-wallet strategies when hypothesis is imported.

Declared in pyproject.toml under ``[project.entry-points.hypothesis]``, so ``st.from_type(Money)``
works wherever icbc-wallet and hypothesis are both installed, without importing anything first.

Hypothesis calls :func:`register` while it is itself being imported, possibly from inside
``icbc_wallet.testing.strategies``' own import; so the strategies are resolved lazily, when a test
first asks for the type, never at registration.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any


def _lazy(strategy_name: str) -> Callable[[type[Any]], Any]:
    def resolve(_type: type[Any]) -> Any:
        from icbc_wallet.testing import strategies  # noqa: PLC0415  # see the module docstring

        return getattr(strategies, strategy_name)()

    return resolve


def register() -> None:
    """Register a strategy for each shipped value object.

    Hypothesis runs entry points while ``import hypothesis`` itself is in progress and does not
    guard them, so a failure here would break hypothesis for every project in the environment.
    It is turned into a warning instead.
    """
    from hypothesis import strategies as st  # noqa: PLC0415

    try:
        from icbc_wallet.domain import (  # noqa: PLC0415
            fee_rules,
            fees,
            identity,
            limits,
            money,
            refunds,
        )
    except Exception as error:  # never break `import hypothesis`
        warnings.warn(
            f"icbc-wallet strategies not registered with hypothesis: {error!r}",
            RuntimeWarning,
            stacklevel=2,
        )
        return

    for value_type, strategy_name in (
        (money.Money, "moneys"),
        (limits.Limit, "limits"),
        (limits.LimitSchedule, "limit_schedules"),
        (refunds.RefundWindow, "refund_windows"),
        (fee_rules.FeeRule, "fee_rules"),
        (fees.FeeSchedule, "fee_schedules"),
        (identity.PhoneNumber, "phone_numbers"),
        (identity.ResidentId, "resident_ids"),
        (identity.BankCard, "bank_cards"),
        (identity.MerchantCreditCode, "merchant_credit_codes"),
    ):
        st.register_type_strategy(value_type, _lazy(strategy_name))
