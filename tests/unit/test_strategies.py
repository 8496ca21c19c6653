"""The shipped strategies produce valid values and are reachable through st.from_type."""

from __future__ import annotations

import sys
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import icbc_wallet.domain
from icbc_wallet import Limit, LimitSchedule, LimitWindow, Money, RefundWindow
from icbc_wallet.testing import _hypothesis_plugin
from icbc_wallet.testing.strategies import aware_datetimes, limit_usages

NOW = st.just(datetime.fromisoformat("2026-03-10T12:00:00+08:00"))


@given(
    st.from_type(Money),
    st.from_type(Limit),
    st.from_type(LimitSchedule),
    st.from_type(RefundWindow),
)
def test_from_type_resolves_every_registered_value_object(
    money: Money, limit: Limit, schedule: LimitSchedule, window: RefundWindow
) -> None:
    assert isinstance(money, Money)
    assert isinstance(limit, Limit)
    assert schedule.tiers
    assert window.days >= 1


@given(aware_datetimes())
def test_aware_datetimes_are_always_aware(moment: datetime) -> None:
    assert moment.utcoffset() is not None


@given(st.data())
def test_limit_usages_only_ever_add_positive_amounts(data: st.DataObject) -> None:
    now = data.draw(NOW)
    usage = data.draw(limit_usages(now))
    assert not usage.used(LimitWindow.LIFETIME, now).is_negative()
    assert usage.used(LimitWindow.DAY, now) <= usage.used(LimitWindow.MONTH, now)


def test_a_broken_install_warns_instead_of_breaking_hypothesis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(icbc_wallet.domain, "fee_rules")
    monkeypatch.setitem(sys.modules, "icbc_wallet.domain.fee_rules", None)  # import now fails
    with pytest.warns(RuntimeWarning, match="strategies not registered"):
        _hypothesis_plugin.register()
