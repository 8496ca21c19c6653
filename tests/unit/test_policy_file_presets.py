"""The shipped presets as files, writing policy sets, and what makes two sets equal.

CI cost: a quarter of a second (each preset is dumped and read a few times).
"""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from icbc_wallet.domain.calendar import FixedHolidays
from icbc_wallet.domain.fees import FeeSchedule, Waiver
from icbc_wallet.domain.limit_increase import LimitIncreaseTerms
from icbc_wallet.domain.limits import Limit
from icbc_wallet.domain.risk_rules import RiskRules
from icbc_wallet.errors import InvalidPolicyError
from icbc_wallet.policies.authentication import AuthenticationRules
from icbc_wallet.policy_files import (
    PolicyFileError,
    UnknownPresetError,
    dumps_policies,
    loads_policies,
    policies_equal,
    preset_names,
    preset_path,
    preset_policies,
)
from icbc_wallet.policy_files.regenerate import main, regenerate
from icbc_wallet.policy_files.shipped import PRESETS, preset_text
from icbc_wallet.presets.limits import ALL_LIMIT_PRESETS
from icbc_wallet.presets.tiers import ALL_TIER_POLICIES
from icbc_wallet.service.config import WalletPolicies

DEFAULT = WalletPolicies.default()


def test_the_presets_are_the_default_the_guarded_and_each_limit_preset_with_tiers() -> None:
    paired = {name for name in ALL_LIMIT_PRESETS if name in ALL_TIER_POLICIES}
    assert set(preset_names()) == {"default", "guarded", *paired}
    assert preset_names() == tuple(sorted(preset_names()))
    shipped = {path.stem for path in preset_path("default").parent.glob("*.toml")}
    assert shipped == set(preset_names())


@pytest.mark.parametrize("name", preset_names())
def test_each_shipped_file_is_exactly_its_python_preset_written_out(name: str) -> None:
    assert preset_path(name).read_text(encoding="utf-8") == preset_text(name), (
        f"{preset_path(name)} differs from the Python preset it is written from; run "
        "`python -m icbc_wallet.policy_files.regenerate` and commit the files it rewrites"
    )
    assert policies_equal(preset_policies(name), PRESETS[name].build())


def test_a_shipped_file_says_what_it_is_and_where_it_comes_from() -> None:
    header = preset_path("article-defaults").read_text(encoding="utf-8").split("\n\n")[0]
    assert header.startswith(
        '# icbc-wallet policy set "article-defaults": WalletPolicies.default()'
    )
    assert "ALL_LIMIT_PRESETS['article-defaults']" in header
    assert "python -m icbc_wallet.policy_files.regenerate" in header
    assert all(line.startswith("#") for line in header.splitlines())


def test_the_default_and_guarded_files_are_the_documented_sets() -> None:
    assert policies_equal(preset_policies("default"), DEFAULT)
    guarded = preset_policies("guarded")
    assert guarded.authentication == AuthenticationRules()
    assert guarded.risk is not None
    assert DEFAULT.risk is None
    article = preset_policies("article-defaults")
    assert article.limits.tier_names == ("unverified", "real_name")


def test_an_unknown_preset_is_refused_with_the_names_there_are() -> None:
    for ask in (preset_path, preset_policies, preset_text):
        with pytest.raises(UnknownPresetError) as caught:
            ask("strict")
        assert isinstance(caught.value, LookupError)
        assert isinstance(caught.value, PolicyFileError)
        assert str(caught.value) == (
            "presets: no preset is called 'strict'; the presets are article-defaults, default, "
            "ecny-2021, guarded"
        )


def test_regenerating_writes_the_files_once_and_then_has_nothing_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = regenerate(tmp_path)
    assert [path.name for path in written] == [f"{name}.toml" for name in preset_names()]
    assert all(path.read_text(encoding="utf-8") == preset_text(path.stem) for path in written)
    assert regenerate(tmp_path) == []
    (tmp_path / "default.toml").write_text("stale", encoding="utf-8")
    assert main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"rewrote {tmp_path / 'default.toml'}\n"
    assert main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == "the preset files are up to date\n"


def _with_waiver_from(starts: datetime) -> WalletPolicies:
    fees = FeeSchedule(DEFAULT.fees.rules, [Waiver.full("festival", starts=starts)])
    return attrs.evolve(DEFAULT, fees=fees)


