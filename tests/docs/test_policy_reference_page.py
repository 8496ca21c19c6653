"""The policy reference page is drawn from the presets themselves, and cannot silently lose one."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from icbc_wallet import presets
from icbc_wallet.domain.limits import LimitWindow
from icbc_wallet.presets.fees import ALL_FEE_PRESETS
from icbc_wallet.presets.limits import ALL_LIMIT_PRESETS
from icbc_wallet.presets.tiers import ALL_TIER_POLICIES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "policy_reference_hook", DOCS / "hooks" / "policy_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _load_hook()


class _File:
    def __init__(self, src_uri: str) -> None:
        self.src_uri = src_uri


class _Page:
    def __init__(self, src_uri: str) -> None:
        self.file = _File(src_uri)


@pytest.fixture
def extra_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory searched as part of ``icbc_wallet.presets``, for a module written by a test."""
    monkeypatch.setattr(presets, "__path__", [*presets.__path__, str(tmp_path)])
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith("icbc_wallet.presets.extra")]:
        del sys.modules[name]


def test_the_page_keeps_the_placeholder_and_runs_no_examples() -> None:
    source = (DOCS / "reference" / "policies.md").read_text(encoding="utf-8")
    assert hook.PLACEHOLDER in source
    assert ">>>" not in source


def test_every_shipped_preset_has_a_section_with_a_link_to_its_sources() -> None:
    page = hook.render_presets()
    for name in (*ALL_LIMIT_PRESETS, *ALL_TIER_POLICIES, *ALL_FEE_PRESETS):
        assert f"`{name}`" in page, name
    for qualified in hook.find_presets():
        assert f"][{qualified}]" in page, qualified
    assert "NO_REASON_RETURN_7_DAYS" in page
    assert "CONTACTLESS_NO_PIN_PER_TRANSACTION" in page


def test_limit_tables_show_every_tier_window_and_method_limit() -> None:
    page = hook.render_presets()
    for schedule in ALL_LIMIT_PRESETS.values():
        for tier in schedule.tiers:
            assert f"| `{tier.name}` |" in page
    assert all(window.label.capitalize() in page for window in LimitWindow)
    assert "| `WL04` | 2,000.00 | 5,000.00 | — | — | — | 10,000.00 | withdrawal |" in page
    assert "| `WL02` | `withdrawal` | 1,000.00 | 1,000.00 | — | — | — |" in page
    assert "| `D` | — | 500.00 | — | — | — |" in page


def test_fee_tables_show_brackets_minimums_maximums_and_quotas() -> None:
    page = hook.render_presets()
    assert "any amount: 0.1% | 0.10 | — | 1,000.00 in all | on top |" in page
    assert "up to 5,000.00: free<br>up to 10,000.00: 5.00<br>" in page
    assert "above 50,000.00: 0.015% | — | 25.00 |" in page
    assert "2,000.00 a month" in page
    assert "| phone, identity, bank_card | `WL02` |" in page


def test_the_hook_replaces_the_placeholder_and_leaves_other_pages_alone() -> None:
    page = _Page(hook.PAGE)
    drawn = hook.on_page_markdown(f"# Policies\n\n{hook.PLACEHOLDER}\n", page=page)
    assert hook.PLACEHOLDER not in drawn
    assert "## Fee schedules" in drawn
    assert hook.on_page_markdown("# Money\n", page=_Page("concepts/money.md")) == "# Money\n"


def test_the_policy_page_without_its_placeholder_fails_the_build() -> None:
    with pytest.raises(ValueError, match="lost its placeholder"):
        hook.on_page_markdown("# Policies\n", page=_Page(hook.PAGE))


def test_waivers_and_deducted_fees_are_drawn(extra_presets: Path) -> None:
    (extra_presets / "extra_waivers.py").write_text(
        """
from datetime import datetime
from zoneinfo import ZoneInfo
from icbc_wallet.domain.fee_rules import FeeBracket, FeeCharging, FeeRule
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.money import Money
from icbc_wallet.domain.operations import OperationKind

__all__ = ["FESTIVAL"]
_ZONE = ZoneInfo("Asia/Shanghai")
FESTIVAL = FeeSchedule(
    [FeeRule(OperationKind.WITHDRAWAL, [FeeBracket(None, Money.of(2), "0.005")],
             charging=FeeCharging.DEDUCTED, name="Cash out")],
    waivers=[
        Waiver.full("Spring Festival", starts=datetime(2026, 2, 16, tzinfo=_ZONE),
                    kinds=[OperationKind.WITHDRAWAL]),
        Waiver.promotion("Holidays", "0.5", holidays_only=True),
    ],
    name="festival",
)
""",
        encoding="utf-8",
    )
    page = hook.render_presets()
    assert "| Cash out | `withdrawal` | any | any amount: 2.00 + 0.5% |" in page
    assert "| deducted |" in page
    assert (
        "| Spring Festival | 2026-02-16T00:00:00+08:00 | never | withdrawal | no | 100% |" in page
    )
    assert "| Holidays | always | never | all | yes | 50% |" in page


def test_a_preset_the_reference_cannot_draw_fails_the_build(extra_presets: Path) -> None:
    (extra_presets / "extra_odd.py").write_text(
        '__all__ = ["ODD", "helper"]\nODD = 42\n\ndef helper() -> None: ...\n', encoding="utf-8"
    )
    with pytest.raises(TypeError, match=r"extra_odd\.ODD: the reference cannot draw int"):
        hook.render_presets()


def test_a_catalogued_preset_not_exported_by_name_fails_the_build(extra_presets: Path) -> None:
    (extra_presets / "extra_hidden.py").write_text(
        """
from icbc_wallet.domain.refunds import RefundWindow

__all__ = ["ALL_HIDDEN"]
ALL_HIDDEN = {"hidden": RefundWindow(days=3)}
""",
        encoding="utf-8",
    )
    with pytest.raises(TypeError, match="not exported by name"):
        hook.render_presets()


def test_the_default_policy_set_names_the_presets_it_is_made_of() -> None:
    page = hook.render_presets()
    default = page[: page.index("## Limit schedules")]
    assert "| Limits | [`ECNY_2021_WITH_QR_CODES`][icbc_wallet.presets.limits." in default
    assert "| Merchant fees | no merchant fees |" in default
    assert "| Merchant's time to answer a refund | 3 days |" in default
    assert "| Idempotency keys kept | 24 hours |" in default


def test_durations_read_as_days_hours_or_python_writes_them() -> None:
    assert hook._duration(timedelta(days=7)) == "7 days"
    assert hook._duration(timedelta(hours=36)) == "36 hours"
    assert hook._duration(timedelta(minutes=90)) == "1:30:00"