def test_equal_policies_hold_the_same_values_whatever_their_identity() -> None:
    rebuilt = attrs.evolve(DEFAULT, limits=attrs.evolve(DEFAULT.limits))
    assert policies_equal(rebuilt, DEFAULT)
    noon = datetime(2026, 10, 1, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    same_instant = noon.astimezone(timezone(timedelta(hours=-5)))
    assert policies_equal(_with_waiver_from(noon), _with_waiver_from(same_instant))
    rate = attrs.evolve(DEFAULT.fees.rules[0].brackets[0], rate=Decimal("0.0010"))
    rule = attrs.evolve(DEFAULT.fees.rules[0], brackets=[rate])
    assert policies_equal(
        attrs.evolve(DEFAULT, fees=attrs.evolve(DEFAULT.fees, rules=[rule])), DEFAULT
    )


def test_policies_differing_anywhere_are_not_equal() -> None:
    first_tier = DEFAULT.limits.tiers[0]
    looser = attrs.evolve(first_tier, limit=Limit.of(per_transaction="2000", daily="6000"))
    noon = datetime(2026, 10, 1, 12, tzinfo=UTC)
    different = [
        attrs.evolve(
            DEFAULT, limits=attrs.evolve(DEFAULT.limits, tiers=(looser, *DEFAULT.limits.tiers[1:]))
        ),
        attrs.evolve(DEFAULT, limits=attrs.evolve(DEFAULT.limits, zone=ZoneInfo("UTC"))),
        attrs.evolve(DEFAULT, calendar=FixedHolidays.of([])),
        attrs.evolve(DEFAULT, authentication=AuthenticationRules()),
        attrs.evolve(DEFAULT, tiers=attrs.evolve(DEFAULT.tiers, description="")),
    ]
    for policies in different:
        assert not policies_equal(policies, DEFAULT)
    assert not policies_equal(
        _with_waiver_from(noon), _with_waiver_from(noon + timedelta(seconds=1))
    )
    with pytest.raises(TypeError):
        policies_equal(DEFAULT, DEFAULT.limits)  # type: ignore[arg-type]


def test_writing_refuses_what_a_file_cannot_say_exactly() -> None:
    class Weekends:
        def is_holiday(self, day: date) -> bool:
            return day.weekday() >= 5

    usd = AuthenticationRules.from_mapping(
        {"currency": "USD", "password_free_limits": {}}
        | dict.fromkeys(("one_kind_daily_cap", "two_kinds_daily_cap", "password_free_daily"), "1")
    )
    refused = {
        "hold_time_seconds": attrs.evolve(DEFAULT, hold_time=timedelta(seconds=1.5)),
        "calendar": attrs.evolve(DEFAULT, calendar=Weekends()),
        "authentication": attrs.evolve(DEFAULT, authentication=usd),
        "risk": attrs.evolve(DEFAULT, risk=RiskRules.from_mapping(_usd_risk())),
        "authentication.tier_minimum_kinds.gold": attrs.evolve(
            DEFAULT, authentication=AuthenticationRules(tier_minimum_kinds={"gold": 2})
        ),
        "increase_terms.eligible_tiers": attrs.evolve(
            DEFAULT, increase_terms=LimitIncreaseTerms(eligible_tiers={"gold"})
        ),
        "limits.zone": attrs.evolve(DEFAULT, limits=attrs.evolve(DEFAULT.limits, zone=_keyless())),
    }
    for key, policies in refused.items():
        with pytest.raises(PolicyFileError) as caught:
            dumps_policies(policies)
        assert (caught.value.source, caught.value.key) == ("<WalletPolicies>", key)
    with pytest.raises(TypeError):
        dumps_policies("default")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        loads_policies(b"[limits]")  # type: ignore[arg-type]


def _usd_risk() -> dict[str, object]:
    amounts = {"velocity_amount": "max_total", "above_history": "floor", "new_payee": "min_amount"}
    plain: dict[str, object] = {name: {key: "1"} for name, key in amounts.items()}
    return (
        plain
        | {"currency": "USD", "unusual_hour": {"min_amount": "1"}}
        | {"top_up_then_withdraw": {"min_amount": "1"}}
    )


def _keyless() -> ZoneInfo:
    tzfile = resources.files("tzdata") / "zoneinfo" / "Asia" / "Shanghai"
    with tzfile.open("rb") as opened:
        return ZoneInfo.from_file(opened)


def test_a_comment_heads_the_written_file() -> None:
    text = dumps_policies(DEFAULT, comment="What this is.\n\nWhere it comes from.")
    assert text.startswith("# What this is.\n#\n# Where it comes from.\n\nhold_time_seconds")
    assert policies_equal(loads_policies(text), DEFAULT)


def test_a_policy_file_error_is_an_invalid_policy_that_survives_pickling() -> None:
    error = PolicyFileError("is required", source="p.toml", key="fees", line=None)
    assert isinstance(error, InvalidPolicyError)
    assert isinstance(error, ValueError)
    assert str(error) == "p.toml: fees: is required"
    copy = pickle.loads(pickle.dumps(error))  # our own object
    assert (copy.source, copy.key, copy.line, copy.problem) == (
        "p.toml",
        "fees",
        None,
        "is required",
    )
    assert str(PolicyFileError("bad", line=3)) == "<string>:3: bad"
